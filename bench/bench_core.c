/* Engine benchmarks (issue: tensor engine): per-op overhead, bandwidth-bound
 * elementwise and reduction ops, transcendental ops, GEMM; plus the machine's
 * own limits measured in the same run (a plain C copy loop, OpenBLAS and
 * oneDNN's sgemm called directly). Prints one JSON object per line; bench/run.py adds PyTorch. */
#include "bench_util.h"
#include "ctorch/ctorch.h"

#include <cblas.h>
#include <omp.h>
#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>
/* weak: a build without oneDNN (make DNNL=0) links no libdnnl, and the
 * oneDNN row is left out */
#pragma weak dnnl_sgemm
#define HAVE_DNNL_H 1
#endif
#include <string.h>
#include <sys/mman.h>

#define N16M (16 * 1024 * 1024)

typedef struct {
    ct_tensor *a, *b;
    float *x, *y, *z, *hx, *hy;
    int64_t n;
} ctx_t;

static void copy_loop(void *p) {
    ctx_t *c = p;
    float *restrict dst = c->y;
    const float *restrict src = c->x;
    int64_t n = c->n;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) dst[i] = src[i];
}

/* The same loop over 2 MiB pages (ctorch's allocator asks for transparent
 * huge pages for blocks of 2 MiB and more): reported next to the plain
 * loop, which the goal fractions use. */
static void copy_loop_huge(void *p) {
    ctx_t *c = p;
    float *restrict dst = c->hy;
    const float *restrict src = c->hx;
    int64_t n = c->n;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) dst[i] = src[i];
}

static float *huge_alloc(size_t nbytes) {
    void *p = NULL;
    if (posix_memalign(&p, (size_t)2 << 20, nbytes) != 0) return NULL;
    madvise(p, nbytes, MADV_HUGEPAGE);
    memset(p, 0, nbytes);
    return p;
}

static void add_op(void *p) {
    ctx_t *c = p;
    ct_scope s = ct_scope_begin();
    ct_add(c->a, c->b);
    ct_scope_end(s);
}
static void add_owned(void *p) { /* no scope: the C caller owns the result */
    ctx_t *c = p;
    ct_release(ct_add(c->a, c->b));
}
static void sum_op(void *p) {
    ctx_t *c = p;
    ct_release(ct_sum(c->a));
}
static void exp_op(void *p) {
    ctx_t *c = p;
    ct_release(ct_exp(c->a));
}
static void tanh_op(void *p) {
    ctx_t *c = p;
    ct_release(ct_tanh(c->a));
}
static void mm_op(void *p) {
    ctx_t *c = p;
    ct_release(ct_mm(c->a, c->b));
}
static void sgemm_direct(void *p) {
    ctx_t *c = p;
    int n = (int)c->n;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, c->x, n, c->y, n, 0.0f,
                c->z, n);
}

#ifdef HAVE_DNNL_H
static void dnnl_direct(void *p) { /* oneDNN's sgemm, which ctorch's float32 mm runs on */
    ctx_t *c = p;
    dnnl_dim_t n = c->n;
    dnnl_sgemm('N', 'N', n, n, n, 1.0f, c->x, n, c->y, n, 0.0f, c->z, n);
}
#endif

