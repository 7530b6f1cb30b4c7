"""Configuration from the environment (and, for federation, a TOML file named by DSKG_CONFIG).

Checked once at start: a wrong value is a ConfigError naming the variable.
"""

from __future__ import annotations

import ipaddress
import math
import os
import tomllib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kg.errors import ConfigError


def _default_store_path() -> str:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(data_home) / "dskg" / "store")


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw in ("1", "true", "yes", "on") or (not raw and default):
        return True
    if raw in ("0", "false", "no", "off") or not raw:
        return False
    raise ConfigError(f"{name} must be true or false (1/0, yes/no), got {env.get(name)!r}")


def _store_password(env: dict[str, str]) -> tuple[str | None, str]:
    """The engine password, from DSKG_STORE_PASSWORD or the file DSKG_STORE_PASSWORD_FILE
    names (a secret mounted by the orchestrator); and which of them gave it."""
    path = env.get("DSKG_STORE_PASSWORD_FILE") or None
    if path:
        if env.get("DSKG_STORE_PASSWORD"):
            raise ConfigError("set DSKG_STORE_PASSWORD or DSKG_STORE_PASSWORD_FILE, not both")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"DSKG_STORE_PASSWORD_FILE cannot be read: {path} "
                              f"({exc.strerror})") from None
        return text.rstrip("\r\n"), "DSKG_STORE_USER / DSKG_STORE_PASSWORD_FILE"
    return env.get("DSKG_STORE_PASSWORD") or None, "DSKG_STORE_USER / DSKG_STORE_PASSWORD"


def _list(env: dict[str, str], name: str) -> list[str]:
    return [part.strip() for part in env.get(name, "").split(",") if part.strip()]


def _gaiax(env: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """Gaia-X signing and trust settings, checked here so a typo stops the start."""
    trust = env.get("DSKG_GAIAX_TRUST_DIR") or None
    key = env.get("DSKG_GAIAX_KEY") or None
    did = env.get("DSKG_GAIAX_DID") or None
    if trust and not Path(trust).is_dir():
        raise ConfigError(f"DSKG_GAIAX_TRUST_DIR is not a directory: {trust}")
    if key and not Path(key).is_file():
        raise ConfigError(f"DSKG_GAIAX_KEY names a missing file: {key}")
    if bool(key) != bool(did):
        raise ConfigError("DSKG_GAIAX_KEY and DSKG_GAIAX_DID must be set together")
    if did and not did.startswith("did:"):
        raise ConfigError(f"DSKG_GAIAX_DID must be a DID (did:web:...), got {did!r}")
    return trust, key, did


#: Hosts a server may bind without a configured public URL.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


@dataclass
class Settings:
    """Everything configurable. Build with :meth:`from_env`; tests build it directly."""

    store: str = "memory"
    store_update_url: str | None = None
    store_gsp_url: str | None = None
    #: Credentials for an engine that wants them (never shown: repr=False).
    store_user: str | None = None
    store_password: str | None = field(default=None, repr=False)
    store_password_source: str = "DSKG_STORE_USER / DSKG_STORE_PASSWORD"
    store_token: str | None = field(default=None, repr=False)
    #: Triples per update request to a remote engine (bigger writes are split, journaled).
    store_chunk: int = 1000
    #: Graph Store POSTs under way at once when a bulk load writes to a remote engine.
    store_gsp_workers: int = 4
    #: Seconds within which a write by another process on the same remote engine reaches
    #: this process's searches and page caches.
    shared_refresh: float = 2.0
    base_iri: str = "http://127.0.0.1:8000/"
    admin_token: str | None = None
    query_timeout: float = 10.0
    result_limit: int = 100_000
    #: Engine queries at once (embedded store: forked worker processes, kg.store.workers).
    query_concurrency: int = 8
    max_body_bytes: int = 20 * 1024 * 1024
    service_allow: list[str] = field(default_factory=list)
    load_default_graph: bool = True
    cors_origins: list[str] = field(default_factory=list)
    #: Keep the in-process text index for search (kg.services.textindex); off, searches
    #: read the store's text each time (for a remote store too big to index in memory).
    text_index: bool = True
    config_path: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    gaiax_trust_dir: str | None = None
    gaiax_key: str | None = None
    gaiax_did: str | None = None
    #: True when the base IRI was configured (DSKG_BASE_IRI or [node] base_iri), not the
    #: default: `serve` then keeps it instead of deriving it from its host and port.
    base_iri_configured: bool = False
    #: Failed bearer tokens a client address may send within ``auth_window`` seconds before
    #: it is answered 429 (api/ratelimit.py).
    auth_failures: int = 10
    auth_window: float = 60.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        base = env.get("DSKG_BASE_IRI") or cls.base_iri
        if not base.startswith(("http://", "https://")):
            raise ConfigError(f"DSKG_BASE_IRI must be an http(s) IRI, got {base!r}")
        if not base.endswith(("/", "#")):
            base += "/"
        store = env.get("DSKG_STORE") or _default_store_path()
        config_path = env.get("DSKG_CONFIG") or None
        config: dict[str, Any] = {}
        if config_path:
            try:
                config = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise ConfigError(f"DSKG_CONFIG names a missing file: {config_path}") from None
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"DSKG_CONFIG {config_path} is not valid TOML: {exc}") from None
            node = config.get("node", {})
            if node.get("base_iri") and not env.get("DSKG_BASE_IRI"):
                base = str(node["base_iri"])
        settings = cls(
            store=store,
            store_update_url=env.get("DSKG_STORE_UPDATE_URL") or None,
            store_gsp_url=env.get("DSKG_STORE_GSP_URL") or None,
            store_user=env.get("DSKG_STORE_USER") or None,
            store_token=env.get("DSKG_STORE_TOKEN") or None,
            store_chunk=_int(env, "DSKG_STORE_CHUNK", cls.store_chunk),
            store_gsp_workers=_int(env, "DSKG_STORE_GSP_WORKERS", cls.store_gsp_workers),
            shared_refresh=_float(env, "DSKG_SHARED_REFRESH", cls.shared_refresh),
            base_iri=base,
            admin_token=env.get("DSKG_ADMIN_TOKEN") or None,
            query_timeout=_float(env, "DSKG_QUERY_TIMEOUT", cls.query_timeout),
            result_limit=_int(env, "DSKG_RESULT_LIMIT", cls.result_limit),
            query_concurrency=_int(env, "DSKG_QUERY_CONCURRENCY", cls.query_concurrency),
            max_body_bytes=_int(env, "DSKG_MAX_BODY_BYTES", cls.max_body_bytes),
            service_allow=_list(env, "DSKG_SERVICE_ALLOW"),
            load_default_graph=_bool(env, "DSKG_DEFAULT_GRAPH", True),
            cors_origins=_list(env, "DSKG_CORS_ORIGINS"),
            text_index=_bool(env, "DSKG_TEXT_INDEX", True),
            config_path=config_path,
            config=config,
            base_iri_configured=bool(env.get("DSKG_BASE_IRI")
                                     or config.get("node", {}).get("base_iri")),
            auth_failures=_int(env, "DSKG_AUTH_FAILURES", cls.auth_failures),
            auth_window=_float(env, "DSKG_AUTH_WINDOW", cls.auth_window),
        )
        settings.store_password, settings.store_password_source = _store_password(env)
        if settings.store_password is not None and not settings.store_user:
            raise ConfigError("DSKG_STORE_PASSWORD needs DSKG_STORE_USER")
        if settings.store_user and settings.store_password is None:
            raise ConfigError("DSKG_STORE_USER needs DSKG_STORE_PASSWORD or "
                              "DSKG_STORE_PASSWORD_FILE")
        settings.gaiax_trust_dir, settings.gaiax_key, settings.gaiax_did = _gaiax(env)
        # Peers' SPARQL endpoints are what SERVICE may call (federation issue).
        for peer in config.get("peers", []):
            if peer.get("sparql"):
                settings.service_allow.append(str(peer["sparql"]))
        return settings

    def for_server(self, host: str, port: int) -> Settings:
        """The settings of a server bound to ``host``:``port``. Without a configured base
        IRI, a server on loopback names its resources after its own address; one beyond
        loopback refuses to guess its public URL (ConfigError)."""
        if self.base_iri_configured:
            return self
        if host.lower() not in LOOPBACK_HOSTS:
            raise ConfigError(
                f"serving on {host} (beyond loopback) needs the node's public URL, which "
                "names every resource it creates: set DSKG_BASE_IRI (e.g. "
                "https://kg.example.org/) or base_iri in the node table of DSKG_CONFIG")
        where = f"[{host}]" if ":" in host else host
        return replace(self, base_iri=f"http://{where}:{port}/")

    @property
    def store_is_remote(self) -> bool:
        return self.store.startswith(("http://", "https://"))

    @property
    def node_name(self) -> str:
        return str(self.config.get("node", {}).get("name", "dskg"))


