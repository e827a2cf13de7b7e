"""`python -m autograder check NOTEBOOK [--hidden]`: the learner's self-check of the visible
tests, and with --hidden the full grade of one notebook (self-study)."""

import io
import subprocess
import sys

import pytest
from answers_support import with_mistake
from nbformat.v4 import new_code_cell, new_notebook

from autograder import check
from autograder import course as courses
from autograder.submissions import (
    FIRST,
    RELEASE,
    correct_answers,
    delete_cell,
    grade_cells,
    make_submission,
    read_notebook,
    write_class,
)

# The release's stand-in for a hidden-only test cell prints this notice and tests nothing.
HIDDEN_NOTICE = 'print("Hidden test: it runs when your notebook is graded.")'


def _counts(release):
    """(visible tests, hidden-only test cells) of a release notebook."""
    tests = grade_cells(read_notebook(release))
    hidden_only = sum(HIDDEN_NOTICE in c.source for c in tests.values())
    return len(tests) - hidden_only, hidden_only


# The first assignment's, for the tests that run its notebook.
VISIBLE, HIDDEN_ONLY = _counts(RELEASE)
FUNCTIONS = len(correct_answers())


def _run(nb, tmp_path, **kwargs):
    """Write `nb` to tmp_path and check it; return (exit status, printed text)."""
    (path,) = write_class(tmp_path, {"learner": nb}, layout="flat")
    out = io.StringIO()
    status = check.run(path, out=out, **kwargs)
    return status, out.getvalue()


def _cell(grade_id, source, *, solution=False, grade=False):
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "points": 1}
    return new_code_cell(source, metadata={"nbgrader": meta})


# --------------------------------------------------------------------------------------------
# Which cells are tests, and of which function (no kernel needed)
# --------------------------------------------------------------------------------------------


def test_a_test_belongs_to_the_longest_function_name_that_prefixes_its_grade_id():
    nb = new_notebook(
        cells=[
            _cell("relu", "def relu(z): ...", solution=True),
            _cell("relu_derivative", "def relu_derivative(z): ...", solution=True),
            _cell("relu_derivative_at_zero", "assert relu_derivative(0) == 0", grade=True),
            _cell("relu_values", "assert relu(1) == 1", grade=True),
        ]
    )
    functions, tests, hidden_only = check.plan(nb)
    assert {name: [t.grade_id for t in f.tests] for name, f in functions.items()} == {
        "relu": ["relu_values"],
        "relu_derivative": ["relu_derivative_at_zero"],
    }
    assert sorted(tests) == [2, 3] and hidden_only == 0


def test_hidden_tests_are_cut_out_and_hidden_only_cells_are_counted_not_run():
    nb = new_notebook(
        cells=[
            _cell("relu", "def relu(z): ...", solution=True),
            _cell(
                "relu_hidden",
                '"""relu is checked on random arrays."""\n### BEGIN HIDDEN TESTS\n'
                'from solutions.checks import run_check; run_check("relu_hidden", globals())\n'
                "### END HIDDEN TESTS",
                grade=True,
            ),
            _cell(
                "relu_mixed",
                "assert relu(1) == 1\n### BEGIN HIDDEN TESTS\nassert relu(2) == 2\n"
                "### END HIDDEN TESTS\n",
                grade=True,
            ),
        ]
    )
    functions, tests, hidden_only = check.plan(nb)
    assert hidden_only == 1
    assert list(tests) == [2]
    # The learner's own copy has no `solutions` package: nothing hidden may be left to run.
    assert nb.cells[2].source == "assert relu(1) == 1\n"
    assert "solutions" not in nb.cells[1].source


def test_the_releases_hidden_test_stand_ins_are_counted_hidden_never_run_or_passed(assignment):
    visible, hidden = _counts(assignment.release)
    functions, tests, hidden_only = check.plan(read_notebook(assignment.release))
    assert hidden > 0 and visible > 0  # the release has both kinds
    assert (hidden_only, len(tests)) == (hidden, visible)
    released = read_notebook(assignment.release)
    assert all(HIDDEN_NOTICE not in released.cells[i].source for i in tests)


