/* Image decoding, ImageFolder and CSV. The tests write their own PNG files
 * (libpng), JPEG files (libjpeg) and CSV files into a temporary folder;
 * expected pixels are the ones written (PNG, lossless) with Pillow's
 * conversion rules computed here, or the written ones within JPEG's loss.
 * Pixel equality with Pillow itself is checked in tests/python/test_data_c.py. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

static char tmpdir[64];

static const char *tmp_path(const char *name) {
    static _Thread_local char buf[8][256];
    static _Thread_local int k;
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/ct_img_XXXXXX");
        if (!mkdtemp(tmpdir)) tmpdir[0] = 0;
    }
    char *b = buf[k++ & 7];
    snprintf(b, 256, "%s/%s", tmpdir, name);
    return b;
}

__attribute__((destructor)) static void remove_tmpdir(void) {
    if (!tmpdir[0]) return;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

static void mkdirs(const char *rel) {
    char p[256];
    snprintf(p, sizeof p, "%s", tmp_path(rel));
    for (char *s = p + strlen(tmpdir) + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0700);
            *s = '/';
        }
    mkdir(p, 0700);
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(data, 1, n, f);
    fclose(f);
}

static uint8_t *read_bytes(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

/* Writes a PNG of color type ctype, bit depth depth, from samples (one
 * value per channel, already in the file's depth). palette: 3 * npal RGB
 * bytes, trns: npal alpha bytes or NULL. */
static int write_png(const char *path, int w, int h, int ctype, int depth, const uint16_t *samples,
                     const uint8_t *palette, int npal, const uint8_t *trns) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, ctype, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (palette) png_set_PLTE(png, info, (png_const_colorp)palette, npal);
    if (trns) png_set_tRNS(png, info, trns, npal, NULL);
    png_write_info(png, info);
    int ch = ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_PALETTE ? 1
             : ctype == PNG_COLOR_TYPE_GRAY_ALPHA                       ? 2
             : ctype == PNG_COLOR_TYPE_RGB                              ? 3
                                                                        : 4;
    size_t rowbytes = ((size_t)w * (size_t)ch * (size_t)depth + 7) / 8;
    uint8_t *row = calloc(rowbytes, 1);
    for (int y = 0; y < h; y++) {
        memset(row, 0, rowbytes);
        for (int i = 0; i < w * ch; i++) {
            unsigned v = samples[y * w * ch + i];
            if (depth == 16) {
                row[2 * i] = (uint8_t)(v >> 8);
                row[2 * i + 1] = (uint8_t)v;
            } else if (depth == 8) {
                row[i] = (uint8_t)v;
            } else {
                int bit = i * depth;
                row[bit / 8] |= (uint8_t)(v << (8 - depth - bit % 8));
            }
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    fclose(f);
    return 0;
}

static int write_jpeg(const char *path, int w, int h, int comps, const uint8_t *px, int quality) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = comps;
    c.in_color_space = comps == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (comps == 3)
        for (int i = 0; i < 3; i++) c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW r = (JSAMPROW)(px + (size_t)c.next_scanline * (size_t)(w * comps));
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
    return 0;
}

static uint8_t luma(int r, int g, int b) {
    return (uint8_t)(((unsigned)r * 19595 + (unsigned)g * 38470 + (unsigned)b * 7471 + 0x8000) >> 16);
}

static int px_at(const ct_tensor *t, int64_t y, int64_t x, int64_t c) {
    return (int)ct_item_at(t, (y * t->sizes[1] + x) * t->sizes[2] + c);
}

