"""``OnnxSiamModel``: a ``siamtrack``-layout export run by ONNX Runtime, with the PyTorch model's
``template`` / ``track`` interface (torch tensors in and out), so a tracker can wrap it."""
from pathlib import Path

import numpy as np
import torch

from .errors import ExportError
from .manifest import read_manifest, verify_graphs
from .siammask import OnnxRefine
from .state_layout import build_state, leaf_names, state_leaves
from .verify import ort_session, run_session


class OnnxSiamModel:
    """An exported folder (``siamtrack-export``, layout ``siamtrack``) as a tracker model.

    * ``state = model.template(z)``: z (N, 3, 127, 127) float BGR crops -> the template state,
      the same nest as :meth:`SiamRPN.template <siamtrack.modeling.SiamRPN.template>` returns
      (``{"kernels": ...}``) of CPU float32 tensors; states concatenate along dim 0 as PyTorch's do;
    * ``model.track(x, state)`` -> ``{"cls", "loc"}`` (``{"score"}`` for SiamFC heads) as CPU
      float32 tensors, for search crops x (N, 3, S, S) of any size S the model accepts;
    * ``model.refine(outputs, positions)`` for a SiamMask export (``refine.onnx``; None otherwise):
      mask logits as :meth:`SiamMask.refine <siamtrack.modeling.SiamMask.refine>`.

    ``manifest`` holds ``model.json`` (anchors and tracker settings under ``manifest["config"]``);
    ``device`` and ``dtype`` tell a tracker where its crops go (CPU, float32).
    """

    def __init__(self, folder, threads=None, providers=None):
        """Load ``folder``; ``threads`` sets ONNX Runtime's intra-op threads, ``providers`` its
        execution providers (default: CPU)."""
        self.folder = Path(folder)
        self.manifest = read_manifest(self.folder)
        if self.manifest.get("layout") != "siamtrack":
            raise ExportError(f"{folder} holds the {self.manifest.get('layout')!r} layout; OnnxSiamModel "
                              "runs the 'siamtrack' layout (export with --layout siamtrack)")
        try:
            graphs = self.manifest["graphs"]
            self.tree = self.manifest["template_state"]
            self.outputs = list(graphs["track"]["outputs"])
            files = {part: self.folder / graphs[part]["file"] for part in ("template", "track")}
        except (KeyError, TypeError):
            raise ExportError(f"{self.folder / 'model.json'} lacks the graphs of the siamtrack layout") from None
        self._files = files
        verify_graphs(self.folder, self.manifest)  # present and as exported (content hashes)
        self.names = leaf_names(self.tree)
        self._template = ort_session(files["template"], threads, providers)
        self._track = ort_session(files["track"], threads, providers)
        # SiamMask exports: refine(outputs, positions) as the PyTorch model's; None otherwise
        refine = graphs.get("refine")
        self.refine = OnnxRefine(self.folder / refine["file"], threads, providers) if refine else None

    @property
    def config(self):
        """The config fragment of ``model.json`` (``MODEL.SIAM_ANCHOR``, ``TRACK`` ...)."""
        return self.manifest["config"]

    @property
    def device(self):
        """Always the CPU: inputs are read and outputs returned as CPU tensors."""
        return torch.device("cpu")

    @property
    def dtype(self):
        """Always float32, the graphs' input type."""
        return torch.float32

    def template(self, z):
        """Template state of crops ``z`` (see class doc)."""
        kernels = run_session(self._template, self.names, {"template": _as_input(z)}, self._files["template"])
        return build_state(self.tree, {name: torch.from_numpy(k) for name, k in zip(self.names, kernels)})

    def track(self, x, state):
        """Raw maps of search crops ``x`` against ``state`` (see class doc)."""
        feeds = {"search": _as_input(x)}
        feeds.update(zip(self.names, (_as_input(t) for t in state_leaves(self.tree, state))))
        outputs = run_session(self._track, self.outputs, feeds, self._files["track"])
        return {key: torch.from_numpy(out) for key, out in zip(self.outputs, outputs)}


def _as_input(tensor):
    """A C-contiguous float32 NumPy array of ``tensor`` (torch tensor or array)."""
    if isinstance(tensor, torch.Tensor):
        tensor = tensor.detach().to("cpu", torch.float32).contiguous().numpy()
    return np.ascontiguousarray(tensor, dtype=np.float32)
