"""Round trip over the Dataspace Protocol: one node's harvester reads another node's /dsp.

Two real nodes on loopback (each a full `create_app` under uvicorn with its own store and the
default graph): the project node publishes a dataset in Agdatahub's catalog; the national node
is configured with the project node's root URL and `harvest = "dsp"`, so it finds the DSP
endpoint through `/.well-known/dspace-version`, POSTs CatalogRequestMessages page by page
(following `Link: rel="next"`) and lands the dataset with its effective offer. Every DSP
answer the test reads is checked against the official 2025-1 schemas.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from rdflib import URIRef

from api.app import create_app
from harness.servers import serve_app
from kg.federation.harvest import harvest_peer
from kg.federation.peers import peer_from_table
from kg.namespaces import ODRL
from kg.services.examples import TURTLE
from kg.settings import Settings
from kg.store.embedded import EmbeddedStore
from tests.dsp.validate import assert_valid

TOKEN = "dsp-admin"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
SOIL = "https://agri.example.eu/id/dataset/soil-moisture-readings"
AGDATAHUB = "https://w3id.org/dskg/id/dataspace/agdatahub"
ODRL_PREFIX = "PREFIX odrl: <http://www.w3.org/ns/odrl/2/>\n"
MESSAGE = {"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
           "@type": "CatalogRequestMessage", "filter": []}


def settings(tmp_path: Path, name: str, base: str, extra: str = "") -> Settings:
    config = tmp_path / f"{name}.toml"
    config.write_text(f'[node]\nname = "{name}"\n{extra}', encoding="utf-8")
    return Settings.from_env(environ={"DSKG_CONFIG": str(config), "DSKG_STORE": "memory",
                                      "DSKG_BASE_IRI": base, "DSKG_ADMIN_TOKEN": TOKEN})


def test_harvest_over_dsp_lands_datasets_with_their_offers(tmp_path: Path) -> None:
    with httpx.Client(timeout=120) as client, \
            serve_app(create_app(settings(tmp_path, "agri", "https://agri.example.eu/"))) as agri:
        published = client.post(f"{agri}/datasets", content=TURTLE["datasets"],
                                headers={**ADMIN, "Content-Type": "text/turtle"})
        assert published.status_code == 201, published.text

        # What the national node will read, page by page, valid DSP all the way.
        pages, url = [], f"{agri}/dsp/catalog/request?pageSize=20"
        while url:
            answer = client.post(url, json=MESSAGE)
            assert answer.status_code == 200, answer.text
            assert_valid("catalog", answer.json())
            pages.append(answer.json())
            url = answer.links.get("next", {}).get("url")
        assert len(pages) >= 3
        listed = {d["@id"]: d for page in pages for d in page.get("dataset", [])}
        [offer] = listed[SOIL]["hasPolicy"]

        peer = (f'[[peers]]\nname = "agri"\ncatalog = "{agri}"\nharvest = "dsp"\n'
                f'take = ["{SOIL}"]\n')
        spain_app = create_app(settings(tmp_path, "spain", "https://datos.example.es/", peer))
        with serve_app(spain_app) as spain:
            response = client.post(f"{spain}/harvest/agri", headers=ADMIN)
            assert response.status_code == 200, response.text
            [report] = response.json()["peers"]
            assert report["error"] is None and report["rejected"] == [], report
            assert report["added"] >= 1 and report["pages"] >= 1

            store = spain_app.state.store
            landed = store.query(ODRL_PREFIX + "SELECT ?offer WHERE { ?d odrl:hasPolicy ?offer }",
                                 {"d": URIRef(SOIL)}).column("offer")
            assert [str(o) for o in landed] == [offer["@id"]]
            # The offer arrived with the tiers folded in: the rulebook's party and duty.
            rules = store.query(
                ODRL_PREFIX + "SELECT ?action ?assignee ?duty WHERE { ?offer odrl:permission ?p . "
                "?p odrl:action ?action ; odrl:assignee ?assignee ; odrl:duty/odrl:action ?duty }",
                {"offer": landed[0]}).rows
            assert rules == [(ODRL.use, URIRef(AGDATAHUB), ODRL.obtainConsent)]
            # Harvesting again changes nothing: the offer's @id and content are stable.
            again = client.post(f"{spain}/harvest/agri", headers=ADMIN).json()["peers"][0]
            assert (again["added"], again["updated"], again["removed"]) == (0, 0, 0)

        # The endpoint itself, in small pages: the harvester follows every Link rel="next"
        # (into an empty store, trusted: the shapes are the national node's business above).
        # Only the project node's own dataset: the default graph's are not the peer's IRIs.
        paged = peer_from_table({"name": "paged", "harvest": "dsp", "trust": True,
                                 "catalog": f"{agri}/dsp/catalog/request?pageSize=20",
                                 "take": [SOIL]}, 0)
        store = EmbeddedStore()
        report = harvest_peer(store, Settings(store="memory", load_default_graph=False), paged)
        assert report.error is None and report.pages == len(pages)
        assert report.added == 2 and report.rejected == []  # the dataset and the DSP service
        assert [str(o) for o in store.query(
            ODRL_PREFIX + "SELECT ?o WHERE { ?d odrl:hasPolicy ?o }",
            {"d": URIRef(SOIL)}).column("o")] == [offer["@id"]]
