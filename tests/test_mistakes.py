"""Every assignment's catalogue of known mistakes (solutions/<assignment>/mistakes.py), for each
assignment the course has (the ``assignment`` fixture of tests/conftest.py): each entry is a
mistake the checks see, the diagnosis names it on every check it fails and never confuses it
with another entry, and what a learner reads of it is short and gives no answer away.

No kernel: an entry's code is typed, as a learner would type it, into a namespace holding the
model answers (the reference module's code, run there), and the checks run on it exactly as
``run_check`` runs them (``execute_call`` on each check's calls, then ``checking.judge``).
"""

from __future__ import annotations

import inspect
import types

import numpy as np
import pytest

from autograder import cleanroom
from autograder.submissions import correct_answers
from solutions import checking

MAX_NAME, HINT = 40, (40, 200)  # a name fits a table column; a hint is a sentence or two


@pytest.fixture(scope="module")
def reference_code(assignment):
    module = assignment.reference()
    return compile(inspect.getsource(module), module.__file__, "exec")


@pytest.fixture(autouse=True)
def catalogue(assignment):
    """The assignment's catalogue; an assignment without known mistakes has nothing to prove."""
    entries = assignment.catalogue()
    if not entries:
        pytest.skip(f"{assignment.name} has no catalogue of known mistakes yet")
    return entries


@pytest.fixture(autouse=True)
def default_settings(assignment, monkeypatch):
    for variable in assignment.settings:
        monkeypatch.delenv(variable, raising=False)


# Where the inputs come from: the kernel's seed (the grade_id's), and two clean-room runs' seeds
# (the clean room judges its results with the same catalogue).
INPUTS = {
    "kernel": lambda grade_id: np.random.default_rng(checking.seed(grade_id)),
    "clean room 1": lambda grade_id: cleanroom.check_rng(1, grade_id),
    "clean room 2": lambda grade_id: cleanroom.check_rng(2, grade_id),
}


@pytest.fixture(scope="module")
def failures(assignment, reference_code):
    """entry key -> {(grade_id, inputs): (calls, results)} for every check of its function that
    the entry, typed as the learner's answer, fails on those INPUTS."""
    checks, found = assignment.checks(), {}
    for entry in assignment.catalogue():
        namespace = {"__name__": "learner"}
        exec(reference_code, namespace)  # noqa: S102 - the course's own reference
        typed = checking.compile_answer(namespace[entry.function], entry.code, namespace)
        namespace[entry.function] = types.FunctionType(typed.__code__, namespace, entry.function,
                                                       typed.__defaults__, typed.__closure__)
        found[entry.key] = {}
        for grade_id, check in checks.items():
            if check.function != entry.function:
                continue
            for inputs, rng in INPUTS.items():
                with checking.quiet():
                    calls = check.calls(rng(grade_id))
                    results = [checking.execute_call(call, namespace) for call in calls]
                if check.verify(calls, results):
                    found[entry.key][grade_id, inputs] = (calls, results)
    return found


def test_every_entry_is_compiled_for_a_function_the_notebook_grades(assignment):
    graded = {check.function for check in assignment.checks().values()}
    for entry in assignment.catalogue():
        assert entry.function in graded and entry.key.startswith(entry.function + "."), entry.key
        assert callable(entry.compute) and entry.compute.__name__ == entry.function, entry.key


def test_names_are_short_unique_per_function_and_can_be_read_back(assignment):
    catalogue = assignment.catalogue()
    for function in {entry.function for entry in catalogue}:
        names = [entry.name for entry in catalogue if entry.function == function]
        assert len(names) == len(set(names)), function
    for entry in catalogue:
        assert 0 < len(entry.name) <= MAX_NAME and checking.SEPARATOR not in entry.name, entry.key
        assert HINT[0] <= len(entry.hint) <= HINT[1], entry.key
        assert "\n" not in entry.hint and checking.MARK not in entry.hint, entry.key
        line = checking.joined("f(1.0) returned 2.0; expected 1.0.", entry)
        assert checking.read(line, catalogue) == ("f(1.0) returned 2.0; expected 1.0.",
                                                  entry.name, entry.hint)


def test_hints_give_no_line_of_a_model_answer_away(assignment):
    # A hint may name numpy tools and the lecture's formulas, never a line of the notebook's
    # model answer (nor of another right answer the assignment lists).
    answers = list(correct_answers(assignment.source).values())
    if (assignment.package / "variants.py").is_file():
        import importlib

        honest = importlib.import_module(f"solutions.{assignment.name}.variants").HONEST
        answers += [body for _, bodies in honest.values() for body in bodies.values()]
    lines = {line.strip().removeprefix("return ").strip() for answer in answers
             for line in answer.splitlines()}
    lines = {line for line in lines if len(line) >= 10 and not line.startswith(("#", '"'))}
    for entry in assignment.catalogue():
        for line in lines:
            assert line not in entry.hint, (entry.key, line)


def test_each_entry_fails_a_check_of_its_function_and_every_check_it_fails_names_it(
    assignment, failures,
):
    checks, catalogue = assignment.checks(), assignment.catalogue()
    unseen = [key for key, failed in failures.items() if not failed]
    assert unseen == [], "the checks cannot see these mistakes"
    for entry in catalogue:
        for (grade_id, inputs), (calls, results) in failures[entry.key].items():
            message = checking.judge(checks[grade_id], calls, results, catalogue)
            found = checking.read(message, catalogue)
            assert found is not None and found[1:] == (entry.name, entry.hint), (
                entry.key, grade_id, inputs, message)
            # The diagnosis follows the check's own message, which stays as it was (with a
            # full stop where it had none, so that the two sentences read apart).
            plain = checks[grade_id].verify(calls, results)
            assert found[0] in (plain, plain + "."), (entry.key, grade_id)


def test_no_two_entries_of_a_function_explain_the_same_failure(assignment, failures):
    checks, catalogue = assignment.checks(), assignment.catalogue()
    clashes = []
    for entry in catalogue:
        others = [other for other in catalogue
                  if other.function == entry.function and other.key != entry.key]
        for (grade_id, inputs), (calls, results) in failures[entry.key].items():
            clashes += [(entry.key, other.key, grade_id, inputs) for other in others
                        if checking.explains(other, checks[grade_id], calls, results)]
    assert clashes == []
