"""Wall time of the clean room for one student: `cleanroom.notebook_caps` on a correct notebook
(the reference answers filled into the release), as the pipeline calls it after the kernel run.

Run as root: ``.venv/bin/python benchmarks/bench_cleanroom.py [--repeat N]``. Prints the median
and the quartiles (ms) of N runs, after one warm-up run (which starts the zygote).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.cleanroom import notebook_caps  # noqa: E402
from autograder.isolation.sandbox import sandbox_problem  # noqa: E402
from autograder.submissions import correct_answers, make_submission  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    problem = sandbox_problem()
    if problem:
        print(f"No sandbox here: {problem}")
        return 1
    notebook = make_submission(correct_answers())
    caps = notebook_caps(notebook)  # warm-up: starts the zygote
    if caps:
        print(f"a correct notebook was capped: {caps}")
        return 1
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        notebook_caps(notebook)
        times.append((time.perf_counter() - start) * 1000)
    q1, median, q3 = statistics.quantiles(times, n=4)
    print(f"clean room, one correct notebook: median {median:.0f} ms "
          f"(quartiles {q1:.0f}-{q3:.0f} ms, {args.repeat} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
