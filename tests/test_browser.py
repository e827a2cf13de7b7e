"""The notebooks work in a real JupyterLab driven by a real browser (headless Chromium).

One JupyterLab server (from .venv, on 127.0.0.1, serving a temporary copy of the notebooks) is
shared by the tests of this module. Each test opens a notebook, clicks Run > Run All Cells,
waits until every code cell has run, saves it with File > Save Notebook and then checks both
what the page shows (the DOM) and what JupyterLab wrote to the copy on disk.

Screenshots go to a temporary directory; with UPDATE_SCREENSHOTS=1 they overwrite the ones in
tests/screenshots/ that the README shows.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import browser_support as bs
import nbformat
import pytest

from autograder import course as courses

pytestmark = pytest.mark.browser

ASSIGNMENTS = courses.assignments()
ASSIGNMENT = ASSIGNMENTS[0].name  # the first: the one `make lab` opens
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
RELEASE = f"release/{NOTEBOOK}"
SOURCE = f"source/{NOTEBOOK}"


def _paths(assignment: str) -> tuple[str, str]:
    notebook = f"{assignment}/{assignment}.ipynb"
    return f"release/{notebook}", f"source/{notebook}"


def _prefix(assignment: courses.Assignment) -> str:
    """Its screenshots' prefix: none for the first assignment (the README shows them), else
    the first word of its name ("backprop_")."""
    return "" if assignment == ASSIGNMENTS[0] else assignment.name.split("_")[0] + "_"
# Wide enough for code and figures side by side with the margins; tall enough to show a
# markdown explanation, a code cell and a figure in one screenshot.
VIEWPORT = {"width": 1280, "height": 1000}


# --------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium; the only reason to skip the browser tests is that it is missing."""
    executable = bs.find_chromium()
    if executable is None:
        pytest.skip(
            f"Chromium was not found, so JupyterLab cannot be tested in a browser. "
            f"{bs.INSTALL_HINT}"
        )
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        try:
            chromium = bs.launch_chromium(playwright, executable)
        except PlaywrightError as error:
            pytest.skip(
                f"Chromium at {executable} could not be started: "
                f"{str(error).splitlines()[0]}. {bs.INSTALL_HINT}"
            )
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """A JupyterLab server on a temporary copy of the release and source notebooks."""
    root = tmp_path_factory.mktemp("lab-root")
    for relpath in [path for a in ASSIGNMENTS for path in _paths(a.name)]:
        original = bs.REPO / relpath
        assert original.is_file(), (
            f"{relpath} is missing: the browser test needs it. Write the source notebook, then "
            f"run `make release` to generate the release one."
        )
        # copy the whole assignment folder, in case the notebook reads files beside it
        shutil.copytree(
            original.parent,
            root / Path(relpath).parent,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
    server = bs.start_lab(root, tmp_path_factory.mktemp("lab-home"))
    yield server
    server.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)  # ms for single clicks/selectors on a busy 2-core machine
    yield page
    context.close()


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        target = bs.REPO / "tests" / "screenshots"
        target.mkdir(exist_ok=True)
        return target
    return tmp_path


# --------------------------------------------------------------------------------------------
# Reading the saved notebook

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes in IPython tracebacks
_FRAME = re.compile(r"\bin (\w+)\(")  # a traceback frame line: "Cell In[3], line 2, in f(z)"


def cell_label(cell, index: int) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {index} ({grade_id})" if grade_id else f"cell {index}"


def error_outputs(nb) -> list[tuple[str, str, str]]:
    """(cell label, exception name, exception message) of every error output."""
    return [
        (cell_label(cell, i), out.ename, out.evalue)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]


def raising_functions(nb) -> set[str]:
    """Names of the functions in which the notebook's NotImplementedErrors were raised.

    The innermost frame of a traceback names the function that raised; for an untouched stub
    that is the learner function itself (e.g. "in relu_derivative(z)").
    """
    names = set()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error" and out.ename == "NotImplementedError":
                frames = _FRAME.findall(_ANSI.sub("", "\n".join(out.traceback)))
                if frames:
                    names.add(frames[-1])
    return names


def solution_functions(nb) -> list[str]:
    """The learner functions: grade_ids of the nbgrader solution cells (named after them)."""
    return [
        cell.metadata["nbgrader"]["grade_id"]
        for cell in nb.cells
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")
    ]


def png_outputs(nb) -> list[str]:
    """Label of the cell of every PNG image output (matplotlib's inline figures)."""
    return [
        cell_label(cell, i)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    ]


def run_notebook(page, lab, relpath: str):
    """Open, Run All Cells, save; return the saved notebook and what the page shows per cell."""
    bs.open_notebook(page, lab, relpath)
    bs.run_all_cells(page, lab)
    bs.save_notebook(page, lab.root / relpath)
    shown = bs.notebook_outputs(page)
    saved = nbformat.read(lab.root / relpath, as_version=4)
    assert len(shown) == len(saved.cells), (
        f"The page shows {len(shown)} cells but {relpath} has {len(saved.cells)}: some cells "
        f"were not rendered."
    )
    return saved, shown


