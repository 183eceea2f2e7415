"""The NumPy floor: the digits MLP's training step written directly in NumPy.

The same maths as ``minigrad.fit`` on either engine, with no autograd at all: an MLP of
fully connected layers (ReLU on every hidden layer, the last one linear), the stable
softmax cross-entropy averaged over the batch, the hand-derived backward pass and plain SGD.
It is what an autograd engine over NumPy could at best approach, so the benchmarks divide
the tensor engine's time by this one.

Weights come from a minigrad ``state_dict`` (PyTorch's ``Linear`` layout: ``weight (nout,
nin)``, ``bias (nout,)``, layer by layer, weight then bias), so the floor starts from exactly
the weights a minigrad ``MLP`` starts from, and reads and writes them under the model's own
keys: how layers are named and in which order they are drawn is minigrad's rule, written
once (``minigrad.common``), not here.
"""

import numpy as np

import minigrad


def layer_arrays(state_dict):
    """``[(weight, bias), ...]`` layer by layer from a minigrad ``state_dict``, which lists
    every layer's weight and then its bias, layer by layer (docs/API.md)."""
    arrays = [np.array(a, np.float64) for a in state_dict.values()]
    pairs = list(zip(arrays[0::2], arrays[1::2]))
    if len(arrays) % 2 or any(w.ndim != 2 or b.shape != w.shape[:1] for w, b in pairs):
        shapes = [a.shape for a in arrays]
        raise ValueError(f"not an MLP state_dict (weight, bias per layer): shapes {shapes}")
    return pairs


class NumpyMLP:
    """``weights[i]`` ``(nout, nin)`` and ``biases[i]`` ``(nout,)``, float64, layer by layer,
    under the keys of the ``state_dict`` it was made from."""

    def __init__(self, state_dict):
        self.keys = list(state_dict)
        pairs = layer_arrays(state_dict)
        self.weights = [w for w, _ in pairs]
        self.biases = [b for _, b in pairs]

    @classmethod
    def from_seed(cls, nin, nouts, seed=0):
        """The weights ``MLP(nin, nouts, seed=seed)`` starts from, in every engine (the same
        seed gives the same weights in all of them; bench/test_floor.py checks it)."""
        model = minigrad.backend("tensor").MLP(nin, list(nouts), act="relu", seed=seed)
        return cls(model.state_dict())

    def _arrays(self):
        """Every weight and bias in ``state_dict`` order."""
        return [a for pair in zip(self.weights, self.biases) for a in pair]

    def state_dict(self):
        return {key: a.copy() for key, a in zip(self.keys, self._arrays())}

    def load_state_dict(self, state_dict):
        """Overwrite the weights in place (the arrays keep their identity)."""
        for key, a in zip(self.keys, self._arrays()):
            a[...] = state_dict[key]

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
        return dict(zip(self.keys, (g for pair in zip(gw, gb) for g in pair)))

    def train_step(self, x, targets, lr):
        """Forward, loss, backward, SGD update ``p -= lr * grad``; returns the loss."""
        loss, grads_w, grads_b = self.loss_and_grads(x, targets)
        for w, b, gw, gb in zip(self.weights, self.biases, grads_w, grads_b):
            w -= lr * gw
            b -= lr * gb
        return loss
