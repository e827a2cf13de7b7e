"""Stage 7: DIR/grades.csv (written whole or not at all) and the summary table."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .workspace import atomic_write

FIXED_COLUMNS = ["student_id", "score", "max_score", "status"]


@dataclass(frozen=True)
class Row:
    """One student's line in grades.csv."""

    student_id: str
    score: float | None  # None: not graded because of a grading error (retried next run)
    max_score: float
    status: str
    points: dict[str, float] = field(default_factory=dict)  # grade_id -> points earned


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def write_csv(path: Path, rows: list[Row], grade_ids: list[str]) -> None:
    """grades.csv: one row per student, sorted; temp file + rename, never half-written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIXED_COLUMNS + grade_ids)
    for row in sorted(rows, key=lambda r: r.student_id):
        cells = [_fmt(row.points.get(g)) if row.score is not None else "" for g in grade_ids]
        writer.writerow([row.student_id, _fmt(row.score), _fmt(row.max_score), row.status, *cells])
    atomic_write(path, buffer.getvalue())


def _status_kind(status: str) -> str:
    """Group statuses for counting ("timed out in relu" and "... in tanh" are one kind)."""
    for prefix in ("timed out", "kernel died", "kernel stopped", "stopped by sys.exit",
                   "not a notebook", "error"):
        if status.startswith(prefix):
            return prefix
    return status.split(" (")[0]


def summary(rows: list[Row], grade_ids: list[str], max_points: dict[str, float],
            top: int = 5) -> str:
    """A plain-text table: counts by status, mean and median score, most failed tests."""
    lines = []
    kinds = Counter()
    for row in rows:
        for part in row.status.split("; "):
            kinds[_status_kind(part)] += 1
    width = max([len(k) for k in kinds] + [len("status")])
    lines.append(f"{'status':<{width}}  students")
    lines.append(f"{'-' * width}  --------")
    for kind, count in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"{kind:<{width}}  {count:>8}")
    scores = [r.score for r in rows if r.score is not None]
    max_score = rows[0].max_score if rows else 0
    if scores:
        lines.append("")
        lines.append(f"students: {len(rows)}   mean score: {statistics.mean(scores):.2f} / "
                     f"{max_score:g}   median: {statistics.median(scores):g} / {max_score:g}")
    failed = Counter(
        g for r in rows if r.score is not None for g in grade_ids
        if r.points.get(g, 0.0) < max_points.get(g, 0.0)
    )
    if failed:
        lines.append("")
        lines.append("tests most often failed:")
        for grade_id, count in sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
            lines.append(f"  {grade_id:<40} {count:>4} of {len(scores)}")
    return "\n".join(lines)
