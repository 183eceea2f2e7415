"""The digits data set (scikit-learn's bundled 8x8 images, no download)."""

from typing import Any

from numpy.typing import NDArray
from sklearn.datasets import load_digits as _sk_load_digits
from sklearn.model_selection import train_test_split


def load_digits(test_size: float = 0.25, random_state: int | None = 1) -> list[NDArray[Any]]:
    """Return ``X_train, X_test, y_train, y_test``: pixels scaled to [0, 1], int labels.

    With the defaults this is the original minigrad README's split: 1347 training and
    450 test samples.
    """
    digits = _sk_load_digits()
    X = digits.data / 16.0
    y = digits.target
    return train_test_split(X, y, test_size=test_size, random_state=random_state)
