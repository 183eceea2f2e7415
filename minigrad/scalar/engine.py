"""The scalar engine's graph node: ``Value``, one Python object per number.

Twin: ``minigrad/tensor/engine.py`` holds the same ops, in the same order, over arrays.

Each op computes its result and, right beside it, the local derivative of the result with
respect to each parent. The node stores its parents (``_prev``, a tuple) and those local
derivatives (``_local``, a tuple of floats); ``backward`` multiplies them by the incoming
gradient. No closure captures the output node, so a graph holds no reference cycle and is
freed by reference counting alone as soon as the loss is dropped.
"""

import math
import numbers
import operator

import numpy as np

from minigrad.common.grad_mode import is_grad_enabled
from minigrad.common.graph import has_stale_edge, next_id, stale_graph_error, topological_order

_INF = float("inf")
_NEG_INF = -_INF


def _as_float(x):
    if type(x) is float:
        return x
    if isinstance(x, (numbers.Real, np.bool_)):  # int, float, bool, fractions, NumPy reals
        return float(x)
    raise TypeError(f"Value holds one real number, got {type(x).__name__}: {x!r}")


class Value:
    """A scalar node of the computation graph: ``.data``, ``.grad``, ``.backward()``.

    ``Value(data, label="")``: ``label`` (writable) names the node in drawings.
    """

    __slots__ = ("data", "grad", "_prev", "_local", "_op", "_acc", "_id", "_label")
    __array_ufunc__ = None  # NumPy scalars defer to our reflected operators
    engine = "scalar"

    def __init__(self, data, _prev=(), _local=(), _op="", label=""):
        self.data = data if type(data) is float else _as_float(data)
        self.grad = 0.0
        if is_grad_enabled():
            self._prev = _prev
            self._local = _local
        else:
            self._prev = self._local = ()
        self._op = _op
        self._id = next_id()
        if label:
            self.label = label

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
        return Value(self.data)

    def _zero_grad(self):
        self.grad = 0.0

    # -- what an optimizer needs (minigrad/common/optim.py) ----------------------------------
    @staticmethod
    def _array_views(params):
        """The parameters as one flat array view: ``.data`` and ``.grad`` read as arrays,
        ``.data = array`` writes every Value back."""
        return [ValueVector(params)]

    @staticmethod
    def _zero_grads(params):
        for p in params:
            p.grad = 0.0

    # -- ops: forward, and beside it d(out)/d(each parent) ---------------------------------
    # Lined up with minigrad/tensor/engine.py: add, sub, mul, truediv, pow, neg,
    # exp, log, tanh, relu, sigmoid.

    def __add__(self, other):
        if isinstance(other, Value):
            return Value(self.data + other.data, (self, other), (1.0, 1.0), "+")
        return Value(self.data + _as_float(other), (self,), (1.0,), "+")

    def __sub__(self, other):
        if isinstance(other, Value):
            return Value(self.data - other.data, (self, other), (1.0, -1.0), "-")
        return Value(self.data - _as_float(other), (self,), (1.0,), "-")

    def __rsub__(self, other):  # other - self
        return Value(_as_float(other) - self.data, (self,), (-1.0,), "-")

    def __mul__(self, other):
        if isinstance(other, Value):
            return Value(self.data * other.data, (self, other), (other.data, self.data), "*")
        other = other if type(other) is float else _as_float(other)  # (w * x, x a float: hot)
        return Value(self.data * other, (self,), (other,), "*")

    def __truediv__(self, other):
        if isinstance(other, Value):
            b = other.data
            out = _div(self.data, b)
            return Value(out, (self, other), (_div(1.0, b), -_div(out, b)), "/")
        b = _as_float(other)
        return Value(_div(self.data, b), (self,), (_div(1.0, b),), "/")

    def __rtruediv__(self, other):  # other / self: d/dx (a / x) = -a / x**2
        out = _div(_as_float(other), self.data)
        return Value(out, (self,), (-_div(out, self.data),), "/")

    def __pow__(self, other):
        if isinstance(other, Value):  # x ** y: d/dx = y x**(y-1), d/dy = x**y ln x
            x, y = self.data, other.data
            out = _pow(x, y)
            return Value(out, (self, other), (_dpow_dbase(x, y), _dpow_dexp(x, y, out)), "**")
        y = _as_float(other)
        return Value(_pow(self.data, y), (self,), (_dpow_dbase(self.data, y),), "**")

    def __rpow__(self, other):  # a ** self: d/dx a**x = a**x ln a
        a, y = _as_float(other), self.data
        out = _pow(a, y)
        return Value(out, (self,), (_dpow_dexp(a, y, out),), "**")

    def __neg__(self):
        return Value(-self.data, (self,), (-1.0,), "neg")

    def exp(self):  # d/dx e**x = e**x
        out = _exp(self.data)
        return Value(out, (self,), (out,), "exp")

    def log(self):  # d/dx ln x = 1 / x
        x = self.data
        if x <= 0.0:  # nan passes through, as in IEEE arithmetic
            raise ValueError(f"log of a non-positive number: log({x!r}) is undefined")
        return Value(math.log(x), (self,), (1.0 / x,), "log")

    def tanh(self):  # d/dx tanh x = 1 - tanh(x)**2
        t = math.tanh(self.data)
        return Value(t, (self,), (1.0 - t * t,), "tanh")

    def relu(self):  # d/dx relu x = 1 if x > 0 else 0 (nan passes through, as in PyTorch)
        x = self.data
        out = 0.0 if x < 0.0 else x  # keeps nan, and -0.0 (PyTorch's clamp does too)
        return Value(out, (self,), (0.0 if out == 0.0 else 1.0,), "relu")

    def sigmoid(self):  # d/dx s(x) = s(x) (1 - s(x))
        s = _sigmoid(self.data)
        return Value(s, (self,), (s * (1.0 - s),), "sigmoid")

    @staticmethod
    def sum_of(values):
        """One n-ary node for ``v1 + v2 + ... + vn`` (each d/dvi = 1), as a neuron uses it.

        Equal to chaining ``+`` (tests/test_scalar_engine.py checks it), with one node
        instead of n - 1.
        """
        values = tuple(v if isinstance(v, Value) else Value(v) for v in values)
        return sum_node(values, (1.0,) * len(values))

    __radd__ = __add__
    __rmul__ = __mul__

    # -- backward ---------------------------------------------------------------------------
    def _parent_grads(self, g):
        """What this node passes to each parent in ``_prev`` when ``g`` reaches it:
        ``local * g`` (the chain rule, one term of each parent's sum)."""
        return tuple(local * g for local in self._local)

    def backward(self, grad=1.0):
        """Accumulate d(self)/d(node) into ``.grad`` of every node ``self`` depends on.

        Iterative: nodes are visited in reverse topological order, so no recursion limit
        applies. Each call adds its gradients to what ``.grad`` already holds (as PyTorch
        does with ``retain_graph=True``): this call's contributions are gathered in the
        scratch slot ``_acc`` first, so a second call adds exactly the same amounts again.
        """
        order = topological_order(self, 0.0)
        self._acc = _as_float(grad)
        try:
            for node in reversed(order):
                g = node._acc
                node._acc = None  # consumed: adding to it again (TypeError) means a stale graph
                node.grad += g
                if g:
                    for parent, local in zip(node._prev, node._local):
                        parent._acc += local * g
                elif node._prev:  # a zero gradient adds nothing (dead ReLUs cut subtrees) ...
                    # ... unless a parent is newer (a stale graph, an error here too) or the
                    # local derivative is inf or nan (0 * inf is nan, as in PyTorch). Indexed,
                    # not zipped: a zip is one more object for the garbage collector to count.
                    prev, local = node._prev, node._local
                    for i in range(len(prev)):
                        if prev[i]._id > node._id:
                            raise stale_graph_error()
                        if not _NEG_INF < local[i] < _INF:
                            prev[i]._acc += local[i] * g
        except TypeError:
            # A parameter written after this graph was built has a newer stamp than the
            # nodes that used it, so it came first in this order and was consumed already.
            if has_stale_edge(order):
                raise stale_graph_error() from None
            raise


