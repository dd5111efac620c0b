"""engine.databricks and engine.job against a fake workspace, through the real, unmodified SDK.

`tests/fake_workspace.py` serves the REST routes on 127.0.0.1; the tests build real
`WorkspaceClient`s pointed at it and monkeypatch nothing in the SDK. What makes the SDK
work against a loopback server:

- `host="http://127.0.0.1:PORT"`: the SDK accepts a plain-http host as given; it only adds
  `https://` to a host without a scheme.
- Host metadata: on start the SDK GETs `/.well-known/databricks-config`; the fake answers
  with `oidc_endpoint = <host>/oidc`, so OIDC discovery
  (`/oidc/.well-known/oauth-authorization-server`) and the client-credentials token
  (`/oidc/v1/token`) stay on the fake. Nothing reaches the internet.
- The environment is cleaned per test: every `DATABRICKS_*` variable is removed and
  `DATABRICKS_CONFIG_FILE` points at a missing file, so a developer's `~/.databrickscfg`
  or an App's variables cannot leak into a test. (That is the process environment; the
  SDK's code is untouched.)
- Fast failures: the fake's errors are 400/401/403/404/409, which the SDK does not retry;
  nothing returns 429 or 503.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import time

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError

from engine import databricks as dbx
from engine import job as job_entry
from engine.config import ConfigError, GraphConfig
from engine.job_config import ZORDER_COLUMNS, JobConfig
from engine.generate import WRITE_ORDER
from engine.keys import TABLES
from fake_workspace import SP_CLIENT_ID, SP_NAME, SP_SECRET, USER_NAME, FakeWorkspace

CATALOG, SCHEMA = "main", "synthetic_data"
VOLUME = "/Volumes/main/synthetic_data/idgraph"
WHEEL = "/Volumes/main/synthetic_data/idgraph/wheels/idgraph-0.1.0-py3-none-any.whl"
USER_TOKEN = "user-token-alice"
LAUNCHED = dt.datetime(2026, 11, 30, 10, 15, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith("DATABRICKS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))


@pytest.fixture
def fake():
    with FakeWorkspace() as workspace:
        workspace.add_schema(CATALOG, SCHEMA)
        workspace.add_user(USER_TOKEN, USER_NAME, groups=["data-eng"])
        yield workspace
        assert not workspace.unhandled, [f"{r.method} {r.path}" for r in workspace.unhandled]


@pytest.fixture
def sp(fake) -> WorkspaceClient:
    """The app's service principal, exactly as user code would build it."""
    return WorkspaceClient(host=fake.url, client_id=SP_CLIENT_ID, client_secret=SP_SECRET)


@pytest.fixture
def alice(fake) -> WorkspaceClient:
    """A user with a token (the PAT variant)."""
    return WorkspaceClient(host=fake.url, token=USER_TOKEN)


def grant_writer(fake, principal=USER_NAME, overwrite=False):
    fake.grant(principal, "CATALOG", CATALOG, "USE_CATALOG")
    fake.grant(principal, "SCHEMA", f"{CATALOG}.{SCHEMA}", "USE_SCHEMA", "CREATE_TABLE", *(["MODIFY"] if overwrite else []))


def job_json(households=1_000, overwrite=False, zorder=False, now=LAUNCHED) -> str:
    return JobConfig.build(GraphConfig(households=households, seed=7), CATALOG, SCHEMA, overwrite=overwrite, zorder=zorder, now=now).to_json()


def poll_until_done(w, run_id, limit=20):
    states = []
    for _ in range(limit):
        state = dbx.poll_run(w, run_id)
        states.append(state)
        if state.done:
            return states
    raise AssertionError(f"run {run_id} never finished: {[s.life_cycle for s in states]}")


