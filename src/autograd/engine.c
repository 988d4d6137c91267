/* Autograd engine: grad modes, tensor metadata, graph recording, and the
 * backward pass (dependency counting with a ready stack, each node once). */
#include "autograd/ag_internal.h"
#include "autograd/inplace.h"

#include <math.h>
#include <stdio.h>

/* ---------------------------------------------------------------- modes */
static _Thread_local bool grad_disabled;
static _Thread_local bool inference_on;
static _Thread_local bool anomaly_on;

bool ct_is_grad_enabled(void) { return !grad_disabled; }
void ct_set_grad_enabled(bool on) { grad_disabled = !on; }
bool ct_is_inference_mode_enabled(void) { return inference_on; }
void ct_set_detect_anomaly(bool on) { anomaly_on = on; }
bool ct_is_anomaly_enabled(void) { return anomaly_on; }

ct_grad_mode ct_no_grad_begin(void) {
    ct_grad_mode g = {!grad_disabled, inference_on};
    grad_disabled = true;
    return g;
}
ct_grad_mode ct_enable_grad_begin(void) {
    ct_grad_mode g = {!grad_disabled, inference_on};
    grad_disabled = false;
    return g;
}
ct_grad_mode ct_inference_mode_begin(void) {
    ct_grad_mode g = {!grad_disabled, inference_on};
    grad_disabled = true;
    inference_on = true;
    return g;
}
void ct_grad_mode_end(ct_grad_mode prev) {
    grad_disabled = !prev.prev_grad;
    inference_on = prev.prev_inference;
}

bool ct__needs_grad(const ct_tensor *const *inputs, int n) {
    if (grad_disabled) return false;
    for (int i = 0; i < n; i++)
        if (inputs[i] && inputs[i]->requires_grad) return true;
    return false;
}

/* ---------------------------------------------------------------- names */
/* "index_select" -> "IndexSelectBackward0"; built once, never on the
 * recording path. */
static char node_names[CT_AG_NUM_KINDS][48];
static void build_names(void) {
    for (int op = 0; op < CT_NUM_OPS; op++) {
        const char *s = ct_op_table[op].name;
        char *d = node_names[op];
        size_t k = 0;
        bool up = true;
        bool inplace = s[0] && s[strlen(s) - 1] == '_';
        for (; *s && k < 30; s++) {
            if (*s == '_') {
                up = true;
                continue;
            }
            d[k++] = up ? (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s) : *s;
            up = false;
        }
        strcpy(d + k, inplace ? "Backwards" : "Backward0");
    }
    strcpy(node_names[CT_AG_ACCUMULATE], "AccumulateGrad");
    strcpy(node_names[CT_AG_ADD], "AddBackward0");
    strcpy(node_names[CT_AG_SUM_TO], "SumToBackward0");
    strcpy(node_names[CT_AG_VIEW_SCATTER], "ViewScatterBackward0");
    strcpy(node_names[CT_AG_VIEW_MASK], "ViewMaskBackward0");
    strcpy(node_names[CT_AG_COPY_SLICES], "CopySlices");
    strcpy(node_names[CT_AG_SCATTER_DIM], "ScatterAddBackward0");
    strcpy(node_names[CT_AG_GATHER_DIM], "GatherBackward0");
    strcpy(node_names[CT_AG_ERROR], "Error");
    strcpy(node_names[CT_AG_CUSTOM], "CustomFunctionBackward");
}

const char *ct__ag_custom_name(const ct_node *n); /* function.c */

const char *ct_node_name(const ct_node *n) {
    if (!n) return "None";
    if (n->op == CT_AG_CUSTOM) return ct__ag_custom_name(n);
    return node_names[n->op];
}

/* The derivative table, filled by the derivative files at load time. */
ct_deriv ct__ag_derivs[CT_AG_NUM_KINDS];

void ct__ag_register_all(void); /* derivatives_*.c, via registry in derivatives_engine.c */

static void autograd_meta_free(struct ct_autograd_meta *m);

__attribute__((constructor)) static void autograd_init(void) {
    build_names();
    ct__ag_register_all();
    ct__autograd_meta_free = autograd_meta_free;
}

/* ---------------------------------------------------------------- free lists */
/* Per-thread caches of node and meta structs: recording an op pops, not
 * mallocs. Objects freed on another thread join that thread's cache. */
#define AG_CACHE_MAX 512
typedef struct ag_cache {
    ct_node *nodes[AG_CACHE_MAX];
    int nnodes;
    struct ct_autograd_meta *metas[AG_CACHE_MAX];
    int nmetas;
} ag_cache;
static _Thread_local ag_cache *acache;
static pthread_key_t acache_key;
static pthread_once_t acache_once = PTHREAD_ONCE_INIT;

static void acache_destroy(void *p) {
    ag_cache *c = p;
    for (int i = 0; i < c->nnodes; i++) free(c->nodes[i]);
    for (int i = 0; i < c->nmetas; i++) free(c->metas[i]);
    free(c);
}
static void acache_key_init(void) { pthread_key_create(&acache_key, acache_destroy); }
static ag_cache *get_acache(void) {
    if (CT_LIKELY(acache != NULL)) return acache;
    pthread_once(&acache_once, acache_key_init);
    acache = calloc(1, sizeof *acache);
    if (acache) pthread_setspecific(acache_key, acache);
    return acache;
}

static struct ct_autograd_meta *meta_alloc(void) {
    ag_cache *c = get_acache();
    struct ct_autograd_meta *m =
        (c && c->nmetas) ? c->metas[--c->nmetas] : malloc(sizeof(struct ct_autograd_meta));
    if (m) memset(m, 0, sizeof *m);
    return m;
}
static void meta_dealloc(struct ct_autograd_meta *m) {
    ag_cache *c = get_acache();
    if (c && c->nmetas < AG_CACHE_MAX) c->metas[c->nmetas++] = m;
    else free(m);
}

/* Autograd meta of t, created on demand; NULL only when out of memory. */
static struct ct_autograd_meta *get_meta(ct_tensor *t) {
    if (t->autograd) return t->autograd;
    t->autograd = meta_alloc();
    if (!t->autograd) ct_set_error(CT_ERR_MEMORY, "out of memory allocating autograd metadata");
    return t->autograd;
}

static ct_node *node_alloc(int op, int nin, int nsaved, int nextra) {
    ag_cache *c = get_acache();
    ct_node *n = (c && c->nnodes) ? c->nodes[--c->nnodes] : malloc(sizeof(ct_node));
    if (!n) {
        ct_set_error(CT_ERR_MEMORY, "out of memory allocating a graph node");
        return NULL;
    }
    atomic_init(&n->refcount, 1);
    n->op = (int16_t)op;
    n->nin = (int8_t)nin;
    n->nout = 1;
    n->nsaved = 0;
    n->nextra = 0;
    n->released = false;
    n->on_heap = false;
    n->inplace = false;
    static _Thread_local uint64_t seq;
    n->seq = ++seq;
    n->pre_hooks = NULL;
    n->leaf = NULL;
    n->custom = NULL;
    n->out_metas = NULL;
    n->dying_next = NULL;
    n->next = n->next_inline;
    n->in = n->in_inline;
    n->saved = n->saved_inline;
    n->extra = n->extra_inline;
    if (nin > CT_NODE_INLINE || nsaved > CT_NODE_INLINE + 1 || nextra > 2) {
        n->on_heap = true;
        n->next = calloc((size_t)(nin ? nin : 1), sizeof(ct_edge));
        n->in = calloc((size_t)(nin ? nin : 1), sizeof(ct_in_meta));
        n->saved = calloc((size_t)(nsaved ? nsaved : 1), sizeof(ct_saved));
        n->extra = calloc((size_t)(nextra ? nextra : 1), sizeof(ct_saved));
        if (!n->next || !n->in || !n->saved || !n->extra) {
            free(n->next);
            free(n->in);
            free(n->saved);
            free(n->extra);
            free(n);
            ct_set_error(CT_ERR_MEMORY, "out of memory allocating a graph node");
            return NULL;
        }
    }
    return n;
}

/* ---------------------------------------------------------------- node lifetime */
/* Releasing the last reference to a long chain would recurse once per node;
 * instead dying nodes go on a per-thread list that one loop drains. */
static _Thread_local ct_node *dying;
static _Thread_local bool draining;
static pthread_mutex_t acc_lock = PTHREAD_MUTEX_INITIALIZER;

void ct__ag_custom_free(ct_node *n); /* function.c */

