/* data: datasets, samplers, collation, transforms and a threaded DataLoader
 * (src/data/). Ownership: see core.h; the datasets, samplers and loaders are
 * plain objects owned by their creator (free them with their *_free).
 *
 * Threads: a dataset's get_item and a transform may run on DataLoader worker
 * threads at the same time; they must not write shared state. Each thread has
 * its own scopes; tensors cross threads as owned references (refcounts are
 * atomic).
 */
#ifndef CTORCH_DATA_H
#define CTORCH_DATA_H

#include "ctorch/ops.h"
#include "ctorch/random.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most fields an item may have (image, label, ...). */
#define CT_DATA_MAX_FIELDS 8

/* ---------------------------------------------------------------- datasets */
typedef struct ct_dataset ct_dataset;
typedef struct ct_dataset_vtable {
    const char *name; /* "TensorDataset", "MNIST", ... (for messages) */
    int64_t (*length)(const ct_dataset *ds);
    /* Writes ds->nfields OWNED references (not in any scope) into out and
     * returns 0, or returns -1 after ct_set_error (and writes nothing that
     * needs release). Called from several threads at once. */
    int (*get_item)(ct_dataset *ds, int64_t index, ct_tensor **out);
    /* Frees ctx and whatever the dataset owns (NULL: nothing to free). */
    void (*free)(ct_dataset *ds);
} ct_dataset_vtable;
struct ct_dataset {
    const ct_dataset_vtable *vt;
    int nfields;
    void *ctx;
};

/* A dataset from a vtable (custom datasets); NULL on error. */
ct_dataset *ct_dataset_new(const ct_dataset_vtable *vt, int nfields, void *ctx);
void ct_dataset_free(ct_dataset *ds); /* NULL is a no-op */
int64_t ct_dataset_length(const ct_dataset *ds);
int ct_dataset_nfields(const ct_dataset *ds);
/* Item index (negative counts from the end): writes nfields references,
 * handed to the current scope like any op result, into out. 0 or -1. */
int ct_dataset_get(ct_dataset *ds, int64_t index, ct_tensor **out);

/* TensorDataset: item i is (t[0][i], ..., t[n-1][i]), views of the inputs.
 * Every tensor needs ndim >= 1 and the same size of dim 0; the dataset keeps
 * its own references. */
ct_dataset *ct_tensor_dataset(ct_tensor *const *ts, int n);

/* ---------------------------------------------------------------- transforms */
/* A transform maps one tensor to a new OWNED reference (not in any scope;
 * NULL + ct_set_error on failure). It may run on worker threads. */
typedef struct ct_transform {
    ct_tensor *(*apply)(void *ctx, const ct_tensor *x);
    void *ctx;
    void (*free_ctx)(void *ctx); /* NULL: nothing to free */
} ct_transform;

/* ToTensor: uint8 [H, W] -> float32 [1, H, W] / 255; uint8 [H, W, C] ->
 * float32 [C, H, W] / 255 (torchvision's ToTensor on a numpy image). */
ct_transform ct_transform_to_tensor(void);
/* Normalize: float [C, ...] -> (x - mean[c]) / std[c]; n is 1 (one value for
 * every channel) or C. A zero std is an error when the transform is made
 * (ctx NULL and apply NULL). */
ct_transform ct_transform_normalize(const double *mean, const double *std, int n);
/* Applies a then b; takes over both. */
ct_transform ct_transform_compose(ct_transform a, ct_transform b);
void ct_transform_free(ct_transform t);

/* A dataset whose field `field` goes through tf. Takes over base and tf (they
 * are freed with the result, or at once on error). */
ct_dataset *ct_dataset_transform(ct_dataset *base, int field, ct_transform tf);

/* ---------------------------------------------------------------- files */
/* Reads an IDX file (MNIST format, big-endian), gzip-compressed or plain:
 * magic 0x0000 TT ND, ND uint32 sizes, then the data; type TT 0x08 uint8,
 * 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. The header,
 * the sizes and the file's length are checked before any allocation; a bad
 * or truncated file is an error ("idx: <path>: ..."). */
ct_tensor *ct_idx_read(const char *path);

