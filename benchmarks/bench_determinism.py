"""The spread of grades over N gradings of the same class under load: it must be 0.

For each assignment (or the one named), a class is built from the committed release: the model
answers, the honest variants, and one known mistake per function (its catalogue's first entry;
each function left unanswered where the assignment has no catalogue).
The class is graded N times with ``force=True`` (an instructor's regrade) while the machine is
loaded on purpose: a busy-looping process per core (``--hogs``), more notebooks at once than
cores (``--jobs``), and ``--parallel`` gradings at once, each in a workspace of its own (all
with the same clean-room seed, so that they draw the same inputs). Every grading's grades.csv
(scores, statuses, per-cell points) and the mistakes each student's feedback names are then
compared with the first.

Run as root: ``.venv/bin/python benchmarks/bench_determinism.py [--runs N] [--assignment NAME]
[--hogs H] [--jobs J] [--parallel P]``. Prints each grading's wall time, each student whose
score ever differed (min-max), and the number of differing rows: 0 expected; exit status 1
otherwise. The machine's other load (other users' work) adds to the load it makes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ["PATH"] = f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}"  # nbgrader's alembic

from autograder import course as courses  # noqa: E402
from autograder import demo  # noqa: E402
from autograder import submissions as subs  # noqa: E402
from autograder.isolation.sandbox import sandbox_problem  # noqa: E402
from autograder.pipeline import grade  # noqa: E402


def class_of(a: courses.Assignment) -> dict:
    """Model answers, honest variants, and each function's first catalogue entry (where the
    assignment has no catalogue: each function left unanswered)."""
    correct = subs.correct_answers(a.source)
    notebooks = {"correct": subs.make_submission(correct, release=a.release)}
    for name, (_, answers) in demo._honest_variants(a).items():
        notebooks[name] = subs.make_submission({**correct, **answers}, release=a.release)
    seen = set()
    for entry in a.catalogue():
        if entry.function not in seen:
            seen.add(entry.function)
            notebooks[entry.key] = subs.make_submission({**correct, entry.function: entry.code},
                                                        release=a.release)
    if not seen:
        for function in correct:
            notebooks[f"unanswered.{function}"] = subs.make_submission(
                {k: v for k, v in correct.items() if k != function}, release=a.release)
    return notebooks


def _busy() -> None:
    while True:
        pass


def _grader(name: str, subs_folder: str, out: str, seed: int, runs: int, jobs: int,
            results: str) -> None:
    """One grading process: ``runs`` gradings of the class into its own workspace."""
    marker = Path(out) / ".autograder"
    marker.mkdir(parents=True, exist_ok=True)
    (marker / "seed").write_text(str(seed))
    snapshots = []
    for _ in range(runs):
        started = time.perf_counter()
        result = grade(Path(subs_folder), Path(out), force=True, jobs=jobs, progress=False,
                       assignment=name)
        named = {row.student_id: json.loads((Path(out) / ".autograder" / "state"
                                             / f"{row.student_id}.json").read_text())["mistakes"]
                 if row.score is not None else None for row in result.rows}
        snapshots.append({"seconds": time.perf_counter() - started,
                          "grades": (Path(out) / "grades.csv").read_text(),
                          "scores": {row.student_id: row.score for row in result.rows},
                          "statuses": {row.student_id: row.status for row in result.rows},
                          "mistakes": named})
        Path(results).write_text(json.dumps(snapshots))


def bench(a: courses.Assignment, args, folder: Path) -> int:
    subs_folder = folder / a.name / "subs"
    notebooks = class_of(a)
    subs.write_class(subs_folder, notebooks, assignment=a.name)
    seed = int.from_bytes(os.urandom(16), "big")
    context = multiprocessing.get_context("spawn")
    graders = []
    for number in range(args.parallel):
        results = folder / a.name / f"results-{number}.json"
        graders.append((results, context.Process(target=_grader, args=(
            a.name, str(subs_folder), str(folder / a.name / f"out-{number}"), seed, args.runs,
            args.jobs, str(results)))))
    hogs = [context.Process(target=_busy, daemon=True) for _ in range(args.hogs)]
    for process in hogs:
        process.start()
    try:
        for _, process in graders:
            process.start()
        for _, process in graders:
            process.join()
    finally:
        for process in hogs:
            process.kill()
    snapshots = []
    for results, process in graders:
        if process.exitcode != 0 or not results.exists():
            print(f"  a grading process failed (exit status {process.exitcode})")
            return 1
        snapshots += json.loads(results.read_text())
    first = snapshots[0]
    seconds = [s["seconds"] for s in snapshots]
    print(f"{a.name}: {len(notebooks)} notebooks x {len(snapshots)} gradings "
          f"({args.parallel} at once x {args.runs} runs, --jobs {args.jobs}, {args.hogs} busy "
          f"processes on {os.cpu_count()} cores); a grading took median "
          f"{statistics.median(seconds):.0f} s (min {min(seconds):.0f}, max {max(seconds):.0f})")
    differing = 0
    for snapshot in snapshots[1:]:
        differing += sum(1 for line, other in zip(first["grades"].splitlines(),
                                                  snapshot["grades"].splitlines(), strict=True)
                         if line != other)
        differing += sum(1 for sid in first["mistakes"]
                         if snapshot["mistakes"][sid] != first["mistakes"][sid])
    for sid in first["scores"]:
        scores = [s["scores"][sid] for s in snapshots]
        if len(set(scores)) > 1:
            statuses = sorted({s["statuses"][sid] for s in snapshots})
            print(f"  {sid}: scores {min(scores, key=lambda x: x or 0)}-"
                  f"{max(scores, key=lambda x: x or 0)}; statuses {statuses}")
    errors = sum(1 for s in snapshots for status in s["statuses"].values()
                 if status.startswith("error"))
    print(f"  differing rows (grades.csv or mistakes named) against the first grading: "
          f"{differing}; error rows: {errors}")
    return 1 if differing else 0


def main() -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="gradings per grading process")
    parser.add_argument("--assignment", help="one assignment (default: each)")
    parser.add_argument("--hogs", type=int, default=cores, help="busy processes (default: one "
                                                                "per core)")
    parser.add_argument("--jobs", type=int, default=2 * cores, help="notebooks at once per "
                                                                   "grading (default: 2 x cores)")
    parser.add_argument("--parallel", type=int, default=2, help="gradings at once (default 2)")
    args = parser.parse_args()
    problem = sandbox_problem()
    if problem:
        print(f"No sandbox here: {problem}")
        return 1
    found = [courses.assignment(courses.REPO, args.assignment)] if args.assignment \
        else courses.assignments()
    status = 0
    with tempfile.TemporaryDirectory(prefix="bench-determinism-") as folder:
        for a in found:
            status |= bench(a, args, Path(folder))
    return status


if __name__ == "__main__":
    sys.exit(main())
