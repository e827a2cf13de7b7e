"""What the conformance suite grades, built for any assignment from its own files.

Nothing here names an assignment or one of its functions: everything is read from the
assignment's source and release notebooks (autograder.submissions), its CHECKS table, its
catalogue and its reference module.

- :func:`namespace`: the notebook's code as a learner's kernel holds it (the release's locked
  set-up cells, then the solution cells with the given answers typed in), run in this process.
- Running checks here, as the kernel (:func:`in_kernel`, the fixed seed of
  ``solutions.checking.seed``) and as the clean room does (:func:`in_clean_room`, the seed of a
  grading run through ``autograder.cleanroom.check_rng``).
- :func:`literal`: a value as Python source, so that a made-up learner can type it.
- Made-up learners' function bodies: cheats (:func:`hard_coded`, :func:`constant`,
  :func:`ignoring`), generic mistakes (:func:`wrong_values`, :func:`changes_its_input`) and
  generic honest answers (:func:`retyped`).
- Whole notebooks: honest saves of the model answers (:data:`HONEST_SAVES`) and generic attacks
  (:data:`ATTACKS`).
"""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import inspect
import io
import json
import math
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import nbformat
import numpy as np
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output

from autograder import course
from autograder import submissions as subs
from autograder.cleanroom import check_rng
from solutions import checking, wire

# Seeds of made-up grading runs for in-process clean-room judging: two, so that a function right
# only at one run's inputs is caught as well.
RUN_SEEDS = (20240611, 7)
# Parameters that choose how a function works rather than what it works on: ignoring one must
# cost points wherever a function takes it.
SETTINGS = ("seed", "activation", "alpha", "eps")


# --------------------------------------------------------------------------------------------
# The notebook's code, run here
# --------------------------------------------------------------------------------------------


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


@functools.cache
def release(a: course.Assignment) -> NotebookNode:
    return subs.read_notebook(a.release)


@functools.cache
def model_answers(a: course.Assignment) -> dict[str, str]:
    """Function name -> the body of the model answer (the source's solution region)."""
    return subs.correct_answers(a.source)


def functions(a: course.Assignment) -> list[str]:
    """The learner functions, in notebook order."""
    return list(model_answers(a))


def setup_cells(a: course.Assignment) -> list[str]:
    """Sources of the release's locked set-up cells (nbgrader cells that neither test nor are
    answered)."""
    return [c.source for c in release(a).cells
            if c.cell_type == "code" and _meta(c) and not _meta(c).get("grade")
            and not _meta(c).get("solution")]  # fmt: skip


def solution_source(a: course.Assignment, name: str, body: str | None) -> str:
    """The release's solution cell of ``name`` with ``body`` typed in (None: the stub)."""
    cell = subs.solution_cells(release(a))[name]
    if body is None:
        return cell.source
    return subs._fill_stub(cell.source, textwrap.dedent(body).strip("\n"), name)


def namespace(a: course.Assignment, answers: Mapping[str, str] | None = None) -> dict:
    """A fresh namespace holding the set-up cells and every solution cell, with ``answers``
    (function -> body; default: the model answers; a function not named keeps its model
    answer) typed in: what a learner's kernel holds once those cells ran. Output is
    swallowed."""
    bodies = {**model_answers(a), **(answers or {})}
    scope: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()), checking.quiet():
        for source in setup_cells(a):
            exec(compile(source, "<set-up cell>", "exec"), scope)  # noqa: S102
        for name in functions(a):
            source = solution_source(a, name, bodies[name])
            exec(compile(source, f"<cell {name}>", "exec"), scope)  # noqa: S102
    return scope


def notebook_namespace(a: course.Assignment, nb: NotebookNode) -> dict:
    """The namespace a whole notebook leaves, run here as the clean room runs it: every cell
    that is not a test cell (the release's unchanged display cells left out), in order, an
    error ending only its own cell."""
    from autograder.cleanroom import display_cells, learner_steps

    scope: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()), checking.quiet():
        for step in learner_steps(nb, display_cells(a.release)):
            if "cell" in step:
                with contextlib.suppress(Exception):
                    exec(compile(step["source"], f"<cell {step['cell']}>", "exec"), scope)  # noqa: S102
    return scope


def reference_function(a: course.Assignment, name: str) -> Callable:
    return getattr(a.reference(), name)


