"""The engine contract holds: a third engine, registered at test time, runs every tool.

The third engine is the tensor engine's folder copied under another name (``third_engine``,
registered as ``"third"``): a new package with its own ``Tensor`` class, its own modules
and its own engine name, that no tool has ever heard of. If a tool told engines apart by
their names, their module names or the type of a node's data, it would fail here (or, as
``load`` once did, silently give a float32 model file float64 weights). The tests below
run on it the engine-generic suites (training, drawing, optimizers, stale graphs: the
suites' own test functions, with this module's ``B`` fixture), and check the rest directly:
equivalence with the scalar engine, model files, the explorer, gradcheck and the CLI.

The last test reads the tools' source and checks that none of them names an engine, its
module, or ``np.ndarray``, except where the allow-list says why.
"""

import ast
import json
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad import registry
from minigrad.tools import explorer
from minigrad.tools.cli import example_graph, main
from minigrad.tools.io import MAX_PARAMETERS, META_KEY
from tests import test_equivalence, test_explorer

# The engine-generic suites, collected again in this module: their ``B`` is the one below.
from tests.test_drawing import (  # noqa: F401
    test_draw_dot_needs_nothing,
    test_to_dot_is_deterministic_and_leaves_the_graph_alone,
    test_to_dot_of_a_deep_chain,
    test_to_dot_of_a_neuron_shows_ops_values_and_grads,
)
from tests.test_optim import (  # noqa: F401
    test_adam_first_step_moves_each_weight_by_lr,
    test_adam_with_weight_decay,
    test_optimizer_zero_grad,
    test_sgd_momentum_and_weight_decay,
    test_sgd_plain,
)
from tests.test_stale_graph import (  # noqa: F401
    test_backward_after_load_state_dict_raises,
    test_backward_after_step_raises,
    test_fresh_forward_after_step_trains,
    test_two_backwards_without_a_step_still_add_up,
)
from tests.test_training import (  # noqa: F401
    test_evaluate_builds_no_graph_and_counts_correctly,
    test_fit_argument_errors,
    test_fit_checks_every_target_before_the_first_step,
    test_fit_learns_and_returns_history,
    test_fit_stops_on_non_finite_loss_naming_epoch_and_step,
    test_fit_stops_when_relu_meets_nan_data,
    test_fit_with_mse_on_labels,
)

NAME = "third"
PACKAGE = "third_engine"
TOOLS = Path(minigrad.__file__).parent / "tools"


def copy_tensor_engine(target):
    """Copy ``minigrad/tensor/`` to ``target/third_engine/``, renamed in every file: its
    imports of ``minigrad.tensor.*`` and its engine name (the ``engine = "tensor"`` class
    attributes). Nothing else changes."""
    source = Path(minigrad.__file__).parent / "tensor"
    package = target / PACKAGE
    shutil.copytree(source, package, ignore=shutil.ignore_patterns("__pycache__"))
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\bminigrad\.tensor\b", PACKAGE, text)
        text = re.sub(r'\bengine = "tensor"', f'engine = "{NAME}"', text)
        path.write_text(text, encoding="utf-8")
    return package


@pytest.fixture(scope="module")
def third(tmp_path_factory):
    root = tmp_path_factory.mktemp("engines")
    copy_tensor_engine(root)
    sys.path.insert(0, str(root))
    registry.register(NAME, PACKAGE)
    try:
        yield minigrad.backend(NAME)
    finally:
        registry.unregister(NAME)
        sys.path.remove(str(root))
        for module in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[module]


@pytest.fixture
def B(third):
    """The engine the imported suites run on: the third one."""
    return third


# -- the registry ---------------------------------------------------------------------------


def test_the_third_engine_is_registered_and_its_own(third):
    assert NAME in minigrad.BACKENDS and NAME in registry.BACKENDS
    assert minigrad.backend(NAME) is third
    assert third.__name__ == PACKAGE
    T = minigrad.backend("tensor")
    assert third.Tensor is not T.Tensor and third.MLP is not T.MLP
    assert third.Tensor.__module__.startswith(PACKAGE + ".")
    model = third.MLP(2, [3], seed=0)
    assert model.engine == NAME and third.leaf(1.0).engine == NAME
    assert registry.backend_of(model) is third
    assert (third.MAX_PARAMETERS, third.FLOAT_DTYPES) == (T.MAX_PARAMETERS, T.FLOAT_DTYPES)
    assert MAX_PARAMETERS[NAME] == third.MAX_PARAMETERS  # the load budget is the engine's


def test_register_refuses_a_taken_name_and_unregister_an_unknown_one(third):
    with pytest.raises(ValueError, match="already registered"):
        registry.register("scalar", PACKAGE)
    with pytest.raises(ValueError, match="unknown backend 'cuda'"):
        registry.unregister("cuda")
    registry.register("fourth", PACKAGE)
    try:
        assert minigrad.BACKENDS[-2:] == (NAME, "fourth")
    finally:
        registry.unregister("fourth")
    assert "fourth" not in minigrad.BACKENDS
    with pytest.raises(ValueError, match="valid backends"):
        minigrad.backend("fourth")


