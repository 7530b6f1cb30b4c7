"""Web pages: server-rendered HTML over the same service layer as REST.

``/`` (asked by a browser) is the home page; ``/ui/...`` are the tool pages; the REST URLs
answer HTML when a browser asks for it: ``/{kind}/{id}`` through the REST route's HTML
renderer (installed here), ``/{kind}?...`` by routing the request to the browse page. Writes
seen by the app invalidate the cached home picture and form choices.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, Headers, UploadFile

from api.deps import bearer_token
from api.negotiation import wants_html
from api.public import scrub
from api.routes import rest
from kg import __version__
from kg.auth import principal_for, require
from kg.errors import BadRequest, DskgError, NotFound, ParseError, ValidationFailed
from kg.services import KINDS, ServiceContext
from kg.services.html import resource_page as plain_resource_page
from kg.services.resources import ResourceView
from kg.store import Store
from kg.web import browse as browse_model
from kg.web import edit as edit_model
from kg.web import gaiaxui, mayi, sparqlui, validateui
from kg.web.cache import WriteAwareCache, WriteCounter
from kg.web.home import home_picture
from kg.web.labels import NAME_CACHE, NameCache
from kg.web.resource import resource_page

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
LIST_KINDS = tuple(KINDS)
FORM_LIMIT = validateui.MAX_BYTES
NAV = (("/organisations", "Organisations"), ("/dataspaces", "Data spaces"),
       ("/datasets", "Datasets"), ("/policies", "Policies"), ("/ui/sparql", "SPARQL"),
       ("/ui/validate", "Validate"), ("/ui/may-i", "May I?"), ("/ui/gaiax", "Gaia-X"),
       ("/ui/submissions", "Admission"))
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

#: The app serving the current request (the REST route's HTML renderer takes only the view).
_CURRENT_APP: ContextVar[Any] = ContextVar("dskg_web_app", default=None)


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


templates = Environment(loader=PackageLoader("api", "templates"),
                        autoescape=select_autoescape(["html"]), trim_blocks=True,
                        lstrip_blocks=True)
templates.globals.update(nav=NAV, version=__version__, static_version=_static_version(),
                         kinds=KINDS)
templates.filters["number"] = lambda n: f"{n:,}"
templates.filters["svg"] = Markup  # diagrams are built escaped by kg.web.diagram


# -- state -------------------------------------------------------------------------------
class WebState:
    """Caches of whole-graph values (home picture, form choices, names), emptied by every
    write through the app's store, whoever makes it (REST, a scheduled harvest, SPARQL
    Update), and after ``WriteAwareCache.ttl`` for writes by other processes."""

    def __init__(self, store: Store) -> None:
        self.writes = WriteCounter()
        self.cache = WriteAwareCache(self.writes)
        store.subscribe(self._on_change)

    def _on_change(self, graphs: frozenset | None) -> None:
        self.writes.bump()
        self.cache.written()


_STATE_LOCK = threading.Lock()


def _state(app: Any) -> WebState:
    state = getattr(app.state, "web", None)
    if state is None:
        with _STATE_LOCK:
            state = getattr(app.state, "web", None)
            if state is None:
                state = app.state.web = WebState(app.state.store)
    return state


def _ctx(request: Request) -> ServiceContext:
    return ServiceContext(request.app.state.store, request.app.state.settings)


def _choices(request: Request) -> browse_model.Choices:
    ctx = _ctx(request)
    return _state(request.app).cache.get("choices", lambda: browse_model.choices(ctx))


def page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = templates.get_template(template).render(**values)
    return HTMLResponse(html, status_code=status, headers={"Vary": "Accept"})


async def _form(request: Request) -> FormData:
    return await request.form(max_part_size=FORM_LIMIT)


# -- home, search, browse --------------------------------------------------------------------
@router.get("/")
async def home(request: Request) -> Response:
    if not wants_html(request.headers.get("accept")):
        return JSONResponse({
            "name": "dataspace-kg", "version": __version__,
            "links": {"sparql": "/sparql", "docs": "/docs", "openapi": "/openapi.json",
                      "catalog": "/catalog", "tiers": "/tiers",
                      **{name: f"/{name}" for name in KINDS}}},
            headers={"Vary": "Accept"})
    ctx = _ctx(request)
    picture = await run_in_threadpool(
        _state(request.app).cache.get, "home", lambda: home_picture(ctx))
    return page("home.html", home=picture, active="/")


@router.get("/ui/search")
def search(request: Request, q: str = "") -> Response:
    text = q.strip()
    if not text:
        return RedirectResponse("/", status_code=303)
    groups = browse_model.search(_ctx(request), text[:200])
    return page("search.html", q=text, groups=groups)


@router.get("/ui/browse/{kind}")
def browse(request: Request, kind: str) -> Response:
    if kind not in KINDS:
        raise NotFound(f"there is no list of {kind!r}; try {', '.join(KINDS)}")
    params = dict(request.query_params)
    listing = browse_model.browse(_ctx(request), KINDS[kind], params, _choices(request))
    return page("list.html", listing=listing, active=f"/{kind}")


# -- resource pages (the REST routes' HTML) ---------------------------------------------------
def render_resource(view: ResourceView) -> str:
    """The REST routes' ``text/html`` representation of a resource."""
    app = _CURRENT_APP.get()
    if app is None:  # rendered outside a request of an app with the web pages
        return plain_resource_page(view)
    ctx = ServiceContext(app.state.store, app.state.settings)
    model = resource_page(ctx, view)
    active = f"/{view.kind.name}" if view.kind else ""
    return templates.get_template("resource.html").render(page=model, active=active)


