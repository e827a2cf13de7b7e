"""Notebooks as real learners hand them in: the release with a set of answers, then
saved by another client or edited in a way that damages it. Built from the release notebook and
the answers every time, so they follow changes to the notebook.

Each builder takes answers (function name -> body, as `autograder.submissions` uses them) and
returns the file's bytes. What each client writes is taken from its documented behaviour:

- Google Colab saves nbformat 4.0 (no cell ids), drops every cell's metadata except its own
  `id` (and `colab`/`outputId` on code cells that have output), keeps the outputs, and writes
  notebook metadata `colab`, `accelerator` and a short kernelspec.
- VS Code (Jupyter extension) keeps the metadata it read and adds `vscode` keys (a cell's
  `languageId`, the notebook's interpreter hash) and its own kernelspec name.
- The classic Notebook 6 writes nbformat 4.4, which has no cell ids.
- JupyterLite writes the Pyodide kernelspec and language_info.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import textwrap
import warnings
from collections.abc import Callable

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from autograder.submissions import (
    RELEASE,
    correct_answers,
    delete_cell,
    find_cell,
    make_submission,
    nbgrader_metadata,
    read_notebook,
)

Answers = dict[str, str]


# ---------------------------------------------------------------------- writing a file
def as_file(nb: NotebookNode, *, minor: int = 5, ids: bool = True, lines: bool = True) -> bytes:
    """The notebook as a client writes it: nbformat 4.`minor`, with or without cell ids, each
    source as a list of lines (what Jupyter writes) or one string (allowed too)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # copied cells share an id: written as the client would
        data = json.loads(nbformat.writes(nb))
    data["nbformat_minor"] = minor
    for cell in data["cells"]:
        if not ids:
            cell.pop("id", None)
        text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        cell["source"] = text.splitlines(keepends=True) if lines else text
    return json.dumps(data, indent=1).encode()


def _id(seed: str, length: int = 12) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()[:length]


def _stream(text: str) -> NotebookNode:
    return new_output("stream", name="stdout", text=text)


def _png(size: int) -> NotebookNode:
    """A display output holding `size` bytes of PNG-like data (as a saved plot is stored)."""
    data = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(size)).decode()
    return new_output("display_data", data={"image/png": data, "text/plain": "<Figure>"})


def _code_cells(nb: NotebookNode) -> list[NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def _solution(nb: NotebookNode, name: str) -> NotebookNode:
    return find_cell(nb, name)


def _release_cell(grade_id: str) -> NotebookNode:
    return find_cell(read_notebook(RELEASE), grade_id)


# ---------------------------------------------------------------------- clients
def colab(answers: Answers) -> bytes:
    nb = make_submission(answers)
    for n, cell in enumerate(nb.cells):
        cell.metadata = {"id": _id(f"colab{n}")}
        if cell.cell_type == "code":
            cell.metadata.update(colab={"base_uri": "https://localhost:8080/"},
                                 outputId=_id(f"out{n}", 36))
            cell.execution_count = n
            cell.outputs = [_stream("ran in Colab\n")]
    nb.metadata = {"colab": {"provenance": [], "name": "activation_derivatives.ipynb"},
                   "kernelspec": {"name": "python3", "display_name": "Python 3"},
                   "language_info": {"name": "python"}, "accelerator": "GPU"}
    return as_file(nb, minor=0, ids=False)


def vscode(answers: Answers) -> bytes:
    nb = make_submission(answers)
    for cell in _code_cells(nb):
        cell.metadata["vscode"] = {"languageId": "python"}
    nb.metadata["vscode"] = {"interpreter": {"hash": _id("interpreter", 64)}}
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                 "display_name": "Python 3.11.4 ('.venv': venv)"}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.4",
                                    "mimetype": "text/x-python", "file_extension": ".py"}
    return as_file(nb, minor=4, ids=False)


def notebook6(answers: Answers) -> bytes:
    nb = make_submission(answers)
    for cell in nb.cells:
        cell.metadata.setdefault("deletable", not nbgrader_metadata(cell).get("locked", False))
    nb.metadata["toc"] = {"base_numbering": 1, "nav_menu": {}, "number_sections": True}
    return as_file(nb, minor=4, ids=False)


