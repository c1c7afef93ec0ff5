"""Benchmark of the served app (not a timed test): frames per second in a real browser, server CPU per frame,
and how many training sessions one server process holds before a probe's click takes longer than 250 ms.

Run: ``python benchmarks/bench_app.py [--seconds 10] [--max-sessions 48] [--json out.json]``. It starts
``python -m apps.serve`` on a free port, drives Debian's Chromium (``/usr/bin/chromium`` or
``PLAYGROUND_CHROMIUM``) with Playwright, and prints a table of the measured numbers against the targets.

* fps: a page opened with ``?n_qubits=Q&n_layers=L&resolution=R&playing=1`` counts, in the browser, how often
  the decision-boundary image it displays is replaced (sampled once per animation frame), over ``--seconds``.
* server CPU per frame: the server process's user+system CPU time over the same window divided by the frames it
  computed (``/playground-stats``), so it includes training, the snapshot, and sending the patches.
* capacity: N headless websocket clients (they keep a session open and read every message, as a browser
  would, but draw nothing) each play the default page; a Chromium probe page, paused, clicks Step and times
  the click until its step counter changes. N grows until the median of the probe's clicks exceeds 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script (python benchmarks/bench_app.py): the repository's packages
    sys.path.insert(0, str(ROOT))

from benchmarks.raw_bokeh import open_session  # noqa: E402  (the headless clients of the capacity measurement)

CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CONFIGS = [  # (qubits, layers, resolution, target fps)
    (1, 5, 100, 30.0),
    (2, 10, 100, 30.0),
    (4, 15, 200, 15.0),
]
CLICK_LIMIT_MS = 250.0
TARGET_SESSIONS = 20

_COUNT_FRAMES_JS = """
() => {
  const doc = Bokeh.documents[0];
  const m = doc.get_model_by_name('boundary-image');
  const clock = doc.get_model_by_name('frame-clock-frame');
  window.__bench = {shown: 0, received: 0, last: m.data.image[0], t0: performance.now(), stop: false};
  const b = window.__bench;
  clock.properties.tags.change.connect(() => { b.received += 1; });  // one per frame sent
  const tick = () => {
    const img = m.data.image[0];
    if (img !== b.last) { b.shown += 1; b.last = img; }
    if (!b.stop) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
"""

_DEEP_FIND_JS = """
window.__deepFind = (selector) => {
  const stack = [document];
  while (stack.length) {
    const root = stack.pop();
    const hit = root.querySelector(selector);
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) stack.push(el.shadowRoot);
  }
  return null;
};
"""

_CLICK_JS = """
async (button) => {
  const read = () => { const el = window.__deepFind('[data-testid="step"]'); return el ? el.textContent : null; };
  const before = read();
  const t0 = performance.now();
  button.click();
  return await new Promise((resolve) => {
    const check = () => {
      const now = read();
      if (now !== before) resolve(performance.now() - t0);
      else if (performance.now() - t0 > 10000) resolve(10000);
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "apps.serve", "--port", str(self.port), "--no-browser",
             "--allow-websocket-origin", f"127.0.0.1:{self.port}", "--test-endpoints"],
            cwd=ROOT, stdout=open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "w"), stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/liveness", timeout=2)
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("server did not start")

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/playground-stats", timeout=5) as r:
            return json.loads(r.read())

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


# ---------------------------------------------------------------------------------------------- load clients

async def _one_client(url: str, query: str, stop_at: float, counters: dict) -> None:
    """Keep one session of the page open over its websocket until ``stop_at``, reading every message and, like the
    page's FrameClock, acknowledging each frame, so the server paces it as it paces a browser; it draws nothing."""
    session = await open_session(url, query, timeout=60)
    counters["open"] += 1
    while time.time() < stop_at:
        msg = await session.read()
        if msg is None:
            break
        await session.acknowledge_frames(msg)
    counters["frames"] += session.frames
    await session.close()


def _clients_process(url: str, query: str, n: int, seconds: float, ready: mp.Event) -> None:
    async def main():
        counters = {"open": 0, "frames": 0}
        stop_at = time.time() + seconds
        tasks = [asyncio.create_task(_one_client(url, query, stop_at, counters)) for _ in range(n)]
        while counters["open"] < n and time.time() < stop_at:
            await asyncio.sleep(0.1)
        ready.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


# ---------------------------------------------------------------------------------------------- measurements

def measure_fps(browser, server: Server, q: int, l: int, res: int, seconds: float) -> dict:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{server.url}/?n_qubits={q}&n_layers={l}&resolution={res}&playing=1")
    page.get_by_test_id("step").wait_for(timeout=60_000)
    page.wait_for_function("() => window.Bokeh && Bokeh.documents[0] && Bokeh.documents[0].get_model_by_name('boundary-image')")
    page.wait_for_timeout(3000)  # steady state
    page.evaluate(_COUNT_FRAMES_JS)
    s0, c0, t0 = server.stats(), server.cpu_seconds(), time.time()
    page.wait_for_timeout(seconds * 1000)
    res_js = page.evaluate("() => { const b = window.__bench; b.stop = true; return {shown: b.shown, received: b.received, ms: performance.now() - b.t0}; }")
    s1, c1, t1 = server.stats(), server.cpu_seconds(), time.time()
    page.close()
    frames = max(1, s1["frames_done"] - s0["frames_done"])
    return {
        "config": f"{q} qubit{'s' if q > 1 else ''}, {l} layers, {res}²",
        "fps_shown": res_js["shown"] / (res_js["ms"] / 1000),
        "fps_received": res_js["received"] / (res_js["ms"] / 1000),
        "server_frames_per_s": frames / (t1 - t0),
        "server_cpu_ms_per_frame": 1000 * (c1 - c0) / frames,
        "worker_ms_per_frame": 1000 * (s1["busy_seconds"] - s0["busy_seconds"]) / frames,
    }


def probe_clicks(page, n: int = 7) -> list[float]:
    button = page.get_by_role("button", name="Step").element_handle()
    out = []
    for _ in range(n):
        out.append(page.evaluate(_CLICK_JS, button))
        page.wait_for_timeout(150)
    return out


def measure_capacity(browser, server: Server, max_sessions: int, step: int = 4) -> tuple[int, list[dict]]:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(server.url + "/")
    page.get_by_test_id("step").wait_for(timeout=60_000)
    page.evaluate(_DEEP_FIND_JS)
    page.wait_for_timeout(1000)
    rows, capacity, exceeded = [], 0, False
    n = 0
    while n <= max_sessions:
        ready = mp.Event()
        proc = None
        if n:
            proc = mp.Process(target=_clients_process, args=(server.url, "playing=1", n, 3600, ready), daemon=True)
            proc.start()
            ready.wait(120)
            time.sleep(3.0)  # let every session reach its steady frame rate
        s0, t0 = server.stats(), time.time()
        clicks = probe_clicks(page)
        s1, t1 = server.stats(), time.time()
        median = statistics.median(clicks)
        per_s = (s1["frames_done"] - s0["frames_done"]) / (t1 - t0)
        rows.append({"sessions": n, "open": s1["sessions_open"] - 1, "click_median_ms": median,
                     "click_max_ms": max(clicks), "frames_per_s_all": per_s,
                     "frames_per_s_each": per_s / n if n else None})
        each = f", {per_s / n:.1f} per training session" if n else ""
        print(f"  {n:3d} training sessions: probe click median {median:6.0f} ms, max {max(clicks):6.0f} ms; "
              f"server {per_s:.0f} frames/s in all{each}", flush=True)
        if proc is not None:
            proc.terminate()
            proc.join(10)
            deadline = time.time() + 20
            while server.stats()["sessions_open"] > 1 and time.time() < deadline:
                time.sleep(0.25)
        if median > CLICK_LIMIT_MS:
            exceeded = True
            break
        capacity = n
        n += step
    page.close()
    return capacity, rows, exceeded


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring window per configuration")
    parser.add_argument("--max-sessions", type=int, default=48)
    parser.add_argument("--skip-capacity", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from playground import engine

    print(f"machine: {os.cpu_count()} CPUs; simulator backend: {engine.default_backend()}", flush=True)
    server = Server()
    results = {"fps": [], "capacity": None, "capacity_rows": []}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for q, l, res, target in CONFIGS:
                r = measure_fps(browser, server, q, l, res, args.seconds)
                r["target_fps"] = target
                results["fps"].append(r)
                print(f"  {r['config']}: {r['fps_shown']:.1f} fps shown, {r['server_cpu_ms_per_frame']:.1f} ms server CPU per frame",
                      flush=True)
            if not args.skip_capacity:
                cap, rows, exceeded = measure_capacity(browser, server, args.max_sessions)
                results["capacity"], results["capacity_rows"], results["capacity_limit_reached"] = cap, rows, exceeded
            browser.close()
    finally:
        server.stop()

    print()
    print("| configuration | fps in the browser | target | server CPU per frame | worker time per frame | ok |")
    print("|---|---|---|---|---|---|")
    for r in results["fps"]:
        ok = "yes" if r["fps_shown"] >= r["target_fps"] else "NO"
        print(f"| {r['config']} | {r['fps_shown']:.1f} (received {r['fps_received']:.1f}) | ≥ {r['target_fps']:.0f} | "
              f"{r['server_cpu_ms_per_frame']:.1f} ms | {r['worker_ms_per_frame']:.1f} ms | {ok} |")
    if results["capacity"] is not None:
        cap = results["capacity"]
        ok = "yes" if cap >= TARGET_SESSIONS else "NO"
        row = next((r for r in results["capacity_rows"] if r["sessions"] == cap), None)
        each = f"{row['frames_per_s_each']:.1f} frames/s each" if row and row["frames_per_s_each"] else ""
        shown = f"{cap}" if results.get("capacity_limit_reached") else f"≥ {cap} (the most tried)"
        print(f"| sessions training while a click answers within {CLICK_LIMIT_MS:.0f} ms (median) | "
              f"{shown} | ≥ {TARGET_SESSIONS} | {each} | | {ok} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
