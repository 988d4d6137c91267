/* CSV / tabular data: numeric cells to float32 features and an int64 or
 * float32 label column. Cells may be double-quoted ("" inside quotes is a
 * quote); spaces around a cell are ignored; empty lines are skipped.
 * Errors name the file, the 1-based line and the 1-based column. */
#include "data_image.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct csv_table {
    int64_t rows, cols;
    double *cells;   /* rows x cols */
    int64_t *lines;  /* the file line of each row */
    char **names;    /* cols header names, or NULL */
} csv_table;

static void table_free(csv_table *t) {
    free(t->cells);
    free(t->lines);
    if (t->names)
        for (int64_t i = 0; i < t->cols; i++) free(t->names[i]);
    free(t->names);
    memset(t, 0, sizeof *t);
}

/* Splits one line (no newline) into cells written into buf (NUL-separated);
 * cell starts into starts (at most maxc), returns the count or -1 on an
 * unterminated quote. */
static int64_t split_line(char *line, char delim, char **starts, int64_t maxc) {
    int64_t n = 0;
    char *r = line, *w = line;
    for (;;) {
        while (*r == ' ' || *r == '\t') r++;
        char *cell = w;
        if (*r == '"') {
            r++;
            for (;;) {
                if (!*r) return -1;
                if (*r == '"') {
                    if (r[1] == '"') {
                        *w++ = '"';
                        r += 2;
                        continue;
                    }
                    r++;
                    break;
                }
                *w++ = *r++;
            }
            while (*r && *r != delim) r++; /* ignore what follows the closing quote */
        } else {
            while (*r && *r != delim) *w++ = *r++;
            while (w > cell && (w[-1] == ' ' || w[-1] == '\t')) w--;
        }
        bool more = *r == delim;
        *w++ = '\0';
        if (n < maxc) starts[n] = cell;
        n++;
        if (!more) break;
        r++;
    }
    return n;
}

static int parse_table(const char *path, char delim, bool header, csv_table *t) {
    memset(t, 0, sizeof *t);
    size_t len;
    uint8_t *buf = ct__read_file(path, &len, "csv");
    if (!buf) return -1;
    char *text = realloc(buf, len + 1);
    if (!text) {
        free(buf);
        ct_set_error(CT_ERR_MEMORY, "csv: %s: out of memory", path);
        return -1;
    }
    text[len] = '\0';
    if (memchr(text, '\0', len)) {
        free(text);
        ct_set_error(CT_ERR_VALUE, "csv: %s: the file contains NUL bytes (not a text file)", path);
        return -1;
    }
    int64_t cap = 0, lineno = 0;
    char **starts = NULL;
    int rc = 0;
    bool need_header = header;
    char *p = text;
    while (rc == 0 && *p) {
        char *nl = strchr(p, '\n');
        char *next = nl ? nl + 1 : p + strlen(p);
        if (nl) *nl = '\0';
        if (nl && nl > p && nl[-1] == '\r') nl[-1] = '\0';
        lineno++;
        char *q = p;
        while (*q == ' ' || *q == '\t') q++;
        if (!*q) {
            p = next;
            continue;
        }
        if (lineno == 1 && (uint8_t)q[0] == 0xEF && (uint8_t)q[1] == 0xBB && (uint8_t)q[2] == 0xBF)
            p += 3; /* UTF-8 byte order mark */
        int64_t maxc = t->cols ? t->cols : 4096;
        if (cap < maxc) {
            char **ns = realloc(starts, sizeof(char *) * (size_t)maxc);
            if (!ns) {
                rc = -1;
                ct_set_error(CT_ERR_MEMORY, "csv: %s: out of memory", path);
                break;
            }
            starts = ns;
            cap = maxc;
        }
        int64_t n = split_line(p, delim, starts, maxc);
        if (n < 0) {
            ct_set_error(CT_ERR_VALUE, "csv: %s:%lld: unterminated quoted cell", path,
                         (long long)lineno);
            rc = -1;
            break;
        }
        if (!t->cols) {
            if (n > 4096) {
                ct_set_error(CT_ERR_VALUE, "csv: %s:%lld: %lld columns; at most 4096 are supported",
                             path, (long long)lineno, (long long)n);
                rc = -1;
                break;
            }
            t->cols = n;
        } else if (n != t->cols) {
            ct_set_error(CT_ERR_VALUE, "csv: %s:%lld: expected %lld cells, got %lld", path,
                         (long long)lineno, (long long)t->cols, (long long)n);
            rc = -1;
            break;
        }
        if (need_header) {
            need_header = false;
            t->names = calloc((size_t)n, sizeof(char *));
            for (int64_t i = 0; t->names && i < n; i++) {
                t->names[i] = strdup(starts[i]);
                if (!t->names[i]) rc = -1;
            }
            if (!t->names || rc < 0) {
                rc = -1;
                ct_set_error(CT_ERR_MEMORY, "csv: %s: out of memory", path);
            }
            p = next;
            continue;
        }
        if (t->rows % 1024 == 0) {
            double *nc = realloc(t->cells, sizeof(double) * (size_t)((t->rows + 1024) * t->cols));
            if (nc) t->cells = nc;
            int64_t *nl = nc ? realloc(t->lines, sizeof(int64_t) * (size_t)(t->rows + 1024)) : NULL;
            if (nl) t->lines = nl;
            if (!nc || !nl) {
                rc = -1;
                ct_set_error(CT_ERR_MEMORY, "csv: %s: out of memory", path);
                break;
            }
        }
        t->lines[t->rows] = lineno;
        for (int64_t i = 0; i < n; i++) {
            char *end;
            errno = 0;
            double v = strtod(starts[i], &end);
            if (end == starts[i] || *end) {
                ct_set_error(CT_ERR_VALUE, "csv: %s:%lld: column %lld: '%.64s' is not a number",
                             path, (long long)lineno, (long long)(i + 1), starts[i]);
                rc = -1;
                break;
            }
            t->cells[t->rows * t->cols + i] = v;
        }
        t->rows++;
        p = next;
    }
    free(starts);
    free(text);
    if (rc < 0) table_free(t);
    return rc;
}

