"""Stage 4: run one notebook, top to bottom, in a fresh kernel of its own.

Built on nbclient, but not nbgrader's Execute preprocessor, because grading needs more:

- A per-cell time limit that interrupts the kernel. It counts the kernel's own time, read from
  the host's /proc (:mod:`isolation.usage`): its CPU time plus the time it slept by itself,
  never the time it waited for a CPU that other processes held, so a busy machine cannot make
  a cell time out. A wall clock of ten times the limit is only a backstop: if it passes first,
  the machine kept the kernel waiting, and grading fails with GraderFailure, to be retried.
  Once a cell of a function times out, later cells of that same function fail without running
  ("not run: f_derivative timed out in cell 12"), so one endless loop costs one timeout, not
  one per test; other functions' cells still run. A cell belongs to the function whose
  solution-cell grade_id is the longest prefix of the cell's grade_id. An ungraded cell ("try
  it", a plot) that names a function which has timed out is skipped as well.
- Kernel death (os._exit, a crash, a kill) is detected; sys.exit / exit() end the notebook
  too. The cell where it happened fails and no later cell runs or earns points.
- A kernel that does not stop when interrupted (it goes on for ``interrupt_grace`` seconds of
  its own time) is killed, and is treated like a dead kernel.
- A kernel that cannot start, or that dies because the grader's own zygote went away, is the
  grader's failure (GraderFailure), never the learner's.
- A small guard run in the kernel before the notebook caps what print() sends per cell, so
  printing gigabytes costs little. Output limits also apply in this process while the output
  arrives: text per cell, size and number of display outputs
  (images included; nbgrader's LimitOutput only counts lines of text), length of error
  messages and tracebacks. So a notebook that prints gigabytes cannot fill the memory, the
  autograded notebook or the feedback.

Cell numbers in messages are 1-based positions among ALL cells (markdown included) of the
notebook as graded, i.e. after deleted test cells were put back.

The kernel is made by a pluggable `kernel_manager_factory` (a callable returning a jupyter_client
KernelManager, started or not); the sandbox wraps the kernel command there. Learner code only
ever runs in that kernel, never in this process.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty

from jupyter_client.manager import AsyncKernelManager, KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async
from nbformat import NotebookNode
from nbformat.v4 import new_output

from .isolation.usage import GraderFailure, Usage, Watch, backstop, learners

KernelManagerFactory = Callable[[], KernelManager]

# Error names the autograder itself puts into cells (learners' own errors keep their names).
TIMEOUT = "CellTimeout"
NOT_RUN = "CellNotRun"
KERNEL_DIED = "KernelDied"


@dataclass(frozen=True)
class Limits:
    """How long a cell may run and how much output it may keep."""

    timeout: float = 10.0  # seconds of the kernel's own time per cell before it is interrupted
    interrupt_grace: float = 5.0  # of its own time an interrupted kernel has to stop, or is killed
    max_text_chars: int = 10_000  # stdout + stderr text kept per cell
    max_display_bytes: int = 100_000  # a rich output (a PNG in base64...) above this is removed
    max_outputs: int = 20  # display outputs kept per cell
    max_error_chars: int = 1_000  # of an error message (evalue)
    max_traceback_lines: int = 40


@dataclass
class Execution:
    """What happened when a notebook ran."""

    notebook: NotebookNode  # the executed notebook, outputs limited
    stopped: str | None = None  # "kernel died in cell 7", ... (None when it ran to the end)
    timed_out: list[tuple[int, str | None]] = field(default_factory=list)  # (cell, function)
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        """Short reasons a person can act on, in the order they happened."""
        reasons, seen = [], set()
        named = any(function for _, function in self.timed_out)
        for number, function in self.timed_out:
            if function is None and named:
                continue  # an ungraded cell, most likely slow for the same reason
            reason = f"timed out in {function}" if function else f"timed out in cell {number}"
            if reason not in seen:
                seen.add(reason)
                reasons.append(reason)
        if self.stopped:
            reasons.append(self.stopped)
        return reasons


class Cancelled(Exception):
    """Grading was stopped (Ctrl-C) while this notebook ran; its result must not be used."""


def default_kernel_manager() -> KernelManager:
    """A local python3 kernel (the one of this Python, so it sees the installed packages)."""
    return AsyncKernelManager(kernel_name="python3")


def function_of(grade_id: str | None, functions: Iterable[str]) -> str | None:
    """The function a cell belongs to: the longest function name that prefixes its grade_id."""
    if not grade_id:
        return None
    matches = [f for f in functions if grade_id.startswith(f)]
    return max(matches, key=len) if matches else None


def grade_id_of(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def error_output(ename: str, evalue: str) -> NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def execute(
    nb: NotebookNode,
    *,
    functions: Iterable[str],
    cwd: Path,
    limits: Limits = Limits(),
    kernel_manager_factory: KernelManagerFactory | None = None,
    env: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
    skip: frozenset[str] = frozenset(),
) -> Execution:
    """Run `nb` (changed in place) in a fresh kernel started in `cwd`; safe to call from threads.

    A cell without nbgrader metadata whose source is in `skip` (the release's display cells,
    cleanroom.display_cells, left unchanged) is not run: it only shows results.
    """
    runner = _Runner(nb, list(functions), Path(cwd), limits,
                     kernel_manager_factory or default_kernel_manager, env, cancel, skip)
    return asyncio.run(runner.run())


# ------------------------------------------------------------------------------------------
# Output limits
# ------------------------------------------------------------------------------------------


@dataclass
class _Budget:
    text: int = 0
    outputs: int = 0
    dropped: int = 0
    kept_stderr: bool = False


def _truncated_note(limit: int) -> str:
    return f"\n... output truncated (more than {limit} characters) ...\n"


def _admit(out: NotebookNode, budget: _Budget, limits: Limits) -> bool:
    """Shrink `out` to fit the cell's budget; False when it must be dropped altogether."""
    kind = out.output_type
    if kind == "stream":
        room = limits.max_text_chars - budget.text
        if room <= 0:
            if out.name == "stderr" and not budget.kept_stderr:
                # Keep a trace of stderr: nbgrader fails a test cell that writes to stderr.
                out.text = "... (stderr output truncated) ...\n"
                budget.kept_stderr = True
                return True
            budget.dropped += 1
            return False
        if len(out.text) > room:
            out.text = out.text[:room] + _truncated_note(limits.max_text_chars)
            budget.text = limits.max_text_chars
        else:
            budget.text += len(out.text)
        budget.kept_stderr |= out.name == "stderr"
        return True
    if kind in ("display_data", "execute_result"):
        if kind == "display_data":
            budget.outputs += 1
            if budget.outputs > limits.max_outputs:
                budget.dropped += 1
                return False
        _limit_rich(out, limits)
        return True
    if kind == "error":
        _limit_error(out, limits)
    return True


