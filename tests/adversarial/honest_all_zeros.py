"""Honest but lazy: every function returns zeros of the right shape (the score bound)."""
# ruff: noqa
import numpy as np


def _zeros(z):
    return np.zeros_like(np.asarray(z, dtype=float))[()]


def sigmoid(z):
    return _zeros(z)


sigmoid_derivative = sigmoid_derivative_from_activation = tanh_derivative = sigmoid
tanh_derivative_from_activation = relu = relu_derivative = sigmoid


def leaky_relu(z, alpha=0.01):
    return _zeros(z)


leaky_relu_derivative = leaky_relu


def numerical_derivative(f, z, eps=1e-5):
    return _zeros(z)
