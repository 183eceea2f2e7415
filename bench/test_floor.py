"""The NumPy floor computes what the engines compute: same loss, same gradients.

Every comparison in the suite divides by the floor's time, so it must do the same work:
the digits MLP's loss and the gradient of every weight and bias, on the same batch from
the same seed-0 weights, equal to the engines' to rounding.
"""

import numpy as np
import pytest

import minigrad
from bench.engines import DIGITS_HIDDEN, FloorRunner, MinigradRunner
from bench.numpy_floor import NumpyMLP, layer_arrays

NOUTS = [*DIGITS_HIDDEN, 10]


@pytest.fixture(scope="module")
def digits():
    return minigrad.load_digits()


def test_floor_starts_from_the_engines_seed0_weights():
    floor = NumpyMLP.from_seed(64, NOUTS, seed=0).state_dict()
    for engine in minigrad.BACKENDS:
        model = minigrad.backend(engine).MLP(64, NOUTS, act="relu", seed=0)
        state = model.state_dict()
        assert state.keys() == floor.keys()
        for key in state:
            np.testing.assert_array_equal(state[key], floor[key], err_msg=key)


@pytest.mark.parametrize("batch_size", [1, 32])
@pytest.mark.parametrize("engine", minigrad.BACKENDS)
def test_floor_loss_and_gradients_equal_the_engines(digits, engine, batch_size):
    X, _, y, _ = digits
    xb, yb = X[:batch_size], y[:batch_size]
    floor = FloorRunner(NOUTS).model
    loss, _, _ = floor.loss_and_grads(xb, yb)
    runner = MinigradRunner(engine, NOUTS)
    B = runner.B
    assert B.cross_entropy_loss(runner.model(xb), yb).item() == pytest.approx(loss, rel=1e-12)
    expected = floor.grad_dict(xb, yb)
    got = runner.grad_dict(xb, yb)
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-10, atol=1e-14, err_msg=key)


def test_floor_step_updates_like_the_engines(digits):
    X, _, y, _ = digits
    xb, yb = X[:8], y[:8]
    floor = FloorRunner(NOUTS)
    floor.step(xb, yb)
    for engine in minigrad.BACKENDS:
        runner = MinigradRunner(engine, NOUTS)
        runner.step(xb, yb)
        after = runner.model.state_dict()
        for key, value in floor.model.state_dict().items():
            np.testing.assert_allclose(after[key], value, rtol=1e-12, atol=1e-15, err_msg=key)


def test_floor_generalises_to_other_widths(digits):
    """The scaling sweep uses other widths; the floor must match there too."""
    X, _, y, _ = digits
    nouts = [8, 4, 10]
    xb, yb = X[:5], y[:5]
    floor = FloorRunner(nouts).model
    runner = MinigradRunner("tensor", nouts)
    expected = floor.grad_dict(xb, yb)
    got = runner.grad_dict(xb, yb)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-10, atol=1e-14, err_msg=key)


def test_layer_arrays_reads_a_state_dict_in_its_own_order_and_rejects_others():
    state = minigrad.backend("scalar").MLP(3, [2, 1], seed=0).state_dict()
    pairs = layer_arrays(state)
    assert [(w.shape, b.shape) for w, b in pairs] == [((2, 3), (2,)), ((1, 2), (1,))]
    np.testing.assert_array_equal(pairs[1][0], state["layers.1.weight"])
    swapped = dict(reversed(list(state.items())))  # bias before weight
    with pytest.raises(ValueError, match="not an MLP state_dict"):
        layer_arrays(swapped)