def jupyterlite(answers: Answers) -> bytes:
    nb = make_submission(answers)
    nb.metadata["kernelspec"] = {"name": "python", "display_name": "Python (Pyodide)",
                                 "language": "python"}
    nb.metadata["language_info"] = {
        "name": "python", "version": "3.8", "mimetype": "text/x-python",
        "codemirror_mode": {"name": "python", "version": 3}, "file_extension": ".py",
        "nbconvert_exporter": "python", "pygments_lexer": "ipython3"}
    return as_file(nb, lines=False)


# ---------------------------------------------------------------------- edits
def stripped(answers: Answers) -> bytes:
    """Answers pasted into a fresh notebook: no nbgrader metadata at all, new ids."""
    nb = make_submission(answers)
    for n, cell in enumerate(nb.cells):
        cell.metadata = {}
        cell.id = _id(f"fresh{n}", 8)
    return as_file(nb)


def duplicated(answers: Answers, function: str = "sigmoid") -> bytes:
    """A solution cell copied: the first copy keeps the stub, the last holds the answer (the
    last definition counts); a test cell is duplicated as well."""
    nb = make_submission(answers)
    cell = _solution(nb, function)
    stub = copy.deepcopy(_release_cell(function))
    nb.cells.insert(nb.cells.index(cell), stub)
    test = find_cell(nb, f"{function}_values")
    nb.cells.insert(nb.cells.index(test) + 1, copy.deepcopy(test))
    return as_file(nb)


def deleted(answers: Answers) -> bytes:
    """Test cells deleted (visible and hidden), and the read-only set-up cell."""
    nb = make_submission(answers)
    for grade_id in ("setup", "sigmoid_values", "tanh_derivative_inputs",
                     "relu_derivative_at_zero", "leaky_relu_keeps_input",
                     "numerical_derivative_is_central"):
        nb = delete_cell(nb, grade_id)
    return as_file(nb)


def reordered(answers: Answers) -> bytes:
    """Part D moved above Part C, a test cell moved above its function, and relu_derivative's
    answer moved to the end of the notebook (written further down)."""
    nb = make_submission(answers)
    cells = nb.cells
    ids = [c.get("id") for c in cells]
    part_c, part_d, part_e = ids.index("relu-intro"), ids.index("leaky-intro"), \
        ids.index("gradcheck-intro")
    cells[part_c:part_e] = cells[part_d:part_e] + cells[part_c:part_d]
    test = find_cell(nb, "tanh_derivative_values")
    cells.remove(test)
    cells.insert(cells.index(_solution(nb, "tanh_derivative")), test)
    answer = _solution(nb, "relu_derivative")
    cells.remove(answer)
    cells.append(answer)
    return as_file(nb)


def split(answers: Answers) -> bytes:
    """Cells split in two with Ctrl-Shift-minus: the set-up cell at its first blank line after
    the imports, a visible test cell after its first check, and the metadata lost (Colab)."""
    nb = make_submission(answers)
    setup = find_cell(nb, "setup")
    head, tail = setup.source.split("\n\n", 1)
    setup.source = head
    nb.cells.insert(nb.cells.index(setup) + 1, new_code_cell(tail))
    test = find_cell(nb, "leaky_relu_values")
    lines = test.source.split("\n")
    test.source = "\n".join(lines[:2])
    nb.cells.insert(nb.cells.index(test) + 1, new_code_cell("\n".join(lines[2:])))
    for cell in nb.cells:
        cell.metadata = {}
    return as_file(nb)


def exploration(answers: Answers) -> bytes:
    """Notes and experiments of the learner's own between the parts."""
    nb = make_submission(answers)
    for grade_id, code in (
        ("sigmoid_values", "z = np.array([-2.0, 0.0, 2.0])\nprint(sigmoid(z), sigmoid(z).sum())"),
        ("tanh_derivative_values", "import math\nprint(math.tanh(0.5), tanh_derivative(0.5))"),
        ("relu_values", "plt.plot(Z, relu(Z))\nplt.show()"),
        ("numerical_derivative_values", "numerical_derivative(np.cos, 0.3), -np.sin(0.3)"),
    ):
        at = nb.cells.index(find_cell(nb, grade_id)) + 1
        nb.cells[at:at] = [new_markdown_cell("My notes: trying it on a few values."),
                           new_code_cell(code)]
    return as_file(nb)