def _limit_rich(out: NotebookNode, limits: Limits) -> None:
    data = out.get("data", {})
    size = len(json.dumps(data))
    if size <= limits.max_display_bytes:
        return
    plain = data.get("text/plain", "")
    if isinstance(plain, list):
        plain = "".join(plain)
    kinds = ", ".join(sorted(data))
    if out.output_type == "execute_result" and len(plain) <= 1000:
        # Keep a short plain value: nbgrader reads partial credit from it.
        out.data = {"text/plain": plain}
    else:
        out.data = {"text/plain": f"[{kinds} output of {size // 1000} kB removed: "
                                  f"larger than {limits.max_display_bytes // 1000} kB]"}
    out.metadata = {}


def _limit_error(out: NotebookNode, limits: Limits) -> None:
    evalue = str(out.get("evalue", ""))
    if len(evalue) > limits.max_error_chars:
        out.evalue = evalue[: limits.max_error_chars] + " ... (truncated)"
    lines = [line[:2000] for line in out.get("traceback", [])]
    if len(lines) > limits.max_traceback_lines:
        half = limits.max_traceback_lines // 2
        lines = [*lines[:half], "... traceback truncated ...", *lines[-half:]]
    out.traceback = lines


def limit_outputs(cell: NotebookNode, limits: Limits) -> None:
    """Apply the output limits to a finished cell (also catches update_display_data)."""
    budget = _Budget()
    kept = [out for out in cell.get("outputs", []) if _admit(out, budget, limits)]
    if budget.dropped:
        kept.append(new_output("stream", name="stdout",
                               text=f"[{budget.dropped} more outputs were removed]\n"))
    cell.outputs = kept


# ------------------------------------------------------------------------------------------
# The runner
# ------------------------------------------------------------------------------------------


POLL = 0.1  # seconds between two looks at the kernel while a cell runs


