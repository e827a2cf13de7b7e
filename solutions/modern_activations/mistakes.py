"""The third assignment's catalogue of known mistakes: ``MISTAKES``.

Each entry is a wrong answer that learners really write for one learner function: a short name a
learner understands, a hint that teaches without giving the answer away, and ``code``, the body
of the function exactly as a learner would type it (no ``def`` line). The key is
"function.short_name". solutions/checking.py compiles each body with the reference function's
signature, in a namespace holding what the notebook's does: numpy as ``np``, ``math``, the
set-up cell's ``erf`` and the learner's other functions (the reference module's, which has all
of them), and says how a failing check is diagnosed with it.

Every entry fails at least one of its function's checks (solutions/modern_activations/checks.py)
and reproduces every call of each check it fails; no two entries of one function reproduce the
same failure, so a diagnosis is never a guess between two names.
"""

from __future__ import annotations

from solutions.checking import Mistake, catalogue
from solutions.modern_activations import reference

# --------------------------------------------------------------------------------------------
# Names and hints shared by several functions
# --------------------------------------------------------------------------------------------

_ALPHA = "alpha ignored"
_ALPHA_HINT = (
    "Your function gives the same result whatever alpha it is called with. Use the parameter "
    "alpha in the formula instead of a number."
)
_IN_PLACE = "input changed in place"
_IN_PLACE_HINT = (
    "Assigning into z (z[...] = ...) changes the caller's array, which the network still needs. "
    "Build a new array instead, for example with np.where."
)
_IF = "Python `if` on an array"
_IF_HINT = (
    "Python's `if` looks at one number, so it fails on an array. Use numpy's elementwise "
    "tools, such as np.where."
)
_MASK = "inf times a 0/1 mask"
_MASK_HINT = (
    "Multiplying by a mask such as (z > 0) gives inf * 0 = nan at z = ±inf. Choose between the "
    "branches with np.where instead."
)
_OVERFLOW = "inf / inf for large z"
_AT_ZERO = "slope 1 at z = 0"


