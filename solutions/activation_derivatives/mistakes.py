"""The first assignment's catalogue of known mistakes: ``MISTAKES``.

Each entry is a wrong answer that learners really write for one learner function: a short name a
learner understands, a hint that teaches without giving the answer away, and the body of the
function as learners type it. solutions/checking.py says how a failing check is diagnosed with
it (an entry must reproduce every call of the check) and how a visible test's message is.
"""

from __future__ import annotations

from solutions.activation_derivatives import reference
from solutions.checking import Mistake, catalogue

# --------------------------------------------------------------------------------------------
# Names and hints shared by several functions
# --------------------------------------------------------------------------------------------

_IF = "Python `if` on an array"
_IF_HINT = (
    "Python's `if` (like `max`, `and` and `or`) looks at one number, so it fails on an array. "
    "Use numpy's elementwise tools, such as np.where or np.maximum."
)
_MATH = "math.exp instead of np.exp"
_MATH_HINT = (
    "The math module works on one number at a time: it fails on an array, and raises an error "
    "where np.exp would give inf. Use np.exp, which works on numbers and arrays alike."
)
_IN_PLACE = "input changed in place"
_IN_PLACE_HINT = (
    "Assigning into z (z[...] = ...) changes the caller's array, which the network still needs. "
    "Build a new array instead, for example with np.where."
)
_AT_ZERO = "slope 1 at z = 0"
_SIGN = "wrong sign"
_ALPHA = "alpha ignored"
_ALPHA_HINT = (
    "Your function gives the same result whatever alpha it is called with. Use the parameter "
    "alpha in the formula instead of the number 0.01."
)


