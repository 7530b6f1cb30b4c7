"""Who may say what (DESIGN 4a), replayed as a hostile steward and a hostile peer would.

Every attack goes over HTTP to a real server on loopback, with tokens made by `dskg token
create`; the peer is a local HTTP server. Each must be refused (or trimmed) with a report,
leave the evaluator's decisions as they were and leave nothing injected in the store.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from rdflib import URIRef

from harness.servers import serve_app
from kg.federation.harvest import harvest_peer
from kg.federation.peers import peer_from_table
from kg.namespaces import DCAT, DSKG, ODRL, SKOS
from kg.settings import Settings
from kg.store import Store
from kg.tokens import tokens_file
from tests.rest_support import ADMIN, BASE, app_for, ecosystem_store
from tests.test_federation_harvest import PREFIXES, StubPeer

ID = "https://w3id.org/dskg/id/"
GDPR = f"{ID}policy/gdpr"
OECD = f"{ID}organisation/oecd"
AGRI_SPACE = f"{ID}dataspace/common-european-agriculture-data-space"
AEPD = f"{ID}organisation/aepd"
TTL = {"Content-Type": "text/turtle"}
#: Datasets of other data spaces, with requests permitted before any attack.
PROBES = [f"{ID}dataset/eurostat-digital-skills", f"{ID}dataset/hamburg-3d-city-model",
          f"{ID}dataset/hamburg-green-infrastructure-geodata", f"{ID}dataset/lmdt-dwp"]
ASSIGNEE = f"{ID}organisation/the-govlab"


def make_token(tokens: Path, *args: str) -> dict[str, str]:
    """A bearer token issued by the real CLI (`dskg token create ...`)."""
    env = {**os.environ, "DSKG_TOKENS_FILE": str(tokens), "DSKG_STORE": "memory"}
    done = subprocess.run([sys.executable, "-c", "from kg.cli import main; main()", "token",
                           "create", *args],
                          capture_output=True, text=True, env=env, check=True)
    return {"Authorization": f"Bearer {done.stdout.strip().splitlines()[-1]}"}


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Store, Path]]:
    tokens = tmp_path / "tokens.json"
    monkeypatch.setenv("DSKG_TOKENS_FILE", str(tokens))
    store = ecosystem_store()
    with serve_app(app_for(store)) as url:
        yield url, store, tokens


def decisions(url: str) -> list[str]:
    answers = []
    for target in PROBES:
        response = httpx.post(f"{url}/policies/evaluate", json={
            "assignee": ASSIGNEE, "action": "odrl:use", "target": target,
            "dutiesDone": ["odrl:attribute"]}, timeout=30)
        assert response.status_code == 200, response.text
        answers.append(response.json()["decision"])
    return answers


def facts_under_attack(store: Store) -> tuple[int, bool, set[str]]:
    """What the attacks try to change: the GDPR policy's prohibitions, OECD's labels, the
    EU-tier agriculture data space's tiers."""
    prohibitions = len(store.query("SELECT ?r WHERE { ?gdpr <http://www.w3.org/ns/odrl/2/"
                                   "prohibition> ?r }", {"gdpr": URIRef(GDPR)}).rows)
    hijacked = store.query('ASK { ?oecd ?p "Hijacked"@en }', {"oecd": URIRef(OECD)}).boolean
    tiers = {str(t) for t in store.query("SELECT ?t WHERE { ?s <https://w3id.org/dskg#tier> ?t }",
                                         {"s": URIRef(AGRI_SPACE)}).column("t")}
    return prohibitions, hijacked, tiers


