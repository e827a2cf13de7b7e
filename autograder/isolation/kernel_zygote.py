"""The zygote: a warm Python in the sandbox that forks a fresh kernel for each notebook (and a
fresh process for each clean-room run).

Run by :mod:`isolation.forkserver` inside bubblewrap (``python kernel_zygote.py``), as root
in the sandbox's namespaces (no network, a read-only system), never as a module of the grading
process: it imports only the standard library until the host says what to preload.

Starting a kernel costs about 2 s of CPU, nearly all of it imports (ipykernel, numpy,
matplotlib). The zygote pays that once; each kernel is then a fork of a process that has never
run learner code, so no state passes from one learner to the next. The pattern is SageMathCell's
forking kernel manager, with the isolation of one bubblewrap sandbox per kernel redone per fork:

- the forked child (the "keeper", still root) unshares its mount, pid, ipc, net and uts
  namespaces and forks the kernel, which is pid 1 of its own pid namespace;
- the kernel mounts its own ``/proc`` (it sees no other process), its own size-capped ``/tmp``,
  ``/scratch`` and ``/dev/shm``, and hides every kernel's socket folder but its own (a clean-room
  run also hides the reference package, and sees its own folder of calls read-only);
- it then sets its resource limits, drops every capability (bounding, inheritable, ambient) and
  root itself for a uid of its own, sets no_new_privs, clears its environment, closes every file
  descriptor of the zygote, and only then starts ipykernel.

The keeper waits for the kernel and exits with it; the kernel dies with the keeper (parent-death
signal), and the keeper dies with the zygote, which dies with bubblewrap. Killing the keeper (by
its pid, which the zygote reports) therefore ends the kernel and everything it started.

Protocol, one JSON object per line. The host sends ``{"preload": [modules]}``; the zygote
imports them and prints ``{"ready": [the ones it could import]}``. Then for each request
(``kind`` "kernel" or "script", ``binds`` [[host path, inside path, read-only]], ``hide``
[paths], ``uid``, ``env``, ``limits`` {RLIMIT_*: value}, ``tmpfs_bytes``, ``argv``,
``setup_error`` (a file for the reason set-up failed); a kernel's ``connection_file``; a
script's ``script``, ``stdout`` and ``status`` files) it forks and prints ``{"pid": keeper pid}``
(or ``{"error": ...}``). A script's ``status`` file gets its exit status and the CPU seconds it
used, "STATUS SECONDS".
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 4096, 8192, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522
MIN_UID = 2_000_000_000  # isolation.sandbox.UID_BASE: far from every uid a person or daemon has
STAGE = "/.kernel-stage"  # an empty folder bubblewrap makes; bound folders pass through here

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                        ctypes.c_ulong]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _bytes(text: str | None) -> bytes | None:
    return text.encode() if text is not None else None


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = ""):
    _check(_libc.mount(_bytes(source), _bytes(target), _bytes(fstype), flags, _bytes(data)),
           f"mount {target}")


def _prctl(option: int, arg: int = 0, arg3: int = 0) -> None:
    _check(_libc.prctl(option, arg, arg3, 0, 0), f"prctl {option}")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _drop_privileges(uid: int) -> None:
    """Become `uid` with no capability at all, for good (the order matters)."""
    if uid < MIN_UID:
        raise ValueError(f"refusing uid {uid}: learner code runs under a uid of its own")
    last_cap = int(open("/proc/sys/kernel/cap_last_cap").read())
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    for cap in range(last_cap + 1):  # needs CAP_SETPCAP, so before root is given up
        _prctl(PR_CAPBSET_DROP, cap)
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    os.setresuid(uid, uid, uid)  # clears the permitted and effective sets
    empty = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(_CapHeader(LINUX_CAPABILITY_VERSION_3, 0)), empty),
           "capset")  # and the inheritable one
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    _prctl(PR_SET_DUMPABLE, 1)  # as after an exec: /proc/self belongs to the kernel's uid
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # a change of uid clears it: set it again
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != uid:
        raise OSError("the uid did not change")


def _isolate_mounts(request: dict) -> None:
    """Fresh /proc, /tmp, /scratch, /dev/shm; of the zygote's own folders (every kernel's
    socket folder, the reference package for a clean room) only what `request` binds."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    binds = request["binds"]  # [host path, path inside, read-only?]
    _mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=0700")
    for number, (source, _, _) in enumerate(binds):
        os.mkdir(f"{STAGE}/{number}")
        _mount(source, f"{STAGE}/{number}", None, MS_BIND)  # set aside before /tmp is replaced
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    size = int(request["tmpfs_bytes"])
    for target in ("/tmp", "/scratch", "/dev/shm"):
        if os.path.isdir(target):
            _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    for hidden in request["hide"]:
        os.makedirs(hidden, mode=0o755, exist_ok=True)
        _mount("tmpfs", hidden, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=0755")
    for number, (_, target, read_only) in enumerate(binds):
        os.makedirs(target, mode=0o755, exist_ok=True)
        _mount(f"{STAGE}/{number}", target, None, MS_MOVE)
        if read_only:
            _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _check(_libc.umount2(STAGE.encode(), MNT_DETACH), "umount stage")


def _close_inherited_fds() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, 65536)


