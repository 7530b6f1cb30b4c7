"""The Gaia-X releases this node reads, told apart by the ``@context`` a credential names.

Each release has its JSON-LD context (shipped, ``kg/contexts/``) and, where we ship them, its
official SHACL shapes (``shapes/vendor/gaiax/``). 24.11 (Loire) and 25.11 share the ``gx:``
namespace ``https://w3id.org/gaia-x/development#``; the official 24.11 shapes are not shipped
(see shapes/vendor/gaiax/NOTICE.md), so a Loire credential is checked against the 25.11 shapes
of the same namespace *as advice*: what they find is a warning, never a failure of Gaia-X's
verdict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TF_2210 = ("https://registry.lab.gaia-x.eu/development/api/trusted-shape-registry/v1/shapes/"
           "jsonld/trustframework#")


@dataclass(frozen=True)
class Release:
    name: str
    label: str
    contexts: tuple[str, ...]
    #: The release whose official shapes check it, and whether those are its own.
    shapes: str
    own_shapes: bool

    @property
    def shapes_label(self) -> str:
        return f"Gaia-X {self.shapes} shapes"


R2210 = Release("22.10", "Trust Framework 22.10 (Tagus)", (TF_2210,), "22.10", True)
R2411 = Release("24.11", "Loire 24.11",
                ("https://w3id.org/gaia-x/2411#", "https://w3id.org/gaia-x/2411"),
                "25.11", False)
R2511 = Release("25.11", "25.11 (development)",
                ("https://w3id.org/gaia-x/development#", "https://w3id.org/gaia-x/development"),
                "25.11", True)
RELEASES = (R2210, R2411, R2511)
_BY_CONTEXT = {url: release for release in RELEASES for url in release.contexts}


def _context_urls(document: Any) -> Iterable[str]:
    if not isinstance(document, dict):
        return
    context = document.get("@context")
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, str):
            yield item
    subjects = document.get("credentialSubject")
    for subject in subjects if isinstance(subjects, list) else [subjects]:
        if isinstance(subject, dict):
            yield from _context_urls({"@context": subject.get("@context")})


def release_of(document: Any) -> Release | None:
    """The Gaia-X release a credential's contexts name (the first one named), if any."""
    for url in _context_urls(document):
        if url in _BY_CONTEXT:
            return _BY_CONTEXT[url]
    return None
