"""The clean room's harness: runs inside the sandbox, next to the learner's code and nothing else.

Usage (inside the sandbox): ``python cleanroom_harness.py FOLDER`` where FOLDER holds
``learner.json``, ``calls.npz`` (the calls, see ``autograder.cleanroom.encode_calls``) and
``wire.py``, the grader's copy of ``solutions/wire.py`` (the one codec for what crosses the
boundary). ``learner.json`` is ``{"steps": [...], "limits": {...}}``: the notebook in order, each
step either ``{"cell": N, "source": ...}`` (one of the learner's code cells, N its 1-based number
in the notebook) or ``{"calls": [FIRST, STOP]}`` (the calls of one test cell, made where that
test cell stands, as the kernel ran it).

It imports only the standard library and numpy: never ``solutions``, never a test. It reads the
calls before any learner code runs, points the learner's stdout and stderr at /dev/null, then
walks the steps: a cell runs in the one namespace (an error only ends that cell, as in a kernel);
a calls step makes its calls and writes one frame per call to its own copy of the original
stdout: an 8-byte big-endian length, then an uncompressed ``np.savez`` archive whose ``meta``
member is JSON (as uint8):

- a call's frame: ``{"index", "kind": "value", "error", "value", "args_after"}``: the return
  value's wire spec (``value``; None when the call raised ``error``, "ExceptionType: message")
  and, by position, the specs of the arguments that were arrays or dicts as they were after the
  call (``args_after``), their arrays named as ``wire.to_arrays`` names them. Each call's
  arguments are private copies, and each name in its ``stand_ins`` is bound, during that call
  only, to a function returning a copy of the given value;
- a cell's marker ``{"index": N, "kind": "cell", "error"}``: written before cell N runs, so that
  the grader can name the cell in which the process ended, and again after it with ``error``
  saying how, when the cell failed.

Frames are written as each test cell's calls are answered, so a process that ends in a later
cell (os._exit, a crash) keeps every answer given before it.

Time: each call may run ``call_seconds`` (the kernel's limit for the cell that makes it,
never less); each cell ``cell_seconds``; cells together ``cells_seconds``, after which each
further cell gets ``short_cell_seconds`` (enough to define functions, not to explore). A cell
that mentions a function which ran out of time gets the short limit too. So slow exploration
cannot use up the time the calls need. These limits count the process's own time, not the wall
clock: its CPU time (ITIMER_PROF) plus the time it slept or blocked by itself, that is the wall
clock less the time it waited for a CPU that other processes held (/proc/self/schedstat, read
by a timer every CHECK_SECONDS). A busy machine stretches neither. The grader's wall clock on
the whole run is only a backstop (autograder.cleanroom).

None of this is trusted outside: the learner's code shares this process and may rewrite any of
it. The grader accepts only what an ``np.load(allow_pickle=False)`` of these frames yields.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import signal
import sys
import threading
import time
import types
import warnings

import numpy as np

# Defaults of learner.json's "limits" (autograder.cleanroom sets them), in seconds of own time.
CALL_SECONDS = 10.0  # one call: the kernel's own default per-cell limit, never less
CELL_SECONDS = 10.0  # one cell: the kernel's own default per-cell limit
CELLS_SECONDS = 20.0  # all cells together, before each further cell gets SHORT_CELL_SECONDS
SHORT_CELL_SECONDS = 1.0  # defining functions takes microseconds; exploring can wait
REFIRE_SECONDS = 0.25  # a timeout is raised again this often until the cell or call gives up
CHECK_SECONDS = 0.25  # how often the own time of a call or cell is looked at
# A call or cell that goes on this long (own time) past its limit has swallowed its stop
# (``except BaseException``, or the timers' signals ignored): the process ends with
# IGNORED_STOP_STATUS, as a kernel that ignores its interrupt is stopped. Answers already given
# are kept; later calls are not made.
IGNORED_STOP_SECONDS = 5.0
IGNORED_STOP_STATUS = 86


class _NoIPython:
    """Stands in for get_ipython(): magics and shell commands do nothing here."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _display(*args, **kwargs):
    """IPython's display(), which a kernel provides as a builtin: shows nothing here."""


# Imported for real only when first used: the set-up cell imports pyplot for its figures, which
# the clean room never draws, and pyplot's import is most of the clean room's start-up time.
LAZY_MODULES = ("matplotlib", "matplotlib.pyplot")


