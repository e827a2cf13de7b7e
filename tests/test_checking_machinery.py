"""The checking machinery every assignment shares (solutions/checking.py, solutions/elementwise.py),
on a made-up function of its own: no assignment's table or catalogue is needed to prove it.

``double(z) = 2 z`` stands for a learner function; its "reference module" is a namespace.
"""

from __future__ import annotations

import io
import math
import sys
import types
import warnings

import numpy as np
import pytest

from solutions import checking, elementwise, wire
from solutions.checking import Call, CallResult, Check, Mistake


def double(z):
    return 2.0 * np.asarray(z, dtype=float)[()]


def halve_then_double(z):
    return double(z / 2.0) * 2.0


REFERENCE = types.SimpleNamespace(double=double, halve_then_double=halve_then_double, np=np)


def check(calls=None, grade_id="double_values") -> Check:
    """A check of double's values at 1.0, -3.0 and an array, to the elementwise tolerance."""
    made = calls or [Call("double", (1.0,)), Call("double", (-3.0,)),
                     Call("double", (np.array([0.5, 2.0, -1.0]),))]  # fmt: skip
    return Check(grade_id, "double", "double doubles.", lambda rng: list(made),
                 elementwise.value_verify(REFERENCE), closeness=elementwise.tolerance)


def results(function, calls) -> list[CallResult]:
    with checking.quiet():
        return [checking.execute_call(call, {"double": function}) for call in calls]


def mistakes(*entries) -> tuple[Mistake, ...]:
    return checking.catalogue([Mistake(*entry) for entry in entries], REFERENCE)


TRIPLE = ("double.triple", "double", "three times", "A hint about the factor of two.",
          "return 3 * z")


# --------------------------------------------------------------------------------------------
# Running calls
# --------------------------------------------------------------------------------------------


def test_execute_call_works_on_copies_and_reports_the_arguments_after_the_call():
    z = np.array([-1.0, 2.0])

    def mutating(z):
        z[z < 0] = 0.0
        return z

    result = checking.execute_call(Call("double", (z,)), {"double": mutating})
    assert z.tolist() == [-1.0, 2.0], "the call's own data is never handed to learner code"
    assert result.args_after[0].tolist() == [0.0, 2.0] and result.error is None


def test_a_safe_function_arrives_as_the_function_and_a_string_stays_a_string():
    def apply(f, z):
        return f(z)

    result = checking.execute_call(Call("apply", (wire.Safe("exp"), 0.0)), {"apply": apply})
    assert result.value == 1.0 and result.args_after[0] == wire.Safe("exp")
    result = checking.execute_call(Call("apply", ("exp", 0.0)), {"apply": apply})
    assert result.error == "TypeError: 'str' object is not callable"


def test_only_the_safe_functions_cross_the_sandbox_by_name():
    assert wire.to_arrays(wire.Safe("sin"), "arg0")[0] == {"kind": "function", "name": "sin"}
    with pytest.raises(TypeError, match="cannot cross the sandbox"):
        wire.to_arrays(wire.Safe("os.system"), "arg0")
    with pytest.raises(ValueError, match="unknown function"):
        wire.from_arrays({"kind": "function", "name": "os.system"}, {})


def test_a_missing_function_and_an_exception_become_the_calls_error():
    missing = checking.execute_call(Call("double", (1.0,)), {})
    assert missing.error == "NameError: name 'double' is not defined"

    def loud(z):
        raise ValueError("x" * 500)

    error = checking.execute_call(Call("double", (1.0,)), {"double": loud}).error
    assert error.startswith("ValueError: xxx") and len(error) == 200 and error.endswith("...")


def test_a_stand_in_is_bound_only_during_its_call_and_what_was_there_is_put_back():
    namespace = {"__name__": "learner"}  # a notebook's globals: outer looks inner up there
    exec("def outer(z):\n    return inner(z)\n", namespace)  # noqa: S102
    call = Call("outer", (1.0,), stand_ins={"inner": 5.0})
    assert checking.execute_call(call, namespace).value == 5.0
    assert "inner" not in namespace  # missing before: missing after
    namespace["inner"] = abs
    assert checking.execute_call(call, namespace).value == 5.0
    assert namespace["inner"] is abs


