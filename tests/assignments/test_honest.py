"""An honest learner loses nothing, in every assignment.

- The model answers, and every other right answer (the assignment's own variants.HONEST, and
  generic ones made here), pass every check in the kernel and in the clean room, here in this
  process, and get full marks with the status "graded" through the real pipeline (sandboxed
  kernels, the clean room), typed into the release as a learner would or saved as editors save.
- Every kind of value an honest answer returns crosses the sandbox as it was: Python and numpy
  scalars, 0-d arrays, lists and tuples of them, of any length.
"""

from __future__ import annotations

import io
import json
import math
import re

import numpy as np
import pytest

from autograder import cleanroom
from solutions import checking, wire

from . import corpus

# --------------------------------------------------------------------------------------------
# In this process
# --------------------------------------------------------------------------------------------


def test_the_model_answers_pass_every_check_in_the_kernel_and_in_the_clean_room(assignment):
    scope = corpus.namespace(assignment)
    for grade_id, check in assignment.checks().items():
        assert corpus.in_kernel(check, scope) is None, grade_id
        for seed in corpus.RUN_SEEDS:
            assert corpus.in_clean_room(check, scope, seed) is None, (grade_id, seed)


def honest_answer_sets(a) -> dict:
    return {**corpus.variants(a), **corpus.generic_answers(a)}


def test_every_honest_answer_set_passes_every_check(assignment):
    for name, (_, answers) in honest_answer_sets(assignment).items():
        scope = corpus.namespace(assignment, answers)
        kernel = {g: m for g, c in assignment.checks().items() if (m := corpus.in_kernel(c, scope))}
        assert kernel == {}, name
        assert corpus.failing(assignment, scope) == {}, name


# --------------------------------------------------------------------------------------------
# Values crossing the sandbox
# --------------------------------------------------------------------------------------------


def _tree(value, leaf):
    if isinstance(value, dict):
        return {k: _tree(v, leaf) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_tree(v, leaf) for v in value)
    return leaf(value)


def _numpy_scalar(x):
    if type(x) is float:
        return np.float64(x)
    if type(x) is int:
        return np.int64(x)
    return x


def _zero_d(x):
    return np.array(x) if isinstance(x, (float, np.floating)) else x


