/* safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}, ...,
 *  "__metadata__": {"key": "value"}}, then the data (offsets relative to
 * its start). The reader is a small strict JSON parser: every offset, size
 * and nesting level is checked before use. */
#include "io/io_internal.h"
#include "ctorch/cuda.h"

#include <errno.h>

#define SFAIL(...) (ct_set_error(CT_ERR_RUNTIME, "safetensors: " __VA_ARGS__), fail_())
static int fail_(void) { return -1; }

static const struct { const char *name; ct_dtype dt; } st_dtypes[] = {
    {"BOOL", CT_BOOL}, {"U8", CT_UINT8}, {"I8", CT_INT8}, {"I16", CT_INT16},
    {"I32", CT_INT32}, {"I64", CT_INT64}, {"F16", CT_FLOAT16}, {"BF16", CT_BFLOAT16},
    {"F32", CT_FLOAT32}, {"F64", CT_FLOAT64},
};

/* ------------------------------------------------------------ JSON */
typedef struct {
    const char *p, *end;
} js_t;

static void ws(js_t *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}
static int expect(js_t *j, char c) {
    ws(j);
    if (j->p >= j->end || *j->p != c) return SFAIL("invalid JSON header: expected '%c'", c);
    j->p++;
    return 0;
}
static bool peek(js_t *j, char c) {
    ws(j);
    return j->p < j->end && *j->p == c;
}

static void put_utf8(char *o, size_t *n, uint32_t c) {
    if (c < 0x80) o[(*n)++] = (char)c;
    else if (c < 0x800) o[(*n)++] = (char)(0xC0 | c >> 6), o[(*n)++] = (char)(0x80 | (c & 0x3F));
    else if (c < 0x10000) {
        o[(*n)++] = (char)(0xE0 | c >> 12);
        o[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[(*n)++] = (char)(0x80 | (c & 0x3F));
    } else {
        o[(*n)++] = (char)(0xF0 | c >> 18);
        o[(*n)++] = (char)(0x80 | ((c >> 12) & 0x3F));
        o[(*n)++] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[(*n)++] = (char)(0x80 | (c & 0x3F));
    }
}
static int hex4(const char *p, uint32_t *v) {
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

/* A JSON string: malloc'ed, NUL-terminated (escapes decoded). */
static int jstring(js_t *j, char **out) {
    if (expect(j, '"') < 0) return -1;
    const char *s = j->p;
    while (j->p < j->end && *j->p != '"') j->p += *j->p == '\\' ? 2 : 1;
    if (j->p >= j->end) return SFAIL("invalid JSON header: unterminated string");
    size_t len = (size_t)(j->p - s);
    j->p++;
    char *o = malloc(len + 1);
    if (!o) return SFAIL("out of memory");
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20) {
            free(o);
            return SFAIL("invalid JSON header: control character in a string");
        }
        if (c != '\\') {
            o[n++] = (char)c;
            continue;
        }
        char e = s[++i];
        switch (e) {
        case '"': case '\\': case '/': o[n++] = e; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (i + 4 >= len || hex4(s + i + 1, &cp) < 0) goto bad;
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                if (i + 6 >= len || s[i + 1] != '\\' || s[i + 2] != 'u' || hex4(s + i + 3, &lo) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    goto bad;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                goto bad;
            }
            /* the 6-byte escape never produces more than 4 bytes: fits */
            put_utf8(o, &n, cp);
            break;
        }
        default: goto bad;
        }
    }
    o[n] = 0;
    *out = o;
    return 0;
bad:
    free(o);
    return SFAIL("invalid JSON header: bad escape in a string");
}

static int juint(js_t *j, uint64_t *v) {
    ws(j);
    if (j->p >= j->end || *j->p < '0' || *j->p > '9') return SFAIL("invalid JSON header: expected a non-negative integer");
    uint64_t x = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        if (x > (UINT64_MAX - 9) / 10) return SFAIL("integer too large in the header");
        x = x * 10 + (uint64_t)(*j->p++ - '0');
    }
    if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
        return SFAIL("invalid JSON header: expected an integer");
    *v = x;
    return 0;
}

