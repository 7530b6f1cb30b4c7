"""Import: verify, store each credential as its own named graph, and link it.

A submission (one file or request body) is all or nothing: every credential of a presentation
must pass every step, then all of them are committed in one transaction through the write
path, each as one named graph holding its RDF as received (its proof included), with the
original JSON (or JWT) and the verification report in its provenance record. The links found
for a credential go in a companion graph ``<graph>/links`` (``dskg:selfDescription`` triples
and its ``prov:wasDerivedFrom`` the credential graph), and what it means in the graph's own
vocabulary (organisation, data service, dataset, ODRL offer: kg/gaiax/mapping.py) is added
to the credential's graph; both are rewritten with it on re-import.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import DskgError, ParseError
from kg.gaiax.document import Credential, Submission, read_submission
from kg.gaiax.link import LinkReport, link_subjects
from kg.gaiax.mapping import Mapped, map_subjects
from kg.gaiax.shapes import closed_types, stored_credentials
from kg.gaiax.trust import TrustStore
from kg.gaiax.verify import Verification, verify_batch
from kg.namespaces import CRED, DSKG, PROV, RDF, XSD
from kg.store.base import Store
from kg.write import Description, Origin, commit


class CredentialRejectedError(DskgError):
    """A credential or presentation that failed a verification step; nothing was stored."""

    status = 422
    title = "Gaia-X credential refused"

    def __init__(self, verification: Verification) -> None:
        failures = verification.failures()
        first = failures[0] if failures else None
        summary = (f"{first.step} step failed for {first.credential}: {first.message}"
                   if first else "the input holds no credential")
        more = f" (and {len(failures) - 1} more failed checks)" if len(failures) > 1 else ""
        super().__init__(summary + more, **verification.to_json())
        self.verification = verification


@dataclass
class ImportResult:
    """What happened to one submission."""

    source: str | None
    verification: Verification | None = None
    graphs: list[URIRef] = field(default_factory=list)
    links: LinkReport = field(default_factory=LinkReport)
    error: str | None = None

    @property
    def imported(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "imported": self.imported,
                               "graphs": [str(g) for g in self.graphs], **self.links.to_json()}
        if self.error is not None:
            out["error"] = self.error
        if self.verification is not None:
            out.update(self.verification.to_json())
        return out

    def to_text(self) -> str:
        where = self.source or "input"
        if not self.imported:
            text = f"REFUSED {where}: {self.error}\n"
            return text + (self.verification.to_text() if self.verification else "")
        lines = [f"imported {where}: {len(self.graphs)} credential graph(s)"]
        lines += [f"  linked {link.source} -> {link.target} ({link.via})"
                  for link in self.links.linked]
        lines += [f"  unmatched {item}" for item in self.links.unmatched]
        lines += [f"  CONFLICT {item}" for item in self.links.conflicts]
        return "\n".join(lines) + "\n"


def credential_graph(base_iri: str, credential: Credential, issuer: str) -> URIRef:
    """Our name for a credential's graph: minted under our base from its issuer and id, so a
    credential can never overwrite a description that is not a credential of that issuer."""
    node = credential.node()
    identity = str(node) if isinstance(node, URIRef) else credential.original
    digest = hashlib.sha256(f"{issuer}\n{identity}".encode()).hexdigest()[:32]
    return URIRef(f"{base_iri}graph/gaiax/{digest}")


def _received(credential: Credential) -> Graph:
    """Every quad of the credential (its proof graph too) as one graph."""
    graph = Graph()
    assert credential.dataset is not None
    for s, p, o, _g in credential.dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def _original_literal(credential: Credential) -> Literal:
    if credential.jwt is not None:
        return Literal(credential.original, datatype=XSD.string)
    return Literal(credential.original, datatype=RDF.JSON)


@dataclass
class _Batch:
    """A verified submission's subjects with what they reference, and its links."""

    data: Graph
    roots: list[tuple[int, URIRef | Node, frozenset[Node]]]
    links: LinkReport


def _batch(store: Store, verification: Verification) -> _Batch:
    data = Graph()
    for subjects in verification.subjects.values():
        data += subjects
    data += stored_credentials(store, data)
    roots = []
    for index, credential in enumerate(verification.credentials):
        node = credential.node()
        roots += [(index, s, closed_types([data], s))
                  for s in credential.default_graph.objects(node, CRED.credentialSubject)
                  if (s, None, None) in verification.subjects[index]]
    links = link_subjects(store, data, [r for _i, r, _t in roots],
                          {r: types for _i, r, types in roots})
    return _Batch(data, roots, links)


def _link(store: Store, verification: Verification) -> LinkReport:
    return _batch(store, verification).links


