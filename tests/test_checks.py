"""solutions/checks.py: the grade cells' checks are fair to right answers and catch wrong ones.

The checks run here directly against namespaces of Python functions, as `run_check` does in a
kernel, so every concern is proven in milliseconds; tests/test_notebook.py then proves the same
inside real kernels.
"""

import math
import re
import warnings
from pathlib import Path

import mpmath
import nbformat
import numpy as np
import pytest

import solutions
from solutions import checks
from solutions.checks import CHECKS, Call, CallResult, run_check

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source" / "activation_derivatives" / "activation_derivatives.ipynb"
FUNCTIONS = (
    "sigmoid",
    "sigmoid_derivative",
    "sigmoid_derivative_from_activation",
    "tanh_derivative",
    "tanh_derivative_from_activation",
    "relu",
    "relu_derivative",
    "leaky_relu",
    "leaky_relu_derivative",
    "numerical_derivative",
)

# The lecture's formulas typed the plain way (issue 3, "Fairness"): they must earn full marks.
LECTURE = '''
import numpy as np

def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def sigmoid_derivative(z):
    s = sigmoid(z)
    return s * (1 - s)

def sigmoid_derivative_from_activation(a):
    return a * (1 - a)

def tanh_derivative(z):
    return 1 - np.tanh(z) ** 2

def tanh_derivative_from_activation(a):
    return 1 - a**2

def relu(z):
    return np.maximum(0, z)

def relu_derivative(z):
    return np.where(z > 0, 1.0, 0.0)

def leaky_relu(z, alpha=0.01):
    return np.where(z > 0, z, alpha * z)

def leaky_relu_derivative(z, alpha=0.01):
    return np.where(z > 0, 1.0, alpha)

def numerical_derivative(f, z, eps=1e-5):
    return (f(z + eps) - f(z - eps)) / (2 * eps)
'''


def lecture(**replacements):
    """A namespace of lecture-formula answers, with some functions replaced by `replacements`
    (name -> source of the function's body, one statement per line)."""
    namespace = {}
    exec(LECTURE, namespace)
    for name, body in replacements.items():
        signature = {
            "sigmoid_derivative_from_activation": "a",
            "tanh_derivative_from_activation": "a",
            "leaky_relu": "z, alpha=0.01",
            "leaky_relu_derivative": "z, alpha=0.01",
            "numerical_derivative": "f, z, eps=1e-5",
        }.get(name, "z")
        lines = "\n".join("    " + line for line in body.strip().splitlines())
        exec(f"def {name}({signature}):\n{lines}", namespace)
    return namespace


def reference():
    return {name: getattr(solutions, name) for name in FUNCTIONS}


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
# The table and the notebook agree
# --------------------------------------------------------------------------------------------


def _grade_cells():
    nb = nbformat.read(SOURCE, as_version=4)
    cells = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cells[meta["grade_id"]] = cell
    return cells


def test_every_grade_cell_has_a_check_and_every_check_a_grade_cell():
    assert set(_grade_cells()) == set(CHECKS)


def test_grade_cells_open_with_their_checks_description():
    for grade_id, cell in _grade_cells().items():
        first_line = cell.source.splitlines()[0]
        assert first_line == f'"""{CHECKS[grade_id].description}"""', grade_id


def test_hidden_cells_run_their_own_check_and_visible_ones_none():
    for grade_id, cell in _grade_cells().items():
        call = f'run_check("{grade_id}", globals())'
        if CHECKS[grade_id].hidden:
            hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
            assert call in hidden, grade_id
        else:
            assert "run_check" not in cell.source and "HIDDEN" not in cell.source, grade_id


def test_each_check_grades_one_learner_function_named_at_the_start_of_its_grade_id():
    for grade_id, check in CHECKS.items():
        assert check.function in FUNCTIONS
        assert grade_id.startswith(check.function + "_")
        # The longest function name that prefixes the grade_id is the one graded.
        prefixes = [f for f in FUNCTIONS if grade_id.startswith(f + "_")]
        assert check.function == max(prefixes, key=len)


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


# --------------------------------------------------------------------------------------------
# Calls are plain data, the same every time in the kernel
# --------------------------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, str):
        return value in checks.SAFE_FUNCTIONS
    if isinstance(value, (float, int, np.floating)):
        return True
    return type(value) is np.ndarray and value.dtype.kind == "f"


def test_calls_hold_only_plain_data_for_the_clean_room():
    for grade_id, check in CHECKS.items():
        for call in check.calls(np.random.default_rng(1)):
            assert call.function == check.function, grade_id
            assert all(_plain(arg) for arg in call.args), (grade_id, call)
            assert all(_plain(value) for value in call.kwargs.values()), (grade_id, call)


