"""Core commands: serve, load, query, export, stats."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rdflib import BNode, Literal, URIRef
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kg import lexical
from kg.cli.app import console, err_console, opened_store, settings, stdout_bytes
from kg.errors import BadRequest
from kg.rdfio import format_for_path
from kg.settings import check_admin_token
from kg.sparql import QueryService
from kg.stats import graph_stats
from kg.write import Mode, Origin, write_bytes

PROGRESS_MIN_BYTES = 1024 * 1024


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
) -> None:
    """Start the HTTP server (SPARQL endpoint at /sparql) on the configured store.

    Resources are named under DSKG_BASE_IRI; without it, under this server's own address
    (http://HOST:PORT/) on loopback, and a server beyond loopback refuses to start."""
    import uvicorn

    from api.app import create_app

    config = settings().for_server(host, port)
    warning = check_admin_token(config, host)  # a weak token beyond loopback stops here
    if warning:
        err_console.print(f"[bold yellow]warning:[/] {warning}", highlight=False,
                          soft_wrap=True)
    console.print(f"dskg serving on http://{host}:{port}/ (store: {config.store}; resources "
                  f"named under {config.base_iri})", highlight=False)
    uvicorn.run(create_app(config), host=host, port=port, log_level="info")


def _read_with_progress(path: Path, progress: Progress | None) -> bytes:
    size = path.stat().st_size
    if progress is None:
        return path.read_bytes()
    task = progress.add_task(f"reading {path.name}", total=size)
    chunks = []
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            chunks.append(chunk)
            progress.update(task, advance=len(chunk))
    return b"".join(chunks)


def load(
    files: Annotated[list[Path], typer.Argument(help="RDF files (Turtle, N-Triples, N-Quads, "
                                                "TriG, JSON-LD, RDF/XML).", exists=True,
                                                dir_okay=False, readable=True)],
    graph: Annotated[str | None, typer.Option(help="Graph name for a single-file load.")] = None,
    replace: Annotated[bool, typer.Option(help="Only replace existing descriptions.")] = False,
    create: Annotated[bool, typer.Option(help="Refuse to overwrite existing ones.")] = False,
    whole: Annotated[bool, typer.Option(help="Keep a catalog dump as one description "
                                        "(do not split it per dataset).")] = False,
    source: Annotated[str | None, typer.Option(
        help="The identity of a catalog dump across loads (default: its top catalog's IRI, "
        "else the file's URI): loading it again deletes the descriptions an earlier load of "
        "the same source wrote and the dump no longer holds.")] = None,
) -> None:
    """Load files through the write path: each file (or each named graph) is one description;
    a catalog dump (a dcat:Catalog, or many datasets, in one graph) is split into one
    description per dataset, service, catalog, agent and data space (see kg.split)."""
    from kg.split import load_dump

    if graph and len(files) > 1:
        raise BadRequest("--graph names one graph: give exactly one file")
    config = settings()
    mode: Mode = "replace" if replace else "create" if create else "upsert"
    total = sum(f.stat().st_size for f in files)
    with opened_store(config) as store:
        progress = None
        if total >= PROGRESS_MIN_BYTES and sys.stderr.isatty():
            progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                TimeElapsedColumn(), console=console, transient=True)
            progress.start()
        try:
            for path in files:
                fmt = format_for_path(path)
                data = _read_with_progress(path, progress)
                if progress is not None:
                    progress.add_task(f"validating and committing {path.name}", total=None)
                origin = Origin(agent="cli", source=path.resolve().as_uri(), activity="load")
                # exclusive: this process holds the store alone (an embedded store is locked
                # by its opener), so a big load of new graphs may use the bulk loader.
                done = None if graph or whole else load_dump(
                    store, data, fmt, base_iri=config.base_iri, origin=origin, mode=mode,
                    exclusive=True, source=_source_iri(source) if source else None)
                counts = ""
                if done is not None:
                    result = done.result
                    counts = done.summary()
                else:
                    result = write_bytes(store, data, fmt, base_iri=config.base_iri,
                                         origin=origin, graph=URIRef(graph) if graph else None,
                                         mode=mode, exclusive=True)
                console.print(
                    f"{path}: {len(result.graphs)} description(s), {result.triples} triples "
                    f"({counts or f'{len(result.created)} new, {len(result.replaced)} replaced'}"
                    f", {result.warnings} warnings)", highlight=False)
        finally:
            if progress is not None:
                progress.stop()


