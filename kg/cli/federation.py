"""`dskg harvest`: harvest the configured peers into the configured store."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from kg.cli.app import console, opened_store, settings
from kg.errors import BadRequest
from kg.federation import harvest as run_harvest


def harvest(
    peer: Annotated[str | None, typer.Argument(help="Peer name (default: every peer that is "
                                               "not query-only).")] = None,
    format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Harvest peers' catalogs (DSKG_CONFIG [[peers]]): add, update and remove their
    descriptions. Exit code 1 when a peer could not be harvested."""
    if format not in ("text", "json"):
        raise BadRequest(f"unknown --format {format!r}: use text or json")
    config = settings()
    with opened_store(config) as store:
        if sys.stderr.isatty():
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), console=console, transient=True) as bar:
                tasks: dict[str, TaskID] = {}

                def progress(stage: str, done: int, total: int | None) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(stage, total=total)
                    bar.update(tasks[stage], completed=done, total=total)

                report = run_harvest(store, config, peer, progress=progress)
        else:
            report = run_harvest(store, config, peer)
    if format == "json":
        print(json.dumps(report.to_json(), indent=2))
    else:
        console.print(report.to_text(), highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)
