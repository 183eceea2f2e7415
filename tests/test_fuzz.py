"""A differential fuzzer of our own (issue 17): random graphs, every value and gradient
compared scalar engine vs tensor engine vs PyTorch float64.

Two families of graphs, each built from one seed (``numpy.random.default_rng``), so a
failure names its seed and ``python -m tests.test_fuzz --replay a:SEED`` (or ``b:SEED``)
prints the graph as Python and what was found in it:

(a) **elementwise**: expressions over 1-4 inputs with every op of both engines (``+ - * /
    **`` with plain numbers on either side, unary ``-``, ``exp log tanh relu sigmoid``),
    reused nodes and diamonds (an operand is often one of the last nodes made, ``x * x``
    and ``x - x`` happen), inputs mostly ordinary numbers and sometimes 0, -0.0,
    subnormals, 1e±300, ±inf and nan; built identically with ``Value`` s, with 0-d or
    ``(1,)`` tensors and with PyTorch float64 tensors.
(b) **tensor**: graphs of ``Tensor`` s against PyTorch float64: broadcasting (size-1 and
    size-0 dimensions, 0-d operands), ``sum``/``mean``/``max`` over every axis form (None,
    int, negative int, tuple in any order, ``keepdims``, ``axis=`` or ``dim=``),
    ``transpose`` permutations (``.T``, none, negative axes), ``reshape`` (with -1),
    indexing (ints, slices with steps, integer arrays with repeats, tuples of them,
    ``...``), ``@`` (1-D, 2-D, stacked, broadcast stacks), float32 leaves (mixed with
    float64), plain numbers and constant arrays; backward from a random gradient of the
    output's shape (the gradient of a random weighted sum). The caller's index arrays are
    overwritten after the forward pass (a node owns what its rule reads: issue 17, item 4).

How a graph is judged. Whole-graph results of different engines differ legitimately by
rounding, which a long graph can amplify without bound (``x - y`` of nearly equal numbers,
then ``exp``); comparing them with a tolerance gives false alarms or hides bugs. So every
graph is checked *op by op on its own trace*, which is exact about where a difference comes
from:

1. **the graph against its own ops**: each node's value equals its op run alone on the
   engine's input values (exactly), and each node's ``.grad`` is the sum of what its op
   alone, run backward from each child's ``.grad``, hands it (within the rounding of a sum
   in another order) -- this checks the graph machinery: reuse, diamonds, accumulation;
2. **each op against PyTorch float64**: the same op on the same input values and incoming
   gradient, in PyTorch (``TORCH_RTOL``; every nan, inf and the sign of a zero value must
   match; a float32 result against the float64 one rounded to float32 within a few
   float32 ulps, or against PyTorch computing in float32 itself; a sum's rounding bounded
   by the sum of its terms' magnitudes); the dtypes and shapes of values and gradients;
   errors where PyTorch raises, and only there (plus the contract's two ``ValueError`` s);
   no warning. ``max``'s gradient follows PyTorch's ``max()`` in every slice: shared
   equally among ties, and to the nans of a slice whose maximum is nan;
3. **the two engines' ops against each other** (family a): ``ENGINE_RTOL``, plus an
   absolute allowance for ``1 - t*t`` (tanh', sigmoid') of a ``t`` a last bit apart.

Where 2 or 3 differ, the difference is allowed only if a rule explains it exactly: the
rule's predicate holds there and minigrad gives what the rule says. ``DEVIATIONS`` are the
documented deviations of docs/API.md (the table under "Special values", and "Axes are
NumPy's" of "Tensor-engine rules"; each rule names its row, and a test checks that the row
is still there) and the contract's two ``ValueError`` s. ``KNOWN`` are defects known and
not fixed yet (none today): they are reported and counted, not failed, and each has an
``xfail(strict=False)`` test with a minimal case (``KNOWN_CASES``). When one is fixed, its
test XPASSes: delete its ``KNOWN`` rule and move its case to ``FOUND`` (a regression test),
and the fuzzer fails wherever it comes back. Anything else is a finding: the test
fails with a minimal reproduction (one op, its inputs and the gradient arriving at it).

Whole graphs are compared too (scalar vs tensor vs PyTorch, end to end) and counted: a
whole-graph difference in a graph where no op differs is rounding carried by the graph
(engines differ in the last bits of exp, log, pow, tanh and sigmoid; PyTorch in more).

Budgets: the normal run checks ``DEFAULT_GRAPHS`` graphs per family, seeds 0 and up (a
few seconds, the same graphs every run); ``pytest tests/test_fuzz.py --fuzz-graphs 20000
[--fuzz-seed S] -s`` checks more (per family) and prints the counts;
``python -m tests.test_fuzz --graphs 20000 [--seed S] --jobs 2`` does the same outside
pytest, in parallel, and prints every difference grouped by cause, with counts, seeds and
timings. PyTorch
(``pip install 'minigrad-twins[oracle]'``) is needed for family b and for checks 2; without it,
family a still checks 1 and 3.
"""

import argparse
import math
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

import minigrad
from tests.ops import negative_base_to_fraction
from tests.test_special_values import DELIBERATE_DEVIATIONS, ENGINE_RTOL, TORCH_RTOL

try:
    import torch
except ImportError:  # family b and the PyTorch checks skip
    torch = None

inf, nan = math.inf, math.nan
EPS = {np.dtype(np.float64): 2.0**-52, np.dtype(np.float32): 2.0**-23}
TINY = {np.dtype(np.float64): 5e-324, np.dtype(np.float32): 1e-45}
F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
DEFAULT_GRAPHS = {"a": 400, "b": 400}
FAMILIES = {"a": "elementwise", "b": "tensor"}
API_MD = Path(__file__).resolve().parents[1] / "docs" / "API.md"

UNARY = ("neg", "exp", "log", "tanh", "relu", "sigmoid")
BINARY = ("add", "sub", "mul", "div", "pow")
ELEMENTWISE = UNARY + BINARY


# -- numbers ------------------------------------------------------------------------------


def fmt(x):
    """A float as Python source."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def _fmt_number(v):
    if isinstance(v, np.generic):
        return f"np.{type(v).__name__}({fmt(v) if isinstance(v, np.floating) else int(v)})"
    return fmt(v) if isinstance(v, float) else repr(v)


def fmt_array(a):
    a = np.asarray(a)
    body = f"np.array({_fmt_nested(a.tolist())}"
    if a.dtype != F64:
        body += f", dtype=np.{a.dtype.name}"
    return body + ")"


def _fmt_nested(x):
    if isinstance(x, list):
        return "[" + ", ".join(_fmt_nested(v) for v in x) + "]"
    return fmt(x)


def fmt_index(index):
    if isinstance(index, tuple):
        return "(" + ", ".join(fmt_index(i) for i in index) + ("," if len(index) == 1 else "") + ")"
    if isinstance(index, np.ndarray):
        return f"np.array({index.tolist()})"
    if isinstance(index, slice):
        parts = ["" if v is None else str(v) for v in (index.start, index.stop, index.step)]
        return "slice(" + ", ".join(p or "None" for p in parts) + ")"
    if index is Ellipsis:
        return "..."
    return repr(index)


def quiet_np():
    return np.errstate(all="ignore")


def as_f64(x):
    with quiet_np():
        return np.asarray(x, dtype=np.float64)


def rounded(x, dtype):
    """``x`` rounded to ``dtype`` (1e300 as float32 is inf), back as float64."""
    with quiet_np():
        return np.asarray(x, dtype=dtype).astype(np.float64)


def out_of_range(v, *operands):
    """True where ``v``, computed from finite nonzero ``operands``, left the normal range
    (overflow to inf, or underflow to a subnormal or zero)."""
    v = np.abs(as_f64(v))
    ok = np.ones(v.shape, bool)
    for o in operands:
        o = as_f64(o)
        ok = ok & np.isfinite(o) & (o != 0)
    return ok & ((v == inf) | (v < 2.2250738585072014e-308))


def unbroadcast(g, shape):
    """``g`` summed down to ``shape`` (undoing NumPy broadcasting), in float64."""
    g = as_f64(g)
    if g.shape == tuple(shape):
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1
    )
    with quiet_np():
        g = g.sum(axis=axes, keepdims=True) if axes else g
    return g.reshape(shape)


def close(test, ref, mag, dtype, terms=1, signed_zero=False, rtol=TORCH_RTOL, ulps=64, slack=0.0):
    """Elementwise: ``test`` (a minigrad result of ``dtype``) equals ``ref`` (float64): the
    same nan, the same infinities, the same sign of a zero where ``signed_zero``; finite
    numbers within ``rtol`` of ``ref`` or ``(ulps + 2 terms)`` ulps of ``dtype`` times
    ``mag`` (a bound on the magnitudes summed: the rounding of a sum of ``terms`` terms),
    plus ``slack`` (an absolute allowance, an array or a number)."""
    dtype = np.dtype(dtype)
    t = as_f64(test)
    r64 = as_f64(ref)
    if t.shape == r64.shape and dtype == F64 and np.array_equal(t, r64, equal_nan=True):
        if not signed_zero or (np.signbit(t) == np.signbit(r64)).all():
            return np.ones(t.shape, bool)  # (the usual case, quickly)
    if t.shape != r64.shape:
        return np.zeros((), bool)
    r = rounded(r64, dtype) if dtype == F32 else r64
    eps, tiny = EPS[dtype], TINY[dtype]
    same_nan = np.isnan(t) == np.isnan(r)
    inf_t, inf_r = np.isinf(t), np.isinf(r)
    near_max = (dtype == F32) & (np.abs(r64) > 1.7e38)  # float32 rounding may overflow or not
    with quiet_np():
        same_inf = np.where(
            inf_t | inf_r,
            (t == r) | (near_max & (np.sign(t) == np.sign(r64))),
            True,
        )
        finite = np.isfinite(t) & np.isfinite(r)
        bound = (ulps + 2 * terms) * eps * as_f64(mag) + (ulps + 2 * terms) * tiny + slack
        if dtype == F64:
            bound = np.maximum(bound, rtol * np.abs(r))
        diff_ok = np.where(finite, np.abs(t - r) <= bound, True)
    ok = same_nan & same_inf & diff_ok
    if signed_zero:
        both_zero = (t == 0) & (r == 0)
        ok = ok & np.where(both_zero, np.signbit(t) == np.signbit(r), True)
    return ok


# -- the op of one node, run alone --------------------------------------------------------
#
# A Case is one node of a graph: its op, its operands (a node, a plain number, or a
# constant array), the data of its node operands as the engine had them, and the gradient
# that arrived at it. Running a Case alone in an engine, and in PyTorch float64, is how
# every difference is localised to one op.


@dataclass
class Case:
    op: str
    operands: tuple  # each ("node", k) | ("num", number) | ("const", array)
    nodes: tuple  # the data of the distinct node operands: arrays (their dtype is theirs)
    g: object  # the gradient arriving at the result: an array of its shape and dtype
    params: dict = field(default_factory=dict)  # axis, keepdims, shape, axes, index, ...
    scalar: bool = False  # the nodes are Values (family a): 0-d float64 data
    plain: object = field(default=None, repr=False)  # reference(case), once computed

    def like(self):
        """The node a plain number or constant array takes its dtype from (``lift``)."""
        return self.nodes[0]

    def out_dtype(self):
        return np.result_type(*[n.dtype for n in self.nodes])


@dataclass
class Single:
    value: object = None
    contribs: tuple = None  # the gradient each distinct node operand received
    error: str = None
    warnings: tuple = ()
    mags: tuple = None  # of a node used twice (x * x): the sum of both parts' magnitudes


def forward(op, args, params):
    """``op`` applied to ``args`` (nodes of any engine, numbers, arrays) as a user writes it."""
    a = args[0]
    if op == "add":
        return a + args[1]
    if op == "sub":
        return a - args[1]
    if op == "mul":
        return a * args[1]
    if op == "div":
        return a / args[1]
    if op == "pow":
        return a ** args[1]
    if op == "neg":
        return -a
    if op in ("exp", "log", "tanh", "relu", "sigmoid"):
        return getattr(a, op)()
    if op == "matmul":
        return a @ args[1]
    if op in ("sum", "mean", "max"):
        kw = {"keepdims": params["keepdims"]} if params["keepdims"] is not None else {}
        if params["axis"] is not None or params["kw"] == "dim":
            kw[params["kw"]] = params["axis"]
        return getattr(a, op)(**kw)
    if op == "transpose":
        form, axes = params["form"], params["axes"]
        if form == "T":
            return a.T
        if form == "none":
            return a.transpose()
        return a.transpose(axes) if form == "tuple" else a.transpose(*axes)
    if op == "reshape":
        shape = params["shape"]
        return a.reshape(shape) if params["form"] == "tuple" else a.reshape(*shape)
    if op == "getitem":
        return a[params["index"]]
    raise AssertionError(op)


def copy_index(index):
    if isinstance(index, tuple):
        return tuple(copy_index(i) for i in index)
    return index.copy() if isinstance(index, np.ndarray) else index


def scramble_index(index, shape):
    """Overwrite the integer arrays of ``index`` in place (what a caller refilling its
    array does after the forward pass): each entry becomes the next valid position."""
    items = index if isinstance(index, tuple) else (index,)
    axis = 0
    for i, item in enumerate(items):
        if item is Ellipsis:
            axis = len(shape) - (len(items) - i - 1)
            continue
        if isinstance(item, np.ndarray):
            n = shape[axis]
            item[...] = (item + 1) % n if n else item
        if item is not None:
            axis += 1
    return index


def scrambled(params, shape):
    return scramble_index(copy_index(params["index"]), shape)


def minigrad_args(case, leaves):
    args = []
    for kind, v in case.operands:
        if kind == "node":
            args.append(leaves[v])
        else:
            args.append(v)
    return args


def run_single(engine, case):
    """``case`` alone in a minigrad engine: forward, then backward from ``case.g``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            B = minigrad.backend(engine)
            if engine == "scalar":
                leaves = [B.Value(_first(x)) for x in case.nodes]
            else:
                leaves = [B.Tensor(x, requires_grad=True, dtype=x.dtype) for x in case.nodes]
            params = dict(case.params)
            if case.op == "getitem":
                params["index"] = copy_index(params["index"])  # the caller's own array
            out = forward(case.op, minigrad_args(case, leaves), params)
            if case.op == "getitem" and params.get("scramble"):
                scramble_index(params["index"], case.nodes[0].shape)
            if engine == "scalar":
                out.backward(_first(case.g))
                value, contribs = out.data, tuple(leaf.grad for leaf in leaves)
            else:
                out.backward(case.g)
                value = np.array(out.data, copy=True)
                contribs = tuple(np.array(leaf.grad, copy=True) for leaf in leaves)
            error = None
        except Exception as e:  # noqa: BLE001 -- every exception is compared
            value = contribs = None
            error = f"{type(e).__name__}: {e}"
    msgs = tuple(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))
    mags = None if contribs is None else tuple(np.abs(as_f64(c)) for c in contribs)
    positions = [v for kind, v in case.operands if kind == "node"]
    if contribs is not None and len(set(positions)) < len(positions):  # x * x, x - x
        operands, n = [], 0
        for kind, v in case.operands:
            operands.append(("node", n) if kind == "node" else (kind, v))
            n += kind == "node"
        nodes = tuple(case.nodes[v] for v in positions)
        apart = Case(case.op, tuple(operands), nodes, case.g, case.params, case.scalar)
        parts = run_single(engine, apart)
        if parts.contribs is not None:
            mags = [np.zeros(np.shape(as_f64(c))) for c in contribs]
            with quiet_np():
                for k, c in zip(positions, parts.contribs):
                    mags[k] = mags[k] + np.abs(as_f64(c))
            mags = tuple(mags)
    return Single(value, contribs, error, msgs, mags)


