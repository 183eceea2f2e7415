"""Code micrograd users already have, run on minigrad (issue 10).

- micrograd's two engine tests (``test/test_engine.py`` of karpathy/micrograd), the same
  expressions on ``minigrad.scalar.Value``: against hard-coded results (so they run without
  torch), against PyTorch float64 (skipped without torch) and against micrograd itself
  (skipped without it);
- micrograd's ``demo.ipynb`` (moons, ``MLP(2, [16, 16, 1])``, SVM max-margin loss, 100 steps
  of SGD), kept below as micrograd's text and run with only its two import lines replaced;
  then the same demo written batched for ``minigrad.tensor``, which follows the very same
  trajectory (README.md, "Coming from micrograd", says what the tensor form changes);
- the "building micrograd" lecture's loop (``MLP(3, [4, 4, 1])``, 20 steps; with the README's
  claim that it trains with ``act="tanh"`` and not with the ReLU default), its step-by-step
  ``_backward()`` cells in both engines, and its labelled expression graph;
- the PyTorch habits both engines accept: ``float()``, ``format()``, ``detach()``,
  ``tolist()``, ``dim=``, an optimizer's ``repr``, ``named_parameters()``.
"""

# NumPy's legacy global generator is the subject here: micrograd's demo seeds it.
# ruff: noqa: NPY002

import random
import re

import numpy as np
import pytest

import minigrad
from minigrad import scalar, tensor
from minigrad.scalar import MLP, Value


@pytest.fixture
def global_random_state():
    """micrograd's demo seeds NumPy's and Python's global generators: put them back after."""
    np_state, py_state = np.random.get_state(), random.getstate()
    yield
    np.random.set_state(np_state)
    random.setstate(py_state)


# -- micrograd's test/test_engine.py ---------------------------------------------------------
# Each expression is written once and run on minigrad's Value, on micrograd's Value and on
# a float64 torch tensor: the operators are the same in all three.


def sanity_check(x):
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return y


def more_ops(a, b):
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g


def torch_leaf(x):
    torch = pytest.importorskip("torch", reason="the PyTorch oracle needs: pip install torch")
    t = torch.Tensor([x]).double()
    t.requires_grad = True
    return t


def micrograd_value():
    engine = pytest.importorskip(
        "micrograd.engine", reason="comparing with micrograd needs: pip install micrograd"
    )
    return engine.Value


def test_sanity_check():
    x = Value(-4.0)
    y = sanity_check(x)
    assert y.data == -20.0  # micrograd's README and test: forward -20, d/dx 46
    assert x.grad == 46.0


def test_sanity_check_against_torch():
    x = Value(-4.0)
    y = sanity_check(x)
    xpt = torch_leaf(-4.0)
    ypt = sanity_check(xpt)
    assert y.data == ypt.data.item()  # exact, as micrograd's test asserts
    assert x.grad == xpt.grad.item()


def test_more_ops():
    a, b = Value(-4.0), Value(2.0)
    g = more_ops(a, b)
    tol = 1e-6
    # micrograd's README prints these to 4 places: 24.7041, 138.8338, 645.5773
    assert abs(g.data - 24.70408163265306) < tol
    assert abs(a.grad - 138.83381924198252) < tol
    assert abs(b.grad - 645.5772594752186) < tol


def test_more_ops_against_torch():
    a, b = Value(-4.0), Value(2.0)
    g = more_ops(a, b)
    apt, bpt = torch_leaf(-4.0), torch_leaf(2.0)
    gpt = more_ops(apt, bpt)
    tol = 1e-6
    assert abs(g.data - gpt.data.item()) < tol
    assert abs(a.grad - apt.grad.item()) < tol
    assert abs(b.grad - bpt.grad.item()) < tol


def test_engine_tests_agree_with_micrograd_itself():
    MicrogradValue = micrograd_value()
    x, xm = Value(-4.0), MicrogradValue(-4.0)
    assert sanity_check(x).data == sanity_check(xm).data and x.grad == xm.grad
    (a, b), (am, bm) = (Value(-4.0), Value(2.0)), (MicrogradValue(-4.0), MicrogradValue(2.0))
    assert more_ops(a, b).data == pytest.approx(more_ops(am, bm).data, rel=1e-14)
    assert (a.grad, b.grad) == pytest.approx((am.grad, bm.grad), rel=1e-14)


