/* Devices and the CUDA layer from C. On a machine without a GPU the GPU
 * comparisons are skipped (reported on stderr); what always runs checks
 * device strings and the truthful errors of a build without a usable GPU. */
#include "harness.h"

#include <stdio.h>

TEST(cuda_device, parse_and_print) {
    ct_device d;
    char b[16];
    CHECK(ct_device_parse("cpu", &d) == 0 && d.type == CT_CPU);
    CHECK(ct_device_parse("cuda", &d) == 0 && d.type == CT_CUDA && d.index == -1);
    CHECK(ct_device_parse("cuda:3", &d) == 0 && d.type == CT_CUDA && d.index == 3);
    CHECK(strcmp(ct_device_str(d, b, sizeof b), "cuda:3") == 0);
    CHECK(ct_device_parse("cuda:x", &d) < 0 && strstr(ct_last_error(), "Invalid device string"));
    CHECK(ct_device_parse("tpu", &d) < 0 && strstr(ct_last_error(), "Expected one of cpu, cuda"));
}

TEST(cuda_device, without_gpu_errors_cleanly) {
    if (ct_cuda_is_available()) return; /* covered by the GPU tests below */
    ct_scope sc = ct_scope_begin();
    CHECK(ct_cuda_device_count() == 0);
    ct_tensor *x = ct_ones((int64_t[]){3}, 1, CT_FLOAT32);
    CHECK(ct_cpu(x) == x);
    CHECK_ERR(ct_cuda(x), ct_cuda_version() ? "NVIDIA driver" : "not compiled with CUDA");
    CHECK_ERR(ct_empty_device((int64_t[]){2}, 1, CT_FLOAT32, (ct_device){CT_CUDA, 0}),
              ct_cuda_version() ? "" : "not compiled with CUDA");
    CHECK(ct_cuda_current_device() < 0);
    CHECK(ct_cuda_memory_stats_get(-1).allocated == 0);
    ct_scope_end(sc);
}

/* ---------------------------------------------------------------- on a GPU */
static bool gpu(const char *what) {
    if (ct_cuda_is_available()) return true;
    static int said;
    if (!said++) fprintf(stderr, "cuda: no GPU, GPU comparisons skipped\n");
    (void)what;
    return false;
}

static double max_abs_diff(const ct_tensor *g, const ct_tensor *c) {
    if (!g || !c || !(g = ct_cpu(ct_detach(g)))) return INFINITY;
    ct_tensor *h = ct_to_dtype(g, CT_FLOAT64, false);
    ct_tensor *r = ct_to_dtype(c, CT_FLOAT64, false);
    if (!h || !r || h->numel != r->numel) return INFINITY;
    h = ct_contiguous(h);
    r = ct_contiguous(r);
    const double *a = ct_data_ptr(h), *b = ct_data_ptr(r);
    double m = 0;
    for (int64_t i = 0; i < h->numel; i++) {
        double d = fabs(a[i] - b[i]);
        if (isnan(a[i]) != isnan(b[i])) return INFINITY;
        if (d > m) m = d;
    }
    return m;
}

TEST(cuda_pointwise, matches_cpu) {
    if (!gpu("pointwise")) return;
    ct_scope sc = ct_scope_begin();
    ct_tensor *x = tt_rand((int64_t[]){4, 1, 6}, 3, CT_FLOAT32, -2, 2, 1);
    ct_tensor *y = tt_rand((int64_t[]){5, 1}, 2, CT_FLOAT64, -2, 2, 2);
    ct_tensor *gx = ct_cuda(x), *gy = ct_cuda(y);
    CHECK_OK(gx);
    CHECK_OK(gy);
    CHECK(max_abs_diff(gx, x) == 0);
    CHECK(max_abs_diff(ct_add(gx, gy), ct_add(x, y)) < 1e-6);
    CHECK(max_abs_diff(ct_mul(gx, gy), ct_mul(x, y)) < 1e-6);
    CHECK(max_abs_diff(ct_div(gx, gy), ct_div(x, y)) < 1e-5);
    CHECK(max_abs_diff(ct_tanh(ct_transpose(gx, 0, 2)), ct_tanh(ct_transpose(x, 0, 2))) < 1e-6);
    CHECK(max_abs_diff(ct_lt(gx, gy), ct_lt(x, y)) == 0);
    CHECK_ERR(ct_add(gx, y), "same device");
    ct_scope_end(sc);
}

TEST(cuda_alloc, reuses_cached_blocks) {
    if (!gpu("alloc")) return;
    ct_scope sc = ct_scope_begin();
    ct_tensor *x = ct_cuda(ct_ones((int64_t[]){1 << 20}, 1, CT_FLOAT32));
    CHECK_OK(x);
    for (int i = 0; i < 3; i++) {
        ct_scope s2 = ct_scope_begin();
        CHECK_OK(ct_add_scalar(ct_mul_scalar(x, 2), 1));
        ct_scope_end(s2);
    }
    uint64_t n = ct_cuda_memory_stats_get(-1).driver_allocs;
    for (int i = 0; i < 10; i++) {
        ct_scope s2 = ct_scope_begin();
        CHECK_OK(ct_add_scalar(ct_mul_scalar(x, 2), 1));
        ct_scope_end(s2);
    }
    CHECK(ct_cuda_memory_stats_get(-1).driver_allocs == n);
    ct_scope_end(sc);
}
