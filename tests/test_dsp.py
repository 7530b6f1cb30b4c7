"""The Dataspace Protocol 2025-1 catalog protocol (HTTPS binding) of one node, over HTTP.

A real node under uvicorn with the default graph; an httpx client speaks DSP to it. Every
DSP answer is validated against the official 2025-1 JSON schemas shipped in tests/dsp/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import URIRef

from api.app import create_app
from harness.servers import serve_app
from kg.settings import Settings
from kg.tokens import create_token
from tests.dsp.validate import assert_valid

TOKEN = "dsp-test-admin"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
MESSAGE = {"@context": [CONTEXT], "@type": "CatalogRequestMessage", "filter": []}
ID = "https://w3id.org/dskg/id/"
AGDATAHUB = ID + "dataspace/agdatahub"
ODRL = "http://www.w3.org/ns/odrl/2/"


def node_settings(tmp_path: Path, dsp: str = "") -> Settings:
    config = tmp_path / "node.toml"
    config.write_text(f'[node]\nname = "dsp-node"\n{dsp}', encoding="utf-8")
    return Settings.from_env(environ={"DSKG_CONFIG": str(config), "DSKG_STORE": "memory",
                                      "DSKG_ADMIN_TOKEN": TOKEN})


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    app = create_app(node_settings(tmp_path_factory.mktemp("dsp")))
    with serve_app(app) as url:
        yield url, app


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as http:
        yield http


def whole_catalog(client: httpx.Client, url: str, headers: dict[str, str] | None = None,
                  page_size: int = 15) -> list[dict[str, Any]]:
    """Every page, following Link rel="next"; each page checked against the schema."""
    pages = []
    link: str | None = f"{url}/dsp/catalog/request?pageSize={page_size}"
    while link:
        answer = client.post(link, json=MESSAGE, headers=headers or {})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/json")
        assert_valid("catalog", answer.json())
        pages.append(answer.json())
        link = answer.links.get("next", {}).get("url")
    return pages


def datasets(pages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["@id"]: d for page in pages for d in page.get("dataset", [])}


def assert_catalog_error(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert_valid("catalog-error", body)
    assert body["@type"] == "CatalogError" and body["code"] == code and body["reason"]
    return body


# -- versions, catalog, dataset --------------------------------------------------------------
def test_version_metadata(node: tuple[str, Any], client: httpx.Client) -> None:
    url, _app = node
    answer = client.get(f"{url}/.well-known/dspace-version")
    assert answer.status_code == 200
    assert_valid("version", answer.json())
    [version] = answer.json()["protocolVersions"]
    assert (version["version"], version["path"], version["binding"]) == ("2025-1", "/dsp",
                                                                         "HTTPS")
    assert "auth" not in version


def test_catalog_pages_cover_every_offered_dataset(node: tuple[str, Any],
                                                   client: httpx.Client) -> None:
    url, app = node
    pages = whole_catalog(client, url)
    assert len(pages) >= 3
    first = client.post(f"{url}/dsp/catalog/request?pageSize=15&page=2", json=MESSAGE)
    links = first.links
    assert links["previous"]["url"].endswith("page=1&pageSize=15")
    assert links["next"]["url"].endswith("page=3&pageSize=15")
    shown = datasets(pages)
    held = {str(d) for d in app.state.store.query(
        "SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
        "<http://www.w3.org/ns/dcat#distribution> ?x ; "
        "<http://www.w3.org/ns/odrl/2/hasPolicy> ?o }").column("d")}
    assert held and set(shown) == held
    service = pages[0]["service"][0]
    assert service["endpointURL"] == f"{url}/dsp"
    for dataset in shown.values():
        for offer in dataset["hasPolicy"]:
            assert "target" not in offer and offer["@id"].startswith(ID + "policy/")
        for distribution in dataset["distribution"]:
            assert distribution["accessService"] == service["@id"]
    # The same request gives the same offers, with the same @ids.
    again = datasets(whole_catalog(client, url, page_size=100))
    assert again == shown


def test_the_catalog_is_json_ld_in_the_dsp_context(node: tuple[str, Any],
                                                  client: httpx.Client) -> None:
    """Read as JSON-LD (the context is shipped), the catalog is DCAT with ODRL offers."""
    from kg.rdfio import iter_quads

    url, _app = node
    body = client.post(f"{url}/dsp/catalog/request?pageSize=100", json=MESSAGE).content
    triples = {(str(s), str(p), str(o)) for s, p, o, _g in iter_quads(body, "json-ld")}
    farm = ID + "dataset/agdatahub-farm-data"
    assert (farm, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
            "http://www.w3.org/ns/dcat#Dataset") in triples
    offers = {o for s, p, o in triples if s == farm and p == ODRL + "hasPolicy"}
    assert len(offers) == 1
    actions = {o for s, p, o in triples if p == ODRL + "action"}
    assert ODRL + "use" in actions and all(a.startswith("http") for a in actions)


def test_one_dataset(node: tuple[str, Any], client: httpx.Client) -> None:
    url, _app = node
    iri = ID + "dataset/agdatahub-farm-data"
    for path in (iri, "agdatahub-farm-data"):
        answer = client.get(f"{url}/dsp/catalog/datasets/{path}")
        assert answer.status_code == 200, answer.text
        assert_valid("dataset", answer.json())
        assert answer.json()["@id"] == iri
        assert answer.json()["distribution"][0]["accessService"]["endpointURL"] == f"{url}/dsp"
    listed = datasets(whole_catalog(client, url, page_size=100))[iri]
    assert answer.json()["hasPolicy"] == listed["hasPolicy"]
    missing = client.get(f"{url}/dsp/catalog/datasets/{ID}dataset/no-such-thing")
    assert_catalog_error(missing, 404, "not-found")


# -- effective offers ------------------------------------------------------------------------
def _request_for(permission: dict[str, Any], member: str, target: str) -> dict[str, Any] | None:
    """An evaluation request that meets ``permission`` as shown, or None when its
    constraints are not ones this test can satisfy by naming a value."""
    context: dict[str, Any] = {}
    for constraint in permission.get("constraint", []):
        if constraint.get("operator") not in ("eq", "isA", "isAnyOf", "isPartOf"):
            return None
        right = constraint["rightOperand"]
        first = right[0] if isinstance(right, list) else right
        value = first["@id"] if isinstance(first, dict) and "@id" in first else first
        if isinstance(value, dict):
            return None
        context[constraint["leftOperand"]] = value
    action = permission["action"].replace("odrl:", ODRL)
    duties = [d["action"].replace("odrl:", ODRL) for d in permission.get("duty", [])]
    return {"assignee": member, "action": action, "target": target, "context": context,
            "dutiesDone": duties}


@pytest.mark.slow
def test_every_offer_shown_is_one_the_node_grants(node: tuple[str, Any],
                                                  client: httpx.Client) -> None:
    """Meeting an offer as the catalog shows it (party, constraints, duties) is permitted by
    the node's evaluator, tiers included: a connector never sees an offer it would deny."""
    url, app = node
    store = app.state.store
    requests, shown = [], []
    for iri, dataset in datasets(whole_catalog(client, url, page_size=100)).items():
        for offer in dataset["hasPolicy"]:
            if "prohibition" in offer or "obligation" in offer:
                continue
            for permission in offer["permission"]:
                party = permission.get("assignee")
                if party is not None and not isinstance(party, str):
                    continue
                members = store.query(
                    "SELECT ?m WHERE { ?x <http://www.w3.org/ns/org#member> ?m ; "
                    "<http://www.w3.org/ns/org#organization> ?space }",
                    {"space": URIRef(party)}).column("m") if party else \
                    [URIRef(ID + "organisation/dawex")]
                request = _request_for(permission, str(sorted(members)[0]), iri) \
                    if members else None
                if request is not None:
                    requests.append(request)
                    shown.append((iri, permission))
    assert len(requests) >= 10
    answer = client.post(f"{url}/policies/evaluate/batch", json={"requests": requests})
    assert answer.status_code == 200, answer.text
    for (iri, permission), decision in zip(shown, answer.json()["results"], strict=True):
        assert decision["decision"] == "permit", (iri, permission, decision)


