"""Property-based tests (hypothesis): random expression graphs and random broadcast shapes,
checked against central finite differences with ``minigrad.gradcheck``, in both engines."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays, mutually_broadcastable_shapes

import minigrad
from minigrad import gradcheck
from tests.ops import SAME, ops

# Every smooth elementwise op of the table (tests/ops.py), made smooth and finite on all
# reals by Op.on_reals (inputs mapped into the op's domain), so finite differences are
# valid at any node a random graph feeds it; not ops whose gradient is by design not the
# derivative of their value (``numeric``: detach), which finite differences cannot see.
OPTS = {"elementwise": True, "smooth": True, "numeric": SAME}
UNARY = [op.on_reals for op in ops("both", arity=1, **OPTS)]
BINARY = [op.on_reals for op in ops("both", arity=2, **OPTS)]

finite = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("u"), st.integers(0, len(UNARY) - 1), st.integers(0, 99)),
        st.tuples(
            st.just("b"), st.integers(0, len(BINARY) - 1), st.integers(0, 99), st.integers(0, 99)
        ),
    ),
    min_size=1,
    max_size=12,
)


def build(program):
    """A function of the inputs: each step applies an op to earlier nodes (a DAG, with
    reuse), and the result sums every node made."""

    def f(*inputs):
        nodes = list(inputs)
        for step in program:
            if step[0] == "u":
                nodes.append(UNARY[step[1]](nodes[step[2] % len(nodes)]))
            else:
                nodes.append(
                    BINARY[step[1]](nodes[step[2] % len(nodes)], nodes[step[3] % len(nodes)])
                )
        total = nodes[len(inputs)]
        for n in nodes[len(inputs) + 1 :]:
            total = total + n
        return total if total.data.__class__ is float else total.sum()

    return f


def make_leaf(engine, x):
    B = minigrad.backend(engine)
    if engine == "scalar":
        return B.Value(x)
    return B.Tensor(x, requires_grad=True)


@pytest.mark.parametrize("engine", minigrad.BACKENDS)
@settings(max_examples=60, deadline=None)
@given(program=steps, xs=st.lists(finite, min_size=3, max_size=3))
def test_random_expression_graphs_match_finite_differences(engine, program, xs):
    inputs = [make_leaf(engine, x) for x in xs]
    assert gradcheck(build(program), inputs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("engine", minigrad.BACKENDS)
@settings(max_examples=30, deadline=None)
@given(program=steps, xs=st.lists(finite, min_size=3, max_size=3))
def test_random_graphs_give_the_same_gradients_in_both_engines(engine, program, xs):
    f = build(program)
    grads = {}
    for name in minigrad.BACKENDS:
        inputs = [make_leaf(name, x) for x in xs]
        f(*inputs).backward()
        grads[name] = np.array([float(np.asarray(i.grad)) for i in inputs])
    np.testing.assert_allclose(grads["scalar"], grads["tensor"], rtol=1e-10, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    op=st.integers(0, len(BINARY) - 1),
    data=st.data(),
)
def test_random_broadcast_shapes_match_finite_differences(shapes, op, data):
    from minigrad.tensor import Tensor

    a, b = (
        Tensor(data.draw(arrays(np.float64, s, elements=finite)), requires_grad=True)
        for s in shapes.input_shapes
    )
    weights = np.linspace(0.5, 1.5, int(np.prod(shapes.result_shape))).reshape(shapes.result_shape)

    def f(a, b):
        out = BINARY[op](a, b)
        assert out.data.shape == shapes.result_shape
        return (out * weights).sum()

    assert gradcheck(f, [a, b], rtol=1e-5, atol=1e-6)
    assert a.grad.shape == a.data.shape and b.grad.shape == b.data.shape
