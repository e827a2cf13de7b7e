"""The second assignment's grade-cell checks, as one table: ``CHECKS[grade_id]``.

Every grade cell of ``source/backprop_one_hidden_layer/backprop_one_hidden_layer.ipynb`` has an
entry here, keyed by its grade_id. A hidden test cell is two lines::

    from solutions.backprop_one_hidden_layer.checks import run_check
    run_check("predict_activations", globals())

The machinery (Call, CallResult, Check, execute_call, run_check, the silencing of warnings) is
shared, in solutions/checking.py; only the table and the judging of trees of arrays live here.
Calls carry parameter dicts of float arrays and activation names; solutions/wire.py says how
they cross the sandbox boundary as named arrays.

What is judged, and how fairly:

- Shape and value of every array, in any float dtype (float32 answers for float32 input are
  fine). Biases are column vectors: b1 and db1 have shape (n_h, 1), b2 and db2 (n_y, 1).
- Tolerances, relative to the reference (reference.py) computed in float64:
  ``abs(got - expected) <= RTOL * abs(expected) + ATOL * (1 + max(abs(expected)))``.
  float64 input: RTOL = 1e-7, ATOL = 1e-10. A right answer is off by rounding only: the
  products and sums of a few dozen terms, and 1 - A1**2 or A1 * (1 - A1) instead of the
  reference's forms, cost at most about 1e-13. Every mistake the checks look for (a missing
  1/m, the wrong g', a transposed product, a dropped bias, a sum over the wrong axis) moves some
  entry by more than 1e-3. float32 input: RTOL = ATOL = 1e-4, about 800 float32 epsilons, for
  sums of up to 400 terms.
- A returned dict may hold extra keys; a tuple may be a list; numbers may be Python or numpy
  floats. Labels from ``predict`` may be floats, ints or booleans.
- At z = 0 the hidden layer's ReLU and Leaky ReLU slopes follow the instructor's kink policy, as
  in the first assignment (ACTIVATION_KINK_POLICY): "course" wants 0 and alpha; "subgradient"
  accepts any one slope in [0, 1] (ReLU) or [alpha, 1] (Leaky ReLU) at every z = 0.
- ``nn_model`` is judged on what training must do, never on the exact weights its own
  initialize_parameters draws: the cost starts at that of small weights, falls, and the network
  labels the data it was given; the same seed gives the same network and another seed another;
  and, from starting weights the check hands it (a stand-in for initialize_parameters), its
  steps are those of the activation it is given.
- Every check draws fresh inputs from its rng besides the fixed ones a visible test prints: in
  the clean room they are drawn at grading time, so an answer right only at the printed inputs,
  or one that returns constants, earns nothing.
- Warnings and stderr are silenced while learner code runs (see solutions.checking.quiet).
- A failure message names the call and at most one entry of one array, never a whole array.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from solutions import checking
from solutions.backprop_one_hidden_layer import mistakes
from solutions.backprop_one_hidden_layer import reference as ref
from solutions.checking import Call, CallResult, Check

RTOL, ATOL = 1e-7, 1e-10  # float64 input (see the module docstring)
RTOL32, ATOL32 = 1e-4, 1e-4  # float32 input
COST_ZERO_TOL = 1e-6  # the cost of certain right answers: a clip at up to 1e-6 is fine
COST_WRONG_MIN = -math.log(1e-6)  # 13.8: the cost of a certain wrong answer, clipped at 1e-6
RIGHT_GRADIENTS_MAX = 1e-7  # gradient_check on right gradients (the reference gives ~3e-9)
PLANTED_RTOL = 1e-3  # gradient_check on planted gradients: its value, to 0.1%
LARGE_EPS = 1e-2  # gradient_check with this eps on right gradients: a central difference's
LARGE_EPS_RTOL = 1e-2  # truncation error (~1e-5 relative), judged to 1% (rounding: ~1e-10)
# The networks the gradient checks draw are ones central differences measure well (a draw that
# is not is drawn again). With eps = 1e-7 each measured slope carries about 1e-9 of rounding, a
# small share of gradients of size GRADIENT_NORM_MIN or more; and no output may be within
# SATURATION_MIN of 0 or 1, where log(1 - A2) loses the digits the differences need. The
# reference's relative difference then stays below 4e-8 (16000 draws), far inside
# RIGHT_GRADIENTS_MAX; without these two rules one draw in 8000 came to 9.8e-8.
GRADIENT_NORM_MIN = 0.2
SATURATION_MIN = 0.01

# The small network of the notebook's visible tests (its set-up cell defines the same; a test
# compares them).
X_SMALL = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
Y_SMALL = np.array([[1.0, 0.0, 1.0]])
PARAMETERS_SMALL = {
    "W1": np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 1.0]]),
    "b1": np.array([[0.1], [-0.2], [0.0]]),
    "W2": np.array([[1.0, -2.0, 0.5]]),
    "b2": np.array([[0.3]]),
}
GRADS_SMALL = {
    "dW1": np.array([[0.1, -0.2], [0.0, 0.3], [-0.1, 0.1]]),
    "db1": np.array([[0.05], [-0.05], [0.2]]),
    "dW2": np.array([[-0.4, 0.2, 0.1]]),
    "db2": np.array([[0.25]]),
}
# The moons of nn_model's visible test (the test cell makes them with the set-up cell's
# make_moons, which is the reference's).
MOONS_SIZE, MOONS_SEED = 200, 3

PARAMETERS = ("W1", "b1", "W2", "b2")
GRADIENTS = ("dW1", "db1", "dW2", "db2")
CACHE = ("Z1", "A1", "Z2", "A2")
ARGUMENT_NAMES = {
    "initialize_parameters": ("n_x", "n_h", "n_y"),
    "forward_propagation": ("X", "parameters"),
    "compute_cost": ("A2", "Y"),
    "backward_propagation": ("parameters", "cache", "X", "Y"),
    "update_parameters": ("parameters", "grads", "learning_rate"),
    "gradient_check": ("parameters", "X", "Y"),
    "nn_model": ("X", "Y", "n_h"),
    "predict": ("parameters", "X"),
}

_VALUE_TOLERANCE_TEXT = (
    "Judged on shape and value, to 1e-7 relative (1e-4 for float32 input): rounding costs a "
    "right answer about 1e-13, every mistake looked for costs more than 1e-3."
)


def kink_policy() -> str:
    """The instructor's setting for the ReLU slopes at z = 0 (see nbgrader_config.py)."""
    return checking.setting("ACTIVATION_KINK_POLICY", ("course", "subgradient"))


def run_check(grade_id: str, namespace: Mapping[str, Any]) -> None:
    """Run one of this assignment's checks against the learner's functions in ``globals()``.

    Raises AssertionError with a learner-facing message when the check fails.
    """
    __tracebackhide__ = True  # noqa: F841 - IPython and pytest hide this frame
    checking.run_check(CHECKS, grade_id, namespace, mistakes.MISTAKES)


# --------------------------------------------------------------------------------------------
# Describing calls and values (one entry at a time, never an array)
# --------------------------------------------------------------------------------------------


def _scalar(arg) -> str:
    """A scalar argument as a learner types it (0.5, 3, 'tanh'; never np.float64(0.5))."""
    if isinstance(arg, (bool, np.bool_)):
        return repr(bool(arg))
    if isinstance(arg, (int, np.integer)):
        return repr(int(arg))
    if isinstance(arg, (float, np.floating)):
        return checking.number(arg)
    return repr(arg)


