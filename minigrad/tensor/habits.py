"""What a ``Tensor`` offers beyond the maths: ``TensorHabits``, the base class of ``Tensor``.

Guarantee: the habits a PyTorch user brings work on a node (``shape``, ``ndim``, ``dtype``,
``len``, iteration over the rows (over a 0-d tensor: ``TypeError``), ``bool`` of a
one-element tensor (of any other size: ``ValueError``, ambiguous), ``item()``, ``numpy()``,
``tolist()``, ``float(t)``, ``format(t, ".3f")``, ``detach()``, a writable ``label``, a
readable ``repr``); ``.grad`` is an array of the node's shape and dtype, zero before any
backward, and writing one of another shape is refused; an optimizer updates each
parameter's array in place (``_array_views``: the engine contract, minigrad/registry.py).
Readings outside the graph, as in PyTorch: ``argmax``/``argmin`` (int64 indices),
``numel()``, and the comparisons ``== != < <= > >=``, elementwise, giving a bool tensor
that no gradient flows through (``.float()`` makes it a float tensor: an accuracy is
``(logits.argmax(1) == y).float().mean()``). A tensor still hashes by identity, as
PyTorch's does: graph code keeps nodes in sets and dicts. A comparison with something that
is no array of real numbers (``t == None``) is Python's identity comparison.
Proved by tests/test_tensor_engine.py, tests/test_tensor_misuse.py, tests/test_trust_ops.py,
tests/test_porter_methods.py and tests/test_optim.py. Nothing here takes part in
``backward``.
"""

import numbers

import numpy as np

from minigrad.common.fp_errors import quiet
from minigrad.common.node_state import NodeState


class TensorHabits(NodeState):
    __slots__ = ()

    @property
    def label(self) -> str:  # unset until written, as in the scalar engine
        """The node's name in drawings and the explorer ("" unless written)."""
        return getattr(self, "_label", "")

    @label.setter
    def label(self, text):
        self._label = str(text)

    @property
    def grad(self):
        """The gradient, an array of the node's shape (``backward`` keeps it in ``_grad``,
        ``None`` until a gradient arrives)."""
        grad = self._grad
        if type(grad) is not np.ndarray:  # None, or a 0-d node's NumPy scalar
            # zeros are kept, not made anew each time: an in-place write must reach step()
            grad = self._grad = np.zeros_like(self.data) if grad is None else np.asarray(grad)
        return grad

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

    # -- what an optimizer needs (minigrad/common/optim.py) ------------------------------
    @staticmethod
    def _array_views(params):
        """Each parameter is its own array view: ``.data`` (updated in place), ``.grad``."""
        return list(params)

    @staticmethod
    def _zero_grads(params):
        for p in params:
            p._grad = None

    # -- PyTorch's habits -----------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``data``, a tuple."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype of ``data`` (float64 unless made otherwise)."""
        return self.data.dtype

    def __len__(self):
        """The length of the first axis."""
        return len(self.data)

    def __iter__(self):
        """The rows, as nodes of the graph (``t[0], t[1], ...``), as in PyTorch."""
        if self.data.ndim == 0:  # (else Python's old protocol would stop at once: sum() 0)
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self):
        """The truth of a one-element tensor's value, as in PyTorch and NumPy."""
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous "
                "(read one element with t.item(), or use t.data.any() or t.data.all())"
            )
        return bool(self.data.item())

    def item(self) -> float:
        """The value of a one-element tensor, a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with one element, this one has shape {self.data.shape}"
            )
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data, an ``np.ndarray`` (itself, not a copy, as PyTorch's shares memory)."""
        return self.data

    def tolist(self):
        """The data as nested Python lists of numbers."""
        return self.data.tolist()

    def __float__(self):
        """The value of a one-element tensor, ``float(t)``."""
        return float(self.item())

    def __format__(self, spec):
        """A one-element tensor's value formatted by ``spec``; with no spec, the ``repr``."""
        return format(self.item(), spec) if spec else repr(self)

    def numel(self) -> int:
        """The number of elements (PyTorch's ``numel``, NumPy's ``size``)."""
        return self.data.size

    def float(self):
        """A float tensor: this one if it is one already (float64 or float32, as PyTorch's
        ``.float()`` returns a float32 tensor itself), else its values as float64,
        minigrad's default dtype (a bool or int tensor: a comparison, an ``argmax``)."""
        return self if self.data.dtype.kind == "f" else self.astype(np.float64)

    # -- readings outside the graph: no gradient flows through them (as in PyTorch) -------
    def argmax(self, axis=None, keepdims=False, *, dim=None):
        """The index of the first largest element (nan counts as the largest, as in
        PyTorch and NumPy) along ``axis`` (or ``dim``; None: of the flattened tensor), an
        int64 tensor outside the graph."""
        return self._index_of(np.argmax, axis, keepdims, dim)

    def argmin(self, axis=None, keepdims=False, *, dim=None):
        """The index of the first smallest element (nan counts as the smallest), as
        ``argmax``."""
        return self._index_of(np.argmin, axis, keepdims, dim)

    def _index_of(self, find, axis, keepdims, dim):
        from minigrad.tensor.convert import one_axis  # (convert.py imports this file)

        axis = one_axis(axis, dim, self.data.shape, find.__name__)
        if (self.data.size if axis is None else self.data.shape[axis]) == 0:  # (as PyTorch)
            raise ValueError(f"{find.__name__} of an empty tensor of shape {self.data.shape}")
        out = find(self.data, axis=axis, keepdims=bool(keepdims)).astype(np.int64)
        return type(self)._make(out, (), (), find.__name__)

    __hash__ = object.__hash__  # by identity, though == compares elements (as PyTorch)

    def _compare(self, other, compare, op):
        other = _real_array(other)
        if other is None:  # not numbers: Python's identity comparison (t == None is False)
            return NotImplemented
        with quiet():  # (a float32 tensor < 1e300: the number cast to float32 is inf)
            result = compare(self.data, other)
        return type(self)._make(result, (), (), op)

    def __eq__(self, other):
        """x == y elementwise: a bool tensor outside the graph."""
        return self._compare(other, np.equal, "==")

    def __ne__(self, other):
        """x != y elementwise: a bool tensor outside the graph."""
        return self._compare(other, np.not_equal, "!=")

    def __lt__(self, other):
        """x < y elementwise: a bool tensor outside the graph."""
        return self._compare(other, np.less, "<")

    def __le__(self, other):
        """x <= y elementwise: a bool tensor outside the graph."""
        return self._compare(other, np.less_equal, "<=")

    def __gt__(self, other):
        """x > y elementwise: a bool tensor outside the graph."""
        return self._compare(other, np.greater, ">")

    def __ge__(self, other):
        """x >= y elementwise: a bool tensor outside the graph."""
        return self._compare(other, np.greater_equal, ">=")

    def detach(self):
        """A new leaf with the same data (a copy), outside any graph (PyTorch's ``detach``
        shares the data; a copy keeps an optimizer from writing through it)."""
        return type(self)(self.data, dtype=self.data.dtype)

    def __repr__(self):
        """``Tensor([...])``, with ``requires_grad=True`` when it does."""
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, precision=4, threshold=20)}{grad})"


def _real_array(x):
    """``x`` (a tensor, a real number, an array or a list of them) as an array, or None if
    it holds anything else."""
    if isinstance(x, TensorHabits):
        return x.data
    if isinstance(x, numbers.Real):
        return x
    if isinstance(x, (np.ndarray, list, tuple)):
        try:
            x = np.asarray(x)
        except ValueError:  # ragged
            return None
        return x if x.dtype.kind in "biuf" else None
    return None
