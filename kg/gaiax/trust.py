"""Who we trust: DID documents and root certificates from a local directory, never the network.

A trust directory holds DID documents (``*.json``, each with its ``id``; ``did:web`` and any
other method are resolved only from here) and PEM certificates of trusted roots (``*.pem``,
``*.crt``). A key is trusted when the issuer's DID document in the directory lists it, or when
an ``x5c`` chain in the JWS header ends at one of the roots and its leaf certificate names
the issuer (``did:web`` host as a DNS name, or the DID as a URI in subjectAltName).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from kg.errors import ConfigError
from kg.gaiax.jws import JwsError, PublicKey, public_jwk, public_key_from_jwk, same_key

TRUST_DIR_ENV = "DSKG_GAIAX_TRUST_DIR"
ANCHORS_ENV = "DSKG_GAIAX_TRUST_ANCHORS"
#: The shipped list of Gaia-X trust anchors (see its ``source``); replaced by a file named in
#: ``DSKG_GAIAX_TRUST_ANCHORS``.
SHIPPED_ANCHORS = Path(__file__).with_name("data") / "trust-anchors.json"


@dataclass(frozen=True)
class Anchor:
    """A Gaia-X trust anchor: a root certificate a Digital Clearing House's chain must end at."""

    name: str
    certificate: x509.Certificate


def load_anchors(path: str | Path) -> tuple[list[Anchor], str]:
    """Anchors from a JSON list file (``{"anchors": [{"name", "certificate": PEM}]}``) or a
    PEM bundle (each named by its subject). Raises ConfigError when unreadable."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Gaia-X trust anchors {file}: {exc.strerror}") from None
    try:
        if raw.lstrip().startswith(b"{"):
            listed = json.loads(raw)
            anchors = [Anchor(str(item["name"]),
                              x509.load_pem_x509_certificate(item["certificate"].encode()))
                       for item in listed.get("anchors", [])]
            return anchors, str(listed.get("source") or file)
        certificates = x509.load_pem_x509_certificates(raw)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"Gaia-X trust anchors {file}: not a list of PEM certificates: "
                          f"{exc}") from None
    return [Anchor(c.subject.rfc4514_string(), c) for c in certificates], str(file)


class TrustError(Exception):
    """A key or chain we cannot trust; ``reason`` tells which kind (for distinct messages)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def did_of(verification_method: str) -> str:
    """The DID part of a verification method id (before ``#``)."""
    return verification_method.split("#", 1)[0]


def did_web_host(did: str) -> str | None:
    """The host a ``did:web`` names (``did:web:example.com%3A8443:x`` -> ``example.com``)."""
    if not did.startswith("did:web:"):
        return None
    domain = unquote(did[len("did:web:"):].split(":", 1)[0])
    return domain.split(":", 1)[0].lower() or None


def did_document(did: str, key: PublicKey, fragment: str = "JWK2020") -> dict[str, Any]:
    """A DID document publishing one JsonWebKey2020 for assertions (what a trust dir holds)."""
    method_id = f"{did}#{fragment}"
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"],
        "id": did,
        "verificationMethod": [{"id": method_id, "type": "JsonWebKey2020", "controller": did,
                                "publicKeyJwk": public_jwk(key)}],
        "assertionMethod": [method_id],
    }