def test_in_kernel_inputs_are_the_same_on_every_run():
    for grade_id, check in CHECKS.items():
        first = check.calls(np.random.default_rng(checks.seed(grade_id)))
        second = check.calls(np.random.default_rng(checks.seed(grade_id)))
        for a, b in zip(first, second, strict=True):
            for x, y in zip(a.args, b.args, strict=True):
                assert np.array_equal(x, y) if not isinstance(x, str) else x == y, grade_id


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


# --------------------------------------------------------------------------------------------
# Fairness: right answers get full marks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grade_id", sorted(CHECKS))
def test_reference_solutions_pass(grade_id, policy):
    assert failure(grade_id, reference()) is None


@pytest.mark.parametrize("grade_id", sorted(CHECKS))
def test_lecture_formulas_pass_without_a_warning_or_a_word_on_stderr(grade_id, policy, capfd):
    # The lecture's sigmoid overflows at z = -1000 and warns; the check must not hold it against
    # the learner, nor let the warning reach stderr (nbgrader zeroes a cell that writes there).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert failure(grade_id, lecture()) is None
    captured = capfd.readouterr()
    assert captured.err == ""


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
    calls = CHECKS["sigmoid_derivative_inputs"].calls(np.random.default_rng(0))
    assert any(checks._is_float32(call) for call in calls)
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
    assert worst * 2 <= checks.ATOL
    assert worst > 1e-17, "the lecture forms do lose digits to cancellation (else ATOL is moot)"


def test_central_and_forward_differences_fall_on_opposite_sides_of_the_tolerance():
    # Each point used by numerical_derivative_is_central: the central difference must be 100x
    # inside the tolerance and the forward difference 100x outside, so neither passes by luck.
    eps = 1e-5
    for call in CHECKS["numerical_derivative_is_central"].calls(np.random.default_rng(0)):
        name, z = call.args[0], float(call.args[1])
        f, exact = checks.SAFE_FUNCTIONS[name], float(checks._EXACT_DERIVATIVE[name](z))
        tolerance = checks.CENTRAL_TOL * (1 + abs(exact))
        central = (f(z + eps) - f(z - eps)) / (2 * eps)
        forward = (f(z + eps) - f(z)) / eps
        assert abs(central - exact) * 100 < tolerance, call
        assert abs(forward - exact) > 100 * tolerance, call


# --------------------------------------------------------------------------------------------
# Wrong answers fail the check that names their mistake, with a specific message
# --------------------------------------------------------------------------------------------


def test_relu_derivative_of_one_at_zero_fails_only_the_at_zero_check_under_course_policy(course):
    namespace = lecture(relu_derivative="return np.where(z >= 0, 1.0, 0.0)")
    message = failure("relu_derivative_at_zero", namespace)
    assert message.startswith("relu_derivative(0.0) returned 1.0; expected 0.0.")
    assert "This course uses 0 at z = 0" in message
    for concern in ("values", "inputs", "keeps_input"):
        grade_id = f"relu_derivative_{concern}"
        assert failure(grade_id, namespace) is None


def test_subgradient_policy_accepts_any_value_in_zero_to_one_for_relu(subgradient):
    for value in ("1.0", "0.5", "0.0"):
        body = f"return np.where(z > 0, 1.0, np.where(z < 0, 0.0, {value}))"
        namespace = lecture(relu_derivative=body)
        assert failure("relu_derivative_at_zero", namespace) is None, value
    namespace = lecture(relu_derivative="return np.where(z > 0, 1.0, np.where(z < 0, 0.0, 2.0))")
    assert "expected a value in [0.0, 1.0]" in failure("relu_derivative_at_zero", namespace)


def test_course_policy_rejects_other_subgradients(course):
    namespace = lecture(relu_derivative="return np.where(z > 0, 1.0, np.where(z < 0, 0.0, 0.5))")
    assert failure("relu_derivative_at_zero", namespace) is not None


def test_subgradient_policy_accepts_alpha_to_one_for_leaky_relu(subgradient):
    one = lecture(leaky_relu_derivative="return np.where(z >= 0, 1.0, alpha)")
    assert failure("leaky_relu_derivative_at_zero", one) is None
    zero = lecture(leaky_relu_derivative="return np.where(z > 0, 1.0, np.where(z < 0, alpha, 0.0))")
    message = failure("leaky_relu_derivative_at_zero", zero)
    assert "expected a value in [0.01, 1.0]" in message


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
    monkeypatch.setenv("ACTIVATION_KINK_POLICY", "lenient")
    expected = "ACTIVATION_KINK_POLICY is 'lenient'.*'course'.*'subgradient'"
    with pytest.raises(ValueError, match=expected):
        run_check("relu_derivative_at_zero", reference())


