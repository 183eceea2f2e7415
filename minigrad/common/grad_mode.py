"""Grad mode, shared by both engines: whether operations build a graph.

As in PyTorch, grad mode is local to the thread, and to the asyncio task, that sets it: it
lives in a ``contextvars.ContextVar``, so ``no_grad`` in one thread never changes what
another thread builds, and every thread (and task) starts with grad mode on. Engines call
``is_grad_enabled()`` when they create a node: when it returns False, the node keeps no
parents, so no graph is built.
"""

import contextvars
import functools

_enabled = contextvars.ContextVar("minigrad_grad_enabled", default=True)
# The states ``no_grad`` blocks found on entry, innermost last: a tuple per context, so one
# ``no_grad`` object may be shared between threads, tasks or nested blocks.
_saved = contextvars.ContextVar("minigrad_grad_saved", default=())

# ``is_grad_enabled()``: True when operations in this thread / task build a graph (PyTorch's
# name). Engines call it once per node they create, so it is the ContextVar's own C getter.
is_grad_enabled = _enabled.get


class no_grad:
    """Context manager (and decorator): operations inside build no graph.

    On exit, normal or by an exception, grad mode is restored to what the block found.
    """

    def __enter__(self):
        _saved.set((*_saved.get(), _enabled.get()))
        _enabled.set(False)
        return self

    def __exit__(self, *exc):
        saved = _saved.get()
        _enabled.set(saved[-1])
        _saved.set(saved[:-1])
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with no_grad():
                return func(*args, **kwargs)

        return wrapper