ct_tensor *ct_csv_read(const char *path, char delimiter, bool header) {
    if (!path) return CT_DFAIL(CT_ERR_VALUE, "csv: path is NULL");
    csv_table t;
    if (parse_table(path, delimiter ? delimiter : ',', header, &t) < 0) return NULL;
    ct_tensor *out = ct__empty((const int64_t[]){t.rows, t.cols}, 2, CT_FLOAT32);
    if (out) {
        float *d = ct_data_ptr(out);
        for (int64_t i = 0; i < t.rows * t.cols; i++) d[i] = (float)t.cells[i];
    }
    table_free(&t);
    return ct_autorelease(out);
}

/* ---------------------------------------------------------------- dataset */
typedef struct csv_ds {
    ct_tensor *features, *labels; /* [rows, nf], [rows] or NULL */
    char **names;                 /* nf feature names or NULL */
    int64_t nf;
} csv_ds;

static int64_t csv_length(const ct_dataset *ds) {
    const csv_ds *c = ds->ctx;
    return c->features->sizes[0];
}

static int csv_get(ct_dataset *ds, int64_t index, ct_tensor **out) {
    csv_ds *c = ds->ctx;
    const ct_tensor *f = c->features;
    out[0] = ct__tensor_new(f->storage, f->dtype, f->sizes + 1, f->strides + 1, 1,
                            f->offset + index * f->strides[0]);
    if (!out[0]) return -1;
    if (c->labels) {
        const ct_tensor *l = c->labels;
        out[1] = ct__tensor_new(l->storage, l->dtype, NULL, NULL, 0, l->offset + index * l->strides[0]);
        if (!out[1]) {
            ct_release(out[0]);
            out[0] = NULL;
            return -1;
        }
    }
    return 0;
}

static void csv_free_ctx(csv_ds *c) {
    ct_release(c->features);
    ct_release(c->labels);
    if (c->names)
        for (int64_t i = 0; i < c->nf; i++) free(c->names[i]);
    free(c->names);
    free(c);
}

static void csv_free(ct_dataset *ds) { csv_free_ctx(ds->ctx); }

static const ct_dataset_vtable csv_vt = {"CSVDataset", csv_length, csv_get, csv_free};

