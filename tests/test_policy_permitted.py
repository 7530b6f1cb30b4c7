"""``GET /datasets?may=...``: the datasets a request is permitted on, equal to single
decisions (default graph and random catalogs), with paging, filters, the CLI and errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
from rdflib import URIRef
from typer.testing import CliRunner

from harness.servers import serve_app
from kg.policy.cache import PolicyCache
from kg.policy.request import build_request
from kg.policy.source import PolicyEngine, StoreSource
from kg.services.context import ServiceContext
from kg.services.listing import Filters
from kg.services.permitted import Question, candidates, permitted
from kg.settings import Settings
from kg.store import Store
from kg.store.embedded import EmbeddedStore
from tests.policy_worlds import questions, shaped_world, world

FIXTURES = Path(__file__).parent / "fixtures" / "policy"
T = "https://example.org/t/"
NOBODY = "https://w3id.org/dskg/id/organisation/nobody-in-particular"


def _ctx(store: Store) -> ServiceContext:
    return ServiceContext(store, Settings(store="memory", base_iri="http://127.0.0.1:8000/",
                                          load_default_graph=False))


def _single(store: Store, question: Question, targets: list[URIRef]) -> dict[URIRef, tuple]:
    """Each target decided alone, through a fresh cache (nothing shared with the list)."""
    engine = PolicyEngine(StoreSource(store, cache=PolicyCache(store)))
    out = {}
    for target in targets:
        decision = engine.evaluate(question.request(str(target)))
        rules = decision.deciding.deciding if decision.deciding else []
        out[target] = (decision.decision, [r.rule.id for r in rules])
    return out


def _check_equal(store: Store, question: Question) -> Counter[str]:
    ctx = _ctx(store)
    targets = candidates(ctx, Filters())
    page = permitted(ctx, Filters(), question, limit=1000)
    single = _single(store, question, targets)
    expected = [str(t) for t in targets if single[t][0] == "permit"]
    assert [item["@id"] for item in page.items] == expected
    assert page.total == len(expected)
    for item in page.items:
        assert item["decision"] == "permit"
        assert item["deciding"]["rules"] == single[URIRef(item["@id"])][1]
    return Counter(d for d, _ in single.values())


def test_random_catalogs_equal_single_decisions() -> None:
    seen: Counter[str] = Counter()
    for seed in range(8):
        store = EmbeddedStore()
        store.import_quads(world(seed).encode(), "turtle", to_graph=URIRef("urn:test:world"))
        for spec in questions(seed):
            seen += _check_equal(store, Question(
                str(spec["assignee"]), str(spec["action"]),
                spec["purpose"], spec["at"], spec["spatial"],  # type: ignore[arg-type]
                tuple(spec["duties_done"])))  # type: ignore[arg-type]
    # the catalogs exercise every answer
    assert seen["deny"] >= 20 and seen["permit"] >= 20 and seen["not-applicable"] >= 5, seen


def test_shared_shapes_equal_single_decisions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Datasets with offers of their own in a few shapes: the list decides one per shape
    (far fewer decisions than datasets) and still equals every single decision."""
    asked: list[int] = []
    many = PolicyEngine.evaluate_many

    def counting(self: PolicyEngine, requests: list) -> list:  # type: ignore[type-arg]
        asked.append(len(requests))
        return many(self, requests)

    seen: Counter[str] = Counter()
    for seed in range(2):
        store = EmbeddedStore()
        store.import_quads(shaped_world(seed).encode(), "turtle",
                           to_graph=URIRef("urn:test:shaped"))
        specs = [*questions(seed, count=3),
                 {"assignee": "https://example.org/w/org1", "action": "odrl:use",
                  "purpose": None, "spatial": None, "at": "2025-01-01T00:00:00Z",
                  "duties_done": ["https://example.org/w/d7-duty"]}]
        for spec in specs:
            question = Question(str(spec["assignee"]), str(spec["action"]),
                                spec["purpose"], spec["at"], spec["spatial"],  # type: ignore[arg-type]
                                tuple(spec["duties_done"]))  # type: ignore[arg-type]
            asked.clear()
            monkeypatch.setattr(PolicyEngine, "evaluate_many", counting)
            permitted(_ctx(store), Filters(), question, limit=1)
            monkeypatch.setattr(PolicyEngine, "evaluate_many", many)
            assert 0 < sum(asked) < 100, asked  # 160 datasets, a few dozen shapes
            seen += _check_equal(store, question)
    assert seen["deny"] >= 20 and seen["permit"] >= 20 and seen["not-applicable"] >= 5, seen


