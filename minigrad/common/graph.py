"""The graph walk both engines' ``backward`` starts from.

A node's parents exist before the node does, so the order in which nodes were created is
a topological order. Each engine stamps its nodes with a creation number ``_id`` from
``next_id``; ``topological_order`` gathers the nodes a root depends on with an iterative
walk (no recursion limit, no per-node tuple) and sorts them by that number.

The same stamp is a parameter's version: when an optimizer's ``step()`` or
``load_state_dict()`` writes a parameter, ``renew_stamps`` gives it a fresh ``_id``, as if
it were a new node. A graph built before that write then holds an edge from a node to a
parent *newer* than itself, which no fresh graph can hold; each engine's ``backward`` meets
that edge and raises ``stale_graph_error()`` instead of mixing old and new weights.
"""

import itertools
import operator

next_id = itertools.count().__next__
_get_id = operator.attrgetter("_id")


def topological_order(root, acc_init):
    """Nodes reachable from ``root`` through ``_prev``, parents before children.

    Every node reached gets a fresh gradient accumulator ``_acc = acc_init`` (the engine's
    zero: ``0.0`` or ``None``), so that one backward pass adds exactly its own gradients.
    The order is deterministic: it depends only on when the nodes were created.
    """
    root._acc = acc_init
    seen = {root}
    stack = [root]
    add, push, pop = seen.add, stack.append, stack.pop
    while stack:
        for parent in pop()._prev:
            if parent not in seen:
                add(parent)
                parent._acc = acc_init
                if parent._prev:  # a leaf has no parents to visit
                    push(parent)
    return sorted(seen, key=_get_id)


def renew_stamps(params):
    """Mark ``params`` as changed now: graphs built before this call become stale."""
    stamp = next_id()
    for p in params:
        p._id = stamp


def stale_graph_error():
    """The error ``backward`` raises on an edge from a node to a parent newer than itself."""
    return RuntimeError(
        "a parameter of this graph changed after this graph was built (by an optimizer's "
        "step() or load_state_dict()); run the forward pass again"
    )


def has_stale_edge(order):
    """True if some node in ``order`` has a parent newer than itself (see above)."""
    return any(parent._id > node._id for node in order for parent in node._prev)
