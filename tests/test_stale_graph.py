"""Stale graphs: backward on a graph built before its weights changed raises, as in PyTorch.

An optimizer's ``step()`` and ``load_state_dict()`` renew the stamp of every parameter they
write; a graph built before then holds a node older than its parent, and ``backward``
refuses it in both engines instead of mixing old and new weights.
"""

import numpy as np
import pytest

X = np.random.default_rng(0).random((4, 3))
Y = np.array([0, 1, 1, 0])


def _setup(B):
    model = B.MLP(3, [4, 2], act="tanh", seed=0)
    opt = B.SGD(model.parameters(), lr=0.1)
    return model, opt


def test_backward_after_step_raises(B):
    model, opt = _setup(B)
    loss = B.cross_entropy_loss(model(X), Y)
    loss.backward()
    opt.step()
    with pytest.raises(RuntimeError, match="changed after this graph was built"):
        loss.backward()


def test_backward_after_load_state_dict_raises(B):
    model, _ = _setup(B)
    loss = B.cross_entropy_loss(model(X), Y)
    model.load_state_dict(model.state_dict())
    with pytest.raises(RuntimeError, match="run the forward pass again"):
        loss.backward()


def test_graph_mixing_old_and_new_nodes_raises(B):
    # h was built from the old weights; loss also uses a fresh forward pass.
    model, opt = _setup(B)
    B.cross_entropy_loss(model(X), Y).backward()
    old = model(X)
    opt.step()
    new = model(X)
    loss = B.mse_loss(new, B.to_numpy(old)) + B.cross_entropy_loss(old, Y)
    with pytest.raises(RuntimeError, match="changed after this graph was built"):
        loss.backward()


def test_fresh_forward_after_step_trains(B):
    model, opt = _setup(B)
    losses = []
    for _ in range(5):
        loss = B.cross_entropy_loss(model(X), Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_two_backwards_without_a_step_still_add_up(B):
    model, _ = _setup(B)
    loss = B.cross_entropy_loss(model(X), Y)
    loss.backward()
    once = model.grad_dict()
    loss.backward()
    twice = model.grad_dict()
    for k in once:
        np.testing.assert_allclose(twice[k], 2 * once[k], rtol=1e-12)


def test_a_failed_load_leaves_graphs_usable(B):
    model, _ = _setup(B)
    loss = B.cross_entropy_loss(model(X), Y)
    with pytest.raises(ValueError):
        model.load_state_dict({"nope": 1})
    loss.backward()  # nothing was written, so nothing is stale
    assert np.abs(model.grad_dict()["layers.0.weight"]).sum() > 0
