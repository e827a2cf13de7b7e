"""Which submissions are too alike: evidence per learner, compared over the whole class.

Two kinds of evidence, both weighed by how rare they are in the class:

- **Code.** The learner's own code only (:func:`code_evidence`): their solution cells and the
  cells they added, without the release's code (every logical line that the release notebook
  holds, matched by content as :mod:`autograder.repair` matches cells: the ``def`` lines,
  docstrings and stubs of the solution cells, the set-up, try-it and test cells), without test
  cells, unchanged release cells, ``raise NotImplementedError`` stubs, comments and docstrings.
  What is left is tokenized (one regular expression for Python's tokens) and normalised:
  every name the learner chose becomes ``V`` (keywords, builtins and attribute names such as
  ``np.exp`` stay), every number ``N``, every string ``S``; layout (indentation, blank lines,
  line breaks, spaces) is dropped and a statement ends with ``;``. Each cell is fingerprinted
  on its own, so the order of cells does not matter: rolling hashes of every ``K`` consecutive
  tokens (the same in every process, so fingerprints from Dask workers and older state files
  compare), winnowed with a window of ``WINDOW`` (Schleimer, Wilkerson and Aiken 2003, as MOSS,
  Dolos and copydetect do), so that any run of ``K + WINDOW - 1`` tokens two learners share is
  caught.
- **Behaviour.** The clean room calls every learner's functions on the same inputs (one seed per
  run). For each call it records a digest of the returned value (floats rounded to 20 bits of
  mantissa, about 6 significant digits, so that two ways of computing one formula agree). A
  value is *wrong* when the learner failed that test and no learner who passed it returned that
  value on that call. Two learners returning the same wrong value on the same call share
  evidence.

Rarity (:func:`rarity`): a fragment or a wrong value that two learners share weighs 1; one that
more share weighs less, down to 0 for one that ``COMMON_FRACTION`` of the class (at least
``COMMON_FLOOR`` learners, at most ``COMMON_CAP``) shares: common answers, common
misconceptions, the model answer
(also zeroed outright, ``known``) and textbook one-liners are no evidence. A wrong value the
feedback names as a known mistake (the catalogue of mistakes learners really make) weighs
``KNOWN_MISTAKE_WEIGHT`` of that. One shared short line is weak evidence by itself: the code
score saturates with the amount of rare code shared (``CODE_SCALE`` fingerprints).

Scores, each in [0, 1]:

- ``code_score = coverage * (1 - exp(-shared / CODE_SCALE))``: ``shared`` is the weight of the
  fingerprints both have; ``coverage`` is ``shared`` over the distinctive code of the learner
  who has less (fingerprints only they have weigh 1), so a copy padded with code of its own is
  still found;
- ``behaviour_score = 1 - exp(-sum over functions of agreement)``: per function, the weight of
  the wrong values both returned over the wrong values of the one who returned more;
- ``score = 1 - (1 - code_score) * (1 - behaviour_score)``.

Scale: each learner is fingerprinted once, in the grading unit (:func:`evidence`, plain data
that crosses from a Dask worker and is kept in the learner's state file); :func:`compare` runs
on the coordinator through an inverted index (fingerprint -> learners, wrong value -> learners),
never diffing all pairs.

This is evidence for the instructor to judge, never an accusation; the report says so.
"""

from __future__ import annotations

import builtins
import csv
import hashlib
import html
import io
import json
import keyword
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np

K = 8  # tokens per k-gram: `return V * ( N - V )` is 9 tokens
WINDOW = 4  # winnowing window: every shared run of K + WINDOW - 1 = 11 tokens is caught
COMMON_FRACTION = 0.1  # shared by a tenth of the class: no evidence
COMMON_FLOOR = 3  # ... and, in a small class, by 3 learners
COMMON_CAP = 25  # ... and, in a large one, by 25: what many write (keeps compare near-linear)
CODE_SCALE = 12.0  # shared rare fingerprints at which code evidence is 63% of its coverage
KNOWN_MISTAKE_WEIGHT = 0.25  # a wrong value the catalogue of known mistakes explains
DEFAULT_THRESHOLD = 0.5  # similarity.csv lists every pair above it (grade --similarity-threshold)
REPORT_PAIRS = 10  # pairs shown in report.html
SHOWN_CODE_SCORE = 0.1  # below it, a pair's few shared fragments are not shown (coincidence)
CSV_COLUMNS = ["student_a", "student_b", "score", "code_score", "behaviour_score",
               "shared_fragments", "shared_wrong_values"]  # fmt: skip
