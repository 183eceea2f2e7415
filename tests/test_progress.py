"""fit's progress bar in Jupyter: tqdm's widget where ipywidgets is installed, its text bar
elsewhere, and never the ``TqdmWarning`` that ``tqdm.auto`` prints in a kernel without
ipywidgets ("IProgress not found. Please update jupyter and ipywidgets.")."""

import io
import os
import re
import sys
import types
import warnings
from pathlib import Path

import pytest
from tqdm.std import tqdm as text_tqdm

import minigrad
from minigrad.tools.training import progress_bar_class

ROOT = Path(__file__).resolve().parents[1]


def fit_a_little(digits):
    X, _, y, _ = digits
    T = minigrad.backend("tensor")
    model = T.MLP(64, [10], seed=0)
    return minigrad.fit(model, T.SGD(model.parameters(), lr=0.1), X[:64], y[:64], batch_size=32)


@pytest.fixture
def kernel_without_ipywidgets(monkeypatch):
    """What a Jupyter kernel looks like to the code that picks a bar, ipywidgets missing."""
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("ipykernel.zmqshell"))
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # find_spec says: not installed
    for key in [k for k in os.environ if k == "QT_API" or k.startswith("SPYDER")]:
        monkeypatch.delenv(key)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_outside_jupyter_on_a_terminal_the_bar_is_text(monkeypatch, digits):
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert progress_bar_class() is text_tqdm
    fit_a_little(digits)
    assert "epoch 1/1" in sys.stderr.getvalue() and "2/2" in sys.stderr.getvalue()  # the bar


@pytest.mark.parametrize("stderr", [io.StringIO(), None])
def test_where_stderr_is_no_terminal_no_bar_but_a_plain_line_per_epoch(monkeypatch, digits, stderr):
    class Log(io.StringIO):
        isatty = None  # a stream without a working isatty

    log = stderr if stderr is not None else Log()
    monkeypatch.setattr(sys, "stderr", log)
    assert progress_bar_class() is None
    X, _, y, _ = digits
    T = minigrad.backend("tensor")
    model = T.MLP(64, [10], seed=0)
    minigrad.fit(model, T.SGD(model.parameters(), lr=0.1), X[:64], y[:64], epochs=2,
                 batch_size=32, validation_data=(X[64:96], y[64:96]))  # fmt: skip
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) == 2
    assert re.fullmatch(r"epoch 1/2: loss \d\.\d{4}, validation accuracy \d\.\d{4}, "
                        r"\d+\.\d\d s", lines[0])  # fmt: skip
    assert lines[1].startswith("epoch 2/2: loss ")


def test_progress_false_writes_nothing(monkeypatch, digits):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    X, _, y, _ = digits
    T = minigrad.backend("tensor")
    model = T.MLP(64, [10], seed=0)
    minigrad.fit(model, T.SGD(model.parameters(), lr=0.1), X[:64], y[:64], progress=False)
    assert sys.stderr.getvalue() == ""


def test_a_kernel_without_ipywidgets_gets_the_text_bar_and_no_warning(
    kernel_without_ipywidgets, digits, capsys
):
    assert progress_bar_class() is text_tqdm
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning, TqdmWarning included, fails the test
        history = fit_a_little(digits)
    assert len(history["loss"]) == 1
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "2/2" in err  # the text bar was drawn


def test_a_kernel_with_ipywidgets_gets_the_widget(monkeypatch):
    pytest.importorskip("ipywidgets", reason="the widget needs ipywidgets: pip install ipywidgets")
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("ipykernel.zmqshell"))
    from tqdm.notebook import tqdm as notebook_tqdm

    assert progress_bar_class() is notebook_tqdm
    monkeypatch.setenv("QT_API", "pyqt5")  # a Qt console shows no widgets
    assert progress_bar_class() is text_tqdm


@pytest.mark.slow
def test_in_a_real_kernel_import_and_fit_print_no_tqdm_warning(monkeypatch, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", path)  # the kernel inherits it
    code = """\
import minigrad
X, _, y, _ = minigrad.load_digits()
T = minigrad.backend("tensor")
model = T.MLP(64, [10], seed=0)
history = minigrad.fit(model, T.SGD(model.parameters(), lr=0.1), X[:64], y[:64], batch_size=32)
print("epochs trained:", len(history["loss"]))"""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    client = nbclient.NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = nb.cells[0].outputs
    text = "".join(o.get("text", "") for o in outputs)
    assert all(o.output_type != "error" for o in outputs), outputs
    assert "epochs trained: 1" in text
    assert "Warning" not in text and "IProgress" not in text, text
