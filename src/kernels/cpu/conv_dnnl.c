/* Convolutions through oneDNN (Debian's libdnnl, the library PyTorch runs
 * its CPU convolutions on), built only where its headers exist (the
 * Makefile defines CT_HAVE_DNNL); elsewhere the im2col + GEMM kernels of
 * conv.c run alone.
 *
 * Why: im2col + OpenBLAS on this machine's 2 cores reaches about a third of
 * oneDNN's speed on the 3x3 64->64 56x56 benchmark (OpenBLAS pinned to its
 * AVX2 Haswell kernels, the 7 MB column matrix of each image written and
 * read back through memory, the partial dW buffers zeroed, threads waiting
 * at the per-image barrier); oneDNN's JIT direct convolution works on
 * blocked layouts (nChw16c) in cache-sized tiles with no column matrix.
 * Measured at 1 thread (CPU time, 8x64x56x56, 3x3, 64->64): forward 12.0
 * vs 28.5 ms, input gradient 11.4 vs 26.6, weight gradient 13.7 vs 27.0;
 * the demo's second layer (64x32x14x14) 2.6 vs 6.5 ms each. PyTorch runs
 * the same oneDNN primitives (and reorders), so the two now match.
 *
 * Tensors stay NCHW (NCDHW): each call reorders the operands into the
 * layout the primitive chose and the result back, as PyTorch does for
 * NCHW tensors (measured: plain NCHW src/dst makes oneDNN pick its
 * gemm:jit kernels, 2x slower on both gradients; NHWC costs more in
 * transposes than the blocked reorders). Primitives and reorders are built
 * once per shape and thread count and kept in a small cache (a mutex, and a
 * use count so that an entry in use is never evicted); the reordered
 * weights are kept across calls and the blocked output gradient from the
 * input gradient to the weight gradient (below); the scratchpad is the
 * caller's (user scratchpad mode), so one primitive runs concurrently from
 * several threads. float32 only: oneDNN
 * has no float64 convolution. */
#ifdef CT_HAVE_DNNL

#include "nn/nn_internal.h"

#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct dnnl_key {
    int kind, nd;
    /* oneDNN's JIT kernels fix their split of the work over threads when
     * the primitive is made: a primitive made at 1 thread runs on 1 thread
     * forever, so the thread count is part of the key. */
    int nthr;
    int64_t N, C, O, G, in[3], out[3], k[3], s[3], p[3], d[3];
    bool bias;
} dnnl_key;

/* One operand: the user's plain layout, the primitive's, and the reorder
 * between them (NULL when they are the same). */
typedef struct operand {
    dnnl_memory_desc_t user, prim;
    dnnl_primitive_t reorder;
    size_t bytes;
} operand;

typedef struct entry {
    dnnl_key key;
    bool used;
    int users;
    unsigned long stamp;
    dnnl_primitive_t prim;
    operand a, b, out; /* two inputs, one output */
    int arg_a, arg_b, arg_out;
    dnnl_memory_desc_t bias_md;
    size_t scratch;
} entry;

#define CACHE_SIZE 32
static entry cache[CACHE_SIZE];
static unsigned long clock_ticks;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static dnnl_engine_t engine;
static int engine_state; /* 0 untried, 1 ready, -1 unavailable */

static void destroy_operand(operand *o) {
    if (o->reorder) dnnl_primitive_destroy(o->reorder);
    o->reorder = NULL;
}

static void destroy_entry(entry *e) {
    if (e->prim) dnnl_primitive_destroy(e->prim);
    destroy_operand(&e->a);
    destroy_operand(&e->b);
    destroy_operand(&e->out);
    memset(e, 0, sizeof *e);
}

