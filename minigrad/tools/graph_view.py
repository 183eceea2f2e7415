"""The laid-out picture of a graph, shared by the explorer's page and the static ``.svg``:
which boxes there are, what each says, where each goes, and the SVG that draws them.

A box is one of four things (``build_view``'s ``items``):

- ``("node", i)``: one node;
- ``("group", members, out)``: a node with ``FAN_IN`` or more parents (a neuron's n-ary
  sum, a softmax's sum) with the nodes that feed only it and the single-use chain after it
  (its activation), ending in node ``out``; only in a big graph (``GROUP_ABOVE``);
- ``("params", members, key)``: the leaves a batch shares between groups, one box per
  parameter (``key``, its ``state_dict`` name, when the model is given), else one per set
  of groups they feed (a neuron's weights and bias): at batch 8 a weight is one box, not
  one per number;
- ``("const", i)``: the plain number node ``i`` was given as an operand (the ``2`` of
  ``x - 2``), which an engine with one node per number folds into the op
  (``picture.folded_constant``).

``layout`` puts each box in a column by its longest distance to the root (so a leaf sits
just left of its first use) and orders each column by the barycentre of its neighbours;
each column is as wide as its widest text. ``render_svg`` draws the result; the page's
script only reveals gradients and highlights, it never moves a box.
"""

import heapq
import html
import importlib.resources
import math
from collections import Counter

import numpy as np

from minigrad.tools.picture import (
    constant_role,
    folded_constant,
    holds_array,
    node_names,
    number,
    parameter_names,
    summary,
)

GROUP_ABOVE = 300  # group a graph with more nodes than this (explore(group=None))
FAN_IN = 8  # a node with at least this many parents heads a group
BOX_H, CONST_H = 66, 28  # the height of a box, and of a constant's
COL_GAP, ROW_GAP, PAD = 40, 12, 20
CLIP = 25  # characters of a box's line
# width of a character of the boxes' 12px font (bold first line, then the others), measured
# in Chromium: a column is as wide as its longest line needs
BOLD_W, CHAR_W, TEXT_X = 7.5, 6.8, 9
MIN_W = 96
BOX_W = math.ceil(2 * TEXT_X + CLIP * BOLD_W)  # the widest box


# -- grouping big graphs ----------------------------------------------------------------------


def parents_of(nodes):
    """``prev[i]``: the indices of ``nodes[i]``'s parents, in ``_prev`` order."""
    index = {id(n): i for i, n in enumerate(nodes)}
    return [[index[id(p)] for p in n._prev] for n in nodes]


def group_nodes(nodes, prev=None):
    """Groups for a big graph: a list of ``(members, out)`` (indices into ``nodes``).

    A node with at least ``FAN_IN`` parents heads a group; the group takes every ancestor
    all of whose children are already in it (the nodes that feed only the head), then the
    chain after the head while each next node has the previous one as its only parent and
    the previous one has no other child. Heads are taken from the root back, and no group
    takes another group's head, so a neuron stays a neuron.
    """
    prev = parents_of(nodes) if prev is None else prev
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


def group_shared_leaves(nodes, prev, owner, keys):
    """Boxes for the leaves that several groups share (a weight used by every sample of a
    batch): a list of ``(members, key)``.

    A leaf that no group took, all of whose uses are inside groups, joins the leaves of the
    same parameter (``keys[i]``, its ``state_dict`` key, when known), else those that feed
    the same groups (a neuron's weights and bias). A box needs two leaves or more.
    ``owner[i]`` is the group of node ``i``, or ``None``.
    """
    children = [[] for _ in nodes]
    for i, ps in enumerate(prev):
        for j in ps:
            children[j].append(i)
    found = {}
    for j in range(len(nodes)):
        if prev[j] or owner[j] is not None or not children[j]:
            continue
        fed = [owner[c] for c in children[j]]
        if any(g is None for g in fed):
            continue
        key = keys.get(j) or frozenset(fed)
        found.setdefault(key, []).append(j)
    return [(members, key) for key, members in found.items() if len(members) >= 2]


