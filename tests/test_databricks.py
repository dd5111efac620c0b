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
  the 429/503 bursts a test injects carry `Retry-After: 0`, and `retrying()` waits are
  shortened through its own `backoff` argument where a test drives many.
- The job entry point runs for real: the session-wide local Spark session writes catalog
  tables (Parquet: no Delta jars here) into a schema under the test's tmp folder.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import time

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, PermissionDenied

from engine import databricks as dbx
from engine import job as job_entry
from engine.config import ConfigError, GraphConfig
from engine.databricks.job_config import CLUSTER_COLUMNS, JobConfig
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


def job_json(households=1_000, overwrite=False, cluster=True, now=LAUNCHED, catalog=CATALOG, schema=SCHEMA, graph=None) -> str:
    graph = graph or GraphConfig(households=households, seed=7)
    return JobConfig.build(graph, catalog, schema, overwrite=overwrite, cluster=cluster, now=now).to_json()


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


def test_unreadable_grants_read_unknown_and_do_not_block(fake, alice):
    fake.forbidden.add(("CATALOG", CATALOG))
    grant_writer(fake)
    report = dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=False)
    assert report.missing == [] and not report.blocked and not report.ok
    assert report.unknown == [("USE_CATALOG", "CATALOG", "main")]
    assert f"USE_CATALOG on catalog main: {dbx.UNKNOWN_TEXT}" in report.message
    assert "The catalog main grants could not be read" in report.message
    assert "GRANT" not in report.message


def test_a_definite_gap_still_blocks_beside_an_unknown_one(fake, alice):
    fake.forbidden.add(("CATALOG", CATALOG))
    fake.grant(USER_NAME, "SCHEMA", f"{CATALOG}.{SCHEMA}", "USE_SCHEMA")
    report = dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=False)
    assert report.blocked and report.missing == [("CREATE_TABLE", "SCHEMA", "main.synthetic_data")]
    assert "GRANT CREATE TABLE ON SCHEMA `main`.`synthetic_data` TO `alice@example.com`;" in report.message


def test_a_grant_to_a_group_scim_does_not_list_reads_unknown_not_missing(fake, alice):
    grant_writer(fake)
    fake.grant("nested-writers", "SCHEMA", f"{CATALOG}.{SCHEMA}", "MODIFY")  # alice may be in it via a nested group
    report = dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=True)
    assert not report.blocked and report.unknown == [("MODIFY", "SCHEMA", "main.synthetic_data")]


def test_review_text_says_whose_grants_were_checked(fake, alice):
    from ui.jobs import UserIdentity, permission_text

    fake.forbidden.add(("CATALOG", CATALOG))
    grant_writer(fake)
    report = dbx.check_permissions(alice, CATALOG, SCHEMA, overwrite=False)
    assert "Some privileges unknown (the job re-checks before writing)" in permission_text(report)
    assert "tables are written with the App's grants" in permission_text(report)
    assert "your own grants" in permission_text(report, UserIdentity(USER_NAME, USER_TOKEN))


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
TOKEN = "0123456789abcdef0123456789abcdef"


def test_launch_with_job_id_uploads_config_and_runs_the_job_on_it_idempotently(fake, sp):
    fake.jobs.add(42)
    config = job_json()
    launch = dbx.launch_run(sp, config, volume_path=VOLUME, job_id=42, token=TOKEN)
    path = f"{VOLUME}/launches/{TOKEN}/config.json"
    assert launch.config_path == path and launch.token == TOKEN
    assert JobConfig.from_json(fake.files[path][0].decode()) == JobConfig.from_json(config)
    (run_now,) = fake.requests_to("/api/2.2/jobs/run-now")
    assert run_now.json() == {"job_id": 42, "job_parameters": {"config": path}, "idempotency_token": TOKEN}
    # The run's folder is keyed by its run id, not by the launch minute.
    record = json.loads(fake.files[f"{VOLUME}/runs/{launch.run_id}/run.json"][0])
    assert record["run_id"] == launch.run_id and record["launched_by"] == SP_NAME
    assert record["progress_path"] == f"{VOLUME}/runs/{launch.run_id}/progress.json"
    assert record["tables"]["households"] == "idgraph_1k_20261130t1015_households"


