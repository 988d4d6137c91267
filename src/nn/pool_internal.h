/* Shared by the poolings (src/nn/pool.c, pool1d.c, pool2.c) and the
 * resamplings (upsample.c): the GPU path through ct__cuda->window, whose
 * window arithmetic (nn/window.h) the CPU loops share. Not installed. */
#ifndef CT_POOL_INTERNAL_H
#define CT_POOL_INTERNAL_H

#include "nn/nn_internal.h"
#include "nn/window.h"

/* A window op over np planes of in[] -> out[] (nd of each, padded to 3). */
static inline ct_window_op ct__window_op(int kind, ct_dtype dt, int64_t np, int nd,
                                         const int64_t *in, const int64_t *out) {
    ct_window_op w = {.kind = kind, .dt = (int)dt, .np = np};
    for (int i = 0; i < 3; i++) {
        int j = i - (3 - nd);
        w.in[i] = j >= 0 ? in[j] : 1;
        w.out[i] = j >= 0 ? out[j] : 1;
        w.k[i] = w.s[i] = w.d[i] = 1;
    }
    return w;
}

/* The same for a 2-d window g (kernel, stride, padding, dilation too). */
static inline ct_window_op ct__window_op2d(int kind, ct_dtype dt, int64_t np, const ct_win2d *g) {
    ct_window_op w = ct__window_op(kind, dt, np, 2, (const int64_t[]){g->H, g->W},
                                   (const int64_t[]){g->OH, g->OW});
    w.k[1] = g->kh, w.k[2] = g->kw, w.s[1] = g->sh, w.s[2] = g->sw;
    w.p[1] = g->ph, w.p[2] = g->pw, w.d[1] = g->dh, w.d[2] = g->dw;
    return w;
}

#endif