/* ---------------------------------------------------------------- PNG */
TEST(data_image, png_rgb_and_conversions_exact) {
    enum { W = 7, H = 5 };
    uint16_t s[W * H * 4];
    for (int i = 0; i < W * H * 4; i++) s[i] = (uint16_t)((i * 37 + 11) % 256);
    const char *p = tmp_path("rgba.png");
    CHECK(write_png(p, W, H, PNG_COLOR_TYPE_RGB_ALPHA, 8, s, NULL, 0, NULL) == 0);
    ct_tensor *rgba = ct_image_read(p, CT_IMAGE_UNCHANGED);
    CHECK_OK(rgba);
    CHECK(rgba->ndim == 3 && rgba->sizes[0] == H && rgba->sizes[1] == W && rgba->sizes[2] == 4);
    CHECK(rgba->dtype == CT_UINT8);
    ct_tensor *rgb = ct_image_read(p, CT_IMAGE_RGB), *l = ct_image_read(p, CT_IMAGE_GRAY);
    ct_tensor *la = ct_image_read(p, CT_IMAGE_GRAY_ALPHA);
    CHECK_OK(rgb);
    CHECK_OK(l);
    CHECK_OK(la);
    CHECK(rgb->sizes[2] == 3 && l->sizes[2] == 1 && la->sizes[2] == 2);
    int bad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const uint16_t *q = s + (y * W + x) * 4;
            for (int c = 0; c < 4; c++) bad += px_at(rgba, y, x, c) != q[c];
            for (int c = 0; c < 3; c++) bad += px_at(rgb, y, x, c) != q[c];
            bad += px_at(l, y, x, 0) != luma(q[0], q[1], q[2]);
            bad += px_at(la, y, x, 1) != q[3];
        }
    CHECK(bad == 0);
}

TEST(data_image, png_gray_palette_low_depth_and_16_bit) {
    enum { W = 9, H = 3 };
    uint16_t g[W * H], g16[W * H], g2[W * H], rgb16[W * H * 3], pal_idx[W * H];
    for (int i = 0; i < W * H; i++) {
        g[i] = (uint16_t)(i * 9);
        g16[i] = (uint16_t)(i * 1000 + 7);
        g2[i] = (uint16_t)(i % 4);
        pal_idx[i] = (uint16_t)(i % 3);
    }
    for (int i = 0; i < W * H * 3; i++) rgb16[i] = (uint16_t)(i * 2400 + 300);
    CHECK(write_png(tmp_path("g.png"), W, H, PNG_COLOR_TYPE_GRAY, 8, g, NULL, 0, NULL) == 0);
    CHECK(write_png(tmp_path("g16.png"), W, H, PNG_COLOR_TYPE_GRAY, 16, g16, NULL, 0, NULL) == 0);
    CHECK(write_png(tmp_path("g2.png"), W, H, PNG_COLOR_TYPE_GRAY, 2, g2, NULL, 0, NULL) == 0);
    CHECK(write_png(tmp_path("rgb16.png"), W, H, PNG_COLOR_TYPE_RGB, 16, rgb16, NULL, 0, NULL) == 0);
    const uint8_t pal[9] = {255, 0, 0, 0, 255, 0, 10, 20, 30}, trns[3] = {255, 128, 0};
    CHECK(write_png(tmp_path("p.png"), W, H, PNG_COLOR_TYPE_PALETTE, 8, pal_idx, pal, 3, trns) == 0);
    ct_tensor *a = ct_image_read(tmp_path("g.png"), CT_IMAGE_RGB);
    ct_tensor *b = ct_image_read(tmp_path("g16.png"), CT_IMAGE_GRAY);
    ct_tensor *c = ct_image_read(tmp_path("g2.png"), CT_IMAGE_UNCHANGED);
    ct_tensor *d = ct_image_read(tmp_path("rgb16.png"), CT_IMAGE_RGB);
    ct_tensor *e = ct_image_read(tmp_path("p.png"), CT_IMAGE_UNCHANGED);
    ct_tensor *e3 = ct_image_read(tmp_path("p.png"), CT_IMAGE_RGB);
    CHECK_OK(a);
    CHECK_OK(b);
    CHECK_OK(c);
    CHECK_OK(d);
    CHECK_OK(e);
    CHECK_OK(e3);
    CHECK(e->sizes[2] == 4 && e3->sizes[2] == 3 && c->sizes[2] == 1);
    int bad = 0;
    for (int i = 0; i < W * H; i++) {
        int y = i / W, x = i % W;
        for (int k = 0; k < 3; k++) bad += px_at(a, y, x, k) != g[i];
        bad += px_at(b, y, x, 0) != (g16[i] > 255 ? 255 : g16[i]); /* Pillow 9's mode I clip */
        bad += px_at(c, y, x, 0) != g2[i] * 85;                    /* 2-bit scaled to 0..255 */
        for (int k = 0; k < 3; k++) bad += px_at(d, y, x, k) != rgb16[i * 3 + k] >> 8;
        for (int k = 0; k < 3; k++) bad += px_at(e, y, x, k) != pal[pal_idx[i] * 3 + k];
        bad += px_at(e, y, x, 3) != trns[pal_idx[i]];
        for (int k = 0; k < 3; k++) bad += px_at(e3, y, x, k) != pal[pal_idx[i] * 3 + k];
    }
    CHECK(bad == 0);
}

