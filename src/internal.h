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
struct ct_win2d;
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
    /* conv2d through cuDNN (opened on first use) for contiguous NCHW
     * float32/float64 tensors on one GPU, geometry g (nn/nn_internal.h):
     * which 0: out = conv(a = x, b = w) + bias (may be NULL); 1: out = grad
     * of x from a = grad_out, b = w; 2: out = grad of w from a = grad_out,
     * b = x. 0 or -1 (no cuDNN: a "not implemented" error). */
    int (*conv2d)(int which, const ct_tensor *a, const ct_tensor *b, const ct_tensor *bias,
                  ct_tensor *out, int64_t groups, const struct ct_win2d *g);
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
