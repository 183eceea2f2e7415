"""How the scalar engine's slowdown grows with the size of the work (``--bench-scaling``).

One training step of the MLP 64-w-w/2-10 (``w = 32`` is the digits network) for hidden
width ``w`` from 8 to 256 and batch size from 1 to 256, on the scalar engine, the tensor
engine and the NumPy floor. The scalar engine only runs where ``parameters x batch`` stays
within ``SCALAR_BUDGET`` (its step costs about a microsecond per graph node, and it builds
a few nodes per weight and sample), so the sweep finishes in a couple of minutes.

    pytest bench/test_scaling.py --bench-scaling --benchmark-json=scaling.json
    python -m bench.report scaling.json --out docs/img
"""

import pytest

import minigrad
from bench.engines import FloorRunner, engine_info, widths_for

WIDTHS = [8, 16, 32, 64, 128, 256]
BATCHES = [1, 4, 16, 64, 256]
SCALAR_BUDGET = 400_000  # parameters x batch size


def parameter_count(width):
    sizes = [64, *widths_for(width)]
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


@pytest.fixture(autouse=True)
def _only_when_asked(request):
    if not request.config.getoption("bench_scaling"):
        pytest.skip("the scaling sweep runs with --bench-scaling")


@pytest.fixture(scope="module")
def digits():
    return minigrad.load_digits()


@pytest.mark.parametrize("engine_id", ["scalar", "tensor", "numpy_floor"])
@pytest.mark.parametrize("batch_size", BATCHES)
@pytest.mark.parametrize("width", WIDTHS)
def test_scaling_step(run_benchmark, runner_for, digits, width, batch_size, engine_id):
    if engine_id == "scalar" and parameter_count(width) * batch_size > SCALAR_BUDGET:
        pytest.skip(f"scalar engine beyond the budget of {SCALAR_BUDGET} parameters x batch")
    X, _, y, _ = digits
    xb, yb = X[:batch_size], y[:batch_size]
    nouts = widths_for(width)
    runner = runner_for(engine_id, nouts)
    expected = FloorRunner(nouts).step(xb, yb)
    losses = run_benchmark(
        lambda: runner.step(xb, yb),
        runner.reset,
        f"scaling: width {width}, batch {batch_size}",
        **engine_info(runner),
        batch_size=batch_size,
        width=width,
        hidden=nouts[:-1],
        graph_nodes=runner.graph_nodes(xb, yb),
    )
    assert len(set(losses)) == 1, "rounds did not do identical work"
    assert losses[0] == pytest.approx(expected, rel=1e-12, abs=0)
