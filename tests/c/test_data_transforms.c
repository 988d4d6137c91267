/* Image functions and transforms. Expected values are written out by hand
 * for the small cases (flips, crops, pads) or computed here in double from
 * the definitions PyTorch/torchvision use (bilinear with align_corners=False,
 * the antialiased triangle filter, the blends); random transforms are
 * checked for shapes, ranges, statistics and reproducibility. Equality with
 * torchvision itself: tests/python/test_data_c.py. */
#include "harness.h"

#include <math.h>
#include <stdlib.h>

/* [C, H, W] float32 with value c * 100 + y * 10 + x. */
static ct_tensor *ramp(int64_t c, int64_t h, int64_t w, ct_dtype dt) {
    double *v = malloc(sizeof(double) * (size_t)(c * h * w));
    for (int64_t k = 0; k < c; k++)
        for (int64_t y = 0; y < h; y++)
            for (int64_t x = 0; x < w; x++) v[(k * h + y) * w + x] = (double)(k * 100 + y * 10 + x);
    ct_tensor *t = tt_tensor(v, (const int64_t[]){c, h, w}, 3, dt);
    free(v);
    return t;
}

TEST(data_vision, flips_crop_center_crop) {
    ct_tensor *x = ramp(1, 2, 3, CT_FLOAT32);
    CHECK_TENSOR(ct_image_hflip(x), SHAPE(1, 2, 3), 3, VALS(2, 1, 0, 12, 11, 10), 0);
    CHECK_TENSOR(ct_image_vflip(x), SHAPE(1, 2, 3), 3, VALS(10, 11, 12, 0, 1, 2), 0);
    /* crop outside the image pads with zeros */
    CHECK_TENSOR(ct_image_crop(x, -1, 1, 3, 3), SHAPE(1, 3, 3), 3, VALS(0, 0, 0, 1, 2, 0, 11, 12, 0), 0);
    ct_tensor *u = ramp(2, 5, 4, CT_UINT8);
    /* (5 - 2) / 2 = 1.5 rounds to 2 (Python's round), (4 - 1) / 2 = 1.5 -> 2 */
    CHECK_TENSOR(ct_image_center_crop(u, 2, 1), SHAPE(2, 2, 1), 3, VALS(22, 32, 122, 132), 0);
    CHECK(ct_image_center_crop(u, 2, 1)->dtype == CT_UINT8);
    /* larger than the image: zero pad first ((3 - 2) // 2 = 0 left, 1 right) */
    CHECK_TENSOR(ct_image_center_crop(x, 2, 4), SHAPE(1, 2, 4), 3, VALS(0, 1, 2, 0, 10, 11, 12, 0), 0);
    /* a batch [N, C, H, W] and a non-contiguous input */
    ct_tensor *b = ct_stack((const ct_tensor *const[]){x, x}, 2, 0);
    CHECK_TENSOR(ct_image_hflip(b), SHAPE(2, 1, 2, 3), 4, VALS(2, 1, 0, 12, 11, 10, 2, 1, 0, 12, 11, 10), 0);
    ct_tensor *xt = ct_transpose(ramp(1, 3, 2, CT_FLOAT64), 1, 2); /* [1, 2, 3]: value y + 10 x */
    CHECK_TENSOR(ct_image_vflip(xt), SHAPE(1, 2, 3), 3, VALS(1, 11, 21, 0, 10, 20), 0);
    CHECK_ERR(ct_image_hflip(tt_rand(SHAPE(3), 1, CT_FLOAT32, 0, 1, 1)), "not a torch image");
    CHECK_ERR(ct_image_hflip(tt_rand(SHAPE(2, 2), 2, CT_INT32, 0, 1, 1)), "not implemented");
}

