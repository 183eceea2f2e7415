"""``minigrad.why``: each experiment's verdict holds, and stops holding when its
counterfactual stops failing (issue 19).

For every experiment: run it with seed 0 and assert what it observed (``holds`` and the
numbers behind it); then replace the experiment's counterfactual with a correct version
(``monkeypatch`` on the experiment's own module) and assert that ``holds`` becomes False, so
an experiment that no longer shows anything fails the suite instead of printing a verdict
nobody checks. Experiments 1-5: toposort, zero_grad, stable_cross_entropy, init_scale,
iterative_backward.
"""

import importlib.util
import math
import sys
from html import escape

import pytest

import minigrad
from minigrad.common.graph import topological_order
from minigrad.experiments import (
    EXPERIMENTS,
    experiment,
    init_scale,
    iterative_backward,
    stable_cross_entropy,
    toposort,
    zero_grad,
)

MINE = ["toposort", "zero_grad", "stable_cross_entropy", "init_scale", "iterative_backward"]

_RESULTS = {}


def result(name):
    """``minigrad.why(name, seed=0)``, run once per test session."""
    if name not in _RESULTS:
        _RESULTS[name] = minigrad.why(name, seed=0)
    return _RESULTS[name]


# -- what every experiment module offers ----------------------------------------------------


@pytest.mark.parametrize("name", MINE)
def test_module_declares_name_claim_and_seconds(name):
    module = experiment(name)
    assert module.NAME == name
    assert isinstance(module.CLAIM, str) and module.CLAIM.endswith(".")
    assert module.CLAIM.count(". ") == 0  # one sentence
    assert isinstance(module.SECONDS, int) and 0 < module.SECONDS < 10
    assert module.__doc__ and "counterfactual" in module.__doc__


@pytest.mark.parametrize("name", MINE)
def test_result_prints_its_verdict(name):
    r = result(name)
    assert r.name == name and r.seed == 0 and r.seconds > 0
    assert r.claim == experiment(name).CLAIM
    assert r.verdict and r.verdict in str(r)
    assert escape(r.verdict) in r._repr_html_()
    assert "holds" in str(r).splitlines()[-2]
    assert all(len(row) == len(r.columns) for row in r.rows)
    assert len(r.measurements) == len(r.rows)


def test_why_lists_these_experiments_with_their_seconds():
    missing = [n for n, path in EXPERIMENTS.items() if importlib.util.find_spec(path) is None]
    if missing:
        pytest.skip(f"not all experiments exist yet (missing: {', '.join(missing)})")
    listed = {name: (claim, seconds) for name, claim, seconds in minigrad.why()}
    for name in MINE:
        assert listed[name] == (experiment(name).CLAIM, experiment(name).SECONDS)


# -- 1. toposort -----------------------------------------------------------------------------


def test_toposort_recursion_gives_wrong_gradients_where_nodes_are_reused():
    r = result("toposort")
    assert r.holds
    small = r.extra["c = b + b [scalar]"]
    assert small["wrong"] == {"a": (4.0, 8.0)}  # a.grad: backward() 4, the recursion 8
    assert (small["nodes"], small["steps"], small["visits"]) == (3, 3, 7)
    graph = r.extra["random graph [scalar]"]
    assert graph["wrong"] and graph["visits"] > graph["nodes"] == graph["steps"]
    tree = r.extra["random tree [scalar]"]
    assert tree["wrong"] == {} and tree["visits"] == tree["nodes"]
    for key in ("c = b + b", "random graph", "random tree"):  # both engines saw the same
        assert toposort.same_findings(r.extra[f"{key} [tensor]"], r.extra[f"{key} [scalar]"])
    assert "a.grad = 8 instead of 4" in r.verdict


def test_toposort_is_deterministic_for_a_seed():
    assert toposort.run(seed=3).rows == toposort.run(seed=3).rows


def test_toposort_no_longer_holds_with_a_correct_backward(monkeypatch):
    def backward_in_topological_order(root, visits):
        for node in reversed(topological_order(root)):
            visits[node] = visits.get(node, 0) + 1
            node._backward()

    monkeypatch.setattr(toposort, "recursive_backward", backward_in_topological_order)
    r = toposort.run(seed=0)
    assert not r.holds
    assert all(found["wrong"] == {} for found in r.extra.values())


# -- 2. zero_grad ----------------------------------------------------------------------------


def test_zero_grad_forgotten_gradients_grow_and_training_suffers():
    r = result("zero_grad")
    assert r.holds
    forgotten, zeroed = r.extra["grad_norm_forgotten"], r.extra["grad_norm_zero_grad"]
    assert forgotten[0] == pytest.approx(zeroed[0])  # the first step is the same
    assert forgotten[-1] > 10 * forgotten[0]
    assert forgotten[-1] > 5 * max(zeroed)
    assert r.rows[-1][2] > r.rows[-1][1]  # last window's mean loss: forgotten above zeroed
    assert r.extra["test_accuracy_forgotten"] < r.extra["test_accuracy_zero_grad"]


