"""Validation: the SQL checks in `sql/checks/`, one file per constraint the tables promise.

Each check is a query returning one row with a `violations` count; a run passes when
every count is 0. The checks run on the written tables (registered as temporary views
under the table names), so they audit what was delivered, not what was planned.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PySpark is imported where a session is made
    from pyspark.sql import DataFrame, SparkSession

from .config import ConfigError, GraphConfig
from .integrity import VERIFY_CHECKSUMS, CorruptOutputError, check_folder, scan, table_files
from .keys import TABLES
from .render import SQL_DIR, Renderer

CHECKS_DIR = SQL_DIR / "checks"


@dataclass(frozen=True)
class CheckResult:
    """One constraint's outcome: its file name, what it checks, how many rows break it."""

    name: str
    description: str
    violations: int
    seconds: float

    @property
    def passed(self) -> bool:
        return self.violations == 0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def check_names() -> list[str]:
    """The checks, by file name, in a stable order."""
    return sorted(p.stem for p in CHECKS_DIR.glob("*.sql"))


def check_sql(name: str, config: GraphConfig) -> str:
    """A check's rendered query (config values such as the attribution window filled in)."""
    text = (CHECKS_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return _CheckRenderer(config).render(text)


def check_description(name: str) -> str:
    """The leading comment of a check file, as one line."""
    lines = (CHECKS_DIR / f"{name}.sql").read_text(encoding="utf-8").splitlines()
    return " ".join(l.lstrip("- ").strip() for l in lines if l.startswith("--")).strip()


def load_tables(spark: SparkSession, out: str | Path, tables: Mapping[str, str] | None = None) -> dict[str, DataFrame]:
    """The tables of a local run folder as DataFrames, registered as temporary views.

    Delta tables are read through their Delta log (`deltalake` lists the live files), so
    Spark needs no Delta jars; Parquet folders are read directly. A folder is audited
    first and read once in full (engine/integrity.py): a damaged one raises
    CorruptOutputError naming each bad table. `tables` maps a table
    to a catalog table name instead, for runs written with `--format table`.
    """
    frames: dict[str, DataFrame] = {}
    if tables:
        for table, name in tables.items():
            frames[table] = spark.table(name)
    else:
        manifest = check_folder(out)
        reader = spark.read.options(**VERIFY_CHECKSUMS)
        for table in manifest.tables:
            path = Path(out) / table
            if manifest.format == "delta":
                frames[table] = reader.parquet(*(str(f) for f in table_files(path, "delta")))
            else:
                frames[table] = reader.parquet(str(path))
        problems = scan(frames)
        if problems:
            raise CorruptOutputError(out, problems)
    for table, df in frames.items():
        df.createOrReplaceTempView(table)
    return frames


def validate(
    out: str | Path | None = None,
    spark: SparkSession | None = None,
    config: GraphConfig | None = None,
    tables: Mapping[str, str] | None = None,
    checks: list[str] | None = None,
) -> list[CheckResult]:
    """Run the checks on a written run (folder `out`, or catalog `tables`); one result each."""
    if config is None:
        if out is None:
            raise ConfigError("config", None, "the run's config when validating catalog tables")
        config = GraphConfig.from_dict(check_folder(out).config)
    if spark is None:
        from .session import local_session

        spark = local_session()
    frames = load_tables(spark, out, tables)
    missing = [t for t in TABLES if t not in frames]
    if missing:
        raise ConfigError("out", str(out), f"a run with all eight tables (missing {missing})")
    results = []
    for name in checks or check_names():
        t0 = time.perf_counter()
        violations = spark.sql(check_sql(name, config)).first()["violations"]
        results.append(CheckResult(name, check_description(name), int(violations or 0), round(time.perf_counter() - t0, 3)))
    return results


class _CheckRenderer(Renderer):
    """Checks see the same template values as generators, plus the identifier count bounds."""

    def _value(self, name: str) -> str:
        if name == "identifier_minimum":
            return str(self.config.identifiers.minimum)
        if name == "identifier_maximum":
            return str(self.config.identifiers.maximum)
        return super()._value(name)
