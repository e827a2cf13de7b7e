"""The checking machinery every assignment shares: calls, checks, and the diagnosis of mistakes.

An assignment's folder, ``solutions/<assignment>/``, holds a table of checks (``checks.py``:
``CHECKS[grade_id]``, one entry per grade cell of its notebook) and a catalogue of known mistakes
(``mistakes.py``: ``MISTAKES``). The same check drives two runners:

- in the notebook's kernel, a hidden test cell is two lines::

      from solutions.<assignment>.checks import run_check
      run_check("relu_derivative_at_zero", globals())

  :func:`run_check` calls the learner's functions found in ``globals()`` and raises
  AssertionError with a learner-facing message when the check fails;
- the clean room (autograder/cleanroom.py) calls ``check.calls(rng)`` itself, ships the calls
  as plain data (solutions/wire.py) into a sandboxed process that holds only the learner's code,
  and hands the raw results back to :func:`judge` outside the sandbox.

A check judges ONE property of one function, so a score says what was wrong. Its ``calls(rng)``
draws inputs from ``rng``: in the kernel the rng is seeded from the grade_id (a re-run grades the
same inputs); in the clean room it is drawn at grading time, so that nobody knows the inputs
before. A visible grade cell's check mirrors what the cell's own asserts test, on fresh inputs
of the same kind as well as the printed ones: a function right only at the printed inputs, or
one returning constants, earns nothing.

Known mistakes. A :class:`Mistake` is a wrong answer learners really write: a short name, a hint
that teaches without giving the answer away, and ``code``, the body of the learner's function
as they type it. :func:`catalogue` compiles each body, with the function's signature taken from
the reference, into the mistaken function. When a check fails, :func:`judge` runs the check's
own calls through every entry of that function (never through learner code) and compares, call
by call, what the entry gives with what the learner's function gave:

- a call that raised matches a call that raised the same exception with the same message
  (its first ERROR_PREFIX characters: the kernel and the clean room cut long messages
  differently), so that an answer failing for another reason is not given this one's hint;
- a call that returned matches one that returned the same kind of value (numbers or booleans)
  of the same shape, within the check's own tolerance (``check.closeness(call)``; infinities
  and NaN must match exactly);
- an array argument must be left as the entry leaves it.

An entry explains the failure only when it reproduces EVERY call of the check. When exactly one
name fits, its name and hint are added to the message; otherwise the message stays exactly as
it was. Nothing of a catalogue is ever shown to a learner but an entry's name and hint.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import math
import os
import re
import textwrap
import types
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from solutions import wire

# --------------------------------------------------------------------------------------------
# Data that crosses the sandbox boundary
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One call of a learner function, as plain data.

    ``args`` and ``kwargs`` hold what solutions/wire.py carries: numbers, numpy scalars and
    arrays, strings (an activation's name), dicts of arrays (a network's parameters), tuples and
    lists of these, and :class:`wire.Safe` (a function handed to the learner's code, by name).
    ``context`` is for ``verify`` only and is never passed to learner code (e.g. the z from which
    an activation a was computed). ``stand_ins``: a name in the learner's namespace -> the value
    a stand-in function returns, whatever it is called with. During the call that name is bound
    to the stand-in (e.g. ``backward_propagation`` returning planted gradients, to see whether
    the learner's ``gradient_check`` notices), and restored afterwards.
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


def _default_closeness(call: Call) -> tuple[float, float]:
    return 1e-9, 1e-15


@dataclass(frozen=True)
class Check:
    """One grade cell's concern: which calls to make and how to judge what they return.

    ``closeness(call) -> (rtol, atol)`` is how near a catalogue entry's value must come to the
    learner's to explain it: the check's own tolerance for that call.
    """

    grade_id: str
    function: str
    description: str  # the grade cell's one-line docstring
    calls: Callable[[np.random.Generator], list[Call]]
    verify: Callable[[list[Call], list[CallResult]], str | None]
    hidden: bool = True  # False: a visible grade cell, mirrored here for the clean room
    tolerance: str = ""  # learner-facing: the tolerance and why (a comment in the grade cell)
    closeness: Callable[[Call], tuple[float, float]] = _default_closeness


def table(checks: Iterable[Check]) -> dict[str, Check]:
    """The checks by grade_id; refuses two checks with one grade_id (a typo in a table)."""
    checks = list(checks)
    found = {check.grade_id: check for check in checks}
    if len(found) != len(checks):
        raise RuntimeError("two checks share a grade_id")
    return found


# --------------------------------------------------------------------------------------------
# Running calls (in the learner's process)
# --------------------------------------------------------------------------------------------


def _prepare(arg):
    """A private copy of a call's argument for learner code (safe functions resolved)."""
    if isinstance(arg, wire.Safe):
        return wire.resolve(arg)
    if isinstance(arg, np.ndarray):
        return arg.copy()
    if isinstance(arg, dict):
        return {key: _prepare(value) for key, value in arg.items()}
    if isinstance(arg, (list, tuple)):
        return type(arg)(_prepare(value) for value in arg)
    return arg


