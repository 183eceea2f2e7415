"""What a ``Value`` accepts as a number (input conversion and validation).

Guarantee: a ``Value`` holds one Python float. Any real number is converted (int, bool,
``fractions.Fraction``, NumPy's integer, float and bool scalars); anything else (a string,
``None``, a complex number, an array, a list) raises ``TypeError`` naming what was given,
instead of a ``Value`` that holds it and fails later. Proved by tests/test_scalar_engine.py
and tests/test_adversarial*.py.
"""

import numbers

import numpy as np


def as_float(x):
    """``x`` as a Python float, or ``TypeError`` if it is not one real number."""
    if type(x) is float:
        return x
    if isinstance(x, (numbers.Real, np.bool_)):
        return float(x)
    raise TypeError(f"Value holds one real number, got {type(x).__name__}: {x!r}")
