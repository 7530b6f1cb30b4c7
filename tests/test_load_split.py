"""`dskg load` of a single-file catalog dump: one description per dataset, agent, data space
and catalog, with its blank nodes and owned parts; nothing lost, nothing repeated, the same
split every time, and a reload that rewrites only what changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic
from typer.testing import CliRunner

from harness.generate import generate, generate_turtle
from kg.cli import app
from kg.namespaces import DCAT, DSKG, META_GRAPH, PROV
from kg.ownership import RESERVED_NAMESPACES
from kg.split import _parse, content_hash, load_dump, split_dump, write_dump
from kg.store.embedded import EmbeddedStore
from kg.store.parsing import graph_bodies

BASE = "http://127.0.0.1:8000/"
SYN = "https://w3id.org/dskg/synthetic/id/"
runner = CliRunner()


@pytest.fixture(scope="module")
def dump_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic ecosystem of 20 datasets as one Turtle file (a portal's export)."""
    return generate_turtle(20, path=tmp_path_factory.mktemp("dump") / "catalog.ttl")


def test_the_split_is_the_ecosystem_s_own_descriptions(dump_file: Path,
                                                       tmp_path: Path) -> None:
    """The generator writes one graph per description; serialised as one Turtle file and
    split again, every description comes back with exactly its triples (blank nodes and
    owned parts included): none lost, none merged, none repeated."""
    dump = split_dump(dump_file.read_bytes(), "turtle", base_iri=BASE)
    assert dump is not None
    expected = {name.replace("/graph/", "/id/"): "sha256:" + content_hash(_parse(body.decode()))
                for name, body in graph_bodies(generate(20, path=tmp_path / "d.nq")
                                               .read_bytes(), "nquads").items()}
    got = {str(part.root): part.content_hash for part in dump.parts}
    assert sorted(got) == sorted(expected)
    assert got == expected
    assert {f"{SYN}dataset/{i}" for i in range(20)} <= set(got)
    # A dataset's offer and distribution are parts of it, not descriptions of their own.
    assert f"{SYN}distribution/3" not in got and f"{SYN}policy/offer3" not in got


def test_the_split_is_stable(dump_file: Path) -> None:
    """The same statements in another order and syntax give the same descriptions, graph
    names and content hashes (blank node labels play no part)."""
    first = split_dump(dump_file.read_bytes(), "turtle", base_iri=BASE)
    assert first is not None
    graph = Graph().parse(dump_file, format="turtle")
    for fmt, rdflib_fmt in (("xml", "xml"), ("json-ld", "json-ld"), ("ntriples", "nt")):
        again = split_dump(graph.serialize(format=rdflib_fmt).encode(), fmt, base_iri=BASE)
        assert again is not None
        assert [(p.name, p.root, p.content_hash) for p in first.parts] == \
            [(p.name, p.root, p.content_hash) for p in again.parts], fmt


PORTAL = """\
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> . @prefix ex: <https://portal.example/> .
ex:catalog a dcat:Catalog ; dct:title "Portal" ; dct:publisher ex:ministry ;
    dcat:dataset ex:air, ex:water, [ a dcat:Dataset ; dct:title "Soil samples" ;
                                     dct:publisher ex:ministry ] .
ex:ministry a foaf:Agent ; foaf:name "Ministry" .
ex:air a dcat:Dataset ; dct:title "Air" ; dct:publisher ex:ministry ;
    dcat:distribution ex:air-csv ; odrl:hasPolicy ex:open-offer ;
    dcat:contactPoint [ a vcard:Kind ; vcard:fn "Desk" ] ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/ENVI> .
ex:air-csv a dcat:Distribution ; dcat:accessURL <https://portal.example/air.csv> .
ex:water a dcat:Dataset ; dct:title "Water" ; odrl:hasPolicy ex:open-offer ;
    dcat:theme <http://publications.europa.eu/resource/authority/data-theme/ENVI> .
ex:open-offer a odrl:Offer ; odrl:permission [ odrl:action odrl:use ] .
<http://publications.europa.eu/resource/authority/data-theme/ENVI> dct:title "Environment" .
"""