# -- PyTorch float64, the oracle --------------------------------------------------------


@dataclass
class Ref:
    value: object = None
    contribs: list = None
    vmag: object = None  # magnitude bounds, for the tolerance of sums
    cmags: list = None
    cslack: list = None  # absolute allowances (tanh', sigmoid': 1 - t*t of a rounded t)
    terms: int = 1
    error: str = None
    fired: frozenset = frozenset()


def torch_op(op, args, params):
    """``op`` in PyTorch, for the oracle: NumPy's forms in PyTorch's words."""
    a = args[0]
    if op in ELEMENTWISE or op == "matmul":
        return forward(op, args, params)
    if op in ("sum", "mean"):
        dims = params["axis"]
        if dims is None:
            dims = tuple(range(a.ndim))
        return getattr(a, op)(dim=dims, keepdim=bool(params["keepdims"]))
    if op == "transpose":
        if params["form"] in ("T", "none"):
            return a.permute(tuple(reversed(range(a.ndim))))
        return a.permute(tuple(params["axes"]))
    if op == "reshape":
        return a.reshape(params["shape"])
    if op == "getitem":
        return a[torch_index(params["index"])]
    raise AssertionError(op)


def torch_index(index):
    if isinstance(index, tuple):
        return tuple(torch_index(i) for i in index)
    if isinstance(index, np.ndarray):
        return torch.as_tensor(index, dtype=torch.int64)
    return index


def reference(case, rules=(), dtype=None):
    """``case`` in PyTorch float64 from the same input values, with ``rules`` (each a
    ``Rule``) applied where their predicates hold. ``dtype=torch.float32``: PyTorch
    computing in float32 itself (for a float32 op: the rounding of its intermediate
    results, e.g. an underflow inside ``-(x / y) / y * g``, is PyTorch's too)."""
    dtype = dtype or torch.float64
    try:
        if case.op in ELEMENTWISE:
            return _reference_elementwise(case, rules, dtype)
        return _reference_structural(case, rules, dtype)
    except Exception as e:  # noqa: BLE001 -- PyTorch refuses: minigrad must too
        return Ref(error=f"{type(e).__name__}: {e}")


def operand_values(case):
    """Each operand as the op sees it, in float64: a node's data, a number or constant
    array rounded to the dtype of the node it meets (``lift``: as PyTorch does)."""
    like = case.like().dtype
    vals = []
    for kind, v in case.operands:
        if kind == "node":
            vals.append(as_f64(case.nodes[v]))
        elif kind == "num":
            vals.append(float(rounded(v, like)) if like == F32 else float(v))
        else:
            vals.append(rounded(v, like))
    return vals


def _reference_elementwise(case, rules, dtype=None):
    vals = operand_values(case)
    shape = np.broadcast_shapes(*[np.shape(v) for v in vals])
    tensors, leaves = [], []
    for (kind, _), v in zip(case.operands, vals):
        if kind == "node":
            t = torch.tensor(np.broadcast_to(v, shape).copy(), dtype=dtype, requires_grad=True)
            leaves.append(t)
            tensors.append(t)
        elif kind == "num":
            leaves.append(None)
            tensors.append(v)
        else:
            leaves.append(None)
            tensors.append(torch.tensor(v, dtype=dtype))
    out = forward(case.op, tensors, case.params)
    g = np.broadcast_to(as_f64(case.g), shape).copy()
    out.backward(torch.tensor(g, dtype=out.dtype))
    value = as_f64(out.detach().numpy())
    cpos = [
        None if t is None else (as_f64(t.grad.numpy()) if t.grad is not None else np.zeros(shape))
        for t in leaves
    ]
    full = [np.broadcast_to(v, shape) if not isinstance(v, float) else v for v in vals]
    fired = set()
    for rule in rules:
        if case.op not in rule.ops or rule.whole:
            continue
        mask = np.broadcast_to(rule.mask(case.op, case.operands, full, g, value, case), shape)
        if not mask.any():
            continue
        fired.add(rule.name)
        v2, c2 = rule.formula(case.op, case.operands, full, g, value, case)
        if v2 is not None:
            value = np.where(mask, v2, value)
        for i, c in enumerate(c2):
            if c is not None and cpos[i] is not None:
                cpos[i] = np.where(mask, c, cpos[i])
    contribs, cmags, cslack = [], [], []
    for k, node in enumerate(case.nodes):
        idx = [i for i, (kind, v) in enumerate(case.operands) if kind == "node" and v == k]
        with quiet_np():
            total = sum(cpos[i] for i in idx)
            mag = sum(np.abs(cpos[i]) for i in idx)
        contribs.append(unbroadcast(total, node.shape))
        cmags.append(unbroadcast(mag, node.shape))
        slack = 0.0
        if case.op in ("tanh", "sigmoid"):  # 1 - t*t, s * (1 - s) of a t, s a few ulps off
            slack = 64 * EPS[case.out_dtype()] * unbroadcast(np.abs(g), node.shape)
        cslack.append(slack)
    terms = max(1, int(np.prod(shape)) // max(1, min(int(np.prod(n.shape)) for n in case.nodes)))
    return Ref(value, contribs, np.abs(value), cmags, cslack, terms, None, frozenset(fired))


def _max_reference(x, axis, keepdims, g):
    """``max`` and its gradient: PyTorch's ``max()`` rule (the gradient shared equally
    among the maxima; a slice holding nan has nan for maximum, and its gradient goes to its
    nans) applied to every slice. (``torch.amax`` gives such a slice nan gradients and
    ``max(dim)`` picks one index among ties; minigrad shares among ties, as ``max()``.)
    The value, and every error, is PyTorch's own."""
    t = torch.tensor(x)
    if axis is None or x.ndim == 0:
        m_keep = np.reshape(
            t.max().numpy() if axis is None else torch.amax(t, dim=axis).numpy(), (1,) * x.ndim
        )
        red = None
    else:
        m_keep = torch.amax(t, dim=axis, keepdim=True).numpy()
        red = _norm_axes(axis, x.ndim)
    value = (
        m_keep
        if keepdims
        else (m_keep.reshape(()) if red is None else np.squeeze(m_keep, axis=red))
    )
    gk = as_f64(g).reshape(m_keep.shape)
    mask = (x == m_keep) | (np.isnan(x) & np.isnan(m_keep))
    count = mask.sum(axis=red, keepdims=True)
    with quiet_np():
        grad = np.where(mask, gk / np.maximum(count, 1), 0.0)
    return value, grad


def _norm_axes(axis, ndim):
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim if ndim else a for a in axes))


def _reference_structural(case, rules, dtype=None):
    x = as_f64(case.nodes[0])
    params = case.params
    g = as_f64(case.g)
    fired = set()
    for rule in rules:
        if case.op in rule.ops and rule.standalone and rule.mask(case):
            value, contribs, cmags = rule.formula(case, None, None)
            zeros = [0.0] * len(contribs)
            return Ref(
                value, contribs, np.abs(value), cmags, zeros, 1, None, frozenset({rule.name})
            )
    if case.op == "max":
        value, grad = _max_reference(x, params["axis"], bool(params["keepdims"]), g)
        contribs, cmags, terms = [grad], [np.abs(grad)], 1
        vmag = np.abs(value)
    else:
        vals = operand_values(case)
        leaves = []
        tensors = []
        for (kind, _), v in zip(case.operands, vals):
            t = torch.tensor(np.asarray(v), dtype=dtype, requires_grad=(kind == "node"))
            tensors.append(t)
            if kind == "node":
                leaves.append(t)
        out = torch_op(case.op, tensors, params)
        out.backward(torch.tensor(g, dtype=out.dtype))
        value = as_f64(out.detach().numpy())
        contribs = [
            as_f64(t.grad.numpy()) if t.grad is not None else np.zeros(t.shape) for t in leaves
        ]
        # magnitudes: the same op on absolute values (a bound for sums and products)
        abs_tensors = [
            torch.tensor(np.abs(np.asarray(v)), requires_grad=(kind == "node"))
            for (kind, _), v in zip(case.operands, vals)
        ]
        abs_out = torch_op(case.op, abs_tensors, params)
        abs_out.backward(torch.tensor(np.abs(g)))
        vmag = abs_out.detach().numpy()
        cmags = [
            t.grad.numpy().copy() if t.grad is not None else np.zeros(t.shape)
            for t in abs_tensors
            if t.requires_grad
        ]
        terms = max(1, max(int(np.prod(np.shape(v))) for v in vals))
        # a node used twice (x @ x): one node, the sum of both
        contribs, cmags = _merge_aliases(case, contribs), _merge_aliases(case, cmags)
    for rule in rules:
        if (
            case.op in rule.ops
            and rule.whole
            and rule.formula
            and not rule.standalone
            and rule.mask(case)
        ):
            fired.add(rule.name)
            v2, c2 = rule.formula(case, value, contribs)
            value = value if v2 is None else v2
            contribs = [c if n is None else n for c, n in zip(contribs, c2)]
    return Ref(value, contribs, vmag, cmags, [0.0] * len(contribs), terms, None, frozenset(fired))


