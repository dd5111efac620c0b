"""The Spark properties Databricks serverless compute lets a notebook or job set, in one place.

Serverless compute refuses every other property (`CONFIG_NOT_AVAILABLE`), so a property
idgraph sets on a session that may be serverless must be on this list; `engine.session`
applies nothing else to a Spark Connect session, and `tests/test_serverless.py` runs the job
entry point over Spark Connect and checks what it set against `SERVERLESS_PROPERTIES`.

Source: Databricks, "Set Spark configuration properties on Databricks", section "Configure
Spark properties for serverless notebooks and jobs" (`SOURCE_URL`). The list is the page's
table as of 2026-12; when Databricks adds a property there, add it here with its default.
"""

from __future__ import annotations

from typing import Iterable, Mapping

SOURCE_URL = "https://docs.databricks.com/aws/en/spark/conf#configure-spark-properties-for-serverless-notebooks-and-jobs"

# Property -> the default serverless documents for it.
SERVERLESS_PROPERTIES: Mapping[str, str] = {
    "spark.databricks.execution.timeout": "9000",  # seconds; notebooks only
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    "spark.sql.session.timeZone": "Etc/UTC",
    "spark.sql.shuffle.partitions": "auto",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.files.maxPartitionBytes": "128m",
}


class NotServerlessSafeError(ValueError):
    """A Spark property serverless compute would refuse."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        super().__init__(f"Spark properties {keys} are not on the serverless list {sorted(SERVERLESS_PROPERTIES)} ({SOURCE_URL})")


def allowed(key: str) -> bool:
    """True when serverless compute lets a session set `key`."""
    return key in SERVERLESS_PROPERTIES


def require_allowed(keys: Iterable[str]) -> None:
    """Raise NotServerlessSafeError naming every key serverless would refuse."""
    refused = sorted(k for k in keys if not allowed(k))
    if refused:
        raise NotServerlessSafeError(refused)
