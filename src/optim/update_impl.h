/* The fused optimizer loops, written once and compiled per dtype: update.c
 * includes this file with T (the element type) and SUF (a name suffix)
 * defined. Every loop is PyTorch 1.13's _single_tensor_<algo> in one pass,
 * with each scalar cast to T as PyTorch's tensor-scalar ops do, and each
 * expression in PyTorch's order (addcmul: self + (value * t1) * t2,
 * addcdiv: self + (value * t1) / t2), so float32 results round as PyTorch's.
 *
 * Each algorithm is three pieces: a context (pointers, scalars in T, flags),
 * an always-inlined loop over [b, e) whose flags are parameters, and a chunk
 * function that calls the loop once per flag combination (CT__FLAGS), so the
 * compiler sees constant flags and emits one branch-free vector loop each.
 * (A single loop testing its flags inside, as before, stayed scalar: GCC did
 * not unswitch the outlined OpenMP body.) update.c's par_run splits the
 * elements across threads above the grain and calls the chunk function.
 * maximize is a multiplier gs = -1 or 1 (exact: (-1) * g == -g), and
 * AdamW's decay is a multiplier (1 for Adam: p * 1 == p), so neither needs
 * a copy of the loop. */
#define FN_(name, suf) name##_##suf
#define FN2(name, suf) FN_(name, suf)
#define FN(name) FN2(name, SUF)
#define INL static inline __attribute__((always_inline))

/* ---------------------------------------------------------------- SGD */
typedef struct FN(sgd_ctx) {
    T *p, *buf;
    const T *g;
    T gs, wd, mom, damp1, neg_lr;
    bool use_wd, use_mom, first, nesterov;
} FN(sgd_ctx);

INL void FN(sgd_run)(const FN(sgd_ctx) *c, int64_t b, int64_t e, bool use_wd, bool use_mom,
                     bool first, bool nesterov) {
    T *restrict p = c->p, *restrict buf = c->buf;
    const T *restrict g = c->g;
    const T gs = c->gs, wd = c->wd, mom = c->mom, damp1 = c->damp1, neg_lr = c->neg_lr;
    for (int64_t i = b; i < e; i++) {
        T d = gs * g[i];
        if (use_wd) d = d + wd * p[i];
        if (use_mom) {
            T m = first ? d : buf[i] * mom + damp1 * d;
            buf[i] = m;
            d = nesterov ? d + mom * m : m;
        }
        p[i] = p[i] + neg_lr * d;
    }
}

static void FN(sgd_chunk)(void *ctx, int64_t b, int64_t e) {
    const FN(sgd_ctx) *c = ctx;
    if (!c->use_mom) {
        CT__FLAGS(c->use_wd, WD, FN(sgd_run)(c, b, e, WD, false, false, false));
    } else {
        CT__FLAGS(c->use_wd, WD,
                  CT__FLAGS(c->first, FIRST,
                            CT__FLAGS(c->nesterov, NES, FN(sgd_run)(c, b, e, WD, true, FIRST, NES))));
    }
}

static void FN(sgd_loop)(T *p, const T *g, T *buf, int64_t n, bool first, const ct_sgd_options *o) {
    FN(sgd_ctx) c = {
        .p = p, .buf = buf, .g = g, .gs = o->maximize ? (T)-1 : (T)1, .wd = (T)o->weight_decay,
        .mom = (T)o->momentum, .damp1 = (T)(1 - o->dampening), .neg_lr = (T)(-o->lr),
        .use_wd = o->weight_decay != 0, .use_mom = o->momentum != 0, .first = first,
        .nesterov = o->nesterov,
    };
    par_run(n, FN(sgd_chunk), &c);
}

/* ---------------------------------------------------------------- Adam, AdamW */
typedef struct FN(adam_ctx) {
    T *p, *m, *v, *vmax;
    const T *g;
    T gs, b1, c1, b2, c2, bc2_sqrt, eps, neg_step, wd, decay;
    bool coupled_wd, amsgrad;
} FN(adam_ctx);

