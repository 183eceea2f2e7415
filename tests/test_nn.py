"""Modules of both engines: shapes, initialisation, parameters, state_dict, errors."""

import numpy as np
import pytest

from minigrad.common.init import linear_init, make_rng


def test_same_seed_gives_the_shared_initial_weights(B):
    model = B.MLP(5, [4, 3], seed=7)
    rng = make_rng(7)
    w0, b0 = linear_init(5, 4, rng)
    w1, b1 = linear_init(4, 3, rng)
    sd = model.state_dict()
    assert list(sd) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    for got, want in zip(sd.values(), (w0, b0, w1, b1)):
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, want)


def test_init_is_pytorch_linear_uniform(B):
    model = B.Layer(16, 200, seed=0)
    w = model.state_dict()["weight"]
    assert w.shape == (200, 16)
    assert np.abs(w).max() <= 0.25 and np.abs(w).max() > 0.24
    assert abs(w.mean()) < 0.02


def test_seed_none_draws_fresh_weights(B):
    a = B.MLP(3, [2], seed=None).state_dict()["layers.0.weight"]
    b = B.MLP(3, [2], seed=None).state_dict()["layers.0.weight"]
    assert not np.array_equal(a, b)


def test_output_shapes_for_1d_and_2d_inputs(B, digits):
    X = digits[0]
    model = B.MLP(64, [8, 3], seed=0)
    assert B.to_numpy(model(X[0])).shape == (3,)
    assert B.to_numpy(model(X[:5])).shape == (5, 3)
    assert B.to_numpy(model(X[:5].tolist())).shape == (5, 3)
    np.testing.assert_allclose(
        B.to_numpy(model(X[:5]))[2], B.to_numpy(model(X[2])), rtol=1e-12, atol=0
    )


def test_layer_and_neuron_shapes(B):
    x = np.array([[0.5, -1.0], [2.0, 0.25]])
    # One sample, one output: the scalar engine gives the Value itself, as micrograd does;
    # the tensor engine keeps the (nout,) shape, as PyTorch does.
    one = B.Layer(2, 1)(x[0])
    assert B.to_numpy(one).shape == (() if B.__name__.endswith("scalar") else (1,))
    assert B.to_numpy(B.Layer(2, 1)(x)).shape == (2, 1)
    assert B.to_numpy(B.Neuron(2)(x[0])).shape == ()
    assert B.to_numpy(B.Neuron(2)(x)).shape == (2,)


def test_forward_matches_numpy(B):
    model = B.MLP(4, [5, 3], act="tanh", seed=3)
    x = np.random.default_rng(0).normal(size=(6, 4))
    sd = model.state_dict()
    h = np.tanh(x @ sd["layers.0.weight"].T + sd["layers.0.bias"])
    want = h @ sd["layers.1.weight"].T + sd["layers.1.bias"]  # last layer linear
    np.testing.assert_allclose(B.to_numpy(model(x)), want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "act, fn",
    [
        ("relu", lambda z: np.maximum(z, 0)),
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        ("linear", lambda z: z),
    ],
)
def test_neuron_activations(B, act, fn):
    n = B.Neuron(3, act=act, seed=1)
    x = np.array([0.3, -2.0, 1.1])
    sd = n.state_dict()
    want = fn(sd["weight"][0] @ x + sd["bias"][0])
    np.testing.assert_allclose(B.to_numpy(n(x)), want, rtol=1e-12)


def test_wrong_width_raises_value_error(B):
    model = B.MLP(4, [2], seed=0)
    with pytest.raises(ValueError, match="expected 4.*given 3"):
        model(np.zeros(3))
    with pytest.raises(ValueError, match="expected 4.*given 5"):
        model(np.zeros((2, 5)))


def test_unknown_activation_lists_valid_names(B):
    with pytest.raises(ValueError, match="relu, tanh, sigmoid, linear"):
        B.MLP(2, [2], act="gelu")
    with pytest.raises(ValueError, match="valid activations"):
        B.Neuron(2, act="softmax")


@pytest.mark.parametrize("nouts", [[], [0], [3, -1], "abc"])
def test_bad_layer_sizes_raise_value_error(B, nouts):
    with pytest.raises(ValueError):
        B.MLP(2, nouts)


