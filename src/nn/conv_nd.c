/* One implementation of the convolutions of 2 and 3 spatial dims (see
 * conv_internal.h): conv2d/conv3d, their input and weight gradients (ops of
 * their own, bilinear, so every order of derivative is one more of them:
 * src/autograd/derivatives_nn*.c) and the transposed convolutions (the
 * input gradient plus the bias). The kernels: im2col + GEMM or oneDNN
 * (src/kernels/cpu/conv.c, conv_dnnl.c) on the CPU, cuDNN
 * (src/cuda/conv.c, ct__cuda->conv) on a GPU. */
#include "nn/conv_internal.h"

#include "ctorch/nn_conv.h"

#include <stdio.h>

const char *ct__conv_type_name(ct_dtype dt) {
    static const char *const names[CT_NUM_DTYPES] = {
        "Bool", "Byte", "Char", "Short", "Int", "Long", "Half", "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

void ct__conv_args(int nd, const int64_t *a, int64_t dflt, int64_t out[3]) {
    for (int i = 0; i < nd; i++) out[i] = a ? a[i] : dflt;
}

void ct__conv_rename_error(const char *from, const char *to) {
    char msg[512];
    size_t n = strlen(from);
    snprintf(msg, sizeof msg, "%s", ct_last_error());
    ct_error_kind k = ct_last_error_kind();
    if (strncmp(msg, from, n) == 0 && strncmp(msg + n, ": ", 2) == 0)
        ct_set_error(k, "%s: %s", to, msg + n + 2);
}

/* The names and op ids of each rank (index nd - 2). */
static const struct {
    const char *fwd, *grad[3];
    int id[3];
} ops[2] = {
    {"conv2d", {NULL, "conv2d_backward_input", "conv2d_backward_weight"},
     {CT_OP_conv2d, CT_OP_conv2d_backward_input, CT_OP_conv2d_backward_weight}},
    {"conv3d", {NULL, "conv3d_backward_input", "conv3d_backward_weight"},
     {CT_OP_conv3d, CT_OP_conv3d_backward_input, CT_OP_conv3d_backward_weight}},
};

/* "a<sep>b<sep>c" of nd values into buf. */
static const char *join(char *buf, size_t len, int nd, const int64_t *v, const char *sep) {
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < nd && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%lld", i ? sep : "", (long long)v[i]);
    return buf;
}

/* The geometry of nd spatial dims as a 3-d one (leading unit dims). */
static ct_win3d geometry(int nd, const int64_t *in, const int64_t *k, const int64_t *s,
                         const int64_t *p, const int64_t *d) {
    int64_t v[5][3];
    const int64_t *src[5] = {in, k, s, p, d}, dflt[5] = {1, 1, 1, 0, 1};
    for (int j = 0; j < 5; j++)
        for (int i = 0; i < 3; i++) v[j][i] = i < 3 - nd ? dflt[j] : src[j][i - (3 - nd)];
    ct_win3d g = {.D = v[0][0], .H = v[0][1], .W = v[0][2], .kd = v[1][0], .kh = v[1][1],
                  .kw = v[1][2], .sd = v[2][0], .sh = v[2][1], .sw = v[2][2], .pd = v[3][0],
                  .ph = v[3][1], .pw = v[3][2], .dd = v[4][0], .dh = v[4][1], .dw = v[4][2]};
    int64_t *o[3] = {&g.OD, &g.OH, &g.OW};
    for (int i = 0; i < 3; i++) {
        int64_t ext = v[4][i] * (v[1][i] - 1) + 1, padded = v[0][i] + 2 * v[3][i];
        *o[i] = padded >= ext ? (padded - ext) / v[2][i] + 1 : -1;
    }
    return g;
}

/* The output's spatial sizes of g (nd of them) into out. */
static void out_sizes(int nd, const ct_win3d *g, int64_t *out) {
    const int64_t all[3] = {g->OD, g->OH, g->OW};
    for (int i = 0; i < nd; i++) out[i] = all[3 - nd + i];
}

/* What each op records (include/ctorch/def/nn.def, nn_conv.def). sizes:
 * the gradients' input or kernel sizes, NULL for the forward. */
static ct_op_args record_args(int nd, const int64_t *s, const int64_t *p, const int64_t *d,
                              int64_t groups, const int64_t *sizes) {
    ct_op_args a = {0};
    if (nd == 2) {
        int64_t i6[6] = {s[0], s[1], p[0], p[1], d[0], d[1]};
        memcpy(a.i, i6, sizeof i6);
        a.dims[0] = groups;
        a.ndims = 1;
    } else {
        int64_t i6[6] = {s[0], s[1], s[2], p[0], p[1], p[2]};
        memcpy(a.i, i6, sizeof i6);
        for (int i = 0; i < 3; i++) a.dims[i] = d[i];
        a.dims[3] = groups;
        a.ndims = 4;
    }
    if (sizes) {
        for (int i = 0; i < nd; i++) a.dims[a.ndims + i] = sizes[i];
        a.ndims += nd;
    }
    return a;
}

/* ---------------------------------------------------------------- checks */
static int check_types(const char *op, const ct_tensor *x, const ct_tensor *w, const ct_tensor *b) {
    if (x->dtype != w->dtype || (b && b->dtype != x->dtype)) {
        const ct_tensor *o = x->dtype != w->dtype ? w : b;
        ct_set_error(CT_ERR_RUNTIME, "%s: expected scalar type %s but found %s", op,
                     ct__conv_type_name(x->dtype), ct__conv_type_name(o->dtype));
        return -1;
    }
    if (x->dtype != CT_FLOAT32 && x->dtype != CT_FLOAT64) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: not implemented for '%s'", op,
                     ct__conv_type_name(x->dtype));
        return -1;
    }
    return 0;
}

