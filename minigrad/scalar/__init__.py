"""The scalar engine: a graph of ``Value`` objects, one Python object per number.

It is minigrad's reference engine: every multiply is its own node, so a forward pass of an
MLP builds at least one node per weight, and the cost of an autograd engine is visible.
Twin: ``minigrad.tensor``, the same API over NumPy arrays.

Besides the names every engine exports, this module states the engine's facts the tools
read (the engine contract, ``minigrad/registry.py``): ``FLOAT_DTYPES``, ``MAX_PARAMETERS``,
``NODE_PER_NUMBER``, ``write_data`` and ``training_memory``.
"""

from collections.abc import Sequence

import numpy as np

from minigrad.common.grad_mode import no_grad
from minigrad.common.optim import SGD, Adam
from minigrad.scalar.engine import Value
from minigrad.scalar.losses import cross_entropy_loss, mse_loss
from minigrad.scalar.nn import MLP, Layer, Module, ModuleList, Neuron

# A Value holds one Python float: a model of this engine is float64 whatever its file says.
FLOAT_DTYPES = ("float64",)

# The most parameters minigrad.load builds in this engine: a file declaring more is refused
# before it is read. A parameter is a Value (about 160 bytes; about 210 at the peak of a load,
# measured with tracemalloc), and building a million of them takes seconds, so the budget is
# a million (about 160 MB held, 210 MB at the peak). Raise it to load bigger models.
MAX_PARAMETERS = 1_000_000

# A node is one number: its data is a float, it has no shape (the engine's Module says so too,
# for named_parameters: minigrad/common/module.py).
NODE_PER_NUMBER = Module._node_per_number

# Bytes a training run keeps per parameter, and per parameter and sample, measured with
# tracemalloc on a digits MLP (batch 32, SGD with momentum): a Value and its optimizer state
# take about 175 bytes per parameter, the graph of a step about 330 per parameter and sample.
_BYTES_PER_PARAM = 200
_BYTES_PER_PARAM_SAMPLE = 350


def training_memory(
    sizes: Sequence[int], batch_size: int, optimizer: str = "sgd", eval_size: int = 0
) -> int:
    """An estimate, in bytes, of the memory training ``MLP(sizes[0], sizes[1:])`` takes in
    this engine with mini-batches of ``batch_size`` samples (either optimizer: a Value's
    optimizer state is small beside its graph), evaluating ``eval_size`` samples at a time
    (under no_grad: no graph, so next to nothing)."""
    n_params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    return n_params * (_BYTES_PER_PARAM + _BYTES_PER_PARAM_SAMPLE * batch_size)


def leaf(data, label: str = "") -> Value:
    """A leaf node that receives a gradient (in this engine, any ``Value``)."""
    return Value(data, label=label)


def to_numpy(x) -> np.ndarray:
    """Values (a Value, or nested lists of them) as a float64 array of their ``.data``."""
    return np.array(_data(x), dtype=np.float64)


def write_data(node: Value, values: np.ndarray) -> None:
    """Set ``node``'s value from ``values`` (a one-number float64 array, as ``to_numpy``
    reads it): how ``minigrad.gradcheck`` nudges an input."""
    node.data = float(values)


def _data(x):
    if isinstance(x, Value):
        return x.data
    if isinstance(x, (list, tuple)):
        return [_data(e) for e in x]
    return x


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
    "Value",
    "cross_entropy_loss",
    "leaf",
    "mse_loss",
    "no_grad",
    "to_numpy",
    "training_memory",
    "write_data",
]
