"""IEEE special values for the tensor engine, twin of ``minigrad/scalar/ieee.py``.

Guarantee: every op of ``Tensor`` gives PyTorch float64's value and gradient at ±0, ±inf,
nan, overflow and underflow, equal to the scalar engine's, without NumPy's RuntimeWarnings
whatever the caller's own NumPy error settings. NumPy already computes inf and nan where
Python's ``math`` raises; what is left is to keep it quiet (``engine.py`` computes inside
``with quiet():``, from ``minigrad/common/fp_errors.py``, and so do the two ops below).
Proved by
tests/test_special_values.py (every op over ±0, ±1, ±2.5, ±1e-300, ±1e300, ±inf and nan,
against PyTorch and the scalar engine).
"""

import numpy as np

from minigrad.common.fp_errors import quiet


def power(x, y):
    """``x ** y`` by C99's rules; a negative finite base to a finite non-integer power is
    the contract's ``ValueError`` (PyTorch gives nan)."""
    if np.any((x < 0) & (x > -np.inf) & np.isfinite(y) & (y != np.floor(y))):
        raise ValueError(
            "negative base to a fractional power is not a real number "
            f"(base min {x.min()!r}, exponents {y!r})"
        )
    with quiet():
        return x**y


def sigmoid(x):
    """``1 / (1 + e**-x)``, which never overflows: exp is only taken of a number <= 0."""
    with quiet():  # exp(-1000) underflows to 0: quietly
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
