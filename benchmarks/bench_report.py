"""Benchmark: what the class analysis (item_analysis.csv + report.html) costs next to grading.

1. Grades a real class of N submissions of the course's first assignment (default 12: the
   correct answers and each function's first catalogue mistake in turn) and prints the grading
   run's wall time and the part of it spent writing the analysis
   (BatchResult.analysis_seconds), as a percentage.
2. Copies that workspace's state files to M students (default 1000; no grading) and times
   `analytics.write` alone, against M times the measured grading time per student.

    .venv/bin/python benchmarks/bench_report.py
    .venv/bin/python benchmarks/bench_report.py -n 24 -m 5000

A benchmark, not a test: the machine is shared and noisy; quote the ratio.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import analytics  # noqa: E402
from autograder import submissions as S  # noqa: E402
from autograder.notebook import Assignment  # noqa: E402
from autograder.pipeline import grade  # noqa: E402
from autograder.report import Row  # noqa: E402


def _class(n: int) -> dict:
    right = S.correct_answers()
    firsts = {}  # each function's first known mistake (the first assignment's catalogue)
    for entry in S.FIRST.catalogue():
        firsts.setdefault(entry.function, entry)
    mistakes = [{**right, e.function: e.code} for e in firsts.values()]
    notebooks = {}
    for i in range(n):
        answers = right if i % (len(mistakes) + 1) == 0 else mistakes[i % len(mistakes)]
        notebooks[f"s{i:04d}"] = S.make_submission(answers)
    return notebooks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=12, help="students graded for real")
    parser.add_argument("-m", type=int, default=1000, help="students in the analysis-only run")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the analysis-only run")
    args = parser.parse_args()
    logging.getLogger("traitlets").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory(prefix="bench-report-") as folder:
        root = Path(folder)
        S.write_class(root / "submissions", _class(args.n))
        started = time.perf_counter()
        result = grade(root / "submissions", root / "out", progress=False,
                       assignment=S.ASSIGNMENT)
        total = time.perf_counter() - started
        share = result.analysis_seconds / total
        print(f"graded {args.n} students in {total:.1f} s; writing item_analysis.csv and "
              f"report.html took {1000 * result.analysis_seconds:.1f} ms = {100 * share:.2f}% "
              "of the run")

        # The same analysis for M students: state files copied from the graded ones.
        out = root / "out"
        states = sorted((out / ".autograder" / "state").glob("*.json"))
        rows = []
        for i in range(args.m):
            state = json.loads(states[i % len(states)].read_text())
            sid = f"copy{i:05d}"
            state["row"]["student_id"] = sid
            (out / ".autograder" / "state" / f"{sid}.json").write_text(json.dumps(state))
            rows.append(Row(**state["row"]))
        notebook = f"{S.ASSIGNMENT}.ipynb"
        assignment = Assignment.load(out / "source" / S.ASSIGNMENT / notebook,
                                     out / "release" / S.ASSIGNMENT / notebook)
        cells = [analytics.Cell(c.grade_id, c.points, c.function, c.hidden)
                 for c in assignment.grade_cells]
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            analytics.write(out, rows, cells, assignment.max_score,
                            lambda sid: out / "feedback" / sid / f"{S.ASSIGNMENT}.html",
                            title=S.FIRST.title)
            times.append(time.perf_counter() - started)
        per_student = total / args.n
        seconds = statistics.median(times)
        print(f"analysis alone for {args.m} students: {seconds:.3f} s (median of {args.repeat}); "
              f"grading them at {per_student:.2f} s each would take {per_student * args.m:.0f} s, "
              f"so the analysis is {100 * seconds / (per_student * args.m):.3f}% of it")
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
