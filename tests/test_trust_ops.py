"""Issue 17, the ops part: silent wrong results and unclear errors of the ops, found by an
outside attack. One test per defect, each failing before its fix, each asserting
PyTorch float64's behaviour or the deviation docs/API.md lists (with what PyTorch gives,
checked here when torch is installed)."""

import math
from pathlib import Path

import numpy as np
import pytest

import minigrad

S = minigrad.backend("scalar")
T = minigrad.backend("tensor")
Tensor, Value = T.Tensor, S.Value
inf, nan = math.inf, math.nan
try:
    from numpy.exceptions import AxisError
except ImportError:  # NumPy < 1.25
    AxisError = np.AxisError  # noqa: NPY201

API = (Path(__file__).parent.parent / "docs" / "API.md").read_text()


def torch_or_skip():
    return pytest.importorskip(
        "torch", reason="PyTorch oracle: pip install 'minigrad-twins[oracle]'"
    )


def deviations_table():
    """The rows of docs/API.md's table of deliberate deviations, lower case."""
    section = API.split("### Special values", 1)[1].split("\n### ", 1)[0]
    return [line.lower() for line in section.splitlines() if line.startswith("| ")]


def row_about(*words):
    rows = [r for r in deviations_table() if all(w.lower() in r for w in words)]
    assert rows, f"docs/API.md's deviations table has no row about {words}"
    return rows[0]


# -- 1. transpose with mixed-sign axes ---------------------------------------------------------


@pytest.mark.parametrize(
    "shape, axes",
    [
        ((3, 3), (-1, 0)),
        ((2, 3), (-1, 0)),
        ((2, 3), (1, -2)),
        ((2, 3, 4), (0, -1, 1)),
        ((2, 3, 4), (-1, 0, -2)),
        ((2, 3, 4), ((2, -3, 1),)),
    ],
)
def test_transpose_with_mixed_sign_axes_sends_each_gradient_home(shape, axes):
    x = Tensor(np.arange(np.prod(shape), dtype=float).reshape(shape), requires_grad=True)
    out = x.transpose(*axes)
    perm = axes[0] if len(axes) == 1 else axes
    expected_out = np.transpose(x.data, perm)
    np.testing.assert_array_equal(out.data, expected_out)
    W = np.random.default_rng(0).normal(size=expected_out.shape)
    (out * Tensor(W)).sum().backward()
    # the gradient of x[i...] is the weight its element met: W read back through the inverse
    expected = np.empty(shape)
    np.transpose(expected, perm)[...] = W
    assert x.grad.shape == shape
    np.testing.assert_array_equal(x.grad, expected)


def test_transpose_gradient_equals_pytorch_permute():
    torch = torch_or_skip()
    W = np.arange(24.0).reshape(4, 2, 3) * 0.5
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    (x.transpose(-1, 0, -2) * Tensor(W)).sum().backward()
    tx = torch.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    (tx.permute(-1, 0, -2) * torch.tensor(W)).sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


@pytest.mark.parametrize(
    "axes, error, message",
    [
        ((0, 0), ValueError, r"transpose: axes \(0, 0\) repeat an axis"),
        ((0, -2), ValueError, r"transpose: axes \(0, -2\) repeat an axis"),  # -2 is 0
        ((0, 5), AxisError, r"axis 5 is out of bounds for a tensor of shape \(2, 3\)"),
        ((-3, 0), AxisError, r"axis -3 is out of bounds for a tensor of shape \(2, 3\)"),
        ((0,), ValueError, r"axes \(0,\) for a tensor of shape \(2, 3\): give each of its 2"),
        ((0, 1, 2), ValueError, r"transpose: axes \(0, 1, 2\) for a tensor of shape \(2, 3\)"),
    ],
)
def test_transpose_refuses_repeated_and_out_of_range_axes_as_numpy_does(axes, error, message):
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    with pytest.raises(error, match=message):
        x.transpose(*axes)
    with pytest.raises(error):  # NumPy's error type for the same mistake
        np.transpose(x.data, axes)


def test_transpose_axes_must_be_integers():
    with pytest.raises(TypeError):
        Tensor(np.zeros((2, 3))).transpose(0.0, 1)


