"""The class report: DIR/item_analysis.csv and DIR/report.html (autograder/analytics.py, report.py).

Fast tests feed the analysis hand-made rows. The slow ones grade a real class with planted mistakes
once (module fixture `planted`) and check exact counts in both files; the browser one opens the
report in headless Chromium, offline.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import statistics
from pathlib import Path

import pytest

from autograder import analytics
from autograder import submissions as S
from autograder.analytics import Cell, Student
from autograder.report import Row, histogram_svg

REPO = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------------------------
# The figures, from hand-made rows
# --------------------------------------------------------------------------------------------

CELLS = [Cell("f_values", 1.0, "f", False), Cell("f_hidden", 1.0, "f", True),
         Cell("g_values", 2.0, "g", False)]  # fmt: skip


def student(sid, points, status="graded", mistakes=None, notes=None):
    score = None if points is None else sum(points.values())
    return Student(Row(sid, score, 4.0, status, points or {}), mistakes or {}, notes or [],
                   f"feedback/{sid}/activation_derivatives.html")


def wrong(name):
    return {"name": name, "example": "f(1.0) returned 2.0; expected 1.0."}


def test_point_biserial_is_the_pearson_correlation_and_empty_when_undefined():
    # passed = 1 1 0 0 against rest = 3 2 1 0: sxy = 2, sxx = 1, syy = 5, so r = 2 / sqrt(5).
    assert analytics.point_biserial([1, 1, 0, 0], [3, 2, 1, 0]) == pytest.approx(2 / 5**0.5)
    assert analytics.point_biserial([1, 1, 0, 0], [3, 2, 1, 0]) == pytest.approx(
        statistics.correlation([1, 1, 0, 0], [3, 2, 1, 0]))
    assert analytics.point_biserial([1, 1, 1], [3, 2, 1]) is None  # everyone passed
    assert analytics.point_biserial([1, 0, 1], [2, 2, 2]) is None  # the rest never varies
    assert analytics.point_biserial([1], [3]) is None  # one student


def test_item_rows_count_passes_and_the_top_mistake_among_ran_notebooks_only():
    students = [
        student("a", {"f_values": 1.0, "f_hidden": 1.0, "g_values": 2.0}),
        student("b", {"f_values": 0.0, "f_hidden": 0.0, "g_values": 2.0},
                mistakes={"f_values": wrong("sign"), "f_hidden": wrong("sign")}),
        student("c", {"f_values": 0.0, "f_hidden": 1.0, "g_values": 0.0},
                mistakes={"f_values": wrong("alpha"), "g_values": wrong("sign")}),
        student("d", {"f_values": 0.0, "f_hidden": 1.0, "g_values": 1.0},  # partial g: a fail
                mistakes={"f_values": wrong("alpha")}),
        student("e", {"f_values": 0.0, "f_hidden": 0.0, "g_values": 0.0},
                status="not a notebook: the file is not JSON"),  # not analysed
        student("f", None, status="error: KernelError: no kernel (run again to retry)"),
    ]
    rows = {item.grade_id: item for item in analytics.items(students, CELLS)}
    f_values, f_hidden, g_values = rows["f_values"], rows["f_hidden"], rows["g_values"]
    assert (f_values.students, f_values.passed, f_values.pass_rate) == (4, 1, 0.25)
    # alpha: c and d (2); sign: b (1)
    assert (f_values.top_mistake, f_values.top_mistake_count) == ("alpha", 2)
    assert (f_hidden.passed, f_hidden.top_mistake, f_hidden.top_mistake_count) == (3, "sign", 1)
    assert (g_values.passed, g_values.top_mistake, g_values.top_mistake_count) == (2, "sign", 1)
    # Scores a 4, b 2, c 1, d 2; f_values passed 1 0 0 0 against the rest 3 2 1 2.
    assert f_values.discrimination == pytest.approx(statistics.correlation([1, 0, 0, 0],
                                                                           [3, 2, 1, 2]))
    text = analytics.item_csv(list(rows.values())).splitlines()
    assert text[0] == ("grade_id,students,passed,pass_rate,discrimination,top_mistake,"
                       "top_mistake_count")
    assert text[1].startswith("f_values,4,1,0.250,") and text[1].endswith(",alpha,2")


def test_a_class_where_everyone_passes_a_cell_has_no_discrimination_for_it():
    students = [student(s, {"f_values": 1.0, "f_hidden": p, "g_values": 2.0})
                for s, p in (("a", 1.0), ("b", 0.0), ("c", 1.0))]  # fmt: skip
    rows = {i.grade_id: i for i in analytics.items(students, CELLS)}
    assert rows["f_values"].discrimination is None
    line = analytics.item_csv([rows["f_values"]]).splitlines()[1]
    assert line == "f_values,3,3,1.000,,,0"


def test_misconceptions_count_students_not_cells_most_common_first():
    students = [
        student("b", {}, mistakes={"f_values": wrong("sign"), "f_hidden": wrong("sign")}),
        student("c", {}, mistakes={"f_values": wrong("alpha")}),
        student("d", {}, mistakes={"g_values": wrong("alpha")}),
    ]
    found = analytics.misconceptions(students)
    assert [(m.name, m.students, m.cells, m.student) for m in found] == [
        ("alpha", 2, ("f_values", "g_values"), "c"),
        ("sign", 1, ("f_values", "f_hidden"), "b"),
    ]


def test_students_needing_attention_say_why():
    students = [
        student("ok", {"f_values": 1.0}),
        student("lost", {}, status="no activation_derivatives.ipynb (found hw.ipynb)"),
        student("slow", {"f_values": 1.0}, status="timed out in relu_derivative"),
        student("fixed", {"f_values": 1.0}, notes=["deleted test cells were put back: x"]),
        student("cheat", {"f_values": 0.0},
                status="relu lost points: it fails when re-run on its own"),
        student("died", {}, status="kernel died in cell 7"),
    ]
    found = {s.row.student_id: reasons for s, reasons in analytics.attention(students)}
    assert found == {
        "lost": ["not gradable"],
        "slow": ["timed out"],
        "fixed": ["repaired"],
        "cheat": ["capped by the clean room (possible cheat)"],
        "died": ["stopped early"],
    }


def test_the_histogram_has_one_bar_per_score_reached_with_its_count():
    svg = histogram_svg([35.0, 32.0, 32.0, 28.0, 0.0], 35.0)
    bars = re.findall(r"<title>(\d+) points: (\d+) students?</title>", svg)
    assert bars == [("0", "1"), ("28", "1"), ("32", "2"), ("35", "1")]
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_report_escapes_what_students_wrote(tmp_path):
    evil = student("x", {"f_values": 0.0}, status="not a notebook: <script>alert(1)</script>",
                   mistakes={"f_values": {"name": "<b>n</b>", "example": "<img src=x>"}})
    from autograder import report

    page = report.html_report([evil], CELLS, analytics.items([evil], CELLS),
                              analytics.misconceptions([evil]), analytics.attention([evil]),
                              4.0, analytics.summary_numbers([evil]))
    assert "<script>" not in page and "<img" not in page and "<b>n</b>" not in page
    assert "&lt;script&gt;" in page


# --------------------------------------------------------------------------------------------
# A real class with planted mistakes (graded once, in the sandbox where it can start)
# --------------------------------------------------------------------------------------------

SIGMOID_A_FORM = "return z * (1 - z)"  # catalogue: the a-form applied to z
FORWARD = "return (f(z + eps) - f(z)) / eps"  # catalogue: a forward difference
RELU_AT_ZERO = "return np.where(z >= 0, 1.0, 0.0)"  # catalogue: slope 1 at z = 0
LEAKY_NO_ALPHA = "return np.where(z > 0, 1.0, 0.01)"  # catalogue: alpha ignored
DOUBLED = "s = sigmoid(z)\nreturn 2 * s * (1 - s)"  # in no catalogue entry


def _planted_class():

    right = S.correct_answers()

    def answers(**changes):
        return S.make_submission({**right, **changes})

    return {
        "ada": answers(),
        "bob": answers(sigmoid_derivative=SIGMOID_A_FORM),
        "cy": answers(sigmoid_derivative=SIGMOID_A_FORM, numerical_derivative=FORWARD),
        "dee": answers(relu_derivative=RELU_AT_ZERO, leaky_relu_derivative=LEAKY_NO_ALPHA),
        "eve": answers(sigmoid_derivative=DOUBLED),
        "fay": S.BROKEN["not_json"](),
    }


# What the planted mistakes fail (every other cell: all 5 students whose notebook ran pass).
SIGMOID_DERIVATIVE = ("sigmoid_derivative_values", "sigmoid_derivative_inputs",
                      "sigmoid_derivative_extremes")
NUMERICAL = ("numerical_derivative_values", "numerical_derivative_is_central",
             "numerical_derivative_uses_eps", "numerical_derivative_arrays")
EXPECTED = {
    # grade_id: (passed of 5, top mistake, count). eve's doubled slope fails the sigmoid
    # derivative too but is named by nothing, so the a-form's count is bob and cy: 2.
    **{g: (2, "the a-form applied to z", 2) for g in SIGMOID_DERIVATIVE},
    **{g: (4, "a forward difference", 1) for g in NUMERICAL},
    "relu_derivative_at_zero": (4, "slope 1 at z = 0", 1),
    "leaky_relu_derivative_custom_alpha": (4, "alpha ignored", 1),
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    from autograder.pipeline import grade

    root = tmp_path_factory.mktemp("planted")
    S.write_class(root / "submissions", _planted_class())
    first = grade(root / "submissions", root / "out", progress=False, assignment=S.ASSIGNMENT)
    return root / "out", first


def _csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_item_analysis_counts_the_planted_mistakes_exactly(planted):
    out, result = planted
    rows = {r["grade_id"]: r for r in _csv(out / "item_analysis.csv")}
    assert list(rows) == result.grade_ids  # one row per grade cell, in notebook order
    assert list(next(iter(rows.values()))) == analytics.ITEM_COLUMNS
    grades = {r["student_id"]: r for r in _csv(out / "grades.csv")}
    ran = [sid for sid in grades if sid != "fay"]  # fay's file is not a notebook
    for grade_id, row in rows.items():
        passed, top, count = EXPECTED.get(grade_id, (5, "", 0))
        assert (int(row["students"]), int(row["passed"])) == (5, passed), grade_id
        assert row["pass_rate"] == f"{passed / 5:.3f}", grade_id
        assert (row["top_mistake"], int(row["top_mistake_count"])) == (top, count), grade_id
        # Discrimination, recomputed here from grades.csv with the standard library.
        cell = [float(grades[s][grade_id]) for s in ran]
        rest = [float(grades[s]["score"]) - c for s, c in zip(ran, cell, strict=True)]
        if passed in (0, 5):
            assert row["discrimination"] == "", grade_id
        else:
            expected = statistics.correlation([1.0 if c >= 1 else 0.0 for c in cell], rest)
            assert float(row["discrimination"]) == pytest.approx(expected, abs=5e-4), grade_id


@pytest.mark.slow
def test_the_report_shows_the_same_counts_and_who_needs_attention(planted):
    out, _ = planted
    page = (out / "report.html").read_text()
    for grade_id, (passed, top, count) in EXPECTED.items():
        row = re.search(rf'<tr data-grade-id="{grade_id}">(.*?)</tr>', page).group(1)
        assert f"{passed} / 5" in row and f"{top} ({count})" in row, grade_id
    table = page.split('id="misconceptions"')[1].split("</table>")[0]
    listed = re.findall(r"<tr><td>([^<]+)</td><td class=\"n\">(\d+)</td>", table)
    assert listed == [("the a-form applied to z", "2"), ("a forward difference", "1"),
                      ("alpha ignored", "1"), ("slope 1 at z = 0", "1")]
    assert "sigmoid_derivative(10.0) returned -90.0" in table  # an example value (bob's)
    attention = page.split('id="attention"')[1].split("</table>")[0]
    assert attention.count("<tr><td>") == 1 and "fay" in attention
    assert f'href="feedback/fay/{S.ASSIGNMENT}.html"' in attention
    assert "6 students; 5 with a notebook that ran" in page
    assert f"<h1>Class report: {S.FIRST.title}</h1>" in page  # the manifest's title
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing from the network


@pytest.mark.slow
def test_feedback_names_the_planted_mistakes_and_nothing_for_an_unknown_one(planted):
    out, _ = planted
    import json

    def failed(sid):
        data = json.loads((out / "results" / f"{sid}.json").read_text())
        return {t["number"]: t["output"] for t in data["tests"] if t["status"] == "failed"}

    bob = failed("bob")
    assert sorted(bob) == sorted(SIGMOID_DERIVATIVE)
    for message in bob.values():
        assert "Likely mistake: the a-form applied to z — " in message
    eve = failed("eve")
    assert sorted(eve) == sorted(SIGMOID_DERIVATIVE)
    for message in eve.values():
        assert "Likely mistake" not in message and "returned" in message
    html = (out / "feedback" / "dee" / f"{S.ASSIGNMENT}.html").read_text()
    assert '<div class="mistake">Likely mistake: <strong>slope 1 at z = 0</strong>' in html
    assert "<strong>alpha ignored</strong>" in html
    assert "run_check" not in html and "solutions" not in html  # no hidden test source


@pytest.mark.slow
def test_a_second_run_reports_every_student_although_none_is_graded_again(planted, tmp_path):
    out, first = planted
    again = tmp_path / "out"
    shutil.copytree(out, again)
    before = {name: (again / name).read_text() for name in ("item_analysis.csv", "report.html")}
    from autograder.pipeline import grade

    result = grade(out.parent / "submissions", again, progress=False)  # it works it out
    assert (result.graded, result.reused) == (0, 6)
    for name, text in before.items():
        assert (again / name).read_text() == text, name


# --------------------------------------------------------------------------------------------
# In a real browser, offline
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_the_report_opens_offline_in_chromium_without_console_errors(planted, tmp_path):
    import browser_support as bs

    executable = bs.find_chromium()
    if executable is None:
        pytest.skip(f"Chromium was not found. {bs.INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    out, _ = planted
    problems, requests = [], []
    with sync_playwright() as playwright:
        browser = bs.launch_chromium(playwright, executable)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto((out / "report.html").as_uri())
            page.wait_for_load_state("load")
            assert page.title() == f"Class report: {S.FIRST.title}"
            # The histogram is drawn: one bar per score reached (35, 33, 32 twice, 28).
            assert page.locator("svg rect.bin").count() == 4
            box = page.locator("svg").bounding_box()
            assert box and box["width"] > 300 and box["height"] > 100
            assert page.locator("#checks tbody tr").count() == 35
            first = page.locator("#checks tbody tr").first.get_attribute("data-grade-id")
            assert first == "sigmoid_derivative_values"  # hardest first
            shot = tmp_path / "class_report.png"
            page.screenshot(path=str(shot), full_page=True)
            if os.environ.get("UPDATE_SCREENSHOTS") == "1":
                shutil.copy(shot, REPO / "tests" / "screenshots" / "class_report.png")
            # The feedback link of the student who needs attention opens the file.
            page.click("#attention a")
            page.wait_for_load_state("load")
            assert page.url.endswith(f"feedback/fay/{S.ASSIGNMENT}.html")
            assert f"{S.FIRST.title}: 0 / 35" in page.content()
        finally:
            browser.close()
    assert problems == []
    assert [u for u in requests if not u.startswith("file://")] == []
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_a_hidden_tests_diagnosis_is_made_outside_the_sandbox_not_taken_from_the_kernel(tmp_path):
    # The learner's code can reach the catalogue inside its own kernel and rewrite what the
    # hidden tests print there; the feedback and the report must still name the mistake the
    # clean room's values show, worked out outside the sandbox.
    import json

    from autograder.isolation.sandbox import sandbox_problem
    from autograder.pipeline import grade

    if sandbox_problem() is not None:
        pytest.skip(f"no sandbox: {sandbox_problem()}")
    # In its kernel, the learner's code wraps the checks' judge so that every failing check's
    # message names a made-up mistake.
    forge = ("import solutions.checking as _c\n"
             "_judge = _c.judge\n"
             "_c.judge = lambda *a, **k: (lambda m: m and m + ' Likely mistake: FORGED — no')"
             "(_judge(*a, **k))\n")
    nb = S.make_submission({**S.correct_answers(), "sigmoid_derivative": SIGMOID_A_FORM})
    nb = S.insert_cell(nb, forge, after="sigmoid_derivative")
    S.write_class(tmp_path / "subs", {"mallory": nb})
    grade(tmp_path / "subs", tmp_path / "out", progress=False, assignment=S.ASSIGNMENT)
    out = tmp_path / "out"
    # The forgery worked in the kernel: its hidden tests' outputs carry it.
    autograded = (out / "autograded" / "mallory" / S.ASSIGNMENT / f"{S.ASSIGNMENT}.ipynb")
    assert "FORGED" in autograded.read_text()
    state = json.loads((out / ".autograder" / "state" / "mallory.json").read_text())
    html = (out / "feedback" / "mallory" / f"{S.ASSIGNMENT}.html").read_text()
    # The state keeps the learner's own code as written, for similarity: the forging cell too.
    graded = {key: value for key, value in state.items() if key != "similarity"}
    assert "FORGED" not in html and "FORGED" not in json.dumps(graded)
    hidden = {g: m["name"] for g, m in state["mistakes"].items()
              if g.startswith("sigmoid_derivative") and g != "sigmoid_derivative_values"}
    assert hidden and set(hidden.values()) == {"the a-form applied to z"}
