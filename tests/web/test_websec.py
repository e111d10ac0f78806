"""Issue 22, web half: what a browser or another local program sends
cannot take the workbench's login, submit or frame its pages, exhaust
it or turn a page into a 500; the workspace stays private.

All traffic stays on 127.0.0.1: the ASGI app through Starlette's test
client, and two real servers (uvicorn in threads, ports picked by the
system) for what depends on sockets, cookies and ports.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import re
import stat
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urljoin

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from optimizer.inputs.csv_cells import DEFAULT_SAMPLE_DIR
from optimizer.web.app import create_app
from optimizer.web.pages import sid_segment
from optimizer.web.workspace import Workspace
from tests.helpers import chromium

from .conftest import BASE, CSRF, TOKEN, client_for, post, wait

SAMPLE = {name: (DEFAULT_SAMPLE_DIR / name).read_bytes()
          for name in ("students.csv", "staff.csv")}


def _old_csrf(token: str) -> str:
    """The CSRF token as the old code derived it from the access token."""
    return hmac.new(token.encode(), b"caseload-csrf",
                    hashlib.sha256).hexdigest()[:32]


# ------------------------------------------------------------ two servers


class Server:
    """``create_app`` served by uvicorn on 127.0.0.1 in a thread."""

    def __init__(self, workspace: Path, token: str, **kw):
        import uvicorn

        from optimizer.web.serve import bind

        self.sock = bind(0)
        self.port = self.sock.getsockname()[1]
        self.token = token
        self.app = create_app(workspace, token, **kw)
        self.server = uvicorn.Server(uvicorn.Config(
            self.app, log_level="warning", access_log=False,
            lifespan="on"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]},
            daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.sock.close()

    def request(self, method: str, path: str, body=None, **headers):
        """One request as a browser on this machine would send it."""
        headers.setdefault("Host", f"127.0.0.1:{self.port}")
        conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=30)
        try:
            conn.putrequest(method, path, skip_host=True,
                            skip_accept_encoding=True)
            for k, v in headers.items():
                conn.putheader(k.replace("_", "-"), v)
            if isinstance(body, bytes):
                conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
            elif body is not None:  # an iterable: sent chunked
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                for chunk in body:
                    conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                conn.send(b"0\r\n\r\n")
            else:
                conn.endheaders()
            reply = conn.getresponse()
            return reply, reply.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def login(self) -> str:
        """The ``name=value`` cookie the tokened address sets."""
        reply, _ = self.request("GET", f"/?token={self.token}")
        assert reply.status == 303
        return reply.getheader("set-cookie").split(";")[0]


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    """Two workbenches on two ports; B stands for any other local server
    whose page the user's browser opens."""
    tmp = tmp_path_factory.mktemp("two")
    with Server(tmp / "a", "token-of-a", max_upload=20_000) as a, \
            Server(tmp / "b", "token-of-b") as b:
        yield a, b


def test_two_servers_keep_their_own_cookies(two):
    a, b = two
    ca, cb = a.login(), b.login()
    assert ca.split("=")[0] == f"caseload_{a.port}"
    assert cb.split("=")[0] == f"caseload_{b.port}"
    # The cookie is not the token printed in the address.
    assert a.token not in ca and b.token not in cb
    # Browsers send every 127.0.0.1 cookie to every port: logging in to
    # B does not log A out, and each takes only its own.
    both = f"{ca}; {cb}"
    assert a.request("GET", "/", Cookie=both)[0].status == 200
    assert b.request("GET", "/", Cookie=both)[0].status == 200
    assert b.request("GET", "/", Cookie=ca)[0].status == 403
    value = ca.split("=", 1)[1]
    renamed = f"caseload_{b.port}={value}"
    assert b.request("GET", "/", Cookie=renamed)[0].status == 403


def test_other_local_programs_cookies_do_not_hide_ours(two):
    """The browser sends every 127.0.0.1 cookie; one that Python's
    http.cookies calls malformed (a JSON value) must not log us out."""
    a, _ = two
    ours = a.login()
    for header in (f'prefs={{"a": 1, "b": [2]}}; {ours}',
                   f'x="unterminated; {ours}; y=1',
                   f'{ours}; caseload_1=other',
                   # the same name set by another port's program (a
                   # longer Path: the browser sends it first)
                   f'caseload_{a.port}=stale; {ours}'):
        assert a.request("GET", "/", Cookie=header)[0].status == 200, \
            header


