"""README.md's Quick start: two commands, one that installs and runs ``minigrad train`` and
one that installs and runs the tests; CI (``.ci/run``) installs and tests with the second,
verbatim; and the editable install works from the folder that holds a clone named
``minigrad/``, because the build backend's editable wheel puts the clone on ``sys.path``."""

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)[1]
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_is_two_commands():
    train, test = quick_start_commands()
    assert train.startswith("pip install -e . ") and train.endswith("&& minigrad train")
    assert test.startswith('pip install -e ".[test]" ') and test.endswith("&& pytest")


def test_ci_installs_and_tests_as_the_quick_start_says():
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    _, test = quick_start_commands()
    assert test in ci
    others = [line for line in ci if line != test and ("pytest" in line or " -e " in line)]
    others = [line for line in others if not line.startswith("#")]
    # one more run (issue 20): the same suite against the installed wheel, from a copy of
    # the tree without minigrad/, where a test checks that minigrad comes from site-packages
    (wheel_run,) = others
    assert (
        "MINIGRAD_TEST_INSTALLED=1" in wheel_run
        and '"$work/venv/bin/python" -m pytest' in wheel_run
    )
    assert 'cd "$work/tree"' in wheel_run and " -e " not in wheel_run
    assert any(line.startswith("python -m pip wheel . --no-deps") for line in ci)


def test_the_editable_install_works_beside_a_folder_named_minigrad(tmp_path, monkeypatch):
    """Build the editable wheel as ``pip install -e .`` does, install its ``.pth`` file into
    a site directory, and import minigrad from a folder holding a clone named ``minigrad/``.

    setuptools' editable wheel holds an import hook that Python asks only after its own path
    search, and that search takes the folder ``minigrad/`` in the working directory for an
    empty namespace package; a ``.pth`` file naming the clone puts the real package on that
    search path, where a regular package wins over a namespace folder."""
    if not (ROOT / "minigrad").is_dir():
        pytest.skip("a test of the clone's editable install; this run tests an installed wheel")
    pyproject = (ROOT / "pyproject.toml").read_text()
    backend = re.search(r'^build-backend = "([^"]+)"', pyproject, re.M)[1]
    build = pytest.importorskip(backend, reason=f"needs the build backend {backend}")
    for requirement in build.get_requires_for_build_editable():
        module = re.match(r"[A-Za-z0-9_.-]+", requirement)[0].replace("-", "_")
        pytest.importorskip(module, reason=f"the editable build needs: pip install {module}")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    monkeypatch.chdir(ROOT)
    name = build.build_editable(str(wheels))
    site = tmp_path / "site-packages"
    with zipfile.ZipFile(wheels / name) as wheel:
        pth = [n for n in wheel.namelist() if n.endswith(".pth")]
        assert len(pth) == 1, wheel.namelist()
        wheel.extract(pth[0], site)
    assert (site / pth[0]).read_text().split() == [str(ROOT)]

    parent = tmp_path / "parent"
    (parent / "minigrad").mkdir(parents=True)  # what the folder holding a clone looks like
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = (
        "import site, sys; site.addsitedir(sys.argv[1]); import minigrad, minigrad.tensor; "
        "print(minigrad.__file__); print(minigrad.backend('tensor').__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(site)],
        capture_output=True, text=True, cwd=parent, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(ROOT / "minigrad" / "__init__.py"), "minigrad.tensor"]


def test_the_tour_names_its_loop_truly_says_how_long_and_is_not_silent(monkeypatch, capsys):
    """The tour's hand-written loop (issue 18, item 13): named for what it is (the seed
    README's digits loop, not micrograd's moons demo), with its length and time, and it
    prints as it goes. Run as written, on 61 training digits so the suite stays fast."""
    import minigrad

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A short tour", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S)[1]
    assert "not\n# micrograd's moons demo" in code and "1347 steps, about 10 s" in code
    digits = minigrad.load_digits()
    assert len(digits[0]) == 1347  # what the comment says
    X_train, X_test, y_train, y_test = digits
    monkeypatch.setattr(minigrad, "load_digits", lambda: (X_train[:601], X_test, y_train[:601],
                                                          y_test))  # fmt: skip
    exec(compile(code, "README.md (A short tour)", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in printed[:3]] == ["0/601", "300/601", "600/601"]
    assert 0.1 < float(printed[3]) <= 1.0  # the accuracy


def test_the_skip_table_installs_what_the_test_extra_does_not_and_torch_for_the_cpu():
    """Issue 18, item 18: the table named `pip install playwright` though `[test]` installs
    it, and `[oracle]` pulled PyTorch's 6 GB CUDA build."""
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")

    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra = extra["optional-dependencies"]["test"]
    in_test = {re.split(r"[<>=\[ ]", req, maxsplit=1)[0].lower() for req in extra}
    readme = (ROOT / "README.md").read_text()
    table = readme.split("| skipped without |", 1)[1].split("\n\n", 1)[0]
    rows = {row.split("|")[1].strip(): row.split("|")[3] for row in table.splitlines()[2:]}
    for name, install in rows.items():
        for package in re.findall(r"`pip install ([\w-]+)", install):
            assert package.lower() not in in_test, f"{name}: [test] installs {package} already"
    assert "--index-url https://download.pytorch.org/whl/cpu" in rows["PyTorch"]
