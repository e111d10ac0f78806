"""The workbench application: a thin face over the library.

Pages that only read are plain functions, which Starlette runs in a
thread pool, so a slow first view of a large plan never stalls the
progress of a running plan in another tab.

``create_app`` wires the workspace, the background runs, the page cache
and the routes, behind the ``security.Guard`` middleware. Pages are
rendered on the server (Jinja2); htmx, served from the package, only
swaps parts of a page (progress, table filters and pages), and every
page also works as a plain link or form.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from optimizer.inputs.rules_tables import load_rules
from optimizer.outputs.report import template_environment
from optimizer.web import (
    labels,
    routes_plan,
    routes_roster,
    routes_scenarios,
)
from optimizer.web.jobs import Jobs
from optimizer.web.pages import sid_segment
from optimizer.web.security import Guard, new_secret
from optimizer.web.state import Cache
from optimizer.web.workspace import NotFound, Workspace

HERE = Path(__file__).parent
MAX_UPLOAD = 50_000_000  # bytes; a 70,000-student roster is about 8 MB


def create_app(workspace: Path, token: str, *, max_upload: int = MAX_UPLOAD,
               rules_dir: Path | None = None,
               csrf: str | None = None) -> Guard:
    """The ASGI app for one workspace and access token.

    ``csrf`` is the CSRF token the pages carry: random unless given
    (tests), never derived from the access token.
    """
    ws = Workspace(workspace)
    ws.clean_staging()  # what a killed server or run left half-written
    csrf = csrf or new_secret()
    # The templates are *.html.j2, which Starlette's default environment
    # would not escape; the report's environment does.
    templates = Jinja2Templates(
        env=template_environment(HERE / "templates"))
    templates.env.filters["sid"] = sid_segment  # student ids in links
    templates.env.globals["csrf"] = csrf
    templates.env.filters["pct"] = _pct
    labels.install(templates.env)
    jobs_holder: dict = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        jobs_holder["jobs"].stop_all()  # runs do not outlive the server

    app = Starlette(
        lifespan=lifespan,
        routes=[*routes_roster.ROUTES, *routes_plan.ROUTES,
                *routes_scenarios.ROUTES,
                Mount("/static", StaticFiles(directory=str(HERE / "static")),
                      name="static")],
        exception_handlers={404: _not_found, NotFound: _not_found})
    app.state.ws = ws
    app.state.rules = load_rules(rules_dir)
    app.state.cache = Cache(ws, app.state.rules)
    app.state.jobs = jobs_holder["jobs"] = Jobs(ws)
    app.state.templates = templates
    guarded = Guard(app, token, max_upload, csrf)
    guarded.state = app.state  # for tests and the server
    return guarded


def _pct(x: float | None, digits: int = 0) -> str:
    return "-" if x is None else f"{x:.{digits}%}"


async def _not_found(request: Request, exc) -> HTMLResponse:
    return request.app.state.templates.TemplateResponse(
        request, "message.html.j2",
        {"title": "Not found", "message": "There is nothing at this "
         "address in the workspace."}, status_code=404)