# -- 4. a node owns what its rule reads ---------------------------------------------------------


def test_cross_entropy_gradient_does_not_read_the_callers_targets_at_backward_time():
    logits = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]])
    yb = np.array([0, 1])
    grads = {}
    for name, B in (("scalar", S), ("tensor", T)):
        targets = yb.copy()
        z = B.leaf(logits) if B is T else [[B.leaf(v) for v in row] for row in logits]
        loss = B.cross_entropy_loss(z, targets)
        targets[:] = [2, 2]  # a training loop refilling its batch array before backward
        loss.backward()
        grads[name] = np.asarray(z.grad) if B is T else np.array([[v.grad for v in r] for r in z])
    t = T.leaf(logits)
    T.cross_entropy_loss(t, yb).backward()
    np.testing.assert_allclose(grads["tensor"], t.grad, rtol=0, atol=0)
    np.testing.assert_allclose(grads["tensor"], grads["scalar"], rtol=1e-15, atol=1e-17)


def test_cross_entropy_of_one_sample_owns_its_target():
    t = T.leaf(np.array([1.0, 2.0, 0.5]))
    target = np.array([0])
    loss = T.cross_entropy_loss(t, target)
    target[0] = 2
    loss.backward()
    assert t.grad[0] < 0 and t.grad[2] > 0


@pytest.mark.parametrize(
    "make_index, change, expected",
    [
        (lambda: np.array([0, 1]), lambda i: i.__setitem__(0, 2), [1.0, 1.0, 0.0]),
        (lambda: [0, 1], lambda i: i.__setitem__(0, 2), [1.0, 1.0, 0.0]),
        (lambda: (np.array([0, 0]),), lambda i: i[0].__setitem__(1, 2), [2.0, 0.0, 0.0]),
        (lambda: np.array([True, False, True]), lambda i: i.fill(False), [1.0, 0.0, 1.0]),
    ],
    ids=["int array", "list", "tuple of an array", "bool array"],
)
def test_getitem_gradient_does_not_read_the_callers_index_at_backward_time(
    make_index, change, expected
):
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    index = make_index()
    out = a[index].sum()
    change(index)
    out.backward()
    np.testing.assert_array_equal(a.grad, expected)


def test_getitem_of_a_2d_tensor_by_an_array_and_a_slice_owns_the_array():
    a = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = np.array([2, 0])
    out = a[rows, :1].sum()
    rows[:] = 1
    out.backward()
    np.testing.assert_array_equal(a.grad, [[1.0, 0.0], [0.0, 0.0], [1.0, 0.0]])


# -- 7. max(axis=k) with a NaN in a slice -------------------------------------------------------


@pytest.mark.parametrize("keepdims", [False, True])
def test_max_over_an_axis_sends_a_nan_slice_gradient_to_the_nan(keepdims):
    x = Tensor([[1.0, nan], [3.0, 2.0]], requires_grad=True)
    out = x.max(axis=1, keepdims=keepdims)
    assert np.isnan(out.data.ravel()[0]) and out.data.ravel()[1] == 3.0
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0], [1.0, 0.0]])


def test_max_over_axis_0_and_a_tuple_of_axes_with_nans():
    x = Tensor([[1.0, nan, 5.0], [nan, nan, 2.0]], requires_grad=True)
    x.max(axis=0).sum().backward()
    # column 0: the nan; column 1: two nans share (our rule for ties, as max() over all
    # elements does); column 2: the 5
    np.testing.assert_array_equal(x.grad, [[0.0, 0.5, 1.0], [1.0, 0.5, 0.0]])
    y = Tensor(np.array([[[1.0, nan]], [[3.0, 2.0]]]), requires_grad=True)
    y.max(axis=(1, 2)).sum().backward()
    np.testing.assert_array_equal(y.grad, [[[0.0, 1.0]], [[1.0, 0.0]]])


def test_max_over_an_axis_with_a_nan_equals_pytorch():
    torch = torch_or_skip()
    data = [[1.0, nan, 0.5], [3.0, 2.0, -1.0], [nan, 7.0, 8.0]]
    x = Tensor(data, requires_grad=True)
    x.max(dim=1).sum().backward()
    tx = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    tx.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())