def execute_call(call: Call, namespace: Mapping[str, Any]) -> CallResult:
    """Call ``namespace[call.function]`` on private copies of the call's arguments.

    Never raises for the learner's sake: a missing function or an exception becomes
    ``CallResult.error``. Callers silence warnings and stderr (see :func:`quiet`).
    """
    args = tuple(_prepare(arg) for arg in call.args)
    kwargs = {key: _prepare(value) for key, value in call.kwargs.items()}
    function = namespace.get(call.function)
    if not callable(function):
        return CallResult(None, call.args, f"NameError: name {call.function!r} is not defined")
    with standing_in(call.stand_ins, namespace):
        try:
            value = function(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - any learner error is a result, not a crash
            message = f"{type(error).__name__}: {error}".rstrip(": ")
            return CallResult(None, _args_after(args, call), shorten(message, 200))
    return CallResult(value, _args_after(args, call))


@contextlib.contextmanager
def standing_in(stand_ins: Mapping, namespace):
    """Bind each name in ``stand_ins`` to a function returning (a copy of) its value, then put
    back what was there. The namespace is the learner's globals(), which their functions read."""
    if not stand_ins:
        yield
        return
    missing = object()
    saved = {name: namespace.get(name, missing) for name in stand_ins}

    def stand_in(value):
        return lambda *args, **kwargs: _prepare(value)

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
    return tuple(original if isinstance(original, (str, wire.Safe)) else prepared
                 for prepared, original in pairs)  # fmt: skip


@contextlib.contextmanager
def quiet():
    """Silence warnings, numpy floating-point errors and stderr (nbgrader zeroes a cell that
    writes to stderr, and a right answer may warn)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"), contextlib.redirect_stderr(io.StringIO()):
            yield


def setting(variable: str, choices: Sequence[str]) -> str:
    """An instructor's setting from the environment (nbgrader_config.py sets it, and the
    grading kernels inherit it): one of ``choices``, the first when unset."""
    value = os.environ.get(variable, "").strip().lower() or choices[0]
    if value not in choices:
        raise ValueError(f"{variable} is {value!r}; set it to one of "
                         f"{', '.join(map(repr, choices))} in nbgrader_config.py")
    return value


def seed(grade_id: str) -> int:
    """The in-kernel runner's seed for a check: fixed, so a re-run grades the same inputs."""
    return zlib.crc32(grade_id.encode())


class GraderError(Exception):
    """A check itself failed (its inputs, its judging or its diagnosis raised): the grading
    environment is at fault, not the learner, whose code's own errors are results."""


def run_check(
    checks: Mapping[str, Check],
    grade_id: str,
    namespace: Mapping[str, Any],
    catalogue: Sequence[Mistake] = (),
) -> None:
    """Run one check of ``checks`` against the learner's functions in ``namespace`` (the
    notebook's ``globals()``). Raises AssertionError with a learner-facing message (and the known
    mistake of ``catalogue`` it shows, if exactly one does) when the check fails."""
    __tracebackhide__ = True  # noqa: F841 - IPython and pytest hide this frame
    if grade_id not in checks:
        raise KeyError(f"no check named {grade_id!r}; known: {', '.join(checks)}")
    check = checks[grade_id]
    with quiet():
        try:
            calls = check.calls(np.random.default_rng(seed(grade_id)))
        except Exception as error:  # noqa: BLE001 - the check's own inputs: not the learner's
            raise GraderError(f"the check {grade_id} could not make its calls: "
                              f"{type(error).__name__}: {error}") from None
        results = [execute_call(call, namespace) for call in calls]
        try:
            message = judge(check, calls, results, catalogue)
        except Exception as error:  # noqa: BLE001 - judging raised: not the learner's doing
            raise GraderError(f"the check {grade_id} could not judge the results: "
                              f"{type(error).__name__}: {error}") from None
    if message:
        raise AssertionError(message)


