"""torch.utils.data._utils's module names, for code that imports them:
_utils.collate (default_collate, default_convert, collate,
default_collate_fn_map), _utils.worker (get_worker_info, WorkerInfo) and
_utils.pin_memory (pin_memory)."""
import sys

from ctorch.utils.data import _collate as collate, _worker as worker  # noqa: F401
from ctorch.utils.data import _pin_memory as pin_memory  # noqa: F401

sys.modules[__name__ + ".collate"] = collate
sys.modules[__name__ + ".worker"] = worker
sys.modules[__name__ + ".pin_memory"] = pin_memory
