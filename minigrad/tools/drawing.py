"""Drawing the graph behind a node: ``to_dot(node)`` and ``draw(node, path)``, both engines.

``to_dot`` returns Graphviz DOT source as a plain string (no dependency). In micrograd's
style, every node is a box with its value and gradient, and a node made by an operation is
fed by a small oval holding the op's name, which its parents point into:

    a ─┐
       (*) ─> a*b ─> (tanh) ─> out
    b ─┘

A box shows a node's name (its label; with ``model=``, a parameter's ``named_parameters()``
name; ``input`` or ``constant`` for a leaf without a gradient), ``data`` and ``grad``; a
node over an array (a ``Tensor``) also shows its shape, and its values in full if it holds
at most six numbers (else their mean, min and max), likewise for its gradient. A plain
number an op was given (the ``2`` of ``x - 2``, which an engine with one node per number
folds into the op) is a small box of its own. ``minigrad.tools.picture`` writes all of
this, as for the explorer.
The graph is walked iteratively (``minigrad.common.graph.reachable``: a chain of a million
nodes is fine) and laid out in creation order, so the same graph always gives the same text.

``draw`` writes a file whose suffix picks the format: ``.html`` is the interactive explorer
(``minigrad.tools.explorer``), ``.svg`` a static picture laid out by the explorer's own
code, ``.dot`` the DOT text; none of these needs Graphviz.
Only ``.png`` and ``.pdf`` are rendered by the ``graphviz`` package
(``pip install "minigrad-twins[viz]"``) and the Graphviz ``dot`` program.
"""

import os
import shutil

import numpy as np

from minigrad.common.graph import reachable
from minigrad.common.module import ModuleBase
from minigrad.registry import Node
from minigrad.tools import explorer
from minigrad.tools.picture import (
    constant_role,
    folded_constant,
    grad_of,
    holds_array,
    node_names,
    number,
    parameter_names,
    roots,
    summary,
)

INSTALL_HINT = (
    'pip install "minigrad-twins[viz]" (the graphviz Python package) and install the Graphviz '
    '"dot" program (apt-get install graphviz, or brew install graphviz)'
)
FORMATS = ("html", "svg", "png", "pdf", "dot")


# -- what a box says -----------------------------------------------------------------------------


def _fields(node, name):
    """The lines of a node's box: its name (if any), its shape (a node over an array),
    what it holds and its gradient (or "no grad", for a node backward hands nothing)."""
    fields = [name] if name else []
    if holds_array(node):
        shape = np.shape(node.data)
        fields.append("shape " + "x".join(map(str, shape)) if shape else "0-d")
    fields.append(f"data {summary(node.data)}")
    fields.append(f"grad {summary(grad_of(node))}" if node.requires_grad else "no grad")
    return fields


_RECORD_SPECIAL = set('{}|<>"\\')


def escape(text):
    """``text`` made safe inside a quoted DOT record label: backslash-escapes the record
    syntax ``{ } | < >``, quotes and backslashes, and turns newlines into ``\\n``."""
    out = []
    for ch in str(text):
        if ch in _RECORD_SPECIAL:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            continue
        else:
            out.append(ch)
    return "".join(out)


def _quote(text):
    return '"' + escape(text) + '"'


# -- the public surface ---------------------------------------------------------------------------


def to_dot(node: Node | list[Node], rankdir: str = "LR", model: ModuleBase | None = None) -> str:
    """Graphviz DOT source for the graph behind ``node`` (a ``Value``, a ``Tensor``, or a
    list of them), as a string. ``rankdir`` is ``"LR"`` (left to right) or ``"TB"``.
    ``model``: the module the graph was built with, whose parameters are then shown by their
    ``named_parameters()`` names."""
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"to_dot: rankdir must be LR, TB, RL or BT, got {rankdir!r}")
    starts = roots(node, "to_dot")
    nodes = reachable(starts)
    params = parameter_names(model)
    names = node_names(nodes, params)
    name = {id(n): f"n{i}" for i, n in enumerate(nodes)}
    root_ids = {id(r) for r in starts}
    lines = [
        "digraph minigrad {",
        f"  rankdir={rankdir};",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [color="#555555"];',
    ]
    for k, n in enumerate(nodes):
        nid = name[id(n)]
        fields = _fields(n, names[k])
        op = str(n._op or "")
        if op and not n._prev:  # made by an op but cut from the graph (e.g. under no_grad)
            fields.insert(0, op)
        label = "{ " + " | ".join(escape(f) for f in fields) + " }"
        style = ", penwidth=2" if id(n) in root_ids else ""
        lines.append(f'  {nid} [shape=record, label="{label}"{style}];')
        if op and n._prev:
            lines.append(f"  {nid}_op [shape=oval, label={_quote(op)}];")
            lines.append(f"  {nid}_op -> {nid};")
            for p in n._prev:  # a parent used twice (a * a) gets two edges, as it should
                lines.append(f"  {name[id(p)]} -> {nid}_op;")
            constant = folded_constant(n)
            if constant is not None:  # the plain number the op was given: no node, drawn
                fields = (constant_role(n, params), f"data {number(constant[1])}")
                text = " | ".join(escape(f) for f in fields)
                lines.append(f'  {nid}_c [shape=record, style=dashed, label="{{ {text} }}"];')
                lines.append(f"  {nid}_c -> {nid}_op;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _format_of(path):
    name = os.fsdecode(path)  # str or bytes (as open() takes), or a path object
    suffix = os.path.splitext(name)[1].lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(
            f"draw: cannot tell the format from {name!r}; "
            f"use a file name ending in {', '.join('.' + f for f in FORMATS)}"
        )
    return suffix


def draw(
    node: Node | list[Node],
    path: str | os.PathLike,
    rankdir: str = "LR",
    model: ModuleBase | None = None,
) -> str | os.PathLike:
    """Draw the graph behind ``node`` to ``path``; the suffix picks the format.

    ``.html`` writes the interactive explorer (``minigrad.explore``: one node, not a list),
    ``.svg`` a static picture of every node with its data and ``.grad`` (always left to
    right), ``.dot`` the DOT source; these need nothing else. ``.png`` and ``.pdf`` are
    rendered by Graphviz: without the ``graphviz`` Python package this raises
    ``ImportError``, without the ``dot`` program ``RuntimeError``, each saying what to
    install. The file is written to exactly ``path``. Returns ``path``. ``model``: the
    module the graph was built with, whose parameters are then shown by their
    ``named_parameters()`` names (``layers.0.weight``).
    """
    fmt = _format_of(path)
    if fmt in ("html", "svg"):
        if fmt == "html":
            return explorer.explore(node, path, model=model)
        text = explorer.to_svg(node, model=model)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path
    source = to_dot(node, rankdir=rankdir, model=model)
    if fmt == "dot":
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        return path
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            f"drawing to .{fmt} needs Graphviz: {INSTALL_HINT}. "
            "A .dot file can be written without it."
        ) from None
    if shutil.which("dot") is None:
        raise RuntimeError(
            f"drawing to .{fmt} needs the Graphviz 'dot' program on PATH: {INSTALL_HINT}. "
            "A .dot file can be written without it."
        )
    try:
        image = graphviz.Source(source).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise RuntimeError(f"Graphviz 'dot' program not found: {INSTALL_HINT}") from None
    with open(path, "wb") as f:
        f.write(image)
    return path
