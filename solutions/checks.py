"""The grade cells' checks, as one table: ``CHECKS[grade_id]``.

Every grade cell of ``source/activation_derivatives/activation_derivatives.ipynb`` has an entry
here, keyed by its grade_id. The same entry drives two runners:

- in the notebook's kernel, a hidden test cell is two lines::

      from solutions.checks import run_check; run_check("relu_derivative_at_zero", globals())

  `run_check` calls the learner's functions found in ``globals()`` and raises AssertionError
  with a learner-facing message when the check fails;
- the clean-room re-grading (autograder/cleanroom.py) calls ``check.calls(rng)`` itself, ships
  the calls as plain data into a sandboxed process that holds only the learner's code, and hands
  the raw results back to ``check.verify(calls, results)`` outside the sandbox.

Entries for visible grade cells (``check.hidden`` is False) mirror what the cell's own asserts
test, so the clean room can re-grade every grade cell, not only the hidden ones.

What is judged, and how fairly:

- Values and shape. Scalars in give a scalar out (a Python float, a numpy scalar or a 0-d array
  all count); an array in gives an array of the same shape out, or a list of numbers (nested
  for more dimensions) of that shape: the notebook's visible tests read results with np.asarray,
  and so do these. Any float dtype is accepted, so float64 output for float32 input costs
  nothing. Booleans are not numbers here.
- Tolerances, relative to the reference package's value `expected`:
  ``abs(got - expected) <= ATOL + RTOL * abs(expected)``.
  float64 input: RTOL = 1e-9 and ATOL = 1e-15. The lecture's forms a(1 - a) and 1 - tanh(z)**2
  subtract two numbers close to 1 and so cannot resolve anything below about 2.2e-16 (float64's
  spacing near 1); measured against mpmath they are off by at most 2.4e-16, so ATOL leaves a 4x
  margin. Away from that cancellation a correct float64 formula agrees to about 1e-15 relative,
  while every real mistake (wrong sign, missing square, wrong branch) is off by far more than
  1e-9, so RTOL costs a correct answer nothing and hides no mistake.
  float32 input: RTOL = ATOL = 1e-6, about 8 float32 epsilons (lecture formulas evaluated in
  float32 are off by at most 1.4e-7 against mpmath).
- Warnings and numpy floating-point errors are silenced while learner code runs, and anything
  it writes to stderr is swallowed: nbgrader scores a cell 0 when it writes to stderr, and
  ``1 / (1 + np.exp(-z))`` warns of overflow at z = -1000 although its value is right.
- NaN is not tested: the lesson does not teach it, and ``np.where(z > 0, 1.0, 0.0)``, a
  lecture-formula answer, maps NaN to 0.
- At z = 0 (and -0.0), ReLU's and Leaky ReLU's derivatives are judged by the instructor's kink
  policy, the environment variable ACTIVATION_KINK_POLICY (set in nbgrader_config.py):
  "course" (the default) wants the course's values, 0 and alpha; "subgradient" accepts any value
  in the subgradient interval, [0, 1] and [alpha, 1].
- A failure message names at most one failing input and the value expected there; it never
  prints an array.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import solutions

# --------------------------------------------------------------------------------------------
# Data that crosses the sandbox boundary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One call of a learner function, as plain data.

    `args` holds Python floats, numpy float scalars, numpy float arrays and, for
    numerical_derivative's `f`, the name of a function in SAFE_FUNCTIONS. `kwargs` holds floats.
    `context` is for `verify` only and is never passed to learner code (e.g. the z from which an
    activation a was computed).

    Other assignments may also pass strings (e.g. an activation's name) and dicts of float
    arrays (a network's parameters), and may set `stand_ins`: a name in the learner's namespace
    -> the value a stand-in function returns, whatever it is called with. During the call that
    name is bound to the stand-in (e.g. `backward_propagation` returning planted gradients, to
    see whether the learner's `gradient_check` notices), and restored afterwards.
    solutions/plain.py says how all of this crosses the sandbox boundary as named arrays.
    """

    function: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    context: dict = field(default_factory=dict)
    stand_ins: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CallResult:
    """What one call gave: its return value, its arguments as they were after the call, and the
    error it raised as "ExceptionType: message" (None if it returned)."""

    value: Any
    args_after: tuple
    error: str | None = None


