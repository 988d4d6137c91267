/* Matrix products: mm, bmm, mv, dot, vdot, matmul, addmm, addbmm, baddbmm,
 * addmv, outer, kron. Checks and shapes here; the products themselves in
 * src/kernels/cpu/blas.c (OpenBLAS for floats, loops for integers,
 * float16/bfloat16 through float32). */
#include "kernels/cpu/blas.h"
#include "ops/linalg_internal.h"

static ct_dtype compute_dtype(ct_dtype dt) {
    return dt == CT_FLOAT16 || dt == CT_BFLOAT16 ? CT_FLOAT32 : dt;
}

/* Owned operand for ct__gemm: dtype cdt, and for floats strides CBLAS takes
 * as they are (a transposed view stays a view). The matrix is the last two
 * dims; a leading batch dim may have any stride. */
static ct_tensor *gemm_operand(const ct_tensor *t, ct_dtype cdt) {
    if (t->dtype != cdt) return ct__to_dtype(t, cdt, false);
    int nd = t->ndim;
    if (ct_dtype_is_floating(cdt) &&
        !ct__blas_layout_ok(t->sizes[nd - 2], t->sizes[nd - 1], t->strides[nd - 2],
                            t->strides[nd - 1]))
        return ct__contiguous(t);
    return ct_retain((ct_tensor *)t);
}

/* Owned vector operand for ct__gemv/ct__dot: dtype cdt, positive stride. */
static ct_tensor *vec_operand(const ct_tensor *t, ct_dtype cdt) {
    if (t->dtype != cdt) return ct__to_dtype(t, cdt, false);
    if (t->sizes[0] > 1 && (t->strides[0] <= 0 || !ct__blas_fits(t->strides[0])))
        return ct__contiguous(t);
    return ct_retain((ct_tensor *)t);
}

static int64_t vec_inc(const ct_tensor *v) { return v->sizes[0] > 1 ? v->strides[0] : 1; }

/* Fails unless self broadcasts to sizes (PyTorch's expand wording). */
static int check_expand(const char *op, const ct_tensor *self, const int64_t *sizes, int nd) {
    char tb[160];
    if (self->ndim > nd) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: the number of sizes provided (%d) must be greater or equal to the number "
                     "of dimensions in the tensor (%d)",
                     op, nd, self->ndim);
        return -1;
    }
    for (int i = 0; i < self->ndim; i++) {
        int d = nd - self->ndim + i;
        if (self->sizes[i] != 1 && self->sizes[i] != sizes[d]) {
            ct_set_error(CT_ERR_RUNTIME,
                         "%s: The expanded size of the tensor (%lld) must match the existing size "
                         "(%lld) at non-singleton dimension %d.  Target sizes: %s.  Tensor "
                         "sizes: %s",
                         op, (long long)sizes[d], (long long)self->sizes[i], d,
                         ct_shape_str(sizes, nd, tb, sizeof tb), ct__shp(self));
            return -1;
        }
    }
    return 0;
}

/* The device of a product: every operand (self may be NULL) on the same
 * one. On a GPU (cuBLAS) only floating dtypes, as PyTorch's "addmm_cuda".
 * Returns 0 with *dev set, or -1. */
static int product_device(const char *op, const ct_tensor *a, const ct_tensor *b,
                          const ct_tensor *self, ct_dtype cdt, ct_device *dev) {
    *dev = a->storage->device;
    const ct_tensor *ts[2] = {b, self};
    for (int k = 0; k < 2; k++) {
        if (!ts[k]) continue;
        ct_device d = ts[k]->storage->device;
        if (d.type != dev->type || (d.type != CT_CPU && d.index != dev->index)) {
            char b1[16], b2[16];
            ct_set_error(CT_ERR_RUNTIME,
                         "Expected all tensors to be on the same device, but found at least two "
                         "devices, %s and %s! (%s)",
                         ct_device_str(*dev, b1, sizeof b1), ct_device_str(d, b2, sizeof b2), op);
            return -1;
        }
    }
    if (dev->type != CT_CPU && !ct_dtype_is_floating(cdt)) {
        ct_set_error(CT_ERR_NOT_IMPL, "\"%s_cuda\" not implemented for '%s'", op,
                     ct__la_type_name(a->dtype));
        return -1;
    }
    return 0;
}

