"""Stages 3 and 5: make a submission safe to grade, then score it in nbgrader's gradebook.

Before running (`sanitize`):
1. Every cell's nbgrader metadata is replaced by the released cell's metadata of the same
   grade_id (so edited points, flags or checksums count for nothing), and metadata with a
   grade_id the assignment does not have is removed (a made-up test cell grades nothing).
2. nbgrader's own sanitizing preprocessors, in nbgrader's order: ClearOutput, DeduplicateIds,
   OverwriteKernelspec, OverwriteCells (with add_missing_cells: deleted test cells come back,
   edited ones get their source back from the gradebook) and CheckCellMetadata. The score is
   thus as if the test cells had never been touched.

After running (`save`): nbgrader's LimitOutput and SaveAutoGrades (nbgrader's
`determine_grade`: a test cell earns its points unless it shows an error or writes to stderr)
write the grades; optional caps (the clean room's lower scores) are applied; then the grades
are read back from the gradebook, which is the one source of per-cell points.

A grading run opens the gradebook inside `shared_gradebook()`, which makes nbgrader's many
Gradebook(db_url) cheap (one engine per URL, sqlite in WAL mode, no `alembic` subprocess).

Only the grading process's main thread calls the functions that write here.
"""

from __future__ import annotations

import ast
import copy
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .collect import ASSIGNMENT, NOTEBOOK
from .execute import grade_id_of

NOTEBOOK_ID = NOTEBOOK[: -len(".ipynb")]
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"


class NotANotebook(Exception):
    """The submitted file cannot be read as a notebook; str() is the learner-facing reason."""


class SanitizeError(Exception):
    """nbgrader refused the notebook's metadata even after it was restored."""


@dataclass(frozen=True)
class GradeCell:
    grade_id: str
    points: float
    title: str  # the cell's one-line docstring
    hidden: bool  # holds hidden tests (its source is never shown)
    function: str | None


@dataclass(frozen=True)
class Assignment:
    """What the source notebook says about grading: functions and grade cells, in order."""

    functions: tuple[str, ...]
    grade_cells: tuple[GradeCell, ...]
    canonical: dict  # grade_id -> released nbgrader metadata
    # nbgrader's assignment id; its notebook is <name>.ipynb (notebook id <name>)
    name: str = ASSIGNMENT

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.grade_cells)

    def cell(self, grade_id: str) -> GradeCell:
        return next(c for c in self.grade_cells if c.grade_id == grade_id)

    @classmethod
    def load(cls, source: Path, release: Path) -> Assignment:
        from .execute import function_of

        src = nbformat.read(source, as_version=4)
        functions = tuple(
            grade_id_of(c) for c in src.cells
            if c.cell_type == "code" and _meta(c).get("solution") and not _meta(c).get("grade")
            and grade_id_of(c)
        )
        cells = tuple(
            GradeCell(grade_id_of(c), float(_meta(c).get("points", 0)), docstring_title(c),
                      HIDDEN_BEGIN in c.source, function_of(grade_id_of(c), functions))
            for c in src.cells if _meta(c).get("grade") and grade_id_of(c)
        )
        rel = nbformat.read(release, as_version=4)
        canonical = {grade_id_of(c): copy.deepcopy(_meta(c)) for c in rel.cells if grade_id_of(c)}
        return cls(functions, cells, canonical, Path(source).parent.name)


def _meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def docstring_title(cell: NotebookNode) -> str:
    """First line of the cell's docstring; its grade_id when it has none."""
    try:
        doc = ast.get_docstring(ast.parse(cell.source))
    except SyntaxError:
        doc = None
    return doc.strip().splitlines()[0] if doc and doc.strip() else str(grade_id_of(cell))