# -- what a box says ----------------------------------------------------------------------------


def shape_text(node):
    return "x".join(map(str, np.shape(node.data))) if holds_array(node) else ""


def node_header(node, i, name):
    """A box's first line: a named leaf by its name (``layers.0.weight · 2x2``, ``input``,
    ``x1``), any other node by its number and op (``#7 linear · 1x1``, ``#9 tanh · o``)."""
    shape = shape_text(node)
    if name and not node._prev:
        parts = [name]
    else:
        parts = [f"#{i} {node._op or 'leaf'}"] + ([name] if name else [])
    return " \u00b7 ".join(parts + ([shape] if shape else []))


def clip(text, n=CLIP):
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def grad_line(g):
    """The last line of a box: its gradient, or "no grad" (``g`` is ``None``)."""
    return "no grad" if g is None else "grad " + summary(g)


def group_name(nodes, names, members, out):
    """A group's caption: the name of its output node if it has one, else e.g.
    "relu(sum of 65)"."""
    if names[out]:
        return names[out]
    head = next(i for i in members if len(nodes[i]._prev) >= FAN_IN)
    core = f"{nodes[head]._op or 'op'} of {len(nodes[head]._prev)}"
    return f"{nodes[out]._op}({core})" if out != head else core


def _values(nodes, members):
    return np.array([float(np.asarray(nodes[i].data)) for i in members])


def _lines(view, k, grads):
    """``[(class, text), ...]``: the lines box ``k`` shows once every gradient is revealed."""
    nodes, names, item = view["nodes"], view["names"], view["items"][k]
    kind = item[0]
    if kind == "node":
        i = item[1]
        node = nodes[i]
        return [
            ("mg-op", node_header(node, i, names[i])),
            ("mg-data", "data " + summary(node.data)),
            ("mg-grad", grad_line(grads[i])),
        ]
    if kind == "const":
        _, value = view["consts"][item[1]][:2]
        return [("mg-op", f"{view['consts'][item[1]][2]} {number(value)}")]
    members = item[1]
    if kind == "group":
        out = item[2]
        return [
            ("mg-op", group_name(nodes, names, members, out)),
            ("mg-data", f"{len(members)} nodes, data {summary(nodes[out].data)}"),
            ("mg-grad", grad_line(grads[out])),
        ]
    shape = view["shapes"].get(item[2])
    what = item[2] if isinstance(item[2], str) else f"{len(members)} shared leaves"
    if isinstance(item[2], str) and shape:
        what += " \u00b7 " + "x".join(map(str, shape))
    given = [grads[i] for i in members if grads[i] is not None]
    return [
        ("mg-op", what),
        ("mg-data", f"{len(members)} values, {summary(_values(nodes, members))}"),
        ("mg-grad", "grad " + summary(np.asarray(given, dtype=np.float64)) if given else "no grad"),
    ]


def _width(lines):
    need = max(len(clip(text)) * (BOLD_W if cls == "mg-op" else CHAR_W) for cls, text in lines)
    return max(MIN_W, min(BOX_W, math.ceil(need + 2 * TEXT_X)))


# -- the view -----------------------------------------------------------------------------------


