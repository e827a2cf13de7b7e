"""Stage 1: find the submissions in what the instructor handed over.

SUBMISSIONS may be

- a folder in nbgrader's layout,
  ``<student_id>/activation_derivatives/activation_derivatives.ipynb``
  (an nbgrader course root is accepted too: its ``submitted/`` folder is used);
- a folder of files ``<student_id>.ipynb``, as an LMS download gives them;
- a zip of either (a zip holding one top folder is looked into).

Every student found gives exactly one `Submission`. A student whose notebook cannot be graded
(wrong file name, too large, bad student id) still gets one, with `problem` saying why, so that
the student gets a row in grades.csv. Files are read into memory; nothing from a zip is
extracted to disk, so paths inside a zip can never escape anywhere.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ASSIGNMENT = "activation_derivatives"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
# A real submission of this assignment is well under 1 MB; anything this large is not one.
MAX_NOTEBOOK_BYTES = 20 * 2**20
STUDENT_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,99}")
# Folders that archivers and Jupyter add and that never hold submissions.
IGNORED_NAMES = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}


class CollectError(Exception):
    """SUBMISSIONS is not something the autograder can read (an instructor's mistake)."""


@dataclass(frozen=True)
class Submission:
    """One student's submission as found, before any parsing."""

    student_id: str
    content: bytes | None  # the notebook file's bytes; None when there is nothing to grade
    problem: str | None  # why it cannot be graded; None when `content` should be graded
    origin: str  # where it was found, for messages

    @property
    def sha256(self) -> str:
        """Content hash: a re-run grades this student again only when it changes."""
        data = self.content if self.content is not None else (self.problem or "").encode()
        return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class _Entry:
    size: int
    read: Callable[[], bytes]


def collect(path: Path) -> list[Submission]:
    """All submissions in `path` (folder or zip), sorted by student id."""
    path = Path(path)
    if not path.exists():
        raise CollectError(f"{path} does not exist: give the folder or zip of submissions.")
    if path.is_dir():
        entries = _folder_entries(path)
    elif zipfile.is_zipfile(path):
        entries = _zip_entries(path)
    else:
        raise CollectError(
            f"{path} is neither a folder nor a zip file: give the folder or zip of submissions."
        )
    return _find_submissions(entries, str(path))


def _visible(parts: tuple[str, ...]) -> bool:
    return not any(p.startswith(".") or p in IGNORED_NAMES for p in parts)


def _folder_entries(root: Path) -> dict[tuple[str, ...], _Entry]:
    entries = {}
    for file in root.rglob("*"):
        parts = file.relative_to(root).parts
        if file.is_file() and _visible(parts):
            entries[parts] = _Entry(file.stat().st_size, file.read_bytes)
    return entries


def _zip_entries(archive: Path) -> dict[tuple[str, ...], _Entry]:
    try:
        zf = zipfile.ZipFile(archive)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise CollectError(f"{archive} is not a readable zip file ({error}).") from None
    entries = {}
    for info in infos:
        parts = tuple(p for p in PurePosixPath(info.filename).parts if p not in ("", "/", ".."))
        if info.is_dir() or not parts or not _visible(parts):
            continue
        entries[parts] = _Entry(info.file_size, lambda info=info: zf.read(info))
    return entries


def _find_submissions(entries: dict[tuple[str, ...], _Entry], where: str) -> list[Submission]:
    for _ in range(3):  # look through at most a few wrapping folders (zip of a folder, course root)
        tops = {parts[0] for parts in entries if len(parts) > 1}
        if any(len(p) >= 3 and p[1] == ASSIGNMENT for p in entries):
            return _nbgrader_layout(entries, where)
        if any(len(p) == 1 and p[0].endswith(".ipynb") for p in entries):
            return _flat_layout(entries, where)
        if "submitted" in tops and ("nbgrader_config.py",) in entries:
            entries = {p[1:]: e for p, e in entries.items() if p[0] == "submitted"}
        elif len(tops) == 1 and not any(len(p) == 1 for p in entries):
            entries = {p[1:]: e for p, e in entries.items()}
        else:
            break
    raise CollectError(
        f"{where} holds no submissions: expected <student_id>/{ASSIGNMENT}/{NOTEBOOK} "
        f"(nbgrader's layout) or <student_id>.ipynb files (an LMS download)."
    )


def _nbgrader_layout(entries: dict[tuple[str, ...], _Entry], where: str) -> list[Submission]:
    students: dict[str, dict[tuple[str, ...], _Entry]] = {}
    for parts, entry in entries.items():
        if len(parts) > 1:
            students.setdefault(parts[0], {})[parts[1:]] = entry
    found = []
    for sid, files in sorted(students.items()):
        origin = f"{where}/{sid}"
        entry = files.get((ASSIGNMENT, NOTEBOOK))
        if entry is not None:
            found.append(_read(sid, entry, f"{origin}/{ASSIGNMENT}/{NOTEBOOK}"))
            continue
        notebooks = sorted("/".join(p[1:] if p[0] == ASSIGNMENT else p) for p in files
                           if p[-1].endswith(".ipynb"))
        if notebooks:
            problem = f"no {NOTEBOOK} (found {', '.join(notebooks[:3])})"
        elif not any(p[0] == ASSIGNMENT for p in files):
            folders = sorted({p[0] for p in files if len(p) > 1})
            seen = ", ".join(f + "/" for f in folders[:3])
            seen = f"found {seen}" if seen else "found no folder"
            problem = f"no {ASSIGNMENT} folder ({seen})"
        else:
            problem = f"no {NOTEBOOK} (found no notebook)"
        found.append(_problem(sid, problem, origin))
    return found


def _flat_layout(entries: dict[tuple[str, ...], _Entry], where: str) -> list[Submission]:
    found = []
    for parts, entry in sorted(entries.items()):
        if len(parts) == 1 and parts[0].endswith(".ipynb"):
            sid = parts[0][: -len(".ipynb")]
            found.append(_read(sid, entry, f"{where}/{parts[0]}"))
    return found


def _problem(sid: str, problem: str, origin: str) -> Submission:
    if not STUDENT_ID.fullmatch(sid):
        problem = "bad student id (use letters, digits and _ . @ + -)"
    return Submission(sid, None, problem, origin)


def _read(sid: str, entry: _Entry, origin: str) -> Submission:
    if not STUDENT_ID.fullmatch(sid):
        return _problem(sid, "", origin)
    if entry.size > MAX_NOTEBOOK_BYTES:
        size = f"{entry.size / 2**20:.0f} MB"
        limit = f"{MAX_NOTEBOOK_BYTES // 2**20} MB"
        return Submission(sid, None, f"not a notebook: the file is {size} (limit {limit})", origin)
    return Submission(sid, entry.read(), None, origin)
