"""The tensor engine's ``Tensor``: ops and their gradients, broadcasting, errors, dtypes."""

import numpy as np
import pytest

import minigrad
from minigrad import gradcheck
from minigrad.tensor import MLP, SGD, Adam, Layer, Tensor, cross_entropy_loss, linear, no_grad
from tests.ops import check_gradient, ops

rng = np.random.default_rng(0)


def T(*shape, low=-1.0, high=1.0):
    return Tensor(rng.uniform(low, high, size=shape), requires_grad=True)


def weighted_sum(out):
    """A scalar from a tensor, with distinct weights so every element's gradient differs."""
    w = np.linspace(0.5, 1.5, out.data.size).reshape(out.data.shape)
    return (out * w).sum()


CASES = [
    pytest.param(op, shapes, id=f"{op.name}-{shapes}")
    for op in ops("tensor")
    for shapes in op.shapes
]


@pytest.mark.parametrize("op, shapes", CASES)
def test_op_gradient_matches_finite_differences(op, shapes):
    """Every op of the table (tests/ops.py), on random inputs from its domain, with
    broadcasting for the binary ones."""
    lo, hi = op.domain
    inputs = [T(*shape, low=lo, high=hi) for shape in shapes]
    assert check_gradient(op, inputs, wrap=weighted_sum)


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


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_layer_takes_an_array_as_it_takes_the_tensor_made_from_it(dtype):
    # a layer's fast path for an array of its dtype (one copy, no checks: tensor/nn.py's
    # _as_input) and the plain form Tensor(x, dtype=dtype) give the same values and grads
    x = rng.normal(size=(5, 3)).astype(dtype)
    grads = []
    for given in (x, Tensor(x, dtype=dtype)):
        layer = Layer(3, 4, act="tanh", seed=0, dtype=dtype)
        out = layer(given)
        out.sum().backward()
        assert out.data.dtype == dtype
        grads.append((out.data, layer.weight.grad, layer.bias.grad))
    for fast, plain in zip(*grads):
        np.testing.assert_array_equal(fast, plain)


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


def test_matmul_of_stacks_that_do_not_broadcast_names_both_shapes():
    a, b = Tensor(np.ones((2, 3, 4))), Tensor(np.ones((5, 4, 6)))
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) and \(5, 4, 6\) do not broadcast"):
        a @ b


def test_a_dtype_that_is_no_dtype_at_all_is_the_dtype_error():
    from minigrad.tensor.convert import DtypeError

    for bad in ("foo", (np.float64, -1), np.int32):
        with pytest.raises(DtypeError, match="float64 or float32"):
            Tensor([1.0], dtype=bad)
        with pytest.raises(DtypeError):
            MLP(2, [2], dtype=bad)
