"""The original minigrad README's demo loop, as written there (imports from
``minigrad.scalar``), on a bounded number of samples so the suite stays fast."""

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split

from minigrad.scalar import MLP, SGD, Value, cross_entropy_loss

N_TEST = 150  # one epoch over the full training set (about 5 s)


def test_original_readme_demo_loop_learns_digits():
    # 1. Load and prepare the dataset
    digits = datasets.load_digits()
    n_samples = len(digits.images)
    data = digits.images.reshape((n_samples, -1))
    n_features = data.shape[1]
    n_classes = 10
    X = digits.data / 16.0
    y = digits.target
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=1)

    # 2. Initialize the Model and Optimizer
    model = MLP(n_features, [32, 16, n_classes], act="relu")
    optim = SGD(model.parameters(), lr=0.05)

    # 3. Training Loop (one epoch)
    epochs = 1
    for _epoch in range(epochs):
        for i in range(len(X_train)):
            inputs = [Value(x) for x in X_train[i]]

            logits = model(inputs)
            loss = cross_entropy_loss(logits, [int(y_train[i])])

            optim.zero_grad()
            loss.backward()
            optim.step()

        n_correct = 0
        for i in range(N_TEST):
            inputs = [Value(x) for x in X_test[i]]

            ypred = model(inputs)
            index = np.argmax([y.data for y in ypred])

            n_correct += index == y_test[i]
        accuracy = n_correct / N_TEST
    assert accuracy > 0.5  # chance is 0.1
