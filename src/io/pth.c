/* torch.save / torch.load's zip format on top of the zip container and the
 * pickle reader/writer: "<name>/data.pkl", one "<name>/data/<key>" record
 * per storage, "<name>/version". */
#include "io/io_internal.h"
#include "ctorch/cuda.h"

#include <errno.h>

/* ------------------------------------------------------------ save */
/* A host copy of a device storage (the whole storage, as one 1-d tensor). */
static ct_tensor *storage_to_host(ct_storage *st, ct_dtype dt) {
    int64_t numel = (int64_t)(st->nbytes / ct_dtype_size(dt));
    ct_tensor *all = ct__tensor_new(st, dt, &numel, NULL, 1, 0);
    if (!all) return NULL;
    ct_scope sc = ct_scope_begin();
    ct_tensor *h = ct_to_device(all, CT_DEVICE_CPU);
    if (h) ct_keep(h);
    ct_scope_end(sc);
    ct_release(all);
    return h;
}

static int save_to(ct_sink *out, const ct_value *v, const char *archive) {
    ct_sink pkl = {0};
    ct_storage_list sl = {0};
    ct_zip_writer zw = {.out = out};
    int r = -1;
    char *name = malloc(strlen(archive) + 32);
    if (!name) {
        ct_set_error(CT_ERR_MEMORY, "ct_save: out of memory");
        return -1;
    }
    if (ct__pickle(&pkl, v, &sl) < 0) goto done;
    sprintf(name, "%s/data.pkl", archive);
    if (ct__zip_add(&zw, name, pkl.buf, pkl.len) < 0) goto done;
    for (size_t i = 0; i < sl.n; i++) {
        size_t isz = ct_dtype_size(sl.dt[i]);
        sprintf(name, "%s/data/%zu", archive, i);
        ct_tensor *host = NULL;
        const void *data = sl.st[i]->data;
        if (sl.st[i]->device.type != CT_CPU && !(host = storage_to_host(sl.st[i], sl.dt[i]))) goto done;
        if (host) data = host->storage->data;
        int r2 = ct__zip_add(&zw, name, data, sl.st[i]->nbytes / isz * isz);
        ct_release(host);
        if (r2 < 0) goto done;
    }
    sprintf(name, "%s/version", archive);
    if (ct__zip_add(&zw, name, "3\n", 2) < 0) goto done;
    r = ct__zip_finish(&zw);
done:
    ct__zip_writer_free(&zw);
    for (size_t i = 0; i < sl.n; i++) ct__storage_release(sl.st[i]);
    free(sl.st);
    free(sl.dt);
    free(pkl.buf);
    free(name);
    return r;
}

int ct_save_buffer(const ct_value *v, void **buf, size_t *len) {
    if (!v || !buf || !len) {
        ct_set_error(CT_ERR_VALUE, "ct_save_buffer: NULL argument");
        return -1;
    }
    ct_sink out = {0};
    if (save_to(&out, v, "archive") < 0) {
        free(out.buf);
        return -1;
    }
    *buf = out.buf;
    *len = out.len;
    return 0;
}

int ct_save(const char *path, const ct_value *v) {
    if (!path || !v) {
        ct_set_error(CT_ERR_VALUE, "ct_save: NULL argument");
        return -1;
    }
    /* the archive is named after the file's stem, as torch.save does */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char *stem = strdup(*base ? base : "archive");
    if (!stem) {
        ct_set_error(CT_ERR_MEMORY, "ct_save: out of memory");
        return -1;
    }
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) *dot = 0;
    FILE *f = fopen(path, "wb");
    if (!f) {
        ct_set_error(CT_ERR_RUNTIME, "ct_save: cannot open '%s' for writing: %s", path, strerror(errno));
        free(stem);
        return -1;
    }
    ct_sink out = {.f = f};
    int r = save_to(&out, v, stem);
    free(stem);
    if (fclose(f) != 0 && r == 0) {
        ct_set_error(CT_ERR_RUNTIME, "ct_save: writing '%s' failed: %s", path, strerror(errno));
        r = -1;
    }
    return r;
}

/* ------------------------------------------------------------ load */
typedef struct {
    const ct_zip *z;
    const char *prefix; /* "<archive>/" */
    bool big_endian;
    struct { char *key; ct_storage *st; ct_dtype dt; int64_t numel; } *c;
    size_t n, cap;
} loader_t;