def signature(a: course.Assignment, name: str) -> inspect.Signature:
    return inspect.signature(reference_function(a, name))


def data_parameters(a: course.Assignment, name: str) -> list[str]:
    """The parameters without a default: what the function works on."""
    return [p.name for p in signature(a, name).parameters.values()
            if p.default is inspect.Parameter.empty]  # fmt: skip


def setting_parameters(a: course.Assignment, name: str) -> list[str]:
    return [p for p in signature(a, name).parameters if p in SETTINGS]


def bound(a: course.Assignment, call: checking.Call) -> dict:
    """The call's arguments by parameter name, defaults filled in."""
    arguments = signature(a, call.function).bind(*call.args, **call.kwargs)
    arguments.apply_defaults()
    return dict(arguments.arguments)


# --------------------------------------------------------------------------------------------
# Judging here, as the kernel and as the clean room do
# --------------------------------------------------------------------------------------------


def run(check: checking.Check, calls: Sequence[checking.Call], scope: dict,
        catalogue: Sequence = ()) -> str | None:
    """The check's message for these calls on the functions of ``scope`` (None: passed)."""
    with checking.quiet(), contextlib.redirect_stdout(io.StringIO()):
        results = [checking.execute_call(call, scope) for call in calls]
        return checking.judge(check, calls, results, catalogue)


def kernel_calls(check: checking.Check) -> list[checking.Call]:
    """The calls the kernel's hidden test makes (the fixed seed of the grade_id)."""
    return check.calls(np.random.default_rng(checking.seed(check.grade_id)))


def run_calls(check: checking.Check, seed: int) -> list[checking.Call]:
    """The calls the clean room makes in a grading run whose seed is ``seed``."""
    return check.calls(check_rng(seed, check.grade_id))


def in_kernel(check: checking.Check, scope: dict, catalogue: Sequence = ()) -> str | None:
    return run(check, kernel_calls(check), scope, catalogue)


def in_clean_room(check: checking.Check, scope: dict, seed: int,
                  catalogue: Sequence = ()) -> str | None:
    return run(check, run_calls(check, seed), scope, catalogue)


def failing(a: course.Assignment, scope: dict, seeds: Sequence[int] = RUN_SEEDS,
            only: Sequence[str] | None = None) -> dict[str, str]:
    """grade_id -> the first message of each check (of ``only`` these functions) that fails
    in the clean room for one of ``seeds``."""
    found = {}
    for grade_id, check in a.checks().items():
        if only is not None and check.function not in only:
            continue
        for seed in seeds:
            message = in_clean_room(check, scope, seed)
            if message:
                found[grade_id] = message
                break
    return found


def passing(a: course.Assignment, scope: dict, only: Sequence[str],
            seeds: Sequence[int] = RUN_SEEDS) -> set[str]:
    """The checks of the functions ``only`` that pass in the clean room for one of ``seeds``
    (points a notebook holding ``scope``'s functions earns in that grading run)."""
    return {grade_id for grade_id, check in a.checks().items() if check.function in only
            and any(in_clean_room(check, scope, seed) is None for seed in seeds)}


def caught_in_every_run(a: course.Assignment, scope: dict, name: str,
                        seeds: Sequence[int] = RUN_SEEDS) -> bool:
    """Whether, whatever the grading run's seed (of ``seeds``), a check of ``name`` fails."""
    checks = [c for c in a.checks().values() if c.function == name]
    return all(any(in_clean_room(c, scope, seed) for c in checks) for seed in seeds)


def lost_in_grading(a: course.Assignment, scope: dict, seed: int) -> set[str]:
    """The grade cells a notebook holding ``scope``'s functions loses when graded with the
    workspace seed ``seed``: a hidden test that fails in the kernel, or any check that fails in
    the clean room (which caps the cell). A visible test's own asserts are not modelled: its
    check makes the calls the test prints, and more."""
    lost = set()
    for grade_id, check in a.checks().items():
        if (check.hidden and in_kernel(check, scope)) or in_clean_room(check, scope, seed):
            lost.add(grade_id)
    return lost


# --------------------------------------------------------------------------------------------
# Values as Python source
# --------------------------------------------------------------------------------------------


class NotALiteral(TypeError):
    """A value that cannot be written as Python source here (a function that is not one of
    solutions.wire's safe functions)."""


