// Shape, indexing and counting kernels (host side: shape.c): the band
// zeroing of tril/triu, a two-pass stream compaction (nonzero,
// masked_scatter, unique), take, searchsorted, histograms (histc,
// histogram) and isclose. Plain CUDA C++: shared memory and __syncthreads,
// atomicAdd/atomicCAS only.
#include <cuda_runtime.h>
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>

#include "cuda/shape_kern.h"
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

unsigned grid_for(int64_t n, int th) {
    int64_t b = (n + th - 1) / th;
    if (b > 65535 * 8) b = 65535 * 8;
    return (unsigned)(b > 0 ? b : 1);
}

// Storage types of float16/bfloat16 elements (their bits).
struct h16 { unsigned short b; };
struct b16 { unsigned short b; };

__device__ __forceinline__ float to_f(h16 v) { __half_raw r; r.x = v.b; return __half2float(__half(r)); }
__device__ __forceinline__ float to_f(b16 v) { __nv_bfloat16_raw r; r.x = v.b; return __bfloat162float(__nv_bfloat16(r)); }

template <typename T> __device__ __forceinline__ bool nonzero(T v) { return v != (T)0; }
template <> __device__ __forceinline__ bool nonzero<h16>(h16 v) { return (v.b & 0x7fff) != 0; }
template <> __device__ __forceinline__ bool nonzero<b16>(b16 v) { return (v.b & 0x7fff) != 0; }
template <typename T> __device__ __forceinline__ bool same(T a, T b) { return a == b; }
template <> __device__ __forceinline__ bool same<h16>(h16 a, h16 b) { return to_f(a) == to_f(b); }
template <> __device__ __forceinline__ bool same<b16>(b16 a, b16 b) { return to_f(a) == to_f(b); }

__device__ __forceinline__ void copy_elem(char *d, const char *s, int esz) {
    switch (esz) {
    case 1: *(uint8_t *)d = *(const uint8_t *)s; break;
    case 2: *(uint16_t *)d = *(const uint16_t *)s; break;
    case 4: *(uint32_t *)d = *(const uint32_t *)s; break;
    default: *(uint64_t *)d = *(const uint64_t *)s; break;
    }
}

// ------------------------------------------------------------------ tri
__global__ void tri_kernel(char *p, int64_t numel, int64_t rows, int64_t cols, int esz, int64_t k,
                           int upper) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < numel;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t c = i % cols, r = (i / cols) % rows;
        bool keep = upper ? c - r >= k : c - r <= k;
        if (keep) continue;
        char *d = p + i * esz;
        switch (esz) {
        case 1: *(uint8_t *)d = 0; break;
        case 2: *(uint16_t *)d = 0; break;
        case 4: *(uint32_t *)d = 0; break;
        default: *(uint64_t *)d = 0; break;
        }
    }
}

// ------------------------------------------------------------------ compaction
template <typename T>
__device__ __forceinline__ bool flagged(const ct_cuda_compact &a, const T *x, int64_t i) {
    if (a.kind == CT_CUDA_CMP_NONZERO) return nonzero<T>(x[i]);
    return i == 0 || !same<T>(x[i], x[i - 1]);
}

// Exclusive scan of one value per thread (blockDim.x == CT_CUDA_CMP_THREADS)
// in the shared array s; *total gets the block's sum.
__device__ long long block_exclusive(long long *s, long long v, long long *total) {
    const int t = threadIdx.x;
    s[t] = v;
    __syncthreads();
    for (int d = 1; d < CT_CUDA_CMP_THREADS; d <<= 1) {
        long long u = t >= d ? s[t - d] : 0;
        __syncthreads();
        s[t] += u;
        __syncthreads();
    }
    long long incl = s[t];
    *total = s[CT_CUDA_CMP_THREADS - 1];
    __syncthreads();
    return incl - v;
}

template <typename T> __global__ void compact_kernel(ct_cuda_compact a, int pass) {
    const T *x = (const T *)a.x;
    const int64_t b0 = (int64_t)blockIdx.x * CT_CUDA_CMP_CHUNK;
    const int64_t lo = b0 + (int64_t)threadIdx.x * CT_CUDA_CMP_PER_THREAD;
    int64_t hi = lo + CT_CUDA_CMP_PER_THREAD;
    if (hi > a.n) hi = a.n;
    long long c = 0;
    for (int64_t i = lo; i < hi; i++) c += flagged<T>(a, x, i);
    __shared__ long long sh[CT_CUDA_CMP_THREADS];
    long long total;
    long long excl = block_exclusive(sh, c, &total);
    if (pass == 1) {
        if (threadIdx.x == 0) a.blk[blockIdx.x] = total;
        return;
    }
    int64_t r = a.blk[blockIdx.x] + excl; // rank of the next flagged element
    for (int64_t i = lo; i < hi; i++) {
        if (flagged<T>(a, x, i)) {
            if (a.pos) {
                if (a.nd > 0) {
                    int64_t rem = i;
                    for (int k = a.nd - 1; k >= 0; k--) {
                        a.pos[r * a.nd + k] = rem % a.sizes[k];
                        rem /= a.sizes[k];
                    }
                } else {
                    a.pos[r] = i;
                }
            }
            if (a.dst) copy_elem((char *)a.dst + i * a.esz, (const char *)a.src + r * a.esz, a.esz);
            r++;
        }
        if (a.rank) a.rank[i] = r - 1;
    }
}