# --------------------------------------------------------------------------------------------
# Messages (one value at a time, never an array)
# --------------------------------------------------------------------------------------------


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def number(x) -> str:
    """A number as a learner would type it: 0.5, -2.0, np.inf (never np.float64(0.5))."""
    x = float(x)
    if math.isinf(x):
        return "np.inf" if x > 0 else "-np.inf"
    return repr(x)


def error_message(call: Call, error: str, describe: Callable[[Call], str]) -> str:
    """What to tell the learner when ``call`` raised ``error`` (``describe`` shows the call)."""
    if error.startswith("NotImplementedError"):
        return (
            f"{call.function} still raises NotImplementedError: replace the lines under "
            "# YOUR CODE HERE with your code, run that cell, then this one."
        )
    if error.startswith("NameError") and repr(call.function) in error:
        return f"{call.function} is not defined: run the cell where you wrote it, then this one."
    return f"{describe(call)} raised {error}"


# --------------------------------------------------------------------------------------------
# Known mistakes
# --------------------------------------------------------------------------------------------

MARK = "Likely mistake: "  # what judge() adds: MARK + name + SEPARATOR + hint
SEPARATOR = " — "


@dataclass(frozen=True)
class Mistake:
    """One known wrong answer to one learner function.

    ``code`` is the body of the learner's function as a learner types it (no ``def`` line),
    using numpy as ``np``, ``math`` and the notebook's other functions. ``compute`` is that body
    made into a function with the reference's signature (:func:`catalogue` makes it).
    """

    key: str  # unique, e.g. "sigmoid_derivative.a_form_on_z"
    function: str  # the learner function it stands in for
    name: str  # short, learner-facing: what the feedback and the class report call it
    hint: str  # learner-facing: teaches without giving the answer away
    code: str
    compute: Callable | None = None


def compile_answer(function: Callable, body: str, namespace: Mapping[str, Any]) -> Callable:
    """``body`` made into a function with ``function``'s name and signature, its globals a copy
    of ``namespace`` (so that it calls the same helpers the notebook has)."""
    bare = inspect.signature(function)
    empty = inspect.Parameter.empty
    bare = bare.replace(parameters=[p.replace(annotation=empty) for p in bare.parameters.values()],
                        return_annotation=empty)
    signature = str(bare)
    source = f"def {function.__name__}{signature}:\n{textwrap.indent(body.strip(), '    ')}\n"
    scope = dict(namespace)
    exec(compile(source, f"<mistake {function.__name__}>", "exec"), scope)  # noqa: S102
    return scope[function.__name__]


def catalogue(entries: Iterable[Mistake], reference) -> tuple[Mistake, ...]:
    """The entries with ``compute`` made from their ``code`` (see :func:`compile_answer`): each
    body runs with the reference module's names (the other functions of the notebook, as the
    model answers define them), ``np`` and ``math``. Refuses two entries with one key."""
    namespace = {**vars(reference), "np": np, "math": math}
    found = []
    for entry in entries:
        function = getattr(reference, entry.function)
        compute = compile_answer(function, entry.code, namespace)
        found.append(Mistake(entry.key, entry.function, entry.name, entry.hint, entry.code,
                             compute))
    if len({entry.key for entry in found}) != len(found):
        raise RuntimeError("two mistakes share a key")
    return tuple(found)


ERROR_PREFIX = 150  # characters of an error message compared (both runners keep 197 or more)


def _same_error(learner: str, entry: str) -> bool:
    """The same exception type and message: "ValueError: The truth value of an array ..."."""
    return learner[:ERROR_PREFIX] == entry[:ERROR_PREFIX]


def plain_value(value) -> np.ndarray | None:
    """A return value as an array (bool or float64), or None when it is neither numbers nor
    booleans. Lists and tuples of numbers count, as the checks read them with np.asarray."""
    if isinstance(value, (bool, np.bool_)):
        return np.asarray(value, dtype=bool)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return np.asarray(value, dtype=np.float64)
    if type(value) is np.ndarray and value.dtype.kind in "biuf":
        return value if value.dtype.kind == "b" else value.astype(np.float64)
    if type(value) in (list, tuple) and wire._packed(value) is not None:
        return plain_value(np.asarray(value))
    return None


