"""The clean room's harness: runs inside the sandbox, next to the learner's code and nothing else.

Usage (inside the sandbox): ``python cleanroom_harness.py FOLDER`` where FOLDER holds
``learner.json`` (the learner's solution cells, a list of strings) and ``calls.npz`` (the calls,
as plain data, see ``autograder.cleanroom.encode_calls``).

It imports only the standard library and numpy: never ``solutions``, never a test. It reads the
calls before any learner code runs, points the learner's stdout and stderr at /dev/null, runs the
solution cells one by one, then makes each call and writes one frame per call to its own copy of
the original stdout: an 8-byte big-endian length, then an uncompressed ``np.savez`` archive with

- ``meta``: JSON (as uint8) ``{"index", "kind", "type", "error", "args_after"}``, kind one of
  ``array``, ``scalar``, ``bool``, ``none``, ``sequence``, ``other``, ``error``;
- ``value``: the returned array (kinds ``array`` and ``scalar``);
- ``arg_J``: the J-th argument after the call, when it was an array.

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
import types
import warnings

import numpy as np

# numerical_derivative's f, by name; mirrors solutions.checks.SAFE_FUNCTIONS (a test compares them).
SAFE_FUNCTIONS = {
    "sin": np.sin,
    "exp": np.exp,
    "tanh": np.tanh,
    "square": lambda z: z**2,
    "cube": lambda z: z**3,
}
CALL_SECONDS = 2.0  # one call of a learner function; the lesson's functions take microseconds
CELL_SECONDS = 20.0  # one cell; the set-up cell imports matplotlib (~0.5 s, seconds under load)


class _NoIPython:
    """Stands in for get_ipython(): magics in solution cells do nothing here."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


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


class CallTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise CallTimeout(f"took longer than {CALL_SECONDS:g} s")  # (or a cell than CELL_SECONDS)


def decode_arg(spec: dict, arrays):
    kind = spec["kind"]
    if kind == "float":
        return float(spec["value"])
    if kind == "int":
        return int(spec["value"])
    if kind == "safe":
        return SAFE_FUNCTIONS[spec["name"]]
    array = arrays[spec["key"]].copy()
    return array[()] if kind == "npscalar" else array


def type_name(value) -> str:
    return re.sub(r"\W", "", type(value).__name__)[:40] or "object"


def encode_result(index: int, value, error: str | None, args: tuple) -> bytes:
    meta = {"index": index, "kind": "error", "type": "", "error": error, "args_after": []}
    arrays = {}
    if error is None:
        if value is None:
            meta["kind"] = "none"
        elif isinstance(value, (bool, np.bool_)):
            meta["kind"] = "bool"
        elif type(value) in (int, float) or type(value) in (np.float16, np.float32, np.float64):
            meta["kind"] = "scalar"
            arrays["value"] = np.asarray(value)
        elif type(value) is np.ndarray and value.dtype.kind in "biuf":
            meta["kind"] = "array"
            arrays["value"] = value
        elif isinstance(value, (list, tuple)):
            meta["kind"] = "sequence"
        else:
            meta["kind"] = "other"
        meta["type"] = type_name(value)
    for position, arg in enumerate(args):
        if type(arg) is np.ndarray and arg.dtype.kind in "biuf":
            arrays[f"arg_{position}"] = arg
            meta["args_after"].append(position)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    payload = buffer.getvalue()
    return len(payload).to_bytes(8, "big") + payload


def main(folder: str) -> None:
    with open(os.path.join(folder, "learner.json"), encoding="utf-8") as f:
        cells = json.load(f)
    arrays = np.load(os.path.join(folder, "calls.npz"), allow_pickle=False)
    plan = json.loads(bytes(arrays["plan"]).decode())
    arrays = {key: arrays[key] for key in arrays.files}

    out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    signal.signal(signal.SIGALRM, _alarm)

    install_lazy_modules()
    namespace = {"__name__": "__main__", "get_ipython": _NoIPython}
    for number, source in enumerate(cells):
        try:
            signal.setitimer(signal.ITIMER_REAL, CELL_SECONDS)
            exec(compile(source, f"<solution cell {number}>", "exec"), namespace)
        except BaseException:  # noqa: BLE001 - a failing cell only loses what it defines
            pass
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    # A function that ran out of time once is not called again: its other calls fail at once,
    # so one endless loop cannot use up the whole run's time and cost the other functions.
    timed_out = set()
    for index, call in enumerate(plan):
        args = tuple(decode_arg(spec, arrays) for spec in call["args"])
        kwargs = {key: decode_arg(spec, arrays) for key, spec in call["kwargs"].items()}
        function = namespace.get(call["function"])
        value, error = None, None
        if not callable(function):
            error = f"NameError: name {call['function']!r} is not defined"
        elif call["function"] in timed_out:
            error = f"CallTimeout: not run, an earlier call took longer than {CALL_SECONDS:g} s"
        else:
            try:
                signal.setitimer(signal.ITIMER_REAL, CALL_SECONDS)
                value = function(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - any learner error is a result
                error = f"{type(exc).__name__}: {exc}"[:200].rstrip(": ")
                if isinstance(exc, CallTimeout):
                    timed_out.add(call["function"])
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            frame = encode_result(index, value, error, args)
        except Exception as exc:  # noqa: BLE001 - e.g. an array too large to save
            frame = encode_result(index, None, f"{type(exc).__name__}: {exc}"[:200], ())
        out.write(frame)
        out.flush()


if __name__ == "__main__":
    main(sys.argv[1])