_get_data = operator.attrgetter("data")
_get_grad = operator.attrgetter("grad")


class ValueVector:
    """Many Values seen as one float64 vector, so an optimizer's update rule is array maths
    in both engines (``Value._array_views``)."""

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


def sum_node(values, ones):
    """The n-ary sum node behind ``Value.sum_of`` (``values``: a tuple of Values; ``ones``:
    a tuple of as many 1.0, which a caller summing many rows of one width shares, as a
    neuron does)."""
    return Value(sum(map(_get_data, values)), values, ones, "sum")


# -- IEEE-style float helpers: inf / nan where Python would raise ------------------------------


def _div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return math.nan
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return _INF


def _pow(x, y):
    """``x ** y`` by C99's rules (as PyTorch and NumPy): inf where Python would raise."""
    if x < 0.0 and x != -_INF and math.isfinite(y) and not y.is_integer():
        raise ValueError(
            f"negative base to a fractional power: ({x!r}) ** {y!r} is not a real number"
        )
    if y == 0.5:  # NumPy and PyTorch take x ** 0.5 as sqrt(x): -0.0 stays -0.0, -inf is nan
        return math.sqrt(x) if x != -_INF else math.nan
    try:
        return x**y
    except (OverflowError, ZeroDivisionError):  # |x ** y| too large, or 0.0 ** negative
        odd = y.is_integer() and y % 2.0 == 1.0
        return -_INF if odd and math.copysign(1.0, x) < 0.0 else _INF


def _dpow_dbase(x, y):
    """d/dx x**y = y x**(y-1); 0 for y == 0 (PyTorch's convention, also at x == 0)."""
    return 0.0 if y == 0.0 else y * _pow(x, y - 1.0)


def _dpow_dexp(x, y, out):
    """d/dy x**y = x**y ln x; 0 where x == 0 and y >= 0 (PyTorch's convention)."""
    if x == 0.0 and y >= 0.0:
        return 0.0
    return out * _ln(x)


def _ln(x):
    """ln x by IEEE rules, for derivatives only: -inf at 0, nan below (``log`` raises)."""
    if x > 0.0:
        return math.log(x)
    return -_INF if x == 0.0 else math.nan


def _sigmoid(x):
    # Never overflows: exp is only taken of a non-positive number.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)