def test_another_origin_cannot_submit_even_holding_the_cookie(two):
    a, b = two
    ca = a.login()
    harvested = ca.split("=", 1)[1]  # what B's server received
    before = sorted((a.app.state.ws.root / "rosters").iterdir())
    # The CSRF token cannot be computed from the cookie or the token.
    for guess in (_old_csrf(harvested), _old_csrf(a.token), harvested,
                  a.token):
        r, text = a.request("POST", f"/rosters/sample?csrf={guess}",
                            Cookie=ca)
        assert r.status == 403 and "CSRF" in text
    page = a.request("GET", "/", Cookie=ca)[1]
    csrf = re.search(r"csrf=([\w-]+)", page).group(1)
    assert csrf not in (_old_csrf(a.token), _old_csrf(harvested))
    # Even with the right CSRF token, a form from B's page (another port
    # of the same host) is refused: by Origin, by Referer, by the
    # browser's Sec-Fetch-Site.
    other = f"http://127.0.0.1:{b.port}"
    for headers in ({"Origin": other},
                    {"Origin": f"http://localhost:{b.port}"},
                    {"Referer": f"{other}/attack.html"},
                    {"Origin": "null", "Sec-Fetch-Site": "same-site"},
                    {"Sec-Fetch-Site": "same-site"},
                    {"Origin": f"http://127.0.0.1:{a.port}",
                     "Sec-Fetch-Site": "cross-site"}):
        r, text = a.request("POST", f"/rosters/sample?csrf={csrf}",
                            Cookie=ca, **headers)
        assert r.status == 403, headers
    assert sorted((a.app.state.ws.root / "rosters").iterdir()) == before
    # A's own page, as a browser sends it, is accepted.
    r, _ = a.request("POST", f"/rosters/sample?csrf={csrf}", Cookie=ca,
                     Origin=f"http://127.0.0.1:{a.port}",
                     Sec_Fetch_Site="same-origin")
    assert r.status == 303


def test_another_origin_cannot_frame_or_embed(two):
    a, _ = two
    ca = a.login()
    reply, _ = a.request("GET", "/", Cookie=ca)
    assert reply.getheader("x-frame-options") == "DENY"
    assert "frame-ancestors 'none'" in reply.getheader(
        "content-security-policy")
    for dest in ("iframe", "frame", "script", "image", "empty"):
        r, _ = a.request("GET", "/", Cookie=ca, Sec_Fetch_Site="same-site",
                         Sec_Fetch_Dest=dest)
        assert r.status == 403, dest
    # A link from elsewhere still opens the page (a navigation).
    r, _ = a.request("GET", "/", Cookie=ca, Sec_Fetch_Site="same-site",
                     Sec_Fetch_Dest="document")
    assert r.status == 200


@pytest.mark.parametrize("path", ["//evil.example/", "/\\evil.example/",
                                  "///evil.example/x", "/%0d%0aX:%20y"])
def test_the_token_exchange_redirects_only_to_local_paths(two, path):
    a, _ = two
    reply, _ = a.request("GET", f"{path}?token={a.token}&q=1")
    assert reply.status == 303
    location = reply.getheader("location")
    assert location.startswith("/") and not location.startswith(("//",
                                                                "/\\"))
    assert urljoin("http://127.0.0.1:1/", location).startswith(
        "http://127.0.0.1:1/")
    assert "\r" not in location and "\n" not in location
    assert location.endswith("?q=1")


def test_a_chunked_upload_over_the_limit_is_413(two):
    a, _ = two
    ca = a.login()
    page = a.request("GET", "/", Cookie=ca)[1]
    csrf = re.search(r"csrf=([\w-]+)", page).group(1)
    boundary = "b0undary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; "
            'name="students"; filename="students.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n").encode()
    chunks = [head] + [b"1,A\n" * 1000] * 10  # 40 KB, limit 20 KB
    reply, text = a.request(
        "POST", f"/rosters?csrf={csrf}", body=iter(chunks), Cookie=ca,
        Content_Type=f"multipart/form-data; boundary={boundary}")
    assert reply.status == 413
    assert "too large" in text and "20,000 bytes" in text
    assert a.request("GET", "/", Cookie=ca)[0].status == 200


