"""The second assignment's catalogue of known mistakes: ``MISTAKES``.

Each entry is a wrong answer that learners really write for one learner function: a short name a
learner understands, a hint that teaches without giving the answer away, and the body of the
function as learners type it (with the notebook's names: ``ALPHA``, ``np`` and the other
functions of the notebook). solutions/checking.py says how a failing check is diagnosed with it:
an entry must reproduce every call of the check.

Most bodies are the model answer, written the plain way, with one thing changed; the helpers
below make them from it so that the one change is all that differs.
"""

from __future__ import annotations

from solutions.backprop_one_hidden_layer import reference
from solutions.checking import Mistake, catalogue

# The model answers as a learner types them (the notebook's solution cells, plainly written).
_INITIALIZE = """\
rng = np.random.default_rng(seed)
return {"W1": 0.01 * rng.standard_normal((n_h, n_x)), "b1": np.zeros((n_h, 1)),
        "W2": 0.01 * rng.standard_normal((n_y, n_h)), "b2": np.zeros((n_y, 1))}"""

_FORWARD = """\
Z1 = parameters["W1"] @ X + parameters["b1"]
if activation == "tanh":
    A1 = np.tanh(Z1)
elif activation == "sigmoid":
    A1 = 1 / (1 + np.exp(-Z1))
elif activation == "relu":
    A1 = np.maximum(0, Z1)
else:
    A1 = np.where(Z1 > 0, Z1, ALPHA * Z1)
Z2 = parameters["W2"] @ A1 + parameters["b2"]
A2 = 1 / (1 + np.exp(-Z2))
return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}"""

_COST = """\
A2 = np.clip(A2, 1e-15, 1 - 1e-15)
m = Y.shape[1]
return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)"""

_BACKWARD = """\
m = X.shape[1]
Z1, A1, A2 = cache["Z1"], cache["A1"], cache["A2"]
if activation == "tanh":
    slope = 1 - A1**2
elif activation == "sigmoid":
    slope = A1 * (1 - A1)
elif activation == "relu":
    slope = np.where(Z1 > 0, 1.0, 0.0)
else:
    slope = np.where(Z1 > 0, 1.0, ALPHA)
dZ2 = A2 - Y
dZ1 = (parameters["W2"].T @ dZ2) * slope
dW1 = dZ1 @ X.T / m
db1 = np.sum(dZ1, axis=1, keepdims=True) / m
dW2 = dZ2 @ A1.T / m
db2 = np.sum(dZ2, axis=1, keepdims=True) / m
return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}"""

_UPDATE = """\
return {name: parameters[name] - learning_rate * grads["d" + name]
        for name in ("W1", "b1", "W2", "b2")}"""

_GRADIENT_CHECK = """\
A2, cache = forward_propagation(X, parameters, activation)
grads = backward_propagation(parameters, cache, X, Y, activation)
formula, measured = [], []
for name in ("W1", "b1", "W2", "b2"):
    formula.append(np.ravel(grads["d" + name]))
    for i in range(parameters[name].size):
        plus = parameters[name].copy()
        plus.flat[i] += eps
        minus = parameters[name].copy()
        minus.flat[i] -= eps
        A2_plus, _ = forward_propagation(X, {**parameters, name: plus}, activation)
        A2_minus, _ = forward_propagation(X, {**parameters, name: minus}, activation)
        measured.append((compute_cost(A2_plus, Y) - compute_cost(A2_minus, Y)) / (2 * eps))
g, n = np.concatenate(formula), np.array(measured)
return np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n))"""

_PREDICT = """\
A2, cache = forward_propagation(X, parameters, activation)
return (A2 > 0.5).astype(float)"""

_NN_MODEL = """\
parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0], seed)
costs = []
for i in range(num_iterations):
    A2, cache = forward_propagation(X, parameters, activation)
    costs.append(compute_cost(A2, Y))
    grads = backward_propagation(parameters, cache, X, Y, activation)
    parameters = update_parameters(parameters, grads, learning_rate)
return parameters, costs"""


