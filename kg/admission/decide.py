"""Deciding a submission: admission (every description through the one write path, in one
transaction, owned by the new data space, with a new steward token) or rejection (the
submission and the reason kept). Both leave their provenance in the meta graph: the
submission's steps (submitted, resubmitted, decided), who took them and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rdflib import Literal, URIRef

from kg.admission import service
from kg.admission.records import Submission, SubmissionBook
from kg.auth import Principal, require
from kg.errors import BadRequest, Conflict, Forbidden
from kg.namespaces import DSKG, PROV, RDF, RDFS, XSD
from kg.services.context import ServiceContext
from kg.tokens import create_token, tokens_file
from kg.write import Origin, Triple, agent_iri, commit, record_activity

DECISIONS = {"admit": "admitted", "reject": "rejected"}


@dataclass
class Decision:
    status: str
    token: str | None = None
    dataspace: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"status": self.status, "token": self.token, "dataspace": self.dataspace}


def _time(text: str) -> Literal:
    return Literal(text, datatype=XSD.dateTime)


def provenance(iri: URIRef, submission: Submission, *, status: str, reviewer: str,
               reason: str, at: str) -> list[Triple]:
    """The submission, each of its steps and the decision, as PROV triples."""
    decision = URIRef(f"{iri}#decision")
    triples: list[Triple] = [
        (iri, RDF.type, DSKG.Submission), (iri, RDF.type, PROV.Entity),
        (iri, PROV.wasAttributedTo, agent_iri(submission.applicant_agent)),
        (iri, PROV.generatedAtTime, _time(submission.created)),
        (iri, DSKG.status, Literal(status)),
        (decision, RDF.type, PROV.Activity),
        (decision, RDF.type, DSKG.Admission if status == "admitted" else DSKG.Rejection),
        (decision, PROV.used, iri), (decision, PROV.wasAssociatedWith, agent_iri(reviewer)),
        (decision, PROV.endedAtTime, _time(at)), (decision, DSKG.reason, Literal(reason)),
    ]
    for number, step in enumerate(submission.history, start=1):
        node = URIRef(f"{iri}#step-{number}")
        triples += [(node, RDF.type, PROV.Activity), (node, RDFS.label, Literal(step["event"])),
                    (node, PROV.generated, iri),
                    (node, PROV.wasAssociatedWith, agent_iri(step["agent"])),
                    (node, PROV.startedAtTime, _time(step["at"])),
                    (node, DSKG.status, Literal(step["status"]))]
    return triples


def decide(ctx: ServiceContext, principal: Principal | None, submission_id: str,
           decision: str, reason: str) -> Decision:
    principal = require(principal, "reader")
    if decision not in DECISIONS:
        raise BadRequest(f"decision is 'admit' or 'reject', not {decision!r}")
    reason = (reason or "").strip()
    if decision == "reject" and not reason:
        raise BadRequest("a rejection needs a reason the applicant can act on")
    book = service.book(ctx)
    submission = service.load(ctx, submission_id)
    if not service.may_review(principal, submission):
        who = ", ".join(["the EU authority", *(f"the {c} authority"
                                                for c in submission.countries)])
        raise Forbidden(f"only the authority of the tier this data space falls under ({who})"
                        " or an admin may decide on it; your token is "
                        f"{principal.role} {principal.agent}")
    if decision == "reject":
        return _reject(ctx, book, principal, submission, reason)
    return _admit(ctx, book, principal, submission, reason or "admitted")


def _reject(ctx: ServiceContext, book: SubmissionBook, principal: Principal,
            submission: Submission, reason: str) -> Decision:
    if not book.set_status(submission.id, expected=service.OPEN, status="rejected",
                           agent=principal.agent, event="rejected", reason=reason,
                           decided=True):
        raise Conflict(f"submission {submission.id} is {submission.status}; only a pending "
                       "submission or one that needs changes can be rejected")
    done = service.load(ctx, submission.id)
    record_activity(ctx.store, provenance(
        service.submission_iri(ctx, submission.id), done, status="rejected",
        reviewer=principal.agent, reason=reason, at=done.decided or ""))
    return Decision("rejected", None, submission.dataspace)


def _admit(ctx: ServiceContext, book: SubmissionBook, principal: Principal,
           submission: Submission, reason: str) -> Decision:
    if submission.status != "pending":
        raise Conflict(f"submission {submission.id} is {submission.status}; only a pending "
                       "submission (no failing check) can be admitted")
    if tokens_file(ctx.settings) is None:
        raise BadRequest("no token file to keep the new steward token: set DSKG_TOKENS_FILE "
                         "(the store is not on disk)")
    # The store may have changed since the checks ran: run them again on the same body.
    evaluated = service.evaluate(ctx, submission.body, submission.media_type, submission.id)
    if evaluated.status != "pending":
        book.replace(submission.id, submission.version, agent=principal.agent,
                     body=submission.body, media_type=submission.media_type,
                     quads=evaluated.content.quads(), dataspace=submission.dataspace,
                     label=submission.label, countries=submission.countries,
                     is_update=evaluated.exists, status=evaluated.status,
                     report=evaluated.report.to_json(), checks=evaluated.checks,
                     event="rechecked")
        raise Conflict(f"submission {submission.id} fails a check against the graph as it "
                       "is now; it needs changes", checks=[c for c in evaluated.checks
                                                           if c["outcome"] == "fail"])
    if not book.set_status(submission.id, expected=("pending",), status="admitting",
                           agent=principal.agent, event="admitting"):
        raise Conflict(f"submission {submission.id} is being decided by someone else")
    space = evaluated.content.dataspace
    iri = service.submission_iri(ctx, submission.id)
    at = datetime.now(UTC).isoformat(timespec="seconds")
    journaled = service.load(ctx, submission.id)
    history = provenance(iri, journaled, status="admitted", reviewer=principal.agent,
                         reason=reason, at=at)
    descriptions = evaluated.content.descriptions
    origin = Origin(agent=principal.agent, source=f"submission {iri}", activity="admission",
                    writer=service.admission_writer(space, submission.id),
                    base_iri=ctx.base_iri,
                    extra=[(iri, PROV.wasGeneratedBy, URIRef(f"{iri}#decision"))],
                    per_graph={descriptions[0].name: history})
    try:
        commit(ctx.store, descriptions, origin, mode="upsert")  # the commit point
    except BaseException:
        book.set_status(submission.id, expected=("admitting",), status="pending",
                        agent=principal.agent, event="admission-failed")
        raise
    try:
        token = create_token(ctx.settings, "steward", submission.applicant, [str(space)])
    except Exception:  # admitted all the same: the commit is done
        book.set_status(submission.id, expected=("admitting",), status="admitted",
                        agent=principal.agent, event="admitted", decided=True,
                        reason=f"{reason}; the steward token could not be issued: issue one "
                        f"with dskg token create --role steward --dataspace {space}")
        raise
    book.set_status(submission.id, expected=("admitting",), status="admitted",
                    agent=principal.agent, event="admitted", reason=reason, decided=True)
    return Decision("admitted", token, str(space))


