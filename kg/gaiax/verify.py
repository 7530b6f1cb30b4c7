"""Verification, one check per step and credential.

A credential secured as a JWS (``vc+jwt``, ``vc+ld+jwt``) is checked on the token as received
first — envelope (JOSE ``typ``/``cty``/``iss``/``kid``, validity dates of its JSON payload),
then signature — and only then expanded as JSON-LD (``parse``), so an unknown context fails
the parse step alone. A JSON-LD credential with an embedded proof must be expanded first (its
signature covers the canonical RDF): parse -> envelope -> proof. Then, for both:

- ``shapes``: the official Gaia-X shapes of the credential's release (Gaia-X's verdict);
- ``rules``: this node's extra rules (``shapes/gaiax.ttl``, LEI check digits, a subject that
  states something): warnings, or failures when ``DSKG_GAIAX_STRICT_RULES`` is set.

Every step runs for every credential it can; a step that cannot run says why. A presentation's
own envelope and proof are checked under the presentation's label. Nothing is stored here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from rdflib import Graph, URIRef

from kg.errors import DskgError
from kg.gaiax.document import Credential, Submission, expand, id_of, read_submission
from kg.gaiax.envelope import Envelope, check_envelope, check_jwt_envelope
from kg.gaiax.proof import ProofOutcome, is_compliance, verify_embedded, verify_jwt
from kg.gaiax.releases import Release, release_of
from kg.gaiax.shapes import check_subjects, subject_graph
from kg.gaiax.trust import TrustStore
from kg.store.base import Store

Step = Literal["parse", "envelope", "proof", "shapes", "rules"]
STEPS: tuple[Step, ...] = ("envelope", "proof", "parse", "shapes", "rules")
Severity = Literal["error", "warning"]
STRICT_ENV = "DSKG_GAIAX_STRICT_RULES"


def strict_rules(environ: dict[str, str] | None = None) -> bool:
    """Whether this node's own rules block (``DSKG_GAIAX_STRICT_RULES=1``) or only warn."""
    value = (os.environ if environ is None else environ).get(STRICT_ENV, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Check:
    step: Step
    ok: bool
    credential: str
    message: str
    #: A failed ``warning`` check is reported but does not make the submission invalid.
    severity: Severity = "error"

    @property
    def blocking(self) -> bool:
        return not self.ok and self.severity == "error"

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "ok": self.ok, "credential": self.credential,
                "message": self.message, "severity": self.severity}


@dataclass
class Verification:
    """The checks of one submission, and the parsed credentials (for the importer)."""

    submission: Submission
    checks: list[Check] = field(default_factory=list)
    envelopes: dict[int, Envelope] = field(default_factory=dict)
    subjects: dict[int, Graph] = field(default_factory=dict)
    releases: dict[int, Release | None] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return bool(self.checks) and not any(check.blocking for check in self.checks)

    @property
    def credentials(self) -> list[Credential]:
        return self.submission.credentials

    def failures(self) -> list[Check]:
        return [check for check in self.checks if check.blocking]

    def warnings(self) -> list[Check]:
        return [check for check in self.checks if not check.ok and not check.blocking]

    def to_json(self) -> dict[str, Any]:
        return {"valid": self.valid, "checks": [check.to_json() for check in self.checks]}

    def to_text(self) -> str:
        lines = [f"{'VALID' if self.valid else 'INVALID'}: {len(self.credentials)} "
                 f"credential(s)"]
        for check in self.checks:
            mark = "ok  " if check.ok else ("FAIL" if check.blocking else "WARN")
            lines.append(f"  [{mark}] {check.step:<8} {check.credential}: {check.message}")
        return "\n".join(lines) + "\n"


def _not_run(step: Step, label: str, why: str) -> Check:
    return Check(step, False, label, f"not checked: {why}")


def _guarded(run: Any) -> ProofOutcome:
    try:
        return run()
    except DskgError as exc:
        return ProofOutcome(False, "malformed", exc.message)


def _presentation_checks(submission: Submission, trust: TrustStore, now: datetime,
                         check_proof: bool) -> list[Check]:
    """The presentation's own envelope (vp+jwt) and proof, when it is signed."""
    presentation = submission.presentation or {}
    label = submission.presentation_label or "presentation"
    jws = submission.presentation_jwt
    checks: list[Check] = []
    if jws is not None:
        envelope = check_jwt_envelope(jws.header, presentation, now, kind="vp")
        checks.append(Check("envelope", envelope.ok, label, f"presentation: {envelope.message}"))
    if not check_proof or (jws is None and "proof" not in presentation):
        return checks
    holder = presentation.get("holder")
    holder = id_of(holder) if isinstance(holder, dict) else holder
    if jws is not None and not isinstance(holder, str):
        holder = jws.header.get("iss") or presentation.get("iss")
    if not isinstance(holder, str):
        return [*checks, Check("proof", False, label,
                               "a signed presentation must name its holder")]
    outcome = _guarded(lambda: verify_jwt(jws, holder, trust, now) if jws is not None
                       else verify_embedded(presentation, holder, trust, now))
    return [*checks, Check("proof", outcome.ok, label, f"presentation: {outcome.message}")]


def _proof(result: Verification, credential: Credential, envelope: Envelope, label: str,
           trust: TrustStore, now: datetime, check_proof: bool) -> None:
    if not check_proof:
        result.checks.append(Check("proof", True, label,
                                   "skipped (--no-proof): the proof was not checked"))
        return
    if envelope.issuer is None:
        result.checks.append(_not_run("proof", label, "no issuer to take the key from"))
        return
    issuer = envelope.issuer
    if credential.jwt is not None:
        jws = credential.jwt
        compliance = is_compliance(credential.document)
        outcome = _guarded(lambda: verify_jwt(jws, issuer, trust, now, compliance=compliance))
    else:
        assert credential.document is not None
        document = credential.document
        outcome = _guarded(lambda: verify_embedded(document, issuer, trust, now,
                                                   credential.nquads))
    result.checks.append(Check("proof", outcome.ok, label, outcome.message))


