"""What each notebook teaches: checks of one assignment's own lesson, as data.

Every guarantee that holds for all assignments is in the conformance suite (tests/assignments/).
What is left here is about one notebook's teaching: a phrase the lesson must state where the
learner needs it, figures read in two sentences, the set-up cell's test network being the
checks table's, and how the first assignment's visible tests speak to a learner in a real
kernel.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbgrader.utils import determine_grade

from autograder import course
from autograder import submissions as subs

REPO = Path(__file__).resolve().parents[1]
FIRST = "activation_derivatives"
SECOND = "backprop_one_hidden_layer"


def notebook(name: str) -> nbformat.NotebookNode:
    return subs.read_notebook(course.assignment(REPO, name).source)


def cell(nb, cell_id: str):
    return next(c for c in nb.cells if c.id == cell_id)


def markdown_before(nb, cell_id: str) -> str:
    cells = list(nb.cells)
    index = cells.index(cell(nb, cell_id))
    return " ".join(c.source for c in cells[:index] if c.cell_type == "markdown")


def markdown(nb) -> str:
    return " ".join(c.source for c in nb.cells if c.cell_type == "markdown")


# (assignment, where, phrase): the phrase must appear there. `where` is a cell id, "before:ID"
# (the lesson's text above that cell) or "lesson" (all of the lesson's text).
PHRASES = [
    # The kink convention, where the learner writes the function, and explained before.
    (FIRST, "relu_derivative",
     "At z = 0 (and -0.0) the derivative is undefined; this course uses 0.0 there"),
    (FIRST, "leaky_relu_derivative",
     "At z = 0 (and -0.0) the derivative is undefined; this course uses alpha there"),
    (FIRST, "before:relu_derivative", "undefined"),
    (FIRST, "before:relu_derivative", "subgradient"),
    (FIRST, "before:relu_derivative", r"$[0, 1]$"),
    (FIRST, "before:relu_derivative", r"\mathrm{ReLU}'(0) = 0"),
    # The instructor's setting is read in the set-up cell, which the learner leaves alone.
    (FIRST, "setup", "Leave this line as it is."),
    # Part E gives a verdict for every relative error.
    (FIRST, "lesson", "below $10^{-7}$"),
    (FIRST, "lesson", "between $10^{-7}$ and $10^{-3}$"),
    (FIRST, "lesson", "above $10^{-3}$"),
    (FIRST, "lesson", "A forward difference lands here (about $10^{-6}$)"),
    # The slope formulas in the lesson, and which form the docstring asks for.
    (SECOND, "lesson", "$1 - a^2$"),
    (SECOND, "lesson", "$a(1 - a)$"),
    (SECOND, "lesson", r"\tfrac14"),
    (SECOND, "backward_propagation", "1 - A1**2 (tanh), A1 * (1 - A1) (sigmoid)"),
    (SECOND, "vanishing-reading", r"\tfrac14"),
    (SECOND, "vanishing-reading", "factor of four"),
]


@pytest.mark.parametrize("name, where, phrase", PHRASES)
def test_the_lesson_states_it_where_the_learner_needs_it(name, where, phrase):
    nb = notebook(name)
    if where == "lesson":
        text = markdown(nb)
    elif where.startswith("before:"):
        text = markdown_before(nb, where.removeprefix("before:"))
    else:
        text = cell(nb, where).source.split("### BEGIN SOLUTION")[0]
    assert phrase in text


# Figures each followed by a markdown cell reading them in two sentences.
READ_FIGURES = {
    FIRST: ["sigmoid-plot", "tanh-plot", "relu-plot", "leaky-plot"],
    SECOND: ["data-plot", "boundaries-plot", "costs-plot", "hidden-units-plot",
             "vanishing-plot"],
}


@pytest.mark.parametrize("name", sorted(READ_FIGURES))
def test_each_figure_is_followed_by_two_sentences_reading_it(name):
    nb = notebook(name)
    cells = list(nb.cells)
    plots = [c.id for c in cells if c.cell_type == "code" and c.source.startswith("plot_")]
    assert set(READ_FIGURES[name]) <= set(plots)
    for plot in READ_FIGURES[name]:
        reading = cells[cells.index(cell(nb, plot)) + 1]
        assert reading.cell_type == "markdown"
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", reading.source.strip()) if s]
        assert len(sentences) == 2, (plot, sentences)


def test_each_activation_of_the_first_lesson_has_a_sanity_check_at_the_lecture_s_points():
    nb = notebook(FIRST)
    for activation in ("sigmoid", "tanh", "relu", "leaky"):
        sanity = cell(nb, f"{activation}-sanity")
        assert "for z in (10.0, -10.0, 0.0):" in sanity.source
        cell(nb, f"{activation}-plot")


def test_the_first_lesson_s_test_comments_speak_of_their_own_function():
    nb = notebook(FIRST)
    for test in subs.grade_cells(nb).values():
        grade_id = test.metadata.nbgrader["grade_id"]
        comments = " ".join(line for line in test.source.splitlines() if line.startswith("#"))
        if grade_id.startswith("sigmoid"):
            assert "tanh" not in comments, grade_id
        if grade_id.startswith("tanh"):
            assert "a(1 - a)" not in comments, grade_id
        assert "Judged on" not in comments, grade_id  # the tolerance is said to the learner


def test_the_second_lesson_s_set_up_network_is_its_checks_table_s():
    a = course.assignment(REPO, SECOND)
    checks = __import__(f"solutions.{SECOND}.checks", fromlist=["CHECKS"])
    reference = a.reference()
    namespace: dict = {}
    exec(cell(notebook(SECOND), "setup").source, namespace)  # noqa: S102
    for name in ("X_SMALL", "Y_SMALL"):
        np.testing.assert_array_equal(namespace[name], getattr(checks, name))
    for name in ("PARAMETERS_SMALL", "GRADS_SMALL"):
        table = getattr(checks, name)
        assert namespace[name].keys() == table.keys()
        for key in table:
            np.testing.assert_array_equal(namespace[name][key], table[key])
    X, Y = reference.make_moons()
    np.testing.assert_array_equal(namespace["X"], X)  # the data set is the reference's
    np.testing.assert_array_equal(namespace["Y"], Y)
    assert namespace["ALPHA"] == reference.LEAKY_ALPHA
    assert namespace["ACTIVATIONS"] == reference.ACTIVATIONS
    setup = cell(notebook(SECOND), "setup").source
    subplots = re.findall(r"plt\.subplots\((.*?)\)\n", setup)
    assert len(subplots) == 5 and all('layout="constrained"' in call for call in subplots)


# --------------------------------------------------------------------------------------------
# The first lesson's visible tests, in a real kernel
# --------------------------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def execute(nb, cwd) -> None:
    NotebookClient(nb, kernel_name="python3", timeout=60, allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()


def errors(c) -> list:
    return [o for o in c.get("outputs", []) if o.output_type == "error"]


def meta(c) -> dict:
    return c.get("metadata", {}).get("nbgrader", {}) or {}


def first_answers() -> dict[str, str]:
    return subs.correct_answers(course.assignment(REPO, FIRST).source)


def _kink_notebook():
    """Set-up, the ReLU-family answers with 1 at z = 0, and their grade cells."""
    a = course.assignment(REPO, FIRST)
    answers = {**first_answers(),
               "relu_derivative": "return np.where(z >= 0, 1.0, 0.0)",
               "leaky_relu_derivative": "return np.where(z >= 0, 1.0, alpha)"}
    nb = subs.make_submission(answers, release=a.release)
    family = ("relu", "leaky_relu")  # the grade_ids of the four functions start with these
    nb.cells = [c for c in nb.cells if c.id == "setup"
                or (meta(c) and meta(c).get("grade_id", "").startswith(family))]
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("policy, failing", [
    ("course", ["relu_derivative_at_zero", "leaky_relu_derivative_at_zero"]),
    ("subgradient", []),
])
def test_the_instructor_setting_decides_whether_one_at_zero_is_accepted(
        tmp_path, monkeypatch, policy, failing):
    # 1 is a subgradient of ReLU and Leaky ReLU at z = 0, but not the course's value. The
    # release's visible parts of these cells read the setting (the hidden ones are not here).
    monkeypatch.setenv("ACTIVATION_KINK_POLICY", policy)
    nb = _kink_notebook()
    execute(nb, tmp_path)
    graded = [c for c in nb.cells if meta(c).get("grade") and not meta(c).get("solution")]
    assert len(graded) == 16  # 3 relu, 4 relu_derivative, 4 leaky_relu, 5 leaky_relu_derivative
    assert [meta(c)["grade_id"] for c in graded if errors(c)] == failing
    for c in graded:
        if errors(c):
            assert "returned 1.0 (expected" in errors(c)[0].evalue
            assert "This course uses" in errors(c)[0].evalue
        assert determine_grade(c)[0] == (0 if errors(c) else 1)


@pytest.mark.slow
def test_a_failing_visible_test_shows_the_call_and_a_hint_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIVATION_KINK_POLICY", "course")
    answers = {**first_answers(),
               "sigmoid": "import math\n\nreturn 1 / (1 + math.exp(-z))",
               "relu": "if z > 0:\n    return z\nreturn 0.0",
               "sigmoid_derivative": "return z * (1 - z)",
               "tanh_derivative": "return 1 - math.tanh(z) ** 2"}  # math never imported there
    nb = subs.make_submission(answers, release=course.assignment(REPO, FIRST).release)
    execute(nb, tmp_path)

    def failure(grade_id):
        (error,) = errors(next(c for c in nb.cells if meta(c).get("grade_id") == grade_id))
        assert error.ename == "AssertionError"  # nbgrader scores the cell 0
        lines = [ANSI.sub("", line) for line in error.traceback]
        assert len(lines) == 1, lines  # the message alone: no frame of the helper's code
        return lines[0]

    relu = failure("relu_values")
    assert relu.startswith("Test failed: relu(np.array([-3.0, -1.0, 2.0, 5.0])) raised ValueError")
    assert "Python's `if` looks at one number" in relu and "np.where" in relu
    assert "a.any()" not in relu  # numpy's advice, wrong for this mistake
    sigmoid = failure("sigmoid_values")
    assert "sigmoid(np.array([-1.0, 0.0, 1.0])) raised TypeError" in sigmoid
    assert "np.exp" in sigmoid
    tanh = failure("tanh_derivative_values")
    assert "tanh_derivative(10.0) raised NameError: name 'math' is not defined" in tanh
    assert "Import it at the top of your cell" in tanh
    slope = failure("sigmoid_derivative_values")
    assert slope == ("Test failed: sigmoid_derivative(10.0) returned -90.0 "
                     "(expected 4.5395807735951673e-05).")


@pytest.mark.slow
def test_a_forward_difference_gets_a_verdict_and_a_consistent_corner_printout(tmp_path):
    answers = {**first_answers(), "numerical_derivative": "return (f(z + eps) - f(z)) / eps"}
    nb = subs.make_submission(answers, release=course.assignment(REPO, FIRST).release)
    execute(nb, tmp_path)
    grid = next(c for c in nb.cells if c.source.startswith("Z_CHECK = "))
    text = "".join(o.text for o in grid.outputs if o.output_type == "stream")
    lines = text.strip().splitlines()
    assert len(lines) == 4
    for line in lines[:2]:  # sigmoid and tanh
        # A forward difference is off by about eps * |g''| / 2: 1e-6 relative or so.
        error = float(re.search(r"relative error (\S+)", line).group(1))
        assert 1e-7 < error < 1e-3, line
        assert line.endswith("close: is numerical_derivative a central difference?"), line
    for line in lines[2:]:  # ReLU and Leaky ReLU are straight lines off the corner: exact
        assert line.endswith("they agree"), line
    corner = next(c for c in nb.cells if "central difference of ReLU at 0" in c.source)
    printed = "".join(o.text for o in corner.outputs if o.output_type == "stream")
    assert "central difference of ReLU at 0:  0.5" in printed
    assert "your numerical_derivative(relu, 0.0): 1.0" in printed
    after = nb.cells[nb.cells.index(corner) + 1].source
    assert "0.5" in after and "printed 1.0 here" in after and "forward difference" in after