def test_quiet_silences_warnings_floating_point_errors_and_stderr(capfd):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with checking.quiet():
            warnings.warn("just saying", stacklevel=1)
            np.exp(np.array([1000.0]))
            print("debugging", file=sys.stderr)
    assert capfd.readouterr().err == ""


def test_setting_defaults_to_the_first_choice_and_names_the_choices_of_a_bad_value(monkeypatch):
    monkeypatch.delenv("SOME_SETTING", raising=False)
    assert checking.setting("SOME_SETTING", ("course", "subgradient")) == "course"
    monkeypatch.setenv("SOME_SETTING", " Subgradient ")
    assert checking.setting("SOME_SETTING", ("course", "subgradient")) == "subgradient"
    monkeypatch.setenv("SOME_SETTING", "lenient")
    with pytest.raises(ValueError, match="SOME_SETTING is 'lenient'.*'course', 'subgradient'"):
        checking.setting("SOME_SETTING", ("course", "subgradient"))


def test_a_table_refuses_two_checks_with_one_grade_id():
    with pytest.raises(RuntimeError, match="two checks share a grade_id"):
        checking.table([check(), check()])


def test_run_check_passes_fails_with_the_message_and_names_an_unknown_grade_id():
    table = checking.table([check()])
    checking.run_check(table, "double_values", {"double": double})
    with pytest.raises(AssertionError, match=r"^double\(1.0\) returned 3.0; expected 2.0.$"):
        checking.run_check(table, "double_values", {"double": lambda z: 3.0 * z})
    with pytest.raises(KeyError, match="no check named 'typo'; known: double_values"):
        checking.run_check(table, "typo", {"double": double})


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "shown"), [
    (0.5, "0.5"), (-2.0, "-2.0"), (np.float64(0.5), "0.5"), (np.float32(0.5), "0.5"),
    (np.array(3.0), "3.0"), (math.inf, "np.inf"), (-math.inf, "-np.inf"), (math.nan, "nan"),
    (3, "3.0"),
])  # fmt: skip
def test_a_number_is_shown_as_a_learner_types_it(value, shown):
    assert checking.number(value) == shown


@pytest.mark.parametrize(("arg", "shown"), [
    (0.5, "double(0.5)"),
    (np.float64(0.5), "double(0.5)"),  # float64 is what a Python float is: shown the same
    (np.float32(0.5), "double(np.float32(0.5))"),  # a float32 is judged to float32's precision
    (np.array(0.5), "double(np.array(0.5))"),
    (np.zeros((2, 3)), "double(z) with z an array of shape (2, 3)"),
    (-math.inf, "double(-np.inf)"),
])  # fmt: skip
def test_a_call_is_described_as_a_learner_writes_it_and_an_array_never_printed(arg, shown):
    assert elementwise.describe(Call("double", (arg,))) == shown


def test_a_call_describes_safe_functions_keyword_arguments_and_the_a_form():
    call = Call("numerical_derivative", (wire.Safe("cube"), 2.0), {"eps": 0.1})
    assert elementwise.describe(call) == "numerical_derivative(lambda z: z**3, 2.0, eps=0.1)"
    call = Call("slope_from_activation", (np.zeros(3),))
    assert elementwise.describe(call) == "slope_from_activation(a) with a an array of shape (3,)"


def test_an_error_message_says_what_to_do_for_a_stub_a_cell_not_run_and_any_other_error():
    call, describe = Call("double", (1.0,)), elementwise.describe
    assert checking.error_message(call, "NotImplementedError", describe).startswith(
        "double still raises NotImplementedError: replace the lines under # YOUR CODE HERE")
    assert checking.error_message(call, "NameError: name 'double' is not defined",
                                  describe).startswith("double is not defined: run the cell")
    helper = "NameError: name 'helper' is not defined"
    assert checking.error_message(call, helper, describe) == f"double(1.0) raised {helper}"
    assert checking.error_message(call, "ValueError: no", describe) == (
        "double(1.0) raised ValueError: no")


