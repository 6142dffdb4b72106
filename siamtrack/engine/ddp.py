"""DistributedDataParallel for siamtrack's models, on CUDA and on the CPU (GLOO processes)."""
import warnings

from torch.nn.parallel import DistributedDataParallel

from detectron2.engine import create_ddp_model as _d2_create_ddp_model
from detectron2.utils import comm

__all__ = ["create_ddp_model", "ddp_device_ids", "unwrap_model"]


def ddp_device_ids(model):
    """``device_ids`` for DistributedDataParallel: ``[local_rank]`` on CUDA, ``None`` on CPU."""
    param = next(model.parameters(), None)
    if param is not None and param.device.type == "cuda":
        return [comm.get_local_rank()]
    return None


def create_ddp_model(model, **kwargs):
    """:func:`detectron2.engine.create_ddp_model` that also works for a CPU model.

    detectron2 passes ``device_ids=[local_rank]``, which DistributedDataParallel rejects for a
    module on the CPU; there it must be ``None``. Returns ``model`` itself with one process.
    """
    if comm.get_world_size() == 1:
        return model
    kwargs.setdefault("device_ids", ddp_device_ids(model))
    with warnings.catch_warnings():
        # rank-local BatchNorm statistics (pysot) are what broadcast_buffers=False means; torch's
        # own warning says to keep it until its replacement can express that
        warnings.filterwarnings("ignore", message="`broadcast_buffers` is deprecated", category=FutureWarning)
        return _d2_create_ddp_model(model, **kwargs)


def unwrap_model(model):
    """The module inside a DistributedDataParallel wrapper (``model`` itself otherwise)."""
    return model.module if isinstance(model, DistributedDataParallel) else model