static bool dims_fit(int64_t M, int64_t N, int64_t K) {
    return ct__blas_fits(M) && ct__blas_fits(N) && ct__blas_fits(K);
}

/* Converts out back to dt when it was computed in another dtype. Owned. */
static ct_tensor *finish_dtype(ct_tensor *out, ct_dtype dt) {
    if (!out || out->dtype == dt) return out;
    ct_tensor *r = ct__to_dtype(out, dt, false);
    ct_release(out);
    return r;
}

/* beta*self + alpha*(a @ b) for a [.., M, K] and b [.., K, N], both 2-d or
 * both 3-d with the same batch; accumulate sums over the batch (addbmm).
 * self (may be NULL) is broadcast to the result. Owned result. */
static ct_tensor *la_gemm(const char *op, const ct_tensor *self, const ct_tensor *a,
                          const ct_tensor *b, double beta, double alpha, bool accumulate) {
    ct_dtype dt = a->dtype, cdt = compute_dtype(dt);
    if (dt == CT_BOOL) return CT_FAIL(CT_ERR_NOT_IMPL, "\"%s\" not implemented for 'Bool'", op);
    bool batched = a->ndim == 3;
    int64_t batch = batched ? a->sizes[0] : 1;
    int64_t M = a->sizes[a->ndim - 2], K = a->sizes[a->ndim - 1], N = b->sizes[b->ndim - 1];
    if (ct_dtype_is_floating(cdt) && !dims_fit(M, N, K))
        return CT_FAIL(CT_ERR_NOT_IMPL, "%s: matrix dims above 2^31-1 are not supported (%s and %s)",
                       op, ct__shp(a), ct__shp(b));
    ct_device dev;
    if (product_device(op, a, b, self, cdt, &dev) < 0) return NULL;
    int64_t osz[3] = {batch, M, N};
    bool out3 = batched && !accumulate;
    ct_tensor *out = ct__empty_on(out3 ? osz : osz + 1, out3 ? 3 : 2, cdt, dev);
    if (!out) return NULL;
    if (!self || beta == 0) beta = 0; /* PyTorch: beta == 0 ignores self, NaN included */
    else if (ct__copy_into(out, self) < 0) {
        ct_release(out);
        return NULL;
    }
    if (accumulate && batch == 0) { /* an empty sum: beta * self */
        batch = 1;
        K = 0;
    }
    ct_tensor *A = gemm_operand(a, cdt), *B = A ? gemm_operand(b, cdt) : NULL;
    if (!A || !B) {
        ct_release(A);
        ct_release(out);
        return NULL;
    }
    int an = A->ndim, bn = B->ndim, rc = 0;
    if (dev.type == CT_CPU)
        rc = ct__gemm(cdt, batch, M, N, K, alpha, ct_data_ptr(A), batched ? A->strides[0] : 0,
                 A->strides[an - 2], A->strides[an - 1], ct_data_ptr(B), batched ? B->strides[0] : 0,
                 B->strides[bn - 2], B->strides[bn - 1], beta, ct_data_ptr(out),
                 accumulate ? 0 : M * N, N);
    else
        rc = ct__cuda->gemm(cdt, batch, M, N, K, alpha, ct_data_ptr(A), batched ? A->strides[0] : 0,
                            A->strides[an - 2], A->strides[an - 1], ct_data_ptr(B),
                            batched ? B->strides[0] : 0, B->strides[bn - 2], B->strides[bn - 1],
                            beta, ct_data_ptr(out), accumulate ? 0 : M * N, N);
    ct_release(A);
    ct_release(B);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    return finish_dtype(out, dt);
}

