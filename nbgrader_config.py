"""nbgrader configuration for this course directory (the repository root).

The module has two assignments, ASSIGNMENTS below, in the order learners take them; each is a
folder of source/. `make release` (nbgrader generate_assignment NAME, for each) builds release/
from source/ and enters both in the gradebook, so the formgrader lists both with their points;
`python -m autograder grade SUBMISSIONS --assignment NAME --out DIR` grades one of them and reads
this file too.
"""

import os

c = get_config()  # noqa: F821 (injected by traitlets when nbgrader loads this file)

# The course's assignments, in order (tests/assignments/test_course.py checks them against
# source/ and release/, and that nbgrader's formgrader API lists them).
ASSIGNMENTS = ["activation_derivatives", "backprop_one_hidden_layer"]

c.CourseDirectory.course_id = "activation-derivatives"

# What a learner sees in place of a solution.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A cell that loops forever is interrupted after this many seconds, so later cells still run.
c.Execute.timeout = 10
c.Execute.interrupt_on_timeout = True

# ------------------------------------------------------------------------------------------
# Instructor setting: the derivative of ReLU and Leaky ReLU at exactly z = 0.
#   "course"      -> z = 0 must give 0 for ReLU and alpha for Leaky ReLU (as the notebook teaches).
#   "subgradient" -> any value in the subgradient interval is accepted: [0, 1] for ReLU and
#                    [alpha, 1] for Leaky ReLU (the lecture's "either value works").
# The hidden tests read it from the environment, which the grading kernels inherit.
# ------------------------------------------------------------------------------------------
os.environ.setdefault("ACTIVATION_KINK_POLICY", "course")
