"""Issue 12, target 8: what passes in the notebook passes at grading. The notebook's visible tests
read a result with np.asarray, so a list of numbers is a fine answer to "return the values"; the
checks (run_check in the kernel, verify after the clean room) accept it the same way, and say
what came back when it is not a list of numbers."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.cleanroom import cleanroom_scores, decode_results
from autograder.isolation import cleanroom_harness
from autograder.isolation.sandbox import sandbox_problem
from autograder.submissions import correct_answers, make_submission
from solutions.checks import CHECKS, Call, run_check

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


def test_a_list_comes_back_from_the_harness_as_a_list_of_the_same_numbers():
    calls = [Call("relu", (np.array([[-1.0, 2.0], [3.0, -4.0]]),)), Call("relu", (3.0,))]
    data = cleanroom_harness.encode_result(0, [[0.0, 2.0], [3.0, 0.0]], None, calls[0].args)
    data += cleanroom_harness.encode_result(1, ["not", "numbers"], None, (3.0,))
    results = decode_results(data, calls)
    assert results[0].value == [[0.0, 2.0], [3.0, 0.0]]
    assert type(results[1].value) is list and results[1].value == []  # a placeholder: no values
    assert CHECKS["relu_values"].verify([calls[0]], [results[0]]) is None


@pytest.mark.slow
@pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}")
def test_a_list_answer_passes_the_same_checks_in_the_clean_room_as_in_the_kernel():
    notebook = make_submission({**correct_answers(), "relu": "return np.maximum(0.0, z).tolist()"})
    outcomes = cleanroom_scores(notebook, {g: CHECKS[g] for g in RELU_CHECKS})
    assert {g: o.message for g, o in outcomes.items() if not o.passed} == {}
