"""The Spark session: one place that decides how idgraph talks to Spark.

Locally it starts an embedded `local[N]` session in UTC with Parquet timestamps in
microseconds; on Databricks, a cluster or Spark Connect the caller passes its own
session and only the SQL session settings idgraph needs are applied. A Spark Connect
session may be Databricks serverless, which refuses any property not on its list
(`engine.serverless`): on one, idgraph sets nothing else.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from typing import TYPE_CHECKING

from .errors import JavaMissingError

if TYPE_CHECKING:  # PySpark is imported where a session is made, so `import engine` works without it
    from pyspark.sql import SparkSession

from engine import serverless

# SQL settings every run needs, applied to any session (also remote ones): each is on the
# serverless list (checked below), so a serverless job may set them.
SESSION_CONF = {
    # Timestamps are built from Unix seconds and read back in UTC everywhere.
    "spark.sql.session.timeZone": "UTC",
}
serverless.require_allowed(SESSION_CONF)

# Settings for Parquet files idgraph writes itself (folder sinks: engine.sinks.DirectorySink
# sets them when it writes). Catalog tables never need them, so the job never sets them.
FILE_OUTPUT_CONF = {
    # int96 timestamps are deprecated and delta-rs wants microseconds.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
}

# Settings that change speed, never results: applied where the server allows them (a
# managed workspace may refuse some).
TUNING_CONF = {
    # lower() of ASCII hex digits by the JVM, not ICU: same text, several times cheaper.
    "spark.sql.icu.caseMappings.enabled": "false",
}

# The embedded JVM's options: UTC everywhere, nothing for speed. Every whole-stage generated
# method fits the JIT's 8,000-byte limit (engine/codegen.py checks it per table), so a JVM
# started with no options at all (a managed cluster, serverless, Spark Connect) runs the
# generators as fast. `-XX:-DontCompileHugeMethods` is an optional tuning only (docs/clusters.md).
JAVA_OPTIONS = "-Duser.timezone=UTC"

# Settings that only make sense for the embedded local JVM.
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.driver.memory": "4g",
    "spark.sql.adaptive.enabled": "true",
}


def java_major_version(java: str | None = None) -> int | None:
    """Major version of the `java` on PATH (or JAVA_HOME), or None when there is none."""
    java = java or (os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else shutil.which("java"))
    if not java or not os.path.exists(java):
        return None
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    for token in out.split():
        token = token.strip('"')
        if token[:1].isdigit():
            return int(token.split(".")[0])
    return None


def require_java() -> None:
    """Fail fast, naming what to install, when Spark would not find a usable Java."""
    major = java_major_version()
    if major is None or major < 17:
        found = "no java" if major is None else f"Java {major}"
        raise JavaMissingError(
            f"Spark 4 needs Java 17 or newer, found {found}. Install it (Debian/Ubuntu: "
            "`apt-get install -y openjdk-17-jre-headless`) or set JAVA_HOME to a JDK 17+."
        )


def local_session(
    cores: int | str = "*", app_name: str = "idgraph", extra: dict[str, str] | None = None, java_options: str | None = JAVA_OPTIONS
) -> SparkSession:
    """Start (or reuse) the embedded local Spark session with idgraph's settings.

    `java_options`: the driver's and executors' extra JVM options; None or "" starts the JVM
    with none at all, as a managed cluster or serverless gives (the bench's plain-JVM cell).
    """
    require_java()
    # Python workers must run this interpreter, not whatever `python3` is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(f"local[{cores}]").appName(app_name)
    jvm = {"spark.driver.extraJavaOptions": java_options, "spark.executor.extraJavaOptions": java_options} if java_options else {}
    for key, value in {**LOCAL_CONF, **jvm, **SESSION_CONF, **FILE_OUTPUT_CONF, **(extra or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    return configure(spark)


def is_connect(spark: SparkSession) -> bool:
    """True for a Spark Connect session (what Databricks serverless compute gives a job)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def configure(spark: SparkSession) -> SparkSession:
    """Apply the SQL settings idgraph relies on to any session, local or remote.

    Speed-only settings go to classic sessions, and to Connect sessions only when on the
    serverless list: serverless fails a job on any other property.
    """
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    connect = is_connect(spark)
    for key, value in TUNING_CONF.items():
        if connect and not serverless.allowed(key):
            continue
        try:
            spark.conf.set(key, value)
        except Exception:  # refused by the server: only slower
            pass
    return spark


def apply_file_output_conf(spark: SparkSession) -> None:
    """The settings Parquet files written to a folder need (never on a catalog-table run)."""
    for key, value in FILE_OUTPUT_CONF.items():
        spark.conf.set(key, value)


def default_parallelism(spark: SparkSession) -> int:
    """How many partitions Spark gives a plain range(): its default leaf parallelism.

    Read from the settings when they say it (`local`, `local[N]`, `local[*]`, or an explicit
    parallelism), since the fallback query is a whole Spark job (~3 s of a cold start);
    measured otherwise (clusters, Spark Connect).
    """
    for key in ("spark.sql.leafNodeDefaultParallelism", "spark.default.parallelism"):
        value = _conf(spark, key)
        if value and value.isdigit():
            return int(value)
    master = _conf(spark, "spark.master") or ""
    local = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\s*\d+)?\])?", master)
    if local:
        # local[*] runs one thread per processor this machine's driver sees
        threads = local.group(1) or "1"
        return (os.cpu_count() or 1) if threads == "*" else int(threads)
    row = spark.sql("SELECT max(p) + 1 AS n FROM (SELECT spark_partition_id() AS p FROM range(0, 100000))").first()
    return int(row["n"])


def _conf(spark: SparkSession, key: str) -> str | None:
    """A setting's value, or None when it is unset or the server will not say."""
    try:
        return spark.conf.get(key, None)
    except Exception:  # Spark Connect may refuse to read some static settings
        return None
