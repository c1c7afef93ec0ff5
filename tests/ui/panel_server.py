"""Serve a small Panel app file in a subprocess for the widget pages of the browser tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_panel_file(source: str, name: str, folder: Path, *, timeout: float = 60.0):
    """Serve ``source`` (a Panel app file's text) with ``panel serve`` on a free port; yield its URL.

    Waits for ``/liveness``; stops the server afterwards. Used by the widget pages of the browser tests.
    """
    app = folder / f"{name}.py"
    app.write_text(source)
    log = folder / f"{name}.log"
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "panel", "serve", str(app), "--port", str(port), "--address", "127.0.0.1",
             "--allow-websocket-origin", f"127.0.0.1:{port}", "--liveness"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"panel serve exited early:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/liveness", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"panel serve did not become live in {timeout:.0f} s")
            time.sleep(0.25)
        yield f"http://127.0.0.1:{port}/{name}", log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]


@contextlib.contextmanager
def launch_chromium(playwright):
    """Debian's Chromium, headless; a missing browser fails the test (it is never skipped)."""
    if not os.path.exists(CHROMIUM):
        raise AssertionError(f"no Chromium at {CHROMIUM}: install it (apt-get install chromium) to run the browser tests")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
    try:
        yield browser
    finally:
        browser.close()


def record_problems(page, url: str) -> list[str]:
    """Collect console errors, page errors, failed requests, HTTP errors and off-site requests of ``page``."""
    problems: list[str] = []
    origin = url.rsplit("/", 1)[0] + "/"
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.on("request", lambda r: None if r.url.startswith((origin, "blob:", "data:", origin.replace("http", "ws", 1)))
            else problems.append(f"off-site request: {r.url}"))  # the page must work offline
    return problems
