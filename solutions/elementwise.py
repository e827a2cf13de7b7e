"""Judging element-wise functions (activations and their slopes): shared by the assignments whose
learner functions take a number or an array and return one value per entry.

What is judged, and how fairly:

- Values and shape. Scalars in give a scalar out (a Python float, a numpy scalar or a 0-d array
  all count); an array in gives an array of the same shape out, or a list of numbers (nested
  for more dimensions) of that shape: notebooks read results with np.asarray, and so do these.
  Any float dtype is accepted, so float64 output for float32 input costs nothing. Booleans are
  not numbers here.
- Tolerances, relative to the reference's value ``expected`` (computed in float64):
  ``abs(got - expected) <= ATOL + RTOL * abs(expected)``. float64 input: RTOL = 1e-9 and
  ATOL = 1e-15 (the lecture's a(1 - a) and 1 - tanh(z)**2 subtract two numbers close to 1 and
  cannot resolve anything below about 2.2e-16; measured against mpmath they are off by at most
  2.4e-16, a 4x margin; every real mistake is off by far more than 1e-9). float32 input:
  RTOL = ATOL = 1e-6, about 8 float32 epsilons.
- A failure message names at most one failing input and the value expected there; it never
  prints an array, and shows numbers as a learner types them (0.5, np.inf).

Each assignment's checks.py builds its table from these helpers and its own reference module.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from solutions.checking import Call, CallResult, error_message, number

RTOL, ATOL = 1e-9, 1e-15  # float64 input (see the module docstring)
RTOL32, ATOL32 = 1e-6, 1e-6  # float32 input

EXTREMES = (10.0, -10.0, 0.0, -0.0, 1000.0, -1000.0, math.inf, -math.inf)
SHAPES = ((1,), (7,), (3, 4), (2, 3, 4))

NAN_HINT = (
    "A nan usually comes from inf / inf, inf - inf or 0 * inf inside the formula; the form in "
    "the docstring avoids them."
)

# --------------------------------------------------------------------------------------------
# Describing calls (one value at a time, never an array)
# --------------------------------------------------------------------------------------------


def input_name(function: str) -> str:
    """What the notebook calls a function's input: a for an a-form, z otherwise."""
    return "a" if function.endswith("_from_activation") else "z"


def argument(arg) -> str:
    """An argument as a learner would write it; an array is described, never printed."""
    from solutions import wire

    if isinstance(arg, wire.Safe):
        return wire.SHOWN_AS.get(arg.name, arg.name)
    if isinstance(arg, str):
        return repr(arg)
    if isinstance(arg, np.ndarray):
        if arg.ndim == 0:
            return f"np.array({number(arg)})"
        return f"<array of shape {arg.shape}>"
    if isinstance(arg, np.generic) and arg.dtype != np.float64:
        return f"np.{type(arg).__name__}({number(arg)})"
    return number(arg)


def array_arg(call: Call):
    """The call's array argument of dimension >= 1 (the one values are reported for), or None."""
    for arg in call.args:
        if isinstance(arg, np.ndarray) and arg.ndim > 0:
            return arg
    return None


def describe(call: Call) -> str:
    """The call as a learner would write it; an array argument is named, not printed."""
    name = input_name(call.function)
    array = array_arg(call)
    parts = [name if arg is array and array is not None else argument(arg) for arg in call.args]
    parts += [f"{key}={argument(value)}" for key, value in call.kwargs.items()]
    text = f"{call.function}({', '.join(parts)})"
    if array is None:
        return text
    return f"{text} with {name} an array of shape {array.shape}"


def _entry(call: Call, index) -> str:
    """' at the entry z = ...' for a failing entry of an array call ('' for a scalar call)."""
    array = array_arg(call)
    if array is None:
        return ""
    return f" at the entry {input_name(call.function)} = {number(array[index])}"


# --------------------------------------------------------------------------------------------
# Judging one result
# --------------------------------------------------------------------------------------------


def as_numbers(call: Call, value) -> tuple[np.ndarray | None, str | None]:
    """The learner's value as a float64 array, or a message saying why it is not a number."""
    text = describe(call)
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
        # A list of numbers is a fine answer to "return the values": notebooks read results with
        # np.asarray, and so does this.
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


