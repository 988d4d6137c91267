// Sorts and scans on the GPU (sort_kern.h).
//
// Sort: a bitonic network over (key, index) pairs. The order compares keys
// (NaN above every number, reversed when descending) and then indices, so
// it is a strict total order whose sorted sequence is the stable sort of
// the row: ties keep their index order, like the CPU's merge sort. Rows are
// padded to a power of two P with pad entries that sort after everything.
//   P <= CT_CUDA_SORT_SMALL: one block per row, the row in shared memory;
//   otherwise: the row's pairs in global scratch, one launch per network
//     step (log2(P) * (log2(P) + 1) / 2 launches), then a copy-out.
// Scan: lines of at least CT_CUDA_SCAN_LONG elements, unless there are
// many of them side by side (inner > 1), by the block-parallel scan below;
// otherwise one thread per (outer, inner) line walking L sequentially, as
// the CPU's loops do; consecutive threads take consecutive inner
// positions, so loads coalesce when inner > 1.
#include <cuda_runtime.h>
#include <stdint.h>
#include <string.h>

#include "cuda/sort_kern.h"
#include "cuda/launch.h"

extern "C" void ct_set_error(int kind, const char *fmt, ...);

namespace {

enum { D_BOOL = 0, D_U8, D_I8, D_I16, D_I32, D_I64, D_F16, D_BF16, D_F32, D_F64 };

cudaStream_t stream() { return (cudaStream_t)ct__cuda_stream(); }

int launched(const char *what) {
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) {
        ct_set_error(1 /* CT_ERR_RUNTIME */, "CUDA error: %s (%s kernel launch)", cudaGetErrorString(e), what);
        return -1;
    }
    return 0;
}

// -1, 0, 1; NaN above every number and equal to NaN.
template <typename T> __device__ __forceinline__ int cmp_key(T a, T b) {
    bool an = a != a, bn = b != b; // false for integers
    if (an || bn) return an == bn ? 0 : (an ? 1 : -1);
    return a < b ? -1 : (b < a ? 1 : 0);
}

// True when (ka, ia) comes strictly before (kb, ib); ia < 0 marks padding,
// which comes after every real entry.
template <typename T>
__device__ __forceinline__ bool before(T ka, int64_t ia, T kb, int64_t ib, int desc) {
    if (ia < 0) return false;
    if (ib < 0) return true;
    int c = cmp_key(ka, kb);
    if (desc) c = -c;
    return c < 0 || (c == 0 && ia < ib);
}

// Pair q of the step (k, j) of the network: positions i < l = i + j.
__device__ __forceinline__ void pair_of(int64_t q, int64_t j, int64_t *i, int64_t *l) {
    *i = (q / j) * 2 * j + (q % j);
    *l = *i + j;
}

template <typename T>
__device__ __forceinline__ void order_pair(T *key, int64_t *ix, int64_t i, int64_t l, int64_t k, int desc) {
    bool up = (i & k) == 0; // this run ends up in the network's order, else reversed
    bool sw = up ? before(key[l], ix[l], key[i], ix[i], desc) : before(key[i], ix[i], key[l], ix[l], desc);
    if (sw) {
        T tk = key[i];
        key[i] = key[l];
        key[l] = tk;
        int64_t ti = ix[i];
        ix[i] = ix[l];
        ix[l] = ti;
    }
}

template <typename T>
__global__ void __launch_bounds__(1024) sort_small(const T *x, T *vals, int64_t *idx, int64_t rows, int64_t n, int64_t P, int desc,
                                                   const int64_t *src, int64_t nout) {
    CT_DYNAMIC_SHARED(int64_t, smem); // P indices, then P keys
    int64_t *six = smem;
    T *skey = (T *)(smem + P);
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T *xr = x + row * n;
        for (int64_t i = threadIdx.x; i < P; i += blockDim.x) {
            six[i] = i < n ? i : -1;
            skey[i] = i < n ? xr[i] : T(0);
        }
        __syncthreads();
        for (int64_t k = 2; k <= P; k <<= 1)
            for (int64_t j = k >> 1; j > 0; j >>= 1) {
                for (int64_t q = threadIdx.x; q < P / 2; q += blockDim.x) {
                    int64_t i, l;
                    pair_of(q, j, &i, &l);
                    order_pair(skey, six, i, l, k, desc);
                }
                __syncthreads();
            }
        for (int64_t i = threadIdx.x; i < nout; i += blockDim.x) {
            idx[row * nout + i] = src ? src[row * n + six[i]] : six[i];
            if (vals) vals[row * nout + i] = skey[i];
        }
        __syncthreads(); // shared memory is refilled for the next row
    }
}

