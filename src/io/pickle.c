/* A restricted unpickler and a protocol-2 pickler for the objects PyTorch
 * checkpoints are made of. The unpickler interprets opcodes into the value
 * tree; GLOBAL resolves only to the handful of names below (rebuilding a
 * tensor, a Parameter, an OrderedDict, a storage class, torch.Size, set,
 * bytes), each interpreted here, so loading never runs code from the file.
 * Every error message contains ": pickle: " (the Python face raises
 * pickle.UnpicklingError for those). */
#include "io/io_internal.h"

#include <errno.h>
#include <math.h>

enum {
    G_ORDERED_DICT = 1, G_REBUILD_TENSOR_V2, G_REBUILD_TENSOR, G_REBUILD_PARAMETER,
    G_REBUILD_PARAMETER_STATE, G_SIZE, G_SET, G_FROZENSET, G_CODECS_ENCODE, G_BYTES,
    G_STORAGE, /* dtype in ->dtype */
};

static const struct { const char *module, *name; int id; } globals[] = {
    {"collections", "OrderedDict", G_ORDERED_DICT},
    {"torch._utils", "_rebuild_tensor_v2", G_REBUILD_TENSOR_V2},
    {"torch._utils", "_rebuild_tensor", G_REBUILD_TENSOR},
    {"torch._utils", "_rebuild_parameter", G_REBUILD_PARAMETER},
    {"torch._utils", "_rebuild_parameter_with_state", G_REBUILD_PARAMETER_STATE},
    {"torch", "Size", G_SIZE},
    {"__builtin__", "set", G_SET},
    {"builtins", "set", G_SET},
    {"__builtin__", "frozenset", G_FROZENSET},
    {"builtins", "frozenset", G_FROZENSET},
    {"_codecs", "encode", G_CODECS_ENCODE},
    {"__builtin__", "bytes", G_BYTES},
    {"builtins", "bytes", G_BYTES},
};

static const struct { const char *name; int dt; } storages[] = {
    {"FloatStorage", CT_FLOAT32}, {"DoubleStorage", CT_FLOAT64}, {"HalfStorage", CT_FLOAT16},
    {"BFloat16Storage", CT_BFLOAT16}, {"LongStorage", CT_INT64}, {"IntStorage", CT_INT32},
    {"ShortStorage", CT_INT16}, {"CharStorage", CT_INT8}, {"ByteStorage", CT_UINT8},
    {"BoolStorage", CT_BOOL},
    /* known to PyTorch, not to ctorch */
    {"ComplexFloatStorage", -1}, {"ComplexDoubleStorage", -1}, {"ComplexHalfStorage", -1},
    {"QInt8Storage", -1}, {"QUInt8Storage", -1}, {"QInt32Storage", -1}, {"QUInt4x2Storage", -1},
    {"QUInt2x4Storage", -1}, {"UntypedStorage", -1},
};

static int fail_(void) { return -1; }
#define PFAIL(...) (ct_set_error(CT_ERR_RUNTIME, "ct_load: pickle: " __VA_ARGS__), fail_())

typedef struct {
    const unsigned char *p, *end, *start;
    ct_value **st;
    size_t sn, sc;
    size_t *marks;
    size_t mn, mc;
    ct_value **memo;
    size_t memo_cap, memo_next;
    ct_storage_loader load;
    void *ctx;
} up_t;

static int push(up_t *u, ct_value *v) {
    if (!v) return -1;
    if (u->sn == u->sc) {
        size_t nc = u->sc ? 2 * u->sc : 64;
        ct_value **s = realloc(u->st, nc * sizeof *s);
        if (!s) {
            ct_value_release(v);
            ct_set_error(CT_ERR_MEMORY, "ct_load: pickle: out of memory");
            return -1;
        }
        u->st = s, u->sc = nc;
    }
    u->st[u->sn++] = v;
    return 0;
}

/* Index of the topmost MARK's first item (the MARK is popped). */
static int pop_mark(up_t *u, size_t *base) {
    if (!u->mn) return PFAIL("MARK expected but not found (corrupt pickle)");
    *base = u->marks[--u->mn];
    return 0;
}
static size_t floor_(up_t *u) { return u->mn ? u->marks[u->mn - 1] : 0; }
static int need(up_t *u, size_t k, const char *op) {
    if (u->sn < floor_(u) + k) return PFAIL("stack underflow at %s (corrupt pickle)", op);
    return 0;
}

static int take(up_t *u, size_t n, const unsigned char **out) {
    if ((size_t)(u->end - u->p) < n) return PFAIL("truncated pickle data");
    *out = u->p;
    u->p += n;
    return 0;
}
/* A newline-terminated argument (text opcodes): NUL-terminated copy in buf. */
static int line(up_t *u, char *buf, size_t cap) {
    const unsigned char *nl = memchr(u->p, '\n', (size_t)(u->end - u->p));
    if (!nl) return PFAIL("truncated pickle data (missing newline)");
    size_t n = (size_t)(nl - u->p);
    if (n >= cap) return PFAIL("text argument of %zu bytes is too long", n);
    memcpy(buf, u->p, n);
    buf[n] = 0;
    u->p = nl + 1;
    return 0;
}

static ct_value *make_tuple(up_t *u, size_t base) {
    ct_value *t = ct__value_new(CT_VAL_TUPLE);
    if (!t) return NULL;
    size_t n = u->sn - base;
    if (n) {
        t->items = malloc(n * sizeof *t->items);
        if (!t->items) {
            free(t);
            ct_set_error(CT_ERR_MEMORY, "ct_load: pickle: out of memory");
            return NULL;
        }
        memcpy(t->items, u->st + base, n * sizeof *t->items);
    }
    t->n = t->cap = n;
    u->sn = base;
    for (size_t i = 0; i < n; i++) {
        ct_value *c = t->items[i];
        if (c->kind >= CT_VAL__GLOBAL || c->tainted) t->tainted = true;
        if (c->kind == CT_VAL_TUPLE && c->depth + 1 > t->depth) t->depth = c->depth + 1;
    }
    if (t->depth > CT_IO_MAX_DEPTH) {
        ct_value_release(t);
        PFAIL("tuples nested more than %d deep", CT_IO_MAX_DEPTH);
        return NULL;
    }
    return t;
}

