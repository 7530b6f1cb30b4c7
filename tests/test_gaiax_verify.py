"""The verification pipeline: parse, envelope, proof, shapes, each with its own message."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from harness import gaiax_factory as f
from kg.gaiax import jws
from kg.gaiax.proof import canonical_nquads, canonical_without_proof, sign_jwt, without_proof
from kg.gaiax.trust import TrustStore
from kg.gaiax.verify import Verification, verify_document
from kg.jsonld import to_nquads


@pytest.fixture(scope="module")
def issuer() -> f.Issuer:
    return f.Issuer(f.rsa_key())


@pytest.fixture
def trust(tmp_path: Path, issuer: f.Issuer) -> TrustStore:
    issuer.write(tmp_path)
    return TrustStore.from_directory(tmp_path)


def check(result: Verification, step: str, credential: str | None = None):
    found = [c for c in result.checks if c.step == step
             and (credential is None or c.credential == credential)]
    assert found, f"no {step} check in {result.to_json()}"
    return found[0]


def signed_vp(issuer: f.Issuer, *credentials: dict) -> str:
    return json.dumps(f.presentation(*(issuer.sign(c) for c in credentials)))


def test_valid_participant_presentation(issuer: f.Issuer, trust: TrustStore) -> None:
    result = verify_document(signed_vp(issuer, f.participant(), f.registration(), f.terms()),
                             trust)
    assert result.valid, result.to_text()
    assert len(result.checks) == 15
    assert {c.step for c in result.checks} == {"parse", "envelope", "proof", "shapes", "rules"}
    assert all(c.ok for c in result.checks), result.to_text()
    assert "Gaia-X compliance signing method" in check(result, "proof").message


def test_report_json_contract(issuer: f.Issuer, trust: TrustStore) -> None:
    result = verify_document(json.dumps(issuer.sign(f.terms())), trust).to_json()
    assert set(result) == {"valid", "checks"}
    assert [c["step"] for c in result["checks"]] == ["parse", "envelope", "proof", "shapes",
                                                     "rules"]
    assert all(set(c) == {"step", "ok", "credential", "message", "severity"}
               for c in result["checks"])
    assert result["checks"][0]["credential"] == "https://provider.example/gx/tc.json"


def test_tampered_subject_fails_the_proof(issuer: f.Issuer, trust: TrustStore) -> None:
    signed = issuer.sign(f.participant())
    result = verify_document(json.dumps(f.presentation(
        f.tamper(signed), issuer.sign(f.registration()))), trust)
    proof = check(result, "proof", "https://provider.example/gx/participant.json")
    assert not result.valid and not proof.ok
    assert "changed after signing" in proof.message
    assert check(result, "proof", "https://provider.example/gx/lrn.json").ok


def test_w3c_jsonwebsignature2020_method(issuer: f.Issuer, trust: TrustStore) -> None:
    result = verify_document(json.dumps(issuer.sign(f.terms(), method="w3c")), trust)
    assert result.valid, result.to_text()
    assert "W3C JsonWebSignature2020" in check(result, "proof").message


def test_compliance_service_signature_made_by_hand(issuer: f.Issuer, trust: TrustStore) -> None:
    """A proof built step by step as the Gaia-X compliance service does, not by our signer."""
    credential = f.terms()
    digest = hashlib.sha256(canonical_nquads(credential).encode()).hexdigest()
    header = jws.b64url_encode(json.dumps({"alg": "PS256", "b64": False,
                                           "crit": ["b64"]}).encode())
    signature = issuer.key.sign(header.encode() + b"." + digest.encode(),
                                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                                hashes.SHA256())
    credential["proof"] = {"type": "JsonWebSignature2020", "created": f.stamp(f.NOW),
                           "proofPurpose": "assertionMethod",
                           "verificationMethod": issuer.method,
                           "jws": f"{header}..{jws.b64url_encode(signature)}"}
    assert verify_document(json.dumps(credential), trust).valid


def test_canonical_form_from_the_parsed_rdf(issuer: f.Issuer) -> None:
    """Dropping the proof graph from the parsed RDF equals dropping ``proof`` from the JSON."""
    for credential in (issuer.sign(f.participant()), issuer.sign(f.terms(), method="w3c")):
        whole = to_nquads(credential)
        assert canonical_without_proof(whole) == canonical_nquads(without_proof(credential))
        assert "security#proof" in whole


def test_expired_credential_names_the_dates(issuer: f.Issuer, trust: TrustStore) -> None:
    expired = f.terms()
    expired["expirationDate"] = f.stamp(f.NOW - timedelta(days=2))
    result = verify_document(json.dumps(issuer.sign(expired)), trust)
    envelope = check(result, "envelope")
    assert not envelope.ok and not result.valid
    assert envelope.message.startswith("expired: expirationDate " + expired["expirationDate"])
    assert check(result, "proof").ok  # the other steps still run


def test_not_yet_valid(issuer: f.Issuer, trust: TrustStore) -> None:
    future = f.terms()
    future["issuanceDate"] = f.stamp(f.NOW + timedelta(days=3))
    envelope = check(verify_document(json.dumps(issuer.sign(future)), trust), "envelope")
    assert not envelope.ok and envelope.message.startswith("not yet valid: issuanceDate")


def test_missing_issuance_date(issuer: f.Issuer, trust: TrustStore) -> None:
    draft = f.terms()
    del draft["issuanceDate"]
    envelope = check(verify_document(json.dumps(draft), trust, check_proof=False), "envelope")
    assert not envelope.ok and "issuanceDate" in envelope.message


def test_wrong_subdivision_code_is_our_rule(issuer: f.Issuer, trust: TrustStore) -> None:
    """The 22.10 shapes check only the form of a subdivision code; that it exists is our rule,
    a warning apart from Gaia-X's verdict — unless the node makes its rules blocking."""
    vp = signed_vp(issuer, f.participant(subdivision="BE-XYZ"), f.registration())
    result = verify_document(vp, trust)
    label = "https://provider.example/gx/participant.json"
    assert check(result, "shapes", label).ok
    rules = check(result, "rules", label)
    assert not rules.ok and rules.severity == "warning" and "ISO 3166-2" in rules.message
    assert result.valid and check(result, "proof").ok
    strict = verify_document(vp, trust, strict=True)
    assert not strict.valid and check(strict, "rules", label).blocking


