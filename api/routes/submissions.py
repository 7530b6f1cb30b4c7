"""Admission of new data spaces (issue 20): thin routes over ``kg.admission``.

REST: ``POST /submissions``, ``GET /submissions``, ``GET/PUT /submissions/{id}``,
``GET /submissions/{id}/review``, ``POST /submissions/{id}/decision``,
``GET /submissions/feed``. Web: ``/ui/submissions`` (submit, list, review, decide); the
pages carry the token in their forms, never in a URL.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.body import read_body
from api.deps import ContextDep, PrincipalDep
from api.negotiation import choose
from api.public import scrub
from api.web.templates import page
from kg.admission import decide as decide_model
from kg.admission import feed as feed_model
from kg.admission import review as review_model
from kg.admission import service
from kg.admission.records import Submission
from kg.auth import Principal, principal_for
from kg.errors import DskgError
from kg.services import ServiceContext
from kg.web import validateui
from kg.write import Description, validate_descriptions

router = APIRouter(tags=["Admission"])
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
FEED_TYPES = ["application/atom+xml", "application/feed+json", "application/json"]
BODY_TYPES = {"turtle": "text/turtle", "json-ld": "application/ld+json",
              "rdf-xml": "application/rdf+xml"}


EXAMPLE = """@prefix dskg: <https://w3id.org/dskg#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<dataspace/seine-mobility> a dskg:DataSpace ; skos:prefLabel "Seine Mobility" ;
  foaf:name "Seine Mobility" ; dskg:tier dskg:ProjectTier ; dskg:country "FR" ;
  dskg:governedBy <organisation/seine-mobility-association> ;
  dskg:rulebook <rulebook/seine-mobility> ; dskg:catalog <catalog/seine-mobility> ;
  dskg:subjectTo <https://w3id.org/dskg/id/framework/gdpr>,
                 <https://w3id.org/dskg/id/framework/fr-digital-republic-act> .
<organisation/seine-mobility-association> a org:Organization ;
  skos:prefLabel "Seine Mobility Association" ; foaf:name "Seine Mobility Association" ;
  dskg:tier dskg:ProjectTier ; dskg:country "FR" ; dskg:vatID "FR40303265045" .
<rulebook/seine-mobility> a dskg:Rulebook ; dct:title "Seine Mobility rules"@en ;
  odrl:hasPolicy <policy/seine-mobility-rulebook> .
<policy/seine-mobility-rulebook> a odrl:Set ; odrl:uid <policy/seine-mobility-rulebook> ;
  dskg:tier dskg:ProjectTier ;
  odrl:inheritFrom <https://w3id.org/dskg/id/policy/gdpr>,
                   <https://w3id.org/dskg/id/policy/fr-digital-republic-act> ;
  odrl:permission [ odrl:assignee <dataspace/seine-mobility> ; odrl:action odrl:use ] .
<catalog/seine-mobility> a <http://www.w3.org/ns/dcat#Catalog> ;
  dct:title "Seine Mobility catalog"@en ; dct:description "Its datasets."@en ;
  dct:publisher <organisation/seine-mobility-association> .
<membership/seine-mobility-association> a org:Membership ;
  org:member <organisation/seine-mobility-association> ;
  org:organization <dataspace/seine-mobility> ; org:role dskg:GovernanceAuthority .
"""
_BODY = {"requestBody": {"required": True, "content": {
    "text/turtle": {"schema": {"type": "string"}, "example": EXAMPLE},
    "application/ld+json": {"schema": {"type": "object"}},
    "application/rdf+xml": {"schema": {"type": "string"}}}}}


async def _form(request: Request) -> FormData:
    return await request.form(max_part_size=validateui.MAX_BYTES)


def _public(ctx: ServiceContext, exc: DskgError) -> str:
    """An error's message as a page may show it (no filesystem path)."""
    return scrub(exc.message, ctx.settings)


class DecisionBody(BaseModel):
    decision: str = Field(pattern="^(admit|reject)$", description="`admit` or `reject`")
    reason: str = Field("", max_length=4000, description="Why (required for a rejection)")


def _answer(submission: Submission, status: int = 200) -> JSONResponse:
    headers = {"ETag": submission.etag, "Cache-Control": "no-store"}
    if status == 201:
        headers["Location"] = service.href(submission.id)
    return JSONResponse(service.to_json(submission, history=status != 201), status_code=status,
                        headers=headers)


