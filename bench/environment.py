"""The machine and software a benchmark ran on, recorded beside every result.

Figures are only comparable between runs on the same hardware, versions and settings, so
each results file carries the cores, memory, CPU model, Python, Spark, Java and package
versions and the git commit (with a flag when the tree had uncommitted changes), the
`JAVA_TOOL_OPTIONS` in force, each scale's config hash and the hash of its rendered SQL
(`run_environment`), and from inside every cell's session (`spark_environment`): the Spark
conf, the JVM's own arguments and garbage collectors, the sink's options (codec and the
columns written without a dictionary), the table concurrency and the work folder's
filesystem. Enough to re-create the run from the JSON alone.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping, Sequence

# Packages whose versions decide the output or its speed.
PACKAGES = ("idgraph", "pyspark", "pyarrow", "deltalake", "mimesis", "numpy", "pandas", "matplotlib", "pytest-benchmark")

_REPO = Path(__file__).resolve().parent.parent


def capture_environment() -> dict[str, Any]:
    """Cores, memory, CPU, OS, Python, Java, package versions and git commit of this machine."""
    return {
        "cores": os.cpu_count(),
        "memory_bytes": _total_memory_bytes(),
        "cpu": _cpu_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "java": java_version(),
        "packages": package_versions(),
        "git": git_state(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "java_tool_options": os.environ.get("JAVA_TOOL_OPTIONS"),
    }


def run_environment(scales: Sequence[int], seed: int) -> dict[str, Any]:
    """Per scale, the config hash (as the manifest records it) and the SHA-256 of the SQL it renders."""
    from engine import TABLES, GraphConfig, render_functions, render_table

    found = {}
    for households in scales:
        config = GraphConfig(households=households, seed=seed)
        sql = hashlib.sha256()
        for statement in render_functions(config):
            sql.update(statement.encode())
        for table in TABLES:
            sql.update(render_table(table, config).encode())
        found[str(households)] = {"config_hash": config.config_hash(), "sql_sha256": sql.hexdigest()}
    return found


# Settings of one session that only name this process: left out of the record.
_VOLATILE_CONF = ("spark.app.id", "spark.app.startTime", "spark.app.submitTime", "spark.driver.port", "spark.driver.host", "spark.app.name")


def spark_environment(spark: Any, counters: Any, work_dir: Path, written: Mapping[str, Path] | None = None) -> dict[str, Any]:
    """What a cell's session ran with: Spark conf, JVM arguments and collectors, the sink's
    options as the written files show them (codec, columns without a dictionary), table
    concurrency and the work folder's filesystem."""
    import inspect

    from engine import write_tables

    conf = dict(sorted((k, v) for k, v in spark.sparkContext.getConf().getAll() if k not in _VOLATILE_CONF))
    arguments: list[str] = []
    vm = None
    try:
        factory = spark.sparkContext._jvm.java.lang.management.ManagementFactory
        runtime = factory.getRuntimeMXBean()
        arguments = [str(a) for a in runtime.getInputArguments()]
        vm = f"{runtime.getVmName()} {runtime.getVmVersion()}"
    except Exception:  # no py4j access to the JVM (a remote session)
        pass
    return {
        "spark_conf": conf,
        "jvm": {"vm": vm, "input_arguments": arguments, "garbage_collectors": counters.gc_names()},
        "sink": {table: parquet_options_in(folder) for table, folder in (written or {}).items()},
        "table_concurrency": inspect.signature(write_tables).parameters["concurrency"].default,
        "work_dir_filesystem": filesystem(work_dir),
    }


def parquet_options_in(folder: Path) -> dict[str, Any]:
    """The codec(s) and the columns written without a dictionary, from a table's Parquet footers."""
    import pyarrow.parquet as pq

    codecs: set[str] = set()
    dictionary: dict[str, bool] = {}
    for path in sorted(Path(folder).glob("*.parquet")):
        meta = pq.ParquetFile(path).metadata
        for group in range(meta.num_row_groups):
            for index in range(meta.row_group(group).num_columns):
                column = meta.row_group(group).column(index)
                codecs.add(column.compression)
                uses = any("DICTIONARY" in encoding for encoding in column.encodings)
                dictionary[column.path_in_schema] = dictionary.get(column.path_in_schema, False) or uses
    return {"codecs": sorted(codecs), "dictionary_off": sorted(name for name, uses in dictionary.items() if not uses)}


def filesystem(path: Path) -> str | None:
    """The filesystem type holding `path` (the longest mount point above it in /proc/mounts)."""
    try:
        mounts = [line.split()[1:3] for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return None
    target = str(Path(path).absolute())
    best = max((m for m in mounts if target == m[0] or target.startswith(m[0].rstrip("/") + "/")), key=lambda m: len(m[0]), default=None)
    return best[1] if best else None


def package_versions() -> dict[str, str]:
    """Installed version of each package in PACKAGES ("not installed" when absent)."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def java_version() -> str | None:
    """First line of `java -version` (the JVM Spark starts), or None when there is no java."""
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.strip().splitlines()[0] if out.strip() else None


def git_state(repo: Path = _REPO) -> dict[str, Any]:
    """The commit checked out in `repo` and whether tracked files had uncommitted changes."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _total_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None
