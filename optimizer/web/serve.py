"""Start the workbench: ``caseload serve``.

Binds 127.0.0.1 only, prints the tokened address as the first line on
stdout (as Jupyter does), opens the browser unless asked not to, and
keeps no log of requests (addresses hold student ids).
"""

from __future__ import annotations

import errno
import secrets
import socket
import sys
import webbrowser
from pathlib import Path

from optimizer.web.workspace import Workspace, default_location

DEFAULT_PORT = 8765


def bind(port: int | None) -> socket.socket:
    """A listening socket on 127.0.0.1: ``port``, or the first free one
    from 8765 when none is given."""
    tries = [port] if port is not None else range(DEFAULT_PORT,
                                                  DEFAULT_PORT + 50)
    last: OSError | None = None
    for p in tries:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", p))
        except OSError as exc:
            sock.close()
            last = exc
            if exc.errno != errno.EADDRINUSE:
                raise
            continue
        sock.listen(64)
        return sock
    raise OSError(f"no free port on 127.0.0.1 ({last})")


def serve(roster: Path | None, port: int | None, open_browser: bool,
          workspace: Path | None) -> None:
    """Run the workbench until interrupted (Ctrl-C)."""
    import uvicorn

    from optimizer.web.app import create_app

    root = workspace or default_location()
    ws = Workspace(root)
    first = None
    if roster is not None:
        first = ws.add_roster_folder(roster.name or "roster",
                                     roster.resolve())
    token = secrets.token_urlsafe(24)
    sock = bind(port)
    actual = sock.getsockname()[1]
    path = f"/rosters/{first}" if first else "/"
    url = f"http://127.0.0.1:{actual}{path}?token={token}"
    print(url, flush=True)
    print(f"Workspace: {ws.root}\nStop with Ctrl-C.", file=sys.stderr,
          flush=True)
    app = create_app(ws.root, token)
    if open_browser:
        webbrowser.open(url)
    config = uvicorn.Config(app, log_level="warning", access_log=False,
                            lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
