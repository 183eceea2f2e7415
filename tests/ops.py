"""The op table every op test draws from (like autograd's ``test_systematic``).

One line per op. The engine tests (gradients against finite differences), the equivalence
suite (scalar engine == tensor engine), the PyTorch oracle, the hypothesis properties and
the special-values grid all read ``OPS``, so an op added here is tested by all of them:

- ``tests/test_scalar_engine.py``: every op with "scalar" in ``engines``, by gradcheck at
  the points of ``SCALAR_POINTS`` (unary) / ``SCALAR_PAIRS`` (binary) inside ``domain``;
- ``tests/test_tensor_engine.py``: every op with "tensor" in ``engines``, by gradcheck on
  random inputs from ``domain`` of each shape in ``shapes``;
- ``tests/test_equivalence.py``: every ``elementwise`` op of both engines, on each shape in
  ``shapes``, the scalar engine applying it element by element;
- ``tests/test_torch_oracle.py``: every op with a ``torch`` form, against PyTorch float64;
- ``tests/test_properties.py``: every ``smooth`` elementwise op of both engines whose
  gradient is the derivative of its value (no ``numeric``), as a step of random expression
  graphs (through ``Op.on_reals``);
- ``tests/test_special_values.py``: every elementwise op of both engines that is not
  ``with_number``, at ±0, ±inf, nan, ... (``raises``: where the contract says ValueError).

Adding an op is one line, e.g.::

    Op("max_dim", lambda a: a.max(dim=1), engines=TENSOR, elementwise=False,
       torch=lambda a: a.max(dim=1).values),                # torch returns (values, indices)

The engine tests check gradients with ``check_gradient`` (below), which honours ``numeric``.

The fields (all but ``name`` and ``fn`` have defaults):

- ``fn``: the op applied to nodes of any engine (and to torch tensors, unless ``torch``
  says otherwise); its number of arguments is the op's arity (1 or 2). A binary op must
  also accept a plain float for either operand (the special-values grid passes one).
- ``domain``: ``(lo, hi)``, where the op is smooth: random inputs are drawn from it and the
  fixed gradcheck points must lie in it (closed interval).
- ``engines``: ``BOTH`` or ``TENSOR`` (tensor-only ops: reductions, shapes, matmul).
- ``elementwise``: False for ops that are not one number in, one number out (the scalar
  engine then cannot apply them element by element).
- ``shapes``: the input shapes the tensor tests use, one tuple of shapes per case.
- ``smooth``: False for ops with a kink (relu): finite differences at random points would
  straddle it, so the hypothesis properties leave them out.
- ``total``: True if the op is smooth and finite on all reals and grows at most linearly,
  so random graphs may apply it to any node; other ops get their inputs mapped into
  ``domain`` first (``Op.on_reals``).
- ``with_number``: True if ``fn`` bakes a plain number in as one operand (``a ** 3``); the
  special-values grid skips these, as it pairs every binary op with plain numbers itself.
- ``raises``: for ops with a contract error, a predicate on the input numbers: True where
  the op must raise ``ValueError``.
- ``torch``: the op on torch tensors if ``fn`` does not work there; ``None``: no oracle.
- ``numeric``: for an op whose gradient is by design not the derivative of its value
  (``detach`` cuts the gradient, so ``a * a.detach()`` has gradient ``a``, not ``2 a``), a
  function whose derivative is that gradient (``a * a / 2``): the finite-difference checks
  differentiate it instead of ``fn``, and the random graphs of the hypothesis properties,
  which differentiate whole graphs by finite differences, leave the op out.
"""

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BOTH = ("scalar", "tensor")
TENSOR = ("tensor",)
SAME = "same as fn"

UNARY_SHAPES = (((3, 4),),)
# One case per broadcasting pattern the per-file tables used: equal shapes, a trailing
# row, an outer product, a 0-d operand, a column against a matrix.
BROADCAST_SHAPES = (
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((), (2, 3)),
    ((3, 1), (3, 4)),
)
MATMUL_SHAPES = (((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)))


def negative_base_to_fraction(base, exponent):
    """The contract's pow error: a negative finite base to a finite non-integer power."""
    return (
        math.isfinite(base)
        and base < 0
        and math.isfinite(exponent)
        and not float(exponent).is_integer()
    )