// ------------------------------------------------------------------ take
__global__ void take_kernel(char *out, const char *x, const int64_t *idx, int64_t m, int64_t n,
                            int esz, int64_t *err) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < m;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t v = idx[i], j = v < 0 ? v + n : v;
        if (j < 0 || j >= n) {
            if (atomicCAS((unsigned long long *)err, 0ull, 1ull) == 0ull) err[1] = v;
            continue;
        }
        copy_elem(out + i * esz, x + j * esz, esz);
    }
}

// ------------------------------------------------------------------ searchsorted
// PyTorch's bounds: left goes right while seq[mid] < v, right while
// seq[mid] <= v, both written as negations so NaNs behave as on the CPU.
template <typename T>
__global__ void search_kernel(const T *seq, const T *vals, void *out, int64_t n, int64_t nv,
                              int64_t inner, int batched, int right, int o32) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < nv;
         i += (int64_t)gridDim.x * blockDim.x) {
        const T *row = batched ? seq + (i / inner) * n : seq;
        T v = vals[i];
        int64_t lo = 0, hi = n;
        while (lo < hi) {
            int64_t mid = lo + ((hi - lo) >> 1);
            bool go_right = right ? !(row[mid] > v) : !(row[mid] >= v);
            if (go_right) lo = mid + 1;
            else hi = mid;
        }
        if (o32) ((int32_t *)out)[i] = (int32_t)lo;
        else ((int64_t *)out)[i] = lo;
    }
}

// ------------------------------------------------------------------ histograms
// The bin of v, or -1 (the CPU loops of src/ops/sort_count.c, in T).
template <typename T>
__device__ int64_t bin_of(T v, int mode, const T *e, int64_t nb, T lo, T hi) {
    if (mode == CT_CUDA_HIST_HISTC) {
        if (!(v >= lo && v <= hi)) return -1;
        int64_t pos = (int64_t)((v - lo) * (T)nb / (hi - lo));
        return pos >= nb ? nb - 1 : pos;
    }
    lo = e[0];
    hi = e[nb];
    if (!(v >= lo && v <= hi)) return -1;
    int64_t first = 0, last = nb + 1;
    if (mode == CT_CUDA_HIST_LINEAR) {
        int64_t pos = (int64_t)((v - lo) * (T)nb / (hi - lo));
        first = pos - 1 > 0 ? pos - 1 : 0;
        last = pos + 2 < nb + 1 ? pos + 2 : nb + 1;
    }
    int64_t len = last - first; // std::upper_bound over e[first, last)
    while (len > 0) {
        int64_t half = len / 2;
        if (!(v < e[first + half])) {
            first += half + 1;
            len -= half + 1;
        } else {
            len = half;
        }
    }
    int64_t pos = first - 1;
    if (pos == nb) pos = nb - 1;
    return pos;
}

template <typename T>
__global__ void hist_kernel(const T *x, const T *w, int64_t n, int mode, const T *e, int64_t nb,
                            T lo, T hi, double *acc) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t b = bin_of<T>(x[i], mode, e, nb, lo, hi);
        if (b >= 0) atomicAdd(acc + b, w ? (double)w[i] : 1.0);
    }
}

// ------------------------------------------------------------------ isclose
__device__ double load_f64(const char *p, int dt) {
    switch (dt) {
    case D_BOOL: case D_U8: return (double)*(const uint8_t *)p;
    case D_I8: return (double)*(const int8_t *)p;
    case D_I16: return (double)*(const int16_t *)p;
    case D_I32: return (double)*(const int32_t *)p;
    case D_I64: return (double)*(const long long *)p;
    case D_F16: return (double)to_f(*(const h16 *)p);
    case D_BF16: return (double)to_f(*(const b16 *)p);
    case D_F32: return (double)*(const float *)p;
    default: return *(const double *)p;
    }
}
__device__ __forceinline__ int dsize(int dt) {
    return dt <= D_I8 ? 1 : dt == D_I16 || dt == D_F16 || dt == D_BF16 ? 2 : dt == D_I32 || dt == D_F32 ? 4 : 8;
}

template <typename C> __global__ void close_kernel(ct_cuda_close c) {
    const int sz = dsize(c.dt);
    const C rtol = (C)c.rtol, atol = (C)c.atol;
    const bool tol = c.rtol != 0 || c.atol != 0;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < c.numel;
         i += (int64_t)gridDim.x * blockDim.x) {
        int64_t rem = i, oa = 0, ob = 0;
        for (int k = c.nd - 1; k >= 0; k--) {
            int64_t q = rem % c.sizes[k];
            rem /= c.sizes[k];
            oa += q * c.st_a[k];
            ob += q * c.st_b[k];
        }
        C a = (C)load_f64((const char *)c.a + oa * sz, c.dt);
        C b = (C)load_f64((const char *)c.b + ob * sz, c.dt);
        bool close = a == b || (c.equal_nan && a != a && b != b);
        if (!close && tol) {
            C d = fabs(a - b);
            close = isfinite(d) && d <= atol + fabs(rtol * b);
        }
        c.out[i] = close;
    }
}

