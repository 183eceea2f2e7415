"""Special values (issue 8, point 3): every op of both engines at ±0, ±1, ±2.5, ±1e-300,
±1e300, ±inf and nan.

The grid: every unary op over ``VALUES``; every binary op over ``VALUES`` x ``VALUES`` with
both operands nodes, and over ``NUMBERS`` x ``NUMBERS`` with one operand a plain float on
the left (``2.0 ** Value(x)``) or on the right (``Value(x) ** 401``). ``NUMBERS`` adds a few
operands worth a plain number: odd and even integer powers, a large odd power, -10. For
each case, and for each node operand, the rules are (docs/API.md, "Special values"):

- both engines give the same value and the same gradients: NaN equals NaN; the sign of a
  zero counts in values (``1 / v`` tells them apart) but not in gradients (the scalar
  engine accumulates a leaf's gradient onto ``+0.0``, and ``+0.0 + -0.0`` is ``+0.0``;
  PyTorch accumulates the same way once a leaf gets two contributions);
- nothing prints a warning (NumPy's ``RuntimeWarning`` included);
- the only errors are the contract's two ``ValueError``s: ``log`` of a number <= 0, and a
  negative finite base to a finite non-integer power;
- with torch installed, values and gradients equal PyTorch float64's, except the
  deliberate deviations listed in ``DELIBERATE_DEVIATIONS``: the same nan, the same
  infinities, the same zeros (signed, in values), and finite numbers within
  ``TORCH_RTOL`` (PyTorch's vectorised tanh and sigmoid differ from libm's in the last
  bits, e.g. tanh'(2.5) by 8 ulp).

One test per op (and engine), each listing every failing case in its message:
``pow(V(-10.0), 401.0)`` is ``Value(-10.0) ** 401.0``; ``V(x)`` is a node, a bare number is
a plain float. ``python -m tests.test_special_values`` prints the same lists for all ops.
"""

import math
import warnings
from collections import namedtuple
from functools import cache

import pytest

import minigrad
from tests.ops import negative_base_to_fraction, ops

inf, nan = math.inf, math.nan
VALUES = (0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 1e-300, -1e-300, 1e300, -1e300, inf, -inf, nan)
NUMBERS = VALUES + (2.0, 3.0, -3.0, 0.5, 401.0, -10.0)
TORCH_RTOL = 1e-13
# Finite results of the two engines may differ in the last bit, and only there: NumPy's
# vectorised pow rounds differently from the C library's (2.5 ** 2.5 is ...185 in NumPy,
# ...186 in Python and PyTorch). Every nan, inf, zero and sign must match exactly.
ENGINE_RTOL = 4.5e-16

# The grid's ops: every elementwise op of both engines in the table (tests/ops.py) except
# those with a plain number baked in (the grid pairs binary ops with plain numbers itself).
GRID_OPS = {op.name: op for op in ops("both", elementwise=True, with_number=False)}


def contract_error(op, args):
    """True where the contract makes ``op`` at ``args`` (the input numbers, in order)
    raise ``ValueError``."""
    raises = GRID_OPS[op].raises
    return raises is not None and bool(raises(*args))


