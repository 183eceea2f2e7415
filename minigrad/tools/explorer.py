"""The graph explorer: step through the backward pass of a ``Value`` or ``Tensor`` graph.

``explore(node, path)`` writes one self-contained HTML page (script and style inline, no
network request); ``explore(node)`` returns an object that renders in Jupyter and VS Code.
The page shows the graph left to right and, one Step at a time (or a box, or a column of
boxes, at a time), the gradient of each node in the order ``backward`` visits them (reverse
creation order), with the edges that carried it and the sum ``local x upstream`` that
produced it; a fused op names its formula (``linear: dW = g\u1d40 x``). ``model=`` names
the model's parameters as its ``named_parameters()`` does (``layers.0.weight``).

What it shows is computed here, not read from ``.grad``: the backward pass is replayed from
``node``, starting from 1 at the root, with what each node stores for ``backward`` (its
local derivatives ``_local`` or its rules ``_rules``: ``handed_to_parents``). That is
d(node)/d(x) for this one pass. ``.grad`` accumulates across ``backward`` calls, so after a
single ``backward()`` on fresh gradients the two are equal, and the page says whether they
are (or that ``backward()`` has not been called yet).

Everything is laid out in Python, with no Graphviz, by ``minigrad.tools.graph_view``, which
also groups big graphs: above ``GROUP_ABOVE`` nodes, each node with many parents (a
neuron's n-ary ``sum``, a softmax's sum) becomes one box together with the nodes that feed
only it and its activation, and the weights a batch shares become one box per parameter. A
digits MLP 64-32-16-10 on one sample (5,627 scalar nodes) shows as 60 boxes; on 8 samples
(25,572 nodes) as 479. The page opens on the whole graph when it can be read whole
(``LEGIBLE``), else on its root; ``drawing.draw(node, "graph.svg")`` draws the same
picture, static.
"""

import html
import json
import os

import numpy as np

from minigrad.common.fp_errors import quiet
from minigrad.common.graph import reachable, topological_order
from minigrad.common.module import ModuleBase
from minigrad.registry import Node
from minigrad.tools import graph_view
from minigrad.tools.graph_view import FAN_IN, GROUP_ABOVE, group_nodes, layout, render_svg
from minigrad.tools.picture import grad_of, holds_array, is_node, nodes_behind

__all__ = ["FAN_IN", "GROUP_ABOVE", "explore", "group_nodes", "layout", "render_svg"]

LEGIBLE = 0.6  # the smallest zoom at which a box's 12px text is read: the page opens on the
# whole graph when it fits at this zoom or more, else on its root
FUSED_RULES = {  # what the backward of a fused op hands each parent, by position
    "linear": ("dx = g W", "dW = g\u1d40 x", "db = g summed over the batch"),
    "@": ("dA = g B\u1d40", "dB = A\u1d40 g"),
    "mse": (
        "d pred = 2 (pred \u2212 target) g / n",
        "d target = \u22122 (pred \u2212 target) g / n",
    ),
    "cross_entropy": ("d logits = (softmax(logits) \u2212 onehot(target)) g / N",),
}


# -- the graph and the replayed backward pass ------------------------------------------------


def graph_nodes(node):
    """Every node the explorer shows for ``node``, in creation order: ``data-node="i"`` in
    the page is ``graph_nodes(node)[i]``."""
    return reachable([_single_root(node)])


def _single_root(node):
    if not is_node(node):
        raise TypeError(f"explore: expected a Value or a Tensor, got {type(node).__name__}")
    return node


def handed_to_parents(node, g):
    """What ``node`` hands each parent in ``_prev`` when gradient ``g`` reaches it (``None``
    for a parent it hands nothing), read from what the node stored for ``backward``:
    ``local * g`` for each of its local derivatives ``_local`` (the scalar engine), or
    ``rule(g)`` for each of its rules ``_rules``, to a parent that requires grad (the tensor
    engine). It is the same per-edge expression each engine's backward loop computes, and
    tests/test_explorer.py::test_replay_equals_grad_after_one_backward proves that the
    replay equals ``.grad``."""
    with quiet():  # inf and nan: the values backward gives, without NumPy's warnings
        if hasattr(node, "_local"):
            return tuple(local * g for local in node._local)
        return tuple(
            rule(g) if parent.requires_grad else None
            for parent, rule in zip(node._prev, node._rules)
        )


