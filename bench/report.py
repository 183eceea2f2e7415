"""Turn a pytest-benchmark JSON file into the published tables, summary and plots.

    python -m bench.report --publish      # run everything once and rewrite the published
                                          # figures in README.md, docs/benchmarks.md, docs/img
    python -m bench.report results.json [--markdown table.md] [--out DIR] [--update FILE...]

``--publish`` runs ``pytest bench/ --bench-slow --bench-scaling --bench-instructions`` into
docs/benchmarks.json (the raw results the published figures come from; needs the
``peers`` extra and valgrind) and then rewrites, from that one run, every block between
``<!-- begin bench:NAME -->`` and ``<!-- end bench:NAME -->`` in README.md and
docs/benchmarks.md, and the plots in docs/img. Blocks:

- ``machine``: the machine, software and date of the run (every figure goes with it);
- ``summary``: the end-of-run answer, from the means, and the same ratios by instruction
  count;
- ``digits``: per workload and statistic (median, mean), each engine's time, the
  scalar/tensor slowdown (in ``fit`` and in your own loop), tensor/floor, graph nodes per
  step and the time per graph node;
- ``readme``: the digits times only, for the README;
- ``scaling``: the sweep over hidden width and batch size (``--bench-scaling``).

The median is the typical step; the mean is what a step costs over many steps (rounds run
back to back, so it counts the garbage collector's bursts; bench/summary.py). The plots
(matplotlib, the ``viz`` extra) use the scaling results' medians:

- ``time_per_sample.png``: time per sample against batch size, both engines and the floor,
  one colour per hidden width (log-log);
- ``slowdown_vs_width.png``: scalar/tensor slowdown against hidden width, per batch size;
- ``us_per_node.png``: microseconds per graph node against the work of a step
  (parameters x batch size).
"""

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

from bench.summary import (
    LABELS,
    STATISTICS,
    format_count,
    format_ratio,
    format_time,
    headline,
    instruction_lines,
    machine_line,
    stats_by_group,
    summary_lines,
)

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = (ROOT / "README.md", ROOT / "docs" / "benchmarks.md")
PUBLISH_JSON = ROOT / "docs" / "benchmarks.json"
PUBLISH_OPTIONS = ("--bench-slow", "--bench-scaling", "--bench-instructions")
PLOTS = ("time_per_sample.png", "slowdown_vs_width.png", "us_per_node.png")
BLOCK = re.compile(
    r"(<!-- begin bench:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- end bench:(?P=name) -->)",
    re.DOTALL,
)


class Results:
    """One ``--benchmark-json`` file: ``groups`` (bench.summary.stats_by_group),
    ``machine``, ``when`` and the instruction counts, if the run took them."""

    def __init__(self, path):
        data = json.loads(Path(path).read_text())
        self.groups = stats_by_group(data.get("benchmarks", []))
        self.machine = data.get("machine_info", {})
        self.when = data.get("datetime")
        self.instructions = data.get("minigrad_instructions", {})

    def digits(self):
        return {g: found for g, found in self.groups.items() if not g.startswith("scaling")}

    def scaling(self):
        return {g: found for g, found in self.groups.items() if g.startswith("scaling")}


def _engines(groups):
    present = {e for found in groups.values() for e in found}
    return [e for e in LABELS if e in present] + sorted(present - set(LABELS))


def _per_node(entry, statistic):
    """Microseconds per graph node; an epoch builds its step's graph ``steps`` times."""
    nodes = entry["info"].get("graph_nodes") if entry else None
    if not nodes:
        return ""
    return f"{entry[statistic] / (nodes * entry['info'].get('steps', 1)) * 1e6:.3g}"


def _ratio(found, a, b, statistic):
    if a in found and b in found:
        return format_ratio(found[a][statistic] / found[b][statistic])
    return ""


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines) + "\n"


def markdown_table(groups):
    """Per workload, a median row and a mean row: every engine's time, the slowdowns, the
    tensor/floor ratio, graph nodes per step and µs per graph node."""
    engines = _engines(groups)
    header = ["workload", "statistic", *(LABELS.get(e, e) for e in engines)]
    header += ["scalar / tensor in `fit`", "in your own loop", "tensor / floor"]
    header += ["graph nodes per step scalar / tensor", "µs per node scalar / tensor"]
    rows = []
    for group, found in groups.items():
        for k, statistic in enumerate(STATISTICS):
            cells = [group if k == 0 else "", statistic]
            cells += [format_time(found[e][statistic]) if e in found else "" for e in engines]
            cells.append(_ratio(found, "scalar", "tensor", statistic))
            cells.append(_ratio(found, "scalar_own_loop", "tensor", statistic))
            cells.append(_ratio(found, "tensor", "numpy_floor", statistic))
            pair = [found.get("scalar"), found.get("tensor")]
            nodes = [str(e["info"].get("graph_nodes") or "") if e else "" for e in pair]
            cells.append(" / ".join(nodes) if k == 0 and any(nodes) else "")
            per_node = [_per_node(e, statistic) for e in pair]
            cells.append(" / ".join(per_node) if any(per_node) else "")
            rows.append(cells)
    return _table(header, rows)


