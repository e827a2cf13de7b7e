"""Forged metadata: a made-up grade cell worth 100 points that prints "ok", and a real test
cell's points raised to 100 with its checks replaced by a print."""
# ruff: noqa
from autograder.submissions import find_cell
from nbformat.v4 import new_code_cell


def build(nb):
    forged = {"grade": True, "grade_id": "extra_credit", "locked": True, "points": 100,
              "schema_version": 3, "solution": False, "task": False}
    nb.cells.append(new_code_cell('print("ok")', metadata={"nbgrader": forged}))
    test = find_cell(nb, "sigmoid_values")
    test.metadata.nbgrader["points"] = 100
    test.source = '"""sigmoid gives the right numbers at a few known points."""\nprint("ok")'
    return nb