def test_a_stripped_notebook_is_repaired_as_grading_repairs_it_and_says_so(assignment):
    answers = correct_answers(assignment.source)
    nb = make_submission(answers, release=assignment.release)
    for cell in nb.cells:
        cell.metadata = {}  # a Google Colab save
    assert check.which_assignment(nb) == assignment  # recognised by its content alone
    fixed, changes, why_not = check.repaired(nb, assignment.release)
    assert why_not == "" and changes.startswith("nbgrader metadata restored on ")
    functions, tests, hidden_only = check.plan(fixed)
    released, _, _ = check.plan(read_notebook(assignment.release))
    assert set(released) <= set(answers)  # the functions that have a visible test
    assert (list(functions), len(tests), hidden_only) == (list(released),
                                                         *_counts(assignment.release))


def test_another_notebook_is_refused_naming_the_courses_assignments(tmp_path):
    nb = new_notebook(cells=[new_code_cell("def softmax(z):\n    return z")])
    status, text = _run(nb, tmp_path)
    assert status == 1
    assert "has no visible tests to run" in text
    assert f"it holds none of the course's assignments ({', '.join(courses.names())})" in text


def test_not_implemented_reads_as_not_written_yet():
    assert "not written yet" in check.describe_error("NotImplementedError", "")


def test_a_name_error_says_to_import_a_module_or_to_run_the_defining_cell():
    module = check.describe_error("NameError", "name 'math' is not defined")
    assert "`import math`" in module and "run" not in module
    own = check.describe_error("NameError", "name 'sigmoid' is not defined")
    assert "run the cell that defines it" in own and "if it is a module, import it" in own


def test_a_failing_tests_message_comes_without_the_exception_name():
    text = check.describe_error("AssertionError", "relu(-2.0) returned 1.0 (expected 0.0).")
    assert text == "relu(-2.0) returned 1.0 (expected 0.0)."


def test_long_failure_messages_are_shown_whole_on_one_line():
    # A message names one call and one value; cutting it could cut off the value.
    long = "relu(np.array([" + ", ".join(["1.0"] * 200) + "])) returned 0.0\n(expected 1.0)."
    assert check.describe_error("AssertionError", long) == " ".join(long.split())


# --------------------------------------------------------------------------------------------
# Files that cannot be checked: a clear message and exit status 1
# --------------------------------------------------------------------------------------------


def test_a_missing_file_is_named_and_fails(tmp_path):
    out = io.StringIO()
    assert check.run(tmp_path / "nope.ipynb", out=out) == 1
    assert "nope.ipynb: no such file" in out.getvalue()


def test_a_folder_is_refused(tmp_path):
    out = io.StringIO()
    assert check.run(tmp_path, out=out) == 1
    assert "is a folder" in out.getvalue()


def test_a_file_that_is_not_json_is_not_a_notebook(tmp_path):
    status, text = _run(b"print('hello')", tmp_path)
    assert status == 1 and "is not a notebook (it is not JSON)" in text


def test_a_notebook_without_tests_says_so(tmp_path):
    status, text = _run(new_notebook(cells=[new_code_cell("1 + 1")]), tmp_path)
    assert status == 1 and "has no visible tests" in text


# --------------------------------------------------------------------------------------------
# Running the real release notebook (a kernel each: slow)
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_correct_submission_passes_with_exit_status_0(tmp_path, assignment):
    answers = correct_answers(assignment.source)
    status, text = _run(make_submission(answers, release=assignment.release), tmp_path)
    assert status == 0, text
    assert text.startswith(f"Checking learner.ipynb ({assignment.title})")
    assert "FAIL" not in text
    tested = len(check.plan(read_notebook(assignment.release))[0])  # those with visible tests
    assert f"{tested} of {tested} functions pass all their visible tests" in text
    visible, hidden_only = _counts(assignment.release)
    assert f"{visible} visible tests passed; {hidden_only} hidden tests run" in text
    assert "Repaired" not in text  # nothing to repair in an intact notebook


