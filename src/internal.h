/* Internal declarations shared by the layers of the library. Not installed. */
#ifndef CTORCH_INTERNAL_H
#define CTORCH_INTERNAL_H

#include "ctorch/ctorch.h"

#include <stdlib.h>
#include <string.h>

#define CT_LIKELY(x) __builtin_expect(!!(x), 1)
#define CT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CT_MAX_OPERANDS 8

/* Elements at or above which kernels split work across threads. */
#define CT_GRAIN 32768

/* ---------------------------------------------------------------- tensors */
/* New tensor object over storage (retained). strides NULL = contiguous.
 * Returns an owned reference NOT yet handed to any scope. */
ct_tensor *ct__tensor_new(ct_storage *s, ct_dtype dt, const int64_t *sizes,
                          const int64_t *strides, int ndim, int64_t offset);
/* Uninitialised contiguous tensor, owned, not in any scope. */
ct_tensor *ct__empty(const int64_t *sizes, int ndim, ct_dtype dt);
ct_storage *ct__storage_new(size_t nbytes);
void ct__storage_release(ct_storage *s);
/* A storage over memory someone else allocated (a device allocator);
 * deleter(ctx, data) runs when the last reference goes. Owned. */
ct_storage *ct__storage_wrap(void *data, size_t nbytes, ct_device dev,
                             void (*deleter)(void *ctx, void *data), void *deleter_ctx);
void ct__contiguous_strides(const int64_t *sizes, int ndim, int64_t *strides);
int64_t ct__shape_numel(const int64_t *sizes, int ndim);
/* Autograd layer installs the destructor of tensor->autograd. */
extern void (*ct__autograd_meta_free)(struct ct_autograd_meta *m);

/* Copies (kernels/cpu/copy.c): owned results, no scope, no autograd. */
int ct__copy_into(ct_tensor *dst, const ct_tensor *src); /* 0 or -1 */
ct_tensor *ct__contiguous(const ct_tensor *t);
ct_tensor *ct__to_dtype(const ct_tensor *t, ct_dtype dt, bool copy);

/* ---------------------------------------------------------------- devices */
/* What the CUDA layer (src/cuda/) provides to the device-independent code.
 * ct__cuda is NULL in a CPU-only build; no CUDA tensor can exist then. */
