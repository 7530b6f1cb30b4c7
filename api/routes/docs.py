"""/docs (Swagger UI) and /redoc (ReDoc) with their scripts served by the node itself.

The assets come from the ``fastapi-offline`` package; the pages hold no inline script (our
Content-Security-Policy allows scripts from this origin only), so each page's start-up is a
small file of ours in api/static. Styles may be inline here: both UIs set them from script.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter(include_in_schema=False)

ASSETS = Path(str(resources.files("fastapi_offline").joinpath("static")))
ASSET_TYPES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
               "redoc.standalone.js": "text/javascript", "favicon.png": "image/png"}
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; worker-src 'self' blob:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dataspace-kg API: {title}</title>
<link rel="icon" href="/docs-assets/favicon.png">
{head}
</head>
<body>
<div id="{target}"></div>
<script src="/docs-assets/{bundle}"></script>
<script src="/static/{start}"></script>
</body>
</html>
"""


def _page(title: str, target: str, bundle: str, start: str, head: str = "") -> HTMLResponse:
    html = PAGE.format(title=title, target=target, bundle=bundle, start=start, head=head)
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP})


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return _page("Swagger UI", "swagger-ui", "swagger-ui-bundle.js", "docs-swagger.js",
                 '<link rel="stylesheet" href="/docs-assets/swagger-ui.css">')


@router.get("/redoc")
def redoc() -> HTMLResponse:
    return _page("ReDoc", "redoc", "redoc.standalone.js", "docs-redoc.js")


@router.get("/docs-assets/{name}")
def asset(name: str) -> FileResponse:
    media = ASSET_TYPES.get(name)
    if media is None:
        raise HTTPException(404, "no such asset")
    return FileResponse(ASSETS / name, media_type=media,
                        headers={"Cache-Control": "public, max-age=86400"})
