#!/usr/bin/env bash
# Installs Debian's chromium (for `npm run test:browser`, driven by puppeteer-core) if it is missing.
# Needs root (or sudo). No browser is ever downloaded by npm: puppeteer-core uses this system chromium.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

CHROMIUM="${SYMPODE_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
  echo "setup-browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) already installed at $CHROMIUM"
  exit 0
fi

$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
[ -x "$CHROMIUM" ] || { echo "setup-browser: $CHROMIUM still missing after install" >&2; exit 1; }
echo "setup-browser: installed $("$CHROMIUM" --version)"
