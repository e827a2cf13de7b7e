"""Collecting submissions as LMSes and browsers hand them over.

The fixtures are laid out exactly as each LMS names its "download all submissions":

- Canvas (app's ContentZipper): ``lastfirst[_LATE]_<userid>_<fileid>_<display name>``, the
  display name of a file uploaded again under the same name being ``<name>-1``, ``-2``...;
  ``anon_<id>`` instead of the name and user id under anonymous grading; a text entry is
  ``lastfirst_<userid>_text.html``.
- Moodle (mod/assign download_submissions): ``Full Name_<participantid>_assignsubmission_file_/``
  per student (``_onlinetext_/onlinetext.html`` for online text), or the same prefix glued to
  each file name when "download submissions in folders" is off.
- Blackboard (Grade Center, Assignment File Download):
  ``<Assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>`` and one receipt
  ``..._attempt_<date>.txt`` per attempt.

Each student's notebook is the stand-in course's notebook (test_autograder_course), so the
content match uses the stand-in's functions (double, square) and grade_ids.
"""

from __future__ import annotations

import copy
import csv
import zipfile
from pathlib import Path

import nbformat
import pytest
from test_autograder_course import ASSIGNMENT, NOTEBOOK, source_notebook

from autograder.collect import (
    STUDENT_ID,
    CollectError,
    Fingerprint,
    assignments_in,
    collect,
    collect_all,
    write_unused_csv,
)
from autograder.lms import RosterError, read_roster

WORK = nbformat.writes(source_notebook()).encode()  # a notebook of this assignment


def _colab(nb: nbformat.NotebookNode) -> bytes:
    """As Colab saves it: every cell's nbgrader metadata gone, nbformat 4.0, no cell ids."""
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        c.metadata = {}
        c.pop("id", None)
    nb.nbformat_minor = 0
    nb.metadata = {"colab": {"provenance": []},
                   "kernelspec": {"name": "python3", "display_name": "Python 3"}}
    return nbformat.writes(nb, version=4).encode()


COLAB = _colab(source_notebook())
SCRATCH = nbformat.writes(nbformat.v4.new_notebook(cells=[
    nbformat.v4.new_code_cell("import numpy as np\nx = np.linspace(-3, 3)")])).encode()
# Another course's notebook: none of this assignment's functions or grade_ids.
OTHER = nbformat.writes(nbformat.v4.new_notebook(cells=[
    nbformat.v4.new_code_cell("def cube(x):\n    return x ** 3")])).encode()


def gather(path, **options):
    """collect_all for the stand-in assignment, the one every download below is of."""
    return collect_all(path, assignment=ASSIGNMENT, **options)


def gather_submissions(path, **options):
    return collect(path, assignment=ASSIGNMENT, **options)


@pytest.fixture(scope="module")
def fingerprint(tmp_path_factory) -> Fingerprint:
    path = tmp_path_factory.mktemp("source") / NOTEBOOK
    nbformat.write(source_notebook(), path)
    found = Fingerprint.from_notebook(path)
    assert found is not None
    return found