struct ct_win3d;
struct ct_window_op;
struct ct_cuda_rand;
typedef struct ct_device_hooks {
    /* uninitialised contiguous tensor on dev, owned, not in any scope */
    ct_tensor *(*empty)(const int64_t *sizes, int ndim, ct_dtype dt, ct_device dev);
    /* dst = src broadcast, converting dtype, between any two devices */
    int (*copy)(ct_tensor *dst, const ct_tensor *src);
    /* every element of t (any strides) = v */
    int (*fill)(ct_tensor *t, double v);
    /* ct__pw_run (src/ops/pointwise_internal.h) for operands on the GPU */
    ct_tensor *(*pw_run)(const char *kname, int kop, int mode, ct_tensor *out, int nin,
                         const ct_tensor *const *in, unsigned cast_mask, ct_dtype compute_dt,
                         ct_dtype result_dt, void *ctx);
    /* ct__gemm (kernels/cpu/blas.h) for float32/float64 operands on the GPU
     * (cuBLAS); same arguments, c_bs == 0 accumulates over the batch.
     * Operands satisfy ct__blas_layout_ok. Returns 0 or -1. */
    int (*gemm)(ct_dtype dt, int64_t batch, int64_t M, int64_t N, int64_t K, double alpha,
                const void *A, int64_t a_bs, int64_t a_rs, int64_t a_cs, const void *B,
                int64_t b_bs, int64_t b_rs, int64_t b_cs, double beta, void *C, int64_t c_bs,
                int64_t ldc);
    /* A reduction of ops/reduce.c on the GPU: out (contiguous, on x's GPU,
     * one element per kept index, row-major) = post(fold of x over the dims
     * where mask[d]); kind a ct_rkind, post a ct_rpost (ops/reduce_internal.h);
     * centre (may be NULL) a contiguous float64 tensor on the GPU with one
     * value per output; idx (may be NULL) an int64 tensor like out for the
     * arg kinds. x has a native dtype, out any dtype. Returns 0 or -1. */
    int (*reduce)(const ct_tensor *x, const bool *mask, int kind, double p,
                  const ct_tensor *centre, int post, double s, ct_tensor *out, ct_tensor *idx);
    /* softmax (log = false) or log_softmax of x (contiguous) along dim into
     * out (contiguous, same shape; float32/float64 for both). Returns 0 or -1. */
    int (*softmax)(const ct_tensor *x, int dim, bool log, ct_tensor *out);
    /* ct__sg_run (ops/index_internal.h; op a ct__sg_op) for indexed, index
     * and other on one GPU: 0, 1 with *bad set (an index out of range), -1.
     * ct__sg_run is the one entry that calls it. */
    int (*sg_run)(int op, ct_tensor *indexed, const ct_tensor *index, ct_tensor *other, int dim,
                  double value, int64_t *bad);
    /* The fused SGD and Adam/AdamW steps (src/optim/update.c, after its
     * checks: every operand contiguous, of param's dtype and shape, on its
     * GPU). 0 or -1. */
    int (*sgd)(ct_tensor *param, const ct_tensor *grad, ct_tensor *buf, bool first,
               const ct_sgd_options *o);
    int (*adam)(ct_tensor *param, const ct_tensor *grad, ct_tensor *exp_avg, ct_tensor *exp_avg_sq,
                ct_tensor *max_exp_avg_sq, double step, const ct_adam_options *o, bool decoupled);
    /* Sorts every row of work (contiguous on a GPU, rows along its last dim,
     * a dtype other than float16/bfloat16) into idx (int64, contiguous, work's
     * shape) and, when vals is not NULL, vals (work's dtype and shape):
     * ascending or descending, NaN above every number, equal keys in index
     * order (stable). 0 or -1. */
    int (*sort)(const ct_tensor *work, ct_tensor *vals, ct_tensor *idx, bool desc);
    /* ct__scan_kernel (ops/reduce_internal.h; kind a ct_skind) on the GPU. */
    int (*scan)(const ct_tensor *x, int dim, int kind, ct_tensor *out, ct_tensor *idx);
    /* Indexing by precomputed element offsets; a, b and off (int64) are
     * strided views of one shape on one GPU. put false: a[p] =
     * b.data[b.strides . p + off[p]]; put true: a.data[a.strides . p + off[p]]
     * = b[p] (+= with accumulate, atomically; b has a's dtype). 0 or -1. */
    int (*index_offsets)(ct_tensor *a, const ct_tensor *b, const ct_tensor *off, bool put,
                         bool accumulate);
    /* The shape, indexing and counting family (src/cuda/shape.c, shape.cu),
     * called by src/ops/shape_copy.c, index_mask.c, sort_count.c and
     * compare.c after their checks. Each returns 0 or -1 unless said.
     * tri: zeroes the elements of t (contiguous, >= 2 dims) outside the band
     * (upper: col - row >= k; else col - row <= k). */
    int (*tri)(ct_tensor *t, int64_t k, bool upper);
    /* compact: over x (contiguous), the elements flagged by x[i] != 0, or
     * (newrun) by i == 0 || !(x[i] == x[i-1]); returns their count (one
     * device-to-host copy) or -1. When asked: *pos (owned, new) [count, nd]
     * int64 coordinates in sizes when nd > 0, else [count] flat positions;
     * *rank (owned, new) [numel] int64 flagged elements at or before i,
     * minus 1; dst (contiguous, x's numel): dst[i] = src[r] for the r-th
     * flagged i, src contiguous of dst's dtype, written only when count <=
     * src numel (the caller reports the shortfall). */
    int64_t (*compact)(const ct_tensor *x, bool newrun, const int64_t *sizes, int nd,
                       ct_tensor **pos, ct_tensor **rank, ct_tensor *dst, const ct_tensor *src);
    /* take: out[i] = x[idx[i]] (negative idx from the end; all contiguous,
     * idx int64): 0, 1 with *bad = an index outside [-numel, numel), -1. */
    int (*take)(ct_tensor *out, const ct_tensor *x, const ct_tensor *idx, int64_t *bad);
    /* searchsorted: out (int32/int64) = insertion points of vals in the rows
     * of seq (last dim; one row, or the row of each value's leading index);
     * seq and vals contiguous, one dtype other than float16/bfloat16. */
    int (*searchsorted)(const ct_tensor *seq, const ct_tensor *vals, ct_tensor *out, bool right);
    /* hist: acc (float64 [nb]) = counts (or sums of w) of x (float32/64,
     * contiguous) per bin; mode 0: histc's bins over [lo, hi]; 1: edges
     * (nb + 1, x's dtype) of equal widths; 2: any increasing edges. */
    int (*hist)(const ct_tensor *x, const ct_tensor *w, int mode, const ct_tensor *edges, int64_t nb,
                double lo, double hi, ct_tensor *acc);
    /* isclose: out (bool, contiguous, the broadcast shape) for a and b of
     * one dtype, computed in double (dbl) or float. */
    int (*isclose)(const ct_tensor *a, const ct_tensor *b, double rtol, double atol, bool equal_nan,
                   bool dbl, ct_tensor *out);
    /* The convolutions (src/nn/conv_nd.c) through cuDNN (opened on first
     * use) for contiguous float32/float64 tensors on one GPU with 2 or 3
     * spatial dims (out->ndim - 2), geometry g (nn/nn_internal.h; a 2-d one
     * has depth 1): which 0: out = conv(a = x, b = w) + bias (may be NULL);
     * 1: out = grad of x from a = grad_out, b = w; 2: out = grad of w from
     * a = grad_out, b = x. 0 or -1 (no cuDNN: a "not implemented" error). */
    int (*conv)(int which, const ct_tensor *a, const ct_tensor *b, const ct_tensor *bias,
                ct_tensor *out, int64_t groups, const struct ct_win3d *g);
    /* The poolings and resamplings of src/nn/pool*.c and upsample.c on the
     * GPU (src/cuda/pool.c, pool.cu; own kernels, PyTorch's index rules): a
     * the op (nn/window.h); x, out and idx (may be NULL) contiguous on one
     * GPU. 0, -1, or 1 when an index of idx is outside its plane. */
    int (*window)(const struct ct_window_op *a, const ct_tensor *x, ct_tensor *out,
                  ct_tensor *idx);
    /* The nn family's kernels (src/cuda/nn.c, nn.cu; callers in src/nn).
     * Operands contiguous on one GPU, float32/float64 (indices int64).
     * emb_backward: out [num, D] row r = sum over k in [start[r], start[r+1])
     * of grad [n, D] row order[k] (times 1/count when scaled; zeros at row
     * pad, -1 for none): a thread per (row, column) in a fixed order, so
     * deterministic. emb_bag: embedding_bag's forward of bag b over entries
     * [bounds[b], bounds[b+1]) of idx (padding entries skipped), out [B, D],
     * max-mode argmax rows mi [B, D] (-1 in an empty bag, else NULL), psw
     * [ne] or NULL. trunc_normal: t (uniform draws u) = clamp(mean + std *
     * sqrt(2) * erfinv(u), a, b). Each returns 0 or -1. */
    int (*emb_backward)(const ct_tensor *grad, const ct_tensor *order, const ct_tensor *start,
                        int64_t pad, bool scaled, ct_tensor *out);
    int (*emb_bag)(const ct_tensor *w, const ct_tensor *idx, const ct_tensor *bounds,
                   const ct_tensor *psw, int mode, int64_t pad, ct_tensor *out, ct_tensor *mi);
    int (*trunc_normal)(ct_tensor *t, double mean, double std, double a, double b);
    /* Random distributions and decompositions (src/cuda/random.c with
     * random.cu, src/cuda/solver.c with solver.cu). random: one launch of
     * the Philox kernel (cuda/cuda_internal.h: kinds, parameters, seed) on
     * device `device`. multinomial: out (int64, contiguous [rows, n], on p's
     * GPU) from the rows of p (float64, contiguous [rows, ncat]); keyed:
     * without replacement (exponential keys p / E sorted per row), else the
     * inverse CDF of each row (accumulated in float32 when single); *code
     * gets 0 or the check that failed first (1 inf/nan/negative for keyed,
     * 2 negative, 3 inf/nan, 4 sum <= 0). la_*: the ct__lapack_* kernels of
     * kernels/cpu/blas.h (same buffers, column-major, same return values)
     * on GPU tensors through cuSOLVER (opened on first use); q may be NULL. */
    int (*random)(int device, const struct ct_cuda_rand *r);
    int (*multinomial)(const ct_tensor *p, ct_tensor *out, bool keyed, bool single, uint64_t seed,
                       int *code);
    int (*la_inv)(ct_tensor *a, int64_t batch, int64_t n, int64_t *bad);
    int (*la_solve)(ct_tensor *a, ct_tensor *b, int64_t batch, int64_t n, int64_t k, int64_t *bad);
    int (*la_det)(ct_tensor *a, ct_tensor *sign, ct_tensor *out, int64_t batch, int64_t n);
    int (*la_cholesky)(ct_tensor *a, int64_t batch, int64_t n, bool upper, int64_t *bad);
    int (*la_qr)(ct_tensor *a, ct_tensor *q, ct_tensor *r, int64_t batch, int64_t m, int64_t n,
                 int64_t qcols, int64_t rrows);
    int (*la_svd)(ct_tensor *a, ct_tensor *u, ct_tensor *s, ct_tensor *vt, int64_t batch, int64_t m,
                  int64_t n, bool full, int64_t *bad);
    int (*la_eigh)(ct_tensor *a, ct_tensor *w, int64_t batch, int64_t n, bool upper, int64_t *bad);
    /* The first k (0 <= k <= n) of every row of work (as for sort) in the
     * stable sorted order, descending when largest, into idx (int64) and
     * vals (may be NULL; work's dtype), both contiguous [rows, k]. 0 or -1. */
    int (*topk)(const ct_tensor *work, int64_t k, bool largest, ct_tensor *vals, ct_tensor *idx);
    /* Advanced indexing's offsets on the GPU: off (int64, contiguous) +=
     * wrap(idx) * stride, idx (int64, same GPU) broadcast to off's shape. An
     * index outside [-size, size) is reported as the IndexError "index i is
     * out of bounds for dimension dim with size size" at the next
     * synchronising point (ct_cuda_synchronize, a copy to the host). 0 or -1. */
    int (*index_add_offsets)(ct_tensor *off, const ct_tensor *idx, int64_t size, int64_t stride,
                             int dim);
    /* ct__nonzero of a tensor on a GPU (one synchronising read of the count):
     * owned [n, ndim] int64 on its GPU. */
    ct_tensor *(*nonzero)(const ct_tensor *x);
} ct_device_hooks;
extern const ct_device_hooks *const ct__cuda;
static inline bool ct__on_cpu(const ct_tensor *t) { return t->storage->device.type == CT_CPU; }
/* Fails with "<op>: not implemented for CUDA tensors" when t (may be NULL)
 * is not on the CPU: the guard of ops without a CUDA kernel. */
