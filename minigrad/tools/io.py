"""Model files: ``save(model, path)``, ``load(path, backend="tensor")`` and
``load_state_dict(path)``, for both engines.

A model file is a plain ``.npz`` archive (NumPy's zip of ``.npy`` arrays) holding

- every ``state_dict()`` array, float64, under its own name (``layers.0.weight``, ...);
- ``__minigrad__``: the architecture as a JSON string stored as a NumPy unicode array, e.g.
  ``{"format": "minigrad", "version": 1, "class": "MLP", "nin": 64, "nouts": [32, 16, 10],
  "act": "relu", "engine": "tensor", "dtype": "float64"}``.

A module of the user's own class (a ``Module`` subclass holding layers) saves its weights
with ``"class": "Module"``, its class's name as ``"type"`` and every array's shape as
``"parameters"`` (``{"fc1.weight": [32, 64], ...}``): ``load`` cannot rebuild it (only the
user's code can) and says so; ``load_state_dict(path)`` reads the weights of any model file,
for ``model.load_state_dict`` of a model built in code.

Every engine uses the same ``state_dict`` layout, so a file written by one loads into any.
``save`` writes what ``load`` rebuilds, or refuses before touching the file: the
architecture comes from the model's constructor attributes, and after surgery on a model
they may no longer describe its parts (``check_rebuildable`` compares them).
A model keeps its dtype in an engine that has it (``FLOAT_DTYPES``: a float32 tensor model
loads as float32 into a tensor engine) and is float64 in one that has only float64.

Loading never executes code from the file: arrays are read with ``allow_pickle=False``, the
JSON is parsed as data and checked field by field, every array's header (dtype and shape) is
checked against the architecture before its data is read, and the model is built by
minigrad's own constructors. Anything unexpected (a damaged, truncated or foreign file, an
object array, a wrong shape, a non-finite number) raises ``ValueError`` saying what is
wrong. A missing file raises the usual ``OSError``.

What a load allocates is bounded by what the file declares, checked before anything is
read: a small compressed file can declare gigabytes. Each ``.npy`` header may be at most
``MAX_NPY_HEADER`` bytes long, the architecture string at most ``MAX_META_CHARS``
characters, and the model at most ``MAX_PARAMETERS[engine]`` parameters (each engine states
its budget, and why, as its module's ``MAX_PARAMETERS``).
"""

import io
import json
import math
import os
import secrets
import stat
import struct
import tokenize
import zipfile
import zlib
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from minigrad import registry
from minigrad.common.checks import ACTIVATIONS, is_int, is_positive_int
from minigrad.common.module import ModuleBase, ModuleListBase, param_shapes

FORMAT = "minigrad"
VERSION = 1
META_KEY = "__minigrad__"
CLASSES = ("MLP", "Layer", "Neuron")  # what load rebuilds
CUSTOM = "Module"  # the class of a file holding a user's module: weights only
MAX_DIMS = 32  # dimensions of one array a model file may declare (NumPy allows 64)
PathLike = str | os.PathLike  # a path, as open() takes it (bytes work too)


class EngineBudgets(Mapping):
    """``{engine name: the most parameters a load builds in it}``, read from each engine
    module's ``MAX_PARAMETERS`` (which says why) whenever it is looked up, so an engine
    registered later is in it too. A file declaring more is refused before it is read."""

    def __getitem__(self, name):
        if name not in registry.BACKENDS:
            raise KeyError(name)
        return registry.backend(name).MAX_PARAMETERS

    def __iter__(self):
        return iter(registry.BACKENDS)

    def __len__(self):
        return len(registry.BACKENDS)

    def __repr__(self):
        return repr(dict(self))


MAX_PARAMETERS = EngineBudgets()
MAX_META_CHARS = 65_536  # the architecture JSON; minigrad writes about a hundred
MAX_NPY_HEADER = 10_000  # bytes of one .npy header (NumPy's own default limit)

# What a broken file can make NumPy's and zipfile's readers raise; all become ValueError.
_READ_ERRORS = (
    ValueError,
    EOFError,
    KeyError,
    IndexError,
    TypeError,
    OverflowError,
    MemoryError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    RuntimeError,  # e.g. zipfile: "File ... is encrypted"; NotImplementedError is one too
    SyntaxError,  # a malformed .npy header is parsed with ast.literal_eval ...
    tokenize.TokenError,  # ... after tokenizing it
    OSError,  # e.g. a seek to a nonsense offset; the file itself was opened fine
)


