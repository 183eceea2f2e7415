"""What ``help()`` shows: every public name of minigrad says what it computes (issue 20,
item 5).

- Every callable in the ``__all__`` of ``minigrad``, ``minigrad.scalar`` and
  ``minigrad.tensor``, and every public method, property and operator of each class they
  export, has a docstring (a subclass's method may inherit its base's, as ``help()`` shows
  it); a public slot attribute (``data``, ``requires_grad``) is named by its class's
  docstring.
- An op of an ``engine.py`` has a one-line docstring that gives its derivative (the engine
  files are a lesson read end to end: its lines are counted in the README).
- A public constructor's signature shows only public arguments (``Value(data, label="")``);
  the scalar engine's ops make their results with ``Value._make``, as the tensor engine's
  do with ``Tensor._make``.
- ``minigrad.is_grad_enabled`` is a documented function; the engines ask its fast form,
  ``grad_enabled``, which gives the same answer in every thread.
- The package ships ``py.typed`` (PEP 561) and annotates its tools' functions: a type
  checker reads them through ``minigrad``'s lazy names (with mypy installed, a user's script
  is checked: a float passed as a node is an error).
"""

import ast
import importlib
import inspect
import re
import threading
import typing
from pathlib import Path

import pytest

import minigrad
from minigrad.common import grad_mode
from minigrad.scalar import Value
from minigrad.tensor import Tensor

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(minigrad.__file__).resolve().parent
MODULES = ("minigrad", "minigrad.scalar", "minigrad.tensor")

# what every class has from Python itself, or says through the class's own docstring
_SKIPPED = {"__init__", "__new__", "__init_subclass__", "__subclasshook__", "__class__",
            "__dict__", "__weakref__"}  # fmt: skip


def _is_dunder(name):
    return name.startswith("__") and name.endswith("__")


def _owner(cls, name):
    """The class in ``cls``'s MRO that defines ``name``."""
    return next(c for c in cls.__mro__ if name in c.__dict__)


def _members(cls):
    """``{name: (kind, raw attribute)}`` of ``cls``'s public methods, properties and operators
    that minigrad defines (not those of ``object`` or of a built-in base such as
    ``AssertionError``); kind is "callable", "property" or "slot"."""
    out = {}
    for name in dir(cls):
        if (name.startswith("_") and not _is_dunder(name)) or name in _SKIPPED:
            continue
        owner = _owner(cls, name)
        if owner.__module__ == "builtins":
            continue
        raw = owner.__dict__[name]
        if isinstance(raw, (staticmethod, classmethod)):
            raw = raw.__func__
        if isinstance(raw, property):
            out[name] = ("property", raw)
        elif inspect.ismemberdescriptor(raw):
            out[name] = ("slot", raw)
        elif callable(raw) or inspect.isdatadescriptor(raw):
            out[name] = ("callable", raw)
    return out


def public_api():
    """``{"module.name[.member]": (kind, object, docstring)}`` over the three modules."""
    api = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj):  # constants: FLOAT_DTYPES, BACKENDS, __version__...
                continue
            api[f"{module_name}.{name}"] = ("callable", obj, inspect.getdoc(obj))
            if not inspect.isclass(obj):
                continue
            for member, (kind, raw) in _members(obj).items():
                doc = inspect.getdoc(getattr(obj, member))  # a base's, if inherited
                api[f"{module_name}.{name}.{member}"] = (kind, raw, doc)
    return api


def _distinct_public_callables(api):
    """The distinct objects among public names (not dunders, not slots): what
    ``help(minigrad...)`` lists as a method, property or function."""
    seen = {}
    for key, (kind, obj, doc) in api.items():
        if kind != "slot" and not _is_dunder(key.rsplit(".", 1)[-1]):
            seen.setdefault(id(obj), (key, doc))
    return list(seen.values())


def test_the_walk_finds_the_whole_api():
    api = public_api()
    for key in (
        "minigrad.fit",
        "minigrad.is_grad_enabled",
        "minigrad.scalar.Value.exp",
        "minigrad.scalar.Value.__add__",
        "minigrad.scalar.Value.grad",
        "minigrad.scalar.Value.item",
        "minigrad.tensor.Tensor.T",
        "minigrad.tensor.Tensor.softmax",
        "minigrad.tensor.Tensor.__matmul__",
        "minigrad.tensor.Tensor.shape",
        "minigrad.tensor.MLP.zero_grad",
        "minigrad.tensor.ModuleList.__getitem__",
        "minigrad.scalar.SGD.step",
        "minigrad.scalar.Adam.lr",
    ):
        assert key in api, key
    assert api["minigrad.tensor.Tensor.data"][0] == "slot"
    assert len(_distinct_public_callables(api)) > 100


def test_every_public_callable_and_property_has_a_docstring():
    missing = [key for key, (kind, _, doc) in public_api().items() if kind != "slot" and not doc]
    assert missing == []


def test_public_slots_are_named_by_their_class_docstring():
    for key, (kind, _, _) in public_api().items():
        if kind == "slot":
            module_name, cls_name, attr = key.rsplit(".", 2)
            cls = getattr(importlib.import_module(module_name), cls_name)
            assert attr in inspect.getdoc(cls), key


def test_an_optimizer_setting_says_what_it_is():
    assert "learning rate" in inspect.getdoc(minigrad.scalar.SGD.lr)
    assert "momentum" in inspect.getdoc(minigrad.scalar.SGD.momentum)
    assert "Adam" in inspect.getdoc(minigrad.tensor.Adam.betas) or "beta" in inspect.getdoc(
        minigrad.tensor.Adam.betas
    )


