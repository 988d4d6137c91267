/* The SLEEF loops of unary_sleef.c for one vector width. The includer
 * defines WF/WD (floats/doubles per vector), VF/VD (vector types),
 * LOADF/STOREF/STREAMF, LOADD/STORED/STREAMD, SF(name, u)/SD(name, u) (the
 * SLEEF function of that width) and CT_PW_SLEEF_LOOKUP (the name of the
 * lookup function this file defines). */

/* m < W elements at x -> o through a buffer (heads and tails). */
#define SLEEF_PART(T, W, LOAD, STORE, FN, o, x, m)                                     \
    do {                                                                               \
        T buf_[W];                                                                     \
        for (int j_ = 0; j_ < W; j_++) buf_[j_] = j_ < (m) ? (x)[j_] : 0;              \
        STORE(buf_, FN(LOAD(buf_)));                                                   \
        for (int64_t j_ = 0; j_ < (m); j_++) (o)[j_] = buf_[j_];                      \
    } while (0)

/* Large contiguous outputs are streamed (non-temporal stores from an
 * aligned start), as in pointwise_loops.h. */
#define SLEEF_LOOP(NAME, T, W, LOAD, STORE, STREAM, FN)                                \
    static void NAME(char **d, const int64_t *s, int64_t n, void *ctx) {               \
        (void)ctx;                                                                     \
        T buf[W];                                                                      \
        int64_t k = 0;                                                                 \
        if (s[0] == sizeof(T) && s[1] == sizeof(T)) {                                  \
            T *o = (T *)d[0];                                                          \
            const T *x = (const T *)d[1];                                              \
            if (n * (int64_t)sizeof(T) >= CT_PW_STREAM_MIN_BYTES && (uintptr_t)o % sizeof(T) == 0) { \
                /* head up to a vector-aligned address: fewer than W elements */     \
                const uintptr_t vb = W * sizeof(T);                                    \
                int64_t h = (int64_t)(((vb - ((uintptr_t)o & (vb - 1))) & (vb - 1)) / sizeof(T)); \
                if (h > n) h = n;                                                      \
                if (h) SLEEF_PART(T, W, LOAD, STORE, FN, o, x, h);                     \
                for (k = h; k + W <= n; k += W) STREAM(o + k, FN(LOAD(x + k)));        \
                ct_pw_stream_fence();                                                  \
            } else {                                                                   \
                for (; k + W <= n; k += W) STORE(o + k, FN(LOAD(x + k)));              \
            }                                                                          \
            if (k < n) SLEEF_PART(T, W, LOAD, STORE, FN, o + k, x + k, n - k);         \
            return;                                                                    \
        }                                                                              \
        char *o = d[0];                                                                \
        const char *x = d[1];                                                          \
        for (; k < n; k += W) {                                                        \
            int64_t m = n - k < W ? n - k : W;                                         \
            for (int j = 0; j < W; j++) buf[j] = j < m ? *(const T *)(x + j * s[1]) : 0; \
            STORE(buf, FN(LOAD(buf)));                                                 \
            for (int64_t j = 0; j < m; j++) *(T *)(o + j * s[0]) = buf[j];             \
            o += W * s[0];                                                             \
            x += W * s[1];                                                             \
        }                                                                              \
    }

