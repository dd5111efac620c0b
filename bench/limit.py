"""The raw write limit: `spark.range` tables shaped like the generator's, cheap to compute.

For every generated table the limit writes the same number of rows, in the same number
of files, with the same column names and types, through the same sink. Each column copies
the *shape* of the generator's column, not its values:

- from the whole written table (one aggregation per table, so every partition counts):
  the number of distinct values (approx_count_distinct, 1% error), the range, and the
  mean string length;
- from its first rows: whether a number rises with the key (monotone).

A column is then filled with the same number of distinct values: strings as fixed literals
(up to MAX_CATEGORIES) or as random hex of the mean length keyed on one of D hashed ids;
numbers evenly spaced in their range, as runs along the key (monotone), hashed picks
(categorical) or uniform draws (random); booleans alternating.

Same shape is not yet the same bytes: compression sees more than a shape. So the worker
**calibrates** each column against the generator's own compressed bytes for that column
(from the Parquet footers): a column that comes out larger gets a share `fill` of its rows,
in blocks of 64, set to one constant value (which compresses to almost nothing), a column
that comes out smaller is drawn at random instead. Two untimed calibration writes (also the
limit's warm-up) bring every table's bytes close to the generator's; the summary shows both.

Every value costs one or two hashes, so the limit's time is Spark's own cost of writing
data of this shape and size: what the generator is measured against.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from pyspark.sql import DataFrame, SparkSession

# Rows from the start of each generator table read to tell monotone columns.
SAMPLE_ROWS = 20_000
# A column whose distinct values are at most this share of its rows is categorical.
CATEGORICAL_SHARE = 0.5
# Most distinct values a string column gets as literals (beyond: hashed hex strings).
MAX_CATEGORIES = 1_000
# Relative error of the distinct counts.
DISTINCT_ERROR = 0.01
# Rows in one constant block of a calibrated column.
FILL_BLOCK_ROWS = 64
# Largest share of a column's rows calibration may make constant.
MAX_FILL = 0.99
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
    distinct: int  # distinct values in the table
    length: int  # mean string length (0 for other types)
    low: float  # smallest value (numbers, Unix seconds, epoch days)
    high: float  # largest value
    rows: int  # rows in the table
    fill: float = 0.0  # share of rows (in blocks) set to one constant by calibration

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure_shapes(written: Mapping[str, DataFrame], folders: Mapping[str, Path], sample_rows: int = SAMPLE_ROWS) -> dict[str, list[ColumnShape]]:
    """The shape of every column of every table: `written` is the generator's output read back
    (for whole-table statistics), `folders` where it lies (its first file gives the first rows)."""
    return {table: measure_table(written[table], first_rows(folders[table], sample_rows)) for table in written}


def first_rows(folder: str | Path, rows: int = SAMPLE_ROWS) -> Any:
    """The first `rows` rows of a table in key order: the start of its first part file
    (Spark names them by partition, and partition 0 holds the first keys). No Spark job."""
    import pyarrow.parquet as pq

    files = sorted(Path(folder).glob("part-*.parquet")) or sorted(Path(folder).glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"{folder}: no Parquet files to take the first rows from")
    reader = pq.ParquetFile(files[0])
    batches, taken = [], 0
    for batch in reader.iter_batches(batch_size=min(rows, 65_536)):
        batches.append(batch.slice(0, rows - taken))
        taken += len(batches[-1])
        if taken >= rows:
            break
    import pyarrow as pa

    return pa.Table.from_batches(batches, schema=reader.schema_arrow)


def measure_table(written: DataFrame, first: Any) -> list[ColumnShape]:
    """Column shapes of one table: statistics of every row, monotonicity from its first rows
    (`first`, an Arrow table)."""
    from pyspark.sql import functions as F

    fields = written.schema.fields
    aggregates = [F.count(F.lit(1)).alias("__rows")]
    for index, field in enumerate(fields):
        column = F.col(f"`{field.name}`")
        kind_type = field.dataType.simpleString()
        aggregates.append(F.approx_count_distinct(column, DISTINCT_ERROR).alias(f"d{index}"))
        if kind_type == "string":
            aggregates.append(F.avg(F.length(column)).alias(f"a{index}"))
        elif kind_type != "boolean":
            number = _as_number(column, kind_type)
            aggregates += [F.min(number).alias(f"l{index}"), F.max(number).alias(f"h{index}")]
    stats = written.agg(*aggregates).first().asDict()
    rows = int(stats["__rows"])
    shapes = []
    for index, field in enumerate(fields):
        kind_type = field.dataType.simpleString()
        distinct = max(int(stats[f"d{index}"] or 0), 1)
        if kind_type == "string":
            kind = "categorical" if distinct <= CATEGORICAL_SHARE * rows else "random"
            shapes.append(ColumnShape(field.name, kind_type, kind, distinct, int(round(stats[f"a{index}"] or 0)), 0.0, 0.0, rows))
            continue
        if kind_type == "boolean":
            shapes.append(ColumnShape(field.name, kind_type, "categorical", distinct, 0, 0.0, 1.0, rows))
            continue
        low, high = float(stats[f"l{index}"] or 0.0), float(stats[f"h{index}"] or 0.0)
        values = _first_numbers(first.column(field.name), kind_type)
        if len(values) > 1 and all(a <= b for a, b in zip(values, values[1:])) and high > low:
            kind = "monotone"
        elif distinct <= CATEGORICAL_SHARE * rows:
            kind = "categorical"
        else:
            kind = "random"
        shapes.append(ColumnShape(field.name, kind_type, kind, distinct, 0, low, high, rows))
    return shapes


def column_bytes(folder: str | Path) -> dict[str, int]:
    """Compressed bytes of each column of a folder of Parquet files, from their footers."""
    import pyarrow.parquet as pq

    found: dict[str, int] = {}
    for path in sorted(Path(folder).glob("*.parquet")):
        meta = pq.ParquetFile(path).metadata
        for group in range(meta.num_row_groups):
            row_group = meta.row_group(group)
            for index in range(row_group.num_columns):
                column = row_group.column(index)
                found[column.path_in_schema] = found.get(column.path_in_schema, 0) + column.total_compressed_size
    return found


def calibrate(shape: ColumnShape, target: int, history: list[tuple[ColumnShape, int]], tolerance: float = 0.01) -> ColumnShape:
    """The next shape of a column whose earlier shapes wrote `history` [(shape, bytes)], aiming
    at `target` bytes (the generator's): a constant share where it is too large, random values
    where it is too small, the share interpolated from the last two writes of the same kind."""
    last, measured = history[-1]
    if target <= 0 or abs(measured - target) <= tolerance * target:
        return last
    if measured < target:
        if last.fill > 0:  # overshot: back off along the line through the two latest writes
            return replace(last, fill=_interpolate(history, target))
        if last.kind != "random" and last.type != "boolean":
            return replace(last, kind="random", fill=0.0)
        return last
    same_kind = [(s, b) for s, b in history if s.kind == last.kind]
    if len(same_kind) >= 2 and same_kind[-1][0].fill != same_kind[-2][0].fill:
        return replace(last, fill=_interpolate(same_kind, target))
    base = next(b for s, b in same_kind if s.fill == 0) if any(s.fill == 0 for s, _ in same_kind) else measured
    return replace(last, fill=round(min(MAX_FILL, max(0.0, 1 - target / base)), 4))


def _interpolate(history: list[tuple[ColumnShape, int]], target: int) -> float:
    (s0, b0), (s1, b1) = history[-2], history[-1]
    if b0 == b1:
        return s1.fill
    fill = s0.fill + (target - b0) * (s1.fill - s0.fill) / (b1 - b0)
    return round(min(MAX_FILL, max(0.0, fill)), 4)


def limit_frame(spark: SparkSession, shapes: list[ColumnShape], rows: int, partitions: int) -> DataFrame:
    """`rows` rows of `spark.range` in `partitions` partitions, one cheap column per shape."""
    base = spark.range(0, rows, 1, max(1, partitions))
    return base.selectExpr(*(f"{column_expr(shape, salt)} AS `{shape.name}`" for salt, shape in enumerate(shapes)))


def column_expr(shape: ColumnShape, salt: int) -> str:
    """The SQL expression over `id` that fills one limit column of this shape."""
    key = _key(shape, salt)
    if shape.type == "string":
        return _string_expr(shape, salt, key)
    if shape.type == "boolean":
        return f"{key} % 2 = 0" if shape.distinct > 1 else "true"
    numeric = _numeric_expr(shape, salt, key)
    if shape.type == "timestamp":
        return f"timestamp_seconds(CAST({numeric} AS BIGINT))"
    if shape.type == "date":
        return f"date_from_unix_date(CAST({numeric} AS INT))"
    if shape.type in _NUMERIC:
        return f"CAST({numeric} AS {shape.type.upper()})"
    raise ValueError(f"column {shape.name}: no limit expression for type {shape.type}")


def _key(shape: ColumnShape, salt: int) -> str:
    """`id`, or with a fill share: 0 on that share of the rows (in blocks), id elsewhere."""
    if shape.fill <= 0:
        return "id"
    cut = int(round(shape.fill * 10_000))
    return f"(CASE WHEN pmod(xxhash64(id DIV {FILL_BLOCK_ROWS}, {salt}, 1), 10000) < {cut} THEN 0L ELSE id END)"


def _numeric_expr(shape: ColumnShape, salt: int, key: str) -> str:
    low, span = shape.low, shape.high - shape.low
    integral = shape.type in _INTEGRAL or shape.type in ("timestamp", "date")
    count = max(shape.distinct, 1)
    if shape.kind == "monotone":
        # `count` runs of equal values rising evenly from low to high along the key
        pick = key if count >= shape.rows else f"({key} * {count} DIV {max(shape.rows, 1)})"
    elif shape.kind == "categorical":
        pick = f"pmod(xxhash64({key}, {salt}), {count})"
    elif integral:
        return f"({_num(low)} + pmod(xxhash64({key}, {salt}), {int(span) + 1}))"
    else:
        return f"({_num(low)} + (shiftrightunsigned(xxhash64({key}, {salt}), 11) * 1.1102230246251565E-16D) * {_num(span)})"
    step = span / max(min(count, shape.rows) - 1, 1)
    return f"({_num(low)} + floor({pick} * {_num(step)}))" if integral else f"({_num(low)} + {pick} * {_num(step)})"


def _string_expr(shape: ColumnShape, salt: int, key: str) -> str:
    if shape.kind == "categorical" and shape.distinct <= MAX_CATEGORIES:
        values = categorical_strings(shape.distinct, shape.length, salt)
        literals = ", ".join("'" + v + "'" for v in values)
        return f"element_at(array({literals}), CAST(pmod(xxhash64({key}, {salt}), {len(values)}) AS INT) + 1)"
    if shape.length == 0:
        return "''"
    # one of `distinct` random upper-case hex strings: each xxhash64 with its top bit set
    # prints as exactly 16 digits
    pick = key if shape.distinct >= shape.rows else f"pmod(xxhash64({key}, {salt}), {shape.distinct})"
    hashes = [f"hex(xxhash64({pick}, {salt * 64 + k}) | -9223372036854775808L)" for k in range(math.ceil(shape.length / _HEX_PER_HASH))]
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


def _as_number(column: Any, kind_type: str) -> Any:
    """A column as a number the range can be taken of: Unix seconds, epoch days, or itself."""
    from pyspark.sql import functions as F

    if kind_type == "timestamp":
        return F.unix_micros(column) / 1_000_000
    if kind_type == "date":
        return F.unix_date(column)
    return column.cast("double")


def _first_numbers(column: Any, kind_type: str) -> list[float]:
    """The first rows' values of a numeric, timestamp or date column, as floats (nulls dropped)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = column.drop_null() if hasattr(column, "drop_null") else column
    if kind_type == "timestamp":
        column = pc.cast(column, pa.timestamp("us", tz="UTC")).cast(pa.int64())
        return [v / 1_000_000 for v in column.to_pylist()]
    if kind_type == "date":
        return [float(v) for v in column.cast(pa.int32()).to_pylist()]
    return [float(v) for v in column.to_pylist()]


def _num(value: float) -> str:
    """A SQL numeric literal: integers plain, other values as doubles."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value)) + "D"
