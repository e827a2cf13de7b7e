"""Stage 2: repair a damaged submission before it is sanitized and graded.

A learner's notebook reaches us as their editor saved it. Google Colab drops every cell's
nbgrader metadata; answers pasted into a fresh notebook have none; copy and paste duplicates
cells; test cells get deleted or moved; nbformat 4.0 to 4.5 arrive, with or without cell ids.
Plain nbgrader then grades 0 or stops the whole batch. Here each cell is matched to the release
notebook by what it holds, not by the metadata it claims:

- a solution cell by the function it defines (its top-level names, read with `ast`). When several
  cells define the same function, the last one is the solution cell, as the last definition is
  the one Python keeps; the other copies stay as plain learner cells, so their code still runs;
- a test cell, or a locked cell (set-up), by its docstring or its source; a cell that still
  carries the cell's grade_id is taken when nothing matches by content. Of several copies, the
  last counts and the others become plain cells.

A read-only cell the learner edited (VS Code and Colab lock nothing) is not theirs to change,
yet what they added there may be needed (an import): the release's copy goes in just above, and
their copy stays as a plain cell of their own.

Then every matched cell gets the released nbgrader metadata, and every other cell loses any
nbgrader metadata it had (so made-up grade cells grade nothing). A test or locked cell gets the
release's source and cell type: the learner's copy of it is never trusted. Missing test and
locked cells are put back after the cell that precedes them in the release. A test cell that
sits above the answers it tests (a moved cell, or an answer written further down) is moved below
the last of them, so it sees the functions as the notebook finally defines them.

A notebook in which no cell defines any of the assignment's functions (another assignment's
notebook, an empty one) cannot be graded: `NotGradable` says why.

`repair` works on a copy and reports each change in learner-facing words (`Repaired.notes`) and
as one short status (`Repaired.status`, "repaired: nbgrader metadata restored on 18 cells").
A notebook that needs nothing gives no notes and an empty status.
"""

from __future__ import annotations

import ast
import copy
import re
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat
from nbformat import NotebookNode

CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+(\w+)", re.MULTILINE)


class NotGradable(Exception):
    """No solution cell can be found in the notebook; str() says why (for the status)."""


# ---------------------------------------------------------------------- reading cells
def _nbgrader(cell: NotebookNode) -> dict | None:
    meta = cell.get("metadata", {})
    value = meta.get("nbgrader") if isinstance(meta, dict) else None
    return value if isinstance(value, dict) else None


def _claimed_id(cell: NotebookNode) -> str | None:
    value = (_nbgrader(cell) or {}).get("grade_id")
    return value if isinstance(value, str) else None


def _source(cell: NotebookNode) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _parse(source: str) -> ast.Module | None:
    """The cell's syntax tree; IPython's %magics and !shell lines are read as blank lines."""
    for text in (source, _without_magics(source)):
        try:
            return ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        except (RecursionError, MemoryError):
            return None  # too deeply nested for Python's parser (the kernel will say so)
    return None


