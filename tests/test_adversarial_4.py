"""Inputs an adversarial review of issue 16's restructure (the engines split into the lesson
and its armour) tried: one minimal test per defect found, each asserting PyTorch's
behaviour or docs/API.md's. All failed before the fixes that came with them."""

import json
import re
import warnings

import numpy as np
import pytest

import minigrad
from minigrad.common.graph import topological_order
from minigrad.tools import explorer

S = minigrad.backend("scalar")
T = minigrad.backend("tensor")


def _trained_graph(B, x):
    """A graph built right after an optimizer step (which used to give every parameter one
    shared stamp, so the walk's order among them depended on memory addresses)."""
    model = B.MLP(3, [4, 4, 1], seed=0)
    opt = B.SGD(model.parameters(), lr=0.1)
    out = model(x)
    out = out.sum() if hasattr(out, "sum") else out
    out.backward()
    opt.step()
    out = model(x)
    return out.sum() if hasattr(out, "sum") else out


# -- regression: the explorer's node numbering after a step or a load ------------------------


@pytest.mark.parametrize("B, x", [(S, [1.0, 2.0, 3.0]), (T, np.array([1.0, 2.0, 3.0]))])
def test_explorer_numbers_nodes_as_graph_nodes_after_a_step(B, x):
    # docs/API.md: data-node="i" is the i-th node of graph_nodes(node). replay() took its
    # nodes from topological_order, which sorts a set by _id; after step() (or
    # load_state_dict()) every parameter has the same _id, so the tie order was set order.
    root = _trained_graph(B, x)
    shown = explorer.graph_nodes(root)
    replayed = explorer.replay(root)[0]
    assert [id(n) for n in replayed] == [id(n) for n in shown]
    # backward's walk: the same nodes, parents before children (the parameters one step
    # wrote share a stamp: leaves, in any order among themselves, graph.py says)
    order = topological_order(root)
    assert sorted(map(id, order)) == sorted(map(id, shown))
    position = {id(n): i for i, n in enumerate(order)}
    assert all(position[id(p)] < position[id(n)] for n in order for p in n._prev)


def test_explorer_page_data_matches_graph_nodes_after_load_state_dict(tmp_path):
    model = S.MLP(3, [4, 1], seed=0)
    model.load_state_dict(model.state_dict())
    root = model([1.0, 2.0, 3.0])
    text = explorer.explore(root, tmp_path / "g.html").read_text()
    payload = re.search(r'<script type="application/json">(.*?)</script>', text, re.S).group(1)
    data = json.loads(payload)
    assert data["data"] == [n.data for n in explorer.graph_nodes(root)]


# -- regression: a layer's fast path for arrays is not its plain form -------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_model_takes_an_array_of_non_native_byte_order(dtype):
    # nn._as_input takes `x.dtype.type is dtype` as "already the model's dtype", so a
    # big-endian array is copied as it is and linear refuses it (TypeError: one dtype); the
    # plain form it names, Tensor(x, dtype=dtype), converts it (and did before issue 16).
    model = T.MLP(3, [2], seed=0, dtype=dtype)
    x = np.arange(6.0).reshape(2, 3)
    swapped = x.astype(np.dtype(dtype).newbyteorder(">" if np.little_endian else "<"))
    np.testing.assert_array_equal(model(swapped).data, model(x.astype(dtype)).data)


# -- float32 ----------------------------------------------------------------------------------


def test_detach_keeps_float32():
    # PyTorch: x.detach().dtype is x.dtype. Here detach() is Tensor(self.data): float64.
    x = T.Tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    assert x.detach().dtype == np.float32
    assert (x * 2).detach().dtype == np.float32


def test_float32_overflow_to_inf_prints_no_warning():
    # PyTorch: float32 * 1e300 is inf (gradient inf), torch.tensor(1e300, float32) is inf,
    # silently. Here lift/as_array/seed_gradient cast outside quiet(): "overflow in cast".
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = T.Tensor([1.0], dtype=np.float32, requires_grad=True)
        y = x * 1e300
        y.backward(np.array([1.0]))
        assert np.isinf(y.data).all() and np.isinf(x.grad).all()
        assert np.isinf(T.Tensor(1e300, dtype=np.float32).data)
        z = x * 1.0
        z.backward(np.array([1e300]))
        assert np.isinf(x.grad).all()


# -- special values under the caller's own NumPy error state ----------------------------------


def test_sigmoid_prints_no_warning_whatever_the_callers_error_state():
    # fp_errors.py: engine code computes inside quiet(), the caller's settings untouched.
    # sigmoid is the one op left outside it (tensor/ieee.py): exp(-1000) underflows, and
    # under np.errstate(under="warn") the engine prints NumPy's warning ("raise": an error).
    x = T.Tensor([-1000.0, 1000.0], requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")
        y = x.sigmoid()
        y.backward(np.ones(2))
    np.testing.assert_array_equal(y.data, [0.0, 1.0])