def test_a_retried_launch_with_the_same_token_gets_the_same_run(fake, sp):
    fake.jobs.add(42)
    first = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42, token=TOKEN)
    again = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42, token=TOKEN)
    assert again.run_id == first.run_id and len(fake.runs) == 1


def test_two_launches_in_the_same_minute_keep_separate_run_folders(fake, sp):
    fake.jobs.add(42)
    one = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42)
    two = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42)
    assert one.run_id != two.run_id and one.config_path != two.config_path
    assert {r.run_id for r in dbx.list_runs(sp, VOLUME)} == {one.run_id, two.run_id}


def test_launch_records_the_signed_in_user_as_launched_by(fake, sp):
    fake.jobs.add(42)
    launch = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42, launched_by=USER_NAME)
    assert json.loads(fake.files[f"{VOLUME}/runs/{launch.run_id}/run.json"][0])["launched_by"] == USER_NAME


def test_launch_without_job_id_submits_a_serverless_wheel_task_with_a_token(fake, sp):
    launch = dbx.launch_run(sp, job_json(), volume_path=VOLUME, wheel_path=WHEEL, token=TOKEN)
    (submit,) = fake.requests_to("/api/2.2/jobs/runs/submit")
    body = submit.json()
    (task,) = body["tasks"]
    assert body["idempotency_token"] == TOKEN
    assert task["python_wheel_task"] == {
        "package_name": "idgraph",
        "entry_point": "idgraph-job",
        "parameters": ["--config", f"{VOLUME}/launches/{TOKEN}/config.json", "--run-id", "{{job.run_id}}"],
    }
    assert body["environments"] == [{"environment_key": "idgraph", "spec": {"environment_version": dbx.SERVERLESS_ENVIRONMENT_VERSION, "dependencies": [WHEEL]}}]
    assert task["environment_key"] == "idgraph"
    assert launch.run_id in fake.runs


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
    with pytest.raises(ConfigError) as err:
        dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42, token="../x")
    assert err.value.field == "idempotency_token"
    with pytest.raises(ConfigError):
        dbx.launch_run(sp, '{"graph": {}, "destination": {"catalog": "x; DROP", "schema": "s", "launched_at": "2026-01-01T00:00:00"}}', volume_path=VOLUME, job_id=42)
    assert fake.files == {} and fake.runs == {}


def test_launch_for_an_unknown_job_fails_fast_with_the_servers_reason(fake, sp):
    started = time.monotonic()
    with pytest.raises(DatabricksError, match="Job 404 does not exist"):
        dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=404)
    assert time.monotonic() - started < 5


def test_launch_by_a_user_without_run_permission_on_the_job_is_a_403(fake, alice):
    fake.jobs.add(42)
    fake.jobs_forbidden.add(USER_NAME)
    with pytest.raises(PermissionDenied, match="CAN_MANAGE_RUN"):
        dbx.launch_run(alice, job_json(), volume_path=VOLUME, job_id=42)
    assert fake.runs == {}


def test_slow_run_is_polled_from_queued_through_blocked_to_success(fake, sp):
    fake.jobs.add(42)
    fake.run_steps = [("QUEUED", None), ("BLOCKED", None), ("PENDING", None), ("RUNNING", None), ("TERMINATED", "SUCCESS")]
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42).run_id
    states = poll_until_done(sp, run_id)
    assert [s.life_cycle for s in states] == ["QUEUED", "BLOCKED", "PENDING", "RUNNING", "TERMINATED"]
    assert "maximum concurrent runs" in states[0].state_message and not states[0].done
    assert states[2].life_cycle == "PENDING" and states[2].start_time is None
    assert states[3].task_state == "RUNNING" and states[3].elapsed_seconds >= 0
    final = states[-1]
    assert final.succeeded and final.result_state == "SUCCESS" and final.error is None
    assert final.start_time is not None and final.run_page_url.endswith(f"/run/{run_id}")
    assert fake.requests_to("/api/2.2/jobs/runs/get-output") == []
    assert final.progress is None  # no progress path asked for


