"""`python -m autograder check NOTEBOOK [--hidden]`: run a notebook's tests and say what passes.

For learners and self-study. Which assignment the notebook belongs to is recognised from its
content (the assignment's grade_ids and the functions it defines, as `grade` recognises a
notebook handed in under another name), whatever the file is called.

Without ``--hidden`` it needs nothing but the notebook and the course's released notebooks: no
gradebook, no reference solutions. The notebook is first repaired as grading repairs it
(autograder.repair: lost nbgrader metadata, deleted or moved test cells, duplicated cells), and
what was repaired is said. It then runs top to bottom in a fresh kernel, like "Restart and Run
All", except the release's own demonstration and plot cells while they are unchanged (they only
show results). Hidden tests are left out, and a test cell that holds nothing but a hidden test
is neither run nor counted as passed: the summary says "N visible tests passed; M hidden tests
run when your work is graded", so an untouched notebook shows 0 passed. A test fails when it
raises or writes to stderr, the same rule nbgrader applies when it grades. Unlike ``nbgrader
validate``, the exit status says the result: 0 when every visible test passes, 1 otherwise.

With ``--hidden`` (a learner working alone, who has the reference on their machine) it grades
the notebook exactly as an instructor's ``grade`` would (hidden tests, the clean room where the
sandbox works, known mistakes) and prints that feedback; exit status 0 for full marks.
"""

from __future__ import annotations

import ast
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import nbformat
from nbformat import NotebookNode

from autograder import course as courses
from autograder import execute as executor
from autograder.collect import Fingerprint
from autograder.execute import KERNEL_DIED, NOT_RUN, Limits
from autograder.messages import NONE, Mistakes
from autograder.repair import NotGradable, Release, repair

TIMEOUT = 10.0  # seconds per cell, as when the work is graded (nbgrader_config.py)
HIDDEN_TESTS = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?",
    re.MULTILINE | re.DOTALL,
)


@dataclass
class Test:
    """One visible test cell and what happened when it ran."""

    grade_id: str
    index: int
    error: str | None = None  # None when it passed


@dataclass
class Function:
    """A learner function, the error its own cell raised (if any) and its visible tests."""

    name: str
    cell_error: str | None = None
    tests: list[Test] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(test.error is None for test in self.tests)


class NotebookError(Exception):
    """The notebook cannot be checked; the message says why and what to do."""


# --------------------------------------------------------------------------------------------
# Reading the notebook
# --------------------------------------------------------------------------------------------


def _meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def load(path: Path) -> NotebookNode:
    """Read `path` as a notebook, or raise NotebookError with a message a learner can act on."""
    if not path.exists():
        raise NotebookError(f"{path}: no such file. Give the path of your .ipynb notebook.")
    if path.is_dir():
        raise NotebookError(f"{path} is a folder. Give the path of your .ipynb notebook inside it.")
    try:
        nb = nbformat.read(path, as_version=4)
    except nbformat.reader.NotJSONError:
        raise NotebookError(
            f"{path} is not a notebook (it is not JSON). If you edited it in a text editor, "
            "download a fresh copy and copy your answers over."
        ) from None
    except (UnicodeDecodeError, ValueError, KeyError, AttributeError) as error:
        raise NotebookError(f"{path} is not a notebook Jupyter can read: {error}") from None
    if not isinstance(nb.get("cells"), list):
        raise NotebookError(f"{path} is not a notebook: it has no cells.")
    return nb


