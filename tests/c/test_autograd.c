/* Engine behaviour: accumulation, retain_graph, errors, modes, detach,
 * hooks, retain_grad, version counters, in-place rebasing, views,
 * custom functions, anomaly mode, memory, threads. Expected gradients
 * follow from the chain rule by hand (noted next to each check) and the
 * error messages are PyTorch 1.13's. */
#include "test_autograd.h"

#include <pthread.h>
#include <stdlib.h>

static ct_tensor *leaf(const double *v, const int64_t *shape, int ndim) {
    ct_tensor *t = tt_tensor(v, shape, ndim, CT_FLOAT64);
    ct_set_requires_grad(t, true);
    return t;
}

TEST(autograd, backward_accumulates_into_leaf_grad) {
    ct_tensor *x = leaf(VALS(1, 2, 3), SHAPE(3), 1);
    ct_tensor *y = ag_sum(ag_square(x)); /* d/dx = 2x */
    CHECK_OK(y);
    CHECK(ct_backward(y, NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(3), 1, VALS(2, 4, 6), 0);
    ct_tensor *y2 = ag_sum(ag_square(x));
    CHECK(ct_backward(y2, NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(3), 1, VALS(4, 8, 12), 0);
    CHECK(ct_is_leaf(x) && !ct_is_leaf(y));
    CHECK(strcmp(ct_node_name(ct_grad_fn(y)), "SumBackward") == 0);
}

TEST(autograd, shared_input_gradients_are_summed_once) {
    /* y = sum(x^2) + sum(x^2) through two paths into the same leaf */
    ct_tensor *x = leaf(VALS(1, -2), SHAPE(2), 1);
    ct_tensor *a = ag_square(x), *b = ag_square(x);
    ct_tensor *roots[2] = {ag_sum(a), ag_sum(b)};
    CHECK(ct_backward_multi(roots, NULL, 2, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2), 1, VALS(4, -8), 0);
}

TEST(autograd, second_backward_without_retain_graph_fails) {
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *y = ag_sum(ag_square(x));
    CHECK(ct_backward(y, NULL, false, false, NULL, 0) == 0);
    ct_clear_error();
    CHECK(ct_backward(y, NULL, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "Trying to backward through the graph a second time (or "
                                  "directly access saved tensors after they have already been "
                                  "freed). Saved intermediate values of the graph are freed when "
                                  "you call .backward() or autograd.grad(). Specify "
                                  "retain_graph=True if you need to backward through the graph a "
                                  "second time or if you need to access saved tensors after "
                                  "calling backward.") != NULL);
}

TEST(autograd, retain_graph_allows_a_second_backward) {
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *y = ag_sum(ag_square(x));
    CHECK(ct_backward(y, NULL, true, false, NULL, 0) == 0);
    CHECK(ct_backward(y, NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2), 1, VALS(4, 8), 0);
}

TEST(autograd, implicit_gradient_only_for_scalars) {
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *y = ag_square(x);
    ct_clear_error();
    CHECK(ct_backward(y, NULL, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "grad can be implicitly created only for scalar outputs"));
    /* an explicit gradient works: d/dx <g, x^2> = 2 x g */
    ct_tensor *g = tt_tensor(VALS(10, 100), SHAPE(2), 1, CT_FLOAT64);
    CHECK(ct_backward(y, g, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2), 1, VALS(20, 400), 0);
    ct_tensor *bad = tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_FLOAT64);
    ct_tensor *y2 = ag_square(x);
    ct_clear_error();
    CHECK(ct_backward(y2, bad, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "Mismatch in shape: grad_output[0] has a shape of "
                                  "torch.Size([3]) and output[0] has a shape of torch.Size([2])."));
}

TEST(autograd, backward_of_tensor_without_grad_fails) {
    ct_tensor *x = tt_tensor(VALS(1), SHAPE(1), 1, CT_FLOAT64);
    ct_clear_error();
    CHECK(ct_backward(x, NULL, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(),
                 "element 0 of tensors does not require grad and does not have a grad_fn"));
}

TEST(autograd, requires_grad_only_for_floating_dtypes) {
    ct_tensor *i = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_INT64);
    ct_clear_error();
    CHECK(ct_set_requires_grad(i, true) < 0);
    CHECK(strstr(ct_last_error(), "only Tensors of floating point dtype can require gradients"));
    CHECK(ct_set_requires_grad(i, false) == 0);
    ct_tensor *f = tt_tensor(VALS(1, 2), SHAPE(2), 1, CT_FLOAT32);
    CHECK(ct_requires_grad_(f, true) == f && ct_requires_grad(f));
    /* requires_grad propagates to results; non-leaves cannot drop it */
    ct_tensor *v = ct_view(f, SHAPE(2, 1), 2);
    CHECK(ct_requires_grad(v) && !ct_is_leaf(v));
    CHECK_ERR(ct_requires_grad_(v, false), "you can only change requires_grad flags of leaf");
}

