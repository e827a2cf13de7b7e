"""Wall time of the clean room for one student, per assignment: the grading's clean-room hook
(`cleanroom.caps_hook`: `notebook_caps` with the assignment's checks, catalogue and release
display cells) on a correct notebook (the reference answers filled into the release), as the
pipeline calls it after the kernel run.

Run as root: ``.venv/bin/python benchmarks/bench_cleanroom.py [--repeat N] [--assignment NAME]``.
Prints, per assignment (every one of the course by default), the median and the quartiles (ms)
of N runs, after one warm-up run (which starts the zygote).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder import course as courses  # noqa: E402
from autograder.cleanroom import caps_hook, new_seed  # noqa: E402
from autograder.execute import Limits  # noqa: E402
from autograder.isolation.sandbox import sandbox_problem  # noqa: E402
from autograder.submissions import correct_answers, make_submission  # noqa: E402

CELL_SECONDS = Limits().timeout  # the kernel's default per-cell timeout, as `grade` uses it


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--assignment", choices=courses.names(), action="append",
                        help="time this assignment only (repeatable; default: every one)")
    args = parser.parse_args()
    problem = sandbox_problem()
    if problem:
        print(f"No sandbox here: {problem}")
        return 1
    for a in courses.assignments():
        if args.assignment and a.name not in args.assignment:
            continue
        hook = caps_hook(a, a.release, CELL_SECONDS, new_seed())
        if hook is None:
            print(f"{a.name}: no clean room (the assignment has no checks)")
            continue
        notebook = make_submission(correct_answers(a.source), release=a.release)
        caps = hook(notebook)  # warm-up: starts the zygote
        if caps:
            print(f"{a.name}: a correct notebook was capped: {caps}")
            return 1
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            hook(notebook)
            times.append((time.perf_counter() - start) * 1000)
        q1, median, q3 = statistics.quantiles(times, n=4) if len(times) > 1 else times * 3
        print(f"{a.name}: clean room, one correct notebook: median {median:.0f} ms "
              f"(quartiles {q1:.0f}-{q3:.0f} ms, {args.repeat} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