@dataclass(frozen=True)
class Check:
    """One grade cell's concern: which calls to make and how to judge what they return."""

    grade_id: str
    function: str
    description: str  # the grade cell's one-line docstring
    calls: Callable[[np.random.Generator], list[Call]]
    verify: Callable[[list[Call], list[CallResult]], str | None]
    hidden: bool = True  # False: a visible grade cell, mirrored here for the clean room
    tolerance: str = ""  # learner-facing: the tolerance and why (a comment in the grade cell)


# numerical_derivative is handed one of these; a Call names it by key.
SAFE_FUNCTIONS: dict[str, Callable] = {
    "sin": np.sin,
    "exp": np.exp,
    "tanh": np.tanh,
    "square": lambda z: z**2,
    "cube": lambda z: z**3,
}
_SHOWN_AS = {
    "sin": "np.sin",
    "exp": "np.exp",
    "tanh": "np.tanh",
    "square": "lambda z: z**2",
    "cube": "lambda z: z**3",
}
_EXACT_DERIVATIVE = {
    "sin": np.cos,
    "exp": np.exp,
    "tanh": lambda z: 1.0 / np.cosh(z) ** 2,
    "square": lambda z: 2.0 * z,
    "cube": lambda z: 3.0 * z**2,
}

RTOL, ATOL = 1e-9, 1e-15  # float64 input (see the module docstring)
RTOL32, ATOL32 = 1e-6, 1e-6  # float32 input
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
    """The instructor's setting for ReLU's and Leaky ReLU's derivative at z = 0."""
    policy = os.environ.get(POLICY_VARIABLE, "course").strip().lower() or "course"
    if policy not in POLICIES:
        raise ValueError(
            f"{POLICY_VARIABLE} is {policy!r}; set it to 'course' (0 and alpha at z = 0) or "
            "'subgradient' (any value in [0, 1] and [alpha, 1]) in nbgrader_config.py"
        )
    return policy


# --------------------------------------------------------------------------------------------
# Running calls (in the learner's process)
# --------------------------------------------------------------------------------------------


def _prepare(arg, *, names_are_functions=True):
    if isinstance(arg, str):
        if not names_are_functions:
            return arg
        if arg not in SAFE_FUNCTIONS:
            raise KeyError(f"{arg!r} is not one of the safe functions {sorted(SAFE_FUNCTIONS)}")
        return SAFE_FUNCTIONS[arg]
    if isinstance(arg, np.ndarray):
        return arg.copy()
    if isinstance(arg, dict):  # a dict of arrays (parameters): the learner gets private copies
        return {key: _prepare(value, names_are_functions=False) for key, value in arg.items()}
    return arg


def _after(prepared, original):
    return original if isinstance(original, str) else prepared