# ---- identity ---------------------------------------------------------------------------------
def test_service_principal_authenticates_with_oauth_client_credentials(fake, sp):
    assert dbx.current_user(sp) == SP_NAME
    assert sp.config.auth_type == "oauth-m2m"
    (token_request,) = fake.requests_to("/oidc/v1/token")
    assert token_request.headers["Authorization"] == "Basic " + base64.b64encode(f"{SP_CLIENT_ID}:{SP_SECRET}".encode()).decode()
    assert "grant_type=client_credentials" in token_request.body.decode()
    (me,) = fake.requests_to("/api/2.0/preview/scim/v2/Me")
    assert me.headers["Authorization"].startswith("Bearer oauth-")


def test_client_takes_service_principal_from_app_environment(fake, monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", SP_CLIENT_ID)
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", SP_SECRET)
    w = dbx.client()
    assert w.config.auth_type == "oauth-m2m"
    assert dbx.current_user(w) == SP_NAME


def test_forwarded_user_token_is_what_the_server_sees_even_with_app_credentials_set(fake, monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", SP_CLIENT_ID)
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", SP_SECRET)
    w = dbx.client(user_token=USER_TOKEN)
    assert dbx.current_user(w) == USER_NAME
    assert [r.headers["Authorization"] for r in fake.requests_to("/api/")] == [f"Bearer {USER_TOKEN}"]
    assert fake.requests_to("/oidc/v1/token") == []


def test_personal_access_token_client(fake):
    w = dbx.client(host=fake.url, token=USER_TOKEN)
    assert w.config.auth_type == "pat"
    assert dbx.current_user(w) == USER_NAME


def test_client_with_credentials_but_no_host_names_the_host():
    with pytest.raises(ConfigError) as err:
        dbx.client(token="t")
    assert err.value.field == "host"


def test_wrong_client_secret_fails_fast_without_retrying(fake):
    started = time.monotonic()
    with pytest.raises(Exception, match="invalid_client"):
        WorkspaceClient(host=fake.url, client_id=SP_CLIENT_ID, client_secret="wrong").current_user.me()
    assert time.monotonic() - started < 5


# ---- permissions ------------------------------------------------------------------------------
def test_permission_granted_directly(fake, alice):
    grant_writer(fake)
    report = dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=False)
    assert report.ok and report.missing == []
    assert report.principal == USER_NAME
    assert "can write tables into `main`.`synthetic_data`" in report.message
    paths = {r.path for r in fake.requests_to("/api/2.1/unity-catalog/effective-permissions/")}
    assert paths == {
        "/api/2.1/unity-catalog/effective-permissions/catalog/main",
        "/api/2.1/unity-catalog/effective-permissions/schema/main.synthetic_data",
    }


def test_permission_granted_to_a_group_on_the_catalog_is_inherited_by_the_schema(fake, alice):
    fake.grant("data-eng", "CATALOG", CATALOG, "USE_CATALOG", "USE_SCHEMA", "CREATE_TABLE", "MODIFY")
    fake.grant("bob@example.com", "SCHEMA", f"{CATALOG}.{SCHEMA}", "SELECT")  # another page of results
    report = dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=True)
    assert report.ok, report.message
    # The paginated form was read to the end.
    assert any("page_token" in r.query for r in fake.requests_to("/api/2.1/unity-catalog/effective-permissions/"))


def test_all_privileges_satisfies_every_requirement(fake, alice):
    fake.grant("account users", "CATALOG", CATALOG, "ALL_PRIVILEGES")
    assert dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=True).ok


def test_missing_create_table_is_named_with_the_grant_to_run(fake, alice):
    fake.grant(USER_NAME, "CATALOG", CATALOG, "USE_CATALOG")
    fake.grant(USER_NAME, "SCHEMA", f"{CATALOG}.{SCHEMA}", "USE_SCHEMA")
    report = dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=False)
    assert not report.ok
    assert report.missing == [("CREATE_TABLE", "SCHEMA", "main.synthetic_data")]
    assert "CREATE_TABLE on schema main.synthetic_data" in report.message
    assert "GRANT CREATE TABLE ON SCHEMA `main`.`synthetic_data` TO `alice@example.com`;" in report.message


