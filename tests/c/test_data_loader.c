/* Samplers and the DataLoader. Orders of the random samplers are PyTorch's
 * (torch.randperm / torch.multinomial with torch.Generator().manual_seed). */
#include "harness.h"

#include "ctorch/cuda.h"
#include "data/data_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

TEST(data_sampler, orders) {
    int64_t out[10];
    ct_sampler *s = ct_sampler_sequential(4);
    CHECK(ct_sampler_length(s) == 4 && ct_sampler_epoch(s, out) == 0);
    CHECK(out[0] == 0 && out[3] == 3);
    ct_sampler_free(s);
    /* torch.randperm(10, generator=torch.Generator().manual_seed(42)), twice */
    const int64_t e1[10] = {2, 6, 1, 8, 4, 5, 0, 9, 3, 7}, e2[10] = {3, 5, 8, 9, 4, 6, 1, 0, 7, 2};
    s = ct_sampler_random(10, 42);
    CHECK(ct_sampler_epoch(s, out) == 0);
    for (int i = 0; i < 10; i++) CHECK(out[i] == e1[i]);
    CHECK(ct_sampler_epoch(s, out) == 0);
    for (int i = 0; i < 10; i++) CHECK(out[i] == e2[i]);
    ct_sampler_free(s);
    /* subset: in order, or indices[randperm] */
    const int64_t idx[10] = {10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
    s = ct_sampler_subset(idx, 10, false, 0);
    CHECK(ct_sampler_epoch(s, out) == 0 && out[0] == 10 && out[9] == 19);
    ct_sampler_free(s);
    s = ct_sampler_subset(idx, 10, true, 42);
    CHECK(ct_sampler_epoch(s, out) == 0);
    for (int i = 0; i < 10; i++) CHECK(out[i] == 10 + e1[i]);
    ct_sampler_free(s);
    /* torch.multinomial([1, 0, 3, 0, 6], 8, True, generator=manual_seed(7)) */
    s = ct_sampler_weighted(VALS(1, 0, 3, 0, 6), 5, 8, 7);
    CHECK_OK(s);
    CHECK(ct_sampler_length(s) == 8 && ct_sampler_epoch(s, out) == 0);
    const int64_t w[8] = {2, 2, 4, 4, 4, 4, 2, 4};
    for (int i = 0; i < 8; i++) CHECK(out[i] == w[i]);
    ct_sampler_free(s);
    CHECK_ERR(ct_sampler_weighted(VALS(0, 0), 2, 3, 0), "sum of probabilities");
    CHECK_ERR(ct_sampler_weighted(VALS(1, -1), 2, 3, 0), "weights must be finite and >= 0");
    CHECK_ERR(ct_sampler_weighted(VALS(1), 1, 0, 0), "num_samples should be a positive integer");
    CHECK_ERR(ct_sampler_random(-1, 0), "length must be >= 0");
    CHECK(ct_batch_count(10, 3, false) == 4 && ct_batch_count(10, 3, true) == 3);
    CHECK(ct_batch_count(0, 3, false) == 0 && ct_batch_count(9, 3, true) == 3);
}

/* Dataset of n items: (x = float32 [2] = {i, -i}, y = int64 i); item `bad`
 * fails (when >= 0). */
typedef struct counting_ds {
    int64_t n, bad;
} counting_ds;

static int64_t cnt_length(const ct_dataset *ds) { return ((const counting_ds *)ds->ctx)->n; }
static int cnt_get(ct_dataset *ds, int64_t i, ct_tensor **out) {
    const counting_ds *c = ds->ctx;
    if (i == c->bad) {
        ct_set_error(CT_ERR_VALUE, "item %lld is broken", (long long)i);
        return -1;
    }
    float v[2] = {(float)i, (float)-i};
    out[0] = ct_from_data(v, (const int64_t[]){2}, 1, CT_FLOAT32);
    int64_t y = i;
    out[1] = ct_from_data(&y, NULL, 0, CT_INT64);
    if (!out[0] || !out[1]) {
        ct_release(out[0]);
        ct_release(out[1]);
        return -1;
    }
    return 0;
}
static const ct_dataset_vtable cnt_vt = {"Counting", cnt_length, cnt_get, NULL};

/* Runs one epoch; appends the labels seen to seen[]; returns the count or -1. */
static int64_t run_epoch(ct_dataloader *dl, int64_t *seen, int64_t bs, bool drop_last, int64_t n) {
    int64_t count = 0, batches = 0;
    ct_tensor *b[2];
    int rc;
    ct_scope sc = ct_scope_begin();
    while ((rc = ct_dataloader_next(dl, b)) > 0) {
        int64_t m = b[1]->sizes[0];
        if (b[0]->ndim != 2 || b[0]->sizes[0] != m || b[0]->sizes[1] != 2 || b[1]->dtype != CT_INT64)
            goto bad;
        if (m != bs && (drop_last || count + m != n)) goto bad;
        for (int64_t i = 0; i < m; i++) {
            int64_t y = ct_item_at_int(b[1], i);
            if (ct_item_at(b[0], 2 * i) != (double)y || ct_item_at(b[0], 2 * i + 1) != (double)-y)
                goto bad;
            seen[count++] = y;
        }
        batches++;
    }
    ct_scope_end(sc);
    if (rc < 0 || batches != ct_dataloader_length(dl)) return -1;
    return count;
bad:
    ct_scope_end(sc);
    return -1;
}

TEST(data_loader, every_item_once_in_order_for_any_workers) {
    counting_ds c = {23, -1};
    ct_dataset *ds = ct_dataset_new(&cnt_vt, 2, &c);
    CHECK_OK(ds);
    int64_t seen[23];
    const int workers[4] = {0, 1, 2, 4};
    for (int w = 0; w < 4; w++)
        for (int dl_ = 0; dl_ < 2; dl_++) {
            ct_dataloader_options o = {.batch_size = 4, .num_workers = workers[w], .drop_last = dl_};
            ct_dataloader *dl = ct_dataloader_new(ds, &o);
            CHECK_OK(dl);
            CHECK(ct_dataloader_length(dl) == (dl_ ? 5 : 6));
            for (int epoch = 0; epoch < 2; epoch++) {
                int64_t n = run_epoch(dl, seen, 4, dl_, 23);
                CHECK(n == (dl_ ? 20 : 23));
                for (int64_t i = 0; i < n; i++) CHECK(seen[i] == i); /* sequential order */
            }
            ct_dataloader_free(dl);
        }
    ct_dataset_free(ds);
}

TEST(data_loader, shuffle_per_epoch_reproducible) {
    counting_ds c = {50, -1};
    ct_dataset *ds = ct_dataset_new(&cnt_vt, 2, &c);
    int64_t a[2][50], b[50];
    for (int w = 0; w < 3; w++) {
        ct_dataloader_options o = {.batch_size = 7, .shuffle = true, .seed = 3, .num_workers = w};
        ct_dataloader *dl = ct_dataloader_new(ds, &o);
        CHECK_OK(dl);
        for (int e = 0; e < 2; e++) {
            int64_t *dst = w == 0 ? a[e] : b;
            CHECK(run_epoch(dl, dst, 7, false, 50) == 50);
            int hits[50] = {0};
            for (int i = 0; i < 50; i++) hits[dst[i]]++;
            for (int i = 0; i < 50; i++) CHECK(hits[i] == 1);
            /* same seed: same orders whatever the number of workers */
            if (w > 0) CHECK(memcmp(b, a[e], sizeof b) == 0);
        }
        ct_dataloader_free(dl);
    }
    CHECK(memcmp(a[0], a[1], sizeof a[0]) != 0);
    /* the order is torch.randperm's: first epoch of seed 3 */
    ct_sampler *s = ct_sampler_random(50, 3);
    int64_t p[50];
    CHECK(ct_sampler_epoch(s, p) == 0);
    ct_sampler_free(s);
    CHECK(memcmp(p, a[0], sizeof p) == 0);
    ct_dataset_free(ds);
}

TEST(data_loader, early_stop_and_restart_leak_nothing) {
    counting_ds c = {40, -1};
    ct_dataset *ds = ct_dataset_new(&cnt_vt, 2, &c);
    for (int w = 0; w < 4; w++) {
        ct_dataloader_options o = {.batch_size = 3, .num_workers = w, .prefetch_factor = 1};
        ct_dataloader *dl = ct_dataloader_new(ds, &o);
        ct_tensor *b[2];
        CHECK(ct_dataloader_next(dl, b) == 2);
        CHECK(ct_item_at_int(b[1], 0) == 0);
        /* abandon the epoch: a new one starts from the beginning */
        CHECK(ct_dataloader_begin_epoch(dl) == 0);
        CHECK(ct_dataloader_next(dl, b) == 2 && ct_item_at_int(b[1], 2) == 2);
        ct_dataloader_free(dl); /* workers mid-epoch, batches queued */
    }
    ct_dataset_free(ds);
}

TEST(data_loader, failing_item_reports_its_index) {
    counting_ds c = {30, 17};
    ct_dataset *ds = ct_dataset_new(&cnt_vt, 2, &c);
    for (int w = 0; w < 3; w++) {
        ct_dataloader_options o = {.batch_size = 4, .num_workers = w};
        ct_dataloader *dl = ct_dataloader_new(ds, &o);
        ct_tensor *b[2];
        int rc, good = 0;
        while ((rc = ct_dataloader_next(dl, b)) > 0) good++;
        CHECK(rc == -1 && good == 4); /* batches 0..3 hold items 0..15 */
        CHECK(strstr(ct_last_error(), "DataLoader: item 17: item 17 is broken") != NULL);
        CHECK(ct_last_error_kind() == CT_ERR_VALUE);
        /* the next call starts a new epoch */
        CHECK(ct_dataloader_next(dl, b) == 2 && ct_item_at_int(b[1], 0) == 0);
        ct_dataloader_free(dl);
    }
    ct_dataset_free(ds);
}

TEST(data_loader, mnist_files_through_transforms) {
    /* a TensorDataset of uint8 images through ToTensor + Normalize, batched */
    ct_tensor *img = ct_empty(SHAPE(10, 3, 2), 3, CT_UINT8);
    for (int i = 0; i < 60; i++) ((uint8_t *)ct_data_ptr(img))[i] = (uint8_t)(i * 4);
    double lv[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    ct_tensor *lab = tt_tensor(lv, SHAPE(10), 1, CT_INT64);
    ct_dataset *ds = ct_dataset_transform(
        ct_tensor_dataset((ct_tensor *const[]){img, lab}, 2), 0,
        ct_transform_compose(ct_transform_to_tensor(), ct_transform_normalize(VALS(0.5), VALS(0.5), 1)));
    CHECK_OK(ds);
    ct_dataloader_options o = {.batch_size = 4, .num_workers = 2, .shuffle = true, .seed = 1};
    ct_dataloader *dl = ct_dataloader_new(ds, &o);
    ct_tensor *b[2];
    int nb = 0;
    while (ct_dataloader_next(dl, b) > 0) {
        nb++;
        CHECK(b[0]->dtype == CT_FLOAT32 && b[0]->ndim == 4 && b[0]->sizes[1] == 1 && b[0]->sizes[2] == 3);
        for (int64_t i = 0; i < b[0]->sizes[0]; i++) {
            int64_t y = ct_item_at_int(b[1], i);
            for (int j = 0; j < 6; j++)
                CHECK_CLOSE(ct_item_at(b[0], i * 6 + j), ((y * 6 + j) * 4 / 255.0 - 0.5) / 0.5, 1e-6);
        }
    }
    CHECK(nb == 3);
    ct_dataloader_free(dl);
    ct_dataset_free(ds);
    CHECK_ERR(ct_dataloader_new(NULL, &o), "dataset is NULL");
}

TEST(data_loader, explicit_sampler) {
    counting_ds c = {10, -1};
    ct_dataset *ds = ct_dataset_new(&cnt_vt, 2, &c);
    const int64_t idx[5] = {9, 2, 4, 4, 0};
    ct_sampler *s = ct_sampler_subset(idx, 5, false, 0);
    ct_dataloader_options o = {.batch_size = 2, .num_workers = 2, .sampler = s};
    ct_dataloader *dl = ct_dataloader_new(ds, &o);
    CHECK_OK(dl);
    CHECK(ct_dataloader_length(dl) == 3);
    int64_t seen[5];
    CHECK(run_epoch(dl, seen, 2, false, 5) == 5);
    for (int i = 0; i < 5; i++) CHECK(seen[i] == idx[i]);
    ct_dataloader_free(dl);
    ct_sampler_free(s);
    /* a sampler that goes past the dataset */
    const int64_t far[2] = {3, 10};
    s = ct_sampler_subset(far, 2, false, 0);
    o.sampler = s;
    dl = ct_dataloader_new(ds, &o);
    ct_tensor *b[2];
    CHECK(ct_dataloader_next(dl, b) == -1);
    CHECK(strstr(ct_last_error(), "the sampler gave index 10 for a dataset of length 10"));
    ct_dataloader_free(dl);
    ct_sampler_free(s);
    o = (ct_dataloader_options){.batch_size = -2};
    CHECK_ERR(ct_dataloader_new(ds, &o), "batch_size should be a positive integer value");
    o = (ct_dataloader_options){.num_workers = -1};
    CHECK_ERR(ct_dataloader_new(ds, &o), "num_workers option should be non-negative");
    ct_dataset_free(ds);
}

/* TensorDataset batches are gathered row by row in one pass where rows are
 * contiguous (plain, every other row, expanded dim 0, 0-size rows) and
 * stacked from items otherwise (transposed rows); every batch equals
 * t[indices] of the loader's order. */
TEST(data_loader, tensor_dataset_batches_equal_rows_for_every_layout) {
    ct_scope sc = ct_scope_begin();
    ct_tensor *base = tt_rand(SHAPE(12, 3, 4), 3, CT_FLOAT32, -1, 1, 7);
    ct_tensor *stepped = ct_slice(base, 0, 0, 12, 2);             /* rows of 12 floats, stride 24 */
    ct_tensor *trans = ct_transpose(ct_slice(base, 0, 0, 6, 1), 1, 2); /* rows (4, 3), not contiguous */
    ct_tensor *expd = ct_expand(ct_slice(base, 0, 5, 6, 1), SHAPE(6, 3, 4), 3); /* stride 0 */
    ct_tensor *empty = ct_empty(SHAPE(6, 0), 2, CT_FLOAT64);
    double lv[6] = {0, 1, 2, 3, 4, 5};
    ct_tensor *lab = ct_slice(tt_tensor(lv, SHAPE(6), 1, CT_INT64), 0, 0, 6, 1);
    ct_tensor *const fields[4][2] = {{stepped, lab}, {trans, lab}, {expd, lab}, {empty, lab}};
    for (int v = 0; v < 4; v++) {
        ct_dataset *ds = ct_tensor_dataset(fields[v], 2);
        CHECK_OK(ds);
        for (int w = 0; w < 2; w++) {
            ct_dataloader_options o = {.batch_size = 4, .num_workers = w, .shuffle = true, .seed = 5};
            ct_dataloader *dl = ct_dataloader_new(ds, &o);
            CHECK_OK(dl);
            ct_tensor *b[2];
            int nb = 0;
            while (ct_dataloader_next(dl, b) > 0) {
                nb++;
                const ct_tensor *t = fields[v][0];
                int64_t n = b[1]->sizes[0], per = t->numel / t->sizes[0];
                CHECK(n == (nb == 1 ? 4 : 2) && b[0]->ndim == t->ndim && b[0]->sizes[0] == n);
                CHECK(ct_is_contiguous(b[0]) && b[0]->dtype == t->dtype);
                for (int d = 1; d < t->ndim; d++) CHECK(b[0]->sizes[d] == t->sizes[d]);
                for (int64_t i = 0; i < n; i++) {
                    int64_t row = ct_item_at_int(b[1], i);
                    double *want = tt_values(ct_select(t, 0, row));
                    for (int64_t j = 0; j < per; j++) CHECK(ct_item_at(b[0], i * per + j) == want[j]);
                    free(want);
                }
            }
            CHECK(nb == 2);
            ct_dataloader_free(dl);
        }
        ct_dataset_free(ds);
    }
    ct_scope_end(sc);
}

/* A worker thread's own default generator (what the Python DataLoader
 * gives each worker): its draws and manual_seed stay in that thread. */
typedef struct {
    double first, reseeded;
    bool restored;
} thread_draws;

static void *own_generator_thread(void *arg) {
    thread_draws *d = arg;
    ct_scope sc = ct_scope_begin();
    ct_generator *g = ct_generator_new(7);
    ct_generator *prev = ct_set_thread_default_generator(g);
    d->first = ct_item_at(ct_rand(SHAPE(1), 1, CT_FLOAT64, NULL), 0);
    ct_manual_seed(9); /* seeds g: the thread's default */
    d->reseeded = ct_item_at(ct_rand(SHAPE(1), 1, CT_FLOAT64, NULL), 0);
    d->restored = ct_set_thread_default_generator(prev) == g && ct_default_generator() != g;
    ct_generator_free(g);
    ct_scope_end(sc);
    return NULL;
}

TEST(data_loader, worker_thread_default_generator_is_its_own) {
    ct_scope sc = ct_scope_begin();
    ct_manual_seed(1);
    double main_first = ct_item_at(ct_rand(SHAPE(1), 1, CT_FLOAT64, NULL), 0);
    ct_manual_seed(1);
    thread_draws d = {0};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, own_generator_thread, &d) == 0);
    pthread_join(th, NULL);
    /* the process-wide generator was neither drawn from nor reseeded */
    CHECK(ct_item_at(ct_rand(SHAPE(1), 1, CT_FLOAT64, NULL), 0) == main_first);
    ct_generator *g7 = ct_generator_new(7), *g9 = ct_generator_new(9);
    CHECK(d.first == ct_item_at(ct_rand(SHAPE(1), 1, CT_FLOAT64, g7), 0));
    CHECK(d.reseeded == ct_item_at(ct_rand(SHAPE(1), 1, CT_FLOAT64, g9), 0));
    CHECK(d.restored);
    ct_generator_free(g7);
    ct_generator_free(g9);
    ct_scope_end(sc);
}

