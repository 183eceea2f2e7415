"""The graph explorer: step through the backward pass of a ``Value`` or ``Tensor`` graph.

``explore(node, path)`` writes one self-contained HTML page (script and style inline, no
network request); ``explore(node)`` returns an object that renders in Jupyter and VS Code.
The page shows the graph left to right and, one Step at a time, the gradient of each node in
the order ``backward`` visits them (reverse creation order), with the edges that carried it
and the sum ``local x upstream`` that produced it.

What it shows is computed here, not read from ``.grad``: the backward pass is replayed from
``node``, starting from 1 at the root, with what each node stores for ``backward`` (its
local derivatives ``_local`` or its rules ``_rules``: ``handed_to_parents``). That is
d(node)/d(x) for this one pass. ``.grad`` accumulates across ``backward`` calls, so after a
single ``backward()`` on fresh gradients the two are equal, and the page says whether they
are.

Everything is laid out here in Python, with no Graphviz: ``layout`` puts each node in a
column by its longest distance to the root (so a leaf sits just left of its first use) and
orders each column by the barycentre of its neighbours. ``render_svg`` draws the laid-out
graph; the page's script only reveals gradients and highlights, it never moves a node.
``drawing.draw(node, "graph.svg")`` uses the same ``render_svg`` for a static picture.

Big graphs are grouped: above ``GROUP_ABOVE`` nodes, each node with many parents (a
neuron's n-ary ``sum``, a softmax's sum) becomes one box together with the nodes that feed
only it (its products, weights and bias) and the single-use chain after it (its
activation). A digits MLP 64-32-16-10 on one sample (5,627 scalar nodes) shows as 61
boxes; a group lists its nodes, with their gradients, when clicked.
"""

import heapq
import html
import json
import os

import numpy as np

from minigrad.common.fp_errors import quiet
from minigrad.common.graph import reachable, topological_order
from minigrad.tools.picture import holds_array, is_node, nodes_behind, summary

GROUP_ABOVE = 300  # group a graph with more nodes than this (explore(group=None))
FAN_IN = 8  # a node with at least this many parents heads a group
BOX_W, BOX_H, COL_GAP, ROW_GAP, PAD = 168, 66, 44, 14, 20


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


# -- grouping big graphs ----------------------------------------------------------------------


def group_nodes(nodes):
    """Groups for a big graph: a list of ``(members, out)`` (indices into ``nodes``).

    A node with at least ``FAN_IN`` parents heads a group; the group takes every ancestor
    all of whose children are already in it (the nodes that feed only the head), then the
    chain after the head while each next node has the previous one as its only parent and
    the previous one has no other child. Heads are taken from the root back, and no group
    takes another group's head, so a neuron stays a neuron.
    """
    index = {id(n): i for i, n in enumerate(nodes)}
    prev = [[index[id(p)] for p in n._prev] for n in nodes]
    children = [[] for _ in nodes]
    for i, ps in enumerate(prev):
        for j in ps:
            children[j].append(i)
    heads = {i for i, ps in enumerate(prev) if len(ps) >= FAN_IN}
    owner = [None] * len(nodes)
    groups = []
    for head in sorted(heads, reverse=True):
        members = {head}
        owner[head] = len(groups)
        # ancestors in reverse creation order, so each node's children are decided first
        todo = [-j for j in set(prev[head])]
        heapq.heapify(todo)
        queued = set(prev[head])
        while todo:
            j = -heapq.heappop(todo)
            if j in heads or owner[j] is not None:
                continue
            if all(c in members for c in children[j]):
                members.add(j)
                owner[j] = owner[head]
                for p in prev[j]:
                    if p not in queued:
                        queued.add(p)
                        heapq.heappush(todo, -p)
        out = head
        while len(children[out]) == 1:
            nxt = children[out][0]
            if len(set(prev[nxt])) != 1 or nxt in heads or owner[nxt] is not None:
                break
            members.add(nxt)
            owner[nxt] = owner[head]
            out = nxt
        groups.append((sorted(members), out))
    return groups


# -- layout -----------------------------------------------------------------------------------


