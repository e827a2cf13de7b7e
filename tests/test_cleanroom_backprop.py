"""Issue 15: the clean room re-checks the second assignment too (mirrors
tests/test_cleanroom_fairness.py). Its calls carry parameter dicts, activation names and
stand-ins, and cross the sandbox as solutions/plain.py trees. Through the real pipeline
(sandboxed kernels, then the clean room): a correct notebook keeps full marks, a notebook right
only when NBGRADER_EXECUTION is set (the kernel's run) is capped, and a mistake the kernel already
caught costs what it cost there, no more.

One batch grades every notebook below once (module fixture); each test reads its rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import submissions as S
from autograder.isolation.sandbox import sandbox_problem

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}"),
]

REPO = Path(__file__).resolve().parents[1]
BACKPROP = "backprop_one_hidden_layer"
SOURCE = REPO / "source" / BACKPROP / f"{BACKPROP}.ipynb"
RELEASE = REPO / "release" / BACKPROP / f"{BACKPROP}.ipynb"
CORRECT = S.correct_answers(SOURCE)
MAX_SCORE = 21  # 21 grade cells of one point each
# predict thresholded at 0.5 only in the kernel's run; at 0 elsewhere (every label 1). Both of
# predict's checks see it (tests/test_backprop_checks.py: predict_threshold_zero).
GRADED_ONLY_PREDICT = ("import os\n"
                       "A2, _ = forward_propagation(X, parameters, activation)\n"
                       "if os.environ.get('NBGRADER_EXECUTION'):\n"
                       "    return (A2 > 0.5).astype(float)\n"
                       "return (A2 > 0).astype(float)")
IN_PLACE = ("for name in ('W1', 'b1', 'W2', 'b2'):\n"
            "    parameters[name] -= learning_rate * grads['d' + name]\n"
            "return parameters")


def _submission(**answers):
    return S.make_submission({**CORRECT, **answers}, release=RELEASE)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from autograder.cleanroom import notebook_caps
    from autograder.pipeline import grade

    root = tmp_path_factory.mktemp("backprop_fair")
    S.write_class(root / "subs", {
        "correct": _submission(),
        "graded_only": _submission(predict=GRADED_ONLY_PREDICT),
        "in_place": _submission(update_parameters=IN_PLACE),
    }, assignment=BACKPROP)
    result = grade(root / "subs", root / "out", timeout=30.0, progress=False, caps=notebook_caps,
                   assignment=BACKPROP)
    return {row.student_id: row for row in result.rows}, root / "out"


def _results(out: Path, student: str) -> dict:
    return json.loads((out / "results" / f"{student}.json").read_text())


def test_a_correct_backprop_notebook_keeps_full_marks_with_the_clean_room_on(graded):
    rows, _ = graded
    row = rows["correct"]
    assert (row.score, row.max_score, row.status) == (MAX_SCORE, MAX_SCORE, "graded")


def test_right_only_when_nbgrader_execution_is_set_is_capped_with_the_call_and_the_reason(graded):
    from autograder.cleanroom import RERUN_MESSAGE

    rows, out = graded
    row = rows["graded_only"]
    lost = {g for g, p in row.points.items() if p < 1}
    assert lost == {"predict_values", "predict_activations"}
    assert row.score == MAX_SCORE - 2
    assert row.status.startswith("predict lost points when re-run on its own"), row.status
    failed = [t for t in _results(out, "graded_only")["tests"] if t["score"] < t["max_score"]]
    assert {t["number"] for t in failed} == lost
    for test in failed:
        assert test["output"].startswith(RERUN_MESSAGE) and "predict(" in test["output"]


def test_a_mistake_the_kernel_caught_costs_the_same_in_the_clean_room(graded):
    # The clean room sees the caller's dict change (its arguments come back after the call),
    # so it agrees with the kernel: one point, and no cap to report.
    rows, _ = graded
    row = rows["in_place"]
    assert {g for g, p in row.points.items() if p < 1} == {"update_parameters_keeps_input"}
    assert row.status == "graded"


def _frame(meta: dict, **arrays) -> bytes:
    import io

    import numpy as np

    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return len(buffer.getvalue()).to_bytes(8, "big") + buffer.getvalue()


def test_a_plain_frame_is_rebuilt_and_a_forged_one_earns_nothing():
    import numpy as np

    from autograder.cleanroom import decode_results
    from solutions.checks import Call

    params = {"W1": np.ones((2, 2))}
    calls = [Call("update_parameters", (params, {"dW1": np.ones((2, 2))}, 0.1))]
    value = {"kind": "dict", "items": {"W1": {"kind": "array", "key": "value.W1"}}}
    after = {"0": {"kind": "dict", "items": {"W1": {"kind": "array", "key": "arg_0.W1"}}}}
    meta = {"index": 0, "kind": "plain", "type": "", "error": None, "value": value,
            "args_after": after}
    good = _frame(meta, **{"value.W1": np.zeros((2, 2)), "arg_0.W1": np.ones((2, 2))})
    (result,) = decode_results(good, calls).values()
    assert result.error is None and np.array_equal(result.value["W1"], np.zeros((2, 2)))
    assert np.array_equal(result.args_after[0]["W1"], np.ones((2, 2)))
    # An argument that was a float cannot come back as an array; a missing array, an object
    # array or an unknown kind is refused: the call stays unanswered (it earns nothing).
    forged = [
        {**meta, "args_after": {"2": after["0"]}},
        {**meta, "value": {"kind": "array", "key": "nowhere"}},
        {**meta, "value": {"kind": "pickle", "key": "value.W1"}},
    ]
    for bad in forged:
        assert decode_results(_frame(bad, **{"value.W1": np.zeros((2, 2)),
                                             "arg_0.W1": np.ones((2, 2))}), calls) == {}
