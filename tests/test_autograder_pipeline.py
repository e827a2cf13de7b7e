"""End-to-end grading of crafted submissions of the stand-in course, with exact expectations.

One batch is graded once per module (fixture `batch`) and shared by most tests.

Stand-in scoring (tests/test_autograder_course.py): double_of_two 1, double_negative 2 (hidden),
square_of_three 1, square_hidden 3 (hidden); 7 points in all. Notebook cells, 1-based:
1 markdown, 2 imports, 3 double, 4 double_of_two, 5 double_negative, 6 markdown, 7 square,
8 square_of_three, 9 square_hidden.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from test_autograder_course import (
    ASSIGNMENT,
    GRADE_IDS,
    HIDDEN_MARKER,
    HIDDEN_MARKER_2,
    MAX_SCORE,
    NOTEBOOK,
    SOLUTION_MARKER,
    SOLUTION_MARKER_2,
    answer,
    cell,
    make_course,
    release_notebook,
    write,
)

from autograder.pipeline import GradingError, grade
from autograder.workspace import Workspace

pytestmark = pytest.mark.slow

# Long enough that an ordinary cell never hits it on a busy 2-core machine, short enough that
# the endless loop costs little.
TIMEOUT = 5.0


def _delete(nb, *grade_ids):
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                not in grade_ids]
    return nb


def _corpus(release) -> dict[str, bytes | tuple[str, bytes]]:
    """student_id -> notebook bytes (or (file name, bytes) for a misnamed file)."""
    edited_tests = answer(release, double="return 2 * abs(x)")
    cell(edited_tests, "double_negative").source = '"""double works."""\npass'
    edited_meta = answer(release, square="return x * abs(x)")
    cell(edited_meta, "double_of_two").metadata.nbgrader["points"] = 100
    hidden = cell(edited_meta, "square_hidden")
    hidden.metadata.nbgrader.update(grade_id="bonus", points=50)
    hidden.source = "pass"
    duplicated = answer(release, double="return 2 * x if x > 0 else 0")
    fake = copy.deepcopy(cell(duplicated, "double_negative"))
    fake.source = "pass"  # a copy of the hidden test cell, emptied, placed after the real one
    duplicated.cells.append(fake)
    duplicated.cells.insert(3, copy.deepcopy(cell(duplicated, "double")))
    kernelspec = answer(release)
    kernelspec.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    huge = answer(release, double="print('y' * 10**7)\nreturn 2 * x")
    huge.cells.append(new_code_cell(
        "from IPython.display import display\n"
        "display({'image/png': 'A' * 5_000_000, 'text/plain': 'big'}, raw=True)"))
    import_error = answer(release)
    c = cell(import_error, "double")
    c.source = "import no_such_module_for_grading\n" + c.source
    return {
        "correct": write(answer(release)),
        "untouched": write(release),
        "syntax_error": write(answer(release, double="return 2 * x)")),
        "not_json": b"{this is not json",
        "wrong_name": ("my_homework.ipynb", write(answer(release))),
        "deleted_tests": write(_delete(answer(release), "double_negative", "square_of_three")),
        "edited_tests": write(edited_tests),
        "edited_metadata": write(edited_meta),
        "duplicated_cells": write(duplicated),
        "changed_kernelspec": write(kernelspec),
        "infinite_loop": write(answer(release, double="while True:\n    pass")),
        "sys_exit": write(answer(release, square="import sys\nsys.exit(1)")),
        "os_exit": write(answer(release, double="import os\nos._exit(1)")),
        "huge_output": write(huge),
        "import_error": write(import_error),
    }


# student -> (status, points per grade cell in GRADE_IDS order), with the reason for each.
EXPECTED = {
    "correct": ("graded", [1, 2, 1, 3]),
    "untouched": ("graded", [0, 0, 0, 0]),  # stubs raise NotImplementedError
    "syntax_error": ("graded", [0, 0, 1, 3]),  # double is never defined; square still counts
    "not_json": ("not a notebook: the file is not JSON", [0, 0, 0, 0]),
    # Correct work under another name is graded, with a note.
    "wrong_name": ("graded; graded under another name (my_homework.ipynb)", [1, 2, 1, 3]),
    # restored cells pass on a correct answer
    "deleted_tests": ("repaired: 2 deleted cells put back", [1, 2, 1, 3]),
    "edited_tests": ("graded", [1, 0, 1, 3]),  # 2*abs(x) fails the restored hidden test
    # points reset, the renamed and emptied hidden test put back; x*abs(x) fails square(-4)
    "edited_metadata": ("repaired: nbgrader metadata restored on 1 cell, 1 deleted cell put "
                        "back, made-up nbgrader metadata removed from 1 cell", [1, 2, 1, 0]),
    # the last definition of double counts; the emptied copy of the hidden test grades nothing
    "duplicated_cells": ("repaired: 1 duplicated cell resolved (the last copy counts)",
                         [1, 0, 1, 3]),
    "changed_kernelspec": ("graded", [1, 2, 1, 3]),
    "infinite_loop": ("timed out in double", [0, 0, 1, 3]),  # square's cells still run
    "sys_exit": ("stopped by sys.exit in cell 8", [1, 2, 0, 0]),  # square_of_three is cell 8
    "os_exit": ("kernel died in cell 4", [0, 0, 0, 0]),  # double_of_two is cell 4
    "huge_output": ("graded", [1, 2, 1, 3]),  # printing is no failure
    "import_error": ("graded", [0, 0, 1, 3]),  # the solution cell fails before defining double
}


def _write_class(folder: Path, corpus: dict) -> Path:
    for sid, data in corpus.items():
        name, content = data if isinstance(data, tuple) else (NOTEBOOK, data)
        path = folder / sid / ASSIGNMENT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return folder


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def release(course, tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("release-ws") / "ws", course, assignment=ASSIGNMENT)
    ws.prepare()
    return release_notebook(ws.root)


@pytest.fixture(scope="module")
def batch(course, release, tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    subs = _write_class(root / "subs", _corpus(release))
    result = grade(subs, root / "out", course=course, timeout=TIMEOUT, jobs=2, progress=False)
    return result, subs, root / "out"


def test_every_crafted_submission_gets_its_exact_status_and_per_cell_points(batch):
    result, _, out = batch
    rows = {r["student_id"]: r for r in _read_csv(out / "grades.csv")}
    assert set(rows) == set(EXPECTED)
    got = {sid: (r["status"], [float(r[g]) for g in GRADE_IDS]) for sid, r in rows.items()}
    assert got == {sid: (status, [float(p) for p in points])
                   for sid, (status, points) in EXPECTED.items()}
    for sid, (_, points) in EXPECTED.items():
        assert float(rows[sid]["score"]) == sum(points)
        assert float(rows[sid]["max_score"]) == MAX_SCORE  # edited points never change it


def test_grades_csv_columns_are_fixed_then_one_per_grade_cell(batch):
    _, _, out = batch
    header = (out / "grades.csv").read_text().splitlines()[0]
    assert header.split(",") == ["student_id", "score", "max_score", "status", *GRADE_IDS]


def test_gradebook_holds_the_same_points_as_grades_csv(batch):
    from nbgrader.api import Gradebook

    _, _, out = batch
    rows = {r["student_id"]: r for r in _read_csv(out / "grades.csv")}
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        for sid, row in rows.items():
            nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, sid)
            assert {g.name: float(g.score or 0) for g in nb.grades} == {
                g: float(row[g]) for g in GRADE_IDS}


def test_gradebook_is_left_whole_and_nbgrader_export_reads_every_grade(batch, tmp_path):
    """The run's gradebook is in WAL mode; at the end it is checkpointed and closed."""
    _, _, out = batch
    assert sorted(p.name for p in out.glob("gradebook.db-*")) == []  # no -wal, no -shm
    exported = tmp_path / "export.csv"
    run = subprocess.run([sys.executable, "-m", "nbgrader", "export", f"--to={exported}"],
                         cwd=out, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    ours = {r["student_id"]: float(r["score"]) for r in _read_csv(out / "grades.csv")}
    theirs = {r["student_id"]: float(r["score"]) for r in _read_csv(exported)}
    assert theirs == ours


def test_nbgrader_layout_is_kept_in_the_workspace(batch):
    _, _, out = batch
    assert (out / "submitted" / "correct" / ASSIGNMENT / NOTEBOOK).is_file()
    graded = nbformat.read(out / "autograded" / "correct" / ASSIGNMENT / NOTEBOOK, as_version=4)
    # The hidden tests ran: the autograded copy holds them (it is the instructor's record).
    assert HIDDEN_MARKER in cell(graded, "double_negative").source


def test_deleted_and_edited_test_cells_were_restored_before_running(batch):
    _, _, out = batch
    graded = nbformat.read(out / "autograded" / "deleted_tests" / ASSIGNMENT / NOTEBOOK,
                           as_version=4)
    assert HIDDEN_MARKER in cell(graded, "double_negative").source
    edited = nbformat.read(out / "autograded" / "edited_tests" / ASSIGNMENT / NOTEBOOK,
                           as_version=4)
    assert HIDDEN_MARKER in cell(edited, "double_negative").source
    notes = json.loads((out / "results" / "deleted_tests.json").read_text())["output"]
    assert "deleted test cells were put back: double_negative, square_of_three" in notes


def test_huge_output_is_truncated_and_feedback_stays_small(batch):
    _, _, out = batch
    graded = out / "autograded" / "huge_output" / ASSIGNMENT / NOTEBOOK
    # 10 MB printed per call of double (twice) and a 5 MB image: cut to ~10 kB of text per cell.
    assert graded.stat().st_size < 200_000
    assert (out / "feedback" / "huge_output" / f"{ASSIGNMENT}.html").stat().st_size < 20_000


def test_feedback_never_shows_hidden_tests_or_the_reference_solution(batch):
    _, _, out = batch
    secrets = [HIDDEN_MARKER, HIDDEN_MARKER_2, SOLUTION_MARKER, SOLUTION_MARKER_2,
               "BEGIN HIDDEN TESTS", "Traceback", "BEGIN SOLUTION"]
    files = [*(out / "feedback").rglob("*.html"), *(out / "results").glob("*.json")]
    assert len(files) == 2 * len(EXPECTED)
    for file in files:
        text = file.read_text()
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{file} shows {leaked}"


def test_feedback_gives_title_result_points_and_message_per_test(batch):
    _, _, out = batch
    page = (out / "feedback" / "edited_tests" / f"{ASSIGNMENT}.html").read_text()
    assert "double works for negative numbers." in page  # the hidden cell's docstring
    assert "AssertionError: double(-3) should be -6" in page  # the assert's own message
    assert "0 / 2" in page and "5 / 7" in page
    loop = (out / "feedback" / "infinite_loop" / f"{ASSIGNMENT}.html").read_text()
    assert "CellTimeout: this cell ran longer than 5 s and was stopped" in loop
    assert "CellNotRun: not run: double timed out in cell 4" in loop


def test_results_json_follows_gradescope_schema(batch):
    _, _, out = batch
    results = json.loads((out / "results" / "edited_tests.json").read_text())
    assert results["score"] == 5.0
    assert [t["number"] for t in results["tests"]] == GRADE_IDS
    assert [t["visibility"] for t in results["tests"]] == [
        "visible", "after_published", "visible", "after_published"]
    assert [(t["score"], t["max_score"]) for t in results["tests"]] == [
        (1.0, 1.0), (0.0, 2.0), (1.0, 1.0), (3.0, 3.0)]
    assert all(isinstance(t["name"], str) and isinstance(t["output"], str)
               for t in results["tests"])


def test_summary_counts_statuses_and_scores(batch):
    result, _, _ = batch
    assert "students: 15" in result.summary
    # 8 plainly graded; deleted_tests, edited_metadata and duplicated_cells were repaired first
    assert any(line.split() == ["graded", "8"] for line in result.summary.splitlines())
    assert "tests most often failed:" in result.summary


def test_regrading_unchanged_submissions_redoes_nothing_and_changes_nothing(batch, course):
    result, subs, out = batch
    before = (out / "grades.csv").read_bytes()
    again = grade(subs, out, course=course, timeout=TIMEOUT, jobs=2, progress=False)
    assert (again.graded, again.reused) == (0, len(EXPECTED))
    assert (out / "grades.csv").read_bytes() == before


def test_a_changed_submission_is_graded_again_and_only_it(batch, course, release, tmp_path):
    _, subs, out = batch
    copy_subs = shutil.copytree(subs, tmp_path / "subs")
    fixed = copy_subs / "infinite_loop" / ASSIGNMENT / NOTEBOOK
    fixed.write_bytes(write(answer(release)))
    again = grade(copy_subs, out, course=course, timeout=TIMEOUT, jobs=2, progress=False)
    assert (again.graded, again.reused) == (1, len(EXPECTED) - 1)
    row = {r["student_id"]: r for r in _read_csv(out / "grades.csv")}["infinite_loop"]
    assert (row["status"], float(row["score"])) == ("graded", MAX_SCORE)
    # Put the original back so the other tests of this module see the batch unchanged.
    grade(subs, out, course=course, timeout=TIMEOUT, jobs=2, progress=False)


def test_missing_submissions_folder_is_an_instructor_error(course, tmp_path):
    with pytest.raises(GradingError, match="does not exist"):
        grade(tmp_path / "nope", tmp_path / "out", course=course, progress=False)


def test_lms_zip_of_flat_notebooks_is_graded_and_force_grades_again(course, release, tmp_path):
    import zipfile

    archive = tmp_path / "lms.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("s1.ipynb", write(answer(release)))
        zf.writestr("s2.ipynb", write(answer(release, square=None)))  # square left as a stub
    out = tmp_path / "out"
    first = grade(archive, out, course=course, timeout=TIMEOUT, progress=False)
    assert [(r.student_id, r.status, r.score) for r in first.rows] == [
        ("s1", "graded", MAX_SCORE), ("s2", "graded", 3.0)]  # s2: only double's 1 + 2 points
    forced = grade(archive, out, course=course, timeout=TIMEOUT, progress=False, force=True)
    assert (forced.graded, forced.reused) == (2, 0)
    assert forced.rows == first.rows


def test_kernel_manager_factory_hook_launches_every_kernel(course, release, tmp_path):
    """The sandbox plugs in here: a factory whose kernel command is wrapped (here by `env`)."""
    from jupyter_client.manager import AsyncKernelManager

    made = []

    class Wrapped(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            return ["env", "WRAPPED_BY_TEST=yes", *super().format_kernel_cmd(extra_arguments)]

    def factory():
        made.append(Wrapped(kernel_name="python3"))
        return made[-1]

    # double earns its points only in a kernel started through the wrapper.
    nb = answer(release, double="import os\nreturn 2 * x if os.environ.get('WRAPPED_BY_TEST') "
                                "else 0")
    subs = tmp_path / "subs" / "w" / ASSIGNMENT
    subs.mkdir(parents=True)
    (subs / NOTEBOOK).write_bytes(write(nb))
    result = grade(tmp_path / "subs", tmp_path / "out", course=course, timeout=TIMEOUT,
                   progress=False, kernel_manager_factory=factory)
    assert len(made) == 2  # the model answers' (autograder.preflight), then the student's
    assert [(r.status, r.score) for r in result.rows] == [("graded", MAX_SCORE)]


def test_caps_hook_lowers_points_in_the_gradebook_and_says_why(course, release, tmp_path):
    """The clean room plugs in here: a cap below the in-kernel points wins and is reported."""
    from nbgrader.api import Gradebook

    mine = "# c's own notes"  # the hook caps this student, not the model answers (preflight)

    def caps(nb):
        if not any(cell.source == mine for cell in nb.cells):
            return {}
        return {"square_hidden": (0.0, "clean room: square gave other values"),
                "double_of_two": (5.0, "never used: above the points earned")}

    subs = tmp_path / "subs" / "c" / ASSIGNMENT
    subs.mkdir(parents=True)
    nb = answer(release)
    nb.cells.append(nbformat.v4.new_code_cell(mine))
    (subs / NOTEBOOK).write_bytes(write(nb))
    result = grade(tmp_path / "subs", tmp_path / "out", course=course, timeout=TIMEOUT,
                   progress=False, caps=caps)
    [row] = result.rows
    assert (row.status, row.score) == ("clean room: square gave other values", MAX_SCORE - 3)
    with Gradebook(f"sqlite:///{tmp_path / 'out' / 'gradebook.db'}") as gb:
        grades = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, "c").grades
        assert {g.name: g.score for g in grades}["square_hidden"] == 0


def test_a_changed_source_rebuilds_the_gradebook_and_keeps_the_old_one(course, tmp_path):
    changed = shutil.copytree(course, tmp_path / "course")
    ws = Workspace(tmp_path / "out", changed, assignment=ASSIGNMENT)
    assert ws.prepare() is True  # first build
    # unchanged: reused
    assert Workspace(tmp_path / "out", changed, assignment=ASSIGNMENT).prepare() is False
    notebook = changed / "source" / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(notebook, as_version=4)
    cell(nb, "square_hidden").metadata.nbgrader["points"] = 4  # the instructor re-weighs a test
    nbformat.write(nb, notebook)
    assert Workspace(tmp_path / "out", changed, assignment=ASSIGNMENT).prepare() is True
    assert len(list((tmp_path / "out").glob("gradebook.db.*.bak"))) == 1
    rebuilt = nbformat.read(tmp_path / "out" / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert cell(rebuilt, "square_hidden").metadata.nbgrader["points"] == 4


# --------------------------------------------------------------------------------------------
# No stale grade: everything that decides a grade is in the key a rerun compares
# --------------------------------------------------------------------------------------------


def test_a_rerun_with_another_timeout_regrades_and_one_with_the_same_does_not(course, release,
                                                                              tmp_path):
    subs = _write_class(tmp_path / "subs", {"s1": write(answer(release))})
    out = tmp_path / "out"
    runs = [grade(subs, out, course=course, timeout=timeout, progress=False)
            for timeout in (TIMEOUT, TIMEOUT, TIMEOUT + 1)]
    assert [(r.graded, r.reused) for r in runs] == [(1, 0), (0, 1), (1, 0)]
    assert [r.rows[0].score for r in runs] == [MAX_SCORE] * 3


# The stand-in course with a reference package of its own (solutions/<assignment>/checks.py):
# every grade cell is also checked in the clean room, on inputs drawn at grading time, to
# TOLERANCE (relative). It runs in a process of its own (`python -m autograder grade --course`):
# this one has imported the repository's reference package already.
STAND_IN_CHECKS = '''\
"""The stand-in's checks: double and square on random inputs, to TOLERANCE."""

from solutions.checking import Call, Check, table

TOLERANCE = 1e-9


def _calls(function):
    return lambda rng: [Call(function, (float(x),)) for x in rng.uniform(-5.0, 5.0, 4)]


def _verify(expected):
    def verify(calls, results):
        for call, result in zip(calls, results, strict=True):
            x, want = call.args[0], expected(call.args[0])
            if result.error is not None:
                return f"{call.function}({x!r}) raised {result.error}"
            if abs(float(result.value) - want) > TOLERANCE * max(1.0, abs(want)):
                return f"{call.function}({x!r}) returned {result.value!r}; expected {want!r}"
        return None
    return verify


CHECKS = table(
    Check(grade_id, function, "", _calls(function), _verify(expected), hidden=hidden)
    for grade_id, function, expected, hidden in (
        ("double_of_two", "double", lambda x: 2 * x, False),
        ("double_negative", "double", lambda x: 2 * x, True),
        ("square_of_three", "square", lambda x: x * x, False),
        ("square_hidden", "square", lambda x: x * x, True),
    )
)
'''


def _course_with_checks(root: Path) -> Path:
    """The stand-in course, with solutions/: the shared machinery, copied from this repository,
    and the stand-in assignment's checks (STAND_IN_CHECKS)."""
    from autograder import course as courses

    make_course(root)
    package = root / "solutions" / ASSIGNMENT
    package.mkdir(parents=True)
    for name in courses.SHARED:
        shutil.copy(courses.REPO / "solutions" / name, root / "solutions" / name)
    (package / "__init__.py").write_text("")
    (package / "checks.py").write_text(STAND_IN_CHECKS)
    return root


def _grade_cli(subs: Path, out: Path, course: Path) -> tuple[int, int]:
    """`python -m autograder grade` in a process of its own: (graded, reused) of this run."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out), "--course",
         str(course), "--timeout", str(TIMEOUT), "--no-progress"],
        cwd=course, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("this run: "))
    words = line.replace(",", "").split()  # "this run: graded 1 unchanged since the last run 0"
    return int(words[3]), int(words[-1])


def test_a_changed_check_tolerance_regrades_and_the_new_tolerance_decides(release, tmp_path):
    from autograder.isolation.sandbox import sandbox_problem

    if sandbox_problem() is not None:
        pytest.skip(f"the clean room needs the sandbox: {sandbox_problem()}")
    course = _course_with_checks(tmp_path / "course")
    # double is right at the inputs the notebook's tests use (2 and -3) and off by 1e-6
    # elsewhere: the clean room's random inputs catch it at a tolerance of 1e-9, not at 1e-3.
    nb = answer(release, double="return 2 * x if x in (2, -3) else 2 * x + 1e-6")
    subs = _write_class(tmp_path / "subs", {"s1": write(nb)})
    out = tmp_path / "out"

    def score() -> float:
        return float(_read_csv(out / "grades.csv")[0]["score"])

    assert _grade_cli(subs, out, course) == (1, 0)
    assert score() == MAX_SCORE - 3  # double's 1 + 2 points taken away by the clean room
    assert _grade_cli(subs, out, course) == (0, 1)  # nothing changed: nothing regraded
    checks = course / "solutions" / ASSIGNMENT / "checks.py"
    checks.write_text(STAND_IN_CHECKS.replace("TOLERANCE = 1e-9", "TOLERANCE = 1e-3"))
    assert _grade_cli(subs, out, course) == (1, 0)  # the tolerance changed: regraded
    assert score() == MAX_SCORE


def test_the_hidden_tests_of_a_course_elsewhere_import_that_courses_reference(release,
                                                                             tmp_path):
    from autograder.isolation.sandbox import sandbox_problem

    if sandbox_problem() is not None:
        pytest.skip(f"the kernel's view of the reference needs the sandbox: {sandbox_problem()}")
    course = _course_with_checks(tmp_path / "course")
    # The hidden test of square runs the course's own check, as the real assignments' do.
    source = course / "source" / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(source, as_version=4)
    cell(nb, "square_hidden").source = (
        '"""square is checked on random numbers."""\n### BEGIN HIDDEN TESTS\n'
        "from solutions.activation_derivatives.checks import CHECKS\n"
        "from solutions.checking import run_check\n"
        'run_check(CHECKS, "square_hidden", globals())\n### END HIDDEN TESTS')
    nbformat.write(nb, source)
    subs = _write_class(tmp_path / "subs", {"s1": write(answer(release))})
    _grade_cli(subs, tmp_path / "out", course)
    [row] = _read_csv(tmp_path / "out" / "grades.csv")
    results = json.loads((tmp_path / "out" / "results" / "s1.json").read_text())
    assert float(row["square_hidden"]) == 3, results["tests"][3]["output"]
