"""Losses of both engines: values, gradients, stability, validation errors."""

import warnings

import numpy as np
import pytest

from tests.conftest import grad_of


def logits_nodes(B, array):
    """Leaf logits of engine B for an (N, C) or (C,) array."""
    if B.__name__ == "minigrad.scalar":
        if array.ndim == 1:
            return [B.Value(x) for x in array.tolist()]
        return [[B.Value(x) for x in row] for row in array.tolist()]
    return B.Tensor(array, requires_grad=True)


def np_cross_entropy(z, t):
    z = np.atleast_2d(z)
    m = z.max(axis=1, keepdims=True)
    logp = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    loss = -logp[np.arange(len(t)), t].mean()
    p = np.exp(logp)
    p[np.arange(len(t)), t] -= 1
    return loss, p / len(t)


@pytest.mark.parametrize("n", [1, 4])
def test_cross_entropy_value_and_gradient(B, n):
    z = np.random.default_rng(n).normal(size=(n, 5)) * 3
    t = np.arange(n) % 5
    nodes = logits_nodes(B, z)
    loss = B.cross_entropy_loss(nodes, t)
    loss.backward()
    want_loss, want_grad = np_cross_entropy(z, t)
    assert loss.item() == pytest.approx(want_loss, rel=1e-12)
    np.testing.assert_allclose(grad_of(B, nodes), want_grad, rtol=1e-10, atol=1e-14)


def test_cross_entropy_single_sample_int_or_list(B):
    z = np.array([0.2, 1.5, -0.3])
    a = B.cross_entropy_loss(logits_nodes(B, z), 1).item()
    b = B.cross_entropy_loss(logits_nodes(B, z), [1]).item()
    c = B.cross_entropy_loss(logits_nodes(B, z), np.array([1])).item()
    assert a == b == c == pytest.approx(np_cross_entropy(z, [1])[0], rel=1e-12)


@pytest.mark.parametrize("scale", [1e4, -1e4, 1e300])
def test_cross_entropy_is_stable_for_huge_logits(B, scale):
    z = np.array([[1.0, -2.0, 0.5], [3.0, 3.0, -1.0]]) * scale
    nodes = logits_nodes(B, z)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = B.cross_entropy_loss(nodes, [0, 2])
        loss.backward()
    g = grad_of(B, nodes)
    assert np.isfinite(loss.item()) and np.isfinite(g).all()
    want_loss, want_grad = np_cross_entropy(z, [0, 2])
    assert loss.item() == pytest.approx(want_loss, rel=1e-12)
    np.testing.assert_allclose(g, want_grad, atol=1e-15)


@pytest.mark.parametrize(
    "targets, match",
    [
        ([0, 3], "outside \\[0, 3\\)"),
        ([0, -1], "outside"),
        ([0.0, 1.0], "integer"),
        ([2.0, 1], "integer"),
        (np.array([0.0, 1.0]), "integer"),
        ([True, False], "integer"),
        ([0], "2 sample.*1 target"),
        ([0, 1, 2], "3 target"),
        ("ab", "integer"),
    ],
)
def test_cross_entropy_target_errors(B, targets, match):
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match=match):
        B.cross_entropy_loss(logits_nodes(B, z), targets)


def test_cross_entropy_single_sample_float_target_is_rejected(B):
    with pytest.raises(ValueError, match="integer"):
        B.cross_entropy_loss(logits_nodes(B, np.zeros(3)), 2.0)


def test_mse_value_and_gradient(B):
    p = np.array([[0.5, -1.0], [2.0, 0.0], [1.0, 1.0]])
    t = np.array([[0.0, 1.0], [2.0, 1.0], [0.0, 0.0]])
    nodes = logits_nodes(B, p)
    loss = B.mse_loss(nodes, t)
    loss.backward()
    assert loss.item() == pytest.approx(((p - t) ** 2).mean(), rel=1e-14)
    np.testing.assert_allclose(grad_of(B, nodes), 2 * (p - t) / p.size, rtol=1e-14)


def test_mse_shape_mismatch_names_both_shapes(B):
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        B.mse_loss(logits_nodes(B, np.zeros((2, 3))), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"\(3,\).*\(1, 3\)"):
        B.mse_loss(logits_nodes(B, np.zeros(3)), np.zeros((1, 3)))
