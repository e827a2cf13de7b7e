"""Every test cell keeps only its docstring, with the learner's own always-true asserts below
it, and loses its nbgrader metadata: repair must match it by the docstring yet never run the
learner's copy."""
# ruff: noqa
import ast

from autograder.submissions import grade_cells


def build(nb):
    for test in grade_cells(nb).values():
        doc = ast.get_docstring(ast.parse(test.source))
        test.source = f'"""{doc}"""\nassert True\nassert 1 == 1\n'
        del test.metadata["nbgrader"]
    return nb
