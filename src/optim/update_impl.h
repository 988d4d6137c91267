/* The fused optimizer loops, written once and compiled per dtype: update.c
 * includes this file with T (the element type) and SUF (a name suffix)
 * defined. Every loop is PyTorch 1.13's _single_tensor_<algo> in one pass,
 * with each scalar cast to T as PyTorch's tensor-scalar ops do, and each
 * expression in PyTorch's order (addcmul: self + (value * t1) * t2,
 * addcdiv: self + (value * t1) / t2), so float32 results round as PyTorch's.
 * Flags are loop invariant; the compiler unswitches them. */
#define FN_(name, suf) name##_##suf
#define FN2(name, suf) FN_(name, suf)
#define FN(name) FN2(name, SUF)
#define PAR _Pragma("omp parallel for schedule(static) if (n >= CT_GRAIN)")

static void FN(sgd_loop)(T *restrict p, const T *restrict g, T *restrict buf, int64_t n,
                         bool first, const ct_sgd_options *o) {
    const T wd = (T)o->weight_decay, mom = (T)o->momentum, damp1 = (T)(1 - o->dampening);
    const T neg_lr = (T)(-o->lr);
    const bool use_wd = o->weight_decay != 0, use_mom = o->momentum != 0;
    const bool nesterov = o->nesterov, maximize = o->maximize;
    PAR
    for (int64_t i = 0; i < n; i++) {
        T d = maximize ? -g[i] : g[i];
        if (use_wd) d = d + wd * p[i];
        if (use_mom) {
            T b = first ? d : buf[i] * mom + damp1 * d;
            buf[i] = b;
            d = nesterov ? d + mom * b : b;
        }
        p[i] = p[i] + neg_lr * d;
    }
}