def test_missing_use_catalog_is_named_with_the_grant_to_run(fake, alice):
    fake.grant(USER_NAME, "SCHEMA", f"{CATALOG}.{SCHEMA}", "USE_SCHEMA", "CREATE_TABLE")
    report = dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=False)
    assert report.missing == [("USE_CATALOG", "CATALOG", "main")]
    assert "GRANT USE CATALOG ON CATALOG `main` TO `alice@example.com`;" in report.message


def test_overwriting_also_needs_modify(fake, alice):
    grant_writer(fake)
    assert dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=False).ok
    report = dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=True)
    assert report.missing == [("MODIFY", "SCHEMA", "main.synthetic_data")]
    assert "GRANT MODIFY ON SCHEMA" in report.message


def test_grants_to_other_principals_do_not_count(fake, alice):
    grant_writer(fake, principal="bob@example.com", overwrite=True)
    report = dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=False)
    assert [m.privilege for m in report.missing] == ["USE_CATALOG", "USE_SCHEMA", "CREATE_TABLE"]
    assert "GRANT USE SCHEMA, CREATE TABLE ON SCHEMA `main`.`synthetic_data`" in report.message


def test_owning_the_schema_covers_its_privileges_but_not_the_catalogs(fake, alice):
    fake.add_schema(CATALOG, SCHEMA, schema_owner=USER_NAME)
    report = dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=True)
    assert report.missing == [("USE_CATALOG", "CATALOG", "main")]


def test_missing_catalog_is_reported_not_raised(fake, alice):
    report = dbx.check_permissions(alice, "nope", SCHEMA, overwrite=False)
    assert not report.ok
    assert ("USE_CATALOG", "CATALOG", "nope") in report.missing
    assert "The catalog nope does not exist" in report.message
    assert "GRANT" not in report.message  # nothing to grant on what is not there


def test_unreadable_permissions_count_as_missing_with_the_grant_to_run(fake, alice):
    fake.forbidden.add(("CATALOG", CATALOG))
    grant_writer(fake)
    report = dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=False)
    assert report.missing == [("USE_CATALOG", "CATALOG", "main")]
    assert "The catalog main could not be checked" in report.message
    assert "GRANT USE CATALOG ON CATALOG `main`" in report.message


def test_explicit_principal_is_asked_for_and_only_its_grants_count(fake, sp):
    grant_writer(fake, principal=USER_NAME)
    grant_writer(fake, principal=SP_NAME)
    assert dbx.check_permissions(sp, CATALOG, SCHEMA, overwrite=False, principal=SP_NAME).ok
    assert {r.query["principal"][0] for r in fake.requests_to("/api/2.1/unity-catalog/effective-permissions/")} == {SP_NAME}
    assert not dbx.check_permissions(sp, CATALOG, SCHEMA, overwrite=False, principal="carol@example.com").ok


@pytest.mark.parametrize("catalog, schema", [("main; DROP TABLE x", SCHEMA), (CATALOG, "a.b"), (CATALOG, "a`b"), ("", SCHEMA)])
def test_unsafe_names_are_refused_before_any_request(fake, alice, catalog, schema):
    with pytest.raises(ConfigError):
        dbx.check_permissions(alice, catalog, schema, overwrite=False)
    assert fake.requests_to("/api/") == []


# ---- jobs -------------------------------------------------------------------------------------
def test_launch_with_job_id_uploads_config_and_runs_the_job_on_it(fake, sp):
    fake.jobs.add(42)
    config = job_json()
    run_id = dbx.launch_run(sp, config, volume_path=VOLUME, job_id=42)
    path = f"{VOLUME}/runs/idgraph_1k_20261130t1015/config.json"
    assert JobConfig.from_json(fake.files[path][0].decode()) == JobConfig.from_json(config)
    (run_now,) = fake.requests_to("/api/2.2/jobs/run-now")
    assert run_now.json() == {"job_id": 42, "job_parameters": {"config": path}}
    record = json.loads(fake.files[f"{VOLUME}/runs/idgraph_1k_20261130t1015/run.json"][0])
    assert record["run_id"] == run_id and record["launched_by"] == SP_NAME
    assert record["tables"]["households"] == "idgraph_1k_20261130t1015_households"


