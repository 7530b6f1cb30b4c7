"""`dskg gaiax verify|import|export`: outputs and the exit codes scripts rely on."""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from rdflib import Graph, URIRef
from typer.testing import CliRunner

from harness import gaiax_factory as f
from kg.cli import app
from kg.gaiax.trust import did_document
from kg.store.embedded import EmbeddedStore

runner = CliRunner()
ORG = "https://w3id.org/dskg/id/organisation/provider-example"
ORGS = f"""
@prefix dskg: <https://w3id.org/dskg#> . @prefix org: <http://www.w3.org/ns/org#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<{ORG}> a org:Organization ; skos:prefLabel "Provider Example" ; dskg:vatID "{f.VAT}" ;
    dskg:countrySubdivisionCode "BE-BRU" .
"""


@dataclass
class Outcome:
    exit_code: int
    output: str


@pytest.fixture(scope="module")
def issuer() -> f.Issuer:
    return f.Issuer(f.rsa_key())


@pytest.fixture
def env(tmp_path: Path, issuer: f.Issuer) -> dict[str, str]:
    store = EmbeddedStore(tmp_path / "store")
    store.replace_graphs({URIRef("urn:test:orgs"): list(Graph().parse(data=ORGS,
                                                                      format="turtle"))})
    store.close()
    del store
    gc.collect()  # release the on-disk store's lock for the CLI
    trust = tmp_path / "trust"
    trust.mkdir()
    issuer.write(trust)
    return {"DSKG_STORE": str(tmp_path / "store"), "DSKG_DEFAULT_GRAPH": "0",
            "DSKG_GAIAX_TRUST_DIR": str(trust), "DSKG_GAIAX_KEY": "", "DSKG_GAIAX_DID": ""}


def run(env: dict[str, str], *args: str) -> Outcome:
    result = runner.invoke(app, list(args), env=env)
    outcome = Outcome(result.exit_code, result.output)
    del result
    gc.collect()  # the Result's traceback holds the command's frame, and so the store's lock
    return outcome


def write(tmp_path: Path, name: str, document: dict | str) -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def test_verify_exit_codes(env: dict[str, str], tmp_path: Path, issuer: f.Issuer) -> None:
    good = write(tmp_path, "good.json", f.presentation(issuer.sign(f.participant()),
                                                       issuer.sign(f.registration())))
    result = run(env, "gaiax", "verify", good)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("VALID: 2 credential(s)")
    tampered = write(tmp_path, "bad.json", f.tamper(issuer.sign(f.terms())))
    assert run(env, "gaiax", "verify", tampered).exit_code == 1
    assert run(env, "gaiax", "verify", write(tmp_path, "x.json", "{oops")).exit_code == 2
    assert run(env, "gaiax", "verify", str(tmp_path / "missing.json")).exit_code == 2


def test_verify_json_report(env: dict[str, str], tmp_path: Path, issuer: f.Issuer) -> None:
    path = write(tmp_path, "t.json", f.tamper(issuer.sign(f.participant())))
    result = run(env, "gaiax", "verify", path, "--format", "json")
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["valid"] is False
    proof = next(c for c in report["checks"] if c["step"] == "proof")
    assert proof["ok"] is False and proof["credential"].endswith("participant.json")


def test_no_proof_and_trust_option(env: dict[str, str], tmp_path: Path,
                                   issuer: f.Issuer) -> None:
    draft = write(tmp_path, "draft.json", f.terms())
    assert run(env, "gaiax", "verify", draft).exit_code == 1
    skipped = run(env, "gaiax", "verify", draft, "--no-proof")
    assert skipped.exit_code == 0 and "skipped (--no-proof)" in skipped.output
    signed = write(tmp_path, "signed.json", issuer.sign(f.terms()))
    empty = tmp_path / "empty-trust"
    empty.mkdir()
    refused = run(env, "gaiax", "verify", signed, "--trust", str(empty))
    assert refused.exit_code == 1 and "untrusted issuer" in refused.output


def test_import_then_link(env: dict[str, str], tmp_path: Path, issuer: f.Issuer) -> None:
    vp = write(tmp_path, "vp.json", f.presentation(issuer.sign(f.participant()),
                                                   issuer.sign(f.registration())))
    result = run(env, "gaiax", "import", vp)
    assert result.exit_code == 0, result.output
    assert f"linked {ORG} -> https://provider.example/gx/participant.json#cs" in result.output
    bad = write(tmp_path, "bad.json", f.tamper(issuer.sign(f.terms())))
    refused = run(env, "gaiax", "import", bad, "--format", "json")
    body = json.loads(refused.output)
    assert refused.exit_code == 1 and body["imported"] is False
    assert body["results"][0]["graphs"] == []


def test_export_signed_verifies(env: dict[str, str], tmp_path: Path) -> None:
    unsigned = run(env, "gaiax", "export", ORG)
    assert unsigned.exit_code == 0, unsigned.output
    assert json.loads(unsigned.output)["type"] == "VerifiablePresentation"
    key = f.ec_key()
    pem = tmp_path / "node.pem"
    pem.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    signing = {**env, "DSKG_GAIAX_KEY": str(pem), "DSKG_GAIAX_DID": "did:web:node.example"}
    document = run(signing, "gaiax", "did-document")
    assert json.loads(document.output) == did_document("did:web:node.example",
                                                       key.public_key())
    (Path(env["DSKG_GAIAX_TRUST_DIR"]) / "node.json").write_text(document.output)
    out = tmp_path / "export.json"
    assert run(signing, "gaiax", "export", ORG, "--output", str(out)).exit_code == 0
    assert run(env, "gaiax", "verify", str(out)).exit_code == 0
    missing = run(env, "gaiax", "export", "https://nowhere.example/org")
    assert missing.exit_code == 1 and "no organisation" in missing.output
