"""Why backward walks the graph in topological order, and does not simply recurse.

The idea. ``loss.backward()`` must hand a node's gradient to its parents only once that
gradient is complete, that is after *every* child of the node has added its share. minigrad
sorts the graph so that children come before parents (``minigrad/common/graph.py``), then
takes one step of the chain rule per node, once each.

The counterfactual, the form learners propose again and again (micrograd's most repeated
question): "why sort? after a node has given its parents their gradients, just call each
parent's backward". Written below as ``recursive_backward``, in four lines, with the very
step minigrad takes at each node (``node._backward()``: ``parent.grad += local *
node.grad``). On a tree (every node used once) both agree. But when a node is used twice,
as ``b`` in ``c = b + b``, the recursion walks into ``b`` once per use, and each time
passes on the whole gradient ``b`` holds at that moment: ``b``'s gradient reaches ``a``
twice, and ``a.grad`` is 8, not 4. Everything below a reused node is wrong, and the number
of steps grows with the number of paths through the graph, not with the number
of nodes. (A recursion that remembers which nodes it has visited is no cure: it passes a
node's gradient on at the first visit, which can come before all of the node's children
have added their share.)

The experiment builds three graphs (``b = a + a; c = b + b``, a seeded random graph that
reuses nodes, and a seeded random tree), runs minigrad's ``backward()`` and the recursion on
each, in both engines, and compares every node's gradient and the number of steps taken.
"""

import random

import minigrad
from minigrad.common.graph import topological_order
from minigrad.experiments.result import Result

NAME = "toposort"
CLAIM = (
    "A backward pass that recurses into each parent right after a node's own step, instead "
    "of walking the graph in topological order, gives wrong gradients wherever a node is used "
    "more than once, and visits nodes once per path instead of once."
)
SECONDS = 1


# -- the counterfactual ----------------------------------------------------------------------


def recursive_backward(node, visits):
    """The recursion learners propose: this node's step of the chain rule, then each parent's
    backward, at once. ``visits`` counts the steps taken at each node (``{node: count}``)."""
    visits[node] = visits.get(node, 0) + 1
    node._backward()  # parent.grad += local * node.grad, for each parent
    for parent in node._prev:
        recursive_backward(parent, visits)


# -- the graphs --------------------------------------------------------------------------------
# A graph is written as a recipe first (leaf values, then ops naming their parents by index),
# so that the very same graph is built in both engines.


def doubling_recipe():
    """``a = 1.0; b = a + a; c = b + b``: the smallest graph with a reused node."""
    return ["a", "b", "c"], [1.0], [("+", 0, 0), ("+", 1, 1)]


def random_recipe(rng, n_leaves=3, n_ops=8):
    """A random graph that reuses nodes: each op takes its parents among the four newest
    nodes, so most nodes feed two or more later ones; the nodes no op used are then added
    up into the root, so that every node is part of the graph."""
    values = [round(rng.uniform(-1.0, 1.0), 2) for _ in range(n_leaves)]
    ops = []
    for k in range(n_leaves, n_leaves + n_ops):
        recent = range(max(0, k - 4), k)
        op = rng.choice(["+", "*", "tanh"])
        ops.append((op, rng.choice(recent)) if op == "tanh" else (op, *rng.sample(recent, 2)))
    used = {i for _, *parents in ops for i in parents}
    unused = [i for i in range(n_leaves + n_ops) if i not in used]
    while len(unused) > 1:
        ops.append(("+", unused.pop(0), unused.pop(0)))
        unused.append(n_leaves + len(ops) - 1)
    return _names(n_leaves, len(ops)), values, ops


def tree_recipe(rng, n_leaves=5):
    """A random tree: every node is used exactly once (combined until one node is left)."""
    values = [round(rng.uniform(-1.0, 1.0), 2) for _ in range(n_leaves)]
    unused = list(range(n_leaves))
    ops = []
    while len(unused) > 1:
        first, second = rng.sample(unused, 2)
        unused.remove(first)
        unused.remove(second)
        ops.append((rng.choice(["+", "*"]), first, second))
        unused.append(n_leaves + len(ops) - 1)
    return _names(n_leaves, len(ops)), values, ops


def _names(n_leaves, n_ops):
    """Leaves x0, x1, ...; op nodes numbered on: n3, n4, ..."""
    return [f"x{i}" for i in range(n_leaves)] + [f"n{k}" for k in range(n_leaves, n_leaves + n_ops)]


def build(engine, recipe):
    """The graph of ``recipe`` in ``engine``: its nodes, in creation order (the root last)."""
    names, values, ops = recipe
    nodes = [engine.leaf(v, label=names[i]) for i, v in enumerate(values)]
    for op, *parents in ops:
        p = [nodes[i] for i in parents]
        node = p[0].tanh() if op == "tanh" else (p[0] + p[1] if op == "+" else p[0] * p[1])
        node.label = names[len(nodes)]
        nodes.append(node)
    return nodes


