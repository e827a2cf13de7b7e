"""Reading notebooks: a submission as an nbformat notebook, and what the source notebook says
about grading (its functions and grade cells, in order: :class:`Assignment`)."""

from __future__ import annotations

import ast
import copy
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .execute import grade_id_of

HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"


class NotANotebook(Exception):
    """The submitted file cannot be read as a notebook; str() is the learner-facing reason."""


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
    name: str

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
        raise NotANotebook(f"not a notebook: {first_line(error)}") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate or missing cell ids are fixed silently
            nbformat.validate(nb)
    except nbformat.ValidationError as error:
        raise NotANotebook(f"not a notebook: {first_line(error)}") from None
    return nb


def first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else type(error).__name__
    return line if len(line) <= 120 else line[:117] + "..."


