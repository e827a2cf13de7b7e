"""Synthetic learner submissions, built from the committed release and source notebooks.

The tests' corpus and `python -m autograder demo` both use this module:

- `correct_answers()`: the reference answer of each learner function, taken from the source
  notebook's solution cells (what sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``).
- `lecture_formula_answers()`: the plain formulas from the lecture, as a learner would type them.
- `COMMON_MISTAKES`: named, realistic mistakes, each a one-function change to the correct answers.
- `make_submission(answers)`: the release notebook with the named functions filled in, every
  other cell (test cells, their nbgrader ids and checksums) left exactly as released.
- `BROKEN`: submissions that must not stop a batch (syntax error, not JSON, endless loop, ...).
- `write_class(folder, {student_id: notebook})`: lays submissions out as nbgrader or an LMS would.

A solution cell is a code cell whose nbgrader metadata says ``solution: true``; its grade_id is
the name of the function it defines.
"""

from __future__ import annotations

import copy
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "activation_derivatives"
NOTEBOOK_NAME = f"{ASSIGNMENT}.ipynb"
SOURCE = ROOT / "source" / ASSIGNMENT / NOTEBOOK_NAME
RELEASE = ROOT / "release" / ASSIGNMENT / NOTEBOOK_NAME

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
# What nbgrader puts in place of a solution (nbgrader_config.py, ClearSolutions.code_stub).
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


# --------------------------------------------------------------------------------------------
# Reading notebooks and finding cells
# --------------------------------------------------------------------------------------------


def read_notebook(path: Path) -> NotebookNode:
    """Read a notebook as nbformat version 4, with a clear error if it is missing."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist. The source and release notebooks are committed; "
            "run `make release` to rebuild release/ from source/."
        )
    return nbformat.read(path, as_version=4)


def nbgrader_metadata(cell: NotebookNode) -> dict:
    """The cell's nbgrader metadata ({} when it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def solution_cells(nb: NotebookNode) -> dict[str, NotebookNode]:
    """Code cells with nbgrader ``solution: true``, keyed by grade_id (the function name)."""
    cells = {}
    for cell in nb.cells:
        meta = nbgrader_metadata(cell)
        if cell.cell_type == "code" and meta.get("solution") and meta.get("grade_id"):
            cells[meta["grade_id"]] = cell
    return cells


def find_cell(nb: NotebookNode, grade_id: str) -> NotebookNode:
    """The cell whose nbgrader grade_id is `grade_id`."""
    for cell in nb.cells:
        if nbgrader_metadata(cell).get("grade_id") == grade_id:
            return cell
    known = ", ".join(nbgrader_metadata(c)["grade_id"] for c in nb.cells if _has_id(c))
    raise KeyError(f"no cell with grade_id {grade_id!r}; the notebook has: {known}")


def _has_id(cell: NotebookNode) -> bool:
    return bool(nbgrader_metadata(cell).get("grade_id"))


# --------------------------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------------------------


def _solution_region(source: str, where: str) -> str:
    """The lines strictly between the BEGIN/END SOLUTION markers, dedented."""
    lines = source.split("\n")
    begins = [i for i, line in enumerate(lines) if BEGIN_SOLUTION in line]
    ends = [i for i, line in enumerate(lines) if END_SOLUTION in line]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise ValueError(
            f"solution cell {where!r} should hold exactly one {BEGIN_SOLUTION} ... "
            f"{END_SOLUTION} region; found {len(begins)} BEGIN and {len(ends)} END markers"
        )
    body = "\n".join(lines[begins[0] + 1 : ends[0]])
    return textwrap.dedent(body).strip("\n")


def correct_answers(source: Path = SOURCE) -> dict[str, str]:
    """Function name -> the reference answer's code (the solution region, dedented)."""
    nb = read_notebook(source)
    cells = solution_cells(nb)
    answers = {name: _solution_region(cell.source, name) for name, cell in cells.items()}
    if not answers:
        raise ValueError(f"{source} has no nbgrader solution cells")
    return answers