def _entries() -> list[Mistake]:
    def m(key, function, name, hint, code):
        return Mistake(key, function, name, hint, code)

    return [
        # Part A: sigmoid ---------------------------------------------------------------------
        m("sigmoid.math_exp", "sigmoid", _MATH, _MATH_HINT, "return 1 / (1 + math.exp(-z))"),
        m("sigmoid.python_if", "sigmoid", _IF, _IF_HINT,
          "if z > 0:\n    return 1 / (1 + np.exp(-z))\nreturn np.exp(z) / (1 + np.exp(z))"),
        m("sigmoid.wrong_sign", "sigmoid", _SIGN,
          "Your curve is mirrored: it falls where the sigmoid rises. Check the sign of the "
          "exponent in the formula.",
          "return 1 / (1 + np.exp(z))"),
        # sigmoid_derivative
        m("sigmoid_derivative.a_form_on_z", "sigmoid_derivative", "the a-form applied to z",
          "a(1 - a) is written in terms of the activation a = sigmoid(z), not z. Starting from "
          "z, compute the activation first.",
          "return z * (1 - z)"),
        m("sigmoid_derivative.mixed_forms", "sigmoid_derivative", "z where the activation belongs",
          "Your formula mixes the activation and z. In a(1 - a), both factors use the same "
          "activation a = sigmoid(z).",
          "return sigmoid(z) * (1 - z)"),
        m("sigmoid_derivative.returns_sigmoid", "sigmoid_derivative",
          "the sigmoid instead of its slope",
          "Your values are those of the sigmoid itself. The slope is a different function: "
          "see the formula for sigma'(z) in Part A.",
          "return sigmoid(z)"),
        m("sigmoid_derivative.missing_square", "sigmoid_derivative", "a missing square",
          "In the chain-rule form e^(-z) / (1 + e^(-z))^2 the denominator is squared. Check "
          "your powers.",
          "return np.exp(-z) / (1 + np.exp(-z))"),
        m("sigmoid_derivative.tanh_form", "sigmoid_derivative", "tanh's slope formula",
          "1 - a**2 is the slope of tanh. The sigmoid's slope has its own short form in Part A.",
          "return 1 - sigmoid(z) ** 2"),
        m("sigmoid_derivative.wrong_sign", "sigmoid_derivative", _SIGN,
          "Your slopes are negative, but the sigmoid only ever rises. Check the order of "
          "a subtraction.",
          "return -sigmoid(z) * (1 - sigmoid(z))"),
        m("sigmoid_derivative.math_exp", "sigmoid_derivative", _MATH, _MATH_HINT,
          "s = 1 / (1 + math.exp(-z))\nreturn s * (1 - s)"),
        # sigmoid_derivative_from_activation
        m("sigmoid_derivative_from_activation.sigmoid_again",
          "sigmoid_derivative_from_activation", "the sigmoid applied to a again",
          "a is already sigmoid(z): the forward pass computed it. Use a as it is.",
          "return sigmoid(a) * (1 - sigmoid(a))"),
        m("sigmoid_derivative_from_activation.tanh_form", "sigmoid_derivative_from_activation",
          "tanh's slope formula",
          "1 - a**2 is the slope of tanh. The sigmoid's slope in terms of a is in Part A.",
          "return 1 - a**2"),
        m("sigmoid_derivative_from_activation.wrong_sign", "sigmoid_derivative_from_activation",
          _SIGN,
          "Your slopes are negative, but the sigmoid only ever rises. Check the order of "
          "a subtraction.",
          "return a * (a - 1)"),
        # Part B: tanh ------------------------------------------------------------------------
        m("tanh_derivative.a_form_on_z", "tanh_derivative", "the a-form applied to z",
          "1 - a**2 is written in terms of the activation a = tanh(z), not z. Starting from z, "
          "compute the activation first.",
          "return 1 - z**2"),
        m("tanh_derivative.returns_tanh", "tanh_derivative", "tanh instead of its slope",
          "Your values are those of tanh itself. The slope is a different function: see the "
          "formula for tanh'(z) in Part B.",
          "return np.tanh(z)"),
        m("tanh_derivative.missing_square", "tanh_derivative", "a missing square",
          "Your slope goes negative for z < 0, but tanh only ever rises. Look at the power of "
          "tanh(z) in the formula.",
          "return 1 - np.tanh(z)"),
        m("tanh_derivative.wrong_sign", "tanh_derivative", _SIGN,
          "Your slopes are negative, but tanh only ever rises. Check the order of the "
          "subtraction.",
          "return np.tanh(z) ** 2 - 1"),
        m("tanh_derivative.math_tanh", "tanh_derivative", "math.tanh instead of np.tanh",
          "The math module works on one number at a time, so it fails on an array. Use "
          "np.tanh, which works on numbers and arrays alike.",
          "return 1 - math.tanh(z) ** 2"),
        # tanh_derivative_from_activation
        m("tanh_derivative_from_activation.tanh_again", "tanh_derivative_from_activation",
          "tanh applied to a again",
          "a is already tanh(z): the forward pass computed it. Use a as it is.",
          "return 1 - np.tanh(a) ** 2"),
        m("tanh_derivative_from_activation.missing_square", "tanh_derivative_from_activation",
          "a missing square",
          "Your slope goes negative for a < 0, but tanh only ever rises. Look at the power "
          "of a in the formula.",
          "return 1 - a"),
        m("tanh_derivative_from_activation.sigmoid_form", "tanh_derivative_from_activation",
          "the sigmoid's slope formula",
          "a(1 - a) is the slope of the sigmoid. tanh's slope in terms of a is in Part B.",
          "return a * (1 - a)"),
        m("tanh_derivative_from_activation.wrong_sign", "tanh_derivative_from_activation", _SIGN,
          "Your slopes are negative, but tanh only ever rises. Check the order of the "
          "subtraction.",
          "return a**2 - 1"),
        # Part C: ReLU ------------------------------------------------------------------------
        m("relu.python_if", "relu", _IF, _IF_HINT,
          "if z > 0:\n    return z\nreturn 0.0"),
        m("relu.in_place", "relu", _IN_PLACE, _IN_PLACE_HINT, "z[z < 0] = 0.0\nreturn z"),
        m("relu.minimum", "relu", "min instead of max",
          "ReLU keeps the positive numbers and turns the negative ones into 0; yours does the "
          "opposite.",
          "return np.minimum(0.0, z)"),
        m("relu_derivative.one_at_zero", "relu_derivative", _AT_ZERO,
          "At exactly z = 0 this course uses the slope from the left, 0 (Part C). A comparison "
          "with >= puts z = 0 on the wrong side.",
          "return np.where(z >= 0, 1.0, 0.0)"),
        m("relu_derivative.booleans", "relu_derivative", "True/False instead of numbers",
          "A comparison such as z > 0 gives True/False. The slope is a number: turn the result "
          "into floats.",
          "return np.asarray(z) > 0"),
        m("relu_derivative.python_if", "relu_derivative", _IF, _IF_HINT,
          "if z > 0:\n    return 1.0\nreturn 0.0"),
        m("relu_derivative.returns_relu", "relu_derivative", "ReLU instead of its slope",
          "Your values are those of ReLU itself. The slope is 0 or 1, whatever the size of z.",
          "return np.maximum(0.0, z)"),
        m("relu_derivative.in_place", "relu_derivative", _IN_PLACE, _IN_PLACE_HINT,
          "z[z > 0] = 1.0\nz[z <= 0] = 0.0\nreturn z"),
        m("relu_derivative.swapped", "relu_derivative", "the two sides swapped",
          "Your slope is 1 where ReLU is flat and 0 where it rises. Which side of 0 is which?",
          "return np.where(z < 0, 1.0, 0.0)"),
        # Part D: Leaky ReLU ------------------------------------------------------------------
        m("leaky_relu.alpha_ignored", "leaky_relu", _ALPHA, _ALPHA_HINT,
          "return np.where(z > 0, z, 0.01 * z)"),
        m("leaky_relu.python_if", "leaky_relu", _IF, _IF_HINT,
          "if z > 0:\n    return z\nreturn alpha * z"),
        m("leaky_relu.in_place", "leaky_relu", _IN_PLACE, _IN_PLACE_HINT,
          "z[z < 0] *= alpha\nreturn z"),
        m("leaky_relu.swapped", "leaky_relu", "alpha on the wrong side",
          "alpha scales the negative inputs, and positive ones pass unchanged; yours does the "
          "opposite.",
          "return np.where(z > 0, alpha * z, z)"),
        m("leaky_relu_derivative.one_at_zero", "leaky_relu_derivative", _AT_ZERO,
          "At exactly z = 0 this course uses the slope from the left, alpha (Part D). A "
          "comparison with >= puts z = 0 on the wrong side.",
          "return np.where(z >= 0, 1.0, alpha)"),
        m("leaky_relu_derivative.alpha_ignored", "leaky_relu_derivative", _ALPHA, _ALPHA_HINT,
          "return np.where(z > 0, 1.0, 0.01)"),
        m("leaky_relu_derivative.relu_slope", "leaky_relu_derivative", "ReLU's slope",
          "Your slope is 0 for negative z, as ReLU's is. Leaky ReLU lets a little through "
          "on the left: what is its slope there?",
          "return np.where(z > 0, 1.0, 0.0)"),
        m("leaky_relu_derivative.python_if", "leaky_relu_derivative", _IF, _IF_HINT,
          "if z > 0:\n    return 1.0\nreturn alpha"),
        m("leaky_relu_derivative.in_place", "leaky_relu_derivative", _IN_PLACE, _IN_PLACE_HINT,
          "positive = z > 0\nz[positive] = 1.0\nz[~positive] = alpha\nreturn z"),
        m("leaky_relu_derivative.returns_leaky_relu", "leaky_relu_derivative",
          "Leaky ReLU instead of its slope",
          "Your values are those of Leaky ReLU itself. The slope is alpha or 1, whatever the "
          "size of z.",
          "return np.where(z > 0, z, alpha * z)"),
        # Part E: numerical_derivative --------------------------------------------------------
        m("numerical_derivative.forward", "numerical_derivative", "a forward difference",
          "(f(z + eps) - f(z)) / eps looks to one side only and is off by about eps. Step to "
          "both sides of z, as Part E shows.",
          "return (f(z + eps) - f(z)) / eps"),
        m("numerical_derivative.backward", "numerical_derivative", "a backward difference",
          "(f(z) - f(z - eps)) / eps looks to one side only and is off by about eps. Step to "
          "both sides of z, as Part E shows.",
          "return (f(z) - f(z - eps)) / eps"),
        m("numerical_derivative.eps_ignored", "numerical_derivative", "eps ignored",
          "Your result does not change with the eps it is given. Use the parameter eps in the "
          "formula instead of the number 1e-5.",
          "return (f(z + 1e-5) - f(z - 1e-5)) / (2 * 1e-5)"),
        m("numerical_derivative.missing_two", "numerical_derivative", "a missing factor 2",
          "Your slopes are twice too large. The two points are 2 * eps apart: rise over run.",
          "return (f(z + eps) - f(z - eps)) / eps"),
        m("numerical_derivative.wrong_sign", "numerical_derivative", _SIGN,
          "Your slopes have the opposite sign. Rise over run: the later point minus the "
          "earlier one.",
          "return (f(z - eps) - f(z + eps)) / (2 * eps)"),
    ]  # fmt: skip



MISTAKES: tuple[Mistake, ...] = catalogue(_entries(), reference)