def _lay_out(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def _zip(target: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return target


def _by_id(subs) -> dict:
    return {s.student_id: s for s in subs}


# ---------------------------------------------------------------------------- Canvas
CANVAS = {
    "smithjane_1001_50001_activation_derivatives.ipynb": WORK,
    # late, and uploaded a second time under the same name (Canvas adds "-1")
    "doejohn_LATE_1002_50002_activation_derivatives-1.ipynb": WORK,
    # renamed by the browser on download; Canvas kept the name
    "garciamaria_1003_50003_activation_derivatives (1).ipynb": COLAB,
    # two uploads of the same file: the -1 is the newer (and has the higher file id)
    "leetom_1004_50004_activation_derivatives.ipynb": b"{}",
    "leetom_1004_50110_activation_derivatives-1.ipynb": WORK,
    # a renamed notebook, a scratch notebook and a PDF
    "nguyenan_1005_50005_hw.ipynb": WORK,
    "nguyenan_1005_50006_scratch.ipynb": SCRATCH,
    "nguyenan_1005_50007_notes.pdf": b"%PDF-1.4",
    # a text entry instead of a file
    "parkkim_1006_text.html": b"<p>I could not upload</p>",
    # anonymous grading, late (Canvas puts LATE first when there is no name)
    "LATE_anon_x7Hq2_50008_activation_derivatives.ipynb": WORK,
}


def test_canvas_download_takes_the_user_id_and_the_latest_upload(tmp_path, fingerprint):
    root = _lay_out(tmp_path / "canvas", CANVAS)
    found = gather(root, fingerprint=fingerprint)
    subs = _by_id(found.submissions)
    assert found.layout == "Canvas"
    assert sorted(subs) == ["1001", "1002", "1003", "1004", "1005", "1006", "anon_x7Hq2"]
    assert all(STUDENT_ID.fullmatch(sid) for sid in subs)
    for sid in ("1001", "1002", "1004", "anon_x7Hq2"):
        assert (subs[sid].content, subs[sid].problem, subs[sid].note) == (WORK, None, None), sid
    assert subs["1004"].origin.endswith("leetom_1004_50110_activation_derivatives-1.ipynb")
    assert subs["1003"].content == COLAB
    assert subs["1003"].note == "graded under another name (activation_derivatives (1).ipynb)"
    assert subs["1005"].content == WORK
    assert subs["1005"].note == ("graded under another name (hw.ipynb); "
                                 "also handed in, not graded (scratch.ipynb)")
    assert subs["1006"].content is None
    assert subs["1006"].problem == "no notebook handed in (found Canvas text entry)"
    reasons = {u.path: (u.student_id, u.reason) for u in found.unused}
    assert reasons == {
        "leetom_1004_50004_activation_derivatives.ipynb": (
            "1004", "an older upload of activation_derivatives.ipynb (graded the newer one)"),
        "nguyenan_1005_50006_scratch.ipynb": ("1005", "a second notebook (graded hw.ipynb)"),
        "nguyenan_1005_50007_notes.pdf": ("1005", "not a notebook"),
        "parkkim_1006_text.html": ("1006", "Canvas text entry (not a notebook)"),
    }
    assert any("late" in n and "1002" in n and "anon_x7Hq2" in n for n in found.notes)


def test_canvas_zip_gives_the_same_as_the_folder(tmp_path, fingerprint):
    folder = gather(_lay_out(tmp_path / "f", CANVAS), fingerprint=fingerprint)
    zipped = gather(_zip(tmp_path / "submissions.zip", CANVAS), fingerprint=fingerprint)
    assert [(s.student_id, s.content, s.problem, s.note) for s in zipped.submissions] == [
        (s.student_id, s.content, s.problem, s.note) for s in folder.submissions]
    assert zipped.unused == folder.unused


# ---------------------------------------------------------------------------- Moodle
MOODLE = {
    "Jane Smith_101_assignsubmission_file_/activation_derivatives.ipynb": WORK,
    "John Doe_102_assignsubmission_file_/Copy of activation_derivatives.ipynb": COLAB,
    "John Doe_102_assignsubmission_onlinetext_/onlinetext.html": b"<p>see file</p>",
    "María García_103_assignsubmission_file_/activation_derivatives.ipynb": WORK,
    "María García_103_assignsubmission_file_/scratch.ipynb": SCRATCH,
    "María García_103_assignsubmission_file_/.ipynb_checkpoints/"
    "activation_derivatives-checkpoint.ipynb": WORK,
    "Tom Lee_104_assignsubmission_file_/report.pdf": b"%PDF-1.4",
    "Ann Other_105_assignsubmission_file_/other_course.ipynb": OTHER,
    "__MACOSX/Jane Smith_101_assignsubmission_file_/._activation_derivatives.ipynb": b"\0",
}


def test_moodle_download_takes_the_participant_id_from_each_folder(tmp_path, fingerprint):
    found = gather(_zip(tmp_path / "moodle.zip", MOODLE), fingerprint=fingerprint)
    subs = _by_id(found.submissions)
    assert found.layout == "Moodle"
    assert sorted(subs) == ["101", "102", "103", "104", "105"]
    assert (subs["101"].content, subs["101"].note) == (WORK, None)
    assert subs["102"].content == COLAB
    assert subs["102"].note == ("graded under another name "
                                "(Copy of activation_derivatives.ipynb)")
    assert subs["103"].content == WORK and subs["103"].note == (
        "also handed in, not graded (scratch.ipynb)")
    assert subs["104"].problem == "no notebook handed in (found report.pdf)"
    assert subs["105"].problem == "no activation_derivatives.ipynb (found other_course.ipynb)"
    reasons = {u.path: (u.student_id, u.reason) for u in found.unused}
    assert reasons == {
        "John Doe_102_assignsubmission_onlinetext_/onlinetext.html": (
            "102", "Moodle onlinetext submission (not a notebook)"),
        "María García_103_assignsubmission_file_/scratch.ipynb": (
            "103", "a second notebook (graded activation_derivatives.ipynb)"),
        "María García_103_assignsubmission_file_/.ipynb_checkpoints/"
        "activation_derivatives-checkpoint.ipynb": (
            "103", "Jupyter checkpoint (.ipynb_checkpoints)"),
        "Tom Lee_104_assignsubmission_file_/report.pdf": ("104", "not a notebook"),
        "Ann Other_105_assignsubmission_file_/other_course.ipynb": (
            "105", "not graded: no activation_derivatives.ipynb (found other_course.ipynb)"),
        "__MACOSX/Jane Smith_101_assignsubmission_file_/._activation_derivatives.ipynb": (
            "", "macOS archive metadata (__MACOSX)"),
    }


def test_moodle_download_without_folders_is_read_too(tmp_path, fingerprint):
    files = {
        "Jane Smith_101_assignsubmission_file_activation_derivatives.ipynb": WORK,
        "John Doe_102_assignsubmission_file_activation_derivatives (2).ipynb": WORK,
        "John Doe_102_assignsubmission_file_notes.txt": b"notes",
    }
    found = gather(_zip(tmp_path / "moodle.zip", files), fingerprint=fingerprint)
    subs = _by_id(found.submissions)
    assert found.layout == "Moodle" and sorted(subs) == ["101", "102"]
    assert subs["101"].note is None and subs["102"].content == WORK
    assert subs["102"].note == "graded under another name (activation_derivatives (2).ipynb)"
    assert [(u.student_id, u.reason) for u in found.unused] == [("102", "not a notebook")]


def test_a_moodle_download_inside_a_zip_of_its_folder_is_found(tmp_path, fingerprint):
    files = {f"Activation derivatives-1234/{k}": v for k, v in MOODLE.items()
             if not k.startswith("__MACOSX")}
    found = gather(_zip(tmp_path / "moodle.zip", files), fingerprint=fingerprint)
    assert found.layout == "Moodle" and len(found.submissions) == 5


# ---------------------------------------------------------------------------- Blackboard
def _receipt(name: str, user: str, date: str, files: list[str]) -> bytes:
    listed = "".join(f"\tOriginal filename: {f}\n\tFilename: {f}\n" for f in files)
    return (f"Name: {name} ({user})\nAssignment: Activation derivatives\n"
            f"Date Submitted: {date}\nCurrent Grade: Needs Grading\n\n"
            f"Submission Field:\nThere is no student submission text data for this "
            f"assignment.\n\nComments:\nThere are no student comments for this assignment."
            f"\n\nFiles:\n{listed}").encode()


A = "Activation derivatives"
BLACKBOARD = {
    f"{A}_jsmith_attempt_2024-03-01-10-00-00_activation_derivatives.ipynb": SCRATCH,
    f"{A}_jsmith_attempt_2024-03-01-10-00-00.txt": _receipt(
        "Jane Smith", "jsmith", "Friday, 1 March 2024 10:00:00 GMT", [NOTEBOOK]),
    f"{A}_jsmith_attempt_2024-03-02-09-30-15_activation_derivatives.ipynb": WORK,
    f"{A}_jsmith_attempt_2024-03-02-09-30-15.txt": _receipt(
        "Jane Smith", "jsmith", "Saturday, 2 March 2024 09:30:15 GMT", [NOTEBOOK]),
    # a username with "_" in it: the receipt says where the assignment's name ends
    f"{A}_j_doe_attempt_2024-03-01-11-00-00_hw.ipynb": COLAB,
    f"{A}_j_doe_attempt_2024-03-01-11-00-00.txt": _receipt(
        "John Doe", "j_doe", "Friday, 1 March 2024 11:00:00 GMT", ["hw.ipynb"]),
    # a comment-only attempt: the receipt and nothing else
    f"{A}_mgarcia_attempt_2024-03-01-12-00-00.txt": _receipt(
        "María García", "mgarcia", "Friday, 1 March 2024 12:00:00 GMT", []),
    # a username that is not a usable student id
    f"{A}_josé_attempt_2024-03-01-13-00-00_activation_derivatives.ipynb": WORK,
}


def test_blackboard_download_grades_the_latest_attempt_by_username(tmp_path, fingerprint):
    found = gather(_zip(tmp_path / "gradebook.zip", BLACKBOARD), fingerprint=fingerprint)
    subs = _by_id(found.submissions)
    assert found.layout == "Blackboard"
    assert sorted(subs) == ["j_doe", "jose", "jsmith", "mgarcia"]
    assert subs["jsmith"].content == WORK and subs["jsmith"].note is None
    assert subs["jsmith"].origin.endswith("2024-03-02-09-30-15_activation_derivatives.ipynb")
    assert subs["j_doe"].content == COLAB
    assert subs["j_doe"].note == "graded under another name (hw.ipynb)"
    assert subs["mgarcia"].problem == ("no notebook handed in "
                                       "(found receipt of 2024-03-01 12:00:00.txt)")
    assert subs["jose"].content == WORK
    assert "student id 'josé' is not a usable id; used jose" in found.notes
    reasons = {u.path: (u.student_id, u.reason) for u in found.unused}
    assert reasons == {
        f"{A}_jsmith_attempt_2024-03-01-10-00-00_activation_derivatives.ipynb": (
            "jsmith", "an older attempt (2024-03-01 10:00:00) than the one graded "
                      "(2024-03-02 09:30:15)"),
        f"{A}_jsmith_attempt_2024-03-01-10-00-00.txt": (
            "jsmith", "Blackboard receipt of the attempt of 2024-03-01 10:00:00"),
        f"{A}_jsmith_attempt_2024-03-02-09-30-15.txt": (
            "jsmith", "Blackboard receipt of the attempt of 2024-03-02 09:30:15"),
        f"{A}_j_doe_attempt_2024-03-01-11-00-00.txt": (
            "j_doe", "Blackboard receipt of the attempt of 2024-03-01 11:00:00"),
        f"{A}_mgarcia_attempt_2024-03-01-12-00-00.txt": (
            "mgarcia", "Blackboard receipt of the attempt of 2024-03-01 12:00:00"),
    }


def test_a_newer_attempt_without_a_notebook_does_not_hide_the_notebook(tmp_path, fingerprint):
    files = {
        f"{A}_jsmith_attempt_2024-03-01-10-00-00_activation_derivatives.ipynb": WORK,
        f"{A}_jsmith_attempt_2024-03-05-10-00-00_report.pdf": b"%PDF",
    }
    found = gather(_zip(tmp_path / "bb.zip", files), fingerprint=fingerprint)
    [sub] = found.submissions
    assert sub.content == WORK
    [unused] = found.unused
    assert unused.reason == ("a newer attempt (2024-03-05 10:00:00) than the one graded "
                             "(2024-03-01 10:00:00)")


# ---------------------------------------------------------------------------- browsers
def test_a_browser_renamed_notebook_in_nbgrader_layout_is_graded_with_a_note(tmp_path,
                                                                              fingerprint):
    root = _lay_out(tmp_path / "subs", {
        f"alice/{ASSIGNMENT}/activation_derivatives (1).ipynb": WORK,
        f"bob/{ASSIGNMENT}/{NOTEBOOK}": WORK,
        f"carol/{ASSIGNMENT}/my_homework.ipynb": SCRATCH,  # not this assignment
    })
    subs = _by_id(gather_submissions(root, fingerprint=fingerprint))
    assert subs["alice"].content == WORK
    assert subs["alice"].note == "graded under another name (activation_derivatives (1).ipynb)"
    assert subs["bob"].note is None
    assert subs["carol"].problem == "no activation_derivatives.ipynb (found my_homework.ipynb)"


def test_two_notebooks_that_both_hold_the_assignment_are_reported_not_guessed(tmp_path,
                                                                              fingerprint):
    root = _lay_out(tmp_path / "subs", {
        f"alice/{ASSIGNMENT}/activation_derivatives (1).ipynb": WORK,
        f"alice/{ASSIGNMENT}/activation_derivatives (2).ipynb": WORK,
    })
    found = gather(root, fingerprint=fingerprint)
    [sub] = found.submissions
    assert sub.content is None
    assert sub.problem == ("2 notebooks hold this assignment (activation_derivatives (1).ipynb, "
                           "activation_derivatives (2).ipynb): keep one and grade again")
    assert [u.reason.startswith("not graded: 2 notebooks") for u in found.unused] == [True, True]


def test_without_a_fingerprint_only_the_name_counts_as_before(tmp_path):
    root = _lay_out(tmp_path / "subs", {
        f"alice/{ASSIGNMENT}/activation_derivatives (1).ipynb": WORK})
    [sub] = gather_submissions(root)
    assert sub.problem == "no activation_derivatives.ipynb (found activation_derivatives (1).ipynb)"


def test_a_file_that_is_not_a_notebook_never_matches_by_content(fingerprint):
    assert fingerprint.score(WORK) > 0 and fingerprint.score(COLAB) > 0
    assert fingerprint.score(SCRATCH) == 0
    assert fingerprint.score(b"def double(x):\n    return 2 * x\n") == 0  # a .py, not JSON
    assert fingerprint.score(b'{"cells": "def double(x): pass"}') == 0
    assert fingerprint.score(b"\xff\xfe") == 0


def test_the_real_assignment_needs_more_than_one_shared_function_name():
    real = Fingerprint.from_notebook(Path(__file__).resolve().parents[1] / "source" / ASSIGNMENT
                                     / NOTEBOOK)
    assert real is not None and len(real.functions) == 10  # sigmoid ... numerical_derivative
    shares_two = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def sigmoid(z):\n    pass\n\ndef relu(z):\n    pass")])).encode()
    assert real.score(shares_two) == 0  # 2 of 10 functions: another course's notebook
    # Half of them (5), pasted into a fresh notebook without any nbgrader metadata, is enough.
    five = "\n".join(f"def {f}(z):\n    pass" for f in sorted(real.functions)[:5])
    assert real.score(nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(five)])).encode()) == 5


