"""Every assignment's table of checks (solutions/<assignment>/checks.py), for each assignment the
course has (the ``assignment`` fixture of tests/conftest.py): the table matches the notebook's
grade cells, its calls are plain data drawn afresh at grading time, the model answers and the
honest variants pass every check, and what a learner is told names the function and the call.

The checks run here in-process, as ``run_check`` runs them in a kernel (``execute_call`` on a
namespace whose functions see each other, as a notebook's do); the clean room's own tests
(tests/test_cleanroom*.py) prove the same through the sandbox.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import io
import re
import types
import warnings

import numpy as np
import pytest

from autograder import cleanroom
from autograder.submissions import grade_cells, read_notebook, solution_cells
from solutions import checking, wire

# Checks whose calls are the same in every run, so that a function right only at those inputs
# passes them. Each is a gap in target "every grade cell is also checked on inputs drawn at
# grading time" that its assignment has still to close; listed so that the gap is visible, and
# so that closing one without taking it off this list fails here (the list cannot go stale).
# Checks that draw nothing at grading time, while they wait to (nothing today): grade_id -> why.
NOT_YET_DRAWN_AT_GRADING_TIME: dict[str, str] = {}
# Checks that are fixed on purpose (nothing of this kind today): grade_id -> why.
FIXED_BY_DESIGN: dict[str, str] = {}
SEED = 20260101  # a clean-room run's seed, fixed so that a failure here can be re-run


# --------------------------------------------------------------------------------------------
# Learner namespaces built from the reference
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference_code(assignment):
    module = assignment.reference()
    return compile(inspect.getsource(module), module.__file__, "exec")


@pytest.fixture
def notebook(reference_code):
    """A fresh namespace holding the model answers the way a notebook holds them: the reference
    module's code run in it, so that it is its functions' globals (a stand-in bound there, or an
    answer replaced there, is what the other functions call)."""

    def build(**answers):
        namespace = {"__name__": "learner"}
        exec(reference_code, namespace)  # noqa: S102 - the course's own reference
        reference = types.SimpleNamespace(**namespace)
        for function, body in answers.items():
            typed = checking.compile_answer(getattr(reference, function), body, namespace)
            namespace[function] = types.FunctionType(typed.__code__, namespace, function,
                                                     typed.__defaults__, typed.__closure__)
        return namespace

    return build


@pytest.fixture(autouse=True)
def default_settings(assignment, monkeypatch):
    """The instructor's settings the assignment reads (its manifest names them) at their
    defaults: what a course that sets nothing grades with."""
    for variable in assignment.settings:
        monkeypatch.delenv(variable, raising=False)


def verdicts(assignment, namespace, grade_ids=None) -> dict[str, str]:
    """grade_id -> message of every check that fails for `namespace`, run as run_check runs it
    in a kernel (the kernel's seed, the assignment's catalogue)."""
    checks, catalogue = assignment.checks(), assignment.catalogue()
    found = {}
    for grade_id in grade_ids or checks:
        check = checks[grade_id]
        with checking.quiet():
            calls = check.calls(np.random.default_rng(checking.seed(grade_id)))
            results = [checking.execute_call(call, namespace) for call in calls]
            message = checking.judge(check, calls, results, catalogue)
        if message:
            found[grade_id] = message
    return found


def functions(assignment) -> list[str]:
    """The learner functions: one solution cell each, named by its grade_id."""
    return list(solution_cells(read_notebook(assignment.source)))


# --------------------------------------------------------------------------------------------
# The table and the notebook agree
# --------------------------------------------------------------------------------------------


def test_every_grade_cell_has_a_check_and_every_check_a_grade_cell(assignment):
    assert set(grade_cells(read_notebook(assignment.source))) == set(assignment.checks())


def test_grade_cells_open_with_their_checks_description(assignment):
    checks = assignment.checks()
    for grade_id, cell in grade_cells(read_notebook(assignment.source)).items():
        assert cell.source.splitlines()[0] == f'"""{checks[grade_id].description}"""', grade_id


def test_hidden_cells_run_their_own_check_of_their_own_assignment_and_visible_ones_none(
    assignment,
):
    checks = assignment.checks()
    line = f"from solutions.{assignment.name}.checks import run_check; run_check"
    for grade_id, cell in grade_cells(read_notebook(assignment.source)).items():
        if checks[grade_id].hidden:
            hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
            assert f'{line}("{grade_id}", globals())' in hidden, grade_id
        else:
            assert "run_check" not in cell.source and "HIDDEN" not in cell.source, grade_id


def test_each_check_grades_one_learner_function_named_at_the_start_of_its_grade_id(assignment):
    names = functions(assignment)
    for grade_id, check in assignment.checks().items():
        assert check.grade_id == grade_id
        # The longest function name that prefixes the grade_id is the one graded.
        prefixes = [name for name in names if grade_id.startswith(name + "_")]
        assert prefixes and check.function == max(prefixes, key=len), grade_id


def test_every_check_has_a_sentence_for_a_description_and_hidden_ones_say_so(assignment):
    for grade_id, check in assignment.checks().items():
        assert check.description.endswith(".") and "\n" not in check.description, grade_id
        # "(hidden test)", or "(and a hidden test)" for a cell with visible asserts as well
        assert ("hidden test)" in check.description) == check.hidden, grade_id


# --------------------------------------------------------------------------------------------
# Calls: plain data, the same in every kernel run, drawn afresh at grading time
# --------------------------------------------------------------------------------------------


def _npz_round_trip(arrays: dict) -> dict:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    loaded = np.load(io.BytesIO(buffer.getvalue()), allow_pickle=False)
    return {key: loaded[key] for key in loaded.files}


def _same(a, b) -> bool:
    """Equal, and of the same types all the way down (a float stays a float, float32 float32)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, (np.ndarray, np.generic)):
        return type(a) is type(b) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    return type(a) is type(b) and a == b


