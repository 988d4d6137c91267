/* Random numbers: generators and sampling ops (src/core/generator.c,
 * src/ops/random.c). Ownership of tensors: see core.h.
 *
 * A ct_generator is a Mersenne Twister (mt19937) seeded and advanced exactly
 * like PyTorch's CPU generator, and every op draws with PyTorch 1.13's CPU
 * transformations: after ct_manual_seed(s) the ops return the same values
 * as torch.manual_seed(s) followed by the same torch calls (checked in
 * tests/c/test_random.c). Known differences: float32 normal_/randn of 16+
 * contiguous elements agree to float rounding only (PyTorch uses
 * approximate AVX2 log/sin/cos there), float16/bfloat16 normal draws differ,
 * and multinomial without replacement may order equal keys differently.
 *
 * Every op takes an optional generator: NULL means the default generator,
 * which is shared by all threads; each op locks its generator once for the
 * whole op, so concurrent ops are safe and each op's draws are contiguous. */
#ifndef CTORCH_RANDOM_H
#define CTORCH_RANDOM_H

#include "ctorch/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_generator ct_generator;

/* A new generator seeded with seed; free it with ct_generator_free. */
ct_generator *ct_generator_new(uint64_t seed);
void ct_generator_free(ct_generator *g);
/* The process-wide default generator (never freed). Like PyTorch's, it
 * starts from a non-deterministic seed (see ct_initial_seed). In a thread
 * that set its own (below), that one. */
ct_generator *ct_default_generator(void);
/* Makes g (borrowed; NULL: none) the calling thread's default generator, so
 * that its random ops and manual_seed neither touch nor depend on the
 * process-wide one: a DataLoader worker thread seeded like PyTorch's worker
 * processes. Returns the previous one (NULL: the process-wide default). */
ct_generator *ct_set_thread_default_generator(ct_generator *g);

/* g NULL = the default generator in all of these. */
void ct_generator_manual_seed(ct_generator *g, uint64_t seed);
/* Seeds from a non-deterministic source and returns that seed. */
uint64_t ct_generator_seed(ct_generator *g);
uint64_t ct_generator_initial_seed(const ct_generator *g);
/* The whole state as a uint8 tensor laid out like PyTorch's
 * torch.get_rng_state() (5056 bytes), so states move between the two. */
ct_tensor *ct_generator_get_state(ct_generator *g);
/* Accepts what get_state returns (or PyTorch's, 5056 or legacy 5048 bytes,
 * uint8, contiguous). Returns 0, or -1 with an error. */
int ct_generator_set_state(ct_generator *g, const ct_tensor *state);

/* The default generator: torch.manual_seed / seed / initial_seed /
 * get_rng_state / set_rng_state. */
void ct_manual_seed(uint64_t seed);
uint64_t ct_seed(void);
uint64_t ct_initial_seed(void);
ct_tensor *ct_get_rng_state(void);
int ct_set_rng_state(const ct_tensor *state);

/* Raw draws for code outside this family (dropout masks, samplers, init):
 * lock once, draw many, unlock. The next_* calls require the lock held. */
void ct_generator_lock(ct_generator *g);
void ct_generator_unlock(ct_generator *g);
uint32_t ct_generator_next_u32(ct_generator *g);
uint64_t ct_generator_next_u64(ct_generator *g);   /* two u32 draws, first is high */
double ct_generator_next_double(ct_generator *g);  /* [0, 1), 53 bits */

/* ---------------------------------------------------------------- ops */
/* dt = CT_DTYPE_DEFAULT: the default float dtype (rand, randn), int64
 * (randint, randperm), the input's dtype (*_like). */
ct_tensor *ct_rand(const int64_t *sizes, int ndim, ct_dtype dt, ct_generator *g);
ct_tensor *ct_randn(const int64_t *sizes, int ndim, ct_dtype dt, ct_generator *g);
/* Integers uniform in [low, high). */
ct_tensor *ct_randint(int64_t low, int64_t high, const int64_t *sizes, int ndim, ct_dtype dt,
                      ct_generator *g);
ct_tensor *ct_randperm(int64_t n, ct_dtype dt, ct_generator *g);
ct_tensor *ct_rand_like(const ct_tensor *t, ct_dtype dt, ct_generator *g);
ct_tensor *ct_randn_like(const ct_tensor *t, ct_dtype dt, ct_generator *g);
ct_tensor *ct_randint_like(const ct_tensor *t, int64_t low, int64_t high, ct_dtype dt,
                           ct_generator *g);

/* torch.bernoulli(p): 0/1 of p's dtype, each 1 with probability p[i]
 * (p floating, values in [0, 1]). */
ct_tensor *ct_bernoulli(const ct_tensor *p, ct_generator *g);
/* torch.bernoulli(t, p): like t, each element 1 with probability p. */
ct_tensor *ct_bernoulli_p(const ct_tensor *t, double p, ct_generator *g);

/* In-place fills: return t (borrowed) and bump its version. Any strides:
 * elements are drawn in memory order, as PyTorch does. */
ct_tensor *ct_bernoulli_(ct_tensor *t, double p, ct_generator *g);
/* p broadcast to t's shape, floating, values in [0, 1]. */
ct_tensor *ct_bernoulli_tensor_(ct_tensor *t, const ct_tensor *p, ct_generator *g);
ct_tensor *ct_uniform_(ct_tensor *t, double from, double to, ct_generator *g);
ct_tensor *ct_normal_(ct_tensor *t, double mean, double std, ct_generator *g);
/* Integers uniform in [from, to) (to exclusive), converted to t's dtype. */
ct_tensor *ct_random_(ct_tensor *t, int64_t from, int64_t to, ct_generator *g);
/* Tensor.random_() without bounds: [0, 2^mantissa] for floating types,
 * [0, max] for integer types, {0, 1} for bool. */
ct_tensor *ct_random_full_(ct_tensor *t, ct_generator *g);
ct_tensor *ct_exponential_(ct_tensor *t, double lambd, ct_generator *g);
ct_tensor *ct_geometric_(ct_tensor *t, double p, ct_generator *g);
ct_tensor *ct_log_normal_(ct_tensor *t, double mean, double std, ct_generator *g);
ct_tensor *ct_cauchy_(ct_tensor *t, double median, double sigma, ct_generator *g);

/* torch.normal overloads (drawn like PyTorch: normal_(0, std) then + mean,
 * or normal_(0, 1) then * std + mean). Not recorded by autograd (PyTorch's
 * gradients for them are zero). Result dtype: mean's (std's when mean is
 * a number); shapes broadcast. */
ct_tensor *ct_normal(const ct_tensor *mean, const ct_tensor *std, ct_generator *g);
ct_tensor *ct_normal_std_scalar(const ct_tensor *mean, double std, ct_generator *g);
ct_tensor *ct_normal_mean_scalar(double mean, const ct_tensor *std, ct_generator *g);
/* torch.normal(mean, std, size). */
ct_tensor *ct_normal_sized(double mean, double std, const int64_t *sizes, int ndim, ct_dtype dt,
                           ct_generator *g);
/* Poisson counts with the given non-negative rates, same shape and dtype
 * (floating); PyTorch's sampler and stream. */
ct_tensor *ct_poisson(const ct_tensor *rates, ct_generator *g);

/* Indices (int64) sampled from the rows of a 1-d or 2-d tensor of
 * non-negative weights; result [num_samples] or [rows, num_samples]. */
ct_tensor *ct_multinomial(const ct_tensor *p, int64_t num_samples, bool replacement,
                          ct_generator *g);

#ifdef __cplusplus
}
#endif
#endif
