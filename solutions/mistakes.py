"""The catalogue of known mistakes, next to the CHECKS table: ``MISTAKES[key]``.

Each entry is a wrong answer that learners really write, for one learner function: a short name
a learner understands, a hint that teaches without giving the answer away, and the mistaken
function itself (`compute`, called exactly as the learner's function is called).

Diagnosis. When a check fails, :func:`diagnose` runs the check's own calls through every
catalogue entry of that function (never through learner code) and compares what each entry gives
with what the learner's function gave, call by call:

- a call that raised matches a call that raised the same exception type;
- a call that returned matches one that returned the same kind of value (numbers or booleans)
  of the same shape, within the check's own tolerance (``abs(got - mistaken) <= ATOL + RTOL *
  abs(mistaken)``, RTOL and ATOL as the check uses for that call; infinities and NaN must match
  exactly);
- an array argument must be left as the entry leaves it (an entry that changes its input
  explains only a learner function that changes it the same way).

An entry explains the failure only when it reproduces EVERY call of the check. When exactly one
name fits, :func:`annotate` adds it and its hint to the check's message; when none fits (or two
different names fit equally), the message stays exactly as it was.

Visible tests (the notebook's own ``check`` helper, which learners can read) cannot import this
module. Their message names the failing call and the returned value, so :func:`annotate_visible`
re-reads it and tries the catalogue on that one call, outside the learner's kernel (the grader's
feedback and ``python -m autograder check`` call it).

Nothing here is ever shown to a learner but an entry's name and hint.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

import solutions

MARK = "Likely mistake: "  # what annotate() adds: MARK + name + SEPARATOR + hint
SEPARATOR = " — "


@dataclass(frozen=True)
class Mistake:
    """One known wrong answer to one learner function."""

    key: str  # unique, e.g. "sigmoid_derivative.a_form_on_z"
    function: str  # the learner function it stands in for
    name: str  # short, learner-facing: what the feedback and the class report call it
    hint: str  # learner-facing: teaches without giving the answer away
    compute: Callable  # the mistaken function, same signature as the learner's


# --------------------------------------------------------------------------------------------
# The mistaken functions, written the way learners write them
# --------------------------------------------------------------------------------------------


def _sigmoid(z):
    return solutions.sigmoid(z)


def _python_if(positive, other):
    """A piecewise function written with Python's `if`: right on one number, fails on arrays."""

    def f(z, alpha=0.01):
        if z > 0:
            return positive(z, alpha)
        return other(z, alpha)

    return f


def _relu_in_place(z):
    z = np.asarray(z, dtype=float)
    z[z < 0] = 0.0
    return z


def _relu_derivative_in_place(z):
    z = np.asarray(z, dtype=float)
    z[z > 0] = 1.0
    z[z <= 0] = 0.0
    return z


def _leaky_relu_in_place(z, alpha=0.01):
    z = np.asarray(z, dtype=float)
    z[z < 0] *= alpha
    return z


def _leaky_relu_derivative_in_place(z, alpha=0.01):
    z = np.asarray(z, dtype=float)
    positive = z > 0
    z[positive] = 1.0
    z[~positive] = alpha
    return z


def _math_sigmoid(z):
    return 1 / (1 + math.exp(-z))


