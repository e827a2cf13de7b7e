"""The grading unit on a Dask distributed cluster: one task per submission.

The coordinator (the ``grade`` process) connects to a scheduler that someone started (``dask
scheduler``, a Slurm job, dask-kubernetes...), registers :class:`SandboxCheck` on every worker,
and keeps a bounded number of tasks in flight (:data:`IN_FLIGHT_PER_THREAD` x the cluster's
worker threads), never the whole class at once. Each task calls
:func:`autograder.unit.grade_submission` in a worker process and returns plain data; the
coordinator alone writes the gradebook and the workspace.

- Workers that cannot sandbox, or whose environment fails the preflight (the model answers,
  graded on that worker with the run's course and options, must get full marks: their own
  reference package must be the coordinator's, the kernel must import it, no package may be
  missing...), are named and get no task: only workers that passed hold the run's resource
  (``autograder-<digest>``) that every task asks for.
- A task's key is derived from the student, the submission's hash and the course's hash, so a
  retried or duplicated task is the same task.
- A worker killed mid-task: the scheduler reschedules its tasks elsewhere, up to its
  ``allowed-failures`` (default 3); after that the task fails with KilledWorker and the student
  gets an ``error: ... (run again to retry)`` row.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Callable, Iterator

from . import Done

RESOURCE = "autograder-sandbox"  # the prefix of a run's resource (see resource_name)
IN_FLIGHT_PER_THREAD = 3  # tasks queued per worker thread: enough that no thread waits for us
CONNECT_TIMEOUT = 5.0  # seconds to reach the scheduler before giving up
NO_WORKER_PATIENCE = 120.0  # seconds without any worker that can sandbox before giving up


class ClusterError(Exception):
    """The cluster cannot be used as asked; the message says why and what to do."""


def _worker_sandbox_problem() -> str | None:
    from autograder.isolation.sandbox import sandbox_problem

    try:
        return sandbox_problem()
    except Exception as error:  # a check that crashes is a worker that cannot sandbox
        return f"the sandbox check failed: {type(error).__name__}: {error}"


try:
    from distributed import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover - distributed is a pinned dependency
    _WorkerPlugin = object


def resource_name(digest: str) -> str:
    """The resource a worker holds once it passed a run's checks (one per course digest: a
    worker that passed another course's gets no task of this one)."""
    return f"{RESOURCE}-{digest[:16]}"


class SandboxCheck(_WorkerPlugin):
    """Runs on every worker (those that join later too): checks the sandbox, then grades the
    model answers (``preflight``: the course, the options and the model answers' Work, plus
    ``judge(graded, error) -> (passed, reason)``), and only a worker where both pass takes
    grading tasks (it gets the run's resource)."""

    def __init__(self, digest: str = "", preflight=None):
        self.digest = digest
        self.preflight = preflight
        self.name = f"autograder-check-{digest[:16]}"

    async def setup(self, worker) -> None:
        loop = asyncio.get_running_loop()
        problem = await loop.run_in_executor(None, _worker_sandbox_problem)
        if problem is None and self.preflight is not None:
            problem = await loop.run_in_executor(None, _worker_preflight, self.preflight)
        checks = getattr(worker, "autograder_checks", {})
        checks[self.digest] = problem
        worker.autograder_checks = checks
        if problem is None:
            await worker.set_resources(**{resource_name(self.digest): worker.state.nthreads})


def _worker_preflight(preflight) -> str | None:
    """Why this worker fails the preflight, or None (autograder.preflight)."""
    from autograder import unit

    course, options, work, judge = preflight
    try:
        graded, error = unit.grade_submission(course, work, options), None
    except Exception as caught:  # a wrong reference package, an environment failure...
        graded, error = None, caught
    return judge(graded, error)


def _report(dask_worker, digest: str = "") -> str | None:
    checks = getattr(dask_worker, "autograder_checks", {})
    return checks.get(digest, "the worker's checks did not run")


