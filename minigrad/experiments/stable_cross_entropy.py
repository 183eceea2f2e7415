"""Why ``cross_entropy_loss`` is one stable formula, not softmax followed by log.

The idea. The cross-entropy of logits ``z`` and target ``t`` is ``-log(softmax(z)[t])``.
Written as it reads, ``exp(z) / sum(exp(z))`` and then ``log``, it breaks as soon as the
logits are large: ``exp(710)`` is already inf in float64, and ``exp(-746)`` is 0. minigrad's
``cross_entropy_loss`` (both engines) computes ``log(sum(exp(z - m))) - (z[t] - m)`` with
``m = max(z)``: the same number, but no ``exp`` ever sees a positive argument, so the loss
and its gradient ``softmax(z) - onehot(t)`` are finite for logits of any magnitude.
PyTorch's ``cross_entropy`` does the same (log-sum-exp).

The counterfactual: the naive softmax-then-log, written with each engine's own ops below
(``naive_cross_entropy_tensor`` and ``naive_cross_entropy_scalar``). At logits of magnitude
1 both forms agree. At magnitude 1e3: all logits near +1000 give ``inf / inf`` = nan, all
near -1000 give ``0 / 0`` = nan, and logits spread over ±1000 give a probability of exactly
0 for most targets, whose log minigrad refuses (``ValueError``; PyTorch would give an
infinite loss). Gradients through a nan are nan: training would be over.

The experiment runs both on four sets of logits in both engines and compares minigrad's
loss and gradient with PyTorch's (float64) when torch is installed, else with a log-sum-exp
computed by hand in float64 NumPy.
"""

import math

import numpy as np

import minigrad
from minigrad.experiments.result import Result

NAME = "stable_cross_entropy"
CLAIM = (
    "Softmax followed by log gives a nan loss, nan gradients or log(0) at logits of magnitude "
    "1e3; minigrad's cross_entropy_loss (log-sum-exp) stays finite there and equals PyTorch's."
)
SECONDS = 2

N, C = 4, 10  # samples, classes


# -- the counterfactual ----------------------------------------------------------------------


def naive_cross_entropy_tensor(z, targets):
    """Softmax, then log, as it reads: ``z`` an (N, C) Tensor."""
    e = z.exp()
    softmax = e / e.sum(axis=1, keepdims=True)
    return -(softmax.log()[np.arange(len(targets)), targets]).mean()


def naive_cross_entropy_scalar(rows, targets):
    """Softmax, then log, as it reads: ``rows`` N lists of C Values."""
    losses = []
    for row, t in zip(rows, targets):
        e = [v.exp() for v in row]
        losses.append(-(e[t] / minigrad.scalar.Value.sum_of(e)).log())
    return minigrad.scalar.Value.sum_of(losses) / len(losses)


# -- the reference -----------------------------------------------------------------------------


def reference(z, targets):
    """The loss and its gradient by PyTorch (float64), or by hand in float64 NumPy without
    torch: ``(loss, gradient, name of the reference)``."""
    try:
        import torch
    except ImportError:
        m = z.max(axis=1, keepdims=True)
        shifted = z - m
        lse = np.log(np.exp(shifted).sum(axis=1))
        loss = float(np.mean(lse - shifted[np.arange(len(targets)), targets]))
        grad = np.exp(shifted - lse[:, None])
        grad[np.arange(len(targets)), targets] -= 1.0
        return loss, grad / len(targets), "NumPy log-sum-exp (torch is not installed)"
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(zt, torch.tensor(targets))
    loss.backward()
    return loss.item(), zt.grad.numpy(), f"PyTorch {torch.__version__} (float64)"


# -- running one loss in one engine --------------------------------------------------------------


def tensor_loss(loss_fn, z, targets):
    """``loss_fn`` in the tensor engine: the loss, and the logits' gradient."""
    logits = minigrad.tensor.Tensor(z, requires_grad=True)
    loss = loss_fn(logits, targets)
    loss.backward()
    return loss.item(), np.asarray(logits.grad)


def scalar_loss(loss_fn, z, targets):
    """``loss_fn`` in the scalar engine: the loss, and the logits' gradient."""
    rows = [[minigrad.scalar.Value(float(v)) for v in row] for row in z]
    loss = loss_fn(rows, targets)
    loss.backward()
    return loss.data, np.array([[v.grad for v in row] for row in rows])


def attempt(run_loss, loss_fn, z, targets):
    """``(loss, gradient, error)``: what ``run_loss`` gave, or the name of the error it
    raised."""
    try:
        loss, grad = run_loss(loss_fn, z, targets)
    except (ValueError, FloatingPointError, OverflowError) as e:
        return None, None, type(e).__name__
    return loss, grad, None


