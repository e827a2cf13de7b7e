"""Grading on a real Dask cluster: `dask scheduler` and `dask worker` processes on 127.0.0.1,
started from this project's environment inside the test, as an instructor would start them.

The coordinator (`python -m autograder grade --scheduler-file ...`) runs as a separate process,
so that its process tree can be watched: it must never start a kernel or a sandbox itself.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from answers_support import with_mistake
from cluster_support import cluster

from autograder import submissions as subs
from autograder.isolation.sandbox import sandbox_problem

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}"),
]

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = subs.ASSIGNMENT
# 9 students: more than the 6 tasks kept in flight for two worker threads
# (runners.dask.IN_FLIGHT_PER_THREAD = 3 each), so the coordinator must feed the cluster as tasks
# finish; every fourth one makes a known mistake (the first assignment's catalogue), so that
# scores differ.
MISTAKES = sorted(entry.key for entry in subs.FIRST.catalogue())
CLASS_SIZE = 9


def _write_class(folder: Path) -> dict[str, str]:
    """Write the class as <student>.ipynb files; return student -> what they handed in."""
    folder.mkdir(parents=True)
    handed_in = {}
    for i in range(CLASS_SIZE):
        sid = f"s{i:02d}"
        if i % 4 == 3:
            key = MISTAKES[(i // 4) % len(MISTAKES)]
            nb = subs.make_submission(with_mistake(key))
            handed_in[sid] = key
        else:
            nb = subs.make_submission(subs.correct_answers())
            handed_in[sid] = "correct"
        nbformat.write(nb, folder / f"{sid}.ipynb")
    return handed_in


def _grade_cli(subs_dir: Path, out: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", str(subs_dir), "--out", str(out),
         "--no-progress", "--assignment", ASSIGNMENT, *extra],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)


def _cells(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as f:
        return {r["student_id"]: {k: v for k, v in r.items() if k != "status"}
                for r in csv.DictReader(f)}


def _statuses(out: Path) -> dict[str, str]:
    with open(out / "grades.csv", newline="") as f:
        return {r["student_id"]: r["status"] for r in csv.DictReader(f)}


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class TreeWatch(threading.Thread):
    """Samples a process's descendants every 50 ms and keeps any that runs a kernel or a
    sandbox (bwrap, ipykernel, the zygote, the clean-room harness)."""

    MARKERS = ("bwrap", "ipykernel", "kernel_zygote", "cleanroom_harness")

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.seen, self.samples = pid, set(), 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for child in _descendants(self.pid):
                try:
                    cmdline = Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace")
                except OSError:
                    continue
                if any(marker in cmdline for marker in self.MARKERS):
                    self.seen.add(cmdline.replace("\0", " ")[:200])
            self.samples += 1
            time.sleep(0.05)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster-class")
    handed_in = _write_class(folder / "subs")
    return folder / "subs", handed_in


@pytest.fixture(scope="module")
def local_run(classroom, tmp_path_factory):
    """The same class graded on this machine, without a cluster: the scores to match."""
    out = tmp_path_factory.mktemp("local") / "out"
    proc = _grade_cli(classroom[0], out, "--jobs", "2")
    stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr
    return _cells(out)


def test_a_cluster_grades_the_class_as_a_local_run_does_though_a_worker_is_killed(
        classroom, local_run, tmp_path):
    subs_dir, handed_in = classroom
    out = tmp_path / "out"
    with cluster(tmp_path / "cluster", workers=2, nthreads=1) as c:
        coordinator = _grade_cli(subs_dir, out, "--scheduler-file", str(c.scheduler_file))
        watch = TreeWatch(coordinator.pid)
        watch.start()
        states = out / ".autograder" / "state"
        deadline = time.monotonic() + 600
        # Kill one worker (its nanny and worker process, kill -9) once a few students are in:
        # the tasks it held must be retried on the other worker.
        while len(list(states.glob("*.json"))) < 3 if states.exists() else True:
            assert coordinator.poll() is None, coordinator.communicate()[1]
            assert time.monotonic() < deadline, "no student graded on the cluster in 600 s"
            time.sleep(0.05)
        c.kill(c.workers[0])
        stdout, stderr = coordinator.communicate(timeout=900)
        watch.stop.set()
        watch.join()
        assert coordinator.returncode == 0, f"{stderr}\n{c.logs()}"
    # Every student graded, exactly once, with the scores of the local run.
    assert set(_statuses(out)) == set(handed_in)
    assert not [s for s in _statuses(out).values() if s.startswith("error")]
    assert _cells(out) == local_run
    with sqlite3.connect(out / "gradebook.db") as db:
        per_student = dict(db.execute(
            "SELECT student_id, COUNT(*) FROM submitted_assignment GROUP BY student_id"))
    assert per_student == dict.fromkeys(handed_in, 1)
    # No kernel or sandbox ever ran under the coordinator; every notebook ran in a worker.
    assert watch.samples > 10 and not watch.seen, watch.seen
    ran_on = {json.loads(p.read_text())["ran_on"] for p in states.glob("*.json")}
    assert all(not r.endswith(f":{coordinator.pid}") for r in ran_on)
    assert "2 Dask worker(s)" in stdout


def test_an_unreachable_scheduler_exits_2_within_seconds_with_a_clear_message(
        classroom, tmp_path):
    started = time.monotonic()
    proc = _grade_cli(classroom[0], tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9")
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "cannot reach tcp://127.0.0.1:9" in stderr and "Is the scheduler running" in stderr
    # 5 s of connection attempts plus the start-up of Python and collecting 22 notebooks.
    assert time.monotonic() - started < 60
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_a_worker_that_cannot_sandbox_is_named_and_given_no_submission(classroom, tmp_path):
    subs_dir = tmp_path / "few"
    subs_dir.mkdir()
    for sid in ("s00", "s01", "s03"):  # two correct, one with a mistake
        (subs_dir / f"{sid}.ipynb").write_bytes((classroom[0] / f"{sid}.ipynb").read_bytes())
    out = tmp_path / "out"
    with cluster(tmp_path / "cluster", workers=0) as c:
        # AUTOGRADER_BWRAP pointing nowhere: this worker's sandbox check must fail.
        bad = c.start_worker("nosandbox", env={"AUTOGRADER_BWRAP": "/nonexistent/bwrap"})
        c.start_worker("good")
        c.wait_for_workers(2)
        proc = _grade_cli(subs_dir, out, "--scheduler-file", str(c.scheduler_file))
        stdout, stderr = proc.communicate(timeout=900)
        assert proc.returncode == 0, stderr
        assert "cannot grade" in stdout and "/nonexistent/bwrap does not exist" in stdout
        record = json.loads((out / ".autograder" / "sandbox.json").read_text())
        assert len(record["workers"]) == 1 and len(record["refused"]) == 1
        ran_on = {json.loads(p.read_text())["ran_on"].split(":")[1]
                  for p in (out / ".autograder" / "state").glob("*.json")}
        assert str(bad.pid) not in ran_on and len(ran_on) >= 1
    assert not [s for s in _statuses(out).values() if s.startswith("error")]


def test_a_cluster_where_no_worker_can_sandbox_is_refused_naming_the_worker(classroom, tmp_path):
    with cluster(tmp_path / "cluster", workers=0) as c:
        c.start_worker("nosandbox", env={"AUTOGRADER_BWRAP": "/nonexistent/bwrap"})
        c.wait_for_workers(1)
        proc = _grade_cli(classroom[0], tmp_path / "out", "--scheduler-file",
                          str(c.scheduler_file))
        stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 2
    assert "no worker of the cluster can grade" in stderr
    assert "/nonexistent/bwrap does not exist" in stderr and "tcp://127.0.0.1:" in stderr


def test_a_killed_coordinator_resumes_on_the_next_run(classroom, local_run, tmp_path):
    subs_dir, handed_in = classroom
    out = tmp_path / "out"
    with cluster(tmp_path / "cluster", workers=2, nthreads=1) as c:
        first = _grade_cli(subs_dir, out, "--scheduler-file", str(c.scheduler_file))
        states = out / ".autograder" / "state"
        deadline = time.monotonic() + 600
        while not states.exists() or len(list(states.glob("*.json"))) < 2:
            assert first.poll() is None, first.communicate()[1]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(30)
        done_before = len(list(states.glob("*.json")))
        assert done_before < CLASS_SIZE
        second = _grade_cli(subs_dir, out, "--scheduler-file", str(c.scheduler_file))
        stdout, stderr = second.communicate(timeout=900)
        assert second.returncode == 0, stderr
    line = next(x for x in stdout.splitlines() if x.startswith("this run: "))
    graded = int(line.split("graded ")[1].split(",")[0])
    reused = int(line.rsplit(" ", 1)[1])
    assert reused >= done_before and graded + reused == CLASS_SIZE
    assert _cells(out) == local_run
    assert set(_statuses(out)) == set(handed_in)


def test_a_student_whose_task_keeps_losing_its_worker_gets_an_error_row_not_a_grade(
        classroom, local_run, tmp_path):
    # allowed-failures = 0: the first worker lost with a task on it fails that task for good
    # (KilledWorker), as the default of 3 does after the third loss.
    subs_dir, handed_in = classroom
    out = tmp_path / "out"
    with cluster(tmp_path / "cluster", workers=0,
                 scheduler_env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}) as c:
        doomed = c.start_worker("doomed")
        c.start_worker("steady")
        c.wait_for_workers(2)
        coordinator = _grade_cli(subs_dir, out, "--scheduler-file", str(c.scheduler_file))
        states = out / ".autograder" / "state"
        deadline = time.monotonic() + 600
        while not states.exists() or len(list(states.glob("*.json"))) < 3:
            assert coordinator.poll() is None, coordinator.communicate()[1]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        c.kill(doomed)
        stdout, stderr = coordinator.communicate(timeout=900)
        assert coordinator.returncode == 0, stderr
        statuses = _statuses(out)
        errors = {sid for sid, status in statuses.items() if status.startswith("error")}
        assert errors, "the killed worker held no task: nothing to check"
        assert all("KilledWorker" in statuses[sid] and statuses[sid].endswith(
            "(run again to retry)") for sid in errors)
        graded = {json.loads(p.read_text())["row"]["student_id"] for p in states.glob("*.json")}
        assert not errors & graded  # no state file: the next run grades them
        cells = _cells(out)
        assert all(cells[sid]["score"] == "" for sid in errors)  # never a wrong grade
        assert {sid: cells[sid] for sid in graded} == {sid: local_run[sid] for sid in graded}
        again = _grade_cli(subs_dir, out, "--scheduler-file", str(c.scheduler_file))
        stdout, stderr = again.communicate(timeout=900)
        assert again.returncode == 0, stderr
    assert _cells(out) == local_run
    assert set(_statuses(out)) == set(handed_in)
