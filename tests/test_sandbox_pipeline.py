"""The whole adversarial corpus graded as one batch by the pipeline, with sandboxed kernels and the
clean-room cap: the batch completes, no attack scores above the all-zeros submission, and the
honest student next to them keeps full marks."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from autograder.isolation.sandbox import sandbox_problem
from autograder.submissions import ASSIGNMENT, single_cell_submission

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}"),
]

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "adversarial"


def test_adversarial_batch_completes_and_no_attack_beats_all_zeros(tmp_path, monkeypatch):
    from autograder.pipeline import grade
    from autograder.submissions import correct_answers, make_submission

    monkeypatch.setenv("PATH", f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}")
    subs, out = tmp_path / "subs", tmp_path / "out"
    gradebook = out / "gradebook.db"
    notebooks = {"honest": make_submission(correct_answers())}
    for path in sorted(CORPUS.glob("*.py")):
        code = path.read_text().replace("__GRADEBOOK__", str(gradebook))
        notebooks[path.stem] = single_cell_submission(code)
    for student, notebook in notebooks.items():
        folder = subs / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, str(folder / f"{ASSIGNMENT}.ipynb"))

    # 5 s per cell: the honest notebook's slowest cell takes well under 1 s. The clean room is
    # on, as in every run where the sandbox starts (the assignment's checks, caps_hook).
    result = grade(subs, out, progress=False, timeout=5.0, assignment=ASSIGNMENT)
    scores = {row.student_id: row.score or 0.0 for row in result.rows}
    statuses = {row.student_id: row.status for row in result.rows}
    assert set(scores) == set(notebooks)
    assert scores["honest"] == 35.0, statuses["honest"]
    bound = scores["honest_all_zeros"]
    above = {s: (scores[s], statuses[s]) for s in scores if s != "honest" and scores[s] > bound}
    assert above == {}
