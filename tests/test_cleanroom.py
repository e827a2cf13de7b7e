"""autograder.cleanroom: strict decoding of what comes back, the notebook as the clean room runs
it, the cap rule, and, for every assignment (the ``assignment`` fixture of tests/conftest.py),
the real sandbox: the model answers pass every check there, the untouched release none, and a
function that works only in the kernel loses exactly the cells its absence costs.
"""

from __future__ import annotations

import ast
import io
import json
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import submissions as S
from autograder.cleanroom import (
    RERUN_MESSAGE,
    Outcome,
    apply_cap,
    check_rng,
    cleanroom_scores,
    decode_results,
    display_cells,
    encode_calls,
    learner_steps,
    new_seed,
    notebook_caps,
    run_calls,
)
from autograder.isolation import cleanroom_harness
from autograder.isolation.sandbox import sandbox_problem
from solutions import checking, wire
from solutions.checking import Call

CALLS = [Call("relu", (np.array([-1.0, 2.0]),)), Call("relu", (3.0,))]
REPO = Path(__file__).resolve().parents[1]  # this checkout, wherever it is cloned
SANDBOX = pytest.mark.skipif(sandbox_problem() is not None,
                             reason=f"no sandbox: {sandbox_problem()}")
SEED = 20260101  # a fixed run seed: the sandbox tests below grade the same inputs every time


def harness_frame(index, value, error=None, args=()) -> bytes:
    """What the harness writes for one call (with the grader's copy of wire)."""
    return cleanroom_harness._frame(index, value, error, args, wire)


def frame(arrays: dict, *, compress: bool = False) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buffer, **arrays)
    payload = buffer.getvalue()
    return len(payload).to_bytes(8, "big") + payload


def meta(**fields) -> np.ndarray:
    base = {"index": 0, "kind": "value", "error": None,
            "value": {"kind": "array", "key": "value"}, "args_after": {}}  # fmt: skip
    base.update(fields)
    return np.frombuffer(json.dumps(base).encode(), dtype=np.uint8)


# --- decoding what comes back ---------------------------------------------------------------------


def test_a_harness_frame_round_trips_as_a_plain_array_and_the_input_after_the_call():
    z = np.array([-1.0, 2.0])
    result = decode_results(harness_frame(0, np.array([0.0, 2.0]), None, (z,)), CALLS)[0]
    assert type(result.value) is np.ndarray and result.value.tolist() == [0.0, 2.0]
    assert result.args_after[0].tolist() == [-1.0, 2.0]
    assert result.error is None


def test_a_scalar_comes_back_as_a_number_and_errors_as_text():
    data = harness_frame(1, 3.0, None, (3.0,))
    data += harness_frame(0, None, "ValueError: nope", (np.zeros(2),))
    results = decode_results(data, CALLS)
    assert results[1].value == 3.0 and np.ndim(results[1].value) == 0
    assert results[0].error == "ValueError: nope" and results[0].value is None


def test_subclass_and_always_equal_objects_become_placeholders_that_compare_unequal():
    class Sub(np.ndarray):
        pass

    class AlwaysEqual:
        def __eq__(self, other):
            return True

    data = harness_frame(0, np.zeros(2).view(Sub)) + harness_frame(1, AlwaysEqual())
    results = decode_results(data, CALLS)
    assert type(results[0].value).__name__ == "Sub" and not isinstance(results[0].value, np.ndarray)
    assert type(results[1].value).__name__ == "AlwaysEqual"
    assert results[1].value != 3.0  # the placeholder has object's own __eq__


def test_a_pickled_object_array_is_refused_and_ends_parsing():
    evil = frame({"meta": meta(), "value": np.array([object()], dtype=object)})
    assert decode_results(evil + harness_frame(1, 3.0), CALLS) == {}


def test_a_compressed_frame_is_refused():
    assert decode_results(frame({"meta": meta(), "value": np.zeros(2)}, compress=True), CALLS) == {}


def test_a_frame_declaring_more_than_it_holds_is_refused():
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as archive:
        archive.writestr("meta.npy", b"x" * 10)
    data = payload.getvalue().replace((10).to_bytes(4, "little"), (10**9).to_bytes(4, "little"))
    assert decode_results(len(data).to_bytes(8, "big") + data, CALLS) == {}


