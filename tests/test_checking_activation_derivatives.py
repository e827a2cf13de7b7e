"""The first assignment's checks and catalogue (solutions/activation_derivatives/): what only this
assignment has. Its kink policy at z = 0, the tolerances its comments claim, the messages of its
element-wise functions, the issue's list of common mistakes and the visible tests' messages read
back. The guarantees every assignment shares are in tests/test_checks.py and
tests/test_mistakes.py.

The checks run here directly against namespaces of Python functions, as ``run_check`` does in a
kernel; tests/test_notebook.py proves the same inside real kernels.
"""

from __future__ import annotations

import math
import re
import types
import warnings

import mpmath
import numpy as np
import pytest

from solutions import checking, wire
from solutions.activation_derivatives import checks, reference
from solutions.activation_derivatives.checks import CHECKS, run_check
from solutions.activation_derivatives.mistakes import MISTAKES
from solutions.activation_derivatives.variants import HONEST
from solutions.elementwise import ATOL

FUNCTIONS = sorted({check.function for check in CHECKS.values()})
BY_KEY = {entry.key: entry for entry in MISTAKES}
LECTURE = HONEST["lecture"][1]  # the lecture's formulas typed the plain way: full marks


def lecture(**replacements) -> dict:
    """A notebook's namespace holding the lecture-formula answers, with some functions replaced
    by `replacements` (name -> the body of the function, as a learner types it)."""
    namespace = {"__name__": "learner", "np": np, "math": math}
    for name, body in {**LECTURE, **replacements}.items():
        typed = checking.compile_answer(getattr(reference, name), body, namespace)
        namespace[name] = types.FunctionType(typed.__code__, namespace, name, typed.__defaults__,
                                             typed.__closure__)
    return namespace


def model() -> dict:
    return {name: getattr(reference, name) for name in FUNCTIONS}


def failure(grade_id, namespace):
    """The message run_check raises, or None when the check passes."""
    try:
        run_check(grade_id, namespace)
    except AssertionError as error:
        return str(error)
    return None


@pytest.fixture(params=["course", "subgradient"])
def policy(request, monkeypatch):
    monkeypatch.setenv("ACTIVATION_KINK_POLICY", request.param)
    return request.param


@pytest.fixture
def course(monkeypatch):
    monkeypatch.setenv("ACTIVATION_KINK_POLICY", "course")


@pytest.fixture
def subgradient(monkeypatch):
    monkeypatch.setenv("ACTIVATION_KINK_POLICY", "subgradient")


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def test_the_issues_hidden_concerns_each_have_their_own_check():
    for name in ("relu_derivative", "leaky_relu_derivative"):
        assert f"{name}_at_zero" in CHECKS
    for name in ("sigmoid", "sigmoid_derivative", "tanh_derivative"):
        assert f"{name}_extremes" in CHECKS
    for name in ("relu", "relu_derivative", "leaky_relu", "leaky_relu_derivative"):
        assert f"{name}_keeps_input" in CHECKS
    for name in ("leaky_relu", "leaky_relu_derivative"):
        assert f"{name}_custom_alpha" in CHECKS
    for name in ("sigmoid_derivative_from_activation", "tanh_derivative_from_activation"):
        assert f"{name}_matches_z_form" in CHECKS
    assert "numerical_derivative_is_central" in CHECKS


def test_hidden_inputs_cover_scalar_kinds_shapes_and_extremes():
    calls = CHECKS["sigmoid_inputs"].calls(np.random.default_rng(0))
    kinds = {type(call.args[0]) for call in calls}
    assert {float, np.float64, np.float32, np.ndarray} <= kinds
    shapes = {np.shape(call.args[0]) for call in calls}
    assert {(), (1,), (7,), (3, 4), (2, 3, 4)} <= shapes
    extremes = [call.args[0] for call in CHECKS["sigmoid_extremes"].calls(np.random.default_rng(0))]
    scalars = [x for x in extremes if isinstance(x, float)]
    assert {10.0, -10.0, 0.0, 1000.0, -1000.0, math.inf, -math.inf} <= set(scalars)
    assert any(x == 0.0 and math.copysign(1.0, x) < 0 for x in scalars), "-0.0 is tested"


