"""HTTP content negotiation (Accept with q-values)."""

from __future__ import annotations

from collections.abc import Sequence

from kg.errors import NotAcceptable


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header, best first (order kept among equal q)."""
    if not header:
        return [("*/*", 1.0)]
    ranges = []
    for index, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for param in fields[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((media, q, index))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(m, q) for m, q, _ in ranges]


def _matches(media_range: str, offered: str) -> bool:
    if media_range in ("*/*", "*"):
        return True
    if media_range.endswith("/*"):
        return offered.startswith(media_range[:-1])
    return media_range == offered


def choose(header: str | None, offered: Sequence[str], default: str | None = None) -> str:
    """The best of ``offered`` for the Accept header; ``default`` when it says */*.

    Raises NotAcceptable listing what we can produce.
    """
    for media_range, q in parse_accept(header):
        if q <= 0:
            continue
        if media_range in ("*/*", "*") and default:
            return default
        for media in offered:
            if _matches(media_range, media):
                return media
    raise NotAcceptable(f"cannot produce {header!r}; available: {', '.join(offered)}",
                        available=list(offered))


def wants_html(header: str | None) -> bool:
    """True when a browser asks (text/html ranked above the RDF/JSON types)."""
    for media_range, q in parse_accept(header):
        if q <= 0:
            continue
        if media_range in ("text/html", "application/xhtml+xml"):
            return True
        if media_range not in ("*/*",):
            return False
    return False
