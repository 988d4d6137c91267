/* Devices, placement and the guard of ops without a CUDA kernel. The CUDA
 * work itself lives in src/cuda/ and reaches this code through ct__cuda
 * (internal.h), which is NULL in a CPU-only build. */
#include "internal.h"
#include "cuda/cuda_internal.h"

#include <stdio.h>

int ct_device_parse(const char *s, ct_device *dev) {
    const char *rest;
    ct_device d = {CT_CPU, -1};
    if (!s) {
        ct_set_error(CT_ERR_RUNTIME, "device: NULL device string");
        return -1;
    }
    if (strncmp(s, "cpu", 3) == 0) {
        rest = s + 3;
    } else if (strncmp(s, "cuda", 4) == 0) {
        d.type = CT_CUDA;
        rest = s + 4;
    } else {
        ct_set_error(CT_ERR_RUNTIME,
                     "Expected one of cpu, cuda device type at start of device string: %s", s);
        return -1;
    }
    if (*rest == ':') {
        char *end;
        long v = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || *end || v < 0 || v > 127) {
            ct_set_error(CT_ERR_RUNTIME, "Invalid device string: '%s'", s);
            return -1;
        }
        d.index = (int8_t)v;
    } else if (*rest) {
        ct_set_error(CT_ERR_RUNTIME, "Invalid device string: '%s'", s);
        return -1;
    }
    *dev = d;
    return 0;
}

const char *ct_device_str(ct_device d, char *buf, size_t len) {
    if (d.type == CT_CPU) snprintf(buf, len, "cpu");
    else if (d.index >= 0) snprintf(buf, len, "cuda:%d", d.index);
    else snprintf(buf, len, "cuda");
    return buf;
}

int ct__require_cpu(const char *op, const ct_tensor *t) {
    if (!t || ct__on_cpu(t)) return 0;
    char b[16];
    ct_set_error(CT_ERR_NOT_IMPL, "%s: not implemented for CUDA tensors (tensor on %s)", op,
                 ct_device_str(t->storage->device, b, sizeof b));
    return -1;
}

ct_tensor *ct__empty_on(const int64_t *sizes, int ndim, ct_dtype dt, ct_device dev) {
    if (dev.type == CT_CPU) return ct__empty(sizes, ndim, dt);
    if (!ct__cuda) return CT_FAIL(CT_ERR_RUNTIME, "Torch not compiled with CUDA enabled");
    return ct__cuda->empty(sizes, ndim, dt, dev);
}

ct_tensor *ct_empty_device(const int64_t *sizes, int ndim, ct_dtype dtype, ct_device dev) {
    ct_tensor *t = ct__empty_on(sizes, ndim, dtype, dev);
    return t ? ct_autorelease(t) : NULL;
}

static bool same_device(ct_device a, ct_device b) {
    if (a.type != b.type) return false;
    if (a.type == CT_CPU) return true;
    int cur = -1;
    if (a.index < 0 || b.index < 0) cur = ct_cuda_current_device();
    return (a.index < 0 ? cur : a.index) == (b.index < 0 ? cur : b.index);
}

ct_tensor *ct_to_device(const ct_tensor *t, ct_device dev) {
    if (same_device(t->storage->device, dev)) return ct_autorelease(ct_retain((ct_tensor *)t));
    if (t->requires_grad && ct_is_grad_enabled())
        return CT_FAIL(CT_ERR_NOT_IMPL,
                       "to(device): copies between devices of tensors that require grad are not "
                       "recorded by autograd yet; detach() first");
    if (dev.type == CT_CUDA && !ct__cuda)
        return CT_FAIL(CT_ERR_RUNTIME, "Torch not compiled with CUDA enabled");
    if (dev.type == CT_CUDA && !ct_cuda_is_available())
        return CT_FAIL(CT_ERR_RUNTIME,
                       "Found no NVIDIA driver on your system. Please check that you have an "
                       "NVIDIA GPU and installed a driver");
    ct_tensor *r = ct__empty_on(t->sizes, t->ndim, t->dtype, dev);
    if (!r) return NULL;
    if (t->numel && ct__cuda->copy(r, t) < 0) {
        ct_release(r);
        return NULL;
    }
    return ct_autorelease(r);
}

ct_tensor *ct_cuda(const ct_tensor *t) { return ct_to_device(t, (ct_device){CT_CUDA, -1}); }
ct_tensor *ct_cpu(const ct_tensor *t) { return ct_to_device(t, CT_DEVICE_CPU); }

#ifndef CT_HAVE_CUDA
/* A CPU-only build: the truthful answers of torch without CUDA. */
const ct_device_hooks *const ct__cuda = NULL;

static int no_cuda(void) {
    ct_set_error(CT_ERR_RUNTIME, "Torch not compiled with CUDA enabled");
    return -1;
}
const char *ct_cuda_version(void) { return NULL; }
bool ct_cuda_is_available(void) { return false; }
int ct_cuda_device_count(void) { return 0; }
int ct_cuda_current_device(void) { return no_cuda(); }
int ct_cuda_set_device(int index) { return no_cuda(); }
int ct_cuda_synchronize(int index) { return no_cuda(); }
int ct_cuda_get_device_name(int index, char *buf, size_t len) { return no_cuda(); }
ct_cuda_memory_stats ct_cuda_memory_stats_get(int index) { return (ct_cuda_memory_stats){0}; }
void ct_cuda_reset_peak_memory_stats(int index) {}
void ct_cuda_empty_cache(void) {}
int ct_cuda_stream_create(int device, int priority, void **stream) {
    *stream = NULL;
    return no_cuda();
}
int ct_cuda_stream_destroy(void *stream) { return stream ? no_cuda() : 0; }
void *ct_cuda_get_stream(int device) { return NULL; }
int ct_cuda_set_stream(int device, void *stream) { return no_cuda(); }
int ct_cuda_stream_synchronize(void *stream) { return no_cuda(); }
int ct_cuda_stream_query(void *stream) { return no_cuda(); }
int ct_cuda_stream_wait_event(void *stream, void *event) { return no_cuda(); }
int ct_cuda_event_create(bool enable_timing, bool blocking, void **event) {
    *event = NULL;
    return no_cuda();
}
int ct_cuda_event_destroy(void *event) { return event ? no_cuda() : 0; }
int ct_cuda_event_record(void *event, void *stream) { return no_cuda(); }
int ct_cuda_event_synchronize(void *event) { return no_cuda(); }
int ct_cuda_event_query(void *event) { return no_cuda(); }
int ct_cuda_event_elapsed_ms(void *start, void *end, float *ms) { return no_cuda(); }
ct_tensor *ct_pin_memory(const ct_tensor *t) {
    no_cuda();
    return NULL;
}
bool ct_is_pinned(const ct_tensor *t) { return false; }
ct_cuda_host_memory_stats ct_cuda_host_memory_stats_get(void) {
    return (ct_cuda_host_memory_stats){0};
}
int ct_cuda_copy_nonblocking(ct_tensor *dst, const ct_tensor *src) { return ct__copy_into(dst, src); }
static bool allow_tf32;
void ct_cuda_set_allow_tf32(bool allow) { allow_tf32 = allow; }
bool ct_cuda_allow_tf32(void) { return allow_tf32; }
#endif