_BUILTINS = frozenset(dir(builtins))
# Python's tokens, read with one regular expression (several times faster than the tokenize
# module, and it never gives up: what it cannot read is skipped). Strings first, so that a
# prefix (r, b, f...) is not read as a name.
_TOKEN = re.compile(r"""
 (?P<space>[ \t\f]+|\\\r?\n)
|(?P<comment>\#[^\r\n]*)
|(?P<newline>\r?\n)
|(?P<string>[rRbBuUfF]{0,2}(?:\'\'\'(?:\\.|[^\\])*?\'\'\'|\"\"\"(?:\\.|[^\\])*?\"\"\"
          |\'(?:\\.|[^\\\'\n])*\'|\"(?:\\.|[^\\\"\n])*\"))
|(?P<number>0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?[jJ]?)
|(?P<name>[^\W\d]\w*)
|(?P<op>\*\*=|//=|>>=|<<=|\.\.\.|->|:=|[-+*/%&|^@<>=!]=|\*\*|//|<<|>>|[-+*/%&|^~@<>=.,:;()\[\]{}])
|(?P<other>.)
""", re.VERBOSE)
_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")
# A token: (kind, text, first line, last line); kinds "name", "number", "string", "op".
Token = tuple[str, str, int, int]


# --------------------------------------------------------------------------------------------
# The learner's own code
# --------------------------------------------------------------------------------------------


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {})
    value = meta.get("nbgrader") if isinstance(meta, dict) else None
    return value if isinstance(value, dict) else {}


def _text(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _logical_lines(source: str) -> list[list[Token]]:
    """The cell's statements as token lists (comments and layout dropped). IPython's %magics
    and !commands are read as blank lines."""
    text = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())
    lines: list[list[Token]] = []
    current: list[Token] = []
    depth, number = 0, 1
    for match in _TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group()
        first = number
        if kind in ("newline", "space", "string"):
            number += value.count("\n")
        if kind == "newline":
            if depth == 0 and current:
                lines.append(current)
                current = []
            continue
        if kind in ("space", "comment", "other"):
            continue
        if kind == "op":
            if value == ";" and depth == 0:
                if current:
                    lines.append(current)
                    current = []
                continue
            depth += value in _OPEN
            depth -= value in _CLOSE and depth > 0
        current.append((kind, value, first, number))
    if current:
        lines.append(current)
    return lines


def _line_key(line: list[Token]) -> str:
    return " ".join(token[1] for token in line)


def _dropped(line: list[Token], release: frozenset[str]) -> bool:
    """A statement that is not the learner's: the release's, a docstring or a bare string, a
    stub."""
    if len(line) == 1 and line[0][0] == "string":
        return True
    if line[0][1] == "raise" and len(line) > 1 and line[1][1] == "NotImplementedError":
        return True
    return _line_key(line) in release


def _normal(kind: str, value: str, previous: str) -> str:
    if kind == "name":
        if value in _BUILTINS or previous == "." or keyword.iskeyword(value):
            return value
        return "V"
    if kind == "number":
        return "N"
    if kind == "string":
        return "S"
    return value


_release_lines: dict[int, tuple[object, frozenset[str]]] = {}