def replay(root):
    """The backward pass from ``root``, replayed without touching the graph.

    Returns ``(nodes, grads, steps, terms)``: ``nodes`` in creation order; ``grads[i]`` the
    gradient backward hands ``nodes[i]`` (``None`` where it hands none, e.g. a tensor that
    needs no gradient); ``steps`` the indices of the nodes with a gradient in the order
    backward visits them; ``terms[i][k]`` what ``nodes[i]`` passed to its ``k``-th parent
    (``None`` for nothing). Contributions are added in backward's own order, so after one
    ``backward()`` on fresh gradients ``grads[i]`` equals ``nodes[i].grad`` exactly.
    A stale graph raises backward's ``RuntimeError`` (a rule would read the new weights).
    """
    topological_order(_single_root(root))  # backward's walk: refuses a stale graph
    nodes = graph_nodes(root)  # the same nodes in the same creation order, numbered as drawn
    index = {id(n): i for i, n in enumerate(nodes)}
    grads = [None] * len(nodes)
    terms = [None] * len(nodes)
    grads[index[id(root)]] = np.ones_like(root.data)  # d root / d root
    steps = []
    for i in reversed(range(len(nodes))):
        g = grads[i]
        if g is None:
            continue
        steps.append(i)
        node = nodes[i]
        if not node._prev:
            continue
        terms[i] = handed_to_parents(node, g)
        for parent, pg in zip(node._prev, terms[i]):
            if pg is None:
                continue
            j = index[id(parent)]
            grads[j] = pg if grads[j] is None else grads[j] + pg
    return nodes, grads, steps, terms


def _locals(node, g, terms):
    """The local derivative d node / d parent for each parent, where it is one number (a
    node of one number and a parent of one number): what ``handed_to_parents`` gives for an
    upstream of 1."""
    if terms is None or np.ndim(node.data) != 0:
        return None
    ones = handed_to_parents(node, np.ones_like(g))
    return [None if t is None or np.ndim(t) != 0 else _plain(o) for t, o in zip(terms, ones)]


# -- what is drawn ----------------------------------------------------------------------------


def _grad_or_none(node):
    return grad_of(node) if node.requires_grad else None


def build_view(root, group=None, model=None):
    """Everything drawn for the graph behind ``root`` (a node, or the list ``graph_nodes``
    gives), with each node's ``.grad``: see ``minigrad.tools.graph_view.build_view``."""
    nodes = graph_nodes(root) if not isinstance(root, list) else root
    return graph_view.build_view(nodes, [_grad_or_none(n) for n in nodes], group, model)


def to_svg(node, grouped=None, model=None):
    """A static SVG picture of the graph behind ``node`` (or a list of nodes), each box with
    its op, data and ``.grad``; no Graphviz needed. ``model`` names its parameters."""
    nodes = nodes_behind(node, "draw")
    view = graph_view.build_view(nodes, [_grad_or_none(n) for n in nodes], grouped, model)
    return render_svg(view, interactive=False)


# -- the page ---------------------------------------------------------------------------------


def _plain(x):
    """``x`` as plain JSON-ready Python: a float, or nested lists of floats."""
    return _jsonable(np.asarray(x, dtype=np.float64).tolist())


def _jsonable(x):
    """``x`` with every non-finite float as the string "NaN", "Infinity" or "-Infinity"
    (JSON has no such numbers; the page prints the strings as they are)."""
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and x - x != 0.0:
        return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")
    return x


