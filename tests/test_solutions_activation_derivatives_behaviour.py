"""The first assignment's reference (solutions/activation_derivatives/reference.py): its
contract of shapes, dtypes, conventions, errors, warnings and documentation."""

from __future__ import annotations

import functools
import warnings
from contextlib import contextmanager

import numpy as np
import pytest

import solutions.activation_derivatives as package
from solutions.activation_derivatives import reference
from solutions.activation_derivatives.reference import _BLOCK

# Every elementwise function of the package, called with its default parameters.
ELEMENTWISE = {
    "sigmoid": reference.sigmoid,
    "sigmoid_derivative": reference.sigmoid_derivative,
    "sigmoid_derivative_from_activation": reference.sigmoid_derivative_from_activation,
    "tanh_derivative": reference.tanh_derivative,
    "tanh_derivative_from_activation": reference.tanh_derivative_from_activation,
    "relu": reference.relu,
    "relu_derivative": reference.relu_derivative,
    "leaky_relu": reference.leaky_relu,
    "leaky_relu_derivative": reference.leaky_relu_derivative,
    "leaky_relu_alpha_2": functools.partial(reference.leaky_relu, alpha=2.0),
    "leaky_relu_derivative_alpha_2": functools.partial(reference.leaky_relu_derivative, alpha=2.0),
    "leaky_relu_derivative_alpha_minus_half": functools.partial(
        reference.leaky_relu_derivative, alpha=-0.5
    ),
    "numerical_derivative_of_sigmoid": functools.partial(
        reference.numerical_derivative, reference.sigmoid
    ),
}
FUNCTIONS = pytest.mark.parametrize("function", ELEMENTWISE.values(), ids=ELEMENTWISE.keys())
FLOAT_DTYPES = pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])

# The inputs the issue names (±inf, ±1e308, ±1000, NaN) plus the other edges of the float range:
# signed zeros, the smallest subnormal, the largest float, and 40 (where textbook forms cancel).
EXTREMES = np.array(
    [np.inf, -np.inf, 1e308, -1e308, 1000.0, -1000.0, np.nan, 0.0, -0.0,
     5e-324, -5e-324, np.finfo(np.float64).max, -np.finfo(np.float64).max, 40.0, -40.0]
)  # fmt: skip