/* ---------------------------------------------------------------- JPEG */
TEST(data_image, jpeg_rgb_and_gray_close_to_written) {
    enum { W = 24, H = 16 };
    uint8_t px[W * H * 3], gray[W * H];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            px[(y * W + x) * 3] = (uint8_t)(x * 10);
            px[(y * W + x) * 3 + 1] = (uint8_t)(y * 15);
            px[(y * W + x) * 3 + 2] = (uint8_t)(128 + x - y);
            gray[y * W + x] = (uint8_t)(x * 5 + y * 3);
        }
    CHECK(write_jpeg(tmp_path("c.jpg"), W, H, 3, px, 100) == 0);
    CHECK(write_jpeg(tmp_path("g.jpg"), W, H, 1, gray, 100) == 0);
    ct_tensor *c = ct_image_read(tmp_path("c.jpg"), CT_IMAGE_RGB);
    ct_tensor *cl = ct_image_read(tmp_path("c.jpg"), CT_IMAGE_GRAY);
    ct_tensor *g = ct_image_read(tmp_path("g.jpg"), CT_IMAGE_UNCHANGED);
    ct_tensor *g3 = ct_image_read(tmp_path("g.jpg"), CT_IMAGE_RGB);
    CHECK_OK(c);
    CHECK_OK(cl);
    CHECK_OK(g);
    CHECK_OK(g3);
    CHECK(c->sizes[0] == H && c->sizes[1] == W && c->sizes[2] == 3 && g->sizes[2] == 1);
    int worst = 0, lbad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            for (int k = 0; k < 3; k++) {
                int d = abs(px_at(c, y, x, k) - px[(y * W + x) * 3 + k]);
                worst = d > worst ? d : worst;
                lbad += px_at(g3, y, x, k) != px_at(g, y, x, 0);
            }
            int d = abs(px_at(g, y, x, 0) - gray[y * W + x]);
            worst = d > worst ? d : worst;
            /* L of a color JPEG is Pillow's luma of the decoded RGB */
            lbad += px_at(cl, y, x, 0) != luma(px_at(c, y, x, 0), px_at(c, y, x, 1), px_at(c, y, x, 2));
        }
    CHECK(worst <= 4);
    CHECK(lbad == 0);
}

TEST(data_image, decode_from_memory_equals_read) {
    uint8_t px[4 * 3 * 3];
    for (int i = 0; i < 36; i++) px[i] = (uint8_t)(i * 7);
    CHECK(write_jpeg(tmp_path("m.jpg"), 4, 3, 3, px, 90) == 0);
    size_t n;
    uint8_t *data = read_bytes(tmp_path("m.jpg"), &n);
    CHECK(data != NULL);
    ct_tensor *a = ct_image_decode(data, n, CT_IMAGE_RGB, "m");
    ct_tensor *b = ct_image_read(tmp_path("m.jpg"), CT_IMAGE_RGB);
    CHECK_OK(a);
    CHECK_OK(b);
    CHECK(a->numel == b->numel && !memcmp(ct_data_ptr(a), ct_data_ptr(b), (size_t)a->numel));
    free(data);
}

