"""Options, fixtures and the end-of-run answer of the benchmark suite.

``pytest bench/`` times the digits workloads on every engine and ends with one line per
workload, from the **means** of that run (what a step costs over many steps; see
bench/summary.py): how many times slower the scalar engine is than the tensor engine, in
``fit`` and in your own loop, and how close the tensor engine comes to the hand-written
NumPy floor, under the machine and date they were measured on. Options:

- ``--bench-slow`` (alias ``--bench-scalar-epoch``): also run the slow ones, the scalar
  engine's and micrograd's full epoch and micrograd's inference pass (minutes);
- ``--bench-scaling``: run the sweep over hidden width and batch size (bench/test_scaling.py);
- ``--bench-instructions``: also count instructions per step with valgrind's callgrind
  (bench/test_instructions.py) and print the same ratios by instruction count, which do
  not swing with the machine's load; skipped, with the reason, without valgrind;
- ``--bench-budget SECONDS``: about how long each benchmark times its work (default 1);
- ``--bench-threads N``: threads for NumPy's BLAS and for torch (default 1).

BLAS runs on one thread by default, like torch and like the scalar engine: on a small,
busy machine a multi-threaded BLAS call waits for a second core whenever another process
holds it, and a 30 µs matrix product then takes milliseconds (seen on the 2-core
development machine), which would make the tensor engine's and the floor's timings depend
on the neighbours rather than on the code.
"""

import importlib.metadata
import time

import numpy as np
import pytest

import bench.engines
from bench.engines import PEERS, make_runner
from bench.summary import (
    ENGINE_IDS,
    SUMMARY_STATISTIC,
    headline,
    instruction_lines,
    machine_line,
    stats_by_group,
    summary_lines,
)

_INSTRUCTIONS = pytest.StashKey[dict]()


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
        "--bench-instructions",
        action="store_true",
        dest="bench_instructions",
        help="also count instructions per train step with valgrind's callgrind and print "
        "their ratios (skipped without valgrind)",
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


@pytest.fixture
def runner_for():
    """``runner_for(engine_id, nouts)``: a fresh runner (bench/engines.py); a peer that is
    not installed skips the test (``peers`` extra)."""

    def make(engine_id, nouts):
        engine = ENGINE_IDS[engine_id][0]
        if engine in PEERS:
            pytest.importorskip(engine)
        return make_runner(engine_id, nouts)

    return make


@pytest.fixture
def run_benchmark(benchmark, request):
    """``run_benchmark(target, setup, group, **extra_info)`` -> the target's results.

    Every round calls ``setup()`` (untimed) and then ``target()`` (timed), so each round
    does identical work; rounds follow one another with nothing between them (no forced
    garbage collection), as the steps of a loop do. Rounds are chosen so the benchmark
    takes about ``--bench-budget`` seconds (at least 3, at most 2000; one for work of over
    5 s, the slow opt-in ones), from one untimed calibration run, which also warms up. With
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


@pytest.fixture
def record_instructions(request):
    """``record_instructions(group, engine_id, per_step)``: hand an instruction count to the
    end-of-run answer (and to the ``--benchmark-json`` file)."""

    def record(group, engine_id, per_step):
        counts = request.config.stash.setdefault(_INSTRUCTIONS, {})
        counts.setdefault(group, {})[engine_id] = per_step

    return record


# -- what the run records and prints ----------------------------------------------------------


def pytest_benchmark_update_machine_info(config, machine_info):
    """Beside pytest-benchmark's CPU and Python: NumPy's version, the BLAS threads and the
    versions of the peers and of pytest-benchmark."""
    machine_info["numpy"] = np.__version__
    machine_info["blas_threads"] = config.getoption("bench_threads")
    versions = {}
    for package in (*PEERS, "pytest-benchmark"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    machine_info["versions"] = versions


def pytest_benchmark_update_json(config, benchmarks, output_json):
    counts = config.stash.get(_INSTRUCTIONS, None)
    if counts:
        output_json["minigrad_instructions"] = counts


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, config):
    session = getattr(config, "_benchmarksession", None)
    timed = session is not None and not session.disabled
    lines = summary_lines(stats_by_group(session.benchmarks)) if timed else []
    counts = instruction_lines(config.stash.get(_INSTRUCTIONS, {}))
    if not (lines or counts):
        return
    terminalreporter.section("minigrad: scalar vs tensor")
    first = headline(stats_by_group(session.benchmarks)) if timed else None
    if first:
        terminalreporter.write_line(first)
    if session is not None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        terminalreporter.write_line(machine_line(session.get_machine_info(), stamp))
    if lines:
        terminalreporter.write_line(
            f"time per step, {SUMMARY_STATISTIC}s over all rounds (what a step costs over "
            "many steps; medians: python -m bench.report)"
        )
        for line in lines:
            terminalreporter.write_line(line)
    for line in counts:
        terminalreporter.write_line(line)