/* Skips any JSON value (unknown fields), depth-limited. */
static int jskip(js_t *j, int depth) {
    if (depth > 64) return SFAIL("JSON header nested too deeply");
    ws(j);
    if (j->p >= j->end) return SFAIL("invalid JSON header: truncated");
    char c = *j->p;
    if (c == '"') {
        char *s;
        if (jstring(j, &s) < 0) return -1;
        free(s);
        return 0;
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        if (peek(j, close)) {
            j->p++;
            return 0;
        }
        for (;;) {
            if (c == '{') {
                char *k;
                if (jstring(j, &k) < 0) return -1;
                free(k);
                if (expect(j, ':') < 0) return -1;
            }
            if (jskip(j, depth + 1) < 0) return -1;
            if (peek(j, ',')) {
                j->p++;
                continue;
            }
            return expect(j, close);
        }
    }
    const char *s = j->p;
    while (j->p < j->end && (strchr("+-.eE", *j->p) || (*j->p >= '0' && *j->p <= '9') ||
                             (*j->p >= 'a' && *j->p <= 'z')))
        j->p++;
    if (j->p == s) return SFAIL("invalid JSON header: unexpected character '%c'", c);
    return 0;
}

/* ------------------------------------------------------------ reading */
typedef struct {
    char *name;
    ct_dtype dt;
    int ndim;
    int64_t sizes[CT_MAX_DIMS];
    uint64_t begin, end;
} st_entry;

static int parse_entry(js_t *j, st_entry *e) {
    bool has_dt = false, has_shape = false, has_off = false;
    if (expect(j, '{') < 0) return -1;
    if (peek(j, '}')) return SFAIL("tensor '%s' has no dtype, shape or data_offsets", e->name);
    for (;;) {
        char *k;
        if (jstring(j, &k) < 0) return -1;
        if (expect(j, ':') < 0) {
            free(k);
            return -1;
        }
        int r = 0;
        if (!strcmp(k, "dtype")) {
            char *d;
            r = jstring(j, &d);
            if (r == 0) {
                r = SFAIL("tensor '%s' has dtype %s, which ctorch does not support", e->name, d);
                for (size_t i = 0; i < sizeof st_dtypes / sizeof *st_dtypes; i++)
                    if (!strcmp(d, st_dtypes[i].name)) {
                        e->dt = st_dtypes[i].dt;
                        r = 0;
                        ct_clear_error();
                    }
                free(d);
                has_dt = true;
            }
        } else if (!strcmp(k, "shape")) {
            r = expect(j, '[');
            e->ndim = 0;
            if (r == 0 && peek(j, ']')) j->p++;
            else
                while (r == 0) {
                    uint64_t v;
                    if (e->ndim >= CT_MAX_DIMS) {
                        r = SFAIL("tensor '%s' has more than %d dimensions", e->name, CT_MAX_DIMS);
                        break;
                    }
                    if ((r = juint(j, &v)) < 0) break;
                    if (v > INT64_MAX) r = SFAIL("tensor '%s': dimension too large", e->name);
                    e->sizes[e->ndim++] = (int64_t)v;
                    if (peek(j, ',')) j->p++;
                    else {
                        r = r < 0 ? r : expect(j, ']');
                        break;
                    }
                }
            has_shape = true;
        } else if (!strcmp(k, "data_offsets")) {
            r = expect(j, '[') < 0 || juint(j, &e->begin) < 0 || expect(j, ',') < 0 ||
                juint(j, &e->end) < 0 || expect(j, ']') < 0 ? -1 : 0;
            has_off = true;
        } else {
            r = jskip(j, 1);
        }
        free(k);
        if (r < 0) return -1;
        if (peek(j, ',')) {
            j->p++;
            continue;
        }
        if (expect(j, '}') < 0) return -1;
        break;
    }
    if (!has_dt || !has_shape || !has_off)
        return SFAIL("tensor '%s' lacks %s", e->name, !has_dt ? "dtype" : !has_shape ? "shape" : "data_offsets");
    return 0;
}