def release_lines(release) -> frozenset[str]:
    """Every statement of the release notebook's code cells (a :class:`repair.Release`), as
    token text: what no learner wrote."""
    cached = _release_lines.get(id(release))
    if cached is not None and cached[0] is release:
        return cached[1]
    sources = [_source(c.cell) for c in release.cells if c.cell.get("cell_type") == "code"]
    sources += list(release.plain)
    lines = frozenset(_line_key(line) for source in sources for line in _logical_lines(source))
    if len(_release_lines) > 8:
        _release_lines.clear()
    _release_lines[id(release)] = (release, lines)
    return lines


def own_cells(notebook, release) -> list[str]:
    """The sources of the learner's own code cells in a repaired notebook: solution cells and
    cells of their own, not test cells (grade cells that are not solution cells), not locked
    cells and not the release's plain cells left unchanged."""
    cells = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        meta = _nbgrader(cell)
        if meta and not meta.get("solution") and (meta.get("grade") or meta.get("locked")):
            continue
        source = _source(cell)
        if not meta and _text(source) in release.plain:
            continue
        if source.strip():
            cells.append(source)
    return cells


def tokens(source: str, release: frozenset[str] = frozenset()) -> list[tuple[str, int]]:
    """The cell's normalised tokens with their line numbers (1-based), the release's
    statements, docstrings and stubs left out; each statement ends with ``;``."""
    out: list[tuple[str, int]] = []
    for line in _logical_lines(source):
        if _dropped(line, release):
            continue
        previous = ""
        for kind, value, first, _ in line:
            out.append((_normal(kind, value, previous), first))
            previous = value
        out.append((";", line[-1][3]))
    return out


_PRIME = (1 << 61) - 1  # k-gram hashes are below it: exact in JSON everywhere
_BASE = 1_000_003
_TOP = pow(_BASE, K - 1, _PRIME)
_token_ids: dict[str, int] = {}


def _token_id(token: str) -> int:
    """A stable number for a normalised token (the same in every process and Python)."""
    found = _token_ids.get(token)
    if found is None:
        if len(_token_ids) > 100_000:
            _token_ids.clear()
        digest = hashlib.blake2b(token.encode(), digest_size=7).digest()
        found = _token_ids[token] = int.from_bytes(digest, "big")
    return found


def kgram_hashes(found: list[str]) -> list[int]:
    """A rolling (Rabin-Karp) hash of every K consecutive tokens, modulo 2**61 - 1."""
    ids = [_token_id(t) for t in found]
    if len(ids) < K:
        return []
    h = 0
    for i in range(K):
        h = (h * _BASE + ids[i]) % _PRIME
    hashes = [h]
    for i in range(K, len(ids)):
        h = ((h - ids[i - K] * _TOP) * _BASE + ids[i]) % _PRIME
        hashes.append(h)
    return hashes


def winnow(hashes: list[int], window: int = WINDOW) -> list[int]:
    """Robust winnowing: the positions of the smallest hash of every window (the rightmost of
    equal ones), each position once."""
    if len(hashes) <= window:
        return [min(range(len(hashes)), key=lambda i: (hashes[i], -i))] if hashes else []
    chosen: list[int] = []
    for start in range(len(hashes) - window + 1):
        best = start
        for i in range(start + 1, start + window):
            if hashes[i] <= hashes[best]:
                best = i
        if not chosen or chosen[-1] != best:
            chosen.append(best)
    return chosen


def fingerprints(source: str, release: frozenset[str] = frozenset()) -> list[tuple[int, int, int]]:
    """(hash, first line, last line) of the cell's winnowed k-grams; none for a cell of fewer
    than K tokens of the learner's own."""
    found = tokens(source, release)
    if len(found) < K:
        return []
    hashes = kgram_hashes([t for t, _ in found])
    return [(hashes[i], found[i][1], found[i + K - 1][1]) for i in winnow(hashes)]


def code_evidence(notebook, release) -> dict:
    """The learner's own code cells and their fingerprints ``[hash, cell, first line, last
    line]`` (a hash once, where it first occurs)."""
    lines = release_lines(release)
    cells = own_cells(notebook, release)
    seen: set[int] = set()
    prints = []
    for number, source in enumerate(cells):
        for h, first, last in fingerprints(source, lines):
            if h not in seen:
                seen.add(h)
                prints.append([h, number, first, last])
    return {"cells": cells, "fingerprints": prints}


