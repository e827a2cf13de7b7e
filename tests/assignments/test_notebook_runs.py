"""Every assignment's notebooks in a real kernel: the model answers pass every test, each cell
that grading runs takes a small share of the cell timeout, the untouched release runs to the end
with its figures, and the release's display cells are never what grading or `check` waits for.
"""

from __future__ import annotations

import io
import json
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from autograder import check
from autograder import submissions as subs
from autograder.cleanroom import display_cells
from autograder.execute import Limits

from . import corpus
from .test_notebook_files import HIDDEN_NOTICE, grade_test_cells, meta, visible_part

pytestmark = pytest.mark.slow

# Grading allows each cell Limits().timeout (10 s) on the machine it runs on; a graded cell of
# the model answers must need less than a quarter of it, so that a learner's slower but honest
# code, or a busy machine, never meets the timeout.
CPU_BUDGET = Limits().timeout / 4

# Run in the kernel before anything else: the CPU time (time.process_time: every thread of the
# kernel process, not the wall clock, since the machine is shared) each cell takes, this one
# included; REPORT prints those of the cells in between.
TIMER = """\
import time as _time
_cpu, _started = [], _time.process_time()
def _before(info):
    global _started
    _started = _time.process_time()
def _after(result):
    _cpu.append(_time.process_time() - _started)
get_ipython().events.register("pre_run_cell", _before)
get_ipython().events.register("post_run_cell", _after)
"""
REPORT = "import json as _json\nprint(_json.dumps(_cpu[1:]))"


def execute(nb, cwd, monkeypatch, assignment) -> None:
    """Run every cell in a fresh kernel of this interpreter, going on past errors (as nbgrader
    does), the instructor's settings at their defaults; nbclient raises DeadKernelError if the
    kernel dies."""
    for setting in assignment.settings:
        monkeypatch.delenv(setting, raising=False)
    NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()


def errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def stderr(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stderr"]


def text(cell) -> str:
    return "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream")


def without_display_cells(nb, release):
    shown = display_cells(release)
    nb.cells = [c for c in nb.cells
                if not (c.cell_type == "code" and "nbgrader" not in c.metadata
                        and c.source in shown)]  # fmt: skip
    return nb


@pytest.fixture(scope="module")
def source_run(assignment, tmp_path_factory):
    """The source notebook (model answers and hidden tests) as grading runs it: its display
    cells left out, every other cell timed in CPU seconds."""
    nb = without_display_cells(subs.read_notebook(assignment.source), assignment.release)
    code = [c for c in nb.cells if c.cell_type == "code"]
    nb.cells.insert(0, new_code_cell(TIMER))
    nb.cells.append(new_code_cell(REPORT))
    with pytest.MonkeyPatch.context() as monkeypatch:
        execute(nb, tmp_path_factory.mktemp("source"), monkeypatch, assignment)
    seconds = json.loads(text(nb.cells[-1]))
    assert len(seconds) == len(code)
    return nb, dict(zip((c.id for c in code), seconds, strict=True))


def test_the_model_answers_pass_every_test_of_the_source_notebook(source_run):
    nb, _ = source_run
    assert [(c.id, errors(c)[0].ename, errors(c)[0].evalue[:200])
            for c in nb.cells if errors(c)] == []  # fmt: skip
    assert [c.id for c in nb.cells if stderr(c)] == []


def test_every_cell_grading_runs_takes_under_a_quarter_of_the_cell_timeout(source_run):
    _, seconds = source_run
    slowest = sorted(seconds.items(), key=lambda item: -item[1])[:3]
    print("\nslowest cells (CPU s):", ", ".join(f"{cell} {s:.2f}" for cell, s in slowest))
    assert {cell: round(s, 2) for cell, s in seconds.items() if s >= CPU_BUDGET} == {}


@pytest.fixture(scope="module")
def release_run(assignment, tmp_path_factory):
    """The untouched release, every cell run top to bottom."""
    nb = subs.read_notebook(assignment.release)
    with pytest.MonkeyPatch.context() as monkeypatch:
        execute(nb, tmp_path_factory.mktemp("release"), monkeypatch, assignment)
    return nb