/* ---------------------------------------------------------------- hostile files */
TEST(data_image, truncated_and_corrupt_files_are_errors) {
    uint8_t px[32 * 32 * 3];
    for (int i = 0; i < (int)sizeof px; i++) px[i] = (uint8_t)(i * 31 + i / 96);
    CHECK(write_jpeg(tmp_path("t.jpg"), 32, 32, 3, px, 95) == 0);
    uint16_t s[32 * 32 * 3];
    for (int i = 0; i < 32 * 32 * 3; i++) s[i] = px[i];
    CHECK(write_png(tmp_path("t.png"), 32, 32, PNG_COLOR_TYPE_RGB, 8, s, NULL, 0, NULL) == 0);
    size_t nj = 0, np = 0;
    uint8_t *jpg = read_bytes(tmp_path("t.jpg"), &nj), *png = read_bytes(tmp_path("t.png"), &np);
    CHECK(jpg && png && nj > 400 && np > 400);
    if (!jpg || !png || nj <= 400 || np <= 400) return;
    size_t cuts[] = {3, 10, 100, 300};
    for (int i = 0; i < 4; i++) {
        CHECK_ERR(ct_image_decode(jpg, cuts[i], CT_IMAGE_RGB, "t.jpg"), "t.jpg");
        CHECK_ERR(ct_image_decode(png, cuts[i] + 8, CT_IMAGE_RGB, "t.png"), "bad PNG");
    }
    CHECK_ERR(ct_image_decode(jpg, nj / 2, CT_IMAGE_RGB, "t.jpg"), "truncated");
    CHECK_ERR(ct_image_decode(png, np - 13, CT_IMAGE_RGB, "t.png"), "bad PNG");
    png[1] = 'X';
    CHECK_ERR(ct_image_decode(png, np, CT_IMAGE_RGB, "t.png"), "cannot identify image file");
    CHECK_ERR(ct_image_decode(png, 0, CT_IMAGE_RGB, "e"), "empty");
    CHECK_ERR(ct_image_read(tmp_path("missing.png"), CT_IMAGE_RGB), "cannot open");
    CHECK_ERR(ct_image_decode(jpg, nj, (ct_image_mode)9, "t.jpg"), "unknown read mode");
    /* random damage: an error or an image, never a crash */
    uint32_t r = 12345;
    for (int it = 0; it < 60; it++) {
        uint8_t *buf = malloc(nj);
        memcpy(buf, jpg, nj);
        for (int k = 0; k < 4; k++) {
            r = r * 1103515245u + 12345u;
            buf[(r >> 8) % nj] ^= (uint8_t)(r >> 24 | 1);
        }
        ct_scope sc = ct_scope_begin();
        ct_tensor *t = ct_image_decode(buf, nj, CT_IMAGE_RGB, "fuzz.jpg");
        CHECK(t != NULL || strstr(ct_last_error(), "fuzz.jpg"));
        ct_scope_end(sc);
        free(buf);
    }
    png[1] = 'P';
    for (int it = 0; it < 60; it++) {
        uint8_t *buf = malloc(np);
        memcpy(buf, png, np);
        r = r * 1103515245u + 12345u;
        buf[8 + (r >> 8) % (np - 8)] ^= (uint8_t)(r >> 24 | 1);
        ct_scope sc = ct_scope_begin();
        ct_tensor *t = ct_image_decode(buf, np, CT_IMAGE_RGB, "fuzz.png");
        CHECK(t != NULL || strstr(ct_last_error(), "fuzz.png"));
        ct_scope_end(sc);
        free(buf);
    }
    free(jpg);
    free(png);
}

/* A chunk with its CRC (zlib's crc32 is the PNG CRC). */
#include <zlib.h>
static size_t put_chunk(uint8_t *out, const char *type, const uint8_t *d, uint32_t n) {
    out[0] = (uint8_t)(n >> 24), out[1] = (uint8_t)(n >> 16), out[2] = (uint8_t)(n >> 8), out[3] = (uint8_t)n;
    memcpy(out + 4, type, 4);
    if (n) memcpy(out + 8, d, n);
    uLong crc = crc32(0, out + 4, 4 + n);
    out[8 + n] = (uint8_t)(crc >> 24), out[9 + n] = (uint8_t)(crc >> 16);
    out[10 + n] = (uint8_t)(crc >> 8), out[11 + n] = (uint8_t)crc;
    return 12 + n;
}

