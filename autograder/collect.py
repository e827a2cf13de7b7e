"""Stage 1: find the submissions in what the instructor handed over.

SUBMISSIONS may be a folder or a zip (a zip holding one top folder is looked into) of

- nbgrader's layout, ``<student_id>/<assignment>/<assignment>.ipynb``
  (an nbgrader course root is accepted too: its ``submitted/`` folder is used);
- files ``<student_id>.ipynb`` (a notebook in a subfolder counts too: ``late/<student_id>.ipynb``,
  or ``<student_id>/<assignment>.ipynb``);
- a folder per student holding the notebook, ``<student_id>/<assignment>.ipynb``;
- an LMS's "download all submissions" (Canvas, Moodle, Blackboard), named as that LMS names
  them: autograder.lms reads those names and the roster.

Every student found gives exactly one `Submission`. For each student the notebook graded is, in
this order: from their latest attempt (Blackboard) or latest upload of a file (Canvas ``-N``),
the one named ``<assignment>.ipynb`` (``<student_id>.ipynb`` in a folder of files);
else their one notebook that holds this assignment by its content (it defines the assignment's
functions or carries its nbgrader grade_ids; see `Fingerprint`), with a note saying so. A
student whose notebook cannot be graded (none found, too large, bad student id) still gets a
`Submission`, with `problem` saying why, so that the student gets a row in grades.csv.

Every other file of the download is listed in `Collection.unused` with its reason (a receipt,
an older attempt, a second notebook, not a notebook, a hidden or system file): nothing is
dropped silently. A roster (`lms.read_roster`) maps the ids found to the course's student ids.

Files are read into memory; nothing from a zip is extracted to disk, so paths inside a zip can
never escape anywhere.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import json
import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import lms
from .lms import STUDENT_ID

# A real submission of this assignment is well under 1 MB; anything this large is not one.
MAX_NOTEBOOK_BYTES = 20 * 2**20
# Folders that archivers and Jupyter add and that never hold submissions, with the reason that
# the list of unused files gives.
IGNORED_NAMES = {
    "__MACOSX": "macOS archive metadata (__MACOSX)",
    ".ipynb_checkpoints": "Jupyter checkpoint (.ipynb_checkpoints)",
    "__pycache__": "Python cache (__pycache__)",
}
HIDDEN_REASONS = {*IGNORED_NAMES.values(), "hidden file", "in a hidden folder"}
UNUSED_COLUMNS = ["path", "student_id", "reason"]

class CollectError(Exception):
    """SUBMISSIONS is not something the autograder can read (an instructor's mistake)."""


@dataclass(frozen=True)
class Submission:
    """One student's submission as found, before any parsing."""

    student_id: str
    content: bytes | None  # the notebook file's bytes; None when there is nothing to grade
    problem: str | None  # why it cannot be graded; None when `content` should be graded
    origin: str  # where it was found, for messages
    # Said to the learner and in grades.csv: which notebook was graded when that was not
    # obvious ("graded under another name (hw.ipynb)"); None when there is nothing to say.
    note: str | None = None
    learner_note: str | None = None  # the same, said to the learner in their feedback

    @property
    def sha256(self) -> str:
        """Content hash: a re-run grades this student again only when it changes."""
        data = self.content if self.content is not None else (self.problem or "").encode()
        if self.note:
            data += b"\0" + self.note.encode()
        return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Unused:
    """A file of the download that was not graded, and why."""

    path: str  # inside the download, as found
    student_id: str  # whose it is ("" when it is nobody's)
    reason: str


@dataclass
class Collection:
    """What `collect_all` found."""

    submissions: list[Submission]
    unused: list[Unused]
    layout: str  # "nbgrader", "files", "folders", "Canvas", "Moodle" or "Blackboard"
    notes: list[str] = field(default_factory=list)  # for the instructor: roster, ids made


@dataclass(frozen=True)
class Fingerprint:
    """What makes a notebook this assignment's, whatever its name: the functions the learner
    writes and the nbgrader grade_ids of its cells (from the source notebook)."""

    functions: frozenset[str]
    grade_ids: frozenset[str]

    @classmethod
    def from_notebook(cls, path: Path) -> Fingerprint | None:
        """The fingerprint of the source notebook at `path`; None if it cannot be read."""
        try:
            cells = _cells(json.loads(Path(path).read_bytes()))
        except (OSError, ValueError):
            return None
        functions, grade_ids = set(), set()
        for cell in cells:
            meta = _nbgrader(cell)
            if isinstance(meta.get("grade_id"), str):
                grade_ids.add(meta["grade_id"])
                if meta.get("solution") and not meta.get("grade"):
                    functions.add(meta["grade_id"])
        if not functions and not grade_ids:
            return None
        return cls(frozenset(functions), frozenset(grade_ids))

    def score(self, content: bytes) -> int:
        """How much of the assignment a notebook holds: the assignment's functions it defines
        plus the grade_ids it carries; 0 unless it is a notebook that defines at least half of
        the functions or carries at least half of the grade_ids (sharing one function with another
        course's notebook is not enough)."""
        try:
            cells = _cells(json.loads(content))
        except (ValueError, UnicodeDecodeError):
            return 0
        defined, ids = set(), set()
        for cell in cells:
            grade_id = _nbgrader(cell).get("grade_id")
            if grade_id in self.grade_ids:
                ids.add(grade_id)
            if cell.get("cell_type") == "code":
                defined |= _defined_names(_source(cell)) & self.functions
        enough = (len(defined) >= math.ceil(len(self.functions) / 2) > 0
                  or len(ids) >= math.ceil(len(self.grade_ids) / 2) > 0)
        return len(defined) + len(ids) if enough else 0


def _cells(nb) -> list[dict]:
    """The cells of a notebook (nbformat 4, or 3's worksheets); ValueError if it is not one."""
    if not isinstance(nb, dict):
        raise ValueError("not a notebook")
    if isinstance(nb.get("cells"), list):
        cells = nb["cells"]
    elif isinstance(nb.get("worksheets"), list):
        cells = [c for w in nb["worksheets"] if isinstance(w, dict)
                 for c in (w.get("cells") or [])]
    else:
        raise ValueError("not a notebook")
    return [c for c in cells if isinstance(c, dict)]


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata")
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def _source(cell: dict) -> str:
    source = cell.get("source", cell.get("input", ""))
    return "".join(source) if isinstance(source, list) else str(source)


def _defined_names(code: str) -> set[str]:
    """Names a cell defines with def or `name = lambda`, at top level or in the statements of
    an if, try, with, loop or function (IPython magics and shell lines are skipped; code that
    does not parse is searched line by line)."""
    if "def" not in code and "lambda" not in code:
        return set()
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines()]
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return set(re.findall(r"^[ \t]*def[ \t]+([A-Za-z_]\w*)[ \t]*\(", code, re.M))
    names = set()
    statements = list(tree.body)  # statements only: expressions hold no definitions
    while statements:
        node = statements.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        for block in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, block, [])
            statements.extend(inner if isinstance(inner, list) else [])
    return names


