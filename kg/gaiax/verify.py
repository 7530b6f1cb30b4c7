"""Verification: parse -> envelope -> proof -> shapes, one check per step and credential.

Every step runs for every credential it can (a failed proof does not hide a shapes problem);
a step that cannot run because an earlier one failed says so. A presentation's own proof,
when it has one, is checked too, under the presentation's label. Nothing is stored here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from rdflib import Graph, URIRef

from kg.errors import DskgError
from kg.gaiax.document import Credential, Submission, expand, id_of, read_submission
from kg.gaiax.envelope import Envelope, check_envelope
from kg.gaiax.proof import ProofOutcome, verify_embedded, verify_jwt
from kg.gaiax.shapes import check_subjects, subject_graph
from kg.gaiax.trust import TrustStore
from kg.store.base import Store

Step = Literal["parse", "envelope", "proof", "shapes"]
STEPS: tuple[Step, ...] = ("parse", "envelope", "proof", "shapes")


@dataclass(frozen=True)
class Check:
    step: Step
    ok: bool
    credential: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "ok": self.ok, "credential": self.credential,
                "message": self.message}


@dataclass
class Verification:
    """The checks of one submission, and the parsed credentials (for the importer)."""

    submission: Submission
    checks: list[Check] = field(default_factory=list)
    envelopes: dict[int, Envelope] = field(default_factory=dict)
    subjects: dict[int, Graph] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def credentials(self) -> list[Credential]:
        return self.submission.credentials

    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def to_json(self) -> dict[str, Any]:
        return {"valid": self.valid, "checks": [check.to_json() for check in self.checks]}

    def to_text(self) -> str:
        lines = [f"{'VALID' if self.valid else 'INVALID'}: {len(self.credentials)} "
                 f"credential(s)"]
        for check in self.checks:
            mark = "ok  " if check.ok else "FAIL"
            lines.append(f"  [{mark}] {check.step:<8} {check.credential}: {check.message}")
        return "\n".join(lines) + "\n"


def _proof_check(credential: Credential, envelope: Envelope, trust: TrustStore,
                 now: datetime) -> ProofOutcome:
    assert credential.document is not None and envelope.issuer is not None
    try:
        if credential.jwt is not None:
            return verify_jwt(credential.jwt, envelope.issuer, trust, now)
        return verify_embedded(credential.document, envelope.issuer, trust, now,
                               credential.nquads)
    except DskgError as exc:
        return ProofOutcome(False, "malformed", exc.message)


def _presentation_proof(submission: Submission, trust: TrustStore, now: datetime
                        ) -> Check | None:
    """The presentation's own proof, when it carries one (holder = ``holder``)."""
    presentation = submission.presentation or {}
    label = submission.presentation_label or "presentation"
    if submission.presentation_jwt is None and "proof" not in presentation:
        return None
    holder = presentation.get("holder")
    holder = id_of(holder) if isinstance(holder, dict) else holder
    if not isinstance(holder, str):
        return Check("proof", False, label, "a signed presentation must name its holder")
    try:
        if submission.presentation_jwt is not None:
            outcome = verify_jwt(submission.presentation_jwt, holder, trust, now)
        else:
            outcome = verify_embedded(presentation, holder, trust, now)
    except DskgError as exc:
        outcome = ProofOutcome(False, "malformed", exc.message)
    return Check("proof", outcome.ok, label, f"presentation: {outcome.message}")


def _not_run(step: Step, label: str, why: str) -> Check:
    return Check(step, False, label, f"not checked: {why}")


def _first_steps(result: Verification, index: int, trust: TrustStore, now: datetime,
                 check_proof: bool) -> bool:
    """Parse, envelope and proof of one credential; False when it could not be parsed."""
    credential = result.credentials[index]
    label = credential.label
    expand(credential)
    if credential.problem is not None:
        result.checks.append(Check("parse", False, label, credential.problem))
        result.checks += [_not_run(step, label, "the parse step failed") for step in STEPS[1:]]
        return False
    node = credential.node()
    if isinstance(node, URIRef):
        label = credential.label = str(node)
    form = "vc+jwt" if credential.jwt is not None else "JSON-LD"
    result.checks.append(Check("parse", True, label, f"{form} expanded with shipped contexts: "
                                                     f"{len(credential.dataset or ())} quads"))
    envelope = result.envelopes[index] = check_envelope(credential, now)
    result.checks.append(Check("envelope", envelope.ok, label, envelope.message))
    if not check_proof:
        result.checks.append(Check("proof", True, label,
                                   "skipped (--no-proof): the proof was not checked"))
    elif envelope.issuer is None:
        result.checks.append(_not_run("proof", label, "no issuer to take the key from"))
    else:
        outcome = _proof_check(credential, envelope, trust, now)
        result.checks.append(Check("proof", outcome.ok, label, outcome.message))
    result.subjects[index] = subject_graph(credential.default_graph)
    return True


def _shapes_check(result: Verification, index: int, problems: list[str]) -> Check:
    label = result.credentials[index].label
    size = len(result.subjects[index])
    if problems:
        return Check("shapes", False, label, "; ".join(problems))
    if not size:
        return Check("shapes", False, label, "the credential subject states nothing")
    return Check("shapes", True, label, f"conforms to the Gaia-X shapes ({size} subject "
                                        "triples)")


def verify_batch(submissions: Sequence[Submission], trust: TrustStore, *,
                 check_proof: bool = True, now: datetime | None = None,
                 store: Store | None = None) -> list[Verification]:
    """Verify several submissions; their subjects are shape-checked together (references
    between them resolve), each keeping its own checks."""
    now = now or datetime.now(UTC)
    results = [Verification(submission) for submission in submissions]
    parsed: list[tuple[Verification, int]] = []
    for result in results:
        if not result.credentials:
            result.checks.append(Check("parse", False, result.submission.presentation_label
                                       or "input", "the presentation holds no credential"))
        parsed += [(result, i) for i in range(len(result.credentials))
                   if _first_steps(result, i, trust, now, check_proof)]
        if check_proof:
            presentation = _presentation_proof(result.submission, trust, now)
            if presentation is not None:
                result.checks.append(presentation)
    problems = check_subjects([r.subjects[i] for r, i in parsed], store) if parsed else []
    for (result, index), found in zip(parsed, problems, strict=True):
        result.checks.append(_shapes_check(result, index, found))
    order = {step: i for i, step in enumerate(STEPS)}
    for result in results:
        labels = {c.label: i for i, c in enumerate(result.credentials)}
        result.checks.sort(key=lambda c: (labels.get(c.credential, -1), order[c.step]))
    return results


def verify_document(data: bytes | str, trust: TrustStore, *, check_proof: bool = True,
                    now: datetime | None = None, store: Store | None = None) -> Verification:
    """Verify one input (credential or presentation). Raises ParseError when unreadable."""
    return verify_batch([read_submission(data)], trust, check_proof=check_proof, now=now,
                        store=store)[0]
