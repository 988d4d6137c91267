/* nn modules (include/ctorch/module.h) and nn.init. Exact values are the
 * ones printed by Debian's PyTorch 1.13 (the Python line is noted at each);
 * forwards are compared with the functional op given the same weights. */
#include "harness.h"

#include <stdlib.h>

/* Frees m at the end of a test even when a CHECK returns early. */
static void free_module_ptr(ct_module **m) { ct_module_free(*m); }
#define AUTO_MODULE __attribute__((cleanup(free_module_ptr))) ct_module *
static void free_named_ptr(ct_named_tensors **d) { ct_named_tensors_free(*d); }
#define AUTO_NAMED __attribute__((cleanup(free_named_ptr))) ct_named_tensors *

static int same_values(const ct_tensor *a, const ct_tensor *b, double tol) {
    if (a->numel != b->numel || a->ndim != b->ndim) return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->sizes[d] != b->sizes[d]) return 0;
    for (int64_t i = 0; i < a->numel; i++) {
        double x = ct_item_at(a, i), y = ct_item_at(b, i);
        if (!(fabs(x - y) <= tol * (1 + fabs(y))) && !(x == y)) return 0;
    }
    return 1;
}

/* The names of d joined with ',' must equal expected. */
static int names_are(const ct_named_tensors *d, const char *expected) {
    char buf[1024] = "";
    for (int i = 0; i < d->n; i++) {
        if (i) strcat(buf, ",");
        strcat(buf, d->names[i]);
    }
    if (strcmp(buf, expected)) {
        fprintf(stderr, "    names: %s\n expected: %s\n", buf, expected);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ Linear */

TEST(module_linear, default_init_matches_pytorch) {
    /* torch.manual_seed(0); l = torch.nn.Linear(3, 2); l.weight, l.bias */
    ct_manual_seed(0);
    AUTO_MODULE m = ct_linear_module(3, 2, true);
    CHECK_OK(m);
    CHECK(!strcmp(ct_module_name(m), "Linear"));
    ct_tensor *w = ct_module_get_parameter(m, "weight"), *b = ct_module_get_parameter(m, "bias");
    CHECK_OK(w);
    CHECK_OK(b);
    CHECK(ct_requires_grad(w) && ct_is_leaf(w) && w->dtype == CT_FLOAT32);
    CHECK_TENSOR(w, SHAPE(2, 3), 2,
                 VALS(-0.004322517663240433, 0.3097158372402191, -0.4751853346824646,
                      -0.4248946011066437, -0.2223689705133438, 0.15482072532176971),
                 0);
    CHECK_TENSOR(b, SHAPE(2), 1, VALS(-0.011439144611358643, 0.45777493715286255), 0);
}

TEST(module_linear, forward_equals_functional_and_no_bias) {
    AUTO_MODULE m = ct_linear_module(4, 3, true);
    CHECK_OK(m);
    ct_tensor *x = tt_rand(SHAPE(5, 4), 2, CT_FLOAT32, -1, 1, 1);
    ct_tensor *y = ct_module_forward(m, x);
    CHECK_OK(y);
    ct_tensor *ref = ct_linear(x, ct_module_get_parameter(m, "weight"),
                               ct_module_get_parameter(m, "bias"));
    CHECK(same_values(y, ref, 0));
    CHECK(ct_requires_grad(y));
    AUTO_MODULE nb = ct_linear_module(4, 3, false);
    CHECK_OK(nb);
    CHECK(ct_module_num_parameters(nb) == 1);
    CHECK_ERR(ct_module_get_parameter(nb, "bias"), "no parameter `bias`");
    /* wrong input width: the functional op's error */
    CHECK(ct_module_forward(m, tt_rand(SHAPE(2, 5), 2, CT_FLOAT32, -1, 1, 2)) == NULL);
    CHECK(ct_linear_module(-1, 2, true) == NULL);
}

/* ------------------------------------------------------------ Conv */

TEST(module_conv2d, default_init_matches_pytorch) {
    /* torch.manual_seed(0); c = torch.nn.Conv2d(2, 2, 2); c.weight, c.bias */
    ct_manual_seed(0);
    AUTO_MODULE m = ct_conv2d_module(2, 2, 2, 1, 0);
    CHECK_OK(m);
    CHECK_TENSOR(ct_module_get_parameter(m, "weight"), SHAPE(2, 2, 2, 2), 4,
                 VALS(-0.0026469905860722065, 0.18966144323349, -0.2909903824329376,
                      -0.26019373536109924, -0.13617262244224548, 0.0948079451918602,
                      -0.007005016785115004, 0.28032875061035156, -0.03137575834989548,
                      0.09355466812849045, -0.10684845596551895, -0.06949635595083237,
                      -0.33776670694351196, -0.23415207862854004, -0.14574287831783295,
                      0.013096880167722702),
                 0);
    CHECK_TENSOR(ct_module_get_parameter(m, "bias"), SHAPE(2), 1,
                 VALS(0.13977210223674774, 0.21214008331298828), 0);
}

TEST(module_conv2d, forward_equals_functional_with_options) {
    ct_conv_options o = {.stride = {2, 1}, .padding = {1, 2}, .dilation = {1, 2}, .groups = 2};
    AUTO_MODULE m = ct_conv2d_module_ex(4, 6, (int64_t[]){3, 2}, &o);
    CHECK_OK(m);
    CHECK(ct_module_get_parameter(m, "weight")->sizes[1] == 2);
    ct_tensor *x = tt_rand(SHAPE(2, 4, 7, 6), 4, CT_FLOAT32, -1, 1, 3);
    ct_tensor *y = ct_module_forward(m, x);
    CHECK_OK(y);
    ct_tensor *ref = ct_conv2d(x, ct_module_get_parameter(m, "weight"),
                               ct_module_get_parameter(m, "bias"), (int64_t[]){2, 1},
                               (int64_t[]){1, 2}, (int64_t[]){1, 2}, 2);
    CHECK(same_values(y, ref, 0));
    ct_conv_options same = {.padding_str = "same", .no_bias = true};
    AUTO_MODULE s = ct_conv2d_module_ex(4, 3, (int64_t[]){3, 3}, &same);
    CHECK_OK(s);
    CHECK(ct_module_num_parameters(s) == 1);
    ct_tensor *ys = ct_module_forward(s, x);
    CHECK_OK(ys);
    CHECK(ys->sizes[2] == 7 && ys->sizes[3] == 6);
    CHECK_ERR(ct_conv2d_module_ex(3, 4, (int64_t[]){3, 3}, &(ct_conv_options){.groups = 2}),
              "in_channels must be divisible by groups");
    CHECK_ERR(ct_conv2d_module_ex(4, 3, (int64_t[]){3, 3}, &(ct_conv_options){.groups = 2}),
              "out_channels must be divisible by groups");
    CHECK_ERR(ct_conv2d_module_ex(4, 4, (int64_t[]){3, 3},
                                  &(ct_conv_options){.padding_str = "same", .stride = {2, 2}}),
              "padding='same' is not supported for strided convolutions");
    CHECK_ERR(ct_conv2d_module_ex(4, 4, (int64_t[]){3, 3}, &(ct_conv_options){.padding_str = "full"}),
              "Invalid padding string 'full'");
}

TEST(module_conv1d, init_and_forward) {
    /* torch.manual_seed(0); torch.nn.Conv1d(1, 2, 3, bias=False).weight */
    ct_manual_seed(0);
    AUTO_MODULE m = ct_conv1d_module(1, 2, 3, &(ct_conv_options){.no_bias = true});
    CHECK_OK(m);
    CHECK(!strcmp(ct_module_name(m), "Conv1d"));
    CHECK_TENSOR(ct_module_get_parameter(m, "weight"), SHAPE(2, 1, 3), 3,
                 VALS(-0.004322517663240433, 0.3097158372402191, -0.4751853346824646,
                      -0.4248946011066437, -0.2223689705133438, 0.15482072532176971),
                 0);
    ct_tensor *x = tt_rand(SHAPE(2, 1, 9), 3, CT_FLOAT32, -1, 1, 4);
    ct_tensor *y = ct_module_forward(m, x);
    CHECK_OK(y);
    CHECK(same_values(y, ct_conv1d(x, ct_module_get_parameter(m, "weight"), NULL, 1, 0, 1, 1), 0));
}

/* ------------------------------------------------------------ Sequential, names */

/* torch.nn.Sequential(Conv2d(1,4,3,padding=1), BatchNorm2d(4), ReLU(), MaxPool2d(2), Flatten(),
 * Dropout(0.5), Sequential(Linear(16,8), LayerNorm(8)), Linear(8,2,bias=False)) */
static ct_module *small_net(void) {
    return ct_sequential(8, (ct_module *[]){
        ct_conv2d_module(1, 4, 3, 1, 1), ct_batch_norm2d_module(4), ct_relu_module(),
        ct_max_pool2d_module(2, 0, 0), ct_flatten_module(1, -1), ct_dropout_module(0.5),
        ct_sequential(2, (ct_module *[]){ct_linear_module(16, 8, true),
                                         ct_layer_norm_module(SHAPE(8), 1, 1e-5, true)}),
        ct_linear_module(8, 2, false)});
}

TEST(module_sequential, state_dict_and_parameter_names_match_pytorch) {
    AUTO_MODULE net = small_net();
    CHECK_OK(net);
    /* list(net.state_dict().keys()) */
    AUTO_NAMED sd = ct_module_state_dict(net);
    CHECK_OK(sd);
    CHECK(names_are(sd, "0.weight,0.bias,1.weight,1.bias,1.running_mean,1.running_var,"
                        "1.num_batches_tracked,6.0.weight,6.0.bias,6.1.weight,6.1.bias,7.weight"));
    /* [n for n, _ in net.named_parameters()] */
    AUTO_NAMED np = ct_module_named_parameters(net);
    CHECK_OK(np);
    CHECK(names_are(np, "0.weight,0.bias,1.weight,1.bias,6.0.weight,6.0.bias,6.1.weight,"
                        "6.1.bias,7.weight"));
    AUTO_NAMED nb = ct_module_named_buffers(net);
    CHECK_OK(nb);
    CHECK(names_are(nb, "1.running_mean,1.running_var,1.num_batches_tracked"));
    int n;
    ct_tensor **ps = ct_module_parameters(net, &n);
    CHECK(n == 9 && ps);
    CHECK(ps[0] == ct_module_get_parameter(net, "0.weight"));
    CHECK(ps[8] == ct_module_get_parameter(net, "7.weight"));
    free(ps);
    /* sum(p.numel() for p in net.parameters()) */
    CHECK(ct_module_num_elements(net) == 40 + 4 + 4 + 136 + 8 + 8 + 16);
    CHECK(ct_module_get_submodule(net, "6.1") != NULL);
    CHECK(!strcmp(ct_module_name(ct_module_get_submodule(net, "6.1")), "LayerNorm"));
    CHECK_ERR(ct_module_get_submodule(net, "6.5"), "no attribute `5`");
    CHECK_ERR(ct_module_get_parameter(net, "9.weight"), "no attribute `9`");
    ct_tensor *nbt = ct_module_get_buffer(net, "1.num_batches_tracked");
    CHECK_OK(nbt);
    CHECK(nbt->dtype == CT_INT64 && nbt->ndim == 0 && !ct_requires_grad(nbt));
    /* state_dict entries alias the module's storage, without grad */
    CHECK(sd->tensors[0]->storage == ct_module_get_parameter(net, "0.weight")->storage);
    CHECK(!ct_requires_grad(sd->tensors[0]));
}

TEST(module_sequential, forward_chains_children) {
    AUTO_MODULE net = small_net();
    CHECK_OK(net);
    ct_module_eval(net);
    ct_tensor *x = tt_rand(SHAPE(3, 1, 4, 4), 4, CT_FLOAT32, -1, 1, 5);
    ct_tensor *y = ct_module_forward(net, x);
    CHECK_OK(y);
    CHECK(y->ndim == 2 && y->sizes[0] == 3 && y->sizes[1] == 2);
    ct_tensor *h = x;
    for (int i = 0; i < ct_module_num_children(net); i++) h = ct_module_forward(ct_module_child(net, i), h);
    CHECK(same_values(y, h, 0));
    CHECK(ct_module_child(net, 8) == NULL);
    /* an empty Sequential is the identity */
    AUTO_MODULE e = ct_sequential(0, NULL);
    CHECK_OK(e);
    CHECK(ct_module_forward(e, x) == x);
}

TEST(module_sequential, failed_child_fails_the_container) {
    CHECK_ERR(ct_sequential(3, (ct_module *[]){ct_relu_module(), ct_dropout_module(1.5),
                                               ct_linear_module(2, 2, true)}),
              "dropout probability has to be between 0 and 1, but got 1.5");
    AUTO_MODULE s = ct_sequential(1, (ct_module *[]){ct_relu_module()});
    CHECK_OK(s);
    CHECK(ct_sequential_append(s, ct_tanh_module()) == 0);
    CHECK(ct_module_num_children(s) == 2);
    CHECK(ct_module_get_submodule(s, "1") == ct_module_child(s, 1));
    CHECK(ct_module_add_child(s, "1", ct_relu_module()) < 0);
    CHECK(strstr(ct_last_error(), "attribute '1' already exists"));
    CHECK(ct_module_add_child(s, "a.b", ct_relu_module()) < 0);
    CHECK(strstr(ct_last_error(), "can't be empty or contain \".\""));
}

/* ------------------------------------------------------------ state dicts */

TEST(module_state_dict, round_trip_between_two_models) {
    AUTO_MODULE a = small_net();
    AUTO_MODULE b = small_net();
    CHECK_OK(a);
    CHECK_OK(b);
    AUTO_NAMED sd = ct_module_state_dict(a);
    CHECK_OK(sd);
    CHECK(ct_module_load_state_dict(b, sd, true, NULL, NULL) == 0);
    AUTO_NAMED sb = ct_module_state_dict(b);
    CHECK_OK(sb);
    CHECK(sb->n == sd->n);
    for (int i = 0; i < sd->n; i++) {
        CHECK(!strcmp(sb->names[i], sd->names[i]));
        CHECK(same_values(sb->tensors[i], sd->tensors[i], 0));
        CHECK(sb->tensors[i]->storage != sd->tensors[i]->storage);
    }
    ct_module_eval(a);
    ct_module_eval(b);
    ct_tensor *x = tt_rand(SHAPE(2, 1, 4, 4), 4, CT_FLOAT32, -1, 1, 6);
    CHECK(same_values(ct_module_forward(a, x), ct_module_forward(b, x), 0));
}

TEST(module_state_dict, load_errors_name_keys_and_shapes) {
    AUTO_MODULE m = ct_sequential(2, (ct_module *[]){ct_linear_module(3, 4, true),
                                                     ct_linear_module(4, 2, true)});
    CHECK_OK(m);
    AUTO_NAMED sd = ct_module_state_dict(m);
    CHECK_OK(sd);
    ct_tensor *w0 = ct_clone(sd->tensors[0]);
    /* drop "1.bias", add "extra" */
    AUTO_NAMED bad = ct_named_tensors_new();
    CHECK_OK(bad);
    for (int i = 0; i < 3; i++) CHECK(ct_named_tensors_set(bad, sd->names[i], sd->tensors[i]) == 0);
    CHECK(ct_named_tensors_set(bad, "extra", ct_zeros(SHAPE(1), 1, CT_FLOAT32)) == 0);
    CHECK(ct_module_load_state_dict(m, bad, true, NULL, NULL) < 0);
    /* the message PyTorch gives for the same case */
    CHECK(strstr(ct_last_error(), "Error(s) in loading state_dict for Sequential:\n\t"
                                  "Missing key(s) in state_dict: \"1.bias\". \n\t"
                                  "Unexpected key(s) in state_dict: \"extra\". "));
    CHECK(ct_last_error_kind() == CT_ERR_RUNTIME);
    int nm = -1, nu = -1;
    CHECK(ct_module_load_state_dict(m, bad, false, &nm, &nu) == 0);
    CHECK(nm == 1 && nu == 1);
    /* a shape mismatch fails even when not strict, and nothing is copied */
    ct_tensor *wrong = ct_zeros(SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK(ct_named_tensors_set(bad, "0.weight", wrong) == 0);
    CHECK(ct_named_tensors_set(bad, "0.bias", ct_full(SHAPE(4), 1, 7.0, CT_FLOAT32)) == 0);
    CHECK(ct_module_load_state_dict(m, bad, false, NULL, NULL) < 0);
    CHECK(strstr(ct_last_error(), "size mismatch for 0.weight: copying a param with shape "
                                  "torch.Size([2, 3]) from checkpoint, the shape in current model "
                                  "is torch.Size([4, 3])."));
    CHECK(same_values(ct_module_get_parameter(m, "0.weight"), w0, 0));
    CHECK(ct_item_at(ct_module_get_parameter(m, "0.bias"), 0) != 7.0);
    /* loading converts dtypes and keeps the parameters' identity */
    ct_tensor *p = ct_module_get_parameter(m, "1.weight");
    AUTO_NAMED d64 = ct_named_tensors_new();
    CHECK(ct_named_tensors_set(d64, "1.weight", ct_ones(SHAPE(2, 4), 2, CT_FLOAT64)) == 0);
    CHECK(ct_module_load_state_dict(m, d64, false, NULL, NULL) == 0);
    CHECK(ct_module_get_parameter(m, "1.weight") == p && p->dtype == CT_FLOAT32);
    CHECK(ct_item_at(p, 7) == 1.0 && ct_requires_grad(p) && ct_is_leaf(p));
}

/* ------------------------------------------------------------ BatchNorm */

/* mean and unbiased variance of channel c of x [N, C, L] (flat, double). */
static void channel_stats(const ct_tensor *x, int64_t c, double *mean, double *var) {
    int64_t N = x->sizes[0], C = x->sizes[1], L = x->numel / (N * C);
    double s = 0, s2 = 0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t l = 0; l < L; l++) s += ct_item_at(x, (n * C + c) * L + l);
    *mean = s / (double)(N * L);
    for (int64_t n = 0; n < N; n++)
        for (int64_t l = 0; l < L; l++) {
            double d = ct_item_at(x, (n * C + c) * L + l) - *mean;
            s2 += d * d;
        }
    *var = s2 / (double)(N * L - 1);
}

TEST(module_batch_norm, training_updates_running_stats_and_eval_uses_them) {
    AUTO_MODULE m = ct_batch_norm2d_module(3);
    CHECK_OK(m);
    CHECK(!strcmp(ct_module_name(m), "BatchNorm2d") && m->training);
    ct_tensor *rm = ct_module_get_buffer(m, "running_mean"), *rv = ct_module_get_buffer(m, "running_var");
    ct_tensor *nbt = ct_module_get_buffer(m, "num_batches_tracked");
    CHECK_TENSOR(rm, SHAPE(3), 1, VALS(0, 0, 0), 0);
    CHECK_TENSOR(rv, SHAPE(3), 1, VALS(1, 1, 1), 0);
    CHECK_TENSOR(ct_module_get_parameter(m, "weight"), SHAPE(3), 1, VALS(1, 1, 1), 0);
    CHECK_TENSOR(ct_module_get_parameter(m, "bias"), SHAPE(3), 1, VALS(0, 0, 0), 0);
    ct_tensor *x = tt_rand(SHAPE(4, 3, 2, 5), 4, CT_FLOAT32, -2, 3, 7);
    ct_tensor *y = ct_module_forward(m, x);
    CHECK_OK(y);
    CHECK(same_values(y, ct_batch_norm(x, NULL, NULL, NULL, NULL, true, 0.1, 1e-5), 1e-6));
    CHECK(ct_item_at_int(nbt, 0) == 1);
    for (int c = 0; c < 3; c++) {
        double mean, var;
        channel_stats(x, c, &mean, &var);
        CHECK_CLOSE(ct_item_at(rm, c), 0.1 * mean, 1e-5);
        CHECK_CLOSE(ct_item_at(rv, c), 0.9 + 0.1 * var, 1e-5);
    }
    /* eval: normalises with the running statistics, leaves them alone */
    ct_module_eval(m);
    ct_tensor *rm0 = ct_clone(rm);
    ct_tensor *ye = ct_module_forward(m, x);
    CHECK_OK(ye);
    CHECK(same_values(ye, ct_batch_norm(x, rm, rv, NULL, NULL, false, 0.1, 1e-5), 1e-6));
    CHECK(same_values(rm, rm0, 0) && ct_item_at_int(nbt, 0) == 1);
    CHECK_ERR(ct_module_forward(m, tt_rand(SHAPE(4, 3), 2, CT_FLOAT32, 0, 1, 1)),
              "expected 4D input (got 2D input)");
}

TEST(module_batch_norm, momentum_none_is_a_cumulative_average) {
    AUTO_MODULE m = ct_batch_norm1d_module_ex(2, 1e-5, -1, false, true);
    CHECK_OK(m);
    CHECK(ct_module_num_parameters(m) == 0);
    ct_tensor *a = tt_rand(SHAPE(6, 2), 2, CT_FLOAT64, -1, 1, 8);
    ct_tensor *b = tt_rand(SHAPE(5, 2, 3), 3, CT_FLOAT64, 0, 4, 9);
    ct_tensor *a64 = ct_to_dtype(a, CT_FLOAT32, false), *b64 = ct_to_dtype(b, CT_FLOAT32, false);
    CHECK_OK(ct_module_forward(m, a64));
    CHECK_OK(ct_module_forward(m, b64));
    ct_tensor *rm = ct_module_get_buffer(m, "running_mean"), *rv = ct_module_get_buffer(m, "running_var");
    CHECK(ct_item_at_int(ct_module_get_buffer(m, "num_batches_tracked"), 0) == 2);
    for (int c = 0; c < 2; c++) {
        double ma, va, mb, vb;
        channel_stats(a64, c, &ma, &va);
        channel_stats(b64, c, &mb, &vb);
        CHECK_CLOSE(ct_item_at(rm, c), (ma + mb) / 2, 1e-5);
        CHECK_CLOSE(ct_item_at(rv, c), (va + vb) / 2, 1e-5);
    }
    CHECK_ERR(ct_module_forward(m, tt_rand(SHAPE(2, 2, 2, 2), 4, CT_FLOAT32, 0, 1, 1)),
              "expected 2D or 3D input (got 4D input)");
    /* without running stats: batch statistics in eval too, no buffers */
    AUTO_MODULE nt = ct_batch_norm2d_module_ex(2, 1e-5, 0.1, true, false);
    CHECK_OK(nt);
    AUTO_NAMED sd = ct_module_state_dict(nt);
    CHECK(names_are(sd, "weight,bias"));
    ct_module_eval(nt);
    ct_tensor *x = tt_rand(SHAPE(3, 2, 2, 2), 4, CT_FLOAT32, 0, 1, 2);
    CHECK(same_values(ct_module_forward(nt, x),
                      ct_batch_norm(x, NULL, NULL, NULL, NULL, true, 0.1, 1e-5), 1e-6));
}

/* ------------------------------------------------------------ dropout, train/eval */

TEST(module_dropout, train_drops_and_eval_is_identity) {
    AUTO_MODULE m = ct_sequential(1, (ct_module *[]){ct_dropout_module(0.5)});
    CHECK_OK(m);
    ct_tensor *x = ct_ones(SHAPE(1000), 1, CT_FLOAT32);
    ct_tensor *y = ct_module_forward(m, x);
    CHECK_OK(y);
    int zeros = 0, twos = 0;
    for (int i = 0; i < 1000; i++) {
        double v = ct_item_at(y, i);
        zeros += v == 0;
        twos += v == 2;
    }
    CHECK(zeros + twos == 1000 && zeros > 400 && zeros < 600);
    ct_module_train(m, false);
    CHECK(!ct_module_child(m, 0)->training);
    CHECK(same_values(ct_module_forward(m, x), x, 0));
    ct_module_train(m, true);
    CHECK(ct_module_child(m, 0)->training);
    CHECK_ERR(ct_dropout_module(-0.1), "dropout probability has to be between 0 and 1");
}

/* ------------------------------------------------------------ grads */

TEST(module_zero_grad, backward_fills_grads_and_zero_grad_clears_them) {
    AUTO_MODULE m = ct_sequential(3, (ct_module *[]){ct_linear_module(3, 4, true), ct_tanh_module(),
                                                     ct_linear_module(4, 1, true)});
    CHECK_OK(m);
    ct_tensor *x = tt_rand(SHAPE(5, 3), 2, CT_FLOAT32, -1, 1, 10);
    ct_tensor *loss = ct_sum(ct_module_forward(m, x));
    CHECK_OK(loss);
    CHECK(ct_backward(loss, NULL, false, false, NULL, 0) == 0);
    int n;
    ct_tensor **ps = ct_module_parameters(m, &n);
    CHECK(n == 4);
    bool all = true;
    for (int i = 0; i < n; i++) all = all && ct_tensor_grad(ps[i]) != NULL;
    /* d(sum)/d(last bias) = number of rows */
    double gb = ct_item_at(ct_tensor_grad(ps[3]), 0);
    ct_module_zero_grad(m, false);
    bool zeroed = true;
    for (int i = 0; i < n; i++) {
        ct_tensor *g = ct_tensor_grad(ps[i]);
        zeroed = zeroed && g;
        for (int64_t k = 0; g && k < g->numel; k++) zeroed = zeroed && ct_item_at(g, k) == 0;
    }
    ct_module_zero_grad(m, true);
    bool none = true;
    for (int i = 0; i < n; i++) none = none && ct_tensor_grad(ps[i]) == NULL;
    free(ps);
    CHECK(all);
    CHECK(gb == 5);
    CHECK(zeroed);
    CHECK(none);
    CHECK(ct_module_requires_grad_(m, false) == 0);
    CHECK(!ct_requires_grad(ct_module_get_parameter(m, "0.weight")));
    CHECK(!ct_requires_grad(ct_module_forward(m, x)));
}

/* ------------------------------------------------------------ stateless layers */

TEST(module_layers, pools_equal_functional_ops) {
    ct_tensor *x = tt_rand(SHAPE(2, 3, 9, 8), 4, CT_FLOAT32, -1, 1, 11);
    AUTO_MODULE mp = ct_max_pool2d_module(2, 0, 0);
    AUTO_MODULE mpx = ct_max_pool2d_module_ex(SHAPE(3, 2), SHAPE(2, 1), SHAPE(1, 1), SHAPE(1, 2), true);
    AUTO_MODULE ap = ct_avg_pool2d_module(3, 2, 1);
    AUTO_MODULE apx = ct_avg_pool2d_module_ex(SHAPE(2, 3), NULL, SHAPE(1, 0), true, false, 5);
    AUTO_MODULE ad = ct_adaptive_avg_pool2d_module(4, 3);
    CHECK(mp && mpx && ap && apx && ad);
    CHECK(!strcmp(ct_module_name(mp), "MaxPool2d") && !strcmp(ct_module_name(ad), "AdaptiveAvgPool2d"));
    CHECK(same_values(ct_module_forward(mp, x), ct_max_pool2d(x, SHAPE(2, 2), NULL, NULL, NULL, false, NULL), 0));
    CHECK(same_values(ct_module_forward(mpx, x),
                      ct_max_pool2d(x, SHAPE(3, 2), SHAPE(2, 1), SHAPE(1, 1), SHAPE(1, 2), true, NULL), 0));
    CHECK(same_values(ct_module_forward(ap, x),
                      ct_avg_pool2d(x, SHAPE(3, 3), SHAPE(2, 2), SHAPE(1, 1), false, true, 0), 0));
    CHECK(same_values(ct_module_forward(apx, x),
                      ct_avg_pool2d(x, SHAPE(2, 3), SHAPE(2, 3), SHAPE(1, 0), true, false, 5), 0));
    CHECK(same_values(ct_module_forward(ad, x), ct_adaptive_avg_pool2d(x, SHAPE(4, 3)), 0));
    CHECK(ct_module_num_parameters(mp) == 0);
    CHECK_ERR(ct_max_pool2d_module(0, 0, 0), "kernel_size, stride and dilation must be greater than zero");
    /* the functional op's padding check runs at forward time, as in PyTorch */
    AUTO_MODULE badpad = ct_max_pool2d_module(2, 2, 2);
    CHECK_OK(badpad);
    CHECK_ERR(ct_module_forward(badpad, x), "pad should be at most half");
}

TEST(module_layers, activations_equal_functional_ops) {
    ct_tensor *x = tt_rand(SHAPE(4, 5), 2, CT_FLOAT32, -3, 3, 12);
    struct {
        ct_module *m;
        ct_tensor *ref;
        const char *name;
    } cases[] = {
        {ct_relu_module(), ct_relu(x), "ReLU"},
        {ct_leaky_relu_module(0.2), ct_leaky_relu(x, 0.2), "LeakyReLU"},
        {ct_gelu_module(NULL), ct_gelu(x, "none"), "GELU"},
        {ct_gelu_module("tanh"), ct_gelu(x, "tanh"), "GELU"},
        {ct_silu_module(), ct_silu(x), "SiLU"},
        {ct_tanh_module(), ct_tanh(x), "Tanh"},
        {ct_sigmoid_module(), ct_sigmoid(x), "Sigmoid"},
        {ct_softmax_module(1), ct_softmax(x, 1), "Softmax"},
        {ct_log_softmax_module(0), ct_log_softmax(x, 0), "LogSoftmax"},
        {ct_flatten_module(0, -1), ct_flatten(x, 0, -1), "Flatten"},
        {ct_identity_module(), x, "Identity"},
    };
    int n = sizeof cases / sizeof *cases, bad = -1;
    for (int i = 0; i < n; i++) {
        ct_tensor *y = cases[i].m ? ct_module_forward(cases[i].m, x) : NULL;
        if (bad < 0 && (!y || !same_values(y, cases[i].ref, 0) ||
                        strcmp(ct_module_name(cases[i].m), cases[i].name)))
            bad = i;
        ct_module_free(cases[i].m);
    }
    CHECK(bad == -1);
    CHECK_ERR(ct_gelu_module("fast"), "approximate argument must be either none or tanh");
    AUTO_MODULE id = ct_identity_module();
    CHECK(ct_module_forward(id, x) == x);
}

TEST(module_layer_norm, forward_and_parameters) {
    AUTO_MODULE m = ct_layer_norm_module(SHAPE(3, 4), 2, 1e-5, true);
    CHECK_OK(m);
    AUTO_NAMED sd = ct_module_state_dict(m);
    CHECK(names_are(sd, "weight,bias"));
    CHECK(sd->tensors[0]->ndim == 2 && sd->tensors[0]->sizes[1] == 4);
    ct_tensor *x = tt_rand(SHAPE(2, 3, 4), 3, CT_FLOAT32, -1, 1, 13);
    /* with weight 1 and bias 0, it equals the bare normalisation */
    CHECK(same_values(ct_module_forward(m, x), ct_layer_norm(x, SHAPE(3, 4), 2, NULL, NULL, 1e-5), 1e-6));
    ct_fill_(sd->tensors[0], 2.0); /* state_dict aliases: writes reach the module */
    CHECK(same_values(ct_module_forward(m, x),
                      ct_mul_scalar(ct_layer_norm(x, SHAPE(3, 4), 2, NULL, NULL, 1e-5), 2.0), 1e-6));
    AUTO_MODULE na = ct_layer_norm_module(SHAPE(4), 1, 1e-5, false);
    CHECK(na && ct_module_num_parameters(na) == 0);
}

/* A user-defined module kind: y = scale * x with one parameter. */
static ct_tensor *scale_forward(ct_module *m, const ct_tensor *x) {
    return ct_mul(x, ct_module_get_parameter(m, "scale"));
}
static const ct_module_vtable scale_vt = {"Scale", scale_forward, NULL, NULL, NULL};

TEST(module_custom, user_defined_kind_in_a_container) {
    ct_module *s = ct_module_new(&scale_vt, NULL);
    CHECK_OK(s);
    ct_tensor *p = ct_full(SHAPE(1), 1, 3.0, CT_FLOAT32);
    CHECK(ct_module_register_parameter(s, "scale", p) == 0);
    CHECK(ct_requires_grad(p));
    CHECK(ct_module_register_buffer(s, "scale", p) < 0);
    AUTO_MODULE net = ct_sequential(2, (ct_module *[]){s, ct_relu_module()});
    CHECK_OK(net);
    ct_tensor *y = ct_module_forward(net, ct_tensor_from_doubles(VALS(-1, 2), SHAPE(2), 1, CT_FLOAT32));
    CHECK_TENSOR(y, SHAPE(2), 1, VALS(0, 6), 0);
    AUTO_NAMED np = ct_module_named_parameters(net);
    CHECK(names_are(np, "0.scale"));
    AUTO_MODULE nofw = ct_module_new(&(ct_module_vtable){.name = "Empty"}, NULL);
    CHECK_ERR(ct_module_forward(nofw, p), "Module [Empty] is missing the required \"forward\" function");
    /* a non-leaf can't be a parameter */
    CHECK(ct_module_register_parameter(nofw, "w", ct_mul_scalar(p, 2.0)) < 0);
    CHECK(strstr(ct_last_error(), "Cannot assign non-leaf Tensor to parameter 'w'"));
    /* a parameter shared by two layers is listed once, by its first name */
    ct_module *twin = ct_module_new(&scale_vt, NULL);
    CHECK_OK(twin);
    CHECK(ct_module_register_parameter(twin, "scale", p) == 0);
    CHECK(ct_sequential_append(net, twin) == 0);
    AUTO_NAMED np2 = ct_module_named_parameters(net);
    CHECK(names_are(np2, "0.scale"));
    AUTO_NAMED sd = ct_module_state_dict(net); /* state_dict keeps both names */
    CHECK(names_are(sd, "0.scale,2.scale"));
}

/* ------------------------------------------------------------ nn.init */

TEST(module_init, fans_and_gains) {
    int64_t fi = 0, fo = 0;
    CHECK(ct_init_calculate_fan_in_and_fan_out(ct_empty(SHAPE(4, 3, 2, 5), 4, CT_FLOAT32), &fi, &fo) == 0);
    CHECK(fi == 30 && fo == 40);
    CHECK(ct_init_calculate_fan_in_and_fan_out(ct_empty(SHAPE(7, 2), 2, CT_FLOAT32), &fi, &fo) == 0);
    CHECK(fi == 2 && fo == 7);
    CHECK(ct_init_calculate_fan_in_and_fan_out(ct_empty(SHAPE(7), 1, CT_FLOAT32), &fi, &fo) < 0);
    CHECK(strstr(ct_last_error(), "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"));
    CHECK(ct_last_error_kind() == CT_ERR_VALUE);
    double g = 0, slope = 0.2;
    /* torch.nn.init.calculate_gain(...) */
    CHECK(ct_init_calculate_gain("conv2d", NULL, &g) == 0 && g == 1);
    CHECK(ct_init_calculate_gain("sigmoid", NULL, &g) == 0 && g == 1);
    CHECK(ct_init_calculate_gain("tanh", NULL, &g) == 0 && g == 5.0 / 3);
    CHECK(ct_init_calculate_gain("relu", NULL, &g) == 0 && g == sqrt(2.0));
    CHECK(ct_init_calculate_gain("selu", NULL, &g) == 0 && g == 0.75);
    CHECK(ct_init_calculate_gain("leaky_relu", NULL, &g) == 0);
    CHECK_CLOSE(g, 1.4141428569978354, 1e-15); /* calculate_gain('leaky_relu') */
    CHECK(ct_init_calculate_gain("leaky_relu", &slope, &g) == 0);
    CHECK_CLOSE(g, 1.3867504905630728, 1e-15); /* calculate_gain('leaky_relu', 0.2) */
    CHECK(ct_init_calculate_gain("softplus", NULL, &g) < 0);
    CHECK(strstr(ct_last_error(), "Unsupported nonlinearity softplus"));
}

TEST(module_init, kaiming_and_xavier_draw_uniform_with_pytorchs_bounds) {
    /* reference: the same draw through ct_uniform_ with the bound of the formula */
    ct_tensor *w = ct_empty(SHAPE(8, 3, 3, 3), 4, CT_FLOAT32), *r = ct_empty_like(w);
    ct_generator *g1 = ct_generator_new(5), *g2 = ct_generator_new(5);
    double bound = sqrt(3.0) * sqrt(2.0 / (1 + 0.3 * 0.3)) / sqrt(27.0);
    bool ok = ct_init_kaiming_uniform_(w, 0.3, "fan_in", "leaky_relu", g1) == w &&
              ct_uniform_(r, -bound, bound, g2) == r;
    bool eq1 = ok && same_values(w, r, 0);
    double xb = sqrt(3.0) * (1.5 * sqrt(2.0 / (27.0 + 72.0))); /* fan_in 27, fan_out 72 */
    ok = ok && ct_init_xavier_uniform_(w, 1.5, g1) && ct_uniform_(r, -xb, xb, g2);
    bool eq2 = ok && same_values(w, r, 0);
    /* mode fan_out, relu */
    double kb = sqrt(3.0) * sqrt(2.0) / sqrt(8.0 * 9);
    ok = ok && ct_init_kaiming_uniform_(w, 0, "FAN_OUT", "relu", g1) && ct_uniform_(r, -kb, kb, g2);
    bool eq3 = ok && same_values(w, r, 0);
    ct_generator_free(g1);
    ct_generator_free(g2);
    CHECK(ok && eq1 && eq2 && eq3);
    CHECK_ERR(ct_init_kaiming_uniform_(w, 0, "fan_avg", NULL, NULL),
              "Mode fan_avg not supported, please use one of ['fan_in', 'fan_out']");
    CHECK_ERR(ct_init_kaiming_normal_(w, 0, NULL, "swish", NULL), "Unsupported nonlinearity swish");
    CHECK_ERR(ct_init_xavier_normal_(ct_empty(SHAPE(3), 1, CT_FLOAT32), 1, NULL), "Fan in and fan out");
    /* zero-element tensors are a no-op, even 1-d ones */
    ct_tensor *e = ct_empty(SHAPE(0), 1, CT_FLOAT32);
    CHECK(ct_init_kaiming_uniform_(e, 0, NULL, NULL, NULL) == e);
}

TEST(module_init, normal_family_matches_pytorch_and_moments) {
    /* torch.manual_seed(0); t = torch.empty(2, 3, dtype=torch.float64);
     * nn.init.kaiming_normal_(t, mode='fan_out', nonlinearity='relu') */
    ct_manual_seed(0);
    ct_tensor *t = ct_empty(SHAPE(2, 3), 2, CT_FLOAT64);
    CHECK(ct_init_kaiming_normal_(t, 0, "fan_out", "relu", NULL) == t);
    CHECK_TENSOR(t, SHAPE(2, 3), 2,
                 VALS(1.5409961082440433, -0.2934289057609464, -2.1787893820745574,
                      0.5684312772806678, -1.084522342424021, -1.3985953953708767),
                 1e-15);
    /* nn.init.xavier_uniform_(t, 1.5) after torch.manual_seed(0) */
    ct_manual_seed(0);
    CHECK(ct_init_xavier_uniform_(t, 1.5, NULL) == t);
    CHECK_TENSOR(t, SHAPE(2, 3), 2,
                 VALS(1.544751793874794, 0.682965765776572, -0.13348126961139234,
                      1.382717985669935, 0.47659789184146284, 0.9568096087034057),
                 1e-15);
    /* moments of xavier_normal_ on 200 x 300: std = sqrt(2 / 500) */
    ct_generator *g = ct_generator_new(3);
    ct_tensor *big = ct_empty(SHAPE(200, 300), 2, CT_FLOAT64);
    bool ok = ct_init_xavier_normal_(big, 1.0, g) != NULL;
    ct_generator_free(g);
    CHECK(ok);
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < big->numel; i++) {
        double v = ct_item_at(big, i);
        s += v;
        s2 += v * v;
    }
    double n = (double)big->numel, var = s2 / n - (s / n) * (s / n), want = 2.0 / 500;
    CHECK(fabs(s / n) < 5 * sqrt(want / n));
    CHECK(fabs(var - want) < 5 * want * sqrt(2 / n));
}

TEST(module_init, trunc_normal_matches_pytorch_and_stays_in_bounds) {
    /* torch.manual_seed(0); t = torch.empty(6); nn.init.trunc_normal_(t) */
    ct_manual_seed(0);
    ct_tensor *t = ct_empty(SHAPE(6), 1, CT_FLOAT32);
    CHECK(ct_init_trunc_normal_(t, 0, 1, -2, 2, NULL) == t);
    CHECK_TENSOR(t, SHAPE(6), 1,
                 VALS(-0.008956512436270714, 0.6935495734214783, -1.2415472269058228,
                      -1.0417094230651855, -0.4783933460712433, 0.3265029191970825),
                 1e-6);
    /* float64: nn.init.trunc_normal_(t, 1.0, 2.0, -1.0, 2.5) */
    ct_manual_seed(0);
    ct_tensor *d = ct_empty(SHAPE(6), 1, CT_FLOAT64);
    CHECK(ct_init_trunc_normal_(d, 1.0, 2.0, -1.0, 2.5, NULL) == d);
    CHECK_TENSOR(d, SHAPE(6), 1,
                 VALS(2.3803867592499595, 1.4744786561689107, 0.7033641732299414,
                      2.193452215471101, 1.2774324403979678, 1.7436456949935968),
                 1e-13);
    /* non-contiguous, large: every value within [a, b] */
    ct_tensor *big = ct_transpose(ct_empty(SHAPE(300, 200), 2, CT_FLOAT32), 0, 1);
    CHECK(ct_init_trunc_normal_(big, 0.5, 1, 0, 1, NULL) == big);
    double lo = 1, hi = 0;
    for (int64_t i = 0; i < big->numel; i++) {
        double v = ct_item_at(big, i);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    CHECK(lo >= 0 && hi <= 1 && lo < 0.01 && hi > 0.99);
    CHECK_ERR(ct_init_trunc_normal_(ct_empty(SHAPE(2), 1, CT_INT64), 0, 1, -2, 2, NULL), "not implemented for");
}

/* max |A A^T - I| (rows) or |A^T A - I| (cols), A [r, c] float. */
static double orth_err(const ct_tensor *a, bool rows) {
    ct_tensor *p = rows ? ct_matmul(a, ct_t(a)) : ct_matmul(ct_t(a), a);
    double e = 0;
    int64_t n = p->sizes[0];
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++) {
            double d = fabs(ct_item_at(p, i * n + j) - (i == j));
            e = d > e ? d : e;
        }
    return e;
}

TEST(module_init, orthogonal_matches_pytorch_and_is_orthogonal) {
    /* torch.manual_seed(0); t = torch.empty(3, 2); nn.init.orthogonal_(t, 2.0) */
    ct_manual_seed(0);
    ct_tensor *t = ct_empty(SHAPE(3, 2), 2, CT_FLOAT32);
    CHECK(ct_init_orthogonal_(t, 2.0, NULL) == t);
    CHECK_TENSOR(t, SHAPE(3, 2), 2,
                 VALS(1.0699050426483154, -0.33986029028892517, -1.5127216577529907,
                      0.6803677082061768, -0.7529780268669128, -1.8497555255889893),
                 1e-5);
    /* torch.manual_seed(0); t = torch.empty(2, 3); nn.init.orthogonal_(t) */
    ct_manual_seed(0);
    ct_tensor *w = ct_empty(SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK(ct_init_orthogonal_(w, 1.0, NULL) == w);
    CHECK_TENSOR(w, SHAPE(2, 3), 2,
                 VALS(0.5739809274673462, -0.10929460823535919, -0.8115421533584595,
                      -0.3454151153564453, -0.9308826923370361, -0.11893554031848907),
                 1e-5);
    CHECK(orth_err(w, true) < 1e-5);
    /* a conv weight: trailing dims flattened, rows orthonormal */
    ct_tensor *cw = ct_empty(SHAPE(4, 2, 3, 3), 4, CT_FLOAT64);
    CHECK(ct_init_orthogonal_(cw, 1.0, NULL) == cw);
    CHECK(orth_err(ct_reshape(cw, SHAPE(4, 18), 2), true) < 1e-12);
    ct_tensor *tall = ct_empty(SHAPE(50, 7), 2, CT_FLOAT64);
    CHECK(ct_init_orthogonal_(tall, 1.0, NULL) == tall);
    CHECK(orth_err(tall, false) < 1e-12);
    CHECK_ERR(ct_init_orthogonal_(ct_empty(SHAPE(3), 1, CT_FLOAT32), 1, NULL),
              "Only tensors with 2 or more dimensions are supported");
}

TEST(module_init, fills_eye_and_dirac) {
    ct_tensor *p = ct_empty(SHAPE(2, 3), 2, CT_FLOAT32);
    CHECK(ct_set_requires_grad(p, true) == 0); /* a parameter: init must not record */
    CHECK(ct_init_constant_(p, 0.5) == p);
    CHECK_TENSOR(p, SHAPE(2, 3), 2, VALS(.5, .5, .5, .5, .5, .5), 0);
    CHECK(ct_is_leaf(p) && ct_grad_fn(p) == NULL);
    CHECK(ct_init_ones_(p) == p && ct_item_at(p, 4) == 1);
    CHECK(ct_init_zeros_(p) == p && ct_item_at(p, 4) == 0);
    CHECK(ct_init_eye_(p) == p);
    CHECK_TENSOR(p, SHAPE(2, 3), 2, VALS(1, 0, 0, 0, 1, 0), 0);
    CHECK(ct_is_leaf(p));
    CHECK_ERR(ct_init_eye_(ct_empty(SHAPE(2, 2, 2), 3, CT_FLOAT32)), "Only tensors with 2 dimensions are supported");
    /* dirac_(w, groups=2) on [4, 3, 3]: w[g*2 + d, d, 1] = 1 for d < min(2, 3) */
    ct_tensor *w = ct_full(SHAPE(4, 3, 3), 3, 9.0, CT_FLOAT32);
    CHECK(ct_init_dirac_(w, 2) == w);
    for (int64_t o = 0; o < 4; o++)
        for (int64_t i = 0; i < 3; i++)
            for (int64_t k = 0; k < 3; k++) {
                double want = (i == o % 2 && k == 1) ? 1 : 0;
                CHECK(ct_item_at(w, (o * 3 + i) * 3 + k) == want);
            }
    ct_tensor *w4 = ct_empty(SHAPE(2, 2, 3, 2), 4, CT_FLOAT64);
    CHECK(ct_init_dirac_(w4, 1) == w4);
    CHECK(ct_item_at(w4, ((0 * 2 + 0) * 3 + 1) * 2 + 1) == 1 && ct_item_at(w4, ((1 * 2 + 1) * 3 + 1) * 2 + 1) == 1);
    double s = 0;
    for (int64_t i = 0; i < w4->numel; i++) s += ct_item_at(w4, i);
    CHECK(s == 2);
    CHECK_ERR(ct_init_dirac_(w, 3), "dim 0 must be divisible by groups");
    CHECK_ERR(ct_init_dirac_(p, 1), "Only tensors with 3, 4, or 5 dimensions are supported");
}

TEST(module_init, reset_parameters_with_a_generator_reproduces_pytorch) {
    /* Linear(3, 2) under torch.manual_seed(0): the same values from a private generator */
    AUTO_MODULE m = ct_sequential(2, (ct_module *[]){ct_linear_module(3, 2, true), ct_relu_module()});
    CHECK_OK(m);
    ct_generator *g = ct_generator_new(0);
    int rc = ct_module_reset_parameters(m, g);
    ct_generator_free(g);
    CHECK(rc == 0);
    CHECK_TENSOR(ct_module_get_parameter(m, "0.bias"), SHAPE(2), 1,
                 VALS(-0.011439144611358643, 0.45777493715286255), 0);
    CHECK(ct_is_leaf(ct_module_get_parameter(m, "0.weight")));
}

/* ------------------------------------------------------------ repr */

TEST(module_repr, matches_pytorchs_print) {
    /* print(nn.Sequential(nn.Conv2d(1,32,3,padding=1), nn.Conv2d(4,6,(3,2),stride=(2,1),groups=2,
     * bias=False,dilation=2), nn.Conv1d(2,3,3,padding='same'), nn.BatchNorm2d(32, momentum=None),
     * nn.MaxPool2d(2), nn.MaxPool2d((3,2),stride=(2,1)), nn.AvgPool2d(3,2,1),
     * nn.AdaptiveAvgPool2d((4,3)), nn.AdaptiveAvgPool2d(1), nn.Sequential(nn.Linear(16,8),
     * nn.LayerNorm(8)), nn.Dropout(1.0), nn.LeakyReLU(), nn.GELU(), nn.Softmax(1),
     * nn.LogSoftmax(dim=-1), nn.Flatten(), nn.Identity(), nn.ReLU(), nn.Sequential())) */
    const char *want =
        "Sequential(\n"
        "  (0): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 1), dilation=(2, 2), groups=2, bias=False)\n"
        "  (2): Conv1d(2, 3, kernel_size=(3,), stride=(1,), padding=same)\n"
        "  (3): BatchNorm2d(32, eps=1e-05, momentum=None, affine=True, track_running_stats=True)\n"
        "  (4): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (5): MaxPool2d(kernel_size=(3, 2), stride=(2, 1), padding=0, dilation=1, ceil_mode=False)\n"
        "  (6): AvgPool2d(kernel_size=3, stride=2, padding=1)\n"
        "  (7): AdaptiveAvgPool2d(output_size=(4, 3))\n"
        "  (8): AdaptiveAvgPool2d(output_size=1)\n"
        "  (9): Sequential(\n"
        "    (0): Linear(in_features=16, out_features=8, bias=True)\n"
        "    (1): LayerNorm((8,), eps=1e-05, elementwise_affine=True)\n"
        "  )\n"
        "  (10): Dropout(p=1.0, inplace=False)\n"
        "  (11): LeakyReLU(negative_slope=0.01)\n"
        "  (12): GELU(approximate='none')\n"
        "  (13): Softmax(dim=1)\n"
        "  (14): LogSoftmax(dim=-1)\n"
        "  (15): Flatten(start_dim=1, end_dim=-1)\n"
        "  (16): Identity()\n"
        "  (17): ReLU()\n"
        "  (18): Sequential()\n"
        ")";
    AUTO_MODULE m = ct_sequential(19, (ct_module *[]){
        ct_conv2d_module(1, 32, 3, 1, 1),
        ct_conv2d_module_ex(4, 6, SHAPE(3, 2), &(ct_conv_options){.stride = {2, 1}, .dilation = {2, 2},
                                                                   .groups = 2, .no_bias = true}),
        ct_conv1d_module(2, 3, 3, &(ct_conv_options){.padding_str = "same"}),
        ct_batch_norm2d_module_ex(32, 1e-5, -1, true, true), ct_max_pool2d_module(2, 0, 0),
        ct_max_pool2d_module_ex(SHAPE(3, 2), SHAPE(2, 1), NULL, NULL, false),
        ct_avg_pool2d_module(3, 2, 1), ct_adaptive_avg_pool2d_module(4, 3),
        ct_adaptive_avg_pool2d_module(1, 1),
        ct_sequential(2, (ct_module *[]){ct_linear_module(16, 8, true),
                                         ct_layer_norm_module(SHAPE(8), 1, 1e-5, true)}),
        ct_dropout_module(1.0), ct_leaky_relu_module(0.01), ct_gelu_module(NULL), ct_softmax_module(1),
        ct_log_softmax_module(-1), ct_flatten_module(1, -1), ct_identity_module(), ct_relu_module(),
        ct_sequential(0, NULL)});
    CHECK_OK(m);
    char *got = ct_module_repr(m);
    CHECK(got);
    int same = !strcmp(got, want);
    if (!same) fprintf(stderr, "%s\n", got);
    free(got);
    CHECK(same);
}

/* ------------------------------------------------------------ dtype */

TEST(module_to_dtype, double_converts_floating_tensors_in_place) {
    AUTO_MODULE net = small_net();
    CHECK_OK(net);
    ct_tensor *w = ct_module_get_parameter(net, "0.weight");
    ct_tensor *w32 = ct_clone(w);
    ct_tensor *x = tt_rand(SHAPE(2, 1, 4, 4), 4, CT_FLOAT64, -1, 1, 14);
    /* a first backward leaves a float32 grad, converted too */
    ct_tensor *y32 = ct_module_forward(net, ct_to_dtype(x, CT_FLOAT32, false));
    CHECK_OK(y32);
    CHECK(ct_backward(ct_sum(y32), NULL, false, false, NULL, 0) == 0);
    CHECK(ct_module_to_dtype(net, CT_FLOAT64) == 0);
    CHECK(ct_module_get_parameter(net, "0.weight") == w); /* same object */
    CHECK(w->dtype == CT_FLOAT64 && ct_is_leaf(w) && ct_requires_grad(w));
    CHECK(ct_tensor_grad(w) && ct_tensor_grad(w)->dtype == CT_FLOAT64);
    CHECK(same_values(w, w32, 0));
    CHECK(ct_module_get_buffer(net, "1.running_var")->dtype == CT_FLOAT64);
    CHECK(ct_module_get_buffer(net, "1.num_batches_tracked")->dtype == CT_INT64);
    ct_module_eval(net);
    ct_tensor *y = ct_module_forward(net, x);
    CHECK_OK(y);
    CHECK(y->dtype == CT_FLOAT64);
    CHECK(ct_backward(ct_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK(ct_module_to_dtype(net, CT_INT32) < 0);
    CHECK(strstr(ct_last_error(), "only accepts floating point dtypes"));
}

/* ------------------------------------------------------------ apply, edge cases */

typedef struct {
    char names[512];
    int convs;
} visit_ctx;

static int visit(ct_module *m, const char *name, void *p) {
    visit_ctx *v = p;
    strcat(v->names, "[");
    strcat(v->names, name);
    strcat(v->names, "]");
    if (!strcmp(ct_module_name(m), "Conv2d")) {
        v->convs++;
        if (!ct_init_zeros_(ct_module_get_parameter(m, "weight"))) return -1;
    }
    return !strcmp(ct_module_name(m), "LayerNorm") ? 7 : 0;
}

TEST(module_apply, visits_in_named_modules_order) {
    AUTO_MODULE net = small_net();
    CHECK_OK(net);
    visit_ctx v = {"", 0};
    /* [n for n, _ in net.named_modules()] stops at the LayerNorm ("6.1") */
    CHECK(ct_module_apply(net, visit, &v) == 7);
    CHECK(!strcmp(v.names, "[][0][1][2][3][4][5][6][6.0][6.1]"));
    CHECK(v.convs == 1);
    CHECK(ct_item_at(ct_module_get_parameter(net, "0.weight"), 3) == 0);
}

TEST(module_linear, zero_sizes_and_empty_batches) {
    /* torch.manual_seed(0); nn.Linear(0, 3).bias -> zeros, three draws consumed:
     * torch.rand(2) -> [0.13203048706054688, 0.30742281675338745] */
    ct_manual_seed(0);
    AUTO_MODULE l0 = ct_linear_module(0, 3, true);
    CHECK_OK(l0);
    CHECK_TENSOR(ct_module_get_parameter(l0, "bias"), SHAPE(3), 1, VALS(0, 0, 0), 0);
    CHECK_TENSOR(ct_rand(SHAPE(2), 1, CT_FLOAT32, NULL), SHAPE(2), 1,
                 VALS(0.13203048706054688, 0.30742281675338745), 0);
    /* torch.manual_seed(0); nn.Conv2d(0, 2, 3): no draws; torch.rand(2) */
    ct_manual_seed(0);
    AUTO_MODULE c0 = ct_conv2d_module(0, 2, 3, 1, 0);
    CHECK_OK(c0);
    CHECK(ct_module_get_parameter(c0, "weight")->numel == 0);
    CHECK_TENSOR(ct_rand(SHAPE(2), 1, CT_FLOAT32, NULL), SHAPE(2), 1,
                 VALS(0.49625658988952637, 0.7682217955589294), 0);
    /* empty batch, non-contiguous input */
    AUTO_MODULE l = ct_linear_module(4, 3, true);
    CHECK_OK(l);
    ct_tensor *y = ct_module_forward(l, ct_zeros(SHAPE(0, 4), 2, CT_FLOAT32));
    CHECK_OK(y);
    CHECK(y->ndim == 2 && y->sizes[0] == 0 && y->sizes[1] == 3);
    ct_tensor *xt = ct_transpose(tt_rand(SHAPE(4, 5), 2, CT_FLOAT32, -1, 1, 15), 0, 1);
    CHECK(!ct_is_contiguous(xt));
    CHECK(same_values(ct_module_forward(l, xt), ct_module_forward(l, ct_contiguous(xt)), 1e-6));
    /* a 1-d input and a 3-d input go through like F.linear */
    CHECK(ct_module_forward(l, ct_ones(SHAPE(4), 1, CT_FLOAT32))->ndim == 1);
    CHECK(ct_module_forward(l, ct_ones(SHAPE(2, 6, 4), 3, CT_FLOAT32))->sizes[1] == 6);
}
