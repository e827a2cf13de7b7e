"""`python -m autograder demo` (what `make demo` runs): grade a small made-up class.

It writes a handful of submissions built from the committed release (the reference answers, the
lecture's plain formulas, a few common mistakes, a file that is not a notebook, an untouched
notebook), grades them with `autograder.pipeline.grade` into OUT (default demo_output/), prints
one line per student and says where the grades and the feedback are.
"""

from __future__ import annotations

import csv
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

from autograder import submissions as subs

ASSIGNMENT = subs.ASSIGNMENT


@dataclass(frozen=True)
class DemoStudent:
    student_id: str
    what: str
    build: Callable[[], NotebookNode | bytes]


def _mistake(student_id: str, key: str) -> DemoStudent:
    mistake = subs.COMMON_MISTAKES[key]
    return DemoStudent(
        student_id, mistake.description, lambda: subs.make_submission(mistake.answers())
    )


CLASS: tuple[DemoStudent, ...] = (
    DemoStudent(
        "correct",
        "the reference answers",
        lambda: subs.make_submission(subs.correct_answers()),
    ),
    DemoStudent(
        "lecture",
        "the lecture's formulas, typed the plain way",
        lambda: subs.make_submission(subs.lecture_formula_answers()),
    ),
    _mistake("relu_at_0", "relu_derivative_one_at_zero"),
    _mistake("sigmoid_1_z", "sigmoid_derivative_uses_z"),
    _mistake("tanh_no_sq", "tanh_derivative_missing_square"),
    _mistake("forward_diff", "numerical_derivative_forward_difference"),
    DemoStudent("not_json", "a file that is not a notebook at all", subs.BROKEN["not_json"]),
    DemoStudent("untouched", "the release handed in unchanged", subs.BROKEN["untouched"]),
)


def ensure_release(out: TextIO) -> None:
    """Build release/ from source/ with nbgrader if it is missing (it is normally committed)."""
    if subs.RELEASE.is_file():
        return
    if not subs.SOURCE.is_file():
        raise FileNotFoundError(
            f"neither {subs.RELEASE} nor {subs.SOURCE} exists; restore them with `git checkout`"
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
            ASSIGNMENT,
            "--force",
            "--log-level=WARN",
        ],  # fmt: skip
        cwd=subs.ROOT,
        env=env,
        check=True,
    )


def write_demo_class(folder: Path) -> list[Path]:
    """Write the demo submissions afresh into `folder` (nbgrader layout)."""
    if folder.exists():
        shutil.rmtree(folder)
    return subs.write_class(folder, {s.student_id: s.build() for s in CLASS})


def read_grades(path: Path) -> dict[str, dict[str, str]]:
    """grades.csv rows by student_id."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def _score(row: dict[str, str] | None) -> str:
    if not row:
        return "-"
    try:
        return f"{float(row['score']):g}/{float(row['max_score']):g}"
    except (KeyError, ValueError):
        return f"{row.get('score', '?')}/{row.get('max_score', '?')}"


def print_table(grades: dict[str, dict[str, str]], out: TextIO) -> None:
    """One line per demo student: id, score, status and what the submission is."""
    rows = [(s.student_id, _score(grades.get(s.student_id)),
             (grades.get(s.student_id) or {}).get("status", "missing from grades.csv"), s.what)
            for s in CLASS]  # fmt: skip
    header = ("student", "score", "status", "what it is")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(3)]
    for row in (header, *rows):
        padded = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        print("  " + "  ".join([*padded, row[3]]), file=out)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run(out: Path = Path("demo_output"), *, stream: TextIO | None = None) -> int:
    """Grade the demo class into `out`; return 0 when it was graded, 1 otherwise."""
    from autograder.pipeline import grade  # imported here: `check` must not need the pipeline

    stream = stream or sys.stdout
    out = Path(out)
    started = time.perf_counter()
    try:
        ensure_release(stream)
        folder = out / "demo_submissions"
        write_demo_class(folder)
    except (OSError, ValueError, KeyError, subprocess.CalledProcessError) as error:
        print(f"demo: could not build the demo submissions: {error}", file=stream)
        return 1
    print(f"Grading {len(CLASS)} made-up submissions from {_relative(folder)}/ ...", file=stream)
    grade(folder, out)
    grades_csv = out / "grades.csv"
    if not grades_csv.is_file():
        print(f"demo: grading finished but wrote no {_relative(grades_csv)}", file=stream)
        return 1
    grades = read_grades(grades_csv)
    print(file=stream)
    print_table(grades, stream)
    reference = grades.get("correct", {})
    if reference and reference.get("score") != reference.get("max_score"):
        print("Note: the reference answers did not get full marks; the notebook's tests or the "
              "autograder need a look.", file=stream)  # fmt: skip
    print(file=stream)
    feedback = out / "feedback"
    example = feedback / "relu_at_0" / f"{ASSIGNMENT}.html"
    print(f"Grades:   {_relative(grades_csv)}", file=stream)
    print(f"Feedback: {_relative(feedback)}/<student>/{ASSIGNMENT}.html, "
          f"e.g. {_relative(example)}", file=stream)  # fmt: skip
    print(f"Done in {time.perf_counter() - started:.0f} s. "
          "Run it again and only new or changed submissions are graded.", file=stream)  # fmt: skip
    return 0