static int find_global(const char *mod, const char *name, ct_value **out) {
    for (size_t i = 0; i < sizeof globals / sizeof *globals; i++)
        if (!strcmp(mod, globals[i].module) && !strcmp(name, globals[i].name)) {
            *out = ct__value_new(CT_VAL__GLOBAL);
            if (!*out) return -1;
            (*out)->ival = globals[i].id;
            return 0;
        }
    if (!strcmp(mod, "torch") || !strcmp(mod, "torch.cuda"))
        for (size_t i = 0; i < sizeof storages / sizeof *storages; i++)
            if (!strcmp(name, storages[i].name)) {
                if (storages[i].dt < 0)
                    return PFAIL("storage type %s.%s is not supported by ctorch", mod, name);
                *out = ct__value_new(CT_VAL__GLOBAL);
                if (!*out) return -1;
                (*out)->ival = G_STORAGE;
                (*out)->dtype = (ct_dtype)storages[i].dt;
                return 0;
            }
    return PFAIL("unsupported global '%s.%s': only the classes that tensors and state dicts "
                 "are made of can be loaded (loading never executes code from the file)", mod, name);
}

static bool is_int(const ct_value *v) { return v->kind == CT_VAL_INT || v->kind == CT_VAL_BOOL; }

static int int_tuple(const ct_value *v, int64_t *out, int *n, const char *what) {
    if (v->kind != CT_VAL_TUPLE) return PFAIL("tensor %s must be a tuple, got %s", what,
                                              ct_value_kind_name(v->kind));
    if (v->n > CT_MAX_DIMS) return PFAIL("tensor with %zu dimensions (at most %d supported)", v->n,
                                         CT_MAX_DIMS);
    for (size_t i = 0; i < v->n; i++) {
        if (!is_int(v->items[i])) return PFAIL("tensor %s must hold ints", what);
        out[i] = v->items[i]->ival;
    }
    *n = (int)v->n;
    return 0;
}

/* _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]) */
static ct_value *rebuild_tensor(const ct_value *args, bool v2) {
    size_t need_n = v2 ? 6 : 4;
    if (args->n < need_n || args->n > need_n + 1) {
        PFAIL("_rebuild_tensor%s: expected %zu arguments, got %zu", v2 ? "_v2" : "", need_n, args->n);
        return NULL;
    }
    const ct_value *s = args->items[0];
    if (s->kind != CT_VAL__STORAGE) {
        PFAIL("_rebuild_tensor: first argument is not a storage");
        return NULL;
    }
    if (!is_int(args->items[1])) {
        PFAIL("_rebuild_tensor: storage offset must be an int");
        return NULL;
    }
    int64_t sizes[CT_MAX_DIMS], strides[CT_MAX_DIMS], off = args->items[1]->ival;
    int nd, ns;
    if (int_tuple(args->items[2], sizes, &nd, "size") < 0 ||
        int_tuple(args->items[3], strides, &ns, "stride") < 0)
        return NULL;
    if (nd != ns) {
        PFAIL("tensor size has %d dimensions but stride has %d", nd, ns);
        return NULL;
    }
    int64_t snumel = (int64_t)(s->st->nbytes / ct_dtype_size(s->dtype));
    int64_t numel = 1, last = off;
    bool bad = off < 0;
    for (int i = 0; i < nd && !bad; i++) {
        if (sizes[i] < 0 || strides[i] < 0) bad = true;
        else if (__builtin_mul_overflow(numel, sizes[i], &numel)) bad = true;
    }
    for (int i = 0; i < nd && !bad && numel > 0; i++) {
        int64_t span;
        if (__builtin_mul_overflow(sizes[i] - 1, strides[i], &span) ||
            __builtin_add_overflow(last, span, &last))
            bad = true;
    }
    if (bad || (numel > 0 && last >= snumel)) {
        char b1[256], b2[256];
        PFAIL("tensor of size %s, stride %s and storage offset %lld does not fit its storage of "
              "%lld elements", ct_shape_str(sizes, nd, b1, sizeof b1),
              ct_shape_str(strides, nd, b2, sizeof b2), (long long)off, (long long)snumel);
        return NULL;
    }
    ct_tensor *t = ct__tensor_new(s->st, s->dtype, sizes, strides, nd, off);
    if (!t) return NULL;
    if (v2 && args->items[4]->kind == CT_VAL_BOOL && args->items[4]->ival &&
        ct_set_requires_grad(t, true) < 0) {
        ct_release(t);
        return NULL;
    }
    ct_value *v = ct__value_new(CT_VAL_TENSOR);
    if (!v) {
        ct_release(t);
        return NULL;
    }
    v->t = t;
    return v;
}

/* _rebuild_parameter(data, requires_grad, hooks[, state]): a new tensor
 * object over the same data, like nn.Parameter(data). */
static ct_value *rebuild_parameter(const ct_value *args, size_t nargs) {
    if (args->n != nargs || args->items[0]->kind != CT_VAL_TENSOR ||
        args->items[1]->kind != CT_VAL_BOOL) {
        PFAIL("_rebuild_parameter: expected (tensor, bool, hooks%s)", nargs == 4 ? ", state" : "");
        return NULL;
    }
    const ct_tensor *d = args->items[0]->t;
    ct_tensor *t = ct__tensor_new(d->storage, d->dtype, d->sizes, d->strides, d->ndim, d->offset);
    if (!t) return NULL;
    if (args->items[1]->ival && ct_set_requires_grad(t, true) < 0) {
        ct_release(t);
        return NULL;
    }
    ct_value *v = ct__value_new(CT_VAL_TENSOR);
    if (!v) {
        ct_release(t);
        return NULL;
    }
    v->t = t;
    v->param = true;
    return v;
}

