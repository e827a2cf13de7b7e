"""autograder.repair without a kernel: what repair makes of damaged notebooks."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.notebook import parse_notebook
from autograder.repair import NotGradable, Release, repair
from autograder.submissions import (
    RELEASE,
    correct_answers,
    delete_cell,
    find_cell,
    grade_cells,
    make_submission,
    read_notebook,
    single_cell_submission,
)

sys.path.insert(0, str(Path(__file__).parent))
from notebook_saves import SAVES, as_file  # noqa: E402

CORPUS = Path(__file__).with_name("adversarial")
RELEASED = read_notebook(RELEASE)
TESTS = grade_cells(RELEASED)  # grade_id -> the released test cell


@pytest.fixture(scope="module")
def release() -> Release:
    return Release.load(RELEASE)


def _ids(nb) -> list:
    return [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells]


def _metadata(nb) -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in nb.cells
            if "nbgrader" in c.metadata}


def _released_metadata() -> dict:
    return _metadata(RELEASED)


def _holds_the_releases_metadata(nb) -> bool:
    """Every test cell and the set-up cell once, and nothing but the release's metadata (a cell
    answering several functions holds the first one's grade_id only)."""
    found, released = _metadata(nb), _released_metadata()
    return set(TESTS) | {"setup"} <= set(found) and all(found[g] == released.get(g)
                                                         for g in found)


def _is_released_test(nb, grade_id) -> bool:
    return find_cell(nb, grade_id).source == TESTS[grade_id].source


def test_an_intact_notebook_needs_nothing(release):
    nb = make_submission(correct_answers())
    fixed = repair(nb, release)
    assert (fixed.status, fixed.notes) == ("", [])
    assert [(c.source, c.metadata) for c in fixed.notebook.cells] == \
        [(c.source, c.metadata) for c in nb.cells]


def test_a_colab_save_gets_every_cells_metadata_back_in_the_same_places(release):
    nb = parse_notebook(SAVES["colab"][0](correct_answers()))
    assert _metadata(nb) == {}  # Colab kept none
    fixed = repair(nb, release)
    assert _ids(fixed.notebook) == _ids(RELEASED)
    assert _metadata(fixed.notebook) == _released_metadata()
    # 35 test cells, 10 solution cells and the set-up cell carry nbgrader metadata.
    assert fixed.status == "repaired: nbgrader metadata restored on 46 cells"
    assert "Google Colab" in fixed.notes[0]


@pytest.mark.parametrize("minor", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("ids", [True, False])
@pytest.mark.parametrize("lines", [True, False])
def test_every_nbformat_4_minor_with_or_without_ids_and_either_source_form_is_read(
        release, minor, ids, lines):
    nb = make_submission(correct_answers())
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None) if cell.cell_type == "markdown" else None
    nb = parse_notebook(as_file(nb, minor=minor, ids=ids and minor == 5, lines=lines))
    fixed = repair(nb, release).notebook
    assert _metadata(fixed) == _released_metadata()
    assert fixed.nbformat_minor == 5
    assert len({c.id for c in fixed.cells}) == len(fixed.cells)  # unique ids, as 4.5 requires
    nbformat.validate(fixed)


@pytest.mark.parametrize("name", sorted(SAVES))
def test_every_save_of_the_corpus_repairs_to_the_releases_tests_and_metadata(release, name):
    fixed = repair(parse_notebook(SAVES[name][0](correct_answers())), release).notebook
    assert _holds_the_releases_metadata(fixed)
    assert all(_is_released_test(fixed, g) for g in TESTS)
    nbformat.validate(fixed)


def test_the_last_definition_of_a_function_is_the_solution_cell_and_earlier_ones_still_run(
        release):
    nb = make_submission(correct_answers())
    answer = find_cell(nb, "sigmoid")
    stub = copy.deepcopy(find_cell(RELEASED, "sigmoid"))
    nb.cells.insert(nb.cells.index(answer), stub)  # the same grade_id twice: a copy and paste
    fixed = repair(nb, release).notebook
    graded = find_cell(fixed, "sigmoid")
    assert "NotImplementedError" not in graded.source  # the answer, defined last
    plain = [c for c in fixed.cells if c.source == stub.source]
    assert len(plain) == 1 and "nbgrader" not in plain[0].metadata  # still there, ungraded


def test_an_answer_typed_below_the_untouched_stub_is_the_solution_cell(release):
    nb = make_submission(correct_answers())
    answer = find_cell(nb, "relu")
    nb.cells.insert(nb.cells.index(answer) + 1, new_code_cell(answer.source))
    answer.source = find_cell(RELEASED, "relu").source
    fixed = repair(nb, release)
    assert "NotImplementedError" not in find_cell(fixed.notebook, "relu").source
    assert fixed.status == ("repaired: nbgrader metadata restored on 1 cell, 1 duplicated cell "
                            "resolved (the last copy counts)")


