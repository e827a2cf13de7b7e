"""The gradebook as a grading run opens it (autograder.gradebook.shared_gradebook).

One engine per URL, sqlite in WAL mode, the alembic revision computed in-process, nbgrader's
metadata schema checked once. These tests assert behaviour (what is shared, what survives a
killed process, what nbgrader still reads), never timings.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import jsonschema
import nbformat
import pytest
from nbformat.v4 import new_code_cell
from test_autograder_course import ASSIGNMENT, NOTEBOOK, cell, make_course

from autograder import gradebook
from autograder.gradebook import alembic_head, save_zero, shared_gradebook
from autograder.sanitize import schema_checked_once
from autograder.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_ID = NOTEBOOK[: -len(".ipynb")]


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return make_course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def workspace(course, tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("ws") / "ws", course, assignment=ASSIGNMENT)
    ws.prepare()
    return ws


@pytest.fixture
def db(workspace, tmp_path) -> Path:
    """A copy of the built workspace's gradebook (assignment and grade cells, no students)."""
    shutil.copy(workspace.root / "gradebook.db", tmp_path / "gradebook.db")
    return tmp_path / "gradebook.db"


def _url(db: Path) -> str:
    return f"sqlite:///{db}"


def _leftovers(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.glob(f"{db.name}-*"))


def _alembic_version(db: Path) -> str:
    with closing(sqlite3.connect(db)) as connection:
        [(version,)] = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    return version


def _kill_after_adding_student(url: str, student_id: str) -> None:
    """In another process: commit a new student inside shared_gradebook(), then kill -9."""
    script = (
        "import os, signal\n"
        "from nbgrader.api import Gradebook\n"
        "from autograder.gradebook import shared_gradebook\n"
        "with shared_gradebook():\n"
        f"    Gradebook({url!r}).add_student({student_id!r})\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True)
    assert run.returncode == -signal.SIGKILL, run.stderr.decode()


@pytest.mark.slow
def test_a_new_gradebook_records_the_revision_that_alembic_heads_prints(workspace):
    from nbgrader.dbutil import _temp_alembic_ini

    alembic = Path(sys.executable).parent / "alembic"
    with _temp_alembic_ini("sqlite:////tmp/gradebook.db") as ini:  # as nbgrader runs it
        printed = subprocess.check_output([str(alembic), "-c", ini, "heads"], text=True)
    head = printed.split("\n")[0].split(" ")[0]
    assert alembic_head() == head
    assert _alembic_version(workspace.root / "gradebook.db") == head


@pytest.mark.slow
def test_building_a_workspace_runs_no_alembic_subprocess(course, tmp_path, monkeypatch):
    import nbgrader.api

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"a subprocess was run: {args}")

    monkeypatch.setattr(nbgrader.api.sp, "check_output", no_subprocess)
    ws = Workspace(tmp_path / "ws", course, assignment=ASSIGNMENT)
    assert ws.prepare() is True
    assert _leftovers(ws.root / "gradebook.db") == []  # checkpointed and closed
    assert _alembic_version(ws.root / "gradebook.db") == alembic_head()


@pytest.mark.slow
def test_within_the_block_nbgrader_shares_one_engine_per_url_in_wal_mode(db):
    import nbgrader.api
    from nbgrader.api import Gradebook
    from sqlalchemy import text

    nbgrader_own = (nbgrader.api.create_engine, nbgrader.api.get_alembic_version)
    with shared_gradebook():
        with Gradebook(_url(db)) as a, Gradebook(_url(db)) as b:
            assert a.engine is b.engine
            with shared_gradebook(), Gradebook(_url(db)) as c:  # a nested block shares too
                assert c.engine is a.engine
            with Gradebook(_url(db)) as d:  # still shared after the inner block ends
                assert d.engine is a.engine
            journal = a.db.execute(text("PRAGMA journal_mode")).scalar()
            synchronous = a.db.execute(text("PRAGMA synchronous")).scalar()
            a.add_student("s1")
        assert (journal, synchronous) == ("wal", 1)  # 1 is NORMAL
        assert (db.parent / f"{db.name}-wal").exists()
    assert (nbgrader.api.create_engine, nbgrader.api.get_alembic_version) == nbgrader_own
    assert _leftovers(db) == []  # checkpointed into gradebook.db and closed
    with Gradebook(_url(db)) as gb:
        assert gb.engine is not a.engine
        assert gb.find_student("s1").id == "s1"


