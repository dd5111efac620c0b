"""The raw write limit: `spark.range` tables shaped like the generator's, cheap to compute.

For every generated table the limit writes the same number of rows, in the same number
of files, with the same column names and types, through the same sink. Each column copies
the *shape* of the generator's column, not its values:

- from the whole written table (one aggregation per table, so every partition counts):
  the number of distinct values (approx_count_distinct, 1% error; within three times that
  of the row count, all distinct), the range, the mean string length and a boolean's share
  of true;
- from its first rows (the start of the first part file, no Spark job): whether a number
  rises with the key (monotone), how much more common the most common value is than an
  even draw would make it (`top`), and whether the column is nullable (Spark reads every
  column back as nullable; a required Parquet column stores no null levels).

A column is then filled with the same number of distinct values: strings as fixed literals
(up to MAX_CATEGORIES) or as random hex of the mean length keyed on one of D hashed ids;
numbers evenly spaced in their range, as runs along the key (monotone), hashed picks
(categorical) or uniform draws (random); booleans true on their share of the rows at
random; `top` of the rows take one value. Every column is nullable or required as the
generator's (never null: the generator writes none).

Same shape is not yet the same bytes: compression sees more than a shape. So the worker
**calibrates** each column against the generator's own compressed bytes for that column
(from the Parquet footers), with two knobs:

- too large: a share `fill` of its rows, in blocks (a hundredth of the table, 2 to 64
  rows), repeat their block's first value, so a block costs about one value and a
  monotone column stays sorted; text whose every value is distinct instead shares a
  prefix of fill x its length (repeated blocks would cut its distinct count, and with it
  Parquet's choice of a dictionary);
- too small: `spread`, extra entropy: text drawn in base64 (6 bits a character) rather
  than hex (4) on that share of its values; a monotone column's runs of uneven length and
  its values moved up by a random part of the gap to the next. A categorical column that
  is still too small is drawn at random instead; a monotone one stays monotone.

Each knob moves by a secant step through the last two writes that differ only in it.
Three untimed calibration writes (also the limit's warm-up) bring every table's bytes
within about 2% of the generator's at 10K households; the summary shows both.

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
# A distinct count this close to the row count (three times the error) counts as all distinct.
ALL_DISTINCT = 1 - 3 * DISTINCT_ERROR
# Least extra share of the most common value (in the first rows) worth copying as `top`.
MIN_TOP = 0.02
# Rows in one repeated block of a calibrated column: a hundredth of the table, from 2 to 64
# (a 100-row table needs blocks small enough for the share to move its bytes in small steps).
FILL_BLOCK_ROWS = 64
# Largest share of a column's rows calibration may set to repeated blocks.
MAX_FILL = 0.99
# Largest spread of a monotone column: each run's end moved by up to this many runs.
MAX_MONOTONE_SPREAD = 4.0
# Hex digits of one xxhash64: a random string of length L takes ceil(L / 16) hashes.
_HEX_PER_HASH = 16
# Base64 characters of three xxhash64 (24 bytes): 32, no padding, no line break.
_BASE64_PER_PIECE = 32
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
    fill: float = 0.0  # share of rows (in blocks of FILL_BLOCK_ROWS) that repeat their block's first value
    spread: float = 0.0  # extra entropy: strings, share of rows in base64 (6 bits a character, not hex's 4);
    # monotone numbers, share of the step between two values each one is moved up at random
    share: float = 0.5  # booleans: share of rows true
    top: float = 0.0  # share of rows (at random) that take one value, beyond the even draw (a skewed column)
    nullable: bool = True  # as the generator's Parquet schema has it (required columns store no null levels)

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
        elif kind_type == "boolean":
            aggregates.append(F.avg(column.cast("int")).alias(f"a{index}"))
        else:
            number = _as_number(column, kind_type)
            aggregates += [F.min(number).alias(f"l{index}"), F.max(number).alias(f"h{index}")]
    stats = written.agg(*aggregates).first().asDict()
    rows = int(stats["__rows"])
    shapes = []
    for index, field in enumerate(fields):
        kind_type = field.dataType.simpleString()
        distinct = max(int(stats[f"d{index}"] or 0), 1)
        if distinct >= ALL_DISTINCT * rows:
            distinct = max(rows, 1)  # within the estimate's error of all distinct: all distinct
        nullable = first.schema.field(field.name).nullable  # Spark reads every column back as nullable
        sample = first.column(field.name)
        if kind_type == "string":
            kind = "categorical" if distinct <= CATEGORICAL_SHARE * rows else "random"
            shapes.append(ColumnShape(field.name, kind_type, kind, distinct, int(round(stats[f"a{index}"] or 0)), 0.0, 0.0, rows,
                                      top=_top(sample, distinct), nullable=nullable))
            continue
        if kind_type == "boolean":
            share = float(stats[f"a{index}"] if stats[f"a{index}"] is not None else 0.5)
            shapes.append(ColumnShape(field.name, kind_type, "categorical", distinct, 0, 0.0, 1.0, rows, share=round(share, 4), nullable=nullable))
            continue
        low, high = float(stats[f"l{index}"] or 0.0), float(stats[f"h{index}"] or 0.0)
        values = _first_numbers(sample, kind_type)
        if len(values) > 1 and all(a <= b for a, b in zip(values, values[1:])) and high > low:
            kind = "monotone"
        elif distinct <= CATEGORICAL_SHARE * rows:
            kind = "categorical"
        else:
            kind = "random"
        top = 0.0 if kind == "monotone" else _top(sample, distinct)
        shapes.append(ColumnShape(field.name, kind_type, kind, distinct, 0, low, high, rows, top=top, nullable=nullable))
    return shapes


def _top(sample: Any, distinct: int) -> float:
    """The share of rows to give one value so that it is as common as the column's most common
    value in `sample` (first rows): beyond what an even draw over `distinct` values gives it."""
    import pyarrow.compute as pc

    present = sample.drop_null() if hasattr(sample, "drop_null") else sample
    if len(present) == 0:
        return 0.0
    counts = pc.value_counts(present).field("counts")
    most = pc.max(counts).as_py() / len(present)
    even = 1 / max(distinct, 1)
    top = (most - even) / (1 - even) if even < 1 else 0.0
    return round(top, 4) if top >= MIN_TOP else 0.0


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
    at `target` bytes (the generator's). Too large: less extra entropy (`spread`) if it has
    some, else a larger share of repeated blocks (`fill`). Too small: a smaller `fill`, else
    more `spread` (strings, monotone numbers), else random values instead of categorical ones.
    Each knob moves along the line through the last two writes that differ only in it (a
    secant step), or by a first guess from the latest write alone."""
    last, measured = history[-1]
    if target <= 0 or measured <= 0 or abs(measured - target) <= tolerance * target:
        return last
    if measured > target:
        if last.spread > 0:
            most = MAX_MONOTONE_SPREAD if last.kind == "monotone" else 1.0
            return replace(last, spread=_step(history, last, "spread", target, last.spread * target / measured, most))
        # blocks that repeat a value cost next to nothing: bytes ~ (1 - fill) x the unfilled bytes
        return replace(last, fill=_step(history, last, "fill", target, 1 - target * (1 - last.fill) / measured, MAX_FILL))
    if last.fill > 0:
        return replace(last, fill=_step(history, last, "fill", target, 1 - target * (1 - last.fill) / measured, MAX_FILL))
    most = MAX_MONOTONE_SPREAD if last.kind == "monotone" else 1.0
    if _spreads(last) and last.spread < most:
        # bytes need not rise evenly with the spread: at most double it (or add 0.5) per write
        most = min(most, max(2 * last.spread, last.spread + 0.5))
        return replace(last, spread=_step(history, last, "spread", target, last.spread + 2 * (target / measured - 1), most))
    if last.kind not in ("random", "monotone") and last.type != "boolean":  # a sorted column stays sorted
        return replace(last, kind="random", fill=0.0, spread=0.0)
    return last


