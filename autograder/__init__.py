"""The grading pipeline of the activation-derivatives course (python -m autograder)."""

import sys

# jsonschema, imported by nbformat and nbgrader, builds the grammars of the optional package
# rfc3987_syntax (pulled in by jupyter-events) at import: about 3 s of every grading process's
# start-up, for the "iri" and "iri-reference" string formats, which neither the notebook format
# nor nbgrader's schemas use. Declaring the package absent makes jsonschema skip those two
# formats, as it does wherever the package is not installed.
if "rfc3987_syntax" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
