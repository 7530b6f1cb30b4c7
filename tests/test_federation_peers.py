"""Peer configuration: the [[peers]] tables of DSKG_CONFIG, checked at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import ConfigError, NotFound
from kg.federation.peers import find_peer, load_peers, parse_every
from kg.settings import Settings


def settings_with(tmp_path: Path, text: str) -> Settings:
    config = tmp_path / "node.toml"
    config.write_text('[node]\nname = "es"\n' + text, encoding="utf-8")
    return Settings.from_env(environ={"DSKG_CONFIG": str(config), "DSKG_STORE": "memory"})


def test_peers_from_toml(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, """
[[peers]]
name = "agri"
catalog = "http://127.0.0.1:8101/catalog"
sparql = "http://127.0.0.1:8101/sparql"
every = "15m"
take = ["https://example.org/id/dataspace/agri"]

[[peers]]
name = "eu-registry"
sparql = "https://registry.example.eu/sparql"
harvest = "none"
trust = true
timeout = 5
""")
    agri, registry = load_peers(settings)
    assert (agri.name, agri.harvest, agri.every, agri.trust) == ("agri", "catalog", 900.0, False)
    assert agri.source == "http://127.0.0.1:8101/catalog"
    assert agri.take == ("https://example.org/id/dataspace/agri",)
    assert (registry.harvest, registry.trust, registry.timeout, registry.source) == (
        "none", True, 5.0, None)
    # Only the peers' SPARQL endpoints are what SERVICE may call.
    assert settings.service_allow == ["http://127.0.0.1:8101/sparql",
                                      "https://registry.example.eu/sparql"]
    assert find_peer(settings, "agri") == agri
    with pytest.raises(NotFound, match="eu-registry"):
        find_peer(settings, "nope")


def test_a_peer_only_allows_its_own_servers(tmp_path: Path) -> None:
    [peer] = load_peers(settings_with(tmp_path, """
[[peers]]
name = "agri"
catalog = "http://127.0.0.1:8101/catalog"
sparql = "https://sparql.example.org/query"
"""))
    assert peer.allows("http://127.0.0.1:8101/catalog?page=2")
    assert peer.allows("https://sparql.example.org:443/other")
    assert not peer.allows("http://127.0.0.1:8102/catalog")
    assert not peer.allows("http://localhost:8101/catalog")
    assert not peer.allows("https://127.0.0.1:8101/catalog")
    assert not peer.allows("file:///etc/passwd")


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30.0), ("15m", 900.0), ("2h", 7200.0),
                                               ("1d", 86400.0), (" 1.5 m ", 90.0)])
def test_parse_every(text: str, seconds: float) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["15", "fortnightly", "1s", "5 minutes", ""])
def test_parse_every_refuses(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_every(text)


@pytest.mark.parametrize(("table", "message"), [
    ('name = "a b"\ncatalog = "http://x/c"', "name must be"),
    ('name = "a"', "catalog URL, a sparql URL or both"),
    ('name = "a"\ncatalog = "ftp://x/c"', "http(s) URL"),
    ('name = "a"\ncatalog = "http://x/c"\nharvest = "mirror"', "harvest must be one of"),
    ('name = "a"\nsparql = "http://x/s"\nharvest = "dsp"', "needs a catalog URL"),
    ('name = "a"\ncatalog = "http://x/c"\ntrust = "yes"', "trust is true or false"),
    ('name = "a"\ncatalog = "http://x/c"\nevery = "1x"', "schedule"),
    ('name = "a"\ncatalog = "http://x/c"\ncatlog = "http://x/c"', "unknown key(s) catlog"),
    ('name = "a"\ncatalog = "http://x/c"\ntimeout = -1', "timeout"),
    ('name = "a"\ncatalog = "http://x/c"\ntake = "x"', "take is a list"),
])
def test_bad_peer_tables(tmp_path: Path, table: str, message: str) -> None:
    settings = settings_with(tmp_path, f"[[peers]]\n{table}\n")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_peers(settings)


def test_peer_names_are_unique(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, '[[peers]]\nname = "a"\ncatalog = "http://x/c"\n'
                                       '[[peers]]\nname = "a"\nsparql = "http://y/s"\n')
    with pytest.raises(ConfigError, match="unique: a"):
        load_peers(settings)


def test_no_config_means_no_peers() -> None:
    assert load_peers(Settings(store="memory")) == []