template <typename T>
__global__ void sort_fill(const T *x, T *key, int64_t *ix, int64_t rows, int64_t n, int64_t P) {
    int64_t total = rows * P;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = t / P, i = t % P;
        ix[t] = i < n ? i : -1;
        key[t] = i < n ? x[r * n + i] : T(0);
    }
}

template <typename T>
__global__ void sort_step(T *key, int64_t *ix, int64_t rows, int64_t P, int64_t k, int64_t j, int desc) {
    int64_t half = P / 2, total = rows * half;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = t / half, i, l;
        pair_of(t % half, j, &i, &l);
        order_pair(key + r * P, ix + r * P, i, l, k, desc);
    }
}

template <typename T>
__global__ void sort_out(const T *key, const int64_t *ix, T *vals, int64_t *idx, int64_t rows, int64_t nout, int64_t P) {
    int64_t total = rows * nout;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < total;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t r = t / nout, i = t % nout;
        idx[t] = ix[r * P + i];
        if (vals) vals[t] = key[r * P + i];
    }
}

unsigned grid_for(int64_t work, int threads) {
    int64_t b = (work + threads - 1) / threads;
    if (b < 1) b = 1;
    if (b > 65535 * 16) b = 65535 * 16;
    return (unsigned)b;
}

template <typename T>
int sort_t(const void *xv, void *valsv, int64_t *idx, int64_t rows, int64_t n, int desc, void *keysv, int64_t *ix,
           const int64_t *src, int64_t nout) {
    const T *x = (const T *)xv;
    T *vals = (T *)valsv;
    int64_t P = ct__cuda_pow2(n);
    if (P <= CT_CUDA_SORT_SMALL) {
        int threads = P / 2 < 32 ? 32 : (int)(P / 2); // P / 2 pairs per step; at most 1024
        size_t sh = (size_t)P * (sizeof(int64_t) + sizeof(T));
        unsigned blocks = (unsigned)(rows < 65535 * 16 ? rows : 65535 * 16);
        CT_LAUNCH(sort_small<T>, blocks, threads, sh, stream(), x, vals, idx, rows, n, P, desc, src, nout);
        return launched("sort");
    }
    T *key = (T *)keysv;
    const int th = 256;
    CT_LAUNCH(sort_fill<T>, grid_for(rows * P, th), th, 0, stream(), x, key, ix, rows, n, P);
    if (launched("sort") < 0) return -1;
    for (int64_t k = 2; k <= P; k <<= 1)
        for (int64_t j = k >> 1; j > 0; j >>= 1) {
            CT_LAUNCH(sort_step<T>, grid_for(rows * (P / 2), th), th, 0, stream(), key, ix, rows, P, k, j, desc);
            if (launched("sort") < 0) return -1;
        }
    CT_LAUNCH(sort_out<T>, grid_for(rows * nout, th), th, 0, stream(), key, ix, vals, idx, rows, nout, P);
    return launched("sort");
}


// ---------------------------------------------------------------- topk
// The k best of each row by a radix select on order-preserving unsigned
// keys (larger key = earlier in the sorted order: NaN on top for largest,
// at the bottom for smallest; -0.0 keyed as 0.0, equal to it as on the
// CPU): 8 bits a pass from the top, a 256-bin histogram of the elements
// that match the digits chosen so far finds the digit of the k-th key K.
// Then every element with key > K and the first (by index) of those equal
// to K are compacted in index order, which makes the following stable sort
// of the k kept (ties by position) equal the CPU's stable order. One block
// per row.
constexpr int SEL_TH = 512;

template <typename T> struct RKey { typedef uint32_t U; };
template <> struct RKey<int64_t> { typedef uint64_t U; };
template <> struct RKey<double> { typedef uint64_t U; };

