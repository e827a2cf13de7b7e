"""A real Dask cluster on 127.0.0.1 for the tests: `dask scheduler` and `dask worker` processes
started from this project's environment, as an instructor would start them.

Each process gets its own process group, so a test can `kill -9` one worker's whole group (its
nanny and its worker process) while a batch is being graded.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 120.0  # seconds for the scheduler and workers to come up on a busy 2-core machine


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '/usr/bin')}"
    env.update(extra or {})
    return env


@dataclass
class Cluster:
    folder: Path
    scheduler: subprocess.Popen | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)
    scheduler_env: dict[str, str] = field(default_factory=dict)  # e.g. Dask settings

    @property
    def scheduler_file(self) -> Path:
        return self.folder / "scheduler.json"

    @property
    def address(self) -> str:
        return json.loads(self.scheduler_file.read_text())["address"]

    def start_scheduler(self) -> None:
        log = (self.folder / "scheduler.log").open("w")
        self.scheduler = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", "--no-dashboard", "--scheduler-file", str(self.scheduler_file)],
            stdout=log, stderr=subprocess.STDOUT, env=_env(self.scheduler_env),
            start_new_session=True)
        _wait(lambda: self.scheduler_file.exists(), self.scheduler, "the scheduler")

    def start_worker(self, name: str, nthreads: int = 1,
                     env: dict[str, str] | None = None) -> subprocess.Popen:
        log = (self.folder / f"worker-{name}.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file",
             str(self.scheduler_file), "--host", "127.0.0.1", "--nthreads", str(nthreads),
             "--no-dashboard", "--name", name, "--local-directory", str(self.folder / name)],
            stdout=log, stderr=subprocess.STDOUT, env=_env(env), start_new_session=True)
        self.workers.append(worker)
        return worker

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client

        with Client(scheduler_file=str(self.scheduler_file), timeout=30,
                    set_as_default=False) as client:
            client.wait_for_workers(count, timeout=START_TIMEOUT)

    def kill(self, process: subprocess.Popen) -> None:
        """kill -9 the process's whole group (a worker's nanny and its worker process)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process is not None and process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.workers, self.scheduler]:
            if process is None:
                continue
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill(process)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.folder.glob("*.log")))


def _wait(ready, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {START_TIMEOUT:g} s")
        time.sleep(0.1)


@contextlib.contextmanager
def cluster(folder: Path, workers: int = 2, nthreads: int = 1,
            scheduler_env: dict[str, str] | None = None):
    """A scheduler (with `scheduler_env` added to its environment) and `workers` workers of
    `nthreads` threads each, stopped afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    c = Cluster(folder, scheduler_env=scheduler_env or {})
    try:
        c.start_scheduler()
        for i in range(workers):
            c.start_worker(f"w{i}", nthreads)
        if workers:
            c.wait_for_workers(workers)
        yield c
    finally:
        c.stop()
