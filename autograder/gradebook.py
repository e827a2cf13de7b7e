"""Scoring in nbgrader's gradebook, after a submission ran.

`autograde` computes, from the executed notebook alone, what nbgrader's LimitOutput and
SaveAutoGrades (nbgrader's `determine_grade`: a test cell earns its points unless it shows an
error or writes to stderr) would write; the coordinator, the gradebook's one writer, then writes
many students at once (`save_many`), optional caps (the clean room's lower scores) included.
The gradebook is the one source of per-cell points.

A grading run opens the gradebook inside `shared_gradebook()`, which makes nbgrader's many
Gradebook(db_url) cheap (one engine per URL, sqlite in WAL mode, no `alembic` subprocess).

Only the grading process's main thread calls the functions that write here."""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from nbformat import NotebookNode


# ---------------------------------------------------------------------- the gradebook
class _Shared:
    """What `shared_gradebook()` holds while it is active (depth > 0)."""

    lock = threading.RLock()
    depth = 0
    engines: dict = {}  # (url, engine options) -> Engine
    gradebooks: dict = {}  # url -> the Gradebook our own functions reuse
    replaced: dict = {}  # nbgrader.api name -> nbgrader's own value, put back at the end


@contextmanager
def shared_gradebook() -> Iterator[None]:
    """Within this block, this process opens nbgrader gradebooks cheaply and safely.

    nbgrader's Gradebook(db_url) makes a new SQLAlchemy engine every time (a new connection
    pool and an empty compiled-statement cache), and nbgrader's preprocessors
    (OverwriteKernelspec, OverwriteCells, SaveAutoGrades) each construct their own Gradebook
    from the URL, several per student. The one place where they can share is the name
    `nbgrader.api.create_engine` that Gradebook.__init__ looks up, so within the block that
    name returns one engine per URL, and that engine's dispose() (which Gradebook.close
    calls) does nothing until the block ends. The replacement is this process's only, undone
    on leaving the block; nested blocks share the outer one.

    On every sqlite connection of those engines: `PRAGMA journal_mode=WAL` (kept in the file)
    and then `PRAGMA synchronous=NORMAL`. A commit then appends to gradebook.db-wal without an
    fsync (nbgrader commits some 50 times a student, each with fsyncs in sqlite's default). A
    killed process (Ctrl-C, kill -9) loses nothing committed: the WAL is in the OS's cache and
    the next opener recovers it. Only an OS crash or a power cut can lose the last
    transactions, and it never corrupts the database. So that the pipeline's order still holds
    then too (a student's grades are on disk before their state file), `save` and `save_zero`
    make them durable before returning (`_durable`: one checkpoint). nbgrader's formgrader and
    `nbgrader export` read a WAL database as any other (on the same machine: WAL needs shared
    memory, so not over a network filesystem).

    A new gradebook records its schema version, which nbgrader gets by running the `alembic
    heads` executable (seconds); within the block it is computed in-process (`alembic_head`).

    Leaving the block checkpoints the WAL into gradebook.db and closes every connection, so
    gradebook.db alone holds everything (sqlite then removes the -wal and -shm files).
    """
    with _Shared.lock:
        if _Shared.depth == 0:
            _patch_nbgrader()
        _Shared.depth += 1
    try:
        yield
    finally:
        with _Shared.lock:
            _Shared.depth -= 1
            if _Shared.depth == 0:
                _release()


def _patch_nbgrader() -> None:
    import nbgrader.api

    _Shared.replaced = {"create_engine": nbgrader.api.create_engine,
                        "get_alembic_version": nbgrader.api.get_alembic_version}
    nbgrader.api.create_engine = _shared_engine
    nbgrader.api.get_alembic_version = alembic_head


def _release() -> None:
    import nbgrader.api
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import SQLAlchemyError

    for name, value in _Shared.replaced.items():
        setattr(nbgrader.api, name, value)
    _Shared.replaced = {}
    gradebooks, _Shared.gradebooks = _Shared.gradebooks, {}
    engines, _Shared.engines = _Shared.engines, {}
    for gb in gradebooks.values():
        gb.db.remove()
    for engine in engines.values():
        try:
            if engine.dialect.name == "sqlite":
                with engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except SQLAlchemyError:
            pass  # an unfinished checkpoint loses nothing: the next opener replays the WAL
        finally:
            del engine.dispose  # nbgrader's Gradebook.close may dispose of it again: harmless
            Engine.dispose(engine)


