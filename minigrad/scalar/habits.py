"""What a ``Value`` offers beyond the maths: ``ValueHabits``, the base class of ``Value``.

Guarantee: the habits a micrograd or PyTorch user brings work on a node (a writable
``label`` shown in drawings, ``item()``, ``float(v)``, ``format(v, ".3f")``, ``detach()``,
a readable ``repr``), and an optimizer updates many ``Value`` objects with the same array
maths as one tensor (``_array_views``: the engine contract, minigrad/registry.py). Proved
by tests/test_scalar_engine.py, tests/test_optim.py and tests/test_equivalence.py (both
engines train to the same weights). Nothing here takes part in ``backward``.
"""

import operator

import numpy as np


class ValueHabits:
    __slots__ = ()

    @property
    def label(self):  # unset until written: no cost for the thousands of unlabelled nodes
        return getattr(self, "_label", "")

    @label.setter
    def label(self, text):
        self._label = str(text)

    def __repr__(self):
        return f"Value(data={self.data!r}, grad={self.grad!r})"

    def item(self):
        return self.data

    def __float__(self):
        return self.data

    def __format__(self, spec):
        return format(self.data, spec) if spec else repr(self)

    def detach(self):
        """A new leaf with the same data, outside any graph (PyTorch's ``detach``)."""
        return type(self)(self.data)

    def _zero_grad(self):
        self.grad = 0.0

    # -- what an optimizer needs (minigrad/common/optim.py) ------------------------------
    @staticmethod
    def _array_views(params):
        """The parameters as one flat array view: ``.data`` and ``.grad`` read as arrays,
        ``.data = array`` writes every Value back."""
        return [ValueVector(params)]

    @staticmethod
    def _zero_grads(params):
        for p in params:
            p.grad = 0.0


_get_data = operator.attrgetter("data")
_get_grad = operator.attrgetter("grad")


class ValueVector:
    """Many Values seen as one float64 vector, so an optimizer's update rule is array maths
    in both engines."""

    def __init__(self, values):
        self.values = values

    @property
    def data(self):
        return np.fromiter(map(_get_data, self.values), np.float64, len(self.values))

    @data.setter
    def data(self, array):
        for v, x in zip(self.values, array.tolist()):
            v.data = x

    @property
    def grad(self):
        return np.fromiter(map(_get_grad, self.values), np.float64, len(self.values))
