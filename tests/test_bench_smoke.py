"""The benchmark suite cannot rot: it runs once (timing off) in CI, and its report works.

``pytest bench/ --benchmark-disable`` runs every default benchmark once, with the same
correctness checks as a timed run (each engine's loss and predictions equal the NumPy
floor's). The report command is checked on a tiny synthetic ``--benchmark-json`` file.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_bench_suite_runs_with_benchmarks_disabled():
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


def _bench(group, engine, median, **info):
    return {
        "group": group,
        "name": f"test[{engine}]",
        "extra_info": {"engine": engine, "dtype": "float64", **info},
        "stats": {"median": median},
    }


def _synthetic_results():
    benchmarks = [
        _bench("digits train step, batch 1", "scalar", 3.3e-3, graph_nodes=5627, batch_size=1),
        _bench("digits train step, batch 1", "tensor", 62e-6, graph_nodes=13, batch_size=1),
        _bench("digits train step, batch 1", "numpy floor", 42e-6, batch_size=1),
    ]
    for width in (8, 32):
        for batch in (1, 16):
            group = f"scaling: width {width}, batch {batch}"
            scale = width * batch
            for engine, seconds, nodes in (
                ("scalar", 1e-5 * scale, 100 * scale),
                ("tensor", 5e-5 + 1e-8 * scale, 13),
                ("numpy floor", 3e-5 + 1e-8 * scale, None),
            ):
                benchmarks.append(
                    _bench(
                        group,
                        engine,
                        seconds,
                        width=width,
                        batch_size=batch,
                        graph_nodes=nodes,
                        parameters=20 * width,
                    )
                )
    return {
        "machine_info": {"python_version": "3.11.7", "cpu": {"brand_raw": "Test CPU", "count": 2}},
        "datetime": "2026-01-01T00:00:00",
        "benchmarks": benchmarks,
    }


def test_report_writes_table_and_plots(tmp_path, capsys):
    from bench.conftest import format_ratio, format_time, summary_lines
    from bench.report import PLOTS, main

    results = tmp_path / "results.json"
    results.write_text(json.dumps(_synthetic_results()))
    table = tmp_path / "table.md"
    try:
        import matplotlib  # noqa: F401

        plots = True
    except ImportError:
        plots = False
    args = [str(results), "--out", str(tmp_path / "img"), "--markdown", str(table)]
    assert main(args if plots else [*args, "--no-plots"]) == 0
    text = table.read_text()
    assert "| digits train step, batch 1 | 3.3 ms | 62.0 µs | 42.0 µs |" in text
    assert "53.2x" in text and "1.48x" in text  # scalar/tensor and tensor/floor
    assert "Test CPU" in text
    if plots:
        for name in PLOTS:
            png = tmp_path / "img" / name
            assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name

    assert format_time(8.1e-3) == "8.1 ms" and format_time(26e-6) == "26.0 µs"
    assert format_time(2.5) == "2.5 s" and format_time(420e-9) == "420.0 ns"
    assert format_ratio(312.4) == "312x" and format_ratio(1.214) == "1.21x"
    medians = {"g": {("scalar", "float64"): 8.1e-3, ("tensor", "float64"): 26e-6}}
    assert summary_lines(medians) == ["slowdown scalar/tensor [g]: 312x (8.1 ms vs 26.0 µs)"]


def test_report_on_a_disabled_run(tmp_path):
    from bench.report import main

    results = tmp_path / "empty.json"
    results.write_text(json.dumps({"benchmarks": []}))
    assert main([str(results)]) == 1


@pytest.mark.parametrize("seconds, text", [(0.0, "0.0 ns"), (1e-3, "1.0 ms"), (999e-6, "999.0 µs")])
def test_format_time_units(seconds, text):
    from bench.conftest import format_time

    assert format_time(seconds) == text
