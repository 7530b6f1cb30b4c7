"""Web pages: server-rendered HTML over the same service layer as REST.

``/`` (asked by a browser) is the home page; ``/ui/...`` are the tool pages. The REST URLs
answer HTML themselves (``api.web.templates.resource_html``); browsers' list requests reach
the browse page through ``api.web.middleware``. Whole-graph values are cached per app
(``api.web.state``) until the next write.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from api.deps import ContextDep, bearer_token
from api.negotiation import wants_html
from api.public import scrub
from api.web.state import web_state
from api.web.templates import page
from kg import __version__
from kg.auth import Principal, principal_for, require
from kg.errors import BadRequest, DskgError, NotFound, ParseError, ValidationFailed
from kg.services import KINDS, ServiceContext
from kg.web import browse as browse_model
from kg.web import edit as edit_model
from kg.web import gaiaxui, mayi, sparqlui, validateui
from kg.web.home import home_picture

router = APIRouter(include_in_schema=False)

FORM_LIMIT = validateui.MAX_BYTES


def _choices(request: Request, ctx: ServiceContext) -> browse_model.Choices:
    return web_state(request.app).cache.get("choices", lambda: browse_model.choices(ctx))


async def _form(request: Request) -> FormData:
    return await request.form(max_part_size=FORM_LIMIT)


# -- home, search, browse --------------------------------------------------------------------
@router.get("/")
async def home(request: Request, ctx: ContextDep) -> Response:
    if not wants_html(request.headers.get("accept")):
        return JSONResponse({
            "name": "dataspace-kg", "version": __version__,
            "links": {"sparql": "/sparql", "docs": "/docs", "openapi": "/openapi.json",
                      "catalog": "/catalog", "tiers": "/tiers",
                      **{name: f"/{name}" for name in KINDS}}},
            headers={"Vary": "Accept"})
    picture = await run_in_threadpool(
        web_state(request.app).cache.get, "home", lambda: home_picture(ctx))
    return page("home.html", home=picture, active="/")


@router.get("/ui/search")
def search(ctx: ContextDep, q: str = "") -> Response:
    text = q.strip()
    if not text:
        return RedirectResponse("/", status_code=303)
    groups = browse_model.search(ctx, text[:200])
    return page("search.html", q=text, groups=groups)


@router.get("/ui/browse/{kind}")
def browse(request: Request, ctx: ContextDep, kind: str) -> Response:
    if kind not in KINDS:
        raise NotFound(f"there is no list of {kind!r}; try {', '.join(KINDS)}")
    params = dict(request.query_params)
    listing = browse_model.browse(ctx, KINDS[kind], params, _choices(request, ctx))
    return page("list.html", listing=listing, active=f"/{kind}")


# -- SPARQL ------------------------------------------------------------------------------------
@router.get("/ui/sparql")
def sparql(ctx: ContextDep, query: str = "", example: int | None = None) -> Response:
    text = query
    if example is not None and 0 <= example < len(sparqlui.EXAMPLES):
        text = sparqlui.EXAMPLES[example][1]
    outcome = sparqlui.run(ctx, text) if query.strip() else None
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
def sparql_download(ctx: ContextDep, query: str, format: str = "csv") -> Response:
    if format not in sparqlui.DOWNLOADS:
        raise BadRequest(f"no download format {format!r}; use one of "
                         f"{', '.join(sparqlui.DOWNLOADS)}")
    body, media = sparqlui.download(ctx, query, format)
    ext = {"text/csv": "csv", "text/tab-separated-values": "tsv", "text/turtle": "ttl"}.get(
        media.split(";")[0], "json")
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="results.{ext}"'})


# -- validate ----------------------------------------------------------------------------------
@router.get("/ui/validate")
def validate_form() -> Response:
    return page("validate.html", text="", fmt="auto", formats=validateui.FORMATS,
                active="/ui/validate")


def _public(ctx: ServiceContext, exc: DskgError) -> str:
    """An error's message as a page may show it (no filesystem path)."""
    return scrub(exc.message, ctx.settings)


@router.post("/ui/validate")
async def validate(request: Request, ctx: ContextDep) -> Response:
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
        report, _graph = await run_in_threadpool(validateui.validate_bytes, ctx,
                                                 data, fmt)
    except ParseError as exc:
        return page("validate.html", status=400, error=exc.message, error_line=exc.line,
                    error_column=exc.column, **values)
    except DskgError as exc:
        return page("validate.html", status=exc.status, error=_public(ctx, exc), **values)
    values["fmt"] = fmt_choice
    return page("validate.html", report=report, detected=validateui.FORMATS[fmt], **values)


