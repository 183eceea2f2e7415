"""Grad mode is per thread and per asyncio task, and ``no_grad`` always restores it."""

import asyncio
import threading

import numpy as np
import pytest

import minigrad
from minigrad import no_grad
from tests.conftest import leaf


def _grad_of_square(B):
    """d(x*x)/dx at x = 3 in engine B: 6 when a graph is built, 0 when not."""
    x = leaf(B, 3.0)
    y = x * x
    if not y._prev:  # no graph: nothing for backward to reach
        return 0.0
    y.backward()
    return float(np.asarray(x.grad))


def test_no_grad_in_one_thread_leaves_another_threads_graph_alone(B):
    inside, done = threading.Event(), threading.Event()

    def hold_no_grad():
        with no_grad():
            inside.set()
            done.wait(5)

    t = threading.Thread(target=hold_no_grad)
    t.start()
    try:
        assert inside.wait(5)
        assert minigrad.is_grad_enabled()
        assert _grad_of_square(B) == 6.0
    finally:
        done.set()
        t.join()


def test_interleaved_no_grad_in_two_threads_never_leaves_grad_mode_off():
    # Thread A enters, thread B enters, A exits, B exits: with one process-wide switch,
    # B restores the False it found, and grad mode stays off for good.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a():
        with no_grad():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b():
        a_in.wait(5)
        with no_grad():
            b_in.set()
            a_out.wait(5)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert minigrad.is_grad_enabled()
    seen = []
    t = threading.Thread(target=lambda: seen.append(minigrad.is_grad_enabled()))
    t.start()
    t.join()
    assert seen == [True]


def test_new_threads_start_with_grad_mode_on_even_inside_no_grad():
    seen = []
    with no_grad():
        t = threading.Thread(target=lambda: seen.append(minigrad.is_grad_enabled()))
        t.start()
        t.join()
        assert not minigrad.is_grad_enabled()
    assert seen == [True]


def test_no_grad_is_per_asyncio_task():
    async def holder(started, release):
        with no_grad():
            started.set()
            await release.wait()
            return minigrad.is_grad_enabled()

    async def other(started, release):
        await started.wait()
        enabled = minigrad.is_grad_enabled()
        release.set()
        return enabled

    async def main():
        started, release = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(holder(started, release), other(started, release))

    assert asyncio.run(main()) == [False, True]
    assert minigrad.is_grad_enabled()


def test_no_grad_restores_grad_mode_after_an_exception():
    with pytest.raises(KeyError), no_grad():
        raise KeyError("boom")
    assert minigrad.is_grad_enabled()


def test_nested_and_shared_no_grad_objects_restore_in_order():
    ng = no_grad()
    with ng:
        with ng:
            assert not minigrad.is_grad_enabled()
        assert not minigrad.is_grad_enabled()
    assert minigrad.is_grad_enabled()


def test_no_grad_as_decorator_restores_on_exception():
    @no_grad()
    def f():
        assert not minigrad.is_grad_enabled()
        raise ValueError("inside")

    with pytest.raises(ValueError, match="inside"):
        f()
    assert minigrad.is_grad_enabled()


def test_engines_build_no_graph_under_no_grad(B):
    with no_grad():
        assert _grad_of_square(B) == 0.0
    assert _grad_of_square(B) == 6.0
