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

/* ---------------------------------------------------------------- randomness */
/* The generator that random transforms use when given none: in a DataLoader
 * batch (worker threads and num_workers = 0 alike) a generator of the
 * loader's, reseeded for batch k of an epoch with epoch_seed + k, so that an
 * item gets the same random draws whatever the number of workers; anywhere
 * else the default generator (torch.manual_seed's), so that a transform
 * applied after ct_manual_seed(s) draws what torchvision draws after
 * torch.manual_seed(s). */
ct_generator *ct_data_generator(void);
/* Makes g the calling thread's data generator (NULL: back to the default);
 * returns the previous one (borrowed). */
ct_generator *ct_data_set_generator(ct_generator *g);

/* ---------------------------------------------------------------- transforms */
/* A transform maps one tensor to a new OWNED reference (not in any scope;
 * NULL + ct_set_error on failure). It may run on worker threads: apply must
 * not write ctx. g is where a random transform draws from; NULL means
 * ct_data_generator(). */
typedef struct ct_transform {
    ct_tensor *(*apply)(void *ctx, const ct_tensor *x, ct_generator *g);
    void *ctx;
    void (*free_ctx)(void *ctx); /* NULL: nothing to free */
} ct_transform;

/* Applies t to x; the result goes to the current scope (NULL on error). */
ct_tensor *ct_transform_apply(const ct_transform *t, const ct_tensor *x, ct_generator *g);
/* Applies a then b; takes over both. */
ct_transform ct_transform_compose(ct_transform a, ct_transform b);
/* Applies ts[0], ..., ts[n-1] in order; takes over all n (freed on error). */
ct_transform ct_transform_compose_n(ct_transform *ts, int n);
void ct_transform_free(ct_transform t);
/* Every constructor returns {NULL, NULL, NULL} with an error on bad
 * parameters (the messages are torchvision's where it has one). */

/* ToTensor: uint8 [H, W] -> float32 [1, H, W] / 255; uint8 [H, W, C] ->
 * float32 [C, H, W] / 255 (torchvision's ToTensor on a numpy image). */
ct_transform ct_transform_to_tensor(void);
/* PILToTensor: uint8 [H, W, C] (or [H, W]) -> uint8 [C, H, W], no scaling. */
ct_transform ct_transform_pil_to_tensor(void);
/* ConvertImageDtype(float32/float64): uint8 [..] -> x / 255 in dt; a float
 * input is converted with its values kept. Other dtypes: not implemented. */
ct_transform ct_transform_convert_image_dtype(ct_dtype dt);
/* Normalize: float [C, ...] -> (x - mean[c]) / std[c]; n is 1 (one value for
 * every channel) or C. A zero std is an error when the transform is made. */
ct_transform ct_transform_normalize(const double *mean, const double *std, int n);

/* The image transforms below follow torchvision 0.14's TENSOR code path
 * (torchvision/transforms/functional_tensor.py): images are [..., C, H, W]
 * (flips, crops and pads need only [..., H, W]) of dtype uint8, float32 or
 * float64, and keep their dtype (uint8 results of an interpolation are
 * rounded, as torchvision rounds them). */
typedef enum { CT_INTERP_BILINEAR = 0, CT_INTERP_NEAREST = 1 } ct_interp;
typedef enum {
    CT_PAD_CONSTANT = 0,
    CT_PAD_EDGE = 1,      /* torch's "replicate" */
    CT_PAD_REFLECT = 2,   /* without repeating the edge */
    CT_PAD_SYMMETRIC = 3  /* repeating the edge */
} ct_padding_mode;

/* Resize(size, interpolation, max_size, antialias): nsize 1: size[0] is the
 * new shorter side, the longer one is int(size * long / short) (max_size > 0
 * caps it as torchvision does); nsize 2: (h, w). Bilinear with
 * align_corners=False like F.interpolate; antialias false is torchvision
 * 0.14's default on tensors; antialias true is PyTorch's
 * _upsample_bilinear2d_aa (what Pillow-like downscaling gives). */
