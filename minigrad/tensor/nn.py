"""Neural-network modules of the tensor engine: ``Module``, ``Neuron``, ``Layer``, ``MLP``,
``ModuleList``.

Twin: ``minigrad/scalar/nn.py``, with the same signatures, initial weights, ``state_dict``
layout and errors. Here a layer is one fused node (``linear``) followed by its activation.
``dtype`` (float64 by default, or float32) sets the dtype of parameters, gradients and the
inputs a model casts to.
"""

import numpy as np

from minigrad.common.checks import check_activation
from minigrad.common.fp_errors import quiet
from minigrad.common.init import check_sizes, linear_init, make_rng
from minigrad.common.module import MLPBase, ModuleBase, ModuleListBase
from minigrad.tensor.convert import check_dtype
from minigrad.tensor.engine import Tensor, linear

_ACT = {"relu": Tensor.relu, "tanh": Tensor.tanh, "sigmoid": Tensor.sigmoid, "linear": None}


class Module(ModuleBase):
    """Base class of the tensor engine's modules. A parameter is a leaf ``Tensor`` that
    requires grad; assigned as an attribute, it registers itself."""

    engine = "tensor"
    _param_hint = "Tensor(data, requires_grad=True)"

    @staticmethod
    def _is_param(value):
        return isinstance(value, Tensor) and value.requires_grad and not value._prev

    @staticmethod
    def _param_data(p):
        return p.data.astype(np.float64, copy=True)

    @staticmethod
    def _param_grad(p):  # (zeros without a gradient, and p still has none: .grad would keep them)
        if p._grad is None:
            return np.zeros(p.data.shape)
        return p.grad.astype(np.float64, copy=True)

    @staticmethod
    def _param_shape(p):
        return p.data.shape

    @staticmethod
    def _param_write(p, array):
        with quiet():  # a float64 1e300 into a float32 weight: inf, as in PyTorch, quietly
            p.data[...] = array

    @staticmethod
    def _param_nodes(p):
        return [p]


def _as_input(x, dtype):
    """An input as a Tensor of the model's dtype: a copy, as ``Tensor(x)`` makes, since the
    weight's gradient rule reads it at backward time and the caller may reuse the array."""
    if type(x) is np.ndarray and x.dtype == dtype:  # (== is also False for a swapped order)
        # The common case, an array of the model's dtype: one copy, no checks. The plain
        # form is Tensor(x, dtype=dtype); tests/test_tensor_engine.py proves both the same.
        return Tensor._make(x.copy(), (), (), "")
    if not isinstance(x, Tensor):
        return Tensor(x, dtype=dtype)
    if x.data.dtype.type is dtype:
        return x
    if x._prev or x.requires_grad:  # a cast would cut the graph: no gradient would flow back
        raise TypeError(
            f"input is a {x.data.dtype} tensor in a graph, and this layer is "
            f"{np.dtype(dtype).name}: PyTorch refuses the mix too (build both layers with the "
            "same dtype)"
        )
    return Tensor(x.data, dtype=dtype)  # plain data: converted, as an array is


class _Dense(Module):
    """What ``Layer`` and ``Neuron`` share: ``act(x @ weight.T + bias)`` as one fused
    ``linear`` node and its activation. (They are siblings, as in the scalar engine, where
    a ``Layer`` holds ``Neuron``s: neither is a kind of the other.)"""

    def _init(self, nin, nout, act, seed, dtype):
        self.act = act  # checked (the property below)
        check_sizes(nin, nout)
        self.nin = nin
        self.dtype = check_dtype(dtype)  # a NumPy scalar type: np.float64 or np.float32
        weight, bias = linear_init(nin, nout, make_rng(seed))
        # assigned, they register as parameters in this order: weight, then bias
        self.weight = Tensor(weight, requires_grad=True, dtype=self.dtype)
        self.bias = Tensor(bias, requires_grad=True, dtype=self.dtype)

    @property
    def act(self):
        """The activation's name; setting it changes what ``forward`` applies."""
        return self._act_name

    @act.setter
    def act(self, name):
        self._act_name = check_activation(name)
        self._act = _ACT[name]

    def forward(self, x):
        if type(x) is not Tensor or x.data.dtype.type is not self.dtype:  # (a hidden layer's is)
            x = _as_input(x, self.dtype)
        out = linear(x, self.weight, self.bias)  # checks shapes and dtypes
        return out if self._act is None else self._act(out)


class Layer(_Dense):
    """``act(x @ weight.T + bias)``: ``(N, nin) -> (N, nout)``, ``(nin,) -> (nout,)``."""

    def __init__(self, nin, nout, act="linear", seed=None, dtype=np.float64):
        self._init(nin, nout, act, seed, dtype)
        self.nout = nout

    def extra_repr(self):
        return f"{self.nin}, {self.nout}, act={self.act!r}"


class Neuron(_Dense):
    """One unit, ``act(w . x + b)``: ``(nin,) -> ()``, ``(N, nin) -> (N,)``."""

    def __init__(self, nin, act="linear", seed=None, dtype=np.float64):
        self._init(nin, 1, act, seed, dtype)

    def forward(self, x):
        out = super().forward(x)
        return out.reshape(out.data.shape[:-1])

    def extra_repr(self):
        return f"{self.nin}, act={self.act!r}"


class MLP(MLPBase, Module):
    __doc__ = MLPBase.__doc__

    def __init__(self, nin, nouts, act="relu", seed=None, dtype=np.float64):
        self.dtype = check_dtype(dtype)
        self._build(
            nin, nouts, act, seed, lambda i, o, a, rng: Layer(i, o, a, rng, self.dtype), ModuleList
        )


class ModuleList(ModuleListBase, Module):
    __doc__ = ModuleListBase.__doc__