# -- micrograd's demo.ipynb ------------------------------------------------------------------
# The code cells of karpathy/micrograd's demo.ipynb, as a user has them (only the notebook
# magic ``%matplotlib inline`` is left out: it is not Python). The test replaces the two
# import lines and nothing else.

MICROGRAD_IMPORTS = """\
from micrograd.engine import Value
from micrograd.nn import Neuron, Layer, MLP
"""
MINIGRAD_IMPORTS = """\
from minigrad.scalar import Value
from minigrad.scalar import Neuron, Layer, MLP
"""

MICROGRAD_DEMO = (
    """\
import random
import numpy as np
import matplotlib.pyplot as plt
"""
    + MICROGRAD_IMPORTS
    + """\
np.random.seed(1337)
random.seed(1337)

# make up a dataset

from sklearn.datasets import make_moons, make_blobs
X, y = make_moons(n_samples=100, noise=0.1)

y = y*2 - 1 # make y be -1 or 1
# visualize in 2D
plt.figure(figsize=(5,5))
plt.scatter(X[:,0], X[:,1], c=y, s=20, cmap='jet')

# initialize a model
model = MLP(2, [16, 16, 1]) # 2-layer neural network
print(model)
print("number of parameters", len(model.parameters()))

# loss function
def loss(batch_size=None):

    # inline DataLoader :)
    if batch_size is None:
        Xb, yb = X, y
    else:
        ri = np.random.permutation(X.shape[0])[:batch_size]
        Xb, yb = X[ri], y[ri]
    inputs = [list(map(Value, xrow)) for xrow in Xb]

    # forward the model to get scores
    scores = list(map(model, inputs))

    # svm "max-margin" loss
    losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    # L2 regularization
    alpha = 1e-4
    reg_loss = alpha * sum((p*p for p in model.parameters()))
    total_loss = data_loss + reg_loss

    # also get accuracy
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
    return total_loss, sum(accuracy) / len(accuracy)

total_loss, acc = loss()
print(total_loss, acc)

# optimization
for k in range(100):

    # forward
    total_loss, acc = loss()

    # backward
    model.zero_grad()
    total_loss.backward()

    # update (sgd)
    learning_rate = 1.0 - 0.9*k/100
    for p in model.parameters():
        p.data -= learning_rate * p.grad

    if k % 1 == 0:
        print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%")

# visualize decision boundary

h = 0.25
x_min, x_max = X[:, 0].min() - 1, X[:, 0].max() + 1
y_min, y_max = X[:, 1].min() - 1, X[:, 1].max() + 1
xx, yy = np.meshgrid(np.arange(x_min, x_max, h),
                     np.arange(y_min, y_max, h))
Xmesh = np.c_[xx.ravel(), yy.ravel()]
inputs = [list(map(Value, xrow)) for xrow in Xmesh]
scores = list(map(model, inputs))
Z = np.array([s.data > 0 for s in scores])
Z = Z.reshape(xx.shape)

fig = plt.figure()
plt.contourf(xx, yy, Z, cmap=plt.cm.Spectral, alpha=0.8)
plt.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.Spectral)
plt.xlim(xx.min(), xx.max())
plt.ylim(yy.min(), yy.max())
"""
)

STEP = re.compile(r"^step (\d+) loss (\S+), accuracy (\S+)%$", re.M)


def steps_printed(text):
    """``[(loss, accuracy in %), ...]`` from the demo's ``step k loss ..., accuracy ...%``."""
    found = STEP.findall(text)
    assert [int(k) for k, _, _ in found] == list(range(100)), text[-500:]
    return [(float(loss), float(acc)) for _, loss, acc in found]


