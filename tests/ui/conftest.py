"""Browser-test fixtures: the app served in a subprocess, Debian's Chromium driven by Playwright, and a page that
records console errors and failed or external requests, with a full-page screenshot after every test."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app_page import AppPage, PageProblems  # noqa: F401  (also used by the tests)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "ui"
CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT = 180  # a fresh checkout compiles the Numba kernels first


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM} (apt-get install chromium, or set PLAYGROUND_CHROMIUM)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """The playground served by ``python -m apps.serve`` in a subprocess on 127.0.0.1."""

    def __init__(self, log_path: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "w")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "apps.serve", "--port", str(self.port), "--no-browser",
             "--allow-websocket-origin", f"127.0.0.1:{self.port}", "--test-endpoints"],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=env,
        )
        deadline = time.time() + SERVER_START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app server exited with {self.proc.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/liveness", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                self.stop()
                raise RuntimeError(f"the app server did not answer /liveness within {SERVER_START_TIMEOUT} s")
            time.sleep(0.3)

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/playground-stats", timeout=5) as r:
            return json.loads(r.read())

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()


@pytest.fixture(scope="session")
def app_server():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = AppServer(ARTIFACTS / "server.log")
    yield server
    server.stop()
    problems = _server_errors(server.log_path.read_text(errors="replace"))
    assert not problems, f"the server logged errors (see {server.log_path}): {problems}"


# A tab closed while the server was still writing to it: tornado reports it, nothing is wrong with the app.
_BENIGN = ("WebSocketClosedError", "StreamClosedError")


def _server_errors(log: str) -> list[str]:
    """ERROR lines and tracebacks of the server log, except a closed tab's interrupted writes."""
    blocks = re.split(r"\n(?=\d{4}-\d\d-\d\d )", log)
    return [b[:300] for b in blocks
            if (" ERROR " in b or "Traceback" in b) and not any(name in b for name in _BENIGN)]


@pytest.fixture
def app(page, app_server, request):
    """A helper to open the app (with optional URL query) in the test's page; checks the page stayed clean and
    saves ``test-artifacts/ui/<test>.png`` afterwards."""
    problems = PageProblems(page, app_server.url)
    helper = AppPage(page, app_server, problems)
    yield helper
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.originalname)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    except Exception:  # the test may have closed its page on purpose
        pass
    problems.assert_clean()