class ModelFileError(ValueError):
    """A file that is not a valid minigrad model file (a ``ValueError``)."""


class NotRebuildableError(ValueError):
    """A valid model file of a user's own module class, which ``load`` cannot rebuild."""


# -- architecture --------------------------------------------------------------------------


def architecture(model):
    """The JSON-able description of ``model`` that ``load`` rebuilds it from: its class and
    its constructor's arguments, read from its attributes (``nin``, ``nout`` / ``nouts``,
    ``act``, ``dtype``). ``save`` checks the model's parts against it (``check_rebuildable``).
    Any other module of an engine (a user's ``Module`` subclass) is described by its
    parameters' names and shapes (``custom_architecture``)."""
    # The nearest of the engine's own MLP / Layer / Neuron classes in the model's ancestry
    # (a user's subclass of MLP saves as an MLP).
    engine = getattr(model, "engine", None)
    B = registry.backend(engine) if engine in registry.BACKENDS else None
    kind = next(
        (
            c.__name__
            for c in type(model).__mro__
            if B is not None and c.__name__ in CLASSES and getattr(B, c.__name__) is c
        ),
        None,
    )
    if kind is None:
        if B is not None and isinstance(model, ModuleBase):
            return custom_architecture(model)
        raise TypeError(
            "save: can save an MLP, Layer or Neuron of an engine, or any other Module of "
            f"one (a class of your own), got {type(model).__name__}"
        )
    arch = {"class": kind, "nin": _saved_width(kind, "nin", getattr(model, "nin", None))}
    if kind == "Layer":
        arch["nout"] = _saved_width(kind, "nout", getattr(model, "nout", None))
    elif kind == "MLP":
        nouts = getattr(model, "nouts", None)
        if not isinstance(nouts, (list, tuple)) or not nouts:
            raise ValueError(f"save: the MLP's nouts must be a non-empty list, got {nouts!r}")
        arch["nouts"] = [_saved_width(kind, "nouts[]", n) for n in nouts]
    act = getattr(model, "act", None)
    if not isinstance(act, str) or act not in ACTIVATIONS:
        raise ValueError(
            f"save: the {kind} has activation {act!r}, which no engine loads "
            f"(valid: {', '.join(ACTIVATIONS)}); not saving"
        )
    arch["act"] = act
    dtype = np.dtype(getattr(model, "dtype", np.float64)).name
    return {"format": FORMAT, "version": VERSION, **arch, "engine": model.engine, "dtype": dtype}


def custom_architecture(model):
    """The description of a module ``load`` cannot rebuild (a class of the user's own): its
    class's name, and the name and shape of every ``state_dict`` array; ``dtype`` is its
    parameters' dtype when they share one a model file may declare, else float64."""
    shapes = {}
    for key, array in model.state_dict().items():
        if key == META_KEY or not all(p.isidentifier() or p.isdigit() for p in key.split(".")):
            raise ValueError(
                f"save: parameter name {key!r} is not a dotted name of attributes "
                "(fc1.weight); not saving"
            )
        if np.ndim(array) > MAX_DIMS:
            raise ValueError(f"save: parameter {key!r} has more than {MAX_DIMS} dimensions")
        shapes[key] = list(np.shape(array))
    dtypes = {np.asarray(node.data).dtype.name for node in model.parameters()}
    dtype = dtypes.pop() if len(dtypes) == 1 else "float64"
    return {
        "format": FORMAT,
        "version": VERSION,
        "class": CUSTOM,
        "type": type(model).__name__,
        "parameters": shapes,
        "engine": model.engine,
        "dtype": dtype if dtype in model_dtypes() else "float64",
    }


def _saved_width(kind, name, x):
    if not is_positive_int(x):
        raise ValueError(f"save: the {kind}'s {name} must be a positive integer, got {x!r}")
    return int(x)


def _layer_text(nin, nout, act):
    return f"Layer({nin}, {nout}, act={act!r})"


