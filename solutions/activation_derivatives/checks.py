"""The first assignment's grade-cell checks, as one table: ``CHECKS[grade_id]``.

Every grade cell of ``source/activation_derivatives/activation_derivatives.ipynb`` has an entry
here, keyed by its grade_id (solutions/checking.py says how the kernel and the clean room run
them). A hidden test cell is two lines::

    from solutions.activation_derivatives.checks import run_check
    run_check("relu_derivative_at_zero", globals())

What is judged, and how fairly (see also solutions/elementwise.py):

- Values and shape, to 1e-9 relative or 1e-15 absolute (float32 input: 1e-6).
- Warnings, numpy floating-point errors and stderr are silenced while learner code runs:
  nbgrader scores a cell 0 when it writes to stderr, and ``1 / (1 + np.exp(-z))`` warns of
  overflow at z = -1000 although its value is right.
- NaN is not tested: the lesson does not teach it, and ``np.where(z > 0, 1.0, 0.0)``, a
  lecture-formula answer, maps NaN to 0.
- At z = 0 (and -0.0), ReLU's and Leaky ReLU's derivatives are judged by the instructor's kink
  policy, the environment variable ACTIVATION_KINK_POLICY (set in nbgrader_config.py):
  "course" (the default) wants the course's values, 0 and alpha; "subgradient" accepts any value
  in the subgradient interval, [0, 1] and [alpha, 1].
- A visible grade cell's check makes the calls the cell prints and calls of the same kinds on
  fresh inputs (elementwise.fresh).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from solutions import checking
from solutions.activation_derivatives import mistakes, reference
from solutions.activation_derivatives.registry import ACTIVATIONS
from solutions.checking import Call, CallResult, Check
from solutions.elementwise import (
    EXTREMES,
    RTOL,
    extremes,
    fixed,
    fresh,
    from_activation,
    judge,
    keeps_input_verify,
    no_zeros,
    normal,
    reference_value,
    relative,
    scalars_and_shapes,
    tolerance,
    uniform,
)
from solutions.wire import Safe

_EXACT_DERIVATIVE = {
    "sin": np.cos,
    "cos": lambda z: -np.sin(z),
    "exp": np.exp,
    "tanh": lambda z: 1.0 / np.cosh(z) ** 2,
    "square": lambda z: 2.0 * z,
    "cube": lambda z: 3.0 * z**2,
}

# numerical_derivative with eps = 1e-5 is judged against the exact derivative:
#   |got - f'(z)| <= CENTRAL_TOL * (1 + |f'(z)|).
# A central difference is off by eps**2/6 * |f'''| (truncation, ~2e-11) plus about
# 1e-16 * |f| / eps (rounding, ~1e-11): far inside 1e-8. A forward or backward difference is
# off by eps/2 * |f''|, about 4e-6 at the points used (where |f''| >= 0.7): far outside.
CENTRAL_TOL = 1e-8

POLICIES = ("course", "subgradient")
POLICY_VARIABLE = "ACTIVATION_KINK_POLICY"

_VALUE_TOLERANCE_TEXT = (
    "Your values must match to 1e-9 relative or 1e-15 absolute (1e-6 when z is a float32 array)."
)
_F64_TOLERANCE_TEXT = (
    "Your values must match to 1e-9 relative or 1e-15 absolute (1e-6 for float32 input). Near "
    "the flat ends a(1 - a) cannot show slopes below about 1e-16, so nothing finer is asked."
)
_TANH_TOLERANCE_TEXT = _F64_TOLERANCE_TEXT.replace("a(1 - a)", "1 - a**2")
_EXACT_TOLERANCE_TEXT = (
    "Your values must match to 1e-9 relative (1e-6 for float32 input); the right formula gives "
    "them exactly."
)


def kink_policy() -> str:
    """The instructor's setting for ReLU's and Leaky ReLU's derivative at z = 0: "course" (0 and
    alpha) or "subgradient" (any value in [0, 1] and [alpha, 1])."""
    return checking.setting(POLICY_VARIABLE, POLICIES)


def run_check(grade_id: str, namespace: Mapping[str, Any]) -> None:
    """Run one of this assignment's checks against the learner's functions in ``globals()``.

    Raises AssertionError with a learner-facing message when the check fails.
    """
    __tracebackhide__ = True  # noqa: F841 - IPython and pytest hide this frame
    checking.run_check(CHECKS, grade_id, namespace, mistakes.MISTAKES)


# --------------------------------------------------------------------------------------------
# Expected values: the reference, widened at the kinks by the policy
# --------------------------------------------------------------------------------------------


def _kink_interval(function: str, kwargs: dict) -> tuple[float, float] | None:
    """The subgradient interval at z = 0 of a derivative with a kink there, from the registry."""
    for activation in ACTIVATIONS:
        if getattr(activation.derivative, "__name__", "") == function and 0.0 in activation.kinks:
            params = {**activation.params, **kwargs}
            return activation.subgradient(0.0, **params)
    return None


def _accepted(call: Call) -> tuple[np.ndarray, np.ndarray]:
    """[low, high] per entry: the reference value, widened at z = 0 under the subgradient policy."""
    expected = reference_value(reference, call)
    low, high = expected.copy(), expected.copy()
    if kink_policy() == "subgradient":
        interval = _kink_interval(call.function, call.kwargs)
        if interval is not None:
            z = np.asarray(call.args[0], dtype=np.float64)
            at_kink = z == 0.0
            low, high = np.where(at_kink, interval[0], low), np.where(at_kink, interval[1], high)
    return low, high


def _kink_hint(call: Call, z) -> str:
    if z != 0.0 or kink_policy() != "course":
        return ""
    if call.function == "relu_derivative":
        return "This course uses 0 at z = 0 (see Part C)."
    return "This course uses alpha at z = 0 (see Part D)."


def _value_verify(hint=None):
    from solutions.elementwise import value_verify

    return value_verify(reference, hint=hint, accepted=_accepted)


# --------------------------------------------------------------------------------------------
# numerical_derivative
# --------------------------------------------------------------------------------------------


def _central_verify(calls: list[Call], results: list[CallResult]) -> str | None:
    """Against the exact derivative, to CENTRAL_TOL: tells a central difference from the rest."""
    for call, result in zip(calls, results, strict=True):
        name, z = call.args[0].name, np.asarray(call.args[1], dtype=np.float64)
        exact = np.asarray(_EXACT_DERIVATIVE[name](z), dtype=np.float64)
        message = judge(call, result, exact, exact, relative(CENTRAL_TOL, CENTRAL_TOL), _fd_hint)
        if message:
            return message
    return None


def _fd_hint(call: Call, z) -> str:
    return (
        "A forward difference (f(z + eps) - f(z)) / eps is off by about eps; the central "
        "difference (f(z + eps) - f(z - eps)) / (2 * eps) is off by about eps**2."
    )


def _eps_verify(calls: list[Call], results: list[CallResult]) -> str | None:
    """Cube with a large eps: the central difference is exactly 3 z**2 + eps**2."""
    for call, result in zip(calls, results, strict=True):
        z, eps = float(call.args[1]), float(call.kwargs["eps"])
        expected = np.asarray(3.0 * z**2 + eps**2)

        def hint(call, z, eps=eps):
            return f"With eps = {eps!r} the central difference of z**3 is 3 z**2 + eps**2."

        message = judge(call, result, expected, expected, relative(RTOL, RTOL), hint)
        if message:
            return message
    return None


def _closeness(call: Call) -> tuple[float, float]:
    if call.function == "numerical_derivative":
        return CENTRAL_TOL, CENTRAL_TOL
    return tolerance(call)


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

_checks: list[Check] = []


def _add(grade_id, function, description, calls, verify, *, hidden=True, tolerance=""):
    _checks.append(Check(grade_id, function, description, calls, verify, hidden, tolerance,
                         _closeness))


def _large(rng: np.random.Generator) -> list[float]:
    """Two large |z| of either sign, drawn at grading time (beside the fixed extremes)."""
    return [float(v) for v in rng.choice([-1.0, 1.0], 2) * rng.uniform(50.0, 5000.0, 2)]


def _visible(function: str, *inputs, draw=None, kwargs=None):
    """A visible cell's calls: the inputs it prints, then fresh ones of the same kinds."""
    return lambda rng: (fixed(function, *inputs, kwargs=kwargs)
                        + fresh(function, rng, draw, kwargs))


