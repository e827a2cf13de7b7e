"""The learning management systems' downloads: how Canvas, Moodle and Blackboard name each
student's files in their "download all submissions", and the roster that maps their ids to the
course's student ids.

==========  ==============================================================  ==============
LMS         names in the download                                           student id
==========  ==============================================================  ==============
Canvas      ``[LATE_]lastfirst[_LATE]_<userid>_<fileid>_<file>`` (``anon_    the user id
            <id>`` when grading is anonymous; a re-uploaded file is
            ``<file>-1``, ``-2``...)
Moodle      ``Full Name_<participantid>_assignsubmission_file_/<file>``     the
            (or, without folders, ``..._assignsubmission_file_<file>``)     participant id
Blackboard  ``<Assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>``  the username
            and a receipt ``..._attempt_<date>.txt`` per attempt
==========  ==============================================================  ==============

:func:`read` turns the paths of a download into :class:`Upload` records (whose file, as the
learner named it, which attempt, and why it is never graded); autograder.collect chooses each
student's notebook among them, as it does for the other layouts. This module reads names only:
it never opens a notebook, and imports nothing of the grader's.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# The course's student ids: what a roster may give, and what an LMS's id is made into.
STUDENT_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,99}")

# Moodle: clean_filename(fullname with "_" turned into " ") + "_" + participant id + "_" +
# "assignsubmission" + "_" + plugin + "_", then "/" + the file (folders) or the file itself.
MOODLE = re.compile(r"(?P<name>[^_]*)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)_"
                    r"(?P<file>.*)", re.S)
# Canvas: sortable name lower-cased, without non-word characters; "LATE" when late; the user
# id (or anon_<id>); then the file's id and its display name.
CANVAS = re.compile(r"(?:(?P<late1>late)_)?(?:(?P<name>\w+?)_)??(?:(?P<late2>late)_)?"
                    r"(?P<id>\d+|anon_[A-Za-z0-9]+)_(?P<file_id>\d+)_(?P<file>.+)",
                    re.S | re.I)
CANVAS_TEXT = re.compile(r"(?:late_)?(?:\w+?_)??(?:late_)?(?P<id>\d+|anon_[A-Za-z0-9]+)_"
                         r"(?P<kind>text|link)\.html", re.I)
# Canvas renames a file uploaded again under the same name: "hw.ipynb", "hw-1.ipynb", ...
RESUBMITTED = re.compile(r"(?P<base>.+)-(?P<n>\d+)(?P<ext>\.[A-Za-z0-9]+)", re.S)
# Blackboard's "Assignment File Download".
BLACKBOARD = re.compile(r"(?P<head>.+)_attempt_(?P<date>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)"
                        r"(?:_(?P<file>.+)|(?P<receipt>\.txt))", re.S)
BLACKBOARD_NAME = re.compile(r"^Name:.*\((?P<user>[^()\s]+)\)\s*$", re.M)
RECEIPT_BYTES = 2**20  # a receipt is a few hundred bytes: a larger file is not read as one

LAYOUTS = ("Canvas", "Moodle", "Blackboard")

Path_ = tuple[str, ...]  # a file's path in the download, folder by folder


class RosterError(Exception):
    """The roster cannot be used; the message says which line and why."""


@dataclass
class Upload:
    """One file of a student in an LMS download, as the LMS's name for it says."""

    path: Path_
    student: str  # the LMS's id of its student
    origin: str  # the student's folder (or file) in the download, for messages
    shown: str  # its name as the learner gave it (the LMS's prefix taken off)
    expected: bool = False  # named as the assignment asks (<assignment>.ipynb)
    attempt: tuple = ()  # newer attempts sort higher (Blackboard)
    attempt_label: str = ""
    skip: str | None = None  # why it is never graded (a receipt, an older upload...)