def lecture_formula_answers() -> dict[str, str]:
    """The lecture's formulas written the plain way, as most learners would first type them.

    They are mathematically right but skip the care the reference takes (no overflow guard in
    sigmoid, ``np.where`` returning 0-d arrays for scalars, ...): grading them shows which of the
    hidden tests go beyond the formula.
    """
    return {
        "sigmoid": "return 1 / (1 + np.exp(-z))",
        "sigmoid_derivative": "s = sigmoid(z)\nreturn s * (1 - s)",
        "sigmoid_derivative_from_activation": "return a * (1 - a)",
        "tanh_derivative": "return 1 - np.tanh(z) ** 2",
        "tanh_derivative_from_activation": "return 1 - a**2",
        "relu": "return np.maximum(0.0, z)",
        "relu_derivative": "return np.where(z > 0, 1.0, 0.0)",
        "leaky_relu": "return np.where(z > 0, z, alpha * z)",
        "leaky_relu_derivative": "return np.where(z > 0, 1.0, alpha)",
        "numerical_derivative": "return (f(z + eps) - f(z - eps)) / (2 * eps)",
    }


@dataclass(frozen=True)
class Mistake:
    """A realistic wrong answer to one function; every other function is answered correctly."""

    key: str
    function: str
    code: str
    description: str

    def answers(self, source: Path = SOURCE) -> dict[str, str]:
        """The correct answers with this one function replaced by the mistake."""
        return {**correct_answers(source), self.function: self.code}


COMMON_MISTAKES: dict[str, Mistake] = {
    m.key: m
    for m in (
        Mistake(
            "relu_derivative_one_at_zero",
            "relu_derivative",
            "return np.where(z >= 0, 1.0, 0.0)",
            "ReLU's derivative gives 1 at z = 0 (>= instead of >)",
        ),
        Mistake(
            "relu_derivative_returns_bool",
            "relu_derivative",
            "return z > 0",
            "ReLU's derivative returns booleans instead of floats",
        ),
        Mistake(
            "sigmoid_derivative_uses_z",
            "sigmoid_derivative",
            "s = sigmoid(z)\nreturn s * (1 - z)",
            "sigmoid's derivative written s * (1 - z) instead of s * (1 - s)",
        ),
        Mistake(
            "sigmoid_derivative_from_activation_reapplies_sigmoid",
            "sigmoid_derivative_from_activation",
            "s = sigmoid(a)\nreturn s * (1 - s)",
            "the from-activation form applies sigmoid again to a value that is already sigmoid(z)",
        ),
        Mistake(
            "sigmoid_uses_math_exp",
            "sigmoid",
            "import math\n\nreturn 1 / (1 + math.exp(-z))",
            "sigmoid uses math.exp, which works on single numbers only, not arrays",
        ),
        Mistake(
            "tanh_derivative_missing_square",
            "tanh_derivative",
            "return 1 - np.tanh(z)",
            "tanh's derivative written 1 - tanh(z) instead of 1 - tanh(z)**2",
        ),
        Mistake(
            "tanh_derivative_from_activation_reapplies_tanh",
            "tanh_derivative_from_activation",
            "return 1 - np.tanh(a) ** 2",
            "the from-activation form applies tanh again to a value that is already tanh(z)",
        ),
        Mistake(
            "relu_modifies_input",
            "relu",
            "z = np.asarray(z, dtype=float)\nz[z < 0] = 0.0\nreturn z",
            "ReLU zeroes the negative entries of the caller's array in place",
        ),
        Mistake(
            "leaky_relu_derivative_ignores_alpha",
            "leaky_relu_derivative",
            "return np.where(z > 0, 1.0, 0.01)",
            "Leaky ReLU's derivative hard-codes 0.01 instead of using alpha",
        ),
        Mistake(
            "numerical_derivative_forward_difference",
            "numerical_derivative",
            "return (f(z + eps) - f(z)) / eps",
            "numerical derivative uses the forward difference instead of the central one",
        ),
    )
}


# --------------------------------------------------------------------------------------------
# Building submissions
# --------------------------------------------------------------------------------------------