def _activation_checks(
    name: str,
    *,
    visible_values: Callable[[np.random.Generator], list[Call]],
    draw,
    with_extremes: bool,
    tolerance: str,
):
    things = "numbers" if name in ("sigmoid", "relu", "leaky_relu") else "slopes"
    _add(f"{name}_values", name, f"{name} gives the right {things} at a few known points.",
         visible_values, _value_verify(), hidden=False)  # fmt: skip
    _add(
        f"{name}_inputs",
        name,
        f"{name} takes Python and numpy scalars and arrays of several shapes (hidden test).",
        lambda rng: scalars_and_shapes(rng, draw, name),
        _value_verify(),
        tolerance=tolerance,
    )
    if with_extremes:
        _add(f"{name}_extremes", name,
             f"{name} is right at z = 10, -10, 0, -0.0, 1000, -1000, inf and -inf, and at other "
             "large |z| (hidden test).",
             lambda rng: extremes(name, [*EXTREMES, *_large(rng)]), _value_verify(),
             tolerance=tolerance)  # fmt: skip


# Part A: sigmoid
_activation_checks(
    "sigmoid",
    visible_values=_visible("sigmoid", 0.0, 10.0, -10.0, [-1.0, 0.0, 1.0]),
    draw=normal(),
    with_extremes=True,
    tolerance=_VALUE_TOLERANCE_TEXT,
)
_activation_checks(
    "sigmoid_derivative",
    visible_values=_visible("sigmoid_derivative", 10.0, -10.0, 0.0, [-2.0, 0.0, 2.0]),
    draw=normal(),
    with_extremes=True,
    tolerance=_F64_TOLERANCE_TEXT,
)
_activation_checks(
    "sigmoid_derivative_from_activation",
    visible_values=_visible("sigmoid_derivative_from_activation", 0.5, 0.0, 1.0, [0.1, 0.5, 0.9],
                            draw=uniform(0.0, 1.0)),
    draw=uniform(0.0, 1.0),
    with_extremes=False,
    tolerance=_F64_TOLERANCE_TEXT,
)
_add(
    "sigmoid_derivative_from_activation_matches_z_form",
    "sigmoid_derivative_from_activation",
    "sigmoid_derivative_from_activation(sigmoid(z)) equals sigmoid'(z) (hidden test).",
    lambda rng: from_activation("sigmoid_derivative_from_activation", reference.sigmoid, rng),
    _value_verify(),
    tolerance=_F64_TOLERANCE_TEXT,
)