def _changed(body: str, *changes: tuple[str, str]) -> str:
    """``body`` with each (old, new) replaced: every old text must be there."""
    for old, new in changes:
        if old not in body:
            raise ValueError(f"{old!r} is not in the model answer")
        body = body.replace(old, new)
    return body


_SIGN = "wrong sign"
_ONE_OVER_M = "a missing 1/m"
_IGNORED = "{} ignored"


def _entries() -> list[Mistake]:
    def m(key, function, name, hint, code):
        return Mistake(key, function, name, hint, code)

    return [
        # Part A: initialize_parameters ---------------------------------------------------------
        m("initialize_parameters.zero_weights", "initialize_parameters", "zero weights (symmetry)",
          "Hidden units that start with equal weights compute the same thing, get the same "
          "gradient and stay copies of each other. Start the weights as small random numbers.",
          'return {"W1": np.zeros((n_h, n_x)), "b1": np.zeros((n_h, 1)),\n'
          '        "W2": np.zeros((n_y, n_h)), "b2": np.zeros((n_y, 1))}'),
        m("initialize_parameters.fixed_seed", "initialize_parameters", "a seed of your own",
          "Your weights are the same whatever seed is passed in: a seed written into the "
          "function fixes them. Make the generator from the seed argument, as A.1 says.",
          "np.random.seed(2)\n"
          'return {"W1": np.random.randn(n_h, n_x) * 0.01, "b1": np.zeros((n_h, 1)),\n'
          '        "W2": np.random.randn(n_y, n_h) * 0.01, "b2": np.zeros((n_y, 1))}'),
        # Part B: forward_propagation -----------------------------------------------------------
        m("forward_propagation.no_bias", "forward_propagation", "biases left out",
          "Each layer adds its bias after the matrix product: Z = W A + b. Without it every "
          "boundary the network draws has to pass through the origin.",
          _changed(_FORWARD, (' + parameters["b1"]', ""), (' + parameters["b2"]', ""))),
        m("forward_propagation.hidden_activation_at_output", "forward_propagation",
          "the hidden activation at the output",
          "g is the hidden layer's activation only. The output unit is always a sigmoid, so "
          "that A2 is a probability between 0 and 1 (Part B).",
          "def g(Z):\n"
          '    if activation == "tanh":\n'
          "        return np.tanh(Z)\n"
          '    if activation == "sigmoid":\n'
          "        return 1 / (1 + np.exp(-Z))\n"
          '    if activation == "relu":\n'
          "        return np.maximum(0, Z)\n"
          "    return np.where(Z > 0, Z, ALPHA * Z)\n"
          "\n"
          'Z1 = parameters["W1"] @ X + parameters["b1"]\n'
          "A1 = g(Z1)\n"
          'Z2 = parameters["W2"] @ A1 + parameters["b2"]\n'
          "A2 = g(Z2)\n"
          'return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}'),
        # Part C: compute_cost ------------------------------------------------------------------
        m("compute_cost.no_clip", "compute_cost", "no clip before the logarithms",
          "Where A2 is exactly 0 or 1, log gives -inf and 0 * -inf gives nan, which spoils the "
          "whole mean. Part C says how to keep A2 away from 0 and 1 first.",
          _changed(_COST, ("A2 = np.clip(A2, 1e-15, 1 - 1e-15)\n", ""))),
        m("compute_cost.no_mean", "compute_cost", _ONE_OVER_M,
          "Your cost grows with the number of examples: it is their sum. The cost is the mean "
          "over the m examples (the 1/m in Part C's formula).",
          _changed(_COST, (") / m)", "))"))),
        m("compute_cost.wrong_sign", "compute_cost", _SIGN,
          "Your costs are negative, but the logarithm of a probability is never positive. Look "
          "at the sign in front of the sum in Part C.",
          _changed(_COST, ("float(-np.sum(", "float(np.sum("))),
        m("compute_cost.mean_over_axis_0", "compute_cost", "the mean along the wrong axis",
          "Y has shape (1, m), so axis 0 runs down its single row: you get one cost per example. "
          "The cost is one number, the mean over all m examples.",
          "A2 = np.clip(A2, 1e-15, 1 - 1e-15)\n"
          "return -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2), axis=0)"),
        # Part D: backward_propagation ----------------------------------------------------------
        m("backward_propagation.no_mean", "backward_propagation", _ONE_OVER_M,
          "Your gradients are m times too large: they add up the examples. Each of Part D's "
          "formulas averages over the m examples.",
          _changed(_BACKWARD, (" / m\n", "\n"))),
        m("backward_propagation.no_keepdims", "backward_propagation", "a bias gradient flattened",
          "np.sum along axis 1 drops that axis, so db comes out with shape (n,) where its bias "
          "is a column (n, 1). np.sum can keep the summed axis (Part D).",
          _changed(_BACKWARD, ("axis=1, keepdims=True", "axis=1"))),
        m("backward_propagation.wrong_axis", "backward_propagation", "a sum along the wrong axis",
          "Summing along axis 0 adds up the hidden units of each example. A bias's gradient adds "
          "up the examples, which run along axis 1, for each unit.",
          _changed(_BACKWARD, ("axis=1, keepdims=True", "axis=0, keepdims=True"))),
        m("backward_propagation.a_form_on_z", "backward_propagation", "the a-form applied to Z1",
          "1 - a**2 and a(1 - a) are written with the activation a = g(z), which the cache holds "
          "as A1, not with z. Z1 is not the activation.",
          _changed(_BACKWARD, ("1 - A1**2", "1 - Z1**2"), ("A1 * (1 - A1)", "Z1 * (1 - Z1)"))),
        m("backward_propagation.sigmoid_slope_in_tanh", "backward_propagation",
          "the sigmoid's slope in a tanh layer",
          "a(1 - a) is the slope of the sigmoid. A tanh layer needs tanh's slope, written with "
          "its activation: see the table in Part D.",
          _changed(_BACKWARD, ("slope = 1 - A1**2", "slope = A1 * (1 - A1)"))),
        m("backward_propagation.transposed_dW", "backward_propagation", "a transposed dW",
          "Your dW has the shape of its weight matrix turned over. A gradient has its "
          "parameter's shape: which order of the product of dZ and the layer's input gives it?",
          _changed(_BACKWARD, ("dZ1 @ X.T", "X @ dZ1.T"), ("dZ2 @ A1.T", "A1 @ dZ2.T"))),
        m("backward_propagation.one_at_zero", "backward_propagation", "slope 1 at z = 0",
          "At exactly z = 0 this course uses the slope from the left: 0 for ReLU, alpha for "
          "Leaky ReLU (Part D). A comparison with >= puts z = 0 on the wrong side.",
          _changed(_BACKWARD, ("Z1 > 0, 1.0, 0.0", "Z1 >= 0, 1.0, 0.0"),
                   ("Z1 > 0, 1.0, ALPHA", "Z1 >= 0, 1.0, ALPHA"))),
        m("backward_propagation.alpha_ignored", "backward_propagation", _IGNORED.format("alpha"),
          "Your Leaky ReLU slope is 0 for z < 0, as ReLU's is. Leaky ReLU lets a little through "
          "on the left: its slope there is alpha, ALPHA in this notebook.",
          _changed(_BACKWARD, ("np.where(Z1 > 0, 1.0, ALPHA)", "np.where(Z1 > 0, 1.0, 0.0)"))),
        m("backward_propagation.no_slope", "backward_propagation", "g' left out",
          "The error that reaches a hidden unit is scaled by its activation's slope on the way "
          "back: dZ1 needs g'(Z1), multiplied entry by entry (Part D).",
          _changed(_BACKWARD, ('dZ1 = (parameters["W2"].T @ dZ2) * slope',
                               'dZ1 = parameters["W2"].T @ dZ2'))),
        m("backward_propagation.output_slope_twice", "backward_propagation",
          "the output sigmoid's slope counted twice",
          "With a sigmoid output and the cross-entropy cost, the sigmoid's slope cancels out of "
          "dZ2 (Part D): multiplying by A2(1 - A2) again counts it twice.",
          _changed(_BACKWARD, ("dZ2 = A2 - Y", "dZ2 = (A2 - Y) * A2 * (1 - A2)"))),
        # Part E: update_parameters -------------------------------------------------------------
        m("update_parameters.in_place", "update_parameters", "input changed in place",
          "Assigning into parameters (parameters[name] -= ...) changes the caller's dict and "
          "arrays, which they may still need. Build new arrays and a new dict instead.",
          'for name in ("W1", "b1", "W2", "b2"):\n'
          '    parameters[name] -= learning_rate * grads["d" + name]\n'
          "return parameters"),
        m("update_parameters.wrong_sign", "update_parameters", _SIGN,
          "Your step goes up the slope, so training would make the cost grow. Gradient "
          "descent moves every parameter against its gradient (Part E).",
          _changed(_UPDATE, ("] - learning_rate", "] + learning_rate"))),
        # Part F: gradient_check ----------------------------------------------------------------
        m("gradient_check.forward", "gradient_check", "a forward difference",
          "(J(theta + eps) - J(theta)) / eps looks to one side only and is off by about eps. "
          "Step to both sides of theta, as Part F shows.",
          _changed(_GRADIENT_CHECK, ("compute_cost(A2_minus, Y)) / (2 * eps)",
                                     "compute_cost(A2, Y)) / eps"))),
        m("gradient_check.eps_ignored", "gradient_check", _IGNORED.format("eps"),
          "Your result does not change with the eps it is given. Use the parameter eps to nudge "
          "the parameters and in the difference, instead of the number 1e-7.",
          _changed(_GRADIENT_CHECK, ("+= eps", "+= 1e-7"), ("-= eps", "-= 1e-7"),
                   ("(2 * eps)", "(2 * 1e-7)"))),
        m("gradient_check.missing_two", "gradient_check", "a missing factor 2",
          "Your measured slopes are twice too large: theta + eps and theta - eps lie 2 * eps "
          "apart. Rise over run.",
          _changed(_GRADIENT_CHECK, ("/ (2 * eps)", "/ eps"))),
        m("gradient_check.not_relative", "gradient_check", "the difference not relative",
          "||g - n|| alone grows and shrinks with the size of the gradients. Divide it by "
          "||g|| + ||n||, as Part F does, so that one threshold fits every network.",
          _changed(_GRADIENT_CHECK, ("np.linalg.norm(g - n) / (np.linalg.norm(g) + "
                                     "np.linalg.norm(n))", "np.linalg.norm(g - n)"))),
        # Part G: predict and nn_model ----------------------------------------------------------
        m("predict.probabilities", "predict", "probabilities instead of labels",
          "Your values are the network's probabilities A2. A label is 1 where the probability "
          "is above 0.5 and 0 elsewhere.",
          "A2, cache = forward_propagation(X, parameters, activation)\nreturn A2"),
        m("predict.activation_ignored", "predict", _IGNORED.format("activation"),
          "Your labels are those of a tanh network whatever activation is asked for. Hand the "
          "activation on to forward_propagation.",
          _changed(_PREDICT, ("forward_propagation(X, parameters, activation)",
                              "forward_propagation(X, parameters)"))),
        m("nn_model.seed_ignored", "nn_model", _IGNORED.format("seed"),
          "Your network is the same whatever seed is passed in. The seed decides the starting "
          "weights: hand it on to initialize_parameters.",
          _changed(_NN_MODEL, ("Y.shape[0], seed)", "Y.shape[0])"))),
        m("nn_model.activation_ignored", "nn_model", _IGNORED.format("activation"),
          "Your network trains as a tanh network whatever activation is asked for. Hand the "
          "activation on to every forward and backward pass.",
          _changed(_NN_MODEL, ("forward_propagation(X, parameters, activation)",
                               "forward_propagation(X, parameters)"),
                   ("backward_propagation(parameters, cache, X, Y, activation)",
                    "backward_propagation(parameters, cache, X, Y)"))),
    ]  # fmt: skip


MISTAKES: tuple[Mistake, ...] = catalogue(_entries(), reference)