TEST(data_image, huge_declared_dimensions_are_refused_before_allocating) {
    uint8_t buf[256];
    memcpy(buf, "\x89PNG\r\n\x1a\n", 8);
    const uint8_t ihdr[13] = {0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0, 8, 2, 0, 0, 0}; /* 100000 x 100000 */
    size_t n = 8 + put_chunk(buf + 8, "IHDR", ihdr, 13);
    uint8_t z[64];
    uLongf zn = sizeof z;
    const uint8_t zeros[16] = {0};
    compress(z, &zn, zeros, sizeof zeros);
    n += put_chunk(buf + n, "IDAT", z, (uint32_t)zn);
    n += put_chunk(buf + n, "IEND", NULL, 0);
    CHECK_ERR(ct_image_decode(buf, n, CT_IMAGE_RGB, "bomb.png"), "decompression bomb");
    /* JPEG: SOI, SOF0 declaring 65000 x 65000, 3 components */
    const uint8_t jpg[] = {0xFF, 0xD8, 0xFF, 0xC0, 0, 17, 8, 0xFD, 0xE8, 0xFD, 0xE8, 3, 1, 0x11, 0, 2,
                           0x11, 0, 3, 0x11, 0, 0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0};
    CHECK_ERR(ct_image_decode(jpg, sizeof jpg, CT_IMAGE_RGB, "bomb.jpg"), "bomb.jpg");
}

/* ---------------------------------------------------------------- ImageFolder */
static void put_png(const char *rel, int w, int h, uint8_t v) {
    uint16_t s[64 * 3];
    for (int i = 0; i < w * h * 3; i++) s[i] = v;
    write_png(tmp_path(rel), w, h, PNG_COLOR_TYPE_RGB, 8, s, NULL, 0, NULL);
}

TEST(data_image, image_folder_orders_like_torchvision) {
    mkdirs("f/b/sub");
    mkdirs("f/b/sub-x");
    mkdirs("f/a");
    mkdirs("f/C");
    put_png("f/b/z.png", 2, 2, 1);
    put_png("f/b/A.PNG", 3, 2, 2);
    put_png("f/b/sub/m.png", 2, 3, 3);
    put_png("f/b/sub-x/k.png", 1, 1, 4);
    put_png("f/a/x.png", 2, 2, 5);
    put_png("f/C/q.png", 2, 2, 6);
    write_bytes(tmp_path("f/a/notes.txt"), "hi", 2);
    ct_transform tf = ct_transform_to_tensor();
    ct_dataset *ds = ct_image_folder(tmp_path("f"), NULL, 0, CT_IMAGE_RGB, tf);
    CHECK_OK(ds);
    if (!ds) return;
    CHECK(ct_image_folder_num_classes(ds) == 3);
    CHECK(!strcmp(ct_image_folder_class(ds, 0), "C") && !strcmp(ct_image_folder_class(ds, 1), "a") &&
          !strcmp(ct_image_folder_class(ds, 2), "b"));
    CHECK(ct_image_folder_class_to_idx(ds, "b") == 2);
    CHECK_ERR(ct_image_folder_class(ds, 3) ? (void *)1 : NULL, "out of range");
    /* sorted(os.walk()): "b" < "b/sub" ("/" 0x2F) ... and "b/sub-x" < "b/sub/"? '-' (0x2D)
     * sorts before '/', but the walk sorts the folder paths: b, b/sub, b/sub-x */
    const char *want[] = {"f/C/q.png", "f/a/x.png", "f/b/A.PNG", "f/b/z.png", "f/b/sub/m.png",
                          "f/b/sub-x/k.png"};
    const int64_t targets[] = {0, 1, 2, 2, 2, 2};
    CHECK(ct_dataset_length(ds) == 6);
    for (int i = 0; i < 6; i++) {
        CHECK(!strcmp(ct_image_folder_path(ds, i), tmp_path(want[i])));
        CHECK(ct_image_folder_target(ds, i) == targets[i]);
    }
    ct_tensor *item[2];
    CHECK(ct_dataset_get(ds, 4, item) == 0);
    CHECK(item[0]->dtype == CT_FLOAT32 && item[0]->ndim == 3 && item[0]->sizes[0] == 3 &&
          item[0]->sizes[1] == 3 && item[0]->sizes[2] == 2);
    CHECK_CLOSE(ct_item_at(item[0], 0), 3 / 255.0, 1e-7);
    CHECK(item[1]->ndim == 0 && item[1]->dtype == CT_INT64 && ct_item_at_int(item[1], 0) == 2);
    ct_dataset_free(ds);
    /* errors like torchvision's */
    const char *jpg_only[] = {".jpg"};
    CHECK_ERR(ct_image_folder(tmp_path("f"), jpg_only, 1, CT_IMAGE_RGB, (ct_transform){0}),
              "Found no valid file for the classes C, a, b. Supported extensions are: .jpg");
    CHECK_ERR(ct_image_folder(tmp_path("f/a"), NULL, 0, CT_IMAGE_RGB, (ct_transform){0}),
              "Couldn't find any class folder");
    CHECK_ERR(ct_image_folder(tmp_path("nope"), NULL, 0, CT_IMAGE_RGB, (ct_transform){0}),
              "No such file or directory");
    ct_dataset *other = ct_tensor_dataset((ct_tensor *const[]){tt_rand(SHAPE(2), 1, CT_FLOAT32, 0, 1, 1)}, 1);
    CHECK_ERR(ct_image_folder_class(other, 0), "not an ImageFolder");
    ct_dataset_free(other);
}

