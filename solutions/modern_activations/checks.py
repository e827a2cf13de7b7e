"""The third assignment's grade-cell checks, as one table: ``CHECKS[grade_id]``.

Every grade cell of ``source/modern_activations/modern_activations.ipynb``, visible and hidden,
has an entry here, keyed by its grade_id (solutions/checking.py says how the kernel and the clean
room run them, and how a failure is diagnosed with the catalogue, mistakes.py). A hidden test
cell is two lines::

    from solutions.modern_activations.checks import run_check
    run_check("elu_derivative_at_zero", globals())

What is judged, and how fairly (see also solutions/elementwise.py):

- One property per check: the values at a few points; the kinds and shapes of input (Python
  and numpy scalars, 0-d arrays, arrays up to 3-d, float32); the extremes (±10, 0, -0.0, ±1000,
  large z drawn at random, float32 arrays of large z, and ±inf where a plain formula defines
  the value: not for SiLU and GELU, where z times a vanishing factor is inf * 0 at z = -inf);
  the alpha given (not the default, not a constant); the slope at the kink z = 0 with
  alpha != 1; a new array of the input's shape, not the same for different inputs, with the
  input left unchanged (``keeps_input``: its values are the other checks' concern).
- The checks of visible grade cells make the calls the cell's own asserts make, and also calls
  of the same kind on inputs drawn from ``rng`` (elementwise.fresh): the clean room re-runs
  every grade cell on inputs drawn at grading time, so a function that is right only at the
  printed points, or that returns constants, earns nothing there.
- Tolerances are the course's (solutions/elementwise.py), relative to the reference
  (reference.py) computed in float64: ``abs(got - expected) <= ATOL + RTOL * abs(expected)``.
  float64 input: RTOL = 1e-9, ATOL = 1e-15. Measured on a grid of 56,000 points against
  mpmath: the plain formulas a learner writes are inside with a margin of four or more (GELU
  through ``1 + erf(z / sqrt 2)``, which cancels in the left tail: at most 2.3e-16 beyond RTOL;
  ELU's ``a + alpha``, for alpha up to 2.5: at most 6e-16), while every mistake in mistakes.py
  is off by far more than RTOL somewhere on its check's inputs. The closest one, GELU's tanh
  approximation, is off by 4.7e-4 absolute at z = 2.7 and 1.8e-4 relative at z = 1: about
  200,000 times RTOL.
  float32 input: RTOL = ATOL = 1e-6, about 8 float32 epsilons (the formulas evaluated in
  float32 are off by at most 3 epsilons, and ``np.exp(z) - 1`` instead of ``np.expm1`` by at
  most 6e-8 absolute). A catalogue entry explains a failure within the same tolerance
  (``Check.closeness`` is elementwise.tolerance).
- At z = 0 ELU's and PReLU's slopes follow the instructor's kink policy, as ReLU's and Leaky
  ReLU's do in the first assignment (the environment variable ACTIVATION_KINK_POLICY, set in
  nbgrader_config.py): "course" (the default) wants alpha, the slope from the left;
  "subgradient" accepts any value between the two one-sided slopes, alpha and 1.
- Warnings and stderr are silenced while learner code runs: ``np.where`` computes both branches,
  so a right ELU or softplus may overflow in the branch it throws away.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from solutions import checking
from solutions.checking import Call, Check
from solutions.elementwise import (
    EXTREMES,
    extremes,
    fixed,
    float64,
    fresh,
    keeps_input_verify,
    no_zeros,
    normal,
    reference_value,
    scalars_and_shapes,
    tolerance,
    uniform,
    value_verify,
)
from solutions.modern_activations import mistakes, reference

POLICIES = ("course", "subgradient")
POLICY_VARIABLE = "ACTIVATION_KINK_POLICY"


def kink_policy() -> str:
    """The instructor's setting for ELU's and PReLU's slope at z = 0: "course" (alpha) or
    "subgradient" (any value between alpha and 1)."""
    return checking.setting(POLICY_VARIABLE, POLICIES)


def run_check(grade_id: str, namespace: Mapping[str, Any]) -> None:
    """Run one of this assignment's checks against the learner's functions in ``globals()``.

    Raises AssertionError with a learner-facing message when the check fails.
    """
    __tracebackhide__ = True  # noqa: F841 - IPython and pytest hide this frame
    checking.run_check(CHECKS, grade_id, namespace, mistakes.MISTAKES)


# The learner-facing tolerance lines (the comment under each grade cell's docstring). The
# numbers are the course's; why they suit these formulas, measured, is in the module docstring.
_TOLERANCE = (
    "Your values must match to 1e-9 relative or 1e-15 absolute (1e-6 for float32 input)."
)
_TOLERANCE_A_FORM = (
    "Your values must match to 1e-9 relative or 1e-15 absolute (1e-6 for float32 input). Far "
    "to the left a + alpha cannot show slopes below about 1e-16, so nothing finer is asked."
)
_TOLERANCE_EXACT = (
    "Your values must match to 1e-9 relative (1e-6 for float32 input); the right formula gives "
    "them exactly."
)
_TOLERANCE_GELU = (
    "Your values must match to 1e-9 relative or 1e-15 absolute (1e-6 for float32 input): "
    "1 + erf(z / sqrt(2)) is fine, the tanh approximation is off by up to 5e-4."
)
_TOLERANCE_KEPT = (
    "Judged on the shape it returns and on the array passed in, which must be exactly as it was."
)

# --------------------------------------------------------------------------------------------
# Expected values: the reference, widened at the kink by the policy
# --------------------------------------------------------------------------------------------

# Slope at the kink z = 0: the course wants the slope from the left, alpha; under the
# "subgradient" policy any value between the one-sided slopes alpha and 1 is accepted.
_KINKED = ("elu_derivative", "elu_derivative_from_activation", "prelu_derivative")
_DEFAULT_ALPHA = {"elu_derivative": 1.0, "elu_derivative_from_activation": 1.0}


def _accepted(call: Call) -> tuple[np.ndarray, np.ndarray]:
    """[low, high] per entry: the reference value, widened at z = 0 (a = 0) under the
    subgradient policy."""
    expected = reference_value(reference, call)
    if call.function not in _KINKED or kink_policy() != "subgradient":
        return expected, expected
    alpha = float(call.kwargs.get("alpha", _DEFAULT_ALPHA.get(call.function, 1.0)))
    at_kink = np.asarray(float64(call.args[0])) == 0.0
    low = np.where(at_kink, min(alpha, 1.0), expected)
    high = np.where(at_kink, max(alpha, 1.0), expected)
    return low, high


_PART = {"elu_derivative": "Part C", "elu_derivative_from_activation": "Part C",
         "prelu_derivative": "Part A"}  # fmt: skip


def _kink_hint(call: Call, z) -> str:
    if call.function not in _KINKED or z != 0.0 or kink_policy() != "course":
        return ""
    part = _PART[call.function]
    if call.function.endswith("_from_activation"):
        return (f"a = 0 comes from z = 0, where this course uses alpha, the slope from the left "
                f"(see {part}).")
    return f"This course uses alpha at z = 0, the slope from the left (see {part})."


_VALUES = value_verify(reference, hint=_kink_hint, accepted=_accepted)
_KEPT = keeps_input_verify()

# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

_checks: list[Check] = []


def _function(grade_id: str) -> str:
    """The learner function a grade_id is about: the longest name it starts with."""
    return next(name for name in sorted(reference.__all__, key=len, reverse=True)
                if grade_id.startswith(name + "_"))  # fmt: skip


def _add(grade_id, description, calls, *, hidden=True, tolerance_text=_TOLERANCE, verify=None):
    _checks.append(Check(grade_id, _function(grade_id), description, calls, verify or _VALUES,
                         hidden, tolerance_text, tolerance))


def _keeps_input_check(name: str, kwargs: dict):
    """``name`` returns a new array of z's shape, computed from z, and leaves the array passed
    in unchanged (elementwise.keeps_input_verify: the values are the other checks' concern)."""

    def calls(rng):
        # Two arrays of one shape: a function that ignores its input gives them one result.
        return [Call(name, (no_zeros(rng.normal(0.0, 3.0, size=(4, 5))),), dict(kwargs)),
                Call(name, (no_zeros(rng.normal(0.0, 3.0, size=(4, 5))),), dict(kwargs)),
                Call(name, (np.array([-1.5, 2.0, -0.5]),), dict(kwargs))]  # fmt: skip

    _add(f"{name}_keeps_input",
         f"{name} returns a new array of z's shape and leaves the array passed in unchanged "
         "(hidden test).", calls, tolerance_text=_TOLERANCE_KEPT, verify=_KEPT)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------

# ±inf only where a plain formula defines the value (see the module docstring).
_NO_INF = tuple(v for v in EXTREMES if not math.isinf(v))
_FLOAT32_LARGE = np.array([10.0, -10.0, 100.0, -100.0, 1000.0, -1000.0], dtype=np.float32)
_ZEROS = (0.0, -0.0, np.float64(0.0), np.float32(-0.0), np.array(0.0))


def _large(rng, size: int = 3) -> np.ndarray:
    """Large |z| of both signs, drawn at random: where exp(z) overflows."""
    magnitude = rng.uniform(750.0, 1e5, size=size)
    return np.concatenate([magnitude, -magnitude])


def _extremes_of(function: str, *, infinities: bool, kwargs=None, values=None):
    """±10, 0, -0.0, ±1000 (and ±inf), large z drawn at random, and float32 large z (`values`
    replaces the first four)."""
    values = values or (EXTREMES if infinities else _NO_INF)
    float32 = _FLOAT32_LARGE
    if infinities:
        float32 = np.concatenate([float32, np.array([np.inf, -np.inf], dtype=np.float32)])

    def calls(rng):
        large = _large(rng)
        return (extremes(function, values, kwargs)
                + [Call(function, (float(large[0]),), dict(kwargs or {})),
                   Call(function, (float(large[-1]),), dict(kwargs or {})),
                   Call(function, (large,), dict(kwargs or {})),
                   Call(function, (float32.copy(),), dict(kwargs or {}))])  # fmt: skip

    return calls


def _visible_and_fresh(function: str, *inputs, draw=None, kwargs=None):
    """The visible cell's calls, then calls of the same kinds (a number, an array of 5) on
    inputs drawn from rng (by default N(0, 3) without zeros: the visible cells ask about z = 0
    only where no convention is needed)."""
    draw = draw or normal(3.0, zeros=False)
    return lambda rng: (fixed(function, *inputs, kwargs=kwargs)
                        + fresh(function, rng, draw, kwargs, size=5))  # fmt: skip


def _visible_extremes(function: str, *, infinities: bool):
    """f(1000.0), f(-1000.0) as the visible cell asks, then every extreme."""
    calls = _extremes_of(function, infinities=infinities)
    return lambda rng: fixed(function, 1000.0, -1000.0) + calls(rng)


_ALPHAS = (0.5, 2.0, 0.2)  # alpha != 1: where alpha ignored and the kink show


def _drawn_alpha(rng) -> float:
    """An alpha != 1 drawn at grading time, in [0.1, 0.8] or [1.5, 2.5]."""
    return float(rng.choice([rng.uniform(0.1, 0.8), rng.uniform(1.5, 2.5)]))


def _custom_alpha(function: str, inputs: list, fixed_alpha: float, draw):
    """The visible calls with `fixed_alpha`, then arrays for several alphas (one drawn), and
    -inf (where the alpha shows in ELU's limit)."""

    def calls(rng):
        result = fixed(function, *inputs, kwargs={"alpha": fixed_alpha})
        for alpha in (*_ALPHAS, _drawn_alpha(rng)):
            result.append(Call(function, (draw(rng, (6,), alpha),), {"alpha": alpha}))
        if not function.endswith("_from_activation"):
            result.append(Call(function, (-math.inf,), {"alpha": 0.3}))
        return result

    return calls


def _at_zero(function: str, fixed_alphas: tuple[float, ...], draw):
    """Zeros of every kind, and arrays with zeros among other values, for alpha != 1."""

    def calls(rng):
        result = [Call(function, (zero,), {"alpha": alpha})
                  for alpha in fixed_alphas for zero in _ZEROS]  # fmt: skip
        for alpha in (*_ALPHAS, _drawn_alpha(rng)):
            z = draw(rng, (3, 4), alpha)
            z[0, 1] = z[2, 3] = 0.0
            z[1, 2] = -0.0
            result.append(Call(function, (z,), {"alpha": alpha}))
        return result

    return calls


def _z(rng, shape, alpha=None):
    return no_zeros(rng.normal(0.0, 3.0, size=shape))


def _a(rng, shape, alpha=1.0):
    """ELU outputs a = elu(z, alpha): values in (-alpha, 3), never 0."""
    a = rng.uniform(-alpha, 3.0, size=shape)
    return np.where(a == 0.0, 1.0, a)


def _smooth_checks(name: str, visible: list, *, visible_extremes: bool, infinities: bool,
                   tolerance_text: str = _TOLERANCE):
    """_values (visible), _inputs (hidden) and _extremes (visible part or hidden) of a function
    without a parameter."""
    things = "slopes" if name.endswith("_derivative") else "numbers"
    _add(f"{name}_values", f"{name} gives the right {things} at a few points.",
         _visible_and_fresh(name, *visible), hidden=False)  # fmt: skip
    _add(f"{name}_inputs",
         f"{name} takes Python and numpy scalars and arrays of several shapes (hidden test).",
         lambda rng: scalars_and_shapes(rng, normal(), name),
         tolerance_text=tolerance_text)  # fmt: skip
    shown = "±10, 0, -0.0, ±1000 (and beyond)" + (", ±inf" if infinities else "")
    shown += " and float32 input"
    if visible_extremes:
        _add(f"{name}_extremes",
             f"{name} is right at z = {shown}, without overflow (and a hidden test).",
             _visible_extremes(name, infinities=infinities),
             tolerance_text=tolerance_text)  # fmt: skip
    else:
        _add(f"{name}_extremes", f"{name} is right at z = {shown} (hidden test).",
             _extremes_of(name, infinities=infinities), tolerance_text=tolerance_text)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Part A: PReLU
# --------------------------------------------------------------------------------------------

_PRELU_VISIBLE = [-2.0, 3.0, [-4.0, -1.0, 2.0, 5.0]]
_PRELU_ALPHA = {"alpha": 0.25}  # the visible cells' alpha (PyTorch's initial value)
_NONZERO_EXTREMES = tuple(v for v in EXTREMES if v != 0.0)


def _uses_alpha(name: str):
    """Arrays for alphas other than 0.25 (a negative one too: a learned alpha may be)."""

    def calls(rng):
        result = []
        for alpha in (0.1, 0.6, -0.3, 1.5, float(rng.uniform(0.05, 0.5))):
            result.append(Call(name, (no_zeros(rng.normal(0.0, 3.0, size=(6,))),),
                               {"alpha": alpha}))  # fmt: skip
        return result

    return calls


for _name, _things in (("prelu", "numbers"), ("prelu_derivative", "slopes"),
                       ("prelu_alpha_gradient", "derivatives with respect to alpha")):  # fmt: skip
    _add(f"{_name}_values",
         f"{_name} gives the right {_things} away from z = 0 (alpha = 0.25).",
         _visible_and_fresh(_name, *_PRELU_VISIBLE, kwargs=_PRELU_ALPHA), hidden=False,
         tolerance_text=_TOLERANCE_EXACT)  # fmt: skip
    _add(f"{_name}_inputs",
         f"{_name} takes Python and numpy scalars and arrays of several shapes (hidden test).",
         lambda rng, name=_name: scalars_and_shapes(rng, normal(zeros=False), name,
                                                    _PRELU_ALPHA),
         tolerance_text=_TOLERANCE_EXACT)  # fmt: skip
    # Never 0 here: prelu_derivative's value there is the _at_zero check's concern.
    _add(f"{_name}_extremes",
         f"{_name} is right at z = ±10, ±1000 (and beyond), ±inf and float32 input "
         "(hidden test).",
         _extremes_of(_name, infinities=True, kwargs=_PRELU_ALPHA, values=_NONZERO_EXTREMES),
         tolerance_text=_TOLERANCE_EXACT)  # fmt: skip
    if _name == "prelu_alpha_gradient":
        _add(f"{_name}_any_alpha",
             f"{_name} gives z for z < 0 whatever alpha is: PReLU is linear in alpha "
             "(hidden test).", _uses_alpha(_name), tolerance_text=_TOLERANCE_EXACT)  # fmt: skip
    else:
        _add(f"{_name}_uses_alpha", f"{_name} uses the alpha it is given (hidden test).",
             _uses_alpha(_name), tolerance_text=_TOLERANCE_EXACT)  # fmt: skip
    if _name == "prelu_derivative":
        _add(f"{_name}_at_zero",
             f"{_name} gives alpha at z = 0 and -0.0, the course's convention "
             "(and a hidden test).", _at_zero(_name, (0.25, 0.6, -0.3), _z),
             tolerance_text=_TOLERANCE_EXACT)  # fmt: skip
    _keeps_input_check(_name, _PRELU_ALPHA)

# --------------------------------------------------------------------------------------------
# Part B: softplus
# --------------------------------------------------------------------------------------------

_smooth_checks("softplus", [0.0, 2.0, -2.0, [-1.0, 0.0, 1.0]],
               visible_extremes=True, infinities=True)  # fmt: skip
_smooth_checks("softplus_derivative", [0.0, 2.0, -2.0, [-1.0, 0.0, 1.0]],
               visible_extremes=True, infinities=True)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Part C: ELU
# --------------------------------------------------------------------------------------------

# elu
_add("elu_values", "elu gives the right numbers at a few points (alpha = 1).",
     _visible_and_fresh("elu", 2.0, -1.0, 0.0, [-2.0, -0.5, 0.5, 2.0]), hidden=False)  # fmt: skip
_add("elu_inputs",
     "elu takes Python and numpy scalars and arrays of several shapes (hidden test).",
     lambda rng: scalars_and_shapes(rng, normal(), "elu"))  # fmt: skip
_add("elu_extremes", "elu is right at z = ±10, 0, -0.0, ±1000 (and beyond), ±inf and float32 "
     "input (hidden test).", _extremes_of("elu", infinities=True))  # fmt: skip
_add("elu_custom_alpha", "elu uses the alpha it is given, not 1 (and a hidden test).",
     _custom_alpha("elu", [-1.0, 2.0], 0.5, _z))  # fmt: skip
_keeps_input_check("elu", {})

# elu_derivative
_add("elu_derivative_values", "elu_derivative gives the right slopes away from z = 0 "
     "(alpha = 1).", _visible_and_fresh("elu_derivative", 2.0, -1.0, [-2.0, -0.5, 0.5, 2.0]),
     hidden=False)  # fmt: skip
_add("elu_derivative_inputs",
     "elu_derivative takes Python and numpy scalars and arrays of several shapes (hidden test).",
     lambda rng: scalars_and_shapes(rng, normal(), "elu_derivative"))  # fmt: skip
_add("elu_derivative_extremes",
     "elu_derivative is right at z = ±10, 0, -0.0, ±1000 (and beyond), ±inf and float32 "
     "input, with alpha = 1 (hidden test).",
     _extremes_of("elu_derivative", infinities=True))  # fmt: skip
_add("elu_derivative_custom_alpha",
     "elu_derivative uses the alpha it is given, not 1 (and a hidden test).",
     _custom_alpha("elu_derivative", [-1.0, 2.0], 0.5, _z))  # fmt: skip
_add("elu_derivative_at_zero",
     "elu_derivative gives alpha at z = 0 and -0.0, the course's convention (and a hidden test).",
     _at_zero("elu_derivative", (0.5, 2.0), _z))  # fmt: skip
_keeps_input_check("elu_derivative", {})

# elu_derivative_from_activation


def _elu_matches_z_form(rng) -> list[Call]:
    """a = elu(z, alpha) over a grid, ±10, ±1000 and ±inf, judged against ELU's slope at z
    (never at z = 0: the convention is the _at_zero check's concern)."""
    z = np.concatenate([np.linspace(-40.0, 40.0, 160), [10.0, -10.0, 1000.0, -1000.0],
                        [math.inf, -math.inf], rng.normal(0.0, 3.0, 40)])  # fmt: skip
    z = no_zeros(z)
    calls = []
    for alpha in (1.0, *_ALPHAS, _drawn_alpha(rng)):
        a = reference.elu(z, alpha)
        context = {"z": z, "reference": "elu_derivative"}
        calls.append(Call("elu_derivative_from_activation", (a,), {"alpha": alpha}, context))
    a = reference.elu(np.array([-1.0, 2.0]), 0.5)
    for i in range(2):
        context = {"z": np.array([-1.0, 2.0])[i], "reference": "elu_derivative"}
        calls.append(Call("elu_derivative_from_activation", (float(a[i]),), {"alpha": 0.5},
                          context))  # fmt: skip
    return calls


_add("elu_derivative_from_activation_values",
     "elu_derivative_from_activation gives the right slopes at a few points (alpha = 1).",
     _visible_and_fresh("elu_derivative_from_activation", 1.5, -0.5, -0.75,
                        [-0.9, -0.2, 0.3, 4.0], draw=lambda rng, shape: _a(rng, shape)),
     hidden=False)  # fmt: skip
_add("elu_derivative_from_activation_inputs",
     "elu_derivative_from_activation takes Python and numpy scalars and arrays of several "
     "shapes (hidden test).",
     lambda rng: scalars_and_shapes(rng, uniform(-1.0, 3.0), "elu_derivative_from_activation"),
     tolerance_text=_TOLERANCE_A_FORM)  # fmt: skip
_add("elu_derivative_from_activation_custom_alpha",
     "elu_derivative_from_activation uses the alpha it is given, not 1 (and a hidden test).",
     _custom_alpha("elu_derivative_from_activation", [-0.5, 1.0], 2.0, _a),
     tolerance_text=_TOLERANCE_A_FORM)  # fmt: skip
_add("elu_derivative_from_activation_at_zero",
     "elu_derivative_from_activation gives alpha at a = 0, the course's convention "
     "(and a hidden test).", _at_zero("elu_derivative_from_activation", (0.5, 2.0), _a),
     tolerance_text=_TOLERANCE_A_FORM)  # fmt: skip
_add("elu_derivative_from_activation_matches_z_form",
     "elu_derivative_from_activation(elu(z, alpha), alpha) equals elu_derivative(z, alpha) "
     "(hidden test).", _elu_matches_z_form, tolerance_text=_TOLERANCE_A_FORM)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Part D: SiLU, Part E: GELU
# --------------------------------------------------------------------------------------------

_smooth_checks("silu", [0.0, 1.0, -1.0, [-2.0, -1.0, 1.0, 2.0]],
               visible_extremes=True, infinities=False)  # fmt: skip
_smooth_checks("silu_derivative", [0.0, 1.0, -1.0, [-2.0, -1.0, 1.0, 2.0]],
               visible_extremes=False, infinities=False)  # fmt: skip
_smooth_checks("gelu", [0.0, 1.0, -1.0, [-2.0, -0.5, 0.5, 2.7]],
               visible_extremes=False, infinities=False,
               tolerance_text=_TOLERANCE_GELU)  # fmt: skip
_smooth_checks("gelu_derivative", [0.0, 1.0, -1.0, [-2.0, -0.5, 0.5, 2.7]],
               visible_extremes=False, infinities=False,
               tolerance_text=_TOLERANCE_GELU)  # fmt: skip

CHECKS: dict[str, Check] = checking.table(_checks)
