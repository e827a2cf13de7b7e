"""Forged metadata: the read-only set-up cell deleted, and a cell of the learner's own that
makes `check` accept anything carries the set-up cell's metadata."""
# ruff: noqa
from autograder.submissions import find_cell


def build(nb):
    setup = find_cell(nb, "setup")
    setup.source = ("import numpy as np\nimport matplotlib.pyplot as plt\n\n\n"
                    "def check(*args, **kwargs):\n    return None\n")
    return nb
