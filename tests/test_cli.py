"""The `idgraph` command line, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.dataset as ds
import pytest


def idgraph(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--households", "0"], "households: got 0"),
        (["--households", "-5"], "households: got -5"),
        (["--households", "abc"], "expected a whole number, got 'abc'"),
        (["--partitions", "0"], "partitions: got 0"),
    ],
)
def test_bad_generate_input_exits_2_with_a_clear_message_and_no_output(tmp_path, args, message):
    out = tmp_path / "out"
    result = idgraph("generate", "--out", str(out), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_bad_config_file_names_the_field(tmp_path):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"households": 10, "income_weights": {"<30K": 0.7, "100K+": 0.7}}))
    result = idgraph("generate", "--config", str(config), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "income_weights" in result.stderr and "sum to 1" in result.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_table_and_missing_run_are_refused(tmp_path):
    result = idgraph("sql", "people")
    assert result.returncode == 2 and "TABLE: got 'people'" in result.stderr
    result = idgraph("validate", str(tmp_path / "nothing"))
    assert result.returncode == 2 and "_manifest.json" in result.stderr


def test_sql_prints_the_rendered_query():
    result = idgraph("sql", "households", "--households", "5", "--seed", "9")
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("SELECT")
    assert "range(0, 5)" in result.stdout and "idgraph_uniform(9, 101, id)" in result.stdout


@pytest.mark.slow
def test_generate_validate_and_row_agree_end_to_end(tmp_path):
    out = tmp_path / "graph"
    result = idgraph("generate", "--households", "200", "--seed", "11", "--format", "parquet", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "8/8 response_events" in result.stderr
    assert (out / "_manifest.json").exists()

    result = idgraph("validate", str(out), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    checks = json.loads(result.stdout)
    assert checks and all(c["passed"] for c in checks)

    people = ds.dataset(str(out / "individuals")).to_table().to_pylist()
    expected = sorted(people, key=lambda r: r["individual_id"])[-1]
    result = idgraph("row", "individuals", str(expected["individual_id"]), "--households", "200", "--seed", "11")
    assert result.returncode == 0, result.stderr
    computed = json.loads(result.stdout)
    assert computed["email"] == expected["email"]
    # Parquet gives UTC-aware datetimes, Spark naive ones in the session's UTC
    naive = {k: v.replace(tzinfo=None) if hasattr(v, "tzinfo") else v for k, v in expected.items()}
    assert computed == json.loads(json.dumps(naive, default=str))


def test_exit_status_follows_the_failure_kind():
    from cli.main import exit_code
    from engine import ConfigError, JavaMissingError, OutputExistsError, OutputLockedError, SessionError, ShuttingDownError, TableWriteError

    assert exit_code(ConfigError("households", 0, "a whole number from 1")) == 2
    assert exit_code(OutputExistsError("out", "/x", "a path that does not exist yet")) == 2
    assert exit_code(SessionError("spark", None, "a session with a catalog")) == 2
    assert exit_code(JavaMissingError("Spark 4 needs Java 17 or newer")) == 4
    assert exit_code(ShuttingDownError("the app is shutting down")) == 1
    assert exit_code(OutputLockedError("out", "/x", "an output no other run is writing")) == 3
    assert exit_code(TableWriteError("households", "No space left on device")) == 1
