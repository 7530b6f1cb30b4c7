"""Issued tokens (stewards, readers, more admins), kept hashed in a JSON file.

The file is ``DSKG_TOKENS_FILE`` or ``<store directory>.tokens.json`` beside the on-disk store
(one file per store: two nodes never share tokens); it holds only SHA-256 digests, never a
token itself.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path

from kg.errors import BadRequest, ConfigError
from kg.principals import ROLES, Principal, agent_name, same_digest, token_digest
from kg.settings import Settings


def tokens_file(settings: Settings) -> Path | None:
    explicit = os.environ.get("DSKG_TOKENS_FILE")
    if explicit:
        return Path(explicit)
    if settings.store in ("memory",) or settings.store_is_remote:
        return None
    store = Path(settings.store)
    return store.with_name(store.name + ".tokens.json")


def legacy_tokens_file(settings: Settings) -> Path | None:
    """Where earlier versions kept tokens (shared by every store in the same folder)."""
    if settings.store in ("memory",) or settings.store_is_remote:
        return None
    return Path(settings.store).parent / "tokens.json"


def _read(path: Path | None) -> list[dict]:
    """The entries of the token file; ConfigError (never a guess) when it is damaged."""
    if path is None or not path.exists():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"the token file {path} is not valid JSON (line {exc.lineno}, "
                          f"column {exc.colno}): restore it from a backup or remove it and "
                          "issue the tokens again") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the token file {path} cannot be read: {exc}") from None
    if not isinstance(entries, list) or not all(
            isinstance(e, dict) and {"sha256", "subject", "role"} <= e.keys()
            for e in entries):
        raise ConfigError(f"the token file {path} is not a list of token entries "
                          "(sha256, subject, role)")
    return entries


def check_tokens_file(settings: Settings) -> int:
    """Read the token file once (at start-up, so a damaged file stops the server with a
    clear message instead of failing each request). Returns how many tokens it holds."""
    path, legacy = tokens_file(settings), legacy_tokens_file(settings)
    if (path is not None and legacy is not None and legacy.exists() and not path.exists()
            and not os.environ.get("DSKG_TOKENS_FILE")):
        logging.getLogger("dskg").warning(
            "tokens are no longer read from %s (shared by every store in that folder); move "
            "this store's tokens to %s or issue them again", legacy, path)
    return len(_read(path))


def lookup(digest: str, settings: Settings) -> Principal | None:
    for entry in _read(tokens_file(settings)):
        if same_digest(digest, entry["sha256"]):
            return Principal(subject=entry["subject"], role=entry["role"],
                             dataspaces=frozenset(entry.get("dataspaces", [])),
                             jurisdiction=entry.get("jurisdiction"),
                             pseudonym=agent_name(entry["role"], entry["sha256"]))
    return None


def issued(settings: Settings) -> list[dict]:
    """The tokens issued for this node (subject, role, scope, the agent name their writes
    carry), never their digests."""
    return [{"subject": e["subject"], "role": e["role"],
             "dataspaces": e.get("dataspaces", []), "jurisdiction": e.get("jurisdiction"),
             "agent": agent_name(e["role"], e["sha256"])}
            for e in _read(tokens_file(settings)) if "sha256" in e]


def subject_of(settings: Settings, agent: str) -> str | None:
    """The token subject behind an agent name of the provenance (for admins)."""
    return next((e["subject"] for e in issued(settings) if e["agent"] == agent), None)


def create_token(settings: Settings, role: str, subject: str,
                 dataspaces: list[str] | None = None, jurisdiction: str | None = None) -> str:
    """Issue a token, store its digest, and return the token (shown once)."""
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if role == "steward" and not dataspaces:
        raise BadRequest("a steward token needs at least one --dataspace")
    if role == "authority":
        code = (jurisdiction or "").upper()
        if not (code == "EU" or (len(code) == 2 and code.isalpha())):
            raise BadRequest("an authority token needs --country: EU for the EU tier, or an "
                             "ISO 3166-1 alpha-2 country code (ES, DE, ...)")
        jurisdiction = code
    elif jurisdiction:
        raise BadRequest("--country goes with --role authority")
    path = tokens_file(settings)
    if path is None:
        raise BadRequest("no token file: set DSKG_TOKENS_FILE (the store is not on disk)")
    token = secrets.token_urlsafe(32)
    entries = _read(path)
    entry = {"subject": subject, "role": role, "dataspaces": dataspaces or [],
             "sha256": token_digest(token)}
    if jurisdiction:
        entry["jurisdiction"] = jurisdiction
    entries.append(entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, indent=2), encoding="utf-8")
    tmp.replace(path)
    return token
