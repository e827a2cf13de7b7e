"""The third assignment, the activations of modern networks: softplus, ELU, SiLU, GELU, PReLU.

``reference`` holds the model answers (the twelve functions learners write), ``checks`` the
grade cells' checks, ``mistakes`` the catalogue of known wrong answers, ``manifest.toml`` the
assignment's title, place and time. Learners never see this package.
"""

from solutions.modern_activations.reference import (
    elu,
    elu_derivative,
    elu_derivative_from_activation,
    gelu,
    gelu_derivative,
    prelu,
    prelu_alpha_gradient,
    prelu_derivative,
    silu,
    silu_derivative,
    softplus,
    softplus_derivative,
)

__all__ = [
    "elu",
    "elu_derivative",
    "elu_derivative_from_activation",
    "gelu",
    "gelu_derivative",
    "prelu",
    "prelu_alpha_gradient",
    "prelu_derivative",
    "silu",
    "silu_derivative",
    "softplus",
    "softplus_derivative",
]
