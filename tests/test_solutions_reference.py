"""Every assignment's reference (solutions/<assignment>/reference.py), for each assignment the
course has (the ``assignment`` fixture of tests/conftest.py): the model answers the checks judge
learners against, and the signatures the catalogue's mistakes are compiled with.

What each reference computes is proven on its own in its assignment's files
(tests/test_solutions_activation_derivatives_*.py, tests/test_solutions_backprop_*.py).
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import pkgutil

import numpy as np

from autograder.submissions import read_notebook, solution_cells
from solutions import checking


def _notebook_functions(assignment) -> dict[str, ast.FunctionDef]:
    """Each learner function's ``def`` as the source notebook's solution cell writes it."""
    found = {}
    for name, cell in solution_cells(read_notebook(assignment.source)).items():
        tree = ast.parse(cell.source)
        found[name] = next(node for node in tree.body
                           if isinstance(node, ast.FunctionDef) and node.name == name)
    return found


def test_the_reference_defines_every_learner_function_with_the_notebooks_parameters(assignment):
    # The catalogue compiles each mistake with the reference's signature, and the checks call
    # learner functions as the reference is called: both must be the notebook's.
    reference = assignment.reference()
    for name, node in _notebook_functions(assignment).items():
        function = getattr(reference, name)
        parameters = list(inspect.signature(function).parameters.values())
        assert [p.name for p in parameters] == [a.arg for a in node.args.args], name
        defaults = [p.default for p in parameters if p.default is not inspect.Parameter.empty]
        assert defaults == [ast.literal_eval(d) for d in node.args.defaults], name
        assert ">>>" in (inspect.getdoc(function) or ""), f"{name} shows no example"


def test_every_module_of_the_package_runs_its_docstring_examples(assignment):
    # Each learner function's example (above) among them: they are run, not only shown.
    for info in pkgutil.iter_modules([str(assignment.package)]):
        module = importlib.import_module(f"solutions.{assignment.name}.{info.name}")
        failed, _ = doctest.testmod(module, report=True)
        assert failed == 0, f"{failed} docstring example(s) of {module.__name__} failed"


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=True))
    return a is b or a == b


def test_the_reference_leaves_every_argument_of_every_checked_call_as_it_was(assignment):
    # "Nothing here modifies its arguments": on each check's own calls, kernel seed.
    module = assignment.reference()
    namespace = {"__name__": "learner"}
    exec(compile(inspect.getsource(module), module.__file__, "exec"), namespace)  # noqa: S102
    for grade_id, check in assignment.checks().items():
        with checking.quiet():
            for call in check.calls(np.random.default_rng(checking.seed(grade_id))):
                result = checking.execute_call(call, namespace)
                assert result.error is None, (grade_id, result.error)
                assert _same(result.args_after, call.args), grade_id
