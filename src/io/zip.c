/* The zip container of PyTorch's format: a reader of the central directory
 * (zip64, stored and deflated entries: what torch and other writers
 * produce) and a writer of stored entries whose data starts 64-byte aligned,
 * as PyTorch's writer does (so that records can be mapped in place).
 * Every offset and size read from a file is checked against its length. */
#include "io/io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static int fail_(void) { return -1; }
#define ZFAIL(...) (ct_set_error(CT_ERR_RUNTIME, "ct_load: " __VA_ARGS__), fail_())

/* ------------------------------------------------------------ reader */
int ct__zip_open(ct_zip *z, const void *buf, size_t len) {
    memset(z, 0, sizeof *z);
    z->buf = buf;
    z->len = len;
    const unsigned char *b = buf;
    if (len < 22) return ZFAIL("not a zip archive: file of %zu bytes is too short", len);
    if (rd32(b) != 0x04034b50 && rd32(b) != 0x06054b50) {
        if (len >= 2 && b[0] == 0x80)
            return ZFAIL("the file is in PyTorch's legacy (pre-1.6, non-zip) format, which is "
                         "not supported; re-save it with torch.save(obj, f)");
        return ZFAIL("not a zip archive (PyTorch's format): bad signature");
    }
    /* End of central directory: the last 22..65557 bytes. */
    size_t eocd = (size_t)-1;
    size_t lo = len > 65557 ? len - 65557 : 0;
    for (size_t i = len - 22 + 1; i-- > lo;)
        if (rd32(b + i) == 0x06054b50) {
            eocd = i;
            break;
        }
    if (eocd == (size_t)-1) return ZFAIL("failed finding central directory (truncated or corrupt zip archive)");
    uint64_t nent = rd16(b + eocd + 10), cdsize = rd32(b + eocd + 12), cdoff = rd32(b + eocd + 16);
    if (nent == 0xFFFF || cdsize == 0xFFFFFFFF || cdoff == 0xFFFFFFFF) {
        if (eocd < 20 || rd32(b + eocd - 20) != 0x07064b50)
            return ZFAIL("zip64 end of central directory locator missing");
        uint64_t z64 = rd64(b + eocd - 20 + 8);
        if (len < 56 || z64 > len - 56 || rd32(b + z64) != 0x06064b50)
            return ZFAIL("bad zip64 end of central directory record");
        nent = rd64(b + z64 + 32);
        cdsize = rd64(b + z64 + 40);
        cdoff = rd64(b + z64 + 48);
    }
    if (cdoff > len || cdsize > len - cdoff)
        return ZFAIL("central directory (offset %llu, size %llu) lies outside the file of %zu bytes",
                     (unsigned long long)cdoff, (unsigned long long)cdsize, len);
    if (nent > cdsize / 46) return ZFAIL("central directory declares %llu entries in %llu bytes",
                                         (unsigned long long)nent, (unsigned long long)cdsize);
    z->e = calloc(nent ? nent : 1, sizeof *z->e);
    if (!z->e) return ZFAIL("out of memory reading the central directory");
    const unsigned char *p = b + cdoff, *end = b + cdoff + cdsize;
    for (uint64_t k = 0; k < nent; k++) {
        if (end - p < 46 || rd32(p) != 0x02014b50) {
            ct__zip_close(z);
            return ZFAIL("corrupt central directory entry %llu", (unsigned long long)k);
        }
        ct_zip_entry *e = &z->e[z->n];
        e->method = rd16(p + 10);
        e->crc = rd32(p + 16);
        e->csize = rd32(p + 20);
        e->usize = rd32(p + 24);
        size_t nlen = rd16(p + 28), xlen = rd16(p + 30), clen = rd16(p + 32);
        uint64_t lho = rd32(p + 42);
        if ((size_t)(end - p) < 46 + nlen + xlen + clen) {
            ct__zip_close(z);
            return ZFAIL("corrupt central directory entry %llu", (unsigned long long)k);
        }
        /* zip64 extra: the fields whose 32-bit value is 0xFFFFFFFF, in order */
        const unsigned char *x = p + 46 + nlen, *xe = x + xlen;
        while (xe - x >= 4) {
            uint16_t id = rd16(x), sz = rd16(x + 2);
            if ((size_t)(xe - x - 4) < sz) break;
            if (id == 1) {
                const unsigned char *f = x + 4, *fe = f + sz;
                if (e->usize == 0xFFFFFFFF && fe - f >= 8) e->usize = rd64(f), f += 8;
                if (e->csize == 0xFFFFFFFF && fe - f >= 8) e->csize = rd64(f), f += 8;
                if (lho == 0xFFFFFFFF && fe - f >= 8) lho = rd64(f), f += 8;
            }
            x += 4 + sz;
        }
        e->name = malloc(nlen + 1);
        if (!e->name) {
            ct__zip_close(z);
            return ZFAIL("out of memory");
        }
        memcpy(e->name, p + 46, nlen);
        e->name[nlen] = 0;
        z->n++;
        if (lho > len || len - lho < 30 || rd32(b + lho) != 0x04034b50) {
            ZFAIL("bad local header of entry '%s'", e->name);
            ct__zip_close(z);
            return -1;
        }
        uint64_t doff = lho + 30 + rd16(b + lho + 26) + rd16(b + lho + 28);
        if (doff > len || e->csize > len - doff) {
            ZFAIL("entry '%s' (%llu bytes) extends past the end of the file", e->name,
                  (unsigned long long)e->csize);
            ct__zip_close(z);
            return -1;
        }
        e->data_off = doff;
        p += 46 + nlen + xlen + clen;
    }
    return 0;
}

