"""``ModuleBase``: the part of ``Module`` both engines share.

Naming, ``parameters()``, ``state_dict()``, ``grad_dict()``, ``load_state_dict()`` and
``zero_grad()`` are written here once. An engine's ``Module`` subclass says how one of its
parameters is read as an array, written from one, and flattened into graph nodes
(``_param_*`` below). A leaf module lists its parameters in ``_own_params()``; a container
lists its sub-modules in ``_submodules()``. Names follow PyTorch: ``layers.0.weight``.
"""

import numpy as np

from minigrad.common.checks import check_activation, layer_widths
from minigrad.common.graph import renew_stamps
from minigrad.common.init import check_sizes, make_rng


class ModuleBase:
    engine = None  # "scalar" or "tensor", set by each engine's Module
    _node_per_number = False  # True in an engine whose parameters are one node per number

    # -- what a module holds -------------------------------------------------------------
    def _own_params(self):
        """``[(name, param), ...]`` held directly by this module."""
        return []

    def _submodules(self):
        """``[(name, module), ...]`` held by this module."""
        return []

    def _named_params(self, prefix=""):
        """``[(state_dict key, param), ...]``: a param is an engine's own weight holder."""
        out = [(prefix + name, p) for name, p in self._own_params()]
        for name, module in self._submodules():
            out.extend(module._named_params(f"{prefix}{name}."))
        return out

    # -- engine hooks ---------------------------------------------------------------------
    @staticmethod
    def _param_data(p):  # -> float64 ndarray copy
        raise NotImplementedError

    @staticmethod
    def _param_grad(p):  # -> float64 ndarray copy
        raise NotImplementedError

    @staticmethod
    def _param_shape(p):
        raise NotImplementedError

    @staticmethod
    def _param_write(p, array):  # array already validated to the right shape
        raise NotImplementedError

    @staticmethod
    def _param_nodes(p):  # -> list of graph nodes, for parameters()
        raise NotImplementedError

    # -- the public surface ---------------------------------------------------------------
    def __call__(self, x):
        return self.forward(x)

    def parameters(self):
        """All trainable nodes, layer by layer, weight (row by row) then bias."""
        nodes = []
        for _, p in self._named_params():
            nodes.extend(self._param_nodes(p))
        return nodes

    def named_parameters(self):
        """``[(name, node), ...]`` in the order of ``parameters()``: the ``state_dict`` key
        of a tensor, or the key and index of one number (``layers.0.weight[2, 5]``) in an
        engine with one node per number."""
        out = []
        for name, p in self._named_params():
            nodes = self._param_nodes(p)
            if self._node_per_number:
                index = np.ndindex(*self._param_shape(p))
                out.extend((f"{name}[{', '.join(map(str, i))}]", n) for i, n in zip(index, nodes))
            else:
                out.extend((name, node) for node in nodes)
        return out

    def zero_grad(self):
        params = self.parameters()
        if params:  # one engine's nodes: its class zeroes them, as an optimizer's zero_grad
            type(params[0])._zero_grads(params)

    def state_dict(self):
        """``{name: float64 ndarray copy}`` in PyTorch's Linear layout."""
        return {name: self._param_data(p) for name, p in self._named_params()}

    def grad_dict(self):
        """The gradients, under the same keys and shapes as ``state_dict()``."""
        return {name: self._param_grad(p) for name, p in self._named_params()}

    def load_state_dict(self, state):
        """Load weights from a ``state_dict`` of either engine.

        Every key, shape and dtype is checked before any weight is written, so a load that
        fails changes nothing. Values must be real numbers (a bool, integer or float array or
        nested list): strings, objects and complex numbers raise ``ValueError``, since
        converting them would parse text, turn ``None`` into nan or drop an imaginary part.
        """
        if not hasattr(state, "keys"):
            raise TypeError(f"load_state_dict expects a dict, got {type(state).__name__}")
        params = dict(self._named_params())
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        if missing:
            raise ValueError(f"load_state_dict: missing key(s) {', '.join(map(repr, missing))}")
        if unexpected:
            raise ValueError(
                f"load_state_dict: unexpected key(s) {', '.join(map(repr, unexpected))}"
            )
        arrays = {}
        for name, p in params.items():
            try:
                array = np.asarray(state[name])
            except (TypeError, ValueError) as e:  # e.g. ragged nested lists
                raise ValueError(f"load_state_dict: {name!r} is not an array ({e})") from e
            if array.dtype.kind not in "biuf":
                raise ValueError(
                    f"load_state_dict: {name!r} must hold real numbers (bool, int or float), "
                    f"got dtype {array.dtype}"
                )
            array = array.astype(np.float64, copy=False)
            if array.shape != self._param_shape(p):
                raise ValueError(
                    f"load_state_dict: {name!r} has shape {array.shape}, "
                    f"expected {self._param_shape(p)}"
                )
            arrays[name] = array
        for name, p in params.items():
            self._param_write(p, arrays[name])
        renew_stamps(self.parameters())  # graphs built before this load are stale now


def param_shapes(kind, nin, nout=None, nouts=None):
    """``{state_dict key: shape}`` of a ``Neuron``, ``Layer`` or ``MLP`` (``kind``): the one
    place that says how parameters are named and laid out (PyTorch's ``nn.Linear``)."""
    if kind == "Neuron":
        return {"weight": (1, nin), "bias": (1,)}
    if kind == "Layer":
        return {"weight": (nout, nin), "bias": (nout,)}
    sizes = [nin, *nouts]
    shapes = {}
    for i in range(len(nouts)):
        shapes[f"layers.{i}.weight"] = (sizes[i + 1], sizes[i])
        shapes[f"layers.{i}.bias"] = (sizes[i + 1],)
    return shapes


class MLPBase:
    """Fully connected layers ``nin -> nouts[0] -> ... -> nouts[-1]``, ``act`` on every
    hidden layer, the last layer linear, all drawn in order from one seeded generator
    (``seed``; ``None`` draws from NumPy's global random state).

    What ``MLP`` is in both engines: an engine's ``MLP`` calls ``_build`` with its ``Layer``.
    """

    def _build(self, nin, nouts, act, seed, make_layer):
        check_activation(act)
        nouts = layer_widths(nouts)
        check_sizes(nin, *nouts)
        self.nin, self.nouts, self.act = nin, nouts, act
        rng = make_rng(seed)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            make_layer(sizes[i], sizes[i + 1], act if i < last else "linear", rng)
            for i in range(len(nouts))
        ]

    def _submodules(self):
        return [(f"layers.{i}", layer) for i, layer in enumerate(self.layers)]  # see param_shapes

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def __repr__(self):
        return f"MLP({self.nin}, {self.nouts}, act={self.act!r})"
