"""The admission workflow: submit, correct and resubmit, list, review, decide.

Thin API routes and the web pages call these functions; every error is a ``DskgError``.
Who may do what:

- submit: a token with the ``applicant`` role (or above); an update to an admitted data
  space only with a steward token holding it (or an admin's);
- read and correct a submission: its applicant (the token's subject), and its reviewers;
- review and decide: the authority of the tier the data space falls under (the national
  authority of its country, else of its members' countries), the EU authority, an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import URIRef

from kg import validation
from kg.admission.books import book_for
from kg.admission.checks import countries_of, run_checks
from kg.admission.content import Content, parse_content
from kg.admission.records import STATUSES, Submission, SubmissionBook
from kg.auth import Principal, require
from kg.errors import BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed
from kg.ownership import Writer
from kg.services.context import ServiceContext
from kg.services.scope import steward_spaces
from kg.store.sparql_text import term_n3
from kg.write import validate_descriptions

OPEN = ("pending", "needs-changes")


def book(ctx: ServiceContext) -> SubmissionBook:
    return book_for(ctx.store, ctx.settings)


def href(submission_id: str) -> str:
    return f"/submissions/{submission_id}"


def submission_iri(ctx: ServiceContext, submission_id: str) -> URIRef:
    return URIRef(f"{ctx.base_iri}submissions/{submission_id}")


def admission_writer(space: URIRef, submission_id: str) -> Writer:
    """Admission writes as a steward of the new data space: what it creates is owned by the
    data space (DESIGN 4a), and it may assert the project tier only."""
    return Writer(role="steward", name=f"admission-{submission_id}", spaces=frozenset({space}))


@dataclass
class Evaluated:
    content: Content
    report: validation.ValidationReport
    checks: list[dict[str, Any]]
    exists: bool

    @property
    def status(self) -> str:
        return "needs-changes" if any(c["outcome"] == "fail" for c in self.checks) else "pending"

    def countries(self, ctx: ServiceContext) -> list[str]:
        """The countries whose authorities review it: the data space's own, else its
        members'."""
        found = countries_of(ctx, self.content)
        own = sorted(c for c, nodes in found.items() if self.content.dataspace in nodes)
        return own or sorted(found)


def _exists(ctx: ServiceContext, iri: URIRef) -> bool:
    return bool(ctx.store.query(f"ASK {{ {term_n3(iri)} a ?t }}").boolean)


def evaluate(ctx: ServiceContext, data: bytes, media_type: str | None,
             submission_id: str = "new") -> Evaluated:
    """Parse, validate with store context, and run the checks (nothing is stored)."""
    def taken(candidate: URIRef) -> bool:
        return bool(ctx.store.query(f"ASK {{ {{ {term_n3(candidate)} ?p ?o }} UNION "
                                    f"{{ GRAPH {term_n3(candidate)} {{ ?s ?p ?o }} }} }}"
                                    ).boolean)

    content = parse_content(data, media_type, base_iri=ctx.base_iri, taken=taken)
    report = validate_descriptions(ctx.store, content.descriptions)
    checks = run_checks(ctx, content, admission_writer(content.dataspace, submission_id),
                        report)
    return Evaluated(content, report, [c.to_json() for c in checks],
                     _exists(ctx, content.dataspace))


# -- who may see and decide ---------------------------------------------------------------------
def may_review(principal: Principal, submission: Submission) -> bool:
    if principal.is_admin:
        return True
    if principal.role != "authority":
        return False
    return principal.jurisdiction == "EU" or principal.jurisdiction in submission.countries


def _may_read(principal: Principal, submission: Submission) -> bool:
    return (principal.subject == submission.applicant and principal.role != "reader") or \
        may_review(principal, submission)


def load(ctx: ServiceContext, submission_id: str) -> Submission:
    found = book(ctx).get(submission_id)
    if found is None:
        raise NotFound(f"there is no submission {submission_id!r}")
    return found


def read(ctx: ServiceContext, principal: Principal | None, submission_id: str) -> Submission:
    principal = require(principal, "reader")
    submission = load(ctx, submission_id)
    if not _may_read(principal, submission):
        raise Forbidden("only the applicant who submitted it and the authorities that review "
                        "it may read a submission")
    return submission


def _check_submitter(ctx: ServiceContext, principal: Principal, evaluated: Evaluated) -> None:
    if not evaluated.exists or principal.is_admin:
        return
    space = evaluated.content.dataspace
    if principal.role == "steward" and space in steward_spaces(ctx, principal):
        return
    raise Forbidden(f"{space} is already admitted; an update to it is submitted with a "
                    "steward token of that data space")