def _without_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def defined_names(tree: ast.Module | None) -> frozenset[str]:
    """Names a cell binds at top level: def, class, assignment, import (also inside a
    top-level if/try/with, not inside functions)."""
    names: set[str] = set()

    def visit(body):
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
                for part in ("body", "orelse", "finalbody"):
                    visit(getattr(node, part, []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    if tree is not None:
        visit(tree.body)
    return frozenset(names)


def _docstring(tree: ast.Module | None, source: str) -> str | None:
    if tree is not None:
        doc = ast.get_docstring(tree, clean=True)
        return doc.strip() or None if doc else None
    # Unparsable: a one-line docstring on the first line still identifies a test cell.
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    match = re.fullmatch(r'[rRuU]?("""|\'\'\')(.+?)\1', first)
    return match.group(2).strip() if match else None


def _text(source: str) -> str:
    """The source with trailing blanks and blank edge lines ignored."""
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


@dataclass(frozen=True)
class _Seen:
    """What one cell holds, for matching."""

    cell_type: str
    names: frozenset[str]
    docstring: str | None
    text: str
    claimed: str | None  # the grade_id its (untrusted) metadata names

    @classmethod
    def of(cls, cell: NotebookNode) -> _Seen:
        source = _source(cell)
        if cell.get("cell_type") != "code":
            return cls(str(cell.get("cell_type")), frozenset(), None, _text(source),
                       _claimed_id(cell))
        tree = _parse(source)
        names = defined_names(tree) if tree is not None else frozenset(
            DEF.findall(source))  # a syntax error further down: its defs still say what it is
        return cls("code", names, _docstring(tree, source), _text(source), _claimed_id(cell))


# ---------------------------------------------------------------------- the release
@dataclass(frozen=True)
class ReleaseCell:
    index: int  # position in the release notebook
    grade_id: str
    kind: str  # "solution" (learner's code), "test" (grade cell) or "locked" (set-up)
    cell: NotebookNode
    seen: _Seen

    @property
    def metadata(self) -> dict:
        return self.cell.metadata["nbgrader"]


@dataclass(frozen=True)
class Release:
    """The release notebook's cells that carry nbgrader metadata, in order."""

    cells: tuple[ReleaseCell, ...]
    functions: tuple[str, ...]  # the names the solution cells define, in order
    # The text of the release's plain code cells (no nbgrader metadata): one left as released is
    # the notebook's own code, never an answer, even where it rebinds a function's name (the
    # second assignment's demonstration of a planted mistake does).
    plain: frozenset[str] = frozenset()

    @classmethod
    def from_notebook(cls, nb: NotebookNode) -> Release:
        cells = []
        for index, cell in enumerate(nb.cells):
            meta = _nbgrader(cell)
            grade_id = _claimed_id(cell)
            if meta is None or grade_id is None:
                continue
            if meta.get("solution"):
                kind = "solution"  # the learner's own work (an answer graded by hand too)
            elif meta.get("grade") or meta.get("locked"):
                kind = "test" if meta.get("grade") else "locked"
            else:
                continue
            cells.append(ReleaseCell(index, grade_id, kind, cell, _Seen.of(cell)))
        functions = tuple(dict.fromkeys(
            name for c in cells if c.kind == "solution" for name in sorted(c.seen.names)))
        plain = frozenset(_text(_source(c)) for c in nb.cells
                          if c.get("cell_type") == "code" and _nbgrader(c) is None)
        return cls(tuple(cells), functions, plain)

    @classmethod
    def load(cls, path: Path) -> Release:
        path = Path(path)
        return _load(str(path.resolve()), path.stat().st_mtime_ns)

    @property
    def solutions(self) -> list[ReleaseCell]:
        return [c for c in self.cells if c.kind == "solution"]


@lru_cache(maxsize=8)
def _load(path: str, _mtime: int) -> Release:
    return Release.from_notebook(nbformat.read(path, as_version=4))


# ---------------------------------------------------------------------- repairing
@dataclass
class Repaired:
    """The repaired notebook and what was done to it."""

    notebook: NotebookNode
    restored: list[str] = field(default_factory=list)  # grade_ids whose metadata was put back
    put_back: list[str] = field(default_factory=list)  # deleted test/locked cells inserted
    duplicates: dict[str, int] = field(default_factory=dict)  # grade_id -> copies made plain
    moved: list[str] = field(default_factory=list)  # test cells moved below their answers
    kept: list[str] = field(default_factory=list)  # locked cells edited: the copy runs after
    removed: int = 0  # cells whose nbgrader metadata matched nothing and was dropped
    upgraded: str = ""  # "4.4 -> 4.5" when the format was brought up to date
    tests: frozenset[str] = frozenset()  # the release's test cells' grade_ids

    @property
    def changes(self) -> list[str]:
        """Short phrases for the status column."""
        parts = []
        if self.restored:
            parts.append(f"nbgrader metadata restored on {_count(self.restored, 'cell')}")
        if self.put_back:
            parts.append(f"{_count(self.put_back, 'deleted cell')} put back")
        if self.duplicates:
            copies = sum(self.duplicates.values())
            parts.append(f"{_count(copies, 'duplicated cell')} resolved (the last copy counts)")
        if self.moved:
            parts.append(f"{_count(self.moved, 'test cell')} moved below the answers")
        if self.kept:
            parts.append(f"{_count(self.kept, 'edited read-only cell')} run after the "
                         "released one")
        if self.removed:
            parts.append(f"made-up nbgrader metadata removed from {_count(self.removed, 'cell')}")
        return parts

    @property
    def status(self) -> str:
        return "repaired: " + ", ".join(self.changes) if self.changes else ""

    @property
    def notes(self) -> list[str]:
        """What the learner's feedback says, one sentence each."""
        notes = []
        if self.restored:
            notes.append(
                f"The nbgrader metadata of {_count(self.restored, 'cell')} was missing or "
                "changed (Google Colab and some other editors drop it); the cells were "
                "recognised by their content and graded as released.")
        tests = [g for g in self.put_back if g in self.tests]
        others = [g for g in self.put_back if g not in self.tests]
        if tests:
            notes.append(f"The deleted test cells were put back: {', '.join(tests)}.")
        if others:
            notes.append(f"The deleted read-only cells were put back: {', '.join(others)}.")
        if self.duplicates:
            names = ", ".join(self.duplicates)
            notes.append(f"Some cells appear more than once ({names}); the last copy was "
                         "graded, as Python keeps the last definition, and the others ran as "
                         "your own cells.")
        if self.moved:
            notes.append(f"Test cells that sat above the answer they test were run below it: "
                         f"{', '.join(self.moved)}.")
        if self.kept:
            notes.append(f"You edited read-only cells ({', '.join(self.kept)}): the released "
                         "version ran, then your copy as a cell of your own.")
        if self.removed:
            notes.append(f"The nbgrader metadata on {_count(self.removed, 'cell')} matched "
                         "nothing in the released notebook and was ignored.")
        return notes


def _count(items, noun: str) -> str:
    n = items if isinstance(items, int) else len(items)
    return f"{n} {noun}" + ("" if n == 1 else "s")


def repair(notebook: NotebookNode, release: Release) -> Repaired:
    """A repaired copy of `notebook` (see the module's docstring); NotGradable if no solution
    cell can be found."""
    nb = copy.deepcopy(notebook)
    result = Repaired(nb, tests=frozenset(r.grade_id for r in release.cells if r.kind == "test"))
    cells = list(nb.cells)
    seen = [_Seen.of(c) for c in cells]
    if not any(s.names & set(release.functions) for s in seen) and not any(
            s.claimed in {r.grade_id for r in release.solutions} for s in seen):
        raise NotGradable(_why_not(cells, release))

    role: dict[int, ReleaseCell] = {}  # learner cell index -> the release cell it is
    beside: dict[str, int] = {}  # grade_id -> the learner's edited copy of that locked cell
    at: dict[str, int] = {}  # grade_id -> learner cell index
    copies: dict[str, list[int]] = {}  # grade_id -> every learner cell that matched it

    # Solution cells: the last cell that defines the function (Python keeps that definition).
    for r in release.solutions:
        matches = [i for i, s in enumerate(seen) if s.names & r.seen.names
                   and s.text not in release.plain] if r.seen.names else []
        if not matches:
            matches = [i for i, s in enumerate(seen) if s.claimed == r.grade_id]
        if matches:
            copies[r.grade_id] = matches
        if matches and matches[-1] not in role:
            at[r.grade_id] = matches[-1]
            role[matches[-1]] = r
        # else the last definition is in a cell that answers an earlier function as well:
        # that cell is the solution cell of both (it holds one grade_id, the first one)

    # Test and locked cells: by docstring or source, else by the grade_id the cell still names.
    for r in release.cells:
        if r.kind == "solution":
            continue
        matches = [i for i, s in enumerate(seen) if i not in role and _same(s, r.seen)]
        if not matches:
            matches = [i for i, s in enumerate(seen)
                       if i not in role and s.claimed == r.grade_id and not s.names & set(
                           release.functions)]
            if matches and r.kind == "locked":
                # An edited copy of a read-only cell (VS Code and Colab do not lock cells): the
                # release's copy runs, then the learner's, as a cell of their own (an import
                # they added there still counts).
                result.kept.append(r.grade_id)
                beside[r.grade_id] = matches[-1]
                continue
        if matches:
            at[r.grade_id] = matches[-1]
            role[matches[-1]] = r
            copies[r.grade_id] = matches

    for grade_id, found in copies.items():
        extra = [i for i in found if i != found[-1]]
        if extra:
            result.duplicates[grade_id] = len(extra)

    # Metadata: the release's on every matched cell, none on any other.
    known = {r.grade_id for r in release.cells}
    for i, cell in enumerate(cells):
        r = role.get(i)
        if r is None:
            if "nbgrader" in cell.get("metadata", {}):
                if seen[i].claimed is not None and seen[i].claimed not in known:
                    result.removed += 1  # a grade_id the release does not have: made up
                del cell.metadata["nbgrader"]
            continue
        if _nbgrader(cell) != r.metadata:
            result.restored.append(r.grade_id)
        cell.setdefault("metadata", NotebookNode())
        cell.metadata["nbgrader"] = copy.deepcopy(r.metadata)
        if r.kind != "solution":
            _become(cell, r.cell)

    # Where test and locked cells go: kept where the learner has them, deleted ones after the
    # cell before them in the release, and never above an answer they may test.
    kept = [i for i in range(len(cells)) if i not in role or role[i].kind == "solution"]
    slot_of_kept = {i: k for k, i in enumerate(kept)}
    first_code = next((k for k, i in enumerate(kept) if cells[i].get("cell_type") == "code"),
                      len(kept))
    slot: dict[str, int] = {}
    for r in release.cells:
        if r.kind == "solution":
            continue
        if r.grade_id in at:
            wanted = sum(1 for i in kept if i < at[r.grade_id])
        elif r.grade_id in beside:
            wanted = slot_of_kept[beside[r.grade_id]]  # just above the learner's copy
        else:
            wanted = _slot_after_previous(r, release, at, slot, slot_of_kept, first_code)
            result.put_back.append(r.grade_id)
        needs = [slot_of_kept[at[s.grade_id]] + 1 for s in release.solutions
                 if s.index < r.index and s.grade_id in at]
        needs += [slot[c.grade_id] for c in release.cells
                  if c.kind == "locked" and c.index < r.index and c.grade_id in slot]
        lowest = max(needs, default=0)
        if wanted < lowest:
            if r.grade_id in at and r.kind == "test":
                result.moved.append(r.grade_id)
            wanted = lowest
        slot[r.grade_id] = wanted

    placed = {k: [] for k in range(len(kept) + 1)}
    for r in release.cells:
        if r.kind == "solution":
            continue
        if r.grade_id in at:
            placed[slot[r.grade_id]].append(cells[at[r.grade_id]])
        else:
            placed[slot[r.grade_id]].append(_fresh(r.cell))
    ordered = []
    for k in range(len(kept) + 1):
        ordered.extend(placed[k])
        if k < len(kept):
            ordered.append(cells[kept[k]])
    nb.cells = ordered
    result.upgraded = _up_to_date(nb)
    return result


def _same(seen: _Seen, release: _Seen) -> bool:
    """Is this learner cell a copy (maybe edited) of the release's test or locked cell?"""
    if seen.cell_type != release.cell_type:
        return False
    if release.docstring and seen.docstring == release.docstring:
        return True
    return bool(release.text) and seen.text == release.text


def _slot_after_previous(r: ReleaseCell, release: Release, at: dict, slot: dict,
                         slot_of_kept: dict, first_code: int) -> int:
    """Where a deleted cell goes: right after the nearest earlier release cell still there."""
    for previous in reversed([c for c in release.cells if c.index < r.index]):
        if previous.grade_id in slot:
            return slot[previous.grade_id]
        if previous.kind == "solution" and previous.grade_id in at:
            return slot_of_kept[at[previous.grade_id]] + 1
    return first_code


def _become(cell: NotebookNode, released: NotebookNode) -> None:
    """Give a learner's copy of a test or locked cell the release's type and source."""
    cell.source = released.source
    if cell.get("cell_type") != released.cell_type:
        cell.cell_type = released.cell_type
        if released.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    cell.pop("attachments", None)


def _fresh(released: NotebookNode) -> NotebookNode:
    cell = copy.deepcopy(released)  # its id stays, unless a learner's cell uses it already
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def _up_to_date(nb: NotebookNode) -> str:
    """nbformat 4.5 with a unique id on every cell (4.0 to 4.4 have none)."""
    before = f"{nb.get('nbformat', 4)}.{nb.get('nbformat_minor', 0)}"
    if nb.get("nbformat_minor", 0) < 5:
        nb.nbformat_minor = 5
    used = set()
    for cell in nb.cells:
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not CELL_ID.match(cell_id) or cell_id in used:
            cell_id = uuid.uuid4().hex[:16]
        cell["id"] = cell_id
        used.add(cell_id)
    return "" if before == "4.5" else f"{before} -> 4.5"


def _why_not(cells: list[NotebookNode], release: Release) -> str:
    functions = list(release.functions)
    shown = ", ".join(functions[:4]) + (", ..." if len(functions) > 4 else "")
    code = [c for c in cells if c.get("cell_type") == "code" and _source(c).strip()]
    if not code:
        return "not gradable: the notebook has no code in it"
    return (f"not gradable: no cell defines any of this assignment's functions ({shown}); "
            "is it the right notebook?")