def _float(x: float) -> str:
    if math.isnan(x):
        return "float('nan')"
    if math.isinf(x):
        return "float('inf')" if x > 0 else "-float('inf')"
    return repr(float(x))


def literal(value) -> str:
    """``value`` as Python source that builds an equal value (numpy as ``np``)."""
    if isinstance(value, np.generic):  # before float: np.float64 is a float
        return f"np.{type(value).__name__}({literal(value.item())})"
    if value is None or isinstance(value, (bool, str, int)):
        return repr(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, np.ndarray):
        return (f"np.array({literal(value.tolist())}, dtype={value.dtype.str!r})"
                f".reshape({value.shape!r})")
    if isinstance(value, dict):
        items = ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + "".join(f"{literal(v)}, " for v in value) + ")"
    if isinstance(value, wire.Safe):
        return wire.SHOWN_AS[value.name]
    raise NotALiteral(f"{type(value).__name__} cannot be written as a literal")


# A function argument is told apart by its values at these points (a made-up learner who
# hard-codes answers recognises a function passed in by what it returns).
PROBES = (0.3, -1.1)


def _matchable(value):
    """``value`` with every function replaced by its values at PROBES."""
    if isinstance(value, wire.Safe):
        value = wire.resolve(value)
    if callable(value):
        return {"__probe__": [float(value(x)) for x in PROBES]}
    if isinstance(value, dict):
        return {k: _matchable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_matchable(v) for v in value)
    return value


# What a hard-coding learner's function compares its arguments with (typed into the notebook).
SAME = '''\
def _same(a, b):
    if isinstance(b, dict) and "__probe__" in b:
        try:
            return callable(a) and [float(a(x)) for x in PROBES] == b["__probe__"]
        except Exception:
            return False
    if isinstance(b, dict):
        return isinstance(a, dict) and set(a) == set(b) and all(_same(a[k], b[k]) for k in b)
    if isinstance(b, (list, tuple)) and not isinstance(a, np.ndarray):
        return (isinstance(a, (list, tuple)) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b)))
    if isinstance(b, str) or isinstance(a, str):
        return a == b
    try:
        x, y = np.asarray(a), np.asarray(b)
        return x.shape == y.shape and bool(np.array_equal(x, y, equal_nan=True))
    except Exception:
        return False
'''


# --------------------------------------------------------------------------------------------
# The inputs the visible tests print
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One call a visible test makes, with the model answer's value."""

    function: str
    arguments: dict  # by parameter name, defaults filled in
    value: object


@functools.cache
def seen(a: course.Assignment) -> tuple[Seen, ...]:
    """Every call of a learner function that the release's test cells make themselves (the
    inputs they print), found by running them here on the model answers with each learner
    function wrapped; calls a learner function makes of another are not counted."""
    scope = namespace(a)
    calls: list[Seen] = []
    depth = [0]

    def recorder(name, function):
        def record(*args, **kwargs):
            depth[0] += 1
            try:
                value = function(*copy.deepcopy(args), **copy.deepcopy(kwargs))
            finally:
                depth[0] -= 1
            if depth[0] == 0:
                arguments = signature(a, name).bind(*args, **kwargs)
                arguments.apply_defaults()
                calls.append(Seen(name, copy.deepcopy(dict(arguments.arguments)),
                                  copy.deepcopy(value)))
            return value

        return record

    for name in functions(a):
        scope[name] = recorder(name, scope[name])
    with contextlib.redirect_stdout(io.StringIO()), checking.quiet():
        for cell in subs.grade_cells(release(a)).values():
            exec(compile(cell.source, "<test cell>", "exec"), scope)  # noqa: S102
    return tuple(calls)


def anchor(a: course.Assignment, name: str) -> Seen:
    """One input of ``name`` a learner can know, with its model value: the first one a visible
    test prints, else the first call of the function's first check in the kernel (its fixed
    seed)."""
    for call in seen(a):
        if call.function == name and _writable(call.arguments):
            return call
    scope = namespace(a)
    for check in a.checks().values():
        if check.function != name:
            continue
        for call in kernel_calls(check):
            if call.stand_ins:
                continue
            value = checking.execute_call(call, scope).value
            return Seen(name, bound(a, call), value)
    raise LookupError(f"no check calls {name}")