# ---------------------------------------------------------------------------- flat files
def test_a_flat_zip_with_folders_gives_every_notebook_a_row(tmp_path, fingerprint):
    files = {
        "alice.ipynb": WORK,
        "late/bob.ipynb": WORK,  # a folder of late submissions
        f"carol/{NOTEBOOK}": WORK,  # a folder per student
        "notes/readme.txt": b"collected on Friday",
        ".DS_Store": b"\0",
    }
    found = gather(_zip(tmp_path / "flat.zip", files), fingerprint=fingerprint)
    subs = _by_id(found.submissions)
    assert found.layout == "files"
    assert {sid: s.content for sid, s in subs.items()} == {
        "alice": WORK, "bob": WORK, "carol": WORK}
    assert {u.path: u.reason for u in found.unused} == {
        "notes/readme.txt": "not a notebook", ".DS_Store": "hidden file"}


def test_a_folder_per_student_without_the_assignment_folder_is_read(tmp_path, fingerprint):
    files = {f"alice/{NOTEBOOK}": WORK, "bob/activation_derivatives (1).ipynb": WORK,
             "carol/carol.ipynb": WORK, "carol/data.csv": b"x,y", "README.txt": b"hi"}
    found = gather(_zip(tmp_path / "f.zip", files), fingerprint=fingerprint)
    assert found.layout == "folders"
    assert [(s.student_id, s.content, s.note) for s in found.submissions] == [
        ("alice", WORK, None),
        ("bob", WORK, "graded under another name (activation_derivatives (1).ipynb)"),
        ("carol", WORK, None)]
    assert [(u.path, u.student_id, u.reason) for u in found.unused] == [
        ("README.txt", "", "not in a student's folder"),
        ("carol/data.csv", "carol", "not a notebook")]


