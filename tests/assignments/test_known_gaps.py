"""tests/known_gaps.toml names real tests of this suite, for assignments the course has."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from autograder import course

KNOWN_GAPS = Path(__file__).parents[1] / "known_gaps.toml"


def suite_tests() -> set[str]:
    names = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names |= {node.name for node in tree.body
                  if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
    return names


def test_every_known_gap_names_a_test_of_the_suite_and_an_assignment_of_the_course():
    gaps = tomllib.loads(KNOWN_GAPS.read_text(encoding="utf-8"))
    assert set(gaps) <= set(course.names()), KNOWN_GAPS
    tests = suite_tests()
    for name, entries in gaps.items():
        assert set(entries) <= tests, (name, sorted(set(entries) - tests))
        assert all(reason.strip() for reason in entries.values()), name
