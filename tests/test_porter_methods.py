"""The Tensor methods a PyTorch user reaches for (issue 18, point 2), and the ops they share
with the scalar engine (``abs``, ``clamp``, ``sqrt``).

The differentiable ops are in the op table (tests/ops.py), so the gradient checks, the
equivalence suite, the PyTorch oracle, the properties and the special-values grid cover
them; this file tests what the table cannot: readings outside the graph (``argmax``,
comparisons, ``numel``), dtypes, hashing by identity, argument errors, gradient
conventions at the boundaries, and ``softmax`` / ``log_softmax`` against PyTorch with an
upstream gradient of their own and against the fused cross-entropy.
"""

import math

import numpy as np
import pytest

from minigrad import scalar, tensor
from minigrad.tensor import Tensor
from minigrad.tensor.convert import DtypeError

# -- readings outside the graph ----------------------------------------------------------


def test_argmax_and_argmin_give_int64_indices_outside_the_graph():
    x = Tensor([[1.0, 5.0, 5.0], [7.0, 2.0, 0.0]], requires_grad=True)
    for got, expected in (
        (x.argmax(1), [1, 0]),  # the first of a tie, as in PyTorch and NumPy
        (x.argmax(dim=1), [1, 0]),
        (x.argmin(axis=0), [0, 1, 1]),
        (x.argmax(), 3),  # of the flattened tensor
        (x.argmax(-1, keepdims=True), [[1], [0]]),
    ):
        assert isinstance(got, Tensor) and got.dtype == np.int64
        assert got.tolist() == expected
        assert not got.requires_grad and got._prev == ()


def test_argmax_counts_nan_as_the_largest_and_argmin_as_the_smallest():
    x = Tensor([1.0, math.nan, 3.0])
    assert x.argmax().item() == 1 and x.argmin().item() == 1  # PyTorch gives the same


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda x: x.argmax(axis=2), ValueError),  # NumPy's AxisError is one
        (lambda x: x.argmax(axis=(0, 1)), TypeError),
        (lambda x: x.argmax(axis=0, dim=0), TypeError),
        (lambda x: x.argmax(1.0), TypeError),
        (lambda x: x[:0].argmax(), ValueError),
    ],
)
def test_argmax_refuses_bad_axes_and_empty_tensors(call, error):
    with pytest.raises(error):
        call(Tensor(np.ones((2, 3))))


def test_numel():
    assert Tensor(np.zeros((3, 4, 5))).numel() == 60 and Tensor(2.0).numel() == 1


@pytest.mark.parametrize(
    "op, expected",
    [
        (lambda a, b: a == b, [False, True, False, False]),
        (lambda a, b: a != b, [True, False, True, True]),
        (lambda a, b: a < b, [True, False, False, False]),
        (lambda a, b: a <= b, [True, True, False, False]),
        (lambda a, b: a > b, [False, False, True, False]),
        (lambda a, b: a >= b, [False, True, True, False]),
    ],
)
def test_comparisons_are_elementwise_bool_tensors_outside_the_graph(op, expected):
    a = Tensor([1.0, 2.0, 3.0, math.nan], requires_grad=True)
    b = [2.0, 2.0, 2.0, math.nan]  # nan compares unequal, as in PyTorch
    for other in (b, np.array(b), Tensor(b, requires_grad=True)):
        out = op(a, other)
        assert isinstance(out, Tensor) and out.dtype == np.bool_
        assert out.tolist() == expected and not out.requires_grad and out._prev == ()
    # a plain number broadcasts; a NumPy array on the left gives the tensor too
    assert op(a, 2.0).tolist() == expected
    assert isinstance(op(np.array(b), a), Tensor)


def test_a_comparison_with_something_that_is_no_number_is_identity():
    t = Tensor([1.0, 2.0])
    assert (t == None) is False and (t != None) is True  # noqa: E711 -- the case itself
    assert (t == "a") is False
    with pytest.raises(TypeError):
        t < "a"  # noqa: B015


def test_a_tensor_hashes_by_identity_so_sets_dicts_and_membership_work():
    a, b = Tensor([1.0, 2.0]), Tensor([1.0, 2.0])
    assert hash(a) != hash(b) and len({a, b}) == 2
    assert {a: 1, b: 2}[b] == 2
    assert a in [a] and a in {a} and b not in {a}