def test_extremes_checks_add_two_large_z_drawn_at_grading_time():
    # Beside the eight fixed extremes, two |z| in [50, 5000] of either sign, drawn from the rng:
    # a function right only at the printed extremes fails somewhere new in every run.
    for grade_id in ("sigmoid_extremes", "sigmoid_derivative_extremes", "tanh_derivative_extremes"):
        drawn = [[call.args[0] for call in CHECKS[grade_id].calls(np.random.default_rng(seed))
                  if isinstance(call.args[0], float)] for seed in (1, 2)]  # fmt: skip
        for values in drawn:
            assert len(values) == 10 and all(50 <= abs(v) <= 5000 for v in values[8:]), values
        assert drawn[0][8:] != drawn[1][8:]


def test_visible_checks_make_the_printed_calls_then_fresh_ones_of_the_same_kinds():
    calls = CHECKS["relu_values"].calls(np.random.default_rng(0))
    assert [call.args[0] for call in calls[:2]] == [-2.0, 3.0]
    assert calls[2].args[0].tolist() == [-3.0, -1.0, 2.0, 5.0]
    assert type(calls[3].args[0]) is float and calls[3].args[0] not in (-2.0, 3.0)
    assert type(calls[4].args[0]) is np.ndarray and calls[4].args[0].shape == (6,)


def test_numerical_derivative_is_handed_safe_functions_not_their_names():
    for grade_id, check in CHECKS.items():
        if check.function == "numerical_derivative":
            for call in check.calls(np.random.default_rng(0)):
                assert type(call.args[0]) is wire.Safe, grade_id


# --------------------------------------------------------------------------------------------
# Fairness: right answers get full marks under either policy
# --------------------------------------------------------------------------------------------


def test_the_reference_and_the_lecture_formulas_pass_every_check_under_either_policy(
    policy, capfd
):
    # The lecture's sigmoid overflows at z = -1000 and warns; the check must not hold it against
    # the learner, nor let the warning reach stderr (nbgrader zeroes a cell that writes there).
    for grade_id in CHECKS:
        assert failure(grade_id, model()) is None, grade_id
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert failure(grade_id, lecture()) is None, grade_id
    assert capfd.readouterr().err == ""


def test_float64_output_for_float32_input_is_accepted(course):
    namespace = lecture(
        sigmoid="return 1 / (1 + np.exp(-np.asarray(z, dtype=np.float64)))",
        tanh_derivative="return 1 - np.tanh(np.asarray(z, dtype=np.float64)) ** 2",
    )
    assert failure("sigmoid_inputs", namespace) is None
    assert failure("sigmoid_derivative_inputs", namespace) is None
    assert failure("tanh_derivative_inputs", namespace) is None


def test_float32_output_for_float32_input_is_accepted(course):
    # The lecture formulas keep float32; their float32 rounding (<= 1.4e-7) is inside 1e-6.
    from solutions.elementwise import is_float32

    calls = CHECKS["sigmoid_derivative_inputs"].calls(np.random.default_rng(0))
    assert any(is_float32(call) for call in calls)
    assert failure("sigmoid_derivative_inputs", lecture()) is None


def test_learner_warnings_and_stderr_are_swallowed(course, capfd):
    namespace = lecture(
        relu="import sys, warnings\n"
        "warnings.warn('just saying')\n"
        "print('debugging', file=sys.stderr)\n"
        "return np.maximum(0, z)"
    )
    assert failure("relu_inputs", namespace) is None
    assert capfd.readouterr().err == ""


# --------------------------------------------------------------------------------------------
# The tolerances are what their comments say
# --------------------------------------------------------------------------------------------


