"""The first assignment's ACTIVATIONS registry (solutions/activation_derivatives/registry.py):
every entry is consistent, so plots and tests can iterate over it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from solutions.activation_derivatives import reference
from solutions.activation_derivatives.registry import ACTIVATIONS, Activation, by_name

ENTRIES = pytest.mark.parametrize("entry", ACTIVATIONS, ids=[e.name for e in ACTIVATIONS])

# A grid over the range the notebook plots, with a step (0.01) that is no multiple of a power of
# 2, so it does not land exactly on a kink by accident; points within 1e-3 of a kink are
# dropped so that z - eps and z + eps (eps = 1e-5) are on the same side of it.
GRID = np.linspace(-6.0, 6.0, 1201)


def away_from_kinks(entry: Activation) -> np.ndarray:
    z = GRID
    for kink in entry.kinks:
        z = z[np.abs(z - kink) > 1e-3]
    return z


def test_registry_lists_the_four_activations_in_course_order():
    assert [entry.name for entry in ACTIVATIONS] == ["sigmoid", "tanh", "relu", "leaky_relu"]


def test_tanh_activation_is_numpys_tanh():
    assert by_name("tanh").function is np.tanh


@ENTRIES
def test_derivative_matches_central_differences_away_from_kinks(entry):
    z = away_from_kinks(entry)
    estimate = reference.numerical_derivative(lambda x: entry.function(x, **entry.params), z)
    # |z| <= 6: truncation error <= eps^2 max|f'''| / 6 ~ 3e-11 and rounding ~ u * 6 / eps
    # ~ 7e-11 (u = 2^-53, eps = 1e-5); 1e-8 leaves a wide margin and still catches any slip.
    np.testing.assert_allclose(entry.derivative(z, **entry.params), estimate, rtol=0, atol=1e-8)


@ENTRIES
def test_derivative_from_activation_agrees_with_the_derivative(entry):
    if entry.derivative_from_activation is None:
        assert entry.kinks, "only kinked activations may lack an a-form"
        return
    z = GRID
    a = entry.function(z, **entry.params)
    # The a-form inherits a's rounding (up to 2 ulp, < 2^-52 for |a| < 1) times its slope in a
    # (<= 2), plus its own few roundings: 2^-49 covers both with margin (see the properties file).
    np.testing.assert_allclose(
        entry.derivative_from_activation(a), entry.derivative(z, **entry.params), atol=2.0**-49
    )


@ENTRIES
def test_each_listed_kink_is_where_the_one_sided_slopes_differ(entry):
    h = 1e-6  # small next to the unit scale of the functions, large next to rounding (~1e-16)
    for kink in entry.kinks:
        f = entry.function
        left = (f(kink, **entry.params) - f(kink - h, **entry.params)) / h
        right = (f(kink + h, **entry.params) - f(kink, **entry.params)) / h
        assert abs(right - left) > 0.1, f"{entry.name}: no kink at {kink}"


@ENTRIES
def test_subgradient_spans_the_one_sided_slopes_and_contains_the_course_convention(entry):
    for kink in entry.kinks:
        lo, hi = entry.subgradient(kink, **entry.params)
        left = entry.derivative(np.nextafter(kink, -np.inf), **entry.params)
        right = entry.derivative(np.nextafter(kink, np.inf), **entry.params)
        assert (lo, hi) == (min(left, right), max(left, right))
        assert lo <= entry.derivative(kink, **entry.params) <= hi
        assert lo <= entry.derivative(-0.0, **entry.params) <= hi


def test_leaky_relu_subgradient_follows_alpha_on_either_side_of_one():
    subgradient = by_name("leaky_relu").subgradient
    assert subgradient(0.0, alpha=0.2) == (0.2, 1.0)
    assert subgradient(0.0, alpha=3.0) == (1.0, 3.0)


@ENTRIES
def test_smooth_entries_have_no_kinks_and_no_subgradient(entry):
    assert bool(entry.kinks) == (entry.subgradient is not None)


def test_an_entry_with_kinks_but_no_subgradient_is_refused():
    with pytest.raises(ValueError, match="give a subgradient exactly when there are kinks"):
        Activation("step", np.sign, np.zeros_like, None, kinks=(0.0,))


@ENTRIES
def test_entries_are_read_only(entry):
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.name = "other"
    with pytest.raises(TypeError):
        entry.params["alpha"] = 1.0  # would silently change every caller's default


@ENTRIES
def test_every_entry_has_a_one_line_description(entry):
    assert entry.description and "\n" not in entry.description


@ENTRIES
def test_by_name_finds_each_entry(entry):
    assert by_name(entry.name) is entry


def test_by_name_of_an_unknown_activation_lists_the_known_names():
    known = "sigmoid, tanh, relu, leaky_relu"
    with pytest.raises(KeyError, match=f"No activation named 'gelu'.*{known}"):
        by_name("gelu")