/* UTF-8 -> latin-1 (what _codecs.encode(s, 'latin1') does for bytes). */
static ct_value *latin1_bytes(const ct_value *s) {
    unsigned char *out = malloc(s->slen + 1);
    if (!out) {
        ct_set_error(CT_ERR_MEMORY, "ct_load: pickle: out of memory");
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < s->slen;) {
        unsigned char c = (unsigned char)s->s[i];
        if (c < 0x80) out[n++] = c, i++;
        else if ((c & 0xE0) == 0xC0 && i + 1 < s->slen && c <= 0xC3) {
            out[n++] = (unsigned char)(((c & 0x1F) << 6) | ((unsigned char)s->s[i + 1] & 0x3F));
            i += 2;
        } else {
            free(out);
            PFAIL("_codecs.encode: string is not latin-1");
            return NULL;
        }
    }
    ct_value *v = ct_value_bytes(out, n);
    free(out);
    return v;
}

static ct_value *reduce(up_t *u, const ct_value *f, const ct_value *args) {
    if (f->kind != CT_VAL__GLOBAL) {
        PFAIL("REDUCE on a %s, not a class", ct_value_kind_name(f->kind));
        return NULL;
    }
    if (args->kind != CT_VAL_TUPLE) {
        PFAIL("REDUCE arguments must be a tuple");
        return NULL;
    }
    switch (f->ival) {
    case G_REBUILD_TENSOR_V2: return rebuild_tensor(args, true);
    case G_REBUILD_TENSOR: return rebuild_tensor(args, false);
    case G_REBUILD_PARAMETER: return rebuild_parameter(args, 3);
    case G_REBUILD_PARAMETER_STATE: return rebuild_parameter(args, 4);
    case G_ORDERED_DICT: {
        ct_value *d = ct_value_dict(true);
        if (!d || args->n == 0) return d;
        const ct_value *src = args->items[0];
        if (args->n != 1 || (src->kind != CT_VAL_LIST && src->kind != CT_VAL_TUPLE)) {
            ct_value_release(d);
            PFAIL("OrderedDict: expected no arguments or a list of pairs");
            return NULL;
        }
        for (size_t i = 0; i < src->n; i++) {
            const ct_value *kv = src->items[i];
            if (kv->kind != CT_VAL_TUPLE || kv->n != 2 ||
                ct_value_dict_set(d, ct_value_retain(kv->items[0]), ct_value_retain(kv->items[1])) < 0) {
                ct_value_release(d);
                PFAIL("OrderedDict: bad item %zu", i);
                return NULL;
            }
        }
        return d;
    }
    case G_SIZE: {
        if (args->n != 1 || args->items[0]->kind != CT_VAL_TUPLE) {
            PFAIL("torch.Size: expected a tuple");
            return NULL;
        }
        return ct_value_retain(args->items[0]);
    }
    case G_SET: case G_FROZENSET: {
        ct_value *s = ct_value_set();
        if (!s || args->n == 0) return s;
        const ct_value *src = args->items[0];
        if (args->n != 1 || (src->kind != CT_VAL_LIST && src->kind != CT_VAL_TUPLE)) {
            ct_value_release(s);
            PFAIL("set: expected a list");
            return NULL;
        }
        for (size_t i = 0; i < src->n; i++)
            if (ct_value_append(s, ct_value_retain(src->items[i])) < 0) {
                ct_value_release(s);
                return NULL;
            }
        return s;
    }
    case G_CODECS_ENCODE:
        if (args->n != 2 || args->items[0]->kind != CT_VAL_STR || args->items[1]->kind != CT_VAL_STR ||
            (strcmp(args->items[1]->s, "latin1") && strcmp(args->items[1]->s, "latin-1"))) {
            PFAIL("_codecs.encode: only (str, 'latin1') is supported");
            return NULL;
        }
        return latin1_bytes(args->items[0]);
    case G_BYTES:
        if (args->n != 0) {
            PFAIL("bytes(): only the empty form is supported");
            return NULL;
        }
        return ct_value_bytes("", 0);
    default:
        PFAIL("the storage class cannot be called");
        return NULL;
    }
    (void)u;
}

static ct_value *persistent_load(up_t *u, const ct_value *pid) {
    if (pid->kind != CT_VAL_TUPLE || pid->n != 5 || pid->items[0]->kind != CT_VAL_STR ||
        strcmp(pid->items[0]->s, "storage") || pid->items[1]->kind != CT_VAL__GLOBAL ||
        pid->items[1]->ival != G_STORAGE || pid->items[2]->kind != CT_VAL_STR ||
        !is_int(pid->items[4])) {
        PFAIL("persistent id is not ('storage', <StorageType>, key, location, numel)");
        return NULL;
    }
    if (pid->items[4]->ival < 0) {
        PFAIL("negative storage size");
        return NULL;
    }
    ct_dtype dt = pid->items[1]->dtype;
    ct_storage *s = u->load(u->ctx, pid->items[2]->s, dt, pid->items[4]->ival);
    if (!s) return NULL;
    ct_value *v = ct__value_new(CT_VAL__STORAGE);
    if (!v) {
        ct__storage_release(s);
        return NULL;
    }
    v->st = s;
    v->dtype = dt;
    return v;
}

