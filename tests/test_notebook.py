"""The digits walkthrough: ``examples/digits.ipynb`` executes top to bottom (nbclient, bounded
time), ``examples/digits.py`` runs as a script, and the two hold the same code."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "examples" / "digits.ipynb"
SCRIPT = ROOT / "examples" / "digits.py"


def env_with_repo():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def script_cells():
    """The code cells of the percent-format script, as the notebook should hold them."""
    chunks = re.split(r"^# %%(.*)$", SCRIPT.read_text(), flags=re.M)
    return [
        body.strip()
        for kind, body in zip(chunks[1::2], chunks[2::2])
        if kind.strip() != "[markdown]" and body.strip()
    ]


def check_walkthrough_output(text):
    assert "1347 training and 450 test digits" in text
    assert re.search(r"scalar engine, after 300 steps: test accuracy 0\.\d{4}", text)
    tensor = re.search(r"tensor engine: test accuracy (0\.\d{4})", text)
    assert tensor and float(tensor[1]) >= 0.96
    largest = re.search(r"largest gradient difference: (\S+)", text)
    assert largest and float(largest[1]) < 1e-12
    assert re.search(r"the scalar engine is \d+x slower", text)
    assert "[shape=record" in text  # a line of DOT source


def test_notebook_and_script_hold_the_same_code():
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c.source.strip() for c in nb.cells if c.cell_type == "code"]
    assert code == script_cells()
    assert all(not c.outputs for c in nb.cells if c.cell_type == "code")  # committed stripped


def test_script_runs(tmp_path):
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
    # .svg needs no Graphviz since the explorer (issue 11) lays graphs out itself
    assert (tmp_path / "neuron.svg").read_text().startswith("<svg")


def test_notebook_executes(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("PYTHONPATH", env_with_repo()["PYTHONPATH"])  # the kernel inherits it
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=60,  # per cell
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working directory
    )
    client.execute()
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", output
            if output.output_type == "stream":
                texts.append(output.text)
            elif "data" in output:
                texts.append(" ".join(output.data))
    text = "".join(texts)
    check_walkthrough_output(text)
    assert (tmp_path / "neuron.svg").exists()  # .svg needs no Graphviz (issue 11)
    assert "image/svg+xml" in text  # displayed inline
