"""Stage 2: the nbgrader course in DIR that a grading run works in.

DIR is a real nbgrader course directory, so nbgrader's own tools (formgrader, `nbgrader export`)
work on it unchanged:

    DIR/nbgrader_config.py              copied from the course (the repository root)
    DIR/source/<assignment>/            copied from the course (the assignment graded: one
                                        workspace grades one assignment)
    DIR/release/<assignment>/           built by nbgrader's generate_assignment
    DIR/gradebook.db                    nbgrader's gradebook (this process is its only writer)
    DIR/submitted/<sid>/<assignment>/<assignment>.ipynb   as handed in
    DIR/autograded/<sid>/<assignment>/<assignment>.ipynb  as executed
    DIR/feedback/<sid>/<assignment>.html, DIR/results/<sid>.json, DIR/grades.csv
    DIR/.autograder/                    the autograder's own records (workspace.json, seed,
                                        state/)

The gradebook is built once and reused while the source is unchanged (same hash of
nbgrader_config.py and source/). When the source changes, the old gradebook is kept as
gradebook.db.<time>.bak and a new one is built; every student is then graded again. The
gradebook is in sqlite's WAL mode (gradebook.shared_gradebook): while a run is going, or after one
was killed, the last transactions may sit in gradebook.db-wal beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MARKER = ".autograder"
# What a workspace holds; a folder that already has any of these and is not a workspace is
# refused rather than overwritten.
OWNED = {"nbgrader_config.py", "source", "release", "gradebook.db", "submitted", "autograded",
         "feedback", "results", "grades.csv"}


class WorkspaceError(Exception):
    """DIR or the course cannot be used (an instructor's mistake); the message says what to do."""


def assignments(course: Path) -> list[str]:
    """The assignments of a course, sorted: each folder source/<name>/ holding <name>.ipynb."""
    source = Path(course) / "source"
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and (p / f"{p.name}.ipynb").is_file())


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write `path` so that it holds either its old content or all of `data`, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _ensure_alembic_on_path() -> None:
    # nbgrader runs the `alembic` executable when it creates a gradebook; it lives next to python.
    if shutil.which("alembic") is None:
        os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