def _mapped(batch: _Batch, verification: Verification) -> dict[int, list[Mapped]]:
    """Mapped triples per credential index (kg/gaiax/mapping.py)."""
    subjects = [(root, types, verification.envelopes[index].issuer)
                for index, root, types in batch.roots if isinstance(root, URIRef)]
    owner = {root: index for index, root, _types in batch.roots}
    found: dict[int, list[Mapped]] = {}
    for subject, mapped in map_subjects(batch.data, subjects, batch.links).items():
        found.setdefault(owner[subject], []).append(mapped)
    return found


def store_verified(store: Store, verification: Verification, *, base_iri: str,
                   origin: Origin) -> ImportResult:
    """Commit a verified submission (all credentials, their links) in one transaction."""
    if not verification.valid:
        raise CredentialRejectedError(verification)
    batch = _batch(store, verification)
    links = batch.links
    mapped = _mapped(batch, verification)
    descriptions: list[Description] = []
    names: list[URIRef] = []
    per_graph: dict[URIRef, list] = {}
    for index, credential in enumerate(verification.credentials):
        envelope = verification.envelopes[index]
        assert envelope.issuer is not None
        name = credential_graph(base_iri, credential, envelope.issuer)
        subjects = set(verification.subjects[index].subjects())
        root = next((s for s in credential.default_graph.objects(
            credential.node(), CRED.credentialSubject) if isinstance(s, URIRef)), None)
        names.append(name)
        descriptions.append(Description(name=name, graph=_received(credential), root=root))
        checks = [c.to_json() for c in verification.checks if c.credential == credential.label]
        per_graph[name] = [
            (name, DSKG.originalDocument, _original_literal(credential)),
            (name, DSKG.verificationReport, Literal(json.dumps(checks), datatype=RDF.JSON)),
            (name, DSKG.conforms, Literal(True)),
        ]
        found = [link.triple() for link in links.linked if link.target in subjects]
        links_name = URIRef(f"{name}/links")
        if found or store.has_graph(links_name):  # (re)written, or emptied of stale links
            link_graph = Graph()
            link_graph.add((links_name, PROV.wasDerivedFrom, name))
            for link_triple in found:
                link_graph.add(link_triple)
            descriptions.append(Description(name=links_name, graph=link_graph, root=None))
    # One description owns a resource: what the mapping says about a resource a credential
    # of this write describes goes into that credential's graph (its JSON as received stays
    # in dskg:originalDocument). Resources described elsewhere are never written to.
    owner_of: dict[Node, Description] = {
        s: d for d in descriptions if not str(d.name).endswith("/links")
        for s in d.graph.subjects() if isinstance(s, URIRef)}
    for index in range(len(names)):
        for item in mapped.get(index, []):
            for triple in item.graph:
                target = owner_of.get(triple[0])
                if target is not None:
                    target.graph.add(triple)
    # Validated above with the Gaia-X shapes and the credentials they reference; the
    # project's shapes are for our own descriptions, not for what a credential states.
    commit(store, descriptions, Origin(agent=origin.agent, source=origin.source,
                                       activity="gaiax-import", per_graph=per_graph),
           validate=False)
    return ImportResult(source=origin.source, verification=verification, graphs=names,
                        links=links)


def import_document(store: Store, data: bytes | str, trust: TrustStore, *, base_iri: str,
                    origin: Origin, now: datetime | None = None) -> ImportResult:
    """Import one input; raises ParseError (unreadable) or CredentialRejectedError."""
    verification = verify_batch([read_submission(data)], trust, now=now, store=store)[0]
    return store_verified(store, verification, base_iri=base_iri, origin=origin)


def import_inputs(store: Store, inputs: Sequence[tuple[str | None, bytes | str]],
                  trust: TrustStore, *, base_iri: str, agent: str = "anonymous",
                  now: datetime | None = None) -> list[ImportResult]:
    """Import several inputs (source name, content); each is all or nothing on its own."""
    results: list[ImportResult] = []
    readable: list[tuple[ImportResult, Submission]] = []
    for source, data in inputs:
        result = ImportResult(source=source)
        results.append(result)
        try:
            readable.append((result, read_submission(data)))
        except ParseError as exc:
            result.error = f"unreadable: {exc.message}"
    verifications = verify_batch([s for _r, s in readable], trust, now=now, store=store)
    for (result, _submission), verification in zip(readable, verifications, strict=True):
        result.verification = verification
        try:
            done = store_verified(store, verification, base_iri=base_iri,
                                  origin=Origin(agent=agent, source=result.source))
        except DskgError as exc:
            result.error = exc.message
            continue
        result.graphs, result.links = done.graphs, done.links
    return results
