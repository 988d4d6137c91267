/* DataLoader: batches of collated items, made by worker threads into a
 * bounded ring of slots and delivered in sampler order.
 *
 * Batch k of an epoch goes to slot k % cap. A worker claims the next batch
 * only while it is < consumed + cap, so a slot is always free when its batch
 * is claimed and at most cap batches are in flight. The consumer waits for
 * slot consumed % cap to be filled, whichever worker fills it. Stopping (end
 * of epoch, early exit, error, free) sets stop, wakes and joins the workers,
 * then releases what is left in the slots.
 *
 * Random transforms: while batch k is made, the thread's data generator
 * (ct_data_generator) is a generator of that thread reseeded with
 * epoch_seed + k, epoch_seed drawn per epoch from a generator seeded with
 * the options' seed; so the draws do not depend on the number of workers.
 *
 * pin_memory: the worker that makes a batch (the caller's thread without
 * workers) replaces each field by its pinned copy, so pinning runs in
 * parallel with the consumer as PyTorch's pin-memory thread does. Whether a
 * loader pins is decided once, when it is made (CUDA available or not). */
#include "data_internal.h"

#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctorch/cuda.h"

enum { SLOT_EMPTY, SLOT_READY, SLOT_ERROR };

typedef struct slot {
    int state;
    ct_tensor *fields[CT_DATA_MAX_FIELDS];
    ct_error_kind kind;
    char msg[2048];
} slot;

struct ct_dataloader {
    ct_dataset *ds;
    int nfields;
    int64_t batch_size;
    bool drop_last;
    int nworkers, cap;
    ct_sampler *own_sampler, *sampler;
    int64_t *order; /* this epoch's indices */
    ct_generator *seed_gen, *main_gen;
    uint64_t epoch_seed;
    int64_t norder, nbatches;
    ct_batch_sampler *batch_sampler; /* borrowed; then batch k is order[bstart[k]..bstart[k+1]) */
    int64_t *bstart;
    bool active;
    /* shared with the workers, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_ready;
    bool stop;
    int64_t next_claim, consumed;
    slot *slots;
    pthread_t *threads;
    int nthreads;
    ct__pin_fn pin; /* NULL: batches are not pinned */
};

static ct__pin_fn pin_hook_fn;
static bool pin_hook_set, pin_hook_cuda;

void ct__dataloader_pin_hook(ct__pin_fn fn, bool cuda_available) {
    pin_hook_fn = fn;
    pin_hook_set = fn != NULL;
    pin_hook_cuda = cuda_available;
}

/* Replaces the nf owned fields of out by pinned copies (owned); on failure
 * releases them all and returns -1. */
static int pin_batch(ct__pin_fn pin, ct_tensor **out, int nf) {
    ct_scope sc = ct_scope_begin();
    int rc = 0;
    for (int f = 0; f < nf; f++) {
        ct_tensor *p = pin(out[f]);
        if (!p) {
            rc = -1;
            break;
        }
        p = ct_keep(p);
        ct_release(out[f]);
        out[f] = p;
    }
    ct_scope_end(sc);
    if (rc < 0) ct__data_release_all(out, nf);
    return rc;
}

/* Makes batch k into out (owned); on failure fills *kind and msg with
 * "DataLoader: item <index>: <message>" and returns -1. */
