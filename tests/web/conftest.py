"""Fixtures for the workbench: an app on a fresh workspace, a client."""

from __future__ import annotations

import re
import time

import pytest
from starlette.testclient import TestClient

from optimizer.web.app import create_app

TOKEN = "test-token-123"
CSRF = "test-csrf-456"  # the server's is random; tests fix their own
BASE = "http://127.0.0.1:8765"


def client_for(workspace, **kw) -> TestClient:
    """A client that has opened the tokened address (so holds the cookie)."""
    kw.setdefault("csrf", CSRF)
    client = TestClient(create_app(workspace, TOKEN, **kw), base_url=BASE)
    assert client.get(f"/?token={TOKEN}").status_code == 200
    return client


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """A client on a new workspace, shared by one test module."""
    with client_for(tmp_path_factory.mktemp("ws")) as c:
        yield c


def post(client: TestClient, url: str, **kw):
    sep = "&" if "?" in url else "?"
    return client.post(f"{url}{sep}csrf={CSRF}", **kw)


def wait(client: TestClient, response, timeout: float = 120):
    """Follow a run's progress page until it lands on its result."""
    assert "/jobs/" in str(response.url), response.text[:2000]
    url = str(response.url)
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = client.get(url)
        if "/jobs/" not in str(r.url):
            return r
        if "The run did not finish" in r.text:
            raise AssertionError(r.text)
        time.sleep(0.3)
    raise AssertionError("the run did not finish in time")


def ids(text: str, kind: str) -> list[str]:
    return re.findall(rf"/{kind}/([a-z]\d{{8}}-\d{{6}}-[0-9a-f]{{6}})", text)
