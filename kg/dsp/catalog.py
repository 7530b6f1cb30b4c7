"""The node's datasets as a Dataspace Protocol 2025-1 catalog (compact JSON-LD).

Each dataset is shown with its effective offers (kg/dsp/offers.py) and its distributions,
each pointing (``accessService``) at the distribution's own ``dcat:accessService`` or, when it
has none, at this node's DSP service. A dataset without a distribution or without an offer
that survives the tiers is not shown: DSP requires both.

The policies and the facts the evaluator needs are read once with the same queries as the
conflict report (``load_governance``) and kept until the store announces a write; the
datasets' own metadata is read page by page.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.dsp.filters import Filter
from kg.dsp.messages import DSP_CONTEXT, CatalogErrorResponse
from kg.dsp.offers import EffectiveOffer, effective_offers
from kg.namespaces import DCAT, DCT, META_GRAPH, ODRL, RDF, XSD, compact
from kg.policy.conflicts import load_governance
from kg.policy.evaluator import Evaluator
from kg.policy.model import Policy
from kg.policy.tiers import effective_policy
from kg.settings import Settings
from kg.store import Store
from kg.store.sparql_text import term_n3, values_list

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
#: Prefixes the DSP context defines (other IRIs are written whole).
DSP_PREFIXES = {"dct": str(DCT), "dcat": str(DCAT), "odrl": str(ODRL), "xsd": str(XSD)}
#: Written by the catalog itself, not copied from the description.
_OWN = {RDF.type, DCAT.distribution, ODRL.hasPolicy}
FALLBACK_FORMAT = "HttpData-PULL"


def _json_value(node: Node) -> Any:
    if isinstance(node, URIRef):
        return {"@id": str(node)}
    if isinstance(node, Literal):
        if node.language:
            return {"@value": str(node), "@language": node.language}
        if node.datatype is not None:
            return {"@value": str(node), "@type": compact(node.datatype, DSP_PREFIXES)}
        return str(node)
    return None


@dataclass
class DspConfig:
    """The ``[dsp]`` table of DSKG_CONFIG."""

    require_auth: bool = False
    participant_id: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> DspConfig:
        from kg.errors import ConfigError

        table = settings.config.get("dsp", {})
        if not isinstance(table, dict):
            raise ConfigError("[dsp] in DSKG_CONFIG must be a table")
        require = table.get("require_auth", False)
        if not isinstance(require, bool):
            raise ConfigError("[dsp] require_auth must be true or false")
        participant = table.get("participant_id")
        if participant is not None and not isinstance(participant, str):
            raise ConfigError("[dsp] participant_id must be a string (an IRI)")
        return cls(require, participant)


# -- what is read once per store version --------------------------------------------------
@dataclass
class _Snapshot:
    graph: Graph
    evaluator: Evaluator
    datasets: list[URIRef]
    offers: dict[URIRef, list[EffectiveOffer]] = field(default_factory=dict)
    parsed: dict[Node, Policy] = field(default_factory=dict)  # shared by every dataset
    lock: threading.Lock = field(default_factory=threading.Lock)

    def offers_of(self, dataset: URIRef) -> list[EffectiveOffer]:
        with self.lock:
            found = self.offers.get(dataset)
        if found is None:
            found = effective_offers(effective_policy(self.graph, dataset, self.parsed),
                                     self.evaluator)
            with self.lock:
                self.offers[dataset] = found
        return found


class _Cache:
    """One snapshot per store, dropped when the store announces a write. A snapshot read
    while a write lands is used for that request but not kept (``versions``)."""

    def __init__(self) -> None:
        self.guard = threading.Lock()
        self.snapshots: dict[int, _Snapshot] = {}
        self.versions: dict[int, int] = {}

    def get(self, store: Store, timeout: float | None) -> _Snapshot:
        key = id(store)
        with self.guard:
            if key not in self.versions:
                self.versions[key] = 0
                store.subscribe(partial(self._dropped, key))
            found = self.snapshots.get(key)
            version = self.versions[key]
        if found is not None:
            return found
        graph = load_governance(store, timeout=timeout)
        datasets = sorted(d for d in store.query(
            f"SELECT DISTINCT ?d WHERE {{ ?d a {term_n3(DCAT.Dataset)} FILTER(isIRI(?d)) }}",
            timeout=timeout).column("d") if isinstance(d, URIRef))
        snapshot = _Snapshot(graph, Evaluator(graph), datasets)
        with self.guard:
            if self.versions[key] == version:
                self.snapshots[key] = snapshot
        return snapshot

    def _dropped(self, key: int, _graphs: object) -> None:
        self.drop(key)

    def drop(self, key: int) -> None:
        with self.guard:
            self.versions[key] = self.versions.get(key, 0) + 1
            self.snapshots.pop(key, None)


_CACHE = _Cache()


# -- the catalog --------------------------------------------------------------------------
@dataclass
class DspCatalog:
    """One DSP view of the store, for one requester (``participant``: narrows the offers)."""

    store: Store
    settings: Settings
    endpoint: str  # the node's DSP base URL, e.g. http://host/dsp
    participant: URIRef | None = None
    filters: list[Filter] = field(default_factory=list)

    @property
    def config(self) -> DspConfig:
        return DspConfig.of(self.settings)

    @property
    def service_id(self) -> str:
        return f"{self.settings.base_iri}dsp/service"

    @property
    def catalog_id(self) -> str:
        return f"{self.settings.base_iri}dsp/catalog"

    def service(self) -> dict[str, Any]:
        return {"@id": self.service_id, "@type": "DataService",
                "endpointURL": self.endpoint,
                "dct:title": f"Dataspace Protocol catalog service of {self.settings.node_name}",
                "dcat:endpointDescription": {"@id": "https://w3id.org/dspace/2025/1/"}}

    def _snapshot(self) -> _Snapshot:
        return _CACHE.get(self.store, self.settings.query_timeout)

    def total(self) -> int:
        return len(self._snapshot().datasets)

    # -- reading a page's metadata ------------------------------------------------------
    def _triples(self, query: str) -> list[tuple[Node, URIRef, Node]]:
        """The (?s ?p ?o) rows of ``query``."""
        return [(s, p, o) for s, p, o in self.store.query(
            query, timeout=self.settings.query_timeout).rows
            if s is not None and isinstance(p, URIRef) and o is not None]

    def _describe(self, datasets: list[URIRef]) -> dict[Node, dict[URIRef, list[Node]]]:
        """Subject -> predicate -> objects for the datasets and their distributions (two
        queries for the whole page). Other resources are referenced by IRI only: a harvester
        must not receive statements about resources it cannot attribute to this node."""
        meta = f"FILTER(?g != <{META_GRAPH}>)"
        facts: dict[Node, dict[URIRef, list[Node]]] = {}

        def add(rows: list[tuple[Node, URIRef, Node]]) -> None:
            for s, p, o in rows:
                objects = facts.setdefault(s, {}).setdefault(p, [])
                if o not in objects:
                    objects.append(o)

        add(self._triples(f"SELECT ?s ?p ?o WHERE {{ {values_list('s', datasets)} "
                       f"GRAPH ?g {{ ?s ?p ?o }} {meta} }}"))
        add(self._triples(f"SELECT ?s ?p ?o WHERE {{ {values_list('d', datasets)} "
                       f"?d {term_n3(DCAT.distribution)} ?s . GRAPH ?g {{ ?s ?p ?o }} {meta} }}"))
        return facts

    # -- JSON ------------------------------------------------------------------------------
    def _properties(self, facts: dict[URIRef, list[Node]], skip: set[URIRef]
                    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for p in sorted(facts, key=str):
            if p in skip:
                continue
            values = []
            for o in sorted(facts[p], key=lambda n: (type(n).__name__, str(n))):
                if isinstance(o, BNode):
                    continue
                values.append(_json_value(o))
            if values:
                out[compact(p, DSP_PREFIXES)] = values[0] if len(values) == 1 else values
        return out

    def _distribution(self, iri: Node, facts: dict[URIRef, list[Node]],
                      inline_service: bool) -> dict[str, Any]:
        service = next((str(s) for s in facts.get(DCAT.accessService, [])
                        if isinstance(s, URIRef)), None)
        fmt = next((str(f) for p in (DCT.format, DCAT.mediaType)
                    for f in facts.get(p, []) if isinstance(f, URIRef)), FALLBACK_FORMAT)
        out: dict[str, Any] = {"@type": "Distribution", "format": fmt}
        if isinstance(iri, URIRef):
            out["@id"] = str(iri)
        if service is None:
            out["accessService"] = self.service() if inline_service else self.service_id
        else:
            out["accessService"] = ({"@id": service, "@type": "DataService",
                                     "endpointURL": self.endpoint} if inline_service
                                    else service)
        out.update(self._properties(facts, {*_OWN, DCT.format, DCAT.accessService}))
        return out

    def _dataset(self, dataset: URIRef, facts: dict[Node, dict[URIRef, list[Node]]],
                 inline_service: bool) -> dict[str, Any] | None:
        snapshot = self._snapshot()
        offers = snapshot.offers_of(dataset)
        if self.participant is not None:
            offers = [o for o in offers
                      if o.permits(snapshot.evaluator, self.participant, dataset)]
        own = facts.get(dataset, {})
        if not all(f.holds(own) for f in self.filters):
            return None
        distributions = [self._distribution(d, facts.get(d, {}), inline_service)
                         for d in sorted(own.get(DCAT.distribution, []), key=str)
                         if d in facts]
        if not offers or not distributions:
            return None
        return {"@id": str(dataset), "@type": "Dataset",
                **self._properties(own, set(_OWN)),
                "hasPolicy": [o.to_json() for o in offers],
                "distribution": distributions}

    def _resolve(self, given: URIRef) -> URIRef | None:
        """A dataset IRI, or the last path segment of one (``.../dataset/{id}``)."""
        known = self._snapshot().datasets
        if given in set(known):
            return given
        if ":" not in given:
            return next((d for d in known if d.endswith("/" + given)), None)
        return None

    def dataset(self, given: URIRef) -> dict[str, Any]:
        """``GET /dsp/catalog/datasets/{id}``: the dataset as a DSP root Dataset."""
        dataset = self._resolve(given)
        if dataset is None:
            raise CatalogErrorResponse(404, "not-found", f"no dataset {str(given)!r} here")
        body = self._dataset(dataset, self._describe([dataset]), inline_service=True)
        if body is None:
            raise CatalogErrorResponse(
                404, "not-offered", f"{dataset} has no offer (or no distribution) this "
                "requester could be granted, so the catalog does not show it")
        return {"@context": [DSP_CONTEXT], **body}

    def page(self, number: int, size: int) -> Iterator[str]:
        """Page ``number`` (from 1) of the catalog as JSON text, in pieces (streamed)."""
        import json

        everything = self._snapshot().datasets
        chosen = everything[(number - 1) * size:number * size]
        head = {"@context": [DSP_CONTEXT], "@id": self.catalog_id, "@type": "Catalog",
                "participantId": self.config.participant_id or self.settings.base_iri,
                "dct:title": f"dataspace-kg node {self.settings.node_name}",
                "service": [self.service()]}
        text = json.dumps(head, ensure_ascii=False)
        yield text[:-1]
        first = True
        for start in range(0, len(chosen), 100):
            part = chosen[start:start + 100]
            facts = self._describe(part)
            for dataset in part:
                body = self._dataset(dataset, facts, inline_service=False)
                if body is None:
                    continue
                yield (', "dataset": [' if first else ", ") + json.dumps(body, ensure_ascii=False)
                first = False
        yield ("" if first else "]") + "}"

    def last_page(self, size: int) -> int:
        return max(1, -(-self.total() // size))