def _spreads(shape: ColumnShape) -> bool:
    """Whether `spread` adds entropy to this column: text, and monotone numbers with room between values."""
    if shape.type == "string":
        return shape.length > 0 and not (shape.kind == "categorical" and shape.distinct <= MAX_CATEGORIES)
    return shape.kind == "monotone" and shape.type != "boolean"


def _step(history: list[tuple[ColumnShape, int]], last: ColumnShape, knob: str, target: int, guess: float, most: float) -> float:
    """The next value of `knob` (fill or spread): a secant step through the last two writes of the
    same kind that differ only in it, when they give a usable slope; else `guess`. In [0, most]."""
    other = "spread" if knob == "fill" else "fill"
    points: list[tuple[float, int]] = []
    for shape, written in reversed(history):
        if shape.kind != last.kind or getattr(shape, other) != getattr(last, other) or written <= 0:
            continue
        if all(getattr(shape, knob) != p for p, _ in points):
            points.append((getattr(shape, knob), written))
        if len(points) == 2:
            break
    value = guess
    if len(points) == 2:
        (p1, b1), (p0, b0) = points
        slope = (b1 - b0) / (p1 - p0)
        # fill lowers the bytes, spread raises them: a slope of the other sign is noise
        if (slope < 0) == (knob == "fill") and slope != 0:
            value = p1 + (target - b1) / slope
    return round(min(most, max(0.0, value)), 4)


