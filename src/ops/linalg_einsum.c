/* einsum and tensordot, composed of recorded public ops (diagonal, expand,
 * permute, reshape, sum, mm/bmm, mul) inside a scope: their gradients follow
 * from those ops, and every contraction is one GEMM. */
#include "ops/linalg_internal.h"

/* Subscript labels: 'A'..'Z' = 0..25, 'a'..'z' = 26..51 (so that the implicit
 * output comes out in PyTorch's order), ellipsis dims 52.. (right-aligned). */
#define NLETTERS 52
#define NLABELS (NLETTERS + CT_MAX_DIMS)

static int letter_label(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
    return -1;
}

static char label_char(int l) { return l < 26 ? (char)('A' + l) : (char)('a' + l - 26); }

/* One operand (or intermediate result) with a label per dim. */
typedef struct {
    ct_tensor *t; /* borrowed from the einsum scope */
    int lab[CT_MAX_DIMS];
    int n;
} term;

/* Permutes x's dims to order[] (labels), then reshapes to sizes. */
static ct_tensor *permute_reshape(term *x, const int *order, int n, const int64_t *sizes, int ns) {
    int perm[CT_MAX_DIMS];
    for (int i = 0; i < n; i++)
        for (int d = 0; d < x->n; d++)
            if (x->lab[d] == order[i]) perm[i] = d;
    ct_tensor *p = ct_permute(x->t, perm, n);
    return p ? ct_reshape(p, sizes, ns) : NULL;
}

static int64_t dim_of(const term *x, int label) {
    for (int d = 0; d < x->n; d++)
        if (x->lab[d] == label) return x->t->sizes[d];
    return 1;
}

static bool has(const term *x, int label) {
    for (int d = 0; d < x->n; d++)
        if (x->lab[d] == label) return true;
    return false;
}

/* Takes the diagonal of every repeated label: 'ii' -> 'i'. */
static int take_diagonals(term *x) {
    for (int d1 = 0; d1 < x->n; d1++)
        for (int d2 = d1 + 1; d2 < x->n; d2++) {
            if (x->lab[d1] != x->lab[d2]) continue;
            int l = x->lab[d1];
            ct_tensor *t = ct_diagonal(x->t, 0, d1, d2);
            if (!t) return -1;
            int m = 0;
            for (int d = 0; d < x->n; d++)
                if (d != d1 && d != d2) x->lab[m++] = x->lab[d];
            x->lab[m++] = l;
            x->n = m;
            x->t = t;
            d1 = -1; /* rescan */
            break;
        }
    return 0;
}

/* Sums the labels for which keep[] is false (torch.sum: integer and bool
 * sums come out int64, as in PyTorch's einsum). */
static int sum_out(term *x, const bool *keep) {
    int dims[CT_MAX_DIMS], nd = 0, nk = 0;
    for (int d = 0; d < x->n; d++) {
        if (keep[x->lab[d]]) x->lab[nk++] = x->lab[d];
        else dims[nd++] = d;
    }
    if (nd == 0) return 0;
    ct_tensor *r = ct_sum_dims(x->t, dims, nd, false, -1);
    if (!r) return -1;
    x->t = r;
    x->n = nk;
    return 0;
}

/* a * b summed over their shared labels that need[] does not keep: one
 * (batched) GEMM [batch, M, K] @ [batch, K, N]. */
