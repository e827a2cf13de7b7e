r"""Activation functions and their derivatives, written to be exact and fast.

Every function here follows the same contract:

- It accepts a Python scalar, a numpy scalar, or a 0-d or n-d array, and returns a numpy scalar
  for scalar input and an array of the same shape otherwise.
- float16, float32 and float64 input keep their dtype; integer and boolean input give float64.
- It never modifies its input and never emits a numpy ``RuntimeWarning``, whatever the input
  (including ``±inf``, ``±1e308`` and NaN). NaN in gives NaN out.
- The smooth derivatives are within a few ulp of the exact value over the whole float range:
  they are written in terms of :math:`e^{-|z|}`, which never overflows, instead of the textbook
  forms :math:`a(1-a)` and :math:`1-\tanh^2 z`, which cancel to 0 for large :math:`|z|`.

The arrays are processed in blocks that fit the CPU cache, so a chain of in-place numpy
operations costs little more than the one expensive operation in it (``np.exp``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
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

# Elements per block: a float64 block is 512 KiB, so the output block stays in the L2 cache
# between the in-place operations on it, and numpy's per-call overhead (about 1 us, 6 us for
# np.clip) is spread over enough elements not to matter. Tuned with benchmarks/bench_solutions.py.
_BLOCK = 1 << 16

# tanh'(z) = 4 e^{-2|z|} / (1 + e^{-2|z|})^2 is 0 in every numpy float format (even long double,
# whose smallest subnormal is about e^{-11400}) once |z| > 6000. Clipping |z| to this value
# before doubling it keeps 2|z| finite for |z| up to the largest float without changing results.
_TANH_ABS_Z_CLIP = 1e4

Kernel = Callable[[np.ndarray, np.ndarray], None]


def _as_float_array(z: ArrayLike, name: str) -> np.ndarray:
    """Return ``z`` as a float array (ints and bools become float64); floats are not copied."""
    x = np.asarray(z)
    kind = x.dtype.kind
    if kind == "f":
        return x
    if kind in "biu":
        return x.astype(np.float64)
    if kind == "O":
        try:
            return x.astype(np.float64)
        except (TypeError, ValueError):
            pass
    raise TypeError(
        f"{name} expects real numbers (a float, an int or a numpy array of them), "
        f"got {type(z).__name__} with dtype {x.dtype}. "
        "Convert the input with np.asarray(z, dtype=float) first."
    )


def _alpha_for(x: np.ndarray, alpha: float, name: str) -> np.floating:
    """Return ``alpha`` rounded to the dtype of ``x``, or raise a clear error if it is unusable."""
    a = np.asarray(alpha)
    if a.ndim != 0 or a.dtype.kind not in "biuf":
        raise TypeError(
            f"{name}: alpha must be a single real number such as 0.01, got {alpha!r}."
        )
    if not math.isfinite(float(a)):
        raise ValueError(
            f"{name}: alpha must be a finite number (the slope for z < 0, e.g. 0.01), "
            f"got {alpha!r}."
        )
    with np.errstate(over="ignore", under="ignore"):
        rounded = x.dtype.type(a)
    if not np.isfinite(rounded):
        raise ValueError(
            f"{name}: alpha={alpha!r} is too large for {x.dtype} input; "
            "use a smaller alpha or pass z as float64."
        )
    return rounded


def _work_dtype(dtype: np.dtype) -> np.dtype:
    """The smooth functions compute float16/32 in float64 and round once at the end."""
    return np.promote_types(dtype, np.float64)


def _elementwise(kernel: Kernel, z: ArrayLike, name: str, *, may_overflow: bool = False):
    """Apply ``kernel(x_block, out_block)`` block by block; return a scalar for scalar input.

    Underflow is the only floating-point event the kernels allow (``exp`` of a large negative
    number rounds to a subnormal or 0, which is the correctly rounded result), so only it is
    silenced; any overflow or invalid operation would still surface, and the tests check that
    none happens. Kernels whose result can truly lie beyond the float range (a polynomial of an
    unbounded input) pass ``may_overflow=True``: ±inf is then the correctly rounded answer.
    """
    x = _as_float_array(z, name)
    out = np.empty(x.shape, dtype=x.dtype)
    flat_x = x.reshape(-1)  # a view, or a copy for non-contiguous input; never written to
    flat_out = out.reshape(-1)
    with np.errstate(under="ignore", over="ignore" if may_overflow else None):
        for start in range(0, flat_x.size, _BLOCK):
            stop = start + _BLOCK
            kernel(flat_x[start:stop], flat_out[start:stop])
    return out[()] if out.ndim == 0 else out


def _exp_minus_abs(x: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Return ``exp(-scale * |x|)`` as a new array in the working dtype (never overflows)."""
    e = np.abs(x, dtype=_work_dtype(x.dtype))
    if scale != 1.0:
        np.minimum(e, _TANH_ABS_Z_CLIP, out=e)
    np.multiply(e, -scale, out=e)  # exact: scale is a power of 2
    np.exp(e, out=e)
    return e


