"""The second assignment's checks (solutions/backprop_one_hidden_layer/checks.py): what only this
assignment has. Plain answers as the lesson teaches them pass under either kink policy; realistic
mistakes lose exactly the points of their concern; messages name one entry of one array; the
tolerance's claim is measured. The guarantees every assignment shares are in tests/test_checks.py.

The checks run here against namespaces built the way a notebook builds them (function
definitions exec'd into one dict, which is their globals), as `run_check` does in a kernel;
tests/test_backprop_notebook.py proves the same inside real kernels.
"""

import functools
import inspect
import re
import warnings

import numpy as np
import pytest

from solutions import checking
from solutions.backprop_one_hidden_layer import reference as ref
from solutions.backprop_one_hidden_layer.checks import CHECKS, run_check
from solutions.checking import execute_call

# What a learner who follows the lesson types, the plain way: the lecture's a-forms, the
# textbook sigmoid (which overflows, with a warning, for very negative z), boolean labels.
LECTURE = '''
import numpy as np

ALPHA = 0.01

def initialize_parameters(n_x, n_h, n_y, seed=0):
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((n_h, n_x)) * 0.01
    W2 = rng.standard_normal((n_y, n_h)) * 0.01
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}

def forward_propagation(X, parameters, activation="tanh"):
    W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]
    Z1 = np.dot(W1, X) + b1
    if activation == "tanh":
        A1 = np.tanh(Z1)
    elif activation == "sigmoid":
        A1 = 1 / (1 + np.exp(-Z1))
    elif activation == "relu":
        A1 = np.maximum(0, Z1)
    else:
        A1 = np.where(Z1 > 0, Z1, ALPHA * Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = 1 / (1 + np.exp(-Z2))
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}

def compute_cost(A2, Y):
    m = Y.shape[1]
    A2 = np.clip(A2, 1e-15, 1 - 1e-15)
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    return float(np.squeeze(-np.sum(logprobs) / m))

def backward_propagation(parameters, cache, X, Y, activation="tanh"):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2, Z1 = cache["A1"], cache["A2"], cache["Z1"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    if activation == "tanh":
        g_prime = 1 - np.power(A1, 2)
    elif activation == "sigmoid":
        g_prime = A1 * (1 - A1)
    elif activation == "relu":
        g_prime = np.where(Z1 > 0, 1.0, 0.0)
    else:
        g_prime = np.where(Z1 > 0, 1.0, ALPHA)
    dZ1 = np.dot(W2.T, dZ2) * g_prime
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}

def update_parameters(parameters, grads, learning_rate):
    new = {}
    for name in ("W1", "b1", "W2", "b2"):
        new[name] = parameters[name] - learning_rate * grads["d" + name]
    return new

def gradient_check(parameters, X, Y, activation="tanh", eps=1e-7):
    A2, cache = forward_propagation(X, parameters, activation)
    grads = backward_propagation(parameters, cache, X, Y, activation)
    g, n = [], []
    for name in ("W1", "b1", "W2", "b2"):
        g.extend(grads["d" + name].flatten())
        for i in range(parameters[name].size):
            plus = {k: v.copy() for k, v in parameters.items()}
            minus = {k: v.copy() for k, v in parameters.items()}
            plus[name].flat[i] += eps
            minus[name].flat[i] -= eps
            J_plus = compute_cost(forward_propagation(X, plus, activation)[0], Y)
            J_minus = compute_cost(forward_propagation(X, minus, activation)[0], Y)
            n.append((J_plus - J_minus) / (2 * eps))
    g, n = np.array(g), np.array(n)
    return np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n))

def predict(parameters, X, activation="tanh"):
    A2, cache = forward_propagation(X, parameters, activation)
    return A2 > 0.5

def nn_model(X, Y, n_h, num_iterations=5000, learning_rate=1.5, activation="tanh", seed=0):
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0], seed)
    costs = []
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters, activation)
        costs.append(compute_cost(A2, Y))
        grads = backward_propagation(parameters, cache, X, Y, activation)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters, costs
'''

SIGNATURES = {
    "initialize_parameters": "n_x, n_h, n_y, seed=0",
    "forward_propagation": 'X, parameters, activation="tanh"',
    "compute_cost": "A2, Y",
    "backward_propagation": 'parameters, cache, X, Y, activation="tanh"',
    "update_parameters": "parameters, grads, learning_rate",
    "gradient_check": 'parameters, X, Y, activation="tanh", eps=1e-7',
    "predict": 'parameters, X, activation="tanh"',
    "nn_model": 'X, Y, n_h, num_iterations=5000, learning_rate=1.5, activation="tanh", seed=0',
}


