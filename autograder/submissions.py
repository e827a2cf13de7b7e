"""Synthetic learner submissions, built from the committed release and source notebooks.

The tests' corpus and `python -m autograder demo` both use this module:

- `correct_answers(source)`: the reference answer of each learner function, taken from the
  source notebook's solution cells (what sits between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``).
- `make_submission(answers, release=...)`: the release notebook with the named functions filled
  in, every other cell (test cells, their nbgrader ids and checksums) left exactly as released.
- `BROKEN`: submissions that must not stop a batch (syntax error, not JSON, endless loop, ...).
- `write_class(folder, {student_id: notebook})`: lays submissions out as nbgrader or an LMS would.

Every builder works on any assignment (``source=`` and ``release=`` name its notebooks); without
them, the course's first assignment is used. A solution cell is a code cell whose nbgrader
metadata says ``solution: true``; its grade_id is the name of the function it defines.
"""

from __future__ import annotations

import copy
import re
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder import course

ROOT = course.REPO
FIRST = course.assignments(ROOT)[0]  # the default for the builders below
ASSIGNMENT = FIRST.name
SOURCE = FIRST.source
RELEASE = FIRST.release

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
# Submissions that must not stop a batch. Each builder returns what a learner would
# hand in: a NotebookNode, or raw bytes when the file is not a notebook at all.
# --------------------------------------------------------------------------------------------


def _correct_with(code: str) -> NotebookNode:
    """The correct answers, with the release's first function's body replaced by `code`."""
    answers = correct_answers()
    return make_submission({**answers, next(iter(answers)): code})


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
    answers = correct_answers()
    first = next(iter(answers))
    return make_submission({**answers, first: 'print("x" * 10_000_000)\n' + answers[first]})


BROKEN: dict[str, Callable[[], NotebookNode | bytes]] = {
    "untouched": lambda: make_submission(None),
    "syntax_error": lambda: _correct_with("return (1.0 +"),
    "not_json": lambda: b"this is not a notebook {",
    "infinite_loop": lambda: _correct_with("while True:\n    pass"),
    "sys_exit": lambda: _correct_with("import sys\n\nsys.exit(1)"),
    "os_exit": lambda: _correct_with("import os\n\nos._exit(1)"),
    "huge_output": _huge_output,
    "import_time_exception": lambda: replace_cell_source(
        make_submission(correct_answers()), next(iter(correct_answers())),
        "import numpy_does_not_exist\n"),
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

    layout "nbgrader": ``folder/<student_id>/<assignment>/<assignment>.ipynb``;
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
