"""The engine registry: names of the engines and how to get one.

Adding an engine is one line in ``_ENGINES``. Engines are imported lazily, by name, so
nothing imports an engine before it is asked for.
"""

import importlib

_ENGINES = {
    "scalar": "minigrad.scalar",
    "tensor": "minigrad.tensor",
}

BACKENDS = tuple(_ENGINES)


def backend(name):
    """Return the engine module called ``name`` (one of ``minigrad.BACKENDS``)."""
    if name not in _ENGINES:
        raise ValueError(f"unknown backend {name!r}; valid backends: {', '.join(BACKENDS)}")
    return importlib.import_module(_ENGINES[name])


def backend_of(model):
    """Return the engine module a model (or any object of an engine) belongs to."""
    name = getattr(model, "engine", None)
    if name is None:
        raise TypeError(f"{type(model).__name__} is not a minigrad model")
    return backend(name)
