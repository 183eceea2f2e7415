"""Instructions per digits train step, counted by callgrind (``--bench-instructions``).

A stable companion to the timings for noisy machines: the counts do not swing with the
neighbours. Each test counts one engine at one batch size (bench/instructions.py says how)
and hands the figure to the end-of-run answer, which prints the scalar/tensor and
tensor/floor ratios by instruction count. Without the option, or without valgrind, the
tests skip and say why.
"""

import pytest

from bench import instructions


@pytest.fixture(autouse=True)
def _only_when_asked(request):
    if not request.config.getoption("bench_instructions"):
        pytest.skip("instruction counts run with --bench-instructions (needs valgrind)")
    reason = instructions.unavailable()
    if reason:
        pytest.skip(reason)


@pytest.mark.parametrize("engine_id", instructions.COUNTED)
@pytest.mark.parametrize("batch_size", [1, 32])
def test_instructions_per_step(record_instructions, engine_id, batch_size):
    short, long = instructions.steps_for(engine_id, batch_size)
    n_short = instructions.count(engine_id, batch_size, short)
    n_long = instructions.count(engine_id, batch_size, long)
    assert n_long > n_short > 0, "callgrind counted nothing for the steps"
    per_step = (n_long - n_short) / (long - short)
    record_instructions(f"digits train step, batch {batch_size}", engine_id, per_step)
