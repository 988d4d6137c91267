/* Custom differentiable functions written in C (the base of Python's
 * autograd.Function): forward runs without recording, and one graph node
 * calls the user's backward. */
#include "autograd/ag_internal.h"

#define MAX_MARKED 16

struct ct_function_ctx {
    const ct_function *fn;
    void *user;
    void (*free_user)(void *);
    int nin, nout;
    bool needs[64];
    ct_node *node;        /* once forward has run and an input requires grad */
    ct_saved *saved;      /* during forward; then moved into node->saved */
    int nsaved;
    const ct_tensor *dirty[MAX_MARKED];
    int ndirty;
    const ct_tensor *nondiff[MAX_MARKED];
    int nnondiff;
};

const char *ct__ag_custom_name(const ct_node *n) {
    const ct_function_ctx *c = n->custom;
    return c && c->fn->name ? c->fn->name : "CustomFunctionBackward";
}

static void ctx_free(ct_function_ctx *c) {
    if (!c) return;
    for (int i = 0; i < c->nsaved; i++) ct_release(c->saved[i].t);
    free(c->saved);
    if (c->free_user) c->free_user(c->user);
    free(c);
}

void ct__ag_custom_free(ct_node *n) {
    ct_function_ctx *c = n->custom;
    n->custom = NULL;
    free(n->out_metas);
    n->out_metas = NULL;
    ctx_free(c);
}

int ct_ctx_save_for_backward(ct_function_ctx *ctx, const ct_tensor *const *t, int n) {
    if (ctx->node) {
        ct_set_error(CT_ERR_RUNTIME, "save_for_backward can only be called from forward");
        return -1;
    }
    ct_saved *s = realloc(ctx->saved, sizeof *s * (size_t)(ctx->nsaved + n));
    if (!s && ctx->nsaved + n > 0) {
        ct_set_error(CT_ERR_MEMORY, "out of memory");
        return -1;
    }
    ctx->saved = s;
    for (int i = 0; i < n; i++) {
        ct_saved *e = &ctx->saved[ctx->nsaved++];
        e->t = t[i] ? ct_retain((ct_tensor *)t[i]) : NULL;
        e->version = t[i] ? ct_version(t[i]) : 0;
        e->is_output = false;
    }
    return 0;
}

int ct_ctx_num_saved(const ct_function_ctx *ctx) {
    return ctx->node ? ctx->node->nsaved : ctx->nsaved;
}

ct_tensor *ct_ctx_saved(ct_function_ctx *ctx, int i) {
    ct_node *n = ctx->node;
    int ns = n ? n->nsaved : ctx->nsaved;
    if (i < 0 || i >= ns) {
        ct_set_error(CT_ERR_INDEX, "saved tensor index %d out of range (%d saved)", i, ns);
        return NULL;
    }
    ct_saved *s = n ? &n->saved[i] : &ctx->saved[i];
    if (n && !s->t && !n->released) return NULL; /* None was saved */
    if (ct__ag_check_saved(s, n ? n->released : false, NULL, 0) < 0) return NULL;
    return s->t;
}

bool ct_ctx_needs_input_grad(const ct_function_ctx *ctx, int i) {
    return i >= 0 && i < ctx->nin && i < 64 && ctx->needs[i];
}

int ct_ctx_mark_dirty(ct_function_ctx *ctx, const ct_tensor *t) {
    if (ctx->ndirty == MAX_MARKED) {
        ct_set_error(CT_ERR_RUNTIME, "mark_dirty: at most %d tensors", MAX_MARKED);
        return -1;
    }
    ctx->dirty[ctx->ndirty++] = t;
    return 0;
}

int ct_ctx_mark_non_differentiable(ct_function_ctx *ctx, const ct_tensor *t) {
    if (ctx->nnondiff == MAX_MARKED) {
        ct_set_error(CT_ERR_RUNTIME, "mark_non_differentiable: at most %d tensors", MAX_MARKED);
        return -1;
    }
    ctx->nondiff[ctx->nnondiff++] = t;
    return 0;
}

static bool marked(const ct_tensor *const *list, int n, const ct_tensor *t) {
    for (int i = 0; i < n; i++)
        if (list[i] == t) return true;
    return false;
}

int ct__ag_custom_backward(ct_node *n, ct_tensor *const *g, ct_tensor **gin) {
    ct_function_ctx *c = n->custom;
    if (!c->fn->backward) {
        ct_set_error(CT_ERR_NOT_IMPL, "%s: backward is not implemented", ct_node_name(n));
        return -1;
    }
    for (int i = 0; i < n->nin && i < 64; i++) c->needs[i] = ct__ag_needs(n, i);
    if (c->fn->backward(c, g, n->nout, gin, n->nin, c->user) < 0) return -1;
    for (int i = 0; i < n->nin; i++) {
        if (!gin[i] || !ct__ag_needs(n, i)) continue;
        if (!ct_dtype_is_floating(gin[i]->dtype)) {
            ct_set_error(CT_ERR_RUNTIME, "%s: gradient %d has non-floating dtype %s",
                         ct_node_name(n), i, ct_dtype_name(gin[i]->dtype));
            return -1;
        }
    }
    return 0;
}