/* The reorder user -> prim (or prim -> user when to_user). */
static int make_operand(operand *o, const dnnl_memory_desc_t *user, const dnnl_memory_desc_t *prim,
                        bool to_user) {
    o->user = *user;
    o->prim = *prim;
    o->reorder = NULL;
    o->bytes = dnnl_memory_desc_get_size(prim);
    if (dnnl_memory_desc_equal(user, prim)) return 0;
    dnnl_primitive_desc_t rpd;
    const dnnl_memory_desc_t *from = to_user ? prim : user, *to = to_user ? user : prim;
    if (dnnl_reorder_primitive_desc_create(&rpd, from, engine, to, engine, NULL) != dnnl_success)
        return -1;
    dnnl_status_t st = dnnl_primitive_create(&o->reorder, rpd);
    dnnl_primitive_desc_destroy(rpd);
    return st == dnnl_success ? 0 : -1;
}

static void dims_of(dnnl_dims_t out, int n, int64_t a, int64_t b, const int64_t *sp, int nd) {
    out[0] = a;
    out[1] = b;
    for (int i = 0; i < nd; i++) out[2 + i] = sp[i];
    (void)n;
}

/* Builds the primitive of key k into e; 0, or -1 (no error set: the caller
 * falls back to im2col). */
static int build(entry *e, const dnnl_key *k) {
    memset(e, 0, sizeof *e);
    e->key = *k;
    int nd = k->nd;
    dnnl_format_tag_t plain = nd == 2 ? dnnl_nchw : dnnl_ncdhw;
    dnnl_dims_t xd, yd, wd, bd = {k->O}, st, dl, pl;
    dims_of(xd, nd + 2, k->N, k->C, k->in, nd);
    dims_of(yd, nd + 2, k->N, k->O, k->out, nd);
    int wnd = nd + 2;
    dnnl_format_tag_t wtag = nd == 2 ? dnnl_oihw : dnnl_oidhw;
    if (k->G > 1) {
        wd[0] = k->G;
        wd[1] = k->O / k->G;
        wd[2] = k->C / k->G;
        for (int i = 0; i < nd; i++) wd[3 + i] = k->k[i];
        wnd = nd + 3;
        wtag = nd == 2 ? dnnl_goihw : dnnl_goidhw;
    } else {
        dims_of(wd, nd + 2, k->O, k->C, k->k, nd);
    }
    for (int i = 0; i < nd; i++) {
        st[i] = k->s[i];
        dl[i] = k->d[i] - 1;
        pl[i] = k->p[i];
    }
    /* The right padding that makes oneDNN's output size formula give ours
     * (rows past the last window are simply not read). */
    dnnl_dims_t pr;
    for (int i = 0; i < nd; i++) {
        int64_t ext = (k->k[i] - 1) * k->d[i] + 1;
        pr[i] = (k->out[i] - 1) * k->s[i] + ext - k->in[i] - k->p[i];
    }
    dnnl_memory_desc_t ux, uy, uw, ub, ax, ay, aw;
    if (dnnl_memory_desc_init_by_tag(&ux, nd + 2, xd, dnnl_f32, plain) ||
        dnnl_memory_desc_init_by_tag(&uy, nd + 2, yd, dnnl_f32, plain) ||
        dnnl_memory_desc_init_by_tag(&uw, wnd, wd, dnnl_f32, wtag) ||
        dnnl_memory_desc_init_by_tag(&ub, 1, bd, dnnl_f32, dnnl_a) ||
        dnnl_memory_desc_init_by_tag(&ax, nd + 2, xd, dnnl_f32, dnnl_format_tag_any) ||
        dnnl_memory_desc_init_by_tag(&ay, nd + 2, yd, dnnl_f32, dnnl_format_tag_any) ||
        dnnl_memory_desc_init_by_tag(&aw, wnd, wd, dnnl_f32, dnnl_format_tag_any))
        return -1;
    e->bias_md = ub;
    dnnl_primitive_attr_t attr;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success) return -1;
    dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    dnnl_convolution_desc_t fd, cd;
    dnnl_primitive_desc_t fpd = NULL, pd = NULL;
    int rc = -1;
    if (dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training,
                                                   dnnl_convolution_direct, &ax, &aw,
                                                   k->bias ? &ub : NULL, &ay, st, dl, pl, pr))
        goto done;
    if (dnnl_primitive_desc_create(&fpd, &fd, attr, engine, NULL)) goto done;
    if (k->kind == 0) {
        pd = fpd;
        fpd = NULL;
    } else if (k->kind == 1) {
        if (dnnl_dilated_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &ax, &aw,
                                                             &ay, st, dl, pl, pr) ||
            dnnl_primitive_desc_create(&pd, &cd, attr, engine, fpd))
            goto done;
    } else {
        if (dnnl_dilated_convolution_backward_weights_desc_init(
                &cd, dnnl_convolution_direct, &ax, &aw, NULL, &ay, st, dl, pl, pr) ||
            dnnl_primitive_desc_create(&pd, &cd, attr, engine, fpd))
            goto done;
    }
    /* oneDNN's reference kernels (plain loops, picked where no JIT kernel
     * fits) are slower than im2col + GEMM: leave those cases to it */
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || !impl ||
        strncmp(impl, "ref", 3) == 0)
        goto done;
    const dnnl_memory_desc_t *q;
