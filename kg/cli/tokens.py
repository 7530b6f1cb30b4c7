"""`dskg token create`: issue a bearer token (its digest is stored, the token printed once)."""

from __future__ import annotations

from typing import Annotated

import typer

from kg.cli.app import err_console, settings, sub_app
from kg.tokens import create_token, issued

token_app = sub_app("Issue bearer tokens for the REST API (reader, applicant, steward, "
                    "authority, admin).")


@token_app.command("create")
def create(
    role: Annotated[str, typer.Option(
        help="reader, applicant, steward, authority or admin.")] = "steward",
    dataspace: Annotated[list[str] | None, typer.Option(
        help="A data space the steward may write (its id from /dataspaces, or its IRI); "
             "repeat for several.")] = None,
    country: Annotated[str | None, typer.Option(
        help="An authority's jurisdiction: EU for the EU tier, or a country code (ES).")
    ] = None,
    subject: Annotated[str | None, typer.Option(
        help="Who holds it. Writes made with it carry the agent name `dskg token list` "
             "shows (role and a hash); readers never see the subject.")] = None,
) -> None:
    """Create a token and print it on stdout (only its SHA-256 digest is kept)."""
    spaces = list(dataspace or [])
    scope = spaces or ([country.upper()] if country else [])
    name = subject or (f"{role}-{scope[0]}" if scope else role)
    token = create_token(settings(), role, name, spaces, jurisdiction=country)
    err_console.print(f"token for [bold]{name}[/] ({role}"
                      f"{': ' + ', '.join(scope) if scope else ''}); it is shown only once",
                      highlight=False)
    typer.echo(token)


@token_app.command("list")
def list_tokens() -> None:
    """The tokens issued for this node: subject, role, scope and the agent name the
    provenance records give their writes (how an admin learns who wrote what)."""
    for entry in issued(settings()):
        scope = ", ".join(entry["dataspaces"]) or entry["jurisdiction"] or "-"
        typer.echo(f"{entry['agent']}\t{entry['role']}\t{scope}\t{entry['subject']}")