static int memo_put(up_t *u, uint64_t idx) {
    if (!u->sn || u->sn <= floor_(u)) return PFAIL("PUT on an empty stack");
    /* indices are assigned in sequence: one beyond the input size is a lie */
    if (idx > (uint64_t)(u->end - u->start)) return PFAIL("memo index %llu out of range",
                                                          (unsigned long long)idx);
    if (idx >= u->memo_cap) {
        size_t nc = u->memo_cap ? u->memo_cap : 64;
        while (nc <= idx) nc *= 2;
        ct_value **m = realloc(u->memo, nc * sizeof *m);
        if (!m) return PFAIL("out of memory");
        memset(m + u->memo_cap, 0, (nc - u->memo_cap) * sizeof *m);
        u->memo = m, u->memo_cap = nc;
    }
    ct_value_release(u->memo[idx]);
    u->memo[idx] = ct_value_retain(u->st[u->sn - 1]);
    if (idx >= u->memo_next) u->memo_next = idx + 1;
    return 0;
}
static int memo_get(up_t *u, uint64_t idx) {
    if (idx >= u->memo_cap || !u->memo[idx])
        return PFAIL("memo key %llu not found (corrupt pickle)", (unsigned long long)idx);
    return push(u, ct_value_retain(u->memo[idx]));
}

static int read_long(up_t *u, size_t n) {
    const unsigned char *b;
    if (take(u, n, &b) < 0) return -1;
    if (n > 8) {
        /* sign extension bytes beyond 8 are fine; anything else overflows */
        for (size_t i = 8; i < n; i++)
            if (b[i] != ((b[7] & 0x80) ? 0xFF : 0)) return PFAIL("integer does not fit in 64 bits");
        n = 8;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)b[i] << (8 * i);
    if (n && n < 8 && (b[n - 1] & 0x80)) v |= ~(uint64_t)0 << (8 * n);
    return push(u, ct_value_int((int64_t)v));
}

static int read_str(up_t *u, size_t n, int kind) {
    const unsigned char *b;
    if (take(u, n, &b) < 0) return -1;
    return push(u, kind == CT_VAL_STR ? ct_value_str_n((const char *)b, n) : ct_value_bytes(b, n));
}

static uint64_t le(const unsigned char *b, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)b[i] << (8 * i);
    return v;
}

/* Pops the top (the caller owns it). */
static ct_value *pop(up_t *u) { return u->st[--u->sn]; }

