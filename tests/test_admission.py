"""Admission of a new data space (issue 20), over HTTP against a real server on loopback,
with tokens issued by `dskg token create`: submit, read the report, correct, review, decide;
who may do what; pending submissions unseen by every reader of the graph; the conflict
check; admission all or nothing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from rdflib import URIRef

from harness.servers import serve_app
from kg.admission import decide as decide_model
from kg.admission import service
from kg.admission.books import book_for
from kg.namespaces import DSKG, META_GRAPH, PROV
from kg.services.context import ServiceContext
from kg.store import Store
from kg.tokens import create_token
from tests.rest_support import BASE, app_for, ecosystem_store, settings

FIXTURES = Path(__file__).parent / "fixtures" / "admission"
SEINE = (FIXTURES / "seine.ttl").read_bytes()
SPACE = f"{BASE}id/dataspace/seine-mobility"
DATASET = f"{BASE}id/dataset/seine-bike-counts"
TTL = {"Content-Type": "text/turtle"}
ATOM = "{http://www.w3.org/2005/Atom}"


def make_token(tokens: Path, *args: str) -> dict[str, str]:
    """A bearer token issued by the real CLI (`dskg token create ...`, run in-process)."""
    from typer.testing import CliRunner

    from kg.cli import app

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DSKG_TOKENS_FILE", str(tokens))
        patch.setenv("DSKG_STORE", "memory")
        done = CliRunner().invoke(app, ["token", "create", *args])
    assert done.exit_code == 0, done.output
    return {"Authorization": f"Bearer {done.stdout.strip().splitlines()[-1]}"}


def faulty(data: bytes) -> bytes:
    """Two faults: a malformed VAT number; no national framework of its country (FR)."""
    return (data.replace(b'"FR40303265045"', b'"FR-12"')
            .replace(b"law:data-act, law:fr-digital-republic-act ;", b"law:data-act ;"))


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    tokens = tmp_path_factory.mktemp("admission") / "tokens.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DSKG_TOKENS_FILE", str(tokens))
        store = ecosystem_store()
        def issue(role: str, subject: str, spaces: tuple[str, ...] = (),
                  country: str | None = None) -> dict[str, str]:
            token = create_token(settings(), role, subject, list(spaces), jurisdiction=country)
            return {"Authorization": f"Bearer {token}"}

        people = {  # the applicant's token as a script would get it: from the CLI
            "applicant": make_token(tokens, "--role", "applicant", "--subject", "seine-team"),
            "other": issue("applicant", "someone-else"),
            "fr": issue("authority", "authority-FR", country="FR"),
            "es": issue("authority", "authority-ES", country="ES"),
            "steward": issue("steward", "steward-agdatahub", ("agdatahub",)),
            "reader": issue("reader", "reader"),
        }
        with serve_app(app_for(store)) as url:
            yield {"url": url, "store": store, "tokens": tokens, **people}


def submit(node: dict, data: bytes, who: str = "applicant") -> httpx.Response:
    return httpx.post(f"{node['url']}/submissions", content=data,
                      headers={**TTL, **node[who]}, timeout=60)


def failing(answer: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for check in answer["checks"]:
        if check["outcome"] == "fail":
            found.setdefault(check["check"], []).append(check)
    return found


@pytest.fixture(scope="module")
def corrected(node: dict) -> dict:
    """A submission made with two faults, read, then corrected with PUT (If-Match)."""
    first = submit(node, faulty(SEINE))
    assert first.status_code == 201, first.text
    body = first.json()
    assert first.headers["location"] == f"/submissions/{body['id']}"
    assert body["status"] == "needs-changes"
    faults = failing(body)
    assert set(faults) == {"registration", "frameworks", "shapes"}, faults
    assert "FR-12" in faults["registration"][0]["message"]
    assert faults["registration"][0]["node"] == f"{BASE}id/organisation/seine-mobility-association"
    assert "FR" in faults["frameworks"][0]["message"]
    stale = httpx.put(f"{node['url']}/submissions/{body['id']}", content=SEINE,
                      headers={**TTL, **node["applicant"], "If-Match": '"nope"'})
    assert stale.status_code == 412
    fixed = httpx.put(f"{node['url']}/submissions/{body['id']}", content=SEINE, timeout=60,
                      headers={**TTL, **node["applicant"], "If-Match": first.headers["etag"]})
    assert fixed.status_code == 200, fixed.text
    return fixed.json()


def test_submission_answer_follows_the_contract(node: dict, corrected: dict) -> None:
    assert corrected["status"] == "pending"
    assert not failing(corrected)
    assert {"id", "status", "report", "checks", "history"} <= corrected.keys()
    assert corrected["report"]["conforms"] is True
    assert set(corrected["report"]) >= {"conforms", "results"}
    assert {c["check"] for c in corrected["checks"]} >= {
        "shapes", "authority", "members", "frameworks", "inheritance", "conflicts",
        "registration", "quality", "ownership"}
    assert all(c["outcome"] in ("pass", "warning", "fail") and c["message"]
               for c in corrected["checks"])
    assert [h["event"] for h in corrected["history"]] == ["submitted", "resubmitted"]
    assert [h["status"] for h in corrected["history"]] == ["needs-changes", "pending"]
    read = httpx.get(f"{node['url']}/submissions/{corrected['id']}", headers=node["applicant"])
    assert read.status_code == 200 and read.json()["checks"] == corrected["checks"]
    listed = httpx.get(f"{node['url']}/submissions", params={"status": "pending"},
                       headers=node["fr"]).json()
    assert {"total", "limit", "offset", "items"} <= listed.keys()
    assert corrected["id"] in [i["id"] for i in listed["items"]]
    mine = httpx.get(f"{node['url']}/submissions", headers=node["other"]).json()
    assert corrected["id"] not in [i["id"] for i in mine["items"]]


def test_a_pending_submission_is_invisible(node: dict, corrected: dict) -> None:
    url = node["url"]
    ask = httpx.post(f"{url}/sparql", data={"query": f"ASK {{ {{ <{SPACE}> ?p ?o }} UNION "
                                                     f"{{ ?s ?p <{SPACE}> }} UNION {{ GRAPH ?g "
                                                     f"{{ ?s ?p \"Bicycle counts along the "
                                                     f"Seine\"@en }} }} }}"},
                     headers={"Accept": "application/sparql-results+json"})
    assert ask.status_code == 200 and ask.json()["boolean"] is False
    for kind in ("dataspaces", "datasets", "organisations", "memberships", "policies"):
        listed = httpx.get(f"{url}/{kind}", params={"q": "Seine", "limit": 100}).json()
        assert listed["total"] == 0, (kind, listed["items"])
    assert httpx.get(f"{url}/dataspaces/seine-mobility").status_code == 404
    page = httpx.get(f"{url}/ui/search", params={"q": "Bicycle"}).text
    assert "Nothing matches" in page and "bike-counts" not in page
    decision = httpx.post(f"{url}/policies/evaluate", json={
        "assignee": f"{BASE}id/organisation/seine-mobility-association",
        "action": "odrl:use", "target": DATASET}).json()
    assert decision["decision"] == "not-applicable", decision
    assert "Seine" not in httpx.get(f"{url}/submissions/feed").text
    assert DATASET not in json.dumps(dsp_catalog(url))
    assert httpx.get(f"{url}/submissions/{corrected['id']}").status_code == 401


def test_only_the_tier_authority_may_review(node: dict, corrected: dict) -> None:
    url, sid = node["url"], corrected["id"]
    assert submit(node, SEINE, "reader").status_code == 403
    assert httpx.post(f"{url}/submissions", content=SEINE, headers=TTL).status_code == 401
    for who in ("applicant", "steward", "es", "reader"):
        answer = httpx.post(f"{url}/submissions/{sid}/decision", headers=node[who],
                            json={"decision": "admit", "reason": "fine"})
        assert answer.status_code == 403, (who, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    for who in ("steward", "es"):
        assert httpx.get(f"{url}/submissions/{sid}/review", headers=node[who]).status_code == 403
        assert httpx.get(f"{url}/submissions/{sid}", headers=node[who]).status_code == 403
    assert httpx.get(f"{url}/submissions/{sid}", headers=node["fr"]).status_code == 200
    bad = httpx.post(f"{url}/submissions/{sid}/decision", headers=node["fr"],
                     json={"decision": "maybe"})
    assert bad.status_code == 400
    assert httpx.get(f"{url}/submissions/{sid}", headers=node["applicant"]).json()[
        "status"] == "pending"


@pytest.fixture(scope="module")
def admitted(node: dict, corrected: dict) -> dict:
    review = httpx.get(f"{node['url']}/submissions/{corrected['id']}/review",
                       headers=node["fr"], timeout=60).json()
    ids = {n["@id"]: n for n in review["picture"]["nodes"]}
    assert SPACE in ids and ids[SPACE]["tier"] == str(DSKG.ProjectTier)
    assert review["picture"]["reachesEU"] is True
    assert f"{BASE}id/framework/fr-digital-republic-act".replace(BASE, "https://w3id.org/dskg/") \
        in ids
    assert all(d["new"] for d in review["diff"]) and len(review["diff"]) == 5
    answer = httpx.post(f"{node['url']}/submissions/{corrected['id']}/decision",
                        headers=node["fr"], json={"decision": "admit", "reason": "complete"},
                        timeout=60)
    assert answer.status_code == 200, answer.text
    return {**answer.json(), "id": corrected["id"]}


def test_admission_commits_everything_owned_by_the_data_space(node: dict,
                                                              admitted: dict) -> None:
    url, store = node["url"], node["store"]
    assert admitted["status"] == "admitted" and admitted["token"]
    ask = httpx.post(f"{url}/sparql", data={"query": f"ASK {{ <{SPACE}> a <{DSKG.DataSpace}> ; "
                                                     f"<{DSKG.catalog}>/<http://www.w3.org/ns/"
                                                     f"dcat#dataset> <{DATASET}> }}"},
                     headers={"Accept": "application/sparql-results+json"})
    assert ask.json()["boolean"] is True
    owners = store.query(
        f"SELECT ?g ?owner ?by WHERE {{ GRAPH <{META_GRAPH}> {{ ?g <{PROV.wasGeneratedBy}> ?by ;"
        f" <{DSKG.owner}> ?owner }} }}").rows
    mine = [r for r in owners if str(r[2]) == f"{BASE}submissions/{admitted['id']}#decision"]
    assert len(mine) == 5 and {str(r[1]) for r in mine} == {SPACE}
    steps = store.query(
        f"SELECT ?label WHERE {{ GRAPH <{META_GRAPH}> {{ ?step <{PROV.generated}> "
        f"<{BASE}submissions/{admitted['id']}> ; <http://www.w3.org/2000/01/rdf-schema#label> "
        "?label } }").column("label")
    assert sorted(map(str, steps)) == ["admitting", "resubmitted", "submitted"]
    # provenance names writers by role and token hash, never by the token's subject
    meta = store.get_graph(URIRef(META_GRAPH)).serialize(format="nt")
    assert "seine-team" not in meta and "authority-FR" not in meta
    assert f"{BASE}submissions/{admitted['id']}" in meta and "agent/applicant-" in meta
    # the applicant's new steward token edits the data space's dataset
    steward = {"Authorization": f"Bearer {admitted['token']}"}
    turtle = httpx.get(f"{url}/datasets/seine-bike-counts", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200
    edited = turtle.text.replace("Bicycle counts along the Seine", "Bicycle counts on the Seine")
    put = httpx.put(f"{url}/datasets/seine-bike-counts", content=edited.encode(),
                    headers={**TTL, **steward, "If-Match": turtle.headers["etag"]}, timeout=30)
    assert put.status_code == 200, put.text
    read = httpx.get(f"{url}/submissions/{admitted['id']}", headers=node["applicant"]).json()
    assert read["status"] == "admitted" and read["reason"] == "complete"
    # what peers harvest: the dataset is in this node's catalogs now
    assert DATASET in json.dumps(dsp_catalog(url))


def dsp_catalog(url: str) -> dict:
    """The Dataspace Protocol catalog of the Seine association's datasets (what a peer or a
    connector harvests)."""
    return httpx.post(f"{url}/dsp/catalog/request", timeout=60, json={
        "@context": ["https://w3id.org/dspace/2025/1/context.jsonld"],
        "@type": "CatalogRequestMessage",
        "filter": [{"dct:publisher": f"{BASE}id/organisation/seine-mobility-association"}]}
    ).json()


def test_an_update_is_diffed_and_a_rejection_is_kept(node: dict, admitted: dict) -> None:
    url = node["url"]
    update = SEINE.replace(b"Hourly counts of bicycles", b"Counts of bicycles every hour")
    refused = submit(node, update, "other")  # not the data space's steward
    assert refused.status_code == 403
    steward = {"Authorization": f"Bearer {admitted['token']}"}
    made = httpx.post(f"{url}/submissions", content=update, headers={**TTL, **steward},
                      timeout=60)
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    assert made.json()["update"] is True
    review = httpx.get(f"{url}/submissions/{sid}/review", headers=node["fr"], timeout=60).json()
    changed = {d["root"]: d for d in review["diff"]}
    assert "Counts of bicycles every hour" in " ".join(changed[DATASET]["added"])
    assert "Bicycle counts on the Seine" in " ".join(changed[DATASET]["removed"])
    no_reason = httpx.post(f"{url}/submissions/{sid}/decision", headers=node["fr"],
                           json={"decision": "reject"})
    assert no_reason.status_code == 400
    answer = httpx.post(f"{url}/submissions/{sid}/decision", headers=node["fr"],
                        json={"decision": "reject", "reason": "keep the title as admitted"})
    assert answer.json() == {"status": "rejected", "token": None, "dataspace": SPACE}
    seen = httpx.get(f"{url}/submissions/{sid}", headers=steward).json()
    assert seen["status"] == "rejected" and seen["reason"] == "keep the title as admitted"
    again = httpx.post(f"{url}/submissions/{sid}/decision", headers=node["fr"],
                       json={"decision": "admit"})
    assert again.status_code == 409
    text = httpx.get(f"{url}/datasets/seine-bike-counts", headers={"Accept": "text/turtle"}).text
    assert "Counts of bicycles every hour" not in text
    atom = ElementTree.fromstring(httpx.get(f"{url}/submissions/feed").content)
    entries = {e.findtext(f"{ATOM}id"): e for e in atom.iter(f"{ATOM}entry")}
    assert f"{BASE}submissions/{sid}" in entries
    assert "keep the title as admitted" in entries[f"{BASE}submissions/{sid}"].findtext(
        f"{ATOM}summary")
    assert entries[f"{BASE}submissions/{admitted['id']}"].find(f"{ATOM}category").get(
        "term") == "admitted"
    assert "authority-FR" not in httpx.get(f"{url}/submissions/feed").text
    feed = httpx.get(f"{url}/submissions/feed", headers={"Accept": "application/feed+json"})
    items = {i["id"]: i for i in feed.json()["items"]}
    assert items[f"{BASE}submissions/{admitted['id']}"]["_dskg"]["dataspace"] == SPACE
    assert items[f"{BASE}submissions/{sid}"]["_dskg"]["status"] == "rejected"
    store = node["store"]
    assert store.query(f"ASK {{ GRAPH <{META_GRAPH}> {{ <{BASE}submissions/{sid}#decision> a "
                       f"<{DSKG.Rejection}> ; <{DSKG.reason}> ?r }} }}").boolean


SPANISH_HEALTH = b"""
@prefix dskg: <https://w3id.org/dskg#> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix org: <http://www.w3.org/ns/org#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix law: <https://w3id.org/dskg/id/framework/> .
@prefix policy: <https://w3id.org/dskg/id/policy/> .
@prefix concept: <https://w3id.org/dskg/id/concept/> .
<dataspace/madrid-health> a dskg:DataSpace ; skos:prefLabel "Madrid health data" ;
  foaf:name "Madrid health data" ; dskg:tier dskg:ProjectTier ; dskg:country "ES" ;
  dskg:governedBy <organisation/madrid-health-board> ; dskg:rulebook <rulebook/madrid-health> ;
  dskg:catalog <catalog/madrid-health> ;
  dskg:subjectTo law:gdpr, law:es-organic-law-3-2018 .