def check_rebuildable(model, arch):
    """Return ``model.state_dict()``, or refuse (``ValueError``) a model that ``load``
    would not rebuild exactly from ``arch`` and that state: after surgery (a layer
    replaced, appended, widened or removed; an attribute changed), the attributes ``arch``
    was read from no longer describe the model's parts, and the file would load as another
    model, or not at all.

    An MLP's ``layers`` must be one engine ``Layer`` (that very class) per width in
    ``nouts``, with the widths ``nin -> nouts[0] -> ...``, ``act`` on every hidden layer, the
    last one linear, in the MLP's dtype; and the arrays must be the keys and shapes
    ``param_shapes`` gives for ``arch``. (The parts are checked first: a layer of another
    engine cannot even give a ``state_dict``.)"""
    B = registry.backend(arch["engine"])
    if arch["class"] == "MLP":
        layers = getattr(model, "layers", None)
        nouts, act = arch["nouts"], arch["act"]
        described = f"MLP({arch['nin']}, {nouts}, act={act!r})"
        is_list = isinstance(layers, (list, tuple, ModuleListBase))
        if not is_list or len(layers) != len(nouts):
            count = len(layers) if is_list else "no list of"
            raise ValueError(
                f"save: the MLP has {count} layers, but its attributes describe "
                f"{described}, {len(nouts)} layers (after adding or removing a layer, set "
                "nouts to match); not saving"
            )
        widths = [arch["nin"], *nouts]
        for i, layer in enumerate(layers):
            want = _layer_text(widths[i], widths[i + 1], act if i < len(nouts) - 1 else "linear")
            if getattr(layer, "engine", None) != arch["engine"]:
                raise ValueError(
                    f"save: layers[{i}] is a {type(layer).__name__} of another engine "
                    f"({getattr(layer, 'engine', None)!r}), but load would rebuild {want} of "
                    f"the {arch['engine']!r} engine; not saving"
                )
            if type(layer) is not B.Layer:
                raise ValueError(
                    f"save: layers[{i}] is a {type(layer).__name__}, but load would rebuild "
                    f"the {described} with {want} there; not saving"
                )
            have = _layer_text(layer.nin, layer.nout, layer.act)
            if have != want:
                raise ValueError(
                    f"save: layers[{i}] is {have}, but load would rebuild the {described} "
                    f"with {want} there; not saving"
                )
            dtype = np.dtype(getattr(layer, "dtype", np.float64)).name
            if dtype != arch["dtype"]:
                raise ValueError(
                    f"save: layers[{i}] holds {dtype} weights, but the MLP is "
                    f"{arch['dtype']} (load rebuilds every layer in the MLP's dtype); not saving"
                )
    state = model.state_dict()
    expected = _expected_shapes(arch)
    for key in {**expected, **state}:
        have = tuple(np.shape(state[key])) if key in state else None
        want = expected.get(key)
        if have != want:
            raise ValueError(
                f"save: the model's state_dict has {key!r} "
                + ("missing" if have is None else f"of shape {have}")
                + f", but load would rebuild the {arch['class']} its attributes describe "
                + ("without it" if want is None else f"with shape {want}")
                + "; not saving"
            )
    return state


def _expected_shapes(arch):
    """``{state_dict key: shape}`` of the model ``arch`` describes."""
    if arch["class"] == CUSTOM:
        return {key: tuple(shape) for key, shape in arch["parameters"].items()}
    return param_shapes(arch["class"], arch["nin"], arch.get("nout"), arch.get("nouts"))


def _check_width(name, x):
    if not is_positive_int(x):  # JSON gives int: rejects bool, float (2.0), None, strings
        raise ModelFileError(f"bad model file: {name} must be a positive integer, got {x!r}")
    return x


def _reject_constant(name):
    raise ModelFileError(f"bad model file: non-finite number {name} in the architecture")


def _budget(engine):
    """The most parameters a file may declare: ``engine``'s budget, or with no engine (the
    arrays alone, ``load_state_dict``) the largest, which ``save`` writes under."""
    if engine is None:
        return max(MAX_PARAMETERS.values())
    return MAX_PARAMETERS.get(engine, min(MAX_PARAMETERS.values()))


