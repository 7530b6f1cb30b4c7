"""JSON Web Signatures for Gaia-X credentials, on the maintained ``joserfc`` library.

Parsing, signing and verifying compact JWS (RFC 7515) — also detached with an unencoded
payload (RFC 7797, ``b64: false``) — and JWK import/export are joserfc's. What stays here is
Gaia-X policy: which algorithms a credential may use (PS256, ES256, EdDSA), which algorithm a
key is used with, and the strict refusals (``alg: none``, HMAC, unknown ``crit``) made before
any key is looked up.
"""

from __future__ import annotations

import base64
import binascii
import json
import warnings
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc import jws as _jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey, import_key

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

ALGORITHMS = ("PS256", "ES256", "EdDSA")
#: Header parameters a verifier must understand when they are listed in ``crit``.
_UNDERSTOOD_CRIT = {"b64"}
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
    """A compact JWS as received: its token and protected header (decoded, not yet trusted)."""

    token: str
    header: dict[str, Any]

    @property
    def alg(self) -> str:
        return str(self.header.get("alg"))

    @property
    def unencoded(self) -> bool:
        return self.header.get("b64") is False

    @property
    def detached(self) -> bool:
        return self.token.split(".")[1] == ""

    def payload(self) -> bytes:
        """The attached payload (base64url-decoded unless ``b64: false``)."""
        segment = self.token.split(".")[1]
        return segment.encode("utf-8") if self.unencoded else b64url_decode(segment)


def parse_compact(token: str) -> Jws:
    """Split and decode a compact JWS, refusing what Gaia-X never uses; nothing is verified."""
    if not isinstance(token, str) or token.strip().count(".") != 2:
        raise JwsError("a compact JWS has three parts separated by dots")
    token = token.strip()
    header_b64, _payload, signature_b64 = token.split(".")
    try:
        header = json.loads(b64url_decode(header_b64))
        b64url_decode(signature_b64)
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
    try:
        _jws.extract_compact(token.encode("ascii"), registry=_REGISTRY)
    except (JoseError, ValueError, UnicodeEncodeError) as exc:
        raise JwsError(f"not a readable JWS: {exc}") from None
    return Jws(token, header)


# -- keys -------------------------------------------------------------------------------------

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


def _jose_key(key: PublicKey | PrivateKey) -> RSAKey | ECKey | OKPKey:
    key_algorithm(key)  # refuses the curves and key types we do not sign with
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return RSAKey.import_key(key)
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return ECKey.import_key(key)
    return OKPKey.import_key(key)


def public_key_from_jwk(jwk: Any) -> PublicKey:
    """The public key of an RSA, EC P-256 or OKP Ed25519 JWK."""
    if not isinstance(jwk, dict):
        raise JwsError("a JWK is a JSON object")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if (kty, crv) not in (("RSA", None), ("EC", "P-256"), ("OKP", "Ed25519")):
        raise JwsError(f"unsupported JWK (kty {kty!r}, crv {crv!r}); "
                       "supported: RSA, EC P-256, OKP Ed25519")
    public = {k: v for k, v in jwk.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
    try:
        key = import_key(public).get_op_key("verify")
    except (JoseError, ValueError, TypeError, binascii.Error) as exc:
        raise JwsError(f"invalid {kty} JWK: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey
                      | ed25519.Ed25519PublicKey):
        raise JwsError(f"invalid {kty} JWK: not a public key")
    return key


def public_jwk(key: PublicKey | PrivateKey) -> dict[str, str]:
    """The public JWK of a key (for DID documents), with the algorithm it is used with."""
    exported = _jose_key(key).as_dict(private=False)
    return {**{k: str(v) for k, v in exported.items() if k != "kid"}, "alg": key_algorithm(key)}


def same_key(a: PublicKey, b: PublicKey) -> bool:
    """Whether two public keys are the same key."""
    return (a.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
            == b.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


# -- signing and verifying ------------------------------------------------------------------

class _GaiaxRegistry(_jws.JWSRegistry):
    """joserfc's registry with room for Gaia-X headers: an ``x5c`` chain of a few
    certificates is several kilobytes, and credentials with large subjects are common."""

    max_header_length = 64_000
    max_payload_length = 16_000_000


# Gaia-X Loire headers carry ``iss`` (RFC 7519 5.3 replication) besides the registered ones;
# unknown ``crit`` parameters are refused in parse_compact, so extra headers are let through.
_REGISTRY = _GaiaxRegistry(algorithms=list(ALGORITHMS), strict_check_header=False)


def _algorithm(alg: str) -> Any:
    """joserfc's JWA implementation of ``alg`` (RFC 7518 / RFC 8037)."""
    return _REGISTRY.algorithms[alg]


def sign_compact(key: PrivateKey, payload: bytes, header: dict[str, Any] | None = None) -> str:
    """A compact JWS with a base64url payload (``alg`` chosen from the key)."""
    alg = key_algorithm(key)
    with warnings.catch_warnings():
        # RFC 9864 deprecates the name "EdDSA"; Gaia-X credentials still use it.
        warnings.simplefilter("ignore")
        return _jws.serialize_compact({"alg": alg, **(header or {})}, payload, _jose_key(key),
                                      algorithms=[alg], registry=_REGISTRY)


def sign_detached(key: PrivateKey, payload: bytes, header: dict[str, Any] | None = None) -> str:
    """A detached JWS over an unencoded payload (``b64: false``, RFC 7797): ``header..sig``.

    The signing input is the header, a dot and the raw payload bytes. joserfc's compact
    serialiser insists the payload be URL-safe text even when it is detached, which the W3C
    JsonWebSignature2020 payload (64 raw hash bytes) is not, so the input is assembled here
    and signed with joserfc's algorithm.
    """
    alg = key_algorithm(key)
    full = {"alg": alg, **(header or {}), "b64": False, "crit": ["b64"]}
    header_b64 = b64url_encode(json.dumps(full, separators=(",", ":")).encode("utf-8"))
    signature = _algorithm(alg).sign(header_b64.encode("ascii") + b"." + payload, _jose_key(key))
    return f"{header_b64}..{b64url_encode(signature)}"


def verify(jws: Jws, key: PublicKey, payload: bytes | None = None) -> bool:
    """True when ``jws`` verifies with ``key``; ``payload`` for a detached JWS.

    The algorithm must fit the key: an RSA key never verifies an ES256 signature.
    """
    try:
        if key_algorithm(key) != jws.alg:
            return False
        if payload is not None and jws.detached and jws.unencoded:
            header_b64, _empty, signature_b64 = jws.token.split(".")
            return bool(_algorithm(jws.alg).verify(header_b64.encode("ascii") + b"." + payload,
                                                   b64url_decode(signature_b64),
                                                   _jose_key(key)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _jws.deserialize_compact(jws.token, _jose_key(key), algorithms=[jws.alg],
                                     payload=payload, registry=_REGISTRY)
    except (JoseError, JwsError, ValueError):
        return False
    return True
