"""The tensor engine's graph node: ``Tensor``, an autograd node over a NumPy array.

Twin: ``minigrad/scalar/engine.py`` holds the same ops, in the same order, one number at a
time.

Each op computes its result and, right beside it, a small ``backward(g)`` that maps the
gradient of the result to the gradient of each input (the vectorised form of the scalar
engine's local derivatives). ``backward`` closes over the op's inputs and saved arrays,
never over the output node, so a graph holds no reference cycle and is freed by reference
counting alone. Broadcasting is undone in one place, ``_unbroadcast``.
"""

import numbers

import numpy as np

from minigrad.common.grad_mode import is_grad_enabled
from minigrad.common.graph import next_id, stale_graph_error, topological_order

_new = object.__new__


# Special values (inf, nan, overflow) give PyTorch's results without NumPy's RuntimeWarnings:
# ops that can meet them compute inside ``with _quiet():``.
def _quiet():
    return np.errstate(all="ignore")


def _unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: undo NumPy broadcasting of an input of that shape."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1
    )
    grad = grad.sum(axis=axes, keepdims=True) if axes else grad
    return grad.reshape(shape)


_DTYPES = (np.float64, np.float32)


def _array(data, dtype):
    """``data`` as a new float array (float64 unless ``dtype`` is float32), never the
    caller's own array: an optimizer writes into a parameter's array in place."""
    if dtype is not None:
        try:
            dtype = np.dtype(dtype).type
        except TypeError as e:
            raise TypeError(f"Tensor dtype must be float64 or float32, got {dtype!r}") from e
        if dtype not in _DTYPES:
            raise TypeError(f"Tensor dtype must be float64 or float32, got {np.dtype(dtype).name}")
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (str, bytes)) or data is None:
        raise TypeError(f"Tensor holds real numbers, got {type(data).__name__}: {data!r}")
    try:
        array = np.asarray(data)
    except ValueError as e:
        raise TypeError(f"Tensor holds real numbers; could not convert {data!r}: {e}") from e
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor holds real numbers, got {type(data).__name__} of dtype {array.dtype}"
        )
    return array.astype(dtype if dtype is not None else np.float64, copy=True)


