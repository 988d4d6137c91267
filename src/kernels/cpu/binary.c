/* Binary pointwise kernels: one loop per (kernel op, dtype), out = f(x, y).
 * Integer semantics follow PyTorch: floor division and remainder round
 * toward -inf with the divisor's sign, division by zero is an error (the
 * loop sets c->err), negative integer powers give 0 except for bases 1, -1. */
#include "pointwise_loops.h"

#include <tgmath.h> /* fmod, pow, ... pick the float or double version by type */

/* the integer templates test "b < 0" for unsigned types too */
#pragma GCC diagnostic ignored "-Wtype-limits"

/* Variadic templates so that expressions may contain commas. */
#define L2(NAME, T, OT, ...) CT_PW_LOOP2(NAME, T, OT, (__VA_ARGS__))
#define SAME(T) T
#define BOOL(T) bool
#define DEF(T, S, DT, NAME, OTK, ...) L2(NAME##_##S, T, OTK(T), __VA_ARGS__)
#define REG(T, S, DT, KOP, NAME) [KOP][DT] = NAME##_##S,

static inline void set_err(const ct_pw_ctx *c, int e) {
    __atomic_store_n(&((ct_pw_ctx *)c)->err, e, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------- integer helpers */
#define INT_HELPERS(T, S, DT, ...)                                                           \
    static inline T divtrunc_##S(T a, T b, const ct_pw_ctx *c) {                        \
        if (b == 0) {                                                                   \
            set_err(c, CT_PW_ERR_ZERO_DIV);                                             \
            return 0;                                                                   \
        }                                                                               \
        if ((T)-1 < 0 && b == (T)-1) return (T)(0 - (uint64_t)a);                       \
        return (T)(a / b);                                                              \
    }                                                                                   \
    static inline T divfloor_##S(T a, T b, const ct_pw_ctx *c) {                        \
        if (b == 0) {                                                                   \
            set_err(c, CT_PW_ERR_ZERO_DIV);                                             \
            return 0;                                                                   \
        }                                                                               \
        if ((T)-1 < 0 && b == (T)-1) return (T)(0 - (uint64_t)a);                       \
        T q = (T)(a / b), r = (T)(a % b);                                               \
        if (r != 0 && ((r < 0) != (b < 0))) q--;                                        \
        return q;                                                                       \
    }                                                                                   \
    static inline T rem_##S(T a, T b, const ct_pw_ctx *c) {                             \
        if (b == 0) {                                                                   \
            set_err(c, CT_PW_ERR_ZERO_DIV);                                             \
            return 0;                                                                   \
        }                                                                               \
        if ((T)-1 < 0 && b == (T)-1) return 0;                                          \
        T r = (T)(a % b);                                                               \
        if (r != 0 && ((r < 0) != (b < 0))) r = (T)(r + b);                             \
        return r;                                                                       \
    }                                                                                   \
    static inline T fmodi_##S(T a, T b, const ct_pw_ctx *c) {                           \
        if (b == 0) {                                                                   \
            set_err(c, CT_PW_ERR_ZERO_DIV);                                             \
            return 0;                                                                   \
        }                                                                               \
        if ((T)-1 < 0 && b == (T)-1) return 0;                                          \
        return (T)(a % b);                                                              \
    }                                                                                   \
    static inline T powi_##S(T a, T b) {                                                \
        if ((T)-1 < 0 && b < 0) {                                                       \
            if (a == 1) return 1;                                                       \
            if ((T)-1 < 0 && a == (T)-1) return (T)((b & 1) ? -1 : 1);                  \
            return 0;                                                                   \
        }                                                                               \
        uint64_t r = 1, base = (uint64_t)a;                                             \
        uint64_t e = (uint64_t)b;                                                       \
        while (e) {                                                                     \
            if (e & 1) r *= base;                                                       \
            base *= base;                                                               \
            e >>= 1;                                                                    \
        }                                                                               \
        return (T)r;                                                                    \
    }                                                                                   \
    static inline T shl_##S(T a, T b) {                                              \
        if (b < 0 || (uint64_t)b >= sizeof(T) * 8) return 0;                            \
        return (T)((uint64_t)a << b);                                                   \
    }                                                                                   \
    static inline T shr_##S(T a, T b) {                                              \
        if (b < 0 || (uint64_t)b >= sizeof(T) * 8) return (T)(a < 0 ? -1 : 0);          \
        return (T)(a >> b);                                                             \
    }
