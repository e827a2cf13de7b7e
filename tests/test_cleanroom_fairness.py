"""Fairness through the real pipeline (sandboxed kernels, then the clean room), for every
assignment (the ``assignment`` fixture of tests/conftest.py): an honest learner loses no point
for where or how a correct answer was written, a kernel that dies late costs nothing earlier, a
function right only while graded loses exactly what it would lose without it, with the call and
the reason in the feedback, and a mistake the kernel already caught costs what it cost there.

One batch per assignment grades every notebook below once (module fixture); each test reads its
rows. A list answer through the pipeline: tests/test_list_answers.py; an import in a cell of the
learner's own: tests/test_cleanroom_cells.py.
"""

from __future__ import annotations

import ast
import json
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest

from autograder import submissions as S
from autograder.isolation.sandbox import sandbox_problem
from solutions import checking

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}"),
]

TIMEOUT = 30.0  # the kernel's per-cell limit: far above any model answer's cell
ONLY_WHILE_GRADED = "right only while graded"
EXIT = "\n\nimport os\n\nos._exit(0)  # 'restart the kernel', as a learner might try"
BOMB = "hog = bytearray(1 << 40)  # how much memory is there?"


def signature_lines(release, function: str) -> list[str]:
    """The ``def`` line(s) of `function`'s solution cell in the release, as written there."""
    source = S.solution_cells(release)[function].source
    node = next(n for n in ast.parse(source).body
                if isinstance(n, ast.FunctionDef) and n.name == function)
    return source.split("\n")[node.lineno - 1 : node.body[0].lineno - 1]


def indented(body: str) -> str:
    return textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")


def in_a_new_cell(answers: dict, function: str, release_path: Path):
    """The answer to `function` typed into a new cell right below its untouched stub, under the
    same ``def`` line (a learner who did not see where to write)."""
    rest = {name: body for name, body in answers.items() if name != function}
    notebook = S.make_submission(rest, release=release_path)
    header = "\n".join(signature_lines(notebook, function))
    return S.insert_cell(notebook, header + "\n" + indented(answers[function]), after=function)


def through_a_helper(answers: dict, function: str, release_path: Path):
    """`function`'s answer written as a helper in a cell of the learner's own above it, and the
    solution cell calling that helper."""
    release = S.read_notebook(release_path)
    header = signature_lines(release, function)
    helper = f"_{function}_helper"
    node = ast.parse("\n".join(header) + "\n    pass").body[0]
    parameters = ", ".join(arg.arg for arg in node.args.args)
    cell = "\n".join(header).replace(f"def {function}(", f"def {helper}(", 1)
    cell += "\n" + indented(answers[function])
    notebook = S.make_submission({**answers, function: f"return {helper}({parameters})"},
                                 release=release_path)
    return S.insert_cell(notebook, cell, before=function)


def the_class(assignment) -> dict:
    answers = S.correct_answers(assignment.source)
    first, second, last = list(answers)[0], list(answers)[1], list(answers)[-1]
    release = assignment.release
    correct = S.make_submission(answers, release=release)
    graded_only = (f"import os\nif os.environ.get('NBGRADER_EXECUTION'):\n"
                   f"{indented(answers[last])}\nraise ValueError({ONLY_WHILE_GRADED!r})")
    return {
        "correct": correct,
        "new_cell": in_a_new_cell(answers, first, release),
        "helper_cell": through_a_helper(answers, second, release),
        # Right only when NBGRADER_EXECUTION is set (the kernel's run): the clean room takes
        # the points away, and the feedback must say which call failed and how.
        "graded_only": S.make_submission({**answers, last: graded_only}, release=release),
        "wrong": S.make_submission({**answers, last: "raise ValueError('wrong')"},
                                   release=release),
        # os._exit at the top level of a solution cell, below its answer.
        "exit_in_solution_cell": S.replace_cell_source(
            correct, second, S.find_cell(correct, second).source + EXIT),
        # Exploration after the last test: a memory bomb, then os._exit; neither may cost a point.
        "bomb_at_the_end": S.insert_cell(S.insert_cell(correct, BOMB), EXIT.strip()),
    }


@pytest.fixture(scope="module")
def graded(assignment, tmp_path_factory):
    from autograder.pipeline import grade

    root = tmp_path_factory.mktemp(f"fair-{assignment.name}")
    S.write_class(root / "subs", the_class(assignment), assignment=assignment.name)
    result = grade(root / "subs", root / "out", timeout=TIMEOUT, progress=False,
                   assignment=assignment.name)  # the clean room is on by default
    return {row.student_id: row for row in result.rows}, root / "out"


@pytest.fixture(scope="module")
def grade_cells(assignment):
    """grade_id -> (points, 1-based cell number in the release)."""
    release = S.read_notebook(assignment.release)
    return {S.nbgrader_metadata(cell)["grade_id"]: (float(S.nbgrader_metadata(cell)["points"]),
                                                    number)
            for number, cell in enumerate(release.cells, 1)
            if S.nbgrader_metadata(cell).get("grade")}  # fmt: skip


