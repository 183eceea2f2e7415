"""Every concept a hypothesis: experiments that show what breaks without each idea.

Each experiment is one file here. It runs an idea of the engine and its counterfactual side
by side on the real engines (the counterfactual is written in the experiment's own file,
never in an engine), measures both, and returns a ``Result`` (``result.py``) with the verdict
it observed. ``minigrad.why()`` lists them, ``minigrad.why(NAME, seed=0)`` runs one;
``minigrad why [NAME | --all] [--seed N]`` is the same from the command line. (The package
is ``minigrad.experiments``, not ``minigrad.why``: importing a subpackage sets the attribute
of its name on ``minigrad``, which would hide the function ``minigrad.why``.)

An experiment module defines ``NAME`` (its name), ``CLAIM`` (one sentence), ``SECONDS``
(its typical run time on a 2-core machine) and ``run(seed=0) -> Result``. It uses only the
public API of the engines and tools, plus its counterfactual.
"""

import contextlib
import importlib
import time

from minigrad.experiments.result import Result

# The experiments, in the order a learner meets the ideas: name -> module.
EXPERIMENTS = {
    "toposort": "minigrad.experiments.toposort",
    "zero_grad": "minigrad.experiments.zero_grad",
    "stable_cross_entropy": "minigrad.experiments.stable_cross_entropy",
    "init_scale": "minigrad.experiments.init_scale",
    "iterative_backward": "minigrad.experiments.iterative_backward",
    "nonlinearity": "minigrad.experiments.nonlinearity",
    "learning_rate": "minigrad.experiments.learning_rate",
    "vectorisation": "minigrad.experiments.vectorisation",
    "gradcheck": "minigrad.experiments.gradcheck",
    "compile": "minigrad.experiments.compile",
}


def experiment(name):
    """The module of experiment ``name``; an unknown name is a ``ValueError`` listing all."""
    if name not in EXPERIMENTS:
        raise ValueError(f"no experiment {name!r}; experiments: {', '.join(EXPERIMENTS)}")
    return importlib.import_module(EXPERIMENTS[name])


def listing():
    """``[(name, claim, typical seconds), ...]`` of every experiment, in order."""
    return [(n, m.CLAIM, m.SECONDS) for n, m in ((n, experiment(n)) for n in EXPERIMENTS)]


def why(name: str | None = None, seed: int = 0) -> list[tuple[str, str, float]] | Result:
    """Without ``name``: the list of experiments (name, claim, typical seconds). With it:
    run that experiment with ``seed`` and return its ``Result``."""
    if name is None:
        return listing()
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    module = experiment(name)
    start = time.perf_counter()
    with _one_blas_thread():
        result = module.run(seed=seed)
    result.seconds = time.perf_counter() - start
    result.seed = seed
    return result


def _one_blas_thread():
    """BLAS on one thread while an experiment runs, as the benchmarks run it: on a shared
    machine of two cores, BLAS's threads fight the rest for them and a matrix product can
    take ten times as long. (threadpoolctl comes with scikit-learn.)"""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


__all__ = ["EXPERIMENTS", "Result", "experiment", "listing", "why"]