@router.post("/submissions", status_code=201, summary="Submit a data space for admission",
             description="The body is the whole description (Turtle, JSON-LD or RDF/XML): the "
             "data space, its governing authority, rulebook and policy, catalog, datasets "
             "with offers, memberships. Needs an `applicant` token. Answers 201 with "
             "`Location` and `{id, status, report, checks}`; `status` is `pending` or "
             "`needs-changes` (a check failed). Nothing reaches the graph before admission.",
             responses={400: _PROBLEM, 401: _PROBLEM, 403: _PROBLEM, 415: _PROBLEM},
             openapi_extra=_BODY)
async def submit(request: Request, ctx: ContextDep, principal: PrincipalDep) -> JSONResponse:
    body = await read_body(request)
    submission = await run_in_threadpool(service.submit, ctx, principal, body,
                                         request.headers.get("content-type"))
    return _answer(submission, 201)


@router.get("/submissions", summary="Submissions this token may see",
            description="An applicant sees its own, an authority those it reviews, an admin "
            "all. `status`: pending, needs-changes, admitted, rejected.",
            responses={401: _PROBLEM})
async def listing(ctx: ContextDep, principal: PrincipalDep, status: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50,
                  offset: Annotated[int, Query(ge=0)] = 0) -> JSONResponse:
    total, items = await run_in_threadpool(service.listing, ctx, principal, status, limit,
                                           offset)
    links = []
    query = {"status": status} if status else {}
    for rel, start, wanted in (("next", offset + limit, offset + limit < total),
                               ("prev", max(0, offset - limit), offset > 0)):
        if wanted:
            url = "/submissions?" + urlencode({**query, "limit": limit, "offset": start})
            links.append(f'<{url}>; rel="{rel}"')
    headers = {"Cache-Control": "no-store", **({"Link": ", ".join(links)} if links else {})}
    return JSONResponse({"total": total, "limit": limit, "offset": offset,
                         "items": [service.summary_json(s) for s in items]}, headers=headers)


@router.get("/submissions/feed", summary="Admission decisions as a feed",
            description="Atom (default) or JSON Feed 1.1 (`Accept: application/feed+json` or "
            "`application/json`). Public: decisions only.",
            responses={200: {"content": {t: {} for t in FEED_TYPES}}})
async def feed(request: Request, ctx: ContextDep) -> Response:
    media = choose(request.headers.get("accept"), FEED_TYPES, default="application/atom+xml")
    if media == "application/atom+xml":
        text = await run_in_threadpool(feed_model.atom_feed, ctx)
        return Response(text, media_type="application/atom+xml; charset=utf-8")
    return JSONResponse(await run_in_threadpool(feed_model.json_feed, ctx),
                        media_type=media)


@router.get("/submissions/{submission_id}", summary="A submission with its report, checks "
            "and history", responses={401: _PROBLEM, 403: _PROBLEM, 404: _PROBLEM})
async def read(ctx: ContextDep, principal: PrincipalDep, submission_id: str) -> JSONResponse:
    submission = await run_in_threadpool(service.read, ctx, principal, submission_id)
    return _answer(submission)


@router.put("/submissions/{submission_id}", summary="Correct and resubmit",
            description="Replaces the description (checked anew; the history keeps each "
            "version). `If-Match` with the ETag: 412 when stale.",
            responses={401: _PROBLEM, 403: _PROBLEM, 404: _PROBLEM, 409: _PROBLEM,
                       412: _PROBLEM}, openapi_extra=_BODY)
async def resubmit(request: Request, ctx: ContextDep, principal: PrincipalDep,
                   submission_id: str) -> JSONResponse:
    body = await read_body(request)
    submission = await run_in_threadpool(
        service.resubmit, ctx, principal, submission_id, body,
        request.headers.get("content-type"), request.headers.get("if-match"))
    return _answer(submission)


@router.get("/submissions/{submission_id}/review", summary="The tier picture and the diff",
            description="Where the data space would sit in the tiers (nodes and edges as "
            "`/dataspaces/{id}/governance`) and, per description, what it adds to or "
            "removes from the admitted version.",
            responses={401: _PROBLEM, 403: _PROBLEM, 404: _PROBLEM})
async def review(ctx: ContextDep, principal: PrincipalDep, submission_id: str) -> JSONResponse:
    def build() -> dict[str, Any]:
        submission = service.read(ctx, principal, submission_id)
        return {"id": submission.id, "picture": review_model.picture(ctx, submission),
                "diff": [d.to_json() for d in review_model.diff(ctx, submission)]}

    return JSONResponse(await run_in_threadpool(build), headers={"Cache-Control": "no-store"})


@router.post("/submissions/{submission_id}/decision", summary="Admit or reject",
             description="By the authority of the tier the data space falls under (or an "
             "admin). Admission commits every description in one transaction, owned by the "
             "data space, and answers a new steward token (shown once).",
             responses={400: _PROBLEM, 401: _PROBLEM, 403: _PROBLEM, 404: _PROBLEM,
                        409: _PROBLEM})
