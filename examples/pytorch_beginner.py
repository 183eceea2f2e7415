"""A PyTorch beginner's script, run on minigrad.tensor: only the imports and the data loading
changed.

A model class of one's own with three layers, SGD with zero_grad / backward / step, the
loss read with ``.item()``, evaluation under ``no_grad()`` in ``eval()`` mode, accuracy by
``argmax``: the script every PyTorch tutorial starts with, on scikit-learn's 8x8 digits.

The two parts that differ are marked: between ``# ---- minigrad`` and ``# ---- PyTorch:``
are minigrad's lines, and after them, commented out up to ``# ---- end``, the PyTorch
original's. Everything else is the PyTorch script, line for line. (``Linear`` is minigrad's
``Layer``, whose ``act`` defaults to ``"linear"``, as ``nn.Linear`` is; a ``DataLoader`` of
NumPy arrays stands in for ``torch.utils.data``.) tests/test_pytorch_port.py runs this
file and, where PyTorch is installed, the original rebuilt from those comments.

    python examples/pytorch_beginner.py   # 20 epochs, a few seconds
"""

# ---- minigrad
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from minigrad.tensor import SGD, Module, Tensor, no_grad
from minigrad.tensor import Layer as Linear
from minigrad.tensor import cross_entropy_loss as cross_entropy

np.random.seed(0)  # noqa: NPY002 (the global generator: Linear's weights and the shuffling)
# ---- PyTorch:
# import torch
# from sklearn.datasets import load_digits
# from sklearn.model_selection import train_test_split
# from torch import no_grad
# from torch.nn import Linear, Module
# from torch.nn.functional import cross_entropy
# from torch.optim import SGD
# from torch.utils.data import DataLoader, TensorDataset
#
# torch.manual_seed(0)
# ---- end

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, random_state=1)

# ---- minigrad


class DataLoader:
    """The part of ``torch.utils.data.DataLoader`` this script uses: mini-batches of
    ``(inputs, targets)`` tensors, in a new random order each time it is iterated."""

    def __init__(self, X, y, batch_size, shuffle=False):
        self.X, self.y, self.batch_size, self.shuffle = X, y, batch_size, shuffle

    def __iter__(self):
        order = np.arange(len(self.y))
        if self.shuffle:
            order = np.random.permutation(order)  # noqa: NPY002 (seeded above, as torch's is)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            yield Tensor(self.X[rows]), Tensor(self.y[rows])


X_test, y_test = Tensor(X_test), Tensor(y_test)
train_loader = DataLoader(X_train, y_train, batch_size=32, shuffle=True)
# ---- PyTorch:
# X_test, y_test = torch.tensor(X_test, dtype=torch.float32), torch.tensor(y_test)
# train_set = TensorDataset(torch.tensor(X_train, dtype=torch.float32), torch.tensor(y_train))
# train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
# ---- end


class Net(Module):
    def __init__(self):
        super().__init__()
        self.fc1 = Linear(64, 32)
        self.fc2 = Linear(32, 16)
        self.fc3 = Linear(16, 10)

    def forward(self, x):
        x = self.fc1(x).relu()
        x = self.fc2(x).relu()
        return self.fc3(x)


def main(epochs=20, lr=0.1):
    model = Net()
    print(model)
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)

    for epoch in range(epochs):
        model.train()
        total_loss = 0.0
        for inputs, targets in train_loader:
            optimizer.zero_grad()
            loss = cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(targets)

        model.eval()
        with no_grad():
            predictions = model(X_test).argmax(dim=1)
            accuracy = (predictions == y_test).float().mean().item()
        print(
            f"epoch {epoch + 1:2d}: loss {total_loss / len(X_train):.4f}, "
            f"test accuracy {accuracy:.3f}"
        )
    return accuracy


if __name__ == "__main__":
    main()
