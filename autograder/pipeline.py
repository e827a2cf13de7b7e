"""`grade()`: the coordinator of a batch, stage by stage (one module per stage).

    collect -> workspace -> preflight -> [unit, on a runner: repair -> sanitize -> execute ->
    clean room -> scores -> feedback -> similarity evidence] -> commit (gradebook, files,
    state) -> grades.csv -> report -> similarity.csv -> analytics (item_analysis.csv and
    report.html), the last three over every student of the workspace

The unit (autograder/unit.py) grades one submission from plain data and returns plain data; it
runs on this machine's cores (runners/local.py, threads that drive sandboxed kernels) or on a
Dask cluster (runners/dask.py). This process alone writes the gradebook and the workspace.

Nothing is lost:
- Students are committed as their units finish, a batch at a time, in this order: gradebook
  (every student of the batch in one sqlite transaction, WAL mode, checkpointed to disk before
  any file is written: gradebook.save_many), then per student the autograded notebook, feedback,
  results.json, and last DIR/.autograder/state/<sid>.json, each written to a temporary file and
  renamed. The state file records the submission's content hash and the digest of everything
  that decides a grade (course.digest: the source notebook, the assignment's solutions
  package, the grader's own code, the options); a student whose state matches is not graded
  again (unless force=True). A run killed at any
  moment (Ctrl-C, kill -9) thus resumes where it stopped, and a student half-way through is
  simply graded again.
- grades.csv is written once at the end, to a temporary file that is then renamed.

A grading error that is not the learner's doing (a kernel that cannot start, a worker that kept
dying) gives the student a row with an empty score and status "error: ... (run again to
retry)", and no state file, so the next run retries.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import analytics, similarity, unit
from . import course as courses
from . import preflight as _preflight
from .cleanroom import display_cells
from .collect import (
    CollectError,
    Fingerprint,
    Submission,
    Unused,
    assignments_in,
    collect_all,
    write_unused_csv,
)
from .execute import Cancelled, KernelManagerFactory, Limits
from .gradebook import save_many, shared_gradebook
from .isolation import kernels, sandbox
from .messages import Mistakes
from .notebook import Assignment
from .repair import Release
from .report import Row, summary, write_csv
from .runners import local
from .unit import Work
from .workspace import REPO, Workspace, WorkspaceError, atomic_write

# Optional per-notebook caps on test-cell points, computed next to the in-kernel run (the clean
# room of the trustworthy-grades issue): notebook -> {grade_id: (max points, status reason[,
# the learner's feedback message for that test cell; the reason when absent])}.
Caps = Callable[[NotebookNode], dict[str, tuple]]


class GradingError(Exception):
    """The batch cannot be graded as asked (an instructor's mistake); the message says why."""


class PreflightFailed(GradingError):
    """The model answers did not get full marks here: the environment is wrong, so nobody is
    graded (autograder.preflight)."""


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
    analysis_seconds: float = 0.0  # writing similarity.csv, item_analysis.csv and report.html
    assignment: str = ""  # the assignment graded
    similar: int = 0  # pairs of submissions above the similarity threshold


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
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    runner: Callable[[Iterator], Iterator[list]] | None = None,
    assignment: str | None = None,
    similarity_threshold: float = similarity.DEFAULT_THRESHOLD,
) -> BatchResult:
    """Grade every submission in `submissions` into the workspace `out`.

    Locally (`jobs` notebooks at a time on this machine), or on the Dask cluster whose scheduler
    is at `scheduler` or in `scheduler_file`: this process then runs no learner code at all.
    `runner` replaces both (benchmarks): it takes the (Submission, Work) items and yields lists
    of runners.Done holding unit.Graded results. `assignment` names the course's assignment
    (source/<assignment>/<assignment>.ipynb); None: the one the submissions hold.
    `similarity_threshold`: DIR/similarity.csv lists every pair of learners scoring above it.
    """
    if timeout <= 0:
        raise GradingError(f"--timeout must be a positive number of seconds, not {timeout:g}.")
    if jobs is not None and jobs < 1:
        raise GradingError(f"--jobs must be at least 1, not {jobs}.")
    if not 0.0 <= similarity_threshold <= 1.0:
        raise GradingError("--similarity-threshold must be between 0 and 1 (scores are), not "
                           f"{similarity_threshold:g}.")
    try:
        courses.use(Path(course))
        assignment = which_assignment(Path(course), assignment, Path(submissions))
    except courses.CourseError as error:
        raise GradingError(str(error)) from None
    try:
        fingerprint = Fingerprint.from_notebook(
            Path(course) / "source" / assignment / f"{assignment}.ipynb")
        collected = collect_all(Path(submissions), fingerprint=fingerprint, roster=roster,
                                assignment=assignment)
        found = collected.submissions
        ws = Workspace(Path(out), Path(course), assignment=assignment)
    except (CollectError, WorkspaceError) as error:
        raise GradingError(str(error)) from None
    cluster = None
    if scheduler is not None or scheduler_file is not None:
        from .runners import dask as dask_runner

        try:
            cluster = dask_runner.connect(scheduler, scheduler_file)
        except dask_runner.ClusterError as error:
            raise GradingError(str(error)) from None
    try:
        return _grade(found, collected, ws, force=force, jobs=jobs, timeout=timeout,
                      unsafe=unsafe, progress=progress, factory=kernel_manager_factory,
                      caps=caps, limits=limits, cluster=cluster, runner=runner,
                      threshold=similarity_threshold)
    finally:
        if cluster is not None:
            cluster.close()