def model_dtypes():
    """The dtypes a model file may declare: every dtype some engine's models have
    (``FLOAT_DTYPES`` of each engine), float64 first."""
    names = ["float64"]
    for engine in registry.BACKENDS:
        names += [d for d in registry.backend(engine).FLOAT_DTYPES if d not in names]
    return tuple(names)


def _parse_architecture(text, engine):
    """Parse and check the JSON architecture of a model to load into ``engine``; return a
    dict with only known, valid fields."""
    if len(text) > MAX_META_CHARS:
        raise ModelFileError(f"bad model file: architecture entry is too long ({len(text)} chars)")
    try:
        meta = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise ModelFileError(f"bad model file: architecture is not valid JSON ({e})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(
            f"bad model file: architecture must be a JSON object, got {text[:80]!r}"
        )
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"not a minigrad model file: format is {meta.get('format')!r}")
    version = meta.get("version")
    if not is_int(version):
        raise ModelFileError(f"bad model file: version must be an integer, got {version!r}")
    if version != VERSION:
        raise ModelFileError(
            f"unsupported model file version {version}; this minigrad reads version {VERSION}"
        )
    cls = meta.get("class")
    if cls not in (*CLASSES, CUSTOM):
        raise ModelFileError(
            f"bad model file: unknown class {cls!r}; valid: {', '.join((*CLASSES, CUSTOM))}"
        )
    dtype = meta.get("dtype", "float64")
    if dtype not in model_dtypes():
        raise ModelFileError(
            f"bad model file: dtype must be one of {model_dtypes()}, got {dtype!r}"
        )
    if cls == CUSTOM:
        arch = _parse_custom(meta, dtype)
    else:
        arch = _parse_builtin(meta, cls, dtype)
    total = _n_parameters(arch)
    if total > _budget(engine):
        limit = (
            f"reads at most {_budget(engine)} (the largest engine budget)"
            if engine is None
            else f"loads at most {_budget(engine)} into the {engine} engine"
        )
        raise ModelFileError(
            f"model file too big: the architecture declares {total} parameters; minigrad "
            f"{limit} (minigrad.tools.io.MAX_PARAMETERS: each engine's MAX_PARAMETERS)"
        )
    return arch


def _parse_custom(meta, dtype):
    """The fields of a user's module's file: its class's name and its arrays' shapes."""
    name = meta.get("type")
    if not isinstance(name, str) or not name.isidentifier():
        raise ModelFileError(f"bad model file: type must be a class name, got {name!r}")
    engine = meta.get("engine")
    if not isinstance(engine, str):
        raise ModelFileError(f"bad model file: engine must be a name, got {engine!r}")
    shapes = meta.get("parameters")
    if not isinstance(shapes, dict):
        raise ModelFileError(
            f"bad model file: parameters must be an object of shapes, got {shapes!r:.80}"
        )
    for key, shape in shapes.items():
        if key == META_KEY or not all(p.isidentifier() or p.isdigit() for p in key.split(".")):
            raise ModelFileError(f"bad model file: {key!r:.80} is not a parameter name")
        if (
            not isinstance(shape, list)
            or len(shape) > MAX_DIMS
            or not all(is_int(n) and n >= 0 for n in shape)
        ):
            raise ModelFileError(
                f"bad model file: the shape of {key!r} must be a list of at most {MAX_DIMS} "
                f"whole numbers >= 0, got {shape!r:.80}"
            )
    return {"class": CUSTOM, "type": name, "engine": engine, "parameters": shapes, "dtype": dtype}


def _parse_builtin(meta, cls, dtype):
    """The fields of an MLP's, Layer's or Neuron's file: its constructor's arguments."""
    act = meta.get("act")
    if not isinstance(act, str) or act not in ACTIVATIONS:
        raise ModelFileError(
            f"bad model file: unknown activation {act!r}; valid: {', '.join(ACTIVATIONS)}"
        )
    arch = {"class": cls, "nin": _check_width("nin", meta.get("nin")), "act": act, "dtype": dtype}
    if cls == "Layer":
        arch["nout"] = _check_width("nout", meta.get("nout"))
    elif cls == "MLP":
        nouts = meta.get("nouts")
        if not isinstance(nouts, list) or not nouts:
            raise ModelFileError(f"bad model file: nouts must be a non-empty list, got {nouts!r}")
        arch["nouts"] = [_check_width("nouts[]", n) for n in nouts]
    return arch