# -- 8. division and log at subnormals: a documented deviation, the same in both engines --------


def _both(fn):
    """``fn(B)`` in each engine: (value, gradients) as float64 arrays."""
    return {name: fn(minigrad.backend(name)) for name in ("scalar", "tensor")}


def _quotient_scaled(B):
    a, b = B.leaf(1e-20), B.leaf(1e-310)
    ((a / b) * 1e-10).backward()
    return float(a.grad), float(b.grad)


def _quotient_minus_itself(B):
    a, b = B.leaf(1e-20), B.leaf(1e-310)
    c = a / b
    (c - c).backward()
    return float(a.grad), float(b.grad)


def _log_times_zero(B):
    x = B.leaf(5e-324)
    (x.log() * 0.0).backward()
    return (float(x.grad),)


SUBNORMAL_CASES = {
    # name: (graph, what both engines give, what PyTorch gives)
    "(a / b) * 1e-10 at b = 1e-310": (_quotient_scaled, (inf, -inf), (1e300, -inf)),
    "c - c, c = a / b at b = 1e-310": (_quotient_minus_itself, (nan, nan), (0.0, nan)),
    "log(x) * 0 at x = 5e-324": (_log_times_zero, (nan,), (0.0,)),
}


@pytest.mark.parametrize("case", list(SUBNORMAL_CASES))
def test_division_and_log_at_subnormals_give_the_documented_gradients_in_both_engines(case):
    graph, ours, _ = SUBNORMAL_CASES[case]
    got = _both(graph)
    np.testing.assert_array_equal(got["scalar"], ours)
    np.testing.assert_array_equal(got["tensor"], ours)
    row = row_about("subnormal")
    assert "1e300" in row and "g / x" in row and "local" in row


@pytest.mark.parametrize("case", list(SUBNORMAL_CASES))
def test_what_pytorch_gives_at_subnormals_is_what_the_deviation_says(case):
    torch = torch_or_skip()
    graph, _, theirs = SUBNORMAL_CASES[case]

    class TorchEngine:
        @staticmethod
        def leaf(x):
            return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    got = graph(TorchEngine)
    np.testing.assert_allclose(got, theirs, rtol=1e-13)  # (1e-10 / 1e-310 is not exact)


# -- 9. x ** 0.5 at -inf and -0.0: C99's pow in both engines ------------------------------------


def _pow_half(B, x, node_exponent, zero_d=True):
    if B is S:
        base = Value(x)
        exponent = Value(0.5) if node_exponent else 0.5
    else:
        base = Tensor(x if zero_d else [x], requires_grad=True)
        exponent = Tensor(0.5 if zero_d else [0.5], requires_grad=True) if node_exponent else 0.5
    out = base**exponent
    (out if B is S or zero_d else out.sum()).backward()
    grads = [float(np.ravel(base.grad)[0])]
    if node_exponent:
        grads.append(float(np.ravel(exponent.grad)[0]))
    return float(np.ravel(out.data)[0]), grads


@pytest.mark.parametrize(
    "x, value, d_base, d_exp",
    [(-inf, inf, 0.0, nan), (-0.0, 0.0, inf, 0.0)],
)
@pytest.mark.parametrize("node_exponent", [True, False], ids=["node ** node", "node ** 0.5"])
def test_pow_one_half_is_c99_pow_in_both_engines(x, value, d_base, d_exp, node_exponent):
    expected_grads = [d_base, d_exp] if node_exponent else [d_base]
    results = [_pow_half(S, x, node_exponent)]
    results += [_pow_half(T, x, node_exponent, zero_d) for zero_d in (True, False)]
    for got_value, got_grads in results:
        assert math.copysign(1.0, got_value) == math.copysign(1.0, value) and (
            got_value == value
        ), results
        np.testing.assert_array_equal(got_grads, expected_grads)


def test_pow_one_half_of_a_number_to_a_node_is_c99_pow():
    for x, expected in ((-inf, inf), (-0.0, 0.0)):
        for out in (
            x ** Value(0.5),
            x ** Tensor(0.5, requires_grad=True),
            x ** Tensor([0.5, 0.5], requires_grad=True),
        ):
            got = float(np.ravel(out.data)[0])
            assert got == expected and math.copysign(1.0, got) == 1.0, (x, out)


