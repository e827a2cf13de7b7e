"""A made-up class for the similarity tests and benchmark, for any assignment of the course.

Every learner hands in the release notebook with each function answered (the model answer, or
for the first assignment one of the common variants and common mistakes of
autograder.submissions), plus code of their own: cells where they try things out and a helper
in one solution cell, drawn from STATEMENTS (numpy only, so they run in any assignment). What
one learner writes of their own is what makes their notebook theirs; a copy copies it.

- Honest learners share the common answers and mistakes: each variant or mistake goes to at
  least a third of the class, never to fewer (a class built here has no accidental rare pair).
- A planted copy (:func:`disguised`) takes another learner's answers and own code, renamed,
  reordered (cells, and the statements of a cell split into two), with other comments, laid out
  differently (blank lines, line breaks inside brackets, spacing) and a block moved into a
  helper function.
- A planted pair that shares a rare wrong answer (:func:`rare_wrong`): two learners with code of
  their own, who both return 1.25 times the right value of one function (written differently).
"""

from __future__ import annotations

import ast
import importlib
import random
import re
import textwrap
from dataclasses import dataclass, field, replace
from pathlib import Path

from autograder import course
from autograder import submissions as S

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (REPO / "source").iterdir()
                     if (p / f"{p.name}.ipynb").is_file())


def _honest(a) -> dict:
    if not (a.package / "variants.py").is_file():
        return {}
    return importlib.import_module(f"solutions.{a.name}.variants").HONEST


def source(assignment: str) -> Path:
    return REPO / "source" / assignment / f"{assignment}.ipynb"


def release(assignment: str) -> Path:
    return REPO / "release" / assignment / f"{assignment}.ipynb"


def variants(assignment: str) -> dict[str, list[tuple[str, str]]]:
    """function -> the answers honest learners give, as (code, what it returns: "right" or the
    mistake's key), the model answer first; then the assignment's other right answers
    (variants.HONEST) and the first two known mistakes of each function in its catalogue (the
    common ones). In every assignment, one function (:func:`scalable`) has a common wrong
    answer of the second kind: twice the right value."""
    a = course.assignment(REPO, assignment)
    model = S.correct_answers(source(assignment))
    found = {name: [(body, "right")] for name, body in model.items()}
    for _, answers in _honest(a).values():
        for name, body in answers.items():
            if body != model[name]:
                found[name].append((body, "right"))
    per_function: dict[str, int] = {}
    for mistake in a.catalogue():
        if per_function.setdefault(mistake.function, 0) < 2:
            per_function[mistake.function] += 1
            found[mistake.function].append((mistake.code, mistake.key))
    name = scalable(assignment)
    head, _, last = model[name].rpartition("\n")
    doubled = f"{head}\nreturn 2 * ({last.strip().removeprefix('return ')})".strip("\n")
    found[name].insert(1, (doubled, "doubled"))
    return found


# Statements learners write of their own: each a template with {v0}, {v1}, {v2} (names),
# {n0}, {n1}, {n2} (small whole numbers) and {e0}, {e1} (expressions of the names, drawn at
# random by :func:`expression`: no two learners write the same ones). numpy only, no learner
# function, so that they run in any assignment.
SET_UP = "{v0} = np.linspace(-{n0}, {n0}, {n1})\n{v1} = {v0} ** 2\n{v2} = {n2}"
STATEMENTS = [
    "for {v2} in range({n0}):\n    {v1} = {e0}\n    print({v2}, np.round({v1}, {n1}))",
    "{v1} = [np.round({e0}, {n0}) for {v2} in range({n1})]",
    "if np.all({e0} > {e1}):\n    print('above')\nelse:\n    print('not above', {n0})",
    "print(np.max({e0}), np.min({e1}))",
    "{v1} = {e0}",
    "try:\n    {v1} = np.stack([{e0}, {e1}])\nexcept ValueError:\n    {v1} = None",
    "{v1} = np.where({e0} > {n0}, {e1}, {v0})",
    "assert np.shape({e0}) == np.shape({v0}), 'shape'",
    "{v1} = sum(float(np.sum({e0})) for {v2} in range({n0}))",
]
HELPERS = [
    "def {f}({v0}, {v1}={n0}):\n    {v2} = {e0}\n    return {v2} * ({v1} + 1)",
    "def {f}({v0}):\n    {v1} = np.asarray({v0}, dtype=float)\n    {v2} = {n0}\n"
    "    return {e0}",
    "def {f}({v0}, {v1}={n0}):\n    if {v1} <= 0:\n        return {v0}\n    {v2} = {n1}\n"
    "    return {e1} + {f}({v0}, {v1} - 1)",
]
FUNCTIONS = ["abs", "tanh", "sin", "cos", "round"]
PAIRS = ["maximum", "minimum", "hypot", "arctan2"]
WORDS = ["trial", "temp", "vals", "out", "grid", "acc", "probe", "seq", "chk", "buf", "cur",
         "tmp", "res", "item", "idx", "val", "data", "row", "col", "tot"]