@pytest.mark.parametrize(
    "fields",
    [{"index": 7}, {"index": -1}, {"index": "0"}, {"kind": "pickle"}, {"kind": "array"},
     {"value": {"kind": "other", "type": "a b"}}, {"value": {"kind": "array", "key": "nowhere"}},
     {"args_after": {"1": {"kind": "array", "key": "value"}}},  # relu(3.0): no array argument
     {"args_after": [{"kind": "array", "key": "value"}]}, {"error": 3}],
    ids=["index-out-of-range", "negative-index", "index-not-int", "unknown-kind", "old-kind",
         "bad-type-name", "missing-array", "float-argument-back-as-array", "args-not-a-dict",
         "error-not-text"],
)  # fmt: skip
def test_malformed_meta_is_refused(fields):
    data = frame({"meta": meta(**{"index": 1, **fields}), "value": np.zeros(2)})
    assert decode_results(data, CALLS) == {}


def test_a_duplicate_index_ends_parsing_but_keeps_what_came_before():
    one = harness_frame(0, np.zeros(2))
    assert list(decode_results(one + one + harness_frame(1, 3.0), CALLS)) == [0]


def test_a_string_array_result_is_refused():
    assert decode_results(frame({"meta": meta(), "value": np.array(["0.5"])}), CALLS) == {}


def test_parameter_dicts_come_back_rebuilt_and_so_do_the_arguments_after_the_call():
    params = {"W1": np.ones((2, 2))}
    calls = [Call("update_parameters", (params, {"dW1": np.ones((2, 2))}, 0.1))]
    data = harness_frame(0, {"W1": np.zeros((2, 2))}, None, calls[0].args)
    (result,) = decode_results(data, calls).values()
    assert result.error is None and np.array_equal(result.value["W1"], np.zeros((2, 2)))
    assert np.array_equal(result.args_after[0]["W1"], np.ones((2, 2)))
    assert result.args_after[2] == 0.1  # not an array or a dict: never sent back


# --- encoding what goes in ------------------------------------------------------------------------


def test_calls_are_encoded_as_plain_data_and_functions_only_by_a_safe_name():
    data = encode_calls([Call("numerical_derivative", (wire.Safe("sin"), np.float32(1.0)),
                              {"eps": 1e-3}), Call("f", ("tanh", [1.0, 2.0])), *CALLS])  # fmt: skip
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        plan = json.loads(bytes(npz["plan"]).decode())
    assert plan[0]["args"][0] == {"kind": "function", "name": "sin"}
    assert plan[0]["args"][1]["kind"] == "npscalar" and plan[0]["kwargs"]["eps"]["kind"] == "float"
    assert plan[1]["args"] == [{"kind": "str", "value": "tanh"},
                               {"kind": "numbers", "type": "list", "key": "c1.arg1"}]
    with pytest.raises(TypeError, match="cannot cross the sandbox boundary"):
        encode_calls([Call("numerical_derivative", (wire.Safe("os.system"), 1.0))])
    with pytest.raises(TypeError, match="cannot cross the sandbox boundary"):
        encode_calls([Call("relu", (object(),))])


def test_grading_inputs_are_drawn_fresh_for_each_run_and_the_same_for_every_student():
    assert new_seed() != new_seed()
    assert check_rng(SEED, "relu_values").random() == check_rng(SEED, "relu_values").random()
    assert check_rng(SEED, "relu_values").random() != check_rng(SEED, "relu_inputs").random()
    assert check_rng(SEED, "relu_values").random() != check_rng(SEED + 1, "relu_values").random()


# --- what runs inside -----------------------------------------------------------------------------


def test_every_code_cell_but_the_test_cells_runs_in_notebook_order():
    cells = [
        nbformat.v4.new_markdown_cell("## Part A"),
        nbformat.v4.new_code_cell("import numpy as np", metadata={"nbgrader": {"locked": True}}),
        nbformat.v4.new_code_cell("def relu(z): ...", metadata={"nbgrader": {"solution": True}}),
        nbformat.v4.new_code_cell(
            "assert relu(1) == 1",
            metadata={"nbgrader": {"grade": True, "locked": True, "grade_id": "relu_values"}},
        ),
        nbformat.v4.new_code_cell("%time x = 1", metadata={"nbgrader": {"solution": True}}),
        nbformat.v4.new_code_cell("scribble = 1"),  # the learner's own cell: no metadata
        nbformat.v4.new_code_cell("%%time\nhelper = 2"),  # a cell magic that runs its body
        nbformat.v4.new_code_cell("%%bash\nls"),  # one that does nothing here
    ]
    steps = learner_steps(nbformat.v4.new_notebook(cells=cells))
    assert [step.get("cell") for step in steps] == [2, 3, None, 5, 6, 7, 8]
    assert steps[2] == {"test": "relu_values"}  # where the test cell stands; its code never runs
    sources = [step["source"].strip() for step in steps if "cell" in step]
    assert sources[:2] == ["import numpy as np", "def relu(z): ..."]
    assert "get_ipython().run_line_magic" in sources[2]
    assert sources[3:5] == ["scribble = 1", "helper = 2"]
    assert "run_cell_magic('bash'" in sources[5]


