"""``fit`` and ``evaluate``: one training loop for every engine.

The loop only uses the public surface of an engine (model call, its losses, ``backward``,
the optimizer) plus the engine's ``to_numpy`` to read outputs, so it runs unchanged on
any engine and two engines can be compared step for step.
"""

import gc
import importlib.util
import math
import os
import sys
import time
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from tqdm.std import tqdm

from minigrad.common.checks import is_int, is_positive_int
from minigrad.common.grad_mode import no_grad
from minigrad.common.module import ModuleBase
from minigrad.common.optim import Optimizer
from minigrad.registry import backend_of

LOSSES = ("cross_entropy", "mse")


def _real_inputs(X, where=""):
    """``X`` as a float64 array; real numbers only (bool, int or float), as
    ``load_state_dict`` takes: a complex ``X`` would lose its imaginary part (with NumPy's
    ``ComplexWarning``), strings would be parsed, objects (``None``) become nan."""
    try:
        X = np.asarray(X)
    except ValueError as e:  # e.g. ragged nested lists
        raise ValueError(f"{where}X is not an array ({e})") from None
    if X.dtype.kind not in "biuf":
        raise ValueError(
            f"{where}X must hold real numbers (bool, int or float), got dtype {X.dtype}"
        )
    return X.astype(np.float64, copy=False)


def _check_data(X, y, where=""):
    X = _real_inputs(X, where)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"{where}X must be 2-D (samples, features), got shape {X.shape}")
    if y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"{where}X has {len(X)} samples but y has {len(np.atleast_1d(y))}")
    if len(X) == 0:
        raise ValueError(f"{where}no samples")
    return X, y


def _check_labels(labels, n_classes, where="", name="y"):
    """Every label must be a class index of a model with ``n_classes`` outputs: an integer
    (a NumPy integer dtype: not bool, float or str) in ``[0, n_classes)``. ``where`` and
    ``name`` say whose labels they are in the message (``validation_data: y_val[3] = 12``)."""
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{where}{name} must hold integer class labels of shape (N,), "
            f"got dtype {labels.dtype} and shape {labels.shape}"
        )
    bad = np.flatnonzero((labels < 0) | (labels >= n_classes))
    if bad.size:
        i = bad[0]
        more = f" ({bad.size} labels are out of range)" if bad.size > 1 else ""
        raise ValueError(
            f"{where}{name}[{i}] = {labels[i]} is not a class index in [0, {n_classes}) "
            f"(the model has {n_classes} outputs){more}"
        )


def _check_optimizer(model, optimizer):
    """The optimizer must step the model's own parameters (compared by identity): all of
    them, or some (fine-tuning a part). One that holds none of them (built for another
    model, or for this one before ``minigrad.load`` made a new one) would train nothing, and
    one holding parameters that are not the model's would move weights the loss never
    reaches. An optimizer without ``params`` (a user's own) is not checked."""
    params = getattr(optimizer, "params", None)
    if params is None:
        return
    own = {id(p) for p in model.parameters()}
    foreign = sum(id(p) not in own for p in params)
    if foreign == len(params):
        raise ValueError(
            "fit: the optimizer holds none of the model's parameters (was it built for "
            "another model, or before minigrad.load made this one?); build it from "
            "model.parameters()"
        )
    if foreign:
        raise ValueError(
            f"fit: the optimizer holds {foreign} parameter(s) that are not the model's "
            f"(of {len(params)}); build it from model.parameters(), or a part of them"
        )


def _prepare_targets(B, model, X, y, loss):
    """Check every target against the model before the first step, so that bad data found
    late can never leave a half-trained model behind.

    Returns ``(loss_fn, targets, labels)``; ``labels`` (class indices, for the accuracy) is
    None for targets that are not labels. One sample goes through the model, without a
    graph, to learn the shape of its outputs (and to check the width of ``X``).
    """
    with no_grad():
        sample = B.to_numpy(model(X[:1])).shape[1:]  # one sample's output: (C,), or ()
    is_labels = y.ndim == 1 and np.issubdtype(y.dtype, np.integer)
    if loss == "cross_entropy":
        if not is_labels:
            raise ValueError(
                "cross_entropy needs integer class labels y of shape (N,), "
                f"got dtype {y.dtype} and shape {y.shape}"
            )
        if len(sample) != 1:
            raise ValueError(
                "cross_entropy needs a model that gives C class scores per sample; "
                f"this one gives outputs of shape {(len(X), *sample)}"
            )
        _check_labels(y, sample[0])
        return B.cross_entropy_loss, y, y
    if is_labels and len(sample) == 1:  # mse on class labels: one-hot targets
        _check_labels(y, sample[0])  # -1 would otherwise one-hot encode the last class
        return B.mse_loss, _one_hot(y, sample[0]), y
    if y.dtype.kind not in "biuf":
        raise ValueError(f"mse targets y must be real numbers, got dtype {y.dtype}")
    targets = y.astype(np.float64)
    if targets.shape[1:] != sample:
        raise ValueError(
            f"mse targets y have shape {y.shape}, but the model's outputs for X have shape "
            f"{(len(X), *sample)}"
        )
    bad = np.argwhere(~np.isfinite(targets))
    if len(bad):
        i = tuple(bad[0])
        raise ValueError(f"y[{i[0]}] holds {targets[i]}; mse targets must be finite")
    return B.mse_loss, targets, None


