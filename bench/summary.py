"""What the benchmark suite says at the end of a run, and how it writes figures.

Shared by the end-of-run answer of ``pytest bench/`` (bench/conftest.py) and by the report
command (bench/report.py), so the terminal and the published tables say the same thing:

- ``format_time``, ``format_ratio``: how a figure is written;
- ``LABELS``, ``column_of``: the engines compared and their names in tables;
- ``stats_by_group``: ``{group: {engine id: {"median": s, "mean": s, ...}}}``;
- ``summary_lines``: one line per workload, from the **means**: the scalar/tensor slowdown
  (the scalar engine in ``fit`` and in your own loop) and the tensor engine's ratio to the
  NumPy floor;
- ``instruction_lines``: the same ratios by instruction count (``--bench-instructions``);
- ``machine_line``: the machine, software and date every published figure goes with.

Why the mean: a benchmark round is one step, and rounds follow one another without a forced
garbage collection between them, as the steps of a training loop do. The median is the
typical step; the mean also counts the rounds in which Python's cyclic garbage collector
ran, so it is what a step costs over many steps (micrograd's graphs are reference cycles:
its median step hides most of what its epoch costs). The report shows both.
"""

STATISTICS = ("median", "mean")
SUMMARY_STATISTIC = "mean"

# engine id -> (engine, dtype, loop); the id names the benchmark's parameter
ENGINE_IDS = {
    "scalar": ("scalar", "float64", "fit"),
    "scalar_own_loop": ("scalar", "float64", "own loop"),
    "tensor": ("tensor", "float64", "fit"),
    "tensor_f32": ("tensor", "float32", "fit"),
    "numpy_floor": ("numpy floor", "float64", ""),
    "micrograd": ("micrograd", "float64", ""),
    "torch": ("torch", "float64", ""),
}
LABELS = {
    "scalar": "scalar in `fit`",
    "scalar_own_loop": "scalar in your own loop",
    "tensor": "tensor",
    "tensor_f32": "tensor (float32)",
    "numpy_floor": "numpy floor",
    "micrograd": "micrograd 0.1.0",
    "torch": "torch (eager CPU)",
}
SCALAR_LOOPS = (("scalar", "in fit"), ("scalar_own_loop", "in your own loop"))


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


def format_count(n):
    """``567k``, ``35.1M``: instructions, three significant figures."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            value = n / scale
            return f"{value:.3g}{unit}" if value < 100 else f"{value:.0f}{unit}"
    return f"{n:.0f}"


def column_of(info):
    """The engine id of a benchmark's ``extra_info`` (older files name only engine and
    dtype: their minigrad figures are ``fit``'s)."""
    if "engine_id" in info:
        return info["engine_id"]
    key = (info["engine"], info.get("dtype", "float64"))
    for engine_id, (engine, dtype, _) in ENGINE_IDS.items():
        if (engine, dtype) == key:
            return engine_id
    return f"{key[0]} ({key[1]})"


def stats_by_group(benchmarks):
    """``{group: {engine id: {"median", "mean", "min", "rounds", "info"}}}`` in the order the
    groups first ran, from pytest-benchmark's results (objects or ``--benchmark-json``
    dicts)."""
    groups = {}
    for result in benchmarks:
        info, group, stats = _fields(result)
        if stats is None or "engine" not in info:
            continue
        entry = {name: stats.get(name) for name in ("median", "mean", "min", "rounds")}
        entry["info"] = info
        groups.setdefault(group, {})[column_of(info)] = entry
    return groups


def _fields(result):
    if isinstance(result, dict):  # a --benchmark-json entry
        return result.get("extra_info", {}), result["group"], result.get("stats")
    if not result:  # a benchmark that never ran (disabled, or failed before timing)
        return result.extra_info, result.group, None
    stats = result.stats
    return (
        result.extra_info,
        result.group,
        {name: getattr(stats, name) for name in ("median", "mean", "min", "rounds")},
    )