static void hook_list_free(ct_hook_list *l) {
    for (int i = 0; i < l->n; i++)
        if (l->v[i].ctx_free) l->v[i].ctx_free(l->v[i].ctx);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* Unlinks entry h from node n's pre-hook list (does not free it). */
static void unlink_pre(ct_node *n, ct_pre_hook *h) {
    for (ct_pre_hook **p = &n->pre_hooks; *p; p = &(*p)->next)
        if (*p == h) {
            *p = h->next;
            return;
        }
}

static void release_saved(ct_node *n) {
    for (int i = 0; i < n->nsaved; i++) {
        ct_release(n->saved[i].t);
        n->saved[i].t = NULL;
    }
    for (int i = 0; i < n->nextra; i++) {
        ct_release(n->extra[i].t);
        n->extra[i].t = NULL;
    }
}

static void node_destroy(ct_node *n) {
    release_saved(n);
    for (int i = 0; i < n->nin; i++) ct_node_release(n->next[i].fn);
    while (n->pre_hooks) {
        ct_pre_hook *h = n->pre_hooks;
        n->pre_hooks = h->next;
        if (h->meta) h->meta->pre = NULL;
        hook_list_free(&h->hooks);
        free(h);
    }
    if (n->op == CT_AG_ACCUMULATE && n->leaf) {
        pthread_mutex_lock(&acc_lock);
        if (n->leaf->autograd && n->leaf->autograd->grad_acc == n) n->leaf->autograd->grad_acc = NULL;
        pthread_mutex_unlock(&acc_lock);
        ct_release(n->leaf);
    }
    if (n->op == CT_AG_CUSTOM) ct__ag_custom_free(n);
    free(n->out_metas);
    n->out_metas = NULL;
    if (n->on_heap) {
        free(n->next);
        free(n->in);
        free(n->saved);
        free(n->extra);
    }
    ag_cache *c = get_acache();
    if (c && c->nnodes < AG_CACHE_MAX) c->nodes[c->nnodes++] = n;
    else free(n);
}

void ct_node_retain(ct_node *n) {
    if (n) atomic_fetch_add_explicit(&n->refcount, 1, memory_order_relaxed);
}

void ct_node_release(ct_node *n) {
    if (!n) return;
    if (atomic_fetch_sub_explicit(&n->refcount, 1, memory_order_acq_rel) != 1) return;
    n->dying_next = dying;
    dying = n;
    if (draining) return;
    draining = true;
    while (dying) {
        ct_node *d = dying;
        dying = d->dying_next;
        node_destroy(d);
    }
    draining = false;
}

static void autograd_meta_free(struct ct_autograd_meta *m) {
    ct_release(m->grad);
    if (m->pre) m->pre->meta = NULL; /* its hooks stay with the node */
    ct_node_release(m->grad_fn);
    ct_release(m->base);
    hook_list_free(&m->hooks);
    meta_dealloc(m);
}

/* ---------------------------------------------------------------- edges */
/* The AccumulateGrad node of a leaf that requires grad, shared by every
 * use of the leaf (so its gradients are summed before the leaf's hooks and
 * accumulation run). Returns a new reference. */
static ct_node *grad_accumulator(ct_tensor *leaf) {
    pthread_mutex_lock(&acc_lock); /* the leaf may be shared by threads */
    struct ct_autograd_meta *m = get_meta(leaf);
    if (!m) {
        pthread_mutex_unlock(&acc_lock);
        return NULL;
    }
    ct_node *a = m->grad_acc;
    if (a) {
        int rc = atomic_load(&a->refcount);
        while (rc > 0 && !atomic_compare_exchange_weak(&a->refcount, &rc, rc + 1)) {
        }
        if (rc > 0) {
            pthread_mutex_unlock(&acc_lock);
            return a;
        }
    }
    a = node_alloc(CT_AG_ACCUMULATE, 0, 0, 0);
    if (a) {
        a->leaf = ct_retain(leaf);
        a->out_meta.ndim = (int8_t)leaf->ndim;
        a->out_meta.dtype = (int8_t)leaf->dtype;
        a->out_meta.device = leaf->storage->device;
        memcpy(a->out_meta.sizes, leaf->sizes, sizeof(int64_t) * (size_t)leaf->ndim);
        m->grad_acc = a;
    }
    pthread_mutex_unlock(&acc_lock);
    return a;
}

/* Where the gradient of t goes: (grad_fn, output_nr) of a non-leaf, the
 * accumulator of a leaf that requires grad, or nothing. New reference. */
static int gradient_edge(const ct_tensor *t, ct_edge *e) {
    e->fn = NULL;
    e->nr = 0;
    if (!t || !t->requires_grad) return 0;
    struct ct_autograd_meta *m = t->autograd;
    if (m && m->grad_fn) {
        ct_node_retain(m->grad_fn);
        e->fn = m->grad_fn;
        e->nr = m->output_nr;
        return 0;
    }
    e->fn = grad_accumulator((ct_tensor *)t);
    return e->fn ? 0 : -1;
}

static void fill_meta(ct_in_meta *im, const ct_tensor *t) {
    im->ndim = (int8_t)t->ndim;
    im->dtype = (int8_t)t->dtype;
    im->offset = t->offset;
    im->contiguous = ct_is_contiguous(t);
    im->device = t->storage->device;
    for (int d = 0; d < t->ndim; d++) im->sizes[d] = t->sizes[d];
}

/* A new tensor object over t's data, with no autograd state. Owned. */
static ct_tensor *bare_alias(const ct_tensor *t) {
    return ct__tensor_new(t->storage, t->dtype, t->sizes, t->strides, t->ndim, t->offset);
}

bool ct__ag_is_view_op(int op) {
    switch (op) {
    case CT_OP_as_strided: case CT_OP_view: case CT_OP_reshape: case CT_OP_permute:
    case CT_OP_transpose: case CT_OP_t: case CT_OP_expand: case CT_OP_squeeze:
    case CT_OP_unsqueeze: case CT_OP_narrow: case CT_OP_select: case CT_OP_slice:
    case CT_OP_flatten: case CT_OP_unflatten: case CT_OP_unfold: case CT_OP_diagonal:
        return true;
    default:
        return false;
    }
}

/* Makes out a non-leaf output `nr` of node n (takes the reference to n). */
static int set_history(ct_tensor *out, ct_node *n, int nr) {
    struct ct_autograd_meta *m = get_meta(out);
    if (!m) {
        ct_node_release(n);
        return -1;
    }
    ct_node *old = m->grad_fn;
    /* tensor hooks and retain_grad follow the tensor to its new node */
    ct_pre_hook *moved = NULL;
    if (m->pre && old) {
        moved = m->pre;
        unlink_pre(old, moved);
    }
    m->grad_fn = n;
    m->output_nr = nr;
    if (moved) {
        moved->nr = nr;
        moved->next = n->pre_hooks;
        n->pre_hooks = moved;
    }
    out->requires_grad = true;
    ct_node_release(old);
    return 0;
}

static const ct_tensor *base_of(const ct_tensor *t) {
    return (t->autograd && t->autograd->base) ? t->autograd->base : NULL;
}

/* Builds node `op` over inputs; does not attach it to any output. */
/* old_self: for an in-place op, a copy of self taken before the write
 * (ct__ag_inplace_begin), saved in place of input 0; NULL otherwise. */
static ct_node *make_node(int op, const ct_tensor *out, const ct_tensor *const *inputs,
                          int ninputs, const ct_tensor *const *extra, int nextra,
                          const ct_op_args *args, bool inplace, const ct_tensor *old_self) {
    const ct_deriv *d = &ct__ag_derivs[op];
    int nsave = 0;
    for (int i = 0; i < ninputs && i < 7; i++)
        if (d->save & (1u << i)) nsave++;
    if (d->save & CT_SAVE_OUTPUT) nsave++;
    int nex = d->nextra_save ? nextra : 0;
    ct_node *n = node_alloc(op, ninputs, nsave, nex);
    if (!n) return NULL;
    if (args) n->args = *args;
    else memset(&n->args, 0, sizeof n->args);
    n->inplace = inplace;
    for (int i = 0; i < ninputs; i++) {
        n->next[i].fn = NULL;
        if (gradient_edge(inputs[i], &n->next[i]) < 0) {
            n->nin = (int8_t)i;
            ct_node_release(n);
            return NULL;
        }
        if (inputs[i]) fill_meta(&n->in[i], inputs[i]);
        else memset(&n->in[i], 0, sizeof n->in[i]); /* an absent optional operand */
    }
    fill_meta(&n->out_meta, out);
    int k = 0;
    for (int i = 0; i < ninputs && i < 7; i++) {
        if (!(d->save & (1u << i))) continue;
        if (d->save_if_other & (1u << i)) {
            bool other = false;
            for (int j = 0; j < ninputs; j++) other |= j != i && n->next[j].fn;
            if (!other) { /* nobody will ask for it: do not keep its memory */
                n->saved[k].t = NULL;
                n->saved[k].version = 0;
                n->saved[k].is_output = false;
                k++;
                continue;
            }
        }
        const ct_tensor *src = (i == 0 && old_self) ? old_self : inputs[i];
        /* an in-place op saw its inputs before its write: a use of any input
         * that shares the written memory (x.mul_(x)'s other) errors, as in
         * PyTorch; self itself was copied before the write when needed.
         * Such an input is kept as a bare alias: the tensor itself (or a view
         * of it) would point back at this node, a cycle nothing frees. */
        bool stale = inplace && src && src->storage == out->storage;
        n->saved[k].t = stale ? bare_alias(src) : ct_retain((ct_tensor *)src);
        if (stale && !n->saved[k].t) {
            n->nsaved = (uint8_t)k;
            ct_node_release(n);
            return NULL;
        }
        n->saved[k].version = src ? ct_version(src) - (stale ? 1 : 0) : 0;
        n->saved[k].is_output = false;
        k++;
    }
    if (d->save & CT_SAVE_OUTPUT) {
        n->saved[k].t = bare_alias(out);
        if (!n->saved[k].t) {
            n->nsaved = (uint8_t)k;
            ct_node_release(n);
            return NULL;
        }
        n->saved[k].version = ct_version(out);
        n->saved[k].is_output = true;
        k++;
    }
    n->nsaved = (uint8_t)k;
    for (int i = 0; i < nex; i++) {
        bool is_out = i < d->extra_out && extra[i];
        /* an output holding its own node would never be freed: keep an alias */
        n->extra[i].t = !extra[i] ? NULL : is_out ? bare_alias(extra[i]) : ct_retain((ct_tensor *)extra[i]);
        n->extra[i].version = extra[i] ? ct_version(extra[i]) : 0;
        n->extra[i].is_output = is_out;
    }
    n->nextra = (uint8_t)nex;
    return n;
}

/* The geometry of view v of the dense base b in the coordinates of a
 * contiguous tensor of b's shape (the ones CopySlices and as_strided's
 * backward work in): strides cst and offset *coff from b's first element.
 * False when v's elements do not lie on such a grid (no carries between
 * b's dims), which autograd does not support. */
static bool contiguous_geometry(const ct_tensor *b, const ct_tensor *v, int64_t *cst, int64_t *coff) {
    int nd = b->ndim, order[CT_MAX_DIMS], n = 0;
    int64_t cs[CT_MAX_DIMS], j0[CT_MAX_DIMS], reach[CT_MAX_DIMS];
    ct__contiguous_strides(b->sizes, nd, cs);
    for (int d = 0; d < nd; d++)
        if (b->sizes[d] > 1) order[n++] = d;
    for (int i = 1; i < n; i++) /* largest stride first */
        for (int j = i; j > 0 && b->strides[order[j]] > b->strides[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    /* r as a sum of b's strides, digit by digit (b is dense: unique) */
#define DIGITS(r, dig)                                                                              do {                                                                                                int64_t rest_ = (r);                                                                            if (rest_ < 0) return false;                                                                    for (int i_ = 0; i_ < n; i_++) {                                                                    (dig)[order[i_]] = rest_ / b->strides[order[i_]];                                               rest_ -= (dig)[order[i_]] * b->strides[order[i_]];                                          }                                                                                               if (rest_ != 0) return false;                                                               } while (0)
    memset(j0, 0, sizeof j0);
    DIGITS(v->offset - b->offset, j0);
    memcpy(reach, j0, sizeof reach);
    *coff = 0;
    for (int d = 0; d < nd; d++) *coff += j0[d] * cs[d];
    for (int k = 0; k < v->ndim; k++) {
        int64_t dig[CT_MAX_DIMS] = {0};
        cst[k] = 0;
        if (v->sizes[k] <= 1) continue;
        DIGITS(v->strides[k], dig);
        for (int d = 0; d < nd; d++) {
            reach[d] += (v->sizes[k] - 1) * dig[d];
            cst[k] += dig[d] * cs[d];
        }
    }
#undef DIGITS
    for (int d = 0; d < nd; d++)
        if (reach[d] >= (b->sizes[d] > 1 ? b->sizes[d] : 1)) return false;
    return true;
}

/* In-place op on a view V of base B that is part of a graph: B's history
 * becomes CopySlices(B_old, op_node) and V a fresh as_strided view of B. */
static int record_on_view(int op, ct_tensor *v, const ct_tensor *const *inputs, int ninputs,
                          const ct_tensor *const *extra, int nextra, const ct_op_args *args,
                          const ct_tensor *old_self) {
    ct_tensor *b = v->autograd->base;
    if (!b->autograd || !b->autograd->grad_fn) {
        if (b->requires_grad) {
            ct_set_error(CT_ERR_RUNTIME, "a view of a leaf Variable that requires grad is being "
                                         "used in an in-place operation.");
            return -1;
        }
    }
    /* a dense base in another dim order (a result that kept its inputs'
     * layout): the view's geometry is rewritten for a contiguous base */
    int64_t cst[CT_MAX_DIMS], coff = 0;
    bool remap = !ct_is_contiguous(b) && v->numel > 0;
    if (remap && !(ct__is_dense(b) && contiguous_geometry(b, v, cst, &coff))) {
        ct_set_error(CT_ERR_NOT_IMPL,
                     "%s: in-place operation on a view of a non-contiguous base of shape %s is "
                     "not supported by autograd",
                     ct_op_table[op < CT_NUM_OPS ? op : 0].name, ct__shp(b));
        return -1;
    }
    if (v->ndim * 2 > CT_MAX_DIMS) {
        ct_set_error(CT_ERR_NOT_IMPL, "in-place operation on a %d-d view is not supported by autograd",
                     v->ndim);
        return -1;
    }
    ct_node *opn = make_node(op, v, inputs, ninputs, extra, nextra, args, true, old_self);
    if (!opn) return -1;
    ct_op_args g;
    memset(&g, 0, sizeof g);
    g.ndims = v->ndim;
    for (int d = 0; d < v->ndim; d++) {
        g.dims[d] = v->sizes[d];
        g.dims[v->ndim + d] = v->strides[d];
    }
    g.i[0] = v->offset; /* absolute, as as_strided takes it */
    if (remap) {
        for (int d = 0; d < v->ndim; d++) g.dims[v->ndim + d] = cst[d];
        g.i[0] = b->offset + coff;
    }
    ct_node *cs = node_alloc(CT_AG_COPY_SLICES, 2, 0, 0);
    if (!cs) {
        ct_node_release(opn);
        return -1;
    }
    cs->args = g;
    if (gradient_edge(b, &cs->next[0]) < 0) {
        cs->nin = 0;
        ct_node_release(cs);
        ct_node_release(opn);
        return -1;
    }
    fill_meta(&cs->in[0], b);
    fill_meta(&cs->in[1], v);
    fill_meta(&cs->out_meta, b);
    cs->next[1].fn = opn; /* takes the reference */
    cs->next[1].nr = 0;
    ct_node_retain(cs);
    if (set_history(b, cs, 0) < 0) {
        ct_node_release(cs);
        return -1;
    }
    /* V now reads from B's new history */
    ct_node *vn = node_alloc(CT_OP_as_strided, 1, 0, 0);
    if (!vn) {
        ct_node_release(cs);
        return -1;
    }
    vn->args = g;
    vn->next[0].fn = cs; /* our extra reference */
    vn->next[0].nr = 0;
    fill_meta(&vn->in[0], b);
    vn->in[0].contiguous |= remap; /* its args are in contiguous coordinates */
    fill_meta(&vn->out_meta, v);
    return set_history(v, vn, 0);
}

/* ---------------------------------------------------------------- in place */
/* The copy of self that an in-place op took before writing, waiting for the
 * op's record (one per thread: ops do not nest between begin and record). */
static _Thread_local struct {
    ct_tensor *self; /* weak: only compared */
    ct_tensor *old;  /* owned */
    int op;
} pending;

void ct__ag_inplace_cancel(void) {
    ct_tensor *o = pending.old;
    pending.old = NULL;
    pending.self = NULL;
    ct_release(o);
}

static bool is_leaf_t(const ct_tensor *t) { return !t->autograd || !t->autograd->grad_fn; }

int ct__ag_inplace_begin(int op, ct_tensor *self, const ct_tensor *const *inputs, int ninputs) {
    ct__ag_inplace_cancel();
    if (grad_disabled) return 0;
    const ct_tensor *b = base_of(self);
    if (!b && self->requires_grad && is_leaf_t(self)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "a leaf Variable that requires grad is being used in an in-place operation.");
        return -1;
    }
    if (b && b->requires_grad && is_leaf_t(b)) {
        ct_set_error(CT_ERR_RUNTIME, "a view of a leaf Variable that requires grad is being "
                                     "used in an in-place operation.");
        return -1;
    }
    if (op < 0 || op >= CT_AG_NUM_KINDS || !ct_dtype_is_floating(self->dtype)) return 0;
    const ct_deriv *d = &ct__ag_derivs[op];
    if (!d->fn || !(d->save & 1)) return 0;
    bool any = false, other = false;
    for (int i = 0; i < ninputs; i++) {
        if (!inputs[i] || !inputs[i]->requires_grad) continue;
        any = true;
        other |= i > 0;
    }
    if (!any || ((d->save_if_other & 1) && !other)) return 0;
    /* the derivative reads the old self: keep a copy, part of the graph
     * (a clone) so that derivatives of higher order reach self's history */
    ct_scope sc = ct_scope_begin();
    ct_tensor *c = ct_clone(self);
    if (c) ct_keep(c);
    ct_scope_end(sc);
    if (!c) return -1;
    pending.self = self;
    pending.old = c;
    pending.op = op;
    return 0;
}

int ct__ag_note_view(ct_tensor *view, const ct_tensor *src) {
    if (grad_disabled || view->storage != src->storage || view == src) return 0;
    if (view->autograd && view->autograd->base) return 0;
    struct ct_autograd_meta *m = get_meta(view);
    if (!m) return -1;
    const ct_tensor *b = base_of(src);
    m->base = ct_retain((ct_tensor *)(b ? b : src));
    return 0;
}

static int record_kind(int op, ct_tensor *out, const ct_tensor *const *inputs, int ninputs,
                       const ct_tensor *const *extra, int nextra, const ct_op_args *args,
                       bool inplace, const ct_tensor *old_self);

int ct__ag_record_kind(int op, ct_tensor *out, const ct_tensor *const *inputs, int ninputs,
                       const ct_tensor *const *extra, int nextra, const ct_op_args *args) {
    bool inplace = ninputs > 0 && inputs[0] == out;
    ct_tensor *old_self = NULL;
    if (inplace) {
        if (pending.self == out && pending.op == op) { /* the copy ct__ag_inplace_begin took */
            old_self = pending.old;
            pending.old = NULL;
        }
        ct__ag_inplace_cancel();
    }
    int rc = record_kind(op, out, inputs, ninputs, extra, nextra, args, inplace, old_self);
    ct_release(old_self);
    return rc;
}

static int record_kind(int op, ct_tensor *out, const ct_tensor *const *inputs, int ninputs,
                       const ct_tensor *const *extra, int nextra, const ct_op_args *args,
                       bool inplace, const ct_tensor *old_self) {
    if (CT_UNLIKELY(!ct__ag_derivs[op].fn)) {
        ct_set_error(CT_ERR_NOT_IMPL, "the derivative for '%s' is not implemented",
                     op < CT_NUM_OPS ? ct_op_table[op].name : ct_node_name(NULL));
        return -1;
    }
    if (!ct_dtype_is_floating(out->dtype)) return 0; /* integer results carry no gradient */
    if (inplace) {
        if (out->requires_grad && (!out->autograd || !out->autograd->grad_fn) && !base_of(out)) {
            ct_set_error(CT_ERR_RUNTIME,
                         "a leaf Variable that requires grad is being used in an in-place operation.");
            return -1;
        }
        /* a view of any tensor: the base joins the graph (CopySlices), also
         * when it did not require grad before (x[0:2] = y) */
        const ct_tensor *b = base_of(out);
        if (b && (b->requires_grad || ct_is_contiguous(b)))
            return record_on_view(op, out, inputs, ninputs, extra, nextra, args, old_self);
    }
    ct_node *n = make_node(op, out, inputs, ninputs, extra, nextra, args, inplace, old_self);
    if (!n) return -1;
    int nx = ct__ag_derivs[op].extra_out < nextra ? ct__ag_derivs[op].extra_out : nextra;
    if (CT_UNLIKELY(nx > 0)) { /* multi-output op: extras are outputs 1.. */
        n->out_metas = calloc((size_t)(nx + 1), sizeof(ct_in_meta));
        if (!n->out_metas) {
            ct_node_release(n);
            ct_set_error(CT_ERR_MEMORY, "out of memory");
            return -1;
        }
        n->nout = (int8_t)(nx + 1);
        n->out_metas[0] = n->out_meta;
        for (int k = 0; k < nx; k++) {
            ct_tensor *e = (ct_tensor *)extra[k];
            if (!e) continue;
            fill_meta(&n->out_metas[k + 1], e);
            if (!ct_dtype_is_floating(e->dtype)) continue;
            ct_node_retain(n);
            if (set_history(e, n, k + 1) < 0) {
                ct_node_release(n);
                return -1;
            }
        }
    }
    if (set_history(out, n, 0) < 0) return -1;
    if (!inplace && ct__ag_is_view_op(op) && ninputs == 1 && out->storage == inputs[0]->storage) {
        const ct_tensor *b = base_of(inputs[0]);
        out->autograd->base = ct_retain((ct_tensor *)(b ? b : inputs[0]));
    }
    return 0;
}

int ct__ag_record(int op_id, ct_tensor *out, const ct_tensor *const *inputs, int ninputs,
                  const ct_tensor *const *extra, int nextra, const ct_op_args *args) {
    return ct__ag_record_kind(op_id, out, inputs, ninputs, extra, nextra, args);
}

/* ---------------------------------------------------------------- saved tensors */
static const char *torch_type(ct_dtype dt) {
    switch (dt) {
    case CT_BOOL: return "torch.BoolTensor";
    case CT_UINT8: return "torch.ByteTensor";
    case CT_INT8: return "torch.CharTensor";
    case CT_INT16: return "torch.ShortTensor";
    case CT_INT32: return "torch.IntTensor";
    case CT_INT64: return "torch.LongTensor";
    case CT_FLOAT16: return "torch.HalfTensor";
    case CT_BFLOAT16: return "torch.BFloat16Tensor";
    case CT_FLOAT32: return "torch.FloatTensor";
    default: return "torch.DoubleTensor";
    }
}

static const char freed_msg[] =
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.";

/* Checks a saved tensor: freed, or modified in place since it was saved.
 * owner/nr name the node that produced it (NULL for a leaf). */
static int check_saved(const ct_saved *s, bool released, const ct_node *owner, int nr) {
    if (released || !s->t) {
        ct_set_error(CT_ERR_RUNTIME, "%s", freed_msg);
        return -1;
    }
    uint64_t v = ct_version(s->t);
    if (v != s->version) {
        char which[96] = "";
        if (owner && owner->op != CT_AG_ACCUMULATE)
            snprintf(which, sizeof which, ", which is output %d of %s,", nr, ct_node_name(owner));
        ct_set_error(CT_ERR_RUNTIME,
                     "one of the variables needed for gradient computation has been modified by "
                     "an inplace operation: [%s %s]%s is at version %llu; expected version %llu "
                     "instead. Hint: enable anomaly detection to find the operation that failed "
                     "to compute its gradient, with torch.autograd.set_detect_anomaly(True).",
                     torch_type(s->t->dtype), ct__shp(s->t), which, (unsigned long long)v,
                     (unsigned long long)s->version);
        return -1;
    }
    return 0;
}

ct_tensor *ct__ag_input(ct_node *n, int i) {
    const ct_deriv *d = &ct__ag_derivs[n->op];
    int k = 0;
    for (int j = 0; j < i; j++)
        if (d->save & (1u << j)) k++;
    if (i >= 7 || !(d->save & (1u << i)) || k >= n->nsaved) {
        ct_set_error(CT_ERR_RUNTIME, "%s: input %d was not saved for backward", ct_node_name(n), i);
        return NULL;
    }
    if (!n->saved[k].t && !n->released) {
        ct_set_error(CT_ERR_RUNTIME, "%s: input %d is absent", ct_node_name(n), i);
        return NULL;
    }
    if (check_saved(&n->saved[k], n->released, n->next[i].fn, n->next[i].nr) < 0) return NULL;
    return n->saved[k].t;
}

ct_tensor *ct__ag_output(ct_node *n) {
    if (!(ct__ag_derivs[n->op].save & CT_SAVE_OUTPUT) || n->nsaved == 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: the result was not saved for backward", ct_node_name(n));
        return NULL;
    }
    ct_saved *s = &n->saved[n->nsaved - 1];
    if (check_saved(s, n->released, n, 0) < 0) return NULL;
    if (grad_disabled) return s->t;
    /* create_graph: the result as a tensor of the graph, output 0 of n */
    ct_tensor *a = bare_alias(s->t);
    if (!a) return NULL;
    ct_node_retain(n);
    if (set_history(a, n, 0) < 0) {
        ct_release(a);
        return NULL;
    }
    return ct_autorelease(a);
}

ct_tensor *ct__ag_extra(ct_node *n, int i) {
    if (i >= n->nextra) {
        ct_set_error(CT_ERR_RUNTIME, "%s: extra tensor %d was not saved", ct_node_name(n), i);
        return NULL;
    }
    if (!n->extra[i].t && !n->released) return NULL; /* an absent optional tensor */
    if (check_saved(&n->extra[i], n->released, NULL, 0) < 0) return NULL;
    return n->extra[i].t;
}

/* ---------------------------------------------------------------- tensor API */
int ct_set_requires_grad(ct_tensor *t, bool on) {
    if (!t) {
        ct_set_error(CT_ERR_VALUE, "requires_grad_: tensor is NULL");
        return -1;
    }
    if (t->autograd && t->autograd->grad_fn) {
        if (on) return 0;
        ct_set_error(CT_ERR_RUNTIME,
                     "you can only change requires_grad flags of leaf variables. If you want to "
                     "use a computed variable in a subgraph that doesn't require differentiation "
                     "use var_no_grad = var.detach().");
        return -1;
    }
    if (on && !ct_dtype_is_floating(t->dtype)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "only Tensors of floating point dtype can require gradients (got %s)",
                     ct_dtype_name(t->dtype));
        return -1;
    }
    if (on && inference_on) {
        ct_set_error(CT_ERR_RUNTIME, "Setting requires_grad=True on inference tensor outside "
                                     "InferenceMode is not allowed.");
        return -1;
    }
    t->requires_grad = on;
    return 0;
}

ct_tensor *ct_requires_grad_(ct_tensor *t, bool on) {
    return ct_set_requires_grad(t, on) < 0 ? NULL : t;
}

bool ct_is_leaf(const ct_tensor *t) { return !t->autograd || !t->autograd->grad_fn; }

ct_tensor *ct_tensor_grad(const ct_tensor *t) { return t->autograd ? t->autograd->grad : NULL; }

int ct_set_grad(ct_tensor *t, ct_tensor *g) {
    if (g) {
        if (g->ndim != t->ndim || memcmp(g->sizes, t->sizes, sizeof(int64_t) * (size_t)t->ndim)) {
            ct_set_error(CT_ERR_RUNTIME, "assigned grad has data of a different size: %s vs %s",
                         ct__shp(g), ct__shp(t));
            return -1;
        }
        if (g->dtype != t->dtype) {
            ct_set_error(CT_ERR_TYPE, "assigned grad has data of a different type: %s vs %s",
                         ct_dtype_name(g->dtype), ct_dtype_name(t->dtype));
            return -1;
        }
    }
    struct ct_autograd_meta *m = get_meta(t);
    if (!m) return -1;
    ct_retain(g);
    ct_release(m->grad);
    m->grad = g;
    return 0;
}

static int install_pre_hook(ct_tensor *t) {
    struct ct_autograd_meta *m = t->autograd;
    if (m->pre) return 0;
    ct_pre_hook *h = calloc(1, sizeof *h);
    if (!h) {
        ct_set_error(CT_ERR_MEMORY, "out of memory");
        return -1;
    }
    h->nr = m->output_nr;
    h->meta = m;
    h->next = m->grad_fn->pre_hooks;
    m->grad_fn->pre_hooks = h;
    m->pre = h;
    return 0;
}

int ct_retain_grad(ct_tensor *t) {
    if (!t->requires_grad) {
        ct_set_error(CT_ERR_RUNTIME, "can't retain_grad on Tensor that has requires_grad=False");
        return -1;
    }
    if (ct_is_leaf(t)) return 0; /* leaves keep their grad anyway */
    if (install_pre_hook(t) < 0) return -1;
    t->autograd->retains_grad = true;
    return 0;
}

bool ct_retains_grad(const ct_tensor *t) { return t->autograd && t->autograd->retains_grad; }

ct_tensor *ct_detach(const ct_tensor *t) { return ct_autorelease(bare_alias(t)); }

ct_tensor *ct_detach_(ct_tensor *t) {
    if (base_of(t)) {
        ct_set_error(CT_ERR_RUNTIME, "Can't detach views in-place. Use detach() instead.");
        return NULL;
    }
    struct ct_autograd_meta *m = t->autograd;
    if (m) {
        ct_node *old = m->grad_fn;
        m->grad_fn = NULL;
        m->output_nr = 0;
        m->retains_grad = false;
        if (m->pre && old) {
            unlink_pre(old, m->pre);
            hook_list_free(&m->pre->hooks);
            free(m->pre);
        }
        m->pre = NULL;
        ct_node_release(old);
    }
    t->requires_grad = false;
    return t;
}

ct_node *ct_grad_fn(const ct_tensor *t) { return t->autograd ? t->autograd->grad_fn : NULL; }
int ct_output_nr(const ct_tensor *t) { return t->autograd ? t->autograd->output_nr : 0; }
int ct_node_num_inputs(const ct_node *n) { return n->nin; }
ct_node *ct_node_next(const ct_node *n, int i, int *nr) {
    if (i < 0 || i >= n->nin) return NULL;
    if (nr) *nr = n->next[i].nr;
    return n->next[i].fn;
}
ct_tensor *ct_node_variable(const ct_node *n) { return n->op == CT_AG_ACCUMULATE ? n->leaf : NULL; }

/* ---------------------------------------------------------------- hooks */
int ct_register_hook(ct_tensor *t, ct_hook_fn fn, void *ctx, void (*ctx_free)(void *)) {
    if (!t->requires_grad) {
        ct_set_error(CT_ERR_RUNTIME,
                     "cannot register a hook on a tensor that doesn't require gradient");
        return -1;
    }
    struct ct_autograd_meta *m = get_meta(t);
    if (!m) return -1;
    if (m->grad_fn && install_pre_hook(t) < 0) return -1;
    ct_hook_list *l = m->grad_fn ? &m->pre->hooks : &m->hooks;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 4;
        ct_hook_entry *h = realloc(l->v, sizeof *h * (size_t)cap);
        if (!h) {
            ct_set_error(CT_ERR_MEMORY, "out of memory");
            return -1;
        }
        l->v = h;
        l->cap = cap;
    }
    int handle = m->next_handle++;
    l->v[l->n++] = (ct_hook_entry){fn, ctx, ctx_free, handle};
    return handle;
}