void ct__zip_close(ct_zip *z) {
    for (size_t i = 0; i < z->n; i++) free(z->e[i].name);
    free(z->e);
    z->e = NULL;
    z->n = 0;
}

const ct_zip_entry *ct__zip_find(const ct_zip *z, const char *name) {
    for (size_t i = 0; i < z->n; i++)
        if (strcmp(z->e[i].name, name) == 0) return &z->e[i];
    return NULL;
}

int ct__zip_read(const ct_zip *z, const ct_zip_entry *e, const unsigned char **data, void **owned) {
    *owned = NULL;
    const unsigned char *src = z->buf + e->data_off;
    if (e->method == 0) {
        if (e->usize != e->csize)
            return ZFAIL("stored entry '%s' declares %llu bytes but holds %llu", e->name,
                         (unsigned long long)e->usize, (unsigned long long)e->csize);
        *data = src;
    } else if (e->method == 8) {
        /* deflate expands at most 1032:1; a larger claim is a lie */
        if (e->usize > e->csize * 1032 + 1024)
            return ZFAIL("deflated entry '%s' declares %llu bytes from %llu compressed", e->name,
                         (unsigned long long)e->usize, (unsigned long long)e->csize);
        unsigned char *out = malloc(e->usize ? e->usize : 1);
        if (!out) return ZFAIL("out of memory inflating '%s'", e->name);
        z_stream s;
        memset(&s, 0, sizeof s);
        if (inflateInit2(&s, -15) != Z_OK) {
            free(out);
            return ZFAIL("zlib init failed");
        }
        uint64_t in_left = e->csize, out_left = e->usize;
        const unsigned char *ip = src;
        unsigned char *op = out;
        int r = Z_OK;
        while (r == Z_OK) {
            uInt ci = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
            uInt co = out_left > (1u << 30) ? (1u << 30) : (uInt)out_left;
            s.next_in = (Bytef *)ip;
            s.avail_in = ci;
            s.next_out = op;
            s.avail_out = co;
            r = inflate(&s, Z_NO_FLUSH);
            ip += ci - s.avail_in;
            in_left -= ci - s.avail_in;
            op += co - s.avail_out;
            out_left -= co - s.avail_out;
            if (r == Z_OK && ci == s.avail_in && co == s.avail_out) r = Z_BUF_ERROR; /* no progress */
        }
        inflateEnd(&s);
        if (r != Z_STREAM_END || out_left) {
            free(out);
            return ZFAIL("corrupt deflated data in '%s'", e->name);
        }
        *data = out;
        *owned = out;
    } else {
        return ZFAIL("entry '%s' uses zip compression method %u (only stored and deflate are "
                     "supported)", e->name, e->method);
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    for (uint64_t off = 0; off < e->usize;) {
        uInt c = e->usize - off > (1u << 30) ? (1u << 30) : (uInt)(e->usize - off);
        crc = crc32(crc, *data + off, c);
        off += c;
    }
    if ((uint32_t)crc != e->crc) {
        free(*owned);
        *owned = NULL;
        return ZFAIL("CRC-32 mismatch in '%s' (corrupt file)", e->name);
    }
    return 0;
}

/* ------------------------------------------------------------ sink */
int ct__sink_write(ct_sink *s, const void *p, size_t n) {
    if (s->failed) return -1;
    if (s->f) {
        if (n && fwrite(p, 1, n, s->f) != n) {
            s->failed = true;
            ct_set_error(CT_ERR_RUNTIME, "ct_save: write failed: %s", strerror(errno));
            return -1;
        }
    } else {
        if (s->len + n > s->cap) {
            size_t nc = s->cap ? s->cap : 4096;
            while (nc < s->len + n) nc *= 2;
            unsigned char *b = realloc(s->buf, nc);
            if (!b) {
                s->failed = true;
                ct_set_error(CT_ERR_MEMORY, "ct_save: out of memory (%zu bytes)", nc);
                return -1;
            }
            s->buf = b, s->cap = nc;
        }
        if (n) memcpy(s->buf + s->len, p, n);
        s->len += n;
    }
    s->pos += n;
    return 0;
}

/* ------------------------------------------------------------ writer */
bool ct__zip_force_zip64;

static void wr16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8); }
static void wr32(unsigned char *p, uint32_t v) { wr16(p, (uint16_t)v), wr16(p + 2, (uint16_t)(v >> 16)); }
static void wr64(unsigned char *p, uint64_t v) { wr32(p, (uint32_t)v), wr32(p + 4, (uint32_t)(v >> 32)); }

