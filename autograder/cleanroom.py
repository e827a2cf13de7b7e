"""Re-grade every learner function in a clean room: a sandbox that holds the learner's code only.

The in-kernel nbgrader run needs the reference package for its hidden tests, so learner code there
could read the answers. Here it cannot: the learner's solution cells run in a sandbox
(:mod:`autograder.sandbox`) with a tiny harness (:mod:`autograder.cleanroom_harness`) and no
``solutions``, no test and no ``NBGRADER_EXECUTION``. The grader picks the inputs at grading time
(``check.calls(rng)``, rng seeded from ``os.urandom``), sends them in as plain data, takes the
raw results back as plain data (``np.load(allow_pickle=False)`` of uncompressed archives; nothing
is ever unpickled), and judges them outside with ``check.verify``. Where the in-kernel score of a
grade cell is higher than the clean room's, the lower one counts (:func:`apply_cap`).

Results that earn nothing: anything other than a plain ndarray of numbers or a plain number (an
ndarray subclass or an object whose ``__eq__`` says True cannot even be written back), a wrong
shape, a call the process did not live to answer.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np

from autograder import cleanroom_harness
from autograder.sandbox import Limits, run_sandboxed

CLEANROOM_LIMITS = Limits(
    cpu_seconds=30,
    memory_bytes=1 << 30,  # numpy maps ~0.4 GB of address space; leaves ~0.6 GB for the learner
    processes=4,  # the harness is single-threaded; bounds a fork bomb's memory at 4 GB
    file_bytes=16 << 20,
    open_files=64,
    tmpfs_bytes=16 << 20,
)
TIMEOUT_SECONDS = 30.0  # whole clean-room run of one submission (all calls; each call gets 2 s)
MAX_RESULT_BYTES = 32 << 20  # all frames written back; the largest honest result is a few KB
INSIDE = "/cleanroom"  # where the learner's code, the calls and the harness appear in the sandbox

_RESULT_KINDS = {"array", "scalar", "bool", "none", "sequence", "other", "error"}


@dataclass(frozen=True)
class Outcome:
    """The clean room's verdict on one grade cell; ``message`` is learner-facing ('' if passed)."""

    passed: bool
    message: str = ""


# --- the learner's code --------------------------------------------------------------------------