# Part B: tanh
_activation_checks(
    "tanh_derivative",
    visible_values=_visible("tanh_derivative", 10.0, -10.0, 0.0, [-1.0, 0.0, 1.0]),
    draw=normal(),
    with_extremes=True,
    tolerance=_TANH_TOLERANCE_TEXT,
)
_activation_checks(
    "tanh_derivative_from_activation",
    visible_values=_visible("tanh_derivative_from_activation", 0.0, 1.0, -1.0, [-0.5, 0.0, 0.5],
                            draw=uniform(-1.0, 1.0)),
    draw=uniform(-1.0, 1.0),
    with_extremes=False,
    tolerance=_TANH_TOLERANCE_TEXT,
)
_add(
    "tanh_derivative_from_activation_matches_z_form",
    "tanh_derivative_from_activation",
    "tanh_derivative_from_activation(np.tanh(z)) equals tanh'(z) (hidden test).",
    lambda rng: from_activation("tanh_derivative_from_activation", np.tanh, rng),
    _value_verify(),
    tolerance=_TANH_TOLERANCE_TEXT,
)

# Part C and D: ReLU and Leaky ReLU. Their `_inputs` checks include the extremes, never 0.
_NONZERO_EXTREMES = tuple(v for v in EXTREMES if v != 0.0)
_ZEROS = (0.0, -0.0, np.float64(0.0), np.float32(-0.0), np.array(0.0))


