"""The second assignment's reference (solutions/backprop_one_hidden_layer/reference.py): right,
stable and side-effect free.

The hidden tests judge learners against these functions, so they are proven here on their own:
against central differences, at the cost's edges, and for each hidden activation.
"""

import numpy as np
import pytest

from solutions.backprop_one_hidden_layer import reference as ref

ACTIVATIONS = ref.ACTIVATIONS
GRADIENT_CHECK_MAX = 1e-7  # the bound for a right backward_propagation


def network(seed=0, n_x=2, n_h=3, n_y=1, m=6):
    """Weights near 1 (so the gradients stand well above the rounding of a central difference),
    nonzero biases, and random 0/1 labels."""
    rng = np.random.default_rng(seed)
    parameters = {
        "W1": rng.normal(size=(n_h, n_x)),
        "b1": rng.normal(size=(n_h, 1)),
        "W2": rng.normal(size=(n_y, n_h)),
        "b2": rng.normal(size=(n_y, 1)),
    }
    X = rng.normal(size=(n_x, m))
    Y = (rng.uniform(size=(n_y, m)) < 0.5) * 1.0
    return parameters, X, Y


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("seed", range(5))
def test_backward_propagation_passes_the_gradient_check_for_every_activation(activation, seed):
    parameters, X, Y = network(seed)
    assert ref.gradient_check(parameters, X, Y, activation) < GRADIENT_CHECK_MAX


def test_the_gradient_check_catches_a_planted_bug_in_backward_propagation(monkeypatch):
    # tanh's slope written with Z1 instead of A1: a mistake the a-form invites.
    right = ref._hidden_slope

    def wrong(Z1, A1, activation):
        return 1.0 - Z1**2 if activation == "tanh" else right(Z1, A1, activation)

    parameters, X, Y = network()
    assert ref.gradient_check(parameters, X, Y) < GRADIENT_CHECK_MAX
    monkeypatch.setattr(ref, "_hidden_slope", wrong)
    assert ref.gradient_check(parameters, X, Y) > 1e-3  # the lesson's "something is wrong"


def test_gradient_check_leaves_the_parameters_unchanged():
    parameters, X, Y = network()
    before = {key: value.copy() for key, value in parameters.items()}
    ref.gradient_check(parameters, X, Y)
    assert all(np.array_equal(parameters[key], before[key]) for key in before)


@pytest.mark.parametrize("sizes", [(2, 4, 1), (3, 1, 2), (1, 7, 1)])
def test_shapes_with_biases_as_column_vectors(sizes):
    n_x, n_h, n_y = sizes
    parameters = ref.initialize_parameters(n_x, n_h, n_y)
    assert {k: v.shape for k, v in parameters.items()} == {
        "W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}  # fmt: skip
    X, Y = np.ones((n_x, 5)), np.ones((n_y, 5))
    A2, cache = ref.forward_propagation(X, parameters)
    assert A2.shape == (n_y, 5) and cache["A2"] is A2
    assert {k: v.shape for k, v in cache.items()} == {
        "Z1": (n_h, 5), "A1": (n_h, 5), "Z2": (n_y, 5), "A2": (n_y, 5)}  # fmt: skip
    grads = ref.backward_propagation(parameters, cache, X, Y)
    assert {k: v.shape for k, v in grads.items()} == {
        "d" + k: v.shape for k, v in parameters.items()}  # fmt: skip


def test_initialisation_is_small_random_seeded_and_breaks_symmetry():
    p, same, other = (ref.initialize_parameters(3, 5, 1, seed) for seed in (0, 0, 1))
    assert np.array_equal(p["W1"], same["W1"]) and not np.array_equal(p["W1"], other["W1"])
    assert len({tuple(row) for row in p["W1"]}) == 5  # every hidden unit starts differently
    assert np.abs(p["W1"]).max() < 0.1  # 0.01 * standard normal: 10 sigma
    assert not p["b1"].any() and not p["b2"].any()


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_propagation_applies_the_named_hidden_activation(activation):
    parameters, X, _ = network()
    _, cache = ref.forward_propagation(X, parameters, activation)
    Z1 = cache["Z1"]
    expected = {
        "tanh": np.tanh(Z1),
        "sigmoid": 1 / (1 + np.exp(-Z1)),
        "relu": np.maximum(Z1, 0),
        "leaky_relu": np.where(Z1 > 0, Z1, 0.01 * Z1),
    }[activation]
    np.testing.assert_allclose(cache["A1"], expected, rtol=1e-14, atol=1e-16)  # a few ulp
    np.testing.assert_allclose(cache["A2"], 1 / (1 + np.exp(-cache["Z2"])), rtol=1e-14)


def test_forward_propagation_is_quiet_and_exact_when_the_sigmoid_saturates():
    parameters, _, _ = network()
    X = np.array([[1e3, -1e3], [-1e3, 1e3]])
    with np.errstate(all="raise"):  # no overflow anywhere
        A2, _ = ref.forward_propagation(X, {k: 10 * v for k, v in parameters.items()}, "relu")
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-_["Z2"]))  # the textbook form: exp overflows to inf
    assert np.abs(_["Z2"]).max() > 1000  # far out in both tails
    np.testing.assert_allclose(A2, expected, rtol=1e-14, atol=0)