INL void FN(adam_run)(const FN(adam_ctx) *c, int64_t b, int64_t e, bool coupled_wd, bool amsgrad) {
    T *restrict p = c->p, *restrict m = c->m, *restrict v = c->v, *restrict vmax = c->vmax;
    const T *restrict g = c->g;
    const T gs = c->gs, b1 = c->b1, c1 = c->c1, b2 = c->b2, c2 = c->c2, bc2_sqrt = c->bc2_sqrt;
    const T eps = c->eps, neg_step = c->neg_step, wd = c->wd, decay = c->decay;
    for (int64_t i = b; i < e; i++) {
        T gi = gs * g[i];
        T pi = p[i] * decay;
        if (coupled_wd) gi = gi + wd * pi;
        T mi = m[i] * b1 + c1 * gi;
        T vi = v[i] * b2 + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        if (amsgrad) {
            T mx = vmax[i];
            if (mx < vi || vi != vi) mx = vi; /* torch.maximum propagates NaN */
            vmax[i] = mx;
            vi = mx;
        }
        T denom = sqrt(vi) / bc2_sqrt + eps;
        p[i] = pi + neg_step * mi / denom;
    }
}

static void FN(adam_chunk)(void *ctx, int64_t b, int64_t e) {
    const FN(adam_ctx) *c = ctx;
    CT__FLAGS(c->coupled_wd, WD, CT__FLAGS(c->amsgrad, AMS, FN(adam_run)(c, b, e, WD, AMS)));
}

static void FN(adam_loop)(T *p, const T *g, T *m, T *v, T *vmax, int64_t n, double step,
                          const ct_adam_options *o, bool decoupled) {
    const double bc1 = 1 - pow(o->beta1, step), bc2 = 1 - pow(o->beta2, step);
    FN(adam_ctx) c = {
        .p = p, .m = m, .v = v, .vmax = vmax, .g = g, .gs = o->maximize ? (T)-1 : (T)1,
        .b1 = (T)o->beta1, .c1 = (T)(1 - o->beta1), .b2 = (T)o->beta2, .c2 = (T)(1 - o->beta2),
        .bc2_sqrt = (T)sqrt(bc2), .eps = (T)o->eps, .neg_step = (T)(-(o->lr / bc1)),
        .wd = (T)o->weight_decay, .decay = decoupled ? (T)(1 - o->lr * o->weight_decay) : (T)1,
        .coupled_wd = !decoupled && o->weight_decay != 0, .amsgrad = o->amsgrad,
    };
    par_run(n, FN(adam_chunk), &c);
}

/* ---------------------------------------------------------------- Adagrad */
typedef struct FN(adagrad_ctx) {
    T *p, *sum;
    const T *g;
    T gs, neg_clr, wd, eps;
    bool use_wd;
} FN(adagrad_ctx);

INL void FN(adagrad_run)(const FN(adagrad_ctx) *c, int64_t b, int64_t e, bool use_wd) {
    T *restrict p = c->p, *restrict sum = c->sum;
    const T *restrict g = c->g;
    const T gs = c->gs, neg_clr = c->neg_clr, wd = c->wd, eps = c->eps;
    for (int64_t i = b; i < e; i++) {
        T gi = gs * g[i];
        if (use_wd) gi = gi + wd * p[i];
        T s = sum[i] + gi * gi;
        sum[i] = s;
        p[i] = p[i] + neg_clr * gi / (sqrt(s) + eps);
    }
}

static void FN(adagrad_chunk)(void *ctx, int64_t b, int64_t e) {
    const FN(adagrad_ctx) *c = ctx;
    CT__FLAGS(c->use_wd, WD, FN(adagrad_run)(c, b, e, WD));
}

static void FN(adagrad_loop)(T *p, const T *g, T *sum, int64_t n, double step,
                             const ct_adagrad_options *o) {
    FN(adagrad_ctx) c = {
        .p = p, .sum = sum, .g = g, .gs = o->maximize ? (T)-1 : (T)1,
        .neg_clr = (T)(-(o->lr / (1 + (step - 1) * o->lr_decay))), .wd = (T)o->weight_decay,
        .eps = (T)o->eps, .use_wd = o->weight_decay != 0,
    };
    par_run(n, FN(adagrad_chunk), &c);
}

