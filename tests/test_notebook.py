"""The digits walkthrough: ``examples/digits.ipynb`` and its script twin ``examples/digits.py``
hold the same cells and use only minigrad's public names; the script runs; the notebook,
committed with its outputs so that GitHub shows them, executes top to bottom (nbclient,
bounded time) and gives the outputs stored in it.

"The stored outputs are current" means: the same outputs, cell by cell, in the same order;
the text printed is equal once the numbers that measure this machine (times, slowdowns) and
floating-point noise (``1.4e-17``, whose last bits depend on the BLAS build) are masked; and
every picture stored is produced again. A picture that only a richer environment draws (the
neuron needs Graphviz) may appear in a fresh run without being stored.

When the code changes what the walkthrough prints, refresh the stored outputs with
``python tests/test_notebook.py --write``.
"""

import ast
import base64
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "digits.ipynb"
SCRIPT = ROOT / "examples" / "digits.py"
REFRESH = "python tests/test_notebook.py --write"
PUBLIC_MODULES = ("minigrad", "minigrad.scalar", "minigrad.tensor")
IMAGE_TYPES = ("image/png", "image/svg+xml")


def env_with_repo():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def script_cells():
    """``(kind, source)`` of every cell of the percent-format script, as the notebook should
    hold them: markdown cells lose their ``# `` prefixes."""
    chunks = re.split(r"^# %%(.*)$", SCRIPT.read_text(), flags=re.M)
    cells = []
    for kind, body in zip(chunks[1::2], chunks[2::2]):
        body = body.strip()
        if not body:
            continue
        if kind.strip() == "[markdown]":
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in
                     body.splitlines()]  # fmt: skip
            cells.append(("markdown", "\n".join(lines)))
        else:
            cells.append(("code", body))
    return cells


def check_walkthrough_output(text):
    assert "1347 training and 450 test digits" in text
    nodes = re.search(r"a graph of (\d+) Value nodes", text)
    assert nodes and int(nodes[1]) > 5000  # one node per multiply: 64*32 + 32*16 + 16*10 + ...
    assert re.search(r"scalar engine, after 300 steps: test accuracy 0\.\d{4}", text)
    tensor = re.search(r"tensor engine: test accuracy (0\.\d{4})", text)
    assert tensor and float(tensor[1]) >= 0.96
    largest = re.search(r"largest gradient difference: (\S+)", text)
    assert largest and float(largest[1]) < 1e-12
    assert re.search(r"the scalar engine is \d+x slower", text)
    assert "[shape=record" in text  # a line of DOT source


# -- the two files hold the same walkthrough, written against the public API -----------------


def test_notebook_and_script_hold_the_same_cells():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert [(c.cell_type, c.source.strip()) for c in nb.cells] == script_cells(), (
        f"examples/digits.ipynb differs from examples/digits.py: {REFRESH}"
    )


def public_names(module):
    import importlib

    mod = importlib.import_module(module)
    return set(getattr(mod, "__all__", None) or (n for n in dir(mod) if not n.startswith("_")))