# -- SPARQL ------------------------------------------------------------------------------------
@router.get("/ui/sparql")
def sparql(request: Request, query: str = "", example: int | None = None) -> Response:
    text = query
    if example is not None and 0 <= example < len(sparqlui.EXAMPLES):
        text = sparqlui.EXAMPLES[example][1]
    outcome = sparqlui.run(_ctx(request), text) if query.strip() else None
    downloads = [(label, "/ui/sparql/download?" + urlencode({"query": text, "format": fmt}))
                 for label, fmt in (("CSV", "csv"), ("JSON", "json"), ("TSV", "tsv"))]
    if outcome is not None and outcome.form in ("CONSTRUCT", "DESCRIBE"):
        downloads = [("Turtle", "/ui/sparql/download?" + urlencode({"query": text,
                                                                    "format": "ttl"}))]
    return page("sparql.html", query=text or sparqlui.EXAMPLES[0][1], ran=bool(query.strip()),
                outcome=outcome, examples=sparqlui.EXAMPLES,
                readme_examples=sparqlui.README_EXAMPLES, downloads=downloads,
                active="/ui/sparql")


@router.get("/ui/sparql/download")
def sparql_download(request: Request, query: str, format: str = "csv") -> Response:
    if format not in sparqlui.DOWNLOADS:
        raise BadRequest(f"no download format {format!r}; use one of "
                         f"{', '.join(sparqlui.DOWNLOADS)}")
    body, media = sparqlui.download(_ctx(request), query, format)
    ext = {"text/csv": "csv", "text/tab-separated-values": "tsv", "text/turtle": "ttl"}.get(
        media.split(";")[0], "json")
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="results.{ext}"'})


# -- validate ----------------------------------------------------------------------------------
@router.get("/ui/validate")
def validate_form(request: Request) -> Response:
    return page("validate.html", text="", fmt="auto", formats=validateui.FORMATS,
                active="/ui/validate")


def _public(request: Request, exc: DskgError) -> str:
    """An error's message as a page may show it (no filesystem path)."""
    return scrub(exc.message, request.app.state.settings)