def test_the_releases_unchanged_display_cells_are_left_out_and_edited_ones_run(assignment):
    shown = display_cells(assignment.release)
    release = S.read_notebook(assignment.release)
    free = [cell for cell in release.cells
            if cell.cell_type == "code" and "nbgrader" not in cell.metadata]  # fmt: skip
    assert shown and shown <= {cell.source for cell in free}, "it demonstrates its functions"
    for source in shown:  # they only show: nothing in them defines what a graded cell uses
        nodes = list(ast.walk(ast.parse(source)))
        assert not any(isinstance(node, (ast.FunctionDef, ast.Import, ast.ImportFrom))
                       for node in nodes), source  # fmt: skip
    first = next(cell for cell in free if cell.source in shown)
    edited = S.insert_cell(release, first.source)  # a learner's unchanged copy, at the end
    edited.cells[release.cells.index(first)].source = first.source + "\nx = 1  # an edit"
    sources = [step["source"].strip() for step in learner_steps(edited, shown) if "cell" in step]
    assert sum(source.startswith(first.source.strip()) for source in sources) == 1  # the edit
    locked = [cell.source.strip() for cell in release.cells if cell.cell_type == "code"
              and S.nbgrader_metadata(cell).get("locked") and not S.nbgrader_metadata(cell).get(
                  "grade")]  # fmt: skip
    assert locked and all(source in sources for source in locked)  # the set-up cell runs


def test_display_cells_of_a_missing_release_are_none():
    assert display_cells(REPO / "release" / "nothing" / "nothing.ipynb") == frozenset()


# --- the cap --------------------------------------------------------------------------------------


def test_cap_lowers_a_cell_that_failed_in_the_clean_room_and_says_why():
    points, reasons = apply_cap(
        {"relu_values": 1.0, "relu_inputs": 2.0, "sigmoid_values": 0.0},
        {
            "relu_values": Outcome(True),
            "relu_inputs": Outcome(False, "relu(3.0) returned 0.0; expected 3.0."),
            "sigmoid_values": Outcome(True),
        },
        {"relu_values": 1, "relu_inputs": 2, "sigmoid_values": 1},
    )
    assert points == {"relu_values": 1.0, "relu_inputs": 0.0, "sigmoid_values": 0.0}
    assert list(reasons) == ["relu_inputs"]
    reason = reasons["relu_inputs"]
    assert "re-run on its own" in reason and "expected 3.0" in reason


def test_cap_never_raises_points_and_leaves_cells_without_a_check_alone():
    points, reasons = apply_cap(
        {"sigmoid_values": 0.0, "free_text": 3.0},
        {"sigmoid_values": Outcome(True)},
        {"sigmoid_values": 1, "free_text": 3},
    )
    assert points == {"sigmoid_values": 0.0, "free_text": 3.0} and reasons == {}


# --- the real sandbox -----------------------------------------------------------------------------


@SANDBOX
def test_the_clean_room_process_sees_no_reference_no_repository_and_no_nbgrader_variable(
    monkeypatch,
):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    code = f"""
import importlib.util, os
import numpy as np
def relu(z):
    # Of the repository only .venv and, unless the checkout lies under /tmp (which each fork
    # replaces), the empty folder where kernels (never the clean room) bind the reference.
    reference = {str(REPO / "solutions")!r}
    listing = sorted(os.listdir({str(REPO)!r}))
    seen = (importlib.util.find_spec("solutions") is not None, "NBGRADER_EXECUTION" in os.environ,
            listing not in ([".venv"], [".venv", "solutions"]),
            os.path.isdir(reference) and os.listdir(reference) != [], os.getuid() == 0)
    return np.array([float(s) for s in seen])
"""
    run = run_calls([code], CALLS[1:], timeout=20)
    assert run.stopped == ""
    assert run.results[0].value.tolist() == [0.0, 0.0, 0.0, 0.0, 0.0]


@SANDBOX
def test_a_call_that_hangs_costs_only_that_function():
    # As in the kernel run: once a function has run out of time, its later calls fail at once,
    # so one endless loop cannot use up the whole run and cost the other functions.
    code = (
        "import time\n"
        "def relu(z):\n    if z == 3.0:\n        time.sleep(60)\n    return z\n"
        "def relu_derivative(z):\n    return 1.0\n"
    )
    calls = [Call("relu", (3.0,)), Call("relu", (4.0,)), Call("relu_derivative", (4.0,))]
    # A call's limit is the kernel's per-cell --timeout (10 s by default); 1 s here, to be quick.
    run = run_calls([code], calls, timeout=20, cell_limits={"call_seconds": 1.0})
    assert run.results[0].error.startswith("CallTimeout")
    assert run.results[1].error.startswith("CallTimeout: not run")
    assert run.results[2].value == 1.0


