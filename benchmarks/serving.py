"""Real playground servers and a real nginx in front of them, on loopback, for the reliability benchmark and tests.

* :class:`PlaygroundServer`: ``python -m apps.serve`` (one process, or ``--num-procs N`` on consecutive ports) in a
  subprocess, with its log in a file; ``stats()`` reads the test-only ``/playground-stats`` of a process.
* :class:`Nginx`: Debian's nginx running ``deploy/nginx.conf`` itself, with only its listening port and its
  ``server`` lines (the playground processes) rewritten for loopback.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NGINX_SITE = ROOT / "deploy" / "nginx.conf"
START_TIMEOUT = 180.0  # a fresh checkout compiles the Numba kernels first

__all__ = ["PlaygroundServer", "Nginx", "free_ports", "nginx_binary", "site_config", "wait_for_http"]


def free_ports(n: int = 1, *, consecutive: bool = False) -> list[int]:
    """``n`` free TCP ports on 127.0.0.1 (consecutive ones when asked, for ``--num-procs``)."""
    if not consecutive:
        socks = [socket.socket() for _ in range(n)]
        try:
            for s in socks:
                s.bind(("127.0.0.1", 0))
            return [s.getsockname()[1] for s in socks]
        finally:
            for s in socks:
                s.close()
    for _ in range(200):
        first = free_ports(1)[0]
        if first + n - 1 > 65535:
            continue
        socks = []
        try:
            for p in range(first, first + n):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return list(range(first, first + n))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {n} consecutive free ports")


def wait_for_http(url: str, timeout: float, *, alive=None) -> None:
    """Wait until ``url`` answers 200 (``alive()`` False: the process died, give up at once)."""
    deadline = time.monotonic() + timeout
    while True:
        if alive is not None and not alive():
            raise RuntimeError(f"the process serving {url} exited")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.25)


class PlaygroundServer:
    """The playground served by ``python -m apps.serve`` on loopback (``procs`` processes on consecutive ports).

    Parameters
    ----------
    log_path : Path
        Where the server's output goes.
    procs : int
        Number of processes (``--num-procs``); each on its own port, ``ports[i]``.
    origin : str or None
        The ``host:port`` whose pages may open websockets (the nginx in front); default the server's own.
    env : dict
        Extra environment variables (e.g. ``PLAYGROUND_MAX_SESSIONS``).
    """

    def __init__(self, log_path: Path, *, procs: int = 1, origin: str | None = None, env: dict | None = None,
                 behind_proxy: bool = False, secret_key: str | None = None):
        self.ports = free_ports(procs, consecutive=True)
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports]
        self.url = self.urls[0]
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "w")
        origins = [f"127.0.0.1:{p}" for p in self.ports] + ([origin] if origin else [])
        cmd = [sys.executable, "-m", "apps.serve", "--port", str(self.ports[0]), "--no-browser", "--test-endpoints"]
        for o in origins:
            cmd += ["--allow-websocket-origin", o]
        if procs > 1:
            cmd += ["--num-procs", str(procs)]
        if behind_proxy:
            cmd.append("--behind-proxy")
        self.env = dict(os.environ, PYTHONUNBUFFERED="1", BOKEH_SECRET_KEY=secret_key or secrets.token_urlsafe(32),
                        **(env or {}))
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env=self.env,
                                     start_new_session=True)
        try:
            for url in self.urls:
                wait_for_http(f"{url}/liveness", START_TIMEOUT, alive=lambda: self.proc.poll() is None)
        except Exception:
            self.stop()
            raise

    def stats(self, i: int = 0) -> dict:
        """``/playground-stats`` of process ``i`` (its counters and pid)."""
        with urllib.request.urlopen(f"{self.urls[i]}/playground-stats", timeout=5) as r:
            return json.loads(r.read())

    def pids(self) -> list[int]:
        return [int(self.stats(i)["pid"]) for i in range(len(self.ports))]

    def rss_mb(self, i: int = 0) -> float:
        """Resident memory of process ``i`` in MiB (from /proc)."""
        pid = self.pids()[i] if len(self.ports) > 1 else self.proc.pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self, i: int = 0) -> float:
        pid = self.pids()[i] if len(self.ports) > 1 else self.proc.pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def nginx_binary() -> str | None:
    """Debian's nginx (``/usr/sbin/nginx``), or one on PATH, or None."""
    for candidate in ("/usr/sbin/nginx", shutil.which("nginx")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def site_config(listen_port: int, upstream_ports: list[int], text: str | None = None) -> str:
    """``deploy/nginx.conf`` for loopback: ``listen`` on ``listen_port``, one ``server`` line per playground port.

    Everything else (the route cookie, the hash, the websocket headers, the retry rules) is the shipped file's.
    """
    text = NGINX_SITE.read_text() if text is None else text
    lines = re.findall(r"^\s*server playground-\d+:\d+ ([^;]*);", text, flags=re.M)
    if not lines:
        raise ValueError("deploy/nginx.conf has no 'server playground-N:PORT ...;' lines")
    options = lines[0]
    servers = "\n".join(f"    server 127.0.0.1:{p} {options};" for p in upstream_ports)
    text = re.sub(r"(?:^\s*server playground-\d+:\d+ [^;]*;\n)+", servers + "\n", text, count=1, flags=re.M)
    text, n = re.subn(r"^(\s*)listen 8080;", rf"\g<1>listen 127.0.0.1:{listen_port};", text, flags=re.M)
    if n != 1:
        raise ValueError("deploy/nginx.conf has no 'listen 8080;' line")
    return text


class Nginx:
    """Debian's nginx with ``deploy/nginx.conf`` in front of ``upstream_ports``, on a free loopback port."""

    def __init__(self, upstream_ports: list[int], *, folder: Path | None = None, port: int | None = None):
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        self.port = port or free_ports(1)[0]
        self.url = f"http://127.0.0.1:{self.port}"
        self.origin = f"127.0.0.1:{self.port}"
        self.dir = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="playground-nginx-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "site.conf").write_text(site_config(self.port, upstream_ports))
        user = "user root;\n" if os.geteuid() == 0 else ""
        tmp = self.dir / "tmp"
        tmp.mkdir(exist_ok=True)
        (self.dir / "nginx.conf").write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {self.dir}/nginx.pid;\nerror_log {self.dir}/error.log warn;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            f"  access_log {self.dir}/access.log;\n"
            + "".join(f"  {kind}_temp_path {tmp}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + f"  include {self.dir}/site.conf;\n}}\n"
        )
        self._out = open(self.dir / "stdout.log", "w")
        self.proc = subprocess.Popen([binary, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"),
                                      "-e", str(self.dir / "error.log")],
                                     stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.error_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not listen within 15 s")
                time.sleep(0.1)

    def error_log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
