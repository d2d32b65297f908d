#!/usr/bin/env bash
# Packs what the GPU check needs into one folder, by default .gpu-check/ at the repository's root
# (ignored by git), for a machine that has a GPU and no network, and maybe no Node:
#   run.sh                     the check (see its header)
#   dist/gpu-check.js, cli.js  the check and the kiln command, every npm dependency bundled in except webgpu
#   node_modules/webgpu/       Dawn for Node: its entry, and dawn.node (linux-x64) compressed
#   node.xz                    this machine's node binary, compressed, for a machine without Node 20+
#   data/mnist/, data/tinyshakespeare/, bench/torch_reference.py and nanogpt.py (the PyTorch references)
#   loaders/*.deb              the Vulkan, EGL and GL loader packages (Debian's), unpacked by run.sh only
#                              where the machine has no Vulkan loader; kept in .gl/ between packs
# The folder must fit, with the repository's tracked files, in the 64 MiB a device call carries.
# Usage: bash scripts/gpu-check/pack.sh [--out DIR] [--fast] [--no-loaders]
#   --fast        compress at xz level 0 (the script's test; the default, level 6, packs smaller)
#   --no-loaders  leave the loader packages out (a machine that has libvulkan1)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out="$repo/.gpu-check"
level=6
loaders=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$(realpath -m "$2"); shift 2 ;;
    --fast) level=0; shift ;;
    --no-loaders) loaders=0; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pack.sh: unknown option '$1' (options: --out DIR, --fast, --no-loaders)" >&2; exit 2 ;;
  esac
done
cd "$repo"
for tool in node xz; do
  command -v "$tool" >/dev/null || { echo "pack.sh: needs $tool on the PATH" >&2; exit 1; }
done
dawn=node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || { echo "pack.sh: $dawn is missing: run npm ci first" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/node_modules/webgpu/dist/linux-x64" "$out/data" "$out/bench" "$out/loaders"
node scripts/gpu-check/bundle.mjs "$out"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$out/node_modules/webgpu/"
xz -T0 "-$level" -c "$dawn" >"$out/$dawn.xz"
xz -T0 "-$level" -c "$(command -v node)" >"$out/node.xz"
node --version >"$out/node.version"
cp -r data/mnist "$out/data/"
cp bench/torch_reference.py bench/nanogpt.py "$out/bench/"
mkdir -p "$out/data/tinyshakespeare" && cp data/tinyshakespeare/input.txt "$out/data/tinyshakespeare/"
cp scripts/gpu-check/run.sh "$out/run.sh"
git rev-parse --short HEAD 2>/dev/null >"$out/VERSION" || echo unknown >"$out/VERSION"

if [ "$loaders" = 1 ]; then
  # Debian's loader packages, fetched once into .gl/ (the device tool's advice: apt-get download for
  # amd64 with lists of its own, so the host's apt state is untouched).
  packages=(libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  mkdir -p .gl
  missing=()
  for p in "${packages[@]}"; do ls .gl/"${p}"_*.deb >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    lists=$(mktemp -d)
    mkdir -p "$lists/partial"
    o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
    apt-get "${o[@]}" update -qq
    (cd .gl && apt-get "${o[@]}" download "${missing[@]}" 2>&1 | grep -v 'unsandboxed' || true)
    rm -rf "$lists"
  fi
  for p in "${packages[@]}"; do
    ls .gl/"${p}"_*.deb >/dev/null 2>&1 || { echo "pack.sh: could not fetch the $p package" >&2; exit 1; }
  done
  cp .gl/*.deb "$out/loaders/"
fi

bytes=$(du -sb "$out" | cut -f1)
tracked=$(git ls-files -z | xargs -0 cat 2>/dev/null | wc -c)
limit=$((64 * 1024 * 1024))
awk -v out="$out" -v b="$bytes" -v t="$tracked" 'BEGIN { m = 1048576; printf "packed %s: %.1f MiB (with the %.1f MiB of tracked files: %.1f of 64 MiB)\n", out, b / m, t / m, (b + t) / m }'
if [ $((bytes + tracked)) -gt "$limit" ]; then
  echo "pack.sh: too large for a device call (64 MiB with the tracked files)" >&2
  exit 1
fi
