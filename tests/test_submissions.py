"""autograder.submissions builds learner submissions that look exactly like real ones, for every
assignment of the course (the `assignment` fixture)."""

import ast
import copy
import json

import nbformat
import pytest
from answers_support import honest
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.preprocessors import ClearSolutions, ComputeChecksums, LockCells

from autograder import submissions
from autograder.submissions import (
    ASSIGNMENT,
    BROKEN,
    FIRST,
    RELEASE,
    SOURCE,
    correct_answers,
    grade_cells,
    make_submission,
    solution_cells,
    write_class,
)

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "YOUR CODE HERE", "NotImplementedError")


def _without_source(nb):
    """The notebook's cells with their sources blanked: what must survive a fill-in unchanged."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.source = ""
    return nb


# --------------------------------------------------------------------------------------------
# A two-function course notebook, released with nbgrader's own preprocessors, so the parsing
# is pinned down independently of the real notebook's contents.
# --------------------------------------------------------------------------------------------

MINI_SOURCE = '''def relu(z):
    """ReLU."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)

    if z.ndim == 0:
        return np.maximum(0.0, z)[()]
    return np.maximum(0.0, z)
    ### END SOLUTION'''


@pytest.fixture
def mini(tmp_path):
    def solution(grade_id, source):
        meta = {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3,
                "solution": True, "task": False}  # fmt: skip
        return new_code_cell(source, metadata={"nbgrader": meta})

    test_meta = {"grade": True, "grade_id": "relu_values", "locked": True, "points": 1,
                 "schema_version": 3, "solution": False, "task": False}  # fmt: skip
    nb = new_notebook(
        cells=[
            new_code_cell("import numpy as np"),
            solution("relu", MINI_SOURCE),
            new_code_cell("assert relu(-1.0) == 0", metadata={"nbgrader": test_meta}),
        ]
    )
    source, release = tmp_path / "source.ipynb", tmp_path / "release.ipynb"
    nbformat.write(nb, source)
    stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    for preprocessor in (ClearSolutions(code_stub=stub), LockCells(), ComputeChecksums()):
        nb, _ = preprocessor.preprocess(nb, {})
    nbformat.write(nb, release)
    return source, release


def test_correct_answer_is_the_solution_region_dedented_with_inner_blank_lines_kept(mini):
    source, _ = mini
    assert correct_answers(source) == {
        "relu": "z = np.asarray(z, dtype=float)\n\nif z.ndim == 0:\n"
        "    return np.maximum(0.0, z)[()]\nreturn np.maximum(0.0, z)"
    }


def test_filled_cell_is_the_source_cell_without_its_markers(mini):
    source, release = mini
    filled = solution_cells(make_submission(correct_answers(source), release=release))["relu"]
    expected = "\n".join(line for line in MINI_SOURCE.split("\n") if "SOLUTION" not in line)
    assert filled.source == expected


def test_filling_an_unknown_function_is_refused_with_the_known_names(mini):
    _, release = mini
    with pytest.raises(KeyError, match="relu_prime.*functions are: relu"):
        make_submission({"relu_prime": "return 1.0"}, release=release)


def test_a_solution_cell_without_markers_is_reported(tmp_path):
    meta = {"solution": True, "grade": False, "grade_id": "relu"}
    cell = new_code_cell("def relu(z):\n    return z", metadata={"nbgrader": meta})
    nbformat.write(new_notebook(cells=[cell]), tmp_path / "source.ipynb")
    with pytest.raises(ValueError, match="'relu'.*exactly one ### BEGIN SOLUTION"):
        correct_answers(tmp_path / "source.ipynb")


def test_missing_release_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="make release"):
        make_submission(None, release=tmp_path / "nowhere.ipynb")


# --------------------------------------------------------------------------------------------
# The course's notebooks, each assignment's
# --------------------------------------------------------------------------------------------


def _functions(a) -> set[str]:
    """The learner functions of `a`: its release's solution cells."""
    return set(solution_cells(nbformat.read(a.release, as_version=4)))


def test_the_defaults_are_the_courses_first_assignment():
    first = submissions.course.assignments()[0]
    assert (FIRST, ASSIGNMENT, SOURCE, RELEASE) == (first, first.name, first.source,
                                                     first.release)
    assert SOURCE.is_file() and RELEASE.is_file()


def test_correct_answers_cover_every_learner_function(assignment):
    functions = _functions(assignment)
    assert functions and set(correct_answers(assignment.source)) == functions


def test_correct_answers_hold_no_nbgrader_markers_and_parse(assignment):
    for name, code in correct_answers(assignment.source).items():
        assert not any(marker in code for marker in MARKERS), name
        # A body with `return` at top level parses once wrapped in a function.
        ast.parse("def f():\n" + "\n".join("    " + line for line in code.split("\n")))


