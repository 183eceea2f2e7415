"""One small interface over every engine the benchmarks compare.

A runner holds one model of the digits MLP shape (64 -> hidden... -> 10, ReLU, the last
layer linear) that starts from the weights a minigrad ``MLP(..., seed=0)`` starts from, and
offers:

- ``reset()``: restore those weights (every benchmark round starts from them);
- ``step(xb, yb)``: one SGD training step (forward, loss, zero_grad, backward, update) on a
  batch given as NumPy arrays, returning the loss as a float;
- ``predict(X)``: class predictions without training;
- ``graph_nodes(xb, yb)``: how many autograd nodes one step's forward builds (``None`` for
  the NumPy floor, which has no graph);
- ``engine``, ``dtype``, ``loop``, ``parameters`` for the benchmark's ``extra_info``.

Engines (ids in ``bench.summary.ENGINE_IDS``): minigrad's ``scalar`` and ``tensor``, each
either through ``train_step`` (the exact step ``minigrad.fit`` runs, which pauses Python's
cyclic garbage collector) or, as ``scalar_own_loop``, through the plain loop body a user
writes (the README demo: forward, loss, ``zero_grad``, ``backward``, ``step``, collector
left on); ``numpy floor`` (bench/numpy_floor.py); and the peers ``micrograd`` 0.1.0 and
``torch`` (eager CPU, float64, one thread), which need the ``peers`` extra.

minigrad's engines are used through their contract only (``minigrad.backend(name)``, the
model's ``engine``, the node's ``_prev``), so a third engine is benchmarked by its name.
"""

import math

import numpy as np

import minigrad
from bench.numpy_floor import NumpyMLP, layer_arrays
from bench.summary import ENGINE_IDS
from minigrad.experiments.vectorisation import (  # DIGITS_HIDDEN: read by bench's tests
    DIGITS_HIDDEN,  # noqa: F401
    LR,
    NIN,
    count_nodes,
)
from minigrad.tools.training import predict, train_step

# The workload (LR, NIN, DIGITS_HIDDEN) and the node count (count_nodes) live in the
# package, in the experiment `minigrad why vectorisation`, which runs this step on fewer
# sizes: its numbers come from the same code as these.
THREADS = 1  # threads for BLAS and torch; bench/conftest.py sets it from --bench-threads
LOOPS = ("fit", "own loop")


def widths_for(width):
    """Layer widths of the benchmark MLP with first hidden width ``width``: 64-w-w/2-10.

    ``width=32`` is the digits network 64-32-16-10.
    """
    return [width, max(width // 2, 1), 10]


class MinigradRunner:
    """A minigrad engine by name; ``loop`` is ``"fit"`` (``train_step``) or ``"own loop"``."""

    def __init__(self, engine, nouts, dtype=np.float64, loop="fit"):
        if loop not in LOOPS:
            raise ValueError(f"unknown loop {loop!r}; valid: {', '.join(LOOPS)}")
        self.B = minigrad.backend(engine)
        self.dtype = np.dtype(dtype).name
        self.loop = loop
        # float64 is every engine's default; another dtype is asked of the engine, which
        # says itself whether it has one
        kwargs = {} if self.dtype == "float64" else {"dtype": np.dtype(dtype)}
        try:
            self.model = self.B.MLP(NIN, list(nouts), act="relu", seed=0, **kwargs)
        except TypeError as e:
            message = f"the {engine} engine's MLP refused dtype {self.dtype} ({e})"
            raise ValueError(message) from None
        self.engine = self.model.engine
        self.initial = self.model.state_dict()
        self.optimizer = self.B.SGD(self.model.parameters(), lr=LR)
        self.parameters = sum(a.size for a in self.initial.values())
        self.step = self._fit_step if loop == "fit" else self._own_step

    def reset(self):
        self.model.load_state_dict(self.initial)

    def _fit_step(self, xb, yb):
        return train_step(self.model, self.optimizer, self.B.cross_entropy_loss, xb, yb)[0]

    def _own_step(self, xb, yb):
        """The README demo's loop body, as a user's script runs it: the collector on. The
        batch goes in as ``fit`` passes it, so the collector is the only difference (the
        demo's ``[Value(x) for x in row]`` would add 64 input nodes per sample)."""
        loss = self.B.cross_entropy_loss(self.model(xb), yb)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def predict(self, X):
        return predict(self.model, X)

    def graph_nodes(self, xb, yb):
        return count_nodes(self.B.cross_entropy_loss(self.model(xb), yb))

    def grad_dict(self, xb, yb):
        self.model.zero_grad()
        self.B.cross_entropy_loss(self.model(xb), yb).backward()
        return self.model.grad_dict()


class FloorRunner:
    engine = "numpy floor"
    dtype = "float64"
    loop = ""

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

    micrograd's closures make every graph a reference cycle, so only the collector frees
    it. ``reset`` does not collect: the rounds of a benchmark follow one another as the
    steps of a training loop do, and the collections that fall in a round are part of what
    a user pays for a step (the mean shows them, the median hides them).
    """

    engine = "micrograd"
    dtype = "float64"
    loop = ""

    def __init__(self, nouts):
        import micrograd.nn

        self.model = micrograd.nn.MLP(NIN, list(nouts))
        self.cross_entropy = _micrograd_ops()
        self.initial = layer_arrays(NumpyMLP.from_seed(NIN, list(nouts), seed=0).state_dict())
        self.params = self.model.parameters()
        self.parameters = len(self.params)
        self.reset()

    def reset(self):
        for layer, (w, b) in zip(self.model.layers, self.initial):
            for neuron, row, bias in zip(layer.neurons, w.tolist(), b.tolist()):
                for p, x in zip(neuron.w, row):
                    p.data = x
                neuron.b.data = bias

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
        return count_nodes(self._loss(xb, yb))


class TorchRunner:
    """PyTorch eager on the CPU: ``nn.Linear`` layers, float64, ``THREADS`` intra-op threads."""

    engine = "torch"
    dtype = "float64"
    loop = ""

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
        self.initial = layer_arrays(NumpyMLP.from_seed(NIN, list(nouts), seed=0).state_dict())
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR)
        self.parameters = sum(p.numel() for p in self.model.parameters())
        self.reset()

    def reset(self):
        with self.torch.no_grad():
            for lin, (w, b) in zip(self.linears, self.initial):
                lin.weight.copy_(self.torch.from_numpy(w))
                lin.bias.copy_(self.torch.from_numpy(b))

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


def engine_info(runner):
    """The ``extra_info`` every benchmark records about its engine."""
    return dict(
        engine_id=runner.engine_id,
        engine=runner.engine,
        dtype=runner.dtype,
        loop=runner.loop,
        parameters=runner.parameters,
    )


def make_runner(engine_id, nouts):
    """A runner for an engine id of ``bench.summary.ENGINE_IDS`` (``scalar``,
    ``scalar_own_loop``, ``tensor``, ``tensor_f32``, ``numpy_floor``, or a peer)."""
    if engine_id not in ENGINE_IDS:
        raise ValueError(f"unknown engine id {engine_id!r}; valid: {', '.join(ENGINE_IDS)}")
    engine, dtype, loop = ENGINE_IDS[engine_id]
    if engine in minigrad.BACKENDS:
        runner = MinigradRunner(engine, nouts, np.dtype(dtype), loop)
    elif engine == "numpy floor":
        runner = FloorRunner(nouts)
    elif engine == "micrograd":
        runner = MicrogradRunner(nouts)
    else:
        runner = TorchRunner(nouts)
    runner.engine_id = engine_id
    return runner
