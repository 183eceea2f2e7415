"""The tensor engine: autograd over NumPy arrays, the scalar engine vectorised.

Twin: ``minigrad.scalar``, with the same API; tests/test_equivalence.py proves that both
compute the same values, gradients and training trajectories.
"""

import numpy as np

from minigrad.common.grad_mode import no_grad
from minigrad.common.optim import SGD, Adam
from minigrad.tensor.engine import Tensor, linear
from minigrad.tensor.losses import cross_entropy_loss, mse_loss
from minigrad.tensor.nn import MLP, Layer, Module, Neuron


def leaf(data, label=""):
    """A leaf node that receives a gradient: a float64 ``Tensor`` with requires_grad."""
    return Tensor(data, requires_grad=True, label=label)


def to_numpy(x):
    """A Tensor (or array-like) as a float64 array of its data."""
    if isinstance(x, Tensor):
        x = x.data
    return np.asarray(x, dtype=np.float64)


__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "Layer",
    "Module",
    "Neuron",
    "Tensor",
    "cross_entropy_loss",
    "leaf",
    "linear",
    "mse_loss",
    "no_grad",
    "to_numpy",
]