def _writable(value) -> bool:
    try:
        literal(value)
    except NotALiteral:
        return False
    return True


def known_calls(a: course.Assignment, name: str) -> list[Seen]:
    """What a learner who hard-codes answers knows of ``name``: the calls the visible tests
    print, and those of its visible checks in the kernel (fixed seed), with the model values."""
    known = [call for call in seen(a) if call.function == name]
    scope = namespace(a)
    for check in a.checks().values():
        if check.function == name and not check.hidden:
            for call in kernel_calls(check):
                result = checking.execute_call(call, scope)
                known.append(Seen(name, bound(a, call), result.value))
    return known


# --------------------------------------------------------------------------------------------
# Made-up learners' function bodies
# --------------------------------------------------------------------------------------------


def constant(a: course.Assignment, name: str) -> str:
    """Returns the model value at one input a learner can know, whatever it is given."""
    return f"return {literal(anchor(a, name).value)}"


def hard_coded(a: course.Assignment, name: str) -> str:
    """Right exactly at the inputs the visible tests print (and those of the visible checks in
    the kernel): returns the value stored for them; anything else gets :func:`constant`'s."""
    table = [( {k: _matchable(v) for k, v in call.arguments.items()}, call.value)
             for call in known_calls(a, name)]  # fmt: skip
    given = "{" + ", ".join(f"{p!r}: {p}" for p in signature(a, name).parameters) + "}"
    return "\n".join([
        "import copy",
        f"PROBES = {PROBES!r}",
        SAME,
        f"_KNOWN = [{', '.join(f'({literal(args)}, {literal(value)})' for args, value in table)}]",
        f"_given = {given}",
        "for _arguments, _value in _KNOWN:",
        "    if all(_same(_given[k], v) for k, v in _arguments.items()):",
        "        return copy.deepcopy(_value)",
        constant(a, name),
    ])


def ignoring(a: course.Assignment, name: str, parameters: Sequence[str]) -> str:
    """The model answer, with each of ``parameters`` replaced by its value in :func:`anchor`'s
    call (a data argument) or by its default (a setting) before it is used: a function that
    ignores them."""
    defaults = {p.name: p.default for p in signature(a, name).parameters.values()}
    known = anchor(a, name).arguments
    lines = []
    for parameter in parameters:
        if defaults[parameter] is inspect.Parameter.empty:
            lines.append(f"{parameter} = {literal(known[parameter])}")
        else:
            lines.append(f"{parameter} = {literal(defaults[parameter])}")
    return "\n".join([*lines, model_answers(a)[name]])


def _wrapped(a: course.Assignment, name: str, after: str) -> str:
    """The model answer as an inner function ``_right`` called with the same arguments, then
    ``after`` (which sees ``_value``)."""
    parameters = list(signature(a, name).parameters)
    inner = textwrap.indent(model_answers(a)[name], "    ")
    call = ", ".join(f"{p}={p}" for p in parameters)
    return (f"def _right({', '.join(parameters)}):\n{inner}\n\n"
            f"_value = _right({call})\n{after}")


# Every number of a result moved away from the right one (no known mistake does this).
OFF = '''\
def _off(v):
    if isinstance(v, dict):
        return {k: _off(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_off(x) for x in v)
    if isinstance(v, (bool, np.bool_)) or isinstance(v, np.ndarray) and v.dtype.kind == "b":
        return np.logical_not(v)
    if isinstance(v, (int, float, np.number, np.ndarray)):
        return -1.37 * np.asarray(v, dtype=float) + 0.11 if isinstance(v, np.ndarray) \\
            else -1.37 * v + 0.11
    return v
'''


def wrong_values(a: course.Assignment, name: str) -> str:
    """Wrong numbers everywhere (-1.37 x + 0.11), of the right kinds and shapes; the input is
    left alone."""
    return _wrapped(a, name, OFF + "return _off(_value)")


MUTATE = '''\
def _mutate(v):
    if isinstance(v, dict):
        for x in v.values():
            _mutate(x)
    elif isinstance(v, np.ndarray) and v.ndim and v.dtype.kind == "f" and v.flags.writeable:
        v[...] = -1.37 * v + 0.11
'''


