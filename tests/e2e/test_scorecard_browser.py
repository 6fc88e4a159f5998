"""The article scorecard (issue 23) in headless Chromium, on the shipped article: the page
shows both instruments, the overview names "groundbreaking" as red-flag language, and a reader
is told who may rate; an editor picks the costs criterion, sees the rules' proposal with its
reason, overrides it with a reason of their own, and the page then says the editor rated it.
No request leaves the dashboard's origin. Screenshot: test-artifacts/screenshots/scorecard.png."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e.browser import (
    DESKTOP,
    SHOTS,
    new_page,
    open_page,
    require_chromium,
    settled,
    sign_in,
)
from tests.e2e.browser import browser as browser  # noqa: F401 (a fixture, used below)
from tests.e2e.server import dashboard, tracker

pytestmark = pytest.mark.e2e

EDITOR, PASSWORD = "edna", "edna-password-1"
COSTS = "HNR 1 costs: Does the story adequately discuss the costs of the intervention?"
REASON = "the clinic's price list is linked from the article's last paragraph"


@dataclass
class Site:
    url: str
    outside: list[str] = field(default_factory=list)  # requests that left the origin


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_chromium()
    database_url = f"sqlite:///{tmp_path_factory.mktemp('scorecard') / 'tracker.db'}"
    tracker(database_url, "bootstrap")
    tracker(database_url, "users", "add", "admin", "--role", "admin", "--password",
            "admin-password-1")
    tracker(database_url, "users", "add", EDITOR, "--role", "editor", "--password",
            PASSWORD, "--as", "admin")
    with dashboard(database_url) as url:
        yield Site(url)


def test_a_reader_sees_the_proposals_and_the_red_flag_language(site: Site, browser: Any
                                                               ) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, site.url, DESKTOP, site.outside)
    page.goto(site.url)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    # The overview's summary of the scorecard names the red-flag words it found.
    expect(page.get_by_text("Red-flag language: groundbreaking, breakthrough")).to_be_visible()
    open_page(page, "Scorecard", footer=True)
    expect(page.get_by_text("HealthNewsReview.org's ten criteria")).to_be_visible()
    expect(page.get_by_text("DISCERN's sixteen questions (1 no – 5 yes)")).to_be_visible()
    expect(page.get_by_text("Red-flag language", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_have_count(4)  # HNR, DISCERN, words, desk
    expect(page.get_by_text("Sign in as an editor (or higher) to confirm or override the "
                            "scorecard's ratings.")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=SHOTS / "scorecard.png", full_page=True)
    page.close()
    assert site.outside == [], "every request stays on the dashboard's origin"


def test_an_editor_overrides_a_proposal_with_a_reason(site: Site, browser: Any) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, site.url, DESKTOP, site.outside)
    sign_in(page, site.url, EDITOR, PASSWORD)
    open_page(page, "Scorecard")
    criterion = page.get_by_role("combobox", name="Criterion", exact=True)
    criterion.click()
    criterion.fill("costs")
    page.get_by_role("option", name=COSTS).click()
    settled(page)
    expect(page.get_by_text("Rules propose not-satisfactory")).to_contain_text(
        "cost")  # the rule's reason is shown with its proposal
    form = page.get_by_test_id("stForm")
    form.get_by_text("satisfactory", exact=True).click()
    form.get_by_role("textbox", name="Why (required)").fill(REASON)
    form.get_by_role("button", name="Save the rating").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("satisfactory")
    settled(page)
    expect(page.get_by_text(f"Rated satisfactory by {EDITOR}")).to_contain_text(REASON)
    expect(page.get_by_role("button", name="Clear the rating")).to_be_visible()
    page.close()
    assert site.outside == [], "every request stays on the dashboard's origin"
