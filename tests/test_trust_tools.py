"""Issue 17, the tools' share: silent wrong results and unclear errors of the training loop,
the model files, the drawings and the command line, each a test that failed before its fix.

- model surgery then ``save``: the file must be what ``load`` rebuilds, or ``save`` refuses
  before touching the file;
- ``fit`` with an optimizer built for another model refuses instead of training nothing;
- validation labels, ``evaluate``'s labels and complex ``X`` are checked as training data is;
- bytes paths; a closed stdout; ``--save`` and ``--plot`` on one file; ``--save`` into a
  read-only directory; ``compare``'s memory with many steps; NumPy warnings.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad.tools import cli
from minigrad.tools.cli import main
from minigrad.tools.io import META_KEY

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--limit", "60", "--epochs", "1", "--no-progress", "--hidden", "8"]
X6 = np.random.default_rng(42).uniform(0, 1, size=(7, 6))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def outputs(model, x=X6):
    return minigrad.backend(model.engine).to_numpy(model(x))


def same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k])


def subprocess_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


# -- 5. model surgery then save ----------------------------------------------------------------


def _replace_hidden_by_tanh(B, m):
    m.layers[1] = B.Layer(5, 4, act="tanh", seed=1)


def _append(B, m):
    m.layers.append(B.Layer(3, 2, seed=1))


def _widen(B, m):
    m.layers[0] = B.Layer(6, 7, act="relu", seed=1)
    m.layers[1] = B.Layer(7, 4, act="relu", seed=1)


def _pop(B, m):
    m.layers.pop()


def _last_not_linear(B, m):
    m.layers[-1] = B.Layer(4, 3, act="relu", seed=1)


def _a_neuron_for_a_layer(B, m):
    m.layers[-1] = B.Neuron(4, seed=1)  # a different class, whatever its widths


def _a_layer_of_another_engine(B, m):
    other = next(name for name in minigrad.BACKENDS if name != m.engine)
    m.layers[1] = minigrad.backend(other).Layer(5, 4, act="relu", seed=1)


def _nin_attribute_lies(B, m):
    m.nin = 7


SURGERY = {
    "hidden layer now tanh": (_replace_hidden_by_tanh, r"layers\[1\].*'tanh'.*'relu'"),
    "layer appended": (_append, r"4 layers.*3"),
    "layer widened": (_widen, r"layers\[0\].*Layer\(6, 7"),
    "layer popped": (_pop, r"2 layers.*3"),
    "last layer not linear": (_last_not_linear, r"layers\[2\].*'linear'"),
    "a Neuron for a Layer": (_a_neuron_for_a_layer, r"layers\[2\] is a Neuron"),
    "a Layer of another engine": (_a_layer_of_another_engine, r"layers\[1\].*another engine"),
    "nin attribute lies": (_nin_attribute_lies, r"layers\[0\].*Layer\(6, 5.*Layer\(7, 5"),
}


@pytest.mark.parametrize("name", SURGERY)
def test_save_refuses_a_model_whose_parts_disagree_with_its_architecture(B, tmp_path, name):
    surgery, message = SURGERY[name]
    path = tmp_path / "m.npz"
    minigrad.save(B.MLP(6, [5, 4, 3], act="relu", seed=0), path)
    old = path.read_bytes()
    model = B.MLP(6, [5, 4, 3], act="relu", seed=0)
    surgery(B, model)
    with pytest.raises(ValueError, match=message):
        minigrad.save(model, path)
    assert path.read_bytes() == old  # refused before the file was touched
    assert os.listdir(tmp_path) == ["m.npz"]  # and no temporary file either


def test_save_refuses_a_layer_or_neuron_whose_arrays_disagree_with_its_attributes(B, tmp_path):
    for model in (B.Layer(6, 3, seed=0), B.Neuron(6, seed=0)):
        model.nin = 5
        with pytest.raises(ValueError, match=r"state_dict.*'weight'.*\(\d, 6\).*\(\d, 5\)"):
            minigrad.save(model, tmp_path / "m.npz")
    layer = B.Layer(6, 3, seed=0)
    layer.nout = 4
    with pytest.raises(ValueError, match=r"'weight'.*\(3, 6\).*\(4, 6\)"):
        minigrad.save(layer, tmp_path / "m.npz")
    layer = B.Layer(6, 3, seed=0)
    with pytest.raises(ValueError, match="activation 'gelu'"):  # refused where it is set
        layer.act = "gelu"
    assert os.listdir(tmp_path) == []


def test_consistent_surgery_saves_and_loads_exactly(B, tmp_path):
    # surgery that keeps the attributes true is fine: the file rebuilds the same model
    model = B.MLP(6, [5, 4, 3], act="relu", seed=0)
    model.layers[1] = B.Layer(5, 4, act="relu", seed=7)  # a fresh layer of the same kind
    model.layers[2] = B.Layer(4, 3, act="relu", seed=8)
    model.layers.append(B.Layer(3, 2, seed=9))
    model.nouts = [5, 4, 3, 2]
    path = minigrad.save(model, tmp_path / "m.npz")
    loaded = minigrad.load(path, backend=model.engine)
    same_state(model, loaded)
    np.testing.assert_array_equal(outputs(loaded), outputs(model))


@pytest.mark.parametrize("layer_dtype", ["float64", "float32"])
def test_save_refuses_a_layer_of_another_dtype(tmp_path, layer_dtype):
    T = minigrad.backend("tensor")
    model_dtype = "float32" if layer_dtype == "float64" else "float64"
    model = T.MLP(6, [5, 3], act="relu", seed=0, dtype=np.dtype(model_dtype).type)
    model.layers[0] = T.Layer(6, 5, act="relu", seed=0, dtype=np.dtype(layer_dtype).type)
    with pytest.raises(ValueError, match=rf"layers\[0\].*{layer_dtype}.*{model_dtype}"):
        minigrad.save(model, tmp_path / "m.npz")


# -- 11. fit with an optimizer built for another model ------------------------------------------


def _data():
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, size=(8, 2)), np.array([0, 1, 2, 0, 1, 2, 0, 1])


def test_fit_refuses_an_optimizer_of_another_model(B, tmp_path):
    model = B.MLP(2, [4, 3], seed=0)
    optimizer = B.SGD(model.parameters(), lr=0.5)
    minigrad.save(model, tmp_path / "m.npz")
    loaded = minigrad.load(tmp_path / "m.npz", backend=model.engine)  # new parameters
    before = loaded.state_dict()
    X, y = _data()
    with pytest.raises(ValueError, match="none of the model's parameters"):
        minigrad.fit(loaded, optimizer, X, y, progress=False)
    same_state_dict(before, loaded)


def test_fit_refuses_an_optimizer_holding_parameters_that_are_not_the_models(B):
    model, other = B.MLP(2, [4, 3], seed=0), B.MLP(2, [3], seed=1)
    optimizer = B.Adam(model.parameters() + other.parameters(), lr=0.1)
    before = model.state_dict()
    X, y = _data()
    n_other = len(other.parameters())
    with pytest.raises(ValueError, match=rf"{n_other} parameter\(s\) that are not the model's"):
        minigrad.fit(model, optimizer, X, y, progress=False)
    same_state_dict(before, model)


def test_fit_accepts_an_optimizer_over_some_of_the_models_parameters(B):
    # fine-tuning the last layer: legitimate
    model = B.MLP(2, [4, 3], seed=0)
    before = model.state_dict()
    optimizer = B.SGD(model.layers[-1].parameters(), lr=0.5)
    X, y = _data()
    minigrad.fit(model, optimizer, X, y, progress=False)
    after = model.state_dict()
    np.testing.assert_array_equal(after["layers.0.weight"], before["layers.0.weight"])
    assert not np.array_equal(after["layers.1.weight"], before["layers.1.weight"])


def same_state_dict(before, model):
    after = model.state_dict()
    assert before.keys() == after.keys()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k])


# -- validation labels, evaluate's labels, complex X, np.int64 batch size ------------------------

BAD_LABELS = {
    "strings": (np.array(["0", "1", "2", "0"]), "integer class labels"),
    "out of range": (np.array([0, 1, 7, 0]), r"y_val\[2\] = 7 is not a class index in \[0, 3\)"),
    "negative": (np.array([0, -1, 2, 0]), r"y_val\[1\] = -1 is not a class index"),
    "floats": (np.array([0.0, 1.0, 2.0, 0.0]), "integer class labels"),
}


@pytest.mark.parametrize("name", BAD_LABELS)
def test_fit_checks_validation_labels_as_training_labels(B, name):
    y_val, message = BAD_LABELS[name]
    model = B.MLP(2, [4, 3], seed=0)
    before = model.state_dict()
    X, y = _data()
    with pytest.raises(ValueError, match=message) as e:
        minigrad.fit(model, B.SGD(model.parameters(), lr=0.5), X, y, progress=False,
                     validation_data=(X[:4], y_val))  # fmt: skip
    assert str(e.value).startswith("validation_data: ")
    same_state_dict(before, model)


@pytest.mark.parametrize("name", BAD_LABELS)
def test_evaluate_checks_its_labels(B, name):
    y_bad, message = BAD_LABELS[name]
    model = B.MLP(2, [4, 3], seed=0)
    X, y = _data()
    message = message.replace("y_val", "y")
    with pytest.raises(ValueError, match=message):
        minigrad.evaluate(model, X[:4], y_bad)
    assert minigrad.evaluate(model, X, y) == minigrad.evaluate(model, X, list(y))  # still works


def test_fit_and_evaluate_refuse_complex_x_without_a_warning(B):
    model = B.MLP(2, [4, 3], seed=0)
    before = model.state_dict()
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ComplexWarning would be an error here
        with pytest.raises(ValueError, match="X must hold real numbers.*complex128"):
            minigrad.fit(model, B.SGD(model.parameters()), X + 0j, y, progress=False)
        with pytest.raises(ValueError, match="validation_data: X must hold real numbers"):
            minigrad.fit(model, B.SGD(model.parameters()), X, y, progress=False,
                         validation_data=(X + 1j, y))  # fmt: skip
        with pytest.raises(ValueError, match="X must hold real numbers"):
            minigrad.evaluate(model, X + 1j, y)
        with pytest.raises(ValueError, match="X must hold real numbers.*<U"):
            minigrad.fit(model, B.SGD(model.parameters()), X.astype(str), y, progress=False)
    same_state_dict(before, model)


def test_fit_takes_a_numpy_integer_batch_size(B):
    model = B.MLP(2, [4, 3], seed=0)
    X, y = _data()
    history = minigrad.fit(model, B.SGD(model.parameters()), X, y, batch_size=np.int64(8),
                           epochs=np.int32(2), progress=False)  # fmt: skip
    assert len(history["loss"]) == 2


# -- bytes paths -----------------------------------------------------------------------------------


def test_save_load_and_draw_take_bytes_paths(B, tmp_path):
    model = B.MLP(6, [4, 3], seed=0)
    path = os.fsencode(tmp_path / "m.npz")
    assert minigrad.save(model, path) == path
    same_state(model, minigrad.load(path, backend=model.engine))
    minigrad.save(model, path)  # replacing it, too
    same_state(model, minigrad.load(path, backend=model.engine))
    with pytest.raises(ValueError, match="not a readable minigrad model file") as e:
        (tmp_path / "bad.npz").write_bytes(b"junk")
        minigrad.load(os.fsencode(tmp_path / "bad.npz"))
    assert "b'" not in str(e.value)  # named as text, as every other path
    root = B.leaf(2.0) * 3.0
    root.backward()
    for suffix in ("dot", "svg", "html"):
        target = os.fsencode(tmp_path / f"g.{suffix}")
        assert minigrad.draw(root, target) == target
        assert os.path.getsize(target) > 0


# -- the command line: a closed stdout ------------------------------------------------------------


def run_with_stdout_closed(tmp_path, *argv):
    """``minigrad ARGV >&-``: the program starts with no file descriptor 1 at all."""
    return subprocess.run(
        ["sh", "-c", '"$0" -m minigrad "$@" >&-', sys.executable, *argv],
        stderr=subprocess.PIPE, text=True, env=subprocess_env(), cwd=tmp_path, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize(
    "argv, made",
    [
        (["draw", "-o", "g.dot"], "g.dot"),
        (["train", *SMALL, "--save", "m.npz"], "m.npz"),
        (["compare", "--steps", "2", "--hidden", "4"], None),
    ],
    ids=["draw", "train", "compare"],
)
def test_a_closed_stdout_is_no_traceback(tmp_path, argv, made):
    result = run_with_stdout_closed(tmp_path, *argv)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    if made is not None:
        assert (tmp_path / made).stat().st_size > 0
    if made == "m.npz":
        assert minigrad.load(tmp_path / made).nouts == [8, 10]


def test_a_closed_stderr_is_no_crash_of_the_progress_bar(tmp_path):
    # the same for stderr (`minigrad train 2>&-`): tqdm's bar has nowhere to go
    result = subprocess.run(
        ["sh", "-c", '"$0" -m minigrad "$@" 2>&-', sys.executable, "train", "--limit", "60",
         "--epochs", "1", "--hidden", "8", "--save", "m.npz"],
        stdout=subprocess.PIPE, text=True, env=subprocess_env(), cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1].startswith("test accuracy: ")
    assert (tmp_path / "m.npz").stat().st_size > 0


# -- --save and --plot on one file ------------------------------------------------------------


@pytest.mark.parametrize("plot", ["m.npz", "./m.npz", "sub/../m.npz"])
def test_save_and_plot_to_the_same_file_is_refused_up_front(capsys, tmp_path, monkeypatch, plot):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    code, out, err = run(capsys, "train", *SMALL, "--save", "m.npz", "--plot", plot)
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == (
        f"minigrad train: error: argument --plot: {plot!r} is the --save file 'm.npz'; "
        "give the model and the plot two files"
    )
    assert not (tmp_path / "m.npz").exists()


def test_save_and_plot_to_a_hard_link_of_one_file_is_refused(capsys, tmp_path):
    model = tmp_path / "m.npz"
    model.write_bytes(b"keep me")
    os.link(model, tmp_path / "link.png")
    code, out, err = run(capsys, "train", *SMALL, "--save", str(model), "--plot",
                         str(tmp_path / "link.png"))  # fmt: skip
    assert code == 2 and out == "" and "is the --save file" in err
    assert model.read_bytes() == b"keep me"


# -- --save into a read-only directory ------------------------------------------------------------


@contextlib.contextmanager
def read_only_directory(path):
    """``path`` made a directory nobody can create a file in: mode 0o500, or for root
    (whom permissions do not stop) the immutable attribute (``chattr +i``)."""
    if os.geteuid() != 0:
        path.chmod(0o500)
        try:
            yield
        finally:
            path.chmod(0o700)
        return
    if shutil.which("chattr") is None:
        pytest.skip("root, and no chattr to make a directory read-only")
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"chattr +i failed here: {made.stderr.decode(errors='replace')}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_save_to_a_writable_file_in_a_read_only_directory_is_refused_before_training(
    capsys, tmp_path
):
    directory = tmp_path / "models"
    directory.mkdir()
    path = directory / "m.npz"
    path.write_bytes(b"keep me")
    with read_only_directory(directory):
        with open(path, "ab"):  # the file itself is writable: the old check passed
            pass
        code, out, err = run(capsys, "train", *SMALL, "--save", str(path))
    assert code == 2
    assert out == ""  # refused before any work
    assert err.splitlines()[-1].startswith(
        f"minigrad train: error: argument --save: cannot write {str(path)!r}: "
    ), err
    assert "directory" in err.splitlines()[-1]
    assert path.read_bytes() == b"keep me"
    assert os.listdir(directory) == ["m.npz"]


# -- compare: memory that grows with --steps ------------------------------------------------------


def test_compare_counts_what_grows_with_steps_before_any_output(capsys, monkeypatch):
    monkeypatch.setattr(cli, "available_memory", lambda: 32 * 2**20)  # 32 MiB

    def no_training(*args, **kwargs):
        raise KeyboardInterrupt  # (the old code got here after building every batch)

    monkeypatch.setattr(cli, "train_step", no_training)
    code, out, err = run(capsys, "compare", "--steps", "2000000", "--batch-size", "1",
                         "--hidden", "4")  # fmt: skip
    assert code == 2 and out == ""
    last = err.splitlines()[-1]
    assert last.startswith("minigrad compare: error: argument --steps: 2,000,000 steps would "
                           "need about "), last  # fmt: skip
    assert last.endswith("32.0 MiB available"), last


def test_compare_memory_grows_by_a_few_bytes_per_step(capsys, monkeypatch):
    def fake_step(model, optimizer, loss_fn, xb, tb):
        return 1.0, None

    monkeypatch.setattr(cli, "train_step", fake_step)
    steps = 20_000
    tracemalloc.start()
    try:
        code, out, err = run(capsys, "compare", "--steps", str(steps), "--batch-size", "1347",
                             "--hidden", "4")  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 0, err
    # every batch of every step kept at once would be 20000 * 1347 * 8 bytes = 215 MB
    assert peak < 20 * 2**20, peak
    assert f"{steps} steps of batch 1347" in out


def test_compare_draws_the_same_batches_as_before(capsys, monkeypatch, digits):
    """Streamed batches are the ones the whole index array gave: one permutation of the
    training set after another, from the seed, cut into consecutive batches."""
    seen = []

    def spy(model, optimizer, loss_fn, xb, tb):
        seen.append(np.array(tb))
        return 1.0, None

    monkeypatch.setattr(cli, "train_step", spy)
    code, out, err = run(capsys, "compare", "--steps", "7", "--batch-size", "500", "--seed", "3",
                         "--hidden", "4")  # fmt: skip
    assert code == 0, err
    _, _, y_train, _ = digits
    n = len(y_train)
    rng = np.random.default_rng(3)
    order = np.concatenate([rng.permutation(n) for _ in range(-(-7 * 500 // n))])
    expected = [y_train[order[i * 500 : (i + 1) * 500]] for i in range(7)]
    assert len(seen) == 14  # both engines
    for got, want in zip(seen, expected + expected):
        np.testing.assert_array_equal(got, want)


# -- NumPy warnings ---------------------------------------------------------------------------


def test_drawing_a_tensor_holding_infinities_prints_no_warning(tmp_path):
    T = minigrad.backend("tensor")
    t = T.Tensor(np.array([np.inf, -np.inf, 1, 2, 3, 4, 5.0]), requires_grad=True)
    big = T.Tensor(np.full((3, 3), 1e308), requires_grad=True)  # the mean overflows
    root = (t * 2.0).sum() + big.sum()
    with np.errstate(all="ignore"):
        root.backward()
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")
        dot = minigrad.to_dot(root)
        for suffix in ("dot", "svg", "html"):
            minigrad.draw(root, tmp_path / f"g.{suffix}")
    assert "mean nan, min -inf, max inf" in dot


def _file_with(path, key, value, dtype="float32"):
    model = minigrad.backend("tensor").MLP(3, [2], seed=0)
    arrays = model.state_dict()
    arrays[key] = np.full_like(arrays[key], value)
    meta = {"format": "minigrad", "version": 1, "class": "MLP", "nin": 3, "nouts": [2],
            "act": "relu", "engine": "tensor", "dtype": dtype}  # fmt: skip
    np.savez(path, **arrays, **{META_KEY: np.array(json.dumps(meta))})
    return path


@pytest.mark.parametrize("backend", minigrad.BACKENDS)
def test_a_float32_file_holding_1e300_is_refused_naming_the_entry(tmp_path, backend):
    path = _file_with(tmp_path / "m.npz", "layers.0.bias", 1e300)
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"'layers\.0\.bias' holds 1e\+300.*float32"):
            minigrad.load(path, backend=backend)
    # the largest float32 is fine, and so is 1e300 in a float64 file
    minigrad.load(_file_with(tmp_path / "max.npz", "layers.0.bias", np.finfo(np.float32).max))
    minigrad.load(_file_with(tmp_path / "f64.npz", "layers.0.bias", 1e300, dtype="float64"))