def lecture(**replacements):
    """The LECTURE answers, with some functions replaced (name -> body, one statement a line)."""
    namespace = {"__name__": "learner"}
    exec(LECTURE, namespace)
    for name, body in replacements.items():
        lines = "\n".join("    " + line for line in body.strip().splitlines())
        exec(f"def {name}({SIGNATURES[name]}):\n{lines}", namespace)
    return namespace


def reference():
    """The reference module's source exec'd like notebook cells: its functions' globals are the
    namespace, so a stand-in bound there is what they call."""
    namespace = {"__name__": "learner"}
    exec(inspect.getsource(ref), namespace)  # noqa: S102 - the course's own reference
    return namespace


def failures(namespace):
    found = {}
    for grade_id in CHECKS:
        try:
            run_check(grade_id, namespace)
        except AssertionError as error:
            found[grade_id] = str(error)
    return found


@pytest.fixture(params=["course", "subgradient"])
def policy(request, monkeypatch):
    monkeypatch.setenv("ACTIVATION_KINK_POLICY", request.param)
    return request.param


@pytest.fixture
def course(monkeypatch):
    monkeypatch.setenv("ACTIVATION_KINK_POLICY", "course")


# --------------------------------------------------------------------------------------------
# Right answers earn everything
# --------------------------------------------------------------------------------------------


def test_the_reference_passes_every_check(policy):
    assert failures(reference()) == {}


def test_plain_lecture_answers_pass_every_check_and_their_warnings_stay_silent(policy):
    # The textbook sigmoid overflows for z near -1000 (forward_propagation_large_inputs), and
    # predict returns booleans: neither may cost a point or leak a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert failures(lecture()) == {}


def test_a_right_answer_is_within_1e_12_of_the_reference_on_every_checked_call(course):
    # The module docstring's claim "rounding costs a right answer about 1e-13", measured: the
    # largest scaled difference |got - expected| / (1 + max|expected|) over every array the
    # forward, backward and update checks compare. RTOL = 1e-7 leaves a margin of 1e5.
    learner, worst = lecture(), 0.0
    for check in CHECKS.values():
        if check.function not in ("forward_propagation", "backward_propagation",
                                  "update_parameters"):  # fmt: skip
            continue
        for call in check.calls(np.random.default_rng(0)):
            if any(a.dtype == np.float32 for a in call.args if isinstance(a, np.ndarray)):
                continue
            with np.errstate(all="ignore"):
                got = execute_call(call, learner).value
                want = execute_call(call, reference()).value
            pairs = [(got[0], want[0]), (got[1], want[1])] if isinstance(got, tuple) else [
                (got, want)]  # fmt: skip
            for mine, theirs in pairs:
                for key in theirs if isinstance(theirs, dict) else [None]:
                    a = mine[key] if key else mine
                    b = theirs[key] if key else theirs
                    scale = 1.0 + np.abs(b).max()
                    worst = max(worst, float(np.abs(a - b).max() / scale))
    print(f"\nlargest scaled difference of a right answer: {worst:.1e}")
    assert worst < 1e-12


def test_one_at_zero_is_accepted_only_under_the_subgradient_policy(monkeypatch):
    # 1 (np.where(Z1 >= 0, ...)) is a subgradient of ReLU and Leaky ReLU at 0, but not the
    # course's value; so is 0.5. Under "subgradient" both pass, under "course" neither does.
    for slope in ("1.0", "0.5"):
        body = LECTURE_BACKWARD.replace("np.where(Z1 > 0, 1.0, 0.0)",
                                        f"np.where(Z1 > 0, 1.0, np.where(Z1 == 0, {slope}, 0.0))")
        body = body.replace("np.where(Z1 > 0, 1.0, ALPHA)",
                            f"np.where(Z1 > 0, 1.0, np.where(Z1 == 0, {slope}, ALPHA))")
        learner = lecture(backward_propagation=body)
        monkeypatch.setenv("ACTIVATION_KINK_POLICY", "subgradient")
        assert failures(learner) == {}
        monkeypatch.setenv("ACTIVATION_KINK_POLICY", "course")
        found = failures(learner)
        assert list(found) == ["backward_propagation_at_zero"]
        assert "slope from the left at z = 0" in found["backward_propagation_at_zero"]


def lecture_body(name):
    """The body of one LECTURE function, dedented."""
    function = LECTURE.split(f"def {name}(")[1].split("\ndef ")[0]
    return "\n".join(line[4:] for line in function.split(":\n", 1)[1].splitlines())


LECTURE_BACKWARD = lecture_body("backward_propagation")


# --------------------------------------------------------------------------------------------
# Wrong answers lose exactly the points of their mistake
# --------------------------------------------------------------------------------------------

