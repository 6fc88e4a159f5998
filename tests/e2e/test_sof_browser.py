"""The summary of findings in headless Chromium: the dashboard's page renders, and the HTML
export prints on A4 without cut columns (laid out at the printable width of an A4 page, every
cell holds its text and no table is wider than the page; then printed to PDF)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, dashboard, tracker

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "test-artifacts" / "screenshots"
FOOTER = ("Evidence Tracker tracks published evidence for the claims of an article. "
          "It gives no medical advice.")
#: A4 is 210 mm wide; less the 12 mm margins of the export's @page rule, at 96 CSS px per inch.
A4_PRINTABLE_PX = round((210 - 2 * 12) / 25.4 * 96)
#: Every table within the page's width, and every cell holding its content (a cell whose
#: content is wider than the cell is a cut column once printed).
MEASURE = """() => {
  const width = window.innerWidth;
  const problems = [];
  for (const table of document.querySelectorAll('table')) {
    const box = table.getBoundingClientRect();
    if (box.right > width + 0.5 || table.scrollWidth > table.clientWidth + 1)
      problems.push(`table ${box.width}px wide on a ${width}px page`);
    for (const cell of table.querySelectorAll('th, td'))
      if (cell.scrollWidth > cell.clientWidth + 1)
        problems.push(`cell cut: ${cell.textContent.slice(0, 40)}`);
  }
  if (document.documentElement.scrollWidth > width + 1)
    problems.push(`page scrolls sideways: ${document.documentElement.scrollWidth}px`);
  return {problems, tables: document.querySelectorAll('table').length,
          rows: document.querySelectorAll('table tbody tr').length};
}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    pytest.importorskip("playwright.sync_api", reason="the browser test needs Playwright "
                        "(pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: the end-to-end test drives Debian's Chromium at {CHROMIUM} "
                    "(apt-get install chromium)")
    folder = tmp_path_factory.mktemp("sof")
    database_url = f"sqlite:///{folder / 'tracker.db'}"
    tracker(database_url, "bootstrap")
    export = folder / "sof.html"
    tracker(database_url, "sof", "--format", "html", "--output", str(export))
    with dashboard(database_url) as url:
        yield url, export


def _measure(export: Path, html: str | None = None) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": A4_PRINTABLE_PX, "height": 1100})
            page.emulate_media(media="print")
            if html is None:
                page.goto(export.as_uri())
            else:
                page.set_content(html)
            measured: dict[str, object] = page.evaluate(MEASURE)
            pdf = page.pdf(format="A4", print_background=True)
            measured["pdf"] = pdf[:5]
            measured["pdf_bytes"] = len(pdf)
            return measured
        finally:
            browser.close()


def test_the_html_export_prints_on_a4_without_cut_columns(served: tuple[str, Path]) -> None:
    _, export = served
    measured = _measure(export)
    assert measured["tables"] == 1 and int(str(measured["rows"])) > 5
    assert measured["problems"] == []
    assert measured["pdf"] == b"%PDF-" and int(str(measured["pdf_bytes"])) > 10_000


def test_the_measurement_catches_a_table_that_would_be_cut(served: tuple[str, Path]) -> None:
    """The same check on a table without the export's layout rules does find the overflow."""
    _, export = served
    cells = "".join(f"<td>{'x' * 60}</td>" for _ in range(10))
    measured = _measure(export, f"<table><tr>{cells}</tr></table>")
    assert measured["problems"] != []


def test_the_summary_of_findings_page_renders(served: tuple[str, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, _ = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.set_default_timeout(30_000)
            expect.set_options(timeout=30_000)
            page.goto(url)
            page.get_by_test_id("stSidebarNav").get_by_role(
                "link", name="Summary of findings", exact=True).click()
            expect(page.get_by_role("heading", name="Summary of findings", exact=True)
                   ).to_be_visible()
            expect(page.get_by_text(FOOTER, exact=True)).to_be_visible()
            expect(page.get_by_test_id("stDataFrame")).to_be_visible()
            for label in ("CSV", "Markdown", "HTML (prints on A4)"):
                expect(page.get_by_role("button", name=label, exact=True)).to_be_visible()
            expect(page.get_by_test_id("stException")).to_have_count(0)
            page.screenshot(path=SHOTS / "summary-of-findings.png")
            page.get_by_test_id("stSidebarNav").get_by_role(
                "link", name="Wording & PICO", exact=True).click()
            expect(page.get_by_role("heading", name="Wording & PICO", exact=True)
                   ).to_be_visible()
            expect(page.get_by_text("Over-statements proposed as flags")).to_be_visible()
            page.screenshot(path=SHOTS / "wording-and-pico.png")
        finally:
            browser.close()
