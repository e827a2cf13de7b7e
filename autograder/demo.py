"""`python -m autograder demo` (what `make demo` runs): grade a small made-up class for each
assignment of the module, in the order the learners meet them.

For each assignment it writes a handful of submissions built from the committed release: the
model answers, the honest variants its solutions package lists (``variants.HONEST``), a few of
its catalogue's known mistakes (the keys its manifest lists under ``demo``, else the first three
functions' first entries), a file that is not a notebook, and the untouched release. It grades
them with `autograder.pipeline.grade` into OUT/<assignment>/ (default demo_output/), prints one
line per student and says where the grades and the feedback are.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from nbformat import NotebookNode

from autograder import course as courses
from autograder import submissions as subs

MISTAKES_SHOWN = 3  # catalogue entries planted when the manifest names none


@dataclass(frozen=True)
class DemoStudent:
    student_id: str
    what: str
    build: Callable[[], NotebookNode | bytes]


def _with(a: courses.Assignment, answers: dict[str, str]) -> Callable[[], NotebookNode]:
    return lambda: subs.make_submission(answers, release=a.release)


def demo_class(a: courses.Assignment) -> tuple[DemoStudent, ...]:
    """The made-up class of one assignment (see the module's docstring)."""
    correct = subs.correct_answers(a.source)
    students = [DemoStudent("correct", "the reference answers", _with(a, correct))]
    honest = _honest_variants(a)
    for name, (what, answers) in honest.items():
        students.append(DemoStudent(name, what, _with(a, {**correct, **answers})))
    for entry in _shown_mistakes(a):
        students.append(DemoStudent(entry.key, f"{entry.function}: {entry.name}",
                                    _with(a, {**correct, entry.function: entry.code})))
    students.append(DemoStudent("not_json", "a file that is not a notebook at all",
                                subs.BROKEN["not_json"]))
    students.append(DemoStudent("untouched", "the release handed in unchanged",
                                lambda: subs.read_notebook(a.release)))
    return tuple(students)


def _honest_variants(a: courses.Assignment) -> dict[str, tuple[str, dict[str, str]]]:
    if not (a.package / "variants.py").is_file():
        return {}
    courses.use(a.course)
    return dict(importlib.import_module(f"solutions.{a.name}.variants").HONEST)


def _shown_mistakes(a: courses.Assignment) -> list:
    catalogue = a.catalogue()
    wanted = a.demo
    if wanted:
        by_key = {entry.key: entry for entry in catalogue}
        return [by_key[key] for key in wanted if key in by_key]
    first, seen = [], set()
    for entry in catalogue:
        if entry.function not in seen:
            seen.add(entry.function)
            first.append(entry)
    return first[:MISTAKES_SHOWN]


def classes(course=courses.REPO) -> dict[str, tuple[DemoStudent, ...]]:
    """Each assignment's made-up class, in the order the module teaches them."""
    return {a.name: demo_class(a) for a in courses.assignments(course)}


def ensure_release(out: TextIO, a: courses.Assignment) -> None:
    """Build release/ from source/ with nbgrader if it is missing (it is normally committed)."""
    release, source = a.release, a.source
    if release.is_file():
        return
    if not source.is_file():
        raise FileNotFoundError(
            f"neither {release} nor {source} exists; restore them with `git checkout`"
        )
    print("release/ is missing: building it from source/ with nbgrader...", file=out)
    env = dict(os.environ)
    # nbgrader runs `alembic` from PATH when it creates a gradebook: put this Python's bin first.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "generate_assignment",
            a.name,
            "--force",
            "--log-level=WARN",
        ],  # fmt: skip
        cwd=subs.ROOT,
        env=env,
        check=True,
    )


def write_demo_class(folder: Path, a: courses.Assignment) -> list[Path]:
    """Write the demo submissions of `a` afresh into `folder` (nbgrader layout)."""
    if folder.exists():
        shutil.rmtree(folder)
    return subs.write_class(folder, {s.student_id: s.build() for s in demo_class(a)},
                            assignment=a.name)


def _score(row) -> str:
    if row is None:
        return "-"
    if row.score is None:
        return f"?/{row.max_score:g}"
    return f"{row.score:g}/{row.max_score:g}"