TEST(data_vision, pad_modes) {
    ct_tensor *x = ramp(1, 2, 3, CT_UINT8);
    const int64_t p[4] = {2, 1, 1, 0};
    CHECK_TENSOR(ct_image_pad(x, p, 9, CT_PAD_CONSTANT), SHAPE(1, 3, 6), 3,
                 VALS(9, 9, 9, 9, 9, 9, 9, 9, 0, 1, 2, 9, 9, 9, 10, 11, 12, 9), 0);
    CHECK_TENSOR(ct_image_pad(x, p, 0, CT_PAD_EDGE), SHAPE(1, 3, 6), 3,
                 VALS(0, 0, 0, 1, 2, 2, 0, 0, 0, 1, 2, 2, 10, 10, 10, 11, 12, 12), 0);
    CHECK_TENSOR(ct_image_pad(x, p, 0, CT_PAD_REFLECT), SHAPE(1, 3, 6), 3,
                 VALS(12, 11, 10, 11, 12, 11, 2, 1, 0, 1, 2, 1, 12, 11, 10, 11, 12, 11), 0);
    CHECK_TENSOR(ct_image_pad(x, p, 0, CT_PAD_SYMMETRIC), SHAPE(1, 3, 6), 3,
                 VALS(1, 0, 0, 1, 2, 2, 1, 0, 0, 1, 2, 2, 11, 10, 10, 11, 12, 12), 0);
    /* negative padding crops */
    const int64_t neg[4] = {-1, 0, 0, -1};
    CHECK_TENSOR(ct_image_pad(x, neg, 0, CT_PAD_REFLECT), SHAPE(1, 1, 2), 3, VALS(1, 2), 0);
    const int64_t big[4] = {3, 0, 0, 0};
    CHECK_ERR(ct_image_pad(x, big, 0, CT_PAD_REFLECT), "Padding size should be less than");
    CHECK_ERR(ct_image_pad(x, (const int64_t[]){4, 0, 0, 0}, 0, CT_PAD_SYMMETRIC), "symmetric padding");
    CHECK_ERR(ct_image_pad(x, big, 0, (ct_padding_mode)7), "Padding mode should be either");
}

/* PyTorch's bilinear (align_corners=False) in double. */
static double bilinear_ref(const double *src, int64_t H, int64_t W, int64_t oh, int64_t ow, int64_t y, int64_t x) {
    double sy = (double)H / (double)oh * (y + 0.5) - 0.5, sx = (double)W / (double)ow * (x + 0.5) - 0.5;
    if (sy < 0) sy = 0;
    if (sx < 0) sx = 0;
    int64_t y0 = (int64_t)sy, x0 = (int64_t)sx, y1 = y0 + (y0 < H - 1), x1 = x0 + (x0 < W - 1);
    double ly = sy - y0, lx = sx - x0;
    return (1 - ly) * ((1 - lx) * src[y0 * W + x0] + lx * src[y0 * W + x1]) +
           ly * ((1 - lx) * src[y1 * W + x0] + lx * src[y1 * W + x1]);
}

/* The antialiased triangle filter weights of output i (PyTorch's
 * _upsample_bilinear2d_aa), applied to a line. */
static double aa_ref(const double *line, int64_t stride, int64_t in, int64_t out, int64_t i) {
    double scale = (double)in / (double)out, support = scale >= 1 ? scale : 1,
           inv = scale >= 1 ? 1 / scale : 1, center = scale * (i + 0.5), tot = 0, acc = 0;
    int64_t lo = (int64_t)(center - support + 0.5), hi = (int64_t)(center + support + 0.5);
    if (lo < 0) lo = 0;
    if (hi > in) hi = in;
    for (int64_t j = lo; j < hi; j++) {
        double v = fabs((j - center + 0.5) * inv), w = v < 1 ? 1 - v : 0;
        tot += w;
        acc += w * line[j * stride];
    }
    return acc / tot;
}

