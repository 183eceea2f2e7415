"""Options, shared helpers and the end-of-run answer of the benchmark suite.

``pytest bench/`` times the digits workloads on every engine and ends with one line per
workload: how many times slower the scalar engine is than the tensor engine, and how close
the tensor engine comes to the hand-written NumPy floor. Options:

- ``--bench-slow`` (alias ``--bench-scalar-epoch``): also run the slow ones, the scalar
  engine's and micrograd's full epoch and micrograd's inference pass (minutes);
- ``--bench-scaling``: run the sweep over hidden width and batch size (bench/test_scaling.py);
- ``--bench-budget SECONDS``: about how long each benchmark times its work (default 1);
- ``--bench-threads N``: threads for NumPy's BLAS and for torch (default 1).

BLAS runs on one thread by default, like torch and like the scalar engine: on a small,
busy machine a multi-threaded BLAS call waits for a second core whenever another process
holds it, and a 30 µs matrix product then takes milliseconds (seen on the 2-core
development machine), which would make the tensor engine's and the floor's timings depend
on the neighbours rather than on the code.
"""

import time

import pytest

import bench.engines
from bench.engines import PEERS, make_runner


def pytest_addoption(parser):
    group = parser.getgroup("minigrad benchmarks")
    group.addoption(
        "--bench-slow",
        "--bench-scalar-epoch",
        action="store_true",
        dest="bench_slow",
        help="also run the slow benchmarks: the scalar engine's and micrograd's full epoch, "
        "micrograd's inference pass",
    )
    group.addoption(
        "--bench-scaling",
        action="store_true",
        dest="bench_scaling",
        help="run the sweep over hidden width and batch size (bench/test_scaling.py)",
    )
    group.addoption(
        "--bench-budget",
        type=float,
        default=1.0,
        dest="bench_budget",
        help="seconds each benchmark spends timing its work, roughly (default 1.0)",
    )
    group.addoption(
        "--bench-threads",
        type=int,
        default=1,
        dest="bench_threads",
        help="threads for NumPy's BLAS (through threadpoolctl) and torch (default 1)",
    )


@pytest.fixture(scope="session", autouse=True)
def _blas_threads(request):
    """Limit NumPy's BLAS to ``--bench-threads`` for the whole run (needs threadpoolctl,
    which scikit-learn, a minigrad dependency, brings)."""
    threads = request.config.getoption("bench_threads")
    bench.engines.THREADS = threads
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        yield
        return
    with threadpool_limits(limits=threads, user_api="blas"):
        yield


ENGINE_IDS = {
    "scalar": ("scalar", "float64"),
    "tensor": ("tensor", "float64"),
    "tensor_f32": ("tensor", "float32"),
    "numpy_floor": ("numpy floor", "float64"),
    "micrograd": ("micrograd", "float64"),
    "torch": ("torch", "float64"),
}


def runner_for(engine_id, nouts):
    """A fresh runner; a peer that is not installed skips the test (``peers`` extra)."""
    engine, dtype = ENGINE_IDS[engine_id]
    if engine in PEERS:
        pytest.importorskip(engine)
    return make_runner(engine, nouts, dtype)


@pytest.fixture
def run_benchmark(benchmark, request):
    """``run_benchmark(target, setup, group, **extra_info)`` -> the target's results.

    Every round calls ``setup()`` (untimed) and then ``target()`` (timed), so each round
    does identical work. Rounds are chosen so the benchmark takes about ``--bench-budget``
    seconds (at least 3, at most 2000; one for work of over 5 s, the slow opt-in ones), from
    one untimed calibration run, which also warms up. With
    ``--benchmark-disable`` the target runs once. Returns the list of what every call of
    ``target`` returned, calibration run included.
    """
    budget = request.config.getoption("bench_budget")

    def run(target, setup, group, **extra_info):
        results = []

        def timed():
            results.append(target())

        benchmark.group = group
        benchmark.extra_info.update(extra_info)
        benchmark.extra_info["threads"] = bench.engines.THREADS
        if benchmark.disabled:
            benchmark.pedantic(timed, setup=setup)
            return results
        setup()
        start = time.perf_counter()
        timed()
        seconds = time.perf_counter() - start
        least = 3 if seconds < 5 else 1  # a run of many seconds: its calibration is warm-up
        rounds = max(least, min(2000, int(budget / max(seconds, 1e-9))))
        warmup = 0 if seconds > 0.05 else min(50, rounds // 10 + 1)
        benchmark.pedantic(timed, setup=setup, rounds=rounds, warmup_rounds=warmup)
        return results

    return run


# -- the answer at the end of the run -------------------------------------------------------


def format_time(seconds):
    """``8.1 ms``, ``26.0 µs``: one decimal in the unit (ns, µs, ms, s) that fits."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.1f} {unit}"
    return f"{seconds / 1e-9:.1f} ns"


def format_ratio(ratio):
    """``312x``, ``31.2x``, ``1.40x``: two decimals below 10, one below 100, then none."""
    if ratio >= 100:
        return f"{ratio:.0f}x"
    return f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.2f}x"


def medians_by_group(benchmarks):
    """``{group: {(engine, dtype): median seconds}}`` in the order the groups first ran."""
    groups = {}
    for result in benchmarks:
        info = result.extra_info
        if not result or "engine" not in info:
            continue
        key = (info["engine"], info.get("dtype", "float64"))
        groups.setdefault(result.group, {})[key] = result.stats.median
    return groups


def summary_lines(groups):
    """The end-of-run answer: scalar/tensor slowdown and tensor/floor ratio per workload."""
    lines = []
    for group, medians in groups.items():
        scalar = medians.get(("scalar", "float64"))
        tensor = medians.get(("tensor", "float64"))
        floor = medians.get(("numpy floor", "float64"))
        if scalar is not None and tensor is not None:
            lines.append(
                f"slowdown scalar/tensor [{group}]: {format_ratio(scalar / tensor)} "
                f"({format_time(scalar)} vs {format_time(tensor)})"
            )
        if tensor is not None and floor is not None:
            lines.append(f"tensor/numpy floor [{group}]: {format_ratio(tensor / floor)}")
    return lines


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, config):
    session = getattr(config, "_benchmarksession", None)
    if session is None or session.disabled:
        return
    lines = summary_lines(medians_by_group(session.benchmarks))
    if lines:
        terminalreporter.section("minigrad: scalar vs tensor (medians of this run)")
        for line in lines:
            terminalreporter.write_line(line)