def close(got: np.ndarray, mistaken: np.ndarray, rtol: float, atol: float) -> bool:
    """Same shape, same kind (numbers or booleans) and values within the tolerance."""
    if got.shape != mistaken.shape or (got.dtype.kind == "b") != (mistaken.dtype.kind == "b"):
        return False
    if got.dtype.kind == "b":
        return bool(np.array_equal(got, mistaken))
    with np.errstate(all="ignore"):
        finite = np.isfinite(mistaken)
        near = np.abs(got - mistaken) <= atol + rtol * np.abs(mistaken)
        same = (got == mistaken) | (np.isnan(got) & np.isnan(mistaken))
        return bool(np.all(np.where(finite, near & np.isfinite(got), same)))


def same_tree(a, b, rtol: float, atol: float) -> bool:
    """Two values alike: numbers within the tolerance, dicts and sequences member by member."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b)
                and all(same_tree(a[k], b[k], rtol, atol) for k in a))
    x, y = plain_value(a), plain_value(b)
    if x is not None and y is not None:
        return close(x, y, rtol, atol)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_tree(p, q, rtol, atol)
                                        for p, q in zip(a, b, strict=True))
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return a is None and b is None


def _same_arguments(learner: CallResult, entry: CallResult) -> bool:
    for mine, theirs in zip(learner.args_after, entry.args_after, strict=True):
        if isinstance(mine, (np.ndarray, dict)) or isinstance(theirs, (np.ndarray, dict)):
            if not same_tree(mine, theirs, 0.0, 0.0):
                return False
    return True


def _reproduces(check: Check, call: Call, learner: CallResult, entry: CallResult) -> bool:
    if learner.error is not None or entry.error is not None:
        return (learner.error is not None and entry.error is not None
                and _same_error(learner.error, entry.error))
    rtol, atol = check.closeness(call)
    return (same_tree(learner.value, entry.value, rtol, atol)
            and _same_arguments(learner, entry))


def explains(entry: Mistake, check: Check, calls: Sequence[Call],
             results: Sequence[CallResult]) -> bool:
    """Whether ``entry`` reproduces every one of the learner's ``results`` for ``calls``."""
    with quiet():
        for call, learner in zip(calls, results, strict=True):
            if not _reproduces(check, call, learner, execute_call(call, _scope(entry))):
                return False
    return True


def _scope(entry: Mistake) -> dict:
    """A namespace of its own holding the entry's function, whose globals it is: a call's
    stand-ins, bound there, are what the function sees, and no other thread sees them."""
    f = entry.compute
    scope = dict(f.__globals__)
    scope[f.__name__] = types.FunctionType(f.__code__, scope, f.__name__, f.__defaults__,
                                           f.__closure__)
    return scope


def diagnose(check: Check, calls: Sequence[Call], results: Sequence[CallResult],
             entries: Sequence[Mistake]) -> Mistake | None:
    """The catalogue entry that reproduces the learner's results on every call, or None.

    None as well when entries with different names fit equally (no guessing). Never raises.
    """
    try:
        found = [entry for entry in entries
                 if entry.function == check.function and explains(entry, check, calls, results)]
    except Exception:  # noqa: BLE001 - a diagnosis is a bonus; never let it break a check
        return None
    names = {entry.name for entry in found}
    return found[0] if len(names) == 1 else None


def judge(check: Check, calls: Sequence[Call], results: Sequence[CallResult],
          entries: Sequence[Mistake] = ()) -> str | None:
    """The check's verdict: None when it passes, else its message, with the known mistake of
    ``entries`` that explains the failure when exactly one does."""
    message = check.verify(list(calls), list(results))
    if not message or not entries:
        return message
    entry = diagnose(check, calls, results, entries)
    return message if entry is None else joined(message, entry)


def joined(message: str, entry: Mistake) -> str:
    message = message.rstrip()
    end = "" if message.endswith((".", "!", "?")) else "."
    return f"{message}{end} {describe(entry)}"


def describe(entry: Mistake) -> str:
    """The learner-facing sentence: MARK + name + SEPARATOR + hint (one line)."""
    return f"{MARK}{entry.name}{SEPARATOR}{entry.hint}"


