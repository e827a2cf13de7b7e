"""`python -m autograder demo`: a small made-up class, graded end to end."""

import csv
import io

import nbformat
import pytest

from autograder import demo
from autograder.submissions import COMMON_MISTAKES, NOTEBOOK_NAME

IDS = [student.student_id for student in demo.CLASS]


def test_demo_class_has_the_correct_answers_lecture_formulas_mistakes_and_broken_files():
    assert {"correct", "lecture", "not_json", "untouched"} <= set(IDS)
    descriptions = {m.description for m in COMMON_MISTAKES.values()}
    mistakes = [s for s in demo.CLASS if s.what in descriptions]
    assert 3 <= len(mistakes) <= 4  # "a handful": each one a different common mistake
    assert len(IDS) == len(set(IDS))


def test_writing_the_demo_class_replaces_stale_submissions(tmp_path):
    stale = tmp_path / "someone_old" / "activation_derivatives" / NOTEBOOK_NAME
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    paths = demo.write_demo_class(tmp_path)
    assert sorted(p.relative_to(tmp_path).parts[0] for p in paths) == sorted(IDS)
    assert not stale.exists()
    assert nbformat.read(tmp_path / "correct" / "activation_derivatives" / NOTEBOOK_NAME, 4)


def test_table_has_a_line_per_demo_student_with_score_status_and_what_it_is():
    grades = {"correct": {"student_id": "correct", "score": "30.0", "max_score": "30.0",
                          "status": "graded"}}  # fmt: skip
    out = io.StringIO()
    demo.print_table(grades, out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["student", "score", "status"]
    assert len(lines) == 1 + len(IDS)
    correct = next(line for line in lines if line.split()[0] == "correct")
    assert "30/30" in correct and "graded" in correct and "the reference answers" in correct
    missing = next(line for line in lines if line.split()[0] == "untouched")
    assert "missing from grades.csv" in missing


@pytest.mark.slow
def test_demo_grades_every_demo_student_into_the_output_folder(tmp_path):
    pytest.importorskip(
        "autograder.pipeline", reason="autograder.pipeline.grade is not committed yet"
    )
    out = tmp_path / "demo_output"
    printed = io.StringIO()
    assert demo.run(out, stream=printed) == 0, printed.getvalue()
    text = printed.getvalue()

    with (out / "grades.csv").open(newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(IDS)
    score = {sid: float(row["score"]) for sid, row in rows.items()}
    top = float(rows["correct"]["max_score"])
    assert top > 0
    assert score["correct"] == top
    assert score["untouched"] == 0
    assert rows["not_json"]["status"].startswith("not a notebook"), rows["not_json"]
    assert score["not_json"] == 0
    for student in demo.CLASS:
        if student.what in {m.description for m in COMMON_MISTAKES.values()}:
            # One wrong function among ten: some points lost, most kept.
            assert 0 < score[student.student_id] < top, student.student_id
    assert (out / "feedback" / "correct" / "activation_derivatives.html").is_file()
    for sid in IDS:
        assert sid in text
    assert "Feedback:" in text and "grades.csv" in text