def test_a_chunked_upload_over_the_limit_is_413_in_process(tmp_path):
    c = client_for(tmp_path, max_upload=10_000)

    def body():
        yield (b"--xx\r\nContent-Disposition: form-data; name=\"students\";"
               b" filename=\"s.csv\"\r\n\r\n")
        for _ in range(10):
            yield b"1,A\n" * 500

    r = c.post(f"/rosters?csrf={CSRF}", content=body(),
               headers={"content-type": "multipart/form-data; boundary=xx"})
    assert r.status_code == 413 and "too large" in r.text
    assert list((tmp_path / "rosters").iterdir()) == []


# ------------------------------------------------------- every answer


def _answers(tmp_path) -> dict[str, object]:
    """One answer of each kind the workbench gives."""
    c = client_for(tmp_path)
    rid = str(post(c, "/rosters/sample").url).rsplit("/", 1)[1]
    folder = tmp_path / "plans" / "p20200101-000000-abcdef"
    folder.mkdir()
    (folder / "assignments.csv").write_text("student_id,staff_id\n")
    bare = TestClient(create_app(tmp_path, TOKEN, csrf=CSRF),
                      base_url=BASE)
    return {
        "page": c.get(f"/rosters/{rid}"),
        "home": c.get("/"),
        "not found": c.get("/plans/p20200101-000000-abcdee"),
        "download": c.get("/download/plans/p20200101-000000-abcdef/"
                          "assignments.csv"),
        "redirect": c.get(f"/?token={TOKEN}", follow_redirects=False),
        "post redirect": post(c, "/rosters/sample",
                              follow_redirects=False),
        "no token": bare.get("/"),
        "bad host": c.get("/", headers={"host": "evil.example"}),
        "csrf": c.post("/rosters/sample"),
        "static": c.get("/static/htmx.min.js"),
    }


def test_hardening_headers_on_every_answer(tmp_path):
    for kind, r in _answers(tmp_path).items():
        h = r.headers
        csp = h.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp, kind
        assert "script-src 'self'" in csp, kind
        assert "unsafe-inline" not in csp.split("script-src")[1].split(
            ";")[0], kind
        assert "unsafe-eval" not in csp, kind
        assert h.get("x-frame-options") == "DENY", kind
        assert h.get("x-content-type-options") == "nosniff", kind
        assert h.get("referrer-policy") in ("no-referrer", "same-origin")
        if kind != "static":
            assert h.get("cache-control") == "no-store", kind
    # The download holds student data: not kept by the browser either.


def test_pages_have_no_inline_scripts(tmp_path):
    answers = _answers(tmp_path)
    for kind in ("page", "home", "not found"):
        text = answers[kind].text
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag, (kind, tag)
        assert not re.search(r"<script\b[^>]*>\s*[^<\s]", text), kind
        assert not re.search(r"\son[a-z]+\s*=", text), kind
        assert "javascript:" not in text, kind


# ------------------------------------------------------------ workspace


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
@pytest.mark.parametrize("mode", [0o1777, 0o777, 0o755, 0o750, 0o770])
def test_a_shared_workspace_is_refused_and_left_alone(tmp_path, mode):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, mode)
    with pytest.raises(PermissionError) as info:
        Workspace(shared)
    assert f"{mode:04o}" in str(info.value)
    assert stat.S_IMODE(shared.stat().st_mode) == mode  # not chmod-ed
    assert list(shared.iterdir()) == []  # nothing written into it
    out = CliRunner().invoke(_cli(), [
        "serve", "--no-browser", "--port", "0", "--workspace",
        str(shared)])
    assert out.exit_code == 1
    assert "other people" in out.output and "Traceback" not in out.output
    assert stat.S_IMODE(shared.stat().st_mode) == mode


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving a folder to another user needs root")
def test_someone_elses_workspace_is_refused(tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 54321, 54321)
    with pytest.raises(PermissionError, match="another user"):
        Workspace(theirs)


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_a_new_workspace_is_private_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        root = Workspace(tmp_path / "new" / "ws").root
    finally:
        os.umask(old)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    Workspace(root)  # and it is used again as it is


def _cli():
    from optimizer.cli import main

    return main


