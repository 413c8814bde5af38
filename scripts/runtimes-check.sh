#!/usr/bin/env bash
# The packed packages on the other runtimes users run: Deno (cpu, and its own WebGPU through navigator.gpu)
# and Bun (cpu), both installed from npm into a fresh project outside the workspace (their npm packages ship
# the binaries), running the README quick-start (scripts/pack-quickstart.mjs). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

DENO_VERSION=2.9.6
BUN_VERSION=1.4.5
npm run -s build
npm pack -w packages/tensor -w packages/symplectic --pack-destination "$work" --silent >/dev/null
app="$work/app"
mkdir -p "$app"
cp scripts/pack-quickstart.mjs scripts/pack-wasm-check.mjs "$app/"
cd "$app"
echo '{ "name": "runtimes-check-app", "private": true, "type": "module" }' > package.json
npm install --no-audit --no-fund --silent "$work"/sympode-tensor-*.tgz "$work"/sympode-symplectic-*.tgz "deno@$DENO_VERSION" "bun@$BUN_VERSION"
deno=./node_modules/.bin/deno
bun=./node_modules/.bin/bun
echo "runtimes-check: deno $("$deno" --version | head -1 | cut -d' ' -f2), bun $("$bun" --version)"
"$deno" run -A pack-quickstart.mjs cpu
# The WebAssembly kernels (SIMD, threads where the runtime has worker_threads) against the JS loop.
"$deno" run -A pack-wasm-check.mjs
# Deno's own WebGPU (no Dawn installed here): navigator.gpu, lavapipe without a GPU.
"$deno" run -A pack-quickstart.mjs webgpu
# The automatic choice asks navigator.gpu in Deno (and says why it took what it took).
"$deno" eval "const { createDevice } = await import('@sympode/tensor'); const said = []; const d = await createDevice({ log: (m) => said.push(m) }); console.log(said.join('\\n')); if (!said.some((m) => /software one|using webgpu/.test(m))) throw new Error('runtimes-check: Deno did not ask navigator.gpu'); d.destroy();"
"$bun" pack-quickstart.mjs cpu
"$bun" pack-wasm-check.mjs
node pack-wasm-check.mjs
echo "runtimes-check: the quick-start runs on Deno (cpu, webgpu) and Bun (cpu)"