def known_fingerprints(notebook, release) -> frozenset[int]:
    """The fingerprints of a notebook's own code (the source notebook's: the model answers),
    which are no evidence whoever shares them."""
    return frozenset(p[0] for p in code_evidence(notebook, release)["fingerprints"])


# --------------------------------------------------------------------------------------------
# Behaviour: digests of calls and returned values (computed outside the sandbox)
# --------------------------------------------------------------------------------------------


def _feed(h, value, *, rounded: bool) -> bool:
    """Feed `value` into the hash; False where it holds something that is not plain data."""
    if value is None or isinstance(value, (str, bytes)):
        h.update(b"s" + (value.encode() if isinstance(value, str) else bytes(value or b"")))
        return value is not None
    if isinstance(value, dict):
        h.update(b"{%d" % len(value))
        return all(_feed(h, str(key), rounded=rounded) and _feed(h, value[key], rounded=rounded)
                   for key in sorted(value, key=str))
    if isinstance(value, (list, tuple)):
        h.update(b"[%d" % len(value))
        return all(_feed(h, item, rounded=rounded) for item in value)
    if type(value) in (bool, int, float) or isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            return False
        h.update(f"{array.dtype.kind}{array.shape}".encode())
        array = array.astype(np.float64)
        if rounded:
            mantissa, exponent = np.frexp(array)
            array = np.ldexp(np.round(mantissa * 2.0**20) / 2.0**20, exponent)
        h.update(np.ascontiguousarray(array).tobytes())
        return True
    return False


def value_digest(value) -> str:
    """A short digest of a returned value, equal for values equal to about 6 significant
    digits; '' for None or anything that is not plain numbers (no evidence)."""
    h = hashlib.blake2b(digest_size=8)
    if value is None or not _feed(h, value, rounded=True):
        return ""
    return h.hexdigest()


def call_digest(call) -> str:
    """A short digest of a call (function, arguments, stand-ins): equal only for the same
    call on the same inputs."""
    h = hashlib.blake2b(digest_size=8)
    _feed(h, [call.function, list(call.args), dict(call.kwargs), dict(call.stand_ins)],
          rounded=False)
    return h.hexdigest()


def _short(value, room: int = 60) -> str:
    if isinstance(value, dict):
        inner = ", ".join(f"{key}: {_short(item, 20)}" for key, item in value.items())
        text = "{" + inner + "}"
    elif isinstance(value, (list, tuple)) and not all(isinstance(v, (int, float)) for v in value):
        text = "(" + ", ".join(_short(item, 30) for item in value) + ")"
    elif isinstance(value, str):
        text = repr(value)
    elif value is None:
        text = "None"
    else:
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            text = type(value).__name__
        elif array.ndim == 0:
            text = f"{array.item():.6g}" if array.dtype.kind == "f" else str(array.item())
        elif array.size <= 4:
            text = np.array2string(array, precision=4, separator=", ")
        else:
            flat = ", ".join(f"{x:.4g}" for x in array.ravel()[:3].astype(float))
            text = f"array{array.shape} [{flat}, ...]"
    return text if len(text) <= room else text[: room - 3] + "..."


def shown(call, value) -> str:
    """The call and what it returned, short and printable (for the report)."""
    args = [_short(arg, 40) for arg in call.args]
    args += [f"{key}={_short(item, 20)}" for key, item in call.kwargs.items()]
    return f"{call.function}({', '.join(args)}) returned {_short(value)}"


# --------------------------------------------------------------------------------------------
# A learner's evidence (plain data: it crosses from a Dask worker and sits in the state file)
# --------------------------------------------------------------------------------------------


