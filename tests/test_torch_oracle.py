"""PyTorch (float64) as the oracle: ops, MLPs, losses and optimizer trajectories.

Needs the ``oracle`` extra (torch); skipped cleanly without it. CI installs it.
"""

import numpy as np
import pytest

import minigrad
from tests.conftest import grad_of, leaf
from tests.ops import OPS

torch = pytest.importorskip("torch")
F = torch.nn.functional

RTOL, ATOL = 1e-10, 1e-12


def engine_op(B, fn, arrays):
    """Values and input gradients of ``sum(fn(*inputs))`` in engine ``B``, element by
    element for the scalar engine."""
    if B.__name__ == "minigrad.scalar":
        from tests.test_equivalence import scalar_elementwise

        out_shape = np.broadcast_shapes(*[a.shape for a in arrays])
        return scalar_elementwise(fn, arrays, np.ones(out_shape))
    leaves = [leaf(B, a) for a in arrays]
    out = fn(*leaves)
    out.sum().backward()
    return out.data, [grad_of(B, l) for l in leaves]


def torch_op(fn, arrays):
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    out.sum().backward()
    return out.detach().numpy(), [l.grad.numpy() for l in leaves]


@pytest.mark.parametrize(
    "engine, op",
    [
        pytest.param(engine, op, id=f"{engine}-{op.name}")
        for engine in minigrad.BACKENDS
        for op in OPS
        if engine in op.engines and op.torch_fn is not None
    ],
)
def test_ops_agree_with_torch(engine, op):
    """Every op of the table (tests/ops.py), in each engine that has it, on each of its
    input shapes."""
    B = minigrad.backend(engine)
    lo, hi = op.domain
    rng = np.random.default_rng(7)
    for shapes in op.shapes:
        arrays = [rng.uniform(lo, hi, size=s) for s in shapes]
        values, grads = engine_op(B, op.fn, arrays)
        t_values, t_grads = torch_op(op.torch_fn, arrays)
        np.testing.assert_allclose(values, t_values, rtol=RTOL, atol=ATOL, err_msg=shapes)
        for g, tg in zip(grads, t_grads):
            np.testing.assert_allclose(g, tg, rtol=RTOL, atol=ATOL, err_msg=shapes)


def torch_mlp(model, act):
    sd = model.state_dict()
    n = len(sd) // 2
    layers = []
    for i in range(n):
        w = sd[f"layers.{i}.weight"]
        lin = torch.nn.Linear(w.shape[1], w.shape[0]).double()
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(sd[f"layers.{i}.bias"]))
        layers.append(lin)
        if i < n - 1 and act != "linear":
            layers.append(
                {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}[act]()
            )
    return torch.nn.Sequential(*layers)


def torch_grad_dict(net):
    out = {}
    for i, lin in enumerate(m for m in net if isinstance(m, torch.nn.Linear)):
        out[f"layers.{i}.weight"] = lin.weight.grad.numpy()
        out[f"layers.{i}.bias"] = lin.bias.grad.numpy()
    return out


@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_mlp_loss_and_gradients_agree_with_torch(B, act, loss):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 5))
    model = B.MLP(5, [7, 4], act=act, seed=1)
    net = torch_mlp(model, act)
    if loss == "cross_entropy":
        t = rng.integers(0, 4, size=6)
        ours = B.cross_entropy_loss(model(x), t)
        theirs = F.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(t))
    else:
        t = rng.normal(size=(6, 4))
        ours = B.mse_loss(model(x), t)
        theirs = F.mse_loss(net(torch.from_numpy(x)), torch.from_numpy(t))
    ours.backward()
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=RTOL)
    tg = torch_grad_dict(net)
    for k, g in model.grad_dict().items():
        np.testing.assert_allclose(g, tg[k], rtol=RTOL, atol=ATOL, err_msg=k)


def test_cross_entropy_of_huge_logits_agrees_with_torch(B):
    z = np.array([[1e4, -1e4, 3.0], [-5e3, 2e4, 2e4]])
    nodes = (
        leaf(B, z)
        if B.__name__ == "minigrad.tensor"
        else [[B.Value(v) for v in row] for row in z.tolist()]
    )
    ours = B.cross_entropy_loss(nodes, [1, 2])
    ours.backward()
    tz = torch.tensor(z, requires_grad=True)
    theirs = F.cross_entropy(tz, torch.tensor([1, 2]))
    theirs.backward()
    assert ours.item() == pytest.approx(theirs.item(), rel=RTOL)
    np.testing.assert_allclose(grad_of(B, nodes), tz.grad.numpy(), rtol=RTOL, atol=ATOL)


OPTIMIZERS = {
    "sgd": (
        lambda B, p: B.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-3),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-3),
    ),
    "adam": (
        lambda B, p: B.Adam(p, lr=3e-3, betas=(0.8, 0.99), weight_decay=1e-3),
        lambda p: torch.optim.Adam(p, lr=3e-3, betas=(0.8, 0.99), weight_decay=1e-3),
    ),
}


@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_training_trajectory_agrees_with_torch(B, opt, digits):
    X, Xt, y, _ = digits
    make_ours, make_theirs = OPTIMIZERS[opt]
    model = B.MLP(64, [16, 10], act="relu", seed=0)
    net = torch_mlp(model, "relu")
    ours, theirs = make_ours(B, model.parameters()), make_theirs(net.parameters())
    for i in range(100):
        idx = np.arange(i * 4, i * 4 + 4)
        loss = B.cross_entropy_loss(model(X[idx]), y[idx])
        ours.zero_grad()
        loss.backward()
        ours.step()
        tloss = F.cross_entropy(net(torch.from_numpy(X[idx])), torch.from_numpy(y[idx]))
        theirs.zero_grad()
        tloss.backward()
        theirs.step()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-9)
    net_sd = {
        f"layers.{i}.{n}": p.detach().numpy()
        for i, lin in enumerate(m for m in net if isinstance(m, torch.nn.Linear))
        for n, p in (("weight", lin.weight), ("bias", lin.bias))
    }
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(v, net_sd[k], rtol=1e-9, atol=1e-12, err_msg=k)
