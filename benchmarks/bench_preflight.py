"""What the preflight (autograder.preflight) costs a grading run.

Grades N correct submissions of an assignment into a fresh workspace, alternately with the
preflight (a new workspace: the model answers are graded first, the students meanwhile) and
without it (a new workspace given the first one's preflight.json: an unchanged setup, which
skips it), ROUNDS times each, side by side in one run, and prints the medians and the
preflight's share of the run.

    .venv/bin/python benchmarks/bench_preflight.py [-n 24] [--rounds 3] [--assignment NAME]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import course, pipeline, submissions  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=24, help="submissions (default 24)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--assignment", default=None, help="default: the course's first")
    args = parser.parse_args()
    a = course.assignment(ROOT, args.assignment) if args.assignment else course.assignments()[0]
    folder = Path(tempfile.mkdtemp(prefix="bench-preflight-"))
    try:
        nb = submissions.make_submission(submissions.correct_answers(a.source), release=a.release)
        subs = submissions.write_class(folder / "subs", {f"s{i:03d}": nb for i in range(args.n)},
                                       assignment=a.name)
        del subs
        record = None
        timings: dict[str, list[float]] = {"with": [], "without": []}
        for round_ in range(args.rounds):
            for kind in ("with", "without"):
                out = folder / f"{kind}-{round_}"
                if kind == "without":
                    if record is None:
                        continue
                    (out / ".autograder").mkdir(parents=True)
                    shutil.copy(record, out / ".autograder" / "preflight.json")
                started = time.perf_counter()
                result = pipeline.grade(folder / "subs", out, progress=False, assignment=a.name)
                seconds = time.perf_counter() - started
                if any(row.score != row.max_score for row in result.rows):
                    print("a correct submission lost points: the figures mean nothing")
                    return 1
                timings[kind].append(seconds)
                if record is None:
                    record = out / ".autograder" / "preflight.json"
                print(f"round {round_ + 1} {kind:>7} preflight: {seconds:6.1f} s", flush=True)
        with_, without = statistics.median(timings["with"]), statistics.median(timings["without"])
        print(f"\n{a.name}, {args.n} correct submissions, {len(timings['with'])} rounds with "
              f"and {len(timings['without'])} without (medians):")
        print(f"  with the preflight     {with_:6.1f} s")
        print(f"  without (cached)       {without:6.1f} s")
        print(f"  the preflight's share  {(with_ - without) / without:+.1%} of the run")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