def write_unused_csv(path: Path, unused: list[Unused]) -> str:
    """The unused files as CSV text (columns path, student_id, reason); written to `path`."""
    from .workspace import atomic_write

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(UNUSED_COLUMNS)
    for u in unused:
        writer.writerow([u.path, u.student_id, u.reason])
    atomic_write(Path(path), buffer.getvalue())
    return buffer.getvalue()


# ---------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class _Entry:
    size: int
    read: Callable[[], bytes]
    path: str  # as found in the download


def collect(path: Path, *, fingerprint: Fingerprint | None = None,
            roster: Path | None = None, assignment: str) -> list[Submission]:
    """All submissions in `path` (folder or zip), sorted by student id."""
    return collect_all(path, fingerprint=fingerprint, roster=roster,
                       assignment=assignment).submissions


def collect_all(path: Path, *, fingerprint: Fingerprint | None = None,
                roster: Path | None = None, assignment: str) -> Collection:
    """The submissions in `path` (folder or zip) and the files not used, with reasons.

    `fingerprint` lets a notebook under another name be graded (none: by name only); `roster`
    is a CSV file lms_id,student_id (`lms.read_roster`); `assignment` names the folder and the
    notebook (<assignment>.ipynb) that the nbgrader layout and the learners use."""
    path = Path(path)
    try:
        mapping = lms.read_roster(roster) if roster is not None else None
    except lms.RosterError as error:
        raise CollectError(str(error)) from None
    if not path.exists():
        raise CollectError(f"{path} does not exist: give the folder or zip of submissions.")
    finder = _Finder(str(path), fingerprint, assignment)
    if zipfile.is_zipfile(path) and not path.is_dir():
        entries, repeated = _zip_entries(path)
        for entry in repeated:
            finder.drop(entry, "", "a second entry of the same name in the zip (the last "
                                   "one is used)")
    else:
        entries = _entries_of(path)
    return finder.find(entries, mapping)


