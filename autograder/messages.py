"""What the learner reads about each grade cell: passed, or why not, in one line.

A failure is explained by the exception's name and first line, never the test's source or a
traceback; a message that shows a known mistake of the assignment's catalogue gets its name and
hint (:class:`Mistakes`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from nbformat import NotebookNode

from .execute import grade_id_of
from .notebook import Assignment, GradeCell


@dataclass(frozen=True)
class Mistakes:
    """An assignment's known mistakes, as its learner messages name them: the catalogue, the
    checks whose tolerance a diagnosis uses, and the reference module (the expected values a
    visible test's message is read against). :data:`NONE` for an assignment without them."""

    entries: tuple = ()
    checks: Mapping = field(default_factory=dict)
    reference: object = None

    @classmethod
    def of(cls, assignment) -> Mistakes:
        """Those of a course.Assignment."""
        return cls(tuple(assignment.catalogue()), assignment.checks(), assignment.reference())

    def visible(self, grade_id: str, message: str) -> str:
        """A visible test's message with the known mistake it shows, if exactly one does."""
        check = self.checks.get(grade_id)
        if check is None or not self.entries or self.reference is None:
            return message
        from solutions.checking import annotate_visible

        return annotate_visible(message, check, self.entries, self.reference)

    def read(self, message: str) -> tuple[str, str, str] | None:
        """(the message without the mistake, its name, its hint), or None when it names none."""
        if not self.entries:
            return None
        from solutions.checking import read

        return read(message, self.entries)


NONE = Mistakes()


@dataclass(frozen=True)
class Outcome:
    """One grade cell's result, as the learner will see it."""

    cell: GradeCell
    points: float
    message: str  # "" when it passed; never test source, never a traceback


def outcomes(nb: NotebookNode | None, assignment: Assignment, points: dict[str, float],
             messages: dict[str, str] | None = None, mistakes: Mistakes = NONE
             ) -> list[Outcome]:
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
                   else messages.get(gc.grade_id)
                   or failure_message(cell, gc, earned, mistakes))
        result.append(Outcome(gc, earned, message))
    return result


def failure_message(cell: NotebookNode | None, gc: GradeCell, earned: float,
                    mistakes: Mistakes = NONE) -> str:
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
            if not gc.hidden:  # a hidden check's message carries its diagnosis already
                evalue = mistakes.visible(gc.grade_id, evalue)
            evalue = shorten(evalue, mistakes)
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


def shorten(message: str, mistakes: Mistakes = NONE, limit: int = 300) -> str:
    """At most `limit` characters (plus the known mistake's name and hint, kept whole)."""
    found = mistakes.read(message)
    text, tail = (found[0], message[len(found[0]):]) if found else (message, "")
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text + tail
