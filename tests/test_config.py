"""GraphConfig: SPEC defaults, JSON round-trip, stable hash, and clear errors for bad input."""

from __future__ import annotations

import json

import pytest

from engine import ConfigError, CountDistribution, GraphConfig


def test_defaults_are_valid_and_match_spec():
    config = GraphConfig().validate()
    assert config.income_weights == {"<30K": 0.25, "30-60K": 0.35, "60-100K": 0.25, "100K+": 0.15}
    assert config.identifier_type_weights == {"email_hash": 0.30, "cookie_id": 0.25, "mobile_ad_id": 0.25, "device_id": 0.15, "ctv_id": 0.05}
    assert (config.age_mean, config.age_sd, config.age_min, config.age_max) == (45.0, 15.0, 18, 85)
    assert config.response_type_weights == {"conversion": 0.05, "click": 0.20, "view": 0.75}
    assert 2.8 <= config.identifiers.mean() <= 3.3
    assert (config.identifiers.minimum, config.identifiers.maximum) == (2, 15)


def test_default_weights_are_data_with_their_sources():
    # The census and survey weights live in engine/data/weights.json, each with its source;
    # every weights field of the config takes its default from there and nowhere else.
    from pathlib import Path

    import engine.config

    data = json.loads((Path(engine.config.__file__).parent / "data" / "weights.json").read_text())
    weight_fields = [name for name, spec in engine.config.FIELDS.items() if spec.kind == "weights"]
    assert weight_fields and sorted(weight_fields) == sorted(k for k in data if k != "about")
    config = GraphConfig()
    for name in weight_fields:
        assert len(data[name]["source"]) > 20, name
        assert getattr(config, name) == data[name]["weights"], name
    assert "lambda: {" not in Path(engine.config.__file__).read_text()


def test_config_round_trips_through_json():
    config = GraphConfig(households=1234, seed=-9, partitions=3, identifiers=CountDistribution(2, 10, 1.5))
    again = GraphConfig.from_json(config.to_json())
    assert again == config
    assert json.loads(again.to_json()) == json.loads(config.to_json())


def test_config_hash_is_stable_and_ignores_partitions():
    a = GraphConfig(households=100, seed=1)
    assert a.config_hash() == GraphConfig(households=100, seed=1).config_hash()
    assert a.config_hash() == a.replace(partitions=7).config_hash()
    assert a.config_hash() != a.replace(seed=2).config_hash()


def test_power_law_pmf_sums_to_one_and_is_heavy_tailed():
    pmf = CountDistribution(2, 15, 2.3).pmf()
    assert set(pmf) == set(range(2, 16))
    assert sum(pmf.values()) == pytest.approx(1.0)
    assert pmf[2] > pmf[3] > pmf[15] > 0


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"households": 0}, "households", "whole number from 1"),
        ({"households": -5}, "households", "whole number from 1"),
        ({"households": "abc"}, "households", "whole number"),
        ({"households": 2.5}, "households", "whole number"),
        ({"income_weights": {"<30K": -0.1, "30-60K": 1.1}}, "income_weights['<30K']", "0 or more"),
        ({"income_weights": {"<30K": 0.5, "30-60K": 0.4}}, "income_weights", "sum to 1"),
        ({"age_min": 90, "age_max": 80}, "age_min", "at most age_max"),
        ({"start_date": "2025-01-01", "end_date": "2024-01-01"}, "end_date", "after start_date"),
        ({"start_date": "yesterday"}, "start_date", "YYYY-MM-DD"),
        ({"identifiers": {"minimum": 5, "maximum": 3, "exponent": 2}}, "identifiers.minimum", "at most identifiers.maximum"),
        ({"identifiers": {"minimum": 1, "maximum": 99, "exponent": 2}}, "identifiers.maximum", "whole number"),
        ({"household_size_weights": {"9": 1.0}}, "household_size_weights['9']", "a key from"),
        ({"identifier_type_weights": {"cookie_id": 1.0}}, "identifier_type_weights", "email_hash"),
        ({"confidence_min": 0.99, "confidence_max": 0.9}, "confidence_min", "at most confidence_max"),
        ({"colour": "blue"}, "colour", "one of the config fields"),
        ({"housholds": 5}, "housholds", "did you mean 'households'"),
    ],
)
def test_bad_config_names_field_value_and_what_is_valid(changes, field, fragment):
    data = {**GraphConfig().to_dict(), **changes}
    with pytest.raises(ConfigError) as err:
        GraphConfig.from_dict(data)
    assert err.value.field == field
    assert fragment in str(err.value)
    assert repr(err.value.value)[:20] in str(err.value) or field == "income_weights"


def test_invalid_json_is_a_config_error():
    with pytest.raises(ConfigError, match="valid JSON"):
        GraphConfig.from_json("{households: 5")


def test_errors_lists_every_problem_at_once_in_field_order():
    config = GraphConfig.unchecked({**GraphConfig().to_dict(), "seed": 1.5, "households": 0, "age_min": 90, "age_max": 80, "response_rate": 2})
    assert [e.field for e in config.errors()] == ["seed", "households", "age_min", "response_rate"]
    assert GraphConfig().errors() == []


def test_a_rule_between_fields_is_skipped_while_one_of_its_fields_is_wrong():
    config = GraphConfig.unchecked({**GraphConfig().to_dict(), "start_date": "someday"})
    assert [e.field for e in config.errors()] == ["start_date"]


def test_every_config_field_has_its_metadata():
    import dataclasses

    from engine.config import FIELDS, expected_text

    assert [f.name for f in dataclasses.fields(GraphConfig)] == list(FIELDS)
    for name, spec in FIELDS.items():
        assert spec.label and spec.help and expected_text(spec), name


@pytest.mark.parametrize(("typed", "kept"), [("1.5", True), ("abc12", True), ("1,5", True), ("", False), (" 42 ", False), ("1,000", False)])
def test_text_for_a_whole_number_is_never_rounded_or_stripped_into_one(typed, kept):
    from engine.config import Unparsed, parse_text

    value = parse_text("seed", typed)
    assert isinstance(value, Unparsed) == kept
    if kept:
        assert value.text == typed


def test_messages_use_labels_say_empty_and_give_readable_bounds():
    from engine.config import describe

    problems = GraphConfig.unchecked({**GraphConfig().to_dict(), "households": None, "start_date": "2025-01-01", "end_date": "2024-01-01"}).errors()
    assert [describe(e) for e in problems] == [
        "Households: empty; expected a whole number from 1 to 1 trillion households.",
        "Window end: got '2024-01-01'; expected a date after Window start (2025-01-01).",
    ]


def test_a_new_field_slots_in_with_one_metadata_entry():
    from engine.config import FieldSpec, _check

    spec = FieldSpec("Email domains", "choice", "where emails live", allowed=("reserved", "realistic"))
    _check("email_domains", spec, "reserved")
    with pytest.raises(ConfigError, match=r"email_domains: got 'real'; expected one of \['reserved', 'realistic'\]"):
        _check("email_domains", spec, "real")
