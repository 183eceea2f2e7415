"""Why minigrad draws initial weights from U(-1/sqrt(nin), 1/sqrt(nin)), not U(-1, 1).

The idea. A unit adds up ``nin`` inputs, each times a weight. If the weights have spread
``s``, the sum has spread about ``s * sqrt(nin)`` times the inputs' spread. With
``s = 1 / sqrt(3 nin)``, the spread of U(-1/sqrt(nin), 1/sqrt(nin)) (PyTorch's ``Linear``
default, and minigrad's), a layer keeps the signal at the same order of magnitude, whatever
its width: it shrinks it a little (by about ``1/sqrt(3)`` before the activation), so a deep
net's signal fades slowly but stays usable.

The counterfactual: micrograd's initialisation, weights U(-1, 1) and biases 0
(``micrograd_init`` below, written into a model with ``load_state_dict``). Its spread,
``1 / sqrt(3)``, does not depend on ``nin``: in a layer of width 256 each sum is about
``sqrt(256 / 3)``, 9 times wider than its inputs. In a tanh net most units are then pushed
to -1 or +1 (saturated), where tanh is flat, the output logits are so large that the first
loss is far above ``ln 10``, and the gradient grows layer by layer on its way back. In a
ReLU net nothing stops the growth: the spread multiplies by about 6.5 per layer, the loss
is in the thousands and a few SGD steps send the weights to inf and nan. U(-1, 1) is fine
for micrograd's 2-16-16-1 demo; the wider the layers, the worse it gets.

The experiment builds a deep, wide MLP twice (tanh and ReLU), once with each
initialisation, measures on one batch of digits the spread (standard deviation) of every
hidden layer's activations and of the gradient each receives, then trains each for a few
SGD steps on the same batches.
"""

import math

import numpy as np

import minigrad
from minigrad.experiments.result import Result

NAME = "init_scale"
CLAIM = (
    "Weights drawn U(-1, 1), as micrograd draws them, saturate a deep, wide tanh MLP and make "
    "a ReLU one explode, so it trains slower or diverges; U(±1/sqrt(nin)) keeps every "
    "layer's spread below 1 and both nets train."
)
SECONDS = 2

WIDTH, DEPTH = 256, 4  # hidden layers of this width
STEPS, BATCH, LR = 200, 32, 0.1


# -- the counterfactual ----------------------------------------------------------------------


def micrograd_init(model, rng):
    """micrograd's initialisation: every weight U(-1, 1), every bias 0."""
    state = {
        name: (rng.uniform(-1.0, 1.0, value.shape) if name.endswith("weight") else 0 * value)
        for name, value in model.state_dict().items()
    }
    model.load_state_dict(state)


# -- measuring ---------------------------------------------------------------------------------


def spreads(model, x, y):
    """One forward and backward pass on ``(x, y)``, layer by layer: each hidden layer's
    activation spread, its share of saturated units (|h| > 0.99), the spread of the gradient
    it receives, and the loss."""
    h = minigrad.tensor.Tensor(x)
    hidden = []
    for layer in model.layers:
        h = layer(h)
        hidden.append(h)
    loss = minigrad.tensor.cross_entropy_loss(h, y)
    loss.backward()  # intermediate nodes keep their .grad
    stats = []
    for h in hidden[:-1]:
        a = np.asarray(h.data)
        stats.append(
            {
                "activation std": float(a.std()),
                "saturated share": float(np.mean(np.abs(a) > 0.99)),
                "gradient std": float(np.asarray(h.grad).std()),
            }
        )
    return stats, loss.item()


def train(model, X, y, batches):
    """Plain SGD on ``batches``: the loss at every step."""
    optimizer = minigrad.tensor.SGD(model.parameters(), lr=LR)
    losses = []
    for idx in batches:
        optimizer.zero_grad()
        loss = minigrad.tensor.cross_entropy_loss(model(X[idx]), y[idx])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def measure(act, init, X, y, batches, seed):
    """Everything measured for one net (``act``) with one initialisation (``init``)."""
    model = minigrad.tensor.MLP(64, [WIDTH] * DEPTH + [10], act=act, seed=seed)
    if init == "micrograd":
        micrograd_init(model, np.random.default_rng(seed))
    stats, first_loss = spreads(model, X[:256], y[:256])
    losses = train(model, X, y, batches)
    bad = [i for i, v in enumerate(losses) if not math.isfinite(v)]
    return {
        "layers": stats,
        "first loss": first_loss,
        "last loss": float(np.mean(losses[-10:])),
        "first non-finite step": bad[0] if bad else None,
        "losses": losses,
    }