int ct__zip_add(ct_zip_writer *w, const char *name, const void *data, size_t len) {
    size_t nlen = strlen(name);
    if (nlen > 0xFFFF) {
        ct_set_error(CT_ERR_VALUE, "ct_save: record name too long");
        return -1;
    }
    if (w->n == w->cap) {
        size_t nc = w->cap ? 2 * w->cap : 16;
        void *e = realloc(w->e, nc * sizeof *w->e);
        if (!e) {
            ct_set_error(CT_ERR_MEMORY, "ct_save: out of memory");
            return -1;
        }
        w->e = e, w->cap = nc;
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < len;) {
        uInt c = len - off > (1u << 30) ? (1u << 30) : (uInt)(len - off);
        crc = crc32(crc, (const Bytef *)data + off, c);
        off += c;
    }
    uint64_t off = w->out->pos;
    bool z64 = len >= 0xFFFFFFFFu || ct__zip_force_zip64;
    size_t x64 = z64 ? 20 : 0;
    /* pad with a "FB" extra field so that the data starts 64-byte aligned */
    size_t base = off + 30 + nlen + x64 + 4;
    size_t pad = (64 - base % 64) % 64;
    unsigned char h[30 + 20 + 4];
    memset(h, 0, sizeof h);
    wr32(h, 0x04034b50);
    wr16(h + 4, z64 ? 45 : 20);
    wr16(h + 6, 0x0800); /* UTF-8 names */
    wr16(h + 8, 0);      /* stored */
    wr32(h + 14, (uint32_t)crc);
    wr32(h + 18, z64 ? 0xFFFFFFFFu : (uint32_t)len);
    wr32(h + 22, z64 ? 0xFFFFFFFFu : (uint32_t)len);
    wr16(h + 26, (uint16_t)nlen);
    wr16(h + 28, (uint16_t)(x64 + 4 + pad));
    char *nm = strdup(name);
    if (!nm) {
        ct_set_error(CT_ERR_MEMORY, "ct_save: out of memory");
        return -1;
    }
    if (ct__sink_write(w->out, h, 30) < 0 || ct__sink_write(w->out, name, nlen) < 0) goto fail;
    if (z64) {
        unsigned char x[20];
        wr16(x, 1), wr16(x + 2, 16), wr64(x + 4, len), wr64(x + 12, len);
        if (ct__sink_write(w->out, x, 20) < 0) goto fail;
    }
    unsigned char fb[4 + 64];
    wr16(fb, 0x4246); /* "FB", PyTorch's padding field */
    wr16(fb + 2, (uint16_t)pad);
    memset(fb + 4, 'Z', pad);
    if (ct__sink_write(w->out, fb, 4 + pad) < 0 || ct__sink_write(w->out, data, len) < 0) goto fail;
    w->e[w->n].name = nm;
    w->e[w->n].crc = (uint32_t)crc;
    w->e[w->n].size = len;
    w->e[w->n].off = off;
    w->n++;
    return 0;
fail:
    free(nm);
    return -1;
}

void ct__zip_writer_free(ct_zip_writer *w) {
    for (size_t i = 0; i < w->n; i++) free(w->e[i].name);
    free(w->e);
    w->e = NULL;
    w->n = w->cap = 0;
}