def test_a_zip_holding_the_same_name_twice_lists_the_hidden_entry(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        with zipfile.ZipFile(tmp_path / "d.zip", "w") as zf:
            zf.writestr("alice.ipynb", SCRATCH)
            zf.writestr("alice.ipynb", WORK)
    found = gather(tmp_path / "d.zip")
    assert [(s.student_id, s.content) for s in found.submissions] == [("alice", WORK)]
    assert [u.reason for u in found.unused] == [
        "a second entry of the same name in the zip (the last one is used)"]


def test_a_zip_written_with_backslashes_is_read_as_folders(tmp_path):
    found = gather(_zip(tmp_path / "win.zip", {"subs\\alice.ipynb": WORK,
                                                     "subs\\bob.ipynb": WORK}))
    assert [s.student_id for s in found.submissions] == ["alice", "bob"]


# ---------------------------------------------------------------------------- roster
def _roster(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_roster_maps_lms_ids_and_says_what_did_not_match(tmp_path, fingerprint):
    root = _lay_out(tmp_path / "canvas", CANVAS)
    roster = _roster(tmp_path / "roster.csv",
                     "\ufefflms_id,student_id\n1001,s001\n1002,s002\n1003,s003\n1004,s004\n"
                     "1005,s005\n9999,s999\n")  # with the BOM that Excel writes
    found = gather(root, fingerprint=fingerprint, roster=roster)
    ids = [s.student_id for s in found.submissions]
    assert ids == ["1006", "anon_x7Hq2", "s001", "s002", "s003", "s004", "s005"]
    assert ("roster: 2 student(s) of the download are not in it and keep the download's id: "
            "1006, anon_x7Hq2") in found.notes
    assert "roster: 1 row(s) matched no submission: 9999 (s999)" in found.notes
    assert {u.student_id for u in found.unused} == {"s004", "s005", "1006"}


@pytest.mark.parametrize(("text", "says"), [
    ("id,name\n1,a\n", "needs the columns lms_id,student_id"),
    ("lms_id,student_id\n1,a b\n", "line 2: 'a b' is not a student id"),
    ("lms_id,student_id\n1,a\n1,b\n", "line 3: lms_id 1 is given twice"),
    ("lms_id,student_id\n1,a\n2,a\n", "line 3: student_id a is given to two lms_ids"),
])
def test_a_bad_roster_is_refused_with_the_line(tmp_path, text, says):
    with pytest.raises(RosterError) as error:
        read_roster(_roster(tmp_path / "r.csv", text))
    assert says in str(error.value) and "\n" not in str(error.value)
    with pytest.raises(CollectError, match=says):  # the instructor's error when collecting
        gather(_lay_out(tmp_path / "s", {"a.ipynb": WORK}), roster=tmp_path / "r.csv")


def test_a_roster_id_that_is_also_a_download_id_is_not_given_twice(tmp_path):
    root = _lay_out(tmp_path / "s", {"1001.ipynb": WORK, "1002.ipynb": SCRATCH})
    roster = _roster(tmp_path / "r.csv", "lms_id,student_id\n1001,1002\n")
    found = gather(root, roster=roster)
    assert {s.student_id: s.content for s in found.submissions} == {
        "1002": WORK, "1002-2": SCRATCH}
    assert "student id '1002' would be 1002, which another student has; used 1002-2" in (
        found.notes)


def test_a_notebook_straight_in_a_students_folder_is_taken_by_its_name(tmp_path):
    root = _lay_out(tmp_path / "s", {f"alice/{NOTEBOOK}": WORK,
                                     f"bob/{ASSIGNMENT}/{NOTEBOOK}": WORK,
                                     f"bob/{NOTEBOOK}": SCRATCH})
    found = gather(root)
    assert [(s.student_id, s.content, s.note) for s in found.submissions] == [
        ("alice", WORK, None),
        ("bob", WORK, f"also handed in, not graded ({NOTEBOOK})")]


def test_a_missing_roster_is_an_instructor_error(tmp_path):
    with pytest.raises(CollectError, match="cannot be read"):
        gather(_lay_out(tmp_path / "s", {"a.ipynb": WORK}), roster=tmp_path / "no.csv")


# ---------------------------------------------------------------------------- unused list
@pytest.mark.parametrize("download", ["CANVAS", "MOODLE", "BLACKBOARD"])
def test_every_file_of_a_download_is_graded_or_listed(tmp_path, fingerprint, download):
    files = globals()[download]
    found = gather(_zip(tmp_path / "d.zip", files), fingerprint=fingerprint)
    graded = [s.origin.split("d.zip/", 1)[1] for s in found.submissions if s.content]
    unused = [u.path for u in found.unused]
    assert sorted(graded + unused) == sorted(files)  # each file exactly once


def test_the_unused_list_is_written_as_csv(tmp_path, fingerprint):
    found = gather(_zip(tmp_path / "d.zip", MOODLE), fingerprint=fingerprint)
    write_unused_csv(tmp_path / "unused_files.csv", found.unused)
    with open(tmp_path / "unused_files.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["path", "student_id", "reason"]
    assert [(r["path"], r["student_id"], r["reason"]) for r in rows] == [
        (u.path, u.student_id, u.reason) for u in found.unused]


# ---------------------------------------------------------------------------- one notebook
def test_a_single_notebook_is_one_students_submission(tmp_path):
    # Self-study: `grade my_work.ipynb` grades that one file; its stem is the student id.
    path = tmp_path / "my_work.ipynb"
    path.write_bytes(WORK)
    found = gather(path)
    assert [(s.student_id, s.content, s.problem) for s in found.submissions] == [
        ("my_work", WORK, None)]
    assert (found.layout, found.unused) == ("files", [])


def test_a_file_that_is_neither_a_folder_a_zip_nor_a_notebook_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(CollectError, match="neither a folder, a zip file nor a notebook"):
        gather(path)


# ---------------------------------------------------------------------------- which assignment
def _other_source() -> nbformat.NotebookNode:
    """A second assignment's source notebook: one function, cube, and its test."""
    solution = {"grade": False, "grade_id": "cube", "locked": False, "schema_version": 3,
                "solution": True}
    test = {"grade": True, "grade_id": "cube_of_two", "locked": True, "points": 1,
            "schema_version": 3, "solution": False}
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def cube(x):\n    return x ** 3",
                                  metadata={"nbgrader": solution}),
        nbformat.v4.new_code_cell("assert cube(2) == 8", metadata={"nbgrader": test})])


