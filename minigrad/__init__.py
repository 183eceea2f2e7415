"""minigrad: two autograd engines behind one API.

``minigrad.scalar`` builds a graph of ``Value`` objects, one Python object per number;
``minigrad.tensor`` is the same engine over NumPy arrays. Everything both engines share
(initialisation, data, the training loop, optimizers, model files) lives in
``minigrad.common`` and is re-exported here.
"""

__version__ = "0.1.0"

from minigrad.common.data import load_digits
from minigrad.common.drawing import draw, to_dot
from minigrad.common.grad_mode import no_grad
from minigrad.common.gradcheck import GradcheckError, gradcheck
from minigrad.common.plotting import plot_history
from minigrad.common.registry import BACKENDS, backend
from minigrad.common.serialization import load, save
from minigrad.common.training import evaluate, fit

__all__ = [
    "BACKENDS",
    "GradcheckError",
    "__version__",
    "backend",
    "draw",
    "evaluate",
    "fit",
    "gradcheck",
    "load",
    "load_digits",
    "no_grad",
    "plot_history",
    "save",
    "to_dot",
]
