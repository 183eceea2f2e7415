"""fit, evaluate, load_digits and the engine registry."""

import io
import sys

import numpy as np
import pytest

import minigrad


def test_load_digits(digits):
    X_train, X_test, y_train, y_test = digits
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert y_train.shape == (1347,) and y_test.shape == (450,)
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert set(np.unique(y_train)) == set(range(10))
    X2, *_ = minigrad.load_digits(test_size=0.5, random_state=3)
    assert X2.shape == (898, 64)


def test_backend_registry():
    assert "scalar" in minigrad.BACKENDS
    from minigrad import scalar

    assert minigrad.backend("scalar") is scalar
    with pytest.raises(ValueError, match="valid backends: " + ", ".join(minigrad.BACKENDS)):
        minigrad.backend("cuda")


def test_version():
    assert isinstance(minigrad.__version__, str) and minigrad.__version__.count(".") == 2


def test_fit_learns_and_returns_history(B, digits):
    X, Xt, y, yt = digits
    model = B.MLP(64, [16, 10], seed=0)
    before = minigrad.evaluate(model, Xt[:100], yt[:100])
    hist = minigrad.fit(
        model,
        B.SGD(model.parameters(), lr=0.1, momentum=0.9),
        X[:200],
        y[:200],
        epochs=3,
        batch_size=10,
        progress=False,
        validation_data=(Xt[:100], yt[:100]),
    )
    assert set(hist) == {"loss", "accuracy", "seconds", "val_accuracy"}
    assert all(len(v) == 3 for v in hist.values())
    assert hist["loss"][2] < hist["loss"][0]
    assert hist["val_accuracy"][-1] == minigrad.evaluate(model, Xt[:100], yt[:100])
    assert hist["val_accuracy"][-1] > max(before, 0.5)
    assert 0.0 <= hist["accuracy"][-1] <= 1.0


def test_fit_is_reproducible_from_its_seed(B, digits):
    X, _, y, _ = digits

    def run(seed):
        model = B.MLP(64, [8, 10], seed=0)
        minigrad.fit(
            model,
            B.SGD(model.parameters(), lr=0.1),
            X[:40],
            y[:40],
            batch_size=4,
            seed=seed,
            progress=False,
        )
        return model.state_dict()["layers.0.weight"]

    np.testing.assert_array_equal(run(1), run(1))
    assert not np.array_equal(run(1), run(2))


def test_fit_with_mse_on_labels(B, digits):
    X, _, y, _ = digits
    model = B.MLP(64, [10], act="linear", seed=0)
    hist = minigrad.fit(
        model,
        B.SGD(model.parameters(), lr=0.5),
        X[:60],
        y[:60],
        epochs=2,
        batch_size=6,
        loss="mse",
        progress=False,
    )
    assert hist["loss"][1] < hist["loss"][0]


def test_fit_stops_on_non_finite_loss_naming_epoch_and_step(B, digits):
    X, _, y, _ = digits
    X = X[:10].copy()
    X[5, 3] = np.nan  # in the third batch of two
    model = B.MLP(64, [10], seed=0)
    opt = B.SGD(model.parameters(), lr=0.1)
    with pytest.raises(
        FloatingPointError, match=r"non-finite loss \(nan\) at epoch 1, step 3 of 5"
    ):
        minigrad.fit(model, opt, X, y[:10], batch_size=2, shuffle=False, progress=False)


def same_weights(before, model):
    after = model.state_dict()
    assert before.keys() == after.keys()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k])


