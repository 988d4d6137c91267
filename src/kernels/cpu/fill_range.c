/* Range fills (arange, linspace, logspace) into a fresh contiguous 1-d
 * tensor, with PyTorch's arithmetic: arange in double (int64 for integer
 * ranges), linspace in the element type (double for integer types) filled
 * from both ends so that both endpoints are exact, logspace through pow in
 * double. */
#include "ops/factory_internal.h"

#include <math.h>

#include <omp.h>

#define RANGE_GRAIN (CT_GRAIN * 2)

/* This thread's share [*b, *e) of n elements inside a parallel region. */
static void share(int64_t n, int64_t *b, int64_t *e) {
    int nt = omp_get_num_threads(), id = omp_get_thread_num();
    int64_t chunk = (n + nt - 1) / nt;
    *b = chunk * id < n ? chunk * id : n;
    *e = *b + chunk < n ? *b + chunk : n;
}

/* Floating arange with PyTorch's exact rounding (its AVX2 build computes in
 * double): blocks of V lanes, two blocks at a time, from a base
 * fma(step, b, start) rounded to the element type, plus j * step fused;
 * the tail element by element as fma(step, i, start). */
#define ARANGE_VEC(NAME, T, V)                                                     \
    static void NAME(T *o, int64_t n, double start, double step) {                 \
        const int64_t nv = n / (2 * (V)) * (2 * (V));                              \
        _Pragma("omp parallel for if (n >= RANGE_GRAIN)")                          \
        for (int64_t b = 0; b < nv; b += (V)) {                                    \
            const double base = (double)(T)fma(step, (double)b, start);            \
            for (int j = 0; j < (V); j++) o[b + j] = (T)fma((double)j, step, base); \
        }                                                                          \
        for (int64_t i = nv; i < n; i++) o[i] = (T)fma(step, (double)i, start);     \
    }
ARANGE_VEC(arange_f32, float, 8)
ARANGE_VEC(arange_f64, double, 4)

void ct__fill_arange_f64(ct_tensor *t, double start, double step) {
    int64_t n = t->numel;
    void *p = ct_data_ptr(t);
    switch (t->dtype) {
    case CT_FLOAT32: arange_f32(p, n, start, step); break;
    case CT_FLOAT64: arange_f64(p, n, start, step); break;
    case CT_FLOAT16: case CT_BFLOAT16:
        for (int64_t i = 0; i < n; i++)
            ct__store_f64((uint16_t *)p + i, t->dtype, fma(step, (double)i, start));
        break;
    default:
#pragma omp parallel if (n >= RANGE_GRAIN)
    {
        int64_t b, e;
        share(n, &b, &e);
        CT_DISPATCH_NATIVE(t->dtype, {
            T *restrict o = p;
            for (int64_t i = b; i < e; i++) o[i] = (T)(start + step * (double)i);
        });
    }
    }
}

void ct__fill_arange_i64(ct_tensor *t, int64_t start, int64_t step) {
    int64_t n = t->numel;
    void *p = ct_data_ptr(t);
    switch (t->dtype) {
    case CT_FLOAT16: case CT_BFLOAT16:
        for (int64_t i = 0; i < n; i++)
            ct__store_i64((uint16_t *)p + i, t->dtype, start + step * i);
        break;
    default:
#pragma omp parallel if (n >= RANGE_GRAIN)
    {
        int64_t b, e;
        share(n, &b, &e);
        CT_DISPATCH_NATIVE(t->dtype, {
            T *restrict o = p;
            for (int64_t i = b; i < e; i++) o[i] = (T)(start + step * i);
        });
    }
    }
}

/* Floating linspace with PyTorch's exact rounding (its AVX2 build): blocks
 * of V lanes, processed two blocks at a time, start from a base computed
 * with a fused multiply-add (from the start in the first half, from the end
 * in the second) and add j * step per lane; the tail that does not fill two
 * blocks is computed element by element with the fused form. */
