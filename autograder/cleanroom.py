"""Re-grade every learner function in a clean room: a sandbox that holds the learner's code only.

The in-kernel nbgrader run needs the reference package for its hidden tests, so learner code there
could read the answers. Here it cannot: the learner's code runs in a sandbox
(:mod:`isolation.sandbox`) with a tiny harness (:mod:`isolation.cleanroom_harness`) and no
``solutions``, no test and no ``NBGRADER_EXECUTION``. It runs the way the kernel ran it: every code
cell that is not a test cell (solution cells, the set-up cell and the learner's own extra cells;
not the release's "try it" and plot cells while they are unchanged, which only show results), in
notebook order, an error ending only its own cell; each test cell's calls are made where that
test cell stands. The grader picks the inputs at grading time
(``check.calls(rng)``, the rng seeded from the run's secret seed and the grade_id, so every
student of a run gets the same calls and nobody knows them before), sends them in as plain data
(solutions/wire.py), takes the raw results back as plain data (``np.load(allow_pickle=False)`` of
uncompressed archives; nothing is ever unpickled), and judges them outside with
``solutions.checking.judge`` (which also names a known mistake). Where the in-kernel score of a
grade cell is higher than the clean room's, the lower one counts (:func:`apply_cap`).

Results that earn nothing: anything other than a plain ndarray of numbers, a list (or tuple) of
numbers or a plain number (an ndarray subclass or an object whose ``__eq__`` says True cannot even
be written back), a wrong shape, a call the process did not live to answer.

Every assignment's calls and results cross the same way: numbers, arrays, parameter dicts,
names and tuples as ``solutions/wire.py`` specs (the harness reads them with a copy of that
module), rebuilt outside with ``wire.from_arrays``, which trusts nothing. The checks table, the
catalogue and the release's display cells are the graded assignment's (:func:`caps_hook`).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from autograder.isolation import cleanroom_harness
from autograder.isolation.sandbox import Limits, run_sandboxed
from autograder.isolation.usage import GraderFailure, backstop, learners

# Time, in seconds of the process's own time: its CPU time plus the time it slept by itself, never
# the time it waited for a CPU that other processes held (autograder.isolation.usage), so a busy
# machine stretches none of these limits: each call may run CALL_SECONDS and each cell
# CELL_SECONDS, the kernel's own per-cell limit (notebook_caps sets both to the kernel's
# --timeout: never tighter than the kernel); all cells together CELLS_SECONDS, after which each
# further cell gets SHORT_CELL_SECONDS (enough to define a function). An honest run, however slow
# its exploration, thus ends well within TIMEOUT_SECONDS, the bound on the whole run that no
# learner code can lift (an honest notebook takes well under a second). Its wall clock is only a
# backstop, usage.backstop(TIMEOUT_SECONDS), and RLIMIT_CPU a last resort a little beyond it.
CALL_SECONDS = cleanroom_harness.CALL_SECONDS
CELL_SECONDS = cleanroom_harness.CELL_SECONDS
CELLS_SECONDS = cleanroom_harness.CELLS_SECONDS
SHORT_CELL_SECONDS = cleanroom_harness.SHORT_CELL_SECONDS
TIMEOUT_SECONDS = 60.0  # whole clean-room run of one submission
CPU_MARGIN_SECONDS = 30  # RLIMIT_CPU beyond the whole run's limit: that limit stops it first
CLEANROOM_LIMITS = Limits(
    cpu_seconds=int(TIMEOUT_SECONDS) + CPU_MARGIN_SECONDS,
    memory_bytes=1 << 30,  # numpy maps ~0.4 GB of address space; leaves ~0.6 GB for the learner
    processes=5,  # the harness and its watchdog thread, 3 more; bounds a fork bomb at 5 GB
    file_bytes=16 << 20,
    open_files=64,
    tmpfs_bytes=16 << 20,
)
MAX_RESULT_BYTES = 32 << 20  # all frames written back; the largest honest result is a few KB
INSIDE = "/cleanroom"  # where the learner's code, the calls and the harness appear in the sandbox

_RESULT_KINDS = {"array", "scalar", "bool", "none", "sequence", "other", "error"}
_CELL_MAGICS_THAT_RUN = ("time", "timeit", "capture", "prun")  # %%time etc. run their body


@dataclass(frozen=True)
class Outcome:
    """The clean room's verdict on one grade cell; ``message`` is learner-facing ('' if passed).

    What :mod:`autograder.similarity` compares across the class, worked out here, outside the
    sandbox, from the decoded results (never a learner object): ``calls``, a digest of each
    call; ``values``, a digest of what each call returned ('' for an error, no answer or
    anything but plain numbers); ``shown``, for a failed check, each call and its value in a
    short printable form."""

    passed: bool
    message: str = ""
    function: str = ""
    calls: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()


# --- the learner's code --------------------------------------------------------------------------


def display_cells(release: Path) -> frozenset[str]:
    """The sources of the release's display cells: code cells without nbgrader metadata that
    define nothing a graded cell needs (no def, class or import, and no name that a later cell
    with nbgrader metadata uses: the "try it", demonstration and plot cells the instructor
    wrote). Unchanged, such a cell only shows the learner's functions at work: it cannot change
    an answer, so neither the kernel (autograder.execute), nor the clean room, nor ``check``
    spends time on it."""
    try:
        notebook = nbformat.read(str(release), as_version=4)
    except Exception:  # noqa: BLE001 - no release to compare with: every cell runs
        return frozenset()
    found = set()
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code" or "nbgrader" in cell.get("metadata", {}):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        defines = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                   ast.ImportFrom, ast.Global)
        if any(isinstance(node, defines) for node in ast.walk(tree)):
            continue
        assigned = {node.id for node in ast.walk(tree)
                    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
        if not assigned & _names_used_by_graded_cells(notebook.cells[index + 1:]):
            found.add(cell.source)
    return frozenset(found)


def _names_used_by_graded_cells(cells) -> set[str]:
    used = set()
    for cell in cells:
        if cell.get("cell_type") == "code" and "nbgrader" in cell.get("metadata", {}):
            try:
                used |= {node.id for node in ast.walk(ast.parse(cell.source))
                         if isinstance(node, ast.Name)}
            except SyntaxError:
                continue
    return used


def learner_steps(notebook: Path | nbformat.NotebookNode,
                  skip: frozenset[str] = frozenset()) -> list[dict]:
    """The notebook as the clean room runs it, in order: ``{"cell": N, "source": ...}`` for every
    code cell that is not a test cell (N its 1-based number among all cells, as in
    :mod:`autograder.execute`), ``{"test": grade_id}`` where a test cell stands (a grade cell
    that is not a solution cell; its code never runs here).

    Cells are taken from the notebook as given: solution cells, the set-up cell, the "try it"
    and plot cells, and the learner's own cells (which carry no nbgrader metadata); a cell
    without nbgrader metadata whose source is in ``skip`` (see :func:`display_cells`) is left
    out. IPython
    syntax is turned into plain Python: magics and ``!commands`` do nothing here, except that
    ``%%time``, ``%%timeit``, ``%%capture`` and ``%%prun`` run their body once.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    if not isinstance(notebook, nbformat.NotebookNode):
        notebook = nbformat.read(str(notebook), as_version=4)
    transformer = TransformerManager()
    steps: list[dict] = []
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        meta = meta if isinstance(meta, dict) else {}
        if meta.get("grade") and not meta.get("solution"):
            steps.append({"test": meta.get("grade_id")})
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if source in skip and "nbgrader" not in cell.get("metadata", {}):
            continue
        steps.append({"cell": number, "source": _plain_python(source, transformer)})
    return steps