#define MD(what) (q = dnnl_primitive_desc_query_md(pd, what, 0))
    if (k->kind == 0) {
        e->arg_a = DNNL_ARG_SRC, e->arg_b = DNNL_ARG_WEIGHTS, e->arg_out = DNNL_ARG_DST;
        if (make_operand(&e->a, &ux, MD(dnnl_query_src_md), false) ||
            make_operand(&e->b, &uw, MD(dnnl_query_weights_md), false) ||
            make_operand(&e->out, &uy, MD(dnnl_query_dst_md), true))
            goto done;
    } else if (k->kind == 1) {
        e->arg_a = DNNL_ARG_DIFF_DST, e->arg_b = DNNL_ARG_WEIGHTS, e->arg_out = DNNL_ARG_DIFF_SRC;
        if (make_operand(&e->a, &uy, MD(dnnl_query_diff_dst_md), false) ||
            make_operand(&e->b, &uw, MD(dnnl_query_weights_md), false) ||
            make_operand(&e->out, &ux, MD(dnnl_query_diff_src_md), true))
            goto done;
    } else {
        e->arg_a = DNNL_ARG_DIFF_DST, e->arg_b = DNNL_ARG_SRC, e->arg_out = DNNL_ARG_DIFF_WEIGHTS;
        if (make_operand(&e->a, &uy, MD(dnnl_query_diff_dst_md), false) ||
            make_operand(&e->b, &ux, MD(dnnl_query_src_md), false) ||
            make_operand(&e->out, &uw, MD(dnnl_query_diff_weights_md), true))
            goto done;
    }
    e->scratch = dnnl_memory_desc_get_size(MD(dnnl_query_scratchpad_md));
#undef MD
    if (dnnl_primitive_create(&e->prim, pd)) goto done;
    e->used = true;
    rc = 0;
done:
    if (fpd) dnnl_primitive_desc_destroy(fpd);
    if (pd) dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    if (rc < 0) destroy_entry(e);
    return rc;
}

/* The cached entry of k (its use count taken), or NULL when oneDNN has no
 * fast kernel for it (remembered) or fails. */
static entry *acquire(const dnnl_key *k) {
    entry *e = NULL;
    pthread_mutex_lock(&lock);
    if (engine_state == 0)
        engine_state = dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success ? 1 : -1;
    if (engine_state < 0) goto out;
    for (int i = 0; i < CACHE_SIZE; i++)
        if (cache[i].used && memcmp(&cache[i].key, k, sizeof *k) == 0) {
            e = &cache[i];
            break;
        }
    if (!e) {
        entry *victim = NULL;
        for (int i = 0; i < CACHE_SIZE; i++) {
            entry *c = &cache[i];
            if (c->users) continue;
            if (!c->used) {
                victim = c;
                break;
            }
            if (!victim || c->stamp < victim->stamp) victim = c;
        }
        if (!victim) goto out;
        if (victim->used) destroy_entry(victim);
        if (build(victim, k) < 0) {
            /* remembered as unsupported (no primitive): im2col from now on */
            victim->key = *k;
            victim->used = true;
            victim->stamp = ++clock_ticks;
            goto out;
        }
        e = victim;
    }
    if (!e->prim) {
        e = NULL;
        goto out;
    }
    e->users++;
    e->stamp = ++clock_ticks;
out:
    pthread_mutex_unlock(&lock);
    return e;
}

