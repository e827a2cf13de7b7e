"""The lock (requirements-lock.txt) agrees with the direct list, with the venv and with itself.

requirements.txt is the list a person edits; `make lock` resolves it into the lock, which
`make setup` installs in hash-checking mode. These tests make CI fail when the two files
disagree, when the venv holds a package the lock does not, and when a substituted wheel would
install. None uses the network or builds a venv: they read the files and the venv's metadata, and
run the installers on one tiny wheel made in tmp_path. (`packaging` comes with pytest.)
"""

import base64
import hashlib
import importlib.metadata
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
DIRECT = ROOT / "requirements.txt"
LOCK = ROOT / "requirements-lock.txt"
# What the lock's header says wrote it (uv's --custom-compile-command in the Makefile).
LOCK_COMMAND = "make lock"

# The targets the lock promises: Linux on x86_64 and aarch64, Python 3.11 to 3.13. Each minor is
# taken at its first patch release and at one later than any yet published, since a lock may fork
# inside a minor version (soupsieve does, at 3.11.5).
TARGETS = [
    (machine, f"{minor}.{patch}")
    for machine in ("x86_64", "aarch64")
    for minor in ("3.11", "3.12", "3.13")
    for patch in (0, 30)
]


@dataclass
class Entry:
    """One package in the lock: its requirement line, its hashes and what asked for it."""

    requirement: Requirement
    hashes: list[str]
    via: list[str] = field(default_factory=list)

    @property
    def name(self):
        return canonicalize_name(self.requirement.name)

    @property
    def version(self):
        (spec,) = self.requirement.specifier
        return spec.version

    def applies(self, environment=None):
        marker = self.requirement.marker
        return marker is None or marker.evaluate(environment)


def read_lock(text):
    """Parse a requirements file written by `uv pip compile --generate-hashes`."""
    entries = []
    pending = ""
    for line in text.splitlines():
        if pending or (line and not line[0].isspace() and not line.startswith("#")):
            pending += line.rstrip("\\").strip() + " "
            if not line.endswith("\\"):
                requirement, _, _ = pending.partition(" --hash=")
                hashes = re.findall(r"--hash=sha256:(\S+)", pending)
                entries.append(Entry(Requirement(requirement.strip()), hashes))
                pending = ""
        elif entries and line.strip().startswith("#"):
            words = line.strip().lstrip("#").strip()
            words = words.removeprefix("via").strip()
            if words:
                entries[-1].via.append(words)
    return entries


def read_direct(text):
    """The requirements of a hand-written requirements file (comments and blank lines skipped)."""
    lines = (line.partition("#")[0].strip() for line in text.splitlines())
    return [Requirement(line) for line in lines if line]


def target_environment(machine, python_full_version):
    environment = default_environment()
    environment.update(
        sys_platform="linux",
        platform_system="Linux",
        os_name="posix",
        platform_machine=machine,
        implementation_name="cpython",
        platform_python_implementation="CPython",
        python_version=".".join(python_full_version.split(".")[:2]),
        python_full_version=python_full_version,
    )
    return environment


def lock_problems(direct_text, lock_text):
    """What makes the lock disagree with the direct list, one sentence each (empty: they agree)."""
    direct = read_direct(direct_text)
    lock = read_lock(lock_text)
    problems = []
    for requirement in direct:
        name = canonicalize_name(requirement.name)
        pins = [entry for entry in lock if entry.name == name]
        if not pins:
            problems.append(f"{requirement.name} is in requirements.txt but not in the lock.")
        for entry in pins:
            if not requirement.specifier.contains(entry.version, prereleases=True):
                problems.append(
                    f"the lock pins {entry.name}=={entry.version}, which requirements.txt "
                    f"forbids ({requirement})."
                )
    direct_names = {canonicalize_name(requirement.name) for requirement in direct}
    for entry in lock:
        if "-r requirements.txt" in entry.via and entry.name not in direct_names:
            problems.append(
                f"the lock has {entry.name} from requirements.txt, which no longer lists it."
            )
    return [problem + " Run `make lock`." for problem in problems]


def test_the_lock_and_the_direct_list_agree():
    problems = lock_problems(DIRECT.read_text(), LOCK.read_text())
    assert not problems, "\n".join(problems)


