"""Why the learning rate matters: too small stalls, too large diverges.

Gradient descent moves each weight by ``-lr * gradient``. The gradient says which way is
downhill, not how far: with a tiny ``lr`` each step is so short that the loss hardly moves
in the time given; with a huge one each step overshoots the valley, lands higher on the
other side where the slope is steeper, overshoots further, and the weights grow until
float64 overflows and the loss is ``inf``. ``minigrad.fit`` then stops with a
``FloatingPointError`` naming the epoch and step, instead of training on garbage. Only a
band of learning rates in between trains.

The experiment trains the same small network (64 -> 32 -> 10, tanh, the same initial
weights) on the digits for a fixed number of epochs at learning rates from 1e-4 to about
30, a factor of sqrt(10) apart, and sorts each run: diverged (the error, and where it
stopped), trained (test accuracy at least ``TRAINED``), or stalled (finished, but below
it). The loss is the squared error against one-hot labels (``loss="mse"``): its gradient
grows with the error, so an overshoot grows geometrically, the textbook picture of a step
too large for the curvature. (With cross-entropy, whose gradient through the softmax is
bounded, a step too large tends to saturate or kill units instead of overflowing.)
"""

import math

import minigrad
from minigrad.experiments.result import Result

NAME = "learning_rate"
CLAIM = (
    "A learning rate too small stalls and one too large diverges (the loss overflows and "
    "fit stops); only a range in between trains."
)
SECONDS = 2

LEARNING_RATES = tuple(10 ** (k / 2) for k in range(-8, 4))  # 1e-4, 3.2e-4, ..., 31.6
EPOCHS = 10
BATCH_SIZE = 32
TRAINED = 0.8  # test accuracy that counts as trained after EPOCHS epochs (chance is 0.1)


def train_at(lr, data, seed):
    """One run at learning rate ``lr``: a dict with its outcome and numbers."""
    X, X_test, y, y_test = data
    B = minigrad.tensor
    model = B.MLP(64, [32, 10], act="tanh", seed=seed)
    optimizer = B.SGD(model.parameters(), lr=lr)
    try:
        history = minigrad.fit(
            model,
            optimizer,
            X,
            y,
            epochs=EPOCHS,
            batch_size=BATCH_SIZE,
            loss="mse",
            seed=seed,
            progress=False,
        )
    except FloatingPointError as error:  # "non-finite loss (inf) at epoch 3, step 40 of 43"
        where = str(error).split(" at ", 1)[-1]
        return dict(
            lr=lr, outcome="diverged", first_loss=None, loss=math.inf, accuracy=None, stopped=where
        )
    accuracy = minigrad.evaluate(model, X_test, y_test)
    outcome = "trained" if accuracy >= TRAINED else "finished"  # sorted further in run()
    losses = history["loss"]  # the mean loss of each epoch
    return dict(
        lr=lr, outcome=outcome, first_loss=losses[0], loss=losses[-1], accuracy=accuracy, stopped=""
    )


def lr_range(runs, outcome):
    """``(smallest lr, largest lr)`` of the runs with ``outcome``, or None if there is none."""
    lrs = [r["lr"] for r in runs if r["outcome"] == outcome]
    return (min(lrs), max(lrs)) if lrs else None


def run(seed=0):
    data = minigrad.load_digits()
    runs = [train_at(lr, data, seed) for lr in LEARNING_RATES]
    # a run that finished untrained stalled if its lr is below every lr that trained; above
    # them it is only short of the bar (near the edge, where steps overshoot but not to inf)
    lowest_trained = min((r["lr"] for r in runs if r["outcome"] == "trained"), default=math.inf)
    for r in runs:
        if r["outcome"] == "finished":
            r["outcome"] = "stalled" if r["lr"] < lowest_trained else "short"

    stalled, trained, diverged = (lr_range(runs, o) for o in ("stalled", "trained", "diverged"))
    # the claim: the smallest lr stalls, the largest diverges, some lr in between trains,
    # and no lr diverges below one that trains
    holds = (
        runs[0]["outcome"] == "stalled"
        and runs[-1]["outcome"] == "diverged"
        and trained is not None
        and trained[1] < diverged[0]
    )
    if holds:
        first_diverged = next(r for r in runs if r["outcome"] == "diverged")
        smallest = runs[0]
        best = max((r for r in runs if r["outcome"] == "trained"), key=lambda r: r["accuracy"])
        verdict = (
            f"trained (test accuracy >= {TRAINED:.0%} after {EPOCHS} epochs) for lr from "
            f"{trained[0]:.3g} to {trained[1]:.3g} (best {best['accuracy']:.1%} at lr "
            f"{best['lr']:.3g}); stalled for lr up to {stalled[1]:.3g} (at lr "
            f"{smallest['lr']:.3g} the epoch's mean loss went from {smallest['first_loss']:.4f} "
            f"to {smallest['loss']:.4f} in {EPOCHS} epochs, test accuracy "
            f"{smallest['accuracy']:.1%}); diverged from lr {diverged[0]:.3g}: the loss "
            f"overflowed and fit stopped at {first_diverged['stopped']}"
        )
        short = [f"{r['lr']:.3g} ({r['accuracy']:.1%})" for r in runs if r["outcome"] == "short"]
        if short:
            verdict += f"; short of {TRAINED:.0%} above the range's start at lr {', '.join(short)}"
    else:
        verdict = (
            "the bands did not come out as claimed: "
            f"stalled {stalled}, trained {trained}, diverged {diverged} (lr ranges)"
        )
    rows = [
        [f"{r['lr']:.3g}", r["outcome"], r["first_loss"], r["loss"], r["accuracy"], r["stopped"]]
        for r in runs
    ]
    return Result(
        name=NAME,
        claim=CLAIM,
        setup=(
            f"tensor engine, MLP 64-32-10 (tanh, seed {seed}), SGD at each lr for {EPOCHS} "
            f"epochs, batches of {BATCH_SIZE}, squared error on one-hot digits labels "
            f"(load_digits: 1347 training, 450 test samples); trained means test accuracy "
            f">= {TRAINED:.0%}"
        ),
        columns=[
            "lr",
            "outcome",
            "loss, epoch 1",
            "loss, last epoch",
            "test accuracy",
            "stopped at",
        ],
        rows=rows,
        verdict=verdict,
        holds=holds,
        extra={"runs": runs, "stalled": stalled, "trained": trained, "diverged": diverged},
    )