def array_parameter(a: course.Assignment, name: str) -> str | None:
    """The first data parameter that some check passes an array (or a dict of them) in."""
    for parameter in data_parameters(a, name):
        for check in a.checks().values():
            if check.function == name and any(
                    isinstance(bound(a, call)[parameter], dict)
                    or np.ndim(bound(a, call)[parameter]) > 0
                    and isinstance(bound(a, call)[parameter], np.ndarray)
                    for call in kernel_calls(check)):
                return parameter
    return None


def planted(entry) -> str:
    """A catalogue entry's body as typed into the notebook: the catalogue's bodies use
    ``math`` as well as ``np`` (solutions.checking.Mistake), which the notebook may not import."""
    return "import math\n" + entry.code


def changes_its_input(a: course.Assignment, name: str) -> str | None:
    """The right values, returned after the first argument that holds arrays was changed in
    place (None when the function takes no array)."""
    first = array_parameter(a, name)
    if first is None:
        return None
    return _wrapped(a, name, "import copy\n" + MUTATE
                    + f"_value = copy.deepcopy(_value)\n_mutate({first})\nreturn _value")


RETYPE = '''\
def _retyped(v):
    if isinstance(v, dict):
        return {k: _retyped(x) for k, x in v.items()}
    if isinstance(v, tuple):
        return tuple(_retyped(x) for x in v)
    if isinstance(v, list):
        return [_retyped(x) for x in v]
    if type(v) is float:
        return np.float64(v)
    if type(v) is int:
        return np.int64(v)
    return v
'''


def retyped(a: course.Assignment, name: str) -> str:
    """The model answer, its Python numbers returned as numpy scalars (what np.mean, np.sum
    and indexing give): an honest answer."""
    return _wrapped(a, name, RETYPE + "return _retyped(_value)")


# --------------------------------------------------------------------------------------------
# Whole notebooks
# --------------------------------------------------------------------------------------------


def submission(a: course.Assignment, answers: Mapping[str, str] | None = None) -> NotebookNode:
    """The release with the model answers typed in, ``answers`` replacing some."""
    return subs.make_submission({**model_answers(a), **(answers or {})}, release=a.release)


def _as_file(nb: NotebookNode, *, minor: int = 5, ids: bool = True) -> bytes:
    data = json.loads(nbformat.writes(nb))
    data["nbformat_minor"] = minor
    for cell in data["cells"]:
        if not ids:
            cell.pop("id", None)
    return json.dumps(data, indent=1).encode()


def answers_below_stubs(a: course.Assignment) -> bytes:
    """Every stub left as released, each whole function typed into a new cell below it."""
    nb = submission(a)
    stubs = subs.solution_cells(release(a))
    for name, cell in subs.solution_cells(nb).items():
        answer = new_code_cell(cell.source)
        cell.source = stubs[name].source
        nb.cells.insert(nb.cells.index(cell) + 1, answer)
    return _as_file(nb)


def colab(a: course.Assignment) -> bytes:
    """As Google Colab saves it: nbformat 4.0 without cell ids, every cell's metadata replaced
    by Colab's own, outputs kept."""
    nb = submission(a)
    for n, cell in enumerate(nb.cells):
        cell.metadata = {"id": f"colab{n:04d}"}
        if cell.cell_type == "code":
            cell.metadata.update(colab={"base_uri": "https://localhost:8080/"})
            cell.execution_count = n
            cell.outputs = [new_output("stream", name="stdout", text="ran in Colab\n")]
    nb.metadata = {"colab": {"provenance": [], "name": a.notebook},
                   "kernelspec": {"name": "python3", "display_name": "Python 3"},
                   "language_info": {"name": "python"}, "accelerator": "GPU"}
    return _as_file(nb, minor=0, ids=False)


def all_in_one_cell(a: course.Assignment) -> bytes:
    """Every answer in one new cell at the end, the stubs above left as released, and no
    nbgrader metadata anywhere (pasted into a fresh notebook)."""
    nb = submission(a)
    stubs = subs.solution_cells(release(a))
    answers = []
    for name, cell in subs.solution_cells(nb).items():
        answers.append(cell.source)
        cell.source = stubs[name].source
    nb.cells.append(new_code_cell("\n\n\n".join(answers)))
    for cell in nb.cells:
        cell.metadata = {}
    return _as_file(nb)