template <typename T> __device__ __forceinline__ typename RKey<T>::U rkey_raw(T v) {
    if (T(-1) < T(0)) return (uint32_t)(int32_t)v ^ 0x80000000u; // signed narrow integers
    return (uint32_t)v;                                          // bool, uint8
}
template <> __device__ __forceinline__ uint64_t rkey_raw<int64_t>(int64_t v) {
    return (uint64_t)v ^ 0x8000000000000000ull;
}
template <> __device__ __forceinline__ uint32_t rkey_raw<float>(float v) {
    if (v != v) return 0xffffffffu;
    if (v == 0.0f) v = 0.0f;
    uint32_t b = __float_as_uint(v);
    return (b & 0x80000000u) ? ~b : b | 0x80000000u;
}
template <> __device__ __forceinline__ uint64_t rkey_raw<double>(double v) {
    if (v != v) return 0xffffffffffffffffull;
    if (v == 0.0) v = 0.0;
    uint64_t b = (uint64_t)__double_as_longlong(v);
    return (b & 0x8000000000000000ull) ? ~b : b | 0x8000000000000000ull;
}
template <typename T> __device__ __forceinline__ typename RKey<T>::U rkey(T v, int largest) {
    typename RKey<T>::U k = rkey_raw<T>(v);
    return largest ? k : (typename RKey<T>::U)~k;
}

// Exclusive block-wide sums of two counts per thread (a, b); the chunk's
// totals land in tot[0], tot[1]. ws holds 2 * (SEL_TH / 32) counts.
__device__ void block_count2(unsigned a, unsigned b, unsigned *ea, unsigned *eb, unsigned *ws, unsigned *tot) {
    const int tid = threadIdx.x, lane = tid & 31, w = tid >> 5, nw = SEL_TH / 32;
    unsigned ia = a, ib = b;
    for (int d = 1; d < 32; d <<= 1) {
        unsigned ua = __shfl_up_sync(0xffffffffu, ia, d), ub = __shfl_up_sync(0xffffffffu, ib, d);
        if (lane >= d) {
            ia += ua;
            ib += ub;
        }
    }
    if (lane == 31) {
        ws[w] = ia;
        ws[nw + w] = ib;
    }
    __syncthreads();
    if (tid == 0) {
        unsigned ra = 0, rb = 0;
        for (int k = 0; k < nw; k++) {
            unsigned ta = ws[k], tb = ws[nw + k];
            ws[k] = ra;
            ws[nw + k] = rb;
            ra += ta;
            rb += tb;
        }
        tot[0] = ra;
        tot[1] = rb;
    }
    __syncthreads();
    *ea = ws[w] + ia - a;
    *eb = ws[nw + w] + ib - b;
}

template <typename T>
__global__ void __launch_bounds__(SEL_TH) topk_select(const T *x, T *vsel, int64_t *isel, int64_t rows, int64_t n, int64_t k, int largest) {
    typedef typename RKey<T>::U U;
    __shared__ unsigned long long hist[256];
    __shared__ U s_want, s_mask;
    __shared__ long long s_kk;
    __shared__ unsigned ws[2 * (SEL_TH / 32)], tot[2];
    const int tid = threadIdx.x;
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T *xr = x + row * n;
        if (tid == 0) {
            s_want = 0;
            s_mask = 0;
            s_kk = k;
        }
        for (int shift = 8 * (int)sizeof(U) - 8; shift >= 0; shift -= 8) {
            for (int j = tid; j < 256; j += SEL_TH) hist[j] = 0;
            __syncthreads();
            U want = s_want, mask = s_mask;
            for (int64_t i = tid; i < n; i += SEL_TH) {
                U key = rkey(xr[i], largest);
                if ((key & mask) == want) atomicAdd(&hist[(unsigned)(key >> shift) & 255u], 1ull);
            }
            __syncthreads();
            if (tid == 0) {
                long long kk = s_kk, above = 0;
                for (int d = 255; d >= 0; d--) {
                    long long h = (long long)hist[d];
                    if (above + h >= kk) {
                        s_want = want | ((U)d << shift);
                        s_mask = mask | ((U)255 << shift);
                        s_kk = kk - above;
                        break;
                    }
                    above += h;
                }
            }
            __syncthreads();
        }
        U K = s_want;
        long long keq = s_kk, kgt = k - keq, run_gt = 0, run_eq = 0;
        for (int64_t c0 = 0; c0 < n && (run_gt < kgt || run_eq < keq); c0 += SEL_TH) {
            int64_t i = c0 + tid;
            U key = i < n ? rkey(xr[i], largest) : (U)0;
            unsigned gt = i < n && key > K, eq = i < n && key == K, eg, ee;
            block_count2(gt, eq, &eg, &ee, ws, tot);
            if (gt) {
                vsel[row * k + run_gt + eg] = xr[i];
                isel[row * k + run_gt + eg] = i;
            } else if (eq && run_eq + ee < keq) {
                vsel[row * k + kgt + run_eq + ee] = xr[i];
                isel[row * k + kgt + run_eq + ee] = i;
            }
            run_gt += tot[0];
            run_eq += tot[1];
            __syncthreads(); // tot and ws are rewritten by the next chunk
        }
    }
}

