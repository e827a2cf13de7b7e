"""Property-based tests (hypothesis) of the first assignment's reference derivatives
(solutions/activation_derivatives/reference.py)."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from solutions.activation_derivatives import reference

# Modest example counts keep the suite fast on a shared 2-core machine (1-2 s a test); each
# example is an array of up to 20 values, so every property still sees about a thousand inputs.
PROPERTY = settings(max_examples=100, deadline=None)

U = 2.0**-53  # unit roundoff of float64


def float_arrays(low: float, high: float, **kwargs) -> st.SearchStrategy[np.ndarray]:
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, **kwargs)
    return arrays(np.float64, st.integers(1, 20), elements=elements)


# --------------------------------------------------------------------------------------------
# Agreement with central differences
# --------------------------------------------------------------------------------------------


# |z| <= 30: beyond it sigma' and tanh' are below 1e-12, under the rounding noise of the
# difference quotient, so the comparison would test nothing.
@PROPERTY
@given(z=float_arrays(-30, 30))
def test_smooth_derivatives_agree_with_central_differences(z):
    # With eps = 1e-5 the difference quotient is off by the truncation error
    # eps^2 max|f'''| / 6 <= 1e-10 * 2 / 6 (|tanh'''| <= 2, |sigma'''| <= 1/8) plus the rounding
    # error 2 u max|f| / (2 eps) ~ 1.1e-11: 1e-9 leaves a 10x margin.
    for function, derivative in [
        (reference.sigmoid, reference.sigmoid_derivative),
        (np.tanh, reference.tanh_derivative),
    ]:
        estimate = reference.numerical_derivative(function, z)
        np.testing.assert_allclose(derivative(z), estimate, rtol=0, atol=1e-9)


# |z| >= 1e-3 keeps z - eps and z + eps on the same side of the kink at 0 (eps = 1e-5).
# |z| <= 100 and |alpha| <= 10 bound the rounding error: z +- eps and f(z +- eps) are rounded
# to ulp(100) = 1.4e-14, times max(1, |alpha|) = 10, over 2 eps = 2e-5: 1.4e-8, so 1e-7.
@PROPERTY
@given(
    z=float_arrays(1e-3, 100),
    signs=arrays(np.bool_, 20),
    alpha=st.floats(-10, 10, allow_nan=False),
)
def test_relu_family_derivatives_agree_with_central_differences_away_from_the_kink(
    z, signs, alpha
):
    z = np.where(signs[: z.size], z, -z)
    relu_estimate = reference.numerical_derivative(reference.relu, z)
    np.testing.assert_allclose(reference.relu_derivative(z), relu_estimate, rtol=0, atol=1e-7)
    leaky_estimate = reference.numerical_derivative(
        lambda x: reference.leaky_relu(x, alpha=alpha), z
    )
    np.testing.assert_allclose(
        reference.leaky_relu_derivative(z, alpha=alpha), leaky_estimate, rtol=0, atol=1e-7
    )


# --------------------------------------------------------------------------------------------
# Identities of the sigmoid and tanh derivatives
# --------------------------------------------------------------------------------------------


@PROPERTY
@given(z=arrays(np.float64, st.integers(1, 20), elements=st.floats(allow_nan=False)))
def test_sigmoid_derivative_is_even(z):
    # Computed from |z|, so the symmetry holds bit for bit, including at +-inf and +-1e308.
    np.testing.assert_array_equal(reference.sigmoid_derivative(z), reference.sigmoid_derivative(-z))


# |z| <= 744: sigma'(744) = e^-744 = 1.0e-323, still at least the smallest positive float.
@PROPERTY
@given(z=float_arrays(-744, 744))
def test_sigmoid_derivative_is_positive_and_at_most_one_quarter(z):
    derivative = reference.sigmoid_derivative(z)
    assert (derivative > 0).all() and (derivative <= 0.25).all()


@PROPERTY
@given(z=arrays(np.float64, st.integers(1, 20), elements=st.floats(allow_nan=False)))
def test_sigmoid_derivative_is_never_negative_nor_above_one_quarter(z):
    # Beyond |z| = 745 the exact value is below the smallest float and rounds to 0.
    derivative = reference.sigmoid_derivative(z)
    assert (derivative >= 0).all() and (derivative <= 0.25).all()


# |z| <= 300 keeps 2z exact and both sides normal numbers (tanh'(300) ~ 1e-260), where ulps are
# relative: each side is within 4 ulp of the exact value (the _accuracy tests), and 4 sigma'
# is exact scaling, so they differ by at most 8 ulp <= 8 * 2^-52 relatively.
@PROPERTY
@given(z=float_arrays(-300, 300))
def test_tanh_derivative_is_four_sigmoid_derivatives_at_twice_z(z):
    np.testing.assert_allclose(
        reference.tanh_derivative(z), 4 * reference.sigmoid_derivative(2 * z), rtol=16 * U, atol=0
    )


# --------------------------------------------------------------------------------------------
# z-form against a-form
# --------------------------------------------------------------------------------------------


@PROPERTY
@given(z=arrays(np.float64, st.integers(1, 20), elements=st.floats(allow_nan=False)))
def test_sigmoid_derivative_equals_the_a_form_at_the_sigmoid_within_its_accuracy(z):
    # a = sigma(z) carries up to 2 ulp(a) <= 2u of rounding; a(1-a) has slope |1 - 2a| <= 1 in
    # a, so it passes on <= 2u, adds <= 2u/4 of its own rounding, and the z-form is within
    # 4 ulp(1/4) = u: |difference| < 4u = 2^-51 absolutely. (Relative accuracy is lost: at
    # z = 40 the a-form gives 0 where the z-form gives 4.2e-18; that is the point of the z-form.)
    a_form = reference.sigmoid_derivative_from_activation(reference.sigmoid(z))
    np.testing.assert_allclose(reference.sigmoid_derivative(z), a_form, rtol=0, atol=4 * U)


@PROPERTY
@given(z=arrays(np.float64, st.integers(1, 20), elements=st.floats(allow_nan=False)))
def test_tanh_derivative_equals_the_a_form_at_tanh_within_its_accuracy(z):
    # a = np.tanh(z) carries up to 2 ulp(a) <= 2u; (1-a)(1+a) has slope |2a| <= 2 in a: <= 4u;
    # its own rounding <= 3u; the z-form is within 4 ulp(1) = 4u: |difference| < 11u < 16u.
    a_form = reference.tanh_derivative_from_activation(np.tanh(z))
    np.testing.assert_allclose(reference.tanh_derivative(z), a_form, rtol=0, atol=16 * U)


# --------------------------------------------------------------------------------------------
# No warnings for any float
# --------------------------------------------------------------------------------------------


@PROPERTY
@given(
    z=arrays(np.float64, st.integers(1, 20), elements=st.floats()),
    alpha=st.floats(-1e3, 1e3, allow_nan=False),
)
def test_no_warning_for_any_float_input(z, alpha):
    # Every float64 (NaN and +-inf included) goes through every function without a numpy
    # warning or floating-point error, not even an underflow.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            reference.sigmoid(z)
            reference.sigmoid_derivative(z)
            reference.tanh_derivative(z)
            reference.relu(z)
            reference.relu_derivative(z)
            reference.leaky_relu(z, alpha=alpha)
            reference.leaky_relu_derivative(z, alpha=alpha)
