"""The tensor engine's graph node: ``Tensor``, an autograd node over a NumPy array.

Twin: ``minigrad/scalar/engine.py`` holds the same ops, in the same order, one number at a
time.

Each op computes its result and, right beside it, one rule per input, ``g -> gradient of
that input`` (the vectorised form of the scalar engine's local derivatives: where the
scalar ``*`` stores ``(y, x)``, the tensor ``*`` stores ``(g -> g * y, g -> g * x)``). The
rules close over the op's inputs and saved arrays, never over the output node, so a graph
holds no reference cycle and is freed by reference counting alone. ``backward`` calls a
rule only for an input that needs a gradient. Undoing broadcasting is done in one place,
when the node is made (``_broadcast``: a broadcast input's rule is followed by
``_unbroadcast``), so no rule has to, and ``backward`` never compares shapes.
"""

import functools
import numbers

import numpy as np

from minigrad.common.checks import check_width
from minigrad.common.fp_errors import ignore_fp_errors, quiet, restore_fp_errors
from minigrad.common.grad_mode import is_grad_enabled
from minigrad.common.graph import next_id, stale_graph_error, topological_order

_new = object.__new__


# Special values (inf, nan, overflow) give PyTorch's results without NumPy's RuntimeWarnings:
# elementwise ops compute inside ``with quiet():``; backward and linear, the hot path, use
# the cheaper token pair (minigrad/common/fp_errors.py says why).


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


def _broadcast(out, parents, rules, op):
    """``Tensor._make`` for an op whose inputs NumPy may broadcast or promote (the elementwise
    binary ops, and matmul): the rule of an input whose shape or dtype differs from the
    result's is followed by ``_unbroadcast`` back to that input's shape, and a cast to its
    dtype (as in PyTorch, a float32 input gets a float32 gradient from a float64 result).
    Every other rule already gives its input's shape and dtype, so ``backward`` never
    checks them."""
    shape, dtype = np.shape(out), out.dtype
    rules = tuple(
        rule if p.data.shape == shape and p.data.dtype == dtype else _fitted(rule, p.data)
        for p, rule in zip(parents, rules)
    )
    return Tensor._make(out, parents, rules, op)