def _describe(call: Call) -> str:
    names = ARGUMENT_NAMES.get(call.function, ())
    parts, shapes = [], []
    for position, arg in enumerate(call.args):
        name = names[position] if position < len(names) else f"arg{position}"
        if isinstance(arg, (np.ndarray, dict)):
            parts.append(name)
            if isinstance(arg, np.ndarray) and name in ("X", "A2") and not shapes:
                dtype = "" if arg.dtype == np.float64 else f" {arg.dtype}"
                shapes.append(f" with {name} of shape {arg.shape}{dtype}")
        else:
            parts.append(_scalar(arg))
    parts += [f"{key}={_scalar(value)}" for key, value in call.kwargs.items()]
    return f"{call.function}({', '.join(parts)}){''.join(shapes)}"


def _error_message(call: Call, error: str) -> str:
    return checking.error_message(call, error, _describe)


def _float32(call: Call) -> bool:
    def is32(value):
        if isinstance(value, dict):
            return any(is32(v) for v in value.values())
        return isinstance(value, (np.ndarray, np.generic)) and value.dtype == np.float32

    return any(is32(arg) for arg in call.args)


def _tolerance(call: Call) -> tuple[float, float]:
    return (RTOL32, ATOL32) if _float32(call) else (RTOL, ATOL)


def _as_array(value, what: str) -> tuple[np.ndarray | None, str | None]:
    """The learner's value as a float64 array, or why it is not an array of numbers."""
    if value is None:
        return None, f"{what} is None: did you forget `return`?"
    if isinstance(value, (bool, np.bool_)):
        return None, f"{what} is a boolean; it should be an array of numbers."
    if isinstance(value, (int, float, np.integer, np.floating)):
        return np.asarray(value, dtype=np.float64), None
    if type(value) is np.ndarray:
        if value.dtype.kind == "b":
            return None, f"{what} holds booleans (True/False); it should hold numbers."
        if value.dtype.kind not in "iuf":
            return None, f"{what} is an array of {value.dtype}; it should hold floats."
        return value.astype(np.float64), None
    return None, f"{what} is a {type(value).__name__}; it should be a numpy array."


def _compare(
    what: str, value, expected: np.ndarray, tolerance: tuple[float, float], hint: str = ""
) -> str | None:
    """None if `value` has `expected`'s shape and values (to `tolerance`), else one sentence.
    ``hint`` is added to a wrong value, never to a wrong shape."""
    got, problem = _as_array(value, what)
    if problem:
        return problem
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        extra = ""
        if expected.ndim == 2 and expected.shape[1] == 1 and got.shape == expected.shape[:1]:
            extra = " A bias and its gradient are column vectors: sum with keepdims=True."
        return f"{what} has shape {got.shape}; expected {expected.shape}.{extra}"
    bad = _wrong_entries(got, expected, tolerance)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    entry = f"{what}[{', '.join(map(str, index))}]" if index else what
    message = (f"{entry} is {checking.number(got[index])}; "
               f"expected {checking.number(expected[index])}.")
    if np.isnan(got[index]):
        message += " A nan comes from inf - inf, 0 * inf or log(0) inside the formula."
    return message + (f" {hint}" if hint else "")


def _got(value) -> str:
    """What came back instead, for a message: its type, or what None usually means."""
    return "got None: did you forget `return`?" if value is None else f"got {type(value).__name__}."


def _wrong_entries(got: np.ndarray, expected: np.ndarray, tolerance) -> np.ndarray:
    rtol, atol = tolerance
    scale = 1.0 + (float(np.max(np.abs(expected))) if expected.size else 0.0)
    with np.errstate(all="ignore"):
        return ~(np.abs(got - expected) <= rtol * np.abs(expected) + atol * scale)


def _as_dict(value, keys: tuple[str, ...], what: str) -> tuple[dict | None, str | None]:
    if not isinstance(value, dict):
        return None, f"{what} should be a dict with keys {', '.join(keys)}; {_got(value)}"
    missing = [key for key in keys if key not in value]
    if missing:
        return None, f"{what} has no key {missing[0]!r}; it needs {', '.join(keys)}."
    return value, None


def _compare_dict(
    call: Call, value, expected: dict, keys: tuple[str, ...], what: str, hint: str = "",
    text: str | None = None,
) -> str | None:
    text = _describe(call) if text is None else text
    got, problem = _as_dict(value, keys, what)
    if problem:
        return f"{text}: {problem}"
    for key in keys:
        message = _compare(f"{what}[{key!r}]", got[key], expected[key], _tolerance(call), hint)
        if message:
            return f"{text}: {message}"
    return None


def _verify_each(judge: Callable[[Call, Any], str | None]):
    """verify(): errors first, then `judge(call, value)` for each call in turn."""

    def verify(calls: list[Call], results: list[CallResult]) -> str | None:
        for call, result in zip(calls, results, strict=True):
            if result.error is not None:
                return _error_message(call, result.error)
            message = judge(call, result.value)
            if message:
                return message
        return None

    return verify


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def _parameters(rng, n_x, n_h, n_y, scale=1.0, dtype=np.float64) -> dict[str, np.ndarray]:
    """Random parameters with nonzero biases (so a dropped or mis-shaped bias shows)."""
    return {
        "W1": (scale * rng.normal(size=(n_h, n_x))).astype(dtype),
        "b1": (0.5 * rng.normal(size=(n_h, 1))).astype(dtype),
        "W2": (scale * rng.normal(size=(n_y, n_h))).astype(dtype),
        "b2": (0.5 * rng.normal(size=(n_y, 1))).astype(dtype),
    }


def _data(rng, n_x, m, n_y=1, dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n_x, m)).astype(dtype)
    Y = (rng.uniform(size=(n_y, m)) < 0.5).astype(dtype)
    return X, Y