static int contract(term *a, const term *b, const bool *need) {
    int bl[CT_MAX_DIMS], al[CT_MAX_DIMS], cl[CT_MAX_DIMS], ol[CT_MAX_DIMS];
    int nb = 0, na = 0, nc = 0, no = 0;
    int64_t Bt = 1, M = 1, K = 1, N = 1;
    for (int d = 0; d < a->n; d++) {
        int l = a->lab[d];
        int64_t s = a->t->sizes[d];
        if (!has(b, l)) { al[na++] = l; M *= s; }
        else if (need[l]) { bl[nb++] = l; Bt *= s; }
        else { cl[nc++] = l; K *= s; }
    }
    for (int d = 0; d < b->n; d++)
        if (!has(a, b->lab[d])) {
            ol[no++] = b->lab[d];
            N *= b->t->sizes[d];
        }
    if (nb + na + no > CT_MAX_DIMS) {
        ct_set_error(CT_ERR_RUNTIME, "einsum(): the result would have more than %d dims", CT_MAX_DIMS);
        return -1;
    }
    int oa[CT_MAX_DIMS], ob[CT_MAX_DIMS], lab[CT_MAX_DIMS];
    int64_t sizes[CT_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < nb; i++) oa[n++] = bl[i];
    for (int i = 0; i < na; i++) oa[n++] = al[i];
    for (int i = 0; i < nc; i++) oa[n++] = cl[i];
    n = 0;
    for (int i = 0; i < nb; i++) ob[n++] = bl[i];
    for (int i = 0; i < nc; i++) ob[n++] = cl[i];
    for (int i = 0; i < no; i++) ob[n++] = ol[i];
    term bb = *b;
    ct_tensor *r;
    if (nc == 0) {
        /* nothing to sum (outer and elementwise products): one broadcast
         * multiply instead of a GEMM with k = 1 per batch element; it
         * promotes mixed dtypes as PyTorch's einsum does here (a contraction
         * of mixed dtypes fails in mm/bmm, as in PyTorch) */
        ct_tensor *ma = permute_reshape(a, oa, nb + na, (int64_t[]){Bt, M, 1}, 3);
        ct_tensor *mb = ma ? permute_reshape(&bb, ob, nb + no, (int64_t[]){Bt, 1, N}, 3) : NULL;
        r = mb ? ct_mul(ma, mb) : NULL;
    } else if (nb == 0) {
        ct_tensor *ma = permute_reshape(a, oa, na + nc, (int64_t[]){M, K}, 2);
        ct_tensor *mb = ma ? permute_reshape(&bb, ob, nc + no, (int64_t[]){K, N}, 2) : NULL;
        r = mb ? ct_mm(ma, mb) : NULL;
    } else {
        ct_tensor *ma = permute_reshape(a, oa, nb + na + nc, (int64_t[]){Bt, M, K}, 3);
        ct_tensor *mb = ma ? permute_reshape(&bb, ob, nb + nc + no, (int64_t[]){Bt, K, N}, 3) : NULL;
        r = mb ? ct_bmm(ma, mb) : NULL;
    }
    if (!r) return -1;
    n = 0;
    for (int i = 0; i < nb; i++) { lab[n] = bl[i]; sizes[n++] = dim_of(a, bl[i]); }
    for (int i = 0; i < na; i++) { lab[n] = al[i]; sizes[n++] = dim_of(a, al[i]); }
    for (int i = 0; i < no; i++) { lab[n] = ol[i]; sizes[n++] = dim_of(b, ol[i]); }
    r = ct_reshape(r, sizes, n);
    if (!r) return -1;
    a->t = r;
    a->n = n;
    memcpy(a->lab, lab, sizeof(int) * (size_t)n);
    return 0;
}

/* Parses one operand's subscripts [s, e) into labels (ellipsis as -1 once).
 * Returns the number of entries or -1. */
static int parse_term(const char *eq, const char *s, const char *e, int op, int *out,
                      bool *has_ell) {
    int n = 0;
    *has_ell = false;
    for (const char *p = s; p < e; p++) {
        if (*p == ' ') continue;
        if (*p == '.') {
            const char *who = op < 0 ? "output" : "operand";
            if (*has_ell) {
                if (op < 0) ct_set_error(CT_ERR_RUNTIME, "einsum(): found '.' for output for which an ellipsis was already found");
                else ct_set_error(CT_ERR_RUNTIME, "einsum(): found '.' for operand %d for which an ellipsis was already found", op);
                return -1;
            }
            if (p + 2 >= e || p[1] != '.' || p[2] != '.') {
                if (op < 0) ct_set_error(CT_ERR_RUNTIME, "einsum(): found '.' for output that is not part of any ellipsis (...)");
                else ct_set_error(CT_ERR_RUNTIME, "einsum(): found '.' for %s %d that is not part of any ellipsis", who, op);
                return -1;
            }
            *has_ell = true;
            out[n++] = -1;
            p += 2;
            continue;
        }
        int l = letter_label(*p);
        if (l < 0) {
            ct_set_error(CT_ERR_RUNTIME,
                         "einsum(): invalid subscript given at index %d in the equation string, "
                         "subscripts must be in [a-zA-Z]",
                         (int)(p - eq));
            return -1;
        }
        if (n >= CT_MAX_DIMS + 1) {
            ct_set_error(CT_ERR_RUNTIME, "einsum(): too many subscripts for %s %d", op < 0 ? "output" : "operand", op);
            return -1;
        }
        out[n++] = l;
    }
    return n;
}