@dataclass
class Evidence:
    """One learner's evidence, computed once in the grading unit."""

    student_id: str
    cells: list[str] = field(default_factory=list)  # the learner's own code cells, as written
    fingerprints: list[list[int]] = field(default_factory=list)  # [hash, cell, first, last]
    # grade_id -> {"function", "passed", "calls": [call digest...], "values": [value digest or
    # ''...], "shown": [printable call and value...] (failed tests only), "mistake": the known
    # mistake the feedback names, or ''}
    checks: dict[str, dict] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> Evidence:
        return cls(str(data["student_id"]), list(data.get("cells") or []),
                   [list(p) for p in data.get("fingerprints") or []],
                   dict(data.get("checks") or {}))


def evidence(student_id: str, code: Mapping | None, outcomes: Mapping | None = None,
             mistakes: Mapping | None = None) -> Evidence:
    """The learner's evidence: `code` from :func:`code_evidence`; `outcomes` the clean room's
    per-grade-cell verdicts (``cleanroom.Outcome``: function, passed, calls, values, shown);
    `mistakes` grade_id -> {"name", ...}, the known mistakes the feedback names."""
    code = code or {}
    checks = {}
    for grade_id, outcome in (outcomes or {}).items():
        calls = list(getattr(outcome, "calls", ()) or ())
        if not calls:
            continue
        checks[grade_id] = {
            "function": getattr(outcome, "function", "") or grade_id,
            "passed": bool(outcome.passed),
            "calls": calls,
            "values": list(outcome.values),
            "shown": [] if outcome.passed else list(outcome.shown),
            "mistake": ((mistakes or {}).get(grade_id) or {}).get("name", ""),
        }
    return Evidence(student_id, list(code.get("cells", [])),
                    [list(p) for p in code.get("fingerprints", [])], checks)


def load(state_path: Path) -> Evidence | None:
    """The evidence kept in a learner's state file (None: none there)."""
    try:
        data = json.loads(Path(state_path).read_text()).get("similarity")
        return Evidence.from_dict(data) if data else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


# --------------------------------------------------------------------------------------------
# Comparing the class
# --------------------------------------------------------------------------------------------


def rarity(count: int, population: int) -> float:
    """The weight of something `count` of `population` learners share: 1 when two share it,
    falling (log-scale) to 0 at the common cutoff, max(COMMON_FLOOR, min(COMMON_FRACTION x
    population, COMMON_CAP)) learners."""
    cutoff = max(COMMON_FLOOR, min(COMMON_FRACTION * population, COMMON_CAP))
    if count < 2 or count >= cutoff:
        return 0.0
    return math.log(cutoff / count) / math.log(cutoff / 2)


@dataclass
class Pair:
    """Two learners and what they share (student_a < student_b)."""

    student_a: str
    student_b: str
    score: float
    code_score: float
    behaviour_score: float
    shared_fragments: int = 0
    shared_wrong_values: int = 0
    fragments: list[tuple[str, str, float]] = field(default_factory=list)  # a's, b's, weight
    wrong: list[tuple[str, str]] = field(default_factory=list)  # (function, call and value)


