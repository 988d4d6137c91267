/* Sampling ops. Each op locks its generator once, then draws serially in
 * the tensor's memory order with PyTorch's transformations (see
 * ctorch/random.h for which streams match PyTorch bit for bit). */
#include "ops/factory_internal.h"
#include "autograd/inplace.h"
#include "cuda/cuda_internal.h"

#include <math.h>

#if defined(__AVX2__)
#include <immintrin.h>
#include <sleef.h>
#endif

#define PI 3.14159265358979323846

/* PyTorch's ScalarType names, used in its error messages. */
static const char *torch_type_name(ct_dtype dt) {
    static const char *names[CT_NUM_DTYPES] = {"Bool",  "Byte",     "Char",  "Short", "Int",
                                               "Long",  "Half",     "BFloat16", "Float", "Double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}
/* C++ spelling used by PyTorch's bounds messages. */
static const char *cpp_type_name(ct_dtype dt) {
    static const char *names[CT_NUM_DTYPES] = {"bool",  "unsigned char", "signed char",
                                               "short", "int",           "long",
                                               "c10::Half", "c10::BFloat16", "float",
                                               "double"};
    return (unsigned)dt < CT_NUM_DTYPES ? names[dt] : "?";
}

static bool dtype_ok(const char *op, ct_dtype dt) {
    if ((unsigned)dt >= CT_NUM_DTYPES) {
        ct_set_error(CT_ERR_TYPE, "%s: invalid dtype %d", op, (int)dt);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- samplers */
typedef enum {
    D_UNIFORM, D_NORMAL, D_BERNOULLI, D_RANDINT, D_RANDOM_FULL,
    D_EXPONENTIAL, D_GEOMETRIC, D_LOG_NORMAL, D_CAUCHY, D_POISSON /* GPU only */
} dist_kind;

typedef struct {
    dist_kind kind;
    double a, b;    /* from/to, mean/std, p, lambda, median/sigma */
    uint64_t range; /* randint: to - from */
    int64_t base;   /* randint: from */
    bool dense;     /* the tensor was contiguous (PyTorch's normal_fill path) */
} dist;

/* normal_distribution<double> with the generator's cached second sample. */
static double normal_f64(ct_generator *g, double mean, double std) {
    double r;
    if (g->has_next_double) {
        g->has_next_double = false;
        r = g->next_double;
    } else {
        double u1 = ct__uniform_f64(g), u2 = ct__uniform_f64(g);
        double rad = sqrt(-2.0 * log1p(-u2));
        double theta = 2.0 * PI * u1;
        g->next_double = rad * sin(theta);
        g->has_next_double = true;
        r = rad * cos(theta);
    }
    return r * std + mean;
}

/* Box-Muller on 16 uniforms: lanes j and j+8 from (1 - u[j], u[j+8]). */
#define NORMAL16(T, data, mean, std)                                               \
    for (int j = 0; j < 8; j++) {                                                  \
        double u1 = 1.0 - (double)(data)[j], u2 = (double)(data)[j + 8];           \
        double rad = sqrt(-2.0 * log(u1)), theta = 2.0 * PI * u2;                  \
        (data)[j] = (T)(rad * cos(theta) * (std) + (mean));                        \
        (data)[j + 8] = (T)(rad * sin(theta) * (std) + (mean));                    \
    }

/* float32 blocks: the same double-precision transform; with AVX2, four
 * lanes at a time through SLEEF's 1-ulp log and sincos (float32 results
 * equal glibc's but for double results within an ulp of a float rounding
 * boundary), about 10x faster than scalar libm. float64 keeps glibc, so
 * its stream matches PyTorch's bit for bit. */
static void normal16_f32(float *data, double mean, double std) {
#if defined(__AVX2__)
    const __m256d one = _mm256_set1_pd(1.0), m2 = _mm256_set1_pd(-2.0);
    const __m256d tpi = _mm256_set1_pd(2.0 * PI), vs = _mm256_set1_pd(std);
    const __m256d vm = _mm256_set1_pd(mean);
    for (int h = 0; h < 8; h += 4) {
        __m256d u1 = _mm256_sub_pd(one, _mm256_cvtps_pd(_mm_loadu_ps(data + h)));
        __m256d u2 = _mm256_cvtps_pd(_mm_loadu_ps(data + 8 + h));
        __m256d rad = _mm256_sqrt_pd(_mm256_mul_pd(m2, Sleef_logd4_u10(u1)));
        Sleef___m256d_2 sc = Sleef_sincosd4_u10(_mm256_mul_pd(tpi, u2));
        __m256d n1 = _mm256_add_pd(_mm256_mul_pd(_mm256_mul_pd(rad, sc.y), vs), vm);
        __m256d n2 = _mm256_add_pd(_mm256_mul_pd(_mm256_mul_pd(rad, sc.x), vs), vm);
        _mm_storeu_ps(data + h, _mm256_cvtpd_ps(n1));
        _mm_storeu_ps(data + 8 + h, _mm256_cvtpd_ps(n2));
    }
#else
    NORMAL16(float, data, mean, std)
#endif
}

/* PyTorch's normal_fill for contiguous tensors of 16+ elements: all the
 * uniforms first, then Box-Muller in blocks of 16, the last block redrawn
 * when n is not a multiple of 16. BLOCK16(p) transforms 16 values at p. */
#define NORMAL_FILL(T, UNIF, BLOCK16, o, n, g)                                     \
    do {                                                                           \
        for (int64_t i = 0; i < (n); i++) (o)[i] = (T)UNIF(g);                     \
        for (int64_t i = 0; i + 16 <= (n); i += 16) BLOCK16((o) + i);              \
        if ((n) % 16) {                                                            \
            T *tail = (o) + (n) - 16;                                              \
            for (int i = 0; i < 16; i++) tail[i] = (T)UNIF(g);                     \
            BLOCK16(tail);                                                         \
        }                                                                          \
    } while (0)

/* Tensor.random_() value of a 32/64-bit draw for each dtype. */
static int64_t random_full_value(ct_generator *g, ct_dtype dt) {
    switch (dt) {
    case CT_BOOL: return ct__mt_u32(g) & 1;
    case CT_UINT8: return ct__mt_u32(g) % 256u;
    case CT_INT8: return ct__mt_u32(g) % 128u;
    case CT_INT16: return ct__mt_u32(g) % 32768u;
    case CT_INT32: return ct__mt_u32(g) % UINT32_C(2147483648);
    case CT_INT64: return (int64_t)(ct__mt_u64(g) % (UINT64_C(1) << 63));
    case CT_FLOAT16: return ct__mt_u32(g) % ((1u << 11) + 1);
    case CT_BFLOAT16: return ct__mt_u32(g) % ((1u << 8) + 1);
    case CT_FLOAT32: return ct__mt_u32(g) % ((1u << 24) + 1);
    default: return (int64_t)(ct__mt_u64(g) % ((UINT64_C(1) << 53) + 1));
    }
}

/* float rounded to float16/bfloat16 and back (c10::Half arithmetic). */
static float round16(float v, ct_dtype dt) {
    return dt == CT_FLOAT16 ? ct_half_to_float(ct_float_to_half(v))
                            : ct_bf16_to_float(ct_float_to_bf16(v));
}

/* One draw as double (the per-element kinds). */
static double draw(ct_generator *g, const dist *d, ct_dtype dt) {
    switch (d->kind) {
    case D_UNIFORM: {
        if (dt == CT_FLOAT64) return fma(ct__uniform_f64(g), d->b - d->a, d->a);
        if (dt == CT_FLOAT16 || dt == CT_BFLOAT16) {
            /* uniform_real<Half/BFloat16>: 11/8 mantissa bits of a 32-bit
             * draw; to - from rounded to the type */
            int digits = dt == CT_FLOAT16 ? 11 : 8;
            float from = round16((float)d->a, dt), to = round16((float)d->b, dt);
            float x = (float)(ct__mt_u32(g) & ((1u << digits) - 1)) / (float)(1u << digits);
            return fmaf(x, round16(to - from, dt), from);
        }
        float from = (float)d->a, to = (float)d->b;
        return fmaf(ct__uniform_f32(g), to - from, from);
    }
    case D_NORMAL: return normal_f64(g, d->a, d->b);
    case D_BERNOULLI: return ct__uniform_f64(g) < d->a;
    case D_EXPONENTIAL: return -log1p(-ct__uniform_f64(g)) / d->a;
    case D_GEOMETRIC: {
        /* PyTorch: ceil(log(u) / log1p(-p)); u = 0 (probability 2^-53)
         * gives inf, kept for floating types and clamped for integers */
        double v = ceil(log(ct__uniform_f64(g)) / log1p(-d->a));
        if (!ct_dtype_is_floating(dt) && !(v < 9.2e18)) v = 9.2e18;
        return v;
    }
    case D_LOG_NORMAL: return exp(normal_f64(g, d->a, d->b));
    case D_CAUCHY: return d->a + d->b * tan(PI * (ct__uniform_f64(g) - 0.5));
    default: return 0;
    }
}

/* randint's draw: 64 bits only for wide ranges of the wide types. */
static int64_t draw_int(ct_generator *g, const dist *d, ct_dtype dt) {
    bool wide = d->range >= (UINT64_C(1) << 32) &&
                (dt == CT_INT64 || dt == CT_FLOAT64 || dt == CT_FLOAT32 || dt == CT_BFLOAT16);
    uint64_t v = wide ? ct__mt_u64(g) : ct__mt_u32(g);
    return (int64_t)(v % d->range + (uint64_t)d->base);
}

/* n samples into contiguous memory o of dtype dt; generator locked. */
static void sample_contig(void *o, int64_t n, ct_dtype dt, const dist *d, ct_generator *g) {
    if (d->kind == D_NORMAL && d->dense && n >= 16 && dt == CT_FLOAT32) {
        float *p = o;
#define F32_BLOCK(q) normal16_f32((q), d->a, d->b)
        NORMAL_FILL(float, ct__uniform_f32, F32_BLOCK, p, n, g);
#undef F32_BLOCK
        return;
    }
    if (d->kind == D_NORMAL && d->dense && n >= 16 && dt == CT_FLOAT64) {
        double *p = o;
#define F64_BLOCK(q) do { double *q_ = (q); NORMAL16(double, q_, d->a, d->b) } while (0)
        NORMAL_FILL(double, ct__uniform_f64, F64_BLOCK, p, n, g);
#undef F64_BLOCK
        return;
    }
    if (d->kind == D_UNIFORM && dt == CT_FLOAT32) {
        float *restrict p = o, from = (float)d->a, w = (float)d->b - (float)d->a;
        for (int64_t i = 0; i < n; i++) p[i] = fmaf(ct__uniform_f32(g), w, from);
        return;
    }
    if (d->kind == D_UNIFORM && dt == CT_FLOAT64) {
        double *restrict p = o, from = d->a, w = d->b - d->a;
        for (int64_t i = 0; i < n; i++) p[i] = fma(ct__uniform_f64(g), w, from);
        return;
    }
    size_t isz = ct_dtype_size(dt);
    char *p = o;
    for (int64_t i = 0; i < n; i++, p += isz) {
        if (d->kind == D_RANDINT) ct__store_i64(p, dt, draw_int(g, d, dt));
        else if (d->kind == D_RANDOM_FULL) ct__store_i64(p, dt, random_full_value(g, dt));
        else ct__store_f64(p, dt, draw(g, d, dt));
    }
}

/* A view of t with its dims ordered outermost-first by memory (decreasing
 * stride), the order PyTorch's TensorIterator walks a single output in. */
static ct_tensor *memory_order_view(const ct_tensor *t) {
    int perm[CT_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) perm[i] = i;
    for (int i = 1; i < t->ndim; i++) /* stable insertion sort */
        for (int j = i; j > 0 && t->strides[perm[j - 1]] < t->strides[perm[j]]; j--) {
            int tmp = perm[j];
            perm[j] = perm[j - 1];
            perm[j - 1] = tmp;
        }
    int64_t sz[CT_MAX_DIMS], st[CT_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) {
        sz[i] = t->sizes[perm[i]];
        st[i] = t->strides[perm[i]];
    }
    return ct__tensor_new(t->storage, t->dtype, sz, st, t->ndim, t->offset);
}

/* PyTorch's assert_no_internal_overlap for outputs of random ops. */
static bool no_internal_overlap(const ct_tensor *t) {
    for (int i = 0; i < t->ndim; i++)
        if (t->strides[i] == 0 && t->sizes[i] > 1) {
            ct_set_error(CT_ERR_RUNTIME,
                         "unsupported operation: more than one element of the written-to tensor "
                         "refers to a single memory location. Please clone() the tensor before "
                         "performing the operation.");
            return false;
        }
    return true;
}

/* Fills t (any strides) from d; 0 or -1. */
/* Before an in-place sample: PyTorch's leaf errors (nothing written yet). */
static int begin_sample(ct_tensor *t) {
    const ct_tensor *in = t;
    return ct__needs_grad(&in, 1) ? ct__ag_inplace_begin(CT_OP_fill_, t, &in, 1) : 0;
}

/* randint's range of Tensor.random_() without bounds, by dtype (as
 * random_full_value). */
static uint64_t random_full_range(ct_dtype dt) {
    switch (dt) {
    case CT_BOOL: return 2;
    case CT_UINT8: return 256;
    case CT_INT8: return 128;
    case CT_INT16: return 32768;
    case CT_INT32: return UINT64_C(2147483648);
    case CT_INT64: return UINT64_C(1) << 63;
    case CT_FLOAT16: return (1u << 11) + 1;
    case CT_BFLOAT16: return (1u << 8) + 1;
    case CT_FLOAT32: return (1u << 24) + 1;
    default: return (UINT64_C(1) << 53) + 1;
    }
}

/* On a GPU: one launch of the counter-based Philox kernel
 * (src/cuda/random.cu) keyed by one 64-bit draw of g, so ct_manual_seed
 * makes the draws reproducible and a value depends only on the seed and
 * its element's index (logical row-major order of t); the values differ
 * from the CPU's (and from PyTorch's CUDA generator). pa/pb: per-element
 * parameters (float64, contiguous, t's shape, on t's GPU) or NULL. A
 * parameter out of range returns 1 with t untouched (the caller words the
 * error); else 0 or -1. */
static int gpu_fill(ct_tensor *t, dist d, const ct_tensor *pa, const ct_tensor *pb, ct_generator *g) {
    static const int kinds[] = {
        [D_UNIFORM] = CT_CUDA_RAND_UNIFORM,         [D_NORMAL] = CT_CUDA_RAND_NORMAL,
        [D_BERNOULLI] = CT_CUDA_RAND_BERNOULLI,     [D_RANDINT] = CT_CUDA_RAND_RANDINT,
        [D_RANDOM_FULL] = CT_CUDA_RAND_RANDINT,     [D_EXPONENTIAL] = CT_CUDA_RAND_EXPONENTIAL,
        [D_GEOMETRIC] = CT_CUDA_RAND_GEOMETRIC,     [D_LOG_NORMAL] = CT_CUDA_RAND_LOG_NORMAL,
        [D_CAUCHY] = CT_CUDA_RAND_CAUCHY};
    if (t->numel == 0) return 0;
    if (!no_internal_overlap(t)) return -1;
    ct_cuda_rand r;
    memset(&r, 0, sizeof r);
    r.kind = d.kind == D_POISSON ? CT_CUDA_RAND_POISSON : kinds[d.kind];
    r.dt = t->dtype;
    r.numel = t->numel;
    r.a = d.a;
    r.b = d.b;
    r.base = d.kind == D_RANDINT ? d.base : 0;
    r.range = d.kind == D_RANDINT ? d.range : random_full_range(t->dtype);
    pthread_mutex_lock(&g->lock);
    r.seed = ct__mt_u64(g);
    pthread_mutex_unlock(&g->lock);
    ct_device dev = t->storage->device;
    int64_t one = 1;
    bool checked = pa || pb;
    /* parameters are checked by the kernel: sample into a scratch tensor, then copy */
    ct_tensor *c = ct_is_contiguous(t) && !checked ? ct_retain(t)
                                                  : ct__empty_on(t->sizes, t->ndim, t->dtype, dev);
    ct_tensor *bad = c && checked ? ct__empty_on(&one, 1, CT_INT32, dev) : NULL;
    ct_tensor *hbad = bad ? ct__empty(&one, 1, CT_INT32) : NULL;
    int rc = -1;
    if (!c || (checked && (!hbad || ct__cuda->fill(bad, 0) < 0))) goto done;
    r.data = ct_data_ptr(c);
    r.pa = pa ? ct_data_ptr(pa) : NULL;
    r.pb = pb ? ct_data_ptr(pb) : NULL;
    r.bad = bad ? ct_data_ptr(bad) : NULL;
    if (ct__cuda->random(dev.index, &r) < 0) goto done;
    if (checked) {
        if (ct__copy_into(hbad, bad) < 0) goto done;
        if (*(int32_t *)ct_data_ptr(hbad)) {
            rc = 1;
            goto done;
        }
    }
    rc = c != t ? ct__copy_into(t, c) : 0;
done:
    ct_release(c);
    ct_release(bad);
    ct_release(hbad);
    return rc;
}

static int sample_into(ct_tensor *t, dist d, ct_generator *g) {
    if (!ct__on_cpu(t)) {
        if (begin_sample(t) < 0) return -1;
        return gpu_fill(t, d, NULL, NULL, ct__gen(g));
    }
    if (begin_sample(t) < 0) return -1;
    g = ct__gen(g);
    if (t->numel == 0) return 0;
    if (!no_internal_overlap(t)) return -1;
    if (ct_is_contiguous(t)) {
        d.dense = true;
        pthread_mutex_lock(&g->lock);
        sample_contig(ct_data_ptr(t), t->numel, t->dtype, &d, g);
        pthread_mutex_unlock(&g->lock);
        return 0;
    }
    d.dense = false;
    ct_tensor *v = memory_order_view(t);
    ct_tensor *tmp = v ? ct__empty(v->sizes, v->ndim, t->dtype) : NULL;
    int rc = -1;
    if (tmp) {
        pthread_mutex_lock(&g->lock);
        sample_contig(ct_data_ptr(tmp), tmp->numel, t->dtype, &d, g);
        pthread_mutex_unlock(&g->lock);
        rc = ct__copy_into(v, tmp);
    }
    ct_release(tmp);
    ct_release(v);
    return rc;
}

/* ---------------------------------------------------------------- checks */
static bool floating_ok(const char *kernel, ct_dtype dt) {
    if (ct_dtype_is_floating(dt)) return true;
    ct_set_error(CT_ERR_RUNTIME, "\"%s\" not implemented for '%s'", kernel, torch_type_name(dt));
    return false;
}

static bool uniform_ok(ct_dtype dt, double from, double to) {
    if (!floating_ok("check_uniform_bounds", dt)) return false;
    double maxv = dt == CT_FLOAT64 ? 1.7976931348623157e308
                : dt == CT_FLOAT32 ? 3.4028234663852886e38
                : dt == CT_FLOAT16 ? 65504.0 : 3.3895313892515355e38;
    if (!(from >= -maxv && from <= maxv)) {
        ct_set_error(CT_ERR_RUNTIME, "uniform_: from is out of bounds for %s", cpp_type_name(dt));
        return false;
    }
    if (!(to >= -maxv && to <= maxv)) {
        ct_set_error(CT_ERR_RUNTIME, "uniform_: to is out of bounds for %s", cpp_type_name(dt));
        return false;
    }
    if (!(from <= to)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "uniform_ expects to return a [from, to) range, but found from=%g > to=%g",
                     from, to);
        return false;
    }
    if (!(to - from <= maxv)) {
        ct_set_error(CT_ERR_RUNTIME,
                     "uniform_ expects to-from <= std::numeric_limits<%s>::max(), but found "
                     "to=%g and from=%g which result in to-from to exceed the limit",
                     torch_type_name(dt), to, from);
        return false;
    }
    return true;
}

/* PyTorch's random_from_to checks for [from, to). */
static bool randint_ok(const char *op, ct_dtype dt, int64_t from, int64_t to) {
    if (from >= to) {
        ct_set_error(CT_ERR_RUNTIME,
                     "%s: random_ expects 'from' to be less than 'to', but got from=%lld >= "
                     "to=%lld",
                     op, (long long)from, (long long)to);
        return false;
    }
    int64_t lo, hi;
    switch (dt) {
    case CT_BOOL: lo = 0; hi = 1; break;
    case CT_UINT8: lo = 0; hi = 255; break;
    case CT_INT8: lo = -128; hi = 127; break;
    case CT_INT16: lo = INT16_MIN; hi = INT16_MAX; break;
    case CT_INT32: lo = INT32_MIN; hi = INT32_MAX; break;
    case CT_INT64: lo = INT64_MIN; hi = INT64_MAX; break;
    /* floating types: PyTorch only warns outside the exactly representable
     * integers; ctorch accepts what fits the type */
    case CT_FLOAT16: lo = -65504; hi = 65504; break;
    default: lo = INT64_MIN; hi = INT64_MAX; break;
    }
    if (from < lo || from > hi) {
        ct_set_error(CT_ERR_RUNTIME, "%s: from is out of bounds for %s", op, cpp_type_name(dt));
        return false;
    }
    if (to - 1 < lo || to - 1 > hi) {
        ct_set_error(CT_ERR_RUNTIME, "%s: to - 1 is out of bounds for %s", op, cpp_type_name(dt));
        return false;
    }
    return true;
}

static dist mk(dist_kind k, double a, double b) {
    dist d;
    memset(&d, 0, sizeof d);
    d.kind = k;
    d.a = a;
    d.b = b;
    return d;
}

static dist mk_randint(int64_t from, int64_t to) {
    dist d = mk(D_RANDINT, 0, 0);
    d.range = (uint64_t)to - (uint64_t)from;
    d.base = from;
    return d;
}

/* New tensor on the CPU, or on like's device (like may be NULL), sampled
 * from d; owned or NULL. */
static ct_tensor *sampled_on(const int64_t *sizes, int ndim, ct_dtype dt, const ct_tensor *like, dist d,
                             ct_generator *g) {
    ct_tensor *t = like ? ct__empty_on(sizes, ndim, dt, like->storage->device) : ct__empty(sizes, ndim, dt);
    if (t && sample_into(t, d, g) < 0) {
        ct_release(t);
        return NULL;
    }
    return t;
}

static ct_tensor *sampled(const int64_t *sizes, int ndim, ct_dtype dt, dist d, ct_generator *g) {
    return sampled_on(sizes, ndim, dt, NULL, d, g);
}

static ct_dtype pick(ct_dtype dt, ct_dtype def) { return dt == CT_DTYPE_DEFAULT ? def : dt; }

/* ---------------------------------------------------------------- creation */
ct_tensor *ct_rand(const int64_t *sizes, int ndim, ct_dtype dt, ct_generator *g) {
    dt = pick(dt, ct_default_dtype());
    if (!dtype_ok("rand", dt) || !uniform_ok(dt, 0, 1)) return NULL;
    return ct_autorelease(sampled(sizes, ndim, dt, mk(D_UNIFORM, 0, 1), g));
}

ct_tensor *ct_randn(const int64_t *sizes, int ndim, ct_dtype dt, ct_generator *g) {
    dt = pick(dt, ct_default_dtype());
    if (!dtype_ok("randn", dt) || !floating_ok("normal_kernel_cpu", dt)) return NULL;
    return ct_autorelease(sampled(sizes, ndim, dt, mk(D_NORMAL, 0, 1), g));
}

ct_tensor *ct_randint(int64_t low, int64_t high, const int64_t *sizes, int ndim, ct_dtype dt,
                      ct_generator *g) {
    dt = pick(dt, CT_INT64);
    if (!dtype_ok("randint", dt) || !randint_ok("randint", dt, low, high)) return NULL;
    return ct_autorelease(sampled(sizes, ndim, dt, mk_randint(low, high), g));
}

/* The _like ops sample on t's device. */
ct_tensor *ct_rand_like(const ct_tensor *t, ct_dtype dt, ct_generator *g) {
    dt = pick(dt, t->dtype);
    if (!dtype_ok("rand", dt) || !uniform_ok(dt, 0, 1)) return NULL;
    return ct_autorelease(sampled_on(t->sizes, t->ndim, dt, t, mk(D_UNIFORM, 0, 1), g));
}

ct_tensor *ct_randn_like(const ct_tensor *t, ct_dtype dt, ct_generator *g) {
    dt = pick(dt, t->dtype);
    if (!dtype_ok("randn", dt) || !floating_ok("normal_kernel_cpu", dt)) return NULL;
    return ct_autorelease(sampled_on(t->sizes, t->ndim, dt, t, mk(D_NORMAL, 0, 1), g));
}

ct_tensor *ct_randint_like(const ct_tensor *t, int64_t low, int64_t high, ct_dtype dt,
                           ct_generator *g) {
    dt = pick(dt, t->dtype);
    if (!dtype_ok("randint", dt) || !randint_ok("randint", dt, low, high)) return NULL;
    return ct_autorelease(sampled_on(t->sizes, t->ndim, dt, t, mk_randint(low, high), g));
}

ct_tensor *ct_randperm(int64_t n, ct_dtype dt, ct_generator *g) {
    dt = pick(dt, CT_INT64);
    if (!dtype_ok("randperm", dt)) return NULL;
    if (n < 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "randperm: Trying to create tensor with negative dimension %lld: [%lld]",
                       (long long)n, (long long)n);
    int64_t maxn = dt == CT_BOOL ? 2 : dt == CT_UINT8 ? 256 : dt == CT_INT8 ? 128
                 : dt == CT_INT16 ? 32768 : dt == CT_FLOAT16 ? 2049 : dt == CT_BFLOAT16 ? 257
                 : dt == CT_FLOAT32 ? (1 << 24) + 1 : INT64_MAX;
    if (n > maxn)
        return CT_FAIL(CT_ERR_RUNTIME, "randperm: n = %lld cannot be represented exactly in %s",
                       (long long)n, ct_dtype_name(dt));
    ct_tensor *idx = ct__empty(&n, 1, CT_INT64);
    if (!idx) return NULL;
    int64_t *r = ct_data_ptr(idx);
    for (int64_t i = 0; i < n; i++) r[i] = i;
    g = ct__gen(g);
    pthread_mutex_lock(&g->lock);
    for (int64_t i = 0; i < n - 1; i++) { /* PyTorch's randperm_cpu */
        int64_t z = (int64_t)(ct__mt_u32(g) % (uint64_t)(n - i));
        int64_t sav = r[i];
        r[i] = r[z + i];
        r[z + i] = sav;
    }
    pthread_mutex_unlock(&g->lock);
    if (dt == CT_INT64) return ct_autorelease(idx);
    ct_tensor *out = ct__to_dtype(idx, dt, false);
    ct_release(idx);
    return ct_autorelease(out);
}

/* ---------------------------------------------------------------- in place */
/* After an in-place sample: the old values no longer reach the result, so
 * in a graph t becomes a node with a zero gradient for its history (as
 * PyTorch's UniformBackward0 & co.; recorded as fill_). */
static ct_tensor *inplace_done(ct_tensor *t, int rc) {
    if (rc < 0) return NULL;
    ct_bump_version(t);
    const ct_tensor *in = t;
    if (ct__needs_grad(&in, 1)) {
        ct_op_args a;
        memset(&a, 0, sizeof a);
        if (ct__ag_record(CT_OP_fill_, t, &in, 1, NULL, 0, &a) < 0) return NULL;
    }
    return t;
}

ct_tensor *ct_uniform_(ct_tensor *t, double from, double to, ct_generator *g) {
    if (!uniform_ok(t->dtype, from, to)) return NULL;
    return inplace_done(t, sample_into(t, mk(D_UNIFORM, from, to), g));
}

ct_tensor *ct_normal_(ct_tensor *t, double mean, double std, ct_generator *g) {
    if (!(std >= 0.0))
        return CT_FAIL(CT_ERR_RUNTIME, "normal_: normal expects std >= 0.0, but found std %g", std);
    if (!floating_ok("normal_kernel_cpu", t->dtype)) return NULL;
    return inplace_done(t, sample_into(t, mk(D_NORMAL, mean, std), g));
}

ct_tensor *ct_random_(ct_tensor *t, int64_t from, int64_t to, ct_generator *g) {
    if (!randint_ok("random_", t->dtype, from, to)) return NULL;
    return inplace_done(t, sample_into(t, mk_randint(from, to), g));
}

ct_tensor *ct_random_full_(ct_tensor *t, ct_generator *g) {
    return inplace_done(t, sample_into(t, mk(D_RANDOM_FULL, 0, 0), g));
}

ct_tensor *ct_bernoulli_(ct_tensor *t, double p, ct_generator *g) {
    if (!(p >= 0 && p <= 1))
        return CT_FAIL(CT_ERR_RUNTIME, "bernoulli_ expects p to be in [0, 1], but got p=%g", p);
    return inplace_done(t, sample_into(t, mk(D_BERNOULLI, p, 0), g));
}

ct_tensor *ct_exponential_(ct_tensor *t, double lambd, ct_generator *g) {
    if (!(lambd >= 0.0))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "exponential_ expects lambda >= 0.0, but found lambda=%g", lambd);
    if (!floating_ok("exponential_cpu", t->dtype)) return NULL;
    return inplace_done(t, sample_into(t, mk(D_EXPONENTIAL, lambd, 0), g));
}

ct_tensor *ct_geometric_(ct_tensor *t, double p, ct_generator *g) {
    if (!(p > 0 && p < 1))
        return CT_FAIL(CT_ERR_RUNTIME, "geometric_ expects p to be in (0, 1), but got p=%g", p);
    return inplace_done(t, sample_into(t, mk(D_GEOMETRIC, p, 0), g));
}

ct_tensor *ct_log_normal_(ct_tensor *t, double mean, double std, ct_generator *g) {
    if (!(std > 0.0))
        return CT_FAIL(CT_ERR_RUNTIME, "log_normal_ expects std > 0.0, but found std=%g", std);
    if (!floating_ok("log_normal_cpu", t->dtype)) return NULL;
    return inplace_done(t, sample_into(t, mk(D_LOG_NORMAL, mean, std), g));
}

ct_tensor *ct_cauchy_(ct_tensor *t, double median, double sigma, ct_generator *g) {
    if (!floating_ok("cauchy_cpu", t->dtype)) return NULL;
    return inplace_done(t, sample_into(t, mk(D_CAUCHY, median, sigma), g));
}

/* p broadcast to t, in t's memory order; PyTorch draws a double uniform for
 * float64 probabilities and a float one otherwise. */
/* x (any device) broadcast to shape, as a contiguous float64 tensor on dev. Owned. */
static ct_tensor *param_on(const ct_tensor *x, const int64_t *shape, int ndim, ct_device dev);

static bool same_device(const char *op, const ct_tensor *a, const ct_tensor *b) {
    ct_device x = a->storage->device, y = b->storage->device;
    if (x.type == y.type && (x.type == CT_CPU || x.index == y.index)) return true;
    ct_set_error(CT_ERR_RUNTIME,
                 "%s: Expected all tensors to be on the same device, but found at least two "
                 "devices, %s:%d and %s:%d!",
                 op, x.type == CT_CPU ? "cpu" : "cuda", x.index, y.type == CT_CPU ? "cpu" : "cuda",
                 y.index);
    return false;
}

ct_tensor *ct_bernoulli_tensor_(ct_tensor *t, const ct_tensor *p, ct_generator *g) {
    if (!same_device("bernoulli_", t, p)) return NULL;
    if (!ct_dtype_is_floating(p->dtype))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "bernoulli_: expected a floating point tensor of probabilities, got %s",
                       ct_dtype_name(p->dtype));
    int64_t bs[CT_MAX_DIMS];
    int nd = ct_broadcast_shapes("bernoulli_", t->sizes, t->ndim, p->sizes, p->ndim, bs);
    if (nd < 0) return NULL;
    if (nd != t->ndim || memcmp(bs, t->sizes, sizeof(int64_t) * (size_t)nd) != 0)
        return CT_FAIL(CT_ERR_RUNTIME,
                       "bernoulli_: probabilities of shape %s cannot be broadcast to %s",
                       ct__shp(p), ct__shp(t));
    if (begin_sample(t) < 0) return NULL;
    if (t->numel == 0) return inplace_done(t, 0);
    if (!no_internal_overlap(t)) return NULL;
    if (!ct__on_cpu(t)) {
        ct_tensor *pd = param_on(p, t->sizes, t->ndim, t->storage->device);
        int rc = pd ? gpu_fill(t, mk(D_BERNOULLI, 0, 0), pd, NULL, ct__gen(g)) : -1;
        ct_release(pd);
        if (rc > 0)
            return CT_FAIL(CT_ERR_RUNTIME,
                           "bernoulli_: Expected p_in >= 0 && p_in <= 1 to be true, but got false.");
        return inplace_done(t, rc);
    }
    /* p viewed with t's shape, then both in t's memory order */
    int64_t pst[CT_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) {
        int pi = i - (t->ndim - p->ndim);
        pst[i] = (pi < 0 || p->sizes[pi] == 1) ? 0 : p->strides[pi];
    }
    ct_tensor *pe = ct__tensor_new(p->storage, p->dtype, t->sizes, pst, t->ndim, p->offset);
    ct_tensor *tv = NULL, *pv = NULL, *pd = NULL, *out = NULL;
    int rc = -1;
    if (!pe) goto done;
    /* order dims by t's strides; permute p the same way */
    int perm[CT_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) perm[i] = i;
    for (int i = 1; i < t->ndim; i++)
        for (int j = i; j > 0 && t->strides[perm[j - 1]] < t->strides[perm[j]]; j--) {
            int tmp = perm[j];
            perm[j] = perm[j - 1];
            perm[j - 1] = tmp;
        }
    int64_t sz[CT_MAX_DIMS], ts[CT_MAX_DIMS], ps[CT_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) {
        sz[i] = t->sizes[perm[i]];
        ts[i] = t->strides[perm[i]];
        ps[i] = pe->strides[perm[i]];
    }
    tv = ct__tensor_new(t->storage, t->dtype, sz, ts, t->ndim, t->offset);
    pv = ct__tensor_new(p->storage, p->dtype, sz, ps, t->ndim, p->offset);
    bool dbl = p->dtype == CT_FLOAT64;
    pd = pv ? ct__to_dtype(pv, CT_FLOAT64, true) : NULL; /* contiguous copy */
    if (!tv || !pd) goto done;
    const double *pp = ct_data_ptr(pd);
    for (int64_t i = 0; i < pd->numel; i++)
        if (!(pp[i] >= 0 && pp[i] <= 1)) {
            ct_set_error(CT_ERR_RUNTIME,
                         "bernoulli_: Expected p_in >= 0 && p_in <= 1 to be true, but got false.");
            goto done;
        }
    out = ct__empty(sz, t->ndim, t->dtype);
    if (!out) goto done;
    g = ct__gen(g);
    size_t isz = ct_dtype_size(t->dtype);
    char *o = ct_data_ptr(out);
    pthread_mutex_lock(&g->lock);
    for (int64_t i = 0; i < out->numel; i++)
        ct__store_i64(o + i * (int64_t)isz, t->dtype,
                      dbl ? ct__uniform_f64(g) < pp[i] : ct__uniform_f32(g) < (float)pp[i]);
    pthread_mutex_unlock(&g->lock);
    rc = ct__copy_into(tv, out);
done:
    ct_release(pe);
    ct_release(tv);
    ct_release(pv);
    ct_release(pd);
    ct_release(out);
    return inplace_done(t, rc);
}

ct_tensor *ct_bernoulli(const ct_tensor *p, ct_generator *g) {
    ct_tensor *r = ct__empty_on(p->sizes, p->ndim, p->dtype, p->storage->device);
    if (!r) return NULL;
    if (!ct_bernoulli_tensor_(r, p, g)) {
        ct_release(r);
        return NULL;
    }
    return ct_autorelease(r);
}

ct_tensor *ct_bernoulli_p(const ct_tensor *t, double p, ct_generator *g) {
    ct_tensor *r = ct__empty_on(t->sizes, t->ndim, t->dtype, t->storage->device);
    if (!r) return NULL;
    if (!ct_bernoulli_(r, p, g)) {
        ct_release(r);
        return NULL;
    }
    return ct_autorelease(r);
}

/* ---------------------------------------------------------------- multinomial */
typedef struct {
    double key;
    int64_t idx;
} keyed;

static int by_key_desc(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->key > y->key) return -1;
    if (x->key < y->key) return 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* On a GPU (src/cuda/random.c): the same checks (one int read back), the
 * same keyed path without replacement (p / E with E ~ Exp(1), the largest
 * keys of each row through the GPU sort) and the inverse CDF with it,
 * drawn by the Philox kernel keyed by one draw of g. osz: rows, samples. */
static ct_tensor *gpu_multinomial(const ct_tensor *p, const int64_t *osz, bool replacement,
                                  ct_generator *g) {
    static const char *const why[] = {
        "", "probability tensor contains either `inf`, `nan` or element < 0",
        "invalid multinomial distribution (encountering probability entry < 0)",
        "invalid multinomial distribution (encountering probability entry = infinity or NaN)",
        "invalid multinomial distribution (sum of probabilities <= 0)"};
    ct_device dev = p->storage->device;
    ct_tensor *out = ct__empty_on(p->ndim == 2 ? osz : osz + 1, p->ndim, CT_INT64, dev);
    ct_tensor *pd = out ? ct__to_dtype(p, CT_FLOAT64, true) : NULL; /* contiguous */
    int code = 0;
    pthread_mutex_lock(&g->lock);
    uint64_t seed = ct__mt_u64(g);
    pthread_mutex_unlock(&g->lock);
    int rc = pd ? ct__cuda->multinomial(pd, out, !replacement || osz[1] == 1,
                                        p->dtype != CT_FLOAT64, seed, &code)
                : -1;
    ct_release(pd);
    if (rc == 0 && code > 0 && code <= 4) ct_set_error(CT_ERR_RUNTIME, "multinomial: %s", why[code]);
    if (rc < 0 || code) {
        ct_release(out);
        return NULL;
    }
    return ct_autorelease(out);
}

ct_tensor *ct_multinomial(const ct_tensor *p, int64_t num_samples, bool replacement,
                          ct_generator *g) {
    if (p->ndim != 1 && p->ndim != 2)
        return CT_FAIL(CT_ERR_RUNTIME, "multinomial: prob_dist must be 1 or 2 dim, got %s",
                       ct__shp(p));
    if (!ct_dtype_is_floating(p->dtype))
        return CT_FAIL(CT_ERR_RUNTIME,
                       "multinomial only supports floating-point dtypes for input, got: %s",
                       torch_type_name(p->dtype));
    if (num_samples <= 0)
        return CT_FAIL(CT_ERR_RUNTIME, "multinomial: cannot sample n_sample <= 0 samples");
    int64_t ncat = p->sizes[p->ndim - 1];
    int64_t rows = p->ndim == 2 ? p->sizes[0] : 1;
    if (!replacement && num_samples > ncat)
        return CT_FAIL(CT_ERR_RUNTIME, "multinomial: cannot sample n_sample > prob_dist.size(-1) "
                                       "samples without replacement");
    if (ncat > (INT64_C(1) << 24))
        return CT_FAIL(CT_ERR_RUNTIME, "multinomial: number of categories cannot exceed 2^24");
    int64_t osz[2] = {rows, num_samples};
    if (!ct__on_cpu(p)) return gpu_multinomial(p, osz, replacement, ct__gen(g));
    ct_tensor *out = p->ndim == 2 ? ct__empty(osz, 2, CT_INT64) : ct__empty(&num_samples, 1, CT_INT64);
    ct_tensor *pd = out ? ct__to_dtype(p, CT_FLOAT64, true) : NULL; /* contiguous double copy */
    if (!pd) {
        ct_release(out);
        return NULL;
    }
    const double *pp = ct_data_ptr(pd);
    int64_t *o = ct_data_ptr(out);
    bool keyed_path = !replacement || num_samples == 1;
    bool single = p->dtype != CT_FLOAT64;
    const char *err = NULL;
    for (int64_t r = 0; r < rows && !err; r++) {
        double sum = 0;
        for (int64_t j = 0; j < ncat; j++) {
            double v = pp[r * ncat + j];
            if (keyed_path && !(v >= 0 && v < INFINITY))
                err = "probability tensor contains either `inf`, `nan` or element < 0";
            else if (!keyed_path && !(v >= 0))
                err = "invalid multinomial distribution (encountering probability entry < 0)";
            else if (!keyed_path && !isfinite(v))
                err = "invalid multinomial distribution (encountering probability entry = "
                      "infinity or NaN)";
            if (err) break;
            sum += v;
        }
        if (!err && !(sum > 0)) err = "invalid multinomial distribution (sum of probabilities <= 0)";
    }
    if (err) {
        ct_release(out);
        ct_release(pd);
        return CT_FAIL(CT_ERR_RUNTIME, "multinomial: %s", err);
    }
    keyed *keys = keyed_path ? malloc(sizeof(keyed) * (size_t)(ncat ? ncat : 1)) : NULL;
    double *cum = keyed_path ? NULL : malloc(sizeof(double) * (size_t)(ncat ? ncat : 1));
    if ((keyed_path && !keys) || (!keyed_path && !cum)) {
        ct_release(out);
        ct_release(pd);
        free(keys);
        free(cum);
        return CT_FAIL(CT_ERR_MEMORY, "multinomial: out of memory");
    }
    g = ct__gen(g);
    pthread_mutex_lock(&g->lock);
    for (int64_t r = 0; r < rows; r++) {
        const double *row = pp + r * ncat;
        int64_t *orow = o + r * num_samples;
        if (keyed_path) {
            /* p_j / E_j with E_j ~ Exp(1): the k largest are a sample of k
             * categories without replacement, with probability ~ p */
            for (int64_t j = 0; j < ncat; j++) {
                /* PyTorch: q = empty_like(p).exponential_(1); p / q, both
                 * rounded to p's dtype (float32 division done in double
                 * rounds the same) */
                double e = -log1p(-ct__uniform_f64(g));
                if (single) e = (float)e;
                keys[j].key = single ? (double)(float)(row[j] / e) : row[j] / e;
                keys[j].idx = j;
            }
            qsort(keys, (size_t)ncat, sizeof *keys, by_key_desc);
            for (int64_t k = 0; k < num_samples; k++) orow[k] = keys[k].idx;
        } else {
            /* PyTorch accumulates and normalizes in p's dtype */
            double acc = 0;
            float accf = 0;
            for (int64_t j = 0; j < ncat; j++)
                cum[j] = single ? (double)(accf += (float)row[j]) : (acc += row[j]);
            for (int64_t j = 0; j < ncat; j++)
                cum[j] = single ? (double)((float)cum[j] / accf) : cum[j] / acc;
            cum[ncat - 1] = 1;
            for (int64_t k = 0; k < num_samples; k++) {
                double u = ct__uniform_f64(g);
                int64_t lo = 0, hi = ncat;
                while (hi - lo > 0) { /* first slot with cum >= u */
                    int64_t mid = lo + (hi - lo) / 2;
                    if (cum[mid] < u) lo = mid + 1;
                    else hi = mid;
                }
                /* u can equal an empty bucket's edge only with probability 0,
                 * but never return a zero-probability category */
                while (lo < ncat - 1 && row[lo] == 0) lo++;
                orow[k] = lo;
            }
        }
    }
    pthread_mutex_unlock(&g->lock);
    free(keys);
    free(cum);
    ct_release(pd);
    return ct_autorelease(out);
}

/* ---------------------------------------------------------------- normal, poisson */
/* x broadcast to shape, converted to dt, contiguous; owned. */
static ct_tensor *expanded_as(const ct_tensor *x, const int64_t *shape, int ndim, ct_dtype dt);

static ct_tensor *param_on(const ct_tensor *x, const int64_t *shape, int ndim, ct_device dev) {
    ct_tensor *e = expanded_as(x, shape, ndim, CT_FLOAT64); /* on x's device */
    if (!e || (e->storage->device.type == dev.type && e->storage->device.index == dev.index))
        return e;
    ct_tensor *r = ct__empty_on(shape, ndim, CT_FLOAT64, dev);
    if (r && ct__copy_into(r, e) < 0) {
        ct_release(r);
        r = NULL;
    }
    ct_release(e);
    return r;
}

static ct_tensor *expanded_as(const ct_tensor *x, const int64_t *shape, int ndim, ct_dtype dt) {
    int64_t st[CT_MAX_DIMS];
    for (int i = 0; i < ndim; i++) {
        int xi = i - (ndim - x->ndim);
        st[i] = (xi < 0 || x->sizes[xi] == 1) ? 0 : x->strides[xi];
    }
    ct_tensor *e = ct__tensor_new(x->storage, x->dtype, shape, st, ndim, x->offset);
    if (!e) return NULL;
    ct_tensor *r = ct__to_dtype(e, dt, true);
    ct_release(e);
    return r;
}

/* The values of a GPU std are checked by the sampling kernel. */
static bool std_tensor_ok(const ct_tensor *std) {
    if (!ct_dtype_is_floating(std->dtype)) {
        ct_set_error(CT_ERR_RUNTIME, "\"normal_kernel_cpu\" not implemented for '%s'",
                     torch_type_name(std->dtype));
        return false;
    }
    for (int64_t i = 0; ct__on_cpu(std) && i < std->numel; i++)
        if (!(ct_item_at(std, i) >= 0.0)) {
            ct_set_error(CT_ERR_RUNTIME, "normal: normal expects all elements of std >= 0.0");
            return false;
        }
    return true;
}

/* out = normal_(0, s) [* std] + mean, each step rounded to out's dtype as
 * PyTorch's in-place mul_/add_ do. mean/std NULL: the scalar. */
static ct_tensor *normal_impl(const ct_tensor *mean, double mean_s, const ct_tensor *std,
                              double std_s, ct_dtype dt, ct_generator *g) {
    if (mean && std && !same_device("normal", mean, std)) return NULL;
    if (!floating_ok("normal_kernel_cpu", dt)) return NULL;
    if (std && !std_tensor_ok(std)) return NULL;
    if (!std && !(std_s >= 0.0))
        return CT_FAIL(CT_ERR_RUNTIME, "normal: normal expects std >= 0.0, but found std %g", std_s);
    int64_t shape[CT_MAX_DIMS];
    int nd;
    if (mean && std) {
        nd = ct_broadcast_shapes("normal", mean->sizes, mean->ndim, std->sizes, std->ndim, shape);
        if (nd < 0) return NULL;
    } else {
        const ct_tensor *x = mean ? mean : std;
        nd = x->ndim;
        memcpy(shape, x->sizes, sizeof(int64_t) * (size_t)nd);
    }
    const ct_tensor *x = mean ? mean : std;
    if (!ct__on_cpu(x)) { /* one kernel: mean + std * N(0, 1) in double, per element */
        ct_device dev = x->storage->device;
        ct_tensor *o = ct__empty_on(shape, nd, dt, dev);
        ct_tensor *pm = o && mean ? param_on(mean, shape, nd, dev) : NULL;
        ct_tensor *ps = o && std ? param_on(std, shape, nd, dev) : NULL;
        int rc = o && (!mean || pm) && (!std || ps)
                     ? gpu_fill(o, mk(D_NORMAL, mean_s, std_s), pm, ps, ct__gen(g)) : -1;
        ct_release(pm);
        ct_release(ps);
        if (rc > 0) ct_set_error(CT_ERR_RUNTIME, "normal: normal expects all elements of std >= 0.0");
        if (rc != 0) {
            ct_release(o);
            return NULL;
        }
        return ct_autorelease(o);
    }
    ct_tensor *out = ct__empty(shape, nd, dt);
    ct_tensor *md = NULL, *sd = NULL;
    if (!out) return NULL;
    if (sample_into(out, mk(D_NORMAL, 0, std ? 1.0 : std_s), g) < 0) goto fail;
    if (mean && !(md = expanded_as(mean, shape, nd, dt))) goto fail;
    if (std && !(sd = expanded_as(std, shape, nd, CT_FLOAT64))) goto fail;
    int64_t n = out->numel;
    const double *s = sd ? ct_data_ptr(sd) : NULL;
    if (dt == CT_FLOAT32) {
        float *o = ct_data_ptr(out);
        const float *m = md ? ct_data_ptr(md) : NULL;
        float mf = (float)mean_s;
        for (int64_t i = 0; i < n; i++) {
            float v = o[i];
            if (s) v = (float)((double)v * s[i]);
            o[i] = v + (m ? m[i] : mf);
        }
    } else if (dt == CT_FLOAT64) {
        double *o = ct_data_ptr(out);
        const double *m = md ? ct_data_ptr(md) : NULL;
        for (int64_t i = 0; i < n; i++) {
            double v = o[i];
            if (s) v = v * s[i];
            o[i] = v + (m ? m[i] : mean_s);
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            double v = ct_item_at(out, i);
            if (s) v = v * s[i];
            v += md ? ct_item_at(md, i) : mean_s;
            ct__store_f64((char *)ct_data_ptr(out) + i * (int64_t)ct_dtype_size(dt), dt, v);
        }
    }
    ct_release(md);
    ct_release(sd);
    return ct_autorelease(out);
fail:
    ct_release(out);
    ct_release(md);
    ct_release(sd);
    return NULL;
}

ct_tensor *ct_normal(const ct_tensor *mean, const ct_tensor *std, ct_generator *g) {
    return normal_impl(mean, 0, std, 0, mean->dtype, g);
}

ct_tensor *ct_normal_std_scalar(const ct_tensor *mean, double std, ct_generator *g) {
    return normal_impl(mean, 0, NULL, std, mean->dtype, g);
}

ct_tensor *ct_normal_mean_scalar(double mean, const ct_tensor *std, ct_generator *g) {
    return normal_impl(NULL, mean, std, 0, std->dtype, g);
}

ct_tensor *ct_normal_sized(double mean, double std, const int64_t *sizes, int ndim, ct_dtype dt,
                           ct_generator *g) {
    dt = pick(dt, ct_default_dtype());
    if (!dtype_ok("normal", dt)) return NULL;
    if (!(std >= 0.0))
        return CT_FAIL(CT_ERR_RUNTIME, "normal: normal expects std >= 0.0, but found std %g", std);
    if (!floating_ok("normal_kernel_cpu", dt)) return NULL;
    return ct_autorelease(sampled(sizes, ndim, dt, mk(D_NORMAL, mean, std), g));
}

/* PyTorch's sample_poisson: transformed rejection (Hoermann 1993) for
 * rates >= 10, multiplication of uniforms below. */
static int64_t sample_poisson(double lambda, ct_generator *g) {
    if (lambda >= 10) {
        double slam = sqrt(lambda), loglam = log(lambda);
        double b = 0.931 + 2.53 * slam;
        double a = -0.059 + 0.02483 * b;
        double invalpha = 1.1239 + 1.1328 / (b - 3.4);
        double vr = 0.9277 - 3.6224 / (b - 2);
        for (;;) {
            double U = ct__uniform_f64(g) - 0.5;
            double V = ct__uniform_f64(g);
            double us = 0.5 - fabs(U);
            int64_t k = (int64_t)floor((2 * a / us + b) * U + lambda + 0.43);
            if (us >= 0.07 && V <= vr) return k;
            if (k < 0 || (us < 0.013 && V > us)) continue;
            if (log(V) + log(invalpha) - log(a / (us * us) + b) <=
                -lambda + (double)k * loglam - lgamma((double)k + 1))
                return k;
        }
    }
    if (lambda == 0) return 0;
    double enlam = exp(-lambda), prod = 1.0;
    int64_t x = 0;
    for (;;) {
        prod *= ct__uniform_f64(g);
        if (prod > enlam) x += 1;
        else return x;
    }
}

ct_tensor *ct_poisson(const ct_tensor *rates, ct_generator *g) {
    if (!floating_ok("poisson_cpu", rates->dtype)) return NULL;
    if (!ct__on_cpu(rates)) { /* the rates are checked by the sampling kernel */
        ct_device dev = rates->storage->device;
        ct_tensor *o = ct__empty_on(rates->sizes, rates->ndim, rates->dtype, dev);
        ct_tensor *pr = o ? param_on(rates, rates->sizes, rates->ndim, dev) : NULL;
        int rc = pr ? gpu_fill(o, mk(D_POISSON, 0, 0), pr, NULL, ct__gen(g)) : -1;
        ct_release(pr);
        if (rc > 0)
            ct_set_error(CT_ERR_RUNTIME,
                         "poisson: invalid Poisson rate, expected rate to be non-negative");
        if (rc != 0) {
            ct_release(o);
            return NULL;
        }
        return ct_autorelease(o);
    }
    ct_tensor *r = ct__to_dtype(rates, CT_FLOAT64, true); /* contiguous, logical order */
    if (!r) return NULL;
    const double *lam = ct_data_ptr(r);
    for (int64_t i = 0; i < r->numel; i++)
        if (!(lam[i] >= 0)) {
            ct_release(r);
            return CT_FAIL(CT_ERR_RUNTIME,
                           "poisson: invalid Poisson rate, expected rate to be non-negative");
        }
    ct_tensor *out = ct__empty(rates->sizes, rates->ndim, rates->dtype);
    if (!out) {
        ct_release(r);
        return NULL;
    }
    g = ct__gen(g);
    size_t isz = ct_dtype_size(out->dtype);
    char *o = ct_data_ptr(out);
    pthread_mutex_lock(&g->lock);
    for (int64_t i = 0; i < out->numel; i++)
        ct__store_f64(o + i * (int64_t)isz, out->dtype, (double)sample_poisson(lam[i], g));
    pthread_mutex_unlock(&g->lock);
    ct_release(r);
    return ct_autorelease(out);
}
