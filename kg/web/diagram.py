"""The governance picture: a layered SVG diagram drawn on the server, tiers as rows.

Rows are the governance tiers, broadest at the top (EU and international, national, regional,
municipal, data space or project), and a last row for nodes without a tier. Within a row the
nodes are ordered by the mean position of their neighbours (two sweeps), which keeps most edges
short and uncrossed for chains of this size. Every node is a link to its page (keyboard
focusable), with its full name as a tooltip; edges are styled by property through CSS classes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from typing import Any

from kg.vocabulary import TIERS

NODE_WIDTH = 200
H_GAP = 26
ROW_GAP = 58
GUTTER = 150
PAD = 14
LINE = 15
CHARS_PER_LINE = 24
MAX_LINES = 3
MAX_PER_LINE = 5
OTHER_ROW = "other"

ROLE_NAMES = {
    "dataspace": "Data space", "framework": "Legal framework", "rulebook": "Rulebook",
    "authority": "Governing authority", "organisation": "Organisation", "policy": "Policy",
    "dataset": "Dataset", "membership": "Membership", "resource": "Resource",
}
ROLE_ORDER = {name: i for i, name in enumerate(
    ("framework", "authority", "organisation", "dataspace", "rulebook", "policy", "dataset"))}
TIER_ROWS = [(str(t.iri), t.notation, t.label) for t in TIERS]


@dataclass
class Node:
    id: str
    label: str
    role: str
    tier: str | None
    href: str | None = None


@dataclass
class Edge:
    source: str
    target: str
    kind: str  # subjectTo | governedBy | rulebook | member | ...
    label: str = ""


@dataclass
class _Placed:
    node: Node
    x: float = 0.0
    y: float = 0.0
    height: float = 0.0
    lines: list[str] = field(default_factory=list)


def wrap(text: str, width: int = CHARS_PER_LINE, max_lines: int = MAX_LINES) -> list[str]:
    """Greedy word wrap; the last line ends with an ellipsis when text is cut."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:  # a single long word (an IRI) is cut in pieces
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:width - 1].rstrip() + "…"
    return lines or [""]


def _row_key(tier: str | None) -> str:
    for iri, notation, _label in TIER_ROWS:
        if tier == iri:
            return notation
    return OTHER_ROW


def _order_rows(rows: dict[str, list[Node]], edges: list[Edge]) -> None:
    """Barycentre ordering: each row sorted by its neighbours' mean index, down then up."""
    neighbours: dict[str, set[str]] = {}
    for edge in edges:
        neighbours.setdefault(edge.source, set()).add(edge.target)
        neighbours.setdefault(edge.target, set()).add(edge.source)
    keys = list(rows)
    for row in rows.values():
        row.sort(key=lambda n: (ROLE_ORDER.get(n.role, 99), n.label.lower()))
    for sweep in (keys[1:], list(reversed(keys[:-1])), keys[1:]):
        position = {n.id: i for row in rows.values() for i, n in enumerate(row)}
        for key in sweep:
            row = rows[key]
            own = {n.id for n in row}
            centre: dict[str, float] = {}
            for node in row:
                others = [position[m] for m in neighbours.get(node.id, ())
                          if m in position and m not in own]
                centre[node.id] = (sum(others) / len(others) if others
                                   else float(position[node.id]))
            # Roles stay together (a long row wraps role by role); neighbours order within.
            row.sort(key=lambda n, c=centre: (ROLE_ORDER.get(n.role, 99), c[n.id]))  # type: ignore[misc]


_ROLE_GROUP = {"framework": 0, "authority": 1, "organisation": 1, "dataspace": 2}


def _lanes(members: list[Node]) -> list[list[Node]]:
    """A row's lines: one when it fits, else one or more per kind of node (frameworks,
    bodies, data spaces, the rest), so a long row stays readable."""
    if len(members) <= MAX_PER_LINE:
        return [members]
    groups: dict[int, list[Node]] = {}
    for node in members:
        groups.setdefault(_ROLE_GROUP.get(node.role, 3), []).append(node)
    return [group[i:i + MAX_PER_LINE] for _key, group in sorted(groups.items())
            for i in range(0, len(group), MAX_PER_LINE)]


def _layout(nodes: list[Node], edges: list[Edge]) -> tuple[list[tuple[str, str, float, float]],
                                                             dict[str, _Placed], float, float]:
    rows: dict[str, list[Node]] = {}
    order = [notation for _iri, notation, _label in TIER_ROWS] + [OTHER_ROW]
    for node in nodes:
        rows.setdefault(_row_key(node.tier), []).append(node)
    rows = {key: rows[key] for key in order if key in rows}
    _order_rows(rows, edges)
    widest = min(MAX_PER_LINE, max((len(r) for r in rows.values()), default=1))
    width = GUTTER + PAD + widest * NODE_WIDTH + (widest - 1) * H_GAP + PAD
    names = {notation: label for _iri, notation, label in TIER_ROWS} | {OTHER_ROW: "No tier"}
    bands: list[tuple[str, str, float, float]] = []
    placed: dict[str, _Placed] = {}
    y = PAD
    for key, members in rows.items():
        top = y
        for line_nodes in _lanes(members):
            line = [_Placed(n, lines=wrap(n.label)) for n in line_nodes]
            height = 30 + LINE * max(len(p.lines) for p in line)
            span = len(line) * NODE_WIDTH + (len(line) - 1) * H_GAP
            x = GUTTER + PAD + (width - GUTTER - 2 * PAD - span) / 2
            for p in line:
                p.x, p.y, p.height = x, y + 12, height
                placed[p.node.id] = p
                x += NODE_WIDTH + H_GAP
            y += height + 24
        bands.append((key, names[key], top - 4, y - top - 6))
        y += ROW_GAP - 24
    height = y - ROW_GAP + 24 + PAD
    return bands, placed, width, height


