"""The grading pipeline's kernels: forked from the zygote, or a sandbox each, or refusal.

Kept apart from :mod:`.sandbox` (bubblewrap) and :mod:`.forkserver` (the zygote), which it
chooses between, so that neither of those imports the other's user: no import circle.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from . import forkserver, sandbox


def kernel_manager_factory(workspace: Path, unsafe: bool):
    """The grading pipeline's kernel factory: sandboxed kernels, or refusal with a reason.

    Returns a callable making an unstarted
    :class:`.forkserver.ForkedSandboxedKernelManager` (a sandboxed kernel forked from a warm
    zygote, which this call starts and checks: seconds), or of
    :class:`.sandbox.AsyncSandboxedKernelManager` where the zygote cannot be used; ``None``
    (plain, unsandboxed kernels) only when the sandbox cannot start and ``unsafe`` is True. Raises
    RuntimeError with an instructor-facing message when the sandbox cannot start and ``unsafe`` is
    False. ``workspace`` (the course folder with the gradebook) is never bound into the sandbox.
    """
    problem = sandbox.sandbox_problem()
    if problem is None:
        zygote_problem = forkserver.zygote_problem()
        if zygote_problem is None:
            return functools.partial(forkserver.ForkedSandboxedKernelManager,
                                     kernel_name="python3")
        # Slower (a cold sandbox per kernel), just as safe.
        logging.getLogger(__name__).warning(
            "Kernels start in a sandbox each (slower): the zygote cannot be used here (%s).",
            zygote_problem)
        return functools.partial(sandbox.AsyncSandboxedKernelManager, kernel_name="python3")
    if unsafe:
        return None
    raise RuntimeError(
        f"Learner code cannot be sandboxed here: {problem} Grading refuses to run it unsandboxed; "
        "fix that, or pass --unsafe to grade anyway (learner code then runs with your rights "
        f"and can read and change {workspace})."
    )