def _only_docstring(source: str) -> bool:
    """True when `source` tests nothing: no statement besides string literals, `pass` and
    print() of constants (the release's stand-in for a hidden test prints a notice)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False  # run it: the error is worth reporting
    return all(
        isinstance(node, ast.Pass)
        or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        or (isinstance(node, ast.Expr) and _prints_a_constant(node.value))
        for node in tree.body
    )


def _prints_a_constant(node: ast.expr) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "print" and not node.keywords
            and all(isinstance(arg, ast.Constant) for arg in node.args))


def _release_functions(release: Path) -> tuple[str, ...]:
    return Release.load(release).functions if Path(release).is_file() else ()


def which_assignment(nb: NotebookNode, course: Path = courses.REPO) -> courses.Assignment | None:
    """The course's assignment that `nb` holds: the one whose grade_ids and functions it carries
    most of (collect.Fingerprint); None when it holds none of any."""
    content = nbformat.writes(nb).encode()
    best, chosen = 0, None
    for a in courses.assignments(course):
        fingerprint = Fingerprint.from_notebook(a.release)
        score = fingerprint.score(content) if fingerprint is not None else 0
        if score > best:
            best, chosen = score, a
    return chosen


def repaired(nb: NotebookNode, release: Path) -> tuple[NotebookNode, str, str]:
    """The notebook as grading will see it (autograder.repair against the released notebook),
    what was repaired ("" when nothing), and why it cannot be graded ("" when it can)."""
    if not Path(release).is_file():
        return nb, "", ""  # a copy of the checker without the course: check as it is
    try:
        fixed = repair(nb, Release.load(Path(release)))
    except NotGradable as error:
        return nb, "", str(error)
    return fixed.notebook, ", ".join(fixed.changes), ""


def plan(nb: NotebookNode, known: tuple[str, ...] = ()
         ) -> tuple[dict[str, Function], dict[int, Test], int]:
    """Group the visible test cells by the function they test.

    `known`: function names besides the solution cells' grade_ids (the release's functions).
    Returns the functions (by name, in notebook order), the tests by cell index, and how many
    test cells are hidden-only (nothing left to run once the hidden block is removed).
    Hidden blocks are cut out of the cells in place, so the instructor's source works too.
    """
    names = [
        _meta(c)["grade_id"]
        for c in nb.cells
        if _meta(c).get("solution") and _meta(c).get("grade_id") and c.cell_type == "code"
    ]
    # The release's functions too: one cell may answer several (it holds one grade_id).
    names += [name for name in known if name not in names]
    functions = {name: Function(name) for name in names}
    tests: dict[int, Test] = {}
    hidden_only = 0
    for index, cell in enumerate(nb.cells):
        meta = _meta(cell)
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        grade_id = str(meta.get("grade_id") or f"cell {index + 1}")
        cell.source = HIDDEN_TESTS.sub("", cell.source)
        if _only_docstring(cell.source):
            hidden_only += 1
            continue
        # The longest function name that prefixes the grade_id ("f_derivative_at_zero" tests
        # f_derivative, not f); a test of no known function is listed under its own id.
        owners = [n for n in names if grade_id == n or grade_id.startswith(n + "_")]
        owner = max(owners, key=len) if owners else grade_id
        function = functions.setdefault(owner, Function(owner))
        test = Test(grade_id, index)
        function.tests.append(test)
        tests[index] = test
    return {n: f for n, f in functions.items() if f.tests}, tests, hidden_only


# --------------------------------------------------------------------------------------------
# Running it
# --------------------------------------------------------------------------------------------


def _short(text: str) -> str:
    """The message on one line, whole: it names one call and one value, never an array."""
    return " ".join(str(text).split())


def describe_error(ename: str, evalue: str) -> str:
    """A one-line, learner-facing account of an exception raised in a cell."""
    if ename in (
        executor.TIMEOUT,
        NOT_RUN,
        KERNEL_DIED,
    ):  # the executor's own notes: already plain words
        return _short(evalue)
    if ename == "NotImplementedError":
        return "not written yet (the function still raises NotImplementedError)"
    if ename == "NameError":
        return _short(f"NameError: {evalue} ({_name_hint(evalue)})")
    if ename == "AssertionError" and evalue:
        return _short(evalue)  # a test's own message says it all
    return _short(f"{ename}: {evalue}" if evalue else ename)


MODULES = ("math", "np", "numpy", "plt", "matplotlib", "os", "sys", "random")


def _name_hint(evalue: str) -> str:
    """What to do about "name 'x' is not defined": import a module, or run a cell."""
    found = re.search(r"name '(\w+)' is not defined", evalue)
    name = found.group(1) if found else ""
    if name in MODULES:
        return f"add the import of {name} at the top of your cell, e.g. `import {name}`"
    return ("if it is a module, import it at the top of your cell; if you defined it, run "
            "the cell that defines it and fix its errors")


def known_mistake(evalue: str, grade_id: str, mistakes: Mistakes) -> str:
    """The known mistake a visible test's message shows (the assignment's catalogue), as a line
    of its own; '' when none fits or the catalogue is not installed."""
    found = mistakes.read(mistakes.visible(grade_id, " ".join(str(evalue).split())))
    if found is None:
        return ""
    from solutions.checking import MARK, SEPARATOR

    return f"{MARK}{found[1]}{SEPARATOR}{found[2]}"


def cell_error(cell: NotebookNode, mistakes: Mistakes = NONE) -> str | None:
    """Why a cell counts as failed (an error, or text on stderr), or None if it did not fail."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            grade_id = _meta(cell).get("grade_id", "")
            known = (known_mistake(output.evalue, grade_id, mistakes)
                     if output.ename == "AssertionError" else "")
            text = describe_error(output.ename, output.evalue)
            return f"{text}\n          {known}" if known else text
        if output.output_type == "stream" and output.name == "stderr":
            first = next((ln for ln in output.text.splitlines() if ln.strip()), "")
            return _short(f"wrote to stderr, which fails the test when graded: {first}")
    return None