def read(message: str, entries: Sequence[Mistake]) -> tuple[str, str, str] | None:
    """(message without the diagnosis, mistake name, hint) from a message annotated with one of
    ``entries``; None when the message names none of them."""
    at = message.rfind(MARK)
    if at < 0:
        return None
    name, separator, hint = message[at + len(MARK) :].partition(SEPARATOR)
    if not separator or name not in {entry.name for entry in entries}:
        return None
    return message[:at].rstrip(), name, hint.strip()


# --------------------------------------------------------------------------------------------
# Diagnosis from a visible test's message
# --------------------------------------------------------------------------------------------

# What a notebook's visible-test helper says when a value is wrong (the first assignment's
# set-up cell defines one):
#   "relu_derivative(0.0) returned 1.0 (expected 0.0)."
#   "relu(np.array([-3.0, -1.0, 2.0])) returned -3.0 at z = -3.0 (expected 0.0)."
VISIBLE = re.compile(
    r"(?P<call>(?P<function>[A-Za-z_]\w*)\((?P<args>.*?)\)) returned (?P<got>\S+?)"
    r"(?: at [za] = (?P<at>\S+?))? \(expected (?P<want>[^()]*?)\)\."
)


def _literal(node: ast.expr):
    """A visible test's argument: a number, np.array([...]) or a safe function's name."""
    if isinstance(node, ast.Name):
        return wire.SAFE_FUNCTIONS[node.id]
    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "np" and node.attr in wire.SAFE_FUNCTIONS):
        return wire.SAFE_FUNCTIONS[node.attr]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "array" and len(node.args) == 1):
        return np.array(ast.literal_eval(node.args[0]), dtype=float)
    return float(ast.literal_eval(node))


def _visible_number(text: str) -> float:
    return float(text.replace("np.", "").rstrip(".,;"))


def diagnose_visible(message: str, check: Check, entries: Sequence[Mistake],
                     reference) -> Mistake | None:
    """The entry of ``entries`` that explains a visible test's failure message, or None.

    The notebook's helper reports the first entry of a call that is wrong. An entry explains the
    message when, on the same call, the first entry where it differs from the ``reference``
    module is that same input and it gives the returned value there (for a single number: it
    gives the returned value, which is not the expected one). Several names fitting equally give
    None, as does nothing fitting. Never raises.
    """
    try:
        found = VISIBLE.search(message)
        if found is None or MARK in message:
            return None
        tree = ast.parse(found["call"], mode="eval").body
        args = [_literal(node) for node in tree.args]
        kwargs = {kw.arg: float(ast.literal_eval(kw.value)) for kw in tree.keywords}
        got, want = _visible_number(found["got"]), _visible_number(found["want"])
        at = None if found["at"] is None else _visible_number(found["at"])
        function = found["function"]
        rtol, atol = check.closeness(Call(function, tuple(args), kwargs))
        with np.errstate(all="ignore"):
            expected = np.asarray(getattr(reference, function)(*args, **kwargs), dtype=float)
        if expected.shape == () and not close(np.asarray(want), expected, rtol, atol):
            return None  # not the reference's value (another setting): nothing to explain
        matches = [entry for entry in entries if entry.function == function
                   and _explains_visible(entry, args, kwargs, expected, got, at, rtol, atol)]
    except Exception:  # noqa: BLE001 - a message we cannot read gets no diagnosis
        return None
    names = {entry.name for entry in matches}
    return matches[0] if len(names) == 1 else None


def _explains_visible(entry, args, kwargs, expected, got, at, rtol, atol) -> bool:
    copies = [arg.copy() if isinstance(arg, np.ndarray) else arg for arg in args]
    try:
        with np.errstate(all="ignore"):
            value = plain_value(entry.compute(*copies, **kwargs))
    except Exception:  # noqa: BLE001 - an entry that raises here explains no returned value
        return False
    if value is None or value.shape != expected.shape or value.dtype.kind == "b":
        return False
    with np.errstate(all="ignore"):
        right = np.isclose(value, expected, rtol=rtol, atol=atol, equal_nan=True)
    if right.all():
        return False
    first = tuple(np.argwhere(~right)[0])
    if at is not None and not (value.ndim and float(args[-1][first]) == at):
        return False
    return close(np.asarray(got), value[first], rtol, atol)


def annotate_visible(message: str, check: Check, entries: Sequence[Mistake], reference) -> str:
    """A visible test's message with the diagnosis appended, or exactly ``message``."""
    entry = diagnose_visible(message, check, entries, reference)
    return message if entry is None else joined(message, entry)
