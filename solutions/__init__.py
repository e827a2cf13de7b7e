"""The course's reference package: one folder per assignment, and the machinery they share.

- ``solutions/<assignment>/``: ``reference.py`` (the model answers, the single source of
  mathematical truth), ``checks.py`` (``CHECKS``: one check per grade cell of the assignment's
  notebook; its hidden test cells call ``run_check``), ``mistakes.py`` (``MISTAKES``: the
  catalogue of known mistakes) and ``manifest.toml`` (title, order, time);
- ``checking.py``: calls, checks and the diagnosis of mistakes, for every assignment;
- ``elementwise.py``: judging element-wise functions (activations and their slopes);
- ``wire.py``: how calls and results cross the sandbox boundary.

Learners never see this package.
"""
