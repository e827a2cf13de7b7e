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

Only the grading process's main thread calls the functions that write here.
"""

from __future__ import annotations

import ast
import copy
import warnings
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
        return cls(functions, cells, canonical)


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


def resources(db_url: str, student_id: str) -> dict:
    return {"nbgrader": {"student": student_id, "assignment": ASSIGNMENT,
                         "notebook": NOTEBOOK_ID, "db_url": db_url}}


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
    res = resources(db_url, student_id)
    steps = [ClearOutput(config=config), DeduplicateIds(config=config),
             OverwriteKernelspec(config=config),
             OverwriteCells(config=config, add_missing_cells=True),
             CheckCellMetadata(config=config)]
    try:
        for step in steps:
            nb, res = step.preprocess(nb, res)
    except Exception as error:
        raise SanitizeError(_first_line(error)) from None
    missing = [c.grade_id for c in assignment.grade_cells if c.grade_id not in before]
    if missing:
        notes.append(f"deleted test cells were put back: {', '.join(missing)}")
    return notes


def _ensure_submission(gb, student_id: str) -> None:
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        # nbgrader's add_submission trips a harmless SQLAlchemy autoflush warning.
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_student(student_id)
        gb.update_or_create_submission(ASSIGNMENT, student_id)


def save(nb: NotebookNode, db_url: str, student_id: str, config=None,
         caps: dict[str, float] | None = None) -> tuple[dict[str, float], list[str]]:
    """Write the executed notebook's grades to the gradebook.

    Returns the points per grade_id and the grade_ids whose points a cap lowered.
    """
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import LimitOutput, SaveAutoGrades

    with Gradebook(db_url) as gb:
        _ensure_submission(gb, student_id)
    res = resources(db_url, student_id)
    nb, res = LimitOutput(config=config).preprocess(nb, res)
    SaveAutoGrades(config=config).preprocess(nb, res)
    lowered = []
    with Gradebook(db_url) as gb:
        if caps:
            submission = gb.find_submission_notebook(NOTEBOOK_ID, ASSIGNMENT, student_id)
            for grade in submission.grades:
                if grade.name in caps and (grade.auto_score or 0) > caps[grade.name]:
                    grade.auto_score = caps[grade.name]
                    lowered.append(grade.name)
            gb.db.commit()
        return _points(gb, student_id), lowered


def save_zero(db_url: str, student_id: str) -> dict[str, float]:
    """A submission that cannot be graded: every test cell scores 0 (as nbgrader does)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        _ensure_submission(gb, student_id)
        submission = gb.find_submission_notebook(NOTEBOOK_ID, ASSIGNMENT, student_id)
        for grade in submission.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        gb.db.commit()
        return _points(gb, student_id)


def _points(gb, student_id: str) -> dict[str, float]:
    submission = gb.find_submission_notebook(NOTEBOOK_ID, ASSIGNMENT, student_id)
    return {grade.name: float(grade.score or 0) for grade in submission.grades}


@dataclass(frozen=True)
class Outcome:
    """One grade cell's result, as the learner will see it."""

    cell: GradeCell
    points: float
    message: str  # "" when it passed; never test source, never a traceback


def outcomes(nb: NotebookNode | None, assignment: Assignment,
             points: dict[str, float]) -> list[Outcome]:
    executed = {grade_id_of(c): c for c in nb.cells} if nb is not None else {}
    result = []
    for gc in assignment.grade_cells:
        earned = points.get(gc.grade_id, 0.0)
        cell = executed.get(gc.grade_id)
        message = "" if earned >= gc.points else failure_message(cell, gc, earned)
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
            evalue = " ".join(evalue.split())
            if len(evalue) > 300:
                evalue = evalue[:297] + "..."
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
