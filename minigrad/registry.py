"""The engine registry and the engine contract: what every engine offers the tools above it.

minigrad's floors: ``minigrad/common/`` (graph walk, grad mode, initialisation, the
``Module`` base, optimizers) at the bottom; the engines ``minigrad/scalar/`` and
``minigrad/tensor/`` on it; the tools in ``minigrad/tools/`` (training, model files,
drawing, the explorer, the CLI) and ``bench/`` above the engines. Arrows point down: a tool
reaches an engine only through this module and the contract below (``Engine``, ``Node``),
never by importing an engine's classes, checking their types, or testing an engine's name.
Adding an engine is its own folder plus one line in ``_ENGINES`` (or, at run time,
``register(name, module)``); tests/test_third_engine.py registers a copy of the tensor
engine under another name and runs every tool on it.

("backend" is the public API's word for an engine: ``minigrad.backend(name)``,
``minigrad.BACKENDS``, ``load(..., backend=)``, ``--backend``. Everywhere else: engine.)
"""

import importlib
from typing import Any, Protocol

# name -> the module that is the engine; BACKENDS lists the names in this order.
_ENGINES = {
    "scalar": "minigrad.scalar",
    "tensor": "minigrad.tensor",
}

BACKENDS = tuple(_ENGINES)


class Node(Protocol):
    """What a graph node offers ``minigrad/common/`` (the graph walk, the optimizers) and
    the tools (training, gradcheck, drawing, the explorer).

    ``data`` is what ``np.asarray`` reads as the node's float values: a Python float (an
    engine whose ``NODE_PER_NUMBER`` is True) or a NumPy array. Tools read it only with
    ``np.asarray``/``np.shape``, or with the engine's ``to_numpy``, and write it only with
    the engine's ``write_data``; ``grad`` likewise.

    The chain rule of one node, as its engine's ``backward`` loop applies it, is stored in
    one of two forms, and the explorer replays it from there (no second copy of the rule):

    - ``_local``: a tuple of numbers, one per parent in ``_prev``, the local derivatives
      d(node)/d(parent); gradient ``g`` hands parent ``k`` the amount ``_local[k] * g``;
    - ``_rules``: a tuple of callables, one per parent; gradient ``g`` hands parent ``k``
      the amount ``_rules[k](g)`` (shaped like that parent) if that parent's
      ``requires_grad`` is true, else nothing.
    """

    engine: str  # the engine's name in BACKENDS (a class attribute)
    data: Any  # a float or an np.ndarray: see above
    grad: Any  # the same kind as data, zero before any backward
    requires_grad: bool  # False: backward hands this node nothing (always True for a Value)
    label: str  # shown in drawings; "" by default, writable
    _prev: tuple  # parent nodes
    _op: str  # the op that made it ("" for a leaf)
    _id: int  # creation stamp, renewed when an optimizer or a load writes a parameter
    # and the node's chain rule (see above): _local (a tuple of numbers) or _rules (of
    # callables), one or the other, so not a member a type checker asks of every node

    def backward(self, grad=None) -> None: ...
    def item(self) -> float: ...  # the value of a one-number node
    def _zero_grad(self) -> None: ...  # gradcheck clears its inputs' gradients with it

    # What an optimizer needs (minigrad/common/optim.py), on the node class:
    # _array_views(params): objects whose .data (an array, writable in place or by
    # assignment) and .grad are the parameters' values; _zero_grads(params).
    @staticmethod
    def _array_views(params) -> list: ...
    @staticmethod
    def _zero_grads(params) -> None: ...


class Engine(Protocol):
    """What an engine module exports (``minigrad.backend(name)`` returns one).

    The node class is ``Value`` (scalar) or ``Tensor`` (tensor); tools never need its name.
    Every ``Module`` has ``engine`` (the name), ``parameters()``, ``named_parameters()``,
    ``state_dict()``, ``load_state_dict()``, ``grad_dict()``, ``zero_grad()``, and is
    called on an input; ``Neuron``, ``Layer`` and ``MLP`` also keep their constructor's
    arguments as attributes (``nin``, ``nout`` / ``nouts``, ``act``), which is how a model
    file describes them. An engine with more than one of ``FLOAT_DTYPES`` takes
    ``dtype=`` (a NumPy float type) in those constructors and keeps it as ``model.dtype``.
    Optimizers take ``parameters()``; the update rules live once in
    ``minigrad/common/optim.py``.

    The engine's ``Module`` subclasses ``minigrad.common.module.ModuleBase``, which writes
    the public methods once and asks the engine for what differs: ``_own_params()`` /
    ``_submodules()`` (what a module holds), ``_param_data``, ``_param_grad``,
    ``_param_shape``, ``_param_write`` and ``_param_nodes`` (one parameter read as an array,
    written from one, and as graph nodes) and ``_node_per_number`` (``NODE_PER_NUMBER``).
    """

    Module: type
    Neuron: type
    Layer: type
    MLP: type
    SGD: type
    Adam: type
    no_grad: type

    FLOAT_DTYPES: tuple  # names of the float dtypes a model may have; "float64" first
    MAX_PARAMETERS: int  # the most parameters minigrad.load builds in this engine
    NODE_PER_NUMBER: bool  # True: a node holds one number (data is a float), not an array

    def leaf(self, data, label="") -> Node: ...  # a leaf that receives a gradient
    def mse_loss(self, pred, target) -> Node: ...
    def cross_entropy_loss(self, logits, targets) -> Node: ...
    def to_numpy(self, x) -> Any: ...  # a node, an output or nested lists: float64 array
    def write_data(self, node, values) -> None: ...  # values: a float64 array of its shape
    def training_memory(self, sizes, batch_size, optimizer="sgd", eval_size=0) -> int: ...


def backend(name: str) -> Engine:
    """Return the engine module called ``name`` (one of ``minigrad.BACKENDS``)."""
    if name not in _ENGINES:
        raise ValueError(f"unknown backend {name!r}; valid backends: {', '.join(BACKENDS)}")
    return importlib.import_module(_ENGINES[name])


def backend_of(obj: object) -> Engine:
    """Return the engine module a model, a module or a node belongs to."""
    name = getattr(obj, "engine", None)
    if name not in _ENGINES:
        raise TypeError(f"{type(obj).__name__} is not a minigrad model or node")
    return backend(name)


def register(name, module):
    """Add an engine: ``name`` (what its nodes' and modules' ``engine`` says) is the module
    ``module`` (an importable name, e.g. ``"my_engine"``), which honours the contract above.
    It joins ``BACKENDS`` (and ``minigrad.BACKENDS``), so every tool and ``--backend``
    offers it. A name already taken raises ``ValueError``."""
    global BACKENDS
    if name in _ENGINES:
        raise ValueError(f"backend {name!r} is already registered (by {_ENGINES[name]})")
    _ENGINES[name] = module
    BACKENDS = tuple(_ENGINES)


def unregister(name):
    """Remove the engine ``name`` that ``register`` added."""
    global BACKENDS
    backend(name)  # an unknown name: the ValueError listing the valid ones
    del _ENGINES[name]
    BACKENDS = tuple(_ENGINES)