def _entries_of(path: Path) -> dict[tuple[str, ...], _Entry]:
    """The files of a folder or zip by path, or of a single notebook (CollectError if none)."""
    if path.is_dir():
        return _folder_entries(path)
    if zipfile.is_zipfile(path):
        return _zip_entries(path)[0]
    if path.is_file() and path.suffix == ".ipynb":
        return {(path.name,): _Entry(path.stat().st_size, path.read_bytes, path.name)}
    raise CollectError(f"{path} is neither a folder, a zip file nor a notebook: give the folder "
                       "or zip of submissions, or one .ipynb.")


def assignments_in(path: Path, fingerprints: dict[str, Fingerprint | None]) -> dict[str, int]:
    """How many notebooks of the submissions in ``path`` hold each assignment of
    ``fingerprints`` (name -> its Fingerprint): by a folder of that name (nbgrader's layout), by
    the file's name, else by content (the assignment whose fingerprint scores it highest).
    Assignments held by no notebook are left out; most notebooks first."""
    counts: dict[str, int] = {}
    for parts, entry in _entries_of(Path(path)).items():
        if not parts[-1].endswith(".ipynb") or _hidden(parts) or entry.size > MAX_NOTEBOOK_BYTES:
            continue
        named = [n for n in fingerprints if n in parts[:-1] or parts[-1] == f"{n}.ipynb"]
        if not named:
            content = entry.read()
            scores = {n: f.score(content) for n, f in fingerprints.items() if f is not None}
            best = max(scores.values(), default=0)
            named = [n for n, score in scores.items() if score == best > 0]
        if len(named) == 1:
            counts[named[0]] = counts.get(named[0], 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def _hidden(parts: tuple[str, ...]) -> str | None:
    """Why a file is never a submission (a system or hidden file), or None."""
    for part in parts:
        if part in IGNORED_NAMES:
            return IGNORED_NAMES[part]
    if parts[-1].startswith("."):
        return "hidden file"
    if any(p.startswith(".") for p in parts[:-1]):
        return "in a hidden folder"
    return None


def _folder_entries(root: Path) -> dict[tuple[str, ...], _Entry]:
    entries = {}
    for file in sorted(root.rglob("*")):
        parts = file.relative_to(root).parts
        if file.is_file():
            entries[parts] = _Entry(file.stat().st_size, file.read_bytes, "/".join(parts))
    return entries


def _zip_entries(archive: Path) -> tuple[dict[tuple[str, ...], _Entry], list[_Entry]]:
    """The zip's files by path, and the entries that a later one of the same path hides."""
    try:
        zf = zipfile.ZipFile(archive)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise CollectError(f"{archive} is not a readable zip file ({error}).") from None
    entries: dict[tuple[str, ...], _Entry] = {}
    repeated = []
    for info in infos:
        # Some Windows tools write "\" between folders; a zip's separator is "/".
        name = info.filename.replace("\\", "/")
        parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "/", ".", ".."))
        if info.is_dir() or name.endswith("/") or not parts:
            continue
        if parts in entries:
            repeated.append(entries[parts])
        entries[parts] = _Entry(info.file_size, lambda info=info: zf.read(info), name)
    return entries, repeated


# ---------------------------------------------------------------------------- one student
@dataclass
class _File:
    entry: _Entry
    shown: str  # its name as the learner gave it (the LMS's prefix taken off)
    expected: int = 0  # named as the assignment asks (higher: preferred), 0 when not
    attempt: tuple = ()  # newer attempts sort higher
    attempt_label: str = ""
    skip: str | None = None  # a reason never to grade it (hidden file, receipt)

    @property
    def notebook(self) -> bool:
        return self.shown.lower().endswith(".ipynb")


@dataclass
class _Student:
    raw_id: str
    origin: str
    files: list[_File] = field(default_factory=list)
    # For the nbgrader layout: today's exact wording when no notebook was found.
    missing: Callable[[], str] | None = None