/* ---------------------------------------------------------------- RMSprop */
typedef struct FN(rmsprop_ctx) {
    T *p, *sq, *ga, *buf;
    const T *g;
    T gs, alpha, c, eps, wd, mom, neg_lr;
    bool use_wd, centered, use_mom;
} FN(rmsprop_ctx);

INL void FN(rmsprop_run)(const FN(rmsprop_ctx) *k, int64_t b, int64_t e, bool use_wd, bool centered,
                         bool use_mom) {
    T *restrict p = k->p, *restrict sq = k->sq, *restrict ga = k->ga, *restrict buf = k->buf;
    const T *restrict g = k->g;
    const T gs = k->gs, alpha = k->alpha, c = k->c, eps = k->eps, wd = k->wd, mom = k->mom;
    const T neg_lr = k->neg_lr;
    for (int64_t i = b; i < e; i++) {
        T gi = gs * g[i];
        if (use_wd) gi = gi + wd * p[i];
        T s = sq[i] * alpha + c * gi * gi;
        sq[i] = s;
        T avg;
        if (centered) {
            T a = ga[i] * alpha + c * gi;
            ga[i] = a;
            avg = sqrt(s - a * a);
        } else {
            avg = sqrt(s);
        }
        avg = avg + eps;
        if (use_mom) {
            T m = buf[i] * mom + gi / avg;
            buf[i] = m;
            p[i] = p[i] + neg_lr * m;
        } else {
            p[i] = p[i] + neg_lr * gi / avg;
        }
    }
}

static void FN(rmsprop_chunk)(void *ctx, int64_t b, int64_t e) {
    const FN(rmsprop_ctx) *c = ctx;
    CT__FLAGS(c->use_wd, WD,
              CT__FLAGS(c->centered, CEN,
                        CT__FLAGS(c->use_mom, MOM, FN(rmsprop_run)(c, b, e, WD, CEN, MOM))));
}

static void FN(rmsprop_loop)(T *p, const T *g, T *sq, T *ga, T *buf, int64_t n,
                             const ct_rmsprop_options *o) {
    FN(rmsprop_ctx) c = {
        .p = p, .sq = sq, .ga = ga, .buf = buf, .g = g, .gs = o->maximize ? (T)-1 : (T)1,
        .alpha = (T)o->alpha, .c = (T)(1 - o->alpha), .eps = (T)o->eps, .wd = (T)o->weight_decay,
        .mom = (T)o->momentum, .neg_lr = (T)(-o->lr), .use_wd = o->weight_decay != 0,
        .centered = o->centered, .use_mom = o->momentum > 0,
    };
    par_run(n, FN(rmsprop_chunk), &c);
}

/* ---------------------------------------------------------------- Adadelta */
typedef struct FN(adadelta_ctx) {
    T *p, *sq, *acc;
    const T *g;
    T gs, rho, c, eps, wd, neg_lr;
    bool use_wd;
} FN(adadelta_ctx);

INL void FN(adadelta_run)(const FN(adadelta_ctx) *k, int64_t b, int64_t e, bool use_wd) {
    T *restrict p = k->p, *restrict sq = k->sq, *restrict acc = k->acc;
    const T *restrict g = k->g;
    const T gs = k->gs, rho = k->rho, c = k->c, eps = k->eps, wd = k->wd, neg_lr = k->neg_lr;
    for (int64_t i = b; i < e; i++) {
        T gi = gs * g[i];
        if (use_wd) gi = gi + wd * p[i];
        T s = sq[i] * rho + c * gi * gi;
        sq[i] = s;
        T delta = sqrt(acc[i] + eps) / sqrt(s + eps) * gi;
        acc[i] = acc[i] * rho + c * delta * delta;
        p[i] = p[i] + neg_lr * delta;
    }
}