def readme_table(groups):
    """The digits times only: per workload a median and a mean row, engines as columns."""
    engines = _engines(groups)
    header = ["digits workload", "statistic", *(LABELS.get(e, e) for e in engines)]
    rows = []
    for group, found in groups.items():
        for k, statistic in enumerate(STATISTICS):
            cells = [group if k == 0 else "", statistic]
            cells += [format_time(found[e][statistic]) if e in found else "" for e in engines]
            rows.append(cells)
    return _table(header, rows)


def summary_block(results):
    """The end-of-run answer (means) and, if counted, the ratios by instruction count."""
    first = headline(results.digits())
    lines = [first] if first else []
    lines += summary_lines(results.digits())
    lines += instruction_lines(results.instructions)
    return "```\n" + "\n".join(lines) + "\n```\n"


def instruction_table(counts):
    engines = _engines(counts)
    header = ["instructions per step", *(LABELS.get(e, e) for e in engines)]
    rows = [
        [group, *(format_count(found[e]) if e in found else "" for e in engines)]
        for group, found in counts.items()
    ]
    return _table(header, rows)


def blocks(results):
    """Every publishable block this file can give: ``{name: markdown}``."""
    out = {"machine": f"Measured on {machine_line(results.machine, results.when)}.\n"}
    digits, scaling = results.digits(), results.scaling()
    if digits:
        out["summary"] = summary_block(results)
        out["digits"] = markdown_table(digits)
        out["readme"] = readme_table(digits)
    if scaling:
        out["scaling"] = markdown_table(scaling)
    if results.instructions:
        out["instructions"] = instruction_table(results.instructions)
    return out


def update(path, generated):
    """Rewrite the ``bench:NAME`` blocks of ``path`` from ``generated``; a block the
    results cannot fill is an error (published figures come from one run)."""
    path = Path(path)
    text = path.read_text()
    names = [m["name"] for m in BLOCK.finditer(text)]
    missing = [n for n in names if n not in generated]
    if missing:
        raise ValueError(
            f"{path}: these results have no {', '.join(missing)} block(s); "
            "run python -m bench.report --publish"
        )
    path.write_text(BLOCK.sub(lambda m: m[1] + generated[m["name"]] + m[4], text))
    return names


