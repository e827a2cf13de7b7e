"""`python -m autograder demo` (what `make demo` runs): grade a small made-up class for each
assignment of the module, in the order the learners meet them.

For each assignment it writes a handful of submissions built from the committed release (the
reference answers, common mistakes, a file that is not a notebook, an untouched notebook; the
lecture's plain formulas for the first), grades them with `autograder.pipeline.grade` into
OUT/<assignment>/ (default demo_output/), prints one line per student and says where the grades
and the feedback are.
"""

from __future__ import annotations

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
BACKPROP = "backprop_one_hidden_layer"


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


def _notebook(folder: str, assignment: str) -> Path:
    return subs.ROOT / folder / assignment / f"{assignment}.ipynb"


def _backprop_mistake(student_id: str, function: str, code: str, what: str) -> DemoStudent:
    return DemoStudent(student_id, what, lambda: subs.make_submission(
        {**subs.correct_answers(_notebook("source", BACKPROP)), function: code},
        release=_notebook("release", BACKPROP)))


BACKPROP_CLASS: tuple[DemoStudent, ...] = (
    DemoStudent("correct", "the reference answers", lambda: subs.make_submission(
        subs.correct_answers(_notebook("source", BACKPROP)),
        release=_notebook("release", BACKPROP))),
    _backprop_mistake("in_place", "update_parameters",
                      "for name in ('W1', 'b1', 'W2', 'b2'):\n"
                      "    parameters[name] -= learning_rate * grads['d' + name]\n"
                      "return parameters",
                      "update_parameters changes the caller's parameters in place"),
    _backprop_mistake("cost_no_clip", "compute_cost",
                      "m = Y.shape[1]\n"
                      "return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)",
                      "the cost without a clip: log(0) when A2 is exactly 0 or 1"),
    DemoStudent("not_json", "a file that is not a notebook at all", subs.BROKEN["not_json"]),
    DemoStudent("untouched", "the release handed in unchanged",
                lambda: subs.read_notebook(_notebook("release", BACKPROP))),
)

# Each assignment's made-up class, in the order the module teaches them.
CLASSES: dict[str, tuple[DemoStudent, ...]] = {ASSIGNMENT: CLASS, BACKPROP: BACKPROP_CLASS}
# Whose feedback the demo points to: one that lost a point to a common mistake.
EXAMPLE = {ASSIGNMENT: "relu_at_0", BACKPROP: "in_place"}


def ensure_release(out: TextIO, assignment: str = ASSIGNMENT) -> None:
    """Build release/ from source/ with nbgrader if it is missing (it is normally committed)."""
    release, source = _notebook("release", assignment), _notebook("source", assignment)
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
            assignment,
            "--force",
            "--log-level=WARN",
        ],  # fmt: skip
        cwd=subs.ROOT,
        env=env,
        check=True,
    )


def write_demo_class(folder: Path, assignment: str = ASSIGNMENT) -> list[Path]:
    """Write the demo submissions of `assignment` afresh into `folder` (nbgrader layout)."""
    if folder.exists():
        shutil.rmtree(folder)
    return subs.write_class(folder, {s.student_id: s.build() for s in CLASSES[assignment]},
                            assignment=assignment)


def _score(row) -> str:
    if row is None:
        return "-"
    if row.score is None:
        return f"?/{row.max_score:g}"
    return f"{row.score:g}/{row.max_score:g}"


def lost_points(row, max_points: dict[str, float]) -> list[str]:
    """The grade cells where `row` earned less than the cell's points, in notebook order."""
    return [g for g, most in max_points.items() if row.points.get(g, 0.0) < most]


def print_table(rows, max_points: dict[str, float], out: TextIO, most_named: int = 3,
                students: tuple[DemoStudent, ...] = CLASS) -> None:
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
    for number, assignment in enumerate(CLASSES, start=1):
        print(f"Assignment {number} of {len(CLASSES)}: {assignment}", file=stream)
        if _run_one(Path(out), assignment, stream) != 0:
            return 1
        print(file=stream)
    print(f"Done in {time.perf_counter() - started:.0f} s. "
          "Run it again and only new or changed submissions are graded.", file=stream)  # fmt: skip
    return 0


def _run_one(out: Path, assignment: str, stream: TextIO) -> int:
    from autograder.pipeline import GradingError, grade  # only the demo needs the pipeline

    students = CLASSES[assignment]
    out = out / assignment
    try:
        ensure_release(stream, assignment)
        folder = out / "demo_submissions"
        write_demo_class(folder, assignment)
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
        for cell in subs.grade_cells(subs.read_notebook(_notebook("release", assignment))).values()
    }
    print(file=stream)
    print_table(result.rows, max_points, stream, students=students)
    reference = next((row for row in result.rows if row.student_id == "correct"), None)
    if reference is not None and reference.score != reference.max_score:
        print("Note: the reference answers did not get full marks; the notebook's tests or the "
              "autograder need a look.", file=stream)  # fmt: skip
    print(file=stream)
    feedback = out / "feedback"
    example = feedback / EXAMPLE[assignment] / f"{assignment}.html"
    print(f"Sandbox:  {result.sandbox}", file=stream)
    print(f"Grades:   {_relative(result.workspace / 'grades.csv')}", file=stream)
    print(f"Feedback: {_relative(feedback)}/<student>/{assignment}.html, "
          f"e.g. {_relative(example)}", file=stream)  # fmt: skip
    print(f"Report:   {_relative(result.workspace / 'report.html')} (the class at a glance)",
          file=stream)
    return 0
