"""Other right answers to the second assignment: ``HONEST[name] = (what it is, {function: body})``.

Each must get full marks wherever a learner types it (the conformance suite grades every one,
and the demo shows them). The functions not named keep the model answer.
"""

_LECTURE = {
    "initialize_parameters": """\
rng = np.random.default_rng(seed)
W1 = rng.standard_normal((n_h, n_x)) * 0.01
W2 = rng.standard_normal((n_y, n_h)) * 0.01
return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}""",
    "forward_propagation": """\
W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]
Z1 = np.dot(W1, X) + b1
if activation == "tanh":
    A1 = np.tanh(Z1)
elif activation == "sigmoid":
    A1 = 1 / (1 + np.exp(-Z1))
elif activation == "relu":
    A1 = np.maximum(0, Z1)
else:
    A1 = np.where(Z1 > 0, Z1, ALPHA * Z1)
Z2 = np.dot(W2, A1) + b2
A2 = 1 / (1 + np.exp(-Z2))
return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}""",
    "compute_cost": """\
m = Y.shape[1]
A2 = np.clip(A2, 1e-15, 1 - 1e-15)
logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
return float(np.squeeze(-np.sum(logprobs) / m))""",
    "backward_propagation": """\
m = X.shape[1]
W2 = parameters["W2"]
A1, A2, Z1 = cache["A1"], cache["A2"], cache["Z1"]
dZ2 = A2 - Y
dW2 = (1 / m) * np.dot(dZ2, A1.T)
db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
if activation == "tanh":
    g_prime = 1 - np.power(A1, 2)
elif activation == "sigmoid":
    g_prime = A1 * (1 - A1)
elif activation == "relu":
    g_prime = np.where(Z1 > 0, 1.0, 0.0)
else:
    g_prime = np.where(Z1 > 0, 1.0, ALPHA)
dZ1 = np.dot(W2.T, dZ2) * g_prime
dW1 = (1 / m) * np.dot(dZ1, X.T)
db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}""",
    "update_parameters": """\
new = {}
for name in ("W1", "b1", "W2", "b2"):
    new[name] = parameters[name] - learning_rate * grads["d" + name]
return new""",
    "gradient_check": """\
A2, cache = forward_propagation(X, parameters, activation)
grads = backward_propagation(parameters, cache, X, Y, activation)
g, n = [], []
for name in ("W1", "b1", "W2", "b2"):
    g.extend(grads["d" + name].flatten())
    for i in range(parameters[name].size):
        plus = {k: v.copy() for k, v in parameters.items()}
        minus = {k: v.copy() for k, v in parameters.items()}
        plus[name].flat[i] += eps
        minus[name].flat[i] -= eps
        J_plus = compute_cost(forward_propagation(X, plus, activation)[0], Y)
        J_minus = compute_cost(forward_propagation(X, minus, activation)[0], Y)
        n.append((J_plus - J_minus) / (2 * eps))
g, n = np.array(g), np.array(n)
return np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n))""",
    "predict": """\
A2, cache = forward_propagation(X, parameters, activation)
return A2 > 0.5""",
    "nn_model": """\
parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0], seed)
costs = []
for i in range(num_iterations):
    A2, cache = forward_propagation(X, parameters, activation)
    costs.append(compute_cost(A2, Y))
    grads = backward_propagation(parameters, cache, X, Y, activation)
    parameters = update_parameters(parameters, grads, learning_rate)
return parameters, costs""",
}

HONEST = {
    # The lecture's forms, typed the plain way: np.dot, the textbook sigmoid (which overflows,
    # with a warning, for very negative z), 1 - np.power(A1, 2), boolean labels from predict.
    "lecture": ("the lecture's forms, typed the plain way", _LECTURE),
    # The cost as numpy gives it, without float(): nn_model's history is then a list of
    # np.float64, which must cross the sandbox whole.
    "numpy_cost": ("compute_cost returning np.mean's np.float64", {
        "compute_cost": """\
A2 = np.clip(A2, 1e-15, 1 - 1e-15)
return -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))""",
    }),
}
