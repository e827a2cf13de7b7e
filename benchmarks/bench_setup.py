"""How long `make setup` takes on a fresh clone: the pip-only recipe against the lock's (uv),
each from a cold and from a warm package cache, side by side in one run.

Run: ``python3 benchmarks/bench_setup.py [--repeat N] [--fallback]``. Any Python 3.11+ will do:
the benchmark uses the standard library only, and every `make setup` it times runs in a
temporary clone of this repository (its own .venv), so nothing here is touched.

- "before" is the last commit whose `make setup` installed requirements.txt with pip (found as
  the parent of the commit that deleted requirements-sandbox.txt; --before REV picks another),
  "after" is HEAD. --fallback adds "after, INSTALLER=pip": the lock installed by pip alone.
- "cold": PIP_CACHE_DIR and UV_CACHE_DIR point at new empty folders for each run. "warm": at
  folders filled by one untimed run of the same recipe beforehand.
- pip still reads this machine's pip configuration (a local wheel mirror, say): cold is then
  less cold for pip than for uv, which ignores pip.conf. --no-mirror hides pip's configuration
  (PIP_CONFIG_FILE=/dev/null, no PIP_* settings), so that both fetch everything from the index.

Prints each run, then the median wall-clock and CPU (user + sys) time per recipe and cache, and
the ratio before / after. The runs alternate between recipes, so that a change of load on a
shared machine falls on both.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def pip_only_commit() -> str:
    """The parent of the commit that deleted requirements-sandbox.txt (the pip-only recipe)."""
    deleted = git("log", "-1", "--format=%H", "--diff-filter=D", "HEAD", "--",
                  "requirements-sandbox.txt")
    if not deleted:
        sys.exit("bench_setup: no commit deleted requirements-sandbox.txt; pass --before REV")
    return git("rev-parse", f"{deleted}^")


def clone(revision: str, folder: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(REPO), str(folder)],
                   check=True)
    git("checkout", "--quiet", revision, cwd=folder)
    return folder


def environment(pip_cache: Path, uv_cache: Path, no_mirror: bool) -> dict[str, str]:
    env = dict(os.environ, PIP_CACHE_DIR=str(pip_cache), UV_CACHE_DIR=str(uv_cache))
    if no_mirror:
        env = {key: value for key, value in env.items()
               if not key.startswith("PIP_") or key == "PIP_CACHE_DIR"}
        env["PIP_CONFIG_FILE"] = os.devnull
    return env


def time_setup(checkout: Path, make_args: list[str], env: dict[str, str],
               log: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds of `make setup` in `checkout`, from no .venv at all."""
    shutil.rmtree(checkout / ".venv", ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with log.open("w") as out:
        result = subprocess.run(["make", "setup", *make_args], cwd=checkout, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"bench_setup: make setup failed in {checkout}; its output:\n{log.read_text()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed runs per recipe and cache (default 3; each run is 10-60 s)")
    parser.add_argument("--before", help="revision of the 'before' recipe")
    parser.add_argument("--fallback", action="store_true",
                        help="also time the lock installed by pip alone (INSTALLER=pip)")
    parser.add_argument("--no-mirror", action="store_true",
                        help="hide pip's configuration (e.g. a local wheel mirror)")
    args = parser.parse_args()

    before = args.before or pip_only_commit()
    after = git("rev-parse", "HEAD")
    print(f"before: {before[:10]} (pip only)   after: {after[:10]} (the lock, uv)")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start; "
          f"pip configuration {'hidden' if args.no_mirror else 'as on this machine'}")

    with tempfile.TemporaryDirectory(prefix="bench-setup-") as scratch:
        work = Path(scratch)
        recipes = {"before": (clone(before, work / "before"), [])}
        recipes["after"] = (clone(after, work / "after"), [])
        if args.fallback:
            recipes["after, pip"] = (recipes["after"][0], ["INSTALLER=pip"])
        warm = {}
        for name, (checkout, make_args) in recipes.items():
            caches = work / f"warm-{len(warm)}"
            env = environment(caches / "pip", caches / "uv", args.no_mirror)
            time_setup(checkout, make_args, env, work / "warming.log")
            warm[name] = env
        print(f"caches warmed; load average {os.getloadavg()[0]:.2f}")

        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for round_ in range(args.repeat):
            order = list(recipes) if round_ % 2 == 0 else list(reversed(recipes))
            for cache in ("cold", "warm"):
                for name in order:
                    checkout, make_args = recipes[name]
                    if cache == "warm":
                        env = warm[name]
                    else:
                        cold = Path(tempfile.mkdtemp(prefix="cold-", dir=work))
                        env = environment(cold / "pip", cold / "uv", args.no_mirror)
                    log = work / "run.log"
                    wall, cpu = time_setup(checkout, make_args, env, log)
                    if cache == "cold":
                        shutil.rmtree(cold)
                    fell_back = "uv could not be installed" in log.read_text()
                    times.setdefault((name, cache), []).append((wall, cpu))
                    print(f"round {round_ + 1}  {name:11s} {cache}  {wall:6.1f} s wall  "
                          f"{cpu:6.1f} s CPU{'  (uv fell back to pip)' if fell_back else ''}",
                          flush=True)

    print(f"\nload average {os.getloadavg()[0]:.2f} at the end\n")
    print(f"median of {args.repeat}       cold: wall    CPU    warm: wall    CPU")
    medians = {}
    for name in recipes:
        row = []
        for cache in ("cold", "warm"):
            runs = times[(name, cache)]
            wall = statistics.median(run[0] for run in runs)
            cpu = statistics.median(run[1] for run in runs)
            medians[(name, cache)] = wall, cpu
            row.append(f"{wall:8.1f} s {cpu:6.1f} s")
        print(f"{name:19s} {row[0]}      {row[1]}")
    for cache in ("cold", "warm"):
        (wall_before, cpu_before), (wall_after, cpu_after) = (
            medians[("before", cache)], medians[("after", cache)])
        print(f"before / after, {cache}: {wall_before / wall_after:.1f}x the wall-clock time, "
              f"{cpu_before / cpu_after:.1f}x the CPU time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
