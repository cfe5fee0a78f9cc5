"""Acceptance 1 of the console: a person in a browser (Debian's headless chromium, driven by
Playwright) logs in, finds a message by MRN, opens its lineage, resolves the item-miss case by
mapping the item, sees the parked messages replayed and the case closed, and opens the service-line
dashboard; a finance user sees PHI masked and may not resolve. Each step saves a screenshot."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import unavailable
from tests.integration.console.site import USERS, ConsoleSite

CHROMIUM = os.environ.get("CAREWEAVE_TEST_CHROMIUM", "/usr/bin/chromium")
"""The browser the tests drive (Debian's chromium; .ci/run installs it when missing)."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless chromium, or a skip (a failure when CI is set) naming what is missing."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    executable = CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, headless=True)
        try:
            yield launched
        finally:
            launched.close()


class Shots:
    """Numbered screenshots of one test, in its tmp folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[Path] = []
        folder.mkdir(parents=True, exist_ok=True)
        print(f"screenshots: {folder}")

    def __call__(self, page: Page, name: str) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)


def _log_in(page: Page, base: str, user: str) -> None:
    page.goto(f"{base}/console")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", USERS[user][2])
    page.click("button[type=submit]")


def test_an_operator_resolves_an_item_miss_from_the_browser(
    site: ConsoleSite, browser: Browser, tmp_path: Path
) -> None:
    seeded, base = site.seeded, site.base_url
    shots = Shots(tmp_path / "screenshots")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    page.goto(f"{base}/console")
    expect(page.locator("h1")).to_have_text("Log in")  # no session: sent to the login page
    page.fill("input[name=user]", "ops")
    page.fill("input[name=password]", USERS["ops"][2])
    shots(page, "login")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("table").nth(1)).to_contain_text("revenue-cycle")
    shots(page, "overview")

    # Find the first parked message by its patient's MRN.
    page.click("header >> text=Messages")
    page.fill("input[name=mrn]", seeded.mrn)
    page.click("form.inline button[type=submit]")
    first = seeded.parked_ids[0]
    row = page.locator("tbody tr", has=page.locator(f"a[href='/console/messages/{first}']"))
    expect(row).to_contain_text("parked")
    expect(row).to_contain_text(seeded.mrn)
    shots(page, "search-by-mrn")

    # Its lineage: the raw message (an integration admin may read PHI), the events, the charges
    # delivered to billing while the supply branch waits on the case.
    row.locator(f"a[href='/console/messages/{first}']").click()
    expect(page.locator("h1")).to_have_text(f"Message {first}")
    expect(page.locator("pre.raw")).to_contain_text("PID|")
    expect(page.locator("pre.raw")).to_contain_text(seeded.mrn)
    expect(page.locator("h2", has_text="Events")).to_be_visible()
    expect(page.locator("table", has_text="revenue-cycle").first).to_contain_text("delivered")
    shots(page, "lineage")

    # The case, with the code and the suggested ERP item prefilled; map it.
    page.click(f"a[href='/console/cases/{seeded.case_id}']")
    expect(page.locator("h1")).to_contain_text(f"item-miss:{seeded.code}")
    crosswalk = page.locator("form#crosswalk")
    expect(crosswalk.locator("input[name=code]")).to_have_value(seeded.code)
    expect(crosswalk.locator("input[name=item_number]")).to_have_value(seeded.item_number)
    shots(page, "case")
    crosswalk.locator("button[type=submit]").click()
    replayed = len(seeded.parked_ids)
    expect(page.locator(".notice")).to_contain_text(f"{replayed} parked message(s) replayed")
    expect(page.locator("dl")).to_contain_text("resolved")
    trail = page.locator("tbody tr", has_text="replayed")
    expect(trail.last).to_contain_text(f"ops{replayed} message(s) replayed")
    shots(page, "case-resolved")

    # The parked message was replayed through the new crosswalk: processed, a replay recorded,
    # the inventory movement for the ERP among its effects.
    page.goto(f"{base}/console/messages/{first}")
    expect(page.locator("dl")).to_contain_text("processed")
    expect(page.locator("h2", has_text="Replays (")).not_to_have_text("Replays (0)")
    expect(page.locator("table", has_text="inventory").first).to_be_visible()
    shots(page, "replayed")

    page.click("header >> text=Dashboard")
    expect(page.locator("figure#margin svg")).to_be_visible()
    expect(page.locator("figure#throughput svg rect").first).to_be_attached()
    shots(page, "dashboard")

    page.click("header button:has-text('Log out')")
    expect(page.locator("h1")).to_have_text("Log in")
    assert len(shots.taken) == 8 and all(p.stat().st_size > 0 for p in shots.taken)
    context.close()


def test_a_finance_user_sees_phi_masked_and_cannot_resolve(
    site: ConsoleSite, browser: Browser, tmp_path: Path
) -> None:
    seeded, base = site.seeded, site.base_url
    shots = Shots(tmp_path / "screenshots")
    context = browser.new_context()
    page = context.new_page()
    _log_in(page, base, "fin")
    expect(page.locator("h1")).to_have_text("Overview")

    page.goto(f"{base}/console/messages/{seeded.parked_ids[0]}")
    expect(page.locator("pre.raw")).to_have_text("[masked]")
    expect(page.locator("dl")).not_to_contain_text(seeded.mrn)
    assert seeded.mrn not in page.content()
    shots(page, "finance-lineage")

    page.goto(f"{base}/console/cases/{seeded.case_id}")
    expect(page.locator("form#crosswalk")).to_have_count(0)  # nothing to do with no cases:write
    answer = page.request.post(
        f"{base}/console/cases/{seeded.case_id}/resolve",
        form={"resolution": "fixed", "csrf": "x"},
        max_redirects=0,
    )
    assert answer.status == 403
    assert re.search(r"needs scope .*cases:write", answer.text())
    page.goto(f"{base}/console/cases/{seeded.case_id}/resolve")  # a GET is not a way in either
    shots(page, "finance-refused")
    context.close()