def test_accuracy_as_a_pytorch_user_writes_it():
    logits = Tensor([[0.1, 2.0, 0.3], [1.0, 0.0, 0.2], [0.0, 0.1, 0.5]], requires_grad=True)
    y = Tensor([1, 0, 0])  # whole-number labels as a Tensor
    correct = logits.argmax(dim=1) == y
    acc = correct.float().mean().item()
    assert acc == pytest.approx(2 / 3)
    assert correct.sum().item() == 2


def test_float_and_astype():
    mask = Tensor([1.0, -2.0, 3.0]) > 0
    f = mask.float()
    assert f.dtype == np.float64 and f.tolist() == [1.0, 0.0, 1.0]
    assert mask.astype(np.float32).dtype == np.float32
    assert mask.astype("int64").tolist() == [1, 0, 1]
    x = Tensor([1.5, 2.5], dtype=np.float32)
    assert x.float() is x  # already a float tensor, as PyTorch's .float() returns itself
    with pytest.raises(DtypeError, match="astype"):
        mask.astype(np.float16)
    with pytest.raises(DtypeError):
        mask.astype("not a dtype")


def test_astype_between_float_dtypes_is_in_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [2.0, 4.0]
    # to an int: no gradient, as PyTorch's integer tensors have none
    assert not x.astype(np.int64).requires_grad


def test_a_mask_multiplies_in_the_dtype_of_the_other_operand():
    x = Tensor([-1.0, 2.0], requires_grad=True, dtype=np.float32)
    mask = x > 0
    assert (mask * 0.5).tolist() == [0.0, 0.5]  # a number is not cast to bool
    y = x * mask
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]


# -- abs, clamp, sqrt: PyTorch's gradient conventions, in both engines -----------------


def grads_of(B, fn, xs):
    """Values and gradients of ``fn`` at each number of ``xs`` in engine ``B``."""
    values, grads = [], []
    for x in xs:
        node = B.leaf(x)
        out = fn(node)
        out.backward()
        values.append(float(out.data))
        grads.append(float(node.grad))
    return values, grads


def test_abs_gradient_is_the_sign_and_zero_at_zero(B):
    values, grads = grads_of(B, lambda v: v.abs(), [-2.0, -0.0, 0.0, 3.0, math.nan])
    assert values[:4] == [2.0, 0.0, 0.0, 3.0] and math.isnan(values[4])
    assert grads == [-1.0, 0.0, 0.0, 1.0, 0.0]  # PyTorch: 0 at 0 and at nan
    assert abs(B.leaf(-2.0)).item() == 2.0  # Python's abs() too


def test_clamp_gradient_is_one_inside_the_bounds_boundary_included(B):
    xs = [-2.0, -1.0, 0.0, 1.0, 2.0, math.nan]
    values, grads = grads_of(B, lambda v: v.clamp(-1.0, 1.0), xs)
    assert values[:5] == [-1.0, -1.0, 0.0, 1.0, 1.0] and math.isnan(values[5])
    assert grads == [0.0, 1.0, 1.0, 1.0, 0.0, 0.0]  # PyTorch's, nan included
    assert grads_of(B, lambda v: v.clamp(min=0), xs)[1] == [0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    assert grads_of(B, lambda v: v.clamp(max=0), xs)[1] == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    # min > max: max everywhere, and no gradient anywhere (PyTorch's result)
    assert grads_of(B, lambda v: v.clamp(2.0, 1.0), [0.0, 1.5, 3.0]) == ([1.0] * 3, [0.0] * 3)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda v: v.clamp(), ValueError),
        (lambda v: v.clamp(min="0"), TypeError),
        (lambda v: v.clamp(max=[1.0]), TypeError),
    ],
)
def test_clamp_refuses_bad_bounds(B, call, error):
    with pytest.raises(error, match="clamp"):
        call(B.leaf(1.0))


def test_sqrt_gradient_is_inf_at_zero_and_a_negative_input_is_the_contract_error(B):
    values, grads = grads_of(B, lambda v: v.sqrt(), [4.0, 0.0, -0.0, math.inf])
    assert values == [2.0, 0.0, 0.0, math.inf]
    assert math.copysign(1.0, values[2]) == -1.0  # sqrt(-0.0) is -0.0, as IEEE and PyTorch
    assert grads == [0.25, math.inf, -math.inf, 0.0]
    for bad in (-1.0, -1e-300, -math.inf):
        with pytest.raises(ValueError, match="sqrt"):
            B.leaf(bad).sqrt()