def _methods(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Verification methods by absolute id (relative ``#frag`` ids resolved against the DID)."""
    did = document["id"]
    found: dict[str, dict[str, Any]] = {}
    listed = list(document.get("verificationMethod") or [])
    listed += [m for m in document.get("assertionMethod") or [] if isinstance(m, dict)]
    for method in listed:
        if isinstance(method, dict) and isinstance(method.get("id"), str):
            method_id = method["id"]
            found[did + method_id if method_id.startswith("#") else method_id] = method
    return found


def _assertion_ids(document: dict[str, Any]) -> set[str] | None:
    """Ids allowed for assertions, or None when the document does not restrict them."""
    if "assertionMethod" not in document:
        return None
    did = document["id"]
    ids = set()
    for entry in document.get("assertionMethod") or []:
        ref = entry.get("id") if isinstance(entry, dict) else entry
        if isinstance(ref, str):
            ids.add(did + ref if ref.startswith("#") else ref)
    return ids


@dataclass
class TrustStore:
    """Trusted DID documents (by DID) and root certificates."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    roots: list[x509.Certificate] = field(default_factory=list)
    source: str = "(none configured)"
    #: Gaia-X trust anchors: the only roots a compliance credential's chain may end at.
    anchors: list[Anchor] = field(default_factory=list)
    anchors_source: str = "(no trust anchors)"

    @classmethod
    def from_directory(cls, path: str | Path) -> TrustStore:
        folder = Path(path)
        if not folder.is_dir():
            raise ConfigError(f"Gaia-X trust directory {folder} does not exist")
        store = cls(source=str(folder))
        for file in sorted(folder.glob("*.json")):
            try:
                document = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ConfigError(f"trust directory: {file.name} is not readable JSON: {exc}"
                                  ) from None
            if not isinstance(document, dict) or not isinstance(document.get("id"), str):
                raise ConfigError(f"trust directory: {file.name} is not a DID document "
                                  "(no string 'id')")
            store.documents[document["id"]] = document
        for pattern in ("*.pem", "*.crt"):
            for file in sorted(folder.glob(pattern)):
                try:
                    store.roots.extend(x509.load_pem_x509_certificates(file.read_bytes()))
                except ValueError as exc:
                    raise ConfigError(f"trust directory: {file.name} is not a PEM certificate:"
                                      f" {exc}") from None
        return store

    @classmethod
    def from_env(cls, directory: str | Path | None = None,
                 environ: dict[str, str] | None = None,
                 anchors: str | Path | None = None) -> TrustStore:
        """The store for ``directory``, else ``DSKG_GAIAX_TRUST_DIR``, else an empty one; its
        trust anchors from ``anchors``, else ``DSKG_GAIAX_TRUST_ANCHORS``, else the shipped
        list."""
        env = os.environ if environ is None else environ
        chosen = directory or env.get(TRUST_DIR_ENV)
        store = cls.from_directory(chosen) if chosen else cls()
        store.anchors, store.anchors_source = load_anchors(
            anchors or env.get(ANCHORS_ENV) or SHIPPED_ANCHORS)
        return store

    # -- DID keys ------------------------------------------------------------------------
    def knows(self, did: str) -> bool:
        return did in self.documents

    def method_key(self, verification_method: str, issuer: str) -> PublicKey:
        """The key of ``verification_method`` from the issuer's trusted DID document.

        Raises TrustError: ``not-issuer`` (the method belongs to another DID),
        ``untrusted-issuer`` (no DID document for the issuer), ``unknown-key``.
        """
        did = did_of(verification_method)
        if did != issuer:
            raise TrustError("not-issuer", f"the key {verification_method} does not belong "
                                           f"to the issuer {issuer}")
        document = self.documents.get(did)
        if document is None:
            raise TrustError("untrusted-issuer", f"untrusted issuer {issuer}: no DID document "
                                                 f"for it in the trust directory {self.source}")
        method = _methods(document).get(verification_method)
        if method is None or "publicKeyJwk" not in method:
            raise TrustError("unknown-key", f"unknown key {verification_method}: the DID "
                                            f"document of {did} does not list it")
        allowed = _assertion_ids(document)
        if allowed is not None and verification_method not in allowed:
            raise TrustError("unknown-key", f"key {verification_method} is not an "
                                            f"assertionMethod of {did}")
        try:
            return public_key_from_jwk(method["publicKeyJwk"])
        except JwsError as exc:
            raise TrustError("unknown-key", f"key {verification_method}: {exc}") from None

    # -- certificates --------------------------------------------------------------------
    def chain_key(self, x5c: Any, issuer: str, at: datetime) -> PublicKey:
        """The leaf key of an ``x5c`` chain that ends at a trusted root and names ``issuer``.

        Raises TrustError ``untrusted-chain`` otherwise (with the reason).
        """
        return self.chain_key_and_root(x5c, issuer, at)[0]

    def anchored_key(self, x5c: Any, issuer: str, at: datetime) -> tuple[PublicKey, Anchor]:
        """The leaf key of a Digital Clearing House's ``x5c`` chain, and the Gaia-X trust
        anchor it ends at. Raises TrustError ``untrusted-anchor`` when the chain ends at no
        listed anchor (even at a root of the trust directory)."""
        chain_roots = [a.certificate for a in self.anchors]
        key, root = self.chain_key_and_root(x5c, issuer, at, chain_roots,
                                            f"the Gaia-X trust anchors ({self.anchors_source})",
                                            "untrusted-anchor")
        return key, next(a for a in self.anchors if a.certificate == root)

    def chain_key_and_root(self, x5c: Any, issuer: str, at: datetime,
                           roots: list[x509.Certificate] | None = None,
                           where: str | None = None, reason: str = "untrusted-chain"
                           ) -> tuple[PublicKey, x509.Certificate]:
        """The leaf key of a chain ending at one of ``roots`` (default: the directory's), and
        that root."""
        roots = self.roots if roots is None else roots
        chain = _load_chain(x5c)
        for cert in chain:
            if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
                raise TrustError("untrusted-chain", f"certificate {cert.subject.rfc4514_string()}"
                                 f" is not valid at {at.isoformat()} (valid "
                                 f"{cert.not_valid_before_utc.isoformat()} to "
                                 f"{cert.not_valid_after_utc.isoformat()})")
        for child, parent in itertools.pairwise(chain):
            _check_issued_by(child, parent)
        root = _anchored(chain[-1], at, roots)
        if root is None:
            raise TrustError(reason, "the x5c certificate chain does not end at a trusted "
                             f"root in {where or self.source} (last: "
                             f"{chain[-1].issuer.rfc4514_string()})")
        leaf = chain[0]
        if not _names_issuer(leaf, issuer):
            raise TrustError("untrusted-chain", f"the x5c leaf certificate "
                             f"{leaf.subject.rfc4514_string()} does not name the issuer {issuer}"
                             " (subjectAltName DNS name of its did:web host, or its DID as URI)")
        key = leaf.public_key()
        document = self.documents.get(issuer)
        if document is not None and not any(
                _jwk_matches(m.get("publicKeyJwk"), key) for m in _methods(document).values()):
            raise TrustError("unknown-key", f"the x5c leaf key is not a key of {issuer} in its "
                                            "trusted DID document")
        return key, root  # type: ignore[return-value]


def _anchored(last: x509.Certificate, at: datetime, roots: list[x509.Certificate]
              ) -> x509.Certificate | None:
    """The root among ``roots`` that is ``last`` or issued it, valid at ``at``."""
    for root in roots:
        if not root.not_valid_before_utc <= at <= root.not_valid_after_utc:
            continue
        if last == root:
            return root
        if last.issuer == root.subject:
            try:
                _check_issued_by(last, root)
            except TrustError:
                continue
            return root
    return None


def _load_chain(x5c: Any) -> list[x509.Certificate]:
    if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c):
        raise TrustError("untrusted-chain", "x5c must be a non-empty list of base64 certificates")
    chain = []
    for encoded in x5c:
        try:
            chain.append(x509.load_der_x509_certificate(base64.b64decode(encoded, validate=True)))
        except (binascii.Error, ValueError):
            raise TrustError("untrusted-chain", "x5c holds something that is not a base64 DER "
                                                "certificate") from None
    return chain


def _check_issued_by(child: x509.Certificate, parent: x509.Certificate) -> None:
    try:
        constraints = parent.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise TrustError("untrusted-chain", f"certificate {parent.subject.rfc4514_string()} "
                                            "issues another but is not a CA")
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        raise TrustError("untrusted-chain", f"certificate {child.subject.rfc4514_string()} is "
                         f"not signed by {parent.subject.rfc4514_string()}") from None


def _names_issuer(leaf: x509.Certificate, issuer: str) -> bool:
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    if issuer in names.get_values_for_type(x509.UniformResourceIdentifier):
        return True
    host = did_web_host(issuer)
    return host is not None and host in {n.lower() for n in names.get_values_for_type(x509.DNSName)}


def _jwk_matches(jwk: Any, key: Any) -> bool:
    try:
        return same_key(public_key_from_jwk(jwk), key)
    except JwsError:
        return False
