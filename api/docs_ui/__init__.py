"""/docs: Swagger UI served from this package (swagger-ui-dist 5.35.0, Apache-2.0, see static/VENDORED.md), so
the API reference works offline and under the CSP ``script-src 'self'`` (no inline script)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")
ASSETS = "/docs-assets"
router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs() -> HTMLResponse:
    """The Swagger UI page for /openapi.json."""
    return HTMLResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Yamaguchi EMS - API</title>'
        f'<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">'
        f'<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png"></head>'
        '<body><div id="swagger-ui" data-openapi-url="/openapi.json"></div>'
        f'<script src="{ASSETS}/swagger-ui-bundle.js"></script>'
        f'<script src="{ASSETS}/docs-init.js"></script></body></html>'
    )


def mount(app: FastAPI) -> None:
    """Add /docs and its assets to `app` (create the app with docs_url=None, redoc_url=None)."""
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="docs-assets")
