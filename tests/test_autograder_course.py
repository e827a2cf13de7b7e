"""A small stand-in course for the autograder's tests, and checks of the stand-in itself.

The stand-in has a real assignment's shape (nbgrader metadata, solution cells named after their
functions, grade cells whose grade_id starts with the function name, one-line docstrings,
hidden tests) but only two tiny functions, so that a kernel runs it in well under a second. It
has no solutions/ package: it is graded by its own tests alone (no clean room, no known
mistakes), as a course without one is.

    double(x)  -> solution cell "double";  tests "double_of_two" (1 point, visible),
                  "double_negative" (2 points, hidden)
    square(x)  -> solution cell "square";  tests "square_of_three" (1 point, visible),
                  "square_hidden" (3 points, hidden)

Other test modules import `make_course` and `submission` from here.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "activation_derivatives"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
# Text that appears only in the hidden tests / only in the reference solution: the tests look
# for it in every piece of feedback to prove that neither leaks.
HIDDEN_MARKER = "double(-3) == -6"
HIDDEN_MARKER_2 = "square(-4) == 16"
SOLUTION_MARKER = "x + x  # reference"
SOLUTION_MARKER_2 = "x * x  # reference"
GRADE_IDS = ["double_of_two", "double_negative", "square_of_three", "square_hidden"]
POINTS = {"double_of_two": 1.0, "double_negative": 2.0, "square_of_three": 1.0,
          "square_hidden": 3.0}
MAX_SCORE = sum(POINTS.values())


def _meta(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    nbgrader = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                "solution": solution}
    if points is not None:
        nbgrader["points"] = points
    return {"nbgrader": nbgrader}


def source_notebook() -> nbformat.NotebookNode:
    """The instructor's version (solutions and hidden tests in place)."""
    cells = [
        new_markdown_cell("# Stand-in assignment\nTwo tiny functions."),
        new_code_cell("import math", metadata=_meta("imports", locked=True)),
        new_code_cell(
            'def double(x):\n    """Twice x."""\n    ### BEGIN SOLUTION\n'
            f"    return {SOLUTION_MARKER}\n    ### END SOLUTION",
            metadata=_meta("double", solution=True),
        ),
        new_code_cell('"""double(2) is 4."""\nassert double(2) == 4, "double(2) should be 4"',
                      metadata=_meta("double_of_two", grade=True, locked=True, points=1)),
        new_code_cell(
            '"""double works for negative numbers."""\n### BEGIN HIDDEN TESTS\n'
            f'assert {HIDDEN_MARKER}, "double(-3) should be -6"\n### END HIDDEN TESTS',
            metadata=_meta("double_negative", grade=True, locked=True, points=2),
        ),
        new_markdown_cell("## Square"),
        new_code_cell(
            'def square(x):\n    """x times x."""\n    ### BEGIN SOLUTION\n'
            f"    return {SOLUTION_MARKER_2}\n    ### END SOLUTION",
            metadata=_meta("square", solution=True),
        ),
        new_code_cell('"""square(3) is 9."""\nassert square(3) == 9, "square(3) should be 9"',
                      metadata=_meta("square_of_three", grade=True, locked=True, points=1)),
        new_code_cell(
            '"""square is never negative."""\n### BEGIN HIDDEN TESTS\n'
            f'assert {HIDDEN_MARKER_2}, "square(-4) should be 16"\n### END HIDDEN TESTS',
            metadata=_meta("square_hidden", grade=True, locked=True, points=3),
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def make_course(root: Path) -> Path:
    """A course directory (nbgrader_config.py + source/) holding the stand-in assignment."""
    folder = root / "source" / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(source_notebook(), folder / NOTEBOOK)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    return root


def release_notebook(workspace: Path) -> nbformat.NotebookNode:
    """The learner's copy that nbgrader generated in a graded workspace."""
    return nbformat.read(workspace / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)


def cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return c
    raise KeyError(grade_id)


def answer(release: nbformat.NotebookNode, double: str | None = "return 2 * x",
           square: str | None = "return x ** 2") -> nbformat.NotebookNode:
    """The release with the given function bodies typed in (None: left untouched)."""
    nb = copy.deepcopy(release)
    for name, body in (("double", double), ("square", square)):
        if body is not None:
            c = cell(nb, name)
            c.source = f"def {name}(x):\n    " + body.replace("\n", "\n    ")
    return nb


def write(nb: nbformat.NotebookNode) -> bytes:
    return nbformat.writes(nb).encode()


def test_stand_in_source_notebook_is_valid_nbgrader_metadata():
    nb = source_notebook()
    nbformat.validate(nb)
    grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert grade_ids == ["imports", "double", "double_of_two", "double_negative", "square",
                         "square_of_three", "square_hidden"]
    # The hidden assertion appears once, inside the hidden-test block of double_negative.
    hidden = "".join(json.loads(nbformat.writes(nb))["cells"][4]["source"])
    assert hidden.count(HIDDEN_MARKER) == 1 and "### BEGIN HIDDEN TESTS" in hidden
