"""Fuzzing the parsers (hypothesis, bounded): random and mutated Turtle, N-Triples, N-Quads,
TriG, RDF/XML, JSON-LD, credentials and SPARQL. The only failure allowed is one of our
errors (a DskgError: 4xx material), never another exception, never a hang."""

from __future__ import annotations

import contextlib
import json
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.fuzz import mutate, seed_bodies
from kg.errors import DskgError
from kg.gaiax.trust import TrustStore
from kg.gaiax.verify import verify_document
from kg.jsonld import load_json, to_nquads
from kg.rdfio import MEDIA_TYPES, parse_dataset
from kg.settings import Settings
from kg.sparql import QueryService, service_endpoints
from kg.store.embedded import EmbeddedStore

FUZZ = settings(max_examples=300, deadline=3000, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FORMATS = ["turtle", "ntriples", "nquads", "trig", "xml", "json-ld"]
SEEDS: dict[str, bytes] = {MEDIA_TYPES[m]: body for m, body in seed_bodies().items()}
SEEDS["trig"] = (b'@prefix ex: <https://fuzz.example.org/> . ex:g { ex:s ex:p [ ex:q (1 2.5 '
                 b'"x"@en) ] ; ex:r <s> } ex:h { ex:t a ex:C }')
SEEDS["nquads"] = (b'<https://fuzz.example.org/s> <https://fuzz.example.org/p> "o"@en '
                   b"<https://fuzz.example.org/g> .\n_:b <https://fuzz.example.org/p> "
                   b'"1"^^<http://www.w3.org/2001/XMLSchema#integer> <urn:g> .\n')


def parses_or_refuses(data: bytes, fmt: str) -> None:
    with contextlib.suppress(DskgError):
        parse_dataset(data, fmt, base_iri="https://fuzz.example.org/")


@FUZZ
@given(data=st.binary(max_size=4096), fmt=st.sampled_from(FORMATS))
def test_random_bytes(data: bytes, fmt: str) -> None:
    parses_or_refuses(data, fmt)


@FUZZ
@given(fmt=st.sampled_from(FORMATS), rng=st.randoms(use_true_random=False),
       rounds=st.integers(1, 5))
def test_mutated_documents(fmt: str, rng: random.Random, rounds: int) -> None:
    body = SEEDS[fmt]
    for _ in range(rounds):
        body = mutate(body, rng)
    parses_or_refuses(body, fmt)


@FUZZ
@given(fmt=st.sampled_from(FORMATS), cut=st.floats(0, 1))
def test_truncated_documents(fmt: str, cut: float) -> None:
    body = SEEDS[fmt]
    parses_or_refuses(body[:int(len(body) * cut)], fmt)


KEYS = st.sampled_from(["@id", "@type", "@context", "@value", "@language", "@list", "@set",
                        "@graph", "@reverse", "@index", "@vocab", "@base", "@nest",
                        "@included", "@json", "@direction", "@version", "@import",
                        "@protected", "@container", "@propagate", "@prefix", "ex:p", "ex",
                        "http://e/p", "name", "id", "type", "_:b", ""])
LEAVES = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
          | st.text(max_size=20) | st.sampled_from(["http://e/x", "_:b0", "ex:y", "@id",
                                                    "https://w3id.org/dskg/context.jsonld",
                                                    "https://www.w3.org/2018/credentials/v1"]))
JSON = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(KEYS, inner, max_size=5), max_leaves=25)


@FUZZ
@given(doc=JSON)
def test_json_ld_structures(doc: Any) -> None:
    with contextlib.suppress(DskgError):
        to_nquads(load_json(json.dumps(doc)))


@FUZZ
@given(doc=JSON, rng=st.randoms(use_true_random=False))
def test_credentials(doc: Any, rng: random.Random) -> None:
    credential = {"@context": ["https://www.w3.org/2018/credentials/v1"],
                  "type": ["VerifiableCredential"], "issuer": "did:web:fuzz.example",
                  "credentialSubject": doc, "proof": {"type": "JsonWebSignature2020",
                                                      "jws": "a..b"}}
    text = json.dumps(credential).encode()
    for body in (text, mutate(text, rng), b"eyJhbGciOiJFUzI1NiJ9." + text[:40] + b".sig"):
        with contextlib.suppress(DskgError):
            verify_document(body, TrustStore())


SPARQL_WORDS = st.sampled_from(["SELECT", "*", "WHERE", "{", "}", "?s", "?p", "?o", ".",
                                "SERVICE", "SILENT", "<http://127.0.0.1:9/s>", "LOAD", "FILTER",
                                "(", ")", "OPTIONAL", "UNION", "GRAPH", "'x'", '"', "#", "\n",
                                "PREFIX", "p:", "<", ">", "COUNT", "GROUP BY", "LIMIT", "1",
                                "INSERT", "DATA", "ASK", "CONSTRUCT", "VALUES", "BIND", "AS"])


@FUZZ
@given(words=st.lists(SPARQL_WORDS, max_size=30), noise=st.text(max_size=10))
def test_sparql_text(words: list[str], noise: str) -> None:
    query = " ".join(words) + noise
    service = QueryService(EmbeddedStore(), Settings(store="memory", query_timeout=2.0,
                                                     result_limit=100))
    with contextlib.suppress(DskgError):
        service.select(query)
    with contextlib.suppress(DskgError):
        service_endpoints(query, keyword="LOAD")
