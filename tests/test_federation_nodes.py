"""Three real nodes on loopback: an EU registry, a national node (Spain) and a project node
(an agriculture data space), each a full `create_app` under uvicorn with its own store.

The project node publishes; Spain harvests it; the EU registry harvests Spain and may query
the project node with SERVICE; a deletion travels up with the next harvests; a peer that is
down gives an error and changes nothing.
"""

from __future__ import annotations

import io
from contextlib import ExitStack
from pathlib import Path

import httpx
from rdflib import URIRef

from api.app import create_app
from harness.servers import serve_app
from kg.federation import federated_query
from kg.services.examples import TURTLE
from kg.settings import Settings
from kg.store import Store

TOKEN = "federation-admin"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
SOIL = "soil-moisture-readings"
OLIVE = "olive-grove-yields"


def node_settings(tmp_path: Path, name: str, base: str, peers: str = "") -> Settings:
    config = tmp_path / f"{name}.toml"
    config.write_text(f'[node]\nname = "{name}"\n{peers}', encoding="utf-8")
    return Settings.from_env(environ={"DSKG_CONFIG": str(config), "DSKG_STORE": "memory",
                                      "DSKG_BASE_IRI": base, "DSKG_ADMIN_TOKEN": TOKEN})


def peer(name: str, url: str, *, harvest: bool = True) -> str:
    lines = [f'[[peers]]\nname = "{name}"\nsparql = "{url}/sparql"\n']
    lines.append(f'catalog = "{url}/catalog"\n' if harvest else 'harvest = "none"\n')
    return "".join(lines)


def has_dataset(store: Store, iri: str) -> bool:
    return bool(store.query("ASK { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
                            {"d": URIRef(iri)}).boolean)


def dump(store: Store) -> bytes:
    out = io.BytesIO()
    store.export(out, "nquads")
    return b"".join(sorted(out.getvalue().splitlines(keepends=True)))


def harvest(client: httpx.Client, base: str, peer_name: str) -> dict:
    response = client.post(f"{base}/harvest/{peer_name}", headers=ADMIN)
    assert response.status_code == 200, response.text
    [report] = response.json()["peers"]
    return report


def test_three_nodes(tmp_path: Path) -> None:
    soil = f"https://agri.example.eu/id/dataset/{SOIL}"
    olive = f"https://agri.example.eu/id/dataset/{OLIVE}"
    with ExitStack() as nodes, httpx.Client(timeout=120) as client:
        agri_node = ExitStack()
        nodes.callback(agri_node.close)
        agri = agri_node.enter_context(serve_app(create_app(
            node_settings(tmp_path, "agri", "https://agri.example.eu/"))))
        published = client.post(f"{agri}/datasets", content=TURTLE["datasets"],
                                headers={**ADMIN, "Content-Type": "text/turtle"})
        assert published.status_code == 201, published.text

        spain_app = create_app(node_settings(tmp_path, "spain", "https://datos.example.es/",
                                             peer("agri", agri)))
        spain_store: Store = spain_app.state.store
        spain = nodes.enter_context(serve_app(spain_app))
        report = harvest(client, spain, "agri")
        assert report["error"] is None and report["rejected"] == []
        assert report["added"] >= 1
        assert has_dataset(spain_store, soil)

        eu_settings = node_settings(tmp_path, "eu", "https://registry.example.eu/",
                                    peer("spain", spain) + peer("agri", agri, harvest=False))
        eu_app = create_app(eu_settings)
        eu_store: Store = eu_app.state.store
        eu = nodes.enter_context(serve_app(eu_app))
        everything = client.post(f"{eu}/harvest", headers=ADMIN).json()
        assert [p["name"] for p in everything["peers"]] == ["spain"]  # agri is query-only
        assert everything["peers"][0]["error"] is None
        assert has_dataset(eu_store, soil)

        # A dataset published after the harvests lives only on the project node.
        second = TURTLE["datasets"].replace(SOIL, OLIVE).replace(
            "Soil moisture readings", "Olive grove yields")
        created = client.post(f"{agri}/datasets", content=second,
                              headers={**ADMIN, "Content-Type": "text/turtle"})
        assert created.status_code == 201, created.text
        assert not has_dataset(spain_store, olive) and not has_dataset(eu_store, olive)

        title = ("SELECT ?title WHERE { SERVICE <%s/sparql> { <%s> "
                 "<http://purl.org/dc/terms/title> ?title } }")
        answer = client.get(f"{eu}/sparql", params={"query": title % (agri, olive)},
                            headers={"Accept": "text/csv"})
        assert answer.status_code == 200, answer.text
        assert answer.text.splitlines() == ["title", "Olive grove yields"]
        refused = client.get(f"{eu}/sparql", params={"query": title % ("http://127.0.0.1:9",
                                                                          olive)})
        assert refused.status_code == 403

        merged = federated_query(eu_settings, "SELECT ?d WHERE { ?d a "
                                 "<http://www.w3.org/ns/dcat#Dataset> }", store=eu_store)
        assert {s.name: s.status for s in merged.sources} == {
            "eu": "ok", "spain": "ok", "agri": "ok"}
        assert {soil, olive} <= {str(d) for d in merged.result.column("d")}

        # Deleted on the project node: gone from both others after their next harvest.
        assert client.delete(f"{agri}/datasets/{SOIL}", headers=ADMIN).status_code == 204
        report = harvest(client, spain, "agri")
        assert (report["removed"], report["added"], report["error"]) == (1, 1, None)
        assert not has_dataset(spain_store, soil) and has_dataset(spain_store, olive)
        report = harvest(client, eu, "spain")
        assert (report["removed"], report["added"], report["error"]) == (1, 1, None)
        assert not has_dataset(eu_store, soil) and has_dataset(eu_store, olive)

        # The project node goes down: Spain's harvest says so and keeps what it has.
        agri_node.close()
        before = dump(spain_store)
        down = harvest(client, spain, "agri")
        assert down["error"] and agri.removeprefix("http://") in down["error"]
        assert (down["added"], down["updated"], down["removed"]) == (0, 0, 0)
        assert dump(spain_store) == before
        assert has_dataset(spain_store, olive)
