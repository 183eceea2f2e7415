"""``python -m minigrad``: train the original README's digits network on the scalar engine.

MLP 64-32-16-10 (ReLU), per-sample SGD (lr 0.05), two epochs over the 1347 training digits,
then the accuracy on the 450 test digits.
"""

import time

import minigrad
from minigrad.scalar import MLP, SGD


def main():
    X_train, X_test, y_train, y_test = minigrad.load_digits()
    model = MLP(64, [32, 16, 10], act="relu", seed=0)
    optimizer = SGD(model.parameters(), lr=0.05)
    print(f"scalar engine: {model}, {len(model.parameters())} parameters, per-sample SGD")
    start = time.perf_counter()
    history = minigrad.fit(model, optimizer, X_train, y_train, epochs=2, batch_size=1)
    seconds = time.perf_counter() - start
    accuracy = minigrad.evaluate(model, X_test, y_test)
    print(
        f"train loss {history['loss'][-1]:.4f}, {seconds:.1f} s "
        f"({seconds / (2 * len(X_train)) * 1e3:.2f} ms per step)"
    )
    print(f"test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
