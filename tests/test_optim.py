"""SGD and Adam: PyTorch's update rules, checked against hand-computed updates."""

import math

import numpy as np
import pytest

import minigrad
from minigrad.common.optim import SGD, Adam


def one_param_model(B, w, b):
    model = B.Neuron(2, seed=0)
    model.load_state_dict({"weight": np.array([w]), "bias": np.array([b])})
    return model


def grads_of(model):
    return np.concatenate([g.ravel() for g in model.grad_dict().values()])


def weights_of(model):
    return np.concatenate([a.ravel() for a in model.state_dict().values()])


def step(model, opt, x, t):
    opt.zero_grad()
    B = minigrad.backend(model.engine)
    loss = B.mse_loss(model(np.array(x)), np.array(t))
    loss.backward()
    g = grads_of(model)
    opt.step()
    return g


def test_engines_reexport_the_shared_optimizers(B):
    assert B.SGD is SGD and B.Adam is Adam


def test_sgd_plain(B):
    model = one_param_model(B, [0.5, -0.5], 0.1)
    opt = B.SGD(model.parameters(), lr=0.1)
    w0 = weights_of(model)
    g = step(model, opt, [1.0, 2.0], 3.0)
    np.testing.assert_allclose(weights_of(model), w0 - 0.1 * g, rtol=1e-15)


def test_sgd_momentum_and_weight_decay(B):
    lr, mom, wd = 0.1, 0.9, 0.01
    model = one_param_model(B, [0.5, -0.5], 0.1)
    opt = B.SGD(model.parameters(), lr=lr, momentum=mom, weight_decay=wd)
    p = weights_of(model)
    buf = None
    for x, t in [([1.0, 2.0], 3.0), ([0.5, -1.0], 0.0), ([2.0, 0.0], 1.0)]:
        g = step(model, opt, x, t) + wd * p
        buf = g.copy() if buf is None else mom * buf + g  # first buffer = first gradient
        p = p - lr * buf
        np.testing.assert_allclose(weights_of(model), p, rtol=1e-14)


def test_adam_with_weight_decay(B):
    lr, (b1, b2), eps, wd = 0.01, (0.9, 0.999), 1e-8, 0.1
    model = one_param_model(B, [0.5, -0.5], 0.1)
    opt = B.Adam(model.parameters(), lr=lr, weight_decay=wd)
    p = weights_of(model)
    m = v = np.zeros(3)
    for t, (x, y) in enumerate([([1.0, 2.0], 3.0), ([0.5, -1.0], 0.0), ([2.0, 0.0], 1.0)], 1):
        g = step(model, opt, x, y) + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(weights_of(model), p, rtol=1e-13)


def test_adam_first_step_moves_each_weight_by_lr(B):
    model = one_param_model(B, [0.5, -0.5], 0.1)
    opt = B.Adam(model.parameters(), lr=0.01)
    w0 = weights_of(model)
    g = step(model, opt, [1.0, 2.0], 3.0)
    np.testing.assert_allclose(weights_of(model), w0 - 0.01 * np.sign(g), rtol=1e-6)


def test_optimizer_zero_grad(B):
    model = one_param_model(B, [0.5, -0.5], 0.1)
    opt = B.SGD(model.parameters())
    step(model, opt, [1.0, 2.0], 3.0)
    assert grads_of(model).any()
    opt.zero_grad()
    assert not grads_of(model).any()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: SGD(p, lr=0.0), "learning rate"),
        (lambda p: SGD(p, lr=-1.0), "learning rate"),
        (lambda p: SGD(p, lr=math.nan), "learning rate"),
        (lambda p: SGD(p, momentum=-0.1), "momentum"),
        (lambda p: SGD(p, weight_decay=-1e-3), "weight_decay"),
        (lambda p: Adam(p, lr=0), "learning rate"),
        (lambda p: Adam(p, betas=(1.0, 0.999)), "beta1"),
        (lambda p: Adam(p, betas=(0.9, -0.1)), "beta2"),
        (lambda p: Adam(p, weight_decay=-1.0), "weight_decay"),
        (lambda p: SGD([], lr=0.1), "empty parameter list"),
    ],
)
def test_bad_hyperparameters_raise_value_error(B, make, match):
    with pytest.raises(ValueError, match=match):
        make(B.Neuron(2, seed=0).parameters())


@pytest.mark.parametrize("betas", [0.9, (0.9,), (0.9, 0.99, 0.999), "ab", None])
def test_adam_betas_must_be_a_pair(B, betas):
    with pytest.raises(ValueError, match="beta"):  # "betas", or "beta1" for "ab"
        Adam(B.Neuron(2, seed=0).parameters(), betas=betas)


@pytest.mark.parametrize(
    "make, name, bad, match",
    [
        (lambda p: SGD(p, lr=0.1), "lr", math.nan, "invalid learning rate"),
        (lambda p: SGD(p, lr=0.1), "lr", 0.0, "invalid learning rate"),
        (lambda p: SGD(p, lr=0.1), "lr", "0.1", "invalid learning rate"),
        (lambda p: SGD(p, lr=0.1, momentum=0.9), "momentum", -0.5, "invalid momentum"),
        (lambda p: SGD(p, lr=0.1), "weight_decay", math.inf, "invalid weight_decay"),
        (lambda p: Adam(p), "lr", -1e-3, "invalid learning rate"),
        (lambda p: Adam(p), "betas", (1.0, 0.999), "invalid beta1"),
        (lambda p: Adam(p), "eps", math.nan, "invalid eps"),
    ],
)
def test_a_setting_changed_after_construction_is_checked_too(B, make, name, bad, match):
    # e.g. a learning-rate schedule writing opt.lr: nan would silently turn every weight nan
    model = B.Neuron(2, seed=0)
    opt = make(model.parameters())
    before = getattr(opt, name)
    with pytest.raises(ValueError, match=match):
        setattr(opt, name, bad)
    assert getattr(opt, name) == before


def test_a_learning_rate_schedule_changes_the_step(B):
    model = one_param_model(B, [1.0, 1.0], 0.0)
    opt = SGD(model.parameters(), lr=0.1)
    g1 = step(model, opt, [[1.0, 2.0]], [0.0])
    w1 = weights_of(model)
    opt.lr = 0.01
    assert opt.lr == 0.01
    g2 = step(model, opt, [[1.0, 2.0]], [0.0])
    np.testing.assert_allclose(weights_of(model), w1 - 0.01 * g2)
    assert not np.allclose(g1, 0)
