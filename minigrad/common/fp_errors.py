"""``with quiet():``, the one way engine code computes quietly under NumPy's floating-point
errors.

Guarantee: special values (inf, nan, overflow, 0 * inf) give PyTorch's results without
NumPy's RuntimeWarnings, in the tensor engine and the optimizers; the caller's own NumPy
error settings are left as they were. Proved by tests/test_special_values.py, which runs
its whole grid twice: with the form chosen below, and with the public form forced.

How: ``np.errstate(all="ignore")`` is the public form, and costs about 11,000 instructions
per use (a whole digits training step of the tensor engine is about 580,000). It sets a
context variable of NumPy's; setting that variable directly costs about 1,600. The
variable is private (``numpy._core._ufunc_config._extobj_contextvar``), and any NumPy
release may move or change it, so it is used only if it imports and, tried once at import,
does exactly what the public form does; on any failure at all, ``quiet`` uses the public
form. ``FAST`` says which one is in use.
"""

import functools

import numpy as np


def _public_form():
    """``np.errstate(all="ignore")``, entered and left as a pair of calls."""

    def ignore():
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def restore(state):
        state.__exit__(None, None, None)

    return ignore, restore


def _private_form():
    """NumPy's error-state context variable, set directly; checked before it is trusted."""
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    ignore = functools.partial(_extobj_contextvar.set, _make_extobj(all="ignore"))
    restore = _extobj_contextvar.reset
    with np.errstate(all="raise"):
        token = ignore()
        try:
            inside = np.geterr()  # what NumPy itself reads as the error state
        finally:
            restore(token)
        after = np.geterr()
    if set(inside.values()) == {"ignore"} and set(after.values()) == {"raise"}:
        return ignore, restore
    raise RuntimeError("setting NumPy's error state directly did not do what np.errstate does")


try:
    _ignore, _restore = _private_form()
    FAST = True
except Exception:  # moved, renamed, a new signature, or another behaviour: the public form
    _ignore, _restore = _public_form()
    FAST = False


class quiet:
    """``with quiet():`` ignores NumPy's floating-point errors inside the block."""

    __slots__ = ("token",)

    def __enter__(self):
        self.token = _ignore()

    def __exit__(self, exc_type, exc, traceback):
        _restore(self.token)
