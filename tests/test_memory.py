"""Graphs hold no reference cycles: training with the cyclic collector off stays flat."""

import gc

import minigrad


def test_training_with_gc_disabled_does_not_grow_memory(B, digits):
    X, _, y, _ = digits
    model = B.MLP(64, [16, 10], seed=0)
    opt = B.Adam(model.parameters(), lr=0.01)

    def train(steps):
        for i in range(steps):
            loss = B.cross_entropy_loss(model(X[i : i + 1]), y[i : i + 1])
            opt.zero_grad()
            loss.backward()
            opt.step()

    gc.collect()
    gc.disable()
    try:
        train(5)
        before = len(gc.get_objects())
        train(300)
        after = len(gc.get_objects())
    finally:
        gc.enable()
    # One step of this model builds thousands of objects on the scalar engine; a leak of
    # even one per step would add 300.
    assert after - before < 50


def test_fit_restores_the_collector_state(B, digits):
    X, _, y, _ = digits
    model = B.MLP(64, [10], seed=0)
    assert gc.isenabled()
    minigrad.fit(model, B.SGD(model.parameters()), X[:4], y[:4], progress=False)
    assert gc.isenabled()
    gc.disable()
    try:
        minigrad.fit(model, B.SGD(model.parameters()), X[:4], y[:4], progress=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
