"""What both pictures of a graph share: the DOT drawing (``drawing.py``) and the explorer
(``explorer.py``, which also draws the static ``.svg``) show the same nodes and write their
numbers the same way, from here.

- ``roots`` turns what the user passed (a node, or nested lists of nodes such as a layer's
  outputs) into the nodes to draw from; ``reachable`` (``minigrad.common.graph``, the walk
  every tool shares) gives every node behind them, in creation order.
- ``holds_array`` says whether a node has a shape worth showing: the engine says so
  (``NODE_PER_NUMBER``, the engine contract in ``minigrad/registry.py``).
- ``parameter_names`` gives a model's parameters their ``named_parameters()`` names
  (``layers.0.weight``; ``layers.0.weight[3, 5]`` for one number of it), ``node_names`` the
  name every node is shown by (its label, its parameter name, or ``input`` / ``constant``
  for a leaf without a gradient), and ``folded_constant`` the plain-number operand an engine
  with one node per number folds into an op (the ``2`` of ``x - 2``), so that it is drawn.
- ``number`` is the one way a number is written (4 significant digits; ``-0`` is written
  ``0``) and ``summary`` the one way a node's values are: one number, up to ``TINY`` numbers
  in full (nested as the array is), or the mean, min and max of more. The page's script
  (``explorer.js``) writes gradients the same way as they are revealed.
"""

import math

import numpy as np

from minigrad.common.fp_errors import quiet
from minigrad.common.graph import reachable
from minigrad.registry import backend_of

TINY = 6  # an array of at most this many numbers is shown in full


def is_node(x):
    """True for a graph node of any engine (what the graph walk needs: parents and an op)."""
    return hasattr(x, "_prev") and hasattr(x, "_op") and hasattr(x, "data")


def roots(node, who):
    """The nodes to draw for ``node``: one node, or a (nested) list of nodes such as a
    Layer's outputs. ``who`` (the function the user called) starts the error messages."""
    found, stack = [], [node]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(reversed(x))
        elif is_node(x):
            found.append(x)
        else:
            raise TypeError(
                f"{who}: expected a Value or a Tensor (or a list of them), got {type(x).__name__}"
            )
    if not found:
        raise ValueError(f"{who}: nothing to draw (empty list)")
    return found


def nodes_behind(node, who):
    """Every node behind ``node`` (see ``roots``), in creation order."""
    return reachable(roots(node, who))


def holds_array(node):
    """True if ``node``'s engine makes a node over an array (it has a shape to show), False
    if it makes one node per number."""
    return not backend_of(node).NODE_PER_NUMBER


def grad_of(node):
    """A node's gradient as a picture shows it: ``.grad``, or zeros for a node without one,
    read without giving it one (reading ``.grad`` of a tensor that has none keeps zeros:
    the engine contract)."""
    if node._has_grad:
        return node.grad
    return np.zeros_like(np.asarray(node.data, dtype=np.float64))


def number(x):
    """One number as every picture writes it: ``0.7071``, ``-1.5``, ``1.235e+06``, ``nan``."""
    text = f"{float(x):.4g}"
    return "0" if text == "-0" else text


