"""Other right answers to the first assignment: ``HONEST[name] = (what it is, {function: body})``.

Each must get full marks wherever a learner types it (the conformance suite grades every one,
and the demo shows them). The functions not named keep the model answer.
"""

HONEST = {
    # The lecture's formulas written the plain way, as most learners first type them: right,
    # but without the reference's care (no overflow guard in sigmoid, np.where giving 0-d
    # arrays for scalars, ...): grading them shows the hidden tests ask nothing beyond them.
    "lecture": ("the lecture's formulas, typed the plain way", {
        "sigmoid": "return 1 / (1 + np.exp(-z))",
        "sigmoid_derivative": "s = sigmoid(z)\nreturn s * (1 - s)",
        "sigmoid_derivative_from_activation": "return a * (1 - a)",
        "tanh_derivative": "return 1 - np.tanh(z) ** 2",
        "tanh_derivative_from_activation": "return 1 - a**2",
        "relu": "return np.maximum(0.0, z)",
        "relu_derivative": "return np.where(z > 0, 1.0, 0.0)",
        "leaky_relu": "return np.where(z > 0, z, alpha * z)",
        "leaky_relu_derivative": "return np.where(z > 0, 1.0, alpha)",
        "numerical_derivative": "return (f(z + eps) - f(z - eps)) / (2 * eps)",
    }),
    # Lists instead of arrays, where an element-wise function may return them.
    "lists": ("relu and its slope returning Python lists", {
        "relu": "return np.maximum(0.0, z).tolist()",
        "relu_derivative": "return np.where(np.asarray(z) > 0, 1.0, 0.0).tolist()",
    }),
}
