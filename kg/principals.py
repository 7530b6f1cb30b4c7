"""Principals: who a token stands for (role, data spaces, jurisdiction) and the digests
tokens are kept and compared as.

Shared by ``kg.auth`` (which checks a request's token) and ``kg.tokens`` (the issued tokens
file); neither imports the other's internals.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

#: In order of rights: each role may do what the ones before it may (an applicant may only
#: submit; an authority writes what its tier and country govern: DESIGN 4a).
ROLES = ("reader", "applicant", "steward", "authority", "admin")


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    dataspaces: frozenset[str] = field(default_factory=frozenset)
    #: an authority's jurisdiction: "EU" or an ISO 3166-1 alpha-2 country code
    jurisdiction: str | None = None
    #: the name provenance records give this principal's writes (``agent``)
    pseudonym: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def agent(self) -> str:
        """Who wrote, as the public provenance says it: the role and a short hash of the
        token, never the token's subject (readers see the role; admins resolve the subject
        with ``dskg token list``: issue 22)."""
        return self.pseudonym or self.subject


def agent_name(role: str, digest: str) -> str:
    """The public name of a token's writes: its role and the first 12 hex digits of the
    token's SHA-256 (which says nothing about the token a guess could use)."""
    return f"{role}-{digest[:12]}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_digest(a: str, b: str) -> bool:
    """Compare two digests in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())
