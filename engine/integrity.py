"""What is wrong with a written run folder, table by table, before any check trusts it.

`audit` reads only the manifest, the folders, the Delta logs and the Parquet footers (no
Spark): a truncated manifest, a missing table folder, an unreadable file, or a table
whose rows or bytes differ from what the manifest recorded (a table copied from another
seed or run) each become a `Problem` naming the table. `scan` then reads every value of
every table once, with Parquet page checksums verified, so flipped bytes inside a data
page are named too. `validate` and `profile` raise `CorruptOutputError` with all of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from pyspark.sql import DataFrame

from .config import ConfigError
from .keys import TABLES
from .sinks import MANIFEST

# Reader option: verify the CRC Parquet writers store in each page header.
VERIFY_CHECKSUMS = {"parquet.page.verify-checksum.enabled": "true"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a run folder: the table (or the manifest) and what."""

    table: str
    message: str

    def __str__(self) -> str:
        return f"{self.table}: {self.message}"


class CorruptOutputError(RuntimeError):
    """A run folder is damaged; `problems` says where, by table."""

    def __init__(self, out: str | Path, problems: list[Problem]) -> None:
        self.out = str(out)
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{out} is damaged ({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n{lines}")


def read_manifest(out: str | Path) -> dict[str, Any]:
    """The manifest of a run folder; ConfigError if there is none, CorruptOutputError if it is damaged."""
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise ConfigError("out", str(out), f"a folder written by `idgraph generate` (no {MANIFEST} in it)")
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptOutputError(out, [Problem(MANIFEST, f"not valid JSON, truncated or edited ({exc})")]) from None
    missing = [k for k in ("config", "format", "tables") if not isinstance(data, dict) or k not in data]
    if missing:
        raise CorruptOutputError(out, [Problem(MANIFEST, f"lacks {missing}, truncated or edited")])
    return data


def table_files(folder: Path, format: str) -> list[Path]:
    """The live Parquet files of a table folder (through the Delta log for Delta)."""
    if format == "delta":
        import deltalake

        from urllib.parse import unquote, urlparse

        return [Path(unquote(urlparse(uri).path)) for uri in deltalake.DeltaTable(str(folder)).file_uris()]
    return sorted(folder.glob("*.parquet"))


def audit(out: str | Path, manifest: Mapping[str, Any]) -> list[Problem]:
    """Problems visible without Spark, by table (an empty list when none)."""
    import pyarrow.parquet as pq

    out = Path(out)
    problems = [Problem(t, "not in the manifest") for t in TABLES if t not in manifest["tables"]]
    for table, recorded in manifest["tables"].items():
        folder = out / table
        if not folder.is_dir():
            problems.append(Problem(table, f"folder {folder} is missing"))
            continue
        try:
            files = table_files(folder, manifest["format"])
        except Exception as exc:
            problems.append(Problem(table, f"{manifest['format']} table unreadable ({_first_line(exc)})"))
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


def check_folder(out: str | Path) -> dict[str, Any]:
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
