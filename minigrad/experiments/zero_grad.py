"""Why a training loop calls ``optimizer.zero_grad()`` before each ``backward()``.

The idea. ``backward()`` *adds* to ``.grad``: it does not replace what is there (PyTorch
does the same, and it is what lets a gradient gather the shares of every path through a
node, or of several losses). So each training step first empties the gradients,
``optimizer.zero_grad()``, and then ``backward()`` leaves exactly this batch's gradient for
``step()`` to use.

The counterfactual: the same loop with that one line forgotten (``step_forgetting_zero_grad``
below). Each ``.grad`` is then the sum of every batch's gradient since the start, so its norm
keeps growing, and every ``step()`` moves the weights along the whole past instead of the
current batch: like a momentum that never forgets. At first this can even look faster (the
old gradients still point roughly the right way), then the weights overshoot and the loss
climbs back while the loop that zeroes keeps falling.

The experiment trains two copies of one small MLP on the digits (tensor engine, same seed,
same batches, plain SGD), one with each loop, and records the loss and the gradient norm at
every step.
"""

import numpy as np

import minigrad
from minigrad.experiments.result import Result

NAME = "zero_grad"
CLAIM = (
    "A training loop that forgets optimizer.zero_grad() adds every batch's gradient to the "
    "last: the gradient norm keeps growing and the loss ends higher than with zero_grad()."
)
SECONDS = 1

STEPS = 300
BATCH = 32
LR = 0.1
WINDOW = 30  # the table shows the mean loss over each run of this many steps


def step(model, optimizer, x, y):
    """One training step, as it should be: empty the gradients, then backward, then step."""
    optimizer.zero_grad()
    loss = minigrad.tensor.cross_entropy_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def step_forgetting_zero_grad(model, optimizer, x, y):
    """The counterfactual: the same step without ``optimizer.zero_grad()``."""
    loss = minigrad.tensor.cross_entropy_loss(model(x), y)
    loss.backward()  # adds this batch's gradient to all the earlier ones
    optimizer.step()
    return loss.item()


def gradient_norm(model):
    """The norm of all the model's gradients together, as ``step()`` reads them."""
    return float(np.sqrt(sum(float((g * g).sum()) for g in model.grad_dict().values())))


def train(one_step, X, y, batches, seed):
    """Train a fresh ``MLP(64, [32, 10])`` with ``one_step`` on ``batches`` (index arrays):
    the loss and the gradient norm at every step, and the model."""
    model = minigrad.tensor.MLP(64, [32, 10], seed=seed)
    optimizer = minigrad.tensor.SGD(model.parameters(), lr=LR)
    losses, norms = [], []
    for idx in batches:
        losses.append(one_step(model, optimizer, X[idx], y[idx]))
        norms.append(gradient_norm(model))
    return losses, norms, model


def run(seed=0):
    """Train with and without ``zero_grad()`` on the same batches; compare."""
    X, X_test, y, y_test = minigrad.load_digits()
    rng = np.random.default_rng(seed)
    batches = [rng.choice(len(X), BATCH, replace=False) for _ in range(STEPS)]
    loss_z, norm_z, model_z = train(step, X, y, batches, seed)
    loss_f, norm_f, model_f = train(step_forgetting_zero_grad, X, y, batches, seed)

    rows = []
    for start in range(0, STEPS, WINDOW):
        end = start + WINDOW
        rows.append(
            [
                f"{start}-{end - 1}",
                float(np.mean(loss_z[start:end])),
                float(np.mean(loss_f[start:end])),
                norm_z[end - 1],
                norm_f[end - 1],
            ]
        )
    final_z, final_f = rows[-1][1], rows[-1][2]
    best_f = min(row[2] for row in rows)
    acc_z = minigrad.evaluate(model_z, X_test, y_test)
    acc_f = minigrad.evaluate(model_f, X_test, y_test)
    growth = norm_f[-1] / norm_f[0]
    holds = norm_f[-1] > 5 * max(norm_z) and final_f > final_z and acc_f < acc_z

    verdict = (
        f"Without zero_grad() the gradient norm grows from {norm_f[0]:.3g} to {norm_f[-1]:.3g} "
        f"({growth:.0f}x) over {STEPS} steps, while with it it stays between "
        f"{min(norm_z):.3g} and {max(norm_z):.3g}. The forgetful loop's mean loss "
        + (
            f"falls to {best_f:.3g} at first, then climbs back to "
            if best_f < final_f
            else "falls to "
        )
        + f"{final_f:.3g} over the last {WINDOW} steps, against {final_z:.3g} with "
        f"zero_grad(); test accuracy "
        f"{acc_f:.1%} against {acc_z:.1%}."
    )
    return Result(
        name=NAME,
        claim=CLAIM,
        setup=(
            f"tensor engine, MLP(64, [32, 10], seed={seed}) on the digits, SGD lr {LR}, "
            f"{STEPS} steps of {BATCH} samples (the same batches for both, "
            f"numpy.random.default_rng({seed})); step() against step_forgetting_zero_grad() "
            f"(this file). Loss: the mean over each {WINDOW} steps; gradient norm: at the "
            "last step of each."
        ),
        columns=[
            "steps",
            "loss, zero_grad()",
            "loss, forgotten",
            "grad norm, zero_grad()",
            "grad norm, forgotten",
        ],
        rows=rows,
        verdict=verdict,
        holds=bool(holds),
        extra={
            "loss_zero_grad": loss_z,
            "loss_forgotten": loss_f,
            "grad_norm_zero_grad": norm_z,
            "grad_norm_forgotten": norm_f,
            "test_accuracy_zero_grad": acc_z,
            "test_accuracy_forgotten": acc_f,
        },
    )
