"""Modules of one's own, as in PyTorch (issue 18, item 1): attributes register layers and
parameters in assignment order, ``ModuleList``, the printed tree, ``train()``/``eval()``,
refusing a parameter that is not one, and saving and loading the weights of any module."""

import copy
import json
import os
import pickle
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import minigrad
from minigrad.tools.io import META_KEY, ModelFileError, NotRebuildableError

ROOT = Path(__file__).resolve().parent.parent
X = np.random.default_rng(0).uniform(0, 1, size=(7, 6))
Y = [0, 1, 2, 0, 1, 2, 0]


class TwoLayers:
    """A PyTorch beginner's model: two layers assigned in ``__init__``, ``forward`` by hand."""

    def __init__(self, seed=0):
        super().__init__()
        B = minigrad.backend(self.engine)
        self.fc1 = B.Layer(6, 5, act="relu", seed=seed)
        self.fc2 = B.Layer(5, 3, seed=seed + 1)

    def forward(self, x):
        return self.fc2(self.fc1(x))


class ScalarNet(TwoLayers, minigrad.scalar.Module):
    pass


class TensorNet(TwoLayers, minigrad.tensor.Module):
    pass


NETS = {"scalar": ScalarNet, "tensor": TensorNet}


def net(B, seed=0):
    return NETS[B.Module.engine](seed)


def param(B, value=0.5):
    """A parameter node of engine ``B``: a leaf that receives a gradient."""
    return B.leaf(np.full(3, value) if not B.NODE_PER_NUMBER else value)


def not_a_param(B):
    """What is not a parameter: a tensor without requires_grad, or a plain number."""
    return 1.5 if B.NODE_PER_NUMBER else B.Tensor(np.zeros(3))


def outputs(B, model, x=X):
    return B.to_numpy(model(x))


# -- registration ------------------------------------------------------------------------------


