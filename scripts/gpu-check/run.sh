#!/usr/bin/env bash
# The GPU check, run from the folder scripts/gpu-check/pack.sh makes, on a machine with a GPU and no
# network, in under 9 minutes: it finds or unpacks Node, unpacks dawn.node, brings the Vulkan loader
# where the machine has none, points Vulkan at the NVIDIA driver's ICD where no ICD names it, prints
# `kiln info`, then runs dist/gpu-check.js (bench/gpu-check.ts: the training step, an epoch,
# inference, PyTorch, every matmul form, TensorFlow.js). Results: OUT/gpu-check.json and
# OUT/gpu-check.log, OUT being $OUT when set (the device tool's), else ./out.
# Usage: bash run.sh [--short] [--adapter gpu|swiftshader|llvmpipe|auto] [--out DIR] [--deadline SECONDS]
#   --short      tiny shapes, few steps: the script's own test on a software adapter
#   KILN_GPU_CHECK_NODE=carried uses the packed node even where one is installed (the test does).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
out="${OUT:-$here/out}"
adapter=gpu
deadline=450
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --short) extra+=(--short); shift ;;
    --adapter) adapter=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --deadline) deadline=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
log="$out/gpu-check.log"
: >"$log"
exec > >(tee -a "$log") 2>&1
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-gpu-check.XXXXXX")
echo "== GPU check $(cat VERSION 2>/dev/null) on $(uname -srm), $(date -u +%FT%TZ)"

# xz, else Python's lzma (a CUDA image has Python; it may lack xz-utils).
unxz_to() {
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}

node_bin=""
if [ "${KILN_GPU_CHECK_NODE:-}" != carried ] && command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  node_bin=$(command -v node)
else
  unxz_to node.xz "$work/node" && chmod +x "$work/node" && node_bin="$work/node"
fi
"$node_bin" --version >/dev/null || { echo "run.sh: no usable node (found: ${node_bin:-none})"; exit 1; }
echo "node: $node_bin $("$node_bin" --version)"

dawn=node_modules/webgpu/dist/linux-x64/dawn.node
[ -f "$dawn" ] || unxz_to "$dawn.xz" "$dawn" || { echo "run.sh: cannot unpack $dawn"; exit 1; }

if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  if ls loaders/*.deb >/dev/null 2>&1 && command -v dpkg >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      echo "no Vulkan loader: unpacking $(ls loaders | tr '\n' ' ')into /"
      for f in loaders/*.deb; do dpkg -x "$f" /; done
      ldconfig
    else
      echo "no Vulkan loader: unpacking the loader packages into $work/loaders"
      for f in loaders/*.deb; do dpkg -x "$f" "$work/loaders"; done
      export LD_LIBRARY_PATH="$work/loaders/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    fi
  else
    echo "warning: no Vulkan loader (libvulkan.so.1) and no loader packages to unpack"
  fi
fi

nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$nvidia_icd" ] &&
  ! grep -qs nvidia /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json; then
  echo "Vulkan: the NVIDIA ICD at $nvidia_icd"
  export VK_DRIVER_FILES="$nvidia_icd"
  egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  [ -f "$egl" ] && export __EGL_VENDOR_LIBRARY_FILENAMES="$egl"
  # The ICD names its library (libGLX_nvidia.so.0) without a folder: let the loader find the driver's.
  if [ -d /usr/local/nvidia/lib64 ] && ! ldconfig -p 2>/dev/null | grep -q 'libGLX_nvidia\.so\.0'; then
    export LD_LIBRARY_PATH="/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader

echo "== kiln info --adapter $adapter"
if ! "$node_bin" dist/cli.js info --adapter "$adapter"; then
  # One run is all a GPU machine gives: say what Vulkan sees before the check fails the same way.
  echo "== no adapter: Vulkan diagnostics"
  ls -l /dev/nvidia* /dev/dri 2>&1 | head -20
  ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>&1
  ldconfig -p 2>/dev/null | grep -Ei 'vulkan|nvidia|EGL' | head -20
  env | grep -E '^(VK_|__EGL|LD_LIBRARY_PATH)' || true
  VK_LOADER_DEBUG=error,warn,info "$node_bin" dist/cli.js info --adapter "$adapter" 2>&1 | head -60
fi
echo "== dist/gpu-check.js"
timeout $((deadline + 60)) "$node_bin" dist/gpu-check.js --adapter "$adapter" --out "$out" --deadline "$deadline" "${extra[@]}"
rc=$?
rm -rf "$work"
echo "== GPU check finished: exit $rc; $out/gpu-check.json"
exit $rc
