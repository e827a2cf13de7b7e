"""The corpus of client saves through the real pipeline: notebooks as Colab, VS Code, Notebook 6 and
JupyterLite save them, and as learners damage them (stripped metadata; duplicated, deleted,
reordered and split cells; exploration between the parts; big saved outputs; answers in cells
of their own), each with the reference answers and with one planted mistake.

Everything is graded in one batch by `autograder.pipeline.grade` (sandboxed kernels, clean
room on). Correct answers get full marks however they were saved; a planted mistake costs
exactly what it costs in an intact notebook (the same points on every grade cell); a notebook
of another assignment and an empty one get a clear status and the batch goes on.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.isolation.sandbox import sandbox_problem
from autograder.submissions import ASSIGNMENT, correct_answers, make_submission

sys.path.insert(0, str(Path(__file__).parent))
from answers_support import with_mistake  # noqa: E402
from notebook_saves import SAVES  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}"),
]

REPO = Path(__file__).resolve().parents[1]
MAX_SCORE = 35.0


def _other_assignment() -> bytes:
    """An nbgrader notebook of another course: its own grade_ids and functions."""
    meta = {"grade": False, "grade_id": "softmax", "locked": False, "schema_version": 3,
            "solution": True, "task": False}
    test = {"grade": True, "grade_id": "softmax_sums_to_one", "locked": True, "points": 2,
            "schema_version": 3, "solution": False, "task": False}
    nb = new_notebook(cells=[
        new_markdown_cell("# Softmax"),
        new_code_cell("def softmax(z):\n    e = np.exp(z)\n    return e / e.sum()",
                      metadata={"nbgrader": meta}),
        new_code_cell('"""softmax sums to one."""\nassert abs(softmax([1, 2]).sum() - 1) < 1e-9',
                      metadata={"nbgrader": test}),
    ])
    return nbformat.writes(nb).encode()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    from autograder.pipeline import grade

    os.environ["PATH"] = f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}"  # nbgrader's alembic
    root = tmp_path_factory.mktemp("repair-corpus")
    files = {"intact": nbformat.writes(make_submission(correct_answers())).encode(),
             "other_assignment": _other_assignment(),
             "empty": nbformat.writes(new_notebook()).encode()}
    for name, (build, mistake) in SAVES.items():
        files[name] = build(correct_answers())
        files[f"{name}__mistake"] = build(with_mistake(mistake))
    for mistake in {m for _, m in SAVES.values()}:
        files[f"intact__{mistake}"] = nbformat.writes(
            make_submission(with_mistake(mistake))).encode()
    subs = root / "subs"
    subs.mkdir()
    for sid, data in files.items():
        (subs / f"{sid}.ipynb").write_bytes(data)
    result = grade(subs, root / "out", progress=False, assignment=ASSIGNMENT)
    return {row.student_id: row for row in result.rows}, root / "out"


@pytest.mark.parametrize("name", list(SAVES))
def test_correct_answers_get_full_marks_however_the_notebook_was_saved(batch, name):
    rows, _ = batch
    row = rows[name]
    assert (row.score, row.status.split(":")[0]) in {(MAX_SCORE, "graded"),
                                                    (MAX_SCORE, "repaired")}, row.status


@pytest.mark.parametrize("name", list(SAVES))
def test_one_planted_mistake_costs_exactly_what_it_costs_in_an_intact_notebook(batch, name):
    rows, _ = batch
    mistake = SAVES[name][1]
    intact = rows[f"intact__{mistake}"]
    assert intact.score < MAX_SCORE  # the mistake does cost points
    assert rows[f"{name}__mistake"].points == intact.points, rows[f"{name}__mistake"].status


def test_the_intact_notebook_is_left_alone(batch):
    rows, _ = batch
    assert (rows["intact"].score, rows["intact"].status) == (MAX_SCORE, "graded")


# What each save needed, as the status says it (the counts follow from the release: 35 test
# cells, 10 solution cells and the set-up cell carry nbgrader metadata).
STATUS = {
    "colab": "repaired: nbgrader metadata restored on 46 cells",
    "stripped": "repaired: nbgrader metadata restored on 46 cells",
    "vscode": "graded",
    "notebook6": "graded",
    "jupyterlite": "graded",
    "exploration": "graded",
    "large_outputs": "graded",
    "deleted": "repaired: 6 deleted cells put back",
    "duplicated": "repaired: 2 duplicated cells resolved (the last copy counts)",
    # Part D above Part C is fine as it is; relu_derivative's answer at the very end takes
    # every test from relu_derivative's on below it (18), and the moved tanh test back below
    # its function.
    "reordered": "repaired: 18 test cells moved below the answers",
    # 46 cells less the split set-up cell, which no longer matches and is put back whole
    "split": "repaired: nbgrader metadata restored on 45 cells, 1 deleted cell put back",
    "answer_below_stub": "repaired: nbgrader metadata restored on 3 cells, 3 duplicated cells "
                         "resolved (the last copy counts)",
    # the set-up cell, 35 tests and the one cell that answers all 10 functions
    "all_in_one_cell": "repaired: nbgrader metadata restored on 37 cells, 10 duplicated cells "
                       "resolved (the last copy counts), 35 test cells moved below the answers",
}


@pytest.mark.parametrize("name", sorted(STATUS))
def test_the_status_says_what_was_repaired(batch, name):
    rows, _ = batch
    assert rows[name].status == STATUS[name]


def test_the_learners_feedback_says_what_was_repaired(batch):
    _, out = batch
    page = (out / "feedback" / "colab" / f"{ASSIGNMENT}.html").read_text()
    assert "nbgrader metadata of 46 cells was missing or changed" in page
    results = json.loads((out / "results" / "deleted.json").read_text())
    assert "deleted test cells were put back: sigmoid_values" in results["output"]


def test_another_assignments_notebook_is_reported_and_the_batch_goes_on(batch):
    rows, _ = batch
    row = rows["other_assignment"]
    assert row.score == 0.0
    assert row.status.startswith("not gradable: no cell defines any of this assignment's "
                                 "functions (sigmoid,")
    assert rows["empty"].status == "not gradable: the notebook has no code in it"