# Realistic wrong answers (this assignment's catalogue of known mistakes is still to come): each
# loses exactly the checks of its concern.
WRONG_ANSWERS = {
    "biases_not_zero": (
        {"initialize_parameters": "rng = np.random.default_rng(seed)\n"
         "return {'W1': rng.standard_normal((n_h, n_x)) * 0.01, 'b1': np.ones((n_h, 1)),\n"
         "        'W2': rng.standard_normal((n_y, n_h)) * 0.01, 'b2': np.ones((n_y, 1))}"},
        ["initialize_parameters_shapes", "initialize_parameters_random_and_small",
         "initialize_parameters_seed"],
    ),
    "symmetric_weights": (
        {"initialize_parameters": "return {'W1': np.full((n_h, n_x), 0.01), "
         "'b1': np.zeros((n_h, 1)),\n        'W2': np.full((n_y, n_h), 0.01), "
         "'b2': np.zeros((n_y, 1))}"},
        ["initialize_parameters_random_and_small", "initialize_parameters_seed"],
    ),
    "ignores_seed": (
        {"initialize_parameters": "rng = np.random.default_rng(0)\n"
         "return {'W1': rng.standard_normal((n_h, n_x)) * 0.01, 'b1': np.zeros((n_h, 1)),\n"
         "        'W2': rng.standard_normal((n_y, n_h)) * 0.01, 'b2': np.zeros((n_y, 1))}"},
        ["initialize_parameters_seed"],
    ),
    "large_weights": (
        {"initialize_parameters": "rng = np.random.default_rng(seed)\n"
         "return {'W1': rng.standard_normal((n_h, n_x)) * 10, 'b1': np.zeros((n_h, 1)),\n"
         "        'W2': rng.standard_normal((n_y, n_h)) * 10, 'b2': np.zeros((n_y, 1))}"},
        ["initialize_parameters_random_and_small"],
    ),
    "cost_without_clip": (
        {"compute_cost": "m = Y.shape[1]\n"
         "return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)"},
        ["compute_cost_at_zero_and_one"],
    ),
    "cost_summed_not_averaged": (
        {"compute_cost": "A2 = np.clip(A2, 1e-15, 1 - 1e-15)\n"
         "return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))"},
        ["compute_cost_values", "compute_cost_inputs", "compute_cost_at_zero_and_one",
         "gradient_check_agrees", "gradient_check_passes_right_gradients",
         "gradient_check_catches_planted_bug"],
    ),
    "update_in_place": (
        {"update_parameters": "for name in ('W1', 'b1', 'W2', 'b2'):\n"
         "    parameters[name] -= learning_rate * grads['d' + name]\n"
         "return parameters"},
        ["update_parameters_keeps_input"],
    ),
    "forward_difference": (
        {"gradient_check": lecture_body("gradient_check").replace(
            "(J_plus - J_minus) / (2 * eps)",
            "(J_plus - compute_cost(forward_propagation(X, parameters, activation)[0], Y)) / eps",
        )},
        ["gradient_check_passes_right_gradients"],  # eps = 1e-7 hides it; eps = 1e-3 does not
    ),
    "gradient_check_always_zero": (
        {"gradient_check": "return 0.0"},
        ["gradient_check_passes_right_gradients", "gradient_check_catches_planted_bug"],
    ),
    "predict_threshold_zero": (
        {"predict": "A2, cache = forward_propagation(X, parameters, activation)\n"
         "return (A2 > 0).astype(float)"},
        ["predict_values", "predict_activations"],
    ),
    "predict_ignores_activation": (
        {"predict": "A2, cache = forward_propagation(X, parameters)\n"
         "return (A2 > 0.5).astype(float)"},
        ["predict_activations"],
    ),
    "nn_model_climbs": (
        {"nn_model": "parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0], seed)\n"
         "costs = []\n"
         "for i in range(num_iterations):\n"
         "    A2, cache = forward_propagation(X, parameters, activation)\n"
         "    costs.append(compute_cost(A2, Y))\n"
         "    grads = backward_propagation(parameters, cache, X, Y, activation)\n"
         "    parameters = update_parameters(parameters, grads, -learning_rate)\n"
         "return parameters, costs"},
        ["nn_model_learns"],
    ),
}


def _backward_mistake(old, new):
    assert old in LECTURE_BACKWARD
    return {"backward_propagation": LECTURE_BACKWARD.replace(old, new)}