/* stride, padding (and output padding op, may be NULL), dilation, groups */
static int check_sdp(const char *op, int nd, const int64_t *s, const int64_t *p,
                     const int64_t *opad, const int64_t *d, int64_t groups) {
    for (int i = 0; i < nd; i++) {
        if (s[i] <= 0) {
            ct_set_error(CT_ERR_RUNTIME, "%s: non-positive stride is not supported", op);
            return -1;
        }
        if (p[i] < 0 || (opad && opad[i] < 0)) {
            ct_set_error(CT_ERR_RUNTIME, "%s: negative padding is not supported", op);
            return -1;
        }
        if (d[i] <= 0) {
            ct_set_error(CT_ERR_RUNTIME, "%s: dilation should be greater than zero", op);
            return -1;
        }
    }
    if (groups <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: non-positive groups is not supported", op);
        return -1;
    }
    return 0;
}

static int check_weight_rank(const char *op, int nd, const ct_tensor *x, const ct_tensor *w) {
    if (w->ndim == nd + 2) return 0;
    ct_set_error(CT_ERR_RUNTIME,
                 "%s: Expected %d-dimensional weight for %d-dimensional input %s, but got "
                 "%d-dimensional weight of size %s instead",
                 op, nd + 2, nd + 2, ct__shp(x), w->ndim, ct__shp(w));
    return -1;
}

static int check_groups_divide(const ct_tensor *w, int64_t groups) {
    if (w->sizes[0] % groups == 0) return 0;
    ct_set_error(CT_ERR_RUNTIME,
                 "Given groups=%lld, expected weight to be divisible by %lld at dimension 0, "
                 "but got weight of size %s instead",
                 (long long)groups, (long long)groups, ct__shp(w));
    return -1;
}

/* conv2d's / conv3d's checks; x has nd + 2 dims. */
static int check_forward(int nd, const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                         const int64_t *s, const int64_t *p, const int64_t *d, int64_t groups) {
    const char *op = ops[nd - 2].fwd;
    if (check_weight_rank(op, nd, x, w) < 0 || check_types(op, x, w, b) < 0 ||
        check_sdp(op, nd, s, p, NULL, d, groups) < 0 || check_groups_divide(w, groups) < 0)
        return -1;
    if (x->sizes[1] != w->sizes[1] * groups) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Given groups=%lld, weight of size %s, expected input%s to have %lld "
                     "channels, but got %lld channels instead",
                     (long long)groups, ct__shp(w), ct__shp(x),
                     (long long)(w->sizes[1] * groups), (long long)x->sizes[1]);
        return -1;
    }
    if (b && (b->ndim != 1 || b->sizes[0] != w->sizes[0])) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Given weight of size %s, expected bias to be 1-dimensional with %lld "
                     "elements, but got bias of size %s instead",
                     ct__shp(w), (long long)w->sizes[0], ct__shp(b));
        return -1;
    }
    int64_t padded[3], ext[3];
    bool small = false;
    for (int i = 0; i < nd; i++) {
        padded[i] = x->sizes[2 + i] + 2 * p[i];
        ext[i] = d[i] * (w->sizes[2 + i] - 1) + 1;
        small = small || padded[i] < ext[i];
    }
    if (small) {
        char a[96], k[96];
        ct_set_error(CT_ERR_RUNTIME,
                     "Calculated padded input size per channel: (%s). Kernel size: (%s). Kernel "
                     "size can't be greater than actual input size",
                     join(a, sizeof a, nd, padded, " x "), join(k, sizeof k, nd, ext, " x "));
        return -1;
    }
    return 0;
}

