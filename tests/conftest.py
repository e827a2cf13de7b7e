"""Fixtures shared by the whole suite.

`assignment`: every assignment the course has (autograder.course.assignments: a folder of
source/ with its solutions/ package), so that a test taking it runs once per assignment and a
new assignment gets every guarantee without new test code.
"""

from __future__ import annotations

import pytest

from autograder import course

ASSIGNMENTS = course.assignments()


@pytest.fixture(scope="module", params=ASSIGNMENTS, ids=[a.name for a in ASSIGNMENTS])
def assignment(request) -> course.Assignment:
    return request.param
