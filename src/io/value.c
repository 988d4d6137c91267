/* The value tree of serialization: the subset of Python objects that
 * tensors, state dicts and optimizer states are made of. Refcounted; see
 * include/ctorch/serialize.h for the ownership rules. */
#include "io/io_internal.h"

#include <math.h>

ct_value *ct__value_new(int kind) {
    ct_value *v = calloc(1, sizeof *v);
    if (!v) {
        ct_set_error(CT_ERR_MEMORY, "out of memory allocating a value");
        return NULL;
    }
    v->refcount = 1;
    v->kind = kind;
    return v;
}

ct_value *ct_value_none(void) { return ct__value_new(CT_VAL_NONE); }
ct_value *ct_value_bool(bool b) {
    ct_value *v = ct__value_new(CT_VAL_BOOL);
    if (v) v->ival = b;
    return v;
}
ct_value *ct_value_int(int64_t i) {
    ct_value *v = ct__value_new(CT_VAL_INT);
    if (v) v->ival = i;
    return v;
}
ct_value *ct_value_float(double f) {
    ct_value *v = ct__value_new(CT_VAL_FLOAT);
    if (v) v->fval = f;
    return v;
}
static ct_value *new_bytes(int kind, const void *s, size_t len) {
    ct_value *v = ct__value_new(kind);
    if (!v) return NULL;
    v->s = malloc(len + 1);
    if (!v->s) {
        free(v);
        ct_set_error(CT_ERR_MEMORY, "out of memory allocating a string of %zu bytes", len);
        return NULL;
    }
    if (len) memcpy(v->s, s, len);
    v->s[len] = 0;
    v->slen = len;
    return v;
}
ct_value *ct_value_str_n(const char *s, size_t len) { return new_bytes(CT_VAL_STR, s, len); }
ct_value *ct_value_str(const char *s) { return new_bytes(CT_VAL_STR, s, strlen(s)); }
ct_value *ct_value_bytes(const void *d, size_t len) { return new_bytes(CT_VAL_BYTES, d, len); }
ct_value *ct_value_tuple(void) { return ct__value_new(CT_VAL_TUPLE); }
ct_value *ct_value_list(void) { return ct__value_new(CT_VAL_LIST); }
ct_value *ct_value_set(void) { return ct__value_new(CT_VAL_SET); }
ct_value *ct_value_dict(bool ordered) {
    ct_value *v = ct__value_new(CT_VAL_DICT);
    if (v) v->ordered = ordered;
    return v;
}
ct_value *ct_value_tensor(ct_tensor *t, bool is_parameter) {
    if (!t) {
        ct_set_error(CT_ERR_VALUE, "ct_value_tensor: tensor is NULL");
        return NULL;
    }
    ct_value *v = ct__value_new(CT_VAL_TENSOR);
    if (!v) return NULL;
    v->t = ct_retain(t);
    v->param = is_parameter;
    return v;
}

ct_value *ct_value_retain(ct_value *v) {
    if (v) v->refcount++;
    return v;
}

/* Iterative, so that a deep chain of nested lists cannot overflow the C
 * stack: children whose count drops to zero go onto a work list. */
void ct_value_release(ct_value *v) {
    if (!v || --v->refcount > 0) return;
    ct_value **work = NULL;
    size_t nw = 0, cw = 0;
    ct_value *cur = v;
    for (;;) {
        size_t nitems = cur->kind == CT_VAL_DICT ? 2 * cur->n : cur->n;
        if (cur->attrs) {
            if (nw == cw) {
                size_t nc = cw ? 2 * cw : 16;
                ct_value **w2 = realloc(work, nc * sizeof *w2);
                if (w2) work = w2, cw = nc;
            }
            if (--cur->attrs->refcount == 0 && nw < cw) work[nw++] = cur->attrs;
        }
        for (size_t i = 0; i < nitems; i++) {
            ct_value *c = cur->items[i];
            if (--c->refcount > 0) continue;
            if (nw == cw) {
                size_t nc = cw ? 2 * cw : 16;
                ct_value **w2 = realloc(work, nc * sizeof *w2);
                if (!w2) continue; /* out of memory while freeing: leak, never crash */
                work = w2, cw = nc;
            }
            work[nw++] = c;
        }
        free(cur->items);
        free(cur->hashes);
        free(cur->s);
        ct_release(cur->t);
        ct__storage_release(cur->st);
        free(cur);
        if (!nw) break;
        cur = work[--nw];
    }
    free(work);
}

