"""What both engines stand on: the graph walk, grad mode, initialisation, the ``Module``
base, argument checks and the optimizers. Nothing here imports an engine or a tool."""
