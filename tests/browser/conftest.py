"""Fixtures of the browser tests: the real server on a free port, Debian's Chromium
driven by Python playwright, and a page that records console errors and requests.

Without /usr/bin/chromium every browser test is skipped with a message naming what
to install; the rest of the suite still runs.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from tests.servers import running_server

CHROMIUM = Path("/usr/bin/chromium")
SKIP_REASON = "install Debian's chromium (apt-get install chromium) to run browser tests"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SMALL: ViewportSize = {"width": 1280, "height": 720}
LARGE: ViewportSize = {"width": 1920, "height": 1080}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under uvicorn on a free port, with its own database; its URL."""
    if not CHROMIUM.exists():
        pytest.skip(SKIP_REASON)
    tmp = tmp_path_factory.mktemp("browser-server")
    with running_server(tmp, {"BACKPROP_EXPLORER_DB": str(tmp / "sessions.sqlite3")}) as srv:
        yield srv.url


@pytest.fixture(scope="session")
def browser(server: str) -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@dataclass
class UI:
    """A page of the explorer with what it logged and requested."""

    page: Page
    base: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    allowed_errors: list[re.Pattern[str]] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def allow_console_error(self, pattern: str) -> None:
        self.allowed_errors.append(re.compile(pattern))

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.console_errors if not any(p.search(e) for p in self.allowed_errors)]

    def off_host(self) -> list[str]:
        host = urlparse(self.base).hostname
        return [u for u in self.requests if urlparse(u).hostname != host]

    def state(self, expr: str) -> Any:
        """A value of the page's store, e.g. state("s.session.step")."""
        return self.page.evaluate(
            f"() => {{ const s = window.backprop.store.state; return {expr}; }}"
        )


def api(base: str, method: str, path: str, body: object | None = None) -> Any:
    """A JSON call to the test server (the page's own calls go through the page)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        base + path, data=data, method=method, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=20) as res:
        return json.loads(res.read())


def wait_idle(ui: UI) -> None:
    """Until no request is queued and two animation frames have been drawn."""
    ui.page.wait_for_function("() => !window.backprop.store.state.busy")
    ui.page.evaluate(
        "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )


def wait_still(ui: UI) -> None:
    """Until the network view's animation (a forward or backward pass, a step's edges
    morphing) has ended: it publishes data-phase="idle" on #network."""
    expect(ui.page.locator("#network")).to_have_attribute("data-phase", "idle")


@pytest.fixture
def ui(browser: Browser, server: str) -> Iterator[UI]:
    """The explorer loaded at 1280×720 with the default session; checks it stayed clean."""
    yield from open_ui(browser, server)


def open_ui(browser: Browser, server: str, init_script: str | None = None) -> Iterator[UI]:
    """Load the page (running ``init_script`` first, if given), yield it, then check it
    logged no console errors and made no off-host request."""
    context = browser.new_context(viewport=SMALL)
    page = context.new_page()
    if init_script:
        page.add_init_script(init_script)
    ui = UI(page=page, base=server)
    page.on("console", lambda m: ui.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: ui.console_errors.append(f"page error: {e}"))
    page.on("request", lambda r: ui.requests.append(r.url))
    page.set_default_timeout(15000)
    try:
        page.goto(server + "/")
        page.wait_for_selector("body[data-ready=true]")
        yield ui
        assert ui.unexpected_errors() == [], "the page logged console errors"
        assert ui.off_host() == [], "the page made requests that leave the host"
    finally:
        context.close()
