"""Experiments 6-9 of ``minigrad why`` (nonlinearity, learning_rate, vectorisation,
gradcheck): each runs at seed 0 and its verdict holds, and each stops holding when its
counterfactual is made to work (the linear network given ReLU, the learning rates kept in
the good range, the scalar engine's graph replaced by the tensor engine's, the wrong
derivative made right), so a change that empties a lesson breaks the suite."""

from html import escape

import numpy as np
import pytest

import minigrad
from minigrad.experiments import gradcheck, learning_rate, nonlinearity, vectorisation

NAMES = ("nonlinearity", "learning_rate", "vectorisation", "gradcheck")


@pytest.fixture(scope="module")
def results():
    """Each experiment run once at seed 0, through ``minigrad.why`` as a user runs it."""
    return {name: minigrad.why(name, seed=0) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_experiment_holds_and_prints_its_verdict(results, name):
    r = results[name]
    assert r.holds, r.verdict
    assert r.name == name and r.seed == 0 and r.seconds > 0
    module = minigrad.experiments.experiment(name)
    assert r.claim == module.CLAIM and module.NAME == name and module.SECONDS > 0
    assert r.rows and all(len(row) == len(r.columns) for row in r.rows)
    assert r.verdict in str(r) and "verdict (holds)" in str(r)
    assert escape(r.verdict) in r._repr_html_()


# -- nonlinearity ----------------------------------------------------------------------------


def test_nonlinearity_measures_the_linear_ceiling_and_the_composed_map(results):
    r = results["nonlinearity"]
    accuracy, map_error = r.extra["accuracy"], r.extra["map_error"]
    relu, linear, single = "idea", "counterfactual", "one layer"
    assert accuracy[relu][max(nonlinearity.CHECKPOINTS)] >= nonlinearity.PASS
    assert max(accuracy[linear].values()) < nonlinearity.PASS
    assert max(accuracy[single].values()) < nonlinearity.PASS
    assert map_error[linear] < 1e-9 < 0.1 < map_error[relu]
    assert "W = [[" in r.verdict


def test_composed_linear_map_is_the_product_of_the_layers():
    model = minigrad.tensor.MLP(3, [4, 5, 2], act="linear", seed=1)
    W, b = nonlinearity.composed_linear_map(model)
    s = model.state_dict()
    W0, W1, W2 = (s[f"layers.{i}.weight"] for i in range(3))
    b0, b1, b2 = (s[f"layers.{i}.bias"] for i in range(3))
    np.testing.assert_allclose(W, W2 @ W1 @ W0)
    np.testing.assert_allclose(b, W2 @ (W1 @ b0 + b1) + b2)
    x = np.random.default_rng(0).normal(size=(7, 3))
    np.testing.assert_allclose(x @ W.T + b, minigrad.tensor.to_numpy(model(x)), atol=1e-12)


def test_nonlinearity_shows_nothing_if_the_linear_network_gets_relu(monkeypatch):
    monkeypatch.setattr(nonlinearity, "COUNTERFACTUAL", "relu")
    r = nonlinearity.run(seed=0)
    assert not r.holds, r.verdict


# -- learning_rate -----------------------------------------------------------------------------


def test_learning_rate_finds_three_bands_in_order(results):
    r = results["learning_rate"]
    runs = r.extra["runs"]
    assert runs[0]["outcome"] == "stalled" and runs[0]["accuracy"] < 0.2
    assert runs[-1]["outcome"] == "diverged" and runs[-1]["loss"] == float("inf")
    assert runs[-1]["stopped"].startswith("epoch ")  # where fit's FloatingPointError stopped it
    low, high = r.extra["trained"]
    assert r.extra["stalled"][1] < low <= high < r.extra["diverged"][0]
    assert f"for lr from {low:.3g} to {high:.3g}" in r.verdict


@pytest.mark.parametrize(
    "rates",
    [(1e-4, 0.316), (0.316, 31.6)],  # no learning rate too large; none too small
    ids=["nothing diverges", "nothing stalls"],
)
def test_learning_rate_shows_nothing_without_both_extremes(monkeypatch, rates):
    monkeypatch.setattr(learning_rate, "LEARNING_RATES", rates)
    r = learning_rate.run(seed=0)
    assert not r.holds, r.verdict


# -- vectorisation -----------------------------------------------------------------------------


def test_vectorisation_counts_nodes_per_sample_and_per_batch(results):
    r = results["vectorisation"]
    nodes, parameters = r.extra["nodes"], r.extra["parameters"]
    assert parameters == 64 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10
    assert {nodes["tensor", b] for b in vectorisation.BATCH_SIZES} == {13}
    # the scalar engine: one leaf per parameter and the same nodes again for every sample
    # (plus the two nodes of the batch mean when there is more than one sample)
    per_sample = nodes["scalar", 1] - parameters
    for b in vectorisation.BATCH_SIZES:
        assert nodes["scalar", b] == parameters + b * per_sample + (2 if b > 1 else 0)


def test_vectorisation_shares_its_workload_with_the_benchmarks():
    engines = pytest.importorskip("bench.engines")
    assert engines.count_nodes is vectorisation.count_nodes
    assert (engines.LR, engines.NIN, engines.DIGITS_HIDDEN) == (
        vectorisation.LR,
        vectorisation.NIN,
        vectorisation.DIGITS_HIDDEN,
    )


def test_vectorisation_shows_nothing_if_both_engines_build_a_graph_per_batch(monkeypatch):
    measure = vectorisation.measure
    # the per-number engine replaced by the per-array one: no graph grows with the batch
    monkeypatch.setattr(vectorisation, "measure", lambda e, xb, yb, s: measure("tensor", xb, yb, s))
    monkeypatch.setattr(vectorisation, "BATCH_SIZES", (1, 8))
    r = vectorisation.run(seed=0)
    assert not r.holds, r.verdict


# -- gradcheck ---------------------------------------------------------------------------------


def test_gradcheck_catches_the_wrong_derivative_and_measures_it(results):
    r = results["gradcheck"]
    answers, errors = r.extra["answers"], r.extra["errors"]
    assert answers["engine's tanh, x.tanh()"] is True
    assert answers["tanh by hand, factor 1"] is True
    assert answers["wrong tanh"].startswith("gradient of input")
    assert errors["wrong tanh"] == pytest.approx(0.1, abs=1e-6)
    assert errors["engine's tanh, x.tanh()"] < 1e-7
    first, last = r.extra["losses"]["wrong tanh"]
    assert last < first / 10  # training alone does not reveal the mistake
    assert r.extra["seen"] == [1e-2, 1e-4] and r.extra["missed"] == [1e-6, 1e-8]


def test_tanh_by_hand_with_factor_one_is_the_engines_tanh():
    x = minigrad.scalar.Value(0.3)
    mine, theirs = gradcheck.tanh_by_hand(x, 1.0), x.tanh()
    assert (mine.data, mine._local) == (theirs.data, theirs._local)
    assert mine._prev == (x,)


def test_gradcheck_shows_nothing_if_the_derivative_is_right(monkeypatch):
    monkeypatch.setattr(gradcheck, "FACTOR", 1.0)
    r = gradcheck.run(seed=0)
    assert not r.holds, r.verdict
    assert r.extra["answers"]["wrong tanh"] is True


def test_experiments_are_deterministic_for_a_seed():
    for module in (gradcheck, learning_rate):
        a, b = module.run(seed=1), module.run(seed=1)
        assert a.rows == b.rows and a.verdict == b.verdict
