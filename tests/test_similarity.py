"""Which submissions are too alike: DIR/similarity.csv and report.html's section
(autograder/similarity.py).

Most tests feed the pure functions a made-up class (tests/similarity_class.py) built from each
assignment's own release and source notebooks: honest learners who share the common answers and
mistakes, planted copies under every disguise, and a planted pair that shares a rare wrong
answer. Their behaviour is made up (no sandbox needed); one module fixture per assignment grades
a small class for real (the sandbox and the clean room) and the end-to-end tests read what
`grade` wrote, the browser test opens its report in Chromium.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import similarity_class as C

from autograder import similarity as S
from autograder import submissions as subs
from autograder.cleanroom import Outcome
from autograder.repair import Release, repair

REPO = Path(__file__).resolve().parents[1]
THRESHOLD = S.DEFAULT_THRESHOLD


def _release(assignment: str) -> Release:
    return Release.load(C.release(assignment))


def _known(assignment: str) -> frozenset[int]:
    return S.known_fingerprints(subs.read_notebook(C.source(assignment)), _release(assignment))


def _evidence(learners, assignment: str) -> list[S.Evidence]:
    release = _release(assignment)
    return [C.synthetic_evidence(learner, S.code_evidence(
        repair(C.notebook(learner, assignment), release).notebook, release))
        for learner in learners]


def _pairs(pairs) -> dict[frozenset, S.Pair]:
    return {frozenset((p.student_a, p.student_b)): p for p in pairs}


# --------------------------------------------------------------------------------------------
# The learner's own code
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("assignment", C.ASSIGNMENTS)
def test_the_release_as_handed_out_has_no_code_of_the_learners_own(assignment):
    # Starter code, stubs, docstrings, set-up, try-it and test cells are all the release's.
    release = _release(assignment)
    untouched = S.code_evidence(subs.read_notebook(C.release(assignment)), release)
    assert untouched["fingerprints"] == []


@pytest.mark.parametrize("assignment", C.ASSIGNMENTS)
def test_only_the_learners_own_statements_are_fingerprinted(assignment):
    release = _release(assignment)
    model = subs.correct_answers(C.source(assignment))
    nb = subs.make_submission(model, release=C.release(assignment))
    mine = "# my scratch work\nscratch = [k * 2 for k in range(5) if k % 2]\nprint(scratch)"
    nb = subs.insert_cell(nb, mine)
    cells = S.code_evidence(repair(nb, release).notebook, release)["cells"]
    assert mine in cells  # the learner's own cell
    assert len(cells) == len(model) + 1  # and one cell per answer; no test, set-up or plot cell
    lines = S.release_lines(release)
    kept = " ".join(t for cell in cells for t, _ in S.tokens(cell, lines))
    assert "NotImplementedError" not in kept and "def" not in kept.split()  # def lines: release
    assert "scratch" not in kept and "V = [ V * N for V in range ( N ) if V % N ] ;" in kept


def test_names_literals_comments_docstrings_and_layout_do_not_change_the_fingerprints():
    first = ('def spread(values, scale=2.0):\n    """Say what it does."""\n'
             "    total = sum(abs(v - scale) for v in values)  # the spread\n"
             "    return total / (len(values) + 1), max(values)\n")
    second = ("def f(xs,s=7):\n    '''Another docstring, longer\n\n    and on two lines.'''\n"
              "    # reworded comment\n    t = sum(abs(x -\n                s)\n"
              "        for x in xs)\n\n\n    return t/(len(xs)+3), max(xs)\n")
    assert S.fingerprints(first) == S.fingerprints(first)
    assert {h for h, _, _ in S.fingerprints(first)} == {h for h, _, _ in S.fingerprints(second)}
    # ... while another computation has other fingerprints (the check can fail).
    third = first.replace("abs(v - scale)", "(v - scale) ** 2")
    assert {h for h, _, _ in S.fingerprints(first)} != {h for h, _, _ in S.fingerprints(third)}


def test_a_syntax_error_or_an_ipython_magic_ends_nothing_but_its_own_statement():
    source = "%matplotlib inline\n!pip list\nvalue = sum(k * k for k in range(9)) + 1\nx = (1,"
    found = S.tokens(source)
    assert [t for t, _ in found[:6]] == ["V", "=", "sum", "(", "V", "*"]


# --------------------------------------------------------------------------------------------
# Rarity, digests, plain data
# --------------------------------------------------------------------------------------------


def test_rarity_is_full_for_two_and_nothing_for_a_tenth_or_a_third_of_a_small_class():
    assert S.rarity(2, 30) == 1.0  # two learners alone share it
    assert S.rarity(3, 9) == 0.0  # a third of a class of 9
    assert S.rarity(3, 30) == 0.0  # a tenth of a class of 30 (and the floor of 3)
    assert S.rarity(25, 1000) == 0.0 < S.rarity(24, 1000)  # 25 learners: what many write
    assert S.rarity(200, 1000) == 0.0  # a fifth: a common misconception
    assert S.rarity(1, 1000) == 0.0  # nobody shares it with anyone
    weights = [S.rarity(n, 1000) for n in range(2, 26)]
    assert weights == sorted(weights, reverse=True) and weights[-1] == 0.0 < weights[-2]


def test_a_value_digest_equates_two_ways_of_computing_one_value_and_nothing_else():
    import numpy as np

    x = np.linspace(-3, 3, 101)
    s = 1 / (1 + np.exp(-x))
    assert S.value_digest(1.25 * s) == S.value_digest(s + s / 4)  # x / 4 is exact: equal
    # Rounding to ~6 digits: a different last bit still agrees; a change in the 5th does not.
    assert S.value_digest(s) == S.value_digest(s * (1 + 2**-50))
    assert S.value_digest(s) != S.value_digest(s * (1 + 1e-5))
    assert S.value_digest(s) != S.value_digest(s[:-1])  # the shape counts
    assert S.value_digest(s > 0.5) != S.value_digest((s > 0.5).astype(float))  # so does the kind
    tree = ({"W1": s[:4].reshape(2, 2), "b1": np.zeros((2, 1))}, "tanh")
    assert S.value_digest(tree) == S.value_digest(({"b1": np.zeros((2, 1)),
                                                    "W1": s[:4].reshape(2, 2)}, "tanh"))
    assert S.value_digest(None) == "" and S.value_digest(object()) == ""


def test_one_seed_gives_every_learner_the_same_calls_and_another_seed_other_calls():
    from autograder import course
    from autograder.cleanroom import check_rng

    checks = course.assignments()[0].checks()

    def plan(seed):
        return [S.call_digest(call) for grade_id, check in checks.items()
                for call in check.calls(check_rng(seed, grade_id))]

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)


def test_evidence_is_plain_json_that_survives_the_state_file(tmp_path):
    learner = C.honest_class(C.ASSIGNMENTS[0], 3)[1]
    found = _evidence([learner], C.ASSIGNMENTS[0])[0]
    state = tmp_path / "sid.json"
    state.write_text(json.dumps({"key": {}, "similarity": found.as_dict()}))
    assert S.load(state) == found
    assert found.fingerprints and any(not c["passed"] for c in found.checks.values())
    (tmp_path / "old.json").write_text(json.dumps({"key": {}}))  # graded before similarity
    assert S.load(tmp_path / "old.json") is None and S.load(tmp_path / "none.json") is None


# --------------------------------------------------------------------------------------------
# A class: honest learners, planted copies, a planted rare wrong answer
# --------------------------------------------------------------------------------------------

# Each disguise alone, then all at once (the copy of honest000).
DISGUISES = {
    "renamed": C.Style(names=4242),
    "recommented": C.Style(comment="notes to self"),
    "laid_out": C.Style(spaced=True),
    "reordered": C.Style(reorder=True),
    "helper": C.Style(helper_block=True),
}


def _planted_class(assignment: str, honest: int = 30):
    """`honest` honest learners; a copy of honest000 under every disguise; one copy of each of
    honest001... under one disguise each; rareA and rareB, who share a rare wrong answer."""
    learners = C.honest_class(assignment, honest)
    planted = [(learners[0].student_id, "copy_all")]
    copies = [C.disguised(learners[0], "copy_all")]
    for number, (name, style) in enumerate(DISGUISES.items(), start=1):
        original = learners[number]
        style = dataclasses.replace(style, names=style.names or original.style.names)
        copies.append(dataclasses.replace(original, student_id=f"copy_{name}", style=style))
        planted.append((original.student_id, f"copy_{name}"))
    # Two learners with code of their own (drawn apart from the class) and the same rare wrong
    # answer, written differently.
    a, b = C.honest_class(assignment, 3, seed=101)[1], C.honest_class(assignment, 3, seed=202)[2]
    a, b = C.rare_wrong(assignment, dataclasses.replace(a, student_id="rareA"),
                        dataclasses.replace(b, student_id="rareB"))
    planted.append(("rareA", "rareB"))
    return learners + copies + [a, b], [frozenset(p) for p in planted]


@pytest.fixture(scope="module", params=C.ASSIGNMENTS)
def planted(request):
    assignment = request.param
    learners, pairs = _planted_class(assignment)
    found = _evidence(learners, assignment)
    return assignment, found, pairs, S.compare(found, 0.0, known=_known(assignment))


def test_every_planted_pair_ranks_above_every_honest_pair(planted):
    _, _, expected, pairs = planted
    ranked = [frozenset((p.student_a, p.student_b)) for p in pairs]
    assert set(ranked[: len(expected)]) == set(expected), pairs[: len(expected) + 2]
    scores = _pairs(pairs)
    assert all(scores[p].score > THRESHOLD for p in expected)
    honest = [p for p in pairs if frozenset((p.student_a, p.student_b)) not in expected]
    assert honest and max(p.score for p in honest) < THRESHOLD


def test_each_disguise_alone_still_shows_the_copy_with_its_fragments(planted):
    _, _, expected, pairs = planted
    scores = _pairs(pairs)
    for pair in expected[:-1]:  # the copies
        found = scores[pair]
        assert found.code_score > THRESHOLD and found.shared_fragments >= 3, found
        mine, theirs, _ = found.fragments[0]
        assert mine.strip() and theirs.strip()  # each side's own lines, aligned


def test_the_rare_wrong_answer_is_behaviour_evidence_with_the_calls(planted):
    _, _, expected, pairs = planted
    found = _pairs(pairs)[expected[-1]]
    assert found.behaviour_score > THRESHOLD and found.code_score < 0.2
    # 3 made-up tests of 4 calls each on the scaled function (tests/similarity_class.py).
    assert found.shared_wrong_values == 12
    assert all(text.endswith("returned rare") for _, text in found.wrong)


def test_common_mistakes_shared_by_a_third_of_the_class_are_no_evidence(planted):
    _, found, _, pairs = planted
    honest = [e for e in found if e.student_id.startswith("honest")]
    wrong = {g for e in honest for g, c in e.checks.items() if not c["passed"]}
    assert wrong  # the honest learners do make mistakes, each made by a third of them
    assert all(p.behaviour_score == 0.0 for p in pairs
               if p.student_a.startswith("honest") and p.student_b.startswith("honest"))


def test_the_csv_has_every_pair_above_the_threshold_most_similar_first(planted, tmp_path):
    _, found, expected, _ = planted
    pairs = S.compare(found, THRESHOLD, known=())
    S.write_csv(tmp_path / "similarity.csv", pairs)
    with open(tmp_path / "similarity.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == S.CSV_COLUMNS == ["student_a", "student_b", "score", "code_score",
                                              "behaviour_score", "shared_fragments",
                                              "shared_wrong_values"]
    assert {frozenset((r["student_a"], r["student_b"])) for r in rows} == set(expected)
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert all(r["student_a"] < r["student_b"] for r in rows)


@pytest.mark.parametrize("assignment", C.ASSIGNMENTS)
def test_a_class_that_all_wrote_the_model_answer_flags_nobody(assignment):
    found = _evidence(C.model_class(assignment, 12), assignment)
    assert all(e.fingerprints for e in found)  # the answers are theirs, yet everyone's
    assert S.compare(found, THRESHOLD, known=_known(assignment)) == []
    assert S.compare(found, 0.0, known=_known(assignment)) == []  # not even a weak pair
    assert S.compare(found, 0.0) == []  # the model answers are common in the class anyway


def test_a_textbook_one_liner_two_learners_share_is_not_enough():
    # Two learners (of 30) add the same one-line helper; everything else is their own.
    assignment = C.ASSIGNMENTS[0]
    learners = C.honest_class(assignment, 30)
    release = _release(assignment)
    line = "def slope(s):\n    return s * (1 - s)\n"
    found = []
    for learner in learners:
        nb = C.notebook(learner, assignment)
        if learner.student_id in ("honest004", "honest017"):
            nb = subs.insert_cell(nb, line)
        found.append(C.synthetic_evidence(learner, S.code_evidence(repair(nb, release).notebook,
                                                                   release)))
    pair = _pairs(S.compare(found, 0.0)).get(frozenset(("honest004", "honest017")))
    assert pair is not None and 0 < pair.code_score < 0.2 * THRESHOLD  # seen, and weak


def test_a_known_mistake_weighs_less_than_an_unexplained_one():
    def learner(sid, returns, mistake=""):
        outcomes = {"f_values": Outcome(False, "wrong", "f", ("c1", "c2"), (returns, returns))}
        return S.evidence(sid, None, outcomes, {"f_values": {"name": mistake}} if mistake else {})

    right = [S.evidence(f"ok{i}", None, {"f_values": Outcome(True, "", "f", ("c1", "c2"),
                                                              ("r", "r"))}) for i in range(20)]
    odd = S.compare(right + [learner("a", "w"), learner("b", "w")], 0.0)
    named = S.compare(right + [learner("a", "w", "sign"), learner("b", "w", "sign")], 0.0)
    assert odd[0].behaviour_score > THRESHOLD > named[0].behaviour_score > 0


# --------------------------------------------------------------------------------------------
# The report's section
# --------------------------------------------------------------------------------------------


def test_the_section_escapes_what_learners_wrote_links_feedback_and_does_not_accuse():
    pair = S.Pair("a<b>", "c", 0.9, 0.9, 0.0, 1, 1, [("x = '<script>'", "y = 1", 1.0)],
                  [("f", "f(1) returned <img src=x>")])
    page = S.html_section([pair], {"a<b>": "feedback/a/x.html", "c": None})
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert "never an accusation" in page
    assert 'href="feedback/a/x.html"' in page and "(no feedback)" in page
    assert "No pair" in S.html_section([], {})


# --------------------------------------------------------------------------------------------
# End to end: `grade` on a small class, the real sandbox and clean room
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=C.ASSIGNMENTS)
def graded(request, tmp_path_factory):
    """9 honest learners (each common answer and mistake made by 3 of them: a third of the class
    is no evidence), a disguised copy of honest000, rareA and rareB (a rare wrong answer)."""
    from autograder.isolation.sandbox import sandbox_problem
    from autograder.pipeline import grade

    if sandbox_problem() is not None:
        pytest.skip(f"no sandbox: {sandbox_problem()}")
    assignment = request.param
    learners = C.honest_class(assignment, 9)
    copy = C.disguised(learners[0], "copy")
    a, b = C.honest_class(assignment, 3, seed=101)[1], C.honest_class(assignment, 3, seed=202)[2]
    a, b = C.rare_wrong(assignment, dataclasses.replace(a, student_id="rareA"),
                        dataclasses.replace(b, student_id="rareB"))
    root = tmp_path_factory.mktemp(f"similar-{assignment}")
    subs.write_class(root / "subs", {x.student_id: C.notebook(x, assignment)
                                     for x in [*learners, copy, a, b]}, assignment=assignment)
    # 30 s a cell: the second assignment trains networks; the machine is shared.
    result = grade(root / "subs", root / "out", progress=False, assignment=assignment,
                   timeout=30.0)
    return assignment, root, result


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_grade_writes_similarity_csv_with_the_planted_pairs_only(graded):
    _, root, result = graded
    rows = _rows(root / "out" / "similarity.csv")
    assert {frozenset((r["student_a"], r["student_b"])) for r in rows} == {
        frozenset(("copy", "honest000")), frozenset(("rareA", "rareB"))}
    by_pair = {frozenset((r["student_a"], r["student_b"])): r for r in rows}
    copy, rare = by_pair[frozenset(("copy", "honest000"))], by_pair[frozenset(("rareA", "rareB"))]
    assert float(copy["code_score"]) > THRESHOLD and int(copy["shared_fragments"]) >= 3
    # The clean room's values: every call of the scaled function's tests returned 1.25 times
    # the right value for both, and nobody else's did.
    assert float(rare["behaviour_score"]) > THRESHOLD and int(rare["shared_wrong_values"]) >= 3
    assert result.similar == 2
    state = json.loads((root / "out" / ".autograder" / "state" / "rareA.json").read_text())
    assert state["similarity"]["checks"] and state["similarity"]["fingerprints"]


@pytest.mark.slow
def test_the_report_shows_the_pairs_side_by_side_with_links_and_says_it_is_no_verdict(graded):
    assignment, root, _ = graded
    page = (root / "out" / "report.html").read_text()
    section = page.split('id="similarity"')[1].split("<h2>")[0]
    assert "evidence for you to judge, never an accusation" in section
    assert section.count('<section class="pair"') == 2
    copy = re.search(r'<section class="pair" data-a="copy" data-b="honest000">(.*?)</section>',
                     section, re.S).group(1)
    assert f'href="feedback/copy/{assignment}.html"' in copy
    assert f'href="feedback/honest000/{assignment}.html"' in copy
    assert copy.count("<pre>") >= 2  # fragments, each side's own lines
    rare = re.search(r'data-a="rareA" data-b="rareB">(.*?)</section>', section, re.S).group(1)
    assert "returned" in rare and "identical wrong value" in rare
    assert (root / "out" / "feedback" / "copy" / f"{assignment}.html").exists()
    assert not re.search(r"(src|href)=\"(https?:)?//", page) and "<script" not in page


@pytest.mark.slow
def test_a_rerun_that_grades_nobody_again_still_compares_everyone(graded, tmp_path):
    _, root, _ = graded
    from autograder.pipeline import grade

    again = tmp_path / "out"
    shutil.copytree(root / "out", again)
    before = _rows(again / "similarity.csv")
    # Threshold 0: every pair with any shared evidence, from the state files alone.
    result = grade(root / "subs", again, progress=False, assignment=graded[0], timeout=30.0,
                   similarity_threshold=0.0)
    assert (result.graded, result.reused) == (0, 12)
    rows = _rows(again / "similarity.csv")
    assert rows[:2] == before and len(rows) > len(before)
    assert all(float(r["score"]) < THRESHOLD for r in rows[2:])


# --------------------------------------------------------------------------------------------
# In a real browser, offline
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_the_similarity_section_opens_offline_in_chromium_without_console_errors(graded,
                                                                                 tmp_path):
    import browser_support as bs

    assignment, root, _ = graded
    if assignment != C.ASSIGNMENTS[0]:
        pytest.skip("one screenshot is enough: the section is the same for every assignment")
    executable = bs.find_chromium()
    if executable is None:
        pytest.skip(f"Chromium was not found. {bs.INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    problems, requests = [], []
    with sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright, executable)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto((root / "out" / "report.html").as_uri())
            page.wait_for_load_state("load")
            heading = page.locator("#similarity")
            assert heading.is_visible() and "2 pairs above 0.5" in heading.inner_text()
            pairs = page.locator("#pairs section.pair")
            assert pairs.count() == 2
            copy = page.locator('#pairs section.pair[data-a="copy"]')
            first = copy.locator("table.fragments td pre")
            box_a, box_b = first.nth(0).bounding_box(), first.nth(1).bounding_box()
            assert box_a and box_b and abs(box_a["y"] - box_b["y"]) < 2  # side by side
            assert box_b["x"] > box_a["x"] + box_a["width"] / 2
            shot = tmp_path / "similarity_report.png"
            page.locator("#similarity").scroll_into_view_if_needed()
            page.screenshot(path=str(shot), clip={
                "x": 0, "y": heading.bounding_box()["y"] - 10 + page.evaluate("window.scrollY"),
                "width": 1100, "height": 900}, full_page=True)
            if os.environ.get("UPDATE_SCREENSHOTS") == "1":
                shutil.copy(shot, REPO / "tests" / "screenshots" / "similarity_report.png")
            copy.locator("h3 a").first.click()  # the copy's feedback opens
            page.wait_for_load_state("load")
            assert page.url.endswith(f"feedback/copy/{assignment}.html")
        finally:
            browser.close()
    assert problems == []
    assert [u for u in requests if not u.startswith("file://")] == []
    assert shot.stat().st_size > 10_000