def run_tensor_demo():
    """The same demo on ``minigrad.tensor``: the 100 samples go through the model as one
    ``(100, 2)`` batch, and each line of the loss is one tensor op instead of a list of
    Values. Returns the model, the loss function and the data."""
    from sklearn.datasets import make_moons

    from minigrad.tensor import MLP, Tensor

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1

    model = MLP(2, [16, 16, 1])

    def loss():
        scores = model(Tensor(X))[:, 0]  # (100, 1) -> (100,): one score per sample
        losses = (1 + -y * scores).relu()  # y: the (100,) array of -1 / +1
        data_loss = losses.sum() * (1.0 / len(losses))
        alpha = 1e-4
        # a parameter is a whole weight matrix or bias vector: sum its squares
        reg_loss = alpha * sum((p * p).sum() for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = (y > 0) == (scores.data > 0)
        return total_loss, accuracy.sum() / len(accuracy)

    for k in range(100):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        print(f"step {k} loss {total_loss.item()}, accuracy {acc * 100}%")
    return model, loss, X


@pytest.mark.slow  # 100 steps over 100 samples, one Value per multiply: about 15 s
def test_micrograd_demo_with_only_the_imports_changed(global_random_state, capsys):
    pytest.importorskip("matplotlib", reason="the demo plots: pip install matplotlib")
    import matplotlib

    matplotlib.use("Agg")  # the demo's figures, drawn without a display
    import matplotlib.pyplot as plt

    source = MICROGRAD_DEMO.replace(MICROGRAD_IMPORTS, MINIGRAD_IMPORTS)
    changed = [
        (old, new)
        for old, new in zip(MICROGRAD_DEMO.splitlines(), source.splitlines())
        if old != new
    ]
    assert len(changed) == 2 and all("import" in new for _, new in changed)

    namespace = {"__name__": "demo"}
    try:
        exec(compile(source, "demo.ipynb", "exec"), namespace)
    finally:
        plt.close("all")
    printed = capsys.readouterr().out
    assert "number of parameters 337" in printed  # 2*16+16 + 16*16+16 + 16+1, as in micrograd

    history = steps_printed(printed)
    _, final_accuracy = namespace["loss"]()  # after the 100th update
    print(f"micrograd's demo on minigrad.scalar: training accuracy {final_accuracy:.0%}")
    assert final_accuracy >= 0.95
    assert history[-1][0] < 0.25 * history[0][0]
    # the decision boundary cell: its predictions on the training points are the model's
    assert namespace["Z"].shape == namespace["xx"].shape and namespace["Z"].any()

    # The batched tensor form starts from the same weights (the same global seed draws
    # them) and follows the same trajectory: the same losses, the same accuracies.
    run_tensor_demo()
    tensor_history = steps_printed(capsys.readouterr().out)
    np.testing.assert_allclose(
        [loss for loss, _ in tensor_history], [loss for loss, _ in history], rtol=1e-9
    )
    assert [a for _, a in tensor_history] == [a for _, a in history]


def test_micrograd_demo_in_tensor_form_reaches_95_percent(global_random_state, capsys):
    model, loss, X = run_tensor_demo()
    history = steps_printed(capsys.readouterr().out)
    _, accuracy = loss()
    assert accuracy >= 0.95
    assert history[-1][0] < 0.25 * history[0][0]
    assert model(X).shape == (100, 1)  # a batch gives N rows, also with one output


# -- the "building micrograd" lecture --------------------------------------------------------


def lecture_loop(n, steps=20):
    """The lecture's training loop, as typed along with it. Returns the loss of each step."""
    xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ]
    ys = [1.0, -1.0, -1.0, 1.0]  # desired targets
    losses = []
    for k in range(steps):
        # forward pass
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))

        # backward pass
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()

        # update
        for p in n.parameters():
            p.data += -0.1 * p.grad

        print(k, loss.data)
        losses.append(loss.data)
    return losses


def test_lecture_loop_drives_the_loss_down(global_random_state):
    # The lecture's neurons are tanh; minigrad's MLP says so with act="tanh" (its default,
    # like micrograd's MLP, is relu). The lecture's last layer is tanh too; minigrad's is
    # linear, as in micrograd's nn.py and in PyTorch.
    for seed in range(20):  # the lecture does not seed: any start should do
        np.random.seed(seed)
        n = MLP(3, [4, 4, 1], act="tanh")
        assert isinstance(n([2.0, 3.0, -1.0]), Value)  # one output: the Value itself
        losses = lecture_loop(n)
        assert losses[-1] < 0.15 * losses[0], (seed, losses)


def lecture_final_losses(act, seeds):
    finals = []
    for seed in seeds:
        np.random.seed(seed)
        n = MLP(3, [4, 4, 1]) if act is None else MLP(3, [4, 4, 1], act=act)
        finals.append(lecture_loop(n)[-1])
    return np.array(finals)


