"""Small helpers every route uses: render a page, redirect, read ids."""

from __future__ import annotations

from urllib.parse import quote

from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from optimizer.web.workspace import valid_id


def render(request: Request, name: str, status_code: int = 200,
           **context) -> Response:
    """A template with the workspace path and navigation filled in."""
    context.setdefault("workspace", str(request.app.state.ws.root))
    context.setdefault("nav_roster", None)
    context.setdefault("nav_plan", None)
    context.setdefault("crumbs", [])
    return request.app.state.templates.TemplateResponse(
        request, name, context, status_code=status_code,
        headers={"cache-control": "no-store"})


def redirect(url: str) -> RedirectResponse:
    """After a POST: see the result with a GET (303)."""
    return RedirectResponse(url, status_code=303)


def ident(request: Request, name: str) -> str:
    """A path parameter that must be a workspace id (404 otherwise)."""
    value = request.path_params[name]
    if not valid_id(value):
        raise HTTPException(404)
    return value


def is_fragment(request: Request) -> bool:
    """htmx asks for a part of the page; a plain link gets it whole."""
    return request.headers.get("hx-request") == "true"


def sid_segment(sid: str) -> str:
    """A student id as one path segment of a link (the ``sid`` filter).

    Every character but letters, digits and ``-._~`` is percent-encoded
    (``/`` too); an id that a browser would take for ``.`` or ``..`` (it
    drops or climbs those) or that starts with ``~`` gets a ``~`` in
    front, which ``student_id`` takes off again.
    """
    text = quote(str(sid), safe="")
    if text.startswith("~") or text.lower().replace("%2e", ".") in (
            ".", ".."):
        text = "~" + text
    return text


class StudentIdConvertor(Convertor):
    """``{sid:sid}`` in a route: the rest of the path (an id may hold
    ``/``, sent as ``%2F``), less the ``~`` that ``sid_segment`` put in
    front."""

    regex = ".+"

    def convert(self, value: str) -> str:
        return value[1:] if value.startswith("~") else value

    def to_string(self, value: str) -> str:
        return sid_segment(value)


register_url_convertor("sid", StudentIdConvertor())