def execute_call(
    call: Call, namespace: Mapping[str, Any], *, names_are_functions: bool = True
) -> CallResult:
    """Call `namespace[call.function]` on private copies of the call's arguments.

    Never raises for the learner's sake: a missing function or an exception becomes
    `CallResult.error`. Callers silence warnings and stderr (see `run_check`). A string
    argument names a SAFE_FUNCTIONS entry unless `names_are_functions` is False (then it is
    passed as it is, e.g. an activation's name).
    """
    args = tuple(_prepare(arg, names_are_functions=names_are_functions) for arg in call.args)
    kwargs = {key: _prepare(value, names_are_functions=names_are_functions)
              for key, value in call.kwargs.items()}  # fmt: skip
    function = namespace.get(call.function)
    if not callable(function):
        return CallResult(None, call.args, f"NameError: name {call.function!r} is not defined")
    with _standing_in(call.stand_ins, namespace):
        try:
            value = function(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - any learner error is a result, not a crash
            message = f"{type(error).__name__}: {error}".rstrip(": ")
            return CallResult(None, _args_after(args, call), _shorten(message, 200))
    return CallResult(value, _args_after(args, call))


@contextlib.contextmanager
def _standing_in(stand_ins: dict, namespace):
    """Bind each name in `stand_ins` to a function returning (a copy of) its value, then put
    back what was there. The namespace is the learner's globals(), which their functions read."""
    if not stand_ins:
        yield
        return
    missing = object()
    saved = {name: namespace.get(name, missing) for name in stand_ins}

    def stand_in(value):
        return lambda *args, **kwargs: _prepare(value, names_are_functions=False)

    try:
        for name, value in stand_ins.items():
            namespace[name] = stand_in(value)
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def _args_after(args, call):
    pairs = zip(args, call.args, strict=True)
    return tuple(_after(prepared, original) for prepared, original in pairs)


@contextlib.contextmanager
def quiet():
    """Silence warnings, numpy floating-point errors and stderr (nbgrader zeroes a cell that
    writes to stderr, and a right answer may warn)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()):
            yield


def seed(grade_id: str) -> int:
    """The in-kernel runner's seed for a check: fixed, so a re-run grades the same inputs."""
    return zlib.crc32(grade_id.encode())


def run_check(
    grade_id: str,
    namespace: Mapping[str, Any],
    table: Mapping[str, Check] | None = None,
    *,
    names_are_functions: bool = True,
) -> None:
    """Run one check against the learner's functions in `namespace` (pass ``globals()``).

    `table` is the assignment's CHECKS (default: this module's, the first assignment's).
    Raises AssertionError with a learner-facing message when the check fails.
    """
    __tracebackhide__ = True  # noqa: F841 - IPython and pytest hide this frame
    table = CHECKS if table is None else table
    if grade_id not in table:
        raise KeyError(f"no check named {grade_id!r}; known: {', '.join(table)}")
    check = table[grade_id]
    with quiet():
        calls = check.calls(np.random.default_rng(seed(grade_id)))
        results = [
            execute_call(call, namespace, names_are_functions=names_are_functions)
            for call in calls
        ]
        message = check.verify(calls, results)
    if message:
        raise AssertionError(message)


# --------------------------------------------------------------------------------------------
# Describing inputs and values for messages (one value at a time, never an array)
# --------------------------------------------------------------------------------------------


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number(x) -> str:
    x = float(x)
    if math.isinf(x):
        return "np.inf" if x > 0 else "-np.inf"
    return repr(x)


def _argument(arg) -> str:
    if isinstance(arg, str):
        return _SHOWN_AS.get(arg, arg)
    if isinstance(arg, np.ndarray):
        if arg.ndim == 0:
            return f"np.array({_number(arg)})"
        return f"<array of shape {arg.shape}>"
    if isinstance(arg, np.generic):
        return f"np.{type(arg).__name__}({_number(arg)})"
    return _number(arg)


def _call_text(call: Call, *, array_name: str | None = None) -> str:
    parts = []
    for arg in call.args:
        if isinstance(arg, np.ndarray) and arg.ndim > 0 and array_name:
            parts.append(array_name)
        else:
            parts.append(_argument(arg))
    parts += [f"{key}={_argument(value)}" for key, value in call.kwargs.items()]
    return f"{call.function}({', '.join(parts)})"


def _input_name(function: str) -> str:
    return "a" if function.endswith("_from_activation") else "z"


def _array_arg(call: Call):
    """The call's array argument of dimension >= 1 (the one values are reported for), or None."""
    for arg in call.args:
        if isinstance(arg, np.ndarray) and arg.ndim > 0:
            return arg
    return None


def _describe(call: Call) -> str:
    """The call as a learner would write it; an array argument is named, not printed."""
    name = _input_name(call.function)
    array = _array_arg(call)
    if array is None:
        return _call_text(call)
    return _call_text(call, array_name=name) + f" with {name} an array of shape {array.shape}"


def _entry(call: Call, index) -> str:
    """' at the entry z = ...' for a failing entry of an array call ('' for a scalar call)."""
    array = _array_arg(call)
    if array is None:
        return ""
    return f" at the entry {_input_name(call.function)} = {_number(array[index])}"


# --------------------------------------------------------------------------------------------
# Judging one result
# --------------------------------------------------------------------------------------------


def _error_message(call: Call, error: str, describe: Callable[[Call], str] | None = None) -> str:
    """What to tell the learner when `call` raised `error` (``describe`` shows the call)."""
    if error.startswith("NotImplementedError"):
        return (
            f"{call.function} still raises NotImplementedError: replace the lines under "
            "# YOUR CODE HERE with your code, run that cell, then this one."
        )
    if error.startswith("NameError") and repr(call.function) in error:
        return f"{call.function} is not defined: run the cell where you wrote it, then this one."
    return f"{(describe or _describe)(call)} raised {error}"


def _as_numbers(call: Call, value) -> tuple[np.ndarray | None, str | None]:
    """The learner's value as a float64 array, or a message saying why it is not a number."""
    text = _describe(call)
    if value is None:
        return None, f"{text} returned None: did you forget `return`?"
    if isinstance(value, (bool, np.bool_)):
        return None, f"{text} returned a boolean; return a number (e.g. with float(...))."
    if isinstance(value, (int, float, np.integer, np.floating)):
        return np.asarray(value, dtype=np.float64), None
    if type(value) is np.ndarray:
        if value.dtype.kind == "b":
            return None, (
                f"{text} returned booleans (True/False); return numbers, e.g. with .astype(float)."
            )
        if value.dtype.kind not in "iuf":
            return None, f"{text} returned an array of {value.dtype}; return floats."
        return value.astype(np.float64), None
    if isinstance(value, (list, tuple)):
        # A list of numbers is a fine answer to "return the values": the notebook's own tests
        # read results with np.asarray, and so does this.
        kind = "list" if isinstance(value, list) else "tuple"
        try:
            array = np.asarray(value)
        except Exception:  # noqa: BLE001 - ragged, or elements numpy cannot read
            array = None
        if array is None or array.dtype.kind not in "biuf" or array.ndim == 0:
            return None, (
                f"{text} returned a {kind} that is not a list of numbers (or of lists of "
                "numbers, one per entry); return a numpy array."
            )
        if array.dtype.kind == "b":
            return None, (
                f"{text} returned a {kind} of booleans (True/False); return numbers, e.g. with "
                "np.where(..., 1.0, 0.0)."
            )
        return array.astype(np.float64), None
    return None, (
        f"{text} returned an object of type {type(value).__name__}; return a float or a numpy "
        "array."
    )


def _what(value, got: np.ndarray) -> str:
    """What came back, for a message: 'a list of 3 values' or 'an array of shape (2, 3)'."""
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        if got.ndim == 1:
            return f"a {kind} of {got.size} value{'s' if got.size != 1 else ''}"
        return f"a nested {kind} of shape {got.shape}"
    return f"an array of shape {got.shape}"


def _input_shape(call: Call) -> tuple:
    array = _array_arg(call)
    return () if array is None else array.shape


def _is_float32(call: Call) -> bool:
    return any(
        isinstance(arg, (np.ndarray, np.generic)) and arg.dtype == np.float32 for arg in call.args
    )


def _tolerance(call: Call) -> tuple[float, float]:
    return (RTOL32, ATOL32) if _is_float32(call) else (RTOL, ATOL)


def _judge(
    call: Call,
    result: CallResult,
    low: np.ndarray,
    high: np.ndarray,
    tolerance: Callable[[np.ndarray], np.ndarray],
    hint: Callable[[Call, Any], str] | None = None,
) -> str | None:
    """Compare one result with the accepted interval [low, high] (equal for a single value)."""
    if result.error is not None:
        return _error_message(call, result.error)
    got, problem = _as_numbers(call, result.value)
    if problem:
        return problem
    shape = _input_shape(call)
    if got.shape != shape:
        text, what = _describe(call), _what(result.value, got)
        if shape == ():
            return f"{text} returned {what}; for a single number, return a single number."
        return (
            f"{text} returned {what}; expected an array of shape {shape}, one value per entry "
            f"of {_input_name(call.function)}."
        )
    low, high = np.broadcast_to(low, shape), np.broadcast_to(high, shape)
    with np.errstate(all="ignore"):
        slack = tolerance(np.maximum(np.abs(low), np.abs(high)))
        finite = np.isfinite(low) & np.isfinite(high)
        inside = (got >= low - slack) & (got <= high + slack)
        exact = (got == low) | (got == high)  # infinities must match exactly
        ok = np.where(finite, inside, exact)
    if ok.all():
        return None
    index = tuple(np.argwhere(~ok)[0]) if shape else ()
    text, entry = _describe(call), _entry(call, index)
    expected = (
        _number(low[index])
        if low[index] == high[index]
        else f"a value in [{_number(low[index])}, {_number(high[index])}]"
    )
    message = f"{text}{entry}: returned {_number(got[index])}, expected {expected}."
    if not shape:
        message = f"{text} returned {_number(got[index])}; expected {expected}."
    extra = hint(call, _entry_input(call, index)) if hint else ""
    if np.isnan(got[index]):
        extra = (extra + " " if extra else "") + _NAN_HINT
    return message + (f" {extra}" if extra else "")


_NAN_HINT = (
    "A nan usually comes from inf / inf, inf - inf or 0 * inf inside the formula; the form in "
    "the docstring avoids them."
)


def _entry_input(call: Call, index):
    array = _array_arg(call)
    if array is not None:
        return float(array[index])
    numbers = [arg for arg in call.args if not isinstance(arg, str)]
    return float(numbers[0]) if numbers else None


def _relative(rtol: float, atol: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda magnitude: atol + rtol * magnitude


# --------------------------------------------------------------------------------------------
# Expected values: the reference package, plus the kink policy
# --------------------------------------------------------------------------------------------


def _reference(name: str) -> Callable:
    return getattr(solutions, name)


def _float64(arg):
    if isinstance(arg, (np.ndarray, np.generic)):
        return np.asarray(arg, dtype=np.float64)
    return arg


def _reference_value(call: Call) -> np.ndarray:
    """The reference package's value for this call, computed in float64."""
    if "z" in call.context:  # an a-form call judged against the z-form at the original z
        function = call.context["reference"]
        args = (np.asarray(call.context["z"], dtype=np.float64),)
    else:
        function = call.function
        args = tuple(_float64(arg) for arg in call.args)
    with np.errstate(all="ignore"):
        return np.asarray(_reference(function)(*args, **call.kwargs), dtype=np.float64)


def _kink_interval(function: str, kwargs: dict) -> tuple[float, float] | None:
    """The subgradient interval at z = 0 of a derivative with a kink there, from the registry."""
    for activation in solutions.ACTIVATIONS:
        if getattr(activation.derivative, "__name__", "") == function and 0.0 in activation.kinks:
            params = {**activation.params, **kwargs}
            return activation.subgradient(0.0, **params)
    return None


def _accepted(call: Call) -> tuple[np.ndarray, np.ndarray]:
    """[low, high] per entry: the reference value, widened at z = 0 under the subgradient policy."""
    expected = _reference_value(call)
    low, high = expected.copy(), expected.copy()
    if kink_policy() == "subgradient":
        interval = _kink_interval(call.function, call.kwargs)
        if interval is not None:
            z = np.asarray(_float64(call.args[0]))
            at_kink = z == 0.0
            low, high = np.where(at_kink, interval[0], low), np.where(at_kink, interval[1], high)
    return low, high


def _kink_hint(call: Call, z) -> str:
    if z != 0.0 or kink_policy() != "course":
        return ""
    if call.function == "relu_derivative":
        return "This course uses 0 at z = 0 (see Part C)."
    return "This course uses alpha at z = 0 (see Part D)."


def _value_verify(hint=None, judge_input=False):
    """verify(): each call's value against the reference (widened at kinks by the policy)."""

    def verify(calls: list[Call], results: list[CallResult]) -> str | None:
        for call, result in zip(calls, results, strict=True):
            low, high = _accepted(call)
            message = _judge(call, result, low, high, _relative(*_tolerance(call)), hint)
            if message is None and judge_input:
                message = _input_kept(call, result)
            if message:
                return message
        return None

    return verify


def _input_kept(call: Call, result: CallResult) -> str | None:
    for before, after in zip(call.args, result.args_after, strict=True):
        if not isinstance(before, np.ndarray):
            continue
        after = np.asarray(after)
        if after.shape != before.shape:
            return f"{call.function} changed the shape of the array you passed in."
        changed = ~((after == before) | (np.isnan(after) & np.isnan(before)))
        if changed.any():
            index = tuple(np.argwhere(changed)[0])
            name = _input_name(call.function)
            return (
                f"{call.function} changed the array you passed in: an entry of {name} that was "
                f"{_number(before[index])} is now {_number(after[index])}. Build a new array "
                f"(np.maximum and np.where do) instead of assigning into {name}."
            )
    return None


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------

EXTREMES = (10.0, -10.0, 0.0, -0.0, 1000.0, -1000.0, math.inf, -math.inf)
SHAPES = ((1,), (7,), (3, 4), (2, 3, 4))


def _no_zeros(values: np.ndarray) -> np.ndarray:
    return np.where(values == 0.0, 1.0, values)


def _scalars_and_shapes(
    rng: np.random.Generator,
    draw: Callable[[np.random.Generator, tuple], np.ndarray],
    function: str,
    kwargs: dict | None = None,
) -> list[Call]:
    """Python float, numpy float64 and float32 scalars, a 0-d array, arrays of SHAPES, and a
    float32 array: the kinds of input the lesson's functions are written for."""
    kwargs = kwargs or {}
    x = draw(rng, (4,))
    calls = [
        Call(function, (float(x[0]),), dict(kwargs)),
        Call(function, (np.float64(x[1]),), dict(kwargs)),
        Call(function, (np.float32(x[2]),), dict(kwargs)),
        Call(function, (np.array(x[3]),), dict(kwargs)),
    ]
    calls += [Call(function, (draw(rng, shape),), dict(kwargs)) for shape in SHAPES]
    calls.append(Call(function, (draw(rng, (5,)).astype(np.float32),), dict(kwargs)))
    return calls


def _normal(scale: float = 5.0, zeros: bool = True):
    def draw(rng, shape):
        values = rng.normal(0.0, scale, size=shape)
        return values if zeros else _no_zeros(values)

    return draw


def _uniform(low: float, high: float):
    return lambda rng, shape: rng.uniform(low, high, size=shape)


def _extremes(function: str, values: Iterable[float] = EXTREMES, kwargs=None) -> list[Call]:
    kwargs = kwargs or {}
    values = list(values)
    return [Call(function, (v,), dict(kwargs)) for v in values] + [
        Call(function, (np.array(values),), dict(kwargs))
    ]


def _fixed(function: str, *inputs, kwargs=None) -> list[Call]:
    return [Call(function, (np.asarray(x) if isinstance(x, list) else x,), dict(kwargs or {}))
            for x in inputs]  # fmt: skip


def _from_activation(form: str, activation: Callable, rng: np.random.Generator) -> list[Call]:
    """a-form calls at a = g(z), judged against the z-form at z (the two forms must agree)."""
    z = np.concatenate(
        [np.linspace(-40.0, 40.0, 161), [10.0, -10.0, 0.0, 1000.0, -1000.0, math.inf, -math.inf],
         rng.normal(0.0, 5.0, 40)]
    )  # fmt: skip
    reference = form.removesuffix("_from_activation")
    with np.errstate(all="ignore"):
        a = activation(z)
    calls = [Call(form, (float(a[i]),), {}, {"z": z[i], "reference": reference}) for i in (0, 80)]
    calls.append(Call(form, (a,), {}, {"z": z, "reference": reference}))
    return calls


# --------------------------------------------------------------------------------------------
# numerical_derivative
# --------------------------------------------------------------------------------------------


def _central_verify(calls: list[Call], results: list[CallResult]) -> str | None:
    """Against the exact derivative, to CENTRAL_TOL: tells a central difference from the rest."""
    for call, result in zip(calls, results, strict=True):
        name, z = call.args[0], np.asarray(call.args[1], dtype=np.float64)
        exact = np.asarray(_EXACT_DERIVATIVE[name](z), dtype=np.float64)
        message = _judge(call, result, exact, exact, _relative(CENTRAL_TOL, CENTRAL_TOL), _fd_hint)
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

        message = _judge(call, result, expected, expected, _relative(RTOL, RTOL), hint)
        if message:
            return message
    return None


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

_checks: list[Check] = []


def _add(grade_id, function, description, calls, verify, *, hidden=True, tolerance=""):
    _checks.append(Check(grade_id, function, description, calls, _diagnosing(verify), hidden,
                         tolerance))


def _diagnosing(verify):
    """verify(), plus the name and hint of the known mistake (solutions/mistakes.py) that
    reproduces the learner's results, when exactly one does. Both runners (the kernel's
    run_check and the clean room) judge through this."""

    def judged(calls: list[Call], results: list[CallResult]) -> str | None:
        message = verify(calls, results)
        if message:
            try:
                from solutions import mistakes

                message = mistakes.annotate(message, calls, results)
            except Exception:  # noqa: BLE001 - without its diagnosis, the message still stands
                pass
        return message

    judged.__wrapped__ = verify  # the message as it is without a diagnosis (tests compare)
    return judged


def _activation_checks(
    name: str,
    *,
    visible_values: Callable[[np.random.Generator], list[Call]],
    draw,
    extremes: bool,
    tolerance: str,
):
    things = "numbers" if name in ("sigmoid", "relu", "leaky_relu") else "slopes"
    _add(f"{name}_values", name, f"{name} gives the right {things} at a few known points.",
         visible_values, _value_verify(), hidden=False)  # fmt: skip
    _add(
        f"{name}_inputs",
        name,
        f"{name} takes Python and numpy scalars and arrays of several shapes (hidden test).",
        lambda rng: _scalars_and_shapes(rng, draw, name),
        _value_verify(),
        tolerance=tolerance,
    )
    if extremes:
        _add(f"{name}_extremes", name,
             f"{name} is right at z = 10, -10, 0, -0.0, 1000, -1000, inf and -inf (hidden test).",
             lambda rng: _extremes(name), _value_verify(), tolerance=tolerance)  # fmt: skip


# Part A: sigmoid
_activation_checks(
    "sigmoid",
    visible_values=lambda rng: _fixed("sigmoid", 0.0, 10.0, -10.0, [-1.0, 0.0, 1.0]),
    draw=_normal(),
    extremes=True,
    tolerance=_VALUE_TOLERANCE_TEXT,
)
_activation_checks(
    "sigmoid_derivative",
    visible_values=lambda rng: _fixed("sigmoid_derivative", 10.0, -10.0, 0.0, [-2.0, 0.0, 2.0]),
    draw=_normal(),
    extremes=True,
    tolerance=_F64_TOLERANCE_TEXT,
)
_activation_checks(
    "sigmoid_derivative_from_activation",
    visible_values=lambda rng: _fixed(
        "sigmoid_derivative_from_activation", 0.5, 0.0, 1.0, [0.1, 0.5, 0.9]
    ),
    draw=_uniform(0.0, 1.0),
    extremes=False,
    tolerance=_F64_TOLERANCE_TEXT,
)
_add(
    "sigmoid_derivative_from_activation_matches_z_form",
    "sigmoid_derivative_from_activation",
    "sigmoid_derivative_from_activation(sigmoid(z)) equals sigmoid'(z) (hidden test).",
    lambda rng: _from_activation("sigmoid_derivative_from_activation", solutions.sigmoid, rng),
    _value_verify(),
    tolerance=_F64_TOLERANCE_TEXT,
)

# Part B: tanh
_activation_checks(
    "tanh_derivative",
    visible_values=lambda rng: _fixed("tanh_derivative", 10.0, -10.0, 0.0, [-1.0, 0.0, 1.0]),
    draw=_normal(),
    extremes=True,
    tolerance=_TANH_TOLERANCE_TEXT,
)
_activation_checks(
    "tanh_derivative_from_activation",
    visible_values=lambda rng: _fixed(
        "tanh_derivative_from_activation", 0.0, 1.0, -1.0, [-0.5, 0.0, 0.5]
    ),
    draw=_uniform(-1.0, 1.0),
    extremes=False,
    tolerance=_TANH_TOLERANCE_TEXT,
)
_add(
    "tanh_derivative_from_activation_matches_z_form",
    "tanh_derivative_from_activation",
    "tanh_derivative_from_activation(np.tanh(z)) equals tanh'(z) (hidden test).",
    lambda rng: _from_activation("tanh_derivative_from_activation", np.tanh, rng),
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
         lambda rng: _fixed(name, *visible), _value_verify(hint), hidden=False)  # fmt: skip

    def inputs(rng):
        calls = _scalars_and_shapes(rng, _normal(zeros=False), name)
        return calls + _extremes(name, _NONZERO_EXTREMES)

    _add(f"{name}_inputs", name,
         f"{name} takes scalars, arrays of several shapes and z = ±10, ±1000, ±inf (hidden test).",
         inputs, _value_verify(hint), tolerance=_EXACT_TOLERANCE_TEXT)  # fmt: skip
    if leaky:

        def custom_alpha(rng):
            calls = _fixed(name, -2.0, 3.0, kwargs={"alpha": 0.2})
            for alpha in (0.2, 0.05, 0.3):
                z = _no_zeros(rng.normal(0.0, 5.0, size=(6,)))
                calls.append(Call(name, (z,), {"alpha": alpha}))
            return calls + [Call(name, (-math.inf,), {"alpha": 0.1})]

        _add(f"{name}_custom_alpha", name,
             f"{name} uses the alpha it is given, not 0.01 (and a hidden test).",
             custom_alpha, _value_verify(hint), tolerance=_EXACT_TOLERANCE_TEXT)  # fmt: skip
    if derivative:

        def at_zero(rng):
            calls = [Call(name, (zero,), {}) for zero in _ZEROS]
            z = _no_zeros(rng.normal(0.0, 5.0, size=(3, 4)))
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
        z = _no_zeros(rng.normal(0.0, 5.0, size=(4, 5)))
        return [Call(name, (z,), {}), Call(name, (np.array([-1.5, 2.0, -0.5]),), {})]

    _add(
        f"{name}_keeps_input",
        name,
        f"{name} returns the right values and leaves the array passed in unchanged (hidden test).",
        keeps_input,
        _value_verify(hint, judge_input=True),
        tolerance=_EXACT_TOLERANCE_TEXT,
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
    lambda rng: [Call("numerical_derivative", ("square", 3.0)),
                 Call("numerical_derivative", ("sin", 0.0)),
                 Call("numerical_derivative", ("sin", 1.0))],  # fmt: skip
    _central_verify,
    hidden=False,
)
_add(
    "numerical_derivative_is_central",
    "numerical_derivative",
    "numerical_derivative is a central difference: within 1e-8 of exact slopes (hidden test).",
    lambda rng: [Call("numerical_derivative", ("sin", 1.0)),
                 Call("numerical_derivative", ("exp", 0.5)),
                 Call("numerical_derivative", ("tanh", 0.5)),
                 Call("numerical_derivative", ("sin", np.float64(-2.0)))],  # fmt: skip
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
    lambda rng: [Call("numerical_derivative", ("cube", 2.0), {"eps": 0.1}),
                 Call("numerical_derivative", ("cube", -1.5), {"eps": 1e-3})],  # fmt: skip
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
    lambda rng: [Call("numerical_derivative", ("sin", rng.uniform(-3, 3, (5,)))),
                 Call("numerical_derivative", ("exp", rng.uniform(-3, 3, (2, 3)))),
                 Call("numerical_derivative", ("tanh", np.array(0.7)))],  # fmt: skip
    _central_verify,
    tolerance=(
        "Judged to 1e-8 (relative to 1 + |f'(z)|), as in numerical_derivative_is_central."
    ),
)

CHECKS: dict[str, Check] = {check.grade_id: check for check in _checks}
if len(CHECKS) != len(_checks):  # pragma: no cover - a typo in the table above
    raise RuntimeError("two checks share a grade_id")
