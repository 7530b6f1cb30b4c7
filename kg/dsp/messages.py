"""Dataspace Protocol 2025-1 messages this node reads and writes: the version response, the
CatalogRequestMessage (checked against what its JSON schema requires) and CatalogError."""

from __future__ import annotations

import json
from typing import Any

DSP_VERSION = "2025-1"
DSP_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
#: Where the HTTPS binding of this version lives, below the node's root.
DSP_PATH = "/dsp"
MEDIA_TYPE = "application/json"


class CatalogErrorResponse(Exception):
    """Answered as a DSP ``CatalogError`` with ``status``."""

    def __init__(self, status: int, code: str, *reasons: str) -> None:
        super().__init__(reasons[0] if reasons else code)
        self.status = status
        self.code = code
        self.reasons = list(reasons)

    def to_json(self) -> dict[str, Any]:
        return {"@context": [DSP_CONTEXT], "@type": "CatalogError", "code": self.code,
                "reason": self.reasons}


def version_response(service_id: str, *, auth: bool) -> dict[str, Any]:
    """``/.well-known/dspace-version``."""
    version: dict[str, Any] = {"version": DSP_VERSION, "path": DSP_PATH, "binding": "HTTPS",
                               "serviceId": service_id}
    if auth:
        version["auth"] = {"protocol": "bearer", "version": "1", "profile": ["dskg-token"]}
    return {"protocolVersions": [version]}


def _has_context(value: Any) -> bool:
    contexts = value if isinstance(value, list) else [value]
    return DSP_CONTEXT in contexts


def read_catalog_request(body: bytes) -> list[Any]:
    """The ``filter`` of a CatalogRequestMessage; CatalogErrorResponse (400) when the body is
    not one. The context may be the DSP context URL alone or an array holding it."""
    try:
        message = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        detail = (f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
                  if isinstance(exc, json.JSONDecodeError) else str(exc))
        raise CatalogErrorResponse(400, "malformed-message",
                                   f"the body is not JSON ({detail})") from None
    if not isinstance(message, dict):
        raise CatalogErrorResponse(400, "malformed-message",
                                   "a CatalogRequestMessage is a JSON object")
    problems = []
    if message.get("@type") not in ("CatalogRequestMessage", "dspace:CatalogRequestMessage"):
        problems.append(f'"@type" must be "CatalogRequestMessage", got {message.get("@type")!r}')
    if not _has_context(message.get("@context")):
        problems.append(f'"@context" must name {DSP_CONTEXT}')
    found = message.get("filter", [])
    if not isinstance(found, list):
        problems.append('"filter" must be an array')
    if problems:
        raise CatalogErrorResponse(400, "malformed-message", *problems)
    return found
