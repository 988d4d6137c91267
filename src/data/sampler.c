/* Samplers: the order of one epoch's indices. The random ones draw with
 * torch.randperm / torch.multinomial from their own generator, so a sampler
 * seeded with s gives PyTorch's order for torch.Generator().manual_seed(s). */
#include "data_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { S_SEQUENTIAL, S_RANDOM, S_SUBSET, S_WEIGHTED, S_DISTRIBUTED };

struct ct_sampler {
    int kind;
    int64_t n;          /* population (sequential, random), len(indices) */
    int64_t *indices;   /* subset */
    bool shuffle;       /* subset */
    ct_tensor *weights; /* weighted: float64 [n], owned */
    int64_t num_samples;
    ct_generator *g;
    /* distributed */
    int replicas, rank;
    uint64_t seed;
    int64_t epoch;
    bool drop_last;
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

/* Copies an int64 [len] tensor's values (made in a scope) into out. */
static int copy_indices(ct_tensor *t, int64_t *out, int64_t len) {
    if (!t) return -1;
    for (int64_t i = 0; i < len; i++) out[i] = ct_item_at_int(t, i);
    return 0;
}

int64_t ct_sampler_length(const ct_sampler *s) {
    return s->kind == S_WEIGHTED || s->kind == S_DISTRIBUTED ? s->num_samples : s->n;
}

ct_sampler *ct_sampler_distributed(int64_t n, int num_replicas, int rank, bool shuffle,
                                   uint64_t seed, bool drop_last) {
    if (num_replicas < 1)
        return CT_DFAIL(CT_ERR_VALUE, "DistributedSampler: num_replicas must be >= 1, got %d",
                        num_replicas);
    if (rank >= num_replicas || rank < 0)
        return CT_DFAIL(CT_ERR_VALUE, "Invalid rank %d, rank should be in the interval [0, %d]",
                        rank, num_replicas - 1);
    ct_sampler *s = sampler_alloc(S_DISTRIBUTED, n, seed, shuffle);
    if (!s) return NULL;
    s->shuffle = shuffle;
    s->replicas = num_replicas;
    s->rank = rank;
    s->seed = seed;
    s->drop_last = drop_last;
    /* PyTorch: drop the tail so that every replica gets the same count, or
     * pad up to the next multiple */
    if (drop_last && n % num_replicas != 0)
        s->num_samples = (n - num_replicas + num_replicas - 1) / num_replicas;
    else
        s->num_samples = (n + num_replicas - 1) / num_replicas;
    if (s->num_samples < 0) s->num_samples = 0;
    return s;
}

int ct_sampler_set_epoch(ct_sampler *s, int64_t epoch) {
    if (!s || s->kind != S_DISTRIBUTED) {
        ct_set_error(CT_ERR_TYPE, "set_epoch: only a DistributedSampler has epochs");
        return -1;
    }
    s->epoch = epoch;
    return 0;
}

/* DistributedSampler.__iter__. */
static int distributed_epoch(ct_sampler *s, int64_t *out) {
    int64_t n = s->n, total = s->num_samples * s->replicas;
    int64_t *idx = malloc(sizeof(int64_t) * (size_t)(n > total ? n : total) + 1);
    if (!idx) {
        ct_set_error(CT_ERR_MEMORY, "DistributedSampler: out of memory");
        return -1;
    }
    if (s->shuffle) {
        ct_generator_manual_seed(s->g, s->seed + (uint64_t)s->epoch);
        if (copy_indices(ct_randperm(n, CT_INT64, s->g), idx, n) < 0) {
            free(idx);
            return -1;
        }
    } else {
        for (int64_t i = 0; i < n; i++) idx[i] = i;
    }
    /* padding repeats the list from its start (as often as needed) */
    for (int64_t i = n; i < total && n > 0; i++) idx[i] = idx[i % n];
    for (int64_t k = 0; k < s->num_samples; k++) out[k] = idx[s->rank + k * s->replicas];
    free(idx);
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
    case S_DISTRIBUTED:
        rc = distributed_epoch(s, out);
        break;
    }
    ct_scope_end(sc);
    return rc;
}

int64_t ct_batch_count(int64_t n, int64_t batch_size, bool drop_last) {
    if (batch_size < 1 || n < 0) return 0;
    return drop_last ? n / batch_size : (n + batch_size - 1) / batch_size;
}

/* ---------------------------------------------------------------- BatchSampler */
struct ct_batch_sampler {
    ct_sampler *s; /* borrowed */
    int64_t batch_size;
    bool drop_last;
    int64_t *order, norder, pos;
    bool active;
};

ct_batch_sampler *ct_batch_sampler_new(ct_sampler *s, int64_t batch_size, bool drop_last) {
    if (!s) return CT_DFAIL(CT_ERR_VALUE, "BatchSampler: sampler is NULL");
    if (batch_size < 1)
        return CT_DFAIL(CT_ERR_VALUE, "batch_size should be a positive integer value, but got "
                        "batch_size=%lld", (long long)batch_size);
    ct_batch_sampler *b = calloc(1, sizeof *b);
    if (!b) return CT_DFAIL(CT_ERR_MEMORY, "BatchSampler: out of memory");
    b->s = s;
    b->batch_size = batch_size;
    b->drop_last = drop_last;
    return b;
}

void ct_batch_sampler_free(ct_batch_sampler *b) {
    if (!b) return;
    free(b->order);
    free(b);
}

int64_t ct__batch_sampler_batch_size(const ct_batch_sampler *b) { return b->batch_size; }

int64_t ct_batch_sampler_length(const ct_batch_sampler *b) {
    return ct_batch_count(ct_sampler_length(b->s), b->batch_size, b->drop_last);
}

int64_t ct_batch_sampler_next(ct_batch_sampler *b, int64_t *out) {
    if (!b->active) {
        int64_t n = ct_sampler_length(b->s);
        int64_t *o = realloc(b->order, sizeof(int64_t) * (size_t)(n ? n : 1));
        if (!o) {
            ct_set_error(CT_ERR_MEMORY, "BatchSampler: out of memory");
            return -1;
        }
        b->order = o;
        if (ct_sampler_epoch(b->s, b->order) < 0) return -1;
        b->norder = n;
        b->pos = 0;
        b->active = true;
    }
    int64_t left = b->norder - b->pos;
    int64_t k = left < b->batch_size ? left : b->batch_size;
    if (k == 0 || (b->drop_last && k < b->batch_size)) {
        b->active = false;
        return 0;
    }
    memcpy(out, b->order + b->pos, sizeof(int64_t) * (size_t)k);
    b->pos += k;
    return k;
}
