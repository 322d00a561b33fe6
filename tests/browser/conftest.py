"""Browser journeys: the app served on a free local port, driven by Playwright in Debian's chromium
(never a downloaded browser). Skipped with the reason when chromium is not installed."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from shop import create_app

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Screenshots go to a temporary folder unless SCREENSHOTS_DIR names one: tests never write into the
# tracked tree; `make screenshots` sets it to docs/screenshots to refresh the documented ones.
SCREENSHOTS = Path(os.environ["SCREENSHOTS_DIR"]) if os.environ.get("SCREENSHOTS_DIR") else None
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture
def database() -> str:
    """Browser journeys run on SQLite (the services they drive are tested on both databases)."""
    return "sqlite"


class LiveServer:
    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_app(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "TESTING": False,
            "WTF_CSRF_ENABLED": True,
            "ASSETS_FROM_CDN": False,
        }
    )
    yield app
    app.extensions["shop.engine"].dispose()


@pytest.fixture
def live_server(live_app) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


_SESSION_SHOTS: list[Path] = []


def screenshot_dir() -> Path:
    """Where this run's screenshots go: ``SCREENSHOTS_DIR``, or a temporary folder of the run."""
    if SCREENSHOTS is not None:
        return SCREENSHOTS
    if not _SESSION_SHOTS:
        import tempfile

        _SESSION_SHOTS.append(Path(tempfile.mkdtemp(prefix="yunquan-screenshots-")))
    return _SESSION_SHOTS[0]


def screenshot(page, name: str, *, full_page: bool = True) -> Path:  # type: ignore[no-untyped-def]
    """Keep a screenshot (``make screenshots`` refreshes docs/screenshots/ with them)."""
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state()


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.click("header form button[type=submit]")
    page.wait_for_load_state()
