"""`caseload serve`: the tokened address first on stdout, 127.0.0.1 only,
and stopping it leaves the workspace whole."""

from __future__ import annotations

import http.client
import subprocess
import sys
from urllib.parse import urlsplit

from click.testing import CliRunner

from optimizer.cli import main


def test_serve_prints_the_tokened_url_first_and_stops_cleanly(tmp_path):
    workspace = tmp_path / "ws"
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimizer.cli", "serve", "data/sample",
         "--no-browser", "--port", "0", "--workspace", str(workspace)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline().strip()
        url = urlsplit(first)
        assert url.scheme == "http" and url.hostname == "127.0.0.1"
        assert url.path.startswith("/rosters/r")  # the roster it was given
        assert url.query.startswith("token=") and len(url.query) > 30
        def get(path, **headers):
            conn = http.client.HTTPConnection("127.0.0.1", url.port,
                                              timeout=30)
            conn.request("GET", path, headers=headers)
            reply = conn.getresponse()
            body = reply.read().decode()
            conn.close()
            return reply, body

        assert get(url.path)[0].status == 403  # no token, no page
        reply, _ = get(f"{url.path}?{url.query}")
        assert reply.status == 303
        cookie = reply.getheader("set-cookie").split(";")[0]
        page, body = get(url.path, Cookie=cookie)
        assert page.status == 200 and "315" in body
        assert get("/", Cookie=cookie, Host="evil.example")[0].status == 400
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    rosters = list((workspace / "rosters").glob("*.json"))
    assert len(rosters) == 1
    assert (workspace / "rosters" / rosters[0].stem / "students.csv"
            ).is_file()


def test_serve_has_help():
    out = CliRunner().invoke(main, ["serve", "--help"])
    assert out.exit_code == 0
    assert "--no-browser" in out.output and "--workspace" in out.output