/* beta*self + alpha*(mat @ vec). Owned result. */
static ct_tensor *la_gemv(const char *op, const ct_tensor *self, const ct_tensor *mat,
                          const ct_tensor *vec, double beta, double alpha) {
    ct_dtype dt = mat->dtype, cdt = compute_dtype(dt);
    if (dt == CT_BOOL) return CT_FAIL(CT_ERR_NOT_IMPL, "\"%s\" not implemented for 'Bool'", op);
    int64_t M = mat->sizes[0], K = mat->sizes[1];
    if (ct_dtype_is_floating(cdt) && !dims_fit(M, 1, K))
        return CT_FAIL(CT_ERR_NOT_IMPL, "%s: matrix dims above 2^31-1 are not supported (%s)", op,
                       ct__shp(mat));
    ct_device dev;
    if (product_device(op, mat, vec, self, cdt, &dev) < 0) return NULL;
    ct_tensor *out = ct__empty_on(&M, 1, cdt, dev);
    if (!out) return NULL;
    if (!self || beta == 0) beta = 0;
    else if (ct__copy_into(out, self) < 0) {
        ct_release(out);
        return NULL;
    }
    ct_tensor *A = gemm_operand(mat, cdt), *x = A ? vec_operand(vec, cdt) : NULL;
    if (!A || !x) {
        ct_release(A);
        ct_release(out);
        return NULL;
    }
    int rc = 0;
    if (dev.type == CT_CPU)
        ct__gemv(cdt, M, K, alpha, ct_data_ptr(A), A->strides[0], A->strides[1], ct_data_ptr(x),
                 vec_inc(x), beta, ct_data_ptr(out));
    else /* an N = 1 product: x as a K x 1 matrix */
        rc = ct__cuda->gemm(cdt, 1, M, 1, K, alpha, ct_data_ptr(A), 0, A->strides[0],
                            A->strides[1], ct_data_ptr(x), 0, vec_inc(x), 1, beta,
                            ct_data_ptr(out), M, 1);
    ct_release(A);
    ct_release(x);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    return finish_dtype(out, dt);
}

/* A 2-d tensor in column-major order (a transposed weight): mm and addmm
 * record it (b[0], b[1]) so that their backward gives its gradient in the
 * same layout, as PyTorch's mm_mat1/mm_mat2_backward do. */
static bool col_major(const ct_tensor *t) {
    return t->ndim == 2 && t->strides[0] == 1 && t->strides[1] == t->sizes[0];
}

static ct_tensor *record2(int op, ct_tensor *r, const ct_tensor *a, const ct_tensor *b) {
    const ct_tensor *in[2] = {a, b};
    ct_op_args args = {0};
    args.b[0] = col_major(a);
    args.b[1] = col_major(b);
    return ct_autorelease(ct__la_record(op, r, in, 2, NULL, 0, &args));
}

static ct_tensor *record3(int op, ct_tensor *r, const ct_tensor *s, const ct_tensor *a,
                          const ct_tensor *b, double beta, double alpha) {
    const ct_tensor *in[3] = {s, a, b};
    ct_op_args args = {0};
    args.f[0] = beta;
    args.f[1] = alpha;
    args.b[0] = col_major(a);
    args.b[1] = col_major(b);
    return ct_autorelease(ct__la_record(op, r, in, 3, NULL, 0, &args));
}

static ct_tensor *fail_dtype(ct_dtype want, ct_dtype got) {
    return CT_FAIL(CT_ERR_RUNTIME, "expected scalar type %s but found %s", ct__la_type_name(want),
                   ct__la_type_name(got));
}

