"""The service layer over the store: what the REST API, the web pages and the CLI share.

Routes stay thin: they negotiate formats, read bodies and map results to HTTP; everything a
resource *is* (its id, its description, who may write it, what references it, its place in
the governance chain, its DCAT-AP record) is decided here.
"""

from kg.services.catalog import build_catalog
from kg.services.context import ServiceContext
from kg.services.documents import Document, entity_tag, serialize
from kg.services.governance import governance_chain
from kg.services.kinds import KINDS, Kind
from kg.services.listing import Filters, Page, list_resources
from kg.services.resources import (
    ResourceView,
    dereference,
    get_resource,
    resource_view,
    stewardship_headers,
)
from kg.services.tiers import tiers_with_counts
from kg.services.writes import WriteOutcome, create, delete, replace

__all__ = [
    "KINDS",
    "Document",
    "Filters",
    "Kind",
    "Page",
    "ResourceView",
    "ServiceContext",
    "WriteOutcome",
    "build_catalog",
    "create",
    "delete",
    "dereference",
    "entity_tag",
    "get_resource",
    "governance_chain",
    "list_resources",
    "replace",
    "resource_view",
    "serialize",
    "stewardship_headers",
    "tiers_with_counts",
]
