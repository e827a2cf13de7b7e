"""Reference solutions for the activation-derivatives course module.

The course's single source of mathematical truth: the hidden tests grade learners against it,
the notebook's examples use it, and instructors read it as the model answer. Learners never
see this package.
"""

from solutions.activations import (
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
from solutions.registry import ACTIVATIONS, Activation, by_name

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