# Where minigrad deliberately differs from PyTorch float64: name -> (applies to (op, args,
# nodes), what PyTorch gives there (checked), why we differ). docs/API.md lists the same.
DELIBERATE_DEVIATIONS = {
    "log of a number <= 0 raises ValueError": (
        lambda op, args, nodes: op == "log" and args[0] <= 0,
        lambda t, args: math.isnan(t.value) or (args[0] == 0 and t.value == -inf),
        "PyTorch returns nan (-inf at 0) and the nan spreads silently through training; "
        "the contract makes it an error where it happens",
    ),
    "negative finite base to a finite non-integer power raises ValueError": (
        lambda op, args, nodes: op == "pow" and negative_base_to_fraction(*args),
        lambda t, args: math.isnan(t.value),
        "not a real number: PyTorch returns nan, the contract makes it an error where it happens",
    ),
    "sqrt of a number < 0 raises ValueError": (
        lambda op, args, nodes: op == "sqrt" and args[0] < 0,
        lambda t, args: math.isnan(t.value),
        "not a real number: PyTorch returns nan; the contract makes it an error where it "
        "happens, as for log and for x ** 0.5 (whose negative base raises too)",
    ),
    "number / node is a / x, not x.reciprocal() * a": (
        lambda op, args, nodes: (
            op == "div"
            and abs(args[0]) in (0.0, 1e-300, 1e300, inf)
            and abs(args[1]) in (1e-300, 1e300)
        ),
        lambda t, args: True,  # PyTorch: 1e-300 / x(1e-300) = 0.9999999999999999, grad -inf
        "PyTorch computes a plain number divided by a tensor as reciprocal(x) * a, which "
        "rounds a / x differently and overflows in the gradient (nan or inf where the true "
        "-a / x**2 is finite); minigrad computes a / x and -(a / x) / x, as for two nodes",
    ),
    "node ** 0.5 at -0.0 and -inf is C99's pow, not sqrt": (
        lambda op, args, nodes: (
            op == "pow"
            and nodes == (True, False)
            and args[1] == 0.5
            and args[0] in (-0.0, -inf)
            and math.copysign(1.0, args[0]) < 0
        ),
        # PyTorch: x(-inf) ** 0.5 = nan (grad nan), x(-0.0) ** 0.5 = -0.0 (grad -inf)
        lambda t, args: (
            (math.isnan(t.value) and math.isnan(t.grads[0]))
            or (t.value == 0.0 and math.copysign(1.0, t.value) < 0 and t.grads[0] == -inf)
        ),
        "a node to the plain number 0.5 at -0.0 and -inf, 2 cases: PyTorch computes "
        "tensor ** 0.5 as sqrt (-0.0, nan) with sqrt's derivative (-inf at -0.0), but "
        "tensor ** tensor and number ** tensor by C99's pow (+0.0, inf); minigrad uses C99's "
        "pow for all three, in both engines, so x ** 0.5 is one function of x whichever "
        "operand is a node",
    ),
}


# -- the grid --------------------------------------------------------------------------------

Case = namedtuple("Case", "op nodes args")  # nodes: which operands are nodes (tuple of bool)


def cases(op):
    if GRID_OPS[op].arity == 1:
        return [Case(op, (True,), (x,)) for x in VALUES]
    grid = [Case(op, (True, True), (x, y)) for x in VALUES for y in VALUES]
    grid += [Case(op, (True, False), (x, y)) for x in NUMBERS for y in NUMBERS]
    grid += [Case(op, (False, True), (x, y)) for x in NUMBERS for y in NUMBERS]
    return grid


def describe(case):
    args = ", ".join(f"V({x!r})" if node else repr(x) for node, x in zip(case.nodes, case.args))
    return f"{case.op}({args})"


# value: float; grads: one float per node operand; error: "ValueError: ..." or None;
# warnings: the messages of every warning raised.
Outcome = namedtuple("Outcome", "value grads error warnings")