int ct__zip_finish(ct_zip_writer *w) {
    uint64_t cdoff = w->out->pos;
    bool any64 = false;
    for (size_t i = 0; i < w->n; i++) {
        bool bs = w->e[i].size >= 0xFFFFFFFFu || ct__zip_force_zip64;
        bool bo = w->e[i].off >= 0xFFFFFFFFu || ct__zip_force_zip64;
        size_t nlen = strlen(w->e[i].name);
        size_t xl = (bs ? 16 : 0) + (bo ? 8 : 0);
        unsigned char h[46 + 4 + 24];
        memset(h, 0, sizeof h);
        wr32(h, 0x02014b50);
        wr16(h + 4, (bs || bo) ? 45 : 20);
        wr16(h + 6, (bs || bo) ? 45 : 20);
        wr16(h + 8, 0x0800);
        wr32(h + 16, w->e[i].crc);
        wr32(h + 20, bs ? 0xFFFFFFFFu : (uint32_t)w->e[i].size);
        wr32(h + 24, bs ? 0xFFFFFFFFu : (uint32_t)w->e[i].size);
        wr16(h + 28, (uint16_t)nlen);
        wr16(h + 30, (uint16_t)(xl ? xl + 4 : 0));
        wr32(h + 42, bo ? 0xFFFFFFFFu : (uint32_t)w->e[i].off);
        unsigned char *x = h + 46;
        size_t xn = 0;
        if (xl) {
            wr16(x, 1), wr16(x + 2, (uint16_t)xl);
            xn = 4;
            if (bs) wr64(x + xn, w->e[i].size), wr64(x + xn + 8, w->e[i].size), xn += 16;
            if (bo) wr64(x + xn, w->e[i].off), xn += 8;
            any64 = true;
        }
        if (ct__sink_write(w->out, h, 46) < 0 || ct__sink_write(w->out, w->e[i].name, nlen) < 0 ||
            ct__sink_write(w->out, x, xn) < 0)
            goto fail;
    }
    uint64_t cdsize = w->out->pos - cdoff;
    if (any64 || w->n >= 0xFFFF || cdoff >= 0xFFFFFFFFu || cdsize >= 0xFFFFFFFFu) {
        any64 = true;
        uint64_t z64off = w->out->pos;
        unsigned char r[56 + 20];
        memset(r, 0, sizeof r);
        wr32(r, 0x06064b50);
        wr64(r + 4, 44);
        wr16(r + 12, 45), wr16(r + 14, 45);
        wr64(r + 24, w->n), wr64(r + 32, w->n), wr64(r + 40, cdsize), wr64(r + 48, cdoff);
        wr32(r + 56, 0x07064b50);
        wr64(r + 56 + 8, z64off);
        wr32(r + 56 + 16, 1);
        if (ct__sink_write(w->out, r, sizeof r) < 0) goto fail;
    }
    unsigned char e[22];
    memset(e, 0, sizeof e);
    wr32(e, 0x06054b50);
    wr16(e + 8, any64 ? 0xFFFF : (uint16_t)w->n);
    wr16(e + 10, any64 ? 0xFFFF : (uint16_t)w->n);
    wr32(e + 12, any64 ? 0xFFFFFFFFu : (uint32_t)cdsize);
    wr32(e + 16, any64 ? 0xFFFFFFFFu : (uint32_t)cdoff);
    if (ct__sink_write(w->out, e, 22) < 0) goto fail;
    ct__zip_writer_free(w);
    return 0;
fail:
    ct__zip_writer_free(w);
    return -1;
}

/* ------------------------------------------------------------ files */
int ct__map_file(const char *op, const char *path, const unsigned char **buf, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ct_set_error(CT_ERR_RUNTIME, "%s: cannot open '%s': %s", op, path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        ct_set_error(CT_ERR_RUNTIME, "%s: '%s' is not a regular file", op, path);
        return -1;
    }
    *len = (size_t)st.st_size;
    if (*len == 0) {
        close(fd);
        *buf = (const unsigned char *)"";
        return 0;
    }
    void *p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        ct_set_error(CT_ERR_RUNTIME, "%s: cannot map '%s': %s", op, path, strerror(errno));
        return -1;
    }
    *buf = p;
    return 0;
}

void ct__unmap_file(const unsigned char *buf, size_t len) {
    if (len) munmap((void *)buf, len);
}