def _source_iri(text: str) -> URIRef:
    """``--source``: an absolute IRI (it is recorded and queried as one)."""
    from kg.store.sparql_text import term_n3

    iri = URIRef(text)
    if ":" not in text:
        raise BadRequest(f"--source must be an absolute IRI, not {text!r}")
    try:
        term_n3(iri)
    except ValueError as exc:
        raise BadRequest(f"--source: {exc}") from None
    return iri


def _cell(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, URIRef | Literal):
        return str(term)
    return str(term)


def query(
    sparql: Annotated[str, typer.Argument(help="The query; '-' reads it from stdin, @FILE "
                                         "from a file.")],
    format: Annotated[str, typer.Option("--format", "-f",
                                        help="table, csv, json (SPARQL 1.1 results), or "
                                        "turtle/ntriples for CONSTRUCT.")] = "table",
    federated: Annotated[bool, typer.Option(
        "--federated", help="Also ask every configured peer's SPARQL endpoint and merge the "
        "answers; which peers answered, timed out or failed goes to stderr.")] = False,
) -> None:
    """Run a SPARQL query on the store and print the answer."""
    if sparql == "-":
        sparql = sys.stdin.read()
    elif sparql.startswith("@"):
        sparql = Path(sparql[1:]).read_text(encoding="utf-8")
    media = {"csv": "text/csv", "json": "application/sparql-results+json",
             "tsv": "text/tab-separated-values", "xml": "application/sparql-results+xml",
             "turtle": "text/turtle", "ntriples": "application/n-triples"}
    if format not in (*media, "table"):
        raise BadRequest(f"unknown --format {format!r}: use table, {', '.join(media)}")
    config = settings()
    with opened_store(config) as store:
        if federated:
            from kg.federation.query import federated_query

            answer = federated_query(config, sparql, store=store)
            result = answer.result
            err_console.print(answer.status_text(), highlight=False)
        else:
            result = QueryService(store, config).select(sparql)
        if format != "table":
            from kg.store.results import serialize_result

            media_type = media[format]
            if result.kind in ("CONSTRUCT", "DESCRIBE") and format in ("csv", "json", "tsv",
                                                                       "xml"):
                media_type = "text/turtle"
            stdout_bytes(serialize_result(result, media_type).body)
            return
        if result.kind == "ASK":
            console.print("true" if result.boolean else "false")
            return
        if result.kind in ("CONSTRUCT", "DESCRIBE"):
            assert result.graph is not None
            stdout_bytes(result.graph.serialize(format="turtle").encode())
            return
        table = Table(*result.variables, show_lines=False)
        for row in result.rows:
            table.add_row(*(_cell(t) for t in row))
        console.print(table)
        console.print(f"{len(result.rows)} row(s)", style="dim")


def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write ('-' = stdout).")],
    format: Annotated[str, typer.Option("--format", help="nquads or trig.")] = "nquads",
) -> None:
    """Write every named graph (descriptions and provenance) as N-Quads or TriG."""
    if format not in ("nquads", "trig"):
        raise BadRequest(f"unknown --format {format!r}: use nquads or trig")
    with opened_store() as store:
        data = lexical.export(store, format)  # literals as written
        if str(output) == "-":
            stdout_bytes(data)
        else:
            output.write_bytes(data)
            console.print(f"wrote {output} ({len(data)} bytes)", highlight=False)


def stats(
    format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Triples, graphs, and counts per class and per governance tier."""
    with opened_store() as store:
        figures = graph_stats(store)
    if format == "json":
        print(json.dumps(figures, indent=2))
        return
    console.print(f"store: {figures['store']}", highlight=False)
    console.print(f"triples: {figures['triples']}   named graphs: {figures['graphs']}")
    for title, key in (("class", "classes"), ("tier", "tiers")):
        table = Table(title, "count")
        for name, count in figures[key].items():
            table.add_row(name, str(count))
        console.print(table)