int ct__require_cpu(const char *op, const ct_tensor *t);
/* An uninitialised contiguous tensor on the device of `like`. */
ct_tensor *ct__empty_on(const int64_t *sizes, int ndim, ct_dtype dt, ct_device dev);

/* ---------------------------------------------------------------- iterator */
/* Walks several operands broadcast to one shape. Dims are stored innermost
 * first after sorting by the first operand's strides and coalescing, so the
 * inner loop gets the longest run the memory layout allows. */
typedef struct ct_iter {
    int nops;
    int ndim;                                    /* >= 1 after init */
    int64_t numel;
    int64_t shape[CT_MAX_DIMS];                  /* shape[0] innermost */
    int64_t strides[CT_MAX_OPERANDS][CT_MAX_DIMS]; /* bytes */
    char *data[CT_MAX_OPERANDS];
} ct_iter;

/* Inner loop: n elements, operand k at data[k] advancing strides[k] bytes. */
typedef void (*ct_loop_fn)(char **data, const int64_t *strides, int64_t n, void *ctx);

/* ops[0..nops) are viewed broadcast to shape (each must be broadcastable).
 * Operands are used through their own dtype's item size. */
void ct_iter_init(ct_iter *it, int nops, const ct_tensor *const *ops, const int64_t *shape,
                  int ndim);
