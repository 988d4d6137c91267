/* Views share storage: a write through one is seen by all. Errors are values.
 *
 *   make examples && ./build/examples/views
 */
#include <ctorch/ctorch.h>
#include <stdio.h>

int main(void) {
    ct_scope s = ct_scope_begin();
    ct_tensor *x = ct_arange(0, 12, 1, CT_FLOAT32);
    ct_tensor *m = ct_view(x, (int64_t[]){3, 4}, 2);
    ct_tensor *col = ct_select(m, 1, 2);      /* m[:, 2], a strided view */
    ct_fill_(col, -1);                        /* writes into x's storage */
    printf("x after writing column 2 of its [3, 4] view:\n");
    ct_print(x);
    printf("transposed view:\n");
    ct_print(ct_t(m));

    /* a bad call returns NULL and says why; nothing aborts */
    if (!ct_mm(m, m)) printf("expected error: %s\n", ct_last_error());
    ct_scope_end(s);
    return 0;
}
