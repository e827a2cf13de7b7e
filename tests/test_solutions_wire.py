"""solutions/wire.py, the one codec for everything that crosses the sandbox, for every assignment:
calls go in and results come back as named numeric arrays plus a JSON description, read with
``allow_pickle=False``. Every honest result type crosses, of any length (limits are on bytes,
never on a count an honest answer can exceed); anything else comes back as a placeholder no
check accepts, and a forged description is refused.

That every call of every check crosses and comes back equal is proven per assignment in
tests/test_checks.py; the decoding of whole frames in tests/test_cleanroom.py.
"""

from __future__ import annotations

import ast
import io
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.cleanroom import MAX_RESULT_BYTES, decode_results
from autograder.isolation import cleanroom_harness
from solutions import wire
from solutions.checking import Call

ROOT = Path(__file__).resolve().parents[1]
HISTORY = 10_000  # a cost history: one number per iteration of a long training


def npz(arrays: dict) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def round_trip(value, *, strict: bool = False):
    spec, arrays = wire.to_arrays(value, "value", strict=strict)
    loaded = np.load(io.BytesIO(npz(arrays)), allow_pickle=False)
    return wire.from_arrays(spec, {key: loaded[key] for key in loaded.files}), spec


def test_parameter_dicts_are_flattened_to_arrays_named_by_their_keys():
    spec, arrays = wire.to_arrays({"W1": np.ones((2, 3)), "b1": np.zeros((2, 1))}, "arg1")
    assert sorted(arrays) == ["arg1.W1", "arg1.b1"]
    assert spec == {"kind": "dict", "items": {"W1": {"kind": "array", "key": "arg1.W1"},
                                              "b1": {"kind": "array", "key": "arg1.b1"}}}


@pytest.mark.parametrize("history", [
    [0.5] * HISTORY,  # Python floats
    [np.float64(0.5)] * HISTORY,  # what -np.sum(...) / m gives, without float()
    tuple([np.float32(0.5)] * HISTORY),
    [np.array(0.5)] * HISTORY,  # 0-d arrays, what np.squeeze gives
    np.full(HISTORY, 0.5),
    [[0.5]] * HISTORY,  # a column of costs
], ids=["floats", "float64", "float32_tuple", "0d_arrays", "array", "nested_lists"])  # fmt: skip
def test_a_cost_history_of_any_honest_kind_and_length_crosses_with_its_values(history):
    back, spec = round_trip(history)
    assert "other" not in repr(spec)
    assert np.array_equal(np.asarray(back, dtype=float), np.asarray(history, dtype=float))
    assert type(back) is type(history)
    # The only limit is on bytes: the whole archive of such a history is far below it.
    assert len(npz(wire.to_arrays(history, "value", strict=False)[1])) < MAX_RESULT_BYTES / 10


def test_a_list_of_numbers_crosses_as_one_array_and_comes_back_as_python_numbers():
    spec, arrays = wire.to_arrays([np.float64(1.5), 2, True], "value")
    assert spec == {"kind": "numbers", "type": "list", "key": "value"} and list(arrays) == ["value"]
    back, _ = round_trip(((1.0, 2.0), (3.0, 4.0)))
    assert back == ((1.0, 2.0), (3.0, 4.0)) and type(back[0][0]) is float


def test_what_learner_code_returns_comes_back_as_plain_data_or_a_placeholder():
    from solutions.backprop_one_hidden_layer import reference as ref

    parameters = ref.initialize_parameters(2, 4, 1)
    plain = [
        ref.forward_propagation(np.ones((2, 3)), parameters),  # (A2, cache)
        ref.predict(parameters, np.ones((2, 3))) > 0.5,  # booleans
        np.float32(0.5), np.array(0.5), None, "text", [1.0, 2.0], True, 3,
    ]
    for value in plain:
        back, spec = round_trip(value)
        assert "other" not in repr(spec), value
        assert repr(back) == repr(value) or np.array_equal(np.asarray(back, dtype=object),
                                                          np.asarray(value, dtype=object))
    not_plain = [
        {"dW1": object()},
        np.ma.masked_array([1.0]),  # an ndarray subclass
        np.array(["0.5"]),  # strings in an array
        {1: np.ones(2)},  # a key that is not a name
        [[[[[[[1.0], "x"]]]]]],  # deeper than MAX_DEPTH
    ]
    for value in not_plain:
        _, spec = round_trip(value)
        assert "other" in repr(spec), value
        with pytest.raises(TypeError, match="cannot cross the sandbox boundary"):
            wire.to_arrays(value, "arg0")  # the grader's own calls must be plain


def test_a_placeholder_is_no_number_and_no_array():
    back, _ = round_trip(np.ma.masked_array([1.0]))
    assert not isinstance(back, (np.ndarray, float, int, dict, list))
    assert type(back).__name__ == "MaskedArray" and back != 1.0