TEST(data_image, image_folder_bad_file_surfaces_in_loader) {
    mkdirs("g/x");
    put_png("g/x/a.png", 2, 2, 7);
    write_bytes(tmp_path("g/x/b.png"), "\x89PNG\r\n\x1a\nnot really", 18);
    ct_dataset *ds = ct_image_folder(tmp_path("g"), NULL, 0, CT_IMAGE_RGB, ct_transform_to_tensor());
    CHECK_OK(ds);
    if (!ds) return;
    ct_dataloader *dl = ct_dataloader_new(ds, &(ct_dataloader_options){.batch_size = 1, .num_workers = 2});
    CHECK_OK(dl);
    ct_tensor *b[2];
    CHECK(ct_dataloader_next(dl, b) == 2);
    CHECK(ct_dataloader_next(dl, b) == -1 && strstr(ct_last_error(), "item 1") &&
          strstr(ct_last_error(), "b.png"));
    ct_dataloader_free(dl);
    ct_dataset_free(ds);
}

/* ---------------------------------------------------------------- CSV */
TEST(data_csv, reads_features_and_labels) {
    const char *text = "x1,\"x 2\",label,x3\n1.5,2,0,-1e1\n\n 3 ,4,2,5\r\n6,7,1,8";
    write_bytes(tmp_path("a.csv"), text, strlen(text));
    ct_tensor *all = ct_csv_read(tmp_path("a.csv"), ',', true);
    CHECK_TENSOR(all, SHAPE(3, 4), 2, VALS(1.5, 2, 0, -10, 3, 4, 2, 5, 6, 7, 1, 8), 0);
    ct_dataset *ds = ct_csv_dataset(tmp_path("a.csv"), &(ct_csv_options){.header = true, .label_name = "label"});
    CHECK_OK(ds);
    if (!ds) return;
    CHECK(ct_dataset_length(ds) == 3 && ct_dataset_nfields(ds) == 2);
    CHECK(!strcmp(ct_csv_feature_name(ds, 1), "x 2") && !strcmp(ct_csv_feature_name(ds, 2), "x3"));
    ct_tensor *it[2];
    CHECK(ct_dataset_get(ds, 1, it) == 0);
    CHECK_TENSOR(it[0], SHAPE(3), 1, VALS(3, 4, 5), 0);
    CHECK(it[1]->dtype == CT_INT64 && it[1]->ndim == 0 && ct_item_at_int(it[1], 0) == 2);
    ct_tensor *batch[2];
    ct_dataloader *dl = ct_dataloader_new(ds, &(ct_dataloader_options){.batch_size = 3});
    CHECK(ct_dataloader_next(dl, batch) == 2);
    CHECK_TENSOR(batch[1], SHAPE(3), 1, VALS(0, 2, 1), 0);
    ct_dataloader_free(dl);
    ct_dataset_free(ds);
    /* by index from the end, float labels; no label */
    ds = ct_csv_dataset(tmp_path("a.csv"), &(ct_csv_options){.header = true, .label_column = -1, .float_label = true});
    CHECK(ct_dataset_get(ds, 0, it) == 0);
    CHECK_TENSOR(it[0], SHAPE(3), 1, VALS(1.5, 2, 0), 0);
    CHECK(it[1]->dtype == CT_FLOAT32 && ct_item_at(it[1], 0) == -10);
    ct_dataset_free(ds);
    ds = ct_csv_dataset(tmp_path("a.csv"), &(ct_csv_options){.header = true, .no_label = true, .delimiter = ','});
    CHECK(ct_dataset_nfields(ds) == 1 && ct_dataset_get(ds, 2, it) == 0);
    CHECK_TENSOR(it[0], SHAPE(4), 1, VALS(6, 7, 1, 8), 0);
    ct_dataset_free(ds);
    /* NULL options: no header, last column int64 */
    const char *semi = "1;2;3\n4;5;6\n";
    write_bytes(tmp_path("s.csv"), semi, strlen(semi));
    CHECK_TENSOR(ct_csv_read(tmp_path("s.csv"), ';', false), SHAPE(2, 3), 2, VALS(1, 2, 3, 4, 5, 6), 0);
}

