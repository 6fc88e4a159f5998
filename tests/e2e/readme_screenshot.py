"""Regenerate docs/screenshot.png (shown in the README): the Overview of a database set up with
`tracker bootstrap`, in headless Chromium.

    .venv/bin/python -m tests.e2e.readme_screenshot
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.conftest import ROOT
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, dashboard, tracker

TARGET = ROOT / "docs" / "screenshot.png"
CHARTS = 3  # coverage by section, by category, certainty (over time: from a second day)


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
            page = browser.new_page(viewport={"width": 1440, "height": 1268})
            expect.set_options(timeout=30_000)
            page.goto(url)
            expect(page.get_by_text("It gives no medical advice.")).to_be_visible()
            expect(page.locator("[data-testid='stVegaLiteChart'] svg.marks")).to_have_count(CHARTS)
            page.screenshot(path=target)
            browser.close()
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