static void release_entry(entry *e) {
    pthread_mutex_lock(&lock);
    e->users--;
    pthread_mutex_unlock(&lock);
}

static dnnl_memory_t mem(const dnnl_memory_desc_t *md, void *p) {
    dnnl_memory_t m = NULL;
    if (dnnl_memory_create(&m, md, engine, p) != dnnl_success) return NULL;
    return m;
}

/* Runs e on user buffers a, b (inputs), bias (forward, or NULL) and out.
 * Where a needs a reorder, a_blk (or NULL: a piece of the call's own
 * buffer) receives it, or already holds it when a_ready (the kept output
 * gradient); b_ready: b already in the primitive's layout there (the
 * weight cache), or NULL. */
static int execute(entry *e, const void *a, const void *b, const void *bias, void *out,
                   void *a_blk, bool a_ready, const void *b_ready) {
    bool reorder_a = e->a.reorder && !a_ready, reorder_b = e->b.reorder && !b_ready;
    size_t ab = e->a.reorder && !a_blk ? e->a.bytes : 0, bb = reorder_b ? e->b.bytes : 0,
           ob = e->out.reorder ? e->out.bytes : 0;
    size_t total = ab + bb + ob + e->scratch + 4 * 64;
    ct_tensor *buf = ct__empty((int64_t[]){(int64_t)(total / 4 + 1)}, 1, CT_FLOAT32);
    if (!buf) return -1;
    /* 64-byte aligned pieces of one buffer */
    uintptr_t p = ((uintptr_t)ct_data_ptr(buf) + 63) & ~(uintptr_t)63;
    char *pa = (char *)p, *pb = pa + ((ab + 63) & ~(size_t)63), *po = pb + ((bb + 63) & ~(size_t)63),
         *ps = po + ((ob + 63) & ~(size_t)63);
    dnnl_stream_t s = NULL;
    dnnl_memory_t ua = NULL, ub = NULL, uo = NULL, ma = NULL, mb = NULL, mo = NULL, mbias = NULL,
                  msc = NULL;
    int rc = -1;
    if (dnnl_stream_create(&s, engine, dnnl_stream_default_flags)) goto done;
    ua = mem(&e->a.user, (void *)a);
    ub = mem(&e->b.user, (void *)b);
    uo = mem(&e->out.user, out);
    ma = e->a.reorder ? mem(&e->a.prim, a_blk ? a_blk : pa) : ua;
    mb = b_ready ? mem(&e->b.prim, (void *)b_ready) : reorder_b ? mem(&e->b.prim, pb) : ub;
    mo = e->out.reorder ? mem(&e->out.prim, po) : uo;
    if (!ua || !ub || !uo || !ma || !mb || !mo) goto done;
    if (e->scratch) {
        dnnl_memory_desc_t smd;
        dnnl_dims_t sd = {(int64_t)e->scratch};
        if (dnnl_memory_desc_init_by_tag(&smd, 1, sd, dnnl_u8, dnnl_a) || !(msc = mem(&smd, ps)))
            goto done;
    }
    if (bias && !(mbias = mem(&e->bias_md, (void *)bias))) goto done;
    if (reorder_a &&
        dnnl_primitive_execute(e->a.reorder, s, 2,
                               (dnnl_exec_arg_t[]){{DNNL_ARG_FROM, ua}, {DNNL_ARG_TO, ma}}))
        goto done;
    if (reorder_b &&
        dnnl_primitive_execute(e->b.reorder, s, 2,
                               (dnnl_exec_arg_t[]){{DNNL_ARG_FROM, ub}, {DNNL_ARG_TO, mb}}))
        goto done;
    dnnl_exec_arg_t args[5] = {{e->arg_a, ma}, {e->arg_b, mb}, {e->arg_out, mo}};
    int na = 3;
    if (msc) args[na++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, msc};
    if (mbias) args[na++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, mbias};
    if (dnnl_primitive_execute(e->prim, s, na, args)) goto done;
    if (e->out.reorder &&
        dnnl_primitive_execute(e->out.reorder, s, 2,
                               (dnnl_exec_arg_t[]){{DNNL_ARG_FROM, mo}, {DNNL_ARG_TO, uo}}))
        goto done;
    rc = dnnl_stream_wait(s) == dnnl_success ? 0 : -1;
done:
    if (ma != ua && ma) dnnl_memory_destroy(ma);
    if (mb != ub && mb) dnnl_memory_destroy(mb);
    if (mo != uo && mo) dnnl_memory_destroy(mo);
    if (ua) dnnl_memory_destroy(ua);
    if (ub) dnnl_memory_destroy(ub);
    if (uo) dnnl_memory_destroy(uo);
    if (mbias) dnnl_memory_destroy(mbias);
    if (msc) dnnl_memory_destroy(msc);
    if (s) dnnl_stream_destroy(s);
    ct_release(buf);
    return rc;
}

