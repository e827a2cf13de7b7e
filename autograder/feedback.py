"""Stage 6: what the learner gets back.

- `html(...)`: DIR/feedback/<sid>/<assignment>.html. Per test cell: its one-line
  docstring, pass or fail, points, and the failure message (exception name and message only).
  It is built from the grades alone, never from the notebook's source, so it cannot contain
  the source of a hidden test, a traceback or the reference solution. Everything is escaped.
  A known mistake the message names (the assignment's catalogue) is shown apart, with its hint.
  (Plain nbgrader's generate_feedback renders the whole notebook, hidden tests included.)
- `gradescope(...)`: DIR/results/<sid>.json in Gradescope's results.json schema. Visible tests
  are "visible"; hidden tests are "after_published" (shown once the instructor publishes).
"""

from __future__ import annotations

import html as _html
import json

from .messages import NONE, Mistakes, Outcome

STYLE = """
body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;
text-align:left;vertical-align:top}.pass{color:#176b2c}.fail{color:#a4161a}.msg{font-family:
monospace;font-size:.9em;white-space:pre-wrap}.note{background:#fff4d6;padding:.5rem}
.mistake{font-family:system-ui,sans-serif;background:#eef4fb;border-left:3px solid #2f6fb0;
padding:.3rem .5rem;margin-top:.4rem;white-space:normal}
""".strip()


RERUN = "when re-run on its own"  # in the clean room's status reasons (autograder.cleanroom)


def _fmt(x: float) -> str:
    return f"{x:g}"


def html(student_id: str, status: str, score: float, max_score: float,
         outcomes: list[Outcome], notes: list[str], title: str,
         mistakes: Mistakes = NONE) -> str:
    """The learner's feedback page; ``title`` is the assignment's (its manifest's)."""
    e = _html.escape
    rows = []
    for o in outcomes:
        passed = o.points >= o.cell.points
        verdict = ('<span class="pass">passed</span>' if passed
                   else '<span class="fail">failed</span>')
        kind = "hidden test" if o.cell.hidden else "test"
        rows.append(
            f"<tr><td>{e(o.cell.title)}<br><small>{e(o.cell.grade_id)} ({kind})</small></td>"
            f"<td>{verdict}</td><td>{_fmt(o.points)} / {_fmt(o.cell.points)}</td>"
            f'<td class="msg">{_message_html(o.message, mistakes)}</td></tr>'
        )
    status_html = "" if status == "graded" else f'<p class="note">{e(_explain(status))}</p>'
    notes_html = "".join(f'<p class="note">{e(n)}</p>' for n in notes)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Feedback: {e(title)} ({e(student_id)})</title>"
        f"<style>{STYLE}</style></head><body>\n"
        f"<h1>{e(title)}: {_fmt(score)} / {_fmt(max_score)}</h1>\n"
        f"{status_html}{notes_html}\n"
        "<table><thead><tr><th>Test</th><th>Result</th><th>Points</th><th>Message</th></tr>"
        f"</thead><tbody>\n{chr(10).join(rows)}\n</tbody></table>\n</body></html>\n"
    )


def _message_html(message: str, mistakes: Mistakes) -> str:
    """The failure message, escaped; a known mistake it names is set apart with its hint."""
    found = mistakes.read(message)
    if found is None:
        return _html.escape(message)
    from solutions.checking import MARK, SEPARATOR

    text, name, hint = (_html.escape(part) for part in found)
    return (f'{text}<div class="mistake">{_html.escape(MARK)}<strong>{name}</strong>'
            f"{_html.escape(SEPARATOR)}{hint}</div>")


def _explain(status: str) -> str:
    if status.startswith("timed out"):
        return (f"Some code ran too long ({status}). Look for a loop that never ends; "
                "the other functions were still graded.")
    if status.startswith(("kernel died", "stopped by sys.exit", "kernel stopped")):
        return (f"Your notebook stopped before the end ({status}), so the tests after that "
                "point could not run. Remove calls such as sys.exit() or os._exit().")
    if status.startswith("no "):
        return f"We could not find your notebook: {status}. Please resubmit it under that name."
    if status.startswith("not a notebook"):
        return f"Your file could not be opened as a notebook ({status}). Please resubmit it."
    if f" lost points {RERUN} " in status:
        return (f"{status}. Your functions are also re-run on their own with new inputs; each "
                "test that failed there says which call went wrong and how.")
    return status


def gradescope(status: str, score: float, outcomes: list[Outcome], notes: list[str]) -> str:
    tests = [
        {
            "name": o.cell.title,
            "number": o.cell.grade_id,
            "score": o.points,
            "max_score": o.cell.points,
            "status": "passed" if o.points >= o.cell.points else "failed",
            "output": o.message,
            "visibility": "after_published" if o.cell.hidden else "visible",
        }
        for o in outcomes
    ]
    output = "; ".join([status if status == "graded" else _explain(status), *notes])
    return json.dumps({"score": score, "output": output, "visibility": "visible",
                       "tests": tests}, indent=1) + "\n"
