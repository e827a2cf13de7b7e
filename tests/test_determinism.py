"""The same class gets the same grades, every run, however busy the machine.

Time limits that decide a grade count the learner's own CPU time, with wall clocks only as
backstops (autograder.isolation.usage); a failure of the grader's own is graded again, and
never marked down. The stress test grades a class of honest and mistaken notebooks of each
assignment several times while every core is kept busy; the others pin down each part:
the kernel's and the clean room's limits, a machine too busy to run the learner's code, the
zygote killed under a kernel, the unit's retry, and syntax trees parsed by several threads.
"""

from __future__ import annotations

import ast
import gc
import json
import multiprocessing
import os
import sys
import threading
import time
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder import demo
from autograder.isolation import usage
from autograder.isolation.sandbox import sandbox_problem

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}"),
]

REPO = Path(__file__).resolve().parents[1]
RUNS = 3  # gradings of the same class under load: the same grades each time
CORES = os.cpu_count() or 1


def _busy() -> None:
    while True:
        pass


class Busy:
    """``count`` busy-looping processes, stopped when the block ends."""

    def __init__(self, count: int):
        self.count = count
        self.processes: list[multiprocessing.Process] = []

    def __enter__(self) -> Busy:
        context = multiprocessing.get_context("fork")
        self.processes = [context.Process(target=_busy, daemon=True) for _ in range(self.count)]
        for process in self.processes:
            process.start()
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.kill()
            process.join()


# --- the stress test -----------------------------------------------------------------------------


def _snapshot(result, out: Path) -> dict:
    """What a grading run decided: grades.csv (scores, statuses, per-cell points) and, per
    student, the known mistakes its feedback names."""
    named = {}
    for row in result.rows:
        state = out / ".autograder" / "state" / f"{row.student_id}.json"
        named[row.student_id] = json.loads(state.read_text())["mistakes"]
    return {"grades.csv": (out / "grades.csv").read_text(), "mistakes": named}


def _class(assignment) -> tuple[dict, dict[str, str]]:
    """Three notebooks, to stay within a minute or two: the model answers, an honest variant
    (where the assignment has one), and a known mistake of the manifest's, or else the last
    functions that no other answer uses, left unanswered. Returns the notebooks, and for each
    wrong one the function that must lose points (and no other)."""
    from autograder.notebook import Assignment
    from autograder.submissions import correct_answers, make_submission

    correct = correct_answers(assignment.source)

    def notebook(answers):
        return make_submission(answers, release=assignment.release)

    notebooks = {"correct": notebook(correct)}
    for name, (_, answers) in list(demo._honest_variants(assignment).items())[:1]:
        notebooks[name] = notebook({**correct, **answers})
    wrong = {}
    for entry in demo._shown_mistakes(assignment)[:3 - len(notebooks)]:
        notebooks[entry.key] = notebook({**correct, entry.function: entry.code})
        wrong[entry.key] = entry.function
    functions = Assignment.load(assignment.source, assignment.release).functions
    for function in reversed(functions):
        if len(notebooks) == 3:
            break
        if not any(function in body for name, body in correct.items() if name != function):
            key = f"unanswered.{function}"
            notebooks[key] = notebook({k: v for k, v in correct.items() if k != function})
            wrong[key] = function
    return notebooks, wrong