static bool remove_from(ct_hook_list *l, int handle) {
    for (int i = 0; i < l->n; i++)
        if (l->v[i].handle == handle) {
            if (l->v[i].ctx_free) l->v[i].ctx_free(l->v[i].ctx);
            memmove(&l->v[i], &l->v[i + 1], sizeof *l->v * (size_t)(l->n - i - 1));
            l->n--;
            return true;
        }
    return false;
}

int ct_remove_hook(ct_tensor *t, int handle) {
    struct ct_autograd_meta *m = t->autograd;
    if (m && (remove_from(&m->hooks, handle) || (m->pre && remove_from(&m->pre->hooks, handle))))
        return 0;
    ct_set_error(CT_ERR_VALUE, "remove_hook: no hook with handle %d", handle);
    return -1;
}

/* Runs hooks on *g (owned; may be replaced). */
static int run_tensor_hooks(ct_hook_list *l, ct_tensor **g) {
    for (int i = 0; i < l->n; i++) {
        ct_tensor *rep = NULL;
        ct_scope s = ct_scope_begin();
        int rc = l->v[i].fn(*g, &rep, l->v[i].ctx);
        if (rc == 0 && rep && rep != *g) {
            ct_retain(rep);
            ct_release(*g);
            *g = rep;
        }
        ct_scope_end(s);
        if (rc < 0) return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- kernels */
int ct__ag_add_into(ct_tensor *dst, const ct_tensor *src); /* derivatives_engine.c */

/* ---------------------------------------------------------------- the engine */
typedef struct task_entry {
    ct_node *n;
    int deps;
    bool exec;     /* run the node's derivative */
    bool reach;    /* some target is reachable from here (inclusive) */
    int target;    /* index into the capture array, or -1 */
    ct_tensor **bufs; /* nout > 1 */
    ct_tensor *buf1;  /* nout == 1 (entries move when the array grows: use EBUF) */
} task_entry;

#define EBUF(e) ((e)->n->nout == 1 ? &(e)->buf1 : (e)->bufs)

typedef struct task {
    task_entry *e;
    int n, cap;
    int *slots; /* hash: node -> entry index + 1 */
    int nslots;
    bool create_graph, retain_graph;
} task;

static uint32_t hash_ptr(const void *p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x;
}

static int task_find(const task *t, const ct_node *n) {
    uint32_t mask = (uint32_t)t->nslots - 1;
    for (uint32_t h = hash_ptr(n) & mask;; h = (h + 1) & mask) {
        int s = t->slots[h];
        if (!s) return -1;
        if (t->e[s - 1].n == n) return s - 1;
    }
}

static int task_add(task *t, ct_node *n) {
    if ((t->n + 1) * 2 > t->nslots) {
        int ns = t->nslots ? t->nslots * 2 : 64;
        int *slots = calloc((size_t)ns, sizeof(int));
        if (!slots) return -1;
        uint32_t mask = (uint32_t)ns - 1;
        for (int i = 0; i < t->n; i++) {
            uint32_t h = hash_ptr(t->e[i].n) & mask;
            while (slots[h]) h = (h + 1) & mask;
            slots[h] = i + 1;
        }
        free(t->slots);
        t->slots = slots;
        t->nslots = ns;
    }
    if (t->n == t->cap) {
        int nc = t->cap ? t->cap * 2 : 32;
        task_entry *e = realloc(t->e, sizeof *e * (size_t)nc);
        if (!e) return -1;
        t->e = e;
        t->cap = nc;
    }
    task_entry *e = &t->e[t->n];
    memset(e, 0, sizeof *e);
    e->n = n;
    e->target = -1;
    e->exec = true;
    if (n->nout > 1) {
        e->bufs = calloc((size_t)n->nout, sizeof(ct_tensor *));
        if (!e->bufs) return -1;
    }
    uint32_t mask = (uint32_t)t->nslots - 1;
    uint32_t h = hash_ptr(n) & mask;
    while (t->slots[h]) h = (h + 1) & mask;
    t->slots[h] = t->n + 1;
    return t->n++;
}

static void task_free(task *t) {
    for (int i = 0; i < t->n; i++) {
        task_entry *e = &t->e[i];
        for (int k = 0; k < e->n->nout; k++) ct_release(EBUF(e)[k]);
        free(e->bufs);
    }
    free(t->e);
    free(t->slots);
}

/* Adds g (owned) into buffer slot *b. */
static int buffer_add(ct_tensor **b, ct_tensor *g) {
    if (!*b) {
        *b = g;
        return 0;
    }
    ct_scope s = ct_scope_begin();
    ct_tensor *sum = ct__ag_add(*b, g);
    if (sum) ct_keep(sum);
    ct_scope_end(s);
    ct_release(g);
    if (!sum) return -1;
    ct_release(*b);
    *b = sum;
    return 0;
}

static bool shape_eq(const ct_tensor *t, const ct_in_meta *m) {
    if (t->ndim != m->ndim) return false;
    for (int d = 0; d < t->ndim; d++)
        if (t->sizes[d] != m->sizes[d]) return false;
    return true;
}

/* Makes g (owned) match the input's shape (summing broadcast dims) and
 * dtype. Returns the owned result or NULL. */
static ct_tensor *conform(ct_tensor *g, const ct_in_meta *m, const ct_node *n, int i) {
    if (shape_eq(g, m) && (int)g->dtype == m->dtype) return g;
    ct_scope s = ct_scope_begin();
    ct_tensor *r = g;
    if (!shape_eq(r, m)) {
        int64_t bs[CT_MAX_DIMS];
        ct_clear_error();
        int nd = ct_broadcast_shapes("backward", m->sizes, m->ndim, r->sizes, r->ndim, bs);
        bool ok = nd == r->ndim && !memcmp(bs, r->sizes, sizeof(int64_t) * (size_t)nd);
        if (!ok) {
            char b[160];
            ct_set_error(CT_ERR_RUNTIME,
                         "Function %s returned an invalid gradient at index %d - got %s but "
                         "expected shape compatible with %s",
                         ct_node_name(n), i, ct__shp(g), ct_shape_str(m->sizes, m->ndim, b, 160));
            r = NULL;
        } else {
            r = ct__ag_sum_to(r, m->sizes, m->ndim);
        }
    }
    if (r && (int)r->dtype != m->dtype) r = ct_to_dtype(r, (ct_dtype)m->dtype, false);
    if (r) ct_keep(r);
    ct_scope_end(s);
    ct_release(g);
    return r;
}

static bool has_nan(const ct_tensor *t) {
    for (int64_t i = 0; i < t->numel; i++)
        if (isnan(ct_item_at(t, i))) return true;
    return false;
}

/* .grad of a leaf shared by graphs on several threads: updates serialize. */
static pthread_mutex_t grad_lock = PTHREAD_MUTEX_INITIALIZER;

static int accumulate_locked(ct_tensor *leaf, struct ct_autograd_meta *m, ct_tensor *g,
                             bool create_graph) {
    if (!m->grad) {
        bool steal = !create_graph && !g->requires_grad &&
                     atomic_load(&g->refcount) == 1 && atomic_load(&g->storage->refcount) == 1 &&
                     ct_is_contiguous(g) && g->offset == 0 && g->dtype == leaf->dtype;
        if (steal || create_graph) {
            m->grad = g;
            return 0;
        }
        m->grad = ct__to_dtype(g, leaf->dtype, true);
        ct_release(g);
        return m->grad ? 0 : -1;
    }
    if (!create_graph && !m->grad->requires_grad) {
        int rc = ct__ag_add_into(m->grad, g);
        ct_release(g);
        return rc;
    }
    ct_scope s = ct_scope_begin();
    ct_tensor *sum = ct__ag_add(m->grad, g);
    if (sum) ct_keep(sum);
    ct_scope_end(s);
    ct_release(g);
    if (!sum) return -1;
    ct_release(m->grad);
    m->grad = sum;
    return 0;
}

/* Accumulates g (owned) into the .grad of the leaf of accumulator a, after
 * the leaf's hooks. */
static int accumulate(ct_node *a, ct_tensor *g, bool create_graph) {
    ct_tensor *leaf = a->leaf;
    struct ct_autograd_meta *m = get_meta(leaf);
    if (!m) {
        ct_release(g);
        return -1;
    }
    if (m->hooks.n && run_tensor_hooks(&m->hooks, &g) < 0) {
        ct_release(g);
        return -1;
    }
    pthread_mutex_lock(&grad_lock);
    int rc = accumulate_locked(leaf, m, g, create_graph);
    pthread_mutex_unlock(&grad_lock);
    return rc;
}

/* Stores the gradient arriving at a non-leaf: its hooks, then retain_grad. */
static int run_pre_hooks(ct_node *n, ct_tensor **buf) {
    for (ct_pre_hook *h = n->pre_hooks; h; h = h->next) {
        ct_tensor **g = &buf[h->nr];
        if (*g && h->hooks.n && run_tensor_hooks(&h->hooks, g) < 0) return -1;
    }
    for (ct_pre_hook *h = n->pre_hooks; h; h = h->next) {
        ct_tensor *g = buf[h->nr];
        struct ct_autograd_meta *m = h->meta;
        if (!g || !m || !m->retains_grad) continue;
        if (!m->grad) {
            m->grad = g->requires_grad ? ct_retain(g) : ct__to_dtype(g, g->dtype, true);
            if (!m->grad) return -1;
        } else {
            ct_scope s = ct_scope_begin();
            ct_tensor *sum = ct__ag_add(m->grad, g);
            if (sum) ct_keep(sum);
            ct_scope_end(s);
            if (!sum) return -1;
            ct_release(m->grad);
            m->grad = sum;
        }
    }
    return 0;
}

/* Runs one node: returns 0 or -1. buf holds its output gradients (owned). */
static int run_node(task *t, task_entry *e) {
    ct_node *n = e->n;
    ct_tensor **buf = EBUF(e);
    if (n->op == CT_AG_ACCUMULATE) {
        ct_tensor *g = buf[0];
        buf[0] = NULL;
        return g ? accumulate(n, g, t->create_graph) : 0;
    }
    bool any = false;
    for (int k = 0; k < n->nout; k++) any |= buf[k] != NULL;
    if (!any) return 0;
    ct_tensor *gin_inline[8];
    ct_tensor **gin = n->nin <= 8 ? gin_inline : calloc((size_t)n->nin, sizeof(ct_tensor *));
    if (!gin) {
        ct_set_error(CT_ERR_MEMORY, "out of memory");
        return -1;
    }
    for (int i = 0; i < n->nin; i++) gin[i] = NULL;
    int rc = 0;
    ct_scope s = ct_scope_begin();
    for (int k = 0; k < n->nout && rc == 0; k++) {
        if (buf[k]) continue;
        const ct_in_meta *om = n->nout == 1 ? &n->out_meta : &n->out_metas[k];
        ct_tensor *z = ct__ag_zeros(om->sizes, om->ndim, (ct_dtype)om->dtype, om->device);
        if (!z) rc = -1;
        else buf[k] = ct_keep(z);
    }
    if (rc == 0) rc = ct__ag_derivs[n->op].fn(n, buf, gin);
    for (int i = 0; i < n->nin; i++) {
        if (rc == 0 && gin[i] && n->next[i].fn) ct_retain(gin[i]);
        else gin[i] = NULL;
    }
    ct_scope_end(s);
    if (rc == 0 && anomaly_on) {
        for (int i = 0; i < n->nin; i++)
            if (gin[i] && has_nan(gin[i])) {
                ct_set_error(CT_ERR_RUNTIME, "Function '%s' returned nan values in its %dth output.",
                             ct_node_name(n), i);
                rc = -1;
                break;
            }
    }
    for (int i = 0; i < n->nin; i++) {
        if (!gin[i]) continue;
        if (rc < 0) {
            ct_release(gin[i]);
            continue;
        }
        ct_tensor *g = conform(gin[i], &n->in[i], n, i);
        if (!g) {
            rc = -1;
            continue;
        }
        int ci = task_find(t, n->next[i].fn);
        if (buffer_add(&EBUF(&t->e[ci])[n->next[i].nr], g) < 0) rc = -1;
    }
    if (gin != gin_inline) free(gin);
    for (int k = 0; k < n->nout; k++) {
        ct_release(buf[k]);
        buf[k] = NULL;
    }
    return rc;
}

/* Walks the graph below the roots, counting each node's consumers. */
static int discover(task *t) {
    int *stack = NULL, sp = 0, cap = 0;
    for (int i = 0; i < t->n; i++) {
        if (sp == cap) {
            cap = cap ? cap * 2 : 64;
            int *ns = realloc(stack, sizeof(int) * (size_t)cap);
            if (!ns) goto oom;
            stack = ns;
        }
        stack[sp++] = i;
    }
    while (sp) {
        ct_node *n = t->e[stack[--sp]].n;
        for (int i = 0; i < n->nin; i++) {
            ct_node *c = n->next[i].fn;
            if (!c) continue;
            int ci = task_find(t, c);
            if (ci < 0) {
                ci = task_add(t, c);
                if (ci < 0) goto oom;
                if (sp == cap) {
                    cap = cap ? cap * 2 : 64;
                    int *ns = realloc(stack, sizeof(int) * (size_t)cap);
                    if (!ns) goto oom;
                    stack = ns;
                }
                stack[sp++] = ci;
            }
            t->e[ci].deps++;
        }
    }
    free(stack);
    return 0;
oom:
    free(stack);
    ct_set_error(CT_ERR_MEMORY, "backward: out of memory");
    return -1;
}

/* Kahn order of the task (consumers first); order must hold t->n ints. */
static void topo_order(task *t, int *order) {
    int *deps = malloc(sizeof(int) * (size_t)t->n);
    int head = 0, tail = 0;
    for (int i = 0; i < t->n; i++) {
        deps[i] = t->e[i].deps;
        if (!deps[i]) order[tail++] = i;
    }
    while (head < tail) {
        ct_node *n = t->e[order[head++]].n;
        for (int i = 0; i < n->nin; i++) {
            if (!n->next[i].fn) continue;
            int ci = task_find(t, n->next[i].fn);
            if (--deps[ci] == 0) order[tail++] = ci;
        }
    }
    free(deps);
}

typedef struct target {
    ct_node *fn;
    int nr;
    ct_tensor *leaf;   /* backward(inputs=...): tensor whose .grad receives it */
    ct_tensor *result; /* grad(): captured gradient (owned) */
} target;

/* The core of backward() and grad(): roots[i] receives grads[i] (owned,
 * consumed). With targets (ntargets > 0) only the paths to them run; in
 * capture mode their gradients are returned instead of accumulated. */
static int run_backward(ct_edge *roots, ct_tensor **grads, int nroots, target *targets,
                        int ntargets, bool capture, bool retain_graph, bool create_graph) {
    task t;
    memset(&t, 0, sizeof t);
    t.create_graph = create_graph;
    t.retain_graph = retain_graph;
    int rc = 0;
    int *order = NULL, *stack = NULL;
    for (int i = 0; i < nroots; i++) {
        int ri = t.nslots ? task_find(&t, roots[i].fn) : -1;
        if (ri < 0) ri = task_add(&t, roots[i].fn);
        if (ri < 0) {
            ct_set_error(CT_ERR_MEMORY, "backward: out of memory");
            rc = -1;
            goto done;
        }
    }
    if (discover(&t) < 0) {
        rc = -1;
        goto done;
    }
    for (int i = 0; i < nroots; i++) {
        int ri = task_find(&t, roots[i].fn);
        ct_tensor *g = grads[i];
        grads[i] = NULL;
        if (g && buffer_add(&EBUF(&t.e[ri])[roots[i].nr], g) < 0) {
            rc = -1;
            goto done;
        }
    }
    order = malloc(sizeof(int) * (size_t)t.n);
    stack = malloc(sizeof(int) * (size_t)t.n);
    if (!order || !stack) {
        ct_set_error(CT_ERR_MEMORY, "backward: out of memory");
        rc = -1;
        goto done;
    }
    if (ntargets > 0) {
        for (int k = 0; k < ntargets; k++) {
            int ti = targets[k].fn ? task_find(&t, targets[k].fn) : -1;
            if (ti >= 0) t.e[ti].target = k;
        }
        /* several targets may share a node (outputs of one node): mark all */
        topo_order(&t, order);
        for (int j = t.n - 1; j >= 0; j--) {
            task_entry *e = &t.e[order[j]];
            bool below = false;
            for (int i = 0; i < e->n->nin; i++) {
                if (!e->n->next[i].fn) continue;
                below |= t.e[task_find(&t, e->n->next[i].fn)].reach;
            }
            bool is_target = false;
            for (int k = 0; k < ntargets; k++) is_target |= targets[k].fn == e->n;
            e->reach = below || is_target;
            e->exec = below || (is_target && !capture && e->n->op == CT_AG_ACCUMULATE &&
                                targets[0].leaf != NULL);
        }
    }
    int sp = 0;
    for (int i = 0; i < t.n; i++)
        if (t.e[i].deps == 0) stack[sp++] = i;
    /* Ready stack: a node is pushed when its last consumer has run. */
    bool prev_disabled = grad_disabled;
    grad_disabled = !create_graph;
    while (sp && rc == 0) {
        int ei = stack[--sp];
        task_entry *e = &t.e[ei];
        ct_node *n = e->n;
        if (n->pre_hooks && run_pre_hooks(n, EBUF(e)) < 0) rc = -1;
        if (rc == 0 && ntargets > 0) {
            for (int k = 0; k < ntargets; k++) {
                if (targets[k].fn != n) continue;
                ct_tensor *g = EBUF(e)[targets[k].nr];
                if (!g) continue;
                if (capture) {
                    ct_release(targets[k].result);
                    targets[k].result = ct_retain(g);
                } else if (n->op != CT_AG_ACCUMULATE && targets[k].leaf) {
                    /* backward(inputs=[non-leaf]): accumulate into its .grad */
                    struct ct_autograd_meta *m = get_meta(targets[k].leaf);
                    if (!m) {
                        rc = -1;
                        break;
                    }
                    if (!m->grad) {
                        m->grad = create_graph ? ct_retain(g) : ct__to_dtype(g, g->dtype, true);
                    } else {
                        ct_scope s = ct_scope_begin();
                        ct_tensor *sum = ct__ag_add(m->grad, g);
                        if (sum) ct_keep(sum);
                        ct_scope_end(s);
                        ct_release(m->grad);
                        m->grad = sum;
                    }
                    if (!m->grad) rc = -1;
                }
            }
        }
        if (rc == 0 && e->exec) rc = run_node(&t, e);
        for (int k = 0; k < n->nout; k++) {
            ct_release(EBUF(e)[k]);
            EBUF(e)[k] = NULL;
        }
        if (rc == 0 && !retain_graph && e->exec && n->op != CT_AG_ACCUMULATE) {
            release_saved(n);
            n->released = true;
        }
        for (int i = 0; i < n->nin; i++) {
            if (!n->next[i].fn) continue;
            int ci = task_find(&t, n->next[i].fn);
            if (--t.e[ci].deps == 0) stack[sp++] = ci;
        }
    }
    grad_disabled = prev_disabled;
done:
    for (int i = 0; i < nroots; i++) ct_release(grads[i]);
    free(order);
    free(stack);
    task_free(&t);
    return rc;
}

static int root_edge(const ct_tensor *r, int idx, ct_edge *e) {
    if (!r->requires_grad) {
        ct_set_error(CT_ERR_RUNTIME,
                     "element %d of tensors does not require grad and does not have a grad_fn", idx);
        return -1;
    }
    if (gradient_edge(r, e) < 0) return -1;
    ct_node_release(e->fn); /* the tensor keeps the node alive for the call */
    return 0;
}

/* The gradient for root i: given (checked) or ones for one-element roots. */
static ct_tensor *root_grad(const ct_tensor *r, const ct_tensor *g, int idx) {
    if (!g) {
        if (r->numel != 1) {
            ct_set_error(CT_ERR_RUNTIME, "grad can be implicitly created only for scalar outputs");
            return NULL;
        }
        ct_scope s = ct_scope_begin();
        ct_tensor *o = ct__ag_ones(r->sizes, r->ndim, r->dtype, r->storage->device);
        if (o) ct_keep(o);
        ct_scope_end(s);
        return o;
    }
    if (g->ndim != r->ndim || memcmp(g->sizes, r->sizes, sizeof(int64_t) * (size_t)r->ndim)) {
        char a[160], b[160];
        ct_set_error(CT_ERR_RUNTIME,
                     "Mismatch in shape: grad_output[%d] has a shape of torch.Size(%s) and "
                     "output[%d] has a shape of torch.Size(%s).",
                     idx, ct_shape_str(g->sizes, g->ndim, a, 160), idx,
                     ct_shape_str(r->sizes, r->ndim, b, 160));
        return NULL;
    }
    if (!ct_dtype_is_floating(g->dtype)) {
        ct_set_error(CT_ERR_RUNTIME, "For complex Tensors, both grad_output and output are required "
                                     "to have the same dtype. Mismatch in dtype: grad_output[%d] "
                                     "has a dtype of %s and output[%d] has a dtype of %s.",
                     idx, ct_dtype_name(g->dtype), idx, ct_dtype_name(r->dtype));
        return NULL;
    }
    return ct_retain((ct_tensor *)g);
}

/* Roots and their gradients for backward()/grad(); grads are owned. */
static int prepare_roots(ct_tensor *const *roots, const ct_tensor *const *gradients, int n,
                         ct_edge *edges, ct_tensor **grads) {
    for (int i = 0; i < n; i++) grads[i] = NULL;
    for (int i = 0; i < n; i++) {
        if (root_edge(roots[i], i, &edges[i]) < 0) return -1;
        grads[i] = root_grad(roots[i], gradients ? gradients[i] : NULL, i);
        if (!grads[i]) return -1;
    }
    return 0;
}

static void release_all(ct_tensor **g, int n) {
    for (int i = 0; i < n; i++) ct_release(g[i]);
}

int ct_backward_multi(ct_tensor *const *roots, const ct_tensor *const *gradients, int n,
                      bool retain_graph, bool create_graph, ct_tensor *const *inputs,
                      int ninputs) {
    if (n <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "backward: no tensors given");
        return -1;
    }
    ct_edge *edges = calloc((size_t)n, sizeof *edges);
    ct_tensor **grads = calloc((size_t)n, sizeof *grads);
    target *tg = ninputs > 0 ? calloc((size_t)ninputs, sizeof *tg) : NULL;
    int rc = -1;
    if (!edges || !grads || (ninputs > 0 && !tg)) {
        ct_set_error(CT_ERR_MEMORY, "backward: out of memory");
        goto out;
    }
    if (prepare_roots(roots, gradients, n, edges, grads) < 0) {
        release_all(grads, n);
        goto out;
    }
    for (int k = 0; k < ninputs; k++) {
        if (!inputs[k]->requires_grad) {
            ct_set_error(CT_ERR_RUNTIME, "One of the differentiated Tensors does not require grad");
            release_all(grads, n);
            goto out_held;
        }
        ct_edge e;
        if (gradient_edge(inputs[k], &e) < 0) {
            release_all(grads, n);
            goto out_held;
        }
        tg[k].fn = e.fn;
        tg[k].nr = e.nr;
        tg[k].leaf = inputs[k];
    }
    rc = run_backward(edges, grads, n, tg, ninputs, false, retain_graph, create_graph);
out_held:
    for (int k = 0; k < ninputs; k++) ct_node_release(tg[k].fn);
out:
    free(edges);
    free(grads);
    free(tg);
    return rc;
}

int ct_backward(ct_tensor *root, const ct_tensor *gradient, bool retain_graph, bool create_graph,
                ct_tensor *const *inputs, int ninputs) {
    const ct_tensor *g[1] = {gradient};
    return ct_backward_multi(&root, g, 1, retain_graph, create_graph, inputs, ninputs);
}

int ct_grad(ct_tensor *const *outputs, int n, ct_tensor *const *inputs, int m,
            const ct_tensor *const *grad_outputs, bool retain_graph, bool create_graph,
            bool allow_unused, ct_tensor **out) {
    for (int j = 0; j < m; j++) out[j] = NULL;
    if (n <= 0 || m <= 0) {
        ct_set_error(CT_ERR_RUNTIME, "grad requires non-empty inputs and outputs");
        return -1;
    }
    for (int j = 0; j < m; j++)
        if (!inputs[j]->requires_grad) {
            ct_set_error(CT_ERR_RUNTIME, "One of the differentiated Tensors does not require grad");
            return -1;
        }
    ct_edge *edges = calloc((size_t)n, sizeof *edges);
    ct_tensor **grads = calloc((size_t)n, sizeof *grads);
    target *tg = calloc((size_t)m, sizeof *tg);
    int rc = -1;
    if (!edges || !grads || !tg) {
        ct_set_error(CT_ERR_MEMORY, "grad: out of memory");
        goto out;
    }
    if (prepare_roots(outputs, grad_outputs, n, edges, grads) < 0) {
        release_all(grads, n);
        goto out;
    }
    for (int j = 0; j < m; j++) {
        ct_edge e;
        if (gradient_edge(inputs[j], &e) < 0) {
            release_all(grads, n);
            for (int k = 0; k < j; k++) ct_node_release(tg[k].fn);
            goto out;
        }
        tg[j].fn = e.fn;
        tg[j].nr = e.nr;
    }
    rc = run_backward(edges, grads, n, tg, m, true, retain_graph, create_graph);
    for (int j = 0; j < m; j++) {
        if (rc == 0 && !tg[j].result && !allow_unused) {
            ct_set_error(CT_ERR_RUNTIME,
                         "One of the differentiated Tensors appears to not have been used in the "
                         "graph. Set allow_unused=True if this is the desired behavior.");
            rc = -1;
        }
    }
    for (int j = 0; j < m; j++) {
        if (rc == 0) out[j] = ct_autorelease(tg[j].result);
        else ct_release(tg[j].result);
        ct_node_release(tg[j].fn);
    }
    if (rc < 0)
        for (int j = 0; j < m; j++) out[j] = NULL;
out:
    free(edges);
    free(grads);
    free(tg);
    return rc;
}

/* ---------------------------------------------------------------- for function.c */
int ct__ag_check_saved(const ct_saved *s, bool released, const ct_node *owner, int nr) {
    return check_saved(s, released, owner, nr);
}
ct_node *ct__ag_node_alloc(int op, int nin, int nsaved, int nextra) {
    return node_alloc(op, nin, nsaved, nextra);
}
int ct__ag_gradient_edge(const ct_tensor *t, ct_edge *e) { return gradient_edge(t, e); }
int ct__ag_set_history(ct_tensor *out, ct_node *n, int nr) { return set_history(out, n, nr); }
void ct__ag_fill_meta(ct_in_meta *im, const ct_tensor *t) { fill_meta(im, t); }
ct_tensor *ct__ag_bare_alias(const ct_tensor *t) { return bare_alias(t); }
