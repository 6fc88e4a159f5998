"""The editor's and the reviewer's work in the real dashboard, in headless Chromium, on a
bootstrapped database; no request may leave the dashboard's origin (fonts, icons, favicon:
it must work offline and tell no third party who reads what).

- Editor: the editorial queue → tick two claims → flag them → the ticks and the form are
  empty (before issue 17 the ticks stayed at the same rows, now other claims) → resolve one
  flag → sign a claim off, after which the button is disabled.
- Reviewer: import a BibTeX entry → link it to a claim → appraise it (RoB 2).

Screenshots at 1440 px and 390 px go to docs/ (the README shows them):

    .venv/bin/python -m pytest tests/e2e/test_workflows.py -m e2e
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.e2e import readme_screenshot
from tests.e2e.browser import (
    DESKTOP,
    DOCS,
    PHONE,
    SHOTS,
    new_page,
    open_page,
    require_chromium,
    settled,
)
from tests.e2e.browser import browser as browser  # noqa: F401 (a fixture, used below)
from tests.e2e.browser import sign_in as sign_in_as
from tests.e2e.server import dashboard, tracker
from tracker import db, queries

pytestmark = pytest.mark.e2e

EDITOR, REVIEWER = "edith", "rosa"
PASSWORDS = {name: f"{name}-password-1" for name in (EDITOR, REVIEWER)}
TALL = {"width": 1440, "height": 2400}  # the queue's 25 rows fit: its rows are clicked
NEW_BIB = """@article{workflow2025,
  title = {Low-dose ketamine infusion for chronic neuropathic pain: a randomised trial},
  author = {Tester, Tara and Probe, Paul}, year = {2025}, journal = {Journal of Tests},
  doi = {10.1000/workflow.2025}, studydesign = {rct}}"""
CLAIM_START = "Ketamine therapy is used to manage a variety of pain syndromes"


@dataclass
class Site:
    url: str
    database_url: str
    outside: list[str] = field(default_factory=list)  # requests that left the origin


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_chromium()
    database_url = f"sqlite:///{tmp_path_factory.mktemp('workflows') / 'tracker.db'}"
    tracker(database_url, "bootstrap")
    tracker(database_url, "users", "add", "admin", "--role", "admin", "--password",
            "admin-password-1")
    for name, role in ((EDITOR, "editor"), (REVIEWER, "reviewer")):
        tracker(database_url, "users", "add", name, "--role", role, "--password",
                PASSWORDS[name], "--as", "admin")
    with dashboard(database_url) as url:
        yield Site(url, database_url)


def sign_in(page: Any, site: Site, name: str) -> None:
    sign_in_as(page, site.url, name, PASSWORDS[name])


def tick_row(page: Any, table: Any, row: int, ticked: int) -> None:
    """Tick a row of the queue's `st.dataframe` (a canvas: click its row marker) and wait
    until the flag form holds `ticked` claims (the rerun it causes has ended)."""
    from playwright.sync_api import expect

    from dashboard import ui

    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    header = 36
    page.mouse.click(box["x"] + 18, box["y"] + header + ui.ROW_HEIGHT * (row + 0.5))
    expect(flag_form_tags(page)).to_have_count(ticked)
    settled(page)


def flag_form_tags(page: Any) -> Any:
    form = page.get_by_test_id("stForm").filter(has_text="Flag claims")
    return form.locator(".react-aria-ComboBox [data-tag]")


def chosen_claims(page: Any) -> list[int]:
    """The claims the flag form holds (its multiselect's tags, labelled "#12 · …")."""
    settled(page)
    tags = flag_form_tags(page)
    found = [re.match(r"\D*#(\d+)", tag.get_attribute("aria-label") or "")
             for tag in tags.all()]
    return [int(m.group(1)) for m in found if m]


def queue_ids(site: Site) -> list[int]:
    engine = db.make_engine(site.database_url)
    with db.reading(engine) as session:
        rows = [c.id for c in queries.queue(session, limit=50)]
    engine.dispose()
    return rows


def test_the_editor_flags_two_resolves_one_and_signs_off(site: Site, browser: Any) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, site.url, TALL, site.outside)
    sign_in(page, site, EDITOR)
    open_page(page, "Editorial queue")
    waiting = queue_ids(site)
    table = page.get_by_test_id("stDataFrame").first
    tick_row(page, table, 0, ticked=1)
    tick_row(page, table, 1, ticked=2)
    assert sorted(chosen_claims(page)) == sorted(waiting[:2])
    page.get_by_role("textbox", name="Reason").first.fill("no trial behind either claim")
    page.get_by_role("button", name="Raise flag").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
        "Raised 2 unsupported flag(s).")
    settled(page)
    # The bug of issue 17: the ticks stayed on rows 0 and 1 (now other claims) and the form
    # kept the flagged claims and the reason.
    assert chosen_claims(page) == []
    expect(page.get_by_role("textbox", name="Reason").first).to_have_value("")
    table = page.get_by_test_id("stDataFrame").first
    tick_row(page, table, 0, ticked=1)
    assert chosen_claims(page) == [queue_ids(site)[0]], "only the row ticked now"
    page.screenshot(path=SHOTS / "workflow-queue.png")

    flag = page.get_by_role("combobox", name="Flag", exact=True)
    flag.click()
    flag.fill("no trial behind")  # one of the two just raised
    page.get_by_role("option", name=re.compile(r"^#\d+ · unsupported .*no trial behind")
                     ).first.click()
    settled(page)
    page.get_by_text("resolved", exact=True).click()
    page.get_by_role("textbox", name="What was done, or why it is not a problem").fill(
        "a trial was linked")
    page.get_by_role("button", name="Close the flag").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("resolved")
    settled(page)

    picker = page.get_by_role("combobox", name="Claim", exact=True).last
    picker.click()
    picker.fill(CLAIM_START)
    page.get_by_role("option", name=re.compile(r"^#\d+ · ")).first.click()
    settled(page)
    sign = page.get_by_role("button", name=re.compile(r"^Sign off claim #\d+ as "))
    expect(sign).to_be_enabled()
    sign.click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("signed off as")
    settled(page)
    expect(page.get_by_role("button", name=re.compile(r"^Sign off claim #\d+ as "))
           ).to_be_disabled()
    page.close()
    assert site.outside == [], "every request stays on the dashboard's origin"