def test_pow_derivative_uses_c99_pow_too():
    # d/dx x ** 1.5 = 1.5 x ** 0.5: inf at -inf (PyTorch's tensor ** tensor: inf)
    s = Value(-inf)
    (s ** Value(1.5)).backward()
    t = Tensor(-inf, requires_grad=True)
    (t ** Tensor(1.5)).backward()
    t1 = Tensor([-inf, -inf], requires_grad=True)
    (t1**1.5).sum().backward()
    assert s.grad == inf and float(t.grad) == inf and list(t1.grad) == [inf, inf]


def test_pow_one_half_of_a_node_is_listed_as_the_deviation():
    row = row_about("** 0.5", "sqrt")
    assert "node ** 0.5" in row or "plain number 0.5" in row
    from tests.test_special_values import DELIBERATE_DEVIATIONS, Case, deviation_of

    assert deviation_of(Case("pow", (True, False), (-inf, 0.5))) is not None
    assert deviation_of(Case("pow", (True, True), (-inf, 0.5))) is None
    assert deviation_of(Case("pow", (False, True), (-0.0, 0.5))) is None
    assert any("0.5" in name for name in DELIBERATE_DEVIATIONS)


def test_pow_one_half_node_to_node_equals_pytorch():
    torch = torch_or_skip()
    for x in (-inf, -0.0):
        tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        ty = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
        out = tx**ty
        out.backward()
        value, grads = _pow_half(T, x, True)
        assert value == out.item() and math.copysign(1, value) == math.copysign(1, out.item())
        np.testing.assert_array_equal(grads, [tx.grad.item(), ty.grad.item()])


# -- clear errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["sum", "mean", "max"])
@pytest.mark.parametrize("axis", [5, -3, (0, 5)])
def test_an_axis_out_of_range_is_numpys_axis_error_for_sum_mean_and_max(method, axis):
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(AxisError, match=r"out of bounds for a tensor of shape \(2, 3\)") as e:
        getattr(t, method)(axis=axis)
    assert isinstance(e.value, IndexError) and isinstance(e.value, ValueError)
    with pytest.raises(AxisError):
        getattr(t, method)(dim=axis)
    with pytest.raises(AxisError):  # what NumPy raises for the same call
        getattr(t.data, method)(axis=axis)


@pytest.mark.parametrize("method", ["sum", "mean", "max"])
def test_a_repeated_axis_is_a_value_error_for_sum_mean_and_max(method):
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"repeat"):
        getattr(t, method)(axis=(0, -2))
    with pytest.raises(ValueError):
        getattr(t.data, method)(axis=(0, -2))


@pytest.mark.parametrize("method", ["sum", "mean", "max"])
@pytest.mark.parametrize("axis", [-1, (-1, 0), (1,)])
def test_reductions_over_normalised_axes_keep_their_values_and_gradients(method, axis):
    data = np.arange(6.0).reshape(2, 3)
    t = Tensor(data, requires_grad=True)
    out = getattr(t, method)(axis=axis, keepdims=True)
    np.testing.assert_array_equal(out.data, getattr(data, method)(axis=axis, keepdims=True))
    out.sum().backward()
    positive = tuple(a % 2 for a in np.atleast_1d(axis))  # the same axes, counted from 0
    u = Tensor(data, requires_grad=True)
    getattr(u, method)(axis=positive, keepdims=True).sum().backward()
    np.testing.assert_array_equal(t.grad, u.grad)


def test_mean_of_an_empty_axis_is_still_nan():
    t = Tensor(np.ones((0, 3)), requires_grad=True)
    out = t.mean(axis=0)
    assert out.data.shape == (3,) and np.isnan(out.data).all()


@pytest.mark.parametrize(
    "use",
    [
        lambda t: t + 1,
        lambda t: 2.0 * t,
        lambda t: t * Tensor([1.0, 1.0]),
        lambda t: Tensor([1.0, 1.0]) - t,
        lambda t: t.backward(np.ones(2)),
    ],
    ids=["t + 1", "2 * t", "t * tensor", "tensor - t", "backward"],
)
def test_data_assigned_a_list_is_a_clear_type_error(use):
    t = Tensor([1.0, 2.0], requires_grad=True)
    t.data = [1.0, 5.0]
    with pytest.raises(TypeError, match=r"\.data must be a NumPy array, got list"):
        use(t)


