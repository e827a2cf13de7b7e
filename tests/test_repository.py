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
    "requirements-sandbox.txt",
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


def test_environment_yml_pins_the_same_packages_as_requirements():
    requirements = _pins((ROOT / "requirements.txt").read_text().splitlines())
    environment = _pins((ROOT / "environment.yml").read_text().splitlines())
    # Every requirement is pinned (a line without == would install whatever is newest).
    unpinned = [
        line
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#") and "==" not in line
    ]
    assert not unpinned, f"requirements.txt has unpinned lines: {unpinned}"
    assert requirements, "requirements.txt pins nothing"
    assert environment == requirements


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