def test_the_reviewer_imports_links_and_appraises(site: Site, browser: Any) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, site.url, DESKTOP, site.outside)
    sign_in(page, site, REVIEWER)
    open_page(page, "Evidence")
    page.get_by_role("tab", name="Import BibTeX").click()
    settled(page)
    page.get_by_role("textbox", name="Paste BibTeX entries").fill(NEW_BIB)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("1 added")
    settled(page)
    expect(page.get_by_role("textbox", name="Paste BibTeX entries")).to_have_value("")

    page.get_by_role("tab", name="Find and link").click()
    settled(page)
    search = page.get_by_role("textbox", name="Search key, title, authors, DOI or PMID")
    search.fill("workflow2025")
    search.press("Enter")
    expect(page.get_by_text("1 citation matches")).to_be_visible()
    settled(page)
    claim = page.get_by_role("combobox", name="Claim", exact=True)
    claim.click()
    claim.fill(CLAIM_START)
    page.get_by_role("option", name=re.compile(r"^#\d+ · ")).first.click()
    page.get_by_role("combobox", name="Citation (from the search results above)").click()
    page.get_by_role("option", name=re.compile(r"^workflow2025 · ")).click()
    page.get_by_role("button", name="Link", exact=True).click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("Linked to claim #")
    settled(page)

    open_page(page, "Appraisal")
    find = page.get_by_role("textbox", name="Find the study (key, title, author, DOI)")
    find.fill("workflow2025")
    find.press("Enter")
    settled(page)
    study = page.get_by_role("combobox", name="Study", exact=True)
    study.click()
    page.get_by_role("option", name=re.compile("workflow2025")).first.click()
    settled(page)
    for domain in ("D1", "D2", "D3", "D4", "D5"):
        box = page.get_by_role("combobox", name=re.compile(rf"^{domain} "))
        box.click()
        page.get_by_role("option", name="low", exact=True).click()
        page.get_by_role("textbox", name=f"Reason for {domain}").fill("read in the full text")
    page.get_by_role("button", name="Save the appraisal").click()
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
        "workflow2025: rob2 overall low")
    page.screenshot(path=SHOTS / "workflow-appraisal.png")
    page.close()
    assert site.outside == [], "every request stays on the dashboard's origin"


