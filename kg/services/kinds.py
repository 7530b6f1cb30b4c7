"""The resource kinds of the REST API: which classes make a resource one of them.

A kind is a collection (``/organisations``, ``/dataspaces``, ...). Membership in a kind is
decided by ``rdf:type`` in the graph (no inference at query time): the kind's classes, minus
the classes of a kind that takes precedence (a data space is an organisation too, but it is
listed under ``/dataspaces`` only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import URIRef
from rdflib.term import Node

from kg.namespaces import DCAT, DSKG, FOAF, ODRL, ORG
from kg.store.sparql_text import values_list


@dataclass(frozen=True)
class Kind:
    """One REST collection."""

    #: the URL segment and JSON name, e.g. ``datasets``
    name: str
    #: the segment the write path mints IRIs under (``{base}id/{singular}/{slug}``)
    singular: str
    title: str
    classes: tuple[URIRef, ...]
    #: instances also typed with one of these belong to another kind
    excluded: tuple[URIRef, ...] = ()
    #: other path segments seen in IRIs of this kind (``{base}id/{segment}/{slug}``)
    aliases: tuple[str, ...] = ()

    @property
    def segments(self) -> tuple[str, ...]:
        return (self.singular, *self.aliases)

    def type_pattern(self, var: str = "s") -> str:
        """A SPARQL group matching instances of this kind in ``?var``."""
        pattern = f"?{var} a ?{var}_class . {values_list(f'{var}_class', self.classes)}"
        if self.excluded:
            pattern += (f" FILTER NOT EXISTS {{ ?{var} a ?{var}_other . "
                        f"{values_list(f'{var}_other', self.excluded)} }}")
        return pattern

    def matches(self, types: Iterable[Node]) -> bool:
        found = set(types)
        return bool(found & set(self.classes)) and not found & set(self.excluded)


DATASPACE_CLASSES = (DSKG.DataSpace,)

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("organisations", "organisation", "Organisations",
             (ORG.Organization, ORG.FormalOrganization, ORG.OrganizationalUnit,
              ORG.OrganizationalCollaboration, FOAF.Organization),
             excluded=DATASPACE_CLASSES, aliases=("organization", "org")),
        Kind("dataspaces", "dataspace", "Data spaces", DATASPACE_CLASSES,
             aliases=("data-space",)),
        Kind("datasets", "dataset", "Datasets", (DCAT.Dataset,)),
        Kind("policies", "policy", "Policies",
             (ODRL.Policy, ODRL.Offer, ODRL.Set, ODRL.Agreement),
             aliases=("offer", "set", "agreement")),
        Kind("memberships", "membership", "Memberships", (ORG.Membership,)),
    )
}

#: Every class that decides a resource's kind (kinds' classes and their exclusions).
KIND_DECIDING_CLASSES = tuple(sorted({c for kind in KINDS.values()
                                      for c in (*kind.classes, *kind.excluded)}))

#: The order in which a resource's kind is decided when its types fit several.
PRECEDENCE = ("dataspaces", "memberships", "datasets", "policies", "organisations")


def kind_named(name: str) -> Kind:
    return KINDS[name]


def kind_for_types(types: Iterable[Node]) -> Kind | None:
    """The kind of a resource with these ``rdf:type`` values, or None."""
    found = set(types)
    for name in PRECEDENCE:
        if KINDS[name].matches(found):
            return KINDS[name]
    return None
