"""A closed tab leaves nothing behind on a real server: its session is gone within seconds, and so is every object
of its page (a long-lived server that kept them would grow by megabytes per visitor)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.raw_bokeh import open_session  # noqa: E402
from benchmarks.serving import PlaygroundServer  # noqa: E402

FREED_WITHIN_S = 10.0


def _live(server: PlaygroundServer) -> dict:
    with urllib.request.urlopen(f"{server.url}/playground-stats?objects=1", timeout=30) as r:
        return json.loads(r.read())["live_objects"]


async def _visit(url: str, n: int) -> None:
    sessions = [await open_session(url, "playing=1") for _ in range(n)]
    await asyncio.gather(*(s.drain(2.0) for s in sessions))
    assert all(s.frames > 0 for s in sessions), "every session trained"
    for s in sessions:
        await s.close()


def test_closed_tabs_free_their_session_and_their_page(tmp_path):
    with PlaygroundServer(tmp_path / "server.log") as server:
        assert _live(server)["PlaygroundApp"] == 0
        for wave in range(3):
            asyncio.run(_visit(server.url, 3))
            t0 = time.monotonic()
            while server.stats()["sessions_open"] and time.monotonic() - t0 < 30:
                time.sleep(0.1)
            freed_s = time.monotonic() - t0
            assert server.stats()["sessions_open"] == 0 and freed_s <= FREED_WITHIN_S, (wave, freed_s)
        # The pages' objects do not pile up: a few of the last wave's may wait for a timer to run out (asyncio keeps
        # a cancelled timer's context until its time), none of the waves before.
        deadline = time.monotonic() + 20
        while (live := _live(server))["PlaygroundApp"] > 3 and time.monotonic() < deadline:
            time.sleep(1.0)
        assert live["PlaygroundApp"] <= 3 and live["PlaygroundSession"] <= 3, live
        assert "Traceback" not in server.log_text()
