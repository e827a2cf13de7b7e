"""The adversarial corpus (tests/adversarial/, written against the course's first assignment):
no attack earns more in the clean room than an honest submission whose functions all return
zeros, every run ends within its time bound, and honest code still passes. The cheats that abuse
notebook repair (tests/adversarial/repair/) are graded through the whole pipeline and earn no
more than all zeros either. The clean room gets what grading gives it (cleanroom.caps_hook): the
assignment's checks and catalogue, its release's display cells to skip, and a run's seed."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder import cleanroom, course
from autograder.cleanroom import apply_cap
from autograder.isolation.sandbox import sandbox_problem
from autograder.submissions import (
    correct_answers,
    insert_cell,
    make_submission,
    single_cell_submission,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}"),
]

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).with_name("adversarial")
FIRST = course.assignments()[0]  # the corpus's assignment: the builders' default
SOURCE = FIRST.source
CHECKS = FIRST.checks()
SEED = 20260101  # a fixed run seed: the attacks cannot know it, and a failure can be re-run
ATTACKS = sorted(p.stem for p in CORPUS.glob("*.py") if p.stem != "honest_all_zeros")
# Each run may use 4 s of its own time (CPU, sleep): an honest run of the corpus's size uses well
# under 1 s, however busy the machine.
TIMEOUT = 4.0
# Bound on a whole test: the run's wall-clock backstop (10 x its own time + 10 s: only code that
# waits for a CPU all that while reaches it, such as a fork bomb's parent), sandbox start and
# verify, with margin for a loaded machine.
WALL_BOUND = 10 * TIMEOUT + 10 + 20


def passed(outcomes) -> set[str]:
    return {grade_id for grade_id, outcome in outcomes.items() if outcome.passed}


def cleanroom_scores(notebook, timeout=TIMEOUT):
    return cleanroom.cleanroom_scores(notebook, CHECKS, seed=SEED, catalogue=FIRST.catalogue(),
                                      timeout=timeout,
                                      skip=cleanroom.display_cells(FIRST.release))


@pytest.fixture(scope="module")
def zero_baseline() -> set[str]:
    code = (CORPUS / "honest_all_zeros.py").read_text()
    return passed(cleanroom_scores(single_cell_submission(code), timeout=TIMEOUT))


def test_zero_baseline_is_small_and_explained(zero_baseline):
    # Zeros pass nothing: every value check draws nonzero answers at grading time (the at-zero
    # checks included), and a keeps_input check fails a function that gives the same values for
    # different arrays (it ignores its input).
    assert zero_baseline == set()


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_earns_no_more_than_all_zeros(name, zero_baseline, tmp_path):
    gradebook = tmp_path / "gradebook.db"
    gradebook.write_bytes(b"canary")
    code = (CORPUS / f"{name}.py").read_text().replace("__GRADEBOOK__", str(gradebook))
    start = time.monotonic()
    outcomes = cleanroom_scores(single_cell_submission(code), timeout=TIMEOUT)
    elapsed = time.monotonic() - start
    assert passed(outcomes) <= zero_baseline, {k: "passed" for k in passed(outcomes)}
    assert elapsed < WALL_BOUND
    assert gradebook.read_bytes() == b"canary"


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_in_a_cell_of_the_learners_own_earns_no_more_than_all_zeros(name, zero_baseline,
                                                                           tmp_path):
    """The clean room runs the learner's own cells too: the same attacks, written in
    a new cell below the set-up cell (no nbgrader metadata), earn nothing either."""
    gradebook = tmp_path / "gradebook.db"
    gradebook.write_bytes(b"canary")
    code = (CORPUS / f"{name}.py").read_text().replace("__GRADEBOOK__", str(gradebook))
    notebook = insert_cell(single_cell_submission(""), code, after="setup")
    outcomes = cleanroom_scores(notebook, timeout=TIMEOUT)
    assert passed(outcomes) <= zero_baseline, {k: "passed" for k in passed(outcomes)}
    assert gradebook.read_bytes() == b"canary"


CONTROL_MARK = "# control: cheats unsandboxed"
CONTROLS = [n for n in ATTACKS if CONTROL_MARK in (CORPUS / f"{n}.py").read_text()]


@pytest.mark.parametrize("name", CONTROLS)
def test_control_attack_really_cheats_without_the_sandbox(name):
    """Run outside any sandbox, from the repository, the attack finds the reference: the clean
    room's zero for it is the sandbox's doing, not a broken attack."""
    code = (CORPUS / f"{name}.py").read_text() + "\nprint(relu(3.0), sigmoid(0.0))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split()[-2:] == ["3.0", "0.5"], result.stderr[-500:]


def test_honest_code_next_to_an_attack_cell_keeps_its_points():
    """An import-time attack that fails in its own cell costs the honest functions nothing."""
    notebook = nbformat.read(str(SOURCE), as_version=4)
    for cell in notebook.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "sigmoid":
            cell.source = "import solutions\n" + cell.source  # fails here: no solutions
            break
    outcomes = cleanroom_scores(notebook, timeout=TIMEOUT)
    # Only sigmoid's cell stopped at its first line, so sigmoid (and what calls it) fails.
    assert "relu_derivative_at_zero" in passed(outcomes)
    assert "numerical_derivative_is_central" in passed(outcomes)
    assert "sigmoid_values" not in passed(outcomes)


def test_code_right_only_when_not_graded_is_capped_by_the_in_kernel_zero():
    """The opposite of nbgrader_execution_only_when_graded.py: right in the clean room (which has
    no NBGRADER_EXECUTION) but wrong in the kernel; the cap keeps the kernel's lower score."""
    code = (CORPUS / "nbgrader_execution_only_when_graded.py").read_text()
    code = code.replace("GRADED = bool(", "GRADED = not bool(")
    outcomes = cleanroom_scores(single_cell_submission(code), timeout=TIMEOUT)
    assert outcomes["relu_derivative_inputs"].passed
    grade_id = "relu_derivative_inputs"
    points, reasons = apply_cap({grade_id: 0.0}, outcomes, {grade_id: 1})
    assert points == {grade_id: 0.0} and reasons == {}


