"""The scalar engine: a graph of ``Value`` objects, one Python object per number.

It is minigrad's reference engine: every multiply is its own node, so a forward pass of an
MLP builds at least one node per weight, and the cost of an autograd engine is visible.
Twin: ``minigrad.tensor``, the same API over NumPy arrays.
"""

import numpy as np

from minigrad.common.grad_mode import no_grad
from minigrad.common.optim import SGD, Adam
from minigrad.scalar.engine import Value
from minigrad.scalar.losses import cross_entropy_loss, mse_loss
from minigrad.scalar.nn import MLP, Layer, Module, Neuron


def leaf(data, label=""):
    """A leaf node that receives a gradient (in this engine, any ``Value``)."""
    return Value(data, label=label)


def to_numpy(x):
    """Values (a Value, or nested lists of them) as a float64 array of their ``.data``."""
    return np.array(_data(x), dtype=np.float64)


def _data(x):
    if isinstance(x, Value):
        return x.data
    if isinstance(x, (list, tuple)):
        return [_data(e) for e in x]
    return x


__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "Layer",
    "Module",
    "Neuron",
    "Value",
    "cross_entropy_loss",
    "leaf",
    "mse_loss",
    "no_grad",
    "to_numpy",
]
