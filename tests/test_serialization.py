"""Model files: ``minigrad.save`` / ``minigrad.load`` round trips within and across engines,
and every kind of damaged, foreign or hostile file giving ``ValueError`` without running
anything from the file."""

import builtins
import io
import json
import os
import pickle
import stat
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

import minigrad
from minigrad.tools.io import MAX_META_CHARS, MAX_PARAMETERS, META_KEY
from minigrad.tools.training import predict

X = np.random.default_rng(42).uniform(0, 1, size=(7, 6))


def make(B, kind, act="tanh", seed=0):
    if kind == "MLP":
        return B.MLP(6, [5, 4, 3], act=act, seed=seed)
    if kind == "Layer":
        return B.Layer(6, 3, act=act, seed=seed)
    return B.Neuron(6, act=act, seed=seed)


def outputs(model, x=X):
    return minigrad.backend(model.engine).to_numpy(model(x))


def same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k])


# -- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["MLP", "Layer", "Neuron"])
@pytest.mark.parametrize("src", minigrad.BACKENDS)
@pytest.mark.parametrize("dst", minigrad.BACKENDS)
def test_round_trip_within_and_across_engines(tmp_path, kind, src, dst):
    model = make(minigrad.backend(src), kind)
    path = tmp_path / "model.npz"
    assert minigrad.save(model, path) == path
    loaded = minigrad.load(path, backend=dst)
    assert loaded.engine == dst
    assert type(loaded).__name__ == kind
    assert (loaded.nin, loaded.act) == (model.nin, model.act)
    same_state(model, loaded)
    np.testing.assert_allclose(outputs(loaded), outputs(model), rtol=0, atol=1e-12)


def test_round_trip_keeps_architecture(tmp_path):
    model = minigrad.backend("scalar").MLP(6, [9, 2], act="sigmoid", seed=3)
    minigrad.save(model, tmp_path / "m.npz")
    loaded = minigrad.load(tmp_path / "m.npz")  # tensor by default
    assert loaded.engine == "tensor"
    assert (loaded.nin, loaded.nouts, loaded.act) == (6, [9, 2], "sigmoid")


def test_trained_model_round_trip_scalar_to_tensor_and_back(tmp_path, digits):
    X_train, X_test, y_train, y_test = digits
    S = minigrad.backend("scalar")
    model = S.MLP(64, [8, 10], seed=1)
    minigrad.fit(model, S.SGD(model.parameters(), lr=0.1), X_train[:40], y_train[:40],
                 batch_size=8, progress=False)  # fmt: skip
    minigrad.save(model, tmp_path / "s.npz")
    as_tensor = minigrad.load(tmp_path / "s.npz", backend="tensor")
    minigrad.save(as_tensor, tmp_path / "t.npz")
    back = minigrad.load(tmp_path / "t.npz", backend="scalar")
    same_state(model, back)
    pred = predict
    np.testing.assert_array_equal(pred(as_tensor, X_test), pred(model, X_test))
    np.testing.assert_array_equal(pred(back, X_test), pred(model, X_test))


def test_float32_tensor_model_keeps_its_dtype(tmp_path):
    T = minigrad.backend("tensor")
    model = T.MLP(6, [4, 2], seed=0, dtype=np.float32)
    minigrad.save(model, tmp_path / "m.npz")
    loaded = minigrad.load(tmp_path / "m.npz", backend="tensor")
    assert loaded.layers[0].weight.data.dtype == np.float32
    same_state(model, loaded)
    scalar = minigrad.load(tmp_path / "m.npz", backend="scalar")
    same_state(model, scalar)