/* Runs fn over every element; splits across threads when numel >= grain
 * (grain <= 0 means never split). Safe only when outputs do not overlap. */
void ct_iter_run(const ct_iter *it, ct_loop_fn fn, void *ctx, int64_t grain);
/* Runs the elements [begin, end) of the iteration order on this thread. */
void ct_iter_run_range(const ct_iter *it, ct_loop_fn fn, void *ctx, int64_t begin, int64_t end);

/* Result layout, as PyTorch chooses it (kernels/cpu/iter.c). ct__out_strides:
 * the strides (in elements) of a new elementwise result of shape[nd] computed
 * from in[0..n) (TensorIterator's rule: the inputs' dim order, the first
 * input deciding; contiguous for contiguous inputs). ct__like_strides: those
 * of preserve_format (empty_like, clone, to): t's strides when t is
 * non-overlapping and dense, else dense ones in t's dim order. */
bool ct__is_dense(const ct_tensor *t);
void ct__out_strides(int n, const ct_tensor *const *in, const int64_t *shape, int nd,
                     int64_t *strides);
void ct__like_strides(const ct_tensor *t, int64_t *strides);
/* Uninitialised dense tensors with given strides (a permutation of dense
 * ones) or t's preserve_format layout; owned, not in any scope. */
ct_tensor *ct__empty_strided_on(const int64_t *sizes, const int64_t *strides, int nd, ct_dtype dt,
                                ct_device dev);
