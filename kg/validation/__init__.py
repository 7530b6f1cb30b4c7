"""SHACL validation of descriptions: the shapes in ``shapes/`` with the ontology's subclasses.

``validate_graph`` checks one description (with ``context``: what the store knows about the
nodes it references, see :func:`context_for`); ``validate_store`` checks everything in a
(staging) store, the bulk path. Both run the shapes compiled to SPARQL (``kg.validation
.engine``), whose results equal pySHACL's (``kg.validation.reference``; the tests compare).

The engine passes the whole W3C SHACL Core test suite (``tests/test_w3c_shacl.py``). Where
it knowingly differs: a shape that nests itself (Gaia-X 22.10's parent organisation) is
followed three levels deep; a literal's lexical form is judged by XSD as Oxigraph reads it
(rdflib accepts a few forms XSD does not, e.g. a dateTime without seconds); SHACL features no
shipped shape uses (SPARQL constraints inside nested shapes, ``sh:closed`` on property shapes,
``$currentShape``, ``sh:target`` and rules) raise ``ShapeError`` instead of being skipped.
``ValidationReport.conforms`` is the admission verdict (no violation); SHACL's own
``sh:conforms`` (no result at all) is ``shacl_conforms``.
"""

from __future__ import annotations

from kg.validation.context import context_for
from kg.validation.engine import validate_graph, validate_store
from kg.validation.report import ValidationReport, ValidationResult

__all__ = [
    "ValidationReport",
    "ValidationResult",
    "context_for",
    "validate_graph",
    "validate_store",
]
