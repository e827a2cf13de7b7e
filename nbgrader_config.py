"""nbgrader configuration for this course directory (the repository root).

The module's assignments are the folders of source/, each with its solutions/<name>/ package;
ASSIGNMENTS below lists them in the order learners take them (each manifest's `order`), so
adding an assignment needs no line here. `make release` (nbgrader generate_assignment NAME, for
each) builds release/ from source/ and enters them in the gradebook, so the formgrader lists
them with their points; `python -m autograder grade SUBMISSIONS --out DIR` grades one of them
and reads this file too.
"""

import os
import tomllib
from pathlib import Path

c = get_config()  # noqa: F821 (injected by traitlets when nbgrader loads this file)

_HERE = Path(__file__).resolve().parent


def _order(name: str) -> tuple:
    manifest = _HERE / "solutions" / name / "manifest.toml"
    data = tomllib.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else {}
    return (data.get("order", 1000), name)


# The course's assignments, in order (tests/assignments/test_course.py checks them against
# source/ and release/, and that nbgrader's formgrader API lists them).
ASSIGNMENTS = sorted((p.name for p in (_HERE / "source").iterdir()
                      if (p / f"{p.name}.ipynb").is_file()), key=_order)

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