def _entries() -> list[Mistake]:
    def m(key, name, hint, code):
        return Mistake(key, key.split(".")[0], name, hint, code)

    return [
        # Part A: PReLU ----------------------------------------------------------------------
        m("prelu.alpha_ignored", _ALPHA,
          "Your function gives the same result whatever alpha it is called with: 0.01 is Leaky "
          "ReLU's. PReLU's alpha is learned, so use the parameter.",
          "return np.where(z > 0, z, 0.01 * z)"),
        m("prelu.swapped", "alpha on the wrong side",
          "alpha scales the negative inputs, and positive ones pass unchanged; yours does the "
          "opposite.",
          "return np.where(z > 0, alpha * z, z)"),
        m("prelu.in_place", _IN_PLACE, _IN_PLACE_HINT,
          "z = np.asarray(z, dtype=float)\nz[z < 0] *= alpha\nreturn z"),
        m("prelu.python_if", _IF, _IF_HINT,
          "if z > 0:\n    return z\nreturn alpha * z"),
        m("prelu.max_form", "max(z, alpha z) for a learned alpha",
          "max(z, alpha z) is PReLU only while alpha <= 1, and a learned alpha can grow past 1. "
          "Choose the branch by the sign of z instead.",
          "return np.maximum(z, alpha * z)"),
        m("prelu.mask_product", _MASK, _MASK_HINT,
          "return z * (z > 0) + alpha * z * (z <= 0)"),
        m("prelu_derivative.one_at_zero", _AT_ZERO,
          "At exactly z = 0 this course uses the slope from the left, alpha (Part A). A "
          "comparison with >= puts z = 0 on the wrong side.",
          "return np.where(z >= 0, 1.0, alpha)"),
        m("prelu_derivative.alpha_ignored", _ALPHA,
          "Your slope is the same whatever alpha it is called with: 0.01 is Leaky ReLU's. "
          "PReLU's alpha is learned, so use the parameter.",
          "return np.where(z > 0, 1.0, 0.01)"),
        m("prelu_derivative.returns_prelu", "PReLU instead of its slope",
          "Your values are those of PReLU itself. Its slope with respect to z is 1 or alpha, "
          "whatever the size of z.",
          "return np.where(z > 0, z, alpha * z)"),
        m("prelu_derivative.alpha_gradient", "the derivative with respect to alpha",
          "Your values are PReLU's derivative with respect to alpha. This function asks for the "
          "slope with respect to z, the one that carries the gradient back to z.",
          "return np.where(z > 0, 0.0, z)"),
        m("prelu_derivative.in_place", _IN_PLACE, _IN_PLACE_HINT,
          "z = np.asarray(z, dtype=float)\npositive = z > 0\nz[positive] = 1.0\n"
          "z[~positive] = alpha\nreturn z"),
        m("prelu_alpha_gradient.z_everywhere", "z everywhere",
          "For z > 0 PReLU is z, which does not contain alpha, so its derivative with respect "
          "to alpha is 0 there.",
          "return z"),
        m("prelu_alpha_gradient.alpha", "alpha instead of z",
          "In alpha z, alpha is now the variable and z the constant factor: the derivative of "
          "alpha z with respect to alpha is not alpha.",
          "return np.where(z > 0, 0.0, alpha)"),
        m("prelu_alpha_gradient.slope_in_z", "the slope with respect to z",
          "Your values are PReLU's slope with respect to z. Here alpha is the variable: how "
          "does alpha z change when alpha does?",
          "return np.where(z > 0, 1.0, alpha)"),
        m("prelu_alpha_gradient.value", "alpha z instead of its derivative",
          "alpha z is PReLU's value on the left. Its derivative with respect to alpha no longer "
          "contains alpha.",
          "return np.where(z > 0, 0.0, alpha * z)"),
        m("prelu_alpha_gradient.swapped", "the two sides swapped",
          "alpha only appears where z <= 0, so the derivative with respect to alpha is 0 for "
          "z > 0. Which side of 0 is which?",
          "return np.where(z > 0, z, 0.0)"),
        m("prelu_alpha_gradient.mask_product", _MASK, _MASK_HINT,
          "return z * (z <= 0)"),
        m("prelu_alpha_gradient.in_place", _IN_PLACE, _IN_PLACE_HINT,
          "z = np.asarray(z, dtype=float)\nz[z > 0] = 0.0\nreturn z"),
        # Part B: softplus -------------------------------------------------------------------
        m("softplus.overflow", "exp(z) overflows for large z",
          "e^z is inf from z = 710 on, so log(1 + e^z) gives inf at z = 1000. Rewrite it so "
          "that only e^(-|z|) is ever computed, as Part B shows.",
          "return np.log(1 + np.exp(z))"),
        m("softplus.math_module", "math.exp instead of np.exp",
          "The math module works on one number at a time: it fails on an array, and raises an "
          "error where np.exp would give inf. Use numpy's functions.",
          "return math.log(1 + math.exp(z))"),
        m("softplus_derivative.overflow", _OVERFLOW,
          "e^z / (1 + e^z) is inf / inf = nan from z = 710 on. Write the sigmoid so that only "
          "e^(-|z|) is ever computed.",
          "return np.exp(z) / (1 + np.exp(z))"),
        m("softplus_derivative.a_form_on_softplus", "the sigmoid's a-form on softplus",
          "a(1 - a) is the sigmoid's slope, written with a = sigmoid(z). Softplus' slope is not "
          "a(1 - a) of softplus: see the derivation in Part B.",
          "a = softplus(z)\nreturn a * (1 - a)"),
        m("softplus_derivative.sigmoid_slope", "the sigmoid's slope, one step too far",
          "Your values are those of sigma'(z), the slope of the sigmoid. Softplus' slope is one "
          "derivative earlier: the derivation in Part B says which function it is.",
          "s = 1 / (1 + np.exp(-z))\nreturn s * (1 - s)"),
        m("softplus_derivative.wrong_sign", "wrong sign",
          "Your slope falls from 1 to 0 while softplus gets ever steeper. Check the sign of the "
          "exponent.",
          "return 1 / (1 + np.exp(z))"),
        # Part C: ELU ------------------------------------------------------------------------
        m("elu.alpha_ignored", _ALPHA, _ALPHA_HINT,
          "return np.where(z > 0, z, np.exp(z) - 1)"),
        m("elu.missing_minus_one", "the - 1 left out",
          "On the left ELU is alpha(e^z - 1), which is 0 at z = 0 and tends to -alpha. Yours "
          "jumps at z = 0 and stays above 0.",
          "return np.where(z > 0, z, alpha * np.exp(z))"),
        m("elu.in_place", _IN_PLACE, _IN_PLACE_HINT,
          "z = np.asarray(z, dtype=float)\nz[z <= 0] = alpha * (np.exp(z[z <= 0]) - 1)\n"
          "return z"),
        m("elu.python_if", _IF, _IF_HINT,
          "if z > 0:\n    return z\nreturn alpha * (np.exp(z) - 1)"),
        m("elu_derivative.value_for_slope", "ELU's value for its slope",
          "On the left you return alpha(e^z - 1), the value of ELU there. Differentiate it: the "
          "- 1 is a constant.",
          "return np.where(z > 0, 1.0, alpha * (np.exp(z) - 1))"),
        m("elu_derivative.returns_elu", "ELU instead of its slope",
          "Your values are those of ELU itself. Its slope is 1 on the right, whatever the size "
          "of z, and alpha e^z on the left.",
          "return np.where(z > 0, z, alpha * (np.exp(z) - 1))"),
        m("elu_derivative.one_at_zero", _AT_ZERO,
          "At exactly z = 0 this course uses the slope from the left, alpha (Part C). A "
          "comparison with >= puts z = 0 on the wrong side.",
          "return np.where(z >= 0, 1.0, alpha * np.exp(z))"),
        m("elu_derivative.alpha_ignored", _ALPHA, _ALPHA_HINT,
          "return np.where(z > 0, 1.0, np.exp(z))"),
        m("elu_derivative_from_activation.z_form_on_a", "the z-form applied to a",
          "alpha e^z is written with z, but this function is given a = elu(z). Write alpha e^z "
          "in terms of a, as Part C does.",
          "return np.where(a > 0, 1.0, alpha * np.exp(a))"),
        m("elu_derivative_from_activation.sigmoid_a_form", "the sigmoid's a-form",
          "a(1 - a) is the sigmoid's slope in terms of its output. ELU has an a-form of its "
          "own: see Part C.",
          "return a * (1 - a)"),
        m("elu_derivative_from_activation.activation_for_slope", "the activation for its slope",
          "On the left you return a itself, which is negative, but ELU only ever rises. How "
          "does alpha e^z relate to a = alpha(e^z - 1)?",
          "return np.where(a > 0, 1.0, a)"),
        m("elu_derivative_from_activation.alpha_ignored", _ALPHA, _ALPHA_HINT,
          "return np.where(a > 0, 1.0, a + 1)"),
        m("elu_derivative_from_activation.one_at_zero", "slope 1 at a = 0",
          "a = 0 comes from z = 0, where this course uses the slope from the left, alpha "
          "(Part C). A comparison with >= puts a = 0 on the wrong side.",
          "return np.where(a >= 0, 1.0, a + alpha)"),
        # Part D: SiLU -----------------------------------------------------------------------
        m("silu.overflow", _OVERFLOW,
          "e^z / (1 + e^z) is inf / inf = nan from z = 710 on. Use a sigmoid that only ever "
          "computes e^(-|z|): you wrote one in Part B.",
          "return z * np.exp(z) / (1 + np.exp(z))"),
        m("silu.softplus_for_sigmoid", "softplus where the sigmoid belongs",
          "SiLU weights z by the sigmoid, and softplus is not the sigmoid: its slope is. Which "
          "of your functions from Part B is the sigmoid?",
          "return z * softplus(z)"),
        m("silu_derivative.product_rule_forgotten", "product rule forgotten",
          "SiLU is a product, z times sigma(z), so its slope has two terms, one for each "
          "factor. You kept only the one in which z is differentiated.",
          "return softplus_derivative(z)"),
        m("silu_derivative.first_term_missing", "the sigma(z) term missing",
          "The product rule gives two terms for z times sigma(z); yours has only z sigma'(z). "
          "Add the term in which z is differentiated.",
          "s = softplus_derivative(z)\nreturn z * s * (1 - s)"),
        m("silu_derivative.a_form_on_silu", "the sigmoid's a-form on SiLU",
          "a(1 - a) is the sigmoid's slope, written with a = sigmoid(z). SiLU's output is not "
          "the sigmoid: use the product rule on z times sigma(z).",
          "a = silu(z)\nreturn a * (1 - a)"),
        m("silu_derivative.overflow", _OVERFLOW,
          "e^z is inf from z = 710 on, and inf / inf is nan. Write the slope with the sigmoid "
          "you wrote in Part B, which never overflows.",
          "e = np.exp(z)\nreturn e * (1 + e + z) / (1 + e) ** 2"),
        # Part E: GELU -----------------------------------------------------------------------
        m("gelu.tanh_approximation", "the tanh approximation",
          "0.5 z (1 + tanh(...)) approximates GELU to about 5e-4. This assignment asks for the "
          "exact GELU, z times the normal CDF, through erf.",
          "return 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3)))"),
        m("gelu.sigmoid_approximation", "the sigmoid approximation",
          "z sigma(1.702 z) approximates GELU to about 2e-2. This assignment asks for the exact "
          "GELU, z times the normal CDF, through erf.",
          "return z * softplus_derivative(1.702 * z)"),
        m("gelu.missing_sqrt2", "erf(z) without the sqrt(2)",
          "The standard normal CDF is (1 + erf(z / sqrt(2))) / 2: erf belongs to a normal "
          "distribution of variance 1/2, so z is scaled first.",
          "return 0.5 * z * (1 + erf(z))"),
        m("gelu.missing_half", "a missing factor 1/2",
          "Your values are twice too large. The normal CDF runs from 0 to 1, while "
          "1 + erf(...) runs from 0 to 2.",
          "return z * (1 + erf(z / np.sqrt(2)))"),
        m("gelu_derivative.product_rule_forgotten", "product rule forgotten",
          "GELU is a product, z times Phi(z), so its slope has two terms, one for each factor. "
          "You kept only Phi(z).",
          "return 0.5 * (1 + erf(z / np.sqrt(2)))"),
        m("gelu_derivative.first_term_missing", "the Phi(z) term missing",
          "The product rule gives two terms for z times Phi(z); yours has only z phi(z). Add "
          "the term in which z is differentiated.",
          "return z * np.exp(-z**2 / 2) / np.sqrt(2 * np.pi)"),
        m("gelu_derivative.pdf_unnormalised", "phi without its 1/sqrt(2 pi)",
          "The normal density phi(z), the slope of Phi, is e^(-z^2/2) divided by sqrt(2 pi); "
          "without that factor its area would not be 1.",
          "return 0.5 * (1 + erf(z / np.sqrt(2))) + z * np.exp(-z**2 / 2)"),
        m("gelu_derivative.tanh_approximation", "the tanh approximation",
          "Your slope is that of 0.5 z (1 + tanh(...)), an approximation of GELU. This "
          "assignment asks for the slope of the exact GELU, z times Phi(z).",
          "c = np.sqrt(2 / np.pi)\nt = np.tanh(c * (z + 0.044715 * z**3))\n"
          "return 0.5 * (1 + t) + 0.5 * z * (1 - t**2) * c * (1 + 3 * 0.044715 * z**2)"),
    ]  # fmt: skip


MISTAKES: tuple[Mistake, ...] = catalogue(_entries(), reference)