def is_float32(call: Call) -> bool:
    return any(
        isinstance(arg, (np.ndarray, np.generic)) and arg.dtype == np.float32 for arg in call.args
    )


def tolerance(call: Call) -> tuple[float, float]:
    """(rtol, atol) for a call: float32 input is judged to float32's precision."""
    return (RTOL32, ATOL32) if is_float32(call) else (RTOL, ATOL)


def relative(rtol: float, atol: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda magnitude: atol + rtol * magnitude


def numbers_of_shape(call: Call, result: CallResult) -> tuple[np.ndarray | None, str | None]:
    """The result as float64 numbers of the input's shape (one per entry, a single number for a
    single number), or the message saying why it is not."""
    if result.error is not None:
        return None, error_message(call, result.error, describe)
    got, problem = as_numbers(call, result.value)
    if problem:
        return None, problem
    array = array_arg(call)
    shape = () if array is None else array.shape
    if got.shape != shape:
        text, what = describe(call), _what(result.value, got)
        if shape == ():
            return None, f"{text} returned {what}; for a single number, return a single number."
        return None, (
            f"{text} returned {what}; expected an array of shape {shape}, one value per entry "
            f"of {input_name(call.function)}."
        )
    return got, None


def judge(
    call: Call,
    result: CallResult,
    low: np.ndarray,
    high: np.ndarray,
    slack: Callable[[np.ndarray], np.ndarray],
    hint: Callable[[Call, Any], str] | None = None,
) -> str | None:
    """Compare one result with the accepted interval [low, high] (equal for a single value)."""
    got, problem = numbers_of_shape(call, result)
    if problem:
        return problem
    shape = got.shape
    low, high = np.broadcast_to(low, shape), np.broadcast_to(high, shape)
    with np.errstate(all="ignore"):
        margin = slack(np.maximum(np.abs(low), np.abs(high)))
        finite = np.isfinite(low) & np.isfinite(high)
        inside = (got >= low - margin) & (got <= high + margin)
        exact = (got == low) | (got == high)  # infinities must match exactly
        ok = np.where(finite, inside, exact)
    if ok.all():
        return None
    index = tuple(np.argwhere(~ok)[0]) if shape else ()
    text, entry = describe(call), _entry(call, index)
    expected = (
        number(low[index])
        if low[index] == high[index]
        else f"a value in [{number(low[index])}, {number(high[index])}]"
    )
    message = f"{text}{entry}: returned {number(got[index])}, expected {expected}."
    if not shape:
        message = f"{text} returned {number(got[index])}; expected {expected}."
    extra = hint(call, _entry_input(call, index)) if hint else ""
    if np.isnan(got[index]):
        extra = (extra + " " if extra else "") + NAN_HINT
    return message + (f" {extra}" if extra else "")


def _entry_input(call: Call, index):
    array = array_arg(call)
    if array is not None:
        return float(array[index])
    numbers = [arg for arg in call.args if isinstance(arg, (int, float, np.number, np.ndarray))]
    return float(numbers[0]) if numbers else None


def float64(arg):
    if isinstance(arg, (np.ndarray, np.generic)):
        return np.asarray(arg, dtype=np.float64)
    return arg


def reference_value(reference, call: Call) -> np.ndarray:
    """The reference module's value for this call, computed in float64. An a-form call carries
    ``context`` {"z", "reference"}: it is judged against the z-form at the original z."""
    from solutions import wire

    if "z" in call.context:
        function = call.context["reference"]
        args = (np.asarray(call.context["z"], dtype=np.float64),)
    else:
        function = call.function
        args = tuple(wire.resolve(float64(arg)) for arg in call.args)
    with np.errstate(all="ignore"):
        return np.asarray(getattr(reference, function)(*args, **call.kwargs), dtype=np.float64)


def value_verify(
    reference,
    *,
    hint: Callable[[Call, Any], str] | None = None,
    accepted: Callable[[Call], tuple[np.ndarray, np.ndarray]] | None = None,
):
    """verify(): each call's value against the reference module's.

    ``accepted(call) -> (low, high)`` widens what is accepted per entry (a kink's subgradient
    interval); default: exactly the reference's value, to :func:`tolerance`.
    """

    def verify(calls: list[Call], results: list[CallResult]) -> str | None:
        for call, result in zip(calls, results, strict=True):
            if accepted is None:
                low = high = reference_value(reference, call)
            else:
                low, high = accepted(call)
            message = judge(call, result, low, high, relative(*tolerance(call)), hint)
            if message:
                return message
        return None

    return verify


def keeps_input_verify():
    """verify(): each call returns numbers of its input's shape, computed from that input, and
    leaves the array passed in unchanged. Whether the values are right is another check's
    concern: a wrong value costs nothing here. "Computed from the input": calls with different
    arrays of one shape must not all give the same result (a function that ignores its data,
    returning zeros or a constant, keeps its input trivially and earns nothing here)."""

    def verify(calls: list[Call], results: list[CallResult]) -> str | None:
        by_shape: dict[tuple, list] = {}
        for call, result in zip(calls, results, strict=True):
            got, message = numbers_of_shape(call, result)
            message = message or input_kept(call, result)
            if message:
                return message
            if array_arg(call) is not None:
                by_shape.setdefault(got.shape, []).append((call, got))
        for same in by_shape.values():
            if len(same) > 1 and all(np.array_equal(got, same[0][1]) for _, got in same):
                return (f"{same[0][0].function} returned the same values for different arrays "
                        f"of shape {same[0][1].shape}: compute them from "
                        f"{input_name(same[0][0].function)}, the array passed in.")
        return None

    return verify


def input_kept(call: Call, result: CallResult) -> str | None:
    """None when every array argument is as it was before the call, else what changed."""
    for before, after in zip(call.args, result.args_after, strict=True):
        if not isinstance(before, np.ndarray):
            continue
        after = np.asarray(after)
        if after.shape != before.shape:
            return f"{call.function} changed the shape of the array you passed in."
        changed = ~((after == before) | (np.isnan(after) & np.isnan(before)))
        if changed.any():
            index = tuple(np.argwhere(changed)[0])
            name = input_name(call.function)
            return (
                f"{call.function} changed the array you passed in: an entry of {name} that was "
                f"{number(before[index])} is now {number(after[index])}. Build a new array "
                f"(np.maximum and np.where do) instead of assigning into {name}."
            )
    return None


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def no_zeros(values: np.ndarray) -> np.ndarray:
    return np.where(values == 0.0, 1.0, values)


def scalars_and_shapes(
    rng: np.random.Generator,
    draw: Callable[[np.random.Generator, tuple], np.ndarray],
    function: str,
    kwargs: dict | None = None,
) -> list[Call]:
    """Python float, numpy float64 and float32 scalars, a 0-d array, arrays of SHAPES, and a
    float32 array: the kinds of input element-wise functions are written for."""
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


def normal(scale: float = 5.0, zeros: bool = True):
    """draw(rng, shape): normal numbers of this scale (never exactly 0 with zeros=False)."""

    def draw(rng, shape):
        values = rng.normal(0.0, scale, size=shape)
        return values if zeros else no_zeros(values)

    return draw


def uniform(low: float, high: float):
    return lambda rng, shape: rng.uniform(low, high, size=shape)


def extremes(function: str, values: Iterable[float] = EXTREMES, kwargs=None) -> list[Call]:
    """Each value alone, then all of them in one array."""
    kwargs = kwargs or {}
    values = list(values)
    return [Call(function, (v,), dict(kwargs)) for v in values] + [
        Call(function, (np.array(values),), dict(kwargs))
    ]


def fixed(function: str, *inputs, kwargs=None) -> list[Call]:
    """Calls at the given inputs (a list becomes an array), as a visible test prints them."""
    return [Call(function, (np.asarray(x) if isinstance(x, list) else x,), dict(kwargs or {}))
            for x in inputs]  # fmt: skip


def fresh(function: str, rng: np.random.Generator, draw=None, kwargs=None,
          size: int = 6) -> list[Call]:
    """Inputs of the same kinds a visible test prints (a number, an array), drawn from ``rng``:
    what a function right only at the printed inputs, or a constant, gets wrong."""
    draw = draw or normal()
    values = draw(rng, (size + 1,))
    return [Call(function, (float(values[0]),), dict(kwargs or {})),
            Call(function, (values[1:],), dict(kwargs or {}))]


def from_activation(form: str, activation: Callable, rng: np.random.Generator) -> list[Call]:
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
