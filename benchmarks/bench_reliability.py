"""Reliability benchmark of a public playground (not a timed test): capacity, memory, freeing, hostile input, faults.

Run: ``python benchmarks/bench_reliability.py [--max-sessions 120] [--json out.json] [--skip PART ...]``. Against real
servers on loopback (``python -m apps.serve``; ``benchmarks/serving.py``), it prints, in one run:

* **capacity**: how many sessions train at once while a probe page (a real Chromium page, paused) has its Step
  click answered with p95 ≤ 300 ms, and the frames per second each training session then gets; for one process,
  and for two processes behind nginx (``deploy/nginx.conf``). The training sessions are headless websocket
  clients (``benchmarks/raw_bokeh.py``) that acknowledge every frame as a browser does; they grow by ``--step``.
* **memory**: resident memory per idle and per training session, and the growth over 10 waves of 30 sessions
  opened, trained and closed (after a first wave, so imports and caches are not counted as growth).
* **freeing**: seconds from a closed tab to its session being gone from the server.
* **hostile input** (``benchmarks/hostile.py``): malformed addresses, websocket messages, forged, replayed and
  foreign connections, malformed experiment files through the page's upload; for each, whether the server held.
* **fault**: two processes behind nginx, 10 sessions training; one process is killed: do the survivors keep
  training, and do new visitors get a working page?

The servers run with admission caps lifted (``PLAYGROUND_MAX_SESSIONS``) so the capacity is the machine's; the
README's sizing rule and the caps' defaults come from these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.hostile import run_hostile_pass  # noqa: E402
from benchmarks.raw_bokeh import SessionClosed, open_session  # noqa: E402
from benchmarks.serving import Nginx, PlaygroundServer, free_ports, nginx_binary  # noqa: E402

CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CLICK_P95_LIMIT_MS = 300.0
TARGET_SESSIONS = 30
GROWTH_LIMIT_MB = 10.0
FREED_LIMIT_S = 10.0
UNCAPPED = {"PLAYGROUND_MAX_SESSIONS": "100000", "PLAYGROUND_MAX_PLAYING": "100000"}

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


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(0.95 * len(ordered))) - 1))]


# ---------------------------------------------------------------------------------------------- load sessions
def _load_process(url: str, query: str, n: int, opened, frames, failed, stop, sticky: bool) -> None:
    """``n`` training sessions (headless clients) until ``stop`` is set; counts open sessions and frames."""

    async def one() -> None:
        try:
            session = await open_session(url, query, cookies={} if sticky else None)
        except Exception as err:  # noqa: BLE001 - a refused or failed open is counted, and said
            with failed.get_lock():
                failed.value += 1
            print(f"    a load session could not open: {type(err).__name__}: {str(err)[:200]}", file=sys.stderr,
                  flush=True)
            return
        with opened.get_lock():
            opened.value += 1
        try:
            await _train(session)
        except Exception as err:  # noqa: BLE001 - a session lost early is reported, and counted by its absence
            print(f"    a load session ended early: {type(err).__name__}: {str(err)[:200]}", file=sys.stderr, flush=True)
        finally:
            with opened.get_lock():
                opened.value -= 1
            await session.close()

    async def _train(session) -> None:
        while not stop.is_set():
            try:
                message = await session.read(0.5)
            except (asyncio.TimeoutError, TimeoutError):
                continue
            if message is None:
                print(f"    a load session was closed by the server (code {session.close_code})", file=sys.stderr,
                      flush=True)
                break
            before = session.frames
            await session.acknowledge_frames(message)
            if session.frames != before:
                with frames.get_lock():
                    frames.value += session.frames - before

    async def main() -> None:
        tasks = []
        for _ in range(n):
            tasks.append(asyncio.create_task(one()))
            await asyncio.sleep(0.05)  # a crowd arrives over a few seconds, not in one instant
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())


class Load:
    """``n`` training sessions in a child process (so their client work does not share this process's loop)."""

    def __init__(self, url: str, n: int, *, query: str = "playing=1", sticky: bool = False):
        self.opened, self.frames, self.stop_event = mp.Value("i", 0), mp.Value("l", 0), mp.Event()
        self.failed = mp.Value("i", 0)
        self.n = n
        self.proc = mp.Process(target=_load_process, daemon=True, args=(
            url, query, n, self.opened, self.frames, self.failed, self.stop_event, sticky))
        self.proc.start()

    def wait_open(self, timeout: float = 300.0) -> int:
        deadline = time.time() + timeout
        # Until every session is open, or could not open (a failed open is not waited for).
        while self.opened.value + self.failed.value < self.n and time.time() < deadline and self.proc.is_alive():
            time.sleep(0.2)
        return self.opened.value

    def stop(self) -> None:
        self.stop_event.set()
        self.proc.join(30)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(5)


def _wait_sessions(server: PlaygroundServer, at_most: int, timeout: float = 60.0, procs: int = 1) -> float:
    """Seconds until the processes hold at most ``at_most`` sessions in all."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if sum(server.stats(i)["sessions_open"] for i in range(procs)) <= at_most:
            return time.time() - t0
        time.sleep(0.1)
    raise RuntimeError(f"sessions were not freed within {timeout} s")


# ---------------------------------------------------------------------------------------------- capacity
def _probe_page(browser, url: str):
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.goto(url + "/")
    page.get_by_test_id("step").wait_for(timeout=60_000)
    page.evaluate(_DEEP_FIND_JS)
    page.wait_for_timeout(1000)
    return page


def _clicks(page, n: int) -> list[float]:
    button = page.get_by_role("button", name="Step").element_handle()
    out = []
    for _ in range(n):
        out.append(page.evaluate(_CLICK_JS, button))
        page.wait_for_timeout(200)
    return out


def measure_capacity(browser, server: PlaygroundServer, url: str, *, procs: int, max_sessions: int, step: int,
                     clicks: int, sticky: bool, label: str) -> dict:
    page = _probe_page(browser, url)
    rows, held, loads = [], 0, []
    n = step
    try:
        while n <= max_sessions:
            loads.append(Load(url, step, sticky=sticky))  # ``step`` more people arrive; the others keep training
            opened = sum(load.wait_open() for load in loads)
            time.sleep(4.0)  # every session at its steady frame rate
            f0, t0 = sum(load.frames.value for load in loads), time.time()
            times = _clicks(page, clicks)
            f1, t1 = sum(load.frames.value for load in loads), time.time()
            fps_each = (f1 - f0) / (t1 - t0) / max(1, opened)
            row = {"sessions": n, "opened": opened, "click_p95_ms": _p95(times),
                   "click_median_ms": statistics.median(times), "fps_each": fps_each}
            rows.append(row)
            print(f"  [{label}] {n:4d} training ({opened} open): probe click p95 {row['click_p95_ms']:6.0f} ms, "
                  f"median {row['click_median_ms']:5.0f} ms; {fps_each:.1f} frames/s per training session", flush=True)
            if opened < n or row["click_p95_ms"] > CLICK_P95_LIMIT_MS:
                break
            held = n
            n += step
    finally:
        for load in loads:
            load.stop()
        _wait_sessions(server, 1, procs=procs)
    page.context.close()
    best = next((r for r in rows if r["sessions"] == held), None)
    return {"label": label, "held": held, "fps_each": best["fps_each"] if best else None, "rows": rows,
            "limit_reached": bool(rows) and rows[-1]["sessions"] != held}


# ---------------------------------------------------------------------------------------------- memory and freeing
def measure_memory(folder: Path, *, waves: int = 10, per_wave: int = 30) -> dict:
    with PlaygroundServer(folder / "memory.log", env=UNCAPPED) as server:
        warm = Load(server.url, 5)
        warm.wait_open()
        time.sleep(3)
        warm.stop()
        _wait_sessions(server, 0)
        time.sleep(2)
        base = server.rss_mb()
        idle = Load(server.url, per_wave, query="")
        idle.wait_open()
        time.sleep(3)
        rss_idle = server.rss_mb()
        idle.stop()
        _wait_sessions(server, 0)
        playing = Load(server.url, per_wave)
        playing.wait_open()
        time.sleep(5)
        rss_playing = server.rss_mb()
        playing.stop()
        _wait_sessions(server, 0)
        after_wave, freed = [], []
        for w in range(waves):
            load = Load(server.url, per_wave)
            load.wait_open()
            time.sleep(3)
            load.stop()
            freed.append(_wait_sessions(server, 0))
            time.sleep(1)
            after_wave.append(server.rss_mb())
            print(f"  wave {w + 1:2d}: {per_wave} sessions opened, trained, closed; freed in {freed[-1]:.1f} s; "
                  f"RSS {after_wave[-1]:.1f} MB", flush=True)
        single = _time_to_free(server)
        return {
            "rss_base_mb": base,
            "mb_per_idle_session": (rss_idle - base) / per_wave,
            "mb_per_playing_session": (rss_playing - base) / per_wave,
            "rss_after_waves_mb": after_wave,
            "growth_mb": after_wave[-1] - after_wave[0],
            "freed_s_waves_max": max(freed),
            "freed_s_one_tab": single,
            "log_tracebacks": server.log_text().count("Traceback"),
        }


def _time_to_free(server: PlaygroundServer, repeats: int = 5) -> float:
    """The longest of ``repeats`` measurements: one tab closed → its session gone from the server's counters."""
    async def one() -> float:
        session = await open_session(server.url, "playing=1")
        await session.drain(2.0)
        before = server.stats()["sessions_open"]
        await session.close()
        t0 = time.time()
        while server.stats()["sessions_open"] >= before and time.time() - t0 < 60:
            await asyncio.sleep(0.05)
        return time.time() - t0

    return max(asyncio.run(one()) for _ in range(repeats))


# ---------------------------------------------------------------------------------------------- hostile input
def measure_hostile(folder: Path) -> dict:
    with PlaygroundServer(folder / "hostile.log") as server:
        outcomes = asyncio.run(run_hostile_pass(server.url, secret_key=server.env["BOKEH_SECRET_KEY"]))
        log = server.log_text()
    by_kind: dict[str, list] = {}
    for o in outcomes:
        by_kind.setdefault(o.kind, []).append(o)
    for kind, items in by_kind.items():
        held = sum(o.held for o in items)
        print(f"  {kind}: {held}/{len(items)} held", flush=True)
        for o in items:
            if not o.held:
                print(f"    NOT HELD: {o.case}: {o.detail}", flush=True)
    return {"kinds": {k: {"cases": len(v), "held": sum(o.held for o in v),
                          "not_held": [f"{o.case}: {o.detail}" for o in v if not o.held]} for k, v in by_kind.items()},
            "log_tracebacks": log.count("Traceback"),
            "refusal_lines": log.count(" refused ")}


# ---------------------------------------------------------------------------------------------- fault
def measure_fault(folder: Path, n: int = 10) -> dict:
    nginx_port = free_ports(1)[0]
    origin = f"127.0.0.1:{nginx_port}"
    import secrets

    key = secrets.token_urlsafe(32)
    servers = [PlaygroundServer(folder / f"fault-{i}.log", origin=origin, behind_proxy=True, secret_key=key, env=UNCAPPED)
               for i in range(2)]
    nginx = Nginx([s.ports[0] for s in servers], folder=folder / "fault-nginx", port=nginx_port)
    try:
        return asyncio.run(_fault(servers, nginx, n))
    finally:
        nginx.stop()
        for s in servers:
            s.stop()


async def _fault(servers, nginx, n: int) -> dict:
    sessions = []
    for _ in range(n):
        before = [s.stats()["sessions_total"] for s in servers]
        session = await open_session(nginx.url, "playing=1", cookies={})
        await session.drain(0.3)
        where = [i for i, s in enumerate(servers) if s.stats()["sessions_total"] > before[i]]
        sessions.append((where[0] if len(where) == 1 else -1, session))
    counts = [sum(1 for w, _ in sessions if w == i) for i in range(2)]
    await _train_all(sessions, 3.0)
    servers[1].proc.kill()
    servers[1].proc.wait(10)
    t_kill = time.time()
    survivors = [(w, s) for w, s in sessions if w == 0]
    before = [s.frames for _, s in survivors]
    await _train_all(survivors, 5.0)
    kept = [s.frames - b for (_, s), b in zip(survivors, before)]
    newcomers, served = 5, 0
    for _ in range(newcomers):
        try:
            session = await open_session(nginx.url, "playing=1", cookies={})
            frames0 = session.frames
            await session.drain(3.0)
            served += session.frames > frames0
            await session.close()
        except Exception as err:  # noqa: BLE001 - a new visitor who got no page is what this counts
            print(f"    a new visitor got no working page: {type(err).__name__}: {err}", flush=True)
    for _, s in sessions:
        await s.close()
    return {"sessions": n, "on_each_process": counts, "survivors": len(survivors),
            "survivors_still_training": sum(k > 0 for k in kept), "survivor_frames_in_5s": kept,
            "new_visitors": newcomers, "new_visitors_served": served, "seconds_after_kill": round(time.time() - t_kill, 1),
            "survivor_log_tracebacks": servers[0].log_text().count("Traceback")}


async def _train_all(sessions, seconds: float) -> None:
    async def pump(s):
        try:
            await s.drain(seconds)
        except SessionClosed:
            pass

    await asyncio.gather(*(pump(s) for _, s in sessions))


# ---------------------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-sessions", type=int, default=120)
    parser.add_argument("--step", type=int, default=10)
    parser.add_argument("--clicks", type=int, default=20, help="probe clicks per load level (p95 of these)")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["capacity", "nginx", "memory", "hostile", "fault"], help="leave a part out")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench-reliability-"))
    print(f"machine: {os.cpu_count()} CPUs; logs in {folder}", flush=True)
    results: dict = {}
    if "capacity" not in args.skip or "nginx" not in args.skip:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            if "capacity" not in args.skip:
                print("capacity, one process:", flush=True)
                with PlaygroundServer(folder / "capacity.log", env=UNCAPPED) as server:
                    results["capacity"] = measure_capacity(browser, server, server.url, procs=1,
                                                           max_sessions=args.max_sessions, step=args.step,
                                                           clicks=args.clicks, sticky=False, label="1 process")
            if "nginx" not in args.skip:
                if nginx_binary() is None:
                    print("capacity through nginx: skipped, nginx is not installed", flush=True)
                else:
                    print("capacity, two processes behind nginx:", flush=True)
                    port = free_ports(1)[0]
                    with PlaygroundServer(folder / "nginx-capacity.log", procs=2, origin=f"127.0.0.1:{port}",
                                          behind_proxy=True, env=UNCAPPED) as server, \
                            Nginx(server.ports, folder=folder / "nginx", port=port) as nginx:
                        results["nginx"] = measure_capacity(browser, server, nginx.url, procs=2,
                                                            max_sessions=args.max_sessions, step=args.step,
                                                            clicks=args.clicks, sticky=True, label="2 processes, nginx")
            browser.close()
    if "memory" not in args.skip:
        print("memory and freeing:", flush=True)
        results["memory"] = measure_memory(folder)
    if "hostile" not in args.skip:
        print("hostile input:", flush=True)
        results["hostile"] = measure_hostile(folder)
    if "fault" not in args.skip and nginx_binary() is not None:
        print("fault: one of two processes killed behind nginx:", flush=True)
        results["fault"] = measure_fault(folder)

    print()
    print("| figure | measured | target | ok |")
    print("|---|---|---|---|")
    for key in ("capacity", "nginx"):
        if key in results:
            r = results[key]
            shown = f"{r['held']}" if r["limit_reached"] else f"≥ {r['held']} (the most tried)"
            fps = f", {r['fps_each']:.1f} frames/s each" if r["fps_each"] else ""
            ok = "yes" if r["held"] >= TARGET_SESSIONS else "NO"
            print(f"| sessions training, probe click p95 ≤ {CLICK_P95_LIMIT_MS:.0f} ms ({r['label']}) | {shown}{fps} | "
                  f"≥ {TARGET_SESSIONS} | {ok} |")
    if "memory" in results:
        m = results["memory"]
        print(f"| RSS per idle session | {m['mb_per_idle_session']:.1f} MB | | |")
        print(f"| RSS per training session | {m['mb_per_playing_session']:.1f} MB | | |")
        print(f"| RSS growth over 10 waves of 30 sessions | {m['growth_mb']:+.1f} MB | < {GROWTH_LIMIT_MB:.0f} MB | "
              f"{'yes' if m['growth_mb'] < GROWTH_LIMIT_MB else 'NO'} |")
        freed = max(m["freed_s_waves_max"], m["freed_s_one_tab"])
        print(f"| seconds until a closed tab's session is freed (worst) | {freed:.1f} s | ≤ {FREED_LIMIT_S:.0f} s | "
              f"{'yes' if freed <= FREED_LIMIT_S else 'NO'} |")
    if "hostile" in results:
        h = results["hostile"]
        for kind, r in h["kinds"].items():
            print(f"| hostile {kind} cases held | {r['held']}/{r['cases']} | all | "
                  f"{'yes' if r['held'] == r['cases'] else 'NO'} |")
        print(f"| tracebacks in the log after the hostile pass | {h['log_tracebacks']} | 0 | "
              f"{'yes' if h['log_tracebacks'] == 0 else 'NO'} |")
    if "fault" in results:
        f = results["fault"]
        ok = f["survivors_still_training"] == f["survivors"] and f["new_visitors_served"] == f["new_visitors"]
        print(f"| fault: survivors still training / new visitors served | {f['survivors_still_training']}/"
              f"{f['survivors']}, {f['new_visitors_served']}/{f['new_visitors']} | all | {'yes' if ok else 'NO'} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