def which_assignment(course: Path, name: str | None, submissions: Path | None = None) -> str:
    """The assignment to grade: `name`, else the one the submissions hold (by the nbgrader
    layout's folder, the notebooks' names or their content: collect.assignments_in);
    GradingError when `name` is not one of the course's, or when the submissions hold several
    assignments, or none that can be told."""
    found = courses.names(course)
    if name is not None:
        if name in found or not found:  # no assignment at all: the workspace says what is wrong
            return name
        raise GradingError(f"--assignment {name}: the course {course} has no such assignment "
                           f"(it has {', '.join(found)}).")
    if len(found) == 1:
        return found[0]
    if not found:
        raise GradingError(f"the course {course} has no assignment: it needs "
                           "source/NAME/NAME.ipynb.")
    counts = {}
    if submissions is not None and Path(submissions).exists():
        fingerprints = {a.name: Fingerprint.from_notebook(a.source)
                        for a in courses.assignments(course)}
        counts = assignments_in(Path(submissions), fingerprints)
    if len(counts) == 1:
        return next(iter(counts))
    held = ", ".join(f"{n} ({c} notebook{'s' if c != 1 else ''})" for n, c in counts.items())
    if counts:
        raise GradingError(f"the submissions hold {len(counts)} assignments: {held}. Grade "
                           "each with --assignment NAME and an --out folder of its own.")
    raise GradingError(f"no notebook in {submissions} holds one of the course's assignments "
                       f"({', '.join(found)}) by its folder, its name or its content. Say which "
                       "to grade with --assignment NAME.")


