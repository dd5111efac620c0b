"""The launch form as a first-time analyst meets it, in a real Chromium (issue 17).

One app process (the committed benchmark results as its --bench-results) and one browser
walk the form at 1,280 px and again at 1,024 px, checking on each page load: what was typed
is kept until valid (seed 1.5 / abc12 are errors, never rounded; an empty optional field
stays empty across Back/Next), every step is checked live and its errors clear as soon as
the field is fixed, every edit survives a reload, step 5 is checked live, messages use
labels and readable bounds, the review shows time and disk from the benchmark results and
asks to confirm a large run, a cancel reads "Cancelled by you" with what was cleaned up, and
WCAG 2.1 AA checks (computed-style contrast, focus ring, errors tied to fields, focus on the
step heading, named radio group, aria-current, live-region and plot alt text). Screenshots of
every step at both widths go to `test-artifacts/ui/`; the lowest contrast measured goes to
`test-artifacts/ui/metrics.json` (merged with the other tests' keys).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from engine import GraphConfig, expected_rows


from test_ui_e2e import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, AppProcess

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

CONTRAST_JS = (Path(__file__).with_name("a11y_contrast.js")).read_text()
WCAG_AA = 4.5
STEP_NAMES = {1: "scale-and-seed", 2: "households-and-demographics", 3: "identity-graph", 4: "engagement-and-campaigns", 5: "destination", 6: "review-and-launch"}
# Generous: the machine is shared; the worker's Spark start-up alone takes seconds.
RUN_TIMEOUT_MS = 300_000


@pytest.fixture
def app(tmp_path):
    (tmp_path / "bench").mkdir()
    for result in (ROOT / "bench" / "results").glob("*.json"):
        shutil.copy(result, tmp_path / "bench" / result.name)
    app = AppProcess(tmp_path)
    yield app
    app.stop()


class Checks:
    """Assertions shared by both widths; keeps the lowest contrast seen."""

    def __init__(self) -> None:
        self.min_contrast = float("inf")

    def contrast(self, page, where: str) -> None:
        found = page.evaluate(CONTRAST_JS)
        assert found["count"] > 20, found
        self.min_contrast = min(self.min_contrast, found["min"])
        assert found["min"] >= WCAG_AA, f"{where}: text below {WCAG_AA}:1: {found['worst']}"

    @staticmethod
    def step(page, number: int) -> None:
        page.locator("#step-heading").get_by_text(f"Step {number} of 6").wait_for()
        assert page.locator('#stepper li[aria-current="step"]').inner_text().startswith(f"{number}.")

    def next(self, page, number: int, width: int = 1280) -> None:
        """Next, to step `number`; a screenshot of it."""
        page.locator("#next").click()
        self.step(page, number)
        page.screenshot(path=ARTIFACTS / f"form-{width}-{number}-{STEP_NAMES[number]}.png", full_page=True)

    @staticmethod
    def heading_focused(page) -> None:
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'step-heading'")

    @staticmethod
    def no_horizontal_scroll(page, width: int, where: str) -> None:
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll <= width, f"{where}: the page is {scroll} px wide at {width} px"


def error_tied(page, name: str) -> None:
    """The field's input carries aria-invalid and names its visible error box."""
    page.wait_for_function(
        "(name) => { const i = document.querySelector('#field-' + name + ' input, #field-' + name + ' textarea');"
        " return i && i.getAttribute('aria-invalid') === 'true' && i.getAttribute('aria-describedby') === 'error-' + name; }",
        arg=name,
    )


def banner_clear(page) -> None:
    page.wait_for_function("() => !document.querySelector('#form-message').innerText.includes('to fix')")


def saved_value(app: AppProcess, session: str, name: str):
    path = app.folder / "state" / "sessions" / f"{session}.json"
    return json.loads(path.read_text())["values"].get(name) if path.exists() else None