def test_atol_covers_the_cancellation_in_the_lecture_forms_with_a_margin_of_two():
    # a(1 - a) and 1 - tanh(z)**2 lose everything below ~2.2e-16; ATOL = 1e-15 must cover the
    # worst error of the lecture forms (measured against 50-digit mpmath) at least twice over.
    mpmath.mp.dps = 50
    z = np.concatenate([np.linspace(-40, 40, 801), np.random.default_rng(3).normal(0, 5, 400)])
    ns = lecture()
    exact_sig = [mpmath.mpf(1) / (1 + mpmath.exp(-mpmath.mpf(x))) for x in z]
    exact_dsig = np.array([float(s * (1 - s)) for s in exact_sig])
    exact_dtanh = np.array([float(1 - mpmath.tanh(mpmath.mpf(x)) ** 2) for x in z])
    with np.errstate(all="ignore"):
        worst = max(
            np.max(np.abs(ns["sigmoid_derivative"](z) - exact_dsig)),
            np.max(np.abs(ns["tanh_derivative"](z) - exact_dtanh)),
            np.max(np.abs(ns["tanh_derivative_from_activation"](np.tanh(z)) - exact_dtanh)),
        )
    assert worst * 2 <= ATOL
    assert worst > 1e-17, "the lecture forms do lose digits to cancellation (else ATOL is moot)"


def test_central_and_forward_differences_fall_on_opposite_sides_of_the_tolerance():
    # Each point used by numerical_derivative_is_central (fixed and drawn): the central
    # difference must be 100x inside the tolerance and the forward difference 100x outside, so
    # neither passes by luck.
    eps = 1e-5
    for seed in range(5):
        for call in CHECKS["numerical_derivative_is_central"].calls(np.random.default_rng(seed)):
            name, z = call.args[0].name, float(call.args[1])
            f, exact = wire.SAFE_FUNCTIONS[name], float(checks._EXACT_DERIVATIVE[name](z))
            tolerance = checks.CENTRAL_TOL * (1 + abs(exact))
            central = (f(z + eps) - f(z - eps)) / (2 * eps)
            forward = (f(z + eps) - f(z)) / eps
            assert abs(central - exact) * 100 < tolerance, call
            assert abs(forward - exact) > 100 * tolerance, call


# --------------------------------------------------------------------------------------------
# The kink policy at z = 0
# --------------------------------------------------------------------------------------------


def test_relu_derivative_of_one_at_zero_fails_only_the_at_zero_check_under_course_policy(course):
    namespace = lecture(relu_derivative="return np.where(z >= 0, 1.0, 0.0)")
    message = failure("relu_derivative_at_zero", namespace)
    assert message.startswith("relu_derivative(0.0) returned 1.0; expected 0.0.")
    assert "This course uses 0 at z = 0" in message
    for concern in ("values", "inputs", "keeps_input"):
        assert failure(f"relu_derivative_{concern}", namespace) is None


def test_subgradient_policy_accepts_any_value_in_zero_to_one_for_relu(subgradient):
    for value in ("1.0", "0.5", "0.0"):
        body = f"return np.where(z > 0, 1.0, np.where(z < 0, 0.0, {value}))"
        assert failure("relu_derivative_at_zero", lecture(relu_derivative=body)) is None, value
    namespace = lecture(relu_derivative="return np.where(z > 0, 1.0, np.where(z < 0, 0.0, 2.0))")
    assert "expected a value in [0.0, 1.0]" in failure("relu_derivative_at_zero", namespace)


def test_course_policy_rejects_other_subgradients(course):
    namespace = lecture(relu_derivative="return np.where(z > 0, 1.0, np.where(z < 0, 0.0, 0.5))")
    assert failure("relu_derivative_at_zero", namespace) is not None


def test_subgradient_policy_accepts_alpha_to_one_for_leaky_relu(subgradient):
    one = lecture(leaky_relu_derivative="return np.where(z >= 0, 1.0, alpha)")
    assert failure("leaky_relu_derivative_at_zero", one) is None
    zero = lecture(leaky_relu_derivative="return np.where(z > 0, 1.0, np.where(z < 0, alpha, 0.0))")
    assert "expected a value in [0.01, 1.0]" in failure("leaky_relu_derivative_at_zero", zero)


def test_leaky_relu_derivative_of_one_at_zero_fails_under_the_course_policy(course):
    namespace = lecture(leaky_relu_derivative="return np.where(z >= 0, 1.0, alpha)")
    message = failure("leaky_relu_derivative_at_zero", namespace)
    assert message.startswith("leaky_relu_derivative(0.0) returned 1.0; expected 0.01.")
    assert "This course uses alpha at z = 0" in message