def check_figures_render(saved, shown, relpath: str) -> None:
    figures = png_outputs(saved)
    assert figures, f"Run All produced no matplotlib figure (no image/png output) in {relpath}."
    images = [(cell["index"], image) for cell in shown for image in cell["images"]]
    assert len(images) == len(figures), (
        f"{relpath}: the kernel sent {len(figures)} figures ({figures}) but the page shows "
        f"{len(images)} images."
    )
    broken = [index for index, image in images if not image["loaded"]]
    assert not broken, f"{relpath}: the figure images of cells {broken} did not load in the page."


def check_math_renders(saved, shown, relpath: str) -> None:
    has_math = any(c.cell_type == "markdown" and "$" in c.source for c in saved.cells)
    if has_math:
        assert sum(cell["math"] for cell in shown) > 0, (
            f"{relpath}: markdown cells contain $...$ math but MathJax rendered none of it."
        )
    bad = [(cell["index"], cell["mathErrors"]) for cell in shown if cell["mathErrors"]]
    assert not bad, f"{relpath}: MathJax could not typeset this LaTeX (cell, error): {bad}"


def called_after_another_stub(nb, stubs) -> set[str]:
    """The stubs that every code cell calling them calls only after calling another stub."""
    found = set()
    for name in stubs:
        callers = [c.source for c in nb.cells if c.cell_type == "code"
                   and f"{name}(" in c.source and f"def {name}(" not in c.source]

        def first(source: str, function: str) -> int:
            match = re.search(rf"\b{function}\(", source)
            return match.start() if match else -1

        if callers and all(any(0 <= first(src, other) < first(src, name)
                               for other in stubs if other != name) for src in callers):
            found.add(name)
    return found


def first_cell_with_image(shown) -> int:
    return next(cell["index"] for cell in shown if cell["images"])


def first_solution_cell(nb) -> int:
    return next(
        i for i, cell in enumerate(nb.cells) if cell.metadata.get("nbgrader", {}).get("solution")
    )


def heading_before(nb, index: int) -> int:
    """The markdown cell just above cell `index` if there is one, else `index` (screenshot top)."""
    return index - 1 if index > 0 and nb.cells[index - 1].cell_type == "markdown" else index


# --------------------------------------------------------------------------------------------
# Tests


def test_release_notebook_run_all_shows_the_stub_errors_and_renders_the_figures(
    page, lab, screenshot_dir, assignment
):
    RELEASE, _ = _paths(assignment.name)  # noqa: N806 (the module's name for the first one)
    prefix = _prefix(assignment)
    saved, shown = run_notebook(page, lab, RELEASE)

    errors = error_outputs(saved)
    assert errors, (
        "Run All on the untouched release notebook raised no error, but every learner "
        "function is a stub that raises NotImplementedError."
    )
    unexpected = [e for e in errors if e[1] != "NotImplementedError"]
    assert not unexpected, (
        "In the untouched release notebook every error should come from a stub "
        f"(NotImplementedError); these cells raised something else: {unexpected}"
    )
    shown_errors = [text for cell in shown for text in cell["errors"]]
    assert sum("NotImplementedError" in text for text in shown_errors) == len(errors), (
        f"The saved notebook has {len(errors)} NotImplementedError outputs but the page shows "
        f"{sum('NotImplementedError' in t for t in shown_errors)} of them."
    )
    stubs = solution_functions(saved)
    assert stubs, f"{RELEASE} has no nbgrader solution cells (the functions learners write)."
    # A stub whose every calling cell calls another stub first (backward_propagation's tests
    # run forward_propagation first) shows that one's NotImplementedError until it is written.
    silent = sorted(set(stubs) - raising_functions(saved) - called_after_another_stub(saved, stubs))
    assert not silent, (
        f"Run All on the release notebook never showed the NotImplementedError of these stubs "
        f"(no cell calls them, or they do not raise): {silent}"
    )
    check_figures_render(saved, shown, RELEASE)
    check_math_renders(saved, shown, RELEASE)

    bs.hide_side_panels(page)
    bs.scroll_cell_to_top(page, 0)
    page.screenshot(path=screenshot_dir / f"{prefix}release_notebook.png")
    bs.scroll_cell_to_top(page, heading_before(saved, first_solution_cell(saved)))
    page.screenshot(path=screenshot_dir / f"{prefix}release_notebook_first_exercise.png")
    bs.scroll_cell_to_top(page, heading_before(saved, first_cell_with_image(shown)))
    page.screenshot(path=screenshot_dir / f"{prefix}release_notebook_figure.png")