def _piecewise_checks(name: str, derivative: bool, alpha_kwargs: dict | None):
    """_values (visible), _inputs, [_custom_alpha], [_at_zero], _keeps_input for one function."""
    leaky = alpha_kwargs is not None
    hint = _kink_hint if derivative else None
    visible = {
        "relu": [-2.0, 3.0, [-3.0, -1.0, 2.0, 5.0]],
        "relu_derivative": [-2.0, 3.0, [-3.0, -1.0, 2.0, 5.0]],
        "leaky_relu": [-2.0, 3.0, [-3.0, -1.0, 2.0, 5.0]],
        "leaky_relu_derivative": [-2.0, 3.0, [-3.0, -1.0, 2.0, 5.0]],
    }[name]
    things = "slopes" if derivative else "numbers"
    _add(f"{name}_values", name, f"{name} gives the right {things} away from z = 0.",
         _visible(name, *visible, draw=normal(zeros=False)), _value_verify(hint),
         hidden=False)  # fmt: skip

    def inputs(rng):
        calls = scalars_and_shapes(rng, normal(zeros=False), name)
        return calls + extremes(name, _NONZERO_EXTREMES)

    _add(f"{name}_inputs", name,
         f"{name} takes scalars, arrays of several shapes and z = ±10, ±1000, ±inf (hidden test).",
         inputs, _value_verify(hint), tolerance=_EXACT_TOLERANCE_TEXT)  # fmt: skip
    if leaky:

        def custom_alpha(rng):
            calls = fixed(name, -2.0, 3.0, kwargs={"alpha": 0.2})
            for alpha in (0.2, 0.05, 0.3):
                z = no_zeros(rng.normal(0.0, 5.0, size=(6,)))
                calls.append(Call(name, (z,), {"alpha": alpha}))
            return calls + [Call(name, (-math.inf,), {"alpha": 0.1})]

        _add(f"{name}_custom_alpha", name,
             f"{name} uses the alpha it is given, not 0.01 (and a hidden test).",
             custom_alpha, _value_verify(hint), tolerance=_EXACT_TOLERANCE_TEXT)  # fmt: skip
    if derivative:

        def at_zero(rng):
            calls = [Call(name, (zero,), {}) for zero in _ZEROS]
            z = no_zeros(rng.normal(0.0, 5.0, size=(3, 4)))
            z[0, 1] = z[2, 3] = 0.0
            z[1, 2] = -0.0
            calls.append(Call(name, (z,), {}))
            return calls  # default alpha only: a custom alpha is the _custom_alpha check's concern

        convention = "alpha" if leaky else "0"
        _add(f"{name}_at_zero", name,
             f"{name} gives {convention} at z = 0 and -0.0, the course's convention "
             "(and a hidden test).",
             at_zero, _value_verify(hint), tolerance=_EXACT_TOLERANCE_TEXT)  # fmt: skip

    def keeps_input(rng):
        # Two arrays of one shape: a function that ignores its input gives them one result.
        return [Call(name, (no_zeros(rng.normal(0.0, 5.0, size=(4, 5))),), {}),
                Call(name, (no_zeros(rng.normal(0.0, 5.0, size=(4, 5))),), {}),
                Call(name, (no_zeros(rng.normal(0.0, 2.0, (3,))),), {})]

    _add(
        f"{name}_keeps_input",
        name,
        f"{name} returns a new array of z's shape and leaves the array passed in unchanged "
        "(hidden test).",
        keeps_input,
        keeps_input_verify(),
        tolerance="Judged on the array passed in, which must be exactly as it was.",
    )


