"""``minigrad why compile``: a traced step replayed as straight-line NumPy gives the eager
engine's weights bit for bit, and refuses what its trace did not record. Each test would
fail if the lesson stopped showing what it claims (issue 19, experiment 10)."""

import numpy as np
import pytest

import minigrad
from minigrad.experiments import compile as experiment


@pytest.fixture(scope="module")
def digits():
    X, _, y, _ = minigrad.load_digits()
    return X, y


def test_the_experiment_holds_and_says_so():
    result = minigrad.why("compile", seed=0)
    assert result.holds, str(result)
    assert result.extra["differing"] == 0
    assert "bit for bit" in result.verdict and "2778 of 2778" in result.verdict
    assert [row[0] for row in result.rows] == ["MLP 64-32-16-10", "MLP 64-1024-1024-10"]
    assert all(v > 0 for row in result.rows for v in row[1:])
    assert "def step(x, targets, params, lr, constants):" in result.extra["source"]
    assert "Tensor" not in result.extra["source"]  # no graph objects in the replay
    assert result.verdict in str(result) and "compile" in result._repr_html_()


def test_the_replay_makes_no_graph_node(digits, monkeypatch):
    X, y = digits
    T = minigrad.backend("tensor")
    model = T.MLP(64, [32, 16, 10], seed=0)
    replay = experiment.Replay(model, experiment._mlp_loss(model), X[:32], y[:32])
    made = []
    monkeypatch.setattr(T.Tensor, "_make", staticmethod(lambda *a: made.append(a)))
    monkeypatch.setattr(T.Tensor, "__init__", lambda *a, **k: made.append(a))
    loss = replay(X[32:64], y[32:64])
    assert made == [] and np.isfinite(loss)


def test_a_lowering_that_drifts_from_the_engine_breaks_bit_equality(digits, monkeypatch):
    """A bias gradient summed by a matrix product (BLAS's order) instead of the engine's
    np.add.reduce is the same maths, rounded differently: the check sees it."""
    X, y = digits
    plain = experiment._backward

    def drifted(op, out, args, g):
        rules = plain(op, out, args, g)
        if op == "linear":
            rules[2] = (2, [f"{{d}} = np.ones(len({g})) @ {g}"])
        return rules

    monkeypatch.setattr(experiment, "_backward", drifted)
    differing, total, source = experiment._bit_identical(X, y, np.random.default_rng(0))
    assert "np.ones(len(" in source
    assert 0 < differing <= total


def test_without_its_checks_the_replay_runs_on_what_it_never_traced(digits, monkeypatch):
    X, y = digits
    seen = experiment._refusals(X, y)
    assert seen["another input shape"] == "refused"
    assert seen["replaced weights"] == "refused"
    assert seen["a branch on the data"].startswith("NOT detected")
    assert experiment._holds(0, seen)

    def unchecked(self, x, targets):
        return float(self.step(x, targets, self.arrays, experiment.LR, self.constants))

    monkeypatch.setattr(experiment.Replay, "__call__", unchecked)
    seen = experiment._refusals(X, y)
    assert seen["another input shape"] == seen["replaced weights"] == "NOT detected"
    assert not experiment._holds(0, seen)
    assert not experiment._holds(1, {k: "refused" for k in seen})  # one bit apart: no lesson