TEST(data_vision, resize_bilinear_matches_definition) {
    const int64_t H = 7, W = 9;
    ct_tensor *x = tt_rand(SHAPE(2, H, W), 3, CT_FLOAT32, 0, 1, 5);
    double *xv = tt_values(x);
    const int64_t sizes[][2] = {{3, 4}, {14, 20}, {7, 5}, {1, 1}, {50, 33}};
    for (int s = 0; s < 5; s++) {
        int64_t oh = sizes[s][0], ow = sizes[s][1];
        ct_tensor *y = ct_image_resize(x, oh, ow, CT_INTERP_BILINEAR, false);
        CHECK_OK(y);
        double *e = malloc(sizeof(double) * (size_t)(2 * oh * ow));
        for (int c = 0; c < 2; c++)
            for (int64_t i = 0; i < oh; i++)
                for (int64_t j = 0; j < ow; j++) e[(c * oh + i) * ow + j] = bilinear_ref(xv + c * H * W, H, W, oh, ow, i, j);
        CHECK_TENSOR(y, SHAPE(2, oh, ow), 3, e, 2e-6);
        /* antialiased: W pass then H pass of the triangle filter */
        ct_tensor *ya = ct_image_resize(x, oh, ow, CT_INTERP_BILINEAR, true);
        double *mid = malloc(sizeof(double) * (size_t)(2 * H * ow));
        for (int c = 0; c < 2; c++)
            for (int64_t r = 0; r < H; r++)
                for (int64_t j = 0; j < ow; j++)
                    mid[(c * H + r) * ow + j] = ow == W ? xv[(c * H + r) * W + j] : aa_ref(xv + (c * H + r) * W, 1, W, ow, j);
        for (int c = 0; c < 2; c++)
            for (int64_t i = 0; i < oh; i++)
                for (int64_t j = 0; j < ow; j++)
                    e[(c * oh + i) * ow + j] = oh == H ? mid[(c * H + i) * ow + j] : aa_ref(mid + c * H * ow + j, ow, H, oh, i);
        CHECK_TENSOR(ya, SHAPE(2, oh, ow), 3, e, 2e-6);
        free(mid);
        free(e);
    }
    /* uint8: computed in float, rounded */
    ct_tensor *u = ramp(1, 2, 2, CT_UINT8); /* 0 1 / 10 11 */
    CHECK_TENSOR(ct_image_resize(u, 1, 1, CT_INTERP_BILINEAR, false), SHAPE(1, 1, 1), 3, VALS(6), 0); /* 5.5 -> 6 */
    CHECK_TENSOR(ct_image_resize(u, 4, 1, CT_INTERP_NEAREST, false), SHAPE(1, 4, 1), 3, VALS(0, 0, 10, 10), 0);
    free(xv);
    CHECK_ERR(ct_image_resize(u, 0, 3, CT_INTERP_BILINEAR, false), "must be positive");
    CHECK_ERR(ct_image_resize(u, 2, 3, CT_INTERP_NEAREST, true), "Antialias option");
}