def _fill_stub(source: str, code: str, where: str) -> str:
    """Replace nbgrader's two-line stub in `source` with `code`, indented like the stub."""
    lines = source.split("\n")
    for i in range(len(lines) - 1):
        if lines[i].strip() == STUB[0] and lines[i + 1].strip() == STUB[1]:
            indent = re.match(r"\s*", lines[i]).group(0)
            body = [indent + line if line.strip() else "" for line in code.split("\n")]
            return "\n".join(lines[:i] + body + lines[i + 2 :])
    raise ValueError(
        f"solution cell {where!r} of the release has no '{STUB[0]}' / '{STUB[1]}' stub to fill; "
        "rebuild release/ from source/ with `make release`"
    )


def make_submission(
    answers: Mapping[str, str] | None = None, *, release: Path = RELEASE
) -> NotebookNode:
    """The release notebook with the named functions' solution cells filled in.

    `answers` maps a function name (a solution cell's grade_id) to the code of its body, written
    without indentation. Functions not named keep their ``raise NotImplementedError()`` stub, so
    ``make_submission(None)`` is an untouched submission. Only cell sources change: every cell's
    metadata (nbgrader ids, points, checksums) stays as released.
    """
    nb = read_notebook(release)
    cells = solution_cells(nb)
    unknown = sorted(set(answers or {}) - set(cells))
    if unknown:
        raise KeyError(
            f"no solution cell for {', '.join(unknown)}; the release's functions are: "
            f"{', '.join(cells)}"
        )
    for name, code in (answers or {}).items():
        cell = cells[name]
        cell.source = _fill_stub(cell.source, textwrap.dedent(code).strip("\n"), name)
    return nb


def single_cell_submission(code: str, *, release: Path = RELEASE) -> NotebookNode:
    """The release notebook with `code` as its first solution cell and the other solution cells
    emptied: a learner who writes everything (or an attack) in one cell. Metadata stays as released.
    """
    nb = read_notebook(release)
    for position, cell in enumerate(solution_cells(nb).values()):
        cell.source = code if position == 0 else ""
    return nb


def insert_cell(nb: NotebookNode, source: str, *, after: str | None = None,
                before: str | None = None) -> NotebookNode:
    """A copy of `nb` with a new code cell of the learner's own (no nbgrader metadata, as
    JupyterLab makes it) right after the cell `after` or right before the cell `before` (both
    grade_ids), or at the end of the notebook when neither is given."""
    nb = copy.deepcopy(nb)
    cell = nbformat.v4.new_code_cell(source)
    if after is not None:
        nb.cells.insert(nb.cells.index(find_cell(nb, after)) + 1, cell)
    elif before is not None:
        nb.cells.insert(nb.cells.index(find_cell(nb, before)), cell)
    else:
        nb.cells.append(cell)
    return nb


def answer_in_new_cell(function: str, answers: Mapping[str, str] | None = None) -> NotebookNode:
    """`answers` (default: the correct ones) filled in, except `function`: its stub is left
    untouched and the answer is typed into a new cell right below it, under the same ``def``
    line (a learner who did not see where to write)."""
    answers = dict(correct_answers() if answers is None else answers)
    body = answers.pop(function)
    nb = make_submission(answers)
    header = solution_cells(nb)[function].source.split("\n")[0]
    code = header + "\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    return insert_cell(nb, code, after=function)


def replace_cell_source(nb: NotebookNode, grade_id: str, source: str) -> NotebookNode:
    """A copy of `nb` in which the cell `grade_id` holds `source` (metadata unchanged)."""
    nb = copy.deepcopy(nb)
    find_cell(nb, grade_id).source = source
    return nb


def delete_cell(nb: NotebookNode, grade_id: str) -> NotebookNode:
    """A copy of `nb` without the cell `grade_id`."""
    nb = copy.deepcopy(nb)
    target = find_cell(nb, grade_id)
    nb.cells = [cell for cell in nb.cells if cell is not target]
    return nb


def grade_cells(nb: NotebookNode) -> dict[str, NotebookNode]:
    """Cells with nbgrader ``grade: true`` that are not solution cells (the test cells)."""
    cells = {}
    for cell in nb.cells:
        meta = nbgrader_metadata(cell)
        if meta.get("grade") and not meta.get("solution") and meta.get("grade_id"):
            cells[meta["grade_id"]] = cell
    return cells


