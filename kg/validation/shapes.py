"""Where the shapes and the ontology live, and loading them once per process.

The shapes come in sets, one per folder: ``shapes/*.ttl`` (our areas), and each folder under
``shapes/vendor/`` (SEMIC's DCAT-AP, Gaia-X). Every Turtle file of a folder belongs to its
set, and so does every JSON-LD file (Gaia-X 22.10 ships its shapes as JSON-LD; it is read with
the shipped contexts only). A set is parsed into rdflib only when the data has something its
shapes target; what each set targets is read beforehand with a fast parser.

The ontology contributes its ``rdfs:subClassOf`` axioms, as do the shapes files: class
membership in SHACL follows subclass links, so a ``dskg:DataSpace`` is an ``org:Organization``
for every shape that targets or requires one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.term import Identifier

from kg.jsonld import load_json, to_nquads
from kg.namespaces import OWL, RDF, RDFS, SH
from kg.paths import project_root
from kg.store.parsing import triples_with


@dataclass
class Signature:
    """What the shapes of a file can apply to, and the subclass axioms it states."""

    classes: set[URIRef] = field(default_factory=set)
    predicates: set[URIRef] = field(default_factory=set)
    nodes: set[Identifier] = field(default_factory=set)
    axioms: set[tuple[URIRef, URIRef]] = field(default_factory=set)


_SCANNED = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf,
            RDFS.subClassOf, RDF.type)


def scan_shapes(data: bytes, fmt: str, signature: Signature) -> None:
    """Add the targets and subclass axioms of one shapes document to ``signature`` (a fast
    scan: only these few predicates' triples become rdflib terms)."""
    shapes: set[Identifier] = set()
    classes: set[Identifier] = set()
    for s, p, o in triples_with(data, fmt, _SCANNED):
        if p == SH.targetClass and isinstance(o, URIRef):
            signature.classes.add(o)
        elif p in (SH.targetSubjectsOf, SH.targetObjectsOf) and isinstance(o, URIRef):
            signature.predicates.add(o)
        elif p == SH.targetNode:
            signature.nodes.add(o)
        elif p == RDFS.subClassOf and isinstance(o, URIRef) and isinstance(s, URIRef):
            signature.axioms.add((s, o))
        elif p == RDF.type and o == SH.NodeShape:
            shapes.add(s)
        elif p == RDF.type and o in (RDFS.Class, OWL.Class):
            classes.add(s)
    for implicit in shapes & classes:  # a node shape that is a class targets its instances
        if isinstance(implicit, URIRef):
            signature.classes.add(implicit)


_lock = threading.RLock()
_cache: dict[str, object] = {}


def shapes_dir() -> Path:
    return project_root() / "shapes"


def ontology_dir() -> Path:
    return project_root() / "ontology"


def _documents(files: Iterable[Path]) -> Iterable[tuple[bytes, str]]:
    """(content, format) of each file; JSON-LD is expanded to N-Quads with shipped contexts."""
    for path in files:
        if path.suffix == ".jsonld":
            yield to_nquads(load_json(path.read_bytes())).encode("utf-8"), "nquads"
        else:
            yield path.read_bytes(), "turtle"


@dataclass(eq=False)
class ShapeSet:
    """The shapes of one folder, parsed on first use."""

    name: str
    files: list[Path]
    signature: Signature = field(default_factory=Signature)
    _graph: Graph | None = None

    def graph(self) -> Graph:
        with _lock:
            if self._graph is None:
                graph = Graph()
                for data, fmt in _documents(self.files):
                    graph.parse(data=data, format=fmt)
                self._graph = graph
            return self._graph


def _folder_files(folder: Path, recursive: bool) -> list[Path]:
    pattern = ("**/*" if recursive else "*")
    return sorted(p for p in folder.glob(pattern)
                  if p.is_file() and p.suffix in (".ttl", ".jsonld"))


def shape_sets() -> list[ShapeSet]:
    """The shape sets under ``shapes/`` (scanned once per process)."""
    with _lock:
        if "sets" not in _cache:
            root = shapes_dir()
            sets: list[ShapeSet] = []
            if root.is_dir():
                groups = [("dskg", _folder_files(root, recursive=False))]
                vendor = root / "vendor"
                if vendor.is_dir():
                    groups += [(f"vendor/{d.name}", _folder_files(d, recursive=True))
                               for d in sorted(vendor.iterdir()) if d.is_dir()]
                for name, files in groups:
                    if files:
                        shape_set = ShapeSet(name, files)
                        for data, fmt in _documents(files):
                            scan_shapes(data, fmt, shape_set.signature)
                        sets.append(shape_set)
            _cache["sets"] = sets
        return _cache["sets"]  # type: ignore[return-value]


def ontology() -> Graph:
    """The project ontology (``ontology/*.ttl``), read once."""
    with _lock:
        if "ontology" not in _cache:
            graph = Graph()
            for path in sorted(ontology_dir().glob("*.ttl")):
                graph.parse(path, format="turtle")
            _cache["ontology"] = graph
        return _cache["ontology"]  # type: ignore[return-value]


def subclass_pairs(*graphs: Graph) -> set[tuple[URIRef, URIRef]]:
    """(subclass, superclass) axioms of the ontology, every shape set, and ``graphs``."""
    pairs: set[tuple[URIRef, URIRef]] = set()
    for graph in (ontology(), *graphs):
        pairs |= {(s, o) for s, o in graph.subject_objects(RDFS.subClassOf)
                  if isinstance(s, URIRef) and isinstance(o, URIRef)}
    for shape_set in shape_sets():
        pairs |= shape_set.signature.axioms
    return pairs


def subclass_axioms(*graphs: Graph) -> Graph:
    """The same axioms as triples (added to the data graph for the pySHACL reference)."""
    axioms = Graph()
    for sub, sup in subclass_pairs(*graphs):
        axioms.add((sub, RDFS.subClassOf, sup))
    return axioms


def subclass_closure(axioms: Iterable[tuple[URIRef, URIRef]]) -> dict[URIRef, set[URIRef]]:
    """For each class, itself and all its (transitive) subclasses."""
    children: dict[URIRef, set[URIRef]] = {}
    for sub, sup in axioms:
        children.setdefault(sup, set()).add(sub)

    def below(cls: URIRef) -> set[URIRef]:
        seen = {cls}
        stack = [cls]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen

    return {cls: below(cls) for cls in children}