CT_PW_INTS(INT_HELPERS, 0)

/* ---------------------------------------------------------------- float helpers */
#define FLOAT_HELPERS(T, S, DT, ...)                                                         \
    static inline T divfloor_##S(T a, T b) {                                            \
        if (b == 0) return a / b;                                                       \
        T mod = fmod(a, b);                                                          \
        T div = (a - mod) / b;                                                          \
        if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;                               \
        if (div == 0) return copysign((T)0, a / b);                                     \
        T fl = floor(div);                                                           \
        if (div - fl > (T)0.5) fl += 1;                                                 \
        return fl;                                                                      \
    }                                                                                   \
    static inline T rem_##S(T a, T b) {                                                 \
        T mod = fmod(a, b);                                                          \
        if (mod != 0 && ((b < 0) != (mod < 0))) mod += b;                               \
        return mod;                                                                     \
    }
CT_PW_FLOATS(FLOAT_HELPERS, 0)

/* ---------------------------------------------------------------- loops */
#define ALLNUM CT_PW_ALLNUM
#define ALL CT_PW_ALL

/* Integer arithmetic wraps around like PyTorch's, computed in unsigned
 * arithmetic so that overflow is defined. */
#define W(e) ((T)(uint64_t)(e))
#define U(v) ((uint64_t)(v))
CT_PW_FLOATS(DEF, add, SAME, x + y)
CT_PW_INTS(DEF, add, SAME, W(U(x) + U(y)))
CT_PW_BOOLS(DEF, add, SAME, x + y)
CT_PW_FLOATS(DEF, add_alpha, SAME, x + (T)c->f[0] * y)
CT_PW_INTS(DEF, add_alpha, SAME, W(U(x) + U(c->i[0]) * U(y)))
CT_PW_BOOLS(DEF, add_alpha, SAME, x || (c->i[0] != 0 && y))
CT_PW_FLOATS(DEF, sub, SAME, x - y)
CT_PW_INTS(DEF, sub, SAME, W(U(x) - U(y)))
CT_PW_FLOATS(DEF, mul, SAME, x * y)
CT_PW_INTS(DEF, mul, SAME, W(U(x) * U(y)))
CT_PW_BOOLS(DEF, mul, SAME, x && y)
CT_PW_FLOATS(DEF, div, SAME, x / y)

/* per-dtype helpers are named by suffix: expand through a second macro */
#define DEFH(T, S, DT, NAME, OTK, H) L2(NAME##_##S, T, OTK(T), H##_##S(x, y, c))
#define DEFH2(T, S, DT, NAME, OTK, H) L2(NAME##_##S, T, OTK(T), H##_##S(x, y))
CT_PW_INTS(DEFH, div_trunc, SAME, divtrunc)
CT_PW_FLOATS(DEF, div_trunc, SAME, trunc(x / y))
CT_PW_INTS(DEFH, div_floor, SAME, divfloor)
CT_PW_FLOATS(DEFH2, div_floor, SAME, divfloor)
CT_PW_INTS(DEFH, remainder, SAME, rem)
CT_PW_FLOATS(DEFH2, remainder, SAME, rem)
CT_PW_INTS(DEFH, fmod, SAME, fmodi)
CT_PW_FLOATS(DEF, fmod, SAME, fmod(x, y))
CT_PW_INTS(DEFH2, pow, SAME, powi)
CT_PW_FLOATS(DEF, pow, SAME, pow(x, y))
CT_PW_FLOATS(DEF, atan2, SAME, atan2(x, y))
CT_PW_FLOATS(DEF, hypot, SAME, hypot(x, y))
CT_PW_FLOATS(DEF, maximum, SAME, (x != x) ? x : ((y != y) ? y : (x > y ? x : y)))
CT_PW_FLOATS(DEF, minimum, SAME, (x != x) ? x : ((y != y) ? y : (x < y ? x : y)))
CT_PW_INTS(DEF, maximum, SAME, x > y ? x : y)
CT_PW_INTS(DEF, minimum, SAME, x < y ? x : y)
CT_PW_BOOLS(DEF, maximum, SAME, x || y)
CT_PW_BOOLS(DEF, minimum, SAME, x && y)
ALL(DEF, eq, BOOL, x == y)
ALL(DEF, ne, BOOL, x != y)
ALL(DEF, lt, BOOL, x < y)
ALL(DEF, le, BOOL, x <= y)
ALL(DEF, gt, BOOL, x > y)
ALL(DEF, ge, BOOL, x >= y)
ALL(DEF, logical_and, BOOL, (x != 0) & (y != 0))
ALL(DEF, logical_or, BOOL, (x != 0) | (y != 0))
ALL(DEF, logical_xor, BOOL, (x != 0) ^ (y != 0))
CT_PW_INTS(DEF, bitwise_and, SAME, x & y)
CT_PW_INTS(DEF, bitwise_or, SAME, x | y)
CT_PW_INTS(DEF, bitwise_xor, SAME, x ^ y)
CT_PW_BOOLS(DEF, bitwise_and, SAME, x & y)
CT_PW_BOOLS(DEF, bitwise_or, SAME, x | y)
CT_PW_BOOLS(DEF, bitwise_xor, SAME, x ^ y)
CT_PW_INTS(DEFH2, lshift, SAME, shl)
CT_PW_INTS(DEFH2, rshift, SAME, shr)
/* clamp with a tensor bound: NaN of either propagates (PyTorch 1.13) */
CT_PW_FLOATS(DEF, clamp_min_t, SAME, (x != x) ? x : ((y != y) ? y : (x < y ? y : x)))
CT_PW_FLOATS(DEF, clamp_max_t, SAME, (x != x) ? x : ((y != y) ? y : (x > y ? y : x)))
CT_PW_INTS(DEF, clamp_min_t, SAME, x < y ? y : x)
CT_PW_INTS(DEF, clamp_max_t, SAME, x > y ? y : x)