@pytest.mark.slow
def test_a_colab_save_of_correct_answers_passes_after_the_same_repair_as_grading(tmp_path):
    nb = delete_cell(make_submission(correct_answers()), "sigmoid_values")  # one test deleted
    for cell in nb.cells:
        cell.metadata = {}  # and Colab keeps no nbgrader metadata
    status, text = _run(nb, tmp_path)
    assert status == 0, text
    assert "Repaired first, as grading will repair it: nbgrader metadata restored on" in text
    assert "1 deleted cell put back" in text
    assert f"{VISIBLE} visible tests passed; {HIDDEN_ONLY} hidden tests run" in text


@pytest.mark.slow
def test_untouched_submission_fails_with_exit_status_1_naming_every_function(tmp_path,
                                                                            assignment):
    status, text = _run(read_notebook(assignment.release), tmp_path)
    assert status == 1
    tested = check.plan(read_notebook(assignment.release))[0]  # those with visible tests
    assert tested
    for name in tested:
        assert f"FAIL  {name} " in text, name
    assert "not written yet" in text
    assert f"0 of {len(tested)} functions pass" in text
    # The hidden tests' stand-ins print a notice: they are not passes.
    _, hidden_only = _counts(assignment.release)
    assert f"0 visible tests passed; {hidden_only} hidden tests run when your work is graded" \
        in text


@pytest.mark.slow
def test_relu_derivative_one_at_zero_fails_naming_relu_derivative_only(tmp_path):
    status, text = _run(make_submission(with_mistake("relu_derivative.one_at_zero")), tmp_path)
    assert status == 1
    failed = [line.split()[1] for line in text.splitlines() if line.startswith("  FAIL")]
    assert failed == ["relu_derivative"], text
    assert f"{FUNCTIONS - 1} of {FUNCTIONS} functions pass" in text


@pytest.mark.slow
def test_an_endless_loop_is_stopped_and_the_later_cells_still_run(tmp_path):
    answers = {**correct_answers(), "relu": "while True:\n    pass"}
    # 5 s per cell: the slowest honest cell (the set-up cell importing matplotlib) takes about
    # 1 s alone and 2 s proved too tight on a busy machine; each stopped cell costs 5 s.
    status, text = _run(make_submission(answers), tmp_path, timeout=5)
    assert status == 1
    assert "relu_values: this cell ran longer than 5 s and was stopped" in text
    assert "PASS  numerical_derivative" in text  # the last function, after the loop


@pytest.mark.slow
def test_kernel_death_fails_and_says_the_rest_did_not_run(tmp_path):
    answers = {**correct_answers(), "relu": "import os\n\nos._exit(1)"}
    status, text = _run(make_submission(answers), tmp_path)
    assert status == 1
    assert "the kernel died" in text and "not run" in text


@pytest.mark.slow
def test_command_line_exit_status_follows_the_tests(tmp_path):
    (good,) = write_class(tmp_path / "a", {"ok": make_submission(correct_answers())}, "flat")
    (bad,) = write_class(tmp_path / "b", {"ko": make_submission(None)}, "flat")
    for path, expected in ((good, 0), (bad, 1)):
        done = subprocess.run(
            [sys.executable, "-m", "autograder", "check", str(path)],
            capture_output=True,
            text=True,
            timeout=300,  # a generous bound for one notebook on a busy 2-core machine
        )
        assert done.returncode == expected, done.stdout + done.stderr
        assert "functions pass all their visible tests" in done.stdout


@pytest.mark.slow
def test_a_test_that_writes_to_stderr_fails_as_it_would_when_graded(tmp_path):
    # nbgrader gives no points to a test cell with stderr output; the check must agree.
    answers = {**correct_answers()}
    answers["relu"] = 'import warnings\n\nwarnings.warn("careful")\n' + answers["relu"]
    status, text = _run(make_submission(answers), tmp_path)
    assert status == 1
    failed = [line.split()[1] for line in text.splitlines() if line.startswith("  FAIL")]
    assert failed == ["relu"], text
    assert "wrote to stderr" in text and "careful" in text


def test_tests_are_listed_under_their_function_when_one_cell_answers_them_all():
    nb = make_submission(correct_answers())
    for cell in nb.cells:
        cell.metadata = {}
    nb.cells.append(new_code_cell("\n\n".join(  # every answer again, in one cell at the end
        c.source for c in nb.cells if c.source.startswith("def "))))
    fixed, _, _ = check.repaired(nb, RELEASE)
    functions, tests, _ = check.plan(fixed, tuple(correct_answers()))
    assert list(functions) == list(correct_answers())
    assert sum(len(f.tests) for f in functions.values()) == VISIBLE


