/* einsum and tensordot against a naive evaluator written here: it walks
 * every assignment of the subscripts and adds up the products. */
#include "harness.h"

#include <stdlib.h>

/* Naive einsum for letter-only equations with an explicit "->" output.
 * Size-1 dims broadcast. Writes the output shape; returns its ndim and a
 * malloc'd row-major result. */
static int naive_einsum(const char *eq, const ct_tensor *const *ops, int n, int64_t *oshape,
                        double **out) {
    int64_t size[128] = {0};
    bool seen[128] = {0};
    const char *terms[8];
    int tlen[8];
    const char *p = eq;
    for (int k = 0; k < n; k++) {
        terms[k] = p;
        while (*p != ',' && *p != '-') p++;
        tlen[k] = (int)(p - terms[k]);
        for (int d = 0; d < tlen[k]; d++) {
            int64_t s = ops[k]->sizes[d];
            if (s != 1 || !seen[(int)terms[k][d]]) size[(int)terms[k][d]] = s;
            seen[(int)terms[k][d]] = true;
        }
        p++;
    }
    const char *o = strstr(eq, "->") + 2;
    int no = (int)strlen(o);
    char labels[64];
    int nl = 0;
    for (int c = 'A'; c <= 'z'; c++)
        if (seen[c]) labels[nl++] = (char)c;
    int64_t total = 1, onum = 1;
    for (int i = 0; i < nl; i++) total *= size[(int)labels[i]];
    for (int i = 0; i < no; i++) {
        oshape[i] = size[(int)o[i]];
        onum *= oshape[i];
    }
    double *res = calloc((size_t)(onum ? onum : 1), sizeof(double));
    double *vals[8];
    for (int k = 0; k < n; k++) vals[k] = tt_values(ops[k]);
    int64_t idx[128];
    for (int64_t t = 0; t < total; t++) {
        int64_t rem = t;
        for (int i = nl - 1; i >= 0; i--) {
            idx[(int)labels[i]] = rem % size[(int)labels[i]];
            rem /= size[(int)labels[i]];
        }
        double prod = 1;
        for (int k = 0; k < n; k++) {
            int64_t flat = 0;
            for (int d = 0; d < tlen[k]; d++) {
                int64_t s = ops[k]->sizes[d];
                flat = flat * s + (s == 1 ? 0 : idx[(int)terms[k][d]]);
            }
            prod *= vals[k][flat];
        }
        int64_t of = 0;
        for (int i = 0; i < no; i++) of = of * oshape[i] + idx[(int)o[i]];
        res[of] += prod;
    }
    for (int k = 0; k < n; k++) free(vals[k]);
    *out = res;
    return no;
}

/* r must equal the naive evaluation of ref_eq over ops. */
#define CHECK_EINSUM(r, ref_eq, ops, n, tol)                                          \
    do {                                                                              \
        int64_t os_[16];                                                              \
        double *ex_;                                                                  \
        int no_ = naive_einsum((ref_eq), (ops), (n), os_, &ex_);                      \
        int bad_ = tt_expect(__FILE__, __LINE__, (r), os_, no_, ex_, (tol));          \
        free(ex_);                                                                    \
        if (bad_) return;                                                             \
    } while (0)

static ct_tensor *rnd(const int64_t *shape, int nd, ct_dtype dt, unsigned seed) {
    return tt_rand(shape, nd, dt, -1, 1, seed);
}

#define OPS(...) ((const ct_tensor *const[]){__VA_ARGS__})