def _edge_path(a: _Placed, b: _Placed) -> str:
    """A cubic curve from ``a`` to ``b``: vertical between rows, an arc below within one."""
    ax, bx = a.x + NODE_WIDTH / 2, b.x + NODE_WIDTH / 2
    if abs(a.y - b.y) < 1:
        ay, by = a.y + a.height, b.y + b.height
        dip = max(ay, by) + 22
        return f"M{ax:.1f},{ay:.1f} C{ax:.1f},{dip:.1f} {bx:.1f},{dip:.1f} {bx:.1f},{by:.1f}"
    if a.y > b.y:  # upwards, to a broader tier
        ay, by = a.y, b.y + b.height
    else:
        ay, by = a.y + a.height, b.y
    mid = (ay + by) / 2
    return f"M{ax:.1f},{ay:.1f} C{ax:.1f},{mid:.1f} {bx:.1f},{mid:.1f} {bx:.1f},{by:.1f}"


def render_svg(nodes: Iterable[Node], edges: Iterable[Edge], *, current: str | None = None,
               title: str = "Governance chain") -> str:
    """The diagram as an inline SVG element (scales to its container's width)."""
    node_list = list({n.id: n for n in nodes}.values())
    ids = {n.id for n in node_list}
    edge_list = [e for e in dict.fromkeys((e.source, e.target, e.kind, e.label) for e in edges)
                 if e[0] in ids and e[1] in ids and e[0] != e[1]]
    edge_objs = [Edge(*e) for e in edge_list]
    bands, placed, width, height = _layout(node_list, edge_objs)
    out = [f'<svg class="governance" xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" role="group" '
           f'aria-label="{escape(title)}">',
           "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
           "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
           "<path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/></marker></defs>"]
    for key, name, top, band_height in bands:
        out.append(f'<g class="tier-row" data-tier="{key}">'
                   f'<rect class="band band-{key}" x="0" y="{top:.1f}" width="{width:.0f}" '
                   f'height="{band_height:.1f}" rx="10"/>')
        for i, part in enumerate(wrap(name, 18, 2)):
            out.append(f'<text class="tier-name" x="14" y="{top + 24 + i * 16:.1f}">'
                       f"{escape(part)}</text>")
        out.append("</g>")
    out.append('<g class="edges">')
    for edge in edge_objs:
        a, b = placed[edge.source], placed[edge.target]
        label = escape(edge.label or edge.kind)
        out.append(f'<path class="edge e-{escape(edge.kind)}" d="{_edge_path(a, b)}" '
                   f'marker-end="url(#arrow)"><title>{escape(a.node.label)} — {label} → '
                   f"{escape(b.node.label)}</title></path>")
    out.append("</g>")
    for p in placed.values():
        node = p.node
        classes = f"node role-{escape(node.role)}" + (" current" if node.id == current else "")
        role = ROLE_NAMES.get(node.role, node.role.capitalize())
        body = [f'<rect x="{p.x:.1f}" y="{p.y:.1f}" width="{NODE_WIDTH}" '
                f'height="{p.height:.1f}" rx="8"/>']
        for i, line in enumerate(p.lines):
            body.append(f'<text class="label" x="{p.x + 12:.1f}" y="{p.y + 35 + i * LINE:.1f}">'
                        f"{escape(line)}</text>")
        # The role is drawn above the label but comes after it in the document, so the text
        # read in order ("label role") is what the link's accessible name says (WCAG 2.5.3).
        body.append(f'<text class="role" x="{p.x + 12:.1f}" y="{p.y + 17:.1f}">'
                    f"{escape(role.upper())}</text>")
        tooltip = f"<title>{escape(node.label)} ({escape(role)})</title>"
        tier = _row_key(node.tier)
        if node.href:
            out.append(f'<a class="{classes}" href="{escape(node.href)}" data-tier="{tier}" '
                       f'aria-label="{escape(node.label)}, {escape(role)}">{tooltip}'
                       + " ".join(body) + "</a>")  # spaces: the texts read as words
        else:
            out.append(f'<g class="{classes}" data-tier="{tier}">{tooltip}' + "".join(body)
                       + "</g>")
    out.append("</svg>")
    return "".join(out)


def from_chain(chain: dict[str, Any]) -> tuple[list[Node], list[Edge]]:
    """Nodes and edges of a ``governance_chain`` answer (the REST service's JSON)."""
    nodes = [Node(n["@id"], n["label"], n["role"], n.get("tier"), n.get("href"))
             for n in chain["nodes"]]
    edges = [Edge(e["source"], e["target"], e["label"], e["label"]) for e in chain["edges"]]
    return nodes, edges
