"""What a ``Value`` offers beyond the maths: ``ValueHabits``, the base class of ``Value``.

Guarantee: the habits a micrograd or PyTorch user brings work on a node (a writable
``label`` shown in drawings, ``item()``, ``float(v)``, ``format(v, ".3f")``, ``detach()``,
a readable ``repr``, ``grad = None``); ``.grad`` is a float, zero before any backward; an
optimizer updates many ``Value`` objects with the same array maths as one tensor, and
skips each Value that has no gradient (``_array_views``: the engine contract,
minigrad/registry.py); a Value pickles and copies as a tensor does
(``minigrad/common/node_state.py``). Proved by tests/test_scalar_engine.py,
tests/test_optim.py, tests/test_equivalence.py (both engines train to the same weights) and
tests/test_trust_state.py. Nothing here takes part in ``backward``.
"""

import numpy as np

from minigrad.common.node_state import NodeState
from minigrad.scalar.convert import as_float

# "No gradient": the 0.0 a Value's ``_grad`` holds until a backward reaches it, and again
# after ``zero_grad()`` or ``grad = None`` (PyTorch's ``.grad is None``). It is a float
# object of its own, told apart by identity (``is``), so that ``backward`` adds to it as to
# any 0.0 (a sum is never NO_GRADIENT itself) while an optimizer skips the Value. None, or a float
# subclass, would cost ``backward`` a test or a slower addition at every node (+0.5% and
# +0.7% of a training step); this costs a global read per new node (+0.16%).
NO_GRADIENT = float("0.0")


class ValueHabits(NodeState):
    __slots__ = ()
    _NO_GRADIENT = NO_GRADIENT  # what _grad holds without a gradient (_has_grad reads it)

    @property
    def grad(self):
        """The gradient, a float (``backward`` keeps it in ``_grad``: ``NO_GRADIENT``, which
        reads 0.0, until a gradient arrives)."""
        return self._grad

    @grad.setter
    def grad(self, value):  # None, PyTorch's habit: no gradient
        self._grad = NO_GRADIENT if value is None else as_float(value)

    @property
    def label(self) -> str:  # unset until written: no cost for the thousands of unlabelled nodes
        """The node's name in drawings and the explorer ("" unless written)."""
        return getattr(self, "_label", "")

    @label.setter
    def label(self, text):
        self._label = str(text)

    def __repr__(self):
        """``Value(data=..., grad=...)``."""
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    def item(self) -> float:
        """The value, a Python float (PyTorch's ``item``)."""
        return self.data

    def __float__(self):
        """The value, ``float(v)``."""
        return self.data

    def __format__(self, spec):
        """The value formatted by ``spec`` (``f"{v:.3f}"``); with no spec, the ``repr``."""
        return format(self.data, spec) if spec else repr(self)

    def detach(self):
        """A new leaf with the same data, outside any graph (PyTorch's ``detach``)."""
        return type(self)(self.data)

    def _zero_grad(self):
        self._grad = NO_GRADIENT

    # -- what an optimizer needs (minigrad/common/optim.py) ------------------------------
    @staticmethod
    def _array_views(params):
        """The parameters as one flat array view: ``.data`` and ``.grad`` read as arrays,
        ``.data = array`` writes every Value back."""
        return [ValueVector(params)]

    @staticmethod
    def _zero_grads(params):
        no_gradient = NO_GRADIENT
        for p in params:
            p._grad = no_gradient


class ValueVector:
    """Many Values seen as one float64 vector, so an optimizer's update rule is array maths
    in both engines. ``_grad`` is what the optimizer reads: the gradients as an array, or
    None when no Value has one. Each Value is a parameter of its own: ``_has_grad`` says
    which have a gradient, and the optimizer splits a vector whose Values do not all have
    one with ``subset`` (minigrad/common/optim.py). (The reads are list comprehensions, which
    read a slot faster than ``map(operator.attrgetter(...))``: a third of a pass over the
    Values, about what ``_has_grad``'s pass costs.)"""

    def __init__(self, values):
        self.values = values

    @property
    def data(self):
        return np.fromiter([v.data for v in self.values], np.float64, len(self.values))

    @data.setter
    def data(self, array):
        for v, x in zip(self.values, array.tolist()):
            v.data = x

    @property
    def grad(self):  # (a Value without a gradient reads 0.0)
        return np.fromiter([v._grad for v in self.values], np.float64, len(self.values))

    @property
    def _grad(self):
        grads = [v._grad for v in self.values]
        for g in grads:  # (stops at the first Value with a gradient: at once, as a rule)
            if g is not NO_GRADIENT:
                return np.fromiter(grads, np.float64, len(grads))
        return None

    @property
    def _has_grad(self):
        """True if every Value has a gradient, False if none has, else a bool array: which."""
        for v in self.values:
            if v._grad is NO_GRADIENT:
                break
        else:  # (the common case: every Value has one)
            return True
        has = np.array([v._grad is not NO_GRADIENT for v in self.values])
        return has if has.any() else False

    def subset(self, mask):
        """The view of the Values where ``mask`` (a bool array) is True."""
        return ValueVector([v for v, keep in zip(self.values, mask.tolist()) if keep])