def test_minus_zero_counts_as_zero(course):
    # Right at +0.0 but 1 at -0.0: the at-zero check must catch it.
    namespace = lecture(
        relu_derivative="return np.where(z > 0, 1.0, np.where((z == 0) & np.signbit(z), 1.0, 0.0))"
    )
    message = failure("relu_derivative_at_zero", namespace)
    assert message.startswith("relu_derivative(-0.0) returned 1.0; expected 0.0.")


def test_an_unknown_kink_policy_is_a_clear_error(monkeypatch):
    # The instructor's setting, not the learner: the check says it cannot judge (GraderError,
    # which makes the student's row an error to retry, never a score).
    monkeypatch.setenv("ACTIVATION_KINK_POLICY", "lenient")
    expected = "ACTIVATION_KINK_POLICY is 'lenient'.*'course'.*'subgradient'"
    with pytest.raises(checking.GraderError, match=expected):
        run_check("relu_derivative_at_zero", model())


# --------------------------------------------------------------------------------------------
# Wrong answers fail the check that names their concern, with a specific message
# --------------------------------------------------------------------------------------------


def test_hard_coded_alpha_fails_only_the_custom_alpha_check(course):
    namespace = lecture(leaky_relu_derivative="return np.where(z > 0, 1.0, 0.01)")
    message = failure("leaky_relu_derivative_custom_alpha", namespace)
    assert message.startswith("leaky_relu_derivative(-2.0, alpha=0.2) returned 0.01; expected 0.2.")
    for concern in ("values", "inputs", "at_zero"):
        assert failure(f"leaky_relu_derivative_{concern}", namespace) is None


def test_changing_the_input_in_place_fails_the_keeps_input_check(course):
    namespace = lecture(relu="z = np.asarray(z, dtype=float)\nz[z < 0] = 0.0\nreturn z")
    message = failure("relu_keeps_input", namespace)
    assert message.startswith("relu changed the array you passed in: an entry of z that was -")
    assert "is now 0.0" in message
    # The other checks hand the learner a copy, so their expected values are not corrupted.
    assert failure("relu_inputs", namespace) is None


def test_keeps_input_checks_judge_only_the_input_and_the_results_shape(course):
    # A wrong formula that leaves its input alone loses the value checks, not keeps_input: each
    # check judges one property, so a score says what was wrong.
    for name, body in (("relu", "return np.abs(z)"),
                       ("relu_derivative", "return np.where(z > 0, 2.0, 0.0)"),
                       ("leaky_relu", "return np.where(z > 0, z, 0.5 * z)"),
                       ("leaky_relu_derivative", "return np.where(z > 0, 1.0, 0.5)")):  # fmt: skip
        namespace = lecture(**{name: body})
        assert failure(f"{name}_values", namespace) is not None, name
        assert failure(f"{name}_keeps_input", namespace) is None, name
    shape = lecture(relu="return float(np.sum(np.maximum(0.0, z)))")
    assert "expected an array of shape (4, 5)" in failure("relu_keeps_input", shape)
    # A function that ignores its input keeps it trivially: that earns nothing here either.
    constant = lecture(leaky_relu_derivative="return np.ones_like(z)")
    assert "returned the same values for different arrays" in failure(
        "leaky_relu_derivative_keeps_input", constant)


def test_forward_difference_fails_the_central_difference_checks(course):
    namespace = lecture(numerical_derivative="return (f(z + eps) - f(z)) / eps")
    message = failure("numerical_derivative_is_central", namespace)
    assert message.startswith("numerical_derivative(np.sin, 1.0) returned 0.5402980")
    assert "expected 0.5403023058681398" in message and "forward difference" in message
    assert failure("numerical_derivative_values", namespace) is not None


def test_ignoring_eps_fails_only_the_uses_eps_check(course):
    namespace = lecture(numerical_derivative="return (f(z + 1e-5) - f(z - 1e-5)) / (2 * 1e-5)")
    message = failure("numerical_derivative_uses_eps", namespace)
    assert message.startswith("numerical_derivative(lambda z: z**3, 2.0, eps=0.1) returned 12.0")
    assert "expected 12.01" in message
    assert failure("numerical_derivative_is_central", namespace) is None
    assert failure("numerical_derivative_arrays", namespace) is None


