"""release/ is nbgrader's output for source/, leaks nothing, and runs untouched.

release/ is never edited by hand: `make release` (nbgrader generate_assignment) writes it, and
these tests prove that what is committed is exactly what nbgrader makes from source/ now.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "activation_derivatives"
SOURCE = ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
RELEASE_DIR = ROOT / "release"
RELEASE = RELEASE_DIR / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
STUB = "# YOUR CODE HERE\n    raise NotImplementedError()"


def read(path):
    return nbformat.read(path, as_version=4)


def meta(cell):
    return cell.metadata.get("nbgrader", {})


def regions(source, begin, end):
    """The lines strictly between each begin/end marker pair."""
    pattern = rf"^[ \t]*### {begin}[^\n]*\n(.*?)^[ \t]*### {end}"
    return re.findall(pattern, source, re.MULTILINE | re.DOTALL)


def release_files():
    """This assignment's files under release/ (tests/test_backprop_release.py has the other's)."""
    return sorted(p for p in (RELEASE_DIR / ASSIGNMENT).rglob("*") if p.is_file())


# --------------------------------------------------------------------------------------------
# Generated, not edited
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_release_is_what_generate_assignment_makes_from_source_now(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    # nbgrader runs `alembic` from PATH when it creates the gradebook.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
         "--log-level=ERROR"],
        cwd=course, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    fresh = read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    committed = read(RELEASE)
    assert len(fresh.cells) == len(committed.cells), "run `make release` and commit release/"
    for new, old in zip(fresh.cells, committed.cells, strict=True):
        fields = ("cell_type", "source", "metadata")
        assert [new[f] for f in fields] == [old[f] for f in fields], (
            f"release cell {old.get('id')} differs from nbgrader's output: run `make release`"
        )
    generated = sorted(p.relative_to(course / "release") for p in (course / "release").rglob("*")
                       if p.is_file())  # fmt: skip
    assert generated == [p.relative_to(RELEASE_DIR) for p in release_files()]


def test_release_holds_the_notebook_and_nothing_else():
    assert release_files() == [RELEASE]


def test_no_reference_package_file_reaches_release():
    reference = {p.read_bytes() for p in (ROOT / "solutions").glob("*.py")}
    names = {p.name for p in (ROOT / "solutions").glob("*.py")}
    for path in release_files():
        assert path.name not in names
        assert path.read_bytes() not in reference


# --------------------------------------------------------------------------------------------
# Nothing of the answers leaks
# --------------------------------------------------------------------------------------------


def test_no_nbgrader_marker_or_hidden_test_call_anywhere_under_release():
    for path in release_files():
        text = path.read_text(encoding="utf-8")
        for marker in MARKERS + ("run_check", "solutions.checks", "import solutions"):
            assert marker not in text, (path, marker)


def test_no_line_of_solution_code_or_hidden_tests_appears_in_release():
    source = read(SOURCE)
    secret = set()
    for cell in source.cells:
        for region in regions(cell.source, "BEGIN SOLUTION", "END SOLUTION") + regions(
            cell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
        ):
            secret |= {line.strip() for line in region.splitlines() if line.strip()}
    assert secret, "the source notebook should have solutions and hidden tests"
    released = {
        line.strip()
        for cell in read(RELEASE).cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
    }
    assert secret & released == set()


def test_release_solution_cells_hold_the_signature_docstring_and_stub_only():
    source = {meta(c)["grade_id"]: c.source for c in read(SOURCE).cells if meta(c).get("solution")}
    released = {
        meta(c)["grade_id"]: c.source for c in read(RELEASE).cells if meta(c).get("solution")
    }
    assert set(released) == set(source) and len(released) == 10
    for name, text in released.items():
        head = source[name].split("### BEGIN SOLUTION")[0]
        assert text == head + STUB, name


# --------------------------------------------------------------------------------------------
# The untouched release runs top to bottom
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_untouched_release_runs_to_the_end_and_its_tests_fail_with_not_implemented(tmp_path):
    nb = read(RELEASE)
    client = NotebookClient(nb, kernel_name="python3", timeout=60, allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})  # fmt: skip
    client.execute()  # raises DeadKernelError if the kernel dies
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "every cell ran"

    def error(cell):
        return next((o for o in cell.outputs if o.output_type == "error"), None)

    visible_tests = [
        c for c in code if meta(c).get("grade") and "check(" in c.source
    ]  # grade cells whose hidden part was cut hold only a docstring and run quietly
    assert len(visible_tests) >= 10
    for cell in visible_tests:
        assert error(cell) is not None and error(cell).ename == "NotImplementedError", cell.id
    # Every cell that stops with an error is tagged, so JupyterLab's Run All goes on past it.
    for cell in code:
        if error(cell) is not None:
            assert "raises-exception" in cell.metadata.get("tags", []), cell.id
            assert error(cell).ename == "NotImplementedError", (cell.id, error(cell).ename)
    # The figures still render, with a note where a function is not written yet.
    plots = [c for c in code if c.source.startswith("plot_")]
    assert len(plots) == 5
    for cell in plots:
        assert error(cell) is None
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.id
    assert not [c.id for c in code for o in c.outputs
                if o.output_type == "stream" and o.name == "stderr"]  # fmt: skip
