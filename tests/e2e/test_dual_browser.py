"""Dual review in the real dashboard, in headless Chromium: two reviewers (rui, ana) have
entered different stances on a trial for the CRPS claim with the CLI; an editor signs in, opens
the Dual review page's adjudication, sees both entries with their reasons, takes ana's and the
page confirms it; the agreement tab shows the statistics. The adjudication view is the README's
screenshot of the workflow:

    .venv/bin/python -m tests.e2e.test_dual_browser     # writes docs/dual-review.png
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, dashboard, tracker

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "test-artifacts" / "screenshots"
README_SHOT = ROOT / "docs" / "dual-review.png"
EDITOR, RUI, ANA = "edith", "rui", "ana"
PASSWORDS = {name: f"{name}-password-1" for name in (EDITOR, RUI, ANA)}
TRIAL = "schwartzman2009"
CRPS = "Ketamine infusions have shown efficacy in reducing pain intensity"


def set_up(database_url: str) -> int:
    """Bootstrap, three accounts, the seed document under dual review with the CRPS claim and
    its trial assigned to rui and ana, who agree on the trial's appraisal and differ on its
    stance. Returns the id of the sentence's pain part, which the trial bears on."""
    tracker(database_url, "bootstrap")
    tracker(database_url, "users", "add", "admin", "--role", "admin", "--password",
            "admin-password-1")  # the first admin needs no acting user
    for name, role in ((EDITOR, "editor"), (RUI, "reviewer"), (ANA, "reviewer")):
        tracker(database_url, "users", "add", name, "--role", role, "--password",
                PASSWORDS[name], "--as", "admin")
    claims = json.loads(tracker(database_url, "claims", "--json"))
    [claim] = [c["id"] for c in claims if c["text"].startswith(CRPS)]
    # the shipped review splits the sentence: the trial is linked to its pain part
    [part] = [c["id"] for c in claims
              if c["parent"] == claim and c["text"] == "reducing pain intensity"]
    tracker(database_url, "dual", "on", "--reason", "methodology audit", "--as", EDITOR)
    tracker(database_url, "dual", "assign", "--reviewers", f"{RUI},{ANA}", "--claim",
            str(claim), "--study", TRIAL, "--as", EDITOR)
    domains = [f"--domain={d}=low:{why}" for d, why in (
        ("D1", "computer-generated sequence"), ("D2", "placebo-controlled, blinded"),
        ("D3", "few dropouts"), ("D4", "validated pain scale"), ("D5", "prespecified"))]
    for reviewer in (RUI, ANA):
        tracker(database_url, "dual", "appraise", TRIAL, "--tool", "rob2", *domains,
                "--as", reviewer)
    tracker(database_url, "dual", "stance", str(part), TRIAL, "--stance", "mixed",
            "--reason", "benefit on some pain parameters only; small trial", "--as", RUI)
    tracker(database_url, "dual", "stance", str(part), TRIAL, "--stance", "supports",
            "--reason", "primary outcome improved over placebo (Table 2)", "--as", ANA)
    return part


def adjudicate(database_url: str, shot: Path) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    def settled(page: Page) -> None:
        expect(page.locator('[data-testid="stElementContainer"][data-stale="true"]')
               ).to_have_count(0)

    with dashboard(database_url) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1180})
        page.set_default_timeout(30_000)
        expect.set_options(timeout=30_000)
        try:
            page.goto(url)
            expect(page.get_by_role("heading", name="Overview")).to_be_visible()
            page.get_by_role("textbox", name="Username").fill(EDITOR)
            page.get_by_role("textbox", name="Password").fill(PASSWORDS[EDITOR])
            page.get_by_role("button", name="Sign in", exact=True).click()
            expect(page.get_by_test_id("stSidebarUserContent")
                   .get_by_text(f"Signed in as {EDITOR}")).to_be_visible()
            page.get_by_test_id("stSidebarNav").get_by_role(
                "link", name="Dual review", exact=True).click()
            expect(page.get_by_role("heading", name="Dual review", exact=True)).to_be_visible()
            settled(page)
            page.get_by_role("tab", name="Adjudication").click()
            settled(page)
            picker = page.get_by_role("combobox", name="Judgement awaiting adjudication")
            picker.click()
            page.get_by_role("option", name="stance · claim").first.click()
            settled(page)
            expect(page.get_by_text("Decision", exact=True)).to_be_visible()
            page.get_by_role("textbox", name="Reason for the decision").fill(
                "The trial's primary outcome favours ketamine; the secondary ones do not "
                "undo that.")
            page.get_by_text(f"{ANA}'s entry", exact=True).click()
            settled(page)
            page.screenshot(path=shot, full_page=False)
            page.get_by_role("button", name="Decide", exact=True).click()
            expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
                f"{ANA}'s entry")
            settled(page)
            page.get_by_role("tab", name="Agreement").click()
            expect(page.get_by_role("button", name="Download CSV")).to_be_visible()
            page.screenshot(path=SHOTS / "dual-review-agreement.png")
        finally:
            browser.close()


def test_an_editor_adjudicates_in_the_browser(tmp_path: Path) -> None:
    pytest.importorskip("playwright.sync_api", reason="the browser test needs Playwright "
                        "(pip install -e '.[dev]')")
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: the end-to-end test drives Debian's Chromium at {CHROMIUM} "
                    "(apt-get install chromium)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    claim = set_up(database_url)
    adjudicate(database_url, SHOTS / "dual-review.png")
    shown = json.loads(tracker(database_url, "claim", "show", str(claim), "--json"))
    assert shown["claim"]["status"] == "supported"
    assert "awaiting adjudication" not in shown["claim"]["explanation"]
    [item] = [d for d in shown["dual"] if d["kind"] == "stance"]
    assert (item["state"], item["decision"], item["decided_by"]) == ("adjudicated", "second",
                                                                     EDITOR)


def main(target: Path = README_SHOT) -> int:
    if not CHROMIUM.exists():
        print(f"needs Chromium at {CHROMIUM}", file=sys.stderr)
        return 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{Path(folder) / 'tracker.db'}"
        set_up(database_url)
        adjudicate(database_url, target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