template <typename T>
int topk_t(const void *x, void *vals, int64_t *idx, int64_t rows, int64_t n, int64_t k, int desc, void *vsel, int64_t *isel) {
    unsigned blocks = (unsigned)(rows < 65535 * 16 ? rows : 65535 * 16);
    CT_LAUNCH(topk_select<T>, blocks, SEL_TH, 0, stream(), (const T *)x, (T *)vsel, isel, rows, n, k, desc);
    if (launched("topk") < 0) return -1;
    return sort_t<T>(vsel, vals, idx, rows, k, desc, NULL, NULL, isel, k);
}

// ---------------------------------------------------------------- scans

template <typename T, typename ACC>
__global__ void scan_arith(const T *x, T *out, int64_t outer, int64_t L, int64_t inner, int prod) {
    int64_t lines = outer * inner;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < lines;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t base = (t / inner) * L * inner + t % inner;
        ACC acc = prod ? (ACC)1 : (ACC)0;
        for (int64_t i = 0; i < L; i++) {
            int64_t p = base + i * inner;
            if (prod) acc = acc * (ACC)x[p];
            else acc = acc + (ACC)x[p];
            out[p] = (T)acc;
        }
    }
}

// cummax (mx) / cummin: ties move the index forward, a NaN sticks.
template <typename T>
__global__ void scan_ext(const T *x, T *out, int64_t *idx, int64_t outer, int64_t L, int64_t inner, int mx) {
    int64_t lines = outer * inner;
    for (int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; t < lines;
         t += (int64_t)gridDim.x * blockDim.x) {
        int64_t base = (t / inner) * L * inner + t % inner;
        T best = x[base];
        int64_t bi = 0;
        for (int64_t i = 0; i < L; i++) {
            int64_t p = base + i * inner;
            T v = x[p];
            bool better = mx ? (v >= best || v != v) : (v <= best || v != v);
            if (better) {
                best = v;
                bi = i;
            }
            out[p] = best;
            idx[p] = bi;
        }
    }
}

// Block-parallel scan of long lines, in three passes over tiles of
// SCAN_TILE elements of one line: (1) every tile's total, (2) per line, the
// exclusive running total of its tiles, (3) every tile rescanned from that
// prefix. Inside a tile each thread scans SCAN_IT consecutive elements, a
// warp scans its threads' totals with shuffles, and warp 0 scans the warp
// totals. The state of a scan is an Op::V combined by Op::comb(left, right),
// an associative operation: a sum or product in the accumulator type, or
// (value, index) pairs for cummax/cummin, whose combine gives the result of
// the CPU's sequential rule (the later of equal extremes, the last NaN).
constexpr int SCAN_TH = 256, SCAN_IT = 8, SCAN_TILE = SCAN_TH * SCAN_IT;

template <typename T, typename ACC, int PROD> struct ArithOp {
    typedef ACC V;
    __device__ static V ident() { return PROD ? (ACC)1 : (ACC)0; }
    __device__ static V load(const T *x, int64_t p, int64_t) { return (ACC)x[p]; }
    __device__ static V comb(V a, V b) { return PROD ? a * b : a + b; }
    __device__ static void store(T *out, int64_t *, int64_t p, V v) { out[p] = (T)v; }
};

template <typename T> struct Ext {
    T v;
    long long i; // < 0: empty (the identity)
};

template <typename T, int MX> struct ExtOp {
    typedef Ext<T> V;
    __device__ static V ident() {
        V e;
        e.v = T(0);
        e.i = -1;
        return e;
    }
    __device__ static V load(const T *x, int64_t p, int64_t i) {
        V e;
        e.v = x[p];
        e.i = i;
        return e;
    }
    __device__ static V comb(V a, V b) {
        if (b.i < 0) return a;
        if (a.i < 0) return b;
        if (b.v != b.v) return b; // false for integers
        if (a.v != a.v) return a;
        return (MX ? b.v >= a.v : b.v <= a.v) ? b : a;
    }
    __device__ static void store(T *out, int64_t *idx, int64_t p, V v) {
        out[p] = v.v;
        idx[p] = v.i;
    }
};