def test_poll_reads_the_jobs_2_2_status_object_not_the_deprecated_state(fake, sp):
    fake.jobs.add(42)
    fake.send_legacy_state = False
    fake.run_steps = [("RUNNING", None), ("TERMINATED", "FAILED")]
    fake.run_error = "RuntimeError: boom"
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42).run_id
    final = poll_until_done(sp, run_id)[-1]
    assert final.result_state == "RUN_EXECUTION_ERROR" and final.termination_type == "CLIENT_ERROR"
    assert final.error == "generate: RuntimeError: boom"


def test_timed_out_run_fails_with_the_servers_message(fake, sp):
    fake.jobs.add(42)
    fake.run_steps = [("RUNNING", None), ("TERMINATED", "TIMEDOUT")]
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42).run_id
    final = poll_until_done(sp, run_id)[-1]
    assert final.done and not final.succeeded and not final.cancelled
    assert "timed out" in final.error


def test_internal_error_run_is_done_and_failed(fake, sp):
    fake.jobs.add(42)
    fake.run_steps = [("PENDING", None), ("INTERNAL_ERROR", None)]
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42).run_id
    final = poll_until_done(sp, run_id)[-1]
    assert final.done and final.result_state == "INTERNAL_ERROR" and final.termination_type == "INTERNAL_ERROR"
    assert not final.succeeded and "internal error" in final.error


@pytest.mark.parametrize("status, code", [(429, "REQUEST_LIMIT_EXCEEDED"), (503, "TEMPORARILY_UNAVAILABLE"), (500, "INTERNAL_ERROR")])
def test_poll_survives_a_burst_of_transient_errors(fake, sp, status, code):
    fake.jobs.add(42)
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42).run_id
    fake.fail_next += [("/api/2.2/jobs/runs/get", status, code)] * 3
    state = dbx.poll_run(sp, run_id)
    assert state.life_cycle == "PENDING"
    assert fake.fail_next == []  # all three failures were answered, then the call went through


def test_a_failure_that_outlasts_the_retries_is_raised_by_name(fake, sp):
    fake.jobs.add(42)
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42).run_id
    fake.fail_next += [("/api/2.2/jobs/runs/get", 500, "INTERNAL_ERROR")] * 3
    with pytest.raises(dbx.WorkspaceUnavailableError, match="after 2 attempts"):
        dbx.retrying(lambda: sp.jobs.get_run(run_id), attempts=2, backoff=0.01)


def test_a_403_is_not_retried(fake, sp):
    fake.jobs.add(42)
    fake.jobs_forbidden.add(SP_NAME)
    calls = []
    with pytest.raises(PermissionDenied):
        dbx.retrying(lambda: calls.append(1) or sp.jobs.get_run(1), backoff=0.01)
    assert len(calls) == 1


def test_poll_before_the_job_reports_progress_has_none(fake, sp):
    fake.jobs.add(42)
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42).run_id
    (record,) = dbx.list_runs(sp, VOLUME)
    assert record.progress_path == f"{VOLUME}/runs/{run_id}/progress.json"
    assert dbx.poll_run(sp, run_id, progress_path=record.progress_path).progress is None


def test_failed_run_surfaces_the_error_from_the_task_run_output(fake, sp):
    fake.jobs.add(42)
    fake.run_steps = [("RUNNING", None), ("TERMINATED", "FAILED")]
    fake.run_error = "PermissionError: alice@example.com cannot write tables into `main`.`synthetic_data`"
    fake.run_error_trace = "Traceback (most recent call last):\n  File \"engine/job.py\", line 1\nPermissionError: missing CREATE_TABLE"
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42).run_id
    final = poll_until_done(sp, run_id)[-1]
    assert final.done and not final.succeeded
    assert final.error.startswith("generate: PermissionError: alice@example.com cannot write")
    assert "missing CREATE_TABLE" in final.error
    (output,) = fake.requests_to("/api/2.2/jobs/runs/get-output")
    assert output.query["run_id"] == [str(fake.runs[run_id].task_run_id)]  # the task's run, not the job run
    assert "RUN_EXECUTION_ERROR" in final.summary()


