"""autograder.cleanroom: plain data across the boundary, strict decoding, and the cap rule."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder.cleanroom import (
    Outcome,
    apply_cap,
    decode_results,
    encode_calls,
    learner_steps,
    new_rng,
    run_calls,
)
from autograder.isolation import cleanroom_harness
from autograder.isolation.sandbox import sandbox_problem
from solutions.checks import SAFE_FUNCTIONS, Call

CALLS = [Call("relu", (np.array([-1.0, 2.0]),)), Call("relu", (3.0,))]

REPO = Path(__file__).resolve().parents[1]  # this checkout, wherever it is cloned


def frame(arrays: dict, *, compress: bool = False, allow_pickle: bool = True) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buffer, **arrays)
    payload = buffer.getvalue()
    return len(payload).to_bytes(8, "big") + payload


def meta(**fields) -> np.ndarray:
    base = {"index": 0, "kind": "array", "type": "ndarray", "error": None, "args_after": []}
    base.update(fields)
    return np.frombuffer(json.dumps(base).encode(), dtype=np.uint8)


# --- decoding what comes back ---------------------------------------------------------------------


def test_harness_frame_round_trips_as_a_plain_array_and_the_input_after_the_call():
    z = np.array([-1.0, 2.0])
    data = cleanroom_harness.encode_result(0, np.array([0.0, 2.0]), None, (z,))
    result = decode_results(data, CALLS)[0]
    assert type(result.value) is np.ndarray and result.value.tolist() == [0.0, 2.0]
    assert result.args_after[0].tolist() == [-1.0, 2.0]
    assert result.error is None


def test_scalar_comes_back_as_a_numpy_scalar_and_errors_as_text():
    data = cleanroom_harness.encode_result(1, 3.0, None, (3.0,))
    data += cleanroom_harness.encode_result(0, None, "ValueError: nope", (np.zeros(2),))
    results = decode_results(data, CALLS)
    assert results[1].value == 3.0 and np.ndim(results[1].value) == 0
    assert results[0].error == "ValueError: nope" and results[0].value is None


def test_subclass_and_always_equal_objects_become_placeholders_that_compare_unequal():
    class Sub(np.ndarray):
        pass

    class AlwaysEqual:
        def __eq__(self, other):
            return True

    data = cleanroom_harness.encode_result(0, np.zeros(2).view(Sub), None, ())
    data += cleanroom_harness.encode_result(1, AlwaysEqual(), None, ())
    results = decode_results(data, CALLS)
    assert type(results[0].value).__name__ == "Sub" and not isinstance(results[0].value, np.ndarray)
    assert type(results[1].value).__name__ == "AlwaysEqual"
    assert results[1].value != 3.0  # the placeholder has object's own __eq__


def test_pickled_object_array_is_refused_and_ends_parsing():
    evil = frame({"meta": meta(), "value": np.array([object()], dtype=object)})
    good = cleanroom_harness.encode_result(1, 3.0, None, ())
    assert decode_results(evil + good, CALLS) == {}


def test_compressed_frame_is_refused():
    assert decode_results(frame({"meta": meta(), "value": np.zeros(2)}, compress=True), CALLS) == {}


def test_frame_declaring_more_than_it_holds_is_refused():
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as archive:
        archive.writestr("meta.npy", b"x" * 10)
    data = payload.getvalue().replace((10).to_bytes(4, "little"), (10**9).to_bytes(4, "little"))
    assert decode_results(len(data).to_bytes(8, "big") + data, CALLS) == {}


@pytest.mark.parametrize(
    "fields",
    [{"index": 7}, {"index": -1}, {"index": "0"}, {"kind": "pickle"}, {"type": "a b"}],
    ids=["index-out-of-range", "negative-index", "index-not-int", "unknown-kind", "bad-type-name"],
)
def test_malformed_meta_is_refused(fields):
    assert decode_results(frame({"meta": meta(**fields), "value": np.zeros(2)}), CALLS) == {}


def test_duplicate_index_ends_parsing_but_keeps_what_came_before():
    one = cleanroom_harness.encode_result(0, np.zeros(2), None, ())
    assert list(decode_results(one + one, CALLS)) == [0]


def test_string_array_result_is_refused():
    assert decode_results(frame({"meta": meta(), "value": np.array(["0.5"])}), CALLS) == {}


# --- encoding what goes in ------------------------------------------------------------------------


def test_calls_are_encoded_as_plain_data_and_only_known_functions_by_name():
    data = encode_calls(
        [Call("numerical_derivative", ("sin", np.float32(1.0)), {"eps": 1e-3}), *CALLS]
    )
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        plan = json.loads(bytes(npz["plan"]).decode())
    assert plan[0]["args"][0] == {"kind": "safe", "name": "sin"}
    assert plan[0]["args"][1]["kind"] == "npscalar"
    with pytest.raises(ValueError, match="harness knows"):
        encode_calls([Call("numerical_derivative", ("os.system", 1.0))])
    with pytest.raises(TypeError, match="must be a number"):
        encode_calls([Call("relu", ([1.0, 2.0],))])


def test_harness_safe_functions_match_the_check_table():
    z = np.linspace(-2, 2, 9)
    assert cleanroom_harness.SAFE_FUNCTIONS.keys() == SAFE_FUNCTIONS.keys()
    for name, function in SAFE_FUNCTIONS.items():
        np.testing.assert_array_equal(cleanroom_harness.SAFE_FUNCTIONS[name](z), function(z))


def test_grading_inputs_are_drawn_fresh_each_time():
    assert new_rng().random() != new_rng().random()


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


def test_unchanged_display_cells_of_the_release_are_left_out_and_edited_ones_run():
    from autograder.cleanroom import display_cells
    from autograder.submissions import RELEASE, find_cell, insert_cell, make_submission

    shown = display_cells(RELEASE)
    plot = 'plot_activation("sigmoid", sigmoid, sigmoid_derivative)'
    # The instructor's "try it" and plot cells; never the set-up cell, which defines helpers.
    assert plot in shown and not any("def plot_activation" in source for source in shown)
    notebook = make_submission(None)
    edited = next(c for c in notebook.cells if c.source == plot)
    edited.source = plot + "\nsigmoid = lambda z: z  # the learner's edit"
    notebook = insert_cell(notebook, plot, after="relu")  # a learner's unchanged copy of it
    steps = learner_steps(notebook, shown)
    sources = [step["source"].strip() for step in steps if "cell" in step]
    assert edited.source in sources
    assert plot not in sources  # the unchanged cell and its copy only show; neither runs
    assert find_cell(notebook, "setup").source.strip() in sources


@pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}")
def test_clean_room_process_sees_no_reference_no_repository_and_no_nbgrader_variable(monkeypatch):
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


@pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}")
def test_a_call_that_hangs_costs_only_that_function():
    # As in the kernel run: once a function has run out of time, its later calls fail at once,
    # so one endless loop cannot use up the whole run and cost the other functions.
    code = (
        "import time\n"
        "def relu(z):\n    if z == 3.0:\n        time.sleep(60)\n    return z\n"
        "def relu_derivative(z):\n    return 1.0\n"
    )
    calls = [Call("relu", (3.0,)), Call("relu", (4.0,)), Call("relu_derivative", (4.0,))]
    run = run_calls([code], calls, timeout=20)
    assert run.results[0].error.startswith("CallTimeout")
    assert run.results[1].error.startswith("CallTimeout: not run")
    assert run.results[2].value == 1.0


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


@pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}")
def test_notebook_caps_zero_exactly_the_cells_whose_function_fails_in_the_clean_room():
    from pathlib import Path

    source = Path(__file__).resolve().parents[1] / "source" / "activation_derivatives"
    notebook = nbformat.read(str(source / "activation_derivatives.ipynb"), as_version=4)
    for cell in notebook.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "relu_derivative":
            cell.source = "from solutions import relu_derivative"  # works only in the kernel
    from autograder.cleanroom import RERUN_MESSAGE, notebook_caps

    caps = notebook_caps(notebook)
    assert {g for g in caps} == {
        "relu_derivative_values", "relu_derivative_inputs",
        "relu_derivative_at_zero", "relu_derivative_keeps_input",
    }  # fmt: skip
    number = 1 + next(i for i, c in enumerate(notebook.cells)
                      if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                      == "relu_derivative")
    for points, reason, message in caps.values():
        assert points == 0.0 and reason.startswith("relu_derivative lost points when re-run")
        # The feedback says what went wrong: here the cell's import, as the clean room ran it.
        assert message == (RERUN_MESSAGE + f"relu_derivative was not defined: cell {number} "
                           "raised ModuleNotFoundError: No module named 'solutions'.")


@pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}")
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


@pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}")
def test_a_run_stopped_before_it_answered_gets_one_more_try(monkeypatch):
    # Stands in for a machine so busy that the first run's wall clock ran out (seen in CI): the
    # first run is cut after its first answer; the second, real one answers everything.
    from autograder import cleanroom, submissions
    from autograder.cleanroom import RoomRun

    real, runs = cleanroom.run_calls, []

    def busy_then_real(*args, **kwargs):
        run = real(*args, **kwargs)
        runs.append(run)
        if len(runs) == 1:
            first = dict(list(run.results.items())[:1])
            return RoomRun(first, "your code was still running after 30 s", run.seconds, {})
        return run

    monkeypatch.setattr(cleanroom, "run_calls", busy_then_real)
    nb = submissions.make_submission(submissions.correct_answers())
    outcomes = cleanroom.cleanroom_scores(nb)
    assert len(runs) == 2
    assert all(o.passed for o in outcomes.values()), [o.message for o in outcomes.values()
                                                      if not o.passed][:2]
