"""/docs works offline under the API's CSP: Swagger UI from this server, no inline script.

FastAPI's default /docs loads Swagger UI from a CDN and starts it inline; the CSP
(`script-src 'self'`) blocked both and the page was blank.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import ConsoleMessage, expect, sync_playwright

from api.app import create_app
from api.security import SECURITY_HEADERS
from omega.settings import Settings
from tests.api.conftest import CHROMIUM, FLAGS


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The app without its lifespan (no Kafka): /docs needs only the OpenAPI spec."""
    yield TestClient(create_app(Settings(data_dir=tmp_path, rate_limit_ip_per_s=0)))


def test_docs_loads_only_this_servers_files_and_no_inline_script(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["Content-Security-Policy"] == SECURITY_HEADERS[
        "Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    for url in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert not re.match(r"(https?:)?//", url), f"{url} is not on this server"
        served = client.get(f"/{url}")  # relative to /docs
        assert served.status_code == 200 and served.content, url
    assert client.get("/redoc").status_code == 404  # ReDoc's inline styles break the CSP


@pytest.mark.integration
def test_docs_shows_the_operations_in_a_browser_without_csp_errors(base_url: str) -> None:
    assert shutil.which(CHROMIUM), "Debian's chromium is missing: `make system-deps` installs it"
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            errors.append(message.text)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.on("console", on_console)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base_url}/docs")
            paths = page.locator(".opblock-summary-path")
            for path in ("/v1/sync", "/api/search", "/api/titles/{title_id}"):
                expect(paths.filter(has_text=re.compile(f"^{re.escape(path)}$"))).to_be_visible(
                    timeout=15_000)
            expect(page.locator(".info .title")).to_contain_text("Omega API")
            paths.filter(has_text=re.compile("^/v1/sync$")).click()  # opens the operation
            expect(page.locator(".opblock-description-wrapper").first).to_contain_text(
                "Bearer <device token>")
        finally:
            browser.close()
    assert errors == []