def parse_notebook(content: bytes) -> NotebookNode:
    """The submission as an nbformat-4 notebook, or NotANotebook with a short reason."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise NotANotebook("not a notebook: the file is not UTF-8 text") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing or duplicate cell ids: nbformat fixes them
            nb = nbformat.reads(text, as_version=4)
    except nbformat.reader.NotJSONError:
        raise NotANotebook("not a notebook: the file is not JSON") from None
    except Exception as error:  # nbformat raises several kinds for unreadable files
        raise NotANotebook(f"not a notebook: {_first_line(error)}") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate or missing cell ids are fixed silently
            nbformat.validate(nb)
    except nbformat.ValidationError as error:
        raise NotANotebook(f"not a notebook: {_first_line(error)}") from None
    return nb


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else type(error).__name__
    return line if len(line) <= 120 else line[:117] + "..."


def restore_metadata(nb: NotebookNode, assignment: Assignment) -> int:
    """Put the released nbgrader metadata back on every cell; returns how many were changed.

    A grade_id used by several cells keeps its metadata on the last of them only (the choice
    nbgrader's DeduplicateIds makes); the others become ordinary cells. The kept cell's source
    is then restored from the gradebook by OverwriteCells.
    """
    changed = 0
    seen = set()
    for cell in reversed(nb.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = grade_id.get("grade_id") if isinstance(grade_id, dict) else None
        if isinstance(grade_id, str) and grade_id in seen:
            del cell.metadata["nbgrader"]
            changed += 1
        elif isinstance(grade_id, str):
            seen.add(grade_id)
    for cell in nb.cells:
        if "nbgrader" not in cell.get("metadata", {}):
            continue
        grade_id = cell.metadata["nbgrader"].get("grade_id") if isinstance(
            cell.metadata["nbgrader"], dict) else None
        wanted = assignment.canonical.get(grade_id) if isinstance(grade_id, str) else None
        if wanted is None:
            del cell.metadata["nbgrader"]
            changed += 1
        elif cell.metadata["nbgrader"] != wanted:
            cell.metadata["nbgrader"] = copy.deepcopy(wanted)
            changed += 1
    return changed


def resources(db_url: str, student_id: str, assignment: str = ASSIGNMENT) -> dict:
    """What nbgrader's preprocessors need to find the gradebook rows (the notebook of an
    assignment is named after it: <assignment>.ipynb)."""
    return {"nbgrader": {"student": student_id, "assignment": assignment,
                         "notebook": assignment, "db_url": db_url}}


def sanitize(nb: NotebookNode, assignment: Assignment, db_url: str, student_id: str,
             config=None) -> list[str]:
    """Make `nb` safe to grade (in place); returns notes on what was restored."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        OverwriteCells,
        OverwriteKernelspec,
    )

    notes = []
    before = {grade_id_of(c) for c in nb.cells}
    if restore_metadata(nb, assignment):
        notes.append("nbgrader cell metadata was edited; the released metadata was used")
    res = resources(db_url, student_id, assignment.name)
    steps = [ClearOutput(config=config), DeduplicateIds(config=config),
             OverwriteKernelspec(config=config),
             OverwriteCells(config=config, add_missing_cells=True),
             CheckCellMetadata(config=config)]
    try:
        with schema_checked_once(), _fewer_round_trips("overwritecells"):
            for step in steps:
                nb, res = step.preprocess(nb, res)
    except Exception as error:
        raise SanitizeError(_first_line(error)) from None
    missing = [c.grade_id for c in assignment.grade_cells if c.grade_id not in before]
    if missing:
        notes.append(f"deleted test cells were put back: {', '.join(missing)}")
    return notes


class _CheckedSchemas:
    """Stands in for the jsonschema module where nbgrader checks cell metadata (`sanitize`).

    nbgrader's CheckCellMetadata calls jsonschema.validate(metadata, schema) for every cell, and
    jsonschema.validate first checks the schema itself against its metaschema: most of the
    step's time (about 0.1 s a notebook). The schema is nbgrader's own file, the same for every
    cell, so it is checked once per process; each cell is then validated as
    jsonschema.validate does it (the best-matching error is raised).
    """

    validators: dict[str, object] = {}  # the schema as JSON -> its checked validator

    @classmethod
    def validate(cls, instance, schema) -> None:
        import json

        from jsonschema import exceptions, validators

        key = json.dumps(schema, sort_keys=True)
        validator = cls.validators.get(key)
        if validator is None:
            kind = validators.validator_for(schema)
            kind.check_schema(schema)
            validator = cls.validators[key] = kind(schema)
        error = exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error


