"""What both pictures of a graph share: the DOT drawing (``drawing.py``) and the explorer
(``explorer.py``, which also draws the static ``.svg``) show the same nodes and write their
numbers the same way, from here.

- ``roots`` turns what the user passed (a node, or nested lists of nodes such as a layer's
  outputs) into the nodes to draw from; ``reachable`` (``minigrad.common.graph``, the walk
  every tool shares) gives every node behind them, in creation order.
- ``holds_array`` says whether a node has a shape worth showing: the engine says so
  (``NODE_PER_NUMBER``, the engine contract in ``minigrad/registry.py``).
- ``number`` is the one way a number is written (4 significant digits; ``-0`` is written
  ``0``) and ``summary`` the one way a node's values are: one number, up to ``TINY`` numbers
  in full (nested as the array is), or the mean, min and max of more. The page's script
  (``explorer.js``) writes gradients the same way as they are revealed.
"""

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