ct_tensor *ct_einsum(const char *eq, const ct_tensor *const *ops, int nops) {
    if (!eq) return CT_FAIL(CT_ERR_RUNTIME, "einsum(): equation is NULL");
    if (nops < 1) return CT_FAIL(CT_ERR_RUNTIME, "einsum(): must provide at least one operand");
    const char *arrow = strstr(eq, "->");
    const char *lhs_end = arrow ? arrow : eq + strlen(eq);
    /* count the terms */
    int nterms = 1;
    for (const char *p = eq; p < lhs_end; p++) nterms += *p == ',';
    if (nterms > nops) return CT_FAIL(CT_ERR_RUNTIME, "einsum(): fewer operands were provided than specified in the equation");
    if (nterms < nops) return CT_FAIL(CT_ERR_RUNTIME, "einsum(): more operands were provided than specified in the equation");

    term *terms = calloc((size_t)nops, sizeof *terms);
    if (!terms) return CT_FAIL(CT_ERR_MEMORY, "einsum(): out of memory");
    int64_t size[NLABELS];
    int count[NLABELS] = {0};
    bool seen[NLABELS] = {0};
    int ell_ndim = 0;
    ct_scope scope = ct_scope_begin();
    ct_tensor *result = NULL;

    /* operands: labels per dim, ellipsis dims numbered from the right */
    const char *s = eq;
    int raw[CT_MAX_DIMS + 2];
    for (int k = 0; k < nops; k++) {
        const char *e = s;
        while (e < lhs_end && *e != ',') e++;
        bool ell;
        int n = parse_term(eq, s, e, k, raw, &ell);
        if (n < 0) goto done;
        const ct_tensor *t = ops[k];
        int nl = ell ? n - 1 : n;
        if (!ell && nl != t->ndim) {
            ct_set_error(CT_ERR_RUNTIME,
                         "einsum(): the number of subscripts in the equation (%d) does not match "
                         "the number of dimensions (%d) for operand %d and no ellipsis was given",
                         nl, t->ndim, k);
            goto done;
        }
        if (ell && nl > t->ndim) {
            ct_set_error(CT_ERR_RUNTIME,
                         "einsum(): the number of subscripts in the equation (%d) is more than the "
                         "number of dimensions (%d) for operand %d",
                         nl, t->ndim, k);
            goto done;
        }
        if (t->ndim - nl > ell_ndim) ell_ndim = t->ndim - nl;
        s = e + 1;
    }
    /* second pass with the ellipsis width known */
    s = eq;
    for (int k = 0; k < nops; k++) {
        const char *e = s;
        while (e < lhs_end && *e != ',') e++;
        bool ell;
        int n = parse_term(eq, s, e, k, raw, &ell);
        const ct_tensor *t = ops[k];
        int ne = t->ndim - (ell ? n - 1 : n), d = 0;
        term *x = &terms[k];
        x->t = (ct_tensor *)t;
        for (int i = 0; i < n; i++) {
            if (raw[i] >= 0) {
                x->lab[d++] = raw[i];
                continue;
            }
            for (int j = 0; j < ne; j++) x->lab[d++] = NLETTERS + (ell_ndim - ne) + j;
        }
        x->n = d;
        /* sizes: equal within an operand, broadcastable across operands */
        for (int i = 0; i < d; i++) {
            int l = x->lab[i];
            int64_t sz = t->sizes[i];
            for (int j = 0; j < i; j++)
                if (x->lab[j] == l && t->sizes[j] != sz) {
                    ct_set_error(CT_ERR_RUNTIME,
                                 "einsum(): subscript %c is repeated for operand %d but the sizes "
                                 "don't match, %lld != %lld",
                                 label_char(l), k, (long long)t->sizes[j], (long long)sz);
                    goto done;
                }
            if (!seen[l] || size[l] == 1) {
                if (!seen[l] || sz != 1) size[l] = sz;
            } else if (sz != 1 && sz != size[l]) {
                if (l < NLETTERS)
                    ct_set_error(CT_ERR_RUNTIME,
                                 "einsum(): subscript %c has size %lld for operand %d which does not "
                                 "broadcast with previously seen size %lld",
                                 label_char(l), (long long)sz, k, (long long)size[l]);
                else
                    ct_set_error(CT_ERR_RUNTIME,
                                 "einsum(): dimension %d covered by ellipsis in operand %d has size "
                                 "%lld which does not broadcast with previously seen ellipsis with "
                                 "size %lld for the respective dimension",
                                 i, k, (long long)sz, (long long)size[l]);
                goto done;
            }
            seen[l] = true;
            count[l]++;
        }
        s = e + 1;
    }

    /* output labels */
    int out[NLABELS], nout = 0;
    if (arrow) {
        bool ell;
        int n = parse_term(eq, arrow + 2, arrow + 2 + strlen(arrow + 2), -1, raw, &ell);
        if (n < 0) goto done;
        bool used[NLABELS] = {0};
        for (int i = 0; i < n; i++) {
            if (raw[i] < 0) {
                for (int j = 0; j < ell_ndim; j++) out[nout++] = NLETTERS + j;
                continue;
            }
            int l = raw[i];
            if (!seen[l]) {
                ct_set_error(CT_ERR_RUNTIME, "einsum(): output subscript %c does not appear in the equation for any input operand", label_char(l));
                goto done;
            }
            if (used[l]) {
                ct_set_error(CT_ERR_RUNTIME, "einsum(): output subscript %c appears more than once in the output", label_char(l));
                goto done;
            }
            used[l] = true;
            out[nout++] = l;
        }
    } else {
        for (int j = 0; j < ell_ndim; j++) out[nout++] = NLETTERS + j;
        for (int l = 0; l < NLETTERS; l++)
            if (count[l] == 1) out[nout++] = l;
    }
    if (nout > CT_MAX_DIMS) {
        ct_set_error(CT_ERR_RUNTIME, "einsum(): the output would have %d dims, at most %d supported", nout, CT_MAX_DIMS);
        goto done;
    }

    /* per operand: diagonals, broadcast of size-1 dims, sums of private labels */
    for (int k = 0; k < nops; k++) {
        term *x = &terms[k];
        if (take_diagonals(x) < 0) goto done;
        int64_t es[CT_MAX_DIMS];
        bool expand = false;
        for (int d = 0; d < x->n; d++) {
            es[d] = size[x->lab[d]];
            expand |= es[d] != x->t->sizes[d];
        }
        if (expand && !(x->t = ct_expand(x->t, es, x->n))) goto done;
        bool keep[NLABELS] = {0};
        for (int i = 0; i < nout; i++) keep[out[i]] = true;
        for (int j = 0; j < nops; j++)
            if (j != k)
                for (int d = 0; d < terms[j].n; d++) keep[terms[j].lab[d]] = true;
        if (sum_out(x, keep) < 0) goto done;
    }

    /* contract left to right */
    term acc = terms[0];
    for (int k = 1; k < nops; k++) {
        bool need[NLABELS] = {0};
        for (int i = 0; i < nout; i++) need[out[i]] = true;
        for (int j = k + 1; j < nops; j++)
            for (int d = 0; d < terms[j].n; d++) need[terms[j].lab[d]] = true;
        if (contract(&acc, &terms[k], need) < 0) goto done;
    }
    /* a single operand may still hold labels the output drops */
    bool keep[NLABELS] = {0};
    for (int i = 0; i < nout; i++) keep[out[i]] = true;
    if (sum_out(&acc, keep) < 0) goto done;

    /* order the dims as the output asks */
    int perm[CT_MAX_DIMS];
    for (int i = 0; i < nout; i++)
        for (int d = 0; d < acc.n; d++)
            if (acc.lab[d] == out[i]) perm[i] = d;
    result = ct_permute(acc.t, perm, nout); /* a new tensor even for 0-d */
    if (result) ct_keep(result);
done:
    ct_scope_end(scope);
    free(terms);
    return ct_autorelease(result);
}