# -- may I? ------------------------------------------------------------------------------------
@router.get("/ui/may-i")
def may_i(request: Request, ctx: ContextDep) -> Response:
    params = request.query_params
    form = {name: params.get(name, "") for name in mayi.FIELDS}
    duties = [d for d in params.getlist("duty") if d]
    found = _choices(request, ctx)
    values: dict[str, Any] = {"form": form, "duties": duties, "choices": found,
                              "actions": mayi.ACTIONS, "today": date.today().isoformat(),
                              "active": "/ui/may-i"}
    if not (form["assignee"] or form["target"]):
        return page("mayi.html", **values)
    if params.get("which"):  # "which datasets may it ...?": the permitted list
        try:
            offset = int(params.get("offset") or 0)
            listing = mayi.which(ctx, form, duties, offset)
            values["request_query"] = urlencode(
                [(k, v) for k, v in params.multi_items() if k != "offset"])
        except ValueError:
            return page("mayi.html", status=400, error="offset must be a number", **values)
        except DskgError as exc:
            return page("mayi.html", status=exc.status, error=exc.message, **values)
        return page("mayi.html", listing=listing, **values)
    try:
        result = mayi.decide(ctx, form, duties)
    except DskgError as exc:
        return page("mayi.html", status=exc.status, error=_public(ctx, exc), **values)
    return page("mayi.html", answer=result, **values)


# -- Gaia-X ------------------------------------------------------------------------------------
@router.get("/ui/gaiax")
def gaiax_form() -> Response:
    return page("gaiax.html", text="", active="/ui/gaiax")


@router.post("/ui/gaiax")
async def gaiax(request: Request, ctx: ContextDep) -> Response:
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
            principal = _principal(request, ctx, str(form.get("token") or ""), "steward")
        result = await run_in_threadpool(lambda: gaiaxui.check(
            ctx, data, check_proof=not skip_proof, principal=principal))
    except DskgError as exc:
        return page("gaiax.html", status=exc.status, error=_public(ctx, exc), **values)
    return page("gaiax.html", result=result, **values)


def _principal(request: Request, ctx: ServiceContext, token: str, role: str) -> Principal:
    """The pages carry the token in the form (a browser sends no Authorization header)."""
    return require(principal_for(token or bearer_token(request), ctx.settings), role)


# -- edit --------------------------------------------------------------------------------------
def _edit_page(request: Request, ctx: ServiceContext, form: edit_model.DatasetForm,
               resource_id: str | None, status: int = 200, **values: Any) -> HTMLResponse:
    response = page("edit.html", status=status, form=form, resource_id=resource_id,
                    choices=_choices(request, ctx),
                    access_rights=("PUBLIC", "RESTRICTED", "NON_PUBLIC"),
                    active="/datasets", **values)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/ui/edit/datasets/new")
def edit_new(request: Request, ctx: ContextDep) -> Response:
    return _edit_page(request, ctx, edit_model.DatasetForm(
        dataspace=request.query_params.get("dataspace", "")), None)


@router.get("/ui/edit/datasets/{resource_id}")
def edit_existing(request: Request, ctx: ContextDep, resource_id: str) -> Response:
    form = edit_model.form_for(ctx, resource_id)
    return _edit_page(request, ctx, form, resource_id)


@router.post("/ui/edit/datasets/new")
async def save_new(request: Request, ctx: ContextDep) -> Response:
    return await _save(request, ctx, None)


@router.post("/ui/edit/datasets/{resource_id}")
async def save_existing(request: Request, ctx: ContextDep, resource_id: str) -> Response:
    return await _save(request, ctx, resource_id)


async def _save(request: Request, ctx: ServiceContext, resource_id: str | None) -> Response:
    fields = await _form(request)
    form = edit_model.DatasetForm.from_fields(
        {k: str(v) for k, v in fields.items() if isinstance(v, str)},
        [str(t) for t in fields.getlist("theme")])
    token = str(fields.get("token") or "")
    principal = principal_for(token, ctx.settings) if token else None
    try:
        outcome = await run_in_threadpool(edit_model.save, ctx, principal, form, resource_id)
    except ValidationFailed as exc:
        graph = await run_in_threadpool(edit_model.description, ctx, form, resource_id)
        report = validateui.report_view(ctx, exc.report, graph)
        return _edit_page(request, ctx, form, resource_id, status=422, report=report,
                          error="The description does not conform: nothing was saved.",
                          token=token)
    except DskgError as exc:
        plain = edit_model.refusal_words(ctx, exc, principal, resource_id)
        return _edit_page(request, ctx, form, resource_id, status=exc.status,
                          error=plain or _public(ctx, exc), token=token)
    return RedirectResponse(ctx.ids.href(outcome.iri, outcome.kind), status_code=303)