/* ------------------------------------------------------------ weights
 * The weights, reordered into the primitive's layout, kept across calls:
 * a layer's weight changes once per optimizer step but is read by the
 * forward and the input gradient of every call. An entry is keyed on the
 * weight's storage, its data pointer, the target layout and the storage's
 * version counter (bumped by every in-place write: an optimizer step, a
 * copy_ under no_grad): a new version reorders again into the same buffer.
 * The entry holds a reference to the storage, so that its memory cannot be
 * freed and handed to another tensor of version 0 at the same address
 * while the entry could still match; an entry whose storage only the cache
 * still holds can never match again and is dropped at the next lookup. At
 * most WCACHE_SIZE entries (least recently used goes first), emptied at
 * library teardown. Only memory ctorch allocated is cached: a weight over a
 * NumPy array (or DLPack) can be written through that array, which bumps
 * no version. Writes through a NumPy view of a ctorch tensor (t.numpy())
 * bump none either: they bypass the version counter, as they do autograd's
 * saved-tensor checks. The nn ops name the weight tensor behind the pointer
 * they pass (ct__conv_dnnl_note), so the kernels keep their plain-pointer
 * interface. */

typedef struct wentry {
    ct_storage *storage; /* retained; NULL = free slot */
    const void *ptr;
    dnnl_memory_desc_t md;
    uint64_t version;
    bool ready; /* buf holds the weights of `version` */
    int users;
    unsigned long stamp;
    ct_tensor *buf;
} wentry;

#define WCACHE_SIZE 32
static wentry wcache[WCACHE_SIZE];
static unsigned long wticks;
static pthread_mutex_t wlock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local const ct_tensor *noted, *noted_grad;

void ct__conv_dnnl_note(const ct_tensor *weight, const ct_tensor *grad_out) {
    noted = weight;
    noted_grad = grad_out;
}

static void wentry_clear(wentry *w) {
    ct__storage_release(w->storage);
    ct_release(w->buf);
    memset(w, 0, sizeof *w);
}

__attribute__((destructor)) static void wcache_teardown(void) {
    for (int i = 0; i < WCACHE_SIZE; i++)
        if (wcache[i].storage && !wcache[i].users) wentry_clear(&wcache[i]);
}