def test_a_wrong_array_value_names_one_entry_and_what_was_expected_there():
    message = check().verify(check().calls(None), results(lambda z: 2.0 * z + (z == 2.0),
                                                          check().calls(None)))
    assert message == ("double(z) with z an array of shape (3,) at the entry z = 2.0: returned "
                       "5.0, expected 4.0.")


def test_a_nan_is_explained():
    calls = [Call("double", (1.0,))]
    message = check(calls).verify(calls, results(lambda z: math.nan, calls))
    assert message.startswith("double(1.0) returned nan; expected 2.0.") and "inf / inf" in message


# --------------------------------------------------------------------------------------------
# Judging element-wise results
# --------------------------------------------------------------------------------------------


def test_a_list_of_the_right_numbers_is_a_right_answer_and_booleans_are_not_numbers():
    calls = check().calls(None)
    as_list = results(lambda z: np.asarray(double(z)).tolist(), calls)
    assert check().verify(calls, as_list) is None
    as_booleans = results(lambda z: np.asarray(z) > 0, calls)
    assert "returned a boolean" in check().verify(calls, as_booleans)


def test_float32_input_is_judged_to_float32s_precision_and_float64_to_1e_9():
    call = Call("double", (np.float32(1.0),))
    off = [CallResult(2.0 * (1 + 5e-7), call.args)]  # 5e-7 relative: inside 1e-6, not 1e-9
    assert check([call]).verify([call], off) is None
    call64 = Call("double", (1.0,))
    assert check([call64]).verify([call64], [CallResult(2.0 * (1 + 5e-7), (1.0,))]) is not None
    assert elementwise.tolerance(call) == (1e-6, 1e-6)
    assert elementwise.tolerance(call64) == (1e-9, 1e-15)


def test_keeps_input_judges_only_the_input_and_the_results_shape():
    verify = elementwise.keeps_input_verify()
    calls = [Call("double", (np.array([-1.0, 2.0, 3.0]),))]

    def wrong_but_harmless(z):
        return np.zeros_like(z)  # a wrong value is the value checks' concern, not this one's

    def in_place(z):
        z *= 2.0
        return z

    assert verify(calls, results(wrong_but_harmless, calls)) is None
    assert verify(calls, results(lambda z: 0.0, calls)).startswith(
        "double(z) with z an array of shape (3,) returned an array of shape ();")
    assert verify(calls, results(in_place, calls)) == (
        "double changed the array you passed in: an entry of z that was -1.0 is now -2.0. "
        "Build a new array (np.maximum and np.where do) instead of assigning into z.")


def test_fresh_inputs_are_a_number_and_an_array_drawn_from_the_rng():
    first = elementwise.fresh("double", np.random.default_rng(1))
    again = elementwise.fresh("double", np.random.default_rng(1))
    other = elementwise.fresh("double", np.random.default_rng(2))
    assert [type(call.args[0]) for call in first] == [float, np.ndarray]
    assert first[0].args == again[0].args and first[0].args != other[0].args
    assert not np.array_equal(first[1].args[0], other[1].args[0])


def test_extremes_are_each_value_alone_then_all_in_one_array():
    calls = elementwise.extremes("double", [1.0, -math.inf])
    assert [call.args[0] for call in calls[:2]] == [1.0, -math.inf]
    assert calls[2].args[0].tolist() == [1.0, -math.inf]


# --------------------------------------------------------------------------------------------
# Known mistakes
# --------------------------------------------------------------------------------------------


