"""Benchmark: grading locally against grading on a Dask cluster, and the coordinator alone.

1. Grades N submissions three ways, one after the other in this run: locally (`--jobs` = the
   cores), through a scheduler with 1 worker, and with 2 workers (each of 1 thread, all on
   this machine, started from this environment). Prints submissions per second for each and
   the per-task overhead of the cluster path over the local one (wall time per submission,
   cluster with W workers x W minus local x cores: what dispatching through Dask adds).
2. The coordinator alone ("replay"): M students whose units return at once (results of the
   real run above, replayed under new student ids), so that only the coordinator's own work is
   timed: the gradebook writes (batched), the autograded notebooks, feedback, results.json and
   state files, grades.csv and the class report. Prints students per second (target: >= 30).
   It also checks that a replayed student's gradebook rows equal those of a student graded
   for real.

    .venv/bin/python benchmarks/bench_cluster.py               # N = 12, M = 1000
    .venv/bin/python benchmarks/bench_cluster.py -n 24 -m 1000

A benchmark, not a test: the machine is shared and noisy; compare figures from the same run.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

from cluster_support import cluster  # noqa: E402

from autograder import pipeline  # noqa: E402
from autograder.runners import Done  # noqa: E402
from autograder.submissions import ASSIGNMENT, correct_answers, make_submission  # noqa: E402


def write_class(folder: Path, n: int) -> None:
    import nbformat

    folder.mkdir(parents=True)
    nb = make_submission(correct_answers())
    for i in range(n):
        nbformat.write(nb, folder / f"s{i:04d}.ipynb")


def timed(label: str, n: int, **kwargs) -> float:
    started = time.perf_counter()
    result = pipeline.grade(progress=False, assignment=ASSIGNMENT, **kwargs)
    seconds = time.perf_counter() - started
    bad = [r for r in result.rows if r.status != "graded"]
    assert not bad, bad[:3]
    print(f"  {label:<22} {seconds:7.1f} s   {n / seconds:6.2f} submissions/s", flush=True)
    return seconds


def grade_rows(db: Path, student: str) -> tuple[dict, dict]:
    """A student's grade and comment rows, as nbgrader reads them."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}") as gb:
        nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return ({g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for g in nb.grades},
                {c.name: c.auto_comment for c in nb.comments})


def replay(template, m: int, tmp: Path, cores: int) -> None:
    """Grade m students whose units return `template` (a real unit.Graded) at once."""
    subs = tmp / "replay-subs"
    write_class(subs, m)

    def runner(items):
        batch = []
        for sub, work in items:
            graded = copy.copy(template)
            graded.student_id = work.student_id
            batch.append(Done((sub, work), graded))
            if len(batch) == 64:  # what a busy cluster hands back between two looks
                yield batch
                batch = []
        if batch:
            yield batch

    out = tmp / "replay-out"
    started = time.perf_counter()
    result = pipeline.grade(subs, out, progress=False, runner=runner, assignment=ASSIGNMENT)
    seconds = time.perf_counter() - started
    assert all(r.status == "graded" for r in result.rows)
    print(f"  coordinator alone, {m} students: {seconds:.1f} s, {m / seconds:.1f} students/s "
          f"(report {result.analysis_seconds:.2f} s)")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=12, help="submissions for the three ways")
    parser.add_argument("-m", type=int, default=1000, help="students for the replay")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    try:
        subs = tmp / "subs"
        write_class(subs, args.n)
        print(f"{args.n} correct submissions of {ASSIGNMENT}, {cores} cores")
        local = timed(f"local (--jobs {cores})", args.n, submissions=subs, out=tmp / "local")
        figures = {}
        for workers in (1, 2):
            with cluster(tmp / f"cluster{workers}", workers=workers, nthreads=1) as c:
                figures[workers] = timed(f"cluster, {workers} worker(s)", args.n,
                                         submissions=subs, out=tmp / f"c{workers}",
                                         scheduler_file=str(c.scheduler_file))
        per_local = local * cores / args.n
        for workers, seconds in figures.items():
            overhead = seconds * workers / args.n - per_local
            print(f"  per-task cost, {workers} worker(s): {seconds * workers / args.n:.2f} "
                  f"worker-s per submission, local {per_local:.2f} core-s: "
                  f"overhead {overhead:+.2f} s")
        # The replay: one real student's result, replayed m times.
        import json

        from autograder import unit

        template = unit.Graded(**{**json.loads(json.dumps(_first_graded(tmp)))})
        out = replay(template, args.m, tmp, cores)
        real = grade_rows(tmp / "local" / "gradebook.db", "s0000")
        again = grade_rows(out / "gradebook.db", "s0000")
        print(f"  replayed gradebook rows equal a real student's: {real == again}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _first_graded(tmp: Path) -> dict:
    """Grade s0000 once more through the unit itself, for a real Graded to replay."""
    from dataclasses import asdict

    from autograder import unit
    from autograder.execute import Limits
    from autograder.workspace import Workspace

    ws = Workspace(tmp / "local", ROOT, assignment=ASSIGNMENT)
    course = unit.Course.from_folder(ws.root, ASSIGNMENT, ws.notebook, digest="bench")
    options = unit.Options(Limits())
    content = (tmp / "subs" / "s0000.ipynb").read_bytes()
    return asdict(unit.grade_submission(course, unit.Work("s0000", content), options))


if __name__ == "__main__":
    main()
