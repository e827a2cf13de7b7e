"""Where the grading unit runs: `local` (this machine's cores) or `dask` (a cluster).

Both take the same plain-data unit (:func:`autograder.unit.grade_submission`) and yield
batches of :class:`Done`, as the units finish, to the coordinator that commits them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Done:
    """One finished unit: what it was given and either its result or the error that ended it."""

    item: object
    result: object = None
    error: BaseException | None = None
