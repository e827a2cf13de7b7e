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


def _one_syntax_tree_at_a_time() -> None:
    """Python 3.11.0-3.11.7 and 3.12.0-3.12.1 count the depth of the syntax tree being built in
    state that every thread shares: two threads parsing at once (the grading threads repair and
    read notebooks) can make either raise "SystemError: AST constructor recursion depth
    mismatch" (CPython gh-106905, fixed in 3.11.8 and 3.12.2). There, ast.parse (and
    ast.literal_eval, which calls it) builds one tree at a time in this process."""
    import functools

    parse, lock = ast.parse, threading.RLock()

    @functools.wraps(parse)
    def one_at_a_time(*args, **kwargs):
        with lock:
            return parse(*args, **kwargs)

    ast.parse = one_at_a_time


if (3, 11) <= sys.version_info[:3] < (3, 11, 8) or (3, 12) <= sys.version_info[:3] < (3, 12, 2):
    _one_syntax_tree_at_a_time()
