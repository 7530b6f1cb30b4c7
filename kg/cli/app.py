"""The `dskg` command: the typer app (``kg.cli`` registers every command on it) and the
helpers the commands share."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from kg.errors import DskgError, StoreUnavailable
from kg.node import open_node
from kg.settings import Settings
from kg.store import Store

console = Console()
err_console = Console(stderr=True)


class DskgGroup(TyperGroup):
    """Turns every DskgError into a one-line reason on stderr and its exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click Context
        try:
            return super().invoke(ctx)
        except DskgError as exc:
            fail(exc)


def fail(exc: DskgError) -> None:
    err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


app = typer.Typer(
    cls=DskgGroup,
    help="dataspace-kg: the knowledge graph of the European data-space ecosystem.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def sub_app(help_text: str) -> typer.Typer:
    """A command group (e.g. `dskg policy ...`) with the same error handling; ``kg.cli``
    adds it to ``app`` under its name."""
    return typer.Typer(cls=DskgGroup, help=help_text, no_args_is_help=True,
                       pretty_exceptions_enable=False)


def settings() -> Settings:
    return Settings.from_env()


@contextmanager
def opened_store(config: Settings | None = None, *, load_defaults: bool = True
                 ) -> Iterator[Store]:
    """The node's store for one command: ``kg.node.open_node`` (the server's start-up, less
    what only a serving node needs), closed at the end."""
    config = config or settings()
    try:
        node = open_node(config, load_defaults=load_defaults)
    except StoreUnavailable as exc:
        if "lock" in exc.message.lower():
            raise StoreUnavailable(
                f"{exc.message} — is `dskg serve` running on this store? Stop it or use its "
                "HTTP API") from None
        raise
    try:
        yield node.store
    finally:
        node.close()


def stdout_bytes(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
