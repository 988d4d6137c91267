/* The demo: train a small CNN on Fashion-MNIST with ctorch's C API.
 *
 *   make demo                    (installs what is missing, builds, runs)
 *   ./build/demo/fashion_mnist [--epochs 4] [--batch-size 64] [--lr 0.001] [--gamma 0.5]
 *        [--limit N] [--data /usr/share/datasets/fashion-mnist]
 *        [--out fashion_mnist_cnn.pt] [--seed 0]
 *
 * Model: nn.Sequential(
 *   Conv2d(1, 32, 3, padding=1), MaxPool2d(2), ReLU(),     [N, 32, 14, 14]
 *   Conv2d(32, 64, 3, padding=1), MaxPool2d(2), ReLU(),    [N, 64, 7, 7]
 *   Flatten(), Linear(3136, 128), ReLU(), Linear(128, 10)) + cross entropy
 * (ReLU after the pooling: the same function as before it, relu being
 * monotonic, on a quarter of the elements), initialised as PyTorch does
 * from the seed, trained with Adam (lr 1e-3, halved after each epoch) on
 * batches of 64 from the threaded DataLoader (2 workers, shuffled, inputs
 * normalised with mean 0.2860, std 0.3530). Each epoch draws a progress bar
 * (loss, accuracy, samples/s, ETA): one line redrawn with \r on a terminal,
 * a plain line every 10% otherwise. Then the test accuracy, and the state
 * dict saved as a PyTorch file (torch.load + load_state_dict read it into
 * the same nn.Sequential). --limit N trains and tests on the first N
 * images only (a quick end-to-end check: tests/python/test_demo.py). */
#include <ctorch/ctorch.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

typedef struct options {
    int epochs;
    int64_t batch_size, limit;
    double lr, gamma;
    uint64_t seed;
    const char *data, *out;
} options;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const char *what) {
    fprintf(stderr, "fashion_mnist: %s: %s\n", what, ct_last_error());
    return -1;
}

/* The CNN (PyTorch's initialisation, from the default generator). */
static ct_module *make_model(void) {
    ct_module *net = ct_sequential(10, (ct_module *[]){
        ct_conv2d_module(1, 32, 3, 1, 1), ct_max_pool2d_module(2, 0, 0), ct_relu_module(),
        ct_conv2d_module(32, 64, 3, 1, 1), ct_max_pool2d_module(2, 0, 0), ct_relu_module(),
        ct_flatten_module(1, -1), ct_linear_module(64 * 7 * 7, 128, true), ct_relu_module(),
        ct_linear_module(128, 10, true)});
    if (!net) fail("model");
    return net;
}

/* ------------------------------------------------------------ progress bar */
typedef struct progress {
    bool tty;
    int epoch, epochs;
    int64_t total, done, correct;
    double loss_sum, t0, last_draw;
    int last_decile;
} progress;

/* Terminal width (80 when unknown): the redrawn line must not wrap. */
static int term_width(void) {
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
    return 80;
}

static void progress_draw(progress *pg, bool final) {
    double t = now(), el = t - pg->t0;
    double rate = el > 0 ? (double)pg->done / el : 0;
    double eta = rate > 0 ? (double)(pg->total - pg->done) / rate : 0;
    double loss = pg->done ? pg->loss_sum / (double)pg->done : 0;
    double acc = pg->done ? 100.0 * (double)pg->correct / (double)pg->done : 0;
    char stats[160], bar[64];
    snprintf(stats, sizeof stats, " %lld/%lld loss %.4f acc %.2f%% %.0f samples/s %s %.0fs",
             (long long)pg->done, (long long)pg->total, loss, acc, rate, final ? "took" : "ETA",
             final ? el : eta);
    char head[32];
    snprintf(head, sizeof head, "epoch %d/%d ", pg->epoch, pg->epochs);
    /* the bar takes what the terminal has left, 10 to 30 columns */
    int width = (pg->tty ? term_width() : 80) - 1 - (int)strlen(head) - (int)strlen(stats) - 2;
    width = width < 10 ? 10 : width > 30 ? 30 : width;
    int fill = pg->total ? (int)(width * pg->done / pg->total) : width;
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
    bar[width] = 0;
    if (pg->tty) {
        printf("\r%s[%s]%s\033[K%s", head, bar, stats, final ? "\n" : "");
    } else {
        int decile = pg->total ? (int)(10 * pg->done / pg->total) : 10;
        if (!final && (decile == pg->last_decile || pg->done == pg->total)) return;
        pg->last_decile = decile;
        printf("%s[%s]%s\n", head, bar, stats);
    }
    fflush(stdout);
    pg->last_draw = t;
}

