"""Grade ONE submission: repair -> sanitize -> sandboxed run -> clean room -> scores -> feedback.

Plain data in (:class:`Course`, :class:`Work`), plain data out (:class:`Graded`): no gradebook
write, no workspace write, nothing kept between two calls but the course's read-only kit. The
local thread pool and a Dask worker (:mod:`autograder.runners.dask`) both call
:func:`grade_submission`; the coordinator (:mod:`autograder.pipeline`) writes what comes back.

A worker process builds the course's kit once (:func:`kit`): the course's files written to a
private folder and an nbgrader workspace built there, whose gradebook only sanitize reads (the
source cells that replace a learner's copy of a test), plus a sandboxed kernel factory (the
process's own zygote).
"""

from __future__ import annotations

import dataclasses
import os
import socket
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import analytics, feedback
from . import course as courses
from .cleanroom import display_cells
from .execute import Limits, execute
from .gradebook import autograde
from .isolation.usage import GraderFailure
from .messages import Mistakes, outcomes
from .notebook import Assignment, NotANotebook, first_line, parse_notebook
from .repair import NotGradable, Release, repair
from .sanitize import SanitizeError, sanitize

COURSE_FILES = ("nbgrader_config.py",)  # besides source/<assignment>/


class WrongReference(Exception):
    """This process's reference package is not the coordinator's: it must grade nothing."""


class EnvironmentFailure(Exception):
    """Grading failed for a reason that cannot be the learner's: a hidden test could not import
    the reference or its check raised, or a read-only cell of the release could not import a
    package. The student gets an ``error: ... (run again to retry)`` row, never a score."""


# What a hidden test cell, or a read-only cell of the release, can raise only when the grading
# environment is wrong (learner code's own errors are caught by the checks and become results).
ENVIRONMENT_ERRORS = ("GraderError",)
IMPORT_ERRORS = ("ModuleNotFoundError", "ImportError")


def environment_problem(nb, a: Assignment) -> str | None:
    """What in the executed notebook shows the grading environment at fault, or None: a hidden
    test cell that raised GraderError or could not import the reference package, or a read-only
    cell (the release's set-up) that could not import a package."""
    hidden = {c.grade_id for c in a.grade_cells if c.hidden}
    for number, cell in enumerate(nb.cells, start=1):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        meta = meta if isinstance(meta, dict) else {}
        read_only = meta.get("locked") and not meta.get("solution") and not meta.get("grade")
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            ename, evalue = str(out.get("ename", "")), " ".join(str(out.get("evalue", "")).split())
            if meta.get("grade_id") in hidden and (
                    ename in ENVIRONMENT_ERRORS
                    or (ename in IMPORT_ERRORS and "solutions" in evalue)):
                return f"cell {number} ({meta['grade_id']}): {ename}: {evalue}"
            if read_only and ename in IMPORT_ERRORS:
                return f"cell {number} (read-only set-up): {ename}: {evalue}"
    return None


@dataclass(frozen=True)
class Course:
    """The course as plain data: its files (path -> bytes), a hash of everything that decides
    a grade (course.digest), and the hash of the assignment's solutions package, which a worker
    checks its own against (it imports its own, which must be the same)."""

    files: dict[str, bytes]
    digest: str
    assignment: str
    notebook: str
    solutions: str = ""  # course.solutions_digest of the coordinator's package

    @classmethod
    def from_folder(cls, folder: Path, assignment: str, notebook: str, digest: str,
                    solutions: str = "") -> Course:
        folder = Path(folder)
        paths = [folder / name for name in COURSE_FILES]
        paths += sorted(p for p in (folder / "source" / assignment).rglob("*") if p.is_file())
        files = {str(p.relative_to(folder)): p.read_bytes() for p in paths if p.exists()}
        return cls(files, digest, assignment, notebook, solutions)


@dataclass(frozen=True)
class Work:
    """One submission to grade."""

    student_id: str
    content: bytes
    note: str | None = None  # collect's note on which file was graded (for the status)
    learner_note: str | None = None  # the same note, worded for the learner