def limit_frame(spark: SparkSession, shapes: list[ColumnShape], rows: int, partitions: int) -> DataFrame:
    """`rows` rows of `spark.range` in `partitions` partitions, one cheap column per shape."""
    base = spark.range(0, rows, 1, max(1, partitions))
    return base.selectExpr(*(f"{column_expr(shape, salt)} AS `{shape.name}`" for salt, shape in enumerate(shapes)))


def column_expr(shape: ColumnShape, salt: int) -> str:
    """The SQL expression over `id` that fills one limit column of this shape, nullable or not
    as the generator's column is (never null either way: the generator writes no nulls)."""
    value = _value_expr(shape, salt)
    if shape.nullable:
        return f"if(id < 0, NULL, {value})"  # never true (range ids start at 0), but Spark cannot know
    return f"coalesce({value}, {_ZERO[shape.type]})"


_ZERO = {"string": "''", "boolean": "false", "timestamp": "timestamp_seconds(0)", "date": "date_from_unix_date(0)",
         "tinyint": "0Y", "smallint": "0S", "int": "0", "bigint": "0L", "float": "CAST(0 AS FLOAT)", "double": "0D"}


def _value_expr(shape: ColumnShape, salt: int) -> str:
    key = _key(shape, salt)
    if shape.type == "string":
        return _string_expr(shape, salt, key)
    if shape.type == "boolean":
        # true on `share` of the rows, at random (one value where the generator has one)
        if shape.distinct <= 1:
            return "true" if shape.share >= 0.5 else "false"
        return f"pmod(xxhash64({key}, {salt}), 10000) < {int(round(shape.share * 10_000))}"
    numeric = _numeric_expr(shape, salt, key)
    if shape.type == "timestamp":
        return f"timestamp_seconds(CAST({numeric} AS BIGINT))"
    if shape.type == "date":
        return f"date_from_unix_date(CAST({numeric} AS INT))"
    if shape.type in _NUMERIC:
        return f"CAST({numeric} AS {shape.type.upper()})"
    raise ValueError(f"column {shape.name}: no limit expression for type {shape.type}")


def _key(shape: ColumnShape, salt: int) -> str:
    """`id`; with a fill share, on that share of the blocks (`fill_block_rows`) the block's first
    id, so every row of the block repeats one value (a monotone column stays monotone, and the
    values stay spread over the range); with a `top` share, 0 on that share of the keys (the
    most common value)."""
    key = "id"
    if shape.fill > 0 and not _prefixed(shape):
        cut, block = int(round(shape.fill * 10_000)), fill_block_rows(shape.rows)
        key = f"(CASE WHEN pmod(xxhash64(id DIV {block}, {salt}, 1), 10000) < {cut} THEN id - pmod(id, {block}) ELSE id END)"
    if shape.top > 0:  # the most common value: key 0 on `top` of the keys (a repeated block's as a whole)
        key = f"(CASE WHEN pmod(xxhash64({key}, {salt}, 3), 10000) < {int(round(shape.top * 10_000))} THEN 0L ELSE {key} END)"
    return key


