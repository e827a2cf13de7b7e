"""Fast tests of the autograder's stages that need no kernel."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output
from test_autograder_course import ASSIGNMENT, NOTEBOOK, make_course, source_notebook

from autograder.collect import MAX_NOTEBOOK_BYTES, CollectError, collect
from autograder.execute import Limits, function_of, limit_outputs
from autograder.feedback import gradescope, html
from autograder.messages import Outcome, failure_message
from autograder.notebook import Assignment, GradeCell, NotANotebook, parse_notebook
from autograder.report import Row, summary, write_csv
from autograder.sanitize import restore_metadata
from autograder.workspace import Workspace, WorkspaceError

NB_BYTES = nbformat.writes(source_notebook()).encode()


def _nbgrader_layout(root: Path, students: dict[str, bytes], name: str = NOTEBOOK) -> Path:
    for sid, data in students.items():
        path = root / sid / ASSIGNMENT / name
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    return root


def _zip(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                zf.write(file, prefix + str(file.relative_to(folder)))
    return target


# ---------------------------------------------------------------------------- collect


def test_collect_reads_nbgrader_layout_one_submission_per_student(tmp_path):
    folder = _nbgrader_layout(tmp_path / "subs", {"bob": b"B", "alice": b"A"})
    found = collect(folder, assignment=ASSIGNMENT)
    assert [(s.student_id, s.content, s.problem) for s in found] == [
        ("alice", b"A", None), ("bob", b"B", None)]


def test_collect_reads_a_zip_of_a_folder_in_nbgrader_layout(tmp_path):
    folder = _nbgrader_layout(tmp_path / "subs", {"alice": b"A"})
    found = collect(_zip(folder, tmp_path / "subs.zip", prefix="subs/"), assignment=ASSIGNMENT)
    assert [(s.student_id, s.content) for s in found] == [("alice", b"A")]


def test_collect_reads_lms_flat_files_from_folder_and_zip(tmp_path):
    folder = tmp_path / "lms"
    folder.mkdir()
    (folder / "s1.ipynb").write_bytes(b"1")
    (folder / "s2.ipynb").write_bytes(b"2")
    (folder / ".DS_Store").write_bytes(b"junk")  # hidden files are never students
    for source in (folder, _zip(folder, tmp_path / "lms.zip")):
        found = collect(source, assignment=ASSIGNMENT)
        assert [(s.student_id, s.content) for s in found] == [("s1", b"1"), ("s2", b"2")]


def test_collect_uses_submitted_folder_of_a_course_root(tmp_path):
    _nbgrader_layout(tmp_path / "course" / "submitted", {"alice": b"A"})
    (tmp_path / "course" / "nbgrader_config.py").write_text("")
    (tmp_path / "course" / "source").mkdir()
    assert [s.student_id for s in collect(tmp_path / "course", assignment=ASSIGNMENT)] == ["alice"]


def test_collect_names_the_wrong_file_name_it_found(tmp_path):
    folder = _nbgrader_layout(tmp_path / "subs", {"carol": b"C"}, name="my_homework.ipynb")
    [sub] = collect(folder, assignment=ASSIGNMENT)
    assert sub.content is None
    assert sub.problem == "no activation_derivatives.ipynb (found my_homework.ipynb)"


def test_collect_reports_a_missing_assignment_folder(tmp_path):
    path = tmp_path / "subs" / "dan" / "homework1" / "x.ipynb"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x")
    (tmp_path / "subs" / "alice" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "subs" / "alice" / ASSIGNMENT / NOTEBOOK).write_bytes(b"A")
    found = {s.student_id: s.problem for s in collect(tmp_path / "subs", assignment=ASSIGNMENT)}
    assert found == {"alice": None,
                     "dan": "no activation_derivatives.ipynb (found homework1/x.ipynb)"}


def test_collect_refuses_an_oversized_file_without_reading_it(tmp_path, monkeypatch):
    monkeypatch.setattr("autograder.collect.MAX_NOTEBOOK_BYTES", 10)  # 10 bytes: tiny on purpose
    folder = _nbgrader_layout(tmp_path / "subs", {"eve": b"x" * 11})
    [sub] = collect(folder, assignment=ASSIGNMENT)
    assert sub.content is None and sub.problem.startswith("not a notebook: the file is")
    assert MAX_NOTEBOOK_BYTES >= 2**20  # the real limit leaves room for a notebook with plots


@pytest.mark.parametrize("make", ["missing", "empty", "text"])
def test_collect_gives_a_clear_error_for_an_instructor_mistake(tmp_path, make):
    target = tmp_path / "subs"
    if make == "empty":
        target.mkdir()
    elif make == "text":
        target.write_text("not a zip")
    with pytest.raises(CollectError) as error:
        collect(target, assignment=ASSIGNMENT)
    assert str(target) in str(error.value) and "\n" not in str(error.value)


# ---------------------------------------------------------------------------- cells and functions


def test_function_of_picks_the_longest_matching_function_name():
    functions = ["relu", "relu_derivative", "sigmoid", "sigmoid_derivative_from_activation"]
    assert function_of("relu_derivative_at_zero", functions) == "relu_derivative"
    assert function_of("relu_positive", functions) == "relu"
    assert function_of("sigmoid_derivative_from_activation_range", functions) == (
        "sigmoid_derivative_from_activation")
    assert function_of("imports", functions) is None
    assert function_of(None, functions) is None


# ---------------------------------------------------------------------------- output limits

LIMITS = Limits(max_text_chars=100, max_display_bytes=1000, max_outputs=3, max_error_chars=50)


def test_huge_text_output_is_cut_to_the_limit_with_a_note():
    cell = new_code_cell("", outputs=[new_output("stream", name="stdout", text="y" * 10**6)])
    limit_outputs(cell, LIMITS)
    [out] = cell.outputs
    assert out.text.startswith("y" * 100) and "truncated" in out.text and len(out.text) < 200


def test_stderr_after_the_limit_is_kept_so_the_test_still_fails():
    # nbgrader's determine_grade fails a test cell with stderr output; truncating must keep that.
    cell = new_code_cell("", outputs=[new_output("stream", name="stdout", text="y" * 500),
                                      new_output("stream", name="stderr", text="warning!")])
    limit_outputs(cell, LIMITS)
    assert [o.name for o in cell.outputs] == ["stdout", "stderr"]


def test_huge_image_is_replaced_by_a_short_note_and_extra_displays_are_dropped():
    png = new_output("display_data", data={"image/png": "A" * 10**6, "text/plain": "<Figure>"})
    small = [new_output("display_data", data={"text/plain": str(i)}) for i in range(5)]
    cell = new_code_cell("", outputs=[png, *small])
    limit_outputs(cell, LIMITS)
    assert "removed" in cell.outputs[0].data["text/plain"]
    assert "image/png" not in cell.outputs[0].data
    assert len(json.dumps(cell.outputs)) < 1000  # 3 kept displays + 1 note, all short
    assert cell.outputs[-1].text == "[3 more outputs were removed]\n"  # 6 displays, 3 kept


def test_long_error_message_is_cut():
    err = new_output("error", ename="ValueError", evalue="v" * 5000, traceback=["t"] * 500)
    cell = new_code_cell("", outputs=[err])
    limit_outputs(cell, LIMITS)
    assert len(cell.outputs[0].evalue) < 100 and len(cell.outputs[0].traceback) <= 41


# ---------------------------------------------------------------------------- reading notebooks


@pytest.mark.parametrize(("content", "reason"), [
    (b"hello", "not a notebook: the file is not JSON"),
    (b"\xff\xfe\x00", "not a notebook: the file is not UTF-8 text"),
])
def test_unreadable_files_are_not_notebooks_with_a_reason(content, reason):
    with pytest.raises(NotANotebook) as error:
        parse_notebook(content)
    assert str(error.value) == reason


def test_json_that_is_not_a_notebook_is_refused():
    with pytest.raises(NotANotebook) as error:
        parse_notebook(json.dumps({"cells": "nope"}).encode())
    assert str(error.value).startswith("not a notebook: ")


def test_parse_notebook_reads_a_valid_notebook():
    assert parse_notebook(NB_BYTES).cells[2].metadata.nbgrader.grade_id == "double"


# ---------------------------------------------------------------------------- metadata


def _assignment() -> Assignment:
    nb = source_notebook()
    canonical = {c.metadata.nbgrader.grade_id: dict(c.metadata.nbgrader)
                 for c in nb.cells if "nbgrader" in c.metadata}
    return Assignment(("double", "square"), (), canonical, ASSIGNMENT)


def test_restore_metadata_undoes_edited_points_and_drops_made_up_grade_cells():
    nb = source_notebook()
    nb.cells[3].metadata.nbgrader["points"] = 100  # double_of_two: 1 point in the source
    nb.cells.append(new_code_cell("pass", metadata={"nbgrader": {
        "grade": True, "grade_id": "bonus", "points": 50, "locked": False, "solution": False}}))
    assert restore_metadata(nb, _assignment()) == 2
    assert nb.cells[3].metadata.nbgrader["points"] == 1
    assert "nbgrader" not in nb.cells[-1].metadata


# ---------------------------------------------------------------------------- feedback

HIDDEN = GradeCell("double_negative", 2.0, "double works for <negative> numbers.", True, "double")
VISIBLE = GradeCell("double_of_two", 1.0, "double(2) is 4.", False, "double")


def test_hidden_failure_message_keeps_only_the_first_line_of_the_error():
    cell = new_code_cell("", outputs=[new_output(
        "error", ename="AssertionError", evalue="\nNot equal\n x: array([1, 2])\n y: array([3])",
        traceback=["assert secret_expected == 42"])])
    assert failure_message(cell, HIDDEN, 0.0) == "AssertionError: Not equal"
    assert failure_message(cell, VISIBLE, 0.0) == (
        "AssertionError: Not equal x: array([1, 2]) y: array([3])")


def test_hidden_stderr_text_is_not_quoted():
    stderr = new_output("stream", name="stderr", text="  assert x == 7\n")
    cell = new_code_cell("", outputs=[stderr])
    assert "assert" not in failure_message(cell, HIDDEN, 0.0)


def test_feedback_html_escapes_text_and_shows_points():
    outcomes = [Outcome(HIDDEN, 0.0, "AssertionError: <script>alert(1)</script>"),
                Outcome(VISIBLE, 1.0, "")]
    page = html("s<1>", "graded", 1.0, 3.0, outcomes, [], "Doubling <and> squaring")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<h1>Doubling &lt;and&gt; squaring: 1 / 3</h1>" in page  # the manifest's title
    assert "double works for &lt;negative&gt; numbers." in page
    assert "0 / 2" in page and "1 / 1" in page and "1 / 3" in page


def test_gradescope_results_follow_the_schema():
    outcomes = [Outcome(HIDDEN, 0.0, "AssertionError: wrong sign"), Outcome(VISIBLE, 1.0, "")]
    results = json.loads(gradescope("graded", 1.0, outcomes, ["a note"]))
    assert results["score"] == 1.0
    assert [t["visibility"] for t in results["tests"]] == ["after_published", "visible"]
    for test in results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output", "visibility"}
    assert results["tests"][0]["output"] == "AssertionError: wrong sign"


# ---------------------------------------------------------------------------- report


def test_grades_csv_has_fixed_then_grade_columns_and_leaves_no_temp_file(tmp_path):
    rows = [Row("b", 1.0, 3.0, "graded", {"t1": 1.0, "t2": 0.0}),
            Row("a", None, 3.0, "error: kernel did not start (run again to retry)")]
    write_csv(tmp_path / "grades.csv", rows, ["t1", "t2"])
    assert (tmp_path / "grades.csv").read_text().splitlines() == [
        "student_id,score,max_score,status,t1,t2",
        "a,,3,error: kernel did not start (run again to retry),,",
        "b,1,3,graded,1,0",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


def test_summary_counts_statuses_and_lists_most_failed_tests():
    rows = [Row("a", 3.0, 3.0, "graded", {"t1": 1, "t2": 2}),
            Row("b", 1.0, 3.0, "timed out in relu", {"t1": 1, "t2": 0}),
            Row("c", 0.0, 3.0, "timed out in tanh", {"t1": 0, "t2": 0})]
    text = summary(rows, ["t1", "t2"], {"t1": 1.0, "t2": 2.0})
    counts = [line.split() for line in text.splitlines()[2:4]]
    assert counts == [["timed", "out", "2"], ["graded", "1"]]  # the two timeouts are one kind
    assert "mean score: 1.33 / 3" in text and "median: 1 / 3" in text
    failed = text.split("tests most often failed:")[1].split()
    assert failed[:4] == ["t2", "2", "of", "3"]  # b and c lost t2; only c lost t1


def test_summary_counts_students_not_occurrences():
    # One student timed out twice and lost points in the clean room twice: one student in
    # each kind, as the column's header says (the counts need not add up to 3).
    rerun = "{} lost points when re-run on its own ({}_values: see the feedback)"
    rows = [Row("a", 0.0, 3.0, "; ".join(["timed out in relu", "timed out in tanh",
                                          rerun.format("relu", "relu"),
                                          rerun.format("tanh", "tanh")]), {}),
            Row("b", 1.0, 3.0, "timed out in relu", {}),
            Row("c", 3.0, 3.0, "graded", {})]
    text = summary(rows, ["t1"], {"t1": 3.0})
    table = text.split("\n\n")[0].splitlines()[2:]
    counts = {" ".join(line.split()[:-1]): int(line.split()[-1]) for line in table}
    assert counts == {"timed out": 2, "graded": 1, "relu lost points when re-run on its own": 1,
                      "tanh lost points when re-run on its own": 1}, text


# ---------------------------------------------------------------------------- workspace


def test_workspace_refuses_a_folder_that_holds_other_course_files(tmp_path):
    course = make_course(tmp_path / "course")
    out = tmp_path / "out"
    out.mkdir()
    (out / "gradebook.db").write_text("someone else's")
    with pytest.raises(WorkspaceError, match="already holds gradebook.db"):
        Workspace(out, course, assignment=ASSIGNMENT).prepare()


def test_workspace_refuses_to_write_into_the_course_itself(tmp_path):
    course = make_course(tmp_path / "course")
    with pytest.raises(WorkspaceError, match="holds the course itself"):
        Workspace(course, course, assignment=ASSIGNMENT).prepare()


def test_workspace_needs_a_course_with_config_and_source(tmp_path):
    with pytest.raises(WorkspaceError, match="is not a course"):
        Workspace(tmp_path / "out", tmp_path, assignment=ASSIGNMENT).prepare()


# ---------------------------------------------------------------------------- the regrade key


@pytest.fixture
def course_copy(tmp_path, monkeypatch) -> Path:
    """A copy of this repository's course and of the grader's code, the digest's inputs."""
    from autograder import course as courses

    skip = shutil.ignore_patterns("__pycache__")
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(courses.REPO / "nbgrader_config.py", root)
    for folder in ("source", "solutions"):
        shutil.copytree(courses.REPO / folder, root / folder, ignore=skip)
    monkeypatch.setattr(courses, "GRADER", shutil.copytree(courses.GRADER, tmp_path / "grader",
                                                           ignore=skip))
    courses.grader_digest.cache_clear()
    yield root
    courses.grader_digest.cache_clear()  # the real grader's again