# -- equivalence with the scalar engine ----------------------------------------------------


@pytest.mark.parametrize("case", test_equivalence.MODEL_CASES, ids=str)
def test_mlps_agree_with_the_scalar_engine(third, case):
    nin, nouts, act, loss, batch = case
    rng = np.random.default_rng(nin * 100 + batch)
    x = rng.normal(size=(batch, nin))
    if loss == "cross_entropy":
        targets = rng.integers(0, nouts[-1], size=batch)
    else:
        targets = rng.normal(size=(batch, nouts[-1]))
    scalar = minigrad.backend("scalar")
    s_loss, s_grads = test_equivalence.loss_and_grads(scalar, case, x, targets, seed=batch)
    t_loss, t_grads = test_equivalence.loss_and_grads(third, case, x, targets, seed=batch)
    assert s_loss == pytest.approx(t_loss, rel=1e-10, abs=1e-12)
    assert s_grads.keys() == t_grads.keys()
    for k in s_grads:
        np.testing.assert_allclose(s_grads[k], t_grads[k], rtol=1e-10, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("optimizer", sorted(test_equivalence.OPTIMIZERS))
def test_a_training_trajectory_agrees_with_the_scalar_engine(third, digits, optimizer):
    X, _, y, _ = digits
    make_opt = test_equivalence.OPTIMIZERS[optimizer]
    scalar = minigrad.backend("scalar")
    ms, ls = test_equivalence.train_trajectory(scalar, make_opt, X, y, steps=30, batch_size=4)
    mt, lt = test_equivalence.train_trajectory(third, make_opt, X, y, steps=30, batch_size=4)
    np.testing.assert_allclose(ls, lt, rtol=1e-9)
    for k, v in ms.state_dict().items():
        np.testing.assert_allclose(v, mt.state_dict()[k], rtol=1e-9, atol=1e-12, err_msg=k)


# -- model files ----------------------------------------------------------------------------


@pytest.mark.parametrize("other", ["scalar", "tensor"])
def test_model_files_go_both_ways(third, tmp_path, other):
    X = np.random.default_rng(0).normal(size=(5, 6))
    for src, dst in ((NAME, other), (other, NAME)):
        model = minigrad.backend(src).MLP(6, [4, 3], act="tanh", seed=1)
        minigrad.save(model, tmp_path / "m.npz")
        loaded = minigrad.load(tmp_path / "m.npz", backend=dst)
        assert loaded.engine == dst and type(loaded).__name__ == "MLP"
        np.testing.assert_allclose(
            minigrad.backend(dst).to_numpy(loaded(X)),
            minigrad.backend(src).to_numpy(model(X)),
            rtol=0,
            atol=1e-12,
        )


def test_a_float32_model_stays_float32_in_the_third_engine(third, tmp_path):
    path = tmp_path / "m.npz"
    minigrad.save(third.MLP(6, [4, 2], seed=0, dtype=np.float32), path)
    loaded = minigrad.load(path, backend=NAME)
    assert loaded.layers[0].weight.data.dtype == np.float32
    assert loaded.engine == NAME
    # a float32 file of the tensor engine too; an engine of float64 only reads it as float64
    minigrad.save(minigrad.backend("tensor").MLP(6, [4, 2], seed=0, dtype=np.float32), path)
    assert minigrad.load(path, backend=NAME).layers[1].bias.data.dtype == np.float32
    scalar_model = minigrad.load(path, backend="scalar")
    assert scalar_model.state_dict()["layers.0.weight"].dtype == np.float64


# -- drawing, the explorer, gradcheck ----------------------------------------------------------


@pytest.mark.parametrize("mlp", [False, True], ids=["neuron", "mlp"])
def test_the_explorer_replays_the_third_engine(third, tmp_path, mlp):
    test_explorer.test_replay_equals_grad_after_one_backward(NAME, mlp)
    test_explorer.test_the_page_is_self_contained(tmp_path, NAME, mlp)
    test_explorer.test_layout_runs_left_to_right(NAME, mlp)
    data, _, _ = explorer._payload(example_graph(NAME, mlp))
    assert data["mismatched"] == 0


def test_draw_svg_of_the_third_engine(third, tmp_path):
    root = example_graph(NAME, mlp=True)
    svg = minigrad.draw(root, tmp_path / "g.svg").read_text()
    assert svg.count('class="mg-node') == 10
    assert "grad [-1.649]" in svg and "no grad" in svg
    assert "2x2" in svg  # the shape of the first weight, shown as for any node over an array
    boxes = re.findall(r'label="(\{[^"]*)"', minigrad.to_dot(root))  # the record labels
    assert any(box.startswith("{ shape 2x2 | data ") for box in boxes)


def test_gradcheck_on_the_third_engine(third):
    a = third.leaf([[0.5, -1.0], [2.0, 0.25]])
    b = third.leaf([1.5, -0.5])
    assert minigrad.gradcheck(lambda a, b: ((a * b).tanh() @ b).sum(), [a, b])
    np.testing.assert_array_equal(a.data, [[0.5, -1.0], [2.0, 0.25]])  # put back as it was


# -- the CLI --------------------------------------------------------------------------------


def test_minigrad_train_and_draw_with_the_third_engine(third, tmp_path, capsys):
    model_path = tmp_path / "m.npz"
    argv = ["train", "--backend", NAME, "--limit", "60", "--epochs", "2", "--batch-size", "10",
            "--hidden", "8", "--no-progress", "--save", str(model_path)]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"minigrad train: {NAME} engine, MLP(64, [8, 10], act='relu')")
    assert re.search(r"^test accuracy: 0\.\d{4}$", out, re.M)
    with np.load(model_path) as archive:
        assert json.loads(str(archive[META_KEY]))["engine"] == NAME
    assert minigrad.load(model_path, backend=NAME).engine == NAME
    dot = tmp_path / "g.dot"
    assert main(["draw", "--backend", NAME, "--mlp", "-o", str(dot)]) == 0
    assert 'label="linear"' in dot.read_text()
    assert main(["draw", "--backend", NAME, "-o", str(tmp_path / "g.html")]) == 0
    assert f"({NAME} engine)" in capsys.readouterr().out


