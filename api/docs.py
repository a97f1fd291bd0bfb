"""/docs: Swagger UI served from the installed fastapi-offline package, not a CDN.

FastAPI's own /docs loads Swagger UI from a CDN and starts it with an inline script, both
of which the API's CSP (`script-src 'self'`, api/security.py) blocks, leaving a blank
page. Here the page (api/static/docs.html) loads the package's files from this server and
starts Swagger UI from a static script (api/static/docs.js), so the CSP holds unchanged
and the page works offline. ReDoc is off: it injects inline styles the CSP forbids.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"  # swagger-ui-bundle.js, .css


def add_docs(app: FastAPI) -> None:
    """Serve /docs and Swagger UI's files (/docs/assets/) on `app`."""
    app.mount("/docs/assets", StaticFiles(directory=SWAGGER_UI), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> FileResponse:
        """The OpenAPI operations, readable and callable in the browser."""
        return FileResponse(STATIC / "docs.html")
