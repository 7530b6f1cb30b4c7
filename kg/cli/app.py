"""The `dskg` command: the typer app every area adds its commands to, and shared helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

from kg.errors import DskgError, StoreUnavailable
from kg.settings import Settings
from kg.store import Store, open_store

console = Console()
err_console = Console(stderr=True)


class DskgGroup(TyperGroup):
    """Turns every DskgError into a one-line reason on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
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


def sub_app(name: str, help_text: str) -> typer.Typer:
    """A command group (e.g. `dskg policy ...`) with the same error handling."""
    group = typer.Typer(cls=DskgGroup, help=help_text, no_args_is_help=True,
                        pretty_exceptions_enable=False)
    app.add_typer(group, name=name)
    return group


def settings() -> Settings:
    return Settings.from_env()


@contextmanager
def opened_store(config: Settings | None = None, *, load_defaults: bool = True
                 ) -> Iterator[Store]:
    """Open the configured store (loading the default graph on first use) and close it."""
    from kg.bulkcommit import recover_interrupted_loads as undo_interrupted_loads
    from kg.defaultgraph import load_default_graph
    from kg.migrate import migrate

    config = config or settings()
    try:
        store = open_store(config)
    except StoreUnavailable as exc:
        if "lock" in exc.message.lower():
            raise StoreUnavailable(
                f"{exc.message} — is `dskg serve` running on this store? Stop it or use its "
                "HTTP API") from None
        raise
    try:
        undo_interrupted_loads(store)
        migrate(store, config.base_iri)
        if load_defaults and config.load_default_graph:
            load_default_graph(store, config.base_iri)
        yield store
    finally:
        store.close()


def stdout_bytes(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
