"""Fuzzing: random and mutated bodies against every write endpoint of an in-process app; a
5xx or a hang is a failure."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field

from harness.node import ADMIN, ADMIN_TOKEN, BASE_IRI, SIMPLE_QUERY


def seed_bodies() -> dict[str, bytes]:
    """Valid bodies per media type, the material the mutations start from."""
    from kg.services.examples import JSONLD
    from kg.services.examples import TURTLE as EXAMPLES

    rdfxml = ('<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
              'syntax-ns#" xmlns:org="http://www.w3.org/ns/org#" xmlns:skos="http://www.w3.org'
              '/2004/02/skos/core#"><org:Organization rdf:about="https://fuzz.example.org/o">'
              '<skos:prefLabel xml:lang="en">Fuzz</skos:prefLabel></org:Organization>'
              '</rdf:RDF>')
    return {"text/turtle": EXAMPLES["organisations"].encode(),
            "application/ld+json": json.dumps(JSONLD["datasets"]).encode(),
            "application/rdf+xml": rdfxml.encode(),
            "application/n-triples": b'<https://fuzz.example.org/o> <http://www.w3.org/2004/'
                                     b'02/skos/core#prefLabel> "Fuzz"@en .\n'}


#: (method, path, kind of body) of every endpoint that takes a body.
WRITE_ENDPOINTS = [
    ("POST", "/organisations", "rdf"), ("POST", "/dataspaces", "rdf"),
    ("POST", "/datasets", "rdf"), ("POST", "/policies", "rdf"), ("POST", "/memberships", "rdf"),
    ("PUT", "/organisations/agdatahub", "rdf"), ("PUT", "/datasets/agdatahub-farm-data", "rdf"),
    ("PUT", "/graphs?graph=https://fuzz.example.org/g", "rdf"),
    ("POST", "/graphs?graph=https://fuzz.example.org/g", "rdf"), ("POST", "/graphs", "rdf"),
    ("POST", "/sparql", "sparql-query"), ("POST", "/sparql", "sparql-update"),
    ("POST", "/gaiax/credentials", "json"), ("POST", "/gaiax/verify", "json"),
    ("POST", "/policies/evaluate", "json"), ("POST", "/validate", "rdf"),
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One random mutation: truncate, flip, insert, delete, duplicate or splice bytes."""
    if not data:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    choice = rng.randrange(7)
    at = rng.randrange(len(data))
    if choice == 0:
        return data[:at]
    if choice == 1:
        return data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]
    if choice == 2:
        junk = rng.choice([b"{", b"}", b"[", b"<", b">", b'"', b"@", b"\x00", b"\xff", b"&",
                           b"<!ENTITY", b"'", b";", b"\n", b"\\ud800", b"\xed\xa0\x80",
                           b"\\u0000", "\u202e".encode()])
        return data[:at] + junk + data[at:]
    if choice == 3:
        end = min(len(data), at + rng.randrange(1, 64))
        return data[:at] + data[end:]
    if choice == 4:
        return data[:at] + data[at:at + 200] * rng.randrange(2, 5) + data[at:]
    if choice == 5:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 512)))
    return data.replace(b'"', b"'", rng.randrange(1, 4))


def fuzz_input(rng: random.Random, bodies: dict[str, bytes]) -> tuple[str, str, bytes, str]:
    """(method, path, body, content type) of one fuzz request."""
    method, path, kind = rng.choice(WRITE_ENDPOINTS)
    if kind == "rdf":
        media = rng.choice(list(bodies))
        body = bodies[media]
    elif kind == "json":
        media = "application/json"
        body = bodies["application/ld+json"]
    elif kind == "sparql-query":
        media, body = "application/sparql-query", SIMPLE_QUERY.encode()
    else:
        media = "application/sparql-update"
        body = b"INSERT DATA { GRAPH <https://fuzz.example.org/g> { <urn:a> <urn:b> 'c' } }"
    for _ in range(rng.randrange(1, 4)):
        body = mutate(body, rng)
    if rng.random() < 0.1:
        media = rng.choice(["", "text/plain", "application/x-www-form-urlencoded",
                            "multipart/form-data", media + "; charset=latin-1"])
    return method, path, body, media


@dataclass
class FuzzReport:
    tried: int = 0
    server_errors: list[str] = field(default_factory=list)
    slowest: float = 0.0


def fuzz_app(inputs: int, seed: int = 5, deadline: float = 10.0) -> FuzzReport:
    """Send ``inputs`` fuzzed bodies to an in-process app; 5xx and the slowest answer."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from kg.settings import Settings

    rng = random.Random(seed)
    bodies = seed_bodies()
    report = FuzzReport()
    settings = Settings(store="memory", admin_token=ADMIN_TOKEN, base_iri=BASE_IRI,
                        max_body_bytes=1 << 20)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for _ in range(inputs):
            method, path, body, media = fuzz_input(rng, bodies)
            headers = {**ADMIN, "Content-Type": media} if media else dict(ADMIN)
            started = time.perf_counter()
            answer = client.request(method, path, content=body, headers=headers)
            took = time.perf_counter() - started
            report.tried += 1
            report.slowest = max(report.slowest, took)
            if answer.status_code >= 500 or took > deadline:
                report.server_errors.append(f"{method} {path} [{media}] {body[:80]!r}: "
                                            f"{answer.status_code} in {took:.1f} s")
    return report