/* ------------------------------------------------------------ tensordot */
ct_tensor *ct_tensordot_dims(const ct_tensor *a, const ct_tensor *b, const int *dims_a,
                             const int *dims_b, int nd) {
    if (nd < 0 || nd > CT_MAX_DIMS) return CT_FAIL(CT_ERR_RUNTIME, "tensordot: bad number of dims %d", nd);
    bool ca[CT_MAX_DIMS] = {0}, cb[CT_MAX_DIMS] = {0};
    int pa[CT_MAX_DIMS], pb[CT_MAX_DIMS], na = 0, nb = 0;
    int64_t K = 1, M = 1, N = 1, os[CT_MAX_DIMS];
    int no = 0;
    int da[CT_MAX_DIMS], db[CT_MAX_DIMS];
    for (int i = 0; i < nd; i++) {
        da[i] = ct_wrap_dim("tensordot", dims_a[i], a->ndim);
        if (da[i] < 0) return NULL;
        db[i] = ct_wrap_dim("tensordot", dims_b[i], b->ndim);
        if (db[i] < 0) return NULL;
        if (a->sizes[da[i]] != b->sizes[db[i]])
            return CT_FAIL(CT_ERR_RUNTIME,
                           "contracted dimensions need to match, but first has size %lld in dim %d "
                           "and second has size %lld in dim %d",
                           (long long)a->sizes[da[i]], dims_a[i], (long long)b->sizes[db[i]], dims_b[i]);
        if (ca[da[i]] || cb[db[i]])
            return CT_FAIL(CT_ERR_RUNTIME, "tensordot: dim %d appears multiple times in the list of dims",
                           ca[da[i]] ? dims_a[i] : dims_b[i]);
        ca[da[i]] = cb[db[i]] = true;
        K *= a->sizes[da[i]];
    }
    for (int d = 0; d < a->ndim; d++)
        if (!ca[d]) {
            pa[na++] = d;
            M *= a->sizes[d];
            os[no++] = a->sizes[d];
        }
    for (int i = 0; i < nd; i++) pa[na++] = da[i];
    for (int i = 0; i < nd; i++) pb[nb++] = db[i];
    for (int d = 0; d < b->ndim; d++)
        if (!cb[d]) {
            pb[nb++] = d;
            N *= b->sizes[d];
            if (no < CT_MAX_DIMS) os[no++] = b->sizes[d];
            else return CT_FAIL(CT_ERR_RUNTIME, "tensordot: the result would have more than %d dims", CT_MAX_DIMS);
        }
    ct_scope s = ct_scope_begin();
    ct_tensor *ta = ct_permute(a, pa, a->ndim);
    ta = ta ? ct_reshape(ta, (int64_t[]){M, K}, 2) : NULL;
    ct_tensor *tb = ta ? ct_permute(b, pb, b->ndim) : NULL;
    tb = tb ? ct_reshape(tb, (int64_t[]){K, N}, 2) : NULL;
    ct_tensor *r = tb ? ct_mm(ta, tb) : NULL;
    r = r ? ct_reshape(r, os, no) : NULL;
    if (r) ct_keep(r);
    ct_scope_end(s);
    return ct_autorelease(r);
}

ct_tensor *ct_tensordot(const ct_tensor *a, const ct_tensor *b, int n) {
    if (n < 0) return CT_FAIL(CT_ERR_RUNTIME, "tensordot expects dims >= 0, but got dims=%d", n);
    if (n > a->ndim || n > b->ndim)
        return CT_FAIL(CT_ERR_INDEX, "tensordot: Dimension out of range (dims=%d for shapes %s and %s)",
                       n, ct__shp(a), ct__shp(b));
    int da[CT_MAX_DIMS], db[CT_MAX_DIMS];
    for (int i = 0; i < n; i++) {
        da[i] = a->ndim - n + i;
        db[i] = i;
    }
    return ct_tensordot_dims(a, b, da, db, n);
}