<organisation/madrid-health-board> a org:Organization ; skos:prefLabel "Madrid health board" ;
  foaf:name "Madrid health board" ; dskg:tier dskg:ProjectTier ; dskg:country "ES" .
<rulebook/madrid-health> a dskg:Rulebook ; dct:title "Madrid health rules"@en ;
  odrl:hasPolicy <policy/madrid-health-rulebook> .
<policy/madrid-health-rulebook> a odrl:Set ; odrl:uid <policy/madrid-health-rulebook> ;
  dskg:tier dskg:ProjectTier ;
  odrl:inheritFrom policy:gdpr, policy:es-organic-law-3-2018 ;
  odrl:permission [ odrl:action odrl:use ] .
<catalog/madrid-health> a dcat:Catalog ; dct:title "Madrid health catalog"@en ;
  dct:description "Health data."@en ; dcat:dataset <dataset/madrid-admissions> .
<dataset/madrid-admissions> a dcat:Dataset ; dct:title "Hospital admissions"@en ;
  dct:description "Admissions to Madrid hospitals."@en ; odrl:partOf concept:es-health-data .
<membership/madrid-health-board> a org:Membership ; org:member <organisation/madrid-health-board> ;
  org:organization <dataspace/madrid-health> ; org:role dskg:GovernanceAuthority .
