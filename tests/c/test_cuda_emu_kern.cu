// Kernels of the CUDA emulator's own tests (test_cuda_emu.c): barriers,
// warp shuffles and votes, atomics, dynamic shared memory, 2-D launches and
// the launch errors. Built only by the emulator build (make test-cuda-emu);
// plain CUDA, so it would run the same on a GPU.
#include <cuda_runtime.h>
#include <stdint.h>

#include "cuda/launch.h"

namespace {

// out[i] = shared value of the next thread: needs the barrier between the
// write and the read, and a tree sum that needs one per level.
__global__ void rotate_and_sum(const int *in, int *out, int *sums) {
    __shared__ int sh[1024];
    int t = threadIdx.x, n = blockDim.x, b = blockIdx.x;
    sh[t] = in[b * n + t];
    __syncthreads();
    int next = sh[(t + 1) % n];
    __syncthreads();
    out[b * n + t] = next;
    for (int s = 1; s < n; s *= 2) { // sums in place, every level behind a barrier
        int v = (t % (2 * s) == 0 && t + s < n) ? sh[t + s] : 0;
        __syncthreads();
        sh[t] += v;
        __syncthreads();
    }
    if (t == 0) sums[b] = sh[0];
}

// per thread: the sum of its warp by shfl_down (lane 0), by xor (every
// lane), lane 3's value by shfl, the inclusive prefix by shfl_up, a ballot.
__global__ void warp_ops(const double *in, double *down, double *xr, double *bc, double *scan,
                         unsigned *ballot) {
    int t = threadIdx.x, lane = t % 32;
    double v = in[t];
    double d = v;
    for (int o = 16; o > 0; o /= 2) d += __shfl_down_sync(0xffffffffu, d, o);
    double x = v;
    for (int o = 16; o > 0; o /= 2) x += __shfl_xor_sync(0xffffffffu, x, o);
    double b = __shfl_sync(0xffffffffu, v, 3);
    double s = v;
    for (int o = 1; o < 32; o *= 2) {
        double u = __shfl_up_sync(0xffffffffu, s, o);
        if (lane >= o) s += u;
    }
    unsigned bl = __ballot_sync(0xffffffffu, v > 0);
    down[t] = d;
    xr[t] = x;
    bc[t] = b;
    scan[t] = s;
    ballot[t] = bl;
}

__global__ void atomics(int *cnt, float *fsum, double *dsum, int *mx, int *mn, unsigned long long *cas,
                        int *exch) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    atomicAdd(cnt, 1);
    atomicAdd(fsum, 0.5f);
    atomicAdd(dsum, (double)i);
    atomicMax(mx, i);
    atomicMin(mn, -i);
    unsigned long long old = *cas, seen;
    do { // an increment by compare-and-swap
        seen = old;
        old = atomicCAS(cas, seen, seen + 1);
    } while (old != seen);
    if (i == 77) atomicExch(exch, i);
}

// reverses each block's slice through dynamic shared memory
__global__ void reverse(const float *in, float *out, int n) {
    CT_DYNAMIC_SHARED(float, buf);
    int t = threadIdx.x, base = blockIdx.x * n;
    for (int i = t; i < n; i += blockDim.x) buf[i] = in[base + i];
    __syncthreads();
    for (int i = t; i < n; i += blockDim.x) out[base + i] = buf[n - 1 - i];
}

// a 2-D grid of 2-D blocks writes its coordinates
__global__ void coords(int *out, int W, int H) {
    int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x < W && y < H) out[y * W + x] = y * 1000 + x;
}

// threads of one warp at different barriers: a deadlock
__global__ void divergent(int *out) {
    if (threadIdx.x == 0) __syncthreads();
    else out[threadIdx.x] = __shfl_down_sync(0xffffffffu, (int)threadIdx.x, 1);
}

__global__ void touch(int *p) { p[threadIdx.x] = 1; }

int status() { return (int)cudaGetLastError(); }

} // namespace

extern "C" {

int ct__emu_test_rotate(const int *in, int *out, int *sums, int blocks, int threads) {
    CT_LAUNCH(rotate_and_sum, blocks, threads, 0, 0, in, out, sums);
    return status();
}
int ct__emu_test_warp(const double *in, double *down, double *xr, double *bc, double *scan,
                      unsigned *ballot, int threads) {
    CT_LAUNCH(warp_ops, 1, threads, 0, 0, in, down, xr, bc, scan, ballot);
    return status();
}
int ct__emu_test_atomics(int *cnt, float *fsum, double *dsum, int *mx, int *mn, unsigned long long *cas,
                         int *exch, int blocks, int threads) {
    CT_LAUNCH(atomics, blocks, threads, 0, 0, cnt, fsum, dsum, mx, mn, cas, exch);
    return status();
}
int ct__emu_test_reverse(const float *in, float *out, int n, int blocks, int threads, size_t shmem) {
    CT_LAUNCH(reverse, blocks, threads, shmem, 0, in, out, n);
    return status();
}
int ct__emu_test_coords(int *out, int W, int H) {
    dim3 block(16, 4), grid((W + 15) / 16, (H + 3) / 4);
    CT_LAUNCH(coords, grid, block, 0, 0, out, W, H);
    return status();
}
int ct__emu_test_divergent(int *out) {
    CT_LAUNCH(divergent, 1, 32, 0, 0, out);
    return status();
}
int ct__emu_test_touch(int *p, int threads, void *stream) {
    CT_LAUNCH(touch, 1, threads, 0, (cudaStream_t)stream, p);
    return status();
}

}