def headline(groups, statistic=SUMMARY_STATISTIC):
    """The run's answer in one sentence, before the detail: the smallest and the largest
    scalar/tensor slowdown measured, each with the work it was measured on; None when no
    workload timed both engines."""
    found = []
    for group, engines in groups.items():
        tensor = engines.get("tensor", {}).get(statistic)
        for engine_id, where in SCALAR_LOOPS:
            scalar = engines.get(engine_id, {}).get(statistic)
            if scalar is not None and tensor:
                found.append((scalar / tensor, f"{group}, {where}"))
    if not found:
        return None
    (low, low_work), (high, high_work) = min(found), max(found)
    if len(found) == 1:
        span = f"{format_ratio(low)} slower ({low_work})"
    else:
        span = (
            f"{format_ratio(low)} to {format_ratio(high)} slower ({low_work}: "
            f"{format_ratio(low)}; {high_work}: {format_ratio(high)})"
        )
    return (
        "On scikit-learn's digits (MLP 64-32-16-10), the scalar engine (one Python object "
        f"per number) is {span} than the tensor engine (NumPy arrays, one node per op); "
        "the more numbers one step holds, the larger the gap. The detail:"
    )


def summary_lines(groups, statistic=SUMMARY_STATISTIC):
    """The end-of-run answer: per workload, the scalar/tensor slowdown (in ``fit`` and in
    your own loop) and tensor/floor, from ``statistic`` of each engine's rounds."""
    lines = []
    for group, found in groups.items():
        tensor = found.get("tensor", {}).get(statistic)
        floor = found.get("numpy_floor", {}).get(statistic)
        parts = []
        for engine_id, where in SCALAR_LOOPS:
            scalar = found.get(engine_id, {}).get(statistic)
            if scalar is not None and tensor is not None:
                parts.append(
                    f"{where} {format_ratio(scalar / tensor)} "
                    f"({format_time(scalar)} vs {format_time(tensor)})"
                )
        if parts:
            lines.append(f"slowdown scalar/tensor [{group}]: " + ", ".join(parts))
        if tensor is not None and floor is not None:
            lines.append(
                f"tensor/numpy floor [{group}]: {format_ratio(tensor / floor)} "
                f"({format_time(tensor)} vs {format_time(floor)})"
            )
    return lines


def instruction_lines(counts):
    """The same ratios by instructions per step: ``counts`` is ``{group: {engine id:
    instructions per step}}`` (``--bench-instructions``); each group's counts come first."""
    lines = []
    for group, found in counts.items():
        each = ", ".join(f"{LABELS.get(e, e)} {format_count(n)}" for e, n in found.items())
        lines.append(f"instructions per step [{group}]: {each}")
        tensor, floor = found.get("tensor"), found.get("numpy_floor")
        parts = [
            f"{where} {format_ratio(found[engine_id] / tensor)}"
            for engine_id, where in SCALAR_LOOPS
            if engine_id in found and tensor
        ]
        if parts:
            lines.append(f"instructions scalar/tensor [{group}]: " + ", ".join(parts))
        if tensor and floor:
            lines.append(
                f"instructions tensor/numpy floor [{group}]: {format_ratio(tensor / floor)}"
            )
    return lines


def machine_line(machine, when):
    """``AMD EPYC, 2 CPUs, Linux 6.18, Python 3.11.7, NumPy 2.4.6, BLAS on 1 thread, torch
    2.13.0+cpu, ...; 2026-11-25 21:46 UTC`` from pytest-benchmark's ``machine_info`` (with
    what bench/conftest.py adds to it) and ``datetime``."""
    cpu = machine.get("cpu", {}) or {}
    threads = machine.get("blas_threads")
    parts = [
        cpu.get("brand_raw") or machine.get("processor") or machine.get("machine", ""),
        f"{cpu.get('count')} CPUs" if cpu.get("count") else "",
        " ".join(p for p in (machine.get("system"), machine.get("release")) if p),
        f"Python {machine.get('python_version', '?')}",
        f"NumPy {machine['numpy']}" if machine.get("numpy") else "",
        f"BLAS on {threads} thread{'s' if threads != 1 else ''}" if threads else "",
        *(f"{name} {version}" for name, version in (machine.get("versions") or {}).items()),
    ]
    text = ", ".join(p for p in parts if p)
    return f"{text}; {_when(when)}" if when else text


def _when(stamp):
    """``2026-11-25T21:46:03.1+00:00`` -> ``2026-11-25 21:46 UTC``."""
    date, _, time = str(stamp).partition("T")
    if time[:5].count(":") == 1 and time.endswith("+00:00"):
        return f"{date} {time[:5]} UTC"
    return str(stamp)