@dataclass(frozen=True)
class Options:
    limits: Limits
    clean_room: bool = True  # re-check every grade cell in the clean room
    unsafe: bool = False  # run learner code unsandboxed where the sandbox cannot start
    seed: int = 0  # the clean room's inputs (cleanroom.check_rng): one per workspace


@dataclass
class Graded:
    """What grading one submission gave, as plain data (what crosses back from a worker)."""

    student_id: str
    status: str
    autograde: dict[str, dict] | None  # gradebook.autograde's per-cell data; None: not gradable
    caps: dict[str, float] = field(default_factory=dict)
    cap_reasons: dict[str, str] = field(default_factory=dict)
    cap_messages: dict[str, str] = field(default_factory=dict)
    notebook: str | None = None  # the autograded notebook, nbformat JSON
    notes: list[str] = field(default_factory=list)
    points: dict[str, float] = field(default_factory=dict)  # auto points after the caps
    feedback_html: str = ""
    results_json: str = ""
    mistakes: dict = field(default_factory=dict)
    ran_on: str = ""  # host:pid of the process that graded it
    error: str | None = None  # a grading failure that is not the learner's doing
    similarity: dict | None = None  # similarity.Evidence as plain data (None: not gradable)


@dataclass
class Kit:
    """A process's read-only means to grade one course's submissions."""

    assignment: Assignment
    release: Release
    db_url: str
    config: object
    factory: object  # kernel manager factory (None: unsandboxed, only with --unsafe)
    caps: object  # the clean room's hook, or None
    title: str = ""  # the assignment's, from its manifest
    mistakes: Mistakes = Mistakes()  # its known mistakes, for the learner's messages
    display: frozenset[str] = frozenset()  # the release's display cells (not run)


_kits: dict[tuple, Kit] = {}
_kits_lock = threading.Lock()
_sanitize_lock = threading.Lock()  # nbgrader's preprocessors are patched per process


def register_kit(course: Course, options: Options, kit_: Kit) -> None:
    """Use `kit_` for `course` in this process (the coordinator's own workspace, when local)."""
    with _kits_lock:
        _kits[(course.digest, options.unsafe)] = kit_


def kit(course: Course, options: Options) -> Kit:
    """This process's kit for `course`, built on first use (a worker's private workspace)."""
    key = (course.digest, options.unsafe)
    with _kits_lock:
        found = _kits.get(key)
        if found is None:
            found = _kits[key] = _build_kit(course, options)
        return found


def _build_kit(course: Course, options: Options) -> Kit:
    from .isolation import kernels
    from .workspace import Workspace

    a = courses.installed(course.assignment)
    if course.solutions and courses.solutions_digest(a) != course.solutions:
        raise WrongReference(
            f"this worker's reference package ({a.package}) is not the coordinator's: its "
            f"solutions/{course.assignment} or shared checking code differs. Give it the same "
            "checkout as the coordinator.")

    folder = Path(tempfile.mkdtemp(prefix=f"autograder-course-{course.digest[:12]}-"))
    for relpath, data in course.files.items():
        target = folder / "course" / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    ws = Workspace(folder / "workspace", folder / "course", assignment=course.assignment)
    ws.prepare()
    factory = kernels.kernel_manager_factory(workspace=ws.root, unsafe=options.unsafe)
    return Kit(Assignment.load(ws.root / "source" / course.assignment / course.notebook,
                               ws.release_notebook),
               Release.load(ws.release_notebook), ws.db_url, ws.config, factory,
               caps_for(a, ws.release_notebook, options), a.title, Mistakes.of(a),
               display_cells(ws.release_notebook))


def caps_for(a: courses.Assignment, release: Path, options: Options):
    """The clean room's hook for this assignment and these options (None: no clean room)."""
    from . import cleanroom

    if not options.clean_room:
        return None
    return cleanroom.caps_hook(a, release, options.limits.timeout, options.seed)


