"""siamtrack: SiamRPN++ single-object tracking as a detectron2 extension.

``import siamtrack`` registers the Siamese backbones, neck, heads, the SiamRPN++
meta-architecture, the pair dataset mapper and the built-in datasets into detectron2's
registries. Call :func:`add_siamtrack_config` on a detectron2 config before merging a
siamtrack YAML file.
"""
__version__ = "0.1.0"

import warnings

# detectron2 decorates helpers with torch.jit.script, which PyTorch >= 2.10 deprecates with a
# FutureWarning on every import; it is upstream noise, not something users can act on.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated", category=FutureWarning)

try:
    import detectron2  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "siamtrack needs detectron2, which is not on PyPI under its own name. Install it with "
        "`python tools/install_detectron2.py` from the siamtrack repository (or `make setup`), "
        "or follow https://detectron2.readthedocs.io/en/latest/tutorials/install.html"
    ) from exc

from .config import add_siamtrack_config  # noqa: E402
from . import model_zoo  # noqa: E402,F401  (siamtrack.model_zoo.get_config(...) after `import siamtrack`)
from . import modeling  # noqa: E402,F401  (registers backbones, heads and the SiamRPN meta-arch)
from .modeling import SIAM_HEAD_REGISTRY, SiamRPN, fuse_conv_bn  # noqa: E402
from . import data  # noqa: E402,F401  (registers the pair mapper and the training datasets)
from . import evaluation  # noqa: E402,F401  (registers the tracking benchmarks)
from .tracking import build_tracker  # noqa: E402
from .integrations import create  # noqa: E402  (OpenCV-style tracker, docs/integrations.md)

__all__ = ["add_siamtrack_config", "build_tracker", "create", "SiamRPN", "SIAM_HEAD_REGISTRY",
           "fuse_conv_bn", "__version__"]