def test_data_assigned_an_array_works():
    t = Tensor([1.0, 2.0], requires_grad=True)
    t.data = np.array([1.0, 5.0])
    (t * 2.0).sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0, 2.0])


def test_iterating_a_zero_dim_tensor_is_a_type_error_as_in_pytorch():
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        sum(Tensor(5.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(Tensor(5.0, requires_grad=True))


def test_iterating_a_tensor_gives_its_rows_as_nodes_of_the_graph():
    t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(t)
    assert [r.data.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    total = sum(rows)  # 0 + row0 + row1
    total.sum().backward()
    np.testing.assert_array_equal(t.grad, np.ones((2, 2)))
    assert sum(Tensor([1.0, 2.0])).item() == 3.0


@pytest.mark.parametrize(
    "data, expected",
    [([0.0], False), ([2.0], True), (0.0, False), (-0.0, False), ([[nan]], True), (3.0, True)],
)
def test_bool_of_a_one_element_tensor_is_its_value(data, expected):
    assert bool(Tensor(data)) is expected
    assert bool(Tensor(data, dtype=np.float32)) is expected


@pytest.mark.parametrize("data", [[1.0, 2.0], [], np.zeros((2, 0))])
def test_bool_of_a_tensor_of_other_sizes_is_ambiguous(data):
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor(data))


def test_bool_matches_pytorch():
    torch = torch_or_skip()
    for data in ([0.0], [1.0], 0.0, [[nan]]):
        assert bool(Tensor(data)) == bool(torch.tensor(data, dtype=torch.float64))


# -- undocumented deviations -------------------------------------------------------------------


@pytest.mark.parametrize("x", [-709.7827128933841, -710.0, -720.0, -745.0, -745.1, -1e4])
def test_sigmoid_is_zero_where_pytorchs_is_not_subnormal(x):
    s, t = Value(x), Tensor(x, requires_grad=True)
    out_s, out_t = s.sigmoid(), t.sigmoid()
    out_s.backward()
    out_t.backward()
    assert out_s.data == 0.0 and float(out_t.data) == 0.0
    assert s.grad == 0.0 and float(t.grad) == 0.0


@pytest.mark.parametrize("x", [-709.782712893384, -709.0, -708.0, -700.0])
def test_sigmoid_keeps_its_subnormal_values_where_pytorch_has_them(x):
    expected = math.exp(x) / (1.0 + math.exp(x))
    assert Value(x).sigmoid().data == expected
    assert float(Tensor(x).sigmoid().data) == expected
    assert float(Tensor([x, 1.0]).sigmoid().data[0]) == expected


def test_sigmoid_of_float32_is_zero_where_exp_overflows_in_float32():
    x = np.array([-88.72283, -88.72284, -90.0, -103.0, -104.0], dtype=np.float32)
    s = Tensor(x, dtype=np.float32).sigmoid().data
    assert s.dtype == np.float32
    assert s[0] > 0 and (s[1:] == 0).all()


def test_sigmoid_at_the_overflow_boundary_equals_pytorch():
    torch = torch_or_skip()
    for dtype, tdtype in ((np.float64, torch.float64), (np.float32, torch.float32)):
        limit = 709.782712893384 if dtype is np.float64 else 88.72284
        x = np.concatenate(
            [np.linspace(-limit - 40, -limit + 3, 200), [-limit]], dtype=dtype
        ).astype(dtype)
        x = np.concatenate([x, np.nextafter(x, dtype(0)), np.nextafter(x, dtype(-1e9))])
        ours = Tensor(x, dtype=dtype).sigmoid().data
        theirs = torch.sigmoid(torch.tensor(x, dtype=tdtype)).numpy()
        zero = theirs == 0
        np.testing.assert_array_equal(ours == 0, zero)
        np.testing.assert_allclose(
            ours[~zero], theirs[~zero], rtol=1e-6 if dtype is np.float32 else 1e-13
        )
        if dtype is np.float64:
            scalar = np.array([Value(float(v)).sigmoid().data for v in x])
            np.testing.assert_array_equal(scalar == 0, zero)


def _pow_at_zero_exponent_under(B, g):
    x, y = B.leaf(2.0), B.leaf(0.0)
    (x**y).backward(g)
    return float(x.grad), float(y.grad)


@pytest.mark.parametrize("g", [inf, -inf, nan])
def test_pow_base_gradient_at_a_zero_exponent_under_an_infinite_gradient_is_documented(g):
    # d/dx x ** y at y == 0 is the local derivative 0 times g: nan in both engines (PyTorch
    # selects 0 there); d/dy is ln(2) * g, as in PyTorch
    got = _both(lambda B: _pow_at_zero_exponent_under(B, g))
    assert math.isnan(got["scalar"][0]) and math.isnan(got["tensor"][0])
    assert got["scalar"][1] == got["tensor"][1] or math.isnan(got["scalar"][1])
    row = row_about("** y", "y == 0")
    assert "select" in row


def test_pow_base_gradient_at_a_zero_exponent_in_pytorch_is_what_the_row_says():
    torch = torch_or_skip()
    x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (x**y).backward(torch.tensor(inf, dtype=torch.float64))
    assert x.grad.item() == 0.0 and y.grad.item() == inf


def test_the_sign_of_a_zero_gradient_differs_between_engines_and_is_documented():
    s, t = Value(3.0), Tensor(3.0, requires_grad=True)
    (s * -0.0).backward()
    (t * -0.0).backward()
    assert s.grad == 0.0 and math.copysign(1.0, s.grad) == 1.0  # onto the +0.0 it starts at
    assert float(t.grad) == 0.0 and math.copysign(1.0, float(t.grad)) == -1.0  # as PyTorch
    row = row_about("sign of a zero gradient")
    assert "+0.0" in row and "-0.0" in row


@pytest.mark.parametrize(
    "x, y, value, d_base",
    [(-0.0, -0.5, inf, -inf), (-inf, -0.5, 0.0, -0.0), (1e160, -2.0, 1e-320, -0.0)],
)
def test_pow_to_other_plain_exponents_pytorch_shortcuts_is_c99_pow_in_both_engines(
    x, y, value, d_base
):
    # PyTorch: rsqrt for tensor ** -0.5 (-inf, nan), 1 / (x * x) for tensor ** -2 (0); its
    # tensor ** tensor gives C99's pow, as both engines do for every form (docs/API.md)
    s = Value(x)
    out_s = s**y
    out_s.backward()
    t = Tensor(x, requires_grad=True)
    out_t = t**y
    out_t.backward()
    assert out_s.data == value == float(out_t.data)
    assert s.grad == d_base == float(t.grad)
    row_about("`node ** -0.5`", "rsqrt", "`node ** -2`")


# -- what the fuzzer found (tests/test_fuzz.py FOUND; these need no PyTorch) ------------------


def test_an_int_and_an_index_array_apart_are_read_as_pytorch_reads_them():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    idx = np.array([3, 0, 3])
    out = x[0, :, idx]
    assert out.data.shape == (3, 3)  # NumPy's x.data[0, :, idx] is (3, 3) transposed
    np.testing.assert_array_equal(out.data, x.data[0][:, idx])
    g = np.arange(9.0).reshape(3, 3)
    out.backward(g)
    want = np.zeros((2, 3, 4))
    np.add.at(want[0], (slice(None), idx), g)
    np.testing.assert_array_equal(x.grad, want)


def test_mixed_dtypes_divide_and_power_compute_the_float64_gradient_in_float64():
    x = Tensor([1.1], requires_grad=True)
    y = Tensor([3.3], requires_grad=True, dtype=np.float32)
    (x / y).sum().backward()
    assert x.grad[0] == 1.0 / np.float64(np.float32(3.3))  # not 1 / y rounded to float32
    b = Tensor([0.3], requires_grad=True, dtype=np.float32)
    e = Tensor([1.7], requires_grad=True)
    out = b**e
    out.sum().backward()
    b64 = np.float64(np.float32(0.3))
    assert e.grad[0] == pytest.approx(out.data[0] * np.log(b64), rel=1e-15)
    assert e.grad.dtype == np.float64 and b.grad.dtype == np.float32