/* Checks shared by both gradients: grad_out [N, O, out...] and t (weight
 * or input) with nd + 2 dims, one floating dtype, positive stride and
 * dilation, non-negative padding, groups dividing O; fills g from the
 * input sizes in[] and the kernel sizes k[] and checks that grad_out's
 * spatial sizes are what the convolution makes of them. */
static int check_grad(const char *op, int nd, const ct_tensor *gout, const ct_tensor *t,
                      const char *tname, const int64_t *in, const int64_t *k, const int64_t *s,
                      const int64_t *p, const int64_t *d, int64_t groups, ct_win3d *g) {
    char b1[96], b2[96], b3[96];
    if (gout->ndim != nd + 2 || t->ndim != nd + 2) {
        ct_set_error(CT_ERR_RUNTIME, "%s: expected %d-d grad_output and %s, got %s and %s", op,
                     nd + 2, tname, ct__shp(gout), ct__shp(t));
        return -1;
    }
    if (check_types(op, gout, t, NULL) < 0) return -1;
    for (int i = 0; i < nd; i++)
        if (s[i] <= 0 || d[i] <= 0 || p[i] < 0) {
            ct_set_error(CT_ERR_RUNTIME,
                         "%s: stride and dilation must be positive and padding non-negative, "
                         "got stride (%s), padding (%s), dilation (%s)",
                         op, join(b1, sizeof b1, nd, s, ", "), join(b2, sizeof b2, nd, p, ", "),
                         join(b3, sizeof b3, nd, d, ", "));
            return -1;
        }
    if (groups <= 0 || gout->sizes[1] % groups != 0) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: groups=%lld must be positive and divide the %lld channels of "
                     "grad_output %s",
                     op, (long long)groups, (long long)gout->sizes[1], ct__shp(gout));
        return -1;
    }
    const char *what = nd == 2 ? "image" : "input";
    for (int i = 0; i < nd; i++)
        if (in[i] < 0 || k[i] <= 0) {
            ct_set_error(CT_ERR_RUNTIME, "%s: bad %s size (%s) or kernel size (%s)", op, what,
                         join(b1, sizeof b1, nd, in, ", "), join(b2, sizeof b2, nd, k, ", "));
            return -1;
        }
    *g = geometry(nd, in, k, s, p, d);
    int64_t o[3];
    out_sizes(nd, g, o);
    if (memcmp(o, gout->sizes + 2, sizeof(int64_t) * (size_t)nd) != 0) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: grad_output %s does not match the output size (%s) of %s over (%s) %ss "
                     "with a (%s) kernel",
                     op, ct__shp(gout), join(b1, sizeof b1, nd, o, ", "), ops[nd - 2].fwd,
                     join(b2, sizeof b2, nd, in, ", "), what, join(b3, sizeof b3, nd, k, ", "));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- running */
/* Owned out [sizes] (nd + 2 dims, on a's device) = the convolution pass
 * `which` (0 forward: a = x, b = w; 1 input gradient: a = grad_out, b = w;
 * 2 weight gradient: a = grad_out, b = x) over contiguous copies. */
