"""Fixtures shared by the whole suite.

`assignment`: every assignment the course has (autograder.course.assignments: a folder of
source/ with its solutions/ package), so that a test taking it runs once per assignment and a
new assignment gets every guarantee without new test code.

Known gaps: tests/known_gaps.toml lists the guarantees of the conformance suite
(tests/assignments/) that an assignment does not hold yet, each with the reason. Those tests are
marked ``xfail(strict=True)`` for that assignment only: they must fail for the reason given,
and the day they pass (the gap is closed) the run fails until the entry is removed.

Passed preflights (autograder.preflight) are remembered for the test session only, in a folder
of its own shared by the xdist workers: a test never skips the preflight because of a run
before the session, and the many gradings of an unchanged setup pay for it once.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from pathlib import Path

import pytest

from autograder import course, preflight

ASSIGNMENTS = course.assignments()
KNOWN_GAPS = Path(__file__).with_name("known_gaps.toml")
CONFORMANCE = Path(__file__).with_name("assignments")


@pytest.fixture(scope="module", params=ASSIGNMENTS, ids=[a.name for a in ASSIGNMENTS])
def assignment(request) -> course.Assignment:
    return request.param


def pytest_configure(config):
    # The controller runs this before it starts the xdist workers, which inherit the variable.
    if not hasattr(config, "workerinput"):
        os.environ[preflight.CACHE_ENV] = tempfile.mkdtemp(prefix="autograder-preflight-")


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput"):
        shutil.rmtree(os.environ.pop(preflight.CACHE_ENV, ""), ignore_errors=True)


def known_gaps() -> dict[str, dict[str, str]]:
    """assignment name -> {test function name: why it fails}."""
    if not KNOWN_GAPS.is_file():
        return {}
    return tomllib.loads(KNOWN_GAPS.read_text(encoding="utf-8"))


def pytest_collection_modifyitems(config, items):
    gaps = known_gaps()
    unknown = set(gaps) - {a.name for a in ASSIGNMENTS}
    if unknown:
        raise pytest.UsageError(f"{KNOWN_GAPS.name} names assignments the course does not have: "
                                f"{', '.join(sorted(unknown))}")
    for item in items:
        if CONFORMANCE not in Path(item.fspath).parents:
            continue
        params = getattr(getattr(item, "callspec", None), "params", {})
        a = params.get("assignment")
        reason = gaps.get(getattr(a, "name", ""), {}).get(item.originalname)
        if reason:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
    # Under pytest-xdist (make test: --dist loadscope --no-loadscope-reorder, a module to a
    # worker, in this order): the long test that mostly waits first, beside the conformance
    # suite, which keeps both cores busy; then the other long modules (LONG), so that no worker
    # runs one alone at the end.
    items.sort(key=_position)


def _position(item) -> int:
    path = Path(item.fspath)
    if path.name == "test_sandbox_pipeline.py":  # an attack sleeps past every limit: minutes
        return 0
    if CONFORMANCE in path.parents:
        return 1
    if path.name in LONG:
        return 2
    return 3


# Modules of a few long tests each (clusters, a real JupyterLab, whole classes graded): early, so
# that the many short tests of the other modules even out the workers' ends.
LONG = {"test_cluster.py", "test_browser.py", "test_similarity.py", "test_preflight.py",
        "test_determinism.py", "test_demo.py", "test_repair_corpus.py", "test_autograder_real.py"}