def _shared_engine(url, *args, **kwargs):
    """nbgrader.api.create_engine within `shared_gradebook()`: one engine per URL."""
    from sqlalchemy import create_engine, event

    key = (str(url), args, tuple(sorted(kwargs.items())))
    with _Shared.lock:
        engine = _Shared.engines.get(key)
        if engine is None:
            engine = create_engine(url, *args, **kwargs)
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            engine.dispose = _keep  # Gradebook.close disposes of its engine; _release does
            _Shared.engines[key] = engine
        return engine


def _keep(close: bool = True) -> None:
    """Engine.dispose of a shared engine: its connections stay open until `_release`."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    import sqlite3

    cursor = dbapi_connection.cursor()
    try:
        try:
            [(mode,)] = cursor.execute("PRAGMA journal_mode=WAL").fetchall()
        except sqlite3.OperationalError:
            mode = None  # another process holds the database (formgrader?): no change
        if mode == "wal":  # NORMAL is only crash-safe in WAL mode: else keep sqlite's FULL
            cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def alembic_head() -> str:
    """The gradebook schema's alembic revision, as nbgrader's get_alembic_version() gives it.

    nbgrader runs `alembic heads` in a subprocess and takes the first word of its first line;
    that is the first of ScriptDirectory.get_heads(), read here from the same migrations.
    """
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    return ScriptDirectory(ALEMBIC_DIR).get_heads()[0]


@contextmanager
def _gradebook(db_url: str) -> Iterator:
    """A Gradebook for our own functions: reused within `shared_gradebook()`, else new."""
    from nbgrader.api import Gradebook

    with _Shared.lock:
        gb = None
        if _Shared.depth:
            gb = _Shared.gradebooks.get(db_url)
            if gb is None:
                gb = _Shared.gradebooks[db_url] = Gradebook(db_url)
    if gb is None:
        with Gradebook(db_url) as gb:
            yield gb
        return
    try:
        yield gb
    finally:
        # End the session after each use: nbgrader's preprocessors write through sessions of
        # their own, and an open transaction here would keep reading an older snapshot.
        gb.db.remove()


def _durable(gb) -> None:
    """Make the gradebook's committed transactions survive an OS crash (see shared_gradebook).

    A checkpoint syncs the WAL, copies it into the database and syncs that. Another process
    reading the gradebook (formgrader) can hold part of the WAL back from the checkpoint; the
    WAL file itself is then synced. Outside WAL mode each commit was synced already and the
    checkpoint does nothing.
    """
    if gb.engine.dialect.name != "sqlite":
        return
    with gb.engine.connect() as connection:
        _, logged, copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    if copied < logged and gb.engine.url.database:
        fd = os.open(f"{gb.engine.url.database}-wal", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _CommitAtExit:
    """Stands in for a Gradebook's session: commit() does nothing (a query still sees the
    changes: the session flushes before it); the Gradebook commits once when its `with` block
    ends."""

    def __init__(self, session):
        self._session = session

    def commit(self) -> None:
        pass  # everything is flushed and committed together when the block ends

    def __getattr__(self, name):
        return getattr(self._session, name)


@contextmanager
def _fewer_round_trips(*modules: str) -> Iterator[None]:
    """Within this block, nbgrader's preprocessors in `modules` (SaveAutoGrades, OverwriteCells)
    use a Gradebook that asks the database less, for the same result:

    - a student's grades are written in one transaction instead of one commit per cell (some
      50 a student, each of which also makes SQLAlchemy reload every object it holds); a
      failure half-way now leaves none of them instead of some;
    - the rows looked up cell by cell (a submitted notebook's grades and comments, the source
      notebook's cells and grade cells) are read with one query per kind, then found in memory.

    Main thread only."""
    import importlib

    from nbgrader.api import Gradebook

    class FewerRoundTrips(Gradebook):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._session = self.db
            self.db = _CommitAtExit(self.db)
            self._rows: dict = {}

        def __exit__(self, exc_type, exc_value, traceback) -> None:
            if exc_type is None:
                self._session.commit()
            else:
                self._session.rollback()
            super().__exit__(exc_type, exc_value, traceback)

        def _row(self, kind: str, name, *key):
            if (kind, *key) not in self._rows:
                if kind in ("grade", "comment"):
                    rows = _submitted_rows(self, kind, *key)
                else:
                    rows = _source_rows(self, kind, *key)
                self._rows[(kind, *key)] = {row.name: row for row in rows}
            return self._rows[(kind, *key)].get(name)

        def find_grade(self, grade_id, notebook_id, assignment_id, student_id):
            key = (notebook_id, assignment_id, student_id)
            return (self._row("grade", grade_id, *key)
                    or super().find_grade(grade_id, *key))

        def find_comment(self, grade_id, notebook_id, assignment_id, student_id):
            key = (notebook_id, assignment_id, student_id)
            return (self._row("comment", grade_id, *key)
                    or super().find_comment(grade_id, *key))

        def find_source_cell(self, name, notebook, assignment):
            return (self._row("source", name, notebook, assignment)
                    or super().find_source_cell(name, notebook, assignment))

        def find_graded_cell(self, name, notebook, assignment):
            return (self._row("graded", name, notebook, assignment)
                    or super().find_graded_cell(name, notebook, assignment))

    patched = [importlib.import_module(f"nbgrader.preprocessors.{name}") for name in modules]
    originals = [module.Gradebook for module in patched]
    for module in patched:
        module.Gradebook = FewerRoundTrips
    try:
        yield
    finally:
        for module, original in zip(patched, originals, strict=True):
            module.Gradebook = original


def _submitted_rows(gb, kind: str, notebook_id, assignment_id, student_id) -> list:
    """A submitted notebook's grades (or comments) with their cells, in one query (their
    `name` is the cell's: loaded one by one otherwise)."""
    from nbgrader.api import Comment, Grade
    from sqlalchemy.orm import joinedload

    nb = gb.find_submission_notebook(notebook_id, assignment_id, student_id)
    model = Grade if kind == "grade" else Comment
    return (gb.db.query(model).filter(model.notebook_id == nb.id)
            .options(joinedload(model.cell)).all())


def _source_rows(gb, kind: str, notebook_id, assignment_id) -> list:
    """The source notebook's source cells (or grade cells, with their own table's columns), in
    one query."""
    from nbgrader.api import GradeCell, SourceCell

    nb = gb.find_notebook(notebook_id, assignment_id)
    model = SourceCell if kind == "source" else GradeCell
    return gb.db.query(model).filter(model.notebook_id == nb.id).all()


def resources(db_url: str, student_id: str, assignment: str) -> dict:
    """What nbgrader's preprocessors need to find the gradebook rows (the notebook of an
    assignment is named after it: <assignment>.ipynb)."""
    return {"nbgrader": {"student": student_id, "assignment": assignment,
                         "notebook": assignment, "db_url": db_url}}


def _ensure_submission(gb, student_id: str, assignment: str) -> None:
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        # nbgrader's add_submission trips a harmless SQLAlchemy autoflush warning.
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_student(student_id)
        gb.update_or_create_submission(assignment, student_id)


def save(nb: NotebookNode, db_url: str, student_id: str, assignment: str, config=None,
         caps: dict[str, float] | None = None) -> tuple[dict[str, float], list[str]]:
    """Write the executed notebook's grades to the gradebook.

    Returns the points per grade_id and the grade_ids whose points a cap lowered.
    """
    from nbgrader.preprocessors import LimitOutput, SaveAutoGrades

    with _gradebook(db_url) as gb:
        _ensure_submission(gb, student_id, assignment)
    res = resources(db_url, student_id, assignment)
    nb, res = LimitOutput(config=config).preprocess(nb, res)
    with _fewer_round_trips("saveautogrades"):
        SaveAutoGrades(config=config).preprocess(nb, res)
    lowered = []
    with _gradebook(db_url) as gb:
        if caps:
            submission = gb.find_submission_notebook(assignment, assignment, student_id)
            for grade in submission.grades:
                if grade.name in caps and (grade.auto_score or 0) > caps[grade.name]:
                    grade.auto_score = caps[grade.name]
                    lowered.append(grade.name)
            gb.db.commit()
        points = _points(gb, student_id, assignment)
        gb.db.commit()  # end the read before checkpointing
        _durable(gb)
        return points, lowered


def save_zero(db_url: str, student_id: str, assignment: str) -> dict[str, float]:
    """A submission that cannot be graded: every test cell scores 0 (as nbgrader does)."""
    with _gradebook(db_url) as gb:
        _ensure_submission(gb, student_id, assignment)
        submission = gb.find_submission_notebook(assignment, assignment, student_id)
        for grade in submission.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        gb.db.commit()
        points = _points(gb, student_id, assignment)
        gb.db.commit()  # end the read before checkpointing
        _durable(gb)
        return points


def _points(gb, student_id: str, assignment: str) -> dict[str, float]:
    grades = _submitted_rows(gb, "grade", assignment, assignment, student_id)
    return {grade.name: float(grade.score or 0) for grade in grades}


# ---------------------------------------------------------------------- grades as plain data
# Grading is split in two: the unit that runs a notebook computes, from the executed
# notebook alone, what nbgrader's SaveAutoGrades would write (`autograde`); the coordinator,
# the gradebook's one writer, then writes many students at once (`save_many`).


def autograde(nb: NotebookNode, config=None) -> tuple[NotebookNode, dict[str, dict]]:
    """What nbgrader's LimitOutput + SaveAutoGrades make of an executed notebook, without a
    gradebook: the notebook with its outputs limited, and per graded cell
    ``{"auto_score": float | None}`` (grade cells) and/or ``{"auto_comment": str | None}``
    (solution and task cells), decided by nbgrader's own rules (nbgrader.utils)."""
    from nbgrader import utils
    from nbgrader.preprocessors import LimitOutput

    nb, _ = LimitOutput(config=config).preprocess(nb, {})
    found: dict[str, dict] = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if not isinstance(meta, dict) or not isinstance(meta.get("grade_id"), str):
            continue
        entry = found.setdefault(meta["grade_id"], {})
        if utils.is_grade(cell):
            entry["auto_score"], _ = utils.determine_grade(cell)
        if utils.is_solution(cell) or utils.is_task(cell):
            unchanged = meta.get("checksum") == utils.compute_checksum(cell)
            entry["auto_comment"] = ("No response." if unchanged and not utils.is_task(cell)
                                     else None)
    return nb, found


def save_many(db_url: str, students: list[tuple[str, dict[str, dict] | None, dict[str, float]]],
              assignment: str) -> dict[str, tuple[dict[str, float], list[str]]]:
    """Write several students' grades in one transaction, then make them durable.

    Each entry is ``(student_id, autograde, caps)``: ``autograde`` as :func:`autograde`
    returns it (None for a notebook that could not be graded: every grade cell scores 0, as
    :func:`save_zero` does), ``caps`` the clean room's limits per grade_id. The rows written
    are those nbgrader's own add_submission and SaveAutoGrades (then the caps) or save_zero
    write, field for field, through nbgrader's own tables (SQLAlchemy Core: a few statements a
    batch instead of some 25 ORM round trips a student; tests/test_gradebook_speed.py compares
    the rows). `assignment` names nbgrader's assignment (and its notebook). Returns, per
    student, the points per grade_id and the grade_ids a cap lowered.
    """
    from nbgrader import api
    from sqlalchemy import select

    t = {name: getattr(api, name).__table__ for name in (
        "Assignment", "Notebook", "BaseCell", "GradeCell", "SolutionCell", "TaskCell",
        "Student", "SubmittedAssignment", "SubmittedNotebook", "Grade", "Comment")}
    ids = list(dict.fromkeys(sid for sid, _, _ in students))
    results: dict[str, tuple[dict[str, float], list[str]]] = {}
    with _gradebook(db_url) as gb:
        gb.db.remove()  # no ORM session holds a transaction beside this one
        with gb.engine.begin() as db:
            assignment_id = db.execute(select(t["Assignment"].c.id).where(
                t["Assignment"].c.name == assignment)).scalar_one()
            notebooks = db.execute(select(t["Notebook"].c.id, t["Notebook"].c.name).where(
                t["Notebook"].c.assignment_id == assignment_id)).all()
            cells = {kind: {nb_id: [row.id for row in db.execute(
                select(t["BaseCell"].c.id).join(t[kind], t[kind].c.id == t["BaseCell"].c.id)
                .where(t["BaseCell"].c.notebook_id == nb_id))] for nb_id, _ in notebooks}
                for kind in ("GradeCell", "SolutionCell", "TaskCell")}
            known = set(db.scalars(select(t["Student"].c.id).where(t["Student"].c.id.in_(ids))))
            if missing := [sid for sid in ids if sid not in known]:
                db.execute(t["Student"].insert(), [{"id": sid} for sid in missing])
            submitted = set(db.scalars(select(t["SubmittedAssignment"].c.student_id).where(
                t["SubmittedAssignment"].c.assignment_id == assignment_id,
                t["SubmittedAssignment"].c.student_id.in_(ids))))
            _add_submissions(db, t, assignment_id, notebooks, cells,
                             [sid for sid in ids if sid not in submitted])
            sa, sn, cell = t["SubmittedAssignment"], t["SubmittedNotebook"], t["BaseCell"]
            ours = (sa.c.assignment_id == assignment_id, sa.c.student_id.in_(ids),
                    sn.c.notebook_id == next(i for i, name in notebooks if name == assignment))
            grade, comment = t["Grade"], t["Comment"]
            grades = db.execute(
                select(sa.c.student_id, cell.c.name, grade.c.id, grade.c.manual_score,
                       grade.c.extra_credit)
                .join(sn, grade.c.notebook_id == sn.c.id).join(sa, sn.c.assignment_id == sa.c.id)
                .join(cell, grade.c.cell_id == cell.c.id).where(*ours)).all()
            comments = db.execute(
                select(sa.c.student_id, cell.c.name, comment.c.id)
                .join(sn, comment.c.notebook_id == sn.c.id)
                .join(sa, sn.c.assignment_id == sa.c.id)
                .join(cell, comment.c.cell_id == cell.c.id).where(*ours)).all()
            by_student = {sid: (auto, caps) for sid, auto, caps in students}
            grade_rows, comment_rows = [], []
            points: dict[str, dict[str, float]] = {sid: {} for sid in ids}
            lowered: dict[str, list[str]] = {sid: [] for sid in ids}
            for sid, name, row_id, manual, extra in grades:
                auto, caps = by_student[sid]
                if auto is None:
                    score, needs_manual = 0.0, False
                elif "auto_score" in auto.get(name, {}):
                    score = auto[name]["auto_score"]
                    needs_manual = manual is not None or score is None
                    cap = caps.get(name)
                    if cap is not None and (score or 0) > cap:
                        score = cap
                        lowered[sid].append(name)
                else:  # not in the notebook: nbgrader leaves such a row alone
                    score = needs_manual = None
                if needs_manual is not None:
                    grade_rows.append({"row": row_id, "auto_score": score,
                                       "needs_manual_grade": needs_manual})
                else:
                    score = db.scalar(select(grade.c.auto_score).where(grade.c.id == row_id))
                base = manual if manual is not None else score
                points[sid][name] = float(base + (extra or 0.0)) if base is not None else 0.0
            for sid, name, row_id in comments:
                auto, _ = by_student[sid]
                if auto is not None and "auto_comment" in auto.get(name, {}):
                    comment_rows.append({"row": row_id,
                                         "auto_comment": auto[name]["auto_comment"]})
            from sqlalchemy import bindparam

            if grade_rows:
                db.execute(grade.update().where(grade.c.id == bindparam("row"))
                           .values(auto_score=bindparam("auto_score"),
                                   needs_manual_grade=bindparam("needs_manual_grade")),
                           grade_rows)
            if comment_rows:
                db.execute(comment.update().where(comment.c.id == bindparam("row"))
                           .values(auto_comment=bindparam("auto_comment")), comment_rows)
            order = _order(grades)
            results = {sid: (points[sid], sorted(lowered[sid], key=order)) for sid in ids}
        _durable(gb)
    return results


def _order(grades) -> Callable[[str], int]:
    """Sort grade_ids in the order the gradebook lists a submission's grades."""
    first = {}
    for _, name, *_ in grades:
        first.setdefault(name, len(first))
    return lambda name: first.get(name, len(first))


def _add_submissions(db, t, assignment_id, notebooks, cells, student_ids) -> None:
    """What nbgrader's Gradebook.add_submission creates, for several students at once: the
    submission, one submitted notebook per notebook of the assignment, a grade row per grade
    (and task) cell and a comment row per solution (and task) cell, every other column left to
    nbgrader's own defaults."""
    from nbgrader.api import new_uuid

    if not student_ids:
        return
    submissions, notebook_rows, grade_rows, comment_rows = [], [], [], []
    for sid in student_ids:
        submission = new_uuid()
        submissions.append({"id": submission, "assignment_id": assignment_id,
                            "student_id": sid})
        for nb_id, _ in notebooks:
            notebook = new_uuid()
            notebook_rows.append({"id": notebook, "notebook_id": nb_id,
                                  "assignment_id": submission})
            grade_rows += [{"id": new_uuid(), "cell_id": c, "notebook_id": notebook}
                           for c in cells["GradeCell"][nb_id] + cells["TaskCell"][nb_id]]
            comment_rows += [{"id": new_uuid(), "cell_id": c, "notebook_id": notebook}
                             for c in cells["SolutionCell"][nb_id] + cells["TaskCell"][nb_id]]
    db.execute(t["SubmittedAssignment"].insert(), submissions)
    db.execute(t["SubmittedNotebook"].insert(), notebook_rows)
    if grade_rows:
        db.execute(t["Grade"].insert(), grade_rows)
    if comment_rows:
        db.execute(t["Comment"].insert(), comment_rows)

