"""What the preflight (autograder.preflight) costs a grading run.

Runs the instructor's command, `python -m autograder grade SUBMISSIONS --out DIR`, on N
correct submissions of an assignment into a fresh DIR, alternately with the preflight (a new
DIR and an empty preflight cache, autograder.preflight.shared_folder: the model answers are
graded beside the first students) and without it (a new DIR, and the cache an earlier run
filled: an unchanged setup, which skips it), ROUNDS pairs, the order
within a pair alternating. Prints, for each run, the wall clock of the whole command (Python's
start and imports, the sandbox, the workspace, the grading and the report: what the instructor
waits for) and the CPU time of all its processes (the zygote, the kernels and the clean rooms
included, by a cgroup: where root may make one); their medians; and the preflight's share: the
median over the pairs of (with - without) / without.

    .venv/bin/python benchmarks/bench_preflight.py [-n 24] [--rounds 7] [--assignment NAME]
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import course, preflight, submissions  # noqa: E402


class Accounting:
    """The CPU time of this process and of every process it starts from now on (the zygote, the
    kernels, the clean rooms), by a cgroup of their own: kernels are killed when done, so their
    CPU time never reaches a parent's counters. No figure where no cgroup can be made (root)."""

    V1, V2 = Path("/sys/fs/cgroup/cpuacct"), Path("/sys/fs/cgroup")

    def __init__(self):
        self.group = None
        name = f"bench-preflight-{os.getpid()}"
        for base, counter in ((self.V1, "cpuacct.usage"), (self.V2, "cpu.stat")):
            if not (base / "cgroup.procs").exists() or not (base / counter).exists():
                continue
            try:
                (base / name).mkdir()
                (base / name / "cgroup.procs").write_text(str(os.getpid()))
            except OSError:
                continue
            self.base, self.group, self.counter = base, base / name, counter
            return

    def seconds(self) -> float | None:
        if self.group is None:
            return None
        text = (self.group / self.counter).read_text()
        if self.counter == "cpuacct.usage":
            return int(text) / 1e9
        return int(dict(line.split() for line in text.splitlines())["usage_usec"]) / 1e6

    def close(self) -> None:
        if self.group is not None:
            for pid in (self.group / "cgroup.procs").read_text().split():  # the zygote too
                try:
                    (self.base / "cgroup.procs").write_text(pid)
                except OSError:  # it has just ended
                    pass
            try:
                self.group.rmdir()
            except OSError as error:
                print(f"could not remove the cgroup {self.group}: {error}")


def grade(subs: Path, out: Path, assignment: str, cache: Path) -> float:
    """Seconds the instructor's command took, with `cache` for its preflight records; raises if
    it failed or a submission lost points."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           preflight.CACHE_ENV: str(cache)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "grade", str(subs), "--out", str(out),
                    "--assignment", assignment, "--no-progress"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    lost = [r["student_id"] for r in rows if r["score"] != r["max_score"]]
    if lost or not rows:
        raise SystemExit(f"correct submissions lost points ({', '.join(lost)}): the figures "
                         "mean nothing")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=24, help="submissions (default 24)")
    parser.add_argument("--rounds", type=int, default=7, help="pairs of runs (default 7)")
    parser.add_argument("--assignment", default=None, help="default: the course's first")
    args = parser.parse_args()
    a = course.assignment(ROOT, args.assignment) if args.assignment else course.assignments()[0]
    folder = Path(tempfile.mkdtemp(prefix="bench-preflight-"))
    accounting = Accounting()
    try:
        nb = submissions.make_submission(submissions.correct_answers(a.source), release=a.release)
        subs = folder / "subs"
        submissions.write_class(subs, {f"s{i:03d}": nb for i in range(args.n)},
                                assignment=a.name)
        # A first run (not counted) fills the cache that the runs "without" are given.
        filled = folder / "cache-filled"
        grade(subs, folder / "first", a.name, filled)
        record = folder / "first" / ".autograder" / "preflight.json"
        runs: dict[str, list[tuple[float, float | None]]] = {"with": [], "without": []}
        for round_ in range(args.rounds):
            order = ("with", "without") if round_ % 2 == 0 else ("without", "with")
            for kind in order:
                out = folder / f"{kind}-{round_}"
                cache = filled if kind == "without" else folder / f"cache-{round_}"
                cpu = accounting.seconds()
                seconds = grade(subs, out, a.name, cache)
                cpu = None if cpu is None else accounting.seconds() - cpu
                ran = (out / ".autograder" / "preflight.json").read_text() != record.read_text()
                if ran != (kind == "with"):
                    print(f"the preflight {'ran' if ran else 'did not run'} in a run {kind} it")
                    return 1
                runs[kind].append((seconds, cpu))
                print(f"round {round_ + 1} {kind:>7} preflight: {seconds:6.2f} s wall"
                      + ("" if cpu is None else f", {cpu:6.2f} s CPU"), flush=True)
        print(f"\n{a.name}, {args.n} correct submissions, `python -m autograder grade` with "
              f"--jobs {os.cpu_count()} (the default) on {os.cpu_count()} CPUs, {args.rounds} "
              "pairs:")
        measured = ((0, "wall clock"),) if accounting.group is None else (
            (0, "wall clock"), (1, "CPU time"))
        print(f"{'':24}" + "".join(f"{what:>12}" for _, what in measured))
        for kind in ("with", "without"):
            print(f"  {kind + ' the preflight':22}" + "".join(
                f"{statistics.median(run[i] for run in runs[kind]):10.2f} s" for i, _ in measured))
        if accounting.group is None:
            print("  (no CPU time: making a cgroup needs root)")
        for i, what in measured:
            shares = [w[i] / wo[i] - 1 for w, wo in zip(runs["with"], runs["without"],
                                                          strict=True)]
            print(f"  the preflight's share of the {what}: {statistics.median(shares):+.1%} "
                  f"(median of {len(shares)} pairs; {min(shares):+.1%} to {max(shares):+.1%})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        accounting.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
