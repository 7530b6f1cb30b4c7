"""A plain, readable HTML page for one resource: its labels, its statements, its links.

``resource_page`` is the one function the REST routes call for ``text/html``; the web pages
replace it with their templates (``api.routes.rest.set_html_renderer``).
"""

from __future__ import annotations

from html import escape

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import PREFIXES, RDF
from kg.services.resources import ResourceView

_ALTERNATES = (("Turtle", "text/turtle"), ("JSON-LD", "application/ld+json"),
               ("N-Triples", "application/n-triples"), ("RDF/XML", "application/rdf+xml"))


def curie(iri: URIRef) -> str:
    text = str(iri)
    for prefix, namespace in PREFIXES.items():
        if text.startswith(namespace) and len(text) > len(namespace):
            return f"{prefix}:{text[len(namespace):]}"
    return text


def _value(view: ResourceView, value: Node) -> str:
    if isinstance(value, Literal):
        lang = f' <span class="lang">@{escape(value.language)}</span>' if value.language else ""
        return f"{escape(str(value))}{lang}"
    if isinstance(value, BNode):
        return f'<a href="#b-{escape(str(value))}">(details below)</a>'
    href = view.links.get(value)  # type: ignore[arg-type]
    if href is None and str(value).startswith(("http://", "https://")):
        href = str(value)
    text = escape(curie(value))  # type: ignore[arg-type]
    return f'<a href="{escape(href)}">{text}</a>' if href else text


def _section(view: ResourceView, subject: Node, heading: str) -> str:
    rows = []
    for p, o in sorted(view.graph.predicate_objects(subject), key=lambda po: (
            po[0] != RDF.type, str(po[0]), str(po[1]))):
        rows.append(f"<tr><th>{escape(curie(p))}</th><td>{_value(view, o)}</td></tr>")
    anchor = f' id="b-{escape(str(subject))}"' if isinstance(subject, BNode) else ""
    return (f"<section{anchor}><h2>{heading}</h2><table>\n" + "\n".join(rows)
            + "\n</table></section>")


def resource_page(view: ResourceView) -> str:
    """The plain HTML page of a resource."""
    title = escape(view.label)
    parts = [_section(view, view.iri, escape(curie(view.iri)))]
    others = sorted({s for s in view.graph.subjects() if s != view.iri}, key=lambda s: (
        isinstance(s, BNode), str(s)))
    for subject in others:
        heading = "(blank node)" if isinstance(subject, BNode) else escape(curie(subject))
        parts.append(_section(view, subject, heading))
    self_href = view.links.get(view.iri) or ""
    alternates = " · ".join(
        f'<a href="{escape(self_href)}?format={escape(media)}" type="{media}">{name}</a>'
        for name, media in _ALTERNATES) if self_href else ""
    kind = f'<p class="kind"><a href="/{view.kind.name}">{escape(view.kind.title)}</a></p>' \
        if view.kind else ""
    description = f"<p>{escape(view.description)}</p>" if view.description else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · dataspace-kg</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;vertical-align:top;
padding:.25rem .5rem;border-bottom:1px solid #ddd}}th{{width:16rem;font-weight:600}}
.lang{{color:#777}}</style></head>
<body>{kind}<h1>{title}</h1>
<p><code>{escape(str(view.iri))}</code></p>{description}
{"".join(parts)}
<p>Also as {alternates or "RDF: ask with an Accept header"}</p>
</body></html>"""
