"""Before a run grades anyone: prove the grading environment on the instructor's model answers.

The model answers (the source notebook's solution regions, typed into the release as a learner
would) are graded by the same unit, with the same options, sandbox, clean room and runner as the
class: in this process's thread pool, or on each Dask worker before it takes a submission. They
must get full marks. If they do not, the environment is wrong (a kernel that cannot import the
course's reference, a package missing, a check that raises, a machine too slow for --timeout)
and every grade it gave would be wrong too: nobody is graded, and :func:`explain` says why and
what to do.

A passed preflight is recorded in DIR/.autograder/preflight.json under a key made of the grades'
own key (everything that decides a grade) and the environment's identity (the Python, the
packages the kernel imports, the reference package's folder, the sandbox), and in this user's
cache (:func:`shared_folder`, one file per key), so an unchanged setup does not pay for it
twice: neither in the same DIR nor in another (a second --out for the same course, a class
graded in parts).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import nbformat

from .collect import Submission
from .unit import Work
from .workspace import MARKER, atomic_write

STUDENT_ID = "model-answers"  # what the unit grades them as (never a row of grades.csv)
PACKAGES = ("numpy", "matplotlib", "ipykernel", "jupyter_client", "nbclient", "nbgrader")


@dataclass(frozen=True)
class Verdict:
    """The preflight's outcome: passed, or why not (an instructor-facing sentence)."""

    passed: bool
    reason: str = ""


def model_answers(a, source: Path, release: Path) -> tuple[Submission, Work]:
    """The course.Assignment's model answers (the `source` notebook's solution regions, typed
    into the `release` notebook: the grading workspace's, which nbgrader built) as a submission
    to grade."""
    from . import submissions

    nb = submissions.make_submission(submissions.correct_answers(source), release=release)
    content = nbformat.writes(nb).encode()
    sub = Submission(STUDENT_ID, content, None, f"the model answers of {a.name}")
    return sub, Work(STUDENT_ID, content)


def environment() -> dict:
    """What identifies this grading environment, beyond what decides a grade."""
    from .isolation import sandbox

    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        reference = sandbox.reference_path()
    except ModuleNotFoundError:
        reference = None
    return {"python": sys.executable, "version": sys.version, "packages": versions,
            "reference": reference, "bwrap": sandbox.bubblewrap().describe()}


CACHE_ENV = "AUTOGRADER_CACHE_DIR"  # where the shared records go, if set


def shared_folder() -> Path:
    """This user's folder of passed preflights: $AUTOGRADER_CACHE_DIR, else
    $XDG_CACHE_HOME/autograder/preflight, else ~/.cache/autograder/preflight."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "autograder" / "preflight"


def _path(root: Path) -> Path:
    return Path(root) / MARKER / "preflight.json"


def _shared(key: dict) -> Path:
    name = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    return shared_folder() / f"{name}.json"


def _passed(path: Path, key: dict) -> str | None:
    """The record at ``path`` if it says the preflight passed under ``key``, else None."""
    try:
        text = path.read_text()
        record = json.loads(text)
    except (OSError, ValueError):
        return None
    return text if record.get("key") == key and record.get("passed") is True else None


def passed_before(root: Path, key: dict) -> bool:
    """Whether the preflight already passed under ``key``: in this workspace, or in another
    (this user's shared record; the workspace then gets its own copy)."""
    if _passed(_path(root), key) is not None:
        return True
    shared = _passed(_shared(key), key)
    if shared is None:
        return False
    try:
        atomic_write(_path(root), shared)
    except OSError:
        pass
    return True


def record(root: Path, key: dict, seconds: float) -> None:
    text = json.dumps({"key": key, "passed": True, "seconds": seconds}, indent=1)
    atomic_write(_path(root), text)
    try:  # a cache: a folder that cannot be written only costs the next run a preflight
        atomic_write(_shared(key), text)
    except OSError:
        pass


def judge(graded, error: BaseException | None, max_score: float, timeout: float) -> Verdict:
    """Whether the model answers' grading (a unit.Graded, or the error that ended it) shows a
    sound environment; if not, the cause and the fix."""
    if error is not None:
        text = str(error) or type(error).__name__
        return Verdict(False, f"the model answers could not be graded in this environment: "
                              f"{text}{_cause(text, '')}")
    score = sum(graded.points.values())
    if score >= max_score and graded.status == "graded":
        return Verdict(True)
    where = f"the model answers scored {score:g}/{max_score:g} in this environment"
    if "timed out" in graded.status or "stopped responding" in graded.status:
        return Verdict(False, f"{where}: they {graded.status} with --timeout {timeout:g}: this "
                              "machine is slower than the course expects; raise --timeout.")
    failed = _failures(graded)
    if not failed and graded.status.startswith("repaired"):
        return Verdict(False, f"{where}, but had to be repaired ({graded.status}): the release "
                              "notebook does not match the source one; run `make release`.")
    if not failed:
        return Verdict(False, f"{where} (status: {graded.status}).")
    grade_id, message = failed[0]
    more = f" and {len(failed) - 1} more" if len(failed) > 1 else ""
    return Verdict(False, f"{where}: {grade_id}{more} failed with {message}"
                          f"{_cause(message, graded.status)}")


def reason(graded, error: BaseException | None, *, max_score: float,
           timeout: float) -> str | None:
    """Why the model answers' grading fails the preflight, or None (what a Dask worker's check
    returns)."""
    verdict = judge(graded, error, max_score, timeout)
    return None if verdict.passed else verdict.reason


def _failures(graded) -> list[tuple[str, str]]:
    try:
        tests = json.loads(graded.results_json)["tests"]
    except (ValueError, KeyError, TypeError):
        return []
    return [(t["number"], " ".join(str(t["output"]).split())) for t in tests
            if t["status"] != "passed"]


def _cause(message: str, status: str) -> str:
    """The likely cause of a failure of the model answers, with its fix."""
    if "is not the coordinator's" in message:
        return ""  # the message says what to do
    if "GraderError" in message:
        return (" (a check of the course's solutions package raised: fix the assignment's "
                "checks.py, then grade again)")
    if "No module named 'solutions" in message:
        return (" (the kernel cannot import the course's solutions package: run grade with "
                "this course's own environment, or --course pointing at it)")
    if "No module named" in message:
        return (" (a package the notebook imports is missing in the grading environment: "
                "run `make setup`, or install it into the environment that grades)")
    if "re-run on its own" in message or "lost points when re-run" in status:
        return (" (the clean room failed them: the sandbox, the harness or the checks of this "
                "course disagree with the kernel)")
    return " (the model answers and the checks disagree: see solutions/ and the source notebook)"
