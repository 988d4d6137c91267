#!/bin/sh
# The CUDA C tests under compute-sanitizer's memcheck (out-of-bounds and
# misaligned device accesses, invalid frees), on a GPU machine:
#     make -j lib build/ctorch_tests && tools/cuda_memcheck.sh [filter]
# The filter is the test runner's substring (default: every "cuda" test).
# Without a GPU (or without compute-sanitizer) it says so and exits 0.
set -eu
cd "$(dirname "$0")/.."
SAN="${COMPUTE_SANITIZER:-$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)}"
if [ ! -x "$SAN" ]; then
    echo "cuda_memcheck: skipped (no compute-sanitizer)"
    exit 0
fi
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "cuda_memcheck: skipped (no GPU)"
    exit 0
fi
[ -x build/ctorch_tests ] || make -j2 lib build/ctorch_tests
exec "$SAN" --tool memcheck --error-exitcode 1 \
    build/ctorch_tests "${1:-cuda}"