def _swapped(value):
    """Lists as tuples and tuples as lists, all the way down."""
    if isinstance(value, dict):
        return {k: _swapped(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_swapped(v) for v in value)
    if isinstance(value, tuple):
        return [_swapped(v) for v in value]
    return value


# What an honest answer may return in place of the model answer's value.
RETYPINGS = {
    "as it is": lambda v: v,
    "numpy scalars": lambda v: _tree(v, _numpy_scalar),
    "0-d arrays": lambda v: _tree(v, _zero_d),
    "lists and tuples swapped": _swapped,
}
HISTORY = 10_000  # a cost history this long, of np.float64, crosses whole (limits are on bytes)


def cross(value):
    """``value`` after the clean room's round trip, done here: solutions/wire.py's spec as
    JSON, its arrays through an uncompressed npz read back without pickle."""
    spec, arrays = wire.to_arrays(value, "value", strict=False)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with np.load(io.BytesIO(buffer.getvalue()), allow_pickle=False) as loaded:
        arrays = {key: loaded[key] for key in loaded.files}
    return wire.from_arrays(json.loads(json.dumps(spec)), arrays)


def same(a, b) -> bool:
    """Equal values of the same types all the way down (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (np.ndarray, np.generic)):
        return (a.dtype == b.dtype and np.shape(a) == np.shape(b)
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f")))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def model_results(a):
    """(check, calls, results) of the model answers for the kernel's calls of every check."""
    scope = corpus.namespace(a)
    found = []
    with checking.quiet():
        for check in a.checks().values():
            calls = corpus.kernel_calls(check)
            found.append((check, calls, [checking.execute_call(c, scope) for c in calls]))
    return found


def test_every_honest_kind_of_result_crosses_the_sandbox_and_keeps_its_verdict(assignment):
    for check, calls, results in model_results(assignment):
        for name, retype in RETYPINGS.items():
            here = [checking.CallResult(retype(r.value), r.args_after, r.error) for r in results]
            there = [checking.CallResult(cross(r.value), tuple(cross(list(r.args_after))),
                                         r.error) for r in here]  # fmt: skip
            for before, after in zip(here, there, strict=True):
                assert checking.same_tree(before.value, after.value, 0.0, 0.0), (
                    check.grade_id, name)
            verdict = check.verify(calls, here)
            assert check.verify(calls, there) == verdict, (check.grade_id, name)
            if name in ("as it is", "numpy scalars"):
                assert verdict is None, (check.grade_id, name, verdict)


def test_a_long_history_of_numpy_floats_crosses_whole():
    history = [np.float64(x) for x in np.linspace(1.0, 0.01, HISTORY)]
    floats = [float(x) for x in history]  # numbers of a list come back as Python numbers
    assert cross(history) == floats
    assert cross(tuple(history)) == tuple(floats)
    parameters, costs = cross(({"W1": np.ones((2, 3))}, history))
    assert costs == floats and same(parameters, {"W1": np.ones((2, 3))})


@pytest.mark.slow
def test_honest_results_cross_the_real_clean_room_harness(assignment):
    from autograder.isolation.sandbox import sandbox_problem

    if sandbox_problem() is not None:
        pytest.skip(f"no sandbox: {sandbox_problem()}")
    values = [retype(results[0].value) for _, _, results in model_results(assignment)
              for retype in RETYPINGS.values()]  # fmt: skip
    values += [[np.float64(x) for x in np.linspace(1.0, 0.01, HISTORY)],
               tuple(float(x) for x in np.linspace(1.0, 0.01, HISTORY))]
    cell = ("import numpy as np\n\n"
            f"VALUES = [{', '.join(corpus.literal(v) for v in values)}]\n\n"
            "def honest_value(i):\n    return VALUES[i]\n")
    calls = [checking.Call("honest_value", (i,)) for i in range(len(values))]
    run = cleanroom.run_calls([cell], calls)
    assert run.stopped == ""
    for i, value in enumerate(values):
        assert run.results[i].error is None, i
        assert same(run.results[i].value, cross(value)), i


@pytest.mark.slow
def test_the_clean_room_allows_a_call_as_much_cpu_as_the_kernel_allows_its_cell():
    from autograder.isolation.sandbox import sandbox_problem

    if sandbox_problem() is not None:
        pytest.skip(f"no sandbox: {sandbox_problem()}")
    # 3 s of CPU: well inside the kernel's 10 s per cell, beyond 2 s.
    cell = ("import time\n\ndef slow(x):\n    start = time.process_time()\n"
            "    while time.process_time() - start < 3.0:\n        pass\n    return x\n")
    run = cleanroom.run_calls([cell], [checking.Call("slow", (1.0,))])
    assert run.results[0].error is None and run.results[0].value == 1.0, run.results[0].error


# --------------------------------------------------------------------------------------------
# Through the real pipeline
# --------------------------------------------------------------------------------------------

QUIET_STATUS = ("timed out", "re-run", "lost points", "cap", "kernel", "stopped")


def honest_students(batch, kinds=("honest", "save")) -> list[str]:
    return [sid for sid, s in batch.students.items() if s.kind in kinds]


def test_honest_answers_typed_into_the_release_get_full_marks_graded(batch):
    rows = batch.rows
    for sid in honest_students(batch, ("honest",)):
        assert (rows[sid]["score"], rows[sid]["status"]) == (sum(batch.max_points.values()),
                                                             "graded"), sid
    assert "correct" in rows and len(honest_students(batch, ("honest",))) >= 2


def test_honest_saves_get_full_marks(batch):
    for sid in honest_students(batch, ("save",)):
        row = batch.rows[sid]
        assert row["score"] == sum(batch.max_points.values()), (sid, row["status"])
        assert row["status"] == "graded" or row["status"].startswith("repaired: "), sid


def test_an_honest_notebook_s_status_says_nothing_of_timeouts_or_caps(batch):
    for sid in honest_students(batch):
        status, output = batch.rows[sid]["status"], batch.results(sid)["output"]
        for word in QUIET_STATUS:
            assert word not in status and word not in output, (sid, status)
        assert all(test["output"] == "" for test in batch.results(sid)["tests"]), sid


def test_the_summary_counts_students_not_occurrences():
    from autograder.report import Row, summary

    rows = [Row("ada", 1.0, 2.0, "timed out in f; timed out in g"),
            Row("bob", 0.0, 2.0, "timed out in cell 63; timed out in f"),
            Row("cy", 2.0, 2.0, "graded")]
    table = summary(rows, ["t"], {"t": 2.0})
    counts = dict(re.findall(r"^(\S.*?)\s{2,}(\d+)$", table, re.MULTILINE))
    assert counts == {"timed out": "2", "graded": "1"}