@dataclass
class Download:
    """What :func:`read` found: each student's files, the files named as no student's (with
    the reason), and what to tell the instructor."""

    uploads: list[Upload] = field(default_factory=list)
    strays: list[tuple[Path_, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def detect(visible: list[Path_]) -> str | None:
    """The LMS whose names most of these paths (system files left out) carry, or None."""
    tops = {p[0] for p in visible}
    files = {p[0] for p in visible if len(p) == 1}
    found = {
        "Moodle": sum(1 for t in tops if MOODLE.fullmatch(t)),
        "Blackboard": sum(1 for t in files if BLACKBOARD.fullmatch(t)),
        "Canvas": sum(1 for t in files if CANVAS.fullmatch(t) or CANVAS_TEXT.fullmatch(t)),
    }
    best = max(found, key=lambda k: found[k])
    return best if found[best] else None


def read(layout: str, sizes: Mapping[Path_, int], notebook: str, *,
         contents: Callable[[Path_], bytes], hidden: Callable[[Path_], str | None]) -> Download:
    """The download's files (path -> size) as ``layout`` (one of LAYOUTS) names them.

    ``notebook`` is the name the assignment asks for; ``contents`` reads a file (Blackboard's
    receipts name the username); ``hidden`` says why a path is a system or hidden file (None
    when it is not), which is never graded."""
    return {"Canvas": _canvas, "Moodle": _moodle, "Blackboard": _blackboard}[layout](
        sizes, notebook, contents, hidden)


def _moodle(sizes, notebook, contents, hidden) -> Download:
    found = Download()
    for parts in sizes:
        m = MOODLE.fullmatch(parts[0])
        if m is None or (len(parts) == 1) == (m["file"] == ""):
            found.strays.append((parts, hidden(parts) or "not named as Moodle names a "
                                 "student's files (Full Name_<id>_assignsubmission_file_)"))
            continue
        sid = m["id"]
        folder = parts[0] if len(parts) > 1 else f"{m['name']}_{sid}_assignsubmission_"
        shown = "/".join(parts[1:]) if len(parts) > 1 else m["file"]
        skip = hidden(parts[1:]) if len(parts) > 1 else None
        if m["plugin"] != "file" and skip is None:
            skip = f"Moodle {m['plugin']} submission (not a notebook)"
        found.uploads.append(Upload(parts, sid, folder, shown,
                                    expected=shown.split("/")[-1] == notebook, skip=skip))
    return found


def _canvas(sizes, notebook, contents, hidden) -> Download:
    found = Download()
    late = set()
    by_student: dict[str, list[Upload]] = {}
    for parts in sizes:
        m = CANVAS.fullmatch(parts[0]) if len(parts) == 1 else None
        text = CANVAS_TEXT.fullmatch(parts[0]) if len(parts) == 1 else None
        if text is not None:
            kind = text["kind"]
            found.uploads.append(Upload(parts, text["id"], parts[0], f"Canvas {kind} entry",
                                        skip=f"Canvas {kind} entry (not a notebook)"))
            continue
        if m is None or hidden(parts):
            found.strays.append((parts, hidden(parts) or "not named as Canvas names a "
                                 "student's files (name_<userid>_<fileid>_<file>)"))
            continue
        sid = m["id"]
        if m["late1"] or m["late2"]:
            late.add(sid)
        upload = Upload(parts, sid, parts[0], m["file"], attempt=(int(m["file_id"]),))
        by_student.setdefault(sid, []).append(upload)
        found.uploads.append(upload)
    # A file uploaded again under its old name is "<name>-N": the upload with the highest N
    # (then the newest file id) of each name is the latest; the others are older uploads.
    for uploads in by_student.values():
        latest: dict[str, tuple[tuple, Upload]] = {}
        for u in uploads:
            r = RESUBMITTED.fullmatch(u.shown)
            base, n = (r["base"] + r["ext"], int(r["n"])) if r else (u.shown, 0)
            u.expected = base == notebook
            key = (n, *u.attempt)
            older = f"an older upload of {base} (graded the newer one)"
            if base not in latest or key > latest[base][0]:
                if base in latest:
                    latest[base][1].skip = older
                latest[base] = (key, u)
            else:
                u.skip = older
        for u in uploads:
            u.attempt = ()
    if late:
        found.notes.append(f"Canvas marked {len(late)} submission(s) late: "
                           f"{', '.join(sorted(late))} (before the roster is applied)")
    return found


def _blackboard(sizes, notebook, contents, hidden) -> Download:
    found = Download()
    named = []
    usernames: dict[tuple[str, str], str] = {}  # (head, date) -> username from the receipt
    for parts, size in sizes.items():
        m = BLACKBOARD.fullmatch(parts[0]) if len(parts) == 1 else None
        if m is None or hidden(parts):
            found.strays.append((parts, hidden(parts) or "not named as Blackboard names a "
                                 "student's files (<assignment>_<username>_attempt_<date>_"
                                 "<file>)"))
            continue
        named.append((parts, m))
        if m["receipt"] and size < RECEIPT_BYTES:
            name = BLACKBOARD_NAME.search(contents(parts).decode("utf-8", "replace"))
            if name and m["head"].endswith("_" + name["user"]):
                usernames[m["head"], m["date"]] = name["user"]
    for parts, m in named:
        # The username is the last "_" part of the head, unless the receipt names a username
        # that itself holds "_".
        user = usernames.get((m["head"], m["date"])) or m["head"].rsplit("_", 1)[-1]
        date = m["date"]
        label = f"{date[:10]} {date[11:].replace('-', ':')}"
        shown = m["file"] or f"receipt of {label}.txt"
        found.uploads.append(Upload(
            parts, user, m["head"], shown, expected=shown == notebook, attempt=(date,),
            attempt_label=label,
            skip=f"Blackboard receipt of the attempt of {label}" if m["receipt"] else None))
    return found


# ---------------------------------------------------------------------------- student ids
def safe_id(raw: str) -> str:
    """A student id (STUDENT_ID) made from an LMS's id or name: accents dropped, other
    characters -> '-'."""
    ascii_text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    sid = re.sub(r"[^A-Za-z0-9_.@+-]+", "-", ascii_text).strip("-.")
    sid = sid[:100] or "student"
    return sid if STUDENT_ID.fullmatch(sid) else f"_{sid[:99]}"


def read_roster(path: Path) -> dict[str, str]:
    """The instructor's mapping, a CSV with columns lms_id,student_id: the id found in the
    download -> the course's student id. RosterError (saying which row) when it is unusable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a CSV saved by Excel starts with a BOM
    except (OSError, UnicodeDecodeError) as error:
        raise RosterError(f"--roster {path} cannot be read ({error}).") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    if not {"lms_id", "student_id"} <= set(header):
        raise RosterError(f"--roster {path} needs the columns lms_id,student_id (found "
                          f"{','.join(header) or 'no header'}).")
    reader.fieldnames = header
    roster: dict[str, str] = {}
    owner: dict[str, str] = {}
    for line, row in enumerate(reader, start=2):
        lms_id, sid = (row.get("lms_id") or "").strip(), (row.get("student_id") or "").strip()
        if not lms_id and not sid:
            continue
        where = f"--roster {path}, line {line}"
        if not lms_id or not STUDENT_ID.fullmatch(sid):
            raise RosterError(f"{where}: '{sid}' is not a student id (use letters, digits and "
                              f"_ . @ + -, and give an lms_id).")
        if roster.get(lms_id, sid) != sid:
            raise RosterError(f"{where}: lms_id {lms_id} is given twice, to {roster[lms_id]} "
                              f"and {sid}.")
        if owner.get(sid, lms_id) != lms_id:
            raise RosterError(f"{where}: student_id {sid} is given to two lms_ids, "
                              f"{owner[sid]} and {lms_id}.")
        roster[lms_id], owner[sid] = sid, lms_id
    return roster
