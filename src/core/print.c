/* Tensor repr, a transcription of PyTorch's torch/_tensor_str.py: a
 * formatter chooses integer, fixed or scientific notation and one column
 * width from the displayed values, then nested brackets are written with
 * PyTorch's line breaks, summarization and suffixes. */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>

static ct_print_options global_opts = {4, 1000, 3, 80, -1, NULL};
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;

void ct_set_printoptions(const ct_print_options *opts) {
    pthread_mutex_lock(&global_lock);
    global_opts = opts ? *opts : CT_PRINT_OPTIONS_DEFAULT;
    global_opts.suffix = NULL;
    pthread_mutex_unlock(&global_lock);
}

ct_print_options ct_get_printoptions(void) {
    pthread_mutex_lock(&global_lock);
    ct_print_options o = global_opts;
    pthread_mutex_unlock(&global_lock);
    return o;
}

/* ---------------------------------------------------------------- strings */
typedef struct {
    char *s;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = true;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}
static void sb_puts(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }
static void sb_spaces(sbuf *b, int n) {
    for (int i = 0; i < n; i++) sb_putn(b, " ", 1);
}

/* ---------------------------------------------------------------- formatter */
typedef struct {
    const ct_tensor *t;
    ct_print_options o;
    size_t isz;
    bool summarize;
    bool floating;
    /* _Formatter state */
    bool int_mode, sci_mode;
    int max_width;
    /* statistics of the nonzero finite displayed values */
    bool any;
    double amin, amax;
} pctx;

#define FMT_BUF 1024

static double load_f(const pctx *c, const char *p) { return ct__load_f64(p, c->t->dtype); }

/* Value as PyTorch's Python formatting writes it, without padding. */
static int fmt_float(char *buf, double v, bool sci, bool int_mode, int prec) {
    if (isnan(v)) return snprintf(buf, FMT_BUF, "nan");
    if (sci) return snprintf(buf, FMT_BUF, "%.*e", prec, v);
    if (int_mode) return snprintf(buf, FMT_BUF, isinf(v) ? "%.0f" : "%.0f.", v);
    return snprintf(buf, FMT_BUF, "%.*f", prec, v);
}

static int fmt_elem(const pctx *c, const char *p, char *buf) {
    if (c->floating) return fmt_float(buf, load_f(c, p), c->sci_mode, c->int_mode, c->o.precision);
    if (c->t->dtype == CT_BOOL) return snprintf(buf, FMT_BUF, "%s", *(const bool *)p ? "True" : "False");
    return snprintf(buf, FMT_BUF, "%lld", (long long)ct__load_i64(p, c->t->dtype));
}

typedef void (*visit_fn)(pctx *c, const char *p);

/* Visits the displayed elements (the edges of summarized dims). */
static void walk(pctx *c, const char *p, int d, visit_fn f) {
    const ct_tensor *t = c->t;
    if (d == t->ndim) {
        f(c, p);
        return;
    }
    int64_t n = t->sizes[d], st = t->strides[d] * (int64_t)c->isz, e = c->o.edgeitems;
    if (c->summarize && n > 2 * e) {
        for (int64_t i = 0; i < e; i++) walk(c, p + i * st, d + 1, f);
        for (int64_t i = n - e; i < n; i++) walk(c, p + i * st, d + 1, f);
    } else {
        for (int64_t i = 0; i < n; i++) walk(c, p + i * st, d + 1, f);
    }
}

static void visit_stats(pctx *c, const char *p) {
    double v = load_f(c, p);
    if (!isfinite(v) || v == 0) return;
    double a = fabs(v);
    if (!c->any || a < c->amin) c->amin = a;
    if (!c->any || a > c->amax) c->amax = a;
    c->any = true;
    if (v != ceil(v)) c->int_mode = false;
}

static void visit_width_float(pctx *c, const char *p) {
    double v = load_f(c, p);
    if (!isfinite(v) || v == 0) return;
    char buf[FMT_BUF];
    int n = fmt_float(buf, v, c->sci_mode, c->int_mode, c->o.precision);
    if (n > c->max_width) c->max_width = n;
}

static void visit_width_any(pctx *c, const char *p) {
    char buf[FMT_BUF];
    int n = fmt_elem(c, p, buf);
    if (n > c->max_width) c->max_width = n;
}

static void formatter_init(pctx *c) {
    c->int_mode = true;
    c->sci_mode = false;
    c->max_width = 1;
    if (!c->floating) {
        walk(c, ct_data_ptr(c->t), 0, visit_width_any);
        return;
    }
    c->any = false;
    walk(c, ct_data_ptr(c->t), 0, visit_stats);
    if (!c->any) return; /* PyTorch returns before applying sci_mode here */
    double ratio = c->amax / c->amin;
    if (c->int_mode) c->sci_mode = ratio > 1000.0 || c->amax > 1.0e8;
    else c->sci_mode = ratio > 1000.0 || c->amax > 1.0e8 || c->amin < 1.0e-4;
    walk(c, ct_data_ptr(c->t), 0, visit_width_float);
    if (c->o.sci_mode >= 0) c->sci_mode = c->o.sci_mode != 0;
}

static void put_elem(sbuf *b, const pctx *c, const char *p) {
    char buf[FMT_BUF];
    int n = fmt_elem(c, p, buf);
    if (n >= FMT_BUF) n = FMT_BUF - 1;
    sb_spaces(b, c->max_width - n);
    sb_putn(b, buf, (size_t)n);
}