def exploring(a: course.Assignment) -> bytes:
    """A cell of the learner's own after every test cell, calling the function just tested
    with the inputs of the visible tests (trying things out)."""
    nb = submission(a)
    for call in seen(a)[::-1]:
        try:
            arguments = ", ".join(f"{k}={literal(v)}" for k, v in call.arguments.items())
        except NotALiteral:
            continue
        test = next(c for c in nb.cells if _meta(c).get("grade_id", "").startswith(call.function)
                    and _meta(c).get("grade") and not _meta(c).get("solution"))
        nb.cells.insert(nb.cells.index(test) + 1,
                        new_code_cell(f"_ = {call.function}({arguments})\nprint(type(_))"))
    return _as_file(nb)


def answers_at_the_end(a: course.Assignment) -> bytes:
    """Every solution cell moved, in order, to the end of the notebook (the answers written
    further down, below the tests)."""
    nb = submission(a)
    answers = list(subs.solution_cells(nb).values())
    nb.cells = [c for c in nb.cells if c not in answers] + answers
    return _as_file(nb)


HONEST_SAVES: dict[str, tuple[str, Callable[[course.Assignment], bytes]]] = {
    "answers_below_stubs": ("each answer typed in a new cell below its untouched stub",
                            answers_below_stubs),
    "colab": ("saved by Google Colab: no nbgrader metadata, nbformat 4.0", colab),
    "all_in_one_cell": ("every answer in one cell at the end, no nbgrader metadata",
                        all_in_one_cell),
    "exploring": ("cells of the learner's own trying the functions out", exploring),
    "answers_at_the_end": ("every answer moved below the tests, to the end", answers_at_the_end),
}


def variants(a: course.Assignment) -> dict[str, tuple[str, dict[str, str]]]:
    """The assignment's own other right answers (solutions/<name>/variants.py HONEST)."""
    if not (a.package / "variants.py").is_file():
        return {}
    import importlib

    return dict(importlib.import_module(f"solutions.{a.name}.variants").HONEST)


def generic_answers(a: course.Assignment) -> dict[str, tuple[str, dict[str, str]]]:
    """Honest answer sets made for any assignment."""
    return {"numpy_scalars": ("every Python number returned as a numpy scalar",
                              {name: retyped(a, name) for name in functions(a)})}


def _cell_after_the_answers(a: course.Assignment, source: str) -> NotebookNode:
    """The model answers' notebook with the stubs typed in, and a cell of the learner's own
    holding ``source`` after the last solution cell."""
    nb = submission(a, {name: "raise NotImplementedError()" for name in functions(a)})
    last = list(subs.solution_cells(nb).values())[-1]
    nb.cells.insert(nb.cells.index(last) + 1, new_code_cell(source))
    return nb


def snooping(a: course.Assignment) -> NotebookNode:
    """Stubs, and a cell that looks for the reference package (by name, at /.reference, up
    from the working folder) and hands out its functions as the answers."""
    names = functions(a)
    source = textwrap.dedent(f'''\
        import importlib, os, pkgutil, sys
        for _root in ["/.reference", os.getcwd(), os.path.dirname(os.getcwd()), "/", "/work"]:
            if os.path.isdir(os.path.join(_root, "solutions")):
                sys.path.insert(0, _root)
        try:
            import solutions
            for _info in pkgutil.walk_packages(solutions.__path__, "solutions."):
                try:
                    _module = importlib.import_module(_info.name)
                except Exception:
                    continue
                for _name in {names!r}:
                    if callable(getattr(_module, _name, None)):
                        globals()[_name] = getattr(_module, _name)
        except Exception:
            pass
        ''')
    return _cell_after_the_answers(a, source)


LYING = '''\
class Anything(float):
    """Says it equals everything, and pretends to be a float."""

    def __eq__(self, other):
        return True

    __le__ = __ge__ = __eq__

    def __ne__(self, other):
        return False

    __lt__ = __gt__ = __ne__
    __hash__ = float.__hash__

    def __array__(self, dtype=None, copy=None):
        return np.array(0.123)


class Everything(dict):
    """A dict that has every key, each an Anything."""

    def __contains__(self, key):
        return True

    def __getitem__(self, key):
        return Anything(0.123)

    def __eq__(self, other):
        return True
'''