@contextmanager
def strict():
    """Any numpy warning or floating-point error (even underflow) becomes an exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            yield


def extremes_as(dtype) -> np.ndarray:
    with np.errstate(all="ignore"):  # 1e308 -> inf and 5e-324 -> 0 in float16/32: intended
        return EXTREMES.astype(dtype)


# --------------------------------------------------------------------------------------------
# Types and shapes
# --------------------------------------------------------------------------------------------


@FUNCTIONS
@pytest.mark.parametrize(
    "scalar",
    [0.5, 3, np.float64(0.5), np.float32(0.5), np.array(0.5), np.int64(2), True],
    ids=["python_float", "python_int", "np_float64", "np_float32", "0d_array", "np_int64", "bool"],
)
def test_scalar_input_gives_a_numpy_scalar(function, scalar):
    result = function(scalar)
    assert isinstance(result, np.floating) and not isinstance(result, np.ndarray)
    expected_dtype = np.float32 if np.asarray(scalar).dtype == np.float32 else np.float64
    assert result.dtype == expected_dtype


@FUNCTIONS
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (2, 3, 4), (3, 1, 5)])
def test_array_input_keeps_its_shape(function, shape):
    z = np.linspace(-3.0, 3.0, int(np.prod(shape))).reshape(shape)
    assert function(z).shape == shape


@FUNCTIONS
@FLOAT_DTYPES
def test_float_dtype_is_kept(function, dtype):
    z = np.linspace(-3.0, 3.0, 11, dtype=dtype)
    assert function(z).dtype == dtype
    assert function(dtype(0.25)).dtype == dtype


@FUNCTIONS
@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint16, np.bool_])
def test_integer_and_boolean_input_give_float64(function, dtype):
    z = np.array([0, 1, 1, 0], dtype=dtype)
    assert function(z).dtype == np.float64


@FUNCTIONS
def test_lists_are_accepted_like_arrays(function):
    np.testing.assert_array_equal(function([-1.0, 0.0, 2.0]), function(np.array([-1.0, 0.0, 2.0])))


@FUNCTIONS
def test_input_is_not_modified(function):
    z = np.random.default_rng(0).normal(0, 5, 1000)
    z[:4] = [np.nan, np.inf, -np.inf, -0.0]
    before = z.copy()
    z.flags.writeable = False  # any write attempt would raise
    function(z)
    np.testing.assert_array_equal(z, before)
    assert np.signbit(z[3])


@FUNCTIONS
def test_non_contiguous_input_gives_elementwise_results(function):
    z = np.random.default_rng(1).normal(0, 5, (40, 30))
    np.testing.assert_array_equal(function(z.T), function(z).T)
    np.testing.assert_array_equal(function(z[::3, 1::2]), function(z)[::3, 1::2])


@FUNCTIONS
def test_results_do_not_depend_on_block_boundaries(function):
    # Arrays are processed in blocks of _BLOCK elements: each element's result must be the same
    # whether it sits at a block edge, inside a block, or alone.
    z = np.random.default_rng(2).normal(0, 5, 2 * _BLOCK + 3)
    whole = function(z)
    for i in [0, 1, _BLOCK - 1, _BLOCK, _BLOCK + 1, 2 * _BLOCK - 1, 2 * _BLOCK, 2 * _BLOCK + 2]:
        np.testing.assert_array_equal(whole[i], function(z[i : i + 1])[0])


@FUNCTIONS
@pytest.mark.parametrize(
    "bad",
    [np.array(["a", "b"]), np.array([1 + 2j]), "0.5", {"z": 1}],
    ids=["strings", "complex", "str", "dict"],
)
def test_non_real_input_is_a_type_error_that_says_what_to_do(function, bad):
    with pytest.raises(TypeError, match=r"expects real numbers.*np\.asarray\(z, dtype=float\)"):
        function(bad)


# --------------------------------------------------------------------------------------------
# No warnings, NaN propagation
# --------------------------------------------------------------------------------------------


@FUNCTIONS
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
def test_no_warning_or_floating_point_error_for_extreme_inputs(function, dtype):
    z = extremes_as(dtype)
    with strict():
        function(z)
        for value in z:
            function(value)


@FUNCTIONS
@FLOAT_DTYPES
def test_nan_in_gives_nan_out(function, dtype):
    z = np.array([1.0, np.nan, -1.0], dtype=dtype)
    result = function(z)
    assert np.isnan(result[1]) and not np.isnan(result[[0, 2]]).any()


def test_from_activation_forms_outside_their_domain_overflow_quietly_to_minus_inf():
    # a = 1e308 is no sigmoid or tanh output, but the formula still applies: -1e616 -> -inf.
    with strict():
        assert reference.sigmoid_derivative_from_activation(1e308) == -np.inf
        assert reference.tanh_derivative_from_activation(-1e308) == -np.inf


# --------------------------------------------------------------------------------------------
# Values and conventions
# --------------------------------------------------------------------------------------------


def test_sigmoid_never_overflows_and_saturates_at_0_and_1():
    with strict():
        values = reference.sigmoid(np.array([-np.inf, -1e308, -700.0, 0.0, 700.0, 1e308, np.inf]))
    assert values[0] == values[1] == 0.0
    assert 0.0 < values[2] < 1e-300  # sigma(-700) = 9.86e-305: positive and correctly tiny
    assert values[3] == 0.5
    assert values[4] == values[5] == values[6] == 1.0


def test_sigmoid_derivative_at_40_keeps_full_accuracy_where_the_textbook_form_gives_0():
    a = reference.sigmoid(40.0)
    assert a * (1 - a) == 0.0  # the lecture's a(1 - a): a rounds to 1.0, everything cancels
    # sigma'(40) = e^-40 / (1 + e^-40)^2 = 4.248354255291589e-18 (mpmath, 30 digits)
    np.testing.assert_allclose(reference.sigmoid_derivative(40.0), 4.248354255291589e-18, 1e-15)


def test_tanh_derivative_at_20_keeps_full_accuracy_where_the_textbook_form_gives_0():
    assert 1 - np.tanh(20.0) ** 2 == 0.0  # tanh(20) rounds to 1.0
    # 1/cosh(20)^2 = 1.6993417021166355e-17 (mpmath, 30 digits)
    np.testing.assert_allclose(reference.tanh_derivative(20.0), 1.6993417021166355e-17, 1e-15)


@pytest.mark.parametrize(
    ("function", "z", "expected"),
    [
        (reference.sigmoid_derivative, 0.0, 0.25),
        (reference.sigmoid_derivative, np.inf, 0.0),
        (reference.sigmoid_derivative, -np.inf, 0.0),
        (reference.tanh_derivative, 0.0, 1.0),
        (reference.tanh_derivative, np.inf, 0.0),
        (reference.tanh_derivative, -1e308, 0.0),
        (reference.sigmoid_derivative_from_activation, 0.5, 0.25),
        (reference.sigmoid_derivative_from_activation, 1.0, 0.0),
        (reference.sigmoid_derivative_from_activation, 0.0, 0.0),
        (reference.tanh_derivative_from_activation, 0.0, 1.0),
        (reference.tanh_derivative_from_activation, 1.0, 0.0),
        (reference.tanh_derivative_from_activation, -1.0, 0.0),
        (reference.relu, -2.0, 0.0),
        (reference.relu, 3.5, 3.5),
        (reference.relu, np.inf, np.inf),
        (reference.relu, -np.inf, 0.0),
        (reference.leaky_relu, -2.0, -0.02),
        (reference.leaky_relu, 3.5, 3.5),
        (reference.leaky_relu, -np.inf, -np.inf),
    ],
)
def test_exact_values_at_landmarks(function, z, expected):
    assert function(z) == expected


def test_relu_derivative_at_zero_is_zero():
    assert reference.relu_derivative(0.0) == 0.0


def test_relu_derivative_at_minus_zero_is_plus_zero():
    # -0.0 counts as 0; the result is +0.0 so that it prints as 0.0, not -0.0.
    for dtype in (np.float16, np.float32, np.float64, np.longdouble):
        result = reference.relu_derivative(np.full(37, -0.0, dtype))  # 37: SIMD body and tail
        assert (result == 0).all() and not np.signbit(result).any()


def test_relu_derivative_is_one_for_every_positive_number_and_zero_for_every_other():
    tiny = np.finfo(np.float64).smallest_subnormal
    z = np.array([tiny, 1e-300, 0.5, 1.0, 1.5, 1e308, np.inf, -tiny, -0.5, -1.0, -1e308, -np.inf])
    expected = np.array([1.0] * 7 + [0.0] * 5)
    np.testing.assert_array_equal(reference.relu_derivative(z), expected)
    assert not np.signbit(reference.relu_derivative(z)).any()


def test_leaky_relu_derivative_at_zero_is_alpha():
    assert reference.leaky_relu_derivative(0.0) == 0.01
    assert reference.leaky_relu_derivative(-0.0, alpha=0.2) == 0.2


def test_plus_infinity_gives_slope_one_and_minus_infinity_the_left_slope():
    assert reference.relu_derivative(np.inf) == 1.0
    assert reference.relu_derivative(-np.inf) == 0.0
    assert reference.leaky_relu_derivative(np.inf, alpha=0.3) == 1.0
    assert reference.leaky_relu_derivative(-np.inf, alpha=0.3) == 0.3


@pytest.mark.parametrize(
    "alpha", [0.0, 1e-300, 0.01, 0.3, 0.99, 1.0, 1.5, 7.0, 1e300, -0.5, -3.0]
)  # 0 and 1: the ends of the fast path; 1e-300, 1e300: extremes; > 1 and < 0: the general path
@FLOAT_DTYPES
def test_leaky_relu_derivative_is_exactly_alpha_or_one(alpha, dtype):
    z = extremes_as(dtype)
    if abs(alpha) > float(np.finfo(dtype).max):  # alpha = 1e300 has no float16/float32 value
        with pytest.raises(ValueError, match="too large"):
            reference.leaky_relu_derivative(z, alpha=alpha)
        return
    with strict():
        result = reference.leaky_relu_derivative(z, alpha=alpha)
    with np.errstate(under="ignore"):
        alpha_in_dtype = dtype(alpha)  # 1e-300 rounds to 0 in float32: that is the exact value
    expected = np.where(z > 0, dtype(1), alpha_in_dtype)
    expected[np.isnan(z)] = np.nan
    np.testing.assert_array_equal(result, expected)
    assert result.dtype == dtype


def test_leaky_relu_with_alpha_zero_is_relu_even_at_minus_infinity():
    # 0 * -inf would be NaN; leaky_relu(-inf, alpha=0) must be relu(-inf) = 0.
    z = extremes_as(np.float64)
    with strict():
        np.testing.assert_array_equal(reference.leaky_relu(z, alpha=0.0), reference.relu(z))
        np.testing.assert_array_equal(
            reference.leaky_relu_derivative(z, alpha=0.0), reference.relu_derivative(z)
        )


@pytest.mark.parametrize("alpha", [0.01, 0.5, 1.0, 2.0, -0.5, -3.0])
def test_leaky_relu_is_alpha_z_for_negative_z_and_z_for_positive_z(alpha):
    z = np.array([-1e300, -3.0, -1e-310, 1e-310, 2.5, 1e300])
    expected = np.where(z > 0, z, alpha * z)
    with strict():
        np.testing.assert_array_equal(reference.leaky_relu(z, alpha=alpha), expected)


def test_leaky_relu_with_large_alpha_overflows_quietly_to_infinity():
    with strict():
        assert reference.leaky_relu(-1e308, alpha=10.0) == -np.inf
        assert reference.leaky_relu(1e308, alpha=10.0) == 1e308


# --------------------------------------------------------------------------------------------
# Errors for bad parameters
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", [reference.leaky_relu, reference.leaky_relu_derivative])
@pytest.mark.parametrize("alpha", [np.nan, np.inf, -np.inf, np.float32(np.nan)])
def test_non_finite_alpha_is_a_value_error_that_says_what_to_pass(function, alpha):
    with pytest.raises(ValueError, match=r"alpha must be a finite number .*e\.g\. 0\.01"):
        function(np.array([1.0, -1.0]), alpha=alpha)


@pytest.mark.parametrize("function", [reference.leaky_relu, reference.leaky_relu_derivative])
def test_alpha_too_large_for_the_input_dtype_is_a_value_error(function):
    with pytest.raises(ValueError, match=r"too large for float32 input.*float64"):
        function(np.ones(3, np.float32), alpha=1e300)


@pytest.mark.parametrize("function", [reference.leaky_relu, reference.leaky_relu_derivative])
@pytest.mark.parametrize("alpha", ["0.1", None, np.array([0.1, 0.2]), 1j])
def test_alpha_that_is_not_one_real_number_is_a_type_error(function, alpha):
    with pytest.raises(TypeError, match="alpha must be a single real number"):
        function(1.0, alpha=alpha)


# --------------------------------------------------------------------------------------------
# numerical_derivative
# --------------------------------------------------------------------------------------------


def test_numerical_derivative_of_sin_is_cos():
    z = np.linspace(-10, 10, 201)
    # Central difference with eps = 1e-5: truncation eps^2/6 ~ 2e-11, rounding 2^-53/eps ~ 1e-11.
    np.testing.assert_allclose(reference.numerical_derivative(np.sin, z), np.cos(z), atol=1e-9)


def test_numerical_derivative_of_float32_input_is_computed_in_float64():
    # In float32, z +- 1e-5 would round back to z for |z| >= 128 and the estimate would be 0.
    z = np.array([200.0, 300.0], np.float32)
    result = reference.numerical_derivative(lambda x: x**2, z)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, 2 * z, rtol=1e-6)  # float32 rounding of 400 and 600


def test_numerical_derivative_at_a_kink_averages_the_one_sided_slopes():
    assert reference.numerical_derivative(reference.relu, 0.0) == 0.5


def test_numerical_derivative_where_f_is_infinite_is_nan_without_warning():
    with strict():
        assert np.isnan(reference.numerical_derivative(reference.relu, np.inf))


def test_numerical_derivative_of_a_non_function_is_a_type_error():
    with pytest.raises(TypeError, match="f must be a function such as np.sin"):
        reference.numerical_derivative(np.array([1.0]), 0.0)


@pytest.mark.parametrize("eps", [0.0, -1e-5, np.nan, np.inf, "small", np.array([1e-5, 1e-6])])
def test_numerical_derivative_with_a_bad_step_is_a_value_error(eps):
    with pytest.raises(ValueError, match="eps must be a finite positive number such as 1e-5"):
        reference.numerical_derivative(np.sin, 0.0, eps=eps)


# --------------------------------------------------------------------------------------------
# Documentation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(reference.__all__))
def test_every_function_documents_its_formula_and_an_example(name):
    doc = getattr(reference, name).__doc__
    assert ".. math::" in doc and "Example:" in doc and ">>>" in doc
    assert "Args:" in doc and "Returns:" in doc


@pytest.mark.parametrize("name", ["relu_derivative", "leaky_relu_derivative"])
def test_kinked_derivatives_state_their_convention_at_zero(name):
    doc = " ".join(getattr(reference, name).__doc__.split())
    assert "does not exist at :math:`z = 0`" in doc and "PyTorch and TensorFlow" in doc
    assert "``-0.0`` counts as 0" in doc and r":math:`+\infty` gives 1" in doc


def test_package_exports_the_ten_functions_and_the_registry():
    expected = {
        "sigmoid", "sigmoid_derivative", "sigmoid_derivative_from_activation", "tanh_derivative",
        "tanh_derivative_from_activation", "relu", "relu_derivative", "leaky_relu",
        "leaky_relu_derivative", "numerical_derivative", "ACTIVATIONS", "Activation", "by_name",
    }  # fmt: skip
    assert set(package.__all__) == expected
    assert all(hasattr(package, name) for name in expected)