def run_cells(
    nb: NotebookNode, functions: list[str], folder: Path, timeout: float,
    mistakes: Mistakes = NONE,
) -> tuple[dict[int, str | None], str]:
    """Run every code cell in order in one fresh kernel (with the grading pipeline's executor).

    Returns the failure (or None) of each code cell, by index, and why the run stopped early
    ("" when every cell ran). A cell still running after `timeout` seconds is interrupted and
    the function's later cells are skipped; after a kernel death or sys.exit nothing more runs.
    """
    # Figures are drawn by no one here: the non-interactive backend skips the rendering.
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = executor.execute(nb, functions=functions, cwd=folder, limits=Limits(timeout=timeout),
                              env=env)
    failures = {i: cell_error(c, mistakes) for i, c in enumerate(result.notebook.cells)
                if c.cell_type == "code"}  # fmt: skip
    return failures, result.stopped or ""


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def report(functions: dict[str, Function], hidden_only: int, stopped: str, out: TextIO) -> int:
    """Print one line per function (and its failures), then a total; return the exit status."""
    width = max(len(name) for name in functions)
    for function in functions.values():
        passed = sum(t.error is None for t in function.tests)
        mark = "PASS" if function.passed else "FAIL"
        print(f"  {mark}  {function.name:<{width}}  {passed}/{len(function.tests)} tests", file=out)
        if function.passed:
            continue
        if function.cell_error:
            print(f"        its cell: {function.cell_error}", file=out)
        errors = [test.error for test in function.tests]
        if len(errors) > 1 and None not in errors and len(set(errors)) == 1:
            # Every test failed the same way (a stub, a crash): say it once.
            print(f"        all {len(errors)} tests: {errors[0]}", file=out)
            continue
        for test in function.tests:
            if test.error:
                print(f"        {test.grade_id}: {test.error}", file=out)
    tests = [t for f in functions.values() for t in f.tests]
    passed = sum(t.error is None for t in tests)
    good = sum(f.passed for f in functions.values())
    print(file=out)
    if stopped:
        print(f"Stopped early: {stopped}.", file=out)
    print(
        f"{good} of {len(functions)} functions pass all their visible tests "
        f"({passed} of {len(tests)} visible tests).",
        file=out,
    )
    print(f"{passed} visible tests passed; {hidden_only} hidden tests run when your work is "
          "graded.", file=out)
    return 0 if passed == len(tests) else 1


def _without_display_cells(nb: NotebookNode, release: Path) -> NotebookNode:
    """`nb` without the release's demonstration and plot cells the learner left unchanged:
    they define nothing and only show results (cleanroom.display_cells)."""
    from autograder.cleanroom import display_cells

    shown = display_cells(release)
    kept = [c for c in nb.cells if not (c.cell_type == "code" and "nbgrader" not in c.metadata
                                        and c.source in shown)]
    nb.cells = kept
    return nb