#define PAIR(name, fname, u)                                                           \
    SLEEF_LOOP(sleef_##name##_f32, float, WF, LOADF, STOREF, STREAMF, SF(fname, u))             \
    SLEEF_LOOP(sleef_##name##_f64, double, WD, LOADD, STORED, STREAMD, SD(fname, u))

PAIR(exp, exp, u10)
PAIR(exp2, exp2, u10)
PAIR(expm1, expm1, u10)
PAIR(log, log, u10)
PAIR(log2, log2, u10)
PAIR(log10, log10, u10)
PAIR(log1p, log1p, u10)
PAIR(sin, sin, u10)
PAIR(cos, cos, u10)
PAIR(tan, tan, u10)
PAIR(asin, asin, u10)
PAIR(acos, acos, u10)
PAIR(atan, atan, u10)
PAIR(sinh, sinh, u10)
PAIR(cosh, cosh, u10)
PAIR(tanh, tanh, u10)
PAIR(asinh, asinh, u10)
PAIR(acosh, acosh, u10)
PAIR(atanh, atanh, u10)
PAIR(erf, erf, u10)
PAIR(erfc, erfc, u15)

/* Activations composed from SLEEF functions (GCC vector arithmetic on the
 * intrinsic types). */
static inline VF sigmoid_vf(VF x) { return 1.0f / (1.0f + SF(exp, u10)(-x)); }
static inline VD sigmoid_vd(VD x) { return 1.0 / (1.0 + SD(exp, u10)(-x)); }
static inline VF silu_vf(VF x) { return x / (1.0f + SF(exp, u10)(-x)); }
static inline VD silu_vd(VD x) { return x / (1.0 + SD(exp, u10)(-x)); }
static inline VF gelu_vf(VF x) { return 0.5f * x * (1.0f + SF(erf, u10)(x * 0.70710678118654752f)); }
static inline VD gelu_vd(VD x) { return 0.5 * x * (1.0 + SD(erf, u10)(x * 0.70710678118654752)); }
static inline VF gelu_tanh_vf(VF x) {
    return 0.5f * x * (1.0f + SF(tanh, u10)(0.7978845608028654f * (x + 0.044715f * x * x * x)));
}
static inline VD gelu_tanh_vd(VD x) {
    return 0.5 * x * (1.0 + SD(tanh, u10)(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}
SLEEF_LOOP(sleef_sigmoid_f32, float, WF, LOADF, STOREF, STREAMF, sigmoid_vf)
SLEEF_LOOP(sleef_sigmoid_f64, double, WD, LOADD, STORED, STREAMD, sigmoid_vd)
SLEEF_LOOP(sleef_silu_f32, float, WF, LOADF, STOREF, STREAMF, silu_vf)
SLEEF_LOOP(sleef_silu_f64, double, WD, LOADD, STORED, STREAMD, silu_vd)
SLEEF_LOOP(gelu_erf_f32, float, WF, LOADF, STOREF, STREAMF, gelu_vf)
SLEEF_LOOP(gelu_erf_f64, double, WD, LOADD, STORED, STREAMD, gelu_vd)
SLEEF_LOOP(gelu_tanh_f32, float, WF, LOADF, STOREF, STREAMF, gelu_tanh_vf)
SLEEF_LOOP(gelu_tanh_f64, double, WD, LOADD, STORED, STREAMD, gelu_tanh_vd)
/* gelu's ctx: i[0] = 1 for the tanh approximation */
static void sleef_gelu_f32(char **d, const int64_t *s, int64_t n, void *ctx) {
    (((const ct_pw_ctx *)ctx)->i[0] ? gelu_tanh_f32 : gelu_erf_f32)(d, s, n, ctx);
}
static void sleef_gelu_f64(char **d, const int64_t *s, int64_t n, void *ctx) {
    (((const ct_pw_ctx *)ctx)->i[0] ? gelu_tanh_f64 : gelu_erf_f64)(d, s, n, ctx);
}

#define R(KOP, name) [KOP - CT_PW_BINARY_END] = {sleef_##name##_f32, sleef_##name##_f64},
static const ct_loop_fn sleef_table[CT_PW_UNARY_END - CT_PW_BINARY_END][2] = {
    R(CT_PW_EXP, exp) R(CT_PW_EXP2, exp2) R(CT_PW_EXPM1, expm1) R(CT_PW_LOG, log)
    R(CT_PW_LOG2, log2) R(CT_PW_LOG10, log10) R(CT_PW_LOG1P, log1p) R(CT_PW_SIN, sin)
    R(CT_PW_COS, cos) R(CT_PW_TAN, tan) R(CT_PW_ASIN, asin) R(CT_PW_ACOS, acos)
    R(CT_PW_ATAN, atan) R(CT_PW_SINH, sinh) R(CT_PW_COSH, cosh) R(CT_PW_TANH, tanh)
    R(CT_PW_ASINH, asinh) R(CT_PW_ACOSH, acosh) R(CT_PW_ATANH, atanh) R(CT_PW_ERF, erf)
    R(CT_PW_ERFC, erfc) R(CT_PW_SIGMOID, sigmoid) R(CT_PW_SILU, silu) R(CT_PW_GELU, gelu)
};

ct_loop_fn CT_PW_SLEEF_LOOKUP(int kop, ct_dtype dt);
ct_loop_fn CT_PW_SLEEF_LOOKUP(int kop, ct_dtype dt) {
    if (kop < CT_PW_BINARY_END || kop >= CT_PW_UNARY_END) return NULL;
    if (dt == CT_FLOAT32) return sleef_table[kop - CT_PW_BINARY_END][0];
    if (dt == CT_FLOAT64) return sleef_table[kop - CT_PW_BINARY_END][1];
    return NULL;
}
