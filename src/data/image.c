/* Image decoding: JPEG through libjpeg-turbo, PNG through libpng, into uint8
 * [H, W, C] with Pillow's channel conversions.
 *
 * Both libraries report fatal errors through a callback that must not
 * return; ours longjmp back to the decoder with the library's message, so a
 * corrupt file is an error, never an abort. Everything the decoder
 * allocates lives in a dec_state reached through a pointer that is not
 * changed after setjmp, so it is released on both paths. */
#include "data_image.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

typedef struct dec_state {
    const char *name;
    const uint8_t *data;
    size_t len, pos;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX + 256];
    uint8_t *pixels; /* decoded, nc channels */
    uint8_t **rows;
    int64_t h, w;
    int nc;
} dec_state;

static int64_t mode_channels(ct_image_mode mode, int nc) {
    switch (mode) {
    case CT_IMAGE_GRAY: return 1;
    case CT_IMAGE_GRAY_ALPHA: return 2;
    case CT_IMAGE_RGB: return 3;
    case CT_IMAGE_RGB_ALPHA: return 4;
    default: return nc;
    }
}

static int check_dims(dec_state *st, int64_t w, int64_t h) {
    if (w <= 0 || h <= 0) {
        ct_set_error(CT_ERR_VALUE, "image: %s: invalid size %lldx%lld", st->name, (long long)w,
                     (long long)h);
        return -1;
    }
    if (w > CT_IMAGE_MAX_PIXELS / h) {
        ct_set_error(CT_ERR_VALUE, "image: %s: image size (%lldx%lld = %lld pixels) exceeds the "
                     "limit of %lld pixels, could be a decompression bomb", st->name,
                     (long long)w, (long long)h, (long long)(w * h),
                     (long long)CT_IMAGE_MAX_PIXELS);
        return -1;
    }
    return 0;
}

/* Pillow's RGB -> L (libImaging/Convert.c, L24). */
static inline uint8_t luma(const uint8_t *p) {
    return (uint8_t)(((uint32_t)p[0] * 19595 + (uint32_t)p[1] * 38470 + (uint32_t)p[2] * 7471 +
                      0x8000) >> 16);
}

/* Pixels with nc channels (1 L, 2 LA, 3 RGB, 4 RGBA) to an owned uint8
 * [h, w, oc] tensor with Pillow's convert() rules: alpha is dropped (no
 * compositing) or set to 255, gray is replicated, RGB -> L by luma. */
static ct_tensor *convert_pixels(const uint8_t *src, int64_t h, int64_t w, int nc, int oc) {
    ct_tensor *out = ct__empty((const int64_t[]){h, w, oc}, 3, CT_UINT8);
    if (!out) return NULL;
    uint8_t *dst = ct_data_ptr(out);
    int64_t n = h * w;
    if (nc == oc) {
        memcpy(dst, src, (size_t)(n * nc));
        return out;
    }
    bool src_color = nc >= 3, src_alpha = nc == 2 || nc == 4;
    bool dst_color = oc >= 3, dst_alpha = oc == 2 || oc == 4;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *p = src + i * nc;
        uint8_t *q = dst + i * oc;
        if (dst_color) {
            if (src_color) {
                q[0] = p[0], q[1] = p[1], q[2] = p[2];
            } else {
                q[0] = q[1] = q[2] = p[0];
            }
        } else {
            q[0] = src_color ? luma(p) : p[0];
        }
        if (dst_alpha) q[oc - 1] = src_alpha ? p[nc - 1] : 255;
    }
    return out;
}

/* ---------------------------------------------------------------- JPEG */
typedef struct jpeg_err {
    struct jpeg_error_mgr mgr;
    dec_state *st;
} jpeg_err;

static void jpeg_error_exit_cb(j_common_ptr cinfo) {
    jpeg_err *e = (jpeg_err *)cinfo->err;
    char buf[JMSG_LENGTH_MAX];
    e->mgr.format_message(cinfo, buf);
    snprintf(e->st->msg, sizeof e->st->msg, "%s", buf);
    longjmp(e->st->jb, 1);
}

/* Warnings are silent, except the data running out: Pillow refuses a
 * truncated JPEG ("image file is truncated"), libjpeg would pad it gray. */