def test_an_offer_the_tiers_always_deny_is_not_shown(node: tuple[str, Any],
                                                     client: httpx.Client) -> None:
    """Agdatahub's rulebook prohibits passing data on; a dataset of its catalog offered only
    for distribution is never granted, so DSP does not show it."""
    url, _app = node
    turtle = f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
<{ID}dataset/dsp-pass-on> a dcat:Dataset ; dct:title "Pass-on test"@en ;
    dct:description "Offered only for distribution."@en ;
    dct:publisher <{ID}organisation/agdatahub> ;
    dcat:distribution <{ID}distribution/dsp-pass-on> ;
    odrl:hasPolicy <{ID}policy/offer-dsp-pass-on> .
<{ID}distribution/dsp-pass-on> a dcat:Distribution ;
    dcat:accessURL <https://data.example.org/pass-on.csv> ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> .
<{ID}policy/offer-dsp-pass-on> a odrl:Offer ; odrl:uid <{ID}policy/offer-dsp-pass-on> ;
    odrl:assigner <{ID}organisation/agdatahub> ; odrl:target <{ID}dataset/dsp-pass-on> ;
    odrl:permission [ odrl:action odrl:distribute ] .
<{ID}catalog/agdatahub> dcat:dataset <{ID}dataset/dsp-pass-on> .
"""
    created = client.post(f"{url}/datasets", content=turtle,
                          headers={**ADMIN, "Content-Type": "text/turtle"})
    assert created.status_code == 201, created.text
    try:
        decision = client.post(f"{url}/policies/evaluate", json={
            "assignee": ID + "organisation/dawex", "action": ODRL + "distribute",
            "target": f"{ID}dataset/dsp-pass-on"}).json()
        assert decision["decision"] == "deny"
        assert f"{ID}dataset/dsp-pass-on" not in datasets(whole_catalog(client, url, None, 100))
        hidden = client.get(f"{url}/dsp/catalog/datasets/{ID}dataset/dsp-pass-on")
        assert_catalog_error(hidden, 404, "not-offered")
    finally:
        client.delete(f"{url}/datasets/dsp-pass-on", headers=ADMIN)


# -- filters and errors ----------------------------------------------------------------------
def test_filter_by_publisher(node: tuple[str, Any], client: httpx.Client) -> None:
    url, _app = node
    publisher = ID + "organisation/agdatahub"
    answer = client.post(f"{url}/dsp/catalog/request?pageSize=1000",
                         json={**MESSAGE, "filter": [{"dct:publisher": publisher}]})
    assert answer.status_code == 200
    assert_valid("catalog", answer.json())
    found = answer.json()["dataset"]
    assert found and all(d["dct:publisher"]["@id"] == publisher for d in found)
    everything = datasets(whole_catalog(client, url, page_size=1000))
    assert len(found) == sum(1 for d in everything.values()
                             if d["dct:publisher"]["@id"] == publisher)


@pytest.mark.parametrize(("body", "code"), [
    (b"{not json", "malformed-message"),
    (b"[]", "malformed-message"),
    (json.dumps({"@context": [CONTEXT], "@type": "DatasetRequestMessage"}).encode(),
     "malformed-message"),
    (json.dumps({"@type": "CatalogRequestMessage"}).encode(), "malformed-message"),
    (json.dumps({**MESSAGE, "filter": "publisher=x"}).encode(), "malformed-message"),
    (json.dumps({**MESSAGE, "filter": [{"dct:title": "Farm"}]}).encode(),
     "unsupported-filter"),
    (json.dumps({**MESSAGE, "filter": ["SELECT * WHERE { ?s ?p ?o }"]}).encode(),
     "unsupported-filter"),
])
def test_bad_requests_get_a_catalog_error(node: tuple[str, Any], client: httpx.Client,
                                          body: bytes, code: str) -> None:
    url, _app = node
    answer = client.post(f"{url}/dsp/catalog/request", content=body,
                         headers={"Content-Type": "application/json"})
    assert_catalog_error(answer, 400, code)


def test_bad_pages_are_catalog_errors(node: tuple[str, Any], client: httpx.Client) -> None:
    url, _app = node
    answer = client.post(f"{url}/dsp/catalog/request?page=999", json=MESSAGE)
    assert_catalog_error(answer, 400, "no-such-page")
    for query in ("page=0", "page=x", "pageSize=0", "pageSize=1001", "page=-1"):
        answer = client.post(f"{url}/dsp/catalog/request?{query}", json=MESSAGE)
        assert_catalog_error(answer, 400, "bad-page")


# -- authorization ---------------------------------------------------------------------------
def test_required_token_and_narrowing_by_participant(
        tmp_path: Path, client: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSKG_TOKENS_FILE", str(tmp_path / "tokens.json"))
    settings = node_settings(tmp_path, '[dsp]\nrequire_auth = true\n'
                                       'participant_id = "did:web:dsp.example.eu"\n')
    app = create_app(settings)
    store = app.state.store
    member, outsider = (ID + "organisation/agdatahub", ID + "organisation/sprind")
    is_member = ("ASK { ?m <http://www.w3.org/ns/org#member> ?org ; "
                 "<http://www.w3.org/ns/org#organization> ?space }")
    assert store.query(is_member, {"org": URIRef(member), "space": URIRef(AGDATAHUB)}).boolean
    assert not store.query(is_member, {"org": URIRef(outsider),
                                       "space": URIRef(AGDATAHUB)}).boolean
    insider_token = create_token(settings, "reader", member)
    outsider_token = create_token(settings, "reader", outsider)
    with serve_app(app) as url:
        version = client.get(f"{url}/.well-known/dspace-version")  # never authenticated
        assert version.status_code == 200 and "auth" in version.json()["protocolVersions"][0]
        assert_valid("version", version.json())
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "wrong"}):
            answer = client.post(f"{url}/dsp/catalog/request", json=MESSAGE, headers=headers)
            assert_catalog_error(answer, 401, "unauthorized")
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert_catalog_error(client.get(f"{url}/dsp/catalog/datasets/agdatahub-farm-data",
                                            headers=headers), 401, "unauthorized")

        everything = datasets(whole_catalog(client, url, ADMIN, 100))
        assert whole_catalog(client, url, ADMIN, 100)[0]["participantId"] == \
            "did:web:dsp.example.eu"
        # The token as DSP connectors send it (bare) and as REST clients do (Bearer).
        insider = datasets(whole_catalog(client, url, {"Authorization": insider_token}, 100))
        outsider_view = datasets(whole_catalog(
            client, url, {"Authorization": f"Bearer {outsider_token}"}, 100))
        members_only = {iri for iri, d in everything.items()
                        if all(p.get("assignee") == AGDATAHUB
                               for o in d["hasPolicy"] for p in o["permission"])}
        assert members_only  # Agdatahub's datasets: its rulebook grants members only
        assert members_only <= set(insider)
        assert not members_only & set(outsider_view)

        def admits(party: Any, org: str) -> bool:
            if party is None or party == org:
                return True
            return isinstance(party, str) and bool(store.query(
                is_member, {"org": URIRef(org), "space": URIRef(party)}).boolean)

        def open_to(org: str, dataset: dict[str, Any]) -> bool:
            return any(admits(p.get("assignee"), org)
                       for o in dataset["hasPolicy"] for p in o["permission"])

        assert set(outsider_view) == {i for i, d in everything.items() if open_to(outsider, d)}
        assert set(insider) == {i for i, d in everything.items() if open_to(member, d)}
        hidden = client.get(f"{url}/dsp/catalog/datasets/agdatahub-farm-data",
                            headers={"Authorization": outsider_token})
        assert_catalog_error(hidden, 404, "not-offered")


def test_paging_numbers_in_other_scripts_are_a_catalog_error() -> None:
    """"¹" and "٣" are digits to str.isdigit but not numbers int() reads (found by the
    OpenAPI fuzzer): a CatalogError, never a 500."""
    from api.routes.dsp import _number

    for text in ("¹", "٣", "²⁰", "1½"):
        assert _number(text, 1, 1000) is None
    assert _number("20", 1, 1000) == 20