def leaf(engine, x):
    if engine == "scalar":
        return minigrad.backend("scalar").Value(x)
    if engine == "tensor":
        return minigrad.backend("tensor").Tensor(x, requires_grad=True)
    import torch

    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def run(engine, case):
    """``case`` in ``engine`` ("scalar", "tensor" or "torch"): forward, then backward from
    the result with gradient 1."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            operands = [leaf(engine, x) if node else x for node, x in zip(case.nodes, case.args)]
            op = GRID_OPS[case.op]
            out = (op.torch_fn if engine == "torch" else op.fn)(*operands)
            out.backward()
            grads = tuple(float(o.grad) for o, node in zip(operands, case.nodes) if node)
            value, error = float(out.data if engine != "torch" else out.item()), None
        except Exception as e:  # noqa: BLE001 -- every exception is a finding to report
            value, grads, error = None, None, f"{type(e).__name__}: {e}"
    messages = tuple(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))
    return Outcome(value, grads, error, messages)


@cache
def outcomes(engine, op):
    """(case, outcome) pairs in grid order. Not a dict: ``0.0 == -0.0`` and the two hash
    alike, so cases that differ only in the sign of a zero would collide as keys."""
    return [(case, run(engine, case)) for case in cases(op)]


def same_float(a, b, signed_zero, rel):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if signed_zero and a == 0 == b:
        return math.copysign(1.0, a) == math.copysign(1.0, b)
    return a == b or (rel > 0 and math.isclose(a, b, rel_tol=rel))


def same_result(a, b, rel=0.0):
    return same_float(a.value, b.value, True, rel) and all(
        same_float(x, y, False, rel) for x, y in zip(a.grads, b.grads)
    )


def error_type(o):
    return o.error and o.error.split(":")[0]


def show(o):
    if o.error:
        return o.error.splitlines()[0][:100]
    grads = ", ".join(repr(g) for g in o.grads)
    return f"{o.value!r} grad ({grads})"


# -- what each rule finds ---------------------------------------------------------------------


def error_failures(engine, op):
    found = []
    for case, o in outcomes(engine, op):
        expected = contract_error(op, case.args)
        if expected and (o.error is None or not o.error.startswith("ValueError")):
            found.append(f"{describe(case)}: expected ValueError, got {show(o)}")
        elif not expected and o.error is not None:
            found.append(f"{describe(case)}: raised {show(o)}")
    return found


def warning_failures(engine, op):
    return [
        f"{describe(case)}: {'; '.join(o.warnings)}"
        for case, o in outcomes(engine, op)
        if o.warnings
    ]


def disagreements(op):
    found = []
    for (case, s), (_, t) in zip(outcomes("scalar", op), outcomes("tensor", op)):
        if s.error or t.error:
            if error_type(s) != error_type(t):
                found.append(f"{describe(case)}: scalar {show(s)} | tensor {show(t)}")
        elif not same_result(s, t, rel=ENGINE_RTOL):
            found.append(f"{describe(case)}: scalar {show(s)} | tensor {show(t)}")
    return found


def deviation_of(case):
    for name, (applies, _, _) in DELIBERATE_DEVIATIONS.items():
        if applies(case.op, case.args, case.nodes):
            return name
    return None


def torch_failures(engine, op):
    found = []
    for (case, o), (_, t) in zip(outcomes(engine, op), outcomes("torch", op)):
        name = deviation_of(case)
        if name is not None:
            torch_gives = DELIBERATE_DEVIATIONS[name][1]
            if t.error is not None or not torch_gives(t, case.args):
                found.append(f"{describe(case)}: listed deviation {name!r}, torch {show(t)}")
            continue  # what we do there instead is error_failures' business
        if o.error is not None or t.error is not None:
            if error_type(o) != error_type(t):
                found.append(f"{describe(case)}: {engine} {show(o)} | torch {show(t)}")
        elif not same_result(o, t, rel=TORCH_RTOL):
            found.append(f"{describe(case)}: {engine} {show(o)} | torch {show(t)}")
    return found


def report(title, found):
    return f"{title}: {len(found)} case(s)\n  " + "\n  ".join(found)


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("op", list(GRID_OPS))
@pytest.mark.parametrize("engine", minigrad.BACKENDS)
def test_only_the_contract_errors_are_raised(engine, op):
    found = error_failures(engine, op)
    assert not found, report(f"{engine} {op}: unexpected or missing errors", found)


@pytest.mark.parametrize("op", list(GRID_OPS))
@pytest.mark.parametrize("engine", minigrad.BACKENDS)
def test_no_warnings_are_printed(engine, op):
    found = warning_failures(engine, op)
    assert not found, report(f"{engine} {op}: warnings", found)


@pytest.mark.parametrize("op", list(GRID_OPS))
def test_engines_give_identical_values_and_gradients(op):
    found = disagreements(op)
    assert not found, report(f"{op}: scalar and tensor engines disagree", found)


@pytest.mark.parametrize("op", list(GRID_OPS))
@pytest.mark.parametrize("engine", minigrad.BACKENDS)
def test_values_and_gradients_equal_pytorch_float64(engine, op):
    pytest.importorskip("torch", reason="PyTorch oracle: pip install 'minigrad-twins[oracle]'")
    found = torch_failures(engine, op)
    assert not found, report(f"{engine} {op}: differs from PyTorch float64", found)


def test_the_grid_covers_the_cases_issue_8_names():
    named = {
        Case("pow", (True, True), (0.0, 0.0)),
        Case("pow", (False, True), (0.0, -1.0)),
        Case("pow", (True, False), (-10.0, 401.0)),
        Case("pow", (False, True), (-1.0, inf)),
        Case("pow", (True, False), (-1.0, inf)),
    }
    assert named <= set(cases("pow"))
    assert len(cases("neg")) == 13 and len(cases("add")) == 13 * 13 + 2 * 19 * 19


if __name__ == "__main__":  # the full list of failures, for a human
    for engine in minigrad.BACKENDS:
        for op in GRID_OPS:
            for title, found in (
                (f"{engine} {op}: unexpected or missing errors", error_failures(engine, op)),
                (f"{engine} {op}: warnings", warning_failures(engine, op)),
            ):
                if found:
                    print(report(title, found))
    for op in GRID_OPS:
        if found := disagreements(op):
            print(report(f"{op}: scalar and tensor engines disagree", found))
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not installed: PyTorch comparison skipped")
    else:
        for engine in minigrad.BACKENDS:
            for op in GRID_OPS:
                if found := torch_failures(engine, op):
                    print(report(f"{engine} {op}: differs from PyTorch float64", found))


@pytest.mark.parametrize("x", [nan, inf, -inf, 1e300])
def test_models_and_losses_print_no_warnings_on_special_inputs(B, x):
    """The fused ops (a layer's linear node, the losses) are ops too: a model fed inf, nan
    or overflowing inputs gives non-finite numbers, as PyTorch does, and no warning."""
    import numpy as np

    model = B.MLP(3, [4, 2], seed=0)
    X = np.full((2, 3), x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        B.cross_entropy_loss(model(X), [0, 1]).backward()
        B.mse_loss(model(X), np.zeros((2, 2))).backward()


# -- the grid again, with NumPy's public error-state form forced ----------------------------


@pytest.mark.parametrize("op", list(GRID_OPS))
def test_the_grid_is_the_same_with_the_public_error_state_forced(op, monkeypatch):
    """``quiet()`` (minigrad/common/fp_errors.py) sets NumPy's private error-state variable
    when it can, else uses ``np.errstate``. With the public form forced, every case of the
    tensor engine (and of the scalar engine, whose optimizers use it) gives the same value,
    gradients and error as with the form in use, and still no warning."""
    from minigrad.common import fp_errors

    usual = {engine: outcomes(engine, op) for engine in ("scalar", "tensor")}  # cached first
    ignore, restore = fp_errors._public_form()
    monkeypatch.setattr(fp_errors, "_ignore", ignore)
    monkeypatch.setattr(fp_errors, "_restore", restore)
    found = []
    for engine, pairs in usual.items():
        for case, before in pairs:
            after = run(engine, case)
            if after.warnings:
                found.append(f"{engine} {describe(case)}: {'; '.join(after.warnings)}")
            elif error_type(after) != error_type(before) or (
                before.error is None and not same_result(after, before)
            ):
                found.append(f"{engine} {describe(case)}: {show(after)}, usually {show(before)}")
    assert not found, report(f"{op}: the public error-state form differs", found)