def large_outputs(answers: Answers) -> bytes:
    """Saved after Run All with big figures and long printouts (a few MB in the file)."""
    nb = make_submission(answers)
    for n, cell in enumerate(_code_cells(nb)):
        cell.execution_count = n + 1
        cell.outputs = [_stream("x" * 20_000 + "\n")]
        if n % 5 == 0:
            cell.outputs.append(_png(400_000))
    return as_file(nb)


def answer_below_stub(answers: Answers) -> bytes:
    """The stub left untouched and the whole function typed into a new cell below it."""
    nb = make_submission(answers)
    for name in ("sigmoid", "relu_derivative", "numerical_derivative"):
        cell = _solution(nb, name)
        answer = new_code_cell(cell.source)
        cell.source = _release_cell(name).source
        nb.cells.insert(nb.cells.index(cell) + 1, answer)
    return as_file(nb)


def all_in_one_cell(answers: Answers) -> bytes:
    """Colab, with every answer written in one cell at the end of the notebook (the stubs
    above still raise NotImplementedError)."""
    nb = make_submission(answers)
    defs = []
    for name in answers:
        cell = _solution(nb, name)
        defs.append(cell.source)
        cell.source = _release_cell(name).source
    nb.cells.append(new_code_cell("\n\n\n".join(defs)))
    for cell in nb.cells:
        cell.metadata = {}
    return as_file(nb, minor=0, ids=False)


def helper_cell(answers: Answers) -> bytes:
    """sigmoid calls a helper defined in a cell of the learner's own (needs the clean room to
    run extra cells)."""
    nb = make_submission({**answers, "sigmoid": "return _logistic(np.asarray(z, dtype=float))"})
    helper = textwrap.dedent('''\
        def _logistic(z):
            """1 / (1 + exp(-z)) without overflow."""
            e = np.exp(-np.abs(z))
            return np.where(z >= 0, 1 / (1 + e), e / (1 + e))''')
    if answers["sigmoid"] != correct_answers()["sigmoid"]:  # keep the planted mistake
        nb = make_submission(answers)
    nb.cells.insert(nb.cells.index(_solution(nb, "sigmoid")), new_code_cell(helper))
    return as_file(nb)


def import_cell(answers: Answers) -> bytes:
    """`from numpy import ...` in a cell of the learner's own, used by their answer (needs the
    clean room to run extra cells)."""
    right = answers["tanh_derivative"] == correct_answers()["tanh_derivative"]
    nb = make_submission({**answers, "tanh_derivative": "return 1 - tanh_(z) ** 2"} if right
                         else answers)  # a planted mistake stays as it is
    nb.cells.insert(nb.cells.index(_solution(nb, "tanh_derivative")),
                    new_code_cell("from numpy import tanh as tanh_"))
    return as_file(nb)


# name -> (builder, the first assignment's catalogue entry its twin carries, as a planted mistake)
SAVES: dict[str, tuple[Callable[[Answers], bytes], str]] = {
    "colab": (colab, "relu_derivative.one_at_zero"),
    "vscode": (vscode, "sigmoid_derivative.mixed_forms"),
    "notebook6": (notebook6, "tanh_derivative.missing_square"),
    "jupyterlite": (jupyterlite, "relu_derivative.one_at_zero"),
    "stripped": (stripped, "sigmoid_derivative.mixed_forms"),
    "duplicated": (duplicated, "sigmoid.math_exp"),
    "deleted": (deleted, "relu_derivative.one_at_zero"),
    "reordered": (reordered, "relu_derivative.one_at_zero"),
    "split": (split, "tanh_derivative.missing_square"),
    "exploration": (exploration, "numerical_derivative.forward"),
    "large_outputs": (large_outputs, "sigmoid_derivative.mixed_forms"),
    "answer_below_stub": (answer_below_stub, "numerical_derivative.forward"),
    "all_in_one_cell": (all_in_one_cell, "tanh_derivative.missing_square"),
    "helper_cell": (helper_cell, "sigmoid.math_exp"),
    "import_cell": (import_cell, "tanh_derivative.missing_square"),
}

