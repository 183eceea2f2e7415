"""``SGD`` and ``Adam``, written once for both engines with PyTorch's exact update rules.

The update rules are array maths. An optimizer asks each parameter's node class for array
views of its parameters (``_array_views``, part of the engine contract in
``minigrad/registry.py``): a tensor-engine parameter is its own view (``.data``/``.grad``
arrays); the scalar engine gathers its many ``Value`` objects into one flat vector, and
writes the result back. So the rule exists once, and the two engines cannot drift apart.

A parameter without a gradient (PyTorch's ``.grad is None``: no backward reached it since it
was made or zeroed, or its ``.grad`` was set to None) is skipped, as PyTorch skips it: it does
not move, and its momentum and step count wait. A rule reads a view's gradient from its
``_grad``, None when the view has none (a tensor's own slot). The rules keep their state per
view, as PyTorch keeps it per parameter; a view of many nodes (the scalar engine's vector of
Values, each a parameter) of which only some have a gradient is split in two first
(``_split_views``).
"""

import math
import numbers

import numpy as np

from minigrad.common.fp_errors import quiet
from minigrad.common.graph import renew_stamps


def _by_class(params):
    """``[(node class, [its params])]`` in first-seen order (one class per engine)."""
    groups = {}
    for p in params:
        groups.setdefault(type(p), []).append(p)
    return list(groups.items())


def _is_finite_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _positive_lr(name, value):
    if not (_is_finite_real(value) and value > 0.0):
        raise ValueError(f"invalid learning rate: {value!r} (must be a finite number > 0)")
    return float(value)  # (a Fraction times an array is an object array: step() would fail)


def _nonnegative(name, value):
    if not (_is_finite_real(value) and value >= 0.0):
        raise ValueError(f"invalid {name}: {value!r} (must be a finite number >= 0)")
    return float(value)


def _beta_pair(name, value):
    try:
        beta1, beta2 = value
    except (TypeError, ValueError):
        raise ValueError(f"invalid betas: {value!r} (must be a pair (beta1, beta2))") from None
    for which, beta in (("beta1", beta1), ("beta2", beta2)):
        if not (_is_finite_real(beta) and 0.0 <= beta < 1.0):
            raise ValueError(f"invalid {which}: {beta!r} (must be in [0, 1))")
    return (float(beta1), float(beta2))


class _Setting:
    """An optimizer setting checked whenever it is written, at construction and after (a
    learning-rate schedule writes ``opt.lr``): a nan or negative rate would silently ruin
    every weight at the next step. ``step()`` reads the checked value from ``_<name>``.
    ``doc`` is what ``help()`` shows for it."""

    def __init__(self, check, doc):
        self.check = check
        self.__doc__ = doc

    def __set_name__(self, owner, name):
        self.name, self.slot = name, "_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        try:
            return obj.__dict__[self.slot]
        except KeyError:  # not set yet: getattr(opt, name, default) and hasattr must work
            raise AttributeError(
                f"{type(obj).__name__!r} object has no attribute {self.name!r} (not set yet)"
            ) from None

    def __set__(self, obj, value):
        obj.__dict__[self.slot] = self.check(self.name, value)