def _moons(rng, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Moons nobody has seen before grading: fresh noise, turned by any angle about their
    centre and shifted by up to 0.5 each way. Weights from small random numbers do not care
    which way the moons lie (their distribution is the same turned), so training finds them as
    easily as the notebook's."""
    X, Y = ref.make_moons(m, seed=int(rng.integers(2**31)))
    angle = rng.uniform(0.0, 2.0 * np.pi)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    X = turn @ (X - np.array([[0.5], [0.25]])) + rng.uniform(-0.5, 0.5, size=(2, 1))
    return X, Y


def _f64(tree):
    if isinstance(tree, dict):
        return {key: _f64(value) for key, value in tree.items()}
    if isinstance(tree, np.ndarray):
        return tree.astype(np.float64)
    return tree


def _activation(call: Call) -> str:
    return call.kwargs.get("activation", "tanh")


def _seed(rng) -> int:
    return int(rng.integers(1, 10_000))


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

_checks: list[Check] = []


# How near a known mistake's value must come to the learner's to explain it (the diagnosis
# only). gradient_check's value is a relative difference: below about 1e-8 it is rounding
# noise, which differs between two right forward passes (the learner's and the reference's), so
# such values count as equal; above, they must agree to 0.1%, as a planted mistake's value does.
DIFFERENCE_CLOSENESS = (PLANTED_RTOL, 1e-8)


def _closeness(call: Call) -> tuple[float, float]:
    if call.function == "gradient_check":
        return DIFFERENCE_CLOSENESS
    return _tolerance(call)


def _add(grade_id, function, description, calls, verify, *, hidden=True, tolerance=""):
    _checks.append(Check(grade_id, function, description, calls, verify, hidden, tolerance,
                         _closeness))


# Part A: initialize_parameters ---------------------------------------------------------------

_INIT_SHAPES = ((2, 4, 1), (3, 5, 2))
_INIT_SIZES = ((2, 4, 1), (5, 10, 3), (4, 50, 1), (1, 1, 1))


def _sizes(rng) -> tuple[int, int, int]:
    """(n_x, n_h, n_y), at least two hidden units (so that two rows of W1 can be compared)."""
    return int(rng.integers(1, 6)), int(rng.integers(2, 9)), int(rng.integers(1, 4))


def _init_structure(call: Call, value) -> str | None:
    n_x, n_h, n_y = call.args
    text = _describe(call)
    params, problem = _as_dict(value, PARAMETERS, "the result")
    if problem:
        return f"{text}: {problem}"
    shapes = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
    for key in PARAMETERS:
        array, problem = _as_array(params[key], key)
        if problem:
            return f"{text}: {problem}"
        if array.shape != shapes[key]:
            return f"{text}: {key} has shape {array.shape}; expected {shapes[key]}."
        if not np.all(np.isfinite(array)):
            return f"{text}: {key} holds a value that is not finite."
    for key in ("b1", "b2"):
        if np.any(params[key] != 0):
            return f"{text}: {key} should be all zeros (biases start at 0)."
    return None


def _init_random_and_small(call: Call, value) -> str | None:
    message = _init_structure(call, value)
    if message:
        return message
    text = _describe(call)
    weights = np.concatenate([np.ravel(value["W1"]), np.ravel(value["W2"])]).astype(np.float64)
    spread = float(np.sqrt(np.mean(weights**2)))
    if spread > 1.0:
        return (
            f"{text}: the weights are large (root mean square {spread:.3g}); start them small, "
            "e.g. 0.01 times standard normal numbers."
        )
    if weights.size > 1 and np.all(weights == 0):
        return f"{text}: all weights are 0; draw them at random so the hidden units differ."
    W1 = np.asarray(value["W1"], dtype=np.float64)
    if W1.shape[0] > 1 and len({tuple(row) for row in W1}) < W1.shape[0]:
        return (
            f"{text}: two hidden units start with the same weights in W1, so they would "
            "always get the same gradient and stay equal. Draw the weights at random."
        )
    return None


def _init_seed_calls(rng) -> list[Call]:
    """Groups of three calls: a seed, the same seed again, another seed."""
    first, other = _seed(rng), _seed(rng)
    other += other == first
    groups = [((3, 4, 2), 0, 1), (_sizes(rng), first, other)]
    return [Call("initialize_parameters", sizes, {"seed": seed})
            for sizes, a, b in groups for seed in (a, a, b)]  # fmt: skip


def _init_seed_verify(calls: list[Call], results: list[CallResult]) -> str | None:
    for call, result in zip(calls, results, strict=True):
        if result.error is not None:
            return _error_message(call, result.error)
        message = _init_structure(call, result.value)
        if message:
            return message
    for start in range(0, len(calls), 3):
        first, again, other = (result.value for result in results[start : start + 3])
        text = _describe(calls[start])
        for key in ("W1", "W2"):
            if not np.array_equal(first[key], again[key]):
                return (f"Two calls of {text} gave different {key}: draw the weights from the "
                        "seed.")  # fmt: skip
        if all(np.array_equal(first[key], other[key]) for key in ("W1", "W2")):
            return (
                f"{_describe(calls[start + 2])} gave the same weights as "
                f"seed={calls[start].kwargs['seed']}: use the seed you are given, e.g. "
                "np.random.default_rng(seed)."
            )
    return None


_add(
    "initialize_parameters_shapes",
    "initialize_parameters",
    "initialize_parameters gives W1, b1, W2, b2 the right shapes, with zero biases.",
    lambda rng: [Call("initialize_parameters", sizes)
                 for sizes in (*_INIT_SHAPES, _sizes(rng), _sizes(rng))],  # fmt: skip
    _verify_each(_init_structure),
    hidden=False,
)
_add(
    "initialize_parameters_random_and_small",
    "initialize_parameters",
    "initialize_parameters draws small random weights, different for every unit (hidden test).",
    lambda rng: ([Call("initialize_parameters", sizes) for sizes in _INIT_SIZES]
                 + [Call("initialize_parameters", _sizes(rng), {"seed": _seed(rng)})
                    for _ in range(2)]),  # fmt: skip
    _verify_each(_init_random_and_small),
    tolerance="Small: the weights' root mean square must be at most 1 (0.01 * randn gives 0.01).",
)
_add(
    "initialize_parameters_seed",
    "initialize_parameters",
    "initialize_parameters gives the same weights for the same seed, others for another seed "
    "(hidden test).",
    _init_seed_calls,
    _init_seed_verify,
)

# Part B: forward_propagation -----------------------------------------------------------------


def _forward_judge(call: Call, value) -> str | None:
    text = _describe(call)
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return f"{text} should return a pair (A2, cache); {_got(value)}"
    A2, cache = value
    X, parameters = (_f64(arg) for arg in call.args)
    expected_A2, expected_cache = ref.forward_propagation(X, parameters, _activation(call))
    message = _compare("A2", A2, expected_A2, _tolerance(call))
    if message:
        return f"{text}: {message}"
    return _compare_dict(call, cache, expected_cache, CACHE, "cache")


def _forward_values(rng):
    X, _ = _data(rng, 2, 4)
    return [Call("forward_propagation", (X_SMALL, PARAMETERS_SMALL), {"activation": "tanh"}),
            Call("forward_propagation", (X, _parameters(rng, 2, 3, 1)),
                 {"activation": "tanh"})]  # fmt: skip


def _forward_activations(rng):
    calls = []
    for activation in ref.ACTIVATIONS:
        X, _ = _data(rng, 3, 7)
        calls.append(Call("forward_propagation", (X, _parameters(rng, 3, 5, 1)),
                          {"activation": activation}))  # fmt: skip
    X, _ = _data(rng, 2, 1)  # one example
    calls.append(Call("forward_propagation", (X, _parameters(rng, 2, 1, 1)),
                      {"activation": "relu"}))  # fmt: skip
    X, _ = _data(rng, 2, 6, dtype=np.float32)
    calls.append(Call("forward_propagation", (X, _parameters(rng, 2, 4, 2, dtype=np.float32)),
                      {"activation": "sigmoid"}))  # fmt: skip
    return calls


def _forward_large(rng):
    fixed = np.array([[50.0, -50.0, 30.0, -40.0], [-50.0, 50.0, 20.0, -10.0]])
    drawn = rng.choice([-1.0, 1.0], size=(2, 4)) * rng.uniform(20.0, 60.0, size=(2, 4))
    return [
        Call("forward_propagation", (X, _parameters(rng, 2, 4, 1, scale=10.0)),
             {"activation": activation}) for X in (fixed, drawn) for activation in ref.ACTIVATIONS
    ]  # fmt: skip


_add(
    "forward_propagation_values",
    "forward_propagation",
    "forward_propagation gives the right A2 and cache for a small tanh network.",
    _forward_values,
    _verify_each(_forward_judge),
    hidden=False,
)
_add(
    "forward_propagation_activations",
    "forward_propagation",
    "forward_propagation is right for every hidden activation and for several shapes (hidden "
    "test).",
    _forward_activations,
    _verify_each(_forward_judge),
    tolerance=_VALUE_TOLERANCE_TEXT,
)
_add(
    "forward_propagation_large_inputs",
    "forward_propagation",
    "forward_propagation is right when |Z| is in the hundreds, where the sigmoid is 0 or 1 "
    "(hidden test).",
    _forward_large,
    _verify_each(_forward_judge),
    tolerance=_VALUE_TOLERANCE_TEXT,
)

# Part C: compute_cost ------------------------------------------------------------------------


def _cost_number(call: Call, value) -> tuple[float | None, str | None]:
    text = _describe(call)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        value = value.reshape(())
    got, problem = _as_array(value, "the cost")
    if problem:
        return None, f"{text}: {problem}"
    if got.shape != ():
        return None, (
            f"{text} returned an array of shape {got.shape}; return one number, the mean over "
            "the examples."
        )
    return float(got), None


def _cost_judge(call: Call, value) -> str | None:
    got, problem = _cost_number(call, value)
    if problem:
        return problem
    A2, Y = (np.asarray(arg, dtype=np.float64) for arg in call.args)
    expected = ref.compute_cost(A2, Y)
    rtol, atol = _tolerance(call)
    if math.isfinite(got) and abs(got - expected) <= rtol * abs(expected) + atol:
        return None
    return (f"{_describe(call)} returned {checking.number(got)}; "
            f"expected {checking.number(expected)}.")  # fmt: skip


def _labels(rng, m) -> np.ndarray:
    return (rng.uniform(size=(1, m)) < 0.5) * 1.0


def _cost_values(rng):
    calls = [Call("compute_cost", (np.array([[0.5, 0.5]]), np.array([[0.0, 1.0]]))),
             Call("compute_cost", (np.array([[0.9, 0.2, 0.7]]), np.array([[1.0, 0.0, 0.0]])))]
    for m in (int(rng.integers(2, 7)), int(rng.integers(2, 7))):
        calls.append(Call("compute_cost", (rng.uniform(0.05, 0.95, size=(1, m)), _labels(rng, m))))
    return calls


def _cost_inputs(rng):
    calls = []
    for m in (1, 7, 400):
        A2 = rng.uniform(0.01, 0.99, size=(1, m))
        calls.append(Call("compute_cost", (A2, _labels(rng, m))))
    A2 = rng.uniform(0.01, 0.99, size=(1, 5)).astype(np.float32)
    calls.append(Call("compute_cost", (A2, np.array([[0.0, 1.0, 1.0, 0.0, 1.0]], np.float32))))
    return calls


def _cost_extremes(rng):
    labels = np.array([[0.0, 1.0, 1.0, 0.0]])
    calls = [
        Call("compute_cost", (labels.copy(), labels), context={"case": "right"}),
        Call("compute_cost", (np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])),
             context={"case": "wrong"}),
        Call("compute_cost", (np.array([[0.0, 1.0, 0.5]]), np.array([[0.0, 1.0, 1.0]])),
             context={"case": "mixed", "expected": math.log(2.0) / 3.0}),
    ]  # fmt: skip
    m = int(rng.integers(3, 9))
    labels = _labels(rng, m)
    mixed = labels.copy()
    mixed[0, int(rng.integers(m))] = 0.5
    calls += [
        Call("compute_cost", (labels.copy(), labels), context={"case": "right"}),
        Call("compute_cost", (1.0 - labels, labels), context={"case": "wrong"}),
        Call("compute_cost", (mixed, labels),
             context={"case": "mixed", "expected": math.log(2.0) / m}),
    ]  # fmt: skip
    return calls