def test_the_same_class_gets_the_same_expected_grades_while_every_core_is_busy(
        assignment, tmp_path, monkeypatch):
    from autograder.notebook import Assignment
    from autograder.pipeline import grade
    from autograder.submissions import write_class

    monkeypatch.setenv("PATH", f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}")
    notebooks, wrong = _class(assignment)
    subs, out = tmp_path / "subs", tmp_path / "out"
    write_class(subs, notebooks, assignment=assignment.name)

    runs = []
    with Busy(CORES):  # every core busy, and twice as many notebooks at once as cores
        for _ in range(RUNS):
            result = grade(subs, out, force=True, jobs=2 * CORES, progress=False,
                           assignment=assignment.name)
            runs.append(_snapshot(result, out))
    assert all(run == runs[0] for run in runs[1:]), "a regrade under load changed a grade"

    cells = Assignment.load(assignment.source, assignment.release).grade_cells
    functions = {cell.grade_id: cell.function for cell in cells}
    most = {cell.grade_id: cell.points for cell in cells}
    for row in result.rows:
        lost = [g for g, points in row.points.items() if points < most[g]]
        if row.student_id in wrong:  # loses points in its function's cells, and only there
            assert lost and {functions[g] for g in lost} == {wrong[row.student_id]}, (
                row.status, lost)
        else:  # the model answers and the honest variant: full marks, nothing to report
            assert (row.score, row.status) == (row.max_score, "graded"), lost


# --- the kernel's limits -------------------------------------------------------------------------


def _execute(cells: list[str], timeout: float, grace: float = 5.0):
    import tempfile

    from autograder.execute import Limits, execute
    from autograder.isolation import kernels

    notebook = new_notebook(cells=[new_code_cell(source) for source in cells])
    factory = kernels.kernel_manager_factory(REPO, unsafe=False)
    with tempfile.TemporaryDirectory() as scratch:
        result = execute(notebook, functions=[], cwd=Path(scratch), limits=Limits(timeout, grace),
                         kernel_manager_factory=factory)
    return result, [[(o.get("ename"), o.get("evalue") or o.get("text")) for o in cell.outputs]
                    for cell in notebook.cells]


@pytest.fixture
def short_backstop(monkeypatch):
    """A backstop of 10 x the limit + 1 s instead of + 10 s, so that a starved cell ends soon."""
    monkeypatch.setattr(usage, "BACKSTOP_SLACK", 1.0)


def test_a_kernel_cell_is_stopped_by_its_own_time_whether_it_computes_or_sleeps():
    # 0.5 s per cell of the kernel's own time: the endless loop reaches it by its CPU time, the
    # sleeping cell by the time it slept; neither counts time spent waiting for a CPU.
    started = time.monotonic()
    result, outputs = _execute(["while True:\n    pass", "import time\n\ntime.sleep(60)",
                                "print('after')"], timeout=0.5)
    stopped = [("CellTimeout", "this cell ran longer than 0.5 s and was stopped")]
    assert outputs == [stopped, stopped, [(None, "after\n")]]
    assert result.problems == ["timed out in cell 1", "timed out in cell 2"]
    assert time.monotonic() - started < 60  # the sleep was cut short


def test_a_kernel_kept_waiting_for_a_cpu_is_the_graders_failure_not_a_timeout(short_backstop,
                                                                            busy_core_zero):
    # Its next cell needs 0.2 s of CPU but gets almost none (STARVE), and the backstop
    # (10 x 0.5 + 1 = 6 s) passes while it was ready to run: the machine's doing, never a
    # timeout for the learner.
    from autograder.isolation.usage import GraderFailure

    with pytest.raises(GraderFailure, match="too busy to run a cell"):
        _execute([STARVE, "end = time.process_time() + 0.2\n"
                          "while time.process_time() < end:\n    pass"], timeout=0.5)


@pytest.fixture
def busy_core_zero():
    """A process of this test's session that keeps core 0 busy: the machine's load."""

    def spin():
        os.sched_setaffinity(0, {0})
        _busy()

    process = multiprocessing.get_context("fork").Process(target=spin, daemon=True)
    process.start()
    yield
    process.kill()
    process.join()


# Learner code that moves to core 0 and makes its session (each sandboxed process has its own)
# the last in line there: the scheduler shares a core between sessions by their nice value
# (autogroups), and at nice 19 against busy_core_zero's nice 0 it gets about 1.4 % of the core
# (weights 15 and 1024). Another process of the machine thus keeps it waiting; one of its own
# would not, since the CPU time of the learner's own processes is the learner's
# (isolation.usage.Watch).
STARVE = """import os, time
os.sched_setaffinity(0, {0})
with open("/proc/self/autogroup", "w") as f:
    f.write("19")
"""