TEST(autograd, no_grad_and_inference_mode_do_not_record) {
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_grad_mode g = ct_no_grad_begin();
    CHECK(!ct_is_grad_enabled());
    ct_tensor *y = ct_clone(x);
    ct_grad_mode g2 = ct_enable_grad_begin();
    ct_tensor *z = ct_clone(x);
    ct_grad_mode_end(g2);
    ct_grad_mode_end(g);
    CHECK(!ct_requires_grad(y) && ct_grad_fn(y) == NULL);
    CHECK(ct_requires_grad(z) && strcmp(ct_node_name(ct_grad_fn(z)), "CloneBackward0") == 0);
    ct_grad_mode im = ct_inference_mode_begin();
    CHECK(ct_is_inference_mode_enabled() && !ct_is_grad_enabled());
    ct_tensor *w = ct_clone(x);
    ct_grad_mode_end(im);
    CHECK(!ct_is_inference_mode_enabled() && ct_is_grad_enabled());
    CHECK(!ct_requires_grad(w));
    ct_set_grad_enabled(false);
    CHECK(!ct_requires_grad(ct_t(x)));
    ct_set_grad_enabled(true);
}

TEST(autograd, detach_shares_data_and_leaves_the_graph) {
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *y = ct_clone(x);
    ct_tensor *d = ct_detach(y);
    CHECK(d->storage == y->storage && !ct_requires_grad(d) && ct_is_leaf(d));
    /* the version counter is shared: a write through d invalidates y's saves */
    uint64_t v0 = ct_version(y);
    ct_copy_(d, tt_tensor(VALS(5, 6), SHAPE(2), 1, CT_FLOAT64));
    CHECK(ct_version(y) == v0 + 1 && ct_item_at(y, 0) == 5);
    ct_tensor *y2 = ct_clone(x);
    CHECK(ct_detach_(y2) == y2 && !ct_requires_grad(y2) && ct_grad_fn(y2) == NULL);
}

static int times_ten(ct_tensor *grad, ct_tensor **replace, void *ctx) {
    int *calls = ctx;
    (*calls)++;
    double *v = tt_values(grad);
    for (int64_t i = 0; i < grad->numel; i++) v[i] *= 10;
    *replace = tt_tensor(v, grad->sizes, grad->ndim, grad->dtype);
    free(v);
    return 0;
}

static int observe(ct_tensor *grad, ct_tensor **replace, void *ctx) {
    (void)replace;
    *(double *)ctx = ct_item_at(grad, 0);
    return 0;
}

