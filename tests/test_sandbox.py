"""autograder.isolation.sandbox: what code inside the bubblewrap sandbox can and cannot do."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.isolation.sandbox import (
    Limits,
    SandboxedKernelManager,
    run_sandboxed,
    sandbox_env,
    sandbox_problem,
    wrap,
)

pytestmark = pytest.mark.skipif(
    sandbox_problem() is not None, reason=f"no sandbox here: {sandbox_problem()}"
)

REPO = Path(__file__).resolve().parents[1]


def run_python(code: str, timeout: float = 20, **kwargs):
    """Run `code` in the sandbox; @REPO@ in it stands for this checkout's path."""
    return run_sandboxed(
        [sys.executable, "-c", textwrap.dedent(code).replace("@REPO@", str(REPO))],
        timeout=timeout,
        **kwargs,
    )


def test_sandbox_problem_is_none_where_bwrap_runs_as_root():
    assert sandbox_problem() is None


def test_python_and_numpy_run_under_an_unprivileged_uid():
    result = run_python("import os, numpy; print(os.getuid(), numpy.arange(4).sum())")
    uid, total = result.stdout.split()
    assert result.returncode == 0, result.stderr
    assert int(uid) != 0
    assert total == b"6"


def test_wrap_refuses_root_uid_and_empty_command():
    with pytest.raises(ValueError, match="root"):
        wrap(["true"], scratch=None, uid=0)
    with pytest.raises(ValueError, match="empty argv"):
        wrap([], scratch=None)


def test_nbgrader_execution_never_reaches_the_sandbox():
    with pytest.raises(ValueError, match="NBGRADER_EXECUTION"):
        sandbox_env({"NBGRADER_EXECUTION": "autograde"})
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        result = run_python("import os; print(sorted(os.environ))")
    finally:
        del os.environ["NBGRADER_EXECUTION"]
    assert b"NBGRADER_EXECUTION" not in result.stdout
    assert b"HOME" in result.stdout


def test_repository_home_and_reference_package_are_invisible():
    result = run_python(
        """
        import os
        print(sorted(os.listdir("@REPO@")), sorted(os.listdir("/root")))
        try:
            import solutions
            print("IMPORTED")
        except ImportError:
            print("no solutions")
        """
    )
    assert result.returncode == 0, result.stderr
    # Only the mount points of the venv and the Python install exist, nothing of the project.
    assert result.stdout.splitlines() == [b"['.venv'] ['.pyenv']", b"no solutions"]


def test_no_network_at_all():
    result = run_python(
        """
        import socket
        try:
            socket.create_connection(("1.1.1.1", 80), timeout=2)
            print("CONNECTED")
        except OSError as error:
            print("blocked", error.errno)
        """
    )
    assert result.stdout.startswith(b"blocked"), result.stdout + result.stderr


def test_system_is_read_only_and_host_scratch_is_the_writable_place(tmp_path):
    result = run_python(
        """
        for path in ("/usr/evil", "/etc/evil", "@REPO@/.venv/evil"):
            try:
                open(path, "w")
                print("WROTE", path)
            except OSError:
                print("refused")
        open("/scratch/ok.txt", "w").write("fine")
        """,
        scratch=tmp_path,
    )
    assert result.stdout.split() == [b"refused"] * 3, result.stderr
    assert (tmp_path / "ok.txt").read_text() == "fine"


def test_fork_bomb_is_bounded_by_the_process_limit():
    # 16 processes allowed; the bomb tries 200 children, each of which sleeps.
    result = run_python(
        """
        import os, time
        made = 0
        for _ in range(200):
            try:
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                made += 1
            except OSError:
                break
        print(made)
        """,
        limits=Limits(processes=16),
    )
    assert result.returncode == 0, result.stderr
    assert 0 < int(result.stdout) < 16


def test_memory_bomb_gets_memory_error():
    # 512 MB of address space; the code asks for 4 GB.
    result = run_python(
        """
        try:
            data = bytearray(4 << 30)
            print("ALLOCATED")
        except MemoryError:
            print("memory error")
        """,
        limits=Limits(memory_bytes=512 << 20),
    )
    assert result.stdout.strip() == b"memory error", result.stderr


def test_file_size_limit_stops_a_large_write(tmp_path):
    # 1 MB per file; the code writes 10 MB into the host scratch folder.
    result = run_python(
        """
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        try:
            with open("/scratch/big", "wb") as f:
                f.write(b"x" * (10 << 20))
            print("WROTE")
        except OSError:
            print("too large")
        """,
        scratch=tmp_path,
        limits=Limits(file_bytes=1 << 20),
    )
    assert result.stdout.strip() == b"too large", result.stderr
    assert (tmp_path / "big").stat().st_size <= 1 << 20


def test_cpu_time_limit_kills_a_busy_loop():
    # 1 s of CPU; the wall-clock timeout (20 s) is far away.
    result = run_python("while True: pass", limits=Limits(cpu_seconds=1))
    assert not result.timed_out
    assert result.returncode != 0
    assert result.seconds < 15


def test_wall_clock_timeout_kills_a_stopped_process():
    result = run_python("import os, signal; os.kill(os.getpid(), signal.SIGSTOP)", timeout=2)
    assert result.timed_out


def test_output_beyond_the_cap_kills_the_sandbox():
    result = run_python("import sys\nwhile True: sys.stdout.write('x' * 65536)", max_output=100_000)
    assert result.output_exceeded
    assert len(result.stdout) == 100_000


# --- kernels --------------------------------------------------------------------------------------