TEST(data_vision, color_adjustments_match_definitions) {
    /* one pixel per image, RGB, uint8: torchvision computes in float32 and truncates */
    ct_tensor *x = tt_tensor(VALS(200, 100, 10, 50, 60, 70), SHAPE(3, 1, 2), 3, CT_UINT8);
    CHECK_TENSOR(ct_image_adjust_brightness(x, 1.5), SHAPE(3, 1, 2), 3, VALS(255, 150, 15, 75, 90, 105), 0);
    double gray[2];
    for (int i = 0; i < 2; i++) {
        const double r[2] = {200, 100}, g[2] = {10, 50}, b[2] = {60, 70};
        gray[i] = floor(0.2989 * r[i] + 0.587 * g[i] + 0.114 * b[i]);
    }
    CHECK_TENSOR(ct_image_rgb_to_grayscale(x, 1), SHAPE(1, 1, 2), 3, gray, 0);
    CHECK_TENSOR(ct_image_rgb_to_grayscale(x, 3), SHAPE(3, 1, 2), 3, VALS(gray[0], gray[1], gray[0], gray[1], gray[0], gray[1]), 0);
    double mean = (gray[0] + gray[1]) / 2, sat[6], con[6];
    const double px[6] = {200, 100, 10, 50, 60, 70};
    for (int k = 0; k < 6; k++) {
        double v = 0.5 * px[k] + 0.5 * gray[k % 2];
        sat[k] = floor(v);
        v = 2.0 * px[k] - 1.0 * mean;
        con[k] = floor(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    CHECK_TENSOR(ct_image_adjust_saturation(x, 0.5), SHAPE(3, 1, 2), 3, sat, 0);
    CHECK_TENSOR(ct_image_adjust_contrast(x, 2.0), SHAPE(3, 1, 2), 3, con, 0);
    /* hue: pure red shifted by 1/3 turn is pure green; factor 0 keeps the image */
    ct_tensor *red = tt_tensor(VALS(1, 0, 0), SHAPE(3, 1, 1), 3, CT_FLOAT32);
    CHECK_TENSOR(ct_image_adjust_hue(red, 1.0 / 3.0), SHAPE(3, 1, 1), 3, VALS(0, 1, 0), 1e-6);
    ct_tensor *f = tt_rand(SHAPE(2, 3, 4, 5), 4, CT_FLOAT64, 0, 1, 9);
    ct_tensor *same = ct_image_adjust_hue(f, 0);
    double *a = tt_values(f);
    CHECK_TENSOR(same, SHAPE(2, 3, 4, 5), 4, a, 1e-12);
    free(a);
    CHECK_ERR(ct_image_adjust_hue(f, 0.6), "hue_factor (0.6) is not in [-0.5, 0.5].");
    CHECK_ERR(ct_image_adjust_brightness(f, -1), "brightness_factor (-1) is not non-negative.");
    CHECK_ERR(ct_image_adjust_saturation(tt_rand(SHAPE(2, 3, 3), 3, CT_FLOAT32, 0, 1, 1), 1),
              "permitted channel values are [1, 3], but found 2");
}

/* ---------------------------------------------------------------- transforms */
static ct_tensor *apply(ct_transform t, const ct_tensor *x, ct_generator *g) {
    ct_tensor *y = ct_transform_apply(&t, x, g);
    ct_transform_free(t);
    return y;
}

TEST(data_transforms, resize_sizes_like_torchvision) {
    ct_tensor *x = tt_rand(SHAPE(3, 20, 30), 3, CT_FLOAT32, 0, 1, 2);
    struct {
        int64_t size[2];
        int n;
        int64_t max_size, oh, ow;
    } cases[] = {{{10}, 1, 0, 10, 15}, {{8, 9}, 2, 0, 8, 9}, {{10}, 1, 12, 8, 12}, {{7}, 1, 0, 7, 10}};
    for (int c = 0; c < 4; c++) {
        ct_tensor *y = apply(ct_transform_resize(cases[c].size, cases[c].n, CT_INTERP_BILINEAR, cases[c].max_size, false), x, NULL);
        CHECK_OK(y);
        CHECK(y->sizes[1] == cases[c].oh && y->sizes[2] == cases[c].ow);
    }
    CHECK(apply(ct_transform_resize((const int64_t[]){20}, 1, CT_INTERP_BILINEAR, 0, false), x, NULL) != NULL);
    ct_transform bad = ct_transform_resize((const int64_t[]){10}, 1, CT_INTERP_BILINEAR, 10, false);
    CHECK(bad.apply == NULL && strstr(ct_last_error(), "max_size = 10 must be strictly greater"));
    bad = ct_transform_resize((const int64_t[]){10, 3}, 2, CT_INTERP_BILINEAR, 12, false);
    CHECK(bad.apply == NULL && strstr(ct_last_error(), "max_size should only be passed"));
}

TEST(data_transforms, random_crop_and_resized_crop) {
    ct_generator *g = ct_generator_new(7);
    ct_tensor *x = ramp(3, 10, 12, CT_UINT8);
    for (int it = 0; it < 20; it++) {
        ct_tensor *y = apply(ct_transform_random_crop(4, 5, NULL, 0, false, 0, CT_PAD_CONSTANT), x, g);
        CHECK_OK(y);
        CHECK(y->sizes[0] == 3 && y->sizes[1] == 4 && y->sizes[2] == 5);
        /* a window of the ramp: value(c, y, x) - value(c, 0, 0) = 10 y + x everywhere */
        double t0 = ct_item_at(y, 0);
        CHECK(ct_item_at(y, 1 * 5 + 2) == t0 + 12);
        CHECK(ct_item_at(y, 20) == t0 + 100);
    }
    ct_tensor *p = apply(ct_transform_random_crop(14, 16, (const int64_t[]){2}, 1, false, 0, CT_PAD_CONSTANT), x, g);
    CHECK(p && ct_item_at(p, 0) == 0 && ct_item_at(p, 14 * 16 - 1) == 0); /* the full padded image */
    ct_tensor *q = apply(ct_transform_random_crop(11, 20, NULL, 0, true, 5, CT_PAD_CONSTANT), x, g);
    CHECK(q && q->sizes[1] == 11 && q->sizes[2] == 20);
    CHECK_ERR(apply(ct_transform_random_crop(11, 20, NULL, 0, false, 0, CT_PAD_CONSTANT), x, g),
              "Required crop size (11, 20) is larger than input image size (10, 12)");
    ct_tensor *f = tt_rand(SHAPE(3, 33, 47), 3, CT_FLOAT32, 0, 1, 4);
    for (int it = 0; it < 30; it++) {
        ct_tensor *y = apply(ct_transform_random_resized_crop(8, 6, NULL, NULL, CT_INTERP_BILINEAR, false), f, g);
        CHECK_OK(y);
        CHECK(y->sizes[0] == 3 && y->sizes[1] == 8 && y->sizes[2] == 6);
        double mn = ct_item_at(ct_amin(y, NULL, 0, false), 0), mx = ct_item_at(ct_amax(y, NULL, 0, false), 0);
        CHECK(mn >= 0 && mx <= 1);
    }
    /* scale (1, 1) and ratio around the image's own: the whole image, resized */
    ct_tensor *whole = apply(ct_transform_random_resized_crop(33, 47, (const double[]){1, 1}, (const double[]){0.1, 10}, CT_INTERP_BILINEAR, false), f, g);
    CHECK(whole && ct_item_at(ct_amax(ct_abs(ct_sub(whole, f)), NULL, 0, false), 0) == 0);
    ct_transform bad = ct_transform_random_resized_crop(8, 8, (const double[]){0.9, 0.1}, NULL, CT_INTERP_BILINEAR, false);
    CHECK(bad.apply == NULL && strstr(ct_last_error(), "Scale and ratio"));
    ct_generator_free(g);
}

TEST(data_transforms, flips_probability_and_reproducibility) {
    ct_tensor *x = ramp(1, 2, 3, CT_FLOAT32);
    ct_tensor *h = ct_image_hflip(x);
    ct_generator *g = ct_generator_new(1);
    ct_transform always = ct_transform_random_horizontal_flip(1.0), never = ct_transform_random_vertical_flip(0.0);
    CHECK_TENSOR(ct_transform_apply(&always, x, g), SHAPE(1, 2, 3), 3, VALS(2, 1, 0, 12, 11, 10), 0);
    CHECK_TENSOR(ct_transform_apply(&never, x, g), SHAPE(1, 2, 3), 3, VALS(0, 1, 2, 10, 11, 12), 0);
    ct_transform half = ct_transform_random_horizontal_flip(0.5);
    int flips = 0;
    char seq1[400], seq2[400];
    for (int i = 0; i < 400; i++) {
        ct_tensor *y = ct_transform_apply(&half, x, g);
        seq1[i] = (char)(ct_item_at(y, 0) == 2);
        flips += seq1[i];
    }
    CHECK(flips > 150 && flips < 250); /* binomial(400, 0.5): 10 sd */
    ct_generator_manual_seed(g, 1);
    ct_tensor *tmp1 = ct_transform_apply(&always, x, g);
    ct_tensor *tmp2 = ct_transform_apply(&never, x, g);
    (void)tmp1, (void)tmp2;
    for (int i = 0; i < 400; i++) seq2[i] = (char)(ct_item_at(ct_transform_apply(&half, x, g), 0) == 2);
    CHECK(!memcmp(seq1, seq2, sizeof seq1));
    ct_transform_free(always);
    ct_transform_free(never);
    ct_transform_free(half);
    (void)h;
    ct_transform bad = ct_transform_random_horizontal_flip(1.5);
    CHECK(bad.apply == NULL);
    ct_generator_free(g);
}

TEST(data_transforms, color_jitter_and_grayscale) {
    ct_generator *g = ct_generator_new(3);
    ct_tensor *x = tt_rand(SHAPE(3, 6, 7), 3, CT_FLOAT32, 0, 1, 8);
    ct_transform cj = ct_transform_color_jitter((const double[]){0.6, 1.4}, (const double[]){0.6, 1.4},
                                                (const double[]){0.6, 1.4}, (const double[]){-0.1, 0.1});
    CHECK(cj.apply != NULL);
    for (int i = 0; i < 10; i++) {
        ct_tensor *y = ct_transform_apply(&cj, x, g);
        CHECK_OK(y);
        CHECK(ct_item_at(ct_amin(y, NULL, 0, false), 0) >= 0 && ct_item_at(ct_amax(y, NULL, 0, false), 0) <= 1);
    }
    /* identity ranges draw nothing and change nothing */
    ct_transform id = ct_transform_color_jitter((const double[]){1, 1}, NULL, NULL, (const double[]){0, 0});
    double *xv = tt_values(x);
    CHECK_TENSOR(ct_transform_apply(&id, x, g), SHAPE(3, 6, 7), 3, xv, 0);
    free(xv);
    ct_transform_free(cj);
    ct_transform_free(id);
    ct_transform bad = ct_transform_color_jitter(NULL, NULL, NULL, (const double[]){-0.6, 0.2});
    CHECK(bad.apply == NULL && strstr(ct_last_error(), "hue values should be between"));
    ct_tensor *gr = apply(ct_transform_grayscale(3), x, g);
    CHECK(gr && gr->sizes[0] == 3);
    CHECK(ct_item_at(gr, 0) == ct_item_at(gr, 42) && ct_item_at(gr, 5) == ct_item_at(gr, 84 + 5));
    ct_generator_free(g);
}

TEST(data_transforms, compose_pipeline_and_conversions) {
    ct_tensor *hwc = tt_tensor(VALS(10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120), SHAPE(2, 2, 3), 3, CT_UINT8);
    ct_transform ts[4] = {ct_transform_pil_to_tensor(), ct_transform_random_horizontal_flip(1.0),
                          ct_transform_convert_image_dtype(CT_FLOAT32),
                          ct_transform_normalize(VALS(0.5, 0.5, 0.5), VALS(0.5, 0.5, 0.5), 3)};
    ct_transform pipe = ct_transform_compose_n(ts, 4);
    CHECK(pipe.apply != NULL);
    ct_tensor *y = ct_transform_apply(&pipe, hwc, NULL);
    /* channel 0 of the flipped CHW image: [[40, 10], [100, 70]] */
    double e0[4] = {40, 10, 100, 70};
    for (int i = 0; i < 4; i++) CHECK_CLOSE(ct_item_at(y, i), (e0[i] / 255.0 - 0.5) / 0.5, 1e-6);
    CHECK(y->sizes[0] == 3 && y->dtype == CT_FLOAT32);
    ct_transform_free(pipe);
    /* Normalize on a batch [N, C, H, W] uses dim -3 */
    ct_transform nm = ct_transform_normalize(VALS(1, 2), VALS(1, 2), 2);
    ct_tensor *b = ct_ones(SHAPE(2, 2, 1, 1), 4, CT_FLOAT32);
    CHECK_TENSOR(ct_transform_apply(&nm, b, NULL), SHAPE(2, 2, 1, 1), 4, VALS(0, -0.5, 0, -0.5), 0);
    ct_transform_free(nm);
    ct_transform bad[2] = {ct_transform_to_tensor(), {NULL, NULL, NULL}};
    CHECK(ct_transform_compose_n(bad, 2).apply == NULL);
    CHECK(ct_transform_convert_image_dtype(CT_INT32).apply == NULL);
}

/* Random transforms in a DataLoader draw from a generator reseeded per
 * batch: the same batches for 0, 1 and 3 workers. */
TEST(data_transforms, loader_random_transforms_independent_of_workers) {
    ct_tensor *imgs = tt_rand(SHAPE(12, 3, 8, 8), 4, CT_FLOAT32, 0, 1, 11);
    ct_tensor *lab = ct_arange(0, 12, 1, CT_INT64);
    double *first = NULL;
    int64_t nvals = 0;
    const int workers[3] = {0, 1, 3};
    for (int w = 0; w < 3; w++) {
        ct_dataset *ds = ct_tensor_dataset((ct_tensor *const[]){imgs, lab}, 2);
        ct_transform ts[2] = {ct_transform_random_resized_crop(5, 5, NULL, NULL, CT_INTERP_BILINEAR, false),
                              ct_transform_random_horizontal_flip(0.5)};
        ds = ct_dataset_transform(ds, 0, ct_transform_compose_n(ts, 2));
        CHECK_OK(ds);
        ct_dataloader *dl = ct_dataloader_new(ds, &(ct_dataloader_options){.batch_size = 4, .num_workers = workers[w], .seed = 42});
        ct_tensor *b[2], *all[3];
        int k = 0;
        while (ct_dataloader_next(dl, b) == 2 && k < 3) all[k++] = b[0];
        CHECK(k == 3);
        ct_tensor *cat = ct_cat((const ct_tensor *const[]){all[0], all[1], all[2]}, 3, 0);
        double *v = tt_values(cat);
        if (!first) {
            first = v;
            nvals = cat->numel;
        } else {
            CHECK(cat->numel == nvals && !memcmp(first, v, sizeof(double) * (size_t)nvals));
            free(v);
        }
        ct_dataloader_free(dl);
        ct_dataset_free(ds);
    }
    free(first);
}