def test_launch_without_job_id_submits_a_serverless_wheel_task(fake, sp):
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, wheel_path=WHEEL)
    (submit,) = fake.requests_to("/api/2.2/jobs/runs/submit")
    body = submit.json()
    (task,) = body["tasks"]
    assert task["python_wheel_task"] == {
        "package_name": "idgraph",
        "entry_point": "idgraph-job",
        "parameters": ["--config", f"{VOLUME}/runs/idgraph_1k_20261130t1015/config.json"],
    }
    assert body["environments"] == [{"environment_key": "idgraph", "spec": {"environment_version": "2", "dependencies": [WHEEL]}}]
    assert task["environment_key"] == "idgraph"
    assert run_id in fake.runs


def test_launch_on_a_cluster_installs_the_wheel_as_a_library(fake, sp):
    dbx.launch_run(sp, job_json(), volume_path=VOLUME, wheel_path=WHEEL, cluster_id="0101-abc")
    (task,) = fake.requests_to("/api/2.2/jobs/runs/submit")[0].json()["tasks"]
    assert task["existing_cluster_id"] == "0101-abc"
    assert task["libraries"] == [{"whl": WHEEL}]


def test_launch_refuses_bad_arguments_before_uploading_anything(fake, sp):
    with pytest.raises(ConfigError) as err:
        dbx.launch_run(sp, job_json(), volume_path=VOLUME)
    assert err.value.field == "wheel_path"
    with pytest.raises(ConfigError) as err:
        dbx.launch_run(sp, job_json(), volume_path="/Volumes/main/synthetic_data", job_id=42)
    assert err.value.field == "volume_path"
    with pytest.raises(ConfigError):
        dbx.launch_run(sp, '{"graph": {}, "destination": {"catalog": "x; DROP", "schema": "s", "launched_at": "2026-01-01T00:00:00"}}', volume_path=VOLUME, job_id=42)
    assert fake.files == {} and fake.runs == {}


def test_launch_for_an_unknown_job_fails_fast_with_the_servers_reason(fake, sp):
    started = time.monotonic()
    with pytest.raises(DatabricksError, match="Job 404 does not exist"):
        dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=404)
    assert time.monotonic() - started < 5


def test_slow_run_is_polled_from_pending_to_success(fake, sp):
    fake.jobs.add(42)
    fake.run_steps = [("PENDING", None), ("PENDING", None), ("RUNNING", None), ("RUNNING", None), ("TERMINATED", "SUCCESS")]
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42)
    states = poll_until_done(sp, run_id)
    assert [s.life_cycle for s in states] == ["PENDING", "PENDING", "RUNNING", "RUNNING", "TERMINATED"]
    assert states[0].state_message == "Waiting for cluster" and states[0].start_time is None
    assert states[2].task_state == "RUNNING" and states[2].elapsed_seconds >= 0
    final = states[-1]
    assert final.succeeded and final.result_state == "SUCCESS" and final.error is None
    assert final.start_time is not None and final.run_page_url.endswith(f"/run/{run_id}")
    assert fake.requests_to("/api/2.2/jobs/runs/get-output") == []
    assert final.progress is None  # no progress path asked for


def test_poll_before_the_job_reports_progress_has_none(fake, sp):
    fake.jobs.add(42)
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42)
    (record,) = dbx.list_runs(sp, VOLUME)
    assert record["progress_path"] == f"{VOLUME}/runs/idgraph_1k_20261130t1015/progress.json"
    assert dbx.poll_run(sp, run_id, progress_path=record["progress_path"]).progress is None


