/* Shared by the CUDA op tests (test_cuda_ops.c, test_cuda_index.c,
 * test_cuda_sort.c): the skip counter of GPU tests and the GPU-vs-CPU
 * comparison. Define CUDA_TEST_GROUP (a string naming the file's tests in the
 * skip report) before including. */
#ifndef CT_TEST_CUDA_CHECK_H
#define CT_TEST_CUDA_CHECK_H

#include "harness.h"

#include <stdio.h>

static int skipped;

__attribute__((destructor)) static void report_skipped(void) {
    if (skipped) fprintf(stderr, CUDA_TEST_GROUP ": %d GPU tests skipped (no GPU)\n", skipped);
}

/* true on a GPU machine; else counts the calling test as skipped. */
static bool gpu(void) {
    if (ct_cuda_is_available()) return true;
    skipped++;
    return false;
}

/* max relative |g - c| over the elements, g copied from the GPU; INFINITY
 * when g is not on the GPU, the shapes differ (or the dtypes, when
 * same_dtype), or NaNs disagree. */
static double gpu_cpu_diff(const ct_tensor *g, const ct_tensor *c, bool same_dtype) {
    if (!g || !c) return INFINITY;
    if (g->ndim != c->ndim || memcmp(g->sizes, c->sizes, sizeof(int64_t) * (size_t)g->ndim))
        return INFINITY;
    if (g->storage->device.type != CT_CUDA || (same_dtype && g->dtype != c->dtype))
        return INFINITY;
    /* values only (a copy of a tensor that requires grad is not recorded
     * by autograd across devices); NULL when the copy fails: the error
     * stays for the report */
    ct_tensor *hc = ct_cpu(ct_detach(g));
    if (!hc) return INFINITY;
    ct_tensor *h = ct_contiguous(ct_to_dtype(hc, CT_FLOAT64, false));
    ct_tensor *r = ct_contiguous(ct_to_dtype(c, CT_FLOAT64, false));
    if (!h || !r) return INFINITY;
    const double *a = ct_data_ptr(h), *b = ct_data_ptr(r);
    double m = 0;
    for (int64_t i = 0; i < h->numel; i++) {
        if (isnan(a[i]) != isnan(b[i])) return INFINITY;
        if (isnan(a[i]) || a[i] == b[i]) continue;
        double d = fabs(a[i] - b[i]) / (1 + fabs(b[i]));
        if (d > m) m = d;
    }
    return m;
}

#define CLOSE_GPU(g, c, tol, same_dtype)                                              \
    do {                                                                              \
        double d_ = gpu_cpu_diff((g), (c), (same_dtype));                             \
        if (!(d_ <= (tol))) {                                                         \
            ct_test_fail(__FILE__, __LINE__, "%s vs %s: max rel diff %g (error: %s)", \
                         #g, #c, d_, ct_last_error());                                \
            return;                                                                   \
        }                                                                             \
    } while (0)

#endif