def test_the_cpu_time_of_the_learners_own_processes_is_the_learners(short_backstop):
    # A busy child of the kernel's, on the kernel's core, with the kernel last in line there
    # (SCHED_IDLE, within one session): a fork bomb in small. The kernel itself gets almost no
    # CPU, but its child's CPU time is its own time: the cell is the learner's timeout, not the
    # grader's failure.
    own_child = ("import os\nos.sched_setaffinity(0, {0})\nif os.fork() == 0:\n"
                 "    while True:\n        pass\n"
                 "os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))")
    _, outputs = _execute([own_child, "end = time.process_time() + 0.2\n"
                                      "while time.process_time() < end:\n    pass"],
                          timeout=0.5)
    assert outputs[1] == [("CellTimeout", "this cell ran longer than 0.5 s and was stopped")]


def test_a_kernel_lost_with_the_zygote_is_the_graders_failure_not_a_dead_kernel():
    # The zygote is killed (as when it stops answering) while a cell runs: its kernels die
    # with it, which no learner caused.
    from autograder.isolation import forkserver
    from autograder.isolation.usage import GraderFailure

    def kill_the_zygote_soon():
        time.sleep(3)
        forkserver.zygote()._kill()

    killer = threading.Thread(target=kill_the_zygote_soon)
    killer.start()
    try:
        with pytest.raises(GraderFailure, match="zygote"):
            _execute(["import time\n\ntime.sleep(30)"], timeout=60)
    finally:
        killer.join()


# --- the clean room's limits ---------------------------------------------------------------------


def test_a_clean_room_call_is_stopped_by_its_own_time_whether_it_computes_or_sleeps():
    from autograder.cleanroom import run_calls
    from solutions.checking import Call

    code = ("import time\n"
            "def relu(z):\n    while True:\n        pass\n"
            "def relu_derivative(z):\n    time.sleep(60)\n"
            "def sigmoid(z):\n    return z\n")
    calls = [Call("relu", (1.0,)), Call("relu", (2.0,)), Call("relu_derivative", (1.0,)),
             Call("sigmoid", (3.0,))]
    # 0.5 s per call: the loop reaches it by its CPU time, and its second call is not made; the
    # sleep by the time it slept; the third function still answers.
    run = run_calls([code], calls, cell_limits={"call_seconds": 0.5})
    errors = [run.results[i].error for i in range(4)]
    assert errors == ["CallTimeout: took longer than 0.5 s",
                      "CallTimeout: not run, an earlier call took longer than 0.5 s",
                      "CallTimeout: took longer than 0.5 s", None]
    assert run.results[3].value == 3.0 and run.stopped == ""


def test_a_clean_room_call_that_swallows_its_stop_ends_the_run():
    # The call catches every stop (CallTimeout is a BaseException) and sleeps on: 5 s of own
    # time past its 0.5 s limit (cleanroom_harness.IGNORED_STOP_SECONDS), the harness's watchdog
    # ends the process, as a kernel that ignores its interrupt is stopped. The answer given
    # before it is kept; the call after it is not made.
    from autograder.cleanroom import run_calls
    from solutions.checking import Call

    code = ("import time\n"
            "def sigmoid(z):\n    return z\n"
            "def relu(z):\n    while True:\n        try:\n            time.sleep(60)\n"
            "        except BaseException:\n            pass\n")
    calls = [Call("sigmoid", (3.0,)), Call("relu", (1.0,)), Call("sigmoid", (4.0,))]
    run = run_calls([code], calls, cell_limits={"call_seconds": 0.5})
    assert set(run.results) == {0} and run.results[0].value == 3.0
    assert run.stopped.startswith("your code went on after it was stopped for running longer "
                                  "than its limit")


