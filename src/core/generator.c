/* Random generators: mt19937 seeded and stepped like PyTorch's CPU
 * generator (at::mt19937 and CPUGeneratorImpl), with its state layout. */
#include "ops/factory_internal.h"

#include <stdio.h>
#include <time.h>


static void mt_seed(ct_generator *g, uint64_t seed) {
    g->seed = seed;
    g->seeded = 1;
    g->state[0] = (uint32_t)(seed & 0xffffffffu);
    for (uint32_t j = 1; j < CT_MT_N; j++)
        g->state[j] = 1812433253u * (g->state[j - 1] ^ (g->state[j - 1] >> 30)) + j;
    g->left = 1;
    g->next = 0;
    g->has_next_double = g->has_next_float = false;
    g->next_double = 0;
    g->next_float = 0;
}

static inline uint32_t twist(uint32_t u, uint32_t v) {
    uint32_t mix = (u & 0x80000000u) | (v & 0x7fffffffu);
    return (mix >> 1) ^ ((v & 1u) ? 0x9908b0dfu : 0u);
}

void ct__mt_next_state(ct_generator *g) {
    uint32_t *p = g->state;
    g->left = CT_MT_N;
    g->next = 0;
    for (int j = CT_MT_N - CT_MT_M + 1; --j; p++) *p = p[CT_MT_M] ^ twist(p[0], p[1]);
    for (int j = CT_MT_M; --j; p++) *p = p[CT_MT_M - CT_MT_N] ^ twist(p[0], p[1]);
    *p = p[CT_MT_M - CT_MT_N] ^ twist(p[0], g->state[0]);
}

static ct_generator default_gen = {.lock = PTHREAD_MUTEX_INITIALIZER};
static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static uint64_t nondeterministic_seed(void);
static void default_init(void) { mt_seed(&default_gen, nondeterministic_seed()); }

/* The calling thread's own default, when set (DataLoader worker threads). */
static _Thread_local ct_generator *thread_default;

ct_generator *ct_default_generator(void) {
    if (thread_default) return thread_default;
    pthread_once(&default_once, default_init);
    return &default_gen;
}

ct_generator *ct_set_thread_default_generator(ct_generator *g) {
    ct_generator *prev = thread_default;
    thread_default = g;
    return prev;
}

ct_generator *ct__gen(ct_generator *g) { return g ? g : ct_default_generator(); }

ct_generator *ct_generator_new(uint64_t seed) {
    ct_generator *g = calloc(1, sizeof *g);
    if (!g) {
        ct_set_error(CT_ERR_MEMORY, "generator: out of memory");
        return NULL;
    }
    pthread_mutex_init(&g->lock, NULL);
    mt_seed(g, seed);
    return g;
}

void ct_generator_free(ct_generator *g) {
    if (!g || g == &default_gen) return;
    pthread_mutex_destroy(&g->lock);
    free(g);
}

void ct_generator_lock(ct_generator *g) { pthread_mutex_lock(&ct__gen(g)->lock); }
void ct_generator_unlock(ct_generator *g) { pthread_mutex_unlock(&ct__gen(g)->lock); }
uint32_t ct_generator_next_u32(ct_generator *g) { return ct__mt_u32(ct__gen(g)); }
uint64_t ct_generator_next_u64(ct_generator *g) { return ct__mt_u64(ct__gen(g)); }
double ct_generator_next_double(ct_generator *g) { return ct__uniform_f64(ct__gen(g)); }

void ct_generator_manual_seed(ct_generator *g, uint64_t seed) {
    g = ct__gen(g);
    pthread_mutex_lock(&g->lock);
    mt_seed(g, seed);
    pthread_mutex_unlock(&g->lock);
}

/* 64 bits from the OS, else from the clock and an address. */
static uint64_t nondeterministic_seed(void) {
    uint64_t s = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        size_t got = fread(&s, sizeof s, 1, f);
        fclose(f);
        if (got == 1) return s;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&s;
    return s;
}

uint64_t ct_generator_seed(ct_generator *g) {
    uint64_t s = nondeterministic_seed();
    ct_generator_manual_seed(g, s);
    return s;
}

uint64_t ct_generator_initial_seed(const ct_generator *g) {
    ct_generator *m = ct__gen((ct_generator *)g);
    pthread_mutex_lock(&m->lock);
    uint64_t s = m->seed;
    pthread_mutex_unlock(&m->lock);
    return s;
}

/* PyTorch's CPUGeneratorImplState (x86-64 layout):
 *   0 uint64 the_initial_seed   8 int left   12 int seeded   16 uint64 next
 *  24 uint64 state[624]   5016 double normal_x   5024 double normal_y
 *  5032 double normal_rho   5040 int normal_is_valid   (5048: legacy size)
 *  5048 float next_float_normal_sample   5052 bool is_next_float_..._valid */
