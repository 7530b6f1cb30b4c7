"""JSON Web Signatures with the three algorithms Gaia-X credentials use: PS256, ES256, EdDSA.

Compact JWS (RFC 7515), its detached form with an unencoded payload (RFC 7797, ``b64: false``:
the signing input is the base64url header, a dot and the raw payload bytes) and JWK public
keys (RFC 7517/7518, RFC 8037 for Ed25519). Only ``cryptography`` primitives; nothing here
knows about credentials.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

ALGORITHMS = ("PS256", "ES256", "EdDSA")
#: Header parameters a verifier must understand when they are listed in ``crit``.
_UNDERSTOOD_CRIT = {"b64"}
_P256_BYTES = 32
_B64URL_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class JwsError(ValueError):
    """A JWS or JWK that is malformed or uses something we do not support."""


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding (a stray character is an error, not ignored)."""
    if not isinstance(text, str) or any(c not in _B64URL_ALPHABET for c in text):
        raise JwsError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise JwsError("not base64url") from None


@dataclass(frozen=True)
class Jws:
    """A parsed compact JWS: the protected header (decoded and as sent), payload, signature."""

    header: dict[str, Any]
    header_b64: str
    payload_b64: str
    signature: bytes

    @property
    def alg(self) -> str:
        return str(self.header.get("alg"))

    @property
    def unencoded(self) -> bool:
        return self.header.get("b64") is False

    def signing_input(self, payload: bytes | None = None) -> bytes:
        """The bytes the signature covers; ``payload`` for a detached JWS."""
        if payload is None:
            return f"{self.header_b64}.{self.payload_b64}".encode("ascii")
        if self.unencoded:
            return self.header_b64.encode("ascii") + b"." + payload
        return f"{self.header_b64}.{b64url_encode(payload)}".encode("ascii")

    def payload(self) -> bytes:
        return b64url_decode(self.payload_b64)


def parse_compact(token: str) -> Jws:
    """Split and decode a compact JWS (payload may be empty: detached)."""
    parts = token.strip().split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise JwsError("a compact JWS has three parts separated by dots")
    header_b64, payload_b64, signature_b64 = parts
    try:
        header = json.loads(b64url_decode(header_b64))
    except (JwsError, UnicodeDecodeError, json.JSONDecodeError):
        raise JwsError("the JWS header is not base64url-encoded JSON") from None
    if not isinstance(header, dict):
        raise JwsError("the JWS header is not a JSON object")
    if header.get("alg") not in ALGORITHMS:
        raise JwsError(f"JWS algorithm {header.get('alg')!r} is not supported "
                       f"(supported: {', '.join(ALGORITHMS)})")
    crit = header.get("crit", [])
    if not isinstance(crit, list) or not set(crit) <= _UNDERSTOOD_CRIT:
        raise JwsError(f"JWS header lists critical parameters we do not understand: {crit}")
    if "b64" in header and ("b64" not in crit or not isinstance(header["b64"], bool)):
        raise JwsError("a JWS with a b64 header must list it in crit (RFC 7797)")
    return Jws(header, header_b64, payload_b64, b64url_decode(signature_b64))


# -- signatures -----------------------------------------------------------------------------

def key_algorithm(key: PublicKey | PrivateKey) -> str:
    """The JWS algorithm a key is used with."""
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return "PS256"
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise JwsError(f"elliptic curve {key.curve.name} is not supported (only P-256)")
        return "ES256"
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return "EdDSA"
    raise JwsError(f"unsupported key type {type(key).__name__}")


def _pss() -> padding.PSS:
    # RFC 7518 3.5: MGF1 with SHA-256 and a salt as long as the hash.
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def sign(key: PrivateKey, data: bytes) -> bytes:
    alg = key_algorithm(key)
    if alg == "PS256":
        assert isinstance(key, rsa.RSAPrivateKey)
        return key.sign(data, _pss(), hashes.SHA256())
    if alg == "ES256":
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key.sign(data)