def fill_block_rows(rows: int) -> int:
    """Rows in one repeated block of a table of `rows` rows."""
    return min(FILL_BLOCK_ROWS, max(2, rows // 100))


def _prefixed(shape: ColumnShape) -> bool:
    """Whether `fill` shares a prefix rather than repeating blocks: text whose every value is
    distinct. Repeated blocks would cut its distinct count, and Parquet keeps a dictionary
    for a text column only while it pays, so the encoding could differ from the generator's."""
    return shape.type == "string" and shape.distinct >= shape.rows and shape.length > 0


def _numeric_expr(shape: ColumnShape, salt: int, key: str) -> str:
    low, span = shape.low, shape.high - shape.low
    integral = shape.type in _INTEGRAL or shape.type in ("timestamp", "date")
    count = max(shape.distinct, 1)
    if shape.kind == "monotone":
        # `count` runs of equal values rising evenly from low to high along the key; with a
        # spread, each run's end moved by a random part of a run (runs of uneven length)
        if count >= shape.rows:
            pick = key
        elif shape.spread > 0:
            pick = f"floor({key} * {_num(count / max(shape.rows, 1))} + pmod(xxhash64({key}, {salt}, 4), 1000000) * {_num(shape.spread / 1_000_000)})"
        else:
            pick = f"({key} * {count} DIV {max(shape.rows, 1)})"
    elif shape.kind == "categorical":
        pick = f"pmod(xxhash64({key}, {salt}), {count})"
    elif integral:
        return f"({_num(low)} + pmod(xxhash64({key}, {salt}), {int(span) + 1}))"
    else:
        return f"({_num(low)} + (shiftrightunsigned(xxhash64({key}, {salt}), 11) * 1.1102230246251565E-16D) * {_num(span)})"
    step = span / max(min(count, shape.rows) - 1, 1)
    if shape.kind == "monotone" and shape.spread > 0:
        # and each value moved up by a random part of `spread` steps (uneven gaps)
        pick = f"({pick} + pmod(xxhash64({pick}, {salt}), 1000000) * {_num(shape.spread / 1_000_000)})"
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
    hashes = [_hex(pick, salt * 64 + k) for k in range(math.ceil(shape.length / _HEX_PER_HASH))]
    text = f"substring({_concat(hashes)}, 1, {shape.length})"
    if shape.spread <= 0:
        return _prefix(shape, salt, pick, text)
    # on `spread` of the values (chosen by value, so the distinct count holds), base64 instead of
    # hex: 32 characters from three hashes (24 bytes, no padding), 6 bits a character
    pieces = [f"base64(unhex({_concat([_hex(pick, salt * 64 + 32 + 3 * p + k) for k in range(3)])}))" for p in range(math.ceil(shape.length / _BASE64_PER_PIECE))]
    wide = f"substring({_concat(pieces)}, 1, {shape.length})"
    cut = int(round(shape.spread * 10_000))
    return _prefix(shape, salt, pick, f"(CASE WHEN pmod(xxhash64({pick}, {salt}, 2), 10000) < {cut} THEN {wide} ELSE {text} END)")


def _prefix(shape: ColumnShape, salt: int, pick: str, text: str) -> str:
    """`text` with its first characters, fill x length of them on average (a whole number per
    value, drawn by value), replaced by one shared filler: still distinct, less entropy."""
    if shape.fill <= 0 or not _prefixed(shape):
        return text
    chars = f"CAST(floor({_num(shape.fill * shape.length)} + pmod(xxhash64({pick}, {salt}, 5), 1000) * 0.001D) AS INT)"
    return f"concat(substring('{'x' * shape.length}', 1, {chars}), substring({text}, {chars} + 1, {shape.length}))"


def _hex(pick: str, seed: int) -> str:
    """16 random upper-case hex digits: an xxhash64 with its top bit set prints as exactly 16."""
    return f"hex(xxhash64({pick}, {seed}) | -9223372036854775808L)"


def _concat(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"concat({', '.join(parts)})"


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