def compare(found: Iterable[Evidence | None], threshold: float = DEFAULT_THRESHOLD, *,
            known: Iterable[int] = ()) -> list[Pair]:
    """Every pair whose score is above `threshold`, most similar first, with the evidence
    (aligned fragments, shared wrong values). `known`: fingerprints that are no evidence (the
    model answers)."""
    people = sorted((e for e in found if e is not None), key=lambda e: e.student_id)
    n = len(people)
    known = frozenset(known)

    # Code: fingerprint -> learners, weighed by rarity.
    owners: dict[int, list[int]] = defaultdict(list)
    for index, person in enumerate(people):
        for h in {p[0] for p in person.fingerprints}:
            owners[h].append(index)
    coded = sum(1 for person in people if person.fingerprints)
    weight = {h: (0.0 if h in known else rarity(len(who), coded)) for h, who in owners.items()}
    mass = [0.0] * n  # each learner's distinctive code: what only they have weighs 1
    for h, who in owners.items():
        if h in known:
            continue
        w = 1.0 if len(who) == 1 else weight[h]
        for index in who:
            mass[index] += w
    shared: dict[tuple[int, int], float] = defaultdict(float)
    for h, who in owners.items():
        w = weight[h]
        if w > 0:
            for pair in combinations(who, 2):  # fewer than COMMON_CAP learners
                shared[pair] += w

    # Behaviour: (call, wrong value) -> learners, weighed by rarity among those given the call.
    wrong_of, weights, per_function = _wrong_values(people)
    agree: dict[tuple[int, int, str], float] = defaultdict(float)
    holders: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, values in enumerate(wrong_of):
        for feature in values:
            holders[feature].append(index)
    for feature, who in holders.items():
        w = weights.get(feature, 0.0)
        if w > 0:
            function = values_function(feature)
            for a, b in combinations(who, 2):
                agree[a, b, function] += w
    behaviour: dict[tuple[int, int], float] = defaultdict(float)
    for (a, b, function), total in agree.items():
        most = max(per_function[a].get(function, 0), per_function[b].get(function, 0), 1)
        behaviour[a, b] += min(1.0, total / most)

    # A pair without behaviour evidence scores at most 1 - exp(-shared / CODE_SCALE): most
    # pairs that share a little rare code are left out here, without working out their score.
    least = -CODE_SCALE * math.log(1.0 - threshold) if threshold < 1.0 else math.inf
    candidates = set(behaviour) | {pair for pair, common in shared.items() if common > least}
    pairs = []
    for a, b in candidates:
        code = 0.0
        if (a, b) in shared:
            common = shared[a, b]
            smaller = min(mass[a], mass[b])
            coverage = min(1.0, common / smaller) if smaller > 0 else 0.0
            code = coverage * (1.0 - math.exp(-common / CODE_SCALE))
        acts = 1.0 - math.exp(-behaviour.get((a, b), 0.0))
        score = 1.0 - (1.0 - code) * (1.0 - acts)
        if score > threshold:
            pairs.append((score, code, acts, a, b))
    pairs.sort(key=lambda p: (-p[0], people[p[3]].student_id, people[p[4]].student_id))
    result = []
    for score, code, acts, a, b in pairs:
        pair = Pair(people[a].student_id, people[b].student_id, round(score, 4), round(code, 4),
                    round(acts, 4))
        _fragments(pair, people[a], people[b], weight)
        _shared_wrong(pair, wrong_of[a], wrong_of[b], weights, people[a])
        result.append(pair)
    return result


def values_function(feature: tuple[str, str]) -> str:
    return feature[0].split("\x1f", 1)[0]


def _wrong_values(people: list[Evidence]):
    """Per learner, their wrong values as features ``(function\x1fgrade_id\x1fi\x1fcall
    digest, value digest)``; the weight of each feature; per learner, how many wrong values per
    function."""
    # One check's calls all come from its own generator: its first call names them all.
    given: Counter = Counter()  # (grade_id, first call) -> learners given those calls
    passed: dict[tuple[str, str], list[list[str]]] = defaultdict(list)
    for person in people:
        for grade_id, check in person.checks.items():
            calls = check.get("calls") or [""]
            given[grade_id, calls[0]] += 1
            if check.get("passed"):
                passed[grade_id, calls[0]].append(check.get("values") or [])
    right: dict[tuple[str, str, int], set[str]] = {}  # values of learners who passed

    def is_right(grade_id: str, first: str, i: int, value: str) -> bool:
        key = (grade_id, first, i)
        if key not in right:
            right[key] = {values[i] for values in passed.get((grade_id, first), ())
                          if i < len(values)}
        return value in right[key]

    wrong_of: list[dict[tuple[str, str], bool]] = []  # feature -> a known mistake's?
    counts: Counter = Counter()
    population: dict[str, int] = {}
    per_function: list[Counter] = []
    for person in people:
        features: dict[tuple[str, str], bool] = {}
        tally: Counter = Counter()
        for grade_id, check in person.checks.items():
            if check.get("passed"):
                continue
            calls, values = check.get("calls") or [""], check.get("values") or []
            function, known = check.get("function", ""), bool(check.get("mistake"))
            for i, call in enumerate(calls):
                value = values[i] if i < len(values) else ""
                if value and not is_right(grade_id, calls[0], i, value):
                    key = f"{function}\x1f{grade_id}\x1f{i}\x1f{call}"
                    features[key, value] = known
                    population[key] = given[grade_id, calls[0]]
                    tally[function] += 1
        counts.update(features.keys())
        wrong_of.append(features)
        per_function.append(tally)
    known_ = {feature for features in wrong_of for feature, known in features.items() if known}
    weights = {}
    for feature, count in counts.items():
        w = rarity(count, population[feature[0]])
        weights[feature] = w * KNOWN_MISTAKE_WEIGHT if feature in known_ else w
    return wrong_of, weights, per_function


