"""Issue 15, "every tool, any number of assignments": `grade --assignment NAME` grades the named
assignment of a course that has several, through the real pipeline (sandboxed kernels, nbgrader's
gradebook); without --assignment a course with several assignments is refused with their list.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder import submissions as S
from autograder.cli import main
from autograder.isolation.sandbox import sandbox_problem

REPO = Path(__file__).resolve().parents[1]
BACKPROP = "backprop_one_hidden_layer"
SOURCE = REPO / "source" / BACKPROP / f"{BACKPROP}.ipynb"
RELEASE = REPO / "release" / BACKPROP / f"{BACKPROP}.ipynb"
# update_parameters that subtracts in place: right values, but the caller's parameters change.
# Only the check that the input is kept can see it (tests/test_backprop_checks.py says so too).
IN_PLACE = ("for name in ('W1', 'b1', 'W2', 'b2'):\n"
            "    parameters[name] -= learning_rate * grads['d' + name]\n"
            "return parameters")


def test_grade_without_assignment_on_a_course_with_two_exits_2_listing_them(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    code = main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"),
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert "activation_derivatives, backprop_one_hidden_layer" in err and "--assignment" in err
    assert not (tmp_path / "out").exists()  # refused before anything was built


def test_an_assignment_the_course_does_not_have_exits_2_naming_those_it_has(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    code = main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"),
                 "--assignment", "backprop", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "no such assignment" in err and BACKPROP in err


@pytest.fixture(scope="module")
def backprop_graded(tmp_path_factory):
    from autograder.pipeline import grade

    if sandbox_problem() is not None:
        pytest.skip(f"no sandbox: {sandbox_problem()}")
    root = tmp_path_factory.mktemp("backprop")
    correct = S.correct_answers(SOURCE)  # the source notebook's solution regions
    S.write_class(root / "subs", {
        "correct": S.make_submission(correct, release=RELEASE),
        "in_place": S.make_submission({**correct, "update_parameters": IN_PLACE},
                                      release=RELEASE),
    }, assignment=BACKPROP)
    result = grade(root / "subs", root / "out", timeout=30.0, progress=False,
                   assignment=BACKPROP)
    return result, root


@pytest.mark.slow
def test_a_backprop_class_gets_full_marks_and_loses_exactly_the_planted_mistake(backprop_graded):
    result, root = backprop_graded
    points = {c.metadata.nbgrader["grade_id"]: float(c.metadata.nbgrader["points"])
              for c in S.grade_cells(S.read_notebook(RELEASE)).values()}
    assert len(points) == 21 and result.assignment == BACKPROP
    with open(root / "out" / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert {sid: r["status"] for sid, r in rows.items()} == {"correct": "graded",
                                                             "in_place": "graded"}
    got = {sid: {g: float(r[g]) for g in points} for sid, r in rows.items()}
    assert got["correct"] == points
    assert got["in_place"] == {**points, "update_parameters_keeps_input": 0.0}
    assert (root / "out" / "feedback" / "in_place" / f"{BACKPROP}.html").is_file()


@pytest.mark.slow
def test_the_gradebook_holds_the_backprop_assignment_and_notebook(backprop_graded):
    from nbgrader.api import Gradebook

    _, root = backprop_graded
    with Gradebook(f"sqlite:///{root / 'out' / 'gradebook.db'}") as gb:
        assert [a.name for a in gb.assignments] == [BACKPROP]
        scores = {sid: gb.find_submission_notebook(BACKPROP, BACKPROP, sid).score
                  for sid in ("correct", "in_place")}
    assert scores == {"correct": 21.0, "in_place": 20.0}  # 21 one-point cells, one lost


@pytest.mark.slow
def test_a_workspace_of_one_assignment_refuses_to_grade_another(backprop_graded):
    from autograder.pipeline import GradingError, grade

    _, root = backprop_graded
    (root / "flat").mkdir()
    (root / "flat" / "ada.ipynb").write_text("{}")  # a class of the first assignment
    with pytest.raises(GradingError, match="give each assignment a folder of its own"):
        grade(root / "flat", root / "out", progress=False, assignment="activation_derivatives")
    assert (root / "out" / "feedback" / "correct" / f"{BACKPROP}.html").is_file()  # kept


def test_the_backprop_release_and_its_reference_answers_need_no_repair():
    # The release's own demonstration cell rebinds backward_propagation (a planted mistake, put
    # back in a finally): left as released, it is the notebook's code, not a second answer.
    import nbformat

    from autograder.repair import Release, repair

    release = Release.load(RELEASE)
    for nb in (S.read_notebook(RELEASE),
               S.make_submission(S.correct_answers(SOURCE), release=RELEASE)):
        fixed = repair(nbformat.reads(nbformat.writes(nb), 4), release)
        assert fixed.status == "" and fixed.notes == []


# ---------------------------------------------------------------------------- check
def _check(nb, path: Path) -> tuple[int, str]:
    import io

    import nbformat

    from autograder import check

    path.write_text(nbformat.writes(nb))
    out = io.StringIO()
    return check.run(path, out=out), out.getvalue()


def _visible_and_hidden(release: Path) -> tuple[int, int]:
    tests = S.grade_cells(S.read_notebook(release)).values()
    hidden = sum("Hidden test: it runs when your notebook is graded." in c.source for c in tests)
    return len(tests) - hidden, hidden


@pytest.mark.slow
def test_check_recognises_a_backprop_notebook_under_any_name_and_runs_its_visible_tests(
        tmp_path):
    visible, hidden = _visible_and_hidden(RELEASE)
    assert (visible, hidden) == (7, 14)  # one visible test per function but nn_model
    nb = S.make_submission(S.correct_answers(SOURCE), release=RELEASE)
    status, text = _check(nb, tmp_path / "hw.ipynb")
    assert status == 0, text
    assert f"{visible} visible tests passed; {hidden} hidden tests run" in text
    assert "Repaired" not in text


@pytest.mark.slow
def test_check_of_a_stripped_backprop_notebook_repairs_it_against_its_own_release(tmp_path):
    # Colab keeps no nbgrader metadata: only the functions it defines say which assignment it
    # is. predict thresholded at 0 instead of 0.5 fails predict's visible test and no other.
    nb = S.make_submission({**S.correct_answers(SOURCE), "predict": (
        "A2, _ = forward_propagation(X, parameters, activation)\n"
        "return (A2 > 0).astype(float)")}, release=RELEASE)
    for cell in nb.cells:
        cell.metadata = {}
    status, text = _check(nb, tmp_path / "Copy of backprop.ipynb")
    assert status == 1, text
    assert "Repaired first, as grading will repair it: nbgrader metadata restored on" in text
    visible, hidden = _visible_and_hidden(RELEASE)
    assert f"{visible - 1} visible tests passed; {hidden} hidden tests run" in text
    failing = [line for line in text.splitlines() if "FAIL" in line]
    assert failing and all("predict" in line for line in failing), text


# ---------------------------------------------------------------------------- the course
def _configured_assignments() -> list[str]:
    import runpy

    from traitlets.config import Config

    return runpy.run_path(str(REPO / "nbgrader_config.py"),
                          init_globals={"get_config": Config})["ASSIGNMENTS"]


def test_nbgrader_config_lists_the_assignments_of_source_and_release_in_order():
    from autograder.workspace import assignments

    listed = _configured_assignments()
    assert listed == ["activation_derivatives", BACKPROP]  # the order the README teaches
    assert sorted(listed) == assignments(REPO)
    assert all((REPO / "release" / name / f"{name}.ipynb").is_file() for name in listed)
    make = (REPO / "Makefile").read_text()
    assert all(f"generate_assignment {name} " in make for name in listed)  # make release


@pytest.mark.slow
def test_the_formgrader_lists_both_assignments_with_their_points(tmp_path):
    # What `make release` does to the gradebook (generate_assignment, for each assignment),
    # then what the formgrader's assignment list asks nbgrader's API for.
    import shutil

    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    from autograder.workspace import _ensure_alembic_on_path

    _ensure_alembic_on_path()
    shutil.copytree(REPO / "source", tmp_path / "source")
    shutil.copy(REPO / "nbgrader_config.py", tmp_path / "nbgrader_config.py")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.log_level = "ERROR"
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    for name in _configured_assignments():
        assert api.generate_assignment(name, force=True, create=True)["success"]
    listed = {a["name"]: a["max_score"] for a in api.get_assignments()}
    # 35 points in the first assignment's grade cells, 21 one-point cells in the second.
    assert listed == {"activation_derivatives": 35.0, BACKPROP: 21.0}


@pytest.mark.slow
def test_the_second_assignment_grades_on_a_dask_cluster_as_it_does_locally(backprop_graded,
                                                                          tmp_path):
    from cluster_support import cluster

    from autograder.pipeline import grade

    _, root = backprop_graded
    with cluster(tmp_path / "cluster", workers=1, nthreads=1) as c:
        result = grade(root / "subs", tmp_path / "out", timeout=30.0, progress=False,
                       assignment=BACKPROP, scheduler_file=str(c.scheduler_file))
    assert "1 Dask worker(s)" in result.sandbox
    with open(root / "out" / "grades.csv", newline="") as f:
        local = list(csv.DictReader(f))
    with open(tmp_path / "out" / "grades.csv", newline="") as f:
        remote = list(csv.DictReader(f))
    assert remote == local