@pytest.mark.slow
def test_our_reused_gradebook_reads_what_nbgrader_wrote_through_its_own(db):
    from nbgrader.api import Gradebook

    with shared_gradebook():
        assert save_zero(_url(db), "s1", ASSIGNMENT) == {"double_of_two": 0, "double_negative": 0,
                                             "square_of_three": 0, "square_hidden": 0}
        with gradebook._gradebook(_url(db)) as first:
            pass
        with Gradebook(_url(db)) as other:  # as SaveAutoGrades does
            grade = other.find_grade("square_hidden", NOTEBOOK_ID, ASSIGNMENT, "s1")
            grade.auto_score = 3
            other.db.commit()
        with gradebook._gradebook(_url(db)) as gb:
            assert gb is first
            assert gradebook._points(gb, "s1", ASSIGNMENT)["square_hidden"] == 3


@pytest.mark.slow
def test_saved_grades_are_in_the_database_file_not_only_in_the_wal(db, tmp_path):
    """save_zero (like save) checkpoints, so the grades are on disk before the state file."""
    from nbgrader.api import Gradebook

    with shared_gradebook():
        save_zero(_url(db), "s1", ASSIGNMENT)
        alone = tmp_path / "alone" / "gradebook.db"
        alone.parent.mkdir()
        shutil.copy(db, alone)  # without gradebook.db-wal
    with Gradebook(_url(alone)) as gb:
        grades = gb.find_submission_notebook(NOTEBOOK_ID, ASSIGNMENT, "s1").grades
        assert sorted(g.name for g in grades) == ["double_negative", "double_of_two",
                                                  "square_hidden", "square_of_three"]


@pytest.mark.slow
def test_grades_are_synced_even_while_another_process_reads_the_gradebook(db, monkeypatch):
    """A reader (formgrader) holds the checkpoint back; the WAL itself is synced then."""
    from nbgrader.api import Gradebook

    synced = []
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(os.readlink(f"/proc/self/fd/{fd}"))
                        or fsync(fd))
    with shared_gradebook():
        save_zero(_url(db), "s1", ASSIGNMENT)
        reader = sqlite3.connect(db)
        try:
            reader.execute("BEGIN")
            assert reader.execute("SELECT id FROM student").fetchall() == [("s1",)]
            save_zero(_url(db), "s2", ASSIGNMENT)
            assert f"{db}-wal" in synced
            assert reader.execute("SELECT id FROM student").fetchall() == [("s1",)]  # snapshot
        finally:
            reader.close()
    assert _leftovers(db) == []
    with Gradebook(_url(db)) as gb:
        assert sorted(s.id for s in gb.students) == ["s1", "s2"]


@pytest.mark.slow
def test_a_killed_run_loses_nothing_and_a_rebuild_keeps_its_wal_with_the_backup(
        workspace, course, tmp_path):
    from nbgrader.api import Gradebook

    root = shutil.copytree(workspace.root, tmp_path / "ws")
    _kill_after_adding_student(_url(root / "gradebook.db"), "killed")
    assert (root / "gradebook.db-wal").stat().st_size > 0  # the commit is only in the WAL
    changed = shutil.copytree(course, tmp_path / "course")
    notebook = changed / "source" / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(notebook, as_version=4)
    cell(nb, "square_hidden").metadata.nbgrader["points"] = 4
    nbformat.write(nb, notebook)

    assert Workspace(root, changed, assignment=ASSIGNMENT).prepare() is True
    [backup] = root.glob("gradebook.db.*.bak")
    with Gradebook(_url(backup)) as gb:  # the killed run's commit, recovered from its WAL
        assert gb.find_student("killed").id == "killed"
    with Gradebook(_url(root / "gradebook.db")) as gb:
        assert [s.id for s in gb.students] == []
        assert gb.find_grade_cell("square_hidden", NOTEBOOK_ID, ASSIGNMENT).max_score == 4


def _metadata_error(validator, bad) -> str:
    with pytest.raises(jsonschema.ValidationError) as error:
        validator.validate_cell(bad)
    return str(error.value)


