/* Data loading: write a tiny MNIST-format dataset (gzip IDX files) into a
 * temporary directory, read it back, normalise the images, and iterate two
 * shuffled epochs with two worker threads. Errors are values.
 *
 *   make examples && ./build/examples/dataloader
 */
#include <ctorch/ctorch.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

/* IDX: magic 0x000008ND, ND big-endian uint32 sizes, uint8 data. */
static int write_idx(const char *path, const unsigned *sizes, int nd, const unsigned char *data,
                     size_t n) {
    unsigned char hdr[4 + 4 * 3] = {0, 0, 0x08, (unsigned char)nd};
    for (int d = 0; d < nd; d++)
        for (int k = 0; k < 4; k++) hdr[4 + 4 * d + k] = (unsigned char)(sizes[d] >> (24 - 8 * k));
    gzFile f = gzopen(path, "wb");
    if (!f) return -1;
    int ok = gzwrite(f, hdr, 4 + 4 * (unsigned)nd) > 0 && gzwrite(f, data, (unsigned)n) == (int)n;
    return gzclose(f) == Z_OK && ok ? 0 : -1;
}

int main(void) {
    char dir[] = "/tmp/ctorch_dataloader_XXXXXX", img[64], lab[64];
    if (!mkdtemp(dir)) return 1;
    snprintf(img, sizeof img, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte.gz", dir);

    /* 20 images of 8x8: image i is filled with 10 * i, its label is i % 10 */
    enum { N = 20, H = 8, W = 8 };
    static unsigned char px[N * H * W], lb[N];
    for (int i = 0; i < N; i++) {
        lb[i] = (unsigned char)(i % 10);
        for (int j = 0; j < H * W; j++) px[i * H * W + j] = (unsigned char)(10 * i);
    }
    int rc = 1;
    if (write_idx(img, (unsigned[]){N, H, W}, 3, px, sizeof px) < 0 ||
        write_idx(lab, (unsigned[]){N}, 1, lb, sizeof lb) < 0) {
        fprintf(stderr, "cannot write %s\n", dir);
        goto cleanup;
    }

    ct_dataset *ds = ct_mnist_dataset_dir(dir, true);
    if (!ds) {
        fprintf(stderr, "%s\n", ct_last_error());
        goto cleanup;
    }
    printf("MNIST-format dataset: %lld items\n", (long long)ct_dataset_length(ds));
    /* uint8 [8, 8] -> float32 [1, 8, 8] in [0, 1] -> (x - 0.5) / 0.5 */
    ds = ct_dataset_transform(ds, 0, ct_transform_compose(ct_transform_to_tensor(),
                                                          ct_transform_normalize((double[]){0.5},
                                                                                 (double[]){0.5}, 1)));
    ct_dataloader *dl = ct_dataloader_new(ds, &(ct_dataloader_options){
                                                  .batch_size = 8, .shuffle = true, .seed = 0,
                                                  .num_workers = 2});
    if (!ds || !dl) {
        fprintf(stderr, "%s\n", ct_last_error());
        ct_dataset_free(ds);
        goto cleanup;
    }
    for (int epoch = 0; epoch < 2; epoch++) {
        ct_scope s = ct_scope_begin();
        ct_tensor *batch[2];
        int r;
        printf("epoch %d:\n", epoch);
        while ((r = ct_dataloader_next(dl, batch)) > 0) {
            double mean;
            ct_item(ct_mean(batch[0]), &mean);
            printf("  images [%lld, 1, 8, 8] mean %+.3f, labels",
                   (long long)ct_size(batch[0], 0), mean);
            for (int64_t i = 0; i < ct_size(batch[1], 0); i++)
                printf(" %lld", (long long)ct_item_at_int(batch[1], i));
            printf("\n");
        }
        ct_scope_end(s);
        if (r < 0) fprintf(stderr, "%s\n", ct_last_error());
    }
    /* a bad file is an error, not a crash */
    if (!ct_idx_read(dir)) printf("expected error: %s\n", ct_last_error());
    ct_dataloader_free(dl);
    ct_dataset_free(ds);
    rc = 0;
cleanup:
    unlink(img);
    unlink(lab);
    rmdir(dir);
    return rc;
}