def test_cancelled_run_ends_cancelled(fake, sp):
    fake.jobs.add(42)
    fake.run_steps = [("RUNNING", None)] * 5 + [("TERMINATED", "SUCCESS")]
    run_id = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42).run_id
    assert dbx.poll_run(sp, run_id).life_cycle == "RUNNING"
    dbx.cancel_run(sp, run_id)
    assert fake.requests_to("/api/2.2/jobs/runs/cancel")[0].json() == {"run_id": run_id}
    final = poll_until_done(sp, run_id)[-1]
    assert final.cancelled and not final.succeeded and final.error is None
    assert "cancel" in final.state_message.lower()


# ---- volume layout and run records -------------------------------------------------------------
@pytest.mark.parametrize("session_id", ["../escape", "a/b", "a b", "", "x" * 129])
def test_session_ids_cannot_leave_the_sessions_folder(session_id):
    with pytest.raises(ConfigError) as err:
        dbx.session_path(VOLUME, session_id)
    assert err.value.field == "session_id"


@pytest.mark.parametrize("run_id", ["../x", "12a", "", True])
def test_run_folders_are_keyed_by_digit_run_ids_only(run_id):
    with pytest.raises(ConfigError) as err:
        dbx.run_folder(VOLUME, run_id)
    assert err.value.field == "run_id"


@pytest.mark.parametrize("path", ["/tmp/x", "/Volumes/main/s", "/Volumes/main/s/v/../../x", "/Volumes/ma in/s/v", "/Volumes/main/s;DROP/v", "Volumes/main/s/v"])
def test_volume_paths_must_be_plain_uc_volume_paths(path):
    with pytest.raises(ConfigError) as err:
        dbx.volume_root(path)
    assert err.value.field == "volume_path"


def test_transfers_survive_a_503_burst(fake, alice):
    fake.fail_next += [("/api/2.0/fs/files/", 503, "TEMPORARILY_UNAVAILABLE")] * 2
    dbx.upload_text(alice, f"{VOLUME}/x.json", "{}")
    assert dbx.download_text(alice, f"{VOLUME}/x.json") == "{}"


def test_past_runs_are_listed_newest_first_from_the_volume(fake, sp):
    fake.jobs.add(42)
    first = dbx.launch_run(sp, job_json(now=LAUNCHED), volume_path=VOLUME, job_id=42).run_id
    second = dbx.launch_run(sp, job_json(households=1_000_000, now=LAUNCHED + dt.timedelta(hours=1)), volume_path=VOLUME, job_id=42).run_id
    # A restarted app has only the volume: a fresh client sees the same runs.
    fresh = WorkspaceClient(host=fake.url, client_id=SP_CLIENT_ID, client_secret=SP_SECRET)
    runs = dbx.list_runs(fresh, VOLUME)
    assert [r.run_id for r in runs] == [second, first]
    assert runs[0].prefix == "idgraph_1m_20261130t1115" and runs[0].manifest is None


def test_a_run_record_round_trips_and_an_older_record_still_reads(fake, sp):
    fake.jobs.add(42)
    launch = dbx.launch_run(sp, job_json(), volume_path=VOLUME, job_id=42, token=TOKEN)
    on_disk = json.loads(fake.files[f"{VOLUME}/runs/{launch.run_id}/run.json"][0])
    assert dbx.RunRecord.from_dict(on_disk) == launch.record and launch.record.to_dict() == on_disk
    assert launch.record.extra == {} and launch.record.manifest is None
    # A record written before run folders had a token and a manifest path, with a key this version
    # does not know: it reads, the missing fields None, and writes back with them null, the rest unchanged.
    older = {"run_id": 7, "job_id": 42, "prefix": "idgraph_1k_20250101t0000", "config_path": f"{VOLUME}/launches/x/config.json",
             "progress_path": f"{VOLUME}/runs/7/progress.json", "launched_at": "2025-01-01T00:00:00", "launched_by": SP_NAME,
             "destination": "main.synthetic_data", "tables": {"households": "h"}, "households": 1000, "seed": 42, "note": "kept"}
    dbx.upload_text(sp, f"{VOLUME}/runs/7/run.json", json.dumps(older))
    dbx.upload_text(sp, f"{VOLUME}/runs/7/manifest.json", json.dumps({"run_id": "7", "generator_manifest": {"config": {}, "format": "table", "tables": {}}}))
    record = next(r for r in dbx.list_runs(sp, VOLUME) if r.run_id == 7)
    assert record.token is None and record.manifest_path is None and record.extra == {"note": "kept"}
    assert record.manifest.run_id == "7" and record.manifest.generator_manifest.format == "table" and record.manifest.tags is None
    assert {k: v for k, v in record.to_dict().items() if v is not None} == older