def test_metadata_checked_with_the_schema_checked_once_fails_as_nbgrader_fails():
    from nbgrader.nbgraderformat import MetadataValidator, common

    good = new_code_cell(metadata={"nbgrader": {
        "grade": True, "grade_id": "t", "locked": True, "points": 1, "schema_version": 3,
        "solution": False}})
    bad = new_code_cell(metadata={"nbgrader": {**good.metadata.nbgrader, "points": "many"}})
    plain = _metadata_error(MetadataValidator(), bad)
    with schema_checked_once():
        MetadataValidator().validate_cell(good)
        assert _metadata_error(MetadataValidator(), bad) == plain
        assert _metadata_error(MetadataValidator(), bad) == plain  # the cached validator
    assert common.jsonschema is jsonschema


def _rows(url: str, student: str) -> tuple[dict, dict]:
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        nb = gb.find_submission_notebook(NOTEBOOK_ID, ASSIGNMENT, student)
        grades = {g.name: (g.auto_score, g.needs_manual_grade) for g in nb.grades}
        comments = {c.name: c.auto_comment for c in nb.comments}
    return grades, comments


def _executed_with_two_failures(workspace):
    """The release as if run: one test fails, one writes to stderr, the others pass."""
    from nbformat.v4 import new_output

    nb = nbformat.read(workspace.release_notebook, as_version=4)
    for c in nb.cells:
        grade_id = c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id == "double_negative":
            c.outputs = [new_output("error", ename="AssertionError", evalue="", traceback=[])]
        elif grade_id == "square_of_three":
            c.outputs = [new_output("stream", name="stderr", text="warning\n")]
    return nb


@pytest.mark.slow
def test_save_writes_the_rows_nbgrader_itself_writes(workspace, db, tmp_path):
    """save() runs SaveAutoGrades in one transaction with lookups from memory: the grades and
    comments it writes must be exactly those of nbgrader's own SaveAutoGrades."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import SaveAutoGrades

    nb = _executed_with_two_failures(workspace)
    theirs = tmp_path / "theirs.db"
    shutil.copy(db, theirs)
    with Gradebook(_url(theirs)) as gb:
        gradebook._ensure_submission(gb, "s1", ASSIGNMENT)
    SaveAutoGrades().preprocess(nbformat.from_dict(nb),
                                gradebook.resources(_url(theirs), "s1", ASSIGNMENT))

    with shared_gradebook():
        points, lowered = gradebook.save(nbformat.from_dict(nb), _url(db), "s1", ASSIGNMENT)
    assert lowered == []
    assert points == {"double_of_two": 1.0, "double_negative": 0.0, "square_of_three": 0.0,
                      "square_hidden": 3.0}
    assert _rows(_url(db), "s1") == _rows(_url(theirs), "s1")


@pytest.mark.slow
def test_save_many_writes_the_rows_that_save_and_save_zero_write(workspace, db, tmp_path):
    """The coordinator writes a batch of students from plain data (gradebook.autograde, computed
    where the notebook ran) in one transaction: every row must be what save() (nbgrader's
    SaveAutoGrades, then the clean room's caps) and save_zero() write, student by student."""

    nb = _executed_with_two_failures(workspace)
    caps = {"square_hidden": 0.0}  # the clean room found square_hidden failing
    theirs = tmp_path / "theirs.db"
    shutil.copy(db, theirs)
    with shared_gradebook():
        expected = {"plain": gradebook.save(nbformat.from_dict(nb), _url(theirs), "plain",
                                         ASSIGNMENT),
                    "capped": gradebook.save(nbformat.from_dict(nb), _url(theirs), "capped",
                                          ASSIGNMENT, caps=caps),
                    "broken": (gradebook.save_zero(_url(theirs), "broken", ASSIGNMENT), [])}
        _, auto = gradebook.autograde(nbformat.from_dict(nb))
        got = gradebook.save_many(_url(db), [("plain", auto, {}), ("capped", auto, caps),
                                         ("broken", None, {})], ASSIGNMENT)
    assert got == expected
    assert got["capped"] == ({"double_of_two": 1.0, "double_negative": 0.0,
                              "square_of_three": 0.0, "square_hidden": 0.0}, ["square_hidden"])
    for student in ("plain", "capped", "broken"):
        assert _rows(_url(db), student) == _rows(_url(theirs), student)
    assert _leftovers(db) == []  # checkpointed and closed when the block ended
