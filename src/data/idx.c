/* File readers: IDX (MNIST format) and CIFAR binary batches, gzip or plain.
 *
 * Nothing is allocated before the header, the sizes and the file's length
 * agree: for a plain file its size must equal header + data exactly; for a
 * gzip file the trailer's ISIZE (uncompressed length mod 2^32) must match and
 * the length must be within deflate's best ratio (1032:1) of the compressed
 * size. The read itself then checks for short data, trailing bytes and
 * zlib's CRC. */
#include "data_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

typedef struct src {
    const char *path;
    const char *fmt; /* "idx", "CIFAR" */
    gzFile gz;
    bool gzip;
    uint64_t raw_size; /* bytes on disk */
    uint32_t isize;    /* gzip trailer: uncompressed size mod 2^32 */
} src;

#define SRC_FAIL(s, ...)                                                           \
    do {                                                                           \
        char m_[512];                                                              \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                      \
        ct_set_error(CT_ERR_RUNTIME, "%s: %s: %s", (s)->fmt, (s)->path, m_);      \
    } while (0)

static int src_open(src *s, const char *path, const char *fmt) {
    memset(s, 0, sizeof *s);
    s->path = path;
    s->fmt = fmt;
    FILE *f = fopen(path, "rb");
    if (!f) {
        SRC_FAIL(s, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        SRC_FAIL(s, "not a regular file");
        return -1;
    }
    s->raw_size = (uint64_t)st.st_size;
    unsigned char mg[2];
    if (s->raw_size >= 2 && fread(mg, 1, 2, f) == 2 && mg[0] == 0x1f && mg[1] == 0x8b) {
        s->gzip = true;
        unsigned char tr[4];
        if (s->raw_size < 18 || fseek(f, -4, SEEK_END) != 0 || fread(tr, 1, 4, f) != 4) {
            fclose(f);
            SRC_FAIL(s, "truncated gzip file (%llu bytes)", (unsigned long long)s->raw_size);
            return -1;
        }
        s->isize = (uint32_t)tr[0] | (uint32_t)tr[1] << 8 | (uint32_t)tr[2] << 16 |
                   (uint32_t)tr[3] << 24;
    }
    fclose(f);
    s->gz = gzopen(path, "rb");
    if (!s->gz) {
        SRC_FAIL(s, "cannot open: %s", errno ? strerror(errno) : "out of memory");
        return -1;
    }
    gzbuffer(s->gz, 1 << 16);
    return 0;
}

static void src_close(src *s) {
    if (s->gz) gzclose(s->gz);
    s->gz = NULL;
}

/* Reads exactly n bytes; a short read is a "truncated" error. */
static int src_read(src *s, void *buf, uint64_t n, const char *what) {
    char *p = buf;
    uint64_t got = 0;
    while (got < n) {
        uint64_t chunk = n - got > (1u << 30) ? (1u << 30) : n - got;
        int r = gzread(s->gz, p + got, (unsigned)chunk);
        if (r < 0) {
            int errnum;
            const char *m = gzerror(s->gz, &errnum);
            SRC_FAIL(s, "corrupt data while reading %s: %s", what, m ? m : "read error");
            return -1;
        }
        if (r == 0) {
            SRC_FAIL(s, "truncated: %s needs %llu bytes, the file has only %llu", what,
                     (unsigned long long)n, (unsigned long long)got);
            return -1;
        }
        got += (uint64_t)r;
    }
    return 0;
}

/* The uncompressed length `total` must be what the file holds. */
static int src_check_length(src *s, uint64_t total) {
    if (!s->gzip) {
        if (s->raw_size < total) {
            SRC_FAIL(s, "truncated: the header announces %llu bytes, the file has %llu",
                     (unsigned long long)total, (unsigned long long)s->raw_size);
            return -1;
        }
        if (s->raw_size > total) {
            SRC_FAIL(s, "%llu trailing bytes after the %llu bytes the header announces",
                     (unsigned long long)(s->raw_size - total), (unsigned long long)total);
            return -1;
        }
        return 0;
    }
    if (total / 1032 > s->raw_size || (uint32_t)total != s->isize) {
        SRC_FAIL(s, "the header announces %llu bytes, which does not match the gzip stream "
                 "(%llu compressed bytes, length mod 2^32 %u): truncated or corrupt",
                 (unsigned long long)total, (unsigned long long)s->raw_size, s->isize);
        return -1;
    }
    return 0;
}

/* After the data: the stream must end here (and zlib checks its CRC). */
static int src_expect_end(src *s) {
    unsigned char b;
    int r = gzread(s->gz, &b, 1);
    if (r < 0) {
        int errnum;
        const char *m = gzerror(s->gz, &errnum);
        SRC_FAIL(s, "corrupt data: %s", m ? m : "read error");
        return -1;
    }
    if (r > 0) {
        SRC_FAIL(s, "trailing bytes after the data the header announces");
        return -1;
    }
    return 0;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void swap_bytes(void *data, int64_t n, size_t es) {
    unsigned char *p = data;
    if (es == 1) return;
    for (int64_t i = 0; i < n; i++, p += es)
        for (size_t a = 0, b = es - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* ---------------------------------------------------------------- IDX */
static ct_tensor *idx_read_owned(const char *path) {
    src s;
    if (src_open(&s, path, "idx") < 0) return NULL;
    ct_tensor *out = NULL;
    unsigned char hdr[4 + 4 * CT_MAX_DIMS];
    if (src_read(&s, hdr, 4, "the magic number") < 0) goto done;
    uint32_t magic = be32(hdr);
    int type = hdr[2], nd = hdr[3];
    ct_dtype dt;
    switch (type) {
    case 0x08: dt = CT_UINT8; break;
    case 0x09: dt = CT_INT8; break;
    case 0x0B: dt = CT_INT16; break;
    case 0x0C: dt = CT_INT32; break;
    case 0x0D: dt = CT_FLOAT32; break;
    case 0x0E: dt = CT_FLOAT64; break;
    default: dt = CT_NUM_DTYPES; break;
    }
    if (hdr[0] != 0 || hdr[1] != 0 || dt == CT_NUM_DTYPES || nd < 1 || nd > CT_MAX_DIMS) {
        SRC_FAIL(&s, "bad magic number 0x%08x (expected 0x0000TTDD: type TT in 08, 09, 0B, 0C, "
                 "0D, 0E and 1 to %d dims DD)", magic, CT_MAX_DIMS);
        goto done;
    }
    if (src_read(&s, hdr + 4, 4 * (uint64_t)nd, "the sizes") < 0) goto done;
    int64_t sizes[CT_MAX_DIMS];
    size_t es = ct_dtype_size(dt);
    uint64_t total = 4 + 4 * (uint64_t)nd, nbytes = es;
    for (int d = 0; d < nd; d++) {
        sizes[d] = be32(hdr + 4 + 4 * d);
        /* stays far below 2^64: checked against 2^48 at every step */
        nbytes *= (uint64_t)sizes[d];
        if (nbytes > ((uint64_t)1 << 48)) {
            char buf[256];
            SRC_FAIL(&s, "sizes %s are too large (more than 2^48 bytes of data)",
                     ct_shape_str(sizes, d + 1, buf, sizeof buf));
            goto done;
        }
    }
    total += nbytes;
    if (src_check_length(&s, total) < 0) goto done;
    out = ct__empty(sizes, nd, dt);
    if (!out) goto done;
    if (src_read(&s, ct_data_ptr(out), nbytes, "the data") < 0 || src_expect_end(&s) < 0) {
        ct_release(out);
        out = NULL;
        goto done;
    }
    swap_bytes(ct_data_ptr(out), out->numel, es);
done:
    src_close(&s);
    return out;
}

ct_tensor *ct_idx_read(const char *path) { return ct_autorelease(idx_read_owned(path)); }

/* ---------------------------------------------------------------- MNIST */
ct_dataset *ct_mnist_dataset(const char *images_path, const char *labels_path) {
    ct_tensor *img = idx_read_owned(images_path), *lab = NULL, *lab64 = NULL;
    ct_dataset *ds = NULL;
    if (!img) return NULL;
    if (img->dtype != CT_UINT8 || img->ndim != 3) {
        ct_set_error(CT_ERR_RUNTIME, "MNIST: %s: expected uint8 images [N, H, W], got %s of "
                     "dtype %s", images_path, ct__shp(img), ct_dtype_name(img->dtype));
        goto done;
    }
    lab = idx_read_owned(labels_path);
    if (!lab) goto done;
    if (lab->dtype != CT_UINT8 || lab->ndim != 1 || lab->sizes[0] != img->sizes[0]) {
        ct_set_error(CT_ERR_RUNTIME, "MNIST: %s: expected uint8 labels [%lld], got %s of dtype "
                     "%s", labels_path, (long long)img->sizes[0], ct__shp(lab),
                     ct_dtype_name(lab->dtype));
        goto done;
    }
    lab64 = ct__to_dtype(lab, CT_INT64, false);
    if (!lab64) goto done;
    ds = ct__tensor_dataset_kind((ct_tensor *const[]){img, lab64}, 2, CT__DS_MNIST);
done:
    ct_release(img);
    ct_release(lab);
    ct_release(lab64);
    return ds;
}

ct_dataset *ct_mnist_dataset_dir(const char *root, bool train) {
    const char *pre = train ? "train" : "t10k";
    char ip[4096], lp[4096];
    const char *ext[2] = {".gz", ""};
    for (int e = 0; e < 2; e++) {
        snprintf(ip, sizeof ip, "%s/%s-images-idx3-ubyte%s", root, pre, ext[e]);
        snprintf(lp, sizeof lp, "%s/%s-labels-idx1-ubyte%s", root, pre, ext[e]);
        struct stat st;
        if (stat(ip, &st) == 0 && stat(lp, &st) == 0) return ct_mnist_dataset(ip, lp);
    }
    return CT_DFAIL(CT_ERR_RUNTIME, "MNIST: dataset not found: no %s-images-idx3-ubyte[.gz] and "
                    "%s-labels-idx1-ubyte[.gz] in %s", pre, pre, root);
}

/* ---------------------------------------------------------------- CIFAR */
#define CIFAR_PIXELS 3072

ct_dataset *ct_cifar_dataset(const char *const *paths, int npaths, bool cifar100) {
    if (npaths < 1) return CT_DFAIL(CT_ERR_VALUE, "CIFAR: expects at least one file");
    const int nlab = cifar100 ? 2 : 1, rec = nlab + CIFAR_PIXELS, ncls = cifar100 ? 100 : 10;
    const char *fmt = cifar100 ? "CIFAR100" : "CIFAR10";
    /* pass 1: lengths of every file, before any allocation */
    uint64_t nrec = 0;
    for (int i = 0; i < npaths; i++) {
        src s;
        if (src_open(&s, paths[i], fmt) < 0) return NULL;
        uint64_t len = s.gzip ? s.isize : s.raw_size;
        int bad = len == 0 || len % (uint64_t)rec != 0;
        if (!bad && s.gzip && src_check_length(&s, len) < 0) {
            src_close(&s);
            return NULL;
        }
        src_close(&s);
        if (bad) {
            src t = {.path = paths[i], .fmt = fmt};
            SRC_FAIL(&t, "%llu bytes is not a whole number of %d-byte records",
                     (unsigned long long)len, rec);
            return NULL;
        }
        nrec += len / (uint64_t)rec;
    }
    if (nrec > ((uint64_t)1 << 32))
        return CT_DFAIL(CT_ERR_RUNTIME, "%s: %llu records are too many", fmt,
                        (unsigned long long)nrec);
    ct_tensor *img = ct__empty((const int64_t[]){(int64_t)nrec, 32, 32, 3}, 4, CT_UINT8);
    ct_tensor *lab = ct__empty((const int64_t[]){(int64_t)nrec}, 1, CT_INT64);
    ct_dataset *ds = NULL;
    if (!img || !lab) goto done;
    uint8_t *px = ct_data_ptr(img);
    int64_t *lb = ct_data_ptr(lab);
    unsigned char buf[2 + CIFAR_PIXELS];
    uint64_t r = 0;
    for (int i = 0; i < npaths; i++) {
        src s;
        if (src_open(&s, paths[i], fmt) < 0) goto done;
        uint64_t len = s.gzip ? s.isize : s.raw_size, n = len / (uint64_t)rec;
        for (uint64_t k = 0; k < n; k++, r++) {
            if (r >= nrec || src_read(&s, buf, (uint64_t)rec, "a record") < 0) {
                if (r >= nrec) SRC_FAIL(&s, "the file changed while it was read");
                src_close(&s);
                goto done;
            }
            int label = buf[nlab - 1];
            if (label >= ncls) {
                SRC_FAIL(&s, "record %llu has label %d, expected 0 to %d",
                         (unsigned long long)k, label, ncls - 1);
                src_close(&s);
                goto done;
            }
            lb[r] = label;
            /* CHW planes -> HWC */
            uint8_t *o = px + r * CIFAR_PIXELS;
            const unsigned char *p = buf + nlab;
            for (int c = 0; c < 3; c++)
                for (int j = 0; j < 1024; j++) o[j * 3 + c] = p[c * 1024 + j];
        }
        int end = src_expect_end(&s);
        src_close(&s);
        if (end < 0) goto done;
    }
    if (r != nrec) {
        ct_set_error(CT_ERR_RUNTIME, "%s: the files changed while they were read", fmt);
        goto done;
    }
    ds = ct__tensor_dataset_kind((ct_tensor *const[]){img, lab}, 2,
                                 cifar100 ? CT__DS_CIFAR100 : CT__DS_CIFAR10);
done:
    ct_release(img);
    ct_release(lab);
    return ds;
}