static int parse_meta(js_t *j, char ***keys, char ***vals, size_t *n) {
    size_t cap = 0;
    if (expect(j, '{') < 0) return -1;
    if (peek(j, '}')) {
        j->p++;
        return 0;
    }
    for (;;) {
        char *k, *v;
        if (jstring(j, &k) < 0) return -1;
        if (expect(j, ':') < 0 || (peek(j, '"') ? jstring(j, &v) : SFAIL("__metadata__ values must be strings")) < 0) {
            free(k);
            return -1;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            char **k2 = realloc(*keys, cap * sizeof *k2);
            if (k2) *keys = k2;
            char **v2 = k2 ? realloc(*vals, cap * sizeof *v2) : NULL;
            if (v2) *vals = v2;
            if (!k2 || !v2) {
                free(k), free(v);
                return SFAIL("out of memory");
            }
        }
        (*keys)[*n] = k;
        (*vals)[(*n)++] = v;
        if (peek(j, ',')) {
            j->p++;
            continue;
        }
        return expect(j, '}');
    }
}

void ct_safetensors_meta_free(char **keys, char **vals, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (keys) free(keys[i]);
        if (vals) free(vals[i]);
    }
    free(keys);
    free(vals);
}

int ct_load_safetensors_buffer(const void *buf, size_t len, char ***names, ct_tensor ***tensors,
                               size_t *n, char ***meta_keys, char ***meta_vals, size_t *nmeta) {
    const unsigned char *b = buf;
    if (len < 8 || !b) return SFAIL("file of %zu bytes is too short", len);
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)b[i] << (8 * i);
    if (hl > len - 8 || hl > (100u << 20))
        return SFAIL("header of %llu bytes does not fit the file of %zu bytes (truncated or not "
                     "a safetensors file)", (unsigned long long)hl, len);
    js_t j = {(const char *)b + 8, (const char *)b + 8 + hl};
    const unsigned char *data = b + 8 + hl;
    uint64_t dlen = len - 8 - hl;
    st_entry *es = NULL;
    size_t ne = 0, ce = 0;
    char **mk = NULL, **mv = NULL, **nm = NULL;
    size_t nm_meta = 0;
    ct_tensor **ts = NULL;
    int r = -1;
    if (expect(&j, '{') < 0) goto done;
    if (peek(&j, '}')) j.p++;
    else
        for (;;) {
            char *key = NULL;
            if (jstring(&j, &key) < 0 || expect(&j, ':') < 0) goto done_key;
            if (!strcmp(key, "__metadata__")) {
                free(key);
                if (parse_meta(&j, &mk, &mv, &nm_meta) < 0) goto done;
            } else {
                for (size_t i = 0; i < ne; i++)
                    if (!strcmp(es[i].name, key)) {
                        SFAIL("tensor '%s' appears twice in the header", key);
                        goto done_key;
                    }
                if (ne == ce) {
                    ce = ce ? 2 * ce : 16;
                    st_entry *e2 = realloc(es, ce * sizeof *e2);
                    if (!e2) {
                        SFAIL("out of memory");
                        goto done_key;
                    }
                    es = e2;
                }
                memset(&es[ne], 0, sizeof es[ne]);
                es[ne].name = key;
                ne++;
                if (parse_entry(&j, &es[ne - 1]) < 0) goto done;
            }
            if (peek(&j, ',')) {
                j.p++;
                continue;
            }
            if (expect(&j, '}') < 0) goto done;
            break;
            done_key:
            free(key);
            goto done;
        }
    ws(&j);
    if (j.p != j.end) {
        SFAIL("invalid JSON header: trailing characters");
        goto done;
    }
    nm = calloc(ne + 1, sizeof *nm);
    ts = calloc(ne + 1, sizeof *ts);
    if (!nm || !ts) {
        SFAIL("out of memory");
        goto done;
    }
    for (size_t i = 0; i < ne; i++) {
        st_entry *e = &es[i];
        int64_t numel = 1;
        for (int d = 0; d < e->ndim; d++)
            if (__builtin_mul_overflow(numel, e->sizes[d], &numel)) {
                SFAIL("tensor '%s': shape overflows", e->name);
                goto done;
            }
        uint64_t nbytes;
        if (__builtin_mul_overflow((uint64_t)numel, (uint64_t)ct_dtype_size(e->dt), &nbytes) ||
            e->begin > e->end || e->end > dlen || e->end - e->begin != nbytes) {
            char sb[256];
            SFAIL("tensor '%s' of shape %s (%s) has data_offsets [%llu, %llu], which do not match "
                  "its size or the %llu bytes of data", e->name, ct_shape_str(e->sizes, e->ndim, sb, sizeof sb),
                  ct_dtype_name(e->dt), (unsigned long long)e->begin, (unsigned long long)e->end,
                  (unsigned long long)dlen);
            goto done;
        }
        ts[i] = ct__empty(e->sizes, e->ndim, e->dt);
        if (!ts[i]) goto done;
        if (nbytes) memcpy(ts[i]->storage->data, data + e->begin, nbytes);
        nm[i] = e->name;
        e->name = NULL;
    }
    r = 0;