def test_default_graph_equals_single_decisions(default_store: Store) -> None:
    seen: Counter[str] = Counter()
    for action, spatial in (("odrl:use", None), ("odrl:distribute", "US"),
                            ("odrl:read", "ES")):
        seen += _check_equal(default_store, Question(NOBODY, action, spatial=spatial,
                                                     at="2025-06-01T00:00:00Z"))
    assert sum(seen.values()) >= 10


@pytest.fixture
def tiers_store() -> Store:
    store = EmbeddedStore()
    store.import_quads((FIXTURES / "tiers.ttl").read_bytes(), "turtle",
                       to_graph=URIRef("urn:test:tiers"))
    return store


def test_http_list_paging_filters_and_errors(tiers_store: Store) -> None:
    from api.app import create_app

    settings = Settings(store="memory", base_iri="http://127.0.0.1:8000/",
                        load_default_graph=False)
    with serve_app(create_app(settings, tiers_store)) as base:
        ask = {"may": "odrl:read", "assignee": f"{T}uniB", "purpose": f"{T}CancerResearch",
               "dutiesDone": "odrl:attribute", "at": "2025-05-01T00:00:00Z"}
        body = httpx.get(f"{base}/datasets", params=ask).json()
        ids = [item["@id"] for item in body["items"]]
        # d-open: no offer, the rulebook lets members use; d-records: the offer's research
        # permission (duty done); d-stats: read for anyone; d-registry: the DGA tier
        # permission needs a secure environment the request does not name.
        assert ids == [f"{T}d-open", f"{T}d-records", f"{T}d-stats"]
        assert body["total"] == 3
        assert body["items"][0]["deciding"]["rules"] == [f"{T}rb-members-use"]
        assert body["items"][1]["deciding"]["rules"] == [f"{T}records-research"]
        assert body["items"][1]["label"]
        first = httpx.get(f"{base}/datasets", params={**ask, "limit": 1})
        assert first.json()["total"] == 3 and len(first.json()["items"]) == 1
        assert 'rel="next"' in first.headers["link"]
        second = httpx.get(f"{base}/datasets", params={**ask, "limit": 1, "offset": 1}).json()
        assert [i["@id"] for i in second["items"]] == [f"{T}d-records"]
        # without the duty the records offer does not grant
        undone = httpx.get(f"{base}/datasets", params={**ask, "dutiesDone": ""}).json()
        assert [i["@id"] for i in undone["items"]] == [f"{T}d-open", f"{T}d-stats"]
        # a write changes the answer at once (the store's change event clears the cache)
        tiers_store.update("PREFIX odrl: <http://www.w3.org/ns/odrl/2/> INSERT DATA { "
                           f"GRAPH <urn:test:more> {{ <{T}offer-stats> odrl:prohibition [ "
                           "odrl:action odrl:read ] } }")
        after = httpx.get(f"{base}/datasets", params=ask).json()
        assert [i["@id"] for i in after["items"]] == [f"{T}d-open", f"{T}d-records"]
        # another filter combines: a publisher nobody matches
        none = httpx.get(f"{base}/datasets", params={**ask, "q": "no-such-words"}).json()
        assert none["total"] == 0
        bad = httpx.get(f"{base}/datasets", params={"may": "odrl:read"})
        assert bad.status_code == 400 and "assignee" in bad.json()["detail"]
        bad_at = httpx.get(f"{base}/datasets", params={**ask, "at": "yesterday"})
        assert bad_at.status_code == 400


