"""The scalar engine: ``Value``, one graph node per number, and backpropagation.

Read this file top to bottom: the node, every op with its local derivative beside it, and
the backward pass. Twin: ``minigrad/tensor/engine.py``, the same ops in the same order over
arrays.

Each op computes its result and, right beside it, the local derivative of the result with
respect to each parent: ``a * b`` stores parents ``(a, b)`` and local derivatives
``(b, a)``. ``backward`` walks the graph from the output back and hands each parent
``local * g`` (the chain rule). The node keeps numbers, never a closure over itself, so a
graph holds no reference cycle and is freed as soon as the loss is dropped.

Skip on a first read (each file says which guarantee it keeps and which test proves it):
``ieee.py`` (inf and nan where Python's ``math`` raises: read ``ieee.div(a, b)`` as
``a / b``), ``convert.py`` (what counts as a number), ``habits.py`` (label, repr, detach,
``.grad`` and ``NO_GRADIENT``, the views an optimizer uses, pickling). The one detour worth
taking is the graph walk, ``minigrad/common/graph.py``.
"""

import math
import operator

from minigrad.common.checks import clamp_bounds
from minigrad.common.grad_mode import grad_enabled
from minigrad.common.graph import backward_lock, next_id, topological_order
from minigrad.scalar import ieee
from minigrad.scalar.convert import as_float
from minigrad.scalar.habits import NO_GRADIENT, ValueHabits

_new = object.__new__  # Value._make: a result needs none of __init__'s conversion


