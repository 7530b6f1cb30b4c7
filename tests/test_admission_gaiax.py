"""Admission's Gaia-X check (issue 20): a member's attached credential (``dskg:selfDescription``
to a credential imported on this node) is verified again when the submission is checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.admission import service
from kg.admission.checks import Checker
from kg.ownership import Writer
from kg.services.context import ServiceContext
from tests.rest_support import BASE, ecosystem_store, settings
from tests.test_admission import SEINE


@pytest.mark.slow  # the first check of a credential parses and compiles the Gaia-X shapes
def test_an_attached_gaiax_credential_must_verify(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from harness import gaiax_factory as factory
    from kg.gaiax.importer import import_document
    from kg.gaiax.trust import TrustStore
    from kg.write import Origin

    trusted, empty = tmp_path / "trust", tmp_path / "empty"
    empty.mkdir()
    issuer = factory.Issuer(factory.rsa_key())
    trusted.mkdir()
    issuer.write(trusted)
    monkeypatch.setenv("DSKG_GAIAX_TRUST_DIR", str(trusted))
    store = ecosystem_store()
    presentation = factory.presentation(*(issuer.sign(c) for c in (
        factory.participant(), factory.registration(), factory.terms())))
    import_document(store, json.dumps(presentation), TrustStore.from_env(), base_iri=BASE,
                    origin=Origin(agent="test"))
    linked = SEINE.replace(b'dskg:vatID "FR40303265045" .', (
        b'dskg:vatID "FR40303265045" ;\n dskg:selfDescription '
        b'<https://provider.example/gx/participant.json#cs> .'))
    ctx = ServiceContext(store, settings())
    evaluated = service.evaluate(ctx, linked, "text/turtle")
    assert [c["outcome"] for c in evaluated.checks if c["check"] == "gaiax"] == ["pass"]
    assert evaluated.status == "pending"

    def gaiax_checks() -> list[dict]:
        checker = Checker(ctx, evaluated.content, Writer(role="reader"), evaluated.report)
        checker.gaiax(evaluated.content.members())
        return [c.to_json() for c in checker.checks]

    monkeypatch.setenv("DSKG_GAIAX_TRUST_DIR", str(empty))  # its issuer no longer trusted
    failed = gaiax_checks()
    assert [c["outcome"] for c in failed] == ["fail"] and "untrusted issuer" in failed[0][
        "message"]
    assert str(empty) not in failed[0]["message"]
    assert failed[0]["node"] == f"{BASE}id/organisation/seine-mobility-association"
    unknown = SEINE.replace(b'dskg:vatID "FR40303265045" .', (
        b'dskg:vatID "FR40303265045" ;\n dskg:selfDescription <https://nowhere.example/cs> .'))
    missing = [c for c in service.evaluate(ctx, unknown, "text/turtle").checks
               if c["check"] == "gaiax"]
    assert missing[0]["outcome"] == "fail" and "not on this node" in missing[0]["message"]