// Shuffles of any state of at most 16 bytes, as 64-bit words.
template <typename V> __device__ __forceinline__ V shfl_up(V v, int d) {
    constexpr int W = (int)((sizeof(V) + 7) / 8);
    unsigned long long w[W];
    memcpy(w, &v, sizeof(V));
    for (int k = 0; k < W; k++) w[k] = __shfl_up_sync(0xffffffffu, w[k], d);
    V r;
    memcpy(&r, w, sizeof(V));
    return r;
}

// Inclusive scan of sm[0 .. SCAN_TILE) in place (the block's tile, already
// in shared memory), every element combined with *carry first; *carry
// becomes the tile's last value. warp holds SCAN_TH / 32 + 1 states.
template <class Op>
__device__ void tile_scan(typename Op::V *sm, typename Op::V *warp, typename Op::V *carry) {
    typedef typename Op::V V;
    const int tid = threadIdx.x, lane = tid & 31, w = tid >> 5, nw = SCAN_TH / 32;
    V v[SCAN_IT];
    for (int j = 0; j < SCAN_IT; j++) v[j] = sm[tid * SCAN_IT + j];
    for (int j = 1; j < SCAN_IT; j++) v[j] = Op::comb(v[j - 1], v[j]);
    V incl = v[SCAN_IT - 1]; // this thread's total, then the warp's inclusive scan of them
    for (int d = 1; d < 32; d <<= 1) {
        V up = shfl_up(incl, d);
        if (lane >= d) incl = Op::comb(up, incl);
    }
    V excl = shfl_up(incl, 1);
    if (lane == 0) excl = Op::ident();
    if (lane == 31) warp[w] = incl;
    __syncthreads();
    if (tid == 0) {
        V run = *carry;
        for (int k = 0; k < nw; k++) {
            V t = warp[k];
            warp[k] = run;
            run = Op::comb(run, t);
        }
        warp[nw] = run;
    }
    __syncthreads();
    V pre = Op::comb(warp[w], excl);
    for (int j = 0; j < SCAN_IT; j++) sm[tid * SCAN_IT + j] = Op::comb(pre, v[j]);
    __syncthreads();
    if (tid == 0) *carry = warp[nw];
    __syncthreads();
}

// Pass 1 (pre == NULL): tot[line * nt + tile] = the tile's total. Pass 3:
// the tile rescanned from pre[line * nt + tile] and written out.
template <typename T, class Op>
__global__ void __launch_bounds__(SCAN_TH) scan_tiles(const T *x, T *out, int64_t *idx, int64_t outer, int64_t L, int64_t inner,
                                                      int64_t nt, typename Op::V *tot, const typename Op::V *pre) {
    typedef typename Op::V V;
    __shared__ V sm[SCAN_TILE];
    __shared__ V warp[SCAN_TH / 32 + 1];
    __shared__ V carry;
    int64_t nblk = outer * inner * nt;
    for (int64_t b = blockIdx.x; b < nblk; b += gridDim.x) {
        int64_t line = b / nt, tile = b % nt;
        int64_t base = (line / inner) * L * inner + line % inner, i0 = tile * SCAN_TILE;
        for (int j = threadIdx.x; j < SCAN_TILE; j += SCAN_TH) {
            int64_t i = i0 + j;
            sm[j] = i < L ? Op::load(x, base + i * inner, i) : Op::ident();
        }
        if (threadIdx.x == 0) carry = pre ? pre[b] : Op::ident();
        __syncthreads();
        tile_scan<Op>(sm, warp, &carry);
        if (!pre) {
            if (threadIdx.x == 0) tot[b] = carry;
        } else {
            for (int j = threadIdx.x; j < SCAN_TILE; j += SCAN_TH) {
                int64_t i = i0 + j;
                if (i < L) Op::store(out, idx, base + i * inner, sm[j]);
            }
        }
        __syncthreads(); // sm and carry are refilled for the next tile
    }
}

