"""The graph walk: the one detour a reader of either ``engine.py`` takes.

A node's parents exist before the node does, so the order in which nodes were created is
a topological order. Each engine stamps its nodes with a creation number ``_id`` from
``next_id``; ``topological_order`` gathers the nodes a root depends on (an iterative walk:
no recursion limit, however deep the graph) and sorts them by that number. The drawings
walk the same way with ``reachable`` (no stale check: a stale graph can still be drawn);
the explorer replays backward on ``topological_order`` itself.

The same stamp is a parameter's version: when an optimizer's ``step()`` or
``load_state_dict()`` writes a parameter, ``renew_stamps`` gives it a fresh ``_id``, as if
it were a new node (one stamp for all of them: parameters are leaves, so their order
among themselves changes no gradient). A graph built before that write then holds an edge
from a node to a parent *newer* than itself, which no fresh graph can hold.
``topological_order`` meets every edge on its way, and raises ``stale_graph_error()`` at such
an edge before ``backward`` adds a single gradient, instead of mixing old and new weights
(tests/test_stale_graph.py proves it for both engines).

A backward pass gathers each node's gradient in the node's ``_acc`` slot, so two passes over
graphs that share nodes (two threads, one model, a loss each) must not run at once: each
engine's ``backward`` holds ``backward_lock`` for its whole pass, and the passes take turns
(each ``.grad`` then receives both gradients, as in PyTorch; tests/test_trust_state.py).
The lock costs about 1,500 instructions per pass (0.003% of a scalar digits training step,
0.3% of a tensor one); a dict per pass instead of the slot cost 9% of a scalar step. It is
not reentrant: a backward pass never starts another.
"""

import itertools
import operator
import threading

next_id = itertools.count().__next__
_get_id = operator.attrgetter("_id")
backward_lock = threading.Lock()  # held by each engine's backward for its whole pass


def topological_order(root):
    """The nodes ``root`` depends on through ``_prev``, ``root`` included, parents before
    children; raises ``RuntimeError`` on a stale graph (see above).

    Parents come before children whatever the order of ties: only the parameters one
    ``renew_stamps`` call wrote share a stamp, and they are leaves, whose order among
    themselves changes no gradient.
    """
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        stamp = node._id
        for parent in node._prev:
            if parent._id > stamp:  # a parameter written after this graph was built
                raise stale_graph_error()
            if parent not in seen:
                seen.add(parent)
                if parent._prev:  # a leaf has no parents to visit
                    stack.append(parent)
    return sorted(seen, key=_get_id)


def reachable(roots):
    """Every node reachable from ``roots`` (an iterable of nodes) through ``_prev``, in
    creation order, stale or not: what a drawing shows. The same graph always gives the
    same list (ties, see above, keep the order the walk met them in)."""
    seen = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node._prev)
    return sorted(seen.values(), key=_get_id)


def renew_stamps(params):
    """Mark ``params`` as changed now: graphs built before this call become stale."""
    stamp = next_id()
    for p in params:
        p._id = stamp


def stale_graph_error():
    """The error raised on an edge from a node to a parent newer than itself."""
    return RuntimeError(
        "a parameter of this graph changed after this graph was built (by an optimizer's "
        "step() or load_state_dict()); run the forward pass again"
    )