def test_half_written_folders_are_cleaned_at_start(tmp_path):
    ws = Workspace(tmp_path)
    old = time.time() - 3600
    left = [tmp_path / "plans" / ".p20200101-000000-aaaaaa.x1y2",
            tmp_path / "plans" / ".p20200101-000000-aaaaab.old.k3j4",
            tmp_path / "compares" / ".c20200101-000000-aaaaaa.q9",
            tmp_path / "rosters" / ".r20200101-000000-aaaaaa.tmp"]
    for folder in left:
        folder.mkdir()
        (folder / "assignments.csv").write_text("100001,T0001\n")
    stale_file = tmp_path / "jobs" / ".j20200101-000000-aaaaaa.json.zz"
    stale_file.write_text("{")
    (tmp_path / "scenarios" / "r1").mkdir()
    stale_toml = tmp_path / "scenarios" / "r1" / ".a.toml.zz"
    stale_toml.write_text("name = ")
    for p in (*left, stale_file, stale_toml):
        os.utime(p, (old, old))
    # A run still going keeps its folder; a file being written now by
    # another server stays too.
    ws.save_record("jobs", "j20200101-000000-bbbbbb", {
        "kind": "plan", "state": "running", "pid": os.getpid(),
        "target": "p20200101-000000-bbbbbb", "spec": {"roster": "r1"}})
    live = tmp_path / "plans" / ".p20200101-000000-bbbbbb.abcd"
    live.mkdir()
    fresh = tmp_path / "rosters" / ".r20200101-000000-cccccc.json.ab"
    fresh.write_text("{")
    # A plan folder of a run that died a moment ago goes at once.
    just_killed = tmp_path / "plans" / ".p20200101-000000-dddddd.ef"
    just_killed.mkdir()
    create_app(tmp_path, TOKEN)
    for p in (*left, stale_file, stale_toml, just_killed):
        assert not p.exists(), p
    assert live.is_dir() and fresh.is_file()
    assert (tmp_path / "jobs" / "j20200101-000000-bbbbbb.json").is_file()


# ------------------------------------------------------------- uploads