def describe(loss, grad, error):
    """The naive form's loss and gradient as table cells."""
    if error is not None:
        return error, "none (raised)"
    bad = int(np.size(grad) - np.isfinite(grad).sum())
    return loss, f"{bad} of {np.size(grad)} not finite" if bad else "finite"


def run(seed=0):
    """Both forms on four sets of logits, in both engines, against the reference."""
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, C, N).tolist()
    cases = {
        "N(0, 1)": rng.normal(size=(N, C)),
        "1000 + N(0, 10)": 1000.0 + 10.0 * rng.normal(size=(N, C)),
        "-1000 + N(0, 10)": -1000.0 + 10.0 * rng.normal(size=(N, C)),
        "N(0, 1000)": 1000.0 * rng.normal(size=(N, C)),
    }
    engines = {
        "tensor": (tensor_loss, naive_cross_entropy_tensor, minigrad.tensor.cross_entropy_loss),
        "scalar": (scalar_loss, naive_cross_entropy_scalar, minigrad.scalar.cross_entropy_loss),
    }
    rows, checks = [], []
    for case, z in cases.items():
        ref_loss, ref_grad, ref_name = reference(z, targets)
        for engine, (run_loss, naive, stable) in engines.items():
            n_loss, n_grad, n_error = attempt(run_loss, naive, z, targets)
            s_loss, s_grad = run_loss(stable, z, targets)
            loss_err = abs(s_loss - ref_loss) / max(1.0, abs(ref_loss))
            grad_err = float(np.max(np.abs(s_grad - ref_grad)))
            naive_ok = (
                n_error is None
                and math.isfinite(n_loss)
                and bool(np.isfinite(n_grad).all())
                and abs(n_loss - ref_loss) <= 1e-9 * max(1.0, abs(ref_loss))
            )
            stable_ok = (
                math.isfinite(s_loss)
                and bool(np.isfinite(s_grad).all())
                and loss_err <= 1e-12
                and grad_err <= 1e-12
            )
            if n_error is not None:
                naive_outcome = "raised"
            elif not math.isfinite(n_loss) and not np.isfinite(n_grad).any():
                naive_outcome = "nan"  # (inf too: not finite, loss and every gradient)
            else:
                naive_outcome = "finite" if naive_ok else "wrong"
            checks.append(
                {
                    "case": case,
                    "engine": engine,
                    "naive right": naive_ok,
                    "minigrad right": stable_ok,
                    "naive": naive_outcome,
                }
            )
            rows.append(
                [
                    case,
                    engine,
                    *describe(n_loss, n_grad, n_error),
                    s_loss,
                    ref_loss,
                    loss_err,
                    grad_err,
                ]
            )

    small = [c for c in checks if c["case"] == "N(0, 1)"]
    large = [c for c in checks if c["case"] != "N(0, 1)"]
    holds = (
        all(c["naive right"] and c["minigrad right"] for c in small)  # both right at 1
        and all(not c["naive right"] and c["minigrad right"] for c in large)  # at 1e3 one is
    )

    def cases_where(outcome):
        found = {
            e: [c["case"] for c in large if c["engine"] == e and c["naive"] == outcome]
            for e in engines
        }
        tensor, scalar = (" and ".join(found[e]) or "no case" for e in ("tensor", "scalar"))
        return (
            f"{tensor} (both engines)"
            if tensor == scalar
            else (f"{tensor} (tensor engine; scalar engine: {scalar})")
        )

    verdict = (
        "At logits N(0, 1) the naive form and minigrad's agree with the reference. At "
        f"magnitude 1e3 the naive form gives a non-finite loss and only non-finite gradients "
        f"for {cases_where('nan')}, and stops with minigrad's ValueError for log(0) at "
        f"{cases_where('raised')}, where a probability underflowed to 0. "
        "minigrad's cross_entropy_loss is finite in every case and matches "
        f"{ref_name} to {max(r[6] for r in rows):.1e} in the loss (relative) and "
        f"{max(r[7] for r in rows):.1e} in the gradient."
    )
    return Result(
        name=NAME,
        claim=CLAIM,
        setup=(
            f"{N} samples of {C} classes, logits drawn four ways and targets at random "
            f"(numpy.random.default_rng({seed})); naive softmax-then-log (this file) against "
            f"cross_entropy_loss, in both engines; reference: {ref_name}."
        ),
        columns=[
            "logits",
            "engine",
            "naive loss",
            "naive gradient",
            "minigrad loss",
            "reference loss",
            "loss error",
            "max gradient error",
        ],
        rows=rows,
        verdict=verdict,
        holds=bool(holds),
        extra={"reference": ref_name, "targets": targets},
    )