@pytest.fixture(scope="module")
def fingerprints(fingerprint, tmp_path_factory) -> dict[str, Fingerprint]:
    path = tmp_path_factory.mktemp("other") / "cubes.ipynb"
    nbformat.write(_other_source(), path)
    return {ASSIGNMENT: fingerprint, "cubes": Fingerprint.from_notebook(path)}


def test_the_assignment_of_each_notebook_is_told_by_folder_name_or_content(tmp_path,
                                                                           fingerprints):
    cubes = nbformat.writes(_other_source()).encode()
    root = _lay_out(tmp_path / "subs", {
        f"alice/{ASSIGNMENT}/{NOTEBOOK}": b"{}",  # the nbgrader folder says it, not the bytes
        f"bob/{NOTEBOOK}": b"{}",  # its name says it
        "carol.ipynb": WORK,  # its content
        "dan.ipynb": COLAB,  # its content, without any nbgrader metadata
        "erin/cubes.ipynb": b"{}",
        "fay.ipynb": cubes,
        "gus.ipynb": SCRATCH,  # neither: not counted
        "hal.txt": WORK,  # not a notebook: not counted
        ".ipynb_checkpoints/carol-checkpoint.ipynb": WORK,  # Jupyter's copy: not counted
    })
    assert assignments_in(root, fingerprints) == {ASSIGNMENT: 4, "cubes": 2}
    zipped = _zip(tmp_path / "subs.zip", {"carol.ipynb": WORK, "fay.ipynb": cubes})
    assert assignments_in(zipped, fingerprints) == {ASSIGNMENT: 1, "cubes": 1}