def _cost_extremes_judge(call: Call, value) -> str | None:
    got, problem = _cost_number(call, value)
    if problem:
        return problem
    text = f"{_describe(call)}, A2 holding exact 0s and 1s,"
    if not math.isfinite(got):
        return (
            f"{text} returned {checking.number(got)}: log(0) is -inf, and 0 * log(0) is nan. "
            "Clip A2 into [1e-15, 1 - 1e-15] before taking logarithms."
        )
    case = call.context["case"]
    if case == "right" and not 0.0 <= got <= COST_ZERO_TOL:
        return (f"{text} returned {checking.number(got)}; every prediction is right, so "
                "expected 0.")  # fmt: skip
    if case == "wrong" and got < COST_WRONG_MIN:
        return (
            f"{text} returned {checking.number(got)}; every prediction is certain and wrong, "
            f"so expected a large cost (at least {COST_WRONG_MIN:.1f}, about 34.5 with a clip at "
            "1e-15)."
        )
    if case == "mixed" and abs(got - call.context["expected"]) > COST_ZERO_TOL:
        expected = call.context["expected"]
        m = np.shape(call.args[1])[-1]
        return (f"{text} returned {checking.number(got)}; expected {checking.number(expected)} "
                f"(log(2) / {m}: one answer of 0.5, the others right).")  # fmt: skip
    return None


_add(
    "compute_cost_values",
    "compute_cost",
    "compute_cost gives the mean cross-entropy of a few small examples.",
    _cost_values,
    _verify_each(_cost_judge),
    hidden=False,
)
_add(
    "compute_cost_inputs",
    "compute_cost",
    "compute_cost returns one number for 1, 7 and 400 examples and for float32 input (hidden "
    "test).",
    _cost_inputs,
    _verify_each(_cost_judge),
    tolerance="Judged to 1e-7 relative (1e-4 for float32 input).",
)
_add(
    "compute_cost_at_zero_and_one",
    "compute_cost",
    "compute_cost stays finite when A2 is exactly 0 or 1 (hidden test).",
    _cost_extremes,
    _verify_each(_cost_extremes_judge),
    tolerance=(
        "Right certain predictions must cost at most 1e-6 and wrong ones at least 13.8, so any "
        "clip from 1e-15 to 1e-6 passes."
    ),
)

# Part D: backward_propagation ----------------------------------------------------------------


def _reference_backward(parameters, cache, X, Y, activation, kink=None):
    """The reference gradients; `kink` overrides the slope at Z1 == 0."""
    grads = ref.backward_propagation(parameters, cache, X, Y, activation)
    if kink is None or activation not in ("relu", "leaky_relu"):
        return grads
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    slope = ref._hidden_slope(cache["Z1"], cache["A1"], activation)
    slope = np.where(cache["Z1"] == 0, kink, slope)
    dZ1 = (parameters["W2"].T @ dZ2) * slope
    return {**grads, "dW1": dZ1 @ X.T / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}


_KINK_INTERVAL = {"relu": (0.0, 1.0), "leaky_relu": (ref.LEAKY_ALPHA, 1.0)}


def _kink_fit(value, parameters, cache, X, Y, activation) -> float | None:
    """The one slope at z = 0 that best explains the learner's dW1 and db1 (they are linear in
    it: least squares), or None when it cannot be fitted."""
    at_zero = _reference_backward(parameters, cache, X, Y, activation, kink=0.0)
    at_one = _reference_backward(parameters, cache, X, Y, activation, kink=1.0)
    try:
        got = np.concatenate([np.ravel(np.asarray(value[k], dtype=np.float64))
                              for k in ("dW1", "db1")])  # fmt: skip
    except Exception:  # noqa: BLE001 - a malformed answer is judged (and reported) as it is
        return None
    base = np.concatenate([np.ravel(at_zero[k]) for k in ("dW1", "db1")])
    step = np.concatenate([np.ravel(at_one[k]) for k in ("dW1", "db1")]) - base
    if got.shape != base.shape or not np.any(step) or not np.all(np.isfinite(got)):
        return None
    return float(np.dot(got - base, step) / np.dot(step, step))