#: An admin token must have at least this many characters and estimated bits.
TOKEN_MIN_LENGTH = 24
TOKEN_MIN_BITS = 96.0


def token_weakness(token: str) -> str | None:
    """Why ``token`` is too weak for an admin secret, or None. The estimate is the token's
    length times the Shannon entropy of its characters: it does not know dictionaries, but a
    short word with digits, a repeated pattern or a small alphabet all fall below the bar,
    and ``secrets.token_urlsafe(32)`` (43 characters, about 190 bits) is far above it."""
    if len(token) < TOKEN_MIN_LENGTH:
        return f"it has {len(token)} characters, fewer than {TOKEN_MIN_LENGTH}"
    counts = Counter(token)
    per_char = -sum(n / len(token) * math.log2(n / len(token)) for n in counts.values())
    bits = max(0.0, per_char * len(token))
    if bits < TOKEN_MIN_BITS:
        return f"it carries about {bits:.0f} bits of entropy, fewer than {TOKEN_MIN_BITS:.0f}"
    return None


def is_loopback(host: str) -> bool:
    """True when ``host`` (a bind address or name) only reaches this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve anywhere


def check_admin_token(settings: Settings, host: str) -> str | None:
    """Refuse (ConfigError) a weak DSKG_ADMIN_TOKEN when serving beyond loopback; on
    loopback, return a warning to print instead (None when the token is fine or unset)."""
    if not settings.admin_token:
        return None
    weakness = token_weakness(settings.admin_token)
    if weakness is None:
        return None
    advice = ("use a random one, e.g. python -c 'import secrets; "
              "print(secrets.token_urlsafe(32))'")
    if not is_loopback(host):
        raise ConfigError(f"DSKG_ADMIN_TOKEN is too weak to serve on {host}: {weakness}; "
                          f"{advice}")
    return (f"DSKG_ADMIN_TOKEN is weak ({weakness}): accepted on loopback only; {advice}")
