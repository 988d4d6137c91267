/* The CUDA CPU emulator itself (src/cuda/emu; built and run by `make
 * test-cuda-emu` only): barriers, warp shuffles and votes, atomics, dynamic
 * shared memory, 2-D launches, the launch errors a GPU gives, and the
 * emulated runtime's checks. The kernels are in test_cuda_emu_kern.cu;
 * results are checked against loops here. */
#include "harness.h"

#ifdef CT_CUDA_EMU
#include <cuda_runtime_api.h>
#include <stdio.h>

int ct__emu_test_rotate(const int *in, int *out, int *sums, int blocks, int threads);
int ct__emu_test_warp(const double *in, double *down, double *xr, double *bc, double *scan,
                      unsigned *ballot, int threads);
int ct__emu_test_atomics(int *cnt, float *fsum, double *dsum, int *mx, int *mn,
                         unsigned long long *cas, int *exch, int blocks, int threads);
int ct__emu_test_reverse(const float *in, float *out, int n, int blocks, int threads, size_t shmem);
int ct__emu_test_coords(int *out, int W, int H);
int ct__emu_test_divergent(int *out);
int ct__emu_test_touch(int *p, int threads, void *stream);
size_t ct__cuda_emu_set_memory_limit(size_t bytes);

static void *dev(size_t n) {
    void *p = NULL;
    return cudaMalloc(&p, n) == cudaSuccess ? p : NULL;
}

TEST(cuda_emu, barrier_rotates_and_sums) {
    enum { B = 3, T = 200 };
    int in[B * T], out[B * T], sums[B];
    for (int i = 0; i < B * T; i++) in[i] = i * 7 % 31;
    int *din = dev(sizeof in), *dout = dev(sizeof out), *ds = dev(sizeof sums);
    CHECK(din && dout && ds);
    CHECK(cudaMemcpy(din, in, sizeof in, cudaMemcpyHostToDevice) == cudaSuccess);
    CHECK(ct__emu_test_rotate(din, dout, ds, B, T) == cudaSuccess);
    CHECK(cudaMemcpy(out, dout, sizeof out, cudaMemcpyDeviceToHost) == cudaSuccess);
    CHECK(cudaMemcpy(sums, ds, sizeof sums, cudaMemcpyDeviceToHost) == cudaSuccess);
    for (int b = 0; b < B; b++) {
        int s = 0;
        for (int t = 0; t < T; t++) {
            CHECK(out[b * T + t] == in[b * T + (t + 1) % T]);
            s += in[b * T + t];
        }
        CHECK(sums[b] == s);
    }
    cudaFree(din), cudaFree(dout), cudaFree(ds);
}

TEST(cuda_emu, warp_shuffles_and_ballot) {
    /* 80 threads: two full warps and a partial one of 16 lanes */
    enum { T = 80 };
    double in[T], down[T], xr[T], bc[T], scan[T];
    unsigned ballot[T];
    for (int i = 0; i < T; i++) in[i] = (i % 5) - 1.5 + i * 0.25;
    double *d = dev(sizeof in * 5);
    unsigned *db = dev(sizeof ballot);
    CHECK(d && db);
    CHECK(cudaMemcpy(d, in, sizeof in, cudaMemcpyHostToDevice) == cudaSuccess);
    CHECK(ct__emu_test_warp(d, d + T, d + 2 * T, d + 3 * T, d + 4 * T, db, T) == cudaSuccess);
    CHECK(cudaMemcpy(down, d + T, sizeof in, cudaMemcpyDeviceToHost) == cudaSuccess);
    CHECK(cudaMemcpy(xr, d + 2 * T, sizeof in, cudaMemcpyDeviceToHost) == cudaSuccess);
    CHECK(cudaMemcpy(bc, d + 3 * T, sizeof in, cudaMemcpyDeviceToHost) == cudaSuccess);
    CHECK(cudaMemcpy(scan, d + 4 * T, sizeof in, cudaMemcpyDeviceToHost) == cudaSuccess);
    CHECK(cudaMemcpy(ballot, db, sizeof ballot, cudaMemcpyDeviceToHost) == cudaSuccess);
    for (int w = 0; w < T; w += 32) {
        int n = T - w < 32 ? T - w : 32;
        double sum = 0, pre = 0;
        unsigned bl = 0;
        for (int l = 0; l < n; l++) {
            sum += in[w + l];
            if (in[w + l] > 0) bl |= 1u << l;
        }
        /* lane 0's shfl_down sum is the warp's (reading lanes a partial
         * warp lacks is undefined on a GPU: not checked) */
        if (n == 32) CHECK_CLOSE(down[w], sum, 1e-12);
        for (int l = 0; l < n; l++) {
            pre += in[w + l];
            if (n == 32) CHECK_CLOSE(xr[w + l], sum, 1e-12);
            CHECK(bc[w + l] == in[w + 3]);
            CHECK_CLOSE(scan[w + l], pre, 1e-12);
            CHECK(ballot[w + l] == bl);
        }
    }
    cudaFree(d), cudaFree(db);
}

