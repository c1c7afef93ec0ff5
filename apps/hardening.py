"""The websocket door of a public server: a refused connection or message costs one log line, never a traceback.

Bokeh's websocket handler raises out of ``open`` when a token cannot be decoded (a forged
``Sec-WebSocket-Protocol`` value is enough), is badly signed or has expired; Tornado then logs a traceback for each
attempt, and a public server's log fills with them. :class:`GuardedWSHandler` checks the token first and refuses a
bad one with one WARNING line (the address and the reason) and a close frame; it also turns a message that cannot
be read or handled into one line instead of a traceback. :func:`install` puts it in place of Panel's handler on
every application's ``/ws`` route; ``apps.serve`` calls it before starting the server.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import time

from bokeh.util.token import check_token_signature, get_token_payload

__all__ = ["GuardedWSHandler", "install", "token_refusal", "MAX_TOKEN_CHARS"]

log = logging.getLogger("playground.apps")

# A real token carries the page's request (its query, cookies and headers): a share link with a trained model in it
# makes one of ~60 000 characters. Tornado refuses request headers over 64 KiB before this check.
MAX_TOKEN_CHARS = 128 * 1024
_BURST, _WINDOW = 30, 10.0  # at most 30 refusal lines per 10 seconds
_POLICY_VIOLATION = 1008  # websocket close code: the message or connection violates the server's policy


def token_refusal(token: object, *, secret_key: bytes | None, signed: bool, now: float | None = None) -> str | None:
    """Why a websocket token is refused, or None when it is a valid, unexpired token of this server.

    Never raises: whatever the client put in the ``Sec-WebSocket-Protocol`` header becomes a reason.
    """
    if not isinstance(token, str) or not token:
        return "no session token"
    if len(token) > MAX_TOKEN_CHARS:
        return f"a session token of {len(token)} characters"
    if not token.isascii():
        return "a session token that is not ASCII"
    try:
        if not check_token_signature(token, secret_key=secret_key, signed=signed):
            return "a session token with an invalid signature"
        payload = get_token_payload(token)
    except Exception as err:  # noqa: BLE001 - any decoding failure is a refusal, not a server error
        return f"a session token that cannot be decoded ({type(err).__name__})"
    expiry = payload.get("session_expiry") if isinstance(payload, dict) else None
    if not isinstance(expiry, (int, float)) or isinstance(expiry, bool):
        return "a session token without an expiry"
    if now is None:
        now = calendar.timegm(dt.datetime.now(tz=dt.timezone.utc).timetuple())
    if now >= expiry:
        return "an expired session token"
    return None


def _handler_base():
    from panel.io.server import WSHandler

    return WSHandler


class _RefusalLog:
    """One line per refusal; under a flood (more than :data:`_BURST` in :data:`_WINDOW` seconds) the rest are counted
    and reported in the next line that is written, so an attack cannot fill the disk through the log."""

    def __init__(self) -> None:
        self._times: list[float] = []
        self._skipped = 0

    def __call__(self, address: str, what: str) -> None:
        now = time.monotonic()
        self._times = [t for t in self._times if now - t < _WINDOW]
        if len(self._times) >= _BURST:
            self._skipped += 1
            return
        self._times.append(now)
        more = f" ({self._skipped} more refusals were not logged)" if self._skipped else ""
        self._skipped = 0
        log.warning("refused %s from %s%s", what, address, more)


refusal_log = _RefusalLog()


class GuardedWSHandler(_handler_base()):
    """Panel's websocket handler, with the token checked before Bokeh reads it and messages read without tracebacks."""

    async def get(self, *args, **kwargs):
        # Browsers always send an Origin with a websocket request; Tornado checks it only when present.
        if not (self.request.headers.get("Origin") or self.request.headers.get("Sec-Websocket-Origin")):
            refusal_log(self.request.remote_ip, "a websocket request without an Origin")
            self.set_status(403)
            self.finish()
            return None
        return await super().get(*args, **kwargs)

    def on_close(self) -> None:
        connection = getattr(self, "connection", None)
        if connection is not None and getattr(connection, "_session", None) is None:
            # Its session was destroyed first (a second connection to one session, closed later): nothing to tell.
            log.info("WebSocket connection closed after its session: code=%s", self.close_code)
            return None
        return super().on_close()

    def open(self, *args, **kwargs):
        token = getattr(self, "_token", None)
        reason = None
        if self.selected_subprotocol != "bokeh":
            reason = "no 'bokeh' subprotocol"
        else:
            reason = token_refusal(token, secret_key=self.application.secret_key, signed=self.application.sign_sessions)
        if reason is not None:
            refusal_log(self.request.remote_ip, f"a websocket with {reason}")
            self.close(_POLICY_VIOLATION, "refused")
            return None
        return super().open(*args, **kwargs)

    async def on_message(self, fragment: str | bytes) -> None:
        if getattr(self, "receiver", None) is None or getattr(self, "connection", None) is None:
            return None  # not open (refused, or still opening): nothing to hand the message to
        try:
            message = await self._receive(fragment)
        except Exception as err:  # noqa: BLE001 - a message that cannot be read is the client's problem
            self._refuse(f"an unreadable websocket message ({type(err).__name__})")
            return None
        if not message:
            return None
        try:
            work = await self._handle(message)
            if work:
                await self._schedule(work)
        except Exception as err:  # noqa: BLE001
            log.debug("websocket message failed", exc_info=True)
            self._refuse(f"a websocket message the server could not apply ({type(err).__name__}: {str(err)[:120]})")
        return None

    async def send_message(self, message) -> None:
        # Bokeh's ERROR reply carries the server's traceback (its files and lines): the client gets the text only.
        content = getattr(message, "content", None)
        if getattr(message, "msgtype", None) == "ERROR" and isinstance(content, dict) and content.get("traceback"):
            content["traceback"] = None
        return await super().send_message(message)

    # Bokeh's own refusals of a malformed or invalid message (one ERROR line each, and an invalid close code).
    def _protocol_error(self, message: str) -> None:
        self._refuse(f"a malformed websocket message ({str(message)[:120]})")

    def _internal_error(self, message: str) -> None:
        self._refuse(f"a websocket message the server could not apply ({str(message)[:120]})")

    def _refuse(self, what: str) -> None:
        refusal_log(self.request.remote_ip, what)
        self.close(_POLICY_VIOLATION, "refused")


def _quiet_closed_writes(loop, context: dict) -> None:
    """The event loop's exception handler: a frame written to a tab that has just closed is not an error.

    Panel sends each session's messages from a task of its own; when the tab closes while a frame is on its way,
    the task ends with ``WebSocketClosedError`` and asyncio would log it with a traceback ("Task exception was never
    retrieved"). Anything else goes to asyncio's default handler.
    """
    from tornado.iostream import StreamClosedError
    from tornado.websocket import WebSocketClosedError

    if isinstance(context.get("exception"), (WebSocketClosedError, StreamClosedError)):
        log.debug("dropped a message to a closed connection")
        return
    loop.default_exception_handler(context)


def install() -> None:
    """Serve every application's ``/ws`` route with :class:`GuardedWSHandler`, and keep writes to closed tabs out of
    the log (idempotent; before the server starts, on the thread that will run its event loop)."""
    from bokeh.server.urls import per_app_patterns
    from tornado.ioloop import IOLoop

    IOLoop.current().asyncio_loop.set_exception_handler(_quiet_closed_writes)

    for i, pattern in enumerate(per_app_patterns):
        if pattern[0] == r"/ws" and pattern[1] is not GuardedWSHandler:
            per_app_patterns[i] = (pattern[0], GuardedWSHandler, *pattern[2:])