def _grade(found, collected, ws: Workspace, *, force, jobs, timeout, unsafe, progress, factory,
           caps, limits, cluster, runner,
           threshold: float = similarity.DEFAULT_THRESHOLD) -> BatchResult:
    custom_factory = factory is not None
    # The sandbox check and the zygote's imports (seconds) overlap with building the workspace;
    # with a cluster, this process runs no learner code and starts no sandbox at all.
    starting = None
    if factory is None and cluster is None and runner is None:
        starting = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-start")
        sandbox_ready = starting.submit(_sandbox_factory, ws, unsafe)
    try:
        ws.prepare()
    except WorkspaceError as error:
        raise GradingError(str(error)) from None
    finally:
        if starting is not None:
            factory = sandbox_ready.result()
            starting.shutdown()
    write_unused_csv(ws.root / "unused_files.csv", collected.unused)
    assignment = Assignment.load(ws.root / "source" / ws.assignment / ws.notebook,
                                 ws.release_notebook)
    spec = courses.assignment(ws.course, ws.assignment)
    sandbox.allow_settings(spec.settings)
    limits = limits or Limits(timeout=timeout)
    options = unit.Options(limits, clean_room=caps is not False, unsafe=unsafe, seed=ws.seed())
    # What decides a grade: the course's files and code, and the options (the seed is the
    # workspace's own and never changes).
    digest = courses.digest(spec, {"timeout": limits.timeout, "clean_room": options.clean_room,
                                   "unsafe": unsafe, "custom_caps": caps not in (None, False)})
    kit = unit.Kit(assignment, Release.load(ws.release_notebook), ws.db_url, ws.config, None,
                   None, spec.title, Mistakes.of(spec), display_cells(ws.release_notebook))
    grader = _Grader(ws, kit, {"digest": digest}, progress)
    course = unit.Course.from_folder(ws.root, ws.assignment, ws.notebook, digest=digest,
                                     solutions=courses.solutions_digest(spec))

    rows: dict[str, Row] = {}
    to_grade = []
    for sub in found:
        row = None if force else grader.cached(sub)
        if row is None:
            to_grade.append(sub)
        else:
            rows[sub.student_id] = row
    reused = len(found) - len(to_grade)

    # The preflight (autograder.preflight): the model answers go first through the same runner,
    # in a thread beside the `jobs` (they share the cores with the first students instead of
    # holding up a lane for a whole notebook); the students are graded meanwhile but committed
    # only once they pass.
    # (On a cluster each worker checks itself: this process starts no sandbox at all.)
    here = runner is None and cluster is None and bool(to_grade)
    preflight_key = ({"digest": digest, "environment": _preflight.environment()} if here
                     else None)
    # A kernel factory of the caller's (the API's hook) is an environment no record describes:
    # its preflight always runs.
    check_first = here and (custom_factory
                            or not _preflight.passed_before(ws.root, preflight_key))
    model = (_preflight.model_answers(spec, ws.root / "source" / ws.assignment / ws.notebook,
                                      ws.release_notebook) if check_first else None)
    grader.hold = check_first

    def work_to_run() -> Iterator[tuple[Submission, Work]]:
        """Each submission to run, prepared only when a worker is about to be free: the first
        notebooks run while the others are still being prepared."""
        if model is not None:
            yield model
        for sub in to_grade:
            work_or_row = grader.prepare(sub)
            if isinstance(work_or_row, Row):
                rows[sub.student_id] = work_or_row
            else:
                yield sub, work_or_row

    if runner is not None:
        isolation, batches = "replayed results (benchmark)", runner
    elif cluster is None:
        if caps is None:
            caps = unit.caps_for(spec, ws.release_notebook, options)
        unit.register_kit(course, options, dataclasses.replace(kit, factory=factory,
                                                               caps=caps or None))
        isolation = _record_sandbox(ws, factory, custom_factory)
        cancel = threading.Event()
        grade_one = functools.partial(_grade_locally, course, options, cancel)
        batches = functools.partial(local.run, grade_one, jobs=jobs or os.cpu_count() or 1,
                                    cancel=cancel, beside=int(model is not None))
    else:
        from .runners import dask as dask_runner

        model_work = _preflight.model_answers(
            spec, ws.root / "source" / ws.assignment / ws.notebook, ws.release_notebook)[1]
        judge = functools.partial(_preflight.reason, max_score=assignment.max_score,
                                  timeout=limits.timeout)
        isolation = _record_cluster(ws, cluster, digest, (course, options, model_work, judge))
        batches = functools.partial(dask_runner.run, cluster, unit.grade_submission, course,
                                    resource=dask_runner.resource_name(digest),
                                    key=lambda item: dask_runner.task_key(
                                        item[0].student_id, item[0].sha256, course.digest),
                                    args=lambda item: (item[1], options))
    started = time.perf_counter()
    rows.update(grader.run(work_to_run(), len(to_grade), batches,
                           preflight=model[0] if model is not None else None,
                           timeout=limits.timeout))
    if model is not None and not custom_factory:
        _preflight.record(ws.root, preflight_key, time.perf_counter() - started)
    ordered = [rows[s.student_id] for s in found]
    grade_ids = [c.grade_id for c in assignment.grade_cells]
    write_csv(ws.grades_csv, ordered, grade_ids)
    table = summary(ordered, grade_ids, {c.grade_id: c.points for c in assignment.grade_cells})
    started = time.perf_counter()
    pairs = _similar(ws, ordered, kit.release, threshold)
    cells = [analytics.Cell(c.grade_id, c.points, c.function, c.hidden)
             for c in assignment.grade_cells]
    analytics.write(ws.root, ordered, cells, assignment.max_score, ws.feedback, collected.unused,
                    spec.title, similar=pairs, threshold=threshold)
    return BatchResult(ordered, table, ws.root, len(found) - reused, reused, grade_ids,
                       isolation, collected.layout, collected.unused, collected.notes,
                       time.perf_counter() - started, ws.assignment, len(pairs))