@pytest.mark.parametrize(
    "grade_id, replacement, expected_start",
    [
        ("sigmoid_derivative_values", {"sigmoid_derivative": "s = sigmoid(z)\nreturn s * (1 - z)"},
         "sigmoid_derivative(10.0) returned"),
        ("sigmoid_derivative_from_activation_matches_z_form",
         {"sigmoid_derivative_from_activation": "s = sigmoid(a)\nreturn s * (1 - s)"},
         "sigmoid_derivative_from_activation("),
        ("tanh_derivative_values", {"tanh_derivative": "return 1 - np.tanh(z)"},
         "tanh_derivative(10.0) returned"),
        ("tanh_derivative_from_activation_matches_z_form",
         {"tanh_derivative_from_activation": "return 1 - np.tanh(a) ** 2"},
         "tanh_derivative_from_activation("),
    ],
)  # fmt: skip
def test_wrong_formulas_fail_with_the_call_and_the_expected_value(
    course, grade_id, replacement, expected_start
):
    message = failure(grade_id, lecture(**replacement))
    assert message.startswith(expected_start)
    assert "expected" in message


def test_booleans_are_not_slopes(course):
    message = failure("relu_derivative_values", lecture(relu_derivative="return z > 0"))
    assert "returned a boolean" in message or "returned booleans" in message


def test_an_array_for_a_single_number_is_a_shape_error(course):
    namespace = lecture(sigmoid="return np.atleast_1d(1 / (1 + np.exp(-z)))")
    message = failure("sigmoid_inputs", namespace)
    assert "returned an array of shape (1,); for a single number, return a single number" in message


def test_a_scalar_only_function_fails_on_arrays_with_the_error_it_raised(course):
    namespace = lecture(sigmoid="import math\nreturn 1 / (1 + math.exp(-z))")
    message = failure("sigmoid_inputs", namespace)
    pattern = r"sigmoid\(z\) with z an array of shape \(\d+(, \d+)*,?\) raised TypeError"
    assert re.match(pattern, message)


def test_messages_name_one_input_and_never_print_an_array(course):
    # A wrong answer on a (2, 3, 4) array: the message names the array's shape, one entry of it,
    # what came back there and what was expected; nothing else.
    namespace = lecture(sigmoid="return 1 / (1 + np.exp(-z)) + np.where(np.ndim(z) == 3, 0.1, 0.0)")
    message = failure("sigmoid_inputs", namespace)
    assert message.startswith("sigmoid(z) with z an array of shape (2, 3, 4) at the entry z = ")
    numbers = re.findall(r"-?\d+\.\d+(?:e-?\d+)?", message)
    assert len(numbers) == 3, message  # the entry, the value returned, the value expected
    assert "\n" not in message and "array(" not in message


def test_a_float64_argument_is_shown_as_a_number_and_a_float32_one_as_np_float32(course):
    # The _inputs checks call with np.float64 and np.float32 scalars: the message shows the
    # first as a learner types a number, the second as np.float32(...) (judged to float32).
    namespace = lecture(sigmoid="return 0.75 if np.ndim(z) == 0 else 1 / (1 + np.exp(-z))")
    calls = CHECKS["sigmoid_inputs"].calls(np.random.default_rng(checking.seed("sigmoid_inputs")))
    with checking.quiet():
        results = [checking.execute_call(call, namespace) for call in calls]
    messages = [CHECKS["sigmoid_inputs"].verify([call], [result])
                for call, result in zip(calls, results, strict=True)]  # fmt: skip
    shown = {type(call.args[0]).__name__: message
             for call, message in zip(calls, messages, strict=True) if np.ndim(call.args[0]) == 0}
    assert re.match(r"sigmoid\(-?\d\.\d+\) returned 0\.75; expected", shown["float64"])
    assert re.match(r"sigmoid\(np\.float32\(-?\d\.\d+\)\) returned 0\.75", shown["float32"])
    assert re.match(r"sigmoid\(np\.array\(-?\d\.\d+\)\) returned 0\.75", shown["ndarray"])


