"""``ModuleBase`` and ``ModuleListBase``: the part of ``Module`` both engines share.

Naming, registration, ``parameters()``, ``state_dict()``, ``grad_dict()``,
``load_state_dict()``, ``zero_grad()``, ``train()`` / ``eval()`` and ``repr`` are written here
once. An engine's ``Module`` subclass says what one of its parameters is (``_is_param``) and
how it is read as an array, written from one, and flattened into graph nodes (``_param_*``
below).

What a module holds, as in PyTorch (``torch.nn.Module.__setattr__``): assigning a module or a
parameter node as an attribute (``self.fc1 = Layer(64, 32)``) registers it under the
attribute's name, in assignment order, and the value stays an ordinary instance attribute (so
``self.fc1`` in ``forward`` is a plain lookup). ``_own_params()`` and ``_submodules()`` list
what is registered; a module whose parameters are not its attributes overrides them (the
scalar engine's ``Neuron`` and ``Layer``, whose weight rows are lists of ``Value``; a
``ModuleList``, whose items are named ``0``, ``1``, ...). Names follow PyTorch:
``layers.0.weight``.
"""

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from minigrad.common.checks import check_activation, layer_widths
from minigrad.common.graph import renew_stamps
from minigrad.common.init import check_sizes, make_rng


def _indent(text):
    """``text`` with every line but the first indented by two spaces (PyTorch's
    ``_addindent``), for a child's line in a parent's ``repr``."""
    return text.replace("\n", "\n  ")


def _described(value):
    """How an error names a value that is not a parameter node."""
    kind = type(value).__name__
    if getattr(value, "_prev", None):
        return f"a {kind} computed from others (op {getattr(value, '_op', '')!r})"
    if getattr(value, "requires_grad", True) is False:
        return f"a {kind} that does not require grad"
    return f"a {kind}"