@router.post("/ui/validate")
async def validate(request: Request) -> Response:
    form = await _form(request)
    upload = form.get("file")
    text = str(form.get("data") or "")
    fmt_choice = str(form.get("format") or "auto")
    data, filename = text.encode("utf-8"), None
    if isinstance(upload, UploadFile) and upload.filename:
        data, filename = await upload.read(), upload.filename
        text = data.decode("utf-8", errors="replace") if len(data) < 200_000 else ""
    values: dict[str, Any] = {"text": text, "fmt": fmt_choice, "formats": validateui.FORMATS,
                              "active": "/ui/validate"}
    try:
        fmt = validateui.detect_format(data, filename, fmt_choice)
        report, _graph = await run_in_threadpool(validateui.validate_bytes, _ctx(request),
                                                 data, fmt)
    except ParseError as exc:
        return page("validate.html", status=400, error=exc.message, error_line=exc.line,
                    error_column=exc.column, **values)
    except DskgError as exc:
        return page("validate.html", status=exc.status, error=_public(request, exc), **values)
    values["fmt"] = fmt_choice
    return page("validate.html", report=report, detected=validateui.FORMATS[fmt], **values)


# -- may I? ------------------------------------------------------------------------------------
@router.get("/ui/may-i")
def may_i(request: Request) -> Response:
    params = request.query_params
    form = {name: params.get(name, "") for name in mayi.FIELDS}
    duties = [d for d in params.getlist("duty") if d]
    found = _choices(request)
    values: dict[str, Any] = {"form": form, "duties": duties, "choices": found,
                              "actions": mayi.ACTIONS, "today": date.today().isoformat(),
                              "active": "/ui/may-i"}
    if not (form["assignee"] or form["target"]):
        return page("mayi.html", **values)
    if params.get("which"):  # "which datasets may it ...?": the permitted list
        try:
            offset = int(params.get("offset") or 0)
            listing = mayi.which(_ctx(request), form, duties, offset)
            values["request_query"] = urlencode(
                [(k, v) for k, v in params.multi_items() if k != "offset"])
        except ValueError:
            return page("mayi.html", status=400, error="offset must be a number", **values)
        except DskgError as exc:
            return page("mayi.html", status=exc.status, error=exc.message, **values)
        return page("mayi.html", listing=listing, **values)
    try:
        result = mayi.decide(_ctx(request), form, duties)
    except DskgError as exc:
        return page("mayi.html", status=exc.status, error=_public(request, exc), **values)
    return page("mayi.html", answer=result, **values)


# -- Gaia-X ------------------------------------------------------------------------------------
@router.get("/ui/gaiax")
def gaiax_form(request: Request) -> Response:
    return page("gaiax.html", text="", active="/ui/gaiax")


@router.post("/ui/gaiax")
async def gaiax(request: Request) -> Response:
    form = await _form(request)
    upload = form.get("file")
    text = str(form.get("data") or "")
    data = text.encode("utf-8")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        text = data.decode("utf-8", errors="replace") if len(data) < 200_000 else ""
    importing = form.get("action") == "import"
    skip_proof = form.get("skip_proof") == "on"
    values: dict[str, Any] = {"text": text, "skip_proof": skip_proof, "active": "/ui/gaiax"}
    try:
        principal = None
        if importing:
            principal = _principal(request, str(form.get("token") or ""), "steward")
        result = await run_in_threadpool(lambda: gaiaxui.check(
            _ctx(request), data, check_proof=not skip_proof, principal=principal))
    except DskgError as exc:
        return page("gaiax.html", status=exc.status, error=_public(request, exc), **values)
    return page("gaiax.html", result=result, **values)


def _principal(request: Request, token: str, role: str) -> Any:
    return require(principal_for(token or bearer_token(request), request.app.state.settings),
                   role)


# -- edit --------------------------------------------------------------------------------------
def _edit_page(request: Request, form: edit_model.DatasetForm, resource_id: str | None,
               status: int = 200, **values: Any) -> HTMLResponse:
    response = page("edit.html", status=status, form=form, resource_id=resource_id,
                    choices=_choices(request), access_rights=("PUBLIC", "RESTRICTED",
                                                              "NON_PUBLIC"),
                    active="/datasets", **values)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/ui/edit/datasets/new")
def edit_new(request: Request) -> Response:
    return _edit_page(request, edit_model.DatasetForm(
        dataspace=request.query_params.get("dataspace", "")), None)


