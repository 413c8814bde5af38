#!/usr/bin/env bash
# Type-checks a strict consumer of the packed packages as a TypeScript user would install them: a fresh
# project with typescript and nothing else, `train.mts` under module/moduleResolution node16, bundler and
# nodenext with skipLibCheck off, and `misuse.mts` (misuses that must not compile) with skipLibCheck on.
# Usage: bash scripts/types-check.sh [dir-with-tarballs]  (packs them itself when no dir is given).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -ge 1 ]; then tarballs=$1; else
  npm run -s build
  tarballs="$work/tgz"; mkdir -p "$tarballs"
  npm pack -w packages/tensor -w packages/symplectic -w packages/flows --pack-destination "$tarballs" --silent >/dev/null
fi
app="$work/app"; mkdir -p "$app"; cd "$app"
echo '{ "name": "types-check-app", "private": true, "type": "module" }' > package.json
ts=$(node -p "require('$root/node_modules/typescript/package.json').version")
npm install --no-audit --no-fund --silent "$tarballs"/sympode-tensor-*.tgz "$tarballs"/sympode-symplectic-*.tgz \
  "$tarballs"/sympode-flows-*.tgz "typescript@$ts" \
  "@webgpu/types@$(node -p "require('$root/node_modules/@webgpu/types/package.json').version")"
cp "$root"/scripts/consumer-types/*.mts .
check() { # name module resolution skipLibCheck file [lib] [types]
  cat > "tsconfig.$1.json" <<JSON
{ "compilerOptions": { "strict": true, "noEmit": true, "target": "ES2022", "lib": [${6:-\"ES2022\"}],
  "module": "$2", "moduleResolution": "$3", "skipLibCheck": $4, "types": [${7:-}] }, "files": ["$5"] }
JSON
  if ! npx --no-install tsc -p "tsconfig.$1.json"; then echo "types-check: $5 fails under $1"; exit 1; fi
}
check node16 node16 node16 false train.mts
check nodenext nodenext nodenext false train.mts
check bundler esnext bundler false train.mts
check bundler-dom esnext bundler false train.mts '"ES2022", "DOM"'
check dispose nodenext nodenext false dispose.mts '"ES2022", "esnext.disposable"'
check webgpu-types esnext bundler false gpu-user.mts '"ES2022", "DOM"' '"@webgpu/types"'
check misuse nodenext nodenext true misuse.mts
echo "types-check: a strict consumer compiles under node16, nodenext and bundler; misuses do not compile"