def test_a_long_workbook_name_keeps_its_suffix(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "students"
    book.create_sheet("staff")
    for sheet, name in ((book["students"], "students.csv"),
                        (book["staff"], "staff.csv")):
        for line in SAMPLE[name].decode().splitlines():
            sheet.append(line.split(","))
    path = tmp_path / "book.xlsx"
    book.save(path)
    long = "Spring 2026 caseload export from the student information " \
           "system, all sites, final version.xlsx"
    assert len(long) > 80
    c = client_for(tmp_path / "ws")
    r = post(c, "/rosters", data={"name": ""},
             files={"workbook": (long, path.read_bytes())})
    assert r.status_code == 200, r.text[:500]
    assert "315" in r.text and "reads without errors" in r.text
    stored = list((tmp_path / "ws" / "rosters").glob("r*/*"))
    assert len(stored) == 1 and stored[0].suffix == ".xlsx"
    assert len(stored[0].name) <= 80


DEEP = b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n"
# The TOML reader's own limit (optimizer/inputs/toml_text.py) names it.
DEEP_MESSAGE = re.compile(r"nested (\d+ deep|too deeply)")


def test_a_deeply_nested_mapping_upload_is_a_400_page(tmp_path):
    c = client_for(tmp_path)
    r = post(c, "/rosters", data={"name": "deep"}, files={
        "students": ("students.csv", SAMPLE["students.csv"]),
        "staff": ("staff.csv", SAMPLE["staff.csv"]),
        "mapping": ("mapping.toml", DEEP)})
    assert r.status_code == 400
    assert DEEP_MESSAGE.search(r.text) and "mapping.toml" in r.text
    assert list((tmp_path / "rosters").iterdir()) == []
    assert c.get("/").status_code == 200


def test_a_deeply_nested_toml_in_the_workspace_is_a_page_not_a_500(
        tmp_path):
    c = TestClient(create_app(tmp_path, TOKEN, csrf=CSRF), base_url=BASE,
                   raise_server_exceptions=False)
    c.get(f"/?token={TOKEN}")
    rid = str(post(c, "/rosters/sample").url).rsplit("/", 1)[1]
    # A mapping and a scenario written by hand into the workspace.
    (tmp_path / "rosters" / f"{rid}-mapping.toml").write_bytes(DEEP)
    folder = tmp_path / "scenarios" / rid
    folder.mkdir()
    (folder / "deep.toml").write_bytes(DEEP)
    for path in (f"/rosters/{rid}", f"/rosters/{rid}/mapping"):
        r = c.get(path)
        assert r.status_code < 500, path
        assert DEEP_MESSAGE.search(r.text), path
    r = c.get(f"/rosters/{rid}/scenarios")
    assert r.status_code == 200 and "has problems" in r.text
    r = post(c, f"/rosters/{rid}/compare", data={"scenario": "deep"})
    assert r.status_code == 400 and DEEP_MESSAGE.search(r.text)
    # Fixed by hand, the pages work again.
    (tmp_path / "rosters" / f"{rid}-mapping.toml").unlink()
    (folder / "deep.toml").unlink()
    assert c.get(f"/rosters/{rid}").status_code == 200
    assert c.get(f"/rosters/{rid}/scenarios").status_code == 200


# -------------------------------------------------------- student ids


@pytest.mark.parametrize("sid", ["A/1", "..", ".", "~x", "%2e%2E",
                                 "a/../b", "x?y#z", "Ruiz Ana"])
def test_a_student_link_is_one_segment_browsers_keep(sid):
    seg = sid_segment(sid)
    assert "/" not in seg and "?" not in seg and "#" not in seg
    assert unquote(seg).lower() not in (".", "..")
    base = "http://127.0.0.1:1/plans/p1/students/"
    assert urljoin(base, seg) == base + seg  # no dot segment dropped
    decoded = unquote(seg)
    assert (decoded[1:] if decoded.startswith("~") else decoded) == sid


def test_odd_student_ids_open_their_own_pages(tmp_path):
    students = SAMPLE["students.csv"].decode().splitlines()
    odd = {"100001": "A/1", "100002": "..", "100003": "~x"}
    for i, line in enumerate(students):
        first = line.split(",", 1)[0]
        if first in odd:
            students[i] = odd[first] + line[len(first):]
    c = client_for(tmp_path)
    r = post(c, "/rosters", data={"name": "odd ids"}, files={
        "students": ("students.csv", "\n".join(students).encode()),
        "staff": ("staff.csv", SAMPLE["staff.csv"])})
    assert r.status_code == 200 and "reads without errors" in r.text
    rid = str(r.url).rsplit("/", 1)[1]
    plan = wait(c, post(c, f"/rosters/{rid}/plan",
                        data={"time_limit": "20"}))
    pid = str(plan.url).rsplit("/", 1)[1]
    base = f"http://127.0.0.1:8765/plans/{pid}/students/"
    for sid in odd.values():
        listing = c.get(f"/plans/{pid}/students",
                        params={"q": sid}).text
        hrefs = re.findall(rf'href="(/plans/{pid}/students/[^"]+)"',
                           listing)
        href = next(h for h in hrefs if h.endswith(sid_segment(sid)))
        # What a browser does with the link: resolve it, dot segments
        # included, then ask for it.
        resolved = urljoin(base, href)
        assert resolved == f"http://127.0.0.1:8765{href}", sid
        page = c.get(href)
        assert page.status_code == 200, sid
        assert f"Student {sid}" in page.text.replace("&#34;", '"') \
            .replace("&#39;", "'"), sid
        action = re.search(r'action="([^"]+/assign\?csrf=[^"]+)"',
                           page.text)
        assert action and urljoin(base, action.group(1).replace(
            "&amp;", "&")).startswith(f"{base}{sid_segment(sid)}/assign")
    # Choosing a case manager for "A/1" re-plans with that pin.
    page = c.get(f"/plans/{pid}/students/{sid_segment('A/1')}")
    staff = re.search(r'name="staff_id" value="([^"]+)"', page.text)
    action = re.search(r'action="([^"]+/assign)\?csrf=', page.text)
    replanned = wait(c, post(c, action.group(1),
                             data={"staff_id": staff.group(1)}))
    assert "/plans/" in str(replanned.url)
    new = str(replanned.url).rsplit("/", 1)[1]
    record = Workspace(tmp_path).record("plans", new)
    assert record["pins"] == {"A/1": staff.group(1)}
    # An id ".." is the student "..", never the plan page above it.
    page = c.get(f"/plans/{pid}/students/{sid_segment('..')}")
    assert "Student .." in page.text


# ------------------------------------------------- in a real browser


def test_a_page_on_another_port_cannot_use_the_login_in_a_browser(
        tmp_path):
    """Chromium logged in to the workbench opens a page another local
    program serves on another port of 127.0.0.1. The browser sends that
    program the workbench's cookie (browsers give cookies no port); the
    page then tries to frame the workbench and to post to it, once with
    the CSRF token the old code let anyone derive from the cookie, once
    with the real one (as if leaked). Nothing reaches the workbench."""
    browser_path = chromium(module=False)
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from playwright.sync_api import sync_playwright

    harvested: list[str] = []

    with Server(tmp_path / "a", "token-of-a") as a:
        target = f"http://127.0.0.1:{a.port}"
        real_csrf = a.app.csrf

        class Attacker(BaseHTTPRequestHandler):
            def do_GET(self):
                cookies = dict(c.strip().split("=", 1) for c in
                               (self.headers.get("cookie") or "")
                               .split(";") if "=" in c)
                value = next((v for k, v in cookies.items()
                              if k.startswith("caseload")), "")
                harvested.append(value)
                csrf = real_csrf if "real" in self.path else \
                    _old_csrf(value)
                if self.path.startswith("/frame"):
                    body = f'<iframe src="{target}/"></iframe>'
                else:
                    body = (f'<form id="f" method="post" action="{target}'
                            f'/rosters/sample?csrf={csrf}"></form><script>'
                            'document.getElementById("f").submit()'
                            '</script>')
                data = f"<!doctype html><body>{body}</body>".encode()
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        evil = ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
        thread = threading.Thread(target=evil.serve_forever, daemon=True)
        thread.start()
        other = f"http://127.0.0.1:{evil.server_address[1]}"
        rosters = a.app.state.ws.root / "rosters"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=browser_path,
                                            args=["--no-sandbox"])
                page = browser.new_page()
                page.set_default_timeout(30_000)
                page.goto(f"{target}/?token={a.token}")
                assert page.url == f"{target}/"
                for kind in ("derived", "real"):
                    with page.expect_navigation(url=f"{target}/**"):
                        page.goto(f"{other}/submit-{kind}")
                    assert "Forbidden" in page.content(), kind
                    assert list(rosters.iterdir()) == [], kind
                # The cookie did reach the other program, and is useless
                # to it: not the token, no CSRF token from it.
                assert harvested and harvested[-1] and \
                    harvested[-1] != a.token
                page.goto(f"{other}/frame")
                page.wait_for_timeout(1000)
                framed = [f for f in page.frames if f != page.main_frame]
                assert framed
                for frame in framed:  # the browser's error page
                    assert frame.url.startswith("chrome-error:")
                    assert "Rosters" not in frame.content()
                # The workbench's own page still posts (the control).
                page.goto(f"{target}/")
                page.locator("form[action^='/rosters/sample'] button") \
                    .click()
                page.wait_for_url(re.compile(r".*/rosters/r\d"))
                assert len(list(rosters.glob("*.json"))) == 1
                browser.close()
        finally:
            evil.shutdown()
            evil.server_close()
            thread.join(timeout=10)


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file()
                    or not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="needs Linux's socket table and root to act "
                    "as another user")