def test_a_portal_export_is_cut_per_dataset_agent_and_catalog() -> None:
    dump = split_dump(PORTAL.encode(), "turtle", base_iri=BASE)
    assert dump is not None
    parts = {str(p.root): p for p in dump.parts}
    soil = f"{BASE}id/dataset/soil-samples"  # a blank dataset is named from its title
    assert sorted(parts) == sorted(["https://portal.example/catalog",
                                    "https://portal.example/ministry",
                                    "https://portal.example/air", "https://portal.example/water",
                                    "https://portal.example/open-offer", soil])
    air = {(s, p) for s, p, _o in parts["https://portal.example/air"].triples}
    # Its distribution and contact point are its parts; the offer two datasets share stands
    # alone; the theme's label is repeated with each dataset that uses it.
    assert ("<https://portal.example/air-csv>", f"<{DCAT.accessURL}>") in air
    assert not any(s == "<https://portal.example/open-offer>" for s, _p in air)
    envi = "<http://publications.europa.eu/resource/authority/data-theme/ENVI>"
    assert (envi, "<http://purl.org/dc/terms/title>") in air
    catalog = parts["https://portal.example/catalog"].triples
    assert ("<https://portal.example/catalog>", f"<{DCAT.dataset}>", f"<{soil}>") in catalog
    assert not any(s == "<https://portal.example/ministry>" for s, _p, _o in catalog)
    # Not a catalog dump: one dataset, or named graphs already.
    assert split_dump(b"<https://e/d> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
                      b"<http://www.w3.org/ns/dcat#Dataset> .", "ntriples",
                      base_iri=BASE) is None
    assert split_dump(b"<https://e/g> { <https://e/d> a <http://www.w3.org/ns/dcat#Catalog> }",
                      "trig", base_iri=BASE) is None