static ct_tensor *run(int which, int nd, const ct_tensor *a, const ct_tensor *b,
                      const ct_tensor *bias, const int64_t *sizes, int64_t N, int64_t C,
                      int64_t O, int64_t groups, const ct_win3d *g) {
    bool gpu = !ct__on_cpu(a) || !ct__on_cpu(b) || (bias && !ct__on_cpu(bias)); /* cuDNN */
    ct_tensor *out = ct__empty_on(sizes, nd + 2, a->dtype, a->storage->device);
    if (!out || out->numel == 0) return out;
    ct_tensor *ac = ct__contiguous(a), *bc = ct__contiguous(b);
    ct_tensor *biasc = bias ? ct__contiguous(bias) : NULL;
    int rc = ac && bc && (!bias || biasc) ? 0 : -1;
    if (rc == 0 && gpu) {
        rc = ct__cuda->conv(which, ac, bc, biasc, out, groups, g);
    } else if (rc == 0) {
        ct_dtype dt = a->dtype;
        const void *ap = ct_data_ptr(ac), *bp = ct_data_ptr(bc);
        if (which == 0) {
            CT_CONV_NOTE(bc, NULL);
            rc = ct__conv3d_forward_kernel(dt, ap, bp, biasc ? ct_data_ptr(biasc) : NULL,
                                           ct_data_ptr(out), N, C, O, groups, g);
        } else if (which == 1) {
            CT_CONV_NOTE(bc, ac);
            rc = ct__conv3d_backward_input_kernel(dt, ap, bp, ct_data_ptr(out), N, C, O, groups, g);
        } else {
            CT_CONV_NOTE(NULL, ac);
            rc = ct__conv3d_backward_weight_kernel(dt, ap, bp, ct_data_ptr(out), N, C, O, groups,
                                                   g);
        }
        CT_CONV_NOTE(NULL, NULL);
    }
    ct_release(ac);
    ct_release(bc);
    ct_release(biasc);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    return out;
}

/* The convolution of x with nd + 2 dims and symmetric padding: owned,
 * recorded. */
static ct_tensor *conv_core(int nd, const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                            const int64_t *s, const int64_t *p, const int64_t *d, int64_t groups) {
    if (check_forward(nd, x, w, b, s, p, d, groups) < 0) return NULL;
    ct_win3d g = geometry(nd, x->sizes + 2, w->sizes + 2, s, p, d);
    int64_t N = x->sizes[0], C = x->sizes[1], O = w->sizes[0], sizes[5] = {N, O};
    out_sizes(nd, &g, sizes + 2);
    ct_tensor *out = run(0, nd, x, w, b, sizes, N, C, O, groups, &g);
    ct_op_args a = record_args(nd, s, p, d, groups, NULL);
    return ct__nn_record(ops[nd - 2].id[0], out, (const ct_tensor *[]){x, w, b}, 3, NULL, 0, &a);
}

/* x with lo[i] zeros before and hi[i] after spatial dim i: a cat with
 * zeros on x's device (differentiable, on any device). In the caller's
 * scope. */
static ct_tensor *zero_pad(int nd, const ct_tensor *x, const int64_t *lo, const int64_t *hi) {
    ct_tensor *r = (ct_tensor *)x;
    for (int i = 0; i < nd && r; i++) {
        const ct_tensor *parts[3];
        int n = 0;
        for (int side = 0; side < 2; side++) {
            int64_t e = side == 0 ? lo[i] : hi[i];
            if (side == 1) parts[n++] = r;
            if (e == 0) continue;
            int64_t sizes[5];
            memcpy(sizes, r->sizes, sizeof(int64_t) * (size_t)r->ndim);
            sizes[2 + i] = e;
            ct_tensor *z = ct_zeros(sizes, r->ndim, r->dtype);
            if (z && !ct__on_cpu(r)) z = ct_to_device(z, r->storage->device);
            if (!z) return NULL;
            parts[n++] = z;
        }
        if (n > 1) r = ct_cat(parts, n, 2 + i);
    }
    return r;
}

