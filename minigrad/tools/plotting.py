"""Training curves: ``plot_history(history, path)`` writes a PNG of what ``fit`` returned.

matplotlib (``pip install "minigrad-twins[viz]"``) is imported only when a plot is drawn, and
only its object-oriented API with the Agg canvas is used: no ``pyplot``, no global backend
switch, so plotting from a notebook or a server leaves the caller's matplotlib state alone.
"""

import math
import os

INSTALL_HINT = 'pip install "minigrad-twins[viz]" (or pip install matplotlib)'


def _series(history, key):
    values = history.get(key)
    if values is None:
        return None
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        raise ValueError(f"plot_history: history[{key!r}] must be a list of numbers") from None


def plot_history(
    history: dict[str, list[float]],
    path: str | os.PathLike,
    title: str | None = None,
    val_label: str = "validation",
) -> str | os.PathLike:
    """Plot the training loss and the accuracy per epoch from ``history`` to a PNG at ``path``.

    ``history`` is the dict ``minigrad.fit`` returns: ``"loss"`` and ``"accuracy"`` lists,
    optionally ``"val_accuracy"``, one entry per epoch. The left panel shows the loss, the
    right one the training (and validation) accuracy; ``val_label`` names the
    ``"val_accuracy"`` curve in the legend (``"test"`` when ``fit`` was given the test set as
    its ``validation_data``, as ``minigrad train`` does). The file is written to exactly
    ``path``. Returns ``path``.
    """
    if not hasattr(history, "get"):
        raise TypeError(f"plot_history: history must be a dict, got {type(history).__name__}")
    loss = _series(history, "loss")
    if not loss:
        raise ValueError("plot_history: history has no 'loss' entries (train at least one epoch)")
    curves = {}
    for key, label in (("accuracy", "train"), ("val_accuracy", str(val_label))):
        values = _series(history, key)
        if values is None:
            continue
        if len(values) != len(loss):
            raise ValueError(
                f"plot_history: history[{key!r}] has {len(values)} entries but "
                f"history['loss'] has {len(loss)}"
            )
        if not all(math.isnan(v) for v in values):  # nan: accuracy undefined (mse targets)
            curves[label] = values
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(f"plot_history needs matplotlib: {INSTALL_HINT}") from None

    epochs = list(range(1, len(loss) + 1))
    fig = Figure(figsize=(9, 3.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(epochs, loss, marker="o", markersize=3)
    ax_loss.set(xlabel="epoch", ylabel="training loss", title="loss")
    for label, values in curves.items():
        ax_acc.plot(epochs, values, marker="o", markersize=3, label=label)
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    if curves:
        ax_acc.legend()
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        if len(epochs) <= 12:
            ax.set_xticks(epochs)
    if title:
        fig.suptitle(title)
    try:
        with open(os.fspath(path), "wb") as f:
            fig.savefig(f, format="png", dpi=100)
    except OSError as e:  # a write that fails (a full disk) names no file: name the user's
        if e.filename is None:
            e.filename = os.fsdecode(path)
        raise
    return path