done:
    for (size_t i = 0; i < ne; i++) free(es[i].name);
    free(es);
    if (r == 0) {
        *names = nm, *tensors = ts, *n = ne;
        if (meta_keys && meta_vals && nmeta) *meta_keys = mk, *meta_vals = mv, *nmeta = nm_meta;
        else ct_safetensors_meta_free(mk, mv, nm_meta);
    } else {
        if (nm && ts) ct_state_dict_free(nm, ts, ne);
        else free(nm), free(ts);
        ct_safetensors_meta_free(mk, mv, nm_meta);
    }
    return r;
}

int ct_load_safetensors(const char *path, char ***names, ct_tensor ***tensors, size_t *n,
                        char ***meta_keys, char ***meta_vals, size_t *nmeta) {
    const unsigned char *buf;
    size_t len;
    if (!path) return SFAIL("NULL path");
    if (ct__map_file("safetensors", path, &buf, &len) < 0) return -1;
    int r = ct_load_safetensors_buffer(buf, len, names, tensors, n, meta_keys, meta_vals, nmeta);
    ct__unmap_file(buf, len);
    return r;
}

/* ------------------------------------------------------------ writing */
static int jput_string(ct_sink *s, const char *str) {
    if (ct__sink_write(s, "\"", 1) < 0) return -1;
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\', esc[1] = (char)*p;
            if (ct__sink_write(s, esc, 2) < 0) return -1;
        } else if (*p < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            if (ct__sink_write(s, esc, 6) < 0) return -1;
        } else if (ct__sink_write(s, p, 1) < 0) {
            return -1;
        }
    }
    return ct__sink_write(s, "\"", 1);
}

static const char *st_name(ct_dtype dt) {
    for (size_t i = 0; i < sizeof st_dtypes / sizeof *st_dtypes; i++)
        if (st_dtypes[i].dt == dt) return st_dtypes[i].name;
    return NULL;
}