ct_transform ct_transform_resize(const int64_t *size, int nsize, ct_interp interpolation,
                                 int64_t max_size, bool antialias);
/* CenterCrop((h, w)); an image smaller than the crop is zero-padded first
 * (torchvision's rule). */
ct_transform ct_transform_center_crop(int64_t h, int64_t w);
/* Pad(padding, fill, padding_mode): npadding 1 (all sides), 2 (left/right,
 * top/bottom) or 4 (left, top, right, bottom). Negative padding crops. */
ct_transform ct_transform_pad(const int64_t *padding, int npadding, double fill,
                              ct_padding_mode padding_mode);
/* RandomCrop(size=(h, w), padding, pad_if_needed, fill, padding_mode):
 * padding NULL/npadding 0 for None. Draws top = randint(0, H - h + 1), then
 * left = randint(0, W - w + 1) like torchvision's get_params. */
ct_transform ct_transform_random_crop(int64_t h, int64_t w, const int64_t *padding,
                                      int npadding, bool pad_if_needed, double fill,
                                      ct_padding_mode padding_mode);
/* RandomResizedCrop(size=(h, w), scale=(s0, s1), ratio=(r0, r1),
 * interpolation, antialias): torchvision's get_params (10 tries of
 * uniform area fraction and log-uniform aspect ratio, then the central
 * fallback), then resized crop. Defaults: scale (0.08, 1), ratio (3/4, 4/3). */
ct_transform ct_transform_random_resized_crop(int64_t h, int64_t w, const double scale[2],
                                              const double ratio[2], ct_interp interpolation,
                                              bool antialias);
/* RandomHorizontalFlip(p) / RandomVerticalFlip(p): flips when rand(1) < p. */
ct_transform ct_transform_random_horizontal_flip(double p);
ct_transform ct_transform_random_vertical_flip(double p);
/* ColorJitter: each factor range is [lo, hi] or NULL (not applied); a
 * torchvision number v means [max(0, 1 - v), 1 + v] for brightness, contrast
 * and saturation and [-v, v] for hue (|hue| <= 0.5). The four adjustments
 * run in the order of randperm(4), each factor drawn uniform in its range,
 * as torchvision's get_params does. Images [..., 3, H, W] (brightness also
 * 1 channel). */
ct_transform ct_transform_color_jitter(const double brightness[2], const double contrast[2],
                                       const double saturation[2], const double hue[2]);
/* Grayscale(num_output_channels 1 or 3): ITU-R 601-2 luma like
 * torchvision's rgb_to_grayscale on tensors. */
ct_transform ct_transform_grayscale(int num_output_channels);

/* ---------------------------------------------------------------- image functions */
/* torchvision.transforms.functional on tensors (what the transforms above
 * are made of). Inputs as above; results go to the current scope. */
ct_tensor *ct_image_resize(const ct_tensor *img, int64_t h, int64_t w, ct_interp interpolation,
                           bool antialias);
/* crop(top, left, height, width): regions outside the image are zeros. */
ct_tensor *ct_image_crop(const ct_tensor *img, int64_t top, int64_t left, int64_t height,
                         int64_t width);
ct_tensor *ct_image_center_crop(const ct_tensor *img, int64_t h, int64_t w);
/* pad with (left, top, right, bottom). */
ct_tensor *ct_image_pad(const ct_tensor *img, const int64_t ltrb[4], double fill,
                        ct_padding_mode mode);
ct_tensor *ct_image_hflip(const ct_tensor *img);
ct_tensor *ct_image_vflip(const ct_tensor *img);
ct_tensor *ct_image_adjust_brightness(const ct_tensor *img, double factor);
ct_tensor *ct_image_adjust_contrast(const ct_tensor *img, double factor);
ct_tensor *ct_image_adjust_saturation(const ct_tensor *img, double factor);
ct_tensor *ct_image_adjust_hue(const ct_tensor *img, double hue_factor);
ct_tensor *ct_image_rgb_to_grayscale(const ct_tensor *img, int num_output_channels);

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

