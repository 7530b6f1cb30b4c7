"""The filters a CatalogRequestMessage may carry that this node applies.

DSP leaves the filter language to the implementation and requires a 400 for one it does not
support. Ours: each item of ``filter`` is an object with one key, a dataset property, and a
string value that the dataset must have (an IRI, or a literal's text); all items must hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import URIRef
from rdflib.term import Node

from kg.dsp.messages import CatalogErrorResponse
from kg.namespaces import DCAT, DCT

SUPPORTED: dict[str, URIRef] = {
    "dct:publisher": DCT.publisher, "dcat:theme": DCAT.theme,
    "dct:identifier": DCT.identifier, "dcat:keyword": DCAT.keyword,
    "dct:spatial": DCT.spatial, "dct:language": DCT.language,
}
_NAMES = ", ".join(SUPPORTED)
SUPPORTED.update({str(v): v for v in list(SUPPORTED.values())})


@dataclass(frozen=True)
class Filter:
    prop: URIRef
    value: str

    def holds(self, facts: dict[URIRef, list[Node]]) -> bool:
        return any(str(o) == self.value for o in facts.get(self.prop, []))


def read_filters(items: list[Any]) -> list[Filter]:
    """The filters of a message; 400 CatalogError for any this node cannot apply."""
    out = []
    for index, item in enumerate(items):
        if not (isinstance(item, dict) and len(item) == 1):
            raise CatalogErrorResponse(
                400, "unsupported-filter",
                f"filter[{index}]: this node applies only filters of the form "
                '{"dct:publisher": "IRI"} (one property, one string value); '
                f"supported properties: {_NAMES} (or their full IRIs)")
        [(key, value)] = item.items()
        if key not in SUPPORTED or not isinstance(value, str):
            raise CatalogErrorResponse(
                400, "unsupported-filter",
                f"filter[{index}]: cannot filter on {key!r} with {value!r}; supported "
                f"properties (string values): {_NAMES} (or their full IRIs)")
        out.append(Filter(SUPPORTED[key], value))
    return out