def test_hard_coded_alpha_fails_only_the_custom_alpha_check(course):
    namespace = lecture(leaky_relu_derivative="return np.where(z > 0, 1.0, 0.01)")
    message = failure("leaky_relu_derivative_custom_alpha", namespace)
    assert message.startswith("leaky_relu_derivative(-2.0, alpha=0.2) returned 0.01; expected 0.2.")
    for concern in ("values", "inputs", "at_zero"):
        grade_id = f"leaky_relu_derivative_{concern}"
        assert failure(grade_id, namespace) is None


def test_changing_the_input_in_place_fails_the_keeps_input_check(course):
    namespace = lecture(relu="z = np.asarray(z, dtype=float)\nz[z < 0] = 0.0\nreturn z")
    message = failure("relu_keeps_input", namespace)
    assert message.startswith("relu changed the array you passed in: an entry of z that was -")
    assert "is now 0.0" in message
    # The other checks hand the learner a copy, so their expected values are not corrupted.
    assert failure("relu_inputs", namespace) is None


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


def test_an_untouched_stub_says_to_replace_the_stub(course):
    namespace = lecture(relu="raise NotImplementedError()")
    message = failure("relu_inputs", namespace)
    assert message.startswith("relu still raises NotImplementedError")
    assert "# YOUR CODE HERE" in message


def test_a_function_that_was_never_run_is_reported_as_not_defined(course):
    namespace = lecture()
    del namespace["tanh_derivative"]
    assert failure("tanh_derivative_inputs", namespace).startswith(
        "tanh_derivative is not defined: run the cell where you wrote it"
    )


def test_a_missing_return_is_named(course):
    assert "did you forget `return`" in failure("relu_inputs", lecture(relu="np.maximum(0, z)"))


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


# --------------------------------------------------------------------------------------------
# verify() on its own, as the clean room uses it
# --------------------------------------------------------------------------------------------


def test_verify_rejects_objects_that_claim_to_equal_everything(course):
    class Agreeable(np.ndarray):
        def __eq__(self, other):
            return True

    check = CHECKS["sigmoid_values"]
    calls = check.calls(np.random.default_rng(0))
    honest = [CallResult(solutions.sigmoid(*call.args), call.args) for call in calls]
    assert check.verify(calls, honest) is None
    cheat = [
        CallResult(np.zeros(np.shape(call.args[0])).view(Agreeable), call.args) for call in calls
    ]
    assert "returned an object of type Agreeable" in check.verify(calls, cheat)


def test_verify_reads_errors_reported_by_the_runner(course):
    check = CHECKS["relu_inputs"]
    calls = check.calls(np.random.default_rng(0))
    results = [CallResult(None, call.args, "ZeroDivisionError: division by zero") for call in calls]
    assert check.verify(calls, results).endswith("raised ZeroDivisionError: division by zero")


def test_execute_call_works_on_copies_and_reports_the_arguments_after_the_call():
    z = np.array([-1.0, 2.0])
    call = Call("relu", (z,))

    def mutating_relu(z):
        z[z < 0] = 0.0
        return z

    result = checks.execute_call(call, {"relu": mutating_relu})
    assert z.tolist() == [-1.0, 2.0], "the call's own data is never handed to learner code"
    assert result.args_after[0].tolist() == [0.0, 2.0]
    assert result.error is None


def test_execute_call_resolves_function_names_only_from_the_safe_set():
    result = checks.execute_call(Call("numerical_derivative", ("exp", 0.0)), lecture())
    assert abs(result.value - 1.0) < 1e-9
    assert result.args_after[0] == "exp"
    with pytest.raises(KeyError, match="not one of the safe functions"):
        checks.execute_call(Call("numerical_derivative", ("os.system", 0.0)), lecture())


def test_run_check_names_an_unknown_grade_id():
    with pytest.raises(KeyError, match="no check named 'relu_typo'"):
        run_check("relu_typo", reference())


def test_a_nan_from_inf_over_inf_is_explained(course):
    # The calculus form e^-z / (1 + e^-z)^2 is inf / inf at z = -1000: nan, not 0.
    namespace = lecture(sigmoid_derivative="return np.exp(-z) / (1 + np.exp(-z)) ** 2")
    message = failure("sigmoid_derivative_extremes", namespace)
    assert message.startswith("sigmoid_derivative(-1000.0) returned nan; expected 0.0.")
    assert "inf / inf" in message