def test_failed_run_surfaces_the_error_from_the_task_run_output(fake, sp):
    fake.jobs.add(42)
    fake.run_steps = [("RUNNING", None), ("TERMINATED", "FAILED")]
    fake.run_error = "PermissionError: alice@example.com cannot write tables into `main`.`synthetic_data`"
    fake.run_error_trace = "Traceback (most recent call last):\n  File \"engine/job.py\", line 1\nPermissionError: missing CREATE_TABLE"
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42)
    final = poll_until_done(sp, run_id)[-1]
    assert final.done and not final.succeeded and final.result_state == "FAILED"
    assert final.error.startswith("generate: PermissionError: alice@example.com cannot write")
    assert "missing CREATE_TABLE" in final.error
    (output,) = fake.requests_to("/api/2.2/jobs/runs/get-output")
    assert output.query["run_id"] == [str(fake.runs[run_id].task_run_id)]  # the task's run, not the job run
    assert "FAILED" in final.summary()


def test_cancelled_run_ends_canceled(fake, sp):
    fake.jobs.add(42)
    fake.run_steps = [("RUNNING", None)] * 5 + [("TERMINATED", "SUCCESS")]
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42)
    assert dbx.poll_run(sp, run_id).life_cycle == "RUNNING"
    dbx.cancel_run(sp, run_id)
    assert fake.requests_to("/api/2.2/jobs/runs/cancel")[0].json() == {"run_id": run_id}
    final = poll_until_done(sp, run_id)[-1]
    assert final.result_state == "CANCELED" and final.error
    assert "cancel" in final.state_message.lower()


# ---- checkpoints and run records -------------------------------------------------------------
def test_checkpoint_upload_and_reload(fake, alice):
    text = json.dumps({"step": 3, "graph": GraphConfig(households=5000).to_dict()})
    path = dbx.upload_checkpoint(alice, VOLUME, "session-1", text)
    assert path == f"{VOLUME}/sessions/session-1.json"
    assert dbx.load_checkpoint(alice, VOLUME, "session-1") == text
    (put,) = fake.requests_to("/api/2.0/fs/files/", "PUT")
    assert put.query["overwrite"] == ["true"] and put.headers["Authorization"] == f"Bearer {USER_TOKEN}"


def test_checkpoint_overwrite_and_missing_and_listing(fake, alice):
    assert dbx.load_checkpoint(alice, VOLUME, "never") is None
    assert dbx.list_checkpoints(alice, VOLUME) == []
    dbx.upload_checkpoint(alice, VOLUME, "older", '{"step": 1}')
    time.sleep(0.01)
    dbx.upload_checkpoint(alice, VOLUME, "newer", '{"step": 1}')
    dbx.upload_checkpoint(alice, VOLUME, "newer", '{"step": 2}')
    assert dbx.load_checkpoint(alice, VOLUME, "newer") == '{"step": 2}'
    assert dbx.list_checkpoints(alice, VOLUME) == ["newer", "older"]


@pytest.mark.parametrize("session_id", ["../escape", "a/b", "a b", "", "x" * 129])
def test_checkpoint_session_ids_cannot_leave_the_sessions_folder(fake, alice, session_id):
    with pytest.raises(ConfigError) as err:
        dbx.upload_checkpoint(alice, VOLUME, session_id, "{}")
    assert err.value.field == "session_id"


@pytest.mark.parametrize("path", ["/tmp/x", "/Volumes/main/s", "/Volumes/main/s/v/../../x", "/Volumes/ma in/s/v", "/Volumes/main/s;DROP/v", "Volumes/main/s/v"])
def test_volume_paths_must_be_plain_uc_volume_paths(path):
    with pytest.raises(ConfigError) as err:
        dbx.volume_root(path)
    assert err.value.field == "volume_path"


def test_checkpoint_must_be_json(fake, alice):
    with pytest.raises(json.JSONDecodeError):
        dbx.upload_checkpoint(alice, VOLUME, "s", "not json")


def test_past_runs_are_listed_newest_first_from_the_volume(fake, sp):
    fake.jobs.add(42)
    first = dbx.launch_run(sp, job_json(now=LAUNCHED), volume_path=VOLUME, job_id=42)
    second = dbx.launch_run(sp, job_json(households=1_000_000, now=LAUNCHED + dt.timedelta(hours=1)), volume_path=VOLUME, job_id=42)
    # A restarted app has only the volume: a fresh client sees the same runs.
    fresh = WorkspaceClient(host=fake.url, client_id=SP_CLIENT_ID, client_secret=SP_SECRET)
    runs = dbx.list_runs(fresh, VOLUME)
    assert [r["run_id"] for r in runs] == [second, first]
    assert runs[0]["prefix"] == "idgraph_1m_20261130t1115" and runs[0]["manifest"] is None


