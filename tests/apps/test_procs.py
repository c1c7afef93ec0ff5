"""``playground serve --num-procs N``: N processes on consecutive ports, one secret key, a dead one started again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apps.procs import child_command, serve_many

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.serving import PlaygroundServer  # noqa: E402


def test_child_command_serves_one_port_with_the_options_passed_on():
    cmd = child_command(5007, "0.0.0.0", behind_proxy=True, origins=["play.example.org"])
    assert cmd[:3] == [sys.executable, "-m", "apps.serve"]
    assert cmd[cmd.index("--port") + 1] == "5007" and cmd[cmd.index("--address") + 1] == "0.0.0.0"
    assert "--behind-proxy" in cmd and cmd[cmd.index("--allow-websocket-origin") + 1] == "play.example.org"
    assert "--no-browser" in cmd and "--test-endpoints" not in cmd


@pytest.mark.parametrize("n, port", [(0, 5006), (65, 5006), (True, 5006), ("2", 5006), (2, 65535), (2, 0)])
def test_serve_many_refuses_bad_counts_and_ports(n, port):
    with pytest.raises(ValueError):
        serve_many(n, port)


def test_cli_refuses_ports_past_the_last_one():
    result = subprocess.run([sys.executable, "-m", "playground.cli", "serve", "--num-procs", "3", "--port", "65534",
                             "--no-browser"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "consecutive ports" in result.stderr and "Traceback" not in result.stderr


def test_processes_share_one_key_and_a_killed_one_comes_back(tmp_path):
    with PlaygroundServer(tmp_path / "procs.log", procs=2) as server:
        pids = server.pids()
        assert len(set(pids)) == 2
        envs = [Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") for pid in pids]
        keys = [next(v for v in env if v.startswith(b"BOKEH_SECRET_KEY=")) for env in envs]
        assert keys[0] == keys[1] and len(keys[0]) > len("BOKEH_SECRET_KEY=") + 20

        os.kill(pids[1], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                new = server.pids()
                if new[1] != pids[1]:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError("the killed process was not started again within 60 s")
        assert new[0] == pids[0], "the other process must keep running"
        assert "exited with code -9; starting it again" in server.log_text()
    for pid in new:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower(), (
            "a process outlived the stop")
