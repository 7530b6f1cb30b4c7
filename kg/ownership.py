"""Who may say what (DESIGN 4a): owners of descriptions, writers and their authority.

Every IRI the store describes belongs to one description: the one in whose graph it is the
subject of a triple (other than a catalog's listing links, see ``LINKS``). A write may state
triples only about what it owns; it may point at anything, except where pointing changes
what others decide (``HELD_POINTERS``): a rule's target, a catalog listing, a membership's
data space, a party's claim to belong to another. Those must point at what the writer holds.

Each description's record in the meta graph names its owner (``dskg:owner``): a data space
(its stewards hold it), a tier authority (``…/authority/EU``, ``…/authority/ES``), a peer
(``…/peer/NAME``), or the node itself (admins only). The writer of a change must hold the
owner of what it changes, and may assert only the tiers its role allows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import OwnershipRefused
from kg.namespaces import DCAT, DSKG, FOAF, META_GRAPH, ODRL, ORG, RDF, SKOS, compact
from kg.store.base import Store
from kg.store.sparql_text import term_n3, terms_n3, values_list

Triple = tuple[Node, Node, Node]

OWNER_BASE = "https://w3id.org/dskg/"
NODE_OWNER = URIRef(OWNER_BASE + "node")
#: A catalog's listing links may be stated by the description of what they list (a dataset
#: says which catalog lists it) when the writer holds the catalog: they claim no ownership.
LINKS = frozenset({DCAT.dataset, DCAT.service, DCAT.catalog, DSKG.selfDescription})
#: Pointers that change what others decide: their object must be held by the writer.
HELD_POINTERS = frozenset({ODRL.target, DCAT.dataset, DCAT.service, DCAT.catalog,
                           ORG.organization, ORG.subOrganizationOf, ORG.memberOf})
#: Classes whose instances are parties: their ``odrl:partOf`` is a claim to a collection.
PARTY_CLASSES = frozenset({ORG.Organization, ORG.OrganizationalCollaboration, FOAF.Agent,
                           FOAF.Organization, FOAF.Person, DSKG.DataSpace, ODRL.Party,
                           ODRL.PartyCollection})
#: Shared vocabularies: only an admin may describe their terms (an action hierarchy or a
#: concept scheme stated by anyone else would change every decision that names them).
RESERVED_NAMESPACES = (
    "http://www.w3.org/", "https://www.w3.org/", "http://purl.org/", "http://xmlns.com/",
    "https://w3id.org/dskg#", "http://data.europa.eu/", "http://publications.europa.eu/",
    "http://www.iana.org/", "https://w3id.org/gaia-x/", "https://w3id.org/dskg/id/concept/",
)
TIER_NAMES = {"eu": DSKG.EUTier, "national": DSKG.NationalTier, "project": DSKG.ProjectTier}
_CHUNK = 800


def authority_owner(jurisdiction: str) -> URIRef:
    """The owner IRI of a tier authority: ``EU`` or an ISO 3166-1 alpha-2 country code."""
    return URIRef(f"{OWNER_BASE}authority/{jurisdiction.upper()}")


def peer_owner(name: str) -> URIRef:
    return URIRef(f"{OWNER_BASE}peer/{name}")


def owner_words(owner: URIRef) -> tuple[str, str | None]:
    """(kind, qualifier) of an owner IRI, for people: ``("node", None)``, ``("authority",
    "ES")``, ``("peer", "name")`` or ``("dataspace", None)`` (a data space's stewards)."""
    text = str(owner)
    if owner == NODE_OWNER:
        return "node", None
    for kind in ("authority", "peer"):
        stem = f"{OWNER_BASE}{kind}/"
        if text.startswith(stem):
            return kind, text[len(stem):]
    return "dataspace", None


@dataclass(frozen=True)
class Writer:
    """Who writes, as far as authority goes (a token's principal, a peer, the node)."""

    role: str  # admin | authority | steward | peer | applicant
    name: str = "node"
    spaces: frozenset[URIRef] = frozenset()
    jurisdiction: str | None = None  # authority: "EU" or a country code
    tiers: frozenset[URIRef] = frozenset({DSKG.ProjectTier})  # peer: tiers it may assert
    namespaces: tuple[str, ...] = ()  # peer: the IRI namespaces it owns (empty: any not ours)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def holds(self, owner: URIRef | None) -> bool:
        """Whether this writer may change what ``owner`` owns."""
        if self.is_admin:
            return True
        if owner is None:
            return False
        if self.role == "steward":
            return owner in self.spaces
        if self.role == "authority":
            return owner == authority_owner(self.jurisdiction or "")
        if self.role == "peer":
            return owner == peer_owner(self.name)
        return False

    def tier_allowed(self, tier: URIRef, national_tiers: set[URIRef]) -> bool:
        """Whether this writer may assert ``tier`` (``national_tiers``: the national tier
        and the tiers narrower than it, e.g. regional and municipal)."""
        if self.is_admin or (self.role == "authority" and self.jurisdiction == "EU"):
            return True
        if self.role == "authority":
            return tier == DSKG.ProjectTier or tier in national_tiers
        if self.role == "peer":
            if tier in self.tiers:
                return True
            return DSKG.NationalTier in self.tiers and tier in national_tiers
        return tier == DSKG.ProjectTier

    def describe(self) -> str:
        if self.role == "steward":
            return f"a steward of {', '.join(sorted(str(s) for s in self.spaces))}"
        if self.role == "authority":
            return f"the {self.jurisdiction} authority"
        if self.role == "peer":
            return f"peer {self.name}"
        return f"{self.role} {self.name}"


NODE = Writer(role="admin", name="node")


@dataclass
class Claim:
    """One description to review: its graph name, root, and triples."""

    name: URIRef
    graph: Graph
    root: URIRef | None = None
    owner: URIRef | None = None  # set by the review
    dropped: list[Triple] = field(default_factory=list)


@dataclass
class _Holder:
    graph: URIRef
    owner: URIRef | None


def _iri_subjects(graph: Graph) -> set[URIRef]:
    """What a description claims: its IRI subjects (links and shared vocabulary aside)."""
    return {s for s, p, _o in graph
            if isinstance(s, URIRef) and p not in LINKS and not _reserved(s)}


def _chunks(items: Sequence[URIRef], size: int = _CHUNK) -> Iterable[Sequence[URIRef]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def holders(store: Store, iris: Iterable[URIRef], exclude: set[URIRef]
            ) -> dict[URIRef, _Holder]:
    """For each IRI, the description that owns it in ``store`` (outside ``exclude``)."""
    found: dict[URIRef, _Holder] = {}
    links = ", ".join(term_n3(p) for p in sorted(LINKS))
    meta = term_n3(URIRef(META_GRAPH))
    for chunk in _chunks(sorted(set(iris))):
        values = values_list("s", chunk)
        rows = store.query(
            f"SELECT ?s ?g ?owner WHERE {{ {values} "
            f"{{ SELECT DISTINCT ?s ?g WHERE {{ {values} GRAPH ?g {{ ?s ?p ?o "
            f"FILTER(?p NOT IN ({links})) }} FILTER(?g != {meta}) }} }} "
            f"OPTIONAL {{ GRAPH {meta} {{ ?g {term_n3(DSKG.owner)} ?owner }} }} }}").rows
        for s, g, owner in rows:
            if g in exclude or s in found:
                continue
            found[s] = _Holder(g, owner if isinstance(owner, URIRef) else None)  # type: ignore[index,arg-type]
    return found


def current_owners(store: Store, names: Iterable[URIRef]) -> dict[URIRef, URIRef | None]:
    """The recorded owner of each existing graph among ``names`` (None: no owner recorded)."""
    found: dict[URIRef, URIRef | None] = {}
    for chunk in _chunks(sorted(set(names))):
        rows = store.query(
            # EXISTS: one row per graph, not one per triple (Virtuoso refuses the latter on
            # big writes by its execution-time estimate).
            f"SELECT ?g ?owner WHERE {{ {values_list('g', chunk)} "
            f"FILTER EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} "
            f"OPTIONAL {{ GRAPH {term_n3(URIRef(META_GRAPH))} {{ ?g {term_n3(DSKG.owner)} "
            f"?owner }} }} }}").rows
        for g, owner in rows:
            if g not in found or found[g] is None:  # type: ignore[index]
                found[g] = owner if isinstance(owner, URIRef) else None  # type: ignore[index]
    return found


def national_tiers(store: Store, extra: Graph | None = None) -> set[URIRef]:
    """The national tier and every tier narrower than it (regional, municipal, ...)."""
    tiers = {DSKG.NationalTier}
    rows = store.query(f"SELECT ?t WHERE {{ ?t {term_n3(SKOS.broader)}+ "
                       f"{term_n3(DSKG.NationalTier)} }}").column("t")
    tiers |= {t for t in rows if isinstance(t, URIRef)}
    if extra is not None:
        for t in list(extra.transitive_subjects(SKOS.broader, DSKG.NationalTier)):
            if isinstance(t, URIRef):
                tiers.add(t)
    return tiers


def _reserved(iri: URIRef) -> bool:
    return str(iri).startswith(RESERVED_NAMESPACES)


def _held_pointers(graph: Graph) -> list[Triple]:
    """The triples whose object the writer must hold (see ``HELD_POINTERS``)."""
    found = [t for t in graph if t[1] in HELD_POINTERS and isinstance(t[2], URIRef)]
    parties = {s for s, _p, o in graph.triples((None, RDF.type, None)) if o in PARTY_CLASSES}
    found += [t for t in graph.triples((None, ODRL.partOf, None))
              if t[0] in parties and isinstance(t[2], URIRef)]
    return found


class Review:
    """Checks a write against ownership and authority; collects every refusal."""

    def __init__(self, store: Store, writer: Writer, base_iri: str) -> None:
        self.store = store
        self.writer = writer
        self.base_iri = base_iri
        self.refusals: dict[URIRef, list[str]] = {}
        self.content_refused = False  # False while every refusal is "not yours to change"

    def refuse(self, name: URIRef, reason: str, *, content: bool = True) -> None:
        self.refusals.setdefault(name, []).append(reason)
        self.content_refused = self.content_refused or content

    def run(self, claims: Sequence[Claim]) -> None:
        names = {c.name for c in claims}
        if not self.writer.is_admin:
            for claim in claims:  # terms of shared vocabularies are the node's to describe
                claim.dropped += [t for t in claim.graph
                                  if isinstance(t[0], URIRef) and _reserved(t[0])]
                for triple in claim.dropped:
                    claim.graph.remove(triple)
        owned_here: dict[URIRef, URIRef] = {}
        for claim in claims:
            for subject in _iri_subjects(claim.graph):
                first = owned_here.setdefault(subject, claim.name)
                if first != claim.name and self.writer.role == "peer":
                    # a peer's catalog repeats a shared node in several closures: the first
                    # description keeps it, the others are trimmed of it
                    repeated = list(claim.graph.triples((subject, None, None)))
                    for triple in repeated:
                        claim.graph.remove(triple)
                    claim.dropped += repeated + orphans_of(claim.graph, repeated)
                elif first != claim.name:
                    self.refuse(claim.name, f"{subject} is described by two descriptions of "
                                f"this write ({first} and {claim.name}); one must own it")
        pointed = {t[2] for c in claims for t in _held_pointers(c.graph)
                   if isinstance(t[2], URIRef)}
        subjects = {s for c in claims for s in c.graph.subjects()
                    if isinstance(s, URIRef) and not _reserved(s)}
        elsewhere = holders(self.store, subjects | pointed, exclude=names)
        existing = current_owners(self.store, names)
        nationals = national_tiers(self.store, _union(claims))
        for claim in claims:
            if claim.name in existing:
                previous = existing[claim.name]
                if not self.writer.holds(previous):
                    self.refuse(claim.name, f"{claim.root or claim.name} belongs to "
                                f"{previous or NODE_OWNER}; {self.writer.describe()} may not "
                                "change it", content=False)
                claim.owner = previous
                if not self.writer.holds(previous):
                    continue  # not theirs to change: what it says is beside the point
            self._subjects(claim, elsewhere, owned_here)
            self._pointers(claim, elsewhere, owned_here)
            self._tiers(claim, nationals)
        if self.refusals:
            raise OwnershipRefused(self.refusals,
                                   status=None if self.content_refused else 403)

    def _subjects(self, claim: Claim, elsewhere: dict[URIRef, _Holder],
                  owned_here: dict[URIRef, URIRef]) -> None:
        """Triples about what another description owns: dropped when they restate its
        facts exactly, allowed for a catalog listing what this write owns, else refused."""
        foreign = [t for t in claim.graph if t[0] in elsewhere]
        restated = self._restated(foreign, elsewhere)
        restating: list[Triple] = []
        for s, p, o in foreign:
            holder = elsewhere[s]  # type: ignore[index]
            if (s, p, o) in restated or self.writer.role == "peer":
                # A peer's copy of what another description owns (a shared law, a body
                # described on both nodes) is trimmed, never stored: DESIGN 4a.
                restating.append((s, p, o))
            elif p in LINKS and o in owned_here and self.writer.holds(holder.owner):
                continue
            else:
                self.refuse(claim.name, f"the triple {_n3(s, p, o)} is about {s}, which "
                            f"belongs to the description {holder.graph} (owner "
                            f"{holder.owner or NODE_OWNER}); a description may state triples "
                            "only about what it owns")
        for triple in restating:
            claim.graph.remove(triple)
        claim.dropped += restating + orphans_of(claim.graph, restating)
        for subject in _iri_subjects(claim.graph):
            if subject in elsewhere:
                continue
            if self.writer.role == "peer" and not self._peer_may_own(subject):
                self.refuse(claim.name, f"{subject} is not one of peer {self.writer.name}'s "
                            "own IRIs" + (f" ({', '.join(self.writer.namespaces)})"
                                          if self.writer.namespaces else ""))

    def _restated(self, triples: list[Triple], elsewhere: dict[URIRef, _Holder]
                  ) -> set[Triple]:
        """Which of ``triples`` the owning description already states, exactly."""
        candidates = [t for t in triples if not isinstance(t[2], BNode)]
        found: set[Triple] = set()
        for s, p, o in candidates:
            holder = elsewhere[s]  # type: ignore[index]
            if self.store.query(f"ASK {{ GRAPH {term_n3(holder.graph)} {{ {_n3(s, p, o)} }} }}"
                                ).boolean:
                found.add((s, p, o))
        return found

    def _peer_may_own(self, iri: URIRef) -> bool:
        text = str(iri)
        if self.writer.namespaces:
            return text.startswith(self.writer.namespaces)
        return not text.startswith((self.base_iri, "https://w3id.org/dskg/"))

    def _pointers(self, claim: Claim, elsewhere: dict[URIRef, _Holder],
                  owned_here: dict[URIRef, URIRef]) -> None:
        if self.writer.is_admin:
            return
        for s, p, o in _held_pointers(claim.graph):
            if o in owned_here or o not in elsewhere:
                continue
            holder = elsewhere[o]  # type: ignore[index]
            if not self.writer.holds(holder.owner) and not (
                    p == ORG.organization and o in self.writer.spaces):
                self.refuse(claim.name, f"the triple {_n3(s, p, o)} points at {o}, which "
                            f"belongs to {holder.owner or NODE_OWNER}: only its owner may "
                            f"link to it with {_short(p)}")

    def _tiers(self, claim: Claim, nationals: set[URIRef]) -> None:
        for s, _p, tier in claim.graph.triples((None, DSKG.tier, None)):
            if isinstance(tier, URIRef) and not self.writer.tier_allowed(tier, nationals):
                self.refuse(claim.name, f"{s} claims {_short(tier)}; "
                            f"{self.writer.describe()} may not assert that tier")


def orphans_of(graph: Graph, removed: list[Triple]) -> list[Triple]:
    """Remove (and return) the blank nodes the removed triples led to, and what they say."""
    gone: list[Triple] = []
    frontier = [o for _s, _p, o in removed if isinstance(o, BNode)]
    while frontier:
        node = frontier.pop()
        if (None, None, node) in graph:
            continue  # still used by a kept triple
        for triple in list(graph.triples((node, None, None))):
            graph.remove(triple)
            gone.append(triple)
            if isinstance(triple[2], BNode):
                frontier.append(triple[2])
    return gone


def _union(claims: Sequence[Claim]) -> Graph:
    union = Graph()
    for claim in claims:
        union += claim.graph
    return union


def _n3(s: Node, p: Node, o: Node) -> str:
    return " ".join(term_n3(t) if not isinstance(t, BNode) else "[]" for t in (s, p, o))


def _short(iri: Node) -> str:
    short = compact(iri)
    return short if short != str(iri) else f"<{iri}>"


# -- who owns a new description ------------------------------------------------------------
# Each branch starts from the roots (VALUES inside it: the engine does not push an outer
# VALUES into a UNION) and walks up to the data space: walked from the data spaces down,
# a path would read every catalog's listing at each write.
_PLACEMENT = """
SELECT ?r ?space ?tier ?country WHERE {
  { VALUES ?r { %(r)s } ?r a dskg:DataSpace BIND(?r AS ?space) }
  UNION { VALUES ?r { %(r)s } ?r org:organization ?space . ?space a dskg:DataSpace }
  UNION { VALUES ?r { %(r)s } ?space dskg:catalog ?r }
  UNION { VALUES ?r { %(r)s } ?space dskg:rulebook ?r }
  UNION { VALUES ?r { %(r)s } ?c dcat:dataset|dcat:service ?r . ?c ^dcat:catalog* ?top .
          ?space dskg:catalog ?top }
  UNION { VALUES ?r { %(r)s } ?space dskg:rulebook/odrl:hasPolicy ?r }
  UNION { VALUES ?r { %(r)s } ?d odrl:hasPolicy ?r . ?c dcat:dataset|dcat:service ?d .
          ?c ^dcat:catalog* ?top . ?space dskg:catalog ?top }
  UNION { VALUES ?r { %(r)s } ?r dskg:tier ?tier OPTIONAL { ?r dskg:country ?country } }
  UNION { VALUES ?r { %(r)s } ?r dskg:country ?country }
}"""


def staged_subjects(staging: Store) -> dict[URIRef, set[URIRef]]:
    """The IRIs each graph of a staging store owns (is the subject of, links aside)."""
    links = ", ".join(term_n3(p) for p in sorted(LINKS))
    found: dict[URIRef, set[URIRef]] = {}
    for s, g in staging.query(
            f"SELECT DISTINCT ?s ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o FILTER(isIRI(?s) && "
            f"?p NOT IN ({links})) }} FILTER(?g != {term_n3(URIRef(META_GRAPH))}) }}").rows:
        found.setdefault(g, set()).add(s)  # type: ignore[arg-type]
    return found


def review_staged(store: Store, staging: Store, names: Sequence[URIRef]) -> None:
    """An admin's bulk write: one owner per IRI, within the write and against the store
    (the finer checks of ``Review`` concern writers below admin, whose writes are small)."""
    review_subjects(store, staged_subjects(staging), names)


def review_subjects(store: Store | None, subjects_of: dict[URIRef, set[URIRef]],
                    names: Sequence[URIRef]) -> None:
    """``review_staged`` with the IRIs each graph claims already known (a split dump knows
    them without asking the staging store); ``store`` None: it holds no description."""
    refusals: dict[URIRef, list[str]] = {}
    owned: dict[URIRef, URIRef] = {}
    for graph, subjects in subjects_of.items():
        for subject in subjects:
            if _reserved(subject):
                continue
            first = owned.setdefault(subject, graph)
            if first != graph:
                refusals.setdefault(graph, []).append(
                    f"{subject} is described by two descriptions of this write ({first} and "
                    f"{graph}); one must own it")
    held = {} if store is None else holders(store, owned, exclude=set(names))
    for subject, holder in held.items():
        refusals.setdefault(owned[subject], []).append(
            f"{subject} belongs to the description {holder.graph} (owner "
            f"{holder.owner or NODE_OWNER}); a description may state triples only about what "
            "it owns")
    if refusals:
        raise OwnershipRefused(refusals)


def placements(store: Store, roots: Iterable[URIRef] | None, *, whole: bool = False
               ) -> dict[URIRef, dict[str, set[Node]]]:
    """Where each root sits: its data spaces, tiers and countries, as ``store`` says.
    ``whole``: one query for every node of ``store`` instead of one per chunk of roots (a
    staging store that holds just the write: 15 times faster for 12k roots); with ``roots``
    None, every node that sits somewhere."""
    found: dict[URIRef, dict[str, set[Node]]] = {}
    prologue = (f"PREFIX dskg: <{DSKG}> PREFIX org: <{ORG}> PREFIX dcat: <{DCAT}> "
                f"PREFIX odrl: <{ODRL}> ")
    wanted = None if roots is None else set(roots)
    if wanted is None and not whole:
        raise ValueError("placements of every node need whole=True")
    queries = [prologue + _PLACEMENT.replace("VALUES ?r { %(r)s } ", "")] if whole else [
        prologue + _PLACEMENT % {"r": terms_n3(chunk)}
        for chunk in _chunks(sorted(wanted or ()))]
    for query in queries:
        for row in store.query(query).dicts():
            if wanted is not None and whole and row["r"] not in wanted:
                continue
            slot = found.setdefault(row["r"], {"space": set(), "tier": set(),  # type: ignore[arg-type]
                                               "country": set()})
            for key in ("space", "tier", "country"):
                if row.get(key) is not None:
                    slot[key].add(row[key])  # type: ignore[arg-type]
    return found


def natural_owner(place: dict[str, set[Node]] | None, nationals: set[URIRef]) -> URIRef:
    """The owner a description gets when the node (an admin) writes it: its data space,
    else the authority of its tier (EU) or country, else the node."""
    if not place:
        return NODE_OWNER
    spaces = sorted(s for s in place["space"] if isinstance(s, URIRef))
    if spaces:
        return spaces[0]
    countries = sorted(str(c).rsplit("/", 1)[-1].upper() for c in place["country"]
                       if isinstance(c, (Literal, URIRef)))
    if DSKG.EUTier in place["tier"]:
        return authority_owner("EU")
    if countries and (place["tier"] & nationals or not place["tier"] or
                      DSKG.ProjectTier in place["tier"]):
        return authority_owner(countries[0])
    return NODE_OWNER


def owner_for(writer: Writer, place: dict[str, set[Node]] | None,
              nationals: set[URIRef]) -> URIRef:
    """The owner of a description this writer creates."""
    if writer.role == "peer":
        return peer_owner(writer.name)
    if writer.role == "authority":
        return authority_owner(writer.jurisdiction or "EU")
    if writer.role == "steward":
        spaces = sorted(s for s in (place or {}).get("space", set())
                        if isinstance(s, URIRef) and s in writer.spaces)
        return spaces[0] if spaces else sorted(writer.spaces)[0]
    return natural_owner(place, nationals)