static void FN(adam_loop)(T *restrict p, const T *restrict g, T *restrict m, T *restrict v,
                          T *restrict vmax, int64_t n, double step, const ct_adam_options *o,
                          bool decoupled) {
    const double bc1 = 1 - pow(o->beta1, step), bc2 = 1 - pow(o->beta2, step);
    const T b1 = (T)o->beta1, c1 = (T)(1 - o->beta1), b2 = (T)o->beta2, c2 = (T)(1 - o->beta2);
    const T bc2_sqrt = (T)sqrt(bc2), eps = (T)o->eps, neg_step = (T)(-(o->lr / bc1));
    const T wd = (T)o->weight_decay, decay = (T)(1 - o->lr * o->weight_decay);
    const bool coupled_wd = !decoupled && o->weight_decay != 0;
    const bool amsgrad = o->amsgrad, maximize = o->maximize;
    PAR
    for (int64_t i = 0; i < n; i++) {
        T gi = maximize ? -g[i] : g[i];
        T pi = p[i];
        if (decoupled) pi = pi * decay;
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

static void FN(adagrad_loop)(T *restrict p, const T *restrict g, T *restrict sum, int64_t n,
                             double step, const ct_adagrad_options *o) {
    const T neg_clr = (T)(-(o->lr / (1 + (step - 1) * o->lr_decay)));
    const T wd = (T)o->weight_decay, eps = (T)o->eps;
    const bool use_wd = o->weight_decay != 0, maximize = o->maximize;
    PAR
    for (int64_t i = 0; i < n; i++) {
        T gi = maximize ? -g[i] : g[i];
        if (use_wd) gi = gi + wd * p[i];
        T s = sum[i] + gi * gi;
        sum[i] = s;
        p[i] = p[i] + neg_clr * gi / (sqrt(s) + eps);
    }
}

static void FN(rmsprop_loop)(T *restrict p, const T *restrict g, T *restrict sq, T *restrict ga,
                             T *restrict buf, int64_t n, const ct_rmsprop_options *o) {
    const T alpha = (T)o->alpha, c = (T)(1 - o->alpha), eps = (T)o->eps;
    const T wd = (T)o->weight_decay, mom = (T)o->momentum, neg_lr = (T)(-o->lr);
    const bool use_wd = o->weight_decay != 0, centered = o->centered;
    const bool use_mom = o->momentum > 0, maximize = o->maximize;
    PAR
    for (int64_t i = 0; i < n; i++) {
        T gi = maximize ? -g[i] : g[i];
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
            T b = buf[i] * mom + gi / avg;
            buf[i] = b;
            p[i] = p[i] + neg_lr * b;
        } else {
            p[i] = p[i] + neg_lr * gi / avg;
        }
    }
}

static void FN(adadelta_loop)(T *restrict p, const T *restrict g, T *restrict sq,
                              T *restrict acc, int64_t n, const ct_adadelta_options *o) {
    const T rho = (T)o->rho, c = (T)(1 - o->rho), eps = (T)o->eps;
    const T wd = (T)o->weight_decay, neg_lr = (T)(-o->lr);
    const bool use_wd = o->weight_decay != 0, maximize = o->maximize;
    PAR
    for (int64_t i = 0; i < n; i++) {
        T gi = maximize ? -g[i] : g[i];
        if (use_wd) gi = gi + wd * p[i];
        T s = sq[i] * rho + c * gi * gi;
        sq[i] = s;
        T delta = sqrt(acc[i] + eps) / sqrt(s + eps) * gi;
        acc[i] = acc[i] * rho + c * delta * delta;
        p[i] = p[i] + neg_lr * delta;
    }
}

static void FN(adamax_loop)(T *restrict p, const T *restrict g, T *restrict m, T *restrict u,
                            int64_t n, double step, const ct_adamax_options *o) {
    const T b1 = (T)o->beta1, c1 = (T)(1 - o->beta1), b2 = (T)o->beta2, eps = (T)o->eps;
    const T wd = (T)o->weight_decay, neg_clr = (T)(-(o->lr / (1 - pow(o->beta1, step))));
    const bool use_wd = o->weight_decay != 0, maximize = o->maximize;
    PAR
    for (int64_t i = 0; i < n; i++) {
        T gi = maximize ? -g[i] : g[i];
        if (use_wd) gi = gi + wd * p[i];
        T mi = m[i] * b1 + c1 * gi;
        m[i] = mi;
        T a = u[i] * b2, b = fabs(gi) + eps;
        T ui = (a < b || b != b) ? b : a; /* torch.amax propagates NaN */
        u[i] = ui;
        p[i] = p[i] + neg_clr * mi / ui;
    }
}

/* c_grad, c_avg: PyTorch's two addcdiv values, computed by the caller from
 * mu_product in its own precision. */
static void FN(nadam_loop)(T *restrict p, const T *restrict g, T *restrict m, T *restrict v,
                           int64_t n, double step, double c_grad, double c_avg,
                           const ct_nadam_options *o) {
    const T b1 = (T)o->beta1, c1 = (T)(1 - o->beta1), b2 = (T)o->beta2, c2 = (T)(1 - o->beta2);
    const T bc2 = (T)(1 - pow(o->beta2, step)), eps = (T)o->eps, wd = (T)o->weight_decay;
    const T cg = (T)c_grad, ca = (T)c_avg;
    const bool use_wd = o->weight_decay != 0;
    PAR
    for (int64_t i = 0; i < n; i++) {
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

static void FN(radam_loop)(T *restrict p, const T *restrict g, T *restrict m, T *restrict v,
                           int64_t n, double step, const ct_radam_options *o) {
    const double bc1 = 1 - pow(o->beta1, step), bc2 = 1 - pow(o->beta2, step);
    const double rho_inf = 2 / (1 - o->beta2) - 1;
    const double rho_t = rho_inf - 2 * step * pow(o->beta2, step) / bc2;
    const bool rectify = rho_t > 5.;
    const double rect_d =
        rectify ? sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                : 0;
    const T b1 = (T)o->beta1, c1 = (T)(1 - o->beta1), b2 = (T)o->beta2, c2 = (T)(1 - o->beta2);
    const T bc1_t = (T)bc1, bc2_sqrt = (T)sqrt(bc2), eps = (T)o->eps, lr = (T)o->lr;
    const T rect = (T)rect_d, wd = (T)o->weight_decay;
    const bool use_wd = o->weight_decay != 0;
    PAR
    for (int64_t i = 0; i < n; i++) {
        T gi = g[i];
        if (use_wd) gi = gi + wd * p[i];
        T mi = m[i] * b1 + c1 * gi;
        T vi = v[i] * b2 + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        T u = mi / bc1_t * lr;
        if (rectify) {
            /* float / tensor is tensor.reciprocal() * float in PyTorch */
            T adaptive = (T)1 / (sqrt(vi) + eps) * bc2_sqrt;
            u = u * adaptive * rect;
        }
        p[i] = p[i] - u;
    }
}

#undef PAR
#undef FN
#undef FN2
#undef FN_