def _deep(levels: int) -> dict:
    spec = {"kind": "none"}
    for _ in range(levels):
        spec = {"kind": "tuple", "items": [spec]}
    return spec


@pytest.mark.parametrize(
    "spec, arrays",
    [
        ({"kind": "array", "key": "missing"}, {}),
        ({"kind": "array", "key": "a"}, {"a": np.array(["text"])}),
        ({"kind": "array", "key": "a"}, {"a": np.array([object()], dtype=object)}),
        ({"kind": "npscalar", "key": "a"}, {"a": np.ones(3)}),
        ({"kind": "numbers", "type": "set", "key": "a"}, {"a": np.ones(3)}),
        ({"kind": "numbers", "type": "list", "key": "a"}, {"a": np.array(1.0)}),
        ({"kind": "pickle"}, {}),
        ({"kind": "dict", "items": [1]}, {}),
        ({"kind": "other", "type": "a b"}, {}),
        ({"kind": "float", "value": "1.0"}, {}),
        ({"kind": "function", "name": "os.system"}, {}),
        ([{"kind": "none"}], {}),
        (_deep(wire.MAX_DEPTH), {}),  # deeper than MAX_DEPTH
    ],
)
def test_a_malformed_description_is_refused(spec, arrays):
    with pytest.raises(ValueError):
        wire.from_arrays(spec, arrays)


def test_a_tree_at_max_depth_is_read():
    assert wire.from_arrays(_deep(wire.MAX_DEPTH - 1), {}) is not None


def test_a_call_without_stand_ins_is_still_a_plain_call():
    call = Call("compute_cost", (np.ones((1, 2)), np.ones((1, 2))))
    entry, arrays = wire.call_to_arrays(call, 0)
    assert entry["stand_ins"] == {} and sorted(arrays) == ["c0.arg0", "c0.arg1"]


def test_what_only_judges_a_call_stays_outside():
    call = Call("f", (1.0,), context={"expected": np.ones(3)})
    entry, arrays = wire.call_to_arrays(call, 0)
    assert "context" not in entry and arrays == {}


def test_the_harnesss_frame_of_a_value_decodes_as_the_same_value():
    # What the harness writes (with the grader's copy of wire) is what the grader reads back.
    calls = [Call("relu", (np.array([[-1.0, 2.0], [3.0, -4.0]]),)), Call("relu", (3.0,)),
             Call("nn_model", (np.ones((2, 4)), np.ones((1, 4)), 3))]  # fmt: skip
    costs = [np.float64(0.5)] * HISTORY
    data = cleanroom_harness._frame(0, [[0.0, 2.0], [3.0, 0.0]], None, calls[0].args, wire)
    data += cleanroom_harness._frame(1, ["not", "numbers"], None, calls[1].args, wire)
    data += cleanroom_harness._frame(2, ({"W1": np.ones((3, 2))}, costs), None, calls[2].args,
                                     wire)
    results = decode_results(data, calls)
    assert results[0].value == [[0.0, 2.0], [3.0, 0.0]]
    assert results[1].value == ["not", "numbers"]
    parameters, history = results[2].value
    assert np.array_equal(parameters["W1"], np.ones((3, 2))) and history == [0.5] * HISTORY


def test_the_codec_needs_only_the_standard_library_and_numpy():
    # So the sandbox harness, which must not import solutions, can load a copy of it.
    tree = ast.parse((ROOT / "solutions" / "wire.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}  # fmt: skip
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}  # fmt: skip
    assert imported - {"__future__", "numpy"} <= sys.stdlib_module_names
    assert "solutions" not in imported


def test_the_safe_functions_are_defined_once():
    # The harness, the checks and the messages all read wire's table: no copy elsewhere.
    for path in [*(ROOT / "solutions").rglob("*.py"), *(ROOT / "autograder").rglob("*.py")]:
        if path.name != "wire.py":
            assert "SAFE_FUNCTIONS = " not in path.read_text(), path


def test_a_value_nested_too_deep_costs_its_own_call_only():
    # The harness writes such a value as a placeholder where from_arrays still reads it, so the
    # frame is sound and the frames after it (the other calls' answers) are read as well.
    calls = [Call("relu", (1.0,)), Call("relu", (2.0,))]
    deep = [[[[[[[1.0], "x"]]]]]]
    data = cleanroom_harness._frame(0, deep, None, calls[0].args, wire)
    data += cleanroom_harness._frame(1, 2.0, None, calls[1].args, wire)
    results = decode_results(data, calls)
    assert sorted(results) == [0, 1] and results[1].value == 2.0
    assert "other" in repr(wire.to_arrays(deep, "value", strict=False)[0])