static int step(up_t *u, unsigned char op, bool *stop) {
    const unsigned char *b = NULL;
    char buf[512];
    size_t base;
    switch (op) {
    case 0x80: /* PROTO */
        if (take(u, 1, &b) < 0) return -1;
        if (b[0] > 5) return PFAIL("unsupported pickle protocol %d", b[0]);
        return 0;
    case 0x95: /* FRAME */
        return take(u, 8, &b);
    case '.':
        *stop = true;
        return 0;
    case '(':
        if (u->mn == u->mc) {
            size_t nc = u->mc ? 2 * u->mc : 16;
            size_t *m = realloc(u->marks, nc * sizeof *m);
            if (!m) return PFAIL("out of memory");
            u->marks = m, u->mc = nc;
        }
        u->marks[u->mn++] = u->sn;
        return 0;
    case '0':
        if (need(u, 1, "POP") < 0) return -1;
        ct_value_release(pop(u));
        return 0;
    case '1':
        if (pop_mark(u, &base) < 0) return -1;
        while (u->sn > base) ct_value_release(pop(u));
        return 0;
    case '2':
        if (need(u, 1, "DUP") < 0) return -1;
        return push(u, ct_value_retain(u->st[u->sn - 1]));
    case 'N': return push(u, ct_value_none());
    case 0x88: return push(u, ct_value_bool(true));
    case 0x89: return push(u, ct_value_bool(false));
    case 'I': case 'L': {
        if (line(u, buf, sizeof buf) < 0) return -1;
        if (op == 'I' && (!strcmp(buf, "00") || !strcmp(buf, "01"))) return push(u, ct_value_bool(buf[1] == '1'));
        size_t l = strlen(buf);
        if (op == 'L' && l && buf[l - 1] == 'L') buf[--l] = 0;
        char *e;
        errno = 0;
        long long v = strtoll(buf, &e, 10);
        if (!l || *e || errno) return PFAIL("bad integer literal '%s'", buf);
        return push(u, ct_value_int(v));
    }
    case 'J':
        if (take(u, 4, &b) < 0) return -1;
        return push(u, ct_value_int((int32_t)(uint32_t)le(b, 4)));
    case 'K':
        if (take(u, 1, &b) < 0) return -1;
        return push(u, ct_value_int(b[0]));
    case 'M':
        if (take(u, 2, &b) < 0) return -1;
        return push(u, ct_value_int((int64_t)le(b, 2)));
    case 0x8a:
        if (take(u, 1, &b) < 0) return -1;
        return read_long(u, b[0]);
    case 0x8b: {
        if (take(u, 4, &b) < 0) return -1;
        int32_t n = (int32_t)(uint32_t)le(b, 4);
        if (n < 0) return PFAIL("LONG4 with negative byte count");
        return read_long(u, (size_t)n);
    }
    case 'F': {
        if (line(u, buf, sizeof buf) < 0) return -1;
        char *e;
        double v = strtod(buf, &e);
        if (!buf[0] || *e) return PFAIL("bad float literal '%s'", buf);
        return push(u, ct_value_float(v));
    }
    case 'G': {
        if (take(u, 8, &b) < 0) return -1;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++) bits = bits << 8 | b[i];
        double v;
        memcpy(&v, &bits, 8);
        return push(u, ct_value_float(v));
    }
    case 'X': case 'T': case 'B':
        if (take(u, 4, &b) < 0) return -1;
        return read_str(u, (size_t)le(b, 4), op == 'B' ? CT_VAL_BYTES : CT_VAL_STR);
    case 0x8c: case 'U': case 'C':
        if (take(u, 1, &b) < 0) return -1;
        return read_str(u, b[0], op == 'C' ? CT_VAL_BYTES : CT_VAL_STR);
    case 0x8d: case 0x8e: case 0x96:
        if (take(u, 8, &b) < 0) return -1;
        if (le(b, 8) > (uint64_t)(u->end - u->p)) return PFAIL("truncated pickle data");
        return read_str(u, (size_t)le(b, 8), op == 0x8d ? CT_VAL_STR : CT_VAL_BYTES);
    case ')': return push(u, ct_value_tuple());
    case 't':
        if (pop_mark(u, &base) < 0) return -1;
        return push(u, make_tuple(u, base));
    case 0x85: case 0x86: case 0x87: {
        size_t k = (size_t)(op - 0x84);
        if (need(u, k, "TUPLEn") < 0) return -1;
        return push(u, make_tuple(u, u->sn - k));
    }
    case ']': return push(u, ct_value_list());
    case '}': return push(u, ct_value_dict(false));
    case 0x8f: return push(u, ct_value_set());
    case 'l': case 'd': case 0x91: {
        if (pop_mark(u, &base) < 0) return -1;
        ct_value *c = op == 'l' ? ct_value_list() : op == 'd' ? ct_value_dict(false) : ct_value_set();
        if (!c) return -1;
        if (op == 'd' && (u->sn - base) % 2) {
            ct_value_release(c);
            return PFAIL("DICT with an odd number of items");
        }
        int r = 0;
        for (size_t i = base; i < u->sn; i += op == 'd' ? 2 : 1) {
            if (r < 0) continue;
            if (op == 'd') r = ct_value_dict_set(c, ct_value_retain(u->st[i]), ct_value_retain(u->st[i + 1]));
            else r = ct_value_append(c, ct_value_retain(u->st[i]));
        }
        while (u->sn > base) ct_value_release(pop(u));
        if (r < 0) {
            ct_value_release(c);
            return -1;
        }
        return push(u, c);
    }
    case 'a': case 'e': case 0x90: case 's': case 'u': {
        size_t first;
        if (op == 'a') {
            if (need(u, 2, "APPEND") < 0) return -1;
            first = u->sn - 1;
        } else if (op == 's') {
            if (need(u, 3, "SETITEM") < 0) return -1;
            first = u->sn - 2;
        } else {
            if (pop_mark(u, &first) < 0) return -1;
            if (u->sn < floor_(u) + 1 || first < 1) return PFAIL("stack underflow (corrupt pickle)");
        }
        ct_value *c = u->st[first - 1];
        int want = op == 'a' || op == 'e' ? CT_VAL_LIST : op == 0x90 ? CT_VAL_SET : CT_VAL_DICT;
        if (c->kind != want) return PFAIL("cannot add items to a %s", ct_value_kind_name(c->kind));
        if (want == CT_VAL_DICT && (u->sn - first) % 2) return PFAIL("SETITEMS with an odd number of items");
        int r = 0;
        for (size_t i = first; i < u->sn && r == 0; i += want == CT_VAL_DICT ? 2 : 1) {
            if (want == CT_VAL_DICT)
                r = ct_value_dict_set(c, ct_value_retain(u->st[i]), ct_value_retain(u->st[i + 1]));
            else
                r = ct_value_append(c, ct_value_retain(u->st[i]));
        }
        while (u->sn > first) ct_value_release(pop(u));
        return r;
    }
    case 'g': case 'p': {
        if (line(u, buf, sizeof buf) < 0) return -1;
        char *e;
        errno = 0;
        unsigned long long i = strtoull(buf, &e, 10);
        if (!buf[0] || *e || errno) return PFAIL("bad memo index '%s'", buf);
        return op == 'g' ? memo_get(u, i) : memo_put(u, i);
    }
    case 'h': case 'q':
        if (take(u, 1, &b) < 0) return -1;
        return op == 'h' ? memo_get(u, b[0]) : memo_put(u, b[0]);
    case 'j': case 'r':
        if (take(u, 4, &b) < 0) return -1;
        return op == 'j' ? memo_get(u, le(b, 4)) : memo_put(u, le(b, 4));
    case 0x94: return memo_put(u, u->memo_next);
    case 'c': {
        char mod[256];
        if (line(u, mod, sizeof mod) < 0 || line(u, buf, 256) < 0) return -1;
        ct_value *g;
        if (find_global(mod, buf, &g) < 0) return -1;
        return push(u, g);
    }
    case 0x93: {
        if (need(u, 2, "STACK_GLOBAL") < 0) return -1;
        ct_value *n = u->st[u->sn - 1], *m = u->st[u->sn - 2];
        if (n->kind != CT_VAL_STR || m->kind != CT_VAL_STR) return PFAIL("STACK_GLOBAL needs two strings");
        ct_value *g;
        if (find_global(m->s, n->s, &g) < 0) return -1;
        ct_value_release(pop(u));
        ct_value_release(pop(u));
        return push(u, g);
    }
    case 'R': case 0x81: {
        if (need(u, 2, "REDUCE") < 0) return -1;
        ct_value *args = u->st[u->sn - 1], *f = u->st[u->sn - 2];
        if (op == 0x81 && (f->kind != CT_VAL__GLOBAL || (f->ival != G_ORDERED_DICT && f->ival != G_SET)))
            return PFAIL("NEWOBJ of an unsupported class");
        ct_value *r = reduce(u, f, args);
        if (!r) return -1;
        ct_value_release(pop(u));
        ct_value_release(pop(u));
        return push(u, r);
    }
    case 'b': {
        if (need(u, 2, "BUILD") < 0) return -1;
        ct_value *state = u->st[u->sn - 1], *inst = u->st[u->sn - 2];
        if (inst->kind == CT_VAL_TENSOR && inst->param && state->kind == CT_VAL_DICT && state->n == 0) {
            ct_value_release(pop(u));
            return 0; /* a Parameter's empty __dict__ */
        }
        if (inst->kind != CT_VAL_DICT || !inst->ordered || state->kind != CT_VAL_DICT)
            return PFAIL("BUILD is only supported for the attributes of an OrderedDict, got %s",
                         ct_value_kind_name(inst->kind));
        if (inst->attrs) {
            for (size_t i = 0; i < state->n; i++)
                if (ct_value_dict_set(inst->attrs, ct_value_retain(state->items[2 * i]),
                                      ct_value_retain(state->items[2 * i + 1])) < 0)
                    return -1;
            ct_value_release(pop(u));
            return 0;
        }
        if (ct_value_dict_set_attrs(inst, ct_value_retain(state)) < 0) return -1;
        ct_value_release(pop(u));
        return 0;
    }
    case 'Q': {
        if (need(u, 1, "BINPERSID") < 0) return -1;
        ct_value *r = persistent_load(u, u->st[u->sn - 1]);
        if (!r) return -1;
        ct_value_release(pop(u));
        return push(u, r);
    }
    default:
        if (op >= 0x20 && op < 0x7f)
            return PFAIL("unsupported pickle opcode '%c' (0x%02x) at byte %zu", op, op,
                         (size_t)(u->p - 1 - u->start));
        return PFAIL("unsupported pickle opcode 0x%02x at byte %zu", op, (size_t)(u->p - 1 - u->start));
    }
}

