/* nn.ModuleList, nn.ModuleDict and forward (pre-)hooks of C modules
 * (include/ctorch/module.h). State-dict names follow PyTorch's for the same
 * containers ("0.weight", "conv.bias", ...). */
#include "harness.h"

#include <stdlib.h>

static void free_module_ptr(ct_module **m) { ct_module_free(*m); }
#define AUTO_MODULE __attribute__((cleanup(free_module_ptr))) ct_module *
static void free_named_ptr(ct_named_tensors **d) { ct_named_tensors_free(*d); }
#define AUTO_NAMED __attribute__((cleanup(free_named_ptr))) ct_named_tensors *

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

TEST(module_list, append_insert_and_state_dict_names) {
    AUTO_MODULE l = ct_module_list(2, (ct_module *[]){ct_linear_module(2, 3, true), ct_relu_module()});
    CHECK_OK(l);
    CHECK(ct_module_list_append(l, ct_linear_module(3, 1, false)) == 0);
    CHECK(ct_module_list_insert(l, 0, ct_linear_module(2, 2, false)) == 0);
    CHECK(ct_module_list_insert(l, -1, ct_tanh_module()) == 0);
    CHECK(ct_module_num_children(l) == 5);
    /* torch: ModuleList([L(2,2,bias=False), L(2,3), ReLU(), Tanh(), L(3,1,bias=False)]) */
    const char *kinds[5] = {"Linear", "Linear", "ReLU", "Tanh", "Linear"};
    for (int i = 0; i < 5; i++) CHECK(!strcmp(ct_module_name(ct_module_child(l, i)), kinds[i]));
    AUTO_NAMED sd = ct_module_state_dict(l);
    CHECK_OK(sd);
    CHECK(names_are(sd, "0.weight,1.weight,1.bias,4.weight"));
    CHECK(ct_module_get_submodule(l, "3") == ct_module_child(l, 3));
    /* no forward, as in PyTorch */
    CHECK_ERR(ct_module_forward(l, ct_zeros(SHAPE(1, 2), 2, CT_FLOAT32)),
              "Module [ModuleList] is missing the required \"forward\" function");
    CHECK(ct_last_error_kind() == CT_ERR_NOT_IMPL);
    /* a failed constructor makes the container fail */
    CHECK(ct_module_list(2, (ct_module *[]){ct_relu_module(), ct_linear_module(-1, 2, true)}) == NULL);
    CHECK(ct_module_list_append(l, NULL) == -1);
    AUTO_MODULE seq = ct_sequential(0, NULL);
    CHECK(ct_module_list_append(seq, ct_relu_module()) == -1);
    CHECK(strstr(ct_last_error(), "expected a ModuleList, got Sequential"));
}

TEST(module_dict, set_get_replace_remove) {
    AUTO_MODULE d = ct_module_dict(2, (const char *[]){"conv", "act"},
                                   (ct_module *[]){ct_conv2d_module(1, 2, 3, 1, 1), ct_relu_module()});
    CHECK_OK(d);
    CHECK(ct_module_dict_set(d, "fc", ct_linear_module(4, 2, true)) == 0);
    AUTO_NAMED sd = ct_module_state_dict(d);
    CHECK(names_are(sd, "conv.weight,conv.bias,fc.weight,fc.bias"));
    CHECK(!strcmp(ct_module_name(ct_module_dict_get(d, "act")), "ReLU"));
    /* replacing keeps the position */
    CHECK(ct_module_dict_set(d, "act", ct_tanh_module()) == 0);
    CHECK(!strcmp(ct_module_name(ct_module_child(d, 1)), "Tanh"));
    CHECK(ct_module_num_children(d) == 3);
    CHECK(ct_module_dict_remove(d, "conv") == 0);
    CHECK(ct_module_num_children(d) == 2);
    CHECK(!strcmp(ct_module_name(ct_module_child(d, 0)), "Tanh"));
    CHECK(ct_module_dict_get(d, "conv") == NULL);
    CHECK(strstr(ct_last_error(), "key 'conv' not found"));
    CHECK(ct_module_dict_remove(d, "conv") == -1);
    CHECK(ct_module_dict_set(d, "a.b", ct_relu_module()) == -1);
    CHECK_ERR(ct_module_forward(d, ct_zeros(SHAPE(1, 4), 2, CT_FLOAT32)), "Module [ModuleDict] is missing");
}