def test_official_shapes_apply(issuer: f.Issuer, trust: TrustStore) -> None:
    """The official 22.10 shapes: a participant needs its registration number's numbers."""
    result = verify_document(signed_vp(issuer, f.participant(), f.registration(
        **{"gx:vatID": "BE"})), trust)
    shapes = check(result, "shapes", "https://provider.example/gx/lrn.json")
    assert not shapes.ok and "gx2210:vatID" in shapes.message


@pytest.mark.parametrize(("numbers", "expected"), [
    ({"gx:leiCode": f.LEI}, None),
    ({"gx:leiCode": f.LEI[:-1] + "6"}, "check digits"),
    ({"gx:leiCode": "529900T8"}, "20 characters"),
    ({"gx:vatID": "0762747721"}, "country code"),
    ({"gx:vatID": "ZZ0762747721"}, "country code"),
])
def test_registration_numbers_well_formed(issuer: f.Issuer, trust: TrustStore, numbers: dict,
                                          expected: str | None) -> None:
    result = verify_document(json.dumps(issuer.sign(f.registration(**numbers))), trust)
    assert check(result, "shapes").ok  # the official 22.10 shapes accept all of these
    rules = check(result, "rules")
    if expected is None:
        assert rules.ok, rules.message
    else:
        assert not rules.ok and expected in rules.message and rules.severity == "warning"


