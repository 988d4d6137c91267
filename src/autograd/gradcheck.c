/* gradcheck / gradgradcheck: analytical Jacobians from the engine against
 * central finite differences, element by element. */
#include "autograd/ag_internal.h"

#include <math.h>

static char *elem(const ct_tensor *t, int64_t flat) {
    int64_t off = t->offset;
    for (int d = t->ndim - 1; d >= 0; d--) {
        off += (flat % t->sizes[d]) * t->strides[d];
        flat /= t->sizes[d];
    }
    return (char *)t->storage->data + off * (int64_t)ct_dtype_size(t->dtype);
}

/* fn(inputs) with grad mode off, values as doubles (malloc'd). */
static double *eval(ct_check_fn fn, void *ctx, ct_tensor *const *in, int n, int64_t *numel) {
    ct_scope s = ct_scope_begin();
    ct_grad_mode g = ct_no_grad_begin();
    ct_tensor *y = fn(in, n, ctx);
    ct_grad_mode_end(g);
    double *v = NULL;
    if (y) {
        *numel = y->numel;
        v = malloc(sizeof(double) * (size_t)(y->numel ? y->numel : 1));
        if (v)
            for (int64_t i = 0; i < y->numel; i++) v[i] = ct_item_at(y, i);
    }
    ct_scope_end(s);
    return v;
}

int ct_gradcheck(ct_check_fn fn, void *ctx, ct_tensor *const *inputs, int n, double eps,
                 double atol, double rtol) {
    for (int i = 0; i < n; i++) {
        if (!inputs[i] || !inputs[i]->requires_grad) continue;
        if (inputs[i]->dtype != CT_FLOAT64) {
            ct_set_error(CT_ERR_RUNTIME,
                         "gradcheck: input %d is %s; gradcheck needs float64 inputs to be precise",
                         i, ct_dtype_name(inputs[i]->dtype));
            return -1;
        }
        for (int d = 0; d < inputs[i]->ndim; d++)
            if (inputs[i]->strides[d] == 0 && inputs[i]->sizes[d] > 1) {
                ct_set_error(CT_ERR_RUNTIME,
                             "gradcheck: input %d has overlapping memory (an expanded view); "
                             "finite differences cannot perturb its elements one at a time", i);
                return -1;
            }
    }
    ct_scope s = ct_scope_begin();
    int rc = 0;
    ct_tensor *y = fn(inputs, n, ctx);
    if (!y) {
        ct_scope_end(s);
        return -1;
    }
    int64_t ny = y->numel;
    /* an output that does not require grad has zero analytical Jacobians */
    bool connected = y->requires_grad;
    ct_tensor *onehot = ct__ag_zeros(y->sizes, y->ndim, y->dtype, y->storage->device);
    for (int i = 0; i < n && rc == 0; i++) {
        ct_tensor *x = inputs[i];
        if (!x || !x->requires_grad) continue;
        int64_t nx = x->numel;
        double *ana = calloc((size_t)(nx * ny + 1), sizeof(double));
        double *num = calloc((size_t)(nx * ny + 1), sizeof(double));
        if (!ana || !num) {
            free(ana);
            free(num);
            ct_set_error(CT_ERR_MEMORY, "gradcheck: out of memory");
            rc = -1;
            break;
        }
        /* analytical: one backward per output element (rows) */
        for (int64_t k = 0; connected && k < ny && rc == 0; k++) {
            ct__store_f64(elem(onehot, k), onehot->dtype, 1.0);
            ct_scope s2 = ct_scope_begin();
            ct_tensor *g = NULL;
            const ct_tensor *go[1] = {onehot};
            if (ct_grad(&y, 1, &x, 1, go, true, false, true, &g) < 0) rc = -1;
            else if (g)
                for (int64_t j = 0; j < nx; j++) ana[j * ny + k] = ct_item_at(g, j);
            ct_scope_end(s2);
            ct__store_f64(elem(onehot, k), onehot->dtype, 0.0);
        }
        /* numerical: central differences per input element (columns) */
        for (int64_t j = 0; j < nx && rc == 0; j++) {
            char *p = elem(x, j);
            double orig = ct__load_f64(p, x->dtype);
            int64_t n1 = 0, n2 = 0;
            ct__store_f64(p, x->dtype, orig + eps);
            double *fp = eval(fn, ctx, inputs, n, &n1);
            ct__store_f64(p, x->dtype, orig - eps);
            double *fm = eval(fn, ctx, inputs, n, &n2);
            ct__store_f64(p, x->dtype, orig);
            if (!fp || !fm || n1 != ny || n2 != ny) {
                if (fp && fm) ct_set_error(CT_ERR_RUNTIME, "gradcheck: output size changed");
                rc = -1;
            } else {
                for (int64_t k = 0; k < ny; k++) num[j * ny + k] = (fp[k] - fm[k]) / (2 * eps);
            }
            free(fp);
            free(fm);
        }
        for (int64_t j = 0; j < nx && rc == 0; j++)
            for (int64_t k = 0; k < ny; k++) {
                double a = ana[j * ny + k], b = num[j * ny + k];
                if (!(fabs(a - b) <= atol + rtol * fabs(b))) {
                    ct_set_error(CT_ERR_RUNTIME,
                                 "Jacobian mismatch for output 0 with respect to input %d,\n"
                                 "numerical:%.10g\nanalytical:%.10g\n(d output[%lld] / d "
                                 "input[%lld], eps %g, atol %g, rtol %g)",
                                 i, b, a, (long long)k, (long long)j, eps, atol, rtol);
                    rc = -1;
                    break;
                }
            }
        free(ana);
        free(num);
    }
    ct_scope_end(s);
    return rc;
}

