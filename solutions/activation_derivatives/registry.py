"""One table of the course's activations: what plots, tests and hidden tests iterate over.

Each :class:`Activation` bundles a function with its derivative, the derivative written in terms
of the activation's output (where the lecture gives one), the points where the derivative does
not exist, and the range of slopes a subgradient may take there. Adding an activation to the
course is one more entry in :data:`ACTIVATIONS`.

Example:
    >>> import numpy as np
    >>> [entry.name for entry in ACTIVATIONS]
    ['sigmoid', 'tanh', 'relu', 'leaky_relu']
    >>> leaky = by_name("leaky_relu")
    >>> leaky.kinks, dict(leaky.params)
    ((0.0,), {'alpha': 0.01})
    >>> leaky.derivative(np.array([-1.0, 2.0]), **leaky.params)
    array([0.01, 1.  ])
    >>> leaky.subgradient(0.0, **leaky.params)
    (0.01, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from solutions.activation_derivatives.reference import (
    leaky_relu,
    leaky_relu_derivative,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    sigmoid_derivative_from_activation,
    tanh_derivative,
    tanh_derivative_from_activation,
)

__all__ = ["ACTIVATIONS", "Activation", "by_name"]


@dataclass(frozen=True)
class Activation:
    """An activation function and everything the course needs to know about its derivative.

    Attributes:
        name: the function's name in the notebook, e.g. ``"leaky_relu"``.
        function: the activation, ``function(z, **params)``.
        derivative: its derivative, ``derivative(z, **params)``, with the course's convention
            at the kinks.
        derivative_from_activation: the derivative as a function of ``a = function(z)``, or
            None where the derivative cannot be recovered from the output (ReLU: a = 0 for
            every z <= 0).
        kinks: the z values where the derivative does not exist (empty for smooth functions).
        params: default keyword parameters passed to the three callables, e.g. ``alpha``.
            Read-only, so that no caller can change another's defaults.
        subgradient: ``subgradient(z_kink, **params) -> (lo, hi)``, the closed interval of
            slopes that are valid subgradients at a kink; None for smooth functions.
        description: one line for plots and messages.
    """

    name: str
    function: Callable[..., np.ndarray]
    derivative: Callable[..., np.ndarray]
    derivative_from_activation: Callable[[np.ndarray], np.ndarray] | None
    kinks: tuple[float, ...] = ()
    params: Mapping[str, float] = field(default_factory=dict)
    subgradient: Callable[..., tuple[float, float]] | None = None
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        if bool(self.kinks) != (self.subgradient is not None):
            raise ValueError(
                f"Activation {self.name!r}: give a subgradient exactly when there are kinks "
                f"(kinks={self.kinks!r}, subgradient={self.subgradient!r})."
            )


def _relu_subgradient(z_kink: float) -> tuple[float, float]:
    """At 0, ReLU's one-sided slopes are 0 (left) and 1 (right): any slope between is valid."""
    return (0.0, 1.0)


def _leaky_relu_subgradient(z_kink: float, alpha: float = 0.01) -> tuple[float, float]:
    """At 0, the one-sided slopes are alpha (left) and 1 (right): any slope between is valid."""
    return (min(alpha, 1.0), max(alpha, 1.0))


ACTIVATIONS: tuple[Activation, ...] = (
    Activation(
        name="sigmoid",
        function=sigmoid,
        derivative=sigmoid_derivative,
        derivative_from_activation=sigmoid_derivative_from_activation,
        description="sigmoid: squashes z into (0, 1); its slope peaks at 1/4 for z = 0",
    ),
    Activation(
        name="tanh",
        function=np.tanh,
        derivative=tanh_derivative,
        derivative_from_activation=tanh_derivative_from_activation,
        description="tanh: squashes z into (-1, 1); its slope peaks at 1 for z = 0",
    ),
    Activation(
        name="relu",
        function=relu,
        derivative=relu_derivative,
        derivative_from_activation=None,
        kinks=(0.0,),
        subgradient=_relu_subgradient,
        description="ReLU: max(0, z); slope 0 for z < 0 and 1 for z > 0",
    ),
    Activation(
        name="leaky_relu",
        function=leaky_relu,
        derivative=leaky_relu_derivative,
        derivative_from_activation=None,
        kinks=(0.0,),
        params={"alpha": 0.01},
        subgradient=_leaky_relu_subgradient,
        description="Leaky ReLU: slope alpha for z < 0 and 1 for z > 0",
    ),
)

_BY_NAME = {entry.name: entry for entry in ACTIVATIONS}


def by_name(name: str) -> Activation:
    """Return the registry entry called ``name``.

    Raises:
        KeyError: if there is no such activation; the message lists the known names.

    Example:
        >>> by_name("tanh").derivative(0.0)
        np.float64(1.0)
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(_BY_NAME)
        raise KeyError(f"No activation named {name!r}; the registry has: {known}.") from None
