"""IEEE special values for the scalar engine: inf and nan where Python's ``math`` raises.

Guarantee: every op of ``Value`` gives PyTorch float64's value and gradient at ±0, ±inf,
nan, overflow and underflow, and equals the tensor engine (which gets the same from
NumPy). Python's float arithmetic raises instead (``1.0 / 0.0`` is ``ZeroDivisionError``,
``math.exp(1000)`` is ``OverflowError``), so ``engine.py`` calls these where that can
happen. Proved by tests/test_special_values.py (every op over ±0, ±1, ±2.5, ±1e-300,
±1e300, ±inf and nan, against PyTorch). A first read of the engine may take each of them
as the plain operation its name says.
"""

import math

_INF = math.inf


def div(a, b):
    """``a / b``; division by zero gives ±inf (nan for 0 / 0 and nan / 0)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return math.nan
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def exp(x):
    """``e ** x``; inf where it overflows."""
    try:
        return math.exp(x)
    except OverflowError:
        return _INF


def power(x, y):
    """``x ** y`` by C99's rules (as PyTorch and NumPy): inf where Python would raise.

    A negative finite base to a finite non-integer power is not a real number: the
    contract's ``ValueError`` (PyTorch gives nan)."""
    if x < 0.0 and x != -_INF and math.isfinite(y) and not y.is_integer():
        raise ValueError(
            f"negative base to a fractional power: ({x!r}) ** {y!r} is not a real number"
        )
    try:
        return x**y
    except (OverflowError, ZeroDivisionError):  # |x ** y| too large, or 0.0 ** negative
        odd = y.is_integer() and y % 2.0 == 1.0
        return -_INF if odd and math.copysign(1.0, x) < 0.0 else _INF


def dpow_dbase(x, y):
    """d/dx x**y = y x**(y-1); 0 for y == 0 (PyTorch's convention, also at x == 0)."""
    return 0.0 if y == 0.0 else y * power(x, y - 1.0)


def dpow_dexp(x, y, out):
    """d/dy x**y = x**y ln x; 0 where x == 0 and y >= 0 (PyTorch's convention)."""
    if x == 0.0 and y >= 0.0:
        return 0.0
    return out * _ln(x)


def _ln(x):
    """ln x by IEEE rules, for derivatives only: -inf at 0, nan below (``log`` raises)."""
    if x > 0.0:
        return math.log(x)
    return -_INF if x == 0.0 else math.nan


# where 1 / (1 + e**-x) becomes 1 / inf: below minus the largest x whose exp is finite
_SIGMOID_ZERO_BELOW = -709.782712893384


def sigmoid(x):
    """``1 / (1 + e**-x)``, which never overflows: exp is only taken of a number <= 0.

    0 where ``e**-x`` overflows (x < -709.78), as PyTorch gives there (its
    ``1 / (1 + e**-x)`` is 1 / inf), where ``e**x / (1 + e**x)`` would be subnormal."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if x < _SIGMOID_ZERO_BELOW:
        return 0.0
    e = math.exp(x)
    return e / (1.0 + e)
