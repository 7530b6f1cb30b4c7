"""Gaia-X credentials: verification throughput and the import of 1,000 credentials.

    python -m bench.gaiax            # 200 credentials verified, 1,000 imported
    python -m bench.gaiax 500 2000   # the sizes you name (import size: a multiple of 4)
    python -m bench.gaiax loire      # Loire: 20 presentations verified, 1,000 imported

Same-run baselines: URDNA2015 canonicalisation alone (what the proof step must do per
credential) and the PS256 signature check alone, against the whole verification (parse,
envelope, proof, shapes) one credential at a time and in one batch. The import is 250
presentations of four credentials each (participant, registration number, terms and
conditions, service offering), verified in one batch, committed presentation by
presentation and linked to 250 organisations and datasets; then the same presentations
imported one request at a time, as the REST API receives them. Rates are wall-clock; the
CPU seconds are shown too, since a shared machine stretches wall-clock time.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from rdflib import Graph, URIRef

from bench.common import print_table
from harness import gaiax_factory as f
from kg.gaiax import jws
from kg.gaiax.document import read_submission
from kg.gaiax.importer import import_document, import_inputs
from kg.gaiax.proof import canonical_nquads, gaiax_payload, without_proof
from kg.gaiax.trust import TrustStore
from kg.gaiax.verify import verify_batch, verify_document
from kg.store import memory_store
from kg.write import Origin

BASE_IRI = "http://127.0.0.1:8000/"


def _vat(i: int) -> str:
    return f"BE{i:010d}"


def _graph(count: int) -> Graph:
    lines = ["@prefix dskg: <https://w3id.org/dskg#> . @prefix org: <http://www.w3.org/ns/org#> .",
             "@prefix dcat: <http://www.w3.org/ns/dcat#> . "
             "@prefix dct: <http://purl.org/dc/terms/> ."]
    for i in range(count):
        lines.append(f"<https://bench.example/org/{i}> a org:Organization ; "
                     f'dskg:vatID "{_vat(i)}" .')
        lines.append(f"<https://bench.example/dataset/{i}> a dcat:Dataset ; "
                     f'dct:identifier "dataset-{i}" .')
    return Graph().parse(data="\n".join(lines), format="turtle")


def _presentation(issuer: f.Issuer, i: int) -> str:
    base = f"https://bench.example/gx/{i}"
    offering = f.service_offering(base, extra={"http://purl.org/dc/terms/identifier":
                                               f"dataset-{i}"})
    credentials = (f.participant(base), f.registration(base, **{"gx:vatID": _vat(i)}),
                   f.terms(base), offering)
    return json.dumps(f.presentation(*(issuer.sign(c) for c in credentials)))


class Timer:
    """Wall-clock and CPU seconds of a block (CPU too: the machine may be shared)."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def _row(what: str, timer: Timer, count: int, baseline: float) -> tuple:
    return (what, timer.wall, timer.cpu, _rate(count, timer.wall), timer.wall / baseline)


HEADERS = ("what", "wall s", "cpu s", "credentials/s", "x baseline")


def main(verify_count: int = 200, import_count: int = 1000) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-gaiax-"))
    issuer = f.Issuer(f.rsa_key())
    issuer.write(folder)
    trust = TrustStore.from_directory(folder)
    singles = [issuer.sign(f.registration(f"https://bench.example/v/{i}",
                                          **{"gx:vatID": _vat(i)}))
               for i in range(verify_count)]
    texts = [json.dumps(c) for c in singles]
    verify_document(texts[0], trust)  # warm-up: shapes read and pruned once per process

    with Timer() as canon:
        for credential in singles:
            canonical_nquads(without_proof(credential))
    key = issuer.key.public_key()
    token = jws.parse_compact(singles[0]["proof"]["jws"])
    payload = gaiax_payload(singles[0])
    with Timer() as signature:
        for _ in range(verify_count):
            jws.verify(token, key, payload)
    with Timer() as one_by_one:
        for text in texts:
            assert verify_document(text, trust).valid
    with Timer() as batch:
        results = verify_batch([read_submission(t) for t in texts], trust)
    assert all(r.valid for r in results)

    print(f"Verification of {verify_count} signed 22.10 credentials (PS256, 2048-bit RSA)")
    print_table(HEADERS, [
        _row("canonicalisation alone, from JSON-LD (baseline)", canon, verify_count,
             canon.wall),
        _row("PS256 signature check alone", signature, verify_count, canon.wall),
        _row("full verify, one credential per call", one_by_one, verify_count, canon.wall),
        _row("full verify, all in one batch", batch, verify_count, canon.wall)])

    groups = import_count // 4
    count = groups * 4
    inputs = [(f"vp-{i}", _presentation(issuer, i)) for i in range(groups)]
    stores = []
    for _ in range(2):
        store = memory_store()
        store.replace_graphs({URIRef("urn:bench:graph"): list(_graph(groups))})
        stores.append(store)
    with Timer() as batched:
        imported = import_inputs(stores[0], inputs, trust, base_iri=BASE_IRI, agent="bench")
    assert all(r.imported for r in imported), imported[0].to_text()
    links = sum(len(r.links.linked) for r in imported)
    with Timer() as sequential:
        for source, text in inputs:
            import_document(stores[1], text, trust, base_iri=BASE_IRI,
                            origin=Origin(agent="bench", source=source))
    baseline = canon.wall * count / verify_count

    print()
    print(f"Import of {count} credentials ({groups} presentations of 4), {links} links, "
          f"{stores[0].triple_count():,} quads stored")
    print_table(HEADERS, [
        ("canonicalisation alone, same count (baseline)", baseline,
         canon.cpu * count / verify_count, _rate(count, baseline), 1.0),
        _row("import, all inputs in one call", batched, count, baseline),
        _row("import, one presentation per call", sequential, count, baseline)])


