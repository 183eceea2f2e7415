"""The NumPy floor: the digits MLP's training step written directly in NumPy.

The same maths as ``minigrad.fit`` on either engine, with no autograd at all: an MLP of
fully connected layers (ReLU on every hidden layer, the last one linear), the stable
softmax cross-entropy averaged over the batch, the hand-derived backward pass and plain SGD.
It is what an autograd engine over NumPy could at best approach, so the benchmarks divide
the tensor engine's time by this one.

Weights use PyTorch's ``Linear`` layout (``weight (nout, nin)``, ``bias (nout,)``) and come
from a minigrad ``state_dict``, so the floor starts from exactly the weights
``minigrad.common.init`` gives for a seed.
"""

import numpy as np


class NumpyMLP:
    """``weights[i]`` ``(nout, nin)`` and ``biases[i]`` ``(nout,)``, float64, layer by layer."""

    def __init__(self, state_dict):
        n = len(state_dict) // 2
        self.weights = [np.array(state_dict[f"layers.{i}.weight"], np.float64) for i in range(n)]
        self.biases = [np.array(state_dict[f"layers.{i}.bias"], np.float64) for i in range(n)]

    @classmethod
    def from_seed(cls, nin, nouts, seed=0):
        """The weights ``MLP(nin, nouts, seed=seed)`` starts from, in either engine."""
        from minigrad.common.init import linear_init, make_rng

        rng = make_rng(seed)
        sizes = [nin, *nouts]
        state = {}
        for i in range(len(nouts)):
            state[f"layers.{i}.weight"], state[f"layers.{i}.bias"] = linear_init(
                sizes[i], sizes[i + 1], rng
            )
        return cls(state)

    def state_dict(self):
        out = {}
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            out[f"layers.{i}.weight"], out[f"layers.{i}.bias"] = w.copy(), b.copy()
        return out

    def load_state_dict(self, state_dict):
        """Overwrite the weights in place (the arrays keep their identity)."""
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            w[...] = state_dict[f"layers.{i}.weight"]
            b[...] = state_dict[f"layers.{i}.bias"]

    def parameter_count(self):
        return sum(w.size + b.size for w, b in zip(self.weights, self.biases))

    def forward(self, x):
        """Logits ``(N, C)`` and the activations the backward pass needs."""
        acts = [x]
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = x @ w.T + b
            x = z if i == last else np.maximum(z, 0.0)
            acts.append(x)
        return x, acts

    def predict(self, X):
        return self.forward(np.asarray(X, np.float64))[0].argmax(axis=1)

    def loss_and_grads(self, x, targets):
        """Mean cross-entropy of the batch and the gradient of every weight and bias."""
        logits, acts = self.forward(x)
        n = len(logits)
        rows = np.arange(n)
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1)
        loss = float((np.log(total) - shifted[rows, targets]).sum() / n)

        # d loss / d logits = (softmax - onehot) / N
        g = exp / total[:, None]
        g[rows, targets] -= 1.0
        g /= n
        grads_w, grads_b = [], []
        for i in range(len(self.weights) - 1, -1, -1):
            grads_w.append(g.T @ acts[i])
            grads_b.append(g.sum(axis=0))
            if i:
                g = (g @ self.weights[i]) * (acts[i] > 0)  # through the layer, then the ReLU
        return loss, grads_w[::-1], grads_b[::-1]

    def grad_dict(self, x, targets):
        """Gradients under ``state_dict`` keys, like ``Module.grad_dict``."""
        _, gw, gb = self.loss_and_grads(x, targets)
        out = {}
        for i, (w, b) in enumerate(zip(gw, gb)):
            out[f"layers.{i}.weight"], out[f"layers.{i}.bias"] = w, b
        return out

    def train_step(self, x, targets, lr):
        """Forward, loss, backward, SGD update ``p -= lr * grad``; returns the loss."""
        loss, grads_w, grads_b = self.loss_and_grads(x, targets)
        for w, b, gw, gb in zip(self.weights, self.biases, grads_w, grads_b):
            w -= lr * gw
            b -= lr * gb
        return loss