def _parse(result: Verification, credential: Credential, label: str) -> bool:
    expand(credential)
    if credential.problem is not None:
        result.checks.append(Check("parse", False, label, credential.problem))
        return False
    form = "vc+jwt payload" if credential.jwt is not None else "JSON-LD"
    release = result.releases.get(result.credentials.index(credential))
    named = f"Gaia-X {release.label}; " if release is not None else ""
    result.checks.append(Check("parse", True, label, f"{named}{form} expanded with shipped "
                                                     f"contexts: {len(credential.dataset or ())}"
                                                     " quads"))
    return True


def _first_steps(result: Verification, index: int, trust: TrustStore, now: datetime,
                 check_proof: bool) -> bool:
    """Envelope, proof and parse of one credential; False when it could not be expanded."""
    credential = result.credentials[index]
    result.releases[index] = release_of(credential.document)
    label = credential.label
    if credential.jwt is not None and credential.document is not None:
        envelope = check_jwt_envelope(credential.jwt.header, credential.document, now)
        result.envelopes[index] = envelope
        result.checks.append(Check("envelope", envelope.ok, label, envelope.message))
        _proof(result, credential, envelope, label, trust, now, check_proof)
        parsed = _parse(result, credential, label)
    else:
        parsed = _parse(result, credential, label)
        if not parsed:
            result.checks += [_not_run(step, label, "the parse step failed")
                              for step in ("envelope", "proof")]
        else:
            envelope = result.envelopes[index] = check_envelope(credential, now)
            result.checks.append(Check("envelope", envelope.ok, label, envelope.message))
            _proof(result, credential, envelope, label, trust, now, check_proof)
    if not parsed:
        result.checks += [_not_run(step, label, "the parse step failed")
                          for step in ("shapes", "rules")]
        return False
    node = credential.node()
    if isinstance(node, URIRef) and node != URIRef(label):
        # later checks (and the importer) name the credential by its id
        old, credential.label = label, str(node)
        result.checks = [Check(c.step, c.ok, credential.label, c.message, c.severity)
                         if c.credential == old else c for c in result.checks]
    result.subjects[index] = subject_graph(credential.default_graph)
    return True


def _shapes_check(result: Verification, index: int, problems: list[str]) -> Check:
    label = result.credentials[index].label
    size = len(result.subjects[index])
    release = result.releases.get(index)
    if release is not None and not release.own_shapes:
        # Not Gaia-X's verdict for this release: what another release's shapes say is advice.
        caveat = (f"the official Gaia-X {release.name} shapes are not shipped; checked "
                  f"against the {release.shapes_label} (same gx: namespace), as advice")
        if problems:
            return Check("shapes", False, label, f"{caveat}: " + "; ".join(problems),
                         "warning")
        return Check("shapes", True, label, f"{caveat}: conforms ({size} subject triples)")
    which = release.shapes_label if release is not None else "official Gaia-X shapes"
    if problems:
        return Check("shapes", False, label, f"{which}: " + "; ".join(problems))
    return Check("shapes", True, label, f"conforms to the {which} ({size} subject triples)")


def _rules_check(result: Verification, index: int, problems: list[str], strict: bool
                 ) -> Check:
    label = result.credentials[index].label
    if not len(result.subjects[index]):
        problems = ["the credential subject states nothing", *problems]
    if problems:
        return Check("rules", False, label, "this node's rules: " + "; ".join(problems),
                     "error" if strict else "warning")
    return Check("rules", True, label, "meets this node's rules (shapes/gaiax.ttl, LEI check "
                                       "digits)")


def verify_batch(submissions: Sequence[Submission], trust: TrustStore, *,
                 check_proof: bool = True, now: datetime | None = None,
                 store: Store | None = None, strict: bool | None = None
                 ) -> list[Verification]:
    """Verify several submissions; their subjects are shape-checked together (references
    between them resolve), each keeping its own checks."""
    now = now or datetime.now(UTC)
    strict = strict_rules() if strict is None else strict
    results = [Verification(submission) for submission in submissions]
    parsed: list[tuple[Verification, int]] = []
    for result in results:
        if not result.credentials:
            result.checks.append(Check("parse", False, result.submission.presentation_label
                                       or "input", "the presentation holds no credential"))
        parsed += [(result, i) for i in range(len(result.credentials))
                   if _first_steps(result, i, trust, now, check_proof)]
        result.checks += _presentation_checks(result.submission, trust, now, check_proof)
    official, ours = (check_subjects([r.subjects[i] for r, i in parsed], store) if parsed
                      else ([], []))
    for (result, index), gaiax, own in zip(parsed, official, ours, strict=True):
        result.checks.append(_shapes_check(result, index, gaiax))
        result.checks.append(_rules_check(result, index, own, strict))
    for result in results:
        labels = {c.label: i for i, c in enumerate(result.credentials)}
        result.checks.sort(key=lambda c: labels.get(c.credential, len(labels)))
    return results


def verify_document(data: bytes | str, trust: TrustStore, *, check_proof: bool = True,
                    now: datetime | None = None, store: Store | None = None,
                    strict: bool | None = None) -> Verification:
    """Verify one input (credential or presentation). Raises ParseError when unreadable."""
    return verify_batch([read_submission(data)], trust, check_proof=check_proof, now=now,
                        store=store, strict=strict)[0]
