"""The tensor engine's ``Tensor``: ops and their gradients, broadcasting, errors, dtypes."""

import numpy as np
import pytest

import minigrad
from minigrad import gradcheck
from minigrad.tensor import MLP, SGD, Adam, Tensor, cross_entropy_loss, linear, no_grad

rng = np.random.default_rng(0)


def T(*shape, low=-1.0, high=1.0):
    return Tensor(rng.uniform(low, high, size=shape), requires_grad=True)


def weighted_sum(out):
    """A scalar from a tensor, with distinct weights so every element's gradient differs."""
    w = np.linspace(0.5, 1.5, out.data.size).reshape(out.data.shape)
    return (out * w).sum()


UNARY = {
    "neg": (lambda a: -a, {}),
    "exp": (lambda a: a.exp(), {}),
    "log": (lambda a: a.log(), {"low": 0.2, "high": 2.0}),
    "tanh": (lambda a: a.tanh(), {}),
    "relu": (lambda a: a.relu(), {}),
    "sigmoid": (lambda a: a.sigmoid(), {}),
    "pow_number": (lambda a: a**3, {}),
    "pow_fraction": (lambda a: a**0.5, {"low": 0.2, "high": 2.0}),
    "number_pow": (lambda a: 2**a, {}),
    "number_sub": (lambda a: 1.5 - a, {}),
    "number_div": (lambda a: 2.0 / a, {"low": 0.5, "high": 2.0}),
    "sum": (lambda a: a.sum(), {}),
    "sum_axis": (lambda a: a.sum(axis=0), {}),
    "sum_keepdims": (lambda a: a.sum(axis=1, keepdims=True), {}),
    "mean": (lambda a: a.mean(axis=1), {}),
    "max": (lambda a: a.max(), {}),
    "max_axis": (lambda a: a.max(axis=0, keepdims=True), {}),
    "reshape": (lambda a: a.reshape(6, 2), {}),
    "transpose": (lambda a: a.T, {}),
    "getitem_slice": (lambda a: a[1:, ::2], {}),
    "getitem_array": (lambda a: a[np.array([0, 2, 0])], {}),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_gradient_matches_finite_differences(name):
    fn, bounds = UNARY[name]
    assert gradcheck(lambda a: weighted_sum(fn(a)), [T(3, 4, **bounds)])


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize(
    "shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (2, 3))]
)
def test_binary_op_gradient_with_broadcasting(name, shapes):
    a, b = T(*shapes[0], low=0.5, high=2.0), T(*shapes[1], low=0.5, high=2.0)
    assert gradcheck(lambda a, b: weighted_sum(BINARY[name](a, b)), [a, b])


@pytest.mark.parametrize("shapes", [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,))])
def test_matmul_gradient(shapes):
    a, b = T(*shapes[0]), T(*shapes[1])
    assert gradcheck(lambda a, b: weighted_sum(a @ b), [a, b])


def test_fused_linear_equals_plain_ops():
    x, w, b = T(5, 3), T(4, 3), T(4)
    g = rng.normal(size=(5, 4))
    fused = linear(x, w, b)
    fused.backward(g)
    grads = [t.grad.copy() for t in (x, w, b)]
    for t in (x, w, b):
        t._zero_grad()
    plain = x @ w.T + b
    plain.backward(g)
    np.testing.assert_allclose(fused.data, plain.data, rtol=1e-14)
    for got, t in zip(grads, (x, w, b)):
        np.testing.assert_allclose(got, t.grad, rtol=1e-14)


def test_linear_on_one_sample():
    x, w, b = T(3), T(4, 3), T(4)
    assert gradcheck(lambda x, w, b: weighted_sum(linear(x, w, b)), [x, w, b])


def test_max_shares_the_gradient_among_ties():
    a = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    a.max().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 0.5, 0.5])


def test_getitem_repeated_index_accumulates():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    a[np.array([0, 0, 2])].sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 0.0, 1.0])


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(3, 2\)"):
        T(3, 4) @ T(3, 2)


def test_broadcast_mismatch_raises_value_error():
    with pytest.raises(ValueError, match=r"\(3,4\).*\(3,\)|\(3, 4\).*\(3,\)"):
        T(3, 4) + T(3)