def _ranges(spans: list[tuple[int, int, int, float]]) -> list[tuple[int, int, int, float]]:
    """Merge (cell, first, last, weight) spans that overlap or touch, per cell."""
    merged: list[list] = []
    for cell, first, last, w in sorted(spans):
        if merged and merged[-1][0] == cell and first <= merged[-1][2] + 1:
            merged[-1][2] = max(merged[-1][2], last)
            merged[-1][3] += w
        else:
            merged.append([cell, first, last, w])
    return [tuple(m) for m in merged]


def _lines(person: Evidence, cell: int, first: int, last: int) -> str:
    lines = person.cells[cell].splitlines() if cell < len(person.cells) else []
    return "\n".join(lines[first - 1 : last])


def _fragments(pair: Pair, a: Evidence, b: Evidence, weight: Mapping[int, float]) -> None:
    """The shared rare fragments, aligned: each of a's regions with b's lines that hold the
    same fingerprints; heaviest first."""
    where_b = {}
    for h, cell, first, last in b.fingerprints:
        where_b.setdefault(h, (cell, first, last))
    spans = [(cell, first, last, weight.get(h, 0.0)) for h, cell, first, last in a.fingerprints
             if h in where_b and weight.get(h, 0.0) > 0]
    regions = _ranges(spans)
    pair.shared_fragments = len(regions)
    found = []
    for cell, first, last, w in regions:
        hits = [where_b[h] for h, c, f, t in a.fingerprints
                if c == cell and first <= f and t <= last and h in where_b
                and weight.get(h, 0.0) > 0]
        cells = Counter(c for c, _, _ in hits)
        other = cells.most_common(1)[0][0]
        lo = min(f for c, f, _ in hits if c == other)
        hi = max(t for c, _, t in hits if c == other)
        found.append((_lines(a, cell, first, last), _lines(b, other, lo, hi), round(w, 3)))
    pair.fragments = sorted(found, key=lambda f: -f[2])


def _shared_wrong(pair: Pair, a: Mapping, b: Mapping, weights: Mapping, person: Evidence):
    both = [f for f in a if f in b and weights.get(f, 0.0) > 0]
    pair.shared_wrong_values = len(both)
    texts = []
    for feature in sorted(both, key=lambda f: (-weights[f], f)):
        function, grade_id, i, _ = feature[0].split("\x1f")
        shown_ = person.checks.get(grade_id, {}).get("shown", [])
        text = shown_[int(i)] if int(i) < len(shown_) else f"{function}: call {i}"
        texts.append((function, text))
    pair.wrong = texts


# --------------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------------


def write_csv(path: Path, pairs: list[Pair]) -> None:
    """DIR/similarity.csv: one row per pair above the threshold, most similar first."""
    from .workspace import atomic_write

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in pairs:
        writer.writerow([p.student_a, p.student_b, f"{p.score:.3f}", f"{p.code_score:.3f}",
                         f"{p.behaviour_score:.3f}", p.shared_fragments, p.shared_wrong_values])
    atomic_write(Path(path), buffer.getvalue())