# ---- the job entry point ----------------------------------------------------------------------
class RecordingSpark:
    """Stands in for the cluster's session: the job only calls .sql() for OPTIMIZE."""

    def __init__(self):
        self.statements = []

    def sql(self, statement):
        self.statements.append(statement)


class RecordingGenerate:
    def __init__(self):
        self.calls = []

    def __call__(self, config, **kwargs):
        """Reports progress with the same events as engine.generate.generate."""
        self.calls.append((config, kwargs))
        report = kwargs.get("on_progress") or (lambda event: None)
        for index, table in enumerate(WRITE_ORDER):
            report({"event": "started", "table": table, "index": index, "total": len(TABLES)})
            report({"event": "finished", "table": table, "index": index, "total": len(TABLES), "rows": 10, "seconds": 0.1})
        manifest = {"tables": {t: {"rows": 10} for t in TABLES}, "seed": config.seed}
        report({"event": "done", "manifest": manifest})
        return manifest


def test_job_reads_volume_config_rechecks_and_generates_named_tagged_tables(fake, sp, monkeypatch):
    fake.jobs.add(42)
    grant_writer(fake, overwrite=True)
    dbx.launch_run(sp, job_json(overwrite=True), volume_path=VOLUME, job_id=42)
    config_path = f"{VOLUME}/runs/idgraph_1k_20261130t1015/config.json"
    # On the cluster: credentials from the environment, the config only in the volume.
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", USER_TOKEN)
    spark, generate = RecordingSpark(), RecordingGenerate()
    result = job_entry.run(["--config", config_path, "--zorder"], spark=spark, generate=generate)

    (config, kwargs), = generate.calls
    assert config == GraphConfig(households=1_000, seed=7)
    assert kwargs["out"] == "main.synthetic_data" and kwargs["format"] == "table" and kwargs["overwrite"] is True
    assert kwargs["spark"] is spark
    assert kwargs["table_names"]["response_events"] == "idgraph_1k_20261130t1015_response_events"
    assert set(kwargs["table_names"]) == set(TABLES)
    assert kwargs["table_properties"] == {"idgraph.seed": "7", "idgraph.version": job_entry.generator_version(), "idgraph.config_hash": config.config_hash()}
    assert "OPTIMIZE `main`.`synthetic_data`.`idgraph_1k_20261130t1015_households` ZORDER BY (`state`, `income_bracket`)" in spark.statements
    assert all(s.startswith("OPTIMIZE `main`.`synthetic_data`.`idgraph_1k_20261130t1015_") for s in spark.statements)
    # Permissions were checked again by the job itself, as the job's identity.
    assert fake.requests_to("/api/2.1/unity-catalog/effective-permissions/")[-1].headers["Authorization"] == f"Bearer {USER_TOKEN}"
    # The manifest lands beside the config, so the app lists the run with it.
    assert result["generator_manifest"]["seed"] == 7
    (run,) = dbx.list_runs(sp, VOLUME)
    assert run["manifest"]["tables"]["households"] == "`main`.`synthetic_data`.`idgraph_1k_20261130t1015_households`"
    # Per-table progress was written as the tables were, and the app's poll reads it.
    progress_puts = [r for r in fake.requests_to("/api/2.0/fs/files/", "PUT") if r.path.endswith("/progress.json")]
    assert len(progress_puts) == 2 * len(TABLES)
    assert json.loads(progress_puts[0].body) | {"updated_at": None} == {
        "tables_done": 0, "tables_total": len(TABLES), "tables_finished": [], "current_tables": [WRITE_ORDER[0]],
        "current_table": WRITE_ORDER[0], "rows_written": 0, "updated_at": None,
    }
    state = dbx.poll_run(sp, run["run_id"], progress_path=run["progress_path"])
    assert state.progress["tables_done"] == len(TABLES) and state.progress["rows_written"] == 10 * len(TABLES)
    assert state.progress["tables_finished"] == list(WRITE_ORDER)


