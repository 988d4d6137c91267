/* Autograd internals shared by the engine and the derivative files. */
#ifndef CTORCH_AG_INTERNAL_H
#define CTORCH_AG_INTERNAL_H

#include "internal.h"

#include <pthread.h>

/* Node kinds beyond the op table: the engine's own differentiable helpers
 * (so that create_graph works through them too) and special nodes. */
enum {
    CT_AG_ACCUMULATE = CT_NUM_OPS, /* AccumulateGrad: sink of a leaf */
    CT_AG_ADD,          /* a + b, same shape and dtype (gradient accumulation) */
    CT_AG_SUM_TO,       /* sum of x down to a broadcast-compatible shape */
    CT_AG_VIEW_SCATTER, /* zeros of a shape with a view region += x (view backward) */
    CT_AG_VIEW_MASK,    /* x with a view region set to zero */
    CT_AG_SCATTER_DIM,  /* zeros(shape) with out[.., idx[p], ..] += x[p] along a dim */
    CT_AG_GATHER_DIM,   /* out[p] = x[.., idx[p], ..] along a dim */
    CT_AG_COPY_SLICES,  /* in-place op on a view, rewritten on its base */
    CT_AG_ERROR,        /* a graph node whose backward always fails */
    CT_AG_CUSTOM,       /* a ct_function written by a user */
    CT_AG_NUM_KINDS
};

#define CT_NODE_INLINE 3    /* inputs stored inline in the node */
#define CT_SAVE_OUTPUT 0x80 /* bit of a derivative's save mask: keep the result */
#define CT_SAVE_ALL_INPUTS 0x7f

/* The shape and dtype of one input, kept whether or not the input itself is
 * saved: needed to reduce broadcast gradients and cast them back. */
typedef struct ct_in_meta {
    int8_t ndim;
    int8_t dtype;
    bool contiguous;
    ct_device device; /* where the tensor lives: its gradient is created there */
    int64_t offset;
    int64_t sizes[CT_MAX_DIMS];
} ct_in_meta;

typedef struct ct_node ct_node;
typedef struct ct_edge {
    ct_node *fn; /* strong reference; NULL: no gradient flows there */
    int nr;      /* which output of fn (its input_nr in PyTorch's words) */
} ct_edge;

/* A tensor kept for backward with the version it had when saved. */
typedef struct ct_saved {
    ct_tensor *t;      /* strong; for outputs: a bare alias (no autograd meta) */
    uint64_t version;
    bool is_output;
} ct_saved;

typedef struct ct_pre_hook ct_pre_hook;

struct ct_node {
    atomic_int refcount;
    int16_t op;        /* op id or CT_AG_* kind */
    int8_t nin;
    int8_t nout;
    uint8_t nsaved;    /* saved[] entries: inputs, then output */
    uint8_t nextra;
    bool released;     /* saved tensors freed after a backward */
    bool on_heap;      /* edges/meta/saved arrays malloc'd (more than inline) */
    bool inplace;      /* recorded by an in-place op */
    uint64_t seq;      /* creation order (anomaly traces, priority) */
    ct_edge *next;     /* nin edges */
    ct_in_meta *in;    /* nin input metas */
    ct_saved *saved;   /* nsaved */
    ct_saved *extra;   /* nextra */
    ct_op_args args;
    /* Output shapes (nout == 1: out_meta). Needed to zero-fill unused grads. */
    ct_in_meta out_meta;
    ct_pre_hook *pre_hooks; /* tensor hooks of non-leaf outputs, retain_grad */
    /* AccumulateGrad: the leaf (strong). Custom function: its state. */
    ct_tensor *leaf;
    void *custom;
    ct_in_meta *out_metas; /* nout > 1: shapes of every output (custom functions) */
    ct_node *dying_next;   /* link of the release list */
    ct_edge next_inline[CT_NODE_INLINE];
    ct_in_meta in_inline[CT_NODE_INLINE];
    ct_saved saved_inline[CT_NODE_INLINE + 1];
    ct_saved extra_inline[2];
};

typedef struct ct_hook_entry {
    int (*fn)(ct_tensor *grad, ct_tensor **replace, void *ctx);
    void *ctx;
    void (*ctx_free)(void *ctx);
    int handle;
} ct_hook_entry;

typedef struct ct_hook_list {
    ct_hook_entry *v;
    int n, cap;
} ct_hook_list;

/* Hooks of a non-leaf tensor live on its node (they outlive the tensor, as
 * in PyTorch); retain_grad reaches the tensor through meta. */
struct ct_pre_hook {
    ct_pre_hook *next;
    int nr;                        /* output of the node it watches */
    struct ct_autograd_meta *meta; /* weak: NULL once the tensor is gone */
    ct_hook_list hooks;
};

struct ct_autograd_meta {
    ct_tensor *grad;         /* owned */
    ct_node *grad_fn;        /* strong; NULL for leaves */
    ct_node *grad_acc;       /* weak: the AccumulateGrad of a leaf */
    ct_tensor *base;         /* strong: base tensor when this tensor is a view */
    int output_nr;
    bool retains_grad;
    ct_pre_hook *pre;        /* this tensor's entry on grad_fn->pre_hooks, if any */
    ct_hook_list hooks;      /* hooks of a leaf */
    int next_handle;
};

