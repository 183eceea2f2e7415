"""The tensor engine: autograd over NumPy arrays, the scalar engine vectorised.

Twin: ``minigrad.scalar``, with the same API; tests/test_equivalence.py proves that both
compute the same values, gradients and training trajectories.

Besides the names every engine exports, this module states the engine's facts the tools
read (the engine contract, ``minigrad/registry.py``): ``FLOAT_DTYPES``, ``MAX_PARAMETERS``,
``NODE_PER_NUMBER``, ``write_data`` and ``training_memory``.
"""

from collections.abc import Sequence

import numpy as np

from minigrad.common.grad_mode import no_grad
from minigrad.common.optim import SGD, Adam
from minigrad.tensor.convert import DTYPES
from minigrad.tensor.engine import Tensor, linear
from minigrad.tensor.losses import cross_entropy_loss, mse_loss
from minigrad.tensor.nn import MLP, Layer, Module, ModuleList, Neuron

# The dtypes a Tensor and a model may have (``dtype=`` of Tensor, Neuron, Layer and MLP), as
# names: the engine's own list, ``convert.DTYPES``, float64 first.
FLOAT_DTYPES = tuple(np.dtype(t).name for t in DTYPES)

# The most parameters minigrad.load builds in this engine: a file declaring more is refused
# before it is read. A parameter is one float64 (8 bytes; a load holds the file's array, the
# new model's and a copy: about 24 bytes at its peak), so 20 million cost 160 MB held and
# about 500 MB during the load. Raise it to load bigger models.
MAX_PARAMETERS = 20_000_000

# A node holds an array: its data has a shape (the engine's Module says so too, for
# named_parameters: minigrad/common/module.py).
NODE_PER_NUMBER = Module._node_per_number

_ACTIVATION_COPIES = 4  # arrays of (samples, units) a step keeps per layer, at most


def training_memory(
    sizes: Sequence[int], batch_size: int, optimizer: str = "sgd", eval_size: int = 0
) -> int:
    """An estimate, in bytes, of the memory training ``MLP(sizes[0], sizes[1:])`` takes in
    this engine with mini-batches of ``batch_size`` samples and evaluations of
    ``eval_size`` samples at a time: a weight, a gradient and the optimizer's buffers per
    parameter (8 bytes each; Adam keeps two), and a few activations per sample and unit."""
    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    buffers = 2 + (2 if optimizer == "adam" else 1)  # weight, gradient, optimizer state
    rows = max(batch_size, eval_size)
    return 8 * (n_params * buffers + _ACTIVATION_COPIES * rows * sum(sizes))


def leaf(data, label: str = "") -> Tensor:
    """A leaf node that receives a gradient: a float64 ``Tensor`` with requires_grad."""
    return Tensor(data, requires_grad=True, label=label)


def to_numpy(x) -> np.ndarray:
    """A Tensor (or array-like) as a float64 array of its data."""
    if isinstance(x, Tensor):
        x = x.data
    return np.asarray(x, dtype=np.float64)


def write_data(node: Tensor, values: np.ndarray) -> None:
    """Set ``node``'s values from ``values`` (a float64 array of its shape, as ``to_numpy``
    reads it), in place and in the node's own dtype: how ``minigrad.gradcheck`` nudges an
    input. (In place: the rules of a graph built on ``node`` read its array.)"""
    node.data[...] = values


__all__ = [
    "FLOAT_DTYPES",
    "MAX_PARAMETERS",
    "MLP",
    "NODE_PER_NUMBER",
    "SGD",
    "Adam",
    "Layer",
    "Module",
    "ModuleList",
    "Neuron",
    "Tensor",
    "cross_entropy_loss",
    "leaf",
    "linear",
    "mse_loss",
    "no_grad",
    "to_numpy",
    "training_memory",
    "write_data",
]
