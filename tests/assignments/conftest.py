"""The conformance suite's shared, expensive fixture: ONE graded batch per assignment.

Every made-up learner the suite grades end to end (honest answers and saves, each known mistake
of the catalogue, generic wrong answers, cheats, attacks and the untouched release) is one
student of a single batch graded by ``autograder.pipeline.grade`` with the real sandbox and the
clean room. Many tests read its grades.csv, results and feedback.

Under pytest-xdist several workers may need the same batch: the first grades it into a folder
all workers share (under the run's base temporary folder, behind a file lock), the others wait
for it and read it from disk.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import pytest

from autograder import course
from autograder import submissions as subs
from autograder.isolation.sandbox import sandbox_problem

from . import corpus

REPO = Path(__file__).resolve().parents[2]
PLAN = "plan.json"


@dataclass(frozen=True)
class Student:
    """One made-up learner of the batch."""

    kind: str  # honest, save, mistake, generic, cheat, attack, untouched
    what: str
    answers: dict = field(default_factory=dict)  # function -> body typed in (model otherwise)
    key: str = ""  # catalogue entries' keys (space-separated), or the generic corpus entry's name


def students(a: course.Assignment) -> dict[str, Student]:
    """The batch of one assignment, by student id."""
    found = {"correct": Student("honest", "the model answers")}
    for name, (what, answers) in {**corpus.variants(a), **corpus.generic_answers(a)}.items():
        found[f"honest.{name}"] = Student("honest", what, dict(answers), name)
    for name, (what, _) in corpus.HONEST_SAVES.items():
        found[f"save.{name}"] = Student("save", what, {}, name)
    for group in corpus.packed(a):  # every entry, several to a notebook where they cannot meet
        sid = f"mistake.{group[0].key}" + (f".and_{len(group) - 1}_more" if len(group) > 1 else "")
        found[sid] = Student("mistake", "; ".join(f"{e.function}: {e.name}" for e in group),
                             {e.function: corpus.planted(e) for e in group},
                             " ".join(e.key for e in group))
    names = corpus.functions(a)
    found["generic.wrong_values"] = Student(
        "generic", "every function's numbers wrong (matches no known mistake)",
        {name: corpus.wrong_values(a, name) for name in names}, "wrong_values")
    changing = {name: body for name in names
                if (body := corpus.changes_its_input(a, name)) is not None}
    watched = {name: body for name, body in changing.items()
               if corpus.failing(a, corpus.namespace(a, {name: body}), only=[name])}
    found["generic.changes_its_input"] = Student(
        "generic", "right values, but an array passed in is changed in place, in each function "
        "that a check watches for it", watched, "changes_its_input")
    found["generic.changes_every_input"] = Student(
        "generic", "right values, but an array passed in is changed in place, in every function "
        "that takes one", changing, "changes_every_input")
    for kind, build in (("hard_coded", corpus.hard_coded), ("constant", corpus.constant)):
        found[f"cheat.{kind}"] = Student("cheat", kind, {n: build(a, n) for n in names}, kind)
    found["cheat.ignoring_data"] = Student(
        "cheat", "ignoring_data",
        {n: corpus.ignoring(a, n, corpus.data_parameters(a, n)) for n in names}, "ignoring_data")
    for name, (what, _) in corpus.ATTACKS.items():
        found[f"attack.{name}"] = Student("attack", what, {}, name)
    found["untouched"] = Student("untouched", "the release handed in unchanged")
    return found


def _content(a: course.Assignment, sid: str, student: Student):
    if student.kind == "save":
        return corpus.HONEST_SAVES[student.key][1](a)
    if student.kind == "attack":
        return corpus.ATTACKS[student.key][1](a)
    if student.kind == "untouched":
        return subs.read_notebook(a.release)
    return corpus.submission(a, student.answers)


@dataclass
class Batch:
    """One assignment's graded batch, read from its workspace."""

    assignment: course.Assignment
    out: Path
    students: dict[str, Student]
    rows: dict[str, dict]  # student id -> {"status", "score", "points": {grade_id: points}}

    @property
    def seed(self) -> int:
        """The workspace's clean-room seed (the inputs of every check in this batch)."""
        return int((self.out / ".autograder" / "seed").read_text())

    @property
    def max_points(self) -> dict[str, float]:
        return {cell.metadata.nbgrader["grade_id"]: float(cell.metadata.nbgrader["points"])
                for cell in subs.grade_cells(corpus.release(self.assignment)).values()}

    def lost(self, sid: str) -> set[str]:
        points = self.rows[sid]["points"]
        return {g for g, most in self.max_points.items() if points[g] < most}

    def results(self, sid: str) -> dict:
        return json.loads((self.out / "results" / f"{sid}.json").read_text())

    def messages(self, sid: str) -> dict[str, str]:
        """grade_id -> the learner's message (results.json), for every test."""
        return {test["number"]: test["output"] for test in self.results(sid)["tests"]}

    def feedback(self, sid: str) -> str:
        return (self.out / "feedback" / sid / f"{self.assignment.name}.html").read_text()

    def autograded(self, sid: str) -> nbformat.NotebookNode:
        name = self.assignment.name
        return nbformat.read(self.out / "autograded" / sid / name / f"{name}.ipynb", 4)


def _read_rows(path: Path) -> dict[str, dict]:
    rows = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            fixed = {"student_id", "score", "max_score", "status"}
            rows[row["student_id"]] = {
                "status": row["status"],
                "score": float(row["score"]) if row["score"] else None,
                "points": {k: float(v) for k, v in row.items() if k not in fixed and v != ""},
            }
    return rows


def _grade(a: course.Assignment, root: Path, plan: dict[str, Student]) -> None:
    from autograder.pipeline import grade

    subs.write_class(root / "submissions", {sid: _content(a, sid, s) for sid, s in plan.items()},
                     assignment=a.name)
    # The workspace's clean-room seed (kept in DIR/.autograder/seed, drawn at random otherwise):
    # the one the in-process tests judge with (corpus.RUN_SEEDS), so that the batch draws the
    # same inputs in every test run and what it finds can be reproduced.
    (root / "out" / ".autograder").mkdir(parents=True)
    (root / "out" / ".autograder" / "seed").write_text(str(corpus.RUN_SEEDS[0]))
    grade(root / "submissions", root / "out", progress=False, assignment=a.name)


def _shared_folder(tmp_path_factory) -> Path:
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # every worker's base temporary folder is in there
    folder = base / "conformance"
    folder.mkdir(exist_ok=True)
    return folder


_batches: dict[str, Batch] = {}


@pytest.fixture(scope="module")
def batch(assignment: course.Assignment, tmp_path_factory) -> Batch:
    """The assignment's batch, graded once per test run (see the module's docstring)."""
    if sandbox_problem() is not None:
        pytest.skip(f"no sandbox: {sandbox_problem()}")
    if assignment.name in _batches:
        return _batches[assignment.name]
    # nbgrader runs `alembic` from PATH when it creates a gradebook.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    root = _shared_folder(tmp_path_factory) / assignment.name
    with open(f"{root}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / PLAN).is_file():
            plan = {sid: Student(**fields)
                    for sid, fields in json.loads((root / PLAN).read_text()).items()}
        else:
            plan = students(assignment)
            _grade(assignment, root, plan)
            (root / PLAN).write_text(json.dumps({sid: asdict(s) for sid, s in plan.items()}))
    graded = Batch(assignment, root / "out", plan, _read_rows(root / "out" / "grades.csv"))
    _batches[assignment.name] = graded
    return graded
