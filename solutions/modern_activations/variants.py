"""Other right answers to the third assignment: ``HONEST[name] = (what it is, {function: body})``.

Each must get full marks wherever a learner types it (the conformance suite grades every one,
and the demo shows them). The functions not named keep the model answer. The bodies use only
what the notebook gives: numpy as ``np``, ``math``, the set-up cell's ``erf`` and the learner's
other functions.
"""

HONEST = {
    # numpy's own stable log(e^x + e^y): softplus(z) = log(e^0 + e^z), and the sigmoid is
    # e^(-softplus(-z)). No case split, no overflow.
    "logaddexp": ("softplus and its slope through np.logaddexp", {
        "softplus": "return np.logaddexp(0, z)",
        "softplus_derivative": "return np.exp(-np.logaddexp(0, -z))",
    }),
    # The formulas as most learners first type them: np.where computes both branches (the one
    # thrown away may overflow: the tests silence that warning, as the notebook's own check
    # does), e^z - 1 without expm1, the sigmoid written out, PReLU from max and min.
    "plain": ("the formulas typed the plain way", {
        "prelu": "return np.maximum(z, 0) + alpha * np.minimum(z, 0)",
        "prelu_derivative": "return np.where(z <= 0, alpha, 1.0)",
        "prelu_alpha_gradient": "return np.minimum(z, 0)",
        "softplus": "return np.where(z > 0, z + np.log1p(np.exp(-z)), np.log1p(np.exp(z)))",
        "softplus_derivative": (
            "return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))"
        ),
        "elu": "return np.where(z > 0, z, alpha * (np.exp(z) - 1))",
        "elu_derivative": "return np.where(z > 0, 1.0, alpha * np.exp(z))",
        "elu_derivative_from_activation": "return np.where(a <= 0, a + alpha, 1.0)",
        "silu": "return z / (1 + np.exp(-z))",
        "silu_derivative": "s = 1 / (1 + np.exp(-z))\nreturn s + z * s * (1 - s)",
        "gelu": "return z * (1 + erf(z / math.sqrt(2))) / 2",
        "gelu_derivative": (
            "phi = np.exp(-0.5 * z**2) / math.sqrt(2 * math.pi)\n"
            "return (1 + erf(z / math.sqrt(2))) / 2 + z * phi"
        ),
    }),
    # Results in the input's own float type, computed in it where numpy does (float32 in,
    # float32 out): judged to float32's precision, 1e-6, they lose nothing.
    "float32": ("results kept in the input's float type (float32 stays float32)", {
        "prelu_derivative": "z = np.asarray(z)\nreturn np.where(z > 0, 1.0, alpha).astype(z.dtype)",
        "gelu": "z = np.asarray(z)\nreturn (0.5 * z * (1 + erf(z / np.sqrt(2)))).astype(z.dtype)",
        "gelu_derivative": (
            "z = np.asarray(z)\n"
            "cdf = (0.5 * (1 + erf(z / np.sqrt(2)))).astype(z.dtype)\n"
            "pdf = np.exp(-z**2 / 2) / math.sqrt(2 * math.pi)\n"
            "return cdf + z * pdf"
        ),
    }),
}
