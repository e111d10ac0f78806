"""Safe by default: token, Host, Origin, CSRF, headers, upload limit.

The workbench serves student data on 127.0.0.1 only. This middleware:

- answers 400 to a Host header other than 127.0.0.1 or localhost (with
  any port), so a web page on another name cannot reach it through DNS
  rebinding;
- answers 403 without the access token: the token arrives once in the
  URL printed at start (``?token=...``) and is exchanged for an
  HttpOnly, SameSite=Strict cookie named for this server's port
  (``caseload_8765``), so two workbenches on two ports keep their own
  logins. The cookie holds a random session value, not the token. The
  exchange redirects to a path on this server only;
- answers 403 to a state-changing request (POST, ...) without the CSRF
  token, sent as the ``X-CSRF-Token`` header (htmx) or the ``csrf``
  query parameter (plain forms). The CSRF token is random, made when the
  server starts: nothing a browser holds (cookie, access token) lets
  anyone compute it. Its Origin (else its Referer) must be this server,
  port included: browsers send cookies to every port of 127.0.0.1, so a
  page served by another local program is a different origin on the same
  site, and ``Sec-Fetch-Site`` must say the request came from this
  origin when the browser sends it;
- answers 403 to a request another origin makes for a part of a page
  (a frame, a script, an image: ``Sec-Fetch-Site`` same-site or
  cross-site with ``Sec-Fetch-Dest`` other than a document);
- answers 413 to a body over the upload limit, by its declared length
  and by the bytes actually received (a chunked upload has no length);
- adds to every answer: a Content-Security-Policy (scripts and styles
  from this server only, no framing), X-Frame-Options DENY,
  X-Content-Type-Options nosniff, a Referrer-Policy that never sends an
  address elsewhere, and Cache-Control no-store on everything but the
  bundled static files (pages and downloads hold student data).

Browsers give cookies no port: a program listening on another port of
127.0.0.1 that the user's browser visits receives this cookie. What the
rules above ensure is that such a page cannot use it through the
browser (submit, frame, embed), and that the cookie alone gives no CSRF
token and stops working when the server stops. Where the system says
who owns a connection (Linux: sock_diag, as ``ss`` asks), a connection from
another user's program is refused (403) whatever it holds: on a shared
computer, a cookie or token another user obtained is of no use to them.
(A program of the user's own can read the workspace anyway.)
"""

from __future__ import annotations

import hmac
import os
import secrets
import socket
import struct
import sys
import traceback
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from starlette.exceptions import HTTPException

COOKIE = "caseload"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ALLOWED_HOSTS = {"127.0.0.1", "localhost"}

