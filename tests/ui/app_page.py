"""Reading and driving the playground page in a browser: a page's problems (console errors, failed or off-site
requests) and the page helper the browser tests use. A module of its own, so that tests import it by a name no
other folder's conftest shares."""

from __future__ import annotations

import time

# A JavaScript function for page.evaluate bodies: every element of the page, inside every open shadow root too (a
# host comes before what its shadow root holds). Use as f"() => {{ {DEEP_ELEMENTS} ... deepElements() ... }}".
DEEP_ELEMENTS = """function deepElements(root = document) {
  return [...root.querySelectorAll('*')].flatMap(el => el.shadowRoot ? [el, ...deepElements(el.shadowRoot)] : [el]);
}"""


class PageProblems:
    """Console errors, failed requests and requests to other hosts seen by one page."""

    def __init__(self, page, origin: str):
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.external: list[str] = []
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        page.on("request", lambda r: None if r.url.startswith((origin, "blob:", "data:")) else self.external.append(r.url))

    def assert_clean(self) -> None:
        assert not self.external, f"requests to other hosts: {self.external}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.console_errors, f"console errors: {self.console_errors}"


class AppPage:
    """Reading and driving the playground page."""

    def __init__(self, page, server, problems: PageProblems):  # server: conftest.AppServer
        self.page = page
        self.server = server
        self.problems = problems

    def open(self, query: str = "") -> "AppPage":
        self.page.goto(f"{self.server.url}/{('?' + query) if query else ''}")
        self.page.get_by_test_id("step").wait_for(timeout=60_000)
        self.wait_for_frame()
        return self

    def number(self, testid: str) -> float:
        text = self.page.get_by_test_id(testid).inner_text().strip()
        return float("nan") if text in ("—", "") else float(text)

    def wait_until(self, predicate, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            self.page.wait_for_timeout(interval * 1000)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    def wait_for_frame(self, timeout: float = 60.0) -> None:
        self.wait_until(lambda: self.source_length("boundary-train") > 0, timeout, what="the first frame")

    def source_length(self, name: str) -> int:
        return self.page.evaluate(
            """(name) => { const d = window.Bokeh && Bokeh.documents[0]; if (!d) return 0;
                 const m = d.get_model_by_name(name); if (!m) return 0;
                 const cols = Object.values(m.data); return cols.length ? cols[0].length : 0; }""",
            name,
        )

    def source_hash(self, name: str, column: str) -> int:
        """FNV-1a of a column of a Bokeh data source as the browser holds it (numbers or strings)."""
        return self.page.evaluate(
            """([name, column]) => {
                 const m = Bokeh.documents[0].get_model_by_name(name);
                 let v = m.data[column];
                 if (v && v.length === 1 && v[0] && v[0].length !== undefined && typeof v[0] !== 'string') v = v[0];
                 let h = 2166136261 >>> 0;
                 for (let i = 0; i < v.length; i++) {
                   const x = typeof v[i] === 'string' ? v[i] : String(v[i]);
                   for (let k = 0; k < x.length; k++) h = Math.imul(h ^ x.charCodeAt(k), 16777619) >>> 0;
                 }
                 return h; }""",
            [name, column],
        )

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=False)

