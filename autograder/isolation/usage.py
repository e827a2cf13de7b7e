"""What a sandboxed process has used of the machine, read from the host's /proc: time limits
that decide a grade count the learner's own time, never the machine's load.

Every step that runs learner code (a kernel's cell, a clean-room cell or call, the clean room's
whole run) has a limit of C seconds on its **own time**: the CPU time it used, plus the time it
slept or blocked by itself (every thread of it asleep). That is the wall clock less the time it
was ready to run while other processes had the CPUs, so load cannot stretch it:

- an endless loop reaches C by its CPU time (in the clean room, an ITIMER_PROF timer), and a
  cell that sleeps for an hour by the time it slept, exactly as on an idle machine; both are
  the learner's ("ran longer than C s");
- a **wall clock** of ``backstop(C)`` = 10 x C + 10 s is only a backstop: it passes before the
  own time reaches C only when the machine kept the step waiting for a CPU for nine tenths of
  that time. That is the grader's failure (:class:`GraderFailure`): the notebook is graded
  again, and never marked down.

An honest step that takes a fraction of C is thus judged the same on an idle machine and on one
whose every core is busy.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

BACKSTOP_FACTOR = 10.0  # the wall-clock backstop: this many times a step's limit...
BACKSTOP_SLACK = 10.0  # ...plus these seconds (start-up, a few context switches)
MAX_WATCHED = 1024  # processes followed below a watched one (more than the sandbox allows)
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class GraderFailure(RuntimeError):
    """Grading could not be done for reasons of the grader's own (a sandbox that did not start,
    a machine too busy to run the learner's code within the backstop, a process killed under
    it): never the learner's failure. The submission is graded again; if it fails again, its
    row says ``error: ... (run again to retry)``."""


def backstop(limit: float) -> float:
    """The wall-clock backstop of a step whose limit is ``limit`` seconds."""
    return BACKSTOP_FACTOR * limit + BACKSTOP_SLACK


@dataclass(frozen=True)
class Usage:
    """A process's counters at one moment (or, from :meth:`since`, over a stretch of time)."""

    wall: float  # time.monotonic()
    cpu: float  # user + system seconds of all its threads and of its children it has reaped
    slept: float | None = None  # seconds in which it slept or blocked by itself (None: unknown)

    def since(self, earlier: Usage) -> Usage:
        slept = (None if self.slept is None or earlier.slept is None
                 else self.slept - earlier.slept)
        return Usage(self.wall - earlier.wall, self.cpu - earlier.cpu, slept)

    @property
    def own(self) -> float | None:
        """The time it computed or slept by itself (of a stretch: see :meth:`since`); the rest
        of the wall clock it was ready to run but other processes had the CPUs."""
        return None if self.slept is None else self.cpu + self.slept


def learners(step: Usage, limit: float) -> bool:
    """Whether a step used its limit by itself: computing (CPU time), or computing, sleeping
    and blocking together (own time). False: not yet, or the machine kept it waiting."""
    return step.cpu >= limit or (step.own is not None and step.own >= limit)


def _fields(path: str) -> list[bytes] | None:
    """The fields of a /proc stat file after the process's name (state is the first)."""
    try:
        with open(path, "rb") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rfind(b")") + 2:].split()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` (all threads) and of the children it reaped."""
    fields = _fields(f"/proc/{pid}/stat")
    return None if fields is None else sum(int(v) for v in fields[11:15]) / _TICK


def asleep(pid: int) -> bool | None:
    """Whether no thread of ``pid`` is running or ready to run (all sleep, block or are
    stopped); None when it has gone."""
    found = _look(pid)
    return None if found is None else not found[0]


def _look(pid: int) -> tuple[bool, float, list[int]] | None:
    """Of the process ``pid``: whether a thread of it is running or ready to run, the CPU
    seconds of it and of the children it reaped, and its living children; None when it has
    gone."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    running, below = False, []
    for tid in tasks:
        fields = _fields(f"/proc/{pid}/task/{tid}/stat")
        running = running or (fields is not None and fields[0] == b"R")
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                below += [int(child) for child in f.read().split()]
        except OSError:
            pass
    cpu = cpu_seconds(pid)
    return None if cpu is None else (running, cpu, below)


class Watch:
    """Follows a process and everything it started (the learner's processes: the sandbox runs
    nothing else below it). Call :meth:`look` often (every POLL seconds or so): it adds up the
    CPU time of them all, and counts the time in which they all slept by themselves (asleep at
    two looks in a row: that stretch). A learner's fork bomb or worker processes thus use the
    learner's own time, not the machine's."""

    def __init__(self, pid: int):
        self.pid = pid
        self._slept = 0.0
        self._cpu = 0.0
        self._asleep = False
        self._when = time.monotonic()

    def look(self) -> Usage | None:
        """Its counters now; None once it has gone."""
        now = time.monotonic()
        root = _look(self.pid)
        if root is None:
            return None
        running, cpu, below = root
        seen = {self.pid}
        while below and len(seen) < MAX_WATCHED:
            pid = below.pop()
            if pid in seen or (found := _look(pid)) is None:
                continue
            seen.add(pid)
            running, cpu, below = running or found[0], cpu + found[1], below + found[2]
        # A child's time moves to its parent's when it is reaped; one that left the tree
        # (an orphan) takes its time with it: the total never goes down.
        self._cpu = max(self._cpu, cpu)
        sleeping = not running
        if sleeping and self._asleep:
            self._slept += now - self._when
        self._asleep, self._when = sleeping, now
        return Usage(now, self._cpu, self._slept)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from a scan of /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _fields(f"/proc/{entry}/stat")
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry))
    return found


def name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return ""


def below_wrappers(pid: int, wrappers: tuple[str, ...] = ("bwrap",)) -> int | None:
    """The first process at or below ``pid``, down a line of only children, that is not one of
    the ``wrappers`` (bubblewrap, which runs the sandboxed command below itself); None while it
    has not started."""
    for _ in range(8):
        if name(pid) not in wrappers:
            return pid
        below = children(pid)
        if len(below) != 1:
            return None
        pid = below[0]
    return None


def wait_watching(ended, find, timeout: float, limit: float | None = None,
                  poll: float = 0.25) -> Usage | None:
    """Wait until ``ended(seconds)`` (a wait of at most that long) says True, while watching
    the process ``find()`` names once it exists; give up when ``timeout`` seconds (the wall
    clock) pass or, given a ``limit``, once its own time reaches it. Returns None if it ended
    first; else what it used while watched (the wall clock counted from the start of the wait;
    without ``slept`` if it could not be watched)."""
    start = time.monotonic()
    watch = first = last = None
    while True:
        left = timeout - (time.monotonic() - start)
        if left <= 0:
            break
        if ended(min(poll, left)):
            return None
        if watch is None:
            pid = find()
            watch = Watch(pid) if pid is not None else None
        if watch is not None:
            last = watch.look() or last
            first = first or last
            if limit is not None and last is not None and learners(
                    Usage(0.0, last.cpu, last.slept - first.slept), limit):
                break
    if last is None or first is None:
        return Usage(time.monotonic() - start, 0.0, None)
    return Usage(time.monotonic() - start, last.cpu, last.slept - first.slept)
