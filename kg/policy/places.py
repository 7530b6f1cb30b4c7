"""Countries and named regions as sets of ISO 3166-1 alpha-2 codes.

A place is written as an alpha-2 literal (``"ES"``), an alpha-3 literal, an EU Publications
Office country IRI (``.../authority/country/ESP``) or a region name (``"EEA"``, or an IRI in
our namespace ending in a region name). Every place reads as a set of alpha-2 codes, so
"inside the EEA" is a subset test.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.namespaces import DEFAULT_ID_BASE, DSKG, EU_COUNTRY

EU = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "HU",
})
REGIONS: dict[str, frozenset[str]] = {
    "EU": EU,
    "EEA": EU | {"IS", "LI", "NO"},
    "EFTA": frozenset({"CH", "IS", "LI", "NO"}),
}
# Codes that are not ISO alpha-2 but name a country in EU practice.
_ALIASES = {"EL": "GR", "UK": "GB"}


@cache
def _alpha3() -> dict[str, str]:
    text = resources.files("kg.policy").joinpath("countries.json").read_text("utf-8")
    return json.loads(text)


@cache
def _alpha2() -> frozenset[str]:
    return frozenset(_alpha3().values())


def _code(text: str) -> frozenset[str] | None:
    code = text.strip().upper()
    code = _ALIASES.get(code, code)
    if code in REGIONS:
        return REGIONS[code]
    if len(code) == 2 and code in _alpha2():
        return frozenset({code})
    if len(code) == 3 and code in _alpha3():
        return frozenset({_alpha3()[code]})
    return None


#: Where the IRIs of places start (``codes`` reads no others).
NAMED_PLACES = (str(EU_COUNTRY), str(DSKG), DEFAULT_ID_BASE)


def codes(value: Node) -> frozenset[str] | None:
    """The alpha-2 codes a place denotes, or None when ``value`` is not a known place."""
    if isinstance(value, Literal):
        return _code(str(value))
    if isinstance(value, URIRef):
        text = str(value)
        if text.startswith(str(EU_COUNTRY)):
            return _code(text[len(str(EU_COUNTRY)):])
        if text.startswith((str(DSKG), DEFAULT_ID_BASE)):
            local = text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            found = _code(local)
            return found if found is not None and local.upper() in REGIONS else None
    return None


def label(place_codes: frozenset[str]) -> str:
    """A region's name when the codes are exactly one, else the sorted codes."""
    for name, members in REGIONS.items():
        if members == place_codes:
            return name
    return ", ".join(sorted(place_codes))


def all_codes() -> list[str]:
    """Every known alpha-2 code, sorted (witness candidates for the conflict report)."""
    return sorted(_alpha2())