def test_the_readme_on_the_lectures_loop_trains_with_tanh_not_with_the_relu_default(
    global_random_state, capsys
):
    """README.md, "Coming from micrograd": with the default ReLU the lecture's loop does not
    train; with act="tanh" it does. Over NumPy seeds 0 to 49, the loss after the loop's
    20 steps is below 0.1 in 4 runs with the default and in 44 with tanh (measured with
    this test's loop); the bounds leave room for a change of initialisation, not of
    verdict."""
    seeds = range(50)
    relu = lecture_final_losses(None, seeds)
    tanh = lecture_final_losses("tanh", seeds)
    capsys.readouterr()  # (the loop prints every step)
    assert (tanh < 0.1).sum() >= 40, np.sort(tanh)
    assert (relu < 0.1).sum() <= 10, np.sort(relu)
    assert np.median(relu) > 1.0  # the typical ReLU run stays far from the targets


def test_lecture_labelled_expression():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    assert (L.label, e.label, a.label) == ("L", "e", "a")
    assert float(L) == -8.0 and f"{L:.3f}" == "-8.000" and f"{L.data:.4f}" == "-8.0000"
    L.backward()
    grads = {v.label: v.grad for v in (a, b, c, d, e, f, L)}
    assert grads == {"a": 6.0, "b": -4.0, "c": -2.0, "d": -2.0, "e": -2.0, "f": 4.0, "L": 1.0}


def test_lecture_labels_appear_in_the_drawn_graph():
    """The lecture draws ``L`` with its labels (``draw_dot``); ``minigrad.to_dot`` must
    show them too (docs/API.md: a label is "shown in drawings")."""
    a, b, c, f = (Value(x, label=n) for x, n in ((2.0, "a"), (-3.0, "b"), (10.0, "c"), (-2.0, "f")))
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    dot = minigrad.to_dot(L)
    boxes = re.findall(r'^  n\d+ \[shape=record, label="\{ (.*?) \}"', dot, re.M)
    assert len(boxes) == 7
    for name in "abcdefL":
        # the lecture's box: "{ label | data ... | grad ... }"
        assert any(box.startswith(f"{name} | data ") for box in boxes), (name, boxes)


def test_lecture_neuron_with_a_hand_drawn_trace():
    """The lecture's neuron, and its ``trace`` helper: nodes are hashable, ``_prev`` is
    iterable, ``_op`` names the op."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    assert f"{o:.4f}" == "0.7071"
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))

    def trace(root):  # the lecture's, verbatim
        nodes, edges = set(), set()

        def build(v):
            if v not in nodes:
                nodes.add(v)
                for child in v._prev:
                    edges.add((child, v))
                    build(child)

        build(root)
        return nodes, edges

    nodes, edges = trace(o)
    assert {v.label for v in nodes} == {
        "x1", "x2", "w1", "w2", "b", "x1*w1", "x2*w2", "x1*w1 + x2*w2", "n", "o"
    }  # fmt: skip
    assert len(edges) == 9 and o._op == "tanh"


# -- the lecture's step-by-step cells: _backward(), one node at a time ---------------------


def lecture_neuron(B):
    """The lecture's neuron ``o = tanh(x1*w1 + x2*w2 + b)``, its nodes by name, in engine
    ``B`` (the tensor engine: 0-d tensors that require grad)."""
    if B is scalar:
        make = B.Value
    else:

        def make(x, label):
            return B.Tensor(x, requires_grad=True, label=label)

    x1, x2 = make(2.0, label="x1"), make(0.0, label="x2")
    w1, w2 = make(-3.0, label="w1"), make(1.0, label="w2")
    b = make(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    return dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n, o=o)


def grads(nodes, *names):
    return tuple(float(nodes[name].grad) for name in names)


@pytest.mark.parametrize("B", [scalar, tensor], ids=["scalar", "tensor"])
def test_lecture_cells_call_backward_by_hand_node_by_node(B):
    """The lecture's cells, as typed: ``o.grad = 1.0``, then ``_backward()`` on each node
    from the output back, each adding ``local * self.grad`` into its parents' ``.grad``."""
    v = lecture_neuron(B)
    o, n, b, x1w1x2w2, x2w2, x1w1 = (v[k] for k in ("o", "n", "b", "x1w1x2w2", "x2w2", "x1w1"))
    assert f"{float(o.data):.4f}" == "0.7071"
    o.grad = 1.0
    o._backward()
    assert float(n.grad) == pytest.approx(0.5)  # 1 - o**2
    n._backward()
    assert grads(v, "x1w1x2w2", "b") == pytest.approx((0.5, 0.5))  # a + spreads it
    b._backward()  # a leaf: no parents, nothing to hand on
    x1w1x2w2._backward()
    assert grads(v, "x1w1", "x2w2") == pytest.approx((0.5, 0.5))
    x2w2._backward()
    x1w1._backward()
    assert grads(v, "x1", "w1", "x2", "w2") == pytest.approx((-1.5, 1.0, 0.5, 0.0))