def _json_in_script(value):
    """``value`` as JSON that is safe inside a <script> element (no "<" at all)."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def _groups(view):
    out = {}
    for k, item in enumerate(view["items"]):
        if item[0] == "group":
            out[str(k)] = {"members": item[1], "out": item[2], "kind": "group"}
        elif item[0] == "params":
            key = item[2]
            named = isinstance(key, str)
            shape = view["shapes"].get(key) if named else None
            out[str(k)] = {
                "members": item[1],
                "out": None,
                "kind": "params",
                "name": key if named else f"{len(item[1])} shared leaves",
                "shape": list(shape) if shape else None,
            }
    return out


def _payload(root, group=None, model=None):
    nodes, grads, steps, terms = replay(root)
    view = graph_view.build_view(nodes, grads, group, model)
    called = any(n._has_grad for n in nodes if n.requires_grad)
    mismatched = 0
    for n, g in zip(nodes, grads):
        if g is None or not n.requires_grad:
            continue
        if not np.allclose(np.asarray(grad_of(n)), np.asarray(g), rtol=1e-12, atol=1e-12):
            mismatched += 1
    index = {id(n): i for i, n in enumerate(nodes)}
    ops = [str(n._op or "") for n in nodes]
    consts = view["consts"]
    arrays = any(holds_array(n) for n in nodes)
    data = {
        "op": ops,
        "name": {str(i): name for i, name in enumerate(view["names"]) if name},
        "shape": [list(np.shape(n.data)) for n in nodes] if arrays else None,
        "data": [_plain(n.data) for n in nodes],
        "grad": [None if g is None else _plain(g) for g in grads],
        "prev": [[index[id(p)] for p in n._prev] for n in nodes],
        "local": [_locals(n, grads[i], terms[i]) for i, n in enumerate(nodes)],
        "term": [
            None if terms[i] is None else [None if t is None else _plain(t) for t in terms[i]]
            for i in range(len(nodes))
        ],
        "steps": steps,
        "itemOf": view["item_of"],
        "column": view["column"],
        "groups": _groups(view),
        "consts": {str(i): [side, _plain(v), role] for i, (side, v, role) in consts.items()},
        "rules": {op: list(FUSED_RULES[op]) for op in sorted(set(ops)) if op in FUSED_RULES},
        "mismatched": mismatched,
        "called": called,
        "grouped": view["grouped"],
    }
    # where a term is exactly local * upstream (one number each), the page multiplies them
    for i, locs in enumerate(data["local"]):
        if locs is not None and all(v is not None for v in locs):
            data["term"][i] = None
    if not any(data["term"]):
        data["term"] = None  # (an engine with one node per number: every term is a product)
    svg = render_svg(view, interactive=True)
    return data, svg, view


def _caption(data, view):
    n = len(data["op"])
    what = f"{n:,} nodes, {len(data['steps']):,} of them get a gradient"
    if data["grouped"]:
        what += (
            f"; shown as {len(view['items'])} boxes: each node with {FAN_IN} or more parents is "
            "grouped with the nodes that feed only it (a neuron: its products, weights and bias) "
            "and its activation"
        )
        if any(it[0] == "params" for it in view["items"]):
            what += ", and the weights the samples share are one box per parameter"
        what += ". Click a group to list its nodes"
    return what + "."


def _check_note(data):
    shown = (
        "Gradients shown: one backward pass from this node, replayed with each node's "
        "backward rule."
    )
    if not data["called"]:
        return (
            "backward() has not been called yet (no node has a .grad, or zero_grad() cleared "
            "them): the gradients shown are those one backward() from this node will give."
        )
    if data["mismatched"] == 0:
        return f"{shown} They equal every node's .grad."
    return (
        f"{shown} .grad differs at {data['mismatched']} nodes: .grad adds up over every "
        "backward() call (and over other losses), the page shows a single pass."
    )


BOX_TIP = "reveal every gradient of the next box: a neuron, in a grouped graph (shift + \u2192)"
COLUMN_TIP = "reveal every gradient of the next column of boxes: a layer (Page Down)"


def explorer_section(root, title="", group=None, compact=False, extra="", model=None):
    """One explorer (toolbar, graph and side panel) as an HTML fragment, and its data."""
    data, svg, view = _payload(root, group=group, model=model)
    esc = html.escape
    fragment = f"""<section class="mg-explorer{" mg-compact" if compact else ""}">
