/* Datasets, file readers, transforms, collation. The tests write their own
 * IDX and CIFAR files (plain and gzip) into a temporary directory; expected
 * values are the bytes the test wrote. */
#include "harness.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[64];

static const char *tmp_path(const char *name) {
    static _Thread_local char buf[8][256];
    static _Thread_local int k;
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/ct_data_XXXXXX");
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

static int write_file(const char *path, const unsigned char *data, size_t n, bool gz) {
    if (gz) {
        gzFile f = gzopen(path, "wb");
        if (!f) return -1;
        int ok = n == 0 || gzwrite(f, data, (unsigned)n) == (int)n;
        return gzclose(f) == Z_OK && ok ? 0 : -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static unsigned char *read_whole(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static void put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* IDX bytes: magic 0x0000 type nd, sizes, data (caller's bytes). */
static unsigned char *idx_bytes(int type, const uint32_t *sizes, int nd, const void *data,
                                size_t nbytes, size_t *len) {
    *len = 4 + 4 * (size_t)nd + nbytes;
    unsigned char *b = malloc(*len);
    b[0] = b[1] = 0;
    b[2] = (unsigned char)type;
    b[3] = (unsigned char)nd;
    for (int d = 0; d < nd; d++) put_be32(b + 4 + 4 * d, sizes[d]);
    if (nbytes) memcpy(b + 4 + 4 * nd, data, nbytes);
    return b;
}

/* N images of H x W with pixel (n, h, w) = (n * 31 + h * 7 + w) % 256, labels n % 10. */
static int write_mnist(const char *img, const char *lab, int N, int H, int W, bool gz) {
    unsigned char *px = malloc((size_t)N * H * W), lb[256];
    for (int n = 0; n < N; n++) {
        lb[n] = (unsigned char)(n % 10);
        for (int h = 0; h < H; h++)
            for (int w = 0; w < W; w++) px[(n * H + h) * W + w] = (unsigned char)((n * 31 + h * 7 + w) % 256);
    }
    size_t l1, l2;
    unsigned char *a = idx_bytes(8, (uint32_t[]){N, H, W}, 3, px, (size_t)N * H * W, &l1);
    unsigned char *b = idx_bytes(8, (uint32_t[]){N}, 1, lb, (size_t)N, &l2);
    int r = write_file(img, a, l1, gz) | write_file(lab, b, l2, gz);
    free(px);
    free(a);
    free(b);
    return r;
}

TEST(data_idx, reads_plain_and_gzip_mnist) {
    for (int gz = 0; gz < 2; gz++) {
        const char *ip = tmp_path(gz ? "i.gz" : "i"), *lp = tmp_path(gz ? "l.gz" : "l");
        CHECK(write_mnist(ip, lp, 5, 4, 3, gz) == 0);
        ct_tensor *t = ct_idx_read(ip);
        CHECK_OK(t);
        CHECK(t->dtype == CT_UINT8 && t->ndim == 3 && t->sizes[0] == 5 && t->sizes[1] == 4 &&
              t->sizes[2] == 3);
        for (int i = 0; i < 60; i++) {
            int n = i / 12, h = i / 3 % 4, w = i % 3;
            CHECK(ct_item_at_int(t, i) == (n * 31 + h * 7 + w) % 256);
        }
        ct_dataset *ds = ct_mnist_dataset(ip, lp);
        CHECK_OK(ds);
        CHECK(ct_dataset_length(ds) == 5 && ct_dataset_nfields(ds) == 2);
        ct_tensor *item[2];
        CHECK(ct_dataset_get(ds, 3, item) == 0);
        CHECK(item[0]->dtype == CT_UINT8 && item[0]->ndim == 2 && item[0]->sizes[0] == 4);
        CHECK(ct_item_at_int(item[0], 5) == (3 * 31 + 1 * 7 + 2) % 256);
        CHECK(item[1]->dtype == CT_INT64 && item[1]->ndim == 0 && ct_item_at_int(item[1], 0) == 3);
        CHECK(ct_dataset_get(ds, -1, item) == 0 && ct_item_at_int(item[1], 0) == 4);
        CHECK(ct_dataset_get(ds, 5, item) < 0 && strstr(ct_last_error(), "out of range"));
        ct_dataset_free(ds);
    }
}

TEST(data_idx, reads_every_type_big_endian) {
    /* int16 [2, 2]: 0x0102, 0xfffe (-2), 7, -300; float64 [3]: 1.5, -2, 1e300 */
    const unsigned char i16[] = {0x01, 0x02, 0xff, 0xfe, 0x00, 0x07, 0xfe, 0xd4};
    size_t len;
    unsigned char *b = idx_bytes(0x0B, (uint32_t[]){2, 2}, 2, i16, sizeof i16, &len);
    CHECK(write_file(tmp_path("i16"), b, len, false) == 0);
    free(b);
    ct_tensor *t = ct_idx_read(tmp_path("i16"));
    CHECK_OK(t);
    CHECK_TENSOR(t, SHAPE(2, 2), 2, VALS(258, -2, 7, -300), 0);
    CHECK(t->dtype == CT_INT16);
    double dv[3] = {1.5, -2, 1e300};
    unsigned char f64[24];
    for (int i = 0; i < 3; i++) {
        uint64_t u;
        memcpy(&u, &dv[i], 8);
        for (int k = 0; k < 8; k++) f64[i * 8 + k] = (unsigned char)(u >> (56 - 8 * k));
    }
    b = idx_bytes(0x0E, (uint32_t[]){3}, 1, f64, sizeof f64, &len);
    CHECK(write_file(tmp_path("f64.gz"), b, len, true) == 0);
    free(b);
    t = ct_idx_read(tmp_path("f64.gz"));
    CHECK_OK(t);
    CHECK(t->dtype == CT_FLOAT64);
    CHECK_TENSOR(t, SHAPE(3), 1, VALS(1.5, -2, 1e300), 0);
    /* empty dims are fine */
    b = idx_bytes(0x08, (uint32_t[]){0, 28}, 2, NULL, 0, &len);
    CHECK(write_file(tmp_path("empty"), b, len, false) == 0);
    free(b);
    t = ct_idx_read(tmp_path("empty"));
    CHECK_OK(t);
    CHECK(t->numel == 0 && t->sizes[1] == 28);
}

TEST(data_idx, rejects_bad_files) {
    unsigned char px[12] = {0};
    size_t len;
    for (int gz = 0; gz < 2; gz++) {
        unsigned char *b = idx_bytes(8, (uint32_t[]){3, 4}, 2, px, 12, &len);
        const char *p = tmp_path(gz ? "bad.gz" : "bad");
        /* bad magic: nonzero first byte, unknown type, zero dims, too many dims */
        b[0] = 1;
        CHECK(write_file(p, b, len, gz) == 0);
        CHECK_ERR(ct_idx_read(p), "bad magic number 0x01000802");
        b[0] = 0;
        b[2] = 0x07;
        CHECK(write_file(p, b, len, gz) == 0);
        CHECK_ERR(ct_idx_read(p), "bad magic number");
        b[2] = 8;
        b[3] = 0;
        CHECK(write_file(p, b, len, gz) == 0);
        CHECK_ERR(ct_idx_read(p), "bad magic number");
        b[3] = 200;
        CHECK(write_file(p, b, len, gz) == 0);
        CHECK_ERR(ct_idx_read(p), "bad magic number");
        b[3] = 2;
        /* truncated data */
        CHECK(write_file(p, b, len - 1, gz) == 0);
        CHECK_ERR(ct_idx_read(p), gz ? "truncated or corrupt" : "truncated");
        /* truncated header */
        CHECK(write_file(p, b, 6, gz) == 0);
        CHECK_ERR(ct_idx_read(p), "truncated");
        /* trailing bytes */
        unsigned char *c = malloc(len + 3);
        memcpy(c, b, len);
        memset(c + len, 0, 3);
        CHECK(write_file(p, c, len + 3, gz) == 0);
        CHECK_ERR(ct_idx_read(p), gz ? "truncated or corrupt" : "trailing bytes");
        free(c);
        /* huge dims: no allocation is attempted */
        put_be32(b + 4, 0xffffffffu);
        put_be32(b + 8, 0xffffffffu);
        CHECK(write_file(p, b, len, gz) == 0);
        CHECK_ERR(ct_idx_read(p), "too large");
        put_be32(b + 4, 60000);
        put_be32(b + 8, 1000000);
        CHECK(write_file(p, b, len, gz) == 0);
        CHECK_ERR(ct_idx_read(p), gz ? "truncated or corrupt" : "truncated");
        free(b);
    }
    /* a gzip file cut short (its trailer is gone) */
    unsigned char *b = idx_bytes(8, (uint32_t[]){3, 4}, 2, px, 12, &len);
    CHECK(write_file(tmp_path("full.gz"), b, len, true) == 0);
    free(b);
    size_t glen;
    unsigned char *g = read_whole(tmp_path("full.gz"), &glen);
    CHECK(g != NULL);
    CHECK(write_file(tmp_path("cut.gz"), g, glen - 5, false) == 0);
    CHECK_ERR(ct_idx_read(tmp_path("cut.gz")), "idx:");
    CHECK(write_file(tmp_path("cut.gz"), g, 12, false) == 0);
    CHECK_ERR(ct_idx_read(tmp_path("cut.gz")), "truncated");
    free(g);
    CHECK_ERR(ct_idx_read(tmp_path("does_not_exist")), "cannot open");
    CHECK_ERR(ct_idx_read(tmpdir), "not a regular file");
}

TEST(data_idx, fuzz_flips_and_truncations_never_crash) {
    /* every mutated file either reads with sane shapes or fails with a message */
    unsigned char px[6 * 5 * 4];
    for (int i = 0; i < 120; i++) px[i] = (unsigned char)(i * 13);
    size_t len;
    unsigned char *b = idx_bytes(8, (uint32_t[]){6, 5, 4}, 3, px, sizeof px, &len);
    CHECK(write_file(tmp_path("fz.gz"), b, len, true) == 0);
    size_t glen;
    unsigned char *g = read_whole(tmp_path("fz.gz"), &glen);
    CHECK(g != NULL);
    uint32_t rng = 12345;
    int ok = 0, failed = 0;
    for (int it = 0; it < 200; it++) {
        bool gz = it % 2;
        const unsigned char *src = gz ? g : b;
        size_t n = gz ? glen : len;
        unsigned char *m = malloc(n);
        memcpy(m, src, n);
        rng = rng * 1664525u + 1013904223u;
        size_t cut = n;
        if (rng >> 31) {
            cut = (rng >> 8) % n; /* truncate */
        } else {
            for (int k = 0; k < 1 + (int)(rng >> 28 & 3); k++) {
                rng = rng * 1664525u + 1013904223u;
                m[(rng >> 8) % n] ^= (unsigned char)(1u << (rng >> 4 & 7));
            }
        }
        const char *p = tmp_path("fuzz");
        CHECK(write_file(p, m, cut, false) == 0);
        free(m);
        ct_clear_error();
        ct_tensor *t = ct_idx_read(p);
        if (t) {
            ok++;
            CHECK(t->ndim >= 1 && t->ndim <= CT_MAX_DIMS && t->numel <= (int64_t)n);
        } else {
            failed++;
            CHECK(strstr(ct_last_error(), "idx: ") != NULL);
        }
    }
    CHECK(ok + failed == 200 && failed > 50);
    free(b);
    free(g);
}

TEST(data_idx, real_fashion_mnist_when_installed) {
    const char *root = "/usr/share/datasets/fashion-mnist";
    struct stat st;
    if (stat(root, &st) != 0) return; /* not installed: nothing to check */
    ct_dataset *ds = ct_mnist_dataset_dir(root, false);
    CHECK_OK(ds);
    CHECK(ct_dataset_length(ds) == 10000);
    ct_tensor *item[2];
    CHECK(ct_dataset_get(ds, 0, item) == 0);
    CHECK(item[0]->sizes[0] == 28 && item[0]->sizes[1] == 28);
    /* torchvision FashionMNIST(train=False)[0] is an ankle boot (9) */
    CHECK(ct_item_at_int(item[1], 0) == 9);
    ct_dataset_free(ds);
    CHECK_ERR(ct_mnist_dataset_dir(tmpdir[0] ? tmpdir : "/nonexistent", true), "not found");
}

TEST(data_cifar, reads_records_hwc_and_validates) {
    /* 3 CIFAR-100 records: coarse r, fine 90 + r, pixels p[c][j] = (r + c * 5 + j) % 256 */
    unsigned char rec[3][2 + 3072];
    for (int r = 0; r < 3; r++) {
        rec[r][0] = (unsigned char)r;
        rec[r][1] = (unsigned char)(90 + r);
        for (int c = 0; c < 3; c++)
            for (int j = 0; j < 1024; j++) rec[r][2 + c * 1024 + j] = (unsigned char)((r + c * 5 + j) % 256);
    }
    CHECK(write_file(tmp_path("c1.bin"), rec[0], 2 * sizeof rec[0], false) == 0);
    CHECK(write_file(tmp_path("c2.bin.gz"), rec[2], sizeof rec[0], true) == 0);
    const char *paths[2] = {tmp_path("c1.bin"), tmp_path("c2.bin.gz")};
    ct_dataset *ds = ct_cifar_dataset(paths, 2, true);
    CHECK_OK(ds);
    CHECK(ct_dataset_length(ds) == 3);
    ct_tensor *item[2];
    CHECK(ct_dataset_get(ds, 2, item) == 0);
    CHECK(item[0]->ndim == 3 && item[0]->sizes[0] == 32 && item[0]->sizes[2] == 3);
    /* HWC: pixel (h, w, c) = plane c, j = h * 32 + w */
    CHECK(ct_item_at_int(item[0], (5 * 32 + 7) * 3 + 1) == (2 + 5 + 5 * 32 + 7) % 256);
    CHECK(ct_item_at_int(item[1], 0) == 92);
    ct_dataset_free(ds);
    /* as CIFAR-10 the record length 3074 does not divide the files */
    CHECK_ERR(ct_cifar_dataset(paths, 1, false), "whole number of 3073-byte records");
    /* a label out of range */
    rec[0][1] = 150;
    CHECK(write_file(tmp_path("c3.bin"), rec[0], sizeof rec[0], false) == 0);
    const char *p3 = tmp_path("c3.bin");
    CHECK_ERR(ct_cifar_dataset(&p3, 1, true), "label 150");
}

TEST(data_dataset, tensor_dataset_items_are_views) {
    ct_tensor *x = tt_rand(SHAPE(4, 2, 3), 3, CT_FLOAT32, -1, 1, 1);
    ct_tensor *y = tt_tensor(VALS(0, 1, 2, 3), SHAPE(4), 1, CT_INT64);
    ct_dataset *ds = ct_tensor_dataset((ct_tensor *const[]){x, y}, 2);
    CHECK_OK(ds);
    ct_tensor *item[2];
    CHECK(ct_dataset_get(ds, 2, item) == 0);
    CHECK(item[0]->storage == x->storage && item[0]->ndim == 2);
    for (int i = 0; i < 6; i++) CHECK(ct_item_at(item[0], i) == ct_item_at(x, 12 + i));
    CHECK(ct_item_at_int(item[1], 0) == 2);
    ct_dataset_free(ds);
    /* the item outlives the dataset */
    CHECK(ct_item_at_int(item[1], 0) == 2);
    ct_tensor *z = tt_rand(SHAPE(3), 1, CT_FLOAT32, 0, 1, 2);
    CHECK_ERR(ct_tensor_dataset((ct_tensor *const[]){x, z}, 2), "Size mismatch between tensors");
    CHECK_ERR(ct_tensor_dataset((ct_tensor *const[]){ct_scalar_tensor(1, CT_FLOAT32)}, 1), "0-d");
    CHECK_ERR(ct_tensor_dataset(NULL, 0), "expects 1 to 8 tensors");
}

TEST(data_transform, to_tensor_and_normalize) {
    ct_tensor *img = tt_tensor(VALS(0, 51, 255, 102, 1, 2), SHAPE(2, 3), 2, CT_UINT8);
    ct_tensor *y = tt_tensor(VALS(0, 1, 2, 3), SHAPE(4), 1, CT_INT64);
    ct_tensor *imgs = ct_stack((const ct_tensor *const[]){img, img, img, img}, 4, 0);
    ct_dataset *ds = ct_tensor_dataset((ct_tensor *const[]){imgs, y}, 2);
    CHECK_OK(ds);
    ct_transform tf = ct_transform_compose(ct_transform_to_tensor(),
                                           ct_transform_normalize(VALS(0.5), VALS(0.25), 1));
    CHECK(tf.apply != NULL);
    ds = ct_dataset_transform(ds, 0, tf);
    CHECK_OK(ds);
    ct_tensor *item[2];
    CHECK(ct_dataset_get(ds, 1, item) == 0);
    double e[6];
    const double px[6] = {0, 51, 255, 102, 1, 2};
    for (int i = 0; i < 6; i++) e[i] = (px[i] / 255.0 - 0.5) / 0.25;
    CHECK(item[0]->dtype == CT_FLOAT32);
    CHECK_TENSOR(item[0], SHAPE(1, 2, 3), 3, e, 1e-6);
    ct_dataset_free(ds);
    /* HWC to CHW, per-channel normalize */
    ct_tensor *hwc = tt_tensor(VALS(10, 20, 30, 40, 50, 60), SHAPE(1, 2, 3), 3, CT_UINT8);
    ct_transform tt = ct_transform_to_tensor();
    ct_tensor *chw = tt.apply(tt.ctx, hwc, NULL);
    CHECK_OK(chw);
    ct_autorelease(chw);
    CHECK_TENSOR(chw, SHAPE(3, 1, 2), 3, VALS(10 / 255., 40 / 255., 20 / 255., 50 / 255., 30 / 255., 60 / 255.), 1e-7);
    ct_transform nm = ct_transform_normalize(VALS(0, 0.1, 0.2), VALS(1, 2, 4), 3);
    ct_tensor *o = ct_autorelease(nm.apply(nm.ctx, chw, NULL));
    CHECK_TENSOR(o, SHAPE(3, 1, 2), 3,
                 VALS(10 / 255., 40 / 255., (20 / 255. - 0.1) / 2, (50 / 255. - 0.1) / 2,
                      (30 / 255. - 0.2) / 4, (60 / 255. - 0.2) / 4), 1e-6);
    CHECK_ERR(nm.apply(nm.ctx, tt_rand(SHAPE(2, 2), 2, CT_FLOAT32, 0, 1, 3), NULL), "Normalize: 3 mean/std");
    CHECK_ERR(nm.apply(nm.ctx, img, NULL), "expects a floating tensor");
    ct_transform_free(nm);
    CHECK_ERR(tt.apply(tt.ctx, chw, NULL), "ToTensor: expects a uint8 image");
    ct_transform bad = ct_transform_normalize(VALS(0), VALS(0), 1);
    CHECK(bad.apply == NULL && strstr(ct_last_error(), "std evaluated to zero"));
}

TEST(data_collate, stacks_items) {
    ct_tensor *a = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32);
    ct_tensor *b = ct_t(tt_tensor(VALS(3, 4), SHAPE(1, 2), 2, CT_FLOAT32));
    ct_tensor *b1 = ct_view(tt_tensor(VALS(3, 4), SHAPE(2), 1, CT_FLOAT32), SHAPE(2), 1);
    (void)b;
    ct_tensor *c = ct_collate((ct_tensor *const[]){a, b1, a}, 3);
    CHECK_TENSOR(c, SHAPE(3, 2), 2, VALS(1, 2, 3, 4, 1, 2), 0);
    ct_tensor *l = ct_collate((ct_tensor *const[]){ct_scalar_tensor(7, CT_INT64), ct_scalar_tensor(8, CT_INT64)}, 2);
    CHECK(l->dtype == CT_INT64);
    CHECK_TENSOR(l, SHAPE(2), 1, VALS(7, 8), 0);
    CHECK_ERR(ct_collate((ct_tensor *const[]){a, ct_scalar_tensor(1, CT_FLOAT32)}, 2), "stack expects each tensor to be equal size");
    CHECK_ERR(ct_collate((ct_tensor *const[]){a, ct_to_dtype(a, CT_INT64, false)}, 2), "collate: item 0 has dtype float32");
}
