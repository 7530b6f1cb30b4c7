"""The harvest report: what each peer's harvest added, updated, removed and rejected."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Rejected:
    iri: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"iri": self.iri, "reason": self.reason}


@dataclass
class Trimmed:
    iri: str
    triples: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"iri": self.iri, "triples": self.triples}


@dataclass
class PeerReport:
    """One peer's harvest. ``error`` set means nothing of this peer was changed."""

    name: str
    source: str | None = None
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    #: descriptions that landed without some of their triples (what the peer said about
    #: others' resources, out of its bounds: DESIGN 4a), with those triples
    trimmed: list[Trimmed] = field(default_factory=list)
    error: str | None = None
    pages: int = 0
    seconds: float = 0.0
    not_modified: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "added": self.added,
                "updated": self.updated, "removed": self.removed, "unchanged": self.unchanged,
                "rejected": [r.to_json() for r in self.rejected],
                "trimmed": [t.to_json() for t in self.trimmed], "error": self.error,
                "pages": self.pages, "seconds": round(self.seconds, 3),
                "not_modified": self.not_modified}

    def to_text(self) -> str:
        if self.error is not None:
            return f"{self.name}: ERROR {self.error} (nothing changed)"
        head = (f"{self.name}: {self.added} added, {self.updated} updated, {self.removed} "
                f"removed, {self.unchanged} unchanged, {len(self.rejected)} rejected "
                f"({self.pages} page(s), {self.seconds:.2f} s)")
        if self.not_modified:
            head += " — catalog not modified since the last harvest"
        lines = [head]
        lines += [f"  rejected {r.iri}: {r.reason}" for r in self.rejected]
        for t in self.trimmed:
            lines.append(f"  trimmed {t.iri}: {len(t.triples)} triple(s) about what others own")
            lines += [f"    {triple}" for triple in t.triples[:10]]
        return "\n".join(lines)


@dataclass
class HarvestReport:
    peers: list[PeerReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every peer was reached (rejections do not count as failure)."""
        return all(p.error is None for p in self.peers)

    def to_json(self) -> dict[str, Any]:
        return {"peers": [p.to_json() for p in self.peers]}

    def to_text(self) -> str:
        if not self.peers:
            return "no peers to harvest (configure [[peers]] in DSKG_CONFIG)"
        return "\n".join(p.to_text() for p in self.peers)
