"""Unity Catalog names are identifiers, never SQL: validate, then always quote.

Catalog, schema and table names reach SQL text (`saveAsTable`, `OPTIMIZE`, `GRANT` hints)
and REST paths, so each one is checked against a deliberately narrow rule — ASCII letters,
digits and underscores, 1 to 255 characters — before use, and then backtick-quoted. Anything
else (quotes, backticks, semicolons, dots, whitespace of any script, control characters) is
refused with a `ConfigError` naming the field, the value and the rule, so no name can carry
SQL of its own.
"""

from __future__ import annotations

import datetime as _dt
import re

from engine.config import ConfigError

# Unity Catalog's limit on an identifier's length, in characters.
MAX_IDENTIFIER_LENGTH = 255
KINDS = ("catalog", "schema", "table")

# ASCII only: `str.isalnum` would accept other scripts' letters and digits, which UC
# allows only quoted and which look like ASCII in a review (homoglyphs).
_IDENTIFIER = re.compile(r"[A-Za-z0-9_]+")
_RULE = f"1 to {MAX_IDENTIFIER_LENGTH} ASCII letters, digits or underscores (no quotes, backticks, dots, semicolons or spaces)"

# A launch-form session id (a checkpoint's name): safe in a URL, a path and a volume file name.
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
SESSION_ID_RULE = "1 to 128 letters, digits, '-' or '_'"

# Scale suffixes for table names, largest first: 1_000_000 households is "1m".
_SCALE_SUFFIXES = ((1_000_000_000, "b"), (1_000_000, "m"), (1_000, "k"))


def validate_identifier(kind: str, name: str) -> str:
    """Return `name` unchanged if it is a safe Unity Catalog identifier, else raise ConfigError.

    `kind` is "catalog", "schema" or "table" and becomes the error's field name.
    """
    if kind not in KINDS:
        raise ConfigError("kind", kind, f"one of {list(KINDS)}")
    return _check(kind, name, f"a {kind} name")


def _check(field: str, name: object, what: str) -> str:
    # fullmatch, not match with `$`: `$` would accept a trailing newline.
    if not isinstance(name, str) or len(name) > MAX_IDENTIFIER_LENGTH or not _IDENTIFIER.fullmatch(name):
        raise ConfigError(field, name, f"{what}: {_RULE}")
    return name


def quote_identifier(name: str, kind: str = "table") -> str:
    """Backtick-quote a validated identifier: `households` -> "`households`"."""
    return f"`{validate_identifier(kind, name)}`"


def qualified_name(catalog: str, schema: str, table: str) -> str:
    """The fully quoted three-part name "`catalog`.`schema`.`table`"."""
    return ".".join(quote_identifier(n, kind) for kind, n in (("catalog", catalog), ("schema", schema), ("table", table)))


def scale_label(households: int) -> str:
    """Households as a short label: 1000 -> "1k", 10_000_000 -> "10m", 2500 -> "2500".

    The largest of b (10**9), m (10**6) and k (10**3) that divides the count exactly is used;
    a count no suffix divides exactly is written out in full.
    """
    if isinstance(households, bool) or not isinstance(households, int) or households < 1:
        raise ConfigError("households", households, "a whole number of at least 1")
    for factor, suffix in _SCALE_SUFFIXES:
        if households % factor == 0:
            return f"{households // factor}{suffix}"
    return str(households)


def timestamp_label(timestamp: _dt.datetime) -> str:
    """A launch time as "YYYYMMDDtHHMM" in UTC (naive datetimes are taken to be UTC)."""
    if not isinstance(timestamp, _dt.datetime):
        raise ConfigError("timestamp", timestamp, "a datetime")
    if timestamp.tzinfo is not None:
        timestamp = timestamp.astimezone(_dt.timezone.utc)
    return timestamp.strftime("%Y%m%dt%H%M")


def validate_purpose(purpose: str) -> str:
    """Return `purpose` if it can start a table name (same rule as identifiers), else raise."""
    return _check("purpose", purpose, "a table-name prefix")


def table_prefix(purpose: str, households: int, timestamp: _dt.datetime) -> str:
    """The shared part of one run's table names: "{purpose}_{scale}_{timestamp}", lower case."""
    validate_purpose(purpose)
    return f"{purpose}_{scale_label(households)}_{timestamp_label(timestamp)}".lower()


def table_name(purpose: str, households: int, timestamp: _dt.datetime, table: str) -> str:
    """A generated table's name by the `{purpose}_{scale}_{timestamp}_{table}` convention.

    Exact form, all lower case (Unity Catalog folds identifiers to lower case anyway):
    `purpose` as given (an identifier), `scale` from `scale_label` (1k, 10k, 100k, 1m, 10m,
    or the plain number such as 2500), `timestamp` as `YYYYMMDDtHHMM` in UTC, then the
    table. Example: ("idgraph", 1_000_000, 2026-11-30 10:15 UTC, "households") ->
    "idgraph_1m_20261130t1015_households". The result is validated as a table identifier,
    so an over-long purpose is refused rather than truncated.
    """
    validate_identifier("table", table)
    return validate_identifier("table", f"{table_prefix(purpose, households, timestamp)}_{table.lower()}")


def is_session_id(text: object) -> bool:
    """True if `text` is a session id the launch form and the volume layout accept (SESSION_ID_RULE)."""
    return isinstance(text, str) and bool(_SESSION_ID.fullmatch(text))
