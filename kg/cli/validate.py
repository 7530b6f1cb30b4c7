"""`dskg validate` (may this description be admitted?) and `dskg quality` (MQA-style scores)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rdflib import Graph, URIRef
from rich.table import Table

from kg.cli.app import console, opened_store, settings, stdout_bytes
from kg.errors import BadRequest
from kg.rdfio import parse_file, require_statements
from kg.validation import ValidationReport, context_for, validate_graph, validate_store
from kg.validation.engine import validate_with_shapes
from kg.validation.paths import ShapeError
from kg.validation.quality import datasets_quality, dataspace_quality

FORMATS = ("text", "json", "turtle")


def _read(files: list[Path], base: str | None = None) -> Graph:
    """Every triple of every file, whatever graph it is in (ParseError: exit 2)."""
    union = Graph()
    for path in files:
        dataset = parse_file(path, base_iri=base)
        require_statements(dataset, str(path))
        for s, p, o, _g in dataset.quads((None, None, None, None)):
            union.add((s, p, o))
    return union


def _with_shapes(run: Callable[[], ValidationReport]) -> ValidationReport:
    """A run with user-given shapes: a shape the engine cannot evaluate is bad input."""
    try:
        return run()
    except ShapeError as exc:
        raise BadRequest(f"--shapes: {exc}") from None


def _print(report: ValidationReport, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    elif fmt == "turtle":
        stdout_bytes(report.to_rdf().serialize(format="turtle").encode("utf-8"))
    else:
        print(report.to_text(), end="")


def validate(
    files: Annotated[list[Path] | None, typer.Argument(
        help="RDF files (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML), validated "
        "together.", exists=True, dir_okay=False, readable=True)] = None,
    format: Annotated[str, typer.Option(
        "--format", "-f", help="text (for people), json (one document) or turtle (SHACL "
        "report).")] = "text",
    against_store: Annotated[bool, typer.Option(
        "--against-store", help="Check references against the configured store (so a node "
        "already in the graph may be referenced).")] = False,
    all_: Annotated[bool, typer.Option(
        "--all", help="Audit everything in the configured store instead of files.")] = False,
    shapes: Annotated[list[Path] | None, typer.Option(
        "--shapes", help="More SHACL shapes to check as well, e.g. SEMIC's range.ttl or a "
        "data space's own rules (repeatable).", exists=True, dir_okay=False,
        readable=True)] = None,
    background: Annotated[list[Path] | None, typer.Option(
        "--background", help="Facts the shapes may read but that are not validated "
        "themselves, e.g. a controlled vocabulary (repeatable).", exists=True,
        dir_okay=False, readable=True)] = None,
    base: Annotated[str | None, typer.Option(
        "--base", help="The IRI relative IRIs in the files resolve against, e.g. where they "
        "will be published (default: each file's own file: URI, which the project's shapes "
        "do not accept as a resource IRI).")] = None,
) -> None:
    """Validate descriptions against the shapes. Exit 0: conforms; 1: violations; 2: unreadable.

    Warnings (DCAT-AP recommended properties) are shown but do not fail.
    """
    if format not in FORMATS:
        raise BadRequest(f"unknown --format {format!r}: use {', '.join(FORMATS)}")
    if all_ == bool(files):
        raise BadRequest("give FILE arguments, or --all to audit the store (not both)")
    if all_ and background:
        raise BadRequest("--background goes with FILE arguments; an audit reads the store")
    extra = _read(shapes, base) if shapes else None
    known = _read(background or [], base)
    if all_:
        with opened_store(settings()) as store:
            report = validate_store(store)
            if extra is not None:
                report = report.merged(_with_shapes(lambda: validate_store(store, shapes=extra)))
    else:
        data = _read(files or [], base)
        if against_store:
            with opened_store(settings()) as store:
                # Shapes given on the command line may read any fact of what is referenced.
                context = context_for(store, data, every_fact=extra is not None) + known
        else:
            context = known
        if extra is None:
            report = validate_graph(data, context=context)
        else:
            report = _with_shapes(lambda: validate_with_shapes(data, context=context,
                                                               shapes=extra))
    _print(report, format)
    if not report.conforms:
        raise typer.Exit(1)


def quality(
    datasets: Annotated[list[str] | None, typer.Argument(
        help="Dataset IRIs (default: every data space's average).")] = None,
    dataspace: Annotated[str | None, typer.Option(
        "--dataspace", help="Score one data space (the datasets of its catalog).")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Metadata quality scores (data.europa.eu MQA dimensions) per dataset or data space."""
    if format not in ("table", "json"):
        raise BadRequest(f"unknown --format {format!r}: use table or json")
    with opened_store(settings()) as store:
        if datasets:
            scores = datasets_quality(store, [URIRef(d) for d in datasets])
        elif dataspace:
            scores = [dataspace_quality(store, URIRef(dataspace))]
        else:
            spaces = store.query("SELECT DISTINCT ?s WHERE { ?s a "
                                 "<https://w3id.org/dskg#DataSpace> } ORDER BY ?s")
            scores = [dataspace_quality(store, s) for (s,) in spaces.rows
                      if isinstance(s, URIRef)]
    if format == "json":
        print(json.dumps(scores if len(scores) != 1 else scores[0], indent=2,
                         ensure_ascii=False))
        return
    key = "dataset" if datasets else "dataspace"
    table = Table(key, "points", "rating", "find.", "access.", "interop.", "reuse", "context")
    for score in scores:
        dims = score["dimensions"]
        table.add_row(score.get("label") or score[key], f"{score['points']:g}/{score['maximum']}",
                      score["rating"], *(f"{dims[d]['points']:g}" for d in (
                          "findability", "accessibility", "interoperability", "reusability",
                          "contextuality")))
    console.print(table)
