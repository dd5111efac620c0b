"""The job entry point on Spark Connect, as Databricks serverless runs it: only listed properties, same data.

The local Spark Connect server (pyspark's own, `tests/sparkprocs.py`) stands in for serverless
compute, and the fake workspace (`tests/fake_workspace.py`) for the workspace: the job reads
its config from the volume through the real databricks-sdk over HTTP, re-checks grants,
writes the eight catalog tables in one CREATE each, and reports progress into the run's
folder. What this cannot show: the server has no Delta jars (none can be fetched here), so
the tables are Parquet catalog tables made by the same statement with `USING parquet`;
Unity Catalog tags (SET TAG) are refused by open-source Spark and reported as not applied.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine import TABLES, serverless, session
from engine import databricks as dbx
from fake_workspace import SP_CLIENT_ID, SP_SECRET, USER_NAME, FakeWorkspace

REPO = Path(__file__).resolve().parent.parent
VOLUME = "/Volumes/main/synthetic_data/idgraph"
CATALOG, SCHEMA = "spark_catalog", "synthetic_data"
USER_TOKEN = "job-token"
CLIENT_TIMEOUT_SECONDS = 900


def test_every_property_idgraph_sets_on_any_session_is_on_the_serverless_list():
    assert set(session.SESSION_CONF) <= set(serverless.SERVERLESS_PROPERTIES)
    assert "spark.sql.parquet.outputTimestampType" not in session.SESSION_CONF  # folder sinks set it when they write
    assert serverless.SOURCE_URL.startswith("https://docs.databricks.com/")
    with pytest.raises(serverless.NotServerlessSafeError, match="spark.sql.parquet.outputTimestampType"):
        serverless.require_allowed(["spark.sql.session.timeZone", "spark.sql.parquet.outputTimestampType"])


@pytest.mark.slow
def test_job_over_spark_connect_sets_only_serverless_properties_and_writes_the_local_runs_data(daemons, local_hashes, small_config, tmp_path):
    url = daemons.start_connect_server(master="local[2]")
    with FakeWorkspace() as fake:
        fake.add_user(USER_TOKEN, USER_NAME)
        fake.add_schema(CATALOG, SCHEMA)
        fake.grant(USER_NAME, "CATALOG", CATALOG, "USE_CATALOG")
        fake.grant(USER_NAME, "SCHEMA", f"{CATALOG}.{SCHEMA}", "USE_SCHEMA", "CREATE_TABLE")
        fake.jobs.add(42)
        app = dbx.client(host=fake.url, client_id=SP_CLIENT_ID, client_secret=SP_SECRET)
        config = dbx.JobConfig.build(small_config, CATALOG, SCHEMA)
        launch = dbx.launch_run(app, config.to_json(), volume_path=VOLUME, job_id=42)

        out = tmp_path / "result.json"
        command = [
            sys.executable, str(REPO / "tests" / "serverless_job_client.py"), "--remote", url, "--out", str(out), "--schema", f"{CATALOG}.{SCHEMA}",
            "--", "--config", launch.config_path, "--run-id", str(launch.run_id), "--table-format", "parquet",
        ]  # fmt: skip
        env = {**daemons.env, "PYTHONPATH": str(REPO), "DATABRICKS_HOST": fake.url, "DATABRICKS_TOKEN": USER_TOKEN, "DATABRICKS_CONFIG_FILE": str(tmp_path / "none")}
        env = {k: v for k, v in env.items() if k not in ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET")}
        cwd = daemons.root / "client"
        cwd.mkdir(parents=True, exist_ok=True)
        log = tmp_path / "client.log"
        with log.open("w") as output:
            code = subprocess.run(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, timeout=CLIENT_TIMEOUT_SECONDS).returncode
        assert code == 0, log.read_text(errors="replace")[-4000:]
        record = json.loads(out.read_text())
        (run,) = dbx.list_runs(app, VOLUME)

    assert record["session_type"].startswith("pyspark.sql.connect")
    # Every property the job set on the Connect session is one serverless accepts.
    assert record["properties_set"], "the job sets the session time zone at least"
    assert set(record["properties_set"]) <= set(serverless.SERVERLESS_PROPERTIES), record["properties_set"]
    # The same rows as the embedded local run, table by table.
    assert sorted(record["hashes"]) == sorted(TABLES)
    assert record["hashes"] == local_hashes
    # One CREATE per table carried clustering, properties and comments.
    households = record["tables"]["households"]
    assert households["comment"].startswith("households: one row per household")
    assert households["columns"]["income_bracket"] == "income bracket by the configured weights"
    assert households["properties"]["idgraph.job_run_id"] == str(launch.run_id)
    assert households["properties"]["idgraph.synthetic"] == "true"
    assert households["properties"]["clusteringColumns"] == '[["state"],["income_bracket"]]'
    # Progress and manifest went to the run's own folder, where the app reads them.
    assert run.manifest.run_id == str(launch.run_id)
    assert sorted(run.manifest.generator_manifest.tables) == sorted(TABLES)
    daemons.stop()
    assert daemons.leftovers() == []