ct_tensor *ct__conv_front(int nd, const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                          const int64_t *s, const int64_t *lo, const int64_t *hi,
                          const int64_t *d, int64_t groups) {
    if (x->ndim != nd + 1 && x->ndim != nd + 2)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected %dD (unbatched) or %dD (batched) input to %s, but got input "
                       "of size: %s",
                       nd + 1, nd + 2, ops[nd - 2].fwd, ct__shp(x));
    ct_scope sc = ct_scope_begin();
    const ct_tensor *xx = x->ndim == nd + 1 ? ct_unsqueeze(x, 0) : x;
    int64_t p[3] = {0, 0, 0};
    bool asym = memcmp(lo, hi, sizeof(int64_t) * (size_t)nd) != 0;
    if (asym) xx = xx ? zero_pad(nd, xx, lo, hi) : NULL;
    else memcpy(p, lo, sizeof(int64_t) * (size_t)nd);
    ct_tensor *r = xx ? conv_core(nd, xx, w, b, s, p, d, groups) : NULL;
    if (r && x->ndim == nd + 1) {
        ct_autorelease(r);
        r = ct_squeeze_dim(r, 0);
        if (r) ct_keep(r);
    }
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}

ct_tensor *ct__conv_mode(int nd, const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                         const int64_t *s, const char *padding, const int64_t *d, int64_t groups) {
    int64_t lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
    if (!padding || (strcmp(padding, "same") != 0 && strcmp(padding, "valid") != 0))
        return CT_FAIL(CT_ERR_VALUE,
                       "Invalid padding string '%s', should be one of {'valid', 'same'}",
                       padding ? padding : "(null)");
    if (strcmp(padding, "same") == 0) {
        for (int i = 0; i < nd; i++)
            if (s[i] != 1)
                return CT_FAIL(CT_ERR_RUNTIME,
                               "padding='same' is not supported for strided convolutions");
        if (w->ndim != nd + 2)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "%s: Expected %d-dimensional weight, but got %d-dimensional weight "
                           "of size %s instead",
                           ops[nd - 2].fwd, nd + 2, w->ndim, ct__shp(w));
        for (int i = 0; i < nd; i++) {
            int64_t total = d[i] * (w->sizes[2 + i] - 1);
            lo[i] = total / 2;
            hi[i] = total - lo[i];
        }
    }
    return ct__conv_front(nd, x, w, b, s, lo, hi, d, groups);
}

/* ---------------------------------------------------------------- gradients */
ct_tensor *ct__conv_grad(int which, int nd, const ct_tensor *grad_out, const ct_tensor *t,
                         const int64_t *size, const int64_t *s, const int64_t *p,
                         const int64_t *d, int64_t groups) {
    const char *op = ops[nd - 2].grad[which];
    bool full = t->ndim == nd + 2;
    int64_t other[3]; /* the kernel's sizes (which 1) or the input's (which 2) */
    for (int i = 0; i < nd; i++) other[i] = full ? t->sizes[2 + i] : which == 1 ? 1 : 0;
    const int64_t *in = which == 1 ? size : other, *k = which == 1 ? other : size;
    ct_win3d g;
    if (check_grad(op, nd, grad_out, t, which == 1 ? "weight" : "input", in, k, s, p, d, groups,
                   &g) < 0)
        return NULL;
    int64_t N = grad_out->sizes[0], O = grad_out->sizes[1], C, sizes[5];
    if (which == 1) {
        if (t->sizes[0] != O)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "%s: weight %s has %lld output channels, grad_output %s has %lld", op,
                           ct__shp(t), (long long)t->sizes[0], ct__shp(grad_out), (long long)O);
        C = t->sizes[1] * groups;
        sizes[0] = N, sizes[1] = C;
    } else {
        if (t->sizes[0] != N || t->sizes[1] % groups != 0)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "%s: input %s and grad_output %s need the same batch size and "
                           "groups=%lld dividing the input channels",
                           op, ct__shp(t), ct__shp(grad_out), (long long)groups);
        C = t->sizes[1];
        sizes[0] = O, sizes[1] = C / groups;
    }
    memcpy(sizes + 2, size, sizeof(int64_t) * (size_t)nd);
    ct_tensor *r = run(which, nd, grad_out, t, NULL, sizes, N, C, O, groups, &g);
    ct_op_args a = record_args(nd, s, p, d, groups, size);
    r = ct__nn_record(ops[nd - 2].id[which], r, (const ct_tensor *[]){grad_out, t}, 2, NULL, 0,
                      &a);
    return r ? ct_autorelease(r) : NULL;
}