/* ---------------------------------------------------------------- layout */
static void vector_str(sbuf *b, const pctx *c, const char *p, int d, int indent) {
    int64_t n = c->t->sizes[d], st = c->t->strides[d] * (int64_t)c->isz, e = c->o.edgeitems;
    int64_t element_length = c->max_width + 2;
    int64_t per_line = (int64_t)floor((double)(c->o.linewidth - indent) / (double)element_length);
    if (per_line < 1) per_line = 1;
    bool summ = c->summarize && n > 2 * e;
    int64_t items = summ ? 2 * e + 1 : n;
    sb_puts(b, "[");
    for (int64_t k = 0; k < items; k++) {
        if (k > 0) {
            if (k % per_line == 0) {
                sb_puts(b, ",\n");
                sb_spaces(b, indent + 1);
            } else {
                sb_puts(b, ", ");
            }
        }
        if (summ && k == e) {
            sb_puts(b, " ...");
            continue;
        }
        int64_t i = !summ ? k : k < e ? k : n - e + (k - e - 1);
        put_elem(b, c, p + i * st);
    }
    sb_puts(b, "]");
}

static void tensor_str(sbuf *b, const pctx *c, const char *p, int d, int indent) {
    int dim = c->t->ndim - d;
    if (dim == 0) {
        put_elem(b, c, p);
        return;
    }
    if (dim == 1) {
        vector_str(b, c, p, d, indent);
        return;
    }
    int64_t n = c->t->sizes[d], st = c->t->strides[d] * (int64_t)c->isz, e = c->o.edgeitems;
    bool summ = c->summarize && n > 2 * e;
    int64_t items = summ ? 2 * e + 1 : n;
    sb_puts(b, "[");
    for (int64_t k = 0; k < items; k++) {
        if (k > 0) {
            sb_puts(b, ",");
            for (int j = 0; j < dim - 1; j++) sb_puts(b, "\n");
            sb_spaces(b, indent + 1);
        }
        if (summ && k == e) {
            sb_puts(b, "...");
            continue;
        }
        int64_t i = !summ ? k : k < e ? k : n - e + (k - e - 1);
        tensor_str(b, c, p + i * st, d + 1, indent + 1);
    }
    sb_puts(b, "]");
}

/* PyTorch's _add_suffixes for one suffix; *last is the running length of
 * the last line as PyTorch counts it. */
static void add_suffix(sbuf *b, const char *suffix, int indent, int64_t *last, int linewidth) {
    int64_t n = (int64_t)strlen(suffix);
    if (*last + n + 2 > linewidth) {
        sb_puts(b, ",\n");
        sb_spaces(b, indent);
        *last = indent + n;
    } else {
        sb_puts(b, ", ");
        *last += n + 2;
    }
    sb_puts(b, suffix);
}

char *ct_format(const ct_tensor *t, const ct_print_options *opts) {
    if (t->storage->device.type != CT_CPU) {
        ct_set_error(CT_ERR_NOT_IMPL, "format: printing a tensor that is not on the CPU is not "
                                      "implemented (copy it to the CPU first)");
        return NULL;
    }
    pctx c;
    memset(&c, 0, sizeof c);
    c.t = t;
    c.o = opts ? *opts : ct_get_printoptions();
    if (c.o.precision < 0) c.o.precision = 0;
    if (c.o.precision > 300) c.o.precision = 300;
    if (c.o.edgeitems < 0) c.o.edgeitems = 0;
    c.isz = ct_dtype_size(t->dtype);
    c.floating = ct_dtype_is_floating(t->dtype);

    sbuf b = {0};
    const char *prefix = "tensor(";
    int indent = (int)strlen(prefix);
    sb_puts(&b, prefix);
    const char *suffixes[3];
    int nsuf = 0;
    char size_buf[CT_MAX_DIMS * 24 + 16], dtype_buf[48];
    snprintf(dtype_buf, sizeof dtype_buf, "dtype=torch.%s", ct_dtype_name(t->dtype));
    if (t->numel == 0) {
        sb_puts(&b, "[]");
        if (t->ndim != 1) { /* the shape, as a Python tuple */
            size_t n = (size_t)snprintf(size_buf, sizeof size_buf, "size=(");
            for (int i = 0; i < t->ndim; i++)
                n += (size_t)snprintf(size_buf + n, sizeof size_buf - n, i ? ", %lld" : "%lld",
                                      (long long)t->sizes[i]);
            snprintf(size_buf + n, sizeof size_buf - n, t->ndim == 1 ? ",)" : ")");
            suffixes[nsuf++] = size_buf;
        }
        if (t->dtype != ct_default_dtype()) suffixes[nsuf++] = dtype_buf;
    } else {
        c.summarize = (double)t->numel > c.o.threshold;
        formatter_init(&c);
        tensor_str(&b, &c, ct_data_ptr(t), 0, indent);
        bool default_dtype =
            t->dtype == ct_default_dtype() || t->dtype == CT_INT64 || t->dtype == CT_BOOL;
        if (!default_dtype) suffixes[nsuf++] = dtype_buf;
    }
    if (c.o.suffix && c.o.suffix[0]) suffixes[nsuf++] = c.o.suffix;
    if (!b.oom) {
        const char *nl = strrchr(b.s, '\n');
        int64_t last = (int64_t)b.len - (nl ? (int64_t)(nl - b.s) : -1) + 1;
        for (int i = 0; i < nsuf; i++) add_suffix(&b, suffixes[i], indent, &last, c.o.linewidth);
    }
    sb_puts(&b, ")");
    if (b.oom) {
        free(b.s);
        ct_set_error(CT_ERR_MEMORY, "format: out of memory formatting a tensor of shape %s",
                     ct__shp(t));
        return NULL;
    }
    return b.s;
}

int ct_print(const ct_tensor *t) {
    char *s = ct_format(t, NULL);
    if (!s) return -1;
    int rc = printf("%s\n", s) < 0 ? -1 : 0;
    free(s);
    return rc;
}
