"""The raw write limit: `spark.range` tables shaped like the generator's, cheap to compute.

For every generated table the limit writes the same number of rows, in the same number
of files, with the same column names and types, through the same sink. Each column copies
the *shape* the generator's column has in a sample of its first rows, not its values:

- strings: the mean length, and whether values repeat (categorical: the sample's number of
  distinct values, drawn from fixed strings of that length) or are all but unique (random
  hex digits of that length, from xxhash64 of the row id — as incompressible as the
  generator's UUIDs and hashes);
- numbers, timestamps and dates: monotone in the key (a scaled row id), categorical (that
  many evenly spaced values over the sample's range) or random over the sample's range;
- booleans: alternating.

Every value costs one hash or less, so the limit's time is Spark's own cost of writing
data of this shape: what the generator is measured against.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from pyspark.sql import DataFrame, SparkSession

# Rows sampled from each generator table to measure its column shapes.
SAMPLE_ROWS = 20_000
# A column whose sample has at most this share of distinct values is categorical.
CATEGORICAL_SHARE = 0.5
# Most distinct values a categorical string column gets (its strings are SQL literals).
MAX_CATEGORIES = 10_000
# Hex digits of one xxhash64: a random string of length L takes ceil(L / 16) hashes.
_HEX_PER_HASH = 16
_INTEGRAL = ("tinyint", "smallint", "int", "bigint")
_NUMERIC = _INTEGRAL + ("float", "double")


@dataclass(frozen=True)
class ColumnShape:
    """What the limit copies from one generator column."""

    name: str
    type: str  # Spark SQL type name: bigint, int, double, string, timestamp, date, boolean
    kind: str  # "monotone", "categorical" or "random"
    distinct: int  # distinct values in the sample
    length: int  # mean string length in the sample (0 for other types)
    low: float  # smallest value in the sample (numbers, Unix seconds, epoch days)
    high: float  # largest value in the sample
    rows: int  # rows in the sample

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure_shapes(frames: Mapping[str, DataFrame], sample_rows: int = SAMPLE_ROWS) -> dict[str, list[ColumnShape]]:
    """The shape of every column of every table, from its first `sample_rows` rows."""
    return {table: measure_table(df, sample_rows) for table, df in frames.items()}


def measure_table(df: DataFrame, sample_rows: int = SAMPLE_ROWS) -> list[ColumnShape]:
    """Column shapes of one DataFrame, from its first rows (in key order)."""
    import pyarrow.compute as pc

    sample = df.limit(sample_rows).toArrow()
    shapes = []
    for field in df.schema.fields:
        kind_type = field.dataType.simpleString()
        column = sample.column(field.name)
        n = len(column)
        distinct = len(pc.unique(column)) if n else 0
        if kind_type == "string":
            lengths = pc.utf8_length(column)
            length = int(round(pc.mean(lengths).as_py() or 0)) if n else 0
            kind = "categorical" if n == 0 or distinct <= CATEGORICAL_SHARE * n else "random"
            shapes.append(ColumnShape(field.name, kind_type, kind, max(distinct, 1), length, 0.0, 0.0, n))
            continue
        values = _as_numbers(column, kind_type)
        low, high = (min(values), max(values)) if values else (0.0, 0.0)
        if kind_type == "boolean":
            kind = "categorical"
        elif n > 1 and all(a <= b for a, b in zip(values, values[1:])) and high > low:
            kind = "monotone"
        elif distinct <= CATEGORICAL_SHARE * n or n == 0:
            kind = "categorical"
        else:
            kind = "random"
        shapes.append(ColumnShape(field.name, kind_type, kind, max(distinct, 1), 0, float(low), float(high), n))
    return shapes


def limit_frame(spark: SparkSession, shapes: list[ColumnShape], rows: int, partitions: int) -> DataFrame:
    """`rows` rows of `spark.range` in `partitions` partitions, one cheap column per shape."""
    base = spark.range(0, rows, 1, max(1, partitions))
    return base.selectExpr(*(f"{column_expr(shape, salt)} AS `{shape.name}`" for salt, shape in enumerate(shapes)))


def column_expr(shape: ColumnShape, salt: int) -> str:
    """The SQL expression over `id` that fills one limit column of this shape."""
    if shape.type == "string":
        return _string_expr(shape, salt)
    if shape.type == "boolean":
        return "id % 2 = 0" if shape.distinct > 1 else "true"
    numeric = _numeric_expr(shape, salt)
    if shape.type == "timestamp":
        return f"timestamp_seconds(CAST({numeric} AS BIGINT))"
    if shape.type == "date":
        return f"date_from_unix_date(CAST({numeric} AS INT))"
    if shape.type in _NUMERIC:
        return f"CAST({numeric} AS {shape.type.upper()})"
    raise ValueError(f"column {shape.name}: no limit expression for type {shape.type}")


def _numeric_expr(shape: ColumnShape, salt: int) -> str:
    low, span = shape.low, shape.high - shape.low
    integral = shape.type in _INTEGRAL or shape.type in ("timestamp", "date")
    if shape.kind == "monotone":
        # evenly from low, at the sample's mean step per row (runs of equal values included)
        step = span / max(shape.rows - 1, 1)
        return f"({_num(low)} + floor(id * {_num(step)}))" if integral else f"({_num(low)} + id * {_num(step)})"
    if shape.kind == "categorical":
        count = max(shape.distinct, 1)
        step = span / max(count - 1, 1)
        pick = f"pmod(xxhash64(id, {salt}), {count})"
        return f"({_num(low)} + floor({pick} * {_num(step)}))" if integral else f"({_num(low)} + {pick} * {_num(step)})"
    if integral:
        return f"({_num(low)} + pmod(xxhash64(id, {salt}), {int(span) + 1}))"
    return f"({_num(low)} + (shiftrightunsigned(xxhash64(id, {salt}), 11) * 1.1102230246251565E-16D) * {_num(span)})"


def _string_expr(shape: ColumnShape, salt: int) -> str:
    if shape.kind == "categorical":
        values = categorical_strings(min(shape.distinct, MAX_CATEGORIES), shape.length, salt)
        literals = ", ".join("'" + v + "'" for v in values)
        return f"element_at(array({literals}), CAST(pmod(xxhash64(id, {salt}), {len(values)}) AS INT) + 1)"
    if shape.length == 0:
        return "''"
    # random upper-case hex: each xxhash64 with its top bit set prints as exactly 16 digits
    hashes = [f"hex(xxhash64(id, {salt * 64 + k}) | -9223372036854775808L)" for k in range(math.ceil(shape.length / _HEX_PER_HASH))]
    text = hashes[0] if len(hashes) == 1 else f"concat({', '.join(hashes)})"
    return f"substring({text}, 1, {shape.length})"


def categorical_strings(count: int, length: int, salt: int) -> list[str]:
    """`count` distinct strings of `length` letters and digits (longer only if `length` is too short)."""
    rng = random.Random(salt)
    letters = "abcdefghijklmnopqrstuvwxyz"
    values = []
    for index in range(count):
        prefix = format(index, "x")
        filler = "".join(rng.choice(letters) for _ in range(max(length - len(prefix), 0)))
        values.append(prefix + filler)
    return values


def _as_numbers(column: Any, kind_type: str) -> list[float]:
    import pyarrow as pa
    import pyarrow.compute as pc

    column = column.drop_null() if hasattr(column, "drop_null") else column
    if kind_type == "timestamp":
        column = pc.cast(column, pa.timestamp("us", tz="UTC")).cast(pa.int64())
        return [v / 1_000_000 for v in column.to_pylist()]
    if kind_type == "date":
        return [float(v) for v in column.cast(pa.int32()).to_pylist()]
    if kind_type == "boolean":
        return [float(v) for v in column.to_pylist()]
    return [float(v) for v in column.to_pylist()]


def _num(value: float) -> str:
    """A SQL numeric literal: integers plain, other values as doubles."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value)) + "D"