def test_a_mistake_is_compiled_with_the_references_signature_and_names():
    (entry,) = mistakes(("halve.rounded", "halve_then_double", "rounded", "A hint of some length.",
                         "return double(np.round(z))"))
    assert entry.compute.__name__ == "halve_then_double"
    assert entry.compute(1.4) == 2.0  # it calls the reference's double, as a notebook would
    with pytest.raises(RuntimeError, match="two mistakes share a key"):
        mistakes(TRIPLE, TRIPLE)


def test_the_mistake_that_explains_a_failure_is_named_after_the_checks_own_message():
    calls = check().calls(None)
    catalogue = mistakes(TRIPLE)
    got = results(lambda z: 3.0 * np.asarray(z), calls)
    plain = check().verify(calls, got)
    message = checking.judge(check(), calls, got, catalogue)
    assert message == f"{plain} Likely mistake: three times — A hint about the factor of two."
    assert checking.read(message, catalogue) == (plain, "three times",
                                                  "A hint about the factor of two.")
    assert checking.read(plain, catalogue) is None


def test_a_mistake_must_explain_every_call_and_an_error_must_be_the_same_error():
    calls = check().calls(None)
    catalogue = mistakes(TRIPLE, ("double.python_if", "double", "Python if on an array",
                                  "A hint about np.where.", "if z > 0:\n    return 2 * z\n"
                                  "return 2 * z"))

    def triple_at_one_only(z):
        return 3.0 if np.ndim(z) == 0 and z == 1.0 else double(z) + 1.0

    assert checking.diagnose(check(), calls, results(triple_at_one_only, calls), catalogue) is None

    def raises_another_value_error(z):
        if np.ndim(z):
            raise ValueError("my own message")
        return double(z)

    def python_if(z):
        return 2.0 * z if z > 0 else -2.0 * -z

    learner = results(python_if, calls)
    assert learner[2].error.startswith("ValueError: The truth value of an array")
    assert checking.diagnose(check(), calls, learner, catalogue).key == "double.python_if"
    other = results(raises_another_value_error, calls)
    assert checking.diagnose(check(), calls, other, catalogue) is None


def test_two_names_fitting_equally_give_no_diagnosis():
    calls = check().calls(None)
    got = results(lambda z: 3.0 * np.asarray(z), calls)
    twin = ("double.twin", "double", "another name", *TRIPLE[3:])
    assert checking.diagnose(check(), calls, got, mistakes(TRIPLE, twin)) is None
    same_name = ("double.same", *TRIPLE[1:])  # two entries, one name: that name it is
    assert checking.diagnose(check(), calls, got, mistakes(TRIPLE, same_name)).name == "three times"


def test_a_diagnosis_that_cannot_compare_names_nothing_and_never_raises():
    calls = check().calls(None)
    odd = [CallResult(object(), call.args) for call in calls]
    assert checking.diagnose(check(), calls, odd, mistakes(TRIPLE)) is None
    assert checking.judge(check(), calls, odd, mistakes(TRIPLE)) == check().verify(calls, odd)


def test_only_the_checked_functions_mistakes_are_tried():
    calls = check().calls(None)
    got = results(lambda z: 3.0 * np.asarray(z), calls)
    elsewhere = ("other.triple", "other", "three times", "A hint about the factor of two.",
                 "return 3 * z")
    entries = checking.catalogue([Mistake(*elsewhere)],
                                 types.SimpleNamespace(other=double, np=np))
    assert checking.diagnose(check(), calls, got, entries) is None


def test_npz_frames_of_a_call_read_back_without_pickle():
    entry, arrays = wire.call_to_arrays(Call("double", (np.arange(3.0),), {"k": [1.0, 2.0]}), 4)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    loaded = np.load(io.BytesIO(buffer.getvalue()), allow_pickle=False)
    assert wire.from_arrays(entry["args"][0], loaded).tolist() == [0.0, 1.0, 2.0]
    assert wire.from_arrays(entry["kwargs"]["k"], loaded) == [1.0, 2.0]
    assert sorted(loaded.files) == ["c4.arg0", "c4.kw.k"]
