"""Accuracy of the first assignment's reference (solutions/activation_derivatives/reference.py)
against an arbitrary-precision reference (mpmath).

The target: within 4 ulp of the exact value over the whole float64 and float32 range.
The error is measured in ulps of the exact value's own binade, computed in mpmath, so the
reference is never rounded before the comparison.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from solutions.activation_derivatives import reference

MAX_ULP = 4  # the target
WORKING_BITS = 200  # far more than float64's 53: the reference's own error is negligible


def exact_sigmoid(z: mpmath.mpf) -> mpmath.mpf:
    return 1 / (1 + mpmath.exp(-z))


def exact_sigmoid_derivative(z: mpmath.mpf) -> mpmath.mpf:
    # sigma(z)(1 - sigma(z)) = 1 / (4 cosh^2(z/2)): no cancellation even at 200 bits, and a
    # different formula from the one under test.
    return mpmath.sech(z / 2) ** 2 / 4


def exact_tanh_derivative(z: mpmath.mpf) -> mpmath.mpf:
    return mpmath.sech(z) ** 2  # an independent formula from the one under test


EXACT = {
    "sigmoid": exact_sigmoid,
    "sigmoid_derivative": exact_sigmoid_derivative,
    "tanh_derivative": exact_tanh_derivative,
}

# |z| band where the exact value is a subnormal number of the dtype (so its ulp is fixed at the
# smallest subnormal and the relative accuracy drops): sigma'(z) ~ e^-|z|, tanh'(z) ~ 4 e^-2|z|.
SUBNORMAL_RESULT_BAND = {
    ("sigmoid", np.float64): (708.4, 745.2),
    ("sigmoid_derivative", np.float64): (708.4, 745.2),
    ("tanh_derivative", np.float64): (354.9, 373.3),
    ("sigmoid", np.float32): (87.3, 103.3),
    ("sigmoid_derivative", np.float32): (87.3, 103.3),
    ("tanh_derivative", np.float32): (44.3, 52.4),
}


def samples(name: str, dtype) -> dict[str, np.ndarray]:
    """Inputs to check, by the reason they are there."""
    rng = np.random.default_rng(20_260_101)
    info = np.finfo(dtype)
    exponents = np.linspace(np.log2(float(info.smallest_subnormal)), np.log2(float(info.max)), 400)
    magnitudes = np.append(np.exp2(exponents[:-1]), float(info.max))
    uint = np.uint64 if dtype == np.float64 else np.uint32
    random_bits = rng.integers(0, np.iinfo(uint).max, 600, dtype=uint, endpoint=True).view(dtype)
    low, high = SUBNORMAL_RESULT_BAND[(name, dtype)]
    band = rng.uniform(low, high, 150)
    with np.errstate(over="ignore", under="ignore"):
        chosen = {
            # every binade of the input range, from the smallest subnormal to the largest float
            "log-spaced |z|": np.concatenate([magnitudes, -magnitudes]),
            # uniformly random bit patterns: random exponents and mantissas, both signs
            "random bit patterns": random_bits[np.isfinite(random_bits)],
            # where the values are O(1) down to 1e-18 and textbook forms lose digits
            "uniform in [-40, 40]": rng.uniform(-40, 40, 600),
            # the results are subnormal here: exp underflows gradually
            "subnormal-result band": np.concatenate([band, -band]),
            "landmarks": np.array([0.0, -0.0, 1.0, -1.0, 40.0, -40.0]),
        }
        return {reason: z.astype(dtype) for reason, z in chosen.items()}


def ulp_error(computed: float, exact: mpmath.mpf, dtype) -> float:
    """|computed - exact| in units of the last place of ``exact`` in ``dtype``."""
    rounded = dtype(float(exact))  # nearest float (exact's binade, or the power of 2 above it)
    if abs(mpmath.mpf(float(rounded))) > abs(exact):
        rounded = np.nextafter(rounded, dtype(0))  # step down into exact's own binade
    ulp = mpmath.mpf(float(np.spacing(abs(rounded))))
    return float(abs(mpmath.mpf(float(computed)) - exact) / ulp)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(EXACT))
def test_within_4_ulp_of_the_exact_value_over_the_whole_range(name, dtype):
    function = getattr(reference, name)
    worst = {}
    with mpmath.workprec(WORKING_BITS):
        for reason, z in samples(name, dtype).items():
            computed = function(z)
            assert computed.dtype == dtype
            errors = [
                ulp_error(c, EXACT[name](mpmath.mpf(float(zi))), dtype)
                for zi, c in zip(z, computed, strict=True)
            ]
            i = int(np.argmax(errors))
            worst[reason] = (errors[i], z[i])
    failures = {r: w for r, w in worst.items() if w[0] > MAX_ULP}
    assert not failures, f"{name} ({dtype.__name__}): ulp error, input: {failures}"


@pytest.mark.parametrize(
    ("name", "a_values", "exact", "max_ulp"),
    [
        # a(1-a): two roundings (1-a is even exact for a >= 1/2), each off by at most 2^-53
        # relatively, and a relative error of n 2^-53 is less than n ulp: < 2 ulp.
        (
            "sigmoid_derivative_from_activation",
            np.concatenate([np.linspace(0, 1, 801), np.geomspace(1e-300, 0.5, 400),
                            1 - np.geomspace(2**-53, 0.5, 400)]),
            lambda a: a * (1 - a),
            2,
        ),
        # (1-a)(1+a): three roundings: < 3 ulp.
        (
            "tanh_derivative_from_activation",
            np.concatenate([np.linspace(-1, 1, 801), np.geomspace(1e-300, 0.5, 400),
                            1 - np.geomspace(2**-53, 0.5, 400),
                            -(1 - np.geomspace(2**-53, 0.5, 400))]),
            lambda a: 1 - a * a,
            3,
        ),
    ],
)  # fmt: skip
def test_from_activation_forms_are_within_rounding_of_the_formula_at_the_given_a(
    name, a_values, exact, max_ulp
):
    # These forms cannot undo the rounding already in a; what they can do is not add to it.
    # a near 1 (and -1) is sampled densely because that is where 1 - a^2 would cancel.
    function = getattr(reference, name)
    computed = function(a_values)
    with mpmath.workprec(WORKING_BITS):
        errors = [
            ulp_error(c, exact(mpmath.mpf(float(a))), np.float64)
            for a, c in zip(a_values, computed, strict=True)
        ]
    i = int(np.argmax(errors))
    assert errors[i] <= max_ulp, f"{name}({a_values[i]!r}) is {errors[i]:.2f} ulp off"
