"""JWS primitives: PS256, ES256, EdDSA; compact and RFC 7797 detached unencoded payloads."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from harness import gaiax_factory as f
from kg.gaiax import jws

KEYS = {"PS256": f.rsa_key, "ES256": f.ec_key, "EdDSA": f.ed_key}


@pytest.mark.parametrize("alg", sorted(KEYS))
def test_compact_round_trip_and_jwk(alg: str) -> None:
    key = KEYS[alg]()
    token = jws.sign_compact(key, b'{"a":1}', {"kid": "did:web:x#k"})
    parsed = jws.parse_compact(token)
    assert parsed.alg == alg and parsed.payload() == b'{"a":1}'
    public = jws.public_key_from_jwk(jws.public_jwk(key))
    assert jws.verify(parsed, public)
    header, _payload, signature = token.split(".")
    other = jws.b64url_encode(b'{"a":2}')
    changed = jws.parse_compact(f"{header}.{other}.{signature}")
    assert not jws.verify(changed, public)


def test_detached_unencoded_payload_is_rfc7797() -> None:
    key = f.rsa_key()
    token = jws.sign_detached(key, b"$.02")
    header_b64, empty, signature_b64 = token.split(".")
    assert empty == ""
    assert json.loads(jws.b64url_decode(header_b64)) == {"alg": "PS256", "b64": False,
                                                          "crit": ["b64"]}
    # the signature covers the header, a dot and the raw payload bytes (not base64url)
    key.public_key().verify(jws.b64url_decode(signature_b64), header_b64.encode() + b".$.02",
                            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                            hashes.SHA256())
    parsed = jws.parse_compact(token)
    assert parsed.unencoded and parsed.detached
    assert jws.verify(parsed, key.public_key(), b"$.02")
    assert not jws.verify(parsed, key.public_key(), b"$.03")


def test_algorithm_must_fit_the_key() -> None:
    key = f.ec_key()
    parsed = jws.parse_compact(jws.sign_compact(key, b"x"))
    assert jws.verify(parsed, key.public_key())
    assert not jws.verify(parsed, f.rsa_key().public_key())
    assert not jws.verify(parsed, f.ed_key().public_key())


@pytest.mark.parametrize("header", [
    {"alg": "HS256"}, {"alg": "none"}, {"alg": "ES256", "crit": ["exp"]},
    {"alg": "PS256", "b64": False},
])
def test_refused_headers(header: dict) -> None:
    encoded = jws.b64url_encode(json.dumps(header).encode())
    with pytest.raises(jws.JwsError):
        jws.parse_compact(f"{encoded}.e30.c2ln")


def test_strict_base64url() -> None:
    with pytest.raises(jws.JwsError):
        jws.b64url_decode("ab+/")
    with pytest.raises(jws.JwsError):
        jws.parse_compact("only.two")
    with pytest.raises(jws.JwsError):
        jws.public_key_from_jwk({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"})
