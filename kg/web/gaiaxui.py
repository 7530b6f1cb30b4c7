"""The Gaia-X page: a credential's verification as a checklist, and what it links to.

Verification is the Gaia-X service's (parse, envelope, proof, shapes; keys from the trust
directory, never the network). Without a token nothing is stored and the page says which
organisation or dataset the credential would be linked to; with a steward token it is imported
through the importer (the one write path) and the page shows what was linked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.auth import Principal
from kg.gaiax.document import read_submission
from kg.gaiax.importer import _link, store_verified
from kg.gaiax.link import LinkReport
from kg.gaiax.trust import TrustStore
from kg.gaiax.verify import verify_batch
from kg.services.context import ServiceContext
from kg.web.labels import lookup
from kg.write import Origin

STEP_NAMES = {"parse": "Read with the shipped contexts", "envelope": "Envelope and dates",
              "proof": "Signature", "shapes": "Gaia-X shapes",
              "rules": "This node's extra rules"}


@dataclass
class Step:
    name: str
    ok: bool
    message: str


@dataclass
class CredentialView:
    label: str
    steps: list[Step]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)


@dataclass
class LinkView:
    label: str
    href: str | None
    target: str
    via: str


@dataclass
class GaiaxResult:
    valid: bool
    credentials: list[CredentialView]
    imported: bool = False
    graphs: list[str] = field(default_factory=list)
    links: list[LinkView] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    presentation: list[Step] = field(default_factory=list)


def _links(ctx: ServiceContext, report: LinkReport, result: GaiaxResult) -> None:
    names = lookup(ctx, [link.source for link in report.linked])
    result.links = [LinkView(names.label(link.source), names.href(ctx, link.source),
                             str(link.target), link.via) for link in report.linked]
    result.unmatched = list(report.unmatched)
    result.conflicts = list(report.conflicts)


def check(ctx: ServiceContext, data: bytes, *, check_proof: bool = True,
          principal: Principal | None = None) -> GaiaxResult:
    """Verify ``data`` (a credential or presentation); import it when ``principal`` is
    given and every check passed. ParseError when it cannot be read at all."""
    verification = verify_batch([read_submission(data)], TrustStore.from_env(),
                                check_proof=check_proof or principal is not None,
                                store=ctx.store)[0]
    labels = [c.label for c in verification.credentials]
    # Checks come in the order they ran (a vc+jwt: envelope and signature before parse).
    credentials = [CredentialView(label, [Step(STEP_NAMES[c.step], c.ok or not c.blocking,
                                               c.message if c.ok or c.blocking
                                               else f"warning: {c.message}")
                                          for c in verification.checks
                                          if c.credential == label])
                   for label in labels]
    extra = [Step("Presentation " + ("signature" if c.step == "proof" else c.step), c.ok,
                  c.message) for c in verification.checks if c.credential not in labels]
    result = GaiaxResult(verification.valid, credentials, presentation=extra)
    if principal is not None and verification.valid:
        imported = store_verified(ctx.store, verification, base_iri=ctx.base_iri,
                                  origin=Origin(agent=principal.agent,
                                                source="web form /ui/gaiax"))
        result.imported = True
        result.graphs = [str(g) for g in imported.graphs]
        _links(ctx, imported.links, result)
    elif verification.subjects:
        _links(ctx, _link(ctx.store, verification), result)  # what an import would link
    return result