BACKWARD_MISTAKES = {
    "db1_without_keepdims": (
        _backward_mistake("db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)",
                          "db1 = (1 / m) * np.sum(dZ1, axis=1)"),
        ["backward_propagation_values", "backward_propagation_shapes",
         "backward_propagation_activations", "backward_propagation_at_zero",
         "nn_model_learns"],  # the gradient check flattens: it cannot see a shape
    ),
    "tanh_slope_from_z": (
        _backward_mistake("g_prime = 1 - np.power(A1, 2)", "g_prime = 1 - np.power(Z1, 2)"),
        ["backward_propagation_values", "backward_propagation_shapes",
         "backward_propagation_activations", "gradient_check_agrees", "nn_model_learns"],
    ),
    "sigmoid_slope_missing": (
        _backward_mistake("g_prime = A1 * (1 - A1)", "g_prime = A1"),
        ["backward_propagation_activations", "gradient_check_agrees"],
    ),
    "relu_slope_is_the_activation": (
        _backward_mistake("g_prime = np.where(Z1 > 0, 1.0, 0.0)", "g_prime = np.maximum(0, Z1)"),
        ["backward_propagation_activations", "backward_propagation_at_zero"],
    ),
    "leaky_slope_zero_on_the_left": (
        _backward_mistake("g_prime = np.where(Z1 > 0, 1.0, ALPHA)",
                          "g_prime = np.where(Z1 > 0, 1.0, 0.0)"),
        ["backward_propagation_activations", "backward_propagation_at_zero"],
    ),
    "no_division_by_m_for_dW2": (
        _backward_mistake("dW2 = (1 / m) * np.dot(dZ2, A1.T)", "dW2 = np.dot(dZ2, A1.T)"),
        ["backward_propagation_values", "backward_propagation_shapes",
         "backward_propagation_activations", "backward_propagation_at_zero",
         "gradient_check_agrees", "nn_model_learns"],  # m times the step: training diverges
    ),
}


ALL_WRONG = {**WRONG_ANSWERS, **BACKWARD_MISTAKES}
MISTAKES = WRONG_ANSWERS  # the name tests/test_backprop_notebook.py imports them by


@functools.cache
def wrong_failures(name: str) -> dict[str, str]:
    """The failures of one wrong answer under the course policy (computed once: the tests that
    read them set that policy)."""
    assert checking.setting("ACTIVATION_KINK_POLICY", ("course", "subgradient")) == "course"
    return failures(lecture(**ALL_WRONG[name][0]))


@pytest.mark.parametrize("name", list(ALL_WRONG))
def test_a_mistake_fails_the_checks_of_its_own_function_it_is_listed_with(name, course):
    # Of the checks listed with a wrong answer, those of the function it is written in must
    # fail. (Others may fail too: gradient_check and nn_model call the learner's functions, so a
    # mistake there costs them as well; tests/assignments predicts those losses exactly.)
    answers, listed = ALL_WRONG[name]
    own = {grade_id for grade_id in listed if CHECKS[grade_id].function in answers}
    assert own and own <= set(wrong_failures(name)), sorted(own - set(wrong_failures(name)))


def test_forward_mistakes_fail_the_forward_checks():
    # A forgotten bias and an output layer left linear: both are caught by every forward check.
    for old, new in (("Z1 = np.dot(W1, X) + b1", "Z1 = np.dot(W1, X)"),
                     ("A2 = 1 / (1 + np.exp(-Z2))", "A2 = Z2")):  # fmt: skip
        source = LECTURE.replace(old, new)
        namespace = {"__name__": "learner"}
        exec(source, namespace)
        found = failures(namespace)
        for grade_id in ("forward_propagation_values", "forward_propagation_activations",
                         "forward_propagation_large_inputs"):  # fmt: skip
            assert grade_id in found, (old, grade_id)


# --------------------------------------------------------------------------------------------
# Messages, side effects, stand-ins
# --------------------------------------------------------------------------------------------


def test_messages_name_one_entry_and_never_print_an_array(course):
    messages = [message for name in ALL_WRONG for message in wrong_failures(name).values()]
    assert len(messages) > 30
    for message in messages:
        assert "[[" not in message and "array(" not in message, message
        # One call and one entry: short (a known mistake's name and hint come on top of it).
        assert len(message.split(checking.MARK)[0]) < 400, message
        assert len(re.findall(r"\[\d+, \d+\]", message)) <= 1, message


def test_checks_give_learner_code_private_copies_of_every_argument():
    learner = lecture(update_parameters=WRONG_ANSWERS["update_in_place"][0]["update_parameters"])
    calls = CHECKS["update_parameters_keeps_input"].calls(np.random.default_rng(0))
    before = [{k: v.copy() for k, v in call.args[0].items()} for call in calls]
    for call in calls:
        execute_call(call, learner)
    for call, saved in zip(calls, before, strict=True):
        assert all(np.array_equal(call.args[0][k], saved[k]) for k in saved)


def test_a_stand_in_is_bound_only_during_its_call():
    namespace = reference()
    own = namespace["backward_propagation"]
    run_check("gradient_check_catches_planted_bug", namespace)
    assert namespace["backward_propagation"] is own
    namespace.pop("backward_propagation")  # not defined at all: put back as not defined
    with pytest.raises(AssertionError):
        run_check("gradient_check_agrees", namespace)
    assert "backward_propagation" not in namespace
