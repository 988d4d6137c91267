/* The elementwise part of one time step of the fused recurrent layers,
 * written once and compiled per dtype: rnn_cell.c includes this file with T
 * (the element type) and SUF (a name suffix) defined. The GEMM of the step
 * (h_prev W_hh^T) is done before by the caller. sig/tnh are the SLEEF loops
 * of the pointwise family (the same functions as ct_sigmoid and ct_tanh),
 * applied to contiguous rows in place. Each expression follows the order of
 * PyTorch's composed cells (aten/src/ATen/native/RNN.cpp) and of the
 * derivatives of their ops (sigmoid: g (1 - y) y, tanh: g (1 - y^2)). */
#define FN_(name, suf) name##_##suf
#define FN2(name, suf) FN_(name, suf)
#define FN(name) FN2(name, SUF)

static inline void FN(act)(ct_loop_fn fn, T *o, const T *x, int64_t n) {
    char *d[2] = {(char *)o, (char *)x};
    int64_t s[2] = {sizeof(T), sizeof(T)};
    ct_pw_ctx c;
    memset(&c, 0, sizeof c);
    fn(d, s, n, &c);
}

/* pre[j] = gi[j] + (gh[j] + bias[j]) for j < n (bias NULL: none) */
static inline void FN(preact)(T *restrict pre, const T *restrict gi, const T *restrict gh,
                              const T *restrict bias, int64_t n) {
    if (bias)
        for (int64_t j = 0; j < n; j++) pre[j] = gi[j] + (gh[j] + bias[j]);
    else
        for (int64_t j = 0; j < n; j++) pre[j] = gi[j] + gh[j];
}

static void FN(lstm_fwd_row)(const ct__rnn_step *s, int64_t r, ct_loop_fn sig, ct_loop_fn tnh) {
    const int64_t H = s->H;
    T *w = (T *)s->ws + r * 5 * H, *h = (T *)s->h + r * H;
    const T *cp = (const T *)s->c_prev + r * s->c_prev_rs;
    FN(preact)(w, (const T *)s->gi + r * 4 * H, (const T *)s->gh + r * 4 * H, (const T *)s->bias, 4 * H);
    FN(act)(sig, w, w, 2 * H);
    FN(act)(tnh, w + 2 * H, w + 2 * H, H);
    FN(act)(sig, w + 3 * H, w + 3 * H, H);
    T *restrict c = w + 4 * H;
    const T *restrict i = w, *restrict f = w + H, *restrict g = w + 2 * H;
    for (int64_t k = 0; k < H; k++) c[k] = f[k] * cp[k] + i[k] * g[k];
    FN(act)(tnh, h, c, H);
    const T *restrict o = w + 3 * H;
    for (int64_t k = 0; k < H; k++) h[k] = o[k] * h[k];
}

static void FN(gru_fwd_row)(const ct__rnn_step *s, int64_t r, ct_loop_fn sig, ct_loop_fn tnh) {
    const int64_t H = s->H;
    T *w = (T *)s->ws + r * 4 * H, *h = (T *)s->h + r * H;
    const T *gi = (const T *)s->gi + r * 3 * H, *gh = (const T *)s->gh + r * 3 * H;
    const T *b = (const T *)s->bias, *hp = (const T *)s->h_prev + r * H;
    FN(preact)(w, gi, gh, b, 2 * H);
    FN(act)(sig, w, w, 2 * H);
    T *restrict n = w + 2 * H, *restrict ghn = w + 3 * H;
    const T *restrict rg = w;
    for (int64_t k = 0; k < H; k++) {
        T m = b ? gh[2 * H + k] + b[2 * H + k] : gh[2 * H + k];
        ghn[k] = m;
        n[k] = gi[2 * H + k] + rg[k] * m;
    }
    FN(act)(tnh, n, n, H);
    const T *restrict z = w + H;
    for (int64_t k = 0; k < H; k++) h[k] = n[k] + z[k] * (hp[k] - n[k]);
}

static void FN(rnn_fwd_row)(const ct__rnn_step *s, int64_t r, ct_loop_fn tnh) {
    const int64_t H = s->H;
    T *h = (T *)s->h + r * H;
    FN(preact)(h, (const T *)s->gi + r * H, (const T *)s->gh + r * H, (const T *)s->bias, H);
    if (s->mode == CT_RNN_TANH) {
        FN(act)(tnh, h, h, H);
    } else {
        for (int64_t k = 0; k < H; k++) h[k] = h[k] < 0 ? (T)0 : h[k]; /* NaN stays NaN */
    }
}

