"""A cheat earns nothing, in every assignment.

Every grade cell, visible or hidden, is checked again in the clean room on inputs drawn when the
notebook is graded. The cheats are made for each learner function from the CHECKS table and the
model answers, never by naming one:

- hard-coded: right exactly at the inputs the visible tests print (found by running them), and
  at the calls of its visible checks in the kernel; the constant below anywhere else;
- constant: the model value at one input a learner can know, whatever the arguments;
- ignoring its data: the model answer run on that known input instead of the arguments.

Each must earn, on every grade cell of its function, no more than the untouched stub. In this
process for every function and check under two grading runs' seeds, and end to end for one
notebook of each cheat (every function cheating) through the real pipeline, with the generic
attacks: importing the reference package, objects that say they equal anything, answers right
only when NBGRADER_EXECUTION is set.

A function that takes a seed, an activation, an alpha, an eps or data is called with more than
one of each, and one that ignores any of them fails a check.
"""

from __future__ import annotations

import numpy as np

from . import corpus

CHEATS = {
    "hard-coded": corpus.hard_coded,
    "constant": corpus.constant,
    "ignoring its data": lambda a, name: corpus.ignoring(a, name, corpus.data_parameters(a, name)),
}


def stub_earns(a) -> set[str]:
    stubs = {name: "raise NotImplementedError()" for name in corpus.functions(a)}
    return corpus.passing(a, corpus.namespace(a, stubs), corpus.functions(a))


def _key(call) -> str:
    return corpus.literal(corpus._matchable([call.function, list(call.args), call.kwargs,
                                             call.stand_ins]))  # fmt: skip


def test_every_check_draws_inputs_when_the_notebook_is_graded(assignment):
    fixed = [grade_id for grade_id, check in assignment.checks().items()
             if [_key(c) for c in corpus.run_calls(check, corpus.RUN_SEEDS[0])]
             == [_key(c) for c in corpus.run_calls(check, corpus.RUN_SEEDS[1])]]
    assert fixed == [], "these checks make the same calls in every grading run"


def _earning(assignment, cheat) -> dict[str, list[str]]:
    """function -> the grade cells its cheat earns that the untouched stub does not."""
    bound = stub_earns(assignment)
    found = {}
    for name in corpus.functions(assignment):
        scope = corpus.namespace(assignment, {name: cheat(assignment, name)})
        earned = corpus.passing(assignment, scope, [name]) - bound
        if earned:
            found[name] = sorted(earned)
    return found


def test_hard_coding_the_visible_tests_answers_earns_nothing(assignment):
    assert _earning(assignment, CHEATS["hard-coded"]) == {}


def test_returning_a_constant_earns_nothing(assignment):
    assert _earning(assignment, CHEATS["constant"]) == {}


def test_ignoring_the_data_earns_nothing(assignment):
    assert _earning(assignment, CHEATS["ignoring its data"]) == {}


def test_objects_that_say_they_equal_anything_earn_nothing(assignment):
    # Judged here, without the sandbox's crossing (which lets no such object through at all).
    scope = corpus.notebook_namespace(assignment, corpus.lying(assignment))
    first = corpus.functions(assignment)[0]
    value = scope[first](**corpus.anchor(assignment, first).arguments)
    assert (value[0] if isinstance(value, tuple) else value) == object()  # it does lie
    earned = corpus.passing(assignment, scope, corpus.functions(assignment))
    assert earned <= stub_earns(assignment)


def _distinct(assignment, name: str, parameter: str) -> int:
    values = {corpus.literal(corpus._matchable(corpus.bound(assignment, call)[parameter]))
              for check in assignment.checks().values() if check.function == name
              for call in corpus.run_calls(check, corpus.RUN_SEEDS[0])}
    return len(values)


def arguments_that_matter(assignment) -> list[tuple[str, str]]:
    """Each function's data and setting arguments whose value changes the model answer's
    results on the checks' calls (a derivative with respect to alpha that does not depend on
    alpha is right to ignore it)."""
    return [(name, parameter) for name in corpus.functions(assignment)
            for parameter in (corpus.data_parameters(assignment, name)
                              + corpus.setting_parameters(assignment, name))
            if _changes_the_answer(assignment, name, parameter)]


def _changes_the_answer(assignment, name: str, parameter: str) -> bool:
    """Whether the model answer's result changes, on some check's call, when a numeric
    ``parameter`` takes another value (a non-numeric one, such as a name, always counts)."""
    reference = corpus.reference_function(assignment, name)
    for check in assignment.checks().values():
        if check.function != name:
            continue
        for call in corpus.run_calls(check, corpus.RUN_SEEDS[0]):
            arguments = corpus.bound(assignment, call)
            value = arguments[parameter]
            if isinstance(value, (bool, str)) or not isinstance(value, (int, float, np.number,
                                                                         np.ndarray)):
                return True
            other = value + 1 if isinstance(value, (int, np.integer)) else value * 1.5 + 0.25
            with corpus.checking.quiet():
                one = reference(**{k: corpus.wire.resolve(v) for k, v in arguments.items()})
                two = reference(**{k: corpus.wire.resolve(v)
                                   for k, v in {**arguments, parameter: other}.items()})
            if not corpus.checking.same_tree(one, two, 0.0, 0.0):
                return True
    return False


def test_each_setting_and_data_argument_is_given_more_than_one_value(assignment):
    once = [f"{name}({parameter})" for name, parameter in arguments_that_matter(assignment)
            if _distinct(assignment, name, parameter) < 2]
    assert once == [], "always called with the same value"


def test_a_function_that_ignores_a_setting_or_data_argument_fails_a_check(assignment):
    missed = []
    for name, parameter in arguments_that_matter(assignment):
        scope = corpus.namespace(assignment,
                                 {name: corpus.ignoring(assignment, name, [parameter])})
        if not corpus.caught_in_every_run(assignment, scope, name):
            missed.append(f"{name} ignoring {parameter}")
    assert missed == []


# --------------------------------------------------------------------------------------------
# Through the real pipeline
# --------------------------------------------------------------------------------------------


def _above_the_stub(batch, kind: str) -> dict[str, dict[str, float]]:
    untouched = batch.rows["untouched"]["points"]
    found = {}
    for sid, student in batch.students.items():
        if student.kind == kind:
            points = batch.rows[sid]["points"]
            above = {g: p for g, p in points.items() if p > untouched[g]}
            if above:
                found[sid] = above
    return found


def test_cheats_earn_nothing_when_graded(batch):
    assert sum(s.kind == "cheat" for s in batch.students.values()) == len(CHEATS)
    assert _above_the_stub(batch, "cheat") == {}


def test_attacks_earn_nothing_when_graded(batch):
    assert sum(s.kind == "attack" for s in batch.students.values()) == len(corpus.ATTACKS)
    assert _above_the_stub(batch, "attack") == {}


def test_the_untouched_release_earns_nothing(batch):
    assert set(batch.rows["untouched"]["points"].values()) == {0.0}
    assert np.isclose(batch.rows["untouched"]["score"], 0.0)
