"""IEEE special values for the tensor engine, twin of ``minigrad/scalar/ieee.py``.

Guarantee: every op of ``Tensor`` gives PyTorch float64's value and gradient at ±0, ±inf,
nan, overflow and underflow, equal to the scalar engine's, without NumPy's RuntimeWarnings
whatever the caller's own NumPy error settings. NumPy already computes inf and nan where
Python's ``math`` raises; what is left is to keep it quiet (``engine.py`` computes inside
``with quiet():``, from ``minigrad/common/fp_errors.py``, and so do the two ops below),
and two corrections: ``power`` undoes NumPy's sqrt shortcut for ``x ** 0.5``, and
``sigmoid`` is 0 where PyTorch's is. Proved by tests/test_special_values.py (every op over
±0, ±1, ±2.5, ±1e-300, ±1e300, ±inf and nan, against PyTorch and the scalar engine) and
tests/test_trust_ops.py (``x ** 0.5`` in every form, sigmoid at its overflow boundary).
"""

import numpy as np

from minigrad.common.fp_errors import quiet


def power(x, y):
    """``x ** y`` by C99's rules, as the scalar engine's (and PyTorch's tensor ** tensor); a
    negative finite base to a finite non-integer power is the contract's ``ValueError``
    (PyTorch gives nan)."""
    if np.any((x < 0) & (x > -np.inf) & np.isfinite(y) & (y != np.floor(y))):
        raise ValueError(
            "negative base to a fractional power is not a real number "
            f"(base min {x.min()!r}, exponents {y!r})"
        )
    with quiet():
        out = np.power(x, y)
        # NumPy computes x ** 0.5 as sqrt(x) when the exponent is one number (a 0-d array,
        # or broadcast): -0.0 at -0.0 and nan at -inf, where C99's pow gives +0.0 and inf
        half = y == 0.5
        if half.any():
            return np.where(half, np.where(x == -np.inf, np.inf, out + 0.0), out)
        return out


def _exp_finite_up_to(dtype):
    """The largest ``x`` of ``dtype`` whose ``exp`` is finite (709.78 in float64, 88.72 in
    float32)."""
    x = np.log(np.finfo(dtype).max, dtype=dtype)
    with quiet():
        return x if np.isfinite(np.exp(x)) else np.nextafter(x, dtype(0))


# where 1 / (1 + e**-x) becomes 1 / inf: below minus these
_SIGMOID_ZERO_BELOW = {np.dtype(t): -_exp_finite_up_to(t) for t in (np.float64, np.float32)}


def sigmoid(x):
    """``1 / (1 + e**-x)``, which never overflows: exp is only taken of a number <= 0.

    0 where ``e**-x`` overflows (x < -709.78 in float64, below -88.72 in float32), as
    PyTorch gives there (its ``1 / (1 + e**-x)`` is 1 / inf), where ``e**x / (1 + e**x)``
    would be a subnormal number."""
    with quiet():  # exp(-1000) underflows to 0: quietly
        e = np.exp(-np.abs(x))
        s = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return np.where(x < _SIGMOID_ZERO_BELOW[x.dtype], 0.0, s)
