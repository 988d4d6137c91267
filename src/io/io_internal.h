/* Internals of the io layer (src/io): the value tree's private kinds, the
 * zip container, the pickle reader/writer. Not installed. */
#ifndef CT_IO_INTERNAL_H
#define CT_IO_INTERNAL_H

#include "internal.h"
#include "ctorch/serialize.h"

#include <stdio.h>

/* Nesting limit of value trees (writer, converters): deeper is an error. */
#define CT_IO_MAX_DEPTH 1000

/* Kinds that live only on the unpickler's stack, never in a finished tree. */
enum {
    CT_VAL__GLOBAL = 64, /* an allowed global: ival = ct__io_global id */
    CT_VAL__STORAGE,     /* a loaded storage: st + dtype */
};

struct ct_value {
    int refcount; /* values are built and read by one thread at a time */
    int kind;
    bool ordered, param;
    bool tainted; /* a tuple holding a private kind (unpickler only) */
    int depth;    /* tuples: nesting depth (bounds recursion on keys) */
    int64_t ival;
    double fval;
    char *s;
    size_t slen;
    ct_value **items; /* sequences: n items; dicts: 2n (key, value) */
    size_t n, cap;
    uint64_t *hashes; /* dicts: hash of each key */
    ct_value *attrs;
    ct_tensor *t;
    ct_storage *st;
    ct_dtype dtype;
};

ct_value *ct__value_new(int kind);
/* Python-style key equality (1 == 1.0 == True) and a matching hash. */
bool ct__value_key_eq(const ct_value *a, const ct_value *b);
uint64_t ct__value_key_hash(const ct_value *k);
bool ct__value_is_key(const ct_value *k);

/* ---------------------------------------------------------------- output */
/* A byte sink: a growable memory buffer, or a FILE. */
typedef struct ct_sink {
    FILE *f;
    unsigned char *buf;
    size_t len, cap;
    uint64_t pos;
    bool failed;
} ct_sink;
int ct__sink_write(ct_sink *s, const void *p, size_t n); /* 0 or -1 (error set) */

/* ---------------------------------------------------------------- zip */
typedef struct ct_zip_entry {
    char *name;
    uint16_t method;
    uint32_t crc;
    uint64_t csize, usize, data_off; /* data_off: absolute, into the buffer */
} ct_zip_entry;

typedef struct ct_zip {
    const unsigned char *buf;
    size_t len;
    ct_zip_entry *e;
    size_t n;
} ct_zip;

/* Parses the central directory of buf (kept borrowed). 0 or -1. */
int ct__zip_open(ct_zip *z, const void *buf, size_t len);
void ct__zip_close(ct_zip *z);
const ct_zip_entry *ct__zip_find(const ct_zip *z, const char *name);
/* Contents of an entry: *data points into the buffer (stored entries,
 * *owned = NULL) or into a malloc'ed block (*owned, deflated entries).
 * CRC checked. 0 or -1. */
int ct__zip_read(const ct_zip *z, const ct_zip_entry *e, const unsigned char **data,
                 void **owned);

typedef struct ct_zip_writer {
    ct_sink *out;
    struct { char *name; uint32_t crc; uint64_t size, off; } *e;
    size_t n, cap;
} ct_zip_writer;
/* Tests set this to write zip64 records for every entry, as files over
 * 4 GiB need, without writing 4 GiB. */
extern bool ct__zip_force_zip64;
/* Appends a stored entry whose data starts 64-byte aligned. 0 or -1. */
int ct__zip_add(ct_zip_writer *w, const char *name, const void *data, size_t len);
/* Writes the central directory (zip64 records when needed) and frees w. */
int ct__zip_finish(ct_zip_writer *w);
void ct__zip_writer_free(ct_zip_writer *w);

/* ---------------------------------------------------------------- pickle */
/* Storage loader used by the unpickler for persistent ids: returns an owned
 * storage of numel elements of dt for the record key, or NULL with an error. */
typedef ct_storage *(*ct_storage_loader)(void *ctx, const char *key, ct_dtype dt,
                                         int64_t numel);
ct_value *ct__unpickle(const unsigned char *p, size_t n, ct_storage_loader load, void *ctx);

/* Storage registry filled by the pickler: storages in order of first use. */
typedef struct ct_storage_list {
    ct_storage **st;
    ct_dtype *dt;
    size_t n, cap;
} ct_storage_list;
/* Pickles v (protocol 2) into out; storages referenced by tensors are added
 * to sl (key = index). 0 or -1. */
int ct__pickle(ct_sink *out, const ct_value *v, ct_storage_list *sl);

/* Maps mmap'ed or read files: *buf, *len; ct__unmap releases. 0 or -1. */
int ct__map_file(const char *op, const char *path, const unsigned char **buf, size_t *len);
void ct__unmap_file(const unsigned char *buf, size_t len);

#endif