def solution_sources(notebook: Path | nbformat.NotebookNode) -> list[str]:
    """The code the clean room runs, in notebook order: the solution cells (nbgrader metadata
    solution=true) and the read-only set-up cells (locked, not graded: the notebook's imports and
    helpers, which solutions rely on). Never a grade cell, so never a test.

    Set-up cells are taken from the notebook as given; a learner who edits one changes only what
    their own code sees. IPython syntax (magics, ``!commands``) is turned into plain Python calls,
    which do nothing in the clean room.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    if not isinstance(notebook, nbformat.NotebookNode):
        notebook = nbformat.read(str(notebook), as_version=4)
    transformer = TransformerManager()
    sources = []
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not isinstance(meta, dict) or cell.get("cell_type") != "code":
            continue
        setup = meta.get("locked") is True and not meta.get("grade") and not meta.get("solution")
        if meta.get("grade") or not (meta.get("solution") is True or setup):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        try:
            source = transformer.transform_cell(source)
        except Exception:  # noqa: BLE001 - leave it as written; it fails inside, alone
            pass
        sources.append(source)
    return sources


# --- calls in, results out -----------------------------------------------------------------------


def encode_calls(calls: Sequence) -> bytes:
    """The calls as an uncompressed npz: a JSON ``plan`` plus one array per array argument."""
    arrays: dict[str, np.ndarray] = {}

    def spec(value) -> dict:
        if isinstance(value, str):
            if value not in cleanroom_harness.SAFE_FUNCTIONS:
                raise ValueError(f"{value!r} is not a function the clean-room harness knows.")
            return {"kind": "safe", "name": value}
        if isinstance(value, (bool, np.bool_)):
            raise TypeError("booleans are not call arguments in the clean room.")
        if type(value) is float:
            return {"kind": "float", "value": value}
        if type(value) is int:
            return {"kind": "int", "value": value}
        if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype.kind in "iuf":
            key = f"a{len(arrays)}"
            arrays[key] = np.array(value)
            return {"kind": "array" if isinstance(value, np.ndarray) else "npscalar", "key": key}
        raise TypeError(
            f"a clean-room call argument must be a number, a numeric array or a safe function's "
            f"name, got {type(value).__name__}."
        )

    plan = [
        {
            "function": call.function,
            "args": [spec(arg) for arg in call.args],
            "kwargs": {key: spec(value) for key, value in call.kwargs.items()},
        }
        for call in calls
    ]
    arrays["plan"] = np.frombuffer(json.dumps(plan).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _placeholder(kind: str, name: str):
    """A value of the learner's type's name that verify() can describe (never the object)."""
    if kind == "none":
        return None
    if kind == "bool":
        return np.True_
    if kind == "sequence":
        return () if name == "tuple" else []
    return type(name or "object", (), {})()


def _load_frame(payload: bytes) -> dict[str, np.ndarray]:
    """One frame as arrays; refuses compressed or oversized members and anything pickled.

    Reads the archive as ``np.load`` does (each ``NAME.npy`` member with
    ``np.lib.format.read_array(allow_pickle=False)``), parsing the zip directory once.
    """
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        infos = archive.infolist()
        if any(info.compress_type != zipfile.ZIP_STORED for info in infos):
            raise ValueError("compressed frame")
        if sum(info.file_size for info in infos) > len(payload):
            raise ValueError("frame declares more data than it holds")
        arrays = {}
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise ValueError("not an array")
            with archive.open(info) as member:
                arrays[info.filename[:-4]] = np.lib.format.read_array(member, allow_pickle=False)
        return arrays


def decode_results(data: bytes, calls: Sequence) -> dict[int, object]:
    """Parse the harness's frames into ``solutions.checks.CallResult`` by call index.

    Every frame is checked; a malformed one ends the parsing (what came before it stands).
    Values are plain ndarrays of numbers (never a subclass: ``np.load`` makes only ndarrays),
    numpy scalars, or placeholders that ``verify`` rejects with a message.
    """
    from solutions.checks import CallResult

    results: dict[int, CallResult] = {}
    position = 0
    while position + 8 <= len(data):
        size = int.from_bytes(data[position : position + 8], "big")
        payload = data[position + 8 : position + 8 + size]
        position += 8 + size
        if len(payload) != size:
            break
        try:
            result = _decode_frame(payload, calls, results)
        except Exception:  # noqa: BLE001 - a forged or broken frame earns nothing, and ends here
            break
        results.update(result)
    return results


def _decode_frame(payload: bytes, calls: Sequence, seen: Mapping) -> dict:
    from solutions.checks import CallResult

    arrays = _load_frame(payload)
    meta_bytes = arrays["meta"]
    if meta_bytes.dtype != np.uint8 or meta_bytes.ndim != 1:
        raise ValueError("bad meta")
    meta = json.loads(meta_bytes.tobytes().decode())
    index, kind, name, error = meta["index"], meta["kind"], meta["type"], meta["error"]
    if type(index) is not int or not 0 <= index < len(calls) or index in seen:
        raise ValueError("bad index")
    if kind not in _RESULT_KINDS or not re.fullmatch(r"\w{0,40}", str(name)):
        raise ValueError("bad kind")
    call = calls[index]
    args_after = list(call.args)
    for position in meta["args_after"]:
        if type(position) is not int or not 0 <= position < len(args_after):
            raise ValueError("bad argument position")
        if not isinstance(call.args[position], np.ndarray):
            raise ValueError("argument was not an array")
        args_after[position] = _plain_array(arrays[f"arg_{position}"])
    if kind == "error":
        if not isinstance(error, str):
            raise ValueError("bad error")
        return {index: CallResult(None, tuple(args_after), error[:300])}
    if kind in ("array", "scalar"):
        value = _plain_array(arrays["value"])
        if kind == "scalar":
            if value.ndim != 0 or value.dtype.kind not in "iuf":
                raise ValueError("bad scalar")
            value = value[()]
    else:
        value = _placeholder(kind, name)
    return {index: CallResult(value, tuple(args_after), None)}


def _plain_array(array) -> np.ndarray:
    if type(array) is not np.ndarray or array.dtype.kind not in "biuf":
        raise ValueError("not a plain numeric array")
    return array


# --- running the clean room ----------------------------------------------------------------------


@dataclass
class RoomRun:
    """What one clean-room run gave back: results by call index, and why it stopped early."""

    results: dict
    stopped: str = ""  # '' when every call was answered; else a learner-facing reason
    seconds: float = 0.0


def run_calls(
    sources: Sequence[str],
    calls: Sequence,
    *,
    timeout: float = TIMEOUT_SECONDS,
    limits: Limits = CLEANROOM_LIMITS,
) -> RoomRun:
    """Run ``calls`` against the learner's ``sources`` in one sandbox; results as CallResults.

    The process is forked from the warm zygote (:func:`autograder.forkserver.run_script`: numpy is
    already imported, and the reference package is hidden); if the zygote cannot be used, a
    sandbox of its own is started instead (:func:`autograder.sandbox.run_sandboxed`).
    """
    from autograder import forkserver

    try:
        return _run_calls(sources, calls, timeout, limits, forked=True)
    except forkserver.ZygoteError:
        return _run_calls(sources, calls, timeout, limits, forked=False)


def _run_calls(sources, calls, timeout: float, limits: Limits, *, forked: bool) -> RoomRun:
    from autograder import forkserver

    folder = (forkserver.scratch_folder("cleanroom-") if forked
              else Path(tempfile.mkdtemp(prefix="cleanroom-")))
    try:
        (folder / "learner.json").write_text(json.dumps(list(sources)), encoding="utf-8")
        (folder / "calls.npz").write_bytes(encode_calls(calls))
        shutil.copyfile(cleanroom_harness.__file__, folder / "harness.py")
        for path in folder.iterdir():
            path.chmod(0o644)
        folder.chmod(0o755)
        if forked:
            run = forkserver.run_script(
                f"{INSIDE}/harness.py", [INSIDE], folder=folder, inside=INSIDE,
                timeout=timeout, limits=limits, max_output=MAX_RESULT_BYTES,
            )
        else:
            run = run_sandboxed(
                [sys.executable, "-I", f"{INSIDE}/harness.py", INSIDE],
                timeout=timeout,
                max_output=MAX_RESULT_BYTES,
                scratch=None,
                ro_binds=[(folder, INSIDE)],
                limits=limits,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results = decode_results(run.stdout, calls)
    stopped = ""
    if len(results) < len(calls):
        if run.timed_out:
            stopped = f"your code was still running after {timeout:g} s"
        elif run.output_exceeded:
            stopped = "your code wrote too much output"
        else:
            stopped = f"your code ended the process (exit status {run.returncode})"
    return RoomRun(results, stopped, run.seconds)


def new_rng() -> np.random.Generator:
    """A generator seeded from os.urandom: inputs nobody can know before grading."""
    return np.random.default_rng(int.from_bytes(os.urandom(16), "big"))


def cleanroom_scores(
    notebook: Path | nbformat.NotebookNode,
    checks: Mapping | None = None,
    *,
    rng: np.random.Generator | None = None,
    timeout: float = TIMEOUT_SECONDS,
    limits: Limits = CLEANROOM_LIMITS,
) -> dict[str, Outcome]:
    """Judge every check (default: ``solutions.checks.CHECKS``) on the notebook's solution cells.

    One sandbox runs all calls; ``check.verify`` judges them here, outside. A notebook that cannot
    be read fails every check with a message saying so.
    """
    if checks is None:
        from solutions.checks import CHECKS as checks
    rng = new_rng() if rng is None else rng
    try:
        sources = solution_sources(notebook)
    except Exception as error:  # noqa: BLE001 - an unreadable notebook earns nothing here
        message = f"The notebook could not be read for re-checking: {type(error).__name__}."
        return {grade_id: Outcome(False, message) for grade_id in checks}
    plan = [(grade_id, check.calls(rng)) for grade_id, check in checks.items()]
    all_calls = [call for _, calls in plan for call in calls]
    run = run_calls(sources, all_calls, timeout=timeout, limits=limits)

    outcomes: dict[str, Outcome] = {}
    start = 0
    for grade_id, calls in plan:
        indices = range(start, start + len(calls))
        start += len(calls)
        check = checks[grade_id]
        if any(i not in run.results for i in indices):
            outcomes[grade_id] = Outcome(
                False,
                f"{check.function} could not be re-checked on its own: {run.stopped} "
                "before this check's calls were answered.",
            )
            continue
        try:
            message = check.verify(list(calls), [run.results[i] for i in indices])
        except Exception as error:  # noqa: BLE001 - never pass a result that could not be judged
            message = f"{check.function}'s results could not be judged ({type(error).__name__})."
        outcomes[grade_id] = Outcome(message is None, message or "")
    return outcomes


# --- the cap -------------------------------------------------------------------------------------


def apply_cap(
    in_kernel_points: Mapping[str, float],
    cleanroom: Mapping[str, Outcome],
    max_points: Mapping[str, float],
) -> tuple[dict[str, float], dict[str, str]]:
    """Per grade cell, the lower of the in-kernel points and the clean room's.

    The clean room gives ``max_points`` for a passed check and 0 otherwise. Returns the points and,
    for every cell whose points were lowered, the reason (learner-facing, for the status and the
    feedback). A grade cell without a clean-room outcome keeps its in-kernel points.
    """
    points: dict[str, float] = {}
    reasons: dict[str, str] = {}
    for grade_id, earned in in_kernel_points.items():
        outcome = cleanroom.get(grade_id)
        points[grade_id] = earned
        if outcome is None:
            continue
        room = float(max_points[grade_id]) if outcome.passed else 0.0
        if earned > room:
            points[grade_id] = room
            reasons[grade_id] = (
                f"passed in the notebook but not when re-run on its own: {outcome.message}"
            )
    return points, reasons


def notebook_caps(notebook: nbformat.NotebookNode) -> dict[str, tuple[float, str]]:
    """The pipeline's ``Caps`` hook: for each grade cell that fails in the clean room, (0 points,
    the status reason). Cells that pass, or that have no check, are not capped.

    Needs the sandbox (raises RuntimeError where it cannot start: do not pass this hook then).
    """
    from autograder.sandbox import sandbox_problem
    from solutions.checks import CHECKS

    problem = sandbox_problem()
    if problem is not None:
        raise RuntimeError(f"The clean room needs the sandbox: {problem}")
    # Sanitised notebooks may carry plain dicts as metadata: read it with .get only.
    meta = [cell.get("metadata", {}).get("nbgrader", {}) for cell in notebook.cells]
    grade_ids = {m.get("grade_id") for m in meta if m.get("grade") and m.get("grade_id") in CHECKS}
    outcomes = cleanroom_scores(notebook, {g: CHECKS[g] for g in CHECKS if g in grade_ids})
    return {
        grade_id: (0.0, f"{CHECKS[grade_id].function} lost points: it fails when re-run on its own")
        for grade_id, outcome in outcomes.items()
        if not outcome.passed
    }
