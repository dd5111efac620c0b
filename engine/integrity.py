"""What is wrong with a written run folder, table by table, before any check trusts it.

`audit` reads only the manifest, the folders, the Delta logs and the Parquet footers (no
Spark): a truncated manifest, a missing table folder, an unreadable file, or a table
whose rows or bytes differ from what the manifest recorded (a table copied from another
seed or run) each become a `Problem` naming the table. `scan` then reads every value of
every table once, with Parquet page checksums verified, so flipped bytes inside a data
page are named too. `validate` and `profile` raise `CorruptOutputError` with all of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PySpark is imported where a session is made
    from pyspark.sql import DataFrame

from .errors import CorruptOutputError, Problem
from .keys import TABLES
from .manifest import Manifest, read_manifest

# Reader option: verify the CRC Parquet writers store in each page header.
VERIFY_CHECKSUMS = {"parquet.page.verify-checksum.enabled": "true"}


def table_files(folder: Path, format: str) -> list[Path]:
    """The live Parquet files of a table folder (through the Delta log for Delta)."""
    if format == "delta":
        import deltalake

        from urllib.parse import unquote, urlparse

        return [Path(unquote(urlparse(uri).path)) for uri in deltalake.DeltaTable(str(folder)).file_uris()]
    return sorted(folder.glob("*.parquet"))


def audit(out: str | Path, manifest: Manifest) -> list[Problem]:
    """Problems visible without Spark, by table (an empty list when none)."""
    import pyarrow.parquet as pq

    out = Path(out)
    problems = [Problem(t, "not in the manifest") for t in TABLES if t not in manifest.tables]
    for table, recorded in manifest.tables.items():
        folder = out / table
        if not folder.is_dir():
            problems.append(Problem(table, f"folder {folder} is missing"))
            continue
        try:
            files = table_files(folder, manifest.format)
        except Exception as exc:
            problems.append(Problem(table, f"{manifest.format} table unreadable ({_first_line(exc)})"))
            continue
        rows = size = 0
        for path in files:
            try:
                rows += pq.ParquetFile(path).metadata.num_rows
                size += path.stat().st_size
            except Exception as exc:
                problems.append(Problem(table, f"file {path.name} unreadable ({_first_line(exc)})"))
                break
        else:
            if rows != recorded.get("rows") or size != recorded.get("bytes", size):
                problems.append(Problem(table, f"holds {rows:,} rows in {size:,} bytes, the manifest recorded {recorded.get('rows')!r} rows in {recorded.get('bytes')!r} bytes (a table from another run or seed?)"))
    return problems


def check_folder(out: str | Path) -> Manifest:
    """The manifest of a run folder whose audit found nothing; CorruptOutputError otherwise."""
    manifest = read_manifest(out)
    problems = audit(out, manifest)
    if problems:
        raise CorruptOutputError(out, problems)
    return manifest


def scan(frames: Mapping[str, DataFrame]) -> list[Problem]:
    """Read every value of every table once; a table Spark cannot read is a Problem."""
    problems = []
    for table, df in frames.items():
        try:
            df.selectExpr(f"max(xxhash64({', '.join(f'`{c}`' for c in df.columns)})) AS h").collect()
        except Exception as exc:
            problems.append(Problem(table, f"data unreadable ({_cause(exc)})"))
    return problems


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _cause(exc: BaseException) -> str:
    """The most telling line of a (Java) read failure: a checksum or decoding message if present."""
    lines = [l.strip() for l in str(exc).splitlines() if l.strip()]
    for needle in ("checksum", "corrupt", "zstd", "decompress", "Can not read value", "Could not read"):
        found = next((l for l in lines if needle.lower() in l.lower()), None)
        if found:
            return found[:300]
    return _first_line(exc)