static int make_batch(ct_dataloader *dl, int64_t k, ct_generator *g, ct_tensor **out,
                      ct_error_kind *kind, char *msg, size_t msglen) {
    ct_generator *prev_gen = NULL;
    bool seeded = false;
    int64_t start = k * dl->batch_size;
    int64_t n = dl->norder - start < dl->batch_size ? dl->norder - start : dl->batch_size;
    if (dl->bstart) start = dl->bstart[k], n = dl->bstart[k + 1] - dl->bstart[k];
    int nf = dl->nfields;
    ct_tensor **items = NULL, **col = NULL;
    int64_t got = 0, failed_index = -1;
    int rc = ct__dataset_gather_owned(dl->ds, dl->order + start, n, out);
    if (rc != 0) { /* gathered in one pass (1), or failed (-1); draws nothing */
        rc = rc > 0 ? 0 : -1;
        goto done;
    }
    ct_generator_manual_seed(g, dl->epoch_seed + (uint64_t)k);
    prev_gen = ct_data_set_generator(g);
    seeded = true;
    rc = -1;
    items = calloc((size_t)(n * nf), sizeof *items);
    col = malloc(sizeof *col * (size_t)n);
    if (!items || !col) {
        ct_set_error(CT_ERR_MEMORY, "out of memory");
        goto done;
    }
    for (; got < n; got++) {
        int64_t idx = dl->order[start + got];
        ct_clear_error();
        if (ct__dataset_get_owned(dl->ds, idx, items + got * nf) < 0) {
            failed_index = idx;
            goto done;
        }
    }
    for (int f = 0; f < nf; f++) {
        for (int64_t i = 0; i < n; i++) col[i] = items[i * nf + f];
        out[f] = ct__collate_owned(col, n);
        if (!out[f]) {
            ct__data_release_all(out, f);
            goto done;
        }
    }
    rc = 0;
done:
    if (rc == 0 && dl->pin) rc = pin_batch(dl->pin, out, nf);
    if (rc < 0) {
        *kind = ct_last_error_kind() != CT_OK ? ct_last_error_kind() : CT_ERR_RUNTIME;
        if (failed_index >= 0)
            snprintf(msg, msglen, "DataLoader: item %lld: %s", (long long)failed_index,
                     ct_last_error());
        else
            snprintf(msg, msglen, "DataLoader: batch %lld: %s", (long long)k, ct_last_error());
    }
    if (items)
        for (int64_t i = 0; i < got; i++) ct__data_release_all(items + i * nf, nf);
    free(items);
    free(col);
    if (seeded) ct_data_set_generator(prev_gen);
    return rc;
}

static void *worker_main(void *arg) {
    ct_dataloader *dl = arg;
    omp_set_num_threads(1); /* kernels in this thread stay single-threaded */
    ct_generator *g = ct_generator_new(0);
    pthread_mutex_lock(&dl->mu);
    for (;;) {
        while (!dl->stop && dl->next_claim < dl->nbatches &&
               dl->next_claim >= dl->consumed + dl->cap)
            pthread_cond_wait(&dl->cv_work, &dl->mu);
        if (dl->stop || dl->next_claim >= dl->nbatches) break;
        int64_t k = dl->next_claim++;
        pthread_mutex_unlock(&dl->mu);
        ct_tensor *out[CT_DATA_MAX_FIELDS] = {0};
        ct_error_kind kind = CT_OK;
        char msg[2048];
        int rc = g ? make_batch(dl, k, g, out, &kind, msg, sizeof msg) : -1;
        if (!g) {
            kind = CT_ERR_MEMORY;
            snprintf(msg, sizeof msg, "DataLoader: batch %lld: out of memory", (long long)k);
        }
        pthread_mutex_lock(&dl->mu);
        slot *s = &dl->slots[k % dl->cap];
        if (rc == 0) {
            memcpy(s->fields, out, sizeof out);
            s->state = SLOT_READY;
        } else {
            s->kind = kind;
            memcpy(s->msg, msg, sizeof msg);
            s->state = SLOT_ERROR;
        }
        pthread_cond_broadcast(&dl->cv_ready);
    }
    pthread_mutex_unlock(&dl->mu);
    if (g) ct_generator_free(g);
    return NULL;
}

/* Stops and joins the workers of the current epoch, frees queued batches. */
static void end_epoch(ct_dataloader *dl) {
    pthread_mutex_lock(&dl->mu);
    dl->stop = true;
    pthread_cond_broadcast(&dl->cv_work);
    pthread_mutex_unlock(&dl->mu);
    for (int i = 0; i < dl->nthreads; i++) pthread_join(dl->threads[i], NULL);
    dl->nthreads = 0;
    for (int i = 0; i < dl->cap; i++) {
        slot *s = &dl->slots[i];
        if (s->state == SLOT_READY) ct__data_release_all(s->fields, dl->nfields);
        s->state = SLOT_EMPTY;
    }
    dl->stop = false;
    dl->active = false;
}