#define ST_SEED 0
#define ST_LEFT 8
#define ST_SEEDED 12
#define ST_NEXT 16
#define ST_STATE 24
#define ST_NORMAL_X 5016
#define ST_NORMAL_Y 5024
#define ST_NORMAL_RHO 5032
#define ST_NORMAL_VALID 5040
#define ST_LEGACY_SIZE 5048
#define ST_FLOAT_NORMAL 5048
#define ST_FLOAT_VALID 5052
#define ST_SIZE 5056

ct_tensor *ct_generator_get_state(ct_generator *g) {
    g = ct__gen(g);
    int64_t n = ST_SIZE;
    ct_tensor *t = ct__empty(&n, 1, CT_UINT8);
    if (!t) return NULL;
    unsigned char *b = ct_data_ptr(t);
    memset(b, 0, ST_SIZE);
    pthread_mutex_lock(&g->lock);
    int32_t left = g->left, seeded = g->seeded, valid = g->has_next_double;
    uint64_t next = g->next;
    memcpy(b + ST_SEED, &g->seed, 8);
    memcpy(b + ST_LEFT, &left, 4);
    memcpy(b + ST_SEEDED, &seeded, 4);
    memcpy(b + ST_NEXT, &next, 8);
    for (int i = 0; i < CT_MT_N; i++) {
        uint64_t v = g->state[i];
        memcpy(b + ST_STATE + 8 * i, &v, 8);
    }
    double y = g->has_next_double ? g->next_double : 0.0;
    memcpy(b + ST_NORMAL_Y, &y, 8);
    memcpy(b + ST_NORMAL_VALID, &valid, 4);
    float fy = g->has_next_float ? g->next_float : 0.0f;
    memcpy(b + ST_FLOAT_NORMAL, &fy, 4);
    b[ST_FLOAT_VALID] = g->has_next_float;
    pthread_mutex_unlock(&g->lock);
    return ct_autorelease(t);
}

int ct_generator_set_state(ct_generator *g, const ct_tensor *state) {
    g = ct__gen(g);
    if (state->dtype != CT_UINT8 || !ct_is_contiguous(state)) {
        ct_set_error(CT_ERR_TYPE,
                     "set_state: RNG state must be a contiguous torch.ByteTensor, got a %s "
                     "tensor",
                     ct_dtype_name(state->dtype));
        return -1;
    }
    if (state->numel != ST_SIZE && state->numel != ST_LEGACY_SIZE) {
        ct_set_error(CT_ERR_RUNTIME,
                     "set_state: Expected either a THGeneratorState of size %d or a "
                     "CPUGeneratorImplState of size %d but found the input RNG state size to "
                     "be %lld",
                     ST_LEGACY_SIZE, ST_SIZE, (long long)state->numel);
        return -1;
    }
    const unsigned char *b = ct_data_ptr(state);
    int32_t left, seeded, valid;
    uint64_t seed, next;
    memcpy(&seed, b + ST_SEED, 8);
    memcpy(&left, b + ST_LEFT, 4);
    memcpy(&seeded, b + ST_SEEDED, 4);
    memcpy(&next, b + ST_NEXT, 8);
    memcpy(&valid, b + ST_NORMAL_VALID, 4);
    if (left < 1 || left > CT_MT_N || next > CT_MT_N || (int64_t)next + left > CT_MT_N + 1) {
        ct_set_error(CT_ERR_RUNTIME, "set_state: invalid mt19937 state (left=%d, next=%llu)",
                     (int)left, (unsigned long long)next);
        return -1;
    }
    pthread_mutex_lock(&g->lock);
    g->seed = seed;
    g->left = left;
    g->seeded = seeded;
    g->next = (uint32_t)next;
    for (int i = 0; i < CT_MT_N; i++) {
        uint64_t v;
        memcpy(&v, b + ST_STATE + 8 * i, 8);
        g->state[i] = (uint32_t)v;
    }
    g->has_next_double = valid != 0;
    memcpy(&g->next_double, b + ST_NORMAL_Y, 8);
    if (state->numel == ST_SIZE) {
        memcpy(&g->next_float, b + ST_FLOAT_NORMAL, 4);
        g->has_next_float = b[ST_FLOAT_VALID] != 0;
    } else {
        g->has_next_float = false;
    }
    pthread_mutex_unlock(&g->lock);
    return 0;
}

void ct_manual_seed(uint64_t seed) { ct_generator_manual_seed(NULL, seed); }
uint64_t ct_seed(void) { return ct_generator_seed(NULL); }
uint64_t ct_initial_seed(void) { return ct_generator_initial_seed(NULL); }
ct_tensor *ct_get_rng_state(void) { return ct_generator_get_state(NULL); }
int ct_set_rng_state(const ct_tensor *state) { return ct_generator_set_state(NULL, state); }