/* Reorders the user weights at src into w->buf with op's reorder. */
static int wfill(wentry *w, const operand *op, const void *src) {
    dnnl_stream_t s = NULL;
    dnnl_memory_t from = mem(&op->user, (void *)src), to = mem(&op->prim, ct_data_ptr(w->buf));
    int rc = -1;
    if (from && to && dnnl_stream_create(&s, engine, dnnl_stream_default_flags) == dnnl_success &&
        dnnl_primitive_execute(op->reorder, s, 2,
                               (dnnl_exec_arg_t[]){{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}) ==
            dnnl_success &&
        dnnl_stream_wait(s) == dnnl_success)
        rc = 0;
    if (s) dnnl_stream_destroy(s);
    if (from) dnnl_memory_destroy(from);
    if (to) dnnl_memory_destroy(to);
    return rc;
}

/* The cached reorder (op) of the noted weight t at ptr, its use count
 * taken, or NULL (the caller reorders into its own buffer). */
static wentry *wcache_get(const ct_tensor *t, const void *ptr, const operand *op) {
    ct_storage *st = t->storage;
    uint64_t version = ct_version(t);
    wentry *w = NULL, *victim = NULL;
    pthread_mutex_lock(&wlock);
    for (int i = 0; i < WCACHE_SIZE; i++) {
        wentry *c = &wcache[i];
        if (c->storage && !c->users && c->storage != st &&
            atomic_load_explicit(&c->storage->refcount, memory_order_acquire) == 1)
            wentry_clear(c); /* its weight is gone */
        if (!c->storage) {
            if (!victim || victim->storage) victim = c;
            continue;
        }
        if (c->storage == st && c->ptr == ptr && dnnl_memory_desc_equal(&c->md, &op->prim)) {
            w = c;
            break;
        }
        if (!c->users && (!victim || (victim->storage && c->stamp < victim->stamp))) victim = c;
    }
    if (w && w->ready && w->version == version) {
        w->users++;
        w->stamp = ++wticks;
        pthread_mutex_unlock(&wlock);
        return w;
    }
    if (w && w->users) { /* stale, and read by another thread now */
        pthread_mutex_unlock(&wlock);
        return NULL;
    }
    if (!w && victim) {
        ct_tensor *buf = ct__empty((int64_t[]){(int64_t)(op->bytes / 4 + 1)}, 1, CT_FLOAT32);
        if (buf) {
            if (victim->storage) wentry_clear(victim);
            w = victim;
            atomic_fetch_add_explicit(&st->refcount, 1, memory_order_relaxed);
            w->storage = st;
            w->ptr = ptr;
            w->md = op->prim;
            w->buf = buf;
        }
    }
    if (!w) {
        pthread_mutex_unlock(&wlock);
        return NULL;
    }
    /* (re)fill outside the lock; others see it not ready and pass by */
    w->users = 1;
    w->ready = false;
    w->stamp = ++wticks;
    pthread_mutex_unlock(&wlock);
    int rc = wfill(w, op, ptr);
    pthread_mutex_lock(&wlock);
    w->version = version;
    w->ready = rc == 0;
    if (rc < 0) {
        w->users = 0;
        w = NULL;
    }
    pthread_mutex_unlock(&wlock);
    return w;
}

static void wcache_put(wentry *w) {
    pthread_mutex_lock(&wlock);
    w->users--;
    pthread_mutex_unlock(&wlock);
}

/* ------------------------------------------------------ output gradient
 * conv2d's backward runs the input gradient, then the weight gradient, on
 * the same output gradient gy, and both primitives want it in the same
 * blocked layout: the input gradient keeps its reorder of gy here, and the
 * weight gradient takes it (one reorder of gy instead of two; PyTorch does
 * two). One slot, keyed like the weights (storage held, pointer, layout,
 * version), emptied by the next gradient call whichever it is, and at
 * teardown. */
static struct {
    ct_storage *storage;
    const void *ptr;
    uint64_t version;
    dnnl_memory_desc_t md;
    ct_tensor *buf;
} kept;

static void kept_clear(void) {
    ct__storage_release(kept.storage);
    ct_release(kept.buf);
    memset(&kept, 0, sizeof kept);
}

__attribute__((destructor)) static void kept_teardown(void) { kept_clear(); }

/* The kept blocked gy of tensor t at ptr in layout md (owned), or NULL;
 * the slot is empty afterwards either way. */
static ct_tensor *kept_take(const ct_tensor *t, const void *ptr, const dnnl_memory_desc_t *md) {
    ct_tensor *r = NULL;
    pthread_mutex_lock(&wlock);
    if (kept.buf && t && kept.storage == t->storage && kept.ptr == ptr &&
        kept.version == ct_version(t) && dnnl_memory_desc_equal(&kept.md, md)) {
        r = kept.buf;
        kept.buf = NULL;
    }
    kept_clear();
    pthread_mutex_unlock(&wlock);
    return r;
}

/* Keeps buf (owned, taken) as the blocked gy of t at ptr in layout md. */
static void kept_put(const ct_tensor *t, const void *ptr, const dnnl_memory_desc_t *md,
                     ct_tensor *buf) {
    pthread_mutex_lock(&wlock);
    kept_clear();
    atomic_fetch_add_explicit(&t->storage->refcount, 1, memory_order_relaxed);
    kept.storage = t->storage;
    kept.ptr = ptr;
    kept.version = ct_version(t);
    kept.md = *md;
    kept.buf = buf;
    pthread_mutex_unlock(&wlock);
}

bool ct__conv_dnnl_on = true;

int ct__conv_dnnl(int kind, int nd, const void *a, const void *b, const void *bias, void *out,
                  int64_t N, int64_t C, int64_t O, int64_t groups, const int64_t *in,
                  const int64_t *outsz, const int64_t *k, const int64_t *s, const int64_t *p,
                  const int64_t *d) {
    static int env = -1; /* CT_DNNL=0 in the environment: im2col only (to compare) */
    if (env < 0) {
        const char *v = getenv("CT_DNNL");
        env = !(v && strcmp(v, "0") == 0);
    }
    if (!env || !ct__conv_dnnl_on || N <= 0 || C <= 0 || O <= 0 || nd < 2 || nd > 3) return 0;
    dnnl_key key;
    memset(&key, 0, sizeof key);
    key.kind = kind;
    key.nd = nd;
    key.nthr = omp_get_max_threads();
    key.N = N, key.C = C, key.O = O, key.G = groups;
    key.bias = bias != NULL;
    for (int i = 0; i < nd; i++) {
        if (in[i] <= 0 || outsz[i] <= 0) return 0;
        key.in[i] = in[i], key.out[i] = outsz[i], key.k[i] = k[i], key.s[i] = s[i];
        key.p[i] = p[i], key.d[i] = d[i];
    }
    entry *e = acquire(&key);
    if (!e) return 0;
    /* b is the weight of the forward and the input gradient */
    const ct_tensor *t = noted;
    wentry *w = NULL;
    if (kind != 2 && e->b.reorder && t && !t->storage->deleter && t->dtype == CT_FLOAT32 &&
        ct_data_ptr(t) == b &&
        ct_is_contiguous(t) && (size_t)t->numel * 4 == dnnl_memory_desc_get_size(&e->b.user))
        w = wcache_get(t, b, &e->b);
    /* a is the output gradient of both gradients */
    const ct_tensor *gy = noted_grad;
    ct_tensor *ablk = NULL;
    bool a_ready = false;
    if (kind != 0 && e->a.reorder) {
        bool named = gy && !gy->storage->deleter && gy->dtype == CT_FLOAT32 &&
                     ct_data_ptr(gy) == a && ct_is_contiguous(gy) &&
                     (size_t)gy->numel * 4 == dnnl_memory_desc_get_size(&e->a.user);
        ablk = kept_take(named ? gy : NULL, a, &e->a.prim);
        a_ready = ablk != NULL;
        if (!ablk && named && kind == 1)
            ablk = ct__empty((int64_t[]){(int64_t)(e->a.bytes / 4 + 1)}, 1, CT_FLOAT32);
    }
    int rc = execute(e, a, b, bias, out, ablk ? ct_data_ptr(ablk) : NULL, a_ready,
                     w ? ct_data_ptr(w->buf) : NULL);
    if (w) wcache_put(w);
    if (ablk && kind == 1 && rc == 0) kept_put(gy, a, &e->a.prim, ablk);
    else ct_release(ablk);
    release_entry(e);
    return rc < 0 ? 0 : 1;
}

#endif