def _merge_aliases(case, per_position):
    node_positions = [v for kind, v in case.operands if kind == "node"]
    merged = [None] * len(case.nodes)
    for k, c in zip(node_positions, per_position):
        merged[k] = c if merged[k] is None else merged[k] + c
    return merged


# -- the rules: documented deviations, and issue 17's known defects ------------------------
#
# An elementwise rule has ``mask(op, operands, values, g, torch_value)``: where it applies
# (``values``: each operand broadcast to the result's shape, or a number; ``g``: the
# gradient arriving there), and ``formula(...)``: what minigrad gives there instead,
# ``(value or None, [gradient per operand position, or None])``; None keeps PyTorch's.
# A ``whole`` rule (a structural op) has ``mask(case)`` and ``formula(case, value,
# contribs)``. An ``engines`` rule explains a difference between the two engines (check 3).


@dataclass(frozen=True)
class Rule:
    name: str
    item: str  # "documented", or the issue item: "17.8"
    ops: tuple
    mask: object
    formula: object = None
    whole: bool = False
    engines: bool = False
    raises: str = ""  # a rule that excuses an error: its class name
    standalone: bool = False  # a whole rule whose formula gives everything (PyTorch may refuse)
    doc: str = ""  # documented: the words of its row in docs/API.md


def _kinds(operands):
    return tuple(kind for kind, _ in operands)


def _no(values):
    return np.zeros(np.broadcast_shapes(*[np.shape(v) for v in values]), bool)


def _relu_mask(op, operands, v, g, value, case=None):
    with quiet_np():
        return (v[0] <= 0) & ~np.isfinite(g)


def _relu_formula(op, operands, v, g, value, case=None):
    with quiet_np():
        return None, [g * (value != 0)]


def _rdiv_mask(op, operands, v, g, value, case=None):
    """Where PyTorch's ``reciprocal(x) * a`` (and its gradient ``-(g a) r r``) leaves the
    normal range: 1/x, r*r, r*a or g*a overflows or underflows."""
    if _kinds(operands) != ("num", "node"):
        return _no(v)
    a, x = v
    with quiet_np():
        r = 1.0 / x
        return (
            out_of_range(r, x)
            | out_of_range(r * r, r)
            | out_of_range(r * a, r, a)
            | out_of_range(g * a, g, a)
        )


def _rdiv_formula(op, operands, v, g, value, case=None):
    a, x = v
    with quiet_np():
        out = a / x
        return out, [None, -(out / x) * g]


def _half_mask(op, operands, v, g, value, case=None):
    """``node ** 0.5`` (a plain 0.5) at -0.0 and -inf; ``node ** 1.5`` at -inf (its
    derivative is 1.5 x ** 0.5, which PyTorch computes by sqrt)."""
    if _kinds(operands) != ("node", "num"):
        return _no(v)
    x, y = v
    return ((y == 0.5) & ((x == -inf) | ((x == 0) & np.signbit(x)))) | ((y == 1.5) & (x == -inf))


def c99_pow(x, y):
    """C99's ``pow``, elementwise (NumPy takes ``x ** 0.5`` of one exponent as sqrt)."""

    def one(a, b):
        odd = b.is_integer() and b % 2 == 1
        try:
            return math.pow(a, b)
        except OverflowError:
            return -inf if odd and a < 0 else inf
        except ValueError:  # 0 ** negative (inf), or a negative base to a fraction (nan)
            return (math.copysign(inf, a) if odd else inf) if a == 0 else nan

    return np.vectorize(one, otypes=[float])(as_f64(x), as_f64(y))


def _half_formula(op, operands, v, g, value, case=None):
    x, y = (as_f64(u) for u in v)
    with quiet_np():
        out = c99_pow(x, y)
        return out, [np.where(y == 0, 0.0, y * c99_pow(x, y - 1.0)) * g, None]


def _rsqrt_mask(op, operands, v, g, value, case=None):
    """``node ** -0.5`` at -0.0 and -inf, which PyTorch computes as ``rsqrt`` (-inf, nan)."""
    if _kinds(operands) != ("node", "num"):
        return _no(v)
    x, y = v
    return (y == -0.5) & ((x == -inf) | ((x == 0) & np.signbit(x)))


def _square_overflow_mask(op, operands, v, g, value, case=None):
    """``node ** -2`` (value) and ``node ** -1`` (its derivative, ``-x ** -2``) where
    ``x * x`` overflows: PyTorch computes ``x ** -2`` as ``1 / (x * x)``."""
    if _kinds(operands) != ("node", "num"):
        return _no(v)
    x, y = v
    with quiet_np():
        return ((y == -2) | (y == -1)) & np.isfinite(x) & np.isinf(x * x)


def _square_overflow_formula(op, operands, v, g, value, case=None):
    x, y = (as_f64(u) for u in v)
    with quiet_np():
        return c99_pow(x, y), [y * c99_pow(x, y - 1.0) * g, None]


def _subnormal_divisor(y):
    with quiet_np():
        return (y != 0) & np.isinf(1.0 / y)


def _div_1_over_y_mask(op, operands, v, g, value, case=None):
    return _subnormal_divisor(as_f64(v[1] if op == "div" else v[0]))


def _div_1_over_y_formula(op, operands, v, g, value, case=None):
    with quiet_np():
        if op == "div":
            return None, [(1.0 / as_f64(v[1])) * g, None]
        return None, [(1.0 / as_f64(v[0])) * g]


def _pow0_mask(op, operands, v, g, value, case=None):
    with quiet_np():
        return (as_f64(v[1]) == 0) & ~np.isfinite(g)


def _pow0_formula(op, operands, v, g, value, case=None):
    with quiet_np():
        return None, [0.0 * g, None]


def _has_array(index):
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, np.ndarray) for i in items)


def _tanh_one_mask(op, operands, v, g, value, case=None):
    """tanh where NumPy's is exactly ±1 and the C library's (and PyTorch's) is not
    (18.99 < |x| < 19.06), under an infinite or nan gradient: the tensor engine's
    ``1 - t*t`` is 0 there, and ``0 * inf`` nan."""
    x = as_f64(v[0])
    with quiet_np():
        libm = np.vectorize(math.tanh, otypes=[float])(x)
        return ~np.isfinite(g) & (np.abs(np.tanh(x)) == 1) & (np.abs(libm) < 1)


def _tanh_one_formula(op, operands, v, g, value, case=None):
    with quiet_np():
        t = np.tanh(as_f64(v[0]))
        return t, [g * (1.0 - t * t)]


def _zero_d_axis_mask(case):
    return case.nodes[0].ndim == 0 and case.params.get("axis") is not None


LOG_ERROR = "log of a number <= 0 raises ValueError"
POW_ERROR = "negative finite base to a finite non-integer power raises ValueError"

# The documented deviations: docs/API.md ("Special values", the table of deliberate
# deviations, and "Tensor-engine rules"); ``doc`` is the start of its row there.
DEVIATIONS = (
    Rule(
        "relu's gradient where x <= 0 under an infinite or nan gradient is nan",
        "documented",
        ("relu",),
        _relu_mask,
        _relu_formula,
        doc="`relu`'s gradient where `x <= 0` when the incoming gradient is ±inf or nan",
    ),
    Rule(
        "number / node is a / x, not x.reciprocal() * a",
        "documented",
        ("div",),
        _rdiv_mask,
        _rdiv_formula,
        doc="`number / node` at extreme magnitudes",
    ),
    Rule(
        "node ** 0.5 at -0.0 and -inf, and d/dx node ** 1.5 at -inf, are C99's pow, not sqrt",
        "documented",
        ("pow",),
        _half_mask,
        _half_formula,
        doc="`node ** 0.5` (the plain number 0.5) at -0.0 and -inf",
    ),
    Rule(
        "node ** -0.5 at -0.0 and -inf is C99's pow (inf, 0), not rsqrt (-inf, nan)",
        "documented",
        ("pow",),
        _rsqrt_mask,
        _half_formula,
        doc="`node ** -0.5` at -0.0 and -inf (rsqrt)",
    ),
    Rule(
        "node ** -2, and d/dx node ** -1, where x * x overflows are C99's pow (a subnormal), "
        "not 1 / (x * x) (0)",
        "documented",
        ("pow",),
        _square_overflow_mask,
        _square_overflow_formula,
        doc="`node ** -2` where `x * x` overflows",
    ),
    Rule(
        "division by, and log of, a subnormal number: the local derivative 1 / x is inf",
        "documented",
        ("div", "log"),
        _div_1_over_y_mask,
        _div_1_over_y_formula,
        doc="division by, and `log` of, a subnormal number",
    ),
    Rule(
        "d/dx x ** y where y == 0 under an infinite or nan gradient is nan",
        "documented",
        ("pow",),
        _pow0_mask,
        _pow0_formula,
        doc="d/dx `x ** y` where `y == 0` when the incoming gradient is ±inf or nan",
    ),
    Rule(
        "an axis of a 0-d tensor is out of range (NumPy's axes): AxisError",
        "documented",
        ("sum", "mean", "max"),
        _zero_d_axis_mask,
        whole=True,
        raises="AxisError",
        doc="A 0-d tensor has no axis",
    ),
    Rule(
        "tanh at 18.99 < |x| < 19.06 under an infinite gradient: the tensor engine gives nan "
        "(NumPy's tanh is exactly ±1 there), the scalar engine and PyTorch ±inf",
        "documented",
        ("tanh",),
        _tanh_one_mask,
        _tanh_one_formula,
        doc="`tanh` at 18.99 < \\|x\\| < 19.06",
    ),
    Rule(
        "tanh at 18.99 < |x| < 19.06 under an infinite gradient: tensor nan, scalar ±inf",
        "documented",
        ("tanh",),
        _tanh_one_mask,
        engines=True,
        doc="`tanh` at 18.99 < \\|x\\| < 19.06",
    ),
)
# The contract's two errors (PyTorch gives nan), checked by ``contract_error``; the names
# are DELIBERATE_DEVIATIONS' (tests/test_special_values.py), the doc words its table's.
CONTRACT = {LOG_ERROR: "`log(x)`, `x ≤ 0`", POW_ERROR: "negative finite base ** finite non-integer"}

# Known defects, not fixed yet: what this fuzzer found that docs/API.md does not list, each
# with a minimal case in KNOWN_CASES (an xfail test). When one is fixed or documented, its
# test XPASSes: delete its Rule here (or move it to DEVIATIONS, with its row's words) and
# move its case to FOUND, where it stays as a regression test.
KNOWN = ()  # none today: the three this fuzzer found are fixed or documented (FOUND)
RULES = {rule.name: rule for rule in DEVIATIONS + KNOWN}


def contract_error(case):
    """The name of the contract error ``case`` must raise, or None."""
    if case.op == "log":
        with quiet_np():
            return LOG_ERROR if bool(np.any(as_f64(case.nodes[0]) <= 0)) else None
    if case.op == "pow":
        x, y = operand_values(case)
        shape = np.broadcast_shapes(np.shape(x), np.shape(y))
        bx, by = np.broadcast_to(x, shape).ravel(), np.broadcast_to(y, shape).ravel()
        if any(negative_base_to_fraction(float(a), float(b)) for a, b in zip(bx, by)):
            return POW_ERROR
    return None


# -- the judges ----------------------------------------------------------------------------


@dataclass
class Verdict:
    status: str  # "ok" | "deviation" | "known" | "new"
    rules: frozenset = frozenset()
    detail: str = ""


def _first_bad(ok, test, ref):
    ok = np.asarray(ok)
    i = tuple(int(k) for k in np.argwhere(~ok)[0]) if ok.ndim else ()
    t = np.broadcast_to(as_f64(test), ok.shape)[i]
    r = np.broadcast_to(as_f64(ref), ok.shape)[i]
    where = f" at {i}" if len(i) else ""
    return f"{fmt(t)} vs {fmt(r)}{where}"