/* ------------------------------------------------------------ keys */
bool ct__value_is_key(const ct_value *k) {
    switch (k->kind) {
    case CT_VAL_NONE: case CT_VAL_BOOL: case CT_VAL_INT: case CT_VAL_FLOAT:
    case CT_VAL_STR: case CT_VAL_BYTES:
        return true;
    case CT_VAL_TUPLE:
        for (size_t i = 0; i < k->n; i++)
            if (!ct__value_is_key(k->items[i])) return false;
        return true;
    default:
        return false;
    }
}

static bool is_num(const ct_value *v) {
    return v->kind == CT_VAL_BOOL || v->kind == CT_VAL_INT || v->kind == CT_VAL_FLOAT;
}

bool ct__value_key_eq(const ct_value *a, const ct_value *b) {
    if (a == b) return true;
    if (is_num(a) && is_num(b)) {
        if (a->kind != CT_VAL_FLOAT && b->kind != CT_VAL_FLOAT) return a->ival == b->ival;
        double x = a->kind == CT_VAL_FLOAT ? a->fval : (double)a->ival;
        double y = b->kind == CT_VAL_FLOAT ? b->fval : (double)b->ival;
        return x == y;
    }
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case CT_VAL_NONE: return true;
    case CT_VAL_STR: case CT_VAL_BYTES:
        return a->slen == b->slen && memcmp(a->s, b->s, a->slen) == 0;
    case CT_VAL_TUPLE:
        if (a->n != b->n) return false;
        for (size_t i = 0; i < a->n; i++)
            if (!ct__value_key_eq(a->items[i], b->items[i])) return false;
        return true;
    default: return false;
    }
}

