"""Small helpers every route uses: render a page, redirect, read ids."""

from __future__ import annotations

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