def plot(groups, out_dir):
    """Draw the three scaling plots into ``out_dir``; returns the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    rows = [
        dict(engine=entry["info"]["engine"], median=entry["median"], info=entry["info"])
        for found in groups.values()
        for engine_id, entry in found.items()
        if "width" in entry["info"] and engine_id in ("scalar", "tensor", "numpy_floor")
    ]
    if not rows:
        return []
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    widths = sorted({r["info"]["width"] for r in rows})
    batches = sorted({r["info"]["batch_size"] for r in rows})
    cmap = plt.get_cmap("viridis")
    colour = {w: cmap(i / max(len(widths) - 1, 1)) for i, w in enumerate(widths)}
    style = {"scalar": ("-", "o"), "tensor": ("--", "s"), "numpy floor": (":", "")}
    table = {(r["engine"], r["info"]["width"], r["info"]["batch_size"]): r for r in rows}
    written = []

    # 1. time per sample against batch size
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for engine, (ls, marker) in style.items():
        for w in widths:
            pts = [
                (b, table[engine, w, b]["median"] / b) for b in batches if (engine, w, b) in table
            ]
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, ys, ls=ls, marker=marker, color=colour[w], ms=4, lw=1.3)
    ax.set(
        xscale="log", yscale="log", xlabel="batch size", ylabel="seconds per sample (median step)"
    )
    ax.set_title("One SGD step, MLP 64-w-w/2-10: time per sample")
    ax.grid(True, which="both", alpha=0.3)
    engines = [Line2D([], [], color="grey", ls=ls, marker=m) for ls, m in style.values()]
    first = ax.legend(engines, list(style), loc="upper right", title="engine")
    ax.add_artist(first)
    ax.legend(
        [Line2D([], [], color=colour[w], lw=3) for w in widths],
        [str(w) for w in widths],
        loc="lower left",
        title="width w",
        ncol=2,
    )
    written.append(out_dir / PLOTS[0])
    fig.tight_layout()
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    # 2. slowdown against width
    fig, ax = plt.subplots(figsize=(7.5, 5))
    bcolour = {b: plt.get_cmap("plasma")(i / max(len(batches), 1)) for i, b in enumerate(batches)}
    for b in batches:
        pts = [
            (w, table["scalar", w, b]["median"] / table["tensor", w, b]["median"])
            for w in widths
            if ("scalar", w, b) in table and ("tensor", w, b) in table
        ]
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker="o", color=bcolour[b], label=f"batch {b}")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="hidden width w",
        ylabel="scalar time / tensor time (median steps)",
    )
    ax.set_xticks(widths, [str(w) for w in widths])
    ax.set_title("Slowdown of the scalar engine (one SGD step)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    written.append(out_dir / PLOTS[1])
    fig.tight_layout()
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    # 3. microseconds per graph node, against the work of a step
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for engine, marker in (("scalar", "o"), ("tensor", "s")):
        pts = [
            (
                r["info"]["parameters"] * r["info"]["batch_size"],
                r["median"] / r["info"]["graph_nodes"] * 1e6,
            )
            for r in rows
            if r["engine"] == engine and r["info"].get("graph_nodes")
        ]
        if pts:
            xs, ys = zip(*pts)
            ax.scatter(xs, ys, marker=marker, label=f"{engine} engine", alpha=0.8)
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="parameters x batch size (multiply-adds of one forward)",
        ylabel="µs per graph node",
    )
    ax.set_title("Cost per graph node (one SGD step)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    written.append(out_dir / PLOTS[2])
    fig.tight_layout()
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)
    return written


def publish():
    """Run the whole suite once into ``PUBLISH_JSON``; returns pytest's exit code (2 when
    something the published tables need is missing)."""
    import importlib.util

    from bench.engines import PEERS
    from bench.instructions import unavailable

    missing = [p for p in PEERS if importlib.util.find_spec(p) is None]
    if missing:
        print(f"{', '.join(missing)} not installed: pip install -e '.[test,peers,viz]'")
        return 2
    if unavailable():
        print(unavailable())
        return 2
    command = [sys.executable, "-m", "pytest", "bench", *PUBLISH_OPTIONS]
    command += [f"--benchmark-json={PUBLISH_JSON}", "-p", "no:cacheprovider"]
    print("running", " ".join(command[2:]), flush=True)
    code = subprocess.run(command, cwd=ROOT).returncode
    if PUBLISH_JSON.exists():
        _drop_round_times(PUBLISH_JSON)
    return code


def _drop_round_times(path):
    """Keep the published JSON small: every statistic stays, each round's own time goes
    (pytest-benchmark stores all of them: megabytes for the fast engines' many rounds)."""
    data = json.loads(path.read_text())
    for bench in data.get("benchmarks", []):
        bench.get("stats", {}).pop("data", None)
    path.write_text(json.dumps(data, indent=1) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.report", description=__doc__.split("\n")[0]
    )
    parser.add_argument("json", nargs="?", help="a pytest --benchmark-json file")
    parser.add_argument(
        "--publish",
        action="store_true",
        help="run pytest bench/ with every option into docs/benchmarks.json, then rewrite the "
        "bench blocks of README.md and docs/benchmarks.md and the plots in docs/img",
    )
    parser.add_argument(
        "--out", default=None, help="directory for the PNG plots (default: next to the JSON file)"
    )
    parser.add_argument("--markdown", default=None, help="also write the tables to this file")
    parser.add_argument(
        "--update", nargs="+", default=[], metavar="FILE", help="rewrite FILE's bench blocks"
    )
    parser.add_argument("--no-plots", action="store_true", help="only the tables")
    args = parser.parse_args(argv)
    if args.publish:
        if args.json:
            parser.error("--publish runs the suite itself: give no JSON file")
        if publish() != 0:
            print("the benchmark run failed: nothing published")
            return 1
        args.json, args.update = str(PUBLISH_JSON), [*args.update, *map(str, PUBLISHED)]
        args.out = args.out or str(ROOT / "docs" / "img")
    elif not args.json:
        parser.error("give a --benchmark-json file, or --publish")

    results = Results(args.json)
    if not results.groups:
        print(f"{args.json}: no minigrad benchmarks (did the run use --benchmark-disable?)")
        return 1
    generated = blocks(results)
    text = "\n".join(
        generated[name]
        for name in ("machine", "summary", "digits", "instructions", "scaling")
        if name in generated
    )
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)
    for path in args.update:
        try:
            names = update(path, generated)
        except ValueError as e:
            print(e)
            return 1
        print(f"updated {path}: {', '.join(names) or 'no bench blocks found'}")
    if not args.no_plots and results.scaling():
        try:
            written = plot(results.scaling(), args.out or Path(args.json).parent)
        except ImportError:
            print("matplotlib is not installed (pip install -e '.[viz]'): no plots drawn")
        else:
            for path in written:
                print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