def test_deleted_test_and_setup_cells_are_put_back_after_the_cell_before_them(release):
    nb = make_submission(correct_answers())
    for grade_id in ("setup", "relu_values", "relu_inputs"):
        nb = delete_cell(nb, grade_id)
    fixed = repair(nb, release)
    ids = _ids(fixed.notebook)
    assert ids.index("relu") + 1 == ids.index("relu_values")
    assert ids.index("relu_values") + 1 == ids.index("relu_inputs")
    assert ids.index("setup") < ids.index("sigmoid")
    assert _is_released_test(fixed.notebook, "relu_values")
    assert fixed.status == "repaired: 3 deleted cells put back"
    assert "The deleted test cells were put back: relu_values, relu_inputs." in fixed.notes


def test_a_test_cell_above_its_function_is_moved_below_it(release):
    nb = make_submission(correct_answers())
    test = find_cell(nb, "tanh_derivative_values")
    nb.cells.remove(test)
    nb.cells.insert(nb.cells.index(find_cell(nb, "tanh_derivative")), test)
    fixed = repair(nb, release)
    ids = _ids(fixed.notebook)
    assert ids.index("tanh_derivative") < ids.index("tanh_derivative_values")
    assert fixed.moved == ["tanh_derivative_values"]


def test_a_solution_cell_with_ipython_magics_is_still_recognised(release):
    nb = make_submission(correct_answers())
    cell = find_cell(nb, "relu")
    cell.source = "%%time\n" + cell.source
    cell.metadata = {}
    fixed = repair(nb, release).notebook
    assert find_cell(fixed, "relu").source.startswith("%%time")


def test_an_edited_test_cell_gets_the_releases_source(release):
    nb = make_submission(None)
    find_cell(nb, "relu_values").source = TESTS["relu_values"].source.split("\n")[0] + \
        "\nassert True"
    fixed = repair(nb, release).notebook
    assert _is_released_test(fixed, "relu_values")


def test_another_assignments_notebook_is_not_gradable_and_says_why(release):
    nb = new_notebook(cells=[new_markdown_cell("# Softmax"),
                             new_code_cell("def softmax(z):\n    return z")])
    with pytest.raises(NotGradable, match="no cell defines any of this assignment's functions"):
        repair(nb, release)
    with pytest.raises(NotGradable, match="has no code in it"):
        repair(new_notebook(cells=[new_markdown_cell("hello")]), release)


def test_an_untouched_release_is_gradable(release):
    assert repair(make_submission(None), release).status == ""


# ---------------------------------------------------------------------- cheats
CHEATS = sorted(p.stem for p in (CORPUS / "repair").glob("*.py"))


def _cheat(name):
    spec = importlib.util.spec_from_file_location(f"cheat_{name}", CORPUS / "repair" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    zeros = (CORPUS / "honest_all_zeros.py").read_text()
    return module.build(single_cell_submission(zeros))


@pytest.mark.parametrize("name", CHEATS)
def test_a_repaired_cheat_has_exactly_the_releases_test_cells_and_metadata(release, name):
    fixed = repair(_cheat(name), release)
    assert _holds_the_releases_metadata(fixed.notebook)
    assert all(_is_released_test(fixed.notebook, g) for g in TESTS)
    assert find_cell(fixed.notebook, "setup").source == find_cell(RELEASED, "setup").source


def test_a_made_up_grade_cell_loses_its_metadata(release):
    fixed = repair(_cheat("fake_grade_cell_100_points"), release)
    assert "extra_credit" not in _ids(fixed.notebook)
    assert fixed.removed == 1
    assert json.dumps(_metadata(fixed.notebook)).count('"points": 100') == 0


def test_a_solution_cell_with_a_syntax_error_is_still_found_by_its_def(release):
    nb = make_submission({**correct_answers(), "relu": "return np.maximum(0.0, z"})
    for cell in nb.cells:
        cell.metadata = {}
    fixed = repair(nb, release).notebook
    assert "np.maximum(0.0, z" in find_cell(fixed, "relu").source


def test_an_edited_read_only_cell_runs_as_released_then_as_the_learners_own(release):
    nb = make_submission(correct_answers())
    setup = find_cell(nb, "setup")
    setup.source = "from numpy import exp\n" + setup.source  # VS Code locks nothing
    fixed = repair(nb, release)
    cells = fixed.notebook.cells
    at = cells.index(find_cell(fixed.notebook, "setup"))
    assert cells[at].source == find_cell(RELEASED, "setup").source
    assert cells[at + 1].source.startswith("from numpy import exp")
    assert "nbgrader" not in cells[at + 1].metadata
    assert fixed.status == "repaired: 1 edited read-only cell run after the released one"


def test_a_cell_too_deeply_nested_for_the_parser_does_not_stop_repair(release):
    nb = make_submission(correct_answers())
    # 5000 nested additions exceed CPython's parser depth (RecursionError, not SyntaxError).
    nb.cells.insert(3, new_code_cell("x = 1" + " + 1" * 5000))
    for cell in nb.cells:
        cell.metadata = {}
    fixed = repair(nb, release).notebook
    assert _holds_the_releases_metadata(fixed)