static ct_storage *load_storage(void *ctx, const char *key, ct_dtype dt, int64_t numel) {
    loader_t *L = ctx;
    for (size_t i = 0; i < L->n; i++)
        if (!strcmp(L->c[i].key, key)) {
            if (L->c[i].dt != dt || L->c[i].numel != numel) {
                ct_set_error(CT_ERR_RUNTIME, "ct_load: pickle: storage '%s' is used as %s[%lld] "
                             "and as %s[%lld]", key, ct_dtype_name(L->c[i].dt),
                             (long long)L->c[i].numel, ct_dtype_name(dt), (long long)numel);
                return NULL;
            }
            atomic_fetch_add_explicit(&L->c[i].st->refcount, 1, memory_order_relaxed);
            return L->c[i].st;
        }
    size_t nlen = strlen(L->prefix) + strlen(key) + 8;
    char *name = malloc(nlen);
    if (!name) {
        ct_set_error(CT_ERR_MEMORY, "ct_load: out of memory");
        return NULL;
    }
    snprintf(name, nlen, "%sdata/%s", L->prefix, key);
    const ct_zip_entry *e = ct__zip_find(L->z, name);
    if (!e) {
        ct_set_error(CT_ERR_RUNTIME, "ct_load: record '%s' of a storage is missing from the archive", name);
        free(name);
        return NULL;
    }
    size_t isz = ct_dtype_size(dt);
    if ((uint64_t)numel > e->usize / isz || e->usize != (uint64_t)numel * isz) {
        ct_set_error(CT_ERR_RUNTIME, "ct_load: storage '%s' declares %lld elements of %s (%llu bytes) "
                     "but its record holds %llu bytes", key, (long long)numel, ct_dtype_name(dt),
                     (unsigned long long)numel * isz, (unsigned long long)e->usize);
        free(name);
        return NULL;
    }
    free(name);
    const unsigned char *data;
    void *owned;
    if (ct__zip_read(L->z, e, &data, &owned) < 0) return NULL;
    ct_storage *s = ct__storage_new(e->usize);
    if (s) {
        if (e->usize) memcpy(s->data, data, e->usize);
        if (L->big_endian && isz > 1) {
            unsigned char *p = s->data;
            for (size_t i = 0; i + isz <= e->usize; i += isz)
                for (size_t a = 0, b = isz - 1; a < b; a++, b--) {
                    unsigned char tmp = p[i + a];
                    p[i + a] = p[i + b];
                    p[i + b] = tmp;
                }
        }
    }
    free(owned);
    if (!s) return NULL;
    if (L->n == L->cap) {
        size_t nc = L->cap ? 2 * L->cap : 16;
        void *c = realloc(L->c, nc * sizeof *L->c);
        if (!c) goto oom;
        L->c = c, L->cap = nc;
    }
    char *k = strdup(key);
    if (!k) goto oom;
    L->c[L->n].key = k;
    L->c[L->n].st = s;
    L->c[L->n].dt = dt;
    L->c[L->n].numel = numel;
    L->n++;
    atomic_fetch_add_explicit(&s->refcount, 1, memory_order_relaxed);
    return s;
oom:
    ct__storage_release(s);
    ct_set_error(CT_ERR_MEMORY, "ct_load: out of memory");
    return NULL;
}

