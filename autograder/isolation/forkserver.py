"""Sandboxed kernels forked from a warm zygote: a fresh kernel per notebook, without the imports.

A cold sandboxed kernel spends about 2 s of CPU before the notebook's first line runs: Python,
ipykernel, numpy and matplotlib are imported again for every learner. Here one sandbox, the
zygote (:mod:`isolation.kernel_zygote`), imports them once; each notebook then gets a fork of
it that has never run learner code and that sets up, before any learner code runs, the same
isolation as a kernel of its own sandbox (:mod:`isolation.sandbox`): its own mount, pid, ipc,
network and uts namespaces, its own /proc, /tmp, /scratch and /dev/shm, its own uid with no
capability and no_new_privs, its own resource limits, only its own socket folder.
Several learners never share a kernel: that would let state pass from one to the next.

:class:`ForkedSandboxedKernelManager` is a drop-in for
:class:`isolation.sandbox.AsyncSandboxedKernelManager`; only how the kernel process starts and
is watched differs (a pidfd on the process the zygote forked, instead of a Popen).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_client.utils import run_sync

from .sandbox import (
    KERNEL_LIMITS,
    Limits,
    SandboxResult,
    _python_dirs,
    _SandboxedKernelMixin,
    _solutions_dir,
    new_uid,
    reference_path,
    sandbox_env,
    wrap,
)
from .usage import Usage, children, wait_watching

ZYGOTE_SCRIPT = Path(__file__).with_name("kernel_zygote.py")
INSIDE_SCRIPT = "/zygote/kernel_zygote.py"
REFERENCE = "/.reference/solutions"  # the reference package, in the zygote only
SETUP_ERROR = "setup-error.txt"  # where a forked child leaves the reason it could not be set up
# What a notebook of this course imports, and the kernel itself: imported once, in the zygote.
PRELOAD = (
    "numpy",
    "matplotlib",
    "matplotlib.pyplot",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.debugger",  # debugpy: a third of a kernel's own start-up
    "IPython",
    "IPython.core.oinspect",
    "sqlite3",
    "pdb",
    "pydoc",
)
START_TIMEOUT = 120.0  # seconds for the zygote to import everything (seconds on a busy machine)
REPLY_TIMEOUT = 30.0  # seconds for it to answer a fork request


class ZygoteError(RuntimeError):
    """The zygote could not start or answer; the message says why."""


class Zygote:
    """One warm sandbox that forks kernels; thread-safe, restarted if it has died."""

    def __init__(self, preload=PRELOAD):
        self.preload = tuple(preload)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._buffer = b""
        self._ready: list[str] | None = None
        # How many times the zygote was killed: a process forked in one generation dies with it
        # (see lost_by_grader), which is the grader's failure, never the learner's.
        self.generation = 0
        # Every kernel's socket folder is made in here; the zygote sees it read-write, each
        # kernel only its own folder. Root-owned 0711: nobody else may list it.
        self.root = tempfile.mkdtemp(prefix="autograder-kernels-")
        os.chmod(self.root, 0o711)
        atexit.register(self.close)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the zygote now (in the background) unless it runs; returns at once."""
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        argv = wrap(
            [sys.executable, "-I", INSIDE_SCRIPT],
            scratch=None,
            # The reference package waits out of the way; a kernel binds it at its own path.
            ro_binds=[(_solutions_dir(), REFERENCE), (ZYGOTE_SCRIPT, INSIDE_SCRIPT)],
            rw_binds=[self.root],
            limits=KERNEL_LIMITS,
            zygote=True,
            # Made once, here: a folder a fork made would be seen (empty) by every later fork,
            # the clean room's included, only after some kernel had run.
            mount_points=[str(_solutions_dir())],
        )
        # Started from a thread that lives as long as this process: bubblewrap's
        # --die-with-parent follows the thread that started it, and the callers here are
        # short-lived threads (a pool's workers, asyncio.to_thread).
        self._proc = _STARTER.submit(
            subprocess.Popen, argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True,
        ).result()
        self._buffer = b""
        self._send({"preload": list(self.preload)})
        self._ready = None

    def _await_ready(self) -> None:
        if self._ready is not None:
            return
        reply = self._receive(START_TIMEOUT)
        if "ready" not in reply:
            self._kill()
            raise ZygoteError(f"the kernel zygote did not start: {reply.get('error', reply)}")
        self._ready = reply["ready"]

    def close(self) -> None:
        with self._lock:
            self._kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        self.generation += 1
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # bubblewrap's session: the zygote and its forks
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            stream.close()

    # ------------------------------------------------------------------ protocol
    def _send(self, message: dict) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(message).encode() + b"\n")
        self._proc.stdin.flush()

    def _receive(self, timeout: float) -> dict:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                self._kill()
                raise ZygoteError(f"the kernel zygote did not answer within {timeout:g} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                self._kill()
                raise ZygoteError("the kernel zygote exited")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def fork(self, request: dict) -> int:
        """Fork a kernel as `request` says; returns the pid of the process that holds it."""
        return self.fork_counted(request)[0]

    def fork_counted(self, request: dict) -> tuple[int, int]:
        """:meth:`fork`, and the zygote's generation the process belongs to: while
        ``generation`` still has that value, the process was not killed with its zygote."""
        with self._lock:
            for attempt in (1, 2):  # a zygote that died since is started again, once
                try:
                    self._ensure_started()
                    self._await_ready()
                    self._send(request)
                    reply = self._receive(REPLY_TIMEOUT)
                    break
                except (OSError, ZygoteError):
                    self._kill()
                    if attempt == 2:
                        raise
            generation = self.generation
        if "pid" not in reply:
            raise ZygoteError(f"the kernel zygote could not fork a kernel: {reply.get('error')}")
        return int(reply["pid"]), generation


_STARTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zygote-starter")
_zygote: Zygote | None = None
_zygote_lock = threading.Lock()


def zygote() -> Zygote:
    """The grading process's zygote (one per process, started on first use)."""
    global _zygote
    with _zygote_lock:
        if _zygote is None:
            _zygote = Zygote()
        return _zygote


def prestart() -> None:
    """Start the zygote's imports now, so they overlap with other work of the caller."""
    zygote().start()


def zygote_problem() -> str | None:
    """None when the zygote starts and a process forked from it can be set up; else why not.

    Waits for the zygote's imports (seconds), then runs a one-line script in a fork.
    """
    folder = None
    try:
        folder = scratch_folder("probe-")
        (folder / "probe.py").write_text("print('ok')\n")
        (folder / "probe.py").chmod(0o644)
        folder.chmod(0o755)
        run = run_script("/probe/probe.py", [], folder=folder, inside="/probe", timeout=60,
                         limits=KERNEL_LIMITS, max_output=100)
    except (OSError, ZygoteError) as error:
        return str(error)
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    if run.stdout.strip() != b"ok" or run.returncode != 0:
        return f"a process forked from the zygote did not run (exit status {run.returncode})"
    return None


class _ForkedProcess:
    """The Popen-like handle jupyter_client's LocalProvisioner needs, for a process we did not
    start ourselves: watched and signalled through a pidfd, so a reused pid is never hit."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:
            self._fd, self.returncode = None, -signal.SIGKILL

    def poll(self) -> int | None:
        return self.wait(timeout=0)

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is None and select.select([self._fd], [], [], timeout)[0]:
            # Exited; the zygote reaps it, so its status is not ours to read.
            self.returncode = 0
            os.close(self._fd)
            self._fd = None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self._fd, signum)
            except ProcessLookupError:
                pass
            if signum == signal.SIGKILL:
                # It exits at once: wait for it here, so the caller's next poll sees it gone
                # (jupyter_client would otherwise look again only after 0.1 s).
                self.wait(timeout=1.0)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)  # the kernel has a parent-death signal: it goes too

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def __del__(self):
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)


def run_script(
    script: str,
    argv: list[str],
    *,
    folder: Path,
    inside: str,
    timeout: float,
    limits: Limits,
    max_output: int,
    own_limit: float | None = None,
) -> SandboxResult:
    """Run ``script`` (a path inside) forked from the zygote, like
    :func:`autograder.isolation.sandbox.run_sandboxed` runs a command: ``folder`` (made with
    :func:`scratch_folder`) appears read-only at ``inside``; stdout comes back (at most
    ``max_output`` bytes; the file-size limit stops a process that writes more), stderr is
    dropped. The reference package is not there. It is stopped (``timed_out``) after
    ``timeout`` seconds of wall clock or, given ``own_limit``, of its own time
    (isolation.usage); ``usage`` says which.
    """
    zyg = zygote()
    work = Path(tempfile.mkdtemp(prefix="run-", dir=zyg.root))
    try:
        stdout, status, setup = work / "stdout", work / "status", work / SETUP_ERROR
        request = {
            "kind": "script",
            "script": script,
            "argv": argv,
            "binds": [*_kept_binds(), [str(folder), inside, True]],
            "hide": [zyg.root, os.path.dirname(REFERENCE)],
            "stdout": str(stdout),
            "status": str(status),
            "setup_error": str(setup),
            "uid": new_uid(),
            "env": sandbox_env(),
            "limits": _rlimits(limits),
            "tmpfs_bytes": limits.tmpfs_bytes,
        }
        start = time.monotonic()
        pid, generation = zyg.fork_counted(request)
        process = _ForkedProcess(pid)
        below = lambda: next(iter(children(pid)), None)  # noqa: E731 - the keeper's one child
        used = wait_watching(lambda seconds: process.wait(seconds) is not None, below, timeout,
                             own_limit)
        timed_out = used is not None
        if timed_out:
            process.kill()
            process.wait(10)
        seconds = time.monotonic() - start
        if setup.exists():
            raise ZygoteError(f"a forked process could not be set up: {setup.read_text()[:300]}")
        if zyg.generation != generation:
            raise ZygoteError("the kernel zygote was restarted while a forked process ran")
        with open(stdout, "rb") if stdout.exists() else _empty() as f:
            out = f.read(max_output + 1)
        words = (status.read_text().split() if status.exists() else []) + ["", ""]
        returncode = int(words[0]) if words[0].lstrip("-").isdigit() else None
        if used is None and returncode is not None:  # "STATUS CPU-SECONDS", from the keeper
            try:
                used = Usage(seconds, float(words[1]), None)
            except ValueError:
                pass
        exceeded = len(out) > max_output or (
            stdout.exists() and stdout.stat().st_size >= limits.file_bytes)
        return SandboxResult(returncode=None if timed_out else returncode,
                             stdout=out[:max_output], stderr=b"", timed_out=timed_out,
                             output_exceeded=exceeded, seconds=seconds, usage=used)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def scratch_folder(prefix: str) -> Path:
    """A new host folder the zygote can see, for :func:`run_script`'s ``folder``."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=zygote().root))


def _empty():
    import io

    return io.BytesIO(b"")


def _kept_binds() -> list[list]:
    """The Python install, where it lies under a folder each fork replaces (/tmp: a checkout
    in a temporary folder, as CI makes): bound again, read-only, over the fresh folder."""
    replaced = ("/tmp/", "/scratch/", "/dev/shm/")
    return [[d, d, True] for d in _python_dirs() if d.startswith(replaced)]


def _rlimits(limits: Limits) -> dict[str, int]:
    return {
        "RLIMIT_CPU": limits.cpu_seconds,
        "RLIMIT_AS": limits.memory_bytes,
        "RLIMIT_NPROC": limits.processes,
        "RLIMIT_FSIZE": limits.file_bytes,
        "RLIMIT_NOFILE": limits.open_files,
        "RLIMIT_CORE": 0,
    }


class _ForkedKernelMixin:
    """What a kernel manager needs to start its kernel as a fork of the zygote."""

    def __init__(self, *, zygote_instance: Zygote | None = None, **kwargs):
        self._zygote = zygote_instance or zygote()
        super().__init__(**kwargs)

    def _sandbox_parent(self) -> str | None:
        return self._zygote.root

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        # Not run (no bubblewrap around it): its arguments after the connection file are used.
        return super(_SandboxedKernelMixin, self).format_kernel_cmd(extra_arguments)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        arguments = kernel_cmd[kernel_cmd.index("-f") + 2:] if "-f" in kernel_cmd else []
        env = sandbox_env()
        if getattr(self, "_nbgrader_execution", None) is not None:
            env["NBGRADER_EXECUTION"] = self._nbgrader_execution
        request = {
            "kind": "kernel",
            "binds": [*_kept_binds(), [self.sandbox_dir, self.sandbox_dir, False],
                      [REFERENCE, str(_solutions_dir()), True]],  # the hidden tests import it
            "sys_path": [reference_path()],  # ... this one, whatever the venv's install says
            "hide": [self._zygote.root, os.path.dirname(REFERENCE)],
            "connection_file": self.connection_file,
            "setup_error": str(Path(self.sandbox_dir) / SETUP_ERROR),
            "uid": self._sandbox_uid,
            "env": env,
            "limits": _rlimits(self.sandbox_limits),
            "tmpfs_bytes": self.sandbox_limits.tmpfs_bytes,
            "argv": arguments,
        }
        pid, self._generation = await asyncio.to_thread(self._zygote.fork_counted, request)
        provisioner = self.provisioner
        assert provisioner is not None
        provisioner.process = _ForkedProcess(pid)
        provisioner.pid, provisioner.pgid = pid, None  # never signal the zygote's group
        provisioner.cwd = "/scratch"
        self._reconcile_connection_info(provisioner.connection_info)

    def learner_pid(self) -> int | None:
        """The kernel's host pid: the one child of the process the zygote forked."""
        provisioner = self.provisioner
        below = children(provisioner.pid) if provisioner is not None and provisioner.pid else []
        return below[0] if len(below) == 1 else None

    def lost_by_grader(self) -> bool:
        """Whether the zygote was killed (with this kernel) since the kernel was forked."""
        generation = getattr(self, "_generation", None)
        return generation is not None and self._zygote.generation != generation

    async def _async_start_kernel(self, **kw) -> None:
        await _SandboxedKernelMixin._async_start_kernel(self, **kw)
        error = Path(self.sandbox_dir) / SETUP_ERROR
        if error.exists() and await self.provisioner.poll() is not None:
            reason = error.read_text(errors="replace").strip()[:300]
            raise ZygoteError(f"a forked kernel could not be set up: {reason}")


class ForkedSandboxedKernelManager(_ForkedKernelMixin, _SandboxedKernelMixin, AsyncKernelManager):
    """An asynchronous kernel manager whose kernels are forks of the zygote (see module doc)."""

    start_kernel = _ForkedKernelMixin._async_start_kernel
    cleanup_resources = _SandboxedKernelMixin._async_cleanup_resources


class BlockingForkedSandboxedKernelManager(_ForkedKernelMixin, _SandboxedKernelMixin,
                                           KernelManager):
    """The same, blocking."""

    start_kernel = run_sync(_ForkedKernelMixin._async_start_kernel)
    cleanup_resources = run_sync(_SandboxedKernelMixin._async_cleanup_resources)