def results(out: Path, student: str) -> dict:
    return json.loads((out / "results" / f"{student}.json").read_text())


def failing_in_process(assignment, function: str, body: str) -> set[str]:
    """The checks that fail, in-process, for the notebook's model answers with `function`'s
    body replaced: the source's set-up and solution cells run in one namespace, as in a
    kernel (the kernel's inputs)."""
    namespace = {"__name__": "__main__"}
    for cell in S.read_notebook(assignment.source).cells:
        meta = S.nbgrader_metadata(cell)
        if cell.cell_type == "code" and meta and (meta.get("solution") or not meta.get("grade")):
            exec(cell.source, namespace)  # noqa: S102 - the course's own notebook
    typed = checking.compile_answer(namespace[function], body, namespace)
    namespace[function] = types.FunctionType(typed.__code__, namespace, function,
                                             typed.__defaults__)
    failed = set()
    for grade_id, check in assignment.checks().items():
        with checking.quiet():
            calls = check.calls(np.random.default_rng(checking.seed(grade_id)))
            if check.verify(calls, [checking.execute_call(call, namespace) for call in calls]):
                failed.add(grade_id)
    return failed


@pytest.mark.parametrize("student", ["correct", "new_cell", "helper_cell"])
def test_a_correct_answer_written_anywhere_gets_full_marks(graded, student):
    rows, _ = graded
    row = rows[student]
    # The repair stage may recognise the new cell as the solution cell's last copy and say so.
    assert row.score == row.max_score, (row.points, row.status)
    assert row.status.split(":")[0] in ("graded", "repaired"), row.status
    assert "re-run" not in row.status


def test_right_only_while_graded_loses_what_the_function_is_worth_with_the_call_and_reason(
    assignment, graded, grade_cells,
):
    from autograder.cleanroom import RERUN_MESSAGE

    rows, out = graded
    row = rows["graded_only"]
    last = list(S.correct_answers(assignment.source))[-1]
    lost = failing_in_process(assignment, last, f"raise ValueError({ONLY_WHILE_GRADED!r})")
    assert lost and {g for g, p in row.points.items() if p < grade_cells[g][0]} == lost
    assert row.score == row.max_score - sum(grade_cells[g][0] for g in lost)
    assert row.status.startswith(f"{last} lost points when re-run on its own ("), row.status
    assert all(grade_id in row.status for grade_id in lost), row.status
    failed = {t["number"]: t["output"] for t in results(out, "graded_only")["tests"]
              if t["score"] < t["max_score"]}  # fmt: skip
    assert set(failed) == lost
    for grade_id, message in failed.items():
        assert message.startswith(RERUN_MESSAGE), message
        if assignment.checks()[grade_id].function == last:
            assert message.startswith(RERUN_MESSAGE + f"{last}("), message
            assert f"raised ValueError: {ONLY_WHILE_GRADED}" in message, message
    html = (out / "feedback" / "graded_only" / f"{assignment.name}.html").read_text()
    assert f"raised ValueError: {ONLY_WHILE_GRADED}" in html


def test_a_mistake_the_kernel_caught_costs_the_same_in_the_clean_room(assignment, graded,
                                                                      grade_cells):
    # The clean room agrees with the kernel: the same cells lost, and no cap to report.
    rows, _ = graded
    row = rows["wrong"]
    last = list(S.correct_answers(assignment.source))[-1]
    lost = failing_in_process(assignment, last, "raise ValueError('wrong')")
    assert {g for g, p in row.points.items() if p < grade_cells[g][0]} == lost
    assert row.status == "graded"


def test_a_kernel_that_dies_late_keeps_every_point_earned_before(assignment, graded, grade_cells):
    rows, out = graded
    row = rows["exit_in_solution_cell"]
    second = list(S.correct_answers(assignment.source))[1]
    release = S.read_notebook(assignment.release)
    exit_cell = 1 + release.cells.index(S.find_cell(release, second))
    before = {g for g, (_, number) in grade_cells.items() if number < exit_cell}
    # Every test cell before the exit keeps its points; those after it never ran (as nbgrader).
    assert {g for g, p in row.points.items() if p > 0} == before
    assert row.score == sum(grade_cells[g][0] for g in before)
    # The status names the cell, and no function before it is blamed.
    assert row.status == f"kernel died in cell {exit_cell}"
    failed = [t for t in results(out, "exit_in_solution_cell")["tests"]
              if t["score"] < t["max_score"]]  # fmt: skip
    assert {t["number"] for t in failed} == set(grade_cells) - before


def test_a_memory_bomb_and_an_exit_after_the_last_test_cost_nothing(graded):
    rows, _ = graded
    row = rows["bomb_at_the_end"]
    assert row.score == row.max_score
    assert row.status.startswith("kernel died in cell ")