/* pin_memory: pinned batches where CUDA is available, ordinary ones (no
 * error) where it is not, decided when the loader is made. The pinned path
 * runs here on any machine with a stand-in for ct_pin_memory (a copy that
 * counts its calls, or fails on the batch that starts at item 8). */
static atomic_int pin_calls;
static ct_tensor *fake_pin(const ct_tensor *t) {
    atomic_fetch_add(&pin_calls, 1);
    if (t->dtype == CT_INT64 && t->numel > 0 && ct_item_at_int(t, 0) == 8) {
        ct_set_error(CT_ERR_RUNTIME, "cudaHostAlloc failed (test)");
        return NULL;
    }
    return ct_clone(t);
}

TEST(data_loader, pin_memory_when_cuda_is_available) {
    counting_ds c = {23, -1};
    ct_dataset *ds = ct_dataset_new(&cnt_vt, 2, &c);
    CHECK_OK(ds);
    int64_t seen[23];
    /* the real decision: pinned exactly when CUDA is available */
    for (int w = 0; w < 3; w += 2) {
        ct_dataloader_options o = {.batch_size = 4, .num_workers = w, .pin_memory = true};
        ct_dataloader *dl = ct_dataloader_new(ds, &o);
        CHECK_OK(dl);
        CHECK(ct_dataloader_pins(dl) == ct_cuda_is_available());
        ct_scope sc = ct_scope_begin();
        ct_tensor *b[2];
        int nb = 0;
        while (ct_dataloader_next(dl, b) > 0) {
            nb++;
            CHECK(ct_is_pinned(b[0]) == ct_cuda_is_available());
            CHECK(ct_is_pinned(b[1]) == ct_cuda_is_available());
        }
        CHECK(nb == 6);
        ct_scope_end(sc);
        CHECK(run_epoch(dl, seen, 4, false, 23) == 23);
        for (int i = 0; i < 23; i++) CHECK(seen[i] == i);
        ct_dataloader_free(dl);
        /* not asked: never pinned */
        o.pin_memory = false;
        dl = ct_dataloader_new(ds, &o);
        CHECK(!ct_dataloader_pins(dl));
        ct_dataloader_free(dl);
    }
    /* the pinned path with a stand-in: every field of every batch, by any worker */
    ct__dataloader_pin_hook(fake_pin, true);
    c.n = 8; /* no batch starts at item 8 */
    for (int w = 0; w < 4; w++) {
        ct_dataloader_options o = {.batch_size = 3, .num_workers = w, .pin_memory = true};
        ct_dataloader *dl = ct_dataloader_new(ds, &o);
        CHECK(ct_dataloader_pins(dl));
        atomic_store(&pin_calls, 0);
        CHECK(run_epoch(dl, seen, 3, false, 8) == 8);
        for (int i = 0; i < 8; i++) CHECK(seen[i] == i);
        CHECK(atomic_load(&pin_calls) == 3 * 2);
        ct_dataloader_free(dl);
    }
    /* a failing pin ends the epoch with the batch's error, leaking nothing */
    c.n = 23;
    for (int w = 0; w < 3; w++) {
        ct_dataloader_options o = {.batch_size = 4, .num_workers = w, .pin_memory = true};
        ct_dataloader *dl = ct_dataloader_new(ds, &o);
        ct_scope sc = ct_scope_begin();
        ct_tensor *b[2];
        int rc, good = 0;
        while ((rc = ct_dataloader_next(dl, b)) > 0) good++;
        CHECK(rc == -1 && good == 2);
        CHECK(strstr(ct_last_error(), "DataLoader: batch 2: cudaHostAlloc failed (test)") != NULL);
        ct_scope_end(sc);
        ct_dataloader_free(dl);
    }
    /* the gathered batches of a TensorDataset too */
    ct_scope sc = ct_scope_begin();
    double v[5] = {0, 1, 2, 3, 4};
    ct_tensor *fields[2] = {tt_tensor(v, SHAPE(5), 1, CT_FLOAT32), tt_tensor(v, SHAPE(5), 1, CT_INT64)};
    ct_dataset *tds = ct_tensor_dataset(fields, 2);
    ct_dataloader_options o = {.batch_size = 2, .pin_memory = true};
    ct_dataloader *dl = ct_dataloader_new(tds, &o);
    atomic_store(&pin_calls, 0);
    ct_tensor *b[2];
    int nb = 0;
    while (ct_dataloader_next(dl, b) > 0) {
        CHECK(ct_item_at(b[0], 0) == 2.0 * nb && ct_item_at_int(b[1], 0) == 2 * nb);
        nb++;
    }
    CHECK(nb == 3 && atomic_load(&pin_calls) == 6);
    ct_dataloader_free(dl);
    ct_dataset_free(tds);
    ct_scope_end(sc);
    /* CUDA taken as absent: the option is ignored */
    ct__dataloader_pin_hook(fake_pin, false);
    o = (ct_dataloader_options){.batch_size = 4, .pin_memory = true};
    dl = ct_dataloader_new(ds, &o);
    CHECK(!ct_dataloader_pins(dl));
    atomic_store(&pin_calls, 0);
    CHECK(run_epoch(dl, seen, 4, false, 23) == 23 && atomic_load(&pin_calls) == 0);
    ct_dataloader_free(dl);
    ct__dataloader_pin_hook(NULL, false);
    ct_dataset_free(ds);
}