def test_every_call_crosses_the_sandbox_as_named_arrays_and_comes_back_equal(assignment):
    # The clean room ships these calls through solutions/wire.py; a call it cannot encode
    # (anything but plain data) would raise TypeError here rather than in a grading run.
    for grade_id, check in assignment.checks().items():
        calls = [*check.calls(np.random.default_rng(checking.seed(grade_id))),
                 *check.calls(cleanroom.check_rng(SEED, grade_id))]  # fmt: skip
        for index, call in enumerate(calls):
            assert call.function == check.function, grade_id
            entry, arrays = wire.call_to_arrays(call, index)
            arrays = _npz_round_trip(arrays)
            back = [tuple(wire.from_arrays(spec, arrays) for spec in entry["args"]),
                    {key: wire.from_arrays(spec, arrays) for key, spec in entry["kwargs"].items()},
                    {key: wire.from_arrays(spec, arrays)
                     for key, spec in entry["stand_ins"].items()}]  # fmt: skip
            args = tuple(wire.resolve(arg) for arg in call.args)  # a Safe arrives as its function
            assert _same(back[0], args) and _same(back[1], call.kwargs), (grade_id, index)
            assert _same(back[2], call.stand_ins), (grade_id, index)
            assert all(re.fullmatch(rf"c{index}\.[\w.]+", key) for key in arrays), grade_id


def _fingerprint(value):
    """What a function's arguments are, exactly (dtype and type included), as a dict key."""
    value = wire.resolve(value)
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict):
        return ("dict", tuple((key, _fingerprint(v)) for key, v in sorted(value.items())))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_fingerprint(v) for v in value))
    if callable(value):
        return ("function", id(value))
    return (type(value).__name__, repr(value))


def test_in_kernel_inputs_are_the_same_on_every_run_and_clean_room_inputs_for_every_student(
    assignment,
):
    # The kernel's seed is the grade_id's (a re-run grades the same inputs); a clean-room run's
    # seed is the run's, the same for every student of the run (their answers can be compared).
    seed = SEED
    for grade_id, check in assignment.checks().items():
        for rng in (lambda g: np.random.default_rng(checking.seed(g)),
                    lambda g: cleanroom.check_rng(seed, g)):  # fmt: skip
            first, again = check.calls(rng(grade_id)), check.calls(rng(grade_id))
            assert [_fingerprint((c.args, c.kwargs)) for c in first] == [
                _fingerprint((c.args, c.kwargs)) for c in again], grade_id


def test_a_function_right_only_at_one_runs_inputs_fails_with_another_runs(assignment, notebook):
    # The cheat knows the model answer at every input of one grading run (as a learner knows
    # the printed ones) and returns the first of them anywhere else. Every check must see
    # through it in another run: some input of each check is drawn at grading time.
    model, passed = notebook(), set()
    for grade_id, check in assignment.checks().items():
        known = check.calls(cleanroom.check_rng(1, grade_id))
        with checking.quiet():
            values = [checking.execute_call(call, model).value for call in known]
        table = {_fingerprint((call.args, call.kwargs)): v for call, v in zip(known, values,
                                                                              strict=True)}

        def cheat(*args, table=table, first=values[0], **kwargs):
            return copy.deepcopy(table.get(_fingerprint((args, kwargs)), first))

        calls = check.calls(cleanroom.check_rng(2, grade_id))
        with checking.quiet():
            results = [checking.execute_call(call, {**model, check.function: cheat})
                       for call in calls]  # fmt: skip
        if check.verify(calls, results) is None:
            passed.add(grade_id)
    checks = set(assignment.checks())
    allowed = (set(NOT_YET_DRAWN_AT_GRADING_TIME) | set(FIXED_BY_DESIGN)) & checks
    assert passed - allowed == set(), "these checks can be passed by remembering one run"
    assert allowed - passed == set(), "these are drawn at grading time: take them off the list"