def grade_submission(course: Course, work: Work, options: Options,
                     cancel: threading.Event | None = None) -> Graded:
    """Grade one submission; never raises for anything the learner did. A failure of the
    grader's own (GraderFailure: a sandbox that did not start, a machine too busy to run the
    learner's code within the backstops...) is never the learner's: the submission is graded
    again, and a second failure is raised (the student's row then says "error: ... (run again
    to retry)"). EnvironmentFailure: the grading environment is at fault (a check that cannot
    import or raises); WrongReference: this process's reference package is not the course's."""
    try:
        return _grade(course, work, options, cancel)
    except GraderFailure:
        return _grade(course, work, options, cancel)


def _grade(course: Course, work: Work, options: Options,
           cancel: threading.Event | None) -> Graded:
    k = kit(course, options)
    a = k.assignment
    ran_on = f"{socket.gethostname()}:{os.getpid()}"
    try:
        fixed = repair(parse_notebook(work.content), k.release)
        nb = fixed.notebook
        code = _code_evidence(nb, k.release)  # before sanitize puts the hidden tests in
        with _sanitize_lock:
            notes = fixed.notes + sanitize(nb, a, k.db_url, work.student_id, k.config)
    except (NotANotebook, NotGradable) as error:
        return not_gradable(work, k, str(error), ran_on)
    except SanitizeError as error:
        return not_gradable(
            work, k, f"not gradable: nbgrader rejected the cell metadata ({error})", ran_on)
    except SystemError as error:  # the interpreter's failure, not the notebook's
        raise GraderFailure(f"{type(error).__name__}: {first_line(error)}") from error
    except MemoryError:  # the grading process's own trouble: no grade
        raise
    except Exception as error:  # one unreadable notebook never stops the batch
        return not_gradable(
            work, k, f"not gradable: {type(error).__name__}: {first_line(error)}", ran_on)
    with tempfile.TemporaryDirectory(prefix="autograder-") as scratch:
        result = execute(nb, functions=a.functions, cwd=Path(scratch), limits=options.limits,
                         kernel_manager_factory=k.factory, cancel=cancel, skip=k.display)
    problem = environment_problem(result.notebook, a)
    if problem is not None:
        raise EnvironmentFailure(f"the grading environment failed in {problem}")
    from solutions.checking import GraderError

    try:
        found_caps = k.caps(result.notebook) if k.caps is not None else {}
    except GraderError as error:
        raise EnvironmentFailure(f"the grading environment failed in the clean room: "
                                 f"GraderError: {error}") from None
    executed, auto = autograde(result.notebook, k.config)
    caps = {g: float(cap[0]) for g, cap in found_caps.items()}
    points, lowered = _points(a, auto, caps)
    reasons = list(dict.fromkeys(found_caps[g][1] for g in lowered))
    repaired = [fixed.status] if fixed.status else []
    status, notes = noted("; ".join(result.problems + reasons + repaired) or "graded", notes,
                          work)
    graded = Graded(work.student_id, status, auto, caps,
                    {g: found_caps[g][1] for g in found_caps},
                    {g: found_caps[g][-1] for g in found_caps},
                    _writes(executed), notes, points, ran_on=ran_on)
    graded = finish(graded, k, executed, lowered)
    graded.similarity = _evidence(work.student_id, code, getattr(found_caps, "outcomes", None),
                                  graded.mistakes)
    return graded


def _code_evidence(nb, release: Release) -> dict | None:
    from . import similarity

    try:
        return similarity.code_evidence(nb, release)
    except Exception:  # noqa: BLE001 - similarity never stops a grade
        return None


def _evidence(student_id: str, code: dict | None, outcomes, mistakes) -> dict | None:
    from . import similarity

    try:
        return similarity.evidence(student_id, code, outcomes, mistakes).as_dict()
    except Exception:  # noqa: BLE001 - similarity never stops a grade
        return None


