"""The course: its assignments, found on disk, and the digest of what decides a grade.

A course is a folder (by default this repository) with ``nbgrader_config.py`` and, per
assignment NAME:

    source/NAME/NAME.ipynb      the instructor's notebook (solutions and hidden tests)
    release/NAME/NAME.ipynb     the learner's notebook, generated from it by nbgrader
    solutions/NAME/             checks.py (CHECKS), mistakes.py (MISTAKES), reference.py,
                                manifest.toml (title, order, time, summary, settings, demo)
                                and, optionally, variants.py (HONEST: other right answers)

An assignment is exactly such a folder: nothing in the grader names one. One without a
``solutions/NAME/`` package is graded by nbgrader's own tests alone (no clean room, no known
mistakes); its title is its name.

The grading process imports the checks from the course's own ``solutions`` package: before the
first import, :func:`use` puts the course first on ``sys.path``; a process that already imported
another ``solutions`` refuses to grade this course rather than grade it against other checks.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GRADER = Path(__file__).resolve().parent  # the grader's own code, part of every digest
SHARED = ("__init__.py", "checking.py", "elementwise.py", "wire.py")  # solutions/ machinery


class CourseError(Exception):
    """The course cannot be used as asked; the message says what to do."""


@dataclass(frozen=True)
class Assignment:
    """One assignment of a course, as its folders and manifest describe it."""

    name: str
    course: Path
    title: str
    order: int
    time: str = ""
    summary: str = ""
    settings: tuple[str, ...] = ()  # environment variables its checks read
    demo: tuple[str, ...] = ()  # catalogue keys the demo class plants (python -m autograder demo)

    @property
    def notebook(self) -> str:
        return f"{self.name}.ipynb"

    @property
    def source(self) -> Path:
        return self.course / "source" / self.name / self.notebook

    @property
    def release(self) -> Path:
        return self.course / "release" / self.name / self.notebook

    @property
    def package(self) -> Path:
        return self.course / "solutions" / self.name

    @property
    def has_checks(self) -> bool:
        return (self.package / "checks.py").is_file()

    def checks(self) -> Mapping:
        """The CHECKS table (grade_id -> solutions.checking.Check); empty without a package."""
        if not self.has_checks:
            return {}
        return _module(self.course, f"solutions.{self.name}.checks").CHECKS

    def catalogue(self) -> Sequence:
        """The known mistakes (solutions.checking.Mistake); empty without a catalogue."""
        if not (self.package / "mistakes.py").is_file():
            return ()
        return tuple(_module(self.course, f"solutions.{self.name}.mistakes").MISTAKES)

    def reference(self):
        """The model answers' module (solutions.NAME.reference), or None."""
        if not (self.package / "reference.py").is_file():
            return None
        return _module(self.course, f"solutions.{self.name}.reference")


def assignments(course: Path = REPO) -> list[Assignment]:
    """The course's assignments in the order learners take them (manifest ``order``, then
    name): every folder source/NAME/ holding NAME.ipynb."""
    source = Path(course) / "source"
    if not source.is_dir():
        return []
    found = [_load(Path(course).resolve(), p.name) for p in source.iterdir()
             if p.is_dir() and (p / f"{p.name}.ipynb").is_file()]
    return sorted(found, key=lambda a: (a.order, a.name))


def names(course: Path = REPO) -> list[str]:
    return [a.name for a in assignments(course)]


def assignment(course: Path, name: str) -> Assignment:
    """The assignment ``name`` of ``course`` (CourseError naming those that exist)."""
    for found in assignments(course):
        if found.name == name:
            return found
    existing = ", ".join(names(course)) or "none"
    raise CourseError(f"the course {course} has no assignment {name!r} (it has {existing}).")


def _load(course: Path, name: str) -> Assignment:
    manifest = course / "solutions" / name / "manifest.toml"
    data = {}
    if manifest.is_file():
        try:
            data = tomllib.loads(manifest.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise CourseError(f"{manifest} cannot be read: {error}") from None
    return Assignment(name, course, str(data.get("title", name.replace("_", " "))),
                      int(data.get("order", 1000)), str(data.get("time", "")),
                      str(data.get("summary", "")), tuple(data.get("settings", ())),
                      tuple(data.get("demo", ())))


# --------------------------------------------------------------------------------------------
# The course's own solutions package
# --------------------------------------------------------------------------------------------


def use(course: Path) -> None:
    """Make ``course``'s solutions/ the package this process imports as ``solutions``.

    Before it is first imported, the course goes first on sys.path. Once imported from
    elsewhere, CourseError: this process would grade against another course's checks.
    """
    folder = (Path(course) / "solutions").resolve()
    if not folder.is_dir():
        return
    loaded = sys.modules.get("solutions")
    if loaded is None:
        sys.path.insert(0, str(folder.parent))
        importlib.invalidate_caches()
        loaded = importlib.import_module("solutions")
    where = Path(next(iter(loaded.__path__))).resolve()
    if where != folder:
        raise CourseError(
            f"this process imported the reference package from {where}, not from the course's "
            f"own {folder}: grade this course in a process of its own (python -m autograder "
            f"grade ... --course {course})."
        )


def installed(name: str) -> Assignment:
    """The assignment ``name`` as this process's own ``solutions`` package has it (what a
    worker grades with): its folder's parent stands for the course."""
    import solutions

    return _load(Path(next(iter(solutions.__path__))).resolve().parent, name)


def _module(course: Path, module: str):
    use(course)
    return importlib.import_module(module)


# --------------------------------------------------------------------------------------------
# What decides a grade
# --------------------------------------------------------------------------------------------


def _hash_files(digest, root: Path, paths) -> None:
    for path in sorted(paths):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")


def solutions_digest(a: Assignment) -> str:
    """A hash of the assignment's solutions package and the machinery it shares."""
    digest = hashlib.sha256()
    root = a.course / "solutions"
    _hash_files(digest, root, a.package.rglob("*") if a.package.is_dir() else [])
    _hash_files(digest, root, [root / name for name in SHARED])
    return digest.hexdigest()


@functools.cache
def grader_digest() -> str:
    """A hash of the grader's own code (every .py file under autograder/)."""
    digest = hashlib.sha256()
    _hash_files(digest, GRADER, GRADER.rglob("*.py"))
    return digest.hexdigest()


def digest(a: Assignment, options: Mapping | None = None) -> str:
    """A hash of everything that decides this assignment's grades: nbgrader_config.py, its
    source notebook folder, its solutions package and the machinery it shares, the grader's
    code, the settings its manifest names (as this process's environment has them) and the
    grading ``options`` (a JSON-able mapping: timeout, clean room...). A change to any of them
    regrades every student."""
    digest = hashlib.sha256()
    course = a.course
    _hash_files(digest, course, [course / "nbgrader_config.py"])
    _hash_files(digest, course, (course / "source" / a.name).rglob("*"))
    digest.update(solutions_digest(a).encode())
    digest.update(grader_digest().encode())
    settings = {name: os.environ.get(name) for name in a.settings}
    digest.update(json.dumps([settings, dict(options or {})], sort_keys=True,
                             default=str).encode())
    return digest.hexdigest()