def _managers():
    from autograder.isolation.forkserver import BlockingForkedSandboxedKernelManager

    # A kernel in a bubblewrap sandbox of its own, and one forked from the warm zygote (what
    # the pipeline uses): both must pass every test of this file.
    return {"own-sandbox": SandboxedKernelManager, "forked": BlockingForkedSandboxedKernelManager}


@pytest.fixture(scope="module", params=["own-sandbox", "forked"])
def kernel(request):
    km = _managers()[request.param](kernel_name="python3")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    assert not os.path.exists(km.sandbox_dir)


def execute(kc, code: str, timeout: float = 30) -> tuple[str, str]:
    """Run one cell; return (status, text of its stream/result/error outputs)."""
    texts = []

    def hook(msg):
        content = msg["content"]
        if msg["msg_type"] == "stream":
            texts.append(content["text"])
        elif msg["msg_type"] == "execute_result":
            texts.append(content["data"]["text/plain"])
        elif msg["msg_type"] == "error":
            texts.append(f"{content['ename']}: {content['evalue']}")

    reply = kc.execute_interactive(code, timeout=timeout, output_hook=hook)
    return reply["content"]["status"], "".join(texts)


@pytest.mark.slow
def test_sandboxed_kernel_runs_numpy_and_sees_the_reference_package(kernel):
    _, kc = kernel
    code = "import numpy, os, solutions\nprint(numpy.arange(3).sum(), os.getuid())"
    status, text = execute(kc, code)
    assert status == "ok", text
    total, uid = text.split()
    assert total == "3" and uid != "0"


@pytest.mark.slow
def test_sandboxed_kernel_cannot_open_a_tcp_socket(kernel):
    _, kc = kernel
    status, text = execute(
        kc, "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)"
    )
    assert status == "error"
    assert "Network is unreachable" in text or "OSError" in text


@pytest.mark.slow
def test_sandboxed_kernel_cannot_read_the_repository_or_write_outside_scratch(kernel):
    km, kc = kernel
    status, text = execute(kc, f"import os\nprint(sorted(os.listdir({str(REPO)!r})))")
    # solutions is bound for the hidden tests; the gradebook, sources and submissions are not.
    assert text.strip() == "['.venv', 'solutions']"
    status, text = execute(kc, f"open({str(REPO / 'solutions' / 'evil.py')!r}, 'w')")
    assert status == "error" and "Errno 30" in text  # read-only file system
    status, text = execute(kc, f"open({km.sandbox_dir + '/evil'!r}, 'w')")
    assert status == "error" and "Permission denied" in text  # socket folder locked after start
    status, text = execute(kc, "open('/scratch/ok', 'w').write('x')")
    assert status == "ok", text


@pytest.mark.slow
def test_sandboxed_kernel_is_interrupted_by_message(kernel):
    km, kc = kernel
    import threading

    timer = threading.Timer(1.0, km.interrupt_kernel)
    timer.start()
    status, text = execute(kc, "while True: pass", timeout=20)
    assert status == "error" and "KeyboardInterrupt" in text
    status, text = execute(kc, "print(1 + 1)")
    assert text.strip() == "2"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["own-sandbox", "forked"])
def test_kernel_gets_nbgrader_marker_from_the_launch_env_but_nothing_else_of_it(kind):
    # Like nbgrader, the in-kernel run sets NBGRADER_EXECUTION; other host variables stay out.
    km = _managers()[kind](kernel_name="python3")
    env = dict(os.environ, NBGRADER_EXECUTION="autograde", GRADER_SECRET="s3cret")
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        code = (
            "import os\nprint(os.environ.get('NBGRADER_EXECUTION'), 'GRADER_SECRET' in os.environ)"
        )
        status, text = execute(kc, code)
        assert text.split() == ["autograde", "False"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_kernel_manager_factory_gives_sandboxed_kernels_forked_from_the_zygote(tmp_path):
    from autograder.isolation.forkserver import ForkedSandboxedKernelManager
    from autograder.isolation.kernels import kernel_manager_factory

    km = kernel_manager_factory(workspace=tmp_path, unsafe=False)()
    assert isinstance(km, ForkedSandboxedKernelManager)
    asyncio.run(km.cleanup_resources())  # never started: only its socket folder to remove
    assert not os.path.exists(km.sandbox_dir)


def test_kernel_manager_factory_refuses_without_sandbox_unless_unsafe(tmp_path, monkeypatch):
    import autograder.isolation.sandbox as sandbox
    from autograder.isolation.kernels import kernel_manager_factory

    monkeypatch.setattr(sandbox, "sandbox_problem", lambda: "bwrap not found.")
    with pytest.raises(RuntimeError, match=r"bwrap not found.*--unsafe"):
        kernel_manager_factory(workspace=tmp_path, unsafe=False)
    assert kernel_manager_factory(workspace=tmp_path, unsafe=True) is None


def test_the_zygote_works_here_and_a_broken_one_falls_back_to_a_sandbox_per_kernel(
        tmp_path, monkeypatch):
    import autograder.isolation.forkserver as forkserver
    from autograder.isolation.kernels import kernel_manager_factory
    from autograder.isolation.sandbox import AsyncSandboxedKernelManager

    assert forkserver.zygote_problem() is None
    monkeypatch.setattr(forkserver, "zygote_problem", lambda: "unshare: Operation not permitted")
    km = kernel_manager_factory(workspace=tmp_path, unsafe=False)()
    assert type(km) is AsyncSandboxedKernelManager  # slower, just as sandboxed
    asyncio.run(km.cleanup_resources())