def build_view(nodes, grads, group=None, model=None):
    """Everything drawn for ``nodes`` (creation order), whose gradients are ``grads``
    (``grads[i]`` is ``None`` for a node that gets none): the boxes, their lines, the edges
    between boxes (``uses[(a, b)]``: how many times a node uses another one), and where each
    box goes. ``group``: ``None`` groups more than ``GROUP_ABOVE`` nodes. ``model`` names
    the parameters (``picture.parameter_names``)."""
    params = parameter_names(model)
    names = node_names(nodes, params)
    prev = parents_of(nodes)
    if group is None:
        group = len(nodes) > GROUP_ABOVE
    items, item_of = [], [None] * len(nodes)
    shapes = {}
    if group:
        for members, out in group_nodes(nodes, prev):
            for i in members:
                item_of[i] = len(items)
            items.append(("group", members, out))
        keys = {i: params[id(n)][1] for i, n in enumerate(nodes) if id(n) in params}
        order = {id(n): k for k, (_, n) in enumerate(model.named_parameters())} if params else {}
        for members, key in group_shared_leaves(nodes, prev, item_of, keys):
            members = sorted(members, key=lambda i: (order.get(id(nodes[i]), 0), i))
            for i in members:
                item_of[i] = len(items)
            items.append(("params", members, key))
        if params:
            shapes = {k: v.shape for k, v in model.state_dict().items()}
    consts = {}
    for i in range(len(nodes)):
        if item_of[i] is None:
            item_of[i] = len(items)
            items.append(("node", i))
            found = folded_constant(nodes[i])
            if found is not None:
                consts[i] = (*found, constant_role(nodes[i], params))
    const_item = {}
    for i in consts:
        const_item[i] = len(items)
        items.append(("const", i))
    uses = Counter()
    for i, ps in enumerate(prev):
        for j in ps:
            if item_of[j] != item_of[i]:
                uses[(item_of[j], item_of[i])] += 1
    for i, k in const_item.items():
        uses[(k, item_of[i])] += 1
    view = {
        "nodes": nodes,
        "names": names,
        "items": items,
        "item_of": item_of,
        "edges": sorted(uses),
        "uses": {e: n for e, n in uses.items() if n > 1 and items[e[0]][0] == "node"},
        "consts": consts,
        "shapes": shapes,
        "grouped": any(it[0] == "group" for it in items),
    }
    view["lines"] = [_lines(view, k, grads) for k in range(len(items))]
    place(view)
    return view


def _key(item):
    """An order of the boxes in which every edge goes forward (creation order)."""
    kind = item[0]
    if kind == "node":
        return item[1]
    if kind == "const":
        return item[1] - 0.5
    return item[2] if kind == "group" else max(item[1])


def place(view):
    """Set each box's column, ``x``, ``y``, width ``w`` and height ``h``, and the size of
    the whole picture (``width``, ``height``)."""
    items = view["items"]
    column, columns = layout(len(items), view["edges"], [_key(it) for it in items])
    widths = [_width(lines) for lines in view["lines"]]
    col_w = [max((widths[a] for a in col), default=MIN_W) for col in columns]
    col_x = [PAD + sum(col_w[:c]) + c * COL_GAP for c in range(len(columns))]
    h = [CONST_H if it[0] == "const" else BOX_H for it in items]
    col_h = [sum(h[a] for a in col) + ROW_GAP * max(len(col) - 1, 0) for col in columns]
    tallest = max(col_h, default=0)
    x, y, w = [0.0] * len(items), [0.0] * len(items), [0] * len(items)
    for c, col in enumerate(columns):
        top = PAD + (tallest - col_h[c]) / 2
        for a in col:
            x[a], y[a], w[a] = col_x[c], top, col_w[c]
            top += h[a] + ROW_GAP
    view.update(column=column, x=x, y=y, w=w, h=h)
    view["width"] = (col_x[-1] + col_w[-1] if columns else 0) + PAD
    view["height"] = tallest + 2 * PAD