def _engine_ops(path, cls_name):
    """``{name: docstring}`` of the methods of ``cls_name`` in an engine file, from its source
    (the lesson as a reader sees it), and the module-level functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name)
    methods = [n for n in cls.body if isinstance(n, ast.FunctionDef)]
    return {f.name: ast.get_docstring(f, clean=False) for f in methods}


NOT_OPS = {"__init__", "_make", "backward", "_backward"}


@pytest.mark.parametrize(
    ("path", "cls_name"),
    [(PACKAGE / "scalar" / "engine.py", "Value"), (PACKAGE / "tensor" / "engine.py", "Tensor")],
)
def test_an_engine_op_has_a_one_line_docstring_with_its_derivative(path, cls_name):
    ops = {name: doc for name, doc in _engine_ops(path, cls_name).items() if name not in NOT_OPS}
    assert {"exp", "log", "tanh", "relu", "__add__", "__mul__", "__pow__"} <= set(ops)
    for name, doc in ops.items():
        assert doc, f"{cls_name}.{name} has no docstring"
        assert "\n" not in doc, f"{cls_name}.{name}: an op's docstring is one line"
        assert "d/d" in doc, f"{cls_name}.{name}: the docstring gives the derivative"


def test_readme_counts_the_engine_files_lines():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    counted = re.findall(r"`minigrad/(scalar|tensor)/engine\.py` \((\d+) lines\)", readme)
    assert {engine for engine, _ in counted} == {"scalar", "tensor"}
    for engine, lines in counted:
        text = (PACKAGE / engine / "engine.py").read_text(encoding="utf-8")
        assert int(lines) == len(text.splitlines()), f"README: {engine}/engine.py"


def _parameter_names(obj):
    return list(inspect.signature(obj).parameters)


def test_the_node_constructors_show_public_arguments_only():
    assert _parameter_names(Value) == ["data", "label"]
    assert _parameter_names(Tensor) == ["data", "requires_grad", "dtype", "label"]
    assert "_prev" not in inspect.signature(Value).__str__()


def test_no_public_callable_takes_a_private_argument():
    private = []
    for key, (kind, obj, _) in public_api().items():
        if kind != "callable" or not callable(obj):
            continue
        try:
            names = _parameter_names(obj)
        except (TypeError, ValueError):  # a built-in without a signature
            continue
        private += [f"{key}({n})" for n in names if n.startswith("_")]
    assert private == []


def test_help_of_value_shows_its_ops_and_no_private_argument():
    text = inspect.getdoc(Value) + "\n" + str(inspect.signature(Value))
    assert "_local" not in text and "_op" not in text
    import pydoc

    page = pydoc.render_doc(Value, renderer=pydoc.plaintext)
    assert "Value(data, label='')" in page
    assert "e**x; d/dx = e**x." in page


def test_an_op_result_is_made_by_make_and_keeps_its_rule():
    x = Value(2.0, label="x")
    y = x * 3
    assert (y.data, y._prev, y._local, y._op) == (6.0, (x,), (3.0,), "*")
    assert type(y.data) is float
    x.data = 2  # a writable .data may be set to an int: the result is still a float
    assert type((x * 3).data) is float
    with minigrad.no_grad():
        z = x * 3
    assert (z._prev, z._local) == ((), ())
    made = Value._make(1.5, (x,), (4.0,), "f")
    made.backward()
    assert x.grad == 4.0


def test_is_grad_enabled_is_documented_and_the_engines_fast_form_agrees():
    assert inspect.isfunction(minigrad.is_grad_enabled)
    assert "graph" in inspect.getdoc(minigrad.is_grad_enabled)
    assert _parameter_names(minigrad.is_grad_enabled) == []
    seen = []

    def both():
        seen.append((minigrad.is_grad_enabled(), grad_mode.grad_enabled()))

    both()
    with minigrad.no_grad():
        both()
        thread = threading.Thread(target=both)  # a new thread starts with grad mode on
        thread.start()
        thread.join()
    assert seen == [(True, True), (False, False), (True, True)]


def test_the_package_ships_py_typed():
    assert (PACKAGE / "py.typed").is_file()


def test_the_top_level_functions_are_annotated():
    unannotated = []
    for name in minigrad.__all__:
        obj = getattr(minigrad, name)
        if callable(obj) and not inspect.isclass(obj):
            if "return" not in typing.get_type_hints(obj):  # (and every hint resolves)
                unannotated.append(name)
    assert unannotated == []


USER_SCRIPT = """
import minigrad
from minigrad.scalar import Value
from minigrad.tensor import MLP, SGD, Tensor

a = Value(2.0, label="a")
b = (a * 3).tanh()
b.backward()
minigrad.explore(b)
minigrad.gradcheck(lambda x: (x * x).sum(), [Tensor([1.0, 2.0], requires_grad=True)])
model = MLP(64, [32, 10])
X_train, X_test, y_train, y_test = minigrad.load_digits()
history = minigrad.fit(model, SGD(model.parameters(), lr=0.1), X_train, y_train)
losses: list[float] = history["loss"]
accuracy: float = minigrad.evaluate(model, X_test, y_test)
weights = minigrad.load_state_dict(minigrad.save(model, "m.npz"))
"""


def test_a_type_checker_reads_the_annotations(tmp_path):
    api = pytest.importorskip("mypy.api", reason="mypy is not installed")
    good = tmp_path / "good.py"
    good.write_text(USER_SCRIPT)
    bad = tmp_path / "bad.py"
    bad.write_text("import minigrad\nminigrad.explore(3.0)\n")
    args = ["--cache-dir", str(tmp_path / "cache"), "--python-version", "3.10"]
    out, err, status = api.run([*args, str(good)])
    assert status == 0, out + err
    out, err, status = api.run([*args, str(bad)])
    assert status == 1 and 'incompatible type "float"; expected "Node"' in out, out + err
