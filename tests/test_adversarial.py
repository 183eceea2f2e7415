"""Inputs an adversarial tester tried after issues 8-11, each a defect found and fixed: one
minimal test each, so none comes back (save through links and devices, quiet tensor
reductions, max at nan, mean of nothing, stale graphs in the explorer and at zero
gradients, gradient arrays each node owns)."""

import os
import stat
import warnings

import numpy as np
import pytest

import minigrad
from minigrad.tools import io
from minigrad.tools.explorer import replay

S = minigrad.backend("scalar")
T = minigrad.backend("tensor")
inf, nan = float("inf"), float("nan")


def _leaf(x):
    return T.Tensor(x, requires_grad=True)


# -- special values: tensor-only ops print NumPy warnings (the contract: none) ---------------
@pytest.mark.parametrize(
    "name, func, args",
    [
        ("matmul inf*0", lambda a, b: a @ b, ([[inf, 1.0]], [[0.0], [1.0]])),
        ("sum inf-inf", lambda a: a.sum(), ([inf, -inf],)),
        ("mean overflow", lambda a: a.mean(), ([1e308, 1e308],)),
        ("cross_entropy inf", lambda z: T.cross_entropy_loss(z, [0]), ([[inf, 0.0]],)),
        ("cross_entropy 1e308", lambda z: T.cross_entropy_loss(z, [0]), ([[1e308, -1e308]],)),
    ],
)
def test_tensor_ops_print_no_numpy_warning(name, func, args):
    leaves = [_leaf(a) for a in args]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = func(*leaves)
        out.backward(np.ones_like(out.data))


def test_tensor_max_of_nan_gives_the_gradient_to_the_nan_as_pytorch():
    # torch.tensor([1., nan, 2.]).max() backward: grad [0, 1, 0]; minigrad gave [nan]*3
    a = _leaf([1.0, nan, 2.0])
    a.max().backward()
    np.testing.assert_array_equal(a.grad, [0.0, 1.0, 0.0])


def test_tensor_mean_of_empty_is_nan_not_zero_division():
    a = _leaf(np.zeros(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = a.mean()
        out.backward()
    assert np.isnan(out.data)  # PyTorch: nan
    b = _leaf(np.zeros((0, 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(b.mean(axis=0).data).all()


# -- .grad aliasing in the tensor engine -------------------------------------------------------
def test_two_leaves_never_share_a_grad_array():
    w1, w2 = _leaf([1.0, 2.0]), _leaf([3.0, 4.0])
    (w1 + w2).sum().backward()
    for p in (w1, w2):  # gradient clipping in place, as PyTorch users write it
        p.grad *= 0.5
    np.testing.assert_array_equal(w1.grad, [0.5, 0.5])
    np.testing.assert_array_equal(w2.grad, [0.5, 0.5])  # was [0.25, 0.25]


def test_a_leaf_grad_is_a_writable_array():
    a = _leaf([1.0, 2.0, 3.0])
    a.mean().backward()  # the sum rule hands back a read-only broadcast view
    a.grad *= 3.0
    np.testing.assert_allclose(a.grad, [1.0, 1.0, 1.0])


# -- stale graphs ------------------------------------------------------------------------------
def test_scalar_stale_graph_raises_even_where_the_gradient_is_zero():
    # the tensor engine raises here; the scalar engine only noticed a stale edge that carries
    # a non-zero gradient (it detects staleness by a TypeError on the consumed accumulator)
    w, x = S.Value(-1.0), S.Value(2.0)
    loss = (w * x).relu() + x
    loss.backward()
    S.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="changed after this graph was built"):
        loss.backward()


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_explorer_refuses_a_stale_graph_as_backward_does(engine):
    B = minigrad.backend(engine)
    model = B.MLP(2, [2], seed=0)
    loss = B.cross_entropy_loss(model([1.0, 2.0]), 0)
    loss.backward()
    B.SGD(model.parameters(), lr=0.5).step()
    # the tensor rules close over the weight arrays the optimizer wrote in place, so a replay
    # mixed old activations with new weights
    with pytest.raises(RuntimeError, match="changed after this graph was built"):
        replay(loss)


# -- model files -------------------------------------------------------------------------------
def test_save_writes_through_a_symlink(tmp_path):
    real = tmp_path / "models" / "real.npz"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    io.save(S.MLP(2, [2], seed=0), link)
    assert link.is_symlink()  # was replaced by a regular file; the target kept "old"
    assert io.load(real).state_dict().keys() == S.MLP(2, [2], seed=0).state_dict().keys()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo (POSIX)")
def test_save_writes_into_a_special_file_instead_of_replacing_it(tmp_path):
    # as root, `minigrad train --save /dev/null` replaced the system's /dev/null with a
    # regular file (os.replace over a device); a FIFO shows the same without privileges
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so opening for writing won't block
    try:
        io.save(S.MLP(2, [2], seed=0), fifo)  # a few KB: fits in the pipe's buffer
        assert stat.S_ISFIFO(os.stat(fifo).st_mode)
        assert os.read(reader, 1 << 16)[:2] == b"PK"  # the .npz arrived through the pipe
    finally:
        os.close(reader)