int ct_function_apply(const ct_function *fn, void *user, void (*free_user)(void *),
                      const ct_tensor *const *in, int nin, ct_tensor **out, int nout) {
    for (int k = 0; k < nout; k++) out[k] = NULL;
    if (nin > 64 || nout < 1 || nout > 64) {
        ct_set_error(CT_ERR_RUNTIME, "%s: between 0 and 64 inputs and 1 and 64 outputs supported",
                     fn->name ? fn->name : "function");
        if (free_user) free_user(user);
        return -1;
    }
    ct_function_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        ct_set_error(CT_ERR_MEMORY, "out of memory");
        if (free_user) free_user(user);
        return -1;
    }
    c->fn = fn;
    c->user = user;
    c->free_user = free_user;
    c->nin = nin;
    c->nout = nout;
    bool any = ct__needs_grad(in, nin);
    for (int i = 0; i < nin; i++) c->needs[i] = any && in[i] && in[i]->requires_grad;
    ct_grad_mode gm = ct_no_grad_begin();
    int rc = fn->forward(c, in, nin, out, nout, user);
    ct_grad_mode_end(gm);
    for (int k = 0; rc == 0 && k < nout; k++)
        if (!out[k]) {
            ct_set_error(CT_ERR_RUNTIME, "%s: forward returned no tensor for output %d",
                         fn->name ? fn->name : "function", k);
            rc = -1;
        }
    if (rc < 0 || !any) {
        ctx_free(c);
        return rc;
    }
    /* outputs returned unchanged from the inputs become new tensor objects */
    for (int k = 0; k < nout; k++)
        for (int i = 0; i < nin; i++)
            if (out[k] == in[i] && !marked(c->dirty, c->ndirty, out[k]))
                out[k] = ct_autorelease(ct__ag_bare_alias(out[k]));
    for (int k = 0; k < nout; k++) {
        if (!marked(c->dirty, c->ndirty, out[k])) continue;
        if (out[k]->requires_grad && ct_is_leaf(out[k])) {
            ct_set_error(CT_ERR_RUNTIME,
                         "a leaf Variable that requires grad is being used in an in-place operation.");
            ctx_free(c);
            return -1;
        }
    }
    ct_node *n = ct__ag_node_alloc(CT_AG_CUSTOM, nin, c->nsaved, 0);
    if (!n) {
        ctx_free(c);
        return -1;
    }
    n->nout = (int8_t)nout;
    n->custom = c;
    if (nout > 1) {
        n->out_metas = calloc((size_t)nout, sizeof(ct_in_meta));
        if (!n->out_metas) {
            ct_set_error(CT_ERR_MEMORY, "out of memory");
            ct_node_release(n);
            return -1;
        }
    }
    for (int i = 0; i < nin; i++) {
        n->next[i].fn = NULL;
        if (in[i] && ct__ag_gradient_edge(in[i], &n->next[i]) < 0) {
            ct_node_release(n);
            return -1;
        }
        if (in[i]) ct__ag_fill_meta(&n->in[i], in[i]);
    }
    /* saved tensors move to the node; saved outputs become bare aliases
     * (an output holding its own node would never be freed) */
    for (int i = 0; i < c->nsaved; i++) {
        ct_saved s = c->saved[i];
        for (int k = 0; s.t && k < nout; k++)
            if (s.t == out[k] && !marked(c->dirty, c->ndirty, out[k])) {
                ct_tensor *a = ct__ag_bare_alias(s.t);
                ct_release(s.t);
                s.t = a;
                s.is_output = true;
                break;
            }
        n->saved[i] = s;
    }
    n->nsaved = (uint8_t)c->nsaved;
    free(c->saved);
    c->saved = NULL;
    c->nsaved = 0;
    c->node = n;
    for (int k = 0; k < nout; k++) {
        ct_in_meta *om = nout == 1 ? &n->out_meta : &n->out_metas[k];
        ct__ag_fill_meta(om, out[k]);
        if (marked(c->nondiff, c->nnondiff, out[k]) || !ct_dtype_is_floating(out[k]->dtype))
            continue;
        ct_node_retain(n);
        if (ct__ag_set_history(out[k], n, k) < 0) {
            ct_node_release(n);
            return -1;
        }
    }
    ct_node_release(n); /* the outputs hold it now */
    return 0;
}