def test_cost_is_finite_at_zero_and_one():
    with np.errstate(all="raise"):
        right = ref.compute_cost(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]]))
        wrong = ref.compute_cost(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    assert 0.0 <= right < 1e-14  # -log(1 - 1e-15)
    # 34.5, from the clip alone (1 - (1 - 1e-15) rounds to 9.99e-16, hence 1e-4, not exact)
    assert wrong == pytest.approx(-np.log(1e-15), rel=1e-4)


def test_cost_of_a_coin_flip_is_log_two():
    assert ref.compute_cost(np.full((1, 8), 0.5), np.array([[0, 1] * 4])) == pytest.approx(
        np.log(2), rel=1e-15
    )


def test_relu_and_leaky_relu_use_the_courses_slope_at_zero():
    # b1 = 0 and an all-zero example: every hidden unit has z = 0 exactly there.
    parameters, X, Y = network()
    parameters["b1"] = np.zeros_like(parameters["b1"])
    X, Y = np.zeros((X.shape[0], 1)), Y[:, :1]
    for activation, slope in (("relu", 0.0), ("leaky_relu", 0.01)):
        _, cache = ref.forward_propagation(X, parameters, activation)
        assert np.all(cache["Z1"] == 0)
        grads = ref.backward_propagation(parameters, cache, X, Y, activation)
        dZ1 = parameters["W2"].T @ (cache["A2"] - Y) * slope  # m = 1: db1 is dZ1
        np.testing.assert_array_equal(grads["db1"], dZ1)


def test_update_parameters_returns_new_arrays_and_keeps_its_input():
    parameters, _, _ = network()
    grads = {"d" + k: np.ones_like(v) for k, v in parameters.items()}
    before = {k: v.copy() for k, v in parameters.items()}
    new = ref.update_parameters(parameters, grads, 0.5)
    for key in parameters:
        assert np.array_equal(parameters[key], before[key])
        np.testing.assert_array_equal(new[key], before[key] - 0.5)
        assert new[key] is not parameters[key]


def test_nn_model_separates_the_moons_with_tanh():
    X, Y = ref.make_moons()
    parameters, costs = ref.nn_model(X, Y, 4)
    assert len(costs) == 5000 and costs[0] == pytest.approx(np.log(2), abs=1e-3)
    assert np.all(np.diff(costs) <= 1e-12)  # never goes up here
    assert np.mean(ref.predict(parameters, X) == Y) > 0.95  # measured: 0.965


def test_make_moons_is_seeded_and_balanced():
    X, Y = ref.make_moons()
    again, _ = ref.make_moons()
    assert X.shape == (2, 400) and Y.shape == (1, 400) and Y.sum() == 200
    assert np.array_equal(X, again)
