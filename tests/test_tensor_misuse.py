"""Misuse of the tensor engine and the optimizers is a clear error, never a silent zero
gradient or a write into the caller's array (issue 8, point 5)."""

import numpy as np
import pytest

from minigrad import no_grad
from minigrad.tensor import MLP, SGD, Adam, Layer, Tensor, cross_entropy_loss, mse_loss


def test_backward_on_a_tensor_that_requires_no_grad_raises():
    t = Tensor([1.0, 2.0])  # forgot requires_grad=True
    loss = (t * 2.0).sum()
    with pytest.raises(RuntimeError, match="does not require grad"):
        loss.backward()


def test_backward_on_a_result_made_under_no_grad_raises():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        loss = (w * w).sum()
    with pytest.raises(RuntimeError, match="no_grad"):
        loss.backward()


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.complex128, object, str])
def test_an_explicit_dtype_other_than_float_is_a_type_error(dtype):
    with pytest.raises(TypeError, match="float64 or float32"):
        Tensor([1, 2], dtype=dtype, requires_grad=True)


def test_integer_and_bool_data_convert_to_float64_and_get_true_gradients():
    t = Tensor(np.array([1, 2], dtype=np.int64), requires_grad=True)
    assert t.dtype == np.float64
    (t * 0.5).sum().backward()
    np.testing.assert_array_equal(t.grad, [0.5, 0.5])
    assert Tensor([True, False]).dtype == np.float64
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_step_never_writes_into_the_callers_array():
    arr = np.array([1.0, 2.0])
    w = Tensor(arr, requires_grad=True)
    (w * w).sum().backward()
    SGD([w], lr=0.1).step()
    np.testing.assert_array_equal(arr, [1.0, 2.0])
    np.testing.assert_allclose(w.data, [0.8, 1.6])


def test_a_gradient_handed_to_backward_is_not_aliased_into_grad():
    w = Tensor([1.0, 2.0], requires_grad=True)
    out = w * 1.0
    g = np.array([1.0, 1.0])
    out.backward(g)
    g[:] = 100.0
    np.testing.assert_array_equal(out.grad, [1.0, 1.0])
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])


def test_a_grad_assigned_by_the_user_is_a_copy():
    w = Tensor([1.0, 2.0], requires_grad=True)
    g = np.array([3.0, 4.0])
    w.grad = g
    g[:] = 0.0
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])


@pytest.mark.parametrize("Opt", [SGD, Adam])
def test_an_optimizer_refuses_a_tensor_that_requires_no_grad(Opt):
    with pytest.raises(ValueError, match="parameter 1, a tensor that does not require grad"):
        Opt([Tensor([1.0], requires_grad=True), Tensor([2.0])], lr=0.1)


@pytest.mark.parametrize("Opt", [SGD, Adam])
def test_an_optimizer_refuses_the_same_parameter_twice(B, Opt):
    # SGD(p + p) would move a weight twice as far in one engine as in the other.
    model = B.MLP(2, [3, 1], seed=0)
    params = model.parameters()
    with pytest.raises(ValueError, match=f"parameter {len(params)} twice"):
        getattr(B, Opt.__name__)(params + params[:1], lr=0.1)


def test_optimizer_repr_shows_its_settings(B):
    params = B.MLP(2, [3, 1], seed=0).parameters()
    assert repr(B.SGD(params, lr=0.1, momentum=0.9)) == (
        f"SGD({len(params)} parameters, lr=0.1, momentum=0.9, weight_decay=0.0)"
    )
    assert repr(B.Adam(params)) == (
        f"Adam({len(params)} parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0)"
    )


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), "0.1", None, True])
def test_an_optimizer_refuses_a_learning_rate_that_is_not_a_finite_number(B, bad):
    params = B.MLP(2, [1], seed=0).parameters()
    with pytest.raises(ValueError, match="learning rate"):
        B.SGD(params, lr=bad)
    with pytest.raises(ValueError, match="must be"):
        B.Adam(params, lr=0.1, betas=(bad, 0.999))


def test_a_tensor_of_whole_numbers_indexes_like_an_int_array():
    t = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    picked = t[Tensor([2, 0, 2])]
    np.testing.assert_array_equal(picked.data, [30.0, 10.0, 30.0])
    picked.sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0, 0.0, 2.0])
    with pytest.raises(IndexError, match="whole numbers"):
        t[Tensor([0.5])]


def test_each_node_owns_a_writable_grad():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    b = Tensor(np.ones((2, 3)), requires_grad=True)
    out = (a + b).reshape(3, 2).T.sum()
    out.backward()
    grads = [a.grad, b.grad]
    assert grads[0] is not grads[1] and not np.shares_memory(grads[0], grads[1])
    a.grad *= 3.0  # in place, as gradient clipping does
    np.testing.assert_array_equal(b.grad, np.ones((2, 3)))


# -- mixed float32 / float64 (issue 8: the review's leftovers) --------------------------------


def test_a_float32_input_gets_a_float32_gradient_from_a_float64_op():
    # NumPy promotes float32 * float64 to float64; the gradient of each input keeps the
    # input's own dtype, as in PyTorch (else a float32 parameter's .grad turns float64)
    a = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float32)
    b = Tensor([3.0, 4.0], requires_grad=True)
    ((a * b).sum() + (a @ b) + (a / b).sum()).backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad, 2 * np.array([3.0, 4.0]) + 1 / np.array([3.0, 4.0]))


def test_mse_of_a_float32_model_and_a_float64_tensor_target_is_a_type_error():
    model = MLP(3, [2], seed=0, dtype=np.float32)
    target = Tensor(np.zeros((4, 2)))  # float64
    with pytest.raises(TypeError, match="float32.*float64"):
        mse_loss(model(np.ones((4, 3))), target)
    # an array target is converted to the prediction's dtype, as before
    mse_loss(model(np.ones((4, 3))), np.zeros((4, 2))).backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_a_layer_refuses_a_graph_tensor_of_another_dtype_instead_of_cutting_the_graph():
    # a float64 layer feeding a float32 layer: casting would make a new leaf, and the first
    # layer would silently get no gradient (PyTorch raises on the mixed dtypes)
    first = Layer(3, 4, seed=0)
    second = Layer(4, 2, seed=1, dtype=np.float32)
    with pytest.raises(TypeError, match="float64.*float32"):
        second(first(np.ones((1, 3))))
    # a tensor outside any graph (plain data) is converted, as arrays are
    assert second(Tensor(np.ones((1, 4)))).data.dtype == np.float32


@pytest.mark.parametrize("shape", [(3, 4), (4,)], ids=["batch", "one sample"])
def test_a_float32_loss_is_a_float32_array(shape):
    logits = Tensor(np.ones(shape), requires_grad=True, dtype=np.float32)
    loss = cross_entropy_loss(logits, [1] * (shape[0] if len(shape) == 2 else 1))
    assert type(loss.data) is np.ndarray and loss.data.shape == ()
    assert loss.data.dtype == np.float32
    loss.backward()
    assert logits.grad.dtype == np.float32