def test_zero_grad_is_deterministic_for_a_seed():
    assert zero_grad.run(seed=1).rows == zero_grad.run(seed=1).rows


def test_zero_grad_no_longer_holds_when_the_loop_zeroes(monkeypatch):
    monkeypatch.setattr(zero_grad, "step_forgetting_zero_grad", zero_grad.step)
    r = zero_grad.run(seed=0)
    assert not r.holds
    assert r.extra["loss_forgotten"] == r.extra["loss_zero_grad"]


# -- 3. stable_cross_entropy -----------------------------------------------------------------


def test_stable_cross_entropy_naive_breaks_and_minigrad_matches_the_reference():
    r = result("stable_cross_entropy")
    assert r.holds
    rows = [dict(zip(r.columns, row)) for row in r.rows]
    assert {row["engine"] for row in rows} == {"scalar", "tensor"}
    for row in rows:
        assert math.isfinite(row["minigrad loss"])
        assert row["loss error"] <= 1e-12 and row["max gradient error"] <= 1e-12
        if row["logits"] == "N(0, 1)":
            assert row["naive gradient"] == "finite"
        else:
            naive = row["naive loss"]
            assert naive == "ValueError" or math.isnan(naive)
    expected = "PyTorch" if importlib.util.find_spec("torch") else "NumPy log-sum-exp"
    assert r.extra["reference"].startswith(expected)


def test_stable_cross_entropy_without_torch_compares_with_numpy(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    r = stable_cross_entropy.run(seed=0)
    assert r.holds
    assert r.extra["reference"] == "NumPy log-sum-exp (torch is not installed)"
    assert "torch is not installed" in r.verdict


def test_stable_cross_entropy_is_deterministic_for_a_seed():
    first, second = stable_cross_entropy.run(seed=2), stable_cross_entropy.run(seed=2)
    assert str(first.rows) == str(second.rows)  # (nan != nan: compared as text)


@pytest.mark.parametrize("engine", ["tensor", "scalar"])
def test_stable_cross_entropy_no_longer_holds_with_a_stable_naive_form(monkeypatch, engine):
    stable = minigrad.backend(engine).cross_entropy_loss
    monkeypatch.setattr(stable_cross_entropy, f"naive_cross_entropy_{engine}", stable)
    assert not stable_cross_entropy.run(seed=0).holds


# -- 4. init_scale ---------------------------------------------------------------------------


def test_init_scale_micrograd_init_saturates_tanh_and_explodes_relu():
    r = result("init_scale")
    assert r.holds
    tanh_micro, tanh_mini = r.extra["tanh micrograd"], r.extra["tanh minigrad"]
    relu_micro, relu_mini = r.extra["relu micrograd"], r.extra["relu minigrad"]
    assert tanh_micro["layers"][-1]["saturated share"] > 0.5
    assert all(layer["saturated share"] == 0 for layer in tanh_mini["layers"])
    stds = [layer["activation std"] for layer in relu_micro["layers"]]
    assert all(b > 3 * a for a, b in zip(stds, stds[1:]))  # grows layer after layer
    assert relu_micro["first non-finite step"] is not None
    assert relu_mini["first non-finite step"] is None
    assert tanh_mini["last loss"] < tanh_micro["last loss"]
    assert math.log(10) - 0.1 < tanh_mini["first loss"] < math.log(10) + 0.1


def test_init_scale_no_longer_holds_when_both_inits_are_minigrads(monkeypatch):
    monkeypatch.setattr(init_scale, "micrograd_init", lambda model, rng: None)
    r = init_scale.run(seed=0)
    assert not r.holds
    assert all(row[2] == row[3] for row in r.rows)  # the two columns are one experiment


# -- 5. iterative_backward -------------------------------------------------------------------


def test_iterative_backward_recursion_stops_near_the_limit_and_backward_does_not():
    limit = sys.getrecursionlimit()
    r = result("iterative_backward")
    assert r.holds
    deepest = r.extra["deepest_recursive_chain"]
    assert limit - 200 < deepest < limit
    assert sys.getrecursionlimit() == limit  # left as it was
    depths = [row[0] for row in r.rows]
    assert depths[-1] == iterative_backward.DEPTH == 1_000_000
    assert deepest in depths and deepest + 1 in depths
    for depth, recursive, grad, *_ in r.rows:
        assert grad == 1.0
        assert recursive == (1.0 if depth <= deepest else "RecursionError")


def test_iterative_backward_no_longer_holds_with_an_iterative_walk(monkeypatch):
    # a chain well past the recursion limit in force (another library, e.g. hypothesis, may
    # have raised it in this process)
    depth = max(10_000, 5 * sys.getrecursionlimit())
    unpatched = iterative_backward.run(seed=0, depth=depth)
    assert unpatched.holds, str(unpatched)  # the same run, unpatched
    monkeypatch.setattr(iterative_backward, "micrograd_backward", lambda root: root.backward())
    r = iterative_backward.run(seed=0, depth=depth)
    assert not r.holds
    assert r.extra["deepest_recursive_chain"] is None
    assert all(row[1] == 1.0 for row in r.rows)