def test_a_nan_from_inf_over_inf_is_explained(course):
    # The calculus form e^-z / (1 + e^-z)^2 is inf / inf at z = -1000: nan, not 0.
    namespace = lecture(sigmoid_derivative="return np.exp(-z) / (1 + np.exp(-z)) ** 2")
    message = failure("sigmoid_derivative_extremes", namespace)
    assert message.startswith("sigmoid_derivative(-1000.0) returned nan; expected 0.0.")
    assert "inf / inf" in message


def test_verify_rejects_objects_that_claim_to_equal_everything(course):
    class Agreeable(np.ndarray):
        def __eq__(self, other):
            return True

    check = CHECKS["sigmoid_values"]
    calls = check.calls(np.random.default_rng(0))
    honest = [checking.CallResult(reference.sigmoid(*call.args), call.args) for call in calls]
    assert check.verify(calls, honest) is None
    cheat = [checking.CallResult(np.zeros(np.shape(call.args[0])).view(Agreeable), call.args)
             for call in calls]  # fmt: skip
    assert "returned an object of type Agreeable" in check.verify(calls, cheat)


def test_verify_reads_errors_reported_by_the_runner(course):
    check = CHECKS["relu_inputs"]
    calls = check.calls(np.random.default_rng(0))
    results = [checking.CallResult(None, call.args, "ZeroDivisionError: division by zero")
               for call in calls]  # fmt: skip
    assert check.verify(calls, results).endswith("raised ZeroDivisionError: division by zero")


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------


def verdict(grade_id, function, *, plain=False):
    """The check's message for `function` as the learner's answer (None: it passes); with
    plain=True, the check's own message, without the diagnosis."""
    check = CHECKS[grade_id]
    calls = check.calls(np.random.default_rng(checking.seed(grade_id)))
    with checking.quiet():
        results = [checking.execute_call(call, {check.function: function}) for call in calls]
    if plain:
        return check.verify(calls, results)
    return checking.judge(check, calls, results, MISTAKES)


def test_every_graded_function_has_known_mistakes():
    assert {entry.function for entry in MISTAKES} == set(FUNCTIONS)


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
    assert set(ISSUE_LIST.values()) <= set(BY_KEY)


def test_every_function_has_the_in_place_or_array_mistakes_that_apply_to_it():
    from solutions.activation_derivatives import mistakes

    for name in ("relu", "relu_derivative", "leaky_relu", "leaky_relu_derivative"):
        assert f"{name}.in_place" in BY_KEY and f"{name}.python_if" in BY_KEY
    for name in ("sigmoid", "sigmoid_derivative", "sigmoid_derivative_from_activation",
                 "tanh_derivative", "tanh_derivative_from_activation", "numerical_derivative"):
        assert any(e.name == mistakes._SIGN for e in MISTAKES if e.function == name), name


def test_hints_give_no_reference_code_nor_the_word_return():
    # A hint may name numpy tools and the lecture's formulas, never a line of a model answer.
    answers = ["np.where(z > 0, 1.0, 0.0)", "np.where(z > 0, 1.0, alpha)",
               "np.where(z > 0, z, alpha * z)", "np.maximum(0.0, z)", "s * (1 - s)",
               "(f(z + eps) - f(z - eps)) / (2 * eps)", "1 - np.tanh(z) ** 2", "return"]
    for entry in MISTAKES:
        for answer in answers:
            assert answer not in entry.hint, (entry.key, answer)


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


def _relu_raising_its_own_error(z):
    """Not in the catalogue: fails on arrays, but not as Python's `if` does."""
    if np.ndim(z):
        raise ValueError("shapes do not match")
    return max(0.0, z)


@pytest.mark.parametrize("function, answer", [
    ("sigmoid_derivative", _double_slope),
    ("relu", _relu_shifted),
    ("numerical_derivative", _central_with_half_eps),
    ("relu", _relu_raising_its_own_error),
])  # fmt: skip
def test_a_wrong_answer_no_entry_explains_keeps_the_checks_own_message(function, answer,
                                                                       monkeypatch):
    monkeypatch.setenv("ACTIVATION_KINK_POLICY", "course")
    failed = 0
    for grade_id in (g for g, check in CHECKS.items() if check.function == function):
        message = verdict(grade_id, answer)
        assert message == verdict(grade_id, answer, plain=True), grade_id
        assert message is None or checking.MARK not in message, message
        failed += message is not None
    assert failed, "the unknown mistake must fail some check, or this test shows nothing"