def test_a_steward_cannot_rewrite_eu_rules_through_its_own_dataset(
        node: tuple[str, Store, Path]) -> None:
    url, store, tokens = node
    steward = make_token(tokens, "--role", "steward", "--dataspace", "agdatahub")
    before = decisions(url)
    facts = facts_under_attack(store)
    assert "permit" in before and not facts[1] and facts[2] == {str(DSKG.EUTier)}
    got = httpx.get(f"{url}/datasets/agdatahub-farmer-consents", headers={"Accept": "text/turtle"})
    body = got.text + f"""
<{GDPR}> <http://www.w3.org/ns/odrl/2/prohibition> [ <http://www.w3.org/ns/odrl/2/action>
    <http://www.w3.org/ns/odrl/2/use> ] .
<{OECD}> <http://www.w3.org/2004/02/skos/core#prefLabel> "Hijacked"@en .
<{AGRI_SPACE}> <https://w3id.org/dskg#tier> <https://w3id.org/dskg#ProjectTier> .
"""
    count = store.triple_count()
    response = httpx.put(f"{url}/datasets/agdatahub-farmer-consents", content=body,
                         headers={**TTL, **steward, "If-Match": got.headers["ETag"]})
    assert response.status_code == 422, response.text
    problem = response.json()
    reasons = " ".join(r for item in problem["refusals"] for r in item["reasons"])
    for subject in (GDPR, OECD, AGRI_SPACE):
        assert subject in reasons
    assert f"{BASE}graph/policy/gdpr" in reasons or "graph/framework/gdpr" in reasons
    assert store.triple_count() == count and facts_under_attack(store) == facts
    assert decisions(url) == before
    # Unchanged, the same description goes back with its ETag: the owner may write it.
    again = httpx.put(f"{url}/datasets/agdatahub-farmer-consents", content=got.text,
                      headers={**TTL, **steward, "If-Match": got.headers["ETag"]})
    assert again.status_code == 200, again.text


def test_a_new_rule_may_not_target_what_others_hold(node: tuple[str, Store, Path]) -> None:
    url, _store, tokens = node
    steward = make_token(tokens, "--role", "steward", "--dataspace", "agdatahub")
    before = decisions(url)
    policy = f"""@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
<{BASE}id/policy/sneaky> a odrl:Offer ; odrl:uid <{BASE}id/policy/sneaky> ;
    odrl:target <{PROBES[0]}> ;
    odrl:prohibition [ odrl:action odrl:use ; odrl:target <{PROBES[0]}> ] .
<{ID}catalog/agdatahub> <http://www.w3.org/ns/dcat#dataset> <{PROBES[1]}> .
"""
    response = httpx.post(f"{url}/policies", content=policy, headers={**TTL, **steward})
    assert response.status_code in (403, 422), response.text
    assert decisions(url) == before


def test_membership_is_not_ownership(node: tuple[str, Store, Path]) -> None:
    url, _store, tokens = node
    steward = make_token(tokens, "--role", "steward", "--dataspace", "agdatahub")
    membership = f"""@prefix org: <http://www.w3.org/ns/org#> .
@prefix dskg: <https://w3id.org/dskg#> .
[] a org:Membership ; org:member <{AEPD}> ; org:organization <{ID}dataspace/agdatahub> ;
    org:role dskg:DataConsumer .
"""
    joined = httpx.post(f"{url}/memberships", content=membership, headers={**TTL, **steward})
    assert joined.status_code == 201, joined.text
    got = httpx.get(f"{url}/organisations/aepd", headers={"Accept": "text/turtle"})
    changed = got.text.replace("Spanish Data Protection Agency", "Taken over")
    assert changed != got.text
    response = httpx.put(f"{url}/organisations/aepd", content=changed,
                         headers={**TTL, **steward, "If-Match": got.headers["ETag"]})
    assert response.status_code == 403, response.text
    assert "belongs to" in response.json()["detail"]
    assert "Taken over" not in httpx.get(f"{url}/organisations/aepd",
                                         headers={"Accept": "text/turtle"}).text
    # The national authority of Spain owns it, and may change it.
    spain = make_token(tokens, "--role", "authority", "--country", "ES")
    mended = httpx.put(f"{url}/organisations/aepd", content=got.text.replace(
        "Spanish Data Protection Agency", "Agencia Española de Protección de Datos"),
        headers={**TTL, **spain, "If-Match": got.headers["ETag"]})
    assert mended.status_code == 200, mended.text


def test_an_authority_may_not_claim_a_higher_tier(node: tuple[str, Store, Path]) -> None:
    url, _store, tokens = node
    spain = make_token(tokens, "--role", "authority", "--country", "ES")
    body = """@prefix dskg: <https://w3id.org/dskg#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dct: <http://purl.org/dc/terms/> .
<new-agency> a org:Organization ; skos:prefLabel "Nueva agencia"@es ; foaf:name "Nueva agencia" ;
    dct:description "Una agencia nacional."@es ; dskg:country "ES" ;
    dct:type <http://purl.org/adms/publishertype/NationalAuthority> ;
    dskg:tier dskg:EUTier .
"""
    response = httpx.post(f"{url}/organisations", content=body, headers={**TTL, **spain})
    assert response.status_code == 422, response.text
    assert "EUTier" in response.text
    allowed = httpx.post(f"{url}/organisations", content=body.replace("EUTier", "NationalTier"),
                         headers={**TTL, **spain})
    assert allowed.status_code == 201, allowed.text


