"""Shared fixtures. Tests that apply to both engines take the ``B`` fixture, which runs
them once per engine in ``minigrad.BACKENDS``."""

import numpy as np
import pytest

import minigrad


def pytest_addoption(parser):
    group = parser.getgroup("fuzz", "the differential fuzzer, tests/test_fuzz.py")
    group.addoption(
        "--fuzz-graphs",
        type=int,
        default=None,
        metavar="N",
        help="random graphs per family (default: a budget of a few seconds)",
    )
    group.addoption(
        "--fuzz-seed", type=int, default=0, metavar="S", help="the fuzzer's first seed (default 0)"
    )


@pytest.fixture(params=minigrad.BACKENDS)
def B(request):
    return minigrad.backend(request.param)


def leaf(B, x):
    """A leaf node of engine ``B`` holding ``x`` (a number, or an array for the tensor
    engine), that receives a gradient: the engine contract's ``leaf``."""
    return B.leaf(x)


def grad_of(B, nodes):
    """Gradients of ``nodes`` (a Value, a Tensor, or nested lists of Values) as an array."""
    if isinstance(nodes, (list, tuple)):
        return np.array([grad_of(B, n) for n in nodes])
    return np.asarray(nodes.grad, dtype=np.float64)


@pytest.fixture(scope="session")
def digits():
    return minigrad.load_digits()
