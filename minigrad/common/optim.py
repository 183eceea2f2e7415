"""``SGD`` and ``Adam``, written once for both engines with PyTorch's exact update rules.

The update rules are array maths. A tensor-engine parameter already is an array
(``.data`` / ``.grad``). The scalar engine's parameters are many ``Value`` objects with float
``.data`` / ``.grad``; the optimizer gathers them into one flat vector (``_ScalarVector``),
applies the same rule, and writes the result back. So the rule exists once, and the two
engines cannot drift apart.
"""

import math
import operator

import numpy as np

from minigrad.common.graph import renew_stamps

_get_data = operator.attrgetter("data")
_get_grad = operator.attrgetter("grad")


class _ScalarVector:
    """A flat array view of scalar-engine parameters (objects with float data/grad)."""

    def __init__(self, nodes):
        self.nodes = nodes

    @property
    def data(self):
        return np.fromiter(map(_get_data, self.nodes), np.float64, len(self.nodes))

    @data.setter
    def data(self, array):
        for node, x in zip(self.nodes, array.tolist()):
            node.data = x

    @property
    def grad(self):
        return np.fromiter(map(_get_grad, self.nodes), np.float64, len(self.nodes))


def _array_views(params):
    """Group parameters into array views: tensors as they are, scalars into one vector."""
    arrays, scalars = [], []
    for p in params:
        (arrays if isinstance(p.data, np.ndarray) else scalars).append(p)
    if scalars:
        arrays.append(_ScalarVector(scalars))
    return arrays


def _check_nonnegative(name, value):
    if not value >= 0.0:
        raise ValueError(f"invalid {name}: {value!r} (must be >= 0)")


class Optimizer:
    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        seen = set()
        for i, p in enumerate(self.params):
            if id(p) in seen:  # it would move twice as far as the others in one step
                raise ValueError(f"optimizer got parameter {i} twice (the same {type(p).__name__})")
            seen.add(id(p))
            if not getattr(p, "requires_grad", True):
                raise ValueError(
                    f"optimizer got parameter {i}, a tensor that does not require grad: "
                    "it would never receive a gradient (make it with requires_grad=True)"
                )
        if not lr > 0.0:
            raise ValueError(f"invalid learning rate: {lr!r} (must be > 0)")
        self.lr = lr
        self._views = _array_views(self.params)

    def __repr__(self):
        settings = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._SETTINGS)
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"

    def zero_grad(self):
        for p in self.params:
            p._zero_grad()

    def step(self):
        for i, view in enumerate(self._views):
            self._update(i, view)
        renew_stamps(self.params)  # graphs built before this step are stale now

    def _update(self, i, view):
        raise NotImplementedError


class SGD(Optimizer):
    """``torch.optim.SGD`` (dampening 0, no Nesterov).

    g = grad + weight_decay * p;  buf = g on the first step, then momentum * buf + g;
    p -= lr * buf  (or lr * g without momentum).
    """

    _SETTINGS = ("lr", "momentum", "weight_decay")

    def __init__(self, params, lr=0.01, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr)
        _check_nonnegative("momentum", momentum)
        _check_nonnegative("weight_decay", weight_decay)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self._buf = [None] * len(self._views)

    def _update(self, i, view):
        g = view.grad
        if self.weight_decay:
            g = g + self.weight_decay * view.data
        if self.momentum:
            buf = self._buf[i]
            if buf is None:
                buf = self._buf[i] = np.array(g, copy=True)
            else:
                buf *= self.momentum
                buf += g
            g = buf
        view.data -= self.lr * g


class Adam(Optimizer):
    """``torch.optim.Adam`` with L2 weight decay (added to the gradient) and bias correction.

    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g;
    p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """

    _SETTINGS = ("lr", "betas", "eps", "weight_decay")

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        beta1, beta2 = betas
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"invalid {name}: {beta!r} (must be in [0, 1))")
        _check_nonnegative("eps", eps)
        _check_nonnegative("weight_decay", weight_decay)
        self.betas = (beta1, beta2)
        self.eps = eps
        self.weight_decay = weight_decay
        self.t = 0
        self._m = [None] * len(self._views)
        self._v = [None] * len(self._views)

    def step(self):
        self.t += 1
        super().step()

    def _update(self, i, view):
        beta1, beta2 = self.betas
        g = view.grad
        if self.weight_decay:
            g = g + self.weight_decay * view.data
        if self._m[i] is None:
            self._m[i] = np.zeros_like(g)
            self._v[i] = np.zeros_like(g)
        m, v = self._m[i], self._v[i]
        m += (1.0 - beta1) * (g - m)  # torch's lerp_(g, 1 - beta1)
        v *= beta2
        v += (1.0 - beta2) * (g * g)  # torch's addcmul_(g, g, 1 - beta2)
        step_size = self.lr / (1.0 - beta1**self.t)
        denom = np.sqrt(v) / math.sqrt(1.0 - beta2**self.t) + self.eps
        view.data -= step_size * (m / denom)
