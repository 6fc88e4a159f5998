"""The real dashboard in headless Chromium: a reviewer signs in, links a meta-analysis to a
claim nobody has reviewed, and the overview's "supported" figure goes up by one. A screenshot of
every page is saved in test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.browser import SHOTS, new_page, open_page, require_chromium, settled
from tests.e2e.browser import browser as browser  # noqa: F401 (a fixture, used below)
from tests.e2e.server import dashboard, tracker
from tracker import db, queries

pytestmark = pytest.mark.e2e

REVIEWER, PASSWORD = "alice", "alice-password-1"
CLAIM_START = "Ketamine therapy is used to manage a variety of pain syndromes"
CITATION = "orhurhu2019"  # a verified meta-analysis: enough for an efficacy claim
PAGES = ["Overview", "Article", "Claims", "Open questions", "Evidence", "Editorial queue",
         "Export"]


@dataclass(frozen=True)
class Site:
    url: str
    claim_id: int


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A bootstrapped SQLite database with a reviewer, served by `streamlit run`."""
    require_chromium()
    database_url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'tracker.db'}"
    tracker(database_url, "bootstrap")
    tracker(database_url, "users", "add", "admin", "--role", "admin", "--password", PASSWORD)
    tracker(database_url, "users", "add", REVIEWER, "--role", "reviewer",
            "--password", PASSWORD, "--as", "admin")
    engine = db.make_engine(database_url)
    with db.reading(engine) as session:
        [claim] = [c for c in queries.claims(session, queries.ClaimFilter(include_parts=False))
                   if c.text.startswith(CLAIM_START)]
    engine.dispose()
    assert claim.status == "not-reviewed"
    with dashboard(database_url) as url:
        yield Site(url, claim.id)


def test_a_reviewer_links_evidence_and_coverage_moves(site: Site, browser: Any) -> None:
    from playwright.sync_api import Dialog, Locator, Page, expect

    def supported_figure(page: Page) -> Locator:
        label = page.get_by_test_id("stMetricLabel").get_by_text("Supported", exact=True)
        return page.get_by_test_id("stMetric").filter(has=label).get_by_test_id("stMetricValue")

    def supported(page: Page) -> int:
        expect(supported_figure(page)).to_have_text(re.compile(r"^\d+$"))
        return int(supported_figure(page).inner_text())

    def shot(page: Page, title: str) -> None:
        page.screenshot(path=SHOTS / f"{title.lower().replace(' ', '-')}.png")

    page = new_page(browser, site.url, {"width": 1400, "height": 1600})
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    try:
        page.goto(site.url)
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()
        before = supported(page)

        page.get_by_role("textbox", name="Username").fill(REVIEWER)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_test_id("stSidebarUserContent")
               .get_by_text(f"Signed in as {REVIEWER}")).to_be_visible()

        open_page(page, "Evidence", footer=True)
        search = page.get_by_role("textbox", name="Search key, title, authors, DOI or PMID")
        search.fill(CITATION)
        search.press("Enter")
        expect(page.get_by_text("1 citation matches")).to_be_visible()
        settled(page)
        claim = page.get_by_role("combobox", name="Claim", exact=True)
        claim.click()
        claim.fill(CLAIM_START)
        page.get_by_role("option", name=re.compile(rf"^#{site.claim_id} · ")).click()
        page.get_by_role("combobox", name="Citation (from the search results above)").click()
        page.get_by_role("option", name=re.compile(rf"^{CITATION} · ")).click()
        page.get_by_role("button", name="Link", exact=True).click()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
            f"Linked to claim #{site.claim_id}. Now supported")
        shot(page, "evidence")

        open_page(page, "Overview", footer=True)
        expect(supported_figure(page)).to_have_text(str(before + 1))
        shot(page, "overview")
        for title in PAGES[1:]:
            open_page(page, title, footer=True)
            shot(page, title)
    finally:
        page.close()
    assert dialogs == [], "no page may open a dialog (a sign of injected script)"
    assert {p.name for p in SHOTS.glob("*.png")} >= {
        f"{t.lower().replace(' ', '-')}.png" for t in PAGES}