def compare(case, s, ref):
    """What differs between ``s`` (a minigrad Single of ``case``) and ``ref``: a list of
    sentences, empty if nothing."""
    problems = []
    tensor = not isinstance(s.value, float)
    elementwise = case.op in ELEMENTWISE
    out_dtype = case.out_dtype() if (elementwise or case.op == "matmul") else case.nodes[0].dtype
    value = as_f64(s.value)
    if not tensor:  # a Value: its number against a one-element result
        value = value.reshape(np.shape(ref.value))
    if tensor and s.value.dtype != out_dtype:
        problems.append(f"value dtype {s.value.dtype}, expected {out_dtype}")
    if value.shape != np.shape(ref.value):
        return problems + [f"value shape {value.shape}, PyTorch {np.shape(ref.value)}"]
    ok = close(value, ref.value, ref.vmag, out_dtype, ref.terms, signed_zero=elementwise)
    if not ok.all():
        problems.append("value " + _first_bad(ok, value, ref.value))
    for k, (c, rc) in enumerate(zip(s.contribs, ref.contribs)):
        node = case.nodes[k]
        if not tensor:
            c = as_f64(c).reshape(np.shape(rc))
        if tensor and (np.shape(c) != node.shape or c.dtype != node.dtype):
            problems.append(
                f"grad of operand {k}: shape {np.shape(c)} dtype {c.dtype}, "
                f"expected {node.shape} {node.dtype}"
            )
            continue
        ok = close(c, rc, ref.cmags[k], node.dtype, ref.terms, slack=ref.cslack[k])
        if not ok.all():
            problems.append(f"grad of operand {k}: " + _first_bad(ok, c, rc))
    return problems


def judge(case, s, known=KNOWN):
    """Check 2: ``s``, a minigrad engine's run of ``case``, against PyTorch float64, with
    the documented deviations, and then the ``known`` defects, as the only excuses."""
    contract = contract_error(case) if case.op in ("log", "pow") else None
    if s.error:
        if contract and s.error.startswith("ValueError"):
            return Verdict("deviation", frozenset({contract}))
        ref = reference(case)
        if ref.error:
            return Verdict("ok")  # both refuse
        for rule in DEVIATIONS + known:
            if (
                rule.raises
                and case.op in rule.ops
                and s.error.startswith(rule.raises)
                and rule.mask(case)
            ):
                status = "deviation" if rule.item == "documented" else "known"
                return Verdict(status, frozenset({rule.name}))
        return Verdict("new", detail=f"raises {s.error[:120]}; PyTorch computes")
    if contract:
        return Verdict("new", detail=f"no ValueError; the contract says {contract!r}")
    if s.warnings:
        return Verdict("new", detail="warns: " + "; ".join(s.warnings)[:200])
    first = None
    for rules, status in (((), "ok"), (DEVIATIONS, "deviation"), (DEVIATIONS + known, "known")):
        rules = tuple(r for r in rules if not r.engines)
        if not rules:
            if case.plain is None:
                case.plain = reference(case)
            ref = case.plain
        else:
            ref = reference(case, rules)
        if first is None:
            first = ref
        elif not ref.fired:
            continue
        if ref.error:
            continue
        if not compare(case, s, ref):
            if status == "known" and not any(RULES[n].item != "documented" for n in ref.fired):
                status = "deviation"
            return Verdict(status, ref.fired)
    if first.error:
        return Verdict("new", detail=f"computes where PyTorch raises {first.error[:120]}")
    if not case.scalar and F64 not in {n.dtype for n in case.nodes}:
        if not compare(case, s, reference(case, dtype=torch.float32)):
            return Verdict("ok")  # as PyTorch computes in float32
    return Verdict("new", detail="; ".join(compare(case, s, first)))


def judge_engines(case, s, t, known=KNOWN):
    """Check 3: the scalar engine's run of ``case`` (``s``) against the tensor engine's
    (``t``): the same errors, values and gradients (``ENGINE_RTOL``; the sign of a zero
    counts in values)."""
    if s.error or t.error:
        if (s.error or "").split(":")[0] == (t.error or "").split(":")[0]:
            return Verdict("ok")
        return Verdict("new", detail=f"scalar {s.error or s.value}, tensor {t.error or 'computes'}")
    sv, tv = as_f64(s.value), as_f64(t.value).reshape(np.shape(s.value))
    bad = []
    ok = close(tv, sv, np.abs(sv), F64, rtol=ENGINE_RTOL, ulps=2, signed_zero=True)
    if not ok.all():
        bad.append("value: tensor " + _first_bad(ok, tv, sv) + " scalar")
    g = np.abs(as_f64(case.g))
    for k, (a, b) in enumerate(zip(s.contribs, t.contribs)):
        a, b = as_f64(a), as_f64(b).reshape(np.shape(a))
        slack = 8 * EPS[F64] * g if case.op in ("tanh", "sigmoid") else 0.0
        mag = as_f64(s.mags[k]).reshape(np.shape(a))  # x ** x: the sum of both parts'
        ok = close(b, a, mag, F64, rtol=ENGINE_RTOL, ulps=2, slack=slack)
        if not ok.all():
            bad.append(f"grad of operand {k}: tensor " + _first_bad(ok, b, a) + " scalar")
    if not bad:
        return Verdict("ok")
    vals = operand_values(case)
    full = [v if isinstance(v, float) else v for v in vals]
    for rule in DEVIATIONS + known:
        if rule.engines and case.op in rule.ops:
            if np.any(rule.mask(case.op, case.operands, full, case.g, None, case)):
                status = "deviation" if rule in DEVIATIONS else "known"
                return Verdict(status, frozenset({rule.name}), "; ".join(bad))
    return Verdict("new", detail="; ".join(bad))


# -- findings ------------------------------------------------------------------------------


@dataclass
class Finding:
    family: str
    seed: int
    check: str  # "graph vs its ops" | "op vs PyTorch" | "scalar vs tensor" | "graph"
    engine: str
    verdict: Verdict
    case: Case = None
    note: str = ""

    def key(self):
        rules = ",".join(sorted(self.verdict.rules))
        op = self.case.op if self.case is not None else ""
        kinds = _kinds(self.case.operands) if self.case is not None else ()
        head = self.verdict.detail.split(" ")[0:2] if self.verdict.status == "new" else ""
        return (
            self.verdict.status,
            self.check,
            self.engine,
            op,
            kinds,
            rules,
            str(head),
            self.note,
        )

    def describe(self):
        where = f"{FAMILIES[self.family]} graph seed {self.seed}, {self.engine}, {self.check}"
        text = f"[{self.verdict.status}] {where}: {self.note}{self.verdict.detail}"
        if self.verdict.rules:
            text += (
                " ("
                + "; ".join(
                    f"{RULES[n].item}: {n}" if n in RULES else n for n in sorted(self.verdict.rules)
                )
                + ")"
            )
        if self.case is not None:
            text += "\n" + snippet(self.engine if self.engine != "both" else "scalar", self.case)
        return text


OP_FORMS = {
    "add": "{0} + {1}",
    "sub": "{0} - {1}",
    "mul": "{0} * {1}",
    "div": "{0} / {1}",
    "pow": "{0} ** {1}",
    "neg": "-{0}",
    "matmul": "{0} @ {1}",
}


def snippet(engine, case):
    """``case`` as a few lines of Python for ``engine``, with what PyTorch float64 gives."""
    lines = ["import numpy as np", "from math import inf, nan"]
    scalar = engine == "scalar"
    lines.append(
        "from minigrad.scalar import Value" if scalar else "from minigrad.tensor import Tensor"
    )
    names = []
    for k, x in enumerate(case.nodes):
        name = "xyzw"[k] if k < 4 else f"n{k}"
        names.append(name)
        if scalar:
            lines.append(f"{name} = Value({fmt(_first(x))})")
        else:
            dt = "" if x.dtype == F64 else f", dtype=np.{x.dtype.name}"
            lines.append(f"{name} = Tensor({fmt_array(x)}, requires_grad=True{dt})")
    args = []
    for kind, v in case.operands:
        if kind == "node":
            args.append(names[v])
        elif kind == "num":
            args.append(_fmt_number(v))
        else:
            args.append(fmt_array(v))
    p = case.params
    if case.op in OP_FORMS:
        expr = OP_FORMS[case.op].format(*args)
    elif case.op in ("exp", "log", "tanh", "relu", "sigmoid"):
        expr = f"{args[0]}.{case.op}()"
    elif case.op in ("sum", "mean", "max"):
        kw = []
        if p["axis"] is not None or p["kw"] == "dim":
            kw.append(f"{p['kw']}={p['axis']!r}")
        if p["keepdims"] is not None:
            kw.append(f"keepdims={p['keepdims']}")
        expr = f"{args[0]}.{case.op}({', '.join(kw)})"
    elif case.op == "transpose":
        form, axes = p["form"], p["axes"]
        expr = {"T": f"{args[0]}.T", "none": f"{args[0]}.transpose()"}.get(form)
        if expr is None:
            inner = repr(tuple(axes)) if form == "tuple" else ", ".join(map(str, axes))
            expr = f"{args[0]}.transpose({inner})"
    elif case.op == "reshape":
        inner = repr(tuple(p["shape"])) if p["form"] == "tuple" else ", ".join(map(str, p["shape"]))
        expr = f"{args[0]}.reshape({inner})"
    else:  # getitem
        lines.append(f"index = {fmt_index(p['index'])}")
        expr = f"{args[0]}[index]"
    lines.append(f"out = {expr}")
    if case.op == "getitem" and p.get("scramble") and _has_array(p["index"]):
        lines.append("# the caller refills its index arrays after the forward pass:")
        new = scrambled(p, case.nodes[0].shape)
        items = new if isinstance(new, tuple) else (new,)
        for i, item in enumerate(items):
            if isinstance(item, np.ndarray):
                target = f"index[{i}]" if isinstance(new, tuple) else "index"
                lines.append(f"{target}[...] = {fmt_index(item)}")
    g = fmt(_first(case.g)) if scalar else fmt_array(case.g)
    lines.append(f"out.backward({g})")
    lines.append(f"print(out.data, {', '.join(n + '.grad' for n in names)})")
    s = run_single(engine, case)
    lines.append(f"# minigrad {engine}: " + (s.error or _show(s.value, s.contribs)))
    if torch is not None:
        ref = reference(case)
        lines.append("# PyTorch float64: " + (ref.error or _show(ref.value, ref.contribs)))
    return "\n".join("    " + line for line in lines)


def _show(value, contribs):
    def one(x):
        x = np.asarray(x)
        return fmt(x) if x.ndim == 0 else np.array2string(x, precision=17, separator=", ")

    return f"{one(value)}, grads " + ", ".join(one(c) for c in contribs)


# -- family a: elementwise graphs -----------------------------------------------------------

SPECIAL = (
    0.0, -0.0, 5e-324, -5e-324, 1e-310, -1e-310, 1e-300, -1e-300, 1e-200, 1e-160, 1e160,
    1e200, 1e300, -1e300, inf, -inf, nan, 710.0, -720.0, -750.0, 1e-17, 2.0**-1022,
)  # fmt: skip
PLAIN = (0.5, 1.5, 2.0, -1.0, 3.0, 0.1, -2.5, 10.0)
EXPONENTS = (2, 3, -1, -2, 0.5, 1.5, -0.5, -1.5, 0.0, 2.5, 401.0, -10.0, 1.0 / 3.0, 2.0, 4)


def draw_number(rng, special_p):
    if rng.random() < special_p:
        return SPECIAL[rng.integers(len(SPECIAL))]
    kind = rng.integers(6)
    if kind == 0:
        return float(rng.normal(0.0, 1.5))
    if kind == 1:
        return float(np.round(rng.normal(0.0, 2.0), 1))
    if kind == 2:
        return float(rng.integers(-3, 4))
    if kind == 3:
        return float(rng.uniform(-10.0, 10.0))
    if kind == 4:
        return PLAIN[rng.integers(len(PLAIN))]
    return float(rng.lognormal(0.0, 2.0))


def plain_number(rng, special_p):
    """A plain operand: sometimes a Python int (``2 ** x``, ``x ** 3``), sometimes a NumPy
    scalar (``np.float32(0.1) * x``: the node's engine takes its value as it is)."""
    x = draw_number(rng, special_p)
    if rng.random() < 0.15 and math.isfinite(x) and x == int(x) and abs(x) < 100:
        return int(x) if rng.random() < 0.8 else np.int64(x)
    if rng.random() < 0.06:
        with quiet_np():
            return (np.float64, np.float32)[rng.integers(2)](x)
    return x