/* ---------------------------------------------------------------- images */
/* Modes, numbered like torchvision.io.ImageReadMode. */
typedef enum {
    CT_IMAGE_UNCHANGED = 0, /* the file's own channels: 1, 2, 3 or 4 */
    CT_IMAGE_GRAY = 1,      /* Pillow's convert('L') */
    CT_IMAGE_GRAY_ALPHA = 2,
    CT_IMAGE_RGB = 3,       /* Pillow's convert('RGB') */
    CT_IMAGE_RGB_ALPHA = 4
} ct_image_mode;
/* Most pixels an image may declare (width * height), checked before any
 * allocation (Pillow's MAX_IMAGE_PIXELS is about 89M and warns; we refuse
 * 2 * that, like Pillow's DecompressionBombError). */
#define CT_IMAGE_MAX_PIXELS ((int64_t)178956970)
/* Decodes a JPEG (libjpeg-turbo) or PNG (libpng) file, told apart by its
 * signature, into uint8 [H, W, C] (HWC like a numpy array of a PIL image;
 * C is 1 for gray). PNG: palette expands to RGB(A), 16-bit samples keep
 * their high byte (16-bit gray clips at 255, as Pillow 9's mode I does),
 * tRNS of palette/RGB images gives alpha; conversions are Pillow's convert()
 * (alpha dropped without compositing, L = luma (R*19595 + G*38470 +
 * B*7471 + 0x8000) >> 16). JPEG: CMYK and YCCK are
 * not implemented. A corrupt, truncated or oversized file is an error
 * ("image: <path>: ..."), never a crash. Result in the current scope. */
ct_tensor *ct_image_read(const char *path, ct_image_mode mode);
/* The same from bytes in memory (name is used in messages only). */
ct_tensor *ct_image_decode(const uint8_t *data, size_t len, ct_image_mode mode, const char *name);

/* ImageFolder(root): classes are the sorted names of root's subfolders,
 * samples the files under each class folder (recursively, following links)
 * whose lowercase name ends with one of extensions (NULL/0: torchvision's
 * IMG_EXTENSIONS .jpg .jpeg .png .ppm .bmp .pgm .tif .tiff .webp; only JPEG
 * and PNG decode, others fail when read), in torchvision's order (class by
 * class, folders and files sorted by name). Items: (image uint8 [H, W, C]
 * read with mode, passed through tf when tf.apply is set; target int64
 * 0-d). Takes over tf (freed with the dataset, or at once on error). No
 * class folder, or a class without a valid file, is an error as in
 * torchvision. */
ct_dataset *ct_image_folder(const char *root, const char *const *extensions, int nextensions,
                            ct_image_mode mode, ct_transform tf);
/* Accessors of an ImageFolder dataset (NULL / -1 with an error for another
 * dataset or an index out of range). Strings are owned by the dataset. */
int64_t ct_image_folder_num_classes(const ct_dataset *ds);
const char *ct_image_folder_class(const ct_dataset *ds, int64_t class_index); /* classes[i] */
int64_t ct_image_folder_class_to_idx(const ct_dataset *ds, const char *name);
const char *ct_image_folder_path(const ct_dataset *ds, int64_t i);  /* samples[i][0] */
int64_t ct_image_folder_target(const ct_dataset *ds, int64_t i);    /* samples[i][1] */