@dataclass(frozen=True)
class Op:
    name: str
    fn: Callable
    domain: tuple = (-2.0, 2.0)
    engines: tuple = BOTH
    elementwise: bool = True
    shapes: tuple = None
    smooth: bool = True
    total: bool = False
    with_number: bool = False
    raises: Callable = None
    torch: Any = SAME
    numeric: Any = SAME
    arity: int = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "arity", len(inspect.signature(self.fn).parameters))
        if self.shapes is None:
            shapes = UNARY_SHAPES if self.arity == 1 else BROADCAST_SHAPES
            object.__setattr__(self, "shapes", shapes)

    @property
    def torch_fn(self):
        return self.fn if self.torch is SAME else self.torch

    def on_reals(self, *nodes):
        """The op made smooth and finite on all reals: each input first mapped into
        ``domain`` by ``lo + (hi - lo) * sigmoid(x)``, unless the op is ``total``."""
        if self.total:
            return self.fn(*nodes)
        lo, hi = self.domain
        return self.fn(*(x.sigmoid() * (hi - lo) + lo for x in nodes))


POSITIVE = (0.1, 3.0)

OPS = (
    # -- elementwise, both engines; lined up with the engines' op order -----------------
    Op("add", lambda a, b: a + b, total=True),
    Op("sub", lambda a, b: a - b, total=True),
    Op("mul", lambda a, b: a * b),
    Op("div", lambda a, b: a / b, domain=(0.5, 3.0)),
    Op("pow", lambda a, b: a**b, domain=(0.5, 2.0), raises=negative_base_to_fraction),
    Op("neg", lambda a: -a, total=True),
    Op("exp", lambda a: a.exp()),
    Op("log", lambda a: a.log(), domain=POSITIVE, raises=lambda x: x <= 0),
    Op("tanh", lambda a: a.tanh(), total=True),
    Op("relu", lambda a: a.relu(), smooth=False),
    Op("sigmoid", lambda a: a.sigmoid(), total=True),
    Op("abs", lambda a: a.abs(), smooth=False),  # gradient sign(x), 0 at 0 (PyTorch's)
    # the bounds are part of the op, not operands: the grid covers them (±1: the boundary)
    Op("clamp", lambda a: a.clamp(-1.0, 1.0), smooth=False),
    Op("clamp_min", lambda a: a.clamp(min=0.0), smooth=False),
    Op("clamp_max", lambda a: a.clamp(max=0.5), smooth=False),
    Op("sqrt", lambda a: a.sqrt(), domain=POSITIVE, raises=lambda x: x < 0),
    Op("detach", lambda a: a * a.detach(), numeric=lambda a: a * a * 0.5),
    # -- the same ops with a plain number on one side -----------------------------------
    Op("add_number", lambda a: a + 1.5, total=True, with_number=True),
    Op("number_add", lambda a: 1.5 + a, total=True, with_number=True),
    Op("sub_number", lambda a: a - 1.5, total=True, with_number=True),
    Op("number_sub", lambda a: 1.5 - a, total=True, with_number=True),
    Op("mul_number", lambda a: a * -2.5, total=True, with_number=True),
    Op("number_mul", lambda a: -2.5 * a, total=True, with_number=True),
    Op("div_number", lambda a: a / 4.0, total=True, with_number=True),
    Op("number_div", lambda a: 4.0 / a, domain=(0.5, 3.0), with_number=True),
    Op("pow_number", lambda a: a**3, with_number=True),
    Op("pow_half", lambda a: a**0.5, domain=POSITIVE, with_number=True),
    Op("pow_fraction", lambda a: a**1.5, domain=POSITIVE, with_number=True),
    Op("pow_negative", lambda a: a**-2, domain=(0.5, 2.5), with_number=True),
    Op("number_pow", lambda a: 2**a, with_number=True),  # an int base: lifted to float
    Op("float_pow", lambda a: 3.0**a, with_number=True),
    # -- tensor-only --------------------------------------------------------------------
    Op("matmul", lambda a, b: a @ b, engines=TENSOR, elementwise=False, shapes=MATMUL_SHAPES),
    Op("sum", lambda a: a.sum(), engines=TENSOR, elementwise=False),
    Op("sum_axis", lambda a: a.sum(axis=0), engines=TENSOR, elementwise=False),
    Op(
        "sum_keepdims",
        lambda a: a.sum(axis=1, keepdims=True),
        engines=TENSOR,
        elementwise=False,
    ),
    Op("mean", lambda a: a.mean(axis=1), engines=TENSOR, elementwise=False),
    Op("max", lambda a: a.max(), engines=TENSOR, elementwise=False),
    # PyTorch's dim= for NumPy's axis= (keepdims: torch takes NumPy's spelling too)
    Op("sum_dim", lambda a: a.sum(dim=0), engines=TENSOR, elementwise=False),
    Op("mean_dim", lambda a: a.mean(dim=-1, keepdims=True), engines=TENSOR, elementwise=False),
    Op(
        "max_dim",
        lambda a: a.max(dim=1),
        engines=TENSOR,
        elementwise=False,
        torch=lambda a: a.max(dim=1).values,  # torch returns (values, indices)
    ),
    Op(
        "max_axis",
        lambda a: a.max(axis=0, keepdims=True),
        engines=TENSOR,
        elementwise=False,
        torch=lambda a: a.max(dim=0, keepdim=True).values,
    ),
    Op("reshape", lambda a: a.reshape(6, 2), engines=TENSOR, elementwise=False),
    Op("transpose", lambda a: a.T, engines=TENSOR, elementwise=False),
    # negative axes (issue 17): the gradient goes back through the inverse permutation
    Op(
        "transpose_axes",
        lambda a: a.transpose(-1, 0),
        engines=TENSOR,
        elementwise=False,
        torch=lambda a: a.permute(-1, 0),
    ),
    Op(
        "transpose_3d",
        lambda a: a.transpose(0, -1, 1),
        engines=TENSOR,
        elementwise=False,
        shapes=(((2, 3, 4),),),
        torch=lambda a: a.permute(0, -1, 1),
    ),
    Op(
        "max_axes",
        lambda a: a.max(axis=(-1, 0)),
        engines=TENSOR,
        elementwise=False,
        shapes=(((2, 3, 4),),),
        torch=lambda a: a.amax(dim=(-1, 0)),  # (no ties in random data: amax is max)
    ),
    Op("getitem_slice", lambda a: a[1:, ::2], engines=TENSOR, elementwise=False),
    Op("getitem_array", lambda a: a[np.array([0, 2, 0])], engines=TENSOR, elementwise=False),
    Op("getitem_tuple", lambda a: a[np.array([2, 0, 2]), 1:], engines=TENSOR, elementwise=False),
    # float64 -> float32 -> float64 rounds the values; the gradient is 1 (cast back)
    Op(
        "astype",
        lambda a: a.astype(np.float32).astype(np.float64),
        engines=TENSOR,
        elementwise=False,
        torch=lambda a: a.float().double(),
        numeric=lambda a: a,
    ),
    Op("softmax", lambda a: a.softmax(dim=1), engines=TENSOR, elementwise=False),
    Op(
        "log_softmax",
        lambda a: a.log_softmax(axis=0),
        engines=TENSOR,
        elementwise=False,
        torch=lambda a: a.log_softmax(dim=0),
    ),
)
BY_NAME = {op.name: op for op in OPS}
assert len(BY_NAME) == len(OPS), "op names must be unique"