def test_assigned_layers_register_in_order_and_train(B):
    model = net(B)
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    expected = [*model.fc1.parameters(), *model.fc2.parameters()]
    assert [id(p) for p in model.parameters()] == [id(p) for p in expected]
    names = [name for name, _ in model.named_parameters()]
    assert names[0] == ("fc1.weight[0, 0]" if B.NODE_PER_NUMBER else "fc1.weight")
    assert len(names) == len(expected) and names[-1].startswith("fc2.bias")
    opt = B.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(5):
        loss = B.cross_entropy_loss(model(X), Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_builtin_models_keep_their_names_and_order(B):
    mlp = B.MLP(6, [5, 4, 3], seed=0)
    assert list(mlp.state_dict()) == [
        f"layers.{i}.{kind}" for i in range(3) for kind in ("weight", "bias")
    ]
    layers = mlp.layers
    assert isinstance(layers, B.ModuleList) and len(layers) == 3
    assert [id(p) for p in mlp.parameters()] == [
        id(p) for layer in layers for p in layer.parameters()
    ]
    assert list(B.Layer(6, 3).state_dict()) == ["weight", "bias"]
    assert list(B.Neuron(6).state_dict()) == ["weight", "bias"]
    assert {k: v.shape for k, v in B.Neuron(6).state_dict().items()} == {
        "weight": (1, 6),
        "bias": (1,),
    }


def test_a_parameter_assigned_as_an_attribute_is_registered(B):
    model = net(B)
    model.scale = param(B)  # after the layers: own parameters come first, as in PyTorch
    assert list(model.state_dict())[0] == "scale"
    assert model.parameters()[0] is model.scale
    assert model.named_parameters()[0] == ("scale", model.scale)  # no [i] on a 0-d Value
    model.scale = param(B, 2.0)  # replacing a parameter by a parameter keeps its place
    assert model.parameters()[0] is model.scale
    assert float(np.ravel(model.state_dict()["scale"])[0]) == 2.0


def test_a_plain_value_stays_a_plain_attribute(B):
    model = net(B)
    model.offset = not_a_param(B)
    model.sizes = [1, 2]
    model.fcs = [B.Layer(2, 2)]  # a plain list of modules registers nothing (use ModuleList)
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert "offset" in vars(model)


def test_replacing_a_parameter_with_what_is_not_one_is_refused(B):
    model = net(B)
    model.scale = param(B)
    hint = "Tensor(data, requires_grad=True)" if not B.NODE_PER_NUMBER else "Value(data)"
    with pytest.raises(TypeError, match=r"parameter 'scale'.*" + re.escape(hint)):
        model.scale = not_a_param(B)
    assert model.parameters()[0] is model.scale  # unchanged
    if not B.NODE_PER_NUMBER:
        with pytest.raises(TypeError, match="does not require grad"):
            model.fc1.weight = B.Tensor(np.zeros((5, 6)))
        computed = model.fc1.weight * 2
        with pytest.raises(TypeError, match="computed from others"):
            model.fc1.weight = computed
    del model.scale  # deleting unregisters: the name may then hold a plain value
    model.scale = not_a_param(B)
    assert "scale" not in model.state_dict()


def test_none_empties_a_slot_and_a_module_slot_takes_only_modules(B):
    model = net(B)
    with pytest.raises(TypeError, match=r"child module 'fc2'.*ModuleList"):
        model.fc2 = [B.Layer(5, 3)]
    with pytest.raises(TypeError, match=r"child module 'fc2'.*Module or None"):
        model.fc2 = 3
    model.fc2 = None
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias"]
    model.fc2 = B.Layer(5, 3)  # back in its place
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def test_a_module_held_twice_gives_its_parameters_once(B):
    class Tied(B.Module):
        def __init__(self):
            self.encoder = B.Layer(4, 4, seed=0)  # no super().__init__(): still registers
            self.again = self.encoder

    model = Tied()
    assert len(model.parameters()) == len(model.encoder.parameters())
    assert list(model.state_dict()) == [
        "encoder.weight",
        "encoder.bias",
        "again.weight",
        "again.bias",
    ]
    B.SGD(model.parameters(), lr=0.1)  # no "listed twice"


def test_a_module_without_forward_says_so(B):
    with pytest.raises(NotImplementedError, match=r"Empty has no forward\(\)"):
        type("Empty", (B.Module,), {})()(X)
    with pytest.raises(NotImplementedError, match="ModuleList has no forward"):
        B.ModuleList([B.Layer(6, 2)])(X)


def test_registration_survives_pickle_and_deepcopy(B):
    model = net(B)
    for other in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert list(other.state_dict()) == list(model.state_dict())
        np.testing.assert_array_equal(outputs(B, other), outputs(B, model))
        assert not {id(p) for p in other.parameters()} & {id(p) for p in model.parameters()}


# -- ModuleList ----------------------------------------------------------------------------------


def test_module_list_registers_its_items_by_index(B):
    blocks = B.ModuleList([B.Layer(3, 3, seed=i) for i in range(2)])
    assert len(blocks) == 2 and list(blocks) == [blocks[0], blocks[1]]
    blocks.append(B.Layer(3, 2, seed=2))
    assert blocks[-1].nout == 2 and len(blocks) == 3
    assert [k for k in blocks.state_dict() if k.endswith("weight")] == [
        "0.weight",
        "1.weight",
        "2.weight",
    ]
    holder = type("Holder", (B.Module,), {})()
    holder.blocks = blocks
    assert list(holder.state_dict())[:2] == ["blocks.0.weight", "blocks.0.bias"]
    first = blocks[0]
    blocks.insert(0, B.Layer(3, 3, seed=9))  # the items after it are renumbered
    assert blocks[1] is first and len(holder.state_dict()) == 8
    assert blocks.pop().nout == 2 and len(blocks) == 3
    del blocks[0]
    assert blocks[0] is first
    sliced = blocks[:1]
    assert isinstance(sliced, B.ModuleList) and list(sliced) == [first]
    blocks[1] = B.Layer(3, 3, seed=5)
    blocks.extend([B.Layer(3, 1)])
    assert len(blocks) == 3


def test_module_list_refuses_what_is_not_a_module(B):
    blocks = B.ModuleList()
    with pytest.raises(TypeError, match="holds modules, got a int"):
        blocks.append(3)
    with pytest.raises(TypeError, match="holds modules"):
        B.ModuleList([B.Layer(2, 2), "relu"])
    with pytest.raises(IndexError, match="out of range"):
        blocks[0]
    with pytest.raises(TypeError, match="integers or slices"):
        blocks["0"]


def test_mlp_layers_are_a_module_list_that_refuses_a_plain_list(B):
    mlp = B.MLP(6, [5, 3], seed=0)
    with pytest.raises(TypeError, match=r"child module 'layers'.*ModuleList"):
        mlp.layers = list(mlp.layers)


# -- repr, train / eval ----------------------------------------------------------------------


def test_repr_prints_the_tree_as_pytorch_does(B):
    class Net(B.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = B.Layer(64, 32, act="relu")
            self.blocks = B.ModuleList([B.Layer(32, 32, act="tanh") for _ in range(3)])
            self.blocks.append(B.Neuron(32))
            self.mlp = B.MLP(32, [16, 10])

    assert repr(Net()) == (
        "Net(\n"
        "  (fc1): Layer(64, 32, act='relu')\n"
        "  (blocks): ModuleList(\n"
        "    (0-2): 3 x Layer(32, 32, act='tanh')\n"
        "    (3): Neuron(32, act='linear')\n"
        "  )\n"
        "  (mlp): MLP(32, [16, 10], act='relu')\n"
        ")"
    )
    assert repr(B.ModuleList()) == "ModuleList()"
    assert repr(type("Empty", (B.Module,), {})()) == "Empty()"


def test_train_and_eval_set_the_mode_recursively_and_return_the_module(B):
    model = net(B)
    model.blocks = B.ModuleList([B.MLP(2, [2, 2])])
    modules = [
        model,
        model.fc1,
        model.fc2,
        model.blocks,
        model.blocks[0],
        model.blocks[0].layers[1],
    ]
    if B.NODE_PER_NUMBER:
        modules.append(model.fc1.neurons[0])
    assert all(m.training for m in modules)
    assert model.eval() is model
    assert not any(m.training for m in modules)
    assert model.train() is model
    assert all(m.training for m in modules)
    with pytest.raises(ValueError, match="True or False"):
        model.train("no")


# -- saving the weights of any module ---------------------------------------------------------


def test_save_and_load_the_weights_of_a_module_of_ones_own(B, tmp_path):
    model = net(B, seed=0)
    path = tmp_path / "net.npz"
    assert minigrad.save(model, path) == path
    with zipfile.ZipFile(path) as z, z.open(META_KEY + ".npy") as f:
        meta = json.loads(str(np.lib.format.read_array(f)))
    assert meta["class"] == "Module" and meta["type"] == type(model).__name__
    assert meta["parameters"] == {
        "fc1.weight": [5, 6],
        "fc1.bias": [5],
        "fc2.weight": [3, 5],
        "fc2.bias": [3],
    }
    with pytest.raises(NotRebuildableError, match=r"Net.*build the model.*load_state_dict"):
        minigrad.load(path)
    for engine in minigrad.BACKENDS:  # into a model built in code, of either engine
        other = net(minigrad.backend(engine), seed=5)
        other.load_state_dict(minigrad.load_state_dict(path))
        np.testing.assert_allclose(
            outputs(minigrad.backend(engine), other), outputs(B, model), rtol=1e-12
        )


def test_load_state_dict_reads_a_builtin_models_file_too(B, tmp_path):
    mlp = B.MLP(6, [5, 3], seed=0)
    path = minigrad.save(mlp, tmp_path / "m.npz")
    state = minigrad.load_state_dict(path)
    assert list(state) == list(mlp.state_dict())
    fresh = B.MLP(6, [5, 3], seed=1)
    fresh.load_state_dict(state)
    np.testing.assert_array_equal(outputs(B, fresh), outputs(B, mlp))


def test_a_0d_parameter_and_float32_weights_save(tmp_path):
    S, T = minigrad.scalar, minigrad.tensor
    model = type("Scaled", (S.Module,), {})()
    model.fc = S.Layer(2, 2, seed=0)
    model.scale = S.Value(3.0)
    minigrad.save(model, tmp_path / "s.npz")
    assert minigrad.load_state_dict(tmp_path / "s.npz")["scale"].shape == ()
    net32 = type("Net32", (T.Module,), {})()
    net32.fc = T.Layer(2, 2, seed=0, dtype=np.float32)
    minigrad.save(net32, tmp_path / "t.npz")
    with zipfile.ZipFile(tmp_path / "t.npz") as z, z.open(META_KEY + ".npy") as f:
        assert json.loads(str(np.lib.format.read_array(f)))["dtype"] == "float32"


def test_save_of_a_module_refuses_before_touching_the_file(B, tmp_path):
    path = tmp_path / "net.npz"
    minigrad.save(net(B), path)
    old = path.read_bytes()
    model = net(B, seed=3)
    B.write_data(model.parameters()[0], np.array(np.nan))
    with pytest.raises(ValueError, match="non-finite"):
        minigrad.save(model, path)
    model = net(B)
    setattr(model, META_KEY, param(B))
    with pytest.raises(ValueError, match="dotted name"):
        minigrad.save(model, path)
    with pytest.raises(TypeError, match="MLP, Layer or Neuron"):
        minigrad.save([model], path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["net.npz"]


def _custom_file(path, meta, arrays=None):
    arrays = dict(arrays or {})
    arrays[META_KEY] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    return path


GOOD = {"format": "minigrad", "version": 1, "class": "Module", "type": "Net", "engine": "tensor"}


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"parameters": [["w", [2]]]}, "parameters must be an object"),
        ({"parameters": {"a/b": [2]}}, "not a parameter name"),
        ({"parameters": {"w": [-1]}}, "whole numbers"),
        ({"parameters": {"w": [2.0]}}, "whole numbers"),
        ({"parameters": {"w": [1] * 33}}, "at most 32"),
        ({"parameters": {"w": [2]}, "type": "os.system"}, "class name"),
        ({"parameters": {"w": [100_000, 100_000]}}, "too big.*10000000000 parameters"),
    ],
)
def test_a_bad_file_of_a_module_is_refused(tmp_path, fields, message):
    path = _custom_file(tmp_path / "bad.npz", {**GOOD, **fields}, {"w": np.zeros(2)})
    with pytest.raises(ModelFileError, match=message):
        minigrad.load_state_dict(path)


