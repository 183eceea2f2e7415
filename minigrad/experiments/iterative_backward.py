"""Why minigrad's graph walk is a loop with a stack of its own, not a recursive function.

The idea. Before ``backward()`` can take its steps it must list the nodes the output
depends on, parents before children. minigrad does it with a loop and a list it uses as a
stack (``topological_order`` in ``minigrad/common/graph.py``): the only limit on the depth
of a graph is memory.

The counterfactual: micrograd's ``build_topo``, a function that calls itself on each
parent (``micrograd_backward`` below, micrograd's ``backward`` line for line). Every call
waits on the Python stack until its parents are done, so a chain of ``n`` ops needs ``n``
nested calls, and Python stops at ``sys.getrecursionlimit()`` frames (1,000 by default)
with a ``RecursionError``. A chain of 1,000 ops is not exotic: a recurrent net unrolled over
a long sequence, or a loop that updates one value step after step, builds one.

The experiment builds chains ``y = x + 1 + 1 + ... + 1`` of growing depth in the scalar
engine, finds the deepest chain the recursion handles here (the exact number depends on how
many frames are already on the stack), and runs minigrad's ``backward()`` on chains up to a
million ops (``run(depth=...)`` sets the longest), timing it. It does not change Python's
recursion limit.
"""

import sys
import time

import numpy as np

import minigrad
from minigrad.experiments.result import Result

NAME = "iterative_backward"
CLAIM = (
    "micrograd's recursive graph walk dies with RecursionError on a chain of about 1,000 "
    "ops; minigrad's iterative walk takes a chain of a million."
)
SECONDS = 4

DEPTH = 1_000_000  # the longest chain minigrad's backward() is run on (run(depth=...))


# -- the counterfactual ----------------------------------------------------------------------


def micrograd_backward(root):
    """micrograd's ``Value.backward``: a recursive ``build_topo``, then one ``_backward()``
    step per node, from the output back."""
    topo = []
    visited = set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(root)
    root.grad = 1.0
    for v in reversed(topo):
        v._backward()


# -- the experiment ----------------------------------------------------------------------------


def chain(depth, start):
    """``x`` and ``y = x + 1 + 1 + ... + 1`` (``depth`` additions, one node each)."""
    x = minigrad.scalar.Value(start)
    y = x
    for _ in range(depth):
        y = y + 1.0
    return x, y


def recursive_walk(x, y):
    """micrograd's backward on the chain ``x -> y`` (fresh gradients): ``x.grad``, or
    ``"RecursionError"`` if it stopped there (before writing any gradient)."""
    try:
        micrograd_backward(y)
    except RecursionError:
        return "RecursionError"
    return x.grad


def both_walks(depth, start):
    """Both walks on a chain of ``depth`` ops: ``[depth, x.grad by the recursion (or
    "RecursionError"), x.grad by backward(), seconds to build the chain, seconds of
    backward()]``."""
    begin = time.perf_counter()
    x, y = chain(depth, start)
    build_s = time.perf_counter() - begin
    recursive = recursive_walk(x, y)
    if recursive != "RecursionError":  # it wrote gradients: a fresh chain for backward()
        x, y = chain(depth, start)
    begin = time.perf_counter()
    y.backward()
    backward_s = time.perf_counter() - begin
    return [depth, recursive, x.grad, build_s, backward_s]


def deepest_recursive_chain(start):
    """The longest chain the recursive walk gets through from here, found by bisection
    between 1 and 4 times the recursion limit (None if it gets through that too), and the
    rows of ``both_walks`` for every depth tried, by depth. (The exact number depends on
    how many frames are already on the stack: the table shows the very runs that found it.)
    """
    lo, hi = 1, 4 * sys.getrecursionlimit()
    tried = {hi: both_walks(hi, start)}
    if tried[hi][1] != "RecursionError":
        return None, tried
    while hi - lo > 1:  # lo gets through, hi does not
        mid = (lo + hi) // 2
        tried[mid] = both_walks(mid, start)
        if tried[mid][1] == "RecursionError":
            hi = mid
        else:
            lo = mid
    return lo, tried


def run(seed=0, depth=DEPTH):
    """Find where the recursive walk stops; run both walks on chains up to ``depth`` ops."""
    start = float(np.random.default_rng(seed).uniform(-1.0, 1.0))
    limit = sys.getrecursionlimit()
    deepest, tried = deepest_recursive_chain(start)
    shown = {} if deepest is None else {d: tried[d] for d in (deepest, deepest + 1)}
    for d in (10, 100, 10_000, 100_000, depth):
        if d <= depth and d not in shown:
            shown[d] = both_walks(d, start)
    rows = [shown[d] for d in sorted(shown)]

    longest = rows[-1]
    holds = (
        deepest is not None
        and deepest < 2 * limit
        and all(r[1] == "RecursionError" for r in rows if r[0] > deepest)
        and all(r[1] == 1.0 for r in rows if r[0] <= deepest)
        and all(r[2] == 1.0 for r in rows)
        and longest[0] > 4 * limit
    )
    verdict = (
        (
            f"micrograd's recursive walk gets through a chain of {deepest:,} ops here and "
            f"raises RecursionError at {deepest + 1:,} (recursion limit {limit:,}; the frames "
            "already on the stack count against it). "
            if deepest is not None
            else f"The recursive walk got through {4 * limit:,} ops: it no longer shows the limit. "
        )
        + f"minigrad's backward() takes a chain of {longest[0]:,} ops in {longest[4]:.2f} s "
        f"(building it took {longest[3]:.2f} s) and gives x.grad = {longest[2]}"
        + (
            ", as on every shorter chain."
            if all(r[2] == 1.0 for r in rows)
            else f"; wrong on chains of {[r[0] for r in rows if r[2] != 1.0]} ops."
        )
    )
    return Result(
        name=NAME,
        claim=CLAIM,
        setup=(
            f"scalar engine, chains y = x + 1 + ... + 1 (x = {start:.4f}, from "
            f"numpy.random.default_rng({seed})); micrograd_backward (this file: micrograd's "
            "recursive build_topo) against backward(); the deepest chain the recursion gets "
            f"through found by bisection; sys.getrecursionlimit() = {limit}, left unchanged. "
            "Times in seconds on this machine."
        ),
        columns=[
            "ops in the chain",
            "recursive walk: x.grad",
            "backward(): x.grad",
            "build s",
            "backward() s",
        ],
        rows=rows,
        verdict=verdict,
        holds=bool(holds),
        extra={"deepest_recursive_chain": deepest, "recursion_limit": limit},
    )
