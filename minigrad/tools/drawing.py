"""Drawing the graph behind a node: ``to_dot(node)`` and ``draw(node, path)``, both engines.

``to_dot`` returns Graphviz DOT source as a plain string (no dependency). In micrograd's
style, every node is a box with its value and gradient, and a node made by an operation is
fed by a small oval holding the op's name, which its parents point into:

    a ─┐
       (*) ─> a*b ─> (tanh) ─> out
    b ─┘

A ``Value`` shows ``data`` and ``grad``; a ``Tensor`` shows its shape and, for a tiny
tensor, its values (else mean, min and max), likewise for its gradient. The graph is walked
iteratively (a chain of a million nodes is fine) and laid out in creation order, so the same
graph always gives the same text. ``draw`` writes a file whose suffix picks the format:
``.html`` is the interactive explorer (``minigrad.tools.explorer``), ``.svg`` a static picture
laid out by the explorer's own code, ``.dot`` the DOT text; none of these needs Graphviz.
Only ``.png`` and ``.pdf`` are rendered by the ``graphviz`` package
(``pip install "minigrad[viz]"``) and the Graphviz ``dot`` program.
"""

import os
import shutil

import numpy as np

INSTALL_HINT = (
    'pip install "minigrad[viz]" (the graphviz Python package) and install the Graphviz '
    '"dot" program (apt-get install graphviz, or brew install graphviz)'
)
FORMATS = ("html", "svg", "png", "pdf", "dot")
_TINY = 6  # a tensor with at most this many elements shows all its values


# -- walking the graph ------------------------------------------------------------------------


def _roots(node):
    """The node(s) to draw: one node, or a (nested) list of nodes such as a Layer's output."""
    roots, stack = [], [node]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(reversed(x))
        elif hasattr(x, "_prev") and hasattr(x, "_op") and hasattr(x, "data"):
            roots.append(x)
        else:
            raise TypeError(
                f"to_dot: expected a Value or a Tensor (or a list of them), got {type(x).__name__}"
            )
    if not roots:
        raise ValueError("to_dot: nothing to draw (empty list)")
    return roots


def _walk(roots):
    """Every node reachable from ``roots`` through ``_prev``, in creation order.

    Iterative, so the depth of the graph does not matter; nodes are keyed by identity.
    Unlike ``minigrad.common.graph.topological_order`` it touches no node's scratch slot.
    """
    seen = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen[id(node)] = node
        stack.extend(p for p in node._prev if id(p) not in seen)
    return sorted(seen.values(), key=lambda n: getattr(n, "_id", 0))


# -- labels --------------------------------------------------------------------------------------


def _num(x):
    return f"{float(x):.4g}"


def _summary(array):
    array = np.asarray(array, dtype=np.float64)
    if array.size <= _TINY:
        if array.ndim == 0:
            return _num(array)
        return np.array2string(
            array, precision=4, separator=", ", formatter={"float_kind": _num}
        ).replace("\n", "")
    return f"mean {_num(array.mean())}  min {_num(array.min())}  max {_num(array.max())}"


def _fields(node):
    """The lines of a node's box: its label (if any), what it holds and its gradient."""
    label = getattr(node, "label", "")
    fields = [label] if label else []
    if isinstance(node.data, np.ndarray):  # a node over an array (the tensor engine's)
        data = node.data
        fields.append("shape " + "x".join(map(str, data.shape)) if data.ndim else "0-d")
        fields.append(f"data {_summary(data)}")
        if getattr(node, "requires_grad", True):
            fields.append(f"grad {_summary(node.grad)}")
        else:
            fields.append("no grad")
        return fields
    return [*fields, f"data {_num(node.data)}", f"grad {_num(node.grad)}"]


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


def to_dot(node, rankdir="LR"):
    """Graphviz DOT source for the graph behind ``node`` (a ``Value``, a ``Tensor``, or a
    list of them), as a string. ``rankdir`` is ``"LR"`` (left to right) or ``"TB"``."""
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"to_dot: rankdir must be LR, TB, RL or BT, got {rankdir!r}")
    roots = _roots(node)
    nodes = _walk(roots)
    name = {id(n): f"n{i}" for i, n in enumerate(nodes)}
    root_ids = {id(r) for r in roots}
    lines = [
        "digraph minigrad {",
        f"  rankdir={rankdir};",
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [color="#555555"];',
    ]
    for n in nodes:
        nid = name[id(n)]
        fields = _fields(n)
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
    lines.append("}")
    return "\n".join(lines) + "\n"


def _format_of(path):
    suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(
            f"draw: cannot tell the format from {os.fspath(path)!r}; "
            f"use a file name ending in {', '.join('.' + f for f in FORMATS)}"
        )
    return suffix


def draw(node, path, rankdir="LR"):
    """Draw the graph behind ``node`` to ``path``; the suffix picks the format.

    ``.html`` writes the interactive explorer (``minigrad.explore``: one node, not a list),
    ``.svg`` a static picture of every node with its data and ``.grad`` (always left to
    right), ``.dot`` the DOT source; these need nothing else. ``.png`` and ``.pdf`` are
    rendered by Graphviz: without the ``graphviz`` Python package this raises
    ``ImportError``, without the ``dot`` program ``RuntimeError``, each saying what to
    install. The file is written to exactly ``path``. Returns ``path``.
    """
    fmt = _format_of(path)
    if fmt in ("html", "svg"):
        from minigrad.tools import explorer

        if fmt == "html":
            return explorer.explore(node, path)
        text = explorer.to_svg(node)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path
    source = to_dot(node, rankdir=rankdir)
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
