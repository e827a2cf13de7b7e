"""The local runner (autograder.runners.local): `jobs` notebooks at a time, and the preflight's
model answers beside them, never in one of their lanes."""

from __future__ import annotations

import threading

import pytest

from autograder.runners import local

JOBS = 2
STUDENTS = [f"s{i}" for i in range(7)]  # more than the lanes: some must wait for a free one
WAIT = 10.0  # seconds a thread waits for the others before the test calls the runner wrong
SHORT_WAIT = 0.5  # where they cannot all meet: only the test's own time


class Recorder:
    """Runs items; remembers how many students ran at once, at most."""

    def __init__(self, together: threading.Barrier | None = None, wait: float = WAIT):
        self.lock = threading.Lock()
        self.students_running = 0
        self.most = 0
        self.together = together  # the model answers and the first JOBS students meet here
        self.wait = wait

    def __call__(self, item: str) -> str:
        student = item != "model"
        with self.lock:
            self.students_running += student
            self.most = max(self.most, self.students_running)
        try:
            if self.together is not None and (item == "model" or item in STUDENTS[:JOBS]):
                self.together.wait(self.wait)
            return item.upper()
        finally:
            with self.lock:
                self.students_running -= student


def _run(function, items: list[str], beside: int) -> list[local.Done]:
    done = []
    for batch in local.run(function, iter(items), jobs=JOBS, cancel=threading.Event(),
                           beside=beside):
        done += batch
    return done


def test_the_model_answers_run_beside_the_jobs_which_stay_at_jobs():
    # The model answers and the first JOBS students can only all reach the barrier if they run
    # at the same time: JOBS + 1 threads.
    recorder = Recorder(threading.Barrier(JOBS + 1))
    done = _run(recorder, ["model", *STUDENTS], beside=1)
    assert sorted(d.item for d in done) == sorted(["model", *STUDENTS])  # each once
    assert all(d.error is None and d.result == d.item.upper() for d in done)
    assert recorder.most == JOBS  # the students never took the extra thread


def test_without_beside_the_first_item_takes_one_of_the_lanes():
    # The same barrier cannot be reached by JOBS threads: it breaks, as the test above would
    # if the model answers took a lane.
    recorder = Recorder(threading.Barrier(JOBS + 1), wait=SHORT_WAIT)
    done = _run(recorder, ["model", *STUDENTS], beside=0)
    assert {d.item for d in done if d.error is not None} >= {"model"}
    assert all(isinstance(d.error, threading.BrokenBarrierError)
               for d in done if d.error is not None)
    assert recorder.most <= JOBS


@pytest.mark.parametrize("items", [["model"], []])
def test_a_run_with_nothing_but_the_model_answers_or_nothing_ends(items):
    done = _run(Recorder(), items, beside=1)
    assert [d.item for d in done] == items