def test_terms_and_conditions_hash_required(issuer: f.Issuer, trust: TrustStore) -> None:
    offering = f.service_offering()
    offering["credentialSubject"]["gx:termsAndConditions"] = {"gx:URL": "https://x.example/t"}
    result = verify_document(signed_vp(issuer, f.participant(), f.registration(), offering),
                             trust)
    shapes = check(result, "shapes", "https://provider.example/gx/so.json")
    assert not shapes.ok and "hash" in shapes.message


def test_unknown_issuer_refused(issuer: f.Issuer, trust: TrustStore) -> None:
    stranger = f.Issuer(f.rsa_key(), did="did:web:stranger.example")
    unknown = f.terms()
    unknown["issuer"] = stranger.did
    proof = check(verify_document(json.dumps(stranger.sign(unknown)), trust), "proof")
    assert not proof.ok
    assert proof.message.startswith("untrusted issuer did:web:stranger.example")


def test_key_of_another_did_refused(issuer: f.Issuer, trust: TrustStore) -> None:
    stranger = f.Issuer(f.rsa_key(), did="did:web:stranger.example")
    proof = check(verify_document(json.dumps(stranger.sign(f.terms())), trust), "proof")
    assert not proof.ok and "does not belong to the issuer" in proof.message


def test_unknown_key_of_a_known_issuer(issuer: f.Issuer, trust: TrustStore) -> None:
    other = f.Issuer(f.ec_key(), fragment="other-key")
    proof = check(verify_document(json.dumps(other.sign(f.terms())), trust), "proof")
    assert not proof.ok and proof.message.startswith(f"unknown key {f.DID}#other-key")


def test_missing_proof_and_no_proof_option(trust: TrustStore) -> None:
    draft = json.dumps(f.terms())
    assert not check(verify_document(draft, trust), "proof").ok
    skipped = verify_document(draft, trust, check_proof=False)
    assert skipped.valid and "skipped" in check(skipped, "proof").message


def test_vc_jwt_es256_and_eddsa(tmp_path: Path) -> None:
    for key in (f.ec_key(), f.ed_key()):
        signer = f.Issuer(key, did=f"did:web:{type(key).__name__.lower()}.example")
        signer.write(tmp_path)
        credential = f.legal_person(issuer=signer.did)
        token = sign_jwt(credential, key, signer.method)
        trust = TrustStore.from_directory(tmp_path)
        result = verify_document(token, trust)
        assert result.valid, result.to_text()
        expected = "ES256" if isinstance(key, f.ec.EllipticCurvePrivateKey) else "EdDSA"
        assert check(result, "proof").message.startswith(f"{expected} JWT signature")
        body, _, signature = token.rpartition(".")
        header, payload = body.split(".")
        changed = json.loads(jws.b64url_decode(payload))
        changed["credentialSubject"]["https://schema.org/name"] = "Provider Example SB"
        forged = f"{header}.{jws.b64url_encode(json.dumps(changed).encode())}.{signature}"
        assert not check(verify_document(forged, trust), "proof").ok


def test_enveloped_credentials_in_a_presentation(tmp_path: Path) -> None:
    signer = f.Issuer(f.ed_key())
    signer.write(tmp_path)
    token = sign_jwt(f.legal_person(), signer.key, signer.method)
    vp = {"@context": [f.V2], "type": "VerifiablePresentation", "verifiableCredential": [
        {"@context": f.V2, "type": "EnvelopedVerifiableCredential",
         "id": f"data:application/vc+jwt,{token}"}]}
    result = verify_document(json.dumps(vp), TrustStore.from_directory(tmp_path))
    assert result.valid, result.to_text()


def test_newer_model_shapes(tmp_path: Path) -> None:
    signer = f.Issuer(f.ec_key())
    signer.write(tmp_path)
    trust = TrustStore.from_directory(tmp_path)
    assert verify_document(sign_jwt(f.legal_person(), signer.key, signer.method), trust).valid
    broken = f.legal_person()
    del broken["credentialSubject"]["gx:legalAddress"]
    shapes = check(verify_document(sign_jwt(broken, signer.key, signer.method), trust),
                   "shapes")
    assert not shapes.ok and "gx:legalAddress" in shapes.message


