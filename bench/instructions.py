"""Instructions per training step, counted by valgrind's callgrind (``--bench-instructions``).

Timings on a shared machine swing by 2x from run to run; instruction counts do not. With
``pytest bench/ --bench-instructions`` (bench/test_instructions.py) the run also counts,
for each digits train-step workload, the instructions of one step of the scalar engine (in
``fit`` and in your own loop), the tensor engine and the NumPy floor, and ends with their
ratios beside the timed ones. The step counted is the runner's ``step``, the very one the
timed benchmarks call.

How: a child process (``python -m bench.instructions --child ENGINE_ID BATCH STEPS``) runs
under ``valgrind --tool=callgrind --instr-atstart=no`` and switches counting on just before
its steps and off after them (``callgrind_control -i on|off``). The steps run on consecutive
digits batches from the seed-0 weights, the weights updating and the collector running as
in a training loop. A figure is the difference of a long and a short run divided by the
difference in steps, so start-up and the switching itself cancel out. The same approach as
the project's ``shared/tools/icount.py``, written here so that the package needs nothing
beside it. Needs valgrind (``apt-get install valgrind``); without it the counts skip.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("valgrind", "callgrind_control")
COUNTED = ("scalar", "scalar_own_loop", "tensor", "numpy_floor")


def unavailable():
    """Why instructions cannot be counted here (``None`` when they can)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return (
            f"{' and '.join(missing)} not found: instruction counts need valgrind "
            "(apt-get install valgrind)"
        )
    return None


def steps_for(engine_id, batch_size):
    """``(short, long)`` runs: about 40 samples apart for the scalar engines (a step under
    callgrind takes ~50x its time), 200 steps for the fast ones."""
    if engine_id.startswith("scalar"):
        extra = max(4, 40 // batch_size)
        short = max(2, extra // 4)
        return short, short + extra
    return 20, 220


def count(engine_id, batch_size, steps, timeout=1800):
    """Instructions callgrind counts for ``steps`` consecutive steps."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "OPENBLAS_NUM_THREADS": "1",  # one BLAS thread, as in the timed runs (conftest)
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "bench.instructions",
        "--child",
        engine_id,
        str(batch_size),
        str(steps),
    ]
    proc = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    for line in proc.stderr.splitlines():
        if "Collected :" in line:
            return int(line.split()[-1])
    raise RuntimeError(
        f"callgrind gave no count for {engine_id} at batch {batch_size} "
        f"(exit code {proc.returncode}):\n{proc.stderr[-1500:]}"
    )


def per_step(engine_id, batch_size):
    """Instructions of one step: ``(count(long) - count(short)) / (long - short)``."""
    short, long = steps_for(engine_id, batch_size)
    return (count(engine_id, batch_size, long) - count(engine_id, batch_size, short)) / (
        long - short
    )


def _switch(on):
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def child(engine_id, batch_size, steps):
    """Run ``steps`` steps of ``engine_id`` with callgrind counting only them."""
    import minigrad
    from bench.engines import DIGITS_HIDDEN, make_runner

    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        pass
    X, _, y, _ = minigrad.load_digits()
    batches = [(X[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(X), batch_size)]
    batches = [b for b in batches if len(b[1]) == batch_size]
    runner = make_runner(engine_id, [*DIGITS_HIDDEN, 10])
    runner.step(*batches[-1])  # warm-up: first-call costs (imports, caches) stay uncounted
    runner.reset()
    _switch(True)
    for k in range(steps):
        runner.step(*batches[k % len(batches)])
    _switch(False)


if __name__ == "__main__":
    if sys.argv[1:2] != ["--child"] or len(sys.argv) != 5:
        sys.exit("usage: python -m bench.instructions --child ENGINE_ID BATCH_SIZE STEPS")
    child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
