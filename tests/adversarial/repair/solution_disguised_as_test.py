"""Forged metadata: the learner's solution cell (which only defines functions, so it always
"passes") carries the metadata of a test cell worth 100 points, and the real test is deleted;
then every visible test cell is replaced by a copy of that solution cell under the test's
metadata."""
# ruff: noqa
import copy

from autograder.submissions import find_cell, grade_cells


def build(nb):
    answer = find_cell(nb, "sigmoid")
    for grade_id, test in grade_cells(nb).items():
        if "check(" in test.source:  # a visible test: disguise a copy of the answer as it
            test.source = answer.source
    real = find_cell(nb, "sigmoid_inputs")
    disguise = copy.deepcopy(real.metadata.nbgrader)
    disguise["points"] = 100
    nb.cells.remove(real)
    answer.metadata.nbgrader = disguise
    return nb
