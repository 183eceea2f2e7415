"""``gradcheck``: compare an engine's gradients with central finite differences.

Works for functions of any engine's nodes: each number of each input is nudged by
``+-eps`` in turn and the function re-evaluated (without building a graph). An input's
values are read with its engine's ``to_numpy`` and written with its ``write_data`` (the
engine contract, ``minigrad/registry.py``). Use float64 inputs.
"""

from collections.abc import Callable, Iterable

import numpy as np
from numpy.typing import NDArray

from minigrad.common.grad_mode import no_grad
from minigrad.registry import Node, backend_of


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with finite differences."""


def _as_array(x):
    return np.array(x, dtype=np.float64)


def numerical_grads(
    func: Callable[..., Node], inputs: Iterable[Node], eps: float = 1e-6
) -> list[NDArray[np.float64]]:
    """Central finite differences of ``func(*inputs).item()`` for each input, as arrays;
    every input holds its own values again afterwards."""
    grads = []
    with no_grad():
        for node in inputs:
            B = backend_of(node)
            values = np.array(B.to_numpy(node), dtype=np.float64)  # a copy, to nudge
            g = np.zeros(values.shape)
            for idx in np.ndindex(values.shape):
                nudged = values.copy()
                nudged[idx] = values[idx] + eps
                B.write_data(node, nudged)
                plus = func(*inputs).item()
                nudged[idx] = values[idx] - eps
                B.write_data(node, nudged)
                minus = func(*inputs).item()
                g[idx] = (plus - minus) / (2 * eps)
            B.write_data(node, values)
            grads.append(g)
    return grads


def gradcheck(
    func: Callable[..., Node],
    inputs: Iterable[Node],
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
) -> bool:
    """Check ``func``'s gradients with respect to ``inputs`` against finite differences.

    ``func(*inputs)`` must return a node with one element (a ``Value`` or a one-element
    ``Tensor``). Returns True, or raises ``GradcheckError`` naming the input, the element
    and both gradients.
    """
    inputs = list(inputs)
    for node in inputs:
        node._zero_grad()
    out = func(*inputs)
    out.backward()
    analytic = [_as_array(node.grad) for node in inputs]
    numeric = numerical_grads(func, inputs, eps)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        close = np.isclose(a, n, rtol=rtol, atol=atol)
        if not close.all():
            idx = tuple(int(j) for j in np.argwhere(~close)[0])
            raise GradcheckError(
                f"gradient of input {i} at index {idx}: backward gives {a[idx]!r}, "
                f"finite differences give {n[idx]!r}"
            )
    return True