def test_backward_of_non_scalar_needs_a_gradient():
    a = T(2, 2)
    with pytest.raises(
        RuntimeError, match=r"non-scalar tensor of shape \(2, 2\).*backward\(grad\)"
    ):
        (a * 2).backward()
    with pytest.raises(ValueError, match=r"gradient of shape \(3,\)"):
        (a * 2).backward(np.ones(3))
    (a * 2).backward(np.ones((2, 2)))
    np.testing.assert_array_equal(a.grad, np.full((2, 2), 2.0))


def test_backward_twice_adds_twice_and_grad_starts_at_zero():
    a = Tensor(1.0, requires_grad=True)
    np.testing.assert_array_equal(a.grad, 0.0)
    mid = a * 3
    out = mid * 2
    out.backward()
    out.backward()
    assert a.grad == 12.0 and mid.grad == 4.0


def test_node_used_twice_gets_both_contributions():
    a = Tensor([3.0], requires_grad=True)
    (a * a + a).sum().backward()
    assert a.grad[0] == 7.0


def test_deep_chain_backpropagates_without_recursion():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1e-6
    y.backward()
    assert x.grad == 1.0


def test_no_grad_and_requires_grad():
    a = T(3)
    with no_grad():
        b = a * 2
    assert not b.requires_grad and b._prev == ()
    c = Tensor([1.0, 2.0]) * 2  # no input needs a gradient: no graph either
    assert not c.requires_grad


@pytest.mark.parametrize("bad", ["abc", None, np.array(["a"]), [1 + 2j], [[1.0], [2.0, 3.0]]])
def test_tensor_rejects_non_real_data(bad):
    with pytest.raises(TypeError):
        Tensor(bad)


@pytest.mark.parametrize(
    "op",
    [
        lambda a: a * 3.0,
        lambda a: a + a,
        lambda a: a.tanh(),
        lambda a: a.sum(),
        lambda a: (a * a).exp(),
    ],
)
def test_zero_dim_results_hold_arrays(op):
    out = op(Tensor(2.0, requires_grad=True))
    assert type(out.data) is np.ndarray and out.data.shape == ()


def test_tensor_defaults_to_float64():
    assert Tensor([1, 2]).data.dtype == np.float64
    assert Tensor(np.float32(1)).data.dtype == np.float64
    assert Tensor([1, 2], dtype=np.float32).data.dtype == np.float32


def test_log_and_pow_domain_errors_match_the_scalar_engine():
    with pytest.raises(ValueError, match="log of a non-positive number"):
        Tensor([1.0, 0.0]).log()
    with pytest.raises(ValueError, match="negative base to a fractional power"):
        Tensor([-8.0]) ** 0.5
    np.testing.assert_array_equal((Tensor([-2.0]) ** 3).data, [-8.0])


def test_sigmoid_never_overflows():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = Tensor([-1000.0, 1000.0]).sigmoid().data
    np.testing.assert_array_equal(s, [0.0, 1.0])


def test_item():
    assert Tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match="one element"):
        Tensor([1.0, 2.0]).item()


@pytest.mark.parametrize(
    "opt",
    [
        lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
        lambda p: Adam(p, lr=0.01, weight_decay=1e-3),
    ],
)
def test_float32_end_to_end(opt, digits):
    X, _, y, _ = digits
    model = MLP(64, [16, 10], seed=0, dtype=np.float32)
    optimizer = opt(model.parameters())
    for i in range(3):
        out = model(X[i * 4 : (i + 1) * 4])
        assert out.data.dtype == np.float32
        loss = cross_entropy_loss(out, y[i * 4 : (i + 1) * 4])
        assert loss.data.dtype == np.float32
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for p in model.parameters():
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
    for state in (
        getattr(optimizer, "_buf", []) + getattr(optimizer, "_m", []) + getattr(optimizer, "_v", [])
    ):
        assert state.dtype == np.float32
    ref = minigrad.tensor.MLP(64, [16, 10], seed=0)  # float64 twin stays close
    assert model.state_dict()["layers.0.weight"].dtype == np.float64  # state_dict is float64
    assert (
        np.abs(model.state_dict()["layers.0.weight"] - ref.state_dict()["layers.0.weight"]).max()
        < 0.1
    )


def test_bad_dtype_is_rejected():
    with pytest.raises(ValueError, match="float64 or float32"):
        MLP(2, [2], dtype=np.int32)
