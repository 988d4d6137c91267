/* Streams and events (torch.cuda.Stream, Event; pinned host memory is in
 * pinned.c). A stream made current on a thread receives every
 * kernel and cuBLAS call of that thread on that device (ct__cuda_stream);
 * the caching allocator hands a freed block only to later requests of the
 * same stream, so work on another stream never reuses memory still in use
 * (a tensor used on two streams must be synchronised by the user, as with
 * PyTorch's record_stream). Streams are created blocking with respect to
 * the legacy default stream, which the synchronous copies use. */
#include "internal.h"
#include "cuda/cuda_internal.h"

#include <cuda_runtime_api.h>

/* runtime.c: the thread's current stream slot of device d */
void **ct__cuda_stream_slot(int d);

static int device_of(int index) {
    if (index >= 0) return index;
    return ct_cuda_current_device();
}

int ct_cuda_stream_create(int device, int priority, void **stream) {
    *stream = NULL;
    int d = device_of(device), prev = -1;
    if (d < 0) return -1;
    if (ct__cuda_check(cudaGetDevice(&prev), "cudaGetDevice") < 0) return -1;
    if (d != prev && ct_cuda_set_device(d) < 0) return -1;
    cudaStream_t s = NULL;
    int rc = ct__cuda_check(cudaStreamCreateWithPriority(&s, cudaStreamDefault, priority),
                            "cudaStreamCreateWithPriority");
    if (d != prev) cudaSetDevice(prev);
    if (rc == 0) *stream = s;
    return rc;
}

int ct_cuda_stream_destroy(void *stream) {
    if (!stream) return 0; /* the default stream is never destroyed */
    return ct__cuda_check(cudaStreamDestroy((cudaStream_t)stream), "cudaStreamDestroy");
}

void *ct_cuda_get_stream(int device) {
    int d = device_of(device);
    if (d < 0 || d >= CT_CUDA_MAX_DEVICES) return NULL;
    return *ct__cuda_stream_slot(d);
}

int ct_cuda_set_stream(int device, void *stream) {
    int d = device_of(device);
    if (d < 0) return -1;
    if (d >= CT_CUDA_MAX_DEVICES) {
        ct_set_error(CT_ERR_RUNTIME, "CUDA error: device %d beyond the %d supported", d,
                     CT_CUDA_MAX_DEVICES);
        return -1;
    }
    *ct__cuda_stream_slot(d) = stream;
    return 0;
}

int ct_cuda_stream_synchronize(void *stream) {
    if (ct__cuda_check(cudaStreamSynchronize((cudaStream_t)stream), "cudaStreamSynchronize") < 0)
        return -1;
    return ct__cuda_index_errcheck();
}

int ct_cuda_stream_query(void *stream) {
    cudaError_t e = cudaStreamQuery((cudaStream_t)stream);
    if (e == cudaSuccess) return 1;
    if (e == cudaErrorNotReady) {
        (void)cudaGetLastError();
        return 0;
    }
    return ct__cuda_check(e, "cudaStreamQuery");
}

int ct_cuda_stream_wait_event(void *stream, void *event) {
    return ct__cuda_check(cudaStreamWaitEvent((cudaStream_t)stream, (cudaEvent_t)event, 0),
                          "cudaStreamWaitEvent");
}

int ct_cuda_event_create(bool enable_timing, bool blocking, void **event) {
    *event = NULL;
    if (ct_cuda_device_count() <= 0) return ct_cuda_current_device(); /* the no-GPU error */
    unsigned flags = (enable_timing ? cudaEventDefault : cudaEventDisableTiming) |
                     (blocking ? cudaEventBlockingSync : 0);
    cudaEvent_t e = NULL;
    int rc = ct__cuda_check(cudaEventCreateWithFlags(&e, flags), "cudaEventCreateWithFlags");
    if (rc == 0) *event = e;
    return rc;
}

int ct_cuda_event_destroy(void *event) {
    if (!event) return 0;
    return ct__cuda_check(cudaEventDestroy((cudaEvent_t)event), "cudaEventDestroy");
}

int ct_cuda_event_record(void *event, void *stream) {
    return ct__cuda_check(cudaEventRecord((cudaEvent_t)event, (cudaStream_t)stream),
                          "cudaEventRecord");
}

int ct_cuda_event_synchronize(void *event) {
    if (ct__cuda_check(cudaEventSynchronize((cudaEvent_t)event), "cudaEventSynchronize") < 0)
        return -1;
    return ct__cuda_index_errcheck();
}

int ct_cuda_event_query(void *event) {
    cudaError_t e = cudaEventQuery((cudaEvent_t)event);
    if (e == cudaSuccess) return 1;
    if (e == cudaErrorNotReady) {
        (void)cudaGetLastError();
        return 0;
    }
    return ct__cuda_check(e, "cudaEventQuery");
}

int ct_cuda_event_elapsed_ms(void *start, void *end, float *ms) {
    return ct__cuda_check(cudaEventElapsedTime(ms, (cudaEvent_t)start, (cudaEvent_t)end),
                          "cudaEventElapsedTime");
}