def loaded(page: Any, url: str) -> None:
    """The overview, drawn: its answer and its three charts."""
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_role("heading", name=re.compile("supported at moderate or high"))
           ).to_be_visible()
    expect(page.locator("[data-testid='stVegaLiteChart'] svg.marks")).to_have_count(3)
    idle(page)


def idle(page: Any) -> None:
    """The run has ended: no stale element, no "Running… Stop" in the header."""
    from playwright.sync_api import expect

    settled(page)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)


def test_screenshots_at_desktop_and_phone_widths(site: Site, browser: Any) -> None:
    """The README's pictures: the overview (docs/screenshot.png, and at 1440 px) and the
    article at 1440 px, the overview at 390 px and the claims as cards on the phone (with the
    sidebar closed again after picking a page on the phone)."""
    from playwright.sync_api import expect

    page = new_page(browser, site.url, DESKTOP, site.outside)
    loaded(page, site.url)
    page.screenshot(path=DOCS / "overview-1440.png")
    open_page(page, "Article")
    page.get_by_role("button", name="›").nth(1).click()
    settled(page)
    expect(page).to_have_url(re.compile(r"[?&]claim=\d+"))
    expect(page.get_by_role("heading", name="A claim in full")).to_be_visible()
    page.mouse.move(700, 5)  # no tooltip in the picture
    idle(page)
    page.screenshot(path=DOCS / "article-1440.png")
    open_page(page, "Claims")
    expect(page.locator(".st-key-wide_claims")).to_be_visible()
    expect(page.locator(".st-key-cards_claims")).to_be_hidden()
    page.close()

    readme = new_page(browser, site.url, readme_screenshot.VIEWPORT, site.outside)
    readme_screenshot.capture(readme, site.url, DOCS / "screenshot.png")
    readme.close()

    phone = new_page(browser, site.url, PHONE, site.outside)
    loaded(phone, site.url)
    phone.screenshot(path=DOCS / "overview-390.png")
    phone.get_by_test_id("stExpandSidebarButton").click()
    expect(phone.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "false")
    open_page(phone, "Claims")
    expect(phone.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    # On a phone the claims are cards, not a grid wider than the screen (dashboard/cards.py).
    expect(phone.locator(".st-key-cards_claims")).to_be_visible()
    expect(phone.locator(".st-key-wide_claims")).to_be_hidden()
    phone.locator(".st-key-cards_claims").scroll_into_view_if_needed()
    idle(phone)
    phone.screenshot(path=DOCS / "claims-390.png")
    phone.close()
    assert site.outside == [], "every request stays on the dashboard's origin"


def test_a_sign_in_survives_a_reload_until_signing_out(site: Site, browser: Any) -> None:
    """The browser keeps the sign-in's token in a cookie: a reload (a new Streamlit
    session) resumes it; after "Sign out" a reload does not."""
    from playwright.sync_api import expect

    page = new_page(browser, site.url, DESKTOP, site.outside)
    sign_in(page, site, REVIEWER)
    signed_in = page.get_by_test_id("stSidebarUserContent").get_by_text(
        f"Signed in as {REVIEWER}")
    assert any(c["name"] == "tracker_session" and c["sameSite"] == "Strict"
               for c in page.context.cookies())
    page.reload()
    expect(signed_in).to_be_visible()
    open_page(page, "Article")
    page.goto(site.url + "/article?claim=3")
    expect(signed_in).to_be_visible()
    # A fresh page draws the panel's buttons once Streamlit's lazily loaded widgets arrive:
    # on a loaded machine that has taken longer than the default 30 s.
    expect(page.get_by_role("button", name="Link evidence to this claim")).to_be_visible(
        timeout=90_000)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    settled(page)
    page.reload()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    expect(signed_in).to_have_count(0)
    page.close()
    assert site.outside == [], "every request stays on the dashboard's origin"