def lost_points(row, max_points: dict[str, float]) -> list[str]:
    """The grade cells where `row` earned less than the cell's points, in notebook order."""
    return [g for g, most in max_points.items() if row.points.get(g, 0.0) < most]


def print_table(rows, max_points: dict[str, float], out: TextIO,
                students: tuple[DemoStudent, ...], most_named: int = 3) -> None:
    """One line per demo student (id, score, status, what the submission is); under a partly
    right submission, the tests it lost points in (at most `most_named` of them by name)."""
    by_id = {row.student_id: row for row in rows}
    lines = []
    for student in students:
        row = by_id.get(student.student_id)
        status = row.status if row is not None else "missing from the grading results"
        lines.append((student.student_id, _score(row), status, student.what))
    header = ("student", "score", "status", "what it is")
    widths = [max(len(line[i]) for line in (header, *lines)) for i in range(3)]
    for line in (header, *lines):
        padded = [cell.ljust(width) for cell, width in zip(line[:3], widths, strict=True)]
        print("  " + "  ".join([*padded, line[3]]), file=out)
        row = by_id.get(line[0])
        if row is None or not row.score or row.score >= row.max_score:
            continue
        lost = lost_points(row, max_points)
        more = f" and {len(lost) - most_named} more" if len(lost) > most_named else ""
        print(" " * (widths[0] + 4) + "lost points in: " + ", ".join(lost[:most_named]) + more,
              file=out)  # fmt: skip


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run(out: Path = Path("demo_output"), *, stream: TextIO | None = None) -> int:
    """Grade each assignment's demo class into `out`/<assignment>/; return 0 when every class
    was graded, 1 otherwise."""
    stream = stream or sys.stdout
    started = time.perf_counter()
    found = courses.assignments()
    for number, a in enumerate(found, start=1):
        print(f"Assignment {number} of {len(found)}: {a.name} ({a.title})", file=stream)
        if _run_one(Path(out), a, stream) != 0:
            return 1
        print(file=stream)
    print(f"Done in {time.perf_counter() - started:.0f} s. "
          "Run it again and only new or changed submissions are graded.", file=stream)  # fmt: skip
    return 0


def _run_one(out: Path, a: courses.Assignment, stream: TextIO) -> int:
    from autograder.pipeline import GradingError, grade  # only the demo needs the pipeline

    assignment = a.name
    out = out / assignment
    try:
        ensure_release(stream, a)
        students = demo_class(a)
        folder = out / "demo_submissions"
        write_demo_class(folder, a)
    except (OSError, ValueError, KeyError, subprocess.CalledProcessError) as error:
        print(f"demo: could not build the demo submissions: {error}", file=stream)
        return 1
    print(f"Grading {len(students)} made-up submissions from {_relative(folder)}/ ...",
          file=stream)
    try:
        # unsafe=True: these submissions are written by this module, not by learners, so the
        # demo also runs where the sandbox cannot start (it is still used where it can).
        result = grade(folder, out, unsafe=True, assignment=assignment)
    except GradingError as error:
        print(f"demo: {error}", file=stream)
        return 1
    max_points = {
        cell.metadata.nbgrader["grade_id"]: float(cell.metadata.nbgrader.get("points", 0))
        for cell in subs.grade_cells(subs.read_notebook(a.release)).values()
    }
    print(file=stream)
    print_table(result.rows, max_points, stream, students)
    reference = next((row for row in result.rows if row.student_id == "correct"), None)
    if reference is not None and reference.score != reference.max_score:
        print("Note: the reference answers did not get full marks; the notebook's tests or the "
              "autograder need a look.", file=stream)  # fmt: skip
    print(file=stream)
    feedback = out / "feedback"
    # Whose feedback to look at: the first student who lost points to a known mistake.
    shown = [s.student_id for s in students if "." in s.student_id] or ["correct"]
    example = feedback / shown[0] / f"{assignment}.html"
    print(f"Sandbox:  {result.sandbox}", file=stream)
    print(f"Grades:   {_relative(result.workspace / 'grades.csv')}", file=stream)
    print(f"Feedback: {_relative(feedback)}/<student>/{assignment}.html, "
          f"e.g. {_relative(example)}", file=stream)  # fmt: skip
    print(f"Report:   {_relative(result.workspace / 'report.html')} (the class at a glance)",
          file=stream)
    return 0