def _math_sigmoid_derivative(z):
    s = 1 / (1 + math.exp(-z))
    return s * (1 - s)


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
    m = Mistake
    return [
        # Part A: sigmoid ---------------------------------------------------------------------
        m("sigmoid.math_exp", "sigmoid", _MATH, _MATH_HINT, _math_sigmoid),
        m("sigmoid.python_if", "sigmoid", _IF, _IF_HINT,
          _python_if(lambda z, _: 1 / (1 + np.exp(-z)), lambda z, _: np.exp(z) / (1 + np.exp(z)))),
        m("sigmoid.wrong_sign", "sigmoid", _SIGN,
          "Your curve is mirrored: it falls where the sigmoid rises. Check the sign of the "
          "exponent in the formula.",
          lambda z: 1 / (1 + np.exp(z))),
        # sigmoid_derivative
        m("sigmoid_derivative.a_form_on_z", "sigmoid_derivative", "the a-form applied to z",
          "a(1 - a) is written in terms of the activation a = sigmoid(z), not z. Starting from "
          "z, compute the activation first.",
          lambda z: z * (1 - z)),
        m("sigmoid_derivative.mixed_forms", "sigmoid_derivative", "z where the activation belongs",
          "Your formula mixes the activation and z. In a(1 - a), both factors use the same "
          "activation a = sigmoid(z).",
          lambda z: _sigmoid(z) * (1 - z)),
        m("sigmoid_derivative.returns_sigmoid", "sigmoid_derivative",
          "the sigmoid instead of its slope",
          "Your values are those of the sigmoid itself. The slope is a different function: "
          "see the formula for sigma'(z) in Part A.",
          _sigmoid),
        m("sigmoid_derivative.missing_square", "sigmoid_derivative", "a missing square",
          "In the chain-rule form e^(-z) / (1 + e^(-z))^2 the denominator is squared. Check "
          "your powers.",
          lambda z: np.exp(-z) / (1 + np.exp(-z))),
        m("sigmoid_derivative.tanh_form", "sigmoid_derivative", "tanh's slope formula",
          "1 - a**2 is the slope of tanh. The sigmoid's slope has its own short form in Part A.",
          lambda z: 1 - _sigmoid(z) ** 2),
        m("sigmoid_derivative.wrong_sign", "sigmoid_derivative", _SIGN,
          "Your slopes are negative, but the sigmoid only ever rises. Check the order of "
          "a subtraction.",
          lambda z: -_sigmoid(z) * (1 - _sigmoid(z))),
        m("sigmoid_derivative.math_exp", "sigmoid_derivative", _MATH, _MATH_HINT,
          _math_sigmoid_derivative),
        # sigmoid_derivative_from_activation
        m("sigmoid_derivative_from_activation.sigmoid_again",
          "sigmoid_derivative_from_activation", "the sigmoid applied to a again",
          "a is already sigmoid(z): the forward pass computed it. Use a as it is.",
          lambda a: _sigmoid(a) * (1 - _sigmoid(a))),
        m("sigmoid_derivative_from_activation.tanh_form", "sigmoid_derivative_from_activation",
          "tanh's slope formula",
          "1 - a**2 is the slope of tanh. The sigmoid's slope in terms of a is in Part A.",
          lambda a: 1 - a**2),
        m("sigmoid_derivative_from_activation.wrong_sign", "sigmoid_derivative_from_activation",
          _SIGN,
          "Your slopes are negative, but the sigmoid only ever rises. Check the order of "
          "a subtraction.",
          lambda a: a * (a - 1)),
        # Part B: tanh ------------------------------------------------------------------------
        m("tanh_derivative.a_form_on_z", "tanh_derivative", "the a-form applied to z",
          "1 - a**2 is written in terms of the activation a = tanh(z), not z. Starting from z, "
          "compute the activation first.",
          lambda z: 1 - z**2),
        m("tanh_derivative.returns_tanh", "tanh_derivative", "tanh instead of its slope",
          "Your values are those of tanh itself. The slope is a different function: see the "
          "formula for tanh'(z) in Part B.",
          np.tanh),
        m("tanh_derivative.missing_square", "tanh_derivative", "a missing square",
          "Your slope goes negative for z < 0, but tanh only ever rises. Look at the power of "
          "tanh(z) in the formula.",
          lambda z: 1 - np.tanh(z)),
        m("tanh_derivative.wrong_sign", "tanh_derivative", _SIGN,
          "Your slopes are negative, but tanh only ever rises. Check the order of the "
          "subtraction.",
          lambda z: np.tanh(z) ** 2 - 1),
        m("tanh_derivative.math_tanh", "tanh_derivative", "math.tanh instead of np.tanh",
          "The math module works on one number at a time, so it fails on an array. Use "
          "np.tanh, which works on numbers and arrays alike.",
          lambda z: 1 - math.tanh(z) ** 2),
        # tanh_derivative_from_activation
        m("tanh_derivative_from_activation.tanh_again", "tanh_derivative_from_activation",
          "tanh applied to a again",
          "a is already tanh(z): the forward pass computed it. Use a as it is.",
          lambda a: 1 - np.tanh(a) ** 2),
        m("tanh_derivative_from_activation.missing_square", "tanh_derivative_from_activation",
          "a missing square",
          "Your slope goes negative for a < 0, but tanh only ever rises. Look at the power "
          "of a in the formula.",
          lambda a: 1 - a),
        m("tanh_derivative_from_activation.sigmoid_form", "tanh_derivative_from_activation",
          "the sigmoid's slope formula",
          "a(1 - a) is the slope of the sigmoid. tanh's slope in terms of a is in Part B.",
          lambda a: a * (1 - a)),
        m("tanh_derivative_from_activation.wrong_sign", "tanh_derivative_from_activation", _SIGN,
          "Your slopes are negative, but tanh only ever rises. Check the order of the "
          "subtraction.",
          lambda a: a**2 - 1),
        # Part C: ReLU ------------------------------------------------------------------------
        m("relu.python_if", "relu", _IF, _IF_HINT,
          _python_if(lambda z, _: z, lambda z, _: 0.0)),
        m("relu.in_place", "relu", _IN_PLACE, _IN_PLACE_HINT, _relu_in_place),
        m("relu.minimum", "relu", "min instead of max",
          "ReLU keeps the positive numbers and turns the negative ones into 0; yours does the "
          "opposite.",
          lambda z: np.minimum(0.0, z)),
        m("relu_derivative.one_at_zero", "relu_derivative", _AT_ZERO,
          "At exactly z = 0 this course uses the slope from the left, 0 (Part C). A comparison "
          "with >= puts z = 0 on the wrong side.",
          lambda z: np.where(z >= 0, 1.0, 0.0)),
        m("relu_derivative.booleans", "relu_derivative", "True/False instead of numbers",
          "A comparison such as z > 0 gives True/False. The slope is a number: turn the result "
          "into floats.",
          lambda z: np.asarray(z) > 0),
        m("relu_derivative.python_if", "relu_derivative", _IF, _IF_HINT,
          _python_if(lambda z, _: 1.0, lambda z, _: 0.0)),
        m("relu_derivative.returns_relu", "relu_derivative", "ReLU instead of its slope",
          "Your values are those of ReLU itself. The slope is 0 or 1, whatever the size of z.",
          lambda z: np.maximum(0.0, z)),
        m("relu_derivative.in_place", "relu_derivative", _IN_PLACE, _IN_PLACE_HINT,
          _relu_derivative_in_place),
        m("relu_derivative.swapped", "relu_derivative", "the two sides swapped",
          "Your slope is 1 where ReLU is flat and 0 where it rises. Which side of 0 is which?",
          lambda z: np.where(z < 0, 1.0, 0.0)),
        # Part D: Leaky ReLU ------------------------------------------------------------------
        m("leaky_relu.alpha_ignored", "leaky_relu", _ALPHA, _ALPHA_HINT,
          lambda z, alpha=0.01: np.where(z > 0, z, 0.01 * z)),
        m("leaky_relu.python_if", "leaky_relu", _IF, _IF_HINT,
          _python_if(lambda z, _: z, lambda z, alpha: alpha * z)),
        m("leaky_relu.in_place", "leaky_relu", _IN_PLACE, _IN_PLACE_HINT, _leaky_relu_in_place),
        m("leaky_relu.swapped", "leaky_relu", "alpha on the wrong side",
          "alpha scales the negative inputs, and positive ones pass unchanged; yours does the "
          "opposite.",
          lambda z, alpha=0.01: np.where(z > 0, alpha * z, z)),
        m("leaky_relu_derivative.one_at_zero", "leaky_relu_derivative", _AT_ZERO,
          "At exactly z = 0 this course uses the slope from the left, alpha (Part D). A "
          "comparison with >= puts z = 0 on the wrong side.",
          lambda z, alpha=0.01: np.where(z >= 0, 1.0, alpha)),
        m("leaky_relu_derivative.alpha_ignored", "leaky_relu_derivative", _ALPHA, _ALPHA_HINT,
          lambda z, alpha=0.01: np.where(z > 0, 1.0, 0.01)),
        m("leaky_relu_derivative.relu_slope", "leaky_relu_derivative", "ReLU's slope",
          "Your slope is 0 for negative z, as ReLU's is. Leaky ReLU lets a little through "
          "on the left: what is its slope there?",
          lambda z, alpha=0.01: np.where(z > 0, 1.0, 0.0)),
        m("leaky_relu_derivative.python_if", "leaky_relu_derivative", _IF, _IF_HINT,
          _python_if(lambda z, _: 1.0, lambda z, alpha: alpha)),
        m("leaky_relu_derivative.in_place", "leaky_relu_derivative", _IN_PLACE, _IN_PLACE_HINT,
          _leaky_relu_derivative_in_place),
        m("leaky_relu_derivative.returns_leaky_relu", "leaky_relu_derivative",
          "Leaky ReLU instead of its slope",
          "Your values are those of Leaky ReLU itself. The slope is alpha or 1, whatever the "
          "size of z.",
          lambda z, alpha=0.01: np.where(z > 0, z, alpha * z)),
        # Part E: numerical_derivative --------------------------------------------------------
        m("numerical_derivative.forward", "numerical_derivative", "a forward difference",
          "(f(z + eps) - f(z)) / eps looks to one side only and is off by about eps. Step to "
          "both sides of z, as Part E shows.",
          lambda f, z, eps=1e-5: (f(z + eps) - f(z)) / eps),
        m("numerical_derivative.backward", "numerical_derivative", "a backward difference",
          "(f(z) - f(z - eps)) / eps looks to one side only and is off by about eps. Step to "
          "both sides of z, as Part E shows.",
          lambda f, z, eps=1e-5: (f(z) - f(z - eps)) / eps),
        m("numerical_derivative.eps_ignored", "numerical_derivative", "eps ignored",
          "Your result does not change with the eps it is given. Use the parameter eps in the "
          "formula instead of the number 1e-5.",
          lambda f, z, eps=1e-5: (f(z + 1e-5) - f(z - 1e-5)) / (2 * 1e-5)),
        m("numerical_derivative.missing_two", "numerical_derivative", "a missing factor 2",
          "Your slopes are twice too large. The two points are 2 * eps apart: rise over run.",
          lambda f, z, eps=1e-5: (f(z + eps) - f(z - eps)) / eps),
        m("numerical_derivative.wrong_sign", "numerical_derivative", _SIGN,
          "Your slopes have the opposite sign. Rise over run: the later point minus the "
          "earlier one.",
          lambda f, z, eps=1e-5: (f(z - eps) - f(z + eps)) / (2 * eps)),
    ]  # fmt: skip