/* ------------------------------------------------------------ data */
/* Fashion-MNIST split as (image float32 [1, 28, 28] normalised, label). */
static ct_dataset *fashion(const char *root, bool train) {
    ct_dataset *ds = ct_mnist_dataset_dir(root, train);
    if (!ds) return NULL;
    const double mean = 0.2860, std = 0.3530;
    return ct_dataset_transform(ds, 0, ct_transform_compose(ct_transform_to_tensor(),
                                                            ct_transform_normalize(&mean, &std, 1)));
}

/* A loader over the first `limit` items (0: all), shuffled or in order. */
static ct_dataloader *loader(ct_dataset *ds, int64_t limit, int64_t batch, bool shuffle,
                             uint64_t seed, ct_sampler **own) {
    int64_t n = ct_dataset_length(ds);
    *own = NULL;
    ct_dataloader_options o = {.batch_size = batch, .num_workers = 2, .seed = seed,
                               .shuffle = shuffle};
    if (limit > 0 && limit < n) {
        int64_t *idx = malloc((size_t)limit * sizeof *idx);
        if (!idx) return NULL;
        for (int64_t i = 0; i < limit; i++) idx[i] = i;
        *own = ct_sampler_subset(idx, limit, shuffle, seed);
        free(idx);
        if (!*own) return NULL;
        o.sampler = *own;
    }
    return ct_dataloader_new(ds, &o);
}

static int64_t loader_items(ct_dataset *ds, int64_t limit) {
    int64_t n = ct_dataset_length(ds);
    return limit > 0 && limit < n ? limit : n;
}

/* Correct predictions of logits [N, 10] against labels [N]. */
static int64_t count_correct(const ct_tensor *logits, const ct_tensor *labels) {
    int d = 1;
    ct_tensor *hit = ct_eq(ct_argmax(logits, &d, false), labels);
    ct_tensor *s = hit ? ct_sum(hit) : NULL;
    return s ? ct_item_at_int(s, 0) : -1;
}

static int train_epoch(ct_module *net, ct_optimizer *opt, ct_dataloader *dl, progress *pg) {
    ct_tensor *batch[2];
    int r;
    pg->t0 = now();
    pg->done = pg->correct = 0;
    pg->loss_sum = 0;
    pg->last_decile = 0;
    pg->last_draw = 0;
    for (;;) {
        ct_scope sc = ct_scope_begin();
        r = ct_dataloader_next(dl, batch);
        if (r <= 0) {
            ct_scope_end(sc);
            break;
        }
        ct_optim_zero_grad(opt, true);
        ct_tensor *logits = ct_module_forward(net, batch[0]);
        ct_tensor *loss = logits ? ct_cross_entropy(logits, batch[1], NULL, -100,
                                                    CT_REDUCTION_MEAN, 0.0)
                                 : NULL;
        double lv = 0;
        int64_t nb = ct_size(batch[0], 0), hits = -1;
        if (loss && ct_item(loss, &lv) == 0 &&
            ct_backward(loss, NULL, false, false, NULL, 0) == 0 && ct_optim_step(opt) == 0) {
            ct_grad_mode gm = ct_no_grad_begin();
            hits = count_correct(logits, batch[1]);
            ct_grad_mode_end(gm);
        }
        ct_scope_end(sc);
        if (hits < 0) return fail("training step");
        pg->done += nb;
        pg->correct += hits;
        pg->loss_sum += lv * (double)nb;
        if (!pg->tty || now() - pg->last_draw > 0.1) progress_draw(pg, false);
    }
    if (r < 0) return fail("data loader");
    progress_draw(pg, true);
    return 0;
}

static double evaluate(ct_module *net, ct_dataloader *dl) {
    ct_tensor *batch[2];
    int64_t correct = 0, total = 0;
    int r;
    ct_grad_mode gm = ct_no_grad_begin();
    for (;;) {
        ct_scope sc = ct_scope_begin();
        r = ct_dataloader_next(dl, batch);
        int64_t hits = r > 0 ? count_correct(ct_module_forward(net, batch[0]), batch[1]) : 0;
        if (r > 0) total += ct_size(batch[0], 0);
        ct_scope_end(sc);
        if (r <= 0 || hits < 0) {
            if (hits < 0) r = -1;
            break;
        }
        correct += hits;
    }
    ct_grad_mode_end(gm);
    if (r < 0) return fail("evaluation"), -1;
    return total ? (double)correct / (double)total : 0;
}

/* ------------------------------------------------------------ saving */
/* The state dict ("0.weight", "0.bias", "3.weight", ...) as torch.save
 * writes it. */
static int save_model(const ct_module *net, const char *path) {
    ct_state_dict *sd = ct_module_state_dict(net);
    int rc = sd ? ct_save_state_dict(path, (const char *const *)sd->names, sd->tensors,
                                     (size_t)sd->n)
                : -1;
    ct_named_tensors_free(sd);
    if (rc < 0) fail("saving the model");
    return rc;
}