def test_cli_all_targets(tiers_store: Store, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from kg.cli import app

    data = tmp_path / "store"
    on_disk = EmbeddedStore(data)
    on_disk.import_quads((FIXTURES / "tiers.ttl").read_bytes(), "turtle",
                         to_graph=URIRef("urn:test:tiers"))
    on_disk.close()
    monkeypatch.setenv("DSKG_STORE", str(data))
    monkeypatch.setenv("DSKG_DEFAULT_GRAPH", "false")
    result = CliRunner().invoke(app, [
        "evaluate", "--assignee", f"{T}uniB", "--action", "odrl:read", "--all-targets",
        "--purpose", f"{T}CancerResearch", "--duty-done", "odrl:attribute",
        "--at", "2025-05-01T00:00:00Z", "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert [i["@id"] for i in body["items"]] == [f"{T}d-open", f"{T}d-records", f"{T}d-stats"]
    assert body["total"] == 3
    single = build_request(assignee=f"{T}uniB", action="odrl:read", target=f"{T}d-open")
    assert single.target == URIRef(f"{T}d-open")


def test_web_which_datasets_mode(tiers_store: Store) -> None:
    from api.app import create_app

    settings = Settings(store="memory", base_iri="http://127.0.0.1:8000/",
                        load_default_graph=False)
    with serve_app(create_app(settings, tiers_store)) as base:
        form = {"assignee": f"{T}uniB", "action": "read", "which": "1",
                "purpose": f"{T}CancerResearch", "duty": "attribute", "at": "2025-05-01"}
        page = httpx.get(f"{base}/ui/may-i", params=form)
        assert page.status_code == 200
        html = page.text
        assert "3 datasets permitted" in html
        listed = html[html.index('<ol class="permitted"'):html.index("</ol>")]
        assert listed.count("<li>") == 3
        assert "permitted by" in listed
        api = httpx.get(f"{base}/datasets", params={
            "may": "odrl:read", "assignee": f"{T}uniB", "purpose": f"{T}CancerResearch",
            "dutiesDone": "odrl:attribute", "at": "2025-05-01"}).json()
        assert api["total"] == 3
        alone = httpx.get(f"{base}/ui/may-i", params={**form, "duty": ""}).text
        assert "2 datasets permitted" in alone


_FOLLOW = """@prefix ex: <https://example.org/f/> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dskg: <https://w3id.org/dskg#> .
"""
F = "https://example.org/f/"


def _dataset(i: int, rule: str = "permission", action: str = "odrl:use") -> str:
    return _FOLLOW + (
        f"ex:cat dcat:dataset ex:d{i} . ex:d{i} a dcat:Dataset ; odrl:hasPolicy ex:o{i} . "
        f"ex:o{i} a odrl:Offer ; odrl:{rule} ex:o{i}-r . ex:o{i}-r odrl:action {action} ; "
        "odrl:constraint [ odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; "
        "odrl:rightOperand ex:Research ] .")


def _space(prohibited: str = "odrl:sell") -> str:
    return _FOLLOW + (
        "ex:space a dskg:DataSpace ; dskg:catalog ex:cat ; dskg:rulebook ex:rb . "
        f"ex:rb odrl:hasPolicy ex:rbp . ex:rbp a odrl:Set ; odrl:prohibition [ "
        f"odrl:action {prohibited} ] .")


def test_the_index_follows_writes() -> None:
    """Datasets, offers and tier policies added, replaced and deleted (each write reporting
    its graphs): the list follows each write, equal to single decisions, without building
    the shape index again."""
    from kg.policy.shapeindex import shape_index_for

    store = EmbeddedStore()

    def put(graph: str, turtle: str) -> None:
        store.update(f"DROP SILENT GRAPH <{graph}>", touched=[URIRef(graph)])
        store.import_quads(turtle.encode(), "turtle", to_graph=URIRef(graph))

    put("urn:g:space", _space())
    for i in range(6):
        put(f"urn:g:d{i}", _dataset(i))
    question = Question(f"{F}org", "odrl:use", purpose=f"{F}Research",
                        at="2025-06-01T00:00:00Z")

    def listed() -> list[str]:
        _check_equal(store, question)
        return [i["@id"] for i in permitted(_ctx(store), Filters(), question,
                                            limit=100).items]

    assert listed() == [f"{F}d{i}" for i in range(6)]
    index = shape_index_for(store)
    builds = index.generation
    assert len(index.members) == 1  # six datasets, one shape
    put("urn:g:d6", _dataset(6))  # a dataset added
    assert listed() == [f"{F}d{i}" for i in range(7)]
    put("urn:g:d2", _dataset(2, rule="prohibition"))  # its offer replaced
    assert f"{F}d2" not in listed()
    store.update("DROP GRAPH <urn:g:d4>", touched=[URIRef("urn:g:d4")])  # deleted
    assert listed() == [f"{F}d{i}" for i in (0, 1, 3, 5, 6)]
    # two datasets without offers (one shape), then an offer in a graph of its own
    # targeting the second (which the list would otherwise give the first one's verdict)
    for i in (8, 9):
        put(f"urn:g:d{i}", _FOLLOW + f"ex:cat dcat:dataset ex:d{i} . ex:d{i} a dcat:Dataset .")
    assert listed() == [f"{F}d{i}" for i in (0, 1, 3, 5, 6)]
    put("urn:g:extra", _FOLLOW + "ex:x a odrl:Offer ; odrl:target ex:d9 ; odrl:permission "
        "[ odrl:action odrl:use ] .")
    assert listed() == [f"{F}d{i}" for i in (0, 1, 3, 5, 6, 9)]
    store.update("DROP GRAPH <urn:g:extra>", touched=[URIRef("urn:g:extra")])
    assert listed() == [f"{F}d{i}" for i in (0, 1, 3, 5, 6)]
    # a rule added to d1's offer from another graph: its offer now permits and prohibits
    put("urn:g:more", _FOLLOW + "ex:o1 odrl:prohibition [ odrl:action odrl:use ] .")
    assert listed() == [f"{F}d{i}" for i in (0, 3, 5, 6)]
    store.update("DROP GRAPH <urn:g:more>", touched=[URIRef("urn:g:more")])
    assert listed() == [f"{F}d{i}" for i in (0, 1, 3, 5, 6)]
    # a second data space takes the catalog in (its document lists it), and leaves
    put("urn:g:space2", _space("odrl:use").replace("ex:space ", "ex:space2 ").replace(
        "ex:rb", "ex:rb2"))
    assert listed() == []
    store.update("DROP GRAPH <urn:g:space2>", touched=[URIRef("urn:g:space2")])
    assert listed() == [f"{F}d{i}" for i in (0, 1, 3, 5, 6)]
    put("urn:g:space", _space("odrl:use"))  # the tier policy now prohibits use
    assert listed() == []
    put("urn:g:space", _space())
    assert listed() == [f"{F}d{i}" for i in (0, 1, 3, 5, 6)]
    # a dataset whose offer names a node of the question (its rule is the assignee) is
    # decided alone, and still equal
    put("urn:g:d7", _dataset(7).replace("ex:o7-r", "ex:org"))
    assert f"{F}d7" in listed()
    assert index.builds == 1 and index.generation > builds


def test_the_index_of_a_shared_store_is_built_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes another process makes to a shared store: reported by the change feed when it
    sees them; the others are caught when the index is built again (``refresh_after``)."""
    from kg.policy.shapeindex import ShapeIndex

    store = EmbeddedStore()
    store.import_quads(_space().encode(), "turtle", to_graph=URIRef("urn:g:space"))
    store.import_quads(_dataset(0).encode(), "turtle", to_graph=URIRef("urn:g:d0"))
    index = ShapeIndex(store, refresh_after=3600)
    with index.current():
        assert set(index.entries) == {URIRef(f"{F}d0")}
    monkeypatch.setattr(store, "changed", lambda graphs: None)  # "another process" writes
    store.import_quads(_dataset(1).encode(), "turtle", to_graph=URIRef("urn:g:d1"))
    with index.current():
        assert set(index.entries) == {URIRef(f"{F}d0")}  # not seen yet
    index.refresh_after = 0.0
    with index.current():
        assert set(index.entries) == {URIRef(f"{F}d0"), URIRef(f"{F}d1")}
    assert index.builds == 2


def test_a_remote_store_follows_other_processes_writes(tmp_path: Path) -> None:
    """Two nodes on one engine (two store objects: one's change events never reach the
    other): the other's writes reach this node's list through the change feed, which tells
    the shape index the graphs they changed; until it polls, the list is the one it had."""
    from datetime import UTC, datetime

    from harness.servers import oxigraph_server
    from kg.namespaces import META_GRAPH
    from kg.services.changefeed import ChangeFeed
    from kg.store.remote import RemoteStore

    with oxigraph_server(tmp_path / "engine") as url:
        ours, theirs = (RemoteStore(f"{url}/query", f"{url}/update", f"{url}/store")
                        for _ in range(2))
        theirs.import_quads(_space().encode(), "turtle", to_graph=URIRef("urn:g:space"))
        for i in range(3):
            theirs.import_quads(_dataset(i).encode(), "turtle", to_graph=URIRef(f"urn:g:d{i}"))
        feed = ChangeFeed(ours, 60)
        feed.poll()  # what is there is not news
        question = Question(f"{F}org", "odrl:use", purpose=f"{F}Research",
                            at="2025-06-01T00:00:00Z")

        def listed() -> list[str]:
            _check_equal(ours, question)
            return [i["@id"] for i in permitted(_ctx(ours), Filters(), question,
                                                limit=100).items]

        assert listed() == [f"{F}d{i}" for i in range(3)]
        # the other node writes (its write path leaves the time in the meta graph)
        theirs.import_quads(_dataset(3).encode(), "turtle", to_graph=URIRef("urn:g:d3"))
        theirs.update(f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <urn:g:d3> "
                      "<http://www.w3.org/ns/prov#generatedAtTime> "
                      f'"{datetime.now(UTC).isoformat()}"^^'
                      "<http://www.w3.org/2001/XMLSchema#dateTime> } }")
        stale = [i["@id"] for i in permitted(_ctx(ours), Filters(), question,
                                             limit=100).items]
        assert stale == [f"{F}d{i}" for i in range(3)]  # not told yet
        assert feed.poll() == frozenset({URIRef("urn:g:d3")})
        assert listed() == [f"{F}d{i}" for i in range(4)]
        ours.close()
        theirs.close()


def test_random_writes_keep_the_index_exact() -> None:
    """A random series of writes (datasets put, replaced with other rules and actions,
    dropped; offers of their own graphs; the tier policy changed), the list compared with
    single decisions after each."""
    import random

    from kg.policy.shapeindex import shape_index_for

    rng = random.Random(18)
    store = EmbeddedStore()

    def put(graph: str, turtle: str) -> None:
        store.update(f"DROP SILENT GRAPH <{graph}>", touched=[URIRef(graph)])
        store.import_quads(turtle.encode(), "turtle", to_graph=URIRef(graph))

    put("urn:g:space", _space())
    for i in range(8):
        put(f"urn:g:d{i}", _dataset(i))
    question = Question(f"{F}org", "odrl:use", purpose=f"{F}Research",
                        at="2025-06-01T00:00:00Z")
    _check_equal(store, question)
    for _ in range(16):
        i, step = rng.randrange(10), rng.randrange(4)
        if step == 0 and rng.random() < 0.3:  # no offer of its own
            put(f"urn:g:d{i}", _FOLLOW + f"ex:cat dcat:dataset ex:d{i} . ex:d{i} a "
                "dcat:Dataset .")
        elif step == 0:
            put(f"urn:g:d{i}", _dataset(i, rule=rng.choice(["permission", "prohibition"]),
                                        action=rng.choice(["odrl:use", "odrl:read"])))
        elif step == 1:
            store.update(f"DROP SILENT GRAPH <urn:g:d{i}>", touched=[URIRef(f"urn:g:d{i}")])
        elif step == 2:
            rule = rng.choice(["permission", "prohibition"])
            put(f"urn:g:x{i}", _FOLLOW + f"ex:x{i} a odrl:Offer ; odrl:target ex:d{i} ; "
                f"odrl:{rule} [ odrl:action odrl:use ] .")
        else:
            put("urn:g:space", _space(rng.choice(["odrl:sell", "odrl:use", "odrl:read"])))
        _check_equal(store, question)
    assert shape_index_for(store).builds == 1


def test_a_node_most_offers_name_described_anew_builds_the_index_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``HUB_SIZE`` datasets a node (here the action every offer names) keeps no list
    of them: a write describing it builds the index again; a new non-ODRL left operand
    too (the properties it reads enter every key)."""
    from kg.policy import shapeindex

    monkeypatch.setattr(shapeindex, "HUB_SIZE", 2)
    store = EmbeddedStore()
    store.import_quads(_space().encode(), "turtle", to_graph=URIRef("urn:g:space"))
    for i in range(4):
        store.import_quads(_dataset(i).encode(), "turtle", to_graph=URIRef(f"urn:g:d{i}"))
    question = Question(f"{F}org", "odrl:use", purpose=f"{F}Research",
                        at="2025-06-01T00:00:00Z")
    _check_equal(store, question)
    index = shapeindex.shape_index_for(store)
    assert index.builds == 1
    store.import_quads(b'<http://www.w3.org/ns/odrl/2/use> '
                       b'<http://www.w3.org/2000/01/rdf-schema#comment> "to use" .',
                       "turtle", to_graph=URIRef("urn:g:vocabulary"))
    _check_equal(store, question)
    assert index.builds == 2
    store.import_quads((_FOLLOW + "ex:x a odrl:Offer ; odrl:target ex:d0 ; odrl:permission "
                        "[ odrl:action odrl:read ; odrl:constraint [ odrl:leftOperand "
                        "ex:colour ; odrl:operator odrl:eq ; odrl:rightOperand ex:red ] ] ."
                        ).encode(), "turtle", to_graph=URIRef("urn:g:colour"))
    _check_equal(store, question)
    assert index.builds == 3
    assert URIRef(f"{F}colour") in index.operands


def test_datasets_in_asset_collections_share_their_collection_s_decision(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Datasets part of a collection with offers of its own: grouped per collection (its
    offers are the same for every member), except a member a collection's rule names."""
    asked: list[int] = []
    many = PolicyEngine.evaluate_many

    def counting(self: PolicyEngine, requests: list) -> list:  # type: ignore[type-arg]
        asked.append(len(requests))
        return many(self, requests)

    turtle = [_space(), _FOLLOW,
              "ex:c1 a odrl:AssetCollection ; odrl:hasPolicy ex:c1-offer . ex:c1-offer a "
              "odrl:Offer ; odrl:permission [ odrl:action odrl:use ] ; odrl:prohibition "
              "[ odrl:action odrl:use ; odrl:target ex:d3 ] .",
              "ex:c2 a odrl:AssetCollection . ex:c2-offer a odrl:Offer ; odrl:target ex:c2 ; "
              "odrl:prohibition [ odrl:action odrl:use ] .",
              "ex:c3 odrl:partOf ex:c1 ."]
    for i in range(12):
        within = "ex:c1" if i < 6 else "ex:c2" if i < 10 else "ex:c3"
        turtle.append(f"ex:cat dcat:dataset ex:d{i} . ex:d{i} a dcat:Dataset ; "
                      f"<http://purl.org/dc/terms/isPartOf> {within} .")
    store = EmbeddedStore()
    store.import_quads("\n".join(turtle).encode(), "turtle", to_graph=URIRef("urn:g:all"))
    question = Question(f"{F}org", "odrl:use", at="2025-06-01T00:00:00Z")
    monkeypatch.setattr(PolicyEngine, "evaluate_many", counting)
    permitted(_ctx(store), Filters(), question, limit=1)
    monkeypatch.setattr(PolicyEngine, "evaluate_many", many)
    assert sum(asked) < 8, asked  # 12 datasets: one per collection, and d3 alone
    seen = _check_equal(store, question)
    assert seen == {"permit": 7, "deny": 5}, seen  # c1 and c3 (in c1) but d3; not c2


def test_blank_node_offers_are_grouped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offers written inline (blank nodes, as JSON-LD documents often have them) group by
    shape like named ones, and the list still equals single decisions."""
    asked: list[int] = []
    many = PolicyEngine.evaluate_many

    def counting(self: PolicyEngine, requests: list) -> list:  # type: ignore[type-arg]
        asked.append(len(requests))
        return many(self, requests)

    store = EmbeddedStore()
    store.import_quads(_space().encode(), "turtle", to_graph=URIRef("urn:g:space"))
    for i in range(10):
        action = "odrl:use" if i % 2 else "odrl:read"
        store.import_quads((_FOLLOW + (
            f"ex:cat dcat:dataset ex:d{i} . ex:d{i} a dcat:Dataset ; odrl:hasPolicy [ a "
            f"odrl:Offer ; odrl:permission [ odrl:action {action} ; odrl:constraint [ "
            "odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; odrl:rightOperand "
            "ex:Research ] ] ] .")).encode(), "turtle", to_graph=URIRef(f"urn:g:d{i}"))
    question = Question(f"{F}org", "odrl:use", purpose=f"{F}Research",
                        at="2025-06-01T00:00:00Z")
    monkeypatch.setattr(PolicyEngine, "evaluate_many", counting)
    permitted(_ctx(store), Filters(), question, limit=1)
    monkeypatch.setattr(PolicyEngine, "evaluate_many", many)
    assert sum(asked) == 2, asked  # two shapes
    assert _check_equal(store, question) == {"permit": 5, "not-applicable": 5}