def _load(env: dict[str, str], *args: str) -> str:
    result = runner.invoke(app, ["load", *args], env=env)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def _route(route: str, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Send a small dump down the route a big one takes: ``bulk`` (staged, journaled bulk
    load) or ``checked`` (the same, into an empty store, with the file's triples checked in
    a second process meanwhile). Returns the list each answer of that check is noted in."""
    checked: list[bool] = []
    if route in ("bulk", "checked"):
        monkeypatch.setattr("kg.split.BULK_GRAPHS", 10)
    if route == "checked":
        from kg.write import FileCheck

        class Noted(FileCheck):
            def result(self):  # type: ignore[no-untyped-def]
                verdict = super().result()
                checked.append(verdict.report.conforms)
                return verdict

        monkeypatch.setattr("kg.split.CHECK_MIN_BYTES", 0)
        monkeypatch.setattr("kg.split.FileCheck", Noted)
    return checked


@pytest.mark.parametrize("route", ["small", "bulk", "checked"])
def test_dskg_load_of_a_dump_round_trip(dump_file: Path, tmp_path: Path, route: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the small path (rdflib graphs, one transaction) and the bulk path (staged,
    journaled bulk load) that a big dump takes, with and without the check in a second
    process."""
    checked = _route(route, monkeypatch)
    env = {"DSKG_STORE": str(tmp_path / "store"), "DSKG_DEFAULT_GRAPH": "0",
           "DSKG_BASE_IRI": BASE}
    dump = split_dump(dump_file.read_bytes(), "turtle", base_iri=BASE)
    assert dump is not None
    assert f"{len(dump.parts)} description(s)" in _load(env, str(dump_file))
    store = EmbeddedStore(tmp_path / "store")
    try:
        meta = URIRef(META_GRAPH)
        names = [n for n in store.graph_names() if n != meta]
        assert sorted(names) == sorted(p.name for p in dump.parts)
        # Every dataset has a graph of its own, found through its record.
        described = dict(store.query(
            "SELECT ?r ?g WHERE { GRAPH ?m { ?g ?d ?r } ?r a ?c }",
            {"m": meta, "d": DSKG.describes, "c": DCAT.Dataset}).rows)
        assert sorted(map(str, described)) == sorted(f"{SYN}dataset/{i}" for i in range(20))
        assert len(set(described.values())) == 20
        journaled = store.query("ASK { GRAPH ?m { ?g ?by ?load } }",
                                {"m": meta, "by": PROV.wasGeneratedBy}).boolean
        # the bulk loader's journal tags every graph
        assert journaled is (route != "small")
        assert checked == ([True] if route == "checked" else [])
        # The descriptions together hold exactly the file's statements.
        union = Graph()
        for name in names:
            union += store.get_graph(name)
        assert isomorphic(union, Graph().parse(dump_file, format="turtle"))
        # Nothing is repeated but the shared vocabulary's terms: every other subject is
        # described in exactly one graph.
        homes: dict[URIRef, int] = {}
        for name in names:
            for subject in set(store.get_graph(name).subjects()):
                if isinstance(subject, URIRef) and not str(subject).startswith(
                        RESERVED_NAMESPACES):
                    homes[subject] = homes.get(subject, 0) + 1
        assert len(homes) > 90 and set(homes.values()) == {1}
    finally:
        store.close()
    # Loading it again changes nothing; a changed dataset is the only one rewritten.
    assert f"0 new, 0 replaced, {len(dump.parts)} unchanged" in _load(env, str(dump_file))
    changed = tmp_path / "changed.ttl"
    changed.write_text(dump_file.read_text().replace('"Dataset 7 on', '"Dataset seven on'))
    assert f"0 new, 1 replaced, {len(dump.parts) - 1} unchanged" in _load(env, str(changed))
    # --whole keeps the file one description, as before.
    whole = _load({**env, "DSKG_STORE": str(tmp_path / "whole")}, "--whole", str(dump_file))
    assert "1 description(s)" in whole


@pytest.mark.parametrize("route", ["small", "bulk", "checked"])
def test_a_rejected_dump_leaves_the_store_unchanged(dump_file: Path, tmp_path: Path, route: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Through every route: the journaled bulk loader's graphs and records are undone."""
    checked = _route(route, monkeypatch)
    env = {"DSKG_STORE": str(tmp_path / "store"), "DSKG_DEFAULT_GRAPH": "0",
           "DSKG_BASE_IRI": BASE}
    broken = tmp_path / "broken.ttl"  # a dataset without its title
    text = dump_file.read_text()
    broken.write_text(re.sub(r'dct:title "Dataset 4 on \w+"@en ;', "", text, count=1))
    assert broken.read_text() != text
    result = runner.invoke(app, ["load", str(broken)], env=env)
    assert result.exit_code == 1 and "dataset/4" in result.output, result.output
    count = runner.invoke(app, ["query", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
                                "--format", "csv"], env=env)
    assert count.stdout.splitlines()[1] == "0"
    assert checked == ([False] if route == "checked" else [])


def _graphs(store_path: Path) -> dict[str, str]:
    """{root: graph} of the descriptions a store holds, from their records."""
    store = EmbeddedStore(store_path)
    try:
        rows = store.query("SELECT ?r ?g WHERE { GRAPH ?m { ?g ?d ?r } "
                           "FILTER EXISTS { GRAPH ?g { ?s ?p ?o } } }",
                           {"m": URIRef(META_GRAPH), "d": DSKG.describes}).rows
        return {str(r): str(g) for r, g in rows}
    finally:
        store.close()


def _without(source: Path, target: Path, iri: str) -> Path:
    """``source`` without the description of ``iri`` (its triples, its parts' and blank
    nodes', and the links to it)."""
    graph = Graph().parse(source, format="turtle")
    dump = split_dump(source.read_bytes(), "turtle", base_iri=BASE)
    assert dump is not None
    part = next(p for p in dump.parts if str(p.root) == iri)
    queue: list = [URIRef(s[1:-1]) for s in part.claims]
    seen: set = set()
    while queue:
        node = queue.pop()
        if node in seen:
            continue
        seen.add(node)
        queue += [o for o in graph.objects(node, None) if isinstance(o, BNode)]
    for node in seen:
        graph.remove((node, None, None))
    graph.remove((None, None, URIRef(iri)))
    graph.serialize(target, format="turtle")
    return target


def test_a_reload_removes_what_left_the_dump(dump_file: Path, tmp_path: Path) -> None:
    """Descriptions an earlier load of the same dump wrote and the new one lacks are deleted
    (with a tombstone), as a re-harvest does; another dump's descriptions are left alone."""
    env = {"DSKG_STORE": str(tmp_path / "store"), "DSKG_DEFAULT_GRAPH": "0",
           "DSKG_BASE_IRI": BASE}
    dump = split_dump(dump_file.read_bytes(), "turtle", base_iri=BASE)
    assert dump is not None and dump.catalog is None  # a catalog per data space: no top one
    n = len(dump.parts)
    export = tmp_path / "export.ttl"  # a portal's export, overwritten by its next one
    export.write_bytes(dump_file.read_bytes())
    assert f"{n} new, 0 replaced, 0 unchanged, 0 removed" in _load(env, str(export))
    other = tmp_path / "other.ttl"  # another dump (its own top catalog is its identity)
    other.write_text(PORTAL.replace('dct:title "', 'dct:description "A portal dataset." ; '
                                    'dct:title "').replace(
        "ex:open-offer a odrl:Offer ;", "ex:open-offer a odrl:Offer ; odrl:uid ex:open-offer ;"
        " odrl:assigner ex:ministry ;"))
    _load(env, str(other))
    # Dataset 7 leaves the portal: its description goes, the catalog listing it changes.
    _without(dump_file, export, f"{SYN}dataset/7")
    assert f"0 new, 1 replaced, {n - 2} unchanged, 1 removed" in _load(env, str(export))
    held = _graphs(tmp_path / "store")
    assert f"{SYN}dataset/7" not in held and f"{SYN}dataset/8" in held
    assert "https://portal.example/water" in held  # the other dump's
    store = EmbeddedStore(tmp_path / "store")
    try:  # the deletion is accountable: a tombstone says who removed it
        gone = next(str(p.name) for p in dump.parts if str(p.root) == f"{SYN}dataset/7")
        assert store.query("ASK { GRAPH ?m { ?g a ?t } }",
                           {"m": URIRef(META_GRAPH), "g": URIRef(gone),
                            "t": DSKG.DeletedDescription}).boolean
        assert not store.has_graph(URIRef(gone))
        sources = {str(r): str(s) for r, s in store.query(
            "SELECT ?r ?s WHERE { GRAPH ?m { ?g ?by ?s ; ?d ?r } }",
            {"m": URIRef(META_GRAPH), "by": DSKG.dumpSource, "d": DSKG.describes}).rows}
        assert sources[f"{SYN}dataset/8"] == export.resolve().as_uri()
        assert sources["https://portal.example/water"] == "https://portal.example/catalog"
    finally:
        store.close()
    # --source names the dump: the same statements under another name are another dump,
    # whose load removes nothing of this one.
    renamed = tmp_path / "renamed.ttl"
    renamed.write_bytes(export.read_bytes())
    assert f"0 new, 0 replaced, {n - 1} unchanged, 0 removed" in _load(
        env, "--source", export.resolve().as_uri(), str(renamed))
    assert f"{SYN}dataset/8" in _graphs(tmp_path / "store")
    # The same file again: nothing to do. A source must be an absolute IRI.
    assert f"0 new, 0 replaced, {n - 1} unchanged, 0 removed" in _load(env, str(export))
    bad = runner.invoke(app, ["load", "--source", "not an iri", str(export)], env=env)
    assert bad.exit_code != 0 and "--source" in bad.output


def test_a_dump_restating_what_another_description_owns_is_refused(
        dump_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the journaled bulk route too, a dump may state triples only about what it owns:
    the same file loaded whole first owns every IRI of it, so the split load is refused,
    and nothing of it stays."""
    monkeypatch.setattr("kg.split.BULK_GRAPHS", 10)
    env = {"DSKG_STORE": str(tmp_path / "store"), "DSKG_DEFAULT_GRAPH": "0",
           "DSKG_BASE_IRI": BASE}
    whole = f"{BASE}graph/whole"
    assert "1 new" in _load(env, "--graph", whole, str(dump_file))
    result = runner.invoke(app, ["load", str(dump_file)], env=env)
    assert result.exit_code != 0, result.output
    assert f"belongs to the description {whole}" in " ".join(result.output.split())
    store = EmbeddedStore(tmp_path / "store")
    try:
        assert [n for n in store.graph_names() if n != URIRef(META_GRAPH)] == [URIRef(whole)]
        assert not store.query("ASK { GRAPH ?m { ?g ?by ?load } }",
                               {"m": URIRef(META_GRAPH), "by": PROV.wasGeneratedBy}).boolean
    finally:
        store.close()


def test_the_dump_route_writes_what_bulk_write_writes(dump_file: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk route cut for dumps (kg.write.dump) answers from the split what bulk_write
    asks its staging store: the same graphs and the same provenance records (owners, roots,
    counts, hashes, source, outcome, warnings), times and the load's own IRI aside; and so
    does it when the file is checked in a second process."""
    from kg.write import Origin

    monkeypatch.setattr("kg.split.BULK_GRAPHS", 10)
    dump = split_dump(dump_file.read_bytes(), "turtle", base_iri=BASE)
    assert dump is not None
    moments = {PROV.generatedAtTime, PROV.startedAtTime, PROV.endedAtTime, PROV.wasGeneratedBy}
    written = []
    for route in ("checked", "dump", "bulk_write"):
        if route == "bulk_write":
            monkeypatch.setattr("kg.split.commit_split", lambda *a, **k: None)
        store = EmbeddedStore(tmp_path / route)
        origin = Origin(agent="cli", source="file:///x.ttl", activity="load")
        try:
            if route == "checked":  # the file checked in a second process meanwhile
                checked = _route("checked", monkeypatch)
                loaded = load_dump(store, dump_file.read_bytes(), "turtle", base_iri=BASE,
                                   exclusive=True, origin=origin)
                assert loaded is not None and checked == [True]
                done = loaded
                monkeypatch.setattr("kg.split.CHECK_MIN_BYTES", 1 << 40)
            else:
                done = write_dump(store, dump, base_iri=BASE, exclusive=True, origin=origin)
            assert len(done.result.created) == len(dump.parts)
            meta = {t for t in store.get_graph(URIRef(META_GRAPH))
                    if t[1] not in moments and not str(t[0]).startswith("urn:uuid:")}
            quads = {(s, p, o, g) for s, p, o, g in store.query(
                "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != ?m) "
                "FILTER(!isBlank(?s) && !isBlank(?o)) }", {"m": URIRef(META_GRAPH)}).rows}
            written.append((meta, quads, done.result.warnings, done.result.triples))
        finally:
            store.close()
    assert len(written[0][0]) > 10 * len(dump.parts)
    assert written[0] == written[1] == written[2]


def test_the_file_check_answers_from_another_process(dump_file: Path) -> None:
    """The check of a dump's own triples (kg.write.FileCheck) runs in a second interpreter:
    it answers the validation report and the placements, raises the check's own error (a
    parse error keeps its line and column), and a cancelled check leaves no process."""
    from kg.errors import ParseError
    from kg.write import FileCheck

    with FileCheck(dump_file.read_bytes(), "turtle", BASE) as check:
        verdict = check.result()
    assert verdict.report.conforms
    spaces = {s for place in verdict.places.values() for s in place["space"]}
    assert spaces and all(str(s).startswith(SYN) for s in spaces)
    with FileCheck(b"<https://e/a> <https://e/b> .", "turtle", BASE) as check, \
            pytest.raises(ParseError) as raised:
        check.result()
    assert (raised.value.line, raised.value.column) == (1, 29)
    check = FileCheck(dump_file.read_bytes(), "turtle", BASE)
    check.cancel()
    assert check._process.poll() is not None
