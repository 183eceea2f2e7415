# %% [markdown]
# # minigrad on the digits: two engines, one API
#
# The original minigrad README trained a small MLP on scikit-learn's 8x8 digits with a
# scalar autograd engine, one Python object per number, and noted how slow that is: the
# slowness *is* the lesson. This walkthrough replays that demo, then runs the same code on
# the tensor engine, checks that both engines compute the same gradients, measures the
# slowdown and draws the graph of one neuron.
#
# `examples/digits.ipynb` and its plain-script twin `examples/digits.py` hold the same
# cells; run the script with `python examples/digits.py [OUTPUT_DIR]` (without a folder, the
# pictures go to a temporary one).

# %%
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

import minigrad

S = minigrad.backend("scalar")  # a graph of Values
T = minigrad.backend("tensor")  # the same engine over NumPy arrays


def in_jupyter():
    try:
        get_ipython  # noqa: B018  (defined only inside IPython / Jupyter)
    except NameError:
        return False
    return True


# Where pictures go: the script's argument, else a temporary folder of their own (so running
# the walkthrough leaves nothing in the clone; the notebook shows them inline).
if not in_jupyter() and len(sys.argv) > 1:
    OUT = Path(sys.argv[1])
else:
    OUT = Path(tempfile.mkdtemp(prefix="minigrad-digits-"))


def show(path):
    """Display an image inline in Jupyter; elsewhere just say where it was written."""
    path = Path(path)
    if not in_jupyter():
        print(f"wrote {path}")
        return
    from IPython.display import SVG, Image, display

    if path.suffix == ".svg":
        display(SVG(filename=str(path)))
    elif path.suffix == ".png":
        display(Image(filename=str(path)))
    else:  # a file Jupyter cannot show as a picture (the DOT source): say where it is
        display(f"wrote {path}")


X_train, X_test, y_train, y_test = minigrad.load_digits()  # pixels / 16, as in the original
print(f"{len(X_train)} training and {len(X_test)} test digits of {X_train.shape[1]} pixels")

# %% [markdown]
# ## 1. The scalar engine: the original loop
#
# The original demo's loop, unchanged apart from the imports: one digit per step, every
# pixel wrapped in a `Value`. We stop after a few hundred steps (the original ran five
# epochs of 1347 steps each); the scalar engine builds thousands of nodes per digit.

# %%
from minigrad.scalar import MLP, SGD, Value, cross_entropy_loss  # noqa: E402

model = MLP(64, [32, 16, 10], act="relu", seed=0)
optim = SGD(model.parameters(), lr=0.05)

STEPS = 300
start = time.perf_counter()
for i in range(STEPS):
    inputs = [Value(x) for x in X_train[i]]
    logits = model(inputs)
    loss = cross_entropy_loss(logits, [int(y_train[i])])
    optim.zero_grad()
    loss.backward()
    optim.step()
scalar_seconds = time.perf_counter() - start

# minigrad.to_dot draws every node of the graph as one box (a "record"): count them.
nodes = minigrad.to_dot(loss).count("[shape=record")
print(f"one digit's forward pass and loss: a graph of {nodes} Value nodes")
print(
    f"{STEPS} per-sample steps in {scalar_seconds:.2f} s "
    f"({scalar_seconds / STEPS * 1e3:.1f} ms per step)"
)
accuracy = minigrad.evaluate(model, X_test, y_test)
print(f"scalar engine, after {STEPS} steps: test accuracy {accuracy:.4f}")

# %% [markdown]
# ## 2. The tensor engine: a full training run
#
# The same model on the tensor engine is fast enough to train properly: 30 epochs of
# mini-batches of 32 with SGD and momentum (the defaults of `minigrad train`), in well under
# a second. `minigrad.fit` runs the loop for either engine.