# --------------------------------------------------------------------------------------------
# Cheats that abuse repair: forged metadata, disguised cells, pasted docstrings
# --------------------------------------------------------------------------------------------

REPAIR_CHEATS = sorted(p.stem for p in (CORPUS / "repair").glob("*.py"))


def repair_cheat(name: str):
    """The `build(notebook) -> notebook` of tests/adversarial/repair/<name>.py."""
    spec = importlib.util.spec_from_file_location(f"repair_cheat_{name}",
                                                  CORPUS / "repair" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build


@pytest.fixture(scope="module")
def repair_batch(tmp_path_factory):
    """Every repair cheat (each built on the all-zeros answers), the all-zeros submission and an
    honest one, graded as one batch by the pipeline (sandboxed kernels, clean room on)."""
    from autograder.pipeline import grade

    os.environ["PATH"] = f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}"  # nbgrader's alembic
    zeros = (CORPUS / "honest_all_zeros.py").read_text()
    notebooks = {"honest": make_submission(correct_answers()),
                 "honest_all_zeros": single_cell_submission(zeros)}
    for name in REPAIR_CHEATS:
        notebooks[name] = repair_cheat(name)(single_cell_submission(zeros))
    root = tmp_path_factory.mktemp("repair-cheats")
    (root / "subs").mkdir()
    for sid, nb in notebooks.items():
        nbformat.write(nb, str(root / "subs" / f"{sid}.ipynb"))
    result = grade(root / "subs", root / "out", progress=False,
                   assignment=FIRST.name)
    return {row.student_id: row for row in result.rows}


@pytest.mark.parametrize("name", REPAIR_CHEATS)
def test_a_cheat_that_abuses_repair_earns_nothing(repair_batch, name):
    zeros, cheat = repair_batch["honest_all_zeros"], repair_batch[name]
    above = {g: p for g, p in cheat.points.items() if p > zeros.points.get(g, 0.0)}
    assert above == {}, cheat.status
    assert cheat.score <= zeros.score


def test_the_honest_learner_graded_with_the_repair_cheats_keeps_full_marks(repair_batch):
    honest = repair_batch["honest"]
    assert (honest.score, honest.status) == (honest.max_score, "graded")
