"""`python -m autograder demo`: a small made-up class per assignment, graded end to end."""

import csv
import io

import nbformat
import pytest
from answers_support import honest

from autograder import course as courses
from autograder import demo
from autograder.execute import function_of
from autograder.report import Row
from autograder.submissions import correct_answers, grade_cells, read_notebook


def _shown(a) -> list:
    """The catalogue entries the demo plants in `a`'s class: the manifest's `demo` keys, else
    the first entry of each of the first functions (demo.MISTAKES_SHOWN of them)."""
    entries = a.catalogue()
    if a.demo:
        by_key = {e.key: e for e in entries}
        return [by_key[key] for key in a.demo]
    firsts = {}
    for e in entries:
        firsts.setdefault(e.function, e)
    return list(firsts.values())[: demo.MISTAKES_SHOWN]


def test_each_demo_class_has_the_correct_answers_variants_mistakes_and_broken_files(assignment):
    students = demo.demo_class(assignment)
    ids = [s.student_id for s in students]
    assert len(ids) == len(set(ids))
    expected = ["correct", *honest(assignment), *(e.key for e in _shown(assignment)),
                "not_json", "untouched"]
    assert ids == expected
    for student, entry in zip(students[1 + len(honest(assignment)):], _shown(assignment),
                              strict=False):
        assert student.what == f"{entry.function}: {entry.name}"  # the catalogue's own name


def test_every_mistake_a_manifest_names_for_its_demo_is_in_its_catalogue(assignment):
    # The demo plants only keys it finds: a mistyped key would silently plant nothing.
    assert set(assignment.demo) <= {entry.key for entry in assignment.catalogue()}


def test_the_first_assignments_demo_shows_its_honest_variants_and_four_mistakes():
    first = courses.assignments()[0]
    ids = [s.student_id for s in demo.demo_class(first)]
    assert ids[:3] == ["correct", "lecture", "lists"]  # the model answers, then its variants
    assert len(first.demo) == 4 and ids[3:7] == list(first.demo)


def test_every_assignment_has_a_demo_class_in_the_modules_order():
    assert list(demo.classes()) == courses.names()


def test_writing_the_demo_class_replaces_stale_submissions(tmp_path, assignment):
    notebook = assignment.notebook
    stale = tmp_path / "someone_old" / assignment.name / notebook
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    paths = demo.write_demo_class(tmp_path, assignment)
    ids = [s.student_id for s in demo.demo_class(assignment)]
    assert sorted(p.relative_to(tmp_path).parts[0] for p in paths) == sorted(ids)
    assert not stale.exists()
    assert nbformat.read(tmp_path / "correct" / assignment.name / notebook, 4)


def test_table_has_a_line_per_demo_student_and_names_the_tests_a_mistake_lost():
    # Four one-point tests; relu_at_0 lost exactly one of them.
    max_points = {"relu_values": 1.0, "relu_derivative_values": 1.0,
                  "relu_derivative_at_zero": 1.0, "relu_derivative_inputs": 1.0}  # fmt: skip
    students = (demo.DemoStudent("correct", "the reference answers", lambda: b""),
                demo.DemoStudent("relu_at_0", "relu_derivative: slope 1 at z = 0", lambda: b""),
                demo.DemoStudent("untouched", "the release handed in unchanged", lambda: b""),
                demo.DemoStudent("not_json", "a file that is not a notebook", lambda: b""))
    rows = [
        Row("correct", 4.0, 4.0, "graded", dict.fromkeys(max_points, 1.0)),
        Row("relu_at_0", 3.0, 4.0, "graded", {**max_points, "relu_derivative_at_zero": 0.0}),
        Row("untouched", 0.0, 4.0, "graded", dict.fromkeys(max_points, 0.0)),
    ]
    out = io.StringIO()
    demo.print_table(rows, max_points, out, students)
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["student", "score", "status"]
    by_id = {line.split()[0]: i for i, line in enumerate(lines)}
    assert {s.student_id for s in students} <= set(by_id)
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
    demo.print_table([row], max_points, out, (demo.DemoStudent("lecture", "", lambda: b""),))
    assert "lost points in: t0, t1, t2 and 2 more" in out.getvalue()


@pytest.mark.slow
def test_demo_grades_every_assignments_class_into_the_output_folder(tmp_path):
    out = tmp_path / "demo_output"
    printed = io.StringIO()
    assert demo.run(out, stream=printed) == 0, printed.getvalue()
    text = printed.getvalue()
    found = courses.assignments()
    for number, a in enumerate(found, start=1):
        assert f"Assignment {number} of {len(found)}: {a.name} ({a.title})" in text
        with (out / a.name / "grades.csv").open(newline="") as handle:
            rows = {row["student_id"]: row for row in csv.DictReader(handle)}
        students = demo.demo_class(a)
        assert list(rows) == sorted(s.student_id for s in students)
        top = float(rows["correct"]["max_score"])
        release = grade_cells(read_notebook(a.release))
        assert top == sum(float(c.metadata.nbgrader["points"]) for c in release.values())
        score = {sid: float(row["score"]) for sid, row in rows.items()}
        # The model answers and every honest variant: full marks, nothing to say.
        for sid in ["correct", *honest(a)]:
            assert (score[sid], rows[sid]["status"]) == (top, "graded"), (a.name, sid)
        assert score["untouched"] == 0
        assert rows["not_json"]["status"].startswith("not a notebook")
        assert score["not_json"] == 0
        # A planted mistake loses points in its own function's tests only, and keeps the rest.
        functions = list(correct_answers(a.source))
        for entry in _shown(a):
            lost = [g for g in release if float(rows[entry.key][g])
                    < float(release[g].metadata.nbgrader["points"])]
            assert lost, f"{a.name}: {entry.key} lost no point"
            assert {function_of(g, functions) for g in lost} == {entry.function}, entry.key
        assert (out / a.name / "feedback" / "correct" / f"{a.name}.html").is_file()
        for sid in rows:
            assert sid in text
    assert text.index(f"Assignment 1 of {len(found)}") < text.index(f"Assignment 2 of "
                                                                     f"{len(found)}")
    assert "Feedback:" in text and "grades.csv" in text