/* ---------------------------------------------------------------- CSV */
typedef struct ct_csv_options {
    char delimiter;        /* 0 means ',' */
    bool header;           /* the first line names the columns */
    /* The label column: by name (needs header) or, when label_name is NULL,
     * by index (negative counts from the end: -1 is the last column);
     * no_label: items have the features only. */
    const char *label_name;
    int64_t label_column;
    bool no_label;
    /* Labels are int64 class indices (an integral value is required), or
     * float32 values with float_label (regression). */
    bool float_label;
} ct_csv_options;
/* All numeric cells of a CSV file as float32 [rows, cols] (the header row,
 * if any, skipped; empty lines skipped). A cell that is not a number, or a
 * row with another number of cells, is an error naming the file, the line
 * and the column ("csv: data.csv:7: column 3: 'abc' is not a number"). */
ct_tensor *ct_csv_read(const char *path, char delimiter, bool header);
/* A dataset of the rows: items (features float32 [cols - 1], label 0-d
 * int64 or float32), or (features float32 [cols]) with no_label. NULL opt:
 * no header, label in the last column, int64. */
ct_dataset *ct_csv_dataset(const char *path, const ct_csv_options *opt);
/* Name of feature column i of a CSV dataset read with a header (NULL if
 * none). */
const char *ct_csv_feature_name(const ct_dataset *ds, int64_t i);

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

/* DistributedSampler(num_replicas, rank, shuffle, seed, drop_last): rank's
 * share of n indices, the same lists as torch.utils.data.DistributedSampler:
 * randperm(n) from a generator seeded with seed + epoch when shuffle, padded
 * by repeating the start (or cut with drop_last) to a multiple of
 * num_replicas, then every num_replicas-th from rank. The epoch only changes
 * with ct_sampler_set_epoch (as in PyTorch). */
ct_sampler *ct_sampler_distributed(int64_t n, int num_replicas, int rank, bool shuffle,
                                   uint64_t seed, bool drop_last);
/* set_epoch of a distributed sampler (-1 with an error for other kinds). */
int ct_sampler_set_epoch(ct_sampler *s, int64_t epoch);

/* BatchSampler(sampler, batch_size, drop_last): the sampler's indices of an
 * epoch grouped into lists of batch_size (the last one shorter unless
 * drop_last). The sampler is borrowed. */
typedef struct ct_batch_sampler ct_batch_sampler;
ct_batch_sampler *ct_batch_sampler_new(ct_sampler *s, int64_t batch_size, bool drop_last);
void ct_batch_sampler_free(ct_batch_sampler *b);
int64_t ct_batch_sampler_length(const ct_batch_sampler *b); /* batches per epoch */
/* The next batch into out (room for batch_size): returns its length, 0 at
 * the end of an epoch (the next call starts another), -1 on error. */
int64_t ct_batch_sampler_next(ct_batch_sampler *b, int64_t *out);

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
    /* Seeds the shuffle and the per-epoch seed of the random transforms
     * (see ct_data_generator). */
    uint64_t seed;
    /* Optional: the loader draws each epoch's indices from it (borrowed; it
     * must outlive the loader). Overrides shuffle. */
    ct_sampler *sampler;
    /* Optional: the loader takes each epoch's batches from it (borrowed, not
     * to be used elsewhere while the loader lives). Overrides batch_size,
     * shuffle, sampler and drop_last. */
    ct_batch_sampler *batch_sampler;
    /* Each batch in page-locked host memory (ct_pin_memory; the worker that
     * makes a batch pins it) when CUDA is available (ct_cuda_is_available());
     * without CUDA the option is ignored and batches are ordinary memory, as
     * PyTorch's DataLoader(pin_memory=True) does silently. */
    bool pin_memory;
} ct_dataloader_options;

typedef struct ct_dataloader ct_dataloader;
/* ds is borrowed: it must outlive the loader. */
ct_dataloader *ct_dataloader_new(ct_dataset *ds, const ct_dataloader_options *opt);
/* Batches per epoch. */
int64_t ct_dataloader_length(const ct_dataloader *dl);
/* Whether this loader's batches are pinned (pin_memory asked and CUDA
 * available when the loader was made). */
bool ct_dataloader_pins(const ct_dataloader *dl);
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
