"""Grad mode, shared by both engines (as in PyTorch, one switch for everything).

Engines read ``GradMode.enabled`` when they create a node: when it is False, the node keeps
no parents, so no graph is built.
"""

import functools


class GradMode:
    enabled = True


class no_grad:
    """Context manager (and decorator): operations inside build no graph."""

    def __enter__(self):
        self._prev = GradMode.enabled
        GradMode.enabled = False
        return self

    def __exit__(self, *exc):
        GradMode.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with no_grad():
                return func(*args, **kwargs)

        return wrapper
