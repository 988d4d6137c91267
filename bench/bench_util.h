/* Timing helpers for the benchmarks: median of repeats, each repeat long
 * enough to dwarf the clock's resolution. */
#ifndef CT_BENCH_UTIL_H
#define CT_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Seconds per call of fn(ctx): median over `repeats` batches of `inner` calls. */
static inline double bench_time(void (*fn)(void *), void *ctx, int inner, int repeats) {
    double t[64];
    if (repeats > 64) repeats = 64;
    for (int w = 0; w < inner && w < 3; w++) fn(ctx); /* warm up */
    for (int r = 0; r < repeats; r++) {
        double t0 = bench_now();
        for (int i = 0; i < inner; i++) fn(ctx);
        t[r] = (bench_now() - t0) / inner;
    }
    qsort(t, (size_t)repeats, sizeof *t, bench_cmp);
    return t[repeats / 2];
}

/* Seconds per call of each of n functions, measured round-robin: repeat r
 * times fns[0], fns[1], ... (one untimed call, then inner timed calls each),
 * then medians per function. Interleaving makes the ratios of the results
 * fair on a machine whose load changes (a slower stretch hits every function
 * alike); the untimed call gives each batch the warm caches that
 * back-to-back calls have (as in bench_time and in run.py's PyTorch). */
static inline void bench_time_rr(int n, void (*const *fns)(void *), void *ctx, int inner,
                                 int repeats, double *sec) {
    double t[16][64];
    if (repeats > 64) repeats = 64;
    if (n > 16) n = 16;
    for (int f = 0; f < n; f++)
        for (int w = 0; w < inner && w < 3; w++) fns[f](ctx); /* warm up */
    for (int r = 0; r < repeats; r++)
        for (int f = 0; f < n; f++) {
            fns[f](ctx);
            double t0 = bench_now();
            for (int i = 0; i < inner; i++) fns[f](ctx);
            t[f][r] = (bench_now() - t0) / inner;
        }
    for (int f = 0; f < n; f++) {
        qsort(t[f], (size_t)repeats, sizeof(double), bench_cmp);
        sec[f] = t[f][repeats / 2];
    }
}

/* One result line: name, seconds per call, and optional bytes/flops per call. */
static inline void bench_report(const char *name, double sec, double bytes, double flops) {
    printf("{\"name\": \"%s\", \"sec\": %.9g, \"bytes\": %.9g, \"flops\": %.9g}\n", name, sec,
           bytes, flops);
    fflush(stdout);
}

/* A derived value (a fraction of a machine limit), one line. */
static inline void bench_value(const char *name, double v) {
    printf("{\"name\": \"%s\", \"value\": %.6g}\n", name, v);
    fflush(stdout);
}

#endif
