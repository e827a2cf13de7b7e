"""Issue 12, targets 1, 3 and 8, through the real pipeline (sandboxed kernels, then the clean room):
an honest learner loses no point for where or how a correct answer was written, a kernel that
dies late costs nothing earlier, and what passes in the notebook passes at grading. Every point
the clean room takes away is explained in the feedback by the call and the reason.

One batch grades every notebook below once (module fixture); each test reads its rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from autograder import submissions as S
from autograder.execute import function_of
from autograder.isolation.sandbox import sandbox_problem

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}"),
]

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "activation_derivatives"
RELEASE = nbformat.read(S.RELEASE, as_version=4)
FUNCTIONS = list(S.solution_cells(RELEASE))
# grade_id -> (points, function, 1-based cell number in the release)
GRADE_CELLS = {
    meta["grade_id"]: (float(meta["points"]), function_of(meta["grade_id"], FUNCTIONS), i + 1)
    for i, meta in enumerate(c.metadata.get("nbgrader", {}) for c in RELEASE.cells)
    if meta.get("grade")
}
MAX_SCORE = sum(points for points, _, _ in GRADE_CELLS.values())  # 35
CORRECT = S.correct_answers()

# A learner's own cell that ends the kernel (and the clean room's process) at once. It goes right
# after relu's last test cell, so every test of Parts A to C has run before it.
EXIT_AFTER = "relu_keeps_input"
EXIT_CELL = "import os\n\nos._exit(0)  # 'restart the kernel', as a learner might try"


def _with_list_relu() -> nbformat.NotebookNode:
    # np.maximum(...).tolist(): a float for a single number, a (nested) list for an array. The
    # visible test (np.asarray of the result) accepts it, so the grader must too.
    return S.make_submission({**CORRECT, "relu": "return np.maximum(0.0, z).tolist()"})


def _class() -> dict[str, nbformat.NotebookNode]:
    correct = S.make_submission(CORRECT)
    return {
        # The answer typed into a new cell below the untouched stub (4 points measured lost).
        "new_cell": S.answer_in_new_cell("relu_derivative"),
        # A helper function in a cell of the learner's own, above the solution cell.
        "helper_cell": S.insert_cell(
            S.make_submission({**CORRECT, "relu": "return positive_part(z)"}),
            "def positive_part(z):\n    return np.maximum(0.0, z)", before="relu"),
        # `from numpy import exp` in a cell of the learner's own, used by sigmoid (and so by
        # sigmoid_derivative, which calls sigmoid).
        "numpy_import_cell": S.insert_cell(
            S.make_submission({**CORRECT, "sigmoid": "return 1 / (1 + exp(-z))"}),
            "from numpy import exp", after="setup"),
        "list_relu": _with_list_relu(),
        # Right only when NBGRADER_EXECUTION is set (the kernel's run): the clean room takes
        # relu's points away, and the feedback must say which call failed and how.
        "graded_only": S.make_submission({**CORRECT, "relu": (
            'if os.environ.get("NBGRADER_EXECUTION"):\n    return np.maximum(0.0, z)\n'
            "return np.abs(z)")}),
        "late_os_exit": S.insert_cell(correct, EXIT_CELL, after=EXIT_AFTER),
        # The same, at the top level of the next solution cell (leaky_relu's), below its answer.
        "exit_in_solution_cell": S.replace_cell_source(
            correct, "leaky_relu", S.find_cell(correct, "leaky_relu").source + "\n\n" + EXIT_CELL),
        # Exploration after the last test: a memory bomb, then os._exit; neither may cost a point.
        "bomb_at_the_end": S.insert_cell(
            S.insert_cell(correct, "hog = bytearray(1 << 40)  # how much memory is there?"),
            EXIT_CELL),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from autograder.cleanroom import notebook_caps
    from autograder.pipeline import grade

    root = tmp_path_factory.mktemp("fair")
    S.write_class(root / "subs", _class())
    result = grade(root / "subs", root / "out", timeout=10.0, progress=False, caps=notebook_caps,
                   assignment=ASSIGNMENT)
    return {row.student_id: row for row in result.rows}, root / "out"


def _results(out: Path, student: str) -> dict:
    return json.loads((out / "results" / f"{student}.json").read_text())


@pytest.mark.parametrize("student", ["new_cell", "helper_cell", "numpy_import_cell", "list_relu"])
def test_correct_answer_written_anywhere_gets_full_marks(graded, student):
    rows, _ = graded
    row = rows[student]
    # The repair stage may recognise the new cell as the solution cell's last copy and say so.
    assert row.score == MAX_SCORE and row.status.split(":")[0] in ("graded", "repaired"), row.status
    assert "re-run" not in row.status


@pytest.mark.parametrize("student", ["late_os_exit", "exit_in_solution_cell"])
def test_kernel_that_dies_late_keeps_every_point_earned_before(graded, student):
    rows, out = graded
    row = rows[student]
    if student == "late_os_exit":
        release = S.insert_cell(RELEASE, EXIT_CELL, after=EXIT_AFTER)
        exit_cell = 1 + next(i for i, c in enumerate(release.cells) if c.source == EXIT_CELL)
    else:
        exit_cell = 1 + RELEASE.cells.index(S.find_cell(RELEASE, "leaky_relu"))
    before = {g for g, (_, _, number) in GRADE_CELLS.items() if number < exit_cell}
    # Every test cell before the exit keeps its points; those after it never ran (as nbgrader).
    assert {g for g, p in row.points.items() if p > 0} == before
    assert row.score == sum(GRADE_CELLS[g][0] for g in before)
    # The status names the cell, and no function before it is blamed.
    assert row.status == f"kernel died in cell {exit_cell}"
    failed = [t for t in _results(out, student)["tests"] if t["score"] < t["max_score"]]
    assert {t["number"] for t in failed} == set(GRADE_CELLS) - before


def test_memory_bomb_and_exit_after_the_last_test_cost_nothing(graded):
    rows, _ = graded
    row = rows["bomb_at_the_end"]
    assert row.score == MAX_SCORE
    assert row.status.startswith("kernel died in cell ")


def test_list_answer_passes_its_visible_test_at_grading_and_in_the_feedback(graded):
    _, out = graded
    tests = {t["number"]: t for t in _results(out, "list_relu")["tests"]}
    assert tests["relu_values"]["status"] == "passed" and tests["relu_values"]["output"] == ""


def test_every_point_the_clean_room_takes_shows_the_call_and_the_reason(graded):
    from autograder.cleanroom import RERUN_MESSAGE

    rows, out = graded
    relu_tests = ["relu_values", "relu_inputs", "relu_keeps_input"]
    row = rows["graded_only"]
    assert row.score == MAX_SCORE - 3
    assert row.status == ("relu lost points when re-run on its own "
                          f"({', '.join(relu_tests)}: see the feedback)")
    failed = {t["number"]: t["output"] for t in _results(out, "graded_only")["tests"]
              if t["score"] < t["max_score"]}
    assert sorted(failed) == sorted(relu_tests)
    # The visible test's inputs are fixed: its message is known exactly.
    assert failed["relu_values"] == RERUN_MESSAGE + "relu(-2.0) returned 2.0; expected 0.0."
    for message in failed.values():  # hidden tests' inputs are drawn at grading time
        assert message.startswith(RERUN_MESSAGE + "relu(") and "expected" in message, message
    assert "each test that failed there says which call went wrong" in _results(
        out, "graded_only")["output"]
    html = (out / "feedback" / "graded_only" / f"{ASSIGNMENT}.html").read_text()
    assert "relu(-2.0) returned 2.0; expected 0.0." in html
    assert "fails when re-run on its own" not in html