MISTAKES: dict[str, Mistake] = {entry.key: entry for entry in _entries()}
if len(MISTAKES) != len(_entries()):  # pragma: no cover - a typo in the table above
    raise RuntimeError("two mistakes share a key")


def for_function(function: str) -> list[Mistake]:
    """The catalogue's entries for one learner function, in table order."""
    return [entry for entry in MISTAKES.values() if entry.function == function]


# --------------------------------------------------------------------------------------------
# Diagnosis from a check's calls and results
# --------------------------------------------------------------------------------------------


def _error_type(error: str) -> str:
    return error.split(":", 1)[0].strip()


def _plain(value) -> np.ndarray | None:
    """A learner's or an entry's return value as an array (bool or float64), or None when it is
    neither numbers nor booleans (such a value is explained by no entry)."""
    if isinstance(value, (bool, np.bool_)):
        return np.asarray(value, dtype=bool)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return np.asarray(value, dtype=np.float64)
    if type(value) is np.ndarray and value.dtype.kind in "biuf":
        return value if value.dtype.kind == "b" else value.astype(np.float64)
    return None


def _close(got: np.ndarray, mistaken: np.ndarray, rtol: float, atol: float) -> bool:
    if got.shape != mistaken.shape or (got.dtype.kind == "b") != (mistaken.dtype.kind == "b"):
        return False
    if got.dtype.kind == "b":
        return bool(np.array_equal(got, mistaken))
    with np.errstate(all="ignore"):
        finite = np.isfinite(mistaken)
        near = np.abs(got - mistaken) <= atol + rtol * np.abs(mistaken)
        same = (got == mistaken) | (np.isnan(got) & np.isnan(mistaken))
        return bool(np.all(np.where(finite, near & np.isfinite(got), same)))