def _fitted_kink(call: Call, value, parameters, cache, X, Y) -> float | None:
    """Under the subgradient policy: the slope at z = 0 the learner used, kept inside the
    subgradient interval (None under the course policy)."""
    activation = _activation(call)
    if kink_policy() != "subgradient" or activation not in _KINK_INTERVAL:
        return None
    fitted = _kink_fit(value, parameters, cache, X, Y, activation)
    if fitted is None:
        return None
    low, high = _KINK_INTERVAL[activation]
    return min(max(fitted, low), high)


def _differs_only_at_zero(call: Call, value, parameters, cache, X, Y) -> bool:
    """Whether the learner's gradients are right but for the slope at z = 0: they are the
    gradients of another slope there (one number, fitted), to the check's tolerance."""
    activation = _activation(call)
    if activation not in _KINK_INTERVAL or not np.any(cache["Z1"] == 0):
        return False
    fitted = _kink_fit(value, parameters, cache, X, Y, activation)
    if fitted is None:
        return False
    expected = _reference_backward(parameters, cache, X, Y, activation, kink=fitted)
    return _compare_dict(call, value, expected, GRADIENTS, "grads") is None


def _kink_hint(activation: str) -> str:
    if kink_policy() == "course":
        return ("This course uses the slope from the left at z = 0: 0 for ReLU, alpha = 0.01 "
                "for Leaky ReLU.")  # fmt: skip
    low, high = _KINK_INTERVAL[activation]
    return (f"At z = 0 any one slope from {checking.number(low)} to {checking.number(high)} "
            "is accepted; yours is outside.")  # fmt: skip


def _backward_judge(call: Call, value) -> str | None:
    parameters, cache, X, Y = (_f64(arg) for arg in call.args)
    activation = _activation(call)
    kink = _fitted_kink(call, value, parameters, cache, X, Y)
    expected = _reference_backward(parameters, cache, X, Y, activation, kink)
    message = _compare_dict(call, value, expected, GRADIENTS, "grads")
    if message and _differs_only_at_zero(call, value, parameters, cache, X, Y):
        message = f"{message} {_kink_hint(activation)}"
    return message


def _backward_call(rng, n_x, n_h, n_y, m, activation, dtype=np.float64, X=None):
    parameters = _parameters(rng, n_x, n_h, n_y, dtype=dtype)
    if X is None:
        X, Y = _data(rng, n_x, m, n_y, dtype=dtype)
    else:
        Y = (rng.uniform(size=(n_y, X.shape[1])) < 0.5).astype(dtype)
    _, cache = ref.forward_propagation(_f64(X), _f64(parameters), activation)
    cache = {key: value.astype(dtype) for key, value in cache.items()}
    return Call("backward_propagation", (parameters, cache, X, Y), {"activation": activation})


def _backward_values(rng):
    _, cache = ref.forward_propagation(X_SMALL, PARAMETERS_SMALL, "tanh")
    return [Call("backward_propagation", (PARAMETERS_SMALL, cache, X_SMALL, Y_SMALL),
                 {"activation": "tanh"}),
            _backward_call(rng, 2, 3, 1, 4, "tanh")]  # fmt: skip


def _backward_shapes(rng):
    return [
        _backward_call(rng, 2, 4, 1, 5, "tanh"),
        _backward_call(rng, 3, 1, 1, 1, "tanh"),
        _backward_call(rng, 1, 6, 2, 9, "tanh"),
        _backward_call(rng, 4, 3, 1, 8, "tanh", dtype=np.float32),
    ]


def _backward_activations(rng):
    return [_backward_call(rng, 3, 5, 1, 8, activation) for activation in ref.ACTIVATIONS]


def _backward_at_zero(rng):
    calls = []
    for activation in ("relu", "leaky_relu"):
        # b1 = 0 and a column of zeros in X: every hidden unit has z = 0 for that example.
        call = _backward_call(rng, 2, 4, 1, 6, activation)
        parameters, _, X, Y = call.args
        parameters = {**parameters, "b1": np.zeros((4, 1))}
        X = X.copy()
        X[:, 2] = 0.0
        _, cache = ref.forward_propagation(X, parameters, activation)
        calls.append(Call("backward_propagation", (parameters, cache, X, Y),
                          {"activation": activation}))  # fmt: skip
    return calls


_add(
    "backward_propagation_values",
    "backward_propagation",
    "backward_propagation gives the right gradients for a small tanh network.",
    _backward_values,
    _verify_each(_backward_judge),
    hidden=False,
)
_add(
    "backward_propagation_shapes",
    "backward_propagation",
    "backward_propagation's gradients have their parameters' shapes, db1 (n_h, 1) and db2 "
    "(n_y, 1), for several sizes (hidden test).",
    _backward_shapes,
    _verify_each(_backward_judge),
    tolerance=_VALUE_TOLERANCE_TEXT,
)
_add(
    "backward_propagation_activations",
    "backward_propagation",
    "backward_propagation uses the right slope g' for every hidden activation (hidden test).",
    _backward_activations,
    _verify_each(_backward_judge),
    tolerance=_VALUE_TOLERANCE_TEXT,
)
_add(
    "backward_propagation_at_zero",
    "backward_propagation",
    "backward_propagation uses the course's ReLU and Leaky ReLU slopes at z = 0 (hidden test).",
    _backward_at_zero,
    _verify_each(_backward_judge),
    tolerance=_VALUE_TOLERANCE_TEXT,
)

# Part E: update_parameters -------------------------------------------------------------------


def _update_call(rng, learning_rate, shape=(3, 4, 1)):
    n_x, n_h, n_y = shape
    parameters = _parameters(rng, n_x, n_h, n_y)
    grads = {"d" + key: value for key, value in _parameters(rng, n_x, n_h, n_y).items()}
    return Call("update_parameters", (parameters, grads, learning_rate))


def _update_judge(call: Call, value) -> str | None:
    parameters, grads, learning_rate = (_f64(arg) for arg in call.args)
    expected = ref.update_parameters(parameters, grads, learning_rate)
    return _compare_dict(call, value, expected, PARAMETERS, "the result")


def _keeps_input_judge(call: Call, result: CallResult) -> str | None:
    """Only what keeping the input asks: a dict of new arrays of the parameters' shapes comes
    back, and the dicts passed in are as they were (the values are update_parameters_values'
    concern)."""
    text = _describe(call)
    value, problem = _as_dict(result.value, PARAMETERS, "the result")
    if problem:
        return f"{text}: {problem}"
    for key in PARAMETERS:
        array, problem = _as_array(value[key], f"the result[{key!r}]")
        if problem:
            return f"{text}: {problem}"
        shape = np.shape(call.args[0][key])
        if array.shape != shape:
            return (f"{text}: the result[{key!r}] has shape {array.shape}; expected {shape}, "
                    f"the shape of parameters[{key!r}].")  # fmt: skip
    for position in (0, 1):
        before, after = call.args[position], result.args_after[position]
        name = ARGUMENT_NAMES["update_parameters"][position]
        if not isinstance(after, dict) or set(after) != set(before):
            return f"{text} changed the keys of the {name} dict passed in."
        for key in before:
            if not np.array_equal(np.asarray(after[key]), before[key]):
                return (
                    f"{text} changed {name}[{key!r}], which was passed in: build new arrays "
                    "(W1 - learning_rate * dW1) and a new dict instead of updating in place."
                )
    return None


