"""The Jinja templates of the web pages, and the HTML representation of a resource.

``resource_html`` is what the REST routes answer for ``text/html`` (``api.routes.rest``
calls it directly); ``page`` renders any other page.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from kg import __version__
from kg.services import KINDS, ServiceContext
from kg.services.resources import ResourceView
from kg.web.resource import resource_page

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
NAV = (("/organisations", "Organisations"), ("/dataspaces", "Data spaces"),
       ("/datasets", "Datasets"), ("/policies", "Policies"), ("/ui/sparql", "SPARQL"),
       ("/ui/validate", "Validate"), ("/ui/may-i", "May I?"), ("/ui/gaiax", "Gaia-X"),
       ("/ui/submissions", "Admission"))


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


templates = Environment(loader=PackageLoader("api", "templates"),
                        autoescape=select_autoescape(["html"]), trim_blocks=True,
                        lstrip_blocks=True)
templates.globals.update(nav=NAV, version=__version__, static_version=_static_version(),
                         kinds=KINDS)
templates.filters["number"] = lambda n: f"{n:,}"
templates.filters["svg"] = Markup  # diagrams are built escaped by kg.web.diagram


def page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = templates.get_template(template).render(**values)
    return HTMLResponse(html, status_code=status, headers={"Vary": "Accept"})


def resource_html(ctx: ServiceContext, view: ResourceView) -> str:
    """The ``text/html`` representation of a resource (its page)."""
    model = resource_page(ctx, view)
    active = f"/{view.kind.name}" if view.kind else ""
    return templates.get_template("resource.html").render(page=model, active=active)


def error_html(status: int, title: str, detail: str) -> str:
    return templates.get_template("error.html").render(status=status, title=title,
                                                       detail=detail, active="")