def _same_arguments(learner, entry) -> bool:
    for mine, theirs in zip(learner.args_after, entry.args_after, strict=True):
        if isinstance(mine, np.ndarray) or isinstance(theirs, np.ndarray):
            a, b = np.asarray(mine), np.asarray(theirs)
            if a.shape != b.shape or not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                return False
    return True


def _tolerance(call) -> tuple[float, float]:
    from solutions import checks

    if call.function == "numerical_derivative":
        return checks.CENTRAL_TOL, checks.CENTRAL_TOL
    return checks._tolerance(call)


def _reproduces(call, learner, entry_result) -> bool:
    if learner.error is not None or entry_result.error is not None:
        return (learner.error is not None and entry_result.error is not None
                and _error_type(learner.error) == _error_type(entry_result.error))
    got, mistaken = _plain(learner.value), _plain(entry_result.value)
    if got is None or mistaken is None:
        return False
    return _close(got, mistaken, *_tolerance(call)) and _same_arguments(learner, entry_result)


def explains(entry: Mistake, calls: Sequence, results: Sequence) -> bool:
    """Whether `entry` reproduces every one of the learner's `results` for `calls`."""
    from solutions import checks

    with checks.quiet():
        for call, learner in zip(calls, results, strict=True):
            entry_result = checks.execute_call(call, {call.function: entry.compute})
            if not _reproduces(call, learner, entry_result):
                return False
    return True