TEST(cuda_emu, atomics_are_exact) {
    enum { B = 7, T = 96, N = B * T };
    char *m = dev(256);
    CHECK(m);
    int *cnt = (int *)m, *mx = (int *)(m + 4), *mn = (int *)(m + 8), *ex = (int *)(m + 12);
    float *fs = (float *)(m + 16);
    double *dsum = (double *)(m + 24);
    unsigned long long *cas = (unsigned long long *)(m + 32);
    CHECK(cudaMemsetAsync(m, 0, 40, NULL) == cudaSuccess);
    CHECK(ct__emu_test_atomics(cnt, fs, dsum, mx, mn, cas, ex, B, T) == cudaSuccess);
    char h[40];
    CHECK(cudaMemcpy(h, m, 40, cudaMemcpyDeviceToHost) == cudaSuccess);
    int hi[4];
    float hf;
    double hd;
    unsigned long long hc;
    memcpy(hi, h, 16), memcpy(&hf, h + 16, 4), memcpy(&hd, h + 24, 8), memcpy(&hc, h + 32, 8);
    CHECK(hi[0] == N && hi[1] == N - 1 && hi[2] == -(N - 1) && hi[3] == 77);
    CHECK(hf == 0.5f * N);
    CHECK(hd == (double)N * (N - 1) / 2);
    CHECK(hc == N);
    cudaFree(m);
}

TEST(cuda_emu, dynamic_shared_memory) {
    enum { B = 4, N = 300 };
    float in[B * N], out[B * N];
    for (int i = 0; i < B * N; i++) in[i] = (float)i * 0.5f;
    float *d = dev(sizeof in * 2);
    CHECK(d);
    CHECK(cudaMemcpy(d, in, sizeof in, cudaMemcpyHostToDevice) == cudaSuccess);
    CHECK(ct__emu_test_reverse(d, d + B * N, N, B, 64, N * sizeof(float)) == cudaSuccess);
    CHECK(cudaMemcpy(out, d + B * N, sizeof out, cudaMemcpyDeviceToHost) == cudaSuccess);
    for (int b = 0; b < B; b++)
        for (int i = 0; i < N; i++) CHECK(out[b * N + i] == in[b * N + N - 1 - i]);
    /* above the 48 KiB a block may have without opting in */
    CHECK(ct__emu_test_reverse(d, d + B * N, N, B, 64, 64 << 10) == cudaErrorInvalidValue);
    cudaFree(d);
}

TEST(cuda_emu, two_dimensional_launch) {
    enum { W = 37, H = 10 };
    int out[W * H];
    int *d = dev(sizeof out);
    CHECK(d);
    CHECK(ct__emu_test_coords(d, W, H) == cudaSuccess);
    CHECK(cudaMemcpy(out, d, sizeof out, cudaMemcpyDeviceToHost) == cudaSuccess);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) CHECK(out[y * W + x] == y * 1000 + x);
    cudaFree(d);
}

TEST(cuda_emu, launch_errors) {
    int *d = dev(4096), host[32];
    CHECK(d);
    CHECK(ct__emu_test_touch(d, 1025, NULL) == cudaErrorInvalidConfiguration);
    CHECK(ct__emu_test_touch(d, 0, NULL) == cudaErrorInvalidConfiguration);
    CHECK(ct__emu_test_touch(host, 32, NULL) == cudaErrorIllegalAddress);
    CHECK(ct__emu_test_divergent(d) == cudaErrorLaunchFailure);
    CHECK(cudaGetLastError() == cudaSuccess);
    /* the detail rides on the error string while the error is the last one */
    CHECK(ct__emu_test_touch(host, 32, NULL) == cudaErrorIllegalAddress);
    CHECK(strstr(cudaGetErrorString(cudaErrorIllegalAddress), "not device memory"));
    /* another device's memory, another device's stream, a destroyed stream */
    int *d1 = NULL;
    cudaStream_t s1 = NULL, s0 = NULL;
    CHECK(cudaSetDevice(1) == cudaSuccess);
    CHECK(cudaMalloc((void **)&d1, 128) == cudaSuccess);
    CHECK(cudaStreamCreateWithPriority(&s1, 0, 0) == cudaSuccess);
    CHECK(ct__emu_test_touch(d1, 32, s1) == cudaSuccess);
    CHECK(cudaSetDevice(0) == cudaSuccess);
    CHECK(ct__emu_test_touch(d1, 32, NULL) == cudaErrorIllegalAddress);
    CHECK(ct__emu_test_touch(d, 32, s1) == cudaErrorInvalidResourceHandle);
    CHECK(cudaStreamCreateWithPriority(&s0, 0, 0) == cudaSuccess);
    CHECK(ct__emu_test_touch(d, 32, s0) == cudaSuccess);
    CHECK(cudaStreamDestroy(s0) == cudaSuccess);
    CHECK(ct__emu_test_touch(d, 32, s0) == cudaErrorInvalidResourceHandle);
    CHECK(cudaStreamDestroy(s1) == cudaSuccess);
    cudaFree(d1);
    cudaFree(d);
}

