"""The grading pipeline of the course (python -m autograder)."""

import ast
import sys
import threading

# jsonschema, imported by nbformat and nbgrader, builds the grammars of the optional package
# rfc3987_syntax (pulled in by jupyter-events) at import: about 3 s of every grading process's
# start-up, for the "iri" and "iri-reference" string formats, which neither the notebook format
# nor nbgrader's schemas use. Declaring the package absent makes jsonschema skip those two
# formats, as it does wherever the package is not installed.
if "rfc3987_syntax" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]

# CPython 3.11's AST constructor keeps its recursion depth in state shared by the threads that
# grade side by side, and now and then raises "SystemError: AST constructor recursion depth
# mismatch" (python/cpython#106905) when two of them parse at once (seen: 1 notebook in 168).
# Parsing is a few milliseconds a notebook: this process parses one source at a time.
if sys.version_info < (3, 12) and not getattr(ast.parse, "one_at_a_time", False):
    _parse, _parsing = ast.parse, threading.Lock()

    def _parse_one_at_a_time(*args, **kwargs):
        with _parsing:
            return _parse(*args, **kwargs)

    _parse_one_at_a_time.one_at_a_time = True
    ast.parse = _parse_one_at_a_time