def ops(engine=None, arity=None, **flags):
    """The ops of ``engine`` (or of both engines: ``engine="both"``) with the given arity
    and field values, e.g. ``ops("both", elementwise=True, smooth=True)``."""
    chosen = []
    for op in OPS:
        if engine == "both" and op.engines != BOTH:
            continue
        if engine not in (None, "both") and engine not in op.engines:
            continue
        if arity is not None and op.arity != arity:
            continue
        if any(getattr(op, k) != v for k, v in flags.items()):
            continue
        chosen.append(op)
    return chosen


def check_gradient(op, inputs, wrap=None, rtol=1e-5, atol=1e-7):
    """``minigrad.gradcheck`` of ``wrap(op.fn(*inputs))`` (``wrap``: e.g. a weighted sum
    that makes a tensor result one number). For an op with ``numeric``, backward still runs
    through ``fn`` and the finite differences are taken of ``numeric``."""
    from minigrad import gradcheck
    from minigrad.tools.gradcheck import GradcheckError, numerical_grads

    wrap = wrap or (lambda out: out)
    if op.numeric is SAME:
        return gradcheck(lambda *xs: wrap(op.fn(*xs)), inputs, rtol=rtol, atol=atol)
    for node in inputs:
        node._zero_grad()
    wrap(op.fn(*inputs)).backward()
    analytic = [np.asarray(node.grad, dtype=np.float64) for node in inputs]
    numeric = numerical_grads(lambda *xs: wrap(op.numeric(*xs)), inputs)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        if not np.allclose(a, n, rtol=rtol, atol=atol):
            raise GradcheckError(f"{op.name}: gradient of input {i}: backward {a}, expected {n}")
    return True