class Optimizer:
    """What ``SGD`` and ``Adam`` share: the parameters, ``lr``, ``zero_grad()`` and ``step()``."""

    lr = _Setting(_positive_lr, "The learning rate, a finite number > 0 (checked when written).")
    _STATE = ()  # the names of the rule's per-view state lists (split with the views)

    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        seen = set()
        for i, p in enumerate(self.params):
            if id(p) in seen:  # it would move twice as far as the others in one step
                raise ValueError(f"optimizer got parameter {i} twice (the same {type(p).__name__})")
            seen.add(id(p))
            if not hasattr(type(p), "_array_views"):  # e.g. floats, an array, a nested list
                raise TypeError(
                    f"optimizer parameter {i} is a {type(p).__name__}, not a graph node "
                    "(pass model.parameters())"
                )
            if p._prev:  # PyTorch: "can't optimize a non-leaf Tensor"
                raise ValueError(
                    f"optimizer got parameter {i}, a node computed from others by {p._op!r}: "
                    "the next forward pass computes it again, so stepping it trains nothing "
                    "(optimize the leaves it was computed from)"
                )
            if not getattr(p, "requires_grad", True):
                raise ValueError(
                    f"optimizer got parameter {i}, a tensor that does not require grad: "
                    "it would never receive a gradient (make it with requires_grad=True)"
                )
        self.lr = lr
        self._groups = _by_class(self.params)
        self._views = [view for cls, ps in self._groups for view in cls._array_views(ps)]
        self._many = [i for i, view in enumerate(self._views) if hasattr(view, "subset")]

    def __repr__(self):
        """``SGD(n parameters, lr=..., ...)``: the class, how many parameters, the settings."""
        settings = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._SETTINGS)
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"

    def zero_grad(self) -> None:
        """Clear every parameter's gradient: none until the next backward reaches it."""
        for cls, params in self._groups:
            cls._zero_grads(params)

    def step(self) -> None:
        """One update of every parameter that has a gradient by the optimizer's rule
        (``_step``); one without a gradient does not move (see the module's docstring)."""
        with quiet():  # inf or nan in the update: no NumPy warning
            if self._many:
                self._split_views()
            self._step()
        renew_stamps(self.params)  # graphs built before this step are stale now

    def _split_views(self):
        """Split each view of many nodes (``_many``) of which only some have a gradient
        (``_has_grad``: one flag per node): those with one keep its place, the others become
        a new view at the end, each part with its share of the state (arrays are split, step
        counts copied). So the nodes of one view always share one history, and a rule
        written per view is exact per node. The split stays: a part whose nodes all get a
        gradient again is stepped as one view."""
        for i in list(self._many):
            view = self._views[i]
            has = view._has_grad
            if has is True or has is False:
                continue
            self._views[i] = view.subset(has)
            self._views.append(view.subset(~has))
            self._many.append(len(self._views) - 1)
            for name in self._STATE:
                states = getattr(self, name)
                state = states[i]
                if isinstance(state, np.ndarray):
                    states[i], state = state[has], state[~has]
                states.append(state)


class SGD(Optimizer):
    """``torch.optim.SGD`` (dampening 0, no Nesterov).

    g = grad + weight_decay * p;  buf = g on the first step, then momentum * buf + g;
    p -= lr * buf  (or lr * g without momentum).
    """

    _SETTINGS = ("lr", "momentum", "weight_decay")
    _STATE = ("_buf",)
    momentum = _Setting(_nonnegative, "The momentum factor, a number >= 0 (0: plain SGD).")
    weight_decay = _Setting(_nonnegative, "The L2 penalty: weight_decay * p is added to the grad.")

    def __init__(self, params, lr=0.01, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self._buf = [None] * len(self._views)

    def _step(self):
        lr, momentum, weight_decay = self._lr, self._momentum, self._weight_decay
        for i, view in enumerate(self._views):
            g = view._grad
            if g is None:  # no gradient: PyTorch skips the parameter
                continue
            if weight_decay:
                g = g + weight_decay * view.data
            if momentum:
                buf = self._buf[i]
                if buf is None:
                    buf = self._buf[i] = np.array(g, copy=True)
                else:
                    buf *= momentum
                    buf += g
                g = buf
            view.data -= lr * g


class Adam(Optimizer):
    """``torch.optim.Adam`` with L2 weight decay (added to the gradient) and bias correction.

    m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g;
    p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    (t: the parameter's own step count, as PyTorch's ``state["step"]``)
    """

    _SETTINGS = ("lr", "betas", "eps", "weight_decay")
    _STATE = ("_m", "_v", "_t")
    betas = _Setting(_beta_pair, "(beta1, beta2) in [0, 1): the decay rates of m and of v.")
    eps = _Setting(_nonnegative, "The number added to the denominator, >= 0, for stability.")
    weight_decay = _Setting(_nonnegative, "The L2 penalty: weight_decay * p is added to the grad.")

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self._m = [None] * len(self._views)
        self._v = [None] * len(self._views)
        self._t = [0] * len(self._views)

    def _step(self):
        beta1, beta2 = self._betas
        for i, view in enumerate(self._views):
            g = view._grad
            if g is None:  # no gradient: PyTorch skips the parameter, and its step count waits
                continue
            self._t[i] += 1
            step_size = self._lr / (1.0 - beta1 ** self._t[i])
            root_correction = math.sqrt(1.0 - beta2 ** self._t[i])
            if self._weight_decay:
                g = g + self._weight_decay * view.data
            if self._m[i] is None:
                self._m[i] = np.zeros_like(g)
                self._v[i] = np.zeros_like(g)
            m, v = self._m[i], self._v[i]
            m += (1.0 - beta1) * (g - m)  # torch's lerp_(g, 1 - beta1)
            v *= beta2
            v += (1.0 - beta2) * (g * g)  # torch's addcmul_(g, g, 1 - beta2)
            denom = np.sqrt(v) / root_correction + self._eps
            view.data -= step_size * (m / denom)
