"""The centre of minigrad: the scalar and tensor engines compute the same thing.

Op level (every op, broadcast shapes included), model level (random MLPs, every
activation, both losses), training trajectories over 100+ steps, and weight transfer.
"""

import numpy as np
import pytest

from minigrad import scalar, tensor
from minigrad.tools.training import predict, train_step
from tests.ops import ops

RTOL, ATOL = 1e-10, 1e-12


def scalar_elementwise(fn, arrays, upstream):
    """Apply ``fn`` element by element on Values (broadcast like NumPy); backprop the
    weighted sum with weights ``upstream``. Returns (outputs, grads of each input)."""
    leaves = [np.vectorize(scalar.Value, otypes=[object])(a) for a in arrays]
    views = np.broadcast_arrays(*[np.asarray(l, dtype=object) for l in leaves])
    outs = np.empty(views[0].shape, dtype=object)
    for idx in np.ndindex(outs.shape):
        outs[idx] = fn(*[v[idx] for v in views])
    total = scalar.Value.sum_of([o * w for o, w in zip(outs.ravel(), upstream.ravel())])
    total.backward()
    values = np.vectorize(lambda v: v.data, otypes=[float])(outs)
    grads = [np.vectorize(lambda v: v.grad, otypes=[float])(l) for l in leaves]
    return values, grads