# Each disagreement CI must catch, made by one edit of the real requirements.txt, and a word of
# the sentence that must name it.
EDITS = {
    "a direct dependency missing from the lock": (
        lambda text: text + "left-pad==1.0\n",
        "left-pad is in requirements.txt but not in the lock",
    ),
    "a lock pin the direct list forbids": (
        lambda text: re.sub(r"^numpy==\S+", "numpy==1.26.4", text, flags=re.MULTILINE),
        "the lock pins numpy==",
    ),
    "a lock pin outside a range": (
        lambda text: re.sub(r"^tqdm==\S+", "tqdm<4", text, flags=re.MULTILINE),
        "the lock pins tqdm==",
    ),
    "a direct dependency the list dropped": (
        lambda text: re.sub(r"^mpmath==\S+\n", "", text, flags=re.MULTILINE),
        "the lock has mpmath from requirements.txt",
    ),
}


@pytest.mark.parametrize("edit", EDITS)
def test_a_disagreement_between_lock_and_direct_list_is_named(edit):
    change, sentence = EDITS[edit]
    edited = change(DIRECT.read_text())
    assert edited != DIRECT.read_text(), f"the edit for {edit!r} changed nothing"
    problems = lock_problems(edited, LOCK.read_text())
    assert any(sentence in problem for problem in problems), problems
    assert all(problem.endswith("Run `make lock`.") for problem in problems)


def test_every_lock_entry_is_an_exact_pin_with_sha256_hashes():
    text = LOCK.read_text()
    assert LOCK_COMMAND in "".join(text.splitlines()[:3]), (
        f"{LOCK.name} must be written by `{LOCK_COMMAND}` (its header names the command)"
    )
    entries = read_lock(text)
    # The venv holds about 140 packages: a parse that finds far fewer has lost its way.
    assert len(entries) > 100
    for entry in entries:
        assert str(entry.requirement.specifier).startswith("=="), entry.requirement
        assert entry.hashes, f"{entry.name} has no hash in the lock"
        for digest in entry.hashes:
            assert re.fullmatch(r"[0-9a-f]{64}", digest), (entry.name, digest)


@pytest.mark.parametrize(("machine", "python"), TARGETS)
def test_the_lock_gives_one_version_of_each_package_on_every_target(machine, python):
    environment = target_environment(machine, python)
    applicable = [entry for entry in read_lock(LOCK.read_text()) if entry.applies(environment)]
    names = [entry.name for entry in applicable]
    twice = sorted({name for name in names if names.count(name) > 1})
    assert not twice, f"the lock pins these twice on {machine}, Python {python}: {twice}"
    for requirement in read_direct(DIRECT.read_text()):
        if requirement.marker is None or requirement.marker.evaluate(environment):
            assert canonicalize_name(requirement.name) in names, (requirement, machine, python)


def test_every_installed_package_is_in_the_lock_at_its_version_with_a_hash():
    # pip comes with the venv (python -m venv installs it from the interpreter's own copy), and the
    # project is installed from this checkout: neither is downloaded, so neither is locked.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    unlocked = {"pip", canonicalize_name(project)}
    locked = {
        entry.name: entry for entry in read_lock(LOCK.read_text()) if entry.applies()
    }
    # The venv's own site-packages only: setuptools, once imported (another test builds a wheel),
    # puts its vendored copies (autocommand, jaraco...) on sys.path, where they look installed.
    site = [str(Path(p).resolve()) for p in sysconfig.get_paths().values()]
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions(path=site)
    }
    assert canonicalize_name(project) in installed, "run `make setup` first"
    problems = []
    for name, version in sorted(installed.items()):
        if name in unlocked:
            continue
        if name not in locked:
            problems.append(f"{name} {version} is installed but not in the lock")
        elif locked[name].version != version or not locked[name].hashes:
            problems.append(f"{name} {version} is installed; the lock has {locked[name].version}")
    for name, entry in sorted(locked.items()):
        # uv is missing where make setup fell back to pip, uv being what could not be installed.
        if name not in installed and name != "uv":
            problems.append(f"{name} {entry.version} is in the lock but not installed")
    assert not problems, "\n".join(problems) + "\n(rm -rf .venv && make setup rebuilds the venv)"


