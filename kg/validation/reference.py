"""pySHACL, run the way our engine is defined: the reference the compiled engine must match.

The data graph pySHACL sees is the description, plus the context (facts about referenced
nodes), plus the subclass axioms of the ontology (so class targets and ``sh:class`` follow
``rdfs:subClassOf``; no other inference, so a dangling reference is never "repaired" by an
``rdfs:range``). Results about nodes only the context describes are dropped, as the engine
drops them.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyshacl import validate as pyshacl_validate
from rdflib import Graph, Literal, URIRef
from rdflib.term import Identifier

from kg.namespaces import RDF, SH
from kg.validation.engine import context_only, graph_profile, sets_for
from kg.validation.paths import ShapeError, parse_path
from kg.validation.report import ValidationReport, ValidationResult, labels_from
from kg.validation.shapes import subclass_axioms


def validate_reference(data: Graph, *, context: Graph | None = None,
                       shapes: Graph | None = None,
                       focus_filter: Iterable[Identifier] | None = None) -> ValidationReport:
    """Validate ``data`` with pySHACL; ``focus_filter`` defaults to the subjects of ``data``."""
    if shapes is None:  # the shape sets the data can meet (the others find nothing)
        classes, predicates, nodes, extra = graph_profile(data, context)
        shapes = Graph()
        for shape_set in sets_for(classes, predicates, nodes, extra):
            for triple in shape_set.graph():
                shapes.add(triple)
    combined = Graph()
    for part in (data, context or Graph(), subclass_axioms(shapes, data)):
        for triple in part:
            combined.add(triple)
    _, results, text = pyshacl_validate(combined, shacl_graph=shapes, inference="none",
                                        advanced=False, allow_warnings=True, allow_infos=True)
    if not isinstance(results, Graph):
        raise ShapeError(f"pySHACL could not run the shapes: {text}")
    keep = None if focus_filter is None else set(focus_filter)
    elsewhere = context_only(data, context or Graph())
    found: list[ValidationResult] = []
    top = [n for r in results.subjects(RDF.type, SH.ValidationReport)
           for n in results.objects(r, SH.result)]  # not the nested sh:detail results
    for node in top:
        focus = results.value(node, SH.focusNode)
        if focus is None:  # SHACL requires sh:focusNode on every result
            continue
        if (focus not in keep) if keep is not None else (focus in elsewhere):
            continue
        path_node = results.value(node, SH.resultPath)
        message = results.value(node, SH.resultMessage)
        severity = results.value(node, SH.resultSeverity)
        found.append(ValidationResult(
            focus=focus,
            path=None if path_node is None else parse_path(results, path_node),
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            message=str(message) if isinstance(message, Literal) else "",
            value=results.value(node, SH.value),
            shape=results.value(node, SH.sourceShape),
            component=URIRef(str(results.value(node, SH.sourceConstraintComponent))),
        ))
    return ValidationReport(found, labels_from([data, context or Graph()]))
