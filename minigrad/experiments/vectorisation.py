"""Why vectorise: the scalar engine pays per number, the tensor engine per array.

An autograd engine's own cost (making a node, storing its local derivatives, visiting it in
backward) is paid once per graph node, whatever the node holds. The scalar engine makes a
node for every number: each weight times each input of each sample is a ``Value``, so one
training step of the digits network builds about 2,850 nodes per sample, on top of one
leaf per parameter, and a batch of 64 builds 64 times as many. The tensor engine makes a
node for every array operation: a layer is one matrix product whatever the batch, so the
same step builds the same 13 nodes at batch 1 and at batch 64, and the numbers inside
are NumPy's, in compiled loops. The scalar engine's time grows with its nodes; the tensor
engine's hardly moves. So the slowdown of scalar against tensor is not a constant: it
grows with the batch, because one side's graph grows with it and the other's does not.

The experiment runs the same training step (the digits MLP 64-32-16-10, ReLU,
cross-entropy, SGD: ``minigrad.tools.training.train_step``, the step ``minigrad.fit``
runs) in both engines at a few batch sizes, counts each step's graph nodes by walking
``_prev`` from the loss, and times the step. The workload and the node count are the ones
``pytest bench/`` measures (bench/engines.py imports them from here), on fewer sizes.
Node counts are exact; times vary with the machine and its load, so the verdict states
them but the claim rests on the counts.
"""

import gc
import time

import numpy as np

import minigrad
from minigrad.experiments.result import Result
from minigrad.tools.training import train_step

NAME = "vectorisation"
CLAIM = (
    "The scalar engine builds graph nodes per sample and the tensor engine per batch, so "
    "the scalar engine's slowdown grows with the batch size."
)
SECONDS = 3

# The benchmark workload (bench/engines.py imports these): the digits MLP, SGD at LR.
NIN = 64
DIGITS_HIDDEN = (32, 16)
LR = 0.05
BATCH_SIZES = (1, 4, 16, 64)
TIMED_STEPS = {"scalar": 3, "tensor": 30}  # the best of these many steps is reported


def count_nodes(root):
    """Nodes of the graph behind ``root``, through ``_prev`` (every engine's node has it,
    micrograd's too); the collector is paused so it does not walk the graph meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        seen, stack = {root}, [root]
        while stack:
            for parent in stack.pop()._prev:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return len(seen)
    finally:
        if was_enabled:
            gc.enable()


def measure(engine, xb, yb, seed):
    """Graph nodes of one training step at this batch, and its best time in seconds."""
    B = minigrad.backend(engine)
    model = B.MLP(NIN, [*DIGITS_HIDDEN, 10], act="relu", seed=seed)
    optimizer = B.SGD(model.parameters(), lr=LR)
    nodes = count_nodes(B.cross_entropy_loss(model(xb), yb))
    times = []
    for _ in range(TIMED_STEPS[engine]):
        start = time.perf_counter()
        train_step(model, optimizer, B.cross_entropy_loss, xb, yb)
        times.append(time.perf_counter() - start)
    parameters = sum(a.size for a in model.state_dict().values())
    return nodes, min(times), parameters


def run(seed=0):
    X, _, y, _ = minigrad.load_digits()
    order = np.random.default_rng(seed).permutation(len(X))[: max(BATCH_SIZES)]
    rows, nodes, seconds = [], {}, {}
    for batch in BATCH_SIZES:
        xb, yb = X[order[:batch]], y[order[:batch]]
        for engine in ("scalar", "tensor"):
            nodes[engine, batch], seconds[engine, batch], parameters = measure(engine, xb, yb, seed)
        per_sample = (nodes["scalar", batch] - parameters) / batch  # one leaf per parameter
        slowdown = seconds["scalar", batch] / seconds["tensor", batch]
        rows.append(
            [
                batch,
                nodes["scalar", batch],
                round(per_sample, 1),
                nodes["tensor", batch],
                round(seconds["scalar", batch] * 1e6),
                round(seconds["tensor", batch] * 1e6, 1),
                round(slowdown),
                round(seconds["scalar", batch] * 1e6 / nodes["scalar", batch], 2),
            ]
        )

    small, large = BATCH_SIZES[0], BATCH_SIZES[-1]
    per_sample = [row[2] for row in rows]
    tensor_nodes = {nodes["tensor", b] for b in BATCH_SIZES}
    slowdown = {b: seconds["scalar", b] / seconds["tensor", b] for b in BATCH_SIZES}
    per_node = [seconds["scalar", b] * 1e6 / nodes["scalar", b] for b in BATCH_SIZES]
    holds = (
        # the scalar graph: the same number of nodes for every sample (to within the couple
        # of nodes the batch mean adds), so it grows with the batch ...
        max(per_sample) - min(per_sample) <= 0.01 * min(per_sample)
        and nodes["scalar", large] > nodes["scalar", small] * large / 2
        # ... the tensor graph: one node per array op, the same at every batch size
        and len(tensor_nodes) == 1
        # the timing follows the nodes (loosely: the gap is orders of magnitude)
        and slowdown[large] > slowdown[small]
    )
    verdict = (
        f"the scalar engine built {min(per_sample):.0f} nodes per sample (plus one leaf per "
        f"parameter, {parameters}) at every batch size: {nodes['scalar', small]} nodes at "
        f"batch {small}, {nodes['scalar', large]} at batch {large}; the tensor engine built "
        f"{nodes['tensor', small]} nodes at every batch size. Timed here, the scalar step "
        f"was {slowdown[small]:.0f}x slower than the tensor step at batch {small} and "
        f"{slowdown[large]:.0f}x slower at batch {large}: the scalar step took "
        f"{min(per_node):.2g} to {max(per_node):.2g} µs per node, so it grows with its graph, "
        f"while the tensor step went from {seconds['tensor', small] * 1e6:.0f} to "
        f"{seconds['tensor', large] * 1e6:.0f} µs"
    )
    return Result(
        name=NAME,
        claim=CLAIM,
        setup=(
            f"one training step (train_step, as fit runs it) of MLP {NIN}-"
            f"{'-'.join(map(str, DIGITS_HIDDEN))}-10 (ReLU, cross-entropy, SGD lr {LR}, seed "
            f"{seed}) on digits batches, in each engine; nodes counted through _prev from the "
            f"loss; times are the best of {TIMED_STEPS['scalar']} (scalar) and "
            f"{TIMED_STEPS['tensor']} (tensor) steps, and vary with the machine"
        ),
        columns=[
            "batch",
            "scalar nodes",
            "scalar nodes/sample",
            "tensor nodes",
            "scalar µs",
            "tensor µs",
            "slowdown",
            "scalar µs/node",
        ],
        rows=rows,
        verdict=verdict,
        holds=holds,
        extra={"nodes": nodes, "seconds": seconds, "parameters": parameters},
    )