_piecewise_checks("relu", derivative=False, alpha_kwargs=None)
_piecewise_checks("relu_derivative", derivative=True, alpha_kwargs=None)
_piecewise_checks("leaky_relu", derivative=False, alpha_kwargs={})
_piecewise_checks("leaky_relu_derivative", derivative=True, alpha_kwargs={})

# Part E: numerical_derivative
_add(
    "numerical_derivative_values",
    "numerical_derivative",
    "numerical_derivative matches known slopes of z**2 and sin to 1e-8.",
    lambda rng: [Call("numerical_derivative", (Safe("square"), 3.0)),
                 Call("numerical_derivative", (Safe("sin"), 0.0)),
                 Call("numerical_derivative", (Safe("sin"), 1.0)),
                 Call("numerical_derivative", (Safe("square"), rng.uniform(-5.0, 5.0))),
                 Call("numerical_derivative", (Safe("sin"), rng.uniform(-3.0, 3.0)))],  # fmt: skip
    _central_verify,
    hidden=False,
)
_add(
    "numerical_derivative_is_central",
    "numerical_derivative",
    "numerical_derivative is a central difference: within 1e-8 of exact slopes (hidden test).",
    lambda rng: [Call("numerical_derivative", (Safe("sin"), 1.0)),
                 Call("numerical_derivative", (Safe("exp"), 0.5)),
                 Call("numerical_derivative", (Safe("tanh"), 0.5)),
                 Call("numerical_derivative", (Safe("sin"), np.float64(-2.0))),
                 # drawn where |cos''(z)| = |cos z| >= 0.73, as at the points above: a one-sided
                 # difference is off by 3.6e-6 or more there, 200 times the tolerance
                 Call("numerical_derivative",
                      (Safe("cos"), rng.uniform(-0.75, 0.75)))],  # fmt: skip
    _central_verify,
    tolerance=(
        "Judged to 1e-8 (relative to 1 + |f'(z)|): a central difference with eps = 1e-5 is "
        "off by about 1e-11 here, a forward difference by about 4e-6."
    ),
)
_add(
    "numerical_derivative_uses_eps",
    "numerical_derivative",
    "numerical_derivative uses the eps it is given (hidden test).",
    lambda rng: [Call("numerical_derivative", (Safe("cube"), 2.0), {"eps": 0.1}),
                 Call("numerical_derivative", (Safe("cube"), -1.5), {"eps": 1e-3}),
                 Call("numerical_derivative", (Safe("cube"), rng.uniform(-3.0, 3.0)),
                      {"eps": rng.uniform(0.01, 0.2)})],  # fmt: skip
    _eps_verify,
    tolerance=(
        "Judged to 1e-9 relative: rounding costs about 1e-13 here, while ignoring eps or "
        "using a one-sided difference changes the result by 1e-7 or more."
    ),
)
_add(
    "numerical_derivative_arrays",
    "numerical_derivative",
    "numerical_derivative works on arrays of z and keeps their shape (hidden test).",
    lambda rng: [Call("numerical_derivative", (Safe("sin"), rng.uniform(-3, 3, (5,)))),
                 Call("numerical_derivative", (Safe("exp"), rng.uniform(-3, 3, (2, 3)))),
                 Call("numerical_derivative",
                      (Safe("tanh"), np.array(rng.uniform(-1, 1))))],  # fmt: skip
    _central_verify,
    tolerance=(
        "Judged to 1e-8 (relative to 1 + |f'(z)|), as in numerical_derivative_is_central."
    ),
)

CHECKS: dict[str, Check] = checking.table(_checks)