def _keeps_input_verify(calls: list[Call], results: list[CallResult]) -> str | None:
    for call, result in zip(calls, results, strict=True):
        if result.error is not None:
            return _error_message(call, result.error)
        message = _keeps_input_judge(call, result)
        if message:
            return message
    return None


_add(
    "update_parameters_values",
    "update_parameters",
    "update_parameters takes one gradient-descent step.",
    lambda rng: [Call("update_parameters", (PARAMETERS_SMALL, GRADS_SMALL, 0.5)),
                 _update_call(rng, round(float(rng.uniform(0.1, 2.0)), 2))],  # fmt: skip
    _verify_each(_update_judge),
    hidden=False,
)
_add(
    "update_parameters_keeps_input",
    "update_parameters",
    "update_parameters returns new parameters and leaves the ones passed in unchanged (hidden "
    "test).",
    lambda rng: [_update_call(rng, 0.1), _update_call(rng, 2.0, (1, 5, 2))],
    _keeps_input_verify,
    tolerance="Judged on the dicts passed in, which must be exactly as they were.",
)

# Part F: gradient_check ----------------------------------------------------------------------


def _gradient_case(rng, activation, n_x=2, n_h=3, m=6):
    """A small network and data that central differences measure well (see
    GRADIENT_NORM_MIN and SATURATION_MIN): a draw that does not is drawn again."""
    while True:
        parameters = _parameters(rng, n_x, n_h, 1)
        X, Y = _data(rng, n_x, m)
        _, cache = ref.forward_propagation(X, parameters, activation)
        grads = ref.backward_propagation(parameters, cache, X, Y, activation)
        norm = math.sqrt(sum(float(np.sum(grads[k] ** 2)) for k in GRADIENTS))
        A2 = cache["A2"]
        if norm >= GRADIENT_NORM_MIN and np.min(np.minimum(A2, 1.0 - A2)) >= SATURATION_MIN:
            return parameters, X, Y, activation


def _planted(parameters, X, Y, activation, bug):
    """The reference gradients with one realistic mistake planted in them."""
    _, cache = ref.forward_propagation(X, parameters, activation)
    grads = ref.backward_propagation(parameters, cache, X, Y, activation)
    m = X.shape[1]
    if bug == "slope_from_z":  # tanh's slope written with Z1 instead of A1
        dZ1 = (parameters["W2"].T @ (cache["A2"] - Y)) * (1.0 - cache["Z1"] ** 2)
        return {**grads, "dW1": dZ1 @ X.T / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}
    if bug == "no_mean":  # dW2 summed over the examples, not averaged
        return {**grads, "dW2": grads["dW2"] * m}
    raise ValueError(bug)


def _planted_call(rng, bug, activation="tanh"):
    parameters, X, Y, activation = _gradient_case(rng, activation)
    grads = _planted(parameters, X, Y, activation, bug)
    numeric = ref.numerical_gradients(parameters, X, Y, activation)
    return Call("gradient_check", (parameters, X, Y), {"activation": activation},
                context={"expected": ref.relative_difference(grads, numeric)},
                stand_ins={"backward_propagation": grads})  # fmt: skip


def _right_gradients(rng):
    calls = []
    for activation in ("tanh", "sigmoid"):
        parameters, X, Y, _ = _gradient_case(rng, activation)
        _, cache = ref.forward_propagation(X, parameters, activation)
        grads = ref.backward_propagation(parameters, cache, X, Y, activation)
        calls.append(Call("gradient_check", (parameters, X, Y), {"activation": activation},
                          stand_ins={"backward_propagation": grads}))  # fmt: skip
    # A large eps: a central difference is then off by about eps**2 (a relative difference
    # near 1e-5), a one-sided one by about eps (near 1e-2), and one that ignores eps (using its
    # default) gives rounding noise, near 1e-9: the value tells the three apart.
    parameters, X, Y, activation = _gradient_case(rng, "tanh")
    _, cache = ref.forward_propagation(X, parameters, activation)
    grads = ref.backward_propagation(parameters, cache, X, Y, activation)
    numeric = ref.numerical_gradients(parameters, X, Y, activation, eps=LARGE_EPS)
    calls.append(Call("gradient_check", (parameters, X, Y),
                      {"activation": activation, "eps": LARGE_EPS},
                      context={"expected": ref.relative_difference(grads, numeric)},
                      stand_ins={"backward_propagation": grads}))  # fmt: skip
    return calls


def _planted_bugs(rng):
    return [_planted_call(rng, bug) for bug in ("slope_from_z", "no_mean")]


def _difference(call: Call, value) -> tuple[float | None, str | None]:
    text = _describe(call)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind == "f":
        value = value.reshape(())
    got, problem = _as_array(value, "the relative difference")
    if problem:
        return None, f"{text}: {problem}"
    if got.shape != ():
        return None, f"{text} returned an array of shape {got.shape}; return one number."
    return float(got), None


_USES_YOURS = (
    "gradient_check measures slopes with your forward_propagation and compute_cost: make sure "
    "their tests pass first."
)


def _small_difference_judge(call: Call, value) -> str | None:
    if "expected" in call.context:
        return _planted_judge(call, value)
    got, problem = _difference(call, value)
    if problem:
        return problem
    if not (math.isfinite(got) and 0.0 <= got < RIGHT_GRADIENTS_MAX):
        planted = "" if not call.stand_ins else " given right gradients"
        return (
            f"{_describe(call)}{planted} returned {checking.number(got)}; expected a relative "
            f"difference below {RIGHT_GRADIENTS_MAX:g}. {_USES_YOURS}"
        )
    return None


def _planted_judge(call: Call, value) -> str | None:
    got, problem = _difference(call, value)
    if problem:
        return problem
    expected = call.context["expected"]
    rtol = PLANTED_RTOL if call.stand_ins and "eps" not in call.kwargs else LARGE_EPS_RTOL
    if math.isfinite(got) and abs(got - expected) <= rtol * expected:
        return None
    if "eps" in call.kwargs:
        return (
            f"{_describe(call)}, given right gradients, returned {checking.number(got)}; "
            f"expected {checking.number(expected)}, what central differences with this eps "
            "give: use the eps you are given and (J(+eps) - J(-eps)) / (2 * eps)."
        )
    return (
        f"{_describe(call)}, given gradients with a planted mistake, returned "
        f"{checking.number(got)}; expected {checking.number(expected)}, the relative difference "
        f"||g - n|| / (||g|| + ||n||) over all four gradients. {_USES_YOURS}"
    )


