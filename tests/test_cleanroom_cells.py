"""The clean room itself runs every cell that is not a test cell, in order, an error ending only
its own cell, and slow exploration cannot spend the time the calls need (nor earn anything).
Shown on the course's first assignment (autograder.submissions' default notebooks), with its
checks, catalogue and display cells as grading passes them (cleanroom.caps_hook)."""

from __future__ import annotations

import pytest

from autograder import course
from autograder import submissions as S
from autograder.cleanroom import cleanroom_scores, display_cells
from autograder.isolation.sandbox import sandbox_problem

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}"),
]

FIRST = course.assignments()[0]  # the builders' default
CHECKS, CATALOGUE = FIRST.checks(), FIRST.catalogue()
SKIP = display_cells(FIRST.release)
SEED = 20260101  # a fixed run seed: the same inputs every time
CORRECT = S.correct_answers()
SLEEP = "import time\n\ntime.sleep(3600)  # a long exploration"
# A learner who catches every Exception while exploring: the clean room's timeout is not one.
SLEEP_CATCHING = (
    "import time\n\nfor step in range(100):\n    try:\n        time.sleep(60)\n"
    "    except Exception:\n        pass"
)
# Small limits, so that the test runs in seconds: 2 s a cell, 3 s for all cells, then 0.3 s.
LIMITS = {"cell_seconds": 2.0, "cells_seconds": 3.0, "short_cell_seconds": 0.3}
# 10 slow cells would take 20 s at 2 s each, more than this bound on the whole run; with the
# budget they take about 2 + 1 + 8 x 0.3 = 5.4 s, and an honest run about a second more.
TIMEOUT = 15.0


def scores(notebook, grade_ids=None, limits=LIMITS):
    checks = {g: CHECKS[g] for g in (grade_ids or CHECKS)}
    return cleanroom_scores(notebook, checks, seed=SEED, catalogue=CATALOGUE, timeout=TIMEOUT,
                            cell_limits=limits, skip=SKIP)


def failures(notebook, grade_ids=None) -> dict[str, str]:
    return {g: o.message for g, o in scores(notebook, grade_ids).items() if not o.passed}


def test_slow_exploration_cells_cost_the_answers_nothing():
    # Slow cells of the learner's own all over the notebook, one of them swallowing exceptions;
    # the last answer (numerical_derivative's) is typed into a new cell after all of them, so it
    # runs once the cells' time is spent: a cell that only defines a function still runs then.
    notebook = S.answer_in_new_cell("numerical_derivative")
    for after in ("setup", "sigmoid", "sigmoid_derivative_values", "tanh_derivative",
                  "relu", "relu_keeps_input", "relu_derivative", "leaky_relu",
                  "leaky_relu_derivative_values"):  # fmt: skip
        notebook = S.insert_cell(notebook, SLEEP, after=after)
    notebook = S.insert_cell(notebook, SLEEP_CATCHING, before="numerical_derivative")
    assert failures(notebook) == {}


def test_an_error_in_one_cell_does_not_stop_the_next():
    notebook = S.insert_cell(S.answer_in_new_cell("relu"), "1 / 0  # what happens?", after="relu")
    notebook = S.insert_cell(notebook, "undefined_name + 1", after="setup")
    assert failures(notebook, ["relu_values", "relu_inputs", "sigmoid_values"]) == {}


def test_slow_cells_earn_nothing_for_a_wrong_answer():
    # A wrong relu, and exploration that never ends: still wrong, with the call that shows it.
    notebook = S.make_submission({**CORRECT, "relu": "return np.abs(z)"})
    notebook = S.insert_cell(notebook, SLEEP, after="relu")
    found = failures(notebook, ["relu_values", "relu_inputs", "relu_keeps_input"])
    # relu_keeps_input judges only the input and the result's shape: np.abs passes it.
    assert set(found) == {"relu_values", "relu_inputs"}
    assert found["relu_values"] == "relu(-2.0) returned 2.0; expected 0.0."


