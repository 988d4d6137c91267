/* Linear regression by gradient descent, written in linear style: every
 * iteration runs inside a scope, so no tensor is freed by hand; only the
 * parameters are kept from one iteration to the next.
 *
 *   make examples && ./build/examples/linear_regression
 */
#include <ctorch/ctorch.h>
#include <stdio.h>

#define CHECK(t)                                                                   \
    do {                                                                           \
        if (!(t)) {                                                                \
            fprintf(stderr, "error: %s\n", ct_last_error());                       \
            return 1;                                                              \
        }                                                                          \
    } while (0)

int main(void) {
    ct_manual_seed(0);
    ct_scope outer = ct_scope_begin();

    /* data: y = X w_true + 0.5 + noise */
    int64_t n = 256, d = 3;
    ct_tensor *X = ct_randn((int64_t[]){n, d}, 2, CT_FLOAT32, NULL);
    ct_tensor *w_true = ct_tensor_from_doubles((double[]){2.0, -3.0, 0.5}, (int64_t[]){d, 1}, 2,
                                               CT_FLOAT32);
    ct_tensor *noise = ct_mul_scalar(ct_randn((int64_t[]){n, 1}, 2, CT_FLOAT32, NULL), 0.01);
    ct_tensor *y = ct_add(ct_add_scalar(ct_mm(X, w_true), 0.5), noise);
    CHECK(y);

    /* parameters live across iterations: owned references, released at the end */
    ct_tensor *w = ct_keep(ct_zeros((int64_t[]){d, 1}, 2, CT_FLOAT32));
    ct_tensor *b = ct_keep(ct_zeros((int64_t[]){1}, 1, CT_FLOAT32));
    double lr = 0.1, loss = 0;
    for (int it = 0; it < 200; it++) {
        ct_scope s = ct_scope_begin();
        ct_tensor *err = ct_sub(ct_add(ct_mm(X, w), b), y);          /* [n, 1] */
        CHECK(err);
        ct_item(ct_mean(ct_mul(err, err)), &loss);
        /* gradients of the mean squared error */
        ct_tensor *gw = ct_mul_scalar(ct_mm(ct_t(X), err), 2.0 / (double)n);
        ct_tensor *gb = ct_mul_scalar(ct_sum_dims(err, (int[]){0}, 1, false, -1), 2.0 / (double)n);
        CHECK(gw && gb);
        CHECK(ct_sub_(w, ct_mul_scalar(gw, lr)));
        CHECK(ct_sub_(b, ct_mul_scalar(gb, lr)));
        ct_scope_end(s); /* every temporary of this iteration is released here */
    }
    printf("final loss %.6f\n", loss);
    printf("w = ");
    ct_print(ct_t(w));
    printf("b = ");
    ct_print(b);

    ct_release(w);
    ct_release(b);
    ct_scope_end(outer);
    return loss < 1e-3 ? 0 : 1;
}
