"""The committed notebooks of every assignment: well formed, saying what they grade, and the
release leaking nothing of the answers.

release/ is never edited by hand: `make release` (nbgrader generate_assignment) writes it from
source/ (tests/assignments/test_course.py proves the committed release is nbgrader's output).
Everything here reads files; no kernel runs.
"""

from __future__ import annotations

import ast
import inspect
import re

import nbformat
import pytest

from autograder import course
from autograder import submissions as subs

from . import corpus

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
STUB = "# YOUR CODE HERE\n    raise NotImplementedError()"
HIDDEN_NOTICE = "Hidden test: it runs when your notebook is graded."
MORE_HIDDEN = "More of this test is hidden"


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def regions(source: str, begin: str, end: str) -> list[str]:
    """The text strictly between each begin/end marker pair."""
    pattern = rf"^[ \t]*### {begin}[^\n]*\n(.*?)^[ \t]*### {end}"
    return re.findall(pattern, source, re.MULTILINE | re.DOTALL)


def grade_test_cells(nb) -> list:
    return [c for c in nb.cells if meta(c).get("grade") and not meta(c).get("solution")]


def visible_part(source: str) -> str:
    """A test cell's code outside its hidden block, without docstring, comments and prints of
    constants: what it tests in the learner's sight ('' when nothing)."""
    source = re.sub(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[^\n]*", "", source,
                    flags=re.S | re.M)
    tree = ast.parse(source)
    kept = [node for node in tree.body
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
            and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                     and getattr(node.value.func, "id", "") == "print"
                     and all(isinstance(arg, ast.Constant) for arg in node.value.args))]
    return "\n".join(ast.unparse(node) for node in kept)


def bare(signature: inspect.Signature) -> inspect.Signature:
    """The signature without annotations (the learner's def line has none)."""
    empty = inspect.Parameter.empty
    return signature.replace(
        parameters=[p.replace(annotation=empty) for p in signature.parameters.values()],
        return_annotation=empty)


# --------------------------------------------------------------------------------------------
# Well formed
# --------------------------------------------------------------------------------------------


def test_source_and_release_are_valid_with_unique_cell_and_grade_ids(assignment):
    for path in (assignment.source, assignment.release):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        ids = [cell.id for cell in nb.cells]
        assert len(ids) == len(set(ids)), path
        grade_ids = [meta(c)["grade_id"] for c in nb.cells if meta(c)]
        assert len(grade_ids) == len(set(grade_ids)), path


def test_source_and_release_are_committed_without_outputs(assignment):
    for path in (assignment.source, assignment.release):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (path.name, cell.id)