static void FN(step_forward)(const ct__rnn_step *s, ct_loop_fn sig, ct_loop_fn tnh) {
    for (int64_t r = 0; r < s->B; r++) {
        if (s->mode == CT_RNN_LSTM) FN(lstm_fwd_row)(s, r, sig, tnh);
        else if (s->mode == CT_RNN_GRU) FN(gru_fwd_row)(s, r, sig, tnh);
        else FN(rnn_fwd_row)(s, r, tnh);
    }
}

static void FN(lstm_bwd_row)(const ct__rnn_step_back *s, int64_t r, ct_loop_fn tnh) {
    const int64_t H = s->H;
    const T *w = (const T *)s->ws + r * 5 * H;
    const T *restrict cp = (const T *)s->c_prev + r * s->c_prev_rs;
    const T *restrict dh = (const T *)s->dh + r * H;
    T *restrict dc = (T *)s->dc + r * H;
    T *restrict dg = (T *)s->dgi + r * 4 * H;
    /* tanh(c) lands in the o slot of dg and is read there before that slot
     * is written, element by element */
    FN(act)(tnh, dg + 3 * H, w + 4 * H, H);
    const T *restrict i = w, *restrict f = w + H, *restrict g = w + 2 * H, *restrict o = w + 3 * H;
    for (int64_t k = 0; k < H; k++) {
        T tc = dg[3 * H + k];
        T dcc = dc[k] + dh[k] * o[k] * (1 - tc * tc);
        dg[k] = dcc * g[k] * (1 - i[k]) * i[k];
        dg[H + k] = dcc * cp[k] * (1 - f[k]) * f[k];
        dg[2 * H + k] = dcc * i[k] * (1 - g[k] * g[k]);
        dg[3 * H + k] = dh[k] * tc * (1 - o[k]) * o[k];
        dc[k] = dcc * f[k];
    }
}

static void FN(gru_bwd_row)(const ct__rnn_step_back *s, int64_t r) {
    const int64_t H = s->H;
    const T *w = (const T *)s->ws + r * 4 * H;
    const T *restrict rg = w, *restrict z = w + H, *restrict n = w + 2 * H, *restrict ghn = w + 3 * H;
    const T *restrict hp = (const T *)s->h_prev + r * H, *restrict dh = (const T *)s->dh + r * H;
    T *restrict gi = (T *)s->dgi + r * 3 * H, *restrict gh = (T *)s->dgh + r * 3 * H;
    T *restrict dhp = (T *)s->dh_prev + r * H;
    for (int64_t k = 0; k < H; k++) {
        T d = dh[k];
        T dn = d - d * z[k];
        T dz = d * (hp[k] - n[k]);
        T dpn = dn * (1 - n[k] * n[k]);
        T dr = dpn * ghn[k];
        T dpr = dr * (1 - rg[k]) * rg[k], dpz = dz * (1 - z[k]) * z[k];
        gi[k] = dpr;
        gi[H + k] = dpz;
        gi[2 * H + k] = dpn;
        gh[k] = dpr;
        gh[H + k] = dpz;
        gh[2 * H + k] = dpn * rg[k];
        dhp[k] = d * z[k];
    }
}

static void FN(rnn_bwd_row)(const ct__rnn_step_back *s, int64_t r) {
    const int64_t H = s->H;
    const T *restrict h = (const T *)s->h + r * H, *restrict dh = (const T *)s->dh + r * H;
    T *restrict dg = (T *)s->dgi + r * H;
    if (s->mode == CT_RNN_TANH)
        for (int64_t k = 0; k < H; k++) dg[k] = dh[k] * (1 - h[k] * h[k]);
    else
        for (int64_t k = 0; k < H; k++) dg[k] = h[k] > 0 ? dh[k] : (T)0;
}

static void FN(step_backward)(const ct__rnn_step_back *s, ct_loop_fn tnh) {
    for (int64_t r = 0; r < s->B; r++) {
        if (s->mode == CT_RNN_LSTM) FN(lstm_bwd_row)(s, r, tnh);
        else if (s->mode == CT_RNN_GRU) FN(gru_bwd_row)(s, r);
        else FN(rnn_bwd_row)(s, r);
    }
}

#undef FN
#undef FN2
#undef FN_