static void FN(adadelta_chunk)(void *ctx, int64_t b, int64_t e) {
    const FN(adadelta_ctx) *c = ctx;
    CT__FLAGS(c->use_wd, WD, FN(adadelta_run)(c, b, e, WD));
}

static void FN(adadelta_loop)(T *p, const T *g, T *sq, T *acc, int64_t n,
                              const ct_adadelta_options *o) {
    FN(adadelta_ctx) c = {
        .p = p, .sq = sq, .acc = acc, .g = g, .gs = o->maximize ? (T)-1 : (T)1, .rho = (T)o->rho,
        .c = (T)(1 - o->rho), .eps = (T)o->eps, .wd = (T)o->weight_decay, .neg_lr = (T)(-o->lr),
        .use_wd = o->weight_decay != 0,
    };
    par_run(n, FN(adadelta_chunk), &c);
}

/* ---------------------------------------------------------------- Adamax */
typedef struct FN(adamax_ctx) {
    T *p, *m, *u;
    const T *g;
    T gs, b1, c1, b2, eps, wd, neg_clr;
    bool use_wd;
} FN(adamax_ctx);

INL void FN(adamax_run)(const FN(adamax_ctx) *k, int64_t b, int64_t e, bool use_wd) {
    T *restrict p = k->p, *restrict m = k->m, *restrict u = k->u;
    const T *restrict g = k->g;
    const T gs = k->gs, b1 = k->b1, c1 = k->c1, b2 = k->b2, eps = k->eps, wd = k->wd;
    const T neg_clr = k->neg_clr;
    for (int64_t i = b; i < e; i++) {
        T gi = gs * g[i];
        if (use_wd) gi = gi + wd * p[i];
        T mi = m[i] * b1 + c1 * gi;
        m[i] = mi;
        T x = u[i] * b2, y = fabs(gi) + eps;
        T ui = (x < y || y != y) ? y : x; /* torch.amax propagates NaN */
        u[i] = ui;
        p[i] = p[i] + neg_clr * mi / ui;
    }
}

static void FN(adamax_chunk)(void *ctx, int64_t b, int64_t e) {
    const FN(adamax_ctx) *c = ctx;
    CT__FLAGS(c->use_wd, WD, FN(adamax_run)(c, b, e, WD));
}

static void FN(adamax_loop)(T *p, const T *g, T *m, T *u, int64_t n, double step,
                            const ct_adamax_options *o) {
    FN(adamax_ctx) c = {
        .p = p, .m = m, .u = u, .g = g, .gs = o->maximize ? (T)-1 : (T)1, .b1 = (T)o->beta1,
        .c1 = (T)(1 - o->beta1), .b2 = (T)o->beta2, .eps = (T)o->eps, .wd = (T)o->weight_decay,
        .neg_clr = (T)(-(o->lr / (1 - pow(o->beta1, step)))), .use_wd = o->weight_decay != 0,
    };
    par_run(n, FN(adamax_chunk), &c);
}

/* ---------------------------------------------------------------- NAdam */
typedef struct FN(nadam_ctx) {
    T *p, *m, *v;
    const T *g;
    T b1, c1, b2, c2, bc2, eps, wd, cg, ca;
    bool use_wd;
} FN(nadam_ctx);

INL void FN(nadam_run)(const FN(nadam_ctx) *k, int64_t b, int64_t e, bool use_wd) {
    T *restrict p = k->p, *restrict m = k->m, *restrict v = k->v;
    const T *restrict g = k->g;
    const T b1 = k->b1, c1 = k->c1, b2 = k->b2, c2 = k->c2, bc2 = k->bc2, eps = k->eps;
    const T wd = k->wd, cg = k->cg, ca = k->ca;
    for (int64_t i = b; i < e; i++) {
        T gi = g[i];
        if (use_wd) gi = gi + wd * p[i];
        T mi = m[i] * b1 + c1 * gi;
        T vi = v[i] * b2 + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        T denom = sqrt(vi / bc2) + eps;
        T pi = p[i] + cg * gi / denom;
        p[i] = pi + ca * mi / denom;
    }
}