def train_step(model, optimizer, loss_fn, xb, tb):
    """One step: forward, loss, ``zero_grad``, backward, ``step``.

    Returns ``(loss, outputs)``: the loss as a float and the model's outputs. A
    non-finite loss raises ``FloatingPointError`` before any weight changes.

    Python's cyclic garbage collector is paused during the step. minigrad's graphs hold
    no reference cycles (tests/test_memory.py trains with the collector off and sees flat
    memory), so every node is freed by reference counting alone and the collector has
    nothing to find in them; left running, it would traverse every live node of a large
    graph again and again while the graph is built, and the scalar engine's cost per
    sample would grow with the batch size. It is restored, and runs as usual, between
    steps.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        out = model(xb)
        loss = loss_fn(out, tb)
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(f"non-finite loss ({value})")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    finally:
        if was_enabled:
            gc.enable()
    return value, out


def _stderr_is_terminal():
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, TypeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def progress_bar_class():
    """tqdm's notebook widget inside a Jupyter kernel that has ipywidgets; its text bar (on
    stderr) in any other kernel (Qt console, Spyder, Jupyter without ipywidgets) and on a
    terminal; None anywhere else, where stderr is a log file or a pipe: a bar redrawn there
    would fill the file with carriage returns, so ``fit`` writes one plain line per epoch.

    This is the choice ``tqdm.auto`` makes, made here because ``tqdm.auto``, imported in a
    kernel without ipywidgets, prints a ``TqdmWarning`` ("IProgress not found. Please update
    jupyter and ipywidgets.") that a user who only imported minigrad did not ask about.
    """
    # A Qt console or Spyder runs a kernel too, but shows no widgets.
    qt = any(k == "QT_API" or k.startswith("SPYDER") for k in os.environ)
    in_kernel = "ipykernel.zmqshell" in sys.modules
    if in_kernel and not qt and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm as notebook_tqdm

        return notebook_tqdm
    if in_kernel or _stderr_is_terminal():
        return tqdm
    return None


def _one_hot(labels, n_classes):
    out = np.zeros((len(labels), n_classes))
    out[np.arange(len(labels)), labels] = 1.0
    return out


def fit(
    model: ModuleBase,
    optimizer: Optimizer,
    X: ArrayLike,
    y: ArrayLike,
    epochs: int = 1,
    batch_size: int = 1,
    loss: str = "cross_entropy",
    shuffle: bool = True,
    seed: int | None = 0,
    progress: bool = True,
    validation_data: tuple[ArrayLike, ArrayLike] | None = None,
    callback: Callable[[int, dict], object] | None = None,
) -> dict[str, list[float]]:
    """Train ``model`` (either engine) with ``optimizer`` on ``X`` (N, features), ``y``.

    ``loss`` is ``"cross_entropy"`` (``y`` holds class indices) or ``"mse"`` (``y`` holds
    targets of the output's shape; integer labels are one-hot encoded). Batches are drawn
    in order, or shuffled each epoch by a generator seeded with ``seed``.

    Every target is checked before the first step, so bad data never leaves a half-trained
    model: a label outside ``[0, C)`` (``C`` the model's output width), a non-finite or
    non-numeric ``mse`` target, or targets of the wrong shape raise ``ValueError`` naming
    the first bad index, and no weight changes. ``X`` must hold real numbers (a complex
    ``X`` is refused, not cast), and ``validation_data``'s labels are checked as ``y`` is.
    ``optimizer`` must step the model's own parameters, all or some of them (fine-tuning):
    one holding none of them (built for another model, e.g. before ``minigrad.load`` made
    this one) or parameters that are not the model's raises ``ValueError``.

    Returns a history ``{"loss": [...], "accuracy": [...], "seconds": [...]}`` with one
    entry per epoch: mean training loss, training accuracy (on the fly, from the outputs
    the step computed; ``nan`` for non-label targets) and wall time. With
    ``validation_data=(X_val, y_val)`` it also records ``"val_accuracy"``. ``callback``, if
    given, is called as ``callback(epoch, history)`` after each epoch.

    ``progress``: a tqdm bar per epoch on a terminal (tqdm's widget in a notebook); where
    stderr is not a terminal (a log file, a pipe) one plain line per epoch on stderr
    instead (``epoch 2/5: loss 0.4123, 0.31 s``); ``progress=False`` writes nothing.

    A non-finite loss stops training with ``FloatingPointError`` naming epoch and step.
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; valid losses: {', '.join(LOSSES)}")
    if not (is_int(epochs) and epochs >= 0):
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    if not is_positive_int(batch_size):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    B = backend_of(model)
    _check_optimizer(model, optimizer)
    X, y = _check_data(X, y)
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (X_val, y_val)")
        X_val, y_val = _check_data(*validation_data, where="validation_data: ")
        if X_val.shape[1] != X.shape[1] or y_val.ndim != 1:
            raise ValueError(
                f"validation_data: X_val must have {X.shape[1]} features like X and y_val "
                f"must be labels of shape (N,); got shapes {X_val.shape} and {y_val.shape}"
            )
    loss_fn, targets, labels = _prepare_targets(B, model, X, y, loss)
    if validation_data is not None:  # labels of the model's classes, as training labels are
        where = "validation_data: "
        _check_labels(y_val, _n_outputs(B, model, X_val, where), where, "y_val")
    if sys.stderr is None:  # started with stderr closed (`2>&-`): the bar has nowhere to go
        progress = False
    bar_class = progress_bar_class() if progress else None
    plain_lines = progress and bar_class is None  # not a terminal: a line per epoch
    rng = np.random.default_rng(seed)
    n = len(X)
    n_steps = math.ceil(n / batch_size)
    history = {"loss": [], "accuracy": [], "seconds": []}
    if validation_data is not None:
        history["val_accuracy"] = []
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n) if shuffle else np.arange(n)
        start = time.perf_counter()
        total_loss, correct = 0.0, 0
        with (bar_class or tqdm)(
            total=n_steps,
            desc=f"epoch {epoch}/{epochs}",
            unit="step",
            disable=bar_class is None,
            dynamic_ncols=True,
        ) as bar:
            for step in range(n_steps):
                idx = order[step * batch_size : (step + 1) * batch_size]
                try:
                    value, out = train_step(model, optimizer, loss_fn, X[idx], targets[idx])
                except FloatingPointError as e:
                    raise FloatingPointError(
                        f"{e} at epoch {epoch}, step {step + 1} of {n_steps}"
                    ) from None
                total_loss += value * len(idx)
                if labels is not None:
                    correct += int((B.to_numpy(out).argmax(axis=-1) == labels[idx]).sum())
                bar.update(1)
                if step % 10 == 0 or step == n_steps - 1:
                    bar.set_postfix(loss=f"{total_loss / min(n, (step + 1) * batch_size):.4f}")
        history["loss"].append(total_loss / n)
        history["accuracy"].append(correct / n if labels is not None else float("nan"))
        history["seconds"].append(time.perf_counter() - start)
        if validation_data is not None:
            history["val_accuracy"].append(evaluate(model, X_val, y_val))
        if plain_lines:
            _epoch_line(epoch, epochs, history)
        if callback is not None:
            callback(epoch, history)
    return history


def _epoch_line(epoch, epochs, history):
    """The progress of one epoch as one plain line on stderr (where no bar is drawn)."""
    line = f"epoch {epoch}/{epochs}: loss {history['loss'][-1]:.4f}"
    if "val_accuracy" in history:
        line += f", validation accuracy {history['val_accuracy'][-1]:.4f}"
    try:
        print(f"{line}, {history['seconds'][-1]:.2f} s", file=sys.stderr, flush=True)
    except (ValueError, OSError):  # stderr closed while training: progress is not worth a crash
        pass


def _n_outputs(B, model, X, where=""):
    """The number of class scores ``model`` gives per sample of ``X``, from one sample run
    without a graph; a model that gives no vector of scores per sample (a ``Neuron``)
    cannot be scored by accuracy: ``ValueError``."""
    with no_grad():
        sample = B.to_numpy(model(X[:1])).shape[1:]
    if len(sample) != 1:
        raise ValueError(
            f"{where}accuracy needs a model that gives C class scores per sample; "
            f"this one gives outputs of shape {(len(X), *sample)}"
        )
    return sample[0]


def predict(model: ModuleBase, X: ArrayLike) -> NDArray[np.intp]:
    """Class predictions (argmax of the outputs) for ``X``, without building a graph."""
    B = backend_of(model)
    X = _real_inputs(X, "predict: ")
    with no_grad():
        out = B.to_numpy(model(X))
    return out.argmax(axis=-1)


def evaluate(model: ModuleBase, X: ArrayLike, y: ArrayLike) -> float:
    """Accuracy of ``model`` on ``X``, ``y`` in ``[0, 1]``, without building a graph.

    ``X`` and ``y`` are checked as ``fit`` checks its data: ``X`` 2-D real numbers, ``y``
    integer class labels in ``[0, C)``, one per sample; anything else raises ``ValueError``
    (a string or out-of-range label would otherwise just count as a wrong answer)."""
    B = backend_of(model)
    X, y = _check_data(X, y, where="evaluate: ")
    with no_grad():
        out = B.to_numpy(model(X))
    if out.ndim != 2:
        raise ValueError(
            "evaluate: accuracy needs a model that gives C class scores per sample; "
            f"this one gives outputs of shape {out.shape}"
        )
    _check_labels(y, out.shape[1], "evaluate: ")
    return float((out.argmax(axis=-1) == y).mean())
