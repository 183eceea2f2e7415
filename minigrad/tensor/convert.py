"""What a ``Tensor`` accepts (input conversion and validation), so ``engine.py`` need not.

Guarantees, each with the tests that prove it:
- A ``Tensor`` holds a new float array (float64, or float32 when asked), never the caller's
  own array (an optimizer writes into a parameter's array in place); strings, ``None``,
  objects and complex numbers raise ``TypeError`` naming what was given
  (tests/test_tensor_misuse.py).
- One list of float dtypes, ``DTYPES``, and one error for any other dtype,
  ``DtypeError`` (a ``TypeError``, and a ``ValueError`` for the models that raised one).
- ``backward``'s starting gradient has the node's shape and dtype, and is a copy
  (tests/test_tensor_engine.py).
- ``@``'s shapes align, else ``ValueError`` naming both (tests/test_tensor_engine.py).
- ``linear``'s input, weight and bias fit each other, else an error naming the argument:
  a bias of another shape would broadcast into wrong values and a gradient of the wrong
  shape, and a user may replace a layer's weight or bias (tests/test_adversarial_3.py).
- Axes are NumPy's: ``sum``, ``mean`` and ``max`` take an int, a tuple or a list,
  ``argmax``, ``argmin``, ``softmax`` and ``log_softmax`` one axis, and
  ``transpose`` a permutation, negative axes counted from the end; an axis out of range is
  NumPy's ``AxisError``, a repeated one ``ValueError``, each naming the tensor's shape. The
  engine receives them counted from 0, so a gradient's inverse permutation is right.
- ``t[index]`` keeps its own copy of every array or list in ``index``: refilling the
  caller's index array before ``backward`` changes nothing.
- A ``.data`` the user assigned something other than an array (a list) is a ``TypeError``
  saying so at the next binary op or ``backward``, not an ``AttributeError`` on a list.
  (All three: tests/test_trust_ops.py.)
"""

import copy
import numbers
import operator

import numpy as np

from minigrad.common.checks import check_width
from minigrad.common.fp_errors import quiet
from minigrad.tensor.habits import TensorHabits

try:  # NumPy's error for an axis out of range: a ValueError and an IndexError
    from numpy.exceptions import AxisError  # (NumPy >= 1.25)
except ImportError:  # pragma: no cover
    AxisError = np.AxisError  # noqa: NPY201

DTYPES = (np.float64, np.float32)


class DtypeError(TypeError, ValueError):
    """A dtype that is not one of ``DTYPES``."""


def check_dtype(dtype):
    """``dtype`` as one of ``DTYPES`` (a NumPy scalar type), else ``DtypeError``."""
    try:
        kind = np.dtype(dtype).type
    except (TypeError, ValueError):  # not a dtype at all: "foo", (np.float64, -1)
        kind = None
    if kind not in DTYPES:
        name = np.dtype(kind).name if kind is not None else repr(dtype)
        raise DtypeError(f"dtype must be float64 or float32, got {name}")
    return kind


def as_array(data, dtype=None):
    """``data`` as a new float array (float64 unless ``dtype`` says otherwise)."""
    dtype = np.float64 if dtype is None else check_dtype(dtype)
    if isinstance(data, TensorHabits):
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
    with quiet():  # 1e300 as float32 is inf, as in PyTorch, without NumPy's warning
        return array.astype(dtype, copy=True)


def lift(x, like):
    """``x`` as a Tensor: a Tensor as it is, a plain number or array as a constant of
    ``like``'s dtype (so ``float32_tensor * 2.0`` stays float32, as in PyTorch)."""
    node = type(like)
    if isinstance(x, node):
        return x
    try:
        dtype = like.data.dtype
    except AttributeError:
        check_data((like,))  # raises the clear error if .data was assigned a non-array
        raise
    if isinstance(x, numbers.Real) and not isinstance(x, np.ndarray):
        if dtype.kind != "f":  # a bool or int tensor (a comparison): NumPy's promotion
            return node._make(np.asarray(x), (), (), "")  # (mask * 0.5 is 0.5, not 0)
        with quiet():  # (1e300 as float32: inf)
            return node._make(np.asarray(x, dtype=dtype), (), (), "")
    return node(x, dtype=dtype if dtype.kind == "f" else None)


def check_data(nodes):
    """Raise ``TypeError`` if a node's ``.data`` is not an array (the user assigned a list:
    ``t.data = [1.0, 5.0]``). Not checked on assignment, which would need a property and
    slow every op's read of ``.data``: ``lift``, ``fitted`` (broadcast.py) and
    ``seed_gradient`` call this when reading the array's dtype or shape fails, so a binary
    op and ``backward`` name the mistake (tests/test_trust_ops.py)."""
    for node in nodes:
        if not isinstance(node.data, np.ndarray):
            raise TypeError(
                f"a Tensor's .data must be a NumPy array, got {type(node.data).__name__}: "
                "assign an array of its dtype (t.data = np.array(...)) or write into it "
                "(t.data[...] = values)"
            )