async def decision(ctx: ContextDep, principal: PrincipalDep, submission_id: str,
                   body: DecisionBody) -> JSONResponse:
    outcome = await run_in_threadpool(decide_model.decide, ctx, principal, submission_id,
                                      body.decision, body.reason)
    return JSONResponse(outcome.to_json(), headers={"Cache-Control": "no-store"})


# -- web pages -----------------------------------------------------------------------------------
def _page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    response = page(template, status=status, active="/ui/submissions", **values)
    response.headers["Cache-Control"] = "no-store"
    return response


def _who(ctx: ServiceContext, token: str) -> Principal | None:
    return principal_for(token, ctx.settings) if token else None


@router.get("/ui/submissions", include_in_schema=False)
def index() -> Response:
    return _page("submissions.html", data="", fmt="turtle")


@router.post("/ui/submissions", include_in_schema=False)
async def web_list(request: Request, ctx: ContextDep) -> Response:
    form = await _form(request)
    token = str(form.get("token") or "")
    status = str(form.get("status") or "") or None
    try:
        total, items = await run_in_threadpool(service.listing, ctx, _who(ctx, token),
                                               status, 200, 0)
    except DskgError as exc:
        return _page("submissions.html", status=exc.status, error=_public(ctx, exc),
                     data="", fmt="turtle")
    return _page("submissions.html", items=items, total=total, token=token, listed=True,
                 chosen=status or "", data="", fmt="turtle")


def _detail(request: Request, ctx: ServiceContext, submission: Submission, token: str,
            status: int = 200, **values: Any) -> HTMLResponse:
    principal = _who(ctx, token)
    reviewer = principal is not None and service.may_review(principal, submission)
    descriptions = review_model.descriptions_of(submission)
    graph = review_model.union(descriptions)
    report = validate_descriptions(ctx.store, [Description(n, g) for n, g in
                                               descriptions.items()])
    chain = review_model.picture(ctx, submission)
    return _page("submission.html", status=status, s=submission, token=token,
                 report=validateui.report_view(ctx, report, graph),
                 picture=review_model.picture_svg(chain), reaches_eu=chain["reachesEU"],
                 diff=review_model.diff(ctx, submission) if reviewer else None,
                 reviewer=reviewer, applicant=principal is not None
                 and principal.subject == submission.applicant,
                 body=submission.body.decode("utf-8", errors="replace"),
                 fmt=next((k for k, v in BODY_TYPES.items()
                           if submission.media_type.startswith(v)), "turtle"), **values)


@router.post("/ui/submissions/new", include_in_schema=False)
async def web_submit(request: Request, ctx: ContextDep) -> Response:
    form = await _form(request)
    token, data = str(form.get("token") or ""), str(form.get("data") or "")
    fmt = str(form.get("format") or "turtle")
    try:
        submission = await run_in_threadpool(service.submit, ctx, _who(ctx, token),
                                             data.encode("utf-8"),
                                             BODY_TYPES.get(fmt, "text/turtle"))
        return await run_in_threadpool(_detail, request, ctx, submission, token, 201)
    except DskgError as exc:
        return _page("submissions.html", status=exc.status, error=_public(ctx, exc),
                     data=data, fmt=fmt, token=token)


@router.post("/ui/submissions/{submission_id}", include_in_schema=False)
async def web_detail(request: Request, ctx: ContextDep, submission_id: str) -> Response:
    form = await _form(request)
    token = str(form.get("token") or "")
    action = str(form.get("action") or "view")
    values: dict[str, Any] = {}
    try:
        principal = _who(ctx, token)
        if action == "resubmit":
            fmt = str(form.get("format") or "turtle")
            await run_in_threadpool(
                service.resubmit, ctx, principal, submission_id,
                str(form.get("data") or "").encode("utf-8"), BODY_TYPES.get(fmt, "text/turtle"),
                str(form.get("etag") or "") or None)
            values["notice"] = "Resubmitted: the report below is for the corrected version."
        elif action in ("admit", "reject"):
            outcome = await run_in_threadpool(decide_model.decide, ctx, principal,
                                              submission_id, action,
                                              str(form.get("reason") or ""))
            values["decision"] = outcome
        submission = await run_in_threadpool(service.read, ctx, principal, submission_id)
    except DskgError as exc:
        return _page("submissions.html", status=exc.status, error=_public(ctx, exc),
                     data="", fmt="turtle", token=token)
    return await run_in_threadpool(_detail, request, ctx, submission, token, 200, **values)
