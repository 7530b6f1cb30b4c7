"""The shapes step: credential subjects against the official Gaia-X shapes and ours.

Shapes: Trust Framework 22.10 (the shapes inside the official trustframework JSON-LD
document), Gaia-X 25.11 (``gx.shacl.ttl`` with the ontology's subclass links) and
``shapes/gaiax.ttl`` for what those miss, plus the LEI check digits, which SHACL Core cannot
compute. The data is the credential subjects (never the envelope); the nodes they reference
come from the other credentials of the same batch and, with a store, from the credentials
imported before (a service offering's provider, a participant's registration number), so a
reference across credentials is checked as the Gaia-X compliance service checks a
presentation. Only the shapes that can apply to the types present are run.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path

import pyshacl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.jsonld import to_nquads
from kg.namespaces import CRED, GX, GX2210, RDF, RDFS, SEC, SH
from kg.store.base import Store
from kg.store.sparql_text import term_n3, values_list
from kg.validation.report import short

SHAPES_DIR = Path(__file__).resolve().parents[2] / "shapes"
VENDOR = SHAPES_DIR / "vendor" / "gaiax"
SCHEMA_LEI = URIRef("https://schema.org/leiCode")
LEI_PROPERTIES = (GX2210.leiCode, SCHEMA_LEI)
#: How many hops of references to follow into stored credentials.
MAX_REFERENCE_DEPTH = 3
_GAIAX_NAMESPACES = (str(GX), str(GX2210))
#: Targets that are not classes: shapes using them are always run.
_OTHER_TARGETS = (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
#: Where a shape leads to other shapes.
_SHAPE_LINKS = (SH.node, SH.property, SH.qualifiedValueShape, SH["not"], SH["and"], SH["or"],
                SH.xone)
_lock = threading.Lock()
#: Prefixes for readable messages (the project-wide ones lack the Gaia-X 22.10 namespace).
_MESSAGE_PREFIXES = {str(GX2210): "gx2210:", str(GX): "gx:", "https://schema.org/": "schema:"}
#: pySHACL spells out whole sh:in lists (thousands of codes) in its default messages.
MAX_MESSAGE = 400


def _parse(path: Path) -> Graph:
    if path.suffix == ".jsonld":  # the 22.10 trustframework document (inline context only)
        return Graph().parse(data=to_nquads(json.loads(path.read_text("utf-8"))),
                             format="nquads")
    return Graph().parse(path, format="turtle")


#: The official Gaia-X shapes files, by the namespace whose data they are for.
OFFICIAL_FILES: dict[str, tuple[Path, ...]] = {
    str(GX2210): (VENDOR / "trustframework-2210.jsonld",),
    str(GX): (VENDOR / "gx-25.11.shacl.ttl", VENDOR / "gx-25.11.subclasses.ttl"),
}
#: This node's own rules, on top of the official shapes (a separate step of the report).
OUR_FILES: tuple[Path, ...] = (SHAPES_DIR / "gaiax.ttl",)
#: Kept for callers that list every file: "" = ours, always.
SHAPES_FILES: dict[str, tuple[Path, ...]] = {"": OUR_FILES, **OFFICIAL_FILES}


@cache
def shapes_file(path: Path) -> Graph:
    """One shapes file, parsed once (the 25.11 file takes seconds: only read when needed)."""
    return _parse(path)


def official_2210_shapes() -> Graph:
    return shapes_file(VENDOR / "trustframework-2210.jsonld")


@cache
def _superclasses() -> dict[Node, set[Node]]:
    subclasses = Graph().parse(VENDOR / "gx-25.11.subclasses.ttl", format="turtle")
    found: dict[Node, set[Node]] = {}
    for sub, sup in subclasses.subject_objects(RDFS.subClassOf):
        found.setdefault(sub, set()).add(sup)
    return found


def _is_shape(shapes: Graph, node: Node) -> bool:
    return ((node, SH.property, None) in shapes or (node, SH.path, None) in shapes
            or (node, RDF.type, SH.NodeShape) in shapes)


def _shape_closure(shapes: Graph, start: Iterable[Node]) -> Graph:
    """The triples describing ``start`` shapes and every shape or list they lead to."""
    out = Graph()
    stack = list(start)
    seen: set[Node] = set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in shapes.predicate_objects(node):
            out.add((node, p, o))
            if (isinstance(o, BNode)
                    or (p == SH["in"] and isinstance(o, URIRef))
                    or (p == RDF.rest and o != RDF.nil)
                    or ((p in _SHAPE_LINKS or p == RDF.first) and isinstance(o, URIRef)
                        and _is_shape(shapes, o))):
                stack.append(o)
    return out


def namespaces_used(data: Graph) -> frozenset[str]:
    """Which Gaia-X generations the data speaks (by its predicates and classes)."""
    terms = set(data.predicates()) | set(data.objects(None, RDF.type))
    return frozenset(ns for ns in OFFICIAL_FILES if any(str(t).startswith(ns) for t in terms))


@lru_cache(maxsize=64)
def shapes_for(types: frozenset[Node], namespaces: frozenset[str], official: bool = True
               ) -> Graph:
    """The part of the official Gaia-X shapes (or of ours) that can apply to data with these
    (closed) types."""
    files = ([path for ns in sorted(namespaces) for path in OFFICIAL_FILES[ns]] if official
             else list(OUR_FILES))
    with _lock:
        pruned = Graph()
        for path in files:
            shapes = shapes_file(path)  # files never refer to each other's shapes
            start = {s for s, c in shapes.subject_objects(SH.targetClass) if c in types}
            for target in _OTHER_TARGETS:
                start |= set(shapes.subjects(target, None))
            pruned += _shape_closure(shapes, start)
            for sub, sup in shapes.subject_objects(RDFS.subClassOf):
                if sub in types:
                    pruned.add((sub, RDFS.subClassOf, sup))
        return pruned


def closed_types(graphs: Iterable[Graph], node: Node | None = None) -> frozenset[Node]:
    """The classes of ``node`` (of every node when None) with all their superclasses."""
    supers = _superclasses()
    types: set[Node] = set()
    for graph in graphs:
        types.update(graph.objects(node, RDF.type))
    stack = list(types)
    while stack:
        for sup in supers.get(stack.pop(), ()):
            if sup not in types:
                types.add(sup)
                stack.append(sup)
    return frozenset(types)


# -- the data -------------------------------------------------------------------------------

def subject_graph(graph: Graph) -> Graph:
    """The credential subjects in ``graph`` and what they say, without the envelope.

    Newer Gaia-X credentials may state the subject's class on the credential itself
    (``type: [VerifiableCredential, gx:LegalPerson]``); such a class is given to a subject
    that states none of its own. A subject may carry the credential's own ``id`` (as some
    signing tools issue them): it is then one RDF node, and what it states apart from the
    envelope (the VC vocabulary, its proof, ``rdf:type VerifiableCredential``) is its subject.
    """
    credentials = set(graph.subjects(RDF.type, CRED.VerifiableCredential))
    out = Graph()
    for vc in credentials:
        vc_types = [t for t in graph.objects(vc, RDF.type) if str(t).startswith(_GAIAX_NAMESPACES)]
        for subject in graph.objects(vc, CRED.credentialSubject):
            own = [t for t in graph.objects(subject, RDF.type)
                   if str(t).startswith(_GAIAX_NAMESPACES)]
            if not own:
                for vc_type in vc_types:
                    out.add((subject, RDF.type, vc_type))
            stack, seen = [subject], set()
            while stack:
                node = stack.pop()
                if node in seen or (node in credentials and node != subject):
                    continue
                seen.add(node)
                for p, o in graph.predicate_objects(node):
                    if node in credentials and _is_envelope(p, o):
                        continue
                    out.add((node, p, o))
                    if (o, None, None) in graph:
                        stack.append(o)
    return out


def _is_envelope(predicate: Node, value: Node) -> bool:
    """A statement of the credential itself (when the subject shares the credential's id)."""
    return (str(predicate).startswith((str(CRED), str(SEC)))
            or (predicate == RDF.type and value in (CRED.VerifiableCredential,
                                                    CRED.VerifiablePresentation)))


def _references(data: Graph) -> set[URIRef]:
    described = set(data.subjects())
    return {o for _s, p, o in data
            if isinstance(o, URIRef) and p != RDF.type and o not in described}


def stored_credentials(store: Store, data: Graph) -> Graph:
    """Subjects of stored credentials that ``data`` references, following their references."""
    context = Graph()
    pending = _references(data)
    asked: set[URIRef] = set()
    for _depth in range(MAX_REFERENCE_DEPTH):
        pending -= asked
        if not pending:
            break
        asked |= pending
        result = store.query(
            f"SELECT DISTINCT ?g WHERE {{ {values_list('ref', sorted(pending))} "
            f"GRAPH ?g {{ ?vc {term_n3(CRED.credentialSubject)} ?ref }} }}")
        found = Graph()
        for (name,) in result.rows:
            if isinstance(name, URIRef):
                found += subject_graph(store.get_graph(name))
        context += found
        pending = _references(found) - set(data.subjects())
    return context


# -- checks -----------------------------------------------------------------------------------

def lei_valid(code: str) -> bool:
    """ISO 17442 check digits: the code, letters read as 10..35, is 1 modulo 97."""
    return int("".join(str(int(c, 36)) for c in code)) % 97 == 1


def _lei_problems(data: Graph) -> list[tuple[Node, str]]:
    problems = []
    for prop in LEI_PROPERTIES:
        for focus, value in data.subject_objects(prop):
            text = str(value)
            if isinstance(value, Literal) and len(text) == 20 and text.isascii() \
                    and text.isalnum() and text == text.upper() and text[18:].isdigit() \
                    and not lei_valid(text):
                problems.append((focus, readable(f"{short(focus)} {short(prop)}: LEI {text} "
                                                 "fails its ISO 17442 check digits (not 1 "
                                                 "modulo 97)")))
    return problems


def readable(text: str) -> str:
    """A result message with Gaia-X IRIs as prefixed names, cut to a readable length."""
    for namespace, prefix in _MESSAGE_PREFIXES.items():
        text = re.sub(f"<{re.escape(namespace)}([^>\\s]*)>", prefix.replace("\\", "\\\\") + r"\1",
                      text)
        text = text.replace(namespace, prefix)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 3] + "..."


