/* Autograd overhead from C (issue: autograd): a 100-op chain of small ops,
 * time per node to build (forward with recording) and to run backward. */
#include "bench_util.h"
#include "ctorch/ctorch.h"

#define CHAIN 100

typedef struct {
    ct_tensor *x;
    ct_tensor *y; /* last built chain, kept for the backward timing */
} ctx_t;

/* forward: alternate mul, add, sin so the nodes are not all alike */
static ct_tensor *build(ct_tensor *x) {
    ct_tensor *y = x;
    for (int i = 0; i < CHAIN; i++) {
        switch (i % 3) {
        case 0: y = ct_mul_scalar(y, 1.001); break;
        case 1: y = ct_add_scalar(y, 0.5); break;
        default: y = ct_sin(y); break;
        }
    }
    return y;
}

static void build_only(void *p) {
    ctx_t *c = p;
    ct_scope s = ct_scope_begin();
    build(c->x);
    ct_scope_end(s);
}

static void build_and_backward(void *p) {
    ctx_t *c = p;
    ct_scope s = ct_scope_begin();
    ct_tensor *y = ct_sum(build(c->x));
    ct_backward(y, NULL, false, false, NULL, 0);
    ct_scope_end(s);
}

static void build_nograd(void *p) {
    ctx_t *c = p;
    ct_scope s = ct_scope_begin();
    ct_set_grad_enabled(false);
    build(c->x);
    ct_set_grad_enabled(true);
    ct_scope_end(s);
}

int main(int argc, char **argv) {
    int reps = (argc > 1) ? 5 : 15;
    ctx_t c;
    c.x = ct_keep(ct_ones((int64_t[]){10}, 1, CT_FLOAT32));
    ct_set_requires_grad(c.x, true);
    double t_fwd = bench_time(build_only, &c, 200, reps);
    double t_both = bench_time(build_and_backward, &c, 200, reps);
    double t_plain = bench_time(build_nograd, &c, 200, reps);
    /* per node: forward with recording; backward = (both - forward) */
    bench_report("autograd_chain100_build_per_node", t_fwd / CHAIN, 0, 0);
    bench_report("autograd_chain100_backward_per_node", (t_both - t_fwd) / CHAIN, 0, 0);
    bench_report("chain100_nograd_per_op", t_plain / CHAIN, 0, 0);
    ct_release(c.x);
    return 0;
}