def layout(n_items, edges, keys):
    """Columns and rows for ``n_items`` boxes joined by ``edges`` ``(a, b)`` (a feeds b).

    ``keys[a] < keys[b]`` for every edge (creation order). An item's column is its longest
    distance to a sink, counted from the right, so the root is the last column and a leaf
    sits just left of the first node that uses it. Rows: each column is ordered by the mean
    row of its neighbours, a few sweeps, then centred. Returns ``(column, row)`` lists.
    """
    children = [[] for _ in range(n_items)]
    neighbours = [[] for _ in range(n_items)]
    for a, b in edges:
        children[a].append(b)
        neighbours[a].append(b)
        neighbours[b].append(a)
    rank = [0] * n_items
    for a in sorted(range(n_items), key=lambda i: keys[i], reverse=True):
        if children[a]:
            rank[a] = 1 + max(rank[b] for b in children[a])
    last = max(rank, default=0)
    column = [last - r for r in rank]
    columns = [[] for _ in range(last + 1)]
    for a in sorted(range(n_items), key=lambda i: keys[i]):
        columns[column[a]].append(a)
    pos = [0.0] * n_items
    for col in columns:
        for r, a in enumerate(col):
            pos[a] = r - (len(col) - 1) / 2
    for sweep in range(8):
        order = columns if sweep % 2 == 0 else columns[::-1]
        for col in order:

            def centre(a, pos=pos):
                near = neighbours[a]
                return sum(pos[b] for b in near) / len(near) if near else pos[a]

            col.sort(key=centre)
            for r, a in enumerate(col):
                pos[a] = r - (len(col) - 1) / 2
    height = max(len(c) for c in columns) if columns else 0
    row = [0.0] * n_items
    for col in columns:
        for r, a in enumerate(col):
            row[a] = r + (height - len(col)) / 2
    return column, row


# -- what a box says ----------------------------------------------------------------------------


def _plain(x):
    """``x`` as plain JSON-ready Python: a float, or nested lists of floats."""
    return _jsonable(np.asarray(x, dtype=np.float64).tolist())


def _shape_text(node):
    return "x".join(map(str, np.shape(node.data))) if holds_array(node) else ""


def _header(node, i):
    op = str(node._op or "") or "leaf"
    label = str(getattr(node, "label", "") or "")
    shape = _shape_text(node)
    parts = [f"#{i} {op}"] + ([label] if label else []) + ([shape] if shape else [])
    return " \u00b7 ".join(parts)


def _clip(text, n=25):
    return text if len(text) <= n else text[: n - 1] + "\u2026"


# -- SVG --------------------------------------------------------------------------------------


def _asset(name):
    """A file shipped beside this module (the page's script and styles)."""
    with open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8") as f:
        return f.read()


SVG_STYLE = _asset("explorer_svg.css")


def _box_x(col):
    return PAD + col * (BOX_W + COL_GAP)


def _box_y(row):
    return PAD + row * (BOX_H + ROW_GAP)