def test_the_locks_setuptools_can_build_the_project():
    # make setup installs the project without build isolation, with the setuptools of the lock.
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    locked = {entry.name: entry for entry in read_lock(LOCK.read_text()) if entry.applies()}
    for needed in map(Requirement, build["requires"]):
        entry = locked.get(canonicalize_name(needed.name))
        assert entry is not None, f"the project's build needs {needed}, which is not in the lock"
        assert needed.specifier.contains(entry.version), (needed, entry.version)


# --- Hash-checking mode: a substituted wheel is refused ---------------------------------------


def make(*args):
    """Run make on the Makefile; the flags of a make that runs pytest (`make test`) stay out."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60,
    ).stdout


def make_variable(name, **overrides):
    """The value of a variable of the Makefile, as make expands it."""
    settings = [f"{key}={value}" for key, value in overrides.items()]
    return make("-s", "--eval", "print-%: ; @: $(info $($*))", f"print-{name}", *settings).strip()


def test_make_setup_installs_the_lock_with_the_hash_checking_commands():
    # The dry run prints the recipe as make would run it: both branches of the installer choice.
    dry = make("-n", "-B", "setup")
    uv_sync, pip_sync = make_variable("UV_SYNC"), make_variable("PIP_SYNC")
    assert "--require-hashes" in uv_sync and "--require-hashes" in pip_sync
    assert f"{uv_sync} {LOCK.name}" in dry
    assert f"{pip_sync} -r .venv/pip-lock.txt" in dry


PROBE = "lock_probe"


def probe_wheel(folder, body):
    """A one-module wheel, lock_probe 1.0, whose module holds `body`."""
    folder.mkdir(parents=True, exist_ok=True)
    info = f"{PROBE}-1.0.dist-info"
    files = {
        f"{PROBE}/__init__.py": body,
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: lock-probe\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test_lock\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = hashlib.sha256(text.encode()).digest()
        encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record.append(f"{name},sha256={encoded},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    path = folder / f"{PROBE}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
    return path


def install_probe(installer, lock, wheels, target, cache):
    """Run the Makefile's install command of `installer` on `lock`, offline, into `target`."""
    command = shlex.split(make_variable(f"{installer}_SYNC", BIN=Path(sys.prefix) / "bin"))
    if installer == "UV":
        command += ["--target", str(target), "--no-index", "--find-links", str(wheels), str(lock)]
    else:
        command += ["--target", str(target), "--no-index", "--find-links", str(wheels), "-r", lock]
    # Neither the machine's pip or uv settings nor the shared caches take part.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "UV_"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_CACHE_DIR="1", UV_NO_CONFIG="1",
               UV_CACHE_DIR=str(cache))
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("installer", ["UV", "PIP"])
def test_the_install_refuses_a_wheel_whose_hash_is_not_in_the_lock(installer, tmp_path):
    if installer == "UV" and not (Path(sys.prefix) / "bin" / "uv").exists():
        pytest.skip("this venv has no uv: make setup installed it with pip")
    wheels = tmp_path / "wheels"
    genuine = probe_wheel(wheels, "GENUINE = True\n")
    lock = tmp_path / "lock.txt"
    digest = hashlib.sha256(genuine.read_bytes()).hexdigest()
    lock.write_text(f"lock-probe==1.0 \\\n    --hash=sha256:{digest}\n")

    # The wheel the lock names installs: the refusal below is the hash's doing, nothing else's.
    installed = install_probe(installer, lock, wheels, tmp_path / "ok", tmp_path / "cache-ok")
    assert installed.returncode == 0, installed.stderr
    assert (tmp_path / "ok" / PROBE / "__init__.py").read_text() == "GENUINE = True\n"

    # The same name and version, other bytes: what a tampered mirror or upload would serve.
    probe_wheel(wheels, "GENUINE = False\n")
    refused = install_probe(installer, lock, wheels, tmp_path / "no", tmp_path / "cache-no")
    assert refused.returncode != 0, refused.stdout
    assert "hash" in refused.stderr.lower(), refused.stderr
    assert not (tmp_path / "no" / PROBE).exists()