// Pass 2: pre[line * nt + t] = the combined totals of the line's tiles
// before t (one block per line, SCAN_TILE tiles at a time).
template <class Op>
__global__ void __launch_bounds__(SCAN_TH) scan_totals(const typename Op::V *tot, typename Op::V *pre, int64_t lines, int64_t nt) {
    typedef typename Op::V V;
    __shared__ V sm[SCAN_TILE];
    __shared__ V warp[SCAN_TH / 32 + 1];
    __shared__ V carry;
    for (int64_t line = blockIdx.x; line < lines; line += gridDim.x) {
        if (threadIdx.x == 0) carry = Op::ident();
        __syncthreads();
        for (int64_t c0 = 0; c0 < nt; c0 += SCAN_TILE) {
            V before = carry; // every thread reads it before tile_scan moves it
            for (int j = threadIdx.x; j < SCAN_TILE; j += SCAN_TH)
                sm[j] = c0 + j < nt ? tot[line * nt + c0 + j] : Op::ident();
            __syncthreads();
            tile_scan<Op>(sm, warp, &carry);
            for (int j = threadIdx.x; j < SCAN_TILE; j += SCAN_TH)
                if (c0 + j < nt) pre[line * nt + c0 + j] = j == 0 ? before : sm[j - 1];
            __syncthreads();
        }
    }
}

template <typename T, class Op>
int scan_long(const void *xv, void *outv, int64_t *idx, int64_t outer, int64_t L, int64_t inner, void *scratch) {
    typedef typename Op::V V;
    const T *x = (const T *)xv;
    T *out = (T *)outv;
    int64_t lines = outer * inner, nt = (L + SCAN_TILE - 1) / SCAN_TILE;
    V *tot = (V *)scratch, *pre = tot + lines * nt;
    unsigned g = (unsigned)(lines * nt < 65535 * 16 ? lines * nt : 65535 * 16);
    unsigned gl = (unsigned)(lines < 65535 * 16 ? lines : 65535 * 16);
    CT_LAUNCH((scan_tiles<T, Op>), g, SCAN_TH, 0, stream(), x, out, idx, outer, L, inner, nt, tot, (const V *)NULL);
    if (launched("scan") < 0) return -1;
    CT_LAUNCH(scan_totals<Op>, gl, SCAN_TH, 0, stream(), tot, pre, lines, nt);
    if (launched("scan") < 0) return -1;
    CT_LAUNCH((scan_tiles<T, Op>), g, SCAN_TH, 0, stream(), x, out, idx, outer, L, inner, nt, tot, pre);
    return launched("scan");
}

// Long lines go to the block-parallel scan unless there are enough lines
// to keep the GPU busy with a thread each (and their loads coalesce,
// inner > 1).
bool scan_is_long(int64_t outer, int64_t L, int64_t inner) {
    return L >= CT_CUDA_SCAN_LONG && (inner == 1 || outer * inner < 8192);
}

template <typename T, typename ACC>
int scan_t(int kind, const void *x, void *out, int64_t *idx, int64_t outer, int64_t L, int64_t inner, void *scratch) {
    if (scan_is_long(outer, L, inner)) {
        switch (kind) {
        case 0: return scan_long<T, ArithOp<T, ACC, 0> >(x, out, idx, outer, L, inner, scratch);
        case 1: return scan_long<T, ArithOp<T, ACC, 1> >(x, out, idx, outer, L, inner, scratch);
        case 2: return scan_long<T, ExtOp<T, 1> >(x, out, idx, outer, L, inner, scratch);
        default: return scan_long<T, ExtOp<T, 0> >(x, out, idx, outer, L, inner, scratch);
        }
    }
    const int th = 256;
    unsigned g = grid_for(outer * inner, th);
    if (kind <= 1)
        CT_LAUNCH((scan_arith<T, ACC>), g, th, 0, stream(), (const T *)x, (T *)out, outer, L, inner, kind == 1);
    else
        CT_LAUNCH(scan_ext<T>, g, th, 0, stream(), (const T *)x, (T *)out, idx, outer, L, inner, kind == 2);
    return launched("scan");
}

// Bytes of one scan state: the accumulator, or an Ext<T> pair.
size_t scan_state_size(int kind) { return kind <= 1 ? 8 : 16; }
static_assert(sizeof(Ext<bool>) == 16 && sizeof(Ext<int16_t>) == 16 && sizeof(Ext<double>) == 16,
              "scan_state_size matches Ext<T>");

} // namespace

