"""``minigrad why``: the experiments of ``minigrad.experiments`` from the command line.

``minigrad why`` lists them (name, typical seconds, claim); ``minigrad why NAME`` runs one and
prints its result; ``minigrad why --all`` runs every one; ``--seed N`` seeds them;
``--markdown PATH`` also writes the results run as one Markdown page (docs/why.md is this
page: ``minigrad why --all --markdown docs/why.md`` regenerates it). The exit code is 1 when
an experiment's verdict does not hold: the lesson no longer shows what it claims.
"""

import platform
import sys
import textwrap
import time

import minigrad
from minigrad.experiments import EXPERIMENTS, listing, why


def add_parser(commands, formatter_class, seed_type):
    """Add ``why`` to ``commands`` (argparse subparsers), with the command line's help
    formatter and its type for a non-negative integer."""
    parser = commands.add_parser(
        "why",
        help="run the experiments that show what breaks without each idea of the engine",
        description="Every concept a hypothesis: each experiment runs an idea of the engine "
        "and its counterfactual side by side and prints what it measured and its verdict. "
        "Without NAME: the list of experiments.",
        formatter_class=formatter_class,
    )
    parser.add_argument(
        "name",
        nargs="?",
        choices=list(EXPERIMENTS),
        metavar="NAME",
        help=f"the experiment to run, one of: {', '.join(EXPERIMENTS)} (default: list them)",
    )
    parser.add_argument("--all", action="store_true", help="run every experiment, in order")
    parser.add_argument(
        "--seed", type=seed_type, default=0, help="seed of the experiments' data and weights"
    )
    parser.add_argument(
        "--markdown",
        metavar="PATH",
        help="also write the results as a Markdown page (default: not written)",
    )
    parser.set_defaults(run=run_why, parser=parser)
    return parser


def run_why(args):
    if args.name and args.all:
        args.parser.error("give NAME or --all, not both")
    if not (args.name or args.all):
        if args.markdown:
            args.parser.error("--markdown needs NAME or --all (it writes the results run)")
        return _list()
    names = list(EXPERIMENTS) if args.all else [args.name]
    results = []
    for i, name in enumerate(names):
        result = why(name, seed=args.seed)
        results.append(result)
        print(("\n" if i else "") + str(result), flush=True)
    failed = [r.name for r in results if not r.holds]
    if args.all:
        total = sum(r.seconds for r in results)
        held = len(results) - len(failed)
        print(f"\n{held} of {len(results)} experiments hold ({total:.0f} s)")
    if args.markdown:
        _write_markdown(args.markdown, results, args.seed)
        print(f"wrote {args.markdown}")
    if failed:
        print(f"does not hold: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _list():
    rows = listing()
    width = max(len(name) for name, _, _ in rows)
    print("minigrad why NAME runs one experiment (minigrad why --all runs them all):\n")
    for name, claim, seconds in rows:
        lead = f"  {name:<{width}}  ~{seconds:>2} s  "
        wrapped = textwrap.wrap(claim, 96 - len(lead)) or [""]
        print(lead + wrapped[0])
        for line in wrapped[1:]:
            print(" " * len(lead) + line)
    print(f"\n{len(rows)} experiments, about {sum(s for _, _, s in rows)} s in all")
    return 0


def _write_markdown(path, results, seed):
    machine = f"Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# Why each idea is there",
        "",
        "Each experiment runs an idea of minigrad's engines and its counterfactual side by "
        "side, measures both, and states what it observed. This page is the output of the "
        f"last run, `minigrad why --all --markdown docs/why.md` (seed {seed}; {machine}, "
        f"minigrad {minigrad.__version__}; {when}). Times are this machine's; the verdicts' "
        "facts (gradients, counts, equalities) are the same on any machine. Each "
        "experiment is one file in `minigrad/experiments/`, written to be read; its test "
        "fails if the counterfactual stops failing.",
        "",
        "| experiment | verdict | seconds |",
        "|---|---|---|",
    ]
    for r in results:
        lines.append(f"| [`{r.name}`](#minigrad-why-{r.name}) | "
                     f"{'holds' if r.holds else 'does not hold'} | {r.seconds:.1f} |")  # fmt: skip
    lines.append("")
    for r in results:
        lines.append(r.markdown())
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
