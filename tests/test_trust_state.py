"""Issue 17, the state a node and an optimizer keep: silent wrong results found by an outside
attack, each a test that failed before its fix.

- two threads calling ``backward()`` on losses that share parameters (item 2);
- ``@no_grad()`` on a generator or an ``async def`` function (item 3);
- a pickled or deep-copied model trained in a fresh interpreter; ``pickle`` and
  ``copy.deepcopy`` of a deep graph (item 6);
- ``p.grad = None`` in the scalar engine (item 10);
- a parameter without a gradient still moving under momentum, Adam or weight decay (item 12).
"""

import asyncio
import copy
import math
import pickle
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import minigrad
from minigrad import no_grad
from tests.conftest import leaf

X = np.random.default_rng(0).random((8, 4))
Y = np.array([0, 1, 2, 0, 1, 2, 0, 1])


def _sum(B, node):
    """A one-number node from ``node`` (a tensor is summed; a Value is one already)."""
    return node if B.NODE_PER_NUMBER else node.sum()


def _value(node):
    return float(np.asarray(node.data))


def _grad(node):
    return float(np.asarray(node.grad))


# -- item 2: concurrent backward on shared parameters -------------------------------------------
@pytest.fixture
def frequent_thread_switches():
    """Make the interpreter switch threads every microsecond, so two backward passes
    interleave inside their loops (at the default 5 ms they rarely do)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_two_threads_backward_on_one_model_add_both_gradients(B, frequent_thread_switches):
    # PyTorch: each .grad receives the sum of both passes. Before: the two walks shared each
    # node's _acc scratch slot and handed each other's gradients on (wrong in 2% to 10% of
    # the rounds here: 200 rounds failed 100 runs out of 100 in both engines; 0.2 s).
    model = B.MLP(4, [6, 3], seed=0)

    def loss_of(rows):
        return B.cross_entropy_loss(model(X[rows]), Y[rows])

    halves = (slice(0, 4), slice(4, 8))
    model.zero_grad()
    for rows in halves:
        loss_of(rows).backward()
    expected = model.grad_dict()
    for _ in range(200):
        model.zero_grad()
        losses = [loss_of(rows) for rows in halves]
        start, errors = threading.Barrier(2), []

        def run(loss, start=start, errors=errors):
            start.wait()
            try:
                loss.backward()
            except Exception as e:  # noqa: BLE001 -- reported below
                errors.append(e)

        threads = [threading.Thread(target=run, args=(loss,)) for loss in losses]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        got = model.grad_dict()
        for k in expected:
            np.testing.assert_allclose(got[k], expected[k], rtol=1e-12, atol=0, err_msg=k)


# -- item 3: no_grad on generators and coroutines ----------------------------------------------
def test_no_grad_decorates_a_generator_body(B):
    # the case: with the body run under grad mode, t carried a graph back to p and
    # p.grad was 16 (PyTorch, which wraps generator bodies: -8)
    p = leaf(B, 2.0)

    @no_grad()
    def targets():
        yield p * 3.0

    (t,) = targets()
    assert not t._prev
    diff = p - t
    _sum(B, diff * diff).backward()
    assert _grad(p) == -8.0


def test_a_decorated_generator_runs_each_resumption_under_no_grad_and_nothing_between():
    seen = []

    @no_grad()
    def gen():
        seen.append(minigrad.is_grad_enabled())
        sent = yield 1
        seen.append(minigrad.is_grad_enabled())
        try:
            yield sent * 10
        except KeyError:
            seen.append(minigrad.is_grad_enabled())
            yield "caught"
        return "done"

    g = gen()
    assert next(g) == 1
    assert minigrad.is_grad_enabled()  # between resumptions: the caller's mode
    assert g.send(4) == 40
    assert minigrad.is_grad_enabled()
    assert g.throw(KeyError("k")) == "caught"
    assert minigrad.is_grad_enabled()
    with pytest.raises(StopIteration) as stop:
        next(g)
    assert stop.value.value == "done"  # the return value passes through
    assert seen == [False, False, False]
    assert minigrad.is_grad_enabled()


def test_a_decorated_generator_closed_early_runs_its_cleanup_under_no_grad():
    seen = []

    @no_grad()
    def gen():
        try:
            yield 1
            yield 2
        finally:
            seen.append(minigrad.is_grad_enabled())

    g = gen()
    next(g)
    g.close()
    assert seen == [False]
    assert minigrad.is_grad_enabled()


def test_a_decorated_generator_may_hold_its_own_no_grad_block_across_a_yield():
    # the wrapper restores exactly the mode it found at each resumption, whatever the body's
    # own blocks do meanwhile
    @no_grad()
    def gen():
        with no_grad():
            yield 1
            yield 2

    g = gen()
    next(g)
    assert minigrad.is_grad_enabled()
    next(g)
    assert minigrad.is_grad_enabled()
    assert list(g) == []
    assert minigrad.is_grad_enabled()


def test_a_decorated_generator_keeps_its_name_and_is_still_a_generator_function():
    import inspect

    @no_grad()
    def batches():
        yield 1

    assert batches.__name__ == "batches"
    assert inspect.isgeneratorfunction(batches)


def test_no_grad_decorates_an_async_function(B):
    p = leaf(B, 2.0)

    @no_grad()
    async def target():
        await asyncio.sleep(0)
        assert not minigrad.is_grad_enabled()
        return p * 3.0

    t = asyncio.run(target())
    assert not t._prev
    assert minigrad.is_grad_enabled()


def test_a_decorated_async_function_leaves_other_tasks_in_grad_mode():
    @no_grad()
    async def holder(started, release):
        started.set()
        await release.wait()
        return minigrad.is_grad_enabled()

    async def other(started, release):
        await started.wait()
        enabled = minigrad.is_grad_enabled()
        release.set()
        return enabled

    async def main():
        started, release = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(holder(started, release), other(started, release))

    assert asyncio.run(main()) == [False, True]
    assert minigrad.is_grad_enabled()


def test_no_grad_decorates_an_async_generator():
    seen = []

    @no_grad()
    async def agen():
        seen.append(minigrad.is_grad_enabled())
        sent = yield 1
        seen.append(minigrad.is_grad_enabled())
        yield sent * 2

    async def main():
        g = agen()
        first = await g.asend(None)
        between = minigrad.is_grad_enabled()
        second = await g.asend(5)
        rest = [x async for x in g]
        return first, between, second, rest

    assert asyncio.run(main()) == (1, True, 10, [])
    assert seen == [False, False]
    assert minigrad.is_grad_enabled()


# -- item 6: pickling and copying ------------------------------------------------------------
_TRAIN_IN_A_FRESH_INTERPRETER = textwrap.dedent(
    """
    import copy, pickle, sys
    import numpy as np
    import minigrad

    model = pickle.load(open(sys.argv[1], "rb"))
    B = minigrad.backend(model.engine)
    X = np.random.default_rng(0).random((8, 4))
    Y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    for m in (model, copy.deepcopy(model)):
        opt = B.SGD(m.parameters(), lr=0.5)
        losses = []
        for _ in range(5):
            loss = B.cross_entropy_loss(m(X), Y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[-1] < losses[0], losses
        print(" ".join(repr(x) for x in losses))
    """
)


def test_a_pickled_model_trains_in_a_fresh_interpreter(B, tmp_path):
    # multiprocessing's spawn, a pickle loaded tomorrow: creation stamps travelled in the
    # pickle while the new process's counter restarted, and the first backward raised the
    # stale-graph error
    model = B.MLP(4, [6, 3], seed=0)
    for _ in range(3):  # stamps far beyond what a fresh interpreter reaches in 5 steps
        B.cross_entropy_loss(model(X), Y).backward()
    model.zero_grad()
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    run = subprocess.run(
        [sys.executable, "-c", _TRAIN_IN_A_FRESH_INTERPRETER, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    trained, copied = (list(map(float, line.split())) for line in run.stdout.splitlines())
    assert trained == copied  # the deep copy trains as the model it copies
    # and as the model itself here
    opt = B.SGD(model.parameters(), lr=0.5)
    here = []
    for _ in range(5):
        loss = B.cross_entropy_loss(model(X), Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        here.append(loss.item())
    assert here == trained


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_copied_model_gets_fresh_stamps_and_trains_alone(B, how):
    model = B.MLP(4, [6, 3], seed=0)
    before = model(X)  # a graph built from the original's parameters
    twin = pickle.loads(pickle.dumps(model)) if how == "pickle" else copy.deepcopy(model)
    newest = max(p._id for p in model.parameters())
    assert all(p._id > newest for p in twin.parameters())
    assert all(a is not b for a, b in zip(model.parameters(), twin.parameters()))
    opt = B.SGD(twin.parameters(), lr=0.5)
    for _ in range(3):
        loss = B.cross_entropy_loss(twin(X), Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert not np.array_equal(twin.state_dict()["layers.0.weight"],
                              model.state_dict()["layers.0.weight"])  # fmt: skip
    B.cross_entropy_loss(before, Y).backward()  # the original's graph is untouched


def test_pickling_keeps_a_leafs_gradient_label_and_no_gradient(B):
    p, q = leaf(B, 2.0), leaf(B, 5.0)
    p.label = "p"
    _sum(B, p * 3.0).backward()
    p2, q2 = pickle.loads(pickle.dumps([p, q]))
    assert p2._has_grad and not q2._has_grad
    assert (_value(p2), _grad(p2), p2.label) == (2.0, 3.0, "p")
    assert (_value(q2), _grad(q2)) == (5.0, 0.0)
    assert not hasattr(p2, "_acc")  # backward's scratch stays behind
    d2 = copy.deepcopy(p)
    assert (_value(d2), _grad(d2), d2.label) == (2.0, 3.0, "p")


def test_deepcopy_of_a_deep_graph_raises_as_pytorch_does(B):
    # was RecursionError; PyTorch: "Only Tensors created explicitly by the user (graph
    # leaves) support the deepcopy protocol"
    x = leaf(B, 1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(y)
    assert copy.deepcopy([x])[0] is not x  # a leaf copies


def test_pickling_a_node_computed_from_others_keeps_its_data_only(B):
    # was RecursionError (scalar) or a PicklingError on a lambda (tensor); PyTorch pickles
    # such a tensor as a leaf with its data
    x = leaf(B, 1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y2 = pickle.loads(pickle.dumps(y))
    assert _value(y2) == _value(y)
    assert y2._prev == () and y2._op == "" and not y2._has_grad
    assert y2.requires_grad
    y2.backward()  # a leaf: the gradient of itself
    assert _grad(y2) == 1.0
    assert _value(copy.copy(y)) == _value(y) and copy.copy(y)._prev == ()


# -- item 10: p.grad = None in the scalar engine ------------------------------------------------
def test_a_grad_set_to_none_is_no_gradient(B):
    # PyTorch's habit: the next backward raised an internal TypeError in the scalar engine
    p = leaf(B, 2.0)
    _sum(B, p * 3.0).backward()
    p.grad = None
    assert not p._has_grad
    _sum(B, p * 3.0).backward()
    assert _grad(p) == 3.0


def test_step_after_every_grad_set_to_none_moves_nothing(B):
    # opt.step() wrote nan into every weight of the scalar engine
    model = B.MLP(4, [6, 3], seed=0)
    B.cross_entropy_loss(model(X), Y).backward()
    before = model.state_dict()
    for p in model.parameters():
        p.grad = None
    for opt in (B.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1),
                B.Adam(model.parameters(), lr=0.1, weight_decay=0.1)):  # fmt: skip
        opt.step()
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)
    for v in model.grad_dict().values():
        assert not v.any()  # no gradient reads as zeros, in both engines


def test_a_scalar_grad_accepts_numbers_only():
    p = minigrad.scalar.Value(1.0)
    p.grad = np.float64(2.5)
    assert p.grad == 2.5 and type(p.grad) is float
    with pytest.raises(TypeError, match="real number"):
        p.grad = "1.0"


# -- item 12: a parameter without a gradient does not move ------------------------------------
OPTIMIZERS = {
    "momentum": lambda B, ps: B.SGD(ps, lr=0.1, momentum=0.9),
    "weight_decay": lambda B, ps: B.SGD(ps, lr=0.1, weight_decay=0.1),
    "adam": lambda B, ps: B.Adam(ps, lr=0.1, weight_decay=0.1),
}


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS)
def test_zero_grad_then_step_moves_nothing(B, make):
    # the case (momentum): 0.81 where PyTorch leaves 0.9
    p = leaf(B, 1.0)
    opt = make(B, [p])
    _sum(B, p * 1.0).backward()
    opt.step()
    moved = _value(p)
    assert moved != 1.0
    opt.zero_grad()
    opt.step()
    assert _value(p) == moved


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS)
def test_a_parameter_the_loss_does_not_reach_does_not_move(B, make):
    p, q = leaf(B, 1.0), leaf(B, 1.0)
    opt = make(B, [p, q])
    for _ in range(3):
        opt.zero_grad()
        _sum(B, p * 2.0).backward()
        opt.step()
    assert _value(p) != 1.0
    assert _value(q) == 1.0
    # and a fresh parameter (no zero_grad, no backward yet) does not move either
    r = leaf(B, 1.0)
    make(B, [r]).step()
    assert _value(r) == 1.0


def _torch_trajectory(torch_opt, grads_per_step, start):
    """PyTorch's weights after each step, one 0-d parameter per entry of ``start``;
    ``grads_per_step[k][i]`` is parameter i's gradient at step k, None for none."""
    torch = pytest.importorskip("torch")
    params = [torch.tensor(float(s), dtype=torch.float64, requires_grad=True) for s in start]
    opt = torch_opt(torch, params)
    out = []
    for grads in grads_per_step:
        for p, g in zip(params, grads):
            p.grad = None if g is None else torch.tensor(float(g), dtype=torch.float64)
        opt.step()
        out.append([p.item() for p in params])
    return out


TORCH_OPTIMIZERS = {
    "momentum": (
        lambda B, ps: B.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda torch, ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    ),
    "adam": (
        lambda B, ps: B.Adam(ps, lr=0.1, weight_decay=0.01),
        lambda torch, ps: torch.optim.Adam(ps, lr=0.1, weight_decay=0.01),
    ),
}


@pytest.mark.parametrize("ours, theirs", TORCH_OPTIMIZERS.values(), ids=TORCH_OPTIMIZERS)
def test_parameters_that_get_gradients_at_different_steps_follow_pytorch(B, ours, theirs):
    # PyTorch keeps momentum and Adam's step count per parameter: one that waits keeps its
    # own, and Adam's bias correction starts over for a parameter's first gradient
    start = [1.0, -2.0, 0.5]
    grads = [[0.3, None, -1.0], [None, None, 0.2], [0.5, 2.0, None], [-0.1, 0.7, 0.4]]
    expected = _torch_trajectory(theirs, grads, start)
    params = [leaf(B, s) for s in start]
    opt = ours(B, params)
    for k, step_grads in enumerate(grads):
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else (g if B.NODE_PER_NUMBER else np.array(g))
        opt.step()
        assert [_value(p) for p in params] == pytest.approx(expected[k], rel=1e-15, abs=0)


def test_a_scalar_layer_output_the_loss_does_not_use_leaves_its_weights_alone():
    # in the scalar engine each Value is a parameter, as each tensor is in the tensor engine:
    # the weights of a neuron whose output the loss ignores have no gradient
    from minigrad import scalar as S

    layer = S.Layer(3, 2, seed=0)
    opt = S.Adam(layer.parameters(), lr=0.1, weight_decay=0.1)
    before = layer.state_dict()
    for _ in range(3):
        out = layer([1.0, 2.0, 3.0])
        opt.zero_grad()
        (out[0] * out[0]).backward()
        opt.step()
    after = layer.state_dict()
    assert (after["weight"][0] != before["weight"][0]).all()
    np.testing.assert_array_equal(after["weight"][1], before["weight"][1])
    assert after["bias"][0] != before["bias"][0] and after["bias"][1] == before["bias"][1]


def test_scalar_and_tensor_engines_still_train_alike_when_every_parameter_has_a_gradient():
    # the skip changes nothing when nothing is skipped: both engines, SGD with momentum and
    # weight decay, then Adam, over the same data
    from minigrad import scalar as S
    from minigrad import tensor as T

    states = []
    for E in (S, T):
        model = E.MLP(4, [5, 3], act="tanh", seed=1)
        for opt in (E.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-2),
                    E.Adam(model.parameters(), lr=0.01, weight_decay=1e-2)):  # fmt: skip
            for _ in range(3):
                loss = E.cross_entropy_loss(model(X), Y)
                opt.zero_grad()
                loss.backward()
                opt.step()
        states.append(model.state_dict())
    for k in states[0]:
        np.testing.assert_allclose(states[0][k], states[1][k], rtol=1e-12, atol=1e-14)


