#!/usr/bin/env bash
# Installs Mesa's lavapipe (software Vulkan, Mesa >= 24) so Dawn finds a WebGPU adapter without a GPU.
# Debian bookworm's own Mesa 22 is rejected by Dawn; bookworm-backports ships 25.x. Needs root (or sudo).
# The backports entry is derived from the machine's own debian.sources, so no package host is named here.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

have_lavapipe() {
  ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || return 1
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo 0)
  dpkg --compare-versions "$v" ge 24 || return 1
  # ldconfig's cache into a variable, then a match on it: `ldconfig -p | grep -q` under pipefail fails
  # whenever grep exits at the first match and ldconfig dies of SIGPIPE (8 in 300 runs here).
  local cache
  cache=$(ldconfig -p)
  [[ "$cache" == *libvulkan.so.1* ]]
}

if have_lavapipe; then
  echo "setup-webgpu: lavapipe (mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)) already installed"
  exit 0
fi

src=/etc/apt/sources.list.d/debian.sources
dst=/etc/apt/sources.list.d/bookworm-backports.sources
if [ ! -f "$dst" ]; then
  [ -f "$src" ] || { echo "setup-webgpu: $src not found; add bookworm-backports by hand" >&2; exit 1; }
  # First stanza of the system's sources (up to the first blank line), with the suite swapped.
  awk 'BEGIN{RS=""; ORS="\n"} NR==1{print; exit}' "$src" \
    | sed -E 's/^Suites:.*/Suites: bookworm-backports/' | $SUDO tee "$dst" >/dev/null
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1
have_lavapipe || { echo "setup-webgpu: lavapipe still missing after install" >&2; exit 1; }
echo "setup-webgpu: installed mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