def test_correct_submission_solution_cells_hold_no_markers_and_define_their_function(
        assignment):
    nb = make_submission(correct_answers(assignment.source), release=assignment.release)
    cells = solution_cells(nb)
    assert set(cells) == _functions(assignment)
    for name, cell in cells.items():
        assert not any(marker in cell.source for marker in MARKERS), name
        tree = ast.parse(cell.source)
        assert name in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_filling_answers_changes_only_solution_cell_sources(assignment):
    release = nbformat.read(assignment.release, as_version=4)
    nb = make_submission(correct_answers(assignment.source), release=assignment.release)
    # Metadata (grade_id, points, checksums, locks), cell order and notebook metadata: unchanged.
    assert _without_source(nb) == _without_source(release)
    changed = {
        submissions.nbgrader_metadata(new).get("grade_id")
        for new, old in zip(nb.cells, release.cells, strict=True)
        if new.source != old.source
    }
    assert changed == _functions(assignment)


def test_untouched_submission_is_the_release_itself(assignment):
    untouched = make_submission(None, release=assignment.release)
    assert untouched == nbformat.read(assignment.release, as_version=4)


def test_test_cells_are_released_unchanged_in_every_submission(assignment):
    release_tests = grade_cells(nbformat.read(assignment.release, as_version=4))
    assert release_tests, "the release should have test cells"
    answers = [correct_answers(assignment.source)]
    answers += [variant for _, variant in honest(assignment).values()]
    answers += [{**answers[0], entry.function: entry.code} for entry in assignment.catalogue()]
    for each in answers:
        assert grade_cells(make_submission(each, release=assignment.release)) == release_tests


def test_each_honest_variant_answers_only_the_releases_functions(assignment):
    correct = correct_answers(assignment.source)
    for name, (what, answers) in honest(assignment).items():
        assert what and set(answers) == set(correct), name
        assert answers != correct, f"{name} is the model answers themselves"


def test_each_catalogue_mistake_changes_exactly_its_own_function(assignment):
    correct = correct_answers(assignment.source)
    entries = assignment.catalogue()
    if not entries:
        pytest.skip(f"{assignment.name} has no catalogue of known mistakes")
    for entry in entries:
        assert entry.function in correct, entry.key
        assert entry.code.strip() != correct[entry.function].strip(), entry.key
        nb = make_submission({**correct, entry.function: entry.code}, release=assignment.release)
        release = make_submission(correct, release=assignment.release)
        differs = {name for name, cell in solution_cells(nb).items()
                   if cell.source != solution_cells(release)[name].source}
        assert differs == {entry.function}, entry.key


def test_broken_builders_return_a_notebook_or_raw_bytes():
    for key, build in BROKEN.items():
        content = build()
        assert isinstance(content, bytes | nbformat.NotebookNode), key
    with pytest.raises(json.JSONDecodeError):
        json.loads(BROKEN["not_json"]())


def test_the_broken_builders_break_the_releases_first_function():
    first = next(iter(solution_cells(nbformat.read(RELEASE, as_version=4))))
    cells = solution_cells(BROKEN["syntax_error"]())
    with pytest.raises(SyntaxError):
        ast.parse(cells[first].source)
    for name, cell in cells.items():  # every other function keeps its model answer
        if name != first:
            ast.parse(cell.source)
    assert "while True" in solution_cells(BROKEN["infinite_loop"]())[first].source


# --------------------------------------------------------------------------------------------
# Writing a class
# --------------------------------------------------------------------------------------------


def test_write_class_nbgrader_layout(tmp_path):
    nb = make_submission(None)
    paths = write_class(tmp_path, {"ada": nb, "ben": b"not json"})
    assert paths == [
        tmp_path / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
        tmp_path / "ben" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
    ]
    assert nbformat.read(paths[0], as_version=4) == nb
    assert paths[1].read_bytes() == b"not json"


def test_write_class_flat_layout_and_a_misnamed_file(tmp_path):
    nb = make_submission(None)
    paths = write_class(tmp_path, {"ada": nb, "ben": ("my_homework.ipynb", nb)}, layout="flat")
    assert paths == [tmp_path / "ada.ipynb", tmp_path / "my_homework.ipynb"]


def test_write_class_misnamed_file_in_nbgrader_layout(tmp_path):
    (path,) = write_class(tmp_path, {"ben": ("my_homework.ipynb", make_submission(None))})
    assert path == tmp_path / "ben" / ASSIGNMENT / "my_homework.ipynb"


@pytest.mark.parametrize("student_id", ["", "../escape", "a/b", ".hidden"])
def test_write_class_refuses_student_ids_that_are_not_folder_names(tmp_path, student_id):
    with pytest.raises(ValueError, match="cannot be used as a folder name"):
        write_class(tmp_path, {student_id: b"{}"})


def test_write_class_refuses_an_unknown_layout(tmp_path):
    with pytest.raises(ValueError, match="'nbgrader' or 'flat'"):
        write_class(tmp_path, {"ada": b"{}"}, layout="zip")


def test_the_same_answers_give_the_same_bytes_so_regrading_can_skip_unchanged_work():
    # The pipeline skips a submission whose content hash it has seen: builds must be stable.
    _, answers = honest()["lecture"]
    assert nbformat.writes(make_submission(answers)) == nbformat.writes(make_submission(answers))