class _GradingClient(NotebookClient):
    """nbclient with output limits, time limits on the kernel's own time, and a liveness check
    by process."""

    def __init__(self, nb: NotebookNode, km: KernelManager, limits: Limits):
        super().__init__(
            nb,
            km=km,
            # nbclient's own wall-clock limits are not used: _async_poll_for_reply keeps time.
            timeout=None,
            interrupt_on_timeout=True,
            # Returned at once when a cell times out; the kernel is interrupted and then has
            # `interrupt_grace` seconds of its own time to go idle, or CellTimeoutError is raised.
            error_on_timeout={"ename": TIMEOUT, "evalue": "", "traceback": []},
            raise_on_iopub_timeout=True,
            allow_errors=True,
            record_timing=False,
            shutdown_kernel="immediate",
            # The same as nbgrader: concurrent kernels must not share a history database.
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
            on_cell_executed=self._on_cell_executed,
        )
        self.limits = limits
        self.cell_timed_out = False
        self.timeout_message = ""  # why the last cell that timed out was stopped
        self.exit_requested = False
        self.watch: Watch | None = None  # the kernel's process on this host, once known
        self._last: Usage | None = None
        self._budgets: dict[int, _Budget] = {}

    async def async_start_new_kernel_client(self):
        """nbclient's, with a ready-check that does not idle: jupyter_client's wait_for_ready
        ends by draining IOPub until it has been quiet for 0.2 s, a fifth of a second per
        notebook doing nothing. Here the kernel is ready once it has answered kernel_info on
        the shell channel and one message has come through IOPub (so IOPub is connected, as
        jupyter_client checks too); what is already queued is drained without waiting. Later
        stray messages are harmless: outputs are taken only from messages whose parent is the
        cell being run."""
        assert self.km is not None
        try:
            self.kc = self.km.client()
            await ensure_async(self.kc.start_channels())
            await _wait_for_ready(self.kc, self.km, self.startup_timeout)
        except Exception:
            await self._async_cleanup_kernel()
            raise
        self.kc.allow_stdin = False
        return self.kc

    async def _async_handle_timeout(self, timeout, cell=None):
        self.cell_timed_out = True
        return await super()._async_handle_timeout(timeout, cell)

    def sample(self) -> Usage:
        """The kernel's counters now. Where its process cannot be read (a kernel that is not a
        process of this host), its CPU time is taken to be the wall clock: the limits are then
        wall-clock limits."""
        now = time.monotonic()
        found = self.watch.look() if self.watch is not None else None
        if found is not None:
            self._last = found
            return found
        if self._last is not None:  # it has just gone: the liveness check will say so
            return Usage(now, self._last.cpu, self._last.slept)
        return Usage(now, now, None)

    def over(self, step: Usage, limit: float) -> str:
        """'' while a running cell is within ``limit``; the learner-facing reason once its own
        time reached it; GraderFailure when the wall-clock backstop passed first, the kernel
        having been kept waiting for a CPU (isolation.usage)."""
        if learners(step, limit):
            return f"this cell ran longer than {limit:g} s and was stopped"
        if step.wall < backstop(limit):
            return ""
        raise GraderFailure(f"the machine was too busy to run a cell: its kernel got "
                            f"{step.cpu:.1f} s of CPU in {step.wall:.0f} s")

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg,
                                    task_poll_kernel_alive):
        """nbclient's, with the time limit on the kernel's own time (``Limits.timeout``), and
        the wait for the cell's last output on what the kernel does meanwhile
        (``Limits.interrupt_grace``): wall clocks are only backstops (isolation.usage)."""
        try:
            # The first look at /proc is taken once the cell has run for POLL s: most cells end
            # sooner and cost no look at all (two looks a cell were a sixth of a notebook's
            # grading). That first stretch is not counted, in the learner's favour.
            start, reply = None, None
            while reply is None:
                try:
                    msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=POLL))
                except Empty:
                    await self._async_check_alive()
                    if start is None:
                        start = self.sample()
                        continue
                    reason = self.over(self.sample().since(start), self.limits.timeout)
                    if reason:
                        self.timeout_message = reason
                        reply = await self._async_handle_timeout(self.limits.timeout, cell)
                        reply["parent_header"] = {"msg_id": msg_id}
                    continue
                if msg["parent_header"].get("msg_id") == msg_id:
                    reply = msg
            await self._until_idle(task_poll_output_msg, cell, self.cell_timed_out)
            return reply
        finally:
            task_poll_kernel_alive.cancel()

    async def _until_idle(self, outputs: asyncio.Future, cell, interrupted: bool) -> None:
        """Wait for the cell's outputs to end (the kernel going idle). CellTimeoutError when the
        kernel computes for ``interrupt_grace`` seconds meanwhile (it ignored the interrupt, or
        a thread of the learner's goes on), or, interrupted, it is still not done at the
        backstop having slept that long; GraderFailure when the backstop passes otherwise.
        (A kernel that is done sleeps too, while its last message is on its way: so sleeping
        counts only at the backstop.)"""
        grace = self.limits.interrupt_grace
        start = None  # as in _async_poll_for_reply: a first look only once the wait is not short
        while True:
            done, _ = await asyncio.wait({outputs}, timeout=POLL)
            if done:
                outputs.result()
                return
            await self._async_check_alive()
            if start is None:
                start = self.sample()
                continue
            step = self.sample().since(start)
            waited = step.wall >= backstop(grace)
            if step.cpu >= grace or (waited and interrupted and learners(step, grace)):
                outputs.cancel()
                raise CellTimeoutError.error_from_timeout_and_cell(
                    "Timeout waiting for IOPub output", grace, cell)
            if waited:
                outputs.cancel()
                raise GraderFailure(f"the kernel's last output of a cell did not arrive within "
                                    f"{step.wall:.0f} s")

    async def _async_check_alive(self) -> None:
        # Ask the process, not the heartbeat: on a loaded machine a late heartbeat is not death.
        if not await ensure_async(self.km.is_alive()):
            raise DeadKernelError("Kernel died")

    def _on_cell_executed(self, cell, cell_index, execute_reply):
        for payload in (execute_reply or {}).get("content", {}).get("payload", []):
            if payload.get("source") == "ask_exit":  # exit() or quit() in IPython
                self.exit_requested = True

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is not None and outs and outs[-1] is out:
            budget = self._budgets.setdefault(cell_index, _Budget())
            if not _admit(out, budget, self.limits):
                outs.pop()
        return out