def test_the_math_entries_fail_on_arrays_the_way_learners_code_does():
    # A learner's math.exp raises the same error, message and all, on an array as the entry:
    # that is what lets the diagnosis match calls that raised.
    def learner(z):
        return 1 / (1 + math.exp(-z))

    check = CHECKS["sigmoid_inputs"]
    calls = check.calls(np.random.default_rng(0))
    with checking.quiet():
        results = [checking.execute_call(call, {"sigmoid": learner}) for call in calls]
    assert any(r.error and r.error.startswith("TypeError") for r in results)
    assert checking.diagnose(check, calls, results, MISTAKES) is BY_KEY["sigmoid.math_exp"]


# --------------------------------------------------------------------------------------------
# Visible tests: the notebook helper's message, read back
# --------------------------------------------------------------------------------------------


def annotate(message, grade_id):
    return checking.annotate_visible(message, CHECKS[grade_id], MISTAKES, reference)


@pytest.mark.parametrize("message, grade_id, name", [
    ("sigmoid_derivative(10.0) returned -90.0 (expected 4.5395807735951673e-05).",
     "sigmoid_derivative_values", "the a-form applied to z"),
    ("relu_derivative(0.0) returned 1.0 (expected 0.0). This course uses 0 at z = 0 (see above).",
     "relu_derivative_at_zero", "slope 1 at z = 0"),
    ("leaky_relu(-2.0, alpha=0.2) returned -0.02 (expected -0.4).", "leaky_relu_custom_alpha",
     "alpha ignored"),
    ("numerical_derivative(square, 3.0) returned 6.000009999951316 (expected 6.0). Use the "
     "central difference (f(z + eps) - f(z - eps)) / (2 * eps).", "numerical_derivative_values",
     "a forward difference"),
    ("tanh_derivative(np.array([-1.0, 0.0, 1.0])) returned 0.0 at z = -1.0 "
     "(expected 0.419974341614026).", "tanh_derivative_values", "the a-form applied to z"),
])  # fmt: skip
def test_a_visible_tests_message_names_the_mistake_that_gives_its_value(message, grade_id, name):
    annotated = annotate(message, grade_id)
    assert checking.read(annotated, MISTAKES)[:2] == (message.rstrip(), name)


@pytest.mark.parametrize("message, grade_id", [
    # 2 * sigma'(10): no entry gives it
    ("sigmoid_derivative(10.0) returned 9.079161547181531e-05 (expected 4.5395807735951673e-05).",
     "sigmoid_derivative_values"),
    # the entry "sides swapped" gives 0.0 at z = 2.0, but it would have failed at z = -3.0 first
    ("relu_derivative(np.array([-3.0, -1.0, 2.0, 5.0])) returned 0.0 at z = 2.0 (expected 1.0).",
     "relu_derivative_values"),
    # the instructor accepts any subgradient: the helper's message has no single expected value
    ("leaky_relu_derivative(0.0) returned 5.0 (expected a value in [0.01, 1.0]).",
     "leaky_relu_derivative_at_zero"),
    # a hidden check's message (another format): its diagnosis, if any, came from the check
    ("relu_derivative(0.0) returned 1.0; expected 0.0.", "relu_derivative_at_zero"),
    ("sigmoid(z) with z an array of shape (3,) raised TypeError: only 0-dimensional arrays",
     "sigmoid_inputs"),
])  # fmt: skip
def test_a_visible_message_no_entry_explains_stays_as_it_is(message, grade_id):
    assert annotate(message, grade_id) == message


def test_the_visible_reading_never_raises_on_odd_text():
    for message in ("", "relu(", "relu(np.array([1, ) returned x (expected y).",
                    "nope(1.0) returned 2.0 (expected 1.0).", "relu(1e999) returned nan "
                    "(expected inf)."):
        assert annotate(message, "relu_values") == message