def diagnose(calls: Sequence, results: Sequence) -> Mistake | None:
    """The catalogue entry that reproduces the learner's results on every call, or None.

    None as well when entries with different names fit equally (no guessing). Never raises.
    """
    try:
        if not calls:
            return None
        functions = {call.function for call in calls}
        if len(functions) != 1:
            return None
        found = [e for e in for_function(functions.pop()) if explains(e, calls, results)]
    except Exception:  # noqa: BLE001 - a diagnosis is a bonus; never let it break a check
        return None
    names = {entry.name for entry in found}
    return found[0] if len(names) == 1 else None


def annotate(message: str, calls: Sequence, results: Sequence) -> str:
    """`message` with the diagnosis appended when one catalogue entry explains the failure;
    exactly `message` otherwise."""
    entry = diagnose(calls, results)
    return message if entry is None else _joined(message, entry)


def _joined(message: str, entry: Mistake) -> str:
    message = message.rstrip()
    end = "" if message.endswith((".", "!", "?")) else "."
    return f"{message}{end} {describe(entry)}"


def describe(entry: Mistake) -> str:
    """The learner-facing sentence: MARK + name + SEPARATOR + hint (one line)."""
    return f"{MARK}{entry.name}{SEPARATOR}{entry.hint}"


def read(message: str) -> tuple[str, str, str] | None:
    """(message without the diagnosis, mistake name, hint) from an annotated message; None when
    the message names no known mistake."""
    at = message.rfind(MARK)
    if at < 0:
        return None
    name, separator, hint = message[at + len(MARK) :].partition(SEPARATOR)
    if not separator or name not in _NAMES:
        return None
    return message[:at].rstrip(), name, hint.strip()


_NAMES = {entry.name for entry in MISTAKES.values()}