TEST(einsum, matrix_products_explicit_and_implicit) {
    ct_tensor *a = rnd(SHAPE(3, 4), 2, CT_FLOAT64, 1), *b = rnd(SHAPE(4, 5), 2, CT_FLOAT64, 2);
    CHECK_EINSUM(ct_einsum("ij,jk->ik", OPS(a, b), 2), "ij,jk->ik", OPS(a, b), 2, 1e-12);
    CHECK_EINSUM(ct_einsum("ij,jk", OPS(a, b), 2), "ij,jk->ik", OPS(a, b), 2, 1e-12);
    CHECK_EINSUM(ct_einsum("ij,jk->ki", OPS(a, b), 2), "ij,jk->ki", OPS(a, b), 2, 1e-12);
    ct_tensor *c = rnd(SHAPE(5, 2), 2, CT_FLOAT64, 3);
    CHECK_EINSUM(ct_einsum("ij,jk,kl->il", OPS(a, b, c), 3), "ij,jk,kl->il", OPS(a, b, c), 3, 1e-12);
    /* with spaces */
    CHECK_EINSUM(ct_einsum("i j , j k -> i k", OPS(a, b), 2), "ij,jk->ik", OPS(a, b), 2, 1e-12);
}

TEST(einsum, permutes_sums_and_outer_products) {
    ct_tensor *a = rnd(SHAPE(3, 4), 2, CT_FLOAT32, 4);
    ct_tensor *t = ct_einsum("ij->ji", OPS(a), 1);
    CHECK(t && t->storage == a->storage); /* a pure permutation is a view */
    CHECK_EINSUM(t, "ij->ji", OPS(a), 1, 0);
    /* implicit output is alphabetical, uppercase first (PyTorch: 'bA' -> 'Ab') */
    CHECK_EINSUM(ct_einsum("bA", OPS(a), 1), "bA->Ab", OPS(a), 1, 0);
    CHECK_EINSUM(ct_einsum("ij->", OPS(a), 1), "ij->", OPS(a), 1, 1e-5);
    CHECK_EINSUM(ct_einsum("ij->j", OPS(a), 1), "ij->j", OPS(a), 1, 1e-5);
    ct_tensor *u = rnd(SHAPE(3), 1, CT_FLOAT32, 5), *v = rnd(SHAPE(4), 1, CT_FLOAT32, 6);
    CHECK_EINSUM(ct_einsum("i,j->ij", OPS(u, v), 2), "i,j->ij", OPS(u, v), 2, 1e-6);
    CHECK_EINSUM(ct_einsum("i,j", OPS(u, v), 2), "i,j->ij", OPS(u, v), 2, 1e-6);
    ct_tensor *w = rnd(SHAPE(3, 4), 2, CT_FLOAT32, 7);
    CHECK_EINSUM(ct_einsum("ij,ij->ij", OPS(a, w), 2), "ij,ij->ij", OPS(a, w), 2, 1e-6);
    CHECK_EINSUM(ct_einsum("ij,ij", OPS(a, w), 2), "ij,ij->", OPS(a, w), 2, 1e-5);
    CHECK_EINSUM(ct_einsum("ij,ik", OPS(a, w), 2), "ij,ik->jk", OPS(a, w), 2, 1e-5);
    /* batched outer products and elementwise products in other dtypes */
    ct_tensor *p = rnd(SHAPE(4, 3), 2, CT_FLOAT64, 24), *q = rnd(SHAPE(4, 5), 2, CT_FLOAT64, 25);
    CHECK_EINSUM(ct_einsum("bi,bj->bij", OPS(p, q), 2), "bi,bj->bij", OPS(p, q), 2, 1e-12);
    CHECK_EINSUM(ct_einsum("bi,bj->jbi", OPS(p, q), 2), "bi,bj->jbi", OPS(p, q), 2, 1e-12);
    ct_tensor *h = rnd(SHAPE(3, 4), 2, CT_FLOAT16, 26);
    ct_tensor *hh = ct_einsum("ij,ij->ji", OPS(h, h), 2);
    CHECK(hh && hh->dtype == CT_FLOAT16);
    CHECK_EINSUM(hh, "ij,ij->ji", OPS(h, h), 2, 1e-3);
    ct_tensor *iv = tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_INT32);
    ct_tensor *io = ct_einsum("i,j", OPS(iv, iv), 2);
    CHECK(io && io->dtype == CT_INT32);
    CHECK_TENSOR(io, SHAPE(3, 3), 2, VALS(1, 2, 3, 2, 4, 6, 3, 6, 9), 0);
    /* no contraction: mixed dtypes promote (PyTorch: int32 x float32 'i,j' -> float32) */
    ct_tensor *fv = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32);
    ct_tensor *mix = ct_einsum("i,j", OPS(iv, fv), 2);
    CHECK(mix && mix->dtype == CT_FLOAT32);
    CHECK_TENSOR(mix, SHAPE(3, 2), 2, VALS(1, 2, 2, 4, 3, 6), 0);
}