#define LINSPACE_VEC(NAME, T, FMA, V)                                              \
    static void NAME(T *o, int64_t n, T s0, T s1) {                                \
        const T step = (s1 - s0) / (T)(n - 1);                                     \
        const int64_t half = n / 2, nv = n / (2 * (V)) * (2 * (V));                \
        _Pragma("omp parallel for if (n >= RANGE_GRAIN)")                          \
        for (int64_t b = 0; b < nv; b += (V)) {                                    \
            T base = b < half ? FMA(step, (T)b, s0) : FMA(-step, (T)(n - b - 1), s1); \
            for (int j = 0; j < (V); j++) {                                        \
                T inc = (T)j * step;                                               \
                o[b + j] = base + inc;                                             \
            }                                                                      \
        }                                                                          \
        for (int64_t i = nv; i < n; i++)                                           \
            o[i] = i < half ? FMA(step, (T)i, s0) : FMA(-step, (T)(n - i - 1), s1); \
    }
LINSPACE_VEC(linspace_f32, float, fmaf, 8)
LINSPACE_VEC(linspace_f64, double, fma, 4)

void ct__fill_linspace(ct_tensor *t, double start, double end) {
    int64_t n = t->numel;
    void *p = ct_data_ptr(t);
    if (n == 0) return;
    if (n == 1) {
        ct__fill_f64(t, start);
        return;
    }
    switch (t->dtype) {
    case CT_FLOAT32: linspace_f32(p, n, (float)start, (float)end); break;
    case CT_FLOAT64: linspace_f64(p, n, start, end); break;
    case CT_FLOAT16: case CT_BFLOAT16: {
        /* PyTorch computes in the 16-bit type; float then one rounding is
         * at least as close to the exact value */
        float s0 = (float)start, s1 = (float)end, step = (s1 - s0) / (float)(n - 1);
        int64_t half = n / 2;
        for (int64_t i = 0; i < n; i++)
            ct__store_f64((uint16_t *)p + i, t->dtype,
                          i < half ? s0 + step * (float)i : s1 - step * (float)(n - i - 1));
        break;
    }
    default:
        /* integer types: endpoints cast to the type, step in double */
#pragma omp parallel if (n >= RANGE_GRAIN)
    {
        int64_t b, e;
        share(n, &b, &e);
        CT_DISPATCH_INTEGRAL(t->dtype, {
            T *restrict o = p;
            const double s0 = (double)(T)start, s1 = (double)(T)end;
            const double step = (s1 - s0) / (double)(n - 1);
            const int64_t half = n / 2;
            for (int64_t i = b; i < e; i++)
                o[i] = (T)(i < half ? s0 + step * (double)i : s1 - step * (double)(n - i - 1));
        });
    }
    }
}

void ct__fill_logspace(ct_tensor *t, double start, double end, double base) {
    int64_t n = t->numel;
    void *p = ct_data_ptr(t);
    if (n == 0) return;
    if (n == 1) {
        ct__fill_f64(t, pow(base, start));
        return;
    }
    bool integral = !ct_dtype_is_floating(t->dtype);
    /* PyTorch: integer types use a float base and integer endpoints;
     * floating types a double base and endpoints in the element type */
    double s0, s1, b = integral ? (double)(float)base : base;
    if (integral) {
        s0 = (double)(int64_t)start;
        s1 = (double)(int64_t)end;
    } else if (t->dtype == CT_FLOAT32) {
        s0 = (float)start;
        s1 = (float)end;
    } else {
        s0 = start;
        s1 = end;
    }
    double step = (s1 - s0) / (double)(n - 1);
    int64_t half = n / 2;
    switch (t->dtype) {
    case CT_FLOAT16: case CT_BFLOAT16:
        for (int64_t i = 0; i < n; i++)
            ct__store_f64((uint16_t *)p + i, t->dtype,
                          pow(b, i < half ? s0 + step * (double)i : s1 - step * (double)(n - i - 1)));
        break;
    default:
#pragma omp parallel if (n >= RANGE_GRAIN)
    {
        int64_t lo, hi;
        share(n, &lo, &hi);
        CT_DISPATCH_NATIVE(t->dtype, {
            T *restrict o = p;
            for (int64_t i = lo; i < hi; i++)
                o[i] = (T)pow(b, i < half ? s0 + step * (double)i
                                          : s1 - step * (double)(n - i - 1));
        });
    }
    }
}