ct_dataset *ct_csv_dataset(const char *path, const ct_csv_options *opt) {
    ct_csv_options o = {0};
    o.label_column = -1;
    if (opt) o = *opt;
    if (!path) return CT_DFAIL(CT_ERR_VALUE, "csv: path is NULL");
    csv_table t;
    if (parse_table(path, o.delimiter ? o.delimiter : ',', o.header, &t) < 0) return NULL;
    int64_t lc = -1;
    if (!o.no_label) {
        if (o.label_name) {
            if (!t.names) {
                table_free(&t);
                return CT_DFAIL(CT_ERR_VALUE, "csv: %s: label_name '%s' needs header=true", path,
                                o.label_name);
            }
            for (int64_t i = 0; i < t.cols && lc < 0; i++)
                if (!strcmp(t.names[i], o.label_name)) lc = i;
            if (lc < 0) {
                table_free(&t);
                return CT_DFAIL(CT_ERR_VALUE, "csv: %s: no column named '%s'", path, o.label_name);
            }
        } else {
            lc = o.label_column < 0 ? o.label_column + t.cols : o.label_column;
            if (lc < 0 || lc >= t.cols) {
                int64_t cols = t.cols;
                table_free(&t);
                return CT_DFAIL(CT_ERR_INDEX, "csv: %s: label column %lld is out of range for %lld "
                                "columns", path, (long long)o.label_column, (long long)cols);
            }
        }
    }
    int64_t nf = t.cols - (lc >= 0 ? 1 : 0);
    csv_ds *c = calloc(1, sizeof *c);
    if (!c) {
        table_free(&t);
        return CT_DFAIL(CT_ERR_MEMORY, "csv: out of memory");
    }
    c->nf = nf;
    c->features = ct__empty((const int64_t[]){t.rows, nf}, 2, CT_FLOAT32);
    if (lc >= 0)
        c->labels = ct__empty((const int64_t[]){t.rows}, 1, o.float_label ? CT_FLOAT32 : CT_INT64);
    if (t.names) {
        c->names = calloc((size_t)(nf ? nf : 1), sizeof(char *));
        for (int64_t i = 0, k = 0; c->names && i < t.cols; i++)
            if (i != lc) c->names[k++] = t.names[i], t.names[i] = NULL;
    }
    if (!c->features || (lc >= 0 && !c->labels) || (t.names && !c->names)) {
        csv_free_ctx(c);
        table_free(&t);
        return CT_DFAIL(CT_ERR_MEMORY, "csv: out of memory");
    }
    float *fd = ct_data_ptr(c->features);
    for (int64_t r = 0; r < t.rows; r++) {
        const double *row = t.cells + r * t.cols;
        for (int64_t i = 0, k = 0; i < t.cols; i++) {
            if (i == lc) continue;
            fd[r * nf + k++] = (float)row[i];
        }
        if (lc < 0) continue;
        double v = row[lc];
        if (o.float_label) {
            ((float *)ct_data_ptr(c->labels))[r] = (float)v;
        } else if (!(v == floor(v)) || fabs(v) > 9007199254740992.0) {
            csv_free_ctx(c);
            int64_t line = t.lines[r];
            table_free(&t);
            return CT_DFAIL(CT_ERR_VALUE, "csv: %s:%lld: column %lld: label %.17g is not an "
                            "integer class index (use float_label for regression targets)", path,
                            (long long)line, (long long)(lc + 1), v);
        } else {
            ((int64_t *)ct_data_ptr(c->labels))[r] = (int64_t)v;
        }
    }
    table_free(&t);
    ct_dataset *ds = ct_dataset_new(&csv_vt, lc >= 0 ? 2 : 1, c);
    if (!ds) csv_free_ctx(c);
    return ds;
}

const char *ct_csv_feature_name(const ct_dataset *ds, int64_t i) {
    if (!ds || ds->vt != &csv_vt)
        return CT_DFAIL(CT_ERR_TYPE, "csv_feature_name: the dataset is not a CSV dataset");
    const csv_ds *c = ds->ctx;
    if (i < 0 || i >= c->nf)
        return CT_DFAIL(CT_ERR_INDEX, "csv_feature_name: index %lld is out of range for %lld "
                        "features", (long long)i, (long long)c->nf);
    return c->names ? c->names[i] : NULL;
}
