"""Sleeps in every function, far past any timeout, ignoring the alarm meant to stop it."""
# ruff: noqa
import signal
import time

signal.signal(signal.SIGALRM, signal.SIG_IGN)


def sigmoid(z, *args, **kwargs):
    while True:
        try:
            time.sleep(3600)
        except BaseException:
            pass


sigmoid_derivative = sigmoid_derivative_from_activation = tanh_derivative = sigmoid
tanh_derivative_from_activation = relu = relu_derivative = leaky_relu = leaky_relu_derivative = sigmoid
numerical_derivative = sigmoid