static void jpeg_emit_message_cb(j_common_ptr cinfo, int level) {
    jpeg_err *e = (jpeg_err *)cinfo->err;
    if (level < 0 && e->mgr.msg_code == JWRN_JPEG_EOF) {
        snprintf(e->st->msg, sizeof e->st->msg, "image file is truncated");
        longjmp(e->st->jb, 1);
    }
}

static ct_tensor *decode_jpeg(dec_state *st, ct_image_mode mode) {
    struct jpeg_decompress_struct cinfo;
    jpeg_err err;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_error_exit_cb;
    err.mgr.emit_message = jpeg_emit_message_cb;
    err.st = st;
    if (setjmp(st->jb)) {
        jpeg_destroy_decompress(&cinfo);
        ct_set_error(CT_ERR_VALUE, "image: %s: bad JPEG: %s", st->name, st->msg);
        return NULL;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, st->data, (unsigned long)st->len);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&cinfo);
        ct_set_error(CT_ERR_NOT_IMPL, "image: %s: CMYK/YCCK JPEG images are not implemented",
                     st->name);
        return NULL;
    }
    if (check_dims(st, cinfo.image_width, cinfo.image_height) < 0) {
        jpeg_destroy_decompress(&cinfo);
        return NULL;
    }
    /* Pillow decodes color JPEGs to RGB and converts to L itself (luma of
     * the RGB pixels, not libjpeg's Y channel). */
    bool gray = cinfo.num_components == 1;
    cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    st->w = cinfo.output_width;
    st->h = cinfo.output_height;
    st->nc = cinfo.output_components;
    st->pixels = malloc((size_t)(st->w * st->h * st->nc));
    if (!st->pixels) {
        jpeg_destroy_decompress(&cinfo);
        ct_set_error(CT_ERR_MEMORY, "image: %s: out of memory", st->name);
        return NULL;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = st->pixels + (size_t)cinfo.output_scanline * (size_t)(st->w * st->nc);
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return convert_pixels(st->pixels, st->h, st->w, st->nc, (int)mode_channels(mode, st->nc));
}

/* ---------------------------------------------------------------- PNG */
static void png_error_cb(png_structp png, png_const_charp msg) {
    dec_state *st = png_get_error_ptr(png);
    snprintf(st->msg, sizeof st->msg, "%s", msg);
    longjmp(st->jb, 1);
}

static void png_warning_cb(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

static void png_read_cb(png_structp png, png_bytep out, size_t n) {
    dec_state *st = png_get_io_ptr(png);
    if (n > st->len - st->pos) png_error(png, "image file is truncated");
    memcpy(out, st->data + st->pos, n);
    st->pos += n;
}

static ct_tensor *decode_png(dec_state *st, ct_image_mode mode) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, st, png_error_cb,
                                             png_warning_cb);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, NULL, NULL);
        ct_set_error(CT_ERR_MEMORY, "image: %s: out of memory", st->name);
        return NULL;
    }
    /* png_error_cb longjmps here (never to libpng's own png_jmpbuf) */
    if (setjmp(st->jb)) {
        png_destroy_read_struct(&png, &info, NULL);
        ct_set_error(CT_ERR_VALUE, "image: %s: bad PNG: %s", st->name, st->msg);
        return NULL;
    }
    png_set_read_fn(png, st, png_read_cb);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (check_dims(st, w, h) < 0) {
        png_destroy_read_struct(&png, &info, NULL);
        return NULL;
    }
    int depth = png_get_bit_depth(png, info), ctype = png_get_color_type(png, info);
    /* Pillow: palette -> RGB(A) (alpha from tRNS), 1/2/4-bit gray scaled to
     * 0..255, 16-bit samples -> their high byte, gray + tRNS stays L (the
     * transparent value is metadata there, not an alpha channel) */
    if (ctype == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
        if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    } else if (png_get_valid(png, info, PNG_INFO_tRNS) && ctype == PNG_COLOR_TYPE_RGB) {
        png_set_tRNS_to_alpha(png);
    }
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    /* Pillow 9 opens 16-bit gray as mode I, whose convert() to L or RGB
     * clips at 255 instead of keeping the high byte */
    bool gray16 = ctype == PNG_COLOR_TYPE_GRAY && depth == 16;
    if (depth == 16 && !gray16) png_set_strip_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    st->w = w;
    st->h = h;
    st->nc = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (st->nc < 1 || st->nc > 4 || rowbytes != (size_t)(st->w * st->nc * (gray16 ? 2 : 1))) {
        png_destroy_read_struct(&png, &info, NULL);
        ct_set_error(CT_ERR_NOT_IMPL, "image: %s: PNG layout (color type %d, bit depth %d) is "
                     "not implemented", st->name, ctype, depth);
        return NULL;
    }
    st->pixels = malloc(rowbytes * (size_t)st->h);
    st->rows = malloc(sizeof(uint8_t *) * (size_t)st->h);
    if (!st->pixels || !st->rows) {
        png_destroy_read_struct(&png, &info, NULL);
        ct_set_error(CT_ERR_MEMORY, "image: %s: out of memory", st->name);
        return NULL;
    }
    for (int64_t y = 0; y < st->h; y++) st->rows[y] = st->pixels + (size_t)y * rowbytes;
    png_read_image(png, st->rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    if (gray16)
        for (int64_t i = 0; i < st->w * st->h; i++) {
            unsigned v = (unsigned)st->pixels[2 * i] << 8 | st->pixels[2 * i + 1];
            st->pixels[i] = (uint8_t)(v > 255 ? 255 : v);
        }
    return convert_pixels(st->pixels, st->h, st->w, st->nc, (int)mode_channels(mode, st->nc));
}

