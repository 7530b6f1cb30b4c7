"""Who is writing: bearer tokens mapped to roles.

``DSKG_ADMIN_TOKEN`` is always an admin token. Tokens are compared as SHA-256 digests in
constant time and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from kg.errors import Forbidden, Unauthorized
from kg.settings import Settings

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


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def principal_for(token: str | None, settings: Settings) -> Principal | None:
    """The principal a bearer token stands for, or None for no/unknown token."""
    if not token:
        return None
    digest = token_digest(token)
    if settings.admin_token and _same(digest, token_digest(settings.admin_token)):
        return Principal(subject="admin", role="admin")
    from kg.tokens import lookup

    return lookup(digest, settings)


def require(principal: Principal | None, role: str = "admin") -> Principal:
    """Raise 401 without a valid token and 403 when the role is too low."""
    if principal is None:
        raise Unauthorized("this operation needs a bearer token (Authorization: Bearer ...)")
    if ROLES.index(principal.role) < ROLES.index(role):
        raise Forbidden(f"this operation needs the {role} role; your token has {principal.role}")
    return principal