TEST(cuda_emu, runtime_checks) {
    int *d = dev(64), h[16] = {0};
    CHECK(d);
    /* fresh device memory reads as 0xff bytes */
    CHECK(cudaMemcpy(h, d, 64, cudaMemcpyDeviceToHost) == cudaSuccess && h[0] == -1 && h[15] == -1);
    CHECK(cudaMemcpy(h, d, 64, cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
    CHECK(cudaMemcpy(d, h, 65, cudaMemcpyHostToDevice) == cudaErrorInvalidValue);
    CHECK(cudaMemcpy(h, h + 8, 16, cudaMemcpyDeviceToHost) == cudaErrorInvalidValue);
    CHECK(cudaMemcpyPeer(d, 1, d, 0, 16) == cudaErrorInvalidValue);
    CHECK(cudaFree(h) == cudaErrorInvalidValue);
    (void)cudaGetLastError();
    /* events: timing needs two recorded timing events of the stream's device */
    cudaEvent_t a, b, nt;
    float ms = -1;
    CHECK(cudaEventCreateWithFlags(&a, cudaEventDefault) == cudaSuccess);
    CHECK(cudaEventCreateWithFlags(&b, cudaEventDefault) == cudaSuccess);
    CHECK(cudaEventCreateWithFlags(&nt, cudaEventDisableTiming) == cudaSuccess);
    CHECK(cudaEventElapsedTime(&ms, a, b) == cudaErrorInvalidResourceHandle);
    CHECK(cudaEventRecord(a, NULL) == cudaSuccess && cudaEventRecord(b, NULL) == cudaSuccess);
    CHECK(cudaEventRecord(nt, NULL) == cudaSuccess);
    CHECK(cudaEventElapsedTime(&ms, a, b) == cudaSuccess && ms >= 0);
    CHECK(cudaEventElapsedTime(&ms, a, nt) == cudaErrorInvalidResourceHandle);
    CHECK(cudaSetDevice(1) == cudaSuccess);
    CHECK(cudaEventRecord(a, NULL) == cudaErrorInvalidResourceHandle);
    CHECK(cudaSetDevice(0) == cudaSuccess);
    cudaEventDestroy(a), cudaEventDestroy(b), cudaEventDestroy(nt);
    (void)cudaGetLastError();
    struct cudaDeviceProp p;
    CHECK(cudaGetDeviceProperties(&p, 1) == cudaSuccess && p.warpSize == 32);
    char name[64];
    CHECK(ct_cuda_get_device_name(0, name, sizeof name) == 0 && strstr(name, "emulator"));
    cudaFree(d);
}

/* a device of 16 MiB: the caching allocator gives its cache back and
 * retries before it reports the out-of-memory error */
TEST(cuda_emu, allocator_out_of_memory) {
    ct_scope sc = ct_scope_begin();
    ct_cuda_empty_cache();
    size_t old = ct__cuda_emu_set_memory_limit((size_t)16 << 20);
    ct_device g = {CT_CUDA, 0};
    ct_tensor *a = ct_empty_device((int64_t[]){(int64_t)3 << 20}, 1, CT_FLOAT32, g); /* 12 MiB */
    CHECK_OK(a);
    ct_release(ct_keep(a));
    ct_scope_end(sc);
    sc = ct_scope_begin();
    /* 12 MiB are cached; 8 MiB more fit only after the cache is given back */
    ct_tensor *b = ct_empty_device((int64_t[]){(int64_t)2 << 20}, 1, CT_FLOAT32, g);
    CHECK_OK(b);
    CHECK_ERR(ct_empty_device((int64_t[]){(int64_t)4 << 20}, 1, CT_FLOAT32, g), "CUDA out of memory");
    ct_scope_end(sc);
    ct__cuda_emu_set_memory_limit(old);
    ct_cuda_empty_cache();
}
#endif
