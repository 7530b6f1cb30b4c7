"""The shipped ontology and default ecosystem graph, loaded through the write path."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from rdflib import Dataset, Graph, URIRef

from kg.paths import project_root
from kg.rdfio import iter_quads
from kg.store import Store
from kg.write import Description, Origin, commit, split_dataset

ONTOLOGY_GRAPH = URIRef("https://w3id.org/dskg/graph/ontology")
DEFAULT_GRAPH_AGENT = "dskg-default-graph"


def ontology_path() -> Path:
    return project_root() / "ontology" / "dskg.ttl"


def default_graph_files() -> list[Path]:
    folder = resources.files("kg") / "data" / "default"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".trig"))


def default_descriptions(base_iri: str) -> list[Description]:
    """Every description of the default graph (one per named graph), plus the ontology."""
    dataset = Dataset()
    for path in default_graph_files():
        for s, p, o, g in iter_quads(path.read_bytes(), "trig"):
            (dataset.default_graph if g is None else dataset.graph(g)).add((s, p, o))
    descriptions = split_dataset(dataset, base_iri=base_iri)
    ontology = Graph()
    for s, p, o, _g in iter_quads(ontology_path().read_bytes(), "turtle"):
        ontology.add((s, p, o))
    descriptions.append(Description(name=ONTOLOGY_GRAPH, graph=ontology))
    return descriptions


def is_loaded(store: Store) -> bool:
    return store.has_graph(ONTOLOGY_GRAPH)


def load_default_graph(store: Store, base_iri: str, *, force: bool = False) -> int:
    """Load the default graph unless it is there already; returns the triples written.

    Validation is skipped here (the shipped graph is validated by the test suite, and
    startup must stay fast); everything else is the normal write path.
    """
    if is_loaded(store) and not force:
        return 0
    origin = Origin(agent=DEFAULT_GRAPH_AGENT, source="dskg default graph",
                    activity="default-graph", base_iri=base_iri)
    result = commit(store, default_descriptions(base_iri), origin, validate=False)
    return result.triples
