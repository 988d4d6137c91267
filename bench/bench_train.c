/* One training step of the demo's CNN (forward + backward + SGD), timed:
 * conv(1->32, 3x3, pad 1) relu maxpool2, conv(32->64, 3x3, pad 1) relu
 * maxpool2, flatten, linear(3136->128) relu, linear(128->10), cross_entropy,
 * batch 64 of random 28x28 images. bench_train.py runs the same model in
 * PyTorch; run.py-style medians over repeats.
 *
 *   make -C bench ../build/bench/bench_train && ../build/bench/bench_train [steps] [fwd|poolfirst]
 * Run both with OMP_WAIT_POLICY=passive on a shared machine (spinning OpenMP
 * threads of either framework otherwise fight the other processes). */
#include <ctorch/ctorch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu(void) { /* process CPU time: robust on a shared machine */
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define CHECK(x)                                                   \
    do {                                                           \
        if (!(x)) {                                                \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, ct_last_error()); \
            exit(1);                                               \
        }                                                          \
    } while (0)

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 20;
    /* "fwd": forward only; "poolfirst": relu after each max_pool (the same
     * function, relu on a quarter of the elements: what the demo runs) */
    const char *mode = argc > 2 ? argv[2] : "";
    bool only = strcmp(mode, "fwd") == 0, poolfirst = strcmp(mode, "poolfirst") == 0;
    ct_generator *g = ct_generator_new(0);
    const int64_t B = 64;
    const int64_t shapes[8][4] = {{32, 1, 3, 3}, {32}, {64, 32, 3, 3}, {64}, {128, 3136}, {128}, {10, 128}, {10}};
    const int nds[8] = {4, 1, 4, 1, 2, 1, 2, 1};
    ct_tensor *p[8];
    for (int i = 0; i < 8; i++) {
        p[i] = ct_mul_scalar(ct_randn(shapes[i], nds[i], CT_FLOAT32, g), 0.05);
        CHECK(p[i]);
        ct_keep(p[i]);
        ct_requires_grad_(p[i], true);
    }
    ct_tensor *x = ct_keep(ct_randn((int64_t[]){B, 1, 28, 28}, 4, CT_FLOAT32, g));
    ct_tensor *y = ct_keep(ct_randint(0, 10, (int64_t[]){B}, 1, CT_INT64, g));
    CHECK(x && y);
    const int64_t pad1[2] = {1, 1}, k2[2] = {2, 2};
    double *t = calloc((size_t)steps, sizeof(double)), *c = calloc((size_t)steps, sizeof(double));
    for (int s = 0; s < steps; s++) {
        double t0 = now(), c0 = cpu();
        ct_scope sc = ct_scope_begin();
        ct_tensor *h = ct_conv2d(x, p[0], p[1], NULL, pad1, NULL, 1);
        h = poolfirst ? ct_relu(ct_max_pool2d(h, k2, NULL, NULL, NULL, false, NULL))
                      : ct_max_pool2d(ct_relu(h), k2, NULL, NULL, NULL, false, NULL);
        h = ct_conv2d(h, p[2], p[3], NULL, pad1, NULL, 1);
        h = poolfirst ? ct_relu(ct_max_pool2d(h, k2, NULL, NULL, NULL, false, NULL))
                      : ct_max_pool2d(ct_relu(h), k2, NULL, NULL, NULL, false, NULL);
        h = ct_flatten(h, 1, -1);
        h = ct_relu(ct_linear(h, p[4], p[5]));
        h = ct_linear(h, p[6], p[7]);
        ct_tensor *loss = ct_cross_entropy(h, y, NULL, -100, CT_REDUCTION_MEAN, 0.0);
        CHECK(loss);
        if (!only) {
            CHECK(ct_backward(loss, NULL, false, false, NULL, 0) == 0);
            ct_grad_mode m = ct_no_grad_begin();
            for (int i = 0; i < 8; i++) {
                ct_tensor *gr = ct_tensor_grad(p[i]);
                CHECK(gr);
                ct_add_alpha_(p[i], gr, -0.01);
                ct_zero_(gr);
            }
            ct_grad_mode_end(m);
        }
        ct_scope_end(sc);
        t[s] = now() - t0;
        c[s] = cpu() - c0;
    }
    qsort(t, (size_t)steps, sizeof(double), cmp);
    qsort(c, (size_t)steps, sizeof(double), cmp);
    printf("ctorch %s step: wall median %.2f ms, min %.2f ms; cpu median %.2f ms (%d steps)\n",
           only ? "forward" : poolfirst ? "train (pool first)" : "train", t[steps / 2] * 1e3, t[0] * 1e3, c[steps / 2] * 1e3, steps);
    ct_alloc_stats st = ct_host_alloc_stats();
    printf("allocator: %llu hits, %llu misses, peak %.1f MB\n", (unsigned long long)st.cache_hits,
           (unsigned long long)st.cache_misses, st.peak_bytes_in_use / 1e6);
    return 0;
}
