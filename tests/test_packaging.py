"""minigrad as a package, not only a clone (issue 20): it runs from a zip, the package page's
links work, and (when CI runs the suite against the installed wheel) the minigrad under test
is the installed one."""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import minigrad

ROOT = Path(__file__).resolve().parents[1]


def test_the_explorer_writes_its_page_from_a_zipapp(tmp_path):
    """Package data is read with importlib.resources, not through __file__: from a zip
    (python -m zipapp, pex, shiv) the explorer's script and styles are still found."""
    app = tmp_path / "app"
    shutil.copytree(Path(minigrad.__file__).parent, app / "minigrad",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    pyz = tmp_path / "minigrad.pyz"
    subprocess.run([sys.executable, "-m", "zipapp", str(app), "-o", str(pyz),
                    "-m", "minigrad.tools.cli:main"], check=True)  # fmt: skip
    page = tmp_path / "page.html"
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import minigrad.tools.explorer; "
        "import minigrad; assert minigrad.__file__.startswith(sys.argv[1]), minigrad.__file__; "
        "from minigrad.scalar import Value; a = Value(2.0, label='a'); b = (a * a).tanh(); "
        "b.backward(); minigrad.explore(b, sys.argv[2])"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", code, str(pyz), str(page)], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = page.read_text()
    js = (Path(minigrad.__file__).parent / "tools" / "explorer.js").read_text()
    assert js.splitlines()[3] in html and "<style>" in html  # the script and styles inlined


def test_the_package_page_links_are_absolute_and_point_at_files_that_exist():
    """The build writes the package page from README.md with its relative links made
    absolute (pyproject's fancy-pypi-readme substitutions): every relative link of the
    README must name a file of the repository, and after the substitutions none is left."""
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11+")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    hook = config["tool"]["hatch"]["metadata"]["hooks"]["fancy-pypi-readme"]
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)]+)\)", readme)
    relative = [link for link in links if not re.match(r"https?://|#", link)]
    assert relative, "the README links to docs/ and pictures"
    for link in relative:
        assert (ROOT / link).is_file(), f"README links to {link}, which does not exist"
    page = readme
    for sub in hook["substitutions"]:
        page = re.sub(sub["pattern"], sub["replacement"], page)
    urls = re.findall(r"\]\(([^)]+)\)", page)
    assert all(re.match(r"https?://|#", u) for u in urls), urls
    repository = config["project"]["urls"]["Homepage"].split("github.com", 1)[1]  # /owner/name
    for link in relative:
        assert any(
            u.endswith(f"{repository}/main/{link}") or u.endswith(f"{repository}/blob/main/{link}")
            for u in urls
        ), link
    assert any(u.startswith("https://raw.githubusercontent.com/") for u in urls)  # pictures


def test_the_license_ships_in_the_wheel_and_the_metadata_says_what_it_is(tmp_path):
    """Build the wheel as .ci/run does and read its metadata."""
    pytest.importorskip("hatchling", reason="building the wheel needs: pip install hatchling")
    if not (ROOT / "minigrad").is_dir():
        pytest.skip("builds the wheel from a clone; this run tests an installed wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path), "-q"], capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("minigrad_twins-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = z.read(info).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert {"minigrad/tools/explorer.js", "minigrad/tools/explorer.css"} <= set(names)
    assert "Name: minigrad-twins\n" in metadata and "License-Expression: MIT\n" in metadata
    for version in ("3.10", "3.11", "3.12", "3.13"):
        assert f"Classifier: Programming Language :: Python :: {version}\n" in metadata
    assert "Project-URL: Homepage, https://" in metadata and "Author: " in metadata
    assert "](docs/" not in metadata  # the package page's links are absolute


@pytest.mark.skipif(not os.environ.get("MINIGRAD_TEST_INSTALLED"),
                    reason="only when CI runs the suite against the installed wheel")  # fmt: skip
def test_the_minigrad_under_test_is_the_installed_wheel():
    """.ci/run sets MINIGRAD_TEST_INSTALLED=1 for its run from a copy of the tree without
    minigrad/: the package imported must come from site-packages, not from a source folder."""
    path = Path(minigrad.__file__).resolve()
    assert "site-packages" in path.parts, path
    assert not (ROOT / "minigrad").exists()
