"""Other right answers to the second assignment: ``HONEST[name] = (what it is, {function: body})``.

Each must get full marks wherever a learner types it (the conformance suite grades every one,
and the demo shows them). The functions not named keep the model answer.
"""

HONEST = {
    # The lecture's formulas written the plain way, as most learners first type them: np.dot,
    # the textbook sigmoid (which overflows, with a warning, for very negative z), numpy floats
    # where the model answer returns Python floats, boolean labels.
    "lecture": ("the lecture's formulas, typed the plain way", {
        "initialize_parameters": (
            "rng = np.random.default_rng(seed)\n"
            "W1 = rng.standard_normal((n_h, n_x)) * 0.01\n"
            "W2 = rng.standard_normal((n_y, n_h)) * 0.01\n"
            'return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}'
        ),
        "forward_propagation": (
            'W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], '
            'parameters["b2"]\n'
            "Z1 = np.dot(W1, X) + b1\n"
            'if activation == "tanh":\n'
            "    A1 = np.tanh(Z1)\n"
            'elif activation == "sigmoid":\n'
            "    A1 = 1 / (1 + np.exp(-Z1))\n"
            'elif activation == "relu":\n'
            "    A1 = np.maximum(0, Z1)\n"
            "else:\n"
            "    A1 = np.where(Z1 > 0, Z1, ALPHA * Z1)\n"
            "Z2 = np.dot(W2, A1) + b2\n"
            "A2 = 1 / (1 + np.exp(-Z2))\n"
            'return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}'
        ),
        # A numpy float, not a Python one: nn_model's cost history is then a list of them.
        "compute_cost": (
            "m = Y.shape[1]\n"
            "A2 = np.clip(A2, 1e-15, 1 - 1e-15)\n"
            "logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)\n"
            "return -np.sum(logprobs) / m"
        ),
        "backward_propagation": (
            "m = X.shape[1]\n"
            'W2 = parameters["W2"]\n'
            'A1, A2, Z1 = cache["A1"], cache["A2"], cache["Z1"]\n'
            "dZ2 = A2 - Y\n"
            "dW2 = (1 / m) * np.dot(dZ2, A1.T)\n"
            "db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)\n"
            'if activation == "tanh":\n'
            "    g_prime = 1 - np.power(A1, 2)\n"
            'elif activation == "sigmoid":\n'
            "    g_prime = A1 * (1 - A1)\n"
            'elif activation == "relu":\n'
            "    g_prime = np.where(Z1 > 0, 1.0, 0.0)\n"
            "else:\n"
            "    g_prime = np.where(Z1 > 0, 1.0, ALPHA)\n"
            "dZ1 = np.dot(W2.T, dZ2) * g_prime\n"
            "dW1 = (1 / m) * np.dot(dZ1, X.T)\n"
            "db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)\n"
            'return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}'
        ),
        "update_parameters": (
            "new = {}\n"
            'for name in ("W1", "b1", "W2", "b2"):\n'
            '    new[name] = parameters[name] - learning_rate * grads["d" + name]\n'
            "return new"
        ),
        "gradient_check": (
            "A2, cache = forward_propagation(X, parameters, activation)\n"
            "grads = backward_propagation(parameters, cache, X, Y, activation)\n"
            "g, n = [], []\n"
            'for name in ("W1", "b1", "W2", "b2"):\n'
            '    g.extend(grads["d" + name].flatten())\n'
            "    for i in range(parameters[name].size):\n"
            "        plus = {k: v.copy() for k, v in parameters.items()}\n"
            "        minus = {k: v.copy() for k, v in parameters.items()}\n"
            "        plus[name].flat[i] += eps\n"
            "        minus[name].flat[i] -= eps\n"
            "        J_plus = compute_cost(forward_propagation(X, plus, activation)[0], Y)\n"
            "        J_minus = compute_cost(forward_propagation(X, minus, activation)[0], Y)\n"
            "        n.append((J_plus - J_minus) / (2 * eps))\n"
            "g, n = np.array(g), np.array(n)\n"
            "return np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n))"
        ),
        "predict": (
            "A2, cache = forward_propagation(X, parameters, activation)\n"
            "return A2 > 0.5"
        ),
        "nn_model": (
            "parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0], seed)\n"
            "costs = []\n"
            "for i in range(num_iterations):\n"
            "    A2, cache = forward_propagation(X, parameters, activation)\n"
            "    costs.append(compute_cost(A2, Y))\n"
            "    grads = backward_propagation(parameters, cache, X, Y, activation)\n"
            "    parameters = update_parameters(parameters, grads, learning_rate)\n"
            "return parameters, costs"
        ),
    }),
    # The other natural way to write the mean, also a numpy float.
    "mean_cost": ("compute_cost with np.mean, returning a numpy float", {
        "compute_cost": (
            "A2 = np.clip(A2, 1e-15, 1 - 1e-15)\n"
            "return -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))"
        ),
    }),
    # Slow but right: six trainings from six seeds drawn from the one given, the best kept.
    # The same seed still gives the same network, and from the starting weights
    # initialize_parameters hands out every training is the same.
    "best_of_six": ("nn_model keeping the best of six trainings (six times slower)", {
        "nn_model": (
            "best = None\n"
            "for k in range(6):\n"
            "    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0], 6 * seed + k)\n"
            "    costs = []\n"
            "    for i in range(num_iterations):\n"
            "        A2, cache = forward_propagation(X, parameters, activation)\n"
            "        costs.append(compute_cost(A2, Y))\n"
            "        grads = backward_propagation(parameters, cache, X, Y, activation)\n"
            "        parameters = update_parameters(parameters, grads, learning_rate)\n"
            "    if best is None or costs[-1] < best[1][-1]:\n"
            "        best = (parameters, costs)\n"
            "return best"
        ),
    }),
}