def _report_setup_error(request: dict, error: BaseException) -> None:
    """Leave the reason a child could not be set up where the host looks for it."""
    try:
        path = request["setup_error"]
        with open(path, "w") as f:
            f.write(f"{type(error).__name__}: {error}\n")
        os.chmod(path, 0o644)
    except Exception:
        pass


def _run_child(request: dict) -> None:
    """In the child (pid 1 of its namespace, still root): isolate, drop, then run learner code."""
    try:
        os.setsid()
        stdout = None
        if request.get("stdout"):  # opened before the host's folders disappear from view
            stdout = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        _isolate_mounts(request)
        import resource

        for name, value in request["limits"].items():
            limit = getattr(resource, name)
            resource.setrlimit(limit, (value, value))
        _drop_privileges(int(request["uid"]))
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir("/scratch")
        if stdout is not None:
            os.dup2(stdout, 1)
            os.close(stdout)
    except BaseException as error:
        _report_setup_error(request, error)
        raise
    # From here on, nothing of the zygote but its imported modules: learner code may run.
    sys.path[:] = [*request.get("sys_path", []),
                   *(p for p in sys.path if p != os.path.dirname(os.path.abspath(__file__)))]
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if request["kind"] == "kernel":
        from ipykernel.kernelapp import IPKernelApp

        sys.argv = ["ipykernel_launcher", "-f", request["connection_file"], *request["argv"]]
        IPKernelApp.launch_instance(argv=sys.argv[1:])
    else:  # a script, as `python -I script args...` would run it
        import runpy

        sys.argv = [request["script"], *request["argv"]]  # -I: its folder is not on sys.path
        try:
            runpy.run_path(request["script"], run_name="__main__")
        finally:  # as the interpreter does at exit (the child ends with os._exit)
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:
                    pass


def _keeper(request: dict) -> None:
    """The forked child: new namespaces, then the kernel (or script) as pid 1; exits when it
    does, after writing its exit status where the request says (a script's request does)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _close_inherited_fds()
    status_fd = None
    if request.get("status"):
        status_fd = os.open(request["status"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.setsid()
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET
                         | CLONE_NEWUTS), "unshare")
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            if status_fd is not None:
                os.close(status_fd)
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            _run_child(request)
            code = 0
        except SystemExit as exit_:  # sys.exit() in a script
            code = exit_.code if isinstance(exit_.code, int) else (exit_.code is not None)
        finally:
            os._exit(code)
    _, status, used = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if status_fd is not None:  # the exit status, and the CPU seconds it used
        os.write(status_fd, f"{code} {used.ru_utime + used.ru_stime:.3f}".encode())
    os._exit(code & 0xFF)


def _reap(*_args) -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _preload(modules: list[str]) -> list[str]:
    import importlib

    loaded = []
    for name in modules:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:  # a missing optional module only makes its kernels slower
            pass
    return loaded


def main() -> None:
    out = sys.stdout
    first = json.loads(sys.stdin.readline())
    loaded = _preload(first.get("preload", []))
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:  # fork copies one thread: a preloaded module must not have started any
        out.write(json.dumps({"error": f"the zygote runs {threads} threads after preloading"}))
        out.write("\n")
        out.flush()
        return
    # Every fork would otherwise copy most of the zygote's memory the first time its garbage
    # collector walks the preloaded objects (copy-on-write): keep them out of its sight.
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGCHLD, _reap)
    out.write(json.dumps({"ready": loaded}) + "\n")
    out.flush()
    for line in sys.stdin:
        try:
            request = json.loads(line)
            pid = os.fork()
        except Exception as error:
            out.write(json.dumps({"error": f"{type(error).__name__}: {error}"}) + "\n")
            out.flush()
            continue
        if pid == 0:
            try:
                _keeper(request)
            except BaseException as error:
                _report_setup_error(request, error)
            finally:
                os._exit(1)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