def _one_plus(e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``d = fl(1 + e)`` and its exact rounding error ``r = (1 + e) - d``, for 0 <= e <= 1.

    Fast2Sum: since 1 >= e, ``d - 1`` is exact and ``r = e - (d - 1)`` is the exact error.
    """
    d = np.add(e, 1.0)
    r = np.subtract(d, 1.0)
    np.subtract(e, r, out=r)
    return d, r


def _divide_by_one_plus_to_the(
    power: int, numerator: np.ndarray, d: np.ndarray, r: np.ndarray, out: np.ndarray
) -> None:
    """Write ``numerator / (1 + e)**power`` into ``out``, given ``d, r = _one_plus(e)``.

    Dividing by ``d`` ``power`` times and then multiplying by
    ``(1 + r/d)**-power ~= 1 - power*r/d`` (|r/d| < 2**-53, so the next term is below 2**-106)
    removes the rounding error of ``d``, which squaring would otherwise double: without it the
    float64 error of e/(1+e)**2 reaches 3.5 ulp, with it under 2. Overwrites ``numerator``
    and ``r``; the last operation rounds into ``out``'s dtype.
    """
    for _ in range(power):
        np.divide(numerator, d, out=numerator)
    np.multiply(r, power, out=r)
    np.divide(r, d, out=r)
    np.multiply(r, numerator, out=r)
    np.subtract(numerator, r, out=out, casting="same_kind")


# --------------------------------------------------------------------------------------------
# Sigmoid
# --------------------------------------------------------------------------------------------


def _sigmoid_kernel(x: np.ndarray, out: np.ndarray) -> None:
    e = _exp_minus_abs(x)
    d, r = _one_plus(e)
    np.copyto(e, 1.0, where=x >= 0)  # numerator: 1 for z >= 0, e^{-|z|} for z < 0 (and NaN)
    _divide_by_one_plus_to_the(1, e, d, r, out)


def sigmoid(z: ArrayLike) -> np.ndarray:
    r"""Logistic sigmoid, computed so that it never overflows.

    .. math::

        \sigma(z) = \frac{1}{1 + e^{-z}}
                  = \begin{cases} \frac{1}{1 + e^{-|z|}} & z \ge 0 \\
                                  \frac{e^{-|z|}}{1 + e^{-|z|}} & z < 0 \end{cases}

    The second form only ever exponentiates :math:`-|z| \le 0`, so it cannot overflow:
    ``sigmoid(-1000.0)`` is 0.0 (:math:`e^{-1000}` is below the smallest float) without a
    warning. :math:`\sigma(+\infty) = 1` and :math:`\sigma(-\infty) = 0`.

    Args:
        z: input values (scalar or array).

    Returns:
        :math:`\sigma(z)`, same shape as ``z``; float dtypes are kept, integers give float64.

    Example:
        >>> import numpy as np
        >>> sigmoid(0.0)
        np.float64(0.5)
        >>> sigmoid(np.array([-np.inf, -800.0, 800.0, np.inf]))
        array([0., 0., 1., 1.])
    """
    return _elementwise(_sigmoid_kernel, z, "sigmoid")


def _sigmoid_derivative_kernel(x: np.ndarray, out: np.ndarray) -> None:
    e = _exp_minus_abs(x)
    d, r = _one_plus(e)
    _divide_by_one_plus_to_the(2, e, d, r, out)


def sigmoid_derivative(z: ArrayLike) -> np.ndarray:
    r"""Derivative of the sigmoid, accurate to a few ulp for every z.

    .. math::

        \sigma'(z) = \sigma(z)\,\bigl(1 - \sigma(z)\bigr)
                   = \frac{e^{-|z|}}{\bigl(1 + e^{-|z|}\bigr)^2}

    The right-hand form has no cancellation: at :math:`z = 40` it gives
    :math:`4.25 \times 10^{-18}` where :math:`a(1-a)` with :math:`a = \sigma(40)` gives 0.
    It is even, peaks at :math:`\sigma'(0) = 1/4`, and :math:`\sigma'(\pm\infty) = 0`.
    The sigmoid has no kink, so there is no convention to choose.

    Args:
        z: input values (scalar or array).

    Returns:
        :math:`\sigma'(z)`, same shape as ``z``; float dtypes are kept, integers give float64.

    Example:
        >>> import numpy as np
        >>> sigmoid_derivative(0.0)
        np.float64(0.25)
        >>> float(sigmoid_derivative(40.0))
        4.248354255291589e-18
        >>> sigmoid_derivative(np.array([-np.inf, np.inf]))
        array([0., 0.])
    """
    return _elementwise(_sigmoid_derivative_kernel, z, "sigmoid_derivative")


def _sigmoid_derivative_from_activation_kernel(a: np.ndarray, out: np.ndarray) -> None:
    np.subtract(1.0, a, out=out)
    np.multiply(out, a, out=out)


def sigmoid_derivative_from_activation(a: ArrayLike) -> np.ndarray:
    r"""Derivative of the sigmoid written in terms of its output :math:`a = \sigma(z)`.

    .. math::

        \sigma'(z) = a\,(1 - a)

    This is the form backpropagation uses when it has kept the activations. It is exact to
    about one ulp *of its input a*, but ``a`` itself has rounded: for :math:`z \gtrsim 37`,
    :math:`a` is exactly 1.0 and the result is 0. Use :func:`sigmoid_derivative` when ``z`` is
    at hand. ``a`` is expected in :math:`[0, 1]`; the formula is applied as is to any value
    (giving ``-inf`` where the result is beyond the float range).

    Args:
        a: sigmoid outputs (scalar or array).

    Returns:
        :math:`a(1-a)`, same shape as ``a``; float dtypes are kept, integers give float64.

    Example:
        >>> import numpy as np
        >>> sigmoid_derivative_from_activation(0.5)
        np.float64(0.25)
        >>> sigmoid_derivative_from_activation(np.array([0.0, 1.0]))
        array([0., 0.])
    """
    return _elementwise(
        _sigmoid_derivative_from_activation_kernel,
        a,
        "sigmoid_derivative_from_activation",
        may_overflow=True,
    )


# --------------------------------------------------------------------------------------------
# tanh (np.tanh is the activation itself)
# --------------------------------------------------------------------------------------------


def _tanh_derivative_kernel(x: np.ndarray, out: np.ndarray) -> None:
    e = _exp_minus_abs(x, scale=2.0)
    d, r = _one_plus(e)
    np.multiply(e, 4.0, out=e)  # exact: a power of 2
    _divide_by_one_plus_to_the(2, e, d, r, out)


def tanh_derivative(z: ArrayLike) -> np.ndarray:
    r"""Derivative of tanh, accurate to a few ulp for every z.

    .. math::

        \tanh'(z) = 1 - \tanh^2 z = \frac{1}{\cosh^2 z}
                  = \frac{4\,e^{-2|z|}}{\bigl(1 + e^{-2|z|}\bigr)^2} = 4\,\sigma'(2z)

    The right-hand form has no cancellation and never overflows, while :math:`1 - \tanh^2 z`
    is exactly 0 from :math:`|z| \approx 19` on. :math:`\tanh'(0) = 1` and
    :math:`\tanh'(\pm\infty) = 0`. tanh has no kink, so there is no convention to choose.

    Args:
        z: input values (scalar or array).

    Returns:
        :math:`\tanh'(z)`, same shape as ``z``; float dtypes are kept, integers give float64.

    Example:
        >>> import numpy as np
        >>> tanh_derivative(0.0)
        np.float64(1.0)
        >>> float(tanh_derivative(20.0))
        1.6993417021166355e-17
        >>> tanh_derivative(np.array([-np.inf, 1e308]))
        array([0., 0.])
    """
    return _elementwise(_tanh_derivative_kernel, z, "tanh_derivative")


def _tanh_derivative_from_activation_kernel(a: np.ndarray, out: np.ndarray) -> None:
    np.subtract(1.0, a, out=out)
    np.multiply(out, np.add(a, 1.0), out=out)


def tanh_derivative_from_activation(a: ArrayLike) -> np.ndarray:
    r"""Derivative of tanh written in terms of its output :math:`a = \tanh z`.

    .. math::

        \tanh'(z) = 1 - a^2 = (1 - a)(1 + a)

    The factored form keeps full accuracy near :math:`a = \pm 1`, where :math:`1 - a^2` loses
    digits. As with :func:`sigmoid_derivative_from_activation`, ``a`` itself has rounded to
    :math:`\pm 1` once :math:`|z| \gtrsim 19`, giving 0; use :func:`tanh_derivative` when ``z``
    is at hand. ``a`` is expected in :math:`[-1, 1]`; the formula is applied as is to any value
    (giving ``-inf`` where the result is beyond the float range).

    Args:
        a: tanh outputs (scalar or array).

    Returns:
        :math:`(1-a)(1+a)`, same shape as ``a``; float dtypes are kept, integers give float64.

    Example:
        >>> import numpy as np
        >>> tanh_derivative_from_activation(0.0)
        np.float64(1.0)
        >>> tanh_derivative_from_activation(np.array([-1.0, 0.5, 1.0]))
        array([0.  , 0.75, 0.  ])
    """
    return _elementwise(
        _tanh_derivative_from_activation_kernel,
        a,
        "tanh_derivative_from_activation",
        may_overflow=True,
    )


# --------------------------------------------------------------------------------------------
# ReLU and Leaky ReLU
# --------------------------------------------------------------------------------------------


def _step_kernel(alpha: np.floating) -> Kernel:
    """Kernel for the step function that is ``alpha`` for z <= 0, 1 for z > 0 and NaN for NaN.

    Two cheap SIMD passes, the second over a block still in cache, and no comparison masks
    (``np.heaviside`` does the same job about six times slower):

    - 0 < alpha <= 1: ``ceil(z)`` is >= 1 for every z > 0 (subnormals and +inf included), <= 0
      for z <= 0 and NaN for NaN, so clipping it to ``[alpha, 1]`` gives exactly alpha or 1.
    - alpha = 0: ``clip(z, 0, 1)`` is in (0, 1] for z > 0 and ±0 for z <= 0, so its ``ceil`` is
      1 or ±0; adding +0.0 turns -0.0 into +0.0 (numpy leaves the sign of max(-0.0, 0) open).
    - any other alpha: the alpha = 0 step, then alpha written where it is 0.
    """
    if 0 < alpha <= 1:

        def leaky_kernel(x: np.ndarray, out: np.ndarray) -> None:
            np.ceil(x, out=out)
            np.clip(out, alpha, 1, out=out)

        return leaky_kernel

    def relu_kernel(x: np.ndarray, out: np.ndarray) -> None:
        np.clip(x, 0, 1, out=out)
        np.ceil(out, out=out)
        np.add(out, 0, out=out)

    if alpha == 0:
        return relu_kernel

    def general_kernel(x: np.ndarray, out: np.ndarray) -> None:
        relu_kernel(x, out)
        np.copyto(out, alpha, where=out == 0)

    return general_kernel


def _relu_kernel(x: np.ndarray, out: np.ndarray) -> None:
    np.maximum(x, 0, out=out)
    np.add(out, 0, out=out)  # max(-0.0, 0) may be -0.0 (numpy leaves the tie open): make it +0.0


def relu(z: ArrayLike) -> np.ndarray:
    r"""Rectified linear unit.

    .. math::

        \operatorname{ReLU}(z) = \max(0, z)

    ``relu(-0.0)`` is ``0.0``, ``relu(-inf)`` is 0 and NaN stays NaN.

    Args:
        z: input values (scalar or array).

    Returns:
        :math:`\max(0, z)`, same shape as ``z``; float dtypes are kept, integers give float64.

    Example:
        >>> import numpy as np
        >>> relu(np.array([-2.0, 0.0, 3.0]))
        array([0., 0., 3.])
    """
    return _elementwise(_relu_kernel, z, "relu")


def relu_derivative(z: ArrayLike) -> np.ndarray:
    r"""Derivative of ReLU, with the value 0 at the kink.

    .. math::

        \operatorname{ReLU}'(z) = \begin{cases} 0 & z \le 0 \\ 1 & z > 0 \end{cases}

    The derivative does not exist at :math:`z = 0`; any value in :math:`[0, 1]` is a
    subgradient there. This function uses 0, the left slope, as PyTorch and TensorFlow do.
    ``-0.0`` counts as 0, :math:`+\infty` gives 1, :math:`-\infty` gives 0 and NaN gives NaN.

    Args:
        z: input values (scalar or array).

    Returns:
        0.0 or 1.0 (NaN for NaN), same shape as ``z``; float dtypes are kept, integers give
        float64.

    Example:
        >>> import numpy as np
        >>> relu_derivative(0.0)
        np.float64(0.0)
        >>> relu_derivative(np.array([-np.inf, -0.0, 1e-300, np.inf]))
        array([0., 0., 1., 1.])
    """
    return _elementwise(_step_kernel(0), z, "relu_derivative")


def leaky_relu(z: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    r"""Leaky ReLU: slope ``alpha`` for negative z, slope 1 for positive z.

    .. math::

        \operatorname{LeakyReLU}_\alpha(z) = \begin{cases} \alpha z & z \le 0 \\
                                                         z & z > 0 \end{cases}
                                           = \max(\alpha z, z) \quad (0 \le \alpha \le 1)

    Args:
        z: input values (scalar or array).
        alpha: the slope for :math:`z < 0`, a finite real number (default 0.01). Values outside
            :math:`[0, 1]` are allowed and follow the case formula.

    Returns:
        The activation, same shape as ``z``; float dtypes are kept, integers give float64.

    Raises:
        ValueError: if ``alpha`` is NaN or infinite.

    Example:
        >>> import numpy as np
        >>> leaky_relu(np.array([-2.0, 0.0, 3.0]))
        array([-0.02,  0.  ,  3.  ])
    """
    x = _as_float_array(z, "leaky_relu")
    alpha = _alpha_for(x, alpha, "leaky_relu")
    if alpha == 0:
        return _elementwise(_relu_kernel, x, "leaky_relu")  # avoids 0 * -inf = NaN
    if 0 < alpha <= 1:

        def kernel(x: np.ndarray, out: np.ndarray) -> None:
            np.multiply(x, alpha, out=out)
            np.maximum(x, out, out=out)

    else:

        def kernel(x: np.ndarray, out: np.ndarray) -> None:
            np.multiply(x, alpha, out=out)
            np.copyto(out, x, where=x > 0)

    # With |alpha| > 1, alpha * z can overflow to ±inf: the correctly rounded result for z <= 0,
    # and discarded for z > 0.
    return _elementwise(kernel, x, "leaky_relu", may_overflow=abs(alpha) > 1)


def leaky_relu_derivative(z: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    r"""Derivative of Leaky ReLU, with the value ``alpha`` at the kink.

    .. math::

        \operatorname{LeakyReLU}_\alpha'(z) = \begin{cases} \alpha & z \le 0 \\
                                                          1 & z > 0 \end{cases}

    The derivative does not exist at :math:`z = 0`; any value between :math:`\alpha` and 1 is
    a subgradient there. This function uses :math:`\alpha`, the left slope, as PyTorch and
    TensorFlow do. ``-0.0`` counts as 0, :math:`+\infty` gives 1, :math:`-\infty` gives
    ``alpha`` and NaN gives NaN. The results are exactly ``alpha`` (rounded to the input's
    dtype) and 1.

    Args:
        z: input values (scalar or array).
        alpha: the slope for :math:`z < 0`, a finite real number (default 0.01).

    Returns:
        ``alpha`` or 1.0 (NaN for NaN), same shape as ``z``; float dtypes are kept, integers
        give float64.

    Raises:
        ValueError: if ``alpha`` is NaN or infinite.

    Example:
        >>> import numpy as np
        >>> leaky_relu_derivative(0.0)
        np.float64(0.01)
        >>> leaky_relu_derivative(np.array([-np.inf, -3.0, 2.0]), alpha=0.2)
        array([0.2, 0.2, 1. ])
    """
    x = _as_float_array(z, "leaky_relu_derivative")
    kernel = _step_kernel(_alpha_for(x, alpha, "leaky_relu_derivative"))
    return _elementwise(kernel, x, "leaky_relu_derivative")


# --------------------------------------------------------------------------------------------
# Numerical check
# --------------------------------------------------------------------------------------------


def numerical_derivative(
    f: Callable[[np.ndarray], ArrayLike], z: ArrayLike, eps: float = 1e-5
) -> np.ndarray:
    r"""Central-difference estimate of :math:`f'(z)`, for every element of ``z`` at once.

    .. math::

        f'(z) \approx \frac{f(z + \varepsilon) - f(z - \varepsilon)}{2\varepsilon}

    The error is :math:`O(\varepsilon^2)` from truncation plus about
    :math:`u\,|f(z)|/\varepsilon` from rounding (:math:`u = 2^{-53}`), so with the default
    :math:`\varepsilon = 10^{-5}` it agrees with smooth derivatives to about 1e-10. ``f`` is
    evaluated in float64 (or wider), whatever the dtype of ``z``, and the result is returned in
    the dtype of ``z``. At a kink the estimate is the average of the two one-sided slopes, not
    a derivative. Where :math:`f(z \pm \varepsilon)` are both infinite the estimate is NaN.

    Args:
        f: a vectorised function of one array argument, e.g. :func:`sigmoid`.
        z: points at which to estimate the derivative (scalar or array).
        eps: the step, a finite positive number.

    Returns:
        The estimates, same shape as ``z``; float dtypes are kept, integers give float64.

    Raises:
        TypeError: if ``f`` is not callable.
        ValueError: if ``eps`` is not finite and positive.

    Example:
        >>> import numpy as np
        >>> round(float(numerical_derivative(np.sin, 0.0)), 9)
        1.0
        >>> numerical_derivative(relu, np.array([-1.0, 0.0, 1.0]))
        array([0. , 0.5, 1. ])
    """
    if not callable(f):
        raise TypeError(
            f"numerical_derivative: f must be a function such as np.sin, got {type(f).__name__}."
        )
    step = np.asarray(eps)
    if step.ndim != 0 or step.dtype.kind not in "biuf" or not (0 < float(step) < math.inf):
        raise ValueError(
            f"numerical_derivative: eps must be a finite positive number such as 1e-5, got {eps!r}."
        )
    step = float(step)
    x = _as_float_array(z, "numerical_derivative")
    xw = x.astype(_work_dtype(x.dtype))
    upper = np.asarray(f(xw + step), dtype=xw.dtype)
    lower = np.asarray(f(xw - step), dtype=xw.dtype)
    # inf - inf is NaN (no slope can be read off); a difference beyond the float range is inf.
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        estimate = ((upper - lower) / (2.0 * step)).astype(x.dtype)
    return estimate[()] if estimate.ndim == 0 else estimate