def test_the_untouched_release_runs_to_the_end_and_its_tests_fail_with_not_implemented(
        release_run):
    code = [c for c in release_run.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "every cell ran"
    tests = grade_test_cells(release_run)
    visible = [c for c in tests if visible_part(c.source)]
    assert visible, "no visible test"
    for cell in visible:
        assert [e.ename for e in errors(cell)] == ["NotImplementedError"], cell.id
    for cell in tests:
        if cell not in visible:  # hidden only: a notice, and nothing fails
            assert errors(cell) == [] and text(cell).strip() == HIDDEN_NOTICE, cell.id
    for cell in code:  # JupyterLab's Run All goes on past a cell tagged so
        if errors(cell):
            assert "raises-exception" in cell.metadata.get("tags", []), cell.id
            assert errors(cell)[0].ename == "NotImplementedError", cell.id
    assert [c.id for c in code if stderr(c)] == []


def test_the_untouched_release_draws_its_figures(release_run):
    plots = [c for c in release_run.cells if c.cell_type == "code" and not meta(c)
             and re.match(r"plot_\w+\(", c.source)]  # fmt: skip
    if not plots:
        pytest.skip("the release draws no figure (no cell of its own calls a plot_ function)")
    for cell in plots:  # drawn, with a note where a function is not written yet
        assert errors(cell) == [], cell.id
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.id


def test_check_does_not_run_the_release_s_display_cells(assignment, tmp_path, monkeypatch):
    ran = []

    def run_cells(nb, functions, folder, timeout, mistakes=None):
        ran.append(nb)
        return {}, ""

    monkeypatch.setattr(check, "run_cells", run_cells)
    path = tmp_path / assignment.notebook
    nbformat.write(corpus.submission(assignment), path)
    check.run(path, out=io.StringIO())
    (nb,) = ran
    shown = display_cells(assignment.release)
    if not shown:
        pytest.skip("the release has no display cell")
    run = [c.source for c in nb.cells if c.cell_type == "code"]
    assert not set(run) & shown
    others = [c.source for c in corpus.submission(assignment).cells
              if c.cell_type == "code" and c.source not in shown]
    assert run == others


def test_grading_does_not_run_the_release_s_display_cells(assignment, batch):
    nb = batch.autograded("correct")
    shown = display_cells(assignment.release)
    if not shown:
        pytest.skip("the release has no display cell")
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.source in shown and not meta(cell):
            assert cell.execution_count is None and cell.outputs == [], cell.id
        else:
            assert cell.execution_count is not None, cell.id


def _wrong_alone(assignment) -> str:
    """A learner function with a visible test that no other function calls (so wrong values
    there fail its own visible tests only)."""
    uses = corpus.uses(assignment)
    tested = {assignment.checks()[meta(c)["grade_id"]].function
              for c in grade_test_cells(corpus.release(assignment)) if visible_part(c.source)}
    alone = [name for name in corpus.functions(assignment)
             if name in tested and not any(name in called for called in uses.values())]
    assert alone, "every function with a visible test is called by another"
    return alone[-1]


def test_check_recognises_a_stripped_copy_and_says_which_function_fails(assignment, tmp_path):
    # Colab keeps no nbgrader metadata: only what the cells hold says which assignment it is.
    # One function returns wrong values: its visible tests fail, and only they.
    wrong = _wrong_alone(assignment)
    nb = corpus.submission(assignment, {wrong: corpus.wrong_values(assignment, wrong)})
    for cell in nb.cells:
        cell.metadata = {}
    path = tmp_path / f"Copy of {assignment.notebook}"
    nbformat.write(nb, path)
    out = io.StringIO()
    status = check.run(path, out=out)
    report = out.getvalue()
    assert status == 1, report
    assert assignment.title in report
    assert "Repaired first, as grading will repair it: nbgrader metadata restored on" in report
    tests = grade_test_cells(corpus.release(assignment))
    visible = [c for c in tests if visible_part(c.source)]
    failing = [c for c in visible if assignment.checks()[meta(c)["grade_id"]].function == wrong]
    passed = len(visible) - len(failing)
    assert f"{passed} visible tests passed; {len(tests) - len(visible)} hidden tests run" in report
    lines = [line for line in report.splitlines() if "FAIL" in line]
    assert lines and all(wrong in line for line in lines), report