/* ------------------------------------------------------------ checks */
static int check_mm(const char *n1, const ct_tensor *a, const ct_tensor *b) {
    if (a->ndim != 2) {
        ct_set_error(CT_ERR_RUNTIME, "%s must be a matrix, got %d-D tensor", n1, a->ndim);
        return -1;
    }
    if (b->ndim != 2) {
        ct_set_error(CT_ERR_RUNTIME, "mat2 must be a matrix, got %d-D tensor", b->ndim);
        return -1;
    }
    if (a->sizes[1] != b->sizes[0]) {
        ct_set_error(CT_ERR_RUNTIME, "mat1 and mat2 shapes cannot be multiplied (%lldx%lld and %lldx%lld)",
                     (long long)a->sizes[0], (long long)a->sizes[1], (long long)b->sizes[0],
                     (long long)b->sizes[1]);
        return -1;
    }
    return 0;
}

static int check_bmm(const ct_tensor *a, const ct_tensor *b) {
    if (a->ndim != 3 || b->ndim != 3) {
        ct_set_error(CT_ERR_RUNTIME, "%s must be a 3D tensor (got %s and %s)",
                     a->ndim != 3 ? "batch1" : "batch2", ct__shp(a), ct__shp(b));
        return -1;
    }
    if (b->sizes[0] != a->sizes[0] || b->sizes[1] != a->sizes[2]) {
        ct_set_error(CT_ERR_RUNTIME,
                     "Expected size for first two dimensions of batch2 tensor to be: [%lld, %lld] "
                     "but got: [%lld, %lld].",
                     (long long)a->sizes[0], (long long)a->sizes[2], (long long)b->sizes[0],
                     (long long)b->sizes[1]);
        return -1;
    }
    if (a->dtype != b->dtype) {
        fail_dtype(a->dtype, b->dtype);
        return -1;
    }
    return 0;
}

static int check_mv(const ct_tensor *self, const ct_tensor *mat, const ct_tensor *vec) {
    if (mat->ndim != 2 || vec->ndim != 1) {
        ct_set_error(CT_ERR_RUNTIME, "vector + matrix @ vector expected, got %d, %d, %d",
                     self ? self->ndim : 1, mat->ndim, vec->ndim);
        return -1;
    }
    int64_t sz = self ? (self->ndim ? self->sizes[0] : 1) : mat->sizes[0];
    if (mat->sizes[1] != vec->sizes[0] || (self && self->ndim > 1) ||
        (sz != mat->sizes[0] && sz != 1)) {
        ct_set_error(CT_ERR_RUNTIME, "size mismatch, got %lld, %lldx%lld,%lld", (long long)sz,
                     (long long)mat->sizes[0], (long long)mat->sizes[1], (long long)vec->sizes[0]);
        return -1;
    }
    if (mat->dtype != vec->dtype) {
        fail_dtype(mat->dtype, vec->dtype);
        return -1;
    }
    return 0;
}