def test_each_learner_function_has_one_solution_cell_with_the_reference_s_signature(assignment):
    cells = subs.solution_cells(subs.read_notebook(assignment.source))
    assert cells, "the source notebook has no solution cells"
    for name, cell in cells.items():
        (function,) = [n for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
        assert function.name == name
        namespace: dict = {}
        exec(f"def {name}{ast.unparse(function.args).join('()')}: pass", namespace)
        written = inspect.signature(namespace[name])
        assert written == bare(corpus.signature(assignment, name)), name
        assert ast.get_docstring(function), f"{name} has no docstring"


def test_the_set_up_cells_are_locked(assignment):
    setups = [c for c in subs.read_notebook(assignment.source).cells
              if c.cell_type == "code" and meta(c) and not meta(c).get("grade")
              and not meta(c).get("solution")]  # fmt: skip
    assert setups, "no set-up cell"
    for cell in setups:
        assert meta(cell)["locked"], cell.id


# --------------------------------------------------------------------------------------------
# Grade cells say what they grade
# --------------------------------------------------------------------------------------------


def test_grade_cells_are_the_checks_table_locked_and_going_on_past_errors(assignment):
    checks = assignment.checks()
    cells = grade_test_cells(subs.read_notebook(assignment.source))
    assert [meta(c)["grade_id"] for c in cells] == list(checks)  # one entry each, same order
    hidden_call = re.compile(
        rf'^### BEGIN HIDDEN TESTS\nfrom solutions\.{assignment.name}\.checks import '
        r'run_check; run_check\("(\w+)", globals\(\)\)\n### END HIDDEN TESTS$', re.MULTILINE)
    for cell in cells:
        grade_id = meta(cell)["grade_id"]
        assert meta(cell)["locked"] and meta(cell)["points"] > 0, grade_id
        assert "raises-exception" in cell.metadata.get("tags", []), grade_id
        assert cell.id == grade_id
        assert cell.source.splitlines()[0] == f'"""{checks[grade_id].description}"""', grade_id
        assert checks[grade_id].function in corpus.functions(assignment), grade_id
        hidden = hidden_call.findall(cell.source)
        assert hidden == ([grade_id] if checks[grade_id].hidden else []), grade_id
        assert cell.source.count("run_check(") == len(hidden), grade_id


def test_every_grade_cell_says_whether_part_of_it_is_hidden(assignment):
    released = {meta(c)["grade_id"]: c for c in grade_test_cells(corpus.release(assignment))}
    for cell in grade_test_cells(subs.read_notebook(assignment.source)):
        grade_id = meta(cell)["grade_id"]
        title = cell.source.splitlines()[0]
        hidden = "### BEGIN HIDDEN TESTS" in cell.source
        visible = bool(visible_part(cell.source))
        assert hidden or visible, f"{grade_id} tests nothing"
        if hidden and visible:
            assert title.endswith('(and a hidden test)."""'), title
            assert MORE_HIDDEN in cell.source, grade_id  # said once the visible part passes
        elif hidden:
            assert title.endswith('(hidden test)."""'), title
            assert f'print("{HIDDEN_NOTICE}")' in released[grade_id].source, grade_id
        else:
            assert "hidden" not in title, title


def test_part_headings_state_the_points_of_the_grade_cells_below_them(assignment):
    nb = subs.read_notebook(assignment.source)
    claimed, earned, part = {}, {}, None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for level, title, points in re.findall(r"^(#{2,3}) (.*?) \((\d+) points?\)$",
                                                   cell.source, re.MULTILINE):
                if level == "##":
                    part = title
                    claimed[part] = int(points)
        elif meta(cell).get("grade") and not meta(cell).get("solution"):
            earned[part] = earned.get(part, 0) + meta(cell)["points"]
    assert None not in earned, "a grade cell stands above the first part heading"
    assert claimed == earned
    total = sum(claimed.values())
    assert f"| | **total** | **{total}** |" in nb.cells[0].source


def test_the_lesson_never_sends_the_learner_to_an_instructor_setting(assignment):
    if not assignment.settings:
        pytest.skip("the manifest names no instructor setting")
    markdown = " ".join(c.source for c in subs.read_notebook(assignment.source).cells
                        if c.cell_type == "markdown")
    for setting in assignment.settings:
        assert setting not in markdown


# --------------------------------------------------------------------------------------------
# The release leaks nothing
# --------------------------------------------------------------------------------------------


def test_release_solution_cells_hold_the_signature_docstring_and_stub_only(assignment):
    source = subs.solution_cells(subs.read_notebook(assignment.source))
    released = subs.solution_cells(corpus.release(assignment))
    assert set(released) == set(source) == set(corpus.functions(assignment))
    for name, cell in released.items():
        assert cell.source == source[name].source.split("### BEGIN SOLUTION")[0] + STUB, name


def test_no_marker_hidden_test_call_or_reference_import_in_the_release(assignment):
    text = assignment.release.read_text(encoding="utf-8")
    for marker in (*MARKERS, "run_check", "solutions"):
        assert marker not in text, marker


def test_no_line_of_solution_code_or_hidden_tests_appears_in_the_release(assignment):
    secret = set()
    for cell in subs.read_notebook(assignment.source).cells:
        for region in (regions(cell.source, "BEGIN SOLUTION", "END SOLUTION")
                       + regions(cell.source, "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")):
            secret |= {line.strip() for line in region.splitlines() if line.strip()}
    assert secret, "the source notebook should have solutions and hidden tests"
    released = {line.strip() for cell in corpus.release(assignment).cells
                if cell.cell_type == "code" for line in cell.source.splitlines()}
    assert secret & released == set()


def test_no_file_of_the_solutions_package_reaches_the_release(assignment):
    package = {p.read_bytes() for p in (assignment.course / "solutions").rglob("*.py")}
    names = {p.name for p in (assignment.course / "solutions").rglob("*.py")}
    for path in assignment.release.parent.rglob("*"):
        if path.is_file():
            assert path.name not in names and path.read_bytes() not in package, path


def test_the_release_hands_out_no_other_assignment_s_learner_function(assignment):
    """No other assignment's learner function is defined, imported or called in the release's
    code (its name in a docstring or comment, as mathematics, hands nothing out)."""
    import ast

    used = set()
    for cell in corpus.release(assignment).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                used.add(node.name)
            elif isinstance(node, ast.Name):
                used.add(node.id)
            elif isinstance(node, ast.alias):
                used.add(node.asname or node.name.split(".")[-1])
    own = set(corpus.functions(assignment))
    others = [a for a in course.assignments(assignment.course) if a.name != assignment.name]
    if not others:
        pytest.skip("the course has no other assignment")
    for other in others:
        handed = sorted((set(corpus.functions(other)) - own) & used)
        assert handed == [], f"{other.name}'s {handed}"


def test_the_release_and_the_model_answers_need_no_repair(assignment):
    # The release's own cells (a demonstration that rebinds a learner function and puts it
    # back, say) are the notebook's code, not a second answer.
    from autograder.repair import Release, repair

    release = Release.load(assignment.release)
    for nb in (corpus.release(assignment), corpus.submission(assignment)):
        fixed = repair(nbformat.reads(nbformat.writes(nb), 4), release)
        assert (fixed.status, fixed.notes) == ("", [])
