/* The generic half of nn.Module: registration of parameters, buffers and
 * children, traversal in PyTorch's order (named_parameters, state_dict),
 * load_state_dict, train/eval, zero_grad. The layers are in layers*.c. */
#include "ctorch/ctorch.h"
#include "ctorch/module.h"
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ named tensors */

ct_named_tensors *ct_named_tensors_new(void) {
    ct_named_tensors *d = calloc(1, sizeof *d);
    if (!d) ct_set_error(CT_ERR_MEMORY, "named_tensors: out of memory");
    return d;
}

void ct_named_tensors_free(ct_named_tensors *d) {
    if (!d) return;
    for (int i = 0; i < d->n; i++) {
        free(d->names[i]);
        ct_release(d->tensors[i]);
    }
    free(d->names);
    free(d->tensors);
    free(d);
}

int ct_named_tensors_index(const ct_named_tensors *d, const char *name) {
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->names[i], name)) return i;
    return -1;
}

ct_tensor *ct_named_tensors_get(const ct_named_tensors *d, const char *name) {
    int i = ct_named_tensors_index(d, name);
    return i < 0 ? NULL : d->tensors[i];
}

int ct_named_tensors_set(ct_named_tensors *d, const char *name, ct_tensor *t) {
    if (!t) {
        ct_set_error(CT_ERR_VALUE, "named_tensors: NULL tensor for '%s'", name);
        return -1;
    }
    int i = ct_named_tensors_index(d, name);
    if (i >= 0) {
        ct_retain(t);
        ct_release(d->tensors[i]);
        d->tensors[i] = t;
        return 0;
    }
    if (d->n == d->cap) {
        int cap = d->cap ? 2 * d->cap : 8;
        char **nn = realloc(d->names, cap * sizeof *nn);
        if (nn) d->names = nn;
        ct_tensor **nt = nn ? realloc(d->tensors, cap * sizeof *nt) : NULL;
        if (!nt) {
            ct_set_error(CT_ERR_MEMORY, "named_tensors: out of memory");
            return -1;
        }
        d->tensors = nt;
        d->cap = cap;
    }
    char *s = strdup(name);
    if (!s) {
        ct_set_error(CT_ERR_MEMORY, "named_tensors: out of memory");
        return -1;
    }
    d->names[d->n] = s;
    d->tensors[d->n++] = ct_retain(t);
    return 0;
}

/* ------------------------------------------------------------ creation */

ct_module *ct_module_new(const ct_module_vtable *vt, void *config) {
    ct_module *m = calloc(1, sizeof *m);
    if (!m) {
        if (vt && vt->free_config) vt->free_config(config);
        else free(config);
        ct_set_error(CT_ERR_MEMORY, "Module: out of memory");
        return NULL;
    }
    m->vt = vt;
    m->training = true;
    m->config = config;
    return m;
}

static void free_entries(ct_module_entry *e, int n) {
    for (int i = 0; i < n; i++) {
        free(e[i].name);
        ct_release(e[i].tensor);
        ct_module_free(e[i].module);
    }
    free(e);
}

static void hooks_free(struct ct_module_hooks *h);

void ct_module_free(ct_module *m) {
    if (!m) return;
    hooks_free(m->hooks);
    free_entries(m->params, m->nparams);
    free_entries(m->buffers, m->nbuffers);
    free_entries(m->children, m->nchildren);
    if (m->vt && m->vt->free_config) m->vt->free_config(m->config);
    else free(m->config);
    free(m);
}

const char *ct_module_name(const ct_module *m) {
    return m->vt && m->vt->name ? m->vt->name : "Module";
}

static bool name_taken(const ct_module *m, const char *name) {
    for (int i = 0; i < m->nparams; i++)
        if (!strcmp(m->params[i].name, name)) return true;
    for (int i = 0; i < m->nbuffers; i++)
        if (!strcmp(m->buffers[i].name, name)) return true;
    for (int i = 0; i < m->nchildren; i++)
        if (!strcmp(m->children[i].name, name)) return true;
    return false;
}

