"""nbgrader configuration for this course directory (the repository root).

`nbgrader generate_assignment activation_derivatives` builds release/ from source/;
`python -m autograder grade` reads this file too.
"""

import os

c = get_config()  # noqa: F821 (injected by traitlets when nbgrader loads this file)

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
