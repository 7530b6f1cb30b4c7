"""Decisions as a feed (Atom 1.0, RFC 4287, and JSON Feed 1.1) for applicants and peer
nodes to follow. Only decisions are published: a pending submission is in no feed. A
rejected submission is named by its id and reason only (its content stays private)."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from kg.admission.records import Submission, now
from kg.services.context import ServiceContext

MAX_ENTRIES = 200


def _entries(ctx: ServiceContext) -> list[Submission]:
    from kg.admission.service import book

    return book(ctx).all_with_status("admitted", "rejected")[:MAX_ENTRIES]


def _title(submission: Submission) -> str:
    if submission.status == "admitted":
        return f"Admitted: {submission.label or submission.dataspace}"
    return f"Submission {submission.id} rejected"


def _text(submission: Submission) -> str:
    if submission.status == "admitted":
        return (f"{submission.label or submission.dataspace} ({submission.dataspace}) was "
                f"admitted by {submission.decided_by}: {submission.reason}")
    return f"Rejected by {submission.decided_by}: {submission.reason}"


def json_feed(ctx: ServiceContext) -> dict[str, Any]:
    base = ctx.base_iri.rstrip("/")
    items = []
    for s in _entries(ctx):
        item: dict[str, Any] = {
            "id": f"{ctx.base_iri}submissions/{s.id}", "url": f"{base}/submissions/{s.id}",
            "title": _title(s), "content_text": _text(s), "date_published": s.decided,
            "_dskg": {"status": s.status, "reason": s.reason, "decidedBy": s.decided_by}}
        if s.status == "admitted":
            item["external_url"] = s.dataspace
            item["_dskg"]["dataspace"] = s.dataspace
        items.append(item)
    return {"version": "https://jsonfeed.org/version/1.1",
            "title": "dataspace-kg admission decisions",
            "home_page_url": f"{base}/ui/submissions",
            "feed_url": f"{base}/submissions/feed", "items": items}


def atom_feed(ctx: ServiceContext) -> str:
    base = ctx.base_iri.rstrip("/")
    entries = _entries(ctx)
    updated = entries[0].decided if entries else now()
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<feed xmlns="http://www.w3.org/2005/Atom">',
           "<title>dataspace-kg admission decisions</title>",
           f"<id>{escape(ctx.base_iri)}submissions/feed</id>",
           f'<link rel="self" href="{escape(base)}/submissions/feed"/>',
           f"<updated>{escape(updated or now())}</updated>",
           "<author><name>dataspace-kg</name></author>"]
    for s in entries:
        out += ["<entry>", f"<id>{escape(ctx.base_iri)}submissions/{escape(s.id)}</id>",
                f"<title>{escape(_title(s))}</title>",
                f'<link href="{escape(base)}/submissions/{escape(s.id)}"/>',
                f"<updated>{escape(s.decided or s.updated)}</updated>",
                f'<category term="{escape(s.status)}"/>',
                f'<summary type="text">{escape(_text(s))}</summary>', "</entry>"]
    out.append("</feed>")
    return "\n".join(out) + "\n"