# ---- the job entry point, writing real catalog tables with the local Spark session -------------
JOB_CATALOG = "spark_catalog"


@pytest.fixture
def job_schema(spark, tmp_path, request):
    """A fresh schema of the local session's catalog, its tables under the test's tmp folder."""
    schema = "idgraph_" + "".join(c for c in request.node.name.lower() if c.isalnum())[-40:]
    spark.sql(f"CREATE SCHEMA {JOB_CATALOG}.{schema} LOCATION '{tmp_path / 'warehouse'}'")
    yield schema
    spark.sql(f"DROP SCHEMA IF EXISTS {JOB_CATALOG}.{schema} CASCADE")


def tiny_job(schema, **kwargs) -> str:
    graph = GraphConfig(households=40, seed=7, content_items=20, campaigns=3)
    return job_json(catalog=JOB_CATALOG, schema=schema, graph=graph, **kwargs)


def grant_job_writer(fake, schema, principal=USER_NAME):
    fake.add_schema(JOB_CATALOG, schema)
    fake.grant(principal, "CATALOG", JOB_CATALOG, "USE_CATALOG")
    fake.grant(principal, "SCHEMA", f"{JOB_CATALOG}.{schema}", "USE_SCHEMA", "CREATE_TABLE", "MODIFY")


@pytest.mark.slow
def test_job_reads_volume_config_rechecks_and_writes_clustered_commented_tables(fake, sp, spark, job_schema, monkeypatch):
    fake.jobs.add(42)
    grant_job_writer(fake, job_schema)
    launch = dbx.launch_run(sp, tiny_job(job_schema), volume_path=VOLUME, job_id=42)
    # On the compute: credentials from the environment, the config only in the volume.
    monkeypatch.setenv("DATABRICKS_HOST", fake.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", USER_TOKEN)
    result = job_entry.run(["--config", launch.config_path, "--run-id", str(launch.run_id), "--table-format", "parquet"], spark=spark)

    households = f"{JOB_CATALOG}.{job_schema}.idgraph_40_20261130t1015_households"
    info = spark.catalog.getTable(households)
    assert info.description.startswith("households: one row per household")
    properties = {r["key"]: r["value"] for r in spark.sql(f"SHOW TBLPROPERTIES {households}").collect()}
    assert properties["idgraph.seed"] == "7" and properties["idgraph.synthetic"] == "true"
    assert properties["idgraph.job_run_id"] == str(launch.run_id)
    assert properties["clusteringColumns"] == json.dumps([[c] for c in CLUSTER_COLUMNS["households"]]).replace(" ", "")
    columns = {c.name: c.description for c in spark.catalog.listColumns(households)}
    assert columns["income_bracket"] == "income bracket by the configured weights"
    assert result.generator_manifest.tables["households"]["rows"] == 40
    # Tags are Unity Catalog's: this Spark refuses SET TAG, and the manifest says so per table.
    assert len(result.tags) == len(TABLES) * len(job_entry.TAGS)
    assert all(v.startswith("not applied") for v in result.tags.values())
    # Permissions were checked again by the job itself, as the job's identity.
    assert fake.requests_to("/api/2.1/unity-catalog/effective-permissions/")[-1].headers["Authorization"] == f"Bearer {USER_TOKEN}"
    # The manifest and progress land in the run's own folder; the app lists the run with them.
    (run,) = dbx.list_runs(sp, VOLUME)
    assert run.manifest == result and run.manifest.run_id == str(launch.run_id)
    assert run.manifest.tables["households"] == f"`{JOB_CATALOG}`.`{job_schema}`.`idgraph_40_20261130t1015_households`"
    state = dbx.poll_run(sp, run.run_id, progress_path=run.progress_path)
    assert len(state.progress.finished) == len(TABLES) and state.progress.running == []
    assert sorted(state.progress.finished) == sorted(WRITE_ORDER) and state.progress.rows_written > 0
    # progress.json holds what RunProgress writes and nothing no reader uses
    assert json.loads(fake.files[run.progress_path][0]) == state.progress.to_dict()


def test_job_stops_before_writing_when_a_privilege_was_revoked(fake, alice, spark, job_schema, tmp_path):
    fake.add_schema(JOB_CATALOG, job_schema)
    fake.grant(USER_NAME, "CATALOG", JOB_CATALOG, "USE_CATALOG")
    local = tmp_path / "config.json"
    local.write_text(tiny_job(job_schema))
    with pytest.raises(PermissionError, match=f"GRANT USE SCHEMA, CREATE TABLE ON SCHEMA `{JOB_CATALOG}`.`{job_schema}`"):
        job_entry.run(["--config", str(local)], workspace=alice, spark=spark)
    assert spark.sql(f"SHOW TABLES IN {JOB_CATALOG}.{job_schema}").count() == 0


def test_job_goes_ahead_when_grants_are_unreadable_and_the_write_decides(fake, alice, spark, tmp_path):
    schema = "idgraph_no_such_schema"  # granted in the fake, absent from Spark: the write itself refuses
    grant_job_writer(fake, schema)
    fake.forbidden.add(("SCHEMA", f"{JOB_CATALOG}.{schema}"))
    local = tmp_path / "config.json"
    local.write_text(tiny_job(schema))
    with pytest.raises(Exception, match="SCHEMA_NOT_FOUND") as err:
        job_entry.run(["--config", str(local), "--table-format", "parquet"], workspace=alice, spark=spark)
    assert not isinstance(err.value, PermissionError)
    assert fake.requests_to("/api/2.0/fs/") == []  # a local config: nothing read from or written to a volume


def test_job_with_a_missing_config_names_the_path(fake, alice, spark):
    with pytest.raises(ConfigError) as err:
        job_entry.run(["--config", f"{VOLUME}/launches/{TOKEN}/config.json"], workspace=alice, spark=spark)
    assert err.value.field == "--config"


def test_job_statements_quote_every_name():
    job = JobConfig.from_json(job_json())
    assert job_entry.tag_statements(job)[0] == "SET TAG ON TABLE `main`.`synthetic_data`.`idgraph_1k_20261130t1015_households` `synthetic` = `true`"


# ---- the job config the UI builds -------------------------------------------------------------
def test_job_config_round_trips_and_fixes_table_names_at_launch():
    built = JobConfig.from_json(job_json(households=10_000_000))
    assert JobConfig.from_json(built.to_json()) == built
    assert built.prefix == "idgraph_10m_20261130t1015"
    assert built.to_dict()["destination"] == {
        "catalog": "main", "schema": "synthetic_data", "purpose": "idgraph", "overwrite": False, "cluster": True,
        "launched_at": "2026-11-30T10:15:00+00:00",
    }


@pytest.mark.parametrize(
    "change, field",
    [
        ({"catalog": "main; DROP TABLE x"}, "catalog"),
        ({"schema": "a.b"}, "schema"),
        ({"purpose": "a b"}, "purpose"),
        ({"overwrite": "yes"}, "destination.overwrite"),
        ({"cluster": "yes"}, "destination.cluster"),
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


def test_cluster_columns_name_generated_columns():
    from engine.sql_comments import column_comments

    assert set(CLUSTER_COLUMNS) <= set(TABLES)
    assert all(1 <= len(columns) <= 4 for columns in CLUSTER_COLUMNS.values())  # Delta allows at most 4
