"""`dskg evaluate` and `dskg policy conflicts`."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kg.cli.app import opened_store, settings, sub_app
from kg.errors import BadRequest
from kg.policy import service
from kg.policy.request import build_request, parse_pairs

policy_app = sub_app("ODRL policies: the cross-tier conflict report.")


class Format(StrEnum):
    text = "text"
    json = "json"


def _print_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2))


def evaluate(
    assignee: Annotated[str, typer.Option(help="The organisation asking (IRI or prefixed name).")],
    action: Annotated[str, typer.Option(help="ODRL action, e.g. odrl:use.")],
    target: Annotated[str | None, typer.Option(
        help="The dataset or asset (or --all-targets).")] = None,
    purpose: Annotated[str | None, typer.Option(help="odrl:purpose (a concept IRI).")] = None,
    at: Annotated[str | None, typer.Option(help="odrl:dateTime (ISO 8601); default now.")
                  ] = None,
    spatial: Annotated[str | None, typer.Option(
        help="odrl:spatial: ISO country code, region (EU, EEA, EFTA) or IRI.")] = None,
    context: Annotated[list[str] | None, typer.Option(
        help="Any other left operand as KEY=VALUE (e.g. count=3, odrl:recipient=IRI); "
             "repeatable.")] = None,
    duty_done: Annotated[list[str] | None, typer.Option(
        help="A duty (its IRI, or its action such as odrl:attribute) already fulfilled; "
             "repeatable.")] = None,
    policies: Annotated[Path | None, typer.Option(
        help="Evaluate the policies in this RDF file (with the tier policies above them in "
             "the store) instead of the stored offers; nothing is stored.",
        exists=True, dir_okay=False, readable=True)] = None,
    all_targets: Annotated[bool, typer.Option(
        "--all-targets", help="Every dataset the request is permitted on (the list of GET "
        "/datasets?may=ACTION&assignee=ORG), instead of one TARGET.")] = False,
    limit: Annotated[int, typer.Option(help="With --all-targets: page size.")] = 1000,
    offset: Annotated[int, typer.Option(help="With --all-targets: items to skip.")] = 0,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """May ASSIGNEE perform ACTION on TARGET? Exit 0 permit, 3 deny, 4 not applicable,
    2 bad input. With --all-targets: the datasets it may (exit 0)."""
    if all_targets:
        _all_targets(assignee, action, purpose, at, spatial, duty_done or [], policies,
                     context, limit, offset, format)
        return
    if target is None:
        raise BadRequest("give --target, or --all-targets for every dataset")
    request = build_request(assignee=assignee, action=action, target=target, purpose=purpose,
                            at=at, spatial=spatial, context=parse_pairs(context or []),
                            duties_done=duty_done or [])
    overlay = service.read_policies(policies) if policies is not None else None
    config = settings()
    with opened_store(config) as store:
        decision = service.evaluate(store, request, policies=overlay,
                                    timeout=config.query_timeout)
    if format == Format.json:
        _print_json(decision.to_json())
    else:
        typer.echo(decision.to_text(), nl=False)
    raise typer.Exit(service.EXIT_CODES[decision.decision])


def _all_targets(assignee: str, action: str, purpose: str | None, at: str | None,
                 spatial: str | None, duties: list[str], policies: Path | None,
                 context: list[str] | None, limit: int, offset: int, format: Format) -> None:
    from kg.services.context import ServiceContext
    from kg.services.listing import Filters
    from kg.services.permitted import permitted, question_from_params

    if policies is not None or context:
        raise BadRequest("--all-targets reads the stored offers: --policies and --context "
                         "are for one target")
    params = {"may": action, "assignee": assignee, "purpose": purpose, "at": at,
              "spatial": spatial, "dutiesDone": ",".join(duties)}
    question = question_from_params(params)
    config = settings()
    with opened_store(config) as store:
        page = permitted(ServiceContext(store, config), Filters(), question, limit=limit,
                         offset=offset)
    if format == Format.json:
        _print_json(page.to_json())
        return
    typer.echo(f"{page.total} dataset(s) permitted"
               + (f" (showing {offset + 1}-{offset + len(page.items)})" if page.items else ""))
    for item in page.items:
        rules = (item.get("deciding") or {}).get("rules") or []
        typer.echo(f"{item['@id']}  by {', '.join(rules) or '?'}")


@policy_app.command("conflicts")
def conflicts(
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """Rules (same tier or across tiers) that can govern one request and disagree, each a
    conflict or ambiguous, with an example request; inheritance cycles and gaps; offers by
    non-members."""
    config = settings()
    with opened_store(config) as store:
        report = service.conflicts(store, timeout=config.query_timeout * 6)
    if format == Format.json:
        _print_json(report.to_json())
    else:
        typer.echo(report.to_text(), nl=False)