/* ---------------------------------------------------------------- public */
static ct_tensor *decode_owned(const uint8_t *data, size_t len, ct_image_mode mode,
                               const char *name) {
    if ((int)mode < CT_IMAGE_UNCHANGED || (int)mode > CT_IMAGE_RGB_ALPHA)
        return CT_DFAIL(CT_ERR_VALUE, "image: %s: unknown read mode %d", name, (int)mode);
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    dec_state *st = calloc(1, sizeof *st);
    if (!st) return CT_DFAIL(CT_ERR_MEMORY, "image: %s: out of memory", name);
    st->name = name;
    st->data = data;
    st->len = len;
    ct_tensor *out = NULL;
    if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        out = decode_jpeg(st, mode);
    else if (len >= 8 && memcmp(data, png_sig, 8) == 0)
        out = decode_png(st, mode);
    else if (len == 0)
        ct_set_error(CT_ERR_VALUE, "image: %s: the file is empty", name);
    else
        ct_set_error(CT_ERR_NOT_IMPL, "image: %s: cannot identify image file (only JPEG and PNG "
                     "are implemented)", name);
    free(st->pixels);
    free(st->rows);
    free(st);
    return out;
}

ct_tensor *ct_image_decode(const uint8_t *data, size_t len, ct_image_mode mode, const char *name) {
    if (!data && len) return CT_DFAIL(CT_ERR_VALUE, "image: data is NULL");
    return ct_autorelease(decode_owned(data, len, mode, name ? name : "<memory>"));
}

/* Reads a whole file (malloc'd, *len bytes); NULL with an error. */
uint8_t *ct__read_file(const char *path, size_t *len, const char *who) {
    FILE *f = fopen(path, "rb");
    if (!f) return CT_DFAIL(CT_ERR_RUNTIME, "%s: cannot open %s", who, path);
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return CT_DFAIL(CT_ERR_MEMORY, "%s: %s: out of memory", who, path);
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb) free(buf);
        buf = nb;
        cap *= 2;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return CT_DFAIL(CT_ERR_RUNTIME, "%s: error reading %s", who, path);
    }
    *len = n;
    return buf;
}

ct_tensor *ct__image_read_owned(const char *path, ct_image_mode mode) {
    if (!path) return CT_DFAIL(CT_ERR_VALUE, "image: path is NULL");
    size_t len = 0;
    uint8_t *buf = ct__read_file(path, &len, "image");
    if (!buf) return NULL;
    ct_tensor *out = decode_owned(buf, len, mode, path);
    free(buf);
    return out;
}

ct_tensor *ct_image_read(const char *path, ct_image_mode mode) {
    return ct_autorelease(ct__image_read_owned(path, mode));
}