def _similar(ws: Workspace, rows: list[Row], release: Release,
             threshold: float) -> list[similarity.Pair]:
    """DIR/similarity.csv over every student of the workspace, from the evidence in their state
    files; the model answers (the source notebook's own code) are no evidence."""
    found = [similarity.load(ws.state(row.student_id)) for row in rows]
    source = nbformat.read(str(ws.root / "source" / ws.assignment / ws.notebook), as_version=4)
    pairs = similarity.compare(found, threshold,
                               known=similarity.known_fingerprints(source, release))
    similarity.write_csv(ws.root / "similarity.csv", pairs)
    return pairs


def _grade_locally(course: unit.Course, options: unit.Options, cancel: threading.Event,
                   item: tuple[Submission, Work]) -> unit.Graded:
    return unit.grade_submission(course, item[1], options, cancel)


def _record_cluster(ws: Workspace, client, digest: str = "", preflight=None) -> str:
    """Check every worker (its sandbox, then the preflight); say which can grade in
    DIR/.autograder/sandbox.json."""
    from .runners import dask as dask_runner

    ok, refused = dask_runner.check_workers(client, digest, preflight)
    names = "; ".join(f"worker {addr} cannot grade: {why}" for addr, why in refused.items())
    if not ok:
        none = "The cluster has no workers: start some (dask worker --scheduler-file ...)."
        raise GradingError("no worker of the cluster can grade (each must sandbox learner code "
                           f"and give the model answers full marks), so nothing is graded. "
                           f"{names or none}")
    line = (f"{len(ok)} Dask worker(s) at {client.scheduler.address}, each with its own "
            f"sandbox" + (f"; {names} (it gets no submissions)" if names else ""))
    record = {"sandboxed": True, "summary": line, "cluster": client.scheduler.address,
              "workers": ok, "refused": refused}
    atomic_write(ws.root / ".autograder" / "sandbox.json", json.dumps(record, indent=1))
    return line


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
        return kernels.kernel_manager_factory(workspace=ws.root, unsafe=unsafe)
    except RuntimeError as error:
        raise GradingError(str(error)) from None