STYLE = """
.pair{border:1px solid #ddd;padding:.2rem .8rem .6rem;margin:1rem 0}.pair h3{font-size:1rem}
.side{table-layout:fixed}.side td{width:50%}.side pre{margin:0;white-space:pre-wrap;
font-size:.8em;background:#f7f7f7;padding:.3rem}.judge{background:#eef4fb;padding:.5rem .8rem}
""".strip()


def html_section(pairs: list[Pair], links: Mapping[str, str | None],
                 threshold: float = DEFAULT_THRESHOLD, top: int = REPORT_PAIRS,
                 per_pair: int = 4) -> str:
    """report.html's section: the `top` most similar pairs, each with its shared fragments side
    by side and its shared wrong values, linked to both learners' feedback (`links`: student
    -> feedback path relative to the report; None: none)."""
    e = html.escape
    out = [f'<h2 id="similarity">Submissions that are alike <span class="muted">'
           f"({len(pairs)} pair{'' if len(pairs) == 1 else 's'} above {threshold:g})</span></h2>",
           '<p class="judge">This is evidence for you to judge, never an accusation. Learners may '
           "have worked together as allowed, found the same source, or simply written the same "
           "thing. Code and wrong answers that many learners share, the model answer and the "
           "released notebook's code count for nothing here; what is shown is what these two "
           "share and few others do. Every pair is in similarity.csv.</p>"]
    if not pairs:
        out.append(f"<p>No pair of submissions shares more than common code and common mistakes "
                   f"(no score above {threshold:g}).</p>")
        return "\n".join(out)

    def who(student: str) -> str:
        link = links.get(student)
        return (f'<a href="{e(link)}">{e(student)}</a>' if link
                else f"{e(student)} <span class=\"muted\">(no feedback)</span>")

    out.append('<div id="pairs">')
    for rank, p in enumerate(pairs[:top], start=1):
        out.append(f'<section class="pair" data-a="{e(p.student_a)}" data-b="{e(p.student_b)}">')
        out.append(f"<h3>{rank}. {who(p.student_a)} and {who(p.student_b)}: score {p.score:.2f} "
                   f'<span class="muted">(code {p.code_score:.2f}, behaviour '
                   f"{p.behaviour_score:.2f})</span></h3>")
        if p.fragments and p.code_score < SHOWN_CODE_SCORE:
            out.append(f'<p class="muted">Their own code has little that is rare in common '
                       f"({p.shared_fragments} short fragment"
                       f"{'' if p.shared_fragments == 1 else 's'}).</p>")
        elif p.fragments:
            more = f", the {per_pair} weightiest shown" if len(p.fragments) > per_pair else ""
            out.append(f"<p>{p.shared_fragments} rare code fragment"
                       f"{'' if p.shared_fragments == 1 else 's'} in common{more}:</p>")
            out.append(f'<table class="side fragments"><thead><tr><th>{e(p.student_a)}</th>'
                       f"<th>{e(p.student_b)}</th></tr></thead><tbody>")
            for mine, theirs, _ in p.fragments[:per_pair]:
                out.append(f"<tr><td><pre>{e(mine)}</pre></td><td><pre>{e(theirs)}</pre></td>"
                           "</tr>")
            out.append("</tbody></table>")
        if p.wrong:
            out.append(f"<p>{p.shared_wrong_values} identical wrong value"
                       f"{'' if p.shared_wrong_values == 1 else 's'} on the same calls, which "
                       "few others returned:</p>")
            out.append('<table class="wrong"><thead><tr><th>function</th><th>both: the call and '
                       "what it returned</th></tr></thead><tbody>")
            for function, text in p.wrong[:per_pair]:
                out.append(f'<tr><td>{e(function)}</td><td class="msg">{e(text)}</td></tr>')
            out.append("</tbody></table>")
        out.append("</section>")
    out.append("</div>")
    if len(pairs) > top:
        out.append(f'<p class="muted">{len(pairs) - top} more pair(s) in similarity.csv.</p>')
    return "\n".join(out)
