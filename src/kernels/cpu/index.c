/* Indexing kernels: the dim-wise scatter/gather loop, offset-based advanced
 * indexing, nonzero and the mask loops. Raw loops over pointers and byte
 * strides; the ops in src/ops/index*.c prepare the views. */
#include "ops/index_internal.h"

#include <math.h>
#include <omp.h>
#include <stdatomic.h>

void ct__index_value_bits(void *bits, ct_dtype dt, double v) {
    if (ct_dtype_is_integral(dt)) {
        int64_t lo = INT64_MIN, hi = INT64_MAX;
        switch (dt) {
        case CT_UINT8: lo = 0; hi = UINT8_MAX; break;
        case CT_INT8: lo = INT8_MIN; hi = INT8_MAX; break;
        case CT_INT16: lo = INT16_MIN; hi = INT16_MAX; break;
        case CT_INT32: lo = INT32_MIN; hi = INT32_MAX; break;
        default: break;
        }
        int64_t i;
        if (isnan(v)) i = 0;
        else if (isinf(v)) i = v > 0 ? hi : lo;
        else if (v >= 9.2233720368547758e18) i = INT64_MAX;
        else if (v <= -9.2233720368547758e18) i = INT64_MIN;
        else i = (int64_t)v;
        ct__store_i64(bits, dt, i);
        return;
    }
    if (dt == CT_BOOL && isinf(v)) v = v > 0;
    ct__store_f64(bits, dt, v);
}

/* ------------------------------------------------------------ dim-wise */

typedef struct {
    ct__sg_op op;
    ct_dtype dt;
    int64_t nd;    /* iterations along dim (index.size(dim)) */
    int64_t lim;   /* indexed.size(dim) */
    int64_t s_ix;  /* byte strides along dim: indexed, index, other */
    int64_t s_idx;
    int64_t s_oth;
    double value;
    uint64_t bits; /* FILL value in the dtype */
    atomic_int bad_flag;
    int64_t bad;
} sg_ctx;

static void sg_report(sg_ctx *c, int64_t idx) {
    int expected = 0;
    if (atomic_compare_exchange_strong(&c->bad_flag, &expected, 1)) c->bad = idx;
}

/* Loop orders: when the run (the innermost dim off dim) is contiguous in
 * some operand, walk dim outside and the run inside, so memory is read and
 * written along rows; with an index constant along the run (stride 0, e.g.
 * an index_select index expanded over the inner dims) each row needs one
 * index read and the copy vectorizes. A run strided everywhere is walked
 * outside with dim inside. Within one position, j ascends in every order,
 * so the last of duplicate writes wins. STMT
 * reads and writes through d (indexed element) and o (other element). */
#define SG_LOOPS(T, STMT)                                                             \
    do {                                                                              \
        char *ix_ = data[0];                                                          \
        const char *ip_ = data[1];                                                    \
        char *ot_ = data[2];                                                          \
        const int64_t s0_ = st[0], s1_ = st[1], s2_ = st[2];                          \
        const bool run_contig_ = s0_ == (int64_t)sizeof(T) || s2_ == (int64_t)sizeof(T) || \
                                 s1_ == 8;                                            \
        if (s1_ == 0 && run_contig_) {                                                \
            for (int64_t j = 0; j < c->nd; j++) {                                     \
                int64_t idx = *(const int64_t *)(ip_ + j * c->s_idx);                 \
                if (CT_UNLIKELY((uint64_t)idx >= (uint64_t)c->lim)) {                 \
                    sg_report(c, idx);                                                \
                    return;                                                           \
                }                                                                     \
                char *dr_ = ix_ + idx * c->s_ix;                                      \
                char *or_ = ot_ + j * c->s_oth;                                       \
                if (s0_ == (int64_t)sizeof(T) && s2_ == (int64_t)sizeof(T)) {         \
                    for (int64_t k = 0; k < n; k++) {                                 \
                        T *d = (T *)dr_ + k;                                          \
                        T *o = (T *)or_ + k;                                          \
                        (void)o;                                                      \
                        STMT;                                                         \
                    }                                                                 \
                } else {                                                              \
                    for (int64_t k = 0; k < n; k++) {                                 \
                        T *d = (T *)(dr_ + k * s0_);                                  \
                        T *o = (T *)(or_ + k * s2_);                                  \
                        (void)o;                                                      \
                        STMT;                                                         \
                    }                                                                 \
                }                                                                     \
            }                                                                         \
        } else if (run_contig_) {                                                     \
            for (int64_t j = 0; j < c->nd; j++) {                                     \
                const char *ipj_ = ip_ + j * c->s_idx;                                \
                char *orj_ = ot_ + j * c->s_oth;                                      \
                for (int64_t k = 0; k < n; k++) {                                     \
                    int64_t idx = *(const int64_t *)(ipj_ + k * s1_);                 \
                    if (CT_UNLIKELY((uint64_t)idx >= (uint64_t)c->lim)) {             \
                        sg_report(c, idx);                                            \
                        return;                                                       \
                    }                                                                 \
                    T *d = (T *)(ix_ + k * s0_ + idx * c->s_ix);                      \
                    T *o = (T *)(orj_ + k * s2_);                                     \
                    (void)o;                                                          \
                    STMT;                                                             \
                }                                                                     \
            }                                                                         \
        } else {                                                                      \
            for (int64_t k = 0; k < n; k++) {                                         \
                char *ixk_ = ix_ + k * s0_;                                           \
                const char *ipk_ = ip_ + k * s1_;                                     \
                char *otk_ = ot_ + k * s2_;                                           \
                for (int64_t j = 0; j < c->nd; j++) {                                 \
                    int64_t idx = *(const int64_t *)(ipk_ + j * c->s_idx);            \
                    if (CT_UNLIKELY((uint64_t)idx >= (uint64_t)c->lim)) {             \
                        sg_report(c, idx);                                            \
                        return;                                                       \
                    }                                                                 \
                    T *d = (T *)(ixk_ + idx * c->s_ix);                               \
                    T *o = (T *)(otk_ + j * c->s_oth);                                \
                    (void)o;                                                          \
                    STMT;                                                             \
                }                                                                     \
            }                                                                         \
        }                                                                             \
    } while (0)