"""


def test_a_rulebook_widening_a_national_rule_fails_the_conflict_check(node: dict) -> None:
    made = submit(node, SPANISH_HEALTH)
    assert made.status_code == 201, made.text
    conflicts = failing(made.json()).get("conflicts")
    assert conflicts, made.json()["checks"]
    assert any("widens" in c["message"] and "es-organic-law-3-2018" in c["message"]
               for c in conflicts)
    assert made.json()["status"] == "needs-changes"
    # narrowed to what the national rule permits, the conflict is gone
    narrowed = SPANISH_HEALTH.replace(b"odrl:permission [ odrl:action odrl:use ]", (
        b"odrl:permission [ odrl:action odrl:use ; odrl:constraint [ odrl:leftOperand "
        b"odrl:purpose ; odrl:operator odrl:isA ; odrl:rightOperand concept:health-research ] ]"))
    again = submit(node, narrowed).json()
    assert "conflicts" not in failing(again), again["checks"]


# -- all or nothing ---------------------------------------------------------------------------
def _digest(store: Store) -> str:
    out = io.BytesIO()
    store.export(out, "nquads")
    return hashlib.sha256(b"\n".join(sorted(out.getvalue().splitlines()))).hexdigest()


def test_admission_failing_in_the_commit_leaves_nothing(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = tmp_path / "tokens.json"
    monkeypatch.setenv("DSKG_TOKENS_FILE", str(tokens))
    store = ecosystem_store()
    ctx = ServiceContext(store, settings())
    applicant = create_token(ctx.settings, "applicant", "seine-team")
    from kg.auth import principal_for

    made = service.submit(ctx, principal_for(applicant, ctx.settings), SEINE, "text/turtle")
    assert made.status == "pending"
    before, issued = _digest(store), tokens.read_text()
    real = store.update

    def failing_update(request: str, **options: object) -> None:
        if "seine-mobility" in request:
            raise OSError("disk full half-way through the admission")
        real(request, **options)

    monkeypatch.setattr(store, "update", failing_update)
    admin = principal_for("test-admin-token", ctx.settings)
    with pytest.raises(OSError):
        decide_model.decide(ctx, admin, made.id, "admit", "ok")
    assert _digest(store) == before
    assert tokens.read_text() == issued  # no steward token
    after = book_for(store, ctx.settings).get(made.id)
    assert after is not None and after.status == "pending"
    assert [h["event"] for h in after.history][-2:] == ["admitting", "admission-failed"]
    monkeypatch.setattr(store, "update", real)
    assert decide_model.decide(ctx, admin, made.id, "admit", "ok").status == "admitted"
    assert store.query(f"ASK {{ <{SPACE}> ?p ?o }}").boolean


KILLER = """
import os, signal, sys
from kg.settings import Settings
from kg.store import open_store
from kg.services.context import ServiceContext
from kg.auth import principal_for
from kg.admission import service, decide
import kg.admission.decide as target

