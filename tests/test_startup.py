"""`minigrad --help` and importing an engine start fast: they load neither scikit-learn nor
SciPy nor matplotlib (scikit-learn is imported by the code that needs the digits, when it
needs them). Issue 20, item 1: a help text used to cost 1,178 modules and 2.9 s of CPU."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sklearn", "scipy", "matplotlib")

PROBE = """
import json, sys
{code}
print(json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r}))))
"""


def heavy_modules_after(code):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    out = subprocess.run([sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
                         capture_output=True, text=True, env=env, check=True).stdout  # fmt: skip
    return json.loads(out.splitlines()[-1])


@pytest.mark.parametrize(
    "code",
    [
        "from minigrad.tools.cli import main\nassert main(['--help']) == 0",
        "from minigrad.tools.cli import main\nassert main(['train', '--help']) == 0",
        "import minigrad.scalar",
        "import minigrad.tensor",
        "import minigrad\nminigrad.tensor.MLP(2, [3, 1], seed=0)([[1.0, 2.0]])",
    ],
    ids=["minigrad --help", "minigrad train --help", "scalar", "tensor", "minigrad.tensor.MLP"],
)
def test_loads_no_heavy_library(code):
    assert heavy_modules_after(code) == []


def test_the_probe_sees_a_heavy_import():  # the test above can fail
    assert heavy_modules_after("import minigrad\nminigrad.load_digits()") == ["scipy", "sklearn"]