ct_dataloader *ct_dataloader_new(ct_dataset *ds, const ct_dataloader_options *opt) {
    ct_dataloader_options o = {0};
    if (opt) o = *opt;
    if (!ds) return CT_DFAIL(CT_ERR_VALUE, "DataLoader: dataset is NULL");
    if (o.batch_size == 0) o.batch_size = 1;
    if (o.batch_size < 0)
        return CT_DFAIL(CT_ERR_VALUE, "batch_size should be a positive integer value, but got "
                        "batch_size=%lld", (long long)o.batch_size);
    if (o.num_workers < 0)
        return CT_DFAIL(CT_ERR_VALUE, "num_workers option should be non-negative; use "
                        "num_workers=0 to disable multiprocessing.");
    if (o.num_workers > 256)
        return CT_DFAIL(CT_ERR_VALUE, "DataLoader: num_workers=%d is more than 256",
                        o.num_workers);
    if (o.prefetch_factor < 0)
        return CT_DFAIL(CT_ERR_VALUE, "DataLoader: prefetch_factor must be >= 0, got %d",
                        o.prefetch_factor);
    if (o.prefetch_factor == 0) o.prefetch_factor = 2;
    int64_t len = ct_dataset_length(ds);
    if (len < 0) return NULL;
    ct_dataloader *dl = calloc(1, sizeof *dl);
    if (!dl) return CT_DFAIL(CT_ERR_MEMORY, "DataLoader: out of memory");
    pthread_mutex_init(&dl->mu, NULL);
    pthread_cond_init(&dl->cv_work, NULL);
    pthread_cond_init(&dl->cv_ready, NULL);
    dl->ds = ds;
    dl->nfields = ds->nfields;
    dl->batch_size = o.batch_size;
    dl->drop_last = o.drop_last;
    dl->nworkers = o.num_workers;
    if (o.pin_memory && (pin_hook_set ? pin_hook_cuda : ct_cuda_is_available()))
        dl->pin = pin_hook_set ? pin_hook_fn : ct_pin_memory;
    int64_t cap = (int64_t)o.prefetch_factor * (o.num_workers ? o.num_workers : 1);
    dl->cap = cap > 4096 ? 4096 : (int)cap;
    if (o.batch_sampler) {
        dl->batch_sampler = o.batch_sampler;
        dl->batch_size = ct__batch_sampler_batch_size(o.batch_sampler);
        dl->nbatches = ct_batch_sampler_length(o.batch_sampler);
        dl->norder = (dl->nbatches + 1) * dl->batch_size;
        dl->bstart = malloc(sizeof(int64_t) * (size_t)(dl->nbatches + 1));
        if (!dl->bstart) {
            ct_dataloader_free(dl);
            return CT_DFAIL(CT_ERR_MEMORY, "DataLoader: out of memory");
        }
    } else {
        if (o.sampler)
            dl->sampler = o.sampler;
        else
            dl->sampler = dl->own_sampler = o.shuffle ? ct_sampler_random(len, o.seed)
                                                      : ct_sampler_sequential(len);
        if (!dl->sampler) {
            ct_dataloader_free(dl);
            return NULL;
        }
        dl->norder = ct_sampler_length(dl->sampler);
        dl->nbatches = ct_batch_count(dl->norder, dl->batch_size, dl->drop_last);
    }
    dl->order = malloc(sizeof(int64_t) * (size_t)(dl->norder ? dl->norder : 1));
    dl->slots = calloc((size_t)dl->cap, sizeof *dl->slots);
    dl->threads = calloc((size_t)(dl->nworkers ? dl->nworkers : 1), sizeof *dl->threads);
    dl->seed_gen = ct_generator_new(o.seed);
    dl->main_gen = ct_generator_new(0);
    if (!dl->order || !dl->slots || !dl->threads || !dl->seed_gen || !dl->main_gen) {
        ct_dataloader_free(dl);
        return CT_DFAIL(CT_ERR_MEMORY, "DataLoader: out of memory");
    }
    return dl;
}

int64_t ct_dataloader_length(const ct_dataloader *dl) { return dl->nbatches; }

bool ct_dataloader_pins(const ct_dataloader *dl) { return dl->pin != NULL; }

