"""Speed of the first assignment's reference derivatives (solutions/activation_derivatives)
against the lecture's formulas and one numpy pass.

For each array size, every contender runs once per round, round after round, so slow phases of a
shared machine hit them all alike; the table shows the median of the rounds. In each round a
contender's timed call follows an untimed call of the same contender, so that every contender
meets the memory allocator in its own steady state (otherwise whoever runs after a contender
that freed a lot pays for fresh pages: up to 2 ms of page faults for a 10^6-element result).
Each derivative is compared with:

- the naive lecture formula (``a * (1 - a)``, ``1 - tanh(z)**2``, ``np.where``), and
- one pass of numpy over the same array: ``np.exp`` for the smooth derivatives (whose cost is
  one exponential per element), ``np.copy`` for ReLU and Leaky ReLU (which only read and write).

Targets: sigmoid_derivative within 4x one np.exp pass on 2e6 normal(0, 5) values;
relu_derivative and leaky_relu_derivative within 2x one np.copy pass.

Run: ``.venv/bin/python benchmarks/bench_solutions.py [--sizes 1e6 1e7] [--rounds 15]``
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from solutions.activation_derivatives import reference


@dataclass(frozen=True)
class Case:
    name: str
    ours: Callable[[np.ndarray], np.ndarray]
    naive: Callable[[np.ndarray], np.ndarray]
    baseline: str  # "exp" or "copy"
    target: float | None  # max ours/baseline ratio, where the issue sets one


def naive_sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    a = 1 / (1 + np.exp(-z))
    return a * (1 - a)


def naive_tanh_derivative(z: np.ndarray) -> np.ndarray:
    return 1 - np.tanh(z) ** 2


def naive_relu_derivative(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, 1.0, 0.0)


def naive_leaky_relu_derivative(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, 1.0, 0.01)


CASES = [
    Case("sigmoid_derivative", reference.sigmoid_derivative, naive_sigmoid_derivative, "exp", 4),
    Case("tanh_derivative", reference.tanh_derivative, naive_tanh_derivative, "exp", None),
    Case("relu_derivative", reference.relu_derivative, naive_relu_derivative, "copy", 2),
    Case(
        "leaky_relu_derivative",
        reference.leaky_relu_derivative,
        naive_leaky_relu_derivative,
        "copy",
        2,
    ),
]
BASELINES = {"exp": np.exp, "copy": np.copy}


def median_times(contenders: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median wall time in ms of each contender, measured round-robin, each after a warm call."""
    times: dict[str, list[float]] = {key: [] for key in contenders}
    for _ in range(rounds):
        for key, run in contenders.items():
            run()  # untimed: leaves the allocator and caches as this contender needs them
            start = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - start)
    return {key: float(np.median(values)) * 1e3 for key, values in times.items()}


def bench_size(n: int, rounds: int, rng: np.random.Generator) -> list[tuple]:
    z = rng.normal(0.0, 5.0, n)
    contenders: dict[str, Callable[[], object]] = {
        f"baseline:{name}": (lambda f=f: f(z)) for name, f in BASELINES.items()
    }
    for case in CASES:
        contenders[f"ours:{case.name}"] = lambda f=case.ours: f(z)
        contenders[f"naive:{case.name}"] = lambda f=case.naive: f(z)
    with np.errstate(all="ignore"):  # the naive formulas may warn; they are timed, not judged
        ms = median_times(contenders, rounds)
    rows = []
    for case in CASES:
        ours, naive = ms[f"ours:{case.name}"], ms[f"naive:{case.name}"]
        base = ms[f"baseline:{case.baseline}"]
        rows.append((n, case, ours, naive, base))
    return rows


def print_table(rows: list[tuple]) -> list[str]:
    header = (
        f"{'n':>9}  {'derivative':<22} {'ours ms':>8} {'naive ms':>9} {'1 pass ms':>14}"
        f" {'ours/pass':>9} {'naive/pass':>10}  target"
    )
    print(header)
    print("-" * len(header))
    missed = []
    for n, case, ours, naive, base in rows:
        ratio = ours / base
        if case.target is None:
            verdict = "-"
        else:
            met = ratio <= case.target
            verdict = f"<= {case.target}x {'met' if met else 'MISSED'}"
            if not met:
                missed.append(f"{case.name} at n={n:.0e}: {ratio:.2f}x > {case.target}x")
        print(
            f"{n:>9.0e}  {case.name:<22} {ours:>8.2f} {naive:>9.2f} "
            f"{base:>8.2f} ({case.baseline:>4}) {ratio:>8.2f}x {naive / base:>9.2f}x  {verdict}"
        )
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e6, 2e6, 1e7])
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds per size")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(
        f"numpy {np.__version__}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; z ~ normal(0, 5), float64; "
        f"median of {args.rounds} round-robin rounds\n"
    )
    rows = []
    for size in args.sizes:
        rows += bench_size(int(size), args.rounds, rng)
    missed = print_table(rows)
    print()
    print("All targets met." if not missed else "Targets missed: " + "; ".join(missed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