def learner_pid(km) -> int | None:
    """The host pid of the process that runs the learner's code in ``km``'s kernel: the kernel
    manager's own ``learner_pid()`` (sandboxed kernels), else the process it started; None
    where there is no such process on this host."""
    finder = getattr(km, "learner_pid", None)
    if callable(finder):
        return finder()
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None) or getattr(getattr(provisioner, "process", None),
                                                      "pid", None)
    return pid if isinstance(pid, int) else None


def lost_by_grader(km) -> bool:
    """Whether ``km``'s kernel went away for a reason of the grader's own (its zygote killed)."""
    check = getattr(km, "lost_by_grader", None)
    return bool(check()) if callable(check) else False


async def _reply(client: _GradingClient, msg_id: str, within: float) -> dict:
    """The shell reply to ``msg_id``; GraderFailure if the kernel gives none ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        try:
            msg = await ensure_async(client.kc.shell_channel.get_msg(timeout=POLL))
        except Empty:
            await client._async_check_alive()
            if time.monotonic() > deadline:
                raise GraderFailure(f"the kernel did not answer within {within:g} s") from None
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


async def _wait_for_ready(kc, km, timeout: float) -> None:
    """Until the kernel answers kernel_info and IOPub delivers (async_start_new_kernel_client)."""
    deadline = time.monotonic() + timeout
    while True:
        kc.kernel_info()
        try:
            reply = await kc.shell_channel.get_msg(timeout=1)
        except Empty:
            reply = None
        if reply is not None and reply["msg_type"] == "kernel_info_reply":
            try:
                await kc.iopub_channel.get_msg(timeout=1)
            except Empty:
                pass  # IOPub not connected yet: ask again
            else:
                break
        if not await ensure_async(km.is_alive()):
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
    while True:  # drain what is already there, without waiting for more
        try:
            await kc.iopub_channel.get_msg(timeout=0)
        except Empty:
            break


# Run once in each kernel before the notebook: caps what print() sends per cell, in the kernel
# itself, so that printing gigabytes costs neither transfer nor parsing. A limit for speed, not a
# security boundary (learner code could undo it; the client-side limits still apply then).
OUTPUT_GUARD = """
def _autograder_output_guard(limit):
    import sys
    from IPython import get_ipython

    class Capped:
        def __init__(self, stream):
            self._stream, self._used, self._cut = stream, 0, False

        def write(self, text):
            text = str(text)
            room = limit - self._used
            self._used += len(text)
            if room <= 0:
                if not self._cut:
                    self._cut = True
                    self._stream.write("\\n... output truncated ...\\n")
                return len(text)
            return self._stream.write(text[:room])

        def reset(self, *args):
            self._used, self._cut = 0, False

        def __getattr__(self, name):
            return getattr(self._stream, name)

    out, err = Capped(sys.stdout), Capped(sys.stderr)
    sys.stdout, sys.stderr = out, err
    get_ipython().events.register("pre_run_cell", lambda *args: (out.reset(), err.reset()))

