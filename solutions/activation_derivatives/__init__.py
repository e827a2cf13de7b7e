"""The first assignment, ``activation_derivatives``: the slopes of sigmoid, tanh, ReLU and Leaky
ReLU, and a central-difference derivative to check them.

``reference`` holds the model answers (the hidden tests grade learners against them),
``registry`` the one table of the activations that plots and tests iterate over, ``checks`` the
grade cells' checks, ``mistakes`` the catalogue of known mistakes, and ``manifest.toml`` the
title, order and time that the course's tools show.
"""

from solutions.activation_derivatives.reference import (
    leaky_relu,
    leaky_relu_derivative,
    numerical_derivative,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    sigmoid_derivative_from_activation,
    tanh_derivative,
    tanh_derivative_from_activation,
)
from solutions.activation_derivatives.registry import ACTIVATIONS, Activation, by_name

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "by_name",
    "leaky_relu",
    "leaky_relu_derivative",
    "numerical_derivative",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "sigmoid_derivative_from_activation",
    "tanh_derivative",
    "tanh_derivative_from_activation",
]
