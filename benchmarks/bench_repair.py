"""Benchmark: what notebook repair (autograder/repair.py) costs, as a share of grading time.

Builds N submissions with correct answers, cycling through the saves of the repair corpus
(tests/notebook_saves.py: Colab, VS Code, stripped metadata, duplicated, deleted, reordered
cells, big saved outputs, ...) and the intact notebook. It grades them with
`autograder.pipeline.grade` (sandboxed kernels, clean room on, the default number of jobs) and
times the whole batch; then it times reading and repairing the same files (parse_notebook +
repair, as the pipeline's prepare step does, in one thread) `--repeat` times and keeps the
fastest round. It prints both, per student, and the share. The repair runs in the pipeline's
main thread while the workers run notebooks, so the share is an upper bound on its cost.

    .venv/bin/python benchmarks/bench_repair.py          # N = 16
    .venv/bin/python benchmarks/bench_repair.py -n 48

A benchmark, not a test: the machine is shared and noisy; quote the share, not a time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ["PATH"] = f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"  # nbgrader's alembic

import nbformat  # noqa: E402
from notebook_saves import SAVES  # noqa: E402

from autograder.notebook import parse_notebook  # noqa: E402
from autograder.pipeline import grade  # noqa: E402
from autograder.repair import Release, repair  # noqa: E402
from autograder.submissions import (  # noqa: E402
    ASSIGNMENT,
    RELEASE,
    correct_answers,
    make_submission,
)


def submissions(n: int) -> dict[str, bytes]:
    answers = correct_answers()
    kinds = {"intact": lambda a: nbformat.writes(make_submission(a)).encode()}
    kinds.update({name: build for name, (build, _) in SAVES.items()})
    names = list(kinds)
    return {f"s{i:03d}_{names[i % len(names)]}": kinds[names[i % len(names)]](answers)
            for i in range(n)}


def time_repair(files: dict[str, bytes], repeat: int) -> tuple[float, dict[str, float]]:
    """Seconds to read and repair every file (fastest of `repeat` rounds), and per file."""
    release = Release.load(RELEASE)
    best, per_file = float("inf"), {}
    for _ in range(repeat):
        round_times = {}
        for sid, data in files.items():
            start = time.perf_counter()
            repair(parse_notebook(data), release)
            round_times[sid] = time.perf_counter() - start
        if sum(round_times.values()) < best:
            best, per_file = sum(round_times.values()), round_times
    return best, per_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=16, help="number of submissions (default 16)")
    parser.add_argument("--repeat", type=int, default=5, help="repair rounds (default 5)")
    args = parser.parse_args()
    files = submissions(args.n)
    with tempfile.TemporaryDirectory(prefix="bench-repair-") as tmp:
        subs = Path(tmp) / "subs"
        subs.mkdir()
        for sid, data in files.items():
            (subs / f"{sid}.ipynb").write_bytes(data)
        start = time.perf_counter()
        result = grade(subs, Path(tmp) / "out", progress=False, assignment=ASSIGNMENT)
        grading = time.perf_counter() - start
    full = sum(row.score == row.max_score for row in result.rows)
    repairing, per_file = time_repair(files, args.repeat)
    slowest = max(per_file, key=per_file.get)
    print(f"submissions:        {args.n} ({full} with full marks)")
    print(f"grading (batch):    {grading:7.2f} s   {grading / args.n * 1000:8.1f} ms a student")
    print(f"read + repair:      {repairing:7.3f} s   {repairing / args.n * 1000:8.1f} ms a student"
          f"   (slowest: {slowest.split('_', 1)[1]}, {per_file[slowest] * 1000:.1f} ms)")
    print(f"repair's share of grading time: {repairing / grading:.2%}")


if __name__ == "__main__":
    main()