class Tensor:
    """A node of the computation graph over an ``np.ndarray``.

    ``Tensor(data, requires_grad=False, dtype=None)``: float64 unless ``dtype`` says
    otherwise (float32 is supported). ``.grad`` is an array of the node's shape, zero
    before any backward.
    """

    __slots__ = (
        "data",
        "_grad",
        "requires_grad",
        "_prev",
        "_backward",
        "_op",
        "_acc",
        "_id",
        "_label",
    )
    __array_ufunc__ = None  # NumPy arrays and scalars defer to our reflected operators
    engine = "tensor"

    def __init__(self, data, requires_grad=False, dtype=None, label=""):
        self.data = _array(data, dtype)  # a copy, as torch.tensor(data) makes
        self._grad = None
        self.requires_grad = bool(requires_grad)
        self._prev = ()
        self._backward = None
        self._op = ""
        self._id = next_id()
        if label:
            self.label = label

    @staticmethod
    def _make(data, parents, backward, op):
        """A result node; it joins the graph only if grad mode is on and an input needs it."""
        out = _new(Tensor)
        # NumPy turns 0-d results into scalars (np.float64); a Tensor always holds an array.
        out.data = data if type(data) is np.ndarray else np.asarray(data)
        out._grad = None
        out._op = op
        out._id = next_id()
        if is_grad_enabled():
            for p in parents:
                if p.requires_grad:
                    out.requires_grad = True
                    out._prev = parents
                    out._backward = backward
                    return out
        out.requires_grad = False
        out._prev = ()
        out._backward = None
        return out

    # -- plain attributes -----------------------------------------------------------------
    @property
    def label(self):  # unset until written, as in the scalar engine
        return getattr(self, "_label", "")

    @label.setter
    def label(self, text):
        self._label = str(text)

    @property
    def grad(self):
        if self._grad is None:
            return np.zeros_like(self.data)
        return self._grad

    @grad.setter
    def grad(self, value):
        self._grad = None if value is None else np.array(value, dtype=self.data.dtype)

    def _zero_grad(self):
        self._grad = None

    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    def __len__(self):
        return len(self.data)

    def item(self):
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with one element, this one has shape {self.data.shape}"
            )
        return self.data.item()

    def numpy(self):
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __float__(self):
        return float(self.item())

    def __format__(self, spec):
        return format(self.item(), spec) if spec else repr(self)

    def detach(self):
        """A new leaf with the same data (a copy), outside any graph (PyTorch's ``detach``
        shares the data; a copy keeps an optimizer from writing through it)."""
        return Tensor(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, precision=4, threshold=20)}{grad})"

    # -- ops: forward, and beside it how the gradient flows back to each input --------------
    # Lined up with minigrad/scalar/engine.py: add, sub, mul, truediv, pow, neg,
    # exp, log, tanh, relu, sigmoid; then the tensor-only matmul, sum, mean, max, reshape,
    # transpose, getitem.

    def __add__(self, other):
        other = _lift(other, self)
        a, b = self.data.shape, other.data.shape

        def backward(g):  # d(x + y)/dx = d(x + y)/dy = 1
            return _unbroadcast(g, a), _unbroadcast(g, b)

        with _quiet():
            out = self.data + other.data
        return Tensor._make(out, (self, other), backward, "+")

    def __sub__(self, other):
        other = _lift(other, self)
        a, b = self.data.shape, other.data.shape

        def backward(g):  # d(x - y)/dx = 1, d(x - y)/dy = -1
            return _unbroadcast(g, a), _unbroadcast(-g, b)

        with _quiet():
            out = self.data - other.data
        return Tensor._make(out, (self, other), backward, "-")

    def __rsub__(self, other):
        return _lift(other, self) - self

    def __mul__(self, other):
        other = _lift(other, self)
        x, y = self.data, other.data

        def backward(g):  # d(x y)/dx = y, d(x y)/dy = x
            with _quiet():
                return _unbroadcast(g * y, x.shape), _unbroadcast(g * x, y.shape)

        with _quiet():
            out = x * y
        return Tensor._make(out, (self, other), backward, "*")

    def __truediv__(self, other):
        other = _lift(other, self)
        x, y = self.data, other.data
        with _quiet():
            out = x / y

        def backward(g):  # d(x / y)/dx = 1 / y, d(x / y)/dy = -x / y**2 = -(out / y)
            with _quiet():
                return _unbroadcast((1.0 / y) * g, x.shape), _unbroadcast(-(out / y) * g, y.shape)

        return Tensor._make(out, (self, other), backward, "/")

    def __rtruediv__(self, other):
        return _lift(other, self) / self

    def __pow__(self, other):
        other = _lift(other, self)
        x, y = self.data, other.data
        if np.any((x < 0) & (x > -np.inf) & np.isfinite(y) & (y != np.floor(y))):
            raise ValueError(
                "negative base to a fractional power is not a real number "
                f"(base min {x.min()!r}, exponents {y!r})"
            )
        with _quiet():
            out = x**y

        def backward(g):
            with _quiet():
                # d/dx x**y = y x**(y-1), 0 where y == 0 (PyTorch's convention, also at x == 0)
                dx = np.where(y == 0, 0.0, y * x ** (y - 1))
                # d/dy x**y = x**y ln x, 0 where x == 0 and y >= 0 (PyTorch's convention)
                dy = np.where((x == 0) & (y >= 0), 0.0, out * np.log(x))
                return _unbroadcast(dx * g, x.shape), _unbroadcast(dy * g, y.shape)

        return Tensor._make(out, (self, other), backward, "**")

    def __rpow__(self, other):
        return _lift(other, self) ** self

    def __neg__(self):
        def backward(g):  # d(-x)/dx = -1
            return (-g,)

        return Tensor._make(-self.data, (self,), backward, "neg")

    def exp(self):
        with _quiet():
            out = np.exp(self.data)

        def backward(g):  # d/dx e**x = e**x
            with _quiet():
                return (g * out,)

        return Tensor._make(out, (self,), backward, "exp")

    def log(self):
        x = self.data
        if np.any(x <= 0):
            raise ValueError(
                f"log of a non-positive number is undefined (smallest input {x.min()!r})"
            )

        def backward(g):  # d/dx ln x = 1 / x
            with _quiet():
                return ((1.0 / x) * g,)

        return Tensor._make(np.log(x), (self,), backward, "log")

    def tanh(self):
        t = np.tanh(self.data)

        def backward(g):  # d/dx tanh x = 1 - tanh(x)**2
            return (g * (1.0 - t * t),)

        return Tensor._make(t, (self,), backward, "tanh")

    def relu(self):
        x = self.data

        out = np.where(x < 0, 0.0, x)  # keeps nan, and -0.0 (PyTorch's clamp does too)

        def backward(g):  # d/dx relu x = 1 if x > 0 else 0 (nan passes through, as in PyTorch)
            return (g * (out != 0),)

        return Tensor._make(out, (self,), backward, "relu")

    def sigmoid(self):
        s = _sigmoid(self.data)

        def backward(g):  # d/dx s(x) = s(x) (1 - s(x))
            return (g * s * (1.0 - s),)

        return Tensor._make(s, (self,), backward, "sigmoid")

    __radd__ = __add__
    __rmul__ = __mul__

    # -- tensor-only ops ------------------------------------------------------------------
    def __matmul__(self, other):
        other = _lift(other, self)
        x, y = self.data, other.data
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError(
                f"matmul needs at least 1-D operands, got shapes {x.shape} and {y.shape}"
            )
        k_left = x.shape[-1]
        k_right = y.shape[0] if y.ndim == 1 else y.shape[-2]
        if k_left != k_right:
            raise ValueError(
                f"matmul: shapes {x.shape} and {y.shape} are not aligned ({k_left} != {k_right})"
            )

        def backward(g):  # d(x @ y)/dx = g @ y.T, d(x @ y)/dy = x.T @ g (1-D sides promoted)
            x2 = x[None, :] if x.ndim == 1 else x
            y2 = y[:, None] if y.ndim == 1 else y
            g2 = g[..., None] if y.ndim == 1 else g
            if x.ndim == 1:
                g2 = np.expand_dims(g2, -2)
            dx = g2 @ np.swapaxes(y2, -1, -2)
            dy = np.swapaxes(x2, -1, -2) @ g2
            dx = _unbroadcast(dx, x2.shape).reshape(x.shape)
            dy = _unbroadcast(dy, y2.shape).reshape(y.shape)
            return dx, dy

        return Tensor._make(x @ y, (self, other), backward, "@")

    def __rmatmul__(self, other):
        return _lift(other, self) @ self

    def sum(self, axis=None, keepdims=False, *, dim=None):
        axis = _axis(axis, dim)
        shape = self.data.shape

        def backward(g):  # d(sum x)/dx_i = 1: spread g back over the summed axes
            if not keepdims and axis is not None:
                g = np.expand_dims(g, axis)
            return (np.broadcast_to(g, shape),)

        return Tensor._make(self.data.sum(axis=axis, keepdims=keepdims), (self,), backward, "sum")

    def mean(self, axis=None, keepdims=False, *, dim=None):
        axis = _axis(axis, dim)
        n = (
            self.data.size
            if axis is None
            else np.prod([self.data.shape[a] for a in np.atleast_1d(axis)])
        )
        return self.sum(axis=axis, keepdims=keepdims) * (1.0 / n)

    def max(self, axis=None, keepdims=False, *, dim=None):
        axis = _axis(axis, dim)
        x = self.data
        m = x.max(axis=axis, keepdims=True)

        def backward(g):  # the gradient goes to the maximum, shared equally among ties
            if not keepdims and axis is not None:
                g = np.expand_dims(g, axis)
            mask = x == m
            return (mask * (g / mask.sum(axis=axis, keepdims=True)),)

        out = m if keepdims else (m.reshape(()) if axis is None else np.squeeze(m, axis=axis))
        return Tensor._make(out, (self,), backward, "max")

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        old = self.data.shape

        def backward(g):
            return (g.reshape(old),)

        return Tensor._make(self.data.reshape(shape), (self,), backward, "reshape")

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = axes or None
        inverse = None if axes is None else tuple(np.argsort(axes))

        def backward(g):
            return (np.transpose(g, inverse),)

        return Tensor._make(np.transpose(self.data, axes), (self,), backward, "transpose")

    @property
    def T(self):
        return self.transpose()

    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index.data
        shape, dtype = self.data.shape, self.data.dtype

        def backward(g):  # scatter-add: an element picked twice gets both contributions
            full = np.zeros(shape, dtype=dtype)
            np.add.at(full, index, g)
            return (full,)

        return Tensor._make(self.data[index], (self,), backward, "getitem")

    # -- backward -------------------------------------------------------------------------
    def _parent_grads(self, g):
        """What this node passes to each parent in ``_prev`` when ``g`` reaches it, shaped
        like that parent (``None`` for a parent that needs no gradient)."""
        if self._backward is None:
            return (None,) * len(self._prev)
        return tuple(
            pg if parent.requires_grad else None
            for parent, pg in zip(self._prev, self._backward(g))
        )

    def backward(self, grad=None):
        """Accumulate d(self)/d(node) into ``.grad`` of every node that needs a gradient.

        A tensor with more than one element needs ``grad`` of its own shape. Iterative and
        in reverse creation order, as in the scalar engine; each call adds its gradients
        to what ``.grad`` already holds.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward of a tensor that does not require grad: no leaf behind it was made "
                "with requires_grad=True, or it was computed under no_grad()"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward of a non-scalar tensor of shape {self.data.shape} needs an "
                    "explicit gradient of the same shape: t.backward(grad)"
                )
            grad = np.ones_like(self.data)
        else:
            # a copy: the caller's array must not become (and change with) a node's .grad
            grad = np.array(grad.data if isinstance(grad, Tensor) else grad, self.data.dtype)
            if grad.shape != self.data.shape:
                raise ValueError(
                    f"backward: gradient of shape {grad.shape} for a tensor of shape "
                    f"{self.data.shape}"
                )
        order = topological_order(self, None)
        self._acc = grad
        for node in reversed(order):
            g = node._acc
            if g is None:
                continue
            node._acc = None
            node._grad = g if node._grad is None else node._grad + g
            if node._backward is not None:
                for parent, pg in zip(node._prev, node._backward(g)):
                    if parent._id > node._id:  # written after this graph was built
                        raise stale_graph_error()
                    if parent.requires_grad and pg is not None:
                        parent._acc = pg if parent._acc is None else parent._acc + pg


def _axis(axis, dim):
    """PyTorch's ``dim=`` is NumPy's ``axis=``: either may be given, not both."""
    if dim is None:
        return axis
    if axis is not None:
        raise TypeError("give axis= or dim=, not both")
    return dim


def _lift(x, like):
    """A plain number or array as a constant Tensor of ``like``'s dtype."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, np.ndarray):
        return Tensor._make(np.asarray(x, dtype=like.data.dtype), (), None, "")
    return Tensor(x, dtype=like.data.dtype)


def _sigmoid(x):
    # Never overflows: exp is only taken of a non-positive number (as in the scalar engine).
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def linear(x, weight, bias):
    """``x @ weight.T + bias`` as one node: a fully connected layer, PyTorch's F.linear.

    The plain version is ``x @ weight.T + bias`` from three nodes;
    tests/test_tensor_engine.py checks that both give the same values and gradients.
    ``x``: ``(N, nin)`` or ``(nin,)``; ``weight``: ``(nout, nin)``; ``bias``: ``(nout,)``.
    """
    xd, w = x.data, weight.data
    if xd.shape[-1] != w.shape[1]:
        raise ValueError(
            f"linear: input of shape {xd.shape} does not match weight of shape {w.shape}"
        )
    out = xd @ w.T
    out += bias.data

    def backward(g):  # d/dx = g @ W, d/dW = g.T @ x, d/db = g summed over the batch
        if g.ndim == 1:
            return (g @ w if x.requires_grad else None), np.outer(g, xd), g
        return (g @ w if x.requires_grad else None), g.T @ xd, g.sum(axis=0)

    return Tensor._make(out, (x, weight, bias), backward, "linear")
