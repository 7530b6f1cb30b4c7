"""The dskg: ontology: OWL 2 DL consistency under HermiT, labels and definitions on every term,
the names other code relies on, and only real DCAT 3 / ODRL 2.2 terms anywhere we ship."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.namespaces import DCAT, DSKG, ODRL

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY = REPO / "ontology" / "dskg.ttl"
DEFAULT_GRAPH = REPO / "kg" / "data" / "default"
SHAPES = REPO / "shapes"

CLASSES = ["DataSpace", "LegalFramework", "Rulebook", "GovernanceTier", "Role", "Description",
           "ValidationOutcome"]
OBJECT_PROPERTIES = ["tier", "subjectTo", "governedBy", "rulebook", "catalog", "selfDescription",
                     "describes", "harvestedFrom", "validationOutcome"]
DATATYPE_PROPERTIES = ["country", "vatID", "leiCode", "eori", "euid", "taxID",
                       "localRegistrationNumber", "conforms", "tripleCount", "contentHash",
                       "violationCount", "warningCount"]
TIERS = {"EUTier": "eu", "NationalTier": "national", "ProjectTier": "project",
         "RegionalTier": "regional", "MunicipalTier": "municipal"}
ROLES = ["DataProvider", "DataConsumer", "DataIntermediary", "Operator", "GovernanceAuthority"]


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


def _hermit(graph: Graph, folder: Path) -> object:
    """Load ``graph`` into a fresh owlready2 world and run HermiT; returns the world."""
    import owlready2

    path = folder / "dskg.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load()
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    return world


needs_java = pytest.mark.skipif(shutil.which("java") is None,
                                reason="HermiT needs a Java runtime (CI installs a headless JRE)")


@pytest.mark.java
@needs_java
def test_hermit_finds_the_ontology_consistent(ontology: Graph, tmp_path: Path) -> None:
    started = time.perf_counter()
    world = _hermit(ontology, tmp_path)
    elapsed = time.perf_counter() - started
    assert list(world.inconsistent_classes()) == []  # type: ignore[attr-defined]
    assert elapsed < 60, f"HermiT took {elapsed:.1f} s"


@pytest.mark.java
@needs_java
def test_hermit_rejects_a_second_tier(ontology: Graph, tmp_path: Path) -> None:
    """dskg:tier is functional and the tiers are distinct: two tiers make it inconsistent."""
    import owlready2

    broken = Graph()
    for triple in ontology:
        broken.add(triple)
    thing = URIRef("https://w3id.org/dskg/test/body")
    broken.add((thing, RDF.type, OWL.NamedIndividual))
    broken.add((thing, DSKG.tier, DSKG.EUTier))
    broken.add((thing, DSKG.tier, DSKG.NationalTier))
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        _hermit(broken, tmp_path)


def test_every_dskg_term_has_an_english_label_and_definition(ontology: Graph) -> None:
    terms = {s for s in ontology.subjects() if isinstance(s, URIRef) and s in DSKG}
    assert len(terms) >= 40
    missing = []
    for term in sorted(terms):
        for prop in (RDFS.label, SKOS.definition):
            if not any(isinstance(v, Literal) and v.language == "en"
                       for v in ontology.objects(term, prop)):
                missing.append(f"{term} lacks an English {prop}")
    assert missing == []


def test_the_names_other_code_relies_on_are_declared(ontology: Graph) -> None:
    def typed(name: str, cls: URIRef) -> bool:
        return (DSKG[name], RDF.type, cls) in ontology

    assert [c for c in CLASSES if not typed(c, OWL.Class)] == []
    assert [p for p in OBJECT_PROPERTIES if not typed(p, OWL.ObjectProperty)] == []
    assert [p for p in DATATYPE_PROPERTIES if not typed(p, OWL.DatatypeProperty)] == []
    assert (DSKG.DataSpace, RDFS.subClassOf, URIRef("http://www.w3.org/ns/org#"
                                                    "OrganizationalCollaboration")) in ontology
    assert (DSKG.Role, RDFS.subClassOf, URIRef("http://www.w3.org/ns/org#Role")) in ontology
    assert (DSKG.GovernanceTier, RDFS.subClassOf, SKOS.Concept) in ontology


def test_registration_numbers_specialise_gaia_x_terms(ontology: Graph,
                                                      shared_vocab: Path) -> None:
    gx = Graph().parse(shared_vocab / "gaiax" / "gx-25.11" / "gx.owl.ttl", format="turtle")
    for name in ("vatID", "leiCode", "eori", "euid", "taxID", "localRegistrationNumber"):
        parents = set(ontology.objects(DSKG[name], RDFS.subPropertyOf))
        in_gx = [p for p in parents if (p, RDF.type, OWL.DatatypeProperty) in gx]
        assert in_gx, f"dskg:{name} is not a sub-property of a Gaia-X 25.11 term"


def test_governance_tiers_form_the_scheme(ontology: Graph) -> None:
    for name, notation in TIERS.items():
        tier = DSKG[name]
        assert (tier, RDF.type, DSKG.GovernanceTier) in ontology
        assert (tier, SKOS.inScheme, DSKG.GovernanceTiers) in ontology
        assert (tier, SKOS.notation, Literal(notation)) in ontology
        assert ontology.value(tier, SKOS.prefLabel) is not None
    assert ontology.value(DSKG.EUTier, SKOS.prefLabel) == Literal("EU and international", "en")
    for narrower in ("RegionalTier", "MunicipalTier"):
        assert (DSKG[narrower], SKOS.broader, DSKG.NationalTier) in ontology
    for role in ROLES:
        assert (DSKG[role], RDF.type, DSKG.Role) in ontology
        assert (DSKG[role], SKOS.inScheme, DSKG.Roles) in ontology


def _shipped_graphs() -> list[tuple[str, Graph]]:
    graphs: list[tuple[str, Graph]] = [(ONTOLOGY.name, Graph().parse(ONTOLOGY))]
    for path in sorted(DEFAULT_GRAPH.glob("*.trig")):
        dataset = Dataset()
        dataset.parse(path, format="trig")
        union = Graph()
        for s, p, o, _g in dataset.quads():
            union.add((s, p, o))
        graphs.append((path.name, union))
    for path in sorted(SHAPES.glob("*.ttl")):
        graphs.append((f"shapes/{path.name}", Graph().parse(path, format="turtle")))
    return graphs


def test_only_real_dcat_and_odrl_terms_are_used(shared_vocab: Path) -> None:
    known: dict[str, tuple[set[URIRef], set[URIRef]]] = {}
    for namespace, file in ((DCAT, "dcat3.ttl"), (ODRL, "odrl22.ttl")):
        vocab = Graph().parse(shared_vocab / file, format="turtle")
        defined = {s for s in vocab.subjects() if isinstance(s, URIRef) and s in namespace}
        deprecated = {s for s in vocab.subjects(OWL.deprecated, Literal(True))}
        known[str(namespace)] = (defined, deprecated)
    problems = []
    for name, graph in _shipped_graphs():
        for term in {t for triple in graph for t in triple if isinstance(t, URIRef)}:
            for namespace, (defined, deprecated) in known.items():
                if str(term).startswith(namespace) and str(term) != namespace:
                    if term not in defined:
                        problems.append(f"{name}: {term} is not in the official vocabulary")
                    elif term in deprecated:
                        problems.append(f"{name}: {term} is deprecated")
    assert sorted(problems) == []