def _locate(data: Graph, node: Node, depth: int = 0) -> str:
    """A node for people: its IRI, or for a blank node the IRI and path that lead to it."""
    parent = next(iter(data.subject_predicates(node)), None)
    if not isinstance(node, BNode) or parent is None or depth > 3:
        return short(node)
    return f"{_locate(data, parent[0], depth + 1)} / {short(parent[1])}"


def run_shacl(data: Graph, context: Graph, shapes: Graph) -> list[tuple[Node, str]]:
    """(focus node, message) per violation on a node of ``data``; the one engine call.

    pySHACL, called directly: the compiled engine behind ``kg.validation.validate_graph``
    spends tens of seconds on the official 25.11 shapes' ``sh:in`` lists of thousands of
    values (``gx:LeiCodeShape``) where pySHACL spends a tenth of one, and the project's
    default shapes it loads are not needed here. Swap the engine here when that is solved.
    """
    combined = data + context
    combined += shapes.triples((None, RDFS.subClassOf, None))
    _conforms, results, _text = pyshacl.validate(combined, shacl_graph=shapes,
                                                  inference="none", advanced=False)
    own = set(data.subjects())
    problems = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        if focus not in own or results.value(result, SH.resultSeverity) != SH.Violation:
            continue
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        message = results.value(result, SH.resultMessage) or short(
            results.value(result, SH.sourceConstraintComponent))
        where = f" / {short(path)}" if isinstance(path, URIRef) else ""
        found = f"; found {short(value)}" if value is not None else ""
        problems.append((focus, readable(f"{_locate(data, focus)}{where}: {message}{found}")))
    return sorted(problems, key=lambda item: item[1])


def check_subjects(graphs: Sequence[Graph], store: Store | None = None
                   ) -> tuple[list[list[str]], list[list[str]]]:
    """Validate the subject graphs of a batch together: (problems the official Gaia-X shapes
    find, problems this node's own rules find), one list per graph each."""
    data = Graph()
    for graph in graphs:
        data += graph
    context = Graph()
    if store is not None:
        context += stored_credentials(store, data)
    types = closed_types([data, context])
    namespaces = namespaces_used(data + context)
    official = run_shacl(data, context, shapes_for(types, namespaces, True))
    ours = run_shacl(data, context, shapes_for(types, namespaces, False)) + _lei_problems(data)
    owners = [set(graph.subjects()) for graph in graphs]
    return ([[message for focus, message in official if focus in owned] for owned in owners],
            [[message for focus, message in ours if focus in owned] for owned in owners])