def test_another_user_of_the_computer_is_refused_even_with_the_cookie(
        two):
    """On a shared computer another user's program that obtained the
    cookie (or the token) still gets nothing."""
    import subprocess

    a, _ = two
    cookie = a.login()
    code = (
        "import http.client, sys\n"
        "c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]),"
        " timeout=20)\n"
        "c.request('GET', sys.argv[2], headers={'Cookie': sys.argv[3]})\n"
        "r = c.getresponse()\n"
        "print(r.status, r.read().decode()[:200])\n")
    for path in ("/", f"/?token={a.token}"):
        out = subprocess.run(
            ["/usr/bin/python3", "-c", code, str(a.port), path, cookie],
            user=65534, cwd="/", capture_output=True, text=True,
            timeout=30, check=True)
        assert out.stdout.startswith("403 ") and "another user" in \
            out.stdout, out.stdout + out.stderr
    # The same request from this user is served.
    assert a.request("GET", "/", Cookie=cookie)[0].status == 200


@pytest.mark.skipif(not Path("/proc/net/tcp").is_file(),
                    reason="Linux's socket tables")
def test_both_ways_of_asking_who_owns_a_connection_agree():
    import socket

    from optimizer.web import security

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname()) as client:
            accepted, _ = server.accept()
            ends = (*client.getsockname(), *server.getsockname())
            assert security._sock_diag_uid(*ends) == os.geteuid()
            assert security._proc_tcp_uid(*ends) == os.geteuid()
            accepted.close()
        nobody = ("127.0.0.1", 1, *server.getsockname())
        assert security._sock_diag_uid(*nobody) is None
        assert security._proc_tcp_uid(*nobody) is None