def axes_of(axis, dim, shape):
    """The axes ``sum``, ``mean`` and ``max`` reduce over: ``None`` (all of them), or a
    tuple of distinct axes counted from 0. PyTorch's ``dim=`` is NumPy's ``axis=``: either
    may be given, not both; an int, a tuple or a list. An axis out of range is NumPy's
    ``AxisError`` (a ``ValueError`` and an ``IndexError``), a repeated one ``ValueError``,
    as ``np.sum`` raises them, for all three (``mean`` counts the elements of each axis)."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give axis= or dim=, not both")
        axis = dim
    if axis is None:
        return None
    return _distinct_axes(axis if isinstance(axis, (tuple, list)) else (axis,), shape, "axis")


def one_axis(axis, dim, shape, what):
    """The one axis ``what`` (``argmax``, ``softmax``) works along, as ``axes_of`` reads it,
    counted from 0; None if neither ``axis`` nor ``dim`` is given. Several axes are a
    ``TypeError``, as in PyTorch."""
    axes = axes_of(axis, dim, shape)
    if axes is None:
        return None
    if len(axes) != 1:
        raise TypeError(f"{what} works along one axis, got {axis if dim is None else dim!r}")
    return axes[0]


def softmax_axis(axis, dim, shape, what):
    """The axis ``softmax`` and ``log_softmax`` normalise along, which must be given (as
    ``dim`` or ``axis``): PyTorch's implicit choice is deprecated."""
    axis = one_axis(axis, dim, shape, what)
    if axis is None:
        raise TypeError(f"{what} needs the axis to normalise along: {what}(dim=...)")
    return axis


def cast_dtype(dtype):
    """``astype``'s dtype as a NumPy dtype: one of ``DTYPES``, or an integer or bool dtype
    (a tensor outside the graph, as PyTorch's integer tensors are); else ``DtypeError``."""
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or (dtype.type not in DTYPES and dtype.kind not in "biu"):
        raise DtypeError(f"astype: dtype must be float64, float32, an integer or bool, got {dtype}")
    return dtype


def permutation(axes, shape):
    """``transpose``'s axes (as ``*axes``, or one tuple or list): ``None`` for all of them
    reversed, or the permutation counted from 0, so the gradient's inverse permutation is
    right for negative axes too (``transpose(-1, 0)``). Errors as NumPy's: ``ValueError``
    for a repeated axis or a wrong count, ``AxisError`` for one out of range."""
    if len(axes) == 1 and (axes[0] is None or np.ndim(axes[0]) == 1):  # one tuple or list
        axes = () if axes[0] is None else tuple(axes[0])
    if not axes:
        return None
    if len(axes) != len(shape):
        raise ValueError(
            f"transpose: axes {axes} for a tensor of shape {shape}: give each of its "
            f"{len(shape)} axes once"
        )
    return _distinct_axes(axes, shape, "transpose")


def _distinct_axes(axes, shape, what):
    ndim = len(shape)
    counted = []
    for a in axes:
        a = operator.index(a)  # an integer (a float is a TypeError, as in NumPy)
        if not -ndim <= a < ndim:
            raise AxisError(f"{what}: axis {a} is out of bounds for a tensor of shape {shape}")
        counted.append(a % ndim)
    if len(set(counted)) != len(counted):
        raise ValueError(f"{what}: axes {tuple(axes)} repeat an axis of a tensor of shape {shape}")
    return tuple(counted)


def owned_index(index, shape):
    """``index`` as the rule of ``t[index]`` may keep it until backward: every array and
    list in it a copy (the caller may refill their index array before ``backward``: the
    gradient must go where the values came from), and a tensor of whole numbers an int
    array (any other tensor index is an ``IndexError``).

    Read as PyTorch reads it: an int is a basic index, taken before the arrays. NumPy
    counts an int among the advanced indices, so ``x[0, :, idx]`` would put ``idx``'s
    dimension first; where an int meets an index array, the index becomes the flat
    positions PyTorch picks, unravelled (one advanced index, NumPy's result = PyTorch's).
    """
    if not isinstance(index, tuple):
        return _owned(index)
    index = tuple(map(_owned, index))
    if any(map(_is_int, index)) and any(isinstance(p, (np.ndarray, list)) for p in index):
        ints = sum((_basic_part(p) for p in index if p is not None and not _is_bool(p)), ())
        rest = tuple(p for p in index if not _is_int(p))
        positions = np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape)
        index = np.unravel_index(positions[ints][rest], shape)
    return index


def _is_bool(part):
    return isinstance(part, (bool, np.bool_))


