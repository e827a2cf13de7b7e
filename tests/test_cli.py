"""`python -m autograder`: exit status, messages, dispatch, and resuming after kill -9 / Ctrl-C."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_autograder_course import ASSIGNMENT, MAX_SCORE, NOTEBOOK, answer, make_course, write

from autograder.cli import INTERRUPTED, USAGE_ERROR, main
from autograder.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return make_course(tmp_path_factory.mktemp("cli-course"))


@pytest.fixture(scope="module")
def release(course, tmp_path_factory):
    import nbformat

    ws = Workspace(tmp_path_factory.mktemp("cli-release") / "ws", course, assignment=ASSIGNMENT)
    ws.prepare()
    return nbformat.read(ws.release_notebook, as_version=4)


def _class(folder: Path, notebooks: dict[str, bytes]) -> Path:
    for sid, data in notebooks.items():
        path = folder / sid / ASSIGNMENT / NOTEBOOK
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    return folder


def test_missing_submissions_exit_2_with_one_line_message(tmp_path, capsys, course):
    code = main(["grade", str(tmp_path / "nope"), "--out", str(tmp_path / "out"),
                 "--course", str(course), "--no-progress"])
    err = capsys.readouterr().err
    assert code == USAGE_ERROR == 2
    assert err.startswith("autograder: ") and err.count("\n") == 1 and "does not exist" in err


def test_a_folder_that_is_not_a_course_exits_2(tmp_path, capsys):
    subs = _class(tmp_path / "subs", {"a": b"{}"})
    code = main(["grade", str(subs), "--out", str(tmp_path / "out"), "--course",
                 str(tmp_path), "--no-progress"])
    # No assignment to work out: the course has none (source/NAME/NAME.ipynb).
    assert code == 2 and "has no assignment: it needs source/NAME/NAME.ipynb" in \
        capsys.readouterr().err
    code = main(["grade", str(subs), "--out", str(tmp_path / "out"), "--course",
                 str(tmp_path), "--assignment", ASSIGNMENT, "--no-progress"])
    assert code == 2 and "is not a course" in capsys.readouterr().err


def test_an_out_folder_of_someone_elses_course_exits_2(tmp_path, capsys, course):
    subs = _class(tmp_path / "subs", {"a": b"{}"})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "gradebook.db").write_text("")
    code = main(["grade", str(subs), "--out", str(tmp_path / "out"), "--course", str(course),
                 "--no-progress"])
    assert code == 2 and "already holds gradebook.db" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--jobs", "0"], ["--timeout", "-1"]])
def test_bad_options_exit_2(tmp_path, capsys, course, option):
    subs = _class(tmp_path / "subs", {"a": b"{}"})
    code = main(["grade", str(subs), "--out", str(tmp_path / "out"), "--course", str(course),
                 "--no-progress", *option])
    assert code == 2 and capsys.readouterr().err.startswith("autograder: ")


def test_check_and_demo_dispatch_to_their_modules(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr("autograder.check.run",
                        lambda nb, hidden: calls.append(("check", nb, hidden)) or 1)
    monkeypatch.setattr("autograder.demo.run", lambda out: calls.append(("demo", out)) or 0)
    assert main(["check", "x.ipynb"]) == 1  # check's own exit status is passed through
    assert main(["check", "x.ipynb", "--hidden"]) == 1
    assert main(["demo", "--out", str(tmp_path)]) == 0
    assert calls == [("check", Path("x.ipynb"), False), ("check", Path("x.ipynb"), True),
                     ("demo", tmp_path)]


@pytest.mark.slow
def test_grading_exits_0_even_when_every_learner_scores_0(tmp_path, capsys, course, release):
    subs = _class(tmp_path / "subs", {"lazy": write(release), "broken": b"not json"})
    code = main(["grade", str(subs), "--out", str(tmp_path / "out"), "--course", str(course),
                 "--no-progress", "--timeout", "5"])
    out = capsys.readouterr().out
    assert code == 0
    assert "mean score: 0.00 / 7" in out and "grades.csv" in out
    # Which bubblewrap ran the learners' code is printed and recorded in the workspace.
    record = json.loads((tmp_path / "out" / ".autograder" / "sandbox.json").read_text())
    assert record["sandboxed"] is True
    assert f"sandbox:  {record['summary']}" in out and record["bubblewrap"]["path"] in out


def _run_cli(subs: Path, out: Path, course: Path) -> subprocess.Popen:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
         "--course", str(course), "--jobs", "1", "--timeout", "5", "--no-progress"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )


def _wait_for_states(out: Path, proc: subprocess.Popen, at_least: int = 1) -> int:
    states = out / ".autograder" / "state"
    deadline = time.monotonic() + 120  # generous: startup imports and kernels on a busy machine
    while time.monotonic() < deadline and proc.poll() is None:
        done = len(list(states.glob("*.json"))) if states.exists() else 0
        if done >= at_least:
            return done
        time.sleep(0.02)
    stderr = proc.stderr.read() if proc.stderr else ""
    raise AssertionError(f"no student finished; stderr: {stderr}")


def _scores(out: Path) -> dict[str, tuple[str, float]]:
    with open(out / "grades.csv", newline="") as f:
        return {r["student_id"]: (r["status"], float(r["score"])) for r in csv.DictReader(f)}


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT])
def test_grading_resumes_after_kill_9_or_ctrl_c(tmp_path, course, release, stop):
    # Twelve notebooks, one at a time (--jobs 1), each under a second: the stop lands while most
    # are still waiting (with five, a fast run could finish between the first state file and
    # the signal).
    students = [f"s{i:02d}" for i in range(12)]
    subs = _class(tmp_path / "subs", {s: write(answer(release)) for s in students})
    out = tmp_path / "out"
    first = _run_cli(subs, out, course)
    try:
        finished = _wait_for_states(out, first)
        first.send_signal(stop)
        first.wait(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    if stop == signal.SIGINT:
        assert first.returncode == INTERRUPTED
        assert "run the same command again" in first.stderr.read()
    else:
        assert first.returncode == -signal.SIGKILL
    assert not (out / "grades.csv").exists()  # never written before the batch is complete
    assert finished < len(students), "the run ended before it could be stopped"

    second = _run_cli(subs, out, course)
    stdout, stderr = second.communicate(timeout=300)
    assert second.returncode == 0, stderr
    graded, reused = _graded_reused(stdout)
    assert reused >= finished and graded + reused == len(students)
    assert _scores(out) == {s: ("graded", MAX_SCORE) for s in students}
    db = sqlite3.connect(out / "gradebook.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # Every student has exactly one submission in the gradebook, with all 7 points.
    rows = db.execute("SELECT student.id, SUM(grade.auto_score) FROM grade "
                      "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
                      "JOIN submitted_assignment ON submitted_notebook.assignment_id = "
                      "submitted_assignment.id JOIN student ON submitted_assignment.student_id "
                      "= student.id GROUP BY student.id").fetchall()
    assert sorted(rows) == [(s, MAX_SCORE) for s in students]


def _graded_reused(stdout: str) -> tuple[int, int]:
    line = next(x for x in stdout.splitlines() if x.startswith("this run: "))
    words = line.replace(",", "").split()  # "this run: graded 4 unchanged since the last run 2"
    return int(words[3]), int(words[-1])


@pytest.mark.slow
def test_a_canvas_download_with_a_roster_is_graded_end_to_end_in_the_sandbox(tmp_path, course,
                                                                           release):
    """`python -m autograder grade canvas.zip --roster roster.csv`, with the real sandbox: the
    user ids are mapped, the latest upload and the browser-renamed notebook get full marks,
    and every file that was not graded is printed and written to unused_files.csv."""
    import zipfile

    correct, untouched = write(answer(release)), write(release)
    files = {
        "smithjane_1001_50001_activation_derivatives.ipynb": correct,
        "garciamaria_LATE_1003_50003_activation_derivatives (1).ipynb": correct,
        "leetom_1004_50004_activation_derivatives.ipynb": untouched,  # the first upload
        "leetom_1004_50110_activation_derivatives-1.ipynb": correct,  # uploaded again
        "nguyenan_1005_50005_notes.pdf": b"%PDF-1.4",
    }
    subs = tmp_path / "canvas.zip"
    with zipfile.ZipFile(subs, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    roster = tmp_path / "roster.csv"
    roster.write_text("lms_id,student_id\n1001,s001\n1003,s003\n1004,s004\n2000,s200\n")
    out = tmp_path / "out"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
         "--course", str(course), "--roster", str(roster), "--no-progress", "--timeout", "5"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    import json

    record = json.loads((out / ".autograder" / "sandbox.json").read_text())
    assert record["sandboxed"] is True  # the real sandbox ran the learners' notebooks
    renamed = "graded under another name (activation_derivatives (1).ipynb)"
    assert _scores(out) == {
        "s001": ("graded", MAX_SCORE),
        "s003": (f"graded; {renamed}", MAX_SCORE),
        "s004": ("graded", MAX_SCORE),  # the -1 upload, not the untouched first one
        "1005": ("no notebook handed in (found notes.pdf)", 0.0),
    }
    lines = done.stdout.splitlines()
    assert "collected: a Canvas download, 4 student(s)" in lines
    assert ("  roster: 1 student(s) of the download are not in it and keep the download's id: "
            "1005") in lines
    assert "  roster: 1 row(s) matched no submission: 2000 (s200)" in lines
    assert ("  leetom_1004_50004_activation_derivatives.ipynb [s004]: an older upload of "
            "activation_derivatives.ipynb (graded the newer one)") in lines
    assert "  nguyenan_1005_50005_notes.pdf [1005]: not a notebook" in lines
    with open(out / "unused_files.csv", newline="") as f:
        assert list(csv.reader(f)) == [
            ["path", "student_id", "reason"],
            ["leetom_1004_50004_activation_derivatives.ipynb", "s004",
             "an older upload of activation_derivatives.ipynb (graded the newer one)"],
            ["nguyenan_1005_50005_notes.pdf", "1005", "not a notebook"]]
    # The class report lists them too, each with its reason.
    report = (out / "report.html").read_text()
    unused = report[report.index('<table id="unused">'):].split("</table>")[0]
    assert unused.count("<tr><td") == 2
    assert "nguyenan_1005_50005_notes.pdf</td><td>1005</td><td>not a notebook" in unused
    learner = (out / "feedback" / "s003" / "activation_derivatives.html").read_text()
    assert "activation_derivatives (1).ipynb was graded" in learner


def test_a_bad_roster_exits_2_naming_the_line(tmp_path, capsys, course):
    subs = _class(tmp_path / "subs", {"a": b"{}"})
    roster = tmp_path / "roster.csv"
    roster.write_text("lms_id,student_id\na,not an id\n")
    code = main(["grade", str(subs), "--out", str(tmp_path / "out"), "--course", str(course),
                 "--roster", str(roster), "--no-progress"])
    err = capsys.readouterr().err
    assert code == USAGE_ERROR and "line 2: 'not an id' is not a student id" in err
    assert err.count("\n") == 1


# --------------------------------------------------------------------------------------------
# Which assignment: worked out from the submissions when --assignment is not given
# --------------------------------------------------------------------------------------------


def test_submissions_of_several_assignments_exit_2_listing_each_with_its_count(tmp_path, capsys):
    from autograder import course as courses

    first, second = courses.names()[:2]
    subs = tmp_path / "subs"
    for sid, name in (("ada", first), ("ben", first), ("cy", second)):
        path = subs / sid / name / f"{name}.ipynb"  # nbgrader's layout names the assignment
        path.parent.mkdir(parents=True)
        path.write_bytes(b"{}")
    code = main(["grade", str(subs), "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == USAGE_ERROR
    assert (f"the submissions hold 2 assignments: {first} (2 notebooks), {second} (1 notebook). "
            "Grade each with --assignment NAME and an --out folder of its own.") in err
    assert err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_the_assignment_is_told_by_the_folder_the_file_name_or_the_content(tmp_path):
    from autograder import course as courses
    from autograder import submissions as S
    from autograder.pipeline import GradingError, which_assignment

    found = courses.assignments()
    assert len(found) >= 2  # the course has several: the submissions must say which
    for a in found:
        content = S.nbformat.writes(S.make_submission(None, release=a.release)).encode()
        cases = {"folder": {f"ada/{a.name}/homework.ipynb": b"{}"},
                 "name": {f"ada/{a.name}.ipynb": b"{}"},
                 "content": {"ada.ipynb": content, "notes.txt": b"x"}}
        for how, files in cases.items():
            root = tmp_path / a.name / how
            for relpath, data in files.items():
                (root / relpath).parent.mkdir(parents=True, exist_ok=True)
                (root / relpath).write_bytes(data)
            assert which_assignment(courses.REPO, None, root) == a.name, how
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    (nothing / "ada.ipynb").write_text("{}")
    with pytest.raises(GradingError, match="Say which to grade with --assignment NAME"):
        which_assignment(courses.REPO, None, nothing)
    with pytest.raises(GradingError, match="--assignment nope: the course .* has no such"):
        which_assignment(courses.REPO, "nope", nothing)


@pytest.mark.slow
def test_one_notebook_is_graded_as_a_class_of_one_its_assignment_worked_out(tmp_path, capsys):
    # Self-study: `grade my_work.ipynb`, no --assignment, no folder of submissions.
    from autograder import course as courses
    from autograder import submissions as S

    a = courses.assignments()[-1]  # the last assignment: not the one a default would give
    notebook = tmp_path / "my_work.ipynb"
    S.write_class(tmp_path, {"my_work": S.make_submission(None, release=a.release)},
                  layout="flat")
    code = main(["grade", str(notebook), "--out", str(tmp_path / "out"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "collected: a folder of notebooks, 1 student(s)" in out
    with open(tmp_path / "out" / "grades.csv", newline="") as f:
        [row] = list(csv.DictReader(f))
    release = S.grade_cells(S.read_notebook(a.release))
    top = sum(float(c.metadata.nbgrader["points"]) for c in release.values())
    assert (row["student_id"], float(row["score"]), float(row["max_score"])) == (
        "my_work", 0.0, top)  # the untouched release: every function still a stub
    assert (tmp_path / "out" / "feedback" / "my_work" / f"{a.name}.html").is_file()
    assert f"feedback: {tmp_path / 'out' / 'feedback'}/<student_id>/{a.name}.html" in out