typedef struct gg_ctx {
    ct_check_fn fn;
    void *ctx;
    int n;   /* inputs of fn; the last input of the wrapper is v */
    int which;
} gg_ctx;

/* (inputs, v) -> d fn(inputs) / d inputs[which] . v, with create_graph. */
static ct_tensor *first_grad(ct_tensor *const *in, int n, void *c) {
    gg_ctx *g = c;
    (void)n;
    ct_grad_mode m = ct_enable_grad_begin();
    ct_tensor *y = g->fn(in, g->n, g->ctx);
    ct_tensor *r = NULL;
    if (y) {
        if (!y->requires_grad) {
            r = ct__ag_zeros(in[g->which]->sizes, in[g->which]->ndim, in[g->which]->dtype,
                             in[g->which]->storage->device);
        } else {
            const ct_tensor *go[1] = {in[g->n]};
            ct_tensor *x = in[g->which];
            if (ct_grad(&y, 1, &x, 1, go, true, true, true, &r) == 0 && !r)
                r = ct__ag_zeros(x->sizes, x->ndim, x->dtype, x->storage->device);
        }
    }
    ct_grad_mode_end(m);
    return r;
}

int ct_gradgradcheck(ct_check_fn fn, void *ctx, ct_tensor *const *inputs, int n, double eps,
                     double atol, double rtol) {
    ct_scope s = ct_scope_begin();
    int rc = 0;
    ct_tensor *y = fn(inputs, n, ctx);
    if (!y) {
        ct_scope_end(s);
        return -1;
    }
    /* a fixed pseudo-random direction v for the output gradient */
    ct_tensor *v = ct_empty(y->sizes, y->ndim, CT_FLOAT64);
    uint64_t st = 0x9E3779B97F4A7C15ULL;
    for (int64_t k = 0; k < v->numel; k++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        ((double *)ct_data_ptr(v))[k] = 0.5 + (double)(st >> 11) / 9007199254740992.0;
    }
    ct_set_requires_grad(v, true);
    ct_tensor **in2 = malloc(sizeof(ct_tensor *) * (size_t)(n + 1));
    if (!in2) {
        ct_scope_end(s);
        ct_set_error(CT_ERR_MEMORY, "gradgradcheck: out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) in2[i] = inputs[i];
    in2[n] = v;
    for (int i = 0; i < n && rc == 0; i++) {
        if (!inputs[i] || !inputs[i]->requires_grad) continue;
        gg_ctx g = {fn, ctx, n, i};
        rc = ct_gradcheck(first_grad, &g, in2, n + 1, eps, atol, rtol);
    }
    free(in2);
    ct_scope_end(s);
    return rc;
}