@pytest.mark.slow
def test_a_known_mistake_is_named_with_its_hint_under_the_failing_test(tmp_path):
    answers = {**correct_answers(), "sigmoid_derivative": "return z * (1 - z)",
               "relu": "if z > 0:\n    return z\nreturn 0.0",
               "sigmoid": "return 2 / (1 + np.exp(-z))"}  # the last: in no catalogue entry
    status, text = _run(make_submission(answers), tmp_path)
    assert status == 1
    lines = text.splitlines()
    at = lines.index("        sigmoid_derivative_values: sigmoid_derivative(10.0) returned -90.0 "
                     "(expected 4.5395807735951673e-05).")
    assert lines[at + 1].startswith("          Likely mistake: the a-form applied to z — ")
    assert ("        relu_values: relu(np.array([-3.0, -1.0, 2.0, 5.0])) raised ValueError. "
            "Python's `if` looks at one number; on an array use np.where or np.maximum.") in lines
    assert "a.any()" not in text
    at = lines.index("        sigmoid_values: sigmoid(0.0) returned 1.0 (expected 0.5).")
    assert not lines[at + 1].strip().startswith("Likely mistake")  # unknown: today's message


# --------------------------------------------------------------------------------------------
# check --hidden: one notebook graded as the instructor's `grade` grades it
# --------------------------------------------------------------------------------------------

# relu right only where nbgrader runs the notebook (it sets NBGRADER_EXECUTION in the kernel),
# the minimum elsewhere: the kernel's tests pass, the clean room's re-run does not.
RELU_ONLY_WHEN_GRADED = ('import os\n\nif os.environ.get("NBGRADER_EXECUTION"):\n'
                         "    return np.maximum(0.0, z)\nreturn np.minimum(0.0, z)")


@pytest.mark.slow
def test_check_hidden_grades_the_notebook_fully_with_the_clean_room_and_known_mistakes(
        tmp_path):
    from autograder.isolation.sandbox import sandbox_problem

    if sandbox_problem() is not None:
        pytest.skip(f"the clean room needs the sandbox: {sandbox_problem()}")
    answers = {**with_mistake("relu_derivative.one_at_zero"), "relu": RELU_ONLY_WHEN_GRADED}
    status, text = _run(make_submission(answers), tmp_path, hidden=True)
    assert status == 1, text
    lines = text.splitlines()
    assert lines[0].startswith(f"Grading learner.ipynb ({FIRST.title}) as your instructor's")
    marks = {line.split()[1]: line.split()[0] for line in lines if line.startswith("  ")
             and line.split()[0] in ("PASS", "FAIL")}
    tests = grade_cells(read_notebook(FIRST.source))
    assert set(marks) == set(tests)  # every grade cell, hidden ones included
    failed = sorted(g for g, mark in marks.items() if mark == "FAIL")
    # relu loses its value tests in the clean room (not relu_keeps_input: the minimum leaves
    # its input unchanged); relu_derivative its hidden test at z = 0, in the kernel.
    assert failed == ["relu_derivative_at_zero", "relu_inputs", "relu_values"], text
    hidden = [line for line in lines if line.startswith("  FAIL  relu_derivative_at_zero")]
    assert hidden == ["  FAIL  relu_derivative_at_zero (hidden, 0/1)"]
    explained = lines[lines.index(hidden[0]) + 1]
    assert "Likely mistake: slope 1 at z = 0 — " in explained  # the catalogue's name and hint
    rerun = lines[lines.index("  FAIL  relu_values (visible, 0/1)") + 1]
    assert "not when re-run on its own with new inputs" in rerun  # the clean room's verdict
    assert "Likely mistake: min instead of max" in rerun
    assert "Status: relu lost points when re-run on its own (relu_values, relu_inputs: see the " \
        "feedback)" in lines
    points = sum(float(c.metadata.nbgrader["points"]) for c in tests.values())
    lost = sum(float(tests[g].metadata.nbgrader["points"]) for g in failed)
    assert f"Score: {points - lost:g} / {points:g} (hidden tests included)." in lines