class Value(ValueHabits):
    """A scalar node of the computation graph: ``.data`` (a float), ``.grad``, ``.backward()``.

    ``Value(data, label="")``: ``label`` (writable) names the node in drawings. In an op's
    docstring, ``x`` is this node and ``y`` the other operand.
    """

    __slots__ = ("data", "_grad", "_prev", "_local", "_op", "_acc", "_id", "_label")
    # (_acc: the gradient one backward pass gathers for the node, see backward)
    __array_ufunc__ = None  # NumPy scalars defer to our reflected operators
    engine = "scalar"
    requires_grad = True  # every Value receives a gradient (the engine contract)

    def __init__(self, data, label=""):
        self.data = as_float(data)
        self._grad = NO_GRADIENT  # no gradient yet (.grad reads it as 0.0)
        self._prev = self._local = ()  # a leaf: no parents
        self._op = ""
        self._id = next_id()  # creation stamp: parents are always older (graph.py)
        if label:
            self.label = label

    @staticmethod
    def _make(data, parents, local, op):
        """An op's result. It keeps its parents and ``local``, d(result)/d(parent) for each,
        only if grad mode is on: under ``no_grad()`` no graph is built."""
        out = _new(Value)
        out.data = data if type(data) is float else as_float(data)  # (.data may be set to an int)
        out._grad = NO_GRADIENT
        if grad_enabled():
            out._prev = parents  # the nodes this one was computed from
            out._local = local  # d(out)/d(parent), one number per parent
        else:
            out._prev = out._local = ()
        out._op = op  # the op's name, for drawings
        out._id = next_id()
        return out

    # -- ops: forward, and beside it d(out)/d(each parent) ---------------------------------
    # Lined up with minigrad/tensor/engine.py: add, sub, mul, truediv, pow, neg, exp, log,
    # tanh, relu, sigmoid, abs, clamp, sqrt; then sum_of, the n-ary sum a neuron uses. A
    # plain number as the other operand is a constant: no parent, so no local derivative.

    def __add__(self, other):
        """x + y; d/dx = 1, d/dy = 1."""
        if isinstance(other, Value):
            return Value._make(self.data + other.data, (self, other), (1.0, 1.0), "+")
        return Value._make(self.data + as_float(other), (self,), (1.0,), "+")

    def __sub__(self, other):
        """x - y; d/dx = 1, d/dy = -1."""
        if isinstance(other, Value):
            return Value._make(self.data - other.data, (self, other), (1.0, -1.0), "-")
        return Value._make(self.data - as_float(other), (self,), (1.0,), "-")

    def __rsub__(self, other):
        """y - x, y a number; d/dx = -1."""
        return Value._make(as_float(other) - self.data, (self,), (-1.0,), "-")

    def __mul__(self, other):
        """x * y; d/dx = y, d/dy = x."""
        if isinstance(other, Value):
            return Value._make(self.data * other.data, (self, other), (other.data, self.data), "*")
        other = other if type(other) is float else as_float(other)  # (w * x: 1.4% of a step)
        return Value._make(self.data * other, (self,), (other,), "*")

    def __truediv__(self, other):
        """x / y; d/dx = 1 / y, d/dy = -x / y**2 = -out / y."""
        if isinstance(other, Value):
            y = other.data
            out = ieee.div(self.data, y)
            return Value._make(out, (self, other), (ieee.div(1.0, y), -ieee.div(out, y)), "/")
        y = as_float(other)
        return Value._make(ieee.div(self.data, y), (self,), (ieee.div(1.0, y),), "/")

    def __rtruediv__(self, other):
        """y / x, y a number; d/dx = -y / x**2 = -out / x."""
        out = ieee.div(as_float(other), self.data)
        return Value._make(out, (self,), (-ieee.div(out, self.data),), "/")

    def __pow__(self, other):
        """x ** y; d/dx = y x**(y-1), d/dy = x**y ln x."""
        if isinstance(other, Value):
            x, y = self.data, other.data
            out = ieee.power(x, y)
            local = (ieee.dpow_dbase(x, y), ieee.dpow_dexp(x, y, out))
            return Value._make(out, (self, other), local, "**")
        x, y = self.data, as_float(other)
        return Value._make(ieee.power(x, y), (self,), (ieee.dpow_dbase(x, y),), "**")

    def __rpow__(self, other):
        """y ** x, y a number; d/dx = y**x ln y."""
        a, x = as_float(other), self.data
        out = ieee.power(a, x)
        return Value._make(out, (self,), (ieee.dpow_dexp(a, x, out),), "**")

    def __neg__(self):
        """-x; d/dx = -1."""
        return Value._make(-self.data, (self,), (-1.0,), "neg")

    def exp(self):
        """e**x; d/dx = e**x."""
        out = ieee.exp(self.data)
        return Value._make(out, (self,), (out,), "exp")

    def log(self):
        """ln x (ValueError for x <= 0); d/dx = 1 / x."""
        x = self.data
        if x <= 0.0:  # the contract's error (nan passes through, as in IEEE arithmetic)
            raise ValueError(f"log of a non-positive number: log({x!r}) is undefined")
        return Value._make(math.log(x), (self,), (1.0 / x,), "log")

    def tanh(self):
        """tanh x; d/dx = 1 - tanh(x)**2."""
        t = math.tanh(self.data)
        return Value._make(t, (self,), (1.0 - t * t,), "tanh")

    def relu(self):
        """max(x, 0); d/dx = 1 if x > 0 else 0 (and 1 at nan, as in PyTorch)."""
        x = self.data
        out = 0.0 if x < 0.0 else x  # keeps nan (and -0.0), as PyTorch does
        return Value._make(out, (self,), (0.0 if out == 0.0 else 1.0,), "relu")

    def sigmoid(self):
        """s(x) = 1 / (1 + e**-x); d/dx = s(x) (1 - s(x))."""
        s = ieee.sigmoid(self.data)
        return Value._make(s, (self,), (s * (1.0 - s),), "sigmoid")

    def abs(self):
        """|x|; d/dx = sign(x), and 0 at 0 (PyTorch's convention; at nan too)."""
        x = self.data
        sign = 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)
        return Value._make(math.fabs(x), (self,), (sign,), "abs")

    def clamp(self, min=None, max=None):
        """x limited to [min, max]; d/dx = 1 where min <= x <= max (bounds in), else 0."""
        lo, hi = clamp_bounds(min, max)  # (common/checks.py: -inf and inf for None)
        x = self.data
        out = lo if x < lo else x
        out = hi if out > hi else out  # (min > max: max everywhere, as PyTorch)
        return Value._make(out, (self,), (1.0 if lo <= x <= hi else 0.0,), "clamp")

    def sqrt(self):
        """sqrt x (ValueError for x < 0); d/dx = 1 / (2 sqrt x): inf at 0."""
        x = self.data
        if x < 0.0:  # the contract's error, as log's (nan passes through)
            raise ValueError(f"sqrt of a negative number: sqrt({x!r}) is not real")
        out = math.sqrt(x)
        return Value._make(out, (self,), (ieee.div(0.5, out),), "sqrt")

    __radd__ = __add__
    __rmul__ = __mul__
    __abs__ = abs

    @staticmethod
    def sum_of(values):
        """v1 + v2 + ... + vn as one node, as a neuron uses it; d/dvi = 1."""
        # (chained + gives the same value and gradients in n - 1 nodes: test_scalar_engine.py)
        values = tuple(v if isinstance(v, Value) else Value(v) for v in values)
        return sum_node(values, (1.0,) * len(values))

    # -- backward -----------------------------------------------------------------------------
    def backward(self, grad=1.0):
        """Add d(self)/d(node) to ``.grad`` of every node ``self`` depends on.

        Children before parents, so a node's gradient is complete before it is passed on.
        This pass gathers each node's gradient in ``_acc`` and adds it to ``.grad`` once:
        calling ``backward`` twice adds the same gradients twice (PyTorch's
        ``retain_graph=True``). A graph whose weights changed since it was built is refused
        by the walk (``RuntimeError``: run the forward pass again).
        """
        grad = as_float(grad)  # d(self)/d(self)
        with backward_lock:  # one pass at a time: _acc is shared by every walk (graph.py)
            order = topological_order(self)  # parents before children (common/graph.py)
            for node in order:
                node._acc = 0.0  # d(self)/d(node), summed below over the paths from node to self
            self._acc = grad
            for node in reversed(order):
                g = node._acc  # complete: every path from node to self goes through a child
                node._grad += g
                for parent, local in zip(node._prev, node._local):
                    parent._acc += local * g  # the chain rule: one path through node

    def _backward(self):
        """One node's step of the chain rule, by hand: the manual form of ``backward()``.

        As the micrograd lecture does it: ``o.grad = 1.0``, then ``_backward()`` on each
        node from the output back. ``backward`` takes the same step, gathering in ``_acc``
        so that a second call adds the same gradients again (tests/test_micrograd_port.py).
        """
        for parent, local in zip(self._prev, self._local):
            parent.grad += local * self.grad


_get_data = operator.attrgetter("data")


def sum_node(values, ones):
    """The n-ary sum node behind ``Value.sum_of``: ``values`` a tuple of Values, ``ones`` a
    tuple of as many 1.0 (shared by a neuron between the rows of a batch)."""
    return Value._make(sum(map(_get_data, values)), values, ones, "sum")