def test_sqrt_of_a_tensor_raises_if_any_element_is_negative():
    with pytest.raises(ValueError, match="sqrt"):
        Tensor([4.0, -1.0, 9.0]).sqrt()


# -- softmax and log_softmax ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_equals_pytorch_with_an_upstream_gradient(name, axis):
    torch = pytest.importorskip(
        "torch", reason="PyTorch oracle: pip install 'minigrad-twins[oracle]'"
    )
    rng = np.random.default_rng(3)
    x, upstream = rng.normal(size=(4, 5)) * 3, rng.normal(size=(4, 5))
    t = Tensor(x, requires_grad=True)
    out = getattr(t, name)(dim=axis)
    (out * upstream).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    tout = getattr(tx, name)(dim=axis)
    (tout * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(t.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-13)
    # axis= is the same as dim=
    np.testing.assert_array_equal(getattr(t, name)(axis=axis).data, out.data)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_is_stable_for_large_logits(name):
    x = Tensor([[1000.0, 0.0, -1000.0], [-1e308, 1e308, 0.0]], requires_grad=True)
    out = getattr(x, name)(1)
    assert np.isfinite(out.data[:, :2]).all() or name == "log_softmax"
    out.sum().backward()
    assert np.isfinite(x.grad).all()
    expected = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    got = out.data if name == "softmax" else np.exp(out.data)
    np.testing.assert_allclose(got, expected, atol=1e-300)


def test_log_softmax_meets_the_fused_cross_entropy():
    """``-log_softmax(z)[i, t_i]`` averaged is ``cross_entropy_loss(z, t)``: the same value
    and the same gradient."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6, 4)) * 4
    t = np.array([0, 3, 1, 1, 2, 0])
    a, b = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
    plain = -a.log_softmax(dim=1)[np.arange(6), t].mean()
    fused = tensor.cross_entropy_loss(b, t)
    plain.backward()
    fused.backward()
    np.testing.assert_allclose(plain.item(), fused.item(), rtol=1e-14)
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda x: x.softmax(), TypeError),  # the axis must be given
        (lambda x: x.log_softmax(dim=(0, 1)), TypeError),
        (lambda x: x.softmax(dim=2), ValueError),
        (lambda x: x.softmax(0, axis=0), TypeError),
    ],
)
def test_softmax_refuses_a_missing_or_bad_axis(call, error):
    with pytest.raises(error):
        call(Tensor(np.ones((2, 3))))


# -- targets as a Tensor ---------------------------------------------------------------------


def test_cross_entropy_takes_a_tensor_of_whole_number_targets():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(3, 4))
    expected = tensor.cross_entropy_loss(Tensor(z), [2, 0, 3]).item()
    for targets in (
        Tensor([2, 0, 3]),
        Tensor([2.0, 0.0, 3.0], dtype=np.float32),
        Tensor(np.array([[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1]])).argmax(1),
    ):
        assert tensor.cross_entropy_loss(Tensor(z), targets).item() == expected
    assert tensor.cross_entropy_loss(Tensor(z[0]), Tensor(2)).item() == pytest.approx(
        tensor.cross_entropy_loss(Tensor(z[0]), 2).item()
    )


@pytest.mark.parametrize("targets", [[2.5, 0.0, 3.0], [2.0, 0.0, 4.0], [[2.0, 0.0, 3.0]]])
def test_cross_entropy_refuses_a_tensor_of_targets_that_are_not_classes(targets):
    with pytest.raises(ValueError, match="cross_entropy_loss"):
        tensor.cross_entropy_loss(Tensor(np.zeros((3, 4))), Tensor(targets))


def test_the_scalar_engine_takes_values_of_whole_numbers_as_targets():
    logits = [[scalar.Value(x) for x in row] for row in ([0.1, 2.0, -1.0], [1.0, 0.0, 0.5])]
    expected = scalar.cross_entropy_loss(logits, [1, 0]).data
    got = scalar.cross_entropy_loss(logits, [scalar.Value(1.0), scalar.Value(0.0)]).data
    assert got == expected
    assert scalar.cross_entropy_loss(logits[0], scalar.Value(1.0)).data == pytest.approx(
        scalar.cross_entropy_loss(logits[0], 1).data
    )
    with pytest.raises(ValueError, match="cross_entropy_loss"):
        scalar.cross_entropy_loss(logits, [scalar.Value(1.5), scalar.Value(0.0)])