def test_source_notebook_run_all_passes_every_test_cell_and_renders_the_figures(
    page, lab, screenshot_dir, assignment
):
    _, SOURCE = _paths(assignment.name)  # noqa: N806 (the module's name for the first one)
    saved, shown = run_notebook(page, lab, SOURCE)

    grade_cells = [
        cell
        for cell in saved.cells
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")
    ]
    assert grade_cells, f"{SOURCE} has no nbgrader test (grade) cells."
    errors = error_outputs(saved)
    assert not errors, (
        f"Run All on the source notebook (the reference solution) should pass every test cell; "
        f"these cells raised: {errors}"
    )
    stderr_shown = [(cell["index"], cell["errors"]) for cell in shown if cell["errors"]]
    assert not stderr_shown, (
        f"{SOURCE}: the page shows error/stderr output in these cells (nbgrader gives no points "
        f"to a test cell that writes to stderr): {stderr_shown}"
    )
    check_figures_render(saved, shown, SOURCE)
    check_math_renders(saved, shown, SOURCE)

    bs.hide_side_panels(page)
    bs.scroll_cell_to_top(page, heading_before(saved, first_cell_with_image(shown)))
    page.screenshot(path=screenshot_dir / f"{_prefix(assignment)}source_notebook_run_all.png")


def test_make_lab_serves_the_course_root_and_opens_the_learners_notebook_without_errors(
    browser, page, tmp_path_factory
):
    # `make lab` runs in a copy of the course (its files, with their times, so the copy's
    # `make setup` is up to date; .venv is this one), so nothing it does can touch the checkout.
    course = tmp_path_factory.mktemp("make-lab-course")
    for name in ("Makefile", "requirements.txt", "requirements-lock.txt", "pyproject.toml",
                 "nbgrader_config.py"):
        shutil.copy2(bs.REPO / name, course / name)
    for folder in ("source", "release"):
        shutil.copytree(bs.REPO / folder, course / folder, copy_function=shutil.copy2)
    (course / ".venv").symlink_to(Path(sys.prefix))
    server = bs.start_lab(course, tmp_path_factory.mktemp("make-lab-home"), via_make=True)
    try:
        top = {item["name"] for item in server.api("contents")["content"]}
        assert {"nbgrader_config.py", "source", "release"} <= top  # served from the course root
        bs.open_notebook(page, server, RELEASE)
        title = page.locator(f"{bs.NOTEBOOK_PANEL} .jp-MarkdownCell").first.inner_text()
        assert "Derivatives of activation functions" in title  # the notebook's own heading
        log = server.log_path.read_text(errors="replace")
    finally:
        server.stop()
    errors = [line for line in log.splitlines() if line.startswith("[E ") or "ERROR" in line]
    assert not errors, "\n".join(errors)
    assert "is not a subdirectory of the notebook server root" not in log


def test_correct_answers_saved_by_jupyterlab_are_graded_full_marks(page, lab, tmp_path):
    """The release with correct answers, run and saved by the real JupyterLab (its own
    nbformat, metadata and outputs), then graded by the pipeline as handed in."""
    from autograder.isolation.sandbox import sandbox_problem
    from autograder.pipeline import grade
    from autograder.submissions import correct_answers, make_submission

    if sandbox_problem() is not None:
        pytest.skip(f"no sandbox: {sandbox_problem()}")
    relpath = f"answered/{NOTEBOOK}"
    (lab.root / relpath).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(make_submission(correct_answers()), str(lab.root / relpath))
    saved, _ = run_notebook(page, lab, relpath)
    assert not error_outputs(saved), error_outputs(saved)
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(lab.root / relpath, subs / "learner.ipynb")
    os.environ["PATH"] = f"{bs.REPO / '.venv' / 'bin'}:{os.environ['PATH']}"  # alembic
    (row,) = grade(subs, tmp_path / "out", progress=False, assignment=ASSIGNMENT).rows
    assert (row.score, row.status) == (row.max_score, "graded"), row.status


def test_a_failing_visible_test_shows_one_line_with_the_call_and_a_hint(
    page, lab, screenshot_dir
):
    # A learner whose relu uses Python's `if` (right on one number, wrong on an array).
    from autograder.submissions import correct_answers, make_submission

    relpath = f"mistake/{ASSIGNMENT}.ipynb"
    answers = {**correct_answers(), "relu": "if z > 0:\n    return z\nreturn 0.0"}
    (lab.root / "mistake").mkdir(exist_ok=True)
    nbformat.write(make_submission(answers), lab.root / relpath)
    saved, shown = run_notebook(page, lab, relpath)

    index = next(i for i, c in enumerate(saved.cells)
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "relu_values")
    (text,) = shown[index]["errors"]
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, f"the failing test shows {len(lines)} lines, not its message: {text}"
    assert lines[0].startswith(
        "Test failed: relu(np.array([-3.0, -1.0, 2.0, 5.0])) raised ValueError."), lines[0]
    assert "np.where" in lines[0] and "a.any()" not in lines[0]

    bs.hide_side_panels(page)
    bs.scroll_cell_to_top(page, index)
    page.screenshot(path=screenshot_dir / "visible_test_failure.png")
