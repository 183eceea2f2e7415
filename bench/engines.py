"""One small interface over every engine the benchmarks compare.

A runner holds one model of the digits MLP shape (64 -> hidden... -> 10, ReLU, the last
layer linear) that starts from the weights ``minigrad.common.init`` gives for seed 0, and
offers:

- ``reset()``: restore those weights (every benchmark round starts from them);
- ``step(xb, yb)``: one SGD training step (forward, loss, zero_grad, backward, update) on a
  batch given as NumPy arrays, returning the loss as a float;
- ``predict(X)``: class predictions without training;
- ``graph_nodes(xb, yb)``: how many autograd nodes one step's forward builds (``None`` for
  the NumPy floor, which has no graph);
- ``engine``, ``dtype``, ``parameters`` for the benchmark's ``extra_info``.

Engines: ``scalar`` and ``tensor`` (minigrad, through ``train_step``: the exact step
``minigrad.fit`` runs), ``numpy floor`` (bench/numpy_floor.py), and the peers
``micrograd`` 0.1.0 and ``torch`` (eager CPU, float64, one thread), which need the ``peers``
extra.
"""

import gc
import math

import numpy as np

import minigrad
from bench.numpy_floor import NumpyMLP
from minigrad.common.graph import topological_order
from minigrad.tools.training import predict, train_step

LR = 0.05
NIN = 64
THREADS = 1  # threads for BLAS and torch; bench/conftest.py sets it from --bench-threads
DIGITS_HIDDEN = (32, 16)