ct_value *ct__unpickle(const unsigned char *p, size_t n, ct_storage_loader load, void *ctx) {
    up_t u = {.p = p, .end = p + n, .start = p, .load = load, .ctx = ctx};
    bool stop = false;
    ct_value *res = NULL;
    while (!stop) {
        if (u.p >= u.end) {
            PFAIL("truncated pickle data (no STOP)");
            goto done;
        }
        unsigned char op = *u.p++;
        if (step(&u, op, &stop) < 0) {
            /* errors of the value layer (a bad key, a cycle) name the pickle too */
            if (!strstr(ct_last_error(), ": pickle: ")) {
                char msg[512];
                snprintf(msg, sizeof msg, "%s", ct_last_error());
                ct_set_error(CT_ERR_RUNTIME, "ct_load: pickle: %s", msg);
            }
            goto done;
        }
    }
    if (u.sn != 1 || u.mn) {
        PFAIL("STOP with %zu values on the stack (corrupt pickle)", u.sn);
        goto done;
    }
    res = pop(&u);
    if (res->kind >= CT_VAL__GLOBAL || res->tainted) {
        PFAIL("the pickle's result is a %s, not a value", ct_value_kind_name(res->kind));
        ct_value_release(res);
        res = NULL;
    }
done:
    while (u.sn) ct_value_release(pop(&u));
    for (size_t i = 0; i < u.memo_cap; i++) ct_value_release(u.memo[i]);
    free(u.memo);
    free(u.st);
    free(u.marks);
    return res;
}

/* ================================================================ writer */
typedef struct {
    ct_sink *out;
    ct_storage_list *sl;
    uintptr_t *mk; /* memo: pointer keys (tensor keys tagged by the low bit) */
    uint32_t *mv;
    size_t mcap, mn;
    uint32_t next;
} pk_t;

#define W(pk, p, n) ct__sink_write((pk)->out, (p), (n))

static int w1(pk_t *pk, unsigned char c) { return W(pk, &c, 1); }
static int wstr(pk_t *pk, const char *s) { return W(pk, s, strlen(s)); }

static size_t mslot(const pk_t *pk, uintptr_t key) {
    size_t h = (key >> 3) * 0x9E3779B97F4A7C15ull % pk->mcap;
    while (pk->mk[h] && pk->mk[h] != key) h = (h + 1) % pk->mcap;
    return h;
}
static long memo_find(pk_t *pk, uintptr_t key) {
    if (!pk->mcap) return -1;
    size_t h = mslot(pk, key);
    return pk->mk[h] ? (long)pk->mv[h] : -1;
}
static int memo_add(pk_t *pk, uintptr_t key) {
    if ((pk->mn + 1) * 2 > pk->mcap) {
        size_t oc = pk->mcap, nc = oc ? 2 * oc : 64;
        uintptr_t *ok = pk->mk;
        uint32_t *ov = pk->mv;
        pk->mk = calloc(nc, sizeof *pk->mk);
        pk->mv = calloc(nc, sizeof *pk->mv);
        if (!pk->mk || !pk->mv) {
            free(pk->mk), free(pk->mv);
            pk->mk = ok, pk->mv = ov;
            ct_set_error(CT_ERR_MEMORY, "ct_save: out of memory");
            return -1;
        }
        pk->mcap = nc;
        for (size_t i = 0; i < oc; i++)
            if (ok[i]) {
                size_t h = mslot(pk, ok[i]);
                pk->mk[h] = ok[i], pk->mv[h] = ov[i];
            }
        free(ok), free(ov);
    }
    size_t h = mslot(pk, key);
    pk->mk[h] = key;
    pk->mv[h] = pk->next;
    pk->mn++;
    uint32_t i = pk->next++;
    unsigned char b[5];
    if (i < 256) {
        b[0] = 'q', b[1] = (unsigned char)i;
        return W(pk, b, 2);
    }
    b[0] = 'r';
    for (int k = 0; k < 4; k++) b[1 + k] = (unsigned char)(i >> (8 * k));
    return W(pk, b, 5);
}
static int memo_emit_get(pk_t *pk, long i) {
    unsigned char b[5];
    if (i < 256) {
        b[0] = 'h', b[1] = (unsigned char)i;
        return W(pk, b, 2);
    }
    b[0] = 'j';
    for (int k = 0; k < 4; k++) b[1 + k] = (unsigned char)((uint32_t)i >> (8 * k));
    return W(pk, b, 5);
}

