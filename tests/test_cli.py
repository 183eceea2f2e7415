"""The ``minigrad`` command line: ``train``, ``compare``, ``draw`` and bad usage, called
through ``main(argv)`` and through the real entry points in a subprocess."""

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad.tools.cli import build_parser, main

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


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("flag", ["--plot", "--save"])
def test_a_full_device_is_named_in_the_error(capsys, flag):
    # the write fails after the checks up front (the path is writable): the error still
    # names the path, as for every other file the command cannot write
    if flag == "--plot":
        pytest.importorskip("matplotlib")
    code, out, err = run(capsys, "train", *SMALL, flag, "/dev/full")
    assert code == 2
    assert "No space left on device: /dev/full" in err
    assert "Traceback" not in err


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
    if "--plot" in argv:  # without matplotlib, --plot is refused for that first
        pytest.importorskip("matplotlib", reason="--plot needs: pip install matplotlib")
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


# -- issue 10: a user's mistake or a diverging run never prints a traceback --------------------

DIVERGED = "training diverged: non-finite loss at epoch 1, step {} of 43; try a smaller --lr\n"


@pytest.mark.parametrize(
    "argv, step",
    [(["--lr", "1e300"], 2), (["--act", "linear", "--lr", "1"], 16)],
    ids=["lr 1e300", "linear lr 1"],
)
def test_a_diverging_run_ends_with_one_line_and_exit_1(capsys, argv, step):
    code, out, err = run(capsys, "train", *argv, "--no-progress")
    assert code == 1
    assert err == DIVERGED.format(step)  # NumPy's overflow warnings included: none
    assert out.startswith("minigrad train: tensor engine")  # what it did before, on stdout


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_diverging_run_with_a_progress_bar_still_ends_with_that_line(monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    code = main(["train", "--lr", "1e300"])
    err = sys.stderr.getvalue()
    assert code == 1 and "1/43" in err  # the bar was drawn
    assert err.endswith("\n" + DIVERGED.format(2)) and "Traceback" not in err


def test_train_into_a_log_draws_no_bar_and_no_second_epoch_line(capsys):
    code, out, err = run(capsys, "train", "--limit", "100", "--epochs", "2", "--hidden", "8")
    assert code == 0 and err == ""  # stderr is no terminal here: the epoch lines on stdout say it
    assert len(re.findall(r"^epoch \d/2 ", out, re.M)) == 2


def test_a_diverging_scalar_run(capsys):
    code, out, err = run(capsys, "train", "--backend", "scalar", "--limit", "64", "--hidden", "4",
                         "--lr", "1e300", "--no-progress")  # fmt: skip
    assert code == 1
    assert err == "training diverged: non-finite loss at epoch 1, step 2 of 2; try a smaller --lr\n"


def test_a_diverging_compare(capsys):
    code, out, err = run(capsys, "compare", "--lr", "1e300", "--steps", "3", "--hidden", "8",
                         "--act", "relu")  # fmt: skip
    assert code == 1
    assert re.fullmatch(r"training diverged: non-finite loss at step [23] of 3 \((scalar|tensor) "
                        r"engine\); try a smaller --lr\n", err)  # fmt: skip


def test_running_out_of_memory_is_one_line_and_exit_1(capsys, monkeypatch):
    def fit(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(minigrad, "fit", fit)
    code, out, err = run(capsys, "train", *SMALL)
    assert code == 1
    assert err == "out of memory: try a smaller --hidden or --batch-size\n"


@pytest.mark.parametrize(
    "argv, text",
    [
        (
            ["train", "--hidden", "1000000", "1000000"],
            "MLP(64, [1000000, 1000000, 10]) has 1,000,076,000,010 parameters",
        ),
        (
            ["compare", "--hidden", "100000", "100000"],
            "MLP(64, [100000, 100000, 10]) has 10,007,600,010 parameters",
        ),
    ],  # fmt: skip
    ids=["train", "compare"],
)
def test_a_network_too_big_for_memory_is_refused_up_front(capsys, tmp_path, argv, text):
    save = tmp_path / "m.npz"
    extra = ["--save", str(save)] if argv[0] == "train" else []
    code, out, err = run(capsys, *argv, *extra)
    assert code == 2 and out == ""
    last = err.splitlines()[-1]
    assert re.fullmatch(
        rf"minigrad {argv[0]}: error: argument --hidden: {re.escape(text)}; training it would "
        r"need about [\d.]+ [KMGTP]iB of memory, [\d.]+ [KMGTP]?i?B(ytes)? available",
        last,
    ), last
    assert not save.exists()  # the check that --save is writable left no file behind


def test_the_memory_estimate_covers_what_a_step_takes(digits):
    """training_memory's figure is at least what one step really holds (tracemalloc sees
    NumPy's buffers too) and, for the scalar engine, whose cost is all graph, not far above."""
    import tracemalloc

    from minigrad.tools.cli import training_memory

    X, _, y, _ = digits
    for backend in minigrad.BACKENDS:
        B = minigrad.backend(backend)
        tracemalloc.start()
        try:
            model = B.MLP(64, [16, 10], seed=0)
            optimizer = B.SGD(model.parameters(), lr=0.1, momentum=0.9)
            B.cross_entropy_loss(model(X[:8]), y[:8]).backward()
            optimizer.step()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        estimate = training_memory(backend, [64, 16, 10], 8)
        assert peak <= estimate, (backend, peak, estimate)
        if backend == "scalar":
            assert estimate < 3 * peak, (peak, estimate)


@pytest.fixture
def unwritable_dir(tmp_path):
    """A directory this process cannot create files in: a read-only one, or for root (whom
    permissions do not stop) a directory of Linux's sysfs."""
    if os.name == "posix" and os.geteuid() != 0:
        path = tmp_path / "read-only"
        path.mkdir(mode=0o500)
        yield path
        path.chmod(0o700)
        return
    try:
        open("/sys/minigrad-probe.npz", "ab").close()
    except OSError:
        yield Path("/sys")
        return
    pytest.skip("no directory here that this user cannot write")


@pytest.mark.parametrize("option", ["--save", "--plot"])
def test_an_unwritable_output_path_is_refused_before_training(capsys, unwritable_dir, option):
    if option == "--plot":  # without matplotlib, --plot is refused for that first
        pytest.importorskip("matplotlib", reason="--plot needs: pip install matplotlib")
    code, out, err = run(capsys, "train", *SMALL, option, str(unwritable_dir / "out.png"))
    assert code == 2
    assert out == ""  # refused before any work
    assert err.splitlines()[-1].startswith(f"minigrad train: error: argument {option}: cannot "
                                           f"write '{unwritable_dir / 'out.png'}': ")  # fmt: skip


def test_the_writability_probe_leaves_an_existing_file_alone(capsys, tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(b"keep me")
    code, out, err = run(capsys, "train", *SMALL, "--save", str(path), "--hidden", "10000000",
                         "10000000")  # fmt: skip
    assert code == 2
    assert path.read_bytes() == b"keep me"


def test_adam_without_lr_uses_1e_3(capsys, monkeypatch):
    seen = {}
    real_fit = minigrad.fit

    def fit(model, optimizer, *args, **kwargs):
        seen["lr"] = optimizer.lr
        return real_fit(model, optimizer, *args, **kwargs)

    monkeypatch.setattr(minigrad, "fit", fit)
    code, out, err = run(capsys, "train", *SMALL, "--optimizer", "adam")
    assert code == 0, err
    assert seen["lr"] == 1e-3 and "Adam(lr=0.001, weight_decay=0)" in out.splitlines()[0]
    code, out, err = run(capsys, "train", *SMALL)  # SGD keeps its tuned 0.1
    assert seen["lr"] == 0.1 and "SGD(lr=0.1, " in out.splitlines()[0]
    code, out, err = run(capsys, "compare", "--steps", "1", "--hidden", "4", "--optimizer", "adam")
    assert code == 0 and "Adam(lr=0.01, weight_decay=0)" in out.splitlines()[0]  # compare's own


def test_the_default_compare_shows_a_loss_that_falls(capsys):
    """Issue 18, item 14: 2.267 -> 2.285 -> 2.321 with ReLU and lr 0.1 read as broken."""
    code, out, err = run(capsys, "compare")
    assert code == 0, err
    assert "act='tanh'), SGD(lr=0.5, momentum=0, weight_decay=0), 20 steps" in out
    steps = re.findall(r"^step +(\d+): loss scalar (\S+)  tensor (\S+)$", out, re.M)
    assert [s[0] for s in steps] == ["1", "11", "20"]
    for engine in (1, 2):
        first, middle, last = (float(s[engine]) for s in steps)
        assert first > middle > last and last < first - 0.3


def help_entries(text):
    """Option name -> its help text, from the options section of argparse's help."""
    section = text.split("\noptions:\n", 1)[1]
    entries = re.split(r"^  (?=-)", section, flags=re.M)[1:]
    return {e.split()[0].rstrip(","): " ".join(e.split()) for e in entries}


@pytest.mark.parametrize("command", ["train", "compare"])
def test_help_shows_every_default(capsys, command):
    code, out, err = run(capsys, command, "-h")
    assert code == 0
    entries = help_entries(out)
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    options = [a.option_strings[0] for a in subparsers.choices[command]._actions]
    assert sorted(entries) == sorted(options) and len(options) >= 8
    for option, entry in entries.items():
        if option != "-h":
            assert "default: " in entry and "None" not in entry, entry
    assert "hidden layer widths (default: " in entries["--hidden"]
    lr = {"train": "(default: 0.1 for sgd, 0.001 for adam)", "compare": "(default: 0.5 for sgd"}
    assert lr[command] in entries["--lr"]


def test_options_without_a_command_run_train(capsys):
    code, out, err = run(capsys, "--epochs", "1", "--limit", "50", "--hidden", "4", "--no-progress")
    assert code == 0, err
    assert out.startswith("minigrad train: ") and ", 1 epochs, " in out
    assert ACCURACY_LINE.match(out.strip().splitlines()[-1])
    code, out, err = run(capsys, "--frobnicate")
    assert code == 2 and err.splitlines()[-1] == (
        "minigrad: error: unrecognized arguments: --frobnicate"
    )
    code, out, err = run(capsys, "-h")  # still the program's own help
    assert code == 0 and "COMMAND" in out and "--version" in out


def test_plot_says_test_for_the_test_set(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    legends = []
    savefig = Figure.savefig

    def spy(fig, *args, **kwargs):
        for ax in fig.axes:
            if ax.get_legend() is not None:
                legends.append([t.get_text() for t in ax.get_legend().get_texts()])
        return savefig(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    code, out, err = run(capsys, "train", *SMALL, "--plot", str(tmp_path / "c.png"))
    assert code == 0, err
    assert legends == [["train", "test"]]
    assert "test accuracy" in out  # the word the command line uses for the same numbers


# -- a closed stdout (`minigrad train | head -1`) -------------------------------------------------


def test_stdout_closed_before_the_first_line_exits_quietly(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: the first write fails with EPIPE
    try:
        result = subprocess.run(
            [sys.executable, "-m", "minigrad", "train", *SMALL],
            stdout=write_end, stderr=subprocess.PIPE, text=True, env=subprocess_env(),
            cwd=tmp_path, timeout=120,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert result.stderr == ""  # no traceback, no usage message, no "Exception ignored"
    assert result.returncode == 141  # what a shell reports for a program SIGPIPE stopped


def test_head_1_exits_quietly(tmp_path):
    # 2000 epoch lines are far more than a pipe buffers (64 KiB on Linux), so the program is
    # certain to write again after the reader has gone.
    proc = subprocess.Popen(
        [sys.executable, "-m", "minigrad", "train", "--limit", "32", "--hidden", "4",
         "--epochs", "2000", "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env(),
        cwd=tmp_path,
    )  # fmt: skip
    try:
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        code = proc.wait(timeout=120)
    finally:
        proc.kill()
    assert first.startswith("minigrad train: tensor engine")
    assert err == ""
    assert code == 141