def run(notebook: Path, *, timeout: float = TIMEOUT, out: TextIO | None = None,
        hidden: bool = False) -> int:
    """Check `notebook`; print the result; return 0 if every visible test passes (with
    `hidden`: if the notebook gets full marks), else 1."""
    out = out or sys.stdout
    notebook = Path(notebook)
    if hidden:
        return run_hidden(notebook, timeout=timeout, out=out)
    try:
        nb = load(notebook)
        a = which_assignment(nb)
        release = a.release if a is not None else Path()
        nb, changes, why_not = repaired(nb, release)
        if a is not None:
            nb = _without_display_cells(nb, release)
        functions, tests, hidden_only = plan(nb, _release_functions(release))
        if not functions:
            if a is None:
                why_not = (f"it holds none of the course's assignments "
                           f"({', '.join(courses.names())})")
            reason = f" ({why_not})" if why_not else ""
            raise NotebookError(
                f"{notebook} has no visible tests to run{reason}. Is it the course's notebook?"
            )
    except NotebookError as error:
        print(f"check: {error}", file=out)
        return 1
    mistakes = _mistakes(a)
    solution_index = {_meta(c)["grade_id"]: i for i, c in enumerate(nb.cells)
                      if _meta(c).get("solution") and _meta(c).get("grade_id")}  # fmt: skip
    title = f" ({a.title})" if a is not None else ""
    print(f"Checking {notebook.name}{title} (visible tests; each cell may run {timeout:g} s)...",
          file=out)
    if changes:
        print(f"Repaired first, as grading will repair it: {changes}. Your answers are "
              "checked as they will be graded.", file=out)
    try:
        results, stopped = run_cells(nb, list(solution_index), notebook.resolve().parent,
                                     timeout, mistakes)
    except Exception as error:  # the kernel could not start: nothing was checked
        print(f"check: could not run {notebook}: {type(error).__name__}: {error}", file=out)
        return 1
    for function in functions.values():
        index = solution_index.get(function.name)
        if index is not None and results.get(index):
            function.cell_error = results[index]
    for index, test in tests.items():
        test.error = results.get(index)
    return report(functions, hidden_only, stopped, out)


def _mistakes(a: courses.Assignment | None) -> Mistakes:
    """The assignment's known mistakes, where its solutions package is installed."""
    if a is None:
        return NONE
    try:
        return Mistakes.of(a)
    except Exception:  # noqa: BLE001 - a copy of the checker without the reference: no names
        return NONE


def run_hidden(notebook: Path, *, timeout: float = TIMEOUT, out: TextIO) -> int:
    """Grade `notebook` alone as `grade` would, and print its feedback (see the docstring)."""
    import json
    import tempfile

    from autograder.pipeline import GradingError, grade

    try:
        a = which_assignment(load(notebook))
    except NotebookError as error:
        print(f"check: {error}", file=out)
        return 1
    if a is None:
        print(f"check: {notebook} holds none of the course's assignments "
              f"({', '.join(courses.names())}).", file=out)
        return 1
    print(f"Grading {notebook.name} ({a.title}) as your instructor's grading would: visible "
          "and hidden tests...", file=out)
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as folder:
        copy = Path(folder) / "submission" / f"{a.name}.ipynb"
        copy.parent.mkdir()
        copy.write_bytes(notebook.read_bytes())
        try:
            result = grade(copy, Path(folder) / "grading", timeout=timeout, unsafe=True,
                           progress=False, assignment=a.name)
        except GradingError as error:
            print(f"check: {error}", file=out)
            return 1
        row = result.rows[0]
        results = json.loads((result.workspace / "results" / f"{row.student_id}.json")
                             .read_text())
    for test in results["tests"]:
        mark = "PASS" if test["status"] == "passed" else "FAIL"
        kind = "hidden" if test["visibility"] != "visible" else "visible"
        print(f"  {mark}  {test['number']} ({kind}, {test['score']:g}/{test['max_score']:g})",
              file=out)
        if test["status"] != "passed" and test["output"]:
            print(f"        {_short(test['output'])}", file=out)
    if row.status != "graded":
        print(f"\nStatus: {row.status}", file=out)
    print(f"\nScore: {row.score:g} / {row.max_score:g} (hidden tests included).", file=out)
    return 0 if row.score == row.max_score else 1