@pytest.mark.parametrize("B", [scalar, tensor], ids=["scalar", "tensor"])
def test_lecture_topological_sort_then_backward_by_hand_equals_backward(B):
    """The lecture's next cell: its own ``build_topo``, then ``node._backward()`` over the
    nodes in reverse: the same gradients as ``backward()``, at every node."""
    by_hand = lecture_neuron(B)
    topo, visited = [], set()

    def build_topo(v):  # the lecture's, verbatim (nodes in a set: hashed by identity)
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(by_hand["o"])
    by_hand["o"].grad = 1.0
    for node in reversed(topo):
        node._backward()
    auto = lecture_neuron(B)
    auto["o"].backward()
    names = list(auto)
    assert grads(by_hand, *names) == grads(auto, *names)
    assert grads(auto, "x1", "w1", "x2", "w2") == pytest.approx((-1.5, 1.0, 0.5, 0.0))


@pytest.mark.parametrize("B", [scalar, tensor], ids=["scalar", "tensor"])
def test_backward_by_hand_equals_backward_on_a_model(B):
    """``_backward()`` at every node of an MLP's cross-entropy graph, children first (the
    walk ``backward`` uses, ``minigrad.common.graph.topological_order``), gives every
    parameter the gradient ``backward()`` gives: the manual form is the same chain rule,
    fused ops (a tensor layer's ``linear``, the tensor engine's loss) included."""
    from minigrad.common.graph import topological_order

    X = np.random.default_rng(0).normal(size=(5, 4))
    model = B.MLP(4, [6, 3], act="tanh", seed=1)
    loss = B.cross_entropy_loss(model(X), [0, 2, 1, 1, 0])
    for node in reversed(topological_order(loss)):
        node._zero_grad()
    loss.grad = 1.0
    for node in reversed(topological_order(loss)):
        node._backward()
    by_hand = [np.array(p.grad, dtype=np.float64) for p in model.parameters()]
    model.zero_grad()
    loss.backward()
    for got, expected in zip(by_hand, (np.asarray(p.grad) for p in model.parameters())):
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-16)


# -- PyTorch habits, both engines ------------------------------------------------------------


def node(B, x):
    if B is scalar:
        return B.Value(x)
    return B.Tensor(x, requires_grad=True)


@pytest.mark.parametrize("B", [scalar, tensor], ids=["scalar", "tensor"])
def test_float_and_format_of_a_node(B):
    v = node(B, 2.5) if B is scalar else node(B, [[2.5]])
    assert float(v) == 2.5 and type(float(v)) is float
    assert format(v, ".3f") == "2.500" and f"{v:>10.2e}" == "  2.50e+00"
    assert f"{v}" == str(v) == repr(v)  # no format spec: the node's own text
    out = v * 3  # a result node converts too
    assert float(out) == 7.5 and f"{out:.1f}" == "7.5"


def test_float_of_a_tensor_with_many_elements_is_refused():
    t = tensor.Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        float(t)
    with pytest.raises(ValueError, match="one element"):
        format(t, ".3f")


@pytest.mark.parametrize("B", [scalar, tensor], ids=["scalar", "tensor"])
def test_detach_is_a_new_leaf_with_the_same_data(B):
    x = node(B, 1.5) if B is scalar else node(B, [1.5, -2.0])
    mid = x * x
    d = mid.detach()
    assert d is not mid and d._prev == () and d._op == ""
    np.testing.assert_array_equal(d.data, mid.data)
    out = x * d  # d/dx (x * detach(x * x)) = x * x: the detached factor is a constant
    (out if B is scalar else out.sum()).backward()
    np.testing.assert_array_equal(np.asarray(x.grad), np.asarray(mid.data))
    np.testing.assert_array_equal(np.asarray(mid.grad), 0.0 * np.asarray(mid.data))  # cut


def test_detached_tensor_needs_no_grad_and_owns_its_data():
    x = tensor.Tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert d.requires_grad is False
    d.data[0] = 99.0  # an optimizer writing through the copy must not move x
    assert x.data.tolist() == [1.0, 2.0]