static int wint(pk_t *pk, int64_t v) {
    unsigned char b[10];
    if (v >= 0 && v < 256) {
        b[0] = 'K', b[1] = (unsigned char)v;
        return W(pk, b, 2);
    }
    if (v >= 0 && v < 65536) {
        b[0] = 'M', b[1] = (unsigned char)v, b[2] = (unsigned char)(v >> 8);
        return W(pk, b, 3);
    }
    if (v >= INT32_MIN && v <= INT32_MAX) {
        b[0] = 'J';
        for (int k = 0; k < 4; k++) b[1 + k] = (unsigned char)((uint32_t)v >> (8 * k));
        return W(pk, b, 5);
    }
    /* LONG1: minimal little-endian two's complement */
    uint64_t u = (uint64_t)v;
    int n = 8;
    while (n > 1) {
        unsigned char top = (unsigned char)(u >> (8 * (n - 1))), next = (unsigned char)(u >> (8 * (n - 2)));
        if ((top == 0 && !(next & 0x80)) || (top == 0xFF && (next & 0x80))) n--;
        else break;
    }
    b[0] = 0x8a, b[1] = (unsigned char)n;
    for (int k = 0; k < n; k++) b[2 + k] = (unsigned char)(u >> (8 * k));
    return W(pk, b, (size_t)n + 2);
}

static int wunicode(pk_t *pk, const char *s, size_t n) {
    if (n > 0xFFFFFFFFu) {
        ct_set_error(CT_ERR_VALUE, "ct_save: string of %zu bytes is too long for pickle protocol 2", n);
        return -1;
    }
    unsigned char b[5] = {'X'};
    for (int k = 0; k < 4; k++) b[1 + k] = (unsigned char)((uint64_t)n >> (8 * k));
    return W(pk, b, 5) < 0 ? -1 : W(pk, s, n);
}

static int wfloat(pk_t *pk, double f) {
    uint64_t bits;
    memcpy(&bits, &f, 8);
    unsigned char b[9] = {'G'};
    for (int k = 0; k < 8; k++) b[1 + k] = (unsigned char)(bits >> (8 * (7 - k)));
    return W(pk, b, 9);
}

static int wtuple_ints(pk_t *pk, const int64_t *v, int n) {
    if (n == 0) return w1(pk, ')');
    if (n > 3 && w1(pk, '(') < 0) return -1;
    for (int i = 0; i < n; i++)
        if (wint(pk, v[i]) < 0) return -1;
    return w1(pk, n <= 3 ? (unsigned char)(0x84 + n) : 't');
}

static const char *storage_name(ct_dtype dt) {
    for (size_t i = 0; i < sizeof storages / sizeof *storages; i++)
        if (storages[i].dt == (int)dt) return storages[i].name;
    return NULL;
}

static int storage_key(pk_t *pk, ct_tensor *t, size_t *key) {
    ct_storage *s = t->storage;
    ct_storage_list *sl = pk->sl;
    for (size_t i = 0; i < sl->n; i++)
        if (sl->st[i] == s) {
            if (sl->dt[i] != t->dtype) {
                ct_set_error(CT_ERR_RUNTIME, "ct_save: Cannot save multiple tensors or storages "
                             "that view the same data as different types (%s and %s)",
                             ct_dtype_name(sl->dt[i]), ct_dtype_name(t->dtype));
                return -1;
            }
            *key = i;
            return 0;
        }
    if (sl->n == sl->cap) {
        size_t nc = sl->cap ? 2 * sl->cap : 16;
        ct_storage **a = realloc(sl->st, nc * sizeof *a);
        if (!a) goto oom;
        sl->st = a;
        ct_dtype *d = realloc(sl->dt, nc * sizeof *d);
        if (!d) goto oom;
        sl->dt = d;
        sl->cap = nc;
    }
    atomic_fetch_add_explicit(&s->refcount, 1, memory_order_relaxed);
    sl->st[sl->n] = s;
    sl->dt[sl->n] = t->dtype;
    *key = sl->n++;
    return 0;
oom:
    ct_set_error(CT_ERR_MEMORY, "ct_save: out of memory");
    return -1;
}

static const char HOOKS[] = "ccollections\nOrderedDict\n)R";

static int wtensor_v2(pk_t *pk, ct_tensor *t, bool requires_grad) {
    size_t key;
    if (storage_key(pk, t, &key) < 0) return -1;
    char ks[32];
    snprintf(ks, sizeof ks, "%zu", key);
    int64_t snumel = (int64_t)(t->storage->nbytes / ct_dtype_size(t->dtype));
    /* the location torch.load restores to: "cpu" or "cuda:N" */
    char loc[32] = "cpu";
    if (t->storage->device.type == CT_CUDA)
        snprintf(loc, sizeof loc, "cuda:%d", t->storage->device.index < 0 ? 0 : t->storage->device.index);
    if (wstr(pk, "ctorch._utils\n_rebuild_tensor_v2\n((") < 0 || wunicode(pk, "storage", 7) < 0 ||
        w1(pk, 'c') < 0 || wstr(pk, "torch\n") < 0 || wstr(pk, storage_name(t->dtype)) < 0 ||
        w1(pk, '\n') < 0 || wunicode(pk, ks, strlen(ks)) < 0 || wunicode(pk, loc, strlen(loc)) < 0 ||
        wint(pk, snumel) < 0 || wstr(pk, "tQ") < 0 || wint(pk, t->offset) < 0 ||
        wtuple_ints(pk, t->sizes, t->ndim) < 0 || wtuple_ints(pk, t->strides, t->ndim) < 0 ||
        w1(pk, requires_grad ? 0x88 : 0x89) < 0 || wstr(pk, HOOKS) < 0 || wstr(pk, "tR") < 0)
        return -1;
    return 0;
}

