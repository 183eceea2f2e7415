"""Why an activation function: stacked linear layers are one linear layer.

A layer computes ``W x + b``. Put a second one on top and you get ``W2 (W1 x + b1) + b2 =
(W2 W1) x + (W2 b1 + b2)``: again one matrix and one bias. However many linear layers
you stack, the network is a single linear map, and a classifier built on one can only cut
its input space with straight lines (here, in two dimensions, with one straight line). The
nonlinearity between the layers (ReLU, tanh) is what lets a deep network bend its
decision boundary.

The experiment trains the same MLP, 2 -> 16 -> 16 -> 2, on scikit-learn's two moons (two
interleaved half circles: no straight line separates them) twice: with ReLU between the
layers (the idea) and with ``act="linear"`` (the counterfactual: nothing between them).
It records the training accuracy as training goes on, beside a model that is honestly one
linear layer (``MLP(2, [2])``): the deep linear network stalls where that single layer
stalls, however long it trains. Then it multiplies the linear network's weight matrices
and composes its biases, and checks that this one matrix gives the network's outputs on
every sample; the same product of the ReLU network's weights does not give its outputs.
"""

import numpy as np

import minigrad
from minigrad.experiments.result import Result

NAME = "nonlinearity"
CLAIM = (
    "Without a nonlinearity between them, stacked layers are one linear map: a deep linear "
    "MLP cannot separate two moons however long it trains, while the same MLP with ReLU can."
)
SECONDS = 2

HIDDEN = [16, 16]
IDEA = "relu"  # the activation between the layers
COUNTERFACTUAL = "linear"  # no activation: each layer is W x + b, and so is their stack
CHECKPOINTS = (20, 200, 2000)  # epochs at which the accuracy is read (full-batch Adam steps)
PASS = 0.95  # the accuracy the linear network never reaches on this data


def composed_linear_map(model):
    """One matrix ``W`` and bias ``b`` equal to the model's layers applied in turn as if
    nothing stood between them: ``W = W3 W2 W1``, ``b = W3 (W2 b1 + b2) + b3``."""
    state = model.state_dict()
    n_layers = len(model.layers)
    W = np.eye(model.nin)
    b = np.zeros(model.nin)
    for i in range(n_layers):
        Wi, bi = state[f"layers.{i}.weight"], state[f"layers.{i}.bias"]
        W, b = Wi @ W, Wi @ b + bi
    return W, b


def train(model, X, y, seed):
    """Train ``model`` full batch with Adam; its training accuracy at each checkpoint."""
    B = minigrad.backend(model.engine)
    optimizer = B.Adam(model.parameters(), lr=0.01)
    accuracy = {}

    def read_accuracy(epoch, history):
        if epoch in CHECKPOINTS:
            accuracy[epoch] = minigrad.evaluate(model, X, y)

    minigrad.fit(
        model,
        optimizer,
        X,
        y,
        epochs=max(CHECKPOINTS),
        batch_size=len(X),
        seed=seed,
        progress=False,
        callback=read_accuracy,
    )
    return accuracy


def run(seed=0):
    from sklearn.datasets import make_moons

    moons_seed = seed % 2**32  # (make_moons takes seeds below 2**32; minigrad.why any int)
    X, y = make_moons(n_samples=200, noise=0.1, random_state=moons_seed)
    B = minigrad.tensor
    idea, linear, single = "idea", "counterfactual", "one layer"
    models = {
        idea: B.MLP(2, [*HIDDEN, 2], act=IDEA, seed=seed),
        linear: B.MLP(2, [*HIDDEN, 2], act=COUNTERFACTUAL, seed=seed),
        single: B.MLP(2, [2], seed=seed),  # honestly one linear layer
    }
    labels = {
        idea: f"MLP 2-16-16-2, {IDEA}",
        linear: f"MLP 2-16-16-2, {COUNTERFACTUAL}",
        single: "one linear layer, MLP 2-2",
    }
    rows, accuracy, map_error = [], {}, {}
    for name, model in models.items():
        accuracy[name] = train(model, X, y, seed)
        W, b = composed_linear_map(model)
        outputs = B.to_numpy(model(X))
        map_error[name] = float(np.abs(X @ W.T + b - outputs).max())
        rows.append([labels[name], *(accuracy[name][e] for e in CHECKPOINTS), map_error[name]])

    idea_final = accuracy[idea][max(CHECKPOINTS)]
    single_final = accuracy[single][max(CHECKPOINTS)]
    linear_best = max(accuracy[linear].values())
    W, b = composed_linear_map(models[linear])
    holds = (
        idea_final >= PASS
        and linear_best < PASS
        and single_final < PASS  # one linear layer cannot either: the deep one is no better
        and map_error[linear] < 1e-9  # ... because it is one layer
        and map_error[idea] > 0.1  # while the network with an activation is no such product
    )
    verdict = (
        f"with act={IDEA!r}, training accuracy reached {idea_final:.1%} after {max(CHECKPOINTS)} "
        f"epochs; with act={COUNTERFACTUAL!r} it stayed at {linear_best:.1%} at best "
        f"(below {PASS:.0%} at {', '.join(map(str, CHECKPOINTS))} epochs), and so did "
        f"a single linear layer ({single_final:.1%}). The product of the linear network's "
        f"weights, W = {np.round(W, 3).tolist()}, b = {np.round(b, 3).tolist()}, "
        f"gives its outputs to {map_error[linear]:.1e}; the same product of the {IDEA} "
        f"network's weights is off by {map_error[idea]:.3g}"
    )
    return Result(
        name=NAME,
        claim=CLAIM,
        setup=(
            f"tensor engine; make_moons(200 samples, noise 0.1, random_state={moons_seed}); each "
            f"model trained full batch with Adam (lr 0.01) for {max(CHECKPOINTS)} epochs, "
            "cross-entropy; 'map error' is the largest difference between the model's outputs "
            "and X @ W.T + b, W and b the product of its layers' weights and biases"
        ),
        columns=["model", *(f"accuracy @{e}" for e in CHECKPOINTS), "map error"],
        rows=rows,
        verdict=verdict,
        holds=holds,
        extra={"accuracy": accuracy, "map_error": map_error, "W": W, "b": b},
    )
