/* dtypes: sizes, names, promotion, half-precision conversion. */
#include "internal.h"

#include <math.h>

static const size_t dtype_sizes[CT_NUM_DTYPES] = {1, 1, 1, 2, 4, 8, 2, 2, 4, 8};
static const char *const dtype_names[CT_NUM_DTYPES] = {
    "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"};

static _Thread_local ct_dtype default_dtype = CT_FLOAT32;

size_t ct_dtype_size(ct_dtype dt) { return (unsigned)dt < CT_NUM_DTYPES ? dtype_sizes[dt] : 0; }
const char *ct_dtype_name(ct_dtype dt) {
    return (unsigned)dt < CT_NUM_DTYPES ? dtype_names[dt] : "invalid";
}
bool ct_dtype_is_floating(ct_dtype dt) { return dt >= CT_FLOAT16 && dt <= CT_FLOAT64; }
bool ct_dtype_is_integral(ct_dtype dt) { return dt >= CT_UINT8 && dt <= CT_INT64; }
ct_dtype ct_default_dtype(void) { return default_dtype; }
void ct_set_default_dtype(ct_dtype dt) {
    if (ct_dtype_is_floating(dt)) default_dtype = dt;
}

/* torch.promote_types. Within integers: uint8 with a signed type needs the
 * next wider signed type; float16 with bfloat16 gives float32. */
ct_dtype ct_promote_types(ct_dtype a, ct_dtype b) {
    if (a == b) return a;
    if (a > b) {
        ct_dtype t = a;
        a = b;
        b = t;
    }
    /* now a < b */
    if (a == CT_BOOL) return b;
    if (a == CT_UINT8 && b == CT_INT8) return CT_INT16;
    if (a == CT_FLOAT16 && b == CT_BFLOAT16) return CT_FLOAT32;
    return b;
}

/* IEEE half conversion, round to nearest even. */
float ct_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal */
            float f = ldexpf((float)man, -24);
            return sign ? -f : f;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t ct_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) /* inf or nan */
        return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0));
    if (absx >= 0x477ff000u) return (uint16_t)(sign | 0x7c00); /* overflow to inf */
    if (absx < 0x38800000u) { /* subnormal or zero in half */
        float a;
        memcpy(&a, &absx, 4);
        /* a * 2^24 rounded to nearest even integer */
        float scaled = a * 16777216.0f;
        uint32_t m = (uint32_t)nearbyintf(scaled);
        return (uint16_t)(sign | m);
    }
    uint32_t mant = absx & 0x7fffff;
    uint32_t exp = (absx >> 23) - 112;
    uint32_t h = (exp << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

float ct_bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t ct_float_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40); /* quiet nan */
    uint32_t rounding = 0x7fff + ((x >> 16) & 1);
    return (uint16_t)((x + rounding) >> 16);
}

double ct__load_f64(const void *p, ct_dtype dt) {
    switch (dt) {
    case CT_BOOL: return *(const bool *)p;
    case CT_UINT8: return *(const uint8_t *)p;
    case CT_INT8: return *(const int8_t *)p;
    case CT_INT16: return *(const int16_t *)p;
    case CT_INT32: return *(const int32_t *)p;
    case CT_INT64: return (double)*(const int64_t *)p;
    case CT_FLOAT16: return ct_half_to_float(*(const uint16_t *)p);
    case CT_BFLOAT16: return ct_bf16_to_float(*(const uint16_t *)p);
    case CT_FLOAT32: return *(const float *)p;
    case CT_FLOAT64: return *(const double *)p;
    default: return 0;
    }
}

int64_t ct__load_i64(const void *p, ct_dtype dt) {
    switch (dt) {
    case CT_BOOL: return *(const bool *)p;
    case CT_UINT8: return *(const uint8_t *)p;
    case CT_INT8: return *(const int8_t *)p;
    case CT_INT16: return *(const int16_t *)p;
    case CT_INT32: return *(const int32_t *)p;
    case CT_INT64: return *(const int64_t *)p;
    default: return (int64_t)ct__load_f64(p, dt);
    }
}

void ct__store_f64(void *p, ct_dtype dt, double v) {
    switch (dt) {
    case CT_BOOL: *(bool *)p = v != 0; break;
    case CT_UINT8: *(uint8_t *)p = (uint8_t)(int64_t)v; break;
    case CT_INT8: *(int8_t *)p = (int8_t)(int64_t)v; break;
    case CT_INT16: *(int16_t *)p = (int16_t)(int64_t)v; break;
    case CT_INT32: *(int32_t *)p = (int32_t)(int64_t)v; break;
    case CT_INT64: *(int64_t *)p = (int64_t)v; break;
    case CT_FLOAT16: *(uint16_t *)p = ct_float_to_half((float)v); break;
    case CT_BFLOAT16: *(uint16_t *)p = ct_float_to_bf16((float)v); break;
    case CT_FLOAT32: *(float *)p = (float)v; break;
    case CT_FLOAT64: *(double *)p = v; break;
    default: break;
    }
}

void ct__store_i64(void *p, ct_dtype dt, int64_t v) {
    switch (dt) {
    case CT_BOOL: *(bool *)p = v != 0; break;
    case CT_UINT8: *(uint8_t *)p = (uint8_t)v; break;
    case CT_INT8: *(int8_t *)p = (int8_t)v; break;
    case CT_INT16: *(int16_t *)p = (int16_t)v; break;
    case CT_INT32: *(int32_t *)p = (int32_t)v; break;
    case CT_INT64: *(int64_t *)p = v; break;
    default: ct__store_f64(p, dt, (double)v); break;
    }
}