def widths_for(width):
    """Layer widths of the benchmark MLP with first hidden width ``width``: 64-w-w/2-10.

    ``width=32`` is the digits network 64-32-16-10.
    """
    return [width, max(width // 2, 1), 10]


class MinigradRunner:
    def __init__(self, engine, nouts, dtype=np.float64):
        self.engine = engine
        self.dtype = np.dtype(dtype).name
        self.B = minigrad.backend(engine)
        kwargs = {"dtype": dtype} if engine == "tensor" else {}
        if engine == "scalar" and self.dtype != "float64":
            raise ValueError("the scalar engine computes in Python floats (float64)")
        self.model = self.B.MLP(NIN, list(nouts), act="relu", seed=0, **kwargs)
        self.initial = self.model.state_dict()
        self.optimizer = self.B.SGD(self.model.parameters(), lr=LR)
        self.parameters = sum(a.size for a in self.initial.values())

    def reset(self):
        self.model.load_state_dict(self.initial)

    def step(self, xb, yb):
        return train_step(self.model, self.optimizer, self.B.cross_entropy_loss, xb, yb)[0]

    def predict(self, X):
        return predict(self.model, X)

    def graph_nodes(self, xb, yb):
        loss = self.B.cross_entropy_loss(self.model(xb), yb)
        return len(topological_order(loss, 0.0 if self.engine == "scalar" else None))

    def grad_dict(self, xb, yb):
        self.model.zero_grad()
        self.B.cross_entropy_loss(self.model(xb), yb).backward()
        return self.model.grad_dict()


class FloorRunner:
    engine = "numpy floor"
    dtype = "float64"

    def __init__(self, nouts):
        self.model = NumpyMLP.from_seed(NIN, list(nouts), seed=0)
        self.initial = self.model.state_dict()
        self.parameters = self.model.parameter_count()

    def reset(self):
        self.model.load_state_dict(self.initial)

    def step(self, xb, yb):
        return self.model.train_step(xb, yb, LR)

    def predict(self, X):
        return self.model.predict(X)

    def graph_nodes(self, xb, yb):
        return None


# -- peers -----------------------------------------------------------------------------------


def _micrograd_ops():
    """``exp``, ``log`` and a stable cross-entropy as nodes in micrograd's own style.

    micrograd 0.1.0 has neither ``exp`` nor ``log``; these add them without changing it.
    """
    from micrograd.engine import Value

    def exp(v):
        out = Value(math.exp(v.data), (v,), "exp")

        def _backward():
            v.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(v):
        out = Value(math.log(v.data), (v,), "log")

        def _backward():
            v.grad += out.grad / v.data

        out._backward = _backward
        return out

    def cross_entropy(logits, target):
        m = max(z.data for z in logits)
        shifted = [z - m for z in logits]
        return log(sum(exp(s) for s in shifted)) - shifted[target]

    return cross_entropy


class MicrogradRunner:
    """micrograd 0.1.0's ``MLP`` as its README uses it; Python's cyclic GC left on.

    micrograd's closures make every graph a reference cycle, so it needs the collector;
    ``reset`` collects the previous round's graphs so a round never pays for another's.
    """

    engine = "micrograd"
    dtype = "float64"

    def __init__(self, nouts):
        import micrograd.nn

        self.model = micrograd.nn.MLP(NIN, list(nouts))
        self.cross_entropy = _micrograd_ops()
        self.initial = NumpyMLP.from_seed(NIN, list(nouts), seed=0).state_dict()
        self.params = self.model.parameters()
        self.parameters = len(self.params)
        self.reset()

    def reset(self):
        for i, layer in enumerate(self.model.layers):
            w, b = self.initial[f"layers.{i}.weight"], self.initial[f"layers.{i}.bias"]
            for neuron, row, bias in zip(layer.neurons, w.tolist(), b.tolist()):
                for p, x in zip(neuron.w, row):
                    p.data = x
                neuron.b.data = bias
        gc.collect()

    def _loss(self, xb, yb):
        losses = [self.cross_entropy(self.model(x), t) for x, t in zip(xb.tolist(), yb.tolist())]
        return losses[0] if len(losses) == 1 else sum(losses) * (1.0 / len(losses))

    def step(self, xb, yb):
        loss = self._loss(xb, yb)
        self.model.zero_grad()
        loss.backward()
        for p in self.params:
            p.data -= LR * p.grad
        return loss.data

    def predict(self, X):
        return np.array([np.argmax([z.data for z in self.model(x)]) for x in X.tolist()])

    def graph_nodes(self, xb, yb):
        gc.disable()  # counting only: spare the collector's passes over a large live graph
        try:
            root = self._loss(xb, yb)
            seen, stack = {root}, [root]
            while stack:
                for parent in stack.pop()._prev:
                    if parent not in seen:
                        seen.add(parent)
                        stack.append(parent)
            return len(seen)
        finally:
            gc.enable()


class TorchRunner:
    """PyTorch eager on the CPU: ``nn.Linear`` layers, float64, ``THREADS`` intra-op threads."""

    engine = "torch"
    dtype = "float64"

    def __init__(self, nouts):
        import torch

        torch.set_num_threads(THREADS)  # like for like with NumPy's BLAS (see conftest)
        self.torch = torch
        sizes = [NIN, *nouts]
        layers = []
        for i in range(len(nouts)):
            layers.append(torch.nn.Linear(sizes[i], sizes[i + 1], dtype=torch.float64))
            if i < len(nouts) - 1:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        self.linears = [m for m in self.model if isinstance(m, torch.nn.Linear)]
        self.initial = NumpyMLP.from_seed(NIN, list(nouts), seed=0).state_dict()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.parameters = sum(p.numel() for p in self.model.parameters())
        self.reset()

    def reset(self):
        with self.torch.no_grad():
            for i, lin in enumerate(self.linears):
                lin.weight.copy_(self.torch.from_numpy(self.initial[f"layers.{i}.weight"]))
                lin.bias.copy_(self.torch.from_numpy(self.initial[f"layers.{i}.bias"]))

    def _loss(self, xb, yb):
        torch = self.torch
        out = self.model(torch.from_numpy(xb))
        return torch.nn.functional.cross_entropy(out, torch.from_numpy(yb).long())

    def step(self, xb, yb):
        loss = self._loss(xb, yb)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def predict(self, X):
        with self.torch.no_grad():
            return self.model(self.torch.from_numpy(np.asarray(X, np.float64))).argmax(1).numpy()

    def graph_nodes(self, xb, yb):
        """Autograd functions of one step (``AccumulateGrad`` leaves included)."""
        root = self._loss(xb, yb).grad_fn
        seen, stack = {root}, [root]
        while stack:
            for fn, _ in stack.pop().next_functions:
                if fn is not None and fn not in seen:
                    seen.add(fn)
                    stack.append(fn)
        return len(seen)


PEERS = ("micrograd", "torch")


def make_runner(engine, nouts, dtype="float64"):
    """A runner for ``engine`` (``scalar``, ``tensor``, ``numpy floor``, or a peer)."""
    if engine in ("scalar", "tensor"):
        return MinigradRunner(engine, nouts, np.dtype(dtype))
    if engine == "numpy floor":
        return FloorRunner(nouts)
    if engine == "micrograd":
        return MicrogradRunner(nouts)
    if engine == "torch":
        return TorchRunner(nouts)
    raise ValueError(f"unknown engine {engine!r}")
