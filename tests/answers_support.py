"""Answers for the tests, taken from an assignment's own solutions package: the model answers
with one known mistake of its catalogue typed in (solutions/<assignment>/mistakes.py), and its
honest variants (solutions/<assignment>/variants.py, HONEST). Without an assignment, the
course's first one (autograder.submissions.FIRST), which the first-assignment corpora use.
"""

from __future__ import annotations

import importlib

from autograder import course
from autograder import submissions as subs


def entry(key: str, a: course.Assignment = subs.FIRST):
    """The catalogue entry `key` of `a` (KeyError naming the keys it has)."""
    entries = {e.key: e for e in a.catalogue()}
    if key not in entries:
        raise KeyError(f"{a.name}'s catalogue has no {key!r}; it has {', '.join(entries)}")
    return entries[key]


def with_mistake(key: str, a: course.Assignment = subs.FIRST) -> dict[str, str]:
    """The model answers of `a`, except the function of catalogue entry `key`, answered with
    that mistake's code (the body of the function, as a learner types it)."""
    found = entry(key, a)
    return {**subs.correct_answers(a.source), found.function: found.code}


def honest(a: course.Assignment = subs.FIRST) -> dict[str, tuple[str, dict[str, str]]]:
    """`a`'s other right answers: name -> (what it is, the model answers with its bodies)."""
    if not (a.package / "variants.py").is_file():
        return {}
    course.use(a.course)
    variants = importlib.import_module(f"solutions.{a.name}.variants").HONEST
    correct = subs.correct_answers(a.source)
    return {name: (what, {**correct, **bodies}) for name, (what, bodies) in variants.items()}
