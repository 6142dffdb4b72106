"""detectron2's ``launch``, also for multi-process training on machines without CUDA.

detectron2 v0.6's worker asserts ``torch.cuda.is_available()`` and always initialises the NCCL
backend. Multi-process CPU training goes through exactly the same code as multi-GPU training
(DDP, ``comm`` gathers, rank-0 hooks), so it is how the distributed path is tested without GPUs.

:func:`launch` therefore calls detectron2's own ``launch`` with CUDA or a single process, and
otherwise spawns :func:`_cpu_distributed_worker`: the GLOO backend instead of NCCL, no
``torch.cuda.set_device``, detectron2's local process group (``comm.get_local_rank()``), and an
equal share of the CPU threads per process. ``--num-gpus`` then means the number of processes
per machine.
"""
import contextlib
import logging
import os
import re
import signal
import socket
import warnings

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from detectron2.engine.launch import DEFAULT_TIMEOUT
from detectron2.engine.launch import launch as _d2_launch
from detectron2.utils import comm

from ..utils.errors import InputError
from .detectron2_compat import create_local_process_group

__all__ = ["LaunchError", "launch_problem", "launch", "free_local_port"]

# What torch.distributed's init_method takes: tcp://HOST:PORT, file:///path, env://
_DIST_URL = re.compile(r"^(tcp://\[?[^/\s\]]+\]?:(\d{1,5})|file://\S+|env://)$")


class LaunchError(InputError):
    """The launch arguments (processes, machines, rank, URL) cannot make a process group."""


def launch_problem(num_gpus_per_machine, num_machines=1, machine_rank=0, dist_url=None):
    """Why these :func:`launch` arguments cannot work (one line, with the command's option
    names), or None. Checked before any process starts: a rank outside the machines would
    wait for ever for the others, a malformed URL would fail in every process."""
    if num_gpus_per_machine < 1 or num_machines < 1:
        return (f"--num-gpus ({num_gpus_per_machine}) and --num-machines ({num_machines}) must be "
                "at least 1")
    if not 0 <= machine_rank < num_machines:
        return (f"--machine-rank {machine_rank} is not one of the {num_machines} machine(s) "
                f"(0 to {num_machines - 1})")
    if num_machines * num_gpus_per_machine == 1 or dist_url is None:
        return None
    if torch.cuda.is_available() and num_gpus_per_machine > torch.cuda.device_count():
        return (f"--num-gpus {num_gpus_per_machine}: this machine has {torch.cuda.device_count()} "
                "CUDA device(s)")
    if dist_url == "auto":
        return None if num_machines == 1 else "--dist-url auto is for one machine: give tcp://HOST:PORT of machine 0"
    match = _DIST_URL.match(dist_url)
    if match is None or (match.group(2) and not 0 < int(match.group(2)) < 65536):
        return (f"--dist-url {dist_url!r} is not a process group address: tcp://HOST:PORT "
                "(PORT 1-65535), file:///shared/path, env:// or auto")
    return None


def free_local_port() -> int:
    """A TCP port that is free on this machine now (for ``dist_url="auto"``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    backend. Arguments that cannot make a process group raise :class:`LaunchError` first.
    """
    problem = launch_problem(num_gpus_per_machine, num_machines, machine_rank, dist_url)
    if problem:
        raise LaunchError(problem)
    world_size = num_machines * num_gpus_per_machine
    if world_size <= 1:
        return _d2_launch(main_func, num_gpus_per_machine, num_machines=num_machines,
                          machine_rank=machine_rank, dist_url=dist_url, args=args, timeout=timeout)
    try:
        if torch.cuda.is_available():
            return _d2_launch(main_func, num_gpus_per_machine, num_machines=num_machines,
                              machine_rank=machine_rank, dist_url=dist_url, args=args, timeout=timeout)
        return _launch_cpu(main_func, num_gpus_per_machine, num_machines, machine_rank, dist_url, args, timeout)
    except KeyboardInterrupt:
        _stop_workers()
        raise


def _stop_workers(grace_seconds=10.0):
    """End the worker processes this process started (Ctrl-C / SIGTERM here): non-daemonic, they
    would otherwise train on, and Python's exit would wait for them. Each gets SIGINT first (torch's
    worker wrapper ends quietly on it, its data loader shutting down cleanly), then SIGKILL if it is
    still there after ``grace_seconds``. Checkpoints are written atomically, so a worker stopped
    while saving leaves the earlier ones intact."""
    workers = mp.active_children()
    for worker in workers:
        with contextlib.suppress(OSError):
            os.kill(worker.pid, signal.SIGINT)
    for worker in workers:
        worker.join(grace_seconds)
        if worker.is_alive():
            worker.kill()
            worker.join()


def _launch_cpu(main_func, num_gpus_per_machine, num_machines, machine_rank, dist_url, args, timeout):
    """Spawn the CPU worker processes of :func:`launch` (GLOO) and wait for them."""
    world_size = num_machines * num_gpus_per_machine
    if dist_url == "auto":
        if num_machines != 1:
            raise ValueError("dist_url=auto is not supported in multi-machine jobs")
        dist_url = f"tcp://127.0.0.1:{free_local_port()}"
    mp.spawn(
        _cpu_distributed_worker,
        nprocs=num_gpus_per_machine,
        args=(main_func, world_size, num_gpus_per_machine, machine_rank, dist_url, args, timeout),
        daemon=False,
    )


def _cpu_distributed_worker(
    local_rank, main_func, world_size, num_procs_per_machine, machine_rank, dist_url, args, timeout
):
    """One CPU process of :func:`launch`: GLOO process group, local group, thread share, run."""
    global_rank = machine_rank * num_procs_per_machine + local_rank
    try:
        dist.init_process_group(
            backend="gloo", init_method=dist_url, world_size=world_size, rank=global_rank,
            timeout=timeout,
        )
    except Exception:
        logging.getLogger(__name__).error("Process group URL: %s", dist_url)
        raise
    create_local_process_group(num_procs_per_machine, machine_rank, world_size)
    # detectron2 v0.6's gathers (comm.all_gather) use torch's deprecated TypedStorage: noise
    warnings.filterwarnings("ignore", message="TypedStorage is deprecated", category=UserWarning)
    # N processes share the machine's cores (torch would give each of them all the cores).
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // num_procs_per_machine))
    comm.synchronize()
    main_func(*args)
