"""Benchmark: `python -m autograder grade` against plain `nbgrader autograde` on one class.

Builds N correct submissions of one assignment (autograder.submissions; --assignment NAME, by
default the course's first), grades them with both graders one after
the other in this run, and prints the two wall times, their ratio, each run's peak resident
memory (the sum over the grader's whole process tree, kernels and sandboxes included, sampled
every 20 ms) and submissions per second. It also checks that both graders gave every student
the same points in every grade cell, and says so.

    .venv/bin/python benchmarks/bench_grading.py              # N = 24
    .venv/bin/python benchmarks/bench_grading.py --repeat 3   # 3 rounds, medians
    .venv/bin/python benchmarks/bench_grading.py -n 200 --ours-only
    .venv/bin/python benchmarks/bench_grading.py --assignment backprop_one_hidden_layer

With --repeat K the two graders run K times each, alternating (plain, ours, plain, ours...), and
the medians are printed with every round's figures.

A benchmark, not a test: the machine is shared and noisy, so run it on a quiet machine and
quote the ratio of the two figures measured side by side, not an absolute time.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import course as courses  # noqa: E402
from autograder.submissions import (  # noqa: E402
    ASSIGNMENT,
    correct_answers,
    make_submission,
    write_class,
)


class PeakMemory:
    """Samples the resident memory of a process and all its descendants; keeps the peak sum."""

    def __init__(self, pid: int, interval: float = 0.02):
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            for proc in procs:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run(argv: list[str], cwd: Path, env: dict) -> tuple[float, int]:
    """Run a command; return its wall time in seconds and its process tree's peak RSS in bytes."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    with PeakMemory(proc.pid) as memory:
        output, _ = proc.communicate()
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed (exit {proc.returncode}):\n{output[-3000:]}")
    return elapsed, memory.peak


def plain_nbgrader(submissions: Path, work: Path, env: dict, name: str
                   ) -> tuple[float, int, dict]:
    """Plain nbgrader: a course with the gradebook built, then `nbgrader autograde` timed."""
    course = work / "plain"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source", course / "source")
    subprocess.run(["nbgrader", "generate_assignment", name, "--log-level=ERROR"],
                   cwd=course, env=env, check=True)
    shutil.copytree(submissions, course / "submitted")
    elapsed, peak = run(["nbgrader", "autograde", name, "--log-level=ERROR"], course, env)

    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sub in gb.assignment_submissions(name):
            nb = sub.notebooks[0]
            scores[sub.student.id] = {g.name: float(g.score) for g in nb.grades}
    return elapsed, peak, scores


def ours(submissions: Path, work: Path, env: dict, name: str, jobs: int | None
         ) -> tuple[float, int, dict]:
    """`python -m autograder grade`, end to end (workspace and gradebook built in the timing)."""
    out = work / "ours"
    argv = [sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out),
            "--assignment", name]
    if jobs:
        argv += ["--jobs", str(jobs)]
    elapsed, peak = run(argv, ROOT, env)
    scores = {}
    with open(out / "grades.csv", newline="") as f:
        for row in csv.DictReader(f):
            fixed = {"student_id", "score", "max_score", "status"}
            scores[row["student_id"]] = {k: float(v) for k, v in row.items() if k not in fixed}
            if row["status"] != "graded":
                print(f"  warning: {row['student_id']} has status {row['status']!r}")
    return elapsed, peak, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=24, help="number of submissions (default 24)")
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for our grader")
    parser.add_argument("--ours-only", action="store_true", help="skip plain nbgrader")
    parser.add_argument("--repeat", type=int, default=1, help="rounds (default 1)")
    parser.add_argument("--assignment", choices=courses.names(), default=ASSIGNMENT,
                        help=f"the assignment to grade (default {ASSIGNMENT})")
    args = parser.parse_args()
    a = courses.assignment(courses.REPO, args.assignment)

    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # alembic, nbgrader
    notebook = make_submission(correct_answers(a.source), release=a.release)
    graders = {"python -m autograder grade": ours}
    if not args.ours_only:
        graders = {"plain nbgrader autograde": plain_nbgrader, **graders}
    rounds: dict[str, list[tuple[float, int, dict]]] = {name: [] for name in graders}
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        submissions = Path(tmp) / "submissions"
        write_class(submissions, {f"student{i:04d}": notebook for i in range(args.n)},
                    assignment=a.name)
        assert (submissions / "student0000" / a.name / a.notebook).is_file()
        print(f"{args.n} correct submissions of {a.name}, {os.cpu_count()} cores, "
              f"{args.repeat} round(s)")
        for number in range(args.repeat):
            for name, grader in graders.items():
                work = Path(tmp) / f"round{number}-{name.split()[0]}"
                work.mkdir()
                extra = (args.jobs,) if grader is ours else ()
                rounds[name].append(grader(submissions, work, env, a.name, *extra))
                elapsed, peak, _ = rounds[name][-1]
                print(f"  round {number + 1}: {name:<28}{elapsed:8.1f} s{peak / 2**20:8.0f} MB")

    print(f"{'grader':<30}{'wall s':>9}{'subs/s':>9}{'peak RSS MB':>13}   (medians)")
    medians = {}
    for name, results in rounds.items():
        elapsed = statistics.median(r[0] for r in results)
        peak = statistics.median(r[1] for r in results)
        medians[name] = elapsed
        print(f"{name:<30}{elapsed:>9.1f}{args.n / elapsed:>9.2f}{peak / 2**20:>13.0f}")
    if len(rounds) == 2:
        plain_runs, our_runs = rounds.values()
        ratios = [p[0] / o[0] for p, o in zip(plain_runs, our_runs, strict=True)]
        shown = ", ".join(f"{r:.2f}" for r in ratios)
        median = statistics.median(ratios)
        print(f"speed-up (plain / ours), per round: {shown}; median {median:.2f}x")
        plain, mine = plain_runs[0][2], our_runs[0][2]
        same = all(r[2] == plain for r in plain_runs + our_runs)
        print("per-cell scores identical for every student:", "yes" if same else "NO")
        if not same:
            for sid in sorted(set(plain) | set(mine)):
                if plain.get(sid) != mine.get(sid):
                    a, b = plain.get(sid, {}), mine.get(sid, {})
                    diff = {k: (a.get(k), b.get(k)) for k in set(a) | set(b)
                            if a.get(k) != b.get(k)}
                    print(f"  {sid}: {diff}")
                    break
            sys.exit(1)


if __name__ == "__main__":
    main()