def _fitted(rule, like):
    shape, dtype = like.shape, like.dtype
    return lambda g: _unbroadcast(rule(g), shape).astype(dtype, copy=False)


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
        "_rules",
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
        self._prev = self._rules = ()
        self._op = ""
        self._id = next_id()
        if label:
            self.label = label

    @staticmethod
    def _make(data, parents, rules, op):
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
                    out._rules = rules
                    return out
        out.requires_grad = False
        out._prev = out._rules = ()
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
        if self._grad is None:  # kept: an in-place write into it must reach step()
            self._grad = np.zeros_like(self.data)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is None:
            self._grad = None
            return
        grad = np.array(value, dtype=self.data.dtype)
        if grad.shape != self.data.shape:  # PyTorch refuses it too; step() would broadcast it
            raise ValueError(
                f"a gradient of shape {grad.shape} for a tensor of shape {self.data.shape}"
            )
        self._grad = grad

    def _zero_grad(self):
        self._grad = None

    # -- what an optimizer needs (minigrad/common/optim.py) ----------------------------------
    @staticmethod
    def _array_views(params):
        """Each parameter is its own array view: ``.data`` (updated in place), ``.grad``."""
        return list(params)

    @staticmethod
    def _zero_grads(params):
        for p in params:
            p._grad = None

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
    # transpose, getitem. Each op lists one rule per input, ``g -> gradient of that input``
    # (the scalar engine's local derivatives, times g): ``backward`` calls a rule only for
    # an input that needs a gradient; ops that broadcast make their node with ``_broadcast``.

    def __add__(self, other):
        other = _lift(other, self)
        with quiet():
            out = self.data + other.data
        return _broadcast(out, (self, other), (_same, _same), "+")  # d/dx = d/dy = 1

    def __sub__(self, other):
        other = _lift(other, self)
        with quiet():
            out = self.data - other.data
        return _broadcast(out, (self, other), (_same, _negated), "-")  # d/dx = 1, d/dy = -1

    def __rsub__(self, other):
        return _lift(other, self) - self

    def __mul__(self, other):
        other = _lift(other, self)
        x, y = self.data, other.data
        with quiet():
            out = x * y
        # d(x y)/dx = y, d(x y)/dy = x
        return _broadcast(out, (self, other), (lambda g: g * y, lambda g: g * x), "*")

    def __truediv__(self, other):
        other = _lift(other, self)
        x, y = self.data, other.data
        with quiet():
            out = x / y
        # d(x / y)/dx = 1 / y, d(x / y)/dy = -x / y**2 = -(out / y)
        rules = (lambda g: (1.0 / y) * g, lambda g: -(out / y) * g)
        return _broadcast(out, (self, other), rules, "/")

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
        with quiet():
            out = x**y

        def d_base(g):  # d/dx x**y = y x**(y-1); 0 where y == 0 (PyTorch's convention)
            return np.where(y == 0, 0.0, y * x ** (y - 1)) * g

        def d_exponent(g):  # d/dy x**y = x**y ln x; 0 where x == 0 and y >= 0 (PyTorch's)
            return np.where((x == 0) & (y >= 0), 0.0, out * np.log(x)) * g

        return _broadcast(out, (self, other), (d_base, d_exponent), "**")

    def __rpow__(self, other):
        return _lift(other, self) ** self

    def __neg__(self):
        return Tensor._make(-self.data, (self,), (_negated,), "neg")  # d(-x)/dx = -1

    def exp(self):
        with quiet():
            out = np.exp(self.data)
        return Tensor._make(out, (self,), (lambda g: g * out,), "exp")  # d/dx e**x = e**x

    def log(self):
        x = self.data
        if np.any(x <= 0):
            raise ValueError(
                f"log of a non-positive number is undefined (smallest input {x.min()!r})"
            )
        return Tensor._make(np.log(x), (self,), (lambda g: (1.0 / x) * g,), "log")  # 1 / x

    def tanh(self):
        t = np.tanh(self.data)
        # d/dx tanh x = 1 - tanh(x)**2
        return Tensor._make(t, (self,), (lambda g: g * (1.0 - t * t),), "tanh")

    def relu(self):
        # max(0, x) in this order keeps nan, and -0.0 (as PyTorch's clamp does)
        out = np.maximum(0.0, self.data)
        # d/dx relu x = 1 if x > 0 else 0; 1 at nan, as in PyTorch (relu(nan) is nan, not 0)
        return Tensor._make(out, (self,), (lambda g: g * (out != 0),), "relu")

    def sigmoid(self):
        s = _sigmoid(self.data)
        # d/dx s(x) = s(x) (1 - s(x))
        return Tensor._make(s, (self,), (lambda g: g * s * (1.0 - s),), "sigmoid")

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
        # A 1-D operand is a matrix of one row (x) or one column (y), as np.matmul reads it.
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y

        def as_matrix(g):  # g with the axes a 1-D operand dropped put back
            g = g[..., None] if y.ndim == 1 else g
            return g[..., None, :] if x.ndim == 1 else g

        def d_x(g):  # d(x @ y)/dx = g @ y.T
            d = as_matrix(g) @ np.swapaxes(y2, -1, -2)
            return d[..., 0, :] if x.ndim == 1 else d

        def d_y(g):  # d(x @ y)/dy = x.T @ g
            d = np.swapaxes(x2, -1, -2) @ as_matrix(g)
            return d[..., 0] if y.ndim == 1 else d

        with quiet():  # inf * 0 inside the products: nan, without NumPy's warning
            out = x @ y
        return _broadcast(out, (self, other), (d_x, d_y), "@")  # (stacks of matrices broadcast)

    def __rmatmul__(self, other):
        return _lift(other, self) @ self

    def sum(self, axis=None, keepdims=False, *, dim=None):
        axis = _axis(axis, dim)
        shape = self.data.shape

        def d_x(g):  # d(sum x)/dx_i = 1: spread g back over the summed axes
            if not keepdims and axis is not None:
                g = np.expand_dims(g, axis)
            return np.broadcast_to(g, shape).copy()  # writable, and the input's own

        with quiet():  # inf - inf, or overflow: PyTorch's nan or inf, without a warning
            out = self.data.sum(axis=axis, keepdims=keepdims)
        return Tensor._make(out, (self,), (d_x,), "sum")

    def mean(self, axis=None, keepdims=False, *, dim=None):
        axis = _axis(axis, dim)
        n = (
            self.data.size
            if axis is None
            else np.prod([self.data.shape[a] for a in np.atleast_1d(axis)])
        )
        with quiet():  # an empty mean is nan, as in PyTorch (1 / 0 is inf, 0 * inf nan)
            scale = 1.0 / np.float64(n)
        return self.sum(axis=axis, keepdims=keepdims) * scale

    def max(self, axis=None, keepdims=False, *, dim=None):
        axis = _axis(axis, dim)
        x = self.data
        m = x.max(axis=axis, keepdims=True)

        def d_x(g):  # the gradient goes to the maximum, shared equally among ties
            if not keepdims and axis is not None:
                g = np.expand_dims(g, axis)
            mask = x == m
            if axis is None and np.isnan(m).any():  # PyTorch's max(): the gradient goes to nan
                mask = np.isnan(x)
            # selected, not multiplied by the mask: 0 * inf would be nan for the others; the
            # tie count in x's dtype (an int64 count would make a float32 gradient float64)
            return np.where(mask, g / mask.sum(axis=axis, keepdims=True, dtype=x.dtype), 0.0)

        out = m if keepdims else (m.reshape(()) if axis is None else np.squeeze(m, axis=axis))
        return Tensor._make(out, (self,), (d_x,), "max")

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        old = self.data.shape
        return Tensor._make(
            self.data.reshape(shape), (self,), (lambda g: g.reshape(old).copy(),), "reshape"
        )

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = axes or None
        inverse = None if axes is None else tuple(np.argsort(axes))
        out = np.transpose(self.data, axes)
        return Tensor._make(out, (self,), (lambda g: np.transpose(g, inverse).copy(),), "transpose")

    @property
    def T(self):
        return self.transpose()

    def __getitem__(self, index):
        if isinstance(index, Tensor):  # a tensor of whole numbers indexes like an int array
            whole = index.data.astype(np.intp)
            if not np.array_equal(whole, index.data):
                raise IndexError(f"a tensor used as an index must hold whole numbers: {index}")
            index = whole
        shape, dtype = self.data.shape, self.data.dtype

        def d_x(g):  # scatter-add: an element picked twice gets both contributions
            full = np.zeros(shape, dtype=dtype)
            np.add.at(full, index, g)
            return full

        return Tensor._make(self.data[index], (self,), (d_x,), "getitem")

    # -- backward -------------------------------------------------------------------------
    def _parent_grads(self, g):
        """What this node passes to each parent in ``_prev`` when ``g`` reaches it, shaped
        like that parent (``None`` for a parent that needs no gradient). ``backward`` does
        the same, inline."""
        with quiet():
            return tuple(
                rule(g) if parent.requires_grad else None
                for parent, rule in zip(self._prev, self._rules)
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
            grad = np.array(1.0, self.data.dtype)
            if self.data.ndim:
                grad = grad.reshape(self.data.shape)
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
        token = ignore_fp_errors()  # special values: PyTorch's results, no NumPy warnings
        try:
            for node in reversed(order):
                g = node._acc
                if g is None:
                    continue
                node._acc = None
                total = g if node._grad is None else node._grad + g
                # 0-d arithmetic gives NumPy scalars: .grad is a writable array all the same
                node._grad = total if type(total) is np.ndarray else np.asarray(total)
                for parent, rule in zip(node._prev, node._rules):
                    if parent._id > node._id:  # written after this graph was built
                        raise stale_graph_error()
                    if parent.requires_grad:
                        pg = rule(g)
                        parent._acc = pg if parent._acc is None else parent._acc + pg
        finally:
            restore_fp_errors(token)


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
        return Tensor._make(np.asarray(x, dtype=like.data.dtype), (), (), "")
    return Tensor(x, dtype=like.data.dtype)


def _same(g):  # the rule of an input whose derivative is 1
    return g.copy()  # a copy: two inputs (x + y) must not share one gradient array


def _negated(g):  # the rule of an input whose derivative is -1
    return -g


def _sigmoid(x):
    # Never overflows: exp is only taken of a non-positive number (as in the scalar engine).
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def linear(x, weight, bias):
    """``x @ weight.T + bias`` as one node: a fully connected layer, PyTorch's F.linear.

    The plain version is ``x @ weight.T + bias`` from three nodes;
    tests/test_tensor_engine.py checks that both give the same values and gradients.
    ``x``: ``(N, nin)`` or ``(nin,)``; ``weight``: ``(nout, nin)``; ``bias``: ``(nout,)``,
    all of one dtype (a broadcast bias would get a gradient of the wrong shape).
    """
    for name, t in (("input", x), ("weight", weight), ("bias", bias)):
        if not isinstance(t, Tensor):
            raise TypeError(f"linear: {name} must be a Tensor, got {type(t).__name__}")
    return _linear(x, weight, bias)


def _linear(x, weight, bias):
    """``linear`` without its check that the arguments are Tensors: a layer's input is one
    (it converted it). Weight and bias are still checked here, cheaply, in one condition: a
    user may have replaced a layer's (``layer.weight = ...``, ``layer.bias.data = ...``),
    and a bias of another shape would broadcast into wrong values and a gradient of the
    wrong shape."""
    try:
        xd, w, b = x.data, weight.data, bias.data
        ws = w.shape
    except AttributeError:  # a layer's weight or bias replaced by something not a Tensor
        xd = None
    if (
        xd is None
        or xd.ndim not in (1, 2)
        or len(ws) != 2
        or xd.shape[-1] != ws[1]
        or b.shape != ws[:1]
        or not xd.dtype is w.dtype is b.dtype
    ):
        _check_linear_args(x, weight, bias)
    token = ignore_fp_errors()  # inf or nan inputs: PyTorch's result, no NumPy warning
    try:
        out = xd @ w.T
        out += b
    finally:
        restore_fp_errors(token)
    # d/dx = g @ W, d/dW = g.T @ x, d/db = g summed over the batch (one sample: outer, g)
    if xd.ndim == 1:
        rules = (lambda g: g @ w, lambda g: np.multiply.outer(g, xd), _same)
    else:
        rules = (lambda g: g @ w, lambda g: g.T @ xd, _sum_rows)
    return Tensor._make(out, (x, weight, bias), rules, "linear")


def _check_linear_args(x, weight, bias):
    """Raise the error that says what is wrong with ``linear``'s arguments, if anything."""
    for name, t in (("weight", weight), ("bias", bias)):
        if not isinstance(t, Tensor):
            raise TypeError(f"linear: {name} must be a Tensor, got {type(t).__name__}")
    xd, w, b = x.data, weight.data, bias.data
    if xd.ndim not in (1, 2):
        raise ValueError(f"input must be 1-D or 2-D, got shape {xd.shape}")
    if w.ndim != 2 or b.shape != w.shape[:1]:
        raise ValueError(
            f"linear: weight must be (nout, nin) and bias (nout,), got weight of shape "
            f"{w.shape} and bias of shape {b.shape}"
        )
    check_width(w.shape[1], xd.shape[-1])  # raises, naming both widths
    if not xd.dtype == w.dtype == b.dtype:  # PyTorch refuses mixed dtypes too
        raise TypeError(
            f"linear: input, weight and bias must have one dtype, got {xd.dtype}, "
            f"{w.dtype} and {b.dtype}"
        )


# d/db of a batch: g summed over its rows (the C-level ufunc method, not a Python wrapper)
_sum_rows = functools.partial(np.add.reduce, axis=0)