def connect(address: str | None = None, scheduler_file: str | None = None,
            timeout: float = CONNECT_TIMEOUT):
    """A Client of the scheduler at ``address`` or in ``scheduler_file``; ClusterError if none
    answers within ``timeout`` seconds."""
    from distributed import Client

    where = address or f"the scheduler in {scheduler_file}"
    if scheduler_file is not None and not os.path.exists(scheduler_file):
        raise ClusterError(f"--scheduler-file {scheduler_file} does not exist: start the "
                           "scheduler first (dask scheduler --scheduler-file PATH).")
    try:
        return Client(address=address, scheduler_file=scheduler_file, timeout=timeout,
                      set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise ClusterError(
            f"cannot reach {where} within {timeout:g} s ({error}). Is the scheduler running, "
            "and is the address right? Without --scheduler/--scheduler-file, grading runs on "
            "this machine.") from None


def check_workers(client, digest: str = "", preflight=None
                  ) -> tuple[list[str], dict[str, str]]:
    """Register the checks (sandbox, then the preflight); return (workers that passed,
    {worker: why not})."""
    client.register_plugin(SandboxCheck(digest, preflight))
    reports = client.run(_report, digest=digest)
    ok = sorted(addr for addr, problem in reports.items() if problem is None)
    refused = {addr: problem for addr, problem in reports.items() if problem is not None}
    return ok, refused


def task_key(student_id: str, submission_sha: str, course_hash: str) -> str:
    digest = hashlib.sha256(f"{student_id}\0{submission_sha}\0{course_hash}".encode())
    return f"grade-submission-{digest.hexdigest()[:32]}"


def _threads(client, resource: str, at_least: int = 1) -> int:
    """Worker threads that can take grading tasks (at least ``at_least``)."""
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    found = sum(w.get("nthreads", 1) for w in workers.values()
                if w.get("resources", {}).get(resource))
    return max(found, at_least)


def run(client, function: Callable, shared, items: Iterator, *, key: Callable[[object], str],
        args: Callable[[object], tuple], resource: str = RESOURCE) -> Iterator[list[Done]]:
    """Submit ``function(shared_future, *args(item))`` for each item, a bounded number at a
    time; yield the finished ones in batches of :class:`Done`, as tasks finish. Closing the
    generator (Ctrl-C in the consumer) cancels the tasks still queued or running."""
    from distributed import as_completed

    shared_future = client.scatter(shared, broadcast=True, hash=True)
    in_flight = IN_FLIGHT_PER_THREAD * _threads(client, resource)
    pending = iter(items)
    by_future = {}

    def submit_more(completed) -> None:
        while len(by_future) < in_flight:
            item = next(pending, None)
            if item is None:
                return
            future = client.submit(function, shared_future, *args(item), key=key(item),
                                   resources={resource: 1}, pure=False)
            by_future[future] = item
            completed.add(future)

    completed = as_completed(loop=client.loop)
    submit_more(completed)
    last_capable = last_look = time.monotonic()
    try:
        while by_future:
            finished = completed.next_batch(block=False)
            if not finished:
                now = time.monotonic()
                if now - last_look > 2.0:  # a round trip to the scheduler: not at every poll
                    last_look = now
                    if _threads(client, resource, at_least=0):
                        last_capable = now
                    elif now - last_capable > NO_WORKER_PATIENCE:
                        error = ClusterError(f"no worker that can sandbox for "
                                             f"{NO_WORKER_PATIENCE:g} s (run again to retry)")
                        items_left = list(by_future.values())
                        client.cancel(list(by_future))
                        by_future.clear()
                        yield [Done(item, error=error) for item in items_left]
                        return
                time.sleep(0.02)
                continue
            batch = []
            for future in finished:
                item = by_future.pop(future)
                try:
                    batch.append(Done(item, result=future.result()))
                except Exception as error:  # KilledWorker, a bug in the unit: the student's row
                    batch.append(Done(item, error=error))
                finally:
                    future.release()
            submit_more(completed)
            yield batch
    finally:
        if by_future:  # stopped early (Ctrl-C): nothing more runs for this batch
            client.cancel(list(by_future))
