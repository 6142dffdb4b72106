"""detectron2's ``launch``, also for multi-process training on machines without CUDA.

detectron2 v0.6's worker asserts ``torch.cuda.is_available()`` and always initialises the
NCCL backend; its current main branch instead uses GLOO when there is no GPU. Multi-process CPU
training goes through exactly the same code as multi-GPU training (DDP, ``comm`` gathers,
rank-0 hooks), so it is how the distributed path is tested without GPUs.

:func:`launch` therefore calls detectron2's own ``launch`` whenever that can work: with CUDA,
with a single process, or when the installed detectron2's worker already handles CPU (it
mentions the GLOO backend). Only otherwise -- an old detectron2 on a CPU-only machine -- does it
spawn :func:`_cpu_distributed_worker`, a copy of detectron2 v0.6's worker minus the CUDA parts:
GLOO instead of NCCL, no ``torch.cuda.set_device``, and each process gets an equal share of the
CPU threads. ``--num-gpus`` then means the number of processes per machine.
"""
import functools
import importlib
import inspect
import logging
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from detectron2.utils import comm

# The module, not the function that detectron2.engine re-exports under the same name.
_d2_launch_module = importlib.import_module("detectron2.engine.launch")

__all__ = ["launch", "detectron2_launch_supports_cpu"]

DEFAULT_TIMEOUT = _d2_launch_module.DEFAULT_TIMEOUT


@functools.lru_cache()
def detectron2_launch_supports_cpu() -> bool:
    """Whether the installed detectron2's ``launch`` can start CPU (GLOO) process groups."""
    try:
        source = inspect.getsource(_d2_launch_module._distributed_worker)
    except (AttributeError, OSError, TypeError):
        return False
    return "gloo" in source.lower()


def launch(
    main_func,
    num_gpus_per_machine,
    num_machines=1,
    machine_rank=0,
    dist_url=None,
    args=(),
    timeout=DEFAULT_TIMEOUT,
):
    """Same arguments and behaviour as :func:`detectron2.engine.launch`, on CPU too.

    Without CUDA, ``num_gpus_per_machine`` processes per machine train on CPU with the GLOO
    backend.
    """
    world_size = num_machines * num_gpus_per_machine
    if world_size <= 1 or torch.cuda.is_available() or detectron2_launch_supports_cpu():
        return _d2_launch_module.launch(
            main_func, num_gpus_per_machine, num_machines=num_machines,
            machine_rank=machine_rank, dist_url=dist_url, args=args, timeout=timeout,
        )
    if dist_url == "auto":
        assert num_machines == 1, "dist_url=auto not supported in multi-machine jobs."
        dist_url = f"tcp://127.0.0.1:{_d2_launch_module._find_free_port()}"
    mp.spawn(
        _cpu_distributed_worker,
        nprocs=num_gpus_per_machine,
        args=(main_func, world_size, num_gpus_per_machine, machine_rank, dist_url, args, timeout),
        daemon=False,
    )


def _cpu_distributed_worker(
    local_rank, main_func, world_size, num_procs_per_machine, machine_rank, dist_url, args, timeout
):
    """detectron2 v0.6's ``_distributed_worker`` with the GLOO backend and no CUDA calls."""
    global_rank = machine_rank * num_procs_per_machine + local_rank
    try:
        dist.init_process_group(
            backend="gloo", init_method=dist_url, world_size=world_size, rank=global_rank,
            timeout=timeout,
        )
    except Exception:
        logging.getLogger(__name__).error("Process group URL: %s", dist_url)
        raise
    # The group of ranks on this machine, as detectron2 sets it up (comm.get_local_rank()).
    if hasattr(comm, "create_local_process_group"):
        comm.create_local_process_group(num_procs_per_machine)
    else:
        for i in range(world_size // num_procs_per_machine):
            ranks = list(range(i * num_procs_per_machine, (i + 1) * num_procs_per_machine))
            group = dist.new_group(ranks)
            if i == machine_rank:
                comm._LOCAL_PROCESS_GROUP = group
    # N processes share the machine's cores (torch would give each of them all the cores).
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // num_procs_per_machine))
    comm.synchronize()
    main_func(*args)
