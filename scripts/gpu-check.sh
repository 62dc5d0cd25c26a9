#!/usr/bin/env bash
# The GPU path, measured in one prepared run (bench/gpu.ts): execution providers, model throughput,
# NVDEC decoding and the whole timeline, CPU vs GPU, as a table and JSON. Sized for about 10 minutes.
#
#   scripts/gpu-check.sh pack           on a machine with the project installed (npm install): writes
#                                       .gpu-pack/ (the compiled CLI and bench, the runtime packages for
#                                       linux-x64, and what else fits in 64 MiB) for a machine with no
#                                       registry access
#   scripts/gpu-check.sh run [OUT_DIR]  on the GPU machine, in the project folder (with .gpu-pack/ beside
#                                       it, or an installed node_modules); writes OUT_DIR/gpu-check.json
#
# Environment for run: FFMPEG_PATH (an ffmpeg with NVDEC, e.g. Debian's /usr/bin/ffmpeg, found by
# itself when there), SECONDS_OF_4K (clip length, default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}
pack=.gpu-pack
limit_mb=64

if [ "$mode" = pack ]; then
  [ -d node_modules ] || { echo "gpu-check: run npm install first" >&2; exit 2; }
  rm -rf "$pack" && mkdir -p "$pack"
  npm run -s build
  npx esbuild bench/gpu.ts --bundle --platform=node --format=esm --packages=external --log-level=warning --outfile="$pack/gpu-bench.mjs"
  # Runtime packages only, this platform's binaries only (onnxruntime-node ships five platforms).
  modules=$(npm ls --omit=dev --all --parseable 2>/dev/null | sed -n "s#^$PWD/##p" | grep '^node_modules/' |
    awk -F/ '{ print ($2 ~ /^@/) ? $1"/"$2"/"$3 : $1"/"$2 }' | sort -u | grep -vE '@(ffmpeg|ffprobe)-installer')
  tar -c --exclude='onnxruntime-node/bin/napi-v6/darwin' --exclude='onnxruntime-node/bin/napi-v6/win32' \
    --exclude='onnxruntime-node/bin/napi-v6/linux/arm64' --exclude='fluent-ffmpeg/doc' --exclude='*.map' --exclude='*.md' \
    dist $modules | xz -6 -T0 > "$pack/runtime.tar.xz"
  used=$(( $(du -sk "$pack" | cut -f1) + $(git ls-files -z | xargs -0 du -ck | tail -1 | cut -f1) ))
  # Extras in order of need, each only if the whole still travels: node itself, then a static ffprobe
  # and ffmpeg (the GPU image may have neither; NVDEC needs a system ffmpeg all the same).
  for extra in "$(command -v node)" node_modules/@ffprobe-installer/linux-x64/ffprobe node_modules/@ffmpeg-installer/linux-x64/ffmpeg; do
    name=$(basename "$extra")
    xz -6 -T0 -c "$extra" > "$pack/$name.xz"
    size=$(du -sk "$pack/$name.xz" | cut -f1)
    if [ $(( (used + size) / 1024 )) -lt $limit_mb ]; then used=$((used + size)); else rm "$pack/$name.xz"; echo "gpu-check: $name does not fit in ${limit_mb} MiB; the machine must have it"; fi
  done
  echo "gpu-check: $pack/ written ($(du -sh "$pack" | cut -f1)); with the tracked files about $((used / 1024)) MiB"
  ls -la "$pack"
  exit 0
fi

[ "$mode" = run ] || { echo "usage: scripts/gpu-check.sh pack | run [OUT_DIR]" >&2; exit 2; }
out=${2:-bench/out}
mkdir -p "$out"
bin=/tmp/gpu-check-bin && mkdir -p "$bin"
if [ -f "$pack/runtime.tar.xz" ]; then
  tar -xJf "$pack/runtime.tar.xz"
  for extra in node ffprobe ffmpeg; do
    [ -f "$pack/$extra.xz" ] && { xz -dc "$pack/$extra.xz" > "$bin/$extra"; chmod +x "$bin/$extra"; }
  done
fi
export PATH="$PATH:$bin"
command -v node >/dev/null || { echo "gpu-check: no node on this machine and none in $pack/" >&2; exit 3; }
[ -x "$bin/ffprobe" ] && export FFPROBE_PATH=${FFPROBE_PATH:-$bin/ffprobe}
if [ -z "${FFMPEG_PATH:-}" ]; then
  if [ -x /usr/bin/ffmpeg ]; then export FFMPEG_PATH=/usr/bin/ffmpeg; elif [ -x "$bin/ffmpeg" ]; then export FFMPEG_PATH=$bin/ffmpeg; fi
fi
[ -z "${FFPROBE_PATH:-}" ] && [ -x /usr/bin/ffprobe ] && export FFPROBE_PATH=/usr/bin/ffprobe
echo "gpu-check: node $(node --version), ffmpeg ${FFMPEG_PATH:-bundled}, $(nvidia-smi -L 2>/dev/null | head -1 || echo 'no nvidia-smi')"
bench=$pack/gpu-bench.mjs
[ -f "$bench" ] || bench=bench/gpu.ts
runner=(node)
[ "$bench" = bench/gpu.ts ] && runner=(npx tsx)
"${runner[@]}" "$bench" --out "$out/gpu-check.json" --model models/rovlens-default.onnx --bin bin/rovlens.js --seconds "${SECONDS_OF_4K:-10}" \
  2>&1 | tee "$out/gpu-check.txt"