TEST(autograd, hooks_see_and_replace_gradients) {
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    int calls = 0;
    int h = ct_register_hook(x, times_ten, &calls, NULL);
    CHECK(h >= 0);
    /* x used twice: the leaf hook runs once, on the summed gradient */
    ct_tensor *roots[2] = {ag_sum(ag_square(x)), ag_sum(ag_square(x))};
    CHECK(ct_backward_multi(roots, NULL, 2, false, false, NULL, 0) == 0);
    CHECK(calls == 1);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2), 1, VALS(40, 80), 0);
    CHECK(ct_remove_hook(x, h) == 0);
    /* a hook on a non-leaf changes what flows further down */
    ct_tensor *x2 = leaf(VALS(3), SHAPE(1), 1);
    ct_tensor *y = ag_square(x2);
    double seen = 0;
    CHECK(ct_register_hook(y, times_ten, &calls, NULL) >= 0);
    CHECK(ct_register_hook(y, observe, &seen, NULL) >= 0);
    CHECK(ct_backward(ag_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK(seen == 10); /* second hook sees the first one's replacement */
    CHECK_TENSOR(ct_tensor_grad(x2), SHAPE(1), 1, VALS(60), 0); /* 2*3*10 */
    ct_tensor *c = tt_tensor(VALS(1), SHAPE(1), 1, CT_FLOAT64);
    CHECK_ERR(ct_register_hook(c, observe, &seen, NULL) < 0 ? NULL : c,
              "cannot register a hook on a tensor that doesn't require gradient");
}

TEST(autograd, retain_grad_keeps_non_leaf_gradients) {
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *y = ag_square(x);
    ct_tensor *z = ag_square(x);
    CHECK(ct_retain_grad(y) == 0 && ct_retains_grad(y));
    CHECK(ct_backward(ag_sum(y), NULL, true, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(y), SHAPE(2), 1, VALS(1, 1), 0);
    CHECK(ct_tensor_grad(z) == NULL); /* not retained */
    CHECK(ct_backward(ag_sum(y), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(y), SHAPE(2), 1, VALS(2, 2), 0);
}

TEST(autograd, grad_returns_gradients_without_touching_dot_grad) {
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *w = leaf(VALS(5), SHAPE(1), 1);
    ct_tensor *y = ag_sum(ag_square(x));
    ct_tensor *out[2];
    ct_tensor *ins[2] = {x, w};
    ct_clear_error();
    CHECK(ct_grad(&y, 1, ins, 2, NULL, true, false, false, out) < 0);
    CHECK(strstr(ct_last_error(), "One of the differentiated Tensors appears to not have been "
                                  "used in the graph. Set allow_unused=True"));
    CHECK(ct_grad(&y, 1, ins, 2, NULL, true, false, true, out) == 0);
    CHECK_TENSOR(out[0], SHAPE(2), 1, VALS(2, 4), 0);
    CHECK(out[1] == NULL);
    CHECK(ct_tensor_grad(x) == NULL);
    /* gradient with respect to a non-leaf: d sum(s)/d s = 1 */
    ct_tensor *s = ag_square(x);
    ct_tensor *y2 = ag_sum(s);
    CHECK(ct_grad(&y2, 1, &s, 1, NULL, false, false, false, out) == 0);
    CHECK_TENSOR(out[0], SHAPE(2), 1, VALS(1, 1), 0);
    CHECK(ct_tensor_grad(x) == NULL);
}

TEST(autograd, backward_inputs_restricts_accumulation) {
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *w = leaf(VALS(3, 4), SHAPE(2), 1);
    ct_tensor *y = ag_sum(ct_clone(ag_square(x)));
    ct_tensor *y2 = ag_dot(w, x); /* unrelated sum(w * x): only x's path */
    (void)y2;
    CHECK(ct_backward(y, NULL, true, false, &x, 1) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2), 1, VALS(2, 4), 0);
    CHECK(ct_tensor_grad(w) == NULL);
}

TEST(autograd, saved_tensor_modified_in_place_is_an_error) {
    ct_tensor *x = leaf(VALS(1, 2, 3), SHAPE(3), 1);
    ct_tensor *y = ag_sum(ag_square(x)); /* saves x at version 0 */
    ct_grad_mode g = ct_no_grad_begin();
    ct_copy_(x, tt_tensor(VALS(0, 0, 0), SHAPE(3), 1, CT_FLOAT64));
    ct_grad_mode_end(g);
    ct_clear_error();
    CHECK(ct_backward(y, NULL, false, false, NULL, 0) < 0);
    CHECK(strstr(ct_last_error(), "one of the variables needed for gradient computation has been "
                                  "modified by an inplace operation: [torch.DoubleTensor [3]] is "
                                  "at version 1; expected version 0 instead."));
}

TEST(autograd, in_place_on_leaf_that_requires_grad_fails) {
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    CHECK_ERR(ct_copy_(x, tt_tensor(VALS(0, 0), SHAPE(2), 1, CT_FLOAT64)),
              "a leaf Variable that requires grad is being used in an in-place operation.");
    ct_tensor *v = ct_narrow(x, 0, 0, 1);
    CHECK_ERR(ct_copy_(v, tt_tensor(VALS(0), SHAPE(1), 1, CT_FLOAT64)),
              "a view of a leaf Variable that requires grad is being used in an in-place "
              "operation.");
}

TEST(autograd, in_place_on_non_leaf_rebases_history) {
    /* a = clone(x); a.copy_(w * 1); loss = sum(a * c): x gets zeros (PyTorch:
     * copy_'s self gradient is zeros_like), w gets c */
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *w = leaf(VALS(7, 8), SHAPE(2), 1);
    ct_tensor *a = ct_clone(x);
    ct_node *before = ct_grad_fn(a);
    CHECK(ct_copy_(a, w) == a);
    CHECK(ct_grad_fn(a) != before && strcmp(ct_node_name(ct_grad_fn(a)), "CopyBackwards") == 0);
    int nr = -1;
    CHECK(ct_node_next(ct_grad_fn(a), 0, &nr) == before && nr == 0);
    ct_tensor *c = tt_tensor(VALS(3, 5), SHAPE(2), 1, CT_FLOAT64);
    CHECK(ct_backward(ag_dot(a, c), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2), 1, VALS(0, 0), 0);
    CHECK_TENSOR(ct_tensor_grad(w), SHAPE(2), 1, VALS(3, 5), 0);
}

TEST(autograd, in_place_through_a_view_rewrites_the_base_graph) {
    /* a = clone(x) (4); a[1:3].copy_(w); loss = sum(a * c)
     * dx = c with [1:3] zeroed; dw = c[1:3] */
    ct_tensor *x = leaf(VALS(1, 2, 3, 4), SHAPE(4), 1);
    ct_tensor *w = leaf(VALS(9, 9), SHAPE(2), 1);
    ct_tensor *a = ct_clone(x);
    ct_tensor *v = ct_narrow(a, 0, 1, 2);
    CHECK(ct_copy_(v, w) == v);
    CHECK(strcmp(ct_node_name(ct_grad_fn(a)), "CopySlices") == 0);
    CHECK(strcmp(ct_node_name(ct_grad_fn(v)), "AsStridedBackward0") == 0);
    ct_tensor *c = tt_tensor(VALS(10, 20, 30, 40), SHAPE(4), 1, CT_FLOAT64);
    CHECK(ct_backward(ag_dot(a, c), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(4), 1, VALS(10, 0, 0, 40), 0);
    CHECK_TENSOR(ct_tensor_grad(w), SHAPE(2), 1, VALS(20, 30), 0);
}

TEST(autograd, in_place_on_a_view_of_a_view_in_2d) {
    /* a = clone(x) (2x3); a.select(0,1).narrow(0,0,2).copy_(w) */
    ct_tensor *x = leaf(VALS(1, 2, 3, 4, 5, 6), SHAPE(2, 3), 2);
    ct_tensor *w = leaf(VALS(0, 0), SHAPE(2), 1);
    ct_tensor *a = ct_clone(x);
    ct_tensor *v = ct_narrow(ct_select(a, 0, 1), 0, 0, 2);
    CHECK_OK(ct_copy_(v, w));
    ct_tensor *c = ag_arange(6, SHAPE(2, 3), 2);
    CHECK(ct_backward(ag_dot(a, c), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2, 3), 2, VALS(0, 1, 2, 0, 0, 5), 0);
    CHECK_TENSOR(ct_tensor_grad(w), SHAPE(2), 1, VALS(3, 4), 0);
}

TEST(autograd, copy_broadcasts_and_casts_gradients_back) {
    /* a (2x2 float32) <- copy_ of w (2, float64): dw sums over the broadcast dim */
    ct_tensor *x = tt_tensor(VALS(0, 0, 0, 0), SHAPE(2, 2), 2, CT_FLOAT32);
    ct_set_requires_grad(x, true);
    ct_tensor *w = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *a = ct_clone(x);
    CHECK_OK(ct_copy_(a, w));
    ct_tensor *c = tt_tensor(VALS(1, 2, 3, 4), SHAPE(2, 2), 2, CT_FLOAT32);
    CHECK(ct_backward(ag_dot(a, c), NULL, false, false, NULL, 0) == 0);
    ct_tensor *gw = ct_tensor_grad(w);
    CHECK(gw && gw->dtype == CT_FLOAT64);
    CHECK_TENSOR(gw, SHAPE(2), 1, VALS(4, 6), 0);
}

static int nan_fwd(ct_function_ctx *ctx, const ct_tensor *const *in, int nin, ct_tensor **out,
                   int nout, void *user) {
    (void)ctx; (void)nin; (void)nout; (void)user;
    out[0] = ct_clone(in[0]);
    return 0;
}
static int nan_bwd(ct_function_ctx *ctx, ct_tensor *const *g, int nout, ct_tensor **gi, int nin,
                   void *user) {
    (void)ctx; (void)nout; (void)nin; (void)user;
    gi[0] = tt_tensor(VALS(NAN), g[0]->sizes, g[0]->ndim, g[0]->dtype);
    return 0;
}

TEST(autograd, anomaly_mode_names_the_node_that_made_nan) {
    static const ct_function nanfn = {"DivBackward0", nan_fwd, nan_bwd};
    ct_tensor *x = leaf(VALS(1), SHAPE(1), 1);
    ct_tensor *y = NULL;
    const ct_tensor *in[1] = {x};
    CHECK(ct_function_apply(&nanfn, NULL, NULL, in, 1, &y, 1) == 0);
    CHECK(ct_backward(y, NULL, true, false, NULL, 0) == 0); /* off: NaN passes */
    CHECK(isnan(ct_item_at(ct_tensor_grad(x), 0)));
    ct_set_detect_anomaly(true);
    CHECK(ct_is_anomaly_enabled());
    ct_clear_error();
    int rc = ct_backward(y, NULL, false, false, NULL, 0);
    ct_set_detect_anomaly(false);
    CHECK(rc < 0);
    CHECK(strstr(ct_last_error(), "Function 'DivBackward0' returned nan values in its 0th output."));
}

/* A custom function with two outputs: (x * 2, argmax-like index) where the
 * second is non-differentiable, and ctx features checked inside. */
static int two_fwd(ct_function_ctx *ctx, const ct_tensor *const *in, int nin, ct_tensor **out,
                   int nout, void *user) {
    (void)nin; (void)nout;
    int *flags = user;
    flags[0] = ct_ctx_needs_input_grad(ctx, 0);
    flags[1] = ct_ctx_needs_input_grad(ctx, 1);
    double *v = tt_values(in[0]);
    for (int64_t i = 0; i < in[0]->numel; i++) v[i] *= 2;
    out[0] = tt_tensor(v, in[0]->sizes, in[0]->ndim, CT_FLOAT64);
    free(v);
    out[1] = tt_tensor(VALS(1), SHAPE(1), 1, CT_FLOAT64);
    ct_ctx_mark_non_differentiable(ctx, out[1]);
    return ct_ctx_save_for_backward(ctx, (const ct_tensor *[]){in[0], out[0]}, 2);
}
static int two_bwd(ct_function_ctx *ctx, ct_tensor *const *g, int nout, ct_tensor **gi, int nin,
                   void *user) {
    (void)nout; (void)nin;
    int *flags = user;
    flags[2] = ct_ctx_num_saved(ctx);
    flags[3] = ct_ctx_saved(ctx, 0) != NULL && ct_ctx_saved(ctx, 1) != NULL;
    flags[4] = ct_ctx_needs_input_grad(ctx, 1);
    double *v = tt_values(g[0]);
    for (int64_t i = 0; i < g[0]->numel; i++) v[i] *= 2;
    gi[0] = tt_tensor(v, g[0]->sizes, g[0]->ndim, CT_FLOAT64);
    free(v);
    return 0;
}

TEST(autograd, custom_function_with_ctx_features) {
    static const ct_function two = {"TwoBackward", two_fwd, two_bwd};
    static int flags[5];
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *k = tt_tensor(VALS(0), SHAPE(1), 1, CT_FLOAT64);
    ct_tensor *out[2];
    const ct_tensor *in[2] = {x, k};
    CHECK(ct_function_apply(&two, flags, NULL, in, 2, out, 2) == 0);
    CHECK(flags[0] == 1 && flags[1] == 0);
    CHECK(ct_requires_grad(out[0]) && !ct_requires_grad(out[1]));
    CHECK(strcmp(ct_node_name(ct_grad_fn(out[0])), "TwoBackward") == 0);
    CHECK(ct_backward(out[0], tt_tensor(VALS(1, 10), SHAPE(2), 1, CT_FLOAT64), false, false, NULL,
                      0) == 0);
    CHECK(flags[2] == 2 && flags[3] == 1 && flags[4] == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2), 1, VALS(2, 20), 0);
}

static int dirty_fwd(ct_function_ctx *ctx, const ct_tensor *const *in, int nin, ct_tensor **out,
                     int nout, void *user) {
    (void)nin; (void)nout; (void)user;
    ct_tensor *x = (ct_tensor *)in[0];
    for (int64_t i = 0; i < x->numel; i++) ((double *)ct_data_ptr(x))[i] *= 3;
    ct_bump_version(x);
    ct_ctx_mark_dirty(ctx, x);
    out[0] = x;
    return 0;
}
static int dirty_bwd(ct_function_ctx *ctx, ct_tensor *const *g, int nout, ct_tensor **gi, int nin,
                     void *user) {
    (void)ctx; (void)nout; (void)nin; (void)user;
    double *v = tt_values(g[0]);
    for (int64_t i = 0; i < g[0]->numel; i++) v[i] *= 3;
    gi[0] = tt_tensor(v, g[0]->sizes, g[0]->ndim, CT_FLOAT64);
    free(v);
    return 0;
}

TEST(autograd, custom_function_mark_dirty_rebases_the_input) {
    static const ct_function tri = {"TripleBackward", dirty_fwd, dirty_bwd};
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *a = ct_clone(x);
    ct_tensor *out = NULL;
    const ct_tensor *in[1] = {a};
    CHECK(ct_function_apply(&tri, NULL, NULL, in, 1, &out, 1) == 0);
    CHECK(out == a && strcmp(ct_node_name(ct_grad_fn(a)), "TripleBackward") == 0);
    CHECK(ct_backward(ag_sum(a), NULL, false, false, NULL, 0) == 0);
    CHECK_TENSOR(ct_tensor_grad(x), SHAPE(2), 1, VALS(3, 3), 0);
    /* on a leaf that requires grad it is refused */
    const ct_tensor *in2[1] = {x};
    ct_clear_error();
    CHECK(ct_function_apply(&tri, NULL, NULL, in2, 1, &out, 1) < 0);
    CHECK(strstr(ct_last_error(), "a leaf Variable that requires grad is being used in an in-place"));
}

/* Samples live bytes at the first and last node of a chain's backward. */
static int64_t first_seen = -1, last_seen = -1;
static int sample_bytes(ct_tensor *grad, ct_tensor **replace, void *ctx) {
    (void)grad; (void)replace;
    int64_t b = (int64_t)ct_host_alloc_stats().bytes_in_use;
    if (*(int *)ctx == 0) first_seen = b;
    else last_seen = b;
    return 0;
}

TEST(autograd, long_chain_backward_frees_saved_tensors_as_it_goes) {
    /* 10,000 nodes that each save their input (1 KiB): forward holds ~10 MB;
     * by the time the last node runs nearly all of it must be gone. */
    enum { N = 10000, M = 128 };
    ct_scope s = ct_scope_begin();
    ct_tensor *x = ct_keep(ag_arange(M, SHAPE(M), 1));
    ct_set_requires_grad(x, true);
    ct_tensor *y = ct_keep(ag_scale(x, 1.0));
    ct_tensor *first = ct_retain(y);
    ct_scope_end(s);
    for (int i = 1; i < N; i++) {
        ct_scope s2 = ct_scope_begin();
        ct_tensor *z = ct_keep(ag_scale(y, 1.0));
        ct_scope_end(s2);
        ct_release(y);
        y = z;
    }
    static int zero = 0, one = 1;
    ct_register_hook(y, sample_bytes, &zero, NULL);
    ct_register_hook(first, sample_bytes, &one, NULL);
    ct_release(first); /* the graph keeps it alive, hooks and all */
    double ones[M];
    for (int i = 0; i < M; i++) ones[i] = 1;
    ct_tensor *g = tt_tensor(ones, SHAPE(M), 1, CT_FLOAT64);
    int rc = ct_backward(y, g, false, false, NULL, 0);
    ct_release(y);
    CHECK(rc == 0);
    int64_t saved_bytes = (int64_t)N * M * 8;
    CHECK(first_seen - last_seen > saved_bytes * 9 / 10);
    ct_tensor *gx = ct_tensor_grad(x);
    CHECK(gx && gx->numel == M && ct_item_at(gx, 0) == 1 && ct_item_at(gx, M - 1) == 1);
    ct_release(x);
}

static int wrong_bwd(ct_function_ctx *ctx, ct_tensor *const *g, int nout, ct_tensor **gi,
                     int nin, void *user) {
    (void)ctx; (void)nout; (void)nin; (void)user;
    gi[0] = ct_clone(g[0]); /* claims d(2x)/dx = 1 */
    return 0;
}
static int double_fwd(ct_function_ctx *ctx, const ct_tensor *const *in, int nin, ct_tensor **out,
                      int nout, void *user) {
    (void)ctx; (void)nin; (void)nout; (void)user;
    double *v = tt_values(in[0]);
    for (int64_t i = 0; i < in[0]->numel; i++) v[i] *= 2;
    out[0] = tt_tensor(v, in[0]->sizes, in[0]->ndim, CT_FLOAT64);
    free(v);
    return 0;
}
static ct_tensor *wrong_fn(ct_tensor *const *x, int n, void *c) {
    static const ct_function f = {"WrongBackward", double_fwd, wrong_bwd};
    (void)n; (void)c;
    ct_tensor *y = NULL;
    return ct_function_apply(&f, NULL, NULL, (const ct_tensor *const *)x, 1, &y, 1) < 0 ? NULL : y;
}
static ct_tensor *square_fn(ct_tensor *const *x, int n, void *c) {
    (void)n; (void)c;
    return ag_square(x[0]);
}

TEST(autograd, gradcheck_catches_wrong_first_and_second_derivatives) {
    ct_tensor *x = leaf(VALS(0.5, -1.5), SHAPE(2), 1);
    ct_clear_error();
    CHECK(ct_gradcheck(wrong_fn, NULL, &x, 1, 1e-6, 1e-5, 1e-3) < 0);
    CHECK(strstr(ct_last_error(), "Jacobian mismatch for output 0 with respect to input 0"));
    CHECK(ct_gradcheck(square_fn, NULL, &x, 1, 1e-6, 1e-5, 1e-3) == 0);
    /* ag_square's backward is raw loops, not differentiable: second order is wrong */
    ct_clear_error();
    CHECK(ct_gradgradcheck(square_fn, NULL, &x, 1, 1e-6, 1e-5, 1e-3) < 0);
    CHECK(strstr(ct_last_error(), "Jacobian mismatch"));
    ct_tensor *f = tt_tensor(VALS(1), SHAPE(1), 1, CT_FLOAT32);
    ct_set_requires_grad(f, true);
    ct_clear_error();
    CHECK(ct_gradcheck(square_fn, NULL, &f, 1, 1e-6, 1e-5, 1e-3) < 0);
    CHECK(strstr(ct_last_error(), "float64"));
}

typedef struct {
    int ok;
} thread_result;

static void *thread_body(void *arg) {
    thread_result *r = arg;
    ct_scope s = ct_scope_begin();
    r->ok = 1;
    for (int it = 0; it < 50 && r->ok; it++) {
        ct_tensor *x = tt_tensor(VALS(1, 2, 3), SHAPE(3), 1, CT_FLOAT64);
        ct_set_requires_grad(x, true);
        ct_tensor *y = ag_sum(ct_narrow(ag_square(ct_clone(x)), 0, 1, 2));
        if (ct_backward(y, NULL, false, false, NULL, 0) < 0) r->ok = 0;
        ct_tensor *g = ct_tensor_grad(x);
        if (!g || ct_item_at(g, 0) != 0 || ct_item_at(g, 1) != 4 || ct_item_at(g, 2) != 6) r->ok = 0;
    }
    ct_scope_end(s);
    return NULL;
}

TEST(autograd, separate_graphs_on_separate_threads) {
    pthread_t th[4];
    thread_result res[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, thread_body, &res[i]);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) CHECK(res[i].ok);
    /* grad mode is per thread */
    ct_set_grad_enabled(false);
    thread_result r2;
    pthread_t t2;
    pthread_create(&t2, NULL, thread_body, &r2);
    pthread_join(t2, NULL);
    ct_set_grad_enabled(true);
    CHECK(r2.ok);
}

static ct_tensor *shared_leaf;
static void *shared_body(void *arg) {
    int *ok = arg;
    *ok = 1;
    for (int it = 0; it < 50; it++) {
        ct_scope s = ct_scope_begin();
        ct_tensor *y = ag_sum(ag_square(ct_clone(shared_leaf))); /* d/dx = 2x */
        if (!y || ct_backward(y, NULL, false, false, NULL, 0) < 0) *ok = 0;
        ct_scope_end(s);
    }
    return NULL;
}

TEST(autograd, threads_accumulate_into_a_shared_leaf) {
    shared_leaf = leaf(VALS(1, -2), SHAPE(2), 1);
    pthread_t th[4];
    int ok[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, shared_body, &ok[i]);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) CHECK(ok[i]);
    CHECK_TENSOR(ct_tensor_grad(shared_leaf), SHAPE(2), 1, VALS(400, -800), 0);
}

#include "internal.h"

TEST(autograd, recording_an_op_without_derivative_fails_at_record_time) {
    ct_tensor *x = leaf(VALS(1, 2), SHAPE(2), 1);
    ct_tensor *y = ct_empty(SHAPE(2), 1, CT_FLOAT64);
    const ct_tensor *in[1] = {x};
    ct_op_args a;
    memset(&a, 0, sizeof a);
    ct_clear_error();
    CHECK(ct__ag_record(CT_OP_argmax, y, in, 1, NULL, 0, &a) < 0);
    CHECK(strstr(ct_last_error(), "the derivative for 'argmax' is not implemented"));
}
