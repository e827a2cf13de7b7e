"""Helpers for tests/test_browser.py: a throwaway JupyterLab server and the Playwright steps.

The server runs from this interpreter's environment (.venv), listens on 127.0.0.1 only, serves a
temporary COPY of the notebooks and keeps its configuration, runtime files and HOME in a temporary
directory, so a test run never writes into the repository or the user's Jupyter settings. The
kernel is .venv's python: the kernelspec is found under sys.prefix and jupyter_client starts
"python" kernels with sys.executable.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]

# Flags for a headless Chromium running as root in a container with no GPU and no network needs.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # containers often give /dev/shm only 64 MB, too little for a JupyterLab page
    "--disable-dev-shm-usage",
]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
INSTALL_HINT = (
    "Install Debian's Chromium with `apt-get install chromium` (.ci/run does this), "
    "or point the CHROMIUM environment variable at a Chromium executable."
)

# Time limits, generous because the test machine has two cores shared with other jobs, but
# bounded so a hung server or kernel fails the test instead of blocking `make test`.
SERVER_START_TIMEOUT = 180.0  # seconds until the server answers /api/status
NOTEBOOK_OPEN_TIMEOUT = 120.0  # seconds until the notebook is shown and its kernel is idle
RUN_ALL_TIMEOUT = 420.0  # seconds for Run All Cells to finish on the whole notebook
SERVER_STOP_TIMEOUT = 20.0  # seconds the server gets to shut down cleanly before SIGKILL

# User settings written into the temporary settings directory: no news/update pop-ups (they would
# cover the notebook in screenshots and try to reach the internet), and every cell attached to
# the DOM ('none' windowing) so the checks see all cells, not only the ones in the viewport.
LAB_USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
SERVER_CONFIG = {
    "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
    "ServerApp": {"open_browser": False, "terminals_enabled": False},
}
PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}


def find_chromium() -> str | None:
    """Return the path of a Chromium executable, or None when there is none."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def launch_chromium(playwright, executable: str):
    """Start headless Chromium through Playwright (never downloads a browser)."""
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab server started by start_lab()."""

    root: Path
    home: Path
    port: int
    token: str
    process: subprocess.Popen
    log_path: Path
    _log_file: object = field(repr=False, default=None)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def lab_url(self, relpath: str) -> str:
        """URL that opens `relpath` (relative to root) in a fresh JupyterLab workspace."""
        return f"{self.base_url}lab/tree/{quote(relpath)}?reset&token={self.token}"

    def api(self, path: str, method: str = "GET", timeout: float = 10.0):
        request = urllib.request.Request(
            f"{self.base_url}api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(server log unreadable: {error})"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Shut the server and its kernels down; escalate to signals if it does not comply."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
                self.api("shutdown", method="POST")
            try:
                self.process.wait(SERVER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _signal_group(self.process, signal.SIGTERM)
                try:
                    self.process.wait(SERVER_STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    _signal_group(self.process, signal.SIGKILL)
                    self.process.wait(SERVER_STOP_TIMEOUT)
        # Kernels run in their own sessions; any still alive carry a connection file from our
        # private runtime directory on their command line, which identifies them exactly.
        for pid in _pids_with_argument(str(self.home)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if self._log_file is not None:
            self._log_file.close()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _pids_with_argument(fragment: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if fragment in cmdline:
            pids.append(int(entry.name))
    return pids


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


def start_lab(root: Path, home: Path, *, via_make: bool = False) -> LabServer:
    """Start JupyterLab serving `root`, with every Jupyter directory inside `home`.

    ``via_make=True`` starts it the way a learner does, with `make lab` run in `root` (the
    repository): the Makefile chooses the server's root and the notebook; only the address, the
    token and the Jupyter directories come from here.
    Waits until the server answers; raises RuntimeError with the server's log otherwise.
    """
    config_dir = home / "jupyter-config"
    _write_json(config_dir / "jupyter_server_config.json", SERVER_CONFIG)
    _write_json(config_dir / "labconfig" / "page_config.json", PAGE_CONFIG)
    for relpath, settings in LAB_USER_SETTINGS.items():
        _write_json(config_dir / "lab" / "user-settings" / relpath, settings)

    env = {
        key: value
        for key, value in os.environ.items()
        # A non-interactive MPLBACKEND (e.g. Agg from a CI setting) would stop the kernel from
        # sending figures to the page; JUPYTER_PATH/JUPYTER_CONFIG_PATH could shadow .venv's kernel.
        if key not in {"MPLBACKEND", "JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_TOKEN"}
    }
    bin_dir = str(Path(sys.executable).parent)
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(config_dir),
        JUPYTER_DATA_DIR=str(home / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
        IPYTHONDIR=str(home / "ipython"),
        MPLCONFIGDIR=str(home / "matplotlib"),
        PATH=bin_dir + os.pathsep + env.get("PATH", ""),
        PYTHONDONTWRITEBYTECODE="1",
    )
    port = free_port()
    token = secrets.token_hex(16)
    options = [
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
    ]
    if via_make:
        # -o: the copy's .venv is this one, already set up; `make lab` must not rebuild it.
        command = ["make", "--no-print-directory", "-o", ".venv/.installed", "lab",
                   f"LAB_ARGS={' '.join(options)}"]
    else:
        command = [sys.executable, "-m", "jupyterlab", *options, f"--ServerApp.root_dir={root}"]
        if os.geteuid() == 0:
            command.append("--allow-root")
    log_path = home / "jupyterlab.log"
    log_file = log_path.open("w")
    process = subprocess.Popen(
        command,
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so teardown can signal all of it
    )
    server = LabServer(root, home, port, token, process, log_path, log_file)
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while True:
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(
                f"JupyterLab exited with code {process.returncode} before answering on port "
                f"{port}. Its log ends with:\n{server.log_tail()}"
            )
        try:
            server.api("status", timeout=5)
            return server
        except (OSError, urllib.error.URLError, ValueError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(
                f"JupyterLab did not answer on 127.0.0.1:{port} within "
                f"{SERVER_START_TIMEOUT:.0f} s. "
                f"Its log ends with:\n{server.log_tail()}"
            )
        time.sleep(0.5)


# ---------------------------------------------------------------------------------------------
# Playwright steps. Selectors are JupyterLab 4's CSS classes; the JavaScript snippets read the
# state of the notebook panel that is currently shown.

NOTEBOOK_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

_STATE_JS = """
(panelSelector) => {
  const panel = document.querySelector(panelSelector);
  if (!panel) return null;
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-Cell')];
  return {
    kernelStatus: indicator ? indicator.getAttribute('data-status') : null,
    kernelName: (document.querySelector('.jp-KernelName, .jp-Toolbar-kernelName') || {})
      .textContent || null,
    cellCount: cells.length,
    prompts: cells
      .filter((cell) => cell.classList.contains('jp-CodeCell'))
      .map((cell) => {
        const prompt = cell.querySelector('.jp-InputArea-prompt');
        return prompt ? prompt.textContent.trim() : '';
      }),
  };
}
"""

_OUTPUTS_JS = """
(panelSelector) => {
  const panel = document.querySelector(panelSelector);
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-Cell')];
  return cells.map((cell, index) => ({
    index,
    kind: cell.classList.contains('jp-CodeCell') ? 'code'
        : cell.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw',
    errors: [...cell.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
      .map((node) => node.textContent),
    images: [...cell.querySelectorAll('.jp-OutputArea-output img')].map((img) => ({
      loaded: img.complete && img.naturalWidth > 0,
      width: img.naturalWidth,
      height: img.naturalHeight,
    })),
    math: cell.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
    mathErrors: [...cell.querySelectorAll('.jp-RenderedMarkdown mjx-merror')]
      .map((node) => node.textContent),
  }));
}
"""


def open_notebook(page, server: LabServer, relpath: str) -> None:
    """Open `relpath` in JupyterLab and wait until its kernel is idle."""
    page.goto(server.lab_url(relpath), timeout=NOTEBOOK_OPEN_TIMEOUT * 1000)
    page.wait_for_selector(
        f"{NOTEBOOK_PANEL} .jp-Notebook .jp-Cell", timeout=NOTEBOOK_OPEN_TIMEOUT * 1000
    )

    def kernel_ready(state) -> bool:
        # The page shows "idle" before a kernel is attached, so also ask the server whether the
        # notebook's session has a running kernel that is idle.
        if not state or state["kernelStatus"] != "idle":
            return False
        sessions = server.api("sessions")
        return any(
            s.get("path") == relpath and (s.get("kernel") or {}).get("execution_state") == "idle"
            for s in sessions
        )

    wait_for(
        page,
        kernel_ready,
        NOTEBOOK_OPEN_TIMEOUT,
        f"the kernel of {relpath} to start and become idle",
        server,
    )


def notebook_state(page) -> dict | None:
    return page.evaluate(_STATE_JS, NOTEBOOK_PANEL)


def notebook_outputs(page) -> list[dict]:
    return page.evaluate(_OUTPUTS_JS, NOTEBOOK_PANEL)


def wait_for(page, predicate, timeout: float, what: str, server: LabServer, stable: int = 1):
    """Poll notebook_state() until predicate holds `stable` times in a row; fail after timeout."""
    deadline = time.monotonic() + timeout
    in_a_row = 0
    state = None
    while True:
        state = notebook_state(page)
        in_a_row = in_a_row + 1 if predicate(state) else 0
        if in_a_row >= stable:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(
                f"Timed out after {timeout:.0f} s waiting for {what}. Last notebook state: "
                f"{state}. JupyterLab log ends with:\n{server.log_tail()}"
            )
        page.wait_for_timeout(500)


_PROMPT_DONE = re.compile(r"^\[\d+\]:$")


def click_menu(page, menu: str, item: str) -> None:
    """Click `item` in the main menu bar's `menu`, as a user would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(menu)}$")).click()
    page.locator(
        ".lm-Menu-content .lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")
    ).click()