TEST(data_csv, bad_rows_name_the_line) {
    const char *t1 = "a,b\n1,2\n3,oops\n";
    write_bytes(tmp_path("b1.csv"), t1, strlen(t1));
    CHECK_ERR(ct_csv_read(tmp_path("b1.csv"), ',', true), "b1.csv:3: column 2: 'oops' is not a number");
    const char *t2 = "1,2\n3\n";
    write_bytes(tmp_path("b2.csv"), t2, strlen(t2));
    CHECK_ERR(ct_csv_read(tmp_path("b2.csv"), ',', false), "b2.csv:2: expected 2 cells, got 1");
    const char *t3 = "1,2\n\n3,2.5\n";
    write_bytes(tmp_path("b3.csv"), t3, strlen(t3));
    CHECK_ERR(ct_csv_dataset(tmp_path("b3.csv"), NULL), "b3.csv:3: column 2: label 2.5 is not an integer");
    const char *t4 = "1,\"2\n";
    write_bytes(tmp_path("b4.csv"), t4, strlen(t4));
    CHECK_ERR(ct_csv_read(tmp_path("b4.csv"), ',', false), "b4.csv:1: unterminated quoted cell");
    CHECK_ERR(ct_csv_dataset(tmp_path("b3.csv"), &(ct_csv_options){.label_name = "y"}), "needs header");
    CHECK_ERR(ct_csv_dataset(tmp_path("b3.csv"), &(ct_csv_options){.label_column = 5}), "out of range");
    CHECK_ERR(ct_csv_read(tmp_path("nope.csv"), ',', false), "cannot open");
    write_bytes(tmp_path("e.csv"), "", 0);
    ct_tensor *e = ct_csv_read(tmp_path("e.csv"), ',', false);
    CHECK_OK(e);
    CHECK(e->ndim == 2 && e->numel == 0);
}

/* ---------------------------------------------------------------- samplers */
TEST(data_sampler, distributed_equals_torch) {
    /* lists from torch.utils.data.DistributedSampler (PyTorch 1.13) */
    struct {
        int64_t n;
        int rep, rank;
        bool shuffle;
        uint64_t seed;
        bool drop;
        int64_t epoch, len, want[4];
    } cases[] = {{10, 3, 1, true, 5, false, 0, 4, {4, 3, 2, 1}}, {10, 3, 1, true, 5, false, 2, 4, {0, 1, 6, 5}},
                 {10, 3, 2, true, 5, true, 0, 3, {9, 5, 8}},     {11, 4, 3, false, 0, false, 0, 3, {3, 7, 0}},
                 {2, 4, 3, true, 1, false, 0, 1, {0}}};
    for (int c = 0; c < 5; c++) {
        ct_sampler *s = ct_sampler_distributed(cases[c].n, cases[c].rep, cases[c].rank, cases[c].shuffle,
                                               cases[c].seed, cases[c].drop);
        CHECK_OK(s);
        CHECK(ct_sampler_set_epoch(s, cases[c].epoch) == 0);
        CHECK(ct_sampler_length(s) == cases[c].len);
        int64_t got[8];
        CHECK(ct_sampler_epoch(s, got) == 0);
        for (int i = 0; i < cases[c].len; i++) CHECK(got[i] == cases[c].want[i]);
        /* the same epoch again without set_epoch: the same list */
        int64_t again[8];
        CHECK(ct_sampler_epoch(s, again) == 0 && !memcmp(got, again, sizeof(int64_t) * (size_t)cases[c].len));
        ct_sampler_free(s);
    }
    CHECK_ERR(ct_sampler_distributed(10, 2, 2, true, 0, false), "Invalid rank 2, rank should be in the interval [0, 1]");
    ct_sampler *seq = ct_sampler_sequential(3);
    CHECK(ct_sampler_set_epoch(seq, 1) == -1 && strstr(ct_last_error(), "DistributedSampler"));
    ct_sampler_free(seq);
}

