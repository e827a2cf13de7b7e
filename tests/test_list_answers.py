"""What passes in the notebook passes at grading (the first assignment's relu): the notebook's
visible tests read a result with np.asarray, so a list of numbers is a fine answer to "return the
values"; the checks (run_check in the kernel, judge after the clean room) accept it the same way,
and say what came back when it is not a list of numbers. That lists cross the sandbox with their
values is proven in tests/test_solutions_wire.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from autograder.isolation.sandbox import sandbox_problem
from autograder.submissions import correct_answers, make_submission, write_class
from solutions.activation_derivatives.checks import run_check

RELU_CHECKS = ("relu_values", "relu_inputs", "relu_keeps_input")


def namespace(relu_body: str) -> dict:
    space: dict = {"np": np}
    exec(f"def relu(z):\n    {relu_body}\n", space)
    return space


def failure(grade_id: str, space: dict) -> str | None:
    try:
        run_check(grade_id, space)
    except AssertionError as error:
        return str(error)
    return None


@pytest.fixture(autouse=True)
def course(monkeypatch):
    monkeypatch.setenv("ACTIVATION_KINK_POLICY", "course")


@pytest.mark.parametrize("grade_id", RELU_CHECKS)
@pytest.mark.parametrize("body", [
    "return np.maximum(0.0, z).tolist()",  # a float for a number, nested lists for an array
    "return np.maximum(0.0, z) if np.ndim(z) == 0 else tuple(np.maximum(0.0, z).tolist())",
])
def test_a_list_or_tuple_of_the_right_numbers_passes_in_the_kernel(grade_id, body):
    assert failure(grade_id, namespace(body)) is None


@pytest.mark.parametrize(("body", "expected"), [
    ("return [x > 0 for x in np.ravel(z)] if np.ndim(z) else float(z > 0) * z",
     "returned a list of booleans"),
    ("return ['0.0'] * np.size(z) if np.ndim(z) else max(0.0, z)",
     "returned a list that is not a list of numbers"),
    ("return [[0.0], [1.0, 2.0]] if np.ndim(z) else max(0.0, z)",
     "returned a list that is not a list of numbers"),
    ("return list(np.maximum(0.0, np.ravel(z))[:1]) if np.ndim(z) else max(0.0, z)",
     "returned a list of 1 value; expected an array of shape (4,)"),
])
def test_a_list_that_is_not_the_values_says_what_came_back(body, expected):
    message = failure("relu_values", namespace(body))
    assert message is not None and expected in message, message
    assert message.startswith("relu(z) with z an array of shape (4,) returned a ")


@pytest.mark.slow
@pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}")
def test_a_list_answer_gets_full_marks_through_the_pipeline_and_its_visible_test_passes(tmp_path):
    # The kernel (visible test and hidden checks) and the clean room both accept it: no cap.
    from autograder.pipeline import grade

    notebook = make_submission({**correct_answers(), "relu": "return np.maximum(0.0, z).tolist()"})
    write_class(tmp_path / "subs", {"list_relu": notebook})
    result = grade(tmp_path / "subs", tmp_path / "out", progress=False)
    (row,) = result.rows
    assert (row.score, row.status) == (row.max_score, "graded")
    tests = {t["number"]: t for t in json.loads(
        (tmp_path / "out" / "results" / "list_relu.json").read_text())["tests"]}
    assert all(tests[g]["status"] == "passed" for g in RELU_CHECKS)
    assert tests["relu_values"]["output"] == ""