# -- submit, correct --------------------------------------------------------------------------
def submit(ctx: ServiceContext, principal: Principal | None, data: bytes,
           media_type: str | None) -> Submission:
    principal = require(principal, "applicant")
    evaluated = evaluate(ctx, data, media_type)
    _check_submitter(ctx, principal, evaluated)
    submission_id = book(ctx).create(
        applicant=principal.subject, agent=principal.agent, body=data,
        media_type=media_type or "",
        quads=evaluated.content.quads(), dataspace=str(evaluated.content.dataspace),
        label=evaluated.content.label, countries=evaluated.countries(ctx),
        is_update=evaluated.exists, status=evaluated.status,
        report=evaluated.report.to_json(), checks=evaluated.checks)
    return load(ctx, submission_id)


def resubmit(ctx: ServiceContext, principal: Principal | None, submission_id: str,
             data: bytes, media_type: str | None, if_match: str | None) -> Submission:
    principal = require(principal, "applicant")
    current = load(ctx, submission_id)
    if principal.subject != current.applicant and not principal.is_admin:
        raise Forbidden("only the applicant who submitted it may correct a submission")
    if current.status not in OPEN:
        raise Conflict(f"submission {submission_id} is {current.status}; only a pending "
                       "submission or one that needs changes can be corrected; submit anew")
    tags = [t.strip().removeprefix("W/") for t in (if_match or "").split(",") if t.strip()]
    if tags and current.etag not in tags and "*" not in tags:
        raise PreconditionFailed("the submission changed since you read it (its ETag no "
                                 "longer matches If-Match); GET it again", etag=current.etag)
    evaluated = evaluate(ctx, data, media_type, submission_id)
    _check_submitter(ctx, principal, evaluated)
    replaced = book(ctx).replace(
        submission_id, current.version, agent=principal.agent, body=data,
        media_type=media_type or "", quads=evaluated.content.quads(),
        dataspace=str(evaluated.content.dataspace), label=evaluated.content.label,
        countries=evaluated.countries(ctx), is_update=evaluated.exists,
        status=evaluated.status, report=evaluated.report.to_json(), checks=evaluated.checks)
    if not replaced:
        raise PreconditionFailed("the submission changed while it was being checked; GET it "
                                 "again and retry")
    return load(ctx, submission_id)


# -- list ---------------------------------------------------------------------------------
def listing(ctx: ServiceContext, principal: Principal | None, status: str | None,
            limit: int, offset: int) -> tuple[int, list[Submission]]:
    """The submissions this principal may see: an applicant its own, a reviewer those it
    may decide, an admin all."""
    principal = require(principal, "reader")
    if status is not None and status not in STATUSES:
        raise BadRequest(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
    if not 1 <= limit <= 500 or offset < 0:
        raise BadRequest("limit is 1 to 500 and offset at least 0")
    if principal.is_admin or (principal.role == "authority" and principal.jurisdiction == "EU"):
        return book(ctx).page(status=status, applicant=None, limit=limit, offset=offset)
    if principal.role == "authority":
        _total, every = book(ctx).page(status=status, applicant=None, limit=1_000_000, offset=0)
        mine = [s for s in every if may_review(principal, s)
                or s.applicant == principal.subject]
        return len(mine), mine[offset:offset + limit]
    return book(ctx).page(status=status, applicant=principal.subject, limit=limit,
                          offset=offset)


def to_json(submission: Submission, *, history: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": submission.id, "href": href(submission.id), "status": submission.status,
        "dataspace": submission.dataspace, "label": submission.label,
        "update": submission.is_update, "applicant": submission.applicant_agent,
        "submitted": submission.created, "updated": submission.updated,
        "etag": submission.etag, "report": submission.report, "checks": submission.checks}
    if submission.status in ("admitted", "rejected"):
        out.update({"reason": submission.reason, "decidedBy": submission.decided_by,
                    "decided": submission.decided})
    if history:
        out["history"] = submission.history
    return out


def summary_json(submission: Submission) -> dict[str, Any]:
    outcomes = [c["outcome"] for c in submission.checks]
    return {"id": submission.id, "href": href(submission.id), "status": submission.status,
            "dataspace": submission.dataspace, "label": submission.label,
            "update": submission.is_update, "applicant": submission.applicant_agent,
            "submitted": submission.created, "updated": submission.updated,
            "checks": {o: outcomes.count(o) for o in ("pass", "warning", "fail")}}
