"""torch.cuda's API over the C engine's CUDA layer (include/ctorch/cuda.h).

Answers truthfully in every build: a CPU-only build raises "Torch not
compiled with CUDA enabled" where torch does, and a CUDA build on a machine
without a GPU reports is_available() False.
"""
from ctorch import _C


def is_available():
    return _C._cuda_is_available()


def device_count():
    return _C._cuda_device_count()


def _lazy_init():
    if _C._cuda_version() is None:
        raise AssertionError("Torch not compiled with CUDA enabled")
    if not is_available():
        raise RuntimeError("Found no NVIDIA driver on your system. Please check that you have "
                           "an NVIDIA GPU and installed a driver")


def is_initialized():
    return is_available()


def init():
    _lazy_init()


def _index(device):
    if device is None:
        return -1
    if isinstance(device, int):
        return device
    from ctorch import device as _device
    d = _device(device) if isinstance(device, str) else device
    if d.type != "cuda":
        raise ValueError("Expected a cuda device, but got: {}".format(d))
    return -1 if d.index is None else d.index


def current_device():
    _lazy_init()
    return _C._cuda_current_device()


def set_device(device):
    i = _index(device)
    if i >= 0:
        _lazy_init()
        _C._cuda_set_device(i)


def synchronize(device=None):
    _lazy_init()
    _C._cuda_synchronize(_index(device))


def get_device_name(device=None):
    _lazy_init()
    return _C._cuda_get_device_name(_index(device))


def memory_allocated(device=None):
    return _C._cuda_memory_stats(_index(device))[0]


def memory_reserved(device=None):
    return _C._cuda_memory_stats(_index(device))[1]


def max_memory_allocated(device=None):
    return _C._cuda_memory_stats(_index(device))[2]


def reset_peak_memory_stats(device=None):
    _C._cuda_reset_peak_memory_stats(_index(device))


def empty_cache():
    _C._cuda_empty_cache()


class Stream:
    """torch.cuda.Stream: a CUDA stream of a device. Kernels of this thread
    go to the current stream (set by ctorch.cuda.stream(s) or set_stream)."""

    def __new__(cls, device=None, priority=0, _handle=None, _device_index=None):
        self = super().__new__(cls)
        if _handle is not None or _device_index is not None:
            self._handle, self._owned = _handle, False
            self._device_index = _device_index
            return self
        _lazy_init()
        idx = _index(device)
        self._device_index = current_device() if idx < 0 else idx
        self._handle = _C._cuda_stream_create(self._device_index, int(priority))
        self._owned = True
        return self

    def __init__(self, device=None, priority=0, **kw):
        pass

    @property
    def device(self):
        from ctorch import device as _device
        return _device("cuda", self._device_index)

    @property
    def cuda_stream(self):
        return self._handle or 0

    def synchronize(self):
        _C._cuda_stream_synchronize(self._handle)

    def query(self):
        return _C._cuda_stream_query(self._handle)

    def wait_event(self, event):
        _C._cuda_stream_wait_event(self._handle, event._handle)

    def wait_stream(self, stream):
        self.wait_event(stream.record_event())

    def record_event(self, event=None):
        event = Event() if event is None else event
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and (self._handle or 0) == (other._handle or 0) and \
            self._device_index == other._device_index

    def __hash__(self):
        return hash((self._handle or 0, self._device_index))

    def __repr__(self):
        return "<torch.cuda.Stream device=cuda:{} cuda_stream={:#x}>".format(
            self._device_index, self._handle or 0)

    def __del__(self):
        if getattr(self, "_owned", False) and self._handle:
            try:
                _C._cuda_stream_destroy(self._handle)
            except Exception:
                pass


class Event:
    """torch.cuda.Event: a marker in a stream, for ordering and timing."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        if interprocess:
            raise NotImplementedError("interprocess CUDA events are not supported")
        _lazy_init()
        self._handle = _C._cuda_event_create(bool(enable_timing), bool(blocking))

    def record(self, stream=None):
        stream = current_stream() if stream is None else stream
        _C._cuda_event_record(self._handle, stream._handle)

    def wait(self, stream=None):
        stream = current_stream() if stream is None else stream
        stream.wait_event(self)

    def query(self):
        return _C._cuda_event_query(self._handle)

    def synchronize(self):
        _C._cuda_event_synchronize(self._handle)

    def elapsed_time(self, end_event):
        return _C._cuda_event_elapsed_time(self._handle, end_event._handle)

    def __del__(self):
        if getattr(self, "_handle", None):
            try:
                _C._cuda_event_destroy(self._handle)
            except Exception:
                pass


def current_stream(device=None):
    _lazy_init()
    idx = _index(device)
    idx = current_device() if idx < 0 else idx
    return Stream(_handle=_C._cuda_get_stream(idx), _device_index=idx)


def default_stream(device=None):
    _lazy_init()
    idx = _index(device)
    return Stream(_handle=0, _device_index=current_device() if idx < 0 else idx)


def set_stream(stream):
    if stream is not None:
        _C._cuda_set_stream(stream._device_index, stream._handle)


class StreamContext:
    """with ctorch.cuda.stream(s): makes s current on its device, then
    restores the previous stream."""

    def __init__(self, stream):
        self.stream = stream
        self.prev = None

    def __enter__(self):
        if self.stream is not None:
            self.prev = current_stream(self.stream._device_index)
            set_stream(self.stream)
        return self.stream

    def __exit__(self, *exc):
        if self.prev is not None:
            set_stream(self.prev)
        return False


def stream(stream):
    return StreamContext(stream)


def manual_seed(seed):
    """ctorch's CUDA random ops (Philox, src/cuda/random.cu) take their key
    from the default generator, one draw per call: ctorch.manual_seed(s)
    makes them reproducible. This seeds that generator, so that scripts
    which call only torch.cuda.manual_seed are reproducible too (it also
    reseeds CPU draws, unlike torch's). Without a GPU it does nothing, as
    torch's lazy CUDA seeding."""
    if is_available():
        from ctorch import manual_seed as _seed
        _seed(seed)


def manual_seed_all(seed):
    """See manual_seed."""
    manual_seed(seed)


class device:
    """Context manager that changes the current CUDA device."""

    def __init__(self, device):
        self.idx = _index(device)
        self.prev = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev = current_device()
            set_device(self.idx)

    def __exit__(self, *exc):
        if self.prev >= 0:
            set_device(self.prev)
        return False