def _agrees_calls(rng):
    """The visible test's calls (the learner's own gradients for the small network), the same
    for a fresh network, and a fresh one whose gradients have a planted mistake (so that a
    constant small number cannot pass)."""
    calls = [Call("gradient_check", (PARAMETERS_SMALL, X_SMALL, Y_SMALL), {"activation": name})
             for name in ("tanh", "sigmoid")]  # fmt: skip
    for activation in ("tanh", "sigmoid"):
        parameters, X, Y, _ = _gradient_case(rng, activation)
        calls.append(Call("gradient_check", (parameters, X, Y), {"activation": activation}))
    calls.append(_planted_call(rng, ("slope_from_z", "no_mean")[int(rng.integers(2))]))
    return calls


_add(
    "gradient_check_agrees",
    "gradient_check",
    "gradient_check finds your backward_propagation within 1e-7 of the central differences.",
    _agrees_calls,
    _verify_each(_small_difference_judge),
    hidden=False,
    tolerance=(
        "Your own right gradients must give less than 1e-7 (central differences with eps = "
        "1e-7 are off by about 1e-9 here). Re-run on a fresh network, the check also hands your "
        "gradient_check gradients with a planted mistake: its value must then be within 0.1% of "
        "the relative difference they have (0.01 or more)."
    ),
)
_add(
    "gradient_check_passes_right_gradients",
    "gradient_check",
    "gradient_check returns less than 1e-7 when backward_propagation is right, and uses "
    "central differences with the eps it is given (hidden test).",
    _right_gradients,
    _verify_each(_small_difference_judge),
    tolerance=(
        "Right gradients must give less than 1e-7; with eps = 1e-7 a central difference is off "
        "by about 1e-9 here. With eps = 1e-2 the value must be within 1% of what central "
        "differences give (about 1e-5); a one-sided difference gives about 1e-2."
    ),
)
_add(
    "gradient_check_catches_planted_bug",
    "gradient_check",
    "gradient_check reports a large difference when backward_propagation has a mistake "
    "(hidden test).",
    _planted_bugs,
    _verify_each(_planted_judge),
    tolerance=(
        "Judged to 0.1% of the relative difference: the planted mistakes give 0.01 or more, "
        "rounding changes it by about 1e-8."
    ),
)

# Part G: predict and nn_model ----------------------------------------------------------------


def _labels_judge(call: Call, value) -> str | None:
    parameters, X = (_f64(arg) for arg in call.args)
    expected = ref.predict(parameters, X, _activation(call))
    text = _describe(call)
    if type(value) is not np.ndarray or value.dtype.kind not in "biuf":
        kind = "None: did you forget `return`?" if value is None else type(value).__name__
        return f"{text} should return a numpy array of 0s and 1s; got {kind}."
    if value.shape != expected.shape:
        return f"{text} returned shape {value.shape}; expected {expected.shape}, one per example."
    wrong = np.argwhere(value.astype(np.float64) != expected)
    if wrong.size:
        i, j = (int(k) for k in wrong[0])
        return (
            f"{text}: the label of example {j} is {checking.number(value[i, j])}; expected "
            f"{checking.number(expected[i, j])} (1 where A2 > 0.5, else 0)."
        )
    return None


def _predict_calls(rng, activations, m=9):
    calls = []
    for activation in activations:
        parameters = _parameters(rng, 2, 4, 1)
        X, _ = _data(rng, 2, 4 * m)
        A2, _ = ref.forward_propagation(X, parameters, activation)
        keep = np.flatnonzero(np.abs(A2[0] - 0.5) > 1e-3)[:m]  # no example on the fence
        calls.append(Call("predict", (parameters, X[:, keep]), {"activation": activation}))
    return calls


_add(
    "predict_values",
    "predict",
    "predict gives 1 where the network's probability is above 0.5 and 0 elsewhere.",
    lambda rng: [Call("predict", (PARAMETERS_SMALL, X_SMALL), {"activation": "tanh"}),
                 *_predict_calls(rng, ("tanh",))],  # fmt: skip
    _verify_each(_labels_judge),
    hidden=False,
)
_add(
    "predict_activations",
    "predict",
    "predict uses the hidden activation it is given (hidden test).",
    lambda rng: _predict_calls(rng, ref.ACTIVATIONS),
    _verify_each(_labels_judge),
)

# What training on moons must achieve. Measured with the reference over the calls of the
# nn_model_trains and nn_model_learns checks for 1000 grading-time seeds (5000 trainings of
# 500 to 700 iterations on fresh, turned and shifted moons, see _moons):
# - the first cost is that of small starting weights: 0.01 times standard normal numbers and
#   zero biases give A2 within about 1e-3 of 0.5, a cost within 3.3e-4 of log(2);
NN_FIRST_COST_TOL = 0.01
# - the last cost is at most 0.59 of the first (0.05 to 0.3 typically; a straight
#   boundary costs about 0.3, a network that learned nothing log(2));
NN_COST_RATIO_MAX = 0.75
# - at least 78.5% of the points are labelled right (97% typically; a straight line gets
#   about 85%). A network that ignores the labels cannot get 70% of a set and of the same points
#   with the labels swapped: the visible test's re-run hands it both.
NN_ACCURACY_MIN = 0.70
NN_ITERATIONS = 500  # the visible test's; 0.025 s for the reference on 200 points
NN_SEED_ITERATIONS = 100  # enough for two seeds' networks to differ, and cheap
NN_STEP_ITERATIONS = 40  # steps compared one by one with the reference's (see _nn_steps)


