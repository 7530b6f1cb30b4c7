"""The checks an authority needs beyond the shapes, each pass / warning / fail with the node
it concerns and the reason. They read the submission and what the store already holds
(frameworks, policies, organisations); nothing is written."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg import validation
from kg.admission.content import Content
from kg.errors import DskgError, OwnershipRefused
from kg.gaiax.shapes import lei_valid
from kg.gaiax.trust import TrustStore
from kg.gaiax.verify import verify_document
from kg.namespaces import DCAT, DSKG, META_GRAPH, ODRL, ORG, RDF, SKOS
from kg.ownership import Claim, Review, Writer
from kg.policy.conflicts import ConflictFinder
from kg.policy.places import codes
from kg.policy.queries import BODY, CONCEPTS_QUERIES, DESCRIBED, PREFIXES
from kg.policy.source import _right_operands
from kg.services.context import ServiceContext
from kg.store.sparql_text import term_n3, terms_n3, values_list
from kg.validation.quality import score_graph

PROBE = URIRef("urn:dskg:admission:probe-dataset")
NUMBERS = {DSKG.vatID: "VAT number", DSKG.leiCode: "LEI", DSKG.eori: "EORI number",
           DSKG.euid: "EUID", DSKG.taxID: "tax id", DSKG.localRegistrationNumber:
           "local registration number"}
_FORMS = {DSKG.vatID: re.compile(r"^[A-Z]{2}[0-9A-Z+*]{2,13}$"),
          DSKG.eori: re.compile(r"^[A-Z]{2}[0-9A-Z]{1,15}$"),
          DSKG.euid: re.compile(r"^[A-Z]{2}[0-9A-Z.\-]{1,40}$"),
          DSKG.leiCode: re.compile(r"^[0-9A-Z]{18}[0-9]{2}$")}
_PATH = re.compile(r"(?<![\w.:/~-])/(?:[\w.@+~-]+/)*[\w.@+~-]+")
NATIONAL_TIERS = (DSKG.NationalTier, DSKG.RegionalTier, DSKG.MunicipalTier)


@dataclass
class Check:
    check: str
    outcome: str  # pass | warning | fail
    message: str
    node: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "outcome": self.outcome,
                               "message": self.message}
        if self.node is not None:
            out["node"] = self.node
        return out


def _no_paths(text: str) -> str:
    """A message without the node's filesystem paths (the trust directory): the checks are
    shown to applicants."""
    return _PATH.sub("<path>", text)


def _values(variable: str, iris: Iterable[Node]) -> str:
    """``VALUES ?variable { ... }`` over the IRIs among ``iris``, in a stable order."""
    return values_list(variable, sorted((i for i in iris if isinstance(i, URIRef)), key=str))


def _rows(ctx: ServiceContext, query: str) -> list[tuple]:
    return ctx.store.query(query, timeout=ctx.settings.query_timeout).rows


class Checker:
    """Runs every check on one parsed submission."""

    def __init__(self, ctx: ServiceContext, content: Content, writer: Writer,
                 report: validation.ValidationReport) -> None:
        self.ctx = ctx
        self.content = content
        self.graph = content.graph
        self.space = content.dataspace
        self.writer = writer
        self.report = report
        self.checks: list[Check] = []

    def add(self, check: str, outcome: str, message: str, node: Node | None = None) -> None:
        self.checks.append(Check(check, outcome, message, str(node) if node else None))

    def run(self) -> list[Check]:
        self.shapes()
        self.authority_and_members()
        chain = self.frameworks()
        self.inheritance(chain)
        self.conflicts(chain)
        self.registration()
        self.quality()
        self.ownership()
        return self.checks

    # -- shapes ---------------------------------------------------------------------------
    def shapes(self) -> None:
        violations = self.report.count("Violation")
        warnings = self.report.count("Warning")
        if violations:
            first = next(r for r in self.report.sorted_results() if r.severity == "Violation")
            self.add("shapes", "fail", f"{violations} violation(s) of the shapes; first: "
                     f"{first.message}", first.focus)
        elif warnings:
            self.add("shapes", "warning", f"conforms, with {warnings} warning(s) (recommended "
                     "properties)", self.space)
        else:
            self.add("shapes", "pass", "conforms to the shapes", self.space)

    # -- authority and members ------------------------------------------------------------
    def _known(self, iris: set[URIRef]) -> set[URIRef]:
        """Which of ``iris`` the submission or the store describes."""
        here = {i for i in iris if (i, None, None) in self.graph}
        rest = iris - here
        if rest:
            here |= {r[0] for r in _rows(self.ctx, f"SELECT DISTINCT ?s WHERE {{ "
                                                   f"{_values('s', rest)} ?s a ?t }}")}
        return here

    def authority_and_members(self) -> None:
        authorities = {a for a in self.graph.objects(self.space, DSKG.governedBy)
                       if isinstance(a, URIRef)}
        if not authorities:
            self.add("authority", "fail", "the data space names no governing authority "
                     "(dskg:governedBy)", self.space)
        for authority in sorted(authorities - self._known(authorities)):
            self.add("authority", "fail", f"the governing authority {authority} is described "
                     "neither in the submission nor in the graph", authority)
        for authority in sorted(authorities & self._known(authorities)):
            self.add("authority", "pass", f"governed by {authority}", authority)
        members = set(self.content.members())
        if self.content.dataspace and not members:
            rows = _rows(self.ctx, f"SELECT ?m WHERE {{ ?x {term_n3(ORG.organization)} "
                                   f"{term_n3(self.space)} ; {term_n3(ORG.member)} ?m }}")
            members = {r[0] for r in rows if isinstance(r[0], URIRef)}
        if not members:
            self.add("members", "fail", "the data space has no member (an org:Membership "
                     "with org:organization the data space)", self.space)
            return
        unknown = members - self._known(members)
        for member in sorted(unknown):
            self.add("members", "fail", f"the member {member} is described neither in the "
                     "submission nor in the graph", member)
        if not unknown:
            self.add("members", "pass", f"{len(members)} member(s)", self.space)

    # -- frameworks of the tier chain -------------------------------------------------------
    def countries(self) -> dict[str, set[Node]]:
        return countries_of(self.ctx, self.content)

    def frameworks(self) -> dict[URIRef, dict[str, Any]]:
        """The frameworks above the data space and its rulebook (from the store)."""
        starts = {o for s in (self.space, *self.graph.objects(self.space, DSKG.rulebook))
                  for o in self.graph.objects(s, DSKG.subjectTo) if isinstance(o, URIRef)}
        chain: dict[URIRef, dict[str, Any]] = {}
        if starts:
            for f, tier, country in _rows(self.ctx, (
                    f"SELECT DISTINCT ?f ?tier ?country WHERE {{ {_values('x', starts)}"
                    f" ?x {term_n3(DSKG.subjectTo)}* ?f . OPTIONAL {{ ?f "
                    f"{term_n3(DSKG.tier)} ?tier }} OPTIONAL {{ ?f {term_n3(DSKG.country)} "
                    "?country } }")):
                entry = chain.setdefault(f, {"tiers": set(), "countries": set()})
                if tier is not None:
                    entry["tiers"].add(tier)
                if country is not None:
                    entry["countries"] |= codes(country) or set()
        eu = sorted(f for f, e in chain.items() if DSKG.EUTier in e["tiers"])
        if eu:
            self.add("frameworks", "pass", f"subject to {len(eu)} EU-tier framework(s): "
                     + ", ".join(str(f) for f in eu[:5]), self.space)
        else:
            self.add("frameworks", "fail", "the data space's governance chain (dskg:subjectTo) "
                     "does not reach an EU-tier framework", self.space)
        countries = self.countries()
        if countries:
            known: dict[str, list[URIRef]] = {}
            literals = values_list("c", [Literal(c) for c in sorted(countries)])
            tiers = values_list("t", NATIONAL_TIERS)
            for f, c in _rows(self.ctx, (
                    f"SELECT DISTINCT ?f ?c WHERE {{ {literals} {tiers} "
                    f"?f a {term_n3(DSKG.LegalFramework)} ; {term_n3(DSKG.tier)} ?t"
                    f" ; {term_n3(DSKG.country)} ?c }}")):
                known.setdefault(str(c), []).append(f)
            for code, nodes in sorted(countries.items()):
                national = [f for f, e in chain.items()
                            if code in e["countries"] and e["tiers"] & set(NATIONAL_TIERS)]
                who = ", ".join(sorted(str(n) for n in nodes))
                if national:
                    self.add("frameworks", "pass", f"subject to {code}'s national "
                             f"framework(s) {', '.join(sorted(str(f) for f in national))}",
                             self.space)
                elif known.get(code):
                    self.add("frameworks", "fail", f"{code} (country of {who}) has national "
                             f"framework(s) {', '.join(sorted(str(f) for f in known[code]))},"
                             " but the data space is subject to none of them", self.space)
                else:
                    self.add("frameworks", "warning", f"no national framework of {code} "
                             f"(country of {who}) is known to this node", self.space)
        return chain

    # -- the rulebook's policy inherits from the tiers ------------------------------------
    def rulebook_policies(self) -> list[Node]:
        found: list[Node] = []
        for rulebook in self.graph.objects(self.space, DSKG.rulebook):
            found += list(self.graph.objects(rulebook, ODRL.hasPolicy))
        return found

    def inheritance(self, chain: dict[URIRef, dict[str, Any]]) -> None:
        rulebooks = list(self.graph.objects(self.space, DSKG.rulebook))
        if not rulebooks:
            self.add("inheritance", "fail", "the data space has no rulebook (dskg:rulebook)",
                     self.space)
            return
        policies = self.rulebook_policies()
        if not policies:
            self.add("inheritance", "fail", "the rulebook has no policy (odrl:hasPolicy)",
                     rulebooks[0])
            return
        by_tier: dict[str, set[Node]] = {"EU": set(), "national": set()}
        if chain:
            for f, p in _rows(self.ctx, f"SELECT ?f ?p WHERE {{ {_values('f', set(chain))}"
                                        f" ?f {term_n3(ODRL.hasPolicy)} ?p }}"):
                tiers = chain[f]["tiers"]
                if DSKG.EUTier in tiers:
                    by_tier["EU"].add(p)
                elif tiers & set(NATIONAL_TIERS):
                    by_tier["national"].add(p)
        for policy in policies:
            parents = {p for p in self.graph.objects(policy, ODRL.inheritFrom)
                       if isinstance(p, URIRef)}
            ancestors = set(parents)
            if parents:
                ancestors |= {r[0] for r in _rows(
                    self.ctx, f"SELECT DISTINCT ?a WHERE {{ {_values('x', parents)} "
                              f"?x {term_n3(ODRL.inheritFrom)}+ ?a }}")}
            if not parents:
                self.add("inheritance", "fail", "the rulebook's policy inherits from no tier "
                         "policy (odrl:inheritFrom)", policy)
                continue
            for tier, expected in by_tier.items():
                if not expected:
                    continue
                if not ancestors & expected:
                    self.add("inheritance", "fail", f"the rulebook's policy inherits from none "
                             f"of the {tier}-tier policies of its frameworks ("
                             + ", ".join(sorted(str(e) for e in expected)) + ")", policy)
                else:
                    missing = expected - ancestors
                    if missing:
                        self.add("inheritance", "warning", f"inherits from {tier}-tier "
                                 f"policies, but not from {', '.join(sorted(map(str, missing)))}",
                                 policy)
                    else:
                        self.add("inheritance", "pass", f"inherits from every {tier}-tier "
                                 "policy of its frameworks", policy)

    # -- no rule widens a higher tier ---------------------------------------------------------
    def governance_graph(self, chain: dict[URIRef, dict[str, Any]]) -> Graph:
        """The submission with the frameworks and tier policies above it (from the store)."""
        graph = Graph()
        graph += self.graph
        roots = {p for p in self.graph.objects(None, ODRL.inheritFrom) if isinstance(p, URIRef)}
        anchors = set(chain) | roots
        if anchors:
            for query in (
                    f"SELECT ?s ?p ?o WHERE {{ {_values('s', set(chain))} ?s ?p ?o "
                    f"FILTER(?p NOT IN ({term_n3(DCAT.dataset)})) }}" if chain else None,
                    PREFIXES + f"SELECT ?s ?p ?o WHERE {{ {_values('x', anchors)} "
                    f"?x odrl:hasPolicy? ?root . ?root {BODY}* ?s . ?s ?p ?o . {DESCRIBED} }}"):
                if query:
                    for s, p, o in _rows(self.ctx, query):
                        graph.add((s, p, o))
        for s, p, o in _rows(self.ctx, f"SELECT ?s ?p ?o WHERE {{ ?s {term_n3(SKOS.inScheme)} "
                                       f"{term_n3(DSKG.GovernanceTiers)} ; ?p ?o }}"):
            graph.add((s, p, o))
        operands = _right_operands(graph)
        if operands:
            for query in CONCEPTS_QUERIES:
                for _c, s, p, o in _rows(self.ctx, query % terms_n3(
                        sorted((i for i in operands if isinstance(i, URIRef)), key=str))):
                    if None not in (s, p, o):
                        graph.add((s, p, o))
        return graph

    def conflicts(self, chain: dict[URIRef, dict[str, Any]]) -> None:
        graph = self.governance_graph(chain)
        catalogs = list(self.graph.objects(self.space, DSKG.catalog))
        assets = sorted({d for c in catalogs for d in self.graph.objects(c, DCAT.dataset)
                         if isinstance(d, URIRef)})
        if catalogs:  # a probe dataset: the rulebook is checked even without datasets
            graph.add((catalogs[0], DCAT.dataset, PROBE))
            graph.add((PROBE, RDF.type, DCAT.Dataset))
            assets.append(PROBE)
        own = {s for s in self.graph.subjects() if isinstance(s, URIRef)}
        finder = ConflictFinder(graph)
        try:
            for asset in assets:
                finder.check_asset(asset)
        except DskgError as exc:
            self.add("conflicts", "fail", f"the policies could not be compared: {exc.message}",
                     self.space)
            return
        found = 0
        for finding in finder.findings:
            lower = (finding.lower or {}).get("policy")
            path = finding.extra.get("path") or []
            if (lower is not None and URIRef(lower) in own) or any(
                    URIRef(p) in own for p in path):
                found += 1
                example = ""
                if finding.example:
                    example = " (example: " + ", ".join(
                        f"{k}={v}" for k, v in finding.example.items()
                        if v and str(v) != str(PROBE)) + ")"
                # an ambiguous finding depends on facts not stated (yet): a warning
                self.add("conflicts", "warning" if finding.cls == "ambiguous" else "fail",
                         f"{finding.kind} ({finding.cls}): {finding.detail}{example}",
                         lower or self.space)
        if not found:
            self.add("conflicts", "pass", "no rule of the rulebook or the offers widens or "
                     f"contradicts a higher tier ({len(assets)} asset(s) checked)", self.space)

    # -- registration numbers and Gaia-X credentials -------------------------------------------
    def registration(self) -> None:
        described = [m for m in self.content.members()
                     if (m, RDF.type, None) in self.graph and m != self.space]
        for member in described:
            numbers = [(p, str(o)) for p in NUMBERS for o in self.graph.objects(member, p)]
            if not numbers:
                self.add("registration", "warning", "no registration number (VAT, LEI, EORI, "
                         "EUID, tax or local number)", member)
            for prop, value in numbers:
                text = re.sub(r"\s", "", value).upper() if prop != DSKG.euid else value
                form = _FORMS.get(prop)
                if form is not None and not form.match(text):
                    self.add("registration", "fail", f"the {NUMBERS[prop]} {value!r} is not "
                             "well-formed", member)
                elif prop == DSKG.leiCode and not lei_valid(text):
                    self.add("registration", "fail", f"the LEI {value!r} has wrong check "
                             "digits (ISO 17442)", member)
                else:
                    self.add("registration", "pass", f"{NUMBERS[prop]} {value} is "
                             "well-formed", member)
        self.gaiax(self.content.members())

    def gaiax(self, members: list[URIRef]) -> None:
        if not members:
            return
        links = {(m, t) for m in members for t in self.graph.objects(m, DSKG.selfDescription)}
        links |= {(m, t) for m, t in _rows(self.ctx, (
            f"SELECT ?m ?t WHERE {{ {_values('m', members)} "
            f"?m {term_n3(DSKG.selfDescription)} ?t }}"))}
        if not links:
            return
        trust = TrustStore.from_env()
        for member, target in sorted(links, key=str):
            docs = [r[0] for r in _rows(self.ctx, (
                f"SELECT DISTINCT ?doc WHERE {{ GRAPH ?g {{ {term_n3(target)} ?p ?o }} "
                f"GRAPH {term_n3(URIRef(META_GRAPH))} {{ ?g {term_n3(DSKG.originalDocument)} "
                "?doc } }"))]
            if not docs:
                self.add("gaiax", "fail", f"the Gaia-X credential {target} is not on this "
                         "node: import it (POST /gaiax/credentials) first", member)
                continue
            try:
                result = verify_document(str(docs[0]), trust, store=self.ctx.store)
            except DskgError as exc:
                self.add("gaiax", "fail", f"the credential cannot be read: {exc.message}",
                         member)
                continue
            if result.valid:
                self.add("gaiax", "pass", f"the Gaia-X credential of {target} verifies", member)
            else:
                failure = result.failures()[0]
                self.add("gaiax", "fail", f"the Gaia-X credential does not verify "
                         f"({failure.step}: {_no_paths(failure.message)})", member)

    # -- DCAT-AP quality ------------------------------------------------------------------------
    def quality(self) -> None:
        datasets = sorted(d for d in self.graph.subjects(RDF.type, DCAT.Dataset)
                          if isinstance(d, URIRef))
        if not datasets:
            self.add("quality", "warning", "the submission offers no dataset to score",
                     self.space)
            return
        failing = {r.focus for r in self.report.results if r.severity == "Violation"}
        for dataset in datasets:
            parts = {dataset, *self.graph.objects(dataset, DCAT.distribution)}
            score = score_graph(self.graph, dataset, compliant=not (parts & failing))
            outcome = "warning" if score["rating"] == "bad" else "pass"
            self.add("quality", outcome, f"DCAT-AP quality {score['points']:g} of "
                     f"{score['maximum']} points ({score['rating']})", dataset)

    # -- ownership: what admission would be refused -------------------------------------------
    def ownership(self) -> None:
        claims = []
        for description in self.content.descriptions:
            copy = Graph()
            copy += description.graph
            claims.append(Claim(name=description.name, graph=copy, root=description.root))
        try:
            Review(self.ctx.store, self.writer, self.ctx.base_iri).run(claims)
        except OwnershipRefused as exc:
            for name, reasons in exc.refusals.items():
                for reason in reasons:
                    self.add("ownership", "fail", reason, name)
            return
        self.add("ownership", "pass", "every description would be owned by the data space",
                 self.space)


def countries_of(ctx: ServiceContext, content: Content) -> dict[str, set[Node]]:
    """Country code -> the nodes that bring it (the data space, its members), as the
    submission says or else the graph."""
    found: dict[str, set[Node]] = {}
    nodes = [content.dataspace, *content.members()]
    stored: dict[Node, list[Node]] = {}
    for s, c in _rows(ctx, f"SELECT ?s ?c WHERE {{ {_values('s', nodes)} "
                           f"?s {term_n3(DSKG.country)} ?c }}"):
        stored.setdefault(s, []).append(c)
    for node in nodes:
        for value in list(content.graph.objects(node, DSKG.country)) or stored.get(node, []):
            known = codes(value)  # "FR", "FRA", the EU country table's IRI
            if known is not None and len(known) == 1:
                found.setdefault(next(iter(known)), set()).add(node)
    return found


def run_checks(ctx: ServiceContext, content: Content, writer: Writer,
               report: validation.ValidationReport) -> list[Check]:
    return Checker(ctx, content, writer, report).run()
