"""minigrad: two autograd engines behind one API.

``minigrad.scalar`` builds a graph of ``Value`` objects, one Python object per number;
``minigrad.tensor`` is the same engine over NumPy arrays. Both stand on ``minigrad.common``
(graph walk, grad mode, initialisation, ``Module``, optimizers). The tools that use an
engine (training, model files, data, drawing, the CLI) live in ``minigrad.tools`` and are
re-exported here, imported lazily, as the engines are: ``minigrad.tensor.MLP`` works after a
bare ``import minigrad``, which imports no engine (nor NumPy) until one is used;
``import minigrad.scalar`` pulls in NumPy and nothing heavier (no scikit-learn, tqdm or
matplotlib).
"""

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

from minigrad import registry
from minigrad.common.grad_mode import is_grad_enabled, no_grad
from minigrad.registry import backend

if TYPE_CHECKING:  # the lazy names below, as type checkers and editors see them
    from minigrad import scalar, tensor  # noqa: F401
    from minigrad.experiments import why  # noqa: F401
    from minigrad.tools.data import load_digits  # noqa: F401
    from minigrad.tools.drawing import draw, to_dot  # noqa: F401
    from minigrad.tools.explorer import explore  # noqa: F401
    from minigrad.tools.gradcheck import GradcheckError, gradcheck  # noqa: F401
    from minigrad.tools.io import load, load_state_dict, save  # noqa: F401
    from minigrad.tools.plotting import plot_history  # noqa: F401
    from minigrad.tools.training import evaluate, fit  # noqa: F401

# name -> module that defines it; imported on first use (PEP 562).
_LAZY = {
    "GradcheckError": "minigrad.tools.gradcheck",
    "draw": "minigrad.tools.drawing",
    "evaluate": "minigrad.tools.training",
    "explore": "minigrad.tools.explorer",
    "fit": "minigrad.tools.training",
    "gradcheck": "minigrad.tools.gradcheck",
    "load": "minigrad.tools.io",
    "load_digits": "minigrad.tools.data",
    "load_state_dict": "minigrad.tools.io",
    "plot_history": "minigrad.tools.plotting",
    "save": "minigrad.tools.io",
    "to_dot": "minigrad.tools.drawing",
    "why": "minigrad.experiments",
}

# the engine packages, imported on first use as attributes: minigrad.tensor.MLP
_ENGINE_PACKAGES = ("scalar", "tensor")


def __getattr__(name):
    if name == "BACKENDS":  # read on each use: minigrad.registry.register adds engines
        return registry.BACKENDS
    if name in _ENGINE_PACKAGES:  # importing it sets the attribute, as `import minigrad.x` does
        return importlib.import_module(f"minigrad.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_ENGINE_PACKAGES) | {"BACKENDS"})


__all__ = ["BACKENDS", "__version__", "backend", "is_grad_enabled", "no_grad", *sorted(_LAZY)]
