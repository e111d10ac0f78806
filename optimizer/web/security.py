"""Safe by default: token, Host check, CSRF token, upload size limit.

The workbench serves student data on 127.0.0.1 only. This middleware:

- answers 400 to a Host header other than 127.0.0.1 or localhost (with
  any port), so a web page on another name cannot reach it through DNS
  rebinding;
- answers 403 without the access token: the token arrives once in the
  URL printed at start (``?token=...``), is exchanged for an HttpOnly,
  SameSite=Strict cookie, and every link works from then on;
- answers 403 to a state-changing request (POST, ...) without the CSRF
  token, sent as the ``X-CSRF-Token`` header (htmx) or the ``csrf``
  query parameter (plain forms), and to one whose Origin is foreign;
- answers 413 to a body over the upload limit, by its declared length
  and by the bytes actually received.
"""

from __future__ import annotations

import hashlib
import hmac
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode

COOKIE = "caseload_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ALLOWED_HOSTS = {"127.0.0.1", "localhost"}


def csrf_token(token: str) -> str:
    """The CSRF token: derived from the access token, never equal to it."""
    return hmac.new(token.encode(), b"caseload-csrf",
                    hashlib.sha256).hexdigest()[:32]


class TooLarge(Exception):
    """The request body is over the upload limit."""


class Guard:
    """ASGI middleware applying the rules above to every HTTP request;
    any other connection but the server's lifespan is refused."""

    def __init__(self, app, token: str, max_body: int):
        self.app = app
        self.token = token
        self.csrf = csrf_token(token)
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":  # start-up and shut-down only
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # websocket, ...: nothing unguarded
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if _hostname(host) not in ALLOWED_HOSTS:
            await _plain(send, 400, "Bad request: this server only answers "
                         "to 127.0.0.1 or localhost.")
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = query.get("token", [""])[0]
        if given and _same(given, self.token):
            await self._set_cookie_and_redirect(scope, query, send)
            return
        cookie = SimpleCookie(headers.get("cookie", ""))
        held = cookie[COOKIE].value if COOKIE in cookie else ""
        if not (held and _same(held, self.token)):
            await _plain(send, 403, "Forbidden: open the workbench with the "
                         "address (with ?token=...) that `caseload serve` "
                         "printed.")
            return
        if scope["method"] not in SAFE_METHODS:
            sent = headers.get("x-csrf-token") or query.get("csrf", [""])[0]
            origin = headers.get("origin")
            if not _same(sent, self.csrf) or (
                    origin and _hostname(origin.split("://")[-1])
                    not in ALLOWED_HOSTS):
                await _plain(send, 403, "Forbidden: the form is stale or "
                             "came from another site (CSRF check). Reload "
                             "the page and try again.")
                return
            length = headers.get("content-length")
            if length and length.isdigit() and int(length) > self.max_body:
                await _plain(send, 413, _too_large(self.max_body))
                return
        await self._guarded(scope, receive, send)

    async def _guarded(self, scope, receive, send):
        received = 0
        started = False

        async def counted_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise TooLarge
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except TooLarge:
            if not started:
                await _plain(send, 413, _too_large(self.max_body))

    async def _set_cookie_and_redirect(self, scope, query, send):
        rest = {k: v for k, v in query.items() if k != "token"}
        location = scope.get("path", "/") + (
            "?" + urlencode(rest, doseq=True) if rest else "")
        cookie = (f"{COOKIE}={self.token}; Path=/; HttpOnly; "
                  "SameSite=Strict")
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode()),
                                (b"set-cookie", cookie.encode()),
                                (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": b""})


def _same(given: str, secret: str) -> bool:
    """A constant-time comparison that any text can take part in
    (``compare_digest`` refuses non-ASCII str: a 500, not a 403)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"),
                               secret.encode())


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:port is not allowed either
        return host
    return host.rsplit(":", 1)[0] if ":" in host else host


def _too_large(limit: int) -> str:
    return (f"The upload is too large: the limit is {limit // 1_000_000} "
            "MB. A roster of 70,000 students is about 8 MB as CSV.")


async def _plain(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
