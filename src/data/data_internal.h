/* data family internals (src/data/). */
#ifndef CT_DATA_INTERNAL_H
#define CT_DATA_INTERNAL_H

#include "ctorch/data.h"
#include "internal.h"

/* Sets the error and yields NULL of any pointer type. */
#define CT_DFAIL(kind, ...) (ct_set_error((kind), __VA_ARGS__), (void *)NULL)

/* Owned references of an item (not in any scope): release all n. */
static inline void ct__data_release_all(ct_tensor **ts, int n) {
    for (int i = 0; i < n; i++) {
        ct_release(ts[i]);
        ts[i] = NULL;
    }
}

/* get_item of the dataset with the index already checked: owned refs. */
int ct__dataset_get_owned(ct_dataset *ds, int64_t index, ct_tensor **out);
/* A TensorDataset named after the file format it was read from. */
enum { CT__DS_TENSOR, CT__DS_MNIST, CT__DS_CIFAR10, CT__DS_CIFAR100 };
ct_dataset *ct__tensor_dataset_kind(ct_tensor *const *ts, int n, int kind);
/* The batch of items idx[0..n) (checked indices) of a TensorDataset (or
 * MNIST/CIFAR) whose rows are contiguous, gathered field by field with one
 * copy per row (what stacking its items would give): returns 1 with owned
 * batch tensors in out, 0 when ds is not such a dataset (nothing done), -1
 * on error. */
int ct__dataset_gather_owned(ct_dataset *ds, const int64_t *idx, int64_t n, ct_tensor **out);
/* Stacks n owned-or-borrowed items into an owned batch tensor. */
ct_tensor *ct__collate_owned(ct_tensor *const *items, int64_t n);

/* How a DataLoader made after this call pins a batch field, and whether it
 * takes CUDA as available for pin_memory: ct_pin_memory and
 * ct_cuda_is_available() by default (fn NULL). For the tests, which run the
 * pinned path on machines without a GPU with a stand-in for fn. Not
 * thread-safe: call it while no loader is being made. */
typedef ct_tensor *(*ct__pin_fn)(const ct_tensor *t);
void ct__dataloader_pin_hook(ct__pin_fn fn, bool cuda_available);

/* The batch size a batch sampler was made with. */
int64_t ct__batch_sampler_batch_size(const ct_batch_sampler *b);

#endif