def test_parameters_order_and_count(B):
    model = B.MLP(3, [4, 2], seed=0)
    params = model.parameters()
    flat = np.concatenate([np.ravel(B.to_numpy(p)) for p in params])
    want = np.concatenate([a.ravel() for a in model.state_dict().values()])
    np.testing.assert_array_equal(flat, want)
    assert flat.size == 3 * 4 + 4 + 4 * 2 + 2


def test_state_dict_returns_copies(B):
    model = B.MLP(2, [2], seed=0)
    sd = model.state_dict()
    sd["layers.0.weight"][:] = 99.0
    assert not np.any(model.state_dict()["layers.0.weight"] == 99.0)


def test_load_state_dict_roundtrip(B):
    a, b = B.MLP(3, [4, 2], seed=0), B.MLP(3, [4, 2], seed=1)
    b.load_state_dict(a.state_dict())
    x = np.array([[0.1, 0.2, 0.3]])
    np.testing.assert_array_equal(B.to_numpy(a(x)), B.to_numpy(b(x)))


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda d: d.pop("layers.1.bias"), "missing key.*layers.1.bias"),
        (
            lambda d: d.__setitem__("layers.9.weight", np.zeros(1)),
            "unexpected key.*layers.9.weight",
        ),
        (lambda d: d.__setitem__("layers.1.bias", np.zeros(3)), "layers.1.bias.*shape"),
        (lambda d: d.__setitem__("layers.0.weight", np.zeros((3, 4))), "layers.0.weight.*shape"),
    ],
)
def test_failed_load_state_dict_changes_nothing(B, mutate, match):
    model = B.MLP(3, [4, 2], seed=0)
    before = model.state_dict()
    new = {k: v + 1.0 for k, v in before.items()}
    mutate(new)
    with pytest.raises(ValueError, match=match):
        model.load_state_dict(new)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize(
    "value",
    [
        np.full((4, 3), "1e3"),
        [["1", "2", "3"]] * 4,
        np.full((4, 3), None, dtype=object),
        np.ones((4, 3), dtype=object),
        np.ones((4, 3)) * (1 + 2j),
        np.ones((4, 3), dtype=complex),  # even with no imaginary part
        np.zeros((4, 3), dtype="datetime64[s]"),
    ],
    ids=[
        "str array",
        "str list",
        "None",
        "object floats",
        "complex",
        "complex real",
        "datetime",
    ],  # fmt: skip
)
def test_load_state_dict_accepts_real_numbers_only(B, value):
    model = B.MLP(3, [4, 2], seed=0)
    before = model.state_dict()
    new = {k: v + 1.0 for k, v in before.items()}
    new["layers.0.weight"] = value
    with pytest.raises(ValueError, match="'layers.0.weight'.*real numbers"):
        model.load_state_dict(new)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_load_state_dict_takes_bool_int_and_float_arrays(B):
    model = B.MLP(3, [4, 2], seed=0)
    state = {
        "layers.0.weight": np.arange(12, dtype=np.int32).reshape(4, 3),
        "layers.0.bias": np.array([True, False, True, False]),
        "layers.1.weight": np.ones((2, 4), dtype=np.float32) / 4,
        "layers.1.bias": [1, 2.5],  # plain Python numbers
    }
    model.load_state_dict(state)
    for k, v in model.state_dict().items():
        assert v.dtype == np.float64
        np.testing.assert_array_equal(v, np.asarray(state[k], dtype=np.float64))


def test_grad_dict_and_zero_grad(B):
    model = B.MLP(3, [2], act="linear", seed=0)
    x = np.array([1.0, 2.0, 3.0])
    out = model(x)
    loss = B.mse_loss(out, np.zeros(2))
    loss.backward()
    g = model.grad_dict()
    pred = B.to_numpy(out)
    np.testing.assert_allclose(g["layers.0.weight"], np.outer(pred, x), rtol=1e-12)  # 2/2 * pred
    np.testing.assert_allclose(g["layers.0.bias"], pred, rtol=1e-12)
    model.zero_grad()
    for v in model.grad_dict().values():
        assert not v.any()


def test_scalar_mlp_accepts_values_as_inputs():
    from minigrad.scalar import MLP, Value

    model = MLP(2, [3, 2], seed=0)
    xs = [Value(0.5), Value(-1.0)]
    out = model(xs)
    out[0].backward()
    assert all(isinstance(v, float) for v in (xs[0].grad, xs[1].grad))
    assert xs[0].grad != 0.0 or xs[1].grad != 0.0
    np.testing.assert_array_equal([o.data for o in out], [o.data for o in model([0.5, -1.0])])