TEST(einsum, traces_and_diagonals) {
    ct_tensor *m = rnd(SHAPE(4, 4), 2, CT_FLOAT64, 8);
    double *mv = tt_values(m);
    double tr = mv[0] + mv[5] + mv[10] + mv[15];
    free(mv);
    CHECK_TENSOR(ct_einsum("ii", OPS(m), 1), SHAPE(0), 0, VALS(tr), 1e-12);
    CHECK_TENSOR(ct_einsum("ii->", OPS(m), 1), SHAPE(0), 0, VALS(tr), 1e-12);
    ct_tensor *d = ct_einsum("ii->i", OPS(m), 1);
    CHECK(d && d->storage == m->storage);
    double *dv = tt_values(m);
    CHECK_TENSOR(d, SHAPE(4), 1, VALS(dv[0], dv[5], dv[10], dv[15]), 0);
    free(dv);
    ct_tensor *x = rnd(SHAPE(3, 2, 3), 3, CT_FLOAT64, 9);
    double *xv = tt_values(x), ex[2];
    for (int j = 0; j < 2; j++) ex[j] = xv[0 * 6 + j * 3 + 0] + xv[1 * 6 + j * 3 + 1] + xv[2 * 6 + j * 3 + 2];
    free(xv);
    CHECK_TENSOR(ct_einsum("iji->j", OPS(x), 1), SHAPE(2), 1, ex, 1e-12);
    /* a batched diagonal inside a product: b-th trace of A_b B */
    ct_tensor *A = rnd(SHAPE(2, 3, 3), 3, CT_FLOAT64, 10), *B = rnd(SHAPE(3, 3), 2, CT_FLOAT64, 11);
    CHECK_EINSUM(ct_einsum("bij,ji->b", OPS(A, B), 2), "bij,ji->b", OPS(A, B), 2, 1e-12);
}

TEST(einsum, batches_broadcasting_and_ellipsis) {
    ct_tensor *a = rnd(SHAPE(5, 2, 3), 3, CT_FLOAT32, 12), *b = rnd(SHAPE(5, 3, 4), 3, CT_FLOAT32, 13);
    CHECK_EINSUM(ct_einsum("bij,bjk->bik", OPS(a, b), 2), "bij,bjk->bik", OPS(a, b), 2, 1e-5);
    /* a size-1 batch broadcasts against 5 */
    ct_tensor *b1 = rnd(SHAPE(1, 3, 4), 3, CT_FLOAT32, 14);
    CHECK_EINSUM(ct_einsum("bij,bjk->bik", OPS(a, b1), 2), "bij,bjk->bik", OPS(a, b1), 2, 1e-5);
    /* ellipsis: [2, 1, 3, 4] @ [5, 4, 2] -> [2, 5, 3, 2] */
    ct_tensor *e1 = rnd(SHAPE(2, 1, 3, 4), 4, CT_FLOAT64, 15), *e2 = rnd(SHAPE(5, 4, 2), 3, CT_FLOAT64, 16);
    ct_tensor *e2b = ct_unsqueeze(e2, 0); /* the reference sees [1, 5, 4, 2] */
    CHECK_EINSUM(ct_einsum("...ij,...jk->...ik", OPS(e1, e2), 2), "xyij,xyjk->xyik", OPS(e1, e2b), 2, 1e-12);
    CHECK_EINSUM(ct_einsum("...ij,...jk", OPS(e1, e2), 2), "xyij,xyjk->xyik", OPS(e1, e2b), 2, 1e-12);
    /* an ellipsis absent from the output is summed */
    ct_tensor *s = rnd(SHAPE(4, 2, 3), 3, CT_FLOAT64, 17);
    CHECK_EINSUM(ct_einsum("...ij->ij", OPS(s), 1), "xij->ij", OPS(s), 1, 1e-12);
    CHECK_EINSUM(ct_einsum("i...->...i", OPS(s), 1), "ixy->xyi", OPS(s), 1, 0);
    /* bilinear form with three operands */
    ct_tensor *x1 = rnd(SHAPE(3, 4), 2, CT_FLOAT64, 18), *W = rnd(SHAPE(2, 4, 5), 3, CT_FLOAT64, 19);
    ct_tensor *x2 = rnd(SHAPE(3, 5), 2, CT_FLOAT64, 20);
    CHECK_EINSUM(ct_einsum("bn,anm,bm->ba", OPS(x1, W, x2), 3), "bn,anm,bm->ba", OPS(x1, W, x2), 3, 1e-12);
}

