"""The catalogue of known mistakes (solutions/mistakes.py) and the diagnosis the checks add.

No kernel: learner functions are plain Python functions here, run through the checks exactly as
run_check does (solutions.checks.execute_call on each check's calls).
"""

import math

import numpy as np
import pytest

from solutions import checks, mistakes
from solutions.checks import CHECKS
from solutions.mistakes import MARK, MISTAKES

FUNCTIONS = sorted({check.function for check in CHECKS.values()})


def verdict(grade_id, function, *, plain=False):
    """The check's message for `function` as the learner's answer (None: it passes). With
    plain=True, the message the check gave before any diagnosis (today's message)."""
    check = CHECKS[grade_id]
    calls = check.calls(np.random.default_rng(checks.seed(grade_id)))
    with checks.quiet():
        results = [checks.execute_call(call, {check.function: function}) for call in calls]
    verify = check.verify.__wrapped__ if plain else check.verify
    return verify(calls, results)


def checks_of(function):
    return [grade_id for grade_id, check in CHECKS.items() if check.function == function]


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def test_every_graded_function_has_known_mistakes():
    covered = {entry.function for entry in MISTAKES.values()}
    assert covered == set(FUNCTIONS)


# The issue's list, each by the entry that stands for it.
ISSUE_LIST = {
    "the a-form applied to z: z(1 - z)": "sigmoid_derivative.a_form_on_z",
    "the a-form applied to z: 1 - z**2": "tanh_derivative.a_form_on_z",
    "sigma returned instead of sigma'": "sigmoid_derivative.returns_sigmoid",
    "slope 1 at z = 0 (ReLU)": "relu_derivative.one_at_zero",
    ">= for Leaky ReLU": "leaky_relu_derivative.one_at_zero",
    "alpha ignored (leaky_relu)": "leaky_relu.alpha_ignored",
    "alpha ignored (its slope)": "leaky_relu_derivative.alpha_ignored",
    "a forward difference": "numerical_derivative.forward",
    "eps ignored": "numerical_derivative.eps_ignored",
    "the input modified in place": "relu.in_place",
    "math.exp on arrays": "sigmoid.math_exp",
    "Python if on arrays": "relu.python_if",
    "a missing square": "tanh_derivative.missing_square",
    "a wrong sign": "sigmoid_derivative.wrong_sign",
}


def test_the_issues_common_mistakes_are_all_in_the_catalogue():
    assert set(ISSUE_LIST.values()) <= set(MISTAKES)


def test_every_function_has_the_in_place_or_array_mistakes_that_apply_to_it():
    for name in ("relu", "relu_derivative", "leaky_relu", "leaky_relu_derivative"):
        assert f"{name}.in_place" in MISTAKES and f"{name}.python_if" in MISTAKES
    for name in ("sigmoid", "sigmoid_derivative", "sigmoid_derivative_from_activation",
                 "tanh_derivative", "tanh_derivative_from_activation", "numerical_derivative"):
        assert any(e.name == mistakes._SIGN for e in mistakes.for_function(name)), name


def test_names_are_short_unique_per_function_and_can_be_read_back():
    for function in FUNCTIONS:
        names = [entry.name for entry in mistakes.for_function(function)]
        assert len(names) == len(set(names)), function
    for entry in MISTAKES.values():
        assert 0 < len(entry.name) <= 40 and mistakes.SEPARATOR not in entry.name, entry.key
        assert 40 <= len(entry.hint) <= 200, entry.key  # a sentence or two, never an essay
        line = f"f(1.0) returned 2.0; expected 1.0. {mistakes.describe(entry)}"
        assert mistakes.read(line) == ("f(1.0) returned 2.0; expected 1.0.", entry.name,
                                       entry.hint)


def test_hints_give_no_reference_code():
    # A hint may name numpy tools and the lecture's formulas, never a line of a model answer.
    answers = ["np.where(z > 0, 1.0, 0.0)", "np.where(z > 0, 1.0, alpha)",
               "np.where(z > 0, z, alpha * z)", "np.maximum(0.0, z)", "s * (1 - s)",
               "(f(z + eps) - f(z - eps)) / (2 * eps)", "1 - np.tanh(z) ** 2", "return"]
    for entry in MISTAKES.values():
        for answer in answers:
            assert answer not in entry.hint, (entry.key, answer)


# --------------------------------------------------------------------------------------------
# Diagnosis through the checks (what run_check and the clean room both call)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(MISTAKES))
def test_each_known_mistake_fails_a_check_and_every_check_it_fails_names_it(key, monkeypatch):
    monkeypatch.setenv("ACTIVATION_KINK_POLICY", "course")
    entry = MISTAKES[key]
    failed = {g: verdict(g, entry.compute) for g in checks_of(entry.function)}
    failed = {g: message for g, message in failed.items() if message}
    assert failed, f"{key} passes every check: the grader cannot see this mistake"
    for grade_id, message in failed.items():
        found = mistakes.read(message)
        assert found is not None and found[1] == entry.name, (grade_id, message)
        assert found[2] == entry.hint
        # The diagnosis is added to today's message, which stays as it was, in front (with a
        # full stop where it had none, so that the two sentences read apart).
        today = verdict(grade_id, entry.compute, plain=True)
        assert found[0] in (today, today + "."), (found[0], today)


def _double_slope(z):
    """Not in the catalogue: sigma'(z) twice over (a factor 2 from nowhere)."""
    s = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
    return 2 * s * (1 - s)


