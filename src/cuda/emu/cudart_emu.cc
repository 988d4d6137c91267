/* The CUDA runtime API of the CPU emulator: exactly the cuda* functions
 * ctorch calls, with the prototypes of the real cuda_runtime_api.h.
 *
 * Devices: CT_CUDA_EMU_DEVICES of them (default 2, so that multi-device
 * code runs), each with its own 8 GiB of "device memory" in host memory.
 * Work is synchronous: a kernel or copy has finished when its call returns,
 * which is one legal schedule of a stream; events take their time when
 * recorded. What a GPU would reject is rejected, with the reason appended
 * to cudaGetErrorString until the error is read:
 *   - kernel launches: bad configurations, a stream of another device (or
 *     a destroyed one), pointer arguments that are host memory or another
 *     device's memory;
 *   - copies and memsets: ranges outside allocations, a kind that does not
 *     match the pointers;
 *   - events recorded on a stream of another device, timing with events
 *     not recorded or created with cudaEventDisableTiming.
 * Fresh device memory is filled with 0xff bytes (NaN for floats, -1 for
 * integers), so reading memory never written shows up in results; freed
 * memory too before it goes back to the heap. */
#include "cuda/emu/emu_internal.hh"

#include <cuda_runtime_api.h>

#include <map>
#include <mutex>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <string>
#include <time.h>

