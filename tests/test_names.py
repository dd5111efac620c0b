"""Unity Catalog names: only plain identifiers pass, and they are always quoted."""

from __future__ import annotations

import datetime as dt

import pytest

from engine.config import ConfigError
from engine.names import (
    MAX_IDENTIFIER_LENGTH,
    qualified_name,
    quote_identifier,
    scale_label,
    table_name,
    table_prefix,
    validate_identifier,
)

INJECTIONS = [
    "x; DROP TABLE y",
    "x;DROP",
    "a`b",
    "`a`",
    "a``b",
    "a.b",
    "main.default",
    "a b",
    " a",
    "a ",
    "'a'",
    '"a"',
    "a'--",
    "a\tb",
    "a\nb",
    "a\n",  # a regex `$` would let a trailing newline through
    "a\rb",
    "a\x00b",
    "a\x1bb",
    "a\u00a0b",  # no-break space
    "a\u2003b",  # em space
    "a\u3000b",  # ideographic space
    "a\u200bb",  # zero-width space (not even whitespace to str.isspace)
    "\u0430dmin",  # Cyrillic 'а' looks like ASCII 'a'
    "caf\u00e9",
    "a-b",
    "a/b",
    "a*",
    "",
    "x" * (MAX_IDENTIFIER_LENGTH + 1),
]


@pytest.mark.parametrize("name", ["main", "synthetic_data", "bryan_li", "T1", "_x", "2024_q1", "x" * MAX_IDENTIFIER_LENGTH])
def test_plain_identifiers_pass_unchanged(name):
    for kind in ("catalog", "schema", "table"):
        assert validate_identifier(kind, name) == name


@pytest.mark.parametrize("name", INJECTIONS)
@pytest.mark.parametrize("kind", ["catalog", "schema", "table"])
def test_names_that_could_carry_sql_or_hide_characters_are_refused(kind, name):
    with pytest.raises(ConfigError) as err:
        validate_identifier(kind, name)
    assert err.value.field == kind
    assert err.value.value == name


def test_refusal_names_the_field_the_value_and_the_rule():
    with pytest.raises(ConfigError) as err:
        validate_identifier("schema", "x; DROP TABLE y")
    message = str(err.value)
    assert message.startswith("schema: got 'x; DROP TABLE y'")
    assert "letters, digits or underscores" in message and "255" in message


@pytest.mark.parametrize("value", [None, 3, b"main", ["main"]])
def test_non_text_names_are_refused(value):
    with pytest.raises(ConfigError):
        validate_identifier("catalog", value)


def test_unknown_kind_is_refused():
    with pytest.raises(ConfigError) as err:
        validate_identifier("column", "x")
    assert err.value.field == "kind"


def test_quoting_wraps_validated_names_in_backticks():
    assert quote_identifier("households") == "`households`"
    assert qualified_name("main", "synthetic_data", "households") == "`main`.`synthetic_data`.`households`"


@pytest.mark.parametrize("bad", ["a`b", "a.b", "x; DROP TABLE y"])
def test_quoting_refuses_instead_of_escaping(bad):
    with pytest.raises(ConfigError):
        quote_identifier(bad)
    with pytest.raises(ConfigError) as err:
        qualified_name("main", bad, "t")
    assert err.value.field == "schema"


@pytest.mark.parametrize(
    "households, label",
    [(1_000, "1k"), (10_000, "10k"), (100_000, "100k"), (1_000_000, "1m"), (10_000_000, "10m"), (2_000_000_000, "2b"), (2_500_000, "2500k"), (2_500, "2500"), (1, "1"), (999, "999")],
)
def test_scale_label_uses_the_largest_exact_suffix(households, label):
    assert scale_label(households) == label


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "1000"])
def test_scale_label_refuses_non_counts(bad):
    with pytest.raises(ConfigError) as err:
        scale_label(bad)
    assert err.value.field == "households"


def test_table_name_follows_purpose_scale_timestamp_convention():
    at = dt.datetime(2026, 11, 30, 10, 15, 42, tzinfo=dt.timezone.utc)
    assert table_name("idgraph", 1_000_000, at, "households") == "idgraph_1m_20261130t1015_households"
    assert table_prefix("IdGraph", 10_000, at) == "idgraph_10k_20261130t1015"


def test_table_name_times_are_utc():
    pacific = dt.timezone(dt.timedelta(hours=-8))
    assert table_name("demo", 1000, dt.datetime(2026, 11, 30, 2, 15, tzinfo=pacific), "campaigns") == "demo_1k_20261130t1015_campaigns"
    # A naive time is taken to be UTC already.
    assert table_name("demo", 1000, dt.datetime(2026, 11, 30, 10, 15), "campaigns") == "demo_1k_20261130t1015_campaigns"


@pytest.mark.parametrize("purpose", ["x; DROP TABLE y", "a.b", "a b", "", "a`b"])
def test_table_name_refuses_unsafe_purpose_by_name(purpose):
    with pytest.raises(ConfigError) as err:
        table_name(purpose, 1000, dt.datetime(2026, 1, 1), "households")
    assert err.value.field == "purpose"


def test_table_name_refuses_unsafe_table_and_overlong_result():
    at = dt.datetime(2026, 1, 1)
    with pytest.raises(ConfigError):
        table_name("idgraph", 1000, at, "households; DROP TABLE y")
    with pytest.raises(ConfigError) as err:
        table_name("p" * 240, 1000, at, "households")
    assert err.value.field == "table"
