"""End-to-end grading of the course's first assignment (source/ and release/ of this repository).

The submissions come from autograder.submissions and the assignment's solutions package
(correct answers, the lecture's formulas, a catalogue mistake, broken notebooks). Expected
points are derived from the release notebook's own structure, so they stay exact when test
cells are added: a cell earns its points unless it belongs to the function that was got wrong,
or comes after the point where the notebook stopped.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest
from answers_support import honest, with_mistake

from autograder import submissions as S
from autograder.execute import function_of, referenced_functions

pytestmark = pytest.mark.slow

ASSIGNMENT = S.ASSIGNMENT
RELEASE = nbformat.read(S.RELEASE, as_version=4)
SOLUTION_CELLS = S.solution_cells(RELEASE)
FUNCTIONS = list(SOLUTION_CELLS)
# (1-based cell number, grade_id, points, function) for every test cell of the release.
GRADE_CELLS = [
    (i + 1, c.metadata.nbgrader["grade_id"], float(c.metadata.nbgrader["points"]),
     function_of(c.metadata.nbgrader["grade_id"], FUNCTIONS))
    for i, c in enumerate(RELEASE.cells) if c.metadata.get("nbgrader", {}).get("grade")
]
MAX_SCORE = sum(p for _, _, p, _ in GRADE_CELLS)


def _first_use(function: str) -> int:
    """1-based number of the first code cell after `function`'s definition that calls it."""
    start = RELEASE.cells.index(SOLUTION_CELLS[function])
    for i in range(start + 1, len(RELEASE.cells)):
        c = RELEASE.cells[i]
        if c.cell_type == "code" and function in referenced_functions(c.source, [function]):
            return i + 1
    raise AssertionError(f"nothing calls {function}")


def _all_but(function: str) -> dict[str, float]:
    return {g: (0.0 if f == function else p) for _, g, p, f in GRADE_CELLS}


def _stopped_at(number: int) -> dict[str, float]:
    return {g: (p if n < number else 0.0) for n, g, p, _ in GRADE_CELLS}


FULL = {g: p for _, g, p, _ in GRADE_CELLS}
MISTAKE = with_mistake("relu_derivative.one_at_zero")
SOURCE = nbformat.read(S.SOURCE, as_version=4)
# A hidden test cell of relu: deleting it from a correct submission must cost nothing.
HIDDEN = next(g for _, g, _, f in GRADE_CELLS
              if f == "relu" and "BEGIN HIDDEN TESTS" in S.find_cell(SOURCE, g).source)


def _class() -> dict[str, tuple]:
    """student -> (notebook or bytes, expected status, expected points per grade_id)."""
    correct = S.make_submission(S.correct_answers())
    edited = S.replace_cell_source(S.make_submission(MISTAKE),
                                   "relu_derivative_at_zero", '"""edited"""\nassert True')
    # BROKEN's function-specific notebooks break the release's first function.
    first = FUNCTIONS[0]
    exit_cell = _first_use(first)
    return {
        "correct": (correct, "graded", FULL),
        "lecture": (S.make_submission(honest()["lecture"][1]), "graded", FULL),
        "mistake": (S.make_submission(MISTAKE), "graded",
                    {**FULL, "relu_derivative_at_zero": 0.0}),
        "deleted_hidden": (S.delete_cell(correct, HIDDEN), "repaired: 1 deleted cell put back",
                           FULL),
        "edited_test": (edited, "graded", {**FULL, "relu_derivative_at_zero": 0.0}),
        # An endless loop in a function no other answer calls (relu): only its cells lose.
        # (BROKEN's loops in the first function, sigmoid, which others call: each caller's
        # test would time out in turn, for 10 s each.)
        "infinite_loop": (S.make_submission({**S.correct_answers(),
                                             "relu": "while True:\n    pass"}),
                          "timed out in relu", _all_but("relu")),
        "sys_exit": (S.BROKEN["sys_exit"](), f"stopped by sys.exit in cell {exit_cell}",
                     _stopped_at(exit_cell)),
        "os_exit": (S.BROKEN["os_exit"](), f"kernel died in cell {exit_cell}",
                    _stopped_at(exit_cell)),
        "huge_output": (S.BROKEN["huge_output"](), "graded", FULL),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from autograder.pipeline import grade

    root = tmp_path_factory.mktemp("real")
    cls = _class()
    S.write_class(root / "subs", {sid: nb for sid, (nb, _, _) in cls.items()})
    result = grade(root / "subs", root / "out", timeout=10.0, progress=False,
                   assignment=ASSIGNMENT)
    return cls, result, root / "out"


def test_real_assignment_scores_each_submission_exactly(graded):
    cls, _, out = graded
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    got = {sid: (r["status"], {g: float(r[g]) for _, g, _, _ in GRADE_CELLS})
           for sid, r in rows.items()}
    assert got == {sid: (status, points) for sid, (_, status, points) in cls.items()}
    assert all(float(r["max_score"]) == MAX_SCORE for r in rows.values())


def test_real_feedback_shows_no_hidden_test_and_no_reference_solution(graded):
    _, _, out = graded
    hidden = [line.strip() for c in SOURCE.cells if "BEGIN HIDDEN TESTS" in c.source
              for line in c.source.split("### BEGIN HIDDEN TESTS")[1].splitlines()
              if len(line.strip()) > 12 and "END HIDDEN" not in line]
    solutions = [line.strip() for code in S.correct_answers().values()
                 for line in code.splitlines() if len(line.strip()) > 12]
    assert hidden and solutions
    for file in [*(out / "feedback").rglob("*.html"), *(out / "results").glob("*.json")]:
        text = file.read_text()
        if file.suffix == ".json":
            text = json.dumps(json.loads(text))  # compare the decoded strings too
            text += " ".join(t["output"] for t in json.loads(file.read_text())["tests"])
        leaked = [s for s in hidden + solutions if s in text]
        assert not leaked, f"{file.name} shows {leaked[:2]}"


def test_real_feedback_names_the_failed_check_with_its_message(graded):
    _, _, out = graded
    results = json.loads((out / "results" / "mistake.json").read_text())
    failed = [t for t in results["tests"] if t["score"] < t["max_score"]]
    assert [t["number"] for t in failed] == ["relu_derivative_at_zero"]
    assert failed[0]["output"].startswith("AssertionError: ")
    assert Path(out / "feedback" / "mistake" / f"{ASSIGNMENT}.html").stat().st_size < 30_000