/* ---------------------------------------------------------------- transposed */
static int check_transpose(int nd, const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                           const int64_t *s, const int64_t *p, const int64_t *op,
                           const int64_t *d, int64_t groups) {
    const char *name = nd == 2 ? "conv_transpose2d" : "conv_transpose3d";
    if (check_weight_rank(name, nd, x, w) < 0 || check_types(name, x, w, b) < 0 ||
        check_sdp(name, nd, s, p, op, d, groups) < 0 || check_groups_divide(w, groups) < 0)
        return -1;
    if (x->sizes[1] != w->sizes[0]) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Given transposed=1, weight of size %s, expected input%s to have %lld "
                     "channels, but got %lld channels instead",
                     ct__shp(w), ct__shp(x), (long long)w->sizes[0], (long long)x->sizes[1]);
        return -1;
    }
    if (b && (b->ndim != 1 || b->sizes[0] != w->sizes[1] * groups)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Given transposed=1, weight of size %s, expected bias to be 1-dimensional "
                     "with %lld elements, but got bias of size %s instead",
                     ct__shp(w), (long long)(w->sizes[1] * groups), ct__shp(b));
        return -1;
    }
    static const char *const dims[3] = {"depth", "height", "width"};
    for (int i = 0; i < nd; i++)
        if (op[i] >= s[i] && op[i] >= d[i]) {
            char msg[400];
            size_t n = 0;
            const int64_t *vals[3] = {op, s, d};
            static const char *const what[3] = {"output_padding", "stride", "dilation"};
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < nd && n < sizeof msg; k++)
                    n += (size_t)snprintf(msg + n, sizeof msg - n, "%s%s_%s: %lld",
                                          j || k ? " " : "", what[j], dims[3 - nd + k],
                                          (long long)vals[j][k]);
            ct_set_error(CT_ERR_RUNTIME,
                         "output padding must be smaller than either stride or dilation, but "
                         "got %s",
                         msg);
            return -1;
        }
    int64_t o[3];
    bool small = false;
    for (int i = 0; i < nd; i++) {
        o[i] = (x->sizes[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (w->sizes[2 + i] - 1) + op[i] + 1;
        small = small || o[i] <= 0;
    }
    if (small) {
        char a[96], c[96];
        ct_set_error(CT_ERR_RUNTIME,
                     "Given input size per channel: (%s). Calculated output size per channel: "
                     "(%s). Output size is too small",
                     join(a, sizeof a, nd, x->sizes + 2, " x "), join(c, sizeof c, nd, o, " x "));
        return -1;
    }
    return 0;
}

/* output_padding adds rows at the end that only the kernel taps past the
 * input reach: when it is at least the stride (allowed while below the
 * dilation), x gets floor(output_padding / stride) zero rows at the end
 * first, so that the convolution over the output size again yields x's
 * size. */
ct_tensor *ct__conv_transpose(int nd, const ct_tensor *x, const ct_tensor *w, const ct_tensor *b,
                              const int64_t *s, const int64_t *p, const int64_t *op,
                              int64_t groups, const int64_t *d) {
    if (x->ndim != nd + 1 && x->ndim != nd + 2)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Expected %dD (unbatched) or %dD (batched) input to conv_transpose%dd, but "
                       "got input of size: %s",
                       nd + 1, nd + 2, nd, ct__shp(x));
    ct_scope sc = ct_scope_begin();
    const ct_tensor *xx = x->ndim == nd + 1 ? ct_unsqueeze(x, 0) : x;
    ct_tensor *r = NULL;
    if (xx && check_transpose(nd, xx, w, b, s, p, op, d, groups) == 0) {
        int64_t out[3], zero[3] = {0, 0, 0}, extra[3] = {0, 0, 0};
        bool any = false;
        for (int i = 0; i < nd; i++) {
            out[i] = (xx->sizes[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (w->sizes[2 + i] - 1) +
                     op[i] + 1;
            extra[i] = op[i] / s[i];
            any = any || extra[i];
        }
        if (any) xx = zero_pad(nd, xx, zero, extra);
        r = xx ? ct__conv_grad(1, nd, xx, w, out, s, p, d, groups) : NULL;
        if (r && b) {
            int64_t bs[5] = {1, b->sizes[0], 1, 1, 1};
            r = ct_add(r, ct_reshape(b, bs, nd + 2));
        }
        if (r && x->ndim == nd + 1) r = ct_squeeze_dim(r, 0);
    }
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}