def tensor_vectorised(fn, arrays, upstream):
    leaves = [tensor.Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    (out * upstream).sum().backward()
    return out.data, [l.grad for l in leaves]


def check_op(fn, arrays, upstream):
    sv, sg = scalar_elementwise(fn, arrays, upstream)
    tv, tg = tensor_vectorised(fn, arrays, upstream)
    np.testing.assert_allclose(sv, tv, rtol=RTOL, atol=ATOL)
    for s, t in zip(sg, tg):
        assert np.shape(s) == np.shape(t)
        np.testing.assert_allclose(s, t, rtol=RTOL, atol=ATOL)


CASES = [
    pytest.param(op, shapes, id=f"{op.name}-{shapes}")
    for op in ops("both", elementwise=True)
    for shapes in op.shapes
]


@pytest.mark.parametrize("op, shapes", CASES)
def test_elementwise_ops_agree(op, shapes):
    """Every elementwise op of the table (tests/ops.py), broadcast shapes included."""
    lo, hi = op.domain
    rng = np.random.default_rng(sum(map(ord, op.name)) + len(shapes[0]))
    arrays = [rng.uniform(lo, hi, size=s) for s in shapes]
    check_op(op.fn, arrays, rng.normal(size=np.broadcast_shapes(*shapes)))


def test_matmul_and_reductions_agree_with_scalar_sums():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    up = rng.normal(size=(3, 2))
    va = np.vectorize(scalar.Value, otypes=[object])(a)
    vb = np.vectorize(scalar.Value, otypes=[object])(b)
    prod = [
        [scalar.Value.sum_of([va[i, k] * vb[k, j] for k in range(4)]) for j in range(2)]
        for i in range(3)
    ]
    scalar.Value.sum_of([prod[i][j] * up[i, j] for i in range(3) for j in range(2)]).backward()
    ta, tb = tensor.Tensor(a, requires_grad=True), tensor.Tensor(b, requires_grad=True)
    out = ta @ tb
    (out * up).sum().backward()
    np.testing.assert_allclose([[v.data for v in r] for r in prod], out.data, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose([[v.grad for v in r] for r in va], ta.grad, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose([[v.grad for v in r] for r in vb], tb.grad, rtol=RTOL, atol=ATOL)


MODEL_CASES = [
    # nin, nouts, act, loss, batch
    (3, [1], "linear", "mse", 1),
    (5, [1, 4], "relu", "cross_entropy", 1),
    (4, [6, 3], "tanh", "cross_entropy", 7),
    (6, [5, 1, 2], "sigmoid", "mse", 4),
    (2, [8, 8, 3], "relu", "mse", 16),
    (64, [32, 16, 10], "relu", "cross_entropy", 8),
    (3, [4, 1], "tanh", "cross_entropy", 5),  # one class: loss 0, gradients 0
]


def loss_and_grads(B, case, x, targets, seed):
    nin, nouts, act, loss, _ = case
    model = B.MLP(nin, nouts, act=act, seed=seed)
    out = model(x)
    fn = B.cross_entropy_loss if loss == "cross_entropy" else B.mse_loss
    value = fn(out, targets)
    value.backward()
    return value.item(), model.grad_dict()


@pytest.mark.parametrize("case", MODEL_CASES, ids=str)
def test_random_mlps_agree_in_loss_and_every_gradient(case):
    nin, nouts, act, loss, batch = case
    rng = np.random.default_rng(nin * 100 + batch)
    x = rng.normal(size=(batch, nin))
    if loss == "cross_entropy":
        targets = rng.integers(0, nouts[-1], size=batch)
    else:
        targets = rng.normal(size=(batch, nouts[-1]))
    s_loss, s_grads = loss_and_grads(scalar, case, x, targets, seed=batch)
    t_loss, t_grads = loss_and_grads(tensor, case, x, targets, seed=batch)
    assert s_loss == pytest.approx(t_loss, rel=RTOL, abs=ATOL)
    assert s_grads.keys() == t_grads.keys()
    for k in s_grads:
        np.testing.assert_allclose(s_grads[k], t_grads[k], rtol=RTOL, atol=ATOL, err_msg=k)


def test_one_sample_mlps_agree():
    x = np.random.default_rng(1).normal(size=5)
    outs = []
    for B in (scalar, tensor):
        model = B.MLP(5, [3, 4], act="tanh", seed=2)
        out = model(x)
        B.cross_entropy_loss(out, 3).backward()
        outs.append((B.to_numpy(out), model.grad_dict()))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=RTOL, atol=ATOL)
    for k in outs[0][1]:
        np.testing.assert_allclose(outs[0][1][k], outs[1][1][k], rtol=RTOL, atol=ATOL)


def train_trajectory(B, make_opt, X, y, steps, batch_size):
    model = B.MLP(64, [16, 10], act="relu", seed=0)
    opt = make_opt(B, model.parameters())
    losses = []
    for i in range(steps):
        idx = np.arange(i * batch_size, (i + 1) * batch_size) % len(X)
        losses.append(train_step(model, opt, B.cross_entropy_loss, X[idx], y[idx])[0])
    return model, np.array(losses)


OPTIMIZERS = {
    "sgd_momentum_wd": lambda B, p: B.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "adam_wd": lambda B, p: B.Adam(p, lr=3e-3, weight_decay=1e-3),
}


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_training_trajectories_agree(opt, digits):
    X, Xt, y, yt = digits
    steps, batch = 120, 4
    ms, ls = train_trajectory(scalar, OPTIMIZERS[opt], X, y, steps, batch)
    mt, lt = train_trajectory(tensor, OPTIMIZERS[opt], X, y, steps, batch)
    np.testing.assert_allclose(ls, lt, rtol=1e-9)
    assert lt[-20:].mean() < lt[:20].mean()  # it learned something
    sd_s, sd_t = ms.state_dict(), mt.state_dict()
    for k in sd_s:
        np.testing.assert_allclose(sd_s[k], sd_t[k], rtol=1e-9, atol=1e-12, err_msg=k)
    pred_s = predict(ms, Xt)
    pred_t = predict(mt, Xt)
    np.testing.assert_array_equal(pred_s, pred_t)


@pytest.mark.parametrize("src, dst", [(scalar, tensor), (tensor, scalar)], ids=["s2t", "t2s"])
def test_state_dict_transfers_between_engines(src, dst, digits):
    X = digits[1][:6]
    a = src.MLP(64, [12, 10], act="tanh", seed=3)
    b = dst.MLP(64, [12, 10], act="tanh", seed=4)
    b.load_state_dict(a.state_dict())
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[k], v)
    np.testing.assert_allclose(src.to_numpy(a(X)), dst.to_numpy(b(X)), rtol=RTOL, atol=ATOL)
