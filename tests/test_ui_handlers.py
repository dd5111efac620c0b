"""The app's handlers called directly: step gating, inline errors, checkpoints, review, launch -> results.

The page is built in-process (no server); handlers return {component: update} and the
tests read those. Local launches use `tests/ui_fake_worker.py` (same JSON protocol, no
Spark; the real worker runs in tests/test_ui_e2e.py). The Unity Catalog path runs against
the fake workspace through the real databricks-sdk.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import gradio as gr
import pytest

from engine import TABLES, GraphConfig
from engine import databricks as dbx
from ui import steps
from ui.app import listen_address
from ui.page import build_page
from ui.benchmarks import BenchmarkRun
from ui.context import AppContext
from ui.jobs import JobsExecution, WorkspaceSettings
from ui.runner import Runner
from ui.state import LocalStore, VolumeStore

FAKE_WORKER = [sys.executable, str(Path(__file__).with_name("ui_fake_worker.py"))]


def make_page(tmp_path, settings=None, store=None, executions=None):
    store = store or LocalStore(tmp_path / "state")
    runner = Runner(store, command=FAKE_WORKER, executions=executions)
    ctx = AppContext(store, runner, settings or WorkspaceSettings(), BenchmarkRun(), out_root=str(tmp_path / "out"), bench_results=tmp_path / "bench")
    return build_page(ctx)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """One page for the tests that only need their own session id (building a page takes seconds)."""
    page = make_page(tmp_path_factory.mktemp("page"))
    yield page
    page.ctx.runner.shutdown()


def raw(values):
    return [values[name] for name in steps.FIELD_NAMES]


def shown_errors(page, out):
    """{field: message} of the error boxes this update makes visible."""
    return {name: out[box]["value"] for name, box in page.form.errors.items() if box in out and out[box].get("visible")}


def defaults(page):
    return steps.default_values(False, page.ctx.out_root)


def test_next_is_refused_while_the_step_is_invalid_and_the_error_shows_at_the_field(page):
    values = {**defaults(page), "households": 0}
    out = page.form.on_next("refused", 1, *raw(values))
    assert out[page.form.step] == 1
    assert shown_errors(page, out) == {"households": "⚠ Got 0; expected a whole number from 1 to 1 trillion households."}
    assert out[page.form.parts["message"]] == "⚠ 1 field to fix: Households."
    assert page.ctx.store.load_checkpoint("refused") is None


def test_a_valid_step_moves_on_and_is_checkpointed(page):
    values = {**defaults(page), "households": 1000}
    out = page.form.on_next("valid-step", 1, *raw(values))
    assert out[page.form.step] == 2
    assert [out[g]["visible"] for g in page.form.groups] == [False, True, False, False, False, False]
    saved = page.ctx.store.load_checkpoint("valid-step")
    assert saved["step"] == 2 and saved["values"]["households"] == 1000


def test_live_check_shows_errors_while_typing_and_blanks_the_row_preview(page):
    out = page.form.on_edit("live", 2, *raw({**defaults(page), "age_sd": "0"}))
    assert shown_errors(page, out) == {"age_sd": "⚠ Got 0.0; expected a number above 0 to 100 years."}
    assert out[page.form.parts["preview_table"]]["value"] == []
    assert out[page.form.parts["message"]] == "⚠ 1 field to fix: Age standard deviation."
    fixed = page.form.on_edit("live", 2, *raw({**defaults(page), "age_sd": "12"}))
    assert shown_errors(page, fixed) == {} and fixed[page.form.parts["message"]] == ""


def test_every_edit_is_saved_as_typed_so_a_reload_restores_it_at_its_step(page):
    page.form.on_edit("typist", 3, *raw({**defaults(page), "identifiers.maximum": "9", "seed": "1.5"}))
    out = page.form.on_load(gr.Request(query_params={"session": "typist"}))
    assert out[page.form.step] == 3
    assert out[page.form.inputs["identifiers.maximum"]] == "9" and out[page.form.inputs["seed"]] == "1.5"
    assert "Resumed session `typist` at step 3, as last edited" in out[page.form.parts["note"]]
    # Restoring the values fires their change events; the live check they run must not wipe the note
    # (it did: the resume line vanished before the user, or a browser test, could read it).
    after = page.form.on_edit("typist", 3, *raw({**defaults(page), "identifiers.maximum": "9", "seed": "1.5"}))
    assert page.form.parts["note"] not in after


def test_step_5_is_checked_live_and_its_preview_never_contradicts_an_error(page):
    out = page.form.on_edit("dest", 5, *raw({**defaults(page), "folder": "", "purpose": "bad name!"}))
    assert set(shown_errors(page, out)) == {"folder", "purpose"}
    assert shown_errors(page, out)["folder"].startswith("⚠ Empty; expected a folder path")
    assert "appear here once these are valid: Purpose (name prefix), Parent folder (local)" in out[page.form.parts["destination_preview"]]
    fixed = page.form.on_edit("dest", 5, *raw(defaults(page)))
    assert shown_errors(page, fixed) == {} and fixed[page.form.parts["message"]] == ""
    assert "This run will be written to the folder" in fixed[page.form.parts["destination_preview"]]


def test_back_needs_no_valid_step(page):
    out = page.form.on_back("back", 3, *raw({**defaults(page), "identifiers.minimum": 99}))
    assert out[page.form.step] == 2


def test_a_session_in_the_url_restores_its_form_and_step(tmp_path):
    first = make_page(tmp_path)
    values = {**defaults(first), "households": 2500, "seed": 99}
    first.form.on_next("sess1", 1, *raw(values))
    first.ctx.runner.shutdown()
    restarted = make_page(tmp_path)  # a new app process over the same state folder
    try:
        out = restarted.form.on_load(gr.Request(query_params={"session": "sess1"}))
        assert out[restarted.form.session] == "sess1"
        assert out[restarted.form.step] == 2
        assert out[restarted.form.inputs["households"]] == 2500 and out[restarted.form.inputs["seed"]] == 99
        fresh = restarted.form.on_load(gr.Request(query_params={}))
        assert fresh[restarted.form.session] != "sess1" and fresh[restarted.form.step] == 1
    finally:
        restarted.ctx.runner.shutdown()


def test_review_shows_config_json_download_sql_and_no_permission_needed_locally(page):
    values = {**defaults(page), "households": 3000}  # a folder name no other test's run takes
    out = page.form.on_next("reviewer", 5, *raw(values))
    p = page.form.parts
    assert out[page.form.step] == 6
    assert GraphConfig.from_json(out[p["config_json"]]) == GraphConfig(households=3000)
    download = Path(out[p["download"]]["value"])
    assert GraphConfig.from_json(download.read_text()).households == 3000
    assert out[p["sql"]].lstrip().startswith("SELECT") and "household_id" in out[p["sql"]]
    assert "Not needed" in out[p["permission"]]
    assert out[p["launch"]]["visible"] and out[p["launch"]]["interactive"]
    assert "individuals" in page.form.on_sql("individuals", *raw(values))


def test_uploading_a_config_file_fills_the_form_and_shows_its_errors(page, tmp_path):
    good = tmp_path / "good.json"
    good.write_text(GraphConfig(households=4321, seed=5).to_json())
    out = page.form.on_upload("uploader", 3, str(good), *raw(defaults(page)))
    assert out[page.form.inputs["households"]] == "4321" and out[page.form.step] == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"households": 10, "response_rate": 7}))
    out = page.form.on_upload("uploader", 1, str(bad), *raw(defaults(page)))
    assert out[page.form.step] == 4
    assert list(shown_errors(page, out)) == ["response_rate"]
    noisy = tmp_path / "noisy.json"  # fields without an input on the form are kept, not dropped
    noisy.write_text(json.dumps({"households": 10, "noise_rate": 0.1}))
    out = page.form.on_upload("uploader", 1, str(noisy), *raw(defaults(page)))
    kept = {name: out[page.form.inputs[name]] for name in steps.FIELD_NAMES}
    assert steps.config_from_values(kept).noise_rate == 0.1
    noisy.write_text(json.dumps({"households": 10, "noise_rate": 7}))
    out = page.form.on_upload("uploader", 1, str(noisy), *raw(defaults(page)))
    assert out[page.form.step] == 6 and "1 field to fix: Noise rate" in out[page.form.parts["message"]]
    assert "Fix Noise rate in the config file" in out[page.form.parts["summary"]]
    other = tmp_path / "other-tool.json"
    other.write_text(json.dumps({"name": "x", "columns": [1], "rows": 10}))
    out = page.form.on_upload("uploader", 1, str(other), *raw(defaults(page)))
    assert out[page.form.parts["message"]] == "⚠ other-tool.json: This file is not an idgraph config: start from one downloaded on the review step of this form."


def test_launch_queues_a_worker_and_the_runs_tab_shows_progress_and_results(page):
    values = {**defaults(page), "households": 1000}
    out = page.launch("launcher", 6, False, *raw(values))
    run_id = out[page.runs.parts["run_select"]]["value"]
    assert out[page.tabs].selected == "runs"
    record = page.ctx.runner.wait(run_id, 30)
    assert record["status"] == "succeeded"
    tick = page.runs.on_tick("launcher", None, {})
    p = page.runs.parts
    progress = tick[p["progress"]]
    assert [row[0] for row in progress] == list(TABLES)
    assert progress[0][1:4] == ["done", "1,000", "10"]  # status, expected, written (the fake writes 10)
    assert tick[p["checks"]] == [["primary_keys_unique", "PASS", "0", "keys are unique"], ["household_size_matches", "FAIL", "3", "sizes match"]]
    assert "1 of 2 checks passed" in tick[p["checks_summary"]]
    assert tick[p["samples"]] == {"headers": ["id", "value"], "data": [["1", "households-a"], ["2", "households-b"]]}
    assert json.loads(tick[p["manifest"]])["total_rows"] == 360
    assert record["spec"]["out"] in tick[p["location"]]
    assert "succeeded" in tick[p["status"]]
    again = page.runs.on_tick("launcher", run_id, tick[p["shown"]])
    assert p["checks"] not in again and p["samples"] not in again  # results are sent once, not every tick
    assert page.runs.on_tick("someone-else", None, {})[p["history"]] == []


def test_a_launch_with_an_invalid_field_goes_back_to_its_step(page):
    out = page.launch("invalid-launch", 6, False, *raw({**defaults(page), "campaigns": 0}))
    assert out[page.form.step] == 4
    assert list(shown_errors(page, out)) == ["campaigns"]
    assert page.ctx.runner.runs_for("invalid-launch") == []


def test_cancel_from_the_runs_tab_stops_the_run(page):
    values = {**defaults(page), "households": 2000}  # another folder than the launch test's run
    run_id = page.launch("canceller", 6, False, *raw(values))[page.runs.parts["run_select"]]["value"]
    deadline = time.monotonic() + 30
    while not page.ctx.runner.snapshot(run_id)["tables"] and time.monotonic() < deadline:
        time.sleep(0.05)
    message = page.runs.on_cancel("canceller", run_id)
    assert "Cancelling" in message
    assert page.ctx.runner.wait(run_id, 15)["status"] in ("cancelled", "succeeded")
    assert "Nothing to cancel" in page.runs.on_cancel("canceller", run_id)


def test_listens_on_localhost_and_on_all_interfaces_in_a_databricks_app():
    assert listen_address(None, None, {}) == ("127.0.0.1", 7860)
    assert listen_address(None, 9000, {}) == ("127.0.0.1", 9000)
    assert listen_address("127.0.0.1", 9000, {"DATABRICKS_APP_PORT": "8000"}) == ("0.0.0.0", 8000)


# ---- Unity Catalog against the fake workspace ---------------------------------------------------
VOLUME = "/Volumes/main/synthetic_data/idgraph"
WHEEL = f"{VOLUME}/wheels/idgraph-0.1.0-py3-none-any.whl"


@pytest.fixture
def workspace(monkeypatch, tmp_path):
    from fake_workspace import SP_CLIENT_ID, SP_SECRET, FakeWorkspace

    for key in list(os.environ):
        if key.startswith("DATABRICKS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", SP_CLIENT_ID)
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", SP_SECRET)
    with FakeWorkspace() as fake:
        fake.add_schema("main", "synthetic_data")
        yield fake


def test_unity_catalog_review_checks_permissions_and_launch_runs_a_job(workspace, tmp_path):
    from fake_workspace import SP_NAME

    settings = WorkspaceSettings(host=workspace.url, volume=VOLUME, wheel=WHEEL)
    store = VolumeStore(settings.client(), VOLUME, tmp_path / "state")
    page = make_page(tmp_path, settings, store, {"databricks": lambda runner, run_id: JobsExecution(runner, run_id, settings, poll_seconds=0.05)})
    try:
        values = {**steps.default_values(True), "households": 1000, "catalog": "main", "schema": "synthetic_data"}
        assert values["destination"] == steps.UNITY_CATALOG
        out = page.form.on_next("uc-session", 5, *raw(values))
        p = page.form.parts
        assert "Missing privileges" in out[p["permission"]] and "GRANT USE CATALOG ON CATALOG `main`" in out[p["permission"]]
        assert out[p["launch"]]["interactive"] is False
        assert json.loads(dbx.download_text(settings.client(), dbx.session_path(VOLUME, "uc-session")))["step"] == 6

        workspace.grant(SP_NAME, "CATALOG", "main", "USE_CATALOG")
        workspace.grant(SP_NAME, "SCHEMA", "main.synthetic_data", "USE_SCHEMA", "CREATE_TABLE")
        out = page.form.on_next("uc-session", 5, *raw(values))
        assert "Allowed" in out[p["permission"]] and out[p["launch"]]["interactive"]

        run_id = page.launch("uc-session", 6, False, *raw(values))[page.runs.parts["run_select"]]["value"]
        record = page.ctx.runner.wait(run_id, 30)
        assert record["status"] == "succeeded", record
        (submit,) = workspace.requests_to("/api/2.2/jobs/runs/submit")
        assert submit.json()["tasks"][0]["python_wheel_task"]["entry_point"] == "idgraph-job"
        assert record["table_names"]["households"].endswith("_households")
        assert [r["run_id"] for r in store.load_runs()] == [run_id]
    finally:
        page.ctx.runner.shutdown()


ALICE, ALICE_TOKEN = "alice@example.com", "alice-forwarded-token"


def signed_in(email, token=None, session=None):
    """A request as the Databricks Apps proxy forwards it (user authorization gives the token)."""
    headers = {"x-forwarded-email": email, **({"x-forwarded-access-token": token} if token else {})}
    return gr.Request(query_params={"session": session} if session else {}, headers=headers)


def test_with_user_authorization_the_check_runs_as_the_user_and_the_run_records_them(workspace, tmp_path):
    workspace.add_user(ALICE_TOKEN, ALICE)
    workspace.grant(ALICE, "CATALOG", "main", "USE_CATALOG")
    workspace.grant(ALICE, "SCHEMA", "main.synthetic_data", "USE_SCHEMA", "CREATE_TABLE")
    workspace.jobs.add(42)
    settings = WorkspaceSettings(host=workspace.url, volume=VOLUME, job_id=42)
    store = VolumeStore(settings.client(), VOLUME, tmp_path / "state")
    page = make_page(tmp_path, settings, store, {"databricks": lambda runner, run_id: JobsExecution(runner, run_id, settings, poll_seconds=0.05)})
    try:
        session = page.form.on_load(signed_in(ALICE, ALICE_TOKEN))[page.form.session]
        values = {**steps.default_values(True), "households": 1000, "catalog": "main", "schema": "synthetic_data"}
        out = page.form.on_next(session, 5, *raw(values))
        p = page.form.parts
        # The service principal holds no grant: "Allowed" means the user's own grants were read.
        assert "Allowed" in out[p["permission"]] and "your own grants" in out[p["permission"]], out[p["permission"]]
        checks = workspace.requests_to("/api/2.1/unity-catalog/effective-permissions/")
        assert {r.headers["Authorization"] for r in checks} == {f"Bearer {ALICE_TOKEN}"}
        run_id = page.launch(session, 6, False, *raw(values))[page.runs.parts["run_select"]]["value"]
        record = page.ctx.runner.wait(run_id, 30)
        assert record["status"] == "succeeded", record
        (launched,) = dbx.list_runs(settings.client(), VOLUME)
        assert launched.launched_by == ALICE
        # The checkpoint names its owner (never the token).
        saved = json.loads(dbx.download_text(settings.client(), dbx.session_path(VOLUME, session)))
        assert saved["owner"] == ALICE and ALICE_TOKEN not in json.dumps(saved)

        # Bob, given Alice's link, gets a 403 message and a session of his own.
        bob = page.form.on_load(signed_in("bob@example.com", session=session))
        assert bob[page.form.session] != session
        assert "403" in bob[p["note"]] and "belongs to another user" in bob[p["note"]]
        assert page.ctx.runner.runs_for(bob[page.form.session]) == []
        assert not page.ctx.runner.cancel(run_id, bob[page.form.session])
    finally:
        page.ctx.runner.shutdown()


def test_without_user_authorization_the_review_says_tables_are_written_with_the_apps_grants(workspace, tmp_path):
    from fake_workspace import SP_NAME

    workspace.grant(SP_NAME, "CATALOG", "main", "USE_CATALOG")
    workspace.grant(SP_NAME, "SCHEMA", "main.synthetic_data", "USE_SCHEMA", "CREATE_TABLE")
    settings = WorkspaceSettings(host=workspace.url, volume=VOLUME, wheel=WHEEL)
    page = make_page(tmp_path, settings, VolumeStore(settings.client(), VOLUME, tmp_path / "state"))
    try:
        session = page.form.on_load(signed_in(ALICE))[page.form.session]  # e-mail only: no user token
        values = {**steps.default_values(True), "households": 1000, "catalog": "main", "schema": "synthetic_data"}
        out = page.form.on_next(session, 5, *raw(values))
        assert "tables are written with the App's grants" in out[page.form.parts["permission"]]
    finally:
        page.ctx.runner.shutdown()


def test_a_databricks_app_offers_no_local_folder(workspace, tmp_path):
    settings = WorkspaceSettings.from_env({"DATABRICKS_HOST": workspace.url, "IDGRAPH_VOLUME": VOLUME, "IDGRAPH_JOB_ID": "42", "DATABRICKS_APP_PORT": "8000"})
    assert settings.in_app and settings.max_concurrent_runs == 4
    page = make_page(tmp_path, settings, VolumeStore(settings.client(), VOLUME, tmp_path / "state"))
    try:
        assert page.form.inputs["destination"].choices == [(steps.UNITY_CATALOG, steps.UNITY_CATALOG)]
    finally:
        page.ctx.runner.shutdown()


def test_several_unity_catalog_runs_go_at_once_up_to_the_jobs_limit(workspace, tmp_path):
    from engine.databricks import JobConfig

    workspace.jobs.add(42)
    workspace.run_steps = [("RUNNING", None)] * 10_000  # they stay running while the test looks
    settings = WorkspaceSettings(host=workspace.url, volume=VOLUME, job_id=42, max_concurrent_runs=2)
    runner = Runner(LocalStore(tmp_path / "state"), executions={"databricks": lambda r, run_id: JobsExecution(r, run_id, settings, poll_seconds=0.05)}, kind_limits={"databricks": 2})
    try:
        ids = []
        for households in (1000, 2000, 3000):  # three launches into one schema, each its own table names
            job = JobConfig.build(GraphConfig(households=households), "main", "synthetic_data")
            ids.append(runner.submit("s", {"job": job.to_dict(), "prefix": job.prefix, "location": job.destination.schema_name}, "databricks"))
        deadline = time.monotonic() + 30
        while len(workspace.runs) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        assert len(workspace.runs) == 2  # two Jobs runs at once; the third waits for a slot
        assert [runner.snapshot(i)["status"] for i in ids].count("queued") == 1
    finally:
        runner.shutdown()


def test_the_poller_survives_an_error_while_reading_the_manifest(workspace, tmp_path):
    from engine.databricks import JobConfig

    workspace.jobs.add(42)
    workspace.fail_next.append(("/manifest.json", 403, "PERMISSION_DENIED"))
    settings = WorkspaceSettings(host=workspace.url, volume=VOLUME, job_id=42)
    runner = Runner(LocalStore(tmp_path / "state"), executions={"databricks": lambda r, run_id: JobsExecution(r, run_id, settings, poll_seconds=0.05)})
    try:
        job = JobConfig.build(GraphConfig(households=1000), "main", "synthetic_data")
        run_id = runner.submit("s", {"job": job.to_dict(), "prefix": job.prefix, "location": job.destination.schema_name}, "databricks")
        record = runner.wait(run_id, 30)
        assert workspace.fail_next == []  # the manifest read failed once ...
        assert record["status"] == "succeeded", record  # ... and the next round finished the run
    finally:
        runner.shutdown()


def test_the_review_previews_five_rows_of_every_table_and_refuses_bad_settings_with_the_form_message(page):
    values = {**defaults(page), "households": 4321, "seed": "11"}  # a folder name no other test's run takes
    page.form.on_next("preview", 4, *raw(values))  # reaching step 5 starts the preview in the background
    out = page.form.on_next("preview", 5, *raw(values))
    assert out[page.form.step] == 6
    assert out[page.form.parts["rows_preview"]].startswith("Computing the first rows")
    shown = page.form.on_preview("preview", steps.REVIEW_STEP, *raw(values))
    for table in TABLES:
        assert f'<table data-table="{table}">' in shown
    assert shown.count("<td>11</td>") == 5 * len(TABLES)  # the fake worker's rows carry the seed
    assert page.form.on_preview("preview", 2, *raw(values)) == ""
    bad = page.form.on_preview("preview", steps.REVIEW_STEP, *raw({**values, "households": "0"}))
    assert bad == "⚠ Fix Households on step 1 first: Got 0; expected a whole number from 1 to 1 trillion households."
    assert "Traceback" not in bad


def test_the_preview_says_the_engine_is_busy_during_a_run_instead_of_waiting(tmp_path, monkeypatch):
    monkeypatch.setenv("IDGRAPH_FAKE_SLOW_SECONDS", "0.5")  # read by the warm worker this page starts
    page = make_page(tmp_path)
    values = {**defaults(page), "households": 1000, "seed": "12"}
    run_id, _ = page.form.on_launch("busy", steps.REVIEW_STEP, False, *raw({**values, "purpose": "slow_preview"}))
    assert run_id is not None
    deadline = time.monotonic() + 30
    while not page.ctx.runner.snapshot(run_id)["tables"] and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    shown = page.form.on_preview("busy", steps.REVIEW_STEP, *raw({**values, "seed": "13"}))
    assert time.monotonic() - started < 5  # answered at once, never after the run (5 s: a loaded machine)
    assert shown.startswith("⏳ No preview yet: the engine is busy with a generation run")
    assert page.ctx.runner.wait(run_id, 30)["status"] == "succeeded"
    assert "<td>13</td>" in page.form.on_preview("busy", steps.REVIEW_STEP, *raw({**values, "seed": "13"}))
    page.ctx.runner.shutdown()