template <typename T> int compact_as(const ct_cuda_compact *a, int pass) {
    int64_t blocks = (a->n + CT_CUDA_CMP_CHUNK - 1) / CT_CUDA_CMP_CHUNK;
    CT_LAUNCH(compact_kernel<T>, (unsigned)blocks, CT_CUDA_CMP_THREADS, 0, stream(), *a, pass);
    return launched("compaction");
}

template <typename T>
int search_as(const void *seq, const void *vals, void *out, int64_t n, int64_t nv, int64_t inner,
              int batched, int right, int o32) {
    CT_LAUNCH(search_kernel<T>, grid_for(nv, 256), 256, 0, stream(), (const T *)seq, (const T *)vals, out, n,
                                                              nv, inner, batched, right, o32);
    return launched("searchsorted");
}

} // namespace

extern "C" int ct__cuda_tri_launch(void *data, int64_t numel, int64_t rows, int64_t cols, int esz,
                                   int64_t k, int upper) {
    if (numel <= 0) return 0;
    CT_LAUNCH(tri_kernel, grid_for(numel, 256), 256, 0, stream(), (char *)data, numel, rows, cols, esz, k, upper);
    return launched("tril/triu");
}

extern "C" int ct__cuda_compact_launch(const ct_cuda_compact *a, int pass) {
    if (a->n <= 0) return 0;
    switch (a->dt) {
    case D_BOOL: case D_U8: return compact_as<uint8_t>(a, pass);
    case D_I8: return compact_as<int8_t>(a, pass);
    case D_I16: return compact_as<int16_t>(a, pass);
    case D_I32: return compact_as<int32_t>(a, pass);
    case D_I64: return compact_as<long long>(a, pass);
    case D_F16: return compact_as<h16>(a, pass);
    case D_BF16: return compact_as<b16>(a, pass);
    case D_F32: return compact_as<float>(a, pass);
    case D_F64: return compact_as<double>(a, pass);
    default: ct_set_error(1, "compaction: unknown dtype %d", a->dt); return -1;
    }
}

extern "C" int ct__cuda_take_launch(void *out, const void *x, const int64_t *idx, int64_t m, int64_t n,
                                    int esz, int64_t *err) {
    if (m <= 0) return 0;
    CT_LAUNCH(take_kernel, grid_for(m, 256), 256, 0, stream(), (char *)out, (const char *)x, idx, m, n, esz, err);
    return launched("take");
}

extern "C" int ct__cuda_searchsorted_launch(int dt, const void *seq, const void *vals, void *out,
                                            int64_t n, int64_t nv, int64_t inner, int batched,
                                            int right, int o32) {
    if (nv <= 0) return 0;
    switch (dt) {
    case D_BOOL: case D_U8: return search_as<uint8_t>(seq, vals, out, n, nv, inner, batched, right, o32);
    case D_I8: return search_as<int8_t>(seq, vals, out, n, nv, inner, batched, right, o32);
    case D_I16: return search_as<int16_t>(seq, vals, out, n, nv, inner, batched, right, o32);
    case D_I32: return search_as<int32_t>(seq, vals, out, n, nv, inner, batched, right, o32);
    case D_I64: return search_as<long long>(seq, vals, out, n, nv, inner, batched, right, o32);
    case D_F32: return search_as<float>(seq, vals, out, n, nv, inner, batched, right, o32);
    case D_F64: return search_as<double>(seq, vals, out, n, nv, inner, batched, right, o32);
    default: ct_set_error(1, "searchsorted: unsupported dtype %d", dt); return -1;
    }
}

extern "C" int ct__cuda_hist_launch(int dt, int mode, const void *x, const void *w, int64_t n,
                                    const void *e, int64_t nb, double lo, double hi, double *acc) {
    if (n <= 0 || nb <= 0) return 0;
    if (dt == D_F32)
        CT_LAUNCH(hist_kernel<float>, grid_for(n, 256), 256, 0, stream(), (const float *)x, (const float *)w, n,
                                                                  mode, (const float *)e, nb,
                                                                  (float)lo, (float)hi, acc);
    else
        CT_LAUNCH(hist_kernel<double>, grid_for(n, 256), 256, 0, stream(), (const double *)x, (const double *)w,
                                                                   n, mode, (const double *)e, nb, lo,
                                                                   hi, acc);
    return launched("histogram");
}

extern "C" int ct__cuda_isclose_launch(const ct_cuda_close *c) {
    if (c->numel <= 0) return 0;
    if (c->dbl) CT_LAUNCH(close_kernel<double>, grid_for(c->numel, 256), 256, 0, stream(), *c);
    else CT_LAUNCH(close_kernel<float>, grid_for(c->numel, 256), 256, 0, stream(), *c);
    return launched("isclose");
}
