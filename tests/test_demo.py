"""`python -m autograder demo`: a small made-up class, graded end to end."""

import csv
import io

import nbformat
import pytest

from autograder import demo
from autograder.report import Row
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


def test_table_has_a_line_per_demo_student_and_names_the_tests_a_mistake_lost():
    # Four one-point tests; relu_at_0 lost exactly one of them.
    max_points = {"relu_values": 1.0, "relu_derivative_values": 1.0,
                  "relu_derivative_at_zero": 1.0, "relu_derivative_inputs": 1.0}  # fmt: skip
    rows = [
        Row("correct", 4.0, 4.0, "graded", dict.fromkeys(max_points, 1.0)),
        Row("relu_at_0", 3.0, 4.0, "graded", {**max_points, "relu_derivative_at_zero": 0.0}),
        Row("untouched", 0.0, 4.0, "graded", dict.fromkeys(max_points, 0.0)),
    ]
    out = io.StringIO()
    demo.print_table(rows, max_points, out)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["student", "score", "status"]
    by_id = {line.split()[0]: i for i, line in enumerate(lines)}
    assert set(IDS) <= set(by_id)
    correct = lines[by_id["correct"]]
    assert "4/4" in correct and "graded" in correct and "the reference answers" in correct
    assert lines[by_id["relu_at_0"] + 1].split() == ["lost", "points", "in:",
                                                     "relu_derivative_at_zero"]  # fmt: skip
    # Only relu_at_0 gets the line: a score of 0 lost everything, so naming tests says nothing.
    assert sum("lost points in" in line for line in lines) == 1
    assert "missing from the grading results" in lines[by_id["not_json"]]


def test_lost_points_names_at_most_three_tests_then_counts_the_rest():
    max_points = {f"t{i}": 1.0 for i in range(5)}
    row = Row("lecture", 0.5, 5.0, "graded", {"t0": 0.5})
    out = io.StringIO()
    demo.print_table([row], max_points, out)
    assert "lost points in: t0, t1, t2 and 2 more" in out.getvalue()


@pytest.mark.slow
def test_demo_grades_every_demo_student_into_the_output_folder(tmp_path):
    out = tmp_path / "demo_output"
    printed = io.StringIO()
    assert demo.run(out, stream=printed) == 0, printed.getvalue()
    text = printed.getvalue()

    with (out / "activation_derivatives" / "grades.csv").open(newline="") as handle:
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
    assert (out / "activation_derivatives" / "feedback" / "correct" /
            "activation_derivatives.html").is_file()
    for sid in IDS:
        assert sid in text
    assert "Feedback:" in text and "grades.csv" in text

    # The second assignment's class, in a workspace of its own: the reference answers get full
    # marks, each one-function mistake loses exactly its one-point cell (21 cells of 1 point).
    backprop = out / demo.BACKPROP
    with (backprop / "grades.csv").open(newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {s.student_id for s in demo.BACKPROP_CLASS}
    score = {sid: float(row["score"]) for sid, row in rows.items()}
    assert float(rows["correct"]["max_score"]) == 21
    assert score == {"correct": 21, "in_place": 20, "cost_no_clip": 20, "not_json": 0,
                     "untouched": 0}
    assert float(rows["in_place"]["update_parameters_keeps_input"]) == 0
    assert float(rows["cost_no_clip"]["compute_cost_at_zero_and_one"]) == 0
    assert (backprop / "feedback" / "in_place" / f"{demo.BACKPROP}.html").is_file()
    assert text.index("Assignment 1 of 2: activation_derivatives") < text.index(
        "Assignment 2 of 2: backprop_one_hidden_layer")
