"""What every browser test shares: the check that Playwright and Debian's Chromium are there
(else a skip with the reason), one Chromium per test module (the `browser` fixture: import it
into the module), pages that note each request leaving the dashboard's origin, and waiting
for a Streamlit rerun to end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS

SHOTS = ROOT / "test-artifacts" / "screenshots"
DOCS = ROOT / "docs"
#: The footer every page ends with (dashboard/ui.py FOOTER); the Export page may quote the
#: report's own disclaimer too, so the footer is matched whole.
FOOTER = ("Evidence Tracker tracks published evidence for the claims of an article. "
          "It gives no medical advice.")
TIMEOUT_MS = 30_000
DESKTOP = {"width": 1440, "height": 1100}
PHONE = {"width": 390, "height": 844}


def require_chromium() -> None:
    """Skip (with the reason) without Playwright or without Chromium at `CHROMIUM`."""
    pytest.importorskip("playwright.sync_api", reason="the browser test needs Playwright "
                        "(pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: the end-to-end test drives Debian's Chromium at {CHROMIUM} "
                    "(apt-get install chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for the module's tests (Playwright's own download does not work
    here: it drives Debian's), with the screenshots folder made."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_page(browser: Any, origin: str, viewport: dict[str, int],
             outside: list[str] | None = None) -> Any:
    """A page of its own context (no shared cookies); each request that leaves `origin`
    (other than data: and blob: URLs) is appended to `outside`."""
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(TIMEOUT_MS)
    if outside is not None:
        def watch(request: Any) -> None:
            if not request.url.startswith((origin + "/", "data:", "blob:")):
                outside.append(request.url)

        page.on("request", watch)
    return page


def settled(page: Any) -> None:
    """Wait for the rerun to end: until then Streamlit keeps the previous run's elements on
    screen, marked stale, and a locator can find the old copy of a widget as well as the new
    one."""
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stElementContainer"][data-stale="true"]')
           ).to_have_count(0)


def open_page(page: Any, title: str, *, footer: bool = False) -> None:
    """Pick a page in the sidebar and wait until it is drawn (to its footer, if asked)."""
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()
    if footer:
        expect(page.get_by_text(FOOTER, exact=True)).to_be_visible()
    settled(page)


def sign_in(page: Any, url: str, name: str, password: str) -> None:
    """Open the dashboard and sign in from the sidebar."""
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    page.get_by_role("textbox", name="Username").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_test_id("stSidebarUserContent")
           .get_by_text(f"Signed in as {name}")).to_be_visible()
    settled(page)
