"""Several playground processes for a load balancer: ``playground serve --num-procs N --port P``.

Each process is a whole playground server on its own port (P, P+1, ..., P+N-1), so a load balancer with sticky
sessions (``deploy/nginx.conf``) can send every browser back to the process that holds its session. The processes
share one ``BOKEH_SECRET_KEY`` (the environment's, or one drawn here), so a signed session id is valid on every
process. A process that exits is started again, with a growing pause if it keeps failing at once; SIGINT or SIGTERM
stops them all.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time

__all__ = ["serve_many", "child_command", "MAX_PROCS"]

log = logging.getLogger("playground.apps")

MAX_PROCS = 64
_QUICK_EXIT = 10.0  # seconds: a process that dies sooner than this after its start counts as a failing start
_MAX_PAUSE = 30.0


def child_command(port: int, address: str, *, behind_proxy: bool, origins: list[str] | None,
                  test_endpoints: bool = False) -> list[str]:
    """The command line of one process (``python -m apps.serve`` on one port)."""
    cmd = [sys.executable, "-m", "apps.serve", "--port", str(port), "--address", address, "--no-browser"]
    if behind_proxy:
        cmd.append("--behind-proxy")
    for origin in origins or ():
        cmd += ["--allow-websocket-origin", origin]
    if test_endpoints:
        cmd.append("--test-endpoints")
    return cmd


class _Child:
    def __init__(self, index: int, port: int, cmd: list[str], env: dict[str, str]) -> None:
        self.index, self.port, self.cmd, self.env = index, port, cmd, env
        self.proc: subprocess.Popen | None = None
        self.started = 0.0
        self.failures = 0
        self.next_start = 0.0

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, env=self.env)
        self.started = time.monotonic()
        log.info("process %d on port %d started (pid %d)", self.index + 1, self.port, self.proc.pid)

    def check(self, now: float) -> None:
        """Start the process again if it exited (after a pause that grows while it keeps failing at once)."""
        if self.proc is not None:
            code = self.proc.poll()
            if code is None:
                if now - self.started > _QUICK_EXIT:
                    self.failures = 0
                return
            self.failures = self.failures + 1 if now - self.started < _QUICK_EXIT else 1
            pause = min(_MAX_PAUSE, 0.5 * 2 ** (self.failures - 1))
            log.warning("process %d on port %d exited with code %s; starting it again in %.1f s",
                        self.index + 1, self.port, code, pause)
            self.proc, self.next_start = None, now + pause
        if now >= self.next_start:
            self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()

    def wait(self, timeout: float) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def serve_many(n: int, port: int = 5006, *, address: str = "127.0.0.1", behind_proxy: bool = False,
               allow_websocket_origin: list[str] | None = None, test_endpoints: bool = False) -> int:
    """Run ``n`` playground processes on ports ``port`` .. ``port + n - 1`` until SIGINT/SIGTERM; returns 0."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_PROCS:
        raise ValueError(f"num_procs: expected an integer in 1..{MAX_PROCS}, got {n!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port or port + n - 1 > 65535:
        raise ValueError(f"port: expected 1..{65536 - n} for {n} processes on consecutive ports, got {port!r}")
    env = dict(os.environ)
    env.setdefault("BOKEH_SECRET_KEY", secrets.token_urlsafe(32))  # one key for all: ids signed by one, valid on all
    env["PYTHONUNBUFFERED"] = "1"
    origins = list(allow_websocket_origin or [])
    children = [_Child(i, port + i, child_command(port + i, address, behind_proxy=behind_proxy, origins=origins,
                                                   test_endpoints=test_endpoints), env) for i in range(n)]
    stopping = False

    def _stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info("%d playground processes on %s, ports %d-%d; put a load balancer with sticky sessions in front "
             "(deploy/nginx.conf)", n, address, port, port + n - 1)
    try:
        for child in children:
            child.start()
        while not stopping:
            time.sleep(0.5)
            now = time.monotonic()
            for child in children:
                if not stopping:
                    child.check(now)
    finally:
        for child in children:
            child.stop()
        for child in children:
            child.wait(10)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