/* Derivative of one op: gout[0..nout) are the gradients of the outputs
 * (never NULL), gin[i] receives the gradient of input i (a tensor from a
 * public op, in the caller's scope, or NULL for none). Gradients may have
 * the broadcast shape or another floating dtype: the engine reduces them to
 * the input's shape and dtype. Returns 0 or -1 with an error. */
typedef int (*ct_deriv_fn)(ct_node *n, ct_tensor *const *gout, ct_tensor **gin);

typedef struct ct_deriv {
    ct_deriv_fn fn;
    uint8_t save; /* bit i: save input i; CT_SAVE_OUTPUT: save the result */
    uint8_t nextra_save; /* nonzero: keep the extra tensors */
    /* The first extra_out extra tensors are further outputs of the op
     * (U and Vh of svd, ...): outputs 1.. of the node, saved as aliases. */
    uint8_t extra_out;
    /* bit i: input i is needed only for the gradients of the other inputs
     * (mul, mm, ...): kept only when another input requires grad */
    uint8_t save_if_other;
} ct_deriv;

/* Filled by the derivative files (ct__ag_register_<family>). */
extern ct_deriv ct__ag_derivs[CT_AG_NUM_KINDS];
void ct__ag_register_view(void);
void ct__ag_register_pointwise(void);
void ct__ag_register_linalg(void);
void ct__ag_register_shape(void);
void ct__ag_register_reduce(void);
void ct__ag_register_index(void);
void ct__ag_register_nn(void);
void ct__ag_register_nn_conv(void);
void ct__ag_register_nn_norm(void);
void ct__ag_register_nn_extra(void);
void ct__ag_register_rnn(void);
void ct__ag_register_ctc(void);
void ct__ag_register_nn_pool2(void);
void ct__ag_register_nn_embpool(void);
/* For ops composed of recorded ops (never recorded themselves). */
int ct__ag_d_composite(ct_node *n, ct_tensor *const *g, ct_tensor **gin);
void ct__ag_register_engine(void);
/* In-place dst += src (src broadcast to dst, cast). No autograd. */
int ct__ag_add_into(ct_tensor *dst, const ct_tensor *src);

/* Accessors for derivatives. Each returns a borrowed tensor or NULL with an
 * error (released after a backward, or modified in place since saved). */
ct_tensor *ct__ag_input(ct_node *n, int i);
ct_tensor *ct__ag_output(ct_node *n); /* a differentiable alias of the result */
ct_tensor *ct__ag_extra(ct_node *n, int i);
static inline bool ct__ag_needs(const ct_node *n, int i) { return n->next[i].fn != NULL; }

/* The engine's differentiable helpers (public-op conventions: new reference
 * in the current scope). */
ct_tensor *ct__ag_add(const ct_tensor *a, const ct_tensor *b);
ct_tensor *ct__ag_sum_to(const ct_tensor *x, const int64_t *sizes, int ndim);
/* zeros(in) with view(in)(region) = x, where view is op `view_op` with args. */
ct_tensor *ct__ag_view_scatter(const ct_tensor *x, int view_op, const ct_op_args *args,
                               const ct_in_meta *in);
/* Replays a view op on t (differentiable). */
ct_tensor *ct__ag_replay_view(const ct_tensor *t, int view_op, const ct_op_args *args,
                              const ct_in_meta *in);
/* x with the region of view `view_op` zeroed (the rest of CopySlices). */
ct_tensor *ct__ag_view_mask(const ct_tensor *x, int view_op, const ct_op_args *args,
                            const ct_in_meta *in);
/* Along dim d with int64 idx of x's shape (sort/topk backward). */
ct_tensor *ct__ag_scatter_dim(const ct_tensor *x, const ct_tensor *idx, int d,
                              const int64_t *sizes, int ndim);
ct_tensor *ct__ag_gather_dim(const ct_tensor *x, const ct_tensor *idx, int d);
/* Zeros / ones on device dev (gradients live where their tensors do). */
ct_tensor *ct__ag_zeros(const int64_t *sizes, int ndim, ct_dtype dt, ct_device dev);
ct_tensor *ct__ag_ones(const int64_t *sizes, int ndim, ct_dtype dt, ct_device dev);
/* Records a node of kind `op` (any id, internal too). */
int ct__ag_record_kind(int op, ct_tensor *out, const ct_tensor *const *inputs, int ninputs,
                       const ct_tensor *const *extra, int nextra, const ct_op_args *args);

bool ct__ag_is_view_op(int op);

/* Messages of Error nodes (PyTorch's DelayedError). */
enum { CT_AG_ERR_GENERIC = 0, CT_AG_ERR_SCATTER_PROD_ZEROS };
/* x itself when no graph is recorded (grad mode off or x does not require
 * grad); otherwise a copy of x whose grad_fn is an Error node: a backward
 * through it fails with message msg. Borrowed x; the copy is in the scope. */
ct_tensor *ct__ag_delayed_error(ct_tensor *x, int msg);

/* engine.c internals used by custom functions (function.c). */
int ct__ag_check_saved(const ct_saved *s, bool released, const ct_node *owner, int nr);
ct_node *ct__ag_node_alloc(int op, int nin, int nsaved, int nextra);
int ct__ag_gradient_edge(const ct_tensor *t, ct_edge *e);
int ct__ag_set_history(ct_tensor *out, ct_node *n, int nr);
void ct__ag_fill_meta(ct_in_meta *im, const ct_tensor *t);
ct_tensor *ct__ag_bare_alias(const ct_tensor *t);

#endif