static int save_st(ct_sink *out, const char *const *names, ct_tensor *const *tensors, size_t n,
                   const char *const *mk, const char *const *mv, size_t nmeta) {
    ct_sink h = {0};
    size_t *order = malloc((n + 1) * sizeof *order);
    ct_tensor **c = calloc(n + 1, sizeof *c);
    int r = -1;
    if (!order || !c) {
        SFAIL("out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (!names[i] || !tensors[i]) {
            SFAIL("NULL name or tensor at %zu", i);
            goto done;
        }
        for (size_t k = 0; k < i; k++)
            if (!strcmp(names[k], names[i])) {
                SFAIL("tensor name '%s' appears twice", names[i]);
                goto done;
            }
        if (tensors[i]->storage->device.type != CT_CPU) {
            ct_scope sc = ct_scope_begin();
            ct_tensor *h = ct_to_device(tensors[i], CT_DEVICE_CPU); /* contiguous host copy */
            c[i] = h ? ct__contiguous(h) : NULL;
            ct_scope_end(sc);
        } else {
            c[i] = ct__contiguous(tensors[i]);
        }
        if (!c[i]) goto done;
        order[i] = i;
    }
    /* larger items first (stable), as the reference writer does, so every
     * tensor's data is aligned to its item size */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && ct_dtype_size(c[order[k]]->dtype) > ct_dtype_size(c[order[k - 1]]->dtype); k--) {
            size_t t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    if (ct__sink_write(&h, "{", 1) < 0) goto done;
    bool first = true;
    if (nmeta) {
        if (ct__sink_write(&h, "\"__metadata__\":{", 16) < 0) goto done;
        for (size_t i = 0; i < nmeta; i++)
            if ((i && ct__sink_write(&h, ",", 1) < 0) || jput_string(&h, mk[i]) < 0 ||
                ct__sink_write(&h, ":", 1) < 0 || jput_string(&h, mv[i]) < 0)
                goto done;
        if (ct__sink_write(&h, "}", 1) < 0) goto done;
        first = false;
    }
    uint64_t off = 0;
    for (size_t q = 0; q < n; q++) {
        const ct_tensor *t = c[order[q]];
        uint64_t nb = (uint64_t)t->numel * ct_dtype_size(t->dtype);
        char buf[128];
        if ((!first && ct__sink_write(&h, ",", 1) < 0) || jput_string(&h, names[order[q]]) < 0) goto done;
        first = false;
        snprintf(buf, sizeof buf, ":{\"dtype\":\"%s\",\"shape\":[", st_name(t->dtype));
        if (ct__sink_write(&h, buf, strlen(buf)) < 0) goto done;
        for (int d = 0; d < t->ndim; d++) {
            snprintf(buf, sizeof buf, d ? ",%lld" : "%lld", (long long)t->sizes[d]);
            if (ct__sink_write(&h, buf, strlen(buf)) < 0) goto done;
        }
        snprintf(buf, sizeof buf, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                 (unsigned long long)(off + nb));
        if (ct__sink_write(&h, buf, strlen(buf)) < 0) goto done;
        off += nb;
    }
    if (ct__sink_write(&h, "}", 1) < 0) goto done;
    while (h.len % 8)
        if (ct__sink_write(&h, " ", 1) < 0) goto done;
    unsigned char hl[8];
    for (int i = 0; i < 8; i++) hl[i] = (unsigned char)((uint64_t)h.len >> (8 * i));
    if (ct__sink_write(out, hl, 8) < 0 || ct__sink_write(out, h.buf, h.len) < 0) goto done;
    for (size_t q = 0; q < n; q++) {
        const ct_tensor *t = c[order[q]];
        if (ct__sink_write(out, ct_data_ptr(t), (size_t)t->numel * ct_dtype_size(t->dtype)) < 0) goto done;
    }
    r = 0;
done:
    for (size_t i = 0; c && i < n; i++) ct_release(c[i]);
    free(c);
    free(order);
    free(h.buf);
    return r;
}

int ct_save_safetensors_buffer(const char *const *names, ct_tensor *const *tensors, size_t n,
                               const char *const *meta_keys, const char *const *meta_vals,
                               size_t nmeta, void **buf, size_t *len) {
    ct_sink out = {0};
    if (save_st(&out, names, tensors, n, meta_keys, meta_vals, nmeta) < 0) {
        free(out.buf);
        return -1;
    }
    *buf = out.buf;
    *len = out.len;
    return 0;
}

int ct_save_safetensors(const char *path, const char *const *names, ct_tensor *const *tensors,
                        size_t n, const char *const *meta_keys, const char *const *meta_vals,
                        size_t nmeta) {
    FILE *f = path ? fopen(path, "wb") : NULL;
    if (!f) {
        ct_set_error(CT_ERR_RUNTIME, "safetensors: cannot open '%s' for writing: %s",
                     path ? path : "(null)", strerror(errno));
        return -1;
    }
    ct_sink out = {.f = f};
    int r = save_st(&out, names, tensors, n, meta_keys, meta_vals, nmeta);
    if (fclose(f) != 0 && r == 0) {
        ct_set_error(CT_ERR_RUNTIME, "safetensors: writing '%s' failed: %s", path, strerror(errno));
        r = -1;
    }
    return r;
}