def test_a_harvested_peer_stays_within_its_bounds(tmp_path: Path) -> None:
    store = ecosystem_store()
    settings = Settings(store="memory", admin_token=ADMIN["Authorization"][7:], base_iri=BASE,
                        load_default_graph=False)
    peer_server = StubPeer()
    evil = PREFIXES + f"""ex:catalog a dcat:Catalog ; dct:title "Evil catalog"@en ;
    dcat:dataset ex:good, ex:bad .
ex:good a dcat:Dataset ; dct:title "A fair dataset"@en ; dct:description "Fine."@en .
ex:bad a dcat:Dataset ; dct:title "A dataset with a payload"@en ; dct:description "Bad."@en ;
    dcat:theme <{GDPR}> .
<{GDPR}> odrl:prohibition [ odrl:action odrl:use ] .
<{OECD}> <http://www.w3.org/2004/02/skos/core#prefLabel> "Hijacked"@en .
"""
    peer_server.turtle("/catalog", evil)
    with serve_app(app_for(store)) as url, serve_app(peer_server.app()) as peer_url:
        before = decisions(url)
        facts = facts_under_attack(store)
        peer = peer_from_table({"name": "evil", "catalog": f"{peer_url}/catalog"}, 0)
        report = harvest_peer(store, settings, peer)
        # What the peer says about the GDPR policy and OECD is trimmed: never stored.
        assert report.added >= 1  # the fair dataset landed
        assert facts_under_attack(store) == facts
        assert decisions(url) == before
        # The report lists what was trimmed, triple by triple.
        trimmed = " ".join(t for item in report.to_json()["trimmed"] for t in item["triples"])
        assert f"<{GDPR}> <http://www.w3.org/ns/odrl/2/prohibition>" in trimmed
        assert "trimmed" in report.to_text()
        # The admin can remove what the peer brought.
        listed = httpx.get(f"{url}/datasets", params={"q": "fair"}).json()["items"]
        assert listed
        removed = httpx.delete(f"{url}/datasets/{listed[0]['id']}?cascade=true", headers=ADMIN)
        assert removed.status_code == 204, removed.text


def test_a_peer_may_not_assert_a_higher_tier() -> None:
    store = ecosystem_store()
    settings = Settings(store="memory", base_iri=BASE, load_default_graph=False)
    peer_server = StubPeer()
    peer_server.turtle("/catalog", PREFIXES + """ex:catalog a dcat:Catalog ;
    dct:title "Catalog"@en ; dcat:dataset ex:ds .
ex:ds a dcat:Dataset ; dct:title "Tiered"@en ; dct:description "x"@en ;
    <https://w3id.org/dskg#tier> <https://w3id.org/dskg#EUTier> .
""")
    with serve_app(peer_server.app()) as peer_url:
        bounded = peer_from_table({"name": "p", "catalog": f"{peer_url}/catalog"}, 0)
        report = harvest_peer(store, settings, bounded)
        assert any("EUTier" in r.reason for r in report.rejected), report
        allowed = peer_from_table({"name": "p", "catalog": f"{peer_url}/catalog",
                                   "tiers": ["eu", "project"]}, 0)
        assert not harvest_peer(store, settings, allowed).rejected


def test_each_store_has_its_own_token_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    monkeypatch.delenv("DSKG_TOKENS_FILE", raising=False)
    a = tokens_file(Settings(store=str(tmp_path / "a")))
    b = tokens_file(Settings(store=str(tmp_path / "b")))
    assert a is not None and b is not None and a != b


# -- property: no lower-tier write changes a decision governed from above ------------------
HOSTILE = [
    (GDPR, str(ODRL.prohibition), "[ <http://www.w3.org/ns/odrl/2/action> "
                                  "<http://www.w3.org/ns/odrl/2/use> ]"),
    (GDPR, str(ODRL.inheritFrom), f"<{BASE}id/policy/mine>"),
    (AGRI_SPACE, str(DSKG.tier), f"<{DSKG.ProjectTier}>"),
    (f"{ID}catalog/common-european-agriculture-data-space", str(DCAT.dataset),
     f"<{BASE}id/dataset/mine>"),
    (str(ODRL.use), str(ODRL.includedIn), f"<{ODRL.read}>"),
    (f"{ID}concept/research", str(SKOS.broader), f"<{BASE}id/concept/mine>"),
    (f"{BASE}id/policy/mine", str(ODRL.target), f"<{PROBES[0]}>"),
    (f"{BASE}id/policy/mine", str(DSKG.tier), f"<{DSKG.EUTier}>"),
    (ASSIGNEE, "http://www.w3.org/ns/org#subOrganizationOf", f"<{ID}organisation/oecd>"),
]