class _Grader:
    def __init__(self, ws: Workspace, kit: unit.Kit, key_base: dict, progress: bool):
        self.hold = False  # True until the preflight passed: commits wait in `deferred`
        self.deferred: list[tuple[Submission, unit.Graded]] = []
        self.ws = ws
        self.kit = kit  # the coordinator's: it writes the feedback of what it alone grades
        self.assignment = kit.assignment
        self.key_base = key_base
        self.progress = progress

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

    # ------------------------------------------------------------------ before running
    def prepare(self, sub: Submission) -> Work | Row:
        """A submission to hand to the unit, or the row of one with nothing to grade."""
        sid = sub.student_id
        if sub.problem is not None:
            if not _safe(sub):  # no folder can be made for an unusable id
                return Row(sid, 0.0, self.assignment.max_score, sub.problem)
            work = Work(sid, b"", sub.note, sub.learner_note)
            graded = unit.not_gradable(work, self.kit, sub.problem)
            if self.hold:  # committed with the others once the preflight passed
                self.deferred.append((sub, graded))
                return Row(sid, None, self.assignment.max_score, graded.status)
            return self.commit_many([(sub, graded)])[sid]
        path = self.ws.submitted(sid)
        if not path.exists() or path.read_bytes() != sub.content:
            atomic_write(path, sub.content)
        return Work(sid, sub.content, sub.note, sub.learner_note)

    # ------------------------------------------------------------------ after running
    def commit_many(self, batch: list[tuple[Submission, unit.Graded]]) -> dict[str, Row]:
        """Write a batch of graded students: their grades in one gradebook transaction, then
        each one's files, the state file last."""
        a = self.assignment
        saved = save_many(self.ws.db_url, [(g.student_id, g.autograde, g.caps)
                                           for _, g in batch], self.ws.assignment)
        rows = {}
        for sub, graded in batch:
            points, lowered = saved[graded.student_id]
            if points != graded.points:  # an instructor's manual grade counts, as in nbgrader
                executed = nbformat.reads(graded.notebook, 4) if graded.notebook else None
                graded.points = points
                graded = unit.finish(graded, self.kit, executed, lowered)
            sid = graded.student_id
            score = sum(points.get(c.grade_id, 0.0) for c in a.grade_cells)
            row = Row(sid, score, a.max_score, graded.status,
                      {c.grade_id: points.get(c.grade_id, 0.0) for c in a.grade_cells})
            if graded.notebook is not None:
                atomic_write(self.ws.autograded(sid), graded.notebook)
            atomic_write(self.ws.feedback(sid), graded.feedback_html)
            atomic_write(self.ws.results(sid), graded.results_json)
            state = {"key": self._key(sub), "row": asdict(row), "notes": graded.notes,
                     "mistakes": graded.mistakes, "ran_on": graded.ran_on,
                     "similarity": graded.similarity}
            atomic_write(self.ws.state(sid), json.dumps(state, indent=1))
            rows[sid] = row
        return rows

    def failed(self, sub: Submission, error: BaseException) -> Row:
        """A grading failure that is not the learner's doing: an error row, no state file."""
        if isinstance(error, Cancelled):
            raise KeyboardInterrupt from None
        return Row(sub.student_id, None, self.assignment.max_score,
                   f"error: {type(error).__name__}: {_first_line(error)} (run again to retry)")

    # ------------------------------------------------------------------ running
    def run(self, pending: Iterator[tuple[Submission, Work]], total: int,
            batches: Callable[[Iterator], Iterator[list]], *,
            preflight: Submission | None = None, timeout: float = 10.0) -> dict[str, Row]:
        """Commit what `batches` (a runner over the pending work) yields, a batch at a time.

        With `preflight` (the model answers, the first item of `pending`), nothing is committed
        before its result: students graded meanwhile wait; if it did not pass, the stream is
        closed (what runs is stopped) and PreflightFailed says why."""
        from tqdm import tqdm

        rows: dict[str, Row] = {}
        bar = tqdm(total=total, unit="notebook", desc="grading", disable=not self.progress,
                   leave=False)
        stream = batches(pending)
        waiting: list = []
        try:
            for batch in stream:
                if preflight is not None:
                    mine = [d for d in batch if d.item[0] is preflight]
                    waiting += [d for d in batch if d.item[0] is not preflight]
                    if not mine:
                        continue
                    verdict = _preflight.judge(mine[0].result, mine[0].error,
                                               self.assignment.max_score, timeout)
                    if not verdict.passed:
                        raise PreflightFailed(verdict.reason + " Nobody was graded.")
                    preflight, batch, waiting = None, waiting, []
                    self.hold = False
                    if self.deferred:
                        rows.update(self.commit_many(self.deferred))
                        self.deferred.clear()
                self._commit(batch, rows)
                bar.update(len(batch))
        finally:
            stream.close()  # on Ctrl-C: the runner stops what is running; nothing half-written
            bar.close()
        return rows

    def _commit(self, batch: list, rows: dict[str, Row]) -> None:
        good = [(d.item[0], d.result) for d in batch if d.error is None]
        for done in batch:
            if done.error is not None:
                rows[done.item[0].student_id] = self.failed(done.item[0], done.error)
        try:
            rows.update(self.commit_many(good))
        except Exception as error:  # the gradebook refused: these students retry
            for sub, _ in good:
                rows[sub.student_id] = self.failed(sub, error)


def _first_line(error: Exception) -> str:
    line = (str(error).strip().splitlines() or [""])[0]
    return line if len(line) <= 150 else line[:147] + "..."


def _safe(sub: Submission) -> bool:
    from .collect import STUDENT_ID

    return bool(STUDENT_ID.fullmatch(sub.student_id))