@dataclass
class Workspace:
    """An nbgrader course directory in `root`, built from the course in `course`."""

    root: Path
    course: Path = REPO
    config: object = field(default=None, repr=False)  # traitlets Config of nbgrader_config.py
    assignment: str = ""  # source/<assignment>/<assignment>.ipynb

    def __post_init__(self):
        self.root = Path(self.root).resolve()
        self.course = Path(self.course).resolve()

    @property
    def notebook(self) -> str:
        return f"{self.assignment}.ipynb"

    # ---------------------------------------------------------------- paths
    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    @property
    def release_notebook(self) -> Path:
        return self.root / "release" / self.assignment / self.notebook

    def submitted(self, sid: str) -> Path:
        return self.root / "submitted" / sid / self.assignment / self.notebook

    def autograded(self, sid: str) -> Path:
        return self.root / "autograded" / sid / self.assignment / self.notebook

    def feedback(self, sid: str) -> Path:
        return self.root / "feedback" / sid / f"{self.assignment}.html"

    def results(self, sid: str) -> Path:
        return self.root / "results" / f"{sid}.json"

    def state(self, sid: str) -> Path:
        return self.root / MARKER / "state" / f"{sid}.json"

    @property
    def grades_csv(self) -> Path:
        return self.root / "grades.csv"

    def seed(self) -> int:
        """The clean room's seed for this workspace: drawn from os.urandom when the workspace
        is first used, then kept, so that grading the same submissions again draws the same
        inputs (and gives the same grades), while nobody outside the workspace knows them."""
        path = self.root / MARKER / "seed"
        if not path.exists():
            atomic_write(path, str(int.from_bytes(os.urandom(16), "big")))
        return int(path.read_text())

    # ---------------------------------------------------------------- building
    def source_hash(self) -> str:
        """Hash of what the gradebook is built from: the config and the assignment's source."""
        digest = hashlib.sha256()
        config = self.course / "nbgrader_config.py"
        folder = self.course / "source" / self.assignment
        for path in [config, *sorted(p for p in folder.rglob("*") if p.is_file())]:
            digest.update(str(path.relative_to(self.course)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
        return digest.hexdigest()

    def prepare(self) -> bool:
        """Build the workspace, or reuse it when the source is unchanged; True when (re)built."""
        self._check_course()
        marker = self.root / MARKER / "workspace.json"
        if self.root.exists() and not self.root.is_dir():
            raise WorkspaceError(f"--out {self.root} is a file: give a folder for the results.")
        if self.root == self.course or self.course.is_relative_to(self.root):
            raise WorkspaceError(
                f"--out {self.root} holds the course itself: give a separate folder for the "
                "results (for example grading/)."
            )
        clash = sorted(p.name for p in self.root.iterdir() if p.name in OWNED) if (
            self.root.is_dir() and not marker.exists()) else []
        if clash:
            raise WorkspaceError(
                f"--out {self.root} already holds {', '.join(clash)} but is not an autograder "
                "workspace: give a new folder, or the --out folder of an earlier run."
            )
        _ensure_alembic_on_path()
        wanted = self.source_hash()
        record = (json.loads(marker.read_text()) if marker.exists()
                  else {"assignment": self.assignment})
        if record.get("assignment") != self.assignment:
            raise WorkspaceError(
                f"--out {self.root} holds the grading of {record.get('assignment')}, "
                f"not {self.assignment}: give each assignment a folder of its own."
            )
        built = record.get("source_sha256")
        fresh = (built == wanted and (self.root / "gradebook.db").exists()
                 and self.release_notebook.exists())
        if not fresh:
            self._build(wanted, marker)
        self.config = self._load_config()
        return not fresh

    def _check_course(self) -> None:
        config = self.course / "nbgrader_config.py"
        notebook = self.course / "source" / self.assignment / self.notebook
        if not config.is_file():
            raise WorkspaceError(f"{self.course} is not a course: it has no nbgrader_config.py.")
        if not notebook.is_file():
            raise WorkspaceError(
                f"{self.course} has no assignment source {notebook.relative_to(self.course)}."
            )

    def _load_config(self):
        from traitlets.config.loader import PyFileConfigLoader

        # Loading runs nbgrader_config.py, which sets the kernels' environment defaults
        # (ACTIVATION_KINK_POLICY) in this process; the kernels inherit them.
        config = PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()
        config.CourseDirectory.root = str(self.root)
        return config

    def _build(self, source_hash: str, marker: Path) -> None:
        from nbgrader.apps.api import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        from .gradebook import shared_gradebook
        from .sanitize import schema_checked_once

        self.root.mkdir(parents=True, exist_ok=True)
        if (self.root / "gradebook.db").exists():
            stamp = time.strftime("%Y%m%dT%H%M%S")
            # A killed run can leave the last grades in gradebook.db-wal (sqlite's WAL mode, see
            # gradebook.shared_gradebook): it moves with the database, whose name it must match, and
            # is never left beside the new gradebook.db.
            for suffix in ("", "-wal", "-shm"):
                part = self.root / f"gradebook.db{suffix}"
                if part.exists():
                    part.rename(self.root / f"gradebook.db.{stamp}.bak{suffix}")
        shutil.copy(self.course / "nbgrader_config.py", self.root / "nbgrader_config.py")
        target = self.root / "source" / self.assignment
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(self.course / "source" / self.assignment, target)
        config = self._load_config()
        coursedir = CourseDirectory(config=config)
        api = NbGraderAPI(coursedir=coursedir, config=config)
        # nbgrader creates the gradebook here; shared_gradebook() spares it the `alembic heads`
        # subprocess (most of a new workspace's build) and opens it in WAL mode.
        with shared_gradebook(), schema_checked_once():
            result = api.generate_assignment(self.assignment, force=True, create=True)
        if not result["success"]:
            lines = (result.get("error") or result.get("log") or "").strip().splitlines()
            raise WorkspaceError(
                "nbgrader could not build the assignment from "
                f"source/{self.assignment}/{self.notebook}: "
                f"{lines[-1] if lines else 'no details'}. "
                f"Run `nbgrader generate_assignment {self.assignment}` in the course to see why."
            )
        atomic_write(marker, json.dumps({"source_sha256": source_hash,
                                         "assignment": self.assignment}))
