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