# %%
model_t = T.MLP(64, [64, 32, 10], act="relu", seed=0)
optim_t = T.SGD(model_t.parameters(), lr=0.1, momentum=0.9)
start = time.perf_counter()
history = minigrad.fit(
    model_t,
    optim_t,
    X_train,
    y_train,
    epochs=30,
    batch_size=32,
    seed=0,
    progress=False,
    validation_data=(X_test, y_test),
)
print(f"30 epochs in {time.perf_counter() - start:.2f} s")
print(f"tensor engine: test accuracy {minigrad.evaluate(model_t, X_test, y_test):.4f}")

minigrad.plot_history(history, OUT / "history.png", val_label="test")
show(OUT / "history.png")

# %% [markdown]
# ## 3. The two engines compute the same gradients
#
# Same seed, so bit-identical initial weights; same batch; one backward pass each. Then
# compare `grad_dict()`, which both engines return in PyTorch's layout.

# %%
model_s = S.MLP(64, [32, 16, 10], act="relu", seed=0)
model_v = T.MLP(64, [32, 16, 10], act="relu", seed=0)
xb, yb = X_train[:32], y_train[:32]
for B, m in ((S, model_s), (T, model_v)):
    m.zero_grad()
    B.cross_entropy_loss(m(xb), yb).backward()

grads_s, grads_v = model_s.grad_dict(), model_v.grad_dict()
worst = 0.0
for key in grads_s:
    diff = abs(grads_s[key] - grads_v[key]).max()
    worst = max(worst, diff)
    print(f"{key:16} shape {str(grads_s[key].shape):9} max |scalar - tensor| = {diff:.1e}")
print(f"largest gradient difference: {worst:.1e}")

# %% [markdown]
# ## 4. The price of one node per number
#
# Time the same training step (forward, loss, backward, SGD update) on each engine. Python's
# cyclic garbage collector is paused during a step, as `minigrad.fit` does: minigrad's graphs
# hold no reference cycles, so it would find nothing, yet it would scan the scalar engine's
# 180 000 live nodes (32 digits of 5 600 nodes) again and again while the graph grows.

# %%


def time_step(B, model, repeats):
    opt = B.SGD(model.parameters(), lr=0.01)
    times = []
    for _ in range(repeats):
        gc.disable()
        t0 = time.perf_counter()
        loss = B.cross_entropy_loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
        gc.enable()
    return statistics.median(times)


scalar_step = time_step(S, model_s, 3)
tensor_step = time_step(T, model_v, 50)
print(f"batch of 32, scalar engine: {scalar_step * 1e3:8.2f} ms per step")
print(f"batch of 32, tensor engine: {tensor_step * 1e3:8.3f} ms per step")
print(f"the scalar engine is {scalar_step / tensor_step:.0f}x slower")

# %% [markdown]
# ## 5. The graph of one neuron
#
# `minigrad.to_dot` gives Graphviz source for the graph behind any node of either engine;
# `minigrad.draw` renders it (`.svg` and `.html` need nothing more; `.png` and `.pdf` need
# Graphviz). Here: one tanh neuron with two inputs, after `backward`.

# %%
neuron = S.Neuron(2, act="tanh", seed=0)
out = neuron([Value(2.0), Value(-1.0)])
out.backward()
print(minigrad.to_dot(out).splitlines()[4])  # the first node of the DOT source
show(minigrad.draw(out, OUT / "neuron.svg"))

# %% [markdown]
# ## 6. Step through the backward pass
#
# micrograd's neuron from the lecture, labelled as there. `minigrad.explore` shows its
# graph; press **Step** (or the right arrow) to watch each gradient arrive as
# `local derivative x upstream`, **Back** to undo a step.

# %%
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
o = (x1 * w1 + x2 * w2 + b).tanh()
o.label = "o"
o.backward()
print(f"o = {o:.4f}, do/dw1 = {w1.grad:.4f}")
minigrad.explore(o) if in_jupyter() else print(minigrad.explore(o, OUT / "neuron.html"))