class _LazyModule(types.ModuleType):
    """Stands in for a module until an attribute of it is used, then forwards to the real one."""

    def __getattr__(self, name):
        for key in LAZY_MODULES:
            if isinstance(sys.modules.get(key), _LazyModule):
                del sys.modules[key]
        return getattr(importlib.import_module(self.__name__), name)


def install_lazy_modules() -> None:
    if any(name in sys.modules for name in LAZY_MODULES):
        return  # already imported (a process forked from the warm zygote): nothing to save
    stubs = {name: _LazyModule(name) for name in LAZY_MODULES}
    for name, stub in stubs.items():
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(stubs[parent], child, stub)
        sys.modules[name] = stub


class CallTimeout(BaseException):
    """Raised into learner code that ran past its limit (a BaseException, so that a learner's
    ``except Exception`` does not swallow it; it is raised again until the code gives up)."""


_limit = {"armed": False, "seconds": 0.0, "wall": 0.0, "waited": 0.0}
_monotonic = time.monotonic  # bound once: the learner's code may replace time's functions
_sleep, _exit = time.sleep, os._exit


def _waited() -> float | None:
    """Seconds this process's main thread has waited for a CPU (None: cannot be read). Read by
    the thread itself, so it holds every wait but none under way."""
    try:
        with open("/proc/self/schedstat", "rb") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def own_time() -> float:
    """Seconds since the limit was armed, less those spent waiting for a CPU (all of them, where
    the scheduler's statistics cannot be read)."""
    elapsed = _monotonic() - _limit["wall"]
    waited = _waited()
    return elapsed if waited is None else elapsed - (waited - _limit["waited"])


def _timeout():
    return CallTimeout(f"took longer than {round(_limit['seconds'], 1):g} s")


def _cpu_alarm(signum, frame):
    if _limit["armed"]:
        raise _timeout()


def _check(signum, frame):
    """Every CHECK_SECONDS of wall clock: code that slept or blocked for its limit is stopped
    too; code that was only kept waiting for a CPU is not (that is the machine's doing)."""
    if _limit["armed"] and own_time() >= _limit["seconds"]:
        raise _timeout()


def _watchdog() -> None:
    """Ends the process once a call or cell has gone on IGNORED_STOP_SECONDS past its limit.
    A thread of its own: the learner's code may catch the timers' exceptions or ignore their
    signals, but cannot stop it (the bound on the whole run, outside, remains)."""
    while True:
        _sleep(CHECK_SECONDS)
        if _limit["armed"] and own_time() >= _limit["seconds"] + IGNORED_STOP_SECONDS:
            _exit(IGNORED_STOP_STATUS)


def _arm(seconds: float) -> None:
    _limit.update(seconds=seconds, wall=_monotonic(), waited=_waited() or 0.0, armed=True)
    signal.setitimer(signal.ITIMER_PROF, seconds, REFIRE_SECONDS)
    signal.setitimer(signal.ITIMER_REAL, CHECK_SECONDS, CHECK_SECONDS)


def _disarm() -> None:
    _limit["armed"] = False
    signal.setitimer(signal.ITIMER_PROF, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)


def run_limited(function, seconds: float):
    """(value, None) or (None, the exception) of ``function()`` stopped once its own time
    reaches ``seconds``."""
    try:
        try:
            _arm(seconds)
            return function(), None
        finally:
            _disarm()
    except BaseException as exc:  # noqa: BLE001 - any learner error is a result
        _disarm()  # again: an alarm may have fired inside the finally above
        return None, exc


def cell_marker(number: int, error: str | None = None) -> bytes:
    """The frame written before cell ``number`` runs, and after it if it failed (``error``:
    "raised TypeError: ..." or "ran longer than 10 s and was stopped")."""
    meta = {"index": number, "kind": "cell", "error": error}
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    payload = buffer.getvalue()
    return len(payload).to_bytes(8, "big") + payload


def _words(source: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_]\w*", source))


