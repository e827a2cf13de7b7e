"""Stage 7: DIR/grades.csv (written whole or not at all), the summary table and DIR/report.html."""

from __future__ import annotations

import csv
import html
import io
import math
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
    """Group statuses for counting ("timed out in f" and "... in g" are one kind)."""
    for prefix in ("timed out", "kernel died", "kernel stopped", "stopped by sys.exit",
                   "not a notebook", "error"):
        if status.startswith(prefix):
            return prefix
    return status.split(" (")[0]


def summary(rows: list[Row], grade_ids: list[str], max_points: dict[str, float],
            top: int = 5) -> str:
    """A plain-text table: how many students each kind of status concerns, mean and median
    score, most failed tests. A student whose status holds one kind several times ("timed out
    in f; timed out in g") counts once in it; one whose status holds several kinds counts in
    each."""
    lines = []
    kinds = Counter()
    for row in rows:
        kinds.update({_status_kind(part) for part in row.status.split("; ")})
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


# --------------------------------------------------------------------------------------------
# DIR/report.html: the class at a glance (figures from autograder/analytics.py)
# --------------------------------------------------------------------------------------------

REPORT_STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3rem .4rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{background:#e8e8e8;width:8rem;height:.8rem;display:inline-block;vertical-align:middle}
.bar span{background:#2f6fb0;height:100%;display:block}.low span{background:#b3261e}
.msg{font-family:monospace;font-size:.85em}.muted{color:#666}.tag{background:#fff4d6;
padding:0 .3rem;margin-right:.3rem;white-space:nowrap}svg text{font-family:system-ui,sans-serif}
#checks td:last-child{min-width:12rem}#misconceptions td:first-child{min-width:10rem}
""".strip()


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.0f}%"


def _bar(x: float | None) -> str:
    if x is None:
        return ""
    low = " low" if x < 0.5 else ""
    return f'<span class="bar{low}"><span style="width:{100 * x:.0f}%"></span></span>'


def histogram_svg(scores: list[float], max_score: float) -> str:
    """Inline SVG: how many students got each whole-point score (0 .. max_score)."""
    bins = int(math.floor(max_score)) + 1
    counts = [0] * bins
    for score in scores:
        counts[min(max(int(math.floor(score)), 0), bins - 1)] += 1
    width, height, left, bottom, top = 760, 230, 36, 34, 18
    step = (width - left - 10) / bins
    tallest = max(counts + [1])
    scale = (height - bottom - top) / tallest
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Histogram of scores">',
        "<title>How many students got each score</title>",
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        'stroke="#444"/>',
    ]
    for i, count in enumerate(counts):
        x = left + i * step
        h = count * scale
        if count:
            parts.append(f'<rect class="bin" x="{x + 1:.1f}" y="{height - bottom - h:.1f}" '
                         f'width="{step - 2:.1f}" height="{h:.1f}" fill="#2f6fb0">'
                         f"<title>{i} points: {count} student{'s' if count != 1 else ''}</title>"
                         "</rect>")
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height - bottom - h - 3:.1f}" '
                         f'font-size="11" text-anchor="middle">{count}</text>')
        if i % 5 == 0 or i == bins - 1:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height - bottom + 14}" '
                         f'font-size="11" text-anchor="middle">{i}</text>')
    parts.append(f'<text x="{(width + left) / 2:.0f}" y="{height - 4}" font-size="12" '
                 f'text-anchor="middle">score (points out of {max_score:g})</text>')
    parts.append(f'<text x="12" y="{(height - bottom) / 2:.0f}" font-size="12" '
                 f'text-anchor="middle" transform="rotate(-90 12 {(height - bottom) / 2:.0f})">'
                 "students</text>")
    parts.append("</svg>")
    return "".join(parts)


def html_report(students, cells, items, misconceptions, attention, max_score: float,
                numbers: dict, unused=(), title: str = "", similarity: str = "") -> str:
    """The whole report as one self-contained HTML page: no script, no external resource.
    `similarity`: the section of submissions that are alike (similarity.html_section), shown
    after the misconceptions."""
    from .similarity import STYLE as SIMILARITY_STYLE

    e = html.escape
    by_id = {item.grade_id: item for item in items}
    cell_of = {cell.grade_id: cell for cell in cells}
    order = {cell.grade_id: i for i, cell in enumerate(cells)}
    out = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f"<title>Class report: {e(title)}</title>",
        f"<style>{REPORT_STYLE}\n{SIMILARITY_STYLE}</style></head><body>",
        f"<h1>Class report: {e(title)}</h1>",
    ]
    mean = "" if numbers["mean"] is None else f"{numbers['mean']:.2f}"
    median = "" if numbers["median"] is None else f"{numbers['median']:g}"
    out.append(
        f'<p id="summary">{numbers["students"]} students; {numbers["analysed"]} with a notebook '
        f"that ran. Mean score {mean} / {max_score:g}, median {median} / {max_score:g}.</p>"
    )

    out.append("<h2>Scores</h2>")
    scores = [s.row.score for s in students if s.analysed]
    out.append(histogram_svg(scores, max_score))

    out.append(f'<h2>Needs your attention <span class="muted">({len(attention)})</span></h2>')
    if attention:
        out.append('<table id="attention"><thead><tr><th>student</th><th>why</th><th>status'
                   "</th><th>feedback</th></tr></thead><tbody>")
        for student, reasons in attention:
            link = (f'<a href="{e(student.feedback)}">feedback</a>' if student.feedback
                    else '<span class="muted">none</span>')
            tags = "".join(f'<span class="tag">{e(r)}</span>' for r in reasons)
            details = "; ".join([student.row.status] + student.notes)
            out.append(f"<tr><td>{e(student.row.student_id)}</td><td>{tags}</td>"
                       f'<td class="msg">{e(details)}</td><td>{link}</td></tr>')
        out.append("</tbody></table>")
    else:
        out.append("<p>Nobody: every notebook ran, on time, as handed in.</p>")

    out.append(f'<h2>Files not graded <span class="muted">({len(unused)})</span></h2>')
    if unused:
        out.append('<table id="unused"><thead><tr><th>file in the download</th><th>student</th>'
                   "<th>why not graded</th></tr></thead><tbody>")
        for item in unused:
            out.append(f'<tr><td class="msg">{e(item.path)}</td><td>{e(item.student_id)}</td>'
                       f"<td>{e(item.reason)}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>None: every file of the download was graded.</p>")

    out.append("<h2>Most common misconceptions</h2>")
    if misconceptions:
        out.append('<table id="misconceptions"><thead><tr><th>known mistake</th>'
                   '<th class="n">students</th><th>where</th><th>example</th></tr></thead><tbody>')
        for m in misconceptions:
            out.append(f"<tr><td>{e(m.name)}</td><td class=\"n\">{m.students}</td>"
                       f"<td>{e(', '.join(m.cells))}</td>"
                       f'<td class="msg">{e(m.example)} <span class="muted">({e(m.student)})'
                       "</span></td></tr>")
        out.append("</tbody></table>")
    else:
        out.append("<p>No failure matched a known mistake.</p>")

    if similarity:
        out.append(similarity)

    out.append("<h2>Pass rate per function, hardest first</h2>")
    functions: dict[str, list] = {}
    for cell in cells:
        functions.setdefault(cell.function or cell.grade_id, []).append(by_id[cell.grade_id])
    rates = []
    for name, found in functions.items():
        total = sum(i.students for i in found)
        rates.append((sum(i.passed for i in found) / total if total else None, name, found))
    rates.sort(key=lambda r: (2 if r[0] is None else r[0], r[1]))
    out.append('<table id="functions"><thead><tr><th>function</th><th class="n">pass rate</th>'
               '<th></th><th class="n">tests</th></tr></thead><tbody>')
    for rate, name, found in rates:
        out.append(f'<tr><td>{e(name)}</td><td class="n">{_pct(rate)}</td><td>{_bar(rate)}'
                   f'</td><td class="n">{len(found)}</td></tr>')
    out.append("</tbody></table>")

    out.append("<h2>Pass rate per test, hardest first</h2>")
    ordered = sorted(items, key=lambda i: (2 if i.pass_rate is None else i.pass_rate,
                                           order[i.grade_id]))
    out.append('<table id="checks"><thead><tr><th>test (grade_id)</th><th class="n">passed</th>'
               '<th class="n">pass rate</th><th></th><th class="n">discrimination</th>'
               "<th>top mistake</th></tr></thead><tbody>")
    for item in ordered:
        kind = " (hidden)" if cell_of[item.grade_id].hidden else ""
        disc = "" if item.discrimination is None else f"{item.discrimination:.2f}"
        top = f"{e(item.top_mistake)} ({item.top_mistake_count})" if item.top_mistake else ""
        out.append(f'<tr data-grade-id="{e(item.grade_id)}"><td>{e(item.grade_id)}'
                   f'<span class="muted">{kind}</span></td>'
                   f'<td class="n">{item.passed} / {item.students}</td>'
                   f'<td class="n">{_pct(item.pass_rate)}</td><td>{_bar(item.pass_rate)}</td>'
                   f'<td class="n">{disc}</td><td>{top}</td></tr>')
    out.append("</tbody></table>")
    out.append('<p class="muted">Discrimination: the correlation between passing the test and '
               "the rest of the score (empty where everyone passed or everyone failed). The same "
               "figures are in item_analysis.csv.</p>")
    out.append("</body></html>\n")
    return "\n".join(out)
