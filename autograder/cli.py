"""Command line: `python -m autograder grade | check | demo` (a thin layer over the stages).

Exit status of `grade`: 0 when the batch was graded, whatever the learners scored; 2 with a
one-line message for an instructor's mistake (no such folder, not a course, a bad option);
130 after Ctrl-C (run the same command again to resume).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

USAGE_ERROR = 2
INTERRUPTED = 130


def _assignments_text() -> str:
    """The course's assignments with their titles, for the help (from their manifests)."""
    from . import course

    try:
        return "; ".join(f"{a.name}: {a.title}" for a in course.assignments())
    except course.CourseError as error:
        return str(error)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description=f"Grade, check and demonstrate the course's assignments "
                    f"({_assignments_text()}).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    g = commands.add_parser("grade", help="grade a batch of submissions with nbgrader")
    g.add_argument("submissions", type=Path,
                   help="folder or zip: <student_id>/<assignment>/*.ipynb "
                        "(nbgrader layout), <student_id>.ipynb files, or a Canvas, Moodle or "
                        "Blackboard download of the submissions; or one notebook (self-study)")
    g.add_argument("--out", type=Path, required=True,
                   help="workspace folder (an nbgrader course); re-use it to resume")
    g.add_argument("--force", action="store_true",
                   help="grade again even the submissions that have not changed")
    g.add_argument("--jobs", type=int, default=None,
                   help=f"notebooks run at once (default: CPU count, here {os.cpu_count()})")
    g.add_argument("--timeout", type=float, default=10.0,
                   help="seconds a cell may run before it is stopped, counting its CPU time "
                        "and sleep, not time spent waiting for a busy machine (default: 10)")
    g.add_argument("--unsafe", action="store_true",
                   help="run learner code even where the sandbox cannot start")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--roster", type=Path, default=None, metavar="PATH",
                   help="CSV with columns lms_id,student_id: the id found in the download "
                        "(Canvas user id, Moodle participant id, Blackboard username, file or "
                        "folder name) -> the course's student id")
    cluster = g.add_mutually_exclusive_group()
    cluster.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                         help="grade on the Dask cluster of this scheduler: this process then "
                              "only coordinates (workers run the notebooks, each sandboxed)")
    cluster.add_argument("--scheduler-file", default=None, metavar="PATH",
                         help="the same, with the scheduler's address read from the file that "
                              "`dask scheduler --scheduler-file PATH` wrote (what a Slurm job "
                              "shares)")
    g.add_argument("--assignment", default=None, metavar="NAME",
                   help="the assignment to grade, a folder of the course's source/ (default: "
                        "the one the submissions hold, by their folders, names or content)")
    g.add_argument("--similarity-threshold", type=float, default=None, metavar="X",
                   help="similarity.csv lists every pair of submissions whose similarity score "
                        "(0 to 1) is above X (default: 0.5)")
    g.add_argument("--course", type=Path, default=None,
                   help="course folder with nbgrader_config.py and source/ (default: this "
                        "repository)")

    c = commands.add_parser("check", help="run the visible tests of one notebook")
    c.add_argument("notebook", type=Path)
    c.add_argument("--hidden", action="store_true",
                   help="grade it fully, hidden tests included, as the instructor's grading "
                        "would (for self-study: needs the course's solutions package)")

    commands.add_parser("sandbox", help="say whether learner code can be sandboxed here, "
                                        "with which bubblewrap, and if not why and how to fix it")

    d = commands.add_parser("demo", help="grade a handful of demo submissions")
    d.add_argument("--out", type=Path, default=Path("demo_output"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
        from .check import run

        return run(args.notebook, hidden=args.hidden)
    if args.command == "demo":
        from .demo import run

        return run(args.out)
    if args.command == "sandbox":
        return _sandbox()
    return _grade(args)


def _sandbox() -> int:
    """Exit 0 when learner code can be sandboxed here, 1 (with the reason and the fix) if not."""
    from .isolation.sandbox import bubblewrap, sandbox_problem

    problem = sandbox_problem()
    if problem is None:
        print(f"sandbox: ok, {bubblewrap().why}")
        return 0
    print(f"sandbox: learner code cannot be sandboxed here: {problem}", file=sys.stderr)
    return 1


def _grade(args) -> int:
    from .pipeline import GradingError, grade

    # nbgrader reports each restored cell as a warning; the feedback and status say it better.
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    chosen = {"course": args.course} if args.course is not None else {}
    if args.similarity_threshold is not None:
        chosen["similarity_threshold"] = args.similarity_threshold
    try:
        result = grade(args.submissions, args.out, force=args.force, jobs=args.jobs,
                       timeout=args.timeout, unsafe=args.unsafe,
                       progress=not args.no_progress, roster=args.roster,
                       scheduler=args.scheduler, scheduler_file=args.scheduler_file,
                       assignment=args.assignment, **chosen)
    except GradingError as error:
        print(f"autograder: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("autograder: interrupted. Finished students are saved; run the same command "
              "again to grade the rest.", file=sys.stderr)
        return INTERRUPTED
    print(result.summary)
    print()
    _print_collected(result)
    print(f"sandbox:  {result.sandbox}")
    print(f"this run: graded {result.graded}, unchanged since the last run {result.reused}")
    errors = [row for row in result.rows if row.status.startswith("error:")]
    if errors:
        print(f"errors:   {len(errors)} student(s) not graded for a reason that is not theirs; "
              f"run the same command again to retry them. The first, {errors[0].student_id}: "
              f"{errors[0].status}")
    print(f"grades:   {result.workspace / 'grades.csv'}")
    print(f"feedback: {result.workspace / 'feedback'}/<student_id>/{result.assignment}.html")
    print(f"results:  {result.workspace / 'results'}/<student_id>.json (Gradescope format)")
    print(f"report:   {result.workspace / 'report.html'} (the class at a glance) and "
          f"{result.workspace / 'item_analysis.csv'}")
    print(f"alike:    {result.similar} pair(s) of submissions to look at in "
          f"{result.workspace / 'similarity.csv'} (evidence to judge, not a verdict)")
    return 0


LAYOUTS = {"nbgrader": "nbgrader's layout", "files": "a folder of notebooks",
           "folders": "a folder per student",
           "Canvas": "a Canvas download", "Moodle": "a Moodle download",
           "Blackboard": "a Blackboard download"}


def _print_collected(result) -> None:
    """What SUBMISSIONS was, what the roster matched, and every file that was not graded."""
    print(f"collected: {LAYOUTS.get(result.layout, result.layout)}, "
          f"{len(result.rows)} student(s)")
    for note in result.collect_notes:
        print(f"  {note}")
    if not result.unused:
        print("files not graded: none")
        return
    print(f"files not graded: {len(result.unused)} "
          f"(also in {result.workspace / 'unused_files.csv'})")
    for u in result.unused:
        whose = f" [{u.student_id}]" if u.student_id else ""
        print(f"  {u.path}{whose}: {u.reason}")