def run_all_cells(page, server: LabServer) -> dict:
    """Run > Run All Cells, then wait until every code cell has run and the kernel is idle."""
    click_menu(page, "Run", "Run All Cells")

    def finished(state) -> bool:
        if not state or state["kernelStatus"] != "idle":
            return False
        prompts = state["prompts"]
        return "[*]:" not in prompts and any(_PROMPT_DONE.match(p) for p in prompts)

    # Three idle polls in a row (1.5 s) so the short idle gaps between queued cells don't count.
    state = wait_for(page, finished, RUN_ALL_TIMEOUT, "Run All Cells to finish", server, stable=3)
    not_run = [i for i, p in enumerate(state["prompts"]) if not _PROMPT_DONE.match(p)]
    if not_run:
        raised = [
            f"cell {cell['index']}: {cell['errors'][-1].strip().splitlines()[-1]}"
            for cell in notebook_outputs(page)
            if cell["errors"]
        ]
        raise AssertionError(
            f"Run All Cells stopped early: {len(not_run)} code cells never ran, so a cell raised "
            f"an error without the 'raises-exception' tag. Errors shown (cell numbers count all "
            f"cells from 0): {raised}. Code cell prompts: {state['prompts']}"
        )
    return state


def save_notebook(page, path: Path, timeout: float = 60.0) -> None:
    """File > Save Notebook, then wait until the file on disk has been rewritten."""
    before = path.stat().st_mtime_ns
    click_menu(page, "File", "Save Notebook")
    deadline = time.monotonic() + timeout
    while path.stat().st_mtime_ns == before:
        if time.monotonic() > deadline:
            raise AssertionError(f"JupyterLab did not save {path.name} within {timeout:.0f} s.")
        page.wait_for_timeout(250)
    # the notebook's tab loses its "unsaved changes" mark once the save round trip is complete
    page.wait_for_function(
        "() => !document.querySelector('#jp-main-dock-panel .lm-TabBar-tab.jp-mod-dirty')",
        timeout=timeout * 1000,
    )


def hide_side_panels(page) -> None:
    """Collapse the left and right side bars so the notebook gets the whole width."""
    for selector in (".jp-SideBar.jp-mod-left", ".jp-SideBar.jp-mod-right"):
        current = page.locator(f"{selector} .lm-TabBar-tab.lm-mod-current")
        if current.count():
            current.first.click()


def scroll_cell_to_top(page, cell_index: int) -> None:
    """Make cell number `cell_index` (all cells, from 0) the active cell, at the top of the view.

    Clicking the cell's prompt area selects it without entering edit mode; the mouse is then
    parked over the status bar so that no hover effect shows in a screenshot.
    """
    cell = page.locator(f"{NOTEBOOK_PANEL} .jp-Notebook .jp-Cell").nth(cell_index)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").first.click()
    page.keyboard.press("Escape")
    cell.evaluate("(node) => node.scrollIntoView({block: 'start'})")
    page.mouse.move(5, page.viewport_size["height"] - 5)
    page.wait_for_timeout(500)  # let scrolling and re-layout settle before a screenshot