def test_file_layout_is_plain_npz_with_json_architecture(tmp_path):
    model = minigrad.backend("tensor").MLP(6, [5, 3], act="relu", seed=0)
    minigrad.save(model, tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:
        assert set(f.files) == {META_KEY, *model.state_dict()}
        meta = json.loads(str(f[META_KEY][()]))
        assert f[META_KEY].dtype.kind == "U"
        for k, v in model.state_dict().items():
            assert f[k].dtype == np.float64
            np.testing.assert_array_equal(f[k], v)
    assert meta["format"] == "minigrad" and meta["version"] == 1
    assert (meta["class"], meta["nin"], meta["nouts"], meta["act"]) == ("MLP", 6, [5, 3], "relu")


def test_save_writes_exactly_the_given_path(tmp_path):
    model = minigrad.backend("scalar").Neuron(3, seed=0)
    path = tmp_path / "weights.bin"
    minigrad.save(model, str(path))
    assert os.listdir(tmp_path) == ["weights.bin"]  # no .npz appended, no temporary left
    same_state(model, minigrad.load(str(path)))


def test_save_overwrites_and_errors(tmp_path):
    B = minigrad.backend("tensor")
    path = tmp_path / "m.npz"
    minigrad.save(B.MLP(6, [2], seed=0), path)
    second = B.MLP(6, [2], seed=1)
    minigrad.save(second, path)
    same_state(second, minigrad.load(path))
    with pytest.raises(OSError):
        minigrad.save(second, tmp_path / "no" / "such" / "dir" / "m.npz")
    with pytest.raises(TypeError, match="MLP, Layer or Neuron"):
        minigrad.save(object(), path)
    second.layers[0].weight.data[0, 0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        minigrad.save(second, tmp_path / "nan.npz")
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_load_errors_that_are_not_about_the_file(tmp_path):
    minigrad.save(minigrad.backend("tensor").Neuron(2, seed=0), tmp_path / "m.npz")
    with pytest.raises(ValueError, match="unknown backend 'torch'"):
        minigrad.load(tmp_path / "m.npz", backend="torch")
    with pytest.raises(FileNotFoundError):
        minigrad.load(tmp_path / "missing.npz")


# -- damaged, foreign and hostile files ------------------------------------------------------


def good_arrays():
    model = minigrad.backend("tensor").MLP(6, [5, 3], act="relu", seed=0)
    arrays = model.state_dict()
    meta = {"format": "minigrad", "version": 1, "class": "MLP", "nin": 6, "nouts": [5, 3],
            "act": "relu"}  # fmt: skip
    return arrays, meta


def write(path, arrays, meta=None, raw_meta=None):
    arrays = dict(arrays)
    if raw_meta is not None:
        arrays[META_KEY] = raw_meta
    elif meta is not None:
        arrays[META_KEY] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    return path


def test_the_handmade_good_file_loads(tmp_path):
    # the fixtures below break this file one way at a time; untouched, it must load
    arrays, meta = good_arrays()
    model = minigrad.load(write(tmp_path / "ok.npz", arrays, meta))
    np.testing.assert_array_equal(model.state_dict()["layers.1.bias"], arrays["layers.1.bias"])


def _meta_change(**change):
    def edit(arrays, meta):
        meta.update(change)
        return arrays, meta

    return edit


def _drop(key):
    def edit(arrays, meta):
        meta.pop(key)
        return arrays, meta

    return edit


def _array_change(key, value):
    def edit(arrays, meta):
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
        return arrays, meta

    return edit


BAD_EDITS = {
    "format": (_meta_change(format="keras"), "format"),
    "no format": (_drop("format"), "format"),
    "version 2": (_meta_change(version=2), "version"),
    "version string": (_meta_change(version="1"), "version"),
    "version bool": (_meta_change(version=True), "version"),
    "class unknown": (_meta_change(**{"class": "Transformer"}), "unknown class"),
    "class code": (_meta_change(**{"class": "__import__('os').system('true')"}), "unknown class"),
    "class missing": (_drop("class"), "unknown class"),
    "act unknown": (_meta_change(act="gelu"), "activation"),
    "act list": (_meta_change(act=["relu"]), "activation"),
    "nin float": (_meta_change(nin=6.0), "nin"),
    "nin zero": (_meta_change(nin=0), "nin"),
    "nin negative": (_meta_change(nin=-6), "nin"),
    "nin string": (_meta_change(nin="6"), "nin"),
    "nin bool": (_meta_change(nin=True), "nin"),
    "nin missing": (_drop("nin"), "nin"),
    "nouts empty": (_meta_change(nouts=[]), "nouts"),
    "nouts int": (_meta_change(nouts=3), "nouts"),
    "nouts float": (_meta_change(nouts=[5.0, 3]), "nouts"),
    "nouts null": (_meta_change(nouts=[5, None]), "nouts"),
    "huge": (_meta_change(nin=10**6, nouts=[10**6, 3]), "parameters"),
    "dtype": (_meta_change(dtype="object"), "dtype"),
    "missing weight": (_array_change("layers.0.weight", None), "missing"),
    "extra array": (_array_change("layers.9.weight", np.zeros((2, 2))), "unexpected"),
    "wrong shape": (_array_change("layers.0.weight", np.zeros((6, 5))), "shape"),
    "transposed bias": (_array_change("layers.1.bias", np.zeros((3, 1))), "shape"),
    "int weights": (_array_change("layers.0.weight", np.zeros((5, 6), dtype=np.int64)), "dtype"),
    "float32 weights": (_array_change("layers.0.bias", np.zeros(5, dtype=np.float32)), "dtype"),
    "string weights": (_array_change("layers.0.bias", np.array(["1"] * 5)), "dtype"),
    "nan weight": (_array_change("layers.0.bias", np.array([0, 0, np.nan, 0, 0.0])), "finite"),
    "inf weight": (_array_change("layers.1.bias", np.array([0, np.inf, 0.0])), "finite"),
}


@pytest.mark.parametrize("name", BAD_EDITS)
def test_bad_architecture_or_arrays_raise_value_error(tmp_path, name):
    edit, message = BAD_EDITS[name]
    arrays, meta = edit(*good_arrays())
    path = write(tmp_path / "bad.npz", arrays, meta)
    for backend in minigrad.BACKENDS:
        with pytest.raises(ValueError, match=message):
            minigrad.load(path, backend=backend)


@pytest.mark.parametrize(
    "raw, message",
    [
        ("{not json", "JSON"),
        ('["format", "minigrad"]', "JSON object"),
        (
            '{"format": "minigrad", "version": 1, "class": "MLP", "nin": NaN, "nouts": [3], '
            '"act": "relu"}',
            "non-finite",
        ),  # fmt: skip
        (
            '{"format": "minigrad", "version": 1, "class": "MLP", "nin": 6, "nouts": [Infinity], '
            '"act": "relu"}',
            "non-finite",
        ),  # fmt: skip
        ("x" * 100_000, "too long"),
    ],
)
def test_bad_json_raises_value_error(tmp_path, raw, message):
    arrays, _ = good_arrays()
    path = write(tmp_path / "bad.npz", arrays, raw_meta=np.array(raw))
    with pytest.raises(ValueError, match=message):
        minigrad.load(path)


@pytest.mark.parametrize(
    "raw",
    [
        np.array([json.dumps(good_arrays()[1])]),  # 1-d instead of 0-d
        np.array(3.0),
        np.frombuffer(json.dumps(good_arrays()[1]).encode(), dtype=np.uint8),
    ],
    ids=["1-d", "float", "bytes"],
)
def test_metadata_of_the_wrong_kind_raises_value_error(tmp_path, raw):
    arrays, _ = good_arrays()
    path = write(tmp_path / "bad.npz", arrays, raw_meta=raw)
    with pytest.raises(ValueError, match="0-d unicode"):
        minigrad.load(path)


def test_foreign_files_raise_value_error(tmp_path):
    cases = {
        "empty.npz": b"",
        "text.npz": b"layers.0.weight = [[1, 2], [3, 4]]\n",
        "json.npz": json.dumps(good_arrays()[1]).encode(),
        "zeros.npz": bytes(1000),
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    np.savez(tmp_path / "plain.npz", a=np.arange(3.0))
    np.save(tmp_path / "single.npy", np.arange(3.0))
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("readme.txt", "hello")
    for name in [*cases, "plain.npz", "single.npy", "other.zip"]:
        with pytest.raises(ValueError):
            minigrad.load(tmp_path / name)
    with pytest.raises(ValueError, match="no '__minigrad__' entry"):
        minigrad.load(tmp_path / "plain.npz")
    with pytest.raises(ValueError, match="single .npy array"):
        minigrad.load(tmp_path / "single.npy")


def test_truncated_and_corrupted_files_raise_value_error(tmp_path):
    model = minigrad.backend("tensor").MLP(6, [5, 3], seed=0)
    minigrad.save(model, tmp_path / "good.npz")
    data = (tmp_path / "good.npz").read_bytes()
    path = tmp_path / "bad.npz"
    for n in range(0, len(data), max(1, len(data) // 97)):
        path.write_bytes(data[:n])
        with pytest.raises(ValueError):
            minigrad.load(path)
    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(300):
        damaged = bytearray(data)
        for i in rng.integers(0, len(data), size=3):
            damaged[i] = (damaged[i] + 1 + int(rng.integers(255))) % 256
        path.write_bytes(bytes(damaged))
        try:  # a flip in unused bytes may leave a valid file; anything else is ValueError
            minigrad.load(path)
            outcomes.add("loaded")
        except ValueError:
            outcomes.add("ValueError")
    assert "ValueError" in outcomes


class Trap:
    """Unpickling this object creates the file ``path``: proof that code ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (builtins.open, (self.path, "w"))


def test_pickled_objects_are_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    trap = np.array([Trap(marker)], dtype=object)
    pickle.loads(pickle.dumps(Trap(marker)))  # the trap works: unpickling creates the file
    assert marker.exists()
    marker.unlink()

    arrays, meta = good_arrays()
    files = {
        "meta.npz": write(tmp_path / "meta.npz", arrays, raw_meta=trap),
        "weight.npz": write(tmp_path / "weight.npz", {**arrays, "layers.0.bias": trap}, meta),
        "extra.npz": write(tmp_path / "extra.npz", {**arrays, "evil": trap}, meta),
        "pickle.npz": tmp_path / "pickle.npz",
        "npy.npz": tmp_path / "npy.npz",
    }
    files["pickle.npz"].write_bytes(pickle.dumps(Trap(marker)))
    with open(files["npy.npz"], "wb") as f:
        np.save(f, trap, allow_pickle=True)
    for name, path in files.items():
        for backend in minigrad.BACKENDS:
            with pytest.raises(ValueError):
                minigrad.load(path, backend=backend)
        assert not marker.exists(), f"{name}: loading ran code from the file"


# -- files that declare more than they hold ----------------------------------------------------


def npy_prefix(descr, shape):
    """The .npy header (format 1.0) of an array of ``descr`` and ``shape``, without data."""
    f = io.BytesIO()
    np.lib.format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False,
                                             "shape": shape})  # fmt: skip
    return f.getvalue()


def npy_bytes(array):
    f = io.BytesIO()
    np.save(f, array, allow_pickle=False)
    return f.getvalue()


def zip_of_zeros(path, members):
    """Write a valid zip (deflate) whose member ``name`` holds ``prefix`` then ``n_zeros`` zero
    bytes, for ``members = {name: (prefix, n_zeros)}``: a few hundred MB of zeros cost about
    1 KB per MB in the file and are never held in memory or compressed here. After a full
    flush a deflate stream starts afresh, so one compressed MB of zeros is repeated."""
    mb = bytes(1 << 20)
    local, central = b"", b""
    for name, (prefix, n_zeros) in members.items():
        co = zlib.compressobj(9, zlib.DEFLATED, -15)
        data = co.compress(prefix) + co.flush(zlib.Z_FULL_FLUSH)
        crc = zlib.crc32(prefix)
        n_mb, rest = divmod(n_zeros, len(mb))
        if n_mb:
            data += (co.compress(mb) + co.flush(zlib.Z_FULL_FLUSH)) * n_mb
            for _ in range(n_mb):
                crc = zlib.crc32(mb, crc)
        data += co.compress(bytes(rest)) + co.flush()
        crc = zlib.crc32(bytes(rest), crc)
        size, name = len(prefix) + n_zeros, name.encode()
        fields = (8, 0, 0x21, crc, len(data), size, len(name), 0)  # deflate, 1980-01-01
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, *fields, 0, 0, 0,
                               0, len(local)) + name  # fmt: skip
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, *fields) + name + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                      len(local), 0)  # fmt: skip
    path.write_bytes(local + central + end)
    return path


def refusal(path, backend, match):
    """Load ``path``, expect ``ValueError`` matching ``match``; return the peak of memory
    traced while loading (NumPy reports its arrays to ``tracemalloc`` too)."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=match):
            minigrad.load(path, backend=backend)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_zip_of_zeros_is_a_valid_archive(tmp_path):
    arrays, meta = good_arrays()
    members = {f"{k}.npy": (npy_bytes(v), 0) for k, v in arrays.items()}
    members[META_KEY + ".npy"] = (npy_bytes(np.array(json.dumps(meta))), 0)
    members["zeros.bin"] = (b"head", 3 * (1 << 20) + 5)
    path = zip_of_zeros(tmp_path / "z.npz", members)
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None  # every CRC checks out
        assert z.read("zeros.bin") == b"head" + bytes(3 * (1 << 20) + 5)
    del members["zeros.bin"]
    model = minigrad.load(zip_of_zeros(tmp_path / "ok.npz", members))
    same_state(model, minigrad.load(write(tmp_path / "same.npz", arrays, meta)))


def test_a_huge_declared_metadata_string_is_refused_before_it_is_read(tmp_path):
    # 200 million characters (800 MB as NumPy unicode) in a file of about 800 KB
    chars = 200_000_000
    members = {META_KEY + ".npy": (npy_prefix(f"<U{chars}", ()), 4 * chars)}
    path = zip_of_zeros(tmp_path / "meta.npz", members)
    assert path.stat().st_size < 1 << 20
    message = f"declares {chars} characters.*at most {MAX_META_CHARS}"
    for backend in minigrad.BACKENDS:
        assert refusal(path, backend, message) < 1 << 20


def test_a_huge_declared_npy_header_is_refused_before_it_is_read(tmp_path):
    arrays, meta = good_arrays()
    members = {f"{k}.npy": (npy_bytes(v), 0) for k, v in arrays.items()}
    members[META_KEY + ".npy"] = (npy_bytes(np.array(json.dumps(meta))), 0)
    n = 100_000_000  # a format 2.0 header says how long it is in 4 bytes: up to 4 GB
    members["layers.0.bias.npy"] = (b"\x93NUMPY\x02\x00" + struct.pack("<I", n), n)
    path = zip_of_zeros(tmp_path / "header.npz", members)
    assert refusal(path, "tensor", f"header of {n} bytes") < 1 << 20


def zero_model_file(path, nin, nout):
    """A valid model file of ``Layer(nin, nout)`` with all-zero weights: it compresses to
    about 1/1000 of its parameters' 8 bytes each."""
    meta = {"format": "minigrad", "version": 1, "class": "Layer", "nin": nin, "nout": nout,
            "act": "linear"}  # fmt: skip
    return zip_of_zeros(path, {
        META_KEY + ".npy": (npy_bytes(np.array(json.dumps(meta))), 0),
        "weight.npy": (npy_prefix("<f8", (nout, nin)), 8 * nout * nin),
        "bias.npy": (npy_prefix("<f8", (nout,)), 8 * nout),
    })  # fmt: skip


def test_the_parameter_budget_depends_on_the_engine(tmp_path):
    # 4 million zero weights: 32 MB in the tensor engine, about 600 MB of Values in the scalar
    # engine, in a file of about 31 KB
    path = zero_model_file(tmp_path / "zeros.npz", 2000, 2000)
    assert path.stat().st_size < 40_000
    declared = 2000 * 2000 + 2000
    assert MAX_PARAMETERS["scalar"] < declared <= MAX_PARAMETERS["tensor"]
    message = f"{declared} parameters.*at most {MAX_PARAMETERS['scalar']}.*scalar"
    assert refusal(path, "scalar", message) < 1 << 20
    model = minigrad.load(path, backend="tensor")
    assert model.weight.data.shape == (2000, 2000) and not model.weight.data.any()


def test_a_file_over_the_tensor_budget_is_refused_before_it_is_read(tmp_path):
    nin = MAX_PARAMETERS["tensor"] // 1000 + 1  # just over the budget: declared, not held
    path = zero_model_file(tmp_path / "big.npz", nin, 1000)
    for backend in minigrad.BACKENDS:
        message = f"{nin * 1000 + 1000} parameters.*at most {MAX_PARAMETERS[backend]}"
        assert refusal(path, backend, message) < 1 << 20


# -- what save leaves on disk ----------------------------------------------------------------


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002, 0o000], ids=lambda u: f"umask {u:03o}")
def test_save_gives_the_permissions_a_plain_open_would(tmp_path, umask):
    model = minigrad.backend("tensor").Neuron(3, seed=0)
    old = os.umask(umask)
    try:
        with open(tmp_path / "plain", "wb"):
            pass
        minigrad.save(model, tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert mode(tmp_path / "m.npz") == mode(tmp_path / "plain") == 0o666 & ~umask


def test_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    model = minigrad.backend("scalar").Neuron(3, seed=0)
    path = tmp_path / "m.npz"
    for kept in (0o640, 0o604, 0o600):
        path.write_bytes(b"old")
        os.chmod(path, kept)
        minigrad.save(model, path)
        assert mode(path) == kept
        same_state(model, minigrad.load(path))


def test_save_errors_name_the_users_path(tmp_path):
    model = minigrad.backend("tensor").Neuron(3, seed=0)
    missing = tmp_path / "no" / "such" / "m.npz"
    with pytest.raises(FileNotFoundError) as e:
        minigrad.save(model, missing)
    assert e.value.filename == str(missing) and ".tmp" not in str(e.value)
    directory = tmp_path / "a directory"
    directory.mkdir()
    with pytest.raises(IsADirectoryError) as e:
        minigrad.save(model, directory)
    assert e.value.filename == str(directory) and ".tmp" not in str(e.value)
    assert os.listdir(tmp_path) == ["a directory"]  # no temporary file left behind
    assert os.listdir(directory) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only directory")
def test_save_into_a_read_only_directory_names_the_users_path(tmp_path):
    os.chmod(tmp_path, 0o500)
    try:
        with pytest.raises(PermissionError) as e:
            minigrad.save(minigrad.backend("tensor").Neuron(3, seed=0), tmp_path / "m.npz")
    finally:
        os.chmod(tmp_path, 0o700)
    assert e.value.filename == str(tmp_path / "m.npz")


def test_save_refuses_a_model_no_engine_would_load(tmp_path, monkeypatch):
    import minigrad.tools.io as model_files

    model = minigrad.backend("tensor").MLP(6, [5, 3], seed=0)  # 53 parameters
    monkeypatch.setattr(model_files, "MAX_PARAMETERS", {"tensor": 52, "scalar": 10})
    with pytest.raises(ValueError, match="53 parameters, more than any engine loads"):
        minigrad.save(model, tmp_path / "m.npz")
    monkeypatch.setattr(model_files, "MAX_PARAMETERS", {"tensor": 53, "scalar": 10})
    minigrad.save(model, tmp_path / "m.npz")
    with pytest.raises(
        ValueError, match="53 parameters; minigrad loads at most 10 into the scalar"
    ):
        minigrad.load(tmp_path / "m.npz", backend="scalar")
    same_state(model, minigrad.load(tmp_path / "m.npz", backend="tensor"))