# --------------------------------------------------------------------------------------------
# Diagnosis from a visible test's message
# --------------------------------------------------------------------------------------------

# What the notebook's `check` helper says when a value is wrong (see the set-up cell):
#   "relu_derivative(0.0) returned 1.0 (expected 0.0)."
#   "relu(np.array([-3.0, -1.0, 2.0])) returned -3.0 at z = -3.0 (expected 0.0)."
VISIBLE = re.compile(
    r"(?P<call>(?P<function>[A-Za-z_]\w*)\((?P<args>.*?)\)) returned (?P<got>\S+?)"
    r"(?: at [za] = (?P<at>\S+?))? \(expected (?P<want>[^()]*?)\)\."
)
_VISIBLE_FUNCTIONS = {"square": lambda z: z**2, "cube": lambda z: z**3, "sin": np.sin,
                      "cos": np.cos, "exp": np.exp, "tanh": np.tanh}  # fmt: skip


def _literal(node: ast.expr):
    """A visible test's argument: a number, np.array([...]) or a safe function's name."""
    if isinstance(node, ast.Name):
        return _VISIBLE_FUNCTIONS[node.id]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "array" and len(node.args) == 1):
        return np.array(ast.literal_eval(node.args[0]), dtype=float)
    return float(ast.literal_eval(node))


def _number(text: str) -> float:
    return float(text.replace("np.", "").rstrip(".,;"))


def diagnose_visible(message: str) -> Mistake | None:
    """The catalogue entry that explains a visible test's failure message, or None.

    The notebook's helper reports the first entry of a call that is wrong. An entry of the
    catalogue explains the message when, on the same call, the first entry where it differs from
    the reference package is that same input and it gives the returned value there (for a single
    number: it gives the returned value, which is not the expected one). Several names fitting
    equally give None, as does nothing fitting. Never raises.
    """
    try:
        found = VISIBLE.search(message)
        if found is None or MARK in message:
            return None
        tree = ast.parse(found["call"], mode="eval").body
        args = [_literal(node) for node in tree.args]
        kwargs = {kw.arg: float(ast.literal_eval(kw.value)) for kw in tree.keywords}
        got, want = _number(found["got"]), _number(found["want"])
        at = None if found["at"] is None else _number(found["at"])
        function = found["function"]
        rtol = 1e-8 if function == "numerical_derivative" else 1e-9
        with np.errstate(all="ignore"):
            reference = np.asarray(getattr(solutions, function)(*args, **kwargs), dtype=float)
        if reference.shape == () and not _close(np.asarray(want), reference, rtol, 1e-15):
            return None  # not the course's value (another kink setting): nothing to explain
        matches = [entry for entry in for_function(function)
                   if _explains_visible(entry, args, kwargs, reference, got, at, rtol)]
    except Exception:  # noqa: BLE001 - a message we cannot read gets no diagnosis
        return None
    names = {entry.name for entry in matches}
    return matches[0] if len(names) == 1 else None


def _explains_visible(entry, args, kwargs, reference, got, at, rtol) -> bool:
    copies = [arg.copy() if isinstance(arg, np.ndarray) else arg for arg in args]
    try:
        with np.errstate(all="ignore"):
            value = _plain(entry.compute(*copies, **kwargs))
    except Exception:  # noqa: BLE001 - an entry that raises here explains no returned value
        return False
    if value is None or value.shape != reference.shape or value.dtype.kind == "b":
        return False
    with np.errstate(all="ignore"):
        right = np.isclose(value, reference, rtol=rtol, atol=1e-15, equal_nan=True)
    if right.all():
        return False
    first = tuple(np.argwhere(~right)[0])
    if at is not None and not (value.ndim and float(args[-1][first]) == at):
        return False
    return _close(np.asarray(got), value[first], rtol, 1e-15)


def annotate_visible(message: str) -> str:
    """A visible test's message with the diagnosis appended, or exactly `message`."""
    entry = diagnose_visible(message)
    return message if entry is None else _joined(message, entry)