/* Copy-like ops only move bits: one loop per element size. */
static void sg_move(char **data, const int64_t *st, int64_t n, sg_ctx *c) {
#define SG_MOVE(T)                                                                    \
    {                                                                                 \
        T fv;                                                                         \
        memcpy(&fv, &c->bits, sizeof fv);                                             \
        if (c->op == CT__SG_GATHER) SG_LOOPS(T, *o = *d);                             \
        else if (c->op == CT__SG_COPY) SG_LOOPS(T, *d = *o);                          \
        else SG_LOOPS(T, *d = fv);                                                    \
        return;                                                                       \
    }
    switch (ct_dtype_size(c->dt)) {
    case 1: SG_MOVE(uint8_t);
    case 2: SG_MOVE(uint16_t);
    case 4: SG_MOVE(uint32_t);
    default: SG_MOVE(uint64_t);
    }
#undef SG_MOVE
}

#define CT_ISNAN(v) __builtin_isnan((double)(v))

static void sg_arith(char **data, const int64_t *st, int64_t n, sg_ctx *c) {
    if (c->dt == CT_BOOL) {
        typedef bool T;
        switch (c->op) {
        case CT__SG_ADD: SG_LOOPS(T, *d = *d || (*o && c->value != 0)); return;
        case CT__SG_MAX: SG_LOOPS(T, *d = *d || *o); return;
        case CT__SG_MUL:
        case CT__SG_MIN: SG_LOOPS(T, *d = *d && *o); return;
        default: return;
        }
    }
#define SG_ARITH(T)                                                                   \
    {                                                                                 \
        const T a = (T)c->value;                                                      \
        switch (c->op) {                                                              \
        case CT__SG_ADD: SG_LOOPS(T, *d = (T)(*d + a * *o)); break;                   \
        case CT__SG_MUL: SG_LOOPS(T, *d = (T)(*d * *o)); break;                       \
        case CT__SG_MAX:                                                              \
            SG_LOOPS(T, if (*o > *d || CT_ISNAN(*o)) *d = *o);                        \
            break;                                                                    \
        case CT__SG_MIN:                                                              \
            SG_LOOPS(T, if (*o < *d || CT_ISNAN(*o)) *d = *o);                        \
            break;                                                                    \
        case CT__SG_COUNT: SG_LOOPS(T, *d = (T)(*d + 1)); break;                      \
        default: break;                                                               \
        }                                                                             \
    }
    switch (c->dt) {
        CT__CASE(CT_UINT8, uint8_t, SG_ARITH(T))
        CT__CASE(CT_INT8, int8_t, SG_ARITH(T))
        CT__CASE(CT_INT16, int16_t, SG_ARITH(T))
        CT__CASE(CT_INT32, int32_t, SG_ARITH(T))
        CT__CASE(CT_INT64, int64_t, SG_ARITH(T))
        CT__CASE(CT_FLOAT32, float, SG_ARITH(T))
        CT__CASE(CT_FLOAT64, double, SG_ARITH(T))
    default: {
        /* float16 / bfloat16: through double, one element at a time */
        ct_dtype dt = c->dt;
        double a = c->value;
        typedef uint16_t T;
        switch (c->op) {
        case CT__SG_ADD:
            SG_LOOPS(T, ct__store_f64(d, dt, ct__load_f64(d, dt) + a * ct__load_f64(o, dt)));
            break;
        case CT__SG_MUL:
            SG_LOOPS(T, ct__store_f64(d, dt, ct__load_f64(d, dt) * ct__load_f64(o, dt)));
            break;
        case CT__SG_MAX:
            SG_LOOPS(T, {
                double x_ = ct__load_f64(o, dt);
                if (x_ > ct__load_f64(d, dt) || isnan(x_)) *d = *o;
            });
            break;
        case CT__SG_MIN:
            SG_LOOPS(T, {
                double x_ = ct__load_f64(o, dt);
                if (x_ < ct__load_f64(d, dt) || isnan(x_)) *d = *o;
            });
            break;
        default: break;
        }
    }
    }
#undef SG_ARITH
}