uint64_t ct__value_key_hash(const ct_value *k) {
    uint64_t h = 1469598103934665603ull;
    switch (k->kind) {
    case CT_VAL_BOOL: case CT_VAL_INT:
        return (uint64_t)k->ival * 0x9E3779B97F4A7C15ull;
    case CT_VAL_FLOAT:
        /* equal to an int: hash as that int (1.0 and 1 are the same key) */
        if (k->fval == floor(k->fval) && fabs(k->fval) < 9.2e18)
            return (uint64_t)(int64_t)k->fval * 0x9E3779B97F4A7C15ull;
        memcpy(&h, &k->fval, sizeof h);
        return h;
    case CT_VAL_STR: case CT_VAL_BYTES:
        for (size_t i = 0; i < k->slen; i++) h = (h ^ (unsigned char)k->s[i]) * 1099511628211ull;
        return h ^ (uint64_t)k->kind;
    case CT_VAL_TUPLE:
        for (size_t i = 0; i < k->n; i++) h = (h ^ ct__value_key_hash(k->items[i])) * 1099511628211ull;
        return h;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------ building */
/* Whether `target` is reachable from `from` (a cycle would form if `from`
 * went into `target`). Iterative walk with a visited set, so shared
 * sub-trees are walked once and deep chains cannot overflow the stack. */
static int reaches(const ct_value *from, const ct_value *target) {
    if (from->kind < CT_VAL_TUPLE || from->kind > CT_VAL_DICT) return 0;
    size_t hcap = 64, hn = 0;
    const ct_value **seen = calloc(hcap, sizeof *seen);
    const ct_value **stack = malloc(16 * sizeof *stack);
    size_t sn = 0, sc = 16;
    int found = -1;
    if (!seen || !stack) goto oom;
    stack[sn++] = from;
    found = 0;
    while (sn && !found) {
        const ct_value *c = stack[--sn];
        if (c == target) {
            found = 1;
            break;
        }
        size_t nitems = c->kind == CT_VAL_DICT ? 2 * c->n : c->n;
        for (size_t i = 0; i <= nitems; i++) {
            const ct_value *x = i < nitems ? c->items[i] : c->attrs;
            if (!x || x->kind < CT_VAL_TUPLE || x->kind > CT_VAL_DICT) continue;
            size_t h = ((uintptr_t)x >> 4) * 0x9E3779B97F4A7C15ull % hcap;
            while (seen[h] && seen[h] != x) h = (h + 1) % hcap;
            if (seen[h]) continue;
            seen[h] = x;
            if (++hn * 2 > hcap) {
                size_t nc = hcap * 2;
                const ct_value **s2 = calloc(nc, sizeof *s2);
                if (!s2) goto oom;
                for (size_t j = 0; j < hcap; j++) {
                    if (!seen[j]) continue;
                    size_t g = ((uintptr_t)seen[j] >> 4) * 0x9E3779B97F4A7C15ull % nc;
                    while (s2[g]) g = (g + 1) % nc;
                    s2[g] = seen[j];
                }
                free(seen);
                seen = s2, hcap = nc;
            }
            if (sn == sc) {
                const ct_value **st2 = realloc(stack, 2 * sc * sizeof *st2);
                if (!st2) goto oom;
                stack = st2, sc *= 2;
            }
            stack[sn++] = x;
        }
    }
    free(seen);
    free(stack);
    return found;
oom:
    free(seen);
    free(stack);
    ct_set_error(CT_ERR_MEMORY, "out of memory checking a value tree for cycles");
    return -1;
}

static int check_insert(const char *op, ct_value *c, ct_value *item) {
    if (item->kind >= CT_VAL__GLOBAL || item->tainted) {
        ct_set_error(CT_ERR_VALUE, "%s: a class or storage object cannot be stored as a value", op);
        return -1;
    }
    int r = reaches(item, c);
    if (r > 0)
        ct_set_error(CT_ERR_VALUE, "%s: a container cannot contain itself (recursive structures "
                                   "are not supported)", op);
    return r ? -1 : 0;
}

static int grow(ct_value *c, size_t need) {
    if (need <= c->cap) return 0;
    size_t nc = c->cap ? c->cap * 2 : 4;
    while (nc < need) nc *= 2;
    ct_value **it = realloc(c->items, nc * sizeof *it);
    if (!it) goto oom;
    c->items = it;
    if (c->kind == CT_VAL_DICT) {
        uint64_t *hs = realloc(c->hashes, nc / 2 * sizeof *hs);
        if (!hs) goto oom;
        c->hashes = hs;
    }
    c->cap = nc;
    return 0;
oom:
    ct_set_error(CT_ERR_MEMORY, "out of memory growing a container");
    return -1;
}

int ct_value_append(ct_value *seq, ct_value *item) {
    if (!item) return -1; /* the constructor's error stands */
    if (!seq || (seq->kind != CT_VAL_TUPLE && seq->kind != CT_VAL_LIST && seq->kind != CT_VAL_SET)) {
        ct_set_error(CT_ERR_TYPE, "ct_value_append: expected a tuple, list or set, got %s",
                     seq ? ct_value_kind_name(seq->kind) : "NULL");
        goto fail;
    }
    if (check_insert("ct_value_append", seq, item) < 0) goto fail;
    if (seq->kind == CT_VAL_SET) {
        if (!ct__value_is_key(item)) {
            ct_set_error(CT_ERR_TYPE, "ct_value_append: unhashable set element of kind %s",
                         ct_value_kind_name(item->kind));
            goto fail;
        }
        for (size_t i = 0; i < seq->n; i++)
            if (ct__value_key_eq(seq->items[i], item)) {
                ct_value_release(item);
                return 0;
            }
    }
    if (item->kind == CT_VAL_TUPLE && seq->kind == CT_VAL_TUPLE && item->depth + 1 > seq->depth) {
        if (item->depth + 1 > CT_IO_MAX_DEPTH) {
            ct_set_error(CT_ERR_VALUE, "ct_value_append: tuples nested more than %d deep",
                         CT_IO_MAX_DEPTH);
            goto fail;
        }
        seq->depth = item->depth + 1;
    }
    if (grow(seq, seq->n + 1) < 0) goto fail;
    seq->items[seq->n++] = item;
    return 0;
fail:
    ct_value_release(item);
    return -1;
}

int ct_value_dict_set(ct_value *d, ct_value *key, ct_value *val) {
    if (!key || !val) goto fail; /* a constructor failed: its error stands */
    if (!d || d->kind != CT_VAL_DICT) {
        ct_set_error(CT_ERR_TYPE, "ct_value_dict_set: expected a dict, got %s",
                     d ? ct_value_kind_name(d->kind) : "NULL");
        goto fail;
    }
    if (!ct__value_is_key(key)) {
        ct_set_error(CT_ERR_TYPE, "ct_value_dict_set: unhashable key of kind %s",
                     ct_value_kind_name(key->kind));
        goto fail;
    }
    if (check_insert("ct_value_dict_set", d, val) < 0) goto fail;
    uint64_t h = ct__value_key_hash(key);
    for (size_t i = 0; i < d->n; i++)
        if (d->hashes[i] == h && ct__value_key_eq(d->items[2 * i], key)) {
            ct_value_release(d->items[2 * i + 1]);
            d->items[2 * i + 1] = val;
            ct_value_release(key);
            return 0;
        }
    if (grow(d, 2 * (d->n + 1)) < 0) goto fail;
    d->items[2 * d->n] = key;
    d->items[2 * d->n + 1] = val;
    d->hashes[d->n++] = h;
    return 0;
fail:
    ct_value_release(key);
    ct_value_release(val);
    return -1;
}

int ct_value_dict_set_str(ct_value *d, const char *key, ct_value *val) {
    return ct_value_dict_set(d, ct_value_str(key), val);
}

int ct_value_dict_set_attrs(ct_value *d, ct_value *attrs) {
    if (!attrs) return -1;
    if (!d || d->kind != CT_VAL_DICT || attrs->kind != CT_VAL_DICT) {
        ct_set_error(CT_ERR_TYPE, "ct_value_dict_set_attrs: expected a dict and a dict of "
                                  "attributes");
        ct_value_release(attrs);
        return -1;
    }
    if (check_insert("ct_value_dict_set_attrs", d, attrs) < 0) {
        ct_value_release(attrs);
        return -1;
    }
    ct_value_release(d->attrs);
    d->attrs = attrs;
    return 0;
}

/* ------------------------------------------------------------ reading */
ct_value_kind ct_value_kind_of(const ct_value *v) { return (ct_value_kind)v->kind; }

const char *ct_value_kind_name(ct_value_kind k) {
    static const char *names[] = {"None", "bool", "int", "float", "str", "bytes",
                                  "tuple", "list", "set", "dict", "tensor"};
    if ((unsigned)k <= CT_VAL_TENSOR) return names[k];
    if ((int)k == CT_VAL__GLOBAL) return "class";
    if ((int)k == CT_VAL__STORAGE) return "storage";
    return "?";
}

bool ct_value_get_bool(const ct_value *v) { return v->kind == CT_VAL_BOOL && v->ival; }
int64_t ct_value_get_int(const ct_value *v) {
    return v->kind == CT_VAL_INT || v->kind == CT_VAL_BOOL ? v->ival : 0;
}
double ct_value_get_float(const ct_value *v) {
    if (v->kind == CT_VAL_FLOAT) return v->fval;
    if (v->kind == CT_VAL_INT || v->kind == CT_VAL_BOOL) return (double)v->ival;
    return 0;
}
const char *ct_value_get_str(const ct_value *v, size_t *len) {
    if (v->kind != CT_VAL_STR && v->kind != CT_VAL_BYTES) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = v->slen;
    return v->s;
}
size_t ct_value_len(const ct_value *v) {
    return v->kind >= CT_VAL_TUPLE && v->kind <= CT_VAL_DICT ? v->n : 0;
}
ct_value *ct_value_item(const ct_value *seq, size_t i) {
    if (seq->kind < CT_VAL_TUPLE || seq->kind > CT_VAL_SET || i >= seq->n) return NULL;
    return seq->items[i];
}
ct_value *ct_value_dict_key(const ct_value *d, size_t i) {
    return d->kind == CT_VAL_DICT && i < d->n ? d->items[2 * i] : NULL;
}
ct_value *ct_value_dict_value(const ct_value *d, size_t i) {
    return d->kind == CT_VAL_DICT && i < d->n ? d->items[2 * i + 1] : NULL;
}
ct_value *ct_value_dict_get(const ct_value *d, const char *key) {
    if (d->kind != CT_VAL_DICT) return NULL;
    size_t len = strlen(key);
    for (size_t i = 0; i < d->n; i++) {
        const ct_value *k = d->items[2 * i];
        if (k->kind == CT_VAL_STR && k->slen == len && memcmp(k->s, key, len) == 0)
            return d->items[2 * i + 1];
    }
    return NULL;
}
bool ct_value_dict_is_ordered(const ct_value *d) { return d->kind == CT_VAL_DICT && d->ordered; }
ct_value *ct_value_dict_attrs(const ct_value *d) { return d->kind == CT_VAL_DICT ? d->attrs : NULL; }
ct_tensor *ct_value_get_tensor(const ct_value *v) { return v->kind == CT_VAL_TENSOR ? v->t : NULL; }
bool ct_value_is_parameter(const ct_value *v) { return v->kind == CT_VAL_TENSOR && v->param; }
