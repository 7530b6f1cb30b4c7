"""Who is writing: bearer tokens mapped to roles.

``DSKG_ADMIN_TOKEN`` is always an admin token. Tokens are compared as SHA-256 digests in
constant time and never logged.
"""

from __future__ import annotations

from kg.errors import Forbidden, Unauthorized
from kg.principals import ROLES, Principal, agent_name, same_digest, token_digest
from kg.settings import Settings
from kg.tokens import lookup

__all__ = ["ROLES", "Principal", "agent_name", "principal_for", "require", "token_digest"]


def principal_for(token: str | None, settings: Settings) -> Principal | None:
    """The principal a bearer token stands for, or None for no/unknown token."""
    if not token:
        return None
    digest = token_digest(token)
    if settings.admin_token and same_digest(digest, token_digest(settings.admin_token)):
        return Principal(subject="admin", role="admin")
    return lookup(digest, settings)


def require(principal: Principal | None, role: str = "admin") -> Principal:
    """Raise 401 without a valid token and 403 when the role is too low."""
    if principal is None:
        raise Unauthorized("this operation needs a bearer token (Authorization: Bearer ...)")
    if ROLES.index(principal.role) < ROLES.index(role):
        raise Forbidden(f"this operation needs the {role} role; your token has {principal.role}")
    return principal
