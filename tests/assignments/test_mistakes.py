"""Each known mistake loses exactly its checks, and the feedback names it, in every assignment.

Each entry of the assignment's catalogue (solutions/<name>/mistakes.py) is typed into the
model answers in place of its function's answer, and the whole catalogue is graded as one batch
through the real pipeline (entries that cannot affect one another share a notebook:
corpus.packed). The grade cells each one loses must be exactly those whose checks
its code fails here in this process (a hidden test in the kernel, or any check in the clean
room with the batch's own seed), and the message of every lost cell of its function must name
it (solutions.checking.MARK and the entry's name). A wrong answer that matches no entry keeps
the message without a name.
"""

from __future__ import annotations

import html
import re

import pytest

from solutions import checking

from . import corpus


def catalogue(assignment):
    entries = assignment.catalogue()
    if not entries:
        pytest.skip(f"{assignment.name} has no catalogue (solutions/{assignment.name}/"
                    "mistakes.py MISTAKES is empty): no mistake to plant")
    return entries


def test_the_assignment_names_known_mistakes(assignment):
    assert len(assignment.catalogue()) > 0


def test_each_mistake_fails_a_check_of_its_function_which_names_it(assignment):
    entries = catalogue(assignment)
    unfit = {}
    for entry in entries:
        scope = corpus.namespace(assignment, {entry.function: corpus.planted(entry)})
        problems = []
        if not corpus.caught_in_every_run(assignment, scope, entry.function):
            problems.append("passes every check of its function in some run")
        for grade_id, check in assignment.checks().items():
            if check.function != entry.function:
                continue
            message = corpus.in_clean_room(check, scope, corpus.RUN_SEEDS[0], entries)
            if message and checking.MARK + entry.name not in message:
                problems.append(f"{grade_id}: {message}")
        if problems:
            unfit[entry.key] = problems
    assert unfit == {}


def mistakes(batch) -> dict:
    return {sid: s for sid, s in batch.students.items() if s.kind == "mistake"}


def test_each_planted_mistake_loses_exactly_the_cells_its_checks_predict(batch):
    a = batch.assignment
    catalogue(a)
    wrong = {}
    for sid, student in mistakes(batch).items():
        predicted = corpus.lost_in_grading(a, corpus.namespace(a, student.answers), batch.seed)
        lost = batch.lost(sid)
        if not lost or lost != predicted:
            wrong[sid] = {"lost, not predicted": sorted(lost - predicted),
                          "predicted, not lost": sorted(predicted - lost)}
    assert wrong == {}


def test_the_feedback_names_each_planted_mistake(batch):
    a = batch.assignment
    entries = {entry.key: entry for entry in catalogue(a)}
    checks = a.checks()
    unnamed = {}
    for sid, student in mistakes(batch).items():
        messages, page = batch.messages(sid), batch.feedback(sid)
        for key in student.key.split():
            entry = entries[key]
            own = sorted(g for g in batch.lost(sid) if checks[g].function == entry.function)
            missing = [f"{g}: {messages[g]}" for g in own
                       if checking.MARK + entry.name not in messages[g]]
            shown = page.count(f"<strong>{html.escape(entry.name)}</strong>")
            if missing or shown < len(own):
                unnamed[f"{sid} ({key})"] = missing or [f"the feedback page names it {shown} "
                                                        "times"]
    assert unnamed == {}


def test_a_wrong_answer_matching_no_entry_keeps_the_undiagnosed_message(batch):
    catalogue(batch.assignment)
    sid = "generic.wrong_values"
    messages = batch.messages(sid)
    lost = batch.lost(sid)
    assert lost, "the wrong answer should lose points"
    assert {g: messages[g] for g in lost if checking.MARK in messages[g]} == {}
    assert all(messages[g] for g in lost)


# numpy's repr of a float64, which a learner never types (a float32 or a 0-d array argument is
# written np.float32(0.5) and np.array(0.5) on purpose: that is how the call was made).
NUMPY_REPR = re.compile(r"np\.float64\(")


def test_no_learner_message_shows_a_numpy_repr(batch):
    shown = {}
    for sid in batch.students:
        found = [f"{g}: {m}" for g, m in batch.messages(sid).items() if NUMPY_REPR.search(m)]
        if found:
            shown[sid] = found[:2]
    assert shown == {}, "write numbers as a learner types them (solutions.checking.number)"