def test_job_progress_that_cannot_be_written_does_not_fail_the_run(fake, sp, capsys):
    fake.jobs.add(42)
    grant_writer(fake, principal=SP_NAME)
    dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42)
    fake.refuse_uploads.add("progress.json")
    config_path = f"{VOLUME}/runs/idgraph_1k_20261130t1015/config.json"
    result = job_entry.run(["--config", config_path], workspace=sp, spark=RecordingSpark(), generate=RecordingGenerate())
    assert result["generator_manifest"]["seed"] == 7
    assert f"{VOLUME}/runs/idgraph_1k_20261130t1015/manifest.json" in fake.files
    assert "could not write progress" in capsys.readouterr().err


def test_job_stops_before_writing_when_a_privilege_was_revoked(fake, alice, tmp_path):
    fake.grant(USER_NAME, "CATALOG", CATALOG, "USE_CATALOG")
    local = tmp_path / "config.json"
    local.write_text(job_json())
    generate = RecordingGenerate()
    with pytest.raises(PermissionError, match="GRANT USE SCHEMA, CREATE TABLE ON SCHEMA `main`.`synthetic_data`"):
        job_entry.run(["--config", str(local)], workspace=alice, spark=RecordingSpark(), generate=generate)
    assert generate.calls == []


def test_job_reads_a_local_config_and_skips_zorder_unless_asked(fake, alice, tmp_path):
    grant_writer(fake)
    local = tmp_path / "config.json"
    local.write_text(job_json())
    spark = RecordingSpark()
    job_entry.run(["--config", str(local)], workspace=alice, spark=spark, generate=RecordingGenerate())
    assert spark.statements == []
    assert fake.requests_to("/api/2.0/fs/") == []  # nothing read from or written to a volume


def test_job_zorder_can_come_from_the_config(fake, alice, tmp_path):
    grant_writer(fake)
    local = tmp_path / "config.json"
    local.write_text(job_json(zorder=True))
    spark = RecordingSpark()
    job_entry.run(["--config", str(local)], workspace=alice, spark=spark, generate=RecordingGenerate())
    assert len(spark.statements) == len(job_entry.zorder_statements(JobConfig.from_json(job_json())))


def test_job_with_a_missing_config_names_the_path(fake, alice):
    with pytest.raises(ConfigError) as err:
        job_entry.run(["--config", f"{VOLUME}/runs/none/config.json"], workspace=alice, spark=RecordingSpark(), generate=RecordingGenerate())
    assert err.value.field == "--config"


# ---- the job config the UI builds -------------------------------------------------------------
def test_job_config_round_trips_and_fixes_table_names_at_launch():
    built = JobConfig.from_json(job_json(households=10_000_000))
    assert JobConfig.from_json(built.to_json()) == built
    assert built.prefix == "idgraph_10m_20261130t1015"
    assert built.to_dict()["destination"] == {
        "catalog": "main", "schema": "synthetic_data", "purpose": "idgraph", "overwrite": False, "zorder": False,
        "launched_at": "2026-11-30T10:15:00+00:00",
    }


@pytest.mark.parametrize(
    "change, field",
    [
        ({"catalog": "main; DROP TABLE x"}, "catalog"),
        ({"schema": "a.b"}, "schema"),
        ({"purpose": "a b"}, "purpose"),
        ({"overwrite": "yes"}, "destination.overwrite"),
        ({"launched_at": "soon"}, "destination.launched_at"),
        ({"extra": 1}, "destination.extra"),
    ],
)
def test_job_config_refuses_bad_destinations_by_field(change, field):
    data = json.loads(job_json())
    data["destination"].update(change)
    with pytest.raises(ConfigError) as err:
        JobConfig.from_dict(data)
    assert err.value.field == field


def test_zorder_columns_name_generated_tables():
    assert set(ZORDER_COLUMNS) <= set(TABLES)
