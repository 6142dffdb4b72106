"""Speed-ups the GPU check tries around a tracker's model: CUDA graphs and ``torch.compile``.

Both wrap a model with ``template(z)`` / ``track(x, state)`` (what every tracker takes) and
are ``nn.Module``\\ s holding it, so the tracker still finds the model's device and dtype. Only
``track`` (the per-frame search branch, correlation and head) is accelerated; ``template``
runs once per target. They live here, not among the tracker's options, until the check has
shown on a GPU that they help (docs/gpu.md). Each keeps the latest input of ``track`` in
``last_input``, so the check compares a wrapper with its model on exactly what the tracker fed
it (the same shape, dtype and memory layout: no extra compilation or graph capture).
"""
import torch
import torch.nn as nn

__all__ = ["CudaGraphTrack", "CompiledTrack", "state_tensors"]


def state_tensors(state):
    """The tensors of a template state (nests of dicts, lists and tuples), in a fixed order."""
    if isinstance(state, torch.Tensor):
        return [state]
    if isinstance(state, dict):
        return [t for key in state for t in state_tensors(state[key])]
    if isinstance(state, (list, tuple)):
        return [t for value in state for t in state_tensors(value)]
    raise TypeError(f"a template state holds tensors in dicts, lists or tuples, not {type(state).__name__}")


class CudaGraphTrack(nn.Module):
    """``model`` whose ``track`` replays a CUDA graph, captured once per input shape and template
    state (the tracker reuses one state tensor per set of targets until the set changes).

    The returned maps are the graph's static outputs: valid until the next ``track`` call (the
    tracker decodes them at once).
    """

    def __init__(self, model, warmup=3, max_graphs=8):
        super().__init__()
        self.inner = model
        self.last_input = None  # the latest (x, state) given to track: the tracker's own layout
        self.warmup = warmup
        self.max_graphs = max_graphs
        self._graphs = {}

    def template(self, z):
        """The wrapped model's template state."""
        return self.inner.template(z)

    def track(self, x, state):
        """The wrapped model's ``track(x, state)``, replayed from a captured graph."""
        self.last_input = (x, state)
        key = (tuple(x.shape), x.dtype, x.stride(), tuple(t.data_ptr() for t in state_tensors(state)))
        if key not in self._graphs:
            if len(self._graphs) >= self.max_graphs:
                self._graphs.clear()
            self._graphs[key] = self._capture(x, state)
        graph, static_x, outputs = self._graphs[key]
        static_x.copy_(x)
        graph.replay()
        return outputs

    def _capture(self, x, state):
        static_x = x.clone()
        side = torch.cuda.Stream(device=x.device)
        side.wait_stream(torch.cuda.current_stream(x.device))
        with torch.cuda.stream(side):  # warm-up off the capturing stream (cuDNN autotuning, lazy init)
            for _ in range(self.warmup):
                self.inner.track(static_x, state)
        torch.cuda.current_stream(x.device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            outputs = self.inner.track(static_x, state)
        return graph, static_x, outputs


class CompiledTrack(nn.Module):
    """``model`` whose ``track`` is ``torch.compile``\\ d (static shapes: one compilation per
    batch size and dtype, at its first call)."""

    def __init__(self, model, **compile_options):
        super().__init__()
        self.inner = model
        self.last_input = None  # the latest (x, state) given to track: the tracker's own layout
        self._track = torch.compile(model.track, dynamic=False, **compile_options)

    def template(self, z):
        """The wrapped model's template state."""
        return self.inner.template(z)

    def track(self, x, state):
        """The compiled ``track(x, state)``."""
        self.last_input = (x, state)
        return self._track(x, state)