/* MNIST / Fashion-MNIST: items (image uint8 [28, 28], label int64 0-d) from
 * an idx3 images file and an idx1 labels file (plain or .gz). */
ct_dataset *ct_mnist_dataset(const char *images_path, const char *labels_path);
/* Files <root>/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. */
ct_dataset *ct_mnist_dataset_dir(const char *root, bool train);

/* CIFAR-10 / CIFAR-100 binary batches: records of <label bytes><3072 pixel
 * bytes>; CIFAR-10 has 1 label byte (0..9), CIFAR-100 2 (coarse, fine: the
 * item's label is the fine one, 0..99). Items (image uint8 [32, 32, 3] HWC
 * like torchvision's .data, label int64 0-d). Several files are concatenated
 * in order. */
ct_dataset *ct_cifar_dataset(const char *const *paths, int npaths, bool cifar100);

/* ---------------------------------------------------------------- samplers */
typedef struct ct_sampler ct_sampler;
/* 0, 1, ..., n-1. */
ct_sampler *ct_sampler_sequential(int64_t n);
/* A permutation of 0..n-1 per epoch, drawn with torch.randperm from a
 * generator seeded with seed (a new order each epoch, reproducible). */
ct_sampler *ct_sampler_random(int64_t n, uint64_t seed);
/* The given indices (copied), in order, or permuted per epoch when shuffle
 * (SubsetRandomSampler). */
ct_sampler *ct_sampler_subset(const int64_t *indices, int64_t n, bool shuffle, uint64_t seed);
/* num_samples indices drawn with replacement with probability proportional to
 * weights[i] (n of them, >= 0, finite, not all zero). */
ct_sampler *ct_sampler_weighted(const double *weights, int64_t n, int64_t num_samples,
                                uint64_t seed);
void ct_sampler_free(ct_sampler *s);
/* Indices per epoch. */
int64_t ct_sampler_length(const ct_sampler *s);
/* The indices of the next epoch: writes ct_sampler_length(s) of them into
 * out. 0 or -1. */
int ct_sampler_epoch(ct_sampler *s, int64_t *out);

/* Batches of an epoch of n indices: ceil(n / batch_size), or floor with
 * drop_last. */
int64_t ct_batch_count(int64_t n, int64_t batch_size, bool drop_last);

/* ---------------------------------------------------------------- collation */
/* Stacks items[0..n) (same shape and dtype) along a new dim 0 (ct_stack);
 * the result goes to the current scope. */
ct_tensor *ct_collate(ct_tensor *const *items, int64_t n);

/* ---------------------------------------------------------------- loader */
typedef struct ct_dataloader_options {
    int64_t batch_size;  /* 0 means 1 */
    bool shuffle;        /* a random sampler seeded with seed */
    bool drop_last;
    int num_workers;     /* 0: batches are made in the caller's thread */
    int prefetch_factor; /* batches in flight per worker; 0 means 2 */
    uint64_t seed;
    /* Optional: the loader draws each epoch's indices from it (borrowed; it
     * must outlive the loader). Overrides shuffle. */
    ct_sampler *sampler;
} ct_dataloader_options;

typedef struct ct_dataloader ct_dataloader;
/* ds is borrowed: it must outlive the loader. */
ct_dataloader *ct_dataloader_new(ct_dataset *ds, const ct_dataloader_options *opt);
/* Batches per epoch. */
int64_t ct_dataloader_length(const ct_dataloader *dl);
/* Starts an epoch (draws its order, starts the workers); an unfinished
 * epoch is abandoned. ct_dataloader_next starts one when none runs. 0 / -1. */
int ct_dataloader_begin_epoch(ct_dataloader *dl);
/* The next batch, in sampler order whatever worker made it: writes nfields
 * references (handed to the current scope) into out and returns nfields;
 * returns 0 at the end of the epoch (the next call starts a new epoch), -1 on
 * error ("DataLoader: item 17: <message>"), which ends the epoch. */
int ct_dataloader_next(ct_dataloader *dl, ct_tensor **out);
/* Stops and joins the workers, frees queued batches. NULL is a no-op. */
void ct_dataloader_free(ct_dataloader *dl);

#ifdef __cplusplus
}
#endif
#endif