def _relu_shifted(z):
    """Not in the catalogue: ReLU with its corner at 1 instead of 0."""
    return np.maximum(0.0, np.asarray(z, dtype=float) - 1.0)


def _central_with_half_eps(f, z, eps=1e-5):
    """Not in the catalogue: a central difference that divides by eps / 2."""
    return (f(z + eps) - f(z - eps)) / (eps / 2)


@pytest.mark.parametrize("function, answer", [
    ("sigmoid_derivative", _double_slope),
    ("relu", _relu_shifted),
    ("numerical_derivative", _central_with_half_eps),
])  # fmt: skip
def test_a_wrong_answer_no_entry_explains_gets_exactly_todays_message(function, answer):
    failed = 0
    for grade_id in checks_of(function):
        message = verdict(grade_id, answer)
        assert message == verdict(grade_id, answer, plain=True), grade_id
        assert message is None or MARK not in message, message
        failed += message is not None
    assert failed, "the unknown mistake must fail some check, or this test shows nothing"


def test_a_right_answer_is_never_diagnosed():
    import solutions

    for grade_id, check in CHECKS.items():
        assert verdict(grade_id, getattr(solutions, check.function)) is None, grade_id


def test_two_names_fitting_equally_give_no_diagnosis():
    # Two entries with different names that give the same values cannot be told apart: the
    # diagnosis says nothing rather than guess. Built here from a real entry and its twin.
    entry = MISTAKES["sigmoid_derivative.a_form_on_z"]
    twin = mistakes.Mistake("twin", entry.function, "another name", entry.hint, entry.compute)
    check = CHECKS["sigmoid_derivative_values"]
    calls = check.calls(np.random.default_rng(0))
    with checks.quiet():
        results = [checks.execute_call(call, {entry.function: entry.compute}) for call in calls]
    original = dict(MISTAKES)
    try:
        MISTAKES["twin"] = twin
        assert mistakes.diagnose(calls, results) is None
    finally:
        MISTAKES.clear()
        MISTAKES.update(original)
    assert mistakes.diagnose(calls, results) is entry


def test_a_diagnosis_that_breaks_leaves_the_message_alone():
    # A learner value numpy cannot even compare (an object) explains nothing, and never raises.
    check = CHECKS["relu_inputs"]
    calls = check.calls(np.random.default_rng(0))
    results = [checks.CallResult(object(), call.args) for call in calls]
    assert mistakes.diagnose(calls, results) is None


# --------------------------------------------------------------------------------------------
# Visible tests: the notebook helper's message, read back
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("message, name", [
    ("sigmoid_derivative(10.0) returned -90.0 (expected 4.5395807735951673e-05).",
     "the a-form applied to z"),
    ("relu_derivative(0.0) returned 1.0 (expected 0.0). This course uses 0 at z = 0 (see above).",
     "slope 1 at z = 0"),
    ("leaky_relu(-2.0, alpha=0.2) returned -0.02 (expected -0.4).", "alpha ignored"),
    ("numerical_derivative(square, 3.0) returned 6.000009999951316 (expected 6.0). Use the "
     "central difference (f(z + eps) - f(z - eps)) / (2 * eps).", "a forward difference"),
    ("tanh_derivative(np.array([-1.0, 0.0, 1.0])) returned 0.0 at z = -1.0 "
     "(expected 0.419974341614026).", "the a-form applied to z"),
])  # fmt: skip
def test_a_visible_tests_message_names_the_mistake_that_gives_its_value(message, name):
    annotated = mistakes.annotate_visible(message)
    assert mistakes.read(annotated)[:2] == (message.rstrip(), name)


@pytest.mark.parametrize("message", [
    # 2 * sigma'(10): no entry gives it
    "sigmoid_derivative(10.0) returned 9.079161547181531e-05 (expected 4.5395807735951673e-05).",
    # the entry "sides swapped" gives 0.0 at z = 2.0, but it would have failed at z = -3.0 first
    "relu_derivative(np.array([-3.0, -1.0, 2.0, 5.0])) returned 0.0 at z = 2.0 (expected 1.0).",
    # the instructor accepts any subgradient: the helper's message has no single expected value
    "leaky_relu_derivative(0.0) returned 5.0 (expected a value in [0.01, 1.0]).",
    # a hidden check's message (another format): its diagnosis, if any, came from the check
    "relu_derivative(0.0) returned 1.0; expected 0.0.",
    "sigmoid(z) with z an array of shape (3,) raised TypeError: only 0-dimensional arrays",
])  # fmt: skip
def test_a_visible_message_no_entry_explains_stays_as_it_is(message):
    assert mistakes.annotate_visible(message) == message


def test_the_visible_reading_never_raises_on_odd_text():
    for message in ("", "relu(", "relu(np.array([1, ) returned x (expected y).",
                    "nope(1.0) returned 2.0 (expected 1.0).", "relu(1e999) returned nan "
                    "(expected inf)."):
        assert mistakes.annotate_visible(message) == message


def test_the_math_entries_fail_on_arrays_the_way_learners_code_does():
    # A learner's math.exp raises the same error type on an array as the entry: that is what
    # lets the diagnosis match calls that raised.
    learner = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    check = CHECKS["sigmoid_inputs"]
    calls = check.calls(np.random.default_rng(0))
    with checks.quiet():
        results = [checks.execute_call(call, {"sigmoid": learner}) for call in calls]
    assert any(r.error and r.error.startswith("TypeError") for r in results)
    assert mistakes.diagnose(calls, results) is MISTAKES["sigmoid.math_exp"]
