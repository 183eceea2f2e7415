"""``with quiet():``, the one way engine code ignores NumPy's floating-point errors
(minigrad/common/fp_errors.py): the caller's own settings come back afterwards, nesting and
exceptions are safe, and ``import minigrad`` survives a NumPy whose private error-state
variable moved, changed its signature or stopped working (the public form is used then).
The special-values grid also runs with the public form forced
(tests/test_special_values.py)."""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from minigrad.common.fp_errors import quiet


def test_quiet_silences_and_restores_the_callers_setting():
    with np.errstate(all="raise"):
        with quiet():
            assert set(np.geterr().values()) == {"ignore"}
            assert np.divide(np.ones(1), 0.0)[0] == np.inf  # no FloatingPointError
            with quiet():  # nested
                np.divide(np.zeros(1), 0.0)
            assert set(np.geterr().values()) == {"ignore"}
        assert set(np.geterr().values()) == {"raise"}
        with pytest.raises(KeyError), quiet():
            raise KeyError("an exception inside the block")
        assert set(np.geterr().values()) == {"raise"}


# What fp_errors imports is seen through a stand-in module (NumPy's own np.errstate keeps
# the real one): the name gone, a new signature, a form that sets nothing.
BREAKAGES = {
    "moved": "del fake._extobj_contextvar",
    "new signature": "fake._make_extobj = lambda: None",
    "does nothing": "fake._make_extobj = lambda **kw: real._extobj_contextvar.get()",
}


@pytest.mark.parametrize("breakage", list(BREAKAGES), ids=list(BREAKAGES))
def test_a_numpy_without_the_private_form_falls_back_to_the_public_one(breakage):
    code = textwrap.dedent(
        f"""
        import warnings
        import numpy as np
        import sys, types
        import numpy._core._ufunc_config as real
        fake = types.ModuleType(real.__name__)
        fake.__dict__.update(vars(real))
        {BREAKAGES[breakage]}
        sys.modules[real.__name__] = fake
        import minigrad
        from minigrad.common import fp_errors
        from minigrad.tensor import Tensor
        assert not fp_errors.FAST
        warnings.simplefilter("error")
        x = Tensor([0.0, 1.0, np.inf], requires_grad=True)
        (x / 0.0 * np.inf).sum().backward()  # 0/0, inf * inf, inf - inf: quietly
        with np.errstate(all="raise"):
            with fp_errors.quiet():
                np.divide(np.ones(1), 0.0)
            assert set(np.geterr().values()) == {{"raise"}}
        print("ok")
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_this_numpy_uses_the_fast_form_or_says_why_not():
    from minigrad.common import fp_errors

    if not fp_errors.FAST:
        with pytest.raises(Exception):  # noqa: B017 -- any failure selects the public form
            fp_errors._private_form()
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with quiet():
                np.log(np.zeros(1))