def test_the_walkthrough_uses_only_public_names():
    """Every import from minigrad is from ``minigrad``, ``minigrad.scalar`` or
    ``minigrad.tensor`` and names something they export; every ``minigrad.x`` and every
    attribute of the engines ``S``/``T`` is exported; nothing reaches for ``_private``."""
    tree = ast.parse(SCRIPT.read_text())
    engines = {"S": public_names("minigrad.scalar"), "T": public_names("minigrad.tensor")}
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module.split(".")[0] == "minigrad":
            assert node.module in PUBLIC_MODULES, f"imports from {node.module}"
            for alias in node.names:
                assert alias.name in public_names(node.module), f"{node.module}.{alias.name}"
                used.add(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "minigrad":
                    assert alias.name in PUBLIC_MODULES, f"import {alias.name}"
        elif isinstance(node, ast.Attribute):
            assert not node.attr.startswith("_"), f"uses the private name .{node.attr}"
            if isinstance(node.value, ast.Name):
                names = engines.get(node.value.id)
                if node.value.id == "minigrad":
                    names = public_names("minigrad")
                if names is not None:
                    assert node.attr in names, f"{node.value.id}.{node.attr} is not exported"
                    used.add(f"{node.value.id}.{node.attr}")
    assert {"minigrad.fit", "minigrad.to_dot", "minigrad.scalar.MLP", "T.MLP"} <= used


# -- the script runs; the notebook runs and its stored outputs are current --------------------


def test_script_runs(tmp_path):
    pytest.importorskip("matplotlib", reason="the walkthrough plots: pip install matplotlib")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env_with_repo(),
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    check_walkthrough_output(result.stdout)
    assert (tmp_path / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    run_elsewhere = tmp_path / "no-argument"
    run_elsewhere.mkdir()
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                            env=env_with_repo(), cwd=run_elsewhere, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert list(run_elsewhere.iterdir()) == []  # without a folder: a temporary one
    assert re.search(r"^wrote .*minigrad-digits-.*history\.png$", result.stdout, re.M)
    # .svg needs no Graphviz since the explorer (issue 11) lays graphs out itself
    assert (tmp_path / "neuron.svg").read_text().startswith("<svg")


def execute(nb, workdir):
    """Run ``nb`` in place, in a fresh kernel whose working directory is ``workdir`` (the
    kernel inherits this process's environment: PYTHONPATH must lead to this checkout)."""
    import nbclient

    client = nbclient.NotebookClient(
        nb,
        timeout=60,  # per cell
        kernel_name="python3",
        record_timing=False,  # no timestamps in the committed file
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    return nb


# A number that measures this machine: a time, or a ratio of times ("1027x slower").
_MEASURED = re.compile(r" *\d+(\.\d+)?(?=\s*(s|ms|µs)\b|x slower)")  # with its padding
# Floating-point noise: differences near 1e-17 whose digits depend on the BLAS build.
_NOISE = re.compile(r"\d(\.\d+)?e-\d+")


def comparable(nb):
    """Per code cell: its outputs as ``(kind, text)`` with measurements and noise masked;
    a displayed picture appears as ``("image", mime type)``."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.outputs:
            if out.output_type == "stream":
                text = _NOISE.sub("<noise>", _MEASURED.sub("<measured>", out.text))
                if outputs and outputs[-1][0] == out.name:  # a stream may arrive in pieces
                    outputs[-1] = (out.name, outputs[-1][1] + text)
                else:
                    outputs.append((out.name, text))
            elif out.output_type in ("display_data", "execute_result"):
                images = [m for m in IMAGE_TYPES if m in out.data]
                outputs.append(("image", images[0]) if images else ("data", out.data["text/plain"]))
            else:
                outputs.append((out.output_type, out.get("evalue", "")))
        cells.append(outputs)
    return cells


def is_optional_picture(fresh_output, stored_output):
    """A picture a richer environment drew (fresh) where the stored run said it could not."""
    return fresh_output[0] == "image" and stored_output[0] == "data"


def test_notebook_executes_and_its_stored_outputs_are_current(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PYTHONPATH", env_with_repo()["PYTHONPATH"])
    stored = nbformat.read(NOTEBOOK, as_version=4)
    fresh = execute(nbformat.read(NOTEBOOK, as_version=4), tmp_path)
    for cell in fresh.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", out
            if out.output_type == "stream":
                assert "Warning" not in out.text, out.text  # TqdmWarning, RuntimeWarning, ...
    text = "".join(o.text for c in fresh.cells for o in c.get("outputs", []) if "text" in o)
    check_walkthrough_output(text)
    # the pictures are shown inline, written to a temporary folder: nothing lands in the
    # folder the notebook runs in, a clone's examples/ (issue 18, item 17)
    assert list(tmp_path.iterdir()) == []
    shown = [m for c in fresh.cells for o in c.get("outputs", []) for m in o.get("data", {})]
    assert "image/svg+xml" in shown  # the neuron: .svg needs no Graphviz (issue 11)

    stale = f"the outputs stored in examples/digits.ipynb are not current: {REFRESH}"
    want, got = comparable(stored), comparable(fresh)
    assert len(want) == len(got), stale
    for i, (w, g) in enumerate(zip(want, got)):
        pairs = list(zip(g, w))
        assert len(g) == len(w), f"code cell {i}: {stale}\nstored {w}\nfresh  {g}"
        for fresh_out, stored_out in pairs:
            if not is_optional_picture(fresh_out, stored_out):
                assert fresh_out == stored_out, f"code cell {i}: {stale}"


def test_stored_outputs_show_the_pictures():
    """GitHub shows a notebook's stored outputs: they are there, with no error, no local
    path, and pictures that decode."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), f"run the notebook before committing: {REFRESH}"
    pictures = []
    for cell in code:
        for out in cell.outputs:
            assert out.output_type != "error"
            assert str(ROOT) not in str(out) and "/tmp/" not in str(out)
            pictures += [(m, out.data[m]) for m in IMAGE_TYPES if m in out.get("data", {})]
    assert "image/png" in [m for m, _ in pictures]  # the training curves
    for mime, data in pictures:
        if mime == "image/png":
            assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            assert "<svg" in data
    check_walkthrough_output("".join(o.text for c in code for o in c.outputs if "text" in o))


# -- refreshing the stored outputs ------------------------------------------------------------


def write_notebook():
    """Rebuild examples/digits.ipynb from the script, run it, and store it with its outputs."""
    import nbformat

    old = nbformat.read(NOTEBOOK, as_version=4)
    cells = []
    for i, (kind, source) in enumerate(script_cells()):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(source)
        if i < len(old.cells) and old.cells[i].cell_type == kind:
            cell.id = old.cells[i].id  # keep ids stable, so diffs show only what changed
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells, metadata=old.metadata)
    os.environ["PYTHONPATH"] = env_with_repo()["PYTHONPATH"]
    with tempfile.TemporaryDirectory() as workdir:
        execute(nb, workdir)
    nbformat.validate(nb)
    nbformat.write(nb, NOTEBOOK)
    print(f"wrote {NOTEBOOK.relative_to(ROOT)} with its outputs")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(f"usage: {REFRESH}")
    write_notebook()