def test_each_test_judges_the_function_as_it_stood_at_that_test():
    # As in the kernel: a later cell that rebinds relu after its tests ran does not change them,
    # and an answer written only after its tests counts for nothing.
    notebook = S.insert_cell(S.make_submission(CORRECT), "relu = None  # tidy up",
                             after="relu_keeps_input")
    late = S.make_submission({k: v for k, v in CORRECT.items() if k != "tanh_derivative"})
    late = S.insert_cell(late, "def tanh_derivative(z):\n    return 1 - np.tanh(z) ** 2")
    assert failures(notebook, ["relu_values", "relu_inputs"]) == {}
    assert set(failures(late, ["tanh_derivative_values"])) == {"tanh_derivative_values"}


def test_display_and_cell_magics_do_not_stop_a_cell():
    # display() is a kernel builtin, %%time runs its body: what follows them is still defined.
    notebook = S.insert_cell(S.make_submission({**CORRECT, "relu": "return positive_part(z)"}),
                             "%%time\ndisplay('helper')\ndef positive_part(z):\n"
                             "    return np.maximum(0.0, z)", before="relu")
    assert failures(notebook, ["relu_values", "relu_inputs"]) == {}


def test_a_memory_bomb_while_exploring_costs_only_its_own_cell():
    notebook = S.insert_cell(S.make_submission(CORRECT), "hog = bytearray(1 << 40)  # 1 TB",
                             after="relu")
    assert failures(notebook, ["relu_values", "relu_inputs", "relu_keeps_input"]) == {}


def test_a_cell_may_run_as_long_as_the_kernels_timeout_allows():
    # The instructor grades with --timeout 12: a helper cell that first explores for 11 s (past
    # the clean room's own 10 s default, within the kernel's 12 s) still defines its helper.
    from autograder.cleanroom import CELL_SECONDS, notebook_caps

    assert CELL_SECONDS < 11.0
    notebook = S.insert_cell(S.make_submission({**CORRECT, "relu": "return positive_part(z)"}),
                             "import time\n\ntime.sleep(11)\n\n\ndef positive_part(z):\n"
                             "    return np.maximum(0.0, z)", before="relu")
    assert notebook_caps(notebook, CHECKS, cell_seconds=12.0, seed=SEED, skip=SKIP) == {}


def test_a_helper_cut_short_is_named_in_the_message():
    # The same helper with 3 s allowed per cell: relu fails for want of it, and the message says
    # which cell did not finish, not only the NameError that followed.
    notebook = S.insert_cell(S.make_submission({**CORRECT, "relu": "return positive_part(z)"}),
                             "import time\n\ntime.sleep(11)\n\n\ndef positive_part(z):\n"
                             "    return np.maximum(0.0, z)", before="relu")
    number = 1 + notebook.cells.index(S.find_cell(notebook, "relu")) - 1
    limits = {"cell_seconds": 3.0, "cells_seconds": 100.0}  # 3 s for that cell, whatever load
    outcome = scores(notebook, ["relu_values"], limits)["relu_values"]
    assert outcome.message == ("relu(-2.0) raised NameError: name 'positive_part' is not defined "
                               f"(Cell {number} ran longer than 3 s and was stopped.)")


def test_an_import_in_a_cell_of_the_learners_own_serves_the_answers_below():
    # `from numpy import exp` in a cell of the learner's own, used by sigmoid (and so by
    # sigmoid_derivative's answer, which calls sigmoid).
    notebook = S.insert_cell(S.make_submission({**CORRECT, "sigmoid": "return 1 / (1 + exp(-z))"}),
                             "from numpy import exp", after="setup")
    grade_ids = [g for g, check in CHECKS.items()
                 if check.function in ("sigmoid", "sigmoid_derivative")]  # fmt: skip
    assert len(grade_ids) == 6 and failures(notebook, grade_ids) == {}
