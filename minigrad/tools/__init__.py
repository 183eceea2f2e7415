"""Tools that use an engine: training, model files, data, gradient checks, drawing, the CLI.

They sit above the engines and reach one only through the engine contract
(``minigrad/registry.py``), never by checking its types. Heavy dependencies (scikit-learn,
tqdm, matplotlib, graphviz) are imported here, never by ``minigrad.scalar`` or
``minigrad.tensor``.
"""
