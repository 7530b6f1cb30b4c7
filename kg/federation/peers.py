"""Peers: the other nodes this node harvests from and may query, read from ``[[peers]]``.

    [[peers]]
    name = "spain"                                  # letters, digits, '-' and '_'
    catalog = "https://datos.example.es/catalog"    # a DCAT catalog (or a DSP catalog endpoint)
    sparql = "https://datos.example.es/sparql"      # what SERVICE and --federated may call
    every = "15m"                                   # background harvest in `dskg serve`
    trust = false                                   # true: land without our shapes
    harvest = "catalog"                             # catalog | dsp | sparql | none
    take = ["https://example.org/id/dataspace/agri"]  # only descriptions mentioning these
    timeout = 30                                    # seconds per request
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from kg.errors import ConfigError, NotFound
from kg.ownership import TIER_NAMES, Writer
from kg.settings import Settings

HARVEST_MODES = ("catalog", "dsp", "sparql", "none")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: The shortest schedule accepted: a harvest more often than this would hammer the peer.
MIN_EVERY_SECONDS = 10.0
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_KNOWN_KEYS = {"name", "catalog", "sparql", "every", "trust", "harvest", "take", "timeout",
               "tiers", "namespaces",
               "max_bytes"}


def parse_every(text: str) -> float:
    """Seconds in a schedule such as ``"30s"``, ``"15m"``, ``"2h"`` or ``"1d"``."""
    match = _EVERY.match(str(text))
    if match is None:
        raise ConfigError(f"a schedule is a number and a unit (s, m, h, d), e.g. \"15m\"; "
                          f"got {text!r}")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < MIN_EVERY_SECONDS:
        raise ConfigError(f"a harvest schedule must be at least {MIN_EVERY_SECONDS:g} s; "
                          f"got {text!r}")
    return seconds


def origin_of(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL: what 'the same server' means for redirects."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, (parts.hostname or "").lower(), port


@dataclass(frozen=True)
class Peer:
    """One configured peer node."""

    name: str
    catalog: str | None = None
    sparql: str | None = None
    every: float | None = None
    trust: bool = False
    harvest: str = "catalog"
    take: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    origins: frozenset[tuple[str, str, int]] = field(default_factory=frozenset)
    #: the tiers its descriptions may assert ("eu", "national", "project"; DESIGN 4a)
    tiers: tuple[str, ...] = ("project",)
    #: the IRI namespaces it owns (empty: any IRI that is not this node's or a shared term)
    namespaces: tuple[str, ...] = ()

    def writer(self) -> Writer:
        """The write path's view of this peer: what it may own and assert."""
        return Writer(role="peer", name=self.name, namespaces=self.namespaces,
                      tiers=frozenset(TIER_NAMES[t] for t in self.tiers))

    @property
    def source(self) -> str | None:
        """The URL harvested from (recorded as ``dskg:harvestedFrom``)."""
        if self.harvest in ("catalog", "dsp"):
            return self.catalog
        if self.harvest == "sparql":
            return self.sparql
        return None

    def allows(self, url: str) -> bool:
        """True when ``url`` is on one of this peer's configured servers."""
        return urlsplit(url).scheme in ("http", "https") and origin_of(url) in self.origins


def _url(raw: Any, what: str) -> str:
    if not isinstance(raw, str) or urlsplit(raw).scheme not in ("http", "https") \
            or not urlsplit(raw).hostname:
        raise ConfigError(f"{what} must be an http(s) URL, got {raw!r}")
    return raw


def peer_from_table(table: dict[str, Any], index: int) -> Peer:
    """Build and check one ``[[peers]]`` table (ConfigError naming what is wrong)."""
    name = table.get("name")
    where = f"[[peers]] #{index + 1}" + (f" ({name})" if name else "")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{where}: name must be letters, digits, '-' or '_', got {name!r}")
    unknown = set(table) - _KNOWN_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(sorted(_KNOWN_KEYS))}")
    catalog = _url(table["catalog"], f"{where}: catalog") if "catalog" in table else None
    sparql = _url(table["sparql"], f"{where}: sparql") if "sparql" in table else None
    if catalog is None and sparql is None:
        raise ConfigError(f"{where}: give a catalog URL, a sparql URL or both")
    harvest = table.get("harvest") or ("catalog" if catalog else "sparql")
    if harvest not in HARVEST_MODES:
        raise ConfigError(f"{where}: harvest must be one of {', '.join(HARVEST_MODES)}, "
                          f"got {harvest!r}")
    if harvest in ("catalog", "dsp") and catalog is None:
        raise ConfigError(f"{where}: harvest = {harvest!r} needs a catalog URL")
    if harvest == "sparql" and sparql is None:
        raise ConfigError(f"{where}: harvest = 'sparql' needs a sparql URL")
    trust = table.get("trust", False)
    if not isinstance(trust, bool):
        raise ConfigError(f"{where}: trust is true or false, got {trust!r}")
    take = table.get("take", [])
    if not isinstance(take, list) or not all(isinstance(t, str) for t in take):
        raise ConfigError(f"{where}: take is a list of IRIs")
    timeout = table.get("timeout", DEFAULT_TIMEOUT)
    max_bytes = table.get("max_bytes", DEFAULT_MAX_BYTES)
    if not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"{where}: timeout is a positive number of seconds")
    if not isinstance(max_bytes, int) or max_bytes <= 0:
        raise ConfigError(f"{where}: max_bytes is a positive integer")
    every = parse_every(table["every"]) if table.get("every") else None
    origins = frozenset(origin_of(u) for u in (catalog, sparql) if u)
    tiers = table.get("tiers", ["project"])
    if not isinstance(tiers, list) or not tiers or any(t not in TIER_NAMES for t in tiers):
        raise ConfigError(f"{where}: tiers is a list of {', '.join(TIER_NAMES)}, got {tiers!r}")
    namespaces = table.get("namespaces", [])
    if not isinstance(namespaces, list) or not all(
            isinstance(n, str) and urlsplit(n).scheme in ("http", "https") for n in namespaces):
        raise ConfigError(f"{where}: namespaces is a list of http(s) IRI prefixes")
    return Peer(name=name, catalog=catalog, sparql=sparql, every=every, trust=trust,
                harvest=harvest, take=tuple(take), timeout=float(timeout), max_bytes=max_bytes,
                origins=origins, tiers=tuple(tiers), namespaces=tuple(namespaces))


def load_peers(settings: Settings) -> list[Peer]:
    """The peers of ``settings.config`` (checked; names unique)."""
    tables = settings.config.get("peers", [])
    if not isinstance(tables, list):
        raise ConfigError("peers must be an array of tables ([[peers]])")
    peers = [peer_from_table(t, i) for i, t in enumerate(tables)]
    names = [p.name for p in peers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"peer names must be unique: {', '.join(duplicates)}")
    return peers


def find_peer(settings: Settings, name: str) -> Peer:
    for peer in load_peers(settings):
        if peer.name == name:
            return peer
    known = ", ".join(p.name for p in load_peers(settings)) or "none configured"
    raise NotFound(f"no peer named {name!r} (peers: {known})", peer=name)
