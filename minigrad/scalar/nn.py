"""Neural-network modules of the scalar engine: ``Module``, ``Neuron``, ``Layer``, ``MLP``,
``ModuleList``.

Twin: ``minigrad/tensor/nn.py``. Weights come from ``minigrad.common.init`` as arrays and
become one ``Value`` per number. A neuron computes ``act(w1*x1 + ... + wn*xn + b)`` with one
``Value`` per multiply and one n-ary sum node. Names, shapes and ``state_dict`` layout
follow PyTorch's ``nn.Linear``: weight ``(nout, nin)``, bias ``(nout,)``.
"""

import numbers

import numpy as np

from minigrad.common.checks import check_activation, check_width
from minigrad.common.init import check_sizes, linear_init, make_rng
from minigrad.common.module import MLPBase, ModuleBase, ModuleListBase
from minigrad.scalar.engine import Value, sum_node

_ACT = {"relu": Value.relu, "tanh": Value.tanh, "sigmoid": Value.sigmoid, "linear": None}


def _nested(p):
    return bool(p) and isinstance(p[0], list)


def _rows(p):
    """A parameter as rows of Values: a weight is its rows, a bias one row, a Value one."""
    if isinstance(p, Value):
        return [[p]]
    return p if _nested(p) else [p]


class Module(ModuleBase):
    """Base class of the scalar engine's modules. A parameter is a ``Value`` (shape ``()``;
    a ``Value`` assigned as an attribute registers itself), a list of ``Value`` (a bias) or
    a list of such lists (a weight, one list per row: ``Neuron`` and ``Layer`` list theirs
    in ``_own_params``)."""

    engine = "scalar"
    _node_per_number = True
    _param_hint = "Value(data)"

    @staticmethod
    def _is_param(value):
        return isinstance(value, Value) and not value._prev  # a leaf, as a parameter is

    @staticmethod
    def _param_data(p):
        rows = [[v.data for v in row] for row in _rows(p)]
        return np.array(rows, dtype=np.float64).reshape(Module._param_shape(p))

    @staticmethod
    def _param_grad(p):
        rows = [[v.grad for v in row] for row in _rows(p)]
        return np.array(rows, dtype=np.float64).reshape(Module._param_shape(p))

    @staticmethod
    def _param_shape(p):
        if isinstance(p, Value):
            return ()
        return (len(p), len(p[0])) if _nested(p) else (len(p),)

    @staticmethod
    def _param_write(p, array):
        rows = _rows(p)
        for row, values in zip(rows, array.reshape(len(rows), -1).tolist()):
            for v, x in zip(row, values):
                v.data = x

    @staticmethod
    def _param_nodes(p):
        if isinstance(p, Value):
            return [p]
        return [v for row in p for v in row] if _nested(p) else list(p)


def _as_rows(x, nin):
    """Return ``(rows, batched)``: the input as a list of rows of numbers or Values. A bare
    Value or number is one sample of width 1 (what a one-output layer hands the next)."""
    if isinstance(x, (Value, numbers.Real)):
        x = [x]
    if isinstance(x, np.ndarray):
        if x.ndim not in (1, 2):
            raise ValueError(f"input must be 1-D or 2-D, got shape {x.shape}")
        batched, rows = x.ndim == 2, x.tolist()
    elif isinstance(x, (list, tuple)):
        batched = len(x) > 0 and isinstance(x[0], (list, tuple, np.ndarray))
        rows = list(x) if batched else x
    else:
        raise TypeError(f"input must be a list, tuple or array, got {type(x).__name__}")
    if not batched:
        rows = [rows]
    for row in rows:
        check_width(nin, len(row))
    return rows, batched


class Neuron(Module):
    """One unit: ``act(w . x + b)``. A 1-D input gives one ``Value``; a 2-D ``(N, nin)``
    input gives a list of N."""

    def __init__(self, nin, act="linear", seed=None):
        self.act = act  # checked (the property below)
        self.nin = nin
        weight, bias = linear_init(nin, 1, make_rng(seed))
        self._set_weights(weight[0], bias[0])

    def _set_weights(self, weight, bias):
        """New parameters holding ``weight`` (a row of ``nin`` numbers) and ``bias``."""
        self.w = [Value(x) for x in weight.tolist()]
        self.b = Value(float(bias))
        self._ones = (1.0,) * (self.nin + 1)

    @property
    def act(self):
        """The activation's name; setting it changes what ``forward`` applies."""
        return self._act_name

    @act.setter
    def act(self, name):
        self._act_name = check_activation(name)
        self._act = _ACT[name]

    def _own_params(self):
        return [("weight", [self.w]), ("bias", [self.b])]

    def _forward_row(self, row):
        terms = [w * x for w, x in zip(self.w, row)]
        terms.append(self.b)
        out = sum_node(tuple(terms), self._ones)
        return out if self._act is None else self._act(out)

    def forward(self, x):
        rows, batched = _as_rows(x, self.nin)
        outs = [self._forward_row(row) for row in rows]
        return outs if batched else outs[0]

    def extra_repr(self):
        return f"{self.nin}, act={self.act!r}"


class Layer(Module):
    """``nout`` neurons on the same input. A 1-D input gives a list of ``nout`` Values, or
    for ``nout == 1`` that one Value itself (as micrograd's ``Layer`` does); a 2-D input
    gives N lists of ``nout`` Values."""

    def __init__(self, nin, nout, act="linear", seed=None):
        check_activation(act)
        check_sizes(nin, nout)
        self.nin, self.nout = nin, nout
        weight, bias = linear_init(nin, nout, make_rng(seed))
        self.neurons = [_neuron(nin, act, weight[i], bias[i]) for i in range(nout)]

    @property
    def act(self):
        """The activation's name; setting it sets every neuron's."""
        return self.neurons[0].act

    @act.setter
    def act(self, name):
        check_activation(name)
        for n in self.neurons:
            n.act = name

    def _own_params(self):
        return [("weight", [n.w for n in self.neurons]), ("bias", [n.b for n in self.neurons])]

    def train(self, mode=True):
        super().train(mode)
        for n in self.neurons:  # not submodules (their weights are the layer's rows)
            n.train(mode)
        return self

    def forward(self, x):
        rows, batched = _as_rows(x, self.nin)
        outs = [[n._forward_row(row) for n in self.neurons] for row in rows]
        if batched:
            return outs
        return outs[0][0] if self.nout == 1 else outs[0]

    def extra_repr(self):
        return f"{self.nin}, {self.nout}, act={self.act!r}"


def _neuron(nin, act, weight, bias):
    """A ``Neuron`` holding a layer's row of weights (``weight``, ``bias``), none drawn."""
    neuron = object.__new__(Neuron)
    neuron.act, neuron.nin = act, nin
    neuron._set_weights(weight, bias)
    return neuron


class MLP(MLPBase, Module):
    __doc__ = MLPBase.__doc__ + "\n    One sample with one output gives that Value itself.\n"

    def __init__(self, nin, nouts, act="relu", seed=None):
        self._build(nin, nouts, act, seed, Layer, ModuleList)


class ModuleList(ModuleListBase, Module):
    __doc__ = ModuleListBase.__doc__
