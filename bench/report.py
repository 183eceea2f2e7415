"""Turn a pytest-benchmark JSON file into a Markdown table and PNG plots.

    pytest bench/ --bench-scaling --benchmark-json=results.json
    python -m bench.report results.json --out docs/img --markdown table.md

The table has one row per workload (benchmark group): the median time of each engine,
the scalar/tensor slowdown, the tensor engine's ratio to the NumPy floor, and the time per
graph node. With scaling results (``--bench-scaling``) it also draws, into ``--out``:

- ``time_per_sample.png``: time per sample against batch size, both engines and the floor,
  one colour per hidden width (log-log);
- ``slowdown_vs_width.png``: scalar/tensor slowdown against hidden width, per batch size;
- ``us_per_node.png``: microseconds per graph node against the work of a step
  (parameters x batch size).

Plots need matplotlib (the ``viz`` extra); without it only the table is written.
"""

import argparse
import json
import sys
from pathlib import Path

from bench.conftest import format_ratio, format_time

ENGINE_ORDER = [
    ("scalar", "float64"),
    ("tensor", "float64"),
    ("tensor", "float32"),
    ("numpy floor", "float64"),
    ("micrograd", "float64"),
    ("torch", "float64"),
]
PLOTS = ("time_per_sample.png", "slowdown_vs_width.png", "us_per_node.png")


def load(path):
    """``[{group, engine, dtype, median, extra_info}]`` from a ``--benchmark-json`` file."""
    data = json.loads(Path(path).read_text())
    rows = []
    for bench in data.get("benchmarks", []):
        info = bench.get("extra_info", {})
        if "engine" not in info:
            continue
        rows.append(
            dict(
                group=bench["group"],
                engine=info["engine"],
                dtype=info.get("dtype", "float64"),
                median=bench["stats"]["median"],
                info=info,
            )
        )
    return rows, data.get("machine_info", {}), data.get("datetime")


def by_group(rows):
    groups = {}
    for row in rows:
        groups.setdefault(row["group"], {})[(row["engine"], row["dtype"])] = row
    return groups


def _label(engine, dtype):
    return engine if dtype == "float64" else f"{engine} ({dtype})"


def _per_node(row):
    """Microseconds per graph node; an epoch builds its step's graph ``steps`` times."""
    nodes = row["info"].get("graph_nodes") if row else None
    if not nodes:
        return ""
    return f"{row['median'] / (nodes * row['info'].get('steps', 1)) * 1e6:.3g}"


def markdown_table(rows):
    """One row per workload: medians, slowdown, tensor/floor, µs per graph node."""
    groups = by_group(rows)
    engines = [e for e in ENGINE_ORDER if any(e in g for g in groups.values())]
    header = ["workload", *(_label(*e) for e in engines)]
    header += ["scalar / tensor", "tensor / floor", "graph nodes per step scalar / tensor"]
    header += ["µs per node scalar / tensor"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for group, found in groups.items():
        scalar = found.get(("scalar", "float64"))
        tensor = found.get(("tensor", "float64"))
        floor = found.get(("numpy floor", "float64"))
        cells = [group]
        cells += [format_time(found[e]["median"]) if e in found else "" for e in engines]
        cells.append(format_ratio(scalar["median"] / tensor["median"]) if scalar and tensor else "")
        cells.append(format_ratio(tensor["median"] / floor["median"]) if tensor and floor else "")
        nodes = [str(r["info"].get("graph_nodes") or "") if r else "" for r in (scalar, tensor)]
        cells.append(" / ".join(nodes) if any(nodes) else "")
        per_node = [_per_node(scalar), _per_node(tensor)]
        cells.append(" / ".join(per_node) if any(per_node) else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def scaling_rows(rows):
    return [r for r in rows if "width" in r["info"]]


def plot(rows, out_dir):
    """Draw the three scaling plots into ``out_dir``; returns the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    rows = scaling_rows(rows)
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
    ax.set(xscale="log", yscale="log", xlabel="batch size", ylabel="seconds per sample")
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
    ax.set(xscale="log", yscale="log", xlabel="hidden width w", ylabel="scalar time / tensor time")
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


def machine_line(machine, when):
    cpu = machine.get("cpu", {}) or {}
    parts = [
        cpu.get("brand_raw") or machine.get("processor") or machine.get("machine", ""),
        f"{cpu.get('count')} CPUs" if cpu.get("count") else "",
        f"Python {machine.get('python_version', '?')}",
        f"recorded {when}" if when else "",
    ]
    return ", ".join(p for p in parts if p)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m bench.report", description=__doc__.split("\n")[0]
    )
    parser.add_argument("json", help="a pytest --benchmark-json file")
    parser.add_argument(
        "--out", default=None, help="directory for the PNG plots (default: next to the JSON file)"
    )
    parser.add_argument("--markdown", default=None, help="also write the table to this file")
    parser.add_argument("--no-plots", action="store_true", help="only the table")
    args = parser.parse_args(argv)

    rows, machine, when = load(args.json)
    if not rows:
        print(f"{args.json}: no minigrad benchmarks (did the run use --benchmark-disable?)")
        return 1
    text = f"Machine: {machine_line(machine, when)}\n\n{markdown_table(rows)}"
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)
    if not args.no_plots and scaling_rows(rows):
        try:
            written = plot(rows, args.out or Path(args.json).parent)
        except ImportError:
            print("matplotlib is not installed (pip install -e '.[viz]'): no plots drawn")
        else:
            for path in written:
                print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