int main(int argc, char **argv) {
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int reps = quick ? 5 : 15;
    printf("{\"name\": \"threads\", \"value\": %d}\n", ct_get_num_threads());

    /* machine limit: plain C copy loop over 16M floats, all threads */
    ctx_t c = {0};
    c.n = N16M;
    c.x = aligned_alloc(64, sizeof(float) * N16M);
    c.y = aligned_alloc(64, sizeof(float) * N16M);
    for (int64_t i = 0; i < N16M; i++) c.x[i] = c.y[i] = (float)(i % 1000) * 1e-3f;

    /* per-op overhead: 1-element add */
    float two = 2.0f, three = 3.0f;
    int64_t one[1] = {1};
    c.a = ct_from_data(&two, one, 1, CT_FLOAT32);
    c.b = ct_from_data(&three, one, 1, CT_FLOAT32);
    bench_report("add_1elem_scoped", bench_time(add_op, &c, 100000, reps), 0, 0);
    bench_report("add_1elem_owned", bench_time(add_owned, &c, 100000, reps), 0, 0);
    ct_release(c.a);
    ct_release(c.b);

    /* bandwidth-bound: 16M add and sum, measured round-robin with the copy
     * loop (their fractions of it are the goals), then exp and tanh */
    int64_t shp[1] = {N16M};
    c.a = ct_from_data(c.x, shp, 1, CT_FLOAT32);
    c.b = ct_from_data(c.y, shp, 1, CT_FLOAT32);
    c.hx = huge_alloc(sizeof(float) * N16M);
    c.hy = huge_alloc(sizeof(float) * N16M);
    memcpy(c.hx, c.x, sizeof(float) * N16M);
    void (*const bw[4])(void *) = {copy_loop, add_owned, sum_op, copy_loop_huge};
    double bws[4];
    bench_time_rr(4, bw, &c, 5, reps, bws);
    bench_report("copy_16M_f32_c_loop_hugepages", bws[3], 2.0 * 4 * N16M, 0);
    free(c.hx);
    free(c.hy);
    bench_report("copy_16M_f32_c_loop", bws[0], 2.0 * 4 * N16M, 0);
    bench_report("add_16M_f32", bws[1], 3.0 * 4 * N16M, 0);
    bench_report("sum_16M_f32", bws[2], 1.0 * 4 * N16M, 0);
    /* bytes per second as a fraction of the copy loop's (goal: 0.9) */
    bench_value("add_16M_f32_of_copy_loop", (3.0 / bws[1]) / (2.0 / bws[0]));
    bench_value("sum_16M_f32_of_copy_loop", (1.0 / bws[2]) / (2.0 / bws[0]));
    bench_report("exp_16M_f32", bench_time(exp_op, &c, 3, reps), 2.0 * 4 * N16M, 0);
    bench_report("tanh_16M_f32", bench_time(tanh_op, &c, 3, reps), 2.0 * 4 * N16M, 0);
    ct_release(c.a);
    ct_release(c.b);

    /* GEMM 2048 against OpenBLAS and oneDNN called directly (own warm output
     * buffer), round-robin */
    int n = 2048;
    int64_t ms[2] = {n, n};
    c.n = n;
    c.a = ct_from_data(c.x, ms, 2, CT_FLOAT32);
    c.b = ct_from_data(c.y, ms, 2, CT_FLOAT32);
    c.z = aligned_alloc(64, sizeof(float) * (size_t)n * n);
    memset(c.z, 0, sizeof(float) * (size_t)n * n);
    double fl = 2.0 * n * (double)n * n;
    void (*mmf[3])(void *) = {sgemm_direct, mm_op, NULL};
    int nmm = 2;
#ifdef HAVE_DNNL_H
    if (dnnl_sgemm) mmf[nmm++] = dnnl_direct;
#endif
    double mms[3];
    bench_time_rr(nmm, mmf, &c, 1, quick ? 3 : 7, mms);
    bench_report("sgemm_2048_openblas_direct", mms[0], 0, fl);
    if (nmm > 2) bench_report("sgemm_2048_dnnl_direct", mms[2], 0, fl);
    bench_report("mm_2048_f32", mms[1], 0, fl);
    /* speed as a fraction of OpenBLAS direct (goal: 0.95), and of oneDNN */
    bench_value("mm_2048_f32_of_openblas_direct", mms[0] / mms[1]);
    if (nmm > 2) bench_value("mm_2048_f32_of_dnnl_direct", mms[2] / mms[1]);
    ct_release(c.a);
    ct_release(c.b);
    free(c.z);
    free(c.x);
    free(c.y);
    return 0;
}