class ModuleBase:
    """What every module of every engine is: see the module docstring. Subclass an engine's
    ``Module``, assign layers (and parameters) as attributes in ``__init__`` and write
    ``forward``; ``super().__init__()`` may be called, as in PyTorch, but need not be."""

    engine = None  # "scalar" or "tensor", set by each engine's Module
    _node_per_number = False  # True in an engine whose parameters are one node per number
    _param_hint = None  # how to make a parameter, for errors: "Tensor(data, requires_grad=True)"
    training = True  # the mode train() and eval() set; nothing reads it yet

    # -- registration (PyTorch's Module.__setattr__) ----------------------------------------
    # The registered names are two ordered sets ({name: None}), the values ordinary
    # attributes. (Nothing here reads self.__dict__: that would turn the object's inline
    # attribute values into a dict, and every self.fc1 in forward into a slower lookup.)
    _param_names = None
    _module_names = None

    def __setattr__(self, name, value):
        """Set an attribute; a module or a parameter node registers under ``name``."""
        params, modules = self._param_names, self._module_names
        if isinstance(value, ModuleBase):
            if modules is None:
                modules = {}
                object.__setattr__(self, "_module_names", modules)
            modules[name] = None
            if params:
                params.pop(name, None)
        elif self._is_param(value):
            if params is None:
                params = {}
                object.__setattr__(self, "_param_names", params)
            params[name] = None
            if modules:
                modules.pop(name, None)
        elif value is not None:  # None empties a registered slot, as in PyTorch
            if params and name in params:
                raise TypeError(
                    f"cannot assign {_described(value)} as parameter {name!r} of "
                    f"{type(self).__name__}: a parameter is a leaf node that receives a "
                    f"gradient; make one with {self._param_hint} (or `del` the attribute "
                    "first to keep a plain value under that name)"
                )
            if modules and name in modules:
                hint = "; hold a list of modules in a ModuleList" if isinstance(value, list) else ""
                raise TypeError(
                    f"cannot assign {_described(value)} as child module {name!r} of "
                    f"{type(self).__name__} (a Module or None expected{hint})"
                )
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        """Delete an attribute, and its registration if it is a module or a parameter."""
        for names in (self._param_names, self._module_names):
            if names:
                names.pop(name, None)
        object.__delattr__(self, name)

    @staticmethod
    def _is_param(value):
        """True if ``value`` is a parameter node of this engine (assigning it registers it)."""
        return False

    # -- what a module holds -------------------------------------------------------------
    def _own_params(self):
        """``[(name, param), ...]`` held directly by this module: its registered parameters."""
        return self._registered(self._param_names)

    def _submodules(self):
        """``[(name, module), ...]`` held by this module: its registered modules."""
        return self._registered(self._module_names)

    def _registered(self, names):
        pairs = [(n, getattr(self, n, None)) for n in names or ()]
        return [(n, value) for n, value in pairs if value is not None]

    def _named_params(self, prefix="", memo=None):
        """``[(state_dict key, param, owner), ...]``: a param is an engine's own weight
        holder, read by the hooks of ``owner``, the module that holds it. With a ``memo``
        (a set), a module or parameter met before is skipped, as ``named_parameters()`` skips
        a shared one in PyTorch; ``state_dict()`` keeps every key (no memo)."""
        if memo is not None:
            if id(self) in memo:
                return []
            memo.add(id(self))
        out = []
        for name, p in self._own_params():
            if memo is not None:
                if id(p) in memo:
                    continue
                memo.add(id(p))
            out.append((prefix + name, p, self))
        for name, module in self._submodules():
            out.extend(module._named_params(f"{prefix}{name}.", memo))
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
    def __call__(self, x, *args, **kwargs):
        """``forward(x, ...)``: what the module computes."""
        if args or kwargs:  # a forward of several inputs, as PyTorch allows
            return self.forward(x, *args, **kwargs)
        return self.forward(x)  # (one input: a call CPython specialises, 1k instructions less)

    def forward(self, *args, **kwargs):
        """What calling the module computes: each module class defines its own."""
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(): define forward(self, x) in the class"
        )

    def parameters(self) -> list:
        """All trainable nodes, in registration order, each module's own parameters before
        its children's (an ``MLP``: layer by layer, weight (row by row) then bias). A
        parameter or module held twice (tied weights) is listed once, as in PyTorch."""
        nodes = []
        for _, p, owner in self._named_params(memo=set()):
            nodes.extend(owner._param_nodes(p))
        return nodes

    def named_parameters(self) -> list[tuple[str, Any]]:
        """``[(name, node), ...]`` in the order of ``parameters()``: the ``state_dict`` key
        of a tensor, or the key and index of one number (``layers.0.weight[2, 5]``) in an
        engine with one node per number."""
        out = []
        for name, p, owner in self._named_params(memo=set()):
            nodes = owner._param_nodes(p)
            shape = owner._param_shape(p)
            if owner._node_per_number and shape != ():
                index = np.ndindex(*shape)
                out.extend((f"{name}[{', '.join(map(str, i))}]", n) for i, n in zip(index, nodes))
            else:
                out.extend((name, node) for node in nodes)
        return out

    def zero_grad(self) -> None:
        """Clear the gradient of every parameter: none until the next backward reaches it."""
        params = self.parameters()
        if params:  # one engine's nodes: its class zeroes them, as an optimizer's zero_grad
            type(params[0])._zero_grads(params)

    def train(self, mode=True):
        """Set ``training`` to ``mode`` here and in every module below; return the module.
        (A mode flag, as in PyTorch: no minigrad layer computes differently yet.)"""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode must be True or False, got {mode!r}")
        self.training = mode
        for _, module in self._submodules():
            module.train(mode)
        return self

    def eval(self):
        """``train(False)``: set ``training = False`` recursively; return the module."""
        return self.train(False)

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{name: float64 ndarray copy}`` in PyTorch's Linear layout."""
        return {name: owner._param_data(p) for name, p, owner in self._named_params()}

    def grad_dict(self) -> dict[str, np.ndarray]:
        """The gradients, under the same keys and shapes as ``state_dict()``."""
        return {name: owner._param_grad(p) for name, p, owner in self._named_params()}

    def load_state_dict(self, state: Mapping[str, ArrayLike]) -> None:
        """Load weights from a ``state_dict`` of either engine.

        Every key, shape and dtype is checked before any weight is written, so a load that
        fails changes nothing. Values must be real numbers (a bool, integer or float array or
        nested list): strings, objects and complex numbers raise ``ValueError``, since
        converting them would parse text, turn ``None`` into nan or drop an imaginary part.
        """
        if not hasattr(state, "keys"):
            raise TypeError(f"load_state_dict expects a dict, got {type(state).__name__}")
        params = {name: (p, owner) for name, p, owner in self._named_params()}
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        if missing:
            raise ValueError(f"load_state_dict: missing key(s) {', '.join(map(repr, missing))}")
        if unexpected:
            raise ValueError(
                f"load_state_dict: unexpected key(s) {', '.join(map(repr, unexpected))}"
            )
        arrays = {}
        for name, (p, owner) in params.items():
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
            if array.shape != owner._param_shape(p):
                raise ValueError(
                    f"load_state_dict: {name!r} has shape {array.shape}, "
                    f"expected {owner._param_shape(p)}"
                )
            arrays[name] = array
        for name, (p, owner) in params.items():
            owner._param_write(p, arrays[name])
        renew_stamps(self.parameters())  # graphs built before this load are stale now

    def extra_repr(self):
        """The text in this module's own parentheses in ``repr`` (PyTorch's ``extra_repr``):
        a built-in module's constructor arguments (``64, 32, act='relu'``); empty here."""
        return ""

    def __repr__(self):
        """The module tree, as PyTorch prints it: each child with its constructor arguments."""
        # PyTorch's layout: Net(\n  (fc1): Layer(64, 32, act='relu')\n  ...\n)
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        lines += [f"({name}): {_indent(repr(m))}" for name, m in self._submodules()]
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and extra:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class ModuleListBase:
    """A list of modules that registers its items (PyTorch's ``torch.nn.ModuleList``): item
    ``i`` is named ``str(i)``, so a model's ``self.blocks = ModuleList([...])`` gives
    ``blocks.0.weight``, ``blocks.1.weight``... A plain Python list of modules registers
    nothing, as in PyTorch. It has no ``forward``: call its items in turn.

    What ``ModuleList`` is in both engines (``class ModuleList(ModuleListBase, Module)``)."""

    def __init__(self, modules=()):
        self._items = []
        self.extend(modules)

    def _submodules(self):
        return [(str(i), m) for i, m in enumerate(self._items)]

    @staticmethod
    def _module(module):
        if not isinstance(module, ModuleBase):
            raise TypeError(f"a ModuleList holds modules, got {_described(module)}")
        return module

    def _index(self, i):
        if not isinstance(i, (int, np.integer)) or isinstance(i, bool):
            raise TypeError(f"ModuleList indices must be integers or slices, got {i!r}")
        if not -len(self._items) <= i < len(self._items):
            raise IndexError(f"index {i} is out of range (the ModuleList has {len(self)})")
        return int(i) % len(self._items)

    def __getitem__(self, i):
        """Item ``i``; a slice gives a new ``ModuleList`` of the same modules."""
        if isinstance(i, slice):
            return type(self)(self._items[i])
        return self._items[self._index(i)]

    def __setitem__(self, i, module):
        """Replace item ``i`` with ``module``."""
        self._items[self._index(i)] = self._module(module)

    def __delitem__(self, i):
        """Remove item ``i`` (or a slice); the items after it are renumbered."""
        if isinstance(i, slice):
            del self._items[i]
        else:
            del self._items[self._index(i)]

    def __len__(self):
        """The number of modules held."""
        return len(self._items)

    def __iter__(self):
        """The modules, in order."""
        return iter(self._items)

    def append(self, module):
        """Add ``module`` at the end; return the list."""
        self._items.append(self._module(module))
        return self

    def extend(self, modules):
        """Add each of ``modules`` at the end; return the list."""
        self._items.extend([self._module(m) for m in modules])
        return self

    def insert(self, index, module):
        """Insert ``module`` before ``index`` (the items after it are renumbered)."""
        self._items.insert(index, self._module(module))

    def pop(self, index=-1):
        """Remove and return the item at ``index`` (the last by default)."""
        return self._items.pop(self._index(index))

    def __repr__(self):
        """The items, as PyTorch prints them: equal neighbours on one line."""
        # PyTorch's: equal neighbours are one line, "(0-2): 3 x Layer(4, 4, act='relu')"
        blocks = []  # [first index, last index, repr]
        for i, module in enumerate(self._items):
            text = repr(module)
            if blocks and blocks[-1][2] == text:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, text])
        if not blocks:
            return f"{type(self).__name__}()"
        lines = [
            f"({a}): {_indent(t)}" if a == b else f"({a}-{b}): {b - a + 1} x {_indent(t)}"
            for a, b, t in blocks
        ]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


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
    (``seed``; ``None`` draws from NumPy's global random state). The layers are a
    ``ModuleList``, ``layers`` (so their names are ``layers.0.weight``...: see param_shapes).

    What ``MLP`` is in both engines: an engine's ``MLP`` calls ``_build`` with its ``Layer``
    and ``ModuleList``.
    """

    def _build(self, nin, nouts, act, seed, make_layer, module_list):
        check_activation(act)
        nouts = layer_widths(nouts)
        check_sizes(nin, *nouts)
        self.nin, self.nouts, self.act = nin, nouts, act
        rng = make_rng(seed)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = module_list(
            make_layer(sizes[i], sizes[i + 1], act if i < last else "linear", rng)
            for i in range(len(nouts))
        )

    def forward(self, x):
        """Each layer applied in turn to ``x``."""
        for layer in self.layers._items:  # for layer in self.layers, without a Python-level
            x = layer.forward(x)  # __iter__ call: the step as cheap as with a plain list
        return x

    def extra_repr(self):
        """The constructor's arguments: ``nin, nouts, act=...``."""
        return f"{self.nin}, {self.nouts}, act={self.act!r}"

    def __repr__(self):
        """Its constructor call (``MLP(2, [16, 1], act='relu')``), or the whole tree."""
        # its constructor call, as a Layer's: its layers are what the arguments say (save
        # checks that); a subclass that holds more modules prints the whole tree
        if [name for name, _ in self._submodules()] == ["layers"]:
            return f"{type(self).__name__}({self.extra_repr()})"
        return super().__repr__()
