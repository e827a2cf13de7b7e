"""Benchmark: similarity for a class of N students (default 1000), and copydetect beside it.

1. Builds N notebooks of one assignment (tests/similarity_class.py: honest learners with the
   common answers and mistakes and code of their own, copies under every disguise, a pair with a
   rare wrong answer), repairs each as grading does (not timed), then times
   - fingerprinting: `similarity.code_evidence` per student (what the grading unit adds), and
   - comparing: `similarity.compare` over the class (what the coordinator adds), with made-up
     behaviour evidence (3 tests of 4 calls per function);
   and prints the pairs found and where the planted ones rank.
2. If copydetect is installed (`pip install copydetect==0.5.0`; not a dependency), the same
   students' own code through copydetect 0.5.0 with the release as boilerplate: its
   fingerprinting per student, its all-pairs comparison (timed on `--copydetect-n` students,
   default 200, and projected to N by the number of pairs; 0: no copydetect), its score for
   each planted copy against the highest honest pair, and whether its fingerprints can be
   compared across processes (its k-gram hashes are Python's `hash()` of strings, salted per
   process).

    .venv/bin/python benchmarks/bench_similarity.py
    .venv/bin/python benchmarks/bench_similarity.py -n 1000 --assignment backprop_one_hidden_layer

A benchmark, not a test: the machine is shared and noisy; medians of --repeat runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import similarity_class as C  # noqa: E402

from autograder import similarity as S  # noqa: E402
from autograder import submissions as subs  # noqa: E402
from autograder.repair import Release, repair  # noqa: E402


def build(assignment: str, n: int):
    """N learners: n - 8 honest ones (a multiple of 3), 6 planted copies, the rare pair."""
    honest = C.honest_class(assignment, (n - 8) // 3 * 3)
    styles = [C.Style(names=4242), C.Style(comment="notes"), C.Style(spaced=True),
              C.Style(reorder=True), C.Style(helper_block=True)]
    copies = [C.disguised(honest[0], "copy_all")]
    copies += [dataclasses.replace(honest[i + 1], student_id=f"copy_{i}",
                                   style=dataclasses.replace(s, names=s.names
                                                             or honest[i + 1].style.names))
               for i, s in enumerate(styles)]
    planted = [("copy_all", honest[0].student_id)]
    planted += [(f"copy_{i}", honest[i + 1].student_id) for i in range(len(styles))]
    a, b = C.honest_class(assignment, 3, seed=101)[1], C.honest_class(assignment, 3, seed=202)[2]
    a, b = C.rare_wrong(assignment, dataclasses.replace(a, student_id="rareA"),
                        dataclasses.replace(b, student_id="rareB"))
    planted.append(("rareA", "rareB"))
    learners = honest + copies + [a, b]
    learners += C.honest_class(assignment, n - len(learners), seed=999)[: n - len(learners)]
    for i, learner in enumerate(learners[len(honest) + len(copies) + 2 :]):
        learner.student_id = f"late{i:03d}"
    return learners, [frozenset(p) for p in planted]


_WORK: dict = {}


def _fingerprint(index: int) -> dict:
    return S.code_evidence(_WORK["notebooks"][index], _WORK["release"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--assignment", default=C.ASSIGNMENTS[0], choices=C.ASSIGNMENTS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--copydetect-n", type=int, default=200)
    args = parser.parse_args()
    release = Release.load(C.release(args.assignment))
    print(f"building {args.n} notebooks of {args.assignment} ...", flush=True)
    learners, planted = build(args.assignment, args.n)
    repaired = [repair(C.notebook(learner, args.assignment), release).notebook
                for learner in learners]

    per_student, per_student_cpu, codes, two_cores = [], [], [], []
    _WORK.update(notebooks=repaired, release=release)  # the forked processes have them
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for _ in range(args.repeat):
            started, cpu = time.perf_counter(), time.process_time()
            codes = [S.code_evidence(nb, release) for nb in repaired]
            per_student.append((time.perf_counter() - started) / len(repaired))
            per_student_cpu.append((time.process_time() - cpu) / len(repaired))
            # As the grading units do it: each process fingerprints the notebooks it holds,
            # two at a time; only the evidence comes back.
            started = time.perf_counter()
            pool.map(_fingerprint, range(len(repaired)), chunksize=50)
            two_cores.append(time.perf_counter() - started)
    found = [C.synthetic_evidence(learner, code) for learner, code in zip(learners, codes,
                                                                          strict=True)]
    known = S.known_fingerprints(subs.read_notebook(C.source(args.assignment)), release)
    compare_times, compare_cpu, pairs = [], [], []
    for _ in range(args.repeat):
        started, cpu = time.perf_counter(), time.process_time()
        pairs = S.compare(found, S.DEFAULT_THRESHOLD, known=known)
        compare_times.append(time.perf_counter() - started)
        compare_cpu.append(time.process_time() - cpu)
    weak = S.compare(found, 0.0, known=known)
    ranked = [frozenset((p.student_a, p.student_b)) for p in weak]
    honest = [p.score for p in weak if frozenset((p.student_a, p.student_b)) not in planted]
    tokens = statistics.median(len(S.tokens(c, S.release_lines(release)))
                               for code in codes[:50] for c in code["cells"])
    fingerprint_s, compare_s = statistics.median(per_student), statistics.median(compare_times)
    print(f"students: {len(found)}; own-code tokens per cell (median): {tokens:.0f}; "
          f"fingerprints per student (median): "
          f"{statistics.median(len(c['fingerprints']) for c in codes):.0f}")
    two_s = statistics.median(two_cores)
    print(f"fingerprinting: {1000 * fingerprint_s:.2f} ms per student (median of "
          f"{args.repeat}); the class: {fingerprint_s * len(found):.2f} s on one core, "
          f"{two_s:.2f} s on 2 cores (2 processes)")
    print(f"compare (coordinator, one core): {compare_s:.2f} s for {len(found)} students "
          f"(median of {args.repeat}); {len(weak)} pairs share any rare evidence, "
          f"{len(pairs)} above {S.DEFAULT_THRESHOLD}")
    print(f"total for {len(found)} students on 2 cores: {two_s + compare_s:.2f} s wall clock")
    # CPU time does not count the time other processes of a shared machine had the cores.
    cpu_each, cpu_compare = statistics.median(per_student_cpu), statistics.median(compare_cpu)
    print(f"CPU time: fingerprinting {1000 * cpu_each:.2f} ms per student, compare "
          f"{cpu_compare:.2f} s; on 2 free cores: {cpu_each * len(found) / 2:.2f} s + "
          f"{cpu_compare:.2f} s = {cpu_each * len(found) / 2 + cpu_compare:.2f} s")
    print(f"planted pairs ranked: {sorted(ranked.index(p) + 1 for p in planted)} "
          f"(of {len(planted)}); lowest planted score "
          f"{min(p.score for p in weak if frozenset((p.student_a, p.student_b)) in planted):.3f},"
          f" highest honest pair {max(honest, default=0.0):.3f}")
    _copydetect(learners, codes, planted, release, args)


def _copydetect(learners, codes, planted, release, args) -> None:
    if args.copydetect_n <= 0:
        return
    try:
        import copydetect
        from copydetect import CodeFingerprint, compare_files
    except ImportError:
        print("copydetect: not installed (pip install copydetect==0.5.0 to compare)")
        return
    print(f"copydetect {getattr(copydetect, '__version__', '0.5.0')} (k=25 characters, "
          "window 1, its defaults; the release's code as boilerplate):")
    folder = Path(tempfile.mkdtemp(prefix="bench-copydetect-"))
    boilerplate = folder / "release.py"
    boilerplate.write_text("\n\n".join(c.cell.source for c in release.cells
                                       if c.cell.cell_type == "code") + "\n\n"
                           + "\n\n".join(release.plain))
    base = CodeFingerprint(str(boilerplate), 25, 1)
    paths = []
    for learner, code in zip(learners, codes, strict=True):
        path = folder / f"{learner.student_id}.py"
        path.write_text("\n\n".join(code["cells"]))
        paths.append(path)
    started = time.perf_counter()
    import numpy as np

    shared = np.unique(np.array(list(base.hashes)))
    prints = [CodeFingerprint(str(p), 25, 1, boilerplate=shared) for p in paths]
    per = (time.perf_counter() - started) / len(prints)
    m = min(args.copydetect_n, len(prints))
    started = time.perf_counter()
    for i in range(m):
        for j in range(i + 1, m):
            compare_files(prints[i], prints[j])
    pairs_s = (time.perf_counter() - started) / (m * (m - 1) / 2)
    n = len(prints)
    print(f"  fingerprinting: {1000 * per:.2f} ms per student")
    print(f"  all pairs: {1e6 * pairs_s:.0f} us a pair, {pairs_s * m * (m - 1) / 2:.1f} s for "
          f"{m} students; projected for {n}: {pairs_s * n * (n - 1) / 2:.0f} s "
          f"({n * (n - 1) // 2} pairs)")
    index = {p.student_id: i for i, p in enumerate(learners)}

    def score(a, b):
        _, (sim_a, sim_b), _ = compare_files(prints[index[a]], prints[index[b]])
        return max(sim_a, sim_b)

    copies = [sorted(p) for p in planted]
    print("  planted copies (max of its two similarities): "
          + ", ".join(f"{a}-{b} {score(a, b):.2f}" for a, b in copies))
    honest = [learners[i].student_id for i in range(min(60, n))
              if learners[i].student_id.startswith("honest")]
    top = max(score(a, b) for i, a in enumerate(honest) for b in honest[i + 1 :])
    print(f"  highest honest pair among {len(honest)} honest students: {top:.2f}")
    line = ("from copydetect import CodeFingerprint; "
            f"print(sorted(CodeFingerprint({str(paths[0])!r}, 25, 1).hashes)[:3])")
    runs = {subprocess.run([sys.executable, "-c", line], capture_output=True, text=True).stdout
            for _ in range(2)}
    print(f"  the same file fingerprinted in two processes: "
          f"{'the same hashes' if len(runs) == 1 else 'different hashes'}")


if __name__ == "__main__":
    main()
