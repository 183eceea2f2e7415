"""``minigrad why``: the experiments listed, run one by one or all, from the command line
and from Python; a verdict that does not hold is exit code 1 (issue 19)."""

import sys
import types

import pytest

import minigrad
from minigrad.experiments import EXPERIMENTS, Result
from minigrad.tools.cli import main

TEN = ["toposort", "zero_grad", "stable_cross_entropy", "init_scale", "iterative_backward",
       "nonlinearity", "learning_rate", "vectorisation", "gradcheck", "compile"]  # fmt: skip


@pytest.fixture
def fake(monkeypatch):
    """A quick experiment registered beside the real ones; ``fake.HOLDS`` sets its verdict."""
    module = types.ModuleType("fake_experiment")
    module.NAME, module.CLAIM, module.SECONDS, module.HOLDS = "fake", "one plus one is two", 1, True

    def run(seed=0):
        return Result("fake", module.CLAIM, "1 + 1", ["a", "b", "a + b"], [[1, 1, 2]],
                      f"1 + 1 = 2 (seed {seed})", module.HOLDS)  # fmt: skip

    module.run = run
    monkeypatch.setitem(sys.modules, "fake_experiment", module)
    monkeypatch.setitem(EXPERIMENTS, "fake", "fake_experiment")
    return module


def test_the_ten_experiments_are_registered_in_the_order_a_learner_meets_them():
    assert list(EXPERIMENTS) == TEN


def test_minigrad_why_lists_every_experiment_with_its_time(capsys):
    assert main(["why"]) == 0
    out = capsys.readouterr().out
    for name, claim, seconds in minigrad.why():
        assert f"  {name}" in out and f"~{seconds:>2} s" in out
        assert isinstance(seconds, int) and 0 < seconds <= 10
        assert claim.split()[0] in out
        assert claim.endswith(".")  # one sentence, as the docs print it
    assert f"{len(TEN)} experiments, about " in out


def test_one_experiment_from_the_command_line_and_from_python(capsys, fake):
    assert main(["why", "fake", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("why fake: one plus one is two\n")
    assert "verdict (holds): 1 + 1 = 2 (seed 3)" in out and "seed 3)" in out
    result = minigrad.why("fake", seed=3)
    assert result.holds and result.seed == 3
    assert result.measurements == [{"a": 1, "b": 1, "a + b": 2}]
    assert "<table>" in result._repr_html_()


def test_a_verdict_that_does_not_hold_is_exit_code_1(capsys, fake):
    fake.HOLDS = False
    assert main(["why", "fake"]) == 1
    out, err = capsys.readouterr()
    assert "verdict (DOES NOT HOLD)" in out and err == "does not hold: fake\n"


def test_all_runs_every_one_and_writes_the_markdown_page(capsys, fake, monkeypatch, tmp_path):
    for name in TEN:  # the real ones are tested in their own files: here, quick stand-ins
        monkeypatch.setitem(EXPERIMENTS, name, "fake_experiment")
    page = tmp_path / "why.md"
    assert main(["why", "--all", "--markdown", str(page)]) == 0
    out = capsys.readouterr().out
    assert out.count("why fake: ") == len(EXPERIMENTS)
    assert f"{len(EXPERIMENTS)} of {len(EXPERIMENTS)} experiments hold" in out
    text = page.read_text()
    assert text.startswith("# Why each idea is there")
    assert "## `minigrad why fake`" in text and "| 1 | 1 | 2 |" in text
    assert "**Verdict** (holds): 1 + 1 = 2 (seed 0)." in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["why", "frobnicate"], "invalid choice: 'frobnicate'"),
        (["why", "compile", "--all"], "give NAME or --all, not both"),
        (["why", "--seed", "-1"], "must not be negative"),
        (["why", "--markdown", "x.md"], "--markdown needs NAME or --all"),
    ],  # fmt: skip
)
def test_bad_usage_is_one_line_and_exit_2(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_python_refuses_an_unknown_name_or_a_bad_seed():
    with pytest.raises(ValueError, match="no experiment 'nope'; experiments: toposort, "):
        minigrad.why("nope")
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        minigrad.why("compile", seed=-1)


def test_docs_why_is_the_output_of_the_last_run_of_every_experiment():
    """docs/why.md is written by `minigrad why --all --markdown docs/why.md`: every
    experiment, its claim as the code states it now, and a verdict that held."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "why.md").read_text()
    assert "`minigrad why --all --markdown docs/why.md`" in text
    for name, claim, _ in minigrad.why():
        section = text.split(f"## `minigrad why {name}`\n", 1)[1].split("\n## ", 1)[0]
        assert f"**Claim**: {claim}\n" in section, f"{name}: regenerate docs/why.md"
        assert "**Verdict** (holds): " in section


def test_the_readme_section_shows_what_minigrad_why_prints():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Why each idea is there\n", 1)[1].split("\n## ", 1)[0]
    result = minigrad.why("zero_grad", seed=0)
    assert f"verdict (holds): {result.verdict}\n" in section
    assert result.table().splitlines()[0] in section
    assert "minigrad why --all --markdown docs/why.md" in section
