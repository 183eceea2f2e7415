"""``Result``: what one experiment observed, in words and numbers.

An experiment (one file in ``minigrad/experiments/``) runs an idea of the engine and its
counterfactual side by side and returns one ``Result``: the claim it tested, how it was
set up, a table of measurements, and the verdict it observed. ``holds`` says whether the
observation supports the claim; the experiment's test asserts it, so a change that breaks
the lesson breaks the suite.
"""

from dataclasses import dataclass, field
from html import escape


@dataclass
class Result:
    name: str  # the experiment's name: ``minigrad why NAME``
    claim: str  # the hypothesis, one sentence
    setup: str  # what was run, on what, with which seed
    columns: list  # the table's column names
    rows: list  # the table: one list of values per row, in the order of ``columns``
    verdict: str  # what was observed, in words and numbers
    holds: bool  # whether the observation supports the claim
    seed: int = 0
    seconds: float = 0.0  # how long the run took (filled in by ``minigrad.why``)
    extra: dict = field(default_factory=dict)  # raw numbers a test or a plot reads

    @property
    def measurements(self):
        """The table as a list of ``{column: value}``, one per row."""
        return [dict(zip(self.columns, row)) for row in self.rows]

    def table(self):
        """The measurements as aligned plain text."""
        cells = [[str(c) for c in self.columns]] + [[_fmt(v) for v in row] for row in self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.columns))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def __str__(self):
        mark = "holds" if self.holds else "DOES NOT HOLD"
        return (
            f"why {self.name}: {self.claim}\n"
            f"setup: {self.setup}\n\n{self.table()}\n\n"
            f"verdict ({mark}): {self.verdict}\n"
            f"({self.seconds:.1f} s, seed {self.seed})"
        )

    def markdown(self):
        """The result as a Markdown section: claim, setup, the table, the verdict."""
        head = "| " + " | ".join(str(c) for c in self.columns) + " |"
        rule = "|" + "---|" * len(self.columns)
        body = ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in self.rows]
        mark = "holds" if self.holds else "does not hold"
        return "\n".join([
            f"## `minigrad why {self.name}`", "",
            f"**Claim**: {_sentence(self.claim)}", "",
            f"**Setup**: {_sentence(self.setup)}", "",
            head, rule, *body, "",
            f"**Verdict** ({mark}): {_sentence(self.verdict)}", "",
            f"*{self.seconds:.1f} s, seed {self.seed}.*", "",
        ])  # fmt: skip

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        head = "".join(f"<th>{escape(str(c))}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(_fmt(v))}</td>" for v in row) + "</tr>"
            for row in self.rows
        )
        mark = "holds" if self.holds else "does not hold"
        return (
            f"<div><b>why {escape(self.name)}</b>: {escape(self.claim)}<br>"
            f"<small>{escape(self.setup)}</small>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<p><b>verdict ({mark})</b>: {escape(self.verdict)}</p>"
            f"<small>{self.seconds:.1f} s, seed {self.seed}</small></div>"
        )


def _sentence(text):
    """``text`` ending with one full stop."""
    return text.rstrip().rstrip(".") + "."


def _fmt(v):
    """One number formatter for every table: 4 significant digits, ints as they are."""
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        return f"{v:.4g}"
    return str(v)