TEST(einsum, noncontiguous_integer_scalar_and_empty_operands) {
    ct_tensor *a = ct_t(rnd(SHAPE(4, 3), 2, CT_FLOAT64, 21));
    ct_tensor *b = ct_slice(rnd(SHAPE(4, 10), 2, CT_FLOAT64, 22), 1, 0, 10, 2);
    CHECK_EINSUM(ct_einsum("ij,jk->ik", OPS(a, b), 2), "ij,jk->ik", OPS(a, b), 2, 1e-12);
    ct_tensor *ai = tt_tensor(VALS(1, 2, 3, 4), SHAPE(2, 2), 2, CT_INT64);
    ct_tensor *si = ct_einsum("ij->", OPS(ai), 1);
    CHECK(si && si->dtype == CT_INT64);
    CHECK_TENSOR(si, SHAPE(0), 0, VALS(10), 0);
    /* sums of small integers and bools are int64 (PyTorch: uint8 200*4 -> 800, bool 'ii' -> 2) */
    ct_tensor *u8 = tt_tensor(VALS(200, 200, 200, 200), SHAPE(2, 2), 2, CT_UINT8);
    ct_tensor *su = ct_einsum("ij->", OPS(u8), 1);
    CHECK(su && su->dtype == CT_INT64);
    CHECK_TENSOR(su, SHAPE(0), 0, VALS(800), 0);
    ct_tensor *bl = tt_tensor(VALS(1, 1, 1, 1), SHAPE(2, 2), 2, CT_BOOL);
    ct_tensor *sb = ct_einsum("ii", OPS(bl), 1);
    CHECK(sb && sb->dtype == CT_INT64);
    CHECK_TENSOR(sb, SHAPE(0), 0, VALS(2), 0);
    CHECK_TENSOR(ct_einsum("ij,jk->ik", OPS(ai, ai), 2), SHAPE(2, 2), 2, VALS(7, 10, 15, 22), 0);
    ct_tensor *sc = ct_scalar_tensor(3, CT_FLOAT32);
    CHECK_TENSOR(ct_einsum("", OPS(sc), 1), SHAPE(0), 0, VALS(3), 0);
    ct_tensor *v = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32);
    CHECK_TENSOR(ct_einsum("i,->i", OPS(v, sc), 2), SHAPE(2), 1, VALS(3, 6), 0);
    ct_tensor *z = ct_einsum("ij,jk->ik", OPS(ct_empty(SHAPE(2, 0), 2, CT_FLOAT32), ct_empty(SHAPE(0, 3), 2, CT_FLOAT32)), 2);
    CHECK_TENSOR(z, SHAPE(2, 3), 2, VALS(0, 0, 0, 0, 0, 0), 0);
    ct_tensor *e0 = ct_empty(SHAPE(0, 3), 2, CT_FLOAT32), *e1 = rnd(SHAPE(3, 2), 2, CT_FLOAT32, 23);
    CHECK_EINSUM(ct_einsum("ij,jk->ik", OPS(e0, e1), 2), "ij,jk->ik", OPS(e0, e1), 2, 0);
    CHECK_EINSUM(ct_einsum("ij,jk->k", OPS(e0, e1), 2), "ij,jk->k", OPS(e0, e1), 2, 0);
}