extern "C" int ct__cuda_sort_launch(int dt, const void *x, void *vals, int64_t *idx, int64_t rows, int64_t n,
                                    int64_t nout, int desc, void *keys, int64_t *ix) {
    if (rows <= 0 || n <= 0 || nout <= 0) return 0;
    switch (dt) {
    case D_BOOL: return sort_t<bool>(x, vals, idx, rows, n, desc, keys, ix, NULL, nout);
    case D_U8: return sort_t<uint8_t>(x, vals, idx, rows, n, desc, keys, ix, NULL, nout);
    case D_I8: return sort_t<int8_t>(x, vals, idx, rows, n, desc, keys, ix, NULL, nout);
    case D_I16: return sort_t<int16_t>(x, vals, idx, rows, n, desc, keys, ix, NULL, nout);
    case D_I32: return sort_t<int32_t>(x, vals, idx, rows, n, desc, keys, ix, NULL, nout);
    case D_I64: return sort_t<int64_t>(x, vals, idx, rows, n, desc, keys, ix, NULL, nout);
    case D_F32: return sort_t<float>(x, vals, idx, rows, n, desc, keys, ix, NULL, nout);
    case D_F64: return sort_t<double>(x, vals, idx, rows, n, desc, keys, ix, NULL, nout);
    }
    ct_set_error(3 /* CT_ERR_TYPE */, "sort: dtype %d has no CUDA kernel", dt);
    return -1;
}

extern "C" int ct__cuda_topk_launch(int dt, const void *x, void *vals, int64_t *idx, int64_t rows, int64_t n,
                                    int64_t k, int largest, void *vsel, int64_t *isel) {
    if (rows <= 0 || n <= 0 || k <= 0) return 0;
    switch (dt) {
    case D_BOOL: return topk_t<bool>(x, vals, idx, rows, n, k, largest, vsel, isel);
    case D_U8: return topk_t<uint8_t>(x, vals, idx, rows, n, k, largest, vsel, isel);
    case D_I8: return topk_t<int8_t>(x, vals, idx, rows, n, k, largest, vsel, isel);
    case D_I16: return topk_t<int16_t>(x, vals, idx, rows, n, k, largest, vsel, isel);
    case D_I32: return topk_t<int32_t>(x, vals, idx, rows, n, k, largest, vsel, isel);
    case D_I64: return topk_t<int64_t>(x, vals, idx, rows, n, k, largest, vsel, isel);
    case D_F32: return topk_t<float>(x, vals, idx, rows, n, k, largest, vsel, isel);
    case D_F64: return topk_t<double>(x, vals, idx, rows, n, k, largest, vsel, isel);
    }
    ct_set_error(3 /* CT_ERR_TYPE */, "topk: dtype %d has no CUDA kernel", dt);
    return -1;
}

extern "C" int64_t ct__cuda_scan_scratch(int dt, int kind, int64_t outer, int64_t L, int64_t inner) {
    if (outer <= 0 || L <= 0 || inner <= 0 || !scan_is_long(outer, L, inner)) return 0;
    int64_t nt = (L + SCAN_TILE - 1) / SCAN_TILE;
    return 2 * outer * inner * nt * (int64_t)scan_state_size(kind);
}

extern "C" int ct__cuda_scan_launch(int dt, int kind, const void *x, void *out, int64_t *idx, int64_t outer,
                                    int64_t L, int64_t inner, void *scratch) {
    if (outer <= 0 || L <= 0 || inner <= 0) return 0;
    switch (dt) {
    case D_BOOL: return scan_t<bool, uint64_t>(kind, x, out, idx, outer, L, inner, scratch);
    case D_U8: return scan_t<uint8_t, uint64_t>(kind, x, out, idx, outer, L, inner, scratch);
    case D_I8: return scan_t<int8_t, uint64_t>(kind, x, out, idx, outer, L, inner, scratch);
    case D_I16: return scan_t<int16_t, uint64_t>(kind, x, out, idx, outer, L, inner, scratch);
    case D_I32: return scan_t<int32_t, uint64_t>(kind, x, out, idx, outer, L, inner, scratch);
    case D_I64: return scan_t<int64_t, uint64_t>(kind, x, out, idx, outer, L, inner, scratch);
    case D_F32: return scan_t<float, double>(kind, x, out, idx, outer, L, inner, scratch);
    case D_F64: return scan_t<double, double>(kind, x, out, idx, outer, L, inner, scratch);
    }
    ct_set_error(3 /* CT_ERR_TYPE */, "scan: dtype %d has no CUDA kernel", dt);
    return -1;
}