# Scripts from this server only (htmx is bundled), never inline; inline
# styles are allowed (the bars' widths are style attributes, and htmx
# adds its indicator style).
CSP = ("default-src 'none'; script-src 'self'; "
       "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
# "same-origin", not "no-referrer": under no-referrer a browser sends
# "Origin: null" with this server's own form posts (Fetch standard,
# "append a request Origin header"), which would hide the port the
# Origin check needs. No address is ever sent to another origin.
REFERRER_POLICY = "same-origin"
HARDENING = [(b"content-security-policy", CSP.encode()),
             (b"x-frame-options", b"DENY"),
             (b"x-content-type-options", b"nosniff"),
             (b"referrer-policy", REFERRER_POLICY.encode()),
             (b"cross-origin-opener-policy", b"same-origin"),
             (b"cross-origin-resource-policy", b"same-origin")]
NO_STORE = (b"cache-control", b"no-store")


def cookie_name(port: int | None) -> str:
    """The access cookie of the server on ``port`` (browsers share
    cookies between ports, so each server needs its own name)."""
    return f"{COOKIE}_{port}" if port else COOKIE


def new_secret() -> str:
    """A random secret (the CSRF token, the session value)."""
    return secrets.token_urlsafe(32)


class TooLarge(HTTPException):
    """The request body is over the upload limit (the app answers it as
    any HTTP error: a 413 page naming the limit)."""

    def __init__(self, limit: int):
        super().__init__(413, _too_large(limit))


class Guard:
    """ASGI middleware applying the rules above to every HTTP request;
    any other connection but the server's lifespan is refused."""

    def __init__(self, app, token: str, max_body: int,
                 csrf: str | None = None):
        self.app = app
        self.token = token
        self.session = new_secret()  # the cookie's value, never the token
        self.csrf = csrf or new_secret()
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":  # start-up and shut-down only
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # websocket, ...: nothing unguarded
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        send = _hardened(send, scope.get("path", ""))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if _hostname(host) not in ALLOWED_HOSTS:
            await _plain(send, 400, "Bad request: this server only answers "
                         "to 127.0.0.1 or localhost.")
            return
        if not _same_user(scope):
            await _plain(send, 403, "Forbidden: this workbench belongs to "
                         "another user of this computer (it answers only "
                         "programs of the user who started it). Start "
                         "your own with `caseload serve`.")
            return
        port = _server_port(scope)
        name = cookie_name(port)
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = query.get("token", [""])[0]
        if given and _same(given, self.token):
            await self._set_cookie_and_redirect(scope, query, send, name)
            return
        held = _cookies(headers.get("cookie", ""), name)
        if not any(_same(h, self.session) for h in held if h):
            await _plain(send, 403, "Forbidden: open the workbench with the "
                         "address (with ?token=...) that `caseload serve` "
                         "printed.")
            return
        site = headers.get("sec-fetch-site", "")
        if site in ("same-site", "cross-site") and headers.get(
                "sec-fetch-dest", "document") != "document":
            await _plain(send, 403, "Forbidden: another site's page asked "
                         "for a part of this one (frame, script, image).")
            return
        if scope["method"] not in SAFE_METHODS:
            sent = headers.get("x-csrf-token") or query.get("csrf", [""])[0]
            if not _same(sent, self.csrf) or not _from_here(headers, port):
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
                    raise TooLarge(self.max_body)
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except TooLarge:
            # Raised where the app does not answer HTTP errors itself.
            if not started:
                await _plain(send, 413, _too_large(self.max_body))
        except Exception as exc:  # a bug: logged here, without its message
            # The server would log it with its message, and messages hold
            # student data (FERPA): where it happened is logged instead.
            print(safe_traceback(exc), file=sys.stderr, flush=True)
            if not started:
                await _plain(send, 500, "Internal error: this page could "
                             "not be shown; please report it.")

    async def _set_cookie_and_redirect(self, scope, query, send, name):
        rest = {k: v for k, v in query.items() if k != "token"}
        location = local_path(scope.get("path", "/")) + (
            "?" + urlencode(rest, doseq=True) if rest else "")
        cookie = (f"{name}={self.session}; Path=/; HttpOnly; "
                  "SameSite=Strict")
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode()),
                                (b"set-cookie", cookie.encode()),
                                (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


def safe_traceback(exc: BaseException) -> str:
    """The exception's type and where it was raised, file and line only:
    its message and the variables may hold student data (FERPA)."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f"  {Path(f.filename).name}:{f.lineno} in {f.name}"
             for f in frames]
    return "\n".join([f"internal error: {type(exc).__name__}", *lines])


def local_path(path: str) -> str:
    """``path`` as a path on this server: one leading slash (``//host``
    and ``/\\host`` name another host to a browser), percent-encoded
    (no line breaks in the header)."""
    path = "/" + path.lstrip("/\\")
    return quote(path, safe="/:@!$&'()*+,;=-._~%")


def _hardened(send, path: str):
    """``send`` adding the hardening headers (and no-store but on the
    bundled static files) to the answer's start."""
    static = path.startswith("/static/")

    async def wrapped(message):
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            have = {k.lower() for k, _ in headers}
            extra = [h for h in HARDENING if h[0] not in have]
            if not static:
                headers = [h for h in headers
                           if h[0].lower() != b"cache-control"]
                extra.append(NO_STORE)
            message = {**message, "headers": headers + extra}
        await send(message)
    return wrapped


def _same_user(scope) -> bool:
    """False when the system shows that the connection's other end is
    a program of another user; True when it is ours, or unknown."""
    client, server = scope.get("client"), scope.get("server")
    if not (client and server) or not hasattr(os, "geteuid"):
        return True
    uid = peer_uid(tuple(client), tuple(server))
    return uid is None or uid == os.geteuid()


def peer_uid(client: tuple, server: tuple) -> int | None:
    """The user id owning the client's end of a TCP connection over
    IPv4 loopback, as the kernel tells (Linux: a sock_diag query, else
    the ``/proc/net/tcp`` table); None where neither says."""
    try:
        ends = (client[0], int(client[1]), server[0], int(server[1]))
        socket.inet_aton(ends[0]), socket.inet_aton(ends[2])
    except (ValueError, OSError, TypeError, IndexError):
        return None  # not an IPv4 connection (a test client, ...)
    try:
        return _sock_diag_uid(*ends)
    except (OSError, AttributeError, struct.error):
        return _proc_tcp_uid(*ends)


_TIME_WAIT = 6  # a closed connection's leftover: it has no owner


def _sock_diag_uid(ip: str, port: int, server_ip: str,
                   server_port: int) -> int | None:
    """One netlink sock_diag query (what ``ss`` uses) for the socket
    whose local end is ``ip:port`` and remote end the server."""
    sockid = (struct.pack("!HH", port, server_port)
              + socket.inet_aton(ip) + bytes(12)
              + socket.inet_aton(server_ip) + bytes(12)
              + struct.pack("=III", 0, 0xFFFFFFFF, 0xFFFFFFFF))
    request = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP,
                          0, 0, 0xFFFFFFFF) + sockid
    sock_diag_by_family, nlm_f_request = 20, 1
    message = struct.pack("=IHHII", 16 + len(request), sock_diag_by_family,
                          nlm_f_request, 1, 0) + request
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM,
                       4) as netlink:  # NETLINK_SOCK_DIAG
        netlink.settimeout(2)
        netlink.sendto(message, (0, 0))
        reply = netlink.recv(65536)
    _, kind = struct.unpack_from("=IH", reply)
    if kind != sock_diag_by_family:  # an error: no such connection
        return None
    # nlmsghdr (16 bytes), then inet_diag_msg: family, state, timer,
    # retrans, the 48-byte id, expires, rqueue, wqueue, uid.
    if reply[17] == _TIME_WAIT:
        return None
    return struct.unpack_from("=I", reply, 16 + 64)[0]


