"""docs/screenshot.png, shown at the top of the README: the Overview in headless Chromium.
`tests/e2e/test_workflows.py` rewrites it with the other README pictures; on its own, on a
database set up with `tracker bootstrap`:

    .venv/bin/python -m tests.e2e.readme_screenshot
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.e2e.browser import DOCS, TIMEOUT_MS
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, dashboard, tracker

TARGET = DOCS / "screenshot.png"
VIEWPORT = {"width": 1440, "height": 1268}
CHARTS = 3  # coverage by section, by category, certainty (over time: from a second day)


def capture(page: Any, url: str, target: Path = TARGET) -> None:
    """Open the overview on `page` (of `VIEWPORT` size), wait for its charts, save it."""
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_text("It gives no medical advice.")).to_be_visible()
    expect(page.locator("[data-testid='stVegaLiteChart'] svg.marks")).to_have_count(CHARTS)
    expect(page.locator('[data-testid="stElementContainer"][data-stale="true"]')
           ).to_have_count(0)
    page.mouse.move(VIEWPORT["width"] // 2, 5)  # no tooltip in the picture
    page.screenshot(path=target)


def main(target: Path = TARGET) -> int:
    from playwright.sync_api import expect, sync_playwright

    if not CHROMIUM.exists():
        print(f"needs Chromium at {CHROMIUM}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{Path(folder) / 'tracker.db'}"
        tracker(database_url, "bootstrap")
        with dashboard(database_url) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=CHROMIUM_ARGS)
            expect.set_options(timeout=TIMEOUT_MS)
            capture(browser.new_page(viewport=VIEWPORT), url, target)
            browser.close()
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
