"""The same graph over Spark Connect and on a standalone cluster as in the embedded session.

Each test starts real Spark processes with pyspark's own `sbin` scripts (`tests/sparkprocs.py`),
runs `python -m cli.submit` against them in a subprocess, and compares the content hash of
every written table with the local run's (the shared `written_graph`). The client runs in a
subprocess because a second classic session cannot share the pytest process with the fixture's,
and a Connect session would switch pyspark's functions into Connect mode for every later test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine import TABLES
from sparkprocs import JVM_OPTS, SparkDaemons

REPO = Path(__file__).resolve().parent.parent
# A generous ceiling for one client run on a busy 2-core machine (it takes well under a minute idle).
CLIENT_TIMEOUT_SECONDS = 600
# Executors on workers with 1 core and 1g each: one small executor per worker.
CLUSTER_CONF = {
    "spark.executor.memory": "512m",
    "spark.executor.cores": "1",
    "spark.cores.max": "2",
    "spark.driver.memory": "1g",
    "spark.driver.host": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.driver.extraJavaOptions": JVM_OPTS,
    "spark.executor.extraJavaOptions": JVM_OPTS,
}


def run_client(daemons: SparkDaemons, session_args: list[str], config_json: str, work: Path) -> dict:
    """`python -m cli.submit <session_args>` writing small_config as Delta; its --hashes record."""
    config_file, hashes = work / "config.json", work / "hashes.json"
    config_file.write_text(config_json)
    command = [
        sys.executable, "-m", "cli.submit", *session_args,
        "--config", str(config_file), "--out", str(work / "graph"), "--format", "delta", "--hashes", str(hashes),
    ]  # fmt: skip
    # Run inside the daemons' folder, so stop() also finds a driver JVM a failed run left behind.
    cwd = daemons.root / "client"
    cwd.mkdir(parents=True, exist_ok=True)
    env = {**daemons.env, "PYTHONPATH": str(REPO)}
    log = work / "client.log"
    with log.open("w") as output:
        code = subprocess.run(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, timeout=CLIENT_TIMEOUT_SECONDS).returncode
    assert code == 0, f"cli.submit failed ({code}), end of {log}:\n" + log.read_text(errors="replace")[-4000:]
    return json.loads(hashes.read_text())


@pytest.mark.slow
def test_spark_connect_run_writes_the_same_tables_as_the_local_run(daemons, local_hashes, small_config, tmp_path):
    url = daemons.start_connect_server(master="local[2]")

    record = run_client(daemons, ["--remote", url], small_config.to_json(), tmp_path)

    assert record["remote"] == url
    assert sorted(record["hashes"]) == sorted(TABLES)
    assert record["hashes"] == local_hashes
    daemons.stop()
    assert daemons.leftovers() == []


@pytest.mark.slow
def test_standalone_cluster_run_writes_the_same_tables_as_the_local_run(daemons, local_hashes, small_config, tmp_path):
    master, work_dirs = daemons.start_cluster(workers=2, cores=1, memory="1g")
    conf = [arg for key, value in CLUSTER_CONF.items() for arg in ("--conf", f"{key}={value}")]

    record = run_client(daemons, ["--master", master, *conf], small_config.to_json(), tmp_path)

    assert record["master"] == master
    assert record["hashes"] == local_hashes
    # Both workers ran an executor of the application: the work was really distributed.
    assert all(list(work.glob("app-*/*/stderr")) for work in work_dirs), [list(w.rglob("*")) for w in work_dirs]
    daemons.stop()
    assert daemons.leftovers() == []