def ref_eval(op, a, b=None):
    """NumPy float64, only to steer the generator (which operands are positive)."""
    a = np.float64(a)
    b = None if b is None else np.float64(b)
    with quiet_np():
        return {
            "add": lambda: a + b,
            "sub": lambda: a - b,
            "mul": lambda: a * b,
            "div": lambda: a / b,
            "pow": lambda: np.power(a, b),
            "neg": lambda: -a,
            "exp": lambda: np.exp(a),
            "log": lambda: np.log(a),
            "tanh": lambda: np.tanh(a),
            "relu": lambda: a if not a < 0 else np.float64(0.0),
            "sigmoid": lambda: 1.0 / (1.0 + np.exp(-a)),
        }[op]()


@dataclass
class ProgramA:
    seed: int
    inputs: list
    steps: list  # (op, operands): operands ("node", index) | ("num", number)
    shape: tuple  # the tensor engine's shape: () or (1,)
    grad: float  # the gradient backward starts from


def gen_a(seed):
    rng = np.random.default_rng([0xA, seed])
    special_p = float(rng.choice([0.0, 0.1, 0.4], p=[0.5, 0.35, 0.15]))
    inputs = [draw_number(rng, special_p) for _ in range(int(rng.integers(1, 5)))]
    ref = [np.float64(x) for x in inputs]
    steps = []
    ended = False

    def pick():
        n = len(ref)
        return int(n - 1 - rng.integers(min(3, n))) if rng.random() < 0.5 else int(rng.integers(n))

    def positive():
        return [i for i, v in enumerate(ref) if v > 0]

    for _ in range(int(rng.integers(1, 13))):
        op = ELEMENTWISE[rng.integers(len(ELEMENTWISE))]
        if op in UNARY:
            i = pick()
            if op == "log" and ref[i] <= 0 and rng.random() < 0.9:
                if positive():
                    i = int(rng.choice(positive()))
                else:
                    op = "exp"
            operands = (("node", i),)
        else:
            form = rng.choice(["nn", "nn", "nn", "nx", "nx", "xn"])
            left = ("node", pick()) if form[0] == "n" else None
            right = ("node", pick()) if form[1] == "n" else None
            if form == "nn" and rng.random() < 0.15:
                right = left  # x * x, x - x, x / x, x ** x
            if op == "pow":
                if right is None:
                    right = (
                        "num",
                        EXPONENTS[rng.integers(len(EXPONENTS))]
                        if rng.random() < 0.8
                        else plain_number(rng, special_p),
                    )
                if left is None:
                    base = plain_number(rng, special_p)
                    left = ("num", abs(base) if rng.random() < 0.7 else base)
            else:
                left = left or ("num", plain_number(rng, special_p))
                right = right or ("num", plain_number(rng, special_p))
            operands = (left, right)
            if op == "pow":
                base = ref[left[1]] if left[0] == "node" else left[1]
                expo = ref[right[1]] if right[0] == "node" else right[1]
                if negative_base_to_fraction(float(base), float(expo)) and rng.random() < 0.9:
                    if right[0] == "num" or left[0] == "node" and rng.random() < 0.5:
                        operands = (left, ("num", int(rng.integers(-3, 4))))
                    elif left[0] == "num":
                        operands = (("num", abs(left[1])), right)
                    else:
                        operands = (
                            ("node", int(rng.choice(positive()))) if positive() else left,
                            ("num", 2),
                        )
        vals = [ref[v] if kind == "node" else v for kind, v in operands]
        steps.append((op, operands))
        if (
            op == "log"
            and vals[0] <= 0
            or op == "pow"
            and negative_base_to_fraction(float(vals[0]), float(vals[1]))
        ):
            ended = True  # the contract's error: the graph ends here
            break
        ref.append(ref_eval(op, *vals))
    if not ended and rng.random() < 0.6:  # the nodes nothing uses, added into the output
        used = {v for _, operands in steps for kind, v in operands if kind == "node"}
        for i in [i for i in range(len(ref) - 1) if i not in used][:4]:
            out = len(inputs) + len(steps) - 1
            if rng.random() < 0.5:
                steps.append(("mul", (("node", i), ("num", float(np.round(rng.normal(), 2))))))
                i = out + 1
            steps.append((("add", "sub")[rng.integers(2)], (("node", out), ("node", i))))
    shape = ((), (1,))[rng.integers(2)]
    u = rng.random()
    grad = (
        1.0
        if u < 0.7
        else float(rng.normal(0.0, 3.0))
        if u < 0.9
        else SPECIAL[rng.integers(len(SPECIAL))]
    )
    return ProgramA(seed, inputs, steps, shape, grad)


@dataclass
class Trace:
    values: list = field(default_factory=list)
    grads: list = field(default_factory=list)
    error_step: int = None  # the step whose op raised (the graph ends before it)
    error: str = None
    backward_error: str = None
    warnings: tuple = ()
    data: list = field(default_factory=list)  # tensor engines: each node's array
    graddata: list = field(default_factory=list)


def _first(x):
    return float(np.asarray(x, dtype=np.float64).reshape(-1)[0])


def run_graph_a(engine, prog, upto=None):
    steps = prog.steps[: len(prog.steps) if upto is None else upto]
    trace = Trace()
    nodes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if engine == "torch":
            leaf = lambda x: torch.full(prog.shape, x, dtype=torch.float64, requires_grad=True)  # noqa: E731
        elif engine == "scalar":
            leaf = minigrad.backend("scalar").Value
        else:
            T = minigrad.backend("tensor").Tensor
            leaf = lambda x: T(np.full(prog.shape, x), requires_grad=True)  # noqa: E731
        nodes = [leaf(x) for x in prog.inputs]
        for j, (op, operands) in enumerate(steps):
            args = [nodes[v] if kind == "node" else v for kind, v in operands]
            if engine == "torch":  # (a NumPy scalar would take the tensor for an array)
                args = [float(a) if isinstance(a, np.generic) else a for a in args]
            try:
                out = forward(op, args, {})
            except Exception as e:  # noqa: BLE001
                trace.error_step, trace.error = j, f"{type(e).__name__}: {e}"
                break
            if engine == "torch":
                out.retain_grad()
            nodes.append(out)
        root = nodes[-1]
        try:
            if engine == "scalar":
                root.backward(prog.grad)
            elif engine == "tensor":
                root.backward(np.full(prog.shape, prog.grad))
            else:
                root.backward(torch.full(prog.shape, prog.grad, dtype=torch.float64))
        except Exception as e:  # noqa: BLE001
            trace.backward_error = f"{type(e).__name__}: {e}"
    trace.warnings = tuple(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))
    for n in nodes:
        if engine == "torch":
            trace.values.append(_first(n.detach().numpy()))
            trace.grads.append(0.0 if n.grad is None else _first(n.grad.numpy()))
        else:
            trace.values.append(_first(n.data))
            trace.grads.append(_first(n.grad))
    return trace


def reachable_a(prog, nsteps):
    """The nodes the output (the last node of the first ``nsteps`` steps) depends on."""
    n_in = len(prog.inputs)
    root = n_in + nsteps - 1
    seen, stack = {root}, [root]
    while stack:
        k = stack.pop()
        if k >= n_in:
            for kind, v in prog.steps[k - n_in][1]:
                if kind == "node" and v not in seen:
                    seen.add(v)
                    stack.append(v)
    return seen


def case_a(prog, j, trace, shape):
    """Step ``j`` of ``prog`` as a Case, with the engine's values and gradient."""
    op, operands = prog.steps[j]
    distinct, mapped = [], []
    for kind, v in operands:
        if kind == "node":
            if v not in distinct:
                distinct.append(v)
            mapped.append(("node", distinct.index(v)))
        else:
            mapped.append((kind, v))
    nodes = tuple(np.full(shape, trace.values[v]) for v in distinct)
    g = np.full(shape, trace.grads[len(prog.inputs) + j])
    return Case(op, tuple(mapped), nodes, g, scalar=(shape == ())), distinct


def _case_key(case):
    return (
        case.op,
        tuple((k, v if k != "const" else v.tobytes()) for k, v in case.operands),
        tuple((x.tobytes(), x.shape, x.dtype.str) for x in case.nodes),
        np.asarray(case.g).tobytes(),
        case.scalar,
    )


def _sum_ok(total, contribs, dtype=F64, mags=None):
    """``total`` is the sum of ``contribs`` in some order: within the rounding of a sum
    (``mags``: bounds on each contribution's parts, when it is itself a sum)."""
    with quiet_np():
        cs = [as_f64(c) for c in contribs]
        exact = sum(cs) if cs else np.zeros(np.shape(total))
        mags = mags or [np.abs(c) for c in cs]
        mag = sum(as_f64(m) for m in mags) if cs else np.zeros(np.shape(total))
        ok = close(total, exact, mag, dtype, terms=max(1, len(cs)), rtol=0.0, ulps=0)
        # overflowing partial sums depend on the order: a nan or inf either way is fine
        ok = ok | (~np.isfinite(as_f64(total)) & (mag > 1e307))
    return ok


def check_graph_a(prog, with_torch):
    findings, stats = [], Counter()
    n_in = len(prog.inputs)

    def add(check, engine, verdict, case=None, note=""):
        if verdict.status != "ok":
            findings.append(Finding("a", prog.seed, check, engine, verdict, case, note))
            stats[f"{verdict.status}: {check}"] += 1

    traces = {e: run_graph_a(e, prog) for e in ("scalar", "tensor")}
    stops = {
        e: len(prog.steps) if t.error_step is None else t.error_step for e, t in traces.items()
    }
    m = min(stops.values())
    for e, t in traces.items():
        if t.error_step is not None:
            stats["graphs ending in a contract error"] += e == "scalar"
            if not t.error.startswith("ValueError"):
                add("graph", e, Verdict("new", detail=f"step {t.error_step} raises {t.error}"))
    if m < len(prog.steps):
        traces = {e: run_graph_a(e, prog, upto=m) for e in traces}
    for e, t in traces.items():
        if t.backward_error:
            add("graph", e, Verdict("new", detail=f"backward raises {t.backward_error}"))
        if t.warnings:
            add("graph", e, Verdict("new", detail="warns: " + "; ".join(t.warnings)))
    live = reachable_a(prog, m) if m else {n_in - 1}
    shapes = {"scalar": (), "tensor": prog.shape}
    singles = {}  # case key -> (case, {engine: Single})
    per_engine = {}
    for e, t in traces.items():
        per_engine[e] = []
        for j in range(m):
            case, distinct = case_a(prog, j, t, shapes[e])
            key = _case_key(case)
            if key not in singles:
                singles[key] = (case, {x: run_single(x, case) for x in ("scalar", "tensor")})
            per_engine[e].append((j, case, distinct, singles[key][1]))
    # 1. each graph against its own ops
    for e, t in traces.items():
        own = {j: (case, distinct, runs[e]) for j, case, distinct, runs in per_engine[e]}
        contribs = {k: [] for k in range(n_in + m)}
        mags = {k: [] for k in range(n_in + m)}
        for j, (case, distinct, s) in own.items():
            k = n_in + j
            if s.error:
                add(
                    "graph vs its ops",
                    e,
                    Verdict("new", detail=f"the op alone raises {s.error}"),
                    case,
                )
                continue
            if not close(
                _first(s.value), t.values[k], 0.0, F64, rtol=0.0, ulps=0, signed_zero=True
            ).all():
                add(
                    "graph vs its ops",
                    e,
                    Verdict(
                        "new",
                        detail=f"node {k}: graph value {fmt(t.values[k])}, "
                        f"the op alone {fmt(_first(s.value))}",
                    ),
                    case,
                )
            if k in live:
                for p, c, mag in zip(distinct, s.contribs, s.mags):
                    contribs[p].append(_first(c))
                    mags[p].append(_first(mag))
        root = n_in + m - 1
        contribs[root].append(prog.grad)
        mags[root].append(abs(prog.grad))
        for k in range(n_in + m):
            if not _sum_ok(t.grads[k], contribs[k], mags=mags[k]).all():
                add(
                    "graph vs its ops",
                    e,
                    Verdict(
                        "new",
                        detail=f"node {k}: graph grad {fmt(t.grads[k])}, its children "
                        f"hand it {[fmt(c) for c in contribs[k]]}",
                    ),
                )
    # 2. each op against PyTorch; 3. the engines' ops against each other
    for case, runs in singles.values():
        if with_torch:
            for e in ("scalar", "tensor"):
                add("op vs PyTorch", e, judge(case, runs[e]), case)
        verdict = judge_engines(case, runs["scalar"], runs["tensor"])
        add("scalar vs tensor", "both", verdict, case)
        if verdict.status == "ok" and not _bitwise_equal(runs["scalar"], runs["tensor"]):
            stats[f"ops whose engines differ in the last bits (allowed): {case.op}"] += 1
    # whole graphs, counted: scalar vs tensor, and each vs PyTorch
    s, t = traces["scalar"], traces["tensor"]
    explained = any(f.verdict.status != "ok" for f in findings)
    if not _same_trace(s, t, ENGINE_RTOL):
        stats[
            "whole graph: scalar != tensor" + (" (an op differs)" if explained else " (rounding)")
        ] += 1
    if with_torch:
        o = run_graph_a("torch", prog, upto=m)
        for e in ("scalar", "tensor"):
            if not _same_trace(traces[e], o, 1e-9):
                stats[
                    f"whole graph: {e} != PyTorch"
                    + (" (an op differs)" if explained else " (rounding)")
                ] += 1
    stats["graphs"] += 1
    stats["ops checked"] += m
    return findings, stats