def render_svg(view, grad_text, interactive):
    """The SVG of a laid-out graph. ``grad_text(i)`` is the gradient line of node ``i``
    (the static picture shows ``.grad``; the page starts with "grad ?")."""
    nodes, items, edges, column, row = (
        view["nodes"],
        view["items"],
        view["edges"],
        view["column"],
        view["row"],
    )
    width = _box_x(max(column, default=0)) + BOX_W + PAD
    height = _box_y(max(row, default=0)) + BOX_H + PAD
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="mg-svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">',
        f"<style>{SVG_STYLE}</style>",
        "<defs>"
        + "".join(
            f'<marker id="mg-arrow{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
            f'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
            f'<path d="M0,0L10,5L0,10z" fill="{colour}"/></marker>'
            for name, colour in (("", "#9aa4b1"), ("-carry", "#e8590c"))
        )
        + "</defs>",
    ]
    for a, b in edges:
        x1, y1 = _box_x(column[a]) + BOX_W, _box_y(row[a]) + BOX_H / 2
        x2, y2 = _box_x(column[b]), _box_y(row[b]) + BOX_H / 2
        mid = (x1 + x2) / 2
        out.append(
            f'<path class="mg-edge" data-edge="{a}-{b}" marker-end="url(#mg-arrow)" '
            f'd="M{x1:.1f},{y1:.1f}C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"/>'
        )
    esc = html.escape
    for k, item in enumerate(items):
        x, y = _box_x(column[k]), _box_y(row[k])
        if item[0] == "node":
            i = item[1]
            node = nodes[i]
            classes = "mg-node" + ("" if node._prev else " mg-leaf")
            classes += "" if interactive else " mg-static"
            classes += " mg-root" if i == len(nodes) - 1 else ""
            classes += " mg-nograd" if grad_text(i) == "no grad" else ""
            attrs = f'class="{classes}" data-node="{i}"'
            title = f"{_header(node, i)}\ndata {summary(node.data)}"
            lines = [
                ("mg-op", _clip(_header(node, i))),
                ("mg-data", _clip("data " + summary(node.data))),
                ("mg-grad", _clip(grad_text(i))),
            ]
        else:
            members, out_i = item[1], item[2]
            attrs = f'class="mg-group" data-group="{k}"'
            head = nodes[out_i]
            title = f"a group of {len(members)} nodes ending in #{out_i}; click to list them"
            name = _group_name(nodes, members, out_i)
            lines = [
                ("mg-op", _clip(name)),
                ("mg-data", _clip(f"{len(members)} nodes, data {summary(head.data)}")),
                ("mg-grad", _clip(grad_text(out_i) if not interactive else "grads 0/?")),
            ]
        out.append(f'<g {attrs} transform="translate({x:.1f},{y:.1f})">')
        if interactive:
            out.append(f"<title>{esc(title)}</title>")
        out.append(f'<rect class="mg-box" width="{BOX_W}" height="{BOX_H}" rx="7"/>')
        if item[0] == "group" and interactive:  # how many of its gradients are revealed
            out.append(f'<rect class="mg-bar" x="1" y="1" width="0" height="{BOX_H - 2}" rx="6"/>')
        for n, (cls, text) in enumerate(lines):
            out.append(f'<text class="{cls}" x="9" y="{19 + n * 18}">{esc(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def _group_name(nodes, members, out_i):
    """A group's caption: its label if the output node has one, else e.g. "relu(sum of 65)"."""
    label = str(getattr(nodes[out_i], "label", "") or "")
    if label:
        return label
    head = next(i for i in members if len(nodes[i]._prev) >= FAN_IN)
    core = f"{nodes[head]._op or 'op'} of {len(nodes[head]._prev)}"
    return f"{nodes[out_i]._op}({core})" if out_i != head else core


def build_view(root, group=None):
    """Everything drawn for the graph behind ``root``: the nodes, the boxes (a node or a
    group), the edges between boxes and their layout."""
    nodes = graph_nodes(root) if not isinstance(root, list) else root
    index = {id(n): i for i, n in enumerate(nodes)}
    if group is None:
        group = len(nodes) > GROUP_ABOVE
    groups = group_nodes(nodes) if group else []
    item_of = [None] * len(nodes)
    items = []
    for members, out in groups:
        for i in members:
            item_of[i] = len(items)
        items.append(("group", members, out))
    for i in range(len(nodes)):
        if item_of[i] is None:
            item_of[i] = len(items)
            items.append(("node", i))
    keys = [it[2] if it[0] == "group" else it[1] for it in items]
    edges = sorted(
        {
            (item_of[index[id(p)]], item_of[i])
            for i, n in enumerate(nodes)
            for p in n._prev
            if item_of[index[id(p)]] != item_of[i]
        }
    )
    column, row = layout(len(items), edges, keys)
    return {
        "nodes": nodes,
        "items": items,
        "item_of": item_of,
        "edges": edges,
        "column": column,
        "row": row,
        "grouped": bool(groups),
    }


def to_svg(node, grouped=None):
    """A static SVG picture of the graph behind ``node`` (or a list of nodes), each box with
    its op, data and ``.grad``; no Graphviz needed."""
    view = build_view(nodes_behind(node, "draw"), group=grouped)
    nodes = view["nodes"]

    def grad_text(i):
        n = nodes[i]
        return "grad " + summary(n.grad) if n.requires_grad else "no grad"

    return render_svg(view, grad_text, interactive=False)


# -- the page ---------------------------------------------------------------------------------


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


def _payload(root, group=None):
    nodes, grads, steps, terms = replay(root)
    view = build_view(nodes, group=group)
    mismatched = 0
    for n, g in zip(nodes, grads):
        if g is None or not n.requires_grad:
            continue
        if not np.allclose(np.asarray(n.grad), np.asarray(g), rtol=1e-12, atol=1e-12):
            mismatched += 1
    index = {id(n): i for i, n in enumerate(nodes)}
    data = {
        "op": [str(n._op or "") for n in nodes],
        "label": [str(getattr(n, "label", "") or "") for n in nodes],
        "shape": [list(np.shape(n.data)) if holds_array(n) else None for n in nodes],
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
        "groups": {
            str(k): {"members": it[1], "out": it[2]}
            for k, it in enumerate(view["items"])
            if it[0] == "group"
        },
        "mismatched": mismatched,
        "grouped": view["grouped"],
    }
    # where a term is exactly local * upstream (one number each), the page multiplies them
    for i, locs in enumerate(data["local"]):
        if locs is not None and all(v is not None for v in locs):
            data["term"][i] = None
    has_grad = [g is not None for g in grads]
    svg = render_svg(view, lambda i: "grad ?" if has_grad[i] else "no grad", interactive=True)
    return data, svg, view


def _caption(data, n_items):
    n = len(data["op"])
    what = f"{n:,} nodes, {len(data['steps']):,} of them get a gradient"
    if data["grouped"]:
        what += (
            f"; shown as {n_items} boxes: each node with {FAN_IN} or more parents is grouped "
            "with the nodes that feed only it (a neuron: its products, weights and bias) and "
            "its activation. Click a group to list its nodes"
        )
    return what + "."


def _check_note(mismatched):
    if mismatched == 0:
        return (
            "Gradients shown: one backward pass from this node, replayed with each node's "
            "backward rule. They equal every node's .grad."
        )
    return (
        "Gradients shown: one backward pass from this node, replayed with each node's backward "
        f"rule. .grad differs at {mismatched} nodes: .grad adds up over every backward() call "
        "(and over other losses), the page shows a single pass."
    )


def explorer_section(root, title="", group=None, compact=False, extra=""):
    """One explorer (toolbar, graph and side panel) as an HTML fragment, and its data."""
    data, svg, view = _payload(root, group=group)
    caption = _caption(data, len(view["items"]))
    esc = html.escape
    fragment = f"""<section class="mg-explorer{" mg-compact" if compact else ""}">
<h2>{esc(title)}</h2>
<p class="mg-caption">{esc(caption)} {esc(extra)}</p>
<p class="mg-note">{esc(_check_note(data["mismatched"]))}</p>
<div class="mg-toolbar" role="toolbar">
<button type="button" data-act="step" title="reveal the next gradient (right arrow)">Step</button>
<button type="button" data-act="back" title="undo the last step (left arrow)">Back</button>
<button type="button" data-act="all" title="reveal every gradient (End)">Run all</button>
<button type="button" data-act="reset" title="hide every gradient (Home)">Reset</button>
<button type="button" data-act="fit" title="fit the graph in view">Fit</button>
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
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_asset("explorer.css")}</style>
</head>
<body>
<main>
<h1>{html.escape(title)}</h1>
{body}
</main>
<script>{_asset("explorer.js").replace("__BOX_W__", str(BOX_W))}</script>
</body>
</html>
"""


class Explorer:
    """The explorer of one graph, as a notebook shows it (``_repr_html_``: the page in an
    isolated frame). ``html`` is the whole page; ``save(path)`` writes it."""

    def __init__(self, node, title=None, group=None):
        node = _single_root(node)
        self.title = title or "minigrad: the backward pass, step by step"
        fragment, self.data = explorer_section(node, group=group)
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
    """One page with an explorer per graph, side by side. ``graphs``: ``(heading, node,
    note)`` triples (the note goes under the heading). Writes ``path`` and returns it."""
    sections = []
    for heading, node, note in graphs:
        fragment, _ = explorer_section(_single_root(node), heading, compact=True, extra=note)
        sections.append(fragment)
    text = page(['<div class="mg-row">', *sections, "</div>"], title)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def explore(node, path=None, group=None):
    """An interactive page that steps through the backward pass behind ``node`` (a
    ``Value`` or a ``Tensor``, typically a loss after ``backward()``).

    With ``path``, writes one self-contained HTML file there (no network request; it opens
    from disk in any browser) and returns ``path``. Without, returns an object that renders
    in Jupyter and VS Code. ``group``: ``None`` groups graphs of more than ``GROUP_ABOVE``
    nodes (a neuron becomes one box), ``True``/``False`` forces it.

    The gradients shown are replayed from ``node`` (one backward pass, starting from 1);
    ``.grad`` equals them after one ``backward()`` on fresh gradients, and the page says
    whether it does.
    """
    explorer = Explorer(node, group=group)
    if path is None:
        return explorer
    if os.path.isdir(path):
        raise IsADirectoryError(f"explore: {os.fsdecode(path)!r} is a directory")
    return explorer.save(path)
