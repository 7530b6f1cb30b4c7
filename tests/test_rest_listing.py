"""Listing: totals, paging with RFC 8288 links, filters; the tiers and governance chains."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kg.namespaces import DCAT, DSKG, ORG
from kg.services.kinds import KINDS
from kg.store import Store
from tests.rest_support import app_for, ecosystem_store


@pytest.fixture(scope="module")
def env() -> Iterator[tuple[TestClient, Store]]:
    store = ecosystem_store()
    with TestClient(app_for(store)) as client:
        yield client, store


def _count(store: Store, pattern: str) -> int:
    result = store.query(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {pattern} }}")
    return int(result.rows[0][0])  # type: ignore[arg-type]


def _links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header)}


@pytest.mark.parametrize("kind", list(KINDS))
def test_totals_match_the_graph(env: tuple[TestClient, Store], kind: str) -> None:
    client, store = env
    body = client.get(f"/{kind}").json()
    assert body["total"] == _count(store, KINDS[kind].type_pattern("s"))
    assert body["total"] > 0
    assert all({"@id", "id", "label", "href"} <= set(item) for item in body["items"])


def test_paging_walks_every_item_once_in_a_stable_order(env: tuple[TestClient, Store]) -> None:
    client, _ = env
    seen: list[str] = []
    url = "/organisations?limit=7"
    pages = 0
    while url:
        response = client.get(url)
        body = response.json()
        assert body["limit"] == 7 and len(body["items"]) <= 7
        seen += [item["id"] for item in body["items"]]
        links = _links(response.headers.get("link", ""))
        if pages:
            assert "prev" in links
        url = links.get("next", "").replace("http://testserver", "")
        pages += 1
    total = client.get("/organisations").json()["total"]
    assert len(seen) == len(set(seen)) == total
    assert pages == -(-total // 7)
    assert seen == [i["id"] for i in client.get(f"/organisations?limit={total}").json()["items"]]


def test_filters(env: tuple[TestClient, Store]) -> None:
    client, store = env
    project = client.get("/dataspaces", params={"tier": "project", "limit": 1000}).json()
    assert project["total"] == _count(
        store, f"?s a <{DSKG.DataSpace}> ; <{DSKG.tier}> <{DSKG.ProjectTier}>")
    assert project["items"] and all(i["tier"] == str(DSKG.ProjectTier)
                                    for i in project["items"])
    spanish = client.get("/organisations", params={"country": "es", "limit": 1000}).json()
    assert spanish["total"] > 0 and all(i["country"] == "ES" for i in spanish["items"])

    in_space = client.get("/datasets", params={"dataspace": "agdatahub"}).json()
    catalogued = _count(store, f"<https://w3id.org/dskg/id/dataspace/agdatahub> "
                               f"<{DSKG.catalog}>/<{DCAT.dataset}> ?s")
    assert in_space["total"] == catalogued > 0
    by_iri = client.get("/datasets", params={
        "dataspace": "https://w3id.org/dskg/id/dataspace/agdatahub"}).json()
    assert by_iri == in_space

    publisher = in_space["items"][0]["publisher"]
    published = client.get("/datasets", params={"publisher": publisher}).json()
    assert published["total"] > 0 and all(i["publisher"] == publisher
                                          for i in published["items"])
    agri = client.get("/datasets", params={"theme": "AGRI"}).json()
    assert all(any(t.endswith("/AGRI") for t in i["theme"]) for i in agri["items"])

    providers = client.get("/memberships", params={"role": "provider", "limit": 1000}).json()
    assert providers["total"] == _count(store, f"?s <{ORG.role}> <{DSKG.DataProvider}>")
    assert all(i["role"] == [str(DSKG.DataProvider)] for i in providers["items"])

    text = client.get("/organisations", params={"q": "HOSPITAL"}).json()
    assert text["total"] > 0
    assert all("hospital" in (i["label"] + i.get("description", "")).lower()
               for i in text["items"])


def test_filter_values_are_bound_not_pasted(env: tuple[TestClient, Store]) -> None:
    client, _ = env
    hostile = '") } UNION { ?s ?p ?o } #'
    response = client.get("/organisations", params={"q": hostile})
    assert response.status_code == 200 and response.json()["total"] == 0
    assert client.get("/datasets", params={"dataspace": "no-such-space"}).json()["total"] == 0
    assert client.get("/datasets", params={"publisher": "https://x.org/a>b"}).status_code == 400


@pytest.mark.parametrize(("path", "detail"), [
    ("/dataspaces?publisher=x", "cannot be filtered by publisher"),
    ("/datasets?tier=galactic", "unknown tier"),
    ("/datasets?limit=0", "limit"),
    ("/datasets?limit=abc", "limit"),
    ("/datasets?offset=-1", "offset"),
    ("/organisations?country=Spain", "ISO 3166-1"),
    ("/memberships?role=boss", "unknown role"),
])
def test_bad_parameters_are_400(env: tuple[TestClient, Store], path: str, detail: str) -> None:
    client, _ = env
    response = client.get(path)
    assert response.status_code == 400
    assert detail in response.json()["detail"]


def test_governance_chain_reaches_the_eu_tier(env: tuple[TestClient, Store]) -> None:
    client, _ = env
    project_spaces = client.get("/dataspaces", params={"tier": "project", "limit": 1000})
    for space in project_spaces.json()["items"]:
        chain = client.get(f"{space['href']}/governance").json()
        tiers = {node["tier"] for node in chain["nodes"]}
        assert str(DSKG.EUTier) in tiers, space["id"]
        assert chain["reachesEU"] is True
        ids = {node["@id"] for node in chain["nodes"]}
        assert all(e["source"] in ids and e["target"] in ids for e in chain["edges"])
        roles = {node["role"] for node in chain["nodes"]}
        assert {"dataspace", "framework", "rulebook", "authority"} <= roles
    assert client.get("/dataspaces/no-such-space/governance").status_code == 404


def test_tiers_count_what_each_governs(env: tuple[TestClient, Store]) -> None:
    client, _ = env
    tiers = {t["id"]: t for t in client.get("/tiers").json()["items"]}
    assert list(tiers) == ["eu", "national", "regional", "municipal", "project"]
    assert tiers["eu"]["@id"] == str(DSKG.EUTier)
    project = client.get("/dataspaces", params={"tier": "project"}).json()["total"]
    assert tiers["project"]["counts"]["dataspaces"] == project
    assert tiers["eu"]["counts"]["frameworks"] > 0
    assert tiers["national"]["broader"] is None
    assert tiers["regional"]["broader"] == str(DSKG.NationalTier)


def test_large_results_page_in_the_store_order(env: tuple[TestClient, Store],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.services import listing

    client, _ = env
    everything = client.get("/organisations?limit=1000").json()
    assert everything["order"] == "iri"
    iris = [i["@id"] for i in everything["items"]]
    assert iris == sorted(iris)
    sorted_ids = [i["id"] for i in everything["items"]]
    monkeypatch.setattr(listing, "SORT_LIMIT", 5)
    pages = [client.get(f"/organisations?limit=10&offset={o}").json()
             for o in range(0, len(sorted_ids), 10)]
    assert all(p["order"] == "store" for p in pages)
    walked = [i["id"] for p in pages for i in p["items"]]
    assert len(walked) == len(set(walked)) and set(walked) == set(sorted_ids)
    assert walked == [i["id"] for p in [client.get(f"/organisations?limit=10&offset={o}").json()
                                        for o in range(0, len(sorted_ids), 10)]
                      for i in p["items"]]