def _loire_tokens(university: f.Issuer, notary: f.Issuer, i: int) -> list[str]:
    base = f"https://bench.example/loire/{i}"
    return [f.loire_jwt(f.loire_legal_person(base, issuer=university.did), university),
            f.loire_jwt(f.loire_registration(base, issuer=notary.did), notary),
            f.loire_jwt(f.loire_terms(base, issuer=university.did), university),
            f.loire_jwt(f.loire_service_offering(base, issuer=university.did), university),
            f.loire_jwt(f.loire_data_resource(base, issuer=university.did), university)]


def loire(presentations: int = 20, import_count: int = 1000) -> None:
    """Full verification of Loire presentations (5 vc+ld+jwt in a vp+ld+jwt, ES256/EdDSA)
    and the import of ``import_count`` Loire credentials; baseline: the JWS signature
    checks alone of the same tokens."""
    folder = Path(tempfile.mkdtemp(prefix="bench-loire-"))
    university = f.Issuer(f.ec_key(), did="did:web:university.example", fragment="key-1")
    notary = f.Issuer(f.ed_key(), did="did:web:notary.example")
    university.write(folder)
    notary.write(folder)
    trust = TrustStore.from_directory(folder)
    vps = [f.loire_presentation(_loire_tokens(university, notary, i), university)
           for i in range(presentations)]
    assert verify_document(vps[0], trust).valid  # warm-up: shapes read once per process
    keys = {university.did: university.key.public_key(), notary.did: notary.key.public_key()}
    with Timer() as signatures:
        for vp in vps:
            submission = read_submission(vp)
            for credential in submission.credentials:
                assert credential.jwt is not None
                jws.verify(credential.jwt, keys[credential.jwt.header["iss"]])
    with Timer() as full:
        for vp in vps:
            assert verify_document(vp, trust).valid
    print()
    print(f"Verification of {presentations} Loire presentations (5 credentials each)")
    print_table(("what", "wall s", "cpu s", "presentations/s", "x baseline"), [
        ("JWS signature checks alone (baseline)", signatures.wall, signatures.cpu,
         _rate(presentations, signatures.wall), 1.0),
        ("full verification (envelope, proof, parse, shapes, rules)", full.wall, full.cpu,
         _rate(presentations, full.wall), full.wall / signatures.wall)])

    groups = import_count // 5
    inputs = [(f"loire-{i}", f.loire_presentation(_loire_tokens(university, notary, 1000 + i),
                                                  university)) for i in range(groups)]
    store = memory_store()
    with Timer() as imported:
        results = import_inputs(store, inputs, trust, base_iri=BASE_IRI, agent="bench")
    assert all(r.imported for r in results), results[0].to_text()
    print()
    print(f"Import of {groups * 5} Loire credentials ({groups} presentations of 5), "
          f"{store.triple_count():,} quads stored")
    print_table(HEADERS, [
        ("verify + map + store, all inputs in one call", imported.wall, imported.cpu,
         _rate(groups * 5, imported.wall), 1.0)])


if __name__ == "__main__":
    if sys.argv[1:2] == ["loire"]:
        loire(*[int(a) for a in sys.argv[2:4]])
        sys.exit(0)
    sizes = [int(a) for a in sys.argv[1:3]]
    main(*sizes)