def _n_parameters(arch):
    return sum(math.prod(s) for s in _expected_shapes(arch).values())


# -- save ------------------------------------------------------------------------------------


def save(model: ModuleBase, path: PathLike) -> PathLike:
    """Write ``model`` (any module of any engine) to ``path``: an MLP, Layer or Neuron as
    what ``load`` rebuilds; a module of the user's own class as its weights and their
    names and shapes, which ``load_state_dict`` reads back (``load`` refuses it).

    The file is written to exactly ``path`` (no ``.npz`` is appended; ``.npz`` is the
    conventional suffix). It is first written to a temporary file in the same directory
    and then moved into place, so an interrupted save never leaves a half-written file
    under ``path``. A symlink is written through, and a device or FIFO (``/dev/null``)
    written into directly, never replaced. The file gets the permissions a plain
    ``open(path, "wb")`` would give it: those of the file it replaces, or else ``0o666``
    less the umask. An ``OSError`` (a missing directory, no permission, ``path`` is a
    directory, a full disk) names ``path``.
    A model with non-finite weights, or more parameters than any engine loads
    (``MAX_PARAMETERS``), raises ``ValueError`` (such a file could not be loaded). Returns
    ``path``.
    """
    arch = architecture(model)
    if _n_parameters(arch) > max(MAX_PARAMETERS.values()):
        raise ValueError(
            f"save: the model has {_n_parameters(arch)} parameters, more than any engine "
            f"loads ({max(MAX_PARAMETERS.values())}, minigrad.tools.io.MAX_PARAMETERS); "
            "not saving"
        )
    state = check_rebuildable(model, arch)
    for name, array in state.items():
        if not np.all(np.isfinite(array)):
            raise ValueError(f"save: parameter {name!r} has non-finite values; not saving")
    # (np.array, not np.ascontiguousarray, which makes a 0-d parameter 1-d)
    arrays = {name: np.array(a, dtype=np.float64, order="C") for name, a in state.items()}
    arrays[META_KEY] = np.array(json.dumps(arch))  # a 0-d unicode array, no pickle needed
    target = os.fsdecode(path)  # str or bytes (as open() takes), or a path object
    if _written_into(target):
        buffer = io.BytesIO()  # a zip needs a seekable file; a pipe or device is not one
        np.savez(buffer, **arrays)
        try:
            with open(target, "wb") as f:
                f.write(buffer.getbuffer())
        except OSError as e:
            raise _naming(e, target) from None
        return path
    real = os.path.realpath(target)
    tmp = None
    try:
        tmp, fd = _create_beside(real)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        try:  # replacing a file keeps its permissions, as writing into it would
            os.chmod(tmp, stat.S_IMODE(os.stat(real).st_mode))
        except FileNotFoundError:
            pass
        os.replace(tmp, real)
    except BaseException as e:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        if isinstance(e, OSError):  # about the user's path, not the temporary file
            raise _naming(e, target) from None
        raise
    return path


def _written_into(target):
    """True if ``save`` writes into ``target`` itself: a device or FIFO (``/dev/null``), as a
    plain open() would; replacing it would swap the device for a new file. Else ``save``
    writes a temporary file beside the real file (a symlink is written through) and renames
    it. os.stat(target), not the realpath: /dev/fd/N (bash's >(...)) resolves to
    "pipe:[inode]"."""
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def check_replaceable(path):
    """Raise the ``OSError`` that ``save(model, path)`` would meet creating its temporary file
    in the directory of ``path`` (a read-only directory: the file itself may be writable),
    naming that directory; write nothing. The command line calls it before training."""
    target = os.fsdecode(path)
    if _written_into(target):
        return
    directory = os.path.dirname(os.path.realpath(target))
    try:
        tmp, fd = _create_beside(os.path.realpath(target))
    except OSError as e:
        raise OSError(e.errno, e.strerror, directory) from None
    os.close(fd)
    os.unlink(tmp)