# --------------------------------------------------------------------------------------------
# Right answers earn everything
# --------------------------------------------------------------------------------------------


def test_the_reference_passes_every_check_and_no_mistake_is_named(assignment, notebook):
    assert verdicts(assignment, notebook()) == {}


def test_the_assignments_run_check_passes_the_reference_and_names_an_unknown_grade_id(
    assignment, notebook,
):
    module = importlib.import_module(f"solutions.{assignment.name}.checks")
    namespace = notebook()
    for grade_id in assignment.checks():
        module.run_check(grade_id, namespace)  # raises AssertionError on a failure
    with pytest.raises(KeyError, match="no check named 'typo'"):
        module.run_check("typo", namespace)


def _variants(assignment) -> dict:
    if not (assignment.package / "variants.py").is_file():
        return {}
    return importlib.import_module(f"solutions.{assignment.name}.variants").HONEST


def test_every_honest_variant_passes_every_check_without_a_word_on_stderr(
    assignment, notebook, capfd
):
    variants = _variants(assignment)
    if not variants:
        pytest.skip(f"{assignment.name} lists no other right answers (variants.py)")
    for name, (what, answers) in variants.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a warning the checks let through would fail here
            assert verdicts(assignment, notebook(**answers)) == {}, (name, what)
    assert capfd.readouterr().err == ""  # nbgrader zeroes a cell that writes to stderr


# --------------------------------------------------------------------------------------------
# What a learner is told
# --------------------------------------------------------------------------------------------


def test_an_unwritten_function_is_told_to_replace_its_stub(assignment, notebook):
    stubs = {name: "raise NotImplementedError()" for name in functions(assignment)}
    found = verdicts(assignment, notebook(**stubs))
    assert set(found) == set(assignment.checks())
    for grade_id, message in found.items():
        function = assignment.checks()[grade_id].function
        assert message.startswith(f"{function} still raises NotImplementedError"), message
        assert "# YOUR CODE HERE" in message


def test_a_function_that_was_never_run_is_reported_as_not_defined(assignment, notebook):
    checks = assignment.checks()
    for function in functions(assignment):
        namespace = notebook()
        del namespace[function]
        own = [grade_id for grade_id, check in checks.items() if check.function == function]
        found = verdicts(assignment, namespace, own)
        assert set(found) == set(own), function
        for message in found.values():
            assert message.startswith(f"{function} is not defined: run the cell where you wrote "
                                      "it"), message


def test_an_error_is_reported_with_the_call_that_raised_it(assignment, notebook):
    checks = assignment.checks()
    for function in functions(assignment):
        namespace = notebook(**{function: "raise ValueError('planted')"})
        own = [grade_id for grade_id, check in checks.items() if check.function == function]
        for grade_id, message in verdicts(assignment, namespace, own).items():
            assert message.startswith(f"{function}("), (grade_id, message)
            assert message.endswith("raised ValueError: planted"), (grade_id, message)


def test_a_missing_return_is_named(assignment, notebook):
    checks = assignment.checks()
    for function in functions(assignment):
        namespace = notebook(**{function: "pass"})
        own = [grade_id for grade_id, check in checks.items() if check.function == function]
        found = verdicts(assignment, namespace, own)
        assert found, f"{function} returning None passes every check"
        assert any("did you forget `return`" in message for message in found.values()), found


def test_messages_show_numbers_as_a_learner_types_them_and_never_an_array(assignment, notebook):
    # Every failure of every wrong answer below: one line, no numpy repr, no printed array.
    answers = [{name: "raise NotImplementedError()"} for name in functions(assignment)]
    answers += [{name: "pass"} for name in functions(assignment)]
    answers += [{entry.function: entry.code} for entry in assignment.catalogue()]
    messages = [m for answer in answers for m in verdicts(assignment, notebook(**answer)).values()]
    assert messages
    for message in messages:
        # A 0-d array argument is shown as a learner types it, np.array(0.5) (see
        # tests/test_checking_machinery.py); never numpy's repr, array(...), nor an array's entries.
        assert "np.float64(" not in message and "array([" not in message, message
        assert not re.search(r"(?<!np\.)array\(", message), message
        assert "[[" not in message and "\n" not in message, message
