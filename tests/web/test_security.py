"""Safe by default: token, Host, CSRF, upload limit, downloads."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from optimizer.web.app import create_app

from .conftest import BASE, CSRF, TOKEN, client_for, post


@pytest.fixture
def fresh(tmp_path):
    return TestClient(create_app(tmp_path, TOKEN), base_url=BASE)


@pytest.mark.parametrize("path", ["/", "/static/htmx.min.js",
                                  "/rosters/x", "/download/mapping/x"])
def test_403_without_token(fresh, path):
    r = fresh.get(path)
    assert r.status_code == 403
    assert "token" in r.text


def test_wrong_token_is_403_and_right_token_sets_a_cookie(fresh):
    assert fresh.get("/?token=nope").status_code == 403
    r = fresh.get(f"/?token={TOKEN}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert fresh.get("/").status_code == 200  # the cookie is enough now


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example",
                                  "192.168.1.5:8765", "[::1]:8765"])
def test_400_on_a_foreign_host(tmp_path, host):
    c = client_for(tmp_path)
    r = c.get("/", headers={"host": host})
    assert r.status_code == 400


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:9999",
                                  "localhost"])
def test_local_hosts_are_served(tmp_path, host):
    c = client_for(tmp_path)
    assert c.get("/", headers={"host": host}).status_code == 200


def test_post_without_csrf_token_is_rejected(tmp_path):
    c = client_for(tmp_path)
    r = c.post("/rosters/sample")
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/rosters/sample?csrf=wrong")
    assert r.status_code == 403
    assert c.get("/").text.count("/rosters/r") == 0  # nothing was made
    r = c.post("/rosters/sample", headers={"X-CSRF-Token": CSRF})
    assert r.status_code == 200 and "/rosters/r" in str(r.url)


def test_post_from_a_foreign_origin_is_rejected(tmp_path):
    c = client_for(tmp_path)
    r = post(c, "/rosters/sample", headers={"origin": "http://evil.example"})
    assert r.status_code == 403


def test_oversized_upload_is_rejected(tmp_path):
    c = client_for(tmp_path, max_upload=10_000)
    big = b"student_id,site\n" + b"1,A\n" * 5000
    r = post(c, "/rosters", files={"students": ("students.csv", big),
                                   "staff": ("staff.csv", b"x")})
    assert r.status_code == 413
    assert "too large" in r.text
    assert list((tmp_path / "rosters").iterdir()) == []


def test_downloads_come_only_from_the_workspace(tmp_path):
    c = client_for(tmp_path)
    for path in ["/download/plans/../../etc/passwd",
                 "/download/plans/x/..%2F..%2Fsecret",
                 "/download/other/x/assignments.csv",
                 "/download/plans/x/notes.txt"]:
        assert c.get(path).status_code == 404, path


def test_htmx_is_served_from_the_package_with_its_licence(tmp_path):
    c = client_for(tmp_path)
    js = c.get("/static/htmx.min.js")
    assert js.status_code == 200 and "htmx" in js.text[:200]
    assert "Zero-Clause BSD" in c.get("/static/htmx-LICENSE.txt").text
    page = c.get("/").text
    assert "http://" not in page and "https://" not in page  # no CDN