static void FN(nadam_chunk)(void *ctx, int64_t b, int64_t e) {
    const FN(nadam_ctx) *c = ctx;
    CT__FLAGS(c->use_wd, WD, FN(nadam_run)(c, b, e, WD));
}

/* c_grad, c_avg: PyTorch's two addcdiv values, computed by the caller from
 * mu_product in its own precision. */
static void FN(nadam_loop)(T *p, const T *g, T *m, T *v, int64_t n, double step, double c_grad,
                           double c_avg, const ct_nadam_options *o) {
    FN(nadam_ctx) c = {
        .p = p, .m = m, .v = v, .g = g, .b1 = (T)o->beta1, .c1 = (T)(1 - o->beta1),
        .b2 = (T)o->beta2, .c2 = (T)(1 - o->beta2), .bc2 = (T)(1 - pow(o->beta2, step)),
        .eps = (T)o->eps, .wd = (T)o->weight_decay, .cg = (T)c_grad, .ca = (T)c_avg,
        .use_wd = o->weight_decay != 0,
    };
    par_run(n, FN(nadam_chunk), &c);
}

/* ---------------------------------------------------------------- RAdam */
typedef struct FN(radam_ctx) {
    T *p, *m, *v;
    const T *g;
    T b1, c1, b2, c2, bc1, bc2_sqrt, eps, lr, rect, wd;
    bool use_wd, rectify;
} FN(radam_ctx);

INL void FN(radam_run)(const FN(radam_ctx) *k, int64_t b, int64_t e, bool use_wd, bool rectify) {
    T *restrict p = k->p, *restrict m = k->m, *restrict v = k->v;
    const T *restrict g = k->g;
    const T b1 = k->b1, c1 = k->c1, b2 = k->b2, c2 = k->c2, bc1 = k->bc1, bc2_sqrt = k->bc2_sqrt;
    const T eps = k->eps, lr = k->lr, rect = k->rect, wd = k->wd;
    for (int64_t i = b; i < e; i++) {
        T gi = g[i];
        if (use_wd) gi = gi + wd * p[i];
        T mi = m[i] * b1 + c1 * gi;
        T vi = v[i] * b2 + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        T u = mi / bc1 * lr;
        if (rectify) {
            /* float / tensor is tensor.reciprocal() * float in PyTorch */
            T adaptive = (T)1 / (sqrt(vi) + eps) * bc2_sqrt;
            u = u * adaptive * rect;
        }
        p[i] = p[i] - u;
    }
}

static void FN(radam_chunk)(void *ctx, int64_t b, int64_t e) {
    const FN(radam_ctx) *c = ctx;
    CT__FLAGS(c->use_wd, WD, CT__FLAGS(c->rectify, RECT, FN(radam_run)(c, b, e, WD, RECT)));
}

static void FN(radam_loop)(T *p, const T *g, T *m, T *v, int64_t n, double step,
                           const ct_radam_options *o) {
    const double bc1 = 1 - pow(o->beta1, step), bc2 = 1 - pow(o->beta2, step);
    const double rho_inf = 2 / (1 - o->beta2) - 1;
    const double rho_t = rho_inf - 2 * step * pow(o->beta2, step) / bc2;
    const bool rectify = rho_t > 5.;
    const double rect =
        rectify ? sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                : 0;
    FN(radam_ctx) c = {
        .p = p, .m = m, .v = v, .g = g, .b1 = (T)o->beta1, .c1 = (T)(1 - o->beta1),
        .b2 = (T)o->beta2, .c2 = (T)(1 - o->beta2), .bc1 = (T)bc1, .bc2_sqrt = (T)sqrt(bc2),
        .eps = (T)o->eps, .lr = (T)o->lr, .rect = (T)rect, .wd = (T)o->weight_decay,
        .use_wd = o->weight_decay != 0, .rectify = rectify,
    };
    par_run(n, FN(radam_chunk), &c);
}

#undef INL
#undef FN
#undef FN2
#undef FN_
