"""The shipped default ecosystem graph (kg/data/default/*.trig): sizes, structure, provenance,
governance chains, policy inheritance and DCAT-AP 3.0.1 conformance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import FOAF, ORG, PROV, RDF, SKOS, XSD

from kg.namespaces import DCAT, DCT, DEFAULT_ID_BASE, DSKG, EU_THEME, ODRL

FOLDER = Path(__file__).resolve().parents[1] / "kg" / "data" / "default"
ROLES = {DSKG.DataProvider, DSKG.DataConsumer, DSKG.DataIntermediary, DSKG.Operator,
         DSKG.GovernanceAuthority}
TIERS = {DSKG.EUTier, DSKG.NationalTier, DSKG.RegionalTier, DSKG.MunicipalTier,
         DSKG.ProjectTier}
PREFIXES = {"dskg": DSKG, "odrl": ODRL, "org": ORG, "dcat": DCAT, "dct": DCT, "skos": SKOS,
            "foaf": FOAF}
SOURCE_BASE = "https://w3id.org/dskg/source/"


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    data = Dataset()
    for path in sorted(FOLDER.glob("*.trig")):
        data.parse(path, format="trig")
    return data


@pytest.fixture(scope="module")
def union(dataset: Dataset) -> Graph:
    graph = Graph()
    for s, p, o, _g in dataset.quads():
        graph.add((s, p, o))
    return graph


def _select(graph: Graph, query: str) -> list[tuple]:
    return [tuple(row) for row in graph.query(query, initNs=PREFIXES)]  # type: ignore[arg-type]


def _count(graph: Graph, where: str) -> int:
    rows = _select(graph, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}")
    return int(rows[0][0])


def _named_graphs(dataset: Dataset) -> list[Graph]:
    default = dataset.default_graph.identifier
    return [g for g in dataset.graphs() if g.identifier != default and len(g)]


# -- sizes -------------------------------------------------------------------------------------
SIZES = [
    ("organisations", "?x a org:Organization, foaf:Agent FILTER NOT EXISTS { ?x a dskg:DataSpace }",
     60),
    ("data spaces", "?x a dskg:DataSpace", 15),
    ("legal frameworks", "?x a dskg:LegalFramework", 8),
    ("memberships", "?x a org:Membership ; org:role ?r", 40),
    ("datasets with offers", "?x a dcat:Dataset ; odrl:hasPolicy ?p . ?p a odrl:Offer", 30),
    ("offers inheriting a rulebook policy",
     "?x a odrl:Offer ; odrl:inheritFrom ?p . ?rb a dskg:Rulebook ; odrl:hasPolicy ?p", 10),
    ("rulebook policies",
     "?rb a dskg:Rulebook ; odrl:hasPolicy ?x . ?x a odrl:Set ; dskg:tier dskg:ProjectTier ;"
     " odrl:inheritFrom ?up . ?up dskg:tier ?t FILTER (?t IN (dskg:NationalTier, dskg:EUTier))", 5),
    ("framework policies",
     "?f a dskg:LegalFramework ; odrl:hasPolicy ?x . ?x a odrl:Set ; dskg:tier ?t"
     " FILTER (?t IN (dskg:NationalTier, dskg:EUTier))", 5),
]


@pytest.mark.parametrize(("what", "where", "minimum"), SIZES, ids=[s[0] for s in SIZES])
def test_minimum_sizes(union: Graph, what: str, where: str, minimum: int) -> None:
    assert _count(union, where) >= minimum, what


def test_all_three_tiers_are_populated(union: Graph) -> None:
    expected = {
        "org:Organization": (DSKG.EUTier, DSKG.NationalTier, DSKG.RegionalTier, DSKG.MunicipalTier,
                             DSKG.ProjectTier),
        "odrl:Set": (DSKG.EUTier, DSKG.NationalTier, DSKG.RegionalTier, DSKG.ProjectTier),
        "dskg:LegalFramework": (DSKG.EUTier, DSKG.NationalTier, DSKG.RegionalTier),
        "dskg:DataSpace": (DSKG.EUTier, DSKG.ProjectTier),
    }
    for cls, tiers in expected.items():
        for tier in tiers:
            assert _count(union, f"?x a {cls} ; dskg:tier <{tier}>") > 0, (cls, tier)


# -- structure and provenance --------------------------------------------------------------------
def test_every_named_graph_describes_its_name(dataset: Dataset) -> None:
    graphs = _named_graphs(dataset)
    assert len(graphs) > 200
    assert len(dataset.default_graph) == 0
    assert [g.identifier for g in graphs if (g.identifier, None, None) not in g] == []


def test_every_subject_names_its_source(union: Graph) -> None:
    # DCAT-AP 3 reserves dct:source on a dcat:Dataset for a source *dataset*, so datasets state
    # where their description came from with prov:hadPrimarySource instead.
    missing = []
    for subject in {s for s in union.subjects() if isinstance(s, URIRef)}:
        prop = PROV.hadPrimarySource if (subject, RDF.type, DCAT.Dataset) in union else DCT.source
        if union.value(subject, prop) is None:
            missing.append(str(subject))
    assert sorted(missing) == []


def test_seed_sources_are_described_once(union: Graph) -> None:
    used = {o for o in union.objects(None, DCT.source) if str(o).startswith(SOURCE_BASE)}
    used |= {o for o in union.objects(None, PROV.hadPrimarySource)
             if str(o).startswith(SOURCE_BASE)}
    assert len(used) == 4
    for source in used:
        assert (source, RDF.type, DCT.BibliographicResource) in union
        assert len(list(union.objects(source, DCT.title))) == 1


def test_no_dangling_references_into_our_namespace(union: Graph) -> None:
    subjects = {s for s in union.subjects() if isinstance(s, URIRef)}
    dangling = {str(o) for o in union.objects()
                if isinstance(o, URIRef) and str(o).startswith((DEFAULT_ID_BASE, SOURCE_BASE))
                and o not in subjects}
    assert sorted(dangling) == []


def test_iris_follow_the_kind_slug_pattern(union: Graph) -> None:
    pattern = re.compile(
        re.escape(DEFAULT_ID_BASE) + r"(organisation|dataspace|framework|rulebook|membership|"
        r"dataset|distribution|catalog|policy|service|concept)/[a-z0-9]+(-[a-z0-9]+)*$")
    ours = {s for s in union.subjects() if str(s).startswith(DEFAULT_ID_BASE)}
    assert [str(s) for s in ours if not pattern.match(str(s))] == []


def test_blank_nodes_stay_inside_their_description(dataset: Dataset) -> None:
    home: dict[BNode, URIRef] = {}
    shared = set()
    for s, _p, o, g in dataset.quads():
        for node in (s, o):
            if isinstance(node, BNode) and home.setdefault(node, g) != g:
                shared.add(node)
    assert shared == set()


# -- the shapes the validation helper writes ---------------------------------------------------
def test_organisations_are_named_identified_and_placed(union: Graph) -> None:
    problems = []
    orgs = set(union.subjects(RDF.type, ORG.Organization)) - set(
        union.subjects(RDF.type, DSKG.DataSpace))
    governing = set(union.objects(None, DSKG.governedBy)) | {
        union.value(m, ORG.member) for m in union.subjects(ORG.role, DSKG.GovernanceAuthority)}
    for org in orgs:
        label, name = union.value(org, SKOS.prefLabel), union.value(org, FOAF.name)
        tier = union.value(org, DSKG.tier)
        if label is None or label != name:
            problems.append(f"{org}: prefLabel {label!r} != foaf:name {name!r}")
        if (org, RDF.type, FOAF.Agent) not in union or union.value(org, DCT.identifier) is None:
            problems.append(f"{org}: not a foaf:Agent with a dct:identifier")
        if tier is not None and tier != DSKG.EUTier and union.value(org, DSKG.country) is None:
            problems.append(f"{org}: {tier} body without dskg:country")
        if org in governing and tier not in TIERS:
            problems.append(f"{org}: governs without a tier")
    assert sorted(problems) == []


def test_countries_are_upper_case_alpha2_strings(union: Graph) -> None:
    values = set(union.objects(None, DSKG.country))
    assert values
    bad = [v for v in values if not (isinstance(v, Literal) and v.datatype in (None, XSD.string)
                                     and v.language is None and re.fullmatch("[A-Z]{2}", v))]
    assert bad == []


def test_frameworks_are_labelled_tiered_and_identified(union: Graph) -> None:
    for framework in union.subjects(RDF.type, DSKG.LegalFramework):
        assert union.value(framework, SKOS.prefLabel) is not None, framework
        assert union.value(framework, DSKG.tier) in TIERS - {DSKG.ProjectTier}, framework
        assert union.value(framework, DCT.identifier) is not None, framework


def test_data_spaces_are_complete(union: Graph) -> None:
    required = [SKOS.prefLabel, FOAF.name, DCT.description, DSKG.tier, DSKG.governedBy,
                DSKG.rulebook, DSKG.catalog, DCAT.theme, DSKG.subjectTo]
    problems = []
    for space in union.subjects(RDF.type, DSKG.DataSpace):
        for cls in (ORG.OrganizationalCollaboration, ORG.Organization, FOAF.Agent):
            if (space, RDF.type, cls) not in union:
                problems.append(f"{space}: not a {cls}")
        problems += [f"{space}: no {p}" for p in required if union.value(space, p) is None]
        if (space, RDF.type, DSKG.Rulebook) in union:
            problems.append(f"{space}: is its own rulebook")
        for governor in union.objects(space, DSKG.governedBy):
            if (governor, RDF.type, ORG.Organization) not in union:
                problems.append(f"{space}: governed by non-organisation {governor}")
        if (union.value(space, DSKG.rulebook), RDF.type, DSKG.Rulebook) not in union:
            problems.append(f"{space}: rulebook is not a dskg:Rulebook")
        catalog = union.value(space, DSKG.catalog)
        if (catalog, RDF.type, DCAT.Catalog) not in union or \
                union.value(catalog, DCAT.dataset) is None:
            problems.append(f"{space}: catalog missing or empty")
        if [t for t in union.objects(space, DCAT.theme) if t not in EU_THEME]:
            problems.append(f"{space}: theme outside the EU data-theme table")
        if not any(union.value(f, DSKG.tier) in TIERS - {DSKG.ProjectTier}
                   for f in union.objects(space, DSKG.subjectTo)):
            problems.append(f"{space}: subject only to project-tier frameworks")
        if union.value(predicate=ORG.organization, object=space) is None:
            problems.append(f"{space}: has no membership")
    assert sorted(problems) == []


def test_every_data_space_reaches_the_eu_tier(union: Graph) -> None:
    broken = _select(union, """
        SELECT ?space WHERE {
          ?space a dskg:DataSpace .
          FILTER NOT EXISTS { ?space dskg:subjectTo+ ?top . ?top dskg:tier dskg:EUTier }
        }""")
    assert broken == []


def test_memberships_are_well_formed(union: Graph) -> None:
    problems = []
    for membership in union.subjects(RDF.type, ORG.Membership):
        member = union.value(membership, ORG.member)
        space = union.value(membership, ORG.organization)
        roles = set(union.objects(membership, ORG.role))
        if (member, RDF.type, FOAF.Agent) not in union:
            problems.append(f"{membership}: member {member} is not an agent")
        if (space, RDF.type, DSKG.DataSpace) not in union:
            problems.append(f"{membership}: {space} is not a data space")
        if len(roles) != 1 or not roles <= ROLES:
            problems.append(f"{membership}: roles {roles}")
        for period in union.objects(membership, ORG.memberDuring):
            start = union.value(period, DCAT.startDate)
            if (period, RDF.type, DCT.PeriodOfTime) not in union or \
                    not isinstance(start, Literal) or start.datatype != XSD.date:
                problems.append(f"{membership}: period without an xsd:date start")
    assert sorted(problems) == []


# -- policies ----------------------------------------------------------------------------------
def _policies(union: Graph) -> set[URIRef]:
    kinds = (ODRL.Policy, ODRL.Set, ODRL.Offer, ODRL.Agreement)
    return {p for kind in kinds for p in union.subjects(RDF.type, kind)}  # type: ignore[misc]


def test_policies_are_well_formed_odrl(union: Graph) -> None:
    problems = []
    rule_kinds = (ODRL.permission, ODRL.prohibition, ODRL.obligation)
    for policy in _policies(union):
        if union.value(policy, ODRL.uid) != policy:
            problems.append(f"{policy}: odrl:uid is not the policy IRI")
        rules = [r for kind in rule_kinds for r in union.objects(policy, kind)]
        if not rules:
            problems.append(f"{policy}: no rule")
        pending = list(rules)
        while pending:
            rule = pending.pop()
            if len(list(union.objects(rule, ODRL.action))) != 1:
                problems.append(f"{policy}: a rule without exactly one action")
            for constraint in union.objects(rule, ODRL.constraint):
                for part in (ODRL.leftOperand, ODRL.operator, ODRL.rightOperand):
                    if union.value(constraint, part) is None:
                        problems.append(f"{policy}: constraint without {part}")
            pending += list(union.objects(rule, ODRL.duty)) + list(union.objects(rule, ODRL.remedy))
    assert sorted(problems) == []


def test_offers_come_from_their_publisher(union: Graph) -> None:
    problems = []
    for dataset in union.subjects(RDF.type, DCAT.Dataset):
        offer = union.value(dataset, ODRL.hasPolicy)
        if (offer, RDF.type, ODRL.Offer) not in union:
            problems.append(f"{dataset}: no offer")
            continue
        if union.value(offer, ODRL.assigner) != union.value(dataset, DCT.publisher):
            problems.append(f"{offer}: assigner is not the publisher")
        if union.value(offer, ODRL.target) != dataset:
            problems.append(f"{offer}: does not target its dataset")
        if union.value(offer, ODRL.permission) is None:
            problems.append(f"{offer}: no permission")
    assert sorted(problems) == []


def test_inheritance_targets_exist_and_never_cycle(union: Graph) -> None:
    policies = _policies(union)
    parents = {p: set(union.objects(p, ODRL.inheritFrom)) for p in policies}
    assert sum(len(v) for v in parents.values()) >= 10
    missing = {str(q) for qs in parents.values() for q in qs if q not in policies}
    assert missing == set()

    state: dict[URIRef, int] = {}  # 1 visiting, 2 done

    def visit(node: URIRef, path: list[URIRef]) -> None:
        state[node] = 1
        for parent in parents.get(node, ()):
            assert state.get(parent) != 1, f"inheritance cycle: {[*path, parent]}"
            if parent not in state:
                visit(parent, [*path, parent])
        state[node] = 2

    for policy in policies:
        if policy not in state:
            visit(policy, [policy])


def test_eu_tier_rules_cover_transfers_and_public_data_reuse(union: Graph) -> None:
    """The EU-tier policies say something real: GDPR transfers out of the EEA, DGA re-use."""
    transfers = _select(union, """
        SELECT ?policy WHERE {
          ?f a dskg:LegalFramework ; dskg:tier dskg:EUTier ; odrl:hasPolicy ?policy .
          ?policy odrl:prohibition ?rule .
          ?rule odrl:action odrl:transfer ; odrl:constraint ?c .
          ?c odrl:leftOperand odrl:spatial ; odrl:operator odrl:isNoneOf ; odrl:rightOperand "ES" .
        }""")
    reuse = _select(union, """
        SELECT ?policy WHERE {
          ?policy dskg:tier dskg:EUTier ; odrl:permission ?rule .
          ?rule odrl:action odrl:use ; odrl:duty/odrl:action odrl:anonymize .
        }""")
    assert transfers and reuse


# -- DCAT-AP 3.0.1 -----------------------------------------------------------------------------
def test_no_dcat_ap_violation(union: Graph, shared_vocab: Path) -> None:
    from pyshacl import validate
    from rdflib.namespace import SH

    shapes = Graph()
    for name in ("shapes.ttl", "range.ttl", "mdr-vocabularies.shape.ttl"):
        shapes.parse(shared_vocab / "dcat-ap" / name, format="turtle")
    _conforms, report, _text = validate(union, shacl_graph=shapes, inference="none")
    violations = [
        (str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)))
        for r in report.objects(None, SH.result)
        if report.value(r, SH.resultSeverity) == SH.Violation
    ]
    assert violations == []
