"""The engine registry and the engine contract: what every engine offers the tools above it.

minigrad's floors: ``minigrad/common/`` (graph walk, grad mode, initialisation, the
``Module`` base, optimizers) at the bottom; the engines ``minigrad/scalar/`` and
``minigrad/tensor/`` on it; the tools in ``minigrad/tools/`` (training, model files,
drawing, the explorer, the CLI) and ``bench/`` above the engines. Arrows point down: a tool
reaches an engine only through this module and the contract below, never by importing an
engine's classes or checking their types. Adding an engine is one line in ``_ENGINES`` plus
its own folder.

("backend" is the public API's word for an engine: ``minigrad.backend(name)``,
``minigrad.BACKENDS``, ``load(..., backend=)``, ``--backend``. Everywhere else: engine.)
"""

import importlib
from typing import Any, Protocol

_ENGINES = {
    "scalar": "minigrad.scalar",
    "tensor": "minigrad.tensor",
}

BACKENDS = tuple(_ENGINES)


class Node(Protocol):
    """What a graph node offers the graph walk and the tools (drawing, the explorer).

    ``_prev`` and ``_id`` are what ``minigrad.common.graph.topological_order`` walks: the
    parents, and a creation stamp (sorting by it is a topological order).
    ``_parent_grads(g)`` is the chain rule of one node: what ``backward`` hands each parent
    when gradient ``g`` reaches it, shaped like that parent (``None``: no gradient).
    """

    engine: str  # the engine's name in BACKENDS (a class attribute)
    data: Any  # float (scalar) or np.ndarray (tensor)
    grad: Any  # the same kind as data, zero before any backward
    label: str  # shown in drawings; "" by default
    _prev: tuple  # parent nodes
    _op: str  # the op that made it ("" for a leaf)
    _id: int  # creation stamp, renewed when an optimizer or a load writes a parameter

    def backward(self, grad=None) -> None: ...
    def item(self) -> float: ...
    def _parent_grads(self, g) -> tuple: ...


class Engine(Protocol):
    """What an engine module exports (``minigrad.backend(name)`` returns one).

    The node class is ``Value`` (scalar) or ``Tensor`` (tensor); tools never need its name.
    Every ``Module`` has ``engine`` (the name), ``parameters()``, ``named_parameters()``,
    ``state_dict()``, ``load_state_dict()``, ``grad_dict()``, ``zero_grad()``, and is
    called on an input; ``Neuron``, ``Layer`` and ``MLP`` also keep their constructor's
    arguments as attributes (``nin``, ``nout`` / ``nouts``, ``act``), which is how a model
    file describes them. ``to_numpy(out)`` reads any model output or node as a float64
    array. Optimizers take ``parameters()``; the update rules live once in
    ``minigrad/common/optim.py``, which reads and writes parameters through
    ``Node.data``/``Node.grad`` as arrays by way of the node class's ``_array_views``.
    """

    Module: type
    Neuron: type
    Layer: type
    MLP: type
    SGD: type
    Adam: type
    no_grad: type

    def leaf(self, data, label="") -> Node: ...  # a leaf that receives a gradient
    def mse_loss(self, pred, target) -> Node: ...
    def cross_entropy_loss(self, logits, targets) -> Node: ...
    def to_numpy(self, x) -> Any: ...


def backend(name):
    """Return the engine module called ``name`` (one of ``minigrad.BACKENDS``)."""
    if name not in _ENGINES:
        raise ValueError(f"unknown backend {name!r}; valid backends: {', '.join(BACKENDS)}")
    return importlib.import_module(_ENGINES[name])


def backend_of(obj):
    """Return the engine module a model, a module or a node belongs to."""
    name = getattr(obj, "engine", None)
    if name not in _ENGINES:
        raise TypeError(f"{type(obj).__name__} is not a minigrad model or node")
    return backend(name)
