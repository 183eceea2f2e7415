"""NumPy's floating-point errors ignored, cheaply: special values (inf, nan, overflow) give
PyTorch's results without NumPy's RuntimeWarnings, in the tensor engine and the optimizers.

``np.errstate(all="ignore")`` does that, but costs 11,000 instructions per use (a whole
digits training step of the tensor engine is about 580,000); setting the context variable
behind it costs about 1,600. ``token = ignore_fp_errors()`` ... ``restore_fp_errors(token)``
is that pair (both C calls) for hot paths; ``with quiet():`` is the readable form elsewhere.
"""

import functools

import numpy as np

try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    ignore_fp_errors = functools.partial(_extobj_contextvar.set, _make_extobj(all="ignore"))
    restore_fp_errors = _extobj_contextvar.reset
except ImportError:  # NumPy 1.x, or a NumPy that moved it: the public way, slower

    def ignore_fp_errors():
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def restore_fp_errors(state):
        state.__exit__(None, None, None)


class quiet:
    """``with quiet():`` ignores NumPy's floating-point errors inside the block."""

    __slots__ = ("token",)

    def __enter__(self):
        self.token = ignore_fp_errors()

    def __exit__(self, *exc):
        restore_fp_errors(self.token)
