"""Gaia-X Loire (24.11): vc+ld+jwt credentials and presentations, signed in the test with keys
made in the test; did:web documents served from a trust directory; Clearing House compliance
credentials checked against trust anchors."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from harness import gaiax_factory as f
from kg.gaiax import jws
from kg.gaiax.trust import TrustStore
from kg.gaiax.verify import Check, Verification, verify_document
from kg.jsonld import shipped_context

UNIVERSITY = "did:web:university.example"
NOTARY = "did:web:notary.example"
B = f.LOIRE_BASE


@pytest.fixture(scope="module")
def university() -> f.Issuer:
    return f.Issuer(f.ec_key(), did=UNIVERSITY, fragment="key-1")


@pytest.fixture(scope="module")
def notary() -> f.Issuer:
    return f.Issuer(f.ed_key(), did=NOTARY)


@pytest.fixture
def trust_dir(tmp_path: Path, university: f.Issuer, notary: f.Issuer) -> Path:
    university.write(tmp_path)
    notary.write(tmp_path)
    return tmp_path


@pytest.fixture
def trust(trust_dir: Path) -> TrustStore:
    return TrustStore.from_directory(trust_dir)


def check(result: Verification, step: str, credential: str | None = None) -> Check:
    found = [c for c in result.checks if c.step == step
             and (credential is None or c.credential == credential)]
    assert found, f"no {step} check in {result.to_text()}"
    return found[0]


def presentation_tokens(university: f.Issuer, notary: f.Issuer) -> list[str]:
    return [f.loire_jwt(f.loire_legal_person(issuer=UNIVERSITY), university),
            f.loire_jwt(f.loire_registration(issuer=NOTARY), notary),
            f.loire_jwt(f.loire_terms(issuer=UNIVERSITY), university),
            f.loire_jwt(f.loire_service_offering(issuer=UNIVERSITY), university),
            f.loire_jwt(f.loire_data_resource(issuer=UNIVERSITY), university)]


def test_loire_context_resolves_offline() -> None:
    context = shipped_context("https://w3id.org/gaia-x/2411#")
    assert context["@context"]["gx"] == "https://w3id.org/gaia-x/development#"
    assert shipped_context("https://w3id.org/gaia-x/2411") == context


def test_loire_presentation_verifies(university: f.Issuer, notary: f.Issuer,
                                     trust: TrustStore) -> None:
    vp = f.loire_presentation(presentation_tokens(university, notary), university)
    result = verify_document(vp, trust)
    assert result.valid, result.to_text()
    so = f"{B}/service-offering.json"
    # The 25.11 shapes (no longer a DataResource class; a policy document as text) disagree
    # with the embedded ODRL offer: advice, never a failure of Gaia-X's verdict on 24.11.
    assert [(c.step, c.credential, c.severity) for c in result.warnings()] == [
        ("shapes", so, "warning")]
    # a vc+jwt: envelope and signature on the token as received, then expansion
    assert [c.step for c in result.checks if c.credential == so] == [
        "envelope", "proof", "parse", "shapes", "rules"]
    assert "vc+ld+jwt (vc) credential" in check(result, "envelope", so).message
    assert check(result, "proof", so).message.startswith(
        f"ES256 JWT signature by {UNIVERSITY}#key-1 verified")
    assert check(result, "proof", f"{B}/lrn.json").message.startswith("EdDSA")
    assert "Gaia-X Loire 24.11" in check(result, "parse", so).message
    assert "official Gaia-X 24.11 shapes are not shipped" in check(result, "shapes", so).message
    assert check(result, "shapes", f"{B}/legal-person.json").ok
    assert "presentation: ES256" in check(result, "proof", "presentation").message
    assert check(result, "envelope", "presentation").ok


def test_envelope_and_signature_do_not_depend_on_expansion(university: f.Issuer,
                                                           trust: TrustStore) -> None:
    credential = f.loire_service_offering(issuer=UNIVERSITY)
    credential["@context"].append("https://contexts.example/unknown-extension#")
    result = verify_document(f.loire_jwt(credential, university), trust)
    assert check(result, "envelope").ok and check(result, "proof").ok
    parse = check(result, "parse")
    assert not parse.ok and "https://contexts.example/unknown-extension#" in parse.message
    assert check(result, "shapes").message == "not checked: the parse step failed"
    assert not result.valid


def test_tampered_credential(university: f.Issuer, notary: f.Issuer, trust: TrustStore) -> None:
    tokens = presentation_tokens(university, notary)
    header, payload, signature = tokens[3].split(".")
    changed = json.loads(jws.b64url_decode(payload))
    changed["credentialSubject"]["https://schema.org/name"] = "Air quality API (free)"
    tokens[3] = f"{header}.{jws.b64url_encode(json.dumps(changed).encode())}.{signature}"
    result = verify_document(f.loire_presentation(tokens, university), trust)
    proof = check(result, "proof", f"{B}/service-offering.json")
    assert not result.valid and not proof.ok and "changed after signing" in proof.message
    assert check(result, "envelope", f"{B}/service-offering.json").ok
    assert check(result, "proof", f"{B}/legal-person.json").ok


def test_tampered_presentation(university: f.Issuer, notary: f.Issuer,
                               trust: TrustStore) -> None:
    vp = f.loire_presentation(presentation_tokens(university, notary)[:2], university)
    header, payload, signature = vp.split(".")
    changed = json.loads(jws.b64url_decode(payload))
    changed["verifiableCredential"].pop()
    forged = f"{header}.{jws.b64url_encode(json.dumps(changed).encode())}.{signature}"
    result = verify_document(forged, trust)
    assert not check(result, "proof", "presentation").ok and not result.valid


def test_expired_credential(university: f.Issuer, trust: TrustStore) -> None:
    expired = f.loire_legal_person(issuer=UNIVERSITY, valid_from=f.NOW - timedelta(days=400),
                                   valid_until=f.NOW - timedelta(days=1))
    result = verify_document(f.loire_jwt(expired, university), trust)
    envelope = check(result, "envelope")
    assert not envelope.ok and envelope.message.startswith("expired: validUntil")
    assert check(result, "proof").ok  # the signature itself is fine


@pytest.mark.parametrize(("header", "expected"), [
    ({"typ": "JWT"}, "typ 'JWT'"),
    ({"cty": "text/plain"}, "cty 'text/plain'"),
    ({"iss": "did:web:someone.example"}, "is not the issuer"),
    ({"kid": "did:web:someone.example#k"}, "is not a key of the issuer"),
])
def test_jose_envelope(university: f.Issuer, trust: TrustStore, header: dict,
                       expected: str) -> None:
    credential = f.loire_terms(issuer=UNIVERSITY)
    token = f.loire_jwt(credential, university, typ=header.pop("typ", "vc+ld+jwt"),
                        header=header)
    envelope = check(verify_document(token, trust), "envelope")
    assert not envelope.ok and expected in envelope.message


def test_unknown_signer(trust: TrustStore) -> None:
    stranger = f.Issuer(f.ec_key(), did=UNIVERSITY, fragment="key-1")  # same DID, other key
    result = verify_document(f.loire_jwt(f.loire_terms(issuer=UNIVERSITY), stranger), trust)
    assert not check(result, "proof").ok


@pytest.mark.parametrize("kind", sorted(f.REGISTRATION_KINDS))
def test_registration_number_kinds(notary: f.Issuer, trust: TrustStore, kind: str) -> None:
    result = verify_document(f.loire_jwt(f.loire_registration(kind=kind, issuer=NOTARY),
                                         notary), trust)
    assert result.valid and not result.warnings(), result.to_text()


def test_credential_whose_id_is_its_subjects(university: f.Issuer, trust: TrustStore) -> None:
    same = f.loire_terms(issuer=UNIVERSITY, same_id=True)
    result = verify_document(f.loire_jwt(same, university), trust)
    assert result.valid and not result.warnings(), result.to_text()
    assert "subject states nothing" not in result.to_text()


def test_2210_credential_whose_id_is_its_subjects(trust_dir: Path) -> None:
    signer = f.Issuer(f.rsa_key())
    signer.write(trust_dir)
    terms = f.terms()
    terms["credentialSubject"]["id"] = terms["id"]
    result = verify_document(json.dumps(signer.sign(terms)), TrustStore.from_directory(trust_dir))
    assert result.valid and not result.warnings(), result.to_text()
    assert "conforms to the Gaia-X 22.10 shapes (2 subject triples)" in check(
        result, "shapes").message


def test_official_shapes_verdict_apart_from_ours(university: f.Issuer,
                                                 trust: TrustStore) -> None:
    """A hash that is not 64 hex digits: the official shapes accept it, our rule warns."""
    offering = f.loire_service_offering(issuer=UNIVERSITY)
    offering["credentialSubject"]["gx:serviceOfferingTermsAndConditions"]["gx:hash"] = "abc"
    result = verify_document(f.loire_jwt(offering, university), trust)
    assert "hash" not in check(result, "shapes").message
    rules = check(result, "rules")
    assert not rules.ok and rules.severity == "warning" and "64 hexadecimal" in rules.message
    assert result.valid
    assert not verify_document(f.loire_jwt(offering, university), trust, strict=True).valid


# -- Clearing House compliance credentials and trust anchors ---------------------------------

def compliance_token(key: object, chain: list[str], issuer: str = "did:web:compliance.example:v1"
                     ) -> str:
    from kg.gaiax.proof import sign_jwt
    return sign_jwt(f.loire_compliance(issuer=issuer), key, f"{issuer}#X509-JWK2020",  # type: ignore[arg-type]
                    typ="vc+ld+jwt", header={"cty": "vc", "iss": issuer, "x5c": chain})


def anchors_file(tmp_path: Path, name: str, root_pem: bytes) -> Path:
    path = tmp_path / "anchors" / "anchors.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"source": "test list", "anchors": [
        {"name": name, "certificate": root_pem.decode()}]}))
    return path


def test_compliance_credential_vouched_for_by_an_anchor(trust_dir: Path, tmp_path: Path) -> None:
    key, chain, root = f.clearing_house_chain("Test Trust Anchor CA")
    trust = TrustStore.from_env(trust_dir, environ={},
                                anchors=anchors_file(tmp_path, "Test QTSP", root))
    result = verify_document(compliance_token(key, chain), trust)
    assert result.valid, result.to_text()
    assert "vouched for by Gaia-X trust anchor 'Test QTSP'" in check(result, "proof").message


def test_compliance_credential_from_an_unlisted_anchor(trust_dir: Path, tmp_path: Path) -> None:
    key, chain, root = f.clearing_house_chain("Rogue CA")
    _key, _chain, listed = f.clearing_house_chain("Test Trust Anchor CA")
    (trust_dir / "rogue.pem").write_bytes(root)  # trusted for ordinary chains, not an anchor
    trust = TrustStore.from_env(trust_dir, environ={},
                                anchors=anchors_file(tmp_path, "Test QTSP", listed))
    proof = check(verify_document(compliance_token(key, chain), trust), "proof")
    assert not proof.ok and "Gaia-X trust anchors (test list)" in proof.message


def test_compliance_credential_needs_a_chain(university: f.Issuer, trust: TrustStore) -> None:
    token = f.loire_jwt(f.loire_compliance(issuer=UNIVERSITY), university)
    proof = check(verify_document(token, trust), "proof")
    assert not proof.ok and "x5c chain of its Clearing House" in proof.message


def test_shipped_anchor_list_and_env(tmp_path: Path) -> None:
    shipped = TrustStore.from_env(environ={})
    assert shipped.anchors == [] and "shipped list" in shipped.anchors_source
    _key, _chain, root = f.clearing_house_chain("Env CA")
    path = tmp_path / "anchors.pem"
    path.write_bytes(root)
    chosen = TrustStore.from_env(environ={"DSKG_GAIAX_TRUST_ANCHORS": str(path)})
    assert [a.name for a in chosen.anchors] == ["CN=Env CA"]