def _bitwise_equal(s, t):
    if s.error or t.error:
        return True
    pairs = [(s.value, t.value)] + list(zip(s.contribs, t.contribs))
    return all(
        np.array_equal(as_f64(a).ravel(), as_f64(b).ravel(), equal_nan=True) for a, b in pairs
    )


def _same_trace(a, b, rtol):
    va, vb = np.array(a.values), np.array(b.values)
    ga, gb = np.array(a.grads), np.array(b.grads)
    return bool(
        close(va, vb, np.abs(vb), F64, rtol=rtol, ulps=4, signed_zero=True).all()
        and close(ga, gb, np.abs(gb), F64, rtol=rtol, ulps=4).all()
    )


# -- family b: tensor graphs ---------------------------------------------------------------

B_SPECIAL = (nan, inf, -inf, 0.0, -0.0, 1e300, -1e-300, 1e30)


@dataclass
class ProgramB:
    seed: int
    nodes: list  # ("leaf", array) | (op, operands, params) | ("probe", op, operands, params)
    grad: object  # the gradient backward starts from: an array of the output's shape


class _GenB:
    """Builds a ProgramB, steered by the values (PyTorch float64) of the nodes so far."""

    def __init__(self, seed):
        self.rng = np.random.default_rng([0xB, seed])
        self.seed = seed
        self.nodes, self.vals, self.dtypes = [], [], []
        rng = self.rng
        self.special = rng.random() < 0.12
        self.ties = rng.random() < 0.25
        self.f32 = rng.choice([0.0, 0.3, 0.8], p=[0.5, 0.35, 0.15])
        self.scramble = rng.random() < 0.5

    # shapes and leaves
    def shape(self, max_ndim=3):
        rng = self.rng
        ndim = (
            int(rng.choice(4, p=[0.12, 0.3, 0.36, 0.22]))
            if max_ndim >= 3
            else int(rng.integers(max_ndim + 1))
        )
        dims = []
        for _ in range(ndim):
            u = rng.random()
            dims.append(0 if u < 0.04 else 1 if u < 0.28 else int(rng.integers(2, 5)))
        return tuple(dims)

    def array(self, shape, dtype=None):
        rng = self.rng
        x = rng.normal(0.0, 1.0, shape)
        if self.ties:
            x = np.round(x * 2) / 2
        if self.special and x.size and rng.random() < 0.5:
            flat = x.reshape(-1)
            for i in rng.integers(0, x.size, int(rng.integers(1, 3))):
                flat[i] = B_SPECIAL[rng.integers(len(B_SPECIAL))]
        dtype = dtype or (F32 if rng.random() < self.f32 else F64)
        with quiet_np():
            return x.astype(dtype)

    def leaf(self, shape=None, dtype=None):
        data = self.array(self.shape() if shape is None else shape, dtype)
        return self.add(("leaf", data), torch.tensor(as_f64(data)), data.dtype)

    def add(self, node, val, dtype):
        self.nodes.append(node)
        self.vals.append(val)
        self.dtypes.append(np.dtype(dtype))
        return len(self.nodes) - 1

    def pick(self, ok=lambda k: True):
        ks = [k for k in range(len(self.nodes)) if self.vals[k] is not None and ok(k)]
        if not ks:
            return None
        if self.rng.random() < 0.6:
            return ks[-1 - int(self.rng.integers(min(2, len(ks))))]
        return int(self.rng.choice(ks))

    def partner_shape(self, shape):
        """A shape that broadcasts with ``shape``."""
        rng = self.rng
        u = rng.random()
        if u < 0.3:
            return shape
        if u < 0.45:
            return ()
        s = list(shape[int(rng.integers(len(shape) + 1)) :] if u < 0.7 else shape)
        for i in range(len(s)):
            if rng.random() < 0.4:
                s[i] = 1
        if rng.random() < 0.15 and len(s) < 4:
            s.insert(0, int(rng.integers(1, 3)))
        return tuple(s)

    # ops
    def step(self):
        rng = self.rng
        kind = rng.choice(
            ["unary", "binary", "reduce", "transpose", "reshape", "getitem", "matmul"],
            p=[0.18, 0.3, 0.16, 0.08, 0.08, 0.12, 0.08],
        )
        getattr(self, "op_" + kind)()

    def emit(self, op, operands, params=None):
        params = params or {}
        args = [
            torch.tensor(as_f64(v)) if kind == "const" else (self.vals[v] if kind == "node" else v)
            for kind, v in operands
        ]
        dts = [self.dtypes[v] for kind, v in operands if kind == "node"]
        try:
            if op == "max":
                val = _torch_graph_op(op, args, params)
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    val = torch_op(op, args, params)
        except Exception:  # noqa: BLE001 -- PyTorch refuses: a probe, minigrad must refuse too
            self.nodes.append(("probe", op, operands, params))
            self.vals.append(None)
            self.dtypes.append(None)
            return None
        dtype = np.result_type(*dts) if op in ELEMENTWISE or op == "matmul" else dts[0]
        return self.add((op, operands, params), val, dtype)

    def op_unary(self):
        k = self.pick()
        op = UNARY[self.rng.integers(len(UNARY))]
        if op == "log" and not bool((self.vals[k] > 0).all()):
            op = "tanh" if self.rng.random() < 0.5 else "sigmoid"
        if op == "exp" and bool((self.vals[k] > 60).any()) and self.rng.random() < 0.8:
            op = "tanh"
        self.emit(op, (("node", k),))

    def op_binary(self):
        rng = self.rng
        op = BINARY[rng.integers(len(BINARY))]
        k = self.pick()
        shape = tuple(self.vals[k].shape)
        u = rng.random()
        if u < 0.2:
            other = ("num", plain_number(rng, 0.05 if self.special else 0.0))
        elif u < 0.3:
            other = ("const", self.array(self.partner_shape(shape), F64))
        else:
            j = self.pick(lambda j: j != k and _broadcasts(self.vals[j].shape, shape))
            if j is None or rng.random() < 0.4:
                j = self.leaf(self.partner_shape(shape))
            other = ("node", j if rng.random() > 0.1 else k)
        operands = [("node", k), other] if rng.random() < 0.7 else [other, ("node", k)]
        if op == "pow":  # keep to real numbers: a positive base, or an integer exponent
            base, expo = operands
            if base[0] == "num":
                base = ("num", abs(base[1]) or 2.0)
            elif not bool((self._val(base) > 0).all()):
                expo = ("num", int(rng.integers(-2, 4)))
            if expo[0] != "num" and bool((self._val(expo).abs() > 4).any()):
                expo = (
                    "num",
                    EXPONENTS[rng.integers(len(EXPONENTS))]
                    if bool((self._val(base) > 0).all())
                    else 2,
                )
            operands = [base, expo]
            if operands[0][0] != "node" and operands[1][0] != "node":
                operands = [("node", k), ("num", 2)]
        self.emit(op, tuple(operands))

    def _val(self, operand):
        kind, v = operand
        if kind == "node":
            return self.vals[v]
        return torch.tensor(as_f64(v))

    def axis_form(self, ndim):
        """(axis, keepdims, kw): None, an int, a negative int, a tuple in any order; keepdims
        given or not; axis= or dim=. Now and then a repeated or out-of-range axis (a probe)."""
        rng = self.rng
        u = rng.random()
        if u < 0.25 or ndim == 0 and u < 0.7:
            axis = None
        elif u < 0.6 or ndim == 0:
            axis = int(rng.integers(-ndim, ndim)) if ndim else int(rng.choice([0, -1]))
        else:
            n = int(rng.integers(1, ndim + 1))
            axes = [int(a) - (ndim if rng.random() < 0.4 else 0) for a in rng.permutation(ndim)[:n]]
            axis = tuple(axes)
        if rng.random() < 0.03:
            axis = ndim + int(rng.integers(2))  # out of range
        elif rng.random() < 0.03 and ndim:
            axis = (0, -ndim)  # repeated
        keepdims = [None, False, True][rng.integers(3)]
        return axis, keepdims, "dim" if rng.random() < 0.3 else "axis"

    def op_reduce(self):
        k = self.pick()
        op = ("sum", "mean", "max")[self.rng.integers(3)]
        axis, keepdims, kw = self.axis_form(self.vals[k].ndim)
        self.emit(op, (("node", k),), {"axis": axis, "keepdims": keepdims, "kw": kw})

    def op_transpose(self):
        rng = self.rng
        k = self.pick()
        ndim = self.vals[k].ndim
        form = ["T", "none", "args", "tuple"][rng.integers(4)]
        axes = [int(a) - (ndim if rng.random() < 0.35 else 0) for a in rng.permutation(ndim)]
        if rng.random() < 0.03 and ndim >= 2:
            axes[0] = axes[1]  # repeated: a probe
        if form == "T" and ndim not in (0, 2):
            form = "none"  # PyTorch deprecates .T on other than 2-D; NumPy's .T reverses
        self.emit("transpose", (("node", k),), {"form": form, "axes": tuple(axes)})

    def op_reshape(self):
        rng = self.rng
        k = self.pick()
        size = int(np.prod(self.vals[k].shape))
        dims = []
        rest = size
        for _ in range(int(rng.integers(0, 4))):
            divisors = [d for d in range(1, 5) if rest % d == 0] if rest else [0, 1, 2]
            d = int(rng.choice(divisors))
            dims.append(d)
            rest = rest // d if d else rest
        if size and rest != 1:
            dims.append(rest)
        elif not size and 0 not in dims:
            dims.append(0)
        if size and dims and rng.random() < 0.3:
            dims[int(rng.integers(len(dims)))] = -1
        if not dims and size != 1:
            dims = [size]
        self.emit(
            "reshape",
            (("node", k),),
            {"shape": tuple(dims), "form": ["args", "tuple"][rng.integers(2)]},
        )

    def op_getitem(self):
        rng = self.rng
        k = self.pick(lambda j: self.vals[j].ndim > 0)
        if k is None:
            return
        shape = tuple(self.vals[k].shape)
        ellipsis = rng.random() < 0.15
        n_items = int(rng.integers(1, len(shape) + 1))
        axes = range(len(shape) - n_items, len(shape)) if ellipsis else range(n_items)
        items, arrays = [], 0
        for ax in axes:
            n = shape[ax]
            u = rng.random()
            if u < 0.3 and n:
                items.append(int(rng.integers(-n, n)))
            elif u < 0.6 and n and arrays == 0:
                items.append(rng.integers(-n, n, int(rng.integers(1, 6))))  # repeats likely
                arrays += 1
            else:
                start = None if rng.random() < 0.4 else int(rng.integers(-n - 1, n + 2))
                stop = None if rng.random() < 0.4 else int(rng.integers(-n - 1, n + 2))
                step = [None, 1, 2, 3][rng.integers(4)]
                items.append(slice(start, stop, step))
        if ellipsis:
            items.insert(0, Ellipsis)
        index = items[0] if len(items) == 1 and rng.random() < 0.6 else tuple(items)
        self.emit("getitem", (("node", k),), {"index": index, "scramble": self.scramble})

    def op_matmul(self):
        rng = self.rng
        k = self.pick(lambda j: self.vals[j].ndim > 0)
        if k is None:
            return
        shape = tuple(self.vals[k].shape)
        m = int(rng.choice([1, 2, 3, 0], p=[0.3, 0.35, 0.3, 0.05]))
        left = rng.random() < 0.6
        n = shape[-1] if left else (shape[0] if len(shape) == 1 else shape[-2])
        u = rng.random()
        if u < 0.35:
            other = (n,)
        elif u < 0.8:
            other = (n, m) if left else (m, n)
        else:  # a stack that broadcasts against k's batch dimensions
            batch = tuple(1 if rng.random() < 0.4 else d for d in shape[:-2]) or (
                int(rng.integers(1, 3)),
            )
            other = batch + ((n, m) if left else (m, n))
        j = self.leaf(other)
        self.emit("matmul", (("node", k), ("node", j)) if left else (("node", j), ("node", k)))


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(tuple(a), tuple(b))
        return True
    except ValueError:
        return False


