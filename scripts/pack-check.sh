#!/usr/bin/env bash
# Tries the packages as a user would: packs @sympode/tensor, @sympode/symplectic and @sympode/flows, installs the tarballs
# (and Dawn) into a fresh project outside the workspace, runs the quick-start there on cpu and on webgpu,
# and lints the tarballs with publint and are-the-types-wrong. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npm run -s build
npm pack -w packages/tensor -w packages/symplectic -w packages/flows --pack-destination "$work" --silent >/dev/null
tensor=$(ls "$work"/sympode-tensor-*.tgz)
symplectic=$(ls "$work"/sympode-symplectic-*.tgz)
flows=$(ls "$work"/sympode-flows-*.tgz)
has() { tar -tzf "$1" > "$work/list"; grep -q "$2" "$work/list"; }
for t in "$tensor" "$symplectic" "$flows"; do
  for f in package/dist/index.js package/dist/index.d.ts package/LICENSE package/README.md; do
    has "$t" "$f" || { echo "pack-check: $t has no $f"; exit 1; }
  done
done
has "$tensor" 'dist/backends/webgpu/kernels.generated.js' || { echo "pack-check: the tensor tarball ships no kernels"; exit 1; }

npx --no-install publint "$tensor" --strict
npx --no-install publint "$symplectic" --strict
npx --no-install publint "$flows" --strict
npx --no-install attw "$tensor" --profile esm-only --format table-flipped
npx --no-install attw "$symplectic" --profile esm-only --format table-flipped
npx --no-install attw "$flows" --profile esm-only --format table-flipped

app="$work/app"
mkdir -p "$app"
cd "$app"
echo '{ "name": "pack-check-app", "private": true, "type": "module" }' > package.json
npm install --no-audit --no-fund --silent "$tensor" "$symplectic" "$flows" "webgpu@$(node -p "require('$root/node_modules/webgpu/package.json').version")"
cp "$root/scripts/pack-quickstart.mjs" .
node pack-quickstart.mjs cpu
node pack-quickstart.mjs webgpu
echo "pack-check: the packed packages install and run the quick-start on cpu and webgpu"
