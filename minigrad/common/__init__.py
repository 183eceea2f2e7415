"""Code written once for both engines: registry, init, data, optimizers, training loop."""