def test_the_regrade_key_changes_with_everything_that_decides_a_grade(course_copy, monkeypatch):
    from autograder import course as courses

    first, second = courses.assignments(course_copy)[:2]
    options = {"timeout": 10.0, "clean_room": True}
    monkeypatch.delenv("ACTIVATION_KINK_POLICY", raising=False)  # the course's default setting
    base = courses.digest(first, options)
    assert courses.digest(first, dict(options)) == base  # the same inputs, the same key

    def edited(path: Path, old: str, new: str) -> str:
        """The key with `old` replaced by `new` in `path` (the file is put back after)."""
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{path.name} no longer holds {old!r}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        courses.grader_digest.cache_clear()
        try:
            return courses.digest(first, options)
        finally:
            path.write_text(text, encoding="utf-8")
            courses.grader_digest.cache_clear()

    package = course_copy / "solutions" / first.name
    changes = {
        "a check's tolerance": edited(package / "checks.py", "CENTRAL_TOL = 1e-8",
                                      "CENTRAL_TOL = 1e-7"),
        "the shared tolerance": edited(course_copy / "solutions" / "elementwise.py",
                                       "RTOL, ATOL = 1e-9, 1e-15", "RTOL, ATOL = 1e-8, 1e-15"),
        "a catalogue entry": edited(package / "mistakes.py", '"slope 1 at z = 0"',
                                    '"slope one at z = 0"'),
        "the source notebook": edited(first.source, '"points": 1', '"points": 2'),
        "nbgrader_config.py": edited(course_copy / "nbgrader_config.py", "\n", "\n# edited\n"),
        "the grader's code": edited(courses.GRADER / "report.py", '"""', '"""Edited. '),
        "--timeout": courses.digest(first, {**options, "timeout": 11.0}),
        "the clean room": courses.digest(first, {**options, "clean_room": False}),
    }
    with monkeypatch.context() as setting:  # put back as it was, set or not
        setting.setenv("ACTIVATION_KINK_POLICY", "subgradient")  # a setting its manifest names
        changes["a grading setting"] = courses.digest(first, options)
    assert courses.digest(first, options) == base  # every file put back
    assert {what: key == base for what, key in changes.items()} == dict.fromkeys(changes, False)
    assert len(set(changes.values())) == len(changes)
    # What does not decide this assignment's grades leaves its key alone.
    unrelated = edited(second.package / "checks.py", "\n", "\n# another assignment's\n")
    assert unrelated == base
