"""The public demo's set-up, for real: playground processes behind Debian's nginx running ``deploy/nginx.conf``,
driven by Chromium through nginx.

* Two processes (``--num-procs 2``, one shared secret key) behind nginx: browsers land on both, and both train.
* A fault: one of two processes is killed while pages train; the pages on the other keep training, and new
  visitors still get a working page.
"""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path

import pytest

from app_page import PageProblems

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.serving import Nginx, PlaygroundServer, free_ports, nginx_binary  # noqa: E402

pytestmark = pytest.mark.ui

ARTIFACTS = ROOT / "test-artifacts" / "ui"
VIEWPORT = {"width": 1366, "height": 768}
ROUTE_COOKIE = "playground_route"


def _require_nginx() -> None:
    if nginx_binary() is None:
        pytest.fail("these tests need Debian's nginx (apt-get install nginx); scripts/run_tests.sh installs it")


def _log_problems(text: str) -> list[str]:
    return [line[:300] for line in text.splitlines() if "Traceback" in line or " ERROR " in line]


class _Visitor:
    """One browser (its own cookies, so its own route through nginx) with the playground open."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.problems = PageProblems(self.page, url)
        self.page.goto(url + "/")
        self.page.get_by_test_id("step").wait_for(timeout=60_000)
        self.wait(lambda: self._points() > 0, 60, "the first frame")

    def _points(self) -> int:
        return self.page.evaluate(
            """() => { const d = window.Bokeh && Bokeh.documents[0]; if (!d) return 0;
                 const m = d.get_model_by_name('boundary-train'); return m ? Object.values(m.data)[0].length : 0; }""")

    def step(self) -> float:
        text = self.page.get_by_test_id("step").inner_text().strip()
        return float("nan") if text in ("", "—") else float(text)

    def route(self) -> str | None:
        return next((c["value"] for c in self.context.cookies() if c["name"] == ROUTE_COOKIE), None)

    def play(self) -> None:
        self.page.get_by_role("button", name="Play").click()

    def wait(self, predicate, timeout: float, what: str):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            self.page.wait_for_timeout(100)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def trains(self, more: int = 20, timeout: float = 30.0) -> None:
        """The step counter grows by ``more`` within ``timeout`` seconds."""
        start = self.step()
        self.wait(lambda: self.step() >= start + more, timeout, f"{more} more steps (from {start})")

    def close(self) -> None:
        self.context.close()


def _sessions(server: PlaygroundServer, i: int) -> int:
    return int(server.stats(i)["sessions_total"])


@pytest.fixture(scope="module")
def two_behind_nginx():
    _require_nginx()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    nginx_port = free_ports(1)[0]
    server = PlaygroundServer(ARTIFACTS / "nginx-backends.log", procs=2, origin=f"127.0.0.1:{nginx_port}",
                              behind_proxy=True)
    try:
        nginx = Nginx(server.ports, folder=ARTIFACTS / "nginx", port=nginx_port)
    except Exception:
        server.stop()
        raise
    yield server, nginx
    nginx.stop()
    server.stop()
    assert not _log_problems(server.log_text()), f"the servers logged errors: {_log_problems(server.log_text())}"
    errors = [line for line in nginx.error_log().splitlines() if "[error]" in line or "[crit]" in line or "[emerg]" in line]
    assert not errors, f"nginx logged errors: {errors}"


def test_browsers_land_on_both_processes_and_both_train(browser, two_behind_nginx):
    server, nginx = two_behind_nginx
    on: dict[int, _Visitor] = {}
    spare: list[_Visitor] = []
    try:
        # Each new browser draws a random route; 16 browsers all landing on one of two processes has odds 2⁻¹⁵.
        for _ in range(16):
            before = [_sessions(server, i) for i in range(2)]
            visitor = _Visitor(browser, nginx.url)
            after = [_sessions(server, i) for i in range(2)]
            landed = [i for i in range(2) if after[i] > before[i]]
            assert len(landed) == 1, f"one page should open one session on one process: {before} -> {after}"
            assert visitor.route(), "nginx set no route cookie"
            if landed[0] in on:
                spare.append(visitor)
            else:
                on[landed[0]] = visitor
            if len(on) == 2:
                break
        assert sorted(on) == [0, 1], "every browser landed on the same process"
        assert on[0].route() != on[1].route()
        for visitor in on.values():
            visitor.play()
        for visitor in on.values():
            visitor.trains(more=20)
        assert all(server.stats(i)["sessions_playing"] >= 1 for i in range(2))
        on[0].page.screenshot(path=str(ARTIFACTS / "nginx-process-1.png"))
        on[1].page.screenshot(path=str(ARTIFACTS / "nginx-process-2.png"))
        for visitor in on.values():
            visitor.problems.assert_clean()
    finally:
        for visitor in [*on.values(), *spare]:
            visitor.close()


def test_killing_one_process_leaves_the_other_training_and_new_visitors_served(browser, tmp_path):
    _require_nginx()
    nginx_port = free_ports(1)[0]
    key = secrets.token_urlsafe(32)
    origin = f"127.0.0.1:{nginx_port}"
    servers = [PlaygroundServer(tmp_path / f"backend-{i}.log", origin=origin, behind_proxy=True, secret_key=key)
               for i in range(2)]
    nginx = Nginx([s.ports[0] for s in servers], folder=tmp_path / "nginx", port=nginx_port)
    visitors: list[tuple[int, _Visitor]] = []
    try:
        for _ in range(24):  # until each process holds two training pages
            counts = [sum(1 for where, _ in visitors if where == i) for i in range(2)]
            if min(counts) >= 2:
                break
            before = [s.stats()["sessions_total"] for s in servers]
            visitor = _Visitor(browser, nginx.url)
            landed = [i for i, s in enumerate(servers) if s.stats()["sessions_total"] > before[i]]
            assert len(landed) == 1
            if counts[landed[0]] >= 2:
                visitor.close()
                continue
            visitor.play()
            visitors.append((landed[0], visitor))
        assert sorted(where for where, _ in visitors) == [0, 0, 1, 1], "pages did not reach both processes"
        for _, visitor in visitors:
            visitor.trains(more=10)

        servers[1].proc.kill()  # the fault: process 2 dies without a word
        servers[1].proc.wait(10)

        survivors = [v for where, v in visitors if where == 0]
        for visitor in survivors:
            visitor.trains(more=20)
        for _ in range(3):  # new visitors, whatever route they draw, get a page that trains
            newcomer = _Visitor(browser, nginx.url)
            newcomer.play()
            newcomer.trains(more=10)
            newcomer.problems.assert_clean()
            newcomer.close()
        for visitor in survivors:
            visitor.trains(more=10)
            visitor.problems.assert_clean()
        assert servers[0].stats()["sessions_open"] >= 2
        assert not _log_problems(servers[0].log_text()), _log_problems(servers[0].log_text())
    finally:
        for _, visitor in visitors:
            visitor.close()
        nginx.stop()
        for s in servers:
            s.stop()
