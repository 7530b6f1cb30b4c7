"""Operations: `dskg backup`, `dskg restore`, `dskg integrity`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from kg.backup import (
    Manifest,
    check_integrity,
    restore_backup,
    split_backup,
    verify_backup,
    write_backup,
)
from kg.cli.app import console, err_console, opened_store, settings
from kg.errors import StoreUnavailable, Unauthorized


def _say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


def _warn(text: str) -> None:
    err_console.print(text, highlight=False, soft_wrap=True)


def _describe(manifest: Manifest) -> str:
    return (f"{manifest.quads} quads in {manifest.graphs} graphs "
            f"({manifest.descriptions} descriptions), content hash {manifest.contentHash[:16]}")


def _download(server: str, target: Path) -> Manifest:
    """Stream GET {server}/admin/backup into ``target`` and check it arrived whole."""
    import httpx

    token = os.environ.get("DSKG_ADMIN_TOKEN")
    if not token:
        raise Unauthorized("set DSKG_ADMIN_TOKEN to the server's admin token to back it up")
    url = server.rstrip("/") + "/admin/backup"
    try:
        with httpx.stream("GET", url, headers={"Authorization": f"Bearer {token}"},
                          timeout=httpx.Timeout(30.0, read=600.0), trust_env=False) as answer:
            if answer.status_code != 200:
                answer.read()
                raise StoreUnavailable(f"{url} answered HTTP {answer.status_code}: "
                                       f"{answer.text[:300]}")
            with target.open("wb") as out:
                for chunk in answer.iter_bytes():
                    out.write(chunk)
    except httpx.HTTPError as exc:
        raise StoreUnavailable(f"cannot reach {url}: {exc}") from None
    return split_backup(target.read_bytes())[1]


def backup(
    output: Annotated[Path, typer.Option("--output", "-o", help="The backup file to write.")],
    server: Annotated[str | None, typer.Option(
        help="A running node's URL: take the backup through its /admin/backup (online, with "
             "DSKG_ADMIN_TOKEN); without it the configured store is opened directly.")] = None,
) -> None:
    """Write a consistent snapshot of the whole store (N-Quads with provenance + manifest)."""
    partial = output.with_name(output.name + ".partial")
    try:
        if server:
            manifest = _download(server, partial)
        else:
            with opened_store(load_defaults=False) as store, partial.open("wb") as out:
                manifest = write_backup(store, out)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    _say(f"backup written to {output}: {_describe(manifest)}")
    if manifest.integrity:
        _warn(f"warning: the snapshot's graphs and records disagree: {manifest.integrity}")


def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `dskg backup`.", exists=True,
                                         dir_okay=False, readable=True)],
    check_only: Annotated[bool, typer.Option(
        "--check-only", help="Verify the file (hash, counts) without touching a store.")
    ] = False,
) -> None:
    """Restore a backup into an EMPTY store, verifying its counts and content hash."""
    raw = file.read_bytes()
    if check_only:
        _say(f"{file} is a complete backup: {_describe(verify_backup(raw))}")
        return
    split_backup(raw)  # refuse a damaged file before opening the store
    with opened_store(settings(), load_defaults=False) as store:
        restored = restore_backup(store, raw)
    _say(f"restored {_describe(restored.manifest)}; verified")
    if not restored.integrity.ok:
        _warn(f"warning: {restored.integrity.summary()}")


def integrity(
    repair: Annotated[bool, typer.Option(
        "--repair", help="Remove the ownership violations found (saved first to an N-Quads "
                         "file next to the store, to be written back through the write path "
                         "by their owners if wanted).")] = False,
) -> None:
    """Check that every named graph matches its provenance record and that no description
    states what another owns (DESIGN 4a); exit 1 if not."""
    from datetime import UTC, datetime

    from kg.trespass import find_trespasses
    from kg.trespass import repair as remove_trespasses

    config = settings()
    with opened_store(config, load_defaults=False) as store:
        report = check_integrity(store)
        trespasses = find_trespasses(store)
        if repair and trespasses:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            on_disk = not config.store.startswith(("memory", "http://", "https://"))
            keep = Path(config.store.rstrip("/") + f".trespass-{stamp}.nq") if on_disk \
                else Path(f"dskg-trespass-{stamp}.nq")
            removed = remove_trespasses(store, trespasses, keep)
            _say(f"repaired: removed {removed} triple(s) stated by descriptions that do not "
                 f"own them; saved to {keep}")
            trespasses = find_trespasses(store)
            report = check_integrity(store)
    for trespass in trespasses[:200]:
        _warn(f"ownership: {trespass.line()}")
    if len(trespasses) > 200:
        _warn(f"ownership: ... and {len(trespasses) - 200} more")
    if report.ok and not trespasses:
        _say(f"ok: {report.summary()}; no description states what another owns")
        return
    if not report.ok:
        _warn(f"inconsistent: {report.summary()}")
    if trespasses:
        _warn(f"ownership: {len(trespasses)} triple(s) stated by descriptions that do not own "
              "them (dskg integrity --repair removes them)")
    raise typer.Exit(1)


__all__ = ["backup", "integrity", "restore"]