@contextmanager
def schema_checked_once() -> Iterator[None]:
    """Within this block, nbgrader checks cell metadata with `_CheckedSchemas` (main thread)."""
    from nbgrader.nbgraderformat import common

    module = common.jsonschema
    common.jsonschema = _CheckedSchemas
    try:
        yield
    finally:
        common.jsonschema = module


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


def _ensure_submission(gb, student_id: str, assignment: str = ASSIGNMENT) -> None:
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        # nbgrader's add_submission trips a harmless SQLAlchemy autoflush warning.
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_student(student_id)
        gb.update_or_create_submission(assignment, student_id)


def save(nb: NotebookNode, db_url: str, student_id: str, config=None,
         caps: dict[str, float] | None = None, assignment: str = ASSIGNMENT
         ) -> tuple[dict[str, float], list[str]]:
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


def save_zero(db_url: str, student_id: str, assignment: str = ASSIGNMENT) -> dict[str, float]:
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


def _points(gb, student_id: str, assignment: str = ASSIGNMENT) -> dict[str, float]:
    grades = _submitted_rows(gb, "grade", assignment, assignment, student_id)
    return {grade.name: float(grade.score or 0) for grade in grades}


@dataclass(frozen=True)
class Outcome:
    """One grade cell's result, as the learner will see it."""

    cell: GradeCell
    points: float
    message: str  # "" when it passed; never test source, never a traceback


def outcomes(nb: NotebookNode | None, assignment: Assignment, points: dict[str, float],
             messages: dict[str, str] | None = None) -> list[Outcome]:
    """Each grade cell's result. `messages` (grade_id -> message) says why points were taken
    away after the run (the clean room's cap: the call and the reason); other failures are
    explained from the executed cell's outputs."""
    executed = {grade_id_of(c): c for c in nb.cells} if nb is not None else {}
    messages = messages or {}
    result = []
    for gc in assignment.grade_cells:
        earned = points.get(gc.grade_id, 0.0)
        cell = executed.get(gc.grade_id)
        message = ("" if earned >= gc.points
                   else messages.get(gc.grade_id) or failure_message(cell, gc, earned))
        result.append(Outcome(gc, earned, message))
    return result


def failure_message(cell: NotebookNode | None, gc: GradeCell, earned: float) -> str:
    """Why a test cell lost points: exception name and message only."""
    if cell is None:
        return "not graded"
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            evalue = str(out.get("evalue", ""))
            if gc.hidden:
                # Only the first line: a multi-line message (numpy.testing's, say) can list the
                # hidden inputs and expected arrays.
                evalue = next((s for s in evalue.splitlines() if s.strip()), "")
            evalue = _shorten(_diagnosed(" ".join(evalue.split())))
            return f"{out.ename}: {evalue}" if evalue else str(out.ename)
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stderr":
            if gc.hidden:
                return "the test wrote to stderr (a warning?), which counts as a failure"
            first = next((s for s in out.text.splitlines() if s.strip()), "")[:200]
            return f"the test wrote to stderr, which counts as a failure: {first}"
    if earned > 0:
        return "partial credit"
    return "no points"


def _diagnosed(message: str) -> str:
    """A visible test's message with the known mistake it shows, if any (solutions.mistakes);
    a hidden check's message carries its diagnosis already."""
    from solutions import mistakes

    return mistakes.annotate_visible(message)


def _shorten(message: str, limit: int = 300) -> str:
    """At most `limit` characters (plus the known mistake's name and hint, kept whole)."""
    from solutions import mistakes

    found = mistakes.read(message)
    text, tail = (found[0], message[len(found[0]):]) if found else (message, "")
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text + tail


# ---------------------------------------------------------------------- grades as plain data
# Grading is split in two (issue 13): the unit that runs a notebook computes, from the executed
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
              assignment: str = ASSIGNMENT) -> dict[str, tuple[dict[str, float], list[str]]]:
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
