"""The IRI-scheme shapes alone (``shapes/links.ttl``), for writes that skip the full shapes.

A trusted peer's harvest, a Gaia-X import and the default graph are committed without the
project's shapes, but what they carry is re-served by /catalog, REST and harvesting peers to
portals that make links of it: a ``javascript:`` home page is refused on every route.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from rdflib import Graph

from kg.errors import ValidationFailed
from kg.store.base import Store
from kg.validation.engine import validate_graph, validate_store
from kg.validation.report import ValidationReport
from kg.validation.shapes import shapes_dir

LINK_SHAPES = "links.ttl"


@cache
def link_shapes() -> Graph:
    """The scheme shapes, parsed once (an empty graph if the file is missing)."""
    graph = Graph()
    path = shapes_dir() / LINK_SHAPES
    if path.is_file():
        graph.parse(path, format="turtle")
    return graph


def _refuse(report: ValidationReport) -> None:
    violations = [r for r in report.results if r.severity == "Violation"]
    if violations:
        first = violations[0]
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        raise ValidationFailed(f"{first.focus}: {first.message}{more}", report)


def refuse_unsafe_iris(graphs: Iterable[Graph]) -> None:
    """Raise ValidationFailed (422, naming the property) if any graph uses an unsafe scheme."""
    union = Graph()
    for graph in graphs:
        for triple in graph:
            union.add(triple)
    _refuse(validate_graph(union, shapes=link_shapes()))


def refuse_unsafe_iris_in_store(staging: Store) -> None:
    """The same check on a staging store (the bulk path)."""
    _refuse(validate_store(staging, shapes=link_shapes()))
