"""What a node keeps beyond its value, for both engines: ``NodeState``, the base class of
``ValueHabits`` and ``TensorHabits``.

Guarantee: whether a node has a gradient (``_has_grad``: PyTorch's ``.grad is not None``,
what an optimizer reads to skip a parameter without one), and how a node is pickled and
copied, the same in both engines, as PyTorch does it:

- a leaf (a node with no parents: a parameter) pickles and copies with its data, its
  gradient (or the lack of one), ``requires_grad`` and label, and gets a **fresh creation
  stamp** ``_id``: stamps are counted per process, so a stamp carried into another process
  (a pickle loaded tomorrow, multiprocessing's spawn) would be newer than every node that
  process builds, and its first ``backward`` would refuse the graph as stale
  (``minigrad/common/graph.py``);
- ``copy.deepcopy`` of a node computed from others raises ``RuntimeError``, as PyTorch's
  does (copying its graph would recurse through every ancestor);
- ``pickle`` and ``copy.copy`` of such a node keep its data only: the copy is a leaf with the
  same data and ``requires_grad``, without graph or gradient, as PyTorch pickles a tensor.

So a model (its parameters are leaves) pickles, deep-copies and trains in any process, and
no graph, however deep, makes pickling recurse. Proved by tests/test_trust_state.py.
"""

import copy

from minigrad.common.graph import next_id


class NodeState:
    __slots__ = ()
    # What ``_grad`` holds while the node has no gradient: None (the tensor engine); an
    # engine with another marker says so in its node's class.
    _NO_GRADIENT = None

    @property
    def _has_grad(self):
        """False until a backward reaches the node, and again after ``zero_grad()`` or
        ``grad = None``: the node has no gradient (``.grad`` reads zero)."""
        return self._grad is not self._NO_GRADIENT

    def __reduce_ex__(self, protocol):
        """How pickle saves a node: a leaf with its state, a computed node as data only."""
        return node_from_state, (type(self), self._state())

    def __deepcopy__(self, memo):
        """A copy of a leaf, with a fresh creation stamp (a computed node: RuntimeError)."""
        if self._prev:
            raise RuntimeError(
                "Only nodes created explicitly by the user (graph leaves) support the deepcopy "
                f"protocol, as in PyTorch; this one was computed by {self._op!r}. Copy the "
                "leaves (a model's parameters) and run the forward pass again, or copy the "
                "data alone (node.detach())"
            )
        node = node_from_state(type(self), copy.deepcopy(self._state(), memo))
        memo[id(self)] = node
        return node

    def _state(self):
        """The slots to copy: all but the creation stamp and backward's scratch ``_acc``;
        without ``_grad`` when there is no gradient; a node computed from others as a leaf."""
        state = {}
        for cls in type(self).__mro__:
            for name in cls.__dict__.get("__slots__", ()):
                if name not in ("_id", "_acc") and hasattr(self, name):
                    state[name] = getattr(self, name)
        if self._prev:  # its data only, as a new leaf
            state.update(_prev=(), _op="")
            state.update((name, ()) for name in ("_local", "_rules") if name in state)
            del state["_grad"]
        elif not self._has_grad:
            del state["_grad"]
        return state


def node_from_state(cls, state):
    """A node of ``cls`` with the slots in ``state``, no gradient if ``state`` has none, and a
    fresh creation stamp (how pickle and copy rebuild a node)."""
    node = object.__new__(cls)
    for name, value in state.items():
        setattr(node, name, value)
    if "_grad" not in state:
        node._zero_grad()
    node._id = next_id()
    return node
