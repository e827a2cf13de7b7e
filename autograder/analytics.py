"""Stage 8: what the class did, per grade cell and per known mistake.

Built after every `grade` run from the students' rows and their state files
(DIR/.autograder/state/<sid>.json), so students graded in an earlier run count as much as those
graded now. Two outputs, both written whole or not at all:

- DIR/item_analysis.csv, one row per grade cell:
  ``grade_id, students, passed, pass_rate, discrimination, top_mistake, top_mistake_count``.

  * ``students``: the students whose notebook ran (a row with a score whose status is not
    "no notebook", "not a notebook", "not gradable" or a grading error). The others have no
    answer to analyse; the report lists them under "needs attention".
  * ``passed``: how many of them earned the cell's full points; ``pass_rate`` = passed / students
    (3 decimals; empty when there are no students).
  * ``discrimination``: the point-biserial correlation between passing the cell (1 or 0) and the
    rest of the score (the total minus this cell's points), over the same students: the Pearson
    correlation of the two. Near 1: the students who pass this cell are those who do well
    elsewhere. Empty when it is undefined: fewer than 2 students, or either variable has zero
    variance (everyone passed, everyone failed, or everyone has the same rest score).
  * ``top_mistake``: the known mistake (the assignment's catalogue) that the feedback named most
    often for this cell, by the name the learners read; ``top_mistake_count``: for how many
    students. Ties go to the name first in alphabetical order. Empty and 0 when no failure was
    diagnosed.
- DIR/report.html (autograder/report.py): the same figures for a person.
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .report import Row
from .workspace import atomic_write

ITEM_COLUMNS = ["grade_id", "students", "passed", "pass_rate", "discrimination", "top_mistake",
                "top_mistake_count"]  # fmt: skip
NOT_RUN = ("no ", "not a notebook", "not gradable", "error")  # statuses: nothing to analyse


@dataclass(frozen=True)
class Cell:
    """A grade cell as the analysis needs it."""

    grade_id: str
    points: float
    function: str | None
    hidden: bool


@dataclass
class Student:
    """One student's row plus what their state file adds."""

    row: Row
    mistakes: dict[str, dict] = field(default_factory=dict)  # grade_id -> {"name", "example"}
    notes: list[str] = field(default_factory=list)
    feedback: str | None = None  # path of the feedback file, relative to DIR (None: none)

    @property
    def analysed(self) -> bool:
        return self.row.score is not None and not self.row.status.startswith(NOT_RUN)


@dataclass(frozen=True)
class Item:
    """One line of item_analysis.csv."""

    grade_id: str
    students: int
    passed: int
    pass_rate: float | None
    discrimination: float | None
    top_mistake: str
    top_mistake_count: int


def mistakes_of(outcomes, mistakes) -> dict[str, dict]:
    """grade_id -> {"name", "example"} for each failed cell whose feedback names a known
    mistake of ``mistakes`` (messages.Mistakes); "example" is the message without the
    mistake's hint (the call and its value)."""
    found = {}
    for outcome in outcomes:
        if outcome.points >= outcome.cell.points or not outcome.message:
            continue
        read = mistakes.read(outcome.message)
        if read is not None:
            example = read[0].removeprefix("AssertionError: ")
            found[outcome.cell.grade_id] = {"name": read[1], "example": example}
    return found


def load_students(root: Path, rows: list[Row], feedback_path) -> list[Student]:
    """Each row with its state file's mistakes and notes (a row without one has none)."""
    students = []
    for row in rows:
        state_path = root / ".autograder" / "state" / f"{row.student_id}.json"
        state = {}
        try:
            state = json.loads(state_path.read_text())
        except (OSError, ValueError):
            pass
        try:
            path = feedback_path(row.student_id)
            link = path.relative_to(root).as_posix() if path.exists() else None
        except (ValueError, OSError):
            link = None
        students.append(Student(row, dict(state.get("mistakes") or {}),
                                list(state.get("notes") or []), link))
    return students


def point_biserial(passed: list[int], rest: list[float]) -> float | None:
    """Pearson correlation of a 0/1 variable with a number; None when it is undefined."""
    n = len(passed)
    if n < 2:
        return None
    mean_x, mean_y = sum(passed) / n, sum(rest) / n
    sxx = sum((x - mean_x) ** 2 for x in passed)
    syy = sum((y - mean_y) ** 2 for y in rest)
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(passed, rest, strict=True))
    return sxy / math.sqrt(sxx * syy)