class _Finder:
    def __init__(self, where: str, fingerprint: Fingerprint | None,
                 assignment: str):
        self.where = where
        self.assignment = assignment
        self.notebook = f"{assignment}.ipynb"
        self.fingerprint = fingerprint
        self.unused: list[tuple[str, str, str]] = []  # (path, raw student id, reason)
        self.notes: list[str] = []
        self.contents: dict[str, bytes] = {}

    def read(self, entry: _Entry) -> bytes:
        if entry.path not in self.contents:
            self.contents[entry.path] = entry.read()
        return self.contents[entry.path]

    def drop(self, entry: _Entry, raw_id: str, reason: str) -> None:
        self.unused.append((entry.path, raw_id, reason))

    # ------------------------------------------------------------------ layouts
    def find(self, entries: dict[tuple[str, ...], _Entry],
             roster: dict[str, str] | None) -> Collection:
        layout = None
        for _ in range(3):  # look through at most a few wrapping folders (zip of a folder,
            visible = [p for p in entries if _hidden(p) is None]  # course root)
            tops = {p[0] for p in visible if len(p) > 1}
            course_root = "submitted" in tops and ("nbgrader_config.py",) in visible
            layout = None if course_root else _detect(visible, self.assignment)
            if layout is not None:
                break
            if course_root:
                # A course root: the rest of the course (source/, release/...) is no download.
                entries = {p[1:]: e for p, e in entries.items()
                           if p[0] == "submitted" and len(p) > 1}
            elif len(tops) == 1 and not any(len(p) == 1 for p in visible):
                top = tops.pop()
                for p, e in entries.items():
                    if p[0] != top or len(p) == 1:
                        self.drop(e, "", _hidden(p) or "outside the folder of submissions")
                entries = {p[1:]: e for p, e in entries.items() if p[0] == top and len(p) > 1}
            else:
                # A folder per student holding the notebook, with no assignment folder.
                if any(len(p) == 2 and p[1].lower().endswith(".ipynb") for p in visible):
                    layout = "folders"
                break
        if layout is None:
            raise CollectError(
                f"{self.where} holds no submissions: expected <student_id>/{self.assignment}/"
                f"{self.notebook} (nbgrader's layout), <student_id>.ipynb files, or a Canvas, "
                f"Moodle or Blackboard download of the submissions."
            )
        students = (self._lms(layout, entries) if layout in lms.LAYOUTS
                    else getattr(self, f"_{layout.lower()}")(entries))
        return self._finish(layout, students, roster)

    def _nbgrader(self, entries) -> dict[str, _Student]:
        students: dict[str, _Student] = {}
        rests: dict[str, list[tuple[str, ...]]] = {}
        for parts, entry in entries.items():
            if len(parts) == 1:
                self.drop(entry, "", _hidden(parts) or "not in a student's folder")
                continue
            sid, rest = parts[0], parts[1:]
            student = students.setdefault(sid, _Student(sid, f"{self.where}/{sid}"))
            shown = "/".join(rest[1:] if rest[0] == self.assignment else rest)
            # <assignment>/<assignment>.ipynb, else the notebook's name
            # straight in the student's folder
            nb_name = (self.notebook,)
            expected = 2 if rest == (self.assignment, *nb_name) else int(rest == nb_name)
            student.files.append(_File(entry, shown, expected=expected, skip=_hidden(parts)))
            if _hidden(parts) is None:
                rests.setdefault(sid, []).append(rest)
        for sid, student in students.items():
            student.missing = _nbgrader_missing(rests.get(sid, []), self.assignment)
        return students

    def _files(self, entries) -> dict[str, _Student]:
        students: dict[str, _Student] = {}
        strays = []
        for parts, entry in entries.items():
            name = parts[-1]
            if _hidden(parts) is None and name.lower().endswith(".ipynb"):
                stem = name[: -len(".ipynb")]
                if len(parts) == 1 or (STUDENT_ID.fullmatch(stem) and stem != self.assignment):
                    sid = stem  # <sid>.ipynb, wherever it sits
                else:
                    sid = parts[-2]  # <sid>/<assignment>.ipynb
                student = students.setdefault(sid, _Student(sid, f"{self.where}/{sid}"))
                student.files.append(_File(entry, "/".join(parts), expected=stem == sid
                                           or name == self.notebook))
            else:
                strays.append((parts, entry))
        for parts, entry in strays:
            owner = next((p for p in (parts[0], parts[-1].rsplit(".", 1)[0])
                          if p in students), "")
            self.drop(entry, owner, _hidden(parts) or "not a notebook")
        return students

    def _folders(self, entries) -> dict[str, _Student]:
        students: dict[str, _Student] = {}
        for parts, entry in entries.items():
            if len(parts) == 1:
                self.drop(entry, "", _hidden(parts) or "not in a student's folder")
                continue
            sid = parts[0]
            student = students.setdefault(sid, _Student(sid, f"{self.where}/{sid}"))
            expected = (2 if parts[1:] == (self.notebook,)
                        else int(parts[1:] == (f"{sid}.ipynb",)))
            student.files.append(_File(entry, "/".join(parts[1:]), expected=expected,
                                       skip=_hidden(parts)))
        return students

    def _lms(self, layout: str, entries) -> dict[str, _Student]:
        """Each student's files, as the LMS named them (autograder.lms)."""
        found = lms.read(layout, {p: e.size for p, e in entries.items()}, self.notebook,
                         contents=lambda parts: self.read(entries[parts]), hidden=_hidden)
        for parts, reason in found.strays:
            self.drop(entries[parts], "", reason)
        students: dict[str, _Student] = {}
        for u in found.uploads:
            student = students.setdefault(u.student, _Student(u.student,
                                                              f"{self.where}/{u.origin}"))
            student.files.append(_File(entries[u.path], u.shown, expected=int(u.expected),
                                       attempt=u.attempt, attempt_label=u.attempt_label,
                                       skip=u.skip))
        self.notes += found.notes
        return students

    # ------------------------------------------------------------------ choosing
    def _choose(self, student: _Student, sid: str) -> Submission:
        live = []
        for f in sorted(student.files, key=lambda f: (f.shown.count("/"), f.shown)):
            if f.skip is not None:
                self.drop(f.entry, student.raw_id, f.skip)
            else:
                live.append(f)
        # The latest attempt that holds a notebook (else the latest attempt) is graded.
        attempts = sorted({f.attempt for f in live}, reverse=True)
        chosen_attempt = next((a for a in attempts if any(f.notebook for f in live
                                                          if f.attempt == a)),
                              attempts[0] if attempts else ())
        current = [f for f in live if f.attempt == chosen_attempt]
        label = current[0].attempt_label if current else ""
        for f in live:
            if f.attempt != chosen_attempt:
                age = "an older" if f.attempt < chosen_attempt else "a newer"
                self.drop(f.entry, student.raw_id, f"{age} attempt ({f.attempt_label}) than "
                          f"the one graded ({label})")
        notebooks = [f for f in current if f.notebook]
        for f in current:
            if not f.notebook:
                self.drop(f.entry, student.raw_id, "not a notebook")

        chosen, note, problem, told = None, None, None, []
        expected = [f for f in notebooks if f.expected]
        if expected:
            chosen = max(expected, key=lambda f: f.expected)
        elif notebooks and self.fingerprint is not None:
            scores = [(self.fingerprint.score(self.read(f.entry)), f) for f in notebooks
                      if f.entry.size <= MAX_NOTEBOOK_BYTES]
            best = max((s for s, _ in scores), default=0)
            top = [f for s, f in scores if s == best and best > 0]
            if len(top) == 1:
                chosen = top[0]
                note = f"graded under another name ({chosen.shown})"
                told.append(f"Your notebook {chosen.shown} was graded: it holds this "
                            f"assignment under another name. Next time, hand it in as "
                            f"{self.notebook}.")
            elif top:
                problem = (f"{len(top)} notebooks hold this assignment "
                           f"({', '.join(f.shown for f in top[:3])}): keep one and grade again")
        if chosen is None and problem is None:
            if notebooks:
                problem = (f"no {self.notebook} (found "
                           f"{', '.join(sorted(f.shown for f in notebooks)[:3])})")
            elif student.missing is not None:
                problem = student.missing()
            else:
                found = (sorted(f.shown for f in current)
                         or sorted(f.shown for f in student.files
                                   if f.skip not in HIDDEN_REASONS))[:3]
                problem = (f"no notebook handed in (found {', '.join(found)})" if found
                           else "no notebook handed in")
        others = [f for f in notebooks if f is not chosen]
        for f in others:
            reason = (f"a second notebook (graded {chosen.shown})" if chosen is not None
                      else f"not graded: {problem}")
            self.drop(f.entry, student.raw_id, reason)
        if chosen is not None and others:
            names = ", ".join(f.shown for f in others[:3])
            also = f"also handed in, not graded ({names})"
            note = f"{note}; {also}" if note else also
            told.append(f"Only {chosen.shown} was graded; you also handed in {names}.")
        if chosen is None:
            return _problem(sid, problem, student.origin)
        sub = _read(sid, chosen.entry, f"{self.where}/{chosen.entry.path}", self.read)
        return Submission(sub.student_id, sub.content, sub.problem, sub.origin, note,
                          " ".join(told) or None)

    def _finish(self, layout: str, students: dict[str, _Student],
                roster: dict[str, str] | None) -> Collection:
        ids = self._student_ids(layout, students, roster)
        found = sorted((self._choose(s, ids[raw]) for raw, s in students.items()),
                       key=lambda s: s.student_id)
        unused = [Unused(path, ids.get(raw, raw), reason)
                  for path, raw, reason in sorted(self.unused)]
        return Collection(found, unused, layout, self.notes)

    def _student_ids(self, layout: str, students: dict[str, _Student],
                     roster: dict[str, str] | None) -> dict[str, str]:
        """raw id -> the student id used: the roster's, else the raw id (made safe for an LMS
        download, whose ids come from names the LMS chose)."""
        ids: dict[str, str] = {}
        taken = {roster[raw] for raw in students if raw in roster} if roster else set()
        missing = []
        for raw in sorted(students):
            if roster is not None and raw in roster:
                ids[raw] = roster[raw]
                continue
            if roster is not None:
                missing.append(raw)
            sid = lms.safe_id(raw) if layout in lms.LAYOUTS else raw
            why = "is not a usable id"
            if sid in taken:  # someone else's id already (made safe, or from the roster)
                n = 2
                while f"{sid[:96]}-{n}" in taken:
                    n += 1
                sid, why = f"{sid[:96]}-{n}", f"would be {sid}, which another student has"
            if sid != raw:
                self.notes.append(f"student id {raw!r} {why}; used {sid}")
            ids[raw] = sid
            taken.add(sid)
        if roster is not None:
            unmatched = sorted(f"{lms} ({sid})" for lms, sid in roster.items()
                               if lms not in students)
            if missing:
                self.notes.append(f"roster: {len(missing)} student(s) of the download are not "
                                  f"in it and keep the download's id: {', '.join(missing)}")
            if unmatched:
                self.notes.append(f"roster: {len(unmatched)} row(s) matched no submission: "
                                  f"{', '.join(unmatched)}")
            if not missing and not unmatched:
                self.notes.append(f"roster: all {len(roster)} rows matched a submission")
        return ids


