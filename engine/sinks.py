"""Where tables go: a local directory (Delta or Parquet) or catalog tables through Spark.

A directory run writes every table into a staging folder beside the output and moves it
into place only when all tables and the manifest are complete (in one step: see
engine/fsmove.py), so a failed or killed run never leaves a half-written table under the
output name, and an overwritten output stays intact until the new one is whole. The run
holds the output's lock (engine/lock.py) throughout, and the next run cleans what a
killed one left behind. Local Delta needs no Maven
jars: Spark writes Parquet and the `deltalake` package adds the Delta log.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PySpark is imported where a session is made, so `import engine` works without it
    from pyspark.sql import DataFrame, SparkSession

from .errors import ConfigError, OutputExistsError, OutputLockedError, TableWriteError
from .fsmove import exchange, move_noreplace
from .lock import OutputLock
from .manifest import MANIFEST, Manifest, write_manifest

DIRECTORY_FORMATS = ("delta", "parquet")
FORMATS = DIRECTORY_FORMATS + ("table",)


class Sink(Protocol):
    def prepare(self) -> None: ...
    def write(self, table: str, df: DataFrame) -> dict[str, Any]: ...
    def commit(self, manifest: Manifest) -> None: ...
    def abort(self) -> None: ...


class DirectorySink:
    """Tables as folders `out/<table>/` in Delta or Parquet, plus `out/_manifest.json`.

    From `prepare` to `commit` or `abort` the run holds the output's lock (engine/lock.py):
    a second run aimed at the same folder is refused at once, and leftovers of runs that
    were killed (their staging and `.old-` folders) are cleaned under the lock.
    """

    def __init__(self, out: str | os.PathLike, format: str = "delta", overwrite: bool = False) -> None:
        if format not in DIRECTORY_FORMATS:
            raise ConfigError("format", format, f"one of {list(DIRECTORY_FORMATS)} for a local folder")
        text = os.fspath(out) if isinstance(out, (str, os.PathLike)) else out
        if not isinstance(text, str) or not text.strip() or "\x00" in text:
            raise ConfigError("out", out, "a folder path (non-empty text without NUL characters)")
        # Lexically normalised: "a/../b" is "b", and the name is never "." or "..".
        self.out = Path(os.path.abspath(os.path.expanduser(text)))
        if not self.out.name:
            raise ConfigError("out", out, "a folder path inside some parent folder, not the filesystem root")
        self.format = format
        self.overwrite = overwrite
        self.staging = self.out.parent / f"{_staging_prefix(self.out)}{uuid.uuid4().hex[:12]}"
        self.lock = OutputLock(self.out)
        # Leftover folders of killed runs this run removed, and the output it restored.
        self.cleaned: list[str] = []

    @property
    def location(self) -> str:
        return str(self.out)

    def prepare(self) -> None:
        """Take the output's lock, clean killed runs' leftovers, refuse an existing output
        (unless overwriting): all before any Spark work."""
        try:
            if self.out.is_symlink():
                raise ConfigError("out", str(self.out), "a real folder path, not a symbolic link (give the folder it points to)")
            if os.path.lexists(self.out) and not self.out.is_dir():
                raise ConfigError("out", str(self.out), "a folder path (a file is in the way)")
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.lock.acquire()
        except OSError as exc:
            raise ConfigError("out", str(self.out), f"a writable location ({exc.strerror})") from None
        try:
            self.cleaned = clean_leftovers(self.out)
            if self.out.exists() and not self.overwrite:
                raise OutputExistsError("out", str(self.out), "a path that does not exist yet, or --overwrite to replace it")
            self.staging.mkdir()
        except OSError as exc:
            self.lock.release()
            raise ConfigError("out", str(self.out), f"a writable location ({exc.strerror})") from None
        except BaseException:
            self.lock.release()
            raise

    def write(self, table: str, df: DataFrame) -> dict[str, Any]:
        from .session import apply_file_output_conf

        path = self.staging / table
        try:
            apply_file_output_conf(df.sparkSession)  # microsecond timestamps in the Parquet files
            # "error", not its alias "errorifexists": Spark Connect's client knows only the former.
            df.write.options(**parquet_options(df)).mode("error").parquet(str(path))
            # Hadoop's local checksum and marker files are not part of the table.
            for stray in [*path.glob("_SUCCESS"), *path.glob(".*.crc")]:
                stray.unlink()
            if self.format == "delta":
                import deltalake

                deltalake.convert_to_deltalake(str(path))
            return parquet_stats(path)
        except Exception as exc:
            raise TableWriteError(table, describe_write_failure(exc)) from exc

    def commit(self, manifest: Manifest) -> None:
        """Write the manifest, then put the finished staging folder in place in one step."""
        try:
            try:
                write_manifest(self.staging, manifest)
            except OSError as exc:
                raise TableWriteError(MANIFEST, describe_write_failure(exc)) from exc
            if not self.overwrite or not self.out.exists():
                try:
                    move_noreplace(self.staging, self.out)
                except FileExistsError:
                    raise OutputExistsError("out", str(self.out), "a path that does not exist yet, or --overwrite to replace it (it appeared during the run)") from None
            elif exchange(self.staging, self.out):
                shutil.rmtree(self.staging, ignore_errors=True)  # now the previous output
            else:
                old = self.out.parent / f"{_old_prefix(self.out)}{uuid.uuid4().hex[:12]}"
                os.rename(self.out, old)  # a kill here is repaired by the next run's clean_leftovers
                os.rename(self.staging, self.out)
                shutil.rmtree(old, ignore_errors=True)
        finally:
            self.lock.release()

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        self.lock.release()


# Causes worth naming as they are, found anywhere in a (Java) exception's text.
_KNOWN_CAUSES = (
    "No space left on device",
    "File too large",
    "Disk quota exceeded",
    "Read-only file system",
    "Permission denied",
    "Input/output error",
    "Too many open files",
)


def describe_write_failure(exc: BaseException) -> str:
    """One line for a failed write: a known I/O cause when the text names one, else its first line."""
    text = str(exc)
    for cause in _KNOWN_CAUSES:
        if cause.lower() in text.lower():
            return cause
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
    return first[:300]


def _staging_prefix(out: Path) -> str:
    return f".{out.name}.staging-"


def _old_prefix(out: Path) -> str:
    return f".{out.name}.old-"


def _leftover(out: Path, name: str, prefix: str) -> bool:
    """Whether `name` is one of our `<prefix><12 hex>` folders (not another output's)."""
    suffix = name[len(prefix):] if name.startswith(prefix) else ""
    return len(suffix) == 12 and all(c in "0123456789abcdef" for c in suffix)


def clean_leftovers(out: Path) -> list[str]:
    """Remove the staging and `.old-` folders killed runs left beside `out`; call holding its lock.

    A run killed between moving the previous output aside and moving the new one in
    (only where folders cannot be swapped in one step) leaves no `out` but a whole
    previous output in `.old-`: that one is moved back first. Returns what was done.
    """
    out = Path(out)
    done: list[str] = []
    try:
        names = os.listdir(out.parent)
    except FileNotFoundError:
        return done
    olds = [out.parent / n for n in names if _leftover(out, n, _old_prefix(out))]
    stagings = [out.parent / n for n in names if _leftover(out, n, _staging_prefix(out))]
    if not os.path.lexists(out):
        complete = sorted((o for o in olds if (o / MANIFEST).is_file()), key=lambda o: o.stat().st_mtime)
        if complete:
            os.rename(complete[-1], out)
            olds.remove(complete[-1])
            done.append(f"restored {complete[-1].name}")
    for leftover in olds + stagings:
        shutil.rmtree(leftover, ignore_errors=True)
        done.append(f"removed {leftover.name}")
    return done


class TableSink:
    """Tables in a catalog as `catalog.schema.<name>`: Databricks Unity Catalog, or any Spark catalog.

    Each table is made by one statement,
    `CREATE [OR REPLACE] TABLE <name> USING delta CLUSTER BY (...) COMMENT '...'
    TBLPROPERTIES (...) AS SELECT * FROM <the table's query>`, the query's columns carrying
    their comments: the table, its liquid clustering keys, its properties, its table comment
    and its column comments land in one transaction, so readers never see half a table and
    nothing is rewritten afterwards (no ALTER, no OPTIMIZE ... ZORDER pass). Only Spark
    Connect APIs (a session-scoped temporary view and `spark.sql`), as serverless requires.
    """

    def __init__(
        self,
        spark: SparkSession,
        namespace: str,
        overwrite: bool = False,
        table_names: Mapping[str, str] | None = None,
        table_properties: Mapping[str, str] | None = None,
        format: str = "delta",
        cluster_by: Mapping[str, Sequence[str]] | None = None,
        comments: bool = True,
    ) -> None:
        from .names import quote_identifier

        parts = namespace.split(".")
        if len(parts) not in (1, 2):
            raise ConfigError("out", namespace, "catalog.schema (or a schema) for --format table")
        self.spark = spark
        self.quoted_namespace = ".".join(quote_identifier(p) for p in parts)
        self.namespace = namespace
        self.overwrite = overwrite
        self.table_names = dict(table_names or {})
        self.table_properties = dict(table_properties or {})
        self.format = format
        self.cluster_by = {t: tuple(c) for t, c in (cluster_by or {}).items()}
        self.comments = comments
        self._quote = quote_identifier

    @property
    def location(self) -> str:
        return self.namespace

    def full_name(self, table: str) -> str:
        return f"{self.quoted_namespace}.{self._quote(self.table_names.get(table, table))}"

    def prepare(self) -> None:
        if self.overwrite:
            return
        for table in self.table_names or []:
            if self.spark.catalog.tableExists(self.full_name(table)):
                raise OutputExistsError("out", self.full_name(table), "a table that does not exist yet, or overwrite")

    def write(self, table: str, df: DataFrame) -> dict[str, Any]:
        name = self.full_name(table)
        view = f"idgraph_source_{table}_{uuid.uuid4().hex[:12]}"
        self.commented(table, df).createOrReplaceTempView(view)
        try:
            self.spark.sql(self.create_statement(table, view))
        finally:
            self.spark.catalog.dropTempView(view)
        rows = self.spark.table(name).count()
        return {"rows": rows, "bytes": None, "files": None, "path": name, "cluster_by": list(self.cluster_by.get(table, ()))}

    def commented(self, table: str, df: DataFrame) -> DataFrame:
        """`df` with each column's comment from the generator SQL in its metadata (CTAS keeps it)."""
        from .sql_comments import column_comments

        described = column_comments(table) if self.comments else {}
        if not described:
            return df
        from pyspark.sql.functions import col

        # By name (col), not df[c]: Spark Connect resolves df[c] by plan id, which a SQL frame's
        # columns do not always carry.
        return df.select(*[col(c).alias(c, metadata={"comment": described[c]}) if c in described else col(c) for c in df.columns])

    def create_statement(self, table: str, view: str) -> str:
        """The one CREATE ... AS SELECT for `table`, every name quoted and every text a literal."""
        from .lookups import sql_string
        from .sql_comments import table_comment

        parts = [f"CREATE {'OR REPLACE ' if self.overwrite else ''}TABLE {self.full_name(table)} USING {self.format}"]
        if self.cluster_by.get(table):
            parts.append(f"CLUSTER BY ({', '.join(self._quote(c) for c in self.cluster_by[table])})")
        if self.comments:
            parts.append(f"COMMENT {sql_string(table_comment(table))}")
        if self.table_properties:
            parts.append(f"TBLPROPERTIES ({', '.join(f'{sql_string(k)} = {sql_string(v)}' for k, v in self.table_properties.items())})")
        parts.append(f"AS SELECT * FROM {self._quote(view)}")
        return "\n".join(parts)

    def commit(self, manifest: Manifest) -> None:
        return None

    def abort(self) -> None:
        return None


# Columns whose values are (nearly) all distinct within a file. Parquet tries a dictionary
# for every column and gives up only once it is full, so for these it is pure cost: turning
# it off saved 10-20% of the write CPU of the big tables (JFR: the dictionary writers'
# hash maps and fallback checks were ~15% of executor samples), files no larger.
_UNIQUE_TEXT_COLUMNS = ("identifier_value", "email")
# BIGINT ids of the small lookup tables: few distinct values, a dictionary pays off.
_SMALL_DOMAIN_IDS = ("campaign_id", "content_id")


# Codec of local Parquet files: zstd stores the random identifier text ~40% smaller than
# snappy for the same write time (measured on identity_mappings and content_engagement).
PARQUET_CODEC = "zstd"


def parquet_options(df: DataFrame) -> dict[str, str]:
    """Parquet writer options for `df`: zstd, and no dictionary on its all-distinct columns
    (keys and parent keys, timestamps, identifier text)."""
    plain = [
        field.name
        for field in df.schema.fields
        if field.name in _UNIQUE_TEXT_COLUMNS
        or field.dataType.typeName() == "timestamp"
        or (field.dataType.typeName() == "long" and field.name.endswith("_id") and field.name not in _SMALL_DOMAIN_IDS)
    ]
    return {"compression": PARQUET_CODEC, **{f"parquet.enable.dictionary#{name}": "false" for name in plain}}


def parquet_stats(path: Path) -> dict[str, Any]:
    """Rows, bytes and files of a folder of Parquet files, from the footers (no Spark)."""
    import pyarrow.parquet as pq

    files = sorted(path.glob("*.parquet"))
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    return {"rows": rows, "bytes": sum(f.stat().st_size for f in files), "files": len(files), "path": str(path)}


def staging_folders(out: str | os.PathLike) -> list[Path]:
    """Staging folders a DirectorySink makes beside `out` while writing it."""
    out = Path(out)
    return sorted(out.parent.glob(f"{_staging_prefix(out)}*"))


def clean_partial_output(out: str | os.PathLike) -> list[Path]:
    """Remove what a stopped run left beside `out` (`clean_leftovers`: staging folders, and
    an old output an interrupted swap moved aside is put back), under the output's lock.
    Returns the staging folders removed; nothing is touched while another live run holds
    the lock.
    """
    out = Path(out)
    if not out.parent.is_dir():  # no run got as far as creating the folder it writes into
        return []
    removed = staging_folders(out)
    try:
        with OutputLock(out):
            clean_leftovers(out)
    except OutputLockedError:
        return []
    return removed
