"""The conformance suite: every guarantee the grader gives, once, for every assignment.

Each test takes the ``assignment`` fixture (tests/conftest.py: every assignment the course has)
and reads everything it needs from that assignment's own files: its source and release
notebooks, its CHECKS table, catalogue, reference and variants (corpus.py builds the made-up
learners from them). Nothing here names an assignment or one of its functions, so a new
assignment folder gets every guarantee with no new test code. What an assignment does not hold
yet is listed, with the reason, in tests/known_gaps.toml.

- test_notebook_files: the notebooks are well formed, say what they grade, and the release
  leaks nothing.
- test_course: nbgrader sees every assignment (config, generated release, formgrader).
- test_notebook_runs: the notebooks in a real kernel; the cells grading runs are quick; display
  cells are never run by grading or `check`.
- test_honest: an honest learner loses nothing; test_cheats: a cheat earns nothing;
  test_one_property: each check judges one property; test_mistakes: each known mistake loses
  exactly its checks and is named.

The end-to-end tests read ONE graded batch per assignment (conftest.py's ``batch``).
"""
