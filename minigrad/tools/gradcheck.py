"""``gradcheck``: compare an engine's gradients with central finite differences.

Works for functions of either engine's nodes: a scalar ``Value`` holds a float in
``.data``, a ``Tensor`` an array; each number is nudged by ``+-eps`` in turn and the
function re-evaluated (without building a graph). Use float64 inputs.
"""

import numpy as np

from minigrad.common.grad_mode import no_grad


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with finite differences."""


def _as_array(x):
    return np.array(x, dtype=np.float64)


def numerical_grads(func, inputs, eps=1e-6):
    """Central finite differences of ``func(*inputs).item()`` for each input, as arrays."""
    grads = []
    with no_grad():
        for node in inputs:
            data = node.data
            if isinstance(data, np.ndarray):
                g = np.zeros(data.shape, dtype=np.float64)
                for idx in np.ndindex(data.shape):
                    orig = data[idx]
                    data[idx] = orig + eps
                    plus = func(*inputs).item()
                    data[idx] = orig - eps
                    minus = func(*inputs).item()
                    data[idx] = orig
                    g[idx] = (plus - minus) / (2 * eps)
            else:
                node.data = data + eps
                plus = func(*inputs).item()
                node.data = data - eps
                minus = func(*inputs).item()
                node.data = data
                g = np.array((plus - minus) / (2 * eps))
            grads.append(g)
    return grads


def gradcheck(func, inputs, eps=1e-6, rtol=1e-5, atol=1e-7):
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