def test_has_grad_follows_backward_zero_grad_and_assignment(B):
    p = leaf(B, 1.0)
    assert not p._has_grad and _grad(p) == 0.0  # zero before any backward (the contract)
    _sum(B, p * 0.0).backward()
    assert p._has_grad  # a gradient of zero is a gradient
    p._zero_grad()
    assert not p._has_grad and _grad(p) == 0.0
    p.grad = 0.0 if B.NODE_PER_NUMBER else np.array(0.0)
    assert p._has_grad
    assert math.isfinite(_grad(p))


def test_grad_dict_gives_no_parameter_a_gradient(B):
    # a tensor's .grad read before it has one gives it zeros (kept, so that an in-place
    # write reaches step()); grad_dict() must not: a model's state read for a log or a test
    # would make momentum and weight decay move a parameter the loss never reached
    model = B.MLP(4, [3], seed=0)
    model.grad_dict()
    assert not any(p._has_grad for p in model.parameters())


# -- an activation set after construction (found in issue 17's review) ------------------------


@pytest.mark.parametrize("kind", ["Layer", "Neuron"])
def test_setting_act_after_construction_changes_what_forward_applies(B, kind):
    """``layer.act = "tanh"`` used to change the name (and what ``save`` wrote) while
    ``forward`` went on applying the activation chosen at construction."""
    unit = B.Layer(4, 3, act="relu", seed=0) if kind == "Layer" else B.Neuron(4, act="relu", seed=0)
    x = X[:2] * 4 - 2
    before = np.asarray(B.to_numpy(unit(x)), dtype=float)
    unit.act = "tanh"
    plain = B.Layer(4, 3, act="linear", seed=0) if kind == "Layer" else B.Neuron(4, seed=0)
    want = np.tanh(np.asarray(B.to_numpy(plain(x)), dtype=float))
    got = np.asarray(B.to_numpy(unit(x)), dtype=float)
    assert unit.act == "tanh" and not np.allclose(got, before)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_setting_an_unknown_act_is_refused_and_changes_nothing(B):
    layer = B.Layer(4, 3, act="relu", seed=0)
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        layer.act = "gelu"
    assert layer.act == "relu"
