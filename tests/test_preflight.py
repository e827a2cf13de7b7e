"""Every `grade` run first proves its environment on the model answers (autograder.preflight).

Each test grades a copy of this course (its source, release and solutions folders and
nbgrader_config.py) with THIS environment, whose own editable install points at this checkout:
what an instructor does with a shared virtual environment, and what a cluster's shared
filesystem does. Either the grades are right, or `grade` refuses (exit 2) with the cause, and
grades nobody. Never wrong grades with status "graded".
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import course, submissions

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
FIRST = course.assignments(REPO)[0]


def _copy_course(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in ("source", "release", "solutions"):
        shutil.copytree(REPO / name, target / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "nbgrader_config.py", target)
    return target


def _class(folder: Path, answers: dict[str, dict[str, str]]) -> Path:
    notebooks = {sid: submissions.make_submission(a, release=FIRST.release)
                 for sid, a in answers.items()}
    submissions.write_class(folder, notebooks, assignment=FIRST.name)
    return folder


def _grade(submitted: Path, out: Path, course_folder: Path, *extra: str):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out),
         "--course", str(course_folder), "--no-progress", *extra],
        capture_output=True, text=True, env=env, cwd=course_folder, timeout=600)


def _rows(out: Path) -> dict[str, dict]:
    with (out / "grades.csv").open(newline="") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def two_students(tmp_path_factory) -> Path:
    """The model answers and one known mistake (which loses exactly its checks)."""
    correct = submissions.correct_answers(FIRST.source)
    mistake = FIRST.catalogue()[0]
    return _class(tmp_path_factory.mktemp("subs"), {
        "alice": correct, "bob": {**correct, mistake.function: mistake.code}})


def test_a_copy_of_the_course_graded_with_a_shared_environment_gets_the_right_grades(
        tmp_path, two_students):
    copy = _copy_course(tmp_path / "course")
    run = _grade(two_students, tmp_path / "out", copy)
    assert run.returncode == 0, run.stderr
    rows = _rows(tmp_path / "out")
    assert rows["alice"]["status"] == "graded"
    assert float(rows["alice"]["score"]) == float(rows["alice"]["max_score"])
    assert 0 < float(rows["bob"]["score"]) < float(rows["bob"]["max_score"])
    record = json.loads((tmp_path / "out" / ".autograder" / "preflight.json").read_text())
    # The kernels imported the copy's own reference package, not this checkout's.
    assert record["passed"] and record["key"]["environment"]["reference"] == str(copy.resolve())


def test_the_kernel_grades_with_the_copys_own_checks(tmp_path, two_students):
    """A hidden check changed in the copy only: were the kernel to import this checkout's
    package (where the venv's editable install points), the model answers would pass."""
    copy = _copy_course(tmp_path / "course")
    checks = copy / "solutions" / FIRST.name / "checks.py"
    hidden = next(g for g, c in FIRST.checks().items() if c.hidden)
    checks.write_text(checks.read_text() + (
        "\n\ndef _copys_own(calls, results):\n    return 'CHECKED BY THE COPY'\n\n\n"
        f"CHECKS[{hidden!r}] = __import__('dataclasses').replace(CHECKS[{hidden!r}], "
        "verify=_copys_own)\n"))
    run = _grade(two_students, tmp_path / "out", copy)
    assert run.returncode == 2, run.stdout
    assert "the model answers scored" in run.stderr and "CHECKED BY THE COPY" in run.stderr
    assert "Nobody was graded" in run.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_a_check_that_raises_refuses_with_its_cause(tmp_path, two_students):
    copy = _copy_course(tmp_path / "course")
    checks = copy / "solutions" / FIRST.name / "checks.py"
    grade_id = next(iter(FIRST.checks()))
    checks.write_text(checks.read_text() + (
        "\n\ndef _typo(calls, results):\n    raise KeyError('a typo in the table')\n\n\n"
        f"CHECKS[{grade_id!r}] = __import__('dataclasses').replace(CHECKS[{grade_id!r}], "
        "verify=_typo)\n"))
    run = _grade(two_students, tmp_path / "out", copy)
    assert run.returncode == 2, run.stdout
    assert "a typo in the table" in run.stderr and "checks.py" in run.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_a_package_missing_in_the_kernel_refuses_with_its_cause(tmp_path, two_students):
    copy = _copy_course(tmp_path / "course")
    for kind in ("source", "release"):  # the set-up cell, which learners cannot change
        path = copy / kind / FIRST.name / FIRST.notebook
        nb = nbformat.read(path, 4)
        setup = next(c for c in nb.cells if c.cell_type == "code"
                     and c.metadata.get("nbgrader", {}).get("locked")
                     and not c.metadata["nbgrader"].get("grade"))
        setup.source = "import a_package_this_machine_lacks\n" + setup.source
        nbformat.write(nb, path)
    run = _grade(two_students, tmp_path / "out", copy)
    assert run.returncode == 2, run.stdout
    assert "a_package_this_machine_lacks" in run.stderr
    assert "missing in the grading environment" in run.stderr


def test_a_timeout_too_small_for_the_model_answers_refuses_with_its_cause(tmp_path,
                                                                          two_students):
    """The copy's model answer of one function computes for 4 s of CPU each time it is called
    (far more than any answer needs); --timeout 2 is then too small for it on any machine.
    The function is the last one the learner writes, which no other calls: only its own cells
    wait out the limit."""
    copy = _copy_course(tmp_path / "course")
    source = copy / "source" / FIRST.name / FIRST.notebook
    nb = nbformat.read(source, 4)
    cell = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")][-1]
    begin = next(line for line in cell.source.splitlines() if "### BEGIN SOLUTION" in line)
    indent = begin[: len(begin) - len(begin.lstrip())]
    slow = "".join(f"{indent}{line}\n" for line in (
        "import time as _time", "_t = _time.process_time()",
        "while _time.process_time() - _t < 4:", "    pass"))
    cell.source = cell.source.replace(begin + "\n", begin + "\n" + slow, 1)
    nbformat.write(nb, source)
    run = _grade(two_students, tmp_path / "out", copy, "--timeout", "2")
    assert run.returncode == 2, run.stdout
    assert "--timeout 2" in run.stderr and "raise --timeout" in run.stderr


def test_an_unchanged_setup_does_not_pay_for_the_preflight_twice(tmp_path, two_students):
    out = tmp_path / "out"
    first = _grade(two_students, out, REPO)
    assert first.returncode == 0, first.stderr
    record = out / ".autograder" / "preflight.json"
    written = record.stat().st_mtime_ns
    more = _class(tmp_path / "more", {"carol": submissions.correct_answers(FIRST.source)})
    shutil.copytree(two_students, more, dirs_exist_ok=True)
    again = _grade(more, out, REPO)
    assert again.returncode == 0, again.stderr
    assert "graded 1, unchanged since the last run 2" in again.stdout
    assert record.stat().st_mtime_ns == written  # the same key: not run again
    # Another output folder for the same setup: the shared record (this session's,
    # tests/conftest.py) spares it too; a run would have written its own time.
    other = _grade(two_students, tmp_path / "other", REPO)
    assert other.returncode == 0, other.stderr
    assert (tmp_path / "other" / ".autograder" / "preflight.json").read_text() == \
        record.read_text()
    third = _grade(more, out, REPO, "--timeout", "11", "--force")  # an option that decides
    assert third.returncode == 0, third.stderr
    assert record.stat().st_mtime_ns != written


def test_a_failure_of_a_check_in_one_notebook_is_an_error_row_not_a_score(tmp_path):
    """A learner cell that breaks numpy for everyone in its kernel makes the hidden checks
    themselves raise: that student's row is an error to retry, never a score, and the summary
    says so; the others are graded."""
    correct = submissions.correct_answers(FIRST.source)
    nb = submissions.make_submission(correct, release=FIRST.release)
    first_test = next(iter(submissions.grade_cells(nb)))
    nb = submissions.insert_cell(nb, "import numpy\nnumpy.asarray = None", before=first_test)
    folder = tmp_path / "subs"
    submissions.write_class(folder, {
        "alice": submissions.make_submission(correct, release=FIRST.release), "mallory": nb},
        assignment=FIRST.name)
    run = _grade(folder, tmp_path / "out", REPO)
    assert run.returncode == 0, run.stderr
    rows = _rows(tmp_path / "out")
    assert float(rows["alice"]["score"]) == float(rows["alice"]["max_score"])
    assert rows["mallory"]["score"] == ""
    assert rows["mallory"]["status"].startswith("error: EnvironmentFailure")
    assert rows["mallory"]["status"].endswith("(run again to retry)")
    assert "EnvironmentFailure" in run.stdout


def test_a_dask_worker_with_another_reference_package_is_named_and_gets_no_submission(
        tmp_path, two_students):
    """Two workers; one imports a reference package whose checks differ from the
    coordinator's (another checkout first on its PYTHONPATH). It fails the preflight, is named,
    and grades nothing; the other grades the class."""
    from cluster_support import cluster

    other = tmp_path / "other"
    shutil.copytree(REPO / "solutions", other / "solutions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    checks = other / "solutions" / FIRST.name / "checks.py"
    checks.write_text(checks.read_text() + "\n# another checkout's edit\n")
    with cluster(tmp_path / "cluster", workers=1) as c:
        # PYTHONSAFEPATH: `python -m` would otherwise put its working folder (this checkout)
        # first on sys.path, before PYTHONPATH.
        c.start_worker("stale", env={"PYTHONPATH": str(other), "PYTHONSAFEPATH": "1"})
        c.wait_for_workers(2)
        run = _grade(two_students, tmp_path / "out", REPO, "--scheduler-file",
                     str(c.scheduler_file))
        states = (tmp_path / "out" / ".autograder" / "state").glob("*.json")
        graders = {int(json.loads(p.read_text())["ran_on"].rsplit(":", 1)[1]) for p in states}
        good, stale = c.workers
        assert graders and all(_descends_from(pid, good.pid) for pid in graders), (
            run.stdout + run.stderr)
        assert not any(_descends_from(pid, stale.pid) for pid in graders)
    assert run.returncode == 0, run.stderr + run.stdout
    record = json.loads((tmp_path / "out" / ".autograder" / "sandbox.json").read_text())
    assert len(record["workers"]) == 1 and len(record["refused"]) == 1
    (why,) = record["refused"].values()
    assert "not the coordinator's" in why and str(other / "solutions") in why
    assert "cannot grade" in run.stdout
    rows = _rows(tmp_path / "out")
    assert float(rows["alice"]["score"]) == float(rows["alice"]["max_score"])


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return False