@router.get("/ui/edit/datasets/{resource_id}")
def edit_existing(request: Request, resource_id: str) -> Response:
    form = edit_model.form_for(_ctx(request), resource_id)
    return _edit_page(request, form, resource_id)


@router.post("/ui/edit/datasets/new")
async def save_new(request: Request) -> Response:
    return await _save(request, None)


@router.post("/ui/edit/datasets/{resource_id}")
async def save_existing(request: Request, resource_id: str) -> Response:
    return await _save(request, resource_id)


async def _save(request: Request, resource_id: str | None) -> Response:
    fields = await _form(request)
    form = edit_model.DatasetForm.from_fields(
        {k: str(v) for k, v in fields.items() if isinstance(v, str)},
        [str(t) for t in fields.getlist("theme")])
    token = str(fields.get("token") or "")
    ctx = _ctx(request)
    principal = principal_for(token, ctx.settings) if token else None
    try:
        outcome = await run_in_threadpool(edit_model.save, ctx, principal, form, resource_id)
    except ValidationFailed as exc:
        graph = await run_in_threadpool(edit_model.description, ctx, form, resource_id)
        report = validateui.report_view(ctx, exc.report, graph)
        return _edit_page(request, form, resource_id, status=422, report=report,
                          error="The description does not conform: nothing was saved.",
                          token=token)
    except DskgError as exc:
        plain = edit_model.refusal_words(ctx, exc, principal, resource_id)
        return _edit_page(request, form, resource_id, status=exc.status,
                          error=plain or _public(request, exc), token=token)
    return RedirectResponse(ctx.ids.href(outcome.iri, outcome.kind), status_code=303)


# -- app-wide: list negotiation, write counting, HTML errors, security headers -----------------
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class WebMiddleware:
    """Pure ASGI: routes browsers' list requests to the browse page, turns
    problem+json errors into HTML pages for browsers, adds security headers to HTML, and
    gives the request the app's name cache (a new one after each write)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        application = scope.get("app")
        token = _CURRENT_APP.set(application)
        names = NAME_CACHE.set(_state(application).cache.get("names", NameCache)
                               if application is not None else None)
        method, path = scope["method"], scope["path"]
        html = wants_html(Headers(scope=scope).get("accept"))
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if method == "GET" and html and path.strip("/") in LIST_KINDS and "format" not in query:
            target = f"/ui/browse/{path.strip('/')}"
            scope = {**scope, "path": target, "raw_path": target.encode()}
        buffered: dict[str, Any] = {}

        async def relay(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = Headers(raw=message["headers"])
                content_type = headers.get("content-type", "")
                if html and method == "GET" and status >= 400 and \
                        content_type.startswith("application/problem+json"):
                    buffered["start"] = message
                    return
                if content_type.startswith("text/html"):
                    message["headers"] = [*message["headers"], *(
                        (k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                        if k.lower() not in headers)]
                await send(message)
            elif "start" in buffered:
                buffered.setdefault("body", b"")
                buffered["body"] += message.get("body", b"")
                if not message.get("more_body"):
                    await send_error_page(send, buffered["start"], buffered["body"])
            else:
                await send(message)

        try:
            await self.app(scope, receive, relay)
        finally:
            _CURRENT_APP.reset(token)
            NAME_CACHE.reset(names)


async def send_error_page(send: Send, start: Message, body: bytes) -> None:
    try:
        problem = json.loads(body or b"{}")
    except ValueError:
        problem = {}
    status = start["status"]
    html = templates.get_template("error.html").render(
        status=status, title=problem.get("title", "Error"),
        detail=problem.get("detail", ""), active="").encode("utf-8")
    headers = [(k, v) for k, v in start["headers"]
               if k.lower() not in (b"content-type", b"content-length")]
    headers += [(b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(html)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": html})


def install(app: FastAPI) -> None:
    """App-wide parts of the web pages (``create_app`` calls it after the routers)."""
    _state(app)
    rest.set_html_renderer(render_resource)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(WebMiddleware)