_autograder_output_guard({limit})
del _autograder_output_guard
"""


def referenced_functions(source: str, functions: Iterable[str]) -> set[str]:
    """The learner functions whose names appear in `source`."""
    return set(re.findall(r"[A-Za-z_]\w*", source)) & set(functions)


class _Runner:
    def __init__(self, nb, functions, cwd, limits, factory, env, cancel, skip=frozenset()):
        self.nb = nb
        self.functions = functions
        self.cwd = cwd
        self.limits = limits
        self.factory = factory
        self.env = env
        self.skip = skip
        self.cancel = cancel

    async def run(self) -> Execution:
        started = time.monotonic()
        result = Execution(self.nb)
        client = _GradingClient(self.nb, self.factory(), self.limits)
        env = dict(os.environ if self.env is None else self.env)
        env["NBGRADER_EXECUTION"] = "autograde"  # what nbgrader's own autograde sets
        # The kernel's own stdout/stderr (not the notebook's outputs) would garble the progress bar.
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        try:
            async with client.async_setup_kernel(cleanup_kc=True, cwd=str(self.cwd), env=env,
                                                 **quiet):
                pid = await asyncio.to_thread(learner_pid, client.km)
                client.watch = Watch(pid) if pid is not None else None
                guard = OUTPUT_GUARD.replace("{limit}", str(self.limits.max_text_chars // 2))
                await _reply(client, client.kc.execute(guard, silent=True, store_history=False),
                             backstop(self.limits.timeout))
                await self._cells(client, result)
        except (Cancelled, GraderFailure):
            raise
        except Exception as error:  # the kernel did not start, or nbclient failed: not the learner
            raise GraderFailure(f"the kernel failed: {type(error).__name__}: "
                                f"{str(error).strip()[:200]}") from error
        result.seconds = time.monotonic() - started
        return result

    async def _cells(self, client: _GradingClient, result: Execution) -> None:
        blocked: dict[str, int] = {}  # function -> cell number where it timed out
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code" or (
                    "nbgrader" not in cell.get("metadata", {}) and cell.source in self.skip):
                continue
            number = index + 1
            if result.stopped:
                self._fail(cell, NOT_RUN, f"not run: the notebook stopped earlier "
                                          f"({result.stopped})")
                continue
            if self.cancel is not None and self.cancel.is_set():
                raise Cancelled()
            function = function_of(grade_id_of(cell), self.functions)
            # An ungraded cell ("try it", a plot) that uses a function which timed out would
            # only time out again: skip it too.
            uses = {function} if function else (
                set() if grade_id_of(cell) else referenced_functions(cell.source, blocked))
            if uses & set(blocked):
                first = min(uses & set(blocked), key=blocked.get)
                self._fail(cell, NOT_RUN, f"not run: {first} timed out in cell {blocked[first]}")
                continue
            client.cell_timed_out = False
            client.timeout_message = ""
            try:
                await client.async_execute_cell(cell, index)
            except DeadKernelError:
                if lost_by_grader(client.km):
                    raise GraderFailure("the kernel was stopped when the grader's zygote, from "
                                        "which it was forked, was restarted") from None
                result.stopped = f"kernel died in cell {number}"
                self._fail(cell, KERNEL_DIED, "the kernel died while this cell ran (for "
                                              "example os._exit, a crash, or too much memory)")
                continue
            except CellTimeoutError:
                # Interrupted after the timeout but it did not stop: kill it, like a death.
                result.timed_out.append((number, function))
                result.stopped = f"kernel stopped responding in cell {number}"
                self._fail(cell, TIMEOUT, client.timeout_message or self._timeout_message())
                await ensure_async(client.km.shutdown_kernel(now=True))
                continue
            limit_outputs(cell, self.limits)
            if client.cell_timed_out:
                result.timed_out.append((number, function))
                if function:
                    blocked[function] = number
                kept = [o for o in cell.outputs if o.output_type != "error"]
                cell.outputs = [*kept, error_output(TIMEOUT, client.timeout_message
                                                    or self._timeout_message())]
            elif client.exit_requested or any(
                o.output_type == "error" and o.get("ename") == "SystemExit" for o in cell.outputs
            ):
                result.stopped = f"stopped by sys.exit in cell {number}"
                if not any(o.output_type == "error" for o in cell.outputs):
                    cell.outputs.append(error_output("SystemExit", "the notebook exited here"))

    def _timeout_message(self) -> str:
        return f"this cell ran longer than {self.limits.timeout:g} s and was stopped"

    @staticmethod
    def _fail(cell: NotebookNode, ename: str, evalue: str) -> None:
        cell.outputs = [error_output(ename, evalue)]
        cell.execution_count = None