def expression(rng: random.Random, depth: int = 3) -> str:
    """A random expression of {v0}, {v1}, {v2} and small numbers, of numpy's functions (none
    can warn: no division, no log, no exp)."""
    if depth == 0 or rng.random() < 0.15:
        return rng.choice(["{v0}", "{v1}", "{v2}", str(rng.randint(1, 9))])
    kind = rng.randrange(3)
    if kind == 0:
        return (f"({expression(rng, depth - 1)} {rng.choice('+-*')} "
                f"{expression(rng, depth - 1)})")
    if kind == 1:
        return f"np.{rng.choice(FUNCTIONS)}({expression(rng, depth - 1)})"
    return (f"np.{rng.choice(PAIRS)}({expression(rng, depth - 1)}, "
            f"{expression(rng, depth - 1)})")


@dataclass
class Own:
    """A learner's own code: cells of statements (template, numbers, expressions), a helper."""

    cells: list[list[tuple[int, list[int], list[str]]]]
    helper: tuple[int, list[int], list[str]] | None  # None: no code of their own at all
    helper_in: str  # the function whose solution cell holds the helper


@dataclass
class Style:
    """How a learner writes: their names, comments and layout (what a copy disguises)."""

    names: int = 0  # seed of the names
    comment: str = "try things out"
    spaced: bool = False  # blank lines between statements, lines broken inside brackets
    reorder: bool = False  # cells in reverse order, each cell's statements split in two
    helper_block: bool = False  # the first two statements of each cell moved into a helper


@dataclass
class Learner:
    student_id: str
    answers: dict[str, str]
    own: Own
    style: Style = field(default_factory=Style)
    behaviour: dict[str, str] = field(default_factory=dict)  # function -> answer's identity


def own_code(rng: random.Random, functions: list[str]) -> Own:
    def statement(templates):
        return (rng.randrange(len(templates)), [rng.randint(2, 9) for _ in range(3)],
                [expression(rng) for _ in range(2)])

    cells = [[statement(STATEMENTS) for _ in range(rng.randint(3, 5))] for _ in range(2)]
    return Own(cells, statement(HELPERS), rng.choice(functions))


def _names(seed: int, count: int = 3) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(WORDS)}_{rng.randint(1, 99)}" for _ in range(count)]


def _render(template: str, numbers: list[int], expressions: list[str], names: list[str],
            fn: str = "") -> str:
    fill = {f"v{i}": name for i, name in enumerate(names)}
    fill.update({f"n{i}": str(n) for i, n in enumerate(numbers)})
    fill.update({f"e{i}": e.format(**fill) for i, e in enumerate(expressions)})
    return template.format(f=fn, **fill)


def _layout(code: str) -> str:
    """Another layout of the same code: a line break after the first comma inside brackets,
    spaces around '=' of keyword arguments, and blank lines between statements."""
    out = []
    for line in code.split("\n"):
        depth, cut = 0, None
        for i, char in enumerate(line):
            depth += char in "([{"
            depth -= char in ")]}"
            if char == "," and depth > 0 and cut is None:
                cut = i + 1
        if cut is not None and not line.lstrip().startswith(("#", "print(f")):
            indent = re.match(r"\s*", line).group(0)
            line = f"{line[:cut]}\n{indent}        {line[cut:].lstrip()}"
        out.append(re.sub(r"(\w)=(\w)", r"\1 = \2", line) if "def " not in line else line)
    return "\n".join(out)


