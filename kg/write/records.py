"""Provenance records: what the meta graph says about every description a write commits
(who, when, from where, with what outcome, its owner and size), and the SPARQL that
rewrites them after a raw SPARQL Update.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg import ownership
from kg.namespaces import DSKG, META_GRAPH, PROV, RDF, XSD
from kg.store.sparql_text import term_n3, values_list
from kg.write.describe import Description, Origin, Triple, agent_iri


def provenance_record(description: Description, origin: Origin, *, when: datetime,
                      warnings: int, conforms: bool | None, owner: URIRef | None = None
                      ) -> list[Triple]:
    return description_record(description.name, len(description.graph), description.root,
                              origin, shared_record(origin, when=when, warnings=warnings,
                                                    conforms=conforms), owner)


def shared_record(origin: Origin, *, when: datetime, warnings: int, conforms: bool | None
                  ) -> list[tuple[Node, Node]]:
    """The (predicate, object) pairs every record of one write shares."""
    shared: list[tuple[Node, Node]] = [
        (RDF.type, DSKG.Description),
        (RDF.type, PROV.Entity),
        (PROV.wasAttributedTo, agent_iri(origin.agent)),
        (PROV.generatedAtTime, Literal(when.isoformat(), datatype=XSD.dateTime)),
        (DSKG.activity, Literal(origin.activity)),
        (DSKG.writerRole, Literal(origin.writer.role)),
    ]
    if origin.source:
        # Not dct:source: DCAT-AP reserves dct:source on a dataset for another dataset, and
        # stores written before graphs had IRIs of their own still say dskg:receivedFrom.
        shared.append((DSKG.receivedFrom, Literal(origin.source)))
    if conforms is not None:
        shared.append((DSKG.conforms, Literal(conforms)))
        shared.append((DSKG.warningCount, Literal(warnings)))
    shared.extend((p, o) for _s, p, o in origin.extra)
    return shared


def description_record(name: URIRef, triples: int | Literal, root: URIRef | None,
                       origin: Origin, shared: list[tuple[Node, Node]],
                       owner: URIRef | None = None) -> list[Triple]:
    """The provenance record of graph ``name``: the shared pairs and its own facts."""
    record: list[Triple] = [(name, p, o) for p, o in shared]
    record.append((name, DSKG.owner, owner or ownership.NODE_OWNER))
    record.append((name, DSKG.tripleCount,
                   triples if isinstance(triples, Literal) else Literal(triples)))
    if root is not None:
        record.append((name, DSKG.describes, root))
    record.extend(origin.per_graph.get(name, []))
    return record


def update_provenance(graphs: Sequence[URIRef], agent: str) -> str:
    """SPARQL Update operations that rewrite the records of ``graphs`` after a raw SPARQL
    Update: appended to the same request, they run in its transaction and count the
    triples the update left (a graph left empty gets a tombstone instead)."""
    if not graphs:
        return ""
    values = values_list("g", graphs)
    meta = term_n3(URIRef(META_GRAPH))
    who = term_n3(agent_iri(agent))
    when = term_n3(Literal(datetime.now(UTC).isoformat(), datatype=XSD.dateTime))
    # Full IRIs, no PREFIX: engines differ on prologues after ';' inside one request.
    d, p = (lambda name: term_n3(DSKG[name])), (lambda name: term_n3(PROV[name]))
    counted = (f"{{ SELECT ?g (COUNT(?s) AS ?n) WHERE {{ {values} "
               f"OPTIONAL {{ GRAPH ?g {{ ?s ?p ?o }} }} }} GROUP BY ?g }}")
    return (
        f"DELETE {{ GRAPH {meta} {{ ?g ?p ?o }} }} "
        f"WHERE {{ {values} GRAPH {meta} {{ ?g ?p ?o }} }} ;\n"
        f"INSERT {{ GRAPH {meta} {{ ?g a {d('Description')}, {p('Entity')} ; "
        f"{p('wasAttributedTo')} {who} ; {p('generatedAtTime')} {when} ; "
        f"{d('tripleCount')} ?n ; {d('activity')} \"sparql-update\" }} }} "
        f"WHERE {{ {counted} FILTER(?n > 0) }} ;\n"
        f"INSERT {{ GRAPH {meta} {{ ?g a {d('DeletedDescription')} ; "
        f"{p('invalidatedAtTime')} {when} ; {d('invalidatedBy')} {who} ; "
        f"{d('activity')} \"sparql-update\" }} }} "
        f"WHERE {{ {counted} FILTER(?n = 0) }}"
    )
