"""`grade()`: the whole batch, stage by stage (one module per stage).

    collect -> workspace -> repair -> sanitize (score) -> execute -> save (score) -> feedback
    -> report -> analytics (item_analysis.csv and report.html, over every student of the
    workspace)

Nothing is lost:
- Each student is committed as soon as their notebook has run, in this order: gradebook
  (SaveAutoGrades, sqlite transactions in WAL mode, checkpointed to disk once the student's
  grades are in: score.shared_gradebook), autograded notebook, feedback, results.json, and last
  DIR/.autograder/state/<sid>.json, each written to a temporary file and renamed. The state file
  records the submission's content hash and the source's hash; a student whose state matches
  is not graded again (unless force=True). A run killed at any moment (Ctrl-C, kill -9) thus
  resumes where it stopped, and a student half-way through is simply graded again.
- grades.csv is written once at the end, to a temporary file that is then renamed.
- Notebooks run concurrently (`jobs` at a time, each in a fresh kernel of its own); the main
  thread alone writes the gradebook and the output files.

A grading error that is not the learner's doing (a kernel that cannot start) gives the student a
row with an empty score and status "error: ...", and no state file, so the next run retries.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import analytics, cleanroom, feedback, sandbox
from .collect import (
    ASSIGNMENT,
    NOTEBOOK,
    CollectError,
    Fingerprint,
    Submission,
    Unused,
    collect_all,
    write_unused_csv,
)
from .execute import Cancelled, Execution, KernelManagerFactory, Limits, execute
from .repair import NotGradable, Release, repair
from .report import Row, summary, write_csv
from .score import (
    Assignment,
    NotANotebook,
    SanitizeError,
    outcomes,
    parse_notebook,
    sanitize,
    save,
    save_zero,
    shared_gradebook,
)
from .workspace import REPO, Workspace, WorkspaceError, atomic_write

# Bump when a change to the grading logic must regrade every student in existing workspaces.
# 3: repair before grading; feedback names known mistakes (issues 12, 14)
# 4: the clean room runs every cell, as the kernel did (issue 12)
GRADER_VERSION = 4

# Optional per-notebook caps on test-cell points, computed next to the in-kernel run (the clean
# room of the trustworthy-grades issue): notebook -> {grade_id: (max points, status reason[,
# the learner's feedback message for that test cell; the reason when absent])}.
Caps = Callable[[NotebookNode], dict[str, tuple]]


class GradingError(Exception):
    """The batch cannot be graded as asked (an instructor's mistake); the message says why."""


@dataclass
class BatchResult:
    rows: list[Row]
    summary: str
    workspace: Path
    graded: int = 0  # students graded in this run
    reused: int = 0  # students whose earlier result was still valid
    grade_ids: list[str] = field(default_factory=list)
    sandbox: str = ""  # which bubblewrap ran learner code, and why (or that none did)
    layout: str = ""  # what SUBMISSIONS was: "nbgrader", "files", "Canvas", "Moodle"...
    unused: list[Unused] = field(default_factory=list)  # files not graded, with the reason
    collect_notes: list[str] = field(default_factory=list)  # roster matches, ids made safe
    analysis_seconds: float = 0.0  # writing item_analysis.csv and report.html


@dataclass
class _Job:
    submission: Submission
    notebook: NotebookNode
    notes: list[str]
    repaired: str = ""  # "repaired: ..." when repair changed the notebook (for the status)


# One gradebook engine for the whole run (nbgrader opens the gradebook several times per
# student), checkpointed and closed when the run ends, however it ends.
@shared_gradebook()
def grade(
    submissions: Path,
    out: Path,
    *,
    force: bool = False,
    jobs: int | None = None,
    timeout: float = 10.0,
    unsafe: bool = False,
    progress: bool = True,
    course: Path = REPO,
    kernel_manager_factory: KernelManagerFactory | None = None,
    caps: Caps | None = None,
    limits: Limits | None = None,
    roster: Path | None = None,
) -> BatchResult:
    """Grade every submission in `submissions` into the workspace `out`."""
    if timeout <= 0:
        raise GradingError(f"--timeout must be a positive number of seconds, not {timeout:g}.")
    if jobs is not None and jobs < 1:
        raise GradingError(f"--jobs must be at least 1, not {jobs}.")
    try:
        fingerprint = Fingerprint.from_notebook(Path(course) / "source" / ASSIGNMENT / NOTEBOOK)
        collected = collect_all(Path(submissions), fingerprint=fingerprint, roster=roster)
        found = collected.submissions
        ws = Workspace(Path(out), Path(course))
    except (CollectError, WorkspaceError) as error:
        raise GradingError(str(error)) from None
    # The sandbox check and the zygote's imports (seconds) overlap with building the workspace.
    starting = None
    if kernel_manager_factory is None:
        starting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-start")
        sandbox_ready = starting.submit(_sandbox_factory, ws, unsafe)
    try:
        ws.prepare()
    except WorkspaceError as error:
        raise GradingError(str(error)) from None
    finally:
        factory = kernel_manager_factory or sandbox_ready.result()
        if starting is not None:
            starting.shutdown()
    write_unused_csv(ws.root / "unused_files.csv", collected.unused)
    assignment = Assignment.load(ws.root / "source" / ASSIGNMENT / NOTEBOOK, ws.release_notebook)
    if caps is None:
        caps = _default_caps(timeout)
    limits = limits or Limits(timeout=timeout)
    key_base = {"source": ws.source_hash(), "grader": GRADER_VERSION}
    grader = _Grader(ws, assignment, key_base, progress)

    rows: dict[str, Row] = {}
    to_grade = []
    for sub in found:
        row = None if force else grader.cached(sub)
        if row is None:
            to_grade.append(sub)
        else:
            rows[sub.student_id] = row
    reused = len(found) - len(to_grade)

    def jobs_to_run() -> Iterator[_Job]:
        """Each submission to run, prepared only when a worker is about to be free: the first
        notebooks run while the others are still being prepared."""
        for sub in to_grade:
            job_or_row = grader.prepare(sub)
            if isinstance(job_or_row, Row):
                rows[sub.student_id] = job_or_row
            else:
                yield job_or_row

    isolation = _record_sandbox(ws, factory, kernel_manager_factory is not None)
    rows.update(grader.run(jobs_to_run(), len(to_grade), jobs or os.cpu_count() or 1, limits,
                           factory, caps))
    ordered = [rows[s.student_id] for s in found]
    grade_ids = [c.grade_id for c in assignment.grade_cells]
    write_csv(ws.grades_csv, ordered, grade_ids)
    table = summary(ordered, grade_ids, {c.grade_id: c.points for c in assignment.grade_cells})
    started = time.perf_counter()
    cells = [analytics.Cell(c.grade_id, c.points, c.function, c.hidden)
             for c in assignment.grade_cells]
    analytics.write(ws.root, ordered, cells, assignment.max_score, ws.feedback)
    return BatchResult(ordered, table, ws.root, len(found) - reused, reused, grade_ids,
                       isolation, collected.layout, collected.unused, collected.notes,
                       time.perf_counter() - started)


def _record_sandbox(ws: Workspace, factory, custom: bool) -> str:
    """Say which bubblewrap runs learner code, and why, in DIR/.autograder/sandbox.json."""
    chosen = sandbox.bubblewrap()
    if custom:
        line = "kernels from the caller's kernel manager factory"
    elif factory is None:
        line = f"none (--unsafe): learner code runs unsandboxed; {chosen.describe()}"
    else:
        line = chosen.why
    record = {"sandboxed": factory is not None and not custom, "summary": line,
              "bubblewrap": chosen.as_dict()}
    atomic_write(ws.root / ".autograder" / "sandbox.json", json.dumps(record, indent=1))
    return line


def _sandbox_factory(ws: Workspace, unsafe: bool) -> KernelManagerFactory | None:
    """Sandboxed kernels; a GradingError where no sandbox can start, unless `unsafe`."""
    try:
        return sandbox.kernel_manager_factory(workspace=ws.root, unsafe=unsafe)
    except RuntimeError as error:
        raise GradingError(str(error)) from None


def _default_caps(timeout: float) -> Caps | None:
    """The clean room re-checks every grade cell wherever the sandbox can start (issue 6); a
    cell may run there as long as in the kernel (`timeout`)."""
    if sandbox.sandbox_problem() is not None:
        return None
    return functools.partial(cleanroom.notebook_caps, cell_seconds=timeout)


class _Grader:
    def __init__(self, ws: Workspace, assignment: Assignment, key_base: dict, progress: bool):
        self.ws = ws
        self.assignment = assignment
        self.key_base = key_base
        self.progress = progress
        self.release = Release.load(ws.release_notebook)

    def _key(self, sub: Submission) -> dict:
        return {**self.key_base, "submission": sub.sha256}

    # ------------------------------------------------------------------ state
    def cached(self, sub: Submission) -> Row | None:
        path = self.ws.state(sub.student_id) if sub.problem is None or _safe(sub) else None
        if path is None or not path.exists():
            return None
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if state.get("key") != self._key(sub):
            return None
        sid = sub.student_id
        if not (self.ws.feedback(sid).exists() and self.ws.results(sid).exists()):
            return None  # someone removed its outputs: grade it again
        return Row(**state["row"])

    def commit(self, sub: Submission, status: str, points: dict[str, float],
               nb: NotebookNode | None, notes: list[str],
               messages: dict[str, str] | None = None) -> Row:
        """Write everything about one student; the state file last."""
        a = self.assignment
        if sub.note:  # which notebook was graded, when it was not the obvious one
            notes = [*notes, sub.learner_note or sub.note]
        score = sum(points.get(c.grade_id, 0.0) for c in a.grade_cells)
        row = Row(sub.student_id, score, a.max_score,
                  f"{status}; {sub.note}" if sub.note else status,
                  {c.grade_id: points.get(c.grade_id, 0.0) for c in a.grade_cells})
        if nb is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # nbformat's notes on cell ids it normalised
                text = nbformat.writes(nb)
            atomic_write(self.ws.autograded(sub.student_id), text)
        found = outcomes(nb, a, points, messages)
        atomic_write(self.ws.feedback(sub.student_id),
                     feedback.html(sub.student_id, status, score, a.max_score, found, notes))
        atomic_write(self.ws.results(sub.student_id),
                     feedback.gradescope(status, score, found, notes))
        state = {"key": self._key(sub), "row": asdict(row), "notes": notes,
                 "mistakes": analytics.mistakes_of(found)}
        atomic_write(self.ws.state(sub.student_id), json.dumps(state, indent=1))
        return row

    # ------------------------------------------------------------------ before running
    def prepare(self, sub: Submission) -> _Job | Row:
        sid = sub.student_id
        if sub.problem is not None:
            if not _safe(sub):  # no folder can be made for an unusable id
                return Row(sid, 0.0, self.assignment.max_score, sub.problem)
            return self.commit(sub, sub.problem, save_zero(self.ws.db_url, sid), None, [])
        path = self.ws.submitted(sid)
        if not path.exists() or path.read_bytes() != sub.content:
            atomic_write(path, sub.content)
        try:
            fixed = repair(parse_notebook(sub.content), self.release)
            nb = fixed.notebook
            notes = fixed.notes + sanitize(nb, self.assignment, self.ws.db_url, sid,
                                           self.ws.config)
        except (NotANotebook, NotGradable) as error:
            return self.commit(sub, str(error), save_zero(self.ws.db_url, sid), None, [])
        except SanitizeError as error:
            status = f"not gradable: nbgrader rejected the cell metadata ({error})"
            return self.commit(sub, status, save_zero(self.ws.db_url, sid), None, [])
        except Exception as error:  # one unreadable notebook never stops the batch
            status = f"not gradable: {type(error).__name__}: {_first_line(error)}"
            return self.commit(sub, status, save_zero(self.ws.db_url, sid), None, [])
        return _Job(sub, nb, notes, fixed.status)

    # ------------------------------------------------------------------ running
    def run(self, pending: Iterator[_Job], total: int, jobs: int, limits: Limits,
            factory: KernelManagerFactory | None, caps: Caps | None) -> dict[str, Row]:
        """Run the jobs `jobs` at a time; this thread prepares the next job and commits each
        finished one while the workers run notebooks."""
        from tqdm import tqdm

        rows: dict[str, Row] = {}
        cancel = threading.Event()
        bar = tqdm(total=total, unit="notebook", desc="grading", disable=not self.progress,
                   leave=False)
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="autograder")
        futures: dict[Future, _Job] = {}
        try:
            waiting: set[Future] = set()
            more = True
            while more or waiting:
                # One job ready beyond the running ones: a worker never waits for this thread.
                while more and len(waiting) <= jobs:
                    job = next(pending, None)
                    if job is None:
                        more = False
                        break
                    future = pool.submit(self._execute, job, limits, factory, caps, cancel)
                    futures[future] = job
                    waiting.add(future)
                if not waiting:
                    break
                done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                for future in done:
                    job = futures.pop(future)
                    rows[job.submission.student_id] = self._finish(job, future)
                    bar.update()
        except BaseException:
            # Ctrl-C (or any failure here): stop the running notebooks and keep what was
            # committed; results that arrive now are thrown away, never half-written.
            cancel.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            bar.close()
        pool.shutdown(wait=True)
        return rows

    def _execute(self, job: _Job, limits: Limits, factory, caps, cancel):
        with tempfile.TemporaryDirectory(prefix="autograder-") as scratch:
            result = execute(job.notebook, functions=self.assignment.functions,
                             cwd=Path(scratch), limits=limits, kernel_manager_factory=factory,
                             cancel=cancel)
        limits_found = caps(result.notebook) if caps is not None and not cancel.is_set() else {}
        return result, limits_found

    def _finish(self, job: _Job, future: Future) -> Row:
        sub = job.submission
        try:
            result, found_caps = future.result()
        except Cancelled:
            raise KeyboardInterrupt from None
        except Exception as error:  # a kernel that cannot start is not the learner's fault
            line = (str(error).strip().splitlines() or [type(error).__name__])[0][:150]
            return Row(sub.student_id, None, self.assignment.max_score,
                       f"error: {type(error).__name__}: {line} (run again to retry)")
        result: Execution
        cap_points = {g: cap[0] for g, cap in found_caps.items()}
        try:
            points, lowered = save(result.notebook, self.ws.db_url, sub.student_id,
                                   self.ws.config, caps=cap_points)
        except Exception as error:  # one notebook nbgrader cannot score never stops the batch
            return Row(sub.student_id, None, self.assignment.max_score,
                       f"error: {type(error).__name__}: {_first_line(error)} (run again to retry)")
        reasons = list(dict.fromkeys(found_caps[g][1] for g in lowered))
        messages = {g: found_caps[g][-1] for g in lowered}
        repaired = [job.repaired] if job.repaired else []
        status = "; ".join(result.problems + reasons + repaired) or "graded"
        return self.commit(sub, status, points, result.notebook, list(job.notes), messages)


def _first_line(error: Exception) -> str:
    line = (str(error).strip().splitlines() or [""])[0]
    return line if len(line) <= 150 else line[:147] + "..."


def _safe(sub: Submission) -> bool:
    from .collect import STUDENT_ID

    return bool(STUDENT_ID.fullmatch(sub.student_id))
