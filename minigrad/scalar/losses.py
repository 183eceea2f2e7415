"""Losses of the scalar engine, built from ``Value`` ops (twin: ``minigrad/tensor/losses.py``).

Cross-entropy is composed of primitive nodes in its stable form: for each sample,
``loss = log(sum_j exp(z_j - m)) - (z_t - m)`` with ``m = max_j z_j`` a constant, so no
``exp`` sees a positive number and logits of any magnitude give a finite loss and gradient.
The tensor engine fuses the same maths into one node; the equivalence tests prove them equal.
"""

import numpy as np

from minigrad.common.checks import check_same_shape, class_targets, node_targets
from minigrad.scalar.engine import Value


def _shape(x):
    """Shape of a Value, a number, or a (nested, rectangular) list of them."""
    if isinstance(x, np.ndarray):
        return x.shape
    if isinstance(x, (list, tuple)):
        inner = {_shape(e) for e in x}
        if len(inner) > 1:
            raise ValueError(f"ragged input: rows of shapes {sorted(inner)}")
        return (len(x), *(inner.pop() if inner else ()))
    return ()


def _flatten(x):
    if isinstance(x, np.ndarray):
        return x.ravel().tolist()
    if isinstance(x, (list, tuple)):
        return [v for e in x for v in _flatten(e)]
    return [x]


def cross_entropy_loss(logits, targets):
    """Mean over the batch of ``-log_softmax(logits)[target]``.

    ``logits``: ``(N, C)`` lists of Values, or one sample ``(C,)``. ``targets``: N class
    indices (one sample: an int or a one-element list), or Values of whole numbers.
    """
    shape = _shape(logits)
    if len(shape) not in (1, 2) or 0 in shape:
        raise ValueError(f"cross_entropy_loss: logits must be (N, C) or (C,), got shape {shape}")
    single = len(shape) == 1
    rows = [logits] if single else logits
    if isinstance(targets, Value):  # whole numbers as nodes, as the tensor engine's Tensor
        targets = node_targets(targets.data)
    elif (
        isinstance(targets, (list, tuple))
        and targets
        and all(isinstance(t, Value) for t in targets)
    ):
        targets = node_targets([t.data for t in targets])
    targets = class_targets(targets, len(rows), shape[-1], single)
    losses = []
    for row, t in zip(rows, targets.tolist()):
        row = [z if isinstance(z, Value) else Value(z) for z in row]
        m = max(z.data for z in row)
        shifted = [z - m for z in row]
        lse = Value.sum_of([s.exp() for s in shifted]).log()
        losses.append(lse - shifted[t])
    return losses[0] if len(losses) == 1 else Value.sum_of(losses) / len(losses)


def mse_loss(pred, target):
    """Mean of squared differences over all elements; shapes must match."""
    check_same_shape("mse_loss", _shape(pred), _shape(target))
    diffs = [
        (p if isinstance(p, Value) else Value(p)) - t
        for p, t in zip(_flatten(pred), _flatten(target))
    ]
    if not diffs:
        raise ValueError("mse_loss: empty input")
    squares = [d * d for d in diffs]
    return squares[0] if len(squares) == 1 else Value.sum_of(squares) / len(squares)