def layout(n_items, edges, keys):
    """Columns for ``n_items`` boxes joined by ``edges`` ``(a, b)`` (a feeds b).

    ``keys[a] < keys[b]`` for every edge (creation order). An item's column is its longest
    distance to a sink, counted from the right, so the root is the last column and a leaf
    sits just left of the first node that uses it. Each column is ordered by the mean
    position of its neighbours, a few sweeps. Returns ``(column, columns)``: the column of
    each item, and each column's items top to bottom.
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
    columns = [[] for _ in range(last + 1)] if n_items else []
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
    return column, columns


# -- SVG ----------------------------------------------------------------------------------------


def _asset(name):
    """A file shipped beside this module (the page's script and styles), read as package
    data: it works from a wheel, a zip (zipapp, pex, shiv) or a clone alike."""
    return importlib.resources.files("minigrad.tools").joinpath(name).read_text(encoding="utf-8")


SVG_STYLE = _asset("explorer_svg.css")
_MARKERS = "".join(
    f'<marker id="mg-arrow{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
    f'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
    f'<path d="M0,0L10,5L0,10z" fill="{colour}"/></marker>'
    for name, colour in (("", "#9aa4b1"), ("-carry", "#e8590c"))
)
USE_GAP = 10  # pixels between the edges of a node used twice by another (a + a)


def _edges(view):
    x, y, w, h = view["x"], view["y"], view["w"], view["h"]
    out = []
    for a, b in view["edges"]:
        n = view["uses"].get((a, b), 1)
        for u in range(n):  # a node used twice by one op gets two edges (b = a + a)
            off = (u - (n - 1) / 2) * USE_GAP
            x1, y1 = x[a] + w[a], y[a] + h[a] / 2 + off
            x2, y2 = x[b], y[b] + h[b] / 2 + off
            mid = (x1 + x2) / 2
            out.append(
                f'<path class="mg-edge" data-edge="{a}-{b}" '
                f'd="M{x1:.0f},{y1:.0f}C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"/>'
            )
    return out


def render_svg(view, interactive):
    """The SVG of a laid-out view. The static picture shows every gradient; the page
    (``interactive``) starts with "grad ?" where a gradient is still to be revealed."""
    nodes, items, lines = view["nodes"], view["items"], view["lines"]
    width, height = view["width"], view["height"]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="mg-svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">',
        f"<style>{SVG_STYLE}</style>",
        f"<defs>{_MARKERS}</defs>",
        *_edges(view),
    ]
    esc = html.escape
    for k, item in enumerate(items):
        kind, text = item[0], list(lines[k])
        if kind == "node":
            i = item[1]
            node = nodes[i]
            no_grad = text[2][1] == "no grad"
            classes = "mg-node" + ("" if node._prev else " mg-leaf")
            classes += "" if interactive else " mg-static"
            classes += " mg-root" if i == len(nodes) - 1 else ""
            classes += " mg-nograd" if no_grad else ""
            attrs = f'class="{classes}" data-node="{i}"'
            title = f"{text[0][1]}\ndata {summary(node.data)}"
            if interactive and not no_grad:
                text[2] = ("mg-grad", "grad ?")
        elif kind == "const":
            attrs = f'class="mg-const" data-const="{item[1]}"'
            title = f"a plain number, an operand of #{item[1]}: no node, no gradient"
        else:
            members = item[1]
            what = "group" if kind == "group" else "params"
            attrs = f'class="mg-group mg-{what}" data-group="{k}"'
            if kind == "group":
                title = f"a group of {len(members)} nodes ending in #{item[2]}; click to list them"
            else:
                title = f"{len(members)} leaves the batch shares; click to list them"
            if interactive and text[2][1] != "no grad":
                text[2] = ("mg-grad", "grads 0/?")
        out.append(f'<g {attrs} transform="translate({view["x"][k]:.0f},{view["y"][k]:.0f})">')
        if interactive:
            out.append(f"<title>{esc(title)}</title>")
        w, h = view["w"][k], view["h"][k]
        out.append(f'<rect class="mg-box" width="{w}" height="{h}" rx="7"/>')
        if kind in ("group", "params") and interactive:  # how many gradients are revealed
            out.append(f'<rect class="mg-bar" x="1" y="1" width="0" height="{h - 2}" rx="6"/>')
        for n, (cls, line) in enumerate(text):
            top = 18 if kind == "const" else 19 + n * 18
            out.append(f'<text class="{cls}" x="{TEXT_X}" y="{top}">{esc(clip(line))}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)