def verify(alg: str, key: PublicKey, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` over ``data`` verifies with ``key`` under ``alg``.

    The algorithm must fit the key: an RSA key never verifies an ES256 signature.
    """
    if key_algorithm(key) != alg:
        return False
    try:
        if alg == "PS256":
            assert isinstance(key, rsa.RSAPublicKey)
            key.verify(signature, data, _pss(), hashes.SHA256())
        elif alg == "ES256":
            assert isinstance(key, ec.EllipticCurvePublicKey)
            if len(signature) != 2 * _P256_BYTES:
                return False
            der = encode_dss_signature(int.from_bytes(signature[:_P256_BYTES], "big"),
                                       int.from_bytes(signature[_P256_BYTES:], "big"))
            key.verify(der, data, ec.ECDSA(hashes.SHA256()))
        else:
            assert isinstance(key, ed25519.Ed25519PublicKey)
            key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def _encode_header(header: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(header, separators=(",", ":")).encode("utf-8"))


def sign_compact(key: PrivateKey, payload: bytes, header: dict[str, Any] | None = None) -> str:
    """A compact JWS with a base64url payload (``alg`` chosen from the key)."""
    full = {"alg": key_algorithm(key), **(header or {})}
    header_b64 = _encode_header(full)
    payload_b64 = b64url_encode(payload)
    signature = sign(key, f"{header_b64}.{payload_b64}".encode("ascii"))
    return f"{header_b64}.{payload_b64}.{b64url_encode(signature)}"


def sign_detached(key: PrivateKey, payload: bytes, header: dict[str, Any] | None = None) -> str:
    """A detached JWS over an unencoded payload (``b64: false``, RFC 7797): ``header..sig``."""
    full = {"alg": key_algorithm(key), **(header or {}), "b64": False, "crit": ["b64"]}
    header_b64 = _encode_header(full)
    signature = sign(key, header_b64.encode("ascii") + b"." + payload)
    return f"{header_b64}..{b64url_encode(signature)}"


# -- JWK --------------------------------------------------------------------------------------

def _jwk_int(jwk: dict[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise JwsError(f"JWK member {name!r} missing")
    return int.from_bytes(b64url_decode(value), "big")


def public_key_from_jwk(jwk: Any) -> PublicKey:
    """The public key of an RSA, EC P-256 or OKP Ed25519 JWK."""
    if not isinstance(jwk, dict):
        raise JwsError("a JWK is a JSON object")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    try:
        if kty == "RSA":
            return rsa.RSAPublicNumbers(_jwk_int(jwk, "e"), _jwk_int(jwk, "n")).public_key()
        if kty == "EC" and crv == "P-256":
            numbers = ec.EllipticCurvePublicNumbers(_jwk_int(jwk, "x"), _jwk_int(jwk, "y"),
                                                    ec.SECP256R1())
            return numbers.public_key()
        if kty == "OKP" and crv == "Ed25519":
            return ed25519.Ed25519PublicKey.from_public_bytes(b64url_decode(str(jwk.get("x"))))
    except ValueError as exc:
        raise JwsError(f"invalid {kty} JWK: {exc}") from None
    raise JwsError(f"unsupported JWK (kty {kty!r}, crv {crv!r}); "
                   "supported: RSA, EC P-256, OKP Ed25519")


def _b64_int(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def public_jwk(key: PublicKey | PrivateKey) -> dict[str, str]:
    """The public JWK of a key (for DID documents)."""
    public = key.public_key() if not isinstance(key, PublicKey) else key
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return {"kty": "RSA", "n": _b64_int(numbers.n), "e": _b64_int(numbers.e),
                "alg": "PS256"}
    if isinstance(public, ec.EllipticCurvePublicKey):
        key_algorithm(public)
        point = public.public_numbers()
        return {"kty": "EC", "crv": "P-256",
                "x": b64url_encode(point.x.to_bytes(_P256_BYTES, "big")),
                "y": b64url_encode(point.y.to_bytes(_P256_BYTES, "big")), "alg": "ES256"}
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw), "alg": "EdDSA"}


def same_key(a: PublicKey, b: PublicKey) -> bool:
    """Whether two public keys are the same key."""
    return (a.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
            == b.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