int ct_dataloader_begin_epoch(ct_dataloader *dl) {
    if (dl->active) end_epoch(dl);
    if (dl->batch_sampler) {
        /* the epoch's batches, one after the other, then the end mark
         * (order has room for one batch more than expected) */
        int64_t pos = 0, k = 0, got;
        ct_clear_error();
        while ((got = ct_batch_sampler_next(dl->batch_sampler, dl->order + pos)) > 0 &&
               k < dl->nbatches) {
            dl->bstart[k++] = pos;
            pos += got;
        }
        if (got != 0 || k != dl->nbatches) {
            if (got >= 0)
                ct_set_error(CT_ERR_RUNTIME, "DataLoader: the batch sampler gave more or fewer "
                             "than its %lld batches", (long long)dl->nbatches);
            return -1;
        }
        dl->bstart[k] = pos;
        dl->norder = pos;
    } else if (ct_sampler_epoch(dl->sampler, dl->order) < 0) {
        return -1;
    }
    int64_t len = ct_dataset_length(dl->ds);
    for (int64_t i = 0; i < dl->norder; i++)
        if (dl->order[i] < 0 || dl->order[i] >= len) {
            ct_set_error(CT_ERR_INDEX, "DataLoader: the sampler gave index %lld for a dataset "
                         "of length %lld", (long long)dl->order[i], (long long)len);
            return -1;
        }
    ct_generator_lock(dl->seed_gen);
    dl->epoch_seed = ct_generator_next_u64(dl->seed_gen);
    ct_generator_unlock(dl->seed_gen);
    dl->next_claim = dl->consumed = 0;
    dl->stop = false;
    dl->active = true;
    for (int i = 0; i < dl->nworkers; i++) {
        if (pthread_create(&dl->threads[i], NULL, worker_main, dl) != 0) {
            end_epoch(dl);
            ct_set_error(CT_ERR_RUNTIME, "DataLoader: cannot start worker thread %d", i);
            return -1;
        }
        dl->nthreads++;
    }
    return 0;
}

int ct_dataloader_next(ct_dataloader *dl, ct_tensor **out) {
    if (!dl->active && ct_dataloader_begin_epoch(dl) < 0) return -1;
    if (dl->consumed >= dl->nbatches) {
        end_epoch(dl);
        return 0;
    }
    ct_tensor *got[CT_DATA_MAX_FIELDS] = {0};
    ct_error_kind kind = CT_OK;
    int rc;
    char msg[2048];
    if (dl->nworkers == 0) {
        rc = make_batch(dl, dl->consumed, dl->main_gen, got, &kind, msg, sizeof msg);
        dl->consumed++;
    } else {
        pthread_mutex_lock(&dl->mu);
        slot *s = &dl->slots[dl->consumed % dl->cap];
        while (s->state == SLOT_EMPTY) pthread_cond_wait(&dl->cv_ready, &dl->mu);
        rc = s->state == SLOT_READY ? 0 : -1;
        if (rc == 0) {
            memcpy(got, s->fields, sizeof got);
        } else {
            kind = s->kind;
            memcpy(msg, s->msg, sizeof msg);
        }
        memset(s->fields, 0, sizeof s->fields);
        s->state = SLOT_EMPTY;
        dl->consumed++;
        pthread_cond_broadcast(&dl->cv_work);
        pthread_mutex_unlock(&dl->mu);
    }
    if (rc < 0) {
        end_epoch(dl);
        ct_set_error(kind, "%s", msg);
        return -1;
    }
    for (int f = 0; f < dl->nfields; f++) out[f] = ct_autorelease(got[f]);
    return dl->nfields;
}

void ct_dataloader_free(ct_dataloader *dl) {
    if (!dl) return;
    if (dl->active) end_epoch(dl);
    pthread_mutex_destroy(&dl->mu);
    pthread_cond_destroy(&dl->cv_work);
    pthread_cond_destroy(&dl->cv_ready);
    ct_sampler_free(dl->own_sampler);
    if (dl->seed_gen) ct_generator_free(dl->seed_gen);
    if (dl->main_gen) ct_generator_free(dl->main_gen);
    free(dl->order);
    free(dl->bstart);
    free(dl->slots);
    free(dl->threads);
    free(dl);
}