def _plain_python(source: str, transformer) -> str:
    first, _, body = source.lstrip().partition("\n")
    if first.startswith("%%") and first[2:].split(" ")[0].strip() in _CELL_MAGICS_THAT_RUN:
        source = body
    try:
        return transformer.transform_cell(source)
    except Exception:  # noqa: BLE001 - leave it as written; it fails inside, alone
        return source


# --- calls in, results out -----------------------------------------------------------------------


def encode_calls(calls: Sequence) -> bytes:
    """The calls as an uncompressed npz: a JSON ``plan`` (one entry per call, as
    ``solutions.wire.call_to_arrays`` writes it) plus the arrays it names."""
    from solutions.wire import call_to_arrays

    arrays: dict[str, np.ndarray] = {}
    plan = []
    for index, call in enumerate(calls):
        entry, more = call_to_arrays(call, index)
        plan.append(entry)
        arrays.update(more)
    arrays["plan"] = np.frombuffer(json.dumps(plan).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


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
    numpy scalars, lists of numbers (read back from a plain array), or placeholders that
    ``verify`` rejects with a message.
    """
    return _decode(data, calls)[0]


@dataclass
class _Progress:
    """Where the harness was when its output ended: the last cell it started, and whether a
    call was answered after that cell."""

    cell: int | None = None
    answered_since: bool = False
    errors: dict = field(default_factory=dict)  # cell number -> "raised ..." / "ran longer ..."


def _decode(data: bytes, calls: Sequence) -> tuple[dict[int, object], _Progress]:
    results: dict = {}
    progress = _Progress()
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
        if isinstance(result, tuple):  # a cell is about to run, or raised
            number, error = result
            if error is None:
                progress = _Progress(number, errors=progress.errors)
            else:
                progress.errors[number] = error  # "raised ..." or "ran longer than ..."
        else:
            results.update(result)
            progress.answered_since = True
    return results, progress


def _decode_frame(payload: bytes, calls: Sequence, seen: Mapping) -> dict | tuple:
    arrays = _load_frame(payload)
    meta_bytes = arrays["meta"]
    if meta_bytes.dtype != np.uint8 or meta_bytes.ndim != 1:
        raise ValueError("bad meta")
    meta = json.loads(meta_bytes.tobytes().decode())
    index, kind, error = meta["index"], meta["kind"], meta["error"]
    if kind == "cell":  # a marker: only ever used to name a cell in a message
        if type(index) is not int or not 0 < index < 1_000_000:
            raise ValueError("bad cell number")
        if error is not None and not isinstance(error, str):
            raise ValueError("bad error")
        return index, None if error is None else " ".join(error.split())[:200]
    if type(index) is not int or not 0 <= index < len(calls) or index in seen:
        raise ValueError("bad index")
    if kind != "value":
        raise ValueError("bad kind")
    return {index: _result(meta, arrays, calls[index])}


def _result(meta: dict, arrays: Mapping, call):
    """A call's CallResult: the value and the arguments after the call rebuilt with
    ``wire.from_arrays`` (ValueError for anything malformed)."""
    from solutions.checking import CallResult
    from solutions.wire import from_arrays

    arrays = {key: value for key, value in arrays.items() if key != "meta"}
    args_after = list(call.args)
    given = meta["args_after"]
    if type(given) is not dict:
        raise ValueError("bad arguments after")
    for key, spec in given.items():
        if not re.fullmatch(r"\d{1,3}", key) or int(key) >= len(args_after):
            raise ValueError("bad argument position")
        if not isinstance(call.args[int(key)], (np.ndarray, dict)):
            raise ValueError("argument was not an array or a dict")
        args_after[int(key)] = from_arrays(spec, arrays)
    error = meta["error"]
    if error is not None:
        if not isinstance(error, str):
            raise ValueError("bad error")
        return CallResult(None, tuple(args_after), error[:300])
    return CallResult(from_arrays(meta["value"], arrays), tuple(args_after), None)


def _plain_array(array) -> np.ndarray:
    if type(array) is not np.ndarray or array.dtype.kind not in "biuf":
        raise ValueError("not a plain numeric array")
    return array


# --- running the clean room ----------------------------------------------------------------------


@dataclass
class RoomRun:
    """What one clean-room run gave back: results by call index, and why it stopped early (the
    learner's doing; the grader's own failures raise GraderFailure instead)."""

    results: dict
    stopped: str = ""  # '' when every call was answered; else a learner-facing reason
    seconds: float = 0.0
    cell_errors: dict = field(default_factory=dict)  # cell number -> how that cell failed


def run_calls(
    sources: Sequence[str],
    calls: Sequence,
    *,
    timeout: float = TIMEOUT_SECONDS,
    limits: Limits = CLEANROOM_LIMITS,
    steps: Sequence[dict] | None = None,
    cell_limits: Mapping[str, float] | None = None,
) -> RoomRun:
    """Run ``calls`` against the learner's code in one sandbox; results as CallResults.

    ``steps`` is the program (see :mod:`isolation.cleanroom_harness`): cells and, where the
    test cells stand, ranges of ``calls``. Without it, the ``sources`` run as cells 1, 2, ...
    and then every call is made. ``cell_limits`` overrides the harness's time limits
    (``call_seconds``, ``cell_seconds``, ``cells_seconds``, ``short_cell_seconds``,
    in seconds of own time). The whole run may take ``timeout`` seconds of its own time, and
    ``limits.cpu_seconds`` of CPU time (RLIMIT_CPU); its wall clock, ``backstop(timeout)``, is
    only a backstop. A run stopped by its own time or its CPU time is the learner's doing
    (``stopped``); one stopped by the backstop first was kept waiting for a CPU, and
    GraderFailure is raised. So it is when the process ended before it ran any of the
    learner's code.

    The process is forked from the warm zygote (:func:`isolation.forkserver.run_script`: numpy is
    already imported, and the reference package is hidden); if the zygote cannot be used, a
    sandbox of its own is started instead (:func:`autograder.isolation.sandbox.run_sandboxed`).
    """
    from autograder.isolation import forkserver

    if steps is None:
        steps = [{"cell": number, "source": source} for number, source in enumerate(sources, 1)]
        steps.append({"calls": [0, len(calls)]})
    program = {"steps": list(steps), "limits": dict(cell_limits or {})}
    try:
        return _run_calls(program, calls, timeout, limits, forked=True)
    except forkserver.ZygoteError:
        return _run_calls(program, calls, timeout, limits, forked=False)


def _run_calls(program, calls, timeout: float, limits: Limits, *, forked: bool) -> RoomRun:
    from autograder.isolation import forkserver

    if not isinstance(program, dict):  # a list of sources, as run_calls takes them
        program = {"steps": [*({"cell": n, "source": s} for n, s in enumerate(program, 1)),
                             {"calls": [0, len(calls)]}]}
    folder = (forkserver.scratch_folder("cleanroom-") if forked
              else Path(tempfile.mkdtemp(prefix="cleanroom-")))
    try:
        (folder / "learner.json").write_text(json.dumps(program), encoding="utf-8")
        (folder / "calls.npz").write_bytes(encode_calls(calls))
        shutil.copyfile(cleanroom_harness.__file__, folder / "harness.py")
        shutil.copyfile(_wire_file(), folder / "wire.py")
        for path in folder.iterdir():
            path.chmod(0o644)
        folder.chmod(0o755)
        if forked:
            run = forkserver.run_script(
                f"{INSIDE}/harness.py", [INSIDE], folder=folder, inside=INSIDE,
                timeout=backstop(timeout), limits=limits, max_output=MAX_RESULT_BYTES,
                own_limit=timeout,
            )
        else:
            run = run_sandboxed(
                [sys.executable, "-I", f"{INSIDE}/harness.py", INSIDE],
                timeout=backstop(timeout),
                max_output=MAX_RESULT_BYTES,
                scratch=None,
                ro_binds=[(folder, INSIDE)],
                limits=limits,
                own_limit=timeout,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results, progress = _decode(run.stdout, calls)
    stopped = ""
    if len(results) < len(calls):
        where = ""
        if progress.cell is not None:
            where = (f" after cell {progress.cell}, while a test cell's calls were made"
                     if progress.answered_since else f" in cell {progress.cell}")
        if run.timed_out:
            if run.usage is None or not learners(run.usage, timeout):
                raise GraderFailure(
                    f"the machine was too busy: the clean room had not finished after "
                    f"{run.seconds:.0f} s" + (f", having had {run.usage.cpu:.1f} s of CPU"
                                              if run.usage is not None else ""))
            stopped = f"your code ran longer than {timeout:g} s in all{where}"
        elif run.output_exceeded:
            stopped = f"your code wrote too much output{where}"
        elif not run.stdout:  # not even the first frame: no learner code had run yet
            raise GraderFailure(f"the clean room's process ended before it ran anything "
                                f"(exit status {run.returncode})")
        elif run.usage is not None and run.usage.cpu >= limits.cpu_seconds - 1:
            stopped = (f"your code used up the {limits.cpu_seconds} s of computing time the "
                       f"whole re-check may take{where}")
        elif run.returncode == cleanroom_harness.IGNORED_STOP_STATUS:
            stopped = (f"your code went on after it was stopped for running longer than "
                       f"its limit{where}")
        else:
            stopped = f"your code ended the process (exit status {run.returncode}){where}"
    return RoomRun(results, stopped, run.seconds, progress.errors)


def new_seed() -> int:
    """A seed from os.urandom: inputs nobody can know before grading."""
    return int.from_bytes(os.urandom(16), "big")


def check_rng(seed: int, grade_id: str) -> np.random.Generator:
    """The inputs of one check in one run: the same for every student of the run (so their
    answers can be compared), another for every check."""
    return np.random.default_rng([seed, zlib.crc32(grade_id.encode())])


def cleanroom_scores(
    notebook: Path | nbformat.NotebookNode,
    checks: Mapping,
    *,
    seed: int | None = None,
    catalogue: Sequence = (),
    timeout: float = TIMEOUT_SECONDS,
    limits: Limits = CLEANROOM_LIMITS,
    cell_limits: Mapping[str, float] | None = None,
    skip: frozenset[str] = frozenset(),
) -> dict[str, Outcome]:
    """Judge every check of ``checks`` (grade_id -> solutions.checking.Check) on the notebook's
    code, with inputs drawn from ``seed`` (default: a new one).

    One sandbox runs the notebook's cells and all calls, each check's calls where its test cell
    stands (a check whose test cell is missing: at the end; cells after the last calls cannot
    change an answer and are left out, and so are the release's display cells the learner left
    unchanged, ``skip``: see :func:`display_cells`); ``solutions.checking.judge`` judges them
    here, outside, naming the mistake of ``catalogue`` that explains a failure. A notebook that
    cannot be read fails every check with a message saying so.
    """
    from solutions.checking import GraderError, judge

    seed = new_seed() if seed is None else seed
    try:
        cells = learner_steps(notebook, skip)
    except Exception as error:  # noqa: BLE001 - an unreadable notebook earns nothing here
        message = f"The notebook could not be read for re-checking: {type(error).__name__}."
        return {grade_id: Outcome(False, message) for grade_id in checks}
    try:
        plan = [(grade_id, check.calls(check_rng(seed, grade_id)))
                for grade_id, check in checks.items()]
    except Exception as error:  # the checks' own failure, not the learner's
        raise GraderError(f"a check could not make its calls: {type(error).__name__}: "
                          f"{error}") from None
    all_calls = [call for _, calls in plan for call in calls]
    ranges, start = {}, 0
    for grade_id, calls in plan:
        ranges[grade_id] = [start, start + len(calls)]
        start += len(calls)
    steps = []
    for step in cells:
        if "cell" in step:
            steps.append(step)
        elif step["test"] in ranges:
            steps.append({"calls": ranges.pop(step["test"])})
    steps += [{"calls": calls} for calls in ranges.values()]
    while steps and "cell" in steps[-1]:
        steps.pop()  # cells after the last test cell cannot change an answer: not run
    # A busy machine cannot stop an honest run: its limits count CPU time, and a wall-clock
    # backstop that passes while the machine kept it waiting raises GraderFailure (the
    # submission is graded again), so a run that stopped early is the learner's doing.
    run = run_calls([], all_calls, timeout=timeout, limits=limits, steps=steps,
                    cell_limits=cell_limits)

    outcomes: dict[str, Outcome] = {}
    start = 0
    for grade_id, calls in plan:
        indices = range(start, start + len(calls))
        start += len(calls)
        check = checks[grade_id]
        if any(i not in run.results for i in indices):
            outcomes[grade_id] = Outcome(
                False,
                f"{check.function} could not be re-checked on its own: {run.stopped}, "
                "before this test's calls were answered.",
            )
            continue
        try:
            message = judge(check, calls, [run.results[i] for i in indices], catalogue)
        except Exception as error:  # the check's own failure: never a score, never a pass
            raise GraderError(f"the check {grade_id} could not judge the clean room's results: "
                              f"{type(error).__name__}: {error}") from None
        if message:
            message = _with_cell_error(message, check.function, cells, run.cell_errors)
        outcomes[grade_id] = Outcome(message is None, message or "", check.function,
                                     *_observed(calls, [run.results[i] for i in indices],
                                                shown=message is not None))
    return outcomes


def _observed(calls: Sequence, results: Sequence, *, shown: bool) -> tuple[tuple, tuple, tuple]:
    """Digests of the calls and of the values they returned, and (``shown``) each call with its
    value in a short printable form: what similarity compares (never a learner object)."""
    from autograder import similarity

    digests, values, texts = [], [], []
    for call, result in zip(calls, results, strict=True):
        try:
            value = similarity.value_digest(result.value if result.error is None else None)
            entry = (similarity.call_digest(call), value,
                     similarity.shown(call, result.value) if shown and value else "")
        except Exception:  # noqa: BLE001 - no evidence from a value that cannot be read
            entry = ("", "", "")
        digests.append(entry[0])
        values.append(entry[1])
        texts.append(entry[2])
    return tuple(digests), tuple(values), tuple(texts) if shown else ()


def _with_cell_error(message: str, function: str, cells: Sequence[dict],
                     errors: Mapping[int, str]) -> str:
    """The message, with the failure of the cell that most likely explains it: a cell that
    failed and defines `function` (or a name the message says is not defined), else, when
    `function` itself was missing, one that names it. What the learner needs when code that ran
    in the notebook did not run here."""
    failed = [step for step in cells if step.get("cell") in errors]
    if not failed:
        return message
    names = [function, *re.findall(r"name '(\w+)' is not defined", message)]
    defining = [step for step in failed for name in names if _defines(step["source"], name)]
    naming = [step for step in failed if re.search(rf"\b{re.escape(function)}\b", step["source"])]
    if not message.startswith(f"{function} is not defined"):
        naming = []
    if not (defining or naming):
        return message
    number = (defining or naming)[0]["cell"]
    what = errors[number]
    if message.startswith(f"{function} is not defined"):
        return f"{function} was not defined: cell {number} {what}."
    return f"{message} (Cell {number} {what}.)"


def _defines(source: str, name: str) -> bool:
    name = re.escape(name)
    return re.search(rf"(def|class)\s+{name}\b|^\s*{name}\s*=|import\b.*\b{name}\b", source,
                     re.MULTILINE) is not None


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


RERUN_MESSAGE = "Passed in your notebook, but not when re-run on its own with new inputs: "


class Found(dict):
    """What :func:`notebook_caps` returns: a dict of caps, grade_id -> (points, reason, message),
    and in ``outcomes`` the clean room's verdict on every grade cell it re-checked."""

    def __init__(self, caps=(), outcomes: Mapping[str, Outcome] | None = None):
        super().__init__(caps)
        self.outcomes = dict(outcomes or {})


def notebook_caps(notebook: nbformat.NotebookNode, checks: Mapping, *,
                  cell_seconds: float = CELL_SECONDS, seed: int | None = None,
                  catalogue: Sequence = (), skip: frozenset[str] = frozenset()) -> Found:
    """The pipeline's ``Caps`` hook: for each grade cell that fails in the clean room, (0 points,
    the status reason, the learner's feedback message), with every cell's Outcome in
    ``.outcomes``. Cells that pass, or that have no check, are not capped.

    The status reason names the function and its failing tests, never a value (the status is
    shown at once, a hidden test's message only once the instructor publishes it); the
    feedback message of each test says the call and what went wrong.

    ``checks`` is the assignment's table; ``seed`` draws the inputs (see :func:`check_rng`);
    ``catalogue`` names known mistakes; ``skip`` are the release's display cells.
    ``cell_seconds`` is how long a cell, and each call, may run: the kernel's per-cell limit,
    so that a cell or a call which finished in the kernel finishes here too. The cells' budget
    and the bound on the whole run grow with it.

    Needs the sandbox (raises RuntimeError where it cannot start: do not pass this hook then).
    """
    from autograder.isolation.sandbox import sandbox_problem

    problem = sandbox_problem()
    if problem is not None:
        raise RuntimeError(f"The clean room needs the sandbox: {problem}")
    # Sanitised notebooks may carry plain dicts as metadata: read it with .get only.
    meta = [cell.get("metadata", {}).get("nbgrader", {}) for cell in notebook.cells]
    graded = [m.get("grade_id") for m in meta if m.get("grade")]
    grade_ids = {grade_id for grade_id in graded if grade_id in checks}
    if not grade_ids:
        return Found()  # nothing here the clean room knows how to re-check
    cells_seconds = max(CELLS_SECONDS, 2 * cell_seconds)
    limits = {"call_seconds": cell_seconds, "cell_seconds": cell_seconds,
              "cells_seconds": cells_seconds}
    # The whole run: room for one call of each function to use its limit (an endless loop in
    # one function costs only that function, as in the kernel), beside the cells' budget.
    functions = {checks[g].function for g in grade_ids}
    timeout = (TIMEOUT_SECONDS + (cells_seconds - CELLS_SECONDS)
               + len(functions) * cell_seconds)
    cpu = dataclasses.replace(CLEANROOM_LIMITS,
                              cpu_seconds=math.ceil(timeout) + CPU_MARGIN_SECONDS)
    outcomes = cleanroom_scores(notebook, {g: checks[g] for g in checks if g in grade_ids},
                                seed=seed, catalogue=catalogue, timeout=timeout, limits=cpu,
                                cell_limits=limits, skip=skip)
    failed = [grade_id for grade_id, outcome in outcomes.items() if not outcome.passed]
    by_function: dict[str, list[str]] = {}
    for grade_id in failed:
        by_function.setdefault(checks[grade_id].function, []).append(grade_id)
    caps = {}
    for function, tests in by_function.items():
        reason = (f"{function} lost points when re-run on its own "
                  f"({', '.join(tests)}: see the feedback)")
        for grade_id in tests:
            caps[grade_id] = (0.0, reason, RERUN_MESSAGE + outcomes[grade_id].message)
    return Found(caps, outcomes)


def caps_hook(assignment, release: Path, cell_seconds: float, seed: int):
    """The grading's ``Caps`` hook for a course.Assignment: :func:`notebook_caps` with its
    checks and catalogue, its ``release`` notebook's display cells skipped, cells allowed
    ``cell_seconds`` (the kernel's --timeout) and the run's ``seed``, wherever the sandbox can
    start; None where it cannot, or where the assignment has no checks."""

    from autograder.isolation.sandbox import sandbox_problem

    checks = assignment.checks()
    if sandbox_problem() is not None or not checks:
        return None
    return functools.partial(notebook_caps, checks=checks, cell_seconds=cell_seconds,
                             seed=seed, catalogue=assignment.catalogue(),
                             skip=display_cells(release))


def _wire_file() -> str:
    from solutions import wire

    return wire.__file__