def run(seed=0):
    """Both initialisations in a tanh and a ReLU net: spreads per layer, then training."""
    X, _, y, _ = minigrad.load_digits()
    rng = np.random.default_rng(seed)
    batches = [rng.choice(len(X), BATCH, replace=False) for _ in range(STEPS)]
    found = {
        (act, init): measure(act, init, X, y, batches, seed)
        for act in ("tanh", "relu")
        for init in ("micrograd", "minigrad")
    }

    rows = []
    for act in ("tanh", "relu"):
        micro, mini = found[act, "micrograd"], found[act, "minigrad"]
        measures = ("activation std", "saturated share", "gradient std")
        for measure_name in measures if act == "tanh" else measures[::2]:
            for k in range(DEPTH):
                rows.append(
                    [
                        act,
                        f"layer {k + 1} {measure_name}",
                        micro["layers"][k][measure_name],
                        mini["layers"][k][measure_name],
                    ]
                )
        rows.append([act, "loss before training", micro["first loss"], mini["first loss"]])
        rows.append(
            [
                act,
                f"mean loss, steps {STEPS - 10}-{STEPS - 1}",
                micro["last loss"],
                mini["last loss"],
            ]
        )
        rows.append(
            [
                act,
                "first non-finite loss at step",
                micro["first non-finite step"],
                mini["first non-finite step"],
            ]
        )

    t_micro, t_mini = found["tanh", "micrograd"], found["tanh", "minigrad"]
    r_micro, r_mini = found["relu", "micrograd"], found["relu", "minigrad"]
    saturated = t_micro["layers"][-1]["saturated share"]
    growth = r_micro["layers"][-1]["activation std"] / r_micro["layers"][0]["activation std"]
    mini_std = [s["activation std"] for f in (t_mini, r_mini) for s in f["layers"]]
    mini_sat = max(s["saturated share"] for s in t_mini["layers"])
    holds = (
        saturated > 0.5
        and mini_sat < 0.05
        and growth > 10
        and min(mini_std) > 1e-3
        and max(mini_std) < 1.0
        and t_micro["last loss"] > t_mini["last loss"]
        and r_micro["first non-finite step"] is not None
        and r_mini["first non-finite step"] is None
        and r_mini["last loss"] < r_mini["first loss"] - 0.1
    )

    def back_growth(found):  # how much wider the gradient is at layer 1 than at the last
        return found["layers"][0]["gradient std"] / found["layers"][-1]["gradient std"]

    def fmt_loss(v):
        return f"{v:.3g}" if math.isfinite(v) else str(v)

    verdict = (
        f"tanh: with U(-1, 1) {saturated:.0%} of the last hidden layer's units are saturated "
        f"(minigrad's init: {mini_sat:.0%} in any layer), the first loss is "
        f"{t_micro['first loss']:.3g} (minigrad's {t_mini['first loss']:.3g}), and after "
        f"{STEPS} steps the loss is {fmt_loss(t_micro['last loss'])} against "
        f"{fmt_loss(t_mini['last loss'])}. Going back from layer {DEPTH} to layer 1 the "
        f"gradient's spread changes {back_growth(t_micro):.3g}x with U(-1, 1), "
        f"{back_growth(t_mini):.3g}x with minigrad's (ReLU: {back_growth(r_micro):.3g}x and "
        f"{back_growth(r_mini):.3g}x). ReLU: with U(-1, 1) the activations' spread grows "
        f"{growth:.0f}x from layer 1 to layer {DEPTH} (to "
        f"{r_micro['layers'][-1]['activation std']:.3g}), the first loss is "
        f"{r_micro['first loss']:.3g}, and the loss is "
        + (
            f"not finite from step {r_micro['first non-finite step']}"
            if r_micro["first non-finite step"] is not None
            else f"{fmt_loss(r_micro['last loss'])} after {STEPS} steps"
        )
        + f"; minigrad's goes from {r_mini['first loss']:.3g} to {fmt_loss(r_mini['last loss'])}. "
        f"minigrad's init keeps every activation spread between {min(mini_std):.2g} and "
        f"{max(mini_std):.2g}, shrinking it layer by layer (tanh layer 1 to {DEPTH}: "
        f"{t_mini['layers'][0]['activation std']:.2g} to "
        f"{t_mini['layers'][-1]['activation std']:.2g}), and the gradient with it: usable, "
        "not perfect."
    )
    return Result(
        name=NAME,
        claim=CLAIM,
        setup=(
            f"tensor engine, MLP(64, [{WIDTH}] * {DEPTH} + [10], seed={seed}) with act tanh and "
            f"relu, initialised by minigrad (U(±1/sqrt(nin))) or by micrograd_init (this file: "
            f"weights U(-1, 1), biases 0, numpy.random.default_rng({seed})); the spreads of each "
            "hidden layer's output and of the loss's gradient with respect to it, on the first "
            f"256 training digits; then {STEPS} SGD steps (lr {LR}, batches of {BATCH}, "
            "the same for all four)."
        ),
        columns=["net", "measure", "U(-1, 1) (micrograd)", "U(±1/sqrt(nin)) (minigrad)"],
        rows=rows,
        verdict=verdict,
        holds=bool(holds),
        extra={f"{act} {init}": f for (act, init), f in found.items()},
    )
