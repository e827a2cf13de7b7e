"""Making a submission safe to grade, before it runs (`sanitize`):

1. Every cell's nbgrader metadata is replaced by the released cell's metadata of the same
   grade_id (so edited points, flags or checksums count for nothing), and metadata with a
   grade_id the assignment does not have is removed (a made-up test cell grades nothing).
2. nbgrader's own sanitizing preprocessors, in nbgrader's order: ClearOutput, DeduplicateIds,
   OverwriteKernelspec, OverwriteCells (with add_missing_cells: deleted test cells come back,
   edited ones get their source back from the gradebook) and CheckCellMetadata. The score is
   thus as if the test cells had never been touched."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

from nbformat import NotebookNode

from .execute import grade_id_of
from .gradebook import _fewer_round_trips, resources
from .notebook import Assignment, first_line


class SanitizeError(Exception):
    """nbgrader refused the notebook's metadata even after it was restored."""


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
        raise SanitizeError(first_line(error)) from None
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


