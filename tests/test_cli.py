"""The ``minigrad`` command line: ``train``, ``compare``, ``draw`` and bad usage, called
through ``main(argv)`` and through the real entry points in a subprocess."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad.tools.cli import main

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--limit", "200", "--epochs", "2", "--no-progress", "--hidden", "16"]
ACCURACY_LINE = re.compile(r"^test accuracy: (0\.\d{4}|1\.0000)$")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def confusion_rows(out):
    lines = out.splitlines()
    start = lines.index("confusion matrix (rows: true digit, columns: predicted digit)")
    header = lines[start + 1].split()
    assert header == ["true\\pred", *map(str, range(10))]
    rows = [list(map(int, line.split())) for line in lines[start + 2 : start + 12]]
    assert [r[0] for r in rows] == list(range(10))
    return np.array([r[1:] for r in rows])


def test_train_tensor_prints_epochs_confusion_matrix_and_accuracy(capsys):
    code, out, err = run(capsys, "train", *SMALL)
    assert code == 0, err
    assert "tensor engine" in out and "200 training / 450 test digits" in out
    epochs = re.findall(r"^epoch (\d)/2  loss (\S+)  train accuracy \S+  test accuracy (\S+)  "
                        r"\S+ s$", out, re.M)  # fmt: skip
    assert [e[0] for e in epochs] == ["1", "2"]
    assert float(epochs[1][1]) < float(epochs[0][1])  # the loss goes down
    matrix = confusion_rows(out)
    assert matrix.sum() == 450
    last = out.strip().splitlines()[-1]
    assert ACCURACY_LINE.match(last)
    accuracy = float(last.split()[-1])
    assert accuracy == pytest.approx(np.trace(matrix) / 450, abs=5e-5)
    assert accuracy == pytest.approx(float(epochs[1][2]), abs=5e-5)
    assert accuracy > 0.2  # chance is 0.1


def test_train_scalar_tiny(capsys):
    code, out, err = run(capsys, "train", "--backend", "scalar", "--limit", "20", "--epochs", "2",
                         "--hidden", "4", "--batch-size", "10", "--no-progress")  # fmt: skip
    assert code == 0, err
    assert "scalar engine" in out
    assert re.search(r"^epoch 2/2  loss ", out, re.M)
    assert confusion_rows(out).sum() == 450
    assert ACCURACY_LINE.match(out.strip().splitlines()[-1])


def test_train_defaults_reach_96_percent(capsys):
    code, out, err = run(capsys, "train", "--no-progress")
    assert code == 0, err
    assert "MLP(64, [64, 32, 10], act='relu')" in out
    assert float(out.strip().splitlines()[-1].split()[-1]) >= 0.96


def test_train_save_then_load_in_both_engines(capsys, tmp_path, digits):
    _, X_test, _, y_test = digits
    path = tmp_path / "digits.npz"
    code, out, err = run(capsys, "train", *SMALL, "--optimizer", "adam", "--lr", "0.01",
                         "--save", str(path))  # fmt: skip
    assert code == 0, err
    assert f"saved model to {path}" in out
    printed = float(out.strip().splitlines()[-1].split()[-1])
    for backend in minigrad.BACKENDS:
        model = minigrad.load(path, backend=backend)
        assert model.nouts == [16, 10]
        assert minigrad.evaluate(model, X_test, y_test) == pytest.approx(printed, abs=5e-5)


def test_train_plot_writes_a_png(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "curves.png"
    code, out, err = run(capsys, "train", *SMALL, "--plot", str(path))
    assert code == 0, err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_engines_agree(capsys):
    code, out, err = run(capsys, "compare", "--steps", "3", "--batch-size", "4", "--hidden", "5")
    assert code == 0, err
    weight = float(re.search(r"^max weight difference: (\S+)$", out, re.M)[1])
    loss = float(re.search(r"^max loss difference: +(\S+)$", out, re.M)[1])
    assert weight < 1e-9 and loss < 1e-9
    assert re.search(r"^scalar engine: \d+(\.\d+)? ms per step", out, re.M)
    assert re.search(r"^tensor engine: \d+(\.\d+)? ms per step", out, re.M)
    assert re.search(r"^scalar engine: \d+x slower$", out, re.M)


@pytest.mark.parametrize("backend", minigrad.BACKENDS)
def test_draw_writes_dot(capsys, tmp_path, backend):
    path = tmp_path / "x.dot"
    code, out, err = run(capsys, "draw", "--backend", backend, "-o", str(path))
    assert code == 0, err
    text = path.read_text()
    assert text.startswith("digraph minigrad {") and 'label="tanh"' in text
    assert "data 0.7071" in text
    code, out, err = run(capsys, "draw", "--mlp", "--backend", backend, "-o", str(path))
    assert code == 0, err
    text = path.read_text()
    assert ('label="linear"' if backend == "tensor" else 'label="sum"') in text


def test_draw_svg_and_html_need_no_graphviz(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "graphviz", None)  # as in a fresh venv
    monkeypatch.setattr(shutil, "which", lambda name: None)  # and no dot program
    code, out, err = run(capsys, "draw")  # default: graph.svg
    assert code == 0, err
    assert (tmp_path / "graph.svg").read_text().startswith("<svg")
    code, out, err = run(capsys, "draw", "-o", "graph.html")
    assert code == 0, err
    assert out == "wrote the graph of tanh(w1*x1 + w2*x2 + b) (scalar engine) to graph.html\n"
    assert 'data-node="9"' in (tmp_path / "graph.html").read_text()


BAD = [
    (["train", "--lr", "-1"], "--lr"),
    (["train", "--lr", "0"], "--lr"),
    (["train", "--lr", "nan"], "--lr"),
    (["train", "--lr", "fast"], "--lr"),
    (["train", "--momentum", "-0.5"], "--momentum"),
    (["train", "--weight-decay", "-1"], "--weight-decay"),
    (["train", "--backend", "torch"], "--backend"),
    (["train", "--act", "gelu"], "--act"),
    (["train", "--optimizer", "lbfgs"], "--optimizer"),
    (["train", "--limit", "0"], "--limit"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--batch-size", "2.5"], "--batch-size"),
    (["train", "--hidden"], "--hidden"),
    (["train", "--hidden", "16", "0"], "--hidden"),
    (["train", "--save", "{tmp}/no/such/dir/m.npz"], "does not exist"),
    (["train", "--plot", "{tmp}/no/such/dir/c.png"], "does not exist"),
    (["train", "--save", "{tmp}"], "is a directory"),
    (["train", "--frobnicate"], "unrecognized arguments"),
    (["compare", "--steps", "0"], "--steps"),
    (["compare", "--lr", "-0.1"], "--lr"),
    (["draw", "-o", "{tmp}/graph.txt"], ".svg"),
    (["draw", "--backend", "jax"], "--backend"),
    (["draw", "--compare", "-o", "{tmp}/both.svg"], "writes an .html page"),
    (["fly"], "invalid choice"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_usage_exits_2_with_a_message(capsys, tmp_path, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""  # rejected before any work
    assert "error:" in err and message in err
    assert "Traceback" not in err


def test_a_library_value_error_becomes_a_usage_error(capsys, monkeypatch):
    def fit(*args, **kwargs):
        raise ValueError("batch_size must be a positive integer, got 0")

    monkeypatch.setattr(minigrad, "fit", fit)
    code, out, err = run(capsys, "train", *SMALL)
    assert code == 2
    assert "minigrad train: error: batch_size must be a positive integer" in err


def test_help_exits_0(capsys):
    code, out, err = run(capsys, "--help")
    assert code == 0 and "train" in out and "compare" in out and "draw" in out
    code, out, err = run(capsys, "train", "--help")
    assert code == 0 and "--batch-size" in out


# -- the real entry points --------------------------------------------------------------------


def subprocess_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def test_python_dash_m_minigrad(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "train", "--limit", "100", "--epochs", "1",
         "--hidden", "8", "--no-progress"],  # fmt: skip
        capture_output=True, text=True, env=subprocess_env(), cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert ACCURACY_LINE.match(result.stdout.strip().splitlines()[-1])
    bad = subprocess.run(
        [sys.executable, "-m", "minigrad", "train", "--lr", "-1"],
        capture_output=True, text=True, env=subprocess_env(), cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "argument --lr" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.skipif(shutil.which("minigrad") is None, reason="console script not installed")
def test_console_script(tmp_path):
    result = subprocess.run(
        ["minigrad", "draw", "-o", "g.dot"],
        capture_output=True, text=True, env=subprocess_env(), cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.dot").read_text().startswith("digraph minigrad {")
    bad = subprocess.run(
        ["minigrad", "compare", "--batch-size", "0"],
        capture_output=True, text=True, env=subprocess_env(), cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
