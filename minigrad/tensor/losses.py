"""Losses of the tensor engine, each one fused node (twin: ``minigrad/scalar/losses.py``).

Cross-entropy: ``loss = mean_i(log(sum_j exp(z_ij - m_i)) - (z_it - m_i))`` with
``m_i = max_j z_ij``, and its gradient ``(softmax(z) - onehot(t)) / N``. The scalar engine
builds the same maths from primitive nodes; tests/test_equivalence.py proves them equal.
"""

import math

import numpy as np

from minigrad.common.checks import check_same_shape, class_targets, node_targets
from minigrad.common.fp_errors import quiet
from minigrad.tensor.engine import Tensor, shifted_exp


def _as_tensor(x, like=None):
    if isinstance(x, Tensor):
        return x
    return Tensor(x, dtype=None if like is None else like.data.dtype)


def cross_entropy_loss(logits, targets):
    """Mean over the batch of ``-log_softmax(logits)[target]``, one node.

    ``logits``: ``(N, C)`` or one sample ``(C,)``. ``targets``: N class indices (one
    sample: an int or a one-element list), or a Tensor of whole numbers.
    """
    if type(logits) is not Tensor:
        logits = _as_tensor(logits)
    z = logits.data
    if z.ndim not in (1, 2) or 0 in z.shape:
        raise ValueError(f"cross_entropy_loss: logits must be (N, C) or (C,), got shape {z.shape}")
    single = z.ndim == 1
    z2 = z[None, :] if single else z
    n, c = z2.shape
    if isinstance(targets, Tensor):  # whole numbers, as PyTorch's int64 targets
        targets = node_targets(targets.data)
    t = class_targets(targets, n, c, single)
    # Where each target sits in z2 read row by row: the rule's own array (a training loop
    # may refill its targets array before backward), and one index where the plain form,
    # z2[np.arange(n), t], takes two (tests/test_losses.py computes the plain form and
    # tests/test_trust_ops.py refills the targets before backward)
    at = np.arange(0, n * c, c) + t
    with quiet():  # inf logits, or a spread beyond 1e308: PyTorch's result, quietly
        shifted, exp, total = shifted_exp(z2, 1)  # (engine.py: as softmax, log_softmax)
        loss = np.add.reduce(np.log(total[:, 0]) - shifted.take(at)) / n

    def d_logits(g):  # d/dz = (softmax(z) - onehot(t)) / N
        scale = float(g) / n  # g: the loss's 0-d gradient, as a number (no ufunc call)
        grad = exp / total
        flat = grad.reshape(-1)  # a view of grad, row by row
        if math.isfinite(scale):
            flat[at] -= 1.0
            grad *= scale
        else:  # inf: softmax * inf - inf is nan at the target, as in PyTorch and the scalar engine
            grad *= scale
            flat[at] -= scale
        return grad[0] if single else grad

    # (loss is a NumPy scalar of z's dtype: _make holds it as a 0-d array)
    return Tensor._make(loss, (logits,), (d_logits,), "cross_entropy")


def mse_loss(pred, target):
    """Mean of squared differences over all elements, one node; shapes must match."""
    pred = _as_tensor(pred)
    target = _as_tensor(target, pred)
    if target.data.dtype != pred.data.dtype:  # PyTorch's mse_loss refuses it too
        raise TypeError(
            f"mse_loss: prediction is {pred.data.dtype} but target is {target.data.dtype} "
            "(make the target with the model's dtype)"
        )
    check_same_shape("mse_loss", pred.data.shape, target.data.shape)
    if pred.data.size == 0:
        raise ValueError("mse_loss: empty input")
    n = pred.data.size
    with quiet():  # inf, nan or overflow: PyTorch's result, without NumPy's warnings
        diff = pred.data - target.data
        loss = np.asarray((diff * diff).sum() / n, dtype=pred.data.dtype)
    # d/dpred = 2 (pred - target) / n, d/dtarget = the opposite
    rules = (lambda g: diff * (2.0 * g / n), lambda g: diff * (-2.0 * g / n))
    return Tensor._make(loss, (pred, target), rules, "mse")