static int check_dot(const char *op, const ct_tensor *a, const ct_tensor *b) {
    if (a->ndim != 1 || b->ndim != 1) {
        ct_set_error(CT_ERR_RUNTIME, "1D tensors expected, but got %dD and %dD tensors", a->ndim,
                     b->ndim);
        return -1;
    }
    if (a->sizes[0] != b->sizes[0]) {
        ct_set_error(CT_ERR_RUNTIME,
                     "inconsistent tensor size, expected tensor [%lld] and src [%lld] to have the "
                     "same number of elements, but got %lld and %lld elements respectively",
                     (long long)a->sizes[0], (long long)b->sizes[0], (long long)a->sizes[0],
                     (long long)b->sizes[0]);
        return -1;
    }
    if (a->dtype != b->dtype) {
        ct_set_error(CT_ERR_RUNTIME, "%s : expected both vectors to have same dtype, but found %s and %s",
                     op, ct__la_type_name(a->dtype), ct__la_type_name(b->dtype));
        return -1;
    }
    if (a->dtype == CT_BOOL) {
        ct_set_error(CT_ERR_NOT_IMPL, "\"%s\" not implemented for 'Bool'", op);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ ops */
ct_tensor *ct_mm(const ct_tensor *a, const ct_tensor *b) {
    if (a->ndim != 2) return CT_FAIL(CT_ERR_RUNTIME, "self must be a matrix");
    if (check_mm("self", a, b) < 0) return NULL;
    if (a->dtype != b->dtype) return fail_dtype(a->dtype, b->dtype);
    return record2(CT_OP_mm, la_gemm("mm", NULL, a, b, 0, 1, false), a, b);
}

ct_tensor *ct_bmm(const ct_tensor *a, const ct_tensor *b) {
    if (check_bmm(a, b) < 0) return NULL;
    return record2(CT_OP_bmm, la_gemm("bmm", NULL, a, b, 0, 1, false), a, b);
}

ct_tensor *ct_mv(const ct_tensor *mat, const ct_tensor *vec) {
    if (check_mv(NULL, mat, vec) < 0) return NULL;
    return record2(CT_OP_mv, la_gemv("mv", NULL, mat, vec, 0, 1), mat, vec);
}

static ct_tensor *dot_impl(const char *op, const ct_tensor *a, const ct_tensor *b) {
    if (check_dot(op, a, b) < 0) return NULL;
    ct_dtype dt = a->dtype, cdt = compute_dtype(dt);
    ct_device dev;
    if (product_device(op, a, b, NULL, cdt, &dev) < 0) return NULL;
    ct_tensor *out = ct__empty_on(NULL, 0, cdt, dev);
    ct_tensor *x = out ? vec_operand(a, cdt) : NULL, *y = x ? vec_operand(b, cdt) : NULL;
    if (!y) {
        ct_release(x);
        ct_release(out);
        return NULL;
    }
    int rc = 0;
    if (dev.type == CT_CPU)
        ct__dot(cdt, a->sizes[0], ct_data_ptr(x), vec_inc(x), ct_data_ptr(y), vec_inc(y),
                ct_data_ptr(out));
    else /* a 1 x K by K x 1 product */
        rc = ct__cuda->gemm(cdt, 1, 1, 1, a->sizes[0], 1, ct_data_ptr(x), 0, 0, vec_inc(x),
                            ct_data_ptr(y), 0, vec_inc(y), 1, 0, ct_data_ptr(out), 1, 1);
    ct_release(x);
    ct_release(y);
    if (rc < 0) {
        ct_release(out);
        return NULL;
    }
    return finish_dtype(out, dt);
}

ct_tensor *ct_dot(const ct_tensor *a, const ct_tensor *b) {
    return record2(CT_OP_dot, dot_impl("dot", a, b), a, b);
}

/* Real dtypes only: conjugation is the identity. */
ct_tensor *ct_vdot(const ct_tensor *a, const ct_tensor *b) {
    return record2(CT_OP_vdot, dot_impl("vdot", a, b), a, b);
}

ct_tensor *ct_addmm(const ct_tensor *self, const ct_tensor *mat1, const ct_tensor *mat2,
                    double beta, double alpha) {
    if (check_mm("mat1", mat1, mat2) < 0) return NULL;
    if (mat1->dtype != mat2->dtype) return CT_FAIL(CT_ERR_RUNTIME, "mat1 and mat2 must have the same dtype");
    if (self->dtype != mat2->dtype) return CT_FAIL(CT_ERR_RUNTIME, "self and mat2 must have the same dtype");
    int64_t osz[2] = {mat1->sizes[0], mat2->sizes[1]};
    if (check_expand("addmm", self, osz, 2) < 0) return NULL;
    return record3(CT_OP_addmm, la_gemm("addmm", self, mat1, mat2, beta, alpha, false), self,
                   mat1, mat2, beta, alpha);
}

ct_tensor *ct_baddbmm(const ct_tensor *self, const ct_tensor *batch1, const ct_tensor *batch2,
                      double beta, double alpha) {
    if (check_bmm(batch1, batch2) < 0) return NULL;
    int64_t osz[3] = {batch1->sizes[0], batch1->sizes[1], batch2->sizes[2]};
    if (check_expand("baddbmm", self, osz, 3) < 0) return NULL;
    return record3(CT_OP_baddbmm, la_gemm("baddbmm", self, batch1, batch2, beta, alpha, false),
                   self, batch1, batch2, beta, alpha);
}

ct_tensor *ct_addbmm(const ct_tensor *self, const ct_tensor *batch1, const ct_tensor *batch2,
                     double beta, double alpha) {
    if (batch1->ndim != 3 || batch2->ndim != 3)
        return CT_FAIL(CT_ERR_RUNTIME, "%s must be a 3D tensor (got %s and %s)",
                       batch1->ndim != 3 ? "batch1" : "batch2", ct__shp(batch1), ct__shp(batch2));
    if (batch1->sizes[0] != batch2->sizes[0])
        return CT_FAIL(CT_ERR_RUNTIME, "batch1 and batch2 must have same number of batches, got %lld and %lld",
                       (long long)batch1->sizes[0], (long long)batch2->sizes[0]);
    if (batch1->sizes[2] != batch2->sizes[1])
        return CT_FAIL(CT_ERR_RUNTIME, "Incompatible matrix sizes for bmm (%lldx%lld and %lldx%lld)",
                       (long long)batch1->sizes[1], (long long)batch1->sizes[2],
                       (long long)batch2->sizes[1], (long long)batch2->sizes[2]);
    if (batch1->dtype != batch2->dtype) return fail_dtype(batch1->dtype, batch2->dtype);
    if (self->dtype != batch2->dtype) return CT_FAIL(CT_ERR_RUNTIME, "self and mat2 must have the same dtype");
    int64_t osz[2] = {batch1->sizes[1], batch2->sizes[2]};
    if (check_expand("addbmm", self, osz, 2) < 0) return NULL;
    return record3(CT_OP_addbmm, la_gemm("addbmm", self, batch1, batch2, beta, alpha, true),
                   self, batch1, batch2, beta, alpha);
}

ct_tensor *ct_addmv(const ct_tensor *self, const ct_tensor *mat, const ct_tensor *vec,
                    double beta, double alpha) {
    if (check_mv(self, mat, vec) < 0) return NULL;
    return record3(CT_OP_addmv, la_gemv("addmv", self, mat, vec, beta, alpha), self, mat, vec,
                   beta, alpha);
}

ct_tensor *ct_outer(const ct_tensor *a, const ct_tensor *b) {
    if (a->ndim != 1 || b->ndim != 1)
        return CT_FAIL(CT_ERR_RUNTIME, "outer: Expected 1-D argument %s, but got %d-D",
                       a->ndim != 1 ? "self" : "vec2", a->ndim != 1 ? a->ndim : b->ndim);
    ct_dtype dt = ct_promote_types(a->dtype, b->dtype);
    /* bool: 1*1 = 1 in uint8, then back to bool */
    ct_dtype wdt = dt == CT_BOOL ? CT_UINT8 : dt;
    int64_t n = a->sizes[0], m = b->sizes[0];
    ct_tensor *ca = ct__to_dtype(a, wdt, false), *cb = ca ? ct__to_dtype(b, wdt, false) : NULL;
    ct_tensor *r = NULL;
    if (cb) {
        /* [n, 1] @ [1, m] as views: a K = 1 GEMM */
        ct_tensor *av = ct__tensor_new(ca->storage, wdt, (int64_t[]){n, 1},
                                       (int64_t[]){ca->strides[0], 1}, 2, ca->offset);
        ct_tensor *bv = av ? ct__tensor_new(cb->storage, wdt, (int64_t[]){1, m},
                                            (int64_t[]){m, cb->strides[0]}, 2, cb->offset)
                           : NULL;
        if (bv) r = finish_dtype(la_gemm("outer", NULL, av, bv, 0, 1, false), dt);
        ct_release(av);
        ct_release(bv);
    }
    ct_release(ca);
    ct_release(cb);
    return record2(CT_OP_outer, r, a, b);
}

/* kron(a, b)[i0*B0 + k0, ...] = a[i0, ...] * b[k0, ...]: the outer product of
 * the flattened operands, its dims interleaved. Composed of recorded ops. */
ct_tensor *ct_kron(const ct_tensor *a, const ct_tensor *b) {
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    if (2 * nd > CT_MAX_DIMS)
        return CT_FAIL(CT_ERR_RUNTIME, "kron: at most %d dims supported, got %s and %s",
                       CT_MAX_DIMS / 2, ct__shp(a), ct__shp(b));
    int64_t as[CT_MAX_DIMS], bs[CT_MAX_DIMS], os[CT_MAX_DIMS], inter[CT_MAX_DIMS];
    int perm[CT_MAX_DIMS];
    for (int i = 0; i < nd; i++) {
        int ia = a->ndim - nd + i, ib = b->ndim - nd + i;
        as[i] = ia >= 0 ? a->sizes[ia] : 1;
        bs[i] = ib >= 0 ? b->sizes[ib] : 1;
        os[i] = as[i] * bs[i];
        inter[i] = as[i];
        inter[nd + i] = bs[i];
        perm[2 * i] = i;
        perm[2 * i + 1] = nd + i;
    }
    ct_scope s = ct_scope_begin();
    int64_t minus1 = -1;
    ct_tensor *o = ct_outer(ct_reshape(a, &minus1, 1), ct_reshape(b, &minus1, 1));
    ct_tensor *r = NULL;
    if (o) {
        ct_tensor *v = ct_view(o, inter, 2 * nd);
        ct_tensor *p = v ? ct_permute(v, perm, 2 * nd) : NULL;
        r = p ? ct_reshape(p, os, nd) : NULL;
    }
    if (r) ct_keep(r);
    ct_scope_end(s);
    return ct_autorelease(r);
}

/* ------------------------------------------------------------ matmul */
/* PyTorch's lowering: dot, mv, mm, folding a >= 3-d operand against a 1-d or
 * 2-d one into one mm/mv, and bmm over broadcast batch dims otherwise.
 * Each step is a recorded public op, so matmul needs no derivative of its own. */
static bool should_fold(const ct_tensor *t1, int dim2) {
    int d1 = t1->ndim;
    if (d1 < 3 || (dim2 != 1 && dim2 != 2)) return false;
    /* [b, n, m] permuted from [b, m, n]: bmm takes each matrix transposed
     * without the copy a fold would need. */
    if (d1 == 3 && dim2 == 2 && t1->strides[2] != 1 &&
        t1->strides[0] == t1->sizes[1] * t1->sizes[2])
        return false;
    return true;
}

static ct_tensor *matmul_fold(const ct_tensor *a, const ct_tensor *b) {
    bool transpose = b->ndim > a->ndim;
    const ct_tensor *t1 = transpose ? ct_transpose(b, -1, -2) : a;
    const ct_tensor *t2 = !transpose ? b : (a->ndim == 2 ? ct_t(a) : a);
    if (!t1 || !t2) return NULL;
    int64_t out[CT_MAX_DIMS];
    int no = t1->ndim - 1;
    int64_t folded = 1;
    for (int i = 0; i < no; i++) {
        out[i] = t1->sizes[i];
        folded *= out[i];
    }
    bool t2_matrix = t2->ndim == 2;
    if (t2_matrix) out[no++] = t2->sizes[1];
    ct_tensor *t1f = ct_reshape(t1, (int64_t[]){folded, t1->sizes[t1->ndim - 1]}, 2);
    if (!t1f) return NULL;
    if (!t2_matrix) {
        ct_tensor *r = ct_mv(t1f, t2);
        return r ? ct_view(r, out, no) : NULL;
    }
    ct_tensor *r = ct_mm(t1f, t2);
    r = r ? ct_view(r, out, no) : NULL;
    if (r && transpose) {
        r = ct_transpose(r, -1, -2);
        r = r ? ct_contiguous(r) : NULL;
    }
    return r;
}

static ct_tensor *matmul_batched(const ct_tensor *a, const ct_tensor *b) {
    int d1 = a->ndim, d2 = b->ndim;
    int64_t n = d1 > 1 ? a->sizes[d1 - 2] : 1, m1 = a->sizes[d1 - 1];
    int64_t m2 = d2 > 1 ? b->sizes[d2 - 2] : b->sizes[0], p = d2 > 1 ? b->sizes[d2 - 1] : 1;
    int nb1 = d1 > 2 ? d1 - 2 : 0, nb2 = d2 > 2 ? d2 - 2 : 0;
    int64_t shape[CT_MAX_DIMS + 2];
    int nb = ct_broadcast_shapes("matmul", a->sizes, nb1, b->sizes, nb2, shape);
    if (nb < 0) return NULL;
    if (nb + 2 > CT_MAX_DIMS) return CT_FAIL(CT_ERR_RUNTIME, "matmul: too many dims");
    int64_t batch = ct__shape_numel(shape, nb);
    int64_t e1[CT_MAX_DIMS], e2[CT_MAX_DIMS];
    memcpy(e1, shape, sizeof(int64_t) * (size_t)nb);
    memcpy(e2, shape, sizeof(int64_t) * (size_t)nb);
    e1[nb] = n;
    e1[nb + 1] = m1;
    ct_tensor *ta = ct_expand(a, e1, nb + 2);
    ct_tensor *tb;
    if (d2 == 1) {
        e2[nb] = m2;
        tb = ct_expand(b, e2, nb + 1);
        tb = tb ? ct_reshape(tb, (int64_t[]){batch, m2, 1}, 3) : NULL;
    } else {
        e2[nb] = m2;
        e2[nb + 1] = p;
        tb = ct_expand(b, e2, nb + 2);
        tb = tb ? ct_reshape(tb, (int64_t[]){batch, m2, p}, 3) : NULL;
    }
    ta = ta ? ct_reshape(ta, (int64_t[]){batch, n, m1}, 3) : NULL;
    if (!ta || !tb) return NULL;
    ct_tensor *r = ct_bmm(ta, tb);
    if (!r) return NULL;
    int no = nb;
    if (d1 > 1) shape[no++] = n;
    if (d2 > 1) shape[no++] = p;
    return ct_view(r, shape, no);
}

ct_tensor *ct_matmul(const ct_tensor *a, const ct_tensor *b) {
    int d1 = a->ndim, d2 = b->ndim;
    if (d1 == 0 || d2 == 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "both arguments to matmul need to be at least 1D, but they are %dD and %dD",
                       d1, d2);
    if (d1 == 1 && d2 == 1) return ct_dot(a, b);
    if (d1 == 2 && d2 == 1) return ct_mv(a, b);
    if (d1 == 2 && d2 == 2) return ct_mm(a, b);
    ct_scope s = ct_scope_begin();
    ct_tensor *r;
    if (d1 == 1 && d2 == 2) {
        ct_tensor *u = ct_unsqueeze(a, 0);
        r = u ? ct_mm(u, b) : NULL;
        r = r ? ct_squeeze_dim(r, 0) : NULL;
    } else if (should_fold(a, d2) || should_fold(b, d1)) {
        r = matmul_fold(a, b);
    } else {
        r = matmul_batched(a, b);
    }
    if (r) ct_keep(r);
    ct_scope_end(s);
    return ct_autorelease(r);
}