/* Appends an entry; the caller has checked the name. 0 or -1. */
static int add_entry(const char *what, ct_module_entry **arr, int *n, int *cap, const char *name,
                     ct_tensor *t, ct_module *child) {
    if (!name || !*name || strchr(name, '.')) {
        ct_set_error(CT_ERR_VALUE, "%s name can't be empty or contain \".\", got: \"%s\"", what,
                     name ? name : "");
        return -1;
    }
    if (*n == *cap) {
        int c = *cap ? 2 * *cap : 4;
        ct_module_entry *e = realloc(*arr, c * sizeof *e);
        if (!e) {
            ct_set_error(CT_ERR_MEMORY, "Module: out of memory");
            return -1;
        }
        *arr = e;
        *cap = c;
    }
    char *s = strdup(name);
    if (!s) {
        ct_set_error(CT_ERR_MEMORY, "Module: out of memory");
        return -1;
    }
    (*arr)[(*n)++] = (ct_module_entry){s, t, child};
    return 0;
}

int ct_module_register_parameter(ct_module *m, const char *name, ct_tensor *t) {
    if (!t) {
        ct_set_error(CT_ERR_VALUE, "register_parameter: NULL tensor for \"%s\"", name ? name : "");
        return -1;
    }
    if (name && name_taken(m, name)) {
        ct_set_error(CT_ERR_RUNTIME, "attribute '%s' already exists", name);
        return -1;
    }
    if (!ct_is_leaf(t)) {
        ct_set_error(CT_ERR_VALUE,
                     "Cannot assign non-leaf Tensor to parameter '%s'. Model parameters must be "
                     "created explicitly.",
                     name ? name : "");
        return -1;
    }
    if (ct_set_requires_grad(t, true) < 0) return -1;
    if (add_entry("parameter", &m->params, &m->nparams, &m->cap_params, name, t, NULL) < 0)
        return -1;
    ct_retain(t);
    return 0;
}

int ct_module_register_buffer(ct_module *m, const char *name, ct_tensor *t) {
    if (!t) {
        ct_set_error(CT_ERR_VALUE, "register_buffer: NULL tensor for \"%s\"", name ? name : "");
        return -1;
    }
    if (name && name_taken(m, name)) {
        ct_set_error(CT_ERR_RUNTIME, "attribute '%s' already exists", name);
        return -1;
    }
    if (add_entry("buffer", &m->buffers, &m->nbuffers, &m->cap_buffers, name, t, NULL) < 0)
        return -1;
    ct_retain(t);
    return 0;
}

