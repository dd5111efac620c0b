"""The app as a user meets it: a real server process, a real browser, real worker runs with Spark.

The browser test walks all six steps in Debian's Chromium through Playwright, types one
invalid value and sees the inline error, launches a 1,000-household local run and reads
the row counts on the results. Then it changes the seed, reads the review step's preview
(five rows of every table from the warm worker) and launches again: the second run must be
served by the same warm worker (no new JVM) and finish faster than the first, and the
preview's households rows must equal what that run wrote. Screenshots of each step go to
`test-artifacts/ui/`, with the page's load time, the app's idle memory, the second run's
seconds from Launch to "succeeded" and the warm preview's seconds in `metrics.json`. The SIGTERM test
launches through the HTTP API (gradio_client), stops the app mid-write and checks that it
exits within 15 s leaving no worker and no partial table.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from engine import TABLES, GraphConfig, expected_rows
from ui import steps

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "ui"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Generous: the machine is shared; a 1,000-household run plus validation takes about a minute when idle.
RUN_TIMEOUT_MS = 900_000

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppProcess:
    """`python -m ui.app` in its own process group, on a free port, with its own state and output folders."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = folder / "app.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("DATABRICKS_APP_PORT", None)
        env.pop("DATABRICKS_HOST", None)
        command = [
            sys.executable, "-m", "ui.app", "--port", str(self.port), "--state-dir", str(folder / "state"),
            "--out-dir", str(folder / "out"), "--bench-results", str(folder / "bench"), "--cores", "2",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                urllib.request.urlopen(self.url, timeout=2)
                return
            except OSError:
                time.sleep(0.25)
        raise AssertionError(f"the app did not answer in 120 s:\n{self.log.read_text()}")

    def runs(self) -> list[dict]:
        return [json.loads(p.read_text()) for p in (self.folder / "state" / "runs").glob("*/run.json")]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def app(tmp_path):
    app = AppProcess(tmp_path)
    yield app
    app.stop()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def group_alive(pgid: int) -> bool:
    """Whether a process of group `pgid` is still running; an exited one not yet reaped
    (state Z, e.g. re-parented to PID 1) is not."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # exited while listing
            continue
        state, _ppid, group = text[text.rindex(")") + 2 :].split()[:3]
        if int(group) == pgid and state != "Z":
            return True
    return False


def test_browser_walks_six_steps_sees_inline_error_launches_and_reads_results(app):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    metrics: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        started = time.perf_counter()
        page.goto(app.url, wait_until="domcontentloaded")
        page.get_by_text("bookmark this page").wait_for()
        metrics["page_load_seconds"] = round(time.perf_counter() - started, 2)
        assert "session=" in page.url
        time.sleep(2)  # let the page settle: what is measured is the idle app
        metrics["app_idle_rss_mib"] = round(rss_mib(app.process.pid), 1)
        page.screenshot(path=ARTIFACTS / "1-scale-and-seed.png", full_page=True)

        households = page.locator("#field-households input")
        households.fill("0")
        error = page.locator("#error-households")
        error.get_by_text("expected a whole number from 1 to").wait_for()
        page.locator("#next").click()
        page.get_by_text("1 field to fix: Households").wait_for()
        assert page.get_by_text("Step 1 of 6").is_visible()
        page.screenshot(path=ARTIFACTS / "1-invalid-households.png", full_page=True)

        page.get_by_label("1K").check()
        error.wait_for(state="hidden")
        assert households.input_value() == "1000"
        page.get_by_text(f"{sum(expected_rows(GraphConfig(households=1000)).values()):,} rows expected in total").wait_for()
        names = {2: "households-and-demographics", 3: "identity-graph", 4: "engagement-and-campaigns", 5: "destination", 6: "review-and-launch"}
        for step, name in names.items():
            page.locator("#next").click()
            page.get_by_text(f"Step {step} of 6").wait_for()
            if step == 5:
                page.get_by_text("This run will be written to the folder").wait_for()
            if step == 6:
                page.get_by_text("Permission check:").wait_for()
                page.get_by_text("1,000 households").wait_for()
            page.screenshot(path=ARTIFACTS / f"{step}-{name}.png", full_page=True)

        # Reaching step 5 started the warm worker (for the preview): this first run waits for its
        # Spark start-up and first preview, as a launch on a freshly started app does.
        launched = time.perf_counter()
        page.locator("#launch").click()
        page.get_by_text("Tables: progress and row counts").wait_for()
        # Gradio's Dataframe renders cells as [data-testid="cell-<row>-<column>"]; rows are in TABLES order.
        cell = lambda row, column: page.locator(f'#run-progress [data-testid="cell-{row}-{column}"]')  # noqa: E731
        expect(cell(0, 1)).to_have_text("done", timeout=RUN_TIMEOUT_MS)
        page.screenshot(path=ARTIFACTS / "7-run-progress.png", full_page=True)
        page.locator("#run-status").get_by_text("succeeded").wait_for(timeout=RUN_TIMEOUT_MS)
        metrics["first_run_seconds"] = round(time.perf_counter() - launched, 2)
        (run,) = app.runs()
        manifest = json.loads((Path(run["spec"]["out"]) / "_manifest.json").read_text())
        assert manifest["tables"]["households"]["rows"] == 1000
        for row, table in enumerate(TABLES):
            expect(cell(row, 0)).to_have_text(table)
            expect(cell(row, 3)).to_have_text(f"{manifest['tables'][table]['rows']:,}")
        page.get_by_text(f"{len(run['checks'])} of {len(run['checks'])} checks passed").wait_for()
        page.locator("#run-samples").get_by_text("household_id").wait_for()
        page.locator("#run-location").get_by_text(run["spec"]["out"]).first.wait_for()
        page.screenshot(path=ARTIFACTS / "8-run-results.png", full_page=True)

        page.get_by_role("tab", name="Benchmarks").click()
        page.get_by_text("0 result file(s)").wait_for()
        page.screenshot(path=ARTIFACTS / "9-benchmarks-empty.png", full_page=True)

        second = second_run_with_preview(page, app, run, metrics["first_run_seconds"])
        metrics.update(second)
        browser.close()
    path = ARTIFACTS / "metrics.json"  # other browser tests add their own keys
    path.write_text(json.dumps({**(json.loads(path.read_text()) if path.exists() else {}), **metrics}, indent=2))


def second_run_with_preview(page, app: AppProcess, first: dict, first_run_seconds: float) -> dict[str, float]:
    """Back to step 1, a new seed, the review's preview (timed from Next), a second launch
    (timed from Launch to "succeeded"); checks the warm worker served it. Returns the metrics."""
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Launch").click()
    for step in range(5, 0, -1):
        page.locator("#back").click()
        page.get_by_text(f"Step {step} of 6").wait_for()
    page.locator("#field-seed input").fill("43")
    for step in range(2, 6):
        page.locator("#next").click()
        page.get_by_text(f"Step {step} of 6").wait_for()
    page.locator("#field-purpose input").fill("second")  # the first run's folder is taken this minute
    page.get_by_text("This run will be written to the folder").wait_for()
    expect(page.locator("#destination-preview")).to_contain_text("second_1k_")
    asked = time.perf_counter()
    page.locator("#next").click()
    households = page.locator('#review-preview table[data-table="households"]')
    expect(households.locator("tbody tr")).to_have_count(5, timeout=RUN_TIMEOUT_MS)
    preview_seconds = round(time.perf_counter() - asked, 2)
    note = page.locator("#review-preview .preview-note").inner_text()
    assert "warm engine" in note, note
    for table in TABLES:
        assert page.locator(f'#review-preview table[data-table="{table}"] tbody tr').count() >= 1, table
    columns = households.locator("thead th").all_inner_texts()
    shown = [row.locator("td").all_inner_texts() for row in households.locator("tbody tr").all()]
    page.screenshot(path=ARTIFACTS / "10-review-preview.png", full_page=True)

    launched = time.perf_counter()
    page.locator("#launch").click()
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        runs = [r for r in app.runs() if r["run_id"] != first["run_id"]]
        if runs and runs[0]["status"] in ("succeeded", "failed", "cancelled", "interrupted"):
            break
        time.sleep(0.1)
    second_run_seconds = round(time.perf_counter() - launched, 2)
    (run,) = runs
    assert run["status"] == "succeeded", run.get("error")
    page.locator("#run-status").get_by_text("succeeded").wait_for()
    assert run["worker_pid"] == first["worker_pid"] and run["warm"] and run["spark_seconds"] < 2, run
    assert second_run_seconds < first_run_seconds, (second_run_seconds, first_run_seconds)
    # The preview is what the run wrote: the households rows of keys 0-4, cell by cell.
    import pyarrow.parquet as pq

    written = pq.read_table(Path(run["spec"]["out"]) / "households").to_pylist()
    by_key = {str(r["household_id"]): r for r in written}
    for row in shown:
        cells = dict(zip(columns, row))
        expected = by_key[cells["household_id"]]
        for column in ("city", "state", "zip", "income_bracket", "household_size"):
            assert cells[column] == str(expected[column]), (column, cells, expected)
    # Where the second run's time went: the tables, then validation and samples.
    return {"second_run_seconds": second_run_seconds, "second_run_generation_seconds": round(run["generation_seconds"], 2), "preview_seconds": preview_seconds}


def test_sigterm_during_a_run_exits_within_15s_and_leaves_nothing_half_written(app):
    from gradio_client import Client

    client = Client(app.url, verbose=False)
    values = {**steps.default_values(False, str(app.folder / "out")), "households": 1_000_000}
    client.predict("sigterm-session", *[values[name] for name in steps.FIELD_NAMES], api_name="/launch")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        runs = app.runs()
        if runs and any(t.get("status") == "running" for t in runs[0].get("tables", {}).values()):
            break
        assert not runs or runs[0]["status"] in ("queued", "running"), runs
        time.sleep(0.2)
    else:
        raise AssertionError(f"the run never started writing a table: {app.runs()}")
    (run,) = app.runs()
    out = Path(run["spec"]["out"])
    assert list(out.parent.glob(f".{out.name}.staging-*")), "the engine should be mid-write in its staging folder"

    stopped = time.monotonic()
    app.process.send_signal(signal.SIGTERM)
    code = app.process.wait(timeout=30)
    exit_seconds = time.monotonic() - stopped
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "sigterm.json").write_text(json.dumps({"exit_seconds": round(exit_seconds, 2), "phase_at_sigterm": run.get("phase")}, indent=2))
    assert exit_seconds <= 15, exit_seconds
    assert code == 0, app.log.read_text()
    left = subprocess.run(["ps", "-o", "pid,ppid,stat,etimes,args", "-g", str(run["worker_pid"])], capture_output=True, text=True).stdout
    assert not group_alive(run["worker_pid"]), f"the worker (and Spark's JVM) must be gone:\n{left}"
    assert not out.exists()
    assert list(out.parent.iterdir()) == []
    (after,) = app.runs()
    assert after["status"] == "interrupted"