def gen_b(seed):
    gen = _GenB(seed)
    rng = gen.rng
    for _ in range(int(rng.integers(1, 3))):
        gen.leaf()
    for _ in range(int(rng.integers(2, 9))):
        gen.step()
    last = max(k for k, v in enumerate(gen.vals) if v is not None)
    del gen.nodes[last + 1 :], gen.vals[last + 1 :], gen.dtypes[last + 1 :]
    grad = gen.array(tuple(gen.vals[last].shape), gen.dtypes[last])
    return ProgramB(seed, gen.nodes, grad)


def run_graph_b(engine, prog):
    """The graph in the tensor engine or in PyTorch float64. Index arrays are copies, and
    (when the program says so) overwritten after the forward pass."""
    trace = Trace()
    nodes, indexes = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        T = minigrad.backend("tensor").Tensor
        for k, node in enumerate(prog.nodes):
            if node[0] == "leaf":
                data = node[1]
                if engine == "torch":
                    nodes.append(torch.tensor(as_f64(data), requires_grad=True))
                else:
                    nodes.append(T(data, requires_grad=True, dtype=data.dtype))
                continue
            probe = node[0] == "probe"
            op, operands, params = node[1:] if probe else node
            args = [nodes[v] if kind == "node" else v for kind, v in operands]
            params = dict(params)
            if op == "getitem" and engine == "tensor":
                params["index"] = copy_index(params["index"])
                indexes.append((params["index"], args[0].data.shape, params.get("scramble")))
            try:
                if engine == "torch":
                    args = [
                        torch.tensor(as_f64(a)) if kind == "const" else a
                        for (kind, _), a in zip(operands, args)
                    ]
                    out = _torch_graph_op(op, args, params)
                    out.retain_grad()
                else:
                    out = forward(op, args, params)
            except Exception as e:  # noqa: BLE001
                if not probe:
                    trace.error_step, trace.error = k, f"{type(e).__name__}: {e}"
                    break
                nodes.append(None)
                continue
            if probe:
                trace.error_step, trace.error = k, f"probe computes (PyTorch raises): {op} {params}"
                break
            nodes.append(out)
        if trace.error is None:
            for index, shape, scramble in indexes:
                if scramble:
                    scramble_index(index, shape)
            try:
                if engine == "torch":
                    nodes[-1].backward(torch.tensor(as_f64(prog.grad)))
                else:
                    nodes[-1].backward(prog.grad)
            except Exception as e:  # noqa: BLE001
                trace.backward_error = f"{type(e).__name__}: {e}"
    trace.warnings = tuple(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))
    for n in nodes:
        if n is None:
            trace.data.append(None)
            trace.graddata.append(None)
        elif engine == "torch":
            trace.data.append(n.detach().numpy().copy())
            trace.graddata.append(
                np.zeros(tuple(n.shape)) if n.grad is None else n.grad.numpy().copy()
            )
        else:
            trace.data.append(np.array(n.data, copy=True))
            trace.graddata.append(np.array(n.grad, copy=True))
    return trace


def _torch_graph_op(op, args, params):
    if op == "max":
        x = args[0]
        if params["axis"] is None:
            m = x.max()
            return m.reshape((1,) * x.ndim) if params["keepdims"] else m
        return torch.amax(x, dim=params["axis"], keepdim=bool(params["keepdims"]))
    return torch_op(op, args, params)


def case_b(prog, k, trace):
    op, operands, params = prog.nodes[k]
    distinct, mapped = [], []
    for kind, v in operands:
        if kind == "node":
            if v not in distinct:
                distinct.append(v)
            mapped.append(("node", distinct.index(v)))
        else:
            mapped.append((kind, v))
    nodes = tuple(trace.data[v] for v in distinct)
    return Case(op, tuple(mapped), nodes, trace.graddata[k], dict(params)), distinct


def check_graph_b(prog):
    findings, stats = [], Counter()

    def add(check, verdict, case=None, note=""):
        if verdict.status != "ok":
            findings.append(Finding("b", prog.seed, check, "tensor", verdict, case, note))
            stats[f"{verdict.status}: {check}"] += 1

    t = run_graph_b("tensor", prog)
    o = run_graph_b("torch", prog)
    if t.warnings:
        add("graph", Verdict("new", detail="warns: " + "; ".join(t.warnings)))
    if t.error is not None:  # the op alone says why (and the graph is not checked further)
        k = t.error_step
        if prog.nodes[k][0] == "probe":
            add("graph", Verdict("new", detail=t.error))
        else:
            case, _ = case_b(prog, k, o)
            with quiet_np():
                case.nodes = tuple(
                    np.asarray(x, dtype=t.data[v].dtype) for x, v in zip(case.nodes, _)
                )
            case.g = np.zeros(np.shape(o.data[k]))
            add("op vs PyTorch", judge(case, run_single("tensor", case)), case)
        stats["graphs"] += 1
        return findings, stats
    grads_from = t
    if t.backward_error:  # the ops alone, from PyTorch's gradients, say why
        add("graph", Verdict("new", detail=f"backward raises {t.backward_error}"))
        with quiet_np():
            grads_from = Trace(
                data=t.data,
                graddata=[
                    None if g is None or d is None else np.asarray(g, dtype=d.dtype)
                    for g, d in zip(o.graddata, t.data)
                ],
            )
    contribs = {k: [] for k in range(len(prog.nodes))}
    mags = {k: [] for k in range(len(prog.nodes))}
    contribs[len(prog.nodes) - 1].append(as_f64(prog.grad))
    mags[len(prog.nodes) - 1].append(np.abs(as_f64(prog.grad)))
    live = reachable_b(prog)
    for k, node in enumerate(prog.nodes):
        if node[0] in ("leaf", "probe"):
            continue
        case, distinct = case_b(prog, k, grads_from)
        s = run_single("tensor", case)
        add("op vs PyTorch", judge(case, s), case)
        stats["ops checked"] += 1
        if s.error:
            continue
        # A sum's order may depend on memory layout (``@`` of a strided view): for the ops
        # that sum, the rounding of that sum is allowed, bounded by its terms' magnitudes.
        sums = case.op in ("sum", "mean", "matmul") and case.plain and case.plain.error is None
        same = np.array_equal(s.value, t.data[k], equal_nan=True)
        if not same and sums and np.shape(s.value) == np.shape(t.data[k]):
            plain = case.plain
            same = close(t.data[k], s.value, plain.vmag, s.value.dtype, plain.terms, rtol=0).all()
        if not same or s.value.dtype != t.data[k].dtype:
            detail = f"node {k}: the graph's value differs from the op alone"
            add("graph vs its ops", Verdict("new", detail=detail), case)
        if k not in live:
            continue
        for i, (p, c, mag) in enumerate(zip(distinct, s.contribs, s.mags)):
            contribs[p].append(c)
            if sums and np.shape(case.plain.cmags[i]) == np.shape(mag):
                mag = np.maximum(mag, case.plain.cmags[i] * case.plain.terms)
            mags[p].append(mag)
    if not t.backward_error:
        for k, node in enumerate(prog.nodes):
            if node[0] == "probe":
                continue
            g = t.graddata[k]
            if g.shape != t.data[k].shape or g.dtype != t.data[k].dtype:
                add(
                    "graph vs its ops",
                    Verdict(
                        "new",
                        detail=f"node {k}: .grad {g.shape} {g.dtype} for data "
                        f"{t.data[k].shape} {t.data[k].dtype}",
                    ),
                )
                continue
            cs = [c for c in contribs[k] if np.shape(c) == g.shape]
            if len(cs) < len(contribs[k]):
                continue  # a wrongly shaped gradient: already found by its op
            ok = _sum_ok(g, cs, g.dtype, mags[k])
            if not ok.all():
                add(
                    "graph vs its ops",
                    Verdict(
                        "new",
                        detail=f"node {k} ({node[0]}): .grad "
                        + _first_bad(ok, g, sum(as_f64(c) for c in cs))
                        + " (the sum its children hand it)",
                    ),
                )
    explained = any(f.verdict.status != "ok" for f in findings)
    if o.error or o.backward_error or not _close_trace_b(t, o, prog):
        stats[
            "whole graph: tensor != PyTorch" + (" (an op differs)" if explained else " (rounding)")
        ] += 1
    stats["graphs"] += 1
    stats["probes (PyTorch and minigrad refuse)"] += sum(n[0] == "probe" for n in prog.nodes)
    return findings, stats


def reachable_b(prog):
    """The nodes the output (the last node) depends on."""
    root = len(prog.nodes) - 1
    seen, stack = {root}, [root]
    while stack:
        node = prog.nodes[stack.pop()]
        if node[0] not in ("leaf", "probe"):
            for kind, v in node[1]:
                if kind == "node" and v not in seen:
                    seen.add(v)
                    stack.append(v)
    return seen


def _close_trace_b(t, o, prog):
    for k, node in enumerate(prog.nodes):
        if node[0] == "probe":
            continue
        rtol = 1e-3 if t.data[k].dtype == F32 else 1e-9
        for a, b in ((t.data[k], o.data[k]), (t.graddata[k], o.graddata[k])):
            if (
                np.shape(a) != np.shape(b)
                or not close(a, b, np.abs(as_f64(b)), F64, rtol=rtol).all()
            ):
                return False
    return True


# -- running many graphs ---------------------------------------------------------------------


def check_graph(family, seed):
    if family == "a":
        return check_graph_a(gen_a(seed), torch is not None)
    return check_graph_b(gen_b(seed))


@dataclass
class Summary:
    stats: Counter = field(default_factory=Counter)
    groups: dict = field(default_factory=dict)  # key -> [count, first Finding's text, seeds]
    seconds: float = 0.0

    def add(self, findings, stats):
        self.stats.update(stats)
        for f in findings:
            entry = self.groups.get(f.key())
            if entry is None:
                self.groups[f.key()] = [1, f.describe(), [f.seed]]
            else:
                entry[0] += 1
                if len(entry[2]) < 5 and f.seed not in entry[2]:
                    entry[2].append(f.seed)

    def merge(self, other):
        self.stats.update(other.stats)
        self.seconds += other.seconds
        for key, (count, text, seeds) in other.groups.items():
            entry = self.groups.setdefault(key, [0, text, []])
            entry[0] += count
            entry[2] = sorted(set(entry[2]) | set(seeds))[:5]

    def new(self):
        return {k: v for k, v in self.groups.items() if k[0] == "new"}

    def report(self, title):
        s = self.stats
        lines = [f"{title}: {s['graphs']} graphs, {s['ops checked']} ops, {self.seconds:.1f} s"]
        lines += [
            f"  {k}: {v}"
            for k, v in sorted(self.stats.items())
            if k not in ("graphs", "ops checked")
        ]
        order = {"new": 0, "known": 1, "deviation": 2}
        for _, (count, text, seeds) in sorted(
            self.groups.items(), key=lambda kv: (order[kv[0][0]], -kv[1][0])
        ):
            lines.append(f"\n{count} x (seeds {', '.join(map(str, seeds))}) {text}")
        return "\n".join(lines)


