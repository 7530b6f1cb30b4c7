"""`dskg gaiax`: verify, import and export Gaia-X credentials.

Exit codes scripts rely on: 0 valid / all imported, 1 invalid / refused, 2 unreadable input.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kg.cli.app import console, err_console, opened_store, settings, stdout_bytes, sub_app
from kg.errors import DskgError, NotFound
from kg.gaiax.document import read_submission
from kg.gaiax.export import Signer, export_dataset, export_organisation
from kg.gaiax.importer import import_inputs
from kg.gaiax.jws import PublicKey
from kg.gaiax.trust import TrustStore, did_document
from kg.gaiax.verify import verify_batch
from kg.namespaces import DCAT
from kg.services.ids import parse_iri
from kg.store.sparql_text import values_list

gaiax = sub_app("Gaia-X credentials: verify, import into the graph, export.")

UNREADABLE = 2


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


TrustOption = Annotated[Path | None, typer.Option(
    "--trust", help="Directory of trusted DID documents (*.json) and root certificates "
                    "(*.pem); default $DSKG_GAIAX_TRUST_DIR.", file_okay=False)]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Report format.")]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        err_console.print(f"[bold red]error:[/] cannot read {path}: {exc.strerror}",
                          highlight=False)
        raise typer.Exit(UNREADABLE) from None


def _print(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True, end="")


@gaiax.command()
def verify(
    file: Annotated[Path, typer.Argument(help="A credential or presentation (JSON-LD or JWT).")],
    trust: TrustOption = None,
    no_proof: Annotated[bool, typer.Option("--no-proof", help="Skip the proof step "
                                                              "(unsigned drafts).")] = False,
    output: FormatOption = OutputFormat.text,
    use_store: Annotated[bool, typer.Option(
        "--store", help="Resolve references (a service offering's provider, a participant's "
                        "registration number) against credentials already imported.")] = False,
) -> None:
    """Check a credential: parse, envelope, proof, shapes. Nothing is stored."""
    data = _read(file)
    trusted = TrustStore.from_env(trust)
    try:
        submission = read_submission(data)
    except DskgError as exc:
        err_console.print(f"[bold red]error:[/] {file}: {exc.message}", highlight=False)
        raise typer.Exit(UNREADABLE) from None
    if use_store:
        with opened_store(settings(), load_defaults=False) as store:
            result = verify_batch([submission], trusted, check_proof=not no_proof,
                                  store=store)[0]
    else:
        result = verify_batch([submission], trusted, check_proof=not no_proof)[0]
    if output is OutputFormat.json:
        stdout_bytes(json.dumps(result.to_json(), indent=2).encode("utf-8") + b"\n")
    else:
        _print(result.to_text())
    raise typer.Exit(0 if result.valid else 1)


@gaiax.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="Credentials or presentations; each "
                                                     "file is imported all or nothing.")],
    trust: TrustOption = None,
    output: FormatOption = OutputFormat.text,
) -> None:
    """Verify and store credentials, each as its own named graph, and link them."""
    inputs = [(path.resolve().as_uri(), _read(path)) for path in files]
    trusted = TrustStore.from_env(trust)
    config = settings()
    with opened_store(config) as store:
        results = import_inputs(store, inputs, trusted, base_iri=config.base_iri, agent="cli")
    if output is OutputFormat.json:
        body = {"imported": all(r.imported for r in results),
                "results": [r.to_json() for r in results]}
        stdout_bytes(json.dumps(body, indent=2).encode("utf-8") + b"\n")
    else:
        for result in results:
            _print(result.to_text())
    if all(r.imported for r in results):
        raise typer.Exit(0)
    unreadable = any(r.error and r.error.startswith("unreadable") for r in results)
    raise typer.Exit(UNREADABLE if unreadable else 1)


@gaiax.command()
def export(
    iri: Annotated[str, typer.Argument(help="IRI of an organisation (participant credentials) "
                                            "or of a dataset (service offering).")],
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Write to this file.")] = None,
) -> None:
    """Build 22.10 credentials from the graph (signed when DSKG_GAIAX_KEY/_DID are set)."""
    node = parse_iri(iri, "the organisation or dataset")
    config = settings()
    signer = Signer.from_env()
    with opened_store(config) as store:
        is_dataset = store.query(
            "ASK { ?s a ?t " + values_list("t", (DCAT.Dataset, DCAT.DataService)) + " }",
            {"s": node}).boolean
        if is_dataset:
            presentation = export_dataset(store, node, base_iri=config.base_iri, signer=signer)
        else:
            presentation = export_organisation(store, node, base_iri=config.base_iri,
                                               signer=signer)
    text = json.dumps(presentation, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        stdout_bytes(text.encode("utf-8"))
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}", highlight=False)


@gaiax.command("did-document")
def did_document_command() -> None:
    """Print the DID document of the configured signing key (publish it; peers trust it)."""
    signer = Signer.from_env()
    if signer is None:
        raise NotFound("no signing key configured: set DSKG_GAIAX_KEY and DSKG_GAIAX_DID")
    did, _, fragment = signer.verification_method.partition("#")
    public: PublicKey = signer.key.public_key()
    document = did_document(did, public, fragment)
    stdout_bytes(json.dumps(document, indent=2).encode("utf-8") + b"\n")