def _is_int(part):
    return isinstance(part, (numbers.Integral, np.integer)) and not _is_bool(part)


def _basic_part(part):
    """The part of PyTorch's first step, the ints alone: an int itself, every other part
    all of the dimensions it indexes."""
    if _is_int(part) or part is Ellipsis:
        return (part,)
    if np.asarray(part).dtype == bool:  # a boolean mask indexes as many dimensions as it has
        return (slice(None),) * np.ndim(part)
    return (slice(None),)


def _owned(part):
    if isinstance(part, np.ndarray):
        return part.copy()
    if isinstance(part, list):
        return copy.deepcopy(part)  # (a nested list may hold arrays)
    if isinstance(part, TensorHabits):
        whole = part.data.astype(np.intp)  # (a copy)
        if not np.array_equal(whole, part.data):
            raise IndexError(f"a tensor used as an index must hold whole numbers: {part}")
        return whole
    return part


def in_dtype(out, *arrays):
    """``arrays`` in the dtype of ``out``, the result they made: a rule that reads a float32
    operand of a float64 result computes in float64, as PyTorch does (``1 / y`` of a
    float32 ``y`` would be rounded to float32 before it meets a float64 gradient)."""
    return tuple(a if a.dtype == out.dtype else a.astype(out.dtype) for a in arrays)


def seed_gradient(node, grad):
    """The gradient ``backward`` starts from: 1 for a one-element tensor, else ``grad``
    (a copy, of the node's dtype, checked to have its shape)."""
    if not node.requires_grad:
        raise RuntimeError(
            "backward of a tensor that does not require grad: no leaf behind it was made "
            "with requires_grad=True, or it was computed under no_grad()"
        )
    try:
        shape, dtype = node.data.shape, node.data.dtype
    except AttributeError:
        check_data((node,))
        raise
    if grad is None:
        if node.data.size != 1:
            raise RuntimeError(
                f"backward of a non-scalar tensor of shape {shape} needs an explicit "
                "gradient of the same shape: t.backward(grad)"
            )
        one = np.array(1.0, dtype)
        return one.reshape(shape) if shape else one
    # a copy: the caller's array must not become (and change with) a node's .grad
    with quiet():  # (1e300 as float32: inf)
        grad = np.array(grad.data if isinstance(grad, TensorHabits) else grad, dtype)
    if grad.shape != shape:
        raise ValueError(f"backward: gradient of shape {grad.shape} for a tensor of shape {shape}")
    return grad


def check_linear(x, weight, bias):
    """Raise the error that says what is wrong with ``linear``'s arguments, if anything:
    each a Tensor, ``x`` ``(N, nin)`` or ``(nin,)``, ``weight`` ``(nout, nin)``, ``bias``
    ``(nout,)``, all of one dtype (PyTorch refuses mixed dtypes too)."""
    if not (
        isinstance(x, TensorHabits)
        and isinstance(weight, TensorHabits)
        and isinstance(bias, TensorHabits)
    ):
        for name, t in (("input", x), ("weight", weight), ("bias", bias)):
            if not isinstance(t, TensorHabits):
                raise TypeError(f"linear: {name} must be a Tensor, got {type(t).__name__}")
    xd, w, b = x.data, weight.data, bias.data
    if xd.ndim != 1 and xd.ndim != 2:
        raise ValueError(f"input must be 1-D or 2-D, got shape {xd.shape}")
    if w.ndim != 2 or b.shape != w.shape[:1]:
        raise ValueError(
            f"linear: weight must be (nout, nin) and bias (nout,), got weight of shape "
            f"{w.shape} and bias of shape {b.shape}"
        )
    if xd.shape[-1] != w.shape[1]:
        check_width(w.shape[1], xd.shape[-1])  # raises, naming both widths
    if xd.dtype != w.dtype or xd.dtype != b.dtype:
        raise TypeError(
            f"linear: input, weight and bias must have one dtype, got {xd.dtype}, "
            f"{w.dtype} and {b.dtype}"
        )


def check_matmul(x, y):
    """Raise if arrays ``x @ y`` cannot multiply, naming both shapes."""
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"matmul needs at least 1-D operands, got shapes {x.shape} and {y.shape}")
    k_left = x.shape[-1]
    k_right = y.shape[0] if y.ndim == 1 else y.shape[-2]
    if k_left != k_right:
        raise ValueError(
            f"matmul: shapes {x.shape} and {y.shape} are not aligned ({k_left} != {k_right})"
        )
    if x.ndim > 2 or y.ndim > 2:  # stacks of matrices: the stacks must broadcast
        try:
            np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
        except ValueError:
            raise ValueError(
                f"matmul: the stacks of shapes {x.shape} and {y.shape} do not broadcast"
            ) from None
