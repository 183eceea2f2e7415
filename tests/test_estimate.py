"""No silent waits: ``minigrad train`` times a few steps before training and says, on
stderr, how long a run over a minute will take, with a quicker command (issue 18, item 12)."""

import itertools
import re

import pytest

from minigrad.tools import estimate
from minigrad.tools.cli import build_parser, main


def test_time_steps_stops_after_max_steps_or_max_seconds_and_takes_the_median():
    ticks = itertools.count(0.0, 0.1)  # every clock read advances 0.1 s
    calls = []
    median = estimate.time_steps(lambda: calls.append(1), max_steps=3, max_seconds=10.0,
                                 clock=lambda: next(ticks))  # fmt: skip
    assert len(calls) == 3 and median == pytest.approx(0.1)
    ticks = itertools.count(0.0, 1.0)
    calls.clear()
    estimate.time_steps(lambda: calls.append(1), max_steps=50, max_seconds=2.5,
                        clock=lambda: next(ticks))  # fmt: skip
    assert 1 <= len(calls) < 50  # stopped by the time
    calls.clear()
    estimate.time_steps(lambda: calls.append(1), max_steps=3, max_seconds=0.0,
                        clock=lambda: next(ticks))  # fmt: skip
    assert len(calls) == 1  # always one


def test_run_seconds_counts_every_step_and_the_evaluation_after_each_epoch():
    # 1347 samples of 32: 43 steps of 1 s, then 450 samples at 0.01 s, over 30 epochs
    assert estimate.run_seconds(1.0, 0.01, 1347, 450, 32, 30) == pytest.approx(30 * (43 + 4.5))


@pytest.mark.parametrize(
    "seconds, text",
    [
        (42, "about 42 s"),
        (1790, "about 30 minutes"),
        (9000, "about 2.5 hours"),
        (3 * 86400, "about 3 days"),
    ],  # fmt: skip
)
def test_format_duration(seconds, text):
    assert estimate.format_duration(seconds) == text


def test_a_long_run_says_how_long_before_the_first_epoch(capsys, monkeypatch):
    monkeypatch.setattr(estimate, "time_steps", lambda step, **kw: (step(), 2.0)[1])
    code = main(["train", "--backend", "scalar", "--limit", "64", "--hidden", "4", "--epochs", "3",
                 "--no-progress"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0
    # 2 steps of 2 s and 450 evaluated samples of 2/32 s each, 3 epochs
    total = 3 * (2 * 2.0 + 450 * 2.0 / 32)
    assert err.startswith(f"this run will take {estimate.format_duration(total)} (scalar engine: "
                          "2 s per step of 32 samples, measured just now)")  # fmt: skip
    assert "for a first look: --epochs 2 (" in err  # --limit 64 is already under 200
    assert "an engine over arrays (--backend tensor) trains it ~1000x faster" in err
    assert len(err.splitlines()) == 1
    assert re.search(r"^epoch 3/3 ", out, re.M)  # then it trains as asked


def test_a_short_run_says_nothing_and_the_probe_leaves_the_run_unchanged(capsys, monkeypatch):
    argv = ["train", "--limit", "100", "--epochs", "2", "--hidden", "8", "--no-progress"]
    assert main(argv) == 0
    first, err = capsys.readouterr()
    assert err == ""
    monkeypatch.setattr(estimate, "probe", lambda *a, **k: (0.0, 0.0))  # no probe at all
    assert main(argv) == 0
    second = capsys.readouterr().out
    strip = lambda text: re.sub(r"\d+\.\d+ s", "", text)  # noqa: E731 (the times differ)
    assert strip(first) == strip(second)


def test_backend_help_says_what_the_scalar_engine_costs():
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    text = " ".join(train.format_help().split())
    assert "~1000x slower" in text and "--limit 200 --epochs 2" in text
    assert "(default: tensor)" in text