int ct_module_add_child(ct_module *m, const char *name, ct_module *child) {
    if (!child) return -1; /* the failed constructor has set the error */
    if (child == m) {
        ct_set_error(CT_ERR_VALUE, "add_module: a module can't be its own child");
        return -1;
    }
    if (name && name_taken(m, name)) {
        ct_set_error(CT_ERR_RUNTIME, "attribute '%s' already exists", name);
        ct_module_free(child);
        return -1;
    }
    if (add_entry("module", &m->children, &m->nchildren, &m->cap_children, name, NULL, child) < 0) {
        ct_module_free(child);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ forward hooks */

typedef struct fwd_hook {
    int handle;
    bool pre;
    ct_forward_pre_hook_fn pre_fn;
    ct_forward_hook_fn post_fn;
    void *ctx;
    void (*ctx_free)(void *ctx);
} fwd_hook;

struct ct_module_hooks {
    fwd_hook *v;
    int n, cap;
};

/* Handles are unique across modules, as PyTorch's. */
static _Atomic int next_hook_handle = 1;

static void hooks_free(struct ct_module_hooks *h) {
    if (!h) return;
    for (int i = 0; i < h->n; i++)
        if (h->v[i].ctx_free) h->v[i].ctx_free(h->v[i].ctx);
    free(h->v);
    free(h);
}

static int add_hook(ct_module *m, fwd_hook hk) {
    if (!m || (hk.pre ? !hk.pre_fn : !hk.post_fn)) {
        ct_set_error(CT_ERR_VALUE, "register_forward_%shook: NULL module or hook", hk.pre ? "pre_" : "");
        return -1;
    }
    if (!m->hooks && !(m->hooks = calloc(1, sizeof *m->hooks))) {
        ct_set_error(CT_ERR_MEMORY, "register_forward_hook: out of memory");
        return -1;
    }
    struct ct_module_hooks *h = m->hooks;
    if (h->n == h->cap) {
        int cap = h->cap ? 2 * h->cap : 4;
        fwd_hook *v = realloc(h->v, (size_t)cap * sizeof *v);
        if (!v) {
            ct_set_error(CT_ERR_MEMORY, "register_forward_hook: out of memory");
            return -1;
        }
        h->v = v, h->cap = cap;
    }
    hk.handle = next_hook_handle++;
    h->v[h->n++] = hk;
    return hk.handle;
}

int ct_module_register_forward_pre_hook(ct_module *m, ct_forward_pre_hook_fn fn, void *ctx,
                                        void (*ctx_free)(void *ctx)) {
    return add_hook(m, (fwd_hook){0, true, fn, NULL, ctx, ctx_free});
}

int ct_module_register_forward_hook(ct_module *m, ct_forward_hook_fn fn, void *ctx,
                                    void (*ctx_free)(void *ctx)) {
    return add_hook(m, (fwd_hook){0, false, NULL, fn, ctx, ctx_free});
}

int ct_module_remove_hook(ct_module *m, int handle) {
    struct ct_module_hooks *h = m ? m->hooks : NULL;
    for (int i = 0; h && i < h->n; i++)
        if (h->v[i].handle == handle) {
            fwd_hook hk = h->v[i];
            memmove(&h->v[i], &h->v[i + 1], (size_t)(h->n - i - 1) * sizeof *h->v);
            h->n--;
            if (hk.ctx_free) hk.ctx_free(hk.ctx);
            return 0;
        }
    ct_set_error(CT_ERR_VALUE, "remove_hook: no hook with handle %d on this %s", handle,
                 m ? ct_module_name(m) : "module");
    return -1;
}

/* Pre-hooks (possibly replacing the input), forward, hooks (possibly
 * replacing the output). The live list is walked by index, so a hook may
 * remove hooks (the ones after it may then be skipped). */
static ct_tensor *forward_with_hooks(ct_module *m, const ct_tensor *x) {
    ct_scope sc = ct_scope_begin();
    const ct_tensor *in = x;
    ct_tensor *r = NULL;
    for (int i = 0; i < m->hooks->n; i++) {
        fwd_hook hk = m->hooks->v[i];
        if (!hk.pre) continue;
        ct_tensor *rep = NULL;
        if (hk.pre_fn(m, in, &rep, hk.ctx) < 0) goto done;
        if (rep) in = rep;
    }
    r = m->vt->forward(m, in);
    for (int i = 0; r && m->hooks && i < m->hooks->n; i++) {
        fwd_hook hk = m->hooks->v[i];
        if (hk.pre) continue;
        ct_tensor *rep = NULL;
        if (hk.post_fn(m, in, r, &rep, hk.ctx) < 0) r = NULL;
        else if (rep) r = rep;
    }
done:
    if (r) ct_keep(r);
    ct_scope_end(sc);
    return r ? ct_autorelease(r) : NULL;
}

ct_tensor *ct_module_forward(ct_module *m, const ct_tensor *x) {
    if (!m) return CT_FAIL(CT_ERR_VALUE, "forward: NULL module");
    if (!x) return CT_FAIL(CT_ERR_VALUE, "%s.forward: NULL input", ct_module_name(m));
    if (!m->vt || !m->vt->forward)
        return CT_FAIL(CT_ERR_NOT_IMPL,
                       "Module [%s] is missing the required \"forward\" function", ct_module_name(m));
    if (m->hooks && m->hooks->n > 0) return forward_with_hooks(m, x);
    return m->vt->forward(m, x);
}

/* ------------------------------------------------------------ lookups */

ct_module *ct_module_child(const ct_module *m, int i) {
    return i >= 0 && i < m->nchildren ? m->children[i].module : NULL;
}
int ct_module_num_children(const ct_module *m) { return m->nchildren; }

/* Walks "a.b.c" down to the module owning "c"; *leaf gets "c". */
static const ct_module *walk(const ct_module *m, const char *name, const char **leaf) {
    const char *p = name;
    for (;;) {
        const char *dot = strchr(p, '.');
        if (!dot) {
            *leaf = p;
            return m;
        }
        size_t len = (size_t)(dot - p);
        const ct_module *next = NULL;
        for (int i = 0; i < m->nchildren; i++)
            if (strlen(m->children[i].name) == len && !strncmp(m->children[i].name, p, len)) {
                next = m->children[i].module;
                break;
            }
        if (!next) {
            ct_set_error(CT_ERR_VALUE, "%s has no attribute `%.*s`", ct_module_name(m), (int)len, p);
            return NULL;
        }
        m = next;
        p = dot + 1;
    }
}

ct_tensor *ct_module_get_parameter(const ct_module *m, const char *name) {
    const char *leaf;
    const ct_module *o = walk(m, name, &leaf);
    if (!o) return NULL;
    for (int i = 0; i < o->nparams; i++)
        if (!strcmp(o->params[i].name, leaf)) return o->params[i].tensor;
    return CT_FAIL(CT_ERR_VALUE, "%s has no parameter `%s`", ct_module_name(o), leaf);
}

ct_tensor *ct_module_get_buffer(const ct_module *m, const char *name) {
    const char *leaf;
    const ct_module *o = walk(m, name, &leaf);
    if (!o) return NULL;
    for (int i = 0; i < o->nbuffers; i++)
        if (!strcmp(o->buffers[i].name, leaf)) return o->buffers[i].tensor;
    return CT_FAIL(CT_ERR_VALUE, "%s has no buffer `%s`", ct_module_name(o), leaf);
}

ct_module *ct_module_get_submodule(const ct_module *m, const char *name) {
    if (!name || !*name) return (ct_module *)m;
    const char *leaf;
    const ct_module *o = walk(m, name, &leaf);
    if (!o) return NULL;
    for (int i = 0; i < o->nchildren; i++)
        if (!strcmp(o->children[i].name, leaf)) return o->children[i].module;
    ct_set_error(CT_ERR_VALUE, "%s has no attribute `%s`", ct_module_name(o), leaf);
    return NULL;
}

/* ------------------------------------------------------------ traversal */

enum { WANT_PARAMS = 1, WANT_BUFFERS = 2 };

/* Depth-first, own tensors before children's; with dedup, a tensor already
 * listed is skipped (named_parameters' remove_duplicate). */
static int collect(const ct_module *m, const char *prefix, int want, bool dedup,
                   ct_named_tensors *d) {
    char name[1024];
    for (int pass = 0; pass < 2; pass++) {
        if (!(want & (pass == 0 ? WANT_PARAMS : WANT_BUFFERS))) continue;
        const ct_module_entry *e = pass == 0 ? m->params : m->buffers;
        int n = pass == 0 ? m->nparams : m->nbuffers;
        for (int i = 0; i < n; i++) {
            if (dedup) {
                bool seen = false;
                for (int j = 0; j < d->n && !seen; j++) seen = d->tensors[j] == e[i].tensor;
                if (seen) continue;
            }
            if (snprintf(name, sizeof name, "%s%s", prefix, e[i].name) >= (int)sizeof name) {
                ct_set_error(CT_ERR_VALUE, "Module: parameter name too long: %s%s", prefix, e[i].name);
                return -1;
            }
            if (ct_named_tensors_set(d, name, e[i].tensor) < 0) return -1;
        }
    }
    for (int i = 0; i < m->nchildren; i++) {
        if (snprintf(name, sizeof name, "%s%s.", prefix, m->children[i].name) >= (int)sizeof name) {
            ct_set_error(CT_ERR_VALUE, "Module: submodule name too long: %s%s", prefix,
                         m->children[i].name);
            return -1;
        }
        if (collect(m->children[i].module, name, want, dedup, d) < 0) return -1;
    }
    return 0;
}

static ct_named_tensors *collect_new(const ct_module *m, int want, bool dedup) {
    ct_named_tensors *d = ct_named_tensors_new();
    if (d && collect(m, "", want, dedup, d) < 0) {
        ct_named_tensors_free(d);
        return NULL;
    }
    return d;
}

ct_named_tensors *ct_module_named_parameters(const ct_module *m) {
    return collect_new(m, WANT_PARAMS, true);
}
ct_named_tensors *ct_module_named_buffers(const ct_module *m) {
    return collect_new(m, WANT_BUFFERS, true);
}

ct_tensor **ct_module_parameters(const ct_module *m, int *n) {
    *n = 0;
    ct_named_tensors *d = ct_module_named_parameters(m);
    if (!d) return NULL;
    ct_tensor **arr = NULL;
    if (d->n > 0) {
        arr = malloc(d->n * sizeof *arr);
        if (!arr) {
            ct_set_error(CT_ERR_MEMORY, "parameters: out of memory");
        } else {
            memcpy(arr, d->tensors, d->n * sizeof *arr); /* borrowed: the module holds them */
            *n = d->n;
        }
    }
    ct_named_tensors_free(d);
    return arr;
}

int ct_module_num_parameters(const ct_module *m) {
    ct_named_tensors *d = ct_module_named_parameters(m);
    int n = d ? d->n : -1;
    ct_named_tensors_free(d);
    return n;
}

int64_t ct_module_num_elements(const ct_module *m) {
    ct_named_tensors *d = ct_module_named_parameters(m);
    if (!d) return -1;
    int64_t s = 0;
    for (int i = 0; i < d->n; i++) s += d->tensors[i]->numel;
    ct_named_tensors_free(d);
    return s;
}

ct_state_dict *ct_module_state_dict(const ct_module *m) {
    ct_named_tensors *d = collect_new(m, WANT_PARAMS | WANT_BUFFERS, false);
    if (!d) return NULL;
    /* replace each entry by a detached alias (PyTorch's keep_vars=False) */
    for (int i = 0; i < d->n; i++) {
        ct_scope sc = ct_scope_begin();
        ct_tensor *a = ct_detach(d->tensors[i]);
        if (a) ct_keep(a);
        ct_scope_end(sc);
        if (!a) {
            ct_named_tensors_free(d);
            return NULL;
        }
        ct_release(d->tensors[i]);
        d->tensors[i] = a;
    }
    return d;
}

/* ------------------------------------------------------------ load_state_dict */

/* A growing message buffer. */
typedef struct {
    char *s;
    size_t len, cap;
} msgbuf;

static void msg_add(msgbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msg_add(msgbuf *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if (b->s && b->len + (size_t)k < b->cap) {
            b->len += (size_t)k;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 256) + (size_t)k;
        char *s = realloc(b->s, cap);
        if (!s) return;
        if (!b->s) s[0] = 0;
        b->s = s;
        b->cap = cap;
    }
}

static void shape_str(const ct_tensor *t, char *buf, size_t len) {
    ct_shape_str(t->sizes, t->ndim, buf, len);
}

int ct_module_load_state_dict(ct_module *m, const ct_state_dict *sd, bool strict, int *n_missing,
                              int *n_unexpected) {
    if (!sd) {
        ct_set_error(CT_ERR_VALUE, "load_state_dict: NULL state dict");
        return -1;
    }
    ct_named_tensors *own = collect_new(m, WANT_PARAMS | WANT_BUFFERS, false);
    if (!own) return -1;
    int missing = 0, unexpected = 0, mismatched = 0;
    msgbuf miss = {0}, unex = {0}, size = {0};
    for (int i = 0; i < own->n; i++) {
        ct_tensor *src = ct_named_tensors_get(sd, own->names[i]);
        if (!src) {
            msg_add(&miss, "%s\"%s\"", missing ? ", " : "", own->names[i]);
            missing++;
            continue;
        }
        ct_tensor *dst = own->tensors[i];
        bool same = src->ndim == dst->ndim;
        for (int k = 0; same && k < dst->ndim; k++) same = src->sizes[k] == dst->sizes[k];
        if (!same) {
            char a[128], b[128];
            shape_str(src, a, sizeof a);
            shape_str(dst, b, sizeof b);
            msg_add(&size,
                    "\n\tsize mismatch for %s: copying a param with shape torch.Size(%s) from "
                    "checkpoint, the shape in current model is torch.Size(%s).",
                    own->names[i], a, b);
            mismatched++;
        }
    }
    for (int i = 0; i < sd->n; i++)
        if (ct_named_tensors_index(own, sd->names[i]) < 0) {
            msg_add(&unex, "%s\"%s\"", unexpected ? ", " : "", sd->names[i]);
            unexpected++;
        }
    int rc = 0;
    if (mismatched || (strict && (missing || unexpected))) {
        msgbuf all = {0};
        msg_add(&all, "Error(s) in loading state_dict for %s:", ct_module_name(m));
        if (strict && missing) msg_add(&all, "\n\tMissing key(s) in state_dict: %s. ", miss.s);
        if (strict && unexpected) msg_add(&all, "\n\tUnexpected key(s) in state_dict: %s. ", unex.s);
        if (mismatched) msg_add(&all, "%s", size.s);
        ct_set_error(CT_ERR_RUNTIME, "%s", all.s ? all.s : "Error(s) in loading state_dict");
        free(all.s);
        rc = -1;
    } else {
        ct_grad_mode gm = ct_no_grad_begin();
        ct_scope sc = ct_scope_begin();
        for (int i = 0; i < own->n && rc == 0; i++) {
            ct_tensor *src = ct_named_tensors_get(sd, own->names[i]);
            if (src && src != own->tensors[i] && !ct_copy_(own->tensors[i], src)) rc = -1;
        }
        ct_scope_end(sc);
        ct_grad_mode_end(gm);
    }
    if (n_missing) *n_missing = missing;
    if (n_unexpected) *n_unexpected = unexpected;
    free(miss.s);
    free(unex.s);
    free(size.s);
    ct_named_tensors_free(own);
    return rc;
}

/* ------------------------------------------------------------ repr */

/* Python's nn.Module.__repr__: the extra_repr on one line when there are no
 * children, else one line per extra line and per child, indented. */
static void repr_into(const ct_module *m, msgbuf *b, int indent) {
    char extra[512] = "";
    if (m->vt && m->vt->extra_repr) m->vt->extra_repr(m, extra, sizeof extra);
    msg_add(b, "%s(", ct_module_name(m));
    if (m->nchildren == 0) {
        msg_add(b, "%s)", extra);
        return;
    }
    msg_add(b, "\n");
    if (extra[0]) msg_add(b, "%*s%s\n", indent + 2, "", extra);
    for (int i = 0; i < m->nchildren; i++) {
        msg_add(b, "%*s(%s): ", indent + 2, "", m->children[i].name);
        repr_into(m->children[i].module, b, indent + 2);
        msg_add(b, "\n");
    }
    msg_add(b, "%*s)", indent, "");
}

char *ct_module_repr(const ct_module *m) {
    msgbuf b = {0};
    repr_into(m, &b, 0);
    if (!b.s) ct_set_error(CT_ERR_MEMORY, "Module repr: out of memory");
    return b.s;
}

/* ------------------------------------------------------------ apply */

static int apply_rec(ct_module *m, char *name, size_t len, size_t cap,
                     int (*fn)(ct_module *, const char *, void *), void *ctx) {
    int rc = fn(m, name, ctx);
    for (int i = 0; rc == 0 && i < m->nchildren; i++) {
        int k = snprintf(name + len, cap - len, "%s%s", len ? "." : "", m->children[i].name);
        if (k < 0 || len + (size_t)k >= cap) {
            ct_set_error(CT_ERR_VALUE, "Module.apply: submodule name too long");
            rc = -1;
            break;
        }
        rc = apply_rec(m->children[i].module, name, len + (size_t)k, cap, fn, ctx);
        name[len] = 0;
    }
    return rc;
}

int ct_module_apply(ct_module *m, int (*fn)(ct_module *mod, const char *name, void *ctx),
                    void *ctx) {
    char name[1024] = "";
    return apply_rec(m, name, 0, sizeof name, fn, ctx);
}

/* ------------------------------------------------------------ modes, grads */

void ct_module_train(ct_module *m, bool mode) {
    m->training = mode;
    for (int i = 0; i < m->nchildren; i++) ct_module_train(m->children[i].module, mode);
}

void ct_module_zero_grad(ct_module *m, bool set_to_none) {
    for (int i = 0; i < m->nparams; i++) {
        ct_tensor *p = m->params[i].tensor, *g = ct_tensor_grad(p);
        if (!g) continue;
        if (set_to_none) {
            ct_set_grad(p, NULL);
        } else {
            ct_grad_mode gm = ct_no_grad_begin();
            if (ct_grad_fn(g)) ct_detach_(g);
            else if (g->requires_grad) ct_set_requires_grad(g, false);
            ct_zero_(g);
            ct_grad_mode_end(gm);
        }
    }
    for (int i = 0; i < m->nchildren; i++) ct_module_zero_grad(m->children[i].module, set_to_none);
}

int ct_module_reset_parameters(ct_module *m, ct_generator *g) {
    if (m->vt && m->vt->reset_parameters && m->vt->reset_parameters(m, g) < 0) return -1;
    for (int i = 0; i < m->nchildren; i++)
        if (ct_module_reset_parameters(m->children[i].module, g) < 0) return -1;
    return 0;
}

int ct_module_requires_grad_(ct_module *m, bool on) {
    for (int i = 0; i < m->nparams; i++)
        if (ct_set_requires_grad(m->params[i].tensor, on) < 0) return -1;
    for (int i = 0; i < m->nchildren; i++)
        if (ct_module_requires_grad_(m->children[i].module, on) < 0) return -1;
    return 0;
}

/* ------------------------------------------------------------ dtype */

/* Gives t the values of t converted to dt, in place of its data: t keeps
 * its identity (and autograd leaf state), its storage is replaced. */
static int retype(ct_tensor *t, ct_dtype dt) {
    if (!ct_dtype_is_floating(t->dtype) || t->dtype == dt) return 0;
    ct_scope sc = ct_scope_begin();
    ct_grad_mode gm = ct_no_grad_begin();
    int rc = -1;
    ct_tensor *g = ct_tensor_grad(t), *ng = NULL;
    ct_tensor *c = ct_to_dtype(t, dt, true);
    if (c) c = ct_contiguous(c);
    if (g && !(ng = ct_to_dtype(g, dt, true))) c = NULL;
    if (c) {
        if (g) ct_set_grad(t, NULL);
        /* swap the data: c takes t's old storage away with it */
        ct_storage *s = t->storage;
        t->storage = c->storage;
        c->storage = s;
        ct_dtype old = t->dtype;
        t->dtype = c->dtype;
        c->dtype = old;
        int64_t off = t->offset;
        t->offset = c->offset;
        c->offset = off;
        for (int d = 0; d < t->ndim; d++) {
            int64_t st = t->strides[d];
            t->strides[d] = c->strides[d];
            c->strides[d] = st;
        }
        rc = ng ? ct_set_grad(t, ng) : 0;
    }
    ct_grad_mode_end(gm);
    ct_scope_end(sc);
    return rc;
}

int ct_module_to_dtype(ct_module *m, ct_dtype dt) {
    if (!ct_dtype_is_floating(dt)) {
        ct_set_error(CT_ERR_TYPE, "nn.Module.to only accepts floating point dtypes, but got desired dtype=%s",
                     ct_dtype_name(dt));
        return -1;
    }
    for (int i = 0; i < m->nparams; i++)
        if (retype(m->params[i].tensor, dt) < 0) return -1;
    for (int i = 0; i < m->nbuffers; i++)
        if (retype(m->buffers[i].tensor, dt) < 0) return -1;
    for (int i = 0; i < m->nchildren; i++)
        if (ct_module_to_dtype(m->children[i].module, dt) < 0) return -1;
    return 0;
}