<h2>{esc(title)}</h2>
<p class="mg-caption">{esc(_caption(data, view))} {esc(extra)}</p>
<p class="mg-note">{esc(_check_note(data))}</p>
<div class="mg-toolbar" role="toolbar">
<button type="button" data-act="step" title="reveal the next gradient (right arrow)">Step</button>
<button type="button" data-act="box" title="{esc(BOX_TIP)}">Step box</button>
<button type="button" data-act="column" title="{esc(COLUMN_TIP)}">Step column</button>
<button type="button" data-act="back" title="undo the last step (left arrow)">Back</button>
<button type="button" data-act="all" title="reveal every gradient (End)">Run all</button>
<button type="button" data-act="reset" title="hide every gradient (Home)">Reset</button>
<button type="button" data-act="fit" title="fit the whole graph in view">Fit</button>
<span class="mg-status" aria-live="polite"></span>
</div>
<div class="mg-main">
<div class="mg-canvas" tabindex="0">{svg}</div>
<aside class="mg-panel"></aside>
</div>
<script type="application/json">{_json_in_script(data)}</script>
</section>"""
    return fragment, data


def page(sections, title):
    """A whole HTML page around explorer sections (``sections``: HTML fragments)."""
    body = "\n".join(sections)
    script = graph_view._asset("explorer.js").replace("__LEGIBLE__", repr(LEGIBLE))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{graph_view._asset("explorer.css")}</style>
</head>
<body>
<main>
<h1>{html.escape(title)}</h1>
{body}
</main>
<script>{script}</script>
</body>
</html>
"""


class Explorer:
    """The explorer of one graph, as a notebook shows it (``_repr_html_``: the page in an
    isolated frame). ``html`` is the whole page; ``save(path)`` writes it."""

    def __init__(self, node, title=None, group=None, model=None):
        node = _single_root(node)
        self.title = title or "minigrad: the backward pass, step by step"
        fragment, self.data = explorer_section(node, group=group, model=model)
        self.html = page([fragment], self.title)

    def __repr__(self):  # what a notebook stores beside the page: no memory address
        return f"<minigrad explorer: {self.title}>"

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html)
        return path

    def _repr_html_(self):
        height = 820
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'style="width:100%;height:{height}px;border:1px solid #dee2e6;border-radius:8px" '
            'sandbox="allow-scripts" title="minigrad explorer"></iframe>'
        )


def explore_side_by_side(graphs, path, title):
    """One page with an explorer per graph: side by side on a wide screen, one above the
    other otherwise. ``graphs``: ``(heading, node, note)`` or ``(heading, node, note,
    model)`` (the note goes under the heading; the model names the parameters). Writes
    ``path`` and returns it."""
    sections = []
    for heading, node, note, *model in graphs:
        fragment, _ = explorer_section(
            _single_root(node), heading, compact=True, extra=note, model=model[0] if model else None
        )
        sections.append(fragment)
    text = page(['<div class="mg-row">', *sections, "</div>"], title)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def explore(
    node: Node,
    path: str | os.PathLike | None = None,
    group: bool | None = None,
    model: ModuleBase | None = None,
) -> str | os.PathLike | Explorer:
    """An interactive page that steps through the backward pass behind ``node`` (a
    ``Value`` or a ``Tensor``, typically a loss after ``backward()``).

    With ``path``, writes one self-contained HTML file there (no network request; it opens
    from disk in any browser) and returns ``path``. Without, returns an object that renders
    in Jupyter and VS Code. ``group``: ``None`` groups graphs of more than ``GROUP_ABOVE``
    nodes (a neuron becomes one box), ``True``/``False`` forces it. ``model``: the module
    the graph was built with; its parameters are shown by their ``named_parameters()``
    names (``layers.0.weight``, or ``layers.0.weight[3, 5]`` for one number of it), and the
    leaves that meet them as ``input``.

    The gradients shown are replayed from ``node`` (one backward pass, starting from 1);
    ``.grad`` equals them after one ``backward()`` on fresh gradients, and the page says
    whether it does.
    """
    explorer = Explorer(node, group=group, model=model)
    if path is None:
        return explorer
    if os.path.isdir(path):
        raise IsADirectoryError(f"explore: {os.fsdecode(path)!r} is a directory")
    return explorer.save(path)