ct_value *ct_load_buffer(const void *buf, size_t len) {
    if (!buf && len) {
        ct_set_error(CT_ERR_VALUE, "ct_load: NULL buffer");
        return NULL;
    }
    ct_zip z;
    if (ct__zip_open(&z, buf ? buf : "", len) < 0) return NULL;
    ct_value *res = NULL;
    char *prefix = NULL, *name = NULL;
    loader_t L = {.z = &z};
    const char *slash = z.n ? strchr(z.e[0].name, '/') : NULL;
    if (!slash) {
        ct_set_error(CT_ERR_RUNTIME, "ct_load: not a PyTorch archive: the first record '%s' is not "
                     "'<name>/...'", z.n ? z.e[0].name : "");
        goto done;
    }
    size_t plen = (size_t)(slash - z.e[0].name) + 1;
    prefix = malloc(plen + 1);
    name = malloc(plen + 32);
    if (!prefix || !name) {
        ct_set_error(CT_ERR_MEMORY, "ct_load: out of memory");
        goto done;
    }
    memcpy(prefix, z.e[0].name, plen);
    prefix[plen] = 0;
    L.prefix = prefix;
    sprintf(name, "%sbyteorder", prefix);
    const ct_zip_entry *bo = ct__zip_find(&z, name);
    if (bo) {
        const unsigned char *d;
        void *owned;
        if (ct__zip_read(&z, bo, &d, &owned) < 0) goto done;
        if (bo->usize == 3 && !memcmp(d, "big", 3)) L.big_endian = true;
        else if (!(bo->usize == 6 && !memcmp(d, "little", 6))) {
            free(owned);
            ct_set_error(CT_ERR_RUNTIME, "ct_load: unknown byteorder record");
            goto done;
        }
        free(owned);
    }
    sprintf(name, "%sdata.pkl", prefix);
    const ct_zip_entry *pe = ct__zip_find(&z, name);
    if (!pe) {
        ct_set_error(CT_ERR_RUNTIME, "ct_load: record '%s' is missing: not a file written by "
                     "torch.save", name);
        goto done;
    }
    const unsigned char *pkl;
    void *owned;
    if (ct__zip_read(&z, pe, &pkl, &owned) < 0) goto done;
    res = ct__unpickle(pkl, pe->usize, load_storage, &L);
    free(owned);
done:
    for (size_t i = 0; i < L.n; i++) {
        free(L.c[i].key);
        ct__storage_release(L.c[i].st);
    }
    free(L.c);
    free(prefix);
    free(name);
    ct__zip_close(&z);
    return res;
}

ct_value *ct_load(const char *path) {
    if (!path) {
        ct_set_error(CT_ERR_VALUE, "ct_load: NULL path");
        return NULL;
    }
    const unsigned char *buf;
    size_t len;
    if (ct__map_file("ct_load", path, &buf, &len) < 0) return NULL;
    ct_value *v = ct_load_buffer(buf, len);
    ct__unmap_file(buf, len);
    return v;
}

/* ------------------------------------------------------------ state dicts */
int ct_save_state_dict(const char *path, const char *const *names, ct_tensor *const *tensors,
                       size_t n) {
    ct_value *d = ct_value_dict(true);
    if (!d) return -1;
    for (size_t i = 0; i < n; i++)
        if (ct_value_dict_set_str(d, names[i], ct_value_tensor(tensors[i], false)) < 0) {
            ct_value_release(d);
            return -1;
        }
    int r = ct_save(path, d);
    ct_value_release(d);
    return r;
}

void ct_state_dict_free(char **names, ct_tensor **tensors, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (names) free(names[i]);
        if (tensors) ct_release(tensors[i]);
    }
    free(names);
    free(tensors);
}

int ct_load_state_dict(const char *path, char ***names, ct_tensor ***tensors, size_t *n) {
    ct_value *d = ct_load(path);
    if (!d) return -1;
    int r = -1;
    char **nm = NULL;
    ct_tensor **ts = NULL;
    size_t k = 0;
    if (d->kind != CT_VAL_DICT) {
        ct_set_error(CT_ERR_TYPE, "ct_load_state_dict: '%s' holds a %s, not a dict of tensors", path,
                     ct_value_kind_name(d->kind));
        goto done;
    }
    nm = calloc(d->n + 1, sizeof *nm);
    ts = calloc(d->n + 1, sizeof *ts);
    if (!nm || !ts) {
        ct_set_error(CT_ERR_MEMORY, "ct_load_state_dict: out of memory");
        goto done;
    }
    for (k = 0; k < d->n; k++) {
        const ct_value *key = d->items[2 * k], *val = d->items[2 * k + 1];
        if (key->kind != CT_VAL_STR || val->kind != CT_VAL_TENSOR) {
            ct_set_error(CT_ERR_TYPE, "ct_load_state_dict: entry %zu of '%s' is %s -> %s, expected "
                         "str -> tensor", k, path, ct_value_kind_name(key->kind),
                         ct_value_kind_name(val->kind));
            goto done;
        }
        nm[k] = strdup(key->s);
        if (!nm[k]) {
            ct_set_error(CT_ERR_MEMORY, "ct_load_state_dict: out of memory");
            goto done;
        }
        ts[k] = ct_retain(val->t);
    }
    r = 0;
done:
    if (r == 0) {
        *names = nm, *tensors = ts, *n = k;
    } else {
        ct_state_dict_free(nm, ts, nm && ts ? d->n : 0);
        if (!(nm && ts)) free(nm), free(ts);
    }
    ct_value_release(d);
    return r;
}