def fuzz(family, seeds):
    summary = Summary()
    start = time.perf_counter()
    for seed in seeds:
        summary.add(*check_graph(family, seed))
    summary.seconds = time.perf_counter() - start
    return summary


def _budget(request, family):
    n = request.config.getoption("fuzz_graphs", None)
    first = request.config.getoption("fuzz_seed", None) or 0
    return range(first, first + (DEFAULT_GRAPHS[family] if n is None else n))


# -- the tests -------------------------------------------------------------------------------


def test_elementwise_graphs(request):
    """Family a: scalar engine vs tensor engine (0-d and (1,) tensors) vs PyTorch float64
    (checks 2 need torch; 1 and 3 run without it)."""
    summary = fuzz("a", _budget(request, "a"))
    print(summary.report("elementwise graphs"))
    new = summary.new()
    assert not new, summary.report("elementwise graphs: differences no rule explains")


def test_tensor_graphs(request):
    """Family b: tensor engine vs PyTorch float64."""
    pytest.importorskip("torch", reason="PyTorch oracle: pip install 'minigrad-twins[oracle]'")
    summary = fuzz("b", _budget(request, "b"))
    print(summary.report("tensor graphs"))
    new = summary.new()
    assert not new, summary.report("tensor graphs: differences no rule explains")


def test_the_budget_finds_what_it_must():
    """The default seeds are not idle: they reach every op, special values, contract errors,
    float32, broadcasting, size-0 dimensions, repeated indices and (with torch) a documented
    deviation, so a green run means something."""
    progs = [gen_a(s) for s in range(DEFAULT_GRAPHS["a"])]
    ops_a = {op for p in progs for op, _ in p.steps}
    assert ops_a == set(ELEMENTWISE)
    values = [x for p in progs for x in p.inputs]
    assert any(math.isnan(x) for x in values) and any(math.isinf(x) for x in values)
    assert any(x == 0 and math.copysign(1, x) < 0 for x in values)
    assert any(0 < abs(x) < 2.2250738585072014e-308 for x in values)
    forms = {
        tuple(k for k, _ in operands) for p in progs for op, operands in p.steps if op in BINARY
    }
    assert forms >= {("node", "node"), ("node", "num"), ("num", "node")}
    if torch is None:
        return
    progs = [gen_b(s) for s in range(DEFAULT_GRAPHS["b"])]
    nodes = [n for p in progs for n in p.nodes]
    ops_b = {n[0] for n in nodes} | {n[1] for n in nodes if n[0] == "probe"}
    assert ops_b >= set(ELEMENTWISE) | {
        "sum",
        "mean",
        "max",
        "transpose",
        "reshape",
        "getitem",
        "matmul",
        "probe",
    }
    leaves = [n[1] for n in nodes if n[0] == "leaf"]
    assert any(x.dtype == F32 for x in leaves) and any(0 in x.shape for x in leaves)
    assert any(x.ndim == 0 for x in leaves)
    axes = [n[2]["axis"] for n in nodes if n[0] in ("sum", "mean", "max")]
    assert any(isinstance(a, tuple) for a in axes) and any(
        isinstance(a, int) and a < 0 for a in axes
    )
    arrays = [
        i
        for n in nodes
        if n[0] == "getitem"
        for i in (n[2]["index"] if isinstance(n[2]["index"], tuple) else (n[2]["index"],))
        if isinstance(i, np.ndarray)
    ]
    assert any(len(set(a.tolist())) < len(a) for a in arrays)  # repeats


def test_documented_deviations_are_documented():
    """Every rule the fuzzer excuses as documented is still in docs/API.md (and the
    contract's errors in DELIBERATE_DEVIATIONS): a rule removed from the docs must be removed
    here, so the fuzzer fails where minigrad still deviates."""
    text = API_MD.read_text(encoding="utf-8")
    missing = [r.name for r in DEVIATIONS if r.doc not in text]
    missing += [
        name
        for name, words in CONTRACT.items()
        if words not in text or name not in DELIBERATE_DEVIATIONS
    ]
    assert not missing, f"documented deviations the docs no longer list: {missing}"


# What the fuzzer found, each a minimal case that failed when found and passes now (fixed,
# or judged a documented deviation): mixed float32/float64 rules computed in float32 (fixed:
# convert.in_dtype), tanh near 19 under an infinite gradient (documented), an int and an
# index array apart (fixed: read as PyTorch, convert.owned_index). (engine, Case, check:
# "torch" or "engines")
FOUND = {
    "mixed float32/float64 division: the float64 numerator's gradient is 1 / y in float32": (
        "tensor",
        Case(
            "div",
            (("node", 0), ("node", 1)),
            (np.array([1.1]), np.array([3.3], np.float32)),
            np.ones(1),
        ),
        "torch",
    ),
    "mixed float32/float64 pow: d/dy uses log of the float32 base in float32": (
        "tensor",
        Case(
            "pow",
            (("node", 0), ("node", 1)),
            (np.array([0.3], np.float32), np.array([1.7])),
            np.ones(1),
        ),
        "torch",
    ),
    "tanh(19.0) backward from inf: tensor engine nan, PyTorch inf": (
        "tensor",
        Case("tanh", (("node", 0),), (np.array(19.0),), np.array(inf)),
        "torch",
    ),
    "tanh(19.0) backward from inf: tensor engine nan, scalar engine inf": (
        "both",
        Case("tanh", (("node", 0),), (np.array(19.0),), np.array(inf), scalar=True),
        "engines",
    ),
    "x[0, :, idx]: NumPy's shape (4, 3), PyTorch's (3, 4)": (
        "tensor",
        Case(
            "getitem",
            (("node", 0),),
            (np.arange(6.0).reshape(2, 3, 1),),
            np.ones((4, 3)),
            {"index": (0, slice(None), np.array([0, 0, 0, 0]))},
        ),
        "torch",
    ),
}

# Known defects, one minimal case each: it fails while the defect is there (an xfail).
KNOWN_CASES = {}


def _verdict(engine, case, check):
    if check == "torch":
        pytest.importorskip("torch")
        return judge(case, run_single(engine, case), known=())
    return judge_engines(case, run_single("scalar", case), run_single("tensor", case), known=())


@pytest.mark.parametrize("name", list(FOUND))
def test_found_case(name):
    """Each case the fuzzer found, judged with no known defect excused."""
    verdict = _verdict(*FOUND[name])
    assert verdict.status in ("ok", "deviation"), verdict.detail


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(strict=False, reason="a known defect"))
        for name in KNOWN_CASES
    ]
    or [pytest.param(None, marks=pytest.mark.skip(reason="no known defect today"))],
)
def test_known_defect(name):
    """Each known defect's minimal case, judged with no known defect excused."""
    verdict = _verdict(*KNOWN_CASES[name])
    assert verdict.status in ("ok", "deviation"), verdict.detail


def test_every_known_rule_has_a_case():
    assert len(KNOWN) <= len(KNOWN_CASES)


def _planted(monkeypatch, where):
    """Plant a bug in an engine, for the fuzzer to find."""
    from minigrad.scalar.engine import Value
    from minigrad.tensor.engine import Tensor

    if where == "op":  # the scalar engine's tanh' off by one part in 1e9
        tanh = Value.tanh

        def bad_tanh(self):
            out = tanh(self)
            out._local = (out._local[0] * (1 + 1e-9),)
            return out

        monkeypatch.setattr(Value, "tanh", bad_tanh)
    elif where == "graph":  # the tensor engine's backward: the last path overwrites the others
        from minigrad.common.graph import topological_order
        from minigrad.tensor.convert import seed_gradient

        def bad_backward(self, grad=None):
            grad = seed_gradient(self, grad)
            order = topological_order(self)
            for node in order:
                node._acc = None
            self._acc = grad
            with np.errstate(all="ignore"):
                for node in reversed(order):
                    if node._acc is None:
                        continue
                    node._grad = node._acc if node._grad is None else node._grad + node._acc
                    for parent, rule in zip(node._prev, node._rules):
                        if parent.requires_grad:
                            parent._acc = rule(node._acc)

        monkeypatch.setattr(Tensor, "backward", bad_backward)
    else:  # the tensor engine's indexing: a repeated index gets one contribution, not all
        getitem = Tensor.__getitem__

        def bad_getitem(self, index):
            out = getitem(self, index)
            shape, dtype = self.data.shape, self.data.dtype

            def d_x(g):
                full = np.zeros(shape, dtype)
                full[index] = g
                return full

            out._rules = (d_x,)
            return out

        monkeypatch.setattr(Tensor, "__getitem__", bad_getitem)


@pytest.mark.parametrize("where, family", [("op", "a"), ("graph", "a"), ("getitem", "b")])
def test_the_fuzzer_finds_a_planted_bug(monkeypatch, where, family):
    """The fuzzer is not blind: a bug planted in an op's derivative, in backward's
    accumulation over diamonds, or in indexing with repeats is found in the default seeds."""
    if family == "b" or where == "op":
        pytest.importorskip("torch")
    _planted(monkeypatch, where)
    summary = fuzz(family, range(80 if family == "a" else 120))
    assert summary.new(), f"planted bug ({where}) not found"


# -- outside pytest: long runs and replays ---------------------------------------------------


def _worker(args):
    family, seeds = args
    if torch is not None:
        torch.set_num_threads(1)
    return fuzz(family, seeds)


def program_text(family, seed):
    """A graph as Python, for a human."""
    if family == "a":
        p = gen_a(seed)
        lines = [f"# tensor shape {p.shape}, backward from {fmt(p.grad)}"]
        lines += [f"n{i} = V({fmt(x)})" for i, x in enumerate(p.inputs)]
        for j, (op, operands) in enumerate(p.steps):
            args = [f"n{v}" if kind == "node" else _fmt_number(v) for kind, v in operands]
            expr = OP_FORMS[op].format(*args) if op in OP_FORMS else f"{args[0]}.{op}()"
            lines.append(f"n{len(p.inputs) + j} = {expr}")
        return "\n".join(lines)
    p = gen_b(seed)
    lines = []
    for k, node in enumerate(p.nodes):
        if node[0] == "leaf":
            dtype = f"dtype=np.{node[1].dtype.name}"
            lines.append(f"n{k} = Tensor({fmt_array(node[1])}, requires_grad=True, {dtype})")
        else:
            probe = node[0] == "probe"
            op, operands, params = node[1:] if probe else node
            args = [
                f"n{v}" if kind == "node" else fmt(v) if kind == "num" else fmt_array(v)
                for kind, v in operands
            ]
            lines.append(
                f"n{k} = {op}({', '.join(args)}, {params!r})"
                + ("  # PyTorch raises" if probe else "")
            )
    lines.append(f"n{len(p.nodes) - 1}.backward({fmt_array(p.grad)})")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tests.test_fuzz", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--graphs", type=int, default=None, help="graphs per family (default: the test budget)"
    )
    parser.add_argument("--seed", type=int, default=0, help="the first seed")
    parser.add_argument("--family", default="ab", help="a, b or ab")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--replay", help="FAMILY:SEED: print that graph and what was found in it")
    args = parser.parse_args(argv)
    if args.replay:
        family, seed = args.replay.split(":")
        print(program_text(family, int(seed)))
        findings, stats = check_graph(family, int(seed))
        print(dict(stats))
        for f in findings:
            print(f.describe())
        return 0
    total_new = 0
    for family in args.family:
        if family == "b" and torch is None:
            print("tensor graphs: skipped (no torch)")
            continue
        n = DEFAULT_GRAPHS[family] if args.graphs is None else args.graphs
        seeds = list(range(args.seed, args.seed + n))
        chunks = [(family, seeds[i :: args.jobs * 8]) for i in range(args.jobs * 8)]
        start = time.perf_counter()
        summary = Summary()
        if args.jobs > 1:
            import multiprocessing

            with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
                for part in pool.imap_unordered(_worker, chunks):
                    summary.merge(part)
        else:
            for chunk in chunks:
                summary.merge(_worker(chunk))
        cpu = summary.seconds
        summary.seconds = time.perf_counter() - start
        print(
            summary.report(
                f"{FAMILIES[family]} graphs, seeds {seeds[0]}..{seeds[-1]} ({cpu:.1f} s of work)"
            )
        )
        print()
        total_new += len(summary.new())
    return 1 if total_new else 0


if __name__ == "__main__":
    sys.exit(main())