@pytest.fixture(scope="module")
def shared_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tokens = tmp_path_factory.mktemp("tokens") / "tokens.json"
    old = os.environ.get("DSKG_TOKENS_FILE")
    os.environ["DSKG_TOKENS_FILE"] = str(tokens)
    with serve_app(app_for(ecosystem_store())) as url:
        yield url, tokens
    if old is None:
        os.environ.pop("DSKG_TOKENS_FILE", None)
    else:
        os.environ["DSKG_TOKENS_FILE"] = old


@hsettings(max_examples=12, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=4),
       writer=st.sampled_from([("steward", "agdatahub"), ("authority", "ES"),
                               ("steward", "ds4skills")]))
def test_no_lower_tier_write_changes_a_higher_tier_decision(
        shared_node: tuple[str, Path], picks: list[tuple[str, str, str]],
        writer: tuple[str, str]) -> None:
    url, tokens = shared_node
    before = decisions(url)
    flag = "--dataspace" if writer[0] == "steward" else "--country"
    token = make_token(tokens, "--role", writer[0], flag, writer[1])
    body = "\n".join(f"<{s}> <{p}> {o} ." for s, p, o in picks)
    body += (f"\n<{BASE}id/policy/mine> a <http://www.w3.org/ns/odrl/2/Offer> ; "
             f"<http://www.w3.org/ns/odrl/2/uid> <{BASE}id/policy/mine> ;"
             f" <http://www.w3.org/ns/odrl/2/permission> [ <http://www.w3.org/ns/odrl/2/action>"
             f" <http://www.w3.org/ns/odrl/2/use> ] .\n")
    httpx.post(f"{url}/policies", content=body, headers={**TTL, **token})
    assert decisions(url) == before


def test_every_description_goes_back_unchanged(node: tuple[str, Store, Path]) -> None:
    """GET as Turtle or JSON-LD, PUT the same body with its ETag: 200, for every data space
    (the admin) and for what a steward owns (its data space, dataset, membership)."""
    url, _store, tokens = node
    steward = make_token(tokens, "--role", "steward", "--dataspace", "agdatahub")
    spaces = httpx.get(f"{url}/dataspaces", params={"limit": 1000}).json()["items"]
    assert len(spaces) > 10
    jobs = [(f"/dataspaces/{s['id']}", ADMIN) for s in spaces]
    membership = httpx.get(f"{url}/memberships", params={"dataspace": "agdatahub"}
                           ).json()["items"][0]["id"]
    jobs += [(path, steward) for path in ("/dataspaces/agdatahub", "/datasets/agdatahub-farm-data",
                                          f"/memberships/{membership}")]
    for path, who in jobs:
        for media in ("text/turtle", "application/ld+json"):
            got = httpx.get(url + path, headers={"Accept": media})
            assert got.status_code == 200, (path, got.text)
            put = httpx.put(url + path, content=got.content,
                            headers={**who, "Content-Type": media, "If-Match": got.headers["ETag"]})
            assert put.status_code == 200, (path, media, put.text)


def test_pages_and_representations_say_who_owns_a_description(
        node: tuple[str, Store, Path]) -> None:
    """The owner (and the last writer's role) on the page and in the REST headers; the
    token subject of the last write only for an admin (DESIGN 4a, issue 22)."""
    url, _store, tokens = node
    steward = make_token(tokens, "--role", "steward", "--dataspace", "agdatahub",
                         "--subject", "rt-steward-ann")
    path = "/datasets/agdatahub-farm-data"
    got = httpx.get(url + path, headers={"Accept": "text/turtle"})
    put = httpx.put(url + path, content=got.content,
                    headers={**TTL, **steward, "If-Match": got.headers["ETag"]})
    assert put.status_code == 200, put.text

    public = httpx.get(url + path, headers={"Accept": "text/turtle"})
    space = f"{ID}dataspace/agdatahub"
    assert f'<{space}>; rel="{DSKG.owner}"' in public.headers["Link"]
    assert public.headers["DSKG-Writer-Role"] == "steward"
    assert "DSKG-Written-By" not in public.headers
    assert "rt-steward-ann" not in public.text
    admin = httpx.get(url + path, headers={"Accept": "text/turtle", **ADMIN})
    assert admin.headers["DSKG-Written-By"] == "rt-steward-ann"

    page = httpx.get(url + path, headers={"Accept": "text/html"}).text
    assert "Owned by" in page and "the stewards of Agdatahub" in page
    assert "by a steward" in page and "rt-steward-ann" not in page
    # An EU-tier framework belongs to the EU-tier authority.
    framework = httpx.get(f"{url}/resource", params={"iri": f"{ID}framework/gdpr"},
                          headers={"Accept": "text/html"})
    assert "Owned by the EU-tier authority" in framework.text