ct_tensor *ct__empty_like_layout(const ct_tensor *t, ct_dtype dt, ct_device dev);

/* Typed dispatch: runs BODY with T defined as the C type of dtype DT. */
#define CT__CASE(DTC, TYPE, ...) \
    case DTC: {                  \
        typedef TYPE T;          \
        __VA_ARGS__;             \
        break;                   \
    }
#define CT_DISPATCH_FLOATING(DT, ...)                       \
    switch (DT) {                                            \
        CT__CASE(CT_FLOAT32, float, __VA_ARGS__)             \
        CT__CASE(CT_FLOAT64, double, __VA_ARGS__)            \
    default: break;                                          \
    }
#define CT_DISPATCH_INTEGRAL(DT, ...)                        \
    switch (DT) {                                            \
        CT__CASE(CT_UINT8, uint8_t, __VA_ARGS__)             \
        CT__CASE(CT_INT8, int8_t, __VA_ARGS__)               \
        CT__CASE(CT_INT16, int16_t, __VA_ARGS__)             \
        CT__CASE(CT_INT32, int32_t, __VA_ARGS__)             \
        CT__CASE(CT_INT64, int64_t, __VA_ARGS__)             \
    default: break;                                          \
    }
/* All dtypes with a native C arithmetic type (not float16/bfloat16). */
#define CT_DISPATCH_NATIVE(DT, ...)                          \
    switch (DT) {                                            \
        CT__CASE(CT_BOOL, bool, __VA_ARGS__)                 \
        CT__CASE(CT_UINT8, uint8_t, __VA_ARGS__)             \
        CT__CASE(CT_INT8, int8_t, __VA_ARGS__)               \
        CT__CASE(CT_INT16, int16_t, __VA_ARGS__)             \
        CT__CASE(CT_INT32, int32_t, __VA_ARGS__)             \
        CT__CASE(CT_INT64, int64_t, __VA_ARGS__)             \
        CT__CASE(CT_FLOAT32, float, __VA_ARGS__)             \
        CT__CASE(CT_FLOAT64, double, __VA_ARGS__)            \
    default: break;                                          \
    }

/* Reads/writes one element of any dtype as double / int64 (slow paths). */
double ct__load_f64(const void *p, ct_dtype dt);
int64_t ct__load_i64(const void *p, ct_dtype dt);
void ct__store_f64(void *p, ct_dtype dt, double v);
void ct__store_i64(void *p, ct_dtype dt, int64_t v);

/* ---------------------------------------------------------------- errors */
/* "[2, 3]"-style shape into a per-thread ring of buffers: usable several
 * times in one ct_set_error call. */
const char *ct__shp(const ct_tensor *t);
/* Shorthand: set error and return NULL. */
#define CT_FAIL(kind, ...) (ct_set_error((kind), __VA_ARGS__), (ct_tensor *)NULL)

/* ---------------------------------------------------------------- autograd hook */
/* Non-tensor arguments an op's backward needs. */
typedef struct ct_op_args {
    int64_t i[6];
    double f[4];
    int64_t dims[CT_MAX_DIMS];
    int ndims;
    bool b[4];
} ct_op_args;

/* True when grad mode is on and some input requires grad. */
bool ct__needs_grad(const ct_tensor *const *inputs, int n);
/* Records out = op(inputs...) in the graph (out must be a fresh tensor or,
 * for in-place ops, the modified input). extra[] are additional tensors the
 * backward needs (indices of max, ...). Returns 0, or -1 with an error. */
int ct__ag_record(int op_id, ct_tensor *out, const ct_tensor *const *inputs, int ninputs,
                  const ct_tensor *const *extra, int nextra, const ct_op_args *args);


#endif
