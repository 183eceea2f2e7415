"""Undoing NumPy's broadcasting (and dtype promotion) in the gradient, once for every op.

Guarantee: every input gets a gradient of its own shape and dtype. ``x + b`` with ``x`` of
shape ``(N, 3)`` and ``b`` of shape ``(3,)`` broadcasts ``b`` over the rows, so ``b``'s
gradient is the result's gradient summed over the rows; a float32 input of a float64 op
gets a float32 gradient, as in PyTorch. ``fitted`` wraps each rule whose input was
broadcast or promoted with ``unbroadcast`` and a cast, when the node is made, so the rules
in ``engine.py`` stay bare maths and ``backward`` never compares shapes. Proved by
tests/test_equivalence.py and tests/test_properties.py (random broadcast shapes against
finite differences) and tests/test_tensor_misuse.py (dtypes).
"""

import numpy as np

from minigrad.tensor.convert import check_data


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: undo NumPy broadcasting of an input of that shape."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1
    )
    grad = grad.sum(axis=axes, keepdims=True) if axes else grad
    return grad.reshape(shape)


def fitted(rules, parents, out):
    """``rules``, each followed by ``unbroadcast`` to its input's shape and a cast to its
    input's dtype where the input's shape or dtype differs from the result ``out``'s."""
    shape, dtype = np.shape(out), out.dtype
    try:
        return tuple(
            rule if p.data.shape == shape and p.data.dtype == dtype else _fit(rule, p.data)
            for p, rule in zip(parents, rules)
        )
    except AttributeError:  # a parent's .data was assigned a list: say so (convert.py)
        check_data(parents)
        raise


def _fit(rule, like):
    shape, dtype = like.shape, like.dtype
    return lambda g: unbroadcast(rule(g), shape).astype(dtype, copy=False)
