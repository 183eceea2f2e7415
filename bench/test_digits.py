"""How much slower is the scalar engine than the tensor engine on digits, and on what work?

Workloads (one pytest-benchmark group each), all on the digits MLP 64-32-16-10 (ReLU,
cross-entropy, SGD lr 0.05) starting from the seed-0 weights of ``minigrad.common.init``:

- ``digits train step, batch 1``: the original README's per-sample loop, one step;
- ``digits train step, batch 32``: one minibatch step;
- ``inference on the 450-sample test set``: class predictions without a graph;
- ``one epoch``: the 1347 training samples in order, batch 1 (the scalar engine's and
  micrograd's epoch only with ``--bench-slow``).

Each group holds the scalar engine (its training step both as ``fit`` runs it and as your
own loop does, bench/engines.py), the tensor engine (float64, and float32 for the steps),
the hand-written NumPy floor and, with the ``peers`` extra, micrograd 0.1.0 and PyTorch.
Each benchmark also checks its answer against the floor: a benchmark of a wrong answer is
worthless.
"""

import numpy as np
import pytest

import minigrad
from bench.engines import DIGITS_HIDDEN, FloorRunner, engine_info
from bench.summary import ENGINE_IDS

NOUTS = [*DIGITS_HIDDEN, 10]
ENGINES = list(ENGINE_IDS)
# the own-loop variant differs from fit's step only in training; inference has no loop
LOOP_ENGINES = [e for e in ENGINES if e != "tensor_f32"]
PREDICT_ENGINES = [e for e in LOOP_ENGINES if e != "scalar_own_loop"]
SLOW = {"one epoch": ("scalar", "scalar_own_loop", "micrograd"), "inference": ("micrograd",)}


def rtol_for(runner):
    return 1e-5 if runner.dtype == "float32" else 1e-12


@pytest.fixture(scope="module")
def digits():
    return minigrad.load_digits()


def _skip_unless_slow(request, workload, engine_id):
    if engine_id in SLOW.get(workload, ()) and not request.config.getoption("bench_slow"):
        pytest.skip(f"{engine_id}'s {workload} takes minutes: run with --bench-slow")


def _info(runner, batch_size, nodes):
    return dict(
        **engine_info(runner),
        batch_size=batch_size,
        graph_nodes=nodes,
        hidden=list(DIGITS_HIDDEN),
    )


@pytest.mark.parametrize("engine_id", ENGINES)
@pytest.mark.parametrize("batch_size", [1, 32])
def test_train_step(run_benchmark, runner_for, digits, engine_id, batch_size):
    X, _, y, _ = digits
    xb, yb = X[:batch_size], y[:batch_size]
    runner = runner_for(engine_id, NOUTS)
    expected = FloorRunner(NOUTS).step(xb, yb)
    nodes = runner.graph_nodes(xb, yb)
    losses = run_benchmark(
        lambda: runner.step(xb, yb),
        runner.reset,
        f"digits train step, batch {batch_size}",
        **_info(runner, batch_size, nodes),
    )
    assert len(set(losses)) == 1, "rounds did not do identical work"
    assert losses[0] == pytest.approx(expected, rel=rtol_for(runner), abs=0)


@pytest.mark.parametrize("engine_id", PREDICT_ENGINES)
def test_inference(run_benchmark, runner_for, digits, request, engine_id):
    _skip_unless_slow(request, "inference", engine_id)
    _, X_test, _, _ = digits
    runner = runner_for(engine_id, NOUTS)
    expected = FloorRunner(NOUTS).predict(X_test)
    predictions = run_benchmark(
        lambda: runner.predict(X_test),
        runner.reset,
        f"inference on the {len(X_test)}-sample test set",
        **_info(runner, len(X_test), None),
    )
    for p in predictions:
        np.testing.assert_array_equal(p, expected)


def _epoch(runner, batches):
    return [runner.step(xb, yb) for xb, yb in batches]


@pytest.mark.parametrize("engine_id", LOOP_ENGINES)
def test_epoch(run_benchmark, runner_for, digits, request, engine_id):
    _skip_unless_slow(request, "one epoch", engine_id)
    X, _, y, _ = digits
    batches = [(X[i : i + 1], y[i : i + 1]) for i in range(len(X))]
    runner = runner_for(engine_id, NOUTS)
    floor = FloorRunner(NOUTS)
    expected = _epoch(floor, batches)
    runs = run_benchmark(
        lambda: _epoch(runner, batches),
        runner.reset,
        "one epoch",
        **_info(runner, 1, runner.graph_nodes(*batches[0])),
        steps=len(batches),
    )
    for losses in runs:
        # 1347 SGD steps apart, rounding differences of 1e-16 may grow a little
        np.testing.assert_allclose(losses, expected, rtol=1e-9, atol=0)