def items(students: list[Student], cells: list[Cell]) -> list[Item]:
    """One Item per grade cell, in notebook order."""
    analysed = [s for s in students if s.analysed]
    result = []
    for cell in cells:
        passed = [int(s.row.points.get(cell.grade_id, 0.0) >= cell.points) for s in analysed]
        rest = [(s.row.score or 0.0) - s.row.points.get(cell.grade_id, 0.0) for s in analysed]
        names = Counter(s.mistakes[cell.grade_id]["name"] for s, ok in zip(analysed, passed,
                        strict=True) if not ok and cell.grade_id in s.mistakes)  # fmt: skip
        top, count = min(names.items(), key=lambda kv: (-kv[1], kv[0])) if names else ("", 0)
        result.append(Item(
            cell.grade_id, len(analysed), sum(passed),
            sum(passed) / len(analysed) if analysed else None,
            point_biserial(passed, rest), top, count,
        ))  # fmt: skip
    return result


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def item_csv(found: list[Item]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ITEM_COLUMNS)
    for item in found:
        writer.writerow([item.grade_id, item.students, item.passed, _fmt(item.pass_rate),
                         _fmt(item.discrimination), item.top_mistake, item.top_mistake_count])
    return buffer.getvalue()


@dataclass(frozen=True)
class Misconception:
    """A known mistake across the class: how many students showed it, where, and an example."""

    name: str
    students: int  # students whose feedback names it (in one cell or more)
    cells: tuple[str, ...]  # the grade cells where it was named
    example: str  # one failing call and its value, from the first such student by id
    student: str


def misconceptions(students: list[Student]) -> list[Misconception]:
    """Known mistakes, most common first (ties by name)."""
    seen: dict[str, dict] = {}
    for student in sorted(students, key=lambda s: s.row.student_id):
        for grade_id, found in student.mistakes.items():
            entry = seen.setdefault(found["name"], {"students": set(), "cells": [],
                                                    "example": found["example"],
                                                    "student": student.row.student_id})
            entry["students"].add(student.row.student_id)
            if grade_id not in entry["cells"]:
                entry["cells"].append(grade_id)
    found = [Misconception(name, len(e["students"]), tuple(e["cells"]), e["example"], e["student"])
             for name, e in seen.items()]  # fmt: skip
    return sorted(found, key=lambda m: (-m.students, m.name))


ATTENTION = (  # (label, test on a student), in the order the report lists them
    ("not gradable", lambda s: s.row.score is None or s.row.status.startswith(NOT_RUN)),
    ("timed out", lambda s: "timed out" in s.row.status),
    ("stopped early", lambda s: any(k in s.row.status for k in ("kernel died", "kernel stopped",
                                                                "stopped by sys.exit"))),
    ("repaired", lambda s: bool(s.notes) or "repair" in s.row.status),
    ("capped by the clean room (possible cheat)",
     lambda s: "re-run on its own" in s.row.status or "fails when re-run" in s.row.status),
)


def attention(students: list[Student]) -> list[tuple[Student, list[str]]]:
    """The students an instructor should look at, with the reasons, by student id."""
    found = []
    for student in sorted(students, key=lambda s: s.row.student_id):
        reasons = [label for label, test in ATTENTION if test(student)]
        if reasons:
            found.append((student, reasons))
    return found


def summary_numbers(students: list[Student]) -> dict:
    scores = [s.row.score for s in students if s.analysed]
    return {
        "students": len(students),
        "analysed": len(scores),
        "mean": statistics.mean(scores) if scores else None,
        "median": statistics.median(scores) if scores else None,
    }


def write(root: Path, rows: list[Row], cells: list[Cell], max_score: float,
          feedback_path, unused=(), title: str = "", similar=None,
          threshold: float | None = None) -> list[Item]:
    """DIR/item_analysis.csv and DIR/report.html for `rows` (every student of the workspace);
    `unused` lists the files of this run's download that were not graded (collect.Unused);
    `similar`, the pairs of submissions above the similarity `threshold` (similarity.Pair; None:
    no such section)."""
    from . import report, similarity

    students = load_students(root, rows, feedback_path)
    found = items(students, cells)
    section = ""
    if similar is not None:
        links = {s.row.student_id: s.feedback for s in students}
        section = similarity.html_section(similar, links, similarity.DEFAULT_THRESHOLD
                                          if threshold is None else threshold)
    atomic_write(root / "item_analysis.csv", item_csv(found))
    atomic_write(root / "report.html",
                 report.html_report(students, cells, found, misconceptions(students),
                                    attention(students), max_score, summary_numbers(students),
                                    unused, title, similarity=section))
    return found
