/* The fused optimizer steps on the GPU (src/cuda/optim.cu) against the CPU
 * updates: SGD (momentum, nesterov, weight decay, maximize) and Adam/AdamW
 * (amsgrad) over a few steps, directly and through ct_optimizer. Without a
 * GPU each test counts itself as skipped. */
#include "harness.h"

#include <stdio.h>

static int skipped;

__attribute__((destructor)) static void report_skipped(void) {
    if (skipped) fprintf(stderr, "cuda optim: %d GPU tests skipped (no GPU)\n", skipped);
}

static bool gpu(void) {
    if (ct_cuda_is_available()) return true;
    skipped++;
    return false;
}

/* max relative |g - c|; INFINITY unless g is on the GPU with c's shape. */
static double diff(const ct_tensor *g, const ct_tensor *c) {
    if (!g || !c || g->numel != c->numel || g->storage->device.type != CT_CUDA) return INFINITY;
    if (!(g = ct_cpu(ct_detach(g)))) return INFINITY; /* values only */
    ct_tensor *h = ct_contiguous(ct_to_dtype(g, CT_FLOAT64, false));
    ct_tensor *r = ct_contiguous(ct_to_dtype(c, CT_FLOAT64, false));
    if (!h || !r) return INFINITY;
    const double *a = ct_data_ptr(h), *b = ct_data_ptr(r);
    double m = 0;
    for (int64_t i = 0; i < h->numel; i++) {
        double d = fabs(a[i] - b[i]) / (1 + fabs(b[i]));
        if (!(d <= m)) m = d;
    }
    return m;
}

#define CLOSE(g, c, tol) CHECK(diff((g), (c)) <= (tol))

static ct_tensor *copy_to_gpu(const ct_tensor *t) { return ct_cuda(ct_clone(t)); }

TEST(cuda_optim, sgd_update_matches_cpu) {
    if (!gpu()) return;
    for (int k = 0; k < 2; k++) {
        ct_dtype dt = k ? CT_FLOAT64 : CT_FLOAT32;
        double tol = k ? 1e-12 : 1e-5;
        for (int variant = 0; variant < 3; variant++) {
            ct_sgd_options o = ct_sgd_defaults();
            o.lr = 0.1;
            o.momentum = variant ? 0.9 : 0;
            o.nesterov = variant == 2;
            o.weight_decay = variant == 1 ? 0.01 : 0;
            o.maximize = variant == 1;
            o.dampening = variant == 1 ? 0.1 : 0;
            ct_tensor *p = tt_rand(SHAPE(70001), 1, dt, -1, 1, 1), *gp = copy_to_gpu(p);
            ct_tensor *b = ct_zeros(SHAPE(70001), 1, dt), *gb = copy_to_gpu(b);
            for (int s = 0; s < 3; s++) {
                ct_tensor *g = tt_rand(SHAPE(70001), 1, dt, -1, 1, 10 + s);
                CHECK(ct_sgd_update_(p, g, o.momentum ? b : NULL, s == 0, &o) == 0);
                CHECK(ct_sgd_update_(gp, ct_cuda(g), o.momentum ? gb : NULL, s == 0, &o) == 0);
            }
            CLOSE(gp, p, tol);
            if (o.momentum) CLOSE(gb, b, tol);
        }
    }
    /* a gradient on another device is an error */
    ct_sgd_options o = ct_sgd_defaults();
    o.lr = 0.1;
    ct_tensor *gp = ct_cuda(ct_ones(SHAPE(3), 1, CT_FLOAT32));
    CHECK(ct_sgd_update_(gp, ct_ones(SHAPE(3), 1, CT_FLOAT32), NULL, true, &o) < 0);
    CHECK(strstr(ct_last_error(), "same device") != NULL);
    /* empty parameters are fine */
    ct_tensor *e = ct_cuda(ct_zeros(SHAPE(0), 1, CT_FLOAT32));
    CHECK(ct_sgd_update_(e, e, NULL, true, &o) == 0);
}

TEST(cuda_optim, adam_adamw_update_matches_cpu) {
    if (!gpu()) return;
    for (int k = 0; k < 2; k++) {
        ct_dtype dt = k ? CT_FLOAT64 : CT_FLOAT32;
        double tol = k ? 1e-12 : 1e-5;
        for (int variant = 0; variant < 4; variant++) {
            bool decoupled = variant & 1;
            ct_adam_options o = decoupled ? ct_adamw_defaults() : ct_adam_defaults();
            o.amsgrad = variant & 2;
            o.weight_decay = 0.05;
            o.maximize = variant == 3;
            int64_t n = 40000;
            ct_tensor *p = tt_rand(SHAPE(n), 1, dt, -1, 1, 2), *gp = copy_to_gpu(p);
            ct_tensor *m = ct_zeros(SHAPE(n), 1, dt), *v = ct_zeros(SHAPE(n), 1, dt),
                      *mx = ct_zeros(SHAPE(n), 1, dt);
            ct_tensor *gm = copy_to_gpu(m), *gv = copy_to_gpu(v), *gmx = copy_to_gpu(mx);
            for (int s = 1; s <= 3; s++) {
                ct_tensor *g = tt_rand(SHAPE(n), 1, dt, -1, 1, 20 + s);
                CHECK(ct_adam_update_(p, g, m, v, o.amsgrad ? mx : NULL, s, &o, decoupled) == 0);
                CHECK(ct_adam_update_(gp, ct_cuda(g), gm, gv, o.amsgrad ? gmx : NULL, s, &o,
                                      decoupled) == 0);
            }
            CLOSE(gp, p, tol);
            CLOSE(gm, m, tol);
            CLOSE(gv, v, tol);
            if (o.amsgrad) CLOSE(gmx, mx, tol);
        }
    }
}

TEST(cuda_optim, optimizer_steps_on_gpu_params) {
    if (!gpu()) return;
    ct_tensor *p = tt_rand(SHAPE(5, 7), 2, CT_FLOAT32, -1, 1, 3);
    ct_tensor *gp = ct_cuda(ct_clone(p));
    ct_set_requires_grad(p, true);
    ct_set_requires_grad(gp, true);
    ct_adam_options o = ct_adamw_defaults();
    ct_optimizer *oc = ct_optim_adamw(&p, 1, &o), *og = ct_optim_adamw(&gp, 1, &o);
    CHECK(oc && og);
    for (int s = 0; s < 3; s++) {
        ct_scope sc = ct_scope_begin();
        ct_tensor *w = tt_rand(SHAPE(5, 7), 2, CT_FLOAT32, -1, 1, 30 + s);
        CHECK(ct_backward(ct_sum(ct_mul(p, w)), NULL, false, false, NULL, 0) == 0);
        CHECK(ct_backward(ct_sum(ct_mul(gp, ct_cuda(w))), NULL, false, false, NULL, 0) == 0);
        CHECK(ct_optim_step(oc) == 0);
        CHECK(ct_optim_step(og) == 0);
        ct_optim_zero_grad(oc, true);
        ct_optim_zero_grad(og, true);
        ct_scope_end(sc);
    }
    CLOSE(gp, p, 1e-5);
    ct_optim_free(oc);
    ct_optim_free(og);
}