def summary(values):
    """A node's values (or gradient) in a few characters: one number, up to ``TINY``
    numbers in full (``[[0, 1, 2], [3, 4, 5]]``), else ``mean 0.25, min -1, max 2``."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        return number(array)
    if array.size <= TINY:
        text = np.array2string(array, separator=", ", formatter={"float_kind": number})
        return text.replace("\n", "")
    with quiet():  # inf - inf in the mean: nan, without NumPy's warning
        mean, low, high = array.mean(), array.min(), array.max()
    return f"mean {number(mean)}, min {number(low)}, max {number(high)}"


# -- names ---------------------------------------------------------------------------------------


def parameter_names(model):
    """``{id(node): (name, key)}`` for every parameter node of ``model``: its name in
    ``model.named_parameters()`` (``layers.0.weight``, or ``layers.0.weight[3, 5]`` for one
    number of it in an engine with one node per number) and its ``state_dict`` key
    (``layers.0.weight``). ``None`` gives ``{}``."""
    if model is None:
        return {}
    if not (hasattr(model, "named_parameters") and hasattr(model, "state_dict")):
        raise TypeError(f"model: expected a minigrad module, got {type(model).__name__}")
    keys = set(model.state_dict())
    out = {}
    for name, node in model.named_parameters():
        key = name if name in keys else name.rsplit("[", 1)[0]
        out[id(node)] = (name, key if key in keys else name)
    return out


def node_names(nodes, params=None):
    """The name each of ``nodes`` is shown by: its ``label`` if it has one, else its
    parameter name (``params``: what ``parameter_names`` gives), else, for a leaf that
    receives no gradient, ``input`` (it meets a parameter in an op: what a model is fed) or
    ``constant``; else ``""``."""
    params = params or {}
    index = {id(n): i for i, n in enumerate(nodes)}
    names = [str(getattr(n, "label", "") or "") or params.get(id(n), ("",))[0] for n in nodes]
    meets_parameter = [False] * len(nodes)
    for n in nodes:
        if any(id(p) in params for p in n._prev):
            for p in n._prev:
                meets_parameter[index[id(p)]] = True
    for i, n in enumerate(nodes):
        if not names[i] and not n._prev and not n.requires_grad:
            names[i] = "input" if meets_parameter[i] else "constant"
    return names


def constant_role(node, params=None):
    """What the folded constant of ``node`` is called: ``input`` when the op's other operand
    is a parameter (a weight times an input), else ``constant``."""
    return "input" if any(id(p) in (params or {}) for p in node._prev) else "constant"


# -- constants an engine folds into an op ------------------------------------------------------

BINARY_OPS = ("+", "-", "*", "/", "**")


def folded_constant(node):
    """``(side, value)`` of the plain number an op was given as an operand, or ``None``.

    An engine with one node per number makes no node of a plain number (``x - 2`` has the
    one parent ``x``); a drawing still shows it. ``side`` is 0 for a left operand (``2 - x``)
    and 1 for a right one. The number is read back from what the node keeps, its value and
    its local derivative (the contract's ``_local``): exactly for ``*`` (the derivative is
    the number), to rounding for the others (``x + 2`` gives ``out - x``)."""
    if node._op not in BINARY_OPS or len(node._prev) != 1 or not hasattr(node, "_local"):
        return None
    if np.ndim(node.data) != 0:
        return None
    x, out, local = float(node._prev[0].data), float(node.data), float(node._local[0])
    with np.errstate(all="ignore"):
        return _read_back(node._op, x, out, local)


def _close(a, b):
    finite = math.isfinite(a) and math.isfinite(b)
    return finite and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)


def _read_back(op, x, out, local):
    if op == "*":  # x * c: d/dx = c
        return (1, local)
    if op == "+":  # x + c = c + x
        return (1, out - x)
    if op == "-":  # x - c: d/dx = 1; c - x: d/dx = -1
        return (1, x - out) if local > 0 else (0, out + x)
    if op == "/":  # x / c: d/dx = 1 / c; c / x: d/dx = -out / x
        if x != 0.0 and _close(local, -out / x):
            return (0, out * x)
        return (1, 1.0 / local) if local != 0.0 else None
    # x ** c: d/dx = c x**(c-1) = c out / x; c ** x: d/dx = out ln c
    if x != 0.0 and out != 0.0:
        c = local * x / out
        if _close(_power(x, c), out):
            return (1, c)
        base = math.exp(local / out) if abs(local / out) < 700 else math.nan
        if _close(_power(base, x), out):
            return (0, base)
    return None


def _power(a, b):
    try:
        result = a**b
    except (OverflowError, ZeroDivisionError):
        return math.nan
    return math.nan if isinstance(result, complex) else float(result)