static int wvalue(pk_t *pk, const ct_value *v, int depth);

static int witems(pk_t *pk, const ct_value *v, int depth, unsigned char closer) {
    size_t per = v->kind == CT_VAL_DICT ? 2 : 1, n = v->n * per;
    for (size_t i = 0; i < n;) {
        size_t end = i + 1000 * per < n ? i + 1000 * per : n;
        if (w1(pk, '(') < 0) return -1;
        for (; i < end; i++)
            if (wvalue(pk, v->items[i], depth + 1) < 0) return -1;
        if (w1(pk, closer) < 0) return -1;
    }
    return 0;
}

static int wvalue(pk_t *pk, const ct_value *v, int depth) {
    if (depth > CT_IO_MAX_DEPTH) {
        ct_set_error(CT_ERR_VALUE, "ct_save: values nested more than %d deep", CT_IO_MAX_DEPTH);
        return -1;
    }
    switch (v->kind) {
    case CT_VAL_NONE: return w1(pk, 'N');
    case CT_VAL_BOOL: return w1(pk, v->ival ? 0x88 : 0x89);
    case CT_VAL_INT: return wint(pk, v->ival);
    case CT_VAL_FLOAT: return wfloat(pk, v->fval);
    case CT_VAL_STR: return wunicode(pk, v->s, v->slen);
    default: break;
    }
    uintptr_t key = v->kind == CT_VAL_TENSOR ? ((uintptr_t)v->t | 1u) ^ (v->param ? 2u : 0u) : (uintptr_t)v;
    long m = memo_find(pk, key);
    if (m >= 0) return memo_emit_get(pk, m);
    switch (v->kind) {
    case CT_VAL_BYTES: {
        if (v->slen == 0) {
            if (wstr(pk, "c__builtin__\nbytes\n)R") < 0) return -1;
            break;
        }
        /* protocol 2 writes bytes as _codecs.encode(<latin-1 text>, 'latin1') */
        char *u8 = malloc(2 * v->slen);
        if (!u8) {
            ct_set_error(CT_ERR_MEMORY, "ct_save: out of memory");
            return -1;
        }
        size_t n = 0;
        for (size_t i = 0; i < v->slen; i++) {
            unsigned char c = (unsigned char)v->s[i];
            if (c < 0x80) u8[n++] = (char)c;
            else u8[n++] = (char)(0xC0 | c >> 6), u8[n++] = (char)(0x80 | (c & 0x3F));
        }
        int r = wstr(pk, "c_codecs\nencode\n") < 0 || wunicode(pk, u8, n) < 0 ||
                wunicode(pk, "latin1", 6) < 0 || wstr(pk, "\x86R") < 0;
        free(u8);
        if (r) return -1;
        break;
    }
    case CT_VAL_TUPLE:
        if (v->n == 0) {
            if (w1(pk, ')') < 0) return -1;
        } else {
            if (v->n > 3 && w1(pk, '(') < 0) return -1;
            for (size_t i = 0; i < v->n; i++)
                if (wvalue(pk, v->items[i], depth + 1) < 0) return -1;
            if (w1(pk, v->n <= 3 ? (unsigned char)(0x84 + v->n) : 't') < 0) return -1;
            /* a tuple item may have memoized this very tuple: Python then reuses it */
        }
        break;
    case CT_VAL_LIST:
        if (w1(pk, ']') < 0 || memo_add(pk, key) < 0) return -1;
        return witems(pk, v, depth, 'e');
    case CT_VAL_SET:
        if (wstr(pk, "c__builtin__\nset\n]") < 0 || witems(pk, v, depth, 'e') < 0 ||
            wstr(pk, "\x85R") < 0)
            return -1;
        break;
    case CT_VAL_DICT:
        if (wstr(pk, v->ordered ? "ccollections\nOrderedDict\n)R" : "}") < 0 || memo_add(pk, key) < 0 ||
            witems(pk, v, depth, 'u') < 0)
            return -1;
        if (v->attrs && v->attrs->n) {
            if (!v->ordered) {
                ct_set_error(CT_ERR_VALUE, "ct_save: only an ordered dict can carry attributes");
                return -1;
            }
            if (wvalue(pk, v->attrs, depth + 1) < 0 || w1(pk, 'b') < 0) return -1;
        }
        return 0;
    case CT_VAL_TENSOR: {
        ct_tensor *t = v->t;
        if (!storage_name(t->dtype)) {
            ct_set_error(CT_ERR_VALUE, "ct_save: unsupported dtype %s", ct_dtype_name(t->dtype));
            return -1;
        }
        if (v->param) {
            if (wstr(pk, "ctorch._utils\n_rebuild_parameter\n(") < 0 || wtensor_v2(pk, t, false) < 0 ||
                w1(pk, t->requires_grad ? 0x88 : 0x89) < 0 || wstr(pk, HOOKS) < 0 || wstr(pk, "tR") < 0)
                return -1;
        } else if (wtensor_v2(pk, t, t->requires_grad) < 0) {
            return -1;
        }
        break;
    }
    default:
        ct_set_error(CT_ERR_VALUE, "ct_save: cannot save a value of kind %s", ct_value_kind_name(v->kind));
        return -1;
    }
    return memo_add(pk, key);
}

int ct__pickle(ct_sink *out, const ct_value *v, ct_storage_list *sl) {
    pk_t pk = {.out = out, .sl = sl};
    int r = w1(&pk, 0x80) < 0 || w1(&pk, 2) < 0 || wvalue(&pk, v, 0) < 0 || w1(&pk, '.') < 0 ? -1 : 0;
    free(pk.mk);
    free(pk.mv);
    return r;
}