def test_a_modules_file_is_checked_against_what_it_declares(tmp_path):
    meta = {**GOOD, "parameters": {"w": [3]}}
    with pytest.raises(ModelFileError, match=r"'w' has shape \(2,\), expected \(3,\)"):
        minigrad.load_state_dict(_custom_file(tmp_path / "a.npz", meta, {"w": np.zeros(2)}))
    with pytest.raises(ModelFileError, match="missing array"):
        minigrad.load_state_dict(_custom_file(tmp_path / "b.npz", meta))
    np.testing.assert_array_equal(
        minigrad.load_state_dict(_custom_file(tmp_path / "c.npz", meta, {"w": np.ones(3)}))["w"],
        np.ones(3),
    )


# -- the engines as attributes of minigrad ---------------------------------------------------


def test_engines_are_attributes_of_minigrad_imported_on_first_use():
    code = (
        "import sys, minigrad\n"
        "assert 'numpy' not in sys.modules and 'minigrad.tensor' not in sys.modules\n"
        "assert 'scalar' in dir(minigrad)\n"
        "print(minigrad.tensor.MLP(2, [2], seed=0), minigrad.scalar.Value(1.0).data)\n"
        "assert 'sklearn' not in sys.modules\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "MLP(2, [2], act='relu') 1.0\n"