def test_the_edit_form_explains_an_ownership_refusal(node: tuple[str, Store, Path]) -> None:
    """A steward of another data space sends the edit form of agdatahub's dataset: 403, and the
    page says in plain words whose it is and whom to ask; nothing changes."""
    url, store, tokens = node
    other = make_token(tokens, "--role", "steward", "--dataspace", "urban-data-platform-hamburg")
    form = httpx.get(f"{url}/ui/edit/datasets/agdatahub-farm-data").text
    etag = form.split('name="etag" value="', 1)[1].split('"', 1)[0].replace("&#34;", '"')
    fields = {"title": "Taken over", "description": "Farm data.", "publisher": "agdatahub",
              "dataspace": "agdatahub", "theme": "AGRI", "access_url": "https://agdatahub.eu/",
              "etag": etag, "token": other["Authorization"].split()[-1]}
    count = store.triple_count()
    refused = httpx.post(f"{url}/ui/edit/datasets/agdatahub-farm-data", data=fields)
    assert refused.status_code == 403, refused.text[:500]
    text = " ".join(refused.text.split()).replace("&#39;", "'")
    assert "Nothing was saved. This dataset belongs to the stewards of Agdatahub" in text
    assert "your steward token (for urban-data-platform-hamburg)" in text
    assert store.triple_count() == count


def test_integrity_lists_and_repairs_what_an_earlier_version_let_in(tmp_path: Path) -> None:
    """A store written before owners were enforced holds the steward's EU-tier prohibition
    inside its dataset's graph: `dskg integrity` names it, `--repair` removes it (and the
    blank node it brought), keeping a copy; the rest of the description stays."""
    from typer.testing import CliRunner

    from kg.cli import app as cli
    from kg.services.documents import locate
    from kg.store.embedded import EmbeddedStore

    store_dir = tmp_path / "store"
    env = {"DSKG_STORE": str(store_dir), "DSKG_BASE_IRI": BASE, "DSKG_ADMIN_TOKEN": "cli-admin"}
    runner = CliRunner()
    assert runner.invoke(cli, ["stats"], env=env).exit_code == 0  # loads the default graph
    dataset = URIRef(f"{ID}dataset/agdatahub-farmer-consents")
    opened = EmbeddedStore(store_dir)
    try:
        located = locate(opened, dataset)
        assert located is not None
        graph = located.graph
        before = opened.triple_count(graph)
        opened.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <{GDPR}> "
                      "<http://www.w3.org/ns/odrl/2/prohibition> [ "
                      "<http://www.w3.org/ns/odrl/2/action> <http://www.w3.org/ns/odrl/2/use> ] ."
                      f" <{OECD}> <{SKOS.prefLabel}> \"Hijacked\"@en }} }}")
    finally:
        opened.close()

    found = runner.invoke(cli, ["integrity"], env=env)
    assert found.exit_code == 1
    assert f"{graph}: <{GDPR}>" in found.output and f"<{OECD}>" in found.output
    assert "2 triple(s) stated by descriptions that do not own them" in found.output

    repaired = runner.invoke(cli, ["integrity", "--repair"], env=env)
    assert repaired.exit_code == 0, repaired.output
    assert "removed 3 triple(s)" in repaired.output  # two trespasses and the blank node's
    kept = next(tmp_path.glob("store.trespass-*.nq")).read_text()
    assert "Hijacked" in kept and "odrl/2/use" in kept
    opened = EmbeddedStore(store_dir)
    try:
        assert opened.triple_count(graph) == before
        assert not opened.query(f'ASK {{ GRAPH <{graph}> {{ ?s ?p "Hijacked"@en }} }}').boolean
    finally:
        opened.close()
    assert runner.invoke(cli, ["integrity"], env=env).exit_code == 0