def _load_wire(folder: str):
    """The grader's copy of solutions/wire.py (this process never imports ``solutions``)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("cleanroom_wire",
                                                  os.path.join(folder, "wire.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _copy(tree):
    """A private copy of a tree of plain values (arrays copied, containers rebuilt)."""
    if isinstance(tree, np.ndarray):
        return tree.copy()
    if isinstance(tree, dict):
        return {key: _copy(value) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_copy(value) for value in tree)
    return tree


def main(folder: str) -> None:
    with open(os.path.join(folder, "learner.json"), encoding="utf-8") as f:
        program = json.load(f)
    steps = program["steps"]
    limits = {"call_seconds": CALL_SECONDS, "cell_seconds": CELL_SECONDS,
              "cells_seconds": CELLS_SECONDS, "short_cell_seconds": SHORT_CELL_SECONDS,
              **program.get("limits", {})}
    arrays = np.load(os.path.join(folder, "calls.npz"), allow_pickle=False)
    plan = json.loads(bytes(arrays["plan"]).decode())
    arrays = {key: arrays[key] for key in arrays.files}
    wire = _load_wire(folder)

    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    signal.signal(signal.SIGPROF, _cpu_alarm)
    signal.signal(signal.SIGALRM, _check)
    threading.Thread(target=_watchdog, daemon=True).start()

    install_lazy_modules()
    namespace = {"__name__": "__main__", "get_ipython": _NoIPython, "display": _display}
    # A function that ran out of time once is not called again: its other calls fail at once,
    # so one endless loop cannot use up the whole run's time and cost the other functions.
    timed_out: set[str] = set()
    cells_left = float(limits["cells_seconds"])
    for step in steps:
        if "cell" in step:
            out.write(cell_marker(int(step["cell"])))
            out.flush()
            seconds = min(float(limits["cell_seconds"]),
                          max(float(limits["short_cell_seconds"]), cells_left))
            if timed_out & _words(step["source"]):
                seconds = min(seconds, float(limits["short_cell_seconds"]))
            _, exc = run_limited(lambda step=step: exec(
                compile(step["source"], f"<cell {step['cell']}>", "exec"), namespace), seconds)
            cells_left -= own_time()
            if exc is not None:  # it ends this cell only; said, in case a test fails for it
                what = (f"ran longer than {round(seconds, 1):g} s and was stopped"
                        if isinstance(exc, CallTimeout) else f"raised {_error_text(exc)}")
                out.write(cell_marker(int(step["cell"]), what))
                out.flush()
            continue
        first, stop = step["calls"]
        seconds = float(limits["call_seconds"])
        for index in range(first, stop):
            out.write(_call(index, plan[index], arrays, namespace, timed_out, wire, seconds))
            out.flush()


def _error_text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a learner's exception whose __str__ fails
        text = ""
    return f"{type(exc).__name__}: {text}"[:200].rstrip(": ")


_MISSING = object()


def _stand_in(given):
    """A function that returns a copy of `given`, whatever it is called with."""
    return lambda *args, **kwargs: _copy(given)


def _call(index: int, call: dict, arrays, namespace: dict, timed_out: set, wire,
          seconds: float = CALL_SECONDS) -> bytes:
    """Make one call (stand-ins bound around it, ``seconds`` allowed) and return its frame."""
    args = tuple(_copy(wire.from_arrays(spec, arrays)) for spec in call["args"])
    kwargs = {key: _copy(wire.from_arrays(spec, arrays))
              for key, spec in call["kwargs"].items()}
    stand_ins = {name: wire.from_arrays(spec, arrays)
                 for name, spec in call.get("stand_ins", {}).items()}
    function = namespace.get(call["function"])
    value, error = None, None
    if not callable(function):
        error = f"NameError: name {call['function']!r} is not defined"
    elif call["function"] in timed_out:
        error = f"CallTimeout: not run, an earlier call took longer than {seconds:g} s"
    else:
        saved = {name: namespace.get(name, _MISSING) for name in stand_ins}
        try:
            for name, given in stand_ins.items():
                namespace[name] = _stand_in(given)
            value, exc = run_limited(lambda: function(*args, **kwargs), seconds)
        finally:
            for name, before in saved.items():
                if before is _MISSING:
                    namespace.pop(name, None)
                else:
                    namespace[name] = before
        if exc is not None:
            error = _error_text(exc)
            if isinstance(exc, CallTimeout):
                timed_out.add(call["function"])
    try:
        return _frame(index, value, error, args, wire)
    except BaseException as exc:  # noqa: BLE001 - e.g. an array too large to save
        return _frame(index, None, _error_text(exc), (), wire)


def _frame(index: int, value, error: str | None, args: tuple, wire) -> bytes:
    meta = {"index": index, "kind": "value", "error": error, "value": None, "args_after": {}}
    arrays = {}
    if error is None:
        meta["value"], arrays = wire.to_arrays(value, "value", strict=False)
    for position, arg in enumerate(args):
        if isinstance(arg, (np.ndarray, dict)):
            spec, more = wire.to_arrays(arg, f"arg_{position}", strict=False)
            meta["args_after"][str(position)] = spec
            arrays.update(more)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    payload = buffer.getvalue()
    return len(payload).to_bytes(8, "big") + payload


if __name__ == "__main__":
    main(sys.argv[1])
