"""The scalar engine's ``Value``: every op's gradient, numerics, errors, deep graphs."""

import math
import warnings

import numpy as np
import pytest

import minigrad
from minigrad.scalar import Value, no_grad
from tests.ops import check_gradient, ops

# Fixed points for the gradchecks of the op table: each op is checked at those inside
# its domain (tests/ops.py).
SCALAR_POINTS = (0.7, 1.9, -0.8, -2.0)
SCALAR_PAIRS = ((1.3, 0.6), (-0.8, -1.7))


def inside(op, *xs):
    lo, hi = op.domain
    return all(lo <= x <= hi for x in xs)


UNARY_CASES = [
    pytest.param(op, x, id=f"{op.name}-{x}")
    for op in ops("scalar", arity=1)
    for x in SCALAR_POINTS
    if inside(op, x)
]
BINARY_CASES = [
    pytest.param(op, xy, id=f"{op.name}-{xy}")
    for op in ops("scalar", arity=2)
    for xy in SCALAR_PAIRS
    if inside(op, *xy)
]


@pytest.mark.parametrize("op, x", UNARY_CASES)
def test_unary_op_gradient_matches_finite_differences(op, x):
    assert check_gradient(op, [Value(x)])


@pytest.mark.parametrize("op, xy", BINARY_CASES)
def test_binary_op_gradient_matches_finite_differences(op, xy):
    assert check_gradient(op, [Value(x) for x in xy])


def test_every_op_is_checked_where_the_old_tables_did():
    """The points the per-file tables used to check stay checked (the table may add more)."""
    unary = {(p.values[0].name, p.values[1]) for p in UNARY_CASES}
    for name in ["neg", "exp", "log", "tanh", "relu", "sigmoid", "pow_number", "pow_half"]:
        assert {(name, 0.7), (name, 1.9)} <= unary
    for name in ["neg", "exp", "tanh", "relu", "sigmoid", "number_pow"]:
        assert {(name, -0.8), (name, -2.0)} <= unary
    binary = {p.values[0].name for p in BINARY_CASES}
    assert binary == {"add", "sub", "mul", "div", "pow"}


def test_sum_of_equals_chained_adds():
    xs = [Value(x) for x in (0.5, -1.25, 2.0, 3.5)]
    total = Value.sum_of(xs) * Value.sum_of(xs)
    total.backward()
    grads = [x.grad for x in xs]
    ys = [Value(x.data) for x in xs]
    chained = (ys[0] + ys[1] + ys[2] + ys[3]) * (ys[0] + ys[1] + ys[2] + ys[3])
    chained.backward()
    assert total.data == chained.data
    assert grads == [y.grad for y in ys] == [2 * 4.75] * 4


def test_forward_values_match_math():
    a, b = Value(0.5), Value(-2.0)
    assert (a + b).data == -1.5
    assert (a - b).data == 2.5
    assert (a * b).data == -1.0
    assert (a / b).data == -0.25
    assert (b**2).data == 4.0
    assert (2**a).data == 2**0.5
    assert (-a).data == -0.5
    assert a.exp().data == math.exp(0.5)
    assert a.log().data == math.log(0.5)
    assert b.tanh().data == math.tanh(-2.0)
    assert b.relu().data == 0.0 and a.relu().data == 0.5
    assert a.sigmoid().data == 1 / (1 + math.exp(-0.5))
    assert a.item() == 0.5 and isinstance(a.item(), float)


def test_node_used_twice_gets_both_contributions():
    a = Value(3.0)
    out = a * a + a  # d/da = 2a + 1
    out.backward()
    assert a.grad == 7.0


def test_backward_twice_adds_twice():
    a = Value(1.0)
    mid = a * 3
    out = mid * 2
    out.backward()
    out.backward()
    assert a.grad == 12.0
    assert mid.grad == 4.0  # intermediate nodes accumulate too, once per call
    assert out.grad == 2.0


def test_backward_with_explicit_gradient():
    a = Value(2.0)
    (a * 5).backward(0.5)
    assert a.grad == 2.5


def test_grad_is_zero_before_backward_and_floats():
    a = Value(1)
    assert a.grad == 0.0 and isinstance(a.data, float)


def test_deep_chain_of_a_million_ops_backpropagates():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1e-6
    y.backward()
    assert x.grad == 1.0
    assert y.data == pytest.approx(2.0)


def test_backward_order_is_deterministic():
    def run():
        a, b = Value(0.1), Value(0.2)
        c = Value.sum_of([a * b, b * 0.3, a.tanh(), (a + b).exp()])
        c.backward()
        return a.grad, b.grad

    assert run() == run()


@pytest.mark.parametrize("bad", ["1.0", None, 1 + 2j, np.array([1.0, 2.0]), [1.0], (1.0,)])
def test_value_rejects_non_real_data(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


@pytest.mark.parametrize("good", [3, 2.5, np.float32(1.5), np.int64(7), np.float64(-0.25)])
def test_value_accepts_real_numbers(good):
    assert Value(good).data == float(good)


def test_numpy_scalar_on_the_left_gives_a_value():
    out = np.float64(2.0) * Value(3.0)
    assert isinstance(out, Value) and out.data == 6.0


def test_op_with_non_number_raises_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "a"


def test_sigmoid_and_tanh_never_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Value(-1000.0).sigmoid().data == 0.0
        assert Value(1000.0).sigmoid().data == 1.0
        assert Value(-1e308).tanh().data == -1.0
        s = Value(-1000.0)
        s.sigmoid().backward()
        assert s.grad == 0.0


def test_exp_overflow_gives_inf_not_an_exception():
    assert Value(1000.0).exp().data == math.inf


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_non_positive_raises_value_error(x):
    with pytest.raises(ValueError, match="log of a non-positive number"):
        Value(x).log()


def test_negative_base_to_fractional_power_raises_value_error():
    with pytest.raises(ValueError, match="negative base to a fractional power"):
        Value(-8.0) ** 0.5
    with pytest.raises(ValueError, match="negative base"):
        (-2.0) ** Value(0.5)
    assert (Value(-2.0) ** 3).data == -8.0  # integer powers of negatives are fine


def test_division_by_zero_follows_ieee():
    assert (Value(1.0) / 0.0).data == math.inf
    assert (Value(-1.0) / Value(0.0)).data == -math.inf
    assert math.isnan((Value(0.0) / 0.0).data)


def test_no_grad_builds_no_graph():
    a = Value(2.0)
    with no_grad():
        b = a * 3 + 1
    assert b._prev == ()
    b.backward()
    assert a.grad == 0.0
    c = a * 3  # grad mode is restored afterwards
    assert c._prev == (a,)


def test_no_grad_is_shared_with_the_top_level():
    assert no_grad is minigrad.no_grad


def test_value_has_slots_but_a_writable_label():
    v = Value(1.0)
    with pytest.raises(AttributeError):
        v.colour = "red"  # no per-node __dict__
    assert v.label == ""
    v.label = "x"
    assert v.label == "x" and Value(2.0, label="a").label == "a"
