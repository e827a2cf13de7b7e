r"""The activations of modern networks and their derivatives: the third assignment's reference.

softplus, ELU, SiLU (Swish), GELU and PReLU, each with its slope; ELU's slope also from its
output, and PReLU's derivative with respect to its learned parameter alpha.

Every function follows the same contract:

- It accepts a Python scalar, a numpy scalar, or a 0-d or n-d array, and returns a numpy scalar
  for scalar input and an array of the same shape otherwise.
- float16, float32 and float64 input keep their dtype; integer and boolean input give float64.
  Smaller floats are computed in float64 and rounded once, so float32 results are as accurate as
  float32 allows.
- It never modifies its input and never emits a numpy ``RuntimeWarning``, whatever the input
  (``±inf``, ``±1000``, ``±1e308``, ``-0.0``). NaN in gives NaN out.
- float64 results are within 2e-13 relative of the exact values (measured against mpmath on a
  grid of z from -40 to 40 and at ±745, ±1000): within 2 ulp for softplus, its slope and ELU,
  a few hundred ulp where an erfc argument or a sum near a zero of SiLU's or GELU's slope
  rounds. The grade cells judge to 1e-9 relative, far above either.
- ``alpha`` is a single finite real number; anything else raises a ``TypeError`` or
  ``ValueError`` that says what to pass.
- At a kink (ELU with alpha != 1, PReLU), the slope at z = 0 is the slope from the left, as the
  course does for ReLU and Leaky ReLU.

numpy has no ``erf``; the normal CDF comes from :func:`math.erfc`, applied element by element.
erfc rather than erf because :math:`1 + \operatorname{erf}(x)` cancels for negative x, while
:math:`\operatorname{erfc}(-x)` keeps full relative accuracy there.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

# The twelve functions learners write (erf, below, is the set-up cell's, not theirs).
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

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

# exp(-|z|) is 0 in float64 beyond |z| = 745.2, and z * exp(-z**2 / 2) beyond |z| = 38.6, so
# clipping z to these bounds before it multiplies such a factor changes no result and keeps
# inf * 0 (NaN) out of the products.
_SIGMOID_TAIL = 800.0
_GAUSS_TAIL = 40.0

_erfc = np.vectorize(math.erfc, otypes=[np.float64])
_erf_of_each = np.vectorize(math.erf, otypes=[np.float64])


def erf(x: ArrayLike):
    """The error function, element by element, exactly as the notebook's set-up cell gives it
    to learners: ``math.erf`` applied to every element, a number for a number and an array of
    the same shape for an array.

    It is not one of the learner's functions (``__all__`` lists those): it is here so that code
    written with the notebook's names, such as the catalogue of known mistakes, finds it.

    Example:
        >>> erf(0.0)
        np.float64(0.0)
        >>> erf(np.array([-np.inf, np.inf]))
        array([-1.,  1.])
    """
    values = _erf_of_each(x)
    return values[()] if values.ndim == 0 else values


# --------------------------------------------------------------------------------------------
# The contract: input kinds, dtypes, alpha
# --------------------------------------------------------------------------------------------


def _as_float_array(z: ArrayLike, name: str) -> np.ndarray:
    """``z`` as a float array (integers and booleans become float64); floats are not copied."""
    x = np.asarray(z)
    if x.dtype.kind == "f":
        return x
    if x.dtype.kind in "biu":
        return x.astype(np.float64)
    if x.dtype.kind == "O":
        try:
            return x.astype(np.float64)
        except (TypeError, ValueError):
            pass
    raise TypeError(
        f"{name} expects real numbers (a float, an int or a numpy array of them), got "
        f"{type(z).__name__} with dtype {x.dtype}. Convert it with np.asarray(z, dtype=float)."
    )


def _work(x: np.ndarray) -> np.ndarray:
    """``x`` in float64 (or wider), where every computation happens; a new array."""
    return x.astype(np.promote_types(x.dtype, np.float64))


def _done(out: np.ndarray, like: np.ndarray):
    """``out`` rounded once to the dtype of ``like``; a numpy scalar for 0-d input.

    Rounding to float16 or float32 may underflow to 0 or overflow to ±inf: that is the correctly
    rounded result, so those two events are silenced here.
    """
    with np.errstate(under="ignore", over="ignore"):
        out = out.astype(like.dtype, copy=False)
    return out[()] if out.ndim == 0 else out


def _alpha(alpha, name: str) -> float:
    """``alpha`` as a Python float, or a clear error when it is not one finite real number."""
    value = np.asarray(alpha)
    if value.ndim != 0 or value.dtype.kind not in "biuf":
        raise TypeError(f"{name}: alpha must be a single real number such as 0.25, got {alpha!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name}: alpha must be a finite number such as 0.25, got {alpha!r}.")
    return value


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """sigma(x) = 1 / (1 + e^{-x}), from e^{-|x|} only, which never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def _sigmoid_slope(x: np.ndarray) -> np.ndarray:
    """sigma'(x) = e^{-|x|} / (1 + e^{-|x|})^2: no cancellation, no overflow."""
    e = np.exp(-np.abs(x))
    return e / (1.0 + e) ** 2


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x) = erfc(-x / sqrt 2) / 2, accurate in the left tail too."""
    return 0.5 * _erfc(-x * _SQRT_HALF)


def _normal_pdf_times_z(x: np.ndarray) -> np.ndarray:
    """x * phi(x), 0 (not NaN) at x = ±inf."""
    c = np.clip(x, -_GAUSS_TAIL, _GAUSS_TAIL)
    return c * np.exp(-0.5 * c * c) * _INV_SQRT_2PI


# --------------------------------------------------------------------------------------------
# softplus
# --------------------------------------------------------------------------------------------


def softplus(z: ArrayLike) -> np.ndarray:
    r"""Softplus, a smooth ReLU, computed so that it never overflows.

    .. math::

        \operatorname{softplus}(z) = \log(1 + e^{z}) = \max(z, 0) + \log\bigl(1 + e^{-|z|}\bigr)

    The right-hand form only exponentiates :math:`-|z| \le 0`: ``softplus(1000.0)`` is 1000.0
    and ``softplus(-1000.0)`` is 0.0, without a warning, where :math:`\log(1 + e^{z})`
    overflows to ``inf`` from :math:`z \approx 710`. It is smooth, so there is no convention
    to choose. :math:`\operatorname{softplus}(+\infty) = +\infty`,
    :math:`\operatorname{softplus}(-\infty) = 0`.

    Args:
        z: input values (scalar or array).

    Returns:
        :math:`\log(1 + e^{z})`, same shape as ``z``; float dtypes are kept, integers give
        float64.

    Example:
        >>> import numpy as np
        >>> softplus(0.0)
        np.float64(0.6931471805599453)
        >>> softplus(np.array([-1000.0, 1000.0, np.inf]))
        array([   0., 1000.,   inf])
    """
    x = _as_float_array(z, "softplus")
    w = _work(x)
    with np.errstate(under="ignore"):
        out = np.maximum(w, 0.0) + np.log1p(np.exp(-np.abs(w)))
    return _done(out, x)


def softplus_derivative(z: ArrayLike) -> np.ndarray:
    r"""Slope of softplus, which is the logistic sigmoid, computed so that it never overflows.

    .. math::

        \operatorname{softplus}'(z) = \frac{e^{z}}{1 + e^{z}} = \frac{1}{1 + e^{-z}} = \sigma(z)
            = \begin{cases} \frac{1}{1 + e^{-|z|}} & z \ge 0 \\
                            \frac{e^{-|z|}}{1 + e^{-|z|}} & z < 0 \end{cases}

    The case form only exponentiates :math:`-|z|`, so ``softplus_derivative(1000.0)`` is 1.0
    where :math:`e^{z} / (1 + e^{z})` gives ``inf / inf = nan``. The slope runs from 0 to 1,
    and is 1/2 at :math:`z = 0`; softplus is smooth, so there is no convention to choose.

    Args:
        z: input values (scalar or array).

    Returns:
        :math:`\sigma(z)`, same shape as ``z``; float dtypes are kept, integers give float64.

    Example:
        >>> import numpy as np
        >>> softplus_derivative(0.0)
        np.float64(0.5)
        >>> softplus_derivative(np.array([-np.inf, -1000.0, 1000.0, np.inf]))
        array([0., 0., 1., 1.])
    """
    x = _as_float_array(z, "softplus_derivative")
    with np.errstate(under="ignore"):
        out = _sigmoid(_work(x))
    return _done(out, x)


# --------------------------------------------------------------------------------------------
# ELU
# --------------------------------------------------------------------------------------------


def elu(z: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    r"""Exponential linear unit: z on the right, a curve that levels off at -alpha on the left.

    .. math::

        \operatorname{ELU}_\alpha(z) = \begin{cases} z & z > 0 \\
                                                      \alpha\,(e^{z} - 1) & z \le 0 \end{cases}

    :math:`e^{z} - 1` is computed with ``np.expm1``, which keeps its digits for small
    :math:`|z|`, and only for :math:`z \le 0`, so nothing overflows. Both branches give 0 at
    :math:`z = 0`; ``elu(-0.0)`` is ``-0.0``, :math:`\operatorname{ELU}(-\infty) = -\alpha`.

    Args:
        z: input values (scalar or array).
        alpha: the level the left branch tends to is :math:`-\alpha`; a finite real number
            (default 1.0).

    Returns:
        The activation, same shape as ``z``; float dtypes are kept, integers give float64.

    Raises:
        TypeError: if ``alpha`` is not a single real number.
        ValueError: if ``alpha`` is NaN or infinite.

    Example:
        >>> import numpy as np
        >>> elu(np.array([-np.inf, -1.0, 0.0, 2.0]))
        array([-1.        , -0.63212056,  0.        ,  2.        ])
        >>> elu(-np.inf, alpha=0.5)
        np.float64(-0.5)
    """
    x = _as_float_array(z, "elu")
    a = _alpha(alpha, "elu")
    w = _work(x)
    with np.errstate(under="ignore", over="ignore"):  # alpha * (e^z - 1) beyond range: ±inf
        out = np.where(w > 0, w, a * np.expm1(np.minimum(w, 0.0)))
    return _done(out, x)


def elu_derivative(z: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    r"""Slope of ELU, with the slope from the left, alpha, at the kink z = 0.

    .. math::

        \operatorname{ELU}_\alpha'(z) = \begin{cases} 1 & z > 0 \\
                                                       \alpha\,e^{z} & z \le 0 \end{cases}

    The slope from the left at 0 is :math:`\alpha e^0 = \alpha` and from the right 1: for
    :math:`\alpha = 1` ELU is smooth there, for any other alpha it has a kink, and this
    function returns :math:`\alpha` at :math:`z = 0` and ``-0.0``, as the course does for
    Leaky ReLU. :math:`\operatorname{ELU}'(-\infty) = 0`, :math:`\operatorname{ELU}'(+\infty) = 1`.

    Args:
        z: input values (scalar or array).
        alpha: the ELU's alpha, a finite real number (default 1.0).

    Returns:
        The slopes, same shape as ``z``; float dtypes are kept, integers give float64.

    Raises:
        TypeError: if ``alpha`` is not a single real number.
        ValueError: if ``alpha`` is NaN or infinite.

    Example:
        >>> import numpy as np
        >>> elu_derivative(0.0, alpha=0.5)
        np.float64(0.5)
        >>> elu_derivative(np.array([-np.inf, -1.0, 1e-300, np.inf]))
        array([0.        , 0.36787944, 1.        , 1.        ])
    """
    x = _as_float_array(z, "elu_derivative")
    a = _alpha(alpha, "elu_derivative")
    w = _work(x)
    with np.errstate(under="ignore", over="ignore"):
        out = np.where(w > 0, 1.0, a * np.exp(np.minimum(w, 0.0)))
    return _done(out, x)


def elu_derivative_from_activation(a: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    r"""Slope of ELU written in terms of its output :math:`a = \operatorname{ELU}_\alpha(z)`.

    .. math::

        \operatorname{ELU}_\alpha'(z) = \begin{cases} 1 & a > 0 \\
                                                       a + \alpha & a \le 0 \end{cases}

    For :math:`z \le 0`, :math:`a = \alpha e^{z} - \alpha`, so :math:`\alpha e^{z} = a + \alpha`.
    For :math:`\alpha > 0`, a has the sign of z, so the cases split where the z-form's do, and
    :math:`a = 0` gives :math:`\alpha`, the course's slope at the kink. Like the sigmoid's
    :math:`a(1 - a)`, the form loses the tiny slopes far to the left: for :math:`z \lesssim -37`,
    :math:`a` has rounded to :math:`-\alpha` and the result is 0.

    Args:
        a: ELU outputs (scalar or array), expected in :math:`(-\alpha, \infty)`.
        alpha: the ELU's alpha, a finite real number greater than 0 (default 1.0).

    Returns:
        The slopes, same shape as ``a``; float dtypes are kept, integers give float64.

    Raises:
        TypeError: if ``alpha`` is not a single real number.
        ValueError: if ``alpha`` is NaN or infinite.

    Example:
        >>> import numpy as np
        >>> elu_derivative_from_activation(np.array([-0.75, 0.0, 2.0]))
        array([0.25, 1.  , 1.  ])
        >>> elu_derivative_from_activation(0.0, alpha=2.0)
        np.float64(2.0)
    """
    x = _as_float_array(a, "elu_derivative_from_activation")
    al = _alpha(alpha, "elu_derivative_from_activation")
    w = _work(x)
    with np.errstate(over="ignore"):  # a + alpha beyond the float range: ±inf
        out = np.where(w > 0, 1.0, w + al)
    return _done(out, x)


# --------------------------------------------------------------------------------------------
# SiLU (Swish with beta = 1)
# --------------------------------------------------------------------------------------------


def silu(z: ArrayLike) -> np.ndarray:
    r"""SiLU, or Swish with :math:`\beta = 1`: z weighted by its own sigmoid.

    .. math::

        \operatorname{SiLU}(z) = z\,\sigma(z) = \frac{z}{1 + e^{-z}}

    With a sigmoid that never overflows, ``silu(1000.0)`` is 1000.0 and ``silu(-1000.0)`` is
    ``-0.0`` (the exact value, about :math:`-10^{-431}`, is below the smallest float).
    :math:`\operatorname{SiLU}(-\infty) = 0` (where :math:`-\infty \cdot 0` would be NaN) and
    :math:`\operatorname{SiLU}(+\infty) = +\infty`. It dips below zero for negative z, to
    about -0.2785 at :math:`z \approx -1.2785`. It is smooth: no convention to choose.

    Args:
        z: input values (scalar or array).

    Returns:
        :math:`z\,\sigma(z)`, same shape as ``z``; float dtypes are kept, integers give float64.

    Example:
        >>> import numpy as np
        >>> silu(0.0)
        np.float64(0.0)
        >>> silu(np.array([-1000.0, 1000.0]))
        array([  -0., 1000.])
    """
    x = _as_float_array(z, "silu")
    w = _work(x)
    with np.errstate(under="ignore", invalid="ignore"):  # -inf * 0 at -inf, replaced below
        out = w * _sigmoid(w)
    out = np.where(w == -np.inf, -0.0, out)
    return _done(out, x)


def silu_derivative(z: ArrayLike) -> np.ndarray:
    r"""Slope of SiLU, by the product rule, accurate for every z.

    .. math::

        \operatorname{SiLU}'(z) = \sigma(z) + z\,\sigma'(z)
                                = \sigma(z)\,\bigl(1 + z\,(1 - \sigma(z))\bigr)

    :math:`\sigma'` is taken from :math:`e^{-|z|}`, so neither factor overflows, and z is
    clipped to :math:`\pm 800` where it multiplies :math:`\sigma'(z)` (which is 0 there), so that
    :math:`\operatorname{SiLU}'(\pm\infty)` is 1 and 0 rather than NaN. The slope is 1/2 at 0,
    0 at the bottom of the dip (:math:`z \approx -1.2785`), slightly negative to the left of it,
    and peaks at about 1.0998 for :math:`z \approx 2.3994`. No kink, no convention.

    Args:
        z: input values (scalar or array).

    Returns:
        The slopes, same shape as ``z``; float dtypes are kept, integers give float64.

    Example:
        >>> import numpy as np
        >>> silu_derivative(0.0)
        np.float64(0.5)
        >>> silu_derivative(np.array([-1000.0, 1000.0, np.inf]))
        array([0., 1., 1.])
    """
    x = _as_float_array(z, "silu_derivative")
    w = _work(x)
    with np.errstate(under="ignore"):
        out = _sigmoid(w) + np.clip(w, -_SIGMOID_TAIL, _SIGMOID_TAIL) * _sigmoid_slope(w)
    return _done(out, x)


# --------------------------------------------------------------------------------------------
# GELU (exact, not the tanh approximation)
# --------------------------------------------------------------------------------------------


def gelu(z: ArrayLike) -> np.ndarray:
    r"""The exact GELU: z weighted by the standard normal CDF.

    .. math::

        \operatorname{GELU}(z) = z\,\Phi(z), \qquad
        \Phi(z) = \tfrac12\Bigl(1 + \operatorname{erf}\bigl(z/\sqrt2\bigr)\Bigr)
                = \tfrac12 \operatorname{erfc}\bigl(-z/\sqrt2\bigr)

    This is the exact GELU (PyTorch's ``approximate='none'``), not the tanh approximation
    :math:`\tfrac12 z\bigl(1 + \tanh(\sqrt{2/\pi}\,(z + 0.044715 z^3))\bigr)`, which differs
    from it by up to :math:`4.7 \times 10^{-4}` (near :math:`z = \pm 2.7`). The erfc form keeps
    the tiny values of the left tail that :math:`1 + \operatorname{erf}` rounds away.
    :math:`\operatorname{GELU}(-\infty) = 0`, :math:`\operatorname{GELU}(+\infty) = +\infty`;
    the dip below zero reaches about -0.1700 at :math:`z \approx -0.7518`. Smooth: no convention.

    Args:
        z: input values (scalar or array).

    Returns:
        :math:`z\,\Phi(z)`, same shape as ``z``; float dtypes are kept, integers give float64.

    Example:
        >>> import numpy as np
        >>> round(float(gelu(1.0)), 12)
        0.841344746069
        >>> gelu(np.array([-1000.0, 0.0, 1000.0]))
        array([  -0.,    0., 1000.])
    """
    x = _as_float_array(z, "gelu")
    w = _work(x)
    with np.errstate(under="ignore", invalid="ignore"):  # -inf * 0 at -inf, replaced below
        out = w * _normal_cdf(w)
    out = np.where(w == -np.inf, -0.0, out)
    return _done(out, x)


def gelu_derivative(z: ArrayLike) -> np.ndarray:
    r"""Slope of the exact GELU, by the product rule.

    .. math::

        \operatorname{GELU}'(z) = \Phi(z) + z\,\varphi(z), \qquad
        \varphi(z) = \Phi'(z) = \frac{e^{-z^2/2}}{\sqrt{2\pi}}

    z is clipped to :math:`\pm 40` where it multiplies :math:`\varphi(z)`, which is 0 in float64
    beyond :math:`|z| \approx 38.6`, so :math:`\operatorname{GELU}'(\pm\infty)` is 1 and 0 rather
    than NaN. The slope is 1/2 at 0, 0 at the bottom of the dip (:math:`z \approx -0.7518`), and
    peaks at about 1.1289 for :math:`z = \sqrt2`. No kink, no convention.

    Args:
        z: input values (scalar or array).

    Returns:
        The slopes, same shape as ``z``; float dtypes are kept, integers give float64.

    Example:
        >>> import numpy as np
        >>> gelu_derivative(0.0)
        np.float64(0.5)
        >>> gelu_derivative(np.array([-np.inf, -1000.0, 1000.0, np.inf]))
        array([0., 0., 1., 1.])
    """
    x = _as_float_array(z, "gelu_derivative")
    w = _work(x)
    with np.errstate(under="ignore"):
        out = _normal_cdf(w) + _normal_pdf_times_z(w)
    return _done(out, x)


# --------------------------------------------------------------------------------------------
# PReLU: a Leaky ReLU whose alpha is learned
# --------------------------------------------------------------------------------------------


def prelu(z: ArrayLike, alpha: float) -> np.ndarray:
    r"""Parametric ReLU: Leaky ReLU whose slope alpha on the left is a learned parameter.

    .. math::

        \operatorname{PReLU}(z; \alpha) = \begin{cases} z & z > 0 \\
                                                         \alpha z & z \le 0 \end{cases}

    ``alpha = 0`` gives ReLU (and 0, not NaN, at :math:`z = -\infty`), ``alpha = 0.01`` the
    usual Leaky ReLU. Both branches give 0 at :math:`z = 0`.

    Args:
        z: input values (scalar or array).
        alpha: the slope for :math:`z \le 0`, a finite real number (learned; PyTorch starts it
            at 0.25).

    Returns:
        The activation, same shape as ``z``; float dtypes are kept, integers give float64.

    Raises:
        TypeError: if ``alpha`` is not a single real number.
        ValueError: if ``alpha`` is NaN or infinite.

    Example:
        >>> import numpy as np
        >>> prelu(np.array([-2.0, 0.0, 3.0]), 0.25)
        array([-0.5,  0. ,  3. ])
        >>> prelu(-np.inf, 0.0)
        np.float64(0.0)
    """
    x = _as_float_array(z, "prelu")
    a = _alpha(alpha, "prelu")
    w = _work(x)
    with np.errstate(under="ignore", over="ignore"):  # alpha * z beyond range: 0 or ±inf
        left = np.zeros_like(w) if a == 0 else a * w  # 0 * -inf would be NaN
    out = np.where(w > 0, w, left)
    out = np.where(np.isnan(w), w, out)
    return _done(out, x)


def prelu_derivative(z: ArrayLike, alpha: float) -> np.ndarray:
    r"""Slope of PReLU with respect to z, with the slope from the left, alpha, at the kink.

    .. math::

        \frac{\partial}{\partial z} \operatorname{PReLU}(z; \alpha)
            = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases}

    The derivative does not exist at :math:`z = 0` (unless :math:`\alpha = 1`); this function
    returns :math:`\alpha` there and at ``-0.0``, the slope from the left, as the course does for
    Leaky ReLU.

    Args:
        z: input values (scalar or array).
        alpha: the PReLU's alpha, a finite real number.

    Returns:
        ``alpha`` or 1.0 (NaN for NaN), same shape as ``z``; float dtypes are kept, integers
        give float64.

    Raises:
        TypeError: if ``alpha`` is not a single real number.
        ValueError: if ``alpha`` is NaN or infinite.

    Example:
        >>> import numpy as np
        >>> prelu_derivative(np.array([-np.inf, -0.0, 0.0, 2.0]), 0.25)
        array([0.25, 0.25, 0.25, 1.  ])
    """
    x = _as_float_array(z, "prelu_derivative")
    a = _alpha(alpha, "prelu_derivative")
    w = _work(x)
    out = np.where(w > 0, 1.0, a)
    out = np.where(np.isnan(w), w, out)
    return _done(out, x)


def prelu_alpha_gradient(z: ArrayLike, alpha: float) -> np.ndarray:
    r"""Derivative of PReLU with respect to its parameter alpha, element by element.

    .. math::

        \frac{\partial}{\partial \alpha} \operatorname{PReLU}(z; \alpha)
            = \begin{cases} 0 & z > 0 \\ z & z \le 0 \end{cases}

    alpha only appears in the left branch, :math:`\alpha z`, whose derivative with respect to
    :math:`\alpha` is z. The result does not depend on alpha (PReLU is linear in it); alpha is
    still checked, so a call with a wrong alpha fails as the other PReLU functions do. Both
    branches give 0 at :math:`z = 0`: no convention is needed. Backpropagation sums these,
    times the upstream gradient, over every unit that shares the alpha.

    Args:
        z: input values (scalar or array).
        alpha: the PReLU's alpha, a finite real number.

    Returns:
        0 or z, same shape as ``z``; float dtypes are kept, integers give float64.

    Raises:
        TypeError: if ``alpha`` is not a single real number.
        ValueError: if ``alpha`` is NaN or infinite.

    Example:
        >>> import numpy as np
        >>> prelu_alpha_gradient(np.array([-np.inf, -2.0, 0.0, 3.0]), 0.25)
        array([-inf,  -2.,   0.,   0.])
    """
    x = _as_float_array(z, "prelu_alpha_gradient")
    _alpha(alpha, "prelu_alpha_gradient")
    w = _work(x)
    out = np.where(w > 0, 0.0, w)
    return _done(out, x)
