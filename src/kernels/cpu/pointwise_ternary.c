/* Ternary pointwise kernels: out = f(x, y, z) (lerp, addcmul, addcdiv,
 * where, clamp with tensor bounds), and lerp with a scalar weight. */
#include "pointwise_loops.h"

#include <tgmath.h>

#define L3(NAME, T, TY, TZ, OT, ...) CT_PW_LOOP3(NAME, T, TY, TZ, OT, (__VA_ARGS__))
#define DEF3(T, S, DT, NAME, ...) L3(NAME##_##S, T, T, T, T, __VA_ARGS__)
/* the bool condition read as bytes: a select the compiler vectorizes */
#define DEFW(T, S, DT, NAME, ...) L3(NAME##_##S, uint8_t, T, T, T, __VA_ARGS__)
#define REG(T, S, DT, KOP, NAME) [KOP][DT] = NAME##_##S,
#define K(v) ((T)(v))

/* PyTorch's lerp: exact at both ends of the weight range */
#define LERP(x, y, w) ((w) < K(0.5) ? (x) + (w) * ((y) - (x)) : (y) - ((y) - (x)) * (K(1) - (w)))
CT_PW_FLOATS(DEF3, lerp, LERP(x, y, z))
CT_PW_FLOATS(DEF3, addcmul, x + K(c->f[0]) * y * z)
/* wraps around like PyTorch, computed unsigned so that overflow is defined */
CT_PW_INTS(DEF3, addcmul, (T)(uint64_t)((uint64_t)x + (uint64_t)c->i[0] * (uint64_t)y * (uint64_t)z))
CT_PW_FLOATS(DEF3, addcdiv, x + K(c->f[0]) * y / z)
CT_PW_ALL(DEFW, where, x ? y : z)
CT_PW_FLOATS(DEF3, clamp_t,
             (x != x) ? x : (y != y) ? y : (z != z) ? z : ((x < y ? y : x) > z ? z : (x < y ? y : x)))
CT_PW_INTS(DEF3, clamp_t, (x < y ? y : x) > z ? z : (x < y ? y : x))
#define DEFL(T, S, DT, NAME, ...) CT_PW_LOOP2(NAME##_##S, T, T, (__VA_ARGS__))
CT_PW_FLOATS(DEFL, lerp_scalar, LERP(x, y, K(c->f[0])))

#define TER(KOP) (KOP - CT_PW_UNARY_END)
static const ct_loop_fn table[CT_PW_NUM_KOPS - CT_PW_UNARY_END][CT_NUM_DTYPES] = {
    CT_PW_FLOATS(REG, TER(CT_PW_LERP), lerp)
    CT_PW_FLOATS(REG, TER(CT_PW_LERP_SCALAR), lerp_scalar)
    CT_PW_ALLNUM(REG, TER(CT_PW_ADDCMUL), addcmul)
    CT_PW_FLOATS(REG, TER(CT_PW_ADDCDIV), addcdiv)
    CT_PW_ALL(REG, TER(CT_PW_WHERE), where)
    CT_PW_ALLNUM(REG, TER(CT_PW_CLAMP_T), clamp_t)
};

ct_loop_fn ct__pw_ternary_loop(int kop, ct_dtype dt) {
    if (kop < CT_PW_UNARY_END || kop >= CT_PW_NUM_KOPS || (unsigned)dt >= CT_NUM_DTYPES) return NULL;
    return table[TER(kop)][dt];
}
