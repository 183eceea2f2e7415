"""Seeded weight initialisation, one routine for both engines.

Weights and biases are drawn U(-1/sqrt(nin), 1/sqrt(nin)), PyTorch ``nn.Linear``'s default,
weight first then bias, as float64 arrays. Both engines build their parameters from these
arrays, so the same seed gives bit-identical initial weights in either engine.
"""

import math

import numpy as np

from minigrad.common.checks import is_positive_int


def make_rng(seed):
    """A ``numpy.random.Generator`` from a seed, ``None`` or an existing generator.

    ``None`` seeds it from NumPy's global random state, as scikit-learn's
    ``random_state=None`` does: fresh weights each time, and ``np.random.seed(n)`` (what
    micrograd's demo calls) makes a whole script reproducible.
    """
    if seed is None:
        seed = np.random.randint(0, 2**63 - 1, dtype=np.int64)  # noqa: NPY002 -- on purpose
    return np.random.default_rng(seed)


def linear_init(nin, nout, rng):
    """Return ``(weight (nout, nin), bias (nout,))`` drawn from ``rng``."""
    check_sizes(nin, nout)
    bound = 1.0 / math.sqrt(nin)
    weight = rng.uniform(-bound, bound, size=(nout, nin))
    bias = rng.uniform(-bound, bound, size=(nout,))
    return weight, bias


def check_sizes(*sizes):
    for n in sizes:
        if not is_positive_int(n):
            raise ValueError(f"layer sizes must be positive integers, got {n!r}")
