"""How long the second assignment's source notebook takes, top to bottom, in a fresh kernel.

The target: under 60 s on 2 cores. Prints the wall time of each run (kernel start
included) and the slowest cells of the last run.

    python benchmarks/bench_backprop_notebook.py [RUNS]
"""

import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source" / "backprop_one_hidden_layer" / "backprop_one_hidden_layer.ipynb"


def cell_seconds(cell) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def main(runs: int) -> None:
    print(f"{os.cpu_count()} cores; {SOURCE.relative_to(ROOT)}")
    for run in range(1, runs + 1):
        nb = nbformat.read(SOURCE, as_version=4)
        with tempfile.TemporaryDirectory() as folder:
            client = NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True,
                                    record_timing=True, resources={"metadata": {"path": folder}})
            start = time.perf_counter()
            client.execute()
            seconds = time.perf_counter() - start
        errors = sum(o.output_type == "error" for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs)
        print(f"run {run}: {seconds:5.1f} s top to bottom, {errors} cells with errors")
    slowest = sorted(((cell_seconds(c), c.id) for c in nb.cells if c.cell_type == "code"),
                     reverse=True)[:5]
    print("slowest cells:", ", ".join(f"{cell} {s:.1f} s" for s, cell in slowest))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
