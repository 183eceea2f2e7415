"""Argument checks both engines and the tools share, so that one mistake gets one answer."""

import math
import numbers

import numpy as np

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


def check_activation(act):
    if act not in ACTIVATIONS:
        raise ValueError(f"unknown activation {act!r}; valid activations: {', '.join(ACTIVATIONS)}")
    return act


def check_width(expected, given):
    if expected != given:
        raise ValueError(f"input width mismatch: expected {expected} features, given {given}")


def check_same_shape(what, pred_shape, target_shape):
    if tuple(pred_shape) != tuple(target_shape):
        raise ValueError(
            f"{what}: shape mismatch between input {tuple(pred_shape)} "
            f"and target {tuple(target_shape)}"
        )


def is_int(x):
    """True for a whole number given as an integer (``int`` or a NumPy integer); a bool, a
    float (even ``2.0``) or a string is not one."""
    return isinstance(x, (numbers.Integral, np.integer)) and not isinstance(x, (bool, np.bool_))


def is_positive_int(x):
    """True for an integer (see ``is_int``) of at least 1: a layer width, a batch size, a
    number of steps. Each caller raises its own error, naming what the number is."""
    return is_int(x) and x >= 1


def clamp_bounds(lo, hi):
    """``clamp``'s ``min`` and ``max`` as floats, -inf and inf for None; at least one must
    be given (PyTorch's rule), each a real number."""
    if lo is None and hi is None:
        raise ValueError("clamp: give min, max or both")
    bounds = []
    for name, bound, none in (("min", lo, -math.inf), ("max", hi, math.inf)):
        if bound is not None and not isinstance(bound, numbers.Real):
            raise TypeError(f"clamp: {name} must be a real number, got {type(bound).__name__}")
        bounds.append(none if bound is None else float(bound))
    return bounds


def node_targets(values):
    """Cross-entropy targets given as nodes (a ``Tensor``, or ``Value``s), as class
    indices: an ``intp`` array (an int for one number), if each is a whole number. A node
    holds floats, so ``2.0`` counts here, where a plain float target does not."""
    array = np.asarray(values)
    if array.dtype.kind == "f":
        fractional = ~(np.isfinite(array) & (array == np.round(array)))
        if fractional.any():
            bad = array[fractional].ravel()[0]
            raise ValueError(f"cross_entropy_loss: targets must be whole numbers, got {bad!r}")
    if array.dtype.kind not in "iuf":
        raise ValueError(f"cross_entropy_loss: targets must be whole numbers, got {array.dtype}")
    whole = array.astype(np.intp)
    return int(whole) if whole.ndim == 0 else whole


def class_targets(targets, n, n_classes, single):
    """Validate cross-entropy targets and return them as an ``intp`` array of ``n`` classes.

    ``single`` is True when the logits are one sample ``(C,)``: the target may then be an
    int or a one-element sequence. Floats (even ``2.0``), bools, out-of-range classes and a
    length mismatch raise ``ValueError``.
    """
    if single and is_int(targets):
        targets = [targets]
    if isinstance(targets, np.ndarray):
        if targets.ndim != 1:
            raise ValueError(f"cross_entropy_loss: targets must be 1-D, got shape {targets.shape}")
        if targets.dtype.kind not in "iu":
            raise ValueError(
                f"cross_entropy_loss: targets must be integers, got dtype {targets.dtype}"
            )
    elif isinstance(targets, (list, tuple)):
        for t in targets:
            if not is_int(t):
                raise ValueError(
                    f"cross_entropy_loss: targets must be integer class indices, got {t!r}"
                )
    else:
        raise ValueError(
            "cross_entropy_loss: targets must be a sequence of integer class indices, "
            f"got {type(targets).__name__}"
        )
    if len(targets) != n:
        raise ValueError(
            f"cross_entropy_loss: {n} sample(s) of logits but {len(targets)} target(s)"
        )
    values = targets.tolist() if isinstance(targets, np.ndarray) else targets
    for t in values:
        if not 0 <= t < n_classes:
            raise ValueError(
                f"cross_entropy_loss: target {t} is outside [0, {n_classes}) "
                f"for logits with {n_classes} classes"
            )
    return np.asarray(targets, dtype=np.intp)


def layer_widths(nouts):
    """``MLP``'s ``nouts`` as a list of widths (a single int is one layer)."""
    if is_int(nouts):
        nouts = [nouts]
    try:
        nouts = list(nouts)
    except TypeError:
        raise ValueError(f"nouts must be a list of layer widths, got {nouts!r}") from None
    if not nouts:
        raise ValueError("nouts must name at least one layer width")
    return [int(n) if isinstance(n, np.integer) else n for n in nouts]
