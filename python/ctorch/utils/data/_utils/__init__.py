"""torch.utils.data._utils's module names, for code that imports them:
_utils.collate (default_collate, default_convert, collate,
default_collate_fn_map) and _utils.worker (get_worker_info, WorkerInfo)."""
import sys

from ctorch.utils.data import _collate as collate, _worker as worker  # noqa: F401

sys.modules[__name__ + ".collate"] = collate
sys.modules[__name__ + ".worker"] = worker
