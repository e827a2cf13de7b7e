"""release/backprop_one_hidden_layer/ is nbgrader's output for its source, leaks nothing of
either assignment's answers, and runs untouched.

`make release` (nbgrader generate_assignment) writes it; these tests prove that what is
committed is exactly what nbgrader makes from source/ now.
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
from test_backprop_notebook import FIRST_ASSIGNMENT

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "backprop_one_hidden_layer"
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
    pattern = rf"^[ \t]*### {begin}[^\n]*\n(.*?)^[ \t]*### {end}"
    return re.findall(pattern, source, re.MULTILINE | re.DOTALL)


def release_files():
    return sorted(p for p in (RELEASE_DIR / ASSIGNMENT).rglob("*") if p.is_file())


# --------------------------------------------------------------------------------------------
# Generated, not edited
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_release_is_what_generate_assignment_makes_from_source_now(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "source", course / "source")
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
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


def test_release_holds_one_notebook_per_assignment_and_nothing_else():
    everything = sorted(p.relative_to(RELEASE_DIR) for p in RELEASE_DIR.rglob("*") if p.is_file())
    assert everything == [
        Path("activation_derivatives/activation_derivatives.ipynb"),
        Path(f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"),
    ]


def test_release_is_committed_without_outputs():
    for cell in read(RELEASE).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id


# --------------------------------------------------------------------------------------------
# Nothing of either assignment's answers leaks
# --------------------------------------------------------------------------------------------


def test_no_marker_hidden_test_call_or_reference_import_in_release():
    text = RELEASE.read_text(encoding="utf-8")
    for marker in MARKERS + ("run_check", "solutions", "backprop_checks"):
        assert marker not in text, marker


def test_no_line_of_solution_code_or_hidden_tests_appears_in_release():
    secret = set()
    for cell in read(SOURCE).cells:
        for region in regions(cell.source, "BEGIN SOLUTION", "END SOLUTION") + regions(
            cell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
        ):
            secret |= {line.strip() for line in region.splitlines() if line.strip()}
    assert len(secret) > 50, "the source notebook should have solutions and hidden tests"
    released = {line.strip() for cell in read(RELEASE).cells if cell.cell_type == "code"
                for line in cell.source.splitlines()}  # fmt: skip
    assert secret & released == set()


def test_release_does_not_hand_out_the_first_assignment_s_functions():
    code = "\n".join(c.source for c in read(RELEASE).cells if c.cell_type == "code")
    for name in FIRST_ASSIGNMENT:
        assert not re.search(rf"\b{name}\(", code), name
    first = read(RELEASE_DIR / "activation_derivatives" / "activation_derivatives.ipynb")
    answers = {line.strip() for cell in first.cells if meta(cell).get("solution")
               for line in cell.source.split('"""')[-1].splitlines()} - {""}  # fmt: skip
    assert answers, "the first release's solution cells should hold stubs"
    assert answers - {"# YOUR CODE HERE", "raise NotImplementedError()"} == set()


def test_release_solution_cells_hold_the_signature_docstring_and_stub_only():
    source = {meta(c)["grade_id"]: c.source for c in read(SOURCE).cells if meta(c).get("solution")}
    released = {meta(c)["grade_id"]: c.source for c in read(RELEASE).cells
                if meta(c).get("solution")}  # fmt: skip
    assert set(released) == set(source) and len(released) == 8
    for name, text in released.items():
        assert text == source[name].split("### BEGIN SOLUTION")[0] + STUB, name


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

    visible_tests = [c for c in code if meta(c).get("grade") and "Hidden test" not in c.source]
    assert len(visible_tests) == 7  # one per part
    for cell in visible_tests:
        assert error(cell) is not None and error(cell).ename == "NotImplementedError", cell.id
    for cell in code:
        if error(cell) is not None:
            assert "raises-exception" in cell.metadata.get("tags", []), cell.id
            assert error(cell).ename == "NotImplementedError", (cell.id, error(cell).ename)
    plots = [c for c in code if c.source.startswith("plot_")]
    assert len(plots) == 5
    for cell in plots:  # drawn, with a note where a function is not written yet
        assert error(cell) is None
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.id
    assert not [c.id for c in code for o in c.outputs
                if o.output_type == "stream" and o.name == "stderr"]  # fmt: skip
