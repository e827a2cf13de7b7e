"""isolation.forkserver: kernels forked from the warm zygote are as isolated as kernels of their
own sandbox, from the host and from each other (tests/test_sandbox.py runs its kernel tests on
both kinds; these are the properties that forking alone puts at risk)."""

from __future__ import annotations

import os
import time

import psutil
import pytest
from test_sandbox import execute

from autograder.isolation.sandbox import KERNEL_LIMITS, UID_BASE, sandbox_problem

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=f"no sandbox: {sandbox_problem()}"),
]


def start(**kwargs):
    from autograder.isolation.forkserver import BlockingForkedSandboxedKernelManager

    km = BlockingForkedSandboxedKernelManager(kernel_name="python3", **kwargs)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def run(kc, code: str) -> str:
    """Run one cell; its text (printed, result, or the error as 'Name: message')."""
    return execute(kc, code)[1].strip()


@pytest.fixture(scope="module")
def two_kernels():
    a, b = start(), start()
    yield a, b
    stop(*a)
    stop(*b)


def test_a_forked_kernel_has_no_privilege_left(two_kernels):
    (_, kc), _ = two_kernels
    status = dict(line.split(":\t", 1) for line in run(
        kc, "print(open('/proc/self/status').read())").splitlines() if ":\t" in line)
    uids = {int(u) for u in status["Uid"].split()}
    assert len(uids) == 1 and min(uids) >= UID_BASE  # real, effective, saved, fs: one, not root
    for caps in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[caps], 16) == 0, caps
    assert status["NoNewPrivs"].strip() == "1"
    assert status["Groups"].strip() == ""


def test_a_forked_kernel_sees_only_its_own_processes(two_kernels):
    (_, kc), _ = two_kernels
    # pid 1 of its own pid namespace: the zygote, the other kernel and the host are not there.
    assert run(kc, "import os; print(sorted(p for p in os.listdir('/proc') if p.isdigit()))") \
        == "['1']"


def test_a_forked_kernel_has_the_kernel_resource_limits(two_kernels):
    (_, kc), _ = two_kernels
    code = ("import resource as r; print([r.getrlimit(getattr(r, n))[0] for n in "
            "('RLIMIT_CPU', 'RLIMIT_AS', 'RLIMIT_NPROC', 'RLIMIT_FSIZE', 'RLIMIT_NOFILE', "
            "'RLIMIT_CORE')])")
    limits = KERNEL_LIMITS
    assert run(kc, code) == str([limits.cpu_seconds, limits.memory_bytes, limits.processes,
                                 limits.file_bytes, limits.open_files, 0])


def test_two_forked_kernels_share_no_file_and_no_socket_folder(two_kernels):
    (km_a, kc_a), (km_b, kc_b) = two_kernels
    for folder in ("/tmp", "/scratch", "/dev/shm"):
        run(kc_a, f"open('{folder}/from_a', 'w').write('secret')")
        assert run(kc_b, f"import os; print('from_a' in os.listdir('{folder}'))") == "False"
    # The folder that holds every kernel's sockets shows each kernel its own folder only.
    root = os.path.dirname(km_a.sandbox_dir)
    assert os.path.dirname(km_b.sandbox_dir) == root
    listing = run(kc_b, f"import os; print(os.listdir({root!r}))")
    assert listing == str([os.path.basename(km_b.sandbox_dir)])
    assert "Error" in run(kc_b, f"open({km_a.connection_file!r}).read()")


def test_a_forked_kernel_has_no_network_and_no_ipc_of_the_other(two_kernels):
    (_, kc_a), (_, kc_b) = two_kernels
    # A listening socket in one kernel cannot be reached from the other (own net namespace).
    run(kc_a, "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
              "port = s.getsockname()[1]; print(port)")
    port = run(kc_a, "print(port)")
    reply = run(kc_b, f"import socket; socket.create_connection(('127.0.0.1', {port}), 2)")
    assert reply.startswith(("OSError", "ConnectionRefusedError")), reply


def test_state_of_one_learner_never_reaches_the_next_kernel():
    km, kc = start()
    try:
        run(kc, "import numpy, sys; numpy.leaked = 'from the first learner'; "
                "sys.modules['planted'] = numpy")
    finally:
        stop(km, kc)
    km, kc = start()
    try:
        assert run(kc, "import numpy, sys; print(hasattr(numpy, 'leaked'), 'planted' in "
                       "sys.modules)") == "False False"
    finally:
        stop(km, kc)


def test_shutting_a_kernel_down_ends_every_process_it_started():
    km, kc = start()
    uid = km._sandbox_uid
    run(kc, "import subprocess; p = subprocess.Popen(['sleep', '300'])")

    def processes():
        return [p for p in psutil.process_iter(["uids"]) if p.info["uids"]
                and p.info["uids"].real == uid]

    assert len(processes()) >= 2  # the kernel and its sleep
    stop(km, kc)
    deadline = time.monotonic() + 10
    while processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes() == []


def test_a_dead_zygote_is_started_again():
    from autograder.isolation.forkserver import Zygote

    zygote = Zygote()
    try:
        km, kc = start(zygote_instance=zygote)
        stop(km, kc)
        zygote._kill()  # as if it had crashed
        km, kc = start(zygote_instance=zygote)
        assert run(kc, "print(1 + 1)") == "2"
        stop(km, kc)
    finally:
        zygote.close()


def test_the_zygote_refuses_root_and_says_why():
    from autograder.isolation.forkserver import ZygoteError

    with pytest.raises(ZygoteError, match="could not be set up: ValueError: refusing uid 0"):
        from autograder.isolation.forkserver import BlockingForkedSandboxedKernelManager

        km = BlockingForkedSandboxedKernelManager(kernel_name="python3")
        km._sandbox_uid = 0
        try:
            km.start_kernel()
        finally:
            km.cleanup_resources()