static const ct_loop_fn table[CT_PW_BINARY_END][CT_NUM_DTYPES] = {
    ALL(REG, CT_PW_ADD, add)
    ALL(REG, CT_PW_ADD_ALPHA, add_alpha)
    ALLNUM(REG, CT_PW_SUB, sub)
    ALL(REG, CT_PW_MUL, mul)
    CT_PW_FLOATS(REG, CT_PW_DIV, div)
    ALLNUM(REG, CT_PW_DIV_TRUNC, div_trunc)
    ALLNUM(REG, CT_PW_DIV_FLOOR, div_floor)
    ALLNUM(REG, CT_PW_REMAINDER, remainder)
    ALLNUM(REG, CT_PW_FMOD, fmod)
    ALLNUM(REG, CT_PW_POW, pow)
    CT_PW_FLOATS(REG, CT_PW_ATAN2, atan2)
    CT_PW_FLOATS(REG, CT_PW_HYPOT, hypot)
    ALL(REG, CT_PW_MAXIMUM, maximum)
    ALL(REG, CT_PW_MINIMUM, minimum)
    ALL(REG, CT_PW_EQ, eq)
    ALL(REG, CT_PW_NE, ne)
    ALL(REG, CT_PW_LT, lt)
    ALL(REG, CT_PW_LE, le)
    ALL(REG, CT_PW_GT, gt)
    ALL(REG, CT_PW_GE, ge)
    ALL(REG, CT_PW_LOGICAL_AND, logical_and)
    ALL(REG, CT_PW_LOGICAL_OR, logical_or)
    ALL(REG, CT_PW_LOGICAL_XOR, logical_xor)
    CT_PW_INTS(REG, CT_PW_BITWISE_AND, bitwise_and) CT_PW_BOOLS(REG, CT_PW_BITWISE_AND, bitwise_and)
    CT_PW_INTS(REG, CT_PW_BITWISE_OR, bitwise_or) CT_PW_BOOLS(REG, CT_PW_BITWISE_OR, bitwise_or)
    CT_PW_INTS(REG, CT_PW_BITWISE_XOR, bitwise_xor) CT_PW_BOOLS(REG, CT_PW_BITWISE_XOR, bitwise_xor)
    CT_PW_INTS(REG, CT_PW_LSHIFT, lshift)
    CT_PW_INTS(REG, CT_PW_RSHIFT, rshift)
    ALLNUM(REG, CT_PW_CLAMP_MIN_T, clamp_min_t)
    ALLNUM(REG, CT_PW_CLAMP_MAX_T, clamp_max_t)
};

ct_loop_fn ct__pw_binary_loop(int kop, ct_dtype dt) {
    if ((unsigned)kop >= CT_PW_BINARY_END || (unsigned)dt >= CT_NUM_DTYPES) return NULL;
    return table[kop][dt];
}
