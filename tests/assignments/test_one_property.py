"""Each check judges one property, in every assignment.

Two generic wrong answers per learner function tell the properties apart: one returns wrong
numbers (of the right kinds and shapes) and leaves its input alone; the other returns the right
numbers but changes an array passed in. A check that fails both judges two properties: a check
of the input then fails a learner for wrong values, as a values check would. Wrong values must
cost a check of every function, and a changed input exactly the checks that look at the input,
here in this process and through the real pipeline.
"""

from __future__ import annotations

import pytest

from . import corpus


def _failing(assignment, name, body) -> set[str]:
    return set(corpus.failing(assignment, corpus.namespace(assignment, {name: body}),
                              only=[name]))


def test_no_check_fails_both_wrong_values_and_a_changed_input(assignment):
    both, changed = {}, 0
    for name in corpus.functions(assignment):
        changing = corpus.changes_its_input(assignment, name)
        if changing is None:
            continue  # takes no array: nothing to change
        changed += 1
        common = (_failing(assignment, name, corpus.wrong_values(assignment, name))
                  & _failing(assignment, name, changing))
        if common:
            both[name] = sorted(common)
    if not changed:
        pytest.skip("no learner function takes an array: no input to change")
    assert both == {}, "these checks judge the values and the input at once"


def test_wrong_values_fail_a_check_of_every_function_in_every_run(assignment):
    missed = [name for name in corpus.functions(assignment)
              if not corpus.caught_in_every_run(
                  assignment,
                  corpus.namespace(assignment, {name: corpus.wrong_values(assignment, name)}),
                  name)]  # fmt: skip
    assert missed == []


def _lost_as_predicted(batch, sid: str) -> None:
    a = batch.assignment
    student = batch.students[sid]
    if not student.answers:
        pytest.skip(f"{student.what}: no such function, nothing to change")
    predicted = corpus.lost_in_grading(a, corpus.namespace(a, student.answers), batch.seed)
    assert predicted, "a changed input should cost a check"
    assert batch.lost(sid) == predicted


def test_a_changed_input_costs_exactly_the_predicted_cells_when_graded(batch):
    _lost_as_predicted(batch, "generic.changes_its_input")


def test_inputs_changed_everywhere_cost_exactly_the_predicted_cells_when_graded(batch):
    # Also where no check watches: the cells lost are still those of the checks that see it, and
    # no visible test loses points because another function changed what the notebook holds.
    _lost_as_predicted(batch, "generic.changes_every_input")
