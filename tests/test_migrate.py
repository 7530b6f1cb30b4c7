"""A store written by an earlier version (graphs named after their resource, records with no
owner) is migrated once, atomically, when a node or a CLI command opens it."""

from __future__ import annotations

import io
from pathlib import Path

from rdflib import Dataset, URIRef
from rdflib.compare import isomorphic

from kg.backup import check_integrity
from kg.migrate import migrate
from kg.namespaces import DSKG, META_GRAPH
from kg.store.embedded import EmbeddedStore

BASE = "http://127.0.0.1:8000/"
DATASET = "https://w3id.org/dskg/id/dataset/old"
GONE = "https://w3id.org/dskg/id/dataset/gone"
META = f"<{META_GRAPH}>"
OLD = f"""@prefix dskg: <https://w3id.org/dskg#> . @prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<{DATASET}> {{ <{DATASET}> a dcat:Dataset ; dct:title "Old"@en . }}
{META} {{
  <{DATASET}> a dskg:Description ; dskg:tripleCount 2 ; dskg:describes <{DATASET}> ;
      prov:wasAttributedTo <https://w3id.org/dskg/agent/cli> .
  <{GONE}> a dskg:DeletedDescription .
}}
""".encode()


def test_an_old_store_is_migrated_once_on_open(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "old")
    store.import_quads(OLD, "trig")
    done = migrate(store, BASE)
    assert done.renamed == 1 and done.owners == 1
    new = URIRef(f"{BASE}graph/dataset/old")
    assert not store.has_graph(URIRef(DATASET)) and store.has_graph(new)
    meta = store.get_graph(URIRef(META_GRAPH))
    assert meta.value(new, DSKG.describes) == URIRef(DATASET)
    assert meta.value(new, DSKG.owner) is not None
    # nothing about the resources is left in the meta graph: records are about graphs
    assert (URIRef(DATASET), None, None) not in meta and (URIRef(GONE), None, None) not in meta
    assert (URIRef(f"{BASE}graph/dataset/gone"), None, None) in meta
    assert check_integrity(store).ok
    assert not migrate(store, BASE).changed  # once
    # its export restores exactly
    dump = io.BytesIO()
    store.export(dump, "nquads")
    from kg.write import Origin, write_bytes

    restored = EmbeddedStore()
    write_bytes(restored, dump.getvalue(), "nquads", base_iri=BASE, origin=Origin(),
                validate=False)
    again = io.BytesIO()
    restored.export(again, "nquads")
    first, second = Dataset(), Dataset()
    first.parse(data=dump.getvalue(), format="nquads")
    second.parse(data=again.getvalue(), format="nquads")
    for graph in first.graphs():
        assert isomorphic(graph, second.graph(graph.identifier)), graph.identifier
    store.close()