def _chain(tmp_path: Path, dns: str, trusted: bool) -> tuple[f.Issuer, list[str]]:
    root_key, inter_key, leaf_key = f.ec_key(), f.ec_key(), f.ec_key()
    root = f.certificate(root_key, "Test Root", root_key, "Test Root", ca=True)
    inter = f.certificate(inter_key, "Test CA", root_key, "Test Root", ca=True)
    leaf = f.certificate(leaf_key, dns, inter_key, "Test CA", ca=False, dns=dns)
    if trusted:
        (tmp_path / "root.pem").write_bytes(f.pem(root))
    else:
        other = f.ec_key()
        (tmp_path / "root.pem").write_bytes(f.pem(
            f.certificate(other, "Other Root", other, "Other Root", ca=True)))
    return f.Issuer(leaf_key, did=f"did:web:{dns}"), [f.der_b64(c) for c in (leaf, inter)]


@pytest.mark.parametrize("trusted", [True, False])
def test_x5c_chain_to_a_trusted_root(tmp_path: Path, trusted: bool) -> None:
    signer, x5c = _chain(tmp_path, "chain.example", trusted)
    credential = f.legal_person(issuer=signer.did)
    token = sign_jwt(credential, signer.key, signer.method, header={"x5c": x5c})
    result = verify_document(token, TrustStore.from_directory(tmp_path))
    proof = check(result, "proof")
    assert proof.ok is trusted, proof.message
    if not trusted:
        assert "does not end at a trusted root" in proof.message


def test_x5c_leaf_must_name_the_issuer(tmp_path: Path) -> None:
    signer, x5c = _chain(tmp_path, "chain.example", True)
    credential = f.legal_person(issuer="did:web:elsewhere.example")
    token = sign_jwt(credential, signer.key, "did:web:elsewhere.example#k", header={"x5c": x5c})
    proof = check(verify_document(token, TrustStore.from_directory(tmp_path)), "proof")
    assert not proof.ok and "does not name the issuer" in proof.message


def test_remote_context_refused_without_connecting() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    connections: list[object] = []

    def watch() -> None:
        with contextlib.suppress(OSError):
            connections.append(listener.accept())

    watcher = threading.Thread(target=watch)
    watcher.start()
    credential = f.terms()
    remote = f"http://127.0.0.1:{port}/context.jsonld"
    credential["@context"] = [*credential["@context"], remote]
    try:
        result = verify_document(json.dumps(credential), TrustStore())
    finally:
        watcher.join()
        listener.close()
    parse = check(result, "parse")
    assert not parse.ok and remote in parse.message and "never fetched" in parse.message
    assert connections == []
    assert not result.valid


def test_unreadable_input() -> None:
    from kg.errors import ParseError

    with pytest.raises(ParseError):
        verify_document(b"not json at all", TrustStore())


def test_empty_presentation_is_invalid() -> None:
    result = verify_document(json.dumps(f.presentation()), TrustStore())
    assert not result.valid
    assert check(result, "parse").message == "the presentation holds no credential"


def test_signed_presentation(issuer: f.Issuer, trust: TrustStore) -> None:
    vp = {**f.presentation(issuer.sign(f.terms())), "holder": issuer.did}
    signed = issuer.sign(vp)
    result = verify_document(json.dumps(signed), trust)
    assert result.valid, result.to_text()
    assert check(result, "proof", "presentation").message.startswith("presentation: PS256")
    signed["verifiableCredential"].append(issuer.sign(f.registration()))
    changed = check(verify_document(json.dumps(signed), trust), "proof", "presentation")
    assert not changed.ok and "changed after signing" in changed.message