def render_own(learner: Learner) -> tuple[list[str], str]:
    """(the learner's own cells, their helper's code), in their style."""
    style, own = learner.style, learner.own
    cells = []
    for number, statements in enumerate(own.cells):
        names = _names(style.names * 100 + number)
        parts = [SET_UP.format(v0=names[0], v1=names[1], v2=names[2], n0=3, n1=5, n2=2)]
        parts += [_render(STATEMENTS[t], nums, exprs, names) for t, nums, exprs in statements]
        if style.helper_block:
            moved = textwrap.indent("\n".join(parts[1:3]), "    ")
            fn = f"{names[0]}_steps"
            parts = parts[:1] + [f"def {fn}({', '.join(names)}):\n{moved}",
                                 f"{fn}({', '.join(names)})"] + parts[3:]
        groups = [parts]
        if style.reorder:
            groups = [parts[: len(parts) // 2], parts[:1] + parts[len(parts) // 2 :]]
        for group in groups:
            joiner = "\n\n\n" if style.spaced else "\n"
            text = f"# {style.comment} ({number + 1})\n" + joiner.join(group)
            cells.append(_layout(text) if style.spaced else text)
    if style.reorder:
        cells.reverse()
    names = _names(style.names * 100 + 99)
    t, nums, exprs = own.helper
    helper = _render(HELPERS[t], nums, exprs, names, fn=f"{names[0]}_help")
    if style.spaced:
        helper = _layout(helper)
    return cells, f"# {style.comment}: a helper of mine\n{helper}\n"


def notebook(learner: Learner, assignment: str):
    """The learner's notebook: the release with their answers, helper and own cells."""
    nb = S.make_submission(learner.answers, release=release(assignment))
    if learner.own.helper is None:
        return nb
    cells, helper = render_own(learner)
    target = S.find_cell(nb, learner.own.helper_in)
    target.source = helper + "\n\n" + target.source
    functions = list(S.solution_cells(nb))
    if learner.style.reorder:  # the helper's cell moves: the helper goes in another answer's cell
        other = functions[(functions.index(learner.own.helper_in) + 1) % len(functions)]
        target.source = target.source[len(helper) + 2 :]
        S.find_cell(nb, other).source = helper + "\n\n" + S.find_cell(nb, other).source
    for number, code in enumerate(cells):
        nb = S.insert_cell(nb, code, after=functions[(number * 3) % len(functions)])
    return nb


def honest_class(assignment: str, count: int, seed: int = 0) -> list[Learner]:
    """`count` honest learners (a multiple of 3): answers from the common variants, each of a
    function's first three given to a third of the class (never to 1 or 2 learners alone), and
    code of their own for each."""
    rng = random.Random(seed)
    pools = variants(assignment)
    functions = list(pools)
    learners = []
    for i in range(count):
        answers, behaviour = {}, {}
        for number, (name, options) in enumerate(pools.items()):
            pick = (i + number) % 3  # each of options 0, 1, 2 to a third of the class
            answers[name], behaviour[name] = options[pick if pick < len(options) else 0]
        learners.append(Learner(f"honest{i:03d}", answers, own_code(rng, functions),
                                Style(names=rng.randrange(10**6)), behaviour))
    return learners


def model_class(assignment: str, count: int) -> list[Learner]:
    """Everyone hands in the model answers and nothing of their own."""
    model = S.correct_answers(source(assignment))
    return [Learner(f"model{i:03d}", dict(model), Own([], None, next(iter(model))),
                    behaviour={name: "right" for name in model}) for i in range(count)]


def disguised(original: Learner, student_id: str) -> Learner:
    """A copy of `original`'s notebook, renamed, reordered, re-commented, laid out anew, with a
    block moved into a helper."""
    style = Style(names=original.style.names + 7919, comment="my own experiments",
                  spaced=True, reorder=True, helper_block=True)
    return replace(original, student_id=student_id, style=style,
                   behaviour=dict(original.behaviour))


def scalable(assignment: str) -> str:
    """The first function whose model answer ends with `return EXPR` of a single value (not a
    tuple or a dict): the one the rare wrong answer scales."""
    for name, body in S.correct_answers(source(assignment)).items():
        last = ast.parse(body).body[-1]
        if (isinstance(last, ast.Return) and last.value is not None
                and not isinstance(last.value, (ast.Tuple, ast.Dict, ast.DictComp))
                and last.lineno == last.end_lineno == len(body.split("\n"))):
            return name
    raise ValueError(f"{assignment}: no answer ends with a single returned value")


def rare_wrong(assignment: str, a: Learner, b: Learner) -> tuple[Learner, Learner]:
    """`a` and `b`, both returning 1.25 times the right value of one function, each written
    their own way (1.25 * x and x + x / 4 round the same way: x / 4 is exact)."""
    name = scalable(assignment)
    body = S.correct_answers(source(assignment))[name]
    head, _, last = body.rpartition("\n")
    expression = last.strip().removeprefix("return ")
    first = f"{head}\nreturn 1.25 * ({expression})".strip("\n")
    second = f"{head}\nscaled_ = {expression}\nreturn scaled_ + scaled_ / 4".strip("\n")
    return (replace(a, answers={**a.answers, name: first},
                    behaviour={**a.behaviour, name: "rare"}),
            replace(b, answers={**b.answers, name: second},
                    behaviour={**b.behaviour, name: "rare"}))


def synthetic_evidence(learner: Learner, code: dict, tests: int = 3, calls: int = 4):
    """The learner's evidence with behaviour made up from what each function returns: per
    function `tests` tests of `calls` calls; a learner whose answer is "right" passes them, and
    learners with the same wrong answer return the same values (no sandbox needed)."""
    import hashlib

    from autograder import similarity
    from autograder.cleanroom import Outcome

    def digest(*parts) -> str:
        return hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).hexdigest()

    outcomes = {}
    for function, returns in learner.behaviour.items():
        for t in range(tests):
            grade_id = f"{function}_test{t}"
            ids = tuple(digest("call", grade_id, i) for i in range(calls))
            values = tuple(digest("value", returns, grade_id, i) for i in range(calls))
            passed = returns == "right"
            shown = () if passed else tuple(f"{function}(x{i}) returned {returns}"
                                            for i in range(calls))
            outcomes[grade_id] = Outcome(passed, "" if passed else "wrong", function, ids,
                                         values, shown)
    return similarity.evidence(learner.student_id, code, outcomes)