def finish(graded: Graded, k: Kit, executed, lowered: list[str]) -> Graded:
    """Fill in the learner's feedback, results.json and mistakes from `graded`'s status, notes
    and points (again, when the gradebook holds an instructor's manual grade)."""
    from .cleanroom import RERUN_MESSAGE

    a = k.assignment
    score = sum(graded.points.get(c.grade_id, 0.0) for c in a.grade_cells)
    # A test the clean room took points from says so; a hidden test that failed in the kernel
    # and in the clean room is explained by the clean room: its message, and the known mistake
    # it names, were worked out outside the sandbox, from values the learner's code returned
    # there (the kernel's text could be forged by the learner's code).
    messages = {g: graded.cap_messages[g] for g in lowered if g in graded.cap_messages}
    for cell in a.grade_cells:
        message = graded.cap_messages.get(cell.grade_id)
        if message and cell.hidden and cell.grade_id not in lowered:
            # As the kernel shows it: its hidden test raises AssertionError with this message.
            messages[cell.grade_id] = "AssertionError: " + message.removeprefix(RERUN_MESSAGE)
    found = [_diagnosed(o, graded.cap_messages, lowered, k.mistakes)
             for o in outcomes(executed, a, graded.points, messages, k.mistakes)]
    graded.feedback_html = feedback.html(graded.student_id, graded.status, score, a.max_score,
                                         found, graded.notes, k.title, k.mistakes)
    graded.results_json = feedback.gradescope(graded.status, score, found, graded.notes)
    graded.mistakes = analytics.mistakes_of(found, k.mistakes)
    return graded


def _diagnosed(outcome, cap_messages: dict[str, str], lowered: list[str],
               mistakes: Mistakes):
    """A visible test that failed in the kernel and in the clean room keeps the kernel's message
    (the first call the learner saw fail); when that message names no known mistake and the
    clean room found one (outside the sandbox, on the printed inputs and fresh ones of the same
    kinds), the mistake is added to it: solutions.checking.annotate_visible reads a visible
    test's own message only where it says which value was wrong, not where a call raised."""
    grade_id = outcome.cell.grade_id
    room = cap_messages.get(grade_id)
    if not outcome.message or outcome.cell.hidden or grade_id in lowered or not room:
        return outcome
    known = mistakes.read(room)
    if known is None or mistakes.read(outcome.message) is not None:
        return outcome
    from solutions.checking import MARK, SEPARATOR

    _, name, hint = known
    message = outcome.message.rstrip()
    end = "" if message.endswith((".", "!", "?")) else "."
    return dataclasses.replace(outcome, message=f"{message}{end} {MARK}{name}{SEPARATOR}{hint}")


def noted(status: str, notes: list[str], work: Work) -> tuple[str, list[str]]:
    """The status and the learner's notes, with collect's note on which file was graded."""
    if not work.note:
        return status, notes
    return f"{status}; {work.note}", [*notes, work.learner_note or work.note]


def _points(a: Assignment, auto: dict[str, dict], caps: dict[str, float]):
    points, lowered = {}, []
    for cell in a.grade_cells:
        score = auto.get(cell.grade_id, {}).get("auto_score")
        score = float(score or 0.0)
        cap = caps.get(cell.grade_id)
        if cap is not None and score > cap:
            score = cap
            lowered.append(cell.grade_id)
        points[cell.grade_id] = score
    return points, lowered


def not_gradable(work: Work, k: Kit, status: str, ran_on: str = "") -> Graded:
    """Every grade cell scores 0 (as nbgrader gives a notebook it cannot grade)."""
    status, notes = noted(status, [], work)
    graded = Graded(work.student_id, status, None, notes=notes,
                    points={c.grade_id: 0.0 for c in k.assignment.grade_cells}, ran_on=ran_on)
    return finish(graded, k, None, [])


def _writes(nb) -> str:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat's notes on cell ids it normalised
        return nbformat.writes(nb)