def _create_beside(target):
    """Create and open a new temporary file in ``target``'s directory; return its path and
    descriptor. ``os.open`` with mode ``0o666`` lets the OS apply the umask (and a default
    ACL), exactly as for a plain ``open()``; ``tempfile.mkstemp`` would always give 0600."""
    directory = os.path.dirname(os.path.abspath(target))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f".minigrad-{secrets.token_hex(8)}.tmp")
        try:
            return tmp, os.open(tmp, flags, 0o666)
        except FileExistsError:  # 64 random bits taken: try another name
            continue


def _naming(error, target):
    """``error`` (an ``OSError`` about the temporary file) retold about ``target``."""
    if error.errno is None:
        return OSError(f"could not write {target!r}: {error.strerror or error}")
    return OSError(error.errno, error.strerror, target)  # the errno's subclass


# -- load ------------------------------------------------------------------------------------


# .npy versions minigrad reads: how the header's length is stored, and NumPy's parser
_NPY_HEADERS = {
    (1, 0): ("<H", np.lib.format.read_array_header_1_0),
    (2, 0): ("<I", np.lib.format.read_array_header_2_0),
}


def _header(npz, key):
    """``(shape, dtype)`` from the header of array ``key``, without reading its data.

    The header's declared length is checked before the header is read: NumPy's reader reads
    a header of any declared length (up to 4 GB) before it checks it.
    """
    with npz.zip.open(key + ".npy") as fp:
        version = np.lib.format.read_magic(fp)
        if version not in _NPY_HEADERS:
            raise ModelFileError(f"unsupported .npy format version {version}")
        length_format, parse = _NPY_HEADERS[version]
        raw = fp.read(struct.calcsize(length_format))
        if len(raw) != struct.calcsize(length_format):
            raise ModelFileError(f"bad model file: {key!r} ends inside its .npy header")
        (length,) = struct.unpack(length_format, raw)
        if length > MAX_NPY_HEADER:
            raise ModelFileError(
                f"bad model file: {key!r} declares a .npy header of {length} bytes; "
                f"minigrad reads at most {MAX_NPY_HEADER}"
            )
        shape, _, dtype = parse(io.BytesIO(raw + fp.read(length)))
    return shape, dtype


def _read(npz, engine, rebuild):
    """Check the open archive ``npz`` and return ``(arch, {key: float64 array})`` for a
    model of ``engine`` (``None``: the arrays alone, under the largest budget). With
    ``rebuild``, a file ``load`` cannot rebuild is refused before its arrays are read."""
    files = set(npz.files)
    if META_KEY not in files:
        raise ModelFileError(
            f"not a minigrad model file: no {META_KEY!r} entry (a plain .npz archive?); "
            "write model files with minigrad.save"
        )
    shape, dtype = _header(npz, META_KEY)
    if dtype.kind != "U" or shape != ():
        raise ModelFileError(
            f"bad model file: {META_KEY!r} must be a 0-d unicode string, "
            f"got dtype {dtype} and shape {shape}"
        )
    chars = dtype.itemsize // np.dtype("U1").itemsize
    if chars > MAX_META_CHARS:  # checked before the string is read
        raise ModelFileError(
            f"bad model file: architecture entry is too long: {META_KEY!r} declares {chars} "
            f"characters; minigrad reads at most {MAX_META_CHARS}"
        )
    arch = _parse_architecture(str(npz[META_KEY][()]), engine)
    if rebuild and arch["class"] == CUSTOM:
        raise NotRebuildableError(
            f"load: the file holds the weights of a {arch['type']}, a module class of your "
            f"own ({arch['engine']} engine), which load cannot rebuild: build the model in "
            f"code, then load the weights into it: model = {arch['type']}(...); "
            "model.load_state_dict(minigrad.load_state_dict(path))"
        )
    expected = _expected_shapes(arch)
    missing = [k for k in expected if k not in files]
    unexpected = sorted(files - set(expected) - {META_KEY})
    if missing:
        raise ModelFileError(f"bad model file: missing array(s) {', '.join(map(repr, missing))}")
    if unexpected:
        raise ModelFileError(
            f"bad model file: unexpected entries {', '.join(map(repr, unexpected))}"
        )
    state = {}
    for key, want in expected.items():
        shape, dtype = _header(npz, key)  # checked before any data is read or allocated
        if dtype != np.float64:
            raise ModelFileError(f"bad model file: {key!r} has dtype {dtype}, expected float64")
        if tuple(shape) != want:
            raise ModelFileError(
                f"bad model file: {key!r} has shape {tuple(shape)}, expected {want}"
            )
        array = npz[key]
        if not np.all(np.isfinite(array)):
            raise ModelFileError(f"bad model file: {key!r} holds non-finite values")
        _check_range(key, array, arch["dtype"])
        state[key] = array
    return arch, state