def _nn_pair(call: Call, value) -> tuple[dict | None, np.ndarray | None, str | None]:
    """(parameters, costs as an array, None) from nn_model's result, or a message."""
    text = _describe(call)
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        return None, None, f"{text} should return a pair (parameters, costs); {_got(value)}"
    parameters, costs = value
    X, Y, n_h = call.args
    params, problem = _as_dict(parameters, PARAMETERS, "parameters")
    if problem:
        return None, None, f"{text}: {problem}"
    shapes = {"W1": (n_h, X.shape[0]), "b1": (n_h, 1), "W2": (Y.shape[0], n_h),
              "b2": (Y.shape[0], 1)}  # fmt: skip
    arrays = {}
    for key in PARAMETERS:
        array, problem = _as_array(params[key], f"parameters[{key!r}]")
        if problem or array.shape != shapes[key]:
            problem = problem or f"parameters[{key!r}] should have shape {shapes[key]}."
            return None, None, f"{text}: {problem}"
        if not np.all(np.isfinite(array)):
            return None, None, f"{text}: parameters[{key!r}] holds a value that is not finite."
        arrays[key] = array
    try:
        costs = np.asarray(costs, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return None, None, f"{text}: costs should be a list of numbers, one per iteration."
    iterations = call.kwargs.get("num_iterations", 5000)
    if costs.size != iterations:
        return None, None, (f"{text}: costs holds {costs.size} numbers; expected {iterations}, "
                            "one per iteration.")  # fmt: skip
    if not np.all(np.isfinite(costs)):
        return None, None, f"{text}: costs holds a value that is not finite."
    return arrays, costs, None


def _nn_trains(call: Call, value) -> str | None:
    parameters, costs, problem = _nn_pair(call, value)
    if problem:
        return problem
    text = _describe(call)
    if abs(costs[0] - math.log(2.0)) > NN_FIRST_COST_TOL:
        return (
            f"{text}: the first cost is {costs[0]:.4g}; expected about log(2) = 0.693, the "
            "cost of the small starting weights (A2 near 0.5 everywhere). Start from "
            "initialize_parameters and record the cost before each update."
        )
    if not costs[-1] <= NN_COST_RATIO_MAX * costs[0]:
        return (
            f"{text}: the cost went from {costs[0]:.4g} to {costs[-1]:.4g}; training should cut "
            "it by a quarter or more. Check the sign of the update and the gradients."
        )
    X, Y, _ = call.args
    accuracy = float(np.mean(ref.predict(parameters, X, _activation(call)) == Y))
    if accuracy < NN_ACCURACY_MIN:
        return (
            f"{text}: the trained network labels {accuracy:.0%} of the points it was trained on "
            f"right; expected at least {NN_ACCURACY_MIN:.0%}. Train on the X and Y you are "
            "given."
        )
    return None


def _nn_call(X, Y, n_h, **kwargs) -> Call:
    return Call("nn_model", (X, Y, n_h), kwargs)


def _nn_visible_calls(rng):
    """The visible test's moons, then fresh moons twice: as they are and with the labels
    swapped (nothing that ignores X and Y can label both)."""
    X, Y = ref.make_moons(MOONS_SIZE, seed=MOONS_SEED)
    fresh, labels = _moons(rng, MOONS_SIZE)
    return [_nn_call(data, target, 4, num_iterations=NN_ITERATIONS)
            for data, target in ((X, Y), (fresh, labels), (fresh, 1.0 - labels))]  # fmt: skip


def _nn_learns_calls(rng):
    """Fresh moons of other sizes, with other widths, rates, numbers of iterations and seeds."""
    calls = []
    for _ in range(2):
        X, Y = _moons(rng, int(rng.integers(150, 251)))
        calls.append(_nn_call(X, Y, int(rng.integers(3, 7)),
                              num_iterations=int(rng.integers(500, 701)),
                              learning_rate=round(float(rng.uniform(1.0, 1.5)), 2),
                              seed=_seed(rng)))  # fmt: skip
    return calls


_add(
    "nn_model_trains",
    "nn_model",
    "nn_model trains on the moons: the cost starts near log(2) and falls by a quarter or "
    "more, and at least 70% of the points end up labelled right.",
    _nn_visible_calls,
    _verify_each(_nn_trains),
    hidden=False,
    tolerance=(
        "The first cost must be within 0.01 of log(2), the last at most 3/4 of the first, and "
        "70% of the points labelled right: in 5000 trainings on fresh moons a right nn_model "
        "started within 3.3e-4 of log(2), cut the cost to 0.59 of the first or less and "
        "labelled at least 78.5% right. Re-run, the test also trains on fresh moons, as they "
        "are and with the labels swapped."
    ),
)
_add(
    "nn_model_learns",
    "nn_model",
    "nn_model learns moons it has never seen, with other sizes, learning rates and numbers of "
    "iterations (hidden test).",
    _nn_learns_calls,
    _verify_each(_nn_trains),
    tolerance=(
        "As in nn_model_trains: the first cost within 0.01 of log(2), the last at most 3/4 of "
        "the first, and 70% of the points labelled right."
    ),
)


def _nn_seed_calls(rng):
    # A hidden size other than the visible test's 4: the networks must be of this data's
    # shape, so one trained on other data (the printed moons) is no answer here either.
    X, Y = _moons(rng, 100)
    n_h = int(rng.choice([3, 5, 6]))
    first, other = _seed(rng), _seed(rng)
    other += other == first
    return [_nn_call(X, Y, n_h, num_iterations=NN_SEED_ITERATIONS, seed=seed)
            for seed in (first, first, other)]  # fmt: skip


def _nn_seed_verify(calls: list[Call], results: list[CallResult]) -> str | None:
    found = []
    for call, result in zip(calls, results, strict=True):
        if result.error is not None:
            return _error_message(call, result.error)
        parameters, costs, problem = _nn_pair(call, result.value)
        if problem:
            return problem
        found.append((parameters, costs))
    (first, first_costs), (again, again_costs), (other, _) = found
    if not (all(np.array_equal(first[k], again[k]) for k in PARAMETERS)
            and np.array_equal(first_costs, again_costs)):  # fmt: skip
        return (f"Two calls of {_describe(calls[0])} gave different networks: start from "
                "initialize_parameters with the seed you are given.")  # fmt: skip
    if all(np.array_equal(first[k], other[k]) for k in PARAMETERS):
        return (f"{_describe(calls[2])} gave the same network as seed={calls[0].kwargs['seed']}: "
                "pass the seed on to initialize_parameters.")  # fmt: skip
    return None


_add(
    "nn_model_seed",
    "nn_model",
    "nn_model gives the same network for the same seed, another for another seed (hidden "
    "test).",
    _nn_seed_calls,
    _nn_seed_verify,
    tolerance="The same seed must give exactly the same network and costs.",
)


def _nn_steps(call: Call) -> dict[str, np.ndarray]:
    """What gradient descent makes of the starting parameters the call's stand-in hands out."""
    X, Y, _ = call.args
    parameters = call.stand_ins["initialize_parameters"]
    activation, rate = _activation(call), call.kwargs["learning_rate"]
    for _ in range(call.kwargs["num_iterations"]):
        _, cache = ref.forward_propagation(X, parameters, activation)
        grads = ref.backward_propagation(parameters, cache, X, Y, activation)
        parameters = ref.update_parameters(parameters, grads, rate)
    return parameters


def _nn_activation_calls(rng):
    """Each activation, from the same starting parameters (handed out by a stand-in for
    initialize_parameters), weights of 0.5 so that the activations' curves differ from the
    first step on. A right answer's parameters stay within 4e-15 of the reference's (scaled as
    in _compare; measured over 1000 seeds with the notebook's and the lecture's answers): rounding
    grows little in 40 steps. A wrong slope moves them by 1e-3 or more."""
    X, Y = _moons(rng, 60)
    start = _parameters(rng, 2, 4, 1, scale=0.5)
    # Rates of two decimals: a learner reading the message reads the call they can retype.
    rate, seed = round(float(rng.uniform(0.5, 1.5)), 2), _seed(rng)
    return [Call("nn_model", (X, Y, 4),
                 {"num_iterations": NN_STEP_ITERATIONS, "learning_rate": rate,
                  "activation": activation, "seed": seed},
                 stand_ins={"initialize_parameters": start})
            for activation in ref.ACTIVATIONS]  # fmt: skip


def _nn_activation_judge(call: Call, value) -> str | None:
    parameters, _, problem = _nn_pair(call, value)
    if problem:
        return problem
    text = (f"{_describe(call)}, starting from the parameters initialize_parameters gave it, "
            f"after {call.kwargs['num_iterations']} steps")  # fmt: skip
    expected = _nn_steps(call)
    message = _compare_dict(call, parameters, expected, PARAMETERS, "parameters", text=text)
    if message:
        return (f"{message} Train from what initialize_parameters returns, with the activation "
                "you are given in every forward and backward pass.")  # fmt: skip
    return None


_add(
    "nn_model_activations",
    "nn_model",
    "nn_model trains with the hidden activation it is given (hidden test).",
    _nn_activation_calls,
    _verify_each(_nn_activation_judge),
    tolerance=(
        "From the same starting parameters, the trained ones must be within 1e-7 relative of "
        "what 40 steps of gradient descent with that activation give: rounding costs a right "
        "answer less than 1e-14, a wrong activation 1e-3 or more."
    ),
)

CHECKS: dict[str, Check] = checking.table(_checks)