def test_launch_form_keeps_what_was_typed_checks_live_estimates_and_is_accessible(app):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    checks = Checks()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(app.url, wait_until="domcontentloaded")
        page.get_by_text("bookmark this page").wait_for()
        session = page.url.split("session=")[1]
        checks.step(page, 1)
        page.screenshot(path=ARTIFACTS / f"form-1280-1-{STEP_NAMES[1]}.png", full_page=True)

        # Accessibility of the first page: contrast, named radio group, steps that are not buttons, focus ring.
        checks.contrast(page, "step 1")
        assert 'radiogroup "Scale preset"' in page.locator("#step-1").aria_snapshot()
        step_item = page.locator('#stepper li[aria-current="step"]')
        assert step_item.evaluate("li => getComputedStyle(li).cursor") != "pointer" and step_item.get_attribute("role") is None
        seed = page.locator("#field-seed input")
        seed.focus()
        ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
        assert ring[0] != "none" and ring[1] >= 2, ring

        # The Runs tab before any run: a sentence, no placeholder grids.
        page.get_by_role("tab", name="Runs").click()
        page.get_by_text("No runs in this session yet").wait_for()
        expect(page.locator("#run-details")).to_be_hidden()
        page.get_by_role("tab", name="Launch").click()

        # Seed 1.5 and abc12: errors next to the field, the text kept as typed, also after Next.
        seed.fill("1.5")
        page.locator("#error-seed").get_by_text("Got '1.5'; expected a whole number").wait_for()
        error_tied(page, "seed")
        page.locator("#form-message").get_by_text("1 field to fix: Seed").wait_for()
        page.locator("#next").click()
        page.locator("#form-message").get_by_text("1 field to fix: Seed").wait_for()
        checks.step(page, 1)
        assert seed.input_value() == "1.5"
        seed.fill("abc12")
        page.locator("#error-seed").get_by_text("Got 'abc12'").wait_for()
        assert seed.input_value() == "abc12"
        page.screenshot(path=ARTIFACTS / "form-1280-1-invalid-seed.png", full_page=True)
        seed.fill("7")
        page.locator("#error-seed").wait_for(state="hidden")
        banner_clear(page)  # fixed: the error and the banner go without pressing Next

        # Empty is called empty, with a bound people can read.
        households = page.locator("#field-households input")
        households.fill("")
        page.locator("#error-households").get_by_text("Empty; expected a whole number from 1 to 1 trillion households").wait_for()
        page.get_by_label("100K").check()
        page.locator("#error-households").wait_for(state="hidden")
        assert households.input_value() == "100000"

        # Next and Back move the focus to the step's heading; the empty optional field stays empty.
        assert page.locator("#field-partitions input").input_value() == ""
        page.locator("#next").click()
        checks.step(page, 2)
        checks.heading_focused(page)
        page.locator("#back").click()
        checks.step(page, 1)
        checks.heading_focused(page)
        assert page.locator("#field-partitions input").input_value() == ""
        checks.next(page, 2)
        checks.next(page, 3)

        # An edit is saved as it is made: a reload comes back to this step with the edit.
        maximum = page.locator("#field-identifiers-maximum input")
        maximum.fill("9")
        deadline = time.monotonic() + 30
        while saved_value(app, session, "identifiers.maximum") != "9":
            assert time.monotonic() < deadline, "the edit was not saved"
            page.wait_for_timeout(100)
        page.reload(wait_until="domcontentloaded")
        page.get_by_text("as last edited").wait_for()
        checks.step(page, 3)
        assert page.locator("#field-identifiers-maximum input").input_value() == "9"
        page.screenshot(path=ARTIFACTS / f"form-1280-3-{STEP_NAMES[3]}.png", full_page=True)
        checks.next(page, 4)
        checks.next(page, 5)

        # Step 5 is checked live; the name preview never contradicts an error; Unity Catalog says how to enable it.
        purpose = page.locator("#field-purpose input")
        purpose.fill("bad name!")
        page.locator("#error-purpose").wait_for()
        error_tied(page, "purpose")
        page.locator("#destination-preview").get_by_text("appear here once these are valid: Purpose").wait_for()
        purpose.fill("campaign_test")
        page.locator("#error-purpose").wait_for(state="hidden")
        page.locator("#destination-preview").get_by_text("This run will be written to the folder").wait_for()
        folder = page.locator("#field-folder input")
        parent = folder.input_value()
        folder.fill("")
        page.locator("#error-folder").get_by_text("Empty; expected a folder path").wait_for()
        expect(page.locator("#destination-preview")).not_to_contain_text("written to")
        folder.fill(parent)
        page.locator("#error-folder").wait_for(state="hidden")
        banner_clear(page)
        assert page.locator("#field-destination").get_by_role("radio").count() == 1
        expect(page.locator("#field-destination")).to_contain_text("Unity Catalog is available when this app runs as a Databricks App")
        page.screenshot(path=ARTIFACTS / f"form-1280-5-{STEP_NAMES[5]}.png", full_page=True)

        # Review: time and disk for this machine from the benchmark results; 100K needs no confirmation.
        page.locator("#next").click()
        checks.step(page, 6)
        page.locator("#review-estimate").get_by_text("Expected on this machine").wait_for()
        assert "seconds" in page.locator("#review-estimate").inner_text() or "minutes" in page.locator("#review-estimate").inner_text()
        expect(page.locator("#confirm-large")).to_be_hidden()
        expect(page.locator("#launch")).to_be_enabled()
        checks.contrast(page, "step 6")
        page.screenshot(path=ARTIFACTS / f"form-1280-6-{STEP_NAMES[6]}.png", full_page=True)

        # Launch, then cancel: the picker shows the run's name; the cancel reads as the user's, with its clean-up.
        page.locator("#launch").click()
        page.locator("#run-status").get_by_text("running").wait_for(timeout=RUN_TIMEOUT_MS)
        assert "campaign_test_100k_" in page.locator("#run-select input").input_value()
        page.locator("#cancel").click()
        status = page.locator("#run-status")
        status.get_by_text("Cancelled by you").wait_for(timeout=RUN_TIMEOUT_MS)
        status.get_by_text("was never created").wait_for()
        expect(status).not_to_contain_text("KeyboardInterrupt")
        expect(page.locator('#run-history [data-testid="cell-0-0"]')).to_contain_text("campaign_test_100k_")
        (run,) = app.runs()
        assert not Path(run["spec"]["out"]).exists()
        checks.contrast(page, "runs tab")
        page.screenshot(path=ARTIFACTS / "form-1280-7-cancelled-run.png", full_page=True)
        # Live regions speak words: the form message is a polite status, and no live region or
        # screen-reader-only text is left with one of Gradio's untranslated "common.*" keys.
        expect(page.locator("#form-message")).to_have_attribute("aria-live", "polite")
        expect(page.locator("#form-message")).to_have_attribute("role", "status")
        # (polled: the page's observer rewrites a key on the next animation frame after Gradio sets it)
        page.wait_for_function(
            "() => ![...document.querySelectorAll('[aria-live], .sr-only')]"
            ".some((e) => /^common\\.[a-z_]+$/.test(e.textContent.trim()))",
            timeout=10_000,
        )

        # 1,024 px: a new session, 10M households, every step screenshotted, nothing cut off; a large run asks first.
        narrow = browser.new_page(viewport={"width": 1024, "height": 900})
        narrow.set_default_timeout(60_000)
        narrow.goto(app.url, wait_until="domcontentloaded")
        narrow.get_by_text("bookmark this page").wait_for()
        narrow.get_by_label("10M").check()
        # the 10M preset's expected total, as the engine computes it (its leading digits and comma)
        total = sum(expected_rows(GraphConfig(households=10_000_000)).values())
        narrow.locator("#expected-total").get_by_text(f"{total:,}".split(",")[0] + ",").wait_for()
        checks.no_horizontal_scroll(narrow, 1024, "step 1")
        narrow.screenshot(path=ARTIFACTS / f"form-1024-1-{STEP_NAMES[1]}.png", full_page=True)
        for number in range(2, 6):
            checks.next(narrow, number, 1024)
            checks.no_horizontal_scroll(narrow, 1024, f"step {number}")
        narrow.locator("#next").click()
        checks.step(narrow, 6)
        narrow.locator("#review-estimate").get_by_text("Expected on this machine").wait_for()
        checks.no_horizontal_scroll(narrow, 1024, "step 6")
        narrow.screenshot(path=ARTIFACTS / f"form-1024-6-{STEP_NAMES[6]}.png", full_page=True)
        expect(narrow.locator("#confirm-large")).to_be_visible()
        expect(narrow.locator("#launch")).to_be_disabled()
        narrow.locator("#confirm-large input").check()
        expect(narrow.locator("#launch")).to_be_enabled()
        narrow.get_by_role("tab", name="Benchmarks").click()
        narrow.locator("#bench-plot img").first.wait_for()
        assert narrow.locator('img[alt^="undefined"]').count() == 0
        # The first session's runs at 1,024 px: the history fits.
        page.set_viewport_size({"width": 1024, "height": 900})
        checks.no_horizontal_scroll(page, 1024, "runs tab")
        history = page.locator("#run-history").bounding_box()
        last = page.locator("#run-history").get_by_text("seconds", exact=True).bounding_box()
        assert last["x"] + last["width"] <= history["x"] + history["width"], "the history's last column is cut off at 1,024 px"
        page.screenshot(path=ARTIFACTS / "form-1024-7-runs.png", full_page=True)
        browser.close()

    metrics_path = ARTIFACTS / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    metrics["ui_min_text_contrast"] = round(checks.min_contrast, 2)
    metrics_path.write_text(json.dumps(metrics, indent=2))