# -- no tool tells engines apart ----------------------------------------------------------------

# What a tool may still name, and why: the compare command and `draw --compare` compare the
# two shipped engines by design (cli.COMPARED); the documented defaults of `minigrad train`
# (--backend tensor), `minigrad draw` (--backend scalar) and `load(backend="tensor")`; and
# two names of classes, not of engines: which of MLP, Layer and Neuron a model is (io), and
# "int" or "float" in the CLI's message for a bad number.
ALLOWED = {
    ("cli.py", "COMPARED", "scalar"),
    ("cli.py", "COMPARED", "tensor"),
    ("cli.py", "TRAIN_DEFAULTS", "tensor"),
    ("cli.py", "DRAW_DEFAULT_BACKEND", "scalar"),
    ("io.py", "load", "tensor"),
    ("io.py", "architecture", "c.__name__"),
    ("cli.py", "_number", "kind.__name__"),
}
ENGINE_NAMES = {"scalar", "tensor"}
ENGINE_MODULES = re.compile(r"^minigrad\.(scalar|tensor)(\.|$)")


def engine_mentions(path):
    """``(top-level name, what)`` for every place in ``path`` that could tell engines
    apart: a string that is exactly an engine's name, an engine's module (in a string or an
    import), NumPy's array types (``np.ndarray``, ``np.generic``), and the ``__name__`` of
    anything but ``type(x)`` (a module's name is an engine's name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for top in tree.body:
        if isinstance(top, (ast.FunctionDef, ast.ClassDef)):
            where = top.name
        elif isinstance(top, ast.Assign) and isinstance(top.targets[0], ast.Name):
            where = top.targets[0].id
        else:
            where = type(top).__name__
        for node in ast.walk(top):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value in ENGINE_NAMES or ENGINE_MODULES.match(node.value):
                    found.append((where, node.value))
            elif isinstance(node, ast.Attribute) and node.attr in ("ndarray", "generic"):
                found.append((where, f"np.{node.attr}"))
            elif isinstance(node, ast.Attribute) and node.attr == "__name__":
                value = node.value
                is_type_of = isinstance(value, ast.Call) and ast.unparse(value.func) == "type"
                if not is_type_of:
                    found.append((where, ast.unparse(node)))
            elif isinstance(node, ast.ImportFrom) and ENGINE_MODULES.match(node.module or ""):
                found.append((where, node.module))
            elif isinstance(node, ast.Import):
                found += [(where, a.name) for a in node.names if ENGINE_MODULES.match(a.name)]
    return found


def test_the_checker_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import numpy as np\nfrom minigrad.tensor.engine import Tensor\n"
        "def f(B, x):\n"
        '    return B.__name__ == "minigrad.tensor" or isinstance(x, np.ndarray)\n'
        'BUDGET = {"scalar": 1}\n'
        "name = B.__name__.rsplit('.', 1)[-1]\n"
        'message = f"got {type(x).__name__}"\n'
    )
    assert sorted(engine_mentions(sample)) == sorted([
        ("ImportFrom", "minigrad.tensor.engine"),
        ("f", "B.__name__"),
        ("f", "minigrad.tensor"),
        ("f", "np.ndarray"),
        ("BUDGET", "scalar"),
        ("name", "B.__name__"),
    ])  # fmt: skip


def test_no_tool_tells_engines_apart():
    found = {
        (path.name, where, what)
        for path in sorted(TOOLS.glob("*.py"))
        for where, what in engine_mentions(path)
    }
    assert found - ALLOWED == set()