/* ------------------------------------------------------------ hooks */
typedef struct hook_log {
    int calls[8];
    int n;
} hook_log;

/* pre-hook: input * 2 */
static int pre_double(ct_module *m, const ct_tensor *in, ct_tensor **rep, void *ctx) {
    hook_log *lg = ctx;
    lg->calls[lg->n++] = 1;
    *rep = ct_mul_scalar(in, 2);
    return *rep ? 0 : -1;
}
/* pre-hook that only records */
static int pre_seen(ct_module *m, const ct_tensor *in, ct_tensor **rep, void *ctx) {
    hook_log *lg = ctx;
    lg->calls[lg->n++] = 2;
    return 0;
}
/* hook: output + input (checks it sees the replaced input) */
static int post_add_input(ct_module *m, const ct_tensor *in, const ct_tensor *out, ct_tensor **rep,
                          void *ctx) {
    hook_log *lg = ctx;
    lg->calls[lg->n++] = 3;
    *rep = ct_add(out, in);
    return *rep ? 0 : -1;
}
static int post_fail(ct_module *m, const ct_tensor *in, const ct_tensor *out, ct_tensor **rep,
                     void *ctx) {
    ct_set_error(CT_ERR_RUNTIME, "hook refused %s", ct_module_name(m));
    return -1;
}
static int freed;
static void count_free(void *ctx) { freed++; }

TEST(module_hooks, pre_and_post_hooks_run_in_order_and_replace_values) {
    AUTO_MODULE relu = ct_relu_module();
    hook_log lg = {{0}, 0};
    int h1 = ct_module_register_forward_pre_hook(relu, pre_double, &lg, NULL);
    int h2 = ct_module_register_forward_pre_hook(relu, pre_seen, &lg, count_free);
    int h3 = ct_module_register_forward_hook(relu, post_add_input, &lg, NULL);
    CHECK(h1 > 0 && h2 > h1 && h3 > h2);
    ct_tensor *x = tt_tensor(VALS(-1, 0.5, 2), SHAPE(3), 1, CT_FLOAT32);
    /* relu(2x) + 2x */
    CHECK_TENSOR(ct_module_forward(relu, x), SHAPE(3), 1, VALS(-2, 2, 8), 0);
    CHECK(lg.n == 3 && lg.calls[0] == 1 && lg.calls[1] == 2 && lg.calls[2] == 3);
    /* removal: the ctx_free runs once */
    freed = 0;
    CHECK(ct_module_remove_hook(relu, h2) == 0);
    CHECK(freed == 1);
    CHECK(ct_module_remove_hook(relu, h2) == -1);
    CHECK(ct_module_remove_hook(relu, h1) == 0);
    lg.n = 0;
    CHECK_TENSOR(ct_module_forward(relu, x), SHAPE(3), 1, VALS(-1, 1, 4), 0);
    CHECK(lg.n == 1);
    /* a failing hook fails the forward with its error */
    int h4 = ct_module_register_forward_hook(relu, post_fail, NULL, NULL);
    CHECK(h4 > 0);
    CHECK_ERR(ct_module_forward(relu, x), "hook refused ReLU");
    CHECK(ct_module_remove_hook(relu, h4) == 0 && ct_module_remove_hook(relu, h3) == 0);
    CHECK_TENSOR(ct_module_forward(relu, x), SHAPE(3), 1, VALS(0, 0.5, 2), 0);
    CHECK(ct_module_register_forward_hook(relu, NULL, NULL, NULL) == -1);
}

TEST(module_hooks, hooks_on_children_run_inside_sequential_and_are_freed_with_them) {
    hook_log lg = {{0}, 0};
    ct_module *lin = ct_linear_module(2, 2, true);
    CHECK_OK(lin);
    freed = 0;
    CHECK(ct_module_register_forward_pre_hook(lin, pre_seen, &lg, count_free) > 0);
    {
        AUTO_MODULE seq = ct_sequential(2, (ct_module *[]){lin, ct_relu_module()});
        CHECK_OK(seq);
        CHECK_OK(ct_module_forward(seq, ct_ones(SHAPE(3, 2), 2, CT_FLOAT32)));
        CHECK(lg.n == 1 && lg.calls[0] == 2);
    }
    CHECK(freed == 1);
}
