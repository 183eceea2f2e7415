"""Grad mode, shared by both engines: whether operations build a graph.

As in PyTorch, grad mode is local to the thread, and to the asyncio task, that sets it: it
lives in a ``contextvars.ContextVar``, so ``no_grad`` in one thread never changes what
another thread builds, and every thread (and task) starts with grad mode on. Engines call
``is_grad_enabled()`` (in its fast form, ``grad_enabled``) when they create a node: when it
returns False, the node keeps no parents, so no graph is built.

As a decorator, ``no_grad()`` runs the whole body of the function it wraps without a graph:
of a plain function, of an ``async def`` function, and, resumption by resumption, of a
generator or an async generator, as PyTorch's decorator does for generators (between two
resumptions the caller's grad mode holds). tests/test_grad_mode.py and
tests/test_trust_state.py prove it.
"""

import contextvars
import functools
import inspect

_enabled = contextvars.ContextVar("minigrad_grad_enabled", default=True)
# The states ``no_grad`` blocks found on entry, innermost last: a tuple per context, so one
# ``no_grad`` object may be shared between threads, tasks or nested blocks.
_saved = contextvars.ContextVar("minigrad_grad_saved", default=())


def is_grad_enabled() -> bool:
    """True when operations in this thread (and asyncio task) build a graph (PyTorch's name)."""
    return _enabled.get()


# The engines' ``is_grad_enabled()``, asked once per node they create: the ContextVar's own C
# getter, without the Python call (which costs 1.8% of a scalar training step). The same
# answer, in every thread and task: tests/test_help_text.py.
grad_enabled = _enabled.get


class no_grad:
    """Context manager (and decorator): operations inside build no graph.

    On exit, normal or by an exception, grad mode is restored to what the block found.
    """

    def __enter__(self):
        """Turn grad mode off, remembering what it was."""
        _saved.set((*_saved.get(), _enabled.get()))
        _enabled.set(False)
        return self

    def __exit__(self, *exc):
        """Restore grad mode to what the block found."""
        saved = _saved.get()
        _enabled.set(saved[-1])
        _saved.set(saved[:-1])
        return False

    def __call__(self, func):
        """``func`` wrapped to run without a graph (a decorator)."""
        if inspect.isasyncgenfunction(func):
            return _async_generator_without_grad(func)
        if inspect.isgeneratorfunction(func):
            return _generator_without_grad(func)
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def coroutine(*args, **kwargs):
                with no_grad():
                    return await func(*args, **kwargs)

            return coroutine

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with no_grad():
                return func(*args, **kwargs)

        return wrapper


# A generator's resumptions run with grad mode off, and each restores the mode exactly as it
# found it with a ContextVar token (not the no_grad stack above: the body's own
# ``with no_grad()`` may span a yield, and the stack expects blocks to end in order).


def _without_grad(resume, *args):
    token = _enabled.set(False)
    try:
        return resume(*args)
    finally:
        _enabled.reset(token)


async def _awaited_without_grad(awaitable):
    token = _enabled.set(False)
    try:
        return await awaitable
    finally:
        _enabled.reset(token)


def _generator_without_grad(func):
    @functools.wraps(func)
    def generator(*args, **kwargs):
        body = func(*args, **kwargs)
        try:
            value = _without_grad(body.send, None)
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    _without_grad(body.close)
                    raise
                except BaseException as exc:  # thrown in by the caller: into the body
                    value = _without_grad(body.throw, exc)
                else:
                    value = _without_grad(body.send, sent)
        except StopIteration as stop:
            return stop.value

    return generator


def _async_generator_without_grad(func):
    @functools.wraps(func)
    async def generator(*args, **kwargs):
        body = func(*args, **kwargs)
        try:
            value = await _awaited_without_grad(body.asend(None))
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    await _awaited_without_grad(body.aclose())
                    raise
                except BaseException as exc:
                    value = await _awaited_without_grad(body.athrow(exc))
                else:
                    value = await _awaited_without_grad(body.asend(sent))
        except StopAsyncIteration:
            return

    return generator
