"""The graph walk both engines' ``backward`` starts from.

A node's parents exist before the node does, so the order in which nodes were created is
a topological order. Each engine stamps its nodes with a creation number ``_id`` from
``next_id``; ``topological_order`` gathers the nodes a root depends on with an iterative
walk (no recursion limit, no per-node tuple) and sorts them by that number.
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
                push(parent)
    return sorted(seen, key=_get_id)
