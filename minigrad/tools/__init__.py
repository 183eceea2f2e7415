"""Tools that use an engine: training, model files, data, gradient checks, drawing, the CLI.

They sit above the engines and reach one only through the engine contract
(``minigrad/registry.py``), never by checking its types or its name
(tests/test_third_engine.py runs them on a third engine registered at test time). Heavy
dependencies (scikit-learn, tqdm, matplotlib, graphviz) are imported here, never by
``minigrad.scalar`` or ``minigrad.tensor``.

The two pictures of a graph, ``drawing.py`` (DOT) and ``explorer.py`` (SVG and the page),
share ``picture.py``: which nodes to draw and how their numbers are written. ``drawing.py``
uses the explorer for ``.svg`` and ``.html``, never the other way round.
"""