namespace ct_emu {
namespace {

constexpr uint32_t STREAM_LIVE = 0x5354524d, EVENT_LIVE = 0x45564e54, DEAD = 0xdeadbeef;
constexpr int MAX_DEV = 16;

struct Stream {
    uint32_t magic;
    int device, priority;
};
struct Event {
    uint32_t magic;
    int device;
    unsigned flags;
    bool recorded;
    double ms;
};
struct Alloc {
    size_t size;
    int device; /* -2: pinned host memory */
};

std::mutex mu;
std::map<uintptr_t, Alloc> allocs;
size_t used[MAX_DEV];
size_t mem_limit = (size_t)8 << 30;

thread_local int cur_dev;
thread_local cudaError_t last_error = cudaSuccess;
thread_local char detail[512];

int ndevices() {
    static int n = -1;
    if (n < 0) {
        const char *e = getenv("CT_CUDA_EMU_DEVICES");
        n = e ? atoi(e) : 2;
        if (n < 0) n = 0;
        if (n > MAX_DEV) n = MAX_DEV;
    }
    return n;
}

cudaError_t fail(cudaError_t code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
cudaError_t fail(cudaError_t code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    last_error = code;
    return code;
}

double now_ms() {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

int device_of_locked(const void *p, size_t n) {
    uintptr_t a = (uintptr_t)p;
    auto it = allocs.upper_bound(a);
    if (it == allocs.begin()) return -1;
    --it;
    if (a + n > it->first + it->second.size) return -1;
    if (n == 0 && a > it->first + it->second.size) return -1;
    return it->second.device;
}

const char *name_of(cudaError_t e) {
    switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorNotReady: return "device not ready";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorNotSupported: return "operation not supported";
    default: return "unrecognized error code";
    }
}

/* the pointer range of a copy: kind says where each side must live */
cudaError_t check_side(const void *p, size_t n, bool device, const char *what, const char *side) {
    int d = device_of(p, n);
    if (device && d < 0)
        return fail(cudaErrorInvalidValue, "%s: %s %p (+%zu bytes) is not device memory", what, side, p, n);
    if (!device && d >= 0)
        return fail(cudaErrorInvalidValue, "%s: %s %p is device memory of device %d, the copy kind says host",
                    what, side, p, d);
    return cudaSuccess;
}

cudaError_t check_copy(void *dst, const void *src, size_t n, cudaMemcpyKind kind, const char *what) {
    if (n == 0) return cudaSuccess;
    if (!dst || !src) return fail(cudaErrorInvalidValue, "%s: NULL pointer", what);
    bool dd, sd;
    switch (kind) {
    case cudaMemcpyHostToHost: dd = sd = false; break;
    case cudaMemcpyHostToDevice: dd = true, sd = false; break;
    case cudaMemcpyDeviceToHost: dd = false, sd = true; break;
    case cudaMemcpyDeviceToDevice: dd = sd = true; break;
    case cudaMemcpyDefault: return cudaSuccess;
    default: return fail(cudaErrorInvalidMemcpyDirection, "%s: kind %d", what, (int)kind);
    }
    /* pinned host memory is host memory for the kinds */
    cudaError_t e = check_side(dst, n, dd, what, "destination");
    if (e == cudaSuccess) e = check_side(src, n, sd, what, "source");
    return e;
}

cudaError_t check_stream(cudaStream_t s, const char *what) {
    if (stream_device(s) < 0) return fail(cudaErrorInvalidResourceHandle, "%s: %p is not a live stream", what, (void *)s);
    return cudaSuccess;
}

} // namespace

void launch_error(cudaError_t code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    last_error = code;
}

int current_device() { return cur_dev; }

int device_of(const void *p, size_t n) {
    std::lock_guard<std::mutex> g(mu);
    return device_of_locked(p, n);
}

int stream_device(cudaStream_t s) {
    if (s == nullptr || s == cudaStreamLegacy || s == cudaStreamPerThread) return cur_dev;
    const Stream *st = (const Stream *)s;
    return st->magic == STREAM_LIVE ? st->device : -1;
}

int check_launch(const char *name, cudaStream_t stream, const void *const *ptrs, int nptr) {
    if (ndevices() == 0) {
        launch_error(cudaErrorNoDevice, "kernel %s", name);
        return -1;
    }
    int sd = stream_device(stream);
    if (sd < 0) {
        launch_error(cudaErrorInvalidResourceHandle, "kernel %s: %p is not a live stream", name, (void *)stream);
        return -1;
    }
    if (sd != cur_dev) {
        launch_error(cudaErrorInvalidResourceHandle,
                     "kernel %s launched on device %d into a stream of device %d", name, cur_dev, sd);
        return -1;
    }
    for (int i = 0; i < nptr; i++) {
        if (!ptrs[i]) continue;
        int d = device_of(ptrs[i], 0);
        if (d == -1) {
            launch_error(cudaErrorIllegalAddress, "kernel %s: pointer argument %p is not device memory",
                         name, ptrs[i]);
            return -1;
        }
        if (d >= 0 && d != cur_dev) {
            launch_error(cudaErrorIllegalAddress,
                         "kernel %s on device %d: pointer argument %p is memory of device %d", name,
                         cur_dev, ptrs[i], d);
            return -1;
        }
    }
    return 0;
}

} // namespace ct_emu

using namespace ct_emu;

/* The emulator's own controls, for its tests (tests/c/test_cuda_emu.c). */
extern "C" size_t ct__cuda_emu_set_memory_limit(size_t bytes) {
    std::lock_guard<std::mutex> g(mu);
    size_t old = mem_limit;
    mem_limit = bytes;
    return old;
}

extern "C" {

cudaError_t cudaGetDeviceCount(int *count) {
    *count = ndevices();
    if (!*count) return fail(cudaErrorNoDevice, "CT_CUDA_EMU_DEVICES=0");
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
    if (device < 0 || device >= ndevices())
        return fail(cudaErrorInvalidDevice, "cudaSetDevice(%d) with %d devices", device, ndevices());
    cur_dev = device;
    return cudaSuccess;
}

cudaError_t cudaGetDevice(int *device) {
    if (!ndevices()) return fail(cudaErrorNoDevice, "CT_CUDA_EMU_DEVICES=0");
    *device = cur_dev;
    return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *p, int device) {
    if (device < 0 || device >= ndevices())
        return fail(cudaErrorInvalidDevice, "cudaGetDeviceProperties(%d) with %d devices", device, ndevices());
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "ctorch CPU emulator");
    p->totalGlobalMem = mem_limit;
    p->sharedMemPerBlock = 48 << 10;
    p->sharedMemPerBlockOptin = 48 << 10;
    p->regsPerBlock = 65536;
    p->warpSize = 32;
    p->maxThreadsPerBlock = 1024;
    p->maxThreadsDim[0] = p->maxThreadsDim[1] = 1024;
    p->maxThreadsDim[2] = 64;
    p->maxGridSize[0] = 0x7fffffff;
    p->maxGridSize[1] = p->maxGridSize[2] = 65535;
    p->major = 8;
    p->minor = 0;
    p->multiProcessorCount = 1;
    p->maxThreadsPerMultiProcessor = 1024;
    p->unifiedAddressing = 1;
    p->pciBusID = device;
    return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }

cudaError_t cudaGetLastError(void) {
    cudaError_t e = last_error;
    last_error = cudaSuccess;
    return e;
}

cudaError_t cudaPeekAtLastError(void) { return last_error; }

const char *cudaGetErrorString(cudaError_t e) {
    /* the detail of the last error, while it is that error's code */
    static thread_local std::string s;
    s = name_of(e);
    if (e != cudaSuccess && detail[0]) s += std::string(" [cuda-emu: ") + detail + "]";
    return s.c_str();
}

const char *cudaGetErrorName(cudaError_t e) { return name_of(e); }

cudaError_t cudaMalloc(void **p, size_t n) {
    if (!p) return fail(cudaErrorInvalidValue, "cudaMalloc: NULL result pointer");
    *p = nullptr;
    if (!ndevices()) return fail(cudaErrorNoDevice, "cudaMalloc");
    size_t sz = (n + 255) & ~(size_t)255;
    if (!sz) sz = 256;
    std::lock_guard<std::mutex> g(mu);
    if (used[cur_dev] + sz > mem_limit)
        return fail(cudaErrorMemoryAllocation, "cudaMalloc(%zu) on device %d: %zu of %zu bytes in use", n,
                    cur_dev, used[cur_dev], mem_limit);
    void *m = aligned_alloc(256, sz);
    if (!m) return fail(cudaErrorMemoryAllocation, "cudaMalloc(%zu): host allocation failed", n);
    memset(m, 0xff, sz);
    allocs[(uintptr_t)m] = Alloc{n ? n : 1, cur_dev}; /* the size asked for: overruns are caught */
    used[cur_dev] += sz;
    *p = m;
    return cudaSuccess;
}

cudaError_t cudaFree(void *p) {
    if (!p) return cudaSuccess;
    std::lock_guard<std::mutex> g(mu);
    auto it = allocs.find((uintptr_t)p);
    if (it == allocs.end() || it->second.device < 0)
        return fail(cudaErrorInvalidValue, "cudaFree(%p): not the start of a device allocation", p);
    size_t sz = (it->second.size + 255) & ~(size_t)255;
    memset(p, 0xff, it->second.size);
    used[it->second.device] -= sz;
    allocs.erase(it);
    free(p);
    return cudaSuccess;
}

cudaError_t cudaHostAlloc(void **p, size_t n, unsigned int flags) {
    size_t sz = (n + 255) & ~(size_t)255;
    if (!sz) sz = 256;
    void *m = aligned_alloc(256, sz);
    if (!m) return fail(cudaErrorMemoryAllocation, "cudaHostAlloc(%zu)", n);
    std::lock_guard<std::mutex> g(mu);
    allocs[(uintptr_t)m] = Alloc{sz, -2};
    *p = m;
    return cudaSuccess;
}

cudaError_t cudaFreeHost(void *p) {
    if (!p) return cudaSuccess;
    std::lock_guard<std::mutex> g(mu);
    auto it = allocs.find((uintptr_t)p);
    if (it == allocs.end() || it->second.device != -2)
        return fail(cudaErrorInvalidValue, "cudaFreeHost(%p): not a cudaHostAlloc block", p);
    allocs.erase(it);
    free(p);
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind kind) {
    cudaError_t e = check_copy(dst, src, n, kind, "cudaMemcpy");
    if (e != cudaSuccess) return e;
    if (n) memmove(dst, src, n);
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t n, cudaMemcpyKind kind, cudaStream_t s) {
    cudaError_t e = check_stream(s, "cudaMemcpyAsync");
    if (e == cudaSuccess) e = check_copy(dst, src, n, kind, "cudaMemcpyAsync");
    if (e != cudaSuccess) return e;
    if (n) memmove(dst, src, n);
    return cudaSuccess;
}

cudaError_t cudaMemcpyPeer(void *dst, int dd, const void *src, int sd, size_t n) {
    if (dd < 0 || dd >= ndevices() || sd < 0 || sd >= ndevices())
        return fail(cudaErrorInvalidDevice, "cudaMemcpyPeer: devices %d <- %d", dd, sd);
    if (!n) return cudaSuccess;
    int a = device_of(dst, n), b = device_of(src, n);
    if (a != dd || b != sd)
        return fail(cudaErrorInvalidValue,
                    "cudaMemcpyPeer: destination on device %d (said %d), source on device %d (said %d)", a, dd,
                    b, sd);
    memmove(dst, src, n);
    return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t s) {
    cudaError_t e = check_stream(s, "cudaMemsetAsync");
    if (e != cudaSuccess) return e;
    if (!n) return cudaSuccess;
    if (device_of(p, n) < 0)
        return fail(cudaErrorInvalidValue, "cudaMemsetAsync: %p (+%zu bytes) is not device memory", p, n);
    memset(p, v, n);
    return cudaSuccess;
}

cudaError_t cudaMemset(void *p, int v, size_t n) { return cudaMemsetAsync(p, v, n, nullptr); }

cudaError_t cudaStreamCreateWithPriority(cudaStream_t *s, unsigned int flags, int priority) {
    if (!ndevices()) return fail(cudaErrorNoDevice, "cudaStreamCreateWithPriority");
    Stream *st = new Stream{STREAM_LIVE, cur_dev, priority};
    *s = (cudaStream_t)st;
    return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t *s) { return cudaStreamCreateWithPriority(s, 0, 0); }

cudaError_t cudaStreamDestroy(cudaStream_t s) {
    Stream *st = (Stream *)s;
    if (!st || s == cudaStreamLegacy || s == cudaStreamPerThread || st->magic != STREAM_LIVE)
        return fail(cudaErrorInvalidResourceHandle, "cudaStreamDestroy(%p)", (void *)s);
    st->magic = DEAD; /* kept, so that later use of the handle is caught */
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t s) { return check_stream(s, "cudaStreamSynchronize"); }
cudaError_t cudaStreamQuery(cudaStream_t s) { return check_stream(s, "cudaStreamQuery"); }

static Event *event_of(cudaEvent_t e) {
    Event *ev = (Event *)e;
    return ev && ev->magic == EVENT_LIVE ? ev : nullptr;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned int flags) {
    cudaError_t r = check_stream(s, "cudaStreamWaitEvent");
    if (r != cudaSuccess) return r;
    if (!event_of(e)) return fail(cudaErrorInvalidResourceHandle, "cudaStreamWaitEvent: %p is not a live event", (void *)e);
    return cudaSuccess;
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned int flags) {
    if (!ndevices()) return fail(cudaErrorNoDevice, "cudaEventCreateWithFlags");
    if (flags & ~(unsigned)(cudaEventBlockingSync | cudaEventDisableTiming | cudaEventInterprocess))
        return fail(cudaErrorInvalidValue, "cudaEventCreateWithFlags: flags %#x", flags);
    *e = (cudaEvent_t) new Event{EVENT_LIVE, cur_dev, flags, false, 0};
    return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t *e) { return cudaEventCreateWithFlags(e, 0); }

cudaError_t cudaEventDestroy(cudaEvent_t e) {
    Event *ev = event_of(e);
    if (!ev) return fail(cudaErrorInvalidResourceHandle, "cudaEventDestroy(%p)", (void *)e);
    ev->magic = DEAD;
    return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
    Event *ev = event_of(e);
    if (!ev) return fail(cudaErrorInvalidResourceHandle, "cudaEventRecord: %p is not a live event", (void *)e);
    cudaError_t r = check_stream(s, "cudaEventRecord");
    if (r != cudaSuccess) return r;
    if (stream_device(s) != ev->device)
        return fail(cudaErrorInvalidResourceHandle,
                    "cudaEventRecord: event of device %d recorded on a stream of device %d", ev->device,
                    stream_device(s));
    ev->recorded = true;
    ev->ms = now_ms();
    return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t e) {
    if (!event_of(e)) return fail(cudaErrorInvalidResourceHandle, "cudaEventSynchronize(%p)", (void *)e);
    return cudaSuccess;
}

cudaError_t cudaEventQuery(cudaEvent_t e) {
    if (!event_of(e)) return fail(cudaErrorInvalidResourceHandle, "cudaEventQuery(%p)", (void *)e);
    return cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b) {
    Event *x = event_of(a), *y = event_of(b);
    if (!x || !y) return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: not a live event");
    if ((x->flags | y->flags) & cudaEventDisableTiming)
        return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: event created with cudaEventDisableTiming");
    if (!x->recorded || !y->recorded)
        return fail(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: event never recorded");
    *ms = (float)(y->ms - x->ms);
    return cudaSuccess;
}

} // extern "C"
