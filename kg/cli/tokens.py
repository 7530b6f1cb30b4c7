"""`dskg token create`: issue a bearer token (its digest is stored, the token printed once)."""

from __future__ import annotations

from typing import Annotated

import typer

from kg.cli.app import err_console, settings, sub_app
from kg.tokens import create_token

token_app = sub_app("token", "Issue bearer tokens for the REST API (reader, steward, admin).")


@token_app.command("create")
def create(
    role: Annotated[str, typer.Option(help="reader, steward or admin.")] = "steward",
    dataspace: Annotated[list[str] | None, typer.Option(
        help="A data space the steward may write (its id from /dataspaces, or its IRI); "
             "repeat for several.")] = None,
    subject: Annotated[str | None, typer.Option(
        help="Who holds it: recorded as the author of every write made with it.")] = None,
) -> None:
    """Create a token and print it on stdout (only its SHA-256 digest is kept)."""
    spaces = list(dataspace or [])
    name = subject or (f"{role}-{spaces[0]}" if spaces else role)
    token = create_token(settings(), role, name, spaces)
    err_console.print(f"token for [bold]{name}[/] ({role}"
                      f"{': ' + ', '.join(spaces) if spaces else ''}); it is shown only once",
                      highlight=False)
    typer.echo(token)