def gradients(nodes):
    """Every node's gradient, as a float, by label."""
    return {n.label: float(minigrad.backend(n.engine).to_numpy(n.grad)) for n in nodes}


def compare(engine, recipe):
    """Run minigrad's backward and the recursion on the same graph: the gradients of both
    and the steps each took, by node label."""
    nodes = build(engine, recipe)
    root = nodes[-1]
    root.backward()
    right = gradients(nodes)
    steps_right = {n.label: 1 for n in topological_order(root)}  # one step per node
    for node in nodes:
        node._zero_grad()  # fresh gradients for the manual pass
    root.grad = 1.0
    visits = {}
    recursive_backward(root, visits)
    return right, gradients(nodes), steps_right, {n.label: c for n, c in visits.items()}


def run(seed=0):
    """Compare both backward passes on three graphs, in both engines."""
    rng = random.Random(seed)
    graphs = {
        "c = b + b": doubling_recipe(),
        "random graph": random_recipe(rng),
        "random tree": tree_recipe(rng),
    }
    rows, seen = [], {}
    for graph, recipe in graphs.items():
        for engine_name in ("tensor", "scalar"):  # (the scalar engine's numbers fill the rows)
            right, recursive, steps, visits = compare(minigrad.backend(engine_name), recipe)
            wrong = {
                label: (right[label], recursive[label])
                for label in recipe[0]
                if abs(recursive[label] - right[label]) > 1e-9 * max(1.0, abs(right[label]))
            }
            seen[graph, engine_name] = {
                "wrong": wrong,  # label -> (gradient by backward(), by the recursion)
                "nodes": len(steps),
                "steps": sum(steps.values()),
                "visits": sum(visits.values()),
            }
        for label in recipe[0]:  # the scalar engine's (the tensor engine's are compared below)
            rows.append([graph, label, right[label], recursive[label], steps[label], visits[label]])

    small, reused, tree = (seen[graph, "scalar"] for graph in graphs)
    engines_agree = all(same_findings(seen[g, "scalar"], seen[g, "tensor"]) for g in graphs)
    holds = (
        "a" in small["wrong"]
        and len(reused["wrong"]) > 0
        and not tree["wrong"]
        and small["visits"] > small["nodes"]
        and reused["visits"] > reused["nodes"]
        and tree["visits"] == tree["nodes"]
        and engines_agree
    )
    verdict = (
        f"On b = a + a; c = b + b the recursion gives "
        f"{_wrong_text(small['wrong'], ['a'])} and takes {small['visits']} steps for "
        f"{small['nodes']} nodes. On the random graph it gets {len(reused['wrong'])} of "
        f"{reused['nodes']} gradients wrong "
        f"({_wrong_text(reused['wrong'], graphs['random graph'][0])}) "
        f"and takes {reused['visits']} steps for {reused['nodes']} nodes. On the tree both give "
        f"the same {tree['nodes']} gradients, in {tree['visits']} steps each. "
        + (
            "Both engines give these same numbers."
            if engines_agree
            else "The two engines do not agree (see extra)."
        )
    )
    return Result(
        name=NAME,
        claim=CLAIM,
        setup=(
            "three graphs built in both engines: b = a + a; c = b + b; a random graph of 3 "
            "leaves and 8 ops (+, *, tanh) taking their parents among the 4 newest nodes, the "
            "unused ones summed into the root; a random tree of 5 leaves (+, *) "
            f"(random.Random({seed})). minigrad's backward() against recursive_backward "
            "(this file), each on fresh gradients; the rows are the scalar engine's."
        ),
        columns=[
            "graph",
            "node",
            "grad by backward()",
            "grad by recursion",
            "steps by backward()",
            "steps by recursion",
        ],
        rows=rows,
        verdict=verdict,
        holds=holds,
        extra={f"{graph} [{engine}]": found for (graph, engine), found in seen.items()},
    )


def same_findings(one, other):
    """Whether two engines' findings on one graph agree (gradients to 1e-9)."""
    if one["wrong"].keys() != other["wrong"].keys() or one["visits"] != other["visits"]:
        return False
    return all(
        abs(a - b) <= 1e-9 * max(1.0, abs(a))
        for label in one["wrong"]
        for a, b in zip(one["wrong"][label], other["wrong"][label])
    )


def _wrong_text(wrong, labels):
    """``x2.grad = 3.114 instead of 1.244, ...`` for the wrong gradients among ``labels``."""
    parts = [
        f"{k}.grad = {wrong[k][1]:.4g} instead of {wrong[k][0]:.4g}" for k in labels if k in wrong
    ]
    return ", ".join(parts) if parts else "none wrong"