def _check_range(key, array, dtype):
    """A float32 model file holds values float32 holds (``save`` writes no other): 1e300
    would load as inf (the model non-finite) into an engine with float32, and as a number
    no float32 model had into one without it. Refused, naming the entry."""
    with np.errstate(over="ignore"):  # the cast's overflow is what is looked for
        too_big = ~np.isfinite(array.astype(dtype))
    if too_big.any():
        value = array[too_big].flat[0]
        raise ModelFileError(
            f"bad model file: {key!r} holds {value:g}, beyond the range of {dtype}, the "
            f"dtype the file declares (at most {float(np.finfo(dtype).max):g})"
        )


def _read_file(f, name, engine, rebuild=True):
    """Open ``f`` (a binary file object) as an archive and return ``_read``'s result."""
    try:
        archive = np.load(f, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ModelFileError(
                f"not a minigrad model file: {name!r} holds a single .npy array, "
                "not an .npz archive"
            )
        with archive:
            return _read(archive, engine, rebuild)
    except (ModelFileError, NotRebuildableError):
        raise
    except _READ_ERRORS as e:
        raise ModelFileError(
            f"{name!r} is not a readable minigrad model file "
            f"(damaged, truncated or foreign): {type(e).__name__}: {e}"
        ) from None


def load(path: PathLike, backend: str = "tensor") -> ModuleBase:
    """Read a model file written by ``save`` (from any engine) into engine ``backend``.

    Returns a new ``MLP``, ``Layer`` or ``Neuron`` of that engine with the saved weights;
    it gives the same outputs as the saved model. A damaged, truncated, foreign or hostile
    file raises ``ValueError``; nothing in the file is ever executed or unpickled. A file
    that declares more than ``MAX_PARAMETERS[backend]`` parameters (or an oversized header)
    is refused before its data is read. A float32 model stays float32 in an engine whose
    ``FLOAT_DTYPES`` has it, and is float64 in any other. A file of a module class of the
    user's own raises ``ValueError`` (``NotRebuildableError``) saying to build the model and
    load the weights into it with ``load_state_dict``.
    """
    B = registry.backend(backend)  # unknown backend: ValueError listing the valid names
    with open(path, "rb") as f:  # a missing file: the usual FileNotFoundError
        arch, state = _read_file(f, os.fsdecode(path), backend)
    kwargs = {}
    if arch["dtype"] != "float64" and arch["dtype"] in B.FLOAT_DTYPES:
        kwargs["dtype"] = np.dtype(arch["dtype"]).type  # else float64, the one every engine has
    act = arch["act"]
    if arch["class"] == "MLP":
        model = B.MLP(arch["nin"], arch["nouts"], act=act, **kwargs)
    elif arch["class"] == "Layer":
        model = B.Layer(arch["nin"], arch["nout"], act=act, **kwargs)
    else:
        model = B.Neuron(arch["nin"], act=act, **kwargs)
    model.load_state_dict(state)
    return model


def load_state_dict(path: PathLike) -> dict[str, NDArray[np.float64]]:
    """The weights in a model file written by ``save`` (of any module, from any engine), as
    a ``state_dict``: ``{name: float64 array}`` in the file's order, for
    ``model.load_state_dict(...)`` of a model built in code (PyTorch's
    ``model.load_state_dict(torch.load(path))``). The file is checked as ``load`` checks it;
    what it may declare is bounded by the largest ``MAX_PARAMETERS``, what ``save`` writes.
    """
    with open(path, "rb") as f:  # a missing file: the usual FileNotFoundError
        _, state = _read_file(f, os.fsdecode(path), None, rebuild=False)
    return state
