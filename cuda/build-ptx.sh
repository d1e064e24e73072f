#!/usr/bin/env bash
# build-ptx.sh OUTDIR: compile every cuda/*.cu to OUTDIR/<name>.ptx with
# Debian's clang-16 (CUDA device code only; no CUDA SDK, no libdevice). The
# flags are fixed here, in one place, so `make ptx` and the freshness test
# (TestPTXFresh) build the same bytes. CLANG overrides the compiler.
set -euo pipefail
out=${1:?usage: build-ptx.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
clang=${CLANG:-clang-16}
if ! command -v "$clang" >/dev/null 2>&1; then
	echo "build-ptx: $clang not found (install Debian clang-16: bash .ci/need clang-16 clang-16)" >&2
	exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
# -ffp-contract=off: no implicit FMA fusion, so the kernels round like the
# Go reference (which does not fuse on amd64); explicit fmaf where wanted.
flags=(-x cuda -nocudainc -nocudalib --cuda-device-only --cuda-gpu-arch=sm_80
	-O3 -ffp-contract=off -fno-exceptions -std=c++17 -Wall -Werror -S)
cd "$here"
for src in *.cu; do
	name=${src%.cu}
	# Compile to a temp name and rename: a failed build leaves no half file.
	"$clang" "${flags[@]}" -o "$out/.$name.ptx.tmp" "$src"
	mv "$out/.$name.ptx.tmp" "$out/$name.ptx"
done
