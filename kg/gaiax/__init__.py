"""Gaia-X credentials: verify, import and link them; export our actors as credentials.

Pipeline (``verify``): parse (JSON-LD with shipped contexts only, or vc+jwt) -> envelope
(types, issuer, validity dates) -> proof (JsonWebSignature2020 or JWT, keys from a local
trust directory only) -> shapes (official Gaia-X 22.10 / 25.11 shapes and ours). ``importer``
stores each verified credential as its own named graph through the write path and links it
to the organisation or dataset it describes; ``export`` builds 22.10 credentials from the
graph.
"""

from __future__ import annotations

from kg.gaiax.export import ExportError, Signer, export_dataset, export_organisation
from kg.gaiax.importer import (
    CredentialRejectedError,
    ImportResult,
    import_document,
    import_inputs,
    store_verified,
)
from kg.gaiax.trust import TrustStore, did_document
from kg.gaiax.verify import Check, Verification, verify_batch, verify_document

__all__ = [
    "Check",
    "CredentialRejectedError",
    "ExportError",
    "ImportResult",
    "Signer",
    "TrustStore",
    "Verification",
    "did_document",
    "export_dataset",
    "export_organisation",
    "import_document",
    "import_inputs",
    "store_verified",
    "verify_batch",
    "verify_document",
]
