r"""Reference solutions for the second assignment: backprop through a one-hidden-layer network.

The network maps a batch of ``m`` examples, the columns of ``X`` (shape ``(n_x, m)``), to the
probability of class 1:

.. math::

    Z^{[1]} = W^{[1]} X + b^{[1]}, \quad A^{[1]} = g(Z^{[1]}), \quad
    Z^{[2]} = W^{[2]} A^{[1]} + b^{[2]}, \quad A^{[2]} = \sigma(Z^{[2]}),

with ``g`` the hidden activation ("tanh", "sigmoid", "relu" or "leaky_relu", alpha = 0.01) and
the biases column vectors, ``b1`` of shape ``(n_h, 1)`` and ``b2`` of shape ``(n_y, 1)``.

Parameters and gradients are dicts of float arrays: ``{"W1", "b1", "W2", "b2"}`` and
``{"dW1", "db1", "dW2", "db2"}``. Nothing here modifies its arguments.

The hidden-layer slope ``g'`` is taken in the lecture's a-form where it has one (``1 - A1**2`` for
tanh, ``A1 * (1 - A1)`` for sigmoid); ReLU and Leaky ReLU use the course's values at ``z = 0``,
0 and alpha (the slope from the left), as in the first assignment.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "ALPHA",
    "LEAKY_ALPHA",
    "backward_propagation",
    "compute_cost",
    "forward_propagation",
    "gradient_check",
    "initialize_parameters",
    "make_moons",
    "nn_model",
    "numerical_gradients",
    "predict",
    "relative_difference",
    "update_parameters",
]

ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu")
LEAKY_ALPHA = 0.01
ALPHA = LEAKY_ALPHA  # the notebook's name for it (its set-up cell), which learner code uses
COST_CLIP = 1e-15  # A2 is clipped to [COST_CLIP, 1 - COST_CLIP] before the logarithms
PARAMETER_NAMES = ("W1", "b1", "W2", "b2")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), without overflow: e^-|z| never overflows, and the two branches agree.
    Beyond |z| = 708 e^-|z| underflows, gradually and then to 0: the right value, so quietly.

    >>> float(sigmoid(np.array(0.0))), float(sigmoid(np.array(-1000.0)))
    (0.5, 0.0)
    """
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def make_moons(m: int = 400, noise: float = 0.2, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, ``m`` points in all, labelled 0 and 1.

    Returns ``X`` of shape ``(2, m)`` and ``Y`` of shape ``(1, m)`` (floats 0.0 and 1.0).

    >>> X, Y = make_moons(10, seed=0)
    >>> X.shape, Y.shape, float(Y.sum())
    ((2, 10), (1, 10), 5.0)
    """
    rng = np.random.default_rng(seed)
    half = m // 2
    angle = rng.uniform(0.0, np.pi, m)
    upper = np.stack([np.cos(angle[:half]), np.sin(angle[:half])])
    lower = np.stack([1.0 - np.cos(angle[half:]), 0.5 - np.sin(angle[half:])])
    X = np.concatenate([upper, lower], axis=1) + rng.normal(0.0, noise, (2, m))
    Y = np.concatenate([np.zeros(half), np.ones(m - half)])[None, :]
    return X, Y


def initialize_parameters(n_x: int, n_h: int, n_y: int, seed: int = 0) -> dict[str, np.ndarray]:
    r"""Small random weights and zero biases.

    .. math::

        W^{[1]}_{ij},\ W^{[2]}_{ij} \sim 0.01\,\mathcal{N}(0, 1), \qquad
        b^{[1]} = 0,\ b^{[2]} = 0

    Random weights break the symmetry between hidden units (equal weights would get equal
    gradients and stay equal); small ones keep tanh and sigmoid away from their flat tails.

    Args:
      n_x, n_h, n_y: sizes of the input, hidden and output layers.
      seed: the same seed gives the same weights.

    Returns:
      ``{"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}``.

    >>> p = initialize_parameters(2, 4, 1)
    >>> [p[k].shape for k in ("W1", "b1", "W2", "b2")]
    [(4, 2), (4, 1), (1, 4), (1, 1)]
    >>> float(abs(p["W1"]).max()) < 0.1, float(abs(p["b1"]).max())
    (True, 0.0)
    """
    rng = np.random.default_rng(seed)
    return {
        "W1": 0.01 * rng.standard_normal((n_h, n_x)),
        "b1": np.zeros((n_h, 1)),
        "W2": 0.01 * rng.standard_normal((n_y, n_h)),
        "b2": np.zeros((n_y, 1)),
    }


def _hidden(Z1: np.ndarray, activation: str) -> np.ndarray:
    if activation == "tanh":
        return np.tanh(Z1)
    if activation == "sigmoid":
        return sigmoid(Z1)
    if activation == "relu":
        return np.maximum(Z1, 0.0)
    if activation == "leaky_relu":
        return np.where(Z1 > 0, Z1, LEAKY_ALPHA * Z1)
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def _hidden_slope(Z1: np.ndarray, A1: np.ndarray, activation: str) -> np.ndarray:
    """g'(Z1): the a-form for tanh and sigmoid, the course's values at z = 0 for the ReLUs."""
    if activation == "tanh":
        return 1.0 - A1**2
    if activation == "sigmoid":
        return A1 * (1.0 - A1)
    if activation == "relu":
        return np.where(Z1 > 0, 1.0, 0.0)
    if activation == "leaky_relu":
        return np.where(Z1 > 0, 1.0, LEAKY_ALPHA)
    raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def forward_propagation(
    X: np.ndarray, parameters: dict[str, np.ndarray], activation: str = "tanh"
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    r"""The forward pass.

    .. math::

        Z^{[1]} = W^{[1]} X + b^{[1]},\ A^{[1]} = g(Z^{[1]}),\
        Z^{[2]} = W^{[2]} A^{[1]} + b^{[2]},\ A^{[2]} = \sigma(Z^{[2]})

    Args:
      X: inputs, shape ``(n_x, m)``, one example per column.
      parameters: ``W1, b1, W2, b2``.
      activation: the hidden layer's g: "tanh", "sigmoid", "relu" or "leaky_relu".

    Returns:
      ``(A2, cache)``: ``A2`` of shape ``(n_y, m)``, and ``cache = {"Z1", "A1", "Z2", "A2"}``.

    >>> p = {"W1": np.array([[1.0, -1.0]]), "b1": np.zeros((1, 1)),
    ...      "W2": np.array([[2.0]]), "b2": np.zeros((1, 1))}
    >>> A2, cache = forward_propagation(np.array([[1.0], [1.0]]), p, "relu")
    >>> A2.tolist(), sorted(cache)
    ([[0.5]], ['A1', 'A2', 'Z1', 'Z2'])
    """
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = _hidden(Z1, activation)
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(A2: np.ndarray, Y: np.ndarray) -> float:
    r"""Mean cross-entropy over the ``m`` examples.

    .. math:: J = -\frac{1}{m} \sum_{i} \bigl(y_i \log a_i + (1 - y_i) \log(1 - a_i)\bigr)

    ``A2`` is first clipped to ``[1e-15, 1 - 1e-15]``: at ``a = 0`` or ``1`` the logarithm would
    give ``-inf`` and ``0 * -inf = nan``. A right answer there costs about 1e-15, a certain
    wrong one about 34.5 (``-log(1e-15)``).

    Args:
      A2: predicted probabilities, shape ``(1, m)``.
      Y: labels 0 or 1, shape ``(1, m)``.

    Returns:
      The cost as a Python float.

    >>> compute_cost(np.array([[0.5, 0.5]]), np.array([[0.0, 1.0]])) == float(np.log(2))
    True
    >>> compute_cost(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]])) < 1e-14
    True
    """
    A2 = np.clip(np.asarray(A2, dtype=np.float64), COST_CLIP, 1.0 - COST_CLIP)
    Y = np.asarray(Y, dtype=np.float64)
    m = Y.shape[-1]
    return float(-np.sum(Y * np.log(A2) + (1.0 - Y) * np.log(1.0 - A2)) / m)


def backward_propagation(
    parameters: dict[str, np.ndarray],
    cache: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    activation: str = "tanh",
) -> dict[str, np.ndarray]:
    r"""Gradients of the mean cross-entropy with respect to every parameter.

    .. math::

        dZ^{[2]} = A^{[2]} - Y,\quad dW^{[2]} = \tfrac1m dZ^{[2]} A^{[1]\top},\quad
        db^{[2]} = \tfrac1m \textstyle\sum_i dZ^{[2]}_{:,i}

        dZ^{[1]} = W^{[2]\top} dZ^{[2]} \odot g'(Z^{[1]}),\quad
        dW^{[1]} = \tfrac1m dZ^{[1]} X^\top,\quad
        db^{[1]} = \tfrac1m \textstyle\sum_i dZ^{[1]}_{:,i}

    with ``g'`` from the cache: ``1 - A1**2`` (tanh), ``A1 * (1 - A1)`` (sigmoid),
    ``1 if Z1 > 0 else 0`` (ReLU) and ``1 if Z1 > 0 else alpha`` (Leaky ReLU, alpha = 0.01).

    Returns:
      ``{"dW1", "db1", "dW2", "db2"}``, each of its parameter's shape (``db1`` is ``(n_h, 1)``).

    >>> p = initialize_parameters(2, 3, 1)
    >>> X, Y = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([[1.0, 0.0]])
    >>> grads = backward_propagation(p, forward_propagation(X, p)[1], X, Y)
    >>> [grads[k].shape for k in ("dW1", "db1", "dW2", "db2")]
    [(3, 2), (3, 1), (1, 3), (1, 1)]
    """
    m = X.shape[1]
    Z1, A1, A2 = cache["Z1"], cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = (parameters["W2"].T @ dZ2) * _hidden_slope(Z1, A1, activation)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(
    parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray], learning_rate: float
) -> dict[str, np.ndarray]:
    r"""One step of gradient descent, :math:`\theta \leftarrow \theta - \alpha\, d\theta`.

    Returns a new dict of new arrays; ``parameters`` and its arrays are left as they were.

    >>> p = {"W1": np.ones((1, 1)), "b1": np.zeros((1, 1)), "W2": np.ones((1, 1)),
    ...      "b2": np.zeros((1, 1))}
    >>> g = {"dW1": np.ones((1, 1)), "db1": np.ones((1, 1)), "dW2": np.ones((1, 1)),
    ...      "db2": np.ones((1, 1))}
    >>> new = update_parameters(p, g, 0.5)
    >>> float(new["W1"][0, 0]), float(p["W1"][0, 0])
    (0.5, 1.0)
    """
    return {name: parameters[name] - learning_rate * grads["d" + name] for name in PARAMETER_NAMES}


def gradient_check(
    parameters: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    activation: str = "tanh",
    eps: float = 1e-7,
) -> float:
    r"""How far ``backward_propagation`` is from central differences of the cost.

    Every entry :math:`\theta_i` of every parameter is nudged by :math:`\pm\varepsilon`:

    .. math::

        \tilde g_i = \frac{J(\theta_i + \varepsilon) - J(\theta_i - \varepsilon)}{2\varepsilon},
        \qquad
        \text{difference} = \frac{\lVert g - \tilde g\rVert}{\lVert g\rVert + \lVert \tilde g\rVert}

    over all entries of W1, b1, W2, b2 in that order, flattened into one vector.

    Returns:
      The relative difference, a Python float: below about 1e-7 the two agree.

    >>> X, Y = make_moons(20)
    >>> p = initialize_parameters(2, 3, 1)
    >>> p = {k: v * 100 for k, v in p.items()}  # weights near 1: gradients well above rounding
    >>> gradient_check(p, X, Y) < 1e-7
    True
    """
    _, cache = forward_propagation(X, parameters, activation)
    grads = backward_propagation(parameters, cache, X, Y, activation)
    return relative_difference(grads, numerical_gradients(parameters, X, Y, activation, eps))


def numerical_gradients(
    parameters: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    activation: str = "tanh",
    eps: float = 1e-7,
) -> dict[str, np.ndarray]:
    """Central differences of ``compute_cost`` for every entry of every parameter, as a dict
    ``{"dW1", "db1", "dW2", "db2"}`` shaped like the parameters."""
    slopes = {}
    for name in PARAMETER_NAMES:
        values = np.asarray(parameters[name], dtype=np.float64)
        slope = np.zeros(values.shape)
        for i in range(values.size):
            costs = []
            for step in (eps, -eps):
                nudged = values.copy()
                nudged.flat[i] += step
                A2, _ = forward_propagation(X, {**parameters, name: nudged}, activation)
                costs.append(compute_cost(A2, Y))
            slope.flat[i] = (costs[0] - costs[1]) / (2 * eps)
        slopes["d" + name] = slope
    return slopes


def relative_difference(grads: dict[str, np.ndarray], other: dict[str, np.ndarray]) -> float:
    """||g - n|| / (||g|| + ||n||) over dW1, db1, dW2, db2 flattened into one vector each."""
    g = np.concatenate([np.ravel(grads["d" + name]) for name in PARAMETER_NAMES])
    n = np.concatenate([np.ravel(other["d" + name]) for name in PARAMETER_NAMES])
    return float(np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n)))


def predict(
    parameters: dict[str, np.ndarray], X: np.ndarray, activation: str = "tanh"
) -> np.ndarray:
    """Class labels: 1.0 where the network's probability ``A2`` is above 0.5, else 0.0.

    >>> p = {"W1": np.eye(2), "b1": np.zeros((2, 1)), "W2": np.array([[1.0, 1.0]]),
    ...      "b2": np.zeros((1, 1))}
    >>> predict(p, np.array([[1.0, -1.0], [1.0, -1.0]])).tolist()
    [[1.0, 0.0]]
    """
    A2, _ = forward_propagation(X, parameters, activation)
    return (A2 > 0.5).astype(np.float64)


def nn_model(
    X: np.ndarray,
    Y: np.ndarray,
    n_h: int,
    num_iterations: int = 5000,
    learning_rate: float = 1.5,
    activation: str = "tanh",
    seed: int = 0,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Train the network by gradient descent from ``initialize_parameters(n_x, n_h, n_y, seed)``.

    Returns:
      ``(parameters, costs)``: the trained parameters and the cost before each of the
      ``num_iterations`` updates (a list of Python floats).

    >>> X, Y = make_moons(200)
    >>> parameters, costs = nn_model(X, Y, 4, num_iterations=2000)
    >>> len(costs), costs[-1] < 0.5 * costs[0]
    (2000, True)
    >>> float(np.mean(predict(parameters, X) == Y)) > 0.85
    True
    """
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0], seed)
    costs = []
    for _ in range(num_iterations):
        A2, cache = forward_propagation(X, parameters, activation)
        costs.append(compute_cost(A2, Y))
        grads = backward_propagation(parameters, cache, X, Y, activation)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters, costs