/* ------------------------------------------------------------ main */
static int parse(int argc, char **argv, options *o) {
    *o = (options){.epochs = 4, .batch_size = 64, .lr = 1e-3, .gamma = 0.5, .seed = 0,
                   .data = "/usr/share/datasets/fashion-mnist",
                   .out = "fashion_mnist_cnn.pt"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) goto usage;
        if (!strcmp(a, "--epochs")) o->epochs = atoi(v);
        else if (!strcmp(a, "--batch-size")) o->batch_size = atoll(v);
        else if (!strcmp(a, "--limit")) o->limit = atoll(v);
        else if (!strcmp(a, "--lr")) o->lr = atof(v);
        else if (!strcmp(a, "--gamma")) o->gamma = atof(v);
        else if (!strcmp(a, "--seed")) o->seed = (uint64_t)atoll(v);
        else if (!strcmp(a, "--data")) o->data = v;
        else if (!strcmp(a, "--out")) o->out = v;
        else goto usage;
        i++;
    }
    if (o->epochs >= 0 && o->batch_size > 0 && o->lr > 0 && o->gamma > 0 && o->limit >= 0)
        return 0;
usage:
    fprintf(stderr, "usage: %s [--epochs N] [--batch-size N] [--lr X] [--gamma X] [--limit N] [--seed N] "
                    "[--data DIR] [--out FILE]\n", argv[0]);
    return -1;
}

int main(int argc, char **argv) {
    /* OpenMP threads that spin between parallel regions steal the cores from
     * the loader's workers (and from everything else on a shared machine):
     * 3-4x slower steps measured here. The policy is read when libgomp
     * starts, so set it and start again (once: the variable is then set). */
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "passive", 1);
        execv("/proc/self/exe", argv);
    }
    options o;
    if (parse(argc, argv, &o) < 0) return 2;
    ct_manual_seed(o.seed);
    ct_dataset *train = fashion(o.data, true), *test = train ? fashion(o.data, false) : NULL;
    if (!train || !test) {
        fail("dataset");
        fprintf(stderr, "(Fashion-MNIST comes with Debian's dataset-fashion-mnist package, or "
                        "pass --data DIR)\n");
        ct_dataset_free(train);
        return 1;
    }
    ct_sampler *s_train, *s_test;
    ct_dataloader *dl_train = loader(train, o.limit, o.batch_size, true, o.seed, &s_train);
    ct_dataloader *dl_test = loader(test, o.limit, 256, false, 0, &s_test);
    int rc = 1;
    ct_module *net = NULL;
    ct_optimizer *opt = NULL;
    if (!dl_train || !dl_test) {
        fail("data loader");
        goto out;
    }
    net = make_model();
    int nparams = 0;
    ct_tensor **params = net ? ct_module_parameters(net, &nparams) : NULL;
    ct_adam_options ao = ct_adam_defaults();
    ao.lr = o.lr;
    opt = params ? ct_optim_adam(params, nparams, &ao) : NULL;
    free(params);
    if (!opt) {
        if (net) fail("optimizer");
        goto out;
    }
    int64_t ntrain = loader_items(train, o.limit), ntest = loader_items(test, o.limit);
    printf("Fashion-MNIST from %s: %lld training, %lld test images; CNN of %lld parameters, "
           "Adam (lr %g, x%g per epoch), batch %lld, %d epochs\n",
           o.data, (long long)ntrain, (long long)ntest, (long long)ct_module_num_elements(net),
           o.lr, o.gamma, (long long)o.batch_size, o.epochs);
    progress pg = {.tty = isatty(STDOUT_FILENO), .epochs = o.epochs, .total = ntrain};
    double t0 = now(), lr = o.lr;
    int ok = 0;
    for (int e = 1; e <= o.epochs && ok == 0; e++, lr *= o.gamma) {
        pg.epoch = e;
        ct_optim_set_lr(opt, lr);
        ok = train_epoch(net, opt, dl_train, &pg);
    }
    if (ok == 0) {
        double train_s = now() - t0;
        ct_module_eval(net);
        double acc = evaluate(net, dl_test);
        if (acc >= 0) {
            printf("test accuracy: %.2f%% (%lld images); training took %.1f s\n", 100 * acc,
                   (long long)ntest, train_s);
            if (save_model(net, o.out) == 0) {
                printf("model saved to %s\n", o.out);
                rc = 0;
            }
        }
    }
out:
    ct_optim_free(opt);
    ct_module_free(net);
    ct_dataloader_free(dl_train);
    ct_dataloader_free(dl_test);
    ct_sampler_free(s_train);
    ct_sampler_free(s_test);
    ct_dataset_free(train);
    ct_dataset_free(test);
    return rc;
}
