"""Serve the playground: ``playground serve [--port P] [--no-browser]`` calls :func:`serve`.

Everything the page needs (Bokeh, Panel, the app's CSS and scripts) is served by this process; the page makes
no request to any other host. A closed tab's session is destroyed within about four seconds, which stops its
training.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys

from .input_bounds import MAX_MESSAGE_BYTES

__all__ = ["serve", "main", "SERVER_SETTINGS"]

log = logging.getLogger("playground.apps")

# Bokeh server settings: destroy sessions of closed tabs within ~4 s (the default keeps them ~30 s), and cap
# what one websocket message may carry. The lifetime also bounds how long a slow browser may take between loading
# the page and opening its websocket, so it is not made shorter.
SERVER_SETTINGS = dict(
    check_unused_sessions_milliseconds=1000,
    unused_session_lifetime_milliseconds=3000,
    websocket_max_message_size=MAX_MESSAGE_BYTES,  # the largest experiment file's upload, and no more
)


def _stats_handler():
    from tornado.web import RequestHandler

    from .workers import frame_pool

    class StatsHandler(RequestHandler):
        """Test-only: the worker pool's counters (sessions open, frames in flight) as JSON."""

        def get(self):
            self.set_header("Content-Type", "application/json")
            self.set_header("Cache-Control", "no-store")
            stats = dict(frame_pool().stats(), pid=os.getpid())
            if self.get_argument("objects", ""):
                stats["live_objects"] = _live_objects()
            self.write(json.dumps(stats))

    return StatsHandler


def _live_objects() -> dict[str, int]:
    """Test-only: after a full garbage collection, how many sessions' objects are still alive (a leak shows here)."""
    import gc

    from bokeh.document import Document

    from .playground_app import PlaygroundApp
    from .session import PlaygroundSession

    gc.collect()
    kinds = {"Document": Document, "PlaygroundApp": PlaygroundApp, "PlaygroundSession": PlaygroundSession}
    counts = dict.fromkeys(kinds, 0)
    for obj in gc.get_objects():
        for name, cls in kinds.items():
            if isinstance(obj, cls):
                counts[name] += 1
    return counts


def _origins(given: list[str] | None, address: str, port: int) -> list[str]:
    if given:
        return [str(o) for o in given]
    env = [o.strip() for o in os.environ.get("PLAYGROUND_ALLOW_ORIGIN", "").split(",") if o.strip()]
    if env:
        return env
    hosts = ["localhost", "127.0.0.1"] + ([address] if address not in ("0.0.0.0", "::", "") else [])
    return list(dict.fromkeys(f"{h}:{port}" for h in hosts))


def serve(
    port: int = 5006,
    *,
    show: bool = True,
    address: str = "127.0.0.1",
    allow_websocket_origin: list[str] | None = None,
    test_endpoints: bool = False,
    behind_proxy: bool = False,
) -> None:
    """Run the playground server until interrupted.

    Parameters
    ----------
    port : int
        TCP port (0 picks a free one).
    show : bool
        Open the page in the default browser.
    address : str
        Interface to listen on; the default serves this machine only.
    allow_websocket_origin : list of str or None
        Hosts (``host:port``) whose pages may open the websocket; default: the comma-separated list in the
        environment variable ``PLAYGROUND_ALLOW_ORIGIN``, else ``localhost:port`` and ``127.0.0.1:port`` (and
        ``address:port``).
    test_endpoints : bool
        Also serve ``/playground-stats`` (worker counters) for the browser tests; never in production.
    behind_proxy : bool
        Trust the ``X-Forwarded-For`` / ``X-Real-IP`` headers of a reverse proxy (``deploy/nginx.conf``) for the
        visitor's address in the log; only when every request comes through that proxy.
    """
    import panel as pn

    from . import admission
    from . import hardening
    from .explore import create_explore
    from .playground_app import TITLE, create_app
    from .workers import frame_pool, warm_up_kernels

    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
        raise ValueError(f"port: expected an integer in 0..65535, got {port!r}")
    if warm_up_kernels():
        log.info("fast kernels warmed up")
    # The frame workers' Python code and the server's event loop share the GIL: hand it over every 1 ms rather
    # than every 5 ms, so that a click waits less behind other sessions' frames.
    sys.setswitchinterval(0.001)
    frame_pool()
    origins = _origins(allow_websocket_origin, address, port)
    extra = [(r"/playground-stats", _stats_handler())] if test_endpoints else []
    hardening.install()
    admission.install()  # the page route checks the session cap before a session is made
    pn.serve(
        {"/": create_app, "/explore": create_explore},
        port=port,
        address=address,
        show=show,
        websocket_origin=origins,
        title=TITLE,
        liveness=True,
        admin=False,
        extra_patterns=extra,
        # Signed session ids: a session cannot be joined by someone who merely guesses or sees its id.
        sign_sessions=True,
        secret_key=os.environ.get("BOKEH_SECRET_KEY") or secrets.token_urlsafe(32),
        generate_session_ids=True,
        use_xheaders=behind_proxy,
        **SERVER_SETTINGS,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m apps.serve [--port P] [--no-browser] [--address A] [--allow-websocket-origin H]...``"""
    parser = argparse.ArgumentParser(prog="python -m apps.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5006)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    parser.add_argument("--allow-websocket-origin", action="append", default=None, metavar="HOST[:PORT]")
    parser.add_argument("--behind-proxy", action="store_true",
                        help="trust a reverse proxy's X-Forwarded-For header (only behind one, e.g. deploy/nginx.conf)")
    parser.add_argument("--num-procs", type=int, default=1, metavar="N",
                        help="N server processes on ports P .. P+N-1, for a load balancer (default 1)")
    parser.add_argument("--test-endpoints", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.num_procs != 1:
        from .procs import serve_many

        try:
            return serve_many(args.num_procs, args.port, address=args.address, behind_proxy=args.behind_proxy,
                              allow_websocket_origin=args.allow_websocket_origin, test_endpoints=args.test_endpoints)
        except ValueError as err:
            parser.error(str(err))
    serve(args.port, show=not args.no_browser, address=args.address,
          allow_websocket_origin=args.allow_websocket_origin, test_endpoints=args.test_endpoints,
          behind_proxy=args.behind_proxy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