TEST(einsum, errors_match_pytorch) {
    ct_tensor *a = rnd(SHAPE(2, 3), 2, CT_FLOAT32, 1);
    CHECK_ERR(ct_einsum("ij,jk", OPS(a, a), 2),
              "einsum(): subscript j has size 2 for operand 1 which does not broadcast with previously seen size 3");
    CHECK_ERR(ct_einsum("ij,jk->ik", OPS(a), 1), "einsum(): fewer operands were provided than specified in the equation");
    CHECK_ERR(ct_einsum("ij", OPS(a, a), 2), "einsum(): more operands were provided than specified in the equation");
    CHECK_ERR(ct_einsum("ij->k", OPS(a), 1), "einsum(): output subscript k does not appear in the equation for any input operand");
    CHECK_ERR(ct_einsum("ii->i", OPS(a), 1), "einsum(): subscript i is repeated for operand 0 but the sizes don't match, 2 != 3");
    CHECK_ERR(ct_einsum("ij->ii", OPS(a), 1), "einsum(): output subscript i appears more than once in the output");
    CHECK_ERR(ct_einsum("i", OPS(a), 1),
              "einsum(): the number of subscripts in the equation (1) does not match the number of dimensions (2) for operand 0 and no ellipsis was given");
    CHECK_ERR(ct_einsum("ijk...", OPS(a), 1),
              "einsum(): the number of subscripts in the equation (3) is more than the number of dimensions (2) for operand 0");
    CHECK_ERR(ct_einsum("i.j", OPS(a), 1), "einsum(): found '.' for operand 0 that is not part of any ellipsis");
    CHECK_ERR(ct_einsum("...i...", OPS(a), 1), "einsum(): found '.' for operand 0 for which an ellipsis was already found");
    CHECK_ERR(ct_einsum("i1", OPS(a), 1), "einsum(): invalid subscript given at index 1 in the equation string, subscripts must be in [a-zA-Z]");
    CHECK_ERR(ct_einsum("i...,i...", OPS(a, rnd(SHAPE(2, 4), 2, CT_FLOAT32, 2)), 2),
              "einsum(): dimension 1 covered by ellipsis in operand 1 has size 4 which does not broadcast");
    CHECK_ERR(ct_einsum("ij,jk", OPS(a, rnd(SHAPE(3, 2), 2, CT_FLOAT64, 2)), 2),
              "expected scalar type Float but found Double");
}

TEST(tensordot, int_and_list_dims) {
    ct_tensor *a = rnd(SHAPE(2, 3, 4), 3, CT_FLOAT64, 30), *b = rnd(SHAPE(3, 4, 5), 3, CT_FLOAT64, 31);
    CHECK_EINSUM(ct_tensordot(a, b, 2), "ijk,jkl->il", OPS(a, b), 2, 1e-12);
    CHECK_EINSUM(ct_tensordot(a, b, 0), "ijk,lmn->ijklmn", OPS(a, b), 2, 1e-12);
    ct_tensor *c = rnd(SHAPE(4, 3, 5), 3, CT_FLOAT64, 32);
    CHECK_EINSUM(ct_tensordot_dims(a, c, (const int[]){1, 2}, (const int[]){1, 0}, 2), "ijk,kjl->il",
                 OPS(a, c), 2, 1e-12);
    CHECK_EINSUM(ct_tensordot_dims(a, c, (const int[]){-1}, (const int[]){0}, 1), "ijk,kmn->ijmn",
                 OPS(a, c), 2, 1e-12);
    CHECK_ERR(ct_tensordot_dims(a, c, (const int[]){1, 2}, (const int[]){0, 1}, 2),
              "contracted dimensions need to match, but first has size 3 in dim 1 and second has size 4 in dim 0");
    CHECK_ERR(ct_tensordot(a, c, -1), "tensordot expects dims >= 0, but got dims=-1");
    CHECK_ERR(ct_tensordot(a, c, 4), "Dimension out of range");
}