static void sg_loop(char **data, const int64_t *st, int64_t n, void *ctx) {
    sg_ctx *c = ctx;
    if (c->op == CT__SG_GATHER || c->op == CT__SG_COPY || c->op == CT__SG_FILL)
        sg_move(data, st, n, c);
    else
        sg_arith(data, st, n, c);
}

/* A view of t with index's sizes (dim squashed to 1) and t's strides, as a
 * stack struct for the iterator; 0-d tensors read as [1]. */
static void squashed(ct_tensor *v, const ct_tensor *t, const ct_tensor *index, int dim) {
    memcpy(v, t, sizeof *v);
    if (t->ndim == 0) {
        v->ndim = 1;
        v->strides[0] = 1;
    }
    v->ndim = index->ndim ? index->ndim : 1;
    for (int d = 0; d < v->ndim; d++) v->sizes[d] = index->ndim ? index->sizes[d] : 1;
    v->sizes[dim] = 1;
    v->numel = ct__shape_numel(v->sizes, v->ndim);
}

int ct__sg_run(ct__sg_op op, ct_tensor *indexed, const ct_tensor *index, ct_tensor *other,
               int dim, double value, int64_t *bad) {
    if (index->numel == 0) return 0;
    if (!ct__on_cpu(indexed) || !ct__on_cpu(index) || (other && !ct__on_cpu(other))) {
        if (!ct__cuda) {
            ct_set_error(CT_ERR_RUNTIME, "Torch not compiled with CUDA enabled");
            return -1;
        }
        return ct__cuda->sg_run((int)op, indexed, index, other, dim, value, bad);
    }
    ct_tensor vi, vx, vo;
    squashed(&vi, indexed, index, dim);
    squashed(&vx, index, index, dim);
    squashed(&vo, other ? other : index, index, dim);
    int64_t isz = (int64_t)ct_dtype_size(indexed->dtype);
    sg_ctx c;
    memset(&c, 0, sizeof c);
    c.op = op;
    c.dt = indexed->dtype;
    c.nd = index->ndim ? index->sizes[dim] : 1;
    c.lim = indexed->ndim ? indexed->sizes[dim] : 1;
    c.s_ix = indexed->ndim ? indexed->strides[dim] * isz : 0;
    c.s_idx = index->ndim ? index->strides[dim] * 8 : 0;
    const ct_tensor *oth = other ? other : index;
    c.s_oth = oth->ndim ? oth->strides[dim] * (int64_t)ct_dtype_size(oth->dtype) : 0;
    c.value = value;
    if (op == CT__SG_FILL) ct__index_value_bits(&c.bits, indexed->dtype, value);
    atomic_init(&c.bad_flag, 0);
    const ct_tensor *ops[3] = {&vi, &vx, &vo};
    ct_iter it;
    ct_iter_init(&it, 3, ops, vi.sizes, vi.ndim);
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    if (op == CT__SG_GATHER && nt > 1 && it.numel < 128 * (int64_t)nt &&
        it.numel * c.nd >= CT_GRAIN) {
        /* few positions off dim but a long dim (a 1-d gather, index_select
         * of narrow rows): too few for the iterator's 64-element chunks, and
         * gathers write distinct outputs, so split the index along dim */
        int64_t chunk = (c.nd + nt - 1) / nt;
        atomic_int any_bad;
        atomic_init(&any_bad, 0);
        int64_t first_bad = 0;
#pragma omp parallel num_threads(nt)
        {
            int t = omp_get_thread_num();
            int64_t j0 = t * chunk, j1 = j0 + chunk < c.nd ? j0 + chunk : c.nd;
            if (j0 < j1) {
                sg_ctx lc;
                memcpy(&lc, &c, sizeof lc);
                atomic_init(&lc.bad_flag, 0);
                lc.nd = j1 - j0;
                ct_iter lit = it;
                lit.data[1] += j0 * c.s_idx;
                lit.data[2] += j0 * c.s_oth;
                ct_iter_run_range(&lit, sg_loop, &lc, 0, lit.numel);
                if (atomic_load(&lc.bad_flag)) {
                    int expected = 0;
                    if (atomic_compare_exchange_strong(&any_bad, &expected, 1)) first_bad = lc.bad;
                }
            }
        }
        if (atomic_load(&any_bad)) {
            *bad = first_bad;
            return 1;
        }
        return 0;
    }
    int64_t grain = CT_GRAIN / (c.nd > 0 ? c.nd : 1);
    ct_iter_run(&it, sg_loop, &c, grain > 0 ? grain : 1);
    if (atomic_load(&c.bad_flag)) {
        *bad = c.bad;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ offsets */

typedef struct {
    int64_t size, stride;
    atomic_int bad_flag;
    int64_t bad;
} off_ctx;

static void off_loop(char **data, const int64_t *st, int64_t n, void *ctx) {
    off_ctx *c = ctx;
    char *o = data[0];
    const char *ip = data[1];
    for (int64_t k = 0; k < n; k++, o += st[0], ip += st[1]) {
        int64_t v = *(const int64_t *)ip;
        if (v < 0) v += c->size;
        if (CT_UNLIKELY((uint64_t)v >= (uint64_t)c->size)) {
            int expected = 0;
            if (atomic_compare_exchange_strong(&c->bad_flag, &expected, 1))
                c->bad = *(const int64_t *)ip;
            return;
        }
        *(int64_t *)o += v * c->stride;
    }
}

int ct__index_add_offsets(ct_tensor *off, const ct_tensor *idx, int64_t size, int64_t stride,
                          int64_t *bad) {
    off_ctx c;
    c.size = size;
    c.stride = stride;
    c.bad = 0;
    atomic_init(&c.bad_flag, 0);
    const ct_tensor *ops[2] = {off, idx};
    ct_iter it;
    ct_iter_init(&it, 2, ops, off->sizes, off->ndim);
    ct_iter_run(&it, off_loop, &c, CT_GRAIN);
    if (atomic_load(&c.bad_flag)) {
        *bad = c.bad;
        return 1;
    }
    return 0;
}

/* out = src[off]: a row copy when the offset is constant along the run. */
#define GATHER_OFF(T)                                                                 \
    do {                                                                              \
        char *o_ = data[0];                                                           \
        const char *s_ = data[1], *f_ = data[2];                                      \
        if (st[2] == 0) {                                                             \
            const char *src_ = s_ + *(const int64_t *)f_ * (int64_t)sizeof(T);        \
            if (st[0] == (int64_t)sizeof(T) && st[1] == (int64_t)sizeof(T)) {        \
                memcpy(o_, src_, (size_t)n * sizeof(T));                              \
            } else {                                                                  \
                for (int64_t k = 0; k < n; k++)                                       \
                    *(T *)(o_ + k * st[0]) = *(const T *)(src_ + k * st[1]);          \
            }                                                                         \
        } else {                                                                      \
            for (int64_t k = 0; k < n; k++) {                                         \
                int64_t f = *(const int64_t *)(f_ + k * st[2]);                       \
                *(T *)(o_ + k * st[0]) =                                              \
                    *(const T *)(s_ + k * st[1] + f * (int64_t)sizeof(T));            \
            }                                                                         \
        }                                                                             \
    } while (0)

static void gather_off_1(char **data, const int64_t *st, int64_t n, void *ctx) { GATHER_OFF(uint8_t); }
static void gather_off_2(char **data, const int64_t *st, int64_t n, void *ctx) { GATHER_OFF(uint16_t); }
static void gather_off_4(char **data, const int64_t *st, int64_t n, void *ctx) { GATHER_OFF(uint32_t); }
static void gather_off_8(char **data, const int64_t *st, int64_t n, void *ctx) { GATHER_OFF(uint64_t); }

void ct__index_gather_offsets(ct_tensor *out, const ct_tensor *src, const ct_tensor *off) {
    if (out->numel == 0) return;
    const ct_tensor *ops[3] = {out, src, off};
    ct_iter it;
    ct_iter_init(&it, 3, ops, out->sizes, out->ndim);
    ct_loop_fn fn;
    switch (ct_dtype_size(out->dtype)) {
    case 1: fn = gather_off_1; break;
    case 2: fn = gather_off_2; break;
    case 4: fn = gather_off_4; break;
    default: fn = gather_off_8; break;
    }
    ct_iter_run(&it, fn, NULL, CT_GRAIN);
}

/* Row-major walk (the iterator may reorder dims, and the order of duplicate
 * writes must be the index order): calls fn per innermost row. */
static void rowmajor_walk(const int64_t *sizes, int ndim, int nops, char **base,
                          const int64_t (*st)[CT_MAX_DIMS], ct_loop_fn fn, void *ctx) {
    if (ct__shape_numel(sizes, ndim) == 0) return;
    if (ndim == 0) {
        int64_t zs[CT_MAX_OPERANDS] = {0};
        fn(base, zs, 1, ctx);
        return;
    }
    int64_t idx[CT_MAX_DIMS] = {0};
    char *p[CT_MAX_OPERANDS];
    int64_t inner_st[CT_MAX_OPERANDS];
    for (int k = 0; k < nops; k++) {
        p[k] = base[k];
        inner_st[k] = st[k][ndim - 1];
    }
    for (;;) {
        fn(p, inner_st, sizes[ndim - 1], ctx);
        int d = ndim - 2;
        for (; d >= 0; d--) {
            idx[d]++;
            for (int k = 0; k < nops; k++) p[k] += st[k][d];
            if (idx[d] < sizes[d]) break;
            for (int k = 0; k < nops; k++) p[k] -= sizes[d] * st[k][d];
            idx[d] = 0;
        }
        if (d < 0) return;
    }
}

typedef struct {
    ct_dtype dt;
} put_ctx;

#define PUT_OFF(T, STMT)                                                              \
    do {                                                                              \
        char *d_ = data[0];                                                           \
        const char *v_ = data[1], *f_ = data[2];                                      \
        for (int64_t k = 0; k < n; k++) {                                             \
            T *d = (T *)(d_ + k * st[0] + *(const int64_t *)(f_ + k * st[2]) *        \
                                              (int64_t)sizeof(T));                    \
            const T *v = (const T *)(v_ + k * st[1]);                                 \
            STMT;                                                                     \
        }                                                                             \
    } while (0)

static void put_off_copy(char **data, const int64_t *st, int64_t n, void *ctx) {
    put_ctx *c = ctx;
    size_t isz = ct_dtype_size(c->dt);
    if (st[2] == 0 && st[0] == (int64_t)isz && st[1] == (int64_t)isz) {
        /* one offset for the whole row: a row copy */
        memcpy(data[0] + *(const int64_t *)data[2] * (int64_t)isz, data[1], (size_t)n * isz);
        return;
    }
    switch (ct_dtype_size(c->dt)) {
    case 1: PUT_OFF(uint8_t, *d = *v); break;
    case 2: PUT_OFF(uint16_t, *d = *v); break;
    case 4: PUT_OFF(uint32_t, *d = *v); break;
    default: PUT_OFF(uint64_t, *d = *v); break;
    }
}

static void put_off_acc(char **data, const int64_t *st, int64_t n, void *ctx) {
    put_ctx *c = ctx;
    ct_dtype dt = c->dt;
    switch (dt) {
        CT__CASE(CT_BOOL, bool, PUT_OFF(T, *d = *d || *v))
        CT__CASE(CT_UINT8, uint8_t, PUT_OFF(T, *d = (T)(*d + *v)))
        CT__CASE(CT_INT8, int8_t, PUT_OFF(T, *d = (T)(*d + *v)))
        CT__CASE(CT_INT16, int16_t, PUT_OFF(T, *d = (T)(*d + *v)))
        CT__CASE(CT_INT32, int32_t, PUT_OFF(T, *d = (T)(*d + *v)))
        CT__CASE(CT_INT64, int64_t, PUT_OFF(T, *d = (T)(*d + *v)))
        CT__CASE(CT_FLOAT32, float, PUT_OFF(T, *d = *d + *v))
        CT__CASE(CT_FLOAT64, double, PUT_OFF(T, *d = *d + *v))
    default:
        PUT_OFF(uint16_t, ct__store_f64(d, dt, ct__load_f64(d, dt) + ct__load_f64(v, dt)));
        break;
    }
}

void ct__index_put_offsets(ct_tensor *dst, const ct_tensor *val, const ct_tensor *off,
                           bool accumulate) {
    const ct_tensor *ops[3] = {dst, val, off};
    char *base[3];
    int64_t st[3][CT_MAX_DIMS];
    int nd = dst->ndim;
    for (int k = 0; k < 3; k++) {
        const ct_tensor *t = ops[k];
        int64_t isz = (int64_t)ct_dtype_size(t->dtype);
        base[k] = (char *)ct_data_ptr(t);
        for (int d = 0; d < nd; d++) st[k][d] = t->sizes[d] == 1 ? 0 : t->strides[d] * isz;
    }
    put_ctx c = {dst->dtype};
    ct_loop_fn fn = accumulate ? put_off_acc : put_off_copy;
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    int64_t cols = nd ? dst->sizes[nd - 1] : 0;
    if (nt > 1 && nd > 0 && st[2][nd - 1] == 0 && st[0][nd - 1] != 0 && cols >= 64 * nt &&
        dst->numel >= CT_GRAIN) {
        /* the last dim is not indexed: columns are distinct elements for
         * every index, so threads take column ranges and each keeps the
         * index order within its columns */
        int64_t chunk = (cols + nt - 1) / nt;
#pragma omp parallel num_threads(nt)
        {
            int t = omp_get_thread_num();
            int64_t c0 = t * chunk, c1 = c0 + chunk < cols ? c0 + chunk : cols;
            if (c0 < c1) {
                int64_t sz[CT_MAX_DIMS];
                memcpy(sz, dst->sizes, sizeof(int64_t) * (size_t)nd);
                sz[nd - 1] = c1 - c0;
                char *b[3] = {base[0] + c0 * st[0][nd - 1], base[1] + c0 * st[1][nd - 1], base[2]};
                rowmajor_walk(sz, nd, 3, b, (const int64_t(*)[CT_MAX_DIMS])st, fn, &c);
            }
        }
        return;
    }
    rowmajor_walk(dst->sizes, nd, 3, base, (const int64_t(*)[CT_MAX_DIMS])st, fn, &c);
}

/* ------------------------------------------------------------ nonzero */

static int64_t count_nz_range(const char *p, ct_dtype dt, int64_t b, int64_t e) {
    int64_t cnt = 0;
    switch (dt) {
        CT__CASE(CT_BOOL, uint8_t, for (int64_t i = b; i < e; i++) cnt += ((const T *)p)[i] != 0)
        CT__CASE(CT_UINT8, uint8_t, for (int64_t i = b; i < e; i++) cnt += ((const T *)p)[i] != 0)
        CT__CASE(CT_INT8, int8_t, for (int64_t i = b; i < e; i++) cnt += ((const T *)p)[i] != 0)
        CT__CASE(CT_INT16, int16_t, for (int64_t i = b; i < e; i++) cnt += ((const T *)p)[i] != 0)
        CT__CASE(CT_INT32, int32_t, for (int64_t i = b; i < e; i++) cnt += ((const T *)p)[i] != 0)
        CT__CASE(CT_INT64, int64_t, for (int64_t i = b; i < e; i++) cnt += ((const T *)p)[i] != 0)
        CT__CASE(CT_FLOAT32, float, for (int64_t i = b; i < e; i++) cnt += ((const T *)p)[i] != 0)
        CT__CASE(CT_FLOAT64, double, for (int64_t i = b; i < e; i++) cnt += ((const T *)p)[i] != 0)
    default: /* float16 / bfloat16: zero whatever the sign */
        for (int64_t i = b; i < e; i++) cnt += (((const uint16_t *)p)[i] & 0x7fff) != 0;
        break;
    }
    return cnt;
}

static bool is_nz(const char *p, ct_dtype dt, int64_t i) {
    switch (dt) {
    case CT_BOOL:
    case CT_UINT8: return ((const uint8_t *)p)[i] != 0;
    case CT_INT8: return ((const int8_t *)p)[i] != 0;
    case CT_INT16: return ((const int16_t *)p)[i] != 0;
    case CT_INT32: return ((const int32_t *)p)[i] != 0;
    case CT_INT64: return ((const int64_t *)p)[i] != 0;
    case CT_FLOAT32: return ((const float *)p)[i] != 0;
    case CT_FLOAT64: return ((const double *)p)[i] != 0;
    default: return (((const uint16_t *)p)[i] & 0x7fff) != 0;
    }
}

/* Writes the coordinates of the nonzero elements of [b, e) starting at row r. */
static void fill_nz_range(const char *p, ct_dtype dt, const int64_t *sizes, int nd, int64_t b,
                          int64_t e, int64_t *out) {
    int64_t coord[CT_MAX_DIMS];
    int64_t rest = b;
    for (int d = nd - 1; d >= 0; d--) {
        coord[d] = rest % sizes[d];
        rest /= sizes[d];
    }
    for (int64_t i = b; i < e; i++) {
        if (is_nz(p, dt, i)) {
            for (int d = 0; d < nd; d++) out[d] = coord[d];
            out += nd;
        }
        for (int d = nd - 1; d >= 0; d--) {
            if (++coord[d] < sizes[d]) break;
            coord[d] = 0;
        }
    }
}

ct_tensor *ct__nonzero(const ct_tensor *x) {
    ct_tensor *c = ct__contiguous(x);
    if (!c) return NULL;
    const char *p = ct_data_ptr(c);
    int64_t n = c->numel;
    int nt = (n >= CT_GRAIN && !omp_in_parallel()) ? omp_get_max_threads() : 1;
    if (nt > 64) nt = 64;
    int64_t counts[65] = {0};
    int64_t chunk = (n + nt - 1) / (nt ? nt : 1);
#pragma omp parallel for num_threads(nt) if (nt > 1)
    for (int t = 0; t < nt; t++) {
        int64_t b = t * chunk, e = b + chunk < n ? b + chunk : n;
        counts[t + 1] = b < e ? count_nz_range(p, c->dtype, b, e) : 0;
    }
    for (int t = 0; t < nt; t++) counts[t + 1] += counts[t];
    int64_t shape[2] = {counts[nt], x->ndim};
    ct_tensor *r = ct__empty(shape, 2, CT_INT64);
    if (!r) {
        ct_release(c);
        return NULL;
    }
    int64_t *o = ct_data_ptr(r);
    if (x->ndim > 0) {
#pragma omp parallel for num_threads(nt) if (nt > 1)
        for (int t = 0; t < nt; t++) {
            int64_t b = t * chunk, e = b + chunk < n ? b + chunk : n;
            if (b < e) fill_nz_range(p, c->dtype, c->sizes, c->ndim, b, e, o + counts[t] * c->ndim);
        }
    }
    ct_release(c);
    return r;
}

/* ------------------------------------------------------------ masks */

typedef struct {
    uint64_t bits;
} fill_ctx;

#define MFILL(T)                                                                      \
    do {                                                                              \
        T v;                                                                          \
        memcpy(&v, &c->bits, sizeof v);                                               \
        char *x_ = data[0];                                                           \
        const uint8_t *m_ = (const uint8_t *)data[1];                                 \
        if (st[0] == (int64_t)sizeof(T) && st[1] == 1) {                              \
            T *xp = (T *)x_;                                                          \
            for (int64_t k = 0; k < n; k++)                                           \
                if (m_[k]) xp[k] = v;                                                 \
        } else {                                                                      \
            for (int64_t k = 0; k < n; k++)                                           \
                if (m_[k * st[1]]) *(T *)(x_ + k * st[0]) = v;                        \
        }                                                                             \
    } while (0)

static void mfill_1(char **data, const int64_t *st, int64_t n, void *ctx) { fill_ctx *c = ctx; MFILL(uint8_t); }
static void mfill_2(char **data, const int64_t *st, int64_t n, void *ctx) { fill_ctx *c = ctx; MFILL(uint16_t); }
static void mfill_4(char **data, const int64_t *st, int64_t n, void *ctx) { fill_ctx *c = ctx; MFILL(uint32_t); }
static void mfill_8(char **data, const int64_t *st, int64_t n, void *ctx) { fill_ctx *c = ctx; MFILL(uint64_t); }

void ct__masked_fill(ct_tensor *x, const ct_tensor *mask, double value) {
    if (x->numel == 0) return;
    fill_ctx c = {0};
    ct__index_value_bits(&c.bits, x->dtype, value);
    const ct_tensor *ops[2] = {x, mask};
    ct_iter it;
    ct_iter_init(&it, 2, ops, x->sizes, x->ndim);
    ct_loop_fn fn;
    switch (ct_dtype_size(x->dtype)) {
    case 1: fn = mfill_1; break;
    case 2: fn = mfill_2; break;
    case 4: fn = mfill_4; break;
    default: fn = mfill_8; break;
    }
    ct_iter_run(&it, fn, &c, CT_GRAIN);
}

int64_t ct__count_nonzero_bytes(const uint8_t *mask, int64_t n) {
    int64_t cnt = 0;
    for (int64_t i = 0; i < n; i++) cnt += mask[i] != 0;
    return cnt;
}



static int64_t masked_select_serial(char *out, const char *x, const uint8_t *mask, int64_t n,
                                    size_t isz) {
    int64_t k = 0;
    switch (isz) {
#define MSEL(T)                                                                       \
    for (int64_t i = 0; i < n; i++)                                                   \
        if (mask[i]) ((T *)out)[k++] = ((const T *)x)[i];                             \
    break;
    case 1: MSEL(uint8_t)
    case 2: MSEL(uint16_t)
    case 4: MSEL(uint32_t)
    default: MSEL(uint64_t)
#undef MSEL
    }
    return k;
}

static int64_t masked_scatter_serial(char *x, const char *src, const uint8_t *mask, int64_t n,
                                     size_t isz) {
    int64_t k = 0;
    switch (isz) {
#define MSCAT(T)                                                                      \
    for (int64_t i = 0; i < n; i++)                                                   \
        if (mask[i]) ((T *)x)[i] = ((const T *)src)[k++];                             \
    break;
    case 1: MSCAT(uint8_t)
    case 2: MSCAT(uint16_t)
    case 4: MSCAT(uint32_t)
    default: MSCAT(uint64_t)
#undef MSCAT
    }
    return k;
}

/* Both mask loops in parallel: each thread counts the ones of its chunk,
 * a prefix sum gives where its elements go in the packed side. */
static int64_t masked_run(bool select, char *dense, char *packed, const uint8_t *mask, int64_t n,
                          size_t isz) {
    int nt = (n >= CT_GRAIN && !omp_in_parallel()) ? omp_get_max_threads() : 1;
    if (nt > 64) nt = 64;
    if (nt <= 1)
        return select ? masked_select_serial(packed, dense, mask, n, isz)
                      : masked_scatter_serial(dense, packed, mask, n, isz);
    int64_t cnt[65] = {0};
    int64_t chunk = (n + nt - 1) / nt;
#pragma omp parallel for num_threads(nt)
    for (int t = 0; t < nt; t++) {
        int64_t b = t * chunk, e = b + chunk < n ? b + chunk : n;
        cnt[t + 1] = b < e ? ct__count_nonzero_bytes(mask + b, e - b) : 0;
    }
    for (int t = 0; t < nt; t++) cnt[t + 1] += cnt[t];
#pragma omp parallel for num_threads(nt)
    for (int t = 0; t < nt; t++) {
        int64_t b = t * chunk, e = b + chunk < n ? b + chunk : n;
        if (b >= e) continue;
        if (select)
            masked_select_serial(packed + cnt[t] * (int64_t)isz, dense + b * (int64_t)isz, mask + b,
                                 e - b, isz);
        else
            masked_scatter_serial(dense + b * (int64_t)isz, packed + cnt[t] * (int64_t)isz,
                                  mask + b, e - b, isz);
    }
    return cnt[nt];
}

int64_t ct__masked_select_contig(char *out, const char *x, const uint8_t *mask, int64_t n,
                                 size_t isz) {
    return masked_run(true, (char *)x, out, mask, n, isz);
}

int64_t ct__masked_scatter_contig(char *x, const char *src, const uint8_t *mask, int64_t n,
                                  size_t isz) {
    return masked_run(false, x, (char *)src, mask, n, isz);
}

/* ------------------------------------------------------------ mean */

static void div_count_loop(char **data, const int64_t *st, int64_t n, void *ctx) {
    ct_dtype dt = *(ct_dtype *)ctx;
    char *x = data[0];
    const char *cp = data[1];
#define DIVF(T)                                                                       \
    for (int64_t k = 0; k < n; k++) {                                                 \
        int64_t cnt = *(const int64_t *)(cp + k * st[1]);                             \
        if (cnt > 0) *(T *)(x + k * st[0]) = (T)(*(T *)(x + k * st[0]) / (T)cnt);     \
    }
#define DIVI(T)                                                                       \
    for (int64_t k = 0; k < n; k++) {                                                 \
        int64_t cnt = *(const int64_t *)(cp + k * st[1]);                             \
        if (cnt > 0) {                                                                \
            int64_t a = *(T *)(x + k * st[0]), q = a / cnt;                           \
            if (a % cnt != 0 && a < 0) q--;                                           \
            *(T *)(x + k * st[0]) = (T)q;                                             \
        }                                                                             \
    }
    switch (dt) {
        CT__CASE(CT_FLOAT32, float, DIVF(T))
        CT__CASE(CT_FLOAT64, double, DIVF(T))
        CT__CASE(CT_UINT8, uint8_t, DIVI(T))
        CT__CASE(CT_INT8, int8_t, DIVI(T))
        CT__CASE(CT_INT16, int16_t, DIVI(T))
        CT__CASE(CT_INT32, int32_t, DIVI(T))
        CT__CASE(CT_INT64, int64_t, DIVI(T))
    case CT_BOOL: break; /* x / n for n >= 1 keeps a bool as it is */
    default:
        for (int64_t k = 0; k < n; k++) {
            int64_t cnt = *(const int64_t *)(cp + k * st[1]);
            char *p = x + k * st[0];
            if (cnt > 0) ct__store_f64(p, dt, ct__load_f64(p, dt) / (double)cnt);
        }
        break;
    }
#undef DIVF
#undef DIVI
}

void ct__div_by_count(ct_tensor *x, const ct_tensor *count) {
    if (x->numel == 0) return;
    const ct_tensor *ops[2] = {x, count};
    ct_iter it;
    ct_iter_init(&it, 2, ops, x->sizes, x->ndim);
    ct_dtype dt = x->dtype;
    ct_iter_run(&it, div_count_loop, &dt, CT_GRAIN);
}