TEST(data_sampler, batch_sampler_groups_indices) {
    ct_sampler *s = ct_sampler_sequential(7);
    ct_batch_sampler *b = ct_batch_sampler_new(s, 3, false);
    CHECK(ct_batch_sampler_length(b) == 3);
    int64_t out[3];
    CHECK(ct_batch_sampler_next(b, out) == 3 && out[0] == 0 && out[2] == 2);
    CHECK(ct_batch_sampler_next(b, out) == 3 && out[0] == 3);
    CHECK(ct_batch_sampler_next(b, out) == 1 && out[0] == 6);
    CHECK(ct_batch_sampler_next(b, out) == 0);
    CHECK(ct_batch_sampler_next(b, out) == 3 && out[0] == 0); /* a new epoch */
    ct_batch_sampler_free(b);
    b = ct_batch_sampler_new(s, 3, true);
    CHECK(ct_batch_sampler_length(b) == 2);
    CHECK(ct_batch_sampler_next(b, out) == 3 && ct_batch_sampler_next(b, out) == 3 && ct_batch_sampler_next(b, out) == 0);
    ct_batch_sampler_free(b);
    /* a random sampler: every index once per epoch */
    ct_sampler *r = ct_sampler_random(10, 3);
    b = ct_batch_sampler_new(r, 4, false);
    int seen[10] = {0};
    int64_t k, o4[4];
    while ((k = ct_batch_sampler_next(b, o4)) > 0)
        for (int64_t i = 0; i < k; i++) seen[o4[i]]++;
    for (int i = 0; i < 10; i++) CHECK(seen[i] == 1);
    ct_batch_sampler_free(b);
    ct_sampler_free(r);
    CHECK_ERR(ct_batch_sampler_new(s, 0, false), "batch_size should be a positive integer value");
    ct_sampler_free(s);
}

TEST(data_sampler, loader_takes_batches_from_a_batch_sampler) {
    ct_tensor *x = ct_arange(0, 7, 1, CT_INT64);
    ct_dataset *ds = ct_tensor_dataset((ct_tensor *const[]){x}, 1);
    ct_sampler *r = ct_sampler_random(7, 5);
    for (int w = 0; w < 3; w += 2) {
        ct_batch_sampler *bs = ct_batch_sampler_new(r, 3, false);
        ct_dataloader *dl = ct_dataloader_new(ds, &(ct_dataloader_options){.batch_sampler = bs, .num_workers = w});
        CHECK_OK(dl);
        CHECK(ct_dataloader_length(dl) == 3);
        for (int epoch = 0; epoch < 2; epoch++) {
            int seen[7] = {0}, sizes[3] = {0}, k = 0;
            ct_tensor *b[1];
            while (ct_dataloader_next(dl, b) == 1) {
                if (k < 3) sizes[k] = (int)b[0]->sizes[0];
                k++;
                for (int64_t i = 0; i < b[0]->numel; i++) seen[ct_item_at_int(b[0], i)]++;
            }
            CHECK(k == 3 && sizes[0] == 3 && sizes[1] == 3 && sizes[2] == 1);
            for (int i = 0; i < 7; i++) CHECK(seen[i] == 1);
        }
        ct_dataloader_free(dl);
        ct_batch_sampler_free(bs);
    }
    ct_sampler_free(r);
    ct_dataset_free(ds);
}