def _detect(visible: list[tuple[str, ...]], assignment: str) -> str | None:
    """The layout of these (visible) files, or None."""
    found = lms.detect(visible)
    if found is not None:
        return found
    if any(len(p) >= 3 and p[1] == assignment for p in visible):
        return "nbgrader"
    if any(len(p) == 1 and p[0].lower().endswith(".ipynb") for p in visible):
        return "files"
    return None


def _nbgrader_missing(rest: list[tuple[str, ...]],
                      assignment: str) -> Callable[[], str]:
    """What the nbgrader layout has always said when a student's folder holds no notebook
    (`rest`: their files' paths inside their folder)."""
    def message() -> str:
        if not any(p[0] == assignment for p in rest):
            folders = sorted({p[0] for p in rest if len(p) > 1})
            seen = ", ".join(f + "/" for f in folders[:3])
            seen = f"found {seen}" if seen else "found no folder"
            return f"no {assignment} folder ({seen})"
        return f"no {assignment}.ipynb (found no notebook)"
    return message


def _problem(sid: str, problem: str, origin: str) -> Submission:
    if not STUDENT_ID.fullmatch(sid):
        problem = "bad student id (use letters, digits and _ . @ + -)"
    return Submission(sid, None, problem, origin)


def _read(sid: str, entry: _Entry, origin: str,
          read: Callable[[_Entry], bytes] | None = None) -> Submission:
    if not STUDENT_ID.fullmatch(sid):
        return _problem(sid, "", origin)
    if entry.size > MAX_NOTEBOOK_BYTES:
        size = f"{entry.size / 2**20:.0f} MB"
        limit = f"{MAX_NOTEBOOK_BYTES // 2**20} MB"
        return Submission(sid, None, f"not a notebook: the file is {size} (limit {limit})", origin)
    return Submission(sid, read(entry) if read else entry.read(), None, origin)
