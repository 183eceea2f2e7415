"""Why check gradients numerically: a wrong derivative still trains, silently.

Every op of an engine stores a local derivative beside its forward computation, and
backward multiplies them along the graph. Get one of them wrong and nothing crashes: the
loss still goes down for a while, the gradients are merely off. The only way to see it is to
compare ``backward`` against the definition of a derivative, the slope measured by nudging
each input: ``(f(x + eps) - f(x - eps)) / (2 eps)``. ``minigrad.gradcheck`` does exactly
that for every number of every input, and raises ``GradcheckError`` where they disagree.

The counterfactual is a copy of the scalar engine's ``tanh``, written here by the node
contract (a ``Value`` made by ``Value._make`` with its parents ``_prev`` and one local
derivative per parent, ``_local``), with its derivative off by a factor:
``0.9 * (1 - t**2)`` instead of ``1 - t**2``. The experiment runs ``gradcheck`` on a small
neuron, ``(tanh(w . x + b) - y)**2``, built once with the engine's ``tanh``, once with a
faithful copy (factor 1) and once with the wrong one, and measures the largest relative
error between ``backward`` and finite differences. Then it asks how small a mistake the
check still sees.
"""

import math

import numpy as np

import minigrad
from minigrad.experiments.result import Result
from minigrad.scalar import Value
from minigrad.tools.gradcheck import numerical_grads

NAME = "gradcheck"
CLAIM = (
    "A local derivative off by a factor trains without an error, but gradcheck catches it "
    "and measures by how much, while the true op passes."
)
SECONDS = 1

FACTOR = 0.9  # the wrong tanh's derivative is FACTOR * (1 - t**2)
SMALLER_MISTAKES = (1e-2, 1e-4, 1e-6, 1e-8)  # derivatives off by 1 - these: which are seen?
STEPS = 5  # of gradient descent with each op: does a wrong derivative stop training?


def tanh_by_hand(x, factor):
    """``tanh`` as a node of the scalar engine, with its local derivative times ``factor``
    (1.0: the engine's own rule, ``d/dx tanh x = 1 - tanh(x)**2``)."""
    t = math.tanh(x.data)
    return Value._make(t, (x,), (factor * (1.0 - t * t),), "tanh")


def neuron_loss(tanh, x, y):
    """``f(w0, w1, w2, b) = (tanh(w . x + b) - y)**2``: a neuron and its squared error."""

    def f(w0, w1, w2, b):
        z = w0 * x[0] + w1 * x[1] + w2 * x[2] + b
        return (tanh(z) - y) ** 2

    return f


def check(f, inputs):
    """``gradcheck``'s answer (True, or the text of its ``GradcheckError``) and the largest
    relative error between backward's gradients and finite differences."""
    try:
        answer = minigrad.gradcheck(f, inputs)
    except minigrad.GradcheckError as error:
        answer = str(error)
    for node in inputs:
        node.grad = 0.0
    f(*inputs).backward()
    analytic = np.array([node.grad for node in inputs])
    numeric = np.array([g.item() for g in numerical_grads(f, inputs)])
    relative = np.abs(analytic - numeric) / np.abs(numeric)
    return answer, float(relative.max())


def descend(f, values, steps=STEPS, lr=0.2):
    """Plain gradient descent on ``f`` from ``values``: the loss before and after."""
    params = [Value(v) for v in values]
    first = f(*params).item()
    for _ in range(steps):
        for p in params:
            p.grad = 0.0
        f(*params).backward()
        for p in params:
            p.data -= lr * p.grad
    return first, f(*params).item()


def run(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, 3).tolist()
    y = 0.5
    inputs = [Value(v) for v in rng.uniform(-1, 1, 4)]  # w0, w1, w2, b

    engine, faithful, wrong = "engine's tanh, x.tanh()", "tanh by hand, factor 1", "wrong tanh"
    factors = {faithful: 1.0, wrong: FACTOR}
    for mistake in SMALLER_MISTAKES:
        factors[f"tanh by hand, factor 1 - {mistake:g}"] = 1 - mistake
    ops = {engine: Value.tanh}
    for name, factor in factors.items():
        ops[name] = lambda z, factor=factor: tanh_by_hand(z, factor)

    rows, answers, errors, losses = [], {}, {}, {}
    for name, tanh in ops.items():
        f = neuron_loss(tanh, x, y)
        answers[name], errors[name] = check(f, inputs)
        losses[name] = descend(f, [p.data for p in inputs])
        label = f"{name}, factor {FACTOR}" if name == wrong else name
        caught = answers[name] is not True
        rows.append([label, *losses[name], "caught" if caught else "passes", errors[name]])

    seen = [m for m in SMALLER_MISTAKES if answers[f"tanh by hand, factor 1 - {m:g}"] is not True]
    missed = [m for m in SMALLER_MISTAKES if m not in seen]
    holds = (
        answers[engine] is True
        and answers[faithful] is True
        and answers[wrong] is not True  # the check catches the wrong derivative ...
        and abs(errors[wrong] - abs(1 - FACTOR)) < 1e-4  # ... and measures the factor
        and losses[wrong][1] < losses[wrong][0]  # which training alone would not reveal
    )
    if answers[wrong] is True:
        caught = f"gradcheck did NOT catch it (relative error {errors[wrong]:.1e})"
    else:
        caught = (
            f"gradcheck caught it: largest relative error {errors[wrong]:.4f}, the factor's "
            f"{abs(1 - FACTOR):g} itself (GradcheckError: {answers[wrong]})"
        )
    verdict = (
        f"gradcheck passed the engine's tanh (relative error {errors[engine]:.1e}) and the "
        f"faithful copy ({errors[faithful]:.1e}); with the derivative off by a factor "
        f"{FACTOR}, gradient descent still lowered the loss from {losses[wrong][0]:.3g} to "
        f"{losses[wrong][1]:.3g} in {STEPS} steps (the engine's tanh: to "
        f"{losses[engine][1]:.3g}), and no error was raised; {caught}. Derivatives off by "
        f"{', '.join(f'{m:g}' for m in seen) or 'none'} were caught; by "
        f"{', '.join(f'{m:g}' for m in missed) or 'none'} they slipped under its tolerance "
        "(rtol 1e-5)"
    )
    return Result(
        name=NAME,
        claim=CLAIM,
        setup=(
            "scalar engine; minigrad.gradcheck (central differences, eps 1e-6, rtol 1e-5, "
            f"atol 1e-7) on (tanh(w . x + b) - {y})**2 with respect to w0, w1, w2, b, drawn "
            f"from U(-1, 1) with seed {seed}; relative error = max |backward - finite "
            f"differences| / |finite differences|; the losses: {STEPS} steps of gradient descent "
            "(lr 0.2) on the same function"
        ),
        columns=["op", "loss at start", f"after {STEPS} steps", "gradcheck", "relative error"],
        rows=rows,
        verdict=verdict,
        holds=holds,
        extra={
            "answers": answers,
            "errors": errors,
            "losses": losses,
            "seen": seen,
            "missed": missed,
        },
    )
