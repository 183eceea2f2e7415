"""The benchmark suite cannot rot: it runs once (timing off) in CI, and its report works.

``pytest bench/ --benchmark-disable`` runs every default benchmark once, with the same
correctness checks as a timed run (each engine's loss and predictions equal the NumPy
floor's). The report command is checked on a tiny synthetic ``--benchmark-json`` file (both
statistics, both scalar figures, instruction counts, the machine line, rewriting the
published blocks) and, marked slow, on a short real timed run. ``--bench-instructions``
skips cleanly without valgrind and, where valgrind is installed, counts one real step.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def needs_pytest_benchmark():
    """Running bench/ needs its plugin; without it, a test that runs bench/ skips, saying so
    (the report's helpers, pure Python, are tested either way)."""
    pytest.importorskip("pytest_benchmark", reason="bench/ needs: pip install pytest-benchmark")


def test_bench_suite_runs_with_benchmarks_disabled():
    needs_pytest_benchmark()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "bench",
            "--benchmark-disable",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "passed" in proc.stdout
    assert "slowdown scalar/tensor" not in proc.stdout  # no timings, no answer line


def _bench(group, engine_id, median, mean=None, **info):
    from bench.summary import ENGINE_IDS

    engine, dtype, loop = ENGINE_IDS[engine_id]
    return {
        "group": group,
        "name": f"test[{engine_id}]",
        "extra_info": {"engine_id": engine_id, "engine": engine, "dtype": dtype, "loop": loop}
        | info,
        "stats": {"median": median, "mean": median if mean is None else mean, "rounds": 9},
    }


def _synthetic_results():
    step = "digits train step, batch 1"
    benchmarks = [
        _bench(step, "scalar", 3.3e-3, 3.4e-3, graph_nodes=5627, batch_size=1),
        _bench(step, "scalar_own_loop", 4.1e-3, 5.3e-3, graph_nodes=5627, batch_size=1),
        _bench(step, "tensor", 62e-6, 64e-6, graph_nodes=13, batch_size=1),
        _bench(step, "numpy_floor", 42e-6, 40e-6, batch_size=1),
        _bench(step, "micrograd", 12.3e-3, 110e-3, graph_nodes=5700, batch_size=1),
    ]
    for width in (8, 32):
        for batch in (1, 16):
            group = f"scaling: width {width}, batch {batch}"
            scale = width * batch
            for engine_id, seconds, nodes in (
                ("scalar", 1e-5 * scale, 100 * scale),
                ("tensor", 5e-5 + 1e-8 * scale, 13),
                ("numpy_floor", 3e-5 + 1e-8 * scale, None),
            ):
                benchmarks.append(
                    _bench(
                        group,
                        engine_id,
                        seconds,
                        width=width,
                        batch_size=batch,
                        graph_nodes=nodes,
                        parameters=20 * width,
                    )
                )
    return {
        "machine_info": {
            "python_version": "3.11.7",
            "cpu": {"brand_raw": "Test CPU", "count": 2},
            "numpy": "2.4.6",
            "blas_threads": 1,
        },
        "datetime": "2026-01-01T10:20:30.5+00:00",
        "benchmarks": benchmarks,
        "minigrad_instructions": {
            step: {
                "scalar": 30.1e6,
                "scalar_own_loop": 33.3e6,
                "tensor": 567e3,
                "numpy_floor": 429e3,
            }
        },
    }


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def test_report_writes_both_statistics_both_scalar_figures_and_plots(tmp_path):
    from bench.report import PLOTS, main

    results = tmp_path / "results.json"
    results.write_text(json.dumps(_synthetic_results()))
    table = tmp_path / "table.md"
    plots = _has_matplotlib()
    args = [str(results), "--out", str(tmp_path / "img"), "--markdown", str(table)]
    assert main(args if plots else [*args, "--no-plots"]) == 0
    text = table.read_text()
    assert "Measured on Test CPU, 2 CPUs, Python 3.11.7, NumPy 2.4.6, BLAS on 1 thread; " in text
    assert "2026-01-01 10:20 UTC" in text
    header = next(line for line in text.splitlines() if line.startswith("| workload"))
    assert "| scalar in `fit` | scalar in your own loop | tensor | numpy floor |" in header
    # a median row and a mean row per workload, each with its own ratios
    assert (
        "| digits train step, batch 1 | median | 3.3 ms | 4.1 ms | 62.0 µs | 42.0 µs | 12.3 ms "
        "| 53.2x | 66.1x | 1.48x | 5627 / 13 |" in text
    )
    assert (
        "|  | mean | 3.4 ms | 5.3 ms | 64.0 µs | 40.0 µs | 110.0 ms | 53.1x | 82.8x | 1.60x |"
        in text
    )
    assert "the scalar engine (one Python object per number) is 53.1x to 82.8x slower" in text
    # the summary lines use the means, and give both scalar figures
    assert (
        "slowdown scalar/tensor [digits train step, batch 1]: in fit 53.1x (3.4 ms vs 64.0 µs), "
        "in your own loop 82.8x (5.3 ms vs 64.0 µs)" in text
    )
    assert "tensor/numpy floor [digits train step, batch 1]: 1.60x (64.0 µs vs 40.0 µs)" in text
    assert (
        "instructions per step [digits train step, batch 1]: scalar in `fit` 30.1M, "
        "scalar in your own loop 33.3M, tensor 567k, numpy floor 429k" in text
    )
    assert (
        "instructions scalar/tensor [digits train step, batch 1]: in fit 53.1x, "
        "in your own loop 58.7x" in text
    )
    assert "instructions tensor/numpy floor [digits train step, batch 1]: 1.32x" in text
    assert "| scaling: width 32, batch 16 | median |" in text
    if plots:
        for name in PLOTS:
            png = tmp_path / "img" / name
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_report_rewrites_the_published_blocks_and_nothing_else(tmp_path):
    from bench.report import main

    results = tmp_path / "results.json"
    results.write_text(json.dumps(_synthetic_results()))
    doc = tmp_path / "doc.md"
    doc.write_text(
        "intro stays\n<!-- begin bench:machine -->\nold machine\n<!-- end bench:machine -->\n"
        "middle stays\n<!-- begin bench:readme -->\n| old |\n<!-- end bench:readme -->\nend\n"
    )
    assert main([str(results), "--update", str(doc), "--no-plots"]) == 0
    text = doc.read_text()
    assert text.startswith("intro stays\n<!-- begin bench:machine -->\nMeasured on Test CPU")
    assert "old machine" not in text and "| old |" not in text
    assert "middle stays\n<!-- begin bench:readme -->\n| digits workload | statistic |" in text
    assert "|  | mean | 3.4 ms | 5.3 ms |" in text
    assert text.endswith("<!-- end bench:readme -->\nend\n")

    # a block the results cannot fill: an error, and the file is left as it was
    partial = _synthetic_results()
    partial["benchmarks"] = [b for b in partial["benchmarks"] if "width" not in b["extra_info"]]
    results.write_text(json.dumps(partial))
    doc.write_text("<!-- begin bench:scaling -->\nold\n<!-- end bench:scaling -->\n")
    assert main([str(results), "--update", str(doc), "--no-plots"]) == 1
    assert doc.read_text() == "<!-- begin bench:scaling -->\nold\n<!-- end bench:scaling -->\n"


def test_summary_helpers():
    from bench.summary import format_count, format_ratio, format_time, summary_lines

    assert format_time(8.1e-3) == "8.1 ms" and format_time(26e-6) == "26.0 µs"
    assert format_time(2.5) == "2.5 s" and format_time(420e-9) == "420.0 ns"
    assert format_ratio(312.4) == "312x" and format_ratio(1.214) == "1.21x"
    assert format_count(567_000) == "567k" and format_count(35_123_456) == "35.1M"
    groups = {
        "g": {
            "scalar": {"median": 8.1e-3, "mean": 9e-3},
            "tensor": {"median": 26e-6, "mean": 30e-6},
        }
    }
    assert summary_lines(groups) == ["slowdown scalar/tensor [g]: in fit 300x (9.0 ms vs 30.0 µs)"]
    assert summary_lines(groups, "median") == [
        "slowdown scalar/tensor [g]: in fit 312x (8.1 ms vs 26.0 µs)"
    ]


def test_the_headline_says_the_slowdown_and_on_what_in_one_sentence():
    from bench.summary import headline

    groups = {
        "batch 1": {
            "scalar": {"mean": 4e-3},
            "scalar_own_loop": {"mean": 8e-3},
            "tensor": {"mean": 8e-5},
        },  # fmt: skip
        "batch 32": {"scalar": {"mean": 0.1}, "tensor": {"mean": 1e-4}},
        "floor only": {"numpy_floor": {"mean": 1e-5}},
    }
    assert headline(groups) == (
        "On scikit-learn's digits (MLP 64-32-16-10), the scalar engine (one Python object per "
        "number) is 50.0x to 1000x slower (batch 1, in fit: 50.0x; batch 32, in fit: 1000x) "
        "than the tensor engine (NumPy arrays, one node per op); the more numbers one step "
        "holds, the larger the gap. The detail:"
    )
    assert headline({"g": {"tensor": {"mean": 1.0}}}) is None


def test_report_on_a_disabled_run(tmp_path):
    from bench.report import main

    results = tmp_path / "empty.json"
    results.write_text(json.dumps({"benchmarks": []}))
    assert main([str(results)]) == 1


@pytest.mark.parametrize("seconds, text", [(0.0, "0.0 ns"), (1e-3, "1.0 ms"), (999e-6, "999.0 µs")])
def test_format_time_units(seconds, text):
    from bench.summary import format_time

    assert format_time(seconds) == text


def _pytest_bench(target, *args, env=None):
    needs_pytest_benchmark()
    return subprocess.run(
        [sys.executable, "-m", "pytest", target, "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def test_bench_instructions_skips_cleanly_without_valgrind(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # an empty PATH: no valgrind on it
    proc = _pytest_bench(
        "bench/test_instructions.py", "--benchmark-disable", "--bench-instructions", "-rs", env=env
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "8 skipped" in proc.stdout
    assert "valgrind and callgrind_control not found" in proc.stdout
    assert "apt-get install valgrind" in proc.stdout


@pytest.mark.slow
def test_a_small_timed_run_reports_mean_median_and_both_scalar_figures(tmp_path):
    """A real (short) timed run of the batch-1 step, through the report: the structure of
    what gets published, not the timings, which a test must not judge."""
    results = tmp_path / "run.json"
    proc = _pytest_bench(
        "bench/test_digits.py",
        "-k",
        "test_train_step and (1-scalar or 1-tensor or 1-numpy) and not f32",
        "--bench-budget",
        "0.05",
        f"--benchmark-json={results}",
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    # the end-of-run answer: machine and date, the statistic it uses, both scalar figures
    assert "time per step, means over all rounds" in proc.stdout
    assert "Python 3." in proc.stdout and "BLAS on 1 thread" in proc.stdout
    assert "slowdown scalar/tensor [digits train step, batch 1]: in fit " in proc.stdout
    assert ", in your own loop " in proc.stdout
    # led by one sentence that says what the slowdown is, and on what
    section = proc.stdout.split("minigrad: scalar vs tensor", 1)[1].splitlines()[1]
    assert section.startswith("On scikit-learn's digits (MLP 64-32-16-10), the scalar engine")
    from bench.report import main

    table = tmp_path / "table.md"
    assert main([str(results), "--markdown", str(table), "--no-plots"]) == 0
    text = table.read_text()
    assert "| digits train step, batch 1 | median |" in text
    assert "|  | mean |" in text
    assert "scalar in `fit` | scalar in your own loop | tensor | numpy floor" in text


@pytest.mark.slow
def test_bench_instructions_counts_with_valgrind():
    """One real count (the floor's batch-1 step: two short runs under callgrind)."""
    from bench.instructions import unavailable

    reason = unavailable()
    if reason:
        pytest.skip(reason)
    proc = _pytest_bench("bench/test_instructions.py", "--bench-instructions", "-k", "1-numpy")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout
    line = next(
        line
        for line in proc.stdout.splitlines()
        if line.startswith("instructions per step [digits train step, batch 1]: numpy floor ")
    )
    # hundreds of thousands of instructions (icount.py: ~430k), not a start-up's billions
    assert line.endswith("k"), line
