"""Order-independent content hashes of tables, to prove runs identical across partitions,
cores, engines (classic, Spark Connect, a cluster) and the standalone SQL script.

A table's hash is its row count plus the sum (mod 2^64) of xxhash64 over every column of
each row: any changed value, added or lost row changes it, and row order does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PySpark is imported where a session is made, so `import engine` works without it
    from pyspark.sql import DataFrame


def content_hash(df: DataFrame) -> str:
    """`<rows>:<sum of row hashes>` of a DataFrame, independent of order and partitioning."""
    columns = ", ".join(f"`{c}`" for c in sorted(df.columns))
    row = df.selectExpr(f"xxhash64({columns}) AS h").selectExpr(
        "count(*) AS n",
        # sum of BIGINTs may overflow; wrap in DECIMAL(38) then reduce mod 2^64
        "CAST(pmod(sum(CAST(h AS DECIMAL(38, 0))), 18446744073709551616) AS STRING) AS s",
    ).first()
    return f"{row['n']}:{row['s']}"


def content_hashes(frames: dict[str, DataFrame]) -> dict[str, str]:
    """content_hash of each table."""
    return {name: content_hash(df) for name, df in frames.items()}