settings = Settings.from_env()
store = open_store(settings)
ctx = ServiceContext(store, settings)
made = service.submit(ctx, principal_for(sys.argv[2], settings), open(sys.argv[3], "rb").read(),
                      "text/turtle")
print(made.id, flush=True)
if sys.argv[1] == "in-commit":      # killed while the store writes the admission
    real = store.update
    def update(request, **options):
        if "seine-mobility" in request:
            os.kill(os.getpid(), signal.SIGKILL)
        real(request, **options)
    store.update = update
else:                               # killed after the commit, before the token and status
    target.create_token = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
decide.decide(ctx, principal_for(sys.argv[4], settings), made.id, "admit", "ok")
"""


def test_admission_killed_half_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two nodes killed (SIGKILL) in the middle of an admission, at once: one as the store
    writes the commit, one after the commit and before the steward token. Reopened, the
    first holds nothing of it (back to pending), the second all of it (admitted)."""
    from kg.store.embedded import EmbeddedStore
    from tests.rest_support import _ecosystem_nquads

    monkeypatch.setenv("DSKG_TOKENS_FILE", str(tmp_path / "tokens.json"))
    (tmp_path / "seine.ttl").write_bytes(SEINE)
    children = {}
    for moment in ("in-commit", "after-commit"):
        location = tmp_path / moment / "store"
        seeded = EmbeddedStore(location)
        seeded.import_quads(_ecosystem_nquads(), "nquads")
        seeded.close()
        env = {**os.environ, "DSKG_STORE": str(location), "DSKG_BASE_IRI": BASE,
               "DSKG_ADMIN_TOKEN": "test-admin-token", "DSKG_QUERY_TIMEOUT": "300",
               "DSKG_TOKENS_FILE": str(tmp_path / moment / "tokens.json")}
        prepared = Settings_for(env)
        monkeypatch.setenv("DSKG_TOKENS_FILE", env["DSKG_TOKENS_FILE"])
        applicant = create_token(prepared, "applicant", "seine-team")
        process = subprocess.Popen(
            [sys.executable, "-c", KILLER, moment, applicant, str(tmp_path / "seine.ttl"),
             "test-admin-token"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        children[moment] = (process, location, prepared)
    for moment, (process, location, prepared) in children.items():
        out, err = process.communicate(timeout=600)
        assert process.returncode == -9, err
        sid = out.split()[0]
        issued = json.loads((location.parent / "tokens.json").read_text())
        assert [e["role"] for e in issued] == ["applicant"]  # the steward token never came
        store = EmbeddedStore(location)
        try:
            settled = book_for(store, prepared).get(sid)  # settles the interrupted admission
            assert settled is not None
            graphs = store.query(f"SELECT ?g WHERE {{ GRAPH <{META_GRAPH}> {{ ?g "
                                 f"<{PROV.wasGeneratedBy}> <{BASE}submissions/{sid}#decision> "
                                 "} }").column("g")
            present = store.query(f"ASK {{ <{SPACE}> ?p ?o }}").boolean
            if moment == "in-commit":
                assert settled.status == "pending" and not graphs and not present
                assert settled.history[-1]["event"] == "admission-undone"
            else:
                assert settled.status == "admitted" and len(graphs) == 5 and present
                assert "dskg token create" in (settled.reason or "")
                for graph in graphs:
                    assert store.has_graph(URIRef(str(graph)))
        finally:
            store.close()


def Settings_for(env: dict[str, str]):  # noqa: N802 - reads like the class it builds
    from kg.settings import Settings

    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        return Settings.from_env()


@pytest.mark.parametrize(("media", "fmt"), [("application/ld+json", "json-ld"),
                                            ("application/rdf+xml", "xml")])
def test_json_ld_and_rdf_xml_are_submitted_alike(node: dict, media: str, fmt: str) -> None:
    from rdflib import Graph

    loire = SEINE.replace(b"seine-", b"loire-").replace(b"Seine", b"Loire")
    graph = Graph().parse(data=loire, format="turtle", publicID=f"{BASE}id/")
    made = httpx.post(f"{node['url']}/submissions", content=graph.serialize(format=fmt),
                      headers={"Content-Type": media, **node["other"]}, timeout=60)
    assert made.status_code == 201, made.text
    answer = made.json()
    assert answer["dataspace"] == SPACE.replace("seine-", "loire-")
    assert not failing(answer), answer["checks"]
    assert answer["status"] in ("pending", "needs-changes")


def test_unreadable_submissions_are_refused_and_not_kept(node: dict) -> None:
    before = httpx.get(f"{node['url']}/submissions", headers=node["other"]).json()["total"]
    broken = submit(node, b"@prefix dskg: <https://w3id.org/dskg#> .\n<a> a dskg:DataSpace ]\n",
                    "other")
    assert broken.status_code == 400 and broken.json()["line"] == 2, broken.text
    none = submit(node, b"<https://example.org/x> a <http://www.w3.org/ns/dcat#Dataset> .",
                  "other")
    assert none.status_code == 400 and "exactly one dskg:DataSpace" in none.json()["detail"]
    after = httpx.get(f"{node['url']}/submissions", headers=node["other"]).json()["total"]
    assert after == before


def test_an_admitted_update_replaces_the_descriptions_it_carries(node: dict,
                                                                  admitted: dict) -> None:
    url, store = node["url"], node["store"]
    steward = {"Authorization": f"Bearer {admitted['token']}"}
    update = SEINE.replace(b"Hourly counts of bicycles", b"Counts of bicycles, hour by hour")
    made = httpx.post(f"{url}/submissions", content=update, headers={**TTL, **steward},
                      timeout=60).json()
    assert made["update"] is True and made["status"] == "pending", made["checks"]
    answer = httpx.post(f"{url}/submissions/{made['id']}/decision", headers=node["fr"],
                        json={"decision": "admit", "reason": "a better description"},
                        timeout=60).json()
    assert answer["status"] == "admitted" and answer["token"] != admitted["token"]
    text = httpx.get(f"{url}/datasets/seine-bike-counts", headers={"Accept": "text/turtle"}).text
    assert "hour by hour" in text
    owners = {str(o) for o in store.query(
        f"SELECT ?o WHERE {{ GRAPH <{META_GRAPH}> {{ ?g <{PROV.wasGeneratedBy}> "
        f"<{BASE}submissions/{made['id']}#decision> ; <{DSKG.owner}> ?o }} }}").column("o")}
    assert owners == {SPACE}
