"""What the sandbox costs: start-up of a bare and a numpy-importing Python, with and without
bubblewrap, a sandboxed kernel's start, and one clean-room re-grading of a whole submission.

Run as root: ``.venv/bin/python benchmarks/bench_sandbox.py [--repeat N]``. Prints medians (ms),
measured side by side in one run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from jupyter_client.manager import KernelManager  # noqa: E402

from autograder import course as courses  # noqa: E402
from autograder.cleanroom import cleanroom_scores, display_cells  # noqa: E402
from autograder.isolation.sandbox import SandboxedKernelManager, sandbox_problem, wrap  # noqa: E402


def median_ms(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(argv):
    subprocess.run(argv, check=True, capture_output=True)


def kernel_start(manager=SandboxedKernelManager) -> None:
    km = manager(kernel_name="python3")
    km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    problem = sandbox_problem()
    if problem:
        print(f"No sandbox here: {problem}")
        return 1
    python = [sys.executable, "-I", "-c"]
    rows = []
    for label, code in (("python -c pass", "pass"), ("python -c 'import numpy'", "import numpy")):
        plain = median_ms(lambda code=code: run(python + [code]), args.repeat)
        boxed = median_ms(lambda code=code: run(wrap(python + [code], scratch=None)), args.repeat)
        rows.append((label, plain, boxed))
    for label, plain, boxed in rows:
        print(f"{label:28s} plain {plain:7.1f} ms   sandboxed {boxed:7.1f} ms   "
              f"overhead {boxed - plain:6.1f} ms")  # fmt: skip
    repeat = max(3, args.repeat // 3)
    plain = median_ms(lambda: kernel_start(KernelManager), repeat)
    boxed = median_ms(kernel_start, repeat)
    print(f"{'kernel start to ready':28s} plain {plain:7.1f} ms   sandboxed {boxed:7.1f} ms   "
          f"overhead {boxed - plain:6.1f} ms")  # fmt: skip
    for a in courses.assignments():  # the source notebook: the model answers in place
        checks, catalogue, skip = a.checks(), a.catalogue(), display_cells(a.release)
        room = median_ms(lambda a=a, checks=checks, catalogue=catalogue, skip=skip:
                         cleanroom_scores(a.source, checks, catalogue=catalogue, skip=skip),
                         repeat)
        print(f"{'clean room, one submission':28s} {room:7.1f} ms (all checks of {a.name}, "
              "one sandbox)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