# --------------------------------------------------------------------------------------------
# Submissions that must not stop a batch (issue 4). Each builder returns what a learner would
# hand in: a NotebookNode, or raw bytes when the file is not a notebook at all.
# --------------------------------------------------------------------------------------------


def _correct_with(function: str, code: str) -> NotebookNode:
    return make_submission({**correct_answers(), function: code})


def _first_test_cell() -> str:
    return next(iter(grade_cells(read_notebook(RELEASE))))


def _edited_points() -> NotebookNode:
    nb = make_submission(correct_answers())
    cell = find_cell(nb, _first_test_cell())
    cell.metadata.nbgrader["points"] = 100
    return nb


def _duplicated_cells() -> NotebookNode:
    nb = make_submission(correct_answers())
    target = find_cell(nb, _first_test_cell())
    index = nb.cells.index(target)
    nb.cells.insert(index + 1, copy.deepcopy(target))
    return nb


def _changed_kernelspec() -> NotebookNode:
    nb = make_submission(correct_answers())
    nb.metadata["kernelspec"] = {"name": "julia-1.9", "display_name": "Julia", "language": "julia"}
    return nb


def _edited_test_cell() -> NotebookNode:
    grade_id = _first_test_cell()
    return replace_cell_source(make_submission(None), grade_id, "assert True  # tests edited away")


def _huge_output() -> NotebookNode:
    return _correct_with("relu", 'print("x" * 10_000_000)\nreturn np.maximum(0.0, z)')


BROKEN: dict[str, Callable[[], NotebookNode | bytes]] = {
    "untouched": lambda: make_submission(None),
    "syntax_error": lambda: _correct_with("relu", "return np.maximum(0.0, z"),
    "not_json": lambda: b"this is not a notebook {",
    "infinite_loop": lambda: _correct_with("relu", "while True:\n    pass"),
    "sys_exit": lambda: _correct_with("relu_derivative", "import sys\n\nsys.exit(1)"),
    "os_exit": lambda: _correct_with("relu_derivative", "import os\n\nos._exit(1)"),
    "huge_output": _huge_output,
    "import_time_exception": lambda: replace_cell_source(
        make_submission(correct_answers()), "relu", "import numpy_does_not_exist\n"
    ),
    "deleted_test_cell": lambda: delete_cell(make_submission(None), _first_test_cell()),
    "edited_test_cell": _edited_test_cell,
    "edited_points": _edited_points,
    "duplicated_cells": _duplicated_cells,
    "changed_kernelspec": _changed_kernelspec,
}


# --------------------------------------------------------------------------------------------
# Writing a class
# --------------------------------------------------------------------------------------------

Content = NotebookNode | bytes | str


def write_class(
    folder: Path,
    notebooks: Mapping[str, Content | tuple[str, Content]],
    layout: str = "nbgrader",
    assignment: str = ASSIGNMENT,
) -> list[Path]:
    """Write one submission per student and return the paths written.

    layout "nbgrader": ``folder/<student_id>/activation_derivatives/activation_derivatives.ipynb``;
    layout "flat":     ``folder/<student_id>.ipynb``, as an LMS download gives them.
    (`assignment` names the folder and notebook of the nbgrader layout.)

    A value is a NotebookNode, or bytes/str written as they are (a broken file), or a pair
    (file name, content) to hand in under another name (e.g. ``("my_homework.ipynb", nb)``).
    """
    if layout not in ("nbgrader", "flat"):
        raise ValueError(f"layout must be 'nbgrader' or 'flat', not {layout!r}")
    folder = Path(folder)
    written = []
    for student_id, value in notebooks.items():
        if not student_id or "/" in student_id or "\\" in student_id or student_id.startswith("."):
            raise ValueError(f"student id {student_id!r} cannot be used as a folder name")
        name, content = value if isinstance(value, tuple) else (None, value)
        if layout == "nbgrader":
            path = folder / student_id / assignment / (name or f"{assignment}.ipynb")
        else:
            path = folder / (name or f"{student_id}.ipynb")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(nbformat.writes(content, version=4), encoding="utf-8")
        written.append(path)
    return written