def test_a_clean_room_kept_waiting_for_a_cpu_is_the_graders_failure(short_backstop,
                                                                    busy_core_zero):
    # As for the kernel: the learner's call needs 0.45 s of CPU (its limit is 0.5 s) but gets
    # about 1.4 % of a core (STARVE), some 0.3 s before the backstop on the whole run
    # (10 x 2 + 1 = 21 s) passes. Its own time stays below its limits, and the backstop finds
    # it ready to run, not sleeping: the grader's failure.
    from autograder.cleanroom import run_calls
    from autograder.isolation.usage import GraderFailure
    from solutions.checking import Call

    code = ("def relu(z):\n    end = time.process_time() + 0.45\n"
            "    while time.process_time() < end:\n        pass\n    return z\n")
    with pytest.raises(GraderFailure, match="too busy"):
        run_calls([STARVE, code], [Call("relu", (1.0,))], timeout=2,
                  cell_limits={"call_seconds": 0.5})


# --- the grader's own failures are graded again --------------------------------------------------


def test_a_graders_failure_is_graded_again_and_then_an_error_row_never_a_lower_score(
        tmp_path, monkeypatch):
    from autograder import unit
    from autograder.isolation.usage import GraderFailure
    from autograder.pipeline import grade
    from autograder.submissions import correct_answers, insert_cell, make_submission, write_class

    monkeypatch.setenv("PATH", f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}")
    mark = "# the grader fails twice on this notebook"
    write_class(tmp_path / "subs", {"once": make_submission(correct_answers()),
                                    "twice": insert_cell(make_submission(correct_answers()), mark)})
    real, failures = unit.execute, {"once": 1, "twice": 2}

    def failing(nb, **kwargs):  # the first run(s) of each fail, as on a machine too busy
        student = "twice" if any(cell.source == mark for cell in nb.cells) else "once"
        if failures[student]:
            failures[student] -= 1
            raise GraderFailure("the machine was too busy to run a cell")
        return real(nb, **kwargs)

    monkeypatch.setattr(unit, "execute", failing)
    result = grade(tmp_path / "subs", tmp_path / "out", jobs=1, progress=False,
                   assignment=demo.courses.assignments()[0].name)
    rows = {row.student_id: row for row in result.rows}
    assert (rows["once"].score, rows["once"].status) == (rows["once"].max_score, "graded")
    assert rows["twice"].score is None
    assert rows["twice"].status == ("error: GraderFailure: the machine was too busy to run a "
                                    "cell (run again to retry)")
    assert not (tmp_path / "out" / ".autograder" / "state" / "twice.json").exists()


# --- syntax trees from several threads -----------------------------------------------------------


class _Cycle:
    """Garbage whose collection runs Python code (a finalizer), where threads switch."""

    def __init__(self):
        self.me = self

    def __del__(self):
        sum(range(20))


def test_threads_parsing_at_once_never_fail():
    # Grading threads parse notebooks at once (repair, the clean room). On Python 3.11.0-3.11.7
    # and 3.12.0-3.12.1 a thread switch inside the syntax-tree constructor (a finalizer run by
    # the garbage collector) made ast.parse raise "SystemError: AST constructor recursion
    # depth mismatch", and a learner's notebook was "not gradable". Without the lock
    # (autograder/__init__.py), these 240 parses raised it 7 to 9 times (3 tries).
    source = "\n".join(f"def f{i}(x):\n    return [x + {i} for _ in range(3)]" for i in range(20))
    errors = []

    def parse_many():
        for _ in range(60):
            for _ in range(20):
                _Cycle()
            try:
                ast.parse(source)
            except SystemError as error:
                errors.append(error)

    thresholds, interval = gc.get_threshold(), sys.getswitchinterval()
    gc.freeze()  # the test process's own objects: out of the collector's way
    gc.set_threshold(50, 5, 5)  # collect often: inside the constructor too
    sys.setswitchinterval(1e-6)  # and switch threads at every chance
    try:
        threads = [threading.Thread(target=parse_many) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        gc.set_threshold(*thresholds)
        sys.setswitchinterval(interval)
        gc.unfreeze()
    assert errors == []

