/* Samplers: the order of one epoch's indices. The random ones draw with
 * torch.randperm / torch.multinomial from their own generator, so a sampler
 * seeded with s gives PyTorch's order for torch.Generator().manual_seed(s). */
#include "data_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { S_SEQUENTIAL, S_RANDOM, S_SUBSET, S_WEIGHTED };

struct ct_sampler {
    int kind;
    int64_t n;          /* population (sequential, random), len(indices) */
    int64_t *indices;   /* subset */
    bool shuffle;       /* subset */
    ct_tensor *weights; /* weighted: float64 [n], owned */
    int64_t num_samples;
    ct_generator *g;
};

static ct_sampler *sampler_alloc(int kind, int64_t n, uint64_t seed, bool random) {
    if (n < 0) return CT_DFAIL(CT_ERR_VALUE, "sampler: length must be >= 0, got %lld", (long long)n);
    ct_sampler *s = calloc(1, sizeof *s);
    if (!s) return CT_DFAIL(CT_ERR_MEMORY, "sampler: out of memory");
    s->kind = kind;
    s->n = n;
    if (random && !(s->g = ct_generator_new(seed))) {
        free(s);
        return CT_DFAIL(CT_ERR_MEMORY, "sampler: out of memory");
    }
    return s;
}

ct_sampler *ct_sampler_sequential(int64_t n) { return sampler_alloc(S_SEQUENTIAL, n, 0, false); }

ct_sampler *ct_sampler_random(int64_t n, uint64_t seed) {
    return sampler_alloc(S_RANDOM, n, seed, true);
}

ct_sampler *ct_sampler_subset(const int64_t *indices, int64_t n, bool shuffle, uint64_t seed) {
    if (n > 0 && !indices) return CT_DFAIL(CT_ERR_VALUE, "SubsetSampler: indices is NULL");
    ct_sampler *s = sampler_alloc(S_SUBSET, n, seed, shuffle);
    if (!s) return NULL;
    s->shuffle = shuffle;
    s->indices = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    if (!s->indices) {
        ct_sampler_free(s);
        return CT_DFAIL(CT_ERR_MEMORY, "SubsetSampler: out of memory");
    }
    if (n) memcpy(s->indices, indices, sizeof(int64_t) * (size_t)n);
    return s;
}

ct_sampler *ct_sampler_weighted(const double *weights, int64_t n, int64_t num_samples,
                                uint64_t seed) {
    if (n < 1 || !weights)
        return CT_DFAIL(CT_ERR_VALUE, "WeightedRandomSampler: needs at least one weight");
    if (num_samples < 1)
        return CT_DFAIL(CT_ERR_VALUE, "num_samples should be a positive integer value, but got "
                        "num_samples=%lld", (long long)num_samples);
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(weights[i]) || weights[i] < 0)
            return CT_DFAIL(CT_ERR_VALUE, "WeightedRandomSampler: weight %lld is %g; weights must "
                            "be finite and >= 0", (long long)i, weights[i]);
        sum += weights[i];
    }
    if (sum <= 0)
        return CT_DFAIL(CT_ERR_VALUE, "WeightedRandomSampler: invalid multinomial distribution "
                        "(sum of probabilities <= 0)");
    ct_sampler *s = sampler_alloc(S_WEIGHTED, n, seed, true);
    if (!s) return NULL;
    s->num_samples = num_samples;
    s->weights = ct__empty((const int64_t[]){n}, 1, CT_FLOAT64);
    if (!s->weights) {
        ct_sampler_free(s);
        return NULL;
    }
    memcpy(ct_data_ptr(s->weights), weights, sizeof(double) * (size_t)n);
    return s;
}

void ct_sampler_free(ct_sampler *s) {
    if (!s) return;
    free(s->indices);
    ct_release(s->weights);
    if (s->g) ct_generator_free(s->g);
    free(s);
}

int64_t ct_sampler_length(const ct_sampler *s) {
    return s->kind == S_WEIGHTED ? s->num_samples : s->n;
}

/* Copies an int64 [len] tensor's values (made in a scope) into out. */
static int copy_indices(ct_tensor *t, int64_t *out, int64_t len) {
    if (!t) return -1;
    for (int64_t i = 0; i < len; i++) out[i] = ct_item_at_int(t, i);
    return 0;
}

int ct_sampler_epoch(ct_sampler *s, int64_t *out) {
    int rc = 0;
    ct_scope sc = ct_scope_begin();
    switch (s->kind) {
    case S_SEQUENTIAL:
        for (int64_t i = 0; i < s->n; i++) out[i] = i;
        break;
    case S_RANDOM:
        rc = copy_indices(ct_randperm(s->n, CT_INT64, s->g), out, s->n);
        break;
    case S_SUBSET:
        if (!s->shuffle) {
            if (s->n) memcpy(out, s->indices, sizeof(int64_t) * (size_t)s->n);
            break;
        }
        rc = copy_indices(ct_randperm(s->n, CT_INT64, s->g), out, s->n);
        for (int64_t i = 0; rc == 0 && i < s->n; i++) out[i] = s->indices[out[i]];
        break;
    case S_WEIGHTED:
        rc = copy_indices(ct_multinomial(s->weights, s->num_samples, true, s->g), out,
                          s->num_samples);
        break;
    }
    ct_scope_end(sc);
    return rc;
}

int64_t ct_batch_count(int64_t n, int64_t batch_size, bool drop_last) {
    if (batch_size < 1 || n < 0) return 0;
    return drop_last ? n / batch_size : (n + batch_size - 1) / batch_size;
}