def _proc_tcp_uid(ip: str, port: int, server_ip: str, server_port: int,
                  table: str = "/proc/net/tcp") -> int | None:
    try:
        with open(table, "rb") as fh:
            text = fh.read()
    except OSError:
        return None
    key = (f" {_hex_address(ip, port)} "
           f"{_hex_address(server_ip, server_port)} ").encode()
    at = text.find(key)
    while at >= 0:
        start = text.rfind(b"\n", 0, at) + 1
        end = text.find(b"\n", at)
        fields = text[start:end if end >= 0 else None].split()
        # sl local rem st queues timer retransmits uid ...
        if len(fields) > 7 and int(fields[3], 16) != _TIME_WAIT:
            return int(fields[7])
        at = text.find(key, at + 1)
    return None


def _hex_address(ip: str, port: int) -> str:
    """``127.0.0.1``, 8765 as the kernel writes it: ``0100007F:2231``."""
    packed = socket.inet_aton(ip)
    return f"{int.from_bytes(packed, 'little'):08X}:{port:04X}"


def _server_port(scope) -> int | None:
    server = scope.get("server")
    return int(server[1]) if server and server[1] else None


def _cookies(header: str, name: str) -> list[str]:
    """Every cookie ``name`` in a Cookie header, read pair by pair: the
    browser also sends other local programs' cookies, and one that
    ``http.cookies`` finds malformed must not hide ours, nor one of the
    same name another port's program set (with a longer Path the
    browser sends it first)."""
    out = []
    for pair in header.split(";"):
        key, eq, value = pair.strip().partition("=")
        if eq and key.strip() == name:
            out.append(value.strip().strip('"'))
    return out


def _from_here(headers: dict[str, str], port: int | None) -> bool:
    """Whether a state-changing request came from a page of this server
    (scheme, host and port); a request without Origin, Referer or
    Sec-Fetch-Site is not a browser's and is judged by its CSRF token."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    if origin is not None:
        if origin == "null":  # privacy-stripped: only the browser's word
            return site == "same-origin"
        return _our_origin(origin, port)
    referer = headers.get("referer")
    if referer is not None:
        return _our_origin(referer, port)
    return True


def _our_origin(url: str, port: int | None) -> bool:
    try:
        parts = urlsplit(url)
        their_port = parts.port or (80 if parts.scheme == "http" else 443)
    except ValueError:
        return False
    return (parts.scheme == "http" and parts.hostname in ALLOWED_HOSTS
            and (port is None or their_port == port))


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
    size = (f"{limit // 1_000_000} MB" if limit >= 1_000_000
            else f"{limit:,} bytes")
    return (f"The upload is too large: the limit is {size}. A roster of "
            "70,000 students is about 8 MB as CSV.")


async def _plain(send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