@pytest.mark.parametrize(
    "loss, y, match",
    [
        ("cross_entropy", [0, 1, 2, 0, 1, 2, 0, 3], r"y\[7\] = 3 .*\[0, 3\)"),
        ("cross_entropy", [0, 1, 2, 0, 1, -1, 0, 1], r"y\[5\] = -1 .*\[0, 3\)"),
        ("cross_entropy", [0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0, 1.0], "integer class labels"),
        ("mse", [0, 1, 2, 0, 1, 2, 0, -1], r"y\[7\] = -1 .*\[0, 3\)"),
        ("mse", [0, 1, 2, 0, 1, 2, 3, 0], r"y\[6\] = 3 .*\[0, 3\)"),
        ("mse", np.r_[np.zeros((6, 3)), [[0, 0, np.nan]], np.zeros((1, 3))], r"y\[6\]"),
        ("mse", np.r_[np.zeros((7, 3)), [[np.inf, 0, 0]]], r"y\[7\]"),
        ("mse", np.zeros((8, 2)), r"shape \(8, 2\).*\(8, 3\)"),
        ("mse", np.array(["0"] * 8), "real numbers"),
        ("mse", np.ones((8, 3)) * 1j, "real numbers"),
    ],
    ids=[
        "ce 3",
        "ce -1",
        "ce float",
        "mse -1",
        "mse 3",
        "mse nan",
        "mse inf",
        "mse shape",
        "mse str",
        "mse complex",
    ],  # fmt: skip
)
def test_fit_checks_every_target_before_the_first_step(B, loss, y, match):
    model = B.MLP(2, [4, 3], seed=0)
    before = model.state_dict()
    X = np.random.default_rng(0).uniform(-1, 1, size=(8, 2))
    with pytest.raises(ValueError, match=match):
        minigrad.fit(model, B.SGD(model.parameters(), lr=0.5), X, np.asarray(y), loss=loss,
                     batch_size=1, shuffle=False, progress=False)  # fmt: skip
    same_weights(before, model)


def test_fit_checks_the_validation_data_before_the_first_step(B):
    model = B.MLP(2, [3], seed=0)
    before = model.state_dict()
    X, y = np.zeros((4, 2)), np.array([0, 1, 2, 0])
    with pytest.raises(ValueError, match="validation_data: X has 3 samples but y has 4"):
        minigrad.fit(model, B.SGD(model.parameters(), lr=0.5), X, y, progress=False,
                     validation_data=(np.zeros((3, 2)), y))  # fmt: skip
    same_weights(before, model)


def test_fit_stops_when_relu_meets_nan_data(B):
    # NaN must reach the loss through relu (relu(nan) is nan, as in PyTorch), in both engines
    model = B.MLP(4, [8, 3], act="relu", seed=0)
    before = model.state_dict()
    X, y = np.full((6, 4), np.nan), np.array([0, 1, 2, 0, 1, 2])
    with pytest.raises(
        FloatingPointError, match=r"non-finite loss \(nan\) at epoch 1, step 1 of 3"
    ):
        minigrad.fit(model, B.SGD(model.parameters(), lr=0.1), X, y, batch_size=2,
                     progress=False)  # fmt: skip
    same_weights(before, model)


def test_fit_stops_when_relu_meets_a_nan_weight(B):
    model = B.MLP(4, [8, 3], act="relu", seed=0)
    state = model.state_dict()
    state["layers.0.weight"][2, 1] = np.nan
    model.load_state_dict(state)
    X = np.random.default_rng(0).uniform(-1, 1, size=(6, 4))
    with pytest.raises(
        FloatingPointError, match=r"non-finite loss \(nan\) at epoch 1, step 1 of 6"
    ):
        minigrad.fit(model, B.SGD(model.parameters(), lr=0.1), X, np.array([0, 1, 2, 0, 1, 2]),
                     progress=False)  # fmt: skip
    same_weights(state, model)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"loss": "hinge"}, "unknown loss"),
        ({"epochs": -1}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_fit_argument_errors(B, kwargs, match):
    model = B.MLP(2, [2], seed=0)
    with pytest.raises(ValueError, match=match):
        minigrad.fit(
            model,
            B.SGD(model.parameters()),
            np.zeros((4, 2)),
            np.zeros(4, int),
            progress=False,
            **kwargs,
        )


def test_fit_rejects_mismatched_data(B):
    model = B.MLP(2, [2], seed=0)
    with pytest.raises(ValueError, match="3 samples but y has 4"):
        minigrad.fit(model, B.SGD(model.parameters()), np.zeros((3, 2)), np.zeros(4, int))


def test_fit_shows_a_progress_bar_with_the_loss_on_a_terminal(B, digits, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    X, _, y, _ = digits
    model = B.MLP(64, [10], seed=0)
    minigrad.fit(model, B.SGD(model.parameters()), X[:20], y[:20], batch_size=5)
    err = sys.stderr.getvalue()
    assert "epoch 1/1" in err and "loss=" in err and "4/4" in err


def test_evaluate_builds_no_graph_and_counts_correctly(B):
    model = B.MLP(2, [2], act="linear", seed=0)
    model.load_state_dict({"layers.0.weight": np.eye(2), "layers.0.bias": np.zeros(2)})
    X = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [0.0, 3.0]])
    assert minigrad.evaluate(model, X, [0, 1, 1, 1]) == 0.75
    assert not any(model.grad_dict()["layers.0.weight"].ravel())