def lying(a: course.Assignment) -> NotebookNode:
    """Every function returns an object whose comparisons always say equal (a float, or a
    dict that has every key)."""
    answers = {}
    for name in functions(a):
        value = anchor(a, name).value
        answers[name] = ("return Everything()" if isinstance(value, dict)
                         else "return (Anything(0.123), Everything())" if isinstance(value, tuple)
                         else "return Anything(0.123)")
    nb = submission(a, answers)
    first = list(subs.solution_cells(nb).values())[0]
    nb.cells.insert(nb.cells.index(first), new_code_cell(LYING))
    return nb


def graded_only(a: course.Assignment) -> NotebookNode:
    """The model answers when NBGRADER_EXECUTION says the notebook is being graded, constants
    otherwise (so it was never tried honestly)."""
    answers = {name: f"import os\nif not os.environ.get('NBGRADER_EXECUTION'):\n"
                     f"    {constant(a, name)}\n{model_answers(a)[name]}"
               for name in functions(a)}  # fmt: skip
    return submission(a, answers)


ATTACKS: dict[str, tuple[str, Callable[[course.Assignment], NotebookNode]]] = {
    "snooping": ("imports the reference package, by name or by path", snooping),
    "lying": ("returns objects that say they equal anything", lying),
    "graded_only": ("right only when NBGRADER_EXECUTION is set", graded_only),
}


def uses(a: course.Assignment) -> dict[str, set[str]]:
    """Function -> the learner functions its model answer calls, directly or not."""
    names = set(functions(a))
    direct = {}
    for name, body in model_answers(a).items():
        tree = ast.parse(body)
        direct[name] = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} & names - {name}
    closed = {name: set(called) for name, called in direct.items()}
    changed = True
    while changed:
        changed = False
        for name, called in closed.items():
            more = set().union(*(closed[c] for c in called)) - called - {name} if called else set()
            if more:
                called |= more
                changed = True
    return closed


# --------------------------------------------------------------------------------------------
# Known mistakes, several to a notebook
# --------------------------------------------------------------------------------------------


def _names(source: str, among: set[str]) -> set[str]:
    return set(re.findall(r"[A-Za-z_]\w*", source)) & among


def _uses(a: course.Assignment) -> dict[str, set[str]]:
    """Function -> the learner functions its model answer names, directly or through others."""
    names = set(functions(a))
    closed = {name: _names(body, names) - {name} for name, body in model_answers(a).items()}
    changed = True
    while changed:
        changed = False
        for name, found in closed.items():
            more = set().union(*(closed[other] for other in found)) - found - {name}
            if more:
                found |= more
                changed = True
    return closed


def _keeps_its_arguments(checks: Sequence[checking.Check], entry, scope: dict) -> bool:
    """Whether the entry, typed in, leaves every argument of its function's calls unchanged."""
    for check in checks:
        if check.function != entry.function:
            continue
        calls = run_calls(check, RUN_SEEDS[0])
        with checking.quiet():
            results = [checking.execute_call(call, scope) for call in calls]
        for call, result in zip(calls, results, strict=True):
            if not all(checking.same_tree(before, after, 0.0, 0.0)
                       for before, after in zip(call.args, result.args_after, strict=True)):
                return False
    return True


def packed(a: course.Assignment) -> list[list]:
    """The catalogue in groups, each planted in one notebook; every entry is still graded end
    to end. Entries share a notebook when their functions differ and neither names the other
    (in the model answers, through any chain, or in the entry's own code), and when each,
    planted alone, loses only cells of its own function and changes no argument it is given
    (a changed argument may be data that later visible tests share). Any other entry has a
    notebook of its own."""
    uses, names = _uses(a), set(functions(a))
    checks = list(a.checks().values())

    def related(entry) -> set[str]:
        return uses[entry.function] | _names(entry.code, names)

    groups: list[list] = []
    alone: list[list] = []
    for entry in a.catalogue():
        scope = namespace(a, {entry.function: planted(entry)})
        own = {check.grade_id for check in checks if check.function == entry.function}
        if (not lost_in_grading(a, scope, RUN_SEEDS[0]) <= own
                or not _keeps_its_arguments(checks, entry, scope)):
            alone.append([entry])
            continue
        for group in groups:
            if all(other.function != entry.function and other.function not in related(entry)
                   and entry.function not in related(other) for other in group):
                group.append(entry)
                break
        else:
            groups.append([entry])
    return groups + alone
