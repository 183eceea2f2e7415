"""The scalar engine's digits training step, as ``minigrad.fit`` runs it.

MLP 64-32-16-10 (ReLU), cross-entropy, SGD: forward, loss, zero_grad, backward, update.
Each round starts from the same weights and batch, so rounds time identical work.
Run: ``pytest bench/test_scalar_step.py``.
"""

import numpy as np
import pytest

import minigrad
from minigrad.common.training import train_step
from minigrad.scalar import MLP, SGD, cross_entropy_loss


@pytest.mark.parametrize("batch_size", [1, 32])
def test_scalar_train_step(benchmark, batch_size):
    X, _, y, _ = minigrad.load_digits()
    xb, yb = X[:batch_size], y[:batch_size]
    model = MLP(64, [32, 16, 10], act="relu", seed=0)
    initial = model.state_dict()
    optimizer = SGD(model.parameters(), lr=0.05)
    losses = []

    def setup():
        model.load_state_dict(initial)

    def step():
        losses.append(train_step(model, optimizer, cross_entropy_loss, xb, yb)[0])

    benchmark.extra_info.update(
        engine="scalar", batch_size=batch_size, dtype="float64", parameters=len(model.parameters())
    )
    benchmark.pedantic(step, setup=setup, rounds=30 if batch_size == 1 else 5, warmup_rounds=1)
    assert len(set(losses)) == 1 and np.isfinite(losses[0])  # identical work every round