def test_tolist():
    t = tensor.Tensor([[1, 2], [3, 4]])
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]] and type(t.tolist()[0][0]) is float
    assert tensor.Tensor(3.0).tolist() == 3.0
    assert (t * 2).sum(dim=0).tolist() == [8.0, 12.0]


@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
def test_dim_is_axis(reduction):
    data = np.arange(12.0).reshape(3, 4) - 5
    t = tensor.Tensor(data, requires_grad=True)
    for dim in (0, 1, -1):
        by_dim = getattr(t, reduction)(dim=dim)
        by_axis = getattr(t, reduction)(axis=dim)
        np.testing.assert_array_equal(by_dim.data, by_axis.data)
        np.testing.assert_array_equal(by_dim.data, getattr(data, reduction)(axis=dim))
    kept = getattr(t, reduction)(dim=1, keepdims=True)
    assert kept.shape == (3, 1)
    with pytest.raises(TypeError, match="axis= or dim="):
        getattr(t, reduction)(axis=0, dim=0)


@pytest.mark.parametrize("B", [scalar, tensor], ids=["scalar", "tensor"])
def test_optimizer_repr_shows_its_settings(B):
    model = B.MLP(2, [3, 1], seed=0)
    n = len(model.parameters())
    sgd = B.SGD(model.parameters(), lr=0.1, momentum=0.9)
    assert repr(sgd) == f"SGD({n} parameters, lr=0.1, momentum=0.9, weight_decay=0.0)"
    adam = B.Adam(model.parameters(), weight_decay=0.01)
    assert repr(adam) == (
        f"Adam({n} parameters, lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01)"
    )


@pytest.mark.parametrize("B", [scalar, tensor], ids=["scalar", "tensor"])
def test_named_parameters_follow_parameters(B):
    model = B.MLP(3, [4, 2], seed=0)
    named = model.named_parameters()
    params = model.parameters()
    assert len(named) == len(params)
    assert all(n is p for (_, n), p in zip(named, params))  # the same nodes, same order
    names = [name for name, _ in named]
    assert len(set(names)) == len(names)
    state = model.state_dict()
    if B is tensor:
        assert names == list(state)
        for name, p in named:
            np.testing.assert_array_equal(p.data, state[name])
    else:  # one Value per number: the state_dict key and the number's index
        assert names[:5] == [
            "layers.0.weight[0, 0]",
            "layers.0.weight[0, 1]",
            "layers.0.weight[0, 2]",
            "layers.0.weight[1, 0]",
            "layers.0.weight[1, 1]",
        ]
        for name, p in named:
            key, index = re.fullmatch(r"(.+)\[([\d, ]+)\]", name).groups()
            assert p.data == state[key][tuple(int(i) for i in index.split(", "))]


def test_one_output_layer_gives_the_value_itself():
    layer = scalar.Layer(2, 1, seed=0)
    mlp = scalar.MLP(2, [3, 1], seed=0)
    for module in (layer, mlp):
        assert isinstance(module([1.0, -1.0]), Value)
        batch = module([[1.0, -1.0], [0.5, 2.0]])  # a batch still gives N rows of one
        assert len(batch) == 2 and all(len(row) == 1 for row in batch)
        assert batch[0][0].data == module([1.0, -1.0]).data
    assert isinstance(scalar.Layer(2, 3, seed=0)([1.0, -1.0]), list)


@pytest.mark.parametrize("B", [scalar, tensor], ids=["scalar", "tensor"])
def test_numpy_global_seed_makes_seed_none_reproducible(B, global_random_state):
    np.random.seed(1337)
    first = B.MLP(2, [16, 16, 1]).state_dict()
    again = B.MLP(2, [16, 16, 1]).state_dict()  # the global state moved on: new weights
    np.random.seed(1337)
    same = B.MLP(2, [16, 16, 1]).state_dict()
    assert all(np.array_equal(first[k], same[k]) for k in first)
    assert not np.array_equal(first["layers.0.weight"], again["layers.0.weight"])
    other = (tensor if B is scalar else scalar).MLP
    np.random.seed(1337)
    twin = other(2, [16, 16, 1]).state_dict()  # the other engine draws the same weights
    assert all(np.array_equal(first[k], twin[k]) for k in first)