@SANDBOX
@pytest.mark.parametrize("forked", [False, True], ids=["own-sandbox", "forked"])
def test_pyplot_works_and_a_cold_clean_room_imports_it_only_when_used(forked):
    from autograder.cleanroom import CLEANROOM_LIMITS, _run_calls

    code = """
import sys
import matplotlib.pyplot as plt
def relu(z):
    return float(type(sys.modules["matplotlib.pyplot"]).__name__ == "_LazyModule")
def sigmoid(z):
    fig, ax = plt.subplots()
    return float(len(fig.axes))
"""
    calls = [Call("relu", (1.0,)), Call("sigmoid", (1.0,)), Call("relu", (1.0,))]
    run = _run_calls([code], calls, 30, CLEANROOM_LIMITS, forked=forked)
    values = [run.results[i].value for i in range(3)]
    if forked:  # forked from the zygote, which imported pyplot already: the real module, at once
        assert values == [0.0, 1.0, 0.0]
    else:  # a sandbox of its own: still lazy before use, one axes when used, then the real one
        assert values == [1.0, 1.0, 0.0]


def _failures(outcomes) -> dict[str, str]:
    return {grade_id: o.message for grade_id, o in outcomes.items() if not o.passed}


@SANDBOX
@pytest.mark.slow
def test_the_model_answers_typed_into_the_release_pass_every_check_in_the_clean_room(assignment):
    answers = S.correct_answers(assignment.source)
    notebook = S.make_submission(answers, release=assignment.release)
    outcomes = cleanroom_scores(notebook, assignment.checks(), seed=SEED,
                                catalogue=assignment.catalogue(),
                                skip=display_cells(assignment.release))
    assert set(outcomes) == set(assignment.checks())
    assert _failures(outcomes) == {}


@SANDBOX
@pytest.mark.slow
def test_the_untouched_release_passes_nothing_and_says_to_replace_the_stubs(assignment):
    outcomes = cleanroom_scores(assignment.release, assignment.checks(), seed=SEED,
                                catalogue=assignment.catalogue(),
                                skip=display_cells(assignment.release))
    failed = _failures(outcomes)
    assert set(failed) == set(assignment.checks())
    for grade_id, message in failed.items():
        function = assignment.checks()[grade_id].function
        assert message.startswith(f"{function} still raises NotImplementedError"), message


def _in_process_failures(assignment, missing: str) -> set[str]:
    """The checks that fail, in-process, for the notebook's model answers without `missing`:
    the source notebook's set-up and solution cells run in one namespace, as in a kernel."""
    namespace = {"__name__": "__main__"}
    for cell in S.read_notebook(assignment.source).cells:
        meta = S.nbgrader_metadata(cell)
        if cell.cell_type == "code" and meta and (meta.get("solution") or not meta.get("grade")):
            exec(cell.source, namespace)  # noqa: S102 - the course's own notebook
    del namespace[missing]
    failed = set()
    for grade_id, check in assignment.checks().items():
        with checking.quiet():
            calls = check.calls(check_rng(SEED, grade_id))
            if check.verify(calls, [checking.execute_call(c, namespace) for c in calls]):
                failed.add(grade_id)
    return failed


@SANDBOX
@pytest.mark.slow
def test_notebook_caps_zero_exactly_the_cells_a_kernel_only_function_costs(assignment):
    # The first function's cell imports it from the reference: that works in the kernel only.
    # The caps are exactly the checks that fail without that function (its own, and those of
    # functions that call it), each with what went wrong there.
    notebook = S.read_notebook(assignment.source)
    function = next(iter(S.solution_cells(notebook)))
    S.find_cell(notebook, function).source = (
        f"from solutions.{assignment.name}.reference import {function}")
    caps = notebook_caps(notebook, assignment.checks(), seed=SEED,
                         catalogue=assignment.catalogue(), skip=display_cells(assignment.release))
    assert set(caps) == _in_process_failures(assignment, function)
    number = 1 + notebook.cells.index(S.find_cell(notebook, function))
    for grade_id, (points, reason, message) in caps.items():
        own = assignment.checks()[grade_id].function
        assert points == 0.0 and reason.startswith(f"{own} lost points when re-run"), reason
        assert message.startswith(RERUN_MESSAGE), message
        if own == function:  # the feedback says what went wrong: the cell's import, as run there
            assert message == (RERUN_MESSAGE + f"{function} was not defined: cell {number} "
                               "raised ModuleNotFoundError: No module named 'solutions'.")
        else:
            assert f"Cell {number} raised ModuleNotFoundError" in message, message


